//! chan_sip's call counters (`update_call_counter`, `sip_peer_hold`): per
//! peer, its calls in use and ringing (only for peers with a call limit
//! or `callcounter`, chan_sip's `SIP_CALL_LIMIT`), and its calls the
//! device put on hold (only with `notifyhold`). `sip_devicestate` reads
//! them; each change has the peer's device state looked at again.
//!
//! They are counted from the calls themselves, rather than raised and
//! lowered at each place chan_sip does, so no path through a call can
//! leave one behind; but only after a turn of the task in which a call
//! started, changed state or hold ([`super::Call::set_state`]) or the
//! configuration was reloaded, so a message costs nothing more with
//! many calls up.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{CallState, Task};
use crate::core::devicestate::Pending;
use crate::core::lock;

/// One peer's counters (`inuse`, `ringing`, `onhold` of `sip_peer`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PeerCalls {
    pub inuse: u32,
    pub ringing: u32,
    pub onhold: u32,
}

impl Task {
    /// Counts every peer's calls again; a peer whose counters moved has
    /// its device state worked out again (`ast_devstate_changed`).
    pub(super) fn count_peer_calls(&mut self) {
        if self.flavor != super::Flavor::ChanSip {
            return;
        }
        let loaded = self.sys.loaded();
        let reloaded = !self
            .counted_with
            .as_ref()
            .is_some_and(|seen| Arc::ptr_eq(seen, &loaded));
        if !self.recount_calls.swap(false, Ordering::Relaxed) && !reloaded {
            return;
        }
        self.counted_with = Some(loaded.clone());
        // The peers of the calls up, and whether each counts its calls
        // (`SIP_CALL_LIMIT`).
        let (peers, notifyhold): (HashMap<&str, bool>, bool) = {
            let sip = &loaded.sip;
            let mut peers = HashMap::new();
            for call in self.calls.values() {
                if !peers.contains_key(call.user.as_str())
                    && let Some(p) = sip.peer(&call.user)
                {
                    peers.insert(call.user.as_str(), p.settings.call_limit > 0);
                }
            }
            (peers, sip.general.settings.notifyhold)
        };
        let mut counts: HashMap<String, PeerCalls> = HashMap::new();
        for call in self.calls.values() {
            // Counted from the call's start to its hangup (DEC_CALL_LIMIT).
            if call.state == CallState::Ending {
                continue;
            }
            // Only a call of a peer counts (chan_sip's `relatedpeer`).
            let Some(&limited) = peers.get(call.user.as_str()) else {
                continue;
            };
            let peer = call.user.clone();
            let held = notifyhold && call.on_hold;
            if !limited && !held {
                continue;
            }
            let c = counts.entry(peer).or_default();
            if limited {
                c.inuse += 1;
                // An INVITE of ours rings until its 200 (DEC_CALL_RINGING).
                if call.outgoing && call.state == CallState::Proceeding {
                    c.ringing += 1;
                }
            }
            if held {
                c.onhold += 1;
            }
        }
        let moved: Vec<String> = {
            let mut shared = lock(&self.peer_calls);
            let mut moved: Vec<String> = shared
                .keys()
                .filter(|k| !counts.contains_key(*k))
                .cloned()
                .collect();
            moved.extend(
                counts
                    .iter()
                    .filter(|(k, v)| shared.get(*k) != Some(v))
                    .map(|(k, _)| k.clone()),
            );
            *shared = counts;
            moved
        };
        for peer in moved {
            self.sys.pbx.channels.events.device_changed(
                &format!("SIP/{peer}"),
                true,
                Pending::Later,
            );
        }
    }
}
