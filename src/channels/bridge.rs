//! Two-party bridges as Dial makes them (a basic bridge of
//! `main/bridge.c`): what the bridge tells subscribers (BridgeCreate,
//! BridgeEnter, BridgeLeave, BridgeDestroy) and the BRIDGEPEER /
//! BRIDGEPVTCALLID variables it keeps on its members. The media itself is
//! relayed by Dial.

use std::sync::{Arc, Mutex};

use super::Channel;
use crate::core::events::{BridgeAction, BridgeSnapshot, EventBus, EventKind};

/// Asterisk starts every basic bridge on `simple_bridge`; once two RTP
/// channels are in, the smart bridge moves them to `native_rtp`.
const SIMPLE: &str = "simple_bridge";
const NATIVE_RTP: &str = "native_rtp";

pub struct Bridge {
    pub uniqueid: String,
    technology: Mutex<&'static str>,
    /// Members in the order their BRIDGEPEER variables are set.
    members: Mutex<Vec<Arc<Channel>>>,
    events: EventBus,
}

use crate::core::lock;

impl Bridge {
    /// A new, empty basic bridge (BridgeCreate).
    pub fn create(events: &EventBus) -> Arc<Bridge> {
        let b = Arc::new(Bridge {
            uniqueid: crate::core::random_uuid(),
            technology: Mutex::new(SIMPLE),
            members: Mutex::new(Vec::new()),
            events: events.clone(),
        });
        b.events.publish_system(EventKind::Bridge {
            action: BridgeAction::Create,
            bridge: b.snapshot(),
        });
        b
    }

    pub fn snapshot(&self) -> BridgeSnapshot {
        BridgeSnapshot {
            uniqueid: self.uniqueid.clone(),
            bridge_type: "basic",
            technology: *lock(&self.technology),
            num_channels: lock(&self.members).len(),
        }
    }

    /// `chan` joins: its pending changes are published first (as the
    /// bridge channel's thread does when it starts), then BridgeEnter.
    /// With two members the bridge reconfigures: the peers' variables are
    /// set, and two RTP channels move the bridge to native RTP, which
    /// reconfigures it twice more.
    pub fn join(self: &Arc<Self>, chan: &Arc<Channel>) {
        chan.publish_snapshot();
        lock(&self.members).insert(0, chan.clone());
        chan.set_bridge(Some(self));
        chan.emit(EventKind::Bridge {
            action: BridgeAction::Enter,
            bridge: self.snapshot(),
        });
        let members = lock(&self.members).clone();
        if members.len() != 2 {
            return;
        }
        let native = members.iter().all(|c| c.tech == "SIP" || c.tech == "PJSIP");
        let rounds = if native { 3 } else { 1 };
        for _ in 0..rounds {
            set_peer_vars(&members[0], &members[1]);
        }
        if native {
            *lock(&self.technology) = NATIVE_RTP;
        }
    }

    /// `chan` leaves (BridgeLeave); the first to go of two clears both
    /// members' peer variables, itself first.
    pub fn leave(&self, chan: &Arc<Channel>) {
        let members = lock(&self.members).clone();
        if !members.iter().any(|c| Arc::ptr_eq(c, chan)) {
            return;
        }
        if members.len() == 2 {
            chan.set_var_event("BRIDGEPEER", "");
            chan.set_var_event("BRIDGEPVTCALLID", "");
            for other in members.iter().filter(|c| !Arc::ptr_eq(c, chan)) {
                other.set_var_event("BRIDGEPEER", "");
                other.set_var_event("BRIDGEPVTCALLID", "");
            }
        }
        lock(&self.members).retain(|c| !Arc::ptr_eq(c, chan));
        chan.set_bridge(None);
        chan.emit(EventKind::Bridge {
            action: BridgeAction::Leave,
            bridge: self.snapshot(),
        });
    }

    /// The bridge is gone (BridgeDestroy); whoever is still in leaves.
    pub fn destroy(&self) {
        let members = lock(&self.members).clone();
        for c in &members {
            self.leave(c);
        }
        self.events.publish_system(EventKind::Bridge {
            action: BridgeAction::Destroy,
            bridge: self.snapshot(),
        });
    }

    /// The other member of a two-party bridge (`ast_channel_bridge_peer`).
    pub fn peer_of(&self, chan: &Channel) -> Option<Arc<Channel>> {
        let members = lock(&self.members);
        if members.len() != 2 {
            return None;
        }
        members
            .iter()
            .find(|c| !std::ptr::eq(c.as_ref(), chan))
            .cloned()
    }
}

/// `set_bridge_peer_vars_2party`: each side learns the other's name and
/// driver call id.
fn set_peer_vars(c0: &Arc<Channel>, c1: &Arc<Channel>) {
    for (me, other) in [(c0, c1), (c1, c0)] {
        me.set_var_event("BRIDGEPEER", &other.name);
        if let Some(id) = other.driver().and_then(|d| d.pvt_uniqueid()) {
            me.set_var_event("BRIDGEPVTCALLID", &id);
        }
    }
}
