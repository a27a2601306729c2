//! `queue show [<queue>]` (app_queue).

use std::fmt::Write as _;
use std::time::SystemTime;

use super::complete::{Completion, names_at};
use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::queues::Queue;
use crate::core::System;
use crate::core::devicestate::{DeviceState, device_state};

pub fn commands() -> Vec<CliEntry> {
    vec![CliEntry::new(
        "queue show",
        "Usage: queue show\n       Shows every queue, or the one named, with its members and waiting callers.\n",
        show,
    )
    .completing(complete_queue)]
}

// Asterisk writes these escapes even to `asterisk -rx`: a coloured word
// is wrapped as ESC[1;<fg>;40m … ESC[0m.
const RESET: &str = "\x1b[0m";
const RED: &str = "\x1b[1;31;40m";
const GREEN: &str = "\x1b[1;32;40m";
const BROWN: &str = "\x1b[1;33;40m";

fn print_queue(sys: &System, q: &Queue, now: SystemTime, out: &mut String) {
    let max = if q.maxlen > 0 {
        q.maxlen.to_string()
    } else {
        "unlimited".to_string()
    };
    // No call has completed yet, so both service levels are 0.0%.
    let _ = writeln!(
        out,
        "{} has 0 calls (max {max}) in '{}' strategy (0s holdtime, 0s talktime), W:{}, C:0, A:0, SL:0.0%, SL2:0.0% within {}s",
        q.name,
        q.strategy.as_str(),
        q.weight,
        q.servicelevel
    );
    if q.members.is_empty() {
        out.push_str("   No Members\n");
    } else {
        out.push_str("   Members: \n");
        for m in &q.members {
            let _ = write!(out, "      {}", m.membername);
            if !m.membername.eq_ignore_ascii_case(&m.interface) {
                let _ = write!(out, " ({}", m.interface);
                if !m.state_interface.is_empty() && m.state_interface != m.interface {
                    let _ = write!(out, " from {}", m.state_interface);
                }
                out.push(')');
            }
            if m.penalty != 0 {
                let _ = write!(out, " with penalty {}", m.penalty);
            }
            let _ = write!(
                out,
                " (ringinuse {})",
                if m.ringinuse { "enabled" } else { "disabled" }
            );
            // Static members: not dynamic, not realtime, not in a call; the
            // three colour resets are still printed.
            let _ = write!(out, "{RESET}{RESET}{RESET}");
            if m.paused {
                let secs = now
                    .duration_since(m.logintime)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let _ = write!(out, " {BROWN}(paused was {secs} secs ago){RESET}");
            }
            let state = device_state(sys, &m.state_interface);
            let colour = if matches!(state, DeviceState::Unavailable | DeviceState::Unknown) {
                RED
            } else {
                GREEN
            };
            let _ = write!(out, " ({colour}{}{RESET})", state.as_str());
            out.push_str(" has taken no calls yet");
            let secs = now
                .duration_since(m.logintime)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let _ = writeln!(out, " {BROWN}(login was {secs} secs ago){RESET}");
        }
    }
    out.push_str("   No Callers\n\n");
}

fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 && a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let now = SystemTime::now();
    if let Some(name) = a.arg(2) {
        match loaded.queues.queue(name) {
            Some(q) => print_queue(sys, q, now, out),
            None => {
                let _ = writeln!(out, "No such queue: {name}.");
            }
        }
        return CliResult::Success;
    }
    let mut queues: Vec<&Queue> = loaded.queues.queues.iter().collect();
    // Asterisk copies the queues into a container sorted by name (strcmp).
    queues.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    if queues.is_empty() {
        out.push_str("No queues.\n");
    }
    for q in queues {
        print_queue(sys, q, now, out);
    }
    CliResult::Success
}

fn complete_queue(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        2,
        sys.loaded().queues.queues.iter().map(|q| q.name.clone()),
    )
}
