//! `confbridge show profile …` and `confbridge show menu(s)`
//! (app_confbridge's config parser commands), and the running
//! conferences' `confbridge list`, `kick`, `mute`/`unmute`,
//! `lock`/`unlock`, `record start`/`stop`.

use std::fmt::Write as _;

use super::complete::{Completion, names_at};
use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::confbridge::{MenuAction, RembBehavior, VideoMode};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "confbridge show profile user",
            "Usage: confbridge show profile user [<profile name>]\n       Shows the settings of one ConfBridge user profile.\n",
            show_user,
        )
        .completing(complete_user_profile),
        CliEntry::new(
            "confbridge show profile bridge",
            "Usage: confbridge show profile bridge <profile name>\n       Shows the settings of one ConfBridge bridge profile.\n",
            show_bridge,
        )
        .completing(complete_bridge_profile),
        CliEntry::new(
            "confbridge show menu",
            "Usage: confbridge show menu [<menu name>]\n       Shows the DTMF actions of one ConfBridge menu.\n",
            show_menu,
        )
        .completing(complete_menu),
        CliEntry::new(
            "confbridge show profile users",
            "Usage: confbridge show profile users\n       Lists the ConfBridge user profiles.\n",
            list_users,
        ),
        CliEntry::new(
            "confbridge show profile bridges",
            "Usage: confbridge show profile bridges\n       Lists the ConfBridge bridge profiles.\n",
            list_bridges,
        ),
        CliEntry::new(
            "confbridge show menus",
            "Usage: confbridge show profile menus\n       Lists the ConfBridge menus.\n",
            list_menus,
        ),
        CliEntry::new(
            "confbridge list",
            "Usage: confbridge list [<name>]\n       Lists the running conferences, or the participants of one.\n\n       Flags of a participant:\n         A - an admin\n         M - a marked user\n         W - waits for a marked user to join\n         E - is kicked once the last marked user leaves\n         m - muted\n         w - waiting for a marked user\n",
            list_conferences,
        ),
        CliEntry::new(
            "confbridge kick",
            "Usage: confbridge kick <conference> <channel>\n       Kicks a channel out of a conference (all: everyone, participants: the non-admins).\n",
            kick,
        ),
        CliEntry::new(
            "confbridge mute",
            "Usage: confbridge mute <conference> <channel>\n       Mutes a channel of a conference (all: everyone, participants: the non-admins);\n       a prefix names the first channel it matches.\n",
            mute,
        ),
        CliEntry::new(
            "confbridge unmute",
            "Usage: confbridge unmute <conference> <channel>\n       Unmutes a channel of a conference (all: everyone, participants: the non-admins);\n       a prefix names the first channel it matches.\n",
            unmute,
        ),
        CliEntry::new(
            "confbridge lock",
            "Usage: confbridge lock <conference>\n       Locks a conference: no new non-admin may join it.\n",
            lock,
        ),
        CliEntry::new(
            "confbridge record start",
            "Usage: confbridge record start <conference> [<file>]\n       Records a conference to <file>, else to the file its bridge profile\n       names, else to confbridge-<conference>-<time>.wav in the monitor directory.\n",
            record_start,
        ),
        CliEntry::new(
            "confbridge record stop",
            "Usage: confbridge record stop <conference>\n       Stops recording a conference.\n",
            record_stop,
        ),
        CliEntry::new(
            "confbridge unlock",
            "Usage: confbridge unlock <conference>\n       Unlocks a locked conference.\n",
            unlock,
        ),
    ]
}

fn yes_no_cli(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// `handle_cli_confbridge_list`.
fn list_conferences(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    match a.argc() {
        2 => {
            out.push_str("Conference Bridge Name           Users  Marked Locked Muted\n");
            out.push_str("================================ ====== ====== ====== =====\n");
            for c in sys.confbridge.all() {
                let _ = writeln!(
                    out,
                    "{:<32} {:>6} {:>6} {:<6} {}",
                    c.name,
                    c.count(),
                    c.marked(),
                    yes_no_cli(c.locked()),
                    yes_no_cli(c.all_muted())
                );
            }
            CliResult::Success
        }
        3 => {
            let name = a.arg(2).unwrap_or("");
            let Some(c) = sys.confbridge.find(name) else {
                let _ = writeln!(out, "No conference bridge named '{name}' found!");
                return CliResult::Success;
            };
            out.push_str("Channel                        Flags  User Profile     Bridge Profile   Menu             CallerID\n");
            out.push_str("============================== ====== ================ ================ ================ ================\n");
            for u in c.users() {
                let cid = u
                    .chan
                    .lock()
                    .caller
                    .id
                    .number()
                    .map(str::to_string)
                    .unwrap_or_else(|| "<unknown>".into());
                let _ = writeln!(
                    out,
                    "{:<30} {:<6} {:<16} {:<16} {:<16} {}",
                    u.chan.name,
                    u.flags(),
                    u.profile.name,
                    u.bridge_profile,
                    u.menu,
                    cid
                );
            }
            CliResult::Success
        }
        _ => CliResult::ShowUsage,
    }
}

/// `handle_cli_confbridge_kick`.
fn kick(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let (name, chan) = (a.arg(2).unwrap_or(""), a.arg(3).unwrap_or(""));
    let Some(c) = sys.confbridge.find(name) else {
        let _ = writeln!(out, "No conference bridge named '{name}' found!");
        return CliResult::Success;
    };
    if crate::apps::confbridge::kick(sys, &c, chan) == 0 {
        if chan.eq_ignore_ascii_case("all") || chan.eq_ignore_ascii_case("participants") {
            out.push_str("No participants found!\n");
        } else {
            let _ = writeln!(out, "No participant named '{chan}' found!");
        }
        return CliResult::Success;
    }
    let _ = writeln!(out, "Kicked '{chan}' out of conference '{name}'");
    CliResult::Success
}

/// `cli_mute_unmute_helper`.
fn mute_unmute(sys: &System, a: &CliArgs<'_>, out: &mut String, mute: bool) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let (name, chan) = (a.arg(2).unwrap_or(""), a.arg(3).unwrap_or(""));
    let Some(c) = sys.confbridge.find(name) else {
        let _ = writeln!(out, "No conference bridge named '{name}' found!");
        return CliResult::Success;
    };
    if !c.mute_matching(chan, mute) {
        if chan.eq_ignore_ascii_case("all") || chan.eq_ignore_ascii_case("participants") {
            let _ = writeln!(out, "No participants found in conference {name}");
        } else {
            let _ = writeln!(out, "No channel named '{chan}' found in conference {name}");
        }
        return CliResult::Success;
    }
    let _ = writeln!(
        out,
        "{} {chan} from confbridge {name}",
        if mute { "Muting" } else { "Unmuting" }
    );
    CliResult::Success
}

fn mute(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    mute_unmute(sys, a, out, true)
}

fn unmute(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    mute_unmute(sys, a, out, false)
}

/// `handle_cli_confbridge_lock` / `_unlock`.
fn lock_unlock(sys: &System, a: &CliArgs<'_>, out: &mut String, lock: bool) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(2).unwrap_or("");
    match sys.confbridge.find(name) {
        None => {
            let _ = writeln!(out, "Conference {name} is not found");
        }
        Some(c) => {
            c.set_locked(lock);
            let _ = writeln!(
                out,
                "Conference {name} is {}.",
                if lock { "locked" } else { "unlocked" }
            );
        }
    }
    CliResult::Success
}

fn lock(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    lock_unlock(sys, a, out, true)
}

fn unlock(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    lock_unlock(sys, a, out, false)
}

/// `handle_cli_confbridge_start_record`.
fn record_start(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let Some(c) = sys.confbridge.find(name) else {
        out.push_str("Conference not found.\n");
        return CliResult::Failure;
    };
    if c.is_recording() {
        out.push_str("Conference is already being recorded.\n");
        return CliResult::Success;
    }
    // A sixth word or more leaves the profile's file, as Asterisk does.
    if a.argc() == 5
        && let Some(file) = a.arg(4).filter(|f| !f.is_empty())
    {
        c.set_record_file(file);
    }
    match c.start_record(sys) {
        Ok(()) => out.push_str("Recording started\n"),
        Err(crate::confbridge::StartError::AlreadyRecording) => {
            out.push_str("Conference is already being recorded.\n");
        }
        Err(crate::confbridge::StartError::Failed) => {
            out.push_str("Could not start recording due to internal error.\n");
            return CliResult::Failure;
        }
    }
    CliResult::Success
}

/// `handle_cli_confbridge_stop_record`.
fn record_stop(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let Some(c) = sys.confbridge.find(name) else {
        out.push_str("Conference not found.\n");
        return CliResult::Success;
    };
    let stopped = c.stop_record(sys).is_ok();
    let _ = writeln!(
        out,
        "Recording {}stopped.",
        if stopped { "" } else { "could not be " }
    );
    CliResult::Success
}

/// Sound lines of `confbridge show profile bridge`, with Asterisk's labels
/// and spacing (uneven, and `sound_lockednow` without its underscore).
const SOUND_LABELS: &[(&str, &str)] = &[
    ("sound_only_person", "sound_only_person:    "),
    ("sound_only_one", "sound_only_one:       "),
    ("sound_has_joined", "sound_has_joined:     "),
    ("sound_has_left", "sound_has_left:       "),
    ("sound_kicked", "sound_kicked:         "),
    ("sound_muted", "sound_muted:          "),
    ("sound_unmuted", "sound_unmuted:        "),
    ("sound_binaural_on", "sound_binaural_on:    "),
    ("sound_binaural_off", "sound_binaural_off:   "),
    ("sound_there_are", "sound_there_are:      "),
    ("sound_other_in_party", "sound_other_in_party: "),
    (
        "sound_place_into_conference",
        "sound_place_into_conference: ",
    ),
    ("sound_wait_for_leader", "sound_wait_for_leader:       "),
    ("sound_leader_has_left", "sound_leader_has_left:       "),
    ("sound_get_pin", "sound_get_pin:        "),
    ("sound_invalid_pin", "sound_invalid_pin:    "),
    ("sound_locked", "sound_locked:         "),
    ("sound_unlocked_now", "sound_unlocked_now:   "),
    ("sound_locked_now", "sound_lockednow:      "),
    ("sound_error_menu", "sound_error_menu:     "),
    ("sound_join", "sound_join:           "),
    ("sound_leave", "sound_leave:          "),
    ("sound_participants_muted", "sound_participants_muted:     "),
    (
        "sound_participants_unmuted",
        "sound_participants_unmuted:     ",
    ),
    ("sound_begin", "sound_begin:          "),
];

fn list_users(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    out.push_str("--------- User Profiles -----------\n");
    for p in &sys.loaded().confbridge.users {
        let _ = writeln!(out, "{}", p.name);
    }
    CliResult::Success
}

fn list_bridges(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    out.push_str("--------- Bridge Profiles -----------\n");
    for p in &sys.loaded().confbridge.bridges {
        let _ = writeln!(out, "{}", p.name);
    }
    CliResult::Success
}

fn list_menus(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    out.push_str("--------- Menus -----------\n");
    for m in &sys.loaded().confbridge.menus {
        let _ = writeln!(out, "{}", m.name);
    }
    CliResult::Success
}

fn flag(b: bool, yes: &'static str, no: &'static str) -> &'static str {
    if b { yes } else { no }
}

fn show_user(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(4).unwrap_or("");
    let loaded = sys.loaded();
    let Some(u) = loaded.confbridge.user(name) else {
        let _ = writeln!(out, "No conference user profile named '{name}' found!");
        return CliResult::Success;
    };
    let tf = |b| flag(b, "true", "false");
    let ed = |b| flag(b, "enabled", "disabled");
    let join_leave = if u.announce_join_leave_review {
        "enabled (with review)"
    } else if u.announce_join_leave {
        "enabled"
    } else {
        "disabled"
    };
    let moh = if u.music_on_hold_class.is_empty() {
        "default"
    } else {
        &u.music_on_hold_class
    };
    let pin = if u.pin.is_empty() { "None" } else { &u.pin };
    let rows: [(&str, String); 27] = [
        ("Name:                    ", u.name.clone()),
        ("Admin:                   ", tf(u.admin).into()),
        ("Send Events:             ", tf(u.send_events).into()),
        ("Echo Events:             ", tf(u.echo_events).into()),
        ("Marked User:             ", tf(u.marked).into()),
        ("Start Muted:             ", tf(u.startmuted).into()),
        (
            "MOH When Empty:          ",
            ed(u.music_on_hold_when_empty).into(),
        ),
        ("MOH Class:               ", moh.into()),
        ("Announcement:            ", u.announcement.clone()),
        ("Quiet:                   ", ed(u.quiet).into()),
        (
            "Hear Join:               ",
            ed(u.hear_own_join_sound).into(),
        ),
        ("Wait Marked:             ", ed(u.wait_marked).into()),
        ("END Marked (All):        ", ed(u.end_marked).into()),
        ("END Marked (Any):        ", ed(u.end_marked_any).into()),
        ("Drop_silence:            ", ed(u.dsp_drop_silence).into()),
        (
            "Silence Threshold:       ",
            format!("{}ms", u.dsp_silence_threshold),
        ),
        (
            "Talking Threshold:       ",
            u.dsp_talking_threshold.to_string(),
        ),
        ("Denoise:                 ", ed(u.denoise).into()),
        ("Jitterbuffer:            ", ed(u.jitterbuffer).into()),
        (
            "Talk Detect Events:      ",
            ed(u.talk_detection_events).into(),
        ),
        ("DTMF Pass Through:       ", ed(u.dtmf_passthrough).into()),
        ("PIN:                     ", pin.into()),
        (
            "Announce User Count:     ",
            ed(u.announce_user_count).into(),
        ),
        ("Announce join/leave:     ", join_leave.into()),
        (
            "Announce User Count all: ",
            ed(u.announce_user_count_all).into(),
        ),
        ("Text Messaging:          ", ed(u.text_messaging).into()),
        ("Answer Channel:          ", tf(u.answer_channel).into()),
    ];
    out.push_str("--------------------------------------------\n");
    for (label, value) in rows {
        let _ = writeln!(out, "{label}{value}");
    }
    out.push('\n');
    CliResult::Success
}

fn show_bridge(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(4).unwrap_or("");
    let loaded = sys.loaded();
    let Some(b) = loaded.confbridge.bridge(name) else {
        let _ = writeln!(out, "No conference bridge profile named '{name}' found!");
        return CliResult::Success;
    };
    let yn = |x| flag(x, "yes", "no");
    out.push_str("--------------------------------------------\n");
    let _ = writeln!(out, "Name:                 {}", b.name);
    let _ = writeln!(out, "Language:             {}", b.language);
    let internal = if b.internal_sample_rate != 0 {
        b.internal_sample_rate.to_string()
    } else {
        "auto".into()
    };
    let _ = writeln!(out, "Internal Sample Rate: {internal}");
    let maximum = if b.maximum_sample_rate != 0 {
        b.maximum_sample_rate.to_string()
    } else {
        "none".into()
    };
    let _ = writeln!(out, "Maximum Sample Rate: {maximum}");
    if b.mixing_interval != 0 {
        let _ = writeln!(out, "Mixing Interval:      {}", b.mixing_interval);
    } else {
        out.push_str("Mixing Interval:      Default 20ms\n");
    }
    let _ = writeln!(out, "Record Conference:    {}", yn(b.record_conference));
    let _ = writeln!(out, "Record File Append:    {}", yn(b.record_file_append));
    let _ = writeln!(
        out,
        "Record File Timestamp: {}",
        yn(b.record_file_timestamp)
    );
    let file = if b.record_file.is_empty() {
        "Auto Generated"
    } else {
        &b.record_file
    };
    let _ = writeln!(out, "Record File:          {file}");
    let _ = writeln!(out, "Record Options:       {}", b.record_options);
    let _ = writeln!(out, "Record Command:       {}", b.record_command);
    if b.max_members != 0 {
        let _ = writeln!(out, "Max Members:          {}", b.max_members);
    } else {
        out.push_str("Max Members:          No Limit\n");
    }
    let _ = writeln!(out, "Registration context: {}", b.regcontext);
    let video = match b.video_mode {
        VideoMode::LastMarked => "last_marked",
        VideoMode::FirstMarked => "first_marked",
        VideoMode::FollowTalker => "follow_talker",
        VideoMode::Sfu => "sfu",
        VideoMode::None => "no video",
    };
    let _ = writeln!(out, "Video Mode:           {video}");
    let _ = writeln!(out, "Video Update Discard: {}", b.video_update_discard);
    let _ = writeln!(out, "REMB Send Interval: {}", b.remb_send_interval);
    let remb = match b.remb_behavior {
        RembBehavior::Average => Some("average"),
        RembBehavior::Lowest => Some("lowest"),
        RembBehavior::Highest => Some("highest"),
        RembBehavior::AverageAll => Some("average_all"),
        RembBehavior::LowestAll => Some("lowest_all"),
        RembBehavior::HighestAll => Some("highest_all"),
        // Asterisk has no line for `force`.
        RembBehavior::Force => None,
    };
    if let Some(r) = remb {
        let _ = writeln!(out, "REMB Behavior:           {r}");
    }
    let _ = writeln!(out, "Enable Events:             {}", yn(b.enable_events));
    for (option, label) in SOUND_LABELS {
        let _ = writeln!(out, "{label}{}", b.sound(option));
    }
    out.push('\n');
    CliResult::Success
}

fn show_menu(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let loaded = sys.loaded();
    let Some(m) = loaded.confbridge.menu(name) else {
        let _ = writeln!(out, "No conference menu named '{name}' found!");
        return CliResult::Success;
    };
    let _ = writeln!(out, "Name: {}", m.name);
    for e in &m.entries {
        let actions: Vec<String> = e.actions.iter().map(MenuAction::display).collect();
        let _ = writeln!(out, "{}={}", e.dtmf, actions.join(", "));
    }
    CliResult::Success
}

fn complete_user_profile(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        4,
        sys.loaded().confbridge.users.iter().map(|p| p.name.clone()),
    )
}

fn complete_bridge_profile(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        4,
        sys.loaded()
            .confbridge
            .bridges
            .iter()
            .map(|p| p.name.clone()),
    )
}

fn complete_menu(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        3,
        sys.loaded().confbridge.menus.iter().map(|m| m.name.clone()),
    )
}
