//! Reload (`action_reload`).

use super::{BoxFuture, now};
use crate::core::Part;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn reload<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let module = m.get("Module");
    let sys = s.sys().clone();
    let parts: Vec<Part> = if module.is_empty() {
        Part::ALL.to_vec()
    } else {
        match Part::by_module(module) {
            Some(p) => vec![p],
            None => return now(Flow::Reply(Reply::error(m, "No such module"))),
        }
    };
    now(Flow::Reply(match sys.reload(&parts) {
        Ok(()) => Reply::ack(m, "Module Reloaded"),
        Err(e) => {
            sys.pbx.logger.error("manager.c", None, &e.to_string());
            Reply::error(m, "An unknown error occurred")
        }
    }))
}
