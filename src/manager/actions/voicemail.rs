//! The manager's mailbox actions: MailboxCount and MailboxStatus (the
//! core's, `main/manager.c`, answered from the voicemail provider's
//! counts), and app_voicemail's own (`apps/app_voicemail.c`):
//! VoicemailUsersList, VoicemailUserStatus, VoicemailBoxSummary,
//! VoicemailRefresh, VoicemailMove, VoicemailRemove and VoicemailForward.
//!
//! Move, Remove and Forward change the spool as VoiceMailMain does
//! (`src/apps/voicemail_main.rs`): a message reaches another folder as
//! copies under temporary names renamed into place, its folder is then
//! closed (the message removed, the rest renumbered from `msg0000` by
//! renames), and the mailbox's new counts are published (MessageWaiting
//! and its `MWI:` device).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::{BoxFuture, now};
use crate::apps::voicemail::{
    VmUser, box_dir, find_box, find_user, general, generate_msg_id, has_voicemail, inbox_count,
    inboxcount2, notify_new_state, opt, user_of_box,
};
use crate::apps::voicemail_main::{
    FOLDERS, Marks, close_folder, copy_message_files, copy_to_folder, folder_by_name, info,
    make_file, mbox, message_exists, open_folder, read_message_info,
};
use crate::config::views::voicemail::{Mailbox, VoicemailConf};
use crate::core::System;
use crate::core::logger::Logger;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

const FILE: &str = "app_voicemail.c";

/// `vm_warnings`: how often the core asked for counts with no voicemail
/// provider loaded (it says so on the first call and every tenth).
static NO_PROVIDER_CALLS: AtomicU32 = AtomicU32::new(0);

/// Whether app_voicemail answers the core's questions about mailboxes;
/// without it the counts are 0 (`VM_API_CALL`).
fn provider(sys: &System) -> bool {
    if sys.loaded().modules.loads("app_voicemail") {
        return true;
    }
    if NO_PROVIDER_CALLS
        .fetch_add(1, Ordering::Relaxed)
        .is_multiple_of(10)
    {
        sys.pbx.logger.verbose(
            3,
            crate::site!("app.c", 613, "vm_warn_no_provider"),
            None,
            "No voicemail provider registered.",
        );
    }
    false
}

/// `action_mailboxstatus`: whether any of the mailboxes (`,` or `&`
/// separated) has a new or urgent message.
pub fn mailbox_status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mailbox = m.get("Mailbox");
    if mailbox.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Mailbox not specified")));
    }
    let sys = s.sys();
    let waiting = provider(sys) && has_voicemail(&sys.conf.dirs.spool, mailbox);
    let mut r = Reply::start("Success", m);
    r.line("Message", "Mailbox Status")
        .line("Mailbox", mailbox)
        .line("Waiting", u8::from(waiting))
        .end();
    now(Flow::Reply(r))
}

/// `action_mailboxcount`: the urgent, new and old messages of the
/// mailboxes (comma separated, summed).
pub fn mailbox_count<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mailbox = m.get("Mailbox");
    if mailbox.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Mailbox not specified")));
    }
    let sys = s.sys();
    let (urgent, new, old) = if provider(sys) {
        inboxcount2(&sys.conf.dirs.spool, mailbox)
    } else {
        (0, 0, 0)
    };
    let mut r = Reply::start("Success", m);
    r.line("Message", "Mailbox Message Count")
        .line("Mailbox", mailbox)
        .line("UrgMessages", urgent)
        .line("NewMessages", new)
        .line("OldMessages", old)
        .end();
    now(Flow::Reply(r))
}

/// `ast_true` of a mailbox's option, else of `[general]`'s, else the
/// default app_voicemail gives the flag.
fn flag(conf: &VoicemailConf, mb: &Mailbox, keys: &[&str], default: bool) -> bool {
    let own = mb
        .options
        .iter()
        .rev()
        .find(|(k, _)| keys.iter().any(|key| k.eq_ignore_ascii_case(key)));
    match own {
        Some((_, v)) => crate::config::is_true(v),
        None => keys
            .iter()
            .find_map(|k| general(conf, k))
            .map_or(default, crate::config::is_true),
    }
}

/// A text setting: the mailbox's own when set (and not empty), else
/// `[general]`'s, else `default`.
fn text<'a>(conf: &'a VoicemailConf, mb: &'a Mailbox, key: &str, default: &'a str) -> &'a str {
    opt(mb, key)
        .filter(|v| !v.is_empty())
        .or_else(|| general(conf, key))
        .unwrap_or(default)
}

/// A setting the box's own option replaces, even with nothing, else
/// `[general]`'s (`populate_defaults`, then `apply_option`).
fn setting<'a>(conf: &'a VoicemailConf, mb: &'a Mailbox, key: &str) -> &'a str {
    opt(mb, key).or_else(|| general(conf, key)).unwrap_or("")
}

/// `sscanf("%d")`: the leading integer, if any.
fn scan_int(v: &str) -> Option<i64> {
    crate::funcs::c::scan_long(v, 30).map(|(n, _)| n)
}

/// `sscanf("%lf")`: the leading number, if any.
fn scan_float(v: &str) -> Option<f64> {
    let v = v.trim_start();
    let end = v
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
        .map_or(v.len(), |(i, _)| i);
    v[..end].parse().ok()
}

/// `append_vmu_info_astman`: one mailbox's settings and counts as the
/// event `event` (list items carry no Privilege).
fn append_user(
    r: &mut Reply,
    m: &Message,
    event: &str,
    sys: &System,
    conf: &VoicemailConf,
    mb: &Mailbox,
) {
    let vmu = user_of_box(conf, mb);
    let (urgent, new, old) = inbox_count(&sys.conf.dirs.spool, &mb.context, &mb.mailbox);
    // A duration minimum of 0 in [general] leaves the box's at 0 too.
    let saydurationm = opt(mb, "saydurationm")
        .and_then(scan_int)
        .or_else(|| general(conf, "saydurationm").and_then(scan_int))
        .unwrap_or(2);
    let volgain = opt(mb, "volgain")
        .and_then(scan_float)
        .or_else(|| general(conf, "volgain").and_then(scan_float))
        .unwrap_or(0.0);
    r.item(event, m)
        .line("VMContext", &mb.context)
        .line("VoiceMailbox", &mb.mailbox)
        .line("Fullname", &mb.fullname)
        .line(
            "Email",
            if mb.email_set {
                mb.email.as_str()
            } else {
                "(null)"
            },
        )
        .line("Pager", &mb.pager)
        .line("ServerEmail", text(conf, mb, "serveremail", "asterisk"))
        .line("FromString", text(conf, mb, "fromstring", ""))
        .line(
            "MailCommand",
            general(conf, "mailcmd").unwrap_or("/usr/sbin/sendmail -t"),
        )
        .line("Language", opt(mb, "language").unwrap_or(""))
        .line("TimeZone", setting(conf, mb, "tz"))
        .line("Callback", setting(conf, mb, "callback"))
        .line("Dialout", setting(conf, mb, "dialout"))
        .line("UniqueID", "")
        .line("ExitContext", &vmu.exitcontext)
        .line("SayDurationMinimum", saydurationm)
        .line("SayEnvelope", yes_no(flag(conf, mb, &["envelope"], true)))
        .line("SayCID", yes_no(flag(conf, mb, &["saycid"], false)))
        .line("AttachMessage", yes_no(flag(conf, mb, &["attach"], true)))
        .line("AttachmentFormat", opt(mb, "attachfmt").unwrap_or(""))
        .line(
            "DeleteMessage",
            yes_no(own_flag(mb, &["delete", "deletevoicemail"])),
        )
        .line("VolumeGain", format!("{volgain:.2}"))
        .line("CanReview", yes_no(flag(conf, mb, &["review"], false)))
        .line(
            "CanMarkUrgent",
            yes_no(flag(conf, mb, &["leaveurgent"], true)),
        )
        .line("CallOperator", yes_no(vmu.operator))
        .line("MaxMessageCount", vmu.maxmsg)
        .line("MaxMessageLength", vmu.maxsecs)
        .line("NewMessageCount", new + urgent)
        .line("OldMessageCount", old)
        .end();
}

/// A flag only a mailbox sets ([general] has no such option).
fn own_flag(mb: &Mailbox, keys: &[&str]) -> bool {
    mb.options
        .iter()
        .rev()
        .find(|(k, _)| keys.iter().any(|key| k.eq_ignore_ascii_case(key)))
        .is_some_and(|(_, v)| crate::config::is_true(v))
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// `manager_list_voicemail_users`: every mailbox, in voicemail.conf's
/// order.
pub fn users_list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let conf = sys.loaded().voicemail.clone();
    if conf.mailboxes.is_empty() {
        return now(Flow::Reply(Reply::ack(
            m,
            "There are no voicemail users currently defined.",
        )));
    }
    let mut r = Reply::list_start(m, "Voicemail user list will follow");
    for mb in &conf.mailboxes {
        append_user(&mut r, m, "VoicemailUserEntry", &sys, &conf, mb);
    }
    r.list_complete(m, "VoicemailUserEntryComplete", conf.mailboxes.len());
    now(Flow::Reply(r))
}

/// `manager_status_voicemail_user`: one mailbox.
pub fn user_status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (context, mailbox) = (m.get("Context"), m.get("Mailbox"));
    if context.is_empty() || mailbox.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "Need 'Context' and 'Mailbox' parameters.",
        )));
    }
    let sys = s.sys().clone();
    let conf = sys.loaded().voicemail.clone();
    let Some(mb) = find_box(&conf, Some(context), mailbox) else {
        return now(Flow::Reply(Reply::ack(
            m,
            "There is no voicemail user of the given info.",
        )));
    };
    let mut r = Reply::list_start(m, "Voicemail user detail will follow");
    append_user(&mut r, m, "VoicemailUserDetail", &sys, &conf, mb);
    r.list_complete(m, "VoicemailUserDetailComplete", 1);
    now(Flow::Reply(r))
}

/// One message as a mailbox snapshot lists it.
struct Snapshot {
    folder: &'static str,
    callerid: String,
    origdate: String,
    duration: String,
    flag: String,
    msg_id: String,
}

/// The directory of a folder: the user's context (as configured) and the
/// mailbox as the request typed it, as app_voicemail builds it.
fn folder_dir(sys: &System, vmu: &VmUser, mailbox: &str, folder: &str) -> PathBuf {
    box_dir(&sys.conf.dirs.spool, &vmu.context, mailbox).join(folder)
}

/// `close_mailbox` of a folder the manager opened: the messages marked
/// deleted go and the rest are renumbered without gaps.
fn close(log: &Logger, dir: &Path, folder: &str, count: i32, deleted: &[i32]) {
    let mut del = vec![false; usize::try_from(count.max(0)).unwrap_or(0)];
    for &n in deleted {
        if let Some(d) = usize::try_from(n).ok().and_then(|i| del.get_mut(i)) {
            *d = true;
        }
    }
    let mut heard = Vec::new();
    let marks = Marks {
        deleted: &mut del,
        heard: &mut heard,
    };
    close_folder(log, dir, folder, count - 1, false, marks, &mut |_: i32| {
        false
    });
}

/// `vm_mailbox_snapshot_create` (every folder, by number): each folder
/// opened (made, renumbered if needed), its messages' `.txt` read; a
/// message without an ID gets one written into its `.txt`.
fn snapshot(sys: &System, vmu: &VmUser, mailbox: &str) -> Vec<Snapshot> {
    let log = &sys.pbx.logger;
    let mut out = Vec::new();
    for folder in FOLDERS {
        let dir = folder_dir(sys, vmu, mailbox, folder);
        let count = open_folder(log, &dir, i32::try_from(vmu.maxmsg).unwrap_or(i32::MAX));
        for n in 0..count {
            let txt = txt_path(&make_file(&dir, n));
            let Some(msg) = read_message_info(&txt) else {
                continue;
            };
            let field = |k: &str| info(&msg, k).unwrap_or("").to_string();
            let msg_id = match info(&msg, "msg_id") {
                Some(id) => id.to_string(),
                None => add_message_id(log, &txt),
            };
            out.push(Snapshot {
                folder,
                callerid: field("callerid"),
                origdate: field("origdate"),
                duration: field("duration"),
                flag: field("flag"),
                msg_id,
            });
        }
        close(log, &dir, folder, count, &[]);
    }
    out
}

fn txt_path(base: &Path) -> PathBuf {
    PathBuf::from(format!("{}.txt", base.display()))
}

/// `add_message_id`: a message from before IDs gets one, added to its
/// `.txt` (written beside it, then renamed over it).
fn add_message_id(log: &Logger, txt: &Path) -> String {
    let id = generate_msg_id(crate::core::unix_seconds());
    let written = std::fs::read_to_string(txt).and_then(|old| {
        let mut new = old;
        if !new.ends_with('\n') {
            new.push('\n');
        }
        new.push_str(&format!("msg_id = {id}\n"));
        let tmp = PathBuf::from(format!("{}.tmp", txt.display()));
        std::fs::write(&tmp, new).and_then(|()| std::fs::rename(&tmp, txt))
    });
    if let Err(e) = written {
        log.warning(
            crate::site!(FILE, 13390, "add_message_id"),
            None,
            &format!(
                "Unable to update {} to have a message ID: {e}",
                txt.display()
            ),
        );
    }
    id
}

/// `manager_get_mailbox_summary`: every message of a mailbox, folder by
/// folder.
pub fn box_summary<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (context, mailbox) = (m.get("Context"), m.get("Mailbox"));
    if context.is_empty() || mailbox.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "Need 'Context' and 'Mailbox' parameters.",
        )));
    }
    let sys = s.sys().clone();
    let conf = sys.loaded().voicemail.clone();
    let Some(vmu) = find_user(&conf, Some(context), mailbox) else {
        return now(Flow::Reply(Reply::ack(
            m,
            "There is no voicemail user matching the given user.",
        )));
    };
    let msgs = snapshot(&sys, &vmu, mailbox);
    let mut r = Reply::list_start(m, "Voicemail box detail will follow");
    for msg in &msgs {
        r.item("VoicemailBoxDetail", m)
            .line("Folder", msg.folder)
            .line("CallerID", &msg.callerid)
            .line("Date", &msg.origdate)
            .line("Duration", &msg.duration)
            .line("Flag", &msg.flag)
            .line("ID", &msg.msg_id)
            .end();
    }
    r.list_complete(m, "VoicemailBoxDetailComplete", msgs.len());
    now(Flow::Reply(r))
}

/// Whether an MWI state's `box@context` is one a VoicemailRefresh asked
/// for (`manager_match_mailbox`): the box is compared over the state's
/// box's length only, as Asterisk compares it.
fn refresh_matches(uniqueid: &str, context: &str, mailbox: &str) -> bool {
    if uniqueid.is_empty() {
        return false;
    }
    if context.is_empty() && mailbox.is_empty() {
        return true;
    }
    let Some(at) = uniqueid.find('@') else {
        return false;
    };
    let box_ok = mailbox.is_empty()
        || mailbox
            .as_bytes()
            .get(..at)
            .is_some_and(|b| b == &uniqueid.as_bytes()[..at]);
    let context_ok = context.is_empty() || context == &uniqueid[at + 1..];
    box_ok && context_ok
}

/// `manager_voicemail_refresh`: each published mailbox state the request
/// matches is compared with the spool (`poll_subscribed_mailbox`) and
/// published again when it differs.
pub fn refresh<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let (context, mailbox) = (m.get("Context"), m.get("Mailbox"));
    for st in sys.pbx.mwi.all() {
        if !refresh_matches(&st.uniqueid, context, mailbox) {
            continue;
        }
        let (urgent, new, old) = inboxcount2(&sys.conf.dirs.spool, &st.uniqueid);
        // The state's urgent count is always 0: a box with urgent
        // messages is published on every refresh.
        if urgent != 0 || new != st.new || old != st.old {
            crate::core::mwi::publish(&sys, None, &st.uniqueid, new + urgent, old);
        }
    }
    now(Flow::Reply(Reply::ack(m, "Refresh sent")))
}

/// The first of `headers` the request leaves empty, as the error
/// `<Header> not specified, required`.
fn missing(m: &Message, headers: &[&str]) -> Option<Reply> {
    headers
        .iter()
        .find(|h| m.get(h).is_empty())
        .map(|h| Reply::error(m, &format!("{h} not specified, required")))
}

/// `message_range_and_existence_check` for one ID: the number of the
/// message with that ID among the folder's `count`; None when it is not
/// there or a message's `.txt` cannot be read.
fn find_message(dir: &Path, count: i32, id: &str) -> Option<i32> {
    for n in 0..count {
        let msg = read_message_info(&txt_path(&make_file(dir, n)))?;
        if info(&msg, "msg_id").is_some_and(|other| !other.is_empty() && other == id) {
            return Some(n);
        }
    }
    None
}

/// The folder opened for a move, removal or forward: its directory and
/// its message count, or None (logged) when it is empty.
fn open_for(log: &Logger, dir: &Path, folder: &str, vmu: &VmUser) -> (i32, bool) {
    let count = open_folder(log, dir, i32::try_from(vmu.maxmsg).unwrap_or(i32::MAX));
    if count < 1 {
        log.warning(
            crate::site!(FILE, 17621, "vm_msg_move"),
            None,
            &format!("Folder {folder} has less than 1 messages"),
        );
        return (count, false);
    }
    (count, true)
}

/// `backupdeleted`: how many deleted messages the Deleted folder keeps.
fn maxdeleted(conf: &VoicemailConf, mb: Option<&Mailbox>) -> i32 {
    let v = mb
        .and_then(|mb| opt(mb, "backupdeleted"))
        .or_else(|| general(conf, "backupdeleted"));
    match v {
        None => 0,
        Some(v) => match scan_int(v) {
            Some(n) if n < 0 => 100,
            Some(n) => n.min(9999) as i32,
            None if crate::config::is_true(v) => 100,
            None => 0,
        },
    }
}

/// `vm_msg_move`: one message from a folder to another of the same
/// mailbox. False (`-1`) on any failure.
fn vm_msg_move(sys: &System, mailbox: &str, context: &str, from: &str, id: &str, to: &str) -> bool {
    let (Some(old_index), Some(new_index)) = (folder_by_name(from), folder_by_name(to)) else {
        return false;
    };
    let conf = sys.loaded().voicemail.clone();
    let Some(vmu) = find_user(&conf, Some(context), mailbox) else {
        return false;
    };
    let log = &sys.pbx.logger;
    let dir = folder_dir(sys, &vmu, mailbox, mbox(old_index));
    let (count, any) = open_for(log, &dir, from, &vmu);
    let found = if any {
        find_message(&dir, count, id)
    } else {
        None
    };
    let Some(n) = found else {
        close(log, &dir, mbox(old_index), count, &[]);
        return false;
    };
    let ddir = folder_dir(sys, &vmu, mailbox, mbox(new_index));
    let maxmsg = i32::try_from(vmu.maxmsg).unwrap_or(i32::MAX);
    let maxdel = maxdeleted(&conf, find_box(&conf, Some(context), mailbox));
    if copy_to_folder(log, &make_file(&dir, n), &ddir, new_index, maxmsg, maxdel).is_err() {
        close(log, &dir, mbox(old_index), count, &[]);
        return false;
    }
    close(log, &dir, mbox(old_index), count, &[n]);
    notify_new_state(sys, &vmu.context, &vmu.mailbox);
    true
}

/// `vm_msg_remove`: one message deleted from a folder.
fn vm_msg_remove(sys: &System, mailbox: &str, context: &str, folder: &str, id: &str) -> bool {
    let log = &sys.pbx.logger;
    let Some(index) = folder_by_name(folder) else {
        log.warning(
            crate::site!(FILE, 17716, "vm_msg_remove"),
            None,
            &format!("Could not remove msgs from unknown folder {folder}"),
        );
        return false;
    };
    let conf = sys.loaded().voicemail.clone();
    let Some(vmu) = find_user(&conf, Some(context), mailbox) else {
        log.warning(
            crate::site!(FILE, 17721, "vm_msg_remove"),
            None,
            &format!("Can't find voicemail user to remove msg from ({mailbox}@{context})"),
        );
        return false;
    };
    let dir = folder_dir(sys, &vmu, mailbox, mbox(index));
    let (count, any) = open_for(log, &dir, folder, &vmu);
    let found = if any {
        find_message(&dir, count, id)
    } else {
        None
    };
    let Some(n) = found else {
        close(log, &dir, mbox(index), count, &[]);
        return false;
    };
    close(log, &dir, mbox(index), count, &[n]);
    notify_new_state(sys, &vmu.context, &vmu.mailbox);
    true
}

/// Where a forward goes: the recipient and the folder as the request
/// named it.
struct ForwardTo<'a> {
    mailbox: &'a str,
    context: &'a str,
    folder: &'a str,
}

/// `vm_msg_forward`: one message copied into another mailbox's folder
/// (`copy_message`); a full recipient is only logged.
fn vm_msg_forward(
    sys: &System,
    mailbox: &str,
    context: &str,
    folder: &str,
    id: &str,
    to: ForwardTo<'_>,
) -> bool {
    let (Some(from_index), Some(_)) = (folder_by_name(folder), folder_by_name(to.folder)) else {
        return false;
    };
    let log = &sys.pbx.logger;
    let conf = sys.loaded().voicemail.clone();
    let Some(vmu) = find_user(&conf, Some(context), mailbox) else {
        log.warning(
            crate::site!(FILE, 17492, "vm_msg_forward"),
            None,
            &format!("Can't find voicemail user to forward from ({mailbox}@{context})"),
        );
        return false;
    };
    let Some(to_vmu) = find_user(&conf, Some(to.context), to.mailbox) else {
        log.warning(
            crate::site!(FILE, 17497, "vm_msg_forward"),
            None,
            &format!(
                "Can't find voicemail user to forward to ({}@{})",
                to.mailbox, to.context
            ),
        );
        return false;
    };
    let dir = folder_dir(sys, &vmu, mailbox, mbox(from_index));
    let (count, any) = open_for(log, &dir, folder, &vmu);
    let found = if any {
        find_message(&dir, count, id)
    } else {
        None
    };
    let Some(n) = found else {
        close(log, &dir, mbox(from_index), count, &[]);
        return false;
    };
    copy_message(sys, &vmu, &make_file(&dir, n), &to_vmu, to.folder);
    close(log, &dir, mbox(from_index), count, &[]);
    notify_new_state(sys, &to_vmu.context, &to_vmu.mailbox);
    true
}

/// `copy_message` without a channel: the message's files copied as they
/// are to the recipient's folder (named as the request wrote it) at the
/// number after its highest, when it has room.
fn copy_message(sys: &System, vmu: &VmUser, src: &Path, recip: &VmUser, folder: &str) {
    let log = &sys.pbx.logger;
    log.notice(
        crate::site!(FILE, 6409, "copy_message"),
        None,
        &format!(
            "Copying message from {}@{} to {}@{}",
            vmu.mailbox, vmu.context, recip.mailbox, recip.context
        ),
    );
    let todir = box_dir(&sys.conf.dirs.spool, &recip.context, &recip.mailbox).join(folder);
    if let Err(e) = std::fs::create_dir_all(&todir) {
        log.warning(
            crate::site!(FILE, 2274, "create_dirpath"),
            None,
            &format!("ast_mkdir '{}' failed: {e}", todir.display()),
        );
    }
    let num = crate::apps::voicemail::last_message_index(&todir) + 1;
    if i64::from(num) >= i64::from(recip.maxmsg) {
        log.error(
            crate::site!(FILE, 6458, "copy_message"),
            None,
            &format!(
                "Recipient mailbox {}@{} is full",
                recip.mailbox, recip.context
            ),
        );
        return;
    }
    // Without its sound the message is not copied (Asterisk copies the
    // `.txt` and deletes the copy again).
    if message_exists(src) {
        copy_message_files(log, src, &make_file(&todir, num));
    }
}

/// `manager_voicemail_move`.
pub fn move_message<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    if let Some(e) = missing(m, &["Mailbox", "Context", "Folder", "ID", "ToFolder"]) {
        return now(Flow::Reply(e));
    }
    let ok = vm_msg_move(
        s.sys(),
        m.get("Mailbox"),
        m.get("Context"),
        m.get("Folder"),
        m.get("ID"),
        m.get("ToFolder"),
    );
    now(Flow::Reply(Reply::ack(
        m,
        if ok {
            "Message move successful\n"
        } else {
            "Message move failed\n"
        },
    )))
}

/// `manager_voicemail_remove`.
pub fn remove_message<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    if let Some(e) = missing(m, &["Mailbox", "Context", "Folder", "ID"]) {
        return now(Flow::Reply(e));
    }
    let ok = vm_msg_remove(
        s.sys(),
        m.get("Mailbox"),
        m.get("Context"),
        m.get("Folder"),
        m.get("ID"),
    );
    now(Flow::Reply(Reply::ack(
        m,
        if ok {
            "Message remove successful\n"
        } else {
            "Message remove failed\n"
        },
    )))
}

/// `manager_voicemail_forward`.
pub fn forward_message<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let required = [
        "Mailbox",
        "Context",
        "Folder",
        "ID",
        "ToMailbox",
        "ToContext",
        "ToFolder",
    ];
    if let Some(e) = missing(m, &required) {
        return now(Flow::Reply(e));
    }
    let to = ForwardTo {
        mailbox: m.get("ToMailbox"),
        context: m.get("ToContext"),
        folder: m.get("ToFolder"),
    };
    let ok = vm_msg_forward(
        s.sys(),
        m.get("Mailbox"),
        m.get("Context"),
        m.get("Folder"),
        m.get("ID"),
        to,
    );
    now(Flow::Reply(Reply::ack(
        m,
        if ok {
            "Message forward successful\n"
        } else {
            "Message forward failed\n"
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_matches_as_asterisk_compares() {
        let cases = [
            // (state, Context, Mailbox, matches)
            ("1001@default", "", "", true),
            ("1001@default", "", "1001", true),
            ("1001@default", "", "10011", true), // only the state's box's length
            ("1001@default", "", "100", false),
            ("1001@default", "default", "", true),
            ("1001@default", "DEFAULT", "", false),
            ("1001@default", "other", "1001", false),
            ("1001@default", "default", "1001", true),
            ("1001", "", "1001", false),
            ("", "", "", false),
        ];
        for (uid, context, mailbox, want) in cases {
            assert_eq!(
                refresh_matches(uid, context, mailbox),
                want,
                "{uid} {context:?} {mailbox:?}"
            );
        }
    }

    #[test]
    fn numbers_read_as_scanf_reads_them() {
        assert_eq!(scan_float("1.5"), Some(1.5));
        assert_eq!(scan_float(" -2.25dB"), Some(-2.25));
        assert_eq!(scan_float("x"), None);
        assert_eq!(scan_int("5 s"), Some(5));
        assert_eq!(scan_int("s"), None);
    }
}
