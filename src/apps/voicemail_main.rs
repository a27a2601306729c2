//! VoiceMailMain (Asterisk's `apps/app_voicemail.c`, `vm_execmain`, file
//! storage): the caller logs in to a mailbox, hears how many messages
//! it holds, and walks through them with the keypad: play, previous,
//! repeat, next, delete, save to a folder, change folder, help, exit.
//!
//! What the session changes reaches the spool when a folder is closed
//! (leaving it, or hanging up), as app_voicemail's `close_mailbox` does:
//! INBOX messages heard move to `Old`, deleted ones go, and the rest are
//! renumbered from `msg0000` without gaps. Every file of a message moves
//! by `rename`, its `.txt` last; a message saved to another folder is
//! copied there under temporary names renamed into place, and the
//! original removed when its folder closes.
//!
//! The mailbox options menu records the greetings (unavailable, busy,
//! name, temporary) through `play_record_review`'s record/review loop,
//! each recorded as `<name>.tmp.<ext>` in the mailbox directory and
//! renamed to `<name>.<ext>` when kept, and changes the password:
//! voicemail.conf is written again (beside itself, then renamed over
//! it) and the live configuration takes the new password. A new mailbox
//! (`forcename`/`forcegreetings`, its password the mailbox number) goes
//! through the same steps first (`vm_newuser_setup`).
//!
//! Forwarding (`8`) copies the message as it is into each target's
//! INBOX, or with a recording put before it (the original kept as
//! `msgNNNN-bak` meanwhile and restored afterwards).
//!
//! The advanced options (`3` on a message) reply into the sender's
//! mailbox, say the envelope, and leave a message for a typed mailbox
//! (`sendvoicemail`) through VoiceMail's own `leave_voicemail`; calling
//! the sender back (`callback`) or a typed number (`dialout`) leaves the
//! channel at that extension of the context, priority 0, so the
//! dialplan goes on there once VoiceMailMain returns.
//!
//! Not built (check-config and the log say so): the `g` option (record
//! gain, only used by recordings), choosing a forwarding target from the
//! directory (`usedirectory`), `backupdeleted`,
//! `passwordlocation=spooldir`, external password programs,
//! fast-forward/rewind/pause while a message plays, and the
//! language-specific prompt orders other than English. Rewriting
//! voicemail.conf drops its comments (Asterisk keeps them).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::playback::{Streamed, start_file, stream_file};
use super::read::{GetData, readstring};
use super::say::{DIGIT_ANY, Said, say_number};
use super::voicemail::{
    End, FILE, MAX_MSG_LIMIT, RecordOptions, box_dir, find_box, general, jump, last_message_index,
    opt, publish_mwi, record_formats, set_mode,
};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, separate_args};
use crate::channels::ChanState;
use crate::config::views::voicemail::{Mailbox, VoicemailConf};
use crate::core::logger::Logger;
use crate::media::file::SoundPaths;
use crate::media::saydate::{DateItem, date_items};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "VoiceMailMain",
        run: Run::Wait(voicemailmain),
        synopsis: "Lets a caller log in to a voicemail box and listen to its messages.",
        syntax: "VoiceMailMain([mailbox][@context][,options])",
    }]
}

/// The letters `vm_app_options` knows (VoiceMail and VoiceMailMain share
/// the table; VoiceMailMain acts on `s`, `p`, `a` and `r`, and the
/// others do nothing in it in Asterisk either, except `g`).
const KNOWN_OPTIONS: &str = "sSbugdpaUPetr";
/// Options of VoiceMailMain Asterism does not act on (check-config).
pub(super) const UNSUPPORTED_OPTIONS: &str = "g";

/// `mailbox_folders`: folder numbers as the keypad names them.
pub(crate) const FOLDERS: [&str; 12] = [
    "INBOX", "Old", "Work", "Family", "Friends", "Cust1", "Cust2", "Cust3", "Cust4", "Cust5",
    "Deleted", "Urgent",
];
const NEW_FOLDER: usize = 0;
const OLD_FOLDER: usize = 1;
const URGENT_FOLDER: usize = 11;
const DELETED_FOLDER: usize = 10;

/// Asterisk's int results: -1 hangup or failure, 0 nothing, a digit, or
/// `'t'` for a timeout.
type Cmd = i32;
const HANGUP: Cmd = -1;
const TIMEOUT: Cmd = 't' as i32;
/// `dialout`'s result when the channel was left at the extension to call.
const DIALOUT: Cmd = 9;
/// The caller went to the operator while leaving a message.
const OPERATOR_EXIT: Cmd = 300;
/// `MAX_NUM_CID_CONTEXTS`: how many `cidinternalcontexts` Asterisk keeps.
const CID_CONTEXTS: usize = 10;

fn digit(c: char) -> Cmd {
    c as i32
}

/// app_voicemail's `isprint(cmd) ? cmd : '?'` of a menu result.
fn printable(cmd: Cmd) -> char {
    u8::try_from(cmd)
        .ok()
        .filter(|c| (0x20..0x7f).contains(c))
        .map_or('?', char::from)
}

/// One of app_voicemail's own test-suite events, raised from `function`
/// at its 20.20.1 `line`.
fn vm_event(
    ctx: &AppCtx,
    state: &str,
    line: u32,
    function: &'static str,
    data: impl FnOnce() -> String,
) {
    let site = crate::core::logger::Site {
        file: FILE,
        line,
        function,
    };
    crate::core::testsuite::notify(&ctx.sys.pbx.channels.events, &site, state, data);
}

/// app_voicemail's `USERPRESS` event: the key (or result) a menu ended
/// with.
fn userpress(ctx: &AppCtx, cmd: Cmd, line: u32, function: &'static str) {
    let c = printable(cmd);
    vm_event(ctx, "USERPRESS", line, function, || {
        format!("Message: User pressed {c}\r\nDTMF: {c}")
    });
}

/// `mbox`: a folder's name, "Unknown" out of range.
pub(crate) fn mbox(id: usize) -> &'static str {
    FOLDERS.get(id).copied().unwrap_or("Unknown")
}

/// `get_folder_by_name`.
pub(crate) fn folder_by_name(name: &str) -> Option<usize> {
    FOLDERS.iter().position(|f| f.eq_ignore_ascii_case(name))
}

/// A mailbox's settings VoiceMailMain reads: the mailbox's own option,
/// else `[general]`'s, else Asterisk's default.
#[derive(Debug, Clone)]
struct User {
    context: String,
    mailbox: String,
    password: String,
    maxmsg: i32,
    language: String,
    envelope: bool,
    saycid: bool,
    sayduration: bool,
    saydurationm: i32,
    messagewrap: bool,
    moveheard: bool,
    skipaftercmd: bool,
    /// `nextaftercmd` of `[general]` (saving reads the global flag).
    global_skipaftercmd: bool,
    tempgreetwarn: bool,
    /// `operator`: 0 cancels a recording.
    operator: bool,
    forcename: bool,
    forcegreet: bool,
    callback: String,
    dialout: String,
    svmail: bool,
    backupdeleted: i32,
    zonetag: String,
}

fn user_of(conf: &VoicemailConf, m: &Mailbox) -> User {
    let flag = |key: &str, default: bool| {
        opt(m, key)
            .or_else(|| general(conf, key))
            .map_or(default, crate::config::is_true)
    };
    let global =
        |key: &str, default: bool| general(conf, key).map_or(default, crate::config::is_true);
    let text = |key: &str| {
        opt(m, key)
            .or_else(|| general(conf, key))
            .unwrap_or("")
            .to_string()
    };
    let num = |v: Option<&str>, default: i32| {
        v.and_then(|s| s.trim().parse::<i32>().ok())
            .unwrap_or(default)
    };
    User {
        context: m.context.clone(),
        mailbox: m.mailbox.clone(),
        password: m.password.clone(),
        maxmsg: num(opt(m, "maxmsg"), conf.general.maxmsg as i32),
        language: opt(m, "language").unwrap_or("").to_string(),
        envelope: flag("envelope", true),
        saycid: flag("saycid", false),
        sayduration: flag("sayduration", true),
        saydurationm: num(
            opt(m, "saydurationm").or_else(|| general(conf, "saydurationm")),
            2,
        ),
        messagewrap: flag("messagewrap", false),
        moveheard: flag("moveheard", true),
        skipaftercmd: flag("nextaftercmd", false),
        global_skipaftercmd: global("nextaftercmd", false),
        tempgreetwarn: flag("tempgreetwarn", false),
        operator: flag("operator", false),
        forcename: flag("forcename", false),
        forcegreet: flag("forcegreetings", false),
        callback: text("callback"),
        dialout: text("dialout"),
        svmail: flag("sendvoicemail", false),
        backupdeleted: num(
            opt(m, "backupdeleted").or_else(|| general(conf, "backupdeleted")),
            0,
        ),
        zonetag: m.zonetag.clone(),
    }
}

/// `struct vm_state`: the folder open and what the caller did to it.
#[derive(Debug, Default)]
struct Vms {
    username: String,
    curbox: String,
    vmbox: String,
    curdir: PathBuf,
    curmsg: i32,
    lastmsg: i32,
    deleted: Vec<bool>,
    heard: Vec<bool>,
    newmessages: i32,
    oldmessages: i32,
    urgentmessages: i32,
    starting: bool,
    repeats: i32,
}

impl Vms {
    fn deleted(&self, n: i32) -> bool {
        marked(&self.deleted, n)
    }

    fn mark(v: &mut Vec<bool>, n: i32, value: bool) {
        set_mark(v, n, value);
    }
}

/// `make_file`: `<dir>/msgNNNN`.
pub(crate) fn make_file(dir: &Path, num: i32) -> PathBuf {
    dir.join(format!("msg{num:04}"))
}

/// The files of message `base` (`msgNNNN.<ext>` for every extension),
/// the `.txt` last.
pub(crate) fn message_files(base: &Path) -> Vec<(String, PathBuf)> {
    let (Some(dir), Some(stem)) = (base.parent(), base.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let prefix = format!("{stem}.");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    let ext = name.strip_prefix(&prefix)?.to_string();
                    Some((ext, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|(ext, _)| (ext == "txt", ext.clone()));
    out
}

/// `EXISTS` for file storage: the message's sound in some format.
pub(crate) fn message_exists(base: &Path) -> bool {
    message_files(base).iter().any(|(ext, _)| ext != "txt")
}

/// `rename_file`: every file of `from` becomes `to`'s, the `.txt` last.
pub(crate) fn rename_message(log: &Logger, from: &Path, to: &Path) {
    for (ext, path) in message_files(from) {
        let target = PathBuf::from(format!("{}.{ext}", to.display()));
        if let Err(e) = std::fs::rename(&path, &target) {
            log.warning(
                crate::site!("app_voicemail.c", 0, "rename_file"),
                None,
                &format!(
                    "Unable to rename {} to {}: {e}",
                    path.display(),
                    target.display()
                ),
            );
        }
    }
}

/// `vm_delete`: the `.txt` first, then the sound files.
pub(crate) fn delete_message(log: &Logger, base: &Path) {
    let mut files = message_files(base);
    files.sort_by_key(|(ext, _)| ext != "txt");
    for (_, path) in files {
        if let Err(e) = std::fs::remove_file(&path) {
            log.warning(
                crate::site!("app_voicemail.c", 0, "vm_delete"),
                None,
                &format!("Unable to delete {}: {e}", path.display()),
            );
        }
    }
}

/// `copy_file` made crash-safe: each file is copied under a temporary
/// name no message count sees, then renamed into place, the `.txt` last.
pub(crate) fn copy_message_files(log: &Logger, from: &Path, to: &Path) -> bool {
    let Some(dir) = to.parent() else {
        return false;
    };
    let stem = to
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("msg")
        .to_string();
    let mut ok = true;
    for (ext, path) in message_files(from) {
        let tmp = dir.join(format!(".{stem}.{ext}.tmp"));
        let target = PathBuf::from(format!("{}.{ext}", to.display()));
        let res = std::fs::copy(&path, &tmp).and_then(|_| std::fs::rename(&tmp, &target));
        match res {
            Ok(()) => set_mode(&target, 0o666 & !0o022),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                log.warning(
                    crate::site!("app_voicemail.c", 0, "copy_file"),
                    None,
                    &format!(
                        "Unable to copy {} to {}: {e}",
                        path.display(),
                        target.display()
                    ),
                );
                ok = false;
            }
        }
    }
    ok
}

/// `count_messages`: directory entries named `<7 characters>.txt...`.
pub(crate) fn count_txt(dir: &Path) -> i32 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    let b = n.as_encoded_bytes();
                    b.len() > 7 && b[7..].starts_with(b".txt")
                })
                .count() as i32
        })
        .unwrap_or(0)
}

/// A message's `.txt` (`[message]` of an ini file).
pub(crate) fn read_message_info(path: &Path) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut in_message = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(sec) = line.strip_prefix('[') {
            in_message = sec.trim_end_matches(']').eq_ignore_ascii_case("message");
            continue;
        }
        if in_message && let Some((k, v)) = line.split_once('=') {
            let v = v.trim_start_matches('>').trim();
            out.push((k.trim().to_string(), v.to_string()));
        }
    }
    Some(out)
}

pub(crate) fn info<'a>(info: &'a [(String, String)], key: &str) -> Option<&'a str> {
    info.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The context a message came from; a macro's context says nothing about
/// where the caller is, so its `macrocontext` stands instead.
fn message_context(msg: &[(String, String)]) -> Option<&str> {
    let context = info(msg, "context");
    if context.is_some_and(|c| c.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("macro"))) {
        return info(msg, "macrocontext");
    }
    context
}

/// `open_mailbox` for file storage: makes the folder, counts its
/// messages (`count_messages`) and, when their numbers do not run from 0
/// without a gap, renumbers them (`resequence_mailbox`). Returns the count.
pub(crate) fn open_folder(log: &Logger, dir: &Path, maxmsg: i32) -> i32 {
    if let Err(e) = std::fs::create_dir_all(dir) {
        log.warning(
            crate::site!("app_voicemail.c", 2274, "create_dirpath"),
            None,
            &format!("ast_mkdir '{}' failed: {e}", dir.display()),
        );
    }
    let count = count_txt(dir);
    let last = last_message_index(dir);
    if count - 1 != last {
        log.notice(
            crate::site!("app_voicemail.c", 9661, "open_mailbox"),
            None,
            &format!(
                "Resequencing Mailbox: {}, expected {} but found {} message(s) in box with max threshold of {maxmsg}.",
                dir.display(),
                last + 1,
                count
            ),
        );
        resequence(log, dir, count);
    }
    count
}

/// `resequence_mailbox`: the messages renumbered from 0 in order, each by
/// renaming its files.
pub(crate) fn resequence(log: &Logger, dir: &Path, stopcount: i32) {
    let mut dest = 0;
    let mut x = 0;
    while dest != stopcount && x < MAX_MSG_LIMIT {
        let sfn = make_file(dir, x);
        if message_exists(&sfn) {
            if x != dest {
                rename_message(log, &sfn, &make_file(dir, dest));
            }
            dest += 1;
        }
        x += 1;
    }
}

/// What the caller (or the manager) marked in an open folder, by
/// message number.
pub(crate) struct Marks<'a> {
    pub deleted: &'a mut Vec<bool>,
    pub heard: &'a mut Vec<bool>,
}

fn marked(v: &[bool], n: i32) -> bool {
    usize::try_from(n)
        .ok()
        .and_then(|i| v.get(i))
        .copied()
        .unwrap_or(false)
}

fn set_mark(v: &mut Vec<bool>, n: i32, value: bool) {
    if let Ok(i) = usize::try_from(n) {
        if v.len() <= i {
            v.resize(i + 1, false);
        }
        v[i] = value;
    }
}

/// `close_mailbox` for file storage: in folder `curbox` (`dir`, opened
/// with `lastmsg` as its last message), heard INBOX/Urgent messages go
/// to Old through `move_to_old` (when `moveheard`), deleted ones go, the
/// rest are renumbered from 0 without gaps (renames, one file at a
/// time). Returns the last kept message's number, None when the folder
/// was empty.
pub(crate) fn close_folder(
    log: &Logger,
    dir: &Path,
    curbox: &str,
    lastmsg: i32,
    moveheard: bool,
    marks: Marks<'_>,
    move_to_old: &mut dyn FnMut(i32) -> bool,
) -> Option<i32> {
    if lastmsg <= -1 {
        return None;
    }
    let mut curmsg = -1;
    let last_idx = last_message_index(dir);
    if last_idx != lastmsg {
        log.notice(
            crate::site!("app_voicemail.c", 9696, "close_mailbox"),
            None,
            &format!(
                "{} messages received after mailbox opened.",
                last_idx - lastmsg
            ),
        );
    }
    let new_box = curbox.eq_ignore_ascii_case("INBOX") || curbox.eq_ignore_ascii_case("Urgent");
    let mut x = 0;
    while x < last_idx + 1 {
        let deleted = marked(marks.deleted, x);
        let heard = marked(marks.heard, x);
        let fname = make_file(dir, x);
        if !deleted && (!new_box || !heard || !moveheard) {
            if !message_exists(&fname) {
                break;
            }
            curmsg += 1;
            let fn2 = make_file(dir, curmsg);
            if fname != fn2 {
                rename_message(log, &fname, &fn2);
            }
        } else if new_box && heard && moveheard && !deleted {
            if !move_to_old(x) {
                log.warning(
                    crate::site!("app_voicemail.c", 9717, "close_mailbox"),
                    None,
                    "Save failed.  Not moving message: destination folder full.",
                );
                set_mark(marks.deleted, x, false);
                set_mark(marks.heard, x, false);
                continue;
            }
        } else if deleted && message_exists(&fname) {
            delete_message(log, &fname);
        }
        x += 1;
    }
    // What is left above the kept messages goes (`Delete ALL remaining
    // messages`).
    for n in (curmsg + 1)..x {
        let f = make_file(dir, n);
        if !message_files(&f).is_empty() {
            delete_message(log, &f);
        }
    }
    Some(curmsg)
}

/// Why [`copy_to_folder`] did not copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// The folder holds `maxmsg` messages (`ERROR_MAX_MSGS`).
    Full,
}

/// `save_to_folder` for file storage: message `src` copied into `ddir`
/// (folder `box_id`) at the number after its highest. The Deleted folder
/// keeps at most `maxdeleted`: when full its oldest message is pushed out
/// (each one renumbered down) to make room at the top.
pub(crate) fn copy_to_folder(
    log: &Logger,
    src: &Path,
    ddir: &Path,
    box_id: usize,
    maxmsg: i32,
    maxdeleted: i32,
) -> Result<i32, SaveError> {
    if let Err(e) = std::fs::create_dir_all(ddir) {
        log.warning(
            crate::site!("app_voicemail.c", 2274, "create_dirpath"),
            None,
            &format!("ast_mkdir '{}' failed: {e}", ddir.display()),
        );
    }
    let mut x = last_message_index(ddir) + 1;
    if box_id == DELETED_FOLDER && x >= maxdeleted {
        x -= 1;
        for i in 1..=x {
            let sfn = make_file(ddir, i);
            if !message_exists(&sfn) {
                break;
            }
            rename_message(log, &sfn, &make_file(ddir, i - 1));
        }
    } else if x >= maxmsg {
        return Err(SaveError::Full);
    }
    let dfn = make_file(ddir, x);
    if src != dfn {
        copy_message_files(log, src, &dfn);
    }
    Ok(x)
}

fn voicemailmain<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { vm_execmain(ctx, &data).await })
}

/// Parsed arguments of VoiceMailMain.
#[derive(Debug, Default, PartialEq, Eq)]
struct MainArgs {
    silent: bool,
    prepend: bool,
    /// `a(folder)`: the folder to play at once.
    play_folder: Option<usize>,
    readonly: bool,
    mailbox: String,
    context: Option<String>,
}

async fn vm_execmain(ctx: &AppCtx, data: &str) -> AppResult {
    vm_event(ctx, "START", 12488, "vm_execmain", || {
        "Message: vm_execmain started".into()
    });
    if ctx.chan.state() != ChanState::Up {
        ctx.chan.answer();
    }
    let conf = ctx.sys.loaded().voicemail.clone();
    let spool = ctx.sys.conf.dirs.spool.clone();
    let maxlogins = conf.general.maxlogins as i32;
    let mut a = MainArgs::default();
    if !data.is_empty() {
        let args = separate_args(data, ',', 2);
        let mut argv0 = args.first().cloned().unwrap_or_default();
        if args.len() == 2 {
            let Ok(o) = options::parse(&ctx.sys.pbx.logger, &args[1], KNOWN_OPTIONS) else {
                ctx.warning(
                    crate::site!("app_voicemail.c", 12508, "vm_execmain"),
                    &format!("Invalid option string '{}'", args[1]),
                );
                return Err(AppExit::Hangup);
            };
            if o.has('g') {
                ctx.warning(
                    crate::site!("app_voicemail.c", 0, "vm_execmain"),
                    "VoiceMailMain option 'g' (record gain) is not supported by Asterism; ignored",
                );
            }
            a.silent = o.has('s');
            a.prepend = o.has('p');
            if o.has('a') {
                let folder = o.arg('a').unwrap_or("");
                let n = if folder.is_empty() {
                    ctx.warning(
                        crate::site!("app_voicemail.c", 12534, "vm_execmain"),
                        "Invalid folder set with option a",
                    );
                    Some(0)
                } else if folder.starts_with(|c: char| c.is_ascii_digit()) {
                    Some(super::builtins::atoi(folder))
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= 9)
                } else {
                    folder_by_name(folder).filter(|&n| n <= 9)
                };
                a.play_folder = Some(n.unwrap_or_else(|| {
                    ctx.warning(
                        crate::site!("app_voicemail.c", 12537, "vm_execmain"),
                        &format!(
                            "Invalid value '{folder}' provided for folder autoplay option. Defaulting to 'INBOX'"
                        ),
                    );
                    0
                }));
            }
            a.readonly = o.has('r');
        } else {
            // The old style: leading `s` and `p` letters of the mailbox.
            let rest = argv0.trim_start_matches(['s', 'p']);
            let letters = &argv0[..argv0.len() - rest.len()];
            a.silent = letters.contains('s');
            a.prepend = letters.contains('p');
            argv0 = rest.to_string();
        }
        let (mailbox, context) = match argv0.split_once('@') {
            Some((m, c)) => (m.to_string(), Some(c.to_string())),
            None => (argv0, None),
        };
        a.mailbox = mailbox;
        a.context = context;
    }
    let mut valid = a.silent;
    let prefix = if a.prepend {
        a.mailbox.clone()
    } else {
        String::new()
    };
    let mut vms = Vms {
        lastmsg: -1,
        username: if a.prepend {
            String::new()
        } else {
            a.mailbox.clone()
        },
        ..Vms::default()
    };
    let context = a.context.as_deref();
    let mut vmu: Option<User> = None;
    let mut skipuser = false;
    if !data.is_empty() {
        if !vms.username.is_empty() {
            if let Some(m) = find_box(&conf, context, &vms.username) {
                vmu = Some(user_of(&conf, m));
                skipuser = true;
            } else {
                ctx.warning(
                    crate::site!("app_voicemail.c", 12574, "vm_execmain"),
                    &format!(
                        "Mailbox '{}{}{}' doesn't exist",
                        vms.username,
                        if context.is_some() { "@" } else { "" },
                        context.unwrap_or("")
                    ),
                );
                valid = false;
            }
        } else {
            valid = false;
        }
    }
    let mut res = 0;
    if !valid {
        match authenticate(
            ctx,
            &conf,
            &mut vms.username,
            context,
            &prefix,
            skipuser,
            maxlogins,
            false,
        )
        .await
        {
            Ok(found) => {
                if !skipuser {
                    vmu = found;
                }
                res = 0;
            }
            Err(()) => res = -1,
        }
    }
    if vms.username.starts_with('*') && a_exists(ctx) {
        jump(ctx, "a", "");
        vm_event(ctx, "REDIRECT", 12592, "vm_execmain", || {
            "Message: redirecting user to 'a' extension".into()
        });
        return Ok(());
    }
    let valid = res == 0 && vmu.is_some();
    let Some(vmu) = vmu.filter(|_| valid) else {
        return if ctx.chan.check_hangup() {
            Err(AppExit::Hangup)
        } else {
            Ok(())
        };
    };
    vm_event(ctx, "AUTHENTICATED", 12613, "vm_execmain", || {
        "Message: vm_user authenticated".into()
    });
    if !vmu.language.is_empty() {
        ctx.chan.lock().language = vmu.language.clone();
    }
    let lang = ctx.chan.lock().language.clone();
    if !lang.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("en")) {
        ctx.warning(
            crate::site!("app_voicemail.c", 0, "vm_intro"),
            &format!(
                "VoiceMailMain: the prompt order of language '{lang}' is not implemented in Asterism; using English's"
            ),
        );
    }
    let session = Session {
        ctx,
        spool: spool.clone(),
        vmu: vmu.clone(),
        nodelete: a.readonly,
        conf: conf.clone(),
        context_arg: a.context.clone(),
    };
    let res = session.run(&mut vms, a.play_folder).await;
    publish_mwi(ctx, &spool, &vmu.context, &vms.username);
    if res < 0 || ctx.chan.check_hangup() {
        Err(AppExit::Hangup)
    } else {
        Ok(())
    }
}

/// `vm_authenticate`: asks for the mailbox (unless `skipuser`) and its
/// password, at most `max_logins` times; `silent` leaves out the login
/// prompt. `Ok` with the mailbox found (None when it was given by the
/// caller, `skipuser`).
#[allow(clippy::too_many_arguments)]
async fn authenticate(
    ctx: &AppCtx,
    conf: &VoicemailConf,
    mailbox: &mut String,
    context: Option<&str>,
    prefix: &str,
    skipuser: bool,
    max_logins: i32,
    silent: bool,
) -> Result<Option<User>, ()> {
    let login_prompt = general(conf, "vm-login").unwrap_or("vm-login").to_string();
    let password_prompt = general(conf, "vm-password")
        .unwrap_or("vm-password")
        .to_string();
    let mut prompt = None;
    if !skipuser && !silent {
        match start_file(ctx, &login_prompt) {
            Some(g) => prompt = Some(g),
            None => {
                ctx.warning(
                    crate::site!("app_voicemail.c", 11812, "vm_authenticate"),
                    "Couldn't stream login file",
                );
                return Err(());
            }
        }
    }
    let mut valid = false;
    let mut logretries = 0;
    let mut found: Option<User> = None;
    while !valid && logretries < max_logins {
        if !skipuser {
            mailbox.clear();
            if readstring(ctx, prompt.take(), mailbox, 79, 2000, 10000, "#").await
                == GetData::Failed
            {
                ctx.warning(
                    crate::site!("app_voicemail.c", 11821, "vm_authenticate"),
                    "Couldn't read username",
                );
                return Err(());
            }
        }
        prompt = None;
        if mailbox.is_empty() {
            let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
            match cid {
                Some(n) => *mailbox = n,
                None => {
                    ctx.verbose(
                        3,
                        crate::site!(FILE, 11828, "vm_authenticate"),
                        "Username not entered",
                    );
                    return Err(());
                }
            }
        } else if mailbox.starts_with('*') {
            ctx.verbose(
                4,
                crate::site!(FILE, 11833, "vm_authenticate"),
                "Mailbox begins with '*', attempting jump to extension 'a'",
            );
            if a_exists(ctx) {
                return Err(());
            }
            ctx.verbose(
                4,
                crate::site!(FILE, 11838, "vm_authenticate"),
                "Jump to extension 'a' failed; setting mailbox to NULL",
            );
            mailbox.clear();
        }
        if !prefix.is_empty() {
            *mailbox = format!("{prefix}{mailbox}");
        }
        let mut user = find_box(conf, context, mailbox).map(|m| user_of(conf, m));
        let mut password = String::new();
        let blank = user
            .as_ref()
            .is_some_and(|u| u.password.is_empty() || u.password == "-");
        if !blank {
            let Some(g) = start_file(ctx, &password_prompt) else {
                if !ctx.chan.check_hangup() {
                    ctx.warning(
                        crate::site!("app_voicemail.c", 11862, "vm_authenticate"),
                        "Unable to stream password file",
                    );
                }
                return Err(());
            };
            if readstring(ctx, Some(g), &mut password, 79, 2000, 10000, "#").await
                == GetData::Failed
            {
                ctx.notice(
                    crate::site!("app_voicemail.c", 11868, "vm_authenticate"),
                    "Unable to read password",
                );
                return Err(());
            }
            if password.starts_with('*') {
                ctx.verbose(
                    4,
                    crate::site!(FILE, 11873, "vm_authenticate"),
                    "Password begins with '*', attempting jump to extension 'a'",
                );
                if a_exists(ctx) {
                    *mailbox = "*".to_string();
                    return Err(());
                }
                ctx.verbose(
                    4,
                    crate::site!(FILE, 11880, "vm_authenticate"),
                    "Jump to extension 'a' failed; setting mailbox and user to NULL",
                );
                mailbox.clear();
                user = None;
            }
        }
        let matches = user.as_ref().is_some_and(|u| {
            let stored = u.password.strip_prefix('-').unwrap_or(&u.password);
            stored == password
        });
        if matches {
            valid = true;
            found = user;
        } else {
            ctx.verbose(
                3,
                crate::site!(FILE, 11895, "vm_authenticate"),
                &format!(
                    "Incorrect password '{password}' for user '{mailbox}' (context = {})",
                    context.unwrap_or("default")
                ),
            );
            if !prefix.is_empty() {
                mailbox.clear();
            }
        }
        logretries += 1;
        if !valid {
            if skipuser || logretries >= max_logins {
                match stream_file(ctx, "vm-incorrect", "").await {
                    Streamed::Failed => {
                        ctx.warning(
                            crate::site!("app_voicemail.c", 11903, "vm_authenticate"),
                            "Unable to stream incorrect message",
                        );
                        return Err(());
                    }
                    Streamed::Hangup => return Err(()),
                    _ => {}
                }
            } else {
                match start_file(ctx, "vm-incorrect-mailbox") {
                    Some(g) => prompt = Some(g),
                    None => {
                        ctx.warning(
                            crate::site!("app_voicemail.c", 11915, "vm_authenticate"),
                            "Unable to stream incorrect mailbox message",
                        );
                        return Err(());
                    }
                }
            }
        }
    }
    if !valid && logretries >= max_logins {
        ctx.chan.stop_stream();
        let _ = play_and_wait(ctx, "vm-goodbye").await;
        return Err(());
    }
    Ok(found)
}

/// `vm_authenticate` as VMAuthenticate calls it (three tries). `Ok` with
/// the context of the mailbox the caller logged in to: empty when the
/// mailbox was given (`skipuser`), as Asterisk only copies the user it
/// looked up itself.
pub(super) async fn authenticate_for_app(
    ctx: &AppCtx,
    mailbox: &mut String,
    context: Option<&str>,
    skipuser: bool,
    silent: bool,
) -> Result<String, ()> {
    let conf = ctx.sys.loaded().voicemail.clone();
    let found = authenticate(ctx, &conf, mailbox, context, "", skipuser, 3, silent).await?;
    Ok(match found {
        Some(u) if !skipuser => u.context,
        _ => String::new(),
    })
}

/// `play_message_by_id`: every folder of the mailbox opened in turn until
/// the message with `msg_id` is found and played; each folder closed as
/// VoiceMailMain closes one, so a message heard in INBOX moves to Old.
/// Whether it was played.
pub(super) async fn play_message_by_id(
    ctx: &AppCtx,
    mailbox: &str,
    context: Option<&str>,
    msg_id: &str,
) -> bool {
    let conf = ctx.sys.loaded().voicemail.clone();
    let Some(m) = find_box(&conf, context, mailbox) else {
        return false;
    };
    let session = Session {
        ctx,
        spool: ctx.sys.conf.dirs.spool.clone(),
        vmu: user_of(&conf, m),
        nodelete: false,
        conf: conf.clone(),
        context_arg: context.map(str::to_string),
    };
    let mut played = false;
    for box_id in 0..FOLDERS.len() {
        if played {
            break;
        }
        let mut vms = Vms {
            username: mailbox.to_string(),
            lastmsg: -1,
            ..Vms::default()
        };
        session.open(&mut vms, box_id);
        if vms.lastmsg != -1 {
            let count = vms.lastmsg + 1;
            if let Some(n) = find_message_by_id(&vms.curdir, count, msg_id) {
                vms.curmsg = n;
                let base = make_file(&vms.curdir, n);
                let file = base.display().to_string();
                vm_event(ctx, "PLAYVOICE", 9135, "wait_file", || {
                    format!("Message: Playing {file}")
                });
                if session.control_stream(&file).await < 0 {
                    ctx.warning(
                        crate::site!("app_voicemail.c", 11956, "play_message_by_id_helper"),
                        &format!("Playback of message {file} failed"),
                    );
                } else {
                    Vms::mark(&mut vms.heard, n, true);
                }
                played = true;
            }
        }
        session.close(&mut vms);
    }
    played
}

/// `message_range_and_existence_check` for one ID: the number of the
/// message with `id` among the folder's `count`; None when it is not
/// there or a message's `.txt` cannot be read.
pub(crate) fn find_message_by_id(dir: &Path, count: i32, id: &str) -> Option<i32> {
    for n in 0..count {
        let txt = PathBuf::from(format!("{}.txt", make_file(dir, n).display()));
        let msg = read_message_info(&txt)?;
        if info(&msg, "msg_id").is_some_and(|other| !other.is_empty() && other == id) {
            return Some(n);
        }
    }
    None
}

/// Whether extension `a` exists in the channel's context.
pub(super) fn a_exists(ctx: &AppCtx) -> bool {
    let (chan_context, cid) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.caller.id.number().map(str::to_string))
    };
    let plan = ctx.sys.loaded().dialplan.clone();
    crate::pbx::find::exists(&plan, &chan_context, "a", 1, cid.as_deref())
}

/// `ast_play_and_wait`: any digit stops the file; a file that does not
/// open, or a hangup, is -1.
async fn play_and_wait(ctx: &AppCtx, file: &str) -> Cmd {
    match stream_file(ctx, file, DIGIT_ANY).await {
        Streamed::Done => 0,
        Streamed::Digit(d) => digit(d),
        Streamed::Failed | Streamed::Hangup => HANGUP,
    }
}

/// `wait_file2`: as [`play_and_wait`], with app_voicemail's warning.
async fn wait_file2(ctx: &AppCtx, file: &str) -> Cmd {
    let r = play_and_wait(ctx, file).await;
    if r < 0 {
        ctx.warning(
            crate::site!("app_voicemail.c", 9129, "wait_file2"),
            &format!("Unable to play message {file}"),
        );
    }
    r
}

/// `ast_waitfordigit`.
async fn wait_for_digit(ctx: &AppCtx, ms: u64) -> Cmd {
    match ctx.chan.wait_digit(Duration::from_millis(ms)).await {
        Ok(Some(d)) => digit(d),
        Ok(None) => 0,
        Err(_) => HANGUP,
    }
}

/// `say_and_wait`: a number, any digit interrupting.
async fn say_and_wait(ctx: &AppCtx, n: i32) -> Cmd {
    match say_number(ctx, n, DIGIT_ANY).await {
        Said::Done => 0,
        Said::Digit(d) => digit(d),
        Said::Failed => HANGUP,
    }
}

/// The logged-in part of `vm_execmain`.
struct Session<'a> {
    ctx: &'a AppCtx,
    spool: PathBuf,
    vmu: User,
    nodelete: bool,
    conf: std::sync::Arc<VoicemailConf>,
    /// The context VoiceMailMain was given (`mailbox@context`), if any:
    /// forwarding looks the targets up there.
    context_arg: Option<String>,
}

impl Session<'_> {
    /// `open_mailbox`: opens folder `box_id`, forgetting what was marked.
    fn open(&self, vms: &mut Vms, box_id: usize) {
        vms.curbox = mbox(box_id).to_string();
        vms.vmbox = format!("vm-{}", vms.curbox);
        vms.curdir = box_dir(&self.spool, &self.vmu.context, &vms.username).join(&vms.curbox);
        let count = open_folder(&self.ctx.sys.pbx.logger, &vms.curdir, self.vmu.maxmsg);
        vms.lastmsg = count - 1;
        let size = usize::try_from(self.vmu.maxmsg.max(count)).unwrap_or(0);
        vms.deleted = vec![false; size];
        vms.heard = vec![false; size];
    }

    /// `close_mailbox`: heard INBOX/Urgent messages move to Old, deleted
    /// ones go, the rest are renumbered without gaps.
    fn close(&self, vms: &mut Vms) {
        let curdir = vms.curdir.clone();
        let username = vms.username.clone();
        let marks = Marks {
            deleted: &mut vms.deleted,
            heard: &mut vms.heard,
        };
        let kept = close_folder(
            &self.ctx.sys.pbx.logger,
            &curdir,
            &vms.curbox,
            vms.lastmsg,
            self.vmu.moveheard,
            marks,
            &mut |x| self.move_to_folder(&curdir, &username, x, OLD_FOLDER),
        );
        if let Some(curmsg) = kept {
            vms.curmsg = curmsg;
        }
    }

    /// `save_to_folder` with the message moved (renamed) rather than
    /// copied: used when a folder closes.
    fn move_to_folder(&self, curdir: &Path, username: &str, msg: i32, box_id: usize) -> bool {
        let ddir = box_dir(&self.spool, &self.vmu.context, username).join(mbox(box_id));
        if let Err(e) = std::fs::create_dir_all(&ddir) {
            self.ctx.warning(
                crate::site!("app_voicemail.c", 2274, "create_dirpath"),
                &format!("ast_mkdir '{}' failed: {e}", ddir.display()),
            );
            return false;
        }
        let x = last_message_index(&ddir) + 1;
        if x >= self.vmu.maxmsg {
            return false;
        }
        let sfn = make_file(curdir, msg);
        let dfn = make_file(&ddir, x);
        if sfn != dfn {
            rename_message(&self.ctx.sys.pbx.logger, &sfn, &dfn);
        }
        true
    }

    /// `save_to_folder`: the message copied into `box_id` at its next
    /// free number; the original goes when its folder closes. Returns
    /// whether the folder had room.
    fn save_to_folder(&self, vms: &Vms, msg: i32, box_id: usize) -> bool {
        let ddir = box_dir(&self.spool, &self.vmu.context, &vms.username).join(mbox(box_id));
        copy_to_folder(
            &self.ctx.sys.pbx.logger,
            &make_file(&vms.curdir, msg),
            &ddir,
            box_id,
            self.vmu.maxmsg,
            self.vmu.backupdeleted,
        )
        .is_ok()
    }

    async fn run(&self, vms: &mut Vms, autoplay: Option<usize>) -> Cmd {
        let ctx = self.ctx;
        let vmu = &self.vmu;
        self.open(vms, OLD_FOLDER);
        vms.oldmessages = vms.lastmsg + 1;
        self.open(vms, NEW_FOLDER);
        vms.newmessages = vms.lastmsg + 1;
        let mut in_urgent = true;
        self.open(vms, URGENT_FOLDER);
        vms.urgentmessages = vms.lastmsg + 1;
        let mut play_folder = autoplay.unwrap_or(0);
        let mut cmd: Cmd;
        if let Some(folder) = autoplay {
            vm_event(ctx, "AUTOPLAY", 12663, "vm_execmain", || {
                "Message: auto-playing messages".into()
            });
            if vms.urgentmessages > 0 {
                in_urgent = true;
                self.open(vms, URGENT_FOLDER);
            } else {
                in_urgent = false;
                self.open(vms, folder);
            }
            if vms.lastmsg == -1 {
                let _ = self.browse(vms).await;
                return self.goodbye(vms, 0).await;
            }
        } else if vms.newmessages == 0 && vms.urgentmessages == 0 && vms.oldmessages > 0 {
            self.open(vms, OLD_FOLDER);
            in_urgent = false;
            play_folder = 1;
        } else if vms.urgentmessages == 0 && vms.newmessages > 0 {
            in_urgent = false;
            self.open(vms, NEW_FOLDER);
        }
        if vmu.backupdeleted > 0 {
            ctx.warning(
                crate::site!("app_voicemail.c", 0, "close_mailbox"),
                "VoiceMailMain: backupdeleted is not supported by Asterism; deleted messages are removed",
            );
        }
        if vmu.mailbox.eq_ignore_ascii_case(&vmu.password) && (vmu.forcename || vmu.forcegreet) {
            if play_and_wait(ctx, &self.prompt("vm-newuser")).await == HANGUP {
                ctx.warning(
                    crate::site!(FILE, 12708, "vm_execmain"),
                    "Couldn't stream new user file",
                );
            }
            let cmd = self.new_user_setup(vms).await;
            if cmd == TIMEOUT || cmd == digit('#') {
                vm_event(ctx, "TIMEOUT", 12712, "vm_execmain", || {
                    "Message: response from user timed out".into()
                });
                return self.goodbye(vms, 0).await;
            } else if cmd < 0 {
                vm_event(ctx, "HANGUP", 12718, "vm_execmain", || {
                    "Message: hangup detected".into()
                });
                return self.goodbye(vms, HANGUP).await;
            }
        }
        vm_event(ctx, "INTRO", 12737, "vm_execmain", || {
            "Message: playing intro menu".into()
        });
        cmd = if autoplay.is_some() {
            digit('1')
        } else {
            self.intro(vms).await
        };
        userpress(ctx, cmd, 12743, "vm_execmain");
        vms.repeats = 0;
        vms.starting = true;
        while cmd > -1 && cmd != TIMEOUT && cmd != digit('#') {
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            match key {
                '1' | '5' => {
                    if key == '1' {
                        vms.curmsg = 0;
                    }
                    let n = vms.curmsg;
                    vm_event(ctx, "BROWSE", 12756, "vm_execmain", || {
                        format!("Message: browsing message {n}\r\nVoicemail: {n}")
                    });
                    cmd = self.browse(vms).await;
                }
                '2' => {
                    vm_event(ctx, "CHANGEFOLDER", 12760, "vm_execmain", || {
                        "Message: browsing to a different folder".into()
                    });
                    cmd = self.get_folder2("vm-changeto").await;
                    userpress(ctx, cmd, 12765, "vm_execmain");
                    if cmd == digit('#') {
                        cmd = 0;
                    } else if cmd > 0 {
                        let box_id = usize::try_from(cmd - digit('0')).unwrap_or(0);
                        self.close(vms);
                        if box_id != URGENT_FOLDER {
                            in_urgent = false;
                        }
                        self.open(vms, box_id);
                        play_folder = box_id;
                        cmd = 0;
                    }
                    if cmd == 0 {
                        cmd = self.play_folder_name(&vms.vmbox.clone()).await;
                    }
                    vms.starting = true;
                    vms.curmsg = 0;
                }
                '3' => {
                    vm_event(ctx, "ADVOPTIONS", 12797, "vm_execmain", || {
                        "Message: entering advanced options menu".into()
                    });
                    cmd = self.advanced(vms).await;
                    // The call continues in the dialplan: "dialing out"
                    // instead of goodbye; after the operator, nothing.
                    if cmd == DIALOUT {
                        return self.finish(vms, 0, Some("vm-dialout")).await;
                    }
                    if cmd == OPERATOR_EXIT {
                        return self.finish(vms, 0, None).await;
                    }
                }
                '4' => {
                    let n = vms.curmsg - 1;
                    vm_event(ctx, "PREVMSG", 12917, "vm_execmain", || {
                        format!("Message: browsing message {n}\r\nVoicemail: {n}")
                    });
                    if vms.curmsg > 0 {
                        vms.curmsg -= 1;
                        cmd = self.play_message(vms).await;
                    } else if !in_urgent && vms.urgentmessages > 0 {
                        in_urgent = true;
                        self.close(vms);
                        self.open(vms, URGENT_FOLDER);
                        vms.curmsg = vms.lastmsg;
                        if vms.lastmsg < 0 {
                            cmd = play_and_wait(ctx, "vm-nomore").await;
                        }
                    } else if vmu.messagewrap && vms.lastmsg > 0 {
                        vms.curmsg = vms.lastmsg;
                        cmd = self.play_message(vms).await;
                    } else {
                        cmd = play_and_wait(ctx, "vm-nomore").await;
                    }
                }
                '6' => {
                    let n = vms.curmsg + 1;
                    vm_event(ctx, "PREVMSG", 12953, "vm_execmain", || {
                        format!("Message: browsing message {n}\r\nVoicemail: {n}")
                    });
                    if vms.curmsg < vms.lastmsg {
                        vms.curmsg += 1;
                        cmd = self.play_message(vms).await;
                    } else if in_urgent && vms.newmessages > 0 {
                        in_urgent = false;
                        self.close(vms);
                        self.open(vms, NEW_FOLDER);
                        vms.curmsg = -1;
                        if vms.lastmsg < 0 {
                            cmd = play_and_wait(ctx, "vm-nomore").await;
                        }
                    } else if vmu.messagewrap && vms.lastmsg > 0 {
                        vms.curmsg = 0;
                        cmd = self.play_message(vms).await;
                    } else {
                        cmd = play_and_wait(ctx, "vm-nomore").await;
                    }
                }
                '7' => {
                    if !self.nodelete && vms.curmsg >= 0 && vms.curmsg <= vms.lastmsg {
                        let now_deleted = !vms.deleted(vms.curmsg);
                        Vms::mark(&mut vms.deleted, vms.curmsg, now_deleted);
                        let delta = if now_deleted { -1 } else { 1 };
                        if play_folder == 0 {
                            if in_urgent {
                                vms.urgentmessages += delta;
                            } else {
                                vms.newmessages += delta;
                            }
                        } else if play_folder == 1 {
                            vms.oldmessages += delta;
                        }
                        cmd = play_and_wait(
                            ctx,
                            if now_deleted {
                                "vm-deleted"
                            } else {
                                "vm-undeleted"
                            },
                        )
                        .await;
                        if vmu.skipaftercmd {
                            cmd = self.next_after_command(vms, &mut in_urgent, false).await;
                        }
                    } else {
                        cmd = 0;
                    }
                }
                '8' => {
                    if vms.lastmsg > -1 {
                        cmd = self.forward_message(vms, in_urgent, false).await;
                    } else if in_urgent && vms.newmessages > 0 {
                        in_urgent = false;
                        self.close(vms);
                        self.open(vms, NEW_FOLDER);
                        vms.curmsg = -1;
                        if vms.lastmsg < 0 {
                            cmd = play_and_wait(ctx, "vm-nomore").await;
                        }
                    } else {
                        cmd = play_and_wait(ctx, "vm-nomore").await;
                    }
                }
                '9' => {
                    let n = vms.curmsg;
                    vm_event(ctx, "SAVEMSG", 13094, "vm_execmain", || {
                        format!("Message: saving message {n}\r\nVoicemail: {n}")
                    });
                    if vms.curmsg < 0 || vms.curmsg > vms.lastmsg {
                        cmd = 0;
                        continue;
                    }
                    cmd = self.get_folder2("vm-savefolder").await;
                    userpress(ctx, cmd, 13103, "vm_execmain");
                    let mut box_id = 0;
                    // A hangup while choosing reads as a failed save
                    // (Asterisk then tries "vm-mailboxfull").
                    let mut full = cmd < 0;
                    if cmd == digit('#') {
                        cmd = 0;
                        continue;
                    } else if cmd > 0 {
                        box_id = usize::try_from(cmd - digit('0')).unwrap_or(0);
                        if self.save_to_folder(vms, vms.curmsg, box_id) {
                            Vms::mark(&mut vms.deleted, vms.curmsg, true);
                        } else {
                            full = true;
                            Vms::mark(&mut vms.deleted, vms.curmsg, false);
                            Vms::mark(&mut vms.heard, vms.curmsg, false);
                        }
                    }
                    if !full {
                        cmd = play_and_wait(ctx, "vm-message").await;
                        if cmd == 0 {
                            cmd = say_and_wait(ctx, vms.curmsg + 1).await;
                        }
                        if cmd == 0 {
                            cmd = play_and_wait(ctx, "vm-savedto").await;
                        }
                        if cmd == 0 {
                            cmd = self.play_folder_name(&format!("vm-{}", mbox(box_id))).await;
                        }
                    } else {
                        cmd = play_and_wait(ctx, "vm-mailboxfull").await;
                    }
                    if vmu.global_skipaftercmd {
                        cmd = self.next_after_command(vms, &mut in_urgent, true).await;
                    }
                }
                '*' => {
                    if !vms.starting {
                        cmd = play_and_wait(ctx, "vm-onefor").await;
                        if cmd == 0 {
                            cmd = self.play_folder_name(&vms.vmbox.clone()).await;
                        }
                        if cmd == 0 {
                            cmd = play_and_wait(ctx, "vm-opts").await;
                        }
                        if cmd == 0 {
                            cmd = self.instructions(vms, true, in_urgent).await;
                        }
                    } else {
                        cmd = 0;
                    }
                }
                '0' => {
                    cmd = self.mailbox_options(vms).await;
                    self.open(vms, play_folder);
                    vms.starting = true;
                }
                _ => {
                    self.playback_event("instructions", 13220, "vm_execmain");
                    cmd = self.instructions(vms, false, in_urgent).await;
                }
            }
        }
        let res = if cmd == TIMEOUT || cmd == digit('#') {
            0
        } else {
            HANGUP
        };
        self.goodbye(vms, res).await
    }

    /// The end of `vm_execmain`: goodbye (unless hung up), then the open
    /// folder is closed.
    async fn goodbye(&self, vms: &mut Vms, res: Cmd) -> Cmd {
        self.finish(vms, res, Some("vm-goodbye")).await
    }

    /// `vm_execmain`'s `out:` with its last prompt (none after the
    /// operator was chosen).
    async fn finish(&self, vms: &mut Vms, res: Cmd, prompt: Option<&str>) -> Cmd {
        let mut res = res;
        if res > -1 {
            self.ctx.chan.stop_stream();
            if let Some(prompt) = prompt {
                res = play_and_wait(self.ctx, prompt).await;
            }
            if res > 0 {
                res = 0;
            }
        }
        self.close(vms);
        res
    }

    /// The `nextaftercmd` step after deleting or saving.
    async fn next_after_command(&self, vms: &mut Vms, in_urgent: &mut bool, need_new: bool) -> Cmd {
        if vms.curmsg < vms.lastmsg {
            vms.curmsg += 1;
            self.play_message(vms).await
        } else if self.vmu.messagewrap && vms.lastmsg > 0 {
            vms.curmsg = 0;
            self.play_message(vms).await
        } else if *in_urgent && (!need_new || vms.newmessages > 0) {
            *in_urgent = false;
            self.close(vms);
            self.open(vms, NEW_FOLDER);
            vms.curmsg = -1;
            if vms.lastmsg < 0 {
                play_and_wait(self.ctx, "vm-nomore").await
            } else {
                0
            }
        } else {
            play_and_wait(self.ctx, "vm-nomore").await
        }
    }

    /// `vm_intro` (English, `vm_intro_en`): the temporary greeting
    /// reminder, then "You have N new and M old messages".
    async fn intro(&self, vms: &Vms) -> Cmd {
        let ctx = self.ctx;
        if self.vmu.tempgreetwarn {
            let temp = box_dir(&self.spool, &self.vmu.context, &vms.username).join("temp");
            if self.sound_exists(&temp.display().to_string()) {
                let _ = play_and_wait(ctx, "vm-tempgreetactive").await;
            }
        }
        let mut res = play_and_wait(ctx, "vm-youhave").await;
        if res != 0 {
            return res;
        }
        if vms.urgentmessages > 0 {
            res = say_and_wait(ctx, vms.urgentmessages).await;
            if res == 0 {
                res = play_and_wait(ctx, "vm-Urgent").await;
            }
            if (vms.oldmessages > 0 || vms.newmessages > 0) && res == 0 {
                res = play_and_wait(ctx, "vm-and").await;
            } else if res == 0 {
                res = play_and_wait(ctx, plural(vms.urgentmessages)).await;
            }
        }
        if vms.newmessages > 0 {
            res = say_and_wait(ctx, vms.newmessages).await;
            if res == 0 {
                res = play_and_wait(ctx, "vm-INBOX").await;
            }
            if vms.oldmessages > 0 && res == 0 {
                res = play_and_wait(ctx, "vm-and").await;
            } else if res == 0 {
                res = play_and_wait(ctx, plural(vms.newmessages)).await;
            }
        }
        if res == 0 && vms.oldmessages > 0 {
            res = say_and_wait(ctx, vms.oldmessages).await;
            if res == 0 {
                res = play_and_wait(ctx, "vm-Old").await;
            }
            if res == 0 {
                res = play_and_wait(ctx, plural(vms.oldmessages)).await;
            }
        }
        if res == 0 && vms.urgentmessages == 0 && vms.oldmessages == 0 && vms.newmessages == 0 {
            res = play_and_wait(ctx, "vm-no").await;
            if res == 0 {
                res = play_and_wait(ctx, "vm-messages").await;
            }
        }
        res
    }

    /// `vm_instructions_en`: the menu for the state, repeated while the
    /// caller presses nothing (three times at most, then `'t'`).
    async fn instructions(&self, vms: &mut Vms, skipadvanced: bool, in_urgent: bool) -> Cmd {
        let ctx = self.ctx;
        let mut res = 0;
        while res == 0 {
            if vms.starting {
                if vms.lastmsg > -1 {
                    res = play_and_wait(
                        ctx,
                        if skipadvanced {
                            "vm-onefor-full"
                        } else {
                            "vm-onefor"
                        },
                    )
                    .await;
                    if res == 0 {
                        res = self.play_folder_name(&vms.vmbox.clone()).await;
                    }
                }
                if res == 0 {
                    res = play_and_wait(
                        ctx,
                        if skipadvanced {
                            "vm-opts-full"
                        } else {
                            "vm-opts"
                        },
                    )
                    .await;
                }
            } else {
                if skipadvanced {
                    res = play_and_wait(ctx, "vm-onefor-full").await;
                    if res == 0 {
                        let _ = self.play_folder_name(&vms.vmbox.clone()).await;
                    }
                    res = play_and_wait(ctx, "vm-opts-full").await;
                }
                if vms.curmsg != 0
                    || (!in_urgent && vms.urgentmessages > 0)
                    || (self.vmu.messagewrap && vms.lastmsg > 0)
                {
                    res = play_and_wait(ctx, "vm-prev").await;
                }
                if res == 0 && !skipadvanced {
                    res = play_and_wait(ctx, "vm-advopts").await;
                }
                if res == 0 {
                    res = play_and_wait(ctx, "vm-repeat").await;
                }
                if res == 0
                    && (vms.curmsg != vms.lastmsg
                        || (in_urgent && vms.newmessages > 0)
                        || (self.vmu.messagewrap && vms.lastmsg > 0))
                {
                    res = play_and_wait(ctx, "vm-next").await;
                }
                if res == 0 {
                    if !self.nodelete {
                        res = play_and_wait(
                            ctx,
                            if vms.deleted(vms.curmsg) {
                                "vm-undelete"
                            } else {
                                "vm-delete"
                            },
                        )
                        .await;
                    }
                    if res == 0 {
                        res = play_and_wait(ctx, "vm-toforward").await;
                    }
                    if res == 0 {
                        res = play_and_wait(ctx, "vm-savemessage").await;
                    }
                }
            }
            if res == 0 {
                res = play_and_wait(ctx, "vm-helpexit").await;
            }
            if res == 0 {
                res = wait_for_digit(ctx, 6000).await;
            }
            if res == 0 {
                vms.repeats += 1;
                if vms.repeats > 2 {
                    res = TIMEOUT;
                }
            }
        }
        res
    }

    /// `vm_play_folder_name` (English): the folder, then "messages".
    async fn play_folder_name(&self, name: &str) -> Cmd {
        let cmd = play_and_wait(self.ctx, name).await;
        if cmd != 0 {
            return cmd;
        }
        play_and_wait(self.ctx, "vm-messages").await
    }

    /// app_voicemail's own PLAYBACK test-suite events (besides file.c's).
    fn playback_event(&self, message: &str, line: u32, function: &'static str) {
        vm_event(self.ctx, "PLAYBACK", line, function, || {
            format!("Message: {message}")
        });
    }

    /// `get_folder`: "Press 0 for new messages, 1 for old ..., or pound
    /// to cancel".
    async fn get_folder(&self) -> Cmd {
        let ctx = self.ctx;
        let d = play_and_wait(ctx, "vm-press").await;
        if d != 0 {
            return d;
        }
        for x in 0..5 {
            let d = say_and_wait(ctx, x as i32).await;
            if d != 0 {
                return d;
            }
            let d = play_and_wait(ctx, "vm-for").await;
            if d != 0 {
                return d;
            }
            let fname = format!("vm-{}", mbox(x));
            let d = if x == 0 && !self.sound_exists(&fname) {
                ctx.verbose(
                    4,
                    crate::site!(FILE, 8342, "get_folder"),
                    &format!("Failed to find file {fname}; falling back to INBOX"),
                );
                self.play_folder_name("vm-INBOX").await
            } else {
                if x != 0 {
                    self.playback_event(&format!("folder name {fname}"), 8346, "get_folder");
                }
                self.play_folder_name(&fname).await
            };
            if d != 0 {
                return d;
            }
            let d = wait_for_digit(ctx, 500).await;
            if d != 0 {
                return d;
            }
        }
        let d = play_and_wait(ctx, "vm-tocancel").await;
        if d != 0 {
            return d;
        }
        wait_for_digit(ctx, 4000).await
    }

    /// `get_folder2`: the prompt, then the folder list up to four times
    /// until a digit or `#`.
    async fn get_folder2(&self, prompt: &str) -> Cmd {
        let mut res = play_and_wait(self.ctx, prompt).await;
        let mut loops = 0;
        while !(digit('0')..=digit('9')).contains(&res)
            && res != digit('#')
            && res >= 0
            && loops < 4
        {
            res = self.get_folder().await;
            loops += 1;
        }
        if loops == 4 {
            userpress(self.ctx, digit('#'), 8422, "get_folder2");
            return digit('#');
        }
        userpress(self.ctx, res, 8425, "get_folder2");
        res
    }

    /// `vm_browse_messages_en`: the current message, or "You have no
    /// <folder> messages".
    async fn browse(&self, vms: &mut Vms) -> Cmd {
        if vms.lastmsg > -1 {
            return self.play_message(vms).await;
        }
        let ctx = self.ctx;
        let mut cmd = play_and_wait(ctx, "vm-youhave").await;
        if cmd == 0 {
            cmd = play_and_wait(ctx, "vm-no").await;
        }
        if cmd == 0 {
            cmd = play_and_wait(ctx, &format!("vm-{}", vms.curbox)).await;
        }
        if cmd == 0 {
            cmd = play_and_wait(ctx, "vm-messages").await;
        }
        cmd
    }

    fn sound_exists(&self, name: &str) -> bool {
        let lang = self.ctx.chan.lock().language.clone();
        SoundPaths::from_conf(&self.ctx.sys.conf).exists(name, &lang)
    }

    /// `play_message`: "first"/"last", "message N", the envelope (date,
    /// duration), then the message itself.
    async fn play_message(&self, vms: &mut Vms) -> Cmd {
        let ctx = self.ctx;
        vms.starting = false;
        let base = make_file(&vms.curdir, vms.curmsg);
        let mut res = 0;
        if vms.curmsg == 0 {
            res = wait_file2(ctx, "vm-first").await;
        } else if vms.curmsg == vms.lastmsg {
            res = wait_file2(ctx, "vm-last").await;
        }
        let txt = PathBuf::from(format!("{}.txt", base.display()));
        let Some(msg) = read_message_info(&txt) else {
            ctx.warning(
                crate::site!("app_voicemail.c", 9382, "play_message"),
                &format!("No message attribute file?!! ({})", txt.display()),
            );
            return 0;
        };
        if info(&msg, "flag") == Some("Urgent") {
            res = wait_file2(ctx, "vm-Urgent").await;
        }
        if res == 0 {
            res = wait_file2(ctx, "vm-message").await;
            if vms.curmsg != 0 && vms.curmsg != vms.lastmsg && res == 0 {
                self.playback_event("message number", 9458, "play_message");
                res = say_and_wait(ctx, vms.curmsg + 1).await;
            }
        }
        let Some(origtime) = info(&msg, "origtime") else {
            ctx.warning(
                crate::site!("app_voicemail.c", 9472, "play_message"),
                "No origtime?!",
            );
            return 0;
        };
        if res == 0
            && let Some(category) = info(&msg, "category").filter(|c| !c.is_empty())
        {
            res = play_and_wait(ctx, category).await;
            if res != 0 {
                ctx.warning(
                    crate::site!("app_voicemail.c", 9147, "play_message_category"),
                    &format!("No sound file for category '{category}' was found."),
                );
                res = 0;
            }
        }
        if res == 0 && self.vmu.envelope {
            res = self.play_datetime(origtime, &txt).await;
        }
        if res == 0 && self.vmu.saycid {
            let cid = info(&msg, "callerid").unwrap_or("");
            res = self
                .play_callerid(cid, message_context(&msg), false, false)
                .await;
        }
        if res == 0
            && self.vmu.sayduration
            && let Some(duration) = info(&msg, "duration")
        {
            let minutes = super::builtins::atoi(duration) as i32 / 60;
            if minutes >= self.vmu.saydurationm {
                let _ = wait_file2(ctx, "vm-duration").await;
                let _ = say_and_wait(ctx, minutes).await;
                res = wait_file2(ctx, "vm-minutes").await;
            }
        }
        if res == digit('1') {
            userpress(ctx, res, 9496, "play_message");
            res = 0;
        }
        if res == 0 {
            Vms::mark(&mut vms.heard, vms.curmsg, true);
            let file = base.display().to_string();
            vm_event(ctx, "PLAYVOICE", 9135, "wait_file", || {
                format!("Message: Playing {file}")
            });
            res = self.control_stream(&file).await;
            if res < 0 {
                ctx.warning(
                    crate::site!("app_voicemail.c", 9517, "play_message"),
                    &format!("Playback of message {} failed", base.display()),
                );
                res = 0;
            }
            userpress(ctx, res, 9520, "play_message");
        }
        res
    }

    /// `wait_file`: `ast_control_streamfile` with voicemail.conf's
    /// `listen-control-*-key`s (each when made of DTMF keys only, else
    /// app_voicemail's default) and `skipms`: a stop key ends the message
    /// and is returned.
    async fn control_stream(&self, file: &str) -> Cmd {
        use super::controlplayback::{Ended, Keys, control_streamfile};
        let key = |name: &str, default: &str| {
            general(&self.conf, name)
                .filter(|v| v.chars().all(|c| "1234567890*#".contains(c)))
                .unwrap_or(default)
                .to_string()
        };
        let keys = Keys {
            forward: key("listen-control-forward-key", "#"),
            reverse: key("listen-control-reverse-key", "*"),
            stop: key("listen-control-stop-key", "13456789"),
            pause: key("listen-control-pause-key", "0"),
            restart: key("listen-control-restart-key", "2"),
        };
        // `%30d`; a value that is no number keeps 3000.
        let skip_ms = general(&self.conf, "skipms")
            .and_then(|v| crate::funcs::c::scan_long(v, 30))
            .map_or(3000, |(v, _)| i64::from(v as i32));
        match control_streamfile(self.ctx, file, &keys, skip_ms, 0)
            .await
            .0
        {
            Ended::Done => 0,
            Ended::Digit(d) => digit(d),
            Ended::Error => HANGUP,
            Ended::Control(k) => k.code(),
        }
    }

    /// `play_message_datetime`: when the message arrived, as
    /// `ast_say_date_with_format` says it, in the mailbox's zone.
    async fn play_datetime(&self, origtime: &str, txt: &Path) -> Cmd {
        let Ok(t) = origtime.trim().parse::<i64>() else {
            self.ctx.warning(
                crate::site!("app_voicemail.c", 9161, "play_message_datetime"),
                &format!("Couldn't find origtime in {}", txt.display()),
            );
            return 0;
        };
        let zone = self
            .conf
            .zonemessages
            .iter()
            .find(|(name, _)| !self.vmu.zonetag.is_empty() && *name == self.vmu.zonetag)
            .and_then(|(_, v)| v.split_once('|'))
            .map(|(tz, fmt)| (tz.to_string(), fmt.to_string()));
        let (tz, format) = match &zone {
            Some((tz, fmt)) => (Some(tz.as_str()), fmt.as_str()),
            None => (None, "'vm-received' q 'digits/at' IMp"),
        };
        let now = chrono::Utc::now().timestamp();
        let files = date_items(t, now, format, tz);
        for f in files {
            match f {
                DateItem::Play(name) => {
                    let r = wait_file(self.ctx, &name).await;
                    if r != 0 {
                        return r;
                    }
                }
                DateItem::Number(n) => {
                    let r = say_and_wait(self.ctx, n).await;
                    if r != 0 {
                        return r;
                    }
                }
                DateItem::Enumerated(name) => {
                    // ast_say_enumeration skips a prompt that does not open.
                    if let Some(g) = start_file(self.ctx, &name) {
                        match super::playback::wait_stream(self.ctx, g, DIGIT_ANY).await {
                            Streamed::Done | Streamed::Failed => {}
                            Streamed::Digit(d) => return digit(d),
                            Streamed::Hangup => return HANGUP,
                        }
                    }
                }
                DateItem::Unknown {
                    format,
                    letter,
                    pos,
                } => self.ctx.warning(
                    crate::site!("say.c", 5095, "ast_say_date_with_format_en"),
                    &format!(
                        "Unknown character in datetime format {format}: {letter} at pos {pos}"
                    ),
                ),
            }
        }
        0
    }

    /// Advanced options (`3`): 1 reply, 2 call back, 3 the envelope, 4
    /// an outgoing call, 5 send a message, `*` back. An option not
    /// configured (no callback or dialout context, no `sendvoicemail`) or
    /// needing a message when none is current says "sorry". Returns
    /// [`DIALOUT`] when a call-back or outgoing call left the channel at
    /// its extension, [`OPERATOR_EXIT`] when a reply went to the operator.
    async fn advanced(&self, vms: &mut Vms) -> Cmd {
        let ctx = self.ctx;
        let vmu = &self.vmu;
        let mut cmd = 0;
        vms.repeats = 0;
        while cmd > -1 && cmd != TIMEOUT && cmd != digit('#') {
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            let current = vms.lastmsg > -1 && !vms.starting;
            match key {
                '1' | '3' => {
                    if current {
                        let option = if key == '1' { 1 } else { 3 };
                        if self.advanced_options(vms, option).await == OPERATOR_EXIT {
                            return OPERATOR_EXIT;
                        }
                    } else {
                        let _ = play_and_wait(ctx, "vm-sorry").await;
                    }
                    cmd = TIMEOUT;
                }
                '2' => {
                    if !vms.starting {
                        ctx.verbose(
                            3,
                            crate::site!(FILE, 12817, "vm_execmain"),
                            "Callback Requested",
                        );
                    }
                    if !vmu.callback.is_empty() && current {
                        if self.advanced_options(vms, 2).await == DIALOUT {
                            return DIALOUT;
                        }
                    } else {
                        let _ = play_and_wait(ctx, "vm-sorry").await;
                    }
                    cmd = TIMEOUT;
                }
                '4' => {
                    if !vmu.dialout.is_empty() {
                        if self.dialout(None, &vmu.dialout).await == DIALOUT {
                            return DIALOUT;
                        }
                    } else {
                        let _ = play_and_wait(ctx, "vm-sorry").await;
                    }
                    cmd = TIMEOUT;
                }
                '5' => {
                    if vmu.svmail {
                        if self.forward_message(vms, false, true).await == OPERATOR_EXIT {
                            return OPERATOR_EXIT;
                        }
                    } else {
                        let _ = play_and_wait(ctx, "vm-sorry").await;
                    }
                    cmd = TIMEOUT;
                }
                '*' => cmd = TIMEOUT,
                _ => {
                    cmd = 0;
                    if !vms.starting {
                        cmd = play_and_wait(ctx, "vm-toreply").await;
                    }
                    if !vmu.callback.is_empty() && !vms.starting && cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-tocallback").await;
                    }
                    if cmd == 0 && !vms.starting {
                        cmd = play_and_wait(ctx, "vm-tohearenv").await;
                    }
                    if !vmu.dialout.is_empty() && cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-tomakecall").await;
                    }
                    if vmu.svmail && cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-leavemsg").await;
                    }
                    if cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-starmain").await;
                    }
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        vms.repeats += 1;
                    }
                    if vms.repeats > 3 {
                        cmd = TIMEOUT;
                    }
                    userpress(ctx, cmd, 12907, "vm_execmain");
                }
            }
        }
        if cmd == TIMEOUT {
            vms.repeats = 0;
            return 0;
        }
        cmd
    }

    /// `advanced_options` for the current message: 1 replies into the
    /// sender's mailbox (the caller ID's number in this mailbox's
    /// context), 2 offers to call the sender back, 3 says the envelope.
    /// When the option ends with nothing else to do, the message plays
    /// again.
    async fn advanced_options(&self, vms: &mut Vms, option: u8) -> Cmd {
        let ctx = self.ctx;
        let vmu = &self.vmu;
        vms.starting = false;
        let base = make_file(&vms.curdir, vms.curmsg);
        let txt = with_ext(&base, "txt");
        let Some(msg) = read_message_info(&txt) else {
            ctx.warning(
                crate::site!(FILE, 16607, "advanced_options"),
                &format!("No message attribute file?!! ({})", txt.display()),
            );
            return 0;
        };
        let Some(origtime) = info(&msg, "origtime") else {
            return 0;
        };
        let cid = info(&msg, "callerid").unwrap_or("");
        let context = message_context(&msg);
        let mut res: Cmd = 0;
        match option {
            3 => {
                res = self.play_datetime(origtime, &txt).await;
                if res == 0 {
                    let _ = self.play_callerid(cid, context, false, true).await;
                }
                res = TIMEOUT;
            }
            2 if !cid.is_empty() => {
                let (_, num) = crate::config::views::callerid::parse(cid);
                let mut retries = 0;
                while res > -1 && res != TIMEOUT {
                    let key = u8::try_from(res).map(char::from).unwrap_or('\0');
                    match key {
                        '1' => match &num {
                            Some(num) => {
                                res = self.dialout(Some(num), &vmu.callback).await;
                                if res != 0 {
                                    return DIALOUT;
                                }
                            }
                            None => res = digit('2'),
                        },
                        '2' => {
                            if !vmu.dialout.is_empty() {
                                res = self.dialout(None, &vmu.dialout).await;
                                if res != 0 {
                                    return DIALOUT;
                                }
                            } else {
                                ctx.verbose(
                                    3,
                                    crate::site!(FILE, 16663, "advanced_options"),
                                    "Caller can not specify callback number - no dialout context available",
                                );
                                res = play_and_wait(ctx, "vm-sorry").await;
                            }
                            return res;
                        }
                        '*' => res = TIMEOUT,
                        '0' | '3'..='9' => {
                            res = play_and_wait(ctx, "vm-sorry").await;
                            retries += 1;
                        }
                        _ => {
                            if let Some(num) = &num {
                                ctx.verbose(
                                    3,
                                    crate::site!(FILE, 16685, "advanced_options"),
                                    &format!(
                                        "Confirm CID number '{num}' is number to use for callback"
                                    ),
                                );
                                res = play_and_wait(ctx, "vm-num-i-have").await;
                                if res == 0 {
                                    res = self
                                        .play_callerid(num, Some(&vmu.context), true, true)
                                        .await;
                                }
                                if res == 0 {
                                    res = play_and_wait(ctx, "vm-tocallnum").await;
                                }
                                if !vmu.dialout.is_empty() && res == 0 {
                                    res = play_and_wait(ctx, "vm-calldiffnum").await;
                                }
                            } else {
                                res = play_and_wait(ctx, "vm-nonumber").await;
                                if !vmu.dialout.is_empty() && res == 0 {
                                    res = play_and_wait(ctx, "vm-toenternumber").await;
                                }
                            }
                            if res == 0 {
                                res = play_and_wait(ctx, "vm-star-cancel").await;
                            }
                            if res == 0 {
                                res = wait_for_digit(ctx, 6000).await;
                            }
                            if res == 0 {
                                retries += 1;
                                if retries > 3 {
                                    res = TIMEOUT;
                                }
                            }
                            userpress(ctx, res, 16715, "advanced_options");
                        }
                    }
                    // As in Asterisk, running out of tries asks again
                    // (only a key or a hangup leaves), and `*` cancels.
                    if res == TIMEOUT {
                        res = 0;
                    } else if res == digit('*') {
                        res = HANGUP;
                    }
                }
            }
            1 if !cid.is_empty() => {
                let (_, num) = crate::config::views::callerid::parse(cid);
                let Some(num) = num else {
                    ctx.verbose(
                        3,
                        crate::site!(FILE, 16734, "advanced_options"),
                        "No CID number available, no reply sent",
                    );
                    return play_and_wait(ctx, "vm-nonumber").await;
                };
                if super::voicemail::find_user(&self.conf, Some(&vmu.context), &num).is_none() {
                    ctx.verbose(
                        3,
                        crate::site!(FILE, 16761, "advanced_options"),
                        &format!(
                            "No mailbox number '{num}' in context '{}', no reply sent",
                            vmu.context
                        ),
                    );
                    let _ = play_and_wait(ctx, "vm-nobox").await;
                    return TIMEOUT;
                }
                ctx.verbose(
                    3,
                    crate::site!(FILE, 16748, "advanced_options"),
                    &format!("Leaving voicemail for '{num}' in context '{}'", vmu.context),
                );
                let target = format!("{num}@{}", vmu.context);
                return self.leave_message(&target).await;
            }
            _ => {}
        }
        if res == 0 {
            Vms::mark(&mut vms.heard, vms.curmsg, true);
            let file = base.display().to_string();
            vm_event(ctx, "PLAYVOICE", 9135, "wait_file", || {
                format!("Message: Playing {file}")
            });
            res = self.control_stream(&file).await;
        }
        res
    }

    /// `leave_voicemail` into `target` as a reply or a new message sends
    /// it: VoiceMail's own flow with its default beep and no options.
    /// [`OPERATOR_EXIT`] when the caller went to the operator, else
    /// Asterisk's `'t'` (done) or -1 (hung up).
    async fn leave_message(&self, target: &str) -> Cmd {
        let opts = super::voicemail::LeaveOptions::default();
        match super::voicemail::leave_voicemail(self.ctx, target, opts, Some("beep")).await {
            super::voicemail::Leave::Operator => OPERATOR_EXIT,
            super::voicemail::Leave::Hangup => HANGUP,
            super::voicemail::Leave::Continue => TIMEOUT,
        }
    }

    /// `dialout`: the number given (the caller ID's, for a call-back) or
    /// one typed after the prompts (three tries, `*` cancels), then the
    /// channel is left at that extension of `context`, priority 0, for
    /// the dialplan to run once VoiceMailMain returns ([`DIALOUT`]).
    async fn dialout(&self, num: Option<&str>, context: &str) -> Cmd {
        let ctx = self.ctx;
        let mut destination = String::new();
        match num {
            None => {
                ctx.verbose(
                    3,
                    crate::site!(FILE, 16521, "dialout"),
                    "Destination number will be entered manually",
                );
                let mut retries = 0;
                let mut cmd = 0;
                while retries < 3 && cmd != TIMEOUT {
                    destination.clear();
                    cmd = play_and_wait(ctx, "vm-enter-num-to-call").await;
                    if cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-then-pound").await;
                    }
                    if cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-star-cancel").await;
                    }
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        retries += 1;
                    } else {
                        if cmd < 0 {
                            return 0;
                        }
                        if cmd == digit('*') {
                            ctx.verbose(
                                3,
                                crate::site!(FILE, 16541, "dialout"),
                                "User hit '*' to cancel outgoing call",
                            );
                            return 0;
                        }
                        destination.push(char::from(u8::try_from(cmd).unwrap_or(b'?')));
                        let mut rest = String::new();
                        let r = readstring(ctx, None, &mut rest, 79, 6000, 10000, "#").await;
                        destination.push_str(&rest);
                        if matches!(r, GetData::Failed) {
                            retries += 1;
                        } else {
                            cmd = TIMEOUT;
                        }
                    }
                    userpress(ctx, cmd, 16549, "dialout");
                }
                if retries >= 3 {
                    return 0;
                }
            }
            Some(num) => {
                ctx.verbose(
                    3,
                    crate::site!(FILE, 16557, "dialout"),
                    &format!("Destination number is CID number '{num}'"),
                );
                destination = num.to_string();
            }
        }
        if destination.is_empty() || destination.ends_with('*') {
            return 0;
        }
        let from = ctx.chan.lock().context.clone();
        ctx.verbose(
            3,
            crate::site!(FILE, 16564, "dialout"),
            &format!(
                "Placing outgoing call to extension '{destination}' in context '{context}' from context '{from}'"
            ),
        );
        let mut d = ctx.chan.lock();
        d.set_exten(&destination);
        d.set_context(context);
        d.priority = 0;
        DIALOUT
    }

    /// `play_message_callerid`: who left the message. A number from one
    /// of `cidinternalcontexts` is a mailbox: its recorded name, else
    /// "extension" and its digits; another number is said digit by digit
    /// (after "from phone number" unless this is a call-back); no number
    /// is "an unknown caller".
    async fn play_callerid(
        &self,
        cid: &str,
        context: Option<&str>,
        callback: bool,
        saycidnumber: bool,
    ) -> Cmd {
        let ctx = self.ctx;
        let Some(context) = context else {
            return 0;
        };
        let (_, callerid) = crate::config::views::callerid::parse(cid);
        let Some(callerid) = callerid.filter(|n| !n.is_empty() && n != "Unknown") else {
            return wait_file2(ctx, "vm-unknown-caller").await;
        };
        let internal: Vec<&str> = general(&self.conf, "cidinternalcontexts")
            .map(|v| {
                v.split(',')
                    .map(|c| c.trim_start_matches([' ', '\t']))
                    .take(CID_CONTEXTS)
                    .collect()
            })
            .unwrap_or_default();
        // Asterisk's table has CID_CONTEXTS slots, the unused ones empty.
        let is_internal =
            internal.contains(&context) || (context.is_empty() && internal.len() < CID_CONTEXTS);
        if is_internal {
            let greet = box_dir(&self.spool, context, &callerid).join("greet");
            let greet = greet.display().to_string();
            if self.sound_exists(&greet) {
                ctx.verbose(
                    3,
                    crate::site!(FILE, 9267, "play_message_callerid"),
                    &format!(
                        "Playing envelope info: CID number '{callerid}' matches mailbox number, playing recorded name"
                    ),
                );
                if !callback {
                    let _ = wait_file2(ctx, "vm-from").await;
                }
                return stream_and_wait(ctx, &greet).await;
            }
            ctx.verbose(
                3,
                crate::site!(FILE, 9272, "play_message_callerid"),
                &format!("Playing envelope info: message from '{callerid}'"),
            );
            if !callback {
                let _ = wait_file2(ctx, "vm-from-extension").await;
            }
            return self.say_digits(&callerid, "").await;
        }
        if callback {
            return self.say_digits(&callerid, DIGIT_ANY).await;
        }
        let named = self
            .spool
            .join("recordings/callerids")
            .join(&callerid)
            .display()
            .to_string();
        if !saycidnumber && self.sound_exists(&named) {
            ctx.verbose(
                3,
                crate::site!(FILE, 9286, "play_message_callerid"),
                &format!("Playing recorded name for CID number '{callerid}' - '{named}'"),
            );
            let _ = wait_file2(ctx, "vm-from").await;
            let res = stream_and_wait(ctx, &named).await;
            ctx.verbose(
                3,
                crate::site!(FILE, 9290, "play_message_callerid"),
                &format!("Played recorded name result '{res}'"),
            );
            return res;
        }
        let _ = wait_file2(ctx, "vm-from-phonenumber").await;
        self.say_digits(&callerid, DIGIT_ANY).await
    }

    /// `ast_say_digit_str`: each character's prompt, the digits in `ints`
    /// stopping it.
    async fn say_digits(&self, s: &str, ints: &str) -> Cmd {
        let ctx = self.ctx;
        let lang = ctx.chan.lock().language.clone();
        let paths = SoundPaths::from_conf(&ctx.sys.conf);
        let files = crate::media::say::digit_files(s, |n| paths.exists(n, &lang));
        match super::say::say_files(ctx, &files, ints).await {
            Said::Done => 0,
            Said::Digit(d) => digit(d),
            Said::Failed => HANGUP,
        }
    }

    /// `vm_options` (`0`): record the unavailable (1), busy (2) and name
    /// (3) greetings, the temporary greeting's menu (4), change the
    /// password (5), `*` back.
    async fn mailbox_options(&self, vms: &Vms) -> Cmd {
        let ctx = self.ctx;
        vm_event(ctx, "VMOPTIONS", 11328, "vm_options", || {
            "Message: entering mailbox options".into()
        });
        let mut cmd = 0;
        let mut retries = 0;
        while cmd >= 0 && cmd != TIMEOUT {
            if cmd != 0 {
                retries = 0;
            }
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            match key {
                '1' => {
                    let file = self.box_file(vms, "unavail");
                    cmd = self.record_review("vm-rec-unv", &file).await;
                }
                '2' => {
                    let file = self.box_file(vms, "busy");
                    cmd = self.record_review("vm-rec-busy", &file).await;
                }
                '3' => {
                    let file = self.box_file(vms, "greet");
                    cmd = self.record_review("vm-rec-name", &file).await;
                }
                '4' => cmd = self.temp_greeting(vms).await,
                '5' => cmd = self.change_password_menu(vms).await,
                '*' => cmd = TIMEOUT,
                _ => {
                    cmd = 0;
                    let temp = self.box_file(vms, "temp");
                    if self.sound_exists(&temp.display().to_string()) {
                        cmd = play_and_wait(ctx, "vm-tmpexists").await;
                    }
                    if cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-options").await;
                    }
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        retries += 1;
                    }
                    if retries > 3 {
                        cmd = TIMEOUT;
                    }
                    userpress(ctx, cmd, 11436, "vm_options");
                }
            }
        }
        if cmd == TIMEOUT { 0 } else { cmd }
    }

    /// `<spool>/voicemail/<context>/<box>/<name>`: a greeting's base name.
    fn box_file(&self, vms: &Vms, name: &str) -> PathBuf {
        box_dir(&self.spool, &self.vmu.context, &vms.username).join(name)
    }

    /// A prompt name voicemail.conf's `[general]` may replace
    /// (`vm-newpassword = ...` and the like).
    fn prompt(&self, name: &str) -> String {
        general(&self.conf, name).unwrap_or(name).to_string()
    }

    /// `vm_tempgreeting` (mailbox option 4): without a temporary greeting
    /// it is recorded at once; with one, 1 records it again, 2 removes
    /// it, `*` goes back.
    async fn temp_greeting(&self, vms: &Vms) -> Cmd {
        let ctx = self.ctx;
        vm_event(ctx, "TEMPGREETING", 11479, "vm_tempgreeting", || {
            "Message: entering temp greeting options".into()
        });
        let prefile = self.box_file(vms, "temp");
        let name = prefile.display().to_string();
        let mut cmd = 0;
        let mut retries = 0;
        while cmd >= 0 && cmd != TIMEOUT {
            if cmd != 0 {
                retries = 0;
            }
            if !self.sound_exists(&name) {
                cmd = self.record_review("vm-rec-temp", &prefile).await;
                if cmd == HANGUP {
                    break;
                }
                cmd = TIMEOUT;
                continue;
            }
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            match key {
                '1' => cmd = self.record_review("vm-rec-temp", &prefile).await,
                '2' => {
                    delete_message(&ctx.sys.pbx.logger, &prefile);
                    let _ = play_and_wait(ctx, "vm-tempremoved").await;
                    cmd = TIMEOUT;
                }
                '*' => cmd = TIMEOUT,
                _ => {
                    // Asterisk asks again whether the file exists; it
                    // always does here, so "vm-tempgreeting2" it is.
                    cmd = play_and_wait(
                        ctx,
                        if self.sound_exists(&name) {
                            "vm-tempgreeting2"
                        } else {
                            "vm-tempgreeting"
                        },
                    )
                    .await;
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        retries += 1;
                    }
                    if retries > 3 {
                        cmd = TIMEOUT;
                    }
                    userpress(ctx, cmd, 11517, "vm_tempgreeting");
                }
            }
        }
        if cmd == TIMEOUT { 0 } else { cmd }
    }

    /// `ast_play_and_record_full` as `play_record_review` calls it for a
    /// greeting: the prompt (a digit skips it), the beep, then every
    /// format into `<base>.<ext>` until `#` (or `0` with an operator),
    /// silence or `maxgreet`; "thank you" unless cancelled or hung up.
    /// Returns Asterisk's result: the digit, `'S'` for silence, `'t'`
    /// for the time limit, -1 for a hangup.
    async fn play_and_record(&self, playfile: Option<&str>, base: &Path, maxsecs: u32) -> Cmd {
        let ctx = self.ctx;
        let mut d = 0;
        if let Some(f) = playfile {
            d = play_and_wait(ctx, f).await;
        }
        if d > -1 {
            d = stream_and_wait(ctx, "beep").await;
        }
        if d < 0 {
            return HANGUP;
        }
        let opts = RecordOptions {
            maxsecs,
            cancel_zero: self.vmu.operator,
            any_digit_ends: false,
        };
        let rec = record_formats(ctx, base, &self.conf, opts).await;
        let res = match rec.end {
            End::Done => digit('#'),
            End::Silence => digit('S'),
            End::Operator => digit('0'),
            End::Timeout => TIMEOUT,
            End::Hangup => HANGUP,
        };
        if matches!(rec.end, End::Done | End::Silence | End::Timeout) {
            let _ = stream_and_wait(ctx, "auth-thankyou").await;
        }
        res
    }

    /// `play_record_review` for the mailbox owner's own recordings: record
    /// into `<file>.tmp`, then 1 keeps it (renamed to `file`), 2 plays
    /// it back, 3 records it again. A hangup or no answer drops it.
    async fn record_review(&self, playfile: &str, recordfile: &Path) -> Cmd {
        let ctx = self.ctx;
        let tempfile = PathBuf::from(format!("{}.tmp", recordfile.display()));
        let maxgreet = general(&self.conf, "maxgreet")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0);
        let mut cmd = digit('3');
        let mut msg_exists = false;
        let mut recorded = false;
        let mut canceleddtmf = false;
        let mut attempts = 0;
        while cmd >= 0 && cmd != TIMEOUT {
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            match key {
                '1' if !msg_exists => cmd = digit('3'),
                '1' => {
                    ctx.verbose(
                        3,
                        crate::site!(FILE, 16827, "play_record_review"),
                        "Saving message as is",
                    );
                    rename_message(&ctx.sys.pbx.logger, &tempfile, recordfile);
                    let _ = stream_and_wait(ctx, "vm-msgsaved").await;
                    return 0;
                }
                '2' => {
                    ctx.verbose(
                        3,
                        crate::site!(FILE, 16846, "play_record_review"),
                        "Reviewing the message",
                    );
                    cmd = play_and_wait(ctx, &tempfile.display().to_string()).await;
                }
                '3' => {
                    msg_exists = false;
                    let (line, text) = if recorded {
                        (16854, "Re-recording the message")
                    } else {
                        (16856, "Recording the message")
                    };
                    ctx.verbose(3, crate::site!(FILE, line, "play_record_review"), text);
                    recorded = true;
                    cmd = self
                        .play_and_record(Some(playfile), &tempfile, maxgreet)
                        .await;
                    if self.vmu.operator && cmd == digit('0') {
                        canceleddtmf = true;
                    }
                    if cmd == HANGUP {
                        delete_message(&ctx.sys.pbx.logger, &tempfile);
                        return HANGUP;
                    }
                    if cmd != digit('0') && cmd != digit('*') {
                        msg_exists = true;
                        cmd = 0;
                    }
                }
                '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' => {
                    cmd = play_and_wait(ctx, "vm-sorry").await;
                }
                '0' => {
                    // A greeting is never left for the operator unless
                    // the recording itself was cancelled with 0.
                    if !self.vmu.operator || !canceleddtmf {
                        cmd = play_and_wait(ctx, "vm-sorry").await;
                        continue;
                    }
                    if msg_exists || recorded {
                        cmd = play_and_wait(ctx, "vm-saveoper").await;
                        if cmd == 0 {
                            cmd = wait_for_digit(ctx, 3000).await;
                        }
                        if cmd == digit('1') {
                            rename_message(&ctx.sys.pbx.logger, &tempfile, recordfile);
                            let _ = play_and_wait(ctx, "vm-msgsaved").await;
                        } else if cmd == digit('4') {
                            let _ = play_and_wait(ctx, "vm-msgsaved").await;
                        } else {
                            let _ = play_and_wait(ctx, "vm-deleted").await;
                            delete_message(&ctx.sys.pbx.logger, &tempfile);
                        }
                        cmd = digit('0');
                    }
                    return cmd;
                }
                _ => {
                    if msg_exists {
                        cmd = play_and_wait(ctx, "vm-review").await;
                    } else {
                        cmd = play_and_wait(ctx, "vm-torerecord").await;
                        if cmd == 0 {
                            cmd = wait_for_digit(ctx, 600).await;
                        }
                    }
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        attempts += 1;
                    }
                    if attempts > 3 {
                        cmd = TIMEOUT;
                    }
                }
            }
        }
        if cmd == HANGUP || cmd == TIMEOUT {
            delete_message(&ctx.sys.pbx.logger, &tempfile);
        }
        cmd
    }

    /// `check_password`: at least `minpassword` digits, not starting
    /// with `*`.
    fn password_ok(&self, password: &str) -> bool {
        let min = general(&self.conf, "minpassword")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        password.len() >= min && !password.starts_with('*')
    }

    /// One password entry as app_voicemail reads it: the prompt (its
    /// first digit counts, `#` there means an empty password), then
    /// `ast_readstring`. The entry, and the prompt's or read's result.
    async fn read_password(&self, prompt: &str) -> (String, Cmd) {
        let ctx = self.ctx;
        let mut password = String::new();
        let cmd = play_and_wait(ctx, &self.prompt(prompt)).await;
        if cmd == digit('#') || cmd < 0 {
            return (password, cmd);
        }
        if let Some(c) = u8::try_from(cmd).ok().filter(|&c| c != 0) {
            password.push(char::from(c));
        }
        let mut rest = String::new();
        let res = readstring(ctx, None, &mut rest, 79, 2000, 10000, "#").await;
        password.push_str(&rest);
        (password, getdata_result(res))
    }

    /// Mailbox option 5: the new password twice, then `vm_change_password`.
    async fn change_password_menu(&self, vms: &Vms) -> Cmd {
        let ctx = self.ctx;
        if self.vmu.password.starts_with('-') {
            return play_and_wait(ctx, "vm-no").await;
        }
        let (newpassword, cmd) = self.read_password("vm-newpassword").await;
        if cmd < 0 {
            return cmd;
        }
        if !self.password_ok(&newpassword) {
            ctx.notice(
                crate::site!(FILE, 11374, "vm_options"),
                &format!("Invalid password for user {} ({newpassword})", vms.username),
            );
            let mut cmd = play_and_wait(ctx, &self.prompt("vm-invalid-password")).await;
            if cmd == 0 {
                cmd = play_and_wait(ctx, &self.prompt("vm-pls-try-again")).await;
            }
            return cmd;
        }
        let (newpassword2, cmd) = self.read_password("vm-reenterpassword").await;
        if cmd < 0 {
            return cmd;
        }
        if newpassword != newpassword2 {
            ctx.notice(
                crate::site!(FILE, 11394, "vm_options"),
                &format!(
                    "Password mismatch for user {} ({newpassword} != {newpassword2})",
                    vms.username
                ),
            );
            let mut cmd = play_and_wait(ctx, &self.prompt("vm-mismatch")).await;
            if cmd == 0 {
                cmd = play_and_wait(ctx, &self.prompt("vm-pls-try-again")).await;
            }
            return cmd;
        }
        self.change_password(&newpassword);
        play_and_wait(ctx, &self.prompt("vm-passchanged")).await
    }

    /// `vm_change_password` with the password kept in voicemail.conf
    /// (`passwordlocation`'s default): the mailbox's line gets the new
    /// password before its first comma, the file is written again as
    /// Asterisk saves a config (written beside it, then renamed over
    /// it), and the live configuration takes the new password
    /// (`reset_user_pw`, which raises VoicemailPasswordChange).
    fn change_password(&self, newpassword: &str) {
        let ctx = self.ctx;
        let vmu = &self.vmu;
        let file = <VoicemailConf as crate::config::views::View>::FILE;
        let mut cfg = match crate::config::load(file, &ctx.sys.conf.load_options()) {
            Ok(Some(cfg)) => cfg,
            _ => return,
        };
        let mut found = false;
        for cat in cfg
            .categories
            .iter_mut()
            .filter(|c| !c.template && c.name.eq_ignore_ascii_case(&vmu.context))
        {
            let Some(var) = cat
                .variables
                .iter_mut()
                .find(|v| v.name.eq_ignore_ascii_case(&vmu.mailbox))
            else {
                ctx.warning(
                    crate::site!(FILE, 2133, "vm_change_password"),
                    "We could not find the mailbox.",
                );
                break;
            };
            var.value = match var.value.find(',') {
                Some(i) => format!("{newpassword}{}", &var.value[i..]),
                None => newpassword.to_string(),
            };
            found = true;
        }
        if !found {
            return;
        }
        vm_event(ctx, "PASSWORDCHANGED", 2156, "vm_change_password", || {
            "Message: voicemail.conf updated with new password\r\nPasswordSource: voicemail.conf"
                .into()
        });
        reset_user_pw(ctx, &vmu.context, &vmu.mailbox, newpassword);
        let path = ctx.sys.conf.dirs.etc.join(file);
        let text = crate::manager::actions::render_config(&cfg, file, &path, "app_voicemail");
        ctx.verbose(
            2,
            crate::site!("config.c", 2993, "ast_config_text_file_save2"),
            &format!("Saving '{}'", path.display()),
        );
        if let Err(e) = crate::core::daemon::write_atomic(&path, text.as_bytes()) {
            ctx.error(
                crate::site!("config.c", 2975, "ast_config_text_file_save2"),
                &format!("Unable to write {} ({e})", path.display()),
            );
        }
    }

    /// `vm_newuser_setup`: a new mailbox (its password still the mailbox
    /// number, with `forcename` or `forcegreetings`) records what is
    /// missing of its name and greetings, then must choose a password.
    async fn new_user_setup(&self, vms: &Vms) -> Cmd {
        let ctx = self.ctx;
        vm_event(ctx, "NEWUSER", 11229, "vm_newuser_setup", || {
            "Message: entering new user state".into()
        });
        let ends = |cmd: Cmd| cmd < 0 || cmd == TIMEOUT || cmd == digit('#');
        let mut steps = Vec::new();
        if self.vmu.forcename {
            steps.push(("greet", "vm-rec-name"));
        }
        if self.vmu.forcegreet {
            steps.push(("unavail", "vm-rec-unv"));
            steps.push(("busy", "vm-rec-busy"));
        }
        for (name, prompt) in steps {
            let file = self.box_file(vms, name);
            if !self.sound_exists(&file.display().to_string()) {
                let cmd = self.record_review(prompt, &file).await;
                if ends(cmd) {
                    return cmd;
                }
            }
        }
        // The password last: until it changes, the mailbox is new again
        // at the next login, whatever step the caller hung up in.
        let mut tries = 0;
        let newpassword = loop {
            let (newpassword, mut cmd) = self.read_password("vm-newpassword").await;
            if ends(cmd) {
                return cmd;
            }
            if !self.password_ok(&newpassword) {
                ctx.notice(
                    crate::site!(FILE, 11282, "vm_newuser_setup"),
                    &format!("Invalid password for user {} ({newpassword})", vms.username),
                );
                cmd = play_and_wait(ctx, &self.prompt("vm-invalid-password")).await;
            } else {
                let (newpassword2, c) = self.read_password("vm-reenterpassword").await;
                if ends(c) {
                    return c;
                }
                if newpassword == newpassword2 {
                    break newpassword;
                }
                ctx.notice(
                    crate::site!(FILE, 11296, "vm_newuser_setup"),
                    &format!(
                        "Password mismatch for user {} ({newpassword} != {newpassword2})",
                        vms.username
                    ),
                );
                cmd = play_and_wait(ctx, &self.prompt("vm-mismatch")).await;
            }
            tries += 1;
            if tries == 3 {
                return HANGUP;
            }
            if cmd != 0 {
                let _ = play_and_wait(ctx, &self.prompt("vm-pls-try-again")).await;
            }
        };
        self.change_password(&newpassword);
        play_and_wait(ctx, &self.prompt("vm-passchanged")).await
    }
}

impl Session<'_> {
    /// `forward_message` (message menu `8`, file storage): the target
    /// mailboxes typed (`*` between them; the caller's own refused),
    /// each said by its recorded name or its digits, then
    /// `vm_forwardoptions` (1 prepend a recording, 2 send as is, `*`
    /// back) and the message copied into each target's INBOX.
    /// With `is_new`, (advanced option 5) a message is recorded for the
    /// first mailbox typed instead (`leave_voicemail`); the caller's own
    /// box is then allowed.
    async fn forward_message(&self, vms: &Vms, urgent: bool, is_new: bool) -> Cmd {
        let ctx = self.ctx;
        let sender = &self.vmu;
        let urgent_str = if general(&self.conf, "forward_urgent_auto")
            .is_some_and(crate::config::is_true)
            && urgent
        {
            "Urgent"
        } else {
            ""
        };
        let dir = vms.curdir.clone();
        let curmsg = vms.curmsg;
        vm_event(ctx, "FORWARD", 8817, "forward_message", || {
            "Message: entering forward message menu".into()
        });
        let context = self.context_arg.clone().filter(|c| !c.is_empty());
        let mut receivers: Vec<super::voicemail::VmUser> = Vec::new();
        let mut res = 0;
        let mut valid_extensions = false;
        let mut prompt_played = 0;
        let mut username_typed = String::new();
        while res == 0 && !valid_extensions {
            let Some(g) = start_file(ctx, "vm-extension") else {
                res = HANGUP;
                break;
            };
            prompt_played += 1;
            if prompt_played > 4 {
                ctx.chan.stop_stream();
                break;
            }
            let mut username = String::new();
            res =
                getdata_result(readstring(ctx, Some(g), &mut username, 69, 2000, 10000, "#").await);
            username_typed = username.clone();
            if res < 0 {
                break;
            }
            if username.is_empty() {
                continue;
            }
            valid_extensions = true;
            for s in username.split('*') {
                let mailbox_context = format!("{s}@{}", context.as_deref().unwrap_or("default"));
                let receiver = if is_new || s != sender.mailbox {
                    super::voicemail::find_user(&self.conf, context.as_deref(), s)
                } else {
                    None
                };
                let Some(receiver) = receiver else {
                    receivers.clear();
                    ctx.notice(
                        crate::site!(FILE, 8966, "forward_message"),
                        &format!("'{mailbox_context}' is not a valid mailbox"),
                    );
                    res = play_and_wait(ctx, "pbx-invalid").await;
                    valid_extensions = false;
                    break;
                };
                let (urgent_n, new, old) = super::voicemail::inbox_count(
                    &self.spool,
                    &receiver.context,
                    &receiver.mailbox,
                );
                let capacity = receiver.maxmsg as i64;
                if i64::from(urgent_n + new + old) >= capacity {
                    ctx.notice(
                        crate::site!(FILE, 8946, "forward_message"),
                        &format!(
                            "Mailbox '{mailbox_context}' is full with capacity of {capacity}, prompting for another extension."
                        ),
                    );
                    res = play_and_wait(ctx, "vm-mailboxfull").await;
                    valid_extensions = false;
                    receivers.clear();
                    break;
                }
                let greet = box_dir(&self.spool, &receiver.context, s).join("greet");
                receivers.push(receiver);
                if self.sound_exists(&greet.display().to_string()) {
                    match stream_file(ctx, &greet.display().to_string(), "#").await {
                        Streamed::Done => res = 0,
                        Streamed::Digit(d) => return digit(d),
                        Streamed::Failed | Streamed::Hangup => return HANGUP,
                    }
                } else {
                    let lang = ctx.chan.lock().language.clone();
                    let paths = SoundPaths::from_conf(&ctx.sys.conf);
                    let files = crate::media::say::digit_files(s, |n| paths.exists(n, &lang));
                    res = match super::say::say_files(ctx, &files, "#").await {
                        Said::Done => 0,
                        Said::Digit(d) => digit(d),
                        Said::Failed => HANGUP,
                    };
                }
            }
        }
        if receivers.is_empty() || !valid_extensions {
            return res;
        }
        if is_new {
            // Asterisk sends it to what is left of the typed string once
            // cut at the first `*`, in VoiceMailMain's context (printed as
            // "(null)" when it had none, which finds no mailbox).
            let first = username_typed.split('*').next().unwrap_or("");
            let target = format!("{first}@{}", context.as_deref().unwrap_or("(null)"));
            let cmd = self.leave_message(&target).await;
            return if res != 0 { res } else { cmd };
        }
        let msgfile = make_file(&dir, curmsg);
        let textfile = with_ext(&msgfile, "txt");
        let backup = PathBuf::from(format!("{}-bak", msgfile.display()));
        let backup_textfile = with_ext(&backup, "txt");
        let cmd = self.forward_options(&msgfile, &backup).await;
        if cmd == 0 {
            let mut copied = true;
            for r in &receivers {
                copied = self.copy_message(&msgfile, r, urgent_str);
            }
            res = if copied {
                play_and_wait(ctx, "vm-msgforwarded").await
            } else {
                play_and_wait(ctx, "vm-mailboxfull").await
            };
            // The prepended copy went; the message itself is as it was.
            if message_exists(&backup) {
                rename_message(&ctx.sys.pbx.logger, &backup, &msgfile);
            }
        } else {
            let _ = std::fs::rename(&backup_textfile, &textfile);
        }
        if res != 0 { res } else { cmd }
    }

    /// `vm_forwardoptions`: 1 records a prepended part (the original is
    /// kept as `msgNNNN-bak` meanwhile), 2 forwards as is, `*` cancels.
    /// 0 to go on with forwarding.
    async fn forward_options(&self, msgfile: &Path, backup: &Path) -> Cmd {
        let ctx = self.ctx;
        let textfile = with_ext(msgfile, "txt");
        let backup_textfile = with_ext(backup, "txt");
        let original_txt = std::fs::read_to_string(&textfile).ok();
        let mut cmd = 0;
        let mut retries = 0;
        let mut already_recorded = false;
        while cmd >= 0 && cmd != TIMEOUT && cmd != digit('*') {
            if cmd != 0 {
                retries = 0;
            }
            let key = u8::try_from(cmd).map(char::from).unwrap_or('\0');
            match key {
                '1' => {
                    let Some(txt) = original_txt.as_deref() else {
                        cmd = 0;
                        continue;
                    };
                    if already_recorded {
                        copy_message_files(&ctx.sys.pbx.logger, backup, msgfile);
                    } else {
                        copy_message_files(&ctx.sys.pbx.logger, msgfile, backup);
                    }
                    already_recorded = true;
                    let (res, prepended) = self.prepend(msgfile).await;
                    cmd = res;
                    if cmd == digit('S') {
                        let _ = stream_and_wait(ctx, &self.prompt("vm-pls-try-again")).await;
                        let _ = stream_and_wait(ctx, &self.prompt("vm-prepend-timeout")).await;
                        rename_message(&ctx.sys.pbx.logger, backup, msgfile);
                    }
                    if prepended > 0 {
                        let duration = read_message_info(&textfile)
                            .as_deref()
                            .and_then(|i| info(i, "duration").map(super::builtins::atoi))
                            .unwrap_or(0)
                            + prepended;
                        let text =
                            render_message_txt(txt, &textfile, "duration", &duration.to_string());
                        if let Err(e) =
                            crate::core::daemon::write_atomic(&textfile, text.as_bytes())
                        {
                            ctx.error(
                                crate::site!("config.c", 2975, "ast_config_text_file_save2"),
                                &format!("Unable to write {} ({e})", textfile.display()),
                            );
                        }
                    }
                }
                '2' => cmd = TIMEOUT,
                '*' => {}
                _ => {
                    already_recorded = false;
                    cmd = play_and_wait(ctx, "vm-forwardoptions").await;
                    if cmd == 0 {
                        cmd = play_and_wait(ctx, "vm-starmain").await;
                    }
                    if cmd == 0 {
                        cmd = wait_for_digit(ctx, 6000).await;
                    }
                    if cmd == 0 {
                        retries += 1;
                    }
                    if retries > 3 {
                        cmd = digit('*');
                    }
                    userpress(ctx, cmd, 8598, "vm_forwardoptions");
                }
            }
        }
        if already_recorded && cmd == HANGUP {
            rename_message(&ctx.sys.pbx.logger, backup, msgfile);
            let _ = std::fs::rename(&backup_textfile, &textfile);
        }
        if cmd == TIMEOUT || cmd == digit('S') {
            cmd = 0;
        }
        cmd
    }

    /// `ast_play_and_prepend`: the beep, then a recording any digit ends,
    /// put before the message in every format. Asterisk's result ('t' for
    /// a digit, 'S' for silence, -1 for a hangup) and the seconds added.
    async fn prepend(&self, msgfile: &Path) -> (Cmd, i64) {
        let ctx = self.ctx;
        if stream_and_wait(ctx, "beep").await < 0 {
            return (HANGUP, 0);
        }
        let part = PathBuf::from(format!("{}-prepend", msgfile.display()));
        let opts = RecordOptions {
            maxsecs: 0,
            cancel_zero: false,
            any_digit_ends: true,
        };
        let rec = record_formats(ctx, &part, &self.conf, opts).await;
        let res = match rec.end {
            End::Done | End::Timeout => TIMEOUT,
            End::Silence => digit('S'),
            End::Operator => digit('0'),
            End::Hangup => HANGUP,
        };
        // Asterisk joins the parts even after a hangup (the caller's
        // message is then restored from the backup).
        for (ext, file) in &rec.files {
            let target = with_ext(msgfile, ext);
            if let Err(e) = join_sound_files(&[file.as_path(), target.as_path()], &target) {
                ctx.warning(
                    crate::site!("app.c", 2187, "__ast_play_and_record"),
                    &format!("Unable to prepend to {}: {e}", target.display()),
                );
            }
            let _ = std::fs::remove_file(file);
        }
        (res, rec.duration)
    }

    /// `copy_message` for file storage: the message's files copied as
    /// they are into the recipient's INBOX (Urgent for an urgent
    /// forward) at its next number, then its lamp. False when the
    /// recipient's folder is full.
    fn copy_message(&self, msgfile: &Path, recip: &super::voicemail::VmUser, flag: &str) -> bool {
        let ctx = self.ctx;
        let vmu = &self.vmu;
        ctx.notice(
            crate::site!(FILE, 6409, "copy_message"),
            &format!(
                "Copying message from {}@{} to {}@{}",
                vmu.mailbox, vmu.context, recip.mailbox, recip.context
            ),
        );
        let folder = if flag == "Urgent" { "Urgent" } else { "INBOX" };
        let todir = box_dir(&self.spool, &recip.context, &recip.mailbox).join(folder);
        if let Err(e) = std::fs::create_dir_all(&todir) {
            ctx.warning(
                crate::site!("app_voicemail.c", 2274, "create_dirpath"),
                &format!("ast_mkdir '{}' failed: {e}", todir.display()),
            );
        }
        let num = last_message_index(&todir) + 1;
        let ok = i64::from(num) < i64::from(recip.maxmsg);
        if ok {
            copy_message_files(&ctx.sys.pbx.logger, msgfile, &make_file(&todir, num));
        } else {
            ctx.error(
                crate::site!(FILE, 6458, "copy_message"),
                &format!(
                    "Recipient mailbox {}@{} is full",
                    recip.mailbox, recip.context
                ),
            );
        }
        publish_mwi(ctx, &self.spool, &recip.context, &recip.mailbox);
        ok
    }
}

/// `<base>.<ext>`.
fn with_ext(base: &Path, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}.{ext}", base.display()))
}

/// The sound files `parts` one after the other into `target` (written
/// under a temporary name, then renamed over it), in `target`'s format.
fn join_sound_files(parts: &[&Path], target: &Path) -> Result<(), crate::media::file::FileError> {
    use crate::media::file::{Playback, Recording};
    use crate::media::formats::FileFormat;
    use crate::media::formats::FrameReader;
    let ext = target.extension().and_then(|e| e.to_str()).unwrap_or("");
    let Some(format) = FileFormat::from_extension(ext) else {
        return Ok(());
    };
    let mut out = Recording::create_file(target, format, false)?;
    for (i, part) in parts.iter().enumerate() {
        // The recording is the write stream itself, kept whole; what
        // follows is read back through its format (format_wav leaves a
        // wav's last 44 bytes out).
        if i == 0 && format == FileFormat::Wav {
            let mut input =
                crate::media::formats::WavReader::open_whole(part).map_err(|source| {
                    crate::media::file::FileError::Format {
                        path: part.to_path_buf(),
                        source,
                    }
                })?;
            while let Some(frame) =
                input
                    .read_frame()
                    .map_err(|source| crate::media::file::FileError::Format {
                        path: part.to_path_buf(),
                        source,
                    })?
            {
                out.write_frame(&frame)?;
            }
            continue;
        }
        let mut input = Playback::open(format, part, crate::media::Codec::Slin)?;
        while let Some(frame) = input.next_frame()? {
            out.write_frame(&frame)?;
        }
    }
    out.finish().map(|_| ())
}

/// A message's `.txt` as `ast_config_text_file_save` writes it again
/// after one value changed (a prepended recording's `duration`): the
/// generated header, comments gone, `name = value`, and blank lines where
/// Asterisk keeps each entry near its old line (`insert_leading_blank_lines`).
fn render_message_txt(original: &str, path: &Path, key: &str, value: &str) -> String {
    let mut out = String::new();
    let date = chrono::Local::now().format("%a %b %e %H:%M:%S %Y");
    out.push_str(";!\n;! Automatically generated configuration file\n");
    out.push_str(&format!(";! Filename: {}\n", path.display()));
    out.push_str(";! Generator: app_voicemail\n");
    out.push_str(&format!(";! Creation Date: {date}\n;!\n"));
    let mut next_line: usize = 1;
    let mut blank = |out: &mut String, lineno: usize| {
        if lineno >= next_line {
            let gap = lineno - next_line;
            out.push_str(&"\n".repeat(if gap < 5 { gap } else { 1 }));
        }
        next_line = lineno + 1;
    };
    for (i, line) in original.lines().enumerate() {
        let lineno = i + 1;
        let line = line.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            blank(&mut out, lineno);
            out.push_str(&format!("[{}]\n", name.trim_end_matches(']')));
        } else if let Some((k, v)) = line.split_once('=') {
            blank(&mut out, lineno);
            let (object, v) = match v.strip_prefix('>') {
                Some(rest) => (true, rest),
                None => (false, v),
            };
            let k = k.trim();
            let v = if k.eq_ignore_ascii_case(key) {
                value
            } else {
                v.trim()
            };
            out.push_str(&format!(
                "{k} {} {}\n",
                if object { "=>" } else { "=" },
                v.replace(';', "\\;")
            ));
        }
    }
    out
}

/// `reset_user_pw`: the live mailbox takes the new password, and AMI
/// hears of it.
fn reset_user_pw(ctx: &AppCtx, context: &str, mailbox: &str, newpass: &str) {
    ctx.sys.update_voicemail(|conf| {
        if let Some(m) = conf.mailboxes.iter_mut().find(|m| {
            m.context.eq_ignore_ascii_case(context) && m.mailbox.eq_ignore_ascii_case(mailbox)
        }) {
            m.password = newpass.to_string();
        }
    });
    let context = if context.is_empty() {
        "default"
    } else {
        context
    };
    ctx.sys
        .pbx
        .channels
        .events
        .publish_system(crate::core::events::EventKind::Manager {
            class: crate::manager::class::SYSTEM | crate::manager::class::USER,
            name: "VoicemailPasswordChange".into(),
            body: format!("Context: {context}\r\nMailbox: {mailbox}\r\nNewPassword: {newpass}\r\n"),
        });
}

/// `ast_readstring`'s result as an int: -1 failed, 0 complete, 1 timeout,
/// 2 interrupted, 3 an empty entry ended by the terminator.
fn getdata_result(r: GetData) -> Cmd {
    match r {
        GetData::Failed => HANGUP,
        GetData::Complete => 0,
        GetData::Timeout => 1,
        GetData::Interrupted => 2,
        GetData::EmptyEndTerminated => 3,
    }
}

/// `ast_stream_and_wait(chan, file, "")`: no digit stops it.
async fn stream_and_wait(ctx: &AppCtx, file: &str) -> Cmd {
    match stream_file(ctx, file, "").await {
        Streamed::Done | Streamed::Digit(_) => 0,
        Streamed::Failed | Streamed::Hangup => HANGUP,
    }
}

fn plural(n: i32) -> &'static str {
    if n == 1 { "vm-message" } else { "vm-messages" }
}

/// say.c's `wait_file`: a prompt any digit stops, with its warning when
/// it does not open.
async fn wait_file(ctx: &AppCtx, name: &str) -> Cmd {
    match start_file(ctx, name) {
        None => {
            ctx.warning(
                crate::site!("say.c", 868, "wait_file"),
                &format!("Unable to play message {name}"),
            );
            HANGUP
        }
        Some(g) => match super::playback::wait_stream(ctx, g, DIGIT_ANY).await {
            Streamed::Done => 0,
            Streamed::Digit(d) => digit(d),
            Streamed::Failed | Streamed::Hangup => HANGUP,
        },
    }
}

/// check-config: the VoiceMailMain options in `data` Asterism does not
/// act on.
pub fn unsupported_options(data: &str) -> Vec<char> {
    let args = separate_args(data, ',', 2);
    match args.get(1) {
        Some(o) => super::option_letters(o)
            .into_iter()
            .filter(|c| UNSUPPORTED_OPTIONS.contains(*c))
            .collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_by_number_and_name() {
        assert_eq!(mbox(0), "INBOX");
        assert_eq!(mbox(2), "Work");
        assert_eq!(mbox(11), "Urgent");
        assert_eq!(mbox(12), "Unknown");
        assert_eq!(folder_by_name("old"), Some(1));
        assert_eq!(folder_by_name("nope"), None);
    }

    #[test]
    fn message_files_move_together_txt_last() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in ["msg0001.txt", "msg0001.wav", "msg0001.gsm", "msg0010.wav"] {
            std::fs::write(dir.path().join(f), f).expect("write");
        }
        let files: Vec<String> = message_files(&make_file(dir.path(), 1))
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        assert_eq!(files, ["gsm", "wav", "txt"]);
        assert!(message_exists(&make_file(dir.path(), 1)));
        assert!(!message_exists(&make_file(dir.path(), 2)));
        assert_eq!(count_txt(dir.path()), 1);
        let info_file = dir.path().join("info.txt");
        std::fs::write(
            &info_file,
            ";\n; Message Information file\n;\n[message]\norigtime=12\ncategory=\nflag=Urgent\n",
        )
        .expect("write");
        let i = read_message_info(&info_file).expect("parsed");
        assert_eq!(info(&i, "origtime"), Some("12"));
        assert_eq!(info(&i, "flag"), Some("Urgent"));
        assert_eq!(info(&i, "category"), Some(""));
        assert!(read_message_info(&dir.path().join("missing.txt")).is_none());
    }

    /// A prepended message's `.txt` as Asterisk saved it (the
    /// forwarding capture): header, the three comment lines become blank
    /// lines, `name = value`.
    #[test]
    fn message_txt_saved_as_asterisk_saves_it() {
        let original = ";\n; Message Information file\n;\n[message]\norigmailbox=1000\n\
                        callerid=\"A\" <1>\nduration=5\n";
        let out = render_message_txt(
            original,
            Path::new("/s/voicemail/default/1000/INBOX/msg0000.txt"),
            "duration",
            "6",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], ";!");
        assert_eq!(
            lines[2],
            ";! Filename: /s/voicemail/default/1000/INBOX/msg0000.txt"
        );
        assert_eq!(lines[3], ";! Generator: app_voicemail");
        assert!(lines[4].starts_with(";! Creation Date: "));
        assert_eq!(
            &lines[5..],
            [
                ";!",
                "",
                "",
                "",
                "[message]",
                "origmailbox = 1000",
                "callerid = \"A\" <1>",
                "duration = 6"
            ]
        );
    }

    #[test]
    fn prepending_joins_the_parts_in_order() {
        use crate::media::file::Recording;
        use crate::media::formats::FileFormat;
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, value: i16, n: usize| {
            let path = dir.path().join(name);
            let mut r = Recording::create_file(&path, FileFormat::Wav, false).expect("create");
            r.write_frame(&crate::media::AudioFrame::Slin(vec![value; n]))
                .expect("write");
            r.finish().expect("finish")
        };
        let first = write("a.wav", 1000, 160);
        let target = write("b.wav", -1000, 320);
        join_sound_files(&[first.as_path(), target.as_path()], &target).expect("joined");
        let bytes = std::fs::read(&target).expect("read");
        // The recording whole, the message without its last 22 samples
        // (read back through format_wav).
        assert_eq!(bytes.len(), 44 + 2 * (160 + 320 - 22));
        assert_eq!(i16::from_le_bytes([bytes[44], bytes[45]]), 1000);
        assert_eq!(
            i16::from_le_bytes([bytes[44 + 320], bytes[45 + 320]]),
            -1000
        );
    }

    #[test]
    fn check_config_lists_unbuilt_options() {
        assert_eq!(unsupported_options("1000@default,sg(3)"), ['g']);
        assert!(unsupported_options("1000@default,sa(Work)").is_empty());
        assert!(unsupported_options("s1000@default").is_empty());
    }
}
