//! res_fax's actions: FAXSessions, FAXSession and FAXStats. Asterism has
//! no fax technology (SendFAX and ReceiveFAX are not built, and
//! check-config says so), so no fax session ever exists and every
//! counter stays at zero: the answers are those res_fax gives then.

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// FAXSessions (`manager_fax_sessions`): the list of sessions.
pub fn sessions<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut r = Reply::list_start_flagged(m, "FAXSessionsEntry event list will follow", "Start");
    r.list_complete_open(m, "FAXSessionsComplete", 0)
        .line("Total", 0)
        .end();
    now(Flow::Reply(r))
}

/// FAXSession (`manager_fax_session`): one session by number.
pub fn session<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let valid = crate::funcs::c::scan_long(m.get("SessionNumber"), 30).is_some();
    now(Flow::Reply(if valid {
        Reply::error(m, "Session not found")
    } else {
        Reply::error(m, "Invalid session ID")
    }))
}

/// FAXStats (`manager_fax_stats`): the registry's counters.
pub fn stats<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut r = Reply::ack(m, "FAXStats event will follow");
    r.item("FAXStats", m);
    for name in [
        "CurrentSessions",
        "ReservedSessions",
        "TransmitAttempts",
        "ReceiveAttempts",
        "CompletedFAXes",
        "FailedFAXes",
    ] {
        r.line(name, 0);
    }
    r.end();
    now(Flow::Reply(r))
}
