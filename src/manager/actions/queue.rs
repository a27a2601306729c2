//! app_queue's actions (`manager_queues_status`, `manager_add_queue_member`
//! and the rest in apps/app_queue.c).

use super::{BoxFuture, now};
use crate::config::{is_false, is_true};
use crate::core::devicestate::{DeviceState, device_state};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};
use crate::queue::{self, Res};

fn reply<'a>(r: Reply) -> BoxFuture<'a> {
    now(Flow::Reply(r))
}

/// `%2.1f` of a percentage.
fn pct(part: i32, whole: i32) -> String {
    let v = if whole > 0 {
        100.0 * part as f32 / whole as f32
    } else {
        0.0
    };
    format!("{v:.1}")
}

/// QueueStatus: each queue's QueueParams, its QueueMember and QueueEntry
/// items (filtered by `Queue` and `Member`).
pub fn status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let qf = m.get("Queue");
    let mf = m.get("Member");
    let mut r = Reply::list_start(m, "Queue status will follow");
    let mut items = 0;
    let t = crate::core::unix_seconds();
    for name in sys.queues.names(&sys) {
        if !qf.is_empty() && !qf.eq_ignore_ascii_case(&name) {
            continue;
        }
        sys.queues.with_queue(&sys, &name, |q| {
            let c = &q.cfg;
            r.line("Event", "QueueParams")
                .line("Queue", &c.name)
                .line("Max", c.maxlen)
                .line("Strategy", c.strategy.as_str())
                .line("Calls", q.callers.len())
                .line("Holdtime", q.holdtime)
                .line("TalkTime", q.talktime)
                .line("Completed", q.completed)
                .line("Abandoned", q.abandoned)
                .line("ServiceLevel", c.servicelevel)
                .line("ServicelevelPerf", pct(q.completed_in_sl, q.completed))
                .line(
                    "ServicelevelPerf2",
                    pct(
                        q.abandoned_in_sl + q.completed_in_sl,
                        q.abandoned + q.completed,
                    ),
                )
                .line("Weight", c.weight)
                .action_id(m)
                .end();
            items += 1;
            for mem in &q.members {
                if !mf.is_empty() && mem.interface != mf && mem.membername != mf {
                    continue;
                }
                r.line("Event", "QueueMember")
                    .line("Queue", &c.name)
                    .line("Name", &mem.membername)
                    .line("Location", &mem.interface)
                    .line("StateInterface", &mem.state_interface)
                    .line("Membership", if mem.dynamic { "dynamic" } else { "static" })
                    .line("Penalty", mem.penalty)
                    .line("CallsTaken", mem.calls)
                    .line("LastCall", mem.lastcall)
                    .line("LastPause", mem.lastpause)
                    .line("LoginTime", mem.logintime)
                    .line("InCall", u8::from(mem.in_call))
                    .line("Status", device_state(&sys, &mem.state_interface) as i32)
                    .line("Paused", u8::from(mem.paused))
                    .line("PausedReason", &mem.reason_paused)
                    .line("Wrapuptime", mem.wrapuptime)
                    .action_id(m)
                    .end();
                items += 1;
            }
            for (i, e) in q.callers.iter().enumerate() {
                let (cnum, cname, lnum, lname) = {
                    let d = e.chan.lock();
                    let f = |v: Option<&str>| v.unwrap_or("unknown").to_string();
                    (
                        f(d.caller.id.number()),
                        f(d.caller.id.name()),
                        f(d.connected.id.number()),
                        f(d.connected.id.name()),
                    )
                };
                r.line("Event", "QueueEntry")
                    .line("Queue", &c.name)
                    .line("Position", i + 1)
                    .line("Channel", &e.chan.name)
                    .line("Uniqueid", &e.chan.uniqueid)
                    .line("CallerIDNum", cnum)
                    .line("CallerIDName", cname)
                    .line("ConnectedLineNum", lnum)
                    .line("ConnectedLineName", lname)
                    .line("Wait", t - e.start_secs)
                    .line("Priority", e.prio)
                    .action_id(m)
                    .end();
                items += 1;
            }
        });
    }
    r.list_complete(m, "QueueStatusComplete", items);
    reply(r)
}

/// QueueSummary: members logged in and available, callers, times.
pub fn summary<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let qf = m.get("Queue");
    let mut r = Reply::list_start(m, "Queue summary will follow");
    let mut items = 0;
    let t = crate::core::unix_seconds();
    for name in sys.queues.names(&sys) {
        if !qf.is_empty() && !qf.eq_ignore_ascii_case(&name) {
            continue;
        }
        sys.queues.with_queue(&sys, &name, |q| {
            let (mut logged, mut avail) = (0, 0);
            for mem in &q.members {
                let st = device_state(&sys, &mem.state_interface);
                if !matches!(st, DeviceState::Unavailable | DeviceState::Invalid) {
                    logged += 1;
                    if matches!(st, DeviceState::NotInUse | DeviceState::Unknown) && !mem.paused {
                        avail += 1;
                    }
                }
            }
            let longest = q
                .callers
                .iter()
                .map(|e| t - e.start_secs)
                .max()
                .unwrap_or(0)
                .max(0);
            r.line("Event", "QueueSummary")
                .line("Queue", &q.cfg.name)
                .line("LoggedIn", logged)
                .line("Available", avail)
                .line("Callers", q.callers.len())
                .line("HoldTime", q.holdtime)
                .line("TalkTime", q.talktime)
                .line("LongestHoldTime", longest)
                .action_id(m)
                .end();
            items += 1;
        });
    }
    r.list_complete(m, "QueueSummaryComplete", items);
    reply(r)
}

/// `sscanf("%30d")` ≥ 0, else 0 (QueueAdd's Penalty and Wrapuptime).
fn non_negative(v: &str) -> i32 {
    crate::config::views::values::scan_d(v)
        .filter(|n| (0..=i32::MAX as i64).contains(n))
        .map(|n| n as i32)
        .unwrap_or(0)
}

pub fn add<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let queue = m.get("Queue");
    let interface = m.get("Interface");
    if queue.is_empty() {
        return reply(Reply::error(m, "'Queue' not specified."));
    }
    if interface.is_empty() {
        return reply(Reply::error(m, "'Interface' not specified."));
    }
    let paused = is_true(m.get("Paused"));
    let r = match queue::add_member(
        &sys,
        queue,
        interface,
        m.get("MemberName"),
        non_negative(m.get("Penalty")),
        paused,
        m.get("StateInterface"),
        m.get("Reason"),
        non_negative(m.get("Wrapuptime")),
        "MANAGER",
    ) {
        Res::Okay => Reply::ack(m, "Added interface to queue"),
        Res::Exists => Reply::error(m, "Unable to add interface: Already there"),
        _ => Reply::error(m, "Unable to add interface to queue: No such queue"),
    };
    reply(r)
}

pub fn remove<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let queue = m.get("Queue");
    let interface = m.get("Interface");
    if queue.is_empty() || interface.is_empty() {
        return reply(Reply::error(m, "Need 'Queue' and 'Interface' parameters."));
    }
    let r = match queue::remove_member(&sys, queue, interface, "MANAGER") {
        Res::Okay => Reply::ack(m, "Removed interface from queue"),
        Res::Exists => Reply::error(m, "Unable to remove interface: Not there"),
        Res::NoSuchQueue => Reply::error(m, "Unable to remove interface from queue: No such queue"),
        Res::NotDynamic => Reply::error(m, "Member not dynamic"),
    };
    reply(r)
}

pub fn pause<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let interface = m.get("Interface");
    let paused_s = m.get("Paused");
    if interface.is_empty() || paused_s.is_empty() {
        return reply(Reply::error(m, "Need 'Interface' and 'Paused' parameters."));
    }
    let paused = is_true(paused_s);
    let r = if queue::pause_member(&sys, m.get("Queue"), interface, m.get("Reason"), paused) {
        Reply::ack(
            m,
            if paused {
                "Interface paused successfully"
            } else {
                "Interface unpaused successfully"
            },
        )
    } else {
        Reply::error(m, "Interface not found")
    };
    reply(r)
}

pub fn penalty<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let interface = m.get("Interface");
    let penalty_s = m.get("Penalty");
    if interface.is_empty() || penalty_s.is_empty() {
        return reply(Reply::error(
            m,
            "Need 'Interface' and 'Penalty' parameters.",
        ));
    }
    let penalty = crate::config::views::values::atoi_i32(penalty_s);
    let ok = penalty >= 0 && {
        let v = penalty.to_string();
        queue::set_member_value(
            &sys,
            m.get("Queue"),
            interface,
            |mem| mem.penalty = penalty,
            "QueueMemberPenalty",
            ("PENALTY", &v),
        )
    };
    reply(if ok {
        Reply::ack(m, "Interface penalty set successfully")
    } else {
        Reply::error(m, "Invalid interface, queuename or penalty")
    })
}

pub fn ringinuse<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let interface = m.get("Interface");
    let v = m.get("RingInUse");
    if interface.is_empty() || v.is_empty() {
        return reply(Reply::error(
            m,
            "Need 'Interface' and 'RingInUse' parameters.",
        ));
    }
    let on = if is_true(v) {
        true
    } else if is_false(v) {
        false
    } else {
        return reply(Reply::error(
            m,
            "'RingInUse' parameter must be a truth value (yes/no, on/off, 0/1, etc)",
        ));
    };
    let ok = queue::set_member_value(
        &sys,
        m.get("Queue"),
        interface,
        |mem| mem.ringinuse = on,
        "QueueMemberRinginuse",
        ("RINGINUSE", if on { "1" } else { "0" }),
    );
    reply(if ok {
        Reply::ack(m, "Interface ringinuse set successfully")
    } else {
        Reply::error(m, "Invalid interface, queuename, or ringinuse value\n")
    })
}

pub fn log<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let queue = m.get("Queue");
    let event = m.get("Event");
    if queue.is_empty() || event.is_empty() {
        return reply(Reply::error(m, "Need 'Queue' and 'Event' parameters."));
    }
    let uid = match m.get("UniqueId") {
        "" => "NONE",
        u => u,
    };
    queue::log::queue_log(
        &sys,
        queue,
        uid,
        m.get("Interface"),
        event,
        m.get("Message"),
    );
    reply(Reply::ack(m, "Event added successfully"))
}

pub fn reset<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    sys.queues.reset_stats(&sys, m.get("Queue"));
    reply(Reply::ack(m, "Queue stats reset successfully"))
}

pub fn reload<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let r = match sys.reload(&[crate::core::Part::Queues]) {
        Ok(()) => Reply::ack(m, "Queue reloaded successfully"),
        Err(_) => Reply::error(m, "Error encountered while reloading queue"),
    };
    reply(r)
}

/// QueueRule (`manager_queue_rule_show`): the penalty rule lists, or the
/// one named. The answer ends in two blank lines, as app_queue's does.
pub fn rule<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let wanted = m.get("Rule");
    let loaded = s.sys().loaded();
    let mut r = Reply::start("Success", m);
    for list in &loaded.queuerules.lists {
        if wanted.is_empty() || wanted.eq_ignore_ascii_case(&list.name) {
            r.line("RuleList", &list.name);
            for rule in &list.rules {
                r.line("Rule", rule.display());
            }
            if !wanted.is_empty() {
                break;
            }
        }
    }
    r.end().end();
    reply(r)
}

/// A caller of a queue by channel name: `Ok` with the queue's callers
/// handed to `f`, else app_queue's reason.
fn with_caller<R>(
    sys: &crate::core::System,
    queue: &str,
    caller: &str,
    f: impl FnOnce(&mut Vec<crate::queue::Entry>, usize) -> R,
) -> Result<R, &'static str> {
    sys.queues
        .with_queue(sys, queue, |q| {
            match q.callers.iter().position(|e| e.chan.name == caller) {
                Some(i) => Ok(f(&mut q.callers, i)),
                None => Err("No such caller"),
            }
        })
        .unwrap_or(Err("No such queue"))
}

/// QueueChangePriorityCaller (`change_priority_caller_on_queue`): the
/// caller's priority; `Immediate` also moves it to its new place.
pub fn change_priority_caller<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (queue, caller, priority) = (m.get("Queue"), m.get("Caller"), m.get("Priority"));
    if queue.is_empty() {
        return reply(Reply::error(m, "'Queue' not specified."));
    }
    if caller.is_empty() {
        return reply(Reply::error(m, "'Caller' not specified."));
    }
    if priority.is_empty() {
        return reply(Reply::error(m, "'Priority' not specified."));
    }
    let Some((priority, _)) = crate::funcs::c::scan_int(priority) else {
        return reply(Reply::error(m, "'Priority' need integer."));
    };
    let immediate = crate::config::is_true(m.get("Immediate"));
    let sys = s.sys().clone();
    let changed = with_caller(&sys, queue, caller, |callers, i| {
        callers[i].prio = priority;
        if immediate {
            // Back in line ahead of the first caller of a lower priority.
            let entry = callers.remove(i);
            let at = callers
                .iter()
                .position(|e| entry.prio > e.prio)
                .unwrap_or(callers.len());
            callers.insert(at, entry);
        }
    });
    reply(match changed {
        Ok(()) => Reply::ack(m, "Priority change for caller on queue"),
        Err(why) => Reply::error(
            m,
            &format!("Unable to change priority caller on queue: {why}"),
        ),
    })
}

/// QueueWithdrawCaller (`request_withdraw_caller_from_queue`): the caller
/// leaves at its next check, back to the dialplan with QUEUESTATUS
/// WITHDRAW and its info in QUEUE_WITHDRAW_INFO.
pub fn withdraw_caller<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (queue, caller) = (m.get("Queue"), m.get("Caller"));
    if queue.is_empty() {
        return reply(Reply::error(m, "'Queue' not specified."));
    }
    if caller.is_empty() {
        return reply(Reply::error(m, "'Caller' not specified."));
    }
    let info = m.get("WithdrawInfo").to_string();
    let sys = s.sys().clone();
    let requested = with_caller(&sys, queue, caller, |callers, i| {
        let entry = &mut callers[i];
        if entry.withdraw.is_some() {
            false
        } else {
            entry.withdraw = Some(info);
            true
        }
    });
    reply(match requested {
        Ok(true) => Reply::ack(m, "Withdraw requested successfully"),
        Ok(false) => Reply::error(
            m,
            "Unable to request withdraw from queue: Already requested",
        ),
        Err(why) => Reply::error(m, &format!("Unable to request withdraw from queue: {why}")),
    })
}
