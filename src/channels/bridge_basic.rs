//! A two-party basic bridge at work (`main/bridge_basic.c` with the
//! bridge channel loop of `main/bridge_channel.c`): audio relayed between
//! the members, DTMF matched against each member's feature codes, and the
//! built-in features run when a code matches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Channel;
use super::bridge::{Bridge, Optimized};
use super::features::{FeatureFlags, Hook, Hooks, Matcher, Step, detected_name, dynamic_features};
use super::media::DigitReader;
use crate::apps::AppCtx;
use crate::apps::playback::{Streamed, stream_file};
use crate::config::views::features::FeaturesConf;
use crate::core::System;
use crate::core::events::EventKind;
use crate::core::logger::Site;
use crate::core::testsuite;

/// How long the loop sleeps when nothing wakes it.
pub(super) const IDLE: Duration = Duration::from_millis(100);
/// `ast_dtmf_stream`'s digit length and the pause between digits.
const STREAM_DIGIT_MS: u32 = 100;
const STREAM_GAP: Duration = Duration::from_millis(100);

/// Why the bridge stopped for its members.
pub enum Ended {
    /// A member hung up.
    Hangup,
    /// A transfer took the bridge apart (see [`Bridge::transfer`]).
    Transfer,
    /// A member used the disconnect feature: it left, and the bridge
    /// dissolves.
    Disconnect(Arc<Channel>),
    /// The member whose task runs the bridge is a Local half that its
    /// pair's optimisation took out of the call: the channels it was
    /// between talk on without it.
    SwappedOut,
    /// An attended transfer (or a Local pair's optimisation) took `gone`
    /// out of the call: `stays` now shares `bridge` with `target` (see
    /// [`rejoin`]).
    Replaced {
        gone: Arc<Channel>,
        stays: Arc<Channel>,
        target: Arc<Channel>,
        bridge: Arc<Bridge>,
    },
}

/// The test event of feature codes.
const FEATURE_DETECTION: &str = "FEATURE_DETECTION";

/// The failed FEATURE_DETECTION test event: digits `chan` keyed started
/// no feature (raised from `site`).
pub(super) fn feature_failed(chan: &Channel, site: &Site<'static>) {
    chan.test_event(site, FEATURE_DETECTION, || "Result: fail".into());
}

/// One member: its feature codes and the digits it is keying.
struct Member {
    chan: Arc<Channel>,
    keys: Keypad,
}

impl Member {
    fn new(sys: &System, chan: &Arc<Channel>) -> Member {
        let conf = crate::funcs::features::channel_features(&sys.loaded().features, chan);
        let flags = chan.lock().props.dtmf_features.unwrap_or_default();
        let mut hooks = Hooks::builtin(flags, &conf.featuremap);
        let names = chan.get_var("DYNAMIC_FEATURES").unwrap_or_default();
        let (items, unknown) = dynamic_features(&conf, &names);
        for name in unknown {
            sys.pbx.logger.warning(
                crate::site!("features_config.c", 1463, "ast_get_chan_applicationmap"),
                None,
                &format!(
                    "Unknown DYNAMIC_FEATURES item '{name}' on channel {}.",
                    chan.name
                ),
            );
        }
        hooks.add_dynamic(items);
        Member {
            chan: chan.clone(),
            keys: Keypad::new(hooks, conf.clone()),
        }
    }
}

/// A bridged channel's keyed digits matched against its hooks (the DTMF
/// hook handling of `bridge_channel.c`).
pub(super) struct Keypad {
    pub(super) hooks: Hooks,
    matcher: Matcher,
    digit_timeout: Duration,
    /// The channel's features.conf (its digit timeout; the feature map
    /// that names a code that ran).
    conf: Arc<FeaturesConf>,
}

impl Keypad {
    pub(super) fn new(hooks: Hooks, conf: Arc<FeaturesConf>) -> Keypad {
        let digit_timeout_ms = u64::try_from(conf.general.featuredigittimeout).unwrap_or(0);
        Keypad {
            hooks,
            matcher: Matcher::default(),
            digit_timeout: Duration::from_millis(digit_timeout_ms),
            conf,
        }
    }

    /// Reads what `chan` keyed: digits that start no code go on to
    /// `other` (a code's prefix that timed out or led nowhere as a
    /// stream); the first code matched is returned, the digits after it
    /// left to be read. A digit or prefix that starts no feature raises
    /// the failed FEATURE_DETECTION test event.
    pub(super) fn read(&mut self, chan: &Channel, other: &Arc<Channel>) -> Option<Hook> {
        if let Some(Step::Flush(digits)) = self.matcher.expire(Instant::now()) {
            feature_failed(chan, &testsuite::FEATURE_DIGITS_FAILED);
            stream_digits(other, digits);
        }
        while let Some(digit) = chan.take_digit(DigitReader::Frames) {
            let step = self
                .matcher
                .digit(&self.hooks, digit, Instant::now(), self.digit_timeout);
            match step {
                Step::Pass(d) => {
                    feature_failed(chan, &testsuite::FEATURE_DIGIT_PASSED);
                    pass_digit(other, d);
                }
                Step::Collecting => {}
                Step::Flush(digits) => {
                    feature_failed(chan, &testsuite::FEATURE_DIGITS_FAILED);
                    stream_digits(other, digits);
                }
                Step::Run(hook) => return Some(hook),
            }
        }
        None
    }

    /// After `hook` ran for `chan`: the successful FEATURE_DETECTION test
    /// event, naming the feature by its code.
    pub(super) fn ran(&self, chan: &Channel, hook: &Hook) {
        let Some(code) = self.hooks.code(hook) else {
            return;
        };
        chan.test_event(&testsuite::FEATURE_SUCCESS, FEATURE_DETECTION, || {
            let c = &self.conf;
            let name = detected_name(code, &c.featuremap, &c.general.atxferthreeway);
            format!("Result: success\r\nFeature: {name}")
        });
    }

    /// When a collected prefix times out.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.matcher.deadline()
    }

    /// Forgets a collected prefix.
    pub(super) fn reset(&mut self) {
        self.matcher = Matcher::default();
    }
}

/// Adds Dial's feature options (and the caller's `BRIDGE_FEATURES`) to both
/// parties' features (`pre_bridge_setup`): upper-case letters are the
/// caller's, lower-case ones the callee's.
pub fn set_dial_features(ctx: &AppCtx, peer: &Channel, has_option: impl Fn(char) -> bool) {
    let mut caller = FeatureFlags::from_dial_options(&has_option, true);
    let mut callee = FeatureFlags::from_dial_options(&has_option, false);
    let extra = ctx.chan.get_var("BRIDGE_FEATURES").unwrap_or_default();
    for c in extra.chars() {
        let (flags, letter) = if c.is_ascii_uppercase() {
            (&mut caller, c)
        } else {
            (&mut callee, c.to_ascii_uppercase())
        };
        match FeatureFlags::parse(&letter.to_string()) {
            Ok((f, unknown)) if unknown.is_empty() => *flags = flags.union(f),
            _ => ctx.warning(
                crate::site!("features.c", 432, "set_bridge_features_on_config"),
                &format!("Skipping unknown feature code '{c}'"),
            ),
        }
    }
    for (chan, flags) in [(ctx.chan.as_ref(), caller), (peer, callee)] {
        let mut d = chan.lock();
        let now = d.props.dtmf_features.unwrap_or_default();
        d.props.dtmf_features = Some(now.union(flags));
    }
}

/// Bridges Dial's caller `a` and answered callee `b` (the callee joins
/// first) until one hangs up, a transfer takes the bridge apart, or a
/// member disconnects. Each one's audio goes straight to the other's port
/// (the port converts between µ-law and A-law when the legs differ);
/// digits that start no feature pass on to the other. Members with DTMF
/// hooks keep the bridge off native RTP, where digits would not reach the
/// core.
pub async fn bridge_call(
    sys: &Arc<System>,
    a: &Arc<Channel>,
    b: &Arc<Channel>,
) -> (Arc<Bridge>, Ended) {
    let mut members = [Member::new(sys, a), Member::new(sys, b)];
    let bridge = Bridge::create(&sys.pbx.channels.events);
    if members.iter().any(|m| !m.keys.hooks.is_empty()) {
        bridge.keep_off_native_rtp();
    }
    bridge.join(b);
    bridge.join(a);
    bridge.set_optimizable(true);
    let ended = run(sys, &bridge, &mut members).await;
    (bridge, ended)
}

/// Goes on bridging `a` and `b`, already members of `bridge` (the pair an
/// attended transfer left there).
pub async fn rejoin(
    sys: &Arc<System>,
    bridge: &Arc<Bridge>,
    a: &Arc<Channel>,
    b: &Arc<Channel>,
) -> Ended {
    let mut members = [Member::new(sys, a), Member::new(sys, b)];
    if members.iter().any(|m| !m.keys.hooks.is_empty()) {
        bridge.keep_off_native_rtp();
    }
    run(sys, bridge, &mut members).await
}

/// Where a two-party call stands once the attended transfers that
/// replaced its members have been followed.
pub enum Followed {
    /// `chan` was transferred out: the other two talk on without it.
    Out,
    /// `chan` talks on with `peer` in `bridge` until `ended`.
    Stays {
        bridge: Arc<Bridge>,
        peer: Arc<Channel>,
        ended: Ended,
    },
}

/// Follows attended transfers for `chan`, whose call with `peer` in
/// `bridge` ended as `ended`: when the peer was replaced it is hung up
/// and `chan` goes on with the transfer target; when `chan` itself was,
/// the others go on detached.
pub async fn follow_transfers(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    mut bridge: Arc<Bridge>,
    mut peer: Arc<Channel>,
    mut ended: Ended,
) -> Followed {
    loop {
        let (gone, stays, target, next) = match ended {
            Ended::Replaced {
                gone,
                stays,
                target,
                bridge: next,
            } => (gone, stays, target, next),
            Ended::SwappedOut => {
                // The half leaves a bridge it is still in (the one the
                // moved channel left), which then goes.
                if bridge.has(chan) {
                    bridge.leave(chan);
                    if bridge.members().is_empty() {
                        bridge.destroy();
                    }
                }
                return Followed::Out;
            }
            ended => {
                return Followed::Stays {
                    bridge,
                    peer,
                    ended,
                };
            }
        };
        if Arc::ptr_eq(&gone, chan) {
            spawn_detached(sys, next, stays, target);
            return Followed::Out;
        }
        if !Arc::ptr_eq(&bridge, &next) && bridge.has(&peer) {
            // A Local half left behind alone when `chan` moved on: it
            // leaves with a normal clearing, and its bridge goes.
            bridge.leave(&peer);
            {
                let mut d = peer.lock();
                if d.hangupcause == 0 {
                    d.hangupcause = super::causes::NORMAL_CLEARING;
                }
            }
            crate::pbx::run::hangup_channel(sys, &peer);
            bridge.destroy();
        } else {
            crate::pbx::run::hangup_channel(sys, &peer);
        }
        peer = target;
        bridge = next;
        bridge.set_optimizable(true);
        ended = rejoin(sys, &bridge, chan, &peer).await;
    }
}

/// Bridges two channels no dialplan waits on (a transferee and the
/// target it was transferred to, both imparted in Asterisk): when the
/// bridge ends, both leave and hang up, the one that went first first.
pub fn spawn_detached(sys: &Arc<System>, bridge: Arc<Bridge>, a: Arc<Channel>, b: Arc<Channel>) {
    let sys = sys.clone();
    tokio::spawn(async move {
        let (mut bridge, mut pair) = (bridge, [a, b]);
        loop {
            let ended = rejoin(&sys, &bridge, &pair[0], &pair[1]).await;
            match ended {
                Ended::Replaced {
                    gone,
                    stays,
                    target,
                    bridge: next,
                } => {
                    crate::pbx::run::hangup_channel(&sys, &gone);
                    bridge = next;
                    pair = [stays, target];
                }
                Ended::Transfer => {
                    bridge.destroy();
                    if let Some(t) = bridge.transfer() {
                        crate::pbx::run::hangup_channel(&sys, &t.transferer);
                        crate::pbx::run::pbx_start_or_hang_up(AppCtx {
                            sys: sys.clone(),
                            chan: t.transferee,
                        });
                    }
                    return;
                }
                // Detached bridges are never optimised through.
                Ended::SwappedOut => return,
                Ended::Hangup => {
                    let first_gone = pair[0].check_hangup();
                    return dissolve(&sys, &bridge, &pair, first_gone);
                }
                Ended::Disconnect(by) => {
                    return dissolve(&sys, &bridge, &pair, Arc::ptr_eq(&by, &pair[0]));
                }
            }
        }
    });
}

/// The end of a detached bridge: the first to go leaves and hangs up,
/// then the other, kicked with its cause; the bridge goes.
fn dissolve(sys: &Arc<System>, bridge: &Bridge, pair: &[Arc<Channel>; 2], first_gone: bool) {
    let (first, second) = if first_gone {
        (&pair[0], &pair[1])
    } else {
        (&pair[1], &pair[0])
    };
    let cause = match first.lock().hangupcause {
        0 => 16,
        c => c,
    };
    for chan in [first, second] {
        // One parked out of the bridge stays in its lot.
        if crate::parking::features::is_parked(sys, chan) {
            continue;
        }
        bridge.leave(chan);
        {
            let mut d = chan.lock();
            if d.hangupcause == 0 {
                d.hangupcause = cause;
            }
        }
        crate::pbx::run::hangup_channel(sys, chan);
    }
    bridge.destroy();
}

async fn run(sys: &Arc<System>, bridge: &Arc<Bridge>, members: &mut [Member; 2]) -> Ended {
    let (a, b) = (members[0].chan.clone(), members[1].chan.clone());
    // A Local half's peer is its other half, which its driver talks to.
    if a.tech != "Local" {
        a.set_peer(&b);
    }
    if b.tech != "Local" {
        b.set_peer(&a);
    }
    connect_audio(&a, &b);
    let ended = 'bridge: loop {
        if let Some(o) = bridge.take_optimized(&a, &b) {
            break optimized_out(bridge, &a, &b, o);
        }
        if a.check_hangup() || b.check_hangup() {
            break Ended::Hangup;
        }
        if bridge.transfer().is_some() {
            break Ended::Transfer;
        }
        // A kicked member leaves as the disconnect feature makes it
        // leave (`kick_it`: state END, normal clearing), and the basic
        // bridge dissolves with it.
        if let Some(kicked) = bridge.take_kick() {
            break Ended::Disconnect(kicked);
        }
        // Dissolved from outside: the members are kicked in the bridge's
        // channel order, the one that joined first first.
        if bridge.is_dissolving() {
            let first = bridge
                .members()
                .into_iter()
                .next()
                .unwrap_or_else(|| b.clone());
            break Ended::Disconnect(first);
        }
        for i in 0..2 {
            let other = members[1 - i].chan.clone();
            let me = &mut members[i];
            // A Park action naming this member as its peer's parker.
            let chan = me.chan.clone();
            if crate::parking::features::bridge_park_pending(sys, &chan) {
                chan.set_tap(None);
                other.set_tap(None);
                if crate::parking::features::run_bridge_park(sys, &chan, &other, bridge).await
                    == Some(true)
                {
                    break 'bridge Ended::Disconnect(chan);
                }
                connect_audio(&chan, &other);
            }
            while let Some(hook) = me.keys.read(&me.chan, &other) {
                let chan = me.chan.clone();
                let end = run_hook(sys, &chan, &other, bridge, hook.clone()).await;
                me.keys.ran(&chan, &hook);
                if let Some(end) = end {
                    break 'bridge end;
                }
            }
        }
        // A member's absolute timeout (Dial's S() and L()) ends the
        // bridge when it comes, not at the next idle wake-up.
        let deadline = members
            .iter()
            .filter_map(|m| m.keys.deadline())
            .chain(members.iter().filter_map(|m| m.chan.lock().when_to_hangup))
            .min();
        let wait = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(IDLE)
            .min(IDLE);
        let _ = tokio::time::timeout(wait, either_woken(&a, &b)).await;
    };
    a.set_tap(None);
    // A member left in a bridge another task now runs keeps its audio.
    if !matches!(ended, Ended::SwappedOut) {
        b.set_tap(None);
    }
    ended
}

/// How a Local pair's optimisation ends the bridge for `a`, whose task
/// runs it with `b`: a Local half taken out leaves the call; `a` moved
/// into another bridge goes on there with the member it found; `a`
/// staying goes on with the channel that took the half's place.
fn optimized_out(bridge: &Arc<Bridge>, a: &Arc<Channel>, b: &Arc<Channel>, o: Optimized) -> Ended {
    if Arc::ptr_eq(&o.half, a) {
        if o.detach {
            return Ended::Replaced {
                gone: a.clone(),
                stays: b.clone(),
                target: o.moved,
                bridge: o.into,
            };
        }
        return Ended::SwappedOut;
    }
    if Arc::ptr_eq(&o.moved, a) {
        let target = o.into.peer_of(a).unwrap_or_else(|| b.clone());
        return Ended::Replaced {
            gone: b.clone(),
            stays: a.clone(),
            target,
            bridge: o.into,
        };
    }
    Ended::Replaced {
        gone: b.clone(),
        stays: a.clone(),
        target: o.moved,
        bridge: bridge.clone(),
    }
}

pub(super) fn connect_audio(a: &Arc<Channel>, b: &Arc<Channel>) {
    use super::media::forward_to;
    a.set_tap(b.media_port().map(forward_to));
    b.set_tap(a.media_port().map(forward_to));
}

async fn either_woken(a: &Channel, b: &Channel) {
    tokio::select! {
        _ = a.wake_handle().notified() => {}
        _ = b.wake_handle().notified() => {}
    }
}

/// A digit written to the other member through the bridge (`ast_write` of
/// the DTMF frames): it is announced as sent.
pub(super) fn pass_digit(to: &Arc<Channel>, digit: char) {
    to.emit(EventKind::DtmfBegin { digit, sent: true });
    if let Some(p) = to.media_port() {
        p.send_digit(digit, super::media::DEFAULT_DTMF_MS);
    }
    to.emit(EventKind::DtmfEnd {
        digit,
        duration_ms: super::media::DEFAULT_DTMF_MS,
        sent: true,
    });
}

/// Collected digits that matched nothing, played to the other member
/// (`ast_dtmf_stream`: straight to the driver, so without events).
fn stream_digits(to: &Arc<Channel>, digits: String) {
    if digits.is_empty() {
        return;
    }
    let Some(port) = to.media_port() else {
        return;
    };
    tokio::spawn(async move {
        for d in digits.chars() {
            port.send_digit(d, STREAM_DIGIT_MS);
            tokio::time::sleep(Duration::from_millis(u64::from(STREAM_DIGIT_MS)) + STREAM_GAP)
                .await;
        }
    });
}

/// Runs a matched feature for `chan`; `Some` when the bridge ends for it.
async fn run_hook(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    other: &Arc<Channel>,
    bridge: &Arc<Bridge>,
    hook: Hook,
) -> Option<Ended> {
    match hook {
        Hook::Disconnect => Some(Ended::Disconnect(chan.clone())),
        Hook::BlindTransfer => {
            // The member is taken out of the audio while it dials.
            chan.set_tap(None);
            other.set_tap(None);
            let done = blind_transfer_feature(sys, chan).await;
            // To a park extension: the peer is parked, the parker is out.
            if done && crate::parking::features::is_parked(sys, other) {
                return Some(Ended::Disconnect(chan.clone()));
            }
            if !done {
                connect_audio(chan, other);
            }
            bridge.transfer().map(|_| Ended::Transfer)
        }
        Hook::AttendedTransfer => {
            chan.set_tap(None);
            other.set_tap(None);
            let ended =
                super::bridge_atxfer::attended_transfer_feature(sys, chan, other, bridge).await;
            if ended.is_none() {
                connect_audio(chan, other);
            }
            ended
        }
        Hook::AutoMixMon => {
            crate::apps::mixmonitor::automixmon(sys, chan, other).await;
            None
        }
        Hook::AutoMon => {
            crate::apps::monitor::automon(sys, chan, other).await;
            None
        }
        Hook::Dynamic(item) => {
            chan.set_tap(None);
            other.set_tap(None);
            let kicked = run_dynamic_feature(sys, chan, other, &item).await;
            if let Some(kicked) = kicked {
                return Some(Ended::Disconnect(kicked));
            }
            connect_audio(chan, other);
            None
        }
        Hook::ParkCall => {
            // res_parking's parkcall: the peer goes to the parker's lot.
            chan.set_tap(None);
            other.set_tap(None);
            if crate::parking::features::park_call(sys, chan, other, bridge).await {
                return Some(Ended::Disconnect(chan.clone()));
            }
            connect_audio(chan, other);
            None
        }
        other_hook => {
            sys.pbx.logger.warning(
                crate::site!("bridge_basic.c", 0, "builtin_features_helper"),
                None,
                &format!(
                    "Channel {}: feature '{}' is not available in Asterism yet.",
                    chan.name,
                    other_hook.name()
                ),
            );
            None
        }
    }
}

/// A dynamic feature `chan` keyed (`dynamic_dtmf_hook_trip`): its
/// application runs on `chan` itself or on `other`, which first learns
/// the feature's name and who keyed it; with a music class the rest of
/// the bridge is held meanwhile (`ast_bridge_channel_run_app`). An
/// application other than Gosub or Macro that fails (hangs up) kicks the
/// channel it ran on out of the bridge: that channel is returned.
async fn run_dynamic_feature(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    other: &Arc<Channel>,
    item: &crate::config::views::features::AppMapItem,
) -> Option<Arc<Channel>> {
    let runner = if item.activate_on_self { chan } else { other };
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: runner.clone(),
    };
    ctx.set_var("DYNAMIC_FEATURENAME", Some(&item.name));
    ctx.set_var("DYNAMIC_WHO_ACTIVATED", Some(&chan.name));
    let music = Some(item.moh_class.as_str()).filter(|c| !c.is_empty());
    if music.is_some() {
        hold(runner, music);
    }
    // run_app_helper: Gosub and Macro run as subroutines, whose outcome
    // does not count; any other application gets its arguments
    // substituted (`ast_pbx_exec_application`).
    let failed = if item.app.eq_ignore_ascii_case("Gosub") {
        let _ = crate::apps::stack::gosub_from_outside(&ctx, &item.app_data, false).await;
        false
    } else if item.app.eq_ignore_ascii_case("Macro") {
        let _ = crate::apps::exec::exec_application(&ctx, "Macro", &item.app_data).await;
        false
    } else {
        let args = ctx.substitute(&item.app_data);
        let res = crate::apps::exec::exec_application(&ctx, &item.app, &args).await;
        runner.publish_snapshot();
        res.is_err()
    };
    if music.is_some() {
        unhold(runner);
    }
    failed.then(|| runner.clone())
}

/// Puts the other members on hold (`ast_bridge_channel_write_hold`):
/// the Hold event, and the HOLD indication to the rest of its bridge.
pub(super) fn hold(chan: &Channel, music_class: Option<&str>) {
    let music_class = music_class.filter(|c| !c.is_empty());
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "Hold".into(),
        body: music_class
            .map(|c| format!("MusicClass: {c}\r\n"))
            .unwrap_or_default(),
    });
    if let Some(b) = chan.bridge() {
        b.indicate_hold(Some(chan), true, music_class);
    }
}

/// Takes the channel off hold (`ast_queue_unhold`, written to its bridge
/// if it is in one): the Unhold event, and the others told.
pub(crate) fn unhold(chan: &Channel) {
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "Unhold".into(),
        body: String::new(),
    });
    if let Some(b) = chan.bridge() {
        b.indicate_hold(Some(chan), false, None);
    }
}

/// Where a transfer by `chan` dials (`get_transfer_context`):
/// TRANSFER_CONTEXT, else the context of the Macro running, else the
/// channel's context, else `default`.
pub(super) fn transfer_context(chan: &Channel) -> String {
    for var in ["TRANSFER_CONTEXT", "MACRO_CONTEXT"] {
        if let Some(c) = chan.get_var(var).filter(|c| !c.is_empty()) {
            return c;
        }
    }
    let context = chan.lock().context.clone();
    if context.is_empty() {
        "default".into()
    } else {
        context
    }
}

/// The blind transfer feature (`feature_blind_transfer`): the keyed
/// extension is collected, then the peer is sent there. `true` once the
/// transfer took place.
async fn blind_transfer_feature(sys: &Arc<System>, chan: &Arc<Channel>) -> bool {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    ctx.verbose(
        3,
        crate::site!("bridge_basic.c", 3530, "feature_blind_transfer"),
        &format!("Channel {}: Started DTMF blind transfer.", chan.name),
    );
    hold(chan, None);
    let context = transfer_context(chan);
    let Some(exten) = grab_transfer(&ctx, &context).await else {
        unhold(chan);
        return false;
    };
    // A park extension parks the peer instead (res_parking's
    // blind_transfer_park).
    if let Some(peer) = chan.bridge().and_then(|b| b.peer_of(chan).map(|p| (b, p)))
        && crate::parking::features::is_park_exten(sys, &context, &exten).is_some()
    {
        unhold(chan);
        let (bridge, peer) = peer;
        // ast_bridge_transfer_blind tells of the transfer as the park is
        // handed to the bridge.
        chan.emit(EventKind::BlindTransfer {
            result: super::bridge::TransferResult::Success,
            transferee: Some(peer.published_snapshot()),
            bridge: Some(bridge.snapshot()),
            external: false,
            context: context.clone(),
            exten: exten.clone(),
        });
        return crate::parking::features::blind_transfer_park(
            sys, chan, &peer, &bridge, &context, &exten,
        )
        .await;
    }
    let result = super::bridge::blind_transfer(
        chan,
        &exten,
        &context,
        super::bridge::TransferFrom::Feature,
        None,
    );
    result == super::bridge::TransferResult::Success
}

/// `grab_transfer`: the announcement, then digits on dial tone until they
/// name an extension of `context`; Asterisk's number of attempts, each
/// failure with its prompt. `None` on hangup or when every attempt failed.
pub(super) async fn grab_transfer(ctx: &AppCtx, context: &str) -> Option<String> {
    let chan = &ctx.chan;
    let conf = crate::funcs::features::channel_features(&ctx.sys.loaded().features, chan);
    let g = &conf.general;
    let digit_timeout =
        Duration::from_millis(u64::try_from(g.transferdigittimeout).unwrap_or(0) * 1000);
    let max_attempts = g.transferdialattempts.max(1);
    let mut exten = String::new();
    if !g.transferannouncesound.is_empty() {
        match stream_file(ctx, &g.transferannouncesound, crate::apps::say::DIGIT_ANY).await {
            Streamed::Hangup => return None,
            Streamed::Digit(d) => exten.push(d),
            Streamed::Done | Streamed::Failed => {}
        }
        chan.stop_stream();
    }
    let cid = chan.lock().caller.id.number().map(str::to_string);
    let mut attempts = 0;
    let dialled = loop {
        attempts += 1;
        chan.test_event(
            &testsuite::TRANSFER_BEGIN_DIAL,
            "TRANSFER_BEGIN_DIAL",
            || format!("Channel: {}\r\nAttempt: {attempts}", chan.name),
        );
        let found = dtget(ctx, context, &mut exten, cid.as_deref(), digit_timeout).await;
        chan.test_event(&testsuite::TRANSFER_DIALLED, "TRANSFER_DIALLED", || {
            let result = if found == Some(true) {
                "Success"
            } else {
                "Failure"
            };
            format!(
                "Channel: {}\r\nAttempt: {attempts}\r\nDialled: {exten}\r\nResult: {result}",
                chan.name
            )
        });
        match found {
            None => break None,
            Some(true) => break Some(exten),
            Some(false) => {}
        }
        let (site, msg) = if exten.is_empty() {
            (
                crate::site!("bridge_basic.c", 3263, "grab_transfer"),
                format!("Channel {}: Dialed no digits.", chan.name),
            )
        } else {
            (
                crate::site!("bridge_basic.c", 3265, "grab_transfer"),
                format!(
                    "Channel {}: Dialed '{exten}@{context}' does not exist.",
                    chan.name
                ),
            )
        };
        ctx.verbose(3, site, &msg);
        let sound = if attempts < max_attempts {
            &g.transferretrysound
        } else {
            &g.transferinvalidsound
        };
        if matches!(stream_file(ctx, sound, "").await, Streamed::Hangup) {
            break None;
        }
        chan.stop_stream();
        exten.clear();
        if attempts >= max_attempts {
            break None;
        }
    };
    chan.test_event(
        &testsuite::TRANSFER_DIAL_FINAL,
        "TRANSFER_DIAL_FINAL",
        || {
            let result = if dialled.is_some() {
                "Success"
            } else {
                "Failure"
            };
            format!("Channel: {}\r\nResult: {result}", chan.name)
        },
    );
    dialled
}

/// The longest extension `ast_app_dtget` collects here.
const MAX_EXTEN: usize = 79;

/// `ast_app_dtget`: dial tone until the first digit, then digits until
/// none can extend `collect` into an extension, `#`, or a digit timeout.
/// `Some(true)` when `collect` is an extension; `None` on hangup.
async fn dtget(
    ctx: &AppCtx,
    context: &str,
    collect: &mut String,
    cid: Option<&str>,
    timeout: Duration,
) -> Option<bool> {
    let chan = &ctx.chan;
    match crate::apps::playtones::indication_tone(ctx, "dial") {
        Some(tone) => {
            let _ = crate::apps::playtones::playtones_start(ctx, 0, &tone);
        }
        None => ctx.sys.pbx.logger.notice(
            crate::site!("app.c", 159, "ast_app_dtget"),
            None,
            "Huh....? no dial for indications?",
        ),
    }
    let plan = ctx.sys.loaded().dialplan.clone();
    while collect.len() < MAX_EXTEN {
        let digit = chan.wait_digit(timeout).await;
        chan.stop_generator();
        let digit = match digit {
            Err(_) => return None,
            Ok(None) | Ok(Some('#')) => break,
            Ok(Some(d)) => d,
        };
        collect.push(digit);
        if !crate::pbx::find::matchmore(&plan, context, collect, cid) {
            break;
        }
    }
    Some(crate::pbx::find::exists(&plan, context, collect, 1, cid))
}

/// Why [`add_channel`] could not take a channel into a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// It is a member of another bridge: moving it across is not built.
    InBridge,
    /// No PBX runs it (a dialled leg, an originated application): taking
    /// it from what runs it is not built.
    NoPbx,
    /// It hung up (or never let go of its application) before joining.
    Gone,
}

/// How long a channel's application has to let go of it.
const YANK_TIMEOUT: Duration = Duration::from_secs(5);

/// `ast_bridge_add_channel` for a channel the dialplan runs: its music
/// stops, it leaves its application as Asterisk's channel yank takes it
/// (shown at its next priority), and its own PBX joins it to `bridge`
/// (see [`run_yanked`]). Returns once it is a member.
pub async fn add_channel(
    sys: &Arc<System>,
    bridge: &Arc<Bridge>,
    chan: &Arc<Channel>,
    after: super::bridge::AfterBridge,
) -> Result<(), AddError> {
    let music = chan.media().music.clone();
    if crate::core::lock(&music).active {
        crate::apps::moh::moh_stop(&AppCtx {
            sys: sys.clone(),
            chan: chan.clone(),
        });
    }
    if chan.bridge().is_some() {
        return Err(AddError::InBridge);
    }
    {
        let mut d = chan.lock();
        if !d.has_pbx {
            return Err(AddError::NoPbx);
        }
        // The yank's copy starts where the loop would go next.
        if d.in_autoloop {
            d.priority += 1;
        }
    }
    let bridges = sys.pbx.channels.events.bridges();
    bridges.push_yank(
        chan,
        super::bridge::Yank {
            bridge: bridge.clone(),
            after,
        },
    );
    chan.softhangup_quiet(super::softhangup::ASYNCGOTO);
    chan.wake();
    let deadline = Instant::now() + YANK_TIMEOUT;
    while !bridge.has(chan) {
        if chan.is_dead() || Instant::now() >= deadline {
            let _ = bridges.take_yank(chan);
            return Err(AddError::Gone);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// For the PBX of a channel [`add_channel`] took: it joins the bridge
/// (answered first unless BRIDGE_NOANSWER is set), waits while whoever
/// runs the bridge relays its media, then goes where its after-bridge
/// goto says (`ast_bridge_setup_after_goto`). `true`: the dialplan goes
/// on (nothing was pending, or it has a new location); `false`: hang up.
pub async fn run_yanked(ctx: &AppCtx) -> bool {
    use super::bridge::AfterBridge;
    let chan = &ctx.chan;
    let Some(yank) = ctx.sys.pbx.channels.events.bridges().take_yank(chan) else {
        return true;
    };
    let noanswer = chan
        .get_var("BRIDGE_NOANSWER")
        .is_some_and(|v| !v.is_empty());
    if !noanswer && chan.state() != super::ChanState::Up {
        chan.answer();
    }
    yank.bridge.join(chan);
    while yank.bridge.has(chan) {
        let _ = tokio::time::timeout(IDLE, chan.wake_handle().notified()).await;
    }
    // A transfer's async goto has set a location already.
    if chan.softhangup_flags() & super::softhangup::ASYNCGOTO != 0 {
        chan.clear_softhangup(super::softhangup::ASYNCGOTO);
        return !chan.check_hangup();
    }
    if chan.check_hangup() {
        return false;
    }
    match yank.after {
        AfterBridge::Hangup => false,
        AfterBridge::Specific {
            context,
            exten,
            priority,
        } => {
            let mut d = chan.lock();
            d.set_context(&context);
            d.set_exten(&exten);
            d.priority = priority;
            true
        }
        AfterBridge::GoOn {
            context,
            exten,
            priority,
            goto: Some(target),
        } => {
            let saved = {
                let mut d = chan.lock();
                let saved = (d.context.clone(), d.exten.clone(), d.priority);
                d.set_context(&context);
                d.set_exten(&exten);
                d.priority = priority;
                saved
            };
            // `^` separates the goto's parts inside an option argument.
            if crate::pbx::run::parseable_goto(ctx, &target.replace('^', ",")).is_ok() {
                return true;
            }
            let mut d = chan.lock();
            d.set_context(&saved.0);
            d.set_exten(&saved.1);
            d.priority = saved.2;
            false
        }
        AfterBridge::GoOn {
            context,
            exten,
            priority,
            goto: None,
        } => {
            let cid = chan.lock().caller.id.number().map(str::to_string);
            let plan = ctx.sys.loaded().dialplan.clone();
            if !crate::pbx::find::exists(&plan, &context, &exten, priority + 1, cid.as_deref()) {
                return false;
            }
            let mut d = chan.lock();
            d.set_context(&context);
            d.set_exten(&exten);
            d.priority = priority + 1;
            true
        }
    }
}

/// Runs a bridge whose members are `a` (a channel whose application
/// runs it, or the first yanked one) and `b` until it ends for them,
/// then takes it apart: the member that hung up or was kicked leaves
/// first, both with a normal clearing unless they have a cause
/// (`channel_set_cause`), and the bridge is destroyed.
pub async fn run_until_over(
    sys: &Arc<System>,
    bridge: &Arc<Bridge>,
    a: &Arc<Channel>,
    b: &Arc<Channel>,
) {
    let ended = rejoin(sys, bridge, a, b).await;
    if bridge.transfer().is_some() {
        // Both have left; the transferee's async goto takes it on.
        bridge.destroy();
        a.wake();
        b.wake();
        return;
    }
    let a_first = match &ended {
        Ended::Disconnect(by) => Arc::ptr_eq(by, a),
        Ended::Replaced { gone, .. } => Arc::ptr_eq(gone, a),
        _ => a.check_hangup(),
    };
    let (first, second) = if a_first { (a, b) } else { (b, a) };
    for c in [first, second] {
        {
            let mut d = c.lock();
            if d.hangupcause == 0 {
                d.hangupcause = super::causes::NORMAL_CLEARING;
            }
        }
        bridge.leave(c);
        c.wake();
    }
    bridge.destroy();
}
