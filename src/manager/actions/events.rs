//! Events, Filter and UserEvent.

use super::{BoxFuture, now};
use crate::manager::class;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// `action_events` (without `brokeneventsaction`).
pub fn events<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let r = match s.set_eventmask(m.get("EventMask")) {
        Some(0) => {
            let mut r = Reply::start("Success", m);
            r.line("Events", "Off").end();
            r
        }
        Some(_) => {
            let mut r = Reply::start("Success", m);
            r.line("Events", "On").end();
            r
        }
        None => Reply::error(m, "Invalid event mask"),
    };
    now(Flow::Reply(r))
}

/// `action_filter`: only `Operation: Add` exists.
pub fn filter<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    if !m.get("Operation").eq_ignore_ascii_case("Add") {
        return now(Flow::Reply(Reply::error(m, "Unknown operation")));
    }
    let criteria = match m.get("MatchCriteria") {
        "" => "eventfilter".to_string(),
        c => format!("eventfilter({c})"),
    };
    let r = match s.filters.add(&criteria, m.get("Filter")) {
        Ok(()) => Reply::ack(m, "Success"),
        Err(e) => Reply::error(m, &e.to_string()),
    };
    now(Flow::Reply(r))
}

/// `action_userevent`: every header but `Action` and `UserEvent` is passed
/// on as sent (ActionID included).
pub fn user_event<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("UserEvent");
    let mut body = format!("UserEvent: {name}\r\n");
    for line in m.lines() {
        let lower = line.to_ascii_lowercase();
        if !lower.starts_with("userevent:") && !lower.starts_with("action:") {
            body.push_str(line);
            body.push_str("\r\n");
        }
    }
    let reply = Reply::ack(m, "Event Sent");
    s.mgr.event_in_order(class::USER, "UserEvent", body);
    now(Flow::Reply(reply))
}
