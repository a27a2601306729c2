//! PresenceState (manager.c's `action_presencestate`) and
//! PresenceStateList (res_manager_presencestate).

use super::{BoxFuture, now};
use crate::core::presencestate::{self, State};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// PresenceState: the provider's state (cached first), its subtype and
/// message when set; the message comes twice, as `Message` (a second
/// one, after the response's) and `PresenceMessage`.
pub fn presence_state<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let provider = m.get("Provider");
    if provider.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No provider specified")));
    }
    let p = presencestate::state(s.sys(), provider, true);
    if p.state == State::Invalid {
        return now(Flow::Reply(Reply::error(
            m,
            &format!("Invalid provider {provider} or provider in invalid state"),
        )));
    }
    let mut r = Reply::start("Success", m);
    r.line("Message", "Presence State");
    r.line("State", p.state.as_str());
    if !p.subtype.is_empty() {
        r.line("Subtype", &p.subtype);
    }
    if !p.message.is_empty() {
        r.line("Message", &p.message);
        r.line("PresenceMessage", &p.message);
    }
    r.end();
    now(Flow::Reply(r))
}

/// PresenceStateList: a PresenceStateChange (without Privilege) per
/// cached presentity, then PresenceStateListComplete.
pub fn presence_state_list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let all = s.sys().presence.dump();
    let mut r = Reply::list_start(m, "Presence State Changes will follow");
    for (provider, p) in &all {
        r.item("PresenceStateChange", m)
            .raw(&presencestate::event_body(provider, p))
            .end();
    }
    r.list_complete(m, "PresenceStateListComplete", all.len());
    now(Flow::Reply(r))
}
