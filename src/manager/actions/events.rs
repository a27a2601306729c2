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

/// `sscanf("%i")`: an optional sign, then hexadecimal after `0x`, octal
/// after `0`, else decimal. None when no digit starts the text.
fn scan_i(text: &str) -> Option<i64> {
    let t = text.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        // "0x" with no hex digit still reads the 0.
        return (radix == 16).then_some(0);
    }
    let v = i64::from_str_radix(&digits[..end], radix).ok()?;
    Some(if neg { -v } else { v })
}

/// `action_waitevent`: the session waits (see `session::wait_event`),
/// then answers with the events queued meanwhile. `Timeout` is in
/// seconds; none, or below -1, waits for as long as it takes.
pub fn wait_event<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let timeout = match scan_i(m.get("Timeout")) {
        Some(t) if t >= 0 => Some(std::time::Duration::from_secs(t as u64)),
        _ => None,
    };
    let head = Reply::response("Success", m, Some("Waiting for Event completed."));
    let mut tail = Reply::new();
    tail.item("WaitEventComplete", m).end();
    now(Flow::WaitEvent {
        timeout,
        head,
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_scan_as_c_does() {
        assert_eq!(scan_i("5"), Some(5));
        assert_eq!(scan_i(" 010"), Some(8));
        assert_eq!(scan_i("0x1f"), Some(31));
        assert_eq!(scan_i("-2"), Some(-2));
        assert_eq!(scan_i("abc"), None);
        assert_eq!(scan_i(""), None);
    }
}
