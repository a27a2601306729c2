//! MixMonitor, StopMixMonitor and MixMonitorMute (app_mixmonitor's
//! `manager_mixmonitor`, `manager_stop_mixmonitor`,
//! `manager_mute_mixmonitor`): recordings started, stopped and muted from
//! the manager; the work is [`crate::apps::mixmonitor`]'s.

use super::{BoxFuture, now};
use crate::apps::mixmonitor;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// The named channel, or the error Asterisk answers.
fn channel(s: &Session, m: &Message) -> Result<std::sync::Arc<crate::channels::Channel>, Reply> {
    let name = m.get("Channel");
    if name.is_empty() {
        return Err(Reply::error(m, "No channel specified"));
    }
    s.sys()
        .pbx
        .channels
        .by_name(name)
        .ok_or_else(|| Reply::error(m, "No such channel"))
}

/// A bare `Response: Success` (with the ActionID), plus `extra` lines.
fn success(m: &Message, extra: Option<(&str, &str)>) -> Reply {
    let mut r = Reply::start("Success", m);
    if let Some((name, value)) = extra {
        r.line(name, value);
    }
    r.end();
    r
}

pub fn start<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        let chan = match channel(s, m) {
            Ok(c) => c,
            Err(r) => return Flow::Reply(r),
        };
        let sys = s.sys().clone();
        let started = mixmonitor::manager_start(
            &sys,
            &chan,
            m.get("File"),
            m.get("Options"),
            m.get("Command"),
        )
        .await;
        Flow::Reply(match started {
            Err(()) => Reply::error(m, "Could not start monitoring channel"),
            Ok(id) => success(
                m,
                id.as_deref()
                    .filter(|i| !i.is_empty())
                    .map(|i| ("MixMonitorID", i)),
            ),
        })
    })
}

pub fn stop<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let chan = match channel(s, m) {
        Ok(c) => c,
        Err(r) => return now(Flow::Reply(r)),
    };
    now(Flow::Reply(
        if mixmonitor::stop(s.sys(), &chan, m.get("MixMonitorID")) {
            success(m, None)
        } else {
            Reply::error(m, "Could not stop monitoring channel")
        },
    ))
}

pub fn mute<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let direction = m.get("Direction");
    let reply = if direction.is_empty() {
        Reply::error(m, "No direction specified. Must be read, write or both")
    } else if mixmonitor::mute_direction(direction).is_none() {
        Reply::error(
            m,
            "Invalid direction specified. Must be read, write or both",
        )
    } else if m.get("Channel").is_empty() {
        Reply::error(m, "No channel specified")
    } else if m.get("State").is_empty() {
        Reply::error(m, "No state specified")
    } else {
        match channel(s, m) {
            Err(r) => r,
            Ok(chan) => {
                // `ast_false`: only a false word unmutes; the event says
                // `ast_true` of it.
                let state = m.get("State");
                let unmute = crate::config::is_false(state);
                let on = crate::config::is_true(state);
                if mixmonitor::mute(&chan, m.get("MixMonitorID"), direction, !unmute, on) {
                    success(m, None)
                } else {
                    Reply::error(m, "Cannot set mute flag")
                }
            }
        }
    };
    now(Flow::Reply(reply))
}
