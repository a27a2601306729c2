//! `voicemail show users [for <context>]` (app_voicemail).

use std::fmt::Write as _;
use std::path::Path;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![CliEntry::new(
        "voicemail show users [for]",
        "Usage: voicemail show users [for <context>]\n       Lists the mailboxes of every context, or of one context.\n",
        show_users,
    )
    .completing(complete_context)]
}

/// Messages in one folder: files named `msg*` whose characters 8..11 are
/// `txt` (`msg0000.txt`), as app_voicemail counts them.
fn count_folder(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let b = name.as_encoded_bytes();
            b.len() >= 11
                && b[..3].eq_ignore_ascii_case(b"msg")
                && b[8..11].eq_ignore_ascii_case(b"txt")
        })
        .count()
}

/// New messages as the listing counts them: INBOX plus Urgent.
pub fn new_messages(spool: &Path, context: &str, mailbox: &str) -> usize {
    if mailbox.is_empty() {
        return 0;
    }
    let context = if context.is_empty() {
        "default"
    } else {
        context
    };
    let base = spool.join("voicemail").join(context).join(mailbox);
    count_folder(&base.join("INBOX")) + count_folder(&base.join("Urgent"))
}

fn row(out: &mut String, a: &str, b: &str, c: &str, d: &str, e: &str) {
    let _ = writeln!(out, "{a:<10} {b:<5} {c:<25} {d:<10} {e:>6}");
}

fn show_users(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let argc = a.argc();
    if !(3..=5).contains(&argc) || argc == 4 {
        return CliResult::ShowUsage;
    }
    let mut context = None;
    if argc == 5 {
        if a.arg(3) != Some("for") {
            return CliResult::ShowUsage;
        }
        context = a.arg(4);
    }
    let loaded = sys.loaded();
    let boxes = &loaded.voicemail.mailboxes;
    if boxes.is_empty() {
        out.push_str("There are no voicemail users currently defined\n");
        return CliResult::Failure;
    }
    if let Some(ctx) = context
        && !boxes.iter().any(|m| m.context == ctx)
    {
        let _ = writeln!(out, "No such voicemail context \"{ctx}\"");
        return CliResult::Failure;
    }
    row(out, "Context", "Mbox", "User", "Zone", "NewMsg");
    let mut n = 0;
    for m in boxes
        .iter()
        .filter(|m| context.is_none_or(|c| c == m.context))
    {
        let count = new_messages(&sys.conf.dirs.spool, &m.context, &m.mailbox);
        row(
            out,
            &m.context,
            &m.mailbox,
            &m.fullname,
            &m.zonetag,
            &count.to_string(),
        );
        n += 1;
    }
    let _ = writeln!(out, "{n} voicemail users configured.");
    CliResult::Success
}

/// After `for`: the voicemail contexts, each once.
fn complete_context(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 4 {
        return Vec::new();
    }
    let loaded = sys.loaded();
    let mut contexts: Vec<String> = Vec::new();
    for m in &loaded.voicemail.mailboxes {
        if !contexts.contains(&m.context) {
            contexts.push(m.context.clone());
        }
    }
    starting_with(c.word, contexts)
}
