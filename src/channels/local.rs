//! Local channels (Asterisk's `main/core_local.c` over `core_unreal.c`):
//! `Local/exten@context[/options]` makes a pair of channels, `;1` for the
//! side that placed the call and `;2` that runs the dialplan at
//! exten@context. What one half does (answer, busy, hangup) the other sees,
//! and what one half is sent (audio, digits) the other receives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use super::media::MediaPort;
use super::{ChanState, Channel, Driver, Indication, NewChannel, softhangup};
use crate::core::System;
use crate::core::events::EventKind;
use crate::media::{AudioFrame, Codec};

/// A half's media: written frames and digits arrive at the other half as
/// received ones (`unreal_write` queues them on the other owner). Frames
/// keep their format; the device that finally gets them converts (so a
/// µ-law phone and an A-law phone talk through a Local pair).
struct LocalPort {
    /// The half this port belongs to, and its pair.
    me: Weak<Channel>,
    other: Weak<Channel>,
    pvt: Arc<LocalPvt>,
}

impl MediaPort for LocalPort {
    /// No format of its own: signed linear, as for a channel without media.
    fn codec(&self) -> Codec {
        Codec::Slin
    }

    /// Audio written to a half in a bridge is where Asterisk tries to
    /// optimise the pair away (`got_optimized_out`); the attempt runs
    /// apart, as it moves channels between bridges.
    fn write(&self, frame: &AudioFrame, _now: Instant) {
        if self.pvt.may_optimize()
            && let Some(me) = self.me.upgrade()
            && try_optimize(&self.pvt, me, frame)
        {
            return;
        }
        if let Some(other) = self.other.upgrade() {
            other.media_in(frame);
        }
    }

    /// The begin arrives now and the end after the digit's length, as the
    /// frames do on the other half (its bridge announces both).
    fn send_digit(&self, digit: char, duration_ms: u32) {
        let Some(other) = self.other.upgrade() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        other.note_dtmf_begin(digit);
        other.emit(EventKind::DtmfBegin { digit, sent: false });
        rt.spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(u64::from(duration_ms))).await;
            other.emit(EventKind::DtmfEnd {
                digit,
                duration_ms,
                sent: false,
            });
            other.dtmf_in(digit);
        });
    }
}

/// The parsed `exten@context/options` of a Local channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDest {
    pub exten: String,
    pub context: String,
    /// `/n`: the pair never optimises itself away.
    pub options: String,
}

/// Parses `exten[@context][/options]` (context defaults to `default`).
pub fn parse_dest(data: &str) -> LocalDest {
    // Options follow the last slash, as names may hold slashes.
    let (dest, options) = match data.rsplit_once('/') {
        Some((d, o)) => (d, o.to_string()),
        None => (data, String::new()),
    };
    let (exten, context) = match dest.split_once('@') {
        Some((e, c)) => (e.to_string(), c.to_string()),
        None => (dest.to_string(), "default".to_string()),
    };
    LocalDest {
        exten,
        context: if context.is_empty() {
            "default".into()
        } else {
            context
        },
        options,
    }
}

/// One Local pair as the device-state code sees it (`struct local_pvt`):
/// where it goes, and which halves are still there.
#[derive(Debug)]
pub struct LocalPvt {
    /// The pair's name without the `;n`.
    base: String,
    pub exten: String,
    pub context: String,
    /// The options after the destination's last `/` (`n`: never optimise
    /// the pair away).
    pub options: String,
    /// `;1` (the owner) has not been hung up.
    owner: AtomicBool,
    /// `;2` has not been hung up.
    chan: AtomicBool,
    /// A dialplan was started on `;2` (`AST_UNREAL_CARETAKER_THREAD`).
    caretaker: AtomicBool,
    /// `AST_UNREAL_NO_OPTIMIZATION`: set by `/n`, cleared by the AMI's
    /// LocalOptimizeAway.
    no_optimize: AtomicBool,
    /// An optimisation attempt is under way (one at a time).
    optimizing: AtomicBool,
    /// `AST_UNREAL_OPTIMIZE_BEGUN`: the pair optimised itself away.
    optimized: AtomicBool,
}

impl LocalPvt {
    /// `local show channels`' line: the `;1` half (while it lives) and
    /// the pair's `exten@context`.
    pub fn show_line(&self) -> String {
        let owner = if self.owner.load(Ordering::SeqCst) {
            format!("{};1", self.base)
        } else {
            "<unowned>".to_string()
        };
        format!("{owner} -- {}@{}", self.exten, self.context)
    }

    /// Whether `chan` is one of this pair's halves.
    pub fn has(&self, chan: &Channel) -> bool {
        chan.name
            .strip_prefix(self.base.as_str())
            .is_some_and(|rest| rest == ";1" || rest == ";2")
    }

    /// `local_devicestate`'s test for "in use".
    pub fn in_use(&self) -> bool {
        self.owner.load(Ordering::SeqCst) && self.caretaker.load(Ordering::SeqCst)
    }

    /// The AMI's LocalOptimizeAway: the pair may optimise itself away
    /// from now on.
    pub fn allow_optimization(&self) {
        self.no_optimize.store(false, Ordering::SeqCst);
    }

    /// Whether the pair may still optimise itself away: allowed, both
    /// halves there, not done already.
    fn may_optimize_now(&self) -> bool {
        !self.no_optimize.load(Ordering::SeqCst)
            && !self.optimized.load(Ordering::SeqCst)
            && self.owner.load(Ordering::SeqCst)
            && self.chan.load(Ordering::SeqCst)
    }

    /// Whether an optimisation may be tried now: as
    /// [`LocalPvt::may_optimize_now`], and none under way.
    fn may_optimize(&self) -> bool {
        !self.no_optimize.load(Ordering::Relaxed)
            && !self.optimized.load(Ordering::Relaxed)
            && !self.optimizing.load(Ordering::Relaxed)
            && self.owner.load(Ordering::Relaxed)
            && self.chan.load(Ordering::Relaxed)
    }
}

/// `optimization_id`: numbers the optimisations of the process's life.
static OPTIMIZATION_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Starts an attempt to optimise the pair away from `me`, the half that
/// was written `frame`, unless one is under way or the swap is not
/// allowed now (then `false`: the frame goes on as usual). A swap that
/// happens swallows the frame (`got_optimized_out` does not queue it);
/// one that fails in the end sends it on.
fn try_optimize(pvt: &Arc<LocalPvt>, me: Arc<Channel>, frame: &AudioFrame) -> bool {
    if swap_allowed(&me).is_none() || pvt.optimizing.swap(true, Ordering::SeqCst) {
        return false;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        pvt.optimizing.store(false, Ordering::SeqCst);
        return false;
    };
    let pvt = pvt.clone();
    let frame = frame.clone();
    rt.spawn(async move {
        if optimize(&pvt, &me) {
            pvt.optimized.store(true, Ordering::SeqCst);
        } else if let Some(other) = me.peer() {
            other.media_in(&frame);
        }
        pvt.optimizing.store(false, Ordering::SeqCst);
    });
    true
}

/// Whether a half can be optimised out now (`optimize_lock_chan_stack`
/// and `optimize_lock_peer_stack`): nothing waits in its frame queue, no
/// digit is being emulated on it, nothing listens to its audio.
fn half_is_quiet(half: &Channel) -> bool {
    !half.has_spies() && !half.has_pending_digits()
}

/// The swap an optimisation from `me` would make.
struct Swap {
    other_half: Arc<Channel>,
    chan_bridge: Arc<super::bridge::Bridge>,
    peer_bridge: Arc<super::bridge::Bridge>,
    /// The channel bridged with `me`, which moves.
    source: Arc<Channel>,
}

/// Whether both halves sit quietly in two-party bridges that allow the
/// swap (`optimize_lock_chan_stack`, `optimize_lock_peer_stack`,
/// `bridges_allow_swap_optimization`), and the swap if so.
fn swap_allowed(me: &Arc<Channel>) -> Option<Swap> {
    let other_half = me.peer()?;
    let chan_bridge = me.bridge()?;
    let peer_bridge = other_half.bridge()?;
    if Arc::ptr_eq(&chan_bridge, &peer_bridge)
        || !chan_bridge.allows_optimization()
        || !peer_bridge.allows_optimization()
        || !half_is_quiet(me)
        || !half_is_quiet(&other_half)
    {
        return None;
    }
    let source = chan_bridge.peer_of(me)?;
    Some(Swap {
        other_half,
        chan_bridge,
        peer_bridge,
        source,
    })
}

/// `ast_bridge_unreal_optimize_out` for the swap two basic bridges
/// allow (`try_swap_optimize_out`, `SWAP_TO_PEER_BRIDGE`: equal merge
/// priorities, and the written half's bridge has two members): the
/// channel bridged with `me` takes the other half's place in its bridge,
/// and `me` is left alone in its own. Returns whether it happened.
fn optimize(pvt: &LocalPvt, me: &Arc<Channel>) -> bool {
    if !pvt.may_optimize_now() {
        return false;
    }
    let Some(Swap {
        other_half,
        chan_bridge,
        peer_bridge,
        source,
    }) = swap_allowed(me)
    else {
        return false;
    };
    let (one, two) = if me.name.ends_with(";1") {
        (me, &other_half)
    } else {
        (&other_half, me)
    };
    let id = OPTIMIZATION_ID.fetch_add(1, Ordering::SeqCst);
    one.emit(EventKind::LocalOptimizationBegin {
        two: two.published_snapshot(),
        source: Some(source.published_snapshot()),
        // The half whose bridge the source moves into.
        dest: other_half.uniqueid.clone(),
        id,
    });
    // bridge_do_move with the other half as the swap: the source leaves
    // (no variables cleared), the half is pulled out of its bridge, the
    // source joins in its place, and the written half's bridge, left
    // with it alone, clears its peer variables.
    chan_bridge.move_out(&source);
    peer_bridge.pull(&other_half);
    peer_bridge.join_swapping(&source, Some(&other_half));
    chan_bridge.clear_lone_peer_vars();
    // Asterisk reports a swap that worked as not successful (it passes
    // `res == 1`, its failure code, as the success flag).
    one.emit(EventKind::LocalOptimizationEnd {
        two: two.published_snapshot(),
        success: false,
        id,
    });
    chan_bridge.set_optimized(super::bridge::Optimized {
        half: me.clone(),
        moved: source.clone(),
        into: peer_bridge.clone(),
        detach: false,
    });
    peer_bridge.set_optimized(super::bridge::Optimized {
        half: other_half.clone(),
        moved: source.clone(),
        into: peer_bridge.clone(),
        detach: false,
    });
    source.wake();
    other_half.wake();
    true
}

/// What each half does to the other; one per pair.
struct LocalDriver {
    pvt: Arc<LocalPvt>,
    sys: std::sync::Weak<System>,
}

impl LocalDriver {
    /// `local_hangup`: the half is gone from the pair, and the pair from
    /// the registry once both are.
    fn half_gone(&self, chan: &Channel) {
        let half = if chan.name.ends_with(";2") {
            &self.pvt.chan
        } else {
            &self.pvt.owner
        };
        half.store(false, Ordering::SeqCst);
        if !self.pvt.owner.load(Ordering::SeqCst) && !self.pvt.chan.load(Ordering::SeqCst) {
            if let Some(r) = chan.registry() {
                r.unlink_local(&self.pvt);
            }
        }
    }
}

/// The pair is gone at once (a call that failed before anything ran on
/// `;2`: Asterisk hangs both halves up together).
pub fn unlink(chan: &Channel) {
    if let Some(r) = chan.registry() {
        let pvt = r.local_of(chan);
        if let Some(pvt) = pvt {
            pvt.owner.store(false, Ordering::SeqCst);
            pvt.chan.store(false, Ordering::SeqCst);
            r.unlink_local(&pvt);
        }
    }
}

impl Driver for LocalDriver {
    /// `ast_unreal_indicate` for HOLD and UNHOLD: a pair intercepts them
    /// and plays music on hold itself (toward the other half), unless it
    /// was asked not to (`/m`): then the other half passes them on to its
    /// bridge.
    fn hold(&self, chan: &Arc<Channel>, held: bool, music_class: Option<&str>) {
        if self.pvt.options.contains('m') {
            if let Some(other) = chan.peer()
                && let Some(bridge) = other.bridge()
            {
                bridge.indicate_hold(Some(&other), held, music_class);
            }
            return;
        }
        crate::apps::moh::indicate_hold(self.sys.upgrade(), chan, held, music_class, "");
    }

    fn answer(&self, chan: &Arc<Channel>) {
        // `;2` answering is what answers the outbound `;1`.
        if chan.name.ends_with(";2") {
            if let Some(peer) = chan.peer() {
                let deferred = {
                    let mut p = peer.lock();
                    p.answer_pending = p.answer_deferred;
                    p.answer_deferred
                };
                if !deferred {
                    peer.set_state(ChanState::Up);
                }
                peer.wake();
            }
        }
    }

    fn hangup(&self, chan: &Arc<Channel>) {
        self.half_gone(chan);
        // A half already hung up is out of the pair (`p->owner` or
        // `p->chan` is NULL): nothing is queued to it.
        let other = if chan.name.ends_with(";2") {
            &self.pvt.owner
        } else {
            &self.pvt.chan
        };
        if !other.load(Ordering::SeqCst) {
            return;
        }
        if let Some(peer) = chan.peer() {
            // The cause travels with the hangup request and becomes the
            // other half's when it has none (`ast_read` of the frame).
            let cause = chan.lock().hangupcause;
            // `;2` going first tells `;1` how its Dial ended.
            let status = if chan.name.ends_with(";2") {
                chan.get_var("DIALSTATUS")
            } else {
                None
            };
            {
                let mut p = peer.lock();
                if p.hangupcause == 0 || status.is_some() {
                    p.hangupcause = cause;
                }
            }
            if let Some(status) = status {
                peer.set_var_event("CHANLOCALSTATUS", &status);
            }
            // ast_queue_hangup_with_cause: announced as a HangupRequest.
            let tech_cause = peer.lock().tech_cause;
            peer.emit(crate::core::events::EventKind::HangupRequest {
                cause: Some(cause),
                tech_cause,
            });
            peer.softhangup_quiet(softhangup::DEV);
        }
    }

    /// `unreal_colp_redirect_indicate`: the other half's caller becomes
    /// this half's connected line, unannounced until that half next
    /// publishes a change. The update is also queued on the other half:
    /// while this half is still being called, for the Dial reading it
    /// there; once the other half is in a bridge, its bridge passes the
    /// frame it reads on to the other members (`bridge_channel_handle_control`).
    fn connected_line(&self, chan: &Arc<Channel>) {
        if let Some(peer) = chan.peer() {
            let connected = chan.lock().connected.clone();
            let ringing = chan.state() != ChanState::Up;
            {
                let mut p = peer.lock();
                if ringing {
                    p.pending_connected = Some(connected.id.clone());
                }
                p.caller.id = connected.id.clone();
                p.caller.ani = connected.ani;
            }
            if ringing {
                return;
            }
            if let Some(bridge) = peer.bridge() {
                for other in bridge.members() {
                    if !Arc::ptr_eq(&other, &peer) {
                        crate::channels::bridge::apply_connected_line(&other, connected.id.clone());
                    }
                }
            }
        }
    }

    /// `ast_unreal_indicate`: a cause frame goes on to the other half
    /// (and the core stores it here too).
    fn cause_code(&self, chan: &Arc<Channel>, cause: &crate::channels::causes::DialedCause) {
        if let Some(peer) = chan.peer() {
            crate::channels::causes::store(&mut peer.lock().cause_frames, cause.clone());
        }
    }

    /// `ast_unreal_indicate`: a flash or wink is queued on the other
    /// half, which reads it.
    fn hook_signal(&self, chan: &Arc<Channel>, signal: crate::channels::HookSignal) {
        if let Some(peer) = chan.peer() {
            peer.hook_signal_read(signal);
        }
    }

    fn indicate(&self, chan: &Arc<Channel>, condition: Indication) {
        if let Some(peer) = chan.peer() {
            let mut p = peer.lock();
            p.pending_indication = Some(condition);
            drop(p);
            if matches!(condition, Indication::Ringing) && peer.state() != ChanState::Up {
                peer.set_state(ChanState::Ringing);
            }
            peer.wake();
        }
    }
}

/// Creates a Local pair (`local_request`); `;1` comes first.
pub fn request(sys: &System, data: &str, init: NewChannel) -> (Arc<Channel>, Arc<Channel>) {
    let dest = parse_dest(data);
    let chans = &sys.pbx.channels;
    let seq = chans.next_tech_seq("Local");
    let base = format!("Local/{}@{}-{seq:08x}", dest.exten, dest.context);
    // The pair takes the call id of the task that asks for it (a Dial in
    // a call); one requested from outside a call gets its ids when each
    // half's dialplan starts.
    let callid = crate::core::logger::current_callid().unwrap_or(0);
    // The outbound half starts at the same place as the other (Asterisk
    // shows both at exten@context until something moves `;1`).
    let mut one_init = init.clone();
    if one_init.context.is_empty() {
        one_init.context = dest.context.clone();
        one_init.exten = dest.exten.clone();
        one_init.priority = 1;
    }
    let one = chans.alloc(format!("{base};1"), "Local", callid, one_init);
    let linkedid = one.lock().linkedid.clone();
    let two_init = NewChannel {
        context: dest.context.clone(),
        exten: dest.exten.clone(),
        priority: 1,
        state: Some(ChanState::Ring),
        caller: init.caller.clone(),
        language: init.language.clone(),
        musicclass: init.musicclass.clone(),
        accountcode: init.accountcode.clone(),
        linkedid: Some(linkedid),
        // `;2` gets `;1`'s variables when the call is placed (`call`).
        vars: Default::default(),
    };
    let two = chans.alloc(format!("{base};2"), "Local", callid, two_init);
    one.set_peer(&two);
    two.set_peer(&one);
    let pvt = Arc::new(LocalPvt {
        base: base.clone(),
        exten: dest.exten.clone(),
        context: dest.context.clone(),
        options: dest.options.clone(),
        owner: AtomicBool::new(true),
        chan: AtomicBool::new(true),
        caretaker: AtomicBool::new(false),
        no_optimize: AtomicBool::new(dest.options.contains('n')),
        optimizing: AtomicBool::new(false),
        optimized: AtomicBool::new(false),
    });
    one.set_media_port(Arc::new(LocalPort {
        me: Arc::downgrade(&one),
        other: Arc::downgrade(&two),
        pvt: pvt.clone(),
    }));
    two.set_media_port(Arc::new(LocalPort {
        me: Arc::downgrade(&two),
        other: Arc::downgrade(&one),
        pvt: pvt.clone(),
    }));
    chans.registry().link_local(pvt.clone());
    let driver: Arc<dyn Driver> = Arc::new(LocalDriver {
        pvt,
        sys: Arc::downgrade(&sys.arc()),
    });
    one.set_driver(driver.clone());
    two.set_driver(driver);
    (one, two)
}

/// `local_call` with `ast_unreal_call_setup`: `;2` takes every variable of
/// `;1` (each announced), `;1`'s connected line as its caller and `;1`'s
/// caller as its connected line; then, if the extension exists, the pair
/// is announced as bridged. The caller starts `;2`'s dialplan. Err is the
/// reason code of a failed call (0).
pub fn call(sys: &System, one: &Arc<Channel>, two: &Arc<Channel>) -> Result<(), u32> {
    let vars: Vec<(String, String)> = one
        .lock()
        .vars
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    for (n, v) in vars.iter().rev() {
        two.lock().vars.set(n, Some(v));
    }
    for (n, v) in &vars {
        two.emit(crate::core::events::EventKind::VarSet {
            variable: n.clone(),
            value: v.clone(),
        });
    }
    {
        // `ast_unreal_call_setup`: caller and connected line cross over,
        // as do the account codes; the language and music class follow.
        let (caller, connected, language, musicclass, accountcode, peeraccount) = {
            let d = one.lock();
            (
                d.caller.clone(),
                d.connected.clone(),
                d.language.clone(),
                d.musicclass.clone(),
                d.accountcode.clone(),
                d.peeraccount.clone(),
            )
        };
        let mut d = two.lock();
        d.caller.id = connected.id.clone();
        d.caller.ani = connected.ani.clone();
        d.connected.id = caller.id.clone();
        d.connected.ani = caller.ani.clone();
        d.language = language;
        d.musicclass = musicclass;
        d.accountcode = peeraccount;
        d.peeraccount = accountcode;
    }
    two.publish_snapshot();
    let (exten, context, cid) = {
        let d = two.lock();
        (
            d.exten.clone(),
            d.context.clone(),
            d.caller.id.number().map(str::to_string),
        )
    };
    let loaded = sys.loaded();
    if !crate::pbx::find::exists(&loaded.dialplan, &context, &exten, 1, cid.as_deref()) {
        sys.pbx.logger.notice(
            crate::site!("core_local.c", 755, "local_call"),
            None,
            &format!("No such extension/context {exten}@{context} while calling Local channel"),
        );
        return Err(0);
    }
    let optimize = !one
        .registry()
        .and_then(|r| r.local_of(one))
        .is_some_and(|pvt| pvt.options.contains('n'));
    one.emit(crate::core::events::EventKind::LocalBridge {
        two: Arc::new(two.snapshot()),
        context,
        exten,
        optimize,
    });
    // The caller starts `;2`'s dialplan next: the pair now counts as a
    // call in progress for its device.
    if let Some(pvt) = one.registry().and_then(|r| r.local_of(one)) {
        pvt.caretaker.store(true, Ordering::SeqCst);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(
            parse_dest("100@office/n"),
            LocalDest {
                exten: "100".into(),
                context: "office".into(),
                options: "n".into()
            }
        );
        assert_eq!(parse_dest("s").context, "default");
    }
}
