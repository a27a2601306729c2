//! res_agi's CLI: `agi show commands`, `agi set debug`, `agi exec`.

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult};
use crate::agi::commands::COMMANDS;
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "agi dump html",
            "Usage: agi dump html <filename>\n       Writes the AGI commands as an HTML table to the file.\n",
            dump_html,
        )
        .summary("Dumps a list of AGI commands in HTML format"),
        CliEntry::new(
            "agi exec",
            "Usage: agi exec <channel name> <app and arguments> [id]\n       Queues a command for a channel that is in AsyncAGI.\n",
            exec,
        )
        .summary("Add AGI command to a channel in Async AGI"),
        CliEntry::new(
            "agi set debug [on|off]",
            "Usage: agi set debug [on|off]\n       Turns the printing of every AGI line sent and received on or off.\n",
            set_debug,
        )
        .summary("Enable/Disable AGI debugging"),
        CliEntry::new(
            "agi show commands [topic]",
            "Usage: agi show commands [topic] <topic>\n       Without a topic, lists the AGI commands; with one, describes it.\n",
            show,
        )
        .summary("List AGI commands or specific help"),
    ]
}

fn set_debug(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let v = a.arg(3).unwrap_or("").to_ascii_lowercase();
    if v.starts_with("off") {
        crate::agi::set_debug(false);
    } else if v.starts_with("on") {
        crate::agi::set_debug(true);
    } else {
        return CliResult::ShowUsage;
    }
    let _ = writeln!(
        out,
        "AGI Debugging {}abled",
        if crate::agi::debug() { "En" } else { "Dis" }
    );
    CliResult::Success
}

/// `help_workhorse`: one line a command, those starting with `matching`.
fn list(out: &mut String, matching: Option<&str>) {
    let _ = writeln!(out, "{:>5.5} {:>30.30}   Description", "Dead", "Command");
    for c in COMMANDS {
        let full = c
            .words
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(m) = matching
            && !full
                .get(..m.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(m))
        {
            continue;
        }
        let _ = writeln!(
            out,
            "{:>5.5} {:>30.30}   {}",
            if c.dead { "Yes" } else { "No" },
            full,
            c.summary
        );
    }
}

fn show(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let argc = a.argc();
    if argc < 3 || (argc >= 4 && !a.arg(3).unwrap_or("").eq_ignore_ascii_case("topic")) {
        return CliResult::ShowUsage;
    }
    if argc == 3 || argc == 4 {
        list(out, None);
        return CliResult::Success;
    }
    let words: Vec<String> = (4..argc)
        .filter_map(|i| a.arg(i).map(str::to_string))
        .collect();
    let joined = words.join(" ");
    // An exact command: its own line and syntax (Asterisk prints its
    // documentation here, which is not ours to copy).
    if let Some(c) = COMMANDS.iter().find(|c| {
        c.words.len() == words.len()
            && c.words
                .iter()
                .zip(&words)
                .all(|(x, y)| x.eq_ignore_ascii_case(y))
    }) {
        let full = c.words.join(" ");
        let _ = write!(
            out,
            "\n -= Info about AGI '{full}' =- \n\n[Synopsis]\n{}\n\n[Syntax]\n{}\n\n[Runs Dead]\n{}\n\n",
            c.summary,
            c.syntax,
            if c.dead { "Yes" } else { "No" }
        );
        return CliResult::Success;
    }
    // The start of some command's words: those commands listed.
    let prefix_of_some = COMMANDS.iter().any(|c| {
        words.len() <= c.words.len()
            && c.words
                .iter()
                .zip(&words)
                .all(|(x, y)| x.eq_ignore_ascii_case(y))
    });
    if prefix_of_some {
        list(out, Some(&joined));
    } else {
        let _ = writeln!(out, "No such command '{joined}'.");
    }
    CliResult::Success
}

fn exec(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(2).unwrap_or("");
    let Some(chan) = sys.pbx.channels.by_name(name) else {
        let _ = writeln!(out, "Channel {name} does not exist.");
        return CliResult::Failure;
    };
    if !crate::agi::add_agi_cmd(&chan, a.arg(3).unwrap_or(""), a.arg(4).unwrap_or("")) {
        sys.pbx.logger.warning(
            crate::site!("res_agi.c", 1763, "add_agi_cmd"),
            None,
            &format!("Channel {} is not setup for Async AGI.", chan.name),
        );
        let _ = writeln!(
            out,
            "Failed to add AGI command to queue of channel {}",
            chan.name
        );
        return CliResult::Failure;
    }
    CliResult::Success
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `write_htmldump`'s page: one table a command, its name and summary,
/// then its syntax (ours; Asterisk prints its documentation there).
pub fn html(out: &mut String) {
    out.push_str("<HTML>\n<HEAD>\n<TITLE>AGI Commands</TITLE>\n</HEAD>\n");
    out.push_str("<BODY>\n<CENTER><B><H1>AGI Commands</H1></B></CENTER>\n\n");
    out.push_str("<TABLE BORDER=\"0\" CELLSPACING=\"10\">\n");
    for c in COMMANDS {
        let full = c.words.join(" ");
        out.push_str("<TR><TD><TABLE BORDER=\"1\" CELLPADDING=\"5\" WIDTH=\"100%\">\n");
        let _ = writeln!(
            out,
            "<TR><TH ALIGN=\"CENTER\"><B>{full} - {}</B></TH></TR>",
            c.summary
        );
        let _ = writeln!(
            out,
            "<TR><TD ALIGN=\"CENTER\">{}</TD></TR>",
            html_escape(c.syntax)
        );
        out.push_str("<TR><TD ALIGN=\"CENTER\">\n</TD></TR>\n");
        out.push_str("</TABLE></TD></TR>\n\n");
    }
    out.push_str("</TABLE>\n</BODY>\n</HTML>\n");
}

fn dump_html(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let file = a.arg(3).unwrap_or("");
    let mut page = String::new();
    html(&mut page);
    // Written whole, then moved into place.
    let path = std::path::Path::new(file);
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("agi")
    ));
    let written = std::fs::write(&tmp, page).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        let _ = writeln!(out, "Could not create file '{file}'");
        return CliResult::ShowUsage;
    }
    let _ = writeln!(out, "AGI HTML commands dumped to: {file}");
    CliResult::Success
}
