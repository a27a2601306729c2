//! The attended transfer feature (`feature_attended_transfer` and the
//! transfer monitor of `main/bridge_basic.c`): the transferer keys the
//! target's extension, a Local channel calls it into a second bridge, and
//! the transferer moves between the two bridges until the transfer
//! completes, is abandoned, or a party hangs up.
//!
//! Asterisk runs the monitor on a thread of its own and feeds it stimuli;
//! here the bridge loop of the transferer's call awaits it, and it gathers
//! the same stimuli by looking at the three channels.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bridge::{Bridge, TransferResult};
use super::bridge_basic::{
    Ended, IDLE, Keypad, feature_failed, grab_transfer, hold, pass_digit, transfer_context, unhold,
};
use super::features::{Hook, Hooks};
use super::media::DigitReader;
use super::{ChanState, Channel, Indication, NewChannel};
use crate::apps::AppCtx;
use crate::apps::playback::stream_file;
use crate::core::System;
use crate::core::events::{AttendedTransferDest, AttendedTransferInfo, EventKind};

/// The monitor's non-final states (`enum attended_transfer_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The transferer hears the target ring.
    CallingTarget,
    /// The transferer went back to the transferee while the target rings.
    Hesitant,
    /// The transferer talks to the target.
    Consulting,
    /// The transferer went back to the transferee; the target waits.
    DoubleChecking,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::CallingTarget => "Calling Target",
            State::Hesitant => "Hesitant",
            State::Consulting => "Consulting",
            State::DoubleChecking => "Double Checking",
        }
    }

    /// Where bridge_basic.c's state's exit callback reports a stimulus it
    /// does not expect.
    fn unexpected_site(self) -> crate::core::logger::Site<'static> {
        let (function, line) = match self {
            State::CallingTarget => ("calling_target_exit", 2161),
            State::Hesitant => ("hesitant_exit", 2201),
            State::Consulting => ("consulting_exit", 2285),
            State::DoubleChecking => ("double_checking_exit", 2327),
        };
        crate::core::logger::Site {
            file: "bridge_basic.c",
            function,
            line,
        }
    }

    /// Whether `atxfernoanswertimeout` runs in this state, and whether
    /// it restarts each time the monitor waits in it.
    fn timer(self) -> Option<bool> {
        match self {
            State::CallingTarget => Some(true),
            State::Hesitant => Some(false),
            State::Consulting | State::DoubleChecking => None,
        }
    }
}

/// What moves the monitor (`enum attended_transfer_stimulus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stimulus {
    TransfereeHangup,
    TransfererHangup,
    TargetHangup,
    TargetAnswer,
    Timeout,
    Abort,
    Complete,
    Threeway,
    Swap,
}

impl Stimulus {
    fn name(self) -> &'static str {
        match self {
            Stimulus::TransfereeHangup => "Transferee Hangup",
            Stimulus::TransfererHangup => "Transferer Hangup",
            Stimulus::TargetHangup => "Transfer Target Hangup",
            Stimulus::TargetAnswer => "Transfer Target Answer",
            Stimulus::Timeout => "Timeout",
            Stimulus::Abort => "DTMF Abort",
            Stimulus::Complete => "DTMF Complete",
            Stimulus::Threeway => "DTMF Threeway",
            Stimulus::Swap => "DTMF Swap",
        }
    }
}

/// Where a state change leads.
enum Next {
    Stay,
    To(State),
    /// The transferer goes back to the transferee; the target is let go.
    Rebridge,
    /// The transferer is with the transferee already; the target is let go.
    Resume,
    /// The target's bridge joins the transferee's, without the transferer.
    Complete,
    /// The same while the target still rings (`TRANSFER_BLOND`).
    Blond,
    /// The transferee is gone: its bridge goes, and the target's with it
    /// unless the transferer is talking to the target.
    Fail,
}

/// One attended transfer in progress (`struct attended_transfer_properties`).
struct Transfer {
    sys: Arc<System>,
    transferer: Arc<Channel>,
    transferee: Arc<Channel>,
    target: Arc<Channel>,
    /// The transferee's bridge and the target's.
    orig: Arc<Bridge>,
    second: Arc<Bridge>,
    keys: Keypad,
    no_answer: Duration,
    /// When the no-answer timer started.
    start: Instant,
    xfersound: String,
    xferfailsound: String,
    /// A sound playing to the transferer (queued on its bridge channel in
    /// Asterisk): what reaches the transferer after it waits for the
    /// sound to end.
    transferer_busy: Option<tokio::task::JoinHandle<()>>,
    /// Once the transferer hung up and left: whether it left the target's
    /// bridge (rather than the transferee's).
    transferer_left: Option<bool>,
}

/// Runs the attended transfer feature for `transferer`, bridged with
/// `transferee` in `orig`. `None` when the transferer is (back) with the
/// transferee as before; otherwise how the bridge ended for them: a party
/// replaced, or (the transferee gone before the transferer talked to the
/// target) both bridges gone.
pub async fn attended_transfer_feature(
    sys: &Arc<System>,
    transferer: &Arc<Channel>,
    transferee: &Arc<Channel>,
    orig: &Arc<Bridge>,
) -> Option<Ended> {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: transferer.clone(),
    };
    ctx.verbose(
        3,
        crate::site!("bridge_basic.c", 3359, "feature_attended_transfer"),
        &format!(
            "Channel {}: Started DTMF attended transfer.",
            transferer.name
        ),
    );
    let conf = crate::funcs::features::channel_features(&sys.loaded().features, transferer);
    let g = &conf.general;
    let context = transfer_context(transferer);
    hold(transferer, None);
    let Some(exten) = grab_transfer(&ctx, &context).await else {
        ctx.verbose(
            3,
            crate::site!("bridge_basic.c", 3412, "feature_attended_transfer"),
            &format!(
                "Channel {}: Unable to acquire target extension for attended transfer.",
                transferer.name
            ),
        );
        unhold(transferer);
        return None;
    };
    let (target, two) = dial_transfer(sys, transferer, &format!("{exten}@{context}"));
    let second = Bridge::create(&sys.pbx.channels.events);
    second.keep_off_native_rtp();
    // The target's answer is read by its bridge, as its bridge channel
    // reads the answer frame.
    target.lock().answer_deferred = true;
    if super::local::call(sys, &target, &two).is_err() {
        ctx.error(
            crate::site!("bridge_basic.c", 3470, "feature_attended_transfer"),
            &format!(
                "Channel {}: Unable to place outbound call to transfer target.",
                transferer.name
            ),
        );
        super::local::unlink(&two);
        sys.pbx.channels.unregister(&two);
        let _ = stream_file(&ctx, &g.xferfailsound, "").await;
        unhold(transferer);
        crate::pbx::run::hangup_channel(sys, &target);
        second.destroy();
        return None;
    }
    crate::pbx::run::pbx_start_or_hang_up(AppCtx {
        sys: sys.clone(),
        chan: two,
    });
    // Asterisk's target thread starts after the dialplan's: a target that
    // answers at once has done so before it is in its bridge.
    wait_for_answer(&target, QUICK_ANSWER).await;
    second.join(&target);
    // Its bridge channel reads what was queued before it joined.
    read_indication(&target);
    let answered = read_answer(&target);
    let mut t = Transfer {
        sys: sys.clone(),
        transferer: transferer.clone(),
        transferee: transferee.clone(),
        target,
        orig: orig.clone(),
        second,
        keys: Keypad::new(Hooks::atxfer(g), conf.clone()),
        no_answer: Duration::from_secs(u64::try_from(g.atxfernoanswertimeout).unwrap_or(0)),
        start: Instant::now(),
        xfersound: g.xfersound.clone(),
        xferfailsound: g.xferfailsound.clone(),
        transferer_busy: None,
        transferer_left: None,
    };
    t.run(answered).await
}

/// Reads the target's queued answer: it is up, and its dial has ended.
fn read_answer(target: &Channel) -> bool {
    let answered = target.read_queued_answer();
    if answered {
        target.emit(EventKind::DialEnd {
            status: "ANSWER".into(),
        });
    }
    answered
}

/// Reads a progress indication queued on the target (its bridge channel
/// reading the control frame): published as the state of its dial, or
/// as its end for busy and congestion.
fn read_indication(target: &Channel) {
    let Some(indication) = target.lock().pending_indication.take() else {
        return;
    };
    let status = match indication {
        Indication::Ringing => "RINGING",
        Indication::Progress => "PROGRESS",
        Indication::Proceeding => "PROCEEDING",
        Indication::Busy | Indication::Congestion => {
            let status = if indication == Indication::Busy {
                "BUSY"
            } else {
                "CONGESTION"
            };
            target.emit(EventKind::DialEnd {
                status: status.into(),
            });
            return;
        }
    };
    // A dial state without a caller: only the dialed channel is shown.
    target.emit(EventKind::DialState {
        status: status.into(),
    });
}

/// How long the transfer waits for a target that answers at once.
const QUICK_ANSWER: Duration = Duration::from_millis(50);

async fn wait_for_answer(chan: &Channel, limit: Duration) {
    let until = Instant::now() + limit;
    while !chan.lock().answer_pending && !chan.check_hangup() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        let _ = tokio::time::timeout(left.min(Duration::from_millis(5)), async {
            chan.wake_handle().notified().await
        })
        .await;
    }
}

/// `dial_transfer`: a Local channel to `destination` on the transferer's
/// behalf, told who transfers (TRANSFERERNAME, ATTENDEDTRANSFER), with
/// the transferer's caller as its connected line and the transferer's
/// inheritable variables.
fn dial_transfer(
    sys: &Arc<System>,
    transferer: &Arc<Channel>,
    destination: &str,
) -> (Arc<Channel>, Arc<Channel>) {
    let (linkedid, caller) = {
        let d = transferer.lock();
        (d.linkedid.clone(), d.caller.clone())
    };
    let (one, two) = super::local::request(
        sys,
        destination,
        NewChannel {
            linkedid: Some(linkedid),
            ..Default::default()
        },
    );
    one.set_var_event("TRANSFERERNAME", &transferer.name);
    one.set_var_event("ATTENDEDTRANSFER", &transferer.name);
    one.unset_var_event("BLINDTRANSFER");
    {
        let mut d = one.lock();
        d.connected.id = caller.id;
        d.connected.ani = caller.ani;
    }
    transferer.inherit_variables_to(&one);
    (one, two)
}

impl Transfer {
    /// Runs the transfer; `answered` when the target answered already.
    async fn run(&mut self, answered: bool) -> Option<Ended> {
        let mut state = State::CallingTarget;
        self.enter(state);
        let mut queued = answered.then_some(Stimulus::TargetAnswer);
        loop {
            let stimulus = match queued.take() {
                Some(s) => s,
                None => self.next_stimulus(state).await,
            };
            match self.exit(state, stimulus) {
                Next::Stay => {}
                Next::To(s) => {
                    state = s;
                    self.enter(state);
                }
                Next::Rebridge => {
                    self.move_transferer(false);
                    unhold(&self.transferer);
                    self.update_connected_lines();
                    self.let_target_go();
                    return None;
                }
                Next::Resume => {
                    self.let_target_go();
                    return None;
                }
                Next::Complete | Next::Blond => return self.complete(),
                Next::Fail => return self.fail(state),
            }
        }
    }

    /// What entering a state does (`*_enter`).
    fn enter(&mut self, state: State) {
        match state {
            State::CallingTarget => {
                self.move_transferer(true);
                self.update_connected_lines();
            }
            State::Hesitant => {
                self.move_transferer(false);
                unhold(&self.transferer);
                self.update_connected_lines();
            }
            State::Consulting | State::DoubleChecking => {}
        }
        // Each state hears the transferer's codes afresh.
        self.keys.reset();
    }

    /// Where a stimulus leads from `state` (`*_exit`), with what the
    /// change does on the way.
    fn exit(&mut self, state: State, stimulus: Stimulus) -> Next {
        use State::*;
        use Stimulus::*;
        let next = match (state, stimulus) {
            (CallingTarget | Hesitant | DoubleChecking, TransfereeHangup) => {
                self.play_failsound();
                self.publish_fail();
                Next::Fail
            }
            (Consulting, TransfereeHangup) => {
                self.play_failsound();
                Next::Fail
            }
            (CallingTarget, Complete | TransfererHangup) => {
                // The transferer is with the target: its peer's hold ends.
                self.orig.indicate_hold(None, false, None);
                Next::Blond
            }
            (Hesitant, Complete | TransfererHangup) => Next::Blond,
            (Consulting, Complete | TransfererHangup) => {
                self.orig.indicate_hold(None, false, None);
                Next::Complete
            }
            (DoubleChecking, Complete | TransfererHangup) => {
                self.second.indicate_hold(None, false, None);
                Next::Complete
            }
            (CallingTarget, TargetAnswer) => Next::To(Consulting),
            (Hesitant, TargetAnswer) => Next::To(DoubleChecking),
            (CallingTarget, TargetHangup | Timeout | Abort) => {
                self.play_failsound();
                Next::Rebridge
            }
            (Hesitant, TargetHangup | Timeout | Abort) | (DoubleChecking, TargetHangup | Abort) => {
                self.play_failsound();
                Next::Resume
            }
            (Consulting, TargetHangup) => Next::Rebridge,
            (Consulting, Abort) => {
                self.play_failsound();
                Next::Rebridge
            }
            (CallingTarget, Swap) => Next::To(Hesitant),
            (Hesitant, Swap) => {
                hold(&self.transferer, None);
                Next::To(CallingTarget)
            }
            (Consulting, Swap) => {
                hold(&self.transferer, None);
                self.move_transferer(false);
                unhold(&self.transferer);
                self.update_connected_lines();
                Next::To(DoubleChecking)
            }
            (DoubleChecking, Swap) => {
                hold(&self.transferer, None);
                self.move_transferer(true);
                unhold(&self.transferer);
                self.update_connected_lines();
                Next::To(Consulting)
            }
            (_, Threeway) => {
                // A three-party bridge needs mixing, which Asterism's
                // two-party bridges do not do yet: said, and ignored.
                self.sys.pbx.logger.warning(
                    crate::site!("bridge_basic.c", 0, "feature_attended_transfer"),
                    None,
                    &format!(
                        "Channel {}: three-way calling from an attended transfer is not available in Asterism yet.",
                        self.transferer.name
                    ),
                );
                Next::Stay
            }
            (s, other) => {
                self.sys.pbx.logger.warning(
                    &s.unexpected_site(),
                    None,
                    &format!(
                        "Unexpected stimulus '{}' received in attended transfer state '{}'",
                        other.name(),
                        s.name()
                    ),
                );
                Next::Stay
            }
        };
        next
    }

    /// Moves the transferer to the target's bridge (`to_target`) or back
    /// to the transferee's, and joins its audio to whoever is there.
    fn move_transferer(&self, to_target: bool) {
        let (from, to) = if to_target {
            (&self.orig, &self.second)
        } else {
            (&self.second, &self.orig)
        };
        from.move_member(&self.transferer, to);
        self.connect_audio();
    }

    /// After a move, the bridge the transferer is in updates both
    /// members' connected lines (the move's reconfiguration; the bridge
    /// it left has one member and nothing to update).
    fn update_connected_lines(&mut self) {
        let Some(b) = self.transferer.bridge() else {
            return;
        };
        for (chan, id) in b.connected_line_updates() {
            let busy = if Arc::ptr_eq(&chan, &self.transferer) {
                self.transferer_busy.take()
            } else {
                None
            };
            match busy {
                Some(sound) => {
                    self.transferer_busy = Some(tokio::spawn(async move {
                        let _ = sound.await;
                        super::bridge::apply_connected_line(&chan, id);
                    }));
                }
                None => super::bridge::apply_connected_line(&chan, id),
            }
        }
    }

    /// The transferer's audio goes to whoever shares its bridge; the one
    /// left alone hears nothing.
    fn connect_audio(&self) {
        use super::media::forward_to;
        let with_target = self.in_second(&self.transferer);
        let peer = if with_target {
            &self.target
        } else {
            &self.transferee
        };
        let lonely = if with_target {
            &self.transferee
        } else {
            &self.target
        };
        self.transferer.set_tap(peer.media_port().map(forward_to));
        peer.set_tap(self.transferer.media_port().map(forward_to));
        lonely.set_tap(None);
    }

    fn in_second(&self, chan: &Channel) -> bool {
        chan.bridge().is_some_and(|b| Arc::ptr_eq(&b, &self.second))
    }

    /// Waits for the next stimulus (`wait_for_stimulus`): hangups, the
    /// target's answer, the transferer's codes, the no-answer timer.
    async fn next_stimulus(&mut self, state: State) -> Stimulus {
        if state.timer() == Some(true) {
            self.start = Instant::now();
        }
        loop {
            if let Some(s) = self.look() {
                return s;
            }
            let now = Instant::now();
            let timeout_at = state.timer().map(|_| self.start + self.no_answer);
            if timeout_at.is_some_and(|at| now >= at) {
                return Stimulus::Timeout;
            }
            let wait = [timeout_at, self.keys.deadline()]
                .into_iter()
                .flatten()
                .map(|d| d.saturating_duration_since(now))
                .min()
                .unwrap_or(IDLE)
                .min(IDLE);
            let (a, b, c) = (&self.transferer, &self.transferee, &self.target);
            let _ = tokio::time::timeout(wait, async {
                tokio::select! {
                    _ = a.wake_handle().notified() => {}
                    _ = b.wake_handle().notified() => {}
                    _ = c.wake_handle().notified() => {}
                }
            })
            .await;
        }
    }

    /// A stimulus waiting now, if any.
    fn look(&mut self) -> Option<Stimulus> {
        // A party that hung up leaves its bridge on its own (its bridge
        // channel sees the hangup) before the monitor hears of it.
        if self.transferer.check_hangup() {
            self.transferer.set_tap(None);
            self.transferer_left = Some(self.in_second(&self.transferer));
            self.orig.pull(&self.transferer);
            self.second.pull(&self.transferer);
            return Some(Stimulus::TransfererHangup);
        }
        if self.transferee.check_hangup() {
            return Some(Stimulus::TransfereeHangup);
        }
        if self.target.check_hangup() {
            self.target.set_tap(None);
            self.second.pull(&self.target);
            return Some(Stimulus::TargetHangup);
        }
        read_indication(&self.target);
        if read_answer(&self.target) {
            return Some(Stimulus::TargetAnswer);
        }
        let with_target = self.in_second(&self.transferer);
        let peer = if with_target {
            self.target.clone()
        } else {
            self.transferee.clone()
        };
        if let Some(hook) = self.keys.read(&self.transferer, &peer) {
            // Its hook only tells the transfer what was keyed.
            self.keys.ran(&self.transferer, &hook);
            return Some(match hook {
                Hook::AtxferAbort => Stimulus::Abort,
                Hook::AtxferComplete => Stimulus::Complete,
                Hook::AtxferThreeway => Stimulus::Threeway,
                Hook::AtxferSwap => Stimulus::Swap,
                // The transferer's keypad has no other hooks.
                _ => return None,
            });
        }
        // The party sharing the transferer's bridge is heard; the one
        // waiting alone is not.
        for other in [&self.transferee, &self.target] {
            let shares = other
                .bridge()
                .zip(self.transferer.bridge())
                .is_some_and(|(x, y)| Arc::ptr_eq(&x, &y));
            while let Some(d) = other.take_digit(DigitReader::Frames) {
                feature_failed(other, &crate::core::testsuite::FEATURE_DIGIT_PASSED);
                if shares {
                    pass_digit(&self.transferer, d);
                }
            }
        }
        None
    }

    /// Queues the fail sound to the transferer (`play_failsound`): the
    /// transfer goes on while it plays.
    fn play_failsound(&mut self) {
        let (sys, chan, sound) = (
            self.sys.clone(),
            self.transferer.clone(),
            self.xferfailsound.clone(),
        );
        let before = self.transferer_busy.take();
        self.transferer_busy = Some(tokio::spawn(async move {
            if let Some(b) = before {
                let _ = b.await;
            }
            play_sound(&sys, &chan, &sound).await;
        }));
    }

    /// The target's bridge joins the transferee's, the transferer kicked
    /// out (`complete_enter`, `blond_enter`).
    fn complete(&mut self) -> Option<Ended> {
        let (transferee, target) = self.parties();
        self.transferer.set_tap(None);
        self.orig.merge_from(&self.second, Some(&self.transferer));
        let (a, b) = (self.transferee.clone(), self.target.clone());
        super::bridge_basic::connect_audio(&a, &b);
        if self.target.state() == ChanState::Up {
            let (sys, chan, sound) = (
                self.sys.clone(),
                self.target.clone(),
                self.xfersound.clone(),
            );
            tokio::spawn(async move { play_sound(&sys, &chan, &sound).await });
        }
        self.publish(
            TransferResult::Success,
            transferee,
            target,
            AttendedTransferDest::Bridge(self.orig.uniqueid.clone()),
        );
        self.orig.update_connected_lines();
        self.second.destroy();
        Some(Ended::Replaced {
            gone: self.transferer.clone(),
            stays: self.transferee.clone(),
            target: self.target.clone(),
            bridge: self.orig.clone(),
        })
    }

    /// The transferee and the target as the event names them
    /// (`get_transfer_parties`): the transferer's peer in the bridge it is
    /// in, or was in when it hung up (none unless that bridge still holds
    /// both), and the lone member of the other bridge.
    fn parties(
        &self,
    ) -> (
        Option<Arc<crate::core::events::ChannelSnapshot>>,
        Option<Arc<crate::core::events::ChannelSnapshot>>,
    ) {
        let in_second = match self.transferer_left {
            Some(second) => second,
            None => self.in_second(&self.transferer),
        };
        let peer = |b: &Bridge| {
            let members = b.members();
            let with_transferer = members.iter().any(|c| Arc::ptr_eq(c, &self.transferer));
            if members.len() == 2 && with_transferer {
                members
                    .into_iter()
                    .find(|c| !Arc::ptr_eq(c, &self.transferer))
                    .map(|c| c.published_snapshot())
            } else {
                None
            }
        };
        let lone = |b: &Bridge| match b.members().as_slice() {
            [only] => Some(only.published_snapshot()),
            _ => None,
        };
        if in_second {
            (lone(&self.orig), peer(&self.second))
        } else {
            (peer(&self.orig), lone(&self.second))
        }
    }

    /// The transferee is gone (`fail_enter`): its bridge goes. A
    /// transferer talking to the target goes on talking in the target's
    /// bridge; otherwise the target goes too.
    fn fail(&mut self, state: State) -> Option<Ended> {
        self.orig.destroy();
        if state == State::Consulting {
            return Some(Ended::Replaced {
                gone: self.transferee.clone(),
                stays: self.transferer.clone(),
                target: self.target.clone(),
                bridge: self.second.clone(),
            });
        }
        self.let_target_go();
        Some(Ended::Hangup)
    }

    /// The target's bridge is destroyed (`attended_transfer_properties_shutdown`):
    /// whoever is in it leaves, and the target, which belongs to no one
    /// else, hangs up.
    fn let_target_go(&self) {
        self.target.set_tap(None);
        for chan in self.second.members() {
            self.second.pull(&chan);
        }
        {
            // Kicked out of a call it was in: a normal clearing.
            let mut d = self.target.lock();
            if d.hangupcause == 0 {
                d.hangupcause = 16;
            }
        }
        crate::pbx::run::hangup_channel(&self.sys, &self.target);
        self.second.destroy();
    }

    fn publish_fail(&self) {
        self.publish(TransferResult::Fail, None, None, AttendedTransferDest::Fail);
    }

    /// The AttendedTransfer event: the transferer as each bridge has it.
    fn publish(
        &self,
        result: TransferResult,
        transferee: Option<Arc<crate::core::events::ChannelSnapshot>>,
        target: Option<Arc<crate::core::events::ChannelSnapshot>>,
        dest: AttendedTransferDest,
    ) {
        let transferer = self.transferer.published_snapshot();
        let info = AttendedTransferInfo {
            result,
            orig_transferer: transferer.clone(),
            orig_bridge: Some(self.orig.snapshot()),
            second_transferer: transferer,
            second_bridge: Some(self.second.snapshot()),
            transferee,
            target,
            dest,
        };
        self.sys
            .pbx
            .channels
            .events
            .publish_system(EventKind::AttendedTransfer(Box::new(info)));
    }
}

/// Plays a sound to a channel in a bridge (`play_sound`); a channel
/// without media of its own (a Local half) hears nothing.
async fn play_sound(sys: &Arc<System>, chan: &Arc<Channel>, sound: &str) {
    if sound.is_empty() || chan.media_port().is_none() {
        return;
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    let _ = stream_file(&ctx, sound, "").await;
    chan.stop_stream();
}

/// `ast_bridge_transfer_attended` from outside the bridges (a phone's
/// REFER with Replaces): `to_transferee` talks to the transferee in one
/// bridge, `to_target` to the target in another; the transferee takes
/// `to_target`'s place in the target's bridge, `to_transferee` is let go
/// of its bridge and `to_target` is hung up. Built for the two-party
/// bridges Dial makes (app_dial's bridges swap towards the target's:
/// `AST_BRIDGE_OPTIMIZE_SWAP_TO_PEER_BRIDGE`); other shapes (a party in
/// no bridge, more than two in one) are refused with a warning.
pub fn transfer_attended(
    sys: &Arc<System>,
    to_transferee: &Arc<Channel>,
    to_target: &Arc<Channel>,
) -> TransferResult {
    let (orig, second) = (to_transferee.bridge(), to_target.bridge());
    // The message shows both bridges and parties as they were.
    let orig_snapshot = orig.as_ref().map(|b| b.snapshot());
    let second_snapshot = second.as_ref().map(|b| b.snapshot());
    let transferee = orig.as_ref().and_then(|b| b.peer_of(to_transferee));
    let target = second.as_ref().and_then(|b| b.peer_of(to_target));
    let parties = (
        to_transferee.published_snapshot(),
        to_target.published_snapshot(),
        transferee.as_ref().map(|c| c.published_snapshot()),
        target.as_ref().map(|c| c.published_snapshot()),
    );
    let publish = |result, dest| {
        let info = AttendedTransferInfo {
            result,
            orig_transferer: parties.0.clone(),
            orig_bridge: orig_snapshot.clone(),
            second_transferer: parties.1.clone(),
            second_bridge: second_snapshot.clone(),
            transferee: parties.2.clone(),
            target: parties.3.clone(),
            dest,
        };
        sys.pbx
            .channels
            .events
            .publish_system(EventKind::AttendedTransfer(Box::new(info)));
        result
    };
    let neither_bridged = orig.is_none() && second.is_none();
    let (Some(orig), Some(second)) = (orig, second) else {
        if neither_bridged {
            return publish(TransferResult::Invalid, AttendedTransferDest::Fail);
        }
        sys.pbx.logger.warning(
            crate::site!("bridge.c", 4960, "ast_bridge_transfer_attended"),
            None,
            &format!(
                "Attended transfer of {} to {}, which is not in a bridge, is not supported by Asterism",
                to_transferee.name, to_target.name
            ),
        );
        return publish(TransferResult::Fail, AttendedTransferDest::Fail);
    };
    super::bridge::write_unhold(to_transferee, &orig);
    super::bridge::write_unhold(to_target, &second);
    let (Some(transferee), Some(target)) = (transferee.clone(), target.clone()) else {
        sys.pbx.logger.warning(
            crate::site!("bridge.c", 4850, "two_bridge_attended_transfer"),
            None,
            "Attended transfer between bridges of more than two channels is not supported by Asterism",
        );
        return publish(TransferResult::Fail, AttendedTransferDest::Fail);
    };
    if transferee.check_hangup() || Arc::ptr_eq(&orig, &second) {
        return publish(TransferResult::Invalid, AttendedTransferDest::Fail);
    }
    super::bridge::set_transfer_variables_all(
        to_transferee,
        std::slice::from_ref(&transferee),
        true,
    );
    // bridge_swap_attended_transfer: the transferee moves over in place
    // of the second transferer, whose task is then told it was swapped
    // out.
    orig.move_out(&transferee);
    second.swap_in(&transferee, to_target);
    second.set_optimized(super::bridge::Optimized {
        half: to_target.clone(),
        moved: transferee.clone(),
        into: second.clone(),
        detach: false,
    });
    // The first transferer, alone now, loses its peer and leaves with a
    // normal clearing (its task sees it swapped out of a bridge it then
    // destroys).
    orig.fall_back_to_mixing();
    orig.clear_lone_peer_vars();
    {
        let mut d = to_transferee.lock();
        if d.hangupcause == 0 {
            d.hangupcause = super::causes::NORMAL_CLEARING;
        }
    }
    orig.set_optimized(super::bridge::Optimized {
        half: to_transferee.clone(),
        moved: transferee.clone(),
        into: second.clone(),
        detach: false,
    });
    // hangup_target
    to_target.softhangup(super::softhangup::DEV);
    let result = publish(
        TransferResult::Success,
        AttendedTransferDest::Bridge(second.uniqueid.clone()),
    );
    second.reconfigured();
    second.update_connected_lines();
    // Neither transferer's dialplan runs the bridge now.
    super::bridge_basic::spawn_detached(sys, second, transferee, target);
    result
}
