//! Getvar and Setvar (`action_getvar`, `action_setvar`).

use super::{BoxFuture, now};
use crate::manager::class;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// `function_capable_string_allowed_with_auths`: without the `system`
/// class, nothing that mentions SHELL or EVAL may be evaluated.
pub fn allowed_for(text: &str, writeperm: u32) -> bool {
    writeperm & class::SYSTEM != 0 || !(text.contains("SHELL") || text.contains("EVAL"))
}

pub fn setvar<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let varname = m.get("Variable");
    if varname.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No variable specified")));
    }
    let sys = s.sys().clone();
    let chan = match super::named_channel(&sys, m) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let value = m.get("Value");
    let ok = if varname.ends_with(')') {
        crate::funcs::write(&sys, chan.as_ref(), varname, value)
    } else {
        crate::pbx::set_var(&sys, chan.as_ref(), varname, Some(value));
        true
    };
    now(Flow::Reply(if ok {
        Reply::ack(m, "Variable Set")
    } else {
        Reply::error(m, "Variable not set")
    }))
}

pub fn getvar<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let varname = m.get("Variable");
    if varname.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No variable specified")));
    }
    if !allowed_for(varname, s.writeperm) {
        return now(Flow::Reply(Reply::error(
            m,
            "GetVar Access Forbidden: Variable",
        )));
    }
    let sys = s.sys().clone();
    let chan = match super::named_channel(&sys, m) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let value = if varname.ends_with(')') {
        crate::funcs::read(&sys, chan.as_ref(), varname)
    } else {
        crate::pbx::subst::retrieve_variable(&sys, chan.as_ref(), varname)
    };
    let mut r = Reply::start("Success", m);
    r.line("Variable", varname)
        .line("Value", value.unwrap_or_default())
        .end();
    now(Flow::Reply(r))
}
