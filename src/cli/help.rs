//! `core show help [topic]`: the command list, or one command's usage.

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult, MatchType, RESERVED, find_cli, live_entries};
use crate::core::System;

/// Commands in the order Asterisk keeps its CLI list: each registration
/// goes before the first entry that sorts after it, comparing (without
/// regard to case) only as far as the shorter of the two commands' plain
/// words, so a command and a longer one it begins stay in registration
/// order (`core show applications` before `core show application`).
fn listed(sys: &System) -> Vec<&CliEntry> {
    let plain_len = |c: &str| c.find(RESERVED).unwrap_or(c.len());
    let mut list: Vec<&CliEntry> = Vec::new();
    for e in live_entries(sys)
        .into_iter()
        .filter(|e| !e.command.starts_with('_'))
    {
        let at = list.iter().position(|cur| {
            let n = plain_len(e.command).min(plain_len(cur.command));
            let a = e
                .command
                .as_bytes()
                .iter()
                .take(n)
                .map(u8::to_ascii_lowercase);
            let b = cur
                .command
                .as_bytes()
                .iter()
                .take(n)
                .map(u8::to_ascii_lowercase);
            a.lt(b)
        });
        match at {
            Some(i) => list.insert(i, e),
            None => list.push(e),
        }
    }
    list
}

/// `help1`: every command whose words start with `topic`, one line each.
fn list(sys: &System, topic: &str, out: &mut String) {
    let mut found = false;
    for e in listed(sys) {
        let starts = e.command.len() >= topic.len()
            && e.command.as_bytes()[..topic.len()].eq_ignore_ascii_case(topic.as_bytes());
        if !starts {
            continue;
        }
        let summary = e.describe();
        let summary = if summary.is_empty() {
            "<no description available>".to_string()
        } else {
            summary
        };
        let _ = writeln!(out, "{:<30} -- {summary}", e.command);
        found = true;
    }
    if !found && !topic.is_empty() {
        let _ = writeln!(out, "No such command '{topic}'.");
    }
}

fn show_help(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() == 3 {
        list(sys, "", out);
        return CliResult::Success;
    }
    let topic: Vec<&str> = a.argv[3..].iter().map(String::as_str).collect();
    let entries = listed(sys);
    match find_cli(&entries, &topic, MatchType::Prefix) {
        Some(e) if !e.usage.is_empty() => out.push_str(e.usage),
        Some(_) => {
            let _ = writeln!(out, "No help text available for '{}'.", topic.join(" "));
        }
        // As `ast_join` builds it: at most 79 characters.
        None => list(sys, &truncate(&topic.join(" "), 79), out),
    }
    CliResult::Success
}

fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "core show help",
            "Usage: core show help [topic]\n       Lists every command with a line about it; with a topic, the usage of\n       that command, or the commands that begin with it.\n",
            show_help,
        )
        .summary("List the commands, or show how to use one")
        .completing(super::complete::complete_help),
    ]
}
