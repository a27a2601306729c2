//! The logger's CLI: `logger show channels`, `logger show levels`, and the
//! per-console settings `core set verbose` and `logger mute` (Asterisk's
//! `main/cli.c`).

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult, pad};
use crate::config::views::logger::{LogChannelKind, LoggerConf, module_levels};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "logger show channels",
            "Usage: logger show channels\n       Lists the log channels and the levels each one takes.\n",
            show_channels,
        ),
        CliEntry::new(
            "logger show levels",
            "Usage: logger show levels\n       Lists the log levels and their numbers.\n",
            show_levels,
        ),
        CliEntry::new(
            "core set verbose",
            "Usage: core set verbose [atleast] <level> [silent]\n       core set verbose off\n\n       Sets how many verbose messages this console shows; 0 or off shows\n       none. 'silent' does not report the change. Same as -v at startup.\n",
            set_verbose,
        )
        .completing(complete_verbose),
        CliEntry::new(
            "logger mute",
            "Usage: logger mute\n       Stops (or, again, restarts) log and verbose output on this console,\n       so command output can be read without lines scrolling past.\n",
            logger_mute,
        )
        .summary("Mutes or unmutes log output on this console"),
        CliEntry::new(
            "logger reload",
            "Usage: logger reload\n       Reads logger.conf again and reopens the log channels.\n",
            reload,
        ),
        CliEntry::new(
            "logger rotate",
            "Usage: logger rotate\n       Rotates the log files and reopens them.\n",
            rotate,
        ),
    ]
}

fn reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    // An alternative configuration file (`logger reload <file>`) is not
    // supported: only logger.conf is read.
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    super::core::reload_one(sys, crate::core::Part::Logger, out);
    CliResult::Success
}

fn rotate(sys: &System, a: &CliArgs<'_>, _: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    let conf = sys.loaded().logger.clone();
    sys.pbx.logger.rotate(&conf, &sys.conf.dirs.log);
    CliResult::Success
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// `%-35.35s %-8.8s %-10.10s %-9.9s `.
fn row(out: &mut String, cols: [&str; 4]) {
    let _ = write!(
        out,
        "{} {} {} {} ",
        pad(cols[0], 35),
        pad(cols[1], 8),
        pad(cols[2], 10),
        pad(cols[3], 9)
    );
}

fn show_channels(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let logger = &loaded.logger;
    let known = logger.levels(&module_levels(&loaded.modules));
    let host = logger.general.appendhostname.then(hostname);
    let _ = writeln!(
        out,
        "Logger queue limit: {}\n",
        logger.general.logger_queue_limit
    );
    row(out, ["Channel", "Type", "Formatter", "Status"]);
    out.push_str("Configuration\n");
    row(out, ["-------", "----", "---------", "------"]);
    out.push_str("-------------\n");
    // Each channel is put at the head of the list: newest first.
    for c in logger.channels.iter().rev() {
        let (file, kind) = match &c.kind {
            LogChannelKind::Console => (String::new(), "Console"),
            LogChannelKind::Syslog { .. } => (c.name.clone(), "Syslog"),
            LogChannelKind::File => (
                c.file_path(&sys.conf.dirs.log, host.as_deref())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                "File",
            ),
        };
        row(out, [&file, kind, c.formatter.as_str(), "Enabled"]);
        out.push_str(" - ");
        for level in c.mask(&known) {
            let _ = write!(out, "{level} ");
        }
        out.push('\n');
    }
    out.push('\n');
    CliResult::Success
}

fn show_levels(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let known = loaded.logger.levels(&module_levels(&loaded.modules));
    out.push_str("Level Name\n----- ----\n");
    for (n, name) in known.iter().enumerate() {
        let _ = writeln!(out, "{:>5} {name}", LoggerConf::level_index(n));
    }
    out.push('\n');
    CliResult::Success
}

/// `core set verbose`: the level of the console it is typed on (each
/// remote console has its own; the foreground console's is the core's).
fn set_verbose(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let words: Vec<&str> = a.argv[3..].iter().map(String::as_str).collect();
    let (new, atleast, silent) = match words.as_slice() {
        [] => return CliResult::ShowUsage,
        [off] if off.eq_ignore_ascii_case("off") => (0, false, false),
        [first, rest @ ..] => {
            let atleast = first.eq_ignore_ascii_case("atleast");
            let rest = if atleast { rest } else { &words[..] };
            let (level, silent) = match rest {
                [level] => (level, false),
                [level, s] if s.eq_ignore_ascii_case("silent") => (level, true),
                _ => return CliResult::ShowUsage,
            };
            match scan_int(level) {
                Some(n) => (n.max(0) as u32, atleast, silent),
                None => return CliResult::ShowUsage,
            }
        }
    };
    let logger = &sys.pbx.logger;
    let old = logger.console_verbose();
    let new = if !atleast || new > old {
        logger.set_console_verbose(new);
        new
    } else {
        old
    };
    if !silent {
        let show = |n: u32| {
            if n == 0 {
                "OFF".to_string()
            } else {
                n.to_string()
            }
        };
        if old == new {
            let _ = writeln!(out, "Console verbose is still {}.", show(old));
        } else {
            let _ = writeln!(
                out,
                "Console verbose was {} and is now {}.",
                show(old),
                show(new)
            );
        }
    }
    CliResult::Success
}

/// The level as `handle_verbose` reads it: `sscanf("%30d")`.
fn scan_int(s: &str) -> Option<i32> {
    crate::funcs::c::scan_int(s).map(|(n, _)| n)
}

/// `logger mute [silent]`: turns this remote console's log output off or
/// back on.
fn logger_mute(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if !(2..=3).contains(&a.argc()) {
        return CliResult::ShowUsage;
    }
    let silent = a.arg(2).is_some_and(|w| w.eq_ignore_ascii_case("silent"));
    match sys.pbx.logger.toggle_console_mute() {
        Some(_) if silent => {}
        Some(true) => out.push_str("Console is muted.\n"),
        Some(false) => out.push_str("Console is not muted anymore.\n"),
        None => out.push_str("Couldn't find remote console.\n"),
    }
    CliResult::Success
}

/// `off`, `atleast` and `silent` where `core set verbose` takes them.
fn complete_verbose(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    let atleast = c.arg(3).eq_ignore_ascii_case("atleast");
    match c.pos {
        3 => starting_with(c.word, ["atleast", "off"]),
        4 if !atleast && !c.arg(3).eq_ignore_ascii_case("off") => starting_with(c.word, ["silent"]),
        5 if atleast => starting_with(c.word, ["silent"]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_like_sscanf() {
        assert_eq!(scan_int("3"), Some(3));
        assert_eq!(scan_int(" 12abc"), Some(12));
        assert_eq!(scan_int("-2"), Some(-2));
        assert_eq!(scan_int("off"), None);
        assert_eq!(scan_int(""), None);
    }
}
