//! Placing calls from inside the PBX (`ast_pbx_outgoing_app` and
//! `ast_pbx_outgoing_exten`): request a channel, wait for it to answer,
//! then run an application or the dialplan on it. The CLI's `channel
//! originate`, AMI's Originate and call files all come through here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apps::AppCtx;
use crate::channels::sip::endpoint::Flavor;
use crate::channels::{ChanState, Channel, Indication, NewChannel, local};
use crate::core::System;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Application {
        app: String,
        data: String,
    },
    Extension {
        context: String,
        exten: String,
        priority: i32,
    },
}

#[derive(Clone, thiserror::Error)]
pub enum OriginateError {
    #[error("No such channel type '{0}'")]
    NoSuchTech(String),
    /// The call was placed but not answered; `reason` is the control
    /// code AMI reports (`AST_CONTROL_*`: 1 hangup, 3 no answer in time,
    /// 5 busy, 8 congestion, 0 when nothing came back).
    #[error("channel was not answered")]
    NotAnswered {
        reason: u32,
        channel: Option<Arc<Channel>>,
    },
}

impl std::fmt::Debug for OriginateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginateError::NoSuchTech(t) => write!(f, "NoSuchTech({t})"),
            OriginateError::NotAnswered { reason, channel } => write!(
                f,
                "NotAnswered({reason}, {:?})",
                channel.as_ref().map(|c| c.name.as_str())
            ),
        }
    }
}

impl OriginateError {
    /// Hangs up the channel a failed call left behind, if any.
    pub fn release(&self, sys: &System) {
        if let OriginateError::NotAnswered {
            channel: Some(c), ..
        } = self
        {
            if !c.is_dead() {
                crate::pbx::run::hangup_channel(sys, c);
            }
        }
    }

    /// `Reason:` of AMI's OriginateResponse.
    pub fn reason(&self) -> u32 {
        match self {
            OriginateError::NoSuchTech(_) => 0,
            OriginateError::NotAnswered { reason, .. } => *reason,
        }
    }
}

/// What the originator asks of the outgoing channel
/// (`__ast_request_and_dial`'s variables, caller ID and account).
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// Set in this order (Asterisk's list order).
    pub vars: Vec<(String, String)>,
    pub cid_num: Option<String>,
    pub cid_name: Option<String>,
    pub account: Option<String>,
    /// A subroutine run on the new channel before it is called
    /// (Originate's `b`, `ast_pre_call`): its caller ID, if it set one,
    /// is the call's.
    pub predial: Option<String>,
}

/// Prepares the outgoing channel as `ast_pbx_outgoing_*` do before the
/// call: it shows `AppDial2((Outgoing Line))`, runs the predial
/// subroutine, gets the variables, then the caller ID and the same
/// connected line.
async fn prepare_outgoing(sys: &Arc<System>, chan: &Arc<Channel>, out: &Outgoing) {
    {
        let mut d = chan.lock();
        d.appl = Some("AppDial2".into());
        d.data = Some("(Outgoing Line)".into());
    }
    chan.publish_snapshot();
    // The caller ID the predial subroutine set, if any, is the call's.
    let (mut cid_num, mut cid_name) = (out.cid_num.clone(), out.cid_name.clone());
    if let Some(sub) = &out.predial {
        let _ = crate::apps::dial::exec_sub(sys, chan, sub).await;
        let d = chan.lock();
        if let Some(n) = d.caller.id.number() {
            cid_num = Some(n.to_string());
        }
        if let Some(n) = d.caller.id.name() {
            cid_name = Some(n.to_string());
        }
    }
    for (n, v) in &out.vars {
        crate::pbx::set_var(sys, Some(chan), n, Some(v));
    }
    if let Some(acct) = &out.account {
        {
            let mut d = chan.lock();
            d.accountcode = acct.clone();
            d.peeraccount = acct.clone();
        }
        chan.publish_snapshot();
    }
    if cid_num.is_some() || cid_name.is_some() {
        {
            let mut d = chan.lock();
            if let Some(n) = &cid_num {
                d.caller.id.set_number(Some(n));
                d.caller.ani.set_number(Some(n));
            }
            if let Some(n) = &cid_name {
                d.caller.id.set_name(Some(n));
            }
        }
        chan.publish_snapshot();
        {
            let mut d = chan.lock();
            d.connected.id.set_number(cid_num.as_deref());
            d.connected.id.set_name(cid_name.as_deref());
        }
        chan.publish_snapshot();
    }
}

/// Requests an outbound channel of any technology Asterism drives and
/// places the call. Returns the channel to wait on, after starting
/// whatever runs the far side (for Local, the `;2` half's dialplan).
pub async fn request(
    sys: &Arc<System>,
    tech_data: &str,
    init: NewChannel,
    out: &Outgoing,
) -> Result<Arc<Channel>, OriginateError> {
    let (tech, data) = tech_data.split_once('/').unwrap_or((tech_data, ""));
    let flavor = if tech.eq_ignore_ascii_case("SIP") {
        Some(Flavor::ChanSip)
    } else if tech.eq_ignore_ascii_case("PJSIP") {
        Some(Flavor::Pjsip)
    } else {
        None
    };
    if let Some(stack) = flavor.and_then(|f| crate::channels::sip::stack_of(sys, f)) {
        // The driver says why it has no channel (unknown or unreachable
        // device); Originate reports no reason and no channel.
        let (chan, call) =
            stack
                .request(sys, data, None)
                .await
                .map_err(|_| OriginateError::NotAnswered {
                    reason: 0,
                    channel: None,
                })?;
        prepare_outgoing(sys, &chan, out).await;
        // A chan_sip peer at its call limit cannot be called: no state
        // was reached (reason 0), and the channel goes once reported.
        if stack.call(sys, call).is_err() {
            sys.pbx.logger.notice(
                crate::site!("channel.c", 6165, "__ast_request_and_dial"),
                None,
                &format!("Unable to call channel {tech}/{data}"),
            );
            return Err(OriginateError::NotAnswered {
                reason: 0,
                channel: Some(chan),
            });
        }
        dial_begin(sys, &chan, data);
        return Ok(chan);
    }
    if !tech.eq_ignore_ascii_case("Local") {
        sys.pbx.logger.warning(
            crate::site!("channel.c", 6349, "request_channel"),
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        return Err(OriginateError::NoSuchTech(tech.to_string()));
    }
    let (one, two) = local::request(sys, data, init);
    prepare_outgoing(sys, &one, out).await;
    if let Err(reason) = local::call(sys, &one, &two) {
        // `;2` goes now; `;1` stays with the error until whoever
        // placed the call has reported it (see `OriginateError::release`).
        // Nothing runs on `;2` yet: it goes without telling `;1`.
        two.softhangup_quiet(crate::channels::softhangup::DEV);
        local::unlink(&two);
        sys.pbx.channels.unregister(&two);
        return Err(OriginateError::NotAnswered {
            reason,
            channel: Some(one),
        });
    }
    dial_begin(sys, &one, data);
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: two,
    };
    crate::pbx::run::pbx_start_or_hang_up(ctx);
    Ok(one)
}

/// The call has been placed: DialBegin without a caller, and the verbose
/// line.
pub(crate) fn dial_begin(sys: &System, chan: &Arc<Channel>, data: &str) {
    chan.emit(crate::core::events::EventKind::DialBegin {
        dialstring: data.to_string(),
    });
    sys.pbx.logger.verbose(
        3,
        crate::site!("dial.c", 474, "begin_dial_channel"),
        None,
        &format!("Called {data}"),
    );
}

/// `pbx_dial_reason` for a call that ended unanswered: the control code
/// its hangup cause stands for (busy, congestion, "was ringing"), else 0.
fn unanswered_reason(cause: u32) -> u32 {
    match cause {
        17 => 5,
        21 | 27 | 34 | 38 | 41 | 42 => 8,
        19 | 26 => 3,
        _ => 0,
    }
}

/// `ast_hangup_cause_to_dial_status`: the DialEnd status of a called
/// channel that hung up.
fn hangup_dial_status(cause: u32) -> &'static str {
    match cause {
        17 => "BUSY",
        34 => "CONGESTION",
        3 | 20 => "CHANUNAVAIL",
        _ => "NOANSWER",
    }
}

/// How a wait for answer ended.
enum Outcome {
    Answered,
    Busy,
    Congestion,
    Gone,
    Timeout,
}

/// `early_media`: progress counts as the answer (a call file's
/// `early_media: yes`, `pbx_outgoing_state_callback`).
async fn wait_answer(chan: &Arc<Channel>, timeout: Duration, early_media: bool) -> Outcome {
    let deadline = Instant::now() + timeout;
    let mut ringing = false;
    loop {
        let notified = chan.wake_handle().notified();
        match chan.state() {
            ChanState::Up => return Outcome::Answered,
            ChanState::Ringing if !ringing => {
                ringing = true;
                chan.emit(crate::core::events::EventKind::DialState {
                    status: "RINGING".into(),
                });
            }
            _ => {}
        }
        let pending = chan.lock().pending_indication.take();
        match pending {
            Some(Indication::Busy) => return Outcome::Busy,
            Some(Indication::Congestion) => return Outcome::Congestion,
            Some(Indication::Progress) if early_media => {
                chan.set_state(ChanState::Up);
                return Outcome::Answered;
            }
            _ => {}
        }
        if chan.check_hangup() {
            return Outcome::Gone;
        }
        let now = Instant::now();
        if now >= deadline {
            return Outcome::Timeout;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {}
        }
    }
}

/// Originates a call and runs `target` on it once answered. Returns when
/// the outbound channel is up (the target then runs in its own task), or
/// with the reason it never came up.
pub async fn originate(
    sys: Arc<System>,
    tech_data: &str,
    target: Target,
    timeout: Duration,
    init: NewChannel,
    out: &Outgoing,
) -> Result<Arc<Channel>, OriginateError> {
    originate_then(sys, tech_data, target, timeout, init, out, |_| {}).await
}

/// [`originate`], calling `on_up` once the channel is up and before the
/// target starts: what it announces (AMI's OriginateResponse) then comes
/// before anything the target does, however the tasks are scheduled.
pub async fn originate_then(
    sys: Arc<System>,
    tech_data: &str,
    target: Target,
    timeout: Duration,
    init: NewChannel,
    out: &Outgoing,
    on_up: impl FnOnce(&Arc<Channel>),
) -> Result<Arc<Channel>, OriginateError> {
    let chan = originate_dial(&sys, tech_data, timeout, init, out, false).await?;
    on_up(&chan);
    start_target(&sys, &chan, target);
    Ok(chan)
}

/// `AST_OUTGOING_NO_WAIT`: the channel is requested and called now (Err
/// when no channel could be had); the wait for the answer and the target
/// then go on in a task of their own.
pub async fn originate_no_wait(
    sys: Arc<System>,
    tech_data: &str,
    target: Target,
    timeout: Duration,
    out: &Outgoing,
) -> Result<(), OriginateError> {
    let chan = request(&sys, tech_data, NewChannel::default(), out).await?;
    tokio::spawn(async move {
        match await_answer(&sys, chan, timeout, false).await {
            Ok(chan) => start_target(&sys, &chan, target),
            Err(e) => e.release(&sys),
        }
    });
    Ok(())
}

/// Runs `target` on the answered channel, in a task of its own.
fn start_target(sys: &Arc<System>, chan: &Arc<Channel>, target: Target) {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    match target {
        Target::Application { app, data } => {
            tokio::spawn(run_app(ctx, app, data));
        }
        Target::Extension {
            context,
            exten,
            priority,
        } => {
            set_location(chan, &context, &exten, priority);
            crate::pbx::run::pbx_start_or_hang_up(ctx);
        }
    }
}

/// Places the call and waits for it to be answered (DialEnd ANSWER), or
/// says why it was not (the channel then hung up).
async fn originate_dial(
    sys: &Arc<System>,
    tech_data: &str,
    timeout: Duration,
    init: NewChannel,
    out: &Outgoing,
    early_media: bool,
) -> Result<Arc<Channel>, OriginateError> {
    let chan = request(sys, tech_data, init, out).await?;
    await_answer(sys, chan, timeout, early_media).await
}

/// Waits for a requested and called channel to answer (DialEnd ANSWER),
/// or says why it did not (the channel then hung up).
pub(crate) async fn await_answer(
    sys: &Arc<System>,
    chan: Arc<Channel>,
    timeout: Duration,
    early_media: bool,
) -> Result<Arc<Channel>, OriginateError> {
    let outcome = wait_answer(&chan, timeout, early_media).await;
    let dial_end = |status: &str| {
        chan.emit(crate::core::events::EventKind::DialEnd {
            status: status.to_string(),
        })
    };
    match outcome {
        Outcome::Answered => {
            dial_end("ANSWER");
            sys.pbx.logger.verbose(
                3,
                crate::site!("dial.c", 588, "handle_frame"),
                None,
                &format!("{} answered", chan.name),
            );
        }
        Outcome::Timeout => {
            // `handle_timeout_trip`: no dial status is published; the
            // channel is hung up with cause NO_ANSWER, which Originate
            // reports as "was ringing" (AST_CONTROL_RINGING, 3), whether
            // or not it rang.
            chan.lock().hangupcause = crate::channels::causes::NO_ANSWER;
            crate::pbx::run::hangup_channel(sys, &chan);
            return Err(OriginateError::NotAnswered {
                reason: 3,
                channel: Some(chan),
            });
        }
        other => {
            let (status, reason) = match other {
                Outcome::Busy => ("BUSY", 5),
                Outcome::Congestion => ("CONGESTION", 8),
                // The called channel hung up unanswered: the reason
                // comes from its cause (`pbx_dial_reason`).
                _ => {
                    let cause = chan.lock().hangupcause;
                    (hangup_dial_status(cause), unanswered_reason(cause))
                }
            };
            dial_end(status);
            match other {
                Outcome::Busy => sys.pbx.logger.verbose(
                    3,
                    crate::site!("dial.c", 598, "handle_frame"),
                    None,
                    &format!("{} is busy", chan.name),
                ),
                Outcome::Congestion => sys.pbx.logger.verbose(
                    3,
                    crate::site!("dial.c", 605, "handle_frame"),
                    None,
                    &format!("{} is circuit-busy", chan.name),
                ),
                _ => {}
            }
            crate::pbx::run::hangup_channel(sys, &chan);
            return Err(OriginateError::NotAnswered {
                reason,
                channel: Some(chan),
            });
        }
    }
    Ok(chan)
}

/// `ast_pbx_outgoing_*` with `AST_OUTGOING_WAIT_COMPLETE` (call files):
/// the call is placed and, once answered, `target` runs in this task; it
/// returns when the target is done and the channel hung up.
pub async fn originate_complete(
    sys: Arc<System>,
    tech_data: &str,
    target: Target,
    timeout: Duration,
    out: &Outgoing,
    early_media: bool,
) -> Result<(), OriginateError> {
    let chan = originate_dial(
        &sys,
        tech_data,
        timeout,
        NewChannel::default(),
        out,
        early_media,
    )
    .await?;
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    match target {
        Target::Application { app, data } => run_app(ctx, app, data).await,
        Target::Extension {
            context,
            exten,
            priority,
        } => {
            set_location(&chan, &context, &exten, priority);
            crate::pbx::run::pbx_run_or_hang_up(ctx).await;
        }
    }
    Ok(())
}

fn set_location(chan: &Channel, context: &str, exten: &str, priority: i32) {
    let mut d = chan.lock();
    d.set_context(context);
    d.set_exten(exten);
    d.priority = priority;
}

/// `pbx_outgoing_exec` for an application: the application runs on the
/// answered channel, which is then hung up.
async fn run_app(ctx: AppCtx, app: String, data: String) {
    // Unlike a PBX, this thread binds no call id: the channel's lines
    // carry one only if its driver gave it one.
    let callid = ctx.chan.callid();
    let run = async {
        match crate::apps::find(&app) {
            Some(a) => {
                ctx.verbose(
                    4,
                    crate::site!("pbx.c", 7713, "pbx_outgoing_exec"),
                    &format!("Launching {}({}) on {}", a.name, data, ctx.chan.name),
                );
                let _ = crate::apps::exec(&ctx, a, &data).await;
            }
            None => {
                ctx.warning(
                    crate::site!("pbx.c", 7717, "pbx_outgoing_exec"),
                    &format!("No such application '{app}'"),
                );
            }
        }
        // ast_pbx_outgoing_app hangs up without making up a cause.
        crate::pbx::run::hangup_channel(&ctx.sys, &ctx.chan);
    };
    if callid == 0 {
        run.await;
    } else {
        crate::core::logger::CALLID.scope(callid, run).await;
    }
}

/// A synchronous originate to an extension that failed goes on at the
/// context's `failed` extension, when there is one, on a channel of its
/// own (`OutgoingSpoolFailed`, with `REASON` and the call's variables),
/// run to its end (`ast_pbx_outgoing_exten_predial`).
pub async fn run_failed_extension(sys: &Arc<System>, context: &str, reason: u32, out: &Outgoing) {
    let exists = {
        let loaded = sys.loaded();
        crate::pbx::find::exists(
            &loaded.dialplan,
            context,
            "failed",
            1,
            out.cid_num.as_deref(),
        )
    };
    if !exists {
        return;
    }
    let mut caller = crate::channels::Caller::default();
    caller.id.set_number(out.cid_num.as_deref());
    caller.id.set_name(out.cid_name.as_deref());
    let chan = sys.pbx.channels.alloc(
        "OutgoingSpoolFailed".into(),
        "",
        0,
        NewChannel {
            context: context.to_string(),
            exten: "failed".into(),
            priority: 1,
            state: Some(ChanState::Down),
            caller,
            accountcode: out.account.clone().unwrap_or_default(),
            ..Default::default()
        },
    );
    crate::pbx::set_var(sys, Some(&chan), "REASON", Some(&reason.to_string()));
    for (n, v) in &out.vars {
        crate::pbx::set_var(sys, Some(&chan), n, Some(v));
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan,
    };
    crate::pbx::run::pbx_run_or_hang_up(ctx).await;
}
