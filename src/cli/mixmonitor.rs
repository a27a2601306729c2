//! `mixmonitor {start|stop|list}` (app_mixmonitor's CLI): MixMonitor and
//! StopMixMonitor run on a channel from the console, and its recordings
//! listed.

use super::complete::{Completion, channels_at};
use super::{CliArgs, CliEntry, CliResult};
use crate::apps::{AppCtx, mixmonitor};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "mixmonitor {start|stop|list}",
            "Usage: mixmonitor start <chan_name> [args]\n         Runs MixMonitor on the channel; the arguments are the application's.\n       mixmonitor stop <chan_name> [args]\n         Runs StopMixMonitor on the channel, with its arguments.\n       mixmonitor list <chan_name>\n",
            mixmonitor_cli,
        )
        .summary("Execute a MixMonitor command")
        .completing(complete),
    ]
}

fn complete(sys: &System, c: &Completion<'_>) -> Vec<String> {
    channels_at(sys, c, 2)
}

fn mixmonitor_cli(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    use std::fmt::Write as _;
    if a.argc() < 3 {
        return CliResult::ShowUsage;
    }
    let wanted = a.arg(2).unwrap_or("");
    // `ast_channel_get_by_name_prefix`: the first channel whose name
    // starts with it.
    let Some(chan) = sys.pbx.channels.by_prefix(wanted).into_iter().next() else {
        let _ = writeln!(out, "No channel matching '{wanted}' found.");
        return CliResult::Success;
    };
    let rest = a.arg(3).unwrap_or("").to_string();
    match a.arg(1).map(str::to_ascii_lowercase).as_deref() {
        Some("start") => {
            let ctx = AppCtx {
                sys: sys.arc(),
                chan,
            };
            // The `p` beep plays to the channel: the recording starts in
            // a task of its own rather than holding the console.
            tokio::spawn(async move {
                let _ = mixmonitor::start(&ctx, &rest).await;
            });
        }
        Some("stop") => {
            mixmonitor::stop(sys, &chan, &rest);
        }
        Some("list") => mixmonitor::list(&chan, out),
        _ => return CliResult::ShowUsage,
    }
    CliResult::Success
}
