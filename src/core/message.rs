//! The out-of-call messaging core (Asterisk's `main/message.c`): a
//! message received by a channel driver (a SIP MESSAGE outside any call)
//! is routed through the dialplan on the one `Message/ast_msg_queue`
//! channel, where MESSAGE() and MESSAGE_DATA() read and change it and
//! MessageSend sends it on; the manager's MessageSend sends one of its own.
//! The message technologies are the SIP drivers' (`pjsip`, `sip`).

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::System;
use crate::apps::AppCtx;
use crate::channels::{ChanState, Channel, NewChannel};

/// One message (`struct ast_msg`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Msg {
    pub to: String,
    pub from: String,
    pub body: String,
    /// Where the dialplan handles it.
    pub context: String,
    pub exten: String,
    /// The technology and endpoint it came from (`PJSIP`/`SIP`, a name).
    pub tech: String,
    pub endpoint: String,
    /// Its data: the received headers and the driver's own values, and
    /// what MESSAGE_DATA() or the manager's `Variable`s set to be sent.
    pub vars: Vec<MsgVar>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgVar {
    pub name: String,
    pub value: String,
    /// Sent as a header by MessageSend (`ast_msg_set_var_outbound`).
    pub outbound: bool,
}

impl Msg {
    /// `msg_set_var_full`: names match without regard to case; an empty
    /// value removes the variable.
    fn set_var_full(&mut self, name: &str, value: &str, outbound: bool) {
        let at = self
            .vars
            .iter()
            .position(|v| v.name.eq_ignore_ascii_case(name));
        match (at, value.is_empty()) {
            (Some(i), true) => {
                self.vars.remove(i);
            }
            (Some(i), false) => {
                self.vars[i].value = value.to_string();
                self.vars[i].outbound = outbound;
            }
            (None, true) => {}
            (None, false) => self.vars.push(MsgVar {
                name: name.to_string(),
                value: value.to_string(),
                outbound,
            }),
        }
    }

    /// `ast_msg_set_var`: data received with the message.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.set_var_full(name, value, false);
    }

    /// `ast_msg_set_var_outbound`: data to send with it.
    pub fn set_var_outbound(&mut self, name: &str, value: &str) {
        self.set_var_full(name, value, true);
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| v.value.as_str())
    }

    /// The variables to send as headers (`ast_msg_var_iterator_next`).
    pub fn outbound_vars(&self) -> impl Iterator<Item = &MsgVar> {
        self.vars.iter().filter(|v| v.outbound)
    }
}

/// Why a technology did not send a message (it has logged why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendFailed;

/// A message technology, by the name before a destination's `:`
/// (`msg_find_by_tech_name`: case matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tech {
    Pjsip,
    Sip,
}

impl Tech {
    /// The technology of `destination`, if one is registered (its module
    /// runs).
    pub fn of(sys: &System, destination: &str) -> Option<Tech> {
        let name = destination.split(':').next().unwrap_or("");
        let (tech, module) = match name {
            "pjsip" => (Tech::Pjsip, "res_pjsip_messaging"),
            "sip" => (Tech::Sip, "chan_sip"),
            _ => return None,
        };
        super::modules::running(sys, module).then_some(tech)
    }

    /// `msg_tech->msg_send`.
    pub fn send(
        self,
        sys: &System,
        msg: &Msg,
        destination: &str,
        from: &str,
    ) -> Result<(), SendFailed> {
        match self {
            Tech::Pjsip => crate::channels::sip::message::pjsip_send(sys, msg, destination, from),
            Tech::Sip => crate::channels::sip::message::chan_sip_send(sys, msg, destination, from),
        }
    }
}

/// The message queue (`msg_q_tp`): messages are routed one at a time, in
/// order, on one channel made for the first of them.
#[derive(Default)]
pub struct Queue {
    tx: Mutex<Option<mpsc::UnboundedSender<Msg>>>,
}

/// `dialplan_has_destination_cb` (the only handler): the message has a
/// context and its extension (else `s`) has a priority 1 there.
pub fn has_destination(sys: &System, msg: &Msg) -> bool {
    if msg.context.is_empty() {
        return false;
    }
    let exten = if msg.exten.is_empty() {
        "s"
    } else {
        &msg.exten
    };
    crate::pbx::find::exists(&sys.loaded().dialplan, &msg.context, exten, 1, None)
}

/// `ast_msg_queue`: hands the message to the queue's task.
pub fn queue(sys: &System, msg: Msg) {
    let mut tx = sys.messages.tx.lock().unwrap_or_else(|e| e.into_inner());
    if tx.is_none() {
        let (sender, rx) = mpsc::unbounded_channel();
        tokio::spawn(run_queue(sys.arc(), rx));
        *tx = Some(sender);
    }
    if let Some(t) = tx.as_ref() {
        let _ = t.send(msg);
    }
}

async fn run_queue(sys: Arc<System>, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut chan: Option<Arc<Channel>> = None;
    while let Some(msg) = rx.recv().await {
        // msg_q_cb: a message no handler wants is only logged.
        if !has_destination(&sys, &msg) {
            sys.pbx.logger.warning(
                crate::site!("message.c", 955, "msg_q_cb"),
                None,
                &format!(
                    "No handler processed message from {} to {}",
                    or_unknown(&msg.from),
                    or_unknown(&msg.to)
                ),
            );
            continue;
        }
        let c = chan.get_or_insert_with(|| msg_q_chan(&sys)).clone();
        route(&sys, &c, msg).await;
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "<unknown>" } else { s }
}

/// `create_msg_q_chan`: an answered channel that is in no channel list
/// (its Newchannel is still published), kept for every message.
fn msg_q_chan(sys: &System) -> Arc<Channel> {
    let chans = &sys.pbx.channels;
    let chan = chans.alloc(
        "Message/ast_msg_queue".to_string(),
        "Message",
        0,
        NewChannel {
            state: Some(ChanState::Up),
            ..Default::default()
        },
    );
    chans.unlink_quietly(&chan);
    chan
}

/// `dialplan_handle_msg_cb`: the message goes on the channel, the
/// dialplan runs from its context and extension (`msg_route`, without
/// hanging the channel up), then `chan_cleanup` makes the channel as new.
async fn route(sys: &Arc<System>, chan: &Arc<Channel>, msg: Msg) {
    let exten = if msg.exten.is_empty() {
        "s".to_string()
    } else {
        msg.exten.clone()
    };
    let context = msg.context.clone();
    chan.lock().props.message = Some(msg);
    crate::pbx::run::explicit_goto(chan, Some(&context), Some(&exten), 1);
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    // A refused call (asterisk.conf's limits) has been logged; the
    // message is dropped.
    let _ = crate::pbx::run::pbx_run_kept(&ctx).await;
    let mut d = chan.lock();
    d.props.message = None;
    d.vars = Default::default();
    drop(d);
    chan.clear_softhangup(u32::MAX);
}

/// The message on a channel, for MESSAGE()/MESSAGE_DATA() and
/// MessageSend (`msg_datastore`).
pub fn on_channel(chan: &Channel) -> Option<Msg> {
    chan.lock().props.message.clone()
}

/// Changes the channel's message, making one first if it has none
/// (`msg_datastore_find_or_create`).
pub fn change_on_channel(chan: &Channel, f: impl FnOnce(&mut Msg)) {
    let mut d = chan.lock();
    f(d.props.message.get_or_insert_with(Msg::default));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_match_without_case_and_empty_removes() {
        let mut m = Msg::default();
        m.set_var("User-Agent", "SIPp");
        m.set_var_outbound("X-Reply", "yes");
        assert_eq!(m.var("user-agent"), Some("SIPp"));
        m.set_var_outbound("user-agent", "me");
        assert_eq!(
            m.outbound_vars()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            ["User-Agent", "X-Reply"]
        );
        m.set_var("X-REPLY", "");
        assert_eq!(m.var("X-Reply"), None);
        m.set_var("Nothing", "");
        assert_eq!(m.vars.len(), 1);
    }
}
