//! `moh show classes` (res_musiconhold).

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::musiconhold::{KillMethod, files_class_loads};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "moh reload",
            "Usage: moh reload\n       Reads musiconhold.conf again.\n",
            reload,
        ),
        CliEntry::new(
            "moh show classes",
            "Usage: moh show classes\n       Lists every music on hold class with its mode and directory.\n",
            show_classes,
        ),
        CliEntry::new(
            "moh show files",
            "Usage: moh show files\n       Lists the files each music on hold class plays.\n",
            show_files,
        ),
    ]
}

fn reload(sys: &System, a: &CliArgs<'_>, _: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    // Through the module loader, as Asterisk does: a Reload event follows.
    crate::core::modules::reload(sys, Some("res_musiconhold"));
    CliResult::Success
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "<none>" } else { s }
}

fn show_files(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    for c in &loaded.moh.classes {
        let files = crate::apps::moh::class_files(sys, c);
        if files.is_empty() {
            continue;
        }
        let _ = writeln!(out, "Class: {}", c.name);
        for f in files {
            let _ = writeln!(out, "\tFile: {f}");
        }
    }
    CliResult::Success
}

fn show_classes(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let data = &sys.conf.dirs.data;
    for c in loaded
        .moh
        .classes
        .iter()
        .filter(|c| files_class_loads(c, data))
    {
        let _ = writeln!(out, "Class: {}", c.name);
        let _ = writeln!(out, "\tMode: {}", or_none(&c.mode));
        let _ = writeln!(out, "\tDirectory: {}", or_none(&c.directory));
        if let Some(ann) = &c.announcement {
            let _ = writeln!(out, "\tAnnouncement: {}", or_none(ann));
        }
        if c.mode.eq_ignore_ascii_case("custom") {
            let _ = writeln!(out, "\tApplication: {}", or_none(&c.application));
            let _ = writeln!(
                out,
                "\tKill Escalation Delay: {} ms",
                c.kill_escalation_delay_ms
            );
            let method = match c.kill_method {
                KillMethod::Process => "process",
                KillMethod::ProcessGroup => "process_group",
            };
            let _ = writeln!(out, "\tKill Method: {method}");
        }
        if !c.mode.eq_ignore_ascii_case("files") {
            let _ = writeln!(out, "\tFormat: {}", c.format);
        }
    }
    CliResult::Success
}
