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
//!
//! A call counts toward its peer's `call-limit` from the moment chan_sip
//! would count it: an INVITE of the peer's once admitted, a call to the
//! peer as it is placed (`sip_call`). A call placed from another thread
//! waits in the stack's `placing` until the task has counted it, so no
//! check between the two misses it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Call, CallState, SipStack, Task};
use crate::core::devicestate::Pending;
use crate::core::{System, lock};

/// Why an INVITE of a peer at its limit is refused (chan_sip's reason
/// phrase, with its trailing space).
pub const LIMIT_REASON: &str = "Temporarily Unavailable (Call limit) ";

/// `update_call_counter` on a new call (INC_CALL_LIMIT, INC_CALL_RINGING):
/// a peer with a limit that already has as many calls in use is refused.
/// Ringing and held calls are in use too; `callcounter` alone makes the
/// limit INT_MAX.
pub fn over_limit(inuse: u32, call_limit: i64) -> bool {
    call_limit > 0 && i64::from(inuse) >= call_limit
}

/// chan_sip's `call-limit` of `peer`, when it has one (none for pjsip).
fn call_limit(sys: &System, flavor: super::Flavor, peer: &str) -> Option<i64> {
    if flavor != super::Flavor::ChanSip {
        return None;
    }
    let limit = sys.loaded().sip.peer(peer)?.settings.call_limit;
    (limit > 0).then_some(limit)
}

/// Whether a call counts for its peer now (from its start to its
/// hangup, DEC_CALL_LIMIT).
fn in_use(call: &Call) -> bool {
    call.state != CallState::Ending
}

/// The NOTICE of a refused call, as update_call_counter words it.
fn log_refusal(sys: &System, callid: Option<u32>, outgoing: bool, peer: &str, limit: i64) {
    sys.pbx.logger.notice(
        crate::site!("chan_sip.c", 6961, "update_call_counter"),
        callid,
        &format!(
            "Call {} peer '{peer}' rejected due to usage limit of {limit}",
            if outgoing { "to" } else { "from" }
        ),
    );
}

impl SipStack {
    /// `sip_call`'s check of the called peer's limit. A call let through
    /// is counted at once (in `placing`, until the task counts it); a
    /// refused one fails with `AST_CAUSE_USER_BUSY`.
    pub(super) fn place_within_limit(
        &self,
        sys: &System,
        key: u64,
        peer: &str,
        callid: Option<u32>,
    ) -> Result<(), u32> {
        let Some(limit) = call_limit(sys, self.flavor, peer) else {
            return Ok(());
        };
        // The counters first, then `placing`: the task replaces the one
        // and empties the other under both locks.
        let counted = lock(&self.peer_calls);
        let mut placing = lock(&self.placing);
        let waiting = placing.values().filter(|p| *p == peer).count();
        let inuse = counted
            .get(peer)
            .map_or(0, |c| c.inuse)
            .saturating_add(u32::try_from(waiting).unwrap_or(u32::MAX));
        if over_limit(inuse, limit) {
            drop(placing);
            drop(counted);
            log_refusal(sys, callid, true, peer, limit);
            return Err(crate::channels::causes::USER_BUSY);
        }
        placing.insert(key, peer.to_string());
        Ok(())
    }
}

/// One peer's counters (`inuse`, `ringing`, `onhold` of `sip_peer`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PeerCalls {
    pub inuse: u32,
    pub ringing: u32,
    pub onhold: u32,
}

impl Task {
    /// handle_request_invite's check of the calling peer's limit, before
    /// anything is done for the call: the limit it is over, if it is
    /// (logged).
    pub(super) fn incoming_over_limit(&self, peer: &str, callid: Option<u32>) -> Option<i64> {
        let limit = self.peer_at_limit(peer)?;
        log_refusal(&self.sys, callid, false, peer, limit);
        Some(limit)
    }

    /// The limit of `peer` if a new call of its would be over it now.
    pub(super) fn peer_at_limit(&self, peer: &str) -> Option<i64> {
        let limit = call_limit(&self.sys, self.flavor, peer)?;
        let mut inuse = self
            .calls
            .values()
            .filter(|c| c.relatedpeer == peer && in_use(c))
            .count();
        // Calls to the peer placed but not yet taken up by the task.
        inuse += lock(&self.placing)
            .iter()
            .filter(|(k, p)| *p == peer && !self.calls.contains_key(*k))
            .count();
        let inuse = u32::try_from(inuse).unwrap_or(u32::MAX);
        over_limit(inuse, limit).then_some(limit)
    }

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
        if !self.recount_calls.swap(false, Ordering::Relaxed) && !reloaded && self.placed.is_empty()
        {
            return;
        }
        self.counted_with = Some(loaded.clone());
        // The peers of the calls up, and whether each counts its calls
        // (`SIP_CALL_LIMIT`).
        let (peers, notifyhold): (HashMap<&str, bool>, bool) = {
            let sip = &loaded.sip;
            let mut peers = HashMap::new();
            for call in self.calls.values() {
                if !peers.contains_key(call.relatedpeer.as_str())
                    && let Some(p) = sip.peer(&call.relatedpeer)
                {
                    peers.insert(call.relatedpeer.as_str(), p.settings.call_limit > 0);
                }
            }
            (peers, sip.general.settings.notifyhold)
        };
        let mut counts: HashMap<String, PeerCalls> = HashMap::new();
        for call in self.calls.values() {
            if !in_use(call) {
                continue;
            }
            // Only a call of a peer counts (chan_sip's `relatedpeer`).
            let Some(&limited) = peers.get(call.relatedpeer.as_str()) else {
                continue;
            };
            let peer = call.relatedpeer.clone();
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
            // The placed calls the task has taken up are counted now.
            let mut placing = lock(&self.placing);
            for key in self.placed.drain(..) {
                placing.remove(&key);
            }
            drop(placing);
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

#[cfg(test)]
mod tests {
    use super::over_limit;

    #[test]
    fn limit_decision() {
        // (calls in use, call-limit, refused)
        let cases: &[(u32, i64, bool)] = &[
            (0, 0, false),             // no limit, no counter
            (5, 0, false),             // no limit: never refused
            (0, 1, false),             // first call under call-limit=1
            (1, 1, true),              // second call: at the limit
            (2, 1, true),              // over it (counted past a reload)
            (1, 2, false),             // room for one more
            (2, 2, true),              // full
            (1000, 2147483647, false), // callcounter alone: INT_MAX
        ];
        for &(inuse, limit, refused) in cases {
            assert_eq!(over_limit(inuse, limit), refused, "{inuse} of {limit}");
        }
    }
}
