//! Queue, AddQueueMember, RemoveQueueMember, PauseQueueMember,
//! UnpauseQueueMember and QueueLog (Asterisk's `apps/app_queue.c`). The
//! queues' state is in `crate::queue`; members are rung with Dial's
//! machinery (`apps::dial`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dial::{self, Connected};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::{ChanState, Channel, Indication};
use crate::config::views::queuerules::PenaltyRule;
use crate::config::views::queues::{Queue as QueueCfg, Strategy};
use crate::core::devicestate::{DeviceState, device_state};
use crate::queue::strategy::{Candidate, pick};
use crate::queue::{self, Entry, PenaltyLimits, Res, log::queue_log, publish_call};

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
    [(5, "AGI"), (9, "position")]
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
    /// The caller dialled an extension of the queue's `context`
    /// (EXITWITHKEY); the channel is already sent there.
    Key(String),
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
    let mut rules = CallerRules {
        limits: penalty_limits(ctx),
        rules: Vec::new(),
        next: 0,
    };

    // join_queue
    let joined = sys.queues.with_queue(sys, &qname, |q| {
        if q.cfg.joinempty != 0 && !q.has_usable_member(sys, q.cfg.joinempty, &rules.limits) {
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

    // copy_rules: Queue's rule, else the queue's defaultrule.
    let rule = if arg(8).is_empty() {
        cfg.defaultrule.as_str()
    } else {
        arg(8)
    };
    if let Some(list) = sys
        .loaded()
        .queuerules
        .lists
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(rule))
    {
        rules.rules = list.rules.clone();
    }

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
    let mut w = Waiter::new(&cfg, start_secs);
    start_waiting(ctx);
    // What the member hears on answering: Queue's announceoverride, else
    // the queue's `announce` as it was when the caller joined.
    let member_side = MemberSide {
        announce: if arg(3).is_empty() {
            cfg.announce.clone()
        } else {
            arg(3).to_string()
        },
        gosub: arg(7).to_string(),
        macro_name: arg(6).to_string(),
    };

    let mut tries = 0usize;
    let mut linpos = 0usize;
    // An announcement's outcome: 0 on, a digit that was a valid exit,
    // or -1 (hung up).
    let heard = |res: i32, w: &Waiter| -> Option<Left> {
        match res {
            0 => None,
            r if r > 0 => Some(Left::Key(w.digits.clone())),
            _ => Some(Left::Abandon),
        }
    };
    // The caller's pending QueueWithdrawCaller, if any.
    let withdrawal = || {
        sys.queues
            .with_queue(sys, &qname, |q| {
                q.callers
                    .iter()
                    .find(|e| Arc::ptr_eq(&e.chan, &chan))
                    .and_then(|e| e.withdraw.clone())
            })
            .flatten()
    };
    let outcome: Result<Option<AppResult>, Left> = 'main: loop {
        // wait_our_turn: first in line (or within autofill's reach).
        loop {
            if chan.check_hangup() {
                break 'main Err(Left::Abandon);
            }
            // A withdrawal is seen at each check, before the timeout.
            if let Some(info) = withdrawal() {
                break 'main Err(Left::Withdraw(info));
            }
            if is_our_turn(sys, &qname, &chan) {
                break;
            }
            if expired() {
                break 'main Err(Left::Timeout);
            }
            let empty = sys
                .queues
                .with_queue(sys, &qname, |q| {
                    q.cfg.leavewhenempty != 0
                        && !q.has_usable_member(sys, q.cfg.leavewhenempty, &rules.limits)
                })
                .unwrap_or(false);
            if empty {
                break 'main Err(Left::LeaveEmpty);
            }
            let a = current_cfg(sys, &qname, &cfg).announcements.clone();
            if a.frequency != 0 {
                let res = say_position(ctx, &qname, &mut w, ringing, &start_waiting).await;
                if let Some(left) = heard(res, &w) {
                    break 'main Err(left);
                }
            }
            if expired() {
                break 'main Err(Left::Timeout);
            }
            if a.periodic_frequency != 0 {
                let res = say_periodic(ctx, &qname, &mut w, ringing, &start_waiting).await;
                if let Some(left) = heard(res, &w) {
                    break 'main Err(left);
                }
            }
            // The next penalty level, once its time has come.
            rules.update(ctx, start_secs, true);
            if expired() {
                break 'main Err(Left::Timeout);
            }
            // RECHECK: a second, during which a digit may take the caller
            // out through the queue's context.
            let res = wait_digit(ctx, &mut w, Duration::from_secs(1)).await;
            if let Some(left) = heard(res, &w) {
                break 'main Err(left);
            }
            if expired() {
                break 'main Err(Left::Timeout);
            }
        }
        // The head of the line: announcements only with
        // `announce-to-first-user`.
        if let Some(info) = withdrawal() {
            break Err(Left::Withdraw(info));
        }
        if expired() {
            break Err(Left::Timeout);
        }
        let a = current_cfg(sys, &qname, &cfg).announcements.clone();
        if a.to_first_user {
            if a.frequency != 0 {
                let res = say_position(ctx, &qname, &mut w, ringing, &start_waiting).await;
                if let Some(left) = heard(res, &w) {
                    break Err(left);
                }
            }
            if a.periodic_frequency != 0 {
                let res = say_periodic(ctx, &qname, &mut w, ringing, &start_waiting).await;
                if let Some(left) = heard(res, &w) {
                    break Err(left);
                }
            }
        }
        if expired() {
            break Err(Left::Timeout);
        }
        // Here only once the rule's time has passed (app_queue's `>`).
        rules.update(ctx, start_secs, false);
        match try_calling(
            ctx,
            &qname,
            &opts,
            &member_side,
            &rules.limits,
            expire,
            &mut linpos,
        )
        .await
        {
            Tried::Connected(res) => break Ok(Some(res)),
            Tried::CallerGone => break Err(Left::Abandon),
            // Logged already: the caller hangs up without more.
            Tried::Abandoned => break Ok(Some(Err(AppExit::Hangup))),
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
                    q.has_usable_member(sys, cfg.leavewhenempty, &rules.limits)
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
        // the expiry (checked after it); a digit may leave through the
        // queue's context.
        let wait = Duration::from_secs(cfg.retry.max(0) as u64);
        let res = wait_digit(ctx, &mut w, wait).await;
        if let Some(left) = heard(res, &w) {
            break Err(left);
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
        // No QUEUESTATUS: app_queue leaves it as it was.
        Err(Left::Key(_)) => {}
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
    if let Err(Left::Key(digits)) = &outcome {
        queue_log(
            sys,
            &qname,
            &uid(&chan),
            "NONE",
            "EXITWITHKEY",
            &format!("{digits}|{pos}|{opos}|{waited}"),
        );
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

/// A caller's penalty limits and the rules still to come
/// (`qe->qe_rules`, `qe->pr`).
struct CallerRules {
    limits: PenaltyLimits,
    rules: Vec<PenaltyRule>,
    next: usize,
}

impl CallerRules {
    /// Applies each rule whose time has come (`update_qe_rule`): at or
    /// past it while waiting in line (`at_time`), only past it at the
    /// head. Only the limits the caller started with move, each shown in
    /// its QUEUE_*_PENALTY variable.
    fn update(&mut self, ctx: &AppCtx, start_secs: i64, at_time: bool) {
        while let Some(pr) = self.rules.get(self.next) {
            let waited = crate::core::unix_seconds() - start_secs;
            let due = if at_time {
                waited >= i64::from(pr.time)
            } else {
                waited > i64::from(pr.time)
            };
            if !due {
                break;
            }
            // A relative change could go below 0.
            let moved = |now: i32, relative: bool, value: i32| {
                if relative {
                    now.wrapping_add(value)
                } else {
                    value
                }
                .max(0)
            };
            let l = &mut self.limits;
            if let Some(max) = l.max {
                let max = moved(max, pr.max_relative, pr.max_value);
                ctx.set_var("QUEUE_MAX_PENALTY", Some(&max.to_string()));
                l.max = Some(max);
            }
            if let Some(min) = l.min {
                let mut min = moved(min, pr.min_relative, pr.min_value);
                if let Some(max) = l.max {
                    min = min.min(max);
                }
                ctx.set_var("QUEUE_MIN_PENALTY", Some(&min.to_string()));
                l.min = Some(min);
            }
            if let Some(raise) = l.raise {
                let mut raise = moved(raise, pr.raise_relative, pr.raise_value);
                if let Some(max) = l.max {
                    raise = raise.min(max);
                }
                l.raise_respect_min = pr.raise_respect_min;
                let shown = if l.raise_respect_min {
                    format!("r{raise}")
                } else {
                    raise.to_string()
                };
                ctx.set_var("QUEUE_RAISE_PENALTY", Some(&shown));
                l.raise = Some(raise);
            }
            self.next += 1;
        }
    }
}

/// The caller's QUEUE_MAX_PENALTY, QUEUE_MIN_PENALTY and
/// QUEUE_RAISE_PENALTY (`r` first: the raise respects the minimum), read
/// as sscanf's "%30d"; a value that is not a number is warned about and
/// sets no limit.
fn penalty_limits(ctx: &AppCtx) -> PenaltyLimits {
    let read = |name: &str, line: u32, text: &str| -> Option<i32> {
        match crate::funcs::c::scan_int(text) {
            Some((n, _)) => Some(n),
            None => {
                let site = crate::core::logger::Site {
                    file: "app_queue.c",
                    line,
                    function: "queue_exec",
                };
                ctx.warning(
                    &site,
                    &format!(
                        "${{{name}}}: Invalid value ({text}), channel {}.",
                        ctx.chan.name
                    ),
                );
                None
            }
        }
    };
    let mut l = PenaltyLimits::default();
    if let Some(v) = ctx.var("QUEUE_MAX_PENALTY") {
        l.max = read("QUEUE_MAX_PENALTY", 9018, &v);
    }
    if let Some(v) = ctx.var("QUEUE_MIN_PENALTY") {
        l.min = read("QUEUE_MIN_PENALTY", 9030, &v);
    }
    if let Some(v) = ctx.var("QUEUE_RAISE_PENALTY") {
        let (respect, text) = match v.strip_prefix('r') {
            Some(rest) => (true, rest),
            None => (false, v.as_str()),
        };
        l.raise_respect_min = respect;
        l.raise = read("QUEUE_RAISE_PENALTY", 9048, text);
    }
    l
}

fn stop_waiting(ctx: &AppCtx, ringing: bool) {
    if !ringing {
        super::moh::moh_stop(ctx);
    }
}

/// The queue's configuration now (a reload may have changed it), else
/// the one the caller joined with.
fn current_cfg(sys: &crate::core::System, qname: &str, joined: &Arc<QueueCfg>) -> Arc<QueueCfg> {
    sys.queues
        .with_queue(sys, qname, |q| q.cfg.clone())
        .unwrap_or_else(|| joined.clone())
}

/// `is_member_available`: a member that could take a call now.
fn member_available(
    sys: &crate::core::System,
    cfg: &QueueCfg,
    m: &crate::queue::Member,
    now: i64,
) -> bool {
    let available = match device_state(sys, &m.state_interface) {
        DeviceState::Invalid | DeviceState::Unavailable => false,
        DeviceState::InUse
        | DeviceState::Busy
        | DeviceState::Ringing
        | DeviceState::RingInUse
        | DeviceState::OnHold => m.ringinuse && !m.paused,
        DeviceState::NotInUse | DeviceState::Unknown => !m.paused,
    };
    available && !m.in_wrapup(cfg, now)
}

/// `is_our_turn`: the caller is within as many places from the head as
/// members are available (one is enough without autofill or with
/// ringall, and then only the head's turn comes). With no member
/// available nobody's turn comes: callers keep waiting (and hearing the
/// announcements) until one is.
fn is_our_turn(sys: &crate::core::System, qname: &str, chan: &Arc<Channel>) -> bool {
    sys.queues
        .with_queue(sys, qname, |q| {
            let now = crate::core::unix_seconds();
            let one_is_enough = !q.cfg.autofill || q.cfg.strategy == Strategy::RingAll;
            let mut avl = 0usize;
            for m in &q.members {
                if member_available(sys, &q.cfg, m, now) {
                    avl += 1;
                    if one_is_enough {
                        break;
                    }
                }
            }
            let Some(i) = q.callers.iter().position(|e| Arc::ptr_eq(&e.chan, chan)) else {
                return true;
            };
            i < avl && (q.cfg.autofill || i == 0)
        })
        .unwrap_or(true)
}

/// What app_queue keeps about a waiting caller's announcements (the
/// `last_pos*`, `last_periodic_announce_*` and `digits` of `queue_ent`).
struct Waiter {
    /// When it joined (`qe->start`).
    start_secs: i64,
    /// When the last position announcement began; 0 before the first.
    last_pos: i64,
    last_pos_said: usize,
    last_periodic_time: i64,
    last_periodic_sound: usize,
    /// The digits dialled so far towards an extension of `context`.
    digits: String,
    /// The queue's `context` when the caller joined.
    context: String,
}

impl Waiter {
    fn new(cfg: &QueueCfg, start_secs: i64) -> Waiter {
        let a = &cfg.announcements;
        // `periodic-announce-startdelay`: the first one comes after the
        // delay instead of after a whole frequency.
        let mut last_periodic_time = crate::core::unix_seconds();
        if a.periodic_startdelay >= 0 {
            last_periodic_time += i64::from(a.periodic_startdelay);
            last_periodic_time -= i64::from(a.periodic_frequency);
        }
        Waiter {
            start_secs,
            last_pos: 0,
            last_pos_said: 0,
            last_periodic_time,
            last_periodic_sound: 0,
            digits: String::new(),
            context: cfg.context.clone(),
        }
    }
}

/// `valid_exit`: the digit joins those dialled so far; when they are an
/// extension of the queue's context the channel goes there (1) and the
/// caller leaves. Digits that cannot begin one are forgotten.
fn valid_exit(ctx: &AppCtx, w: &mut Waiter, digit: char) -> bool {
    // qe->digits holds AST_MAX_EXTENSION (80) bytes with its terminator.
    if w.digits.len() < 78 {
        w.digits.push(digit);
    } else {
        w.digits.clear();
        return false;
    }
    if w.context.is_empty() {
        return false;
    }
    let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
    let plan = ctx.sys.loaded();
    let exact = crate::pbx::find::exists(&plan.dialplan, &w.context, &w.digits, 1, cid.as_deref());
    if !exact && !crate::pbx::find::matchmore(&plan.dialplan, &w.context, &w.digits, cid.as_deref())
    {
        w.digits.clear();
        return false;
    }
    if exact {
        crate::pbx::run::explicit_goto(&ctx.chan, Some(&w.context), Some(&w.digits), 1);
        return true;
    }
    false
}

/// A digit's code as app_queue's results carry it (> 0).
fn digit_code(d: char) -> i32 {
    d as i32
}

/// `ast_waitfordigit` in the queue's waits: 0 on (no digit, or one that
/// took the caller nowhere), the digit when it was a valid exit, -1
/// when the caller hung up.
async fn wait_digit(ctx: &AppCtx, w: &mut Waiter, wait: Duration) -> i32 {
    match ctx.chan.wait_digit(wait).await {
        Ok(Some(d)) if valid_exit(ctx, w, d) => digit_code(d),
        Ok(_) => 0,
        Err(_) => -1,
    }
}

/// `play_file`: a prompt that does not exist for the channel's language
/// is skipped in silence; any digit stops one (its code is returned).
async fn play_file(ctx: &AppCtx, name: &str) -> i32 {
    if name.is_empty() {
        return 0;
    }
    let lang = ctx.chan.lock().language.clone();
    if !crate::media::file::SoundPaths::from_conf(&ctx.sys.conf).exists(name, &lang) {
        return 0;
    }
    match super::playback::stream_file(ctx, name, super::say::DIGIT_ANY).await {
        super::playback::Streamed::Done => 0,
        super::playback::Streamed::Digit(d) => digit_code(d),
        super::playback::Streamed::Failed | super::playback::Streamed::Hangup => -1,
    }
}

/// One step of an announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Play(String),
    /// `ast_say_number` with its options (`n`: the positions and times).
    Number(i32, Option<char>),
    /// A verbose line (level 3) logged at that point, with app_queue.c's
    /// line for it.
    Verbose(u32, String),
}

/// The estimated wait `say_position` tells: the queue's average hold
/// time plus half a minute, less what the caller waited, in whole
/// minutes, and the rest in seconds rounded down to `round_seconds`
/// (none when 0).
fn hold_estimate(holdtime: i32, waited: i64, round_seconds: i32) -> (i64, i64) {
    let left = (i64::from(holdtime) + 30) - waited;
    let mins = (left / 60).abs();
    let secs = if round_seconds != 0 {
        let r = i64::from(round_seconds);
        (left.abs() - 60 * mins) / r * r
    } else {
        0
    };
    (mins, secs)
}

/// What `say_position` says, in order; playing stops at the first step a
/// digit interrupts. `first` is whether the caller heard none before
/// (`announce-holdtime = once`).
fn position_steps(
    cfg: &QueueCfg,
    chan_name: &str,
    pos: usize,
    holdtime: i32,
    waited: i64,
    first: bool,
) -> Vec<Step> {
    use crate::config::views::queues::{AnnounceHoldtime, AnnouncePosition};
    let a = &cfg.announcements;
    let s = &a.sounds;
    let mut out = Vec::new();
    let mut thanks = false;
    let pos_i = i64::try_from(pos).unwrap_or(i64::MAX);
    let limit = i64::from(a.position_limit);
    let tells_position = match a.position {
        AnnouncePosition::Yes | AnnouncePosition::MoreThan => true,
        AnnouncePosition::Limit => pos_i <= limit,
        AnnouncePosition::No => false,
    };
    // "You are next" says it all: no hold time after it.
    let mut next_only = false;
    if tells_position {
        thanks = true;
        if pos == 1 {
            out.push(Step::Play(s.next.clone()));
            next_only = true;
        } else if a.position == AnnouncePosition::MoreThan && pos_i > limit {
            out.push(Step::Play(s.quantity1.clone()));
            out.push(Step::Number(a.position_limit, None));
            out.push(Step::Play(s.quantity2.clone()));
        } else {
            out.push(Step::Play(s.thereare.clone()));
            out.push(Step::Number(
                i32::try_from(pos).unwrap_or(i32::MAX),
                Some('n'),
            ));
            out.push(Step::Play(s.calls.clone()));
        }
    }
    if !next_only {
        let (mins, secs) = hold_estimate(holdtime, waited, a.round_seconds);
        out.push(Step::Verbose(
            4520,
            format!(
                "Hold time for {} is {mins} minute(s) {secs} seconds",
                cfg.name
            ),
        ));
        let say_hold = match a.holdtime {
            AnnounceHoldtime::No => false,
            AnnounceHoldtime::Always => true,
            AnnounceHoldtime::Once => first,
        };
        if mins + secs > 0 && say_hold {
            thanks = true;
            out.push(Step::Play(s.holdtime.clone()));
            let num = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
            if mins >= 1 {
                out.push(Step::Number(num(mins), Some('n')));
                out.push(Step::Play(if mins == 1 {
                    s.minute.clone()
                } else {
                    s.minutes.clone()
                }));
            }
            if secs >= 1 {
                out.push(Step::Number(num(secs), Some('n')));
                out.push(Step::Play(s.seconds.clone()));
            }
        }
    }
    out.push(Step::Verbose(
        4566,
        format!(
            "Told {chan_name} in {} their queue position (which was {pos})",
            cfg.name
        ),
    ));
    if thanks {
        out.push(Step::Play(s.thanks.clone()));
    }
    out
}

/// Plays `steps` until one is interrupted (its result returned).
async fn run_steps(ctx: &AppCtx, steps: &[Step]) -> i32 {
    for step in steps {
        let res = match step {
            Step::Play(name) => play_file(ctx, name).await,
            Step::Number(n, opt) => {
                match super::say::say_number_opt(ctx, *n, super::say::DIGIT_ANY, *opt).await {
                    super::say::Said::Done => 0,
                    super::say::Said::Digit(d) => digit_code(d),
                    super::say::Said::Failed => -1,
                }
            }
            Step::Verbose(line, text) => {
                let site = crate::core::logger::Site {
                    file: "app_queue.c",
                    line: *line,
                    function: "say_position",
                };
                ctx.verbose(3, &site, text);
                0
            }
        };
        if res != 0 {
            return res;
        }
    }
    0
}

/// `say_position`: the caller's place in line and the expected wait,
/// when `announce-frequency` has passed since the last one or the place
/// changed (never sooner than `min-announce-frequency`). Music (or
/// ringing) stops for it and comes back after, unless a digit took the
/// caller out.
async fn say_position(
    ctx: &AppCtx,
    qname: &str,
    w: &mut Waiter,
    ringing: bool,
    start_waiting: &(dyn Fn(&AppCtx) + Sync),
) -> i32 {
    let sys = &ctx.sys;
    let Some((cfg, pos, holdtime)) = sys.queues.with_queue(sys, qname, |q| {
        let pos = q
            .callers
            .iter()
            .position(|e| Arc::ptr_eq(&e.chan, &ctx.chan))
            .map(|p| p + 1)
            .unwrap_or(0);
        (q.cfg.clone(), pos, q.holdtime)
    }) else {
        return 0;
    };
    let a = &cfg.announcements;
    let now = crate::core::unix_seconds();
    if now - w.last_pos < i64::from(a.min_frequency) {
        return 0;
    }
    if w.last_pos_said == pos && now - w.last_pos < i64::from(a.frequency) {
        return 0;
    }
    if a.position_only_up && w.last_pos_said > 0 && w.last_pos_said <= pos {
        return 0;
    }
    stop_waiting(ctx, ringing);
    let steps = position_steps(
        &cfg,
        &ctx.chan.name,
        pos,
        holdtime,
        now - w.start_secs,
        w.last_pos == 0,
    );
    let mut res = run_steps(ctx, &steps).await;
    if res > 0 && !char::from_u32(res as u32).is_some_and(|d| valid_exit(ctx, w, d)) {
        res = 0;
    }
    w.last_pos = now;
    w.last_pos_said = pos;
    if res == 0 {
        start_waiting(ctx);
    }
    res
}

/// Which periodic announcement comes next: a random one, or the next in
/// turn, back to the first past the last or at an empty slot.
fn periodic_index(
    a: &crate::config::views::queues::Announcements,
    last: usize,
    random: impl FnOnce() -> usize,
) -> usize {
    if a.periodic_random && a.periodic_count > 0 {
        random() % a.periodic_count
    } else if last >= a.periodic_count || a.periodic.get(last).is_none_or(|p| p.is_empty()) {
        0
    } else {
        last
    }
}

/// `say_periodic_announcement`, every `periodic-announce-frequency`
/// seconds (counted from the start of the last one, or from its end with
/// `relative-periodic-announce`).
async fn say_periodic(
    ctx: &AppCtx,
    qname: &str,
    w: &mut Waiter,
    ringing: bool,
    start_waiting: &(dyn Fn(&AppCtx) + Sync),
) -> i32 {
    let sys = &ctx.sys;
    let Some(cfg) = sys.queues.with_queue(sys, qname, |q| q.cfg.clone()) else {
        return 0;
    };
    let a = &cfg.announcements;
    let now = crate::core::unix_seconds();
    if now - w.last_periodic_time < i64::from(a.periodic_frequency) {
        return 0;
    }
    stop_waiting(ctx, ringing);
    ctx.verbose(
        3,
        crate::site!("app_queue.c", 5299, "say_periodic_announcement"),
        "Playing periodic announcement",
    );
    w.last_periodic_sound = periodic_index(a, w.last_periodic_sound, || {
        crate::funcs::rand::random() as usize
    });
    let name = a
        .periodic
        .get(w.last_periodic_sound)
        .cloned()
        .unwrap_or_default();
    let mut res = play_file(ctx, &name).await;
    if res > 0 && !char::from_u32(res as u32).is_some_and(|d| valid_exit(ctx, w, d)) {
        res = 0;
    }
    if res == 0 {
        start_waiting(ctx);
    }
    w.last_periodic_time = if a.periodic_relative {
        crate::core::unix_seconds()
    } else {
        now
    };
    if !a.periodic_random {
        w.last_periodic_sound += 1;
    }
    res
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
    /// The caller hung up while the member who answered heard the
    /// announcements (ABANDON logged with the member).
    Abandoned,
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
    /// The leg had no caller id of its own (`dial_callerid_absent`): the
    /// caller is not told the member's on answer.
    callerid_absent: bool,
    /// A connected line the leg sent while ringing all, kept for the
    /// answer (`pending_connected_update`).
    pending_connected: Option<crate::channels::party::Party>,
}

/// The members a caller may ring now (`can_ring_entry`), as candidates
/// for the strategy, with their interfaces and names.
fn candidates(
    sys: &crate::core::System,
    qname: &str,
    exclude: &[String],
    limits: &PenaltyLimits,
) -> (Strategy, usize, Vec<(Candidate, String, String)>) {
    sys.queues
        .with_queue(sys, qname, |q| {
            let now = crate::core::unix_seconds();
            // calc_metric: penalties count only past penaltymemberslimit
            // members; then the caller's limits leave some out.
            let use_penalty = i64::try_from(q.members.len()).unwrap_or(i64::MAX)
                > i64::from(q.cfg.penaltymemberslimit);
            let list = q
                .members
                .iter()
                .enumerate()
                .filter_map(|(pos, m)| {
                    let penalty = if use_penalty {
                        limits.penalty_for(m.penalty)?
                    } else {
                        m.penalty
                    };
                    Some((pos, m, penalty))
                })
                .filter(|(_, m, _)| {
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
                .map(|(pos, m, penalty)| {
                    (
                        Candidate {
                            pos,
                            penalty,
                            use_penalty,
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
    limits: &PenaltyLimits,
    tried: &mut Vec<String>,
    linpos: &mut usize,
    out: &mut Vec<Ringing>,
) {
    let sys = &ctx.sys;
    let caller = ctx.chan.clone();
    loop {
        let (strategy, rrpos, cands) = candidates(sys, qname, tried, limits);
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
                    let callerid_absent = !leg.lock().caller.id.number.valid;
                    let number = interface
                        .split_once('/')
                        .map(|(_, n)| n)
                        .unwrap_or(&interface);
                    dial::set_up_leg(
                        &caller,
                        &leg,
                        number,
                        "AppQueue",
                        &dial::LegSetup {
                            inherit: true,
                            ..Default::default()
                        },
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
                        callerid_absent,
                        pending_connected: None,
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

/// `rna`: a member rang out; with `autopause` (how it failed counts for
/// the queue's autopause) the member may be paused.
fn ring_no_answer(ctx: &AppCtx, qname: &str, r: &Ringing, ms: u128, autopause: bool) {
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
    if autopause {
        auto_pause(ctx, qname, &r.interface);
    }
}

/// `rna`'s autopause: the member is paused ("Auto-Pause") in this queue,
/// or with `autopause = all` in every queue it is in, unless its last
/// call ended within `autopausedelay` seconds.
fn auto_pause(ctx: &AppCtx, qname: &str, interface: &str) {
    use crate::config::views::queues::AutoPause;
    let sys = &ctx.sys;
    let Some((mode, delay, lastcall)) = sys.queues.with_queue(sys, qname, |q| {
        let lastcall = q
            .members
            .iter()
            .find(|m| m.interface.eq_ignore_ascii_case(interface))
            .map(|m| m.lastcall);
        (q.cfg.autopause, q.cfg.autopausedelay, lastcall)
    }) else {
        return;
    };
    if mode == AutoPause::Off {
        return;
    }
    if delay > 0
        && let Some(last) = lastcall
        && last != 0
        && i64::from(delay) > crate::core::unix_seconds() - last
    {
        return;
    }
    let (line, text) = if mode == AutoPause::On {
        if queue::pause_member(sys, qname, interface, "Auto-Pause", true) {
            (
                5408,
                format!(
                    "Auto-Pausing Queue Member {interface} in queue {qname} since they failed to answer."
                ),
            )
        } else {
            (
                5411,
                format!("Failed to pause Queue Member {interface} in queue {qname}!"),
            )
        }
    } else if queue::pause_member(sys, "", interface, "Auto-Pause", true) {
        (
            5417,
            format!(
                "Auto-Pausing Queue Member {interface} in all queues since they failed to answer on queue {qname}."
            ),
        )
    } else {
        (
            5420,
            format!("Failed to pause Queue Member {interface} in all queues!"),
        )
    };
    let site = crate::core::logger::Site {
        file: "app_queue.c",
        line,
        function: "rna",
    };
    ctx.verbose(3, &site, &text);
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

/// Queue's arguments for the member who answers.
struct MemberSide {
    /// Prompts played to the member ('&' between them).
    announce: String,
    /// Queue's gosub argument: replaces the queue's `membergosub`.
    gosub: String,
    /// Queue's macro argument: replaces the queue's `membermacro`.
    macro_name: String,
}

/// `ast_strsep(.., '&', AST_STRSEP_STRIP | AST_STRSEP_TRIM)` over the
/// whole string; quotes nested too deep end the list there.
fn announce_files(s: &str) -> Vec<String> {
    let mut rest = Some(s);
    let mut out = Vec::new();
    while let Some(f) =
        crate::funcs::c::strsep(&mut rest, b'&', crate::funcs::c::Strsep::STRIP_TRIM)
    {
        out.push(f);
    }
    out
}

/// What the member who answered hears before the bridge, the caller
/// kept waiting meanwhile (app_queue's autoserviced block): `memberdelay`
/// of silence, the announcements, and with `reportholdtime` how long the
/// caller waited. A member who hangs up during the delay hears nothing
/// more.
async fn member_announcements(
    ctx: &AppCtx,
    cfg: &QueueCfg,
    peer: &Arc<Channel>,
    announce: &str,
    start_secs: i64,
) {
    let peer_ctx = AppCtx {
        sys: ctx.sys.clone(),
        chan: peer.clone(),
    };
    let failed = |name: &str, line: u32| {
        let site = crate::core::logger::Site {
            file: "app_queue.c",
            line,
            function: "try_calling",
        };
        ctx.error(
            &site,
            &format!("play_file failed for '{name}' on {}", peer.name),
        );
    };
    if cfg.memberdelay != 0 {
        ctx.notice(
            crate::site!("app_queue.c", 7537, "try_calling"),
            &format!("Delaying member connect for {} seconds", cfg.memberdelay),
        );
        let ms = u64::try_from(cfg.memberdelay).unwrap_or(0) * 1000;
        if peer.sleep(Duration::from_millis(ms)).await.is_err() {
            return;
        }
    }
    if !announce.is_empty() {
        for front in announce_files(announce) {
            if play_file(&peer_ctx, &front).await < 0 {
                failed(&front, 7545);
            }
        }
    }
    if cfg.reportholdtime && play_file(&peer_ctx, &cfg.announcements.sounds.reporthold).await == 0 {
        let held = crate::core::unix_seconds() - start_secs;
        let (mins, secs) = ((held / 60).abs(), (held % 60).abs());
        let num = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        let sounds = &cfg.announcements.sounds;
        if mins > 0 {
            let _ =
                super::say::say_number_opt(&peer_ctx, num(mins), super::say::DIGIT_ANY, Some('n'))
                    .await;
            if play_file(&peer_ctx, &sounds.minutes).await < 0 {
                failed(&sounds.minutes, 7559);
            }
        }
        if secs > 1 {
            let _ =
                super::say::say_number_opt(&peer_ctx, num(secs), super::say::DIGIT_ANY, Some('n'))
                    .await;
            if play_file(&peer_ctx, &sounds.seconds).await < 0 {
                failed(&sounds.seconds, 7565);
            }
        }
    }
}

/// `try_calling`: one round of ringing; on an answer the bridged call.
async fn try_calling(
    ctx: &AppCtx,
    qname: &str,
    opts: &std::collections::HashMap<char, Option<String>>,
    side: &MemberSide,
    limits: &PenaltyLimits,
    expire: Option<i64>,
    linpos: &mut usize,
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
    ring_next(ctx, qname, limits, &mut tried, linpos, &mut legs).await;
    let mut round_start = Instant::now();
    if legs.is_empty() {
        return Tried::NoAnswer;
    }
    let ringall = cfg.strategy == Strategy::RingAll;
    let mut winner = loop {
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
                ring_no_answer(ctx, qname, r, ms, true);
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
            // Hangup read before the causes are relayed, as in Dial.
            let gone = leg.check_hangup();
            caller.relay_causes_from(&leg);
            let connected = leg.lock().pending_connected.take();
            if let Some(id) = connected {
                if ringall {
                    ctx.verbose(
                        3,
                        crate::site!("app_queue.c", 5834, "wait_for_answer"),
                        &format!(
                            "{} connected line has changed. Saving it until answer for {}",
                            leg.name, caller.name
                        ),
                    );
                    legs[i].pending_connected = Some(id);
                } else {
                    legs[i].callerid_absent = true;
                    crate::channels::bridge::apply_connected_line(&caller, id);
                }
            }
            if leg.state() == ChanState::Up && !gone {
                winner = Some(i);
                break;
            }
            if gone {
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
                // A busy member counts for autopause with autopausebusy, a
                // congested or unavailable one with autopauseunavail, one
                // that just hung up always.
                let counts = match status {
                    "BUSY" => cfg.autopausebusy,
                    "CONGESTION" | "CHANUNAVAIL" => cfg.autopauseunavail,
                    _ => true,
                };
                ring_no_answer(
                    ctx,
                    qname,
                    &r,
                    round_start.elapsed().as_millis() / 1000 * 1000,
                    counts,
                );
                set_member_ringing(sys, qname, &r.interface, false);
                crate::pbx::run::hangup_channel(sys, &r.chan);
                if !ringall {
                    if cfg.timeoutrestart {
                        round_start = Instant::now();
                    }
                    let left = to.map(|t| t.saturating_sub(round_start.elapsed()));
                    if left.is_none_or(|l| l > Duration::from_millis(500)) {
                        ring_next(ctx, qname, limits, &mut tried, linpos, &mut legs).await;
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
        // Wake when the ring time runs out, not at the next poll after,
        // and as soon as a member answers: the caller's music stops then.
        let poll = to.map_or(dial::POLL, |t| {
            dial::POLL.min(t.saturating_sub(round_start.elapsed()))
        });
        let watched = std::iter::once(&caller).chain(legs.iter().map(|r| &r.chan));
        let _ = tokio::time::timeout(poll, crate::channels::any_woken(watched)).await;
    };
    let ring_secs = round_start.elapsed().as_secs();
    let peer = winner.chan.clone();
    ctx.verbose(
        3,
        crate::site!("app_queue.c", 5744, "wait_for_answer"),
        &format!("{} answered {}", peer.name, caller.name),
    );
    dial::dial_end(sys, &caller, &peer, "ANSWER");
    // The caller learns who answered: the connected line the member sent,
    // else the member's caller id when it had one of its own.
    let answered_id = winner
        .pending_connected
        .take()
        .or_else(|| (!winner.callerid_absent).then(|| peer.lock().caller.id.clone()));
    if let Some(id) = answered_id {
        crate::channels::bridge::apply_connected_line(&caller, id);
    }
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
    if !side.announce.is_empty() || cfg.reportholdtime || cfg.memberdelay != 0 {
        member_announcements(ctx, &cfg, &peer, &side.announce, start_secs).await;
        // Either may have hung up meanwhile: the call ends before the bridge.
        let gone = if peer.check_hangup() {
            ctx.warning(
                crate::site!("app_queue.c", 7574, "try_calling"),
                &format!("Agent on {} hungup on the customer.", peer.name),
            );
            queue_log(
                sys,
                qname,
                &uid(&caller),
                &member.membername,
                "AGENTDUMP",
                "",
            );
            publish_call(
                sys,
                "AgentDump",
                &caller,
                Some(&peer),
                format!(
                    "Queue: {qname}\r\nInterface: {}\r\nMemberName: {}\r\n",
                    member.interface, member.membername
                ),
            );
            Some(Tried::NoAnswer)
        } else if caller.check_hangup() {
            ctx.notice(
                crate::site!("app_queue.c", 7590, "try_calling"),
                &format!(
                    "Caller was about to talk to agent on {} but the caller hungup.",
                    peer.name
                ),
            );
            let held = crate::core::unix_seconds() - start_secs;
            queue_log(
                sys,
                qname,
                &uid(&caller),
                &member.membername,
                "ABANDON",
                &format!("{pos}|{opos}|{held}"),
            );
            record_abandoned(ctx, qname, pos, opos, start_secs);
            Some(Tried::Abandoned)
        } else {
            None
        };
        if let Some(tried) = gone {
            let status = dial::dial_status_of(peer.lock().hangupcause);
            dial::dial_end(sys, &caller, &peer, status);
            sys.queues.with_queue(sys, qname, |q| {
                if let Some(m) = q
                    .members
                    .iter_mut()
                    .find(|m| m.interface.eq_ignore_ascii_case(&member.interface))
                {
                    m.in_call = false;
                }
            });
            crate::pbx::run::hangup_channel(sys, &peer);
            return tried;
        }
    }
    stop_waiting(ctx, opts.contains_key(&'r'));
    let callerannounce = &cfg.announcements.sounds.callerannounce;
    if !callerannounce.is_empty() && play_file(ctx, callerannounce).await != 0 {
        ctx.warning(
            crate::site!("app_queue.c", 7624, "try_calling"),
            &format!("Announcement file '{callerannounce}' is unavailable, continuing anyway..."),
        );
    }
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
    if cfg.setqueueentryvar {
        // The caller's wait, on both channels (`setqueueentryvar`).
        let held = (crate::core::unix_seconds() - start_secs).to_string();
        let opos = opos.to_string();
        for chan in [&caller, &peer] {
            crate::pbx::set_var(sys, Some(chan), "QEHOLDTIME", Some(&held));
            crate::pbx::set_var(sys, Some(chan), "QEORIGINALPOS", Some(&opos));
        }
    }
    queue::set_queue_variables(sys, qname, &caller);
    queue::set_queue_variables(sys, qname, &peer);
    if !cfg.monitor_format.is_empty() {
        start_recording(ctx, &cfg, &caller, &peer).await;
    }
    // The caller is no longer waiting once connected.
    leave(ctx, qname, &caller);
    // Queue's macro, else the queue's `membermacro`, on the member's
    // channel (`ast_app_exec_macro`); what it returns changes nothing.
    let macro_args = if side.macro_name.is_empty() {
        cfg.membermacro.as_str()
    } else {
        side.macro_name.as_str()
    };
    if !macro_args.is_empty() {
        match super::find("Macro") {
            Some(app) => {
                let peer_ctx = AppCtx {
                    sys: sys.clone(),
                    chan: peer.clone(),
                };
                let _ = super::exec(&peer_ctx, app, macro_args).await;
            }
            None => ctx.warning(
                crate::site!("app.c", 277, "ast_app_exec_macro"),
                &format!("Cannot run 'Macro({macro_args})'.  The application is not available."),
            ),
        }
    }
    // Queue's gosub, else the queue's `membergosub`, on the member's
    // channel; what it returns changes nothing.
    let gosub = if side.gosub.is_empty() {
        cfg.membergosub.as_str()
    } else {
        side.gosub.as_str()
    };
    if !gosub.is_empty() {
        let (context, params) = match gosub.split_once(',') {
            Some((c, p)) => (c, Some(p)),
            None => (gosub, None),
        };
        let what_is_s = dial::callee_s_exten(sys, &peer, context);
        let target = match params {
            Some(p) => format!("{context},{what_is_s},1({p})"),
            None => format!("{context},{what_is_s},1"),
        };
        let _ = dial::exec_sub(sys, &peer, &target).await;
    }
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
    let connected = dial::connect(
        ctx,
        peer.clone(),
        &features,
        None,
        Some(&on_end),
        None,
        dial::Durations::WithMs,
    )
    .await;
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

/// `monitor-format`: the call is recorded once a member answered. With
/// Monitor, the caller's channel when it has MONITOR_EXEC or
/// MONITOR_EXEC_ARGS (its files then joined), else the member's, named
/// MONITOR_FILENAME or the caller's unique id; with MixMonitor, the
/// caller's channel while bridged (`b` and MONITOR_OPTIONS, MONITOR_EXEC
/// as the command), named as for Monitor with its commas escaped and
/// variables substituted (`setup_mixmonitor`).
async fn start_recording(ctx: &AppCtx, cfg: &QueueCfg, caller: &Arc<Channel>, peer: &Arc<Channel>) {
    let sys = &ctx.sys;
    let filename = caller.get_var("MONITOR_FILENAME");
    if !cfg.monitor_mix {
        let exec = caller.get_var("MONITOR_EXEC");
        let on_caller = exec.is_some() || caller.get_var("MONITOR_EXEC_ARGS").is_some();
        let which = if on_caller { caller } else { peer };
        let name = filename.unwrap_or_else(|| caller.uniqueid.clone());
        let join = exec.is_some_and(|e| !e.is_empty());
        super::monitor::manager_start(sys, which, &name, &cfg.monitor_format, join);
        return;
    }
    let file = match filename {
        Some(f) => escape_and_substitute(ctx, caller, &f),
        None => caller.uniqueid.clone(),
    };
    let options = caller.get_var("MONITOR_OPTIONS").unwrap_or_default();
    let exec = caller
        .get_var("MONITOR_EXEC")
        .map(|e| escape_and_substitute(ctx, caller, &e))
        .unwrap_or_default();
    let file = format!("{file}.{}", cfg.monitor_format);
    let options = format!("b{options}");
    if super::mixmonitor::manager_start(sys, caller, &file, &options, &exec)
        .await
        .is_err()
    {
        ctx.warning(
            crate::site!("app_queue.c", 7274, "setup_mixmonitor"),
            "Unable to start mixmonitor. Is the MixMonitor app loaded?",
        );
    }
}

/// app_queue's `escape_and_substitute`: commas escaped (they would split
/// MixMonitor's arguments), `^{` made `${`, then the caller's variables
/// substituted.
fn escape_and_substitute(ctx: &AppCtx, chan: &Arc<Channel>, input: &str) -> String {
    let mut escaped = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' if chars.peek() == Some(&'{') => escaped.push('$'),
            ',' => escaped.push_str("\\,"),
            c => escaped.push(c),
        }
    }
    crate::pbx::subst::substitute(&ctx.sys, Some(chan), &escaped)
}

#[cfg(test)]
mod tests {
    use super::{Step, hold_estimate, periodic_index, position_steps};
    use crate::config::views::queues::{AnnounceHoldtime, AnnouncePosition, Queue};

    fn queue(edit: impl FnOnce(&mut Queue)) -> Queue {
        let cfg = crate::config::Config {
            categories: vec![crate::config::views::testutil::section(
                "queues.conf",
                "q",
                vec![],
            )],
            ..Default::default()
        };
        let mut d = Vec::new();
        let conf =
            <crate::config::views::queues::QueuesConf as crate::config::views::View>::from_config(
                &cfg, &mut d,
            );
        let mut q = conf.queue("q").expect("queue").clone();
        edit(&mut q);
        q
    }

    fn play(name: &str) -> Step {
        Step::Play(name.to_string())
    }

    #[test]
    fn hold_estimates() {
        // (average hold time, waited, rounding) => (minutes, seconds)
        for (hold, waited, round, want) in [
            (0, 0, 0, (0, 0)),
            (0, 0, 10, (0, 30)),
            (0, 6, 10, (0, 20)),
            (0, 6, 5, (0, 20)),
            (0, 6, 15, (0, 15)),
            (90, 0, 0, (2, 0)),
            (100, 10, 30, (2, 0)),
            (100, 0, 30, (2, 0)),
            (125, 0, 20, (2, 20)),
            // Waited past the estimate: the distance, as app_queue's labs.
            (0, 100, 10, (1, 10)),
        ] {
            assert_eq!(
                hold_estimate(hold, waited, round),
                want,
                "{hold} {waited} {round}"
            );
        }
    }

    #[test]
    fn what_a_position_announcement_says() {
        let told = |pos: usize| {
            Step::Verbose(
                4566,
                format!("Told SIP/a-1 in q their queue position (which was {pos})"),
            )
        };
        let hold = |m: i64, s: i64| {
            Step::Verbose(
                4520,
                format!("Hold time for q is {m} minute(s) {s} seconds"),
            )
        };
        // First in line: "you are next", no hold time.
        let q = queue(|_| {});
        assert_eq!(
            position_steps(&q, "SIP/a-1", 1, 0, 0, true),
            [play("queue-youarenext"), told(1), play("queue-thankyou")]
        );
        // Third, with a two-minute average: the count, then the minutes.
        assert_eq!(
            position_steps(&q, "SIP/a-1", 3, 100, 10, true),
            [
                play("queue-thereare"),
                Step::Number(3, Some('n')),
                play("queue-callswaiting"),
                hold(2, 0),
                play("queue-holdtime"),
                Step::Number(2, Some('n')),
                play("queue-minutes"),
                told(3),
                play("queue-thankyou"),
            ]
        );
        // One minute and rounded seconds.
        let q = queue(|q| q.announcements.round_seconds = 15);
        assert_eq!(
            position_steps(&q, "SIP/a-1", 2, 60, 0, false),
            [
                play("queue-thereare"),
                Step::Number(2, Some('n')),
                play("queue-callswaiting"),
                hold(1, 30),
                play("queue-holdtime"),
                Step::Number(1, Some('n')),
                play("queue-minute"),
                Step::Number(30, Some('n')),
                play("queue-seconds"),
                told(2),
                play("queue-thankyou"),
            ]
        );
        // `more` past the limit: "more than <limit>" without gender.
        let q = queue(|q| {
            q.announcements.position = AnnouncePosition::MoreThan;
            q.announcements.position_limit = 5;
            q.announcements.holdtime = AnnounceHoldtime::No;
        });
        assert_eq!(
            position_steps(&q, "SIP/a-1", 7, 0, 0, true),
            [
                play("queue-quantity1"),
                Step::Number(5, None),
                play("queue-quantity2"),
                hold(0, 0),
                told(7),
                play("queue-thankyou"),
            ]
        );
        // `limit`: past it nothing about the place; hold time `once` only
        // the first time; no thanks when nothing was said.
        let q = queue(|q| {
            q.announcements.position = AnnouncePosition::Limit;
            q.announcements.position_limit = 5;
            q.announcements.holdtime = AnnounceHoldtime::Once;
            q.announcements.round_seconds = 10;
        });
        assert_eq!(
            position_steps(&q, "SIP/a-1", 7, 0, 0, true),
            [
                hold(0, 30),
                play("queue-holdtime"),
                Step::Number(30, Some('n')),
                play("queue-seconds"),
                told(7),
                play("queue-thankyou"),
            ]
        );
        assert_eq!(
            position_steps(&q, "SIP/a-1", 7, 0, 6, false),
            [hold(0, 20), told(7)]
        );
    }

    #[test]
    fn periodic_announcements_in_turn() {
        let q = queue(|_| {});
        let a = &q.announcements;
        // Never set: the default prompt every time.
        assert_eq!(
            a.periodic[periodic_index(a, 0, || 0)],
            "queue-periodic-announce"
        );
        assert_eq!(periodic_index(a, 1, || 0), 0);
        let q = queue(|q| {
            q.announcements.periodic = ["a", "", "c"]
                .iter()
                .map(|s| s.to_string())
                .chain(std::iter::repeat_n(String::new(), 7))
                .collect();
            q.announcements.periodic_count = 3;
        });
        let a = &q.announcements;
        // In turn; an empty slot or the end starts over.
        assert_eq!(
            [0, 1, 2, 3].map(|last| periodic_index(a, last, || 0)),
            [0, 0, 2, 0]
        );
        let q = queue(|q| {
            q.announcements.periodic_random = true;
            q.announcements.periodic_count = 3;
        });
        assert_eq!(periodic_index(&q.announcements, 0, || 7), 1);
    }

    #[test]
    fn unsupported_queue_options_are_named() {
        assert_eq!(
            super::unsupported_options("support,tTrb(sub^s^1)I"),
            vec!['I', 'b']
        );
        assert!(super::unsupported_options("support,rn,,,10").is_empty());
        assert_eq!(
            super::unsupported_args("support,r,,hello,10,agi,mac,sub^s^1,rule1,2"),
            [
                "Queue argument 'AGI' is not supported by Asterism",
                "Queue argument 'position' is not supported by Asterism"
            ]
        );
        // announceoverride, macro, gosub and rule are built.
        assert!(super::unsupported_args("support,r,http://x,hello,10,,mac,sub,rule1").is_empty());
    }

    #[test]
    fn penalty_limits_and_penaltymemberslimit() {
        use crate::queue::PenaltyLimits;
        let max0 = PenaltyLimits {
            max: Some(0),
            ..Default::default()
        };
        let ringable = |conf: &str, limits: &PenaltyLimits| {
            let (_dir, sys) = crate::funcs::test_system(&[("queues.conf", conf)]);
            let (_, _, list) = super::candidates(&sys, "q", &[], limits);
            list.iter()
                .map(|(c, i, _)| (i.clone(), c.penalty, c.use_penalty))
                .collect::<Vec<_>>()
        };
        let two = "[q]\nmember => Custom:a,5\nmember => Custom:b,0\n";
        // Beyond the caller's maximum: left out.
        assert_eq!(ringable(two, &max0), [("Custom:b".to_string(), 0, true)]);
        // Raised to 3, so past the maximum of 2 too.
        let raised = PenaltyLimits {
            max: Some(2),
            raise: Some(3),
            ..Default::default()
        };
        assert!(ringable(two, &raised).is_empty());
        // With no more members than penaltymemberslimit, penalties count
        // for nothing: both are rung, at their own penalties.
        let limited = format!("{two}penaltymemberslimit = 2\n");
        assert_eq!(
            ringable(&limited, &max0),
            [
                ("Custom:a".to_string(), 5, false),
                ("Custom:b".to_string(), 0, false)
            ]
        );
    }

    #[test]
    fn member_announcements_split_as_ast_strsep() {
        for (text, want) in [
            ("digits/1", vec!["digits/1"]),
            ("digits/2&digits/3", vec!["digits/2", "digits/3"]),
            (" digits/2 & 'beep' ", vec!["digits/2", "beep"]),
            ("a&&b&", vec!["a", "", "b", ""]),
            // '&' inside quotes does not split; the quotes stay inside.
            ("\"x&y\"&z", vec!["x&y", "z"]),
            ("say\\&more", vec!["say\\&more"]),
        ] {
            assert_eq!(super::announce_files(text), want, "{text}");
        }
    }
}
