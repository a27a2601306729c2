//! The manager's MessageSend (Asterisk's `main/message.c`,
//! `action_messagesend`): an out-of-call message of its own, sent through
//! a message technology (`pjsip:`, `sip:`).

use super::BoxFuture;
use crate::core::message::{Msg, Tech};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// The decoded `Base64Body` fits message.c's 1301-byte buffer.
const BASE64_BODY_MAX: usize = 1300;

pub fn message_send<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    super::now(Flow::Reply(send(s, m)))
}

fn send(s: &Session, m: &Message) -> Reply {
    let destination = m.get("Destination");
    let (mut to, from) = (m.get("To"), m.get("From"));
    // A Destination sends there; the To then only names the recipient.
    let mut to_override = None;
    if !destination.is_empty() {
        if !to.is_empty() {
            to_override = Some(to);
        }
        to = destination;
    } else if to.is_empty() {
        return Reply::error(m, "No 'To' address specified.");
    }
    let base64body = m.get("Base64Body");
    let body = if base64body.is_empty() {
        m.get("Body").to_string()
    } else {
        let mut bytes = crate::funcs::base64::decode(base64body);
        bytes.truncate(BASE64_BODY_MAX);
        crate::core::raw::decode_owned(bytes)
    };
    let sys = s.sys();
    let Some(tech) = Tech::of(sys, to) else {
        return Reply::error(m, "Message technology not found.");
    };
    let mut msg = Msg {
        body,
        ..Default::default()
    };
    for (name, value) in m.variables() {
        msg.set_var_outbound(&name, &value);
    }
    if let Some(t) = to_override {
        msg.to = t.to_string();
    }
    match tech.send(sys, &msg, to, from) {
        Ok(()) => Reply::ack(m, "Message successfully sent"),
        Err(_) => Reply::error(m, "Message failed to send."),
    }
}
