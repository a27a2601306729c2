//! BlindTransfer and Atxfer (`action_blind_transfer`, `action_atxfer`):
//! transfers started from the manager.

use super::{BoxFuture, now};
use crate::channels::bridge::{TransferFrom, TransferResult, blind_transfer as transfer};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// The checks both actions make first: a channel and an extension are
/// named, and the channel exists.
fn target(s: &Session, m: &Message) -> Result<std::sync::Arc<crate::channels::Channel>, Reply> {
    let name = m.get("Channel");
    if name.is_empty() {
        return Err(Reply::error(m, "No channel specified"));
    }
    if m.get("Exten").is_empty() {
        return Err(Reply::error(m, "No extension specified"));
    }
    s.sys()
        .pbx
        .channels
        .by_name(name)
        .ok_or_else(|| Reply::error(m, "Channel specified does not exist"))
}

/// `action_blind_transfer`: the channel's bridged peer goes to
/// `Exten@Context` (the channel's own context when none is given).
pub fn blind_transfer<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let chan = match target(s, m) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let context = match m.get("Context") {
        "" => chan.lock().context.clone(),
        c => c.to_string(),
    };
    let reply = match transfer(&chan, m.get("Exten"), &context, TransferFrom::Outside, None) {
        TransferResult::NotPermitted => Reply::error(m, "Transfer not permitted"),
        TransferResult::Invalid => Reply::error(m, "Transfer invalid"),
        TransferResult::Fail => Reply::error(m, "Transfer failed"),
        TransferResult::Success => Reply::ack(m, "Transfer succeeded"),
    };
    now(Flow::Reply(reply))
}

/// `action_atxfer`: the attended-transfer feature code, then the
/// extension, are queued on the channel as DTMF it received, as if the
/// caller had keyed them (`TRANSFER_CONTEXT` names the context).
pub fn atxfer<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let chan = match target(s, m) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    let global = s.sys().loaded().features.clone();
    let code = crate::funcs::features::channel_features(&global, &chan)
        .featuremap
        .atxfer
        .clone();
    if code.is_empty() {
        return now(Flow::Reply(Reply::error(
            m,
            "No attended transfer feature code found",
        )));
    }
    let context = m.get("Context");
    if !context.is_empty() {
        chan.set_var_event("TRANSFER_CONTEXT", context);
    }
    for digit in code.chars().chain(m.get("Exten").chars()) {
        chan.queue_dtmf(digit, 0);
    }
    now(Flow::Reply(Reply::ack(m, "Atxfer successfully queued")))
}

/// `action_cancel_atxfer`: the channel's atxferabort code is queued as
/// DTMF it received, which ends the consultation of an attended transfer.
pub fn cancel_atxfer<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Channel");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No channel specified")));
    }
    let Some(chan) = s.sys().pbx.channels.by_name(name) else {
        return now(Flow::Reply(Reply::error(
            m,
            "Channel specified does not exist",
        )));
    };
    let global = s.sys().loaded().features.clone();
    let code = crate::funcs::features::channel_features(&global, &chan)
        .general
        .atxferabort
        .clone();
    for digit in code.chars() {
        chan.queue_dtmf(digit, 0);
    }
    now(Flow::Reply(Reply::ack(
        m,
        "CancelAtxfer successfully queued",
    )))
}
