//! Message-waiting state (Asterisk's `main/mwi.c`): the last counts
//! published for each mailbox, and publishing them: the MessageWaiting
//! event (`manager_mwi.c`) and the mailbox's lamp as the device
//! `MWI:<box>@<context>` (`res_mwi_devstate.c`).
//!
//! A state, once published, stays for as long as the daemon runs, as
//! stasis keeps a published MWI state: VoicemailRefresh walks them all.

use std::sync::Mutex;

use super::System;
use super::devicestate::{DeviceState, Pending};
use super::events::EventKind;
use crate::channels::Channel;

/// One mailbox's last published state (`struct ast_mwi_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MwiState {
    /// `box@context`.
    pub uniqueid: String,
    /// New messages as published: app_voicemail counts the urgent ones
    /// in. The state's own urgent count is always 0
    /// (`ast_publish_mwi_state_full` publishes none).
    pub new: u32,
    pub old: u32,
}

/// Every mailbox state published since the start, in the order first
/// published.
#[derive(Debug, Default)]
pub struct MwiStates {
    states: Mutex<Vec<MwiState>>,
    /// Who hears of every published state (the SIP drivers' MWI
    /// subscriptions): the mailbox's id. A closed receiver is dropped at
    /// the next publication.
    watchers: Mutex<Vec<tokio::sync::mpsc::UnboundedSender<String>>>,
}

impl MwiStates {
    /// The states as they are now.
    pub fn all(&self) -> Vec<MwiState> {
        super::lock(&self.states).clone()
    }

    /// The last state published for `box@context`, if any was.
    pub fn get(&self, uniqueid: &str) -> Option<MwiState> {
        super::lock(&self.states)
            .iter()
            .find(|s| s.uniqueid == uniqueid)
            .cloned()
    }

    /// Every later publication, by mailbox id.
    pub fn watch(&self) -> tokio::sync::mpsc::UnboundedReceiver<String> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        super::lock(&self.watchers).push(tx);
        rx
    }

    fn tell_watchers(&self, uniqueid: &str) {
        super::lock(&self.watchers).retain(|w| w.send(uniqueid.to_string()).is_ok());
    }

    fn store(&self, uniqueid: &str, new: u32, old: u32) {
        let mut states = super::lock(&self.states);
        let state = MwiState {
            uniqueid: uniqueid.to_string(),
            new,
            old,
        };
        match states.iter_mut().find(|s| s.uniqueid == uniqueid) {
            Some(s) => *s = state,
            None => states.push(state),
        }
    }
}

/// The lamp res_mwi_devstate shows for a count of new messages.
fn lamp(new: u32) -> DeviceState {
    if new > 0 {
        DeviceState::InUse
    } else {
        DeviceState::NotInUse
    }
}

/// `ast_publish_mwi_state_channel`: the state of `box@context` becomes
/// `new`/`old`, MessageWaiting goes out (with the channel's fields when
/// a channel left the message), the `MWI:` device follows, and the
/// phones watching the mailbox are told.
pub fn publish(sys: &System, chan: Option<&Channel>, uniqueid: &str, new: u32, old: u32) {
    sys.pbx.mwi.store(uniqueid, new, old);
    let kind = EventKind::MessageWaiting {
        mailbox: uniqueid.to_string(),
        new,
        old,
    };
    match chan {
        Some(c) => c.emit(kind),
        None => sys.pbx.channels.events.publish_system(kind),
    }
    sys.pbx.channels.events.device_changed(
        &format!("MWI:{uniqueid}"),
        true,
        Pending::Known(lamp(new)),
    );
    sys.pbx.mwi.tell_watchers(uniqueid);
}

/// A state published while the daemon loads, before anyone can listen:
/// kept, and the device's state cached without an event.
pub fn seed(sys: &System, uniqueid: &str, new: u32, old: u32) {
    sys.pbx.mwi.store(uniqueid, new, old);
    sys.pbx
        .devstates
        .seed(&format!("MWI:{uniqueid}"), lamp(new));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_replaced_in_place() {
        let s = MwiStates::default();
        s.store("1001@default", 1, 0);
        s.store("2001@other", 0, 2);
        s.store("1001@default", 3, 1);
        assert_eq!(
            s.all(),
            [
                MwiState {
                    uniqueid: "1001@default".into(),
                    new: 3,
                    old: 1
                },
                MwiState {
                    uniqueid: "2001@other".into(),
                    new: 0,
                    old: 2
                },
            ]
        );
    }
}
