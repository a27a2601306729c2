//! Call queues at run time (Asterisk's `apps/app_queue.c`): each queue of
//! queues.conf with its members (static and dynamic), its waiting callers
//! and its counters; the member operations shared by the applications,
//! AMI and the CLI; the events and queue_log lines they raise. The Queue
//! application is in `apps::queue`, the actions in
//! `manager::actions::queue`, the functions in `funcs::queue`.

pub mod log;
pub mod strategy;

use std::sync::{Arc, Mutex};
use std::time::{Instant, UNIX_EPOCH};

use crate::channels::Channel;
use crate::config::views::queues::{self as view, Queue as QueueCfg, empty};
use crate::core::devicestate::{DeviceState, Pending, device_state};
use crate::core::events::EventKind;
use crate::core::{System, lock};

/// AstDB family of the dynamic members (`pm_family`).
pub const PM_FAMILY: &str = "Queue/PersistentMembers";

/// One member of one queue (`struct member`).
#[derive(Debug, Clone)]
pub struct Member {
    pub interface: String,
    pub membername: String,
    pub state_interface: String,
    pub penalty: i32,
    pub dynamic: bool,
    pub paused: bool,
    pub reason_paused: String,
    pub ringinuse: bool,
    pub wrapuptime: i32,
    pub calls: i32,
    pub lastcall: i64,
    pub lastpause: i64,
    pub logintime: i64,
    /// In a call from this queue now.
    pub in_call: bool,
    /// Rung by a caller right now (not to be rung twice).
    pub ringing: bool,
    /// The device state last seen (`status`), for QueueMemberStatus.
    pub status: Option<DeviceState>,
}

impl Member {
    fn from_cfg(m: &view::Member) -> Member {
        Member {
            interface: m.interface.clone(),
            membername: m.membername.clone(),
            state_interface: m.state_interface.clone(),
            penalty: m.penalty,
            dynamic: false,
            paused: m.paused,
            reason_paused: String::new(),
            ringinuse: m.ringinuse,
            wrapuptime: m.wrapuptime,
            calls: 0,
            lastcall: 0,
            lastpause: 0,
            logintime: m
                .logintime
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            in_call: false,
            ringing: false,
            status: None,
        }
    }

    /// The member's own wrap-up time, else the queue's (`get_wrapuptime`).
    pub fn wrapup(&self, q: &QueueCfg) -> i32 {
        if self.wrapuptime > 0 {
            self.wrapuptime
        } else {
            q.wrapuptime
        }
    }

    pub fn in_wrapup(&self, q: &QueueCfg, now: i64) -> bool {
        let w = self.wrapup(q) as i64;
        self.lastcall != 0 && w > 0 && now - w < self.lastcall
    }
}

/// A caller waiting in a queue (`struct queue_ent`).
#[derive(Clone)]
pub struct Entry {
    pub chan: Arc<Channel>,
    pub start: Instant,
    pub start_secs: i64,
    /// Where it joined (`opos`).
    pub opos: usize,
    pub prio: i32,
    /// QueueWithdrawCaller asked for it to leave, with this info (the
    /// header as given, maybe empty).
    pub withdraw: Option<String>,
}

/// A waiting caller's penalty limits (`max_penalty`, `min_penalty`,
/// `raise_penalty` of `queue_ent`): from QUEUE_MAX_PENALTY,
/// QUEUE_MIN_PENALTY and QUEUE_RAISE_PENALTY when it joined, moved by its
/// penalty rules. `None` is no limit (app_queue's INT_MAX).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PenaltyLimits {
    pub max: Option<i32>,
    pub min: Option<i32>,
    /// Members below this count as having it.
    pub raise: Option<i32>,
    /// `r` before the raise: a member below the minimum is not raised.
    pub raise_respect_min: bool,
}

impl PenaltyLimits {
    /// A member's penalty as the caller sees it when ringing (raised,
    /// `calc_metric`), or `None` when it is outside the limits.
    pub fn penalty_for(&self, penalty: i32) -> Option<i32> {
        self.limited(penalty, false)
    }

    /// `get_member_status`'s reading, where a raise that respects the
    /// minimum raises nobody while there is no minimum (it compares with
    /// INT_MAX).
    fn usable_penalty(&self, penalty: i32) -> Option<i32> {
        self.limited(penalty, true)
    }

    fn limited(&self, penalty: i32, no_min_blocks_raise: bool) -> Option<i32> {
        let mut p = penalty;
        let below_min = match self.min {
            Some(min) => p < min,
            None => no_min_blocks_raise,
        };
        if let Some(raise) = self.raise
            && p < raise
            && !(self.raise_respect_min && below_min)
        {
            p = raise;
        }
        let over = self.max.is_some_and(|max| p > max);
        let under = self.min.is_some_and(|min| p < min);
        (!over && !under).then_some(p)
    }
}

/// A queue's running state (`struct call_queue`).
pub struct QueueRt {
    pub cfg: Arc<QueueCfg>,
    pub members: Vec<Member>,
    pub callers: Vec<Entry>,
    pub completed: i32,
    pub abandoned: i32,
    pub completed_in_sl: i32,
    pub abandoned_in_sl: i32,
    /// Rolling averages (`recalc_holdtime`, talk time likewise).
    pub holdtime: i32,
    pub talktime: i32,
    /// Round-robin memory (`rrpos`) and whether it wrapped.
    pub rrpos: usize,
    pub wrapped: bool,
}

impl QueueRt {
    fn new(cfg: Arc<QueueCfg>) -> QueueRt {
        let members = cfg.members.iter().map(Member::from_cfg).collect();
        QueueRt {
            cfg,
            members,
            callers: Vec::new(),
            completed: 0,
            abandoned: 0,
            completed_in_sl: 0,
            abandoned_in_sl: 0,
            holdtime: 0,
            talktime: 0,
            rrpos: 0,
            wrapped: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub fn member(&self, interface: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.interface.eq_ignore_ascii_case(interface))
    }

    fn member_mut(&mut self, interface: &str) -> Option<&mut Member> {
        self.members
            .iter_mut()
            .find(|m| m.interface.eq_ignore_ascii_case(interface))
    }

    /// Places a new member where app_queue's container would list it:
    /// list order for linear/rrordered, else after its hash bucket's.
    fn link(&mut self, m: Member) {
        use view::Strategy::*;
        if matches!(self.cfg.strategy, Linear | RrOrdered) {
            self.members.push(m);
            return;
        }
        let b = view::member_bucket(&m.interface);
        let at = self
            .members
            .iter()
            .position(|x| view::member_bucket(&x.interface) > b)
            .unwrap_or(self.members.len());
        self.members.insert(at, m);
    }

    /// `get_member_status`: whether some member is usable under the
    /// given conditions (false: the queue counts as empty); with
    /// `penalty` among them, a member outside the caller's limits is not.
    pub fn has_usable_member(&self, sys: &System, conditions: u32, limits: &PenaltyLimits) -> bool {
        let now = crate::core::unix_seconds();
        self.members.iter().any(|m| {
            let on = |c: u32| conditions & c != 0;
            if on(empty::PENALTY) && limits.usable_penalty(m.penalty).is_none() {
                return false;
            }
            let by_device = match device_state(sys, &m.state_interface) {
                DeviceState::Invalid => on(empty::INVALID),
                DeviceState::Unavailable => on(empty::UNAVAILABLE),
                DeviceState::InUse => on(empty::INUSE),
                DeviceState::Ringing => on(empty::RINGING),
                DeviceState::Unknown => on(empty::UNKNOWN),
                _ => false,
            };
            let by_pause = m.paused && on(empty::PAUSED);
            let by_wrapup = on(empty::WRAPUP) && m.in_wrapup(&self.cfg, now);
            !(by_device || by_pause || by_wrapup)
        })
    }
}

/// The statistics `setqueuevar` puts on a channel (`set_queue_variables`;
/// QUEUE_VARIABLES gives the same without QUEUENAME).
pub fn queue_vars(q: &QueueRt, with_name: bool) -> Vec<(&'static str, String)> {
    let sl = if q.completed > 0 {
        100.0 * q.completed_in_sl as f32 / q.completed as f32
    } else {
        0.0
    };
    let mut v = Vec::new();
    if with_name {
        v.push(("QUEUENAME", q.cfg.name.clone()));
    }
    v.extend([
        ("QUEUEMAX", q.cfg.maxlen.to_string()),
        ("QUEUESTRATEGY", q.cfg.strategy.as_str().to_string()),
        ("QUEUECALLS", q.callers.len().to_string()),
        ("QUEUEHOLDTIME", q.holdtime.to_string()),
        ("QUEUETALKTIME", q.talktime.to_string()),
        ("QUEUECOMPLETED", q.completed.to_string()),
        ("QUEUEABANDONED", q.abandoned.to_string()),
        ("QUEUESRVLEVEL", q.cfg.servicelevel.to_string()),
        ("QUEUESRVLEVELPERF", format!("{sl:.1}")),
    ]);
    v
}

/// `set_queue_variables`: the statistics on `chan` when the queue has
/// `setqueuevar`.
pub fn set_queue_variables(sys: &System, queue: &str, chan: &Arc<Channel>) {
    let vars = sys
        .queues
        .with_queue(sys, queue, |q| {
            q.cfg.setqueuevar.then(|| queue_vars(q, true))
        })
        .flatten();
    for (k, v) in vars.unwrap_or_default() {
        crate::pbx::set_var(sys, Some(chan), k, Some(&v));
    }
}

/// What a member operation came to (`RES_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Okay,
    Exists,
    NoSuchQueue,
    NotDynamic,
}

/// Every queue's running state.
#[derive(Default)]
pub struct Queues {
    inner: Mutex<Vec<QueueRt>>,
    started: std::sync::atomic::AtomicBool,
}

impl Queues {
    /// Runs `f` on the queues, loading them from the configuration the
    /// first time.
    pub fn with<R>(&self, sys: &System, f: impl FnOnce(&mut Vec<QueueRt>) -> R) -> R {
        let mut g = lock(&self.inner);
        if !self.started.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let conf = sys.loaded().queues.clone();
            *g = conf
                .queues
                .iter()
                .map(|q| QueueRt::new(Arc::new(q.clone())))
                .collect();
            drop(g);
            load_persistent(sys);
            g = lock(&self.inner);
        }
        f(&mut g)
    }

    /// Puts the counters back to zero (`clear_queue`), of one queue or all.
    pub fn reset_stats(&self, sys: &System, queue: &str) {
        self.with(sys, |qs| {
            for q in qs.iter_mut() {
                if queue.is_empty() || q.cfg.name.eq_ignore_ascii_case(queue) {
                    q.completed = 0;
                    q.abandoned = 0;
                    q.completed_in_sl = 0;
                    q.abandoned_in_sl = 0;
                    q.holdtime = 0;
                    q.talktime = 0;
                    for m in &mut q.members {
                        m.calls = 0;
                        m.lastcall = 0;
                    }
                }
            }
        });
    }

    /// Runs `f` on one queue (name compared without case).
    pub fn with_queue<R>(
        &self,
        sys: &System,
        name: &str,
        f: impl FnOnce(&mut QueueRt) -> R,
    ) -> Option<R> {
        self.with(sys, |qs| {
            qs.iter_mut()
                .find(|q| q.cfg.name.eq_ignore_ascii_case(name))
                .map(f)
        })
    }

    /// The queue names in the order app_queue's container walks them.
    pub fn names(&self, sys: &System) -> Vec<String> {
        let mut names: Vec<String> =
            self.with(sys, |qs| qs.iter().map(|q| q.cfg.name.clone()).collect());
        names.sort_by_key(|n| queue_bucket(n));
        names
    }
}

/// `queue_hash_cb` reduced to its bucket among app_queue's 53: the
/// containers list the queues bucket by bucket.
pub fn queue_bucket(name: &str) -> u32 {
    let mut hash: u32 = 5381;
    for b in name.bytes() {
        hash = hash.wrapping_mul(33) ^ (b.to_ascii_lowercase() as u32);
    }
    // ast_str_hash_restrict: the sign bit dropped.
    (hash & i32::MAX as u32) % 53
}

/// Boot (`logger_queue_start` and app_queue's load): QUEUESTART, then
/// the persistent members.
pub fn start(sys: &System) {
    log::queue_log(sys, "NONE", "NONE", "NONE", "QUEUESTART", "");
    // Each member's pause device and each queue's availability, as the
    // queues load: cached before anyone listens. Members start from their
    // device's state now, so only a change raises QueueMemberStatus.
    let all: Vec<(String, Vec<Member>)> = sys.queues.with(sys, |qs| {
        for q in qs.iter_mut() {
            for m in q.members.iter_mut() {
                m.status = Some(device_state(sys, &m.state_interface));
            }
        }
        qs.iter()
            .map(|q| (q.cfg.name.clone(), q.members.clone()))
            .collect()
    });
    for (q, members) in &all {
        for m in members {
            let state = if m.paused {
                DeviceState::InUse
            } else {
                DeviceState::NotInUse
            };
            sys.pbx
                .devstates
                .seed(&format!("Queue:{q}_pause_{}", m.interface), state);
        }
        let avail = if any_available(sys, q) {
            DeviceState::NotInUse
        } else {
            DeviceState::InUse
        };
        sys.pbx.devstates.seed(&format!("Queue:{q}_avail"), avail);
    }
    let mut rx = sys.pbx.channels.events.subscribe();
    let weak = Arc::downgrade(&sys.arc());
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            let EventKind::DeviceStateChange { device, state } = &ev.kind else {
                continue;
            };
            let Some(sys) = weak.upgrade() else {
                return;
            };
            member_device_changed(&sys, device, *state);
        }
    });
}

/// `device_state_cb`/`update_status`: a member's device changed; each
/// queue it is in says so (QueueMemberStatus) when its status moved.
pub fn member_device_changed(sys: &System, device: &str, state: DeviceState) {
    let changed: Vec<(String, Member)> = sys.queues.with(sys, |qs| {
        let mut out = Vec::new();
        for q in qs.iter_mut() {
            let name = q.cfg.name.clone();
            for m in q.members.iter_mut() {
                if m.state_interface.eq_ignore_ascii_case(device) && m.status != Some(state) {
                    m.status = Some(state);
                    out.push((name.clone(), m.clone()));
                }
            }
        }
        out
    });
    // app_queue walks its queues container bucket by bucket.
    let mut changed = changed;
    changed.sort_by_key(|(q, _)| queue_bucket(q));
    let mut queues: Vec<String> = Vec::new();
    for (q, m) in changed {
        sys.pbx.channels.events.publish_system(EventKind::Manager {
            class: crate::manager::class::AGENT,
            name: "QueueMemberStatus".into(),
            body: member_body(&q, &m, state),
        });
        if !queues.contains(&q) {
            queues.push(q);
        }
    }
    for q in queues {
        avail_devstate(sys, &q, any_available(sys, &q));
    }
}

/// `reload_queues`: the configuration's queues take over; dynamic members,
/// counters and callers stay with the queues that remain.
pub fn reload(sys: &System) {
    let conf = sys.loaded().queues.clone();
    sys.queues.with(sys, |qs| {
        let mut next = Vec::new();
        for cfg in &conf.queues {
            let cfg = Arc::new(cfg.clone());
            match qs
                .iter()
                .position(|q| q.cfg.name.eq_ignore_ascii_case(&cfg.name))
            {
                Some(i) => {
                    let mut q = qs.remove(i);
                    let old = std::mem::take(&mut q.members);
                    q.cfg = cfg.clone();
                    let fresh = QueueRt::new(cfg);
                    for mut m in fresh.members {
                        if let Some(o) = old
                            .iter()
                            .find(|o| o.interface.eq_ignore_ascii_case(&m.interface))
                        {
                            m.calls = o.calls;
                            m.lastcall = o.lastcall;
                            m.logintime = o.logintime;
                            m.in_call = o.in_call;
                        }
                        q.members.push(m);
                    }
                    for m in old.into_iter().filter(|m| m.dynamic) {
                        if q.member(&m.interface).is_none() {
                            q.link(m);
                        }
                    }
                    next.push(q);
                }
                None => next.push(QueueRt::new(cfg)),
            }
        }
        // A removed queue with callers lives on until they leave.
        next.extend(qs.drain(..).filter(|q| !q.callers.is_empty()));
        *qs = next;
    });
}

/// `queue_member_blob_create`'s fields, as AMI prints them.
pub fn member_body(q: &str, m: &Member, status: DeviceState) -> String {
    format!(
        "Queue: {q}\r\nMemberName: {}\r\nInterface: {}\r\nStateInterface: {}\r\nMembership: {}\r\nPenalty: {}\r\nCallsTaken: {}\r\nLastCall: {}\r\nLastPause: {}\r\nLoginTime: {}\r\nInCall: {}\r\nStatus: {}\r\nPaused: {}\r\nPausedReason: {}\r\nRinginuse: {}\r\nWrapuptime: {}\r\n",
        m.membername,
        m.interface,
        m.state_interface,
        if m.dynamic { "dynamic" } else { "static" },
        m.penalty,
        m.calls,
        m.lastcall,
        m.lastpause,
        m.logintime,
        u8::from(m.in_call),
        status as i32,
        u8::from(m.paused),
        m.reason_paused,
        u8::from(m.ringinuse),
        m.wrapuptime,
    )
}

/// A QueueMember* event (`queue_publish_member_blob`).
pub fn publish_member(sys: &System, event: &str, q: &str, m: &Member) {
    let status = device_state(sys, &m.state_interface);
    sys.pbx.channels.events.publish_system(EventKind::Manager {
        class: crate::manager::class::AGENT,
        name: event.to_string(),
        body: member_body(q, m, status),
    });
}

/// A Queue*/Agent* event about a caller, and a member's channel when
/// there is one (`queue_publish_multi_channel_blob`: the member's
/// fields prefixed `Dest`).
pub fn publish_call(
    sys: &System,
    event: &str,
    caller: &Channel,
    agent: Option<&Channel>,
    blob: String,
) {
    let mut body = agent
        .map(|a| crate::manager::events::channel_state(&a.snapshot(), "Dest"))
        .unwrap_or_default();
    body.push_str(&blob);
    sys.pbx.channels.events.publish(
        EventKind::Manager {
            class: crate::manager::class::AGENT,
            name: event.to_string(),
            body,
        },
        Arc::new(caller.snapshot()),
    );
}

/// The name queue_log gives a member (`log_membername_as_agent`).
fn log_agent<'a>(sys: &System, interface: &'a str, membername: &'a str) -> String {
    if sys.loaded().queues.general.log_membername_as_agent && !membername.is_empty() {
        membername.to_string()
    } else {
        interface.to_string()
    }
}

/// `add_to_queue`.
#[allow(clippy::too_many_arguments)]
pub fn add_member(
    sys: &System,
    queue: &str,
    interface: &str,
    membername: &str,
    penalty: i32,
    paused: bool,
    state_interface: &str,
    reason: &str,
    wrapuptime: i32,
    callid: &str,
) -> Res {
    let added = sys.queues.with_queue(sys, queue, |q| {
        if q.member(interface).is_some() {
            return None;
        }
        let now = crate::core::unix_seconds();
        let m = Member {
            interface: interface.to_string(),
            membername: if membername.is_empty() {
                interface
            } else {
                membername
            }
            .to_string(),
            state_interface: if state_interface.is_empty() {
                interface
            } else {
                state_interface
            }
            .to_string(),
            penalty,
            dynamic: true,
            paused,
            reason_paused: if paused {
                reason.to_string()
            } else {
                String::new()
            },
            ringinuse: q.cfg.ringinuse,
            wrapuptime,
            calls: 0,
            lastcall: 0,
            lastpause: 0,
            logintime: now,
            in_call: false,
            ringing: false,
            status: None,
        };
        q.link(m.clone());
        Some((q.cfg.name.clone(), m))
    });
    match added {
        None => Res::NoSuchQueue,
        Some(None) => Res::Exists,
        Some(Some((qname, m))) => {
            pause_devstate(sys, &qname, &m);
            publish_member(sys, "QueueMemberAdded", &qname, &m);
            let cfg = sys.queues.with_queue(sys, &qname, |q| q.cfg.clone());
            if cfg.is_some_and(|c| member_available(sys, &c, &m)) {
                avail_devstate(sys, &qname, true);
            }
            let agent = log_agent(sys, interface, membername);
            log::queue_log(
                sys,
                &qname,
                callid,
                &agent,
                "ADDMEMBER",
                if paused { "PAUSED" } else { "" },
            );
            persist(sys, &qname);
            Res::Okay
        }
    }
}

/// `remove_from_queue`.
pub fn remove_member(sys: &System, queue: &str, interface: &str, callid: &str) -> Res {
    let removed = sys.queues.with_queue(sys, queue, |q| {
        let Some(i) = q
            .members
            .iter()
            .position(|m| m.interface.eq_ignore_ascii_case(interface))
        else {
            return Err(Res::Exists);
        };
        if !q.members[i].dynamic {
            return Err(Res::NotDynamic);
        }
        Ok((q.cfg.name.clone(), q.members.remove(i)))
    });
    match removed {
        None => Res::NoSuchQueue,
        Some(Err(r)) => r,
        Some(Ok((qname, m))) => {
            publish_member(sys, "QueueMemberRemoved", &qname, &m);
            if !any_available(sys, &qname) {
                avail_devstate(sys, &qname, false);
            }
            let agent = log_agent(sys, interface, &m.membername);
            log::queue_log(sys, &qname, callid, &agent, "REMOVEMEMBER", "");
            persist(sys, &qname);
            Res::Okay
        }
    }
}

/// `set_member_paused`: in one queue, or every queue the interface is
/// in when `queue` is empty. False when no member was found.
pub fn pause_member(
    sys: &System,
    queue: &str,
    interface: &str,
    reason: &str,
    paused: bool,
) -> bool {
    let changed: Vec<(String, Member)> = sys.queues.with(sys, |qs| {
        let mut out = Vec::new();
        for q in qs.iter_mut() {
            if !queue.is_empty() && !q.cfg.name.eq_ignore_ascii_case(queue) {
                continue;
            }
            let name = q.cfg.name.clone();
            if let Some(m) = q.member_mut(interface) {
                if m.paused != paused {
                    m.lastpause = crate::core::unix_seconds();
                }
                m.paused = paused;
                m.reason_paused = reason.to_string();
                out.push((name, m.clone()));
                if !paused {
                    m.reason_paused.clear();
                }
            }
        }
        out
    });
    // app_queue walks its queues container bucket by bucket.
    let mut changed = changed;
    changed.sort_by_key(|(q, _)| queue_bucket(q));
    // Every queue at once: one PAUSEALL/UNPAUSEALL line first.
    if let (true, Some((_, first))) = (queue.is_empty(), changed.first()) {
        log::queue_log(
            sys,
            "NONE",
            "NONE",
            &first.membername,
            if paused { "PAUSEALL" } else { "UNPAUSEALL" },
            reason,
        );
    }
    for (qname, m) in &changed {
        pause_devstate(sys, qname, m);
        let cfg = sys.queues.with_queue(sys, qname, |q| q.cfg.clone());
        if cfg.is_some_and(|c| member_available(sys, &c, m)) {
            avail_devstate(sys, qname, true);
        } else if !any_available(sys, qname) {
            avail_devstate(sys, qname, false);
        }
        log::queue_log(
            sys,
            qname,
            "NONE",
            &m.membername,
            if paused { "PAUSE" } else { "UNPAUSE" },
            &m.reason_paused,
        );
        publish_member(sys, "QueueMemberPause", qname, m);
        if m.dynamic {
            persist(sys, qname);
        }
    }
    !changed.is_empty()
}

/// A member field changed from AMI or the CLI (`set_member_value`):
/// penalty or ringinuse, in one queue or all. False: no such member.
pub fn set_member_value(
    sys: &System,
    queue: &str,
    interface: &str,
    set: impl Fn(&mut Member),
    event: &str,
    log: (&str, &str),
) -> bool {
    let changed: Vec<(String, Member)> = sys.queues.with(sys, |qs| {
        let mut out = Vec::new();
        for q in qs.iter_mut() {
            if !queue.is_empty() && !q.cfg.name.eq_ignore_ascii_case(queue) {
                continue;
            }
            let name = q.cfg.name.clone();
            if let Some(m) = q.member_mut(interface) {
                set(m);
                out.push((name, m.clone()));
            }
        }
        out
    });
    for (qname, m) in &changed {
        log::queue_log(sys, qname, "NONE", &m.interface, log.0, log.1);
        // Not stored again: app_queue keeps the persistent entry as it was
        // (a new penalty reaches AstDB with the member's next change).
        publish_member(sys, event, qname, m);
    }
    !changed.is_empty()
}

/// `dump_queue_members`: a queue's dynamic members into AstDB as
/// `interface;penalty;paused;membername;state_interface;reason;wrapuptime`
/// joined by `|` (the key goes when none is left).
pub fn persist(sys: &System, queue: &str) {
    if !sys.loaded().queues.general.persistentmembers {
        return;
    }
    let Some((name, value)) = sys.queues.with_queue(sys, queue, |q| {
        let v: Vec<String> = q
            .members
            .iter()
            .filter(|m| m.dynamic)
            .map(|m| {
                format!(
                    "{};{};{};{};{};{};{}",
                    m.interface,
                    m.penalty,
                    u8::from(m.paused),
                    m.membername,
                    m.state_interface,
                    m.reason_paused,
                    m.wrapuptime
                )
            })
            .collect();
        (q.cfg.name.clone(), v.join("|"))
    }) else {
        return;
    };
    let res = if value.is_empty() {
        sys.db.del(PM_FAMILY, &name)
    } else {
        sys.db.put(PM_FAMILY, &name, &value)
    };
    if let Err(e) = res {
        tracing::warn!("queue {name}: persistent members not stored: {e}");
    }
}

/// `reload_queue_members`: the dynamic members AstDB kept (no events or
/// queue_log lines, as at Asterisk's start).
fn load_persistent(sys: &System) {
    if !sys.loaded().queues.general.persistentmembers {
        return;
    }
    let entries = match sys.db.gettree(PM_FAMILY, "") {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("persistent queue members not read: {e}");
            return;
        }
    };
    for e in entries {
        let qname = e.key.rsplit('/').next().unwrap_or("").to_string();
        let found = sys.queues.with_queue(sys, &qname, |q| {
            for item in e.value.split('|').filter(|s| !s.is_empty()) {
                let f: Vec<&str> = item.split(';').collect();
                let get = |i: usize| f.get(i).copied().unwrap_or("");
                let interface = get(0);
                if interface.is_empty() || q.member(interface).is_some() {
                    continue;
                }
                let membername = if get(3).is_empty() { interface } else { get(3) };
                let state = if get(4).is_empty() { interface } else { get(4) };
                let m = Member {
                    interface: interface.to_string(),
                    membername: membername.to_string(),
                    state_interface: state.to_string(),
                    penalty: get(1).trim().parse().unwrap_or(0),
                    dynamic: true,
                    paused: get(2).trim() == "1",
                    reason_paused: get(5).to_string(),
                    ringinuse: q.cfg.ringinuse,
                    wrapuptime: get(6).trim().parse().unwrap_or(0),
                    calls: 0,
                    lastcall: 0,
                    lastpause: 0,
                    logintime: crate::core::unix_seconds(),
                    in_call: false,
                    ringing: false,
                    status: None,
                };
                q.link(m);
            }
        });
        if found.is_none() {
            // app_queue drops the entry of a queue that no longer exists.
            let _ = sys.db.del(PM_FAMILY, &qname);
        }
    }
}

/// `is_member_available`: not paused, not in wrap-up, its device free
/// (or in use when it may be rung in use).
pub fn member_available(sys: &System, q: &QueueCfg, m: &Member) -> bool {
    if m.paused || m.in_wrapup(q, crate::core::unix_seconds()) {
        return false;
    }
    match device_state(sys, &m.state_interface) {
        DeviceState::NotInUse | DeviceState::Unknown => true,
        DeviceState::InUse
        | DeviceState::Busy
        | DeviceState::Ringing
        | DeviceState::RingInUse
        | DeviceState::OnHold => m.ringinuse,
        _ => false,
    }
}

/// `Queue:<queue>_avail`: NOT_INUSE while a member can take a call.
pub fn avail_devstate(sys: &System, queue: &str, available: bool) {
    let state = if available {
        DeviceState::NotInUse
    } else {
        DeviceState::InUse
    };
    sys.pbx.channels.events.device_changed(
        &format!("Queue:{queue}_avail"),
        true,
        Pending::Known(state),
    );
}

/// `Queue:<queue>_pause_<interface>`: INUSE while paused.
pub fn pause_devstate(sys: &System, queue: &str, m: &Member) {
    let state = if m.paused {
        DeviceState::InUse
    } else {
        DeviceState::NotInUse
    };
    sys.pbx.channels.events.device_changed(
        &format!("Queue:{queue}_pause_{}", m.interface),
        true,
        Pending::Known(state),
    );
}

/// Whether any member of the queue is available now.
pub fn any_available(sys: &System, queue: &str) -> bool {
    sys.queues
        .with_queue(sys, queue, |q| {
            q.members.iter().any(|m| member_available(sys, &q.cfg, m))
        })
        .unwrap_or(false)
}

/// The `Queue:<name>` device: ringing while callers wait.
pub fn queue_devstate(sys: &System, name: &str, waiting: bool) {
    let state = if waiting {
        DeviceState::Ringing
    } else {
        DeviceState::NotInUse
    };
    sys.pbx
        .channels
        .events
        .device_changed(&format!("Queue:{name}"), true, Pending::Known(state));
}

#[cfg(test)]
mod tests {
    #[test]
    fn queues_are_listed_in_hash_bucket_order() {
        // The order of the reference's QueueStatus in queue_actions.
        let mut names = vec!["sales", "helpdesk", "support"];
        names.sort_by_key(|n| super::queue_bucket(n));
        assert_eq!(names, ["support", "helpdesk", "sales"]);
        assert_eq!(
            super::queue_bucket("SUPPORT"),
            super::queue_bucket("support")
        );
    }

    #[test]
    fn empty_conditions_follow_members() {
        use crate::config::views::queues::empty;
        let (_dir, sys) = crate::funcs::test_system(&[(
            "queues.conf",
            "[q]\njoinempty = strict\nmember => Custom:x\n",
        )]);
        let usable = |c: u32| {
            sys.queues
                .with_queue(&sys, "q", |q| {
                    q.has_usable_member(&sys, c, &super::PenaltyLimits::default())
                })
                .expect("queue")
        };
        let strict = sys
            .queues
            .with_queue(&sys, "q", |q| q.cfg.joinempty)
            .expect("queue");
        // An unknown device is not among strict's conditions.
        assert!(usable(strict));
        assert!(!usable(strict | empty::UNKNOWN));
        assert!(super::pause_member(&sys, "q", "Custom:x", "", true));
        assert!(!usable(strict));
        // Without PAUSED among the conditions a paused member still counts.
        assert!(usable(empty::INVALID));
        assert!(!super::any_available(&sys, "q"));
    }

    #[test]
    fn penalty_limits_as_get_member_status() {
        use super::PenaltyLimits;
        let l =
            |max: Option<i32>, min: Option<i32>, raise: Option<i32>, respect: bool| PenaltyLimits {
                max,
                min,
                raise,
                raise_respect_min: respect,
            };
        for (limits, penalty, want) in [
            (PenaltyLimits::default(), 7, Some(7)),
            (l(Some(2), None, None, false), 3, None),
            (l(Some(2), None, None, false), 2, Some(2)),
            (l(None, Some(1), None, false), 0, None),
            // Raised to 1 and so within the minimum.
            (l(None, Some(1), Some(1), false), 0, Some(1)),
            // `r`: below the minimum stays below it.
            (l(None, Some(1), Some(1), true), 0, None),
            (l(Some(3), None, Some(5), false), 0, None),
            (l(Some(3), None, Some(2), true), 0, Some(2)),
        ] {
            assert_eq!(limits.penalty_for(penalty), want, "{limits:?} {penalty}");
        }
        // get_member_status: `r` without a minimum raises nobody.
        let respect = l(None, None, Some(2), true);
        assert_eq!(respect.usable_penalty(0), Some(0));
        assert_eq!(respect.penalty_for(0), Some(2));
    }
}
