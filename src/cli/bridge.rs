//! The bridging core's commands (`main/bridge.c`): `bridge show all`,
//! `bridge show <id>`, `bridge kick`, `bridge technology show` and
//! `bridge technology suspend|unsuspend`. (`bridge destroy` exists only
//! in an Asterisk built with developer mode, which the reference is not.)

use std::fmt::Write as _;

use super::complete::{Completion, names_at, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;
use crate::manager::actions::bridge as actions;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "bridge show all",
            "Usage: bridge show all\n       Lists every bridge.\n",
            show_all,
        ),
        CliEntry::new(
            "bridge show",
            "Usage: bridge show <bridge-id>\n       Shows one bridge and the channels in it.\n",
            show,
        )
        .completing(complete_bridge),
        CliEntry::new(
            "bridge kick",
            "Usage: bridge kick <bridge-id> <channel-name | all>\n       Makes a channel (or, with all, every channel) leave the bridge.\n",
            kick,
        )
        .completing(complete_kick),
        CliEntry::new(
            "bridge technology show",
            "Usage: bridge technology show\n       Lists the bridge technologies.\n",
            technology_show,
        ),
        CliEntry::new(
            "bridge technology {suspend|unsuspend}",
            "Usage: bridge technology {suspend|unsuspend} <technology-name>\n       Keeps new bridges from choosing a technology, or lets them again.\n",
            technology_suspend,
        )
        .completing(complete_technology),
    ]
}

/// `ast_format_duration_hh_mm_ss`.
fn hh_mm_ss(secs: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "<unknown>" } else { s }
}

/// `handle_bridge_show_all`: the bridges in uniqueid order.
fn show_all(sys: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    let _ = writeln!(
        out,
        "{:<36} {:<36} {:>5} {:<15} {:<15} Duration",
        "Bridge-ID", "Name", "Chans", "Type", "Technology"
    );
    for b in sys.pbx.channels.events.bridges().all() {
        let snap = b.snapshot();
        let _ = writeln!(
            out,
            "{:<36} {:<36} {:>5} {:<15} {:<15} {}",
            snap.uniqueid,
            or_unknown(&snap.name),
            snap.num_channels,
            or_unknown(snap.bridge_type),
            or_unknown(snap.technology),
            hh_mm_ss(b.age().as_secs())
        );
    }
    CliResult::Success
}

/// `handle_bridge_show_specific`.
fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let id = a.arg(2).unwrap_or("");
    let Some(b) = sys.pbx.channels.events.bridges().find(id) else {
        let _ = writeln!(out, "Bridge '{id}' not found");
        return CliResult::Success;
    };
    let snap = b.snapshot();
    let video_mode = if snap.video_mode.is_empty() {
        "none"
    } else {
        snap.video_mode
    };
    let _ = writeln!(out, "Id: {}", snap.uniqueid);
    let _ = writeln!(out, "Type: {}", or_unknown(snap.bridge_type));
    let _ = writeln!(out, "Technology: {}", or_unknown(snap.technology));
    let _ = writeln!(out, "Subclass: {}", snap.bridge_type);
    let _ = writeln!(out, "Creator: {}", snap.creator);
    let _ = writeln!(out, "Name: {}", snap.name);
    let _ = writeln!(out, "Video-Mode: {video_mode}");
    let _ = writeln!(out, "Video-Source-Id: {}", snap.video_source);
    let _ = writeln!(out, "Num-Channels: {}", snap.num_channels);
    // No member is ever suspended here: all of them are active.
    let _ = writeln!(out, "Num-Active: {}", snap.num_channels);
    let _ = writeln!(out, "Duration: {}", hh_mm_ss(b.age().as_secs()));
    for c in actions::members_by_uniqueid(&b) {
        let _ = writeln!(out, "Channel: {}", c.published_snapshot().name);
    }
    CliResult::Success
}

/// `handle_bridge_kick_channel`.
fn kick(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let (id, who) = (a.arg(2).unwrap_or(""), a.arg(3).unwrap_or(""));
    let Some(b) = sys.pbx.channels.events.bridges().find(id) else {
        let _ = writeln!(out, "Bridge '{id}' not found");
        return CliResult::Success;
    };
    if who.eq_ignore_ascii_case("all") {
        let _ = writeln!(out, "Kicking all channels from bridge '{id}'");
        for m in b.members() {
            let _ = b.kick(&m);
        }
        return CliResult::Success;
    }
    let Some(chan) = actions::channel_by_prefix(sys, who) else {
        let _ = writeln!(out, "Channel '{who}' not found");
        return CliResult::Success;
    };
    let _ = writeln!(out, "Kicking channel '{}' from bridge '{id}'", chan.name);
    // Asterisk says the same whether or not the channel was a member.
    let _ = b.kick(&chan);
    CliResult::Success
}

/// `handle_bridge_technology_show`.
fn technology_show(sys: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    let _ = writeln!(
        out,
        "{:<20} {:<20} {:>8} Suspended",
        "Name", "Type", "Priority"
    );
    let bridges = sys.pbx.channels.events.bridges();
    for t in actions::technologies(sys) {
        let suspended = if bridges.is_suspended(t.name) {
            "Yes"
        } else {
            "No"
        };
        let _ = writeln!(
            out,
            "{:<20} {:<20} {:>8} {suspended}",
            t.name, t.kind, t.preference
        );
    }
    CliResult::Success
}

/// `handle_bridge_technology_suspend`.
fn technology_suspend(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let suspend = a.arg(2).is_some_and(|w| w.eq_ignore_ascii_case("suspend"));
    let name = a.arg(3).unwrap_or("");
    match actions::technology(sys, name) {
        Some(t) => {
            sys.pbx.channels.events.bridges().suspend(t.name, suspend);
            let verb = if suspend { "Suspended" } else { "Unsuspended" };
            let _ = writeln!(out, "{verb} bridge technology '{name}'");
        }
        None => {
            let _ = writeln!(out, "Bridge technology '{name}' not found");
        }
    }
    CliResult::Success
}

fn bridge_ids(sys: &System) -> Vec<String> {
    sys.pbx
        .channels
        .events
        .bridges()
        .all()
        .iter()
        .map(|b| b.uniqueid.clone())
        .collect()
}

fn complete_bridge(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(c, 2, bridge_ids(sys))
}

/// The bridge, then `all` and the bridge's members.
fn complete_kick(sys: &System, c: &Completion<'_>) -> Vec<String> {
    match c.pos {
        2 => names_at(c, 2, bridge_ids(sys)),
        3 => {
            let mut names = starting_with(c.word, ["all"]);
            let id = c.argv.get(2).map(String::as_str).unwrap_or("");
            if let Some(b) = sys.pbx.channels.events.bridges().find(id) {
                names.extend(starting_with(
                    c.word,
                    b.members().iter().map(|m| m.name.clone()),
                ));
            }
            names
        }
        _ => Vec::new(),
    }
}

fn complete_technology(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        3,
        actions::technologies(sys)
            .iter()
            .map(|t| t.name.to_string()),
    )
}
