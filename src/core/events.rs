//! The event bus every channel change goes through (Asterisk's stasis
//! channel topic, reduced). AMI, ARI, CDR and the CLI subscribe to it.
//!
//! Publishing never waits and never drops: each subscriber has its own
//! unbounded queue, as a stasis subscription has its own taskprocessor.
//! Subscribers are the core's own consumers (the manager's renderer), which
//! keep up, so a queue only grows during a burst; a burst of calls must not
//! cost a well-behaved AMI client events. Network clients are bounded
//! further along, per session (`manager`).

use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::core::devicestate::{Change, Pending};

use crate::channels::ChanState;

/// What a channel looked like when it was last published
/// (`ast_channel_snapshot`). Subscribers compare an update's old and new
/// snapshots to tell what changed, as Asterisk's manager and ARI do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSnapshot {
    pub name: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub tech: &'static str,
    pub state: ChanState,
    pub caller_num: Option<String>,
    pub caller_name: Option<String>,
    /// `ast_party_id_presentation` of the caller.
    pub caller_pres: i32,
    pub connected_num: Option<String>,
    pub connected_name: Option<String>,
    pub language: String,
    pub accountcode: String,
    pub context: String,
    pub exten: String,
    pub priority: i32,
    /// The application running and its (substituted) arguments.
    pub appl: String,
    pub data: String,
    pub tenantid: String,
    pub dnid: String,
    /// `ast_channel_amaflags`: 1 omit, 2 billing, 3 documentation.
    pub amaflags: u32,
    /// The `h` extension is running (`AST_SOFTHANGUP_HANGUP_EXEC`).
    pub hangup_exec: bool,
    pub hangup_cause: u32,
    /// The driver's own cause (a SIP status), 0 when none.
    pub tech_cause: u32,
    /// The channel is gone (`AST_FLAG_DEAD`).
    pub dead: bool,
    pub created: std::time::SystemTime,
    /// Values of the variables manager.conf `channelvars` asks for.
    pub manager_vars: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The channel published a new snapshot (`ast_channel_publish_snapshot`):
    /// Newchannel, Newstate, Newexten, NewCallerid, Hangup... are all told
    /// apart by comparing it with the previous one.
    Snapshot {
        old: Option<Arc<ChannelSnapshot>>,
    },
    VarSet {
        variable: String,
        value: String,
    },
    /// A hangup queued (`ast_queue_hangup`): the cause when one is set,
    /// and the driver's cause.
    HangupRequest {
        cause: Option<u32>,
        tech_cause: u32,
    },
    SoftHangupRequest {
        cause: u32,
        tech_cause: u32,
    },
    UserEvent {
        name: String,
        headers: Vec<(String, String)>,
    },
    /// A mailbox's message counts changed (`ast_publish_mwi_state_channel`);
    /// `mailbox` is `box@context`.
    MessageWaiting {
        mailbox: String,
        new: u32,
        old: u32,
    },
    /// An outbound leg is being dialled (the channel is the called one;
    /// an originate has no caller).
    DialBegin {
        dialstring: String,
    },
    DialEnd {
        status: String,
    },
    /// A callerless dial's leg changed state (`DialState`, as DialEnd).
    DialState {
        status: String,
    },
    /// Dial's view of one outbound leg (the event's channel is the leg):
    /// `DialBegin` with `DialString: …`, `DialState`/`DialEnd` with
    /// `DialStatus: …`, the caller shown first.
    CallerDial {
        name: &'static str,
        caller: Arc<ChannelSnapshot>,
        tail: String,
    },
    /// A call was picked up (`ast_call_pickup_type`): the channel is the
    /// one that picked it up, as it was just before it took the target's
    /// place; the target as last published.
    Pickup {
        target: Arc<ChannelSnapshot>,
    },
    /// ChanSpy began listening to `spyee` (the channel is the spyer).
    ChanSpyStart {
        spyee: Arc<ChannelSnapshot>,
    },
    /// ChanSpy stopped listening; `spyee` is `None` when the spied
    /// channel's snapshot was no longer cached (it had hung up).
    ChanSpyStop {
        spyee: Option<Arc<ChannelSnapshot>>,
    },
    /// A Local pair was connected (the channel is `;1`).
    LocalBridge {
        two: Arc<ChannelSnapshot>,
        context: String,
        exten: String,
        optimize: bool,
    },
    /// A Local pair began taking itself out of the call (the channel is
    /// `;1`): `source` moves into the bridge of the half `dest` names.
    LocalOptimizationBegin {
        two: Arc<ChannelSnapshot>,
        source: Option<Arc<ChannelSnapshot>>,
        dest: String,
        id: u32,
    },
    /// The pair's optimisation `id` is over (the channel is `;1`).
    LocalOptimizationEnd {
        two: Arc<ChannelSnapshot>,
        success: bool,
        id: u32,
    },
    /// Music on hold started on the channel (`moh_post_start`).
    MusicOnHoldStart {
        class: String,
    },
    /// Music on hold stopped on the channel (`moh_post_stop`).
    MusicOnHoldStop,
    /// A hook flash or a wink was read on the channel (`send_flash_event`,
    /// `send_wink_event`).
    HookSignal(crate::channels::HookSignal),
    /// A DTMF digit started arriving from the device, or (`sent`) being
    /// written to the channel by a bridge.
    DtmfBegin {
        digit: char,
        sent: bool,
    },
    /// A DTMF digit ended (a received one is when the dialplan sees it).
    DtmfEnd {
        digit: char,
        duration_ms: u32,
        sent: bool,
    },
    /// A global variable changed (no channel).
    GlobalVarSet {
        variable: String,
        value: String,
    },
    /// A device's state, worked out (`DeviceStateChange`).
    DeviceStateChange {
        device: String,
        state: crate::core::devicestate::DeviceState,
    },
    /// A hint's state changed (`ExtensionStatus`).
    ExtensionStatus {
        exten: String,
        context: String,
        hint: String,
        status: i32,
        text: &'static str,
    },
    /// A bridge came to be, changed or went (BridgeCreate, BridgeDestroy;
    /// BridgeEnter and BridgeLeave carry the channel).
    Bridge {
        action: BridgeAction,
        bridge: BridgeSnapshot,
        /// A BridgeEnter's channel took this one's place (a Local pair's
        /// optimisation): its unique id.
        swap: Option<String>,
    },
    /// A blind transfer was tried (`ast_bridge_publish_blind_transfer`);
    /// the event's channel is the transferer. The transferee and the
    /// bridge are as they were before the transfer, when there were any.
    BlindTransfer {
        result: crate::channels::bridge::TransferResult,
        transferee: Option<Arc<ChannelSnapshot>>,
        bridge: Option<BridgeSnapshot>,
        external: bool,
        context: String,
        exten: String,
    },
    /// One bridge took in another's members (`ast_bridge_publish_merge`).
    BridgeMerge {
        to: BridgeSnapshot,
        from: BridgeSnapshot,
    },
    /// An attended transfer ended (`ast_bridge_publish_attended_transfer`):
    /// the transferer as seen from each bridge, the two parties it joined,
    /// and where they went.
    AttendedTransfer(Box<AttendedTransferInfo>),
    /// Something the manager itself raises (a class, a name and its
    /// headers), for events with no channel behind them.
    Manager {
        class: u32,
        name: String,
        /// Header lines, each ending in CRLF.
        body: String,
    },
}

/// An attended transfer as its event tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendedTransferInfo {
    pub result: crate::channels::bridge::TransferResult,
    /// The transferer in the transferee's bridge, and that bridge.
    pub orig_transferer: Arc<ChannelSnapshot>,
    pub orig_bridge: Option<BridgeSnapshot>,
    /// The transferer in the target's bridge, and that bridge.
    pub second_transferer: Arc<ChannelSnapshot>,
    pub second_bridge: Option<BridgeSnapshot>,
    pub transferee: Option<Arc<ChannelSnapshot>>,
    pub target: Option<Arc<ChannelSnapshot>>,
    pub dest: AttendedTransferDest,
}

/// Where an attended transfer left the parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendedTransferDest {
    /// The bridges were merged into the one named.
    Bridge(String),
    /// All three share the bridge named (the transferer is the channel).
    Threeway {
        bridge: String,
        transferer: String,
    },
    Fail,
}

/// What happened to a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeAction {
    Create,
    Enter,
    Leave,
    Destroy,
}

/// A bridge as events show it (`ast_bridge_snapshot`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgeSnapshot {
    pub uniqueid: String,
    pub bridge_type: &'static str,
    pub technology: &'static str,
    pub num_channels: usize,
    /// Who made it and its name (`<unknown>` when empty): a parking
    /// lot's bridge is `Parking`'s, named after the lot.
    pub creator: &'static str,
    pub name: String,
    /// The video source mode when not `none` (a conference's `single`),
    /// and the source's uniqueid (empty: none chosen).
    pub video_mode: &'static str,
    pub video_source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub channel: Option<Arc<ChannelSnapshot>>,
}

#[derive(Clone)]
pub struct EventBus {
    /// One queue per subscriber; a subscriber that went away is pruned at
    /// the next publish.
    subscribers: Arc<std::sync::Mutex<Vec<UnboundedSender<Arc<Event>>>>>,
    /// Channel variables every snapshot carries (manager.conf
    /// `channelvars`).
    channel_vars: Arc<std::sync::RwLock<Arc<Vec<String>>>>,
    /// Where device-state changes are queued (the device-state engine,
    /// once started); unbounded, so queueing never waits.
    devstate: Arc<std::sync::Mutex<Option<UnboundedSender<Change>>>>,
    /// A consumer that sees every event as it is published, in the
    /// publisher's thread (the CDR engine: `CDR()` reads in the dialplan
    /// must see every change published before them, as Asterisk's
    /// synchronous CDR message router makes them).
    observer: Arc<std::sync::RwLock<Option<Observer>>>,
    /// The live bridges (Asterisk's `bridges` container), kept here since
    /// every bridge is made on the bus it publishes to.
    bridges: Arc<crate::channels::bridge::Bridges>,
}

/// See [`EventBus::set_observer`].
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self {
            subscribers: Default::default(),
            channel_vars: Default::default(),
            devstate: Default::default(),
            observer: Default::default(),
            bridges: Default::default(),
        }
    }

    /// The live bridges and the suspended bridge technologies.
    pub fn bridges(&self) -> &crate::channels::bridge::Bridges {
        &self.bridges
    }

    /// Installs (or removes) the synchronous observer. It runs under the
    /// bus's lock, so it sees events in publishing order; it must be quick
    /// and must not publish.
    pub fn set_observer(&self, f: Option<Observer>) {
        match self.observer.write() {
            Ok(mut g) => *g = f,
            Err(p) => *p.into_inner() = f,
        }
    }

    fn observer(&self) -> Option<Observer> {
        match self.observer.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub fn channel_vars(&self) -> Arc<Vec<String>> {
        match self.channel_vars.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub fn set_channel_vars(&self, names: Vec<String>) {
        match self.channel_vars.write() {
            Ok(mut g) => *g = Arc::new(names),
            Err(p) => *p.into_inner() = Arc::new(names),
        }
    }

    /// Where device-state changes go from now on.
    pub fn set_devstate_sink(&self, tx: UnboundedSender<Change>) {
        match self.devstate.lock() {
            Ok(mut g) => *g = Some(tx),
            Err(p) => *p.into_inner() = Some(tx),
        }
    }

    /// `ast_devstate_changed`: queues a change of `device` for the
    /// device-state engine (dropped when none runs).
    pub fn device_changed(&self, device: &str, cachable: bool, pending: Pending) {
        let g = crate::core::lock(&self.devstate);
        if let Some(tx) = g.as_ref() {
            let _ = tx.send(Change {
                device: device.to_string(),
                cachable,
                pending,
                at: std::time::Instant::now(),
            });
        }
    }

    fn subscribers(&self) -> std::sync::MutexGuard<'_, Vec<UnboundedSender<Arc<Event>>>> {
        crate::core::lock(&self.subscribers)
    }

    pub fn has_subscribers(&self) -> bool {
        self.observer().is_some() || self.subscribers().iter().any(|tx| !tx.is_closed())
    }

    /// Queues the event for every subscriber. Sending under the lock
    /// keeps every subscriber's order the same.
    fn send(&self, ev: Event) {
        let ev = Arc::new(ev);
        let observer = self.observer();
        let mut subs = self.subscribers();
        if let Some(f) = observer {
            f(&ev);
        }
        subs.retain(|tx| tx.send(ev.clone()).is_ok());
    }

    pub fn publish(&self, kind: EventKind, snapshot: Arc<ChannelSnapshot>) {
        self.send(Event {
            kind,
            channel: Some(snapshot),
        });
    }

    pub fn publish_system(&self, kind: EventKind) {
        self.send(Event {
            kind,
            channel: None,
        });
    }

    /// Every event published from now on, in order.
    pub fn subscribe(&self) -> UnboundedReceiver<Arc<Event>> {
        let (tx, rx) = unbounded_channel();
        self.subscribers().push(tx);
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_subscriber_loses_nothing_and_blocks_nobody() {
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let gone = bus.subscribe();
        drop(gone);
        // Far more than any ring would hold, published before anyone reads.
        for i in 0..50_000 {
            bus.publish_system(EventKind::GlobalVarSet {
                variable: "X".into(),
                value: i.to_string(),
            });
        }
        assert_eq!(
            bus.subscribers().len(),
            1,
            "the dropped subscriber is pruned"
        );
        for i in 0..50_000 {
            match rx.recv().await.map(|e| e.kind.clone()) {
                Some(EventKind::GlobalVarSet { value, .. }) => assert_eq!(value, i.to_string()),
                other => panic!("event {i}: {other:?}"),
            }
        }
        assert!(rx.try_recv().is_err());
        assert!(bus.has_subscribers());
        drop(rx);
        assert!(!bus.has_subscribers());
    }
}
