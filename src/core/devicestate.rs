//! Device and extension states (Asterisk's `devicestate.c`, the hint
//! watching in `pbx.c` and the `Custom:` provider of `func_devstate.c`).
//!
//! Whatever changes a device (a channel changing state or going away, a
//! `DEVICE_STATE(Custom:x)` write) queues the change without waiting; one
//! task works each change out, keeps the cache of cachable devices, tells
//! the hints that use the device (ExtensionStatus) and publishes the
//! device's new state (DeviceStateChange) on the event bus.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::System;
use super::events::EventKind;
use crate::channels::ChanState;
use crate::pbx::Dialplan;
use crate::pbx::dialplan::{Context, Extension, Priority};

/// A device's state (`enum ast_device_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    Unknown,
    NotInUse,
    InUse,
    Busy,
    Invalid,
    Unavailable,
    Ringing,
    RingInUse,
    OnHold,
}

impl DeviceState {
    /// The words `queue show` and `devstate` print (`ast_devstate2str`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Unknown => "Unknown",
            DeviceState::NotInUse => "Not in use",
            DeviceState::InUse => "In use",
            DeviceState::Busy => "Busy",
            DeviceState::Invalid => "Invalid",
            DeviceState::Unavailable => "Unavailable",
            DeviceState::Ringing => "Ringing",
            DeviceState::RingInUse => "Ring+Inuse",
            DeviceState::OnHold => "On Hold",
        }
    }

    /// The token AMI and `DEVICE_STATE()` use (`ast_devstate_str`).
    pub fn token(self) -> &'static str {
        match self {
            DeviceState::Unknown => "UNKNOWN",
            DeviceState::NotInUse => "NOT_INUSE",
            DeviceState::InUse => "INUSE",
            DeviceState::Busy => "BUSY",
            DeviceState::Invalid => "INVALID",
            DeviceState::Unavailable => "UNAVAILABLE",
            DeviceState::Ringing => "RINGING",
            DeviceState::RingInUse => "RINGINUSE",
            DeviceState::OnHold => "ONHOLD",
        }
    }

    /// `ast_devstate_val`: a token, without case; anything else (UNKNOWN
    /// too) is Unknown.
    pub fn from_token(s: &str) -> DeviceState {
        [
            DeviceState::NotInUse,
            DeviceState::InUse,
            DeviceState::Busy,
            DeviceState::Invalid,
            DeviceState::Unavailable,
            DeviceState::Ringing,
            DeviceState::RingInUse,
            DeviceState::OnHold,
        ]
        .into_iter()
        .find(|d| d.token().eq_ignore_ascii_case(s))
        .unwrap_or(DeviceState::Unknown)
    }

    /// `ast_state_chan2dev`.
    pub fn from_chan_state(s: ChanState) -> DeviceState {
        match s {
            ChanState::Down => DeviceState::NotInUse,
            ChanState::Ringing | ChanState::PreRing => DeviceState::Ringing,
            ChanState::Busy => DeviceState::Busy,
            ChanState::Reserved
            | ChanState::OffHook
            | ChanState::Dialing
            | ChanState::Ring
            | ChanState::Up
            | ChanState::DialingOffhook => DeviceState::InUse,
        }
    }

    /// The rank `ast_devstate_aggregate_add` keeps the highest of.
    fn rank(self) -> u8 {
        match self {
            DeviceState::Invalid => 0,
            DeviceState::Unknown => 1,
            DeviceState::Unavailable => 2,
            DeviceState::NotInUse => 3,
            DeviceState::OnHold => 4,
            DeviceState::Ringing => 5,
            DeviceState::InUse => 6,
            DeviceState::Busy => 7,
            DeviceState::RingInUse => 8,
        }
    }
}

/// `struct ast_devstate_aggregate`: several devices as one.
#[derive(Debug, Clone, Copy)]
pub struct Aggregate {
    ringing: bool,
    inuse: bool,
    state: DeviceState,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate {
            ringing: false,
            inuse: false,
            state: DeviceState::Invalid,
        }
    }
}

impl Aggregate {
    pub fn add(&mut self, state: DeviceState) {
        match state {
            DeviceState::Ringing => self.ringing = true,
            DeviceState::InUse | DeviceState::OnHold | DeviceState::Busy => self.inuse = true,
            _ => {}
        }
        if self.ringing && self.inuse {
            self.state = DeviceState::RingInUse;
        } else if state.rank() > self.state.rank() {
            self.state = state;
        }
    }

    pub fn result(&self) -> DeviceState {
        self.state
    }
}

/// An extension's state: the aggregate of its hint's devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionState {
    Idle,
    InUse,
    Busy,
    Unavailable,
    Ringing,
    InUseRinging,
    Hold,
    InUseHold,
}

impl ExtensionState {
    /// `ast_extension_state2str`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::Idle => "Idle",
            ExtensionState::InUse => "InUse",
            ExtensionState::Busy => "Busy",
            ExtensionState::Unavailable => "Unavailable",
            ExtensionState::Ringing => "Ringing",
            ExtensionState::InUseRinging => "InUse&Ringing",
            ExtensionState::Hold => "Hold",
            ExtensionState::InUseHold => "InUse&Hold",
        }
    }

    /// The `AST_EXTENSION_*` bits AMI prints as `Status`.
    pub fn number(self) -> i32 {
        match self {
            ExtensionState::Idle => 0,
            ExtensionState::InUse => 1,
            ExtensionState::Busy => 2,
            ExtensionState::Unavailable => 4,
            ExtensionState::Ringing => 8,
            ExtensionState::InUseRinging => 9,
            ExtensionState::Hold => 16,
            ExtensionState::InUseHold => 17,
        }
    }

    /// `ast_devstate_to_extenstate`.
    pub fn from_device(s: DeviceState) -> ExtensionState {
        match s {
            DeviceState::OnHold => ExtensionState::Hold,
            DeviceState::Busy => ExtensionState::Busy,
            DeviceState::Unknown | DeviceState::NotInUse => ExtensionState::Idle,
            DeviceState::Unavailable | DeviceState::Invalid => ExtensionState::Unavailable,
            DeviceState::RingInUse => ExtensionState::InUseRinging,
            DeviceState::Ringing => ExtensionState::Ringing,
            DeviceState::InUse => ExtensionState::InUse,
        }
    }
}

/// How a queued change gets its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// The state is known (`ast_devstate_changed` with a state).
    Known(DeviceState),
    /// A channel changed state: what the device's calls said at that
    /// moment (None: nothing), completed by the provider when processed.
    Calls(Option<DeviceCalls>),
    /// A channel went away: everything is looked at when processed.
    Later,
}

/// What a device's channels say (`chan_pjsip_devicestate`'s walk over
/// its endpoint's channels): their states aggregated, a held one as on
/// hold, and how many are in use (neither down nor reserved), which
/// `device_state_busy_at` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCalls {
    pub state: DeviceState,
    pub in_use: u32,
}

/// One queued device-state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub device: String,
    pub cachable: bool,
    pub pending: Pending,
    pub at: Instant,
}

/// How long a queued change waits before it is worked out and published.
/// Asterisk hands each change to its device-state thread and the event
/// reaches AMI a few thread hops later: after what the thread that made
/// the change raises next (an Originate's OriginateResponse) and, for a
/// channel's end, after the rest of the hangup (both halves of a Local
/// pair go together). Waiting this long keeps that order.
pub const SETTLE: Duration = Duration::from_millis(30);

/// The device-state engine's memory: the cache of cachable devices and
/// the last state each hint was seen in.
#[derive(Default)]
pub struct DeviceStates {
    /// Cachable devices' last states (`ast_device_state_cache`).
    cache: Mutex<BTreeMap<String, DeviceState>>,
    /// `hint->laststate`, per (context, exten).
    hints: Mutex<HashMap<(String, String), ExtensionState>>,
    /// Who wants every hint's changes (`ast_extension_state_add`): the
    /// SIP notifiers. A closed receiver is dropped at the next change.
    watchers: Mutex<Vec<tokio::sync::mpsc::UnboundedSender<HintChange>>>,
}

/// A hint's new state, for its watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintChange {
    pub context: String,
    pub exten: String,
    pub state: ExtensionState,
    /// Set when the hint itself went away; `state` is then its last.
    pub end: Option<HintEnd>,
    /// When the device change behind it happened: Asterisk hands the
    /// callbacks the devices' channels as they were then
    /// (`device_state_info`), so a call that rang only later is not yet
    /// the one ringing.
    pub at: Instant,
}

/// How a watched hint went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintEnd {
    /// Its extension was removed from the live dialplan
    /// (`AST_EXTENSION_DEACTIVATED`, through `ast_remove_hint`).
    Deactivated,
    /// A dialplan reload left it out (`AST_EXTENSION_REMOVED`, from
    /// `ast_merge_contexts_and_delete`).
    Removed,
}

impl HintEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            HintEnd::Deactivated => "deactivated",
            HintEnd::Removed => "removed",
        }
    }
}

use super::lock;

impl DeviceStates {
    /// Starts the engine: the task that works changes out, the hints'
    /// first states, and the `Custom:` states kept in AstDB (as
    /// `func_devstate` announces them when it loads).
    pub fn start(sys: &Arc<System>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Change>();
        sys.pbx.channels.events.set_devstate_sink(tx);
        sys.pbx.devstates.sync_hints(sys, HintEnd::Removed);
        if let Ok(entries) = sys.db.gettree(CUSTOM_FAMILY, "") {
            for e in entries {
                let Some((_, name)) = e.key.rsplit_once('/') else {
                    continue;
                };
                sys.pbx.channels.events.device_changed(
                    &format!("Custom:{name}"),
                    true,
                    Pending::Known(DeviceState::from_token(&e.value)),
                );
            }
        }
        let weak = Arc::downgrade(sys);
        tokio::spawn(async move {
            while let Some(ch) = rx.recv().await {
                tokio::time::sleep_until(tokio::time::Instant::from_std(ch.at + SETTLE)).await;
                let Some(sys) = weak.upgrade() else { return };
                sys.pbx.devstates.process(&sys, ch);
            }
        });
    }

    /// `do_state_change` and what follows it: the state, the cache (an
    /// unchanged cachable state goes no further), the hints, the event.
    pub fn process(&self, sys: &System, ch: Change) {
        let state = match ch.pending {
            Pending::Known(s) => s,
            Pending::Calls(calls) => resolve(sys, &ch.device, calls),
            Pending::Later => resolve(sys, &ch.device, sys.pbx.channels.device_calls(&ch.device)),
        };
        if ch.cachable {
            let mut cache = lock(&self.cache);
            if cache.get(&ch.device) == Some(&state) {
                return;
            }
            cache.insert(ch.device.clone(), state);
        }
        self.notify_hints(sys, &ch.device, ch.at);
        sys.pbx
            .channels
            .events
            .publish_system(EventKind::DeviceStateChange {
                device: ch.device,
                state,
            });
    }

    /// The cached state of a device, if it is cached.
    pub fn cached(&self, device: &str) -> Option<DeviceState> {
        lock(&self.cache).get(device).copied()
    }

    /// Caches a state without announcing it: what a module sets while it
    /// loads, before anyone can listen (app_queue's queue devices).
    pub fn seed(&self, device: &str, state: DeviceState) {
        lock(&self.cache).insert(device.to_string(), state);
    }

    /// Every cached device and its state (DeviceStateList).
    pub fn cached_all(&self) -> Vec<(String, DeviceState)> {
        lock(&self.cache)
            .iter()
            .map(|(d, s)| (d.clone(), *s))
            .collect()
    }

    /// Every later change of a hint's state.
    pub fn watch_hints(&self) -> tokio::sync::mpsc::UnboundedReceiver<HintChange> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        lock(&self.watchers).push(tx);
        rx
    }

    /// The last state a hint was seen in (`hint->laststate`).
    pub fn laststate(&self, context: &str, exten: &str) -> Option<ExtensionState> {
        lock(&self.hints)
            .get(&(context.to_string(), exten.to_string()))
            .copied()
    }

    /// Gives new hints their first state and forgets removed ones (at
    /// start, after a dialplan reload, after a change of the live
    /// dialplan); the watchers of a hint that went are told how (`end`).
    pub fn sync_hints(&self, sys: &System, end: HintEnd) {
        let loaded = sys.loaded();
        let mut fresh = HashMap::new();
        for (c, e, p) in hints_in_order(&loaded.dialplan) {
            let key = (c.name.clone(), e.name.clone());
            let known = lock(&self.hints).get(&key).copied();
            let state = known.unwrap_or_else(|| extension_state(sys, &p.app));
            fresh.insert(key, state);
        }
        let old = std::mem::replace(&mut *lock(&self.hints), fresh.clone());
        let mut gone: Vec<((String, String), ExtensionState)> = old
            .into_iter()
            .filter(|(k, _)| !fresh.contains_key(k))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(&b.0));
        for ((context, exten), state) in gone {
            lock(&self.watchers).retain(|w| {
                w.send(HintChange {
                    context: context.clone(),
                    exten: exten.clone(),
                    state,
                    end: Some(end),
                    at: Instant::now(),
                })
                .is_ok()
            });
        }
    }

    /// `ast_add_hint` tells the global watchers (the manager's
    /// ExtensionStatus) of each hint it adds, with its state now; hints of
    /// a pattern that names variables are left out. `hints` in the order
    /// they were added.
    pub fn announce_added_hints<'a>(
        &self,
        sys: &System,
        hints: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) {
        for (context, exten, devices) in hints {
            if exten.starts_with('_') && devices.contains("${") {
                continue;
            }
            let state = extension_state(sys, devices);
            sys.pbx
                .channels
                .events
                .publish_system(EventKind::ExtensionStatus {
                    exten: exten.to_string(),
                    context: context.to_string(),
                    hint: devices.to_string(),
                    status: state.number(),
                    text: state.as_str(),
                });
        }
    }

    /// `device_state_notify_callbacks` for every hint that names the
    /// device: those whose state changed raise ExtensionStatus (the
    /// manager's watcher).
    fn notify_hints(&self, sys: &System, device: &str, at: Instant) {
        let loaded = sys.loaded();
        for (c, e, p) in hints_in_order(&loaded.dialplan) {
            if !hint_devices(&p.app)
                .iter()
                .any(|d| d.eq_ignore_ascii_case(device))
            {
                continue;
            }
            let state = extension_state(sys, &p.app);
            let key = (c.name.clone(), e.name.clone());
            // `handle_hint_change`: an unchanged state goes only to the
            // extended callbacks (the SIP notifiers), and only while
            // ringing, as the ringing call may be another one.
            let same = lock(&self.hints).insert(key, state) == Some(state);
            let ringing = matches!(
                state,
                ExtensionState::Ringing | ExtensionState::InUseRinging
            );
            if same && !ringing {
                continue;
            }
            lock(&self.watchers).retain(|w| {
                w.send(HintChange {
                    context: c.name.clone(),
                    exten: e.name.clone(),
                    state,
                    end: None,
                    at,
                })
                .is_ok()
            });
            if same {
                continue;
            }
            sys.pbx
                .channels
                .events
                .publish_system(EventKind::ExtensionStatus {
                    exten: e.name.clone(),
                    context: c.name.clone(),
                    hint: p.app.clone(),
                    status: state.number(),
                    text: state.as_str(),
                });
        }
    }
}

/// The AstDB family `Custom:` states live in.
pub const CUSTOM_FAMILY: &str = "CustomDevstate";

/// `_ast_device_state` without the cache: a provider's device
/// (`Custom:foo`), or a channel technology's, completed by what its calls
/// say (`calls`) when the technology itself does not know.
pub fn resolve(sys: &System, device: &str, calls: Option<DeviceCalls>) -> DeviceState {
    let Some((tech, resource)) = device.split_once('/') else {
        let Some((provider, name)) = device.split_once(':') else {
            return DeviceState::Invalid;
        };
        if provider.eq_ignore_ascii_case("Custom") {
            let v = sys.db.get(CUSTOM_FAMILY, name).ok().flatten();
            return DeviceState::from_token(v.as_deref().unwrap_or(""));
        }
        let loaded = sys.loaded();
        if provider.eq_ignore_ascii_case("park") && loaded.parking.running(&loaded.modules) {
            return crate::parking::device_state(name);
        }
        if provider.eq_ignore_ascii_case("Agent") {
            return crate::apps::agent_pool::device_state(sys, name);
        }
        return DeviceState::Invalid;
    };
    if tech.eq_ignore_ascii_case("Local") {
        // local_devicestate: its pairs, else whether the extension exists.
        if let Some(c) = calls {
            return c.state;
        }
        let dest = resource.split('/').next().unwrap_or("");
        let Some((exten, context)) = dest.split_once('@') else {
            sys.pbx.logger.warning(
                crate::site!("core_local.c", 332, "local_devicestate"),
                None,
                &format!(
                    "Someone used Local/{resource} somewhere without a @context. This is bad."
                ),
            );
            return DeviceState::Invalid;
        };
        let loaded = sys.loaded();
        return if crate::pbx::find::exists(&loaded.dialplan, context, exten, 1, None) {
            DeviceState::NotInUse
        } else {
            DeviceState::Invalid
        };
    }
    use crate::channels::sip::endpoint::Flavor;
    let peer = resource.split('/').next().unwrap_or("");
    let flavor = if tech.eq_ignore_ascii_case("SIP") {
        Flavor::ChanSip
    } else if tech.eq_ignore_ascii_case("PJSIP") {
        Flavor::Pjsip
    } else {
        // No such channel technology.
        return DeviceState::Invalid;
    };
    match crate::channels::sip::device_state(sys, flavor, peer, calls) {
        DeviceState::Unknown => calls.map_or(DeviceState::Unknown, |c| c.state),
        s => s,
    }
}

/// `ast_device_state`: the cached state, else the state worked out now.
pub fn device_state(sys: &System, device: &str) -> DeviceState {
    if let Some(s) = sys.pbx.devstates.cached(device) {
        return s;
    }
    resolve(sys, device, sys.pbx.channels.device_calls(device))
}

/// The devices of a hint (`SIP/1000&Custom:x`, presence after a `,` cut).
pub fn hint_devices(hint: &str) -> Vec<&str> {
    let devices = hint.rsplit_once(',').map(|(d, _)| d).unwrap_or(hint);
    devices.split('&').collect()
}

/// The hint of exten@context (`ast_get_hint`), found as the dialplan
/// finds an extension (includes and patterns too).
pub fn hint_of(sys: &System, context: &str, exten: &str) -> Option<String> {
    let loaded = sys.loaded();
    crate::pbx::find::find(
        &loaded.dialplan,
        context,
        exten,
        crate::pbx::find::Want::Priority(crate::pbx::dialplan::PRIORITY_HINT),
        None,
    )
    .ok()
    .map(|f| f.priority.app.clone())
}

/// `ast_extension_state3`: the hint's devices aggregated, as an extension
/// state.
pub fn extension_state(sys: &System, hint: &str) -> ExtensionState {
    let mut agg = Aggregate::default();
    for d in hint_devices(hint) {
        agg.add(device_state(sys, d));
    }
    ExtensionState::from_device(agg.result())
}

/// `ast_str_case_hash`.
pub fn str_case_hash(s: &str) -> u32 {
    let mut h: u32 = 5381;
    for b in s.bytes() {
        h = h.wrapping_mul(33) ^ u32::from(b.to_ascii_lowercase());
    }
    h & 0x7fff_ffff
}

/// Asterisk keeps hints in a hash table of 563 buckets (by extension
/// name) and walks it bucket by bucket.
const HINT_BUCKETS: u32 = 563;

/// Every hint of the dialplan in the order Asterisk's hints container
/// hands them out (`core show hints`, ExtensionStateList).
pub fn hints_in_order(plan: &Dialplan) -> Vec<(&Context, &Extension, &Priority)> {
    let mut hints: Vec<(u32, usize, &Context, &Extension, &Priority)> = Vec::new();
    for c in &plan.contexts {
        for e in &c.extensions {
            if let Some(h) = e.hint() {
                let bucket = str_case_hash(&e.name) % HINT_BUCKETS;
                hints.push((bucket, hints.len(), c, e, h));
            }
        }
    }
    hints.sort_by_key(|(bucket, order, ..)| (*bucket, *order));
    hints.into_iter().map(|(_, _, c, e, p)| (c, e, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_as_asterisk() {
        let agg = |states: &[DeviceState]| {
            let mut a = Aggregate::default();
            for s in states {
                a.add(*s);
            }
            a.result()
        };
        assert_eq!(agg(&[]), DeviceState::Invalid);
        assert_eq!(
            agg(&[DeviceState::NotInUse, DeviceState::InUse]),
            DeviceState::InUse
        );
        assert_eq!(
            agg(&[DeviceState::Ringing, DeviceState::InUse]),
            DeviceState::RingInUse
        );
        assert_eq!(
            agg(&[DeviceState::Unknown, DeviceState::Unavailable]),
            DeviceState::Unavailable
        );
        assert_eq!(
            ExtensionState::from_device(agg(&[DeviceState::Unknown])),
            ExtensionState::Idle
        );
    }

    /// chan_pjsip_devicestate: every channel of the device counts (one up
    /// and one ringing are RINGINUSE; a held one is on hold), channels of
    /// a device whose name only starts the same do not, and
    /// `device_state_busy_at` turns the calls in use into BUSY.
    #[tokio::test]
    async fn a_devices_calls_together() {
        use crate::channels::{ChanState, NewChannel};
        let pjsip = "[t]\ntype=transport\nprotocol=udp\nbind=127.0.0.1:0\n\
                     [a]\ntype=endpoint\n[b]\ntype=endpoint\ndevice_state_busy_at=2\n";
        let (_dir, sys) = crate::funcs::test_system(&[("pjsip.conf", pjsip)]);
        let chans = &sys.pbx.channels;
        let alloc = |name: &str, state: ChanState| {
            chans.alloc(
                name.into(),
                "PJSIP",
                0,
                NewChannel {
                    state: Some(state),
                    ..Default::default()
                },
            )
        };
        let _up = alloc("PJSIP/a-00000001", ChanState::Up);
        let ringing = alloc("PJSIP/a-00000002", ChanState::Ringing);
        let _other = alloc("PJSIP/a-x-00000003", ChanState::Up);
        let calls = chans.device_calls("PJSIP/a").expect("calls");
        assert_eq!((calls.state, calls.in_use), (DeviceState::RingInUse, 2));
        ringing.lock().props.on_hold = true;
        assert_eq!(
            chans.device_calls("PJSIP/a").map(|c| c.state),
            Some(DeviceState::InUse)
        );
        assert_eq!(
            chans.device_calls("PJSIP/a-x").map(|c| (c.state, c.in_use)),
            Some((DeviceState::InUse, 1))
        );
        assert_eq!(chans.device_calls("PJSIP/c"), None);

        let _b1 = alloc("PJSIP/b-00000004", ChanState::Ringing);
        let seen = chans.device_calls("PJSIP/b");
        assert_eq!(resolve(&sys, "PJSIP/b", seen), DeviceState::Ringing);
        let _b2 = alloc("PJSIP/b-00000005", ChanState::Down);
        let seen = chans.device_calls("PJSIP/b");
        assert_eq!(resolve(&sys, "PJSIP/b", seen), DeviceState::Ringing);
        let _b3 = alloc("PJSIP/b-00000006", ChanState::Up);
        let seen = chans.device_calls("PJSIP/b");
        assert_eq!(resolve(&sys, "PJSIP/b", seen), DeviceState::Busy);
    }

    #[test]
    fn tokens() {
        assert_eq!(DeviceState::from_token("inuse"), DeviceState::InUse);
        assert_eq!(DeviceState::from_token("UNKNOWN"), DeviceState::Unknown);
        assert_eq!(DeviceState::from_token("bogus"), DeviceState::Unknown);
        assert_eq!(DeviceState::NotInUse.token(), "NOT_INUSE");
        assert_eq!(
            hint_devices("SIP/1&Custom:x,CustomPresence:y"),
            ["SIP/1", "Custom:x"]
        );
    }
}
