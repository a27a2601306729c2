//! `queue show [<queue>]` (app_queue).

use std::fmt::Write as _;

use super::complete::{Completion, names_at};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;
use crate::core::devicestate::{DeviceState, device_state};
use crate::queue::{QueueRt, Res};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "queue show",
            "Usage: queue show\n       Shows every queue, or the one named, with its members and waiting callers.\n",
            show,
        )
        .completing(complete_queue),
        CliEntry::new(
            "queue add member",
            "Usage: queue add member <dial string> to <queue> [penalty <penalty> [as <membername> [state_interface <interface> [paused <reason>]]]]\n       Adds a dynamic member to a queue.\n",
            add_member,
        ),
        CliEntry::new(
            "queue remove member",
            "Usage: queue remove member <channel> from <queue>\n       Removes a dynamic member from a queue.\n",
            remove_member,
        ),
        CliEntry::new(
            "queue pause member",
            "Usage: queue {pause|unpause} member <member> [queue <queue> [reason <reason>]]\n       Pauses a member in one queue, or in every queue it is in.\n",
            pause_member,
        ),
        CliEntry::new(
            "queue unpause member",
            "Usage: queue {pause|unpause} member <member> [queue <queue> [reason <reason>]]\n       Unpauses a member in one queue, or in every queue it is in.\n",
            pause_member,
        ),
        CliEntry::new(
            "queue reload",
            "Usage: queue reload {parameters|members|rules|all} [<queuenames>]\n       Reads queues.conf again.\n",
            reload,
        ),
        CliEntry::new(
            "queue reset stats",
            "Usage: queue reset stats [<queuenames>]\n       Sets the queues' counters back to zero.\n",
            reset,
        ),
        CliEntry::new(
            "queue show rules",
            "Usage: queue show rules [rulename]\n       Lists the penalty rules of queuerules.conf, or of one rule list.\n",
            show_rules,
        ),
        CliEntry::new(
            "queue set penalty",
            "Usage: queue set penalty <penalty> on <interface> [in <queue>]\n       Sets a member's penalty in one queue, or in every queue it is in.\n",
            set_penalty,
        ),
        CliEntry::new(
            "queue set ringinuse",
            "Usage: queue set ringinuse <yes/no> on <interface> [in <queue>]\n       Sets whether a member in use is rung, in one queue or in every queue it is in.\n",
            set_ringinuse,
        ),
    ]
}

fn show_rules(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 && a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let wanted = a.arg(3).unwrap_or("");
    let loaded = sys.loaded();
    let to_by = |relative: bool| if relative { "by" } else { "to" };
    for list in &loaded.queuerules.lists {
        if !wanted.is_empty() && !wanted.eq_ignore_ascii_case(&list.name) {
            continue;
        }
        let _ = writeln!(out, "Rule: {}", list.name);
        for r in &list.rules {
            let _ = writeln!(
                out,
                "\tAfter {} seconds, adjust QUEUE_MAX_PENALTY {} {}, adjust QUEUE_MIN_PENALTY {} {} and adjust QUEUE_RAISE_PENALTY {} {}",
                r.time,
                to_by(r.max_relative),
                r.max_value,
                to_by(r.min_relative),
                r.min_value,
                to_by(r.raise_relative),
                r.raise_value
            );
        }
    }
    CliResult::Success
}

/// `queue set <what> <value> on <interface> [in <queue>]`: the value,
/// the interface and the queue (none: every queue).
fn member_value_args<'a>(a: &'a CliArgs<'_>) -> Option<(&'a str, &'a str, Option<&'a str>)> {
    if (a.argc() != 6 && a.argc() != 8)
        || a.arg(4) != Some("on")
        || (a.argc() == 8 && a.arg(6) != Some("in"))
    {
        return None;
    }
    Some((a.arg(3)?, a.arg(5)?, a.arg(7)))
}

/// The answer of both: the queue as given, `(null)` when none was (as
/// Asterisk prints a missing name).
fn member_value_answer(
    out: &mut String,
    what: &str,
    ok: bool,
    interface: &str,
    queue: Option<&str>,
) -> CliResult {
    let queue = queue.unwrap_or("(null)");
    if ok {
        let _ = writeln!(
            out,
            "Set {what} on interface '{interface}' from queue '{queue}'"
        );
        CliResult::Success
    } else {
        let _ = writeln!(
            out,
            "Failed to set {what} on interface '{interface}' from queue '{queue}'"
        );
        CliResult::Failure
    }
}

fn set_penalty(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some((value, interface, queue)) = member_value_args(a) else {
        return CliResult::ShowUsage;
    };
    let penalty = crate::config::views::values::atoi_i32(value);
    let ok = penalty >= 0 && {
        let v = penalty.to_string();
        crate::queue::set_member_value(
            sys,
            queue.unwrap_or(""),
            interface,
            |m| m.penalty = penalty,
            "QueueMemberPenalty",
            ("PENALTY", &v),
        )
    };
    member_value_answer(out, "penalty", ok, interface, queue)
}

fn set_ringinuse(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some((value, interface, queue)) = member_value_args(a) else {
        return CliResult::ShowUsage;
    };
    let on = if crate::config::is_true(value) {
        true
    } else if crate::config::is_false(value) {
        false
    } else {
        return CliResult::ShowUsage;
    };
    let ok = crate::queue::set_member_value(
        sys,
        queue.unwrap_or(""),
        interface,
        |m| m.ringinuse = on,
        "QueueMemberRinginuse",
        ("RINGINUSE", if on { "1" } else { "0" }),
    );
    member_value_answer(out, "ringinuse", ok, interface, queue)
}

// Asterisk writes these escapes even to `asterisk -rx`: a coloured word
// is wrapped as ESC[1;<fg>;40m … ESC[0m.
const RESET: &str = "\x1b[0m";
const RED: &str = "\x1b[1;31;40m";
const GREEN: &str = "\x1b[1;32;40m";
const BROWN: &str = "\x1b[1;33;40m";

const CYAN: &str = "\x1b[1;36;40m";

/// `%2.1f` of a percentage.
fn pct(part: i32, whole: i32) -> String {
    let v = if whole > 0 {
        100.0 * part as f32 / whole as f32
    } else {
        0.0
    };
    format!("{v:.1}")
}

/// `print_queue`: the queue's line, its members, its callers.
fn print_queue(sys: &System, q: &QueueRt, out: &mut String) {
    let now = crate::core::unix_seconds();
    let c = &q.cfg;
    let max = if c.maxlen > 0 {
        c.maxlen.to_string()
    } else {
        "unlimited".to_string()
    };
    let _ = writeln!(
        out,
        "{} has {} calls (max {max}) in '{}' strategy ({}s holdtime, {}s talktime), W:{}, C:{}, A:{}, SL:{}%, SL2:{}% within {}s",
        c.name,
        q.callers.len(),
        c.strategy.as_str(),
        q.holdtime,
        q.talktime,
        c.weight,
        q.completed,
        q.abandoned,
        pct(q.completed_in_sl, q.completed),
        pct(
            q.abandoned_in_sl + q.completed_in_sl,
            q.abandoned + q.completed
        ),
        c.servicelevel
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
            // Dynamic, realtime (never here), in call: each a coloured
            // word or nothing, each followed by a reset.
            if m.dynamic {
                let _ = write!(out, "{CYAN} (dynamic){RESET}");
            } else {
                out.push_str(RESET);
            }
            out.push_str(RESET);
            if m.in_call {
                let _ = write!(out, "{BROWN} (in call){RESET}");
            } else {
                out.push_str(RESET);
            }
            if m.paused {
                let reason = if m.reason_paused.is_empty() {
                    String::new()
                } else {
                    format!(":{}", m.reason_paused)
                };
                let _ = write!(
                    out,
                    " {BROWN}(paused{reason} was {} secs ago){RESET}",
                    now - m.lastpause
                );
            }
            let state = device_state(sys, &m.state_interface);
            let colour = if matches!(state, DeviceState::Unavailable | DeviceState::Unknown) {
                RED
            } else {
                GREEN
            };
            let _ = write!(out, " ({colour}{}{RESET})", state.as_str());
            if m.calls > 0 {
                let _ = write!(
                    out,
                    " has taken {} calls (last was {} secs ago)",
                    m.calls,
                    now - m.lastcall
                );
            } else {
                out.push_str(" has taken no calls yet");
            }
            let _ = writeln!(
                out,
                " {BROWN}(login was {} secs ago){RESET}",
                now - m.logintime
            );
        }
    }
    if q.callers.is_empty() {
        out.push_str("   No Callers\n");
    } else {
        out.push_str("   Callers: \n");
        for (i, e) in q.callers.iter().enumerate() {
            let wait = now - e.start_secs;
            let _ = writeln!(
                out,
                "      {}. {} (wait: {}:{:02}, prio: {})",
                i + 1,
                e.chan.name,
                wait / 60,
                wait % 60,
                e.prio
            );
        }
    }
    out.push('\n');
}

fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 && a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    if let Some(name) = a.arg(2) {
        if sys
            .queues
            .with_queue(sys, name, |q| print_queue(sys, q, out))
            .is_none()
        {
            let _ = writeln!(out, "No such queue: {name}.");
        }
        return CliResult::Success;
    }
    // Asterisk copies the queues into a container sorted by name (strcmp).
    let mut names = sys.queues.names(sys);
    names.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    if names.is_empty() {
        out.push_str("No queues.\n");
    }
    for name in names {
        sys.queues
            .with_queue(sys, &name, |q| print_queue(sys, q, out));
    }
    CliResult::Success
}

/// `queue add member <dial string> to <queue> [penalty <penalty> [as
/// <membername> [state_interface <interface> [paused <reason>]]]]`
fn add_member(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let n = a.argc();
    let word = |i: usize| a.arg(i).unwrap_or("");
    if ![6, 8, 10, 12, 14].contains(&n)
        || word(4) != "to"
        || (n >= 8 && word(6) != "penalty")
        || (n >= 10 && word(8) != "as")
        || (n >= 12 && word(10) != "state_interface")
        || (n == 14 && word(12) != "paused")
    {
        return CliResult::ShowUsage;
    }
    let (queue, interface) = (word(5), word(3));
    let penalty = if n >= 8 {
        match crate::config::views::values::scan_d(word(7)) {
            Some(p) if p >= 0 => p as i32,
            Some(_) => {
                out.push_str("Penalty must be >= 0\n");
                0
            }
            None => {
                out.push_str("Penalty must be an integer >= 0\n");
                0
            }
        }
    } else {
        0
    };
    let membername = if n >= 10 { word(9) } else { "" };
    let state = if n >= 12 { word(11) } else { "" };
    let (paused, reason) = if n >= 14 {
        (true, word(13))
    } else {
        (false, "")
    };
    match crate::queue::add_member(
        sys, queue, interface, membername, penalty, paused, state, reason, 0, "CLI",
    ) {
        Res::Okay => {
            let _ = writeln!(out, "Added interface '{interface}' to queue '{queue}'");
            CliResult::Success
        }
        Res::Exists => {
            let _ = writeln!(
                out,
                "Unable to add interface '{interface}' to queue '{queue}': Already there"
            );
            CliResult::Failure
        }
        _ => {
            let _ = writeln!(
                out,
                "Unable to add interface to queue '{queue}': No such queue"
            );
            CliResult::Failure
        }
    }
}

/// `queue remove member <channel> from <queue>`
fn remove_member(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let word = |i: usize| a.arg(i).unwrap_or("");
    if a.argc() != 6 || word(4) != "from" {
        return CliResult::ShowUsage;
    }
    let (queue, interface) = (word(5), word(3));
    match crate::queue::remove_member(sys, queue, interface, "CLI") {
        Res::Okay => {
            let _ = writeln!(out, "Removed interface {interface} from queue '{queue}'");
            CliResult::Success
        }
        Res::Exists => {
            let _ = writeln!(
                out,
                "Unable to remove interface '{interface}' from queue '{queue}': Not there"
            );
            CliResult::Failure
        }
        Res::NoSuchQueue => {
            let _ = writeln!(
                out,
                "Unable to remove interface from queue '{queue}': No such queue"
            );
            CliResult::Failure
        }
        Res::NotDynamic => {
            let _ = writeln!(
                out,
                "Unable to remove interface '{interface}' from queue '{queue}': Member is not dynamic"
            );
            CliResult::Failure
        }
    }
}

/// `queue {pause|unpause} member <member> [queue <queue> [reason <reason>]]`
fn pause_member(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let n = a.argc();
    let word = |i: usize| a.arg(i).unwrap_or("");
    if n < 4
        || n == 5
        || n == 7
        || n > 8
        || (n >= 5 && word(4) != "queue")
        || (n == 8 && word(6) != "reason")
    {
        return CliResult::ShowUsage;
    }
    let paused = word(0) == "pause" || word(1) == "pause";
    let interface = word(3);
    let queue = if n >= 6 { word(5) } else { "" };
    let reason = if n == 8 { word(7) } else { "" };
    let ok = crate::queue::pause_member(sys, queue, interface, reason, paused);
    let un = if paused { "" } else { "un" };
    if ok {
        let _ = write!(out, "{un}paused interface '{interface}'");
    } else {
        let _ = write!(out, "Unable to {un}pause interface '{interface}'");
    }
    if !queue.is_empty() {
        let _ = write!(out, " in queue '{queue}'");
    }
    if !reason.is_empty() {
        let _ = write!(out, " for reason '{reason}'");
    }
    out.push('\n');
    if ok {
        CliResult::Success
    } else {
        CliResult::Failure
    }
}

/// `queue reload {parameters|members|rules|all} [<queuenames>]`: queues.conf
/// read again (every part at once: parameters and members are not
/// reloaded apart).
fn reload(sys: &System, a: &CliArgs<'_>, _out: &mut String) -> CliResult {
    let what = a.arg(2).unwrap_or("").to_ascii_lowercase();
    if !["parameters", "members", "rules", "all"].contains(&what.as_str()) {
        return CliResult::ShowUsage;
    }
    match sys.reload(&[crate::core::Part::Queues]) {
        Ok(()) => CliResult::Success,
        Err(_) => CliResult::Failure,
    }
}

/// `queue reset stats [<queuenames>]`
fn reset(sys: &System, a: &CliArgs<'_>, _out: &mut String) -> CliResult {
    if a.argc() < 3 {
        return CliResult::ShowUsage;
    }
    if a.argc() == 3 {
        sys.queues.reset_stats(sys, "");
    }
    for i in 3..a.argc() {
        sys.queues.reset_stats(sys, a.arg(i).unwrap_or(""));
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

#[cfg(test)]
mod tests {
    #[test]
    fn members_from_the_cli() {
        let (_dir, sys) = crate::funcs::test_system(&[
            ("modules.conf", "[modules]\nautoload = yes\n"),
            ("queues.conf", "[support]\nmember => Custom:a\n"),
        ]);
        let rx = |c: &str| crate::cli::execute(&sys, c);
        assert_eq!(
            rx("queue add member Custom:x to support penalty 2 as Xavier"),
            "Added interface 'Custom:x' to queue 'support'\n"
        );
        assert!(
            rx("queue add member Custom:x to support").starts_with(
                "Unable to add interface 'Custom:x' to queue 'support': Already there\n"
            )
        );
        assert!(
            rx("queue add member Custom:x to nosuch")
                .starts_with("Unable to add interface to queue 'nosuch': No such queue\n")
        );
        assert_eq!(
            rx("queue pause member Custom:x queue support reason lunch"),
            "paused interface 'Custom:x' in queue 'support' for reason 'lunch'\n"
        );
        let show = rx("queue show support");
        assert!(show.contains("      Xavier (Custom:x) with penalty 2 (ringinuse enabled)\x1b[1;36;40m (dynamic)\x1b[0m\x1b[0m\x1b[0m \x1b[1;33;40m(paused:lunch was 0 secs ago)\x1b[0m"), "{show}");
        assert!(
            rx("queue unpause member Custom:nobody")
                .starts_with("Unable to unpause interface 'Custom:nobody'\n")
        );
        assert!(rx("queue remove member Custom:a from support").starts_with(
            "Unable to remove interface 'Custom:a' from queue 'support': Member is not dynamic\n"
        ));
        assert_eq!(
            rx("queue remove member Custom:x from support"),
            "Removed interface Custom:x from queue 'support'\n"
        );
        assert!(!rx("queue show support").contains("Xavier"));
    }
}
