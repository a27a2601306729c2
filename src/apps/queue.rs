//! Queue, AddQueueMember, RemoveQueueMember, PauseQueueMember,
//! UnpauseQueueMember and QueueLog (Asterisk's `apps/app_queue.c`). The
//! queues' state is in `crate::queue`; members are rung with Dial's
//! machinery (`apps::dial`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dial::{self, Connected};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::{ChanState, Channel, Indication};
use crate::config::views::queues::Strategy;
use crate::core::devicestate::{DeviceState, device_state};
use crate::queue::strategy::{Candidate, pick};
use crate::queue::{self, Entry, Res, log::queue_log, publish_call};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Queue",
            run: Run::Wait(queue_app),
            synopsis: "Waits in a call queue until a member answers.",
            syntax: "Queue(queuename[,options[,URL[,announceoverride[,timeout[,AGI[,macro[,gosub[,rule[,position]]]]]]]]])",
        },
        App {
            name: "AddQueueMember",
            run: Run::Now(add_member_app),
            synopsis: "Adds a dynamic member to a queue.",
            syntax: "AddQueueMember(queuename[,interface[,penalty[,options[,membername[,stateinterface[,wrapuptime]]]]]])",
        },
        App {
            name: "RemoveQueueMember",
            run: Run::Now(remove_member_app),
            synopsis: "Removes a dynamic member from a queue.",
            syntax: "RemoveQueueMember(queuename[,interface])",
        },
        App {
            name: "PauseQueueMember",
            run: Run::Now(pause_member_app),
            synopsis: "Pauses a queue member.",
            syntax: "PauseQueueMember([queuename],interface[,options[,reason]])",
        },
        App {
            name: "UnpauseQueueMember",
            run: Run::Now(unpause_member_app),
            synopsis: "Unpauses a queue member.",
            syntax: "UnpauseQueueMember([queuename],interface[,options[,reason]])",
        },
        App {
            name: "QueueLog",
            run: Run::Now(queue_log_app),
            synopsis: "Writes a line of its own to queue_log.",
            syntax: "QueueLog(queuename,uniqueid,agent,event[,additionalinfo])",
        },
    ]
}

/// Queue's option letters Asterism acts on; the others are reported by
/// check-config (`unsupported_uses`).
pub const SUPPORTED_OPTIONS: &str = "rtThHnixXcCkKwWm";

/// The option letters of a Queue call that Asterism does not act on.
pub fn unsupported_options(data: &str) -> Vec<char> {
    let args = split_args(data, ',');
    let opts = args.get(1).map(String::as_str).unwrap_or("");
    let mut out: Vec<char> = dial::parse_options(opts)
        .into_keys()
        .filter(|c| !SUPPORTED_OPTIONS.contains(*c))
        .collect();
    out.sort_unstable();
    out
}

/// The Queue arguments Asterism does not act on, when given (check-config
/// names each).
pub fn unsupported_args(data: &str) -> Vec<String> {
    let args = split_args(data, ',');
    [
        (3, "announceoverride"),
        (5, "AGI"),
        (6, "macro"),
        (7, "gosub"),
        (8, "rule"),
        (9, "position"),
    ]
    .iter()
    .filter(|(i, _)| args.get(*i).is_some_and(|a| !a.trim().is_empty()))
    .map(|(_, name)| format!("Queue argument '{name}' is not supported by Asterism"))
    .collect()
}

/// `set_queue_result`.
fn set_result(ctx: &AppCtx, status: &str) {
    ctx.set_var("QUEUESTATUS", Some(status));
}

/// The channel's uniqueid (queue_log's call id).
fn uid(chan: &Channel) -> String {
    chan.uniqueid.clone()
}

fn queue_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { queue_exec(ctx, &data).await })
}

/// Why a caller left the queue without being connected.
enum Left {
    /// Hung up while waiting (ABANDON).
    Abandon,
    /// The application's timeout passed (EXITWITHTIMEOUT).
    Timeout,
    /// No member left to take the call (EXITEMPTY).
    LeaveEmpty,
    /// `n`: every member was tried once.
    TimeoutCycle,
    /// QueueWithdrawCaller took it out (WITHDRAW), with its info.
    Withdraw(String),
}

async fn queue_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.trim().is_empty() {
        ctx.warning(
            crate::site!("app_queue.c", 8952, "queue_exec"),
            "Queue requires an argument: queuename[,options[,URL[,announceoverride[,timeout[,agi[,macro[,gosub[,rule[,position]]]]]]]]]",
        );
        return Err(AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let qname = arg(0).to_string();
    let opts = dial::parse_options(arg(1));
    let url = arg(2).to_string();
    let sys = &ctx.sys;
    let chan = ctx.chan.clone();
    for v in [
        "ANSWEREDTIME",
        "ANSWEREDTIME_MS",
        "DIALEDTIME",
        "DIALEDTIME_MS",
        "QUEUEWAIT",
        "QUEUEWAIT_MS",
    ] {
        ctx.set_var(v, Some(""));
    }
    let start = Instant::now();
    let start_secs = crate::core::unix_seconds();
    ctx.set_var("ABANDONED", None);
    // app_queue keeps its expiry in whole seconds (`time(NULL)`), so a
    // caller leaves at the first check once the second has turned, not
    // at the exact instant. A timeout of 0 expires at once.
    let expire = (!arg(4).trim().is_empty())
        .then(|| start_secs + i64::from(crate::config::views::values::atoi_i32(arg(4)).max(0)));
    let expired = || expire.is_some_and(|e| crate::core::unix_seconds() >= e);
    let prio = match ctx.var("QUEUE_PRIO") {
        Some(p) => match p.trim().parse::<i32>() {
            Ok(n) => n,
            Err(_) => {
                ctx.warning(
                    crate::site!("app_queue.c", 9053, "queue_exec"),
                    &format!(
                        "${{QUEUE_PRIO}}: Invalid value ({p}), channel {}.",
                        chan.name
                    ),
                );
                0
            }
        },
        None => 0,
    };

    // join_queue
    let joined = sys.queues.with_queue(sys, &qname, |q| {
        if q.cfg.joinempty != 0 && !q.has_usable_member(sys, q.cfg.joinempty) {
            return Err("JOINEMPTY");
        }
        if q.cfg.maxlen > 0 && q.callers.len() >= q.cfg.maxlen as usize {
            return Err("FULL");
        }
        // Higher priorities go ahead of lower ones.
        let at = q
            .callers
            .iter()
            .position(|e| e.prio < prio)
            .unwrap_or(q.callers.len());
        q.callers.insert(
            at,
            Entry {
                chan: chan.clone(),
                start,
                start_secs,
                opos: at + 1,
                prio,
                withdraw: None,
            },
        );
        Ok((q.cfg.clone(), at + 1, q.callers.len()))
    });
    let (cfg, opos, count) = match joined {
        Some(Ok(j)) => j,
        other => {
            ctx.warning(
                crate::site!("app_queue.c", 9063, "queue_exec"),
                &format!("Unable to join queue '{qname}'"),
            );
            let status = match other {
                Some(Err(s)) => s,
                _ => "UNKNOWN",
            };
            set_result(ctx, status);
            return Ok(());
        }
    };
    let qname = cfg.name.clone();
    if count == 1 {
        queue::queue_devstate(sys, &qname, true);
    }
    publish_call(
        sys,
        "QueueCallerJoin",
        &chan,
        None,
        format!("Queue: {qname}\r\nPosition: {opos}\r\nCount: {count}\r\n"),
    );
    let cid = chan.lock().caller.id.number().unwrap_or("").to_string();
    queue_log(
        sys,
        &qname,
        &uid(&chan),
        "NONE",
        "ENTERQUEUE",
        &format!("{url}|{cid}|{opos}"),
    );

    let ringing = opts.contains_key(&'r');
    let moh_class = match opts.get(&'m') {
        Some(Some(c)) if !c.is_empty() => c.clone(),
        _ => cfg.musicclass.clone(),
    };
    let start_waiting = |ctx: &AppCtx| {
        if ringing {
            ctx.chan.indicate(Indication::Ringing);
        } else {
            let _ =
                super::moh::moh_start(ctx, (!moh_class.is_empty()).then_some(moh_class.as_str()));
        }
    };
    start_waiting(ctx);

    let mut tries = 0usize;
    let mut linpos = 0usize;
    let outcome: Result<Option<AppResult>, Left> = 'main: loop {
        // wait_our_turn: first in line (or within autofill's reach).
        loop {
            if chan.check_hangup() {
                break 'main Err(Left::Abandon);
            }
            // A withdrawal is seen at each check, before the timeout.
            let withdraw = sys
                .queues
                .with_queue(sys, &qname, |q| {
                    q.callers
                        .iter()
                        .find(|e| Arc::ptr_eq(&e.chan, &chan))
                        .and_then(|e| e.withdraw.clone())
                })
                .flatten();
            if let Some(info) = withdraw {
                break 'main Err(Left::Withdraw(info));
            }
            if expired() {
                break 'main Err(Left::Timeout);
            }
            let (turn, empty) = sys
                .queues
                .with_queue(sys, &qname, |q| {
                    let pos = q
                        .callers
                        .iter()
                        .position(|e| Arc::ptr_eq(&e.chan, &chan))
                        .map(|p| p + 1)
                        .unwrap_or(1);
                    let idle = q
                        .members
                        .iter()
                        .filter(|m| {
                            !m.paused
                                && matches!(
                                    device_state(sys, &m.state_interface),
                                    DeviceState::NotInUse | DeviceState::Unknown
                                )
                        })
                        .count();
                    let turn = pos == 1 || (q.cfg.autofill && pos <= idle);
                    let empty = q.cfg.leavewhenempty != 0
                        && !q.has_usable_member(sys, q.cfg.leavewhenempty);
                    (turn, empty)
                })
                .unwrap_or((true, false));
            if empty {
                break 'main Err(Left::LeaveEmpty);
            }
            if turn {
                break;
            }
            let _ = chan.sleep(Duration::from_secs(1)).await;
        }
        if expired() {
            break Err(Left::Timeout);
        }
        match try_calling(ctx, &qname, &opts, expire, &mut linpos, &start_waiting).await {
            Tried::Connected(res) => break Ok(Some(res)),
            Tried::CallerGone => break Err(Left::Abandon),
            Tried::NoAnswer => tries += 1,
            Tried::NotTried => {}
        }
        let cfg = sys
            .queues
            .with_queue(sys, &qname, |q| q.cfg.clone())
            .unwrap_or_else(|| cfg.clone());
        if cfg.leavewhenempty != 0
            && !sys
                .queues
                .with_queue(sys, &qname, |q| {
                    q.has_usable_member(sys, cfg.leavewhenempty)
                })
                .unwrap_or(false)
        {
            break Err(Left::LeaveEmpty);
        }
        let members = sys
            .queues
            .with_queue(sys, &qname, |q| q.members.len())
            .unwrap_or(0);
        if opts.contains_key(&'n') && tries >= members {
            ctx.verbose(
                3,
                crate::site!("app_queue.c", 9258, "queue_exec"),
                "Exiting on time-out cycle",
            );
            break Err(Left::TimeoutCycle);
        }
        if expired() {
            break Err(Left::Timeout);
        }
        // wait_a_bit: the whole `retry` before the next round, even past
        // the expiry (checked after it).
        let wait = Duration::from_secs(cfg.retry.max(0) as u64);
        if chan.sleep(wait).await.is_err() && chan.check_hangup() {
            break Err(Left::Abandon);
        }
    };

    let pos = position(sys, &qname, &chan);
    let waited = crate::core::unix_seconds() - start_secs;
    let mut res: AppResult = Ok(());
    let mut status = None;
    match &outcome {
        Ok(Some(r)) => res = *r,
        Ok(None) => {}
        Err(Left::Abandon) => {
            record_abandoned(ctx, &qname, pos, opos, start_secs);
            queue_log(
                sys,
                &qname,
                &uid(&chan),
                "NONE",
                "ABANDON",
                &format!("{pos}|{opos}|{waited}"),
            );
            res = Err(AppExit::Hangup);
        }
        Err(Left::Timeout | Left::TimeoutCycle) => {
            record_abandoned(ctx, &qname, pos, opos, start_secs);
            queue_log(
                sys,
                &qname,
                &uid(&chan),
                "NONE",
                "EXITWITHTIMEOUT",
                &format!("{pos}|{opos}|{waited}"),
            );
            status = Some("TIMEOUT");
        }
        Err(Left::LeaveEmpty) => {
            record_abandoned(ctx, &qname, pos, opos, start_secs);
            queue_log(
                sys,
                &qname,
                &uid(&chan),
                "NONE",
                "EXITEMPTY",
                &format!("{pos}|{opos}|{waited}"),
            );
            status = Some("LEAVEEMPTY");
        }
        // Logged once the wait's variables are set, below.
        Err(Left::Withdraw(_)) => status = Some("WITHDRAW"),
    }
    if ctx.var("QUEUEWAIT").is_none_or(|v| v.is_empty()) {
        dial::set_duration(ctx, "QUEUEWAIT", Duration::from_secs(waited.max(0) as u64));
    }
    if ctx.var("DIALEDTIME").is_none_or(|v| v.is_empty()) {
        dial::set_duration(ctx, "DIALEDTIME", chan.created_at.elapsed());
    }
    if ctx.var("ANSWEREDTIME").is_none_or(|v| v.is_empty()) {
        dial::set_duration(ctx, "ANSWEREDTIME", Duration::ZERO);
    }
    if let Err(Left::Withdraw(info)) = &outcome {
        record_abandoned(ctx, &qname, pos, opos, start_secs);
        let short: String = info.chars().take(40).collect();
        queue_log(
            sys,
            &qname,
            &uid(&chan),
            "NONE",
            "WITHDRAW",
            &format!("{pos}|{opos}|{waited}|{short}"),
        );
        ctx.set_var("QUEUE_WITHDRAW_INFO", Some(info));
    }
    if res.is_ok() && !matches!(outcome, Ok(Some(_))) {
        stop_waiting(ctx, ringing);
    }
    if opts.contains_key(&'c')
        && res.is_err()
        && matches!(outcome, Ok(Some(_)))
        && !chan.check_hangup()
    {
        // `c`: the caller goes on in the dialplan when the member hangs up.
        status = Some("CONTINUE");
        res = Ok(());
    }
    queue::set_queue_variables(sys, &qname, &chan);
    leave(ctx, &qname, &chan);
    if let Some(s) = status {
        set_result(ctx, s);
    }
    res
}

fn stop_waiting(ctx: &AppCtx, ringing: bool) {
    if !ringing {
        super::moh::moh_stop(ctx);
    }
}

/// The caller's place in line now (1 first).
fn position(sys: &crate::core::System, qname: &str, chan: &Arc<Channel>) -> usize {
    sys.queues
        .with_queue(sys, qname, |q| {
            q.callers
                .iter()
                .position(|e| Arc::ptr_eq(&e.chan, chan))
                .map(|p| p + 1)
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// `record_abandoned`: ABANDONED, the counters, QueueCallerAbandon.
fn record_abandoned(ctx: &AppCtx, qname: &str, pos: usize, opos: usize, start_secs: i64) {
    let sys = &ctx.sys;
    ctx.set_var("ABANDONED", Some("TRUE"));
    queue::set_queue_variables(sys, qname, &ctx.chan);
    let held = crate::core::unix_seconds() - start_secs;
    sys.queues.with_queue(sys, qname, |q| {
        if held <= q.cfg.servicelevel as i64 {
            q.abandoned_in_sl += 1;
        }
        q.abandoned += 1;
    });
    publish_call(
        sys,
        "QueueCallerAbandon",
        &ctx.chan,
        None,
        format!(
            "Queue: {qname}\r\nPosition: {pos}\r\nOriginalPosition: {opos}\r\nHoldTime: {held}\r\n"
        ),
    );
}

/// `leave_queue`: out of the line, QueueCallerLeave, the positions behind.
fn leave(ctx: &AppCtx, qname: &str, chan: &Arc<Channel>) {
    let sys = &ctx.sys;
    let left = sys.queues.with_queue(sys, qname, |q| {
        let i = q.callers.iter().position(|e| Arc::ptr_eq(&e.chan, chan))?;
        q.callers.remove(i);
        Some((i + 1, q.callers.len()))
    });
    let Some(Some((pos, count))) = left else {
        return;
    };
    if count == 0 {
        queue::queue_devstate(sys, qname, false);
    }
    publish_call(
        sys,
        "QueueCallerLeave",
        chan,
        None,
        format!("Queue: {qname}\r\nPosition: {pos}\r\nCount: {count}\r\n"),
    );
    ctx.set_var("QUEUEPOSITION", Some(&pos.to_string()));
}

/// How one round of ringing members went.
enum Tried {
    Connected(AppResult),
    CallerGone,
    NoAnswer,
    /// The caller's time ran out before anyone was called.
    NotTried,
}

/// A member being rung.
struct Ringing {
    chan: Arc<Channel>,
    interface: String,
    membername: String,
    ringing_seen: bool,
}

/// The members a caller may ring now (`can_ring_entry`), as candidates
/// for the strategy, with their interfaces and names.
fn candidates(
    sys: &crate::core::System,
    qname: &str,
    exclude: &[String],
) -> (Strategy, usize, Vec<(Candidate, String, String)>) {
    sys.queues
        .with_queue(sys, qname, |q| {
            let now = crate::core::unix_seconds();
            let list = q
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    if m.paused || m.in_wrapup(&q.cfg, now) || exclude.contains(&m.interface) {
                        return false;
                    }
                    if !m.ringinuse {
                        let st = device_state(sys, &m.state_interface);
                        if m.in_call
                            || m.ringing
                            || !matches!(st, DeviceState::NotInUse | DeviceState::Unknown)
                        {
                            return false;
                        }
                    }
                    true
                })
                .map(|(pos, m)| {
                    (
                        Candidate {
                            pos,
                            penalty: m.penalty,
                            calls: m.calls,
                            lastcall: m.lastcall,
                        },
                        m.interface.clone(),
                        m.membername.clone(),
                    )
                })
                .collect();
            (q.cfg.strategy, q.rrpos, list)
        })
        .unwrap_or((Strategy::RingAll, 0, Vec::new()))
}

fn set_member_ringing(sys: &crate::core::System, qname: &str, interface: &str, on: bool) {
    sys.queues.with_queue(sys, qname, |q| {
        if let Some(m) = q
            .members
            .iter_mut()
            .find(|m| m.interface.eq_ignore_ascii_case(interface))
        {
            m.ringing = on;
        }
    });
}

/// `ring_one`: rings the next members the strategy picks until one call
/// is placed (or, for ringall, the best group). Members that cannot be
/// called are skipped.
async fn ring_next(
    ctx: &AppCtx,
    qname: &str,
    tried: &mut Vec<String>,
    linpos: &mut usize,
    out: &mut Vec<Ringing>,
) {
    let sys = &ctx.sys;
    let caller = ctx.chan.clone();
    loop {
        let (strategy, rrpos, cands) = candidates(sys, qname, tried);
        if cands.is_empty() {
            return;
        }
        let base = if strategy == Strategy::Linear {
            *linpos
        } else {
            rrpos
        };
        let only: Vec<Candidate> = cands.iter().map(|c| c.0).collect();
        let mut rng = |n: u32| {
            if n == 0 {
                0
            } else {
                (crate::funcs::rand::random() as u64 % n as u64) as u32
            }
        };
        let chosen = pick(strategy, &only, base, crate::core::unix_seconds(), &mut rng);
        let mut placed = false;
        for pos in chosen {
            let Some((cand, interface, membername)) =
                cands.iter().find(|c| c.0.pos == pos).cloned()
            else {
                continue;
            };
            tried.push(interface.clone());
            // The next round starts after this member (`store_next`).
            match strategy {
                Strategy::Linear => *linpos = cand.pos + 1,
                Strategy::RrMemory | Strategy::RrOrdered => {
                    sys.queues.with_queue(sys, qname, |q| {
                        q.rrpos = cand.pos + 1;
                        if q.rrpos >= q.members.len() {
                            q.rrpos = 0;
                        }
                    });
                }
                _ => {}
            }
            match dial::request(sys, &caller, &interface).await {
                Err(_) => {
                    ctx.verbose(
                        3,
                        crate::site!("app_queue.c", 5103, "ring_entry"),
                        &format!("Couldn't call {interface}"),
                    );
                }
                Ok((leg, start)) => {
                    let number = interface
                        .split_once('/')
                        .map(|(_, n)| n)
                        .unwrap_or(&interface);
                    caller.inherit_variables_to(&leg);
                    dial::set_up_leg(
                        &caller,
                        &leg,
                        number,
                        "AppQueue",
                        &dial::LegSetup::default(),
                    );
                    if dial::place(sys, &leg, start).is_err() {
                        ctx.verbose(
                            3,
                            crate::site!("app_queue.c", 5121, "ring_entry"),
                            &format!("Couldn't call {interface}"),
                        );
                        continue;
                    }
                    publish_call(
                        sys,
                        "AgentCalled",
                        &caller,
                        Some(&leg),
                        format!(
                            "Queue: {qname}\r\nInterface: {interface}\r\nMemberName: {membername}\r\n"
                        ),
                    );
                    dial::publish_dial(
                        sys,
                        &caller,
                        &leg,
                        "DialBegin",
                        format!("DialString: {interface}\r\n"),
                    );
                    ctx.verbose(
                        3,
                        crate::site!("app_queue.c", 5139, "ring_entry"),
                        &format!("Called {interface}"),
                    );
                    set_member_ringing(sys, qname, &interface, true);
                    out.push(Ringing {
                        chan: leg,
                        interface,
                        membername,
                        ringing_seen: false,
                    });
                    placed = true;
                }
            }
        }
        if placed {
            return;
        }
    }
}

/// `rna`: a member rang out.
fn ring_no_answer(ctx: &AppCtx, qname: &str, r: &Ringing, ms: u128) {
    let sys = &ctx.sys;
    ctx.verbose(
        3,
        crate::site!("app_queue.c", 5374, "rna"),
        &format!("Nobody picked up in {ms} ms"),
    );
    publish_call(
        sys,
        "AgentRingNoAnswer",
        &ctx.chan,
        Some(&r.chan),
        format!(
            "Queue: {qname}\r\nInterface: {}\r\nMemberName: {}\r\nRingTime: {ms}\r\n",
            r.interface, r.membername
        ),
    );
    queue_log(
        sys,
        qname,
        &uid(&ctx.chan),
        &r.membername,
        "RINGNOANSWER",
        &ms.to_string(),
    );
}

/// `hangupcalls`: DialEnd CANCEL and a hangup for each leg left.
fn hang_up_all(ctx: &AppCtx, qname: &str, legs: &mut Vec<Ringing>, cause: Option<u32>) {
    // Without a cause of their own the legs go with the caller's, or
    // Normal Clearing (16), as Dial's do (the reference's sip_queue_rna).
    let fallback = match ctx.chan.lock().hangupcause {
        0 => 16,
        c => c,
    };
    for r in legs.drain(..) {
        {
            let mut d = r.chan.lock();
            match cause {
                Some(c) => d.hangupcause = c,
                None if d.hangupcause == 0 => d.hangupcause = fallback,
                None => {}
            }
        }
        dial::dial_end(&ctx.sys, &ctx.chan, &r.chan, "CANCEL");
        set_member_ringing(&ctx.sys, qname, &r.interface, false);
        crate::pbx::run::hangup_channel(&ctx.sys, &r.chan);
    }
}

/// `try_calling`: one round of ringing; on an answer the bridged call.
async fn try_calling(
    ctx: &AppCtx,
    qname: &str,
    opts: &std::collections::HashMap<char, Option<String>>,
    expire: Option<i64>,
    linpos: &mut usize,
    start_waiting: &(dyn Fn(&AppCtx) + Sync),
) -> Tried {
    let sys = &ctx.sys;
    let caller = ctx.chan.clone();
    let Some(cfg) = sys.queues.with_queue(sys, qname, |q| q.cfg.clone()) else {
        return Tried::NoAnswer;
    };
    // The ring time: the queue's `timeout`, unless the application's
    // timeout comes first and wins (`timeoutpriority = app`).
    // Both counted in whole seconds, as app_queue does.
    let now = crate::core::unix_seconds();
    if expire.is_some_and(|e| now >= e) {
        // Expired meanwhile: nobody is called; the caller's loop reports
        // the timeout.
        return Tried::NotTried;
    }
    let left = expire.map(|e| Duration::from_secs(e.saturating_sub(now).max(0) as u64));
    let queue_to = (cfg.timeout > 0).then(|| Duration::from_secs(cfg.timeout as u64));
    let to = match left {
        Some(l) if !cfg.timeoutpriority_conf && queue_to.is_none_or(|t| l <= t) => Some(l),
        _ => queue_to,
    };
    let mut tried = Vec::new();
    let mut legs: Vec<Ringing> = Vec::new();
    ring_next(ctx, qname, &mut tried, linpos, &mut legs).await;
    let mut round_start = Instant::now();
    if legs.is_empty() {
        return Tried::NoAnswer;
    }
    let ringall = cfg.strategy == Strategy::RingAll;
    let winner = loop {
        if caller.check_hangup() {
            for r in &legs {
                dial::dial_end(sys, &caller, &r.chan, "CANCEL");
                queue_log(
                    sys,
                    qname,
                    &uid(&caller),
                    &r.membername,
                    "RINGCANCELED",
                    &round_start.elapsed().as_millis().to_string(),
                );
            }
            hang_up_all(ctx, qname, &mut legs, None);
            return Tried::CallerGone;
        }
        if let Some(t) = to
            && round_start.elapsed() >= t
        {
            let ms = t.as_millis();
            for r in &legs {
                ring_no_answer(ctx, qname, r, ms);
            }
            for r in &legs {
                dial::dial_end(sys, &caller, &r.chan, "NOANSWER");
            }
            hang_up_all(ctx, qname, &mut legs, None);
            return Tried::NoAnswer;
        }
        let mut i = 0;
        let mut winner = None;
        while i < legs.len() {
            let leg = legs[i].chan.clone();
            caller.relay_causes_from(&leg);
            if leg.state() == ChanState::Up && !leg.check_hangup() {
                winner = Some(i);
                break;
            }
            if leg.check_hangup() {
                let r = legs.remove(i);
                let status = dial::dial_status_of(r.chan.lock().hangupcause);
                ctx.verbose(
                    3,
                    crate::site!("app_queue.c", 5776, "wait_for_answer"),
                    &format!(
                        "{} is {}",
                        r.chan.name,
                        if status == "BUSY" {
                            "busy"
                        } else {
                            "circuit-busy"
                        }
                    ),
                );
                dial::dial_end(sys, &caller, &r.chan, status);
                ring_no_answer(
                    ctx,
                    qname,
                    &r,
                    round_start.elapsed().as_millis() / 1000 * 1000,
                );
                set_member_ringing(sys, qname, &r.interface, false);
                crate::pbx::run::hangup_channel(sys, &r.chan);
                if !ringall {
                    if cfg.timeoutrestart {
                        round_start = Instant::now();
                    }
                    let left = to.map(|t| t.saturating_sub(round_start.elapsed()));
                    if left.is_none_or(|l| l > Duration::from_millis(500)) {
                        ring_next(ctx, qname, &mut tried, linpos, &mut legs).await;
                    }
                }
                continue;
            }
            if leg.state() == ChanState::Ringing && !legs[i].ringing_seen {
                legs[i].ringing_seen = true;
                ctx.verbose(
                    3,
                    crate::site!("app_queue.c", 5814, "wait_for_answer"),
                    &format!("{} is ringing", leg.name),
                );
                dial::publish_dial(
                    sys,
                    &caller,
                    &leg,
                    "DialState",
                    "DialStatus: RINGING\r\n".into(),
                );
            }
            i += 1;
        }
        if let Some(w) = winner {
            break legs.remove(w);
        }
        if legs.is_empty() {
            return Tried::NoAnswer;
        }
        // Wake when the ring time runs out, not at the next poll after.
        let poll = to.map_or(dial::POLL, |t| {
            dial::POLL.min(t.saturating_sub(round_start.elapsed()))
        });
        let _ = tokio::time::timeout(poll, caller.wake_handle().notified()).await;
    };
    let ring_secs = round_start.elapsed().as_secs();
    let peer = winner.chan.clone();
    ctx.verbose(
        3,
        crate::site!("app_queue.c", 5744, "wait_for_answer"),
        &format!("{} answered {}", peer.name, caller.name),
    );
    dial::dial_end(sys, &caller, &peer, "ANSWER");
    hang_up_all(ctx, qname, &mut legs, Some(26));
    set_member_ringing(sys, qname, &winner.interface, false);
    // The member's hangup from now on is a normal one; unlike Dial, the
    // member keeps the caller's extension and the caller gets no cause (a
    // BYE then asks for a hangup without one, as chan_sip does).
    peer.lock().hangupcause = 16;

    // The answer: counters, the member busy with this call.
    let Some((pos, opos, start_secs, member)) = sys
        .queues
        .with_queue(sys, qname, |q| {
            let i = q
                .callers
                .iter()
                .position(|e| Arc::ptr_eq(&e.chan, &caller))?;
            let e = q.callers[i].clone();
            let held = (crate::core::unix_seconds() - e.start_secs) as i32;
            // recalc_holdtime: the first sample, then a weighted running average.
            q.holdtime = if q.completed + q.abandoned == 0 {
                held
            } else {
                ((q.holdtime << 2) - q.holdtime + held) >> 2
            };
            let m = q
                .members
                .iter_mut()
                .find(|m| m.interface.eq_ignore_ascii_case(&winner.interface))?;
            m.in_call = true;
            Some((i + 1, e.opos, e.start_secs, m.clone()))
        })
        .flatten()
    else {
        hang_up_all(ctx, qname, &mut vec![winner], None);
        return Tried::NoAnswer;
    };
    let _ = start_waiting;
    stop_waiting(ctx, opts.contains_key(&'r'));
    if cfg.setinterfacevar {
        // The member, on both channels (`setinterfacevar`).
        let vars = [
            ("MEMBERINTERFACE", member.interface.clone()),
            ("MEMBERNAME", member.membername.clone()),
            ("MEMBERCALLS", member.calls.to_string()),
            ("MEMBERLASTCALL", member.lastcall.to_string()),
            ("MEMBERPENALTY", member.penalty.to_string()),
            ("MEMBERDYNAMIC", u8::from(member.dynamic).to_string()),
            ("MEMBERREALTIME", "0".to_string()),
        ];
        for chan in [&caller, &peer] {
            for (k, v) in &vars {
                crate::pbx::set_var(sys, Some(chan), k, Some(v));
            }
        }
    }
    queue::set_queue_variables(sys, qname, &caller);
    queue::set_queue_variables(sys, qname, &peer);
    // The caller is no longer waiting once connected.
    leave(ctx, qname, &caller);
    let hold = crate::core::unix_seconds() - start_secs;
    queue_log(
        sys,
        qname,
        &uid(&caller),
        &member.membername,
        "CONNECT",
        &format!("{hold}|{}|{ring_secs}", peer.uniqueid),
    );
    dial::set_duration(ctx, "QUEUEWAIT", Duration::from_secs(hold.max(0) as u64));
    publish_call(
        sys,
        "AgentConnect",
        &caller,
        Some(&peer),
        format!(
            "Queue: {qname}\r\nInterface: {}\r\nMemberName: {}\r\nHoldTime: {hold}\r\nRingTime: {ring_secs}\r\n",
            member.interface, member.membername
        ),
    );
    let call_start = crate::core::unix_seconds();
    // Queue's t/T/h/H/k/K/w/W/x/X map to Dial's features (callee first).
    let features = |c: char| opts.contains_key(&c);
    // app_queue's hangup handler: the end of the call in queue_log and
    // AgentComplete, then the member's count (`update_queue`).
    let complete = |caller_gone: bool, peer_end: &Arc<Channel>| {
        let talk = crate::core::unix_seconds() - call_start;
        let (event, reason) = if caller_gone {
            ("COMPLETECALLER", "caller")
        } else {
            ("COMPLETEAGENT", "agent")
        };
        queue_log(
            sys,
            qname,
            &uid(&caller),
            &member.membername,
            event,
            &format!("{hold}|{talk}|{pos}"),
        );
        publish_call(
            sys,
            "AgentComplete",
            &caller,
            Some(peer_end),
            format!(
                "Queue: {qname}\r\nInterface: {}\r\nMemberName: {}\r\nHoldTime: {hold}\r\nTalkTime: {talk}\r\nReason: {reason}\r\n",
                member.interface, member.membername
            ),
        );
        sys.queues.with_queue(sys, qname, |q| {
            if let Some(m) = q
                .members
                .iter_mut()
                .find(|m| m.interface.eq_ignore_ascii_case(&member.interface))
            {
                m.calls += 1;
                m.lastcall = crate::core::unix_seconds();
                m.in_call = false;
            }
            q.completed += 1;
            if hold <= q.cfg.servicelevel as i64 {
                q.completed_in_sl += 1;
            }
            q.talktime = if q.completed == 1 {
                talk as i32
            } else {
                ((q.talktime << 2) - q.talktime + talk as i32) >> 2
            };
        });
    };
    let fired = std::sync::atomic::AtomicBool::new(false);
    let on_end = |caller_gone: bool, peer_end: &Arc<Channel>| {
        fired.store(true, std::sync::atomic::Ordering::Relaxed);
        complete(caller_gone, peer_end);
    };
    let connected = dial::connect(ctx, peer.clone(), &features, None, Some(&on_end), None).await;
    let _ = opos;
    match connected {
        Connected::Done(r) => {
            // A transfer or parking took the call away: it ended for the
            // queue there (app_queue's "transfer" reason is not told apart).
            if !fired.load(std::sync::atomic::Ordering::Relaxed) {
                complete(true, &peer);
            }
            Tried::Connected(r)
        }
        Connected::Ended { caller_gone } => {
            // The bridge dissolves with Normal Clearing: a caller that hung
            // up without a cause of its own ends with 16 (the reference's
            // sip_queue capture).
            if caller_gone {
                let mut d = caller.lock();
                if d.hangupcause == 0 {
                    d.hangupcause = 16;
                }
            }
            Tried::Connected(if caller_gone || !opts.contains_key(&'c') {
                Err(AppExit::Hangup)
            } else {
                // `c`: the caller goes on in the dialplan after the member hangs up.
                Ok(())
            })
        }
    }
}

/// AddQueueMember(queuename[,interface[,penalty[,options[,membername[,stateinterface[,wrapuptime]]]]]])
fn add_member_app(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if data.trim().is_empty() || arg(0).is_empty() {
        ctx.warning(
            crate::site!("app_queue.c", 8761, "aqm_exec"),
            "AddQueueMember requires an argument (queuename[,interface[,penalty[,options[,membername[,stateinterface][,wrapuptime]]]]])",
        );
        return Err(AppExit::Hangup);
    }
    let interface = if arg(1).is_empty() {
        crate::channels::device_name(&ctx.chan.name).to_string()
    } else {
        arg(1).to_string()
    };
    let penalty = arg(2).parse::<i32>().unwrap_or(0).max(0);
    let paused = false;
    let wrapuptime = arg(6).parse::<i32>().unwrap_or(0).max(0);
    let res = queue::add_member(
        &ctx.sys,
        arg(0),
        &interface,
        arg(4),
        penalty,
        paused,
        arg(5),
        "",
        wrapuptime,
        &uid(&ctx.chan),
    );
    let status = match res {
        Res::Okay => {
            ctx.verbose(
                3,
                crate::site!("app_queue.c", 8806, "aqm_exec"),
                &format!("Added interface '{interface}' to queue '{}'", arg(0)),
            );
            "ADDED"
        }
        Res::Exists => {
            ctx.warning(
                crate::site!("app_queue.c", 8811, "aqm_exec"),
                &format!(
                    "Unable to add interface '{interface}' to queue '{}': Already there",
                    arg(0)
                ),
            );
            "MEMBERALREADY"
        }
        _ => {
            ctx.warning(
                crate::site!("app_queue.c", 8816, "aqm_exec"),
                &format!(
                    "Unable to add interface to queue '{}': No such queue",
                    arg(0)
                ),
            );
            "NOSUCHQUEUE"
        }
    };
    ctx.set_var("AQMSTATUS", Some(status));
    Ok(())
}

/// RemoveQueueMember(queuename[,interface])
fn remove_member_app(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if data.trim().is_empty() || arg(0).is_empty() {
        ctx.warning(
            crate::site!("app_queue.c", 8670, "rqm_exec"),
            "RemoveQueueMember requires an argument (queuename[,interface])",
        );
        return Err(AppExit::Hangup);
    }
    let interface = if arg(1).is_empty() {
        crate::channels::device_name(&ctx.chan.name).to_string()
    } else {
        arg(1).to_string()
    };
    let status = match queue::remove_member(&ctx.sys, arg(0), &interface, &uid(&ctx.chan)) {
        Res::Okay => {
            ctx.verbose(
                3,
                crate::site!("app_queue.c", 8699, "rqm_exec"),
                &format!("Removed interface '{interface}' from queue '{}'", arg(0)),
            );
            "REMOVED"
        }
        Res::Exists => {
            ctx.verbose(
                3,
                crate::site!("app_queue.c", 8710, "rqm_exec"),
                &format!(
                    "Unable to remove interface '{interface}' from queue '{}': Not there",
                    arg(0)
                ),
            );
            "NOTINQUEUE"
        }
        Res::NoSuchQueue => {
            ctx.warning(
                crate::site!("app_queue.c", 8714, "rqm_exec"),
                &format!(
                    "Unable to remove interface from queue '{}': No such queue",
                    arg(0)
                ),
            );
            "NOSUCHQUEUE"
        }
        Res::NotDynamic => {
            ctx.warning(
                crate::site!("app_queue.c", 8719, "rqm_exec"),
                &format!("Unable to remove interface from queue '{}': '{interface}' is not a dynamic member", arg(0)),
            );
            "NOTDYNAMIC"
        }
    };
    ctx.set_var("RQMSTATUS", Some(status));
    Ok(())
}

fn pause_common(ctx: &AppCtx, data: &str, paused: bool) -> AppResult {
    let (app, var) = if paused {
        ("PauseQueueMember", "PQMSTATUS")
    } else {
        ("UnpauseQueueMember", "UPQMSTATUS")
    };
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if data.trim().is_empty() || arg(1).is_empty() {
        ctx.warning(
            crate::site!("app_queue.c", 8561, "pqm_exec"),
            &format!("{app} requires an argument ([queuename],interface[,options][,reason])"),
        );
        return Err(AppExit::Hangup);
    }
    if queue::pause_member(&ctx.sys, arg(0), arg(1), arg(3), paused) {
        ctx.set_var(var, Some(if paused { "PAUSED" } else { "UNPAUSED" }));
    } else {
        ctx.warning(
            crate::site!("app_queue.c", 8573, "pqm_exec"),
            &format!(
                "Attempt to {} interface {}, not found",
                if paused { "pause" } else { "unpause" },
                arg(1)
            ),
        );
        ctx.set_var(var, Some("NOTFOUND"));
    }
    Ok(())
}

fn pause_member_app(ctx: &AppCtx, data: &str) -> AppResult {
    pause_common(ctx, data, true)
}

fn unpause_member_app(ctx: &AppCtx, data: &str) -> AppResult {
    pause_common(ctx, data, false)
}

/// QueueLog(queuename,uniqueid,agent,event[,additionalinfo])
fn queue_log_app(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
    if data.trim().is_empty()
        || arg(0).is_empty()
        || arg(1).is_empty()
        || arg(2).is_empty()
        || arg(3).is_empty()
    {
        ctx.warning(
            crate::site!("app_queue.c", 8830, "ql_exec"),
            "QueueLog requires arguments (queuename,uniqueid,agent,event[,additionalinfo])",
        );
        return Err(AppExit::Hangup);
    }
    queue_log(&ctx.sys, arg(0), arg(1), arg(2), arg(3), arg(4));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn unsupported_queue_options_are_named() {
        assert_eq!(
            super::unsupported_options("support,tTrb(sub^s^1)I"),
            vec!['I', 'b']
        );
        assert!(super::unsupported_options("support,rn,,,10").is_empty());
        assert_eq!(
            super::unsupported_args("support,r,,hello,10,,,sub^s^1"),
            [
                "Queue argument 'announceoverride' is not supported by Asterism",
                "Queue argument 'gosub' is not supported by Asterism"
            ]
        );
        assert!(super::unsupported_args("support,r,http://x,,10").is_empty());
    }
}
