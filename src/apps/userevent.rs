//! UserEvent (Asterisk's `apps/app_userevent.c`): sends a custom event to
//! AMI and ARI subscribers.

use super::{App, AppCtx, AppResult, Run, split_args};
use crate::core::events::EventKind;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "UserEvent",
        run: Run::Now(userevent),
        synopsis: "Sends a custom event to manager and ARI listeners.",
        syntax: "UserEvent(eventname[,body])",
    }]
}

fn userevent(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_userevent.c", 86, "userevent_exec"),
            "UserEvent requires an argument (eventname,optional event body)",
        );
        return Err(super::AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let name = args.first().cloned().unwrap_or_default();
    let mut headers = Vec::new();
    for extra in args.iter().skip(1) {
        match extra.split_once(':') {
            Some((k, v)) => headers.push((k.trim().to_string(), v.trim_start().to_string())),
            None => {
                ctx.warning(
                    crate::site!("app_userevent.c", 0, "userevent_exec"),
                    &format!("Malformed argument {extra} in UserEvent. Skipping this argument."),
                );
            }
        }
    }
    ctx.chan.emit(EventKind::UserEvent { name, headers });
    Ok(())
}
