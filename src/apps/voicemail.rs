//! VoiceMail (Asterisk's `apps/app_voicemail.c`, leaving a message, file
//! storage): greeting, instructions, beep, then the caller's message
//! recorded in every `format=` of voicemail.conf into the mailbox's spool
//! (`<spool>/voicemail/<context>/<box>/INBOX/msgNNNN.<ext>` and its
//! `msgNNNN.txt`), then the MessageWaiting event. Sets VMSTATUS
//! (SUCCESS, USEREXIT, FAILED) and VM_MESSAGEFILE.
//!
//! The message is recorded into the mailbox's `tmp` folder (each format
//! under a temporary name first, see [`Recording`]) and renamed into
//! INBOX only when complete, so a crash never leaves half a message in
//! the inbox.

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::playback::{Streamed, stream_file};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, separate_args};
use crate::channels::ChanState;
use crate::config::views::voicemail::{Mailbox, VoicemailConf};
use crate::media::AudioFrame;
use crate::media::file::{Recording, SoundPaths};
use crate::media::formats::FileFormat;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "VoiceMail",
        run: Run::Wait(voicemail),
        synopsis: "Leaves a message in a voicemail box.",
        syntax: "VoiceMail(mailbox[@context][&mailbox[@context]...][,options])",
    }]
}

pub(super) const FILE: &str = "app_voicemail.c";

/// The letters `vm_app_options` knows; those Asterism acts on are `s`,
/// `S`, `u`, `b`, `U`, `P` and `t`.
const KNOWN_OPTIONS: &str = "sSbugdpaUPetr";
pub(super) const UNSUPPORTED_OPTIONS: &str = "gdpaer";

/// Counter part of `msg_id` (`msg_id_incrementor`): one per message
/// since the daemon started.
static MSG_ID_COUNTER: AtomicU32 = AtomicU32::new(0);

/// `generate_msg_id`: `<epoch>-<counter as 8 hex digits>`.
pub(crate) fn generate_msg_id(now: i64) -> String {
    let n = MSG_ID_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{now}-{n:08x}")
}

/// `get_date`: the message's date as app_voicemail writes it (always
/// UTC, whatever the mailbox's zone), e.g. `Sun Nov 22 03:48:40 AM UTC 2026`.
pub fn origdate(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%a %b %e %r UTC %Y").to_string())
        .unwrap_or_default()
}

/// A mailbox's settings with voicemail.conf's general defaults applied.
#[derive(Debug, Clone)]
pub struct VmUser {
    pub context: String,
    pub mailbox: String,
    pub maxmsg: u32,
    pub maxsecs: u32,
    pub minsecs: u32,
    pub operator: bool,
    pub exitcontext: String,
}

pub(crate) fn opt<'a>(m: &'a Mailbox, key: &str) -> Option<&'a str> {
    m.options
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

pub(crate) fn general<'a>(conf: &'a VoicemailConf, key: &str) -> Option<&'a str> {
    conf.general
        .raw
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// `find_user`'s search: the voicemail.conf entry of `mailbox` in
/// `context` (`default` when none is given), case-insensitively; with
/// `searchcontexts` on, the first box of that name in any context.
pub fn find_box<'a>(
    conf: &'a VoicemailConf,
    context: Option<&str>,
    mailbox: &str,
) -> Option<&'a Mailbox> {
    let search = conf.general.searchcontexts;
    let context = context.filter(|c| !c.is_empty());
    let context = if context.is_none() && !search {
        Some("default")
    } else {
        context
    };
    conf.mailboxes.iter().find(|m| {
        m.mailbox.eq_ignore_ascii_case(mailbox)
            && (search || context.is_some_and(|c| c.eq_ignore_ascii_case(&m.context)))
    })
}

/// `find_user`: the box in `context` (`default` when none is given,
/// unless `searchcontexts` is on), case-insensitively.
pub fn find_user(conf: &VoicemailConf, context: Option<&str>, mailbox: &str) -> Option<VmUser> {
    find_box(conf, context, mailbox).map(|m| user_of_box(conf, m))
}

/// A mailbox line's settings with `[general]`'s defaults applied
/// (`populate_defaults`, then the box's options).
pub fn user_of_box(conf: &VoicemailConf, m: &Mailbox) -> VmUser {
    let num = |v: Option<&str>, default: u32| {
        v.and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(default)
    };
    let g = &conf.general;
    let general_operator = general(conf, "operator").is_some_and(crate::config::is_true);
    VmUser {
        context: m.context.clone(),
        mailbox: m.mailbox.clone(),
        maxmsg: num(opt(m, "maxmsg"), g.maxmsg),
        maxsecs: num(opt(m, "maxsecs").or(opt(m, "maxmessage")), g.maxsecs),
        minsecs: num(opt(m, "minsecs").or(opt(m, "minmessage")), g.minsecs),
        operator: opt(m, "operator").map_or(general_operator, crate::config::is_true),
        exitcontext: opt(m, "exitcontext")
            .or(general(conf, "exitcontext"))
            .unwrap_or("")
            .to_string(),
    }
}

/// `<spool>/voicemail/<context>/<box>[/<folder>]`.
pub fn box_dir(spool: &Path, context: &str, mailbox: &str) -> PathBuf {
    spool.join("voicemail").join(context).join(mailbox)
}

/// `last_message_index`: the highest message number that has a `.txt`
/// (numbers below it may be missing), or -1.
pub fn last_message_index(dir: &Path) -> i32 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return -1;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name();
            name.to_str()?
                .strip_prefix("msg")?
                .strip_suffix(".txt")?
                .parse::<i32>()
                .ok()
        })
        .filter(|n| (0..MAX_MSG_LIMIT).contains(n))
        .max()
        .unwrap_or(-1)
}

/// `MAXMSGLIMIT`: message numbers stay below it.
pub const MAX_MSG_LIMIT: i32 = 9999;

/// Messages in a folder (`.txt` files named `msg*`).
pub fn count_messages(dir: &Path) -> u32 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.starts_with("msg") && n.ends_with(".txt")
                })
                .count() as u32
        })
        .unwrap_or(0)
}

/// `__has_voicemail` for one folder: its entries named `msg…` whose
/// characters 8 to 10 are `txt`, without case; with `any`, whether there
/// is an entry named `msg…` at all (1 or 0).
pub fn folder_messages(dir: &Path, any: bool) -> u32 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name();
        let b = name.as_encoded_bytes();
        if b.len() < 3 || !b[..3].eq_ignore_ascii_case(b"msg") {
            continue;
        }
        if any {
            return 1;
        }
        if b.get(8..11).is_some_and(|t| t.eq_ignore_ascii_case(b"txt")) {
            n += 1;
        }
    }
    n
}

/// `inboxcount2`: (urgent, new, old) of a mailbox.
pub fn inbox_count(spool: &Path, context: &str, mailbox: &str) -> (u32, u32, u32) {
    if mailbox.is_empty() {
        return (0, 0, 0);
    }
    let context = if context.is_empty() {
        "default"
    } else {
        context
    };
    let base = box_dir(spool, context, mailbox);
    (
        folder_messages(&base.join("Urgent"), false),
        folder_messages(&base.join("INBOX"), false),
        folder_messages(&base.join("Old"), false),
    )
}

/// `inboxcount2` of a mailbox spec: `box[@context]` (`default` when no
/// context is given), or several separated by commas (or spaces, once
/// there is a comma), summed.
pub fn inboxcount2(spool: &Path, spec: &str) -> (u32, u32, u32) {
    let one = |b: &str| {
        let (mailbox, context) = b.split_once('@').unwrap_or((b, "default"));
        inbox_count(spool, context, mailbox)
    };
    if !spec.contains(',') {
        return one(spec);
    }
    spec.split([',', ' '])
        .filter(|b| !b.is_empty())
        .map(one)
        .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2))
}

/// `has_voicemail` of a mailbox spec (`box[@context]` separated by `,` or
/// `&`): whether any of them has a message in INBOX or Urgent.
pub fn has_voicemail(spool: &Path, spec: &str) -> bool {
    spec.split([',', '&']).any(|b| {
        let (mailbox, context) = b.split_once('@').unwrap_or((b, "default"));
        if mailbox.is_empty() {
            return false;
        }
        let context = if context.is_empty() {
            "default"
        } else {
            context
        };
        let base = box_dir(spool, context, mailbox);
        folder_messages(&base.join("INBOX"), true) > 0
            || folder_messages(&base.join("Urgent"), true) > 0
    })
}

/// `queue_mwi_event`: the box's counts as a MessageWaiting event (urgent
/// counted as new), and its lamp as the device `MWI:<box>@<context>`
/// (res_mwi_devstate).
pub(super) fn publish_mwi(ctx: &AppCtx, spool: &Path, context: &str, mailbox: &str) {
    let (urgent, new, old) = inbox_count(spool, context, mailbox);
    crate::core::mwi::publish(
        &ctx.sys,
        Some(&*ctx.chan),
        &format!("{mailbox}@{context}"),
        new + urgent,
        old,
    );
}

/// `notify_new_state`: a mailbox's counts published after the manager
/// changed it (no channel).
pub fn notify_new_state(sys: &crate::core::System, context: &str, mailbox: &str) {
    let (urgent, new, old) = inbox_count(&sys.conf.dirs.spool, context, mailbox);
    crate::core::mwi::publish(
        sys,
        None,
        &format!("{mailbox}@{context}"),
        new + urgent,
        old,
    );
}

/// What app_voicemail does as it loads its users: each mailbox's counts
/// become its MWI state (`append_mailbox`). At start nobody listens yet:
/// the states are only kept.
pub fn start(sys: &crate::core::System) {
    let conf = sys.loaded().voicemail.clone();
    for m in &conf.mailboxes {
        let (urgent, new, old) = inbox_count(&sys.conf.dirs.spool, &m.context, &m.mailbox);
        crate::core::mwi::seed(
            sys,
            &format!("{}@{}", m.mailbox, m.context),
            new + urgent,
            old,
        );
    }
}

/// After voicemail.conf was loaded again: each mailbox's counts are
/// published, in the file's order (`append_mailbox`).
pub fn reloaded(sys: &crate::core::System) {
    let conf = sys.loaded().voicemail.clone();
    for m in &conf.mailboxes {
        notify_new_state(sys, &m.context, &m.mailbox);
    }
}

/// The average absolute sample, as the silence detector measures frames.
fn frame_level(samples: &[i16]) -> i64 {
    if samples.is_empty() {
        return 0;
    }
    samples.iter().map(|&v| i64::from(v).abs()).sum::<i64>() / samples.len() as i64
}

/// `struct leave_vm_options`'s flags (VoiceMail's options; VoiceMailMain
/// leaves messages with none set).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct LeaveOptions {
    silent: bool,
    silent_if_greet: bool,
    busy: bool,
    unavail: bool,
    urgent: bool,
    priority: bool,
}

fn voicemail<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { vm_exec(ctx, &data).await })
}

async fn vm_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 0, "vm_exec"),
            "VoiceMail without a mailbox (asking the caller for one) is not supported by Asterism",
        );
        ctx.set_var("VMSTATUS", Some("FAILED"));
        return Ok(());
    }
    let args = separate_args(data, ',', 2);
    let mut lo = LeaveOptions::default();
    let mut beeptone = Some("beep".to_string());
    if args.len() == 2 {
        let Ok(o) = options::parse(&ctx.sys.pbx.logger, &args[1], KNOWN_OPTIONS) else {
            return Err(AppExit::Hangup);
        };
        for c in UNSUPPORTED_OPTIONS.chars().filter(|&c| o.has(c)) {
            ctx.warning(
                crate::site!(FILE, 0, "vm_exec"),
                &format!("VoiceMail option '{c}' is not supported by Asterism; ignored"),
            );
        }
        lo.silent = o.has('s');
        lo.silent_if_greet = o.has('S');
        lo.busy = o.has('b');
        lo.unavail = o.has('u');
        lo.urgent = o.has('U');
        lo.priority = o.has('P');
        if o.has('t') {
            beeptone = o.arg('t').filter(|t| !t.is_empty()).map(str::to_string);
        }
    }
    if ctx.chan.state() != ChanState::Up {
        let _ = super::builtins::answer_and_wait(ctx).await;
    }
    let res = leave_voicemail(ctx, &args[0], lo, beeptone.as_deref()).await;
    // A recording cut by the time limit is kept like any other, without
    // goodbye (`play_record_review` turns `__ast_play_and_record`'s 't'
    // into a message to keep).
    match res {
        Leave::Hangup => Err(AppExit::Hangup),
        Leave::Continue | Leave::Operator => Ok(()),
    }
}

/// How leaving a message ended, for the application's return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leave {
    Continue,
    /// `0` sent the caller to the operator (Asterisk's OPERATOR_EXIT).
    Operator,
    Hangup,
}

/// Where the caller jumps on `*` or `0`: the extension in the mailbox's
/// exit context, else the channel's context.
pub(super) fn jump(ctx: &AppCtx, exten: &str, exitcontext: &str) {
    let mut d = ctx.chan.lock();
    d.set_exten(exten);
    if !exitcontext.is_empty() {
        d.set_context(exitcontext);
    }
    d.priority = 0;
}

pub(super) async fn leave_voicemail(
    ctx: &AppCtx,
    target: &str,
    mut lo: LeaveOptions,
    beeptone: Option<&str>,
) -> Leave {
    let (first, others) = match target.split_once('&') {
        Some((a, b)) => (a, Some(b)),
        None => (target, None),
    };
    let (ext, context) = match first.split_once('@') {
        Some((e, c)) => (e, Some(c)),
        None => (first, None),
    };
    let conf = ctx.sys.loaded().voicemail.clone();
    let flag = if lo.urgent {
        "Urgent"
    } else if lo.priority {
        "PRIORITY"
    } else {
        ""
    };
    let Some(vmu) = find_user(&conf, context, ext) else {
        ctx.set_var("VMSTATUS", Some("FAILED"));
        ctx.warning(
            crate::site!(FILE, 7130, "leave_voicemail"),
            &format!(
                " {}: Exten: {ext}: No entry in voicemail config file for '{ext}'",
                ctx.chan.name
            ),
        );
        return Leave::Continue;
    };
    let greeting_only = vmu.maxmsg == 0;
    if greeting_only {
        lo.silent = true;
    }
    let spool = ctx.sys.conf.dirs.spool.clone();
    let base = box_dir(&spool, &vmu.context, ext);
    let mut prefile = if lo.busy {
        Some(base.join("busy"))
    } else if lo.unavail {
        Some(base.join("unavail"))
    } else {
        None
    };
    let tmpdir = base.join("tmp");
    if let Err(e) = std::fs::create_dir_all(&tmpdir) {
        ctx.warning(
            crate::site!("app_voicemail.c", 2274, "create_dirpath"),
            &format!("ast_mkdir '{}' failed: {e}", tmpdir.display()),
        );
        ctx.warning(
            crate::site!(FILE, 7166, "leave_voicemail"),
            &format!(
                " {}: Exten: {ext}: Failed to make directory ({})",
                ctx.chan.name,
                base.join("temp").display()
            ),
        );
        return Leave::Hangup;
    }
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    let exists = |p: &Path| paths.exists(&p.display().to_string(), &lang);
    let temp = base.join("temp");
    if exists(&temp) {
        prefile = Some(temp);
    }
    let inbox = base.join("INBOX");
    let _ = std::fs::create_dir_all(&inbox);

    // The digits that leave: '#' skips ahead, '0' the operator, '*' 'a'.
    let (chan_context, cid) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.caller.id.number().map(str::to_string))
    };
    let plan = ctx.sys.loaded().dialplan.clone();
    let has = |c: &str, e: &str| crate::pbx::find::exists(&plan, c, e, 1, cid.as_deref());
    let exit_or_chan = if vmu.exitcontext.is_empty() {
        chan_context.as_str()
    } else {
        vmu.exitcontext.as_str()
    };
    let mut ecodes = String::from("#");
    // Asterisk's `ouseexten`: only then does `0` send the caller on.
    let operator_exten = vmu.operator && has(exit_or_chan, "o");
    if operator_exten {
        ecodes.push('0');
    }
    if has(exit_or_chan, "a") {
        ecodes.push('*');
    }

    let mut res = Streamed::Done;
    if let Some(prefile) = &prefile {
        if exists(prefile) {
            if lo.silent_if_greet {
                lo.silent = true;
            }
            res = stream_file(ctx, &prefile.display().to_string(), &ecodes).await;
        } else {
            res = invent_message(ctx, &base, ext, lo.busy, &ecodes, &exists).await;
        }
        if res == Streamed::Hangup {
            ctx.set_var("VMSTATUS", Some("FAILED"));
            return Leave::Hangup;
        }
    }
    if res == Streamed::Digit('#') {
        lo.silent = true;
        res = Streamed::Done;
    }
    if matches!(res, Streamed::Done | Streamed::Failed) && !lo.silent {
        res = stream_file(ctx, "vm-intro", &ecodes).await;
        if res == Streamed::Digit('#') {
            res = Streamed::Done;
        }
    }
    match res {
        Streamed::Digit('*') => {
            jump(ctx, "a", &vmu.exitcontext);
            ctx.set_var("VMSTATUS", Some("USEREXIT"));
            return Leave::Continue;
        }
        Streamed::Digit('0') if vmu.operator => {
            jump(ctx, "o", &vmu.exitcontext);
            let _ = stream_file(ctx, "transfer", "").await;
            ctx.set_var("VMSTATUS", Some("USEREXIT"));
            return Leave::Operator;
        }
        Streamed::Hangup => {
            ctx.set_var("VMSTATUS", Some("FAILED"));
            return Leave::Hangup;
        }
        _ => {}
    }
    if greeting_only {
        ctx.set_var("VMSTATUS", Some("SUCCESS"));
        return Leave::Continue;
    }
    if ctx.chan.state() != ChanState::Up {
        let _ = super::builtins::answer_and_wait(ctx).await;
    }
    if conf.general.formats.is_empty() {
        ctx.warning(
            crate::site!(FILE, 7644, "leave_voicemail"),
            "No format for saving voicemail?",
        );
        return Leave::Continue;
    }
    if count_messages(&inbox) >= vmu.maxmsg {
        let _ = stream_file(ctx, "vm-mailboxfull", "").await;
        ctx.warning(
            crate::site!(FILE, 7392, "leave_voicemail"),
            "No more messages possible",
        );
        ctx.set_var("VMSTATUS", Some("FAILED"));
        return Leave::Continue;
    }
    let (tmptxt, mut txt) = match make_tmp_txt(&tmpdir) {
        Ok(v) => v,
        Err(e) => {
            let _ = stream_file(ctx, "vm-mailboxfull", "").await;
            ctx.error(
                crate::site!(FILE, 7407, "leave_voicemail"),
                &format!("Unable to create message file: {e}"),
            );
            ctx.set_var("VMSTATUS", Some("FAILED"));
            return Leave::Continue;
        }
    };
    if let Some(beep) = beeptone {
        let _ = stream_file(ctx, beep, "").await;
    }
    let now = chrono::Utc::now().timestamp();
    let msg_id = generate_msg_id(now);
    let category = ctx.var("VM_CATEGORY").unwrap_or_default();
    let header = {
        let d = ctx.chan.lock();
        let callerid = match (d.caller.id.name(), d.caller.id.number()) {
            (Some(n), Some(num)) => format!("\"{n}\" <{num}>"),
            (Some(n), None) => n.to_string(),
            (None, Some(num)) => num.to_string(),
            (None, None) => "Unknown".to_string(),
        };
        format!(
            ";\n; Message Information file\n;\n[message]\norigmailbox={ext}\ncontext={}\nmacrocontext=\nexten={}\nrdnis={}\npriority={}\ncallerchan={}\ncallerid={callerid}\norigdate={}\norigtime={now}\ncategory={}\nmsg_id={msg_id}\n",
            d.context,
            d.exten,
            d.redirecting.from.number().unwrap_or("unknown"),
            d.priority,
            ctx.chan.name,
            origdate(now),
            category,
        )
    };
    if txt.write_all(&crate::core::raw::encode(&header)).is_err() {
        ctx.warning(
            crate::site!(FILE, 7486, "leave_voicemail"),
            "Error opening text file for output",
        );
        let _ = std::fs::remove_file(&tmptxt);
        return Leave::Continue;
    }

    ctx.verbose(
        3,
        crate::site!(FILE, 16856, "play_record_review"),
        "Recording the message",
    );
    let mut rec = record_message(ctx, &tmptxt, &conf, &vmu).await;
    let out = match rec.end {
        End::Hangup => Leave::Hangup,
        _ => Leave::Continue,
    };
    let mut flag = flag.to_string();
    if rec.end == End::Operator && save_for_operator(ctx, &mut flag).await == Saved::Deleted {
        for (_, f) in rec.files.drain(..) {
            let _ = std::fs::remove_file(f);
        }
    }
    let dir = if flag == "Urgent" {
        base.join("Urgent")
    } else {
        inbox.clone()
    };
    let _ = std::fs::create_dir_all(&dir);
    let mut body = format!("flag={flag}\n");
    let keep = rec.sound_duration >= i64::from(vmu.minsecs);
    if !keep {
        ctx.verbose(
            3,
            crate::site!(FILE, 7509, "leave_voicemail"),
            &format!(
                "Recording was {} seconds long but needs to be at least {} - abandoning",
                rec.sound_duration, vmu.minsecs
            ),
        );
    } else {
        body.push_str(&format!("duration={}\n", rec.duration));
    }
    let written = txt
        .write_all(&crate::core::raw::encode(&body))
        .and_then(|()| txt.sync_all());
    drop(txt);
    if !keep || written.is_err() || rec.files.is_empty() {
        for (_, f) in &rec.files {
            let _ = std::fs::remove_file(f);
        }
        let _ = std::fs::remove_file(&tmptxt);
    } else {
        let msgnum = last_message_index(&dir) + 1;
        let fn_base = dir.join(format!("msg{msgnum:04}"));
        ctx.set_var("VM_MESSAGEFILE", Some(&fn_base.display().to_string()));
        for (ext, f) in &rec.files {
            let to = PathBuf::from(format!("{}.{ext}", fn_base.display()));
            if let Err(e) = std::fs::rename(f, &to) {
                ctx.warning(
                    crate::site!(FILE, 0, "leave_voicemail"),
                    &format!("Unable to rename {}: {e}", f.display()),
                );
            }
        }
        let txtfile = PathBuf::from(format!("{}.txt", fn_base.display()));
        if let Err(e) = std::fs::rename(&tmptxt, &txtfile) {
            ctx.warning(
                crate::site!(FILE, 0, "leave_voicemail"),
                &format!("Unable to rename {}: {e}", tmptxt.display()),
            );
        }
        set_mode(&txtfile, 0o666);
        // Further recipients get a copy, then everyone's lamp is updated.
        let mut notify = vec![(vmu.context.clone(), vmu.mailbox.clone())];
        for other in others.into_iter().flat_map(|o| o.split('&')) {
            let (e, c) = match other.split_once('@') {
                Some((e, c)) => (e, Some(c)),
                None => (other, None),
            };
            if let Some(recip) = find_user(&conf, c, e) {
                copy_message(ctx, &fn_base, &rec.files, &spool, &recip);
                notify.push((recip.context.clone(), recip.mailbox.clone()));
            }
        }
        for (c, m) in notify.into_iter().rev() {
            publish_mwi(ctx, &spool, &c, &m);
        }
    }
    if rec.end == End::Operator {
        if operator_exten {
            jump(ctx, "o", &vmu.exitcontext);
            let _ = stream_file(ctx, "transfer", "").await;
            ctx.set_var("VMSTATUS", Some("USEREXIT"));
        }
        return Leave::Operator;
    }
    ctx.set_var("VMSTATUS", Some(if keep { "SUCCESS" } else { "FAILED" }));
    out
}

/// What the caller chose for a message cut short by `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    Kept,
    Deleted,
}

/// `play_record_review`'s `0` for a caller leaving a message: "vm-saveoper"
/// and 3 s for a key; `1` keeps the message, `4` keeps it marked urgent,
/// anything else (or nothing) deletes it.
async fn save_for_operator(ctx: &AppCtx, flag: &mut String) -> Saved {
    let any = super::say::DIGIT_ANY;
    let mut key = match stream_file(ctx, "vm-saveoper", any).await {
        Streamed::Digit(d) => Some(d),
        Streamed::Done => None,
        Streamed::Failed | Streamed::Hangup => Some('\0'),
    };
    if key.is_none() {
        key = ctx
            .chan
            .wait_digit(Duration::from_millis(3000))
            .await
            .ok()
            .flatten();
    }
    match key {
        Some('1') => {
            let _ = stream_file(ctx, "vm-msgsaved", any).await;
            Saved::Kept
        }
        Some('4') => {
            let _ = stream_file(ctx, "vm-marked-urgent", any).await;
            *flag = "Urgent".to_string();
            let _ = stream_file(ctx, "vm-msgsaved", any).await;
            Saved::Kept
        }
        _ => {
            let _ = stream_file(ctx, "vm-deleted", any).await;
            Saved::Deleted
        }
    }
}

/// `copy_message`: the recipient's next message number gets the same
/// files and the same `.txt`.
fn copy_message(ctx: &AppCtx, from: &Path, files: &[(String, PathBuf)], spool: &Path, to: &VmUser) {
    let dir = box_dir(spool, &to.context, &to.mailbox).join("INBOX");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if count_messages(&dir) >= to.maxmsg {
        ctx.notice(
            crate::site!(FILE, 0, "copy_message"),
            &format!(
                "Didn't copy to {}@{}: mailbox is full",
                to.mailbox, to.context
            ),
        );
        return;
    }
    let num = last_message_index(&dir) + 1;
    let dst = dir.join(format!("msg{num:04}"));
    let exts = files.iter().map(|(e, _)| e.as_str()).chain(["txt"]);
    for ext in exts {
        let src = PathBuf::from(format!("{}.{ext}", from.display()));
        let part = PathBuf::from(format!("{}.{ext}.part", dst.display()));
        let fin = PathBuf::from(format!("{}.{ext}", dst.display()));
        if std::fs::copy(&src, &part).is_ok() {
            let _ = std::fs::rename(&part, &fin);
        }
    }
}

pub(super) fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// `mkstemp("<tmp>/XXXXXX")`: a new file with a random name.
fn make_tmp_txt(tmpdir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut seed = nanos ^ (u64::from(std::process::id()) << 32);
    for _ in 0..100 {
        let name: String = (0..6)
            .map(|_| {
                // xorshift: names need only be unlikely to collide.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                CHARS[(seed % CHARS.len() as u64) as usize] as char
            })
            .collect();
        let path = tmpdir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                set_mode(&path, 0o666 & !0o022);
                return Ok((path, f));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

/// `invent_message`: the mailbox's recorded name (`greet`), else "the
/// person at extension" and its digits; then "is unavailable" or "is on
/// the phone".
async fn invent_message(
    ctx: &AppCtx,
    base: &Path,
    ext: &str,
    busy: bool,
    ecodes: &str,
    exists: &(dyn Fn(&Path) -> bool + Sync),
) -> Streamed {
    let greet = base.join("greet");
    if exists(&greet) {
        let r = stream_file(ctx, &greet.display().to_string(), ecodes).await;
        if r != Streamed::Done {
            return r;
        }
    } else {
        let r = stream_file(ctx, "vm-theperson", ecodes).await;
        if r != Streamed::Done {
            return r;
        }
        let lang = ctx.chan.lock().language.clone();
        let paths = SoundPaths::from_conf(&ctx.sys.conf);
        for f in crate::media::say::digit_files(ext, |n| paths.exists(n, &lang)) {
            let r = stream_file(ctx, &f, ecodes).await;
            if r != Streamed::Done {
                return r;
            }
        }
    }
    stream_file(
        ctx,
        if busy { "vm-isonphone" } else { "vm-isunavail" },
        ecodes,
    )
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// `#` (any digit when it ends the recording).
    Done,
    /// `maxsilence` of silence.
    Silence,
    /// The caller pressed `0` (with `operator` on).
    Operator,
    /// `maxsecs` reached.
    Timeout,
    Hangup,
}

pub(super) struct Recorded {
    pub end: End,
    pub duration: i64,
    pub sound_duration: i64,
    /// Extension and finished file, per format.
    pub files: Vec<(String, PathBuf)>,
}

/// Samples a format's `ast_tellstream` reports after `n` were written:
/// whole GSM frames, or whole two-frame blocks for wav49.
fn tell(format: FileFormat, n: u64) -> u64 {
    match format {
        FileFormat::Gsm => n / 160 * 160,
        FileFormat::Wav49 => n / 320 * 320,
        _ => n,
    }
}

/// `ast_play_and_record_full` as app_voicemail calls it: every format at
/// once, `#` accepts, `0` cancels (when the box has an operator), silence
/// detection with voicemail.conf's `maxsilence`/`silencethreshold`, and
/// `maxsecs`.
async fn record_message(ctx: &AppCtx, base: &Path, conf: &VoicemailConf, vmu: &VmUser) -> Recorded {
    let opts = RecordOptions {
        maxsecs: vmu.maxsecs,
        cancel_zero: vmu.operator,
        any_digit_ends: false,
    };
    let rec = record_formats(ctx, base, conf, opts).await;
    // `__ast_play_and_record` thanks the caller when the recording was
    // accepted: ended by `#`, silence or the time limit.
    if matches!(rec.end, End::Done | End::Silence | End::Timeout) {
        let _ = stream_file(ctx, "auth-thankyou", "").await;
    }
    rec
}

/// How [`record_formats`] records.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordOptions {
    /// Longest recording in seconds; 0 for no limit.
    pub maxsecs: u32,
    /// `0` cancels (the mailbox has an operator).
    pub cancel_zero: bool,
    /// Any digit ends the recording (`ast_play_and_prepend`), not only `#`.
    pub any_digit_ends: bool,
}

/// `__ast_play_and_record`'s recording part: every format of
/// voicemail.conf at once into `<base>.<ext>` (each under a temporary name
/// until finished), silence detection with `maxsilence` and
/// `silencethreshold`, the accept/cancel digits of `opts`.
pub(super) async fn record_formats(
    ctx: &AppCtx,
    base: &Path,
    conf: &VoicemailConf,
    opts: RecordOptions,
) -> Recorded {
    let mut recs: Vec<(String, FileFormat, Recording)> = Vec::new();
    for fmt in &conf.general.formats {
        let format = FileFormat::from_extension(fmt).filter(|f| f.writable());
        let Some(format) = format else {
            ctx.warning(
                crate::site!("file.c", 0, "ast_writefile"),
                &format!("Asterism cannot write format '{fmt}'; not recorded"),
            );
            continue;
        };
        let ext = format.extensions()[0].to_string();
        let target = PathBuf::from(format!("{}.{ext}", base.display()));
        match Recording::create_file(&target, format, false) {
            Ok(r) => recs.push((ext, format, r)),
            Err(e) => ctx.warning(
                crate::site!("app.c", 2102, "__ast_play_and_record"),
                &format!(
                    "Error creating writestream '{}', format '{fmt}': {e}",
                    base.display()
                ),
            ),
        }
    }
    let maxsilence_ms = i64::from(conf.general.maxsilence) * 1000;
    let threshold = i64::from(conf.general.silencethreshold);
    // What may be cut at the end stays in memory until recording ends.
    let keep = (maxsilence_ms.max(0) as usize) * 8;
    let mut held: VecDeque<i16> = VecDeque::new();
    let mut total: u64 = 0;
    let mut write_failed = false;
    let mut write = |samples: &[i16], recs: &mut Vec<(String, FileFormat, Recording)>| {
        let frame = AudioFrame::Slin(samples.to_vec());
        for (_, _, r) in recs.iter_mut() {
            if r.write_frame(&frame).is_err() {
                write_failed = true;
            }
        }
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<AudioFrame>();
    ctx.chan.set_tap(Some(Box::new(move |f: &AudioFrame| {
        // The receiver only goes when recording ends.
        let _ = tx.send(f.clone());
    })));
    let start = Instant::now();
    let (mut dspsilence, mut olddspsilence, mut totalsilence) = (0i64, 0i64, 0i64);
    let end;
    let mut ended_with_digit_or_silence = false;
    let mut waits_without_audio = 0;
    loop {
        tokio::select! {
            biased;
            frame = rx.recv() => {
                let Some(frame) = frame else {
                    end = End::Hangup;
                    break;
                };
                waits_without_audio = 0;
                let samples = frame.to_slin();
                total += samples.len() as u64;
                held.extend(samples.iter().copied());
                if held.len() > keep {
                    let n = held.len() - keep;
                    let out: Vec<i16> = held.drain(..n).collect();
                    write(&out, &mut recs);
                }
                if maxsilence_ms > 0 {
                    if frame_level(&samples) < threshold {
                        dspsilence += samples.len() as i64 / 8;
                    } else {
                        dspsilence = 0;
                    }
                    if olddspsilence > dspsilence {
                        totalsilence += olddspsilence;
                    }
                    olddspsilence = dspsilence;
                    if dspsilence > maxsilence_ms {
                        ctx.verbose(3, crate::site!("app.c", 2012, "__ast_play_and_record"), &format!(
                            "Recording automatically stopped after a silence of {} seconds",
                            dspsilence / 1000
                        ));
                        end = End::Silence;
                        ended_with_digit_or_silence = true;
                        break;
                    }
                }
                if opts.maxsecs > 0 && start.elapsed().as_secs() > u64::from(opts.maxsecs) {
                    ctx.verbose(3, crate::site!("app.c", 2086, "__ast_play_and_record"), "Took too long, cutting it short...");
                    end = End::Timeout;
                    ended_with_digit_or_silence = true;
                    break;
                }
            }
            digit = ctx.chan.wait_digit_as(crate::channels::media::DigitReader::Frames, Duration::from_secs(2)) => match digit {
                Err(_) => {
                    end = End::Hangup;
                    break;
                }
                Ok(None) => {
                    // Two waits of 2 s without anything: Asterisk gives up.
                    waits_without_audio += 1;
                    if waits_without_audio >= 2 {
                        ctx.warning(crate::site!("app.c", 1951, "__ast_play_and_record"), &format!("No audio available on {}??", ctx.chan.name));
                        end = End::Hangup;
                        break;
                    }
                }
                Ok(Some(d)) => {
                    waits_without_audio = 0;
                    if d == '#' || opts.any_digit_ends {
                        ctx.verbose(3, crate::site!("app.c", 2035, "__ast_play_and_record"), &format!("User ended message by pressing {d}"));
                        end = End::Done;
                        ended_with_digit_or_silence = true;
                        break;
                    }
                    if d == '0' && opts.cancel_zero {
                        ctx.verbose(3, crate::site!("app.c", 2041, "__ast_play_and_record"), &format!("User canceled message by pressing {d}"));
                        end = End::Operator;
                        ended_with_digit_or_silence = true;
                        break;
                    }
                }
            },
        }
    }
    ctx.chan.set_tap(None);
    if end == End::Hangup {
        ctx.verbose(
            3,
            crate::site!("app.c", 2095, "__ast_play_and_record"),
            "User hung up",
        );
    }
    let first = recs.first().map(|(_, f, _)| *f).unwrap_or(FileFormat::Wav);
    let mut duration = (tell(first, total) / 8000) as i64;
    let mut sound_duration = duration;
    if olddspsilence <= dspsilence {
        totalsilence += dspsilence;
    }
    if totalsilence > 0 {
        sound_duration -= (totalsilence - 200) / 1000;
    }
    sound_duration = sound_duration.max(0);
    if dspsilence > 0 {
        duration -= (dspsilence - 200) / 1000;
    }
    duration = duration.max(0);
    // Ended by a digit or silence: the trailing silence goes, all but
    // its first 200 ms.
    let cut = if ended_with_digit_or_silence && dspsilence > 200 {
        ((dspsilence - 200) as usize * 8).min(held.len())
    } else {
        0
    };
    let rest: Vec<i16> = held.iter().copied().take(held.len() - cut).collect();
    write(&rest, &mut recs);
    let mut files = Vec::new();
    for (ext, _, r) in recs {
        match r.finish() {
            Ok(p) if !write_failed => files.push((ext, p)),
            Ok(p) => {
                let _ = std::fs::remove_file(p);
            }
            Err(e) => ctx.warning(
                crate::site!("app.c", 2020, "__ast_play_and_record"),
                &format!("Error writing frame: {e}"),
            ),
        }
    }
    if write_failed {
        ctx.warning(
            crate::site!("app.c", 2020, "__ast_play_and_record"),
            "Error writing frame",
        );
    }
    Recorded {
        end,
        duration,
        sound_duration,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ids_as_app_voicemail_writes_them() {
        assert_eq!(origdate(1795319320), "Sun Nov 22 03:48:40 AM UTC 2026");
        assert_eq!(origdate(1796947200), "Fri Dec 11 12:00:00 AM UTC 2026");
        assert_eq!(origdate(1796950000), "Fri Dec 11 12:46:40 AM UTC 2026");
        assert_eq!(origdate(1795000000), "Wed Nov 18 11:06:40 AM UTC 2026");
        assert_eq!(origdate(1795050000), "Thu Nov 19 01:00:00 AM UTC 2026");
        let a = generate_msg_id(1795319320);
        let b = generate_msg_id(1795319320);
        assert!(a.starts_with("1795319320-") && a.len() == 19, "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn next_message_number_follows_the_highest() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(last_message_index(dir.path()), -1);
        for n in [0, 1, 3] {
            std::fs::write(dir.path().join(format!("msg{n:04}.txt")), "x").expect("write");
        }
        std::fs::write(dir.path().join("msg0002.wav"), "x").expect("write");
        // Asterisk takes the highest number, gaps or not: the next
        // message is msg0004.
        assert_eq!(last_message_index(dir.path()), 3);
        assert_eq!(count_messages(dir.path()), 3);
    }

    /// `inboxcount2` and `has_voicemail` over mailbox lists, as the
    /// manager's MailboxCount and MailboxStatus ask them.
    #[test]
    fn counts_of_mailbox_lists() {
        let spool = tempfile::tempdir().expect("tempdir");
        let put = |path: &str| {
            let p = spool.path().join("voicemail").join(path);
            std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
            std::fs::write(p, "x").expect("write");
        };
        put("default/1001/INBOX/msg0000.txt");
        put("default/1001/INBOX/msg0001.txt");
        put("default/1001/Urgent/msg0000.txt");
        put("default/1001/Old/msg0000.txt");
        put("other/2001/Old/msg0000.txt");
        // A sound without its .txt is no message, but shows one waits.
        put("default/1002/INBOX/msg0000.wav");
        let sp = spool.path();
        assert_eq!(inboxcount2(sp, "1001"), (1, 2, 1));
        assert_eq!(inboxcount2(sp, "1001@default,2001@other"), (1, 2, 2));
        assert_eq!(inboxcount2(sp, "1001, 2001@other,,1002"), (1, 2, 2));
        // Without a comma, a space is part of the name.
        assert_eq!(inboxcount2(sp, "1001 2001@other"), (0, 0, 0));
        assert_eq!(inboxcount2(sp, "1001@"), (1, 2, 1));
        assert!(has_voicemail(sp, "1001"));
        assert!(!has_voicemail(sp, "2001@other"));
        assert!(has_voicemail(sp, "2001@other&1002"));
        assert!(has_voicemail(sp, "nosuch,1001@default"));
        assert!(!has_voicemail(sp, ""));
    }

    #[test]
    fn tell_counts_whole_frames_and_blocks() {
        assert_eq!(tell(FileFormat::Wav49, 63360 + 300), 63360);
        assert_eq!(tell(FileFormat::Gsm, 63360 + 159), 63360);
        assert_eq!(tell(FileFormat::Wav, 63361), 63361);
    }
}
