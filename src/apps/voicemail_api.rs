//! app_voicemail's message API for file storage (`vm_mailbox_snapshot_create`,
//! `vm_msg_move`, `vm_msg_remove`, `vm_msg_forward`), which its manager
//! actions and CLI commands call.
//!
//! A message reaches another folder as copies under temporary names
//! renamed into place; its folder is then closed as VoiceMailMain closes
//! one (`src/apps/voicemail_main.rs`): the message removed, the rest
//! renumbered from `msg0000` by renames. The mailbox's new counts are
//! then published (MessageWaiting and its `MWI:` device).

use std::path::{Path, PathBuf};

use super::voicemail::{
    VmUser, box_dir, find_box, find_user, general, generate_msg_id, notify_new_state, opt,
};
use super::voicemail_main::{
    FOLDERS, Marks, close_folder, copy_message_files, copy_to_folder, find_message_by_id,
    folder_by_name, info, make_file, mbox, message_exists, open_folder, read_message_info,
};
use crate::config::views::voicemail::{Mailbox, VoicemailConf};
use crate::core::System;
use crate::core::logger::Logger;

const FILE: &str = "app_voicemail.c";

/// `sscanf("%d")`: the leading integer, if any.
fn scan_int(v: &str) -> Option<i64> {
    crate::funcs::c::scan_long(v, 30).map(|(n, _)| n)
}

/// One message as a mailbox snapshot lists it.
pub struct Snapshot {
    pub folder: &'static str,
    pub callerid: String,
    pub origdate: String,
    pub duration: String,
    pub flag: String,
    pub msg_id: String,
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
pub fn snapshot(sys: &System, vmu: &VmUser, mailbox: &str) -> Vec<Snapshot> {
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

/// The folder opened for a move, removal or forward, and the message
/// with `id` in it: (the folder's count, the message's number). An empty
/// folder is logged; when the message is not found the folder is closed
/// unchanged.
fn open_message(
    log: &Logger,
    dir: &Path,
    folder: &str,
    curbox: &str,
    vmu: &VmUser,
    id: &str,
) -> Option<(i32, i32)> {
    let count = open_folder(log, dir, i32::try_from(vmu.maxmsg).unwrap_or(i32::MAX));
    let found = if count < 1 {
        log.warning(
            crate::site!(FILE, 17621, "vm_msg_move"),
            None,
            &format!("Folder {folder} has less than 1 messages"),
        );
        None
    } else {
        find_message_by_id(dir, count, id)
    };
    if found.is_none() {
        close(log, dir, curbox, count, &[]);
    }
    found.map(|n| (count, n))
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
pub fn vm_msg_move(
    sys: &System,
    mailbox: &str,
    context: &str,
    from: &str,
    id: &str,
    to: &str,
) -> bool {
    let (Some(old_index), Some(new_index)) = (folder_by_name(from), folder_by_name(to)) else {
        return false;
    };
    let conf = sys.loaded().voicemail.clone();
    let Some(vmu) = find_user(&conf, Some(context), mailbox) else {
        return false;
    };
    let log = &sys.pbx.logger;
    let dir = folder_dir(sys, &vmu, mailbox, mbox(old_index));
    let Some((count, n)) = open_message(log, &dir, from, mbox(old_index), &vmu, id) else {
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
pub fn vm_msg_remove(sys: &System, mailbox: &str, context: &str, folder: &str, id: &str) -> bool {
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
    let Some((count, n)) = open_message(log, &dir, folder, mbox(index), &vmu, id) else {
        return false;
    };
    close(log, &dir, mbox(index), count, &[n]);
    notify_new_state(sys, &vmu.context, &vmu.mailbox);
    true
}

/// Where a forward goes: the recipient and the folder as the request
/// named it.
pub struct ForwardTo<'a> {
    pub mailbox: &'a str,
    pub context: &'a str,
    pub folder: &'a str,
}

/// `vm_msg_forward`: one message copied into another mailbox's folder
/// (`copy_message`); a full recipient is only logged.
pub fn vm_msg_forward(
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
    let Some((count, n)) = open_message(log, &dir, folder, mbox(from_index), &vmu, id) else {
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
