//! BridgeAdd (Asterisk's `app_bridgeaddchan.c`): the channel joins the
//! bridge another channel (named by a prefix of its name) is in, and stays
//! until it leaves it; BRIDGERESULT says how it went.

use super::bridgewait::{Role, hold};
use super::{App, AppCtx, AppFuture, AppResult, Run};
use crate::channels::ChanState;

const FILE: &str = "app_bridgeaddchan.c";

pub fn apps() -> Vec<App> {
    vec![App {
        name: "BridgeAdd",
        run: Run::Wait(bridgeadd),
        synopsis: "Joins the bridge another channel is in.",
        syntax: "BridgeAdd(channel)",
    }]
}

fn bridgeadd<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(bridgeadd_exec(ctx, data))
}

fn result(ctx: &AppCtx, value: &str) -> AppResult {
    ctx.set_var("BRIDGERESULT", Some(value));
    Ok(())
}

async fn bridgeadd_exec(ctx: &AppCtx, data: String) -> AppResult {
    if ctx.chan.state() != ChanState::Up {
        ctx.chan.answer();
    }
    // `ast_channel_get_by_name_prefix`: the first channel (in the channel
    // container's order) whose name starts with the argument, else the
    // one of that unique id.
    let channels = &ctx.sys.pbx.channels;
    let found = if data.is_empty() {
        None
    } else {
        let prefix = data.to_ascii_lowercase();
        channels
            .in_container_order()
            .into_iter()
            .find(|c| c.name.to_ascii_lowercase().starts_with(&prefix))
            .or_else(|| channels.by_uniqueid(&data))
    };
    let Some(other) = found else {
        ctx.verbose(
            4,
            &crate::site!(FILE, 97, "bridgeadd_exec"),
            &format!("Channel '{data}' not found"),
        );
        return result(ctx, "NONEXISTENT");
    };
    if std::sync::Arc::ptr_eq(&other, &ctx.chan) {
        return result(ctx, "LOOP");
    }
    let Some(bridge) = other.bridge() else {
        ctx.verbose(
            4,
            &crate::site!(FILE, 116, "bridgeadd_exec"),
            &format!("Channel '{}' is not in a bridge", other.name),
        );
        return result(ctx, "FAILURE");
    };
    ctx.verbose(
        4,
        &crate::site!(FILE, 121, "bridgeadd_exec"),
        &format!(
            "{} is joining {} in bridge {}",
            ctx.chan.name, other.name, bridge.uniqueid
        ),
    );
    if !bridge.is_holding() {
        // A third party in a two-party (Dial's) bridge needs a mixing
        // bridge, which Asterism's basic bridges are not.
        ctx.notice(
            &crate::site!(FILE, 0, "bridgeadd_exec"),
            "BridgeAdd into a basic bridge is not supported by Asterism",
        );
        ctx.verbose(
            4,
            &crate::site!(FILE, 127, "bridgeadd_exec"),
            &format!(
                "{} failed to join {} in bridge {}",
                ctx.chan.name, other.name, bridge.uniqueid
            ),
        );
        return result(ctx, "FAILURE");
    }
    // A member without a role in a holding bridge is a participant with
    // music.
    let _ = hold(ctx, &bridge, &Role::participant(), None).await;
    result(ctx, "SUCCESS")
}
