//! app_voicemail's CLI: `voicemail show users [for <context>]`,
//! `voicemail show zones`, `voicemail reload`.

use std::fmt::Write as _;
use std::path::Path;

use crate::apps::voicemail::{folder_messages, general, opt};

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "voicemail show users [for]",
            "Usage: voicemail show users [for <context>]\n       Lists the mailboxes of every context, or of one context.\n",
            show_users,
        )
        .completing(complete_context),
        CliEntry::new(
            "voicemail show zones",
            "Usage: voicemail show zones\n       Lists the time zones messages can be announced in, with their formats.\n",
            show_zones,
        ),
        CliEntry::new(
            "voicemail reload",
            "Usage: voicemail reload\n       Reads voicemail.conf again.\n",
            reload,
        ),
    ]
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
    let count = |f: &str| folder_messages(&base.join(f), false) as usize;
    count("INBOX") + count("Urgent")
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
            opt(m, "tz")
                .or_else(|| general(&loaded.voicemail, "tz"))
                .unwrap_or(""),
            &count.to_string(),
        );
        n += 1;
    }
    let _ = writeln!(out, "{n} voicemail users configured.");
    CliResult::Success
}

/// `[zonemessages]`, newest first (app_voicemail puts each zone at the
/// head of its list); a zone without `|` (or `,`) after its time zone is
/// not one.
fn show_zones(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let zones: Vec<(&str, &str, &str)> = loaded
        .voicemail
        .zonemessages
        .iter()
        .filter_map(|(name, value)| {
            let (tz, format) = value.split_once(['|', ','])?;
            Some((name.as_str(), tz, format))
        })
        .collect();
    if zones.is_empty() {
        out.push_str("There are no voicemail zones currently defined\n");
        return CliResult::Failure;
    }
    let _ = writeln!(
        out,
        "{:<15} {:<20} {:<45}",
        "Zone", "Timezone", "Message Format"
    );
    for (name, tz, format) in zones.iter().rev() {
        let _ = writeln!(out, "{name:<15} {tz:<20} {format:<45}");
    }
    CliResult::Success
}

/// `voicemail reload`: voicemail.conf read again; a file that does not
/// load leaves the mailboxes as they were.
fn reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    out.push_str("Reloading voicemail configuration...\n");
    if let Err(e) = sys.reload(&[crate::core::Part::Voicemail]) {
        super::core::report_reload_error(out, "voicemail.conf", &e);
    }
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
