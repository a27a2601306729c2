//! The logger's CLI: `logger show channels`, `logger show levels`.

use std::fmt::Write as _;

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
    ]
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
