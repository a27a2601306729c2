//! Two-party bridges as Dial makes them (a basic bridge of
//! `main/bridge.c`): what the bridge tells subscribers (BridgeCreate,
//! BridgeEnter, BridgeLeave, BridgeDestroy) and the BRIDGEPEER /
//! BRIDGEPVTCALLID variables it keeps on its members. The media itself is
//! relayed by Dial.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::Channel;
use crate::core::events::{BridgeAction, BridgeSnapshot, ChannelSnapshot, EventBus, EventKind};

/// Asterisk starts every basic bridge on `simple_bridge`; once two RTP
/// channels are in, the smart bridge moves them to `native_rtp`.
const SIMPLE: &str = "simple_bridge";
const NATIVE_RTP: &str = "native_rtp";
/// What a smart bridge falls back to when `simple_bridge` is suspended.
const SOFTMIX: &str = "softmix";

/// A bridge technology as `bridge technology show` lists it: its module,
/// name, capability and preference (`ast_bridge_technology`).
pub struct Technology {
    pub module: &'static str,
    pub name: &'static str,
    /// `tech_capability2str` of its capabilities.
    pub kind: &'static str,
    pub preference: u32,
}

/// The technologies Asterisk 20 registers, in the order its list keeps
/// them (highest preference first; of equal ones, the later registered
/// first, as `__ast_bridge_technology_register` inserts them: the
/// reference loads bridge_simple before bridge_holding).
pub const TECHNOLOGIES: &[Technology] = &[
    Technology {
        module: "bridge_native_rtp",
        name: NATIVE_RTP,
        kind: "Native",
        preference: 90,
    },
    Technology {
        module: "bridge_holding",
        name: HOLDING,
        kind: "Holding",
        preference: 50,
    },
    Technology {
        module: "bridge_simple",
        name: SIMPLE,
        kind: "1to1Mix",
        preference: 50,
    },
    Technology {
        module: "bridge_softmix",
        name: SOFTMIX,
        kind: "MultiMix",
        preference: 10,
    },
];

/// Every live bridge by uniqueid (Asterisk's `bridges` container, an
/// rbtree sorted by uniqueid, which BridgeList and `bridge show all`
/// walk), and the technologies suspended (`bridge technology suspend`).
#[derive(Default)]
pub struct Bridges {
    live: Mutex<BTreeMap<String, Weak<Bridge>>>,
    suspended: Mutex<BTreeSet<&'static str>>,
    /// Channels taken out of their application to join a bridge (what
    /// Asterisk's channel yank does), for their PBX to carry out.
    yanked: Mutex<Vec<(Arc<Channel>, Yank)>>,
}

/// A channel taken from its dialplan into a bridge, and where it goes
/// once the bridge is over for it (its after-bridge goto).
#[derive(Clone)]
pub struct Yank {
    pub bridge: Arc<Bridge>,
    pub after: AfterBridge,
}

/// `ast_bridge_set_after_goto` and friends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterBridge {
    /// Exactly there (the Bridge action's).
    Specific {
        context: String,
        exten: String,
        priority: i32,
    },
    /// The priority after that location, or `goto` (`F(...)`, a
    /// parseable goto) taken from it (`ast_bridge_set_after_go_on`).
    GoOn {
        context: String,
        exten: String,
        priority: i32,
        goto: Option<String>,
    },
    /// Nowhere: hang up.
    Hangup,
}

impl Bridges {
    /// The live bridges in uniqueid order.
    pub fn all(&self) -> Vec<Arc<Bridge>> {
        lock(&self.live)
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// `ast_bridge_find_by_id`.
    pub fn find(&self, uniqueid: &str) -> Option<Arc<Bridge>> {
        lock(&self.live).get(uniqueid).and_then(Weak::upgrade)
    }

    /// Suspends or unsuspends the technology called `name` (without
    /// case); false when there is none of that name.
    pub fn suspend(&self, name: &str, suspended: bool) -> bool {
        let Some(t) = TECHNOLOGIES
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
        else {
            return false;
        };
        let mut set = lock(&self.suspended);
        if suspended {
            set.insert(t.name);
        } else {
            set.remove(t.name);
        }
        true
    }

    pub fn is_suspended(&self, name: &str) -> bool {
        lock(&self.suspended).contains(name)
    }

    /// Queues `chan`, which its PBX runs, to be taken into a bridge.
    pub fn push_yank(&self, chan: &Arc<Channel>, yank: Yank) {
        lock(&self.yanked).push((chan.clone(), yank));
    }

    /// What `chan`'s PBX is to do for a yank, taken once.
    pub fn take_yank(&self, chan: &Channel) -> Option<Yank> {
        let mut y = lock(&self.yanked);
        let i = y.iter().position(|(c, _)| std::ptr::eq(c.as_ref(), chan))?;
        Some(y.remove(i).1)
    }

    fn add(&self, b: &Arc<Bridge>) {
        lock(&self.live).insert(b.uniqueid.clone(), Arc::downgrade(b));
    }

    fn remove(&self, uniqueid: &str) {
        lock(&self.live).remove(uniqueid);
    }
}

pub struct Bridge {
    pub uniqueid: String,
    technology: Mutex<&'static str>,
    /// Members in the order their BRIDGEPEER variables are set.
    members: Mutex<Vec<Arc<Channel>>>,
    events: EventBus,
    /// Set once a transfer took the bridge apart, for whoever runs it.
    transfer: Mutex<Option<Transfer>>,
    /// A holding bridge's announcer (`bridge_holding.c` keeps it as the
    /// bridge's private data): while it is in, participants hear it
    /// instead of their entertainment.
    announcer: Mutex<Option<Arc<Channel>>>,
    /// Taken down by [`Bridge::destroy_when_empty`] (once only).
    emptied: AtomicBool,
    /// A member has DTMF hooks: native RTP would keep its digits from
    /// the core, so the bridge stays on `simple_bridge`.
    no_native: std::sync::atomic::AtomicBool,
    /// A holding bridge (a parking lot's): members hold alone, and
    /// none has peer variables.
    holding: Option<Holding>,
    /// When it was made (`bridge show`'s Duration).
    created: std::time::Instant,
    /// Members asked to leave (BridgeKick, `bridge kick`), for the task
    /// running the bridge to act on as their bridge channel would.
    kicks: Mutex<Vec<Arc<Channel>>>,
    /// The bridge was told to dissolve (BridgeDestroy): every member
    /// leaves with a normal clearing.
    dissolving: AtomicBool,
    /// Members join without inhibiting connected-line updates (the
    /// Bridge action and application): once both are in, each learns
    /// the other's caller id, this one first.
    colp_first: Mutex<Option<Arc<Channel>>>,
    /// A Dial or Queue runs the bridge for its caller, so a Local pair
    /// in it may optimise itself away (a detached bridge has nobody to
    /// take a channel that moves in).
    optimizable: AtomicBool,
    /// A Local pair's optimisation changed the members, for the task
    /// running the bridge to act on.
    optimized: Mutex<Option<Optimized>>,
}

/// What a Local pair's optimisation did to a bridge (`bridge_do_move`
/// with a swap): `moved` left the bridge of the half that was written
/// to and took the other half's place in `into`.
#[derive(Clone)]
pub struct Optimized {
    /// The Local half this bridge lost or keeps alone.
    pub half: Arc<Channel>,
    pub moved: Arc<Channel>,
    pub into: Arc<Bridge>,
    /// The half was the caller whose task runs the bridge: that task
    /// leaves it to the others, who talk on without a dialplan (an
    /// INVITE with Replaces naming Dial's caller). Otherwise a half's
    /// task just leaves.
    pub detach: bool,
}

/// What names a holding bridge (`bridge_base_init`'s creator and name).
struct Holding {
    bridge_type: &'static str,
    creator: &'static str,
    name: String,
}

/// A holding bridge's technology.
const HOLDING: &str = "holding_bridge";

/// A kick named a channel that is not in the bridge (`ast_bridge_kick`
/// fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAMember;

/// How a transfer went (`enum ast_transfer_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferResult {
    Fail,
    Invalid,
    NotPermitted,
    Success,
}

impl TransferResult {
    /// The name transfer events give it.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferResult::Fail => "Fail",
            TransferResult::Invalid => "Invalid",
            TransferResult::NotPermitted => "Not Permitted",
            TransferResult::Success => "Success",
        }
    }
}

/// A transfer that took a bridge apart: both members have left; the
/// transferer is done with, the transferee goes on where it was sent (its
/// location is set; a channel with a PBX has an async goto pending).
#[derive(Clone)]
pub struct Transfer {
    pub transferer: Arc<Channel>,
    pub transferee: Arc<Channel>,
}

use crate::core::lock;

impl Bridge {
    /// A new, empty basic bridge (BridgeCreate).
    pub fn create(events: &EventBus) -> Arc<Bridge> {
        Bridge::create_with(events, None)
    }

    /// A new holding bridge of `bridge_type` (BridgeCreate), as
    /// `bridge_parking_new` makes one: `creator`'s, called `name`.
    pub fn create_holding(
        events: &EventBus,
        bridge_type: &'static str,
        creator: &'static str,
        name: &str,
    ) -> Arc<Bridge> {
        Bridge::create_with(
            events,
            Some(Holding {
                bridge_type,
                creator,
                name: name.to_string(),
            }),
        )
    }

    fn create_with(events: &EventBus, holding: Option<Holding>) -> Arc<Bridge> {
        let technology = if holding.is_some() {
            HOLDING
        } else if events.bridges().is_suspended(SIMPLE) {
            // find_best_technology: the next mixing technology.
            SOFTMIX
        } else {
            SIMPLE
        };
        let b = Arc::new(Bridge {
            uniqueid: crate::core::random_uuid(),
            technology: Mutex::new(technology),
            members: Mutex::new(Vec::new()),
            events: events.clone(),
            transfer: Mutex::new(None),
            announcer: Mutex::new(None),
            emptied: AtomicBool::new(false),
            no_native: AtomicBool::new(false),
            holding,
            created: std::time::Instant::now(),
            kicks: Mutex::new(Vec::new()),
            dissolving: AtomicBool::new(false),
            colp_first: Mutex::new(None),
            optimizable: AtomicBool::new(false),
            optimized: Mutex::new(None),
        });
        events.bridges().add(&b);
        b.events.publish_system(EventKind::Bridge {
            action: BridgeAction::Create,
            bridge: b.snapshot(),
            swap: None,
        });
        b
    }

    /// `ast_bridge_channel_update_linkedids` (a basic bridge's push):
    /// the joining channel and every member take the oldest linkedid
    /// among them, each changed one publishing its snapshot
    /// (`ast_channel_internal_copy_linkedid`; no manager event shows it).
    fn update_linkedids(&self, joining: &Arc<Channel>) {
        let mut all = lock(&self.members).clone();
        all.push(joining.clone());
        let Some(oldest) = all
            .iter()
            .map(|c| c.lock().linkedid.clone())
            .min_by_key(|l| linkedid_age(l))
        else {
            return;
        };
        for c in &all {
            let changed = {
                let mut d = c.lock();
                let changed = d.linkedid != oldest;
                if changed {
                    d.linkedid.clone_from(&oldest);
                }
                changed
            };
            if changed {
                c.publish_snapshot();
            }
        }
    }

    /// Keeps the bridge on `simple_bridge` (a member has DTMF hooks).
    pub fn keep_off_native_rtp(&self) {
        self.no_native.store(true, Ordering::Relaxed);
    }

    /// Members will exchange connected lines once both are in, `first`
    /// told first (`ast_bridge_join`/`ast_bridge_impart` without
    /// INHIBIT_JOIN_COLP).
    pub fn update_connected_lines_on_join(&self, first: &Arc<Channel>) {
        *lock(&self.colp_first) = Some(first.clone());
    }

    pub fn snapshot(&self) -> BridgeSnapshot {
        let h = self.holding.as_ref();
        BridgeSnapshot {
            uniqueid: self.uniqueid.clone(),
            bridge_type: h.map_or("basic", |h| h.bridge_type),
            technology: *lock(&self.technology),
            num_channels: lock(&self.members).len(),
            creator: h.map_or("", |h| h.creator),
            name: h.map(|h| h.name.clone()).unwrap_or_default(),
            ..Default::default()
        }
    }

    /// `chan` joins: its pending changes are published first (as the
    /// bridge channel's thread does when it starts), then BridgeEnter.
    /// With two members the bridge reconfigures: the peers' variables are
    /// set, first on the member that joined first (the bridge's channel
    /// list). Two RTP channels move the bridge to native RTP instead, which
    /// sets them three times, the newer member first each time.
    pub fn join(self: &Arc<Self>, chan: &Arc<Channel>) {
        self.join_swapping(chan, None);
    }

    /// [`Bridge::join`] in place of `swap`, a member already pulled out
    /// (BridgeEnter then names it in `SwapUniqueid`).
    pub fn join_swapping(self: &Arc<Self>, chan: &Arc<Channel>, swap: Option<&Channel>) {
        self.enter(chan, swap);
        let members = lock(&self.members).clone();
        if self.holding.is_some() {
            // set_bridge_peer_vars_holding: nobody has a peer.
            for m in &members {
                clear_peer_vars(m);
            }
            return;
        }
        if members.len() != 2 {
            return;
        }
        let native = !self.no_native.load(Ordering::Relaxed)
            && !self.events.bridges().is_suspended(NATIVE_RTP)
            && members
                .iter()
                .all(|c| (c.tech == "SIP" || c.tech == "PJSIP") && !c.has_spies())
            // native_rtp needs both sides on the same format and the
            // same packetization (so never chan_sip with pjsip).
            && members[0].native_codec() == members[1].native_codec()
            && rtp_framing(&members[0]) == rtp_framing(&members[1]);
        // The connected-line updates the join queues to each member are
        // read by its own thread: in the reference, the first told's
        // after the second setting of the peer variables, the other's
        // after the third.
        let colp: Vec<(Arc<Channel>, super::party::Party)> = match lock(&self.colp_first).take() {
            Some(first) => {
                let mut u = self.connected_line_updates();
                u.sort_by_key(|(c, _)| !Arc::ptr_eq(c, &first));
                u
            }
            None => Vec::new(),
        };
        let mut colp = colp.into_iter();
        if native {
            for round in 0..3 {
                set_peer_vars(&members[0], &members[1]);
                if round > 0
                    && let Some((c, id)) = colp.next()
                {
                    apply_connected_line(&c, id);
                }
            }
            *lock(&self.technology) = NATIVE_RTP;
        } else {
            set_peer_vars(&members[1], &members[0]);
            for (c, id) in colp {
                apply_connected_line(&c, id);
            }
        }
    }

    /// `chan` leaves (BridgeLeave); the first to go of two clears both
    /// members' peer variables, itself first.
    pub fn leave(&self, chan: &Arc<Channel>) {
        self.leave_with(chan, || {});
    }

    /// `leave`, with `between` run once the leaver's own peer variables
    /// are cleared and before the others' are (where the leaving thread
    /// publishes its channel's pending changes).
    pub fn leave_with(&self, chan: &Arc<Channel>, between: impl FnOnce()) {
        let members = lock(&self.members).clone();
        if !members.iter().any(|c| Arc::ptr_eq(c, chan)) {
            between();
            return;
        }
        if members.len() != 2 || self.holding.is_some() {
            between();
        } else {
            clear_peer_vars(chan);
            between();
            for other in members.iter().filter(|c| !Arc::ptr_eq(c, chan)) {
                clear_peer_vars(other);
            }
        }
        self.remove(chan);
        // A hold still on is completed as the channel leaves its bridge.
        if chan.is_held() {
            chan.indicate_hold(false, None);
        }
    }

    /// A HOLD (or UNHOLD) frame to every member but `from`
    /// (`ast_bridge_queue_everyone_else`, as `ast_bridge_channel_write_hold`
    /// and bridge_basic's `bridge_hold` send them).
    pub fn indicate_hold(&self, from: Option<&Channel>, held: bool, music_class: Option<&str>) {
        for m in self.members() {
            if from.is_some_and(|f| std::ptr::eq(f, m.as_ref())) {
                continue;
            }
            m.indicate_hold(held, music_class);
        }
    }

    /// `chan` alone is pulled out (`bridge_channel_internal_pull`): its
    /// peer variables go, the others keep theirs.
    pub fn pull(&self, chan: &Arc<Channel>) {
        if !self.has(chan) {
            return;
        }
        clear_peer_vars(chan);
        self.remove(chan);
    }

    /// Takes a member out with no variables cleared (the first half of
    /// `bridge_do_move`, to a bridge another module joins it to).
    pub fn move_out(&self, chan: &Arc<Channel>) {
        if self.has(chan) {
            self.remove(chan);
        }
    }

    /// Moves a member into `dest` (`bridge_do_move`): BridgeLeave here,
    /// BridgeEnter there, with no variables cleared on the way.
    pub fn move_member(&self, chan: &Arc<Channel>, dest: &Arc<Bridge>) {
        if !self.has(chan) {
            return;
        }
        self.remove(chan);
        dest.join(chan);
    }

    /// Takes in every member of `src` but `kick`, who is pulled out of
    /// whichever bridge it is in (`bridge_do_merge`).
    pub fn merge_from(self: &Arc<Self>, src: &Arc<Bridge>, kick: Option<&Arc<Channel>>) {
        self.events.publish_system(EventKind::BridgeMerge {
            to: self.snapshot(),
            from: src.snapshot(),
        });
        // In the order they joined `src`.
        let moving: Vec<Arc<Channel>> = lock(&src.members).iter().rev().cloned().collect();
        for chan in moving {
            if kick.is_some_and(|k| Arc::ptr_eq(k, &chan)) {
                continue;
            }
            src.move_member(&chan, self);
        }
        if let Some(k) = kick {
            src.pull(k);
            self.pull(k);
        }
    }

    /// The connected-line update a move or merge sends the two members
    /// (`bridge_reconfigured_connected_line_update`): each learns the
    /// other's caller id, announced where it changes anything.
    pub fn update_connected_lines(&self) {
        for (chan, id) in self.connected_line_updates() {
            apply_connected_line(&chan, id);
        }
    }

    /// What that update gives each member, the one that joined first
    /// first: Asterisk queues it to each, to be applied when the member's
    /// own thread gets to it.
    pub fn connected_line_updates(&self) -> Vec<(Arc<Channel>, super::party::Party)> {
        let members = lock(&self.members).clone();
        let [a, b] = members.as_slice() else {
            return Vec::new();
        };
        if a.check_hangup() || b.check_hangup() {
            return Vec::new();
        }
        let (a_id, b_id) = (a.lock().caller.id.clone(), b.lock().caller.id.clone());
        vec![(b.clone(), a_id), (a.clone(), b_id)]
    }

    /// Whether `chan` is a member.
    pub fn has(&self, chan: &Arc<Channel>) -> bool {
        lock(&self.members).iter().any(|c| Arc::ptr_eq(c, chan))
    }

    fn remove(&self, chan: &Arc<Channel>) {
        lock(&self.members).retain(|c| !Arc::ptr_eq(c, chan));
        chan.set_bridge(None);
        chan.emit(EventKind::Bridge {
            action: BridgeAction::Leave,
            bridge: self.snapshot(),
            swap: None,
        });
    }

    /// A member's media changed (an audiohook attached to it): the bridge
    /// looks at its technology again (`bridge_reconfigured`), which sets a
    /// two-party bridge's peer variables once more, first on the member
    /// that joined first.
    pub fn reconfigured(&self) {
        let members = lock(&self.members).clone();
        if members.len() == 2 {
            set_peer_vars(&members[1], &members[0]);
        }
    }

    /// A member got a framehook: native RTP would bypass it, so a native
    /// bridge moves back to its mixing technology, which the reference
    /// shows as two more settings of the peer variables, the newer member
    /// first; another bridge reconfigures as for an audiohook.
    pub fn framehook_attached(&self) {
        let members = lock(&self.members).clone();
        self.no_native.store(true, Ordering::Relaxed);
        let native = *lock(&self.technology) == NATIVE_RTP;
        if !native || members.len() != 2 {
            self.reconfigured();
            return;
        }
        self.fall_back_to_mixing();
        for _ in 0..2 {
            set_peer_vars(&members[0], &members[1]);
        }
    }

    /// Leaves native RTP for the mixing technology a new bridge gets
    /// (`find_best_technology` once native RTP no longer fits).
    pub fn fall_back_to_mixing(&self) {
        let mut tech = lock(&self.technology);
        if *tech == NATIVE_RTP {
            *tech = if self.events.bridges().is_suspended(SIMPLE) {
                SOFTMIX
            } else {
                SIMPLE
            };
        }
    }

    /// `bridge_do_move` with a swap: `swap` is pulled out (its peer
    /// variables cleared) and `chan`, already out of its own bridge,
    /// takes its place (BridgeEnter names the swapped channel). The bridge
    /// keeps its technology; its reconfiguration sets the peer variables
    /// once, first on the member that was there.
    pub fn swap_in(self: &Arc<Self>, chan: &Arc<Channel>, swap: &Arc<Channel>) {
        self.pull(swap);
        self.enter(chan, Some(swap));
        self.reconfigured();
    }

    /// `chan` becomes a member: its pending changes published first (as
    /// the bridge channel's thread does when it starts), the linked ids
    /// made the oldest's, BridgeEnter (naming a swapped channel), and the
    /// transfer that brought it here is over.
    fn enter(self: &Arc<Self>, chan: &Arc<Channel>, swap: Option<&Channel>) {
        chan.publish_snapshot();
        if self.holding.is_none() {
            self.update_linkedids(chan);
        }
        lock(&self.members).insert(0, chan.clone());
        chan.set_bridge(Some(self));
        chan.emit(EventKind::Bridge {
            action: BridgeAction::Enter,
            bridge: self.snapshot(),
            swap: swap.map(|s| s.uniqueid.clone()),
        });
        chan.tell_entered_bridge();
        for var in ["BLINDTRANSFER", "ATTENDEDTRANSFER", "FORWARDERNAME"] {
            chan.unset_var_event(var);
        }
    }

    /// `ast_bridge_impart` of `chan` in place of `old` (an INVITE with
    /// Replaces naming `old`'s dialog): BridgeLeave of `old`, BridgeEnter
    /// of `chan` naming it, the peers set again, each member's connected
    /// line the other's caller. The task running the call goes on with
    /// `chan` and hangs `old` up. False, with nothing done,
    /// unless this is a two-party call a Dial or Queue runs (see
    /// [`Bridge::can_replace`]).
    pub fn replace_member(self: &Arc<Self>, chan: &Arc<Channel>, old: &Arc<Channel>) -> bool {
        if !self.can_replace(old) {
            return false;
        }
        self.swap_in(chan, old);
        // The two now in the call learn who the other is.
        self.update_connected_lines();
        self.set_optimized(Optimized {
            half: old.clone(),
            moved: chan.clone(),
            into: self.clone(),
            detach: true,
        });
        // Out of the bridge now, but its task may be the one running it.
        old.wake();
        true
    }

    /// Whether [`Bridge::replace_member`] can put another channel in
    /// `old`'s place: only a two-party call's runner follows such a swap.
    pub fn can_replace(&self, old: &Arc<Channel>) -> bool {
        self.allows_optimization() && self.has(old)
    }

    /// A Dial or Queue runs the bridge for its caller (see
    /// [`Bridge::optimizable`]).
    pub fn set_optimizable(&self, on: bool) {
        self.optimizable.store(on, Ordering::Relaxed);
    }

    /// Whether a Local pair in the bridge may optimise itself away
    /// through it (`bridge_allows_optimization`): a two-party bridge a
    /// caller's task runs, not dissolving, not taken apart by a
    /// transfer, with nobody kicked or moved out meanwhile.
    pub fn allows_optimization(&self) -> bool {
        self.optimizable.load(Ordering::Relaxed)
            && self.holding.is_none()
            && !self.is_dissolving()
            && self.transfer().is_none()
            && lock(&self.kicks).is_empty()
            && lock(&self.optimized).is_none()
            && lock(&self.members).len() == 2
    }

    /// Records what an optimisation did here and wakes the members.
    pub fn set_optimized(&self, what: Optimized) {
        *lock(&self.optimized) = Some(what);
        for m in self.members() {
            m.wake();
        }
    }

    /// What an optimisation did here, taken once by the task that bridged
    /// the Local half it concerns (`a` or `b` is that half). A channel
    /// that moved in and runs this bridge with another member by now must
    /// leave it to the half's task.
    pub fn take_optimized(&self, a: &Arc<Channel>, b: &Arc<Channel>) -> Option<Optimized> {
        let mut slot = lock(&self.optimized);
        if slot
            .as_ref()
            .is_some_and(|o| Arc::ptr_eq(&o.half, a) || Arc::ptr_eq(&o.half, b))
        {
            slot.take()
        } else {
            None
        }
    }

    /// The bridge was left with one member (`bridge_reconfigured` after a
    /// move): that member has no peer any more.
    pub fn clear_lone_peer_vars(&self) {
        let members = lock(&self.members).clone();
        if let [only] = members.as_slice() {
            clear_peer_vars(only);
        }
    }

    /// The members, the one that joined first first.
    pub fn members(&self) -> Vec<Arc<Channel>> {
        lock(&self.members).iter().rev().cloned().collect()
    }

    /// The bridge is gone (BridgeDestroy); whoever is still in leaves.
    pub fn destroy(&self) {
        let members = lock(&self.members).clone();
        for c in &members {
            self.leave(c);
        }
        self.events.bridges().remove(&self.uniqueid);
        self.events.publish_system(EventKind::Bridge {
            action: BridgeAction::Destroy,
            bridge: self.snapshot(),
            swap: None,
        });
    }

    /// Whether the bridge is a holding bridge (a parking lot's).
    pub fn is_holding(&self) -> bool {
        self.holding.is_some()
    }

    /// How long ago the bridge was made.
    pub fn age(&self) -> std::time::Duration {
        self.created.elapsed()
    }

    /// The end of a BlindTransfer application's transfer, once it has
    /// returned: the transferer leaves first (`ast_bridge_remove`, acted
    /// on by its own thread), then the transferee, from its thread, on its
    /// way to the new extension.
    pub fn complete_app_transfer(&self, transferer: &Arc<Channel>, transferee: &Arc<Channel>) {
        if self.has(transferer) {
            self.remove(transferer);
        }
        if self.has(transferee) {
            clear_peer_vars(transferee);
            if !transferee.lock().has_pbx {
                transferee.publish_snapshot();
            }
            self.remove(transferee);
        }
        transferer.wake();
        transferee.wake();
    }

    /// `ast_bridge_kick`: asks the member `chan` to leave, as its own
    /// thread would (its hangup hooks, then the bridge's dissolve rules).
    pub fn kick(&self, chan: &Arc<Channel>) -> Result<(), NotAMember> {
        if !self.has(chan) {
            return Err(NotAMember);
        }
        if self.holding.is_some() {
            // A holding bridge has no task of its own: the member, made
            // to leave with nowhere to go, hangs up (its application sees
            // the hangup and leaves the bridge as a hung-up member does).
            chan.softhangup_quiet(super::softhangup::DEV);
            chan.wake();
            return Ok(());
        }
        lock(&self.kicks).push(chan.clone());
        chan.wake();
        Ok(())
    }

    /// A member asked to leave by [`Bridge::kick`], taken once.
    pub fn take_kick(&self) -> Option<Arc<Channel>> {
        let mut k = lock(&self.kicks);
        if k.is_empty() {
            None
        } else {
            Some(k.remove(0))
        }
    }

    /// Whether `chan` was asked to leave; the request is taken.
    pub fn take_kick_of(&self, chan: &Channel) -> bool {
        let mut k = lock(&self.kicks);
        let before = k.len();
        k.retain(|c| !std::ptr::eq(c.as_ref(), chan));
        k.len() != before
    }

    /// `ast_bridge_destroy` from outside (BridgeDestroy): every member is
    /// told to leave; the task running the bridge takes it apart.
    pub fn dissolve(&self) {
        self.dissolving.store(true, Ordering::Relaxed);
        for m in self.members() {
            if self.holding.is_some() {
                m.softhangup_quiet(super::softhangup::DEV);
            }
            m.wake();
        }
    }

    /// `ast_bridge_destroy` of a bridge whose members go back to what
    /// they ran (BridgeWait's, when its last waiter is gone): each is
    /// told to leave, none is hung up.
    pub fn dissolve_to_dialplan(&self) {
        self.dissolving.store(true, Ordering::Relaxed);
        for m in self.members() {
            m.wake();
        }
    }

    /// Destroys the bridge once nobody is in it, once, whichever of its
    /// last members gets here first (the last reference to a dissolved
    /// bridge going).
    pub fn destroy_when_empty(&self) {
        if lock(&self.members).is_empty() && !self.emptied.swap(true, Ordering::SeqCst) {
            self.destroy();
        }
    }

    /// `chan` becomes the holding bridge's announcer; `false` when it
    /// has one already. The participants are woken to stop their
    /// entertainment.
    pub fn set_announcer(&self, chan: &Arc<Channel>) -> bool {
        {
            let mut a = lock(&self.announcer);
            if a.is_some() {
                return false;
            }
            *a = Some(chan.clone());
        }
        for m in self.members() {
            m.wake();
        }
        true
    }

    /// The announcer `chan` leaves; the participants are woken to take up
    /// their entertainment again.
    pub fn clear_announcer(&self, chan: &Channel) {
        {
            let mut a = lock(&self.announcer);
            if !a.as_ref().is_some_and(|c| std::ptr::eq(c.as_ref(), chan)) {
                return;
            }
            *a = None;
        }
        for m in self.members() {
            m.wake();
        }
    }

    pub fn has_announcer(&self) -> bool {
        lock(&self.announcer).is_some()
    }

    pub fn is_dissolving(&self) -> bool {
        self.dissolving.load(Ordering::Relaxed)
    }

    /// The transfer that took the bridge apart, if one did.
    pub fn transfer(&self) -> Option<Transfer> {
        lock(&self.transfer).clone()
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

/// How old a linkedid is (`ast_channel_internal_oldest_linkedid`
/// compares the creation time and sequence of the id): read from the
/// uniqueid it was made as, `[<systemname>-]<seconds>.<sequence>`; an id
/// that does not read so counts as the newest.
fn linkedid_age(id: &str) -> (u64, u64) {
    let bare = id.rsplit('-').next().unwrap_or(id);
    bare.split_once('.')
        .and_then(|(s, n)| Some((s.parse().ok()?, n.parse().ok()?)))
        .unwrap_or((u64::MAX, u64::MAX))
}

/// A connected-line update reaches `chan`: its connected line becomes
/// `id`, announced (and passed to its driver) if that changes it.
pub fn apply_connected_line(chan: &Arc<Channel>, id: super::party::Party) {
    let changed = {
        let mut d = chan.lock();
        let changed = d.connected.id != id;
        d.connected.id = id;
        changed
    };
    if changed {
        chan.publish_snapshot();
        if let Some(d) = chan.driver() {
            d.connected_line(chan);
        }
    }
}

/// A leaving member's peer variables, deleted (`ast_bridge_vars_set`
/// with none): said only where they held something.
fn clear_peer_vars(chan: &Channel) {
    chan.unset_var_event("BRIDGEPEER");
    chan.unset_var_event("BRIDGEPVTCALLID");
}

/// `set_bridge_peer_vars_2party`: each side learns the other's name and
/// driver call id.
fn set_peer_vars(c0: &Arc<Channel>, c1: &Arc<Channel>) {
    for (me, other) in [(c0, c1), (c1, c0)] {
        me.set_var_event("BRIDGEPEER", &other.name);
        // A driver without call ids (Local) deletes it: a VarSet only
        // where it held something.
        match other.driver().and_then(|d| d.pvt_uniqueid()) {
            Some(id) => me.set_var_event("BRIDGEPVTCALLID", &id),
            None => me.unset_var_event("BRIDGEPVTCALLID"),
        }
    }
}

/// `ast_bridge_channel_write_unhold`: the Unhold event for `chan`, and
/// the others in its bridge told it is off hold.
pub(crate) fn write_unhold(chan: &Arc<Channel>, bridge: &Bridge) {
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "Unhold".into(),
        body: String::new(),
    });
    bridge.indicate_hold(Some(chan), false, None);
}

/// `set_transfer_variables_all`: the transferer learns whom it
/// transferred (its BRIDGEPEER), the others who transferred them; the
/// other kind of transfer's variable goes quietly.
pub(crate) fn set_transfer_variables_all(
    transferer: &Arc<Channel>,
    peers: &[Arc<Channel>],
    attended: bool,
) {
    let (var, other) = if attended {
        ("ATTENDEDTRANSFER", "BLINDTRANSFER")
    } else {
        ("BLINDTRANSFER", "ATTENDEDTRANSFER")
    };
    let peer_names = transferer.get_var("BRIDGEPEER").unwrap_or_default();
    transferer.set_var_event(var, &peer_names);
    transferer.lock().vars.set(other, None);
    for peer in peers {
        peer.set_var_event(var, &transferer.name);
        peer.lock().vars.set(other, None);
    }
}

fn rtp_framing(chan: &Channel) -> Option<u32> {
    chan.driver().and_then(|d| d.rtp_framing())
}

/// Who asks for a blind transfer, which decides when the transferer
/// leaves its bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferFrom {
    /// From outside the bridge (the manager action, a SIP REFER): the
    /// transferer is taken out at once.
    Outside,
    /// The blind transfer feature, in the transferer's bridge thread: it
    /// leaves once the transfer is published.
    Feature,
    /// The BlindTransfer application run in the transferer's bridge
    /// thread (a dynamic feature): an outside party for the event, and
    /// the transferer leaves only once the application is done (the
    /// caller then calls [`Bridge::leave`]).
    App,
}

/// `ast_bridge_transfer_blind` on the two-party bridges Dial makes (no
/// parking, transfers permitted): the transferer's peer goes to
/// `exten@context`, priority 1, the transferer leaves the bridge (when
/// depends on `from`), and the BlindTransfer event tells how it went.
/// `prepare` is the caller's `new_channel_cb`: it gets the transferee
/// once the transfer variables are set, before it is sent on (a SIP
/// REFER's variables).
pub fn blind_transfer(
    transferer: &Arc<Channel>,
    exten: &str,
    context: &str,
    from: TransferFrom,
    prepare: Option<&dyn Fn(&Arc<Channel>)>,
) -> TransferResult {
    let external = from != TransferFrom::Feature;
    let publish = |result, transferee: Option<Arc<ChannelSnapshot>>, bridge| {
        transferer.emit(EventKind::BlindTransfer {
            result,
            transferee,
            bridge,
            external,
            context: context.to_string(),
            exten: exten.to_string(),
        });
        result
    };
    let Some(bridge) = transferer.bridge() else {
        return publish(TransferResult::Invalid, None, None);
    };
    let snapshot = bridge.snapshot();
    let transferee = bridge.peer_of(transferer);
    let Some(transferee) = transferee else {
        // Alone in its bridge: nobody to transfer.
        return publish(TransferResult::Invalid, None, Some(snapshot));
    };
    // The event shows the transferee as it was before it was sent away.
    let before = transferee.published_snapshot();
    // The transferer is taken off hold first.
    write_unhold(transferer, &bridge);
    set_transfer_variables_all(transferer, std::slice::from_ref(&transferee), false);
    if let Some(prepare) = prepare {
        prepare(&transferee);
    }
    // From the manager, the transferer is taken out at once; from the
    // feature, it is in its own bridge thread running the hook, so the
    // transferee (which leaves from its own thread) goes first and the
    // transferer leaves once the hook has published the transfer.
    if from == TransferFrom::Outside {
        bridge.leave(transferer);
    }
    // bridge_channel_blind_transfer: an async goto. A channel without a
    // PBX shows its new location at once and gets a PBX once it has left.
    let has_pbx = {
        let mut d = transferee.lock();
        d.set_context(context);
        d.set_exten(exten);
        d.priority = 1;
        d.has_pbx
    };
    let show_location = || {
        if !has_pbx {
            transferee.publish_snapshot();
        }
    };
    if from == TransferFrom::App {
        // Only the transferer's peer variables go now; both leave once
        // the application is done (complete_app_transfer).
        clear_peer_vars(transferer);
    } else if from == TransferFrom::Outside {
        show_location();
        bridge.leave(&transferee);
    } else {
        bridge.leave_with(&transferee, show_location);
    }
    // Recorded before the goto interrupts a PBX's Dial, so that Dial sees
    // a transfer and not a hangup.
    *lock(&bridge.transfer) = Some(Transfer {
        transferer: transferer.clone(),
        transferee: transferee.clone(),
    });
    if has_pbx {
        transferee.softhangup_quiet(super::softhangup::ASYNCGOTO);
    }
    transferer.wake();
    transferee.wake();
    let result = publish(TransferResult::Success, Some(before), Some(snapshot));
    if from == TransferFrom::Feature {
        bridge.leave(transferer);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::{Channels, NewChannel};

    #[test]
    fn an_optimisation_is_taken_only_by_the_task_of_its_half() {
        let chans = Channels::new("");
        let half = chans.alloc("Local/x-1;2".into(), "Local", 1, NewChannel::default());
        let callee = chans.alloc("Test/callee-2".into(), "Test", 2, NewChannel::default());
        let caller = chans.alloc("Test/caller-3".into(), "Test", 3, NewChannel::default());
        let bridge = Bridge::create(&chans.events);
        bridge.set_optimized(Optimized {
            half: half.clone(),
            moved: caller.clone(),
            into: bridge.clone(),
            detach: false,
        });
        // The caller that moved in, now bridged with the callee, must not
        // take what the half's task is to act on.
        assert!(bridge.take_optimized(&caller, &callee).is_none());
        let taken = bridge.take_optimized(&half, &callee).expect("the half's");
        assert!(Arc::ptr_eq(&taken.moved, &caller));
        assert!(bridge.take_optimized(&half, &callee).is_none());
    }

    #[test]
    fn a_replaced_member_leaves_its_place_to_the_new_channel() {
        let chans = Channels::new("");
        let caller = chans.alloc("Test/caller-1".into(), "Test", 1, NewChannel::default());
        let callee = chans.alloc("Test/callee-2".into(), "Test", 2, NewChannel::default());
        let new = chans.alloc("Test/new-3".into(), "Test", 3, NewChannel::default());
        let bridge = Bridge::create(&chans.events);
        bridge.join(&callee);
        bridge.join(&caller);
        // Only a two-party call a Dial or Queue runs follows a swap.
        assert!(!bridge.replace_member(&new, &callee));
        assert!(new.bridge().is_none());
        bridge.set_optimizable(true);
        assert!(!bridge.replace_member(&new, &new), "not a member");
        assert!(bridge.replace_member(&new, &callee));
        assert!(callee.bridge().is_none());
        assert!(Arc::ptr_eq(&new.bridge().expect("swapped in"), &bridge));
        assert_eq!(caller.get_var("BRIDGEPEER").as_deref(), Some("Test/new-3"));
        // The caller's task, running the call with the callee, takes it.
        let taken = bridge
            .take_optimized(&caller, &callee)
            .expect("the runner's");
        assert!(Arc::ptr_eq(&taken.half, &callee) && Arc::ptr_eq(&taken.moved, &new));
        assert!(taken.detach);
    }

    #[test]
    fn a_merge_takes_the_members_but_the_kicked_one() {
        let chans = Channels::new("");
        let e = chans.alloc("Test/e-1".into(), "Test", 1, NewChannel::default());
        let t = chans.alloc("Test/t-2".into(), "Test", 2, NewChannel::default());
        let x = chans.alloc("Test/x-3".into(), "Test", 3, NewChannel::default());
        let orig = Bridge::create(&chans.events);
        let second = Bridge::create(&chans.events);
        orig.join(&e);
        orig.join(&t);
        second.join(&x);
        // The transferer moves: no variable of the one left behind goes.
        orig.move_member(&t, &second);
        assert_eq!(e.get_var("BRIDGEPEER").as_deref(), Some("Test/t-2"));
        assert_eq!(t.get_var("BRIDGEPEER").as_deref(), Some("Test/x-3"));
        assert!(Arc::ptr_eq(&t.bridge().expect("moved"), &second));
        orig.merge_from(&second, Some(&t));
        assert!(t.bridge().is_none());
        // Pulled: its own peer variable is deleted, not set empty.
        assert_eq!(t.get_var("BRIDGEPEER"), None);
        let members: Vec<String> = orig.members().iter().map(|c| c.name.clone()).collect();
        assert_eq!(members, ["Test/e-1", "Test/x-3"]);
        assert_eq!(x.get_var("BRIDGEPEER").as_deref(), Some("Test/e-1"));
        assert_eq!(second.snapshot().num_channels, 0);
    }

    #[test]
    fn joining_ends_a_transfer_and_the_connected_lines_follow_the_peer() {
        let chans = Channels::new("");
        let a = chans.alloc("Test/a-1".into(), "Test", 1, NewChannel::default());
        let b = chans.alloc("Test/b-2".into(), "Test", 2, NewChannel::default());
        a.set_var_event("ATTENDEDTRANSFER", "Test/c-3");
        {
            let mut d = b.lock();
            d.caller.id.number.text = Some("200".into());
            d.caller.id.number.valid = true;
        }
        let br = Bridge::create(&chans.events);
        br.join(&a);
        br.join(&b);
        assert_eq!(a.get_var("ATTENDEDTRANSFER"), None);
        br.update_connected_lines();
        assert_eq!(a.lock().connected.id.number(), Some("200"));
    }

    #[test]
    fn the_registry_lists_live_bridges_and_technologies_can_be_suspended() {
        let chans = Channels::new("");
        let bridges = chans.events.bridges();
        assert!(bridges.suspend("Native_RTP", true));
        assert!(!bridges.suspend("nosuch", true));
        let one = Bridge::create(&chans.events);
        let two = Bridge::create(&chans.events);
        let ids: Vec<String> = bridges.all().iter().map(|b| b.uniqueid.clone()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(ids.len(), 2);
        let a = chans.alloc("SIP/a-1".into(), "SIP", 1, NewChannel::default());
        let b = chans.alloc("SIP/b-2".into(), "SIP", 2, NewChannel::default());
        one.join(&a);
        one.join(&b);
        // native_rtp suspended: two RTP channels stay on simple_bridge.
        assert_eq!(one.snapshot().technology, "simple_bridge");
        assert!(two.kick(&a).is_err());
        assert!(one.kick(&a).is_ok());
        assert!(Arc::ptr_eq(&one.take_kick().expect("kicked"), &a));
        two.destroy();
        assert!(bridges.find(&two.uniqueid).is_none());
        assert!(bridges.find(&one.uniqueid).is_some());
        bridges.suspend("simple_bridge", true);
        assert_eq!(
            Bridge::create(&chans.events).snapshot().technology,
            "softmix"
        );
    }

    #[test]
    fn joining_members_take_the_oldest_linkedid() {
        assert!(linkedid_age("1795420613.0") < linkedid_age("1795420614.1"));
        assert!(linkedid_age("pbx-1795420613.9") < linkedid_age("1795420613.10"));
        assert!(linkedid_age("1795420613.10") < linkedid_age("garbage"));
        let chans = Channels::new("");
        let old = NewChannel {
            linkedid: Some("1795420613.0".into()),
            ..Default::default()
        };
        let new = NewChannel {
            linkedid: Some("1795420614.1".into()),
            ..Default::default()
        };
        let a = chans.alloc("Test/a-1".into(), "Test", 1, new);
        let b = chans.alloc("Test/b-2".into(), "Test", 2, old);
        let br = Bridge::create(&chans.events);
        br.join(&a);
        assert_eq!(a.lock().linkedid, "1795420614.1");
        br.join(&b);
        assert_eq!(a.lock().linkedid, "1795420613.0");
        assert_eq!(b.lock().linkedid, "1795420613.0");
    }

    #[test]
    fn a_blind_transfer_needs_a_bridge_and_a_peer() {
        let chans = Channels::new("");
        let a = chans.alloc("Test/a-1".into(), "Test", 1, NewChannel::default());
        let invalid = TransferResult::Invalid;
        assert_eq!(
            blind_transfer(&a, "601", "internal", TransferFrom::Outside, None),
            invalid
        );
        let b = Bridge::create(&chans.events);
        b.join(&a);
        assert_eq!(
            blind_transfer(&a, "601", "internal", TransferFrom::Outside, None),
            invalid
        );
        assert!(b.transfer().is_none());
        assert_eq!(a.get_var("BLINDTRANSFER"), None);
    }

    #[test]
    fn a_blind_transfer_sends_the_peer_on_and_takes_the_bridge_apart() {
        let chans = Channels::new("");
        let a = chans.alloc("Test/a-1".into(), "Test", 1, NewChannel::default());
        let p = chans.alloc("Test/p-2".into(), "Test", 2, NewChannel::default());
        let b = Bridge::create(&chans.events);
        b.join(&p);
        b.join(&a);
        let result = blind_transfer(&a, "601", "internal", TransferFrom::Outside, None);
        assert_eq!(result, TransferResult::Success);
        let t = b.transfer().expect("transfer recorded");
        assert!(Arc::ptr_eq(&t.transferer, &a) && Arc::ptr_eq(&t.transferee, &p));
        assert!(a.bridge().is_none() && p.bridge().is_none());
        {
            let d = p.lock();
            assert_eq!(
                (d.context.as_str(), d.exten.as_str(), d.priority),
                ("internal", "601", 1)
            );
        }
        assert_eq!(a.get_var("BLINDTRANSFER").as_deref(), Some("Test/p-2"));
        assert_eq!(p.get_var("BLINDTRANSFER").as_deref(), Some("Test/a-1"));
        assert_eq!(a.get_var("BRIDGEPEER"), None);
    }
}
