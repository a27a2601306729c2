//! The Bridge application (`bridge_exec` in `main/features.c`): the
//! caller joins another channel in a new basic bridge; BRIDGERESULT says
//! how it went.

use std::sync::Arc;

use super::{App, AppCtx, AppFuture};
use crate::channels::bridge::{AfterBridge, Bridge};
use crate::channels::bridge_basic::{self, AddError};
use crate::channels::{ChanState, Channel};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Bridge",
        run: super::Run::Wait(bridge_exec),
        synopsis: "Joins the caller and another channel in a new bridge.",
        syntax: "Bridge(channel[,options])",
    }]
}

/// The option letters `bridge_exec` knows.
const OPTIONS: &str = "pFhHkKLnStTwWx";

/// Options Asterism does not act on: `p` (the transfer sound played to
/// the other channel) and `L` (the call duration limit and its warnings).
pub const UNSUPPORTED_OPTIONS: &str = "pL";

fn bridge_exec<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let result = run(ctx, &data).await;
        ctx.set_var("BRIDGERESULT", Some(result));
        Ok(())
    })
}

/// The bridge, start to end; the BRIDGERESULT it leaves.
async fn run(ctx: &AppCtx, data: &str) -> &'static str {
    let args = super::separate_args(data, ',', 2);
    let dest_name = args.first().map(String::as_str).unwrap_or("");
    let optstr = args.get(1).map(String::as_str).unwrap_or("");
    let opts = if optstr.is_empty() {
        super::options::Options::default()
    } else {
        // A bad option string is logged and the call goes on without it.
        super::options::parse(&ctx.sys.pbx.logger, optstr, OPTIONS).unwrap_or_default()
    };
    let dest = if dest_name.is_empty() {
        None
    } else {
        crate::manager::actions::bridge::channel_by_prefix(&ctx.sys, dest_name)
    };
    let Some(dest) = dest else {
        ctx.verbose(
            4,
            crate::site!("features.c", 1061, "bridge_exec"),
            &format!("Bridge failed because channel '{dest_name}' does not exist"),
        );
        return "NONEXISTENT";
    };
    if Arc::ptr_eq(&dest, &ctx.chan) {
        ctx.warning(
            crate::site!("features.c", 1070, "bridge_exec"),
            &format!("Unable to bridge channel {} with itself", ctx.chan.name),
        );
        return "LOOP";
    }
    let after = after_bridge(ctx, &dest, &opts);
    // pre_bridge_setup: the features of both (the callee's letters are
    // lower-case; `x` is not automixmon here), then the caller answers.
    bridge_basic::set_dial_features(ctx, &dest, |c| {
        !matches!(c, 'x' | 'X') && "hHkKtTwW".contains(c) && opts.has(c)
    });
    if !opts.has('n') && ctx.chan.state() != ChanState::Up {
        ctx.chan.answer();
    }
    let bridge = Bridge::create(&ctx.sys.pbx.channels.events);
    bridge.update_connected_lines_on_join(&ctx.chan);
    if let Err(e) = bridge_basic::add_channel(&ctx.sys, &bridge, &dest, after).await {
        not_added(ctx, &dest, e);
        bridge.destroy();
        return "FAILURE";
    }
    bridge.join(&ctx.chan);
    bridge_basic::run_until_over(&ctx.sys, &bridge, &ctx.chan, &dest).await;
    "SUCCESS"
}

/// Where the other channel goes once the bridge is over for it: `F`
/// with a location (relative to the caller's), `F` alone (the caller's
/// next priority), `x` (nowhere: it hangs up), else its own next
/// priority.
fn after_bridge(ctx: &AppCtx, dest: &Channel, opts: &super::options::Options) -> AfterBridge {
    let here = |c: &Channel| {
        let d = c.lock();
        (d.context.clone(), d.exten.clone(), d.priority)
    };
    if opts.has('F') {
        let (context, exten, priority) = here(&ctx.chan);
        let goto = opts.arg('F').filter(|a| !a.is_empty()).map(str::to_string);
        return AfterBridge::GoOn {
            context,
            exten,
            priority,
            goto,
        };
    }
    if opts.has('x') {
        return AfterBridge::Hangup;
    }
    let (context, exten, priority) = here(dest);
    AfterBridge::GoOn {
        context,
        exten,
        priority,
        goto: None,
    }
}

/// What is logged when the other channel could not be taken.
fn not_added(ctx: &AppCtx, dest: &Channel, e: AddError) {
    match e {
        AddError::Gone => ctx.warning(
            crate::site!("bridge.c", 2718, "ast_bridge_add_channel"),
            &format!("Could not gain control of channel {}", dest.name),
        ),
        // What Asterisk does here is not built: said in our own words.
        AddError::InBridge => ctx.warning(
            crate::site!("bridge.c", 0, "ast_bridge_add_channel"),
            &format!(
                "Bridge of {}: a member of another bridge cannot be moved by Asterism yet",
                dest.name
            ),
        ),
        AddError::NoPbx => ctx.warning(
            crate::site!("bridge.c", 0, "ast_bridge_add_channel"),
            &format!(
                "Bridge of {}: a channel no dialplan runs cannot be taken by Asterism yet",
                dest.name
            ),
        ),
    }
}
