//! The channel core (Asterisk's `main/channel.c`): channels with Asterisk's
//! names and unique ids, their state, variables, caller ids, hangup causes
//! and soft-hangup flags, and the registry `core show channels` walks.
//!
//! A channel's mutable data sits behind one short-held mutex; the task that
//! runs its dialplan never holds it across an `.await`, so the CLI, AMI and
//! the other half of a Local pair can look at or hang up any channel at any
//! time without waiting for an application to finish.

pub mod audiohook;
pub mod bridge;
pub mod bridge_atxfer;
pub mod bridge_basic;
pub mod causes;
pub mod features;
pub mod framehook;
pub mod group;
pub mod local;
pub mod media;
pub mod party;
pub mod pickup;
pub mod rtp;
pub mod sip;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime};

use crate::core::events::{ChannelSnapshot, EventBus, EventKind};
use crate::core::testsuite;
use crate::pbx::vars::VarList;

/// Channel states, named as `ast_state2str` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChanState {
    Down,
    Reserved,
    OffHook,
    Dialing,
    Ring,
    Ringing,
    Up,
    Busy,
    DialingOffhook,
    PreRing,
}

impl ChanState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChanState::Down => "Down",
            ChanState::Reserved => "Rsrvd",
            ChanState::OffHook => "OffHook",
            ChanState::Dialing => "Dialing",
            ChanState::Ring => "Ring",
            ChanState::Ringing => "Ringing",
            ChanState::Up => "Up",
            ChanState::Busy => "Busy",
            ChanState::DialingOffhook => "Dialing Offhook",
            ChanState::PreRing => "Pre-ring",
        }
    }

    /// The number AMI prints as `ChannelState`.
    pub fn number(self) -> u32 {
        self as u32
    }
}

/// Soft-hangup reasons (`AST_SOFTHANGUP_*`), kept as bits.
pub mod softhangup {
    pub const DEV: u32 = 1 << 0;
    pub const ASYNCGOTO: u32 = 1 << 1;
    pub const SHUTDOWN: u32 = 1 << 2;
    pub const TIMEOUT: u32 = 1 << 3;
    pub const APPUNLOAD: u32 = 1 << 4;
    pub const EXPLICIT: u32 = 1 << 5;
    /// Every reason that means "this call is over".
    pub const ALL: u32 = !ASYNCGOTO;
}

pub use party::{Caller, Connected, Dialed, Party, Redirecting};

/// A Gosub return frame (app_stack's `gosub_stack_frame`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GosubFrame {
    pub context: String,
    pub exten: String,
    /// The priority to continue at after Return.
    pub priority: i32,
    /// Whether the subroutine runs in its own autoloop (`Gosub` from an app
    /// outside the run loop), which Return must end.
    pub in_subroutine: bool,
    /// How many ARGn this frame set, so Return can drop them.
    pub arguments: usize,
    /// LOCAL() variables pushed in this frame.
    pub locals: Vec<String>,
}

/// A channel's mutable data.
#[derive(Debug, Clone)]
pub struct ChanData {
    pub state: ChanState,
    /// When the channel entered `state` (set by [`Channel::set_state`]).
    pub state_since: Instant,
    pub context: String,
    pub exten: String,
    pub priority: i32,
    pub vars: VarList,
    pub caller: Caller,
    pub connected: Connected,
    pub dialed: Dialed,
    pub redirecting: Redirecting,
    pub language: String,
    pub musicclass: String,
    pub accountcode: String,
    pub peeraccount: String,
    pub userfield: String,
    pub amaflags: u32,
    pub hangupcause: u32,
    /// `ast_channel_tech_hangupcause`: the driver's cause (a SIP status).
    pub tech_cause: u32,
    pub linkedid: String,
    /// The application running now and its arguments (`core show channels`).
    pub appl: Option<String>,
    pub data: Option<String>,
    pub gosub_stack: Vec<GosubFrame>,
    /// app_stack's datastore exists: the first Gosub creates it and it
    /// stays, empty, after the last Return (STACK_PEEK, Return, StackPop
    /// and LOCAL() tell "no stack" from "empty stack").
    pub gosub_store: bool,
    /// Set while the PBX run loop drives this channel (`AST_FLAG_IN_AUTOLOOP`):
    /// a Goto then lands one priority early because the loop adds one.
    pub in_autoloop: bool,
    /// `TIMEOUT(absolute)`.
    pub when_to_hangup: Option<Instant>,
    /// `TIMEOUT(response)` and `TIMEOUT(digit)` in milliseconds.
    pub response_timeout_ms: u64,
    pub digit_timeout_ms: u64,
    /// Whether a PBX is running on the channel.
    pub has_pbx: bool,
    /// Hangup handlers pushed with CHANNEL(hangup_handler_push), newest first.
    pub hangup_handlers: Vec<String>,
    /// SHARED() variables kept on this channel.
    pub shared: VarList,
    /// The last exception raised (`EXCEPTION()`).
    pub exception: Option<Exception>,
    /// Set once the `h` extension has run, so it runs once.
    pub h_exten_run: bool,
    /// Set when the `h` extension starts (`AST_SOFTHANGUP_HANGUP_EXEC`).
    pub hangup_exec: bool,
    /// A condition the other side indicated, not yet acted on (busy,
    /// congestion, ringing): the channel's "read queue" of control frames.
    pub pending_indication: Option<Indication>,
    /// A connected-line update queued for whoever reads the channel
    /// (`AST_CONTROL_CONNECTED_LINE`): Dial passes it to its caller.
    pub pending_connected: Option<party::Party>,
    /// `HANGUPCAUSE()`'s store (`dialed_causes`): the last cause each
    /// dialled channel reported, by channel name.
    pub dialed_causes: Vec<causes::DialedCause>,
    /// Cause frames (`AST_CONTROL_PVT_CAUSE_CODE`) queued for whoever
    /// reads the channel, one per channel name: a reader that reads them
    /// late sees the last of each, which is all a store keeps.
    pub cause_frames: Vec<causes::DialedCause>,
    /// How the transfer the driver was asked for went
    /// (`AST_CONTROL_TRANSFER`), queued for the Transfer that waits on it.
    pub transfer_result: Option<TransferResult>,
    /// The other side's answer is read by whoever services the channel
    /// (an attended transfer's target in its bridge) rather than applied
    /// at once; `answer_pending` is that answer, not yet read.
    pub answer_deferred: bool,
    pub answer_pending: bool,
    /// Someone is picking the channel up (main/pickup.c's
    /// `pickup-active` datastore): a second pickup must not take it.
    pub pickup_active: bool,
    /// Where the channel was before its context/extension last changed.
    pub lastcontext: String,
    pub lastexten: String,
    pub props: ChanProps,
}

/// Settings CHANNEL() reads and writes that the core itself mostly only
/// carries (`ast_channel` fields of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChanProps {
    pub parkinglot: String,
    pub hangupsource: String,
    pub tonezone: Option<String>,
    /// `AST_ADSI_*`: 0 unknown, 1 available, 2 unavailable, 3 off-hook only.
    pub adsicpe: i32,
    pub transfercapability: u16,
    pub max_forwards: i32,
    pub tenantid: String,
    pub callgroup: u64,
    pub pickupgroup: u64,
    pub named_callgroups: crate::config::views::groups::NamedGroups,
    pub named_pickupgroups: crate::config::views::groups::NamedGroups,
    /// Where to go after a bridge ends (`after_bridge_goto`).
    pub after_bridge_goto: Option<String>,
    /// `secure_bridge_signaling` / `secure_bridge_media`, once set.
    pub secure: Option<(bool, bool)>,
    pub on_hold: bool,
    /// The channel's own copy of features.conf, once FEATURE() or
    /// FEATUREMAP() changed it, and whether channels it calls inherit it.
    pub features: Option<Arc<crate::config::views::features::FeaturesConf>>,
    pub features_inherit: bool,
    /// The bridge features it may use (Dial's options,
    /// `CHANNEL(dtmf_features)`, `BRIDGE_FEATURES`), once set.
    pub dtmf_features: Option<features::FeatureFlags>,
    /// The out-of-call message the channel carries (message.c's
    /// `msg_datastore`).
    pub message: Option<crate::core::message::Msg>,
}

impl Default for ChanProps {
    fn default() -> Self {
        Self {
            parkinglot: String::new(),
            hangupsource: String::new(),
            tonezone: None,
            adsicpe: 0,
            transfercapability: 0,
            // Asterisk's DEFAULT_MAX_FORWARDS.
            max_forwards: 20,
            tenantid: String::new(),
            callgroup: 0,
            pickupgroup: 0,
            named_callgroups: Default::default(),
            named_pickupgroups: Default::default(),
            after_bridge_goto: None,
            secure: None,
            on_hold: false,
            features: None,
            features_inherit: false,
            dtmf_features: None,
            message: None,
        }
    }
}

impl ChanData {
    /// Moves to another context, remembering the last one when it changes
    /// (or when none is remembered yet), as `ast_channel_context_set`.
    pub fn set_context(&mut self, context: &str) {
        if self.lastcontext.is_empty() || context != self.context {
            self.lastcontext = std::mem::replace(&mut self.context, context.to_string());
        } else {
            self.context = context.to_string();
        }
    }

    /// `ast_channel_exten_set`, as [`ChanData::set_context`].
    pub fn set_exten(&mut self, exten: &str) {
        if self.lastexten.is_empty() || exten != self.exten {
            self.lastexten = std::mem::replace(&mut self.exten, exten.to_string());
        } else {
            self.exten = exten.to_string();
        }
    }
}

/// Where and why the dialplan raised an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub reason: String,
    pub context: String,
    pub exten: String,
    pub priority: i32,
}

/// A live channel.
pub struct Channel {
    pub name: String,
    pub uniqueid: String,
    pub tech: &'static str,
    /// `C-0000000a` call id shown in log lines; 0 until the channel is
    /// bound to one (see [`Channel::bind_callid`]).
    callid: AtomicU32,
    pub created: SystemTime,
    pub created_at: Instant,
    data: Mutex<ChanData>,
    softhangup: AtomicU32,
    wake: Arc<tokio::sync::Notify>,
    /// The other half of a Local pair, or the bridged peer.
    peer: Mutex<Weak<Channel>>,
    events: EventBus,
    /// The snapshot last published (what events about this channel show).
    published: Mutex<Option<Arc<ChannelSnapshot>>>,
    /// Set once the channel is hung up (`AST_FLAG_DEAD`).
    dead: std::sync::atomic::AtomicBool,
    /// The channel driver's answer to `indicate`, `answer` and `hangup`.
    driver: Mutex<Option<Arc<dyn Driver>>>,
    /// Audio in and out, DTMF received (see [`media`]).
    media: Mutex<media::ChanMedia>,
    /// The registry it lives in, for device-state lookups when it changes.
    registry: Weak<Registry>,
    /// The bridge it is in, if any.
    bridge: Mutex<Weak<bridge::Bridge>>,
    /// When it was answered (`ast_channel_answertime`).
    answered_at: Mutex<Option<Instant>>,
    /// After a masquerade (see [`masquerade`]): the channel that now
    /// stands where this one stood, for whoever was waiting on it (Dial).
    replaced_by: Mutex<Weak<Channel>>,
    /// After a masquerade: the channel left in the hands of whoever ran
    /// this one (its PBX, the driver's pickup task), to be hung up.
    masq_left: Mutex<Option<Arc<Channel>>>,
    /// A framehook on the DTMF ends read and written (StoreDTMF).
    dtmf_hook: Mutex<Option<Arc<dyn DtmfHook>>>,
}

/// Told of each DTMF end the channel reads (`sent` false) or writes
/// (`sent` true), before it is announced, as a framehook sees the frame
/// before `ast_read`/`ast_write` publish it.
pub trait DtmfHook: Send + Sync {
    fn dtmf_end(&self, digit: char, sent: bool);
}

/// What a channel driver does when the core acts on one of its channels.
pub trait Driver: Send + Sync {
    /// `ast_answer` reached the driver.
    fn answer(&self, chan: &Arc<Channel>);
    /// The channel is being hung up.
    fn hangup(&self, chan: &Arc<Channel>);
    /// `ast_indicate` for busy (17), congestion (34), ringing, progress...
    fn indicate(&self, chan: &Arc<Channel>, condition: Indication);
    /// The driver's own id of the call (`get_pvt_uniqueid`: a SIP
    /// Call-ID), which a bridge peer sees as BRIDGEPVTCALLID.
    fn pvt_uniqueid(&self) -> Option<String> {
        None
    }
    /// The call's RTP quality strings (`ast_rtp_instance_get_quality`:
    /// summary, jitter, loss, RTT, MES), when it has RTP.
    fn rtp_quality(&self) -> Option<[String; 5]> {
        None
    }
    /// The packetization (ms) on the call's RTP codecs
    /// (`ast_rtp_codecs_get_framing`), when it has RTP: chan_sip sets
    /// its codecs' framing, pjsip none without `use_ptime`.
    fn rtp_framing(&self) -> Option<u32> {
        None
    }
    /// The channel's connected line was updated (`ast_indicate_data` of
    /// a connected-line frame), already set on the channel.
    fn connected_line(&self, _chan: &Arc<Channel>) {}
    /// A HOLD (`held`) or UNHOLD indication reached the channel; a HOLD
    /// may carry the music class its sender suggests.
    fn hold(&self, _chan: &Arc<Channel>, _held: bool, _music_class: Option<&str>) {}
    /// `ast_sendtext_data`: text for the device, of `content_type` (none:
    /// the driver's default); a driver without text support drops it.
    fn send_text(&self, _chan: &Arc<Channel>, _body: &str, _content_type: Option<&str>) {}
    /// A cause frame is indicated on the channel (`ast_indicate_data` of
    /// `AST_CONTROL_PVT_CAUSE_CODE`); the core stores it on the channel
    /// whatever the driver does with it.
    fn cause_code(&self, _chan: &Arc<Channel>, _cause: &causes::DialedCause) {}
    /// A SIP call's headers, for the SIP header functions.
    fn sip_headers(&self) -> Option<Arc<sip::callheaders::CallHeaders>> {
        None
    }
    /// A flash or wink written to the channel (`ast_write` of the control
    /// frame, which indicates it); a driver that has no use for it drops it.
    fn hook_signal(&self, _chan: &Arc<Channel>, _signal: HookSignal) {}
    /// Whether the driver has `ast_channel_tech.transfer` at all: without
    /// it Transfer() answers UNSUPPORTED before looking at the channel.
    fn has_transfer(&self) -> bool {
        false
    }
    /// `ast_channel_tech.transfer`: send the call to `dest`. `Ok` once
    /// asked (the driver queues the outcome with
    /// [`Channel::queue_transfer_result`], possibly never); `Err` when it
    /// cannot be asked.
    fn transfer(&self, _chan: &Arc<Channel>, _dest: &str) -> Result<(), ()> {
        Err(())
    }
}

/// What a driver's transfer came to (`enum ast_control_transfer`, or a
/// protocol's own failure code in its place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferResult {
    Success,
    /// AST_TRANSFER_FAILED (1), or the protocol's code (a SIP status).
    Failed(u32),
}

impl TransferResult {
    /// `AST_TRANSFER_FAILED`.
    pub const FAILED: TransferResult = TransferResult::Failed(1);
}

/// The line signals (`AST_CONTROL_FLASH`, `AST_CONTROL_WINK`) that a
/// channel can be sent and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookSignal {
    Flash,
    Wink,
}

impl HookSignal {
    /// Its `AST_CONTROL_*` number, as drivers name it in warnings.
    pub fn control(self) -> u32 {
        match self {
            HookSignal::Flash => 9,
            HookSignal::Wink => 10,
        }
    }
}

/// Conditions a channel can indicate (`AST_CONTROL_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indication {
    Ringing,
    Progress,
    Busy,
    Congestion,
    Proceeding,
}

/// Why a wait ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// The channel was hung up (or asked to be).
    Hangup,
}

impl Channel {
    /// The call id the channel is bound to, 0 when it has none yet.
    pub fn callid(&self) -> u32 {
        self.callid.load(Ordering::SeqCst)
    }

    /// Raises a test-suite event about this channel (see
    /// [`crate::core::testsuite::notify`]).
    pub fn test_event(
        &self,
        site: &crate::core::logger::Site<'_>,
        state: &str,
        data: impl FnOnce() -> String,
    ) {
        crate::core::testsuite::notify(&self.events, site, state, data);
    }

    /// Binds the channel to call id `id` (`ast_channel_callid_set`), which
    /// a test-framework build announces every time, even when the id is
    /// the one it already had.
    pub fn bind_callid(&self, id: u32) {
        let prior = self.callid.swap(id, Ordering::SeqCst);
        self.test_event(
            &crate::core::testsuite::CALLID_SET,
            "CallIDChange",
            || {
                let prior = if prior == 0 {
                    String::new()
                } else {
                    format!("[C-{prior:08x}]")
                };
                format!(
                    "State: CallIDChange\r\nChannel: {}\r\nCallID: [C-{id:08x}]\r\nPriorCallID: {prior}",
                    self.name
                )
            },
        );
    }

    pub fn lock(&self) -> MutexGuard<'_, ChanData> {
        crate::core::lock(&self.data)
    }

    pub fn set_driver(&self, driver: Arc<dyn Driver>) {
        *lock_or_recover(&self.driver) = Some(driver);
    }

    pub fn driver(&self) -> Option<Arc<dyn Driver>> {
        lock_or_recover(&self.driver).clone()
    }

    /// The registry the channel lives in (gone only with the system).
    pub fn registry(&self) -> Option<Arc<Registry>> {
        self.registry.upgrade()
    }

    /// Of an internal technology ([`Channels::alloc_internal`]): made
    /// without a registry to live in.
    pub fn is_internal(&self) -> bool {
        self.registry.ptr_eq(&Weak::new())
    }

    pub fn set_bridge(&self, b: Option<&Arc<bridge::Bridge>>) {
        *lock_or_recover(&self.bridge) = b.map(Arc::downgrade).unwrap_or_default();
    }

    pub fn bridge(&self) -> Option<Arc<bridge::Bridge>> {
        lock_or_recover(&self.bridge).upgrade()
    }

    /// The other party of the two-party bridge it is in
    /// (`ast_channel_bridge_peer`).
    pub fn bridge_peer(&self) -> Option<Arc<Channel>> {
        self.bridge().and_then(|b| b.peer_of(self))
    }

    /// How long it has been up, if it was answered.
    pub fn up_time(&self) -> Option<Duration> {
        lock_or_recover(&self.answered_at).map(|t| t.elapsed())
    }

    /// Sets a variable and says so (VarSet), as
    /// `pbx_builtin_setvar_helper` does for a value.
    pub fn set_var_event(&self, name: &str, value: &str) {
        self.lock().vars.set(name, Some(value));
        self.emit(EventKind::VarSet {
            variable: name.to_string(),
            value: value.to_string(),
        });
    }

    /// `ast_channel_inherit_variables`: a channel made on this one's
    /// behalf takes its inheritable variables (`_X` as `X`, `__X` as is),
    /// after its own, each announced.
    pub fn inherit_variables_to(&self, child: &Channel) {
        let inherited = self.lock().vars.inheritable();
        let announced: Vec<(String, String)> = inherited
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        child.lock().vars.append(inherited);
        for (variable, value) in announced {
            child.emit(EventKind::VarSet { variable, value });
        }
    }

    /// Deletes a variable (`pbx_builtin_setvar_helper` with no value):
    /// VarSet with an empty value only when a non-empty one was there.
    pub fn unset_var_event(&self, name: &str) {
        let existed = self.lock().vars.set(name, None);
        if existed {
            self.emit(EventKind::VarSet {
                variable: name.to_string(),
                value: String::new(),
            });
        }
    }

    /// Reads an answer the other side queued (see `answer_deferred`):
    /// the channel is up from now. `true` when there was one.
    pub fn read_queued_answer(&self) -> bool {
        let pending = std::mem::take(&mut self.lock().answer_pending);
        if pending {
            self.set_state(ChanState::Up);
        }
        pending
    }

    pub fn peer(&self) -> Option<Arc<Channel>> {
        lock_or_recover(&self.peer).upgrade()
    }

    pub fn set_peer(&self, peer: &Arc<Channel>) {
        *lock_or_recover(&self.peer) = Arc::downgrade(peer);
    }

    /// What the channel looks like now.
    pub fn snapshot(&self) -> ChannelSnapshot {
        let wanted = self.events.channel_vars();
        let d = self.lock();
        ChannelSnapshot {
            name: self.name.clone(),
            uniqueid: self.uniqueid.clone(),
            linkedid: d.linkedid.clone(),
            tech: self.tech,
            state: d.state,
            caller_num: d.caller.id.number().map(str::to_string),
            caller_name: d.caller.id.name().map(str::to_string),
            caller_pres: d.caller.id.presentation(),
            connected_num: d.connected.id.number().map(str::to_string),
            connected_name: d.connected.id.name().map(str::to_string),
            language: d.language.clone(),
            accountcode: d.accountcode.clone(),
            context: d.context.clone(),
            exten: d.exten.clone(),
            priority: d.priority,
            appl: d.appl.clone().unwrap_or_default(),
            data: d.data.clone().unwrap_or_default(),
            tenantid: d.props.tenantid.clone(),
            dnid: d.dialed.number.clone().unwrap_or_default(),
            amaflags: d.amaflags,
            hangup_exec: d.hangup_exec,
            hangup_cause: d.hangupcause,
            tech_cause: d.tech_cause,
            dead: self.dead.load(Ordering::SeqCst),
            created: self.created,
            manager_vars: wanted
                .iter()
                .map(|n| (n.clone(), d.vars.get(n).unwrap_or("").to_string()))
                .collect(),
        }
    }

    /// `ast_channel_publish_snapshot`: tells subscribers how the channel
    /// looks now, with how it looked before, so each can work out what
    /// changed. Updates of one channel are published in order.
    pub fn publish_snapshot(&self) {
        if !self.events.has_subscribers() {
            return;
        }
        let mut last = lock_or_recover(&self.published);
        let new = Arc::new(self.snapshot());
        let old = last.replace(new.clone());
        self.events.publish(EventKind::Snapshot { old }, new);
    }

    /// The snapshot last published (`ast_channel_snapshot_get_latest`).
    pub fn published_snapshot(&self) -> Arc<ChannelSnapshot> {
        let snap = lock_or_recover(&self.published).clone();
        snap.unwrap_or_else(|| Arc::new(self.snapshot()))
    }

    /// Publishes an event about this channel, showing the channel as it
    /// was last published (Asterisk attaches the cached snapshot).
    /// The event bus the channel publishes on.
    pub fn bus(&self) -> &EventBus {
        &self.events
    }

    pub fn emit(&self, kind: EventKind) {
        if let EventKind::DtmfEnd { digit, sent, .. } = &kind {
            let hook = lock_or_recover(&self.dtmf_hook).clone();
            if let Some(h) = hook {
                h.dtmf_end(*digit, *sent);
            }
        }
        if !self.events.has_subscribers() {
            return;
        }
        let snap = lock_or_recover(&self.published).clone();
        let snap = match snap {
            Some(s) => s,
            None => Arc::new(self.snapshot()),
        };
        self.events.publish(kind, snap);
    }

    /// The channel's DTMF hook, if any.
    pub fn dtmf_hook(&self) -> Option<Arc<dyn DtmfHook>> {
        lock_or_recover(&self.dtmf_hook).clone()
    }

    /// Attaches (Some) or detaches (None) the channel's DTMF hook.
    pub fn set_dtmf_hook(&self, hook: Option<Arc<dyn DtmfHook>>) {
        *lock_or_recover(&self.dtmf_hook) = hook;
    }

    /// As [`Channel::emit`], with the last published snapshot only (none
    /// yet: nothing is sent): safe where the channel's own locks may be
    /// held, as when a generator is dropped.
    pub fn emit_published(&self, kind: EventKind) {
        if !self.events.has_subscribers() {
            return;
        }
        let snap = lock_or_recover(&self.published).clone();
        if let Some(snap) = snap {
            self.events.publish(kind, snap);
        }
    }

    /// A flash or wink read on the channel (`ast_read` publishes it with
    /// the cached snapshot). Frames here are read as they come, whatever
    /// the channel runs.
    pub fn hook_signal_read(&self, signal: HookSignal) {
        self.emit_published(EventKind::HookSignal(signal));
    }

    /// `ast_write` of a flash or wink: it goes to the driver.
    pub fn write_hook_signal(self: &Arc<Self>, signal: HookSignal) {
        if let Some(d) = self.driver() {
            d.hook_signal(self, signal);
        }
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    /// `ast_setstate`: changes the state and tells subscribers.
    pub fn set_state(&self, state: ChanState) {
        {
            let mut d = self.lock();
            if d.state == state {
                return;
            }
            d.state = state;
            d.state_since = Instant::now();
        }
        if state == ChanState::Up {
            lock_or_recover(&self.answered_at).get_or_insert_with(Instant::now);
        }
        self.publish_snapshot();
        // ast_setstate: the device's state is worked out against the
        // calls as they are now (see `devicestate` for why now).
        self.device_state_changed();
    }

    /// A HOLD or UNHOLD indication reaches the channel (a bridge member
    /// put it on hold): the core keeps its hold state
    /// (`ast_channel_hold_state`), chan_pjsip keeps the channel in its
    /// held list, which its device state reads as ONHOLD, and has the
    /// device's state worked out again (`chan_pjsip_indicate`); then the
    /// driver acts on it. Nothing reaches a channel being hung up
    /// (`indicate_data_internal`).
    pub fn indicate_hold(self: &Arc<Self>, held: bool, music_class: Option<&str>) {
        if self.check_hangup() {
            return;
        }
        self.lock().props.on_hold = held;
        if self.tech == "PJSIP" {
            self.device_state_changed();
        }
        if let Some(d) = self.driver() {
            d.hold(self, held, music_class);
        }
    }

    /// The channel's device has its state worked out again against its
    /// calls as they are now (`ast_devstate_changed` from the driver).
    fn device_state_changed(&self) {
        let device = device_name(&self.name);
        let calls = match self.registry.upgrade() {
            Some(r) => r.device_calls(device),
            None => None,
        };
        self.events.device_changed(
            device,
            self.devstate_cachable(),
            crate::core::devicestate::Pending::Calls(calls),
        );
    }

    /// Whether the last hold indication it got was HOLD
    /// (`ast_channel_hold_state`).
    pub fn is_held(&self) -> bool {
        self.lock().props.on_hold
    }

    /// Whether this channel's device states are cached: Local channels
    /// set `AST_FLAG_DISABLE_DEVSTATE_CACHE` on both halves.
    pub fn devstate_cachable(&self) -> bool {
        self.tech != "Local"
    }

    pub fn state(&self) -> ChanState {
        self.lock().state
    }

    /// `ast_softhangup`: asks whoever runs the channel to hang it up.
    pub fn softhangup(&self, reason: u32) {
        // Announced before whoever runs the channel can act on it (and
        // announce what it does, such as stopping music on hold).
        if reason & softhangup::ALL != 0 {
            let tech_cause = self.lock().tech_cause;
            self.emit(EventKind::SoftHangupRequest {
                cause: reason,
                tech_cause,
            });
        }
        self.softhangup.fetch_or(reason, Ordering::SeqCst);
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    /// `ast_softhangup_nolock`: the same request without telling
    /// subscribers (AMI's Hangup and async gotos use it).
    pub fn softhangup_quiet(&self, reason: u32) {
        self.softhangup.fetch_or(reason, Ordering::SeqCst);
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    pub fn softhangup_flags(&self) -> u32 {
        self.softhangup.load(Ordering::SeqCst)
    }

    pub fn clear_softhangup(&self, reason: u32) {
        self.softhangup.fetch_and(!reason, Ordering::SeqCst);
    }

    /// `ast_check_hangup`: a hangup was requested, or the absolute timeout
    /// passed (which then becomes a TIMEOUT soft hangup).
    pub fn check_hangup(&self) -> bool {
        if self.softhangup_flags() != 0 {
            return true;
        }
        self.timeout_passed(&[&testsuite::CHECK_HANGUP_TIME])
    }

    /// The absolute timeout has passed: it becomes a TIMEOUT soft hangup,
    /// told to the test suite from each of `sites` in turn (the places
    /// Asterisk notices it on the way).
    fn timeout_passed(&self, sites: &[&crate::core::logger::Site<'static>]) -> bool {
        let deadline = self.lock().when_to_hangup;
        match deadline {
            Some(t) if Instant::now() >= t => {
                for site in sites {
                    testsuite::notify(&self.events, site, "HANGUP_TIME", || {
                        format!("Channel: {}", self.name)
                    });
                }
                self.softhangup
                    .fetch_or(softhangup::TIMEOUT, Ordering::SeqCst);
                true
            }
            _ => false,
        }
    }

    /// Waits `dur` unless the channel is hung up first (`ast_safe_sleep`).
    pub async fn sleep(&self, dur: Duration) -> Result<(), Interrupted> {
        let until = Instant::now() + dur;
        loop {
            if self.check_hangup() {
                return Err(Interrupted::Hangup);
            }
            // ast_safe_sleep reads the frames queued on the channel and
            // drops DTMF (announced as read, DTMFEnd).
            while self.queued_dtmf_pending()
                && self.take_digit(media::DigitReader::Frames).is_some()
            {}
            let now = Instant::now();
            if now >= until {
                return Ok(());
            }
            let mut wake_at = until;
            if let Some(t) = self.lock().when_to_hangup {
                wake_at = wake_at.min(t);
            }
            let notified = self.wake.notified();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake_at)) => {}
            }
            // ast_safe_sleep: the poll that outlasts the absolute timeout
            // notices it, and so does the next wait, before the hangup
            // is seen.
            if self.softhangup_flags() == 0
                && self.timeout_passed(&[&testsuite::WAITFOR_EXPIRED, &testsuite::WAITFOR_PASSED])
            {
                return Err(Interrupted::Hangup);
            }
        }
    }

    /// Waits until `until` says yes or the channel is hung up; `until` is
    /// checked whenever the channel is woken.
    pub async fn wait_for(
        &self,
        mut until: impl FnMut(&Channel) -> bool,
    ) -> Result<(), Interrupted> {
        loop {
            let notified = self.wake.notified();
            if until(self) {
                return Ok(());
            }
            if self.check_hangup() {
                return Err(Interrupted::Hangup);
            }
            let deadline = self.lock().when_to_hangup;
            match deadline {
                Some(t) => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep_until(tokio::time::Instant::from_std(t)) => {
                            // The wait's poll outlasted the absolute
                            // timeout (ast_waitfor_nandfds).
                            if self.softhangup_flags() == 0 {
                                self.timeout_passed(&[&testsuite::WAITFOR_EXPIRED]);
                            }
                        }
                    }
                }
                None => notified.await,
            }
        }
    }

    /// What waits on this channel listens to.
    pub fn wake_handle(&self) -> &tokio::sync::Notify {
        &self.wake
    }

    /// What the channel's driver learnt of the call (a SIP response):
    /// queued for the channel's reader and stored on the channel, as
    /// chan_sip and chan_pjsip do with every response.
    pub fn report_cause(&self, cause: causes::DialedCause) {
        let mut d = self.lock();
        causes::store(&mut d.cause_frames, cause.clone());
        causes::store(&mut d.dialed_causes, cause);
    }

    /// The cause frames queued since the last call, oldest first.
    pub fn take_cause_frames(&self) -> Vec<causes::DialedCause> {
        std::mem::take(&mut self.lock().cause_frames)
    }

    /// `ast_indicate_data` of a cause frame: the driver may pass it on (a
    /// Local half to its other half), and the channel stores it
    /// (`ast_channel_hangupcause_hash_set`).
    pub fn indicate_cause(self: &Arc<Self>, cause: causes::DialedCause) {
        if let Some(driver) = self.driver() {
            driver.cause_code(self, &cause);
        }
        causes::store(&mut self.lock().dialed_causes, cause);
    }

    /// Dial's relay (`wait_for_answer`): the cause frames `leg` queued,
    /// indicated on this channel, its caller.
    pub fn relay_causes_from(self: &Arc<Self>, leg: &Channel) {
        for cause in leg.take_cause_frames() {
            self.indicate_cause(cause);
        }
    }

    /// `AST_CONTROL_TRANSFER` queued by the driver.
    pub fn queue_transfer_result(&self, result: TransferResult) {
        self.lock().transfer_result = Some(result);
        self.wake();
    }

    /// The transfer outcome queued since the last call, if any.
    pub fn take_transfer_result(&self) -> Option<TransferResult> {
        self.lock().transfer_result.take()
    }

    /// Wakes whatever waits on this channel (state changed, frame queued).
    pub fn wake(&self) {
        self.wake.notify_waiters();
        self.wake.notify_one();
    }

    /// Wakes whatever waits on this channel at `at`.
    pub fn wake_at(&self, at: Instant) {
        let wake = self.wake.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                wake.notify_waiters();
                wake.notify_one();
            });
        }
    }

    /// `ast_answer`.
    pub fn answer(self: &Arc<Self>) {
        if self.state() == ChanState::Up {
            return;
        }
        // The channel is up before the driver tells the other side (a
        // Local `;1` sees the answer after `;2` has it, as in Asterisk).
        self.set_state(ChanState::Up);
        if let Some(d) = self.driver() {
            d.answer(self);
        }
        self.wake();
    }

    pub fn indicate(self: &Arc<Self>, condition: Indication) {
        self.watches()
            .written(framehook::Written::Control(condition));
        if let Some(d) = self.driver() {
            d.indicate(self, condition);
        }
    }

    pub fn get_var(&self, name: &str) -> Option<String> {
        self.lock().vars.get(name).map(str::to_string)
    }

    /// The channel that took this one's place in a masquerade, once:
    /// whoever waits on this channel goes on with that one.
    pub fn take_replacement(&self) -> Option<Arc<Channel>> {
        std::mem::take(&mut *lock_or_recover(&self.replaced_by)).upgrade()
    }

    /// The channel a masquerade left to whoever runs this one, once.
    pub fn take_masq_left(&self) -> Option<Arc<Channel>> {
        lock_or_recover(&self.masq_left).take()
    }

    /// The same, without taking it.
    pub fn masq_left(&self) -> Option<Arc<Channel>> {
        lock_or_recover(&self.masq_left).clone()
    }
}

/// `ast_channel_move(original, clone)`, Asterisk's masquerade, as its
/// effects show: Asterisk swaps the two channel structures' identities
/// (name, unique and linked ids, driver, state, caller ids, variables'
/// owner), keeping in each structure what belongs to whoever holds it
/// (the dialplan location, application, PBX, hangup cause, groups). Here
/// a channel is its identity, so the holders swap instead: whoever held
/// `original` (Dial) goes on with `clone` (see
/// [`Channel::take_replacement`]), whoever ran `clone` goes on with
/// `original` (see [`Channel::take_masq_left`]), and the holders' parts
/// of the two channels are exchanged. `clone` is then published with the
/// location it took over (a Newexten), and `original` is left hung up
/// (`AST_SOFTHANGUP_DEV`, without a request event) for its new holder to
/// finish.
pub fn masquerade(original: &Arc<Channel>, clone: &Arc<Channel>) {
    *lock_or_recover(&original.replaced_by) = Arc::downgrade(clone);
    *lock_or_recover(&clone.masq_left) = Some(original.clone());
    {
        let (mut o, mut c) = lock_both(original, clone);
        let (o, c) = (&mut *o, &mut *c);
        std::mem::swap(&mut o.context, &mut c.context);
        std::mem::swap(&mut o.exten, &mut c.exten);
        std::mem::swap(&mut o.priority, &mut c.priority);
        std::mem::swap(&mut o.lastcontext, &mut c.lastcontext);
        std::mem::swap(&mut o.lastexten, &mut c.lastexten);
        std::mem::swap(&mut o.appl, &mut c.appl);
        std::mem::swap(&mut o.data, &mut c.data);
        std::mem::swap(&mut o.has_pbx, &mut c.has_pbx);
        std::mem::swap(&mut o.in_autoloop, &mut c.in_autoloop);
        std::mem::swap(&mut o.gosub_stack, &mut c.gosub_stack);
        std::mem::swap(&mut o.gosub_store, &mut c.gosub_store);
        std::mem::swap(&mut o.hangupcause, &mut c.hangupcause);
        std::mem::swap(&mut o.h_exten_run, &mut c.h_exten_run);
        std::mem::swap(&mut o.hangup_exec, &mut c.hangup_exec);
        std::mem::swap(&mut o.props.callgroup, &mut c.props.callgroup);
        std::mem::swap(&mut o.props.pickupgroup, &mut c.props.pickupgroup);
        std::mem::swap(&mut o.props.named_callgroups, &mut c.props.named_callgroups);
        std::mem::swap(
            &mut o.props.named_pickupgroups,
            &mut c.props.named_pickupgroups,
        );
        // clone_variables: the structure taking the clone's identity
        // holds the original's variables, then the clone's; the other
        // keeps a copy of the lot.
        let mut vars = o.vars.clone();
        vars.append(c.vars.clone());
        o.vars = vars.clone();
        c.vars = vars;
        // What the structure left to the original's holder copies from
        // the clone (language, music class, account code, user field,
        // parking lot) stays the clone's here; the other keeps its own
        // values, which are the clone's too.
        o.language = c.language.clone();
        o.musicclass = c.musicclass.clone();
        o.accountcode = c.accountcode.clone();
        o.userfield = c.userfield.clone();
        o.props.parkinglot = c.props.parkinglot.clone();
    }
    original.softhangup_quiet(softhangup::DEV);
    clone.publish_snapshot();
    original.wake();
    clone.wake();
}

/// Locks two channels' data in a fixed order (by address), so two
/// masquerades cannot deadlock; the guards come back in argument order.
fn lock_both<'a>(
    a: &'a Channel,
    b: &'a Channel,
) -> (MutexGuard<'a, ChanData>, MutexGuard<'a, ChanData>) {
    if (a as *const Channel) < (b as *const Channel) {
        let ga = a.lock();
        (ga, b.lock())
    } else {
        let gb = b.lock();
        (a.lock(), gb)
    }
}

fn lock_or_recover<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    crate::core::lock(&m)
}

/// The device a channel belongs to: its name up to the last `-`
/// (`SIP/1000-0000001a` is `SIP/1000`, `Local/600@ctx-00000000;1` is
/// `Local/600@ctx`), as `ast_setstate` and the channel destructor cut it.
pub fn device_name(name: &str) -> &str {
    name.rsplit_once('-').map(|(d, _)| d).unwrap_or(name)
}

/// The live channels by name, and the Local pairs (`locals` of
/// `core_local.c`): what device states are worked out from.
#[derive(Default)]
pub struct Registry {
    by_name: Mutex<BTreeMap<String, Arc<Channel>>>,
    locals: Mutex<Vec<Arc<local::LocalPvt>>>,
}

impl Registry {
    pub(crate) fn link_local(&self, pvt: Arc<local::LocalPvt>) {
        lock_or_recover(&self.locals).push(pvt);
    }

    /// The Local pair `chan` is a half of.
    pub(crate) fn local_of(&self, chan: &Channel) -> Option<Arc<local::LocalPvt>> {
        lock_or_recover(&self.locals)
            .iter()
            .find(|p| p.has(chan))
            .cloned()
    }

    /// The Local pairs in use, oldest first.
    pub fn locals(&self) -> Vec<Arc<local::LocalPvt>> {
        lock_or_recover(&self.locals).clone()
    }

    pub(crate) fn unlink_local(&self, pvt: &Arc<local::LocalPvt>) {
        lock_or_recover(&self.locals).retain(|p| !Arc::ptr_eq(p, pvt));
    }

    /// What the calls of a device say about its state, None when they say
    /// nothing. A Local device (`local_devicestate`) is in use while a
    /// pair for its exten@context has its outbound half and a dialplan
    /// running on the other, not in use while any such pair exists. Any
    /// other device (`ast_parse_device_state`) takes the state of a
    /// channel named `<device>-…`.
    pub fn device_calls(&self, device: &str) -> Option<crate::core::devicestate::DeviceCalls> {
        use crate::core::devicestate::{Aggregate, DeviceCalls, DeviceState};
        if let Some(data) = strip_prefix_ci(device, "Local/") {
            let dest = data.split('/').next().unwrap_or("");
            let (exten, context) = dest.split_once('@')?;
            let locals = lock_or_recover(&self.locals);
            let mut state = None;
            for p in locals
                .iter()
                .filter(|p| p.exten == exten && p.context == context)
            {
                if p.in_use() {
                    return Some(DeviceCalls {
                        state: DeviceState::InUse,
                        in_use: 1,
                    });
                }
                state = Some(DeviceCalls {
                    state: DeviceState::NotInUse,
                    in_use: 0,
                });
            }
            return state;
        }
        // The device's channels are named `<device>-<8 hex digits>`.
        let prefix = format!("{}-", device.to_ascii_lowercase());
        let chans: Vec<Arc<Channel>> = lock_or_recover(&self.by_name)
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| {
                let rest = &k[prefix.len()..];
                rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_hexdigit())
            })
            .map(|(_, c)| c.clone())
            .collect();
        if chans.is_empty() {
            return None;
        }
        let mut aggregate = Aggregate::default();
        let mut in_use = 0;
        for chan in chans {
            let d = chan.lock();
            aggregate.add(if d.props.on_hold {
                DeviceState::OnHold
            } else {
                DeviceState::from_chan_state(d.state)
            });
            if !matches!(d.state, ChanState::Down | ChanState::Reserved) {
                in_use += 1;
            }
        }
        Some(DeviceCalls {
            state: aggregate.result(),
            in_use,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => Some(&s[prefix.len()..]),
        _ => None,
    }
}

/// Every live channel, and the counters that name new ones.
pub struct Channels {
    reg: Arc<Registry>,
    /// Creation order, for listings that follow it.
    order: Mutex<Vec<Weak<Channel>>>,
    /// Live channels of internal technologies (a conference's announcer
    /// and recorder): out of every name lookup and AMI listing, but in
    /// `core show channels` and the channel count, as Asterisk keeps them
    /// in its channel container and snapshot cache.
    internal: Mutex<Vec<Arc<Channel>>>,
    unique_seq: AtomicU32,
    callid_seq: AtomicU32,
    /// Per technology name sequences (`Local/…-00000000`, `SIP/…-00000000`).
    tech_seq: Mutex<BTreeMap<&'static str, u32>>,
    /// Calls ever processed (`core show channels` last line).
    pub processed: AtomicU32,
    /// Channels running a PBX now (`ast_active_calls`).
    pub active: AtomicU32,
    pub events: EventBus,
    /// The labels GROUP() puts on channels.
    pub groups: group::Groups,
    /// LOCK()'s named locks, which channels hold.
    pub locks: crate::funcs::lock::Locks,
    /// The system name (`systemname` in asterisk.conf) that prefixes unique ids.
    system_name: String,
    /// A new channel's language unless its driver sets one
    /// (`defaultlanguage` in asterisk.conf).
    default_language: String,
}

/// What a new channel starts with.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    pub context: String,
    pub exten: String,
    pub priority: i32,
    pub state: Option<ChanState>,
    pub caller: Caller,
    pub language: Option<String>,
    pub musicclass: Option<String>,
    pub accountcode: String,
    pub linkedid: Option<String>,
    pub vars: VarList,
}

impl Channels {
    pub fn new(system_name: &str) -> Self {
        Self {
            reg: Arc::new(Registry::default()),
            order: Mutex::new(Vec::new()),
            internal: Mutex::new(Vec::new()),
            unique_seq: AtomicU32::new(0),
            callid_seq: AtomicU32::new(1),
            tech_seq: Mutex::new(BTreeMap::new()),
            processed: AtomicU32::new(0),
            active: AtomicU32::new(0),
            events: EventBus::new(),
            groups: group::Groups::default(),
            locks: Default::default(),
            system_name: system_name.to_string(),
            default_language: "en".into(),
        }
    }

    /// The next `-%08x` suffix for a technology.
    pub fn next_tech_seq(&self, tech: &'static str) -> u32 {
        let mut m = lock_or_recover(&self.tech_seq);
        let e = m.entry(tech).or_insert(0);
        let v = *e;
        *e = e.wrapping_add(1);
        v
    }

    /// A unique id as Asterisk makes them: `[system-]epoch.seq`.
    pub fn next_uniqueid(&self) -> String {
        let seq = self.unique_seq.fetch_add(1, Ordering::SeqCst);
        let epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if self.system_name.is_empty() {
            format!("{epoch}.{seq}")
        } else {
            format!("{}-{epoch}.{seq}", self.system_name)
        }
    }

    /// The same registry with another default language.
    pub fn with_default_language(mut self, language: &str) -> Self {
        if !language.is_empty() {
            self.default_language = language.to_string();
        }
        self
    }

    pub fn next_callid(&self) -> u32 {
        self.callid_seq.fetch_add(1, Ordering::SeqCst)
    }

    /// Creates and registers a channel (`ast_channel_alloc`), bound to
    /// `callid` unless that is 0 (the driver had none to give it).
    pub fn alloc(
        &self,
        name: String,
        tech: &'static str,
        callid: u32,
        init: NewChannel,
    ) -> Arc<Channel> {
        let chan = self.build(
            name,
            tech,
            init,
            self.events.clone(),
            Arc::downgrade(&self.reg),
        );
        lock_or_recover(&self.reg.by_name).insert(chan.name.to_ascii_lowercase(), chan.clone());
        let mut order = lock_or_recover(&self.order);
        order.retain(|w| w.strong_count() > 0);
        order.push(Arc::downgrade(&chan));
        drop(order);
        chan.publish_snapshot();
        if callid != 0 {
            chan.bind_callid(callid);
        }
        chan
    }

    /// A channel of an internal technology (`AST_CHAN_TP_INTERNAL`, as
    /// ConfBridge's announcer and recorder): the manager never shows its
    /// events, so it publishes on a bus of its own that nobody hears, and
    /// only the snapshot cache's listings ([`Channels::in_cache_order`])
    /// and the channel count hold it. [`Channels::release_internal`] ends it.
    pub fn alloc_internal(
        &self,
        name: String,
        tech: &'static str,
        init: NewChannel,
    ) -> Arc<Channel> {
        let chan = self.build(name, tech, init, EventBus::new(), Weak::new());
        let mut order = lock_or_recover(&self.order);
        order.retain(|w| w.strong_count() > 0);
        order.push(Arc::downgrade(&chan));
        drop(order);
        lock_or_recover(&self.internal).push(chan.clone());
        chan
    }

    /// An internal channel is hung up: whatever runs on it (a recording)
    /// sees it dead and stops, and the listings drop it.
    pub fn release_internal(&self, chan: &Arc<Channel>) {
        chan.dead.store(true, Ordering::SeqCst);
        chan.watches().end_all();
        lock_or_recover(&self.internal).retain(|c| !Arc::ptr_eq(c, chan));
    }

    fn build(
        &self,
        name: String,
        tech: &'static str,
        init: NewChannel,
        events: EventBus,
        registry: Weak<Registry>,
    ) -> Arc<Channel> {
        let uniqueid = self.next_uniqueid();
        let linkedid = init.linkedid.clone().unwrap_or_else(|| uniqueid.clone());
        let data = ChanData {
            state: init.state.unwrap_or(ChanState::Down),
            state_since: Instant::now(),
            context: if init.context.is_empty() {
                "default".into()
            } else {
                init.context
            },
            exten: if init.exten.is_empty() {
                "s".into()
            } else {
                init.exten
            },
            priority: if init.priority == 0 { 1 } else { init.priority },
            vars: init.vars,
            caller: init.caller,
            connected: Connected::default(),
            dialed: Dialed::default(),
            redirecting: Redirecting::default(),
            language: init
                .language
                .unwrap_or_else(|| self.default_language.clone()),
            musicclass: init.musicclass.unwrap_or_default(),
            accountcode: init.accountcode,
            peeraccount: String::new(),
            userfield: String::new(),
            amaflags: 3,
            hangupcause: 0,
            tech_cause: 0,
            linkedid,
            appl: None,
            data: None,
            gosub_stack: Vec::new(),
            gosub_store: false,
            in_autoloop: false,
            when_to_hangup: None,
            response_timeout_ms: 10_000,
            digit_timeout_ms: 5_000,
            has_pbx: false,
            hangup_handlers: Vec::new(),
            shared: VarList::new(),
            exception: None,
            h_exten_run: false,
            hangup_exec: false,
            pending_indication: None,
            pending_connected: None,
            dialed_causes: Vec::new(),
            cause_frames: Vec::new(),
            transfer_result: None,
            answer_deferred: false,
            answer_pending: false,
            pickup_active: false,
            lastcontext: String::new(),
            lastexten: String::new(),
            props: ChanProps::default(),
        };
        Arc::new(Channel {
            name,
            uniqueid,
            tech,
            callid: AtomicU32::new(0),
            created: SystemTime::now(),
            created_at: Instant::now(),
            data: Mutex::new(data),
            softhangup: AtomicU32::new(0),
            wake: Arc::new(tokio::sync::Notify::new()),
            peer: Mutex::new(Weak::new()),
            events,
            published: Mutex::new(None),
            dead: std::sync::atomic::AtomicBool::new(false),
            driver: Mutex::new(None),
            media: Mutex::new(media::ChanMedia::default()),
            registry,
            bridge: Mutex::new(Weak::new()),
            answered_at: Mutex::new(None),
            replaced_by: Mutex::new(Weak::new()),
            masq_left: Mutex::new(None),
            dtmf_hook: Mutex::new(None),
        })
    }

    /// Takes a channel out of the channel list without hanging it up or
    /// announcing anything (`ast_channel_unlink`): message.c's channel.
    pub fn unlink_quietly(&self, chan: &Arc<Channel>) {
        lock_or_recover(&self.reg.by_name).remove(&chan.name.to_ascii_lowercase());
        lock_or_recover(&self.order).retain(|w| !std::ptr::eq(w.as_ptr(), Arc::as_ptr(chan)));
    }

    /// Removes a hung-up channel (`ast_hangup`'s unlink) and announces it.
    pub fn unregister(&self, chan: &Arc<Channel>) {
        let removed = lock_or_recover(&self.reg.by_name).remove(&chan.name.to_ascii_lowercase());
        if removed.is_some() {
            chan.dead.store(true, Ordering::SeqCst);
            chan.watches().end_all();
            self.groups.discard(chan);
            // func_lock frees a channel's locks with its datastore.
            self.locks.discard(chan);
            chan.publish_snapshot();
            // The channel's destruction: its device is looked at once the
            // hangup has settled (both halves of a pair go together).
            self.events.device_changed(
                device_name(&chan.name),
                chan.devstate_cachable(),
                crate::core::devicestate::Pending::Later,
            );
        }
    }

    /// The registry (live channels and Local pairs).
    pub fn registry(&self) -> &Arc<Registry> {
        &self.reg
    }

    /// What the calls of `device` say about its state (see
    /// [`Registry::device_calls`]).
    pub fn device_calls(&self, device: &str) -> Option<crate::core::devicestate::DeviceCalls> {
        self.reg.device_calls(device)
    }

    /// Finds a channel by full name, case-insensitively as Asterisk does.
    pub fn by_name(&self, name: &str) -> Option<Arc<Channel>> {
        lock_or_recover(&self.reg.by_name)
            .get(&name.to_ascii_lowercase())
            .cloned()
    }

    /// Channels whose name starts with `prefix` (case-insensitive).
    pub fn by_prefix(&self, prefix: &str) -> Vec<Arc<Channel>> {
        let p = prefix.to_ascii_lowercase();
        lock_or_recover(&self.reg.by_name)
            .range(p.clone()..)
            .take_while(|(k, _)| k.starts_with(&p))
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn by_uniqueid(&self, id: &str) -> Option<Arc<Channel>> {
        lock_or_recover(&self.reg.by_name)
            .values()
            .find(|c| c.uniqueid == id)
            .cloned()
    }

    /// Every live channel, newest first.
    pub fn all(&self) -> Vec<Arc<Channel>> {
        let live = lock_or_recover(&self.reg.by_name);
        let order = lock_or_recover(&self.order);
        order
            .iter()
            .rev()
            .filter_map(Weak::upgrade)
            .filter(|c| live.contains_key(&c.name.to_ascii_lowercase()))
            .collect()
    }

    /// Every live channel in the order `ast_channel_iterator_all_new`
    /// walks Asterisk's channel container.
    pub fn in_container_order(&self) -> Vec<Arc<Channel>> {
        let mut chans = self.all();
        chans.reverse();
        in_bucket_order(&mut chans);
        chans
    }

    /// Every live channel, internal ones too, in the order Asterisk's
    /// snapshot cache by name hands them out (`core show channels`,
    /// CoreShowChannels, which leaves the internal ones out itself).
    pub fn in_cache_order(&self) -> Vec<Arc<Channel>> {
        let live = lock_or_recover(&self.reg.by_name);
        let internal = lock_or_recover(&self.internal);
        let mut chans: Vec<_> = lock_or_recover(&self.order)
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|c| {
                live.contains_key(&c.name.to_ascii_lowercase())
                    || internal.iter().any(|i| Arc::ptr_eq(i, c))
            })
            .collect();
        drop((live, internal));
        in_bucket_order(&mut chans);
        chans
    }

    pub fn active_calls(&self) -> usize {
        self.active.load(Ordering::SeqCst) as usize
    }

    pub fn processed_calls(&self) -> usize {
        self.processed.load(Ordering::SeqCst) as usize
    }

    /// Live channels, internal ones included (`ast_active_channels`).
    pub fn count(&self) -> usize {
        lock_or_recover(&self.reg.by_name).len() + lock_or_recover(&self.internal).len()
    }
}

/// Asterisk's channel container and snapshot cache are hash tables of
/// 1567 buckets by name (without case): a walk goes bucket by bucket,
/// oldest first within one. `chans` comes oldest first.
fn in_bucket_order(chans: &mut [Arc<Channel>]) {
    const BUCKETS: u32 = 1567;
    // A stable sort keeps creation order within a bucket.
    chans.sort_by_key(|c| crate::core::devicestate::str_case_hash(&c.name) % BUCKETS);
}

/// `ast_waitfor_n` on several channels: returns once any of them is
/// woken (a state change, a frame, an indication), so a caller waiting
/// on its outgoing legs hears of an answer at once, not at a poll.
pub async fn any_woken<'a>(chans: impl IntoIterator<Item = &'a Arc<Channel>>) {
    let mut waits: Vec<_> = chans
        .into_iter()
        .map(|c| Box::pin(c.wake.notified()))
        .collect();
    std::future::poll_fn(|cx| {
        if waits.iter_mut().any(|w| w.as_mut().poll(cx).is_ready()) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
