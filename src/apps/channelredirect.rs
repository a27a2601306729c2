//! ChannelRedirect (Asterisk's `app_channelredirect.c`): sends another
//! channel to a place in the dialplan; CHANNELREDIRECT_STATUS says
//! whether the channel was found.

use super::{App, AppCtx, AppExit, AppResult, Run, separate_args};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "ChannelRedirect",
        run: Run::Now(channelredirect_exec),
        synopsis: "Sends another channel to a dialplan location.",
        syntax: "ChannelRedirect(channel,[[context,]extension,]priority)",
    }]
}

const USAGE: &str = "ChannelRedirect requires an argument (channel,[[context,]exten,]priority)";

fn channelredirect_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_channelredirect.c", 82, "asyncgoto_exec"),
            USAGE,
        );
        return Err(AppExit::Hangup);
    }
    let args = separate_args(data, ',', 2);
    let channel = args.first().map(String::as_str).unwrap_or("");
    let label = args.get(1).map(String::as_str).unwrap_or("");
    if channel.is_empty() || label.is_empty() {
        ctx.warning(
            crate::site!("app_channelredirect.c", 90, "asyncgoto_exec"),
            USAGE,
        );
        return Err(AppExit::Hangup);
    }
    let Some(target) = ctx.sys.pbx.channels.by_name(channel) else {
        ctx.warning(
            crate::site!("app_channelredirect.c", 95, "asyncgoto_exec"),
            &format!("No such channel: {channel}"),
        );
        ctx.set_var("CHANNELREDIRECT_STATUS", Some("NOCHANNEL"));
        return Ok(());
    };
    let other = AppCtx {
        sys: ctx.sys.clone(),
        chan: target,
    };
    // The status is SUCCESS even when the location does not parse; the
    // application then ends the caller's dialplan, as Asterisk's does.
    let res = crate::pbx::run::async_parseable_goto(&other, label);
    ctx.set_var("CHANNELREDIRECT_STATUS", Some("SUCCESS"));
    res.map_err(|()| AppExit::Hangup)
}
