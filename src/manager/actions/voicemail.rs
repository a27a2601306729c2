//! The manager's mailbox actions: MailboxCount and MailboxStatus (the
//! core's, `main/manager.c`, answered from the voicemail provider's
//! counts), and app_voicemail's own (`apps/app_voicemail.c`):
//! VoicemailUsersList, VoicemailUserStatus, VoicemailBoxSummary,
//! VoicemailRefresh, VoicemailMove, VoicemailRemove and VoicemailForward.
//!
//! The messages are read and changed by app_voicemail's message API
//! (`src/apps/voicemail_api.rs`), as its CLI commands do.

use std::sync::atomic::{AtomicU32, Ordering};

use super::{BoxFuture, now};
use crate::apps::voicemail::{
    find_box, find_user, general, has_voicemail, inbox_count, inboxcount2, opt, user_of_box,
};
use crate::apps::voicemail_api::{ForwardTo, snapshot, vm_msg_forward, vm_msg_move, vm_msg_remove};
use crate::config::views::voicemail::{Mailbox, VoicemailConf};
use crate::core::System;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

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
