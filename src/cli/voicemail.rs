//! app_voicemail's CLI: `voicemail show users [for <context>]`,
//! `voicemail show zones`, `voicemail reload`, and `voicemail move`,
//! `voicemail remove`, `voicemail forward` (its message API, as the
//! manager's VoicemailMove, VoicemailRemove and VoicemailForward).

use std::fmt::Write as _;
use std::path::Path;

use crate::apps::voicemail::{folder_messages, general, opt};
use crate::apps::voicemail_api::{ForwardTo, vm_msg_forward, vm_msg_move, vm_msg_remove};

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
        CliEntry::new(
            "voicemail move",
            "Usage: voicemail move <mailbox> <context> <from_folder> <messageid> <to_folder>\n       Moves the message with that ID to another folder of the mailbox.\n",
            move_message,
        ),
        CliEntry::new(
            "voicemail remove",
            "Usage: voicemail remove <mailbox> <context> <from_folder> <messageid>\n       Deletes the message with that ID from the folder.\n",
            remove_message,
        ),
        CliEntry::new(
            "voicemail forward",
            "Usage: voicemail forward <from_mailbox> <from_context> <from_folder> <messageid> <to_mailbox> <to_context> <to_folder>\n       Copies the message with that ID into another mailbox's folder.\n",
            forward_message,
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

/// The word at `i` (present: the handlers check the count first).
fn word<'a>(a: &'a CliArgs<'_>, i: usize) -> &'a str {
    a.arg(i).unwrap_or("")
}

/// `voicemail move <mailbox> <context> <from_folder> <messageid> <to_folder>`.
fn move_message(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 7 {
        return CliResult::ShowUsage;
    }
    let (mailbox, context, from, id, to) =
        (word(a, 2), word(a, 3), word(a, 4), word(a, 5), word(a, 6));
    if vm_msg_move(sys, mailbox, context, from, id, to) {
        let _ = writeln!(
            out,
            "Moved message {id} from mailbox {mailbox}@{context} {from} to {to}"
        );
        CliResult::Success
    } else {
        let _ = writeln!(
            out,
            "Error moving message {id} from mailbox {mailbox}@{context} {from} to {to}"
        );
        CliResult::Failure
    }
}

/// `voicemail remove <mailbox> <context> <from_folder> <messageid>`.
fn remove_message(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 6 {
        return CliResult::ShowUsage;
    }
    let (mailbox, context, folder, id) = (word(a, 2), word(a, 3), word(a, 4), word(a, 5));
    if vm_msg_remove(sys, mailbox, context, folder, id) {
        let _ = writeln!(
            out,
            "Removed message {id} from mailbox {mailbox}@{context} {folder}"
        );
        CliResult::Success
    } else {
        let _ = writeln!(
            out,
            "Error removing message {id} from mailbox {mailbox}@{context} {folder}"
        );
        CliResult::Failure
    }
}

/// `voicemail forward <from_mailbox> <from_context> <from_folder>
/// <messageid> <to_mailbox> <to_context> <to_folder>`.
fn forward_message(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 9 {
        return CliResult::ShowUsage;
    }
    let (mailbox, context, folder, id) = (word(a, 2), word(a, 3), word(a, 4), word(a, 5));
    let to = ForwardTo {
        mailbox: word(a, 6),
        context: word(a, 7),
        folder: word(a, 8),
    };
    let what = format!(
        "message {id} from mailbox {mailbox}@{context} {folder} to mailbox {}@{} {}",
        to.mailbox, to.context, to.folder
    );
    if vm_msg_forward(sys, mailbox, context, folder, id, to) {
        let _ = writeln!(out, "Forwarded {what}");
        CliResult::Success
    } else {
        let _ = writeln!(out, "Error forwarding {what}");
        CliResult::Failure
    }
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
