//! Monitor, StopMonitor, ChangeMonitor, PauseMonitor and UnpauseMonitor
//! (res_monitor's manager actions); the work is
//! [`crate::apps::monitor`]'s.

use super::{BoxFuture, now};
use crate::apps::monitor;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// The named channel, or the error Asterisk answers.
fn channel(s: &Session, m: &Message) -> Result<std::sync::Arc<crate::channels::Channel>, Reply> {
    if m.get("Channel").is_empty() {
        return Err(Reply::error(m, "No channel specified"));
    }
    s.sys()
        .pbx
        .channels
        .by_name(m.get("Channel"))
        .ok_or_else(|| Reply::error(m, "No such channel"))
}

pub fn start<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let reply = match channel(s, m) {
        Err(r) => r,
        Ok(chan) => {
            let sys = s.sys().clone();
            let mix = crate::config::is_true(m.get("Mix"));
            if monitor::manager_start(&sys, &chan, m.get("File"), m.get("Format"), mix) {
                Reply::ack(m, "Started monitoring channel")
            } else {
                Reply::error(m, "Could not start monitoring channel")
            }
        }
    };
    now(Flow::Reply(reply))
}

/// Stopping always succeeds in Asterisk, monitored or not.
pub fn stop<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let reply = match channel(s, m) {
        Err(r) => r,
        Ok(chan) => {
            monitor::stop(s.sys(), &chan);
            Reply::ack(m, "Stopped monitoring channel")
        }
    };
    now(Flow::Reply(reply))
}

pub fn change<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let reply = if m.get("Channel").is_empty() {
        Reply::error(m, "No channel specified")
    } else if m.get("File").is_empty() {
        Reply::error(m, "No filename specified")
    } else {
        match channel(s, m) {
            Err(r) => r,
            Ok(chan) => {
                monitor::manager_change(s.sys(), &chan, m.get("File"));
                Reply::ack(m, "Changed monitor filename")
            }
        }
    };
    now(Flow::Reply(reply))
}

fn pause_or_unpause<'a>(s: &'a mut Session, m: &'a Message, paused: bool) -> BoxFuture<'a> {
    let reply = match channel(s, m) {
        Err(r) => r,
        Ok(chan) => {
            monitor::manager_pause(&chan, paused);
            Reply::ack(
                m,
                if paused {
                    "Paused monitoring of the channel"
                } else {
                    "Unpaused monitoring of the channel"
                },
            )
        }
    };
    now(Flow::Reply(reply))
}

pub fn pause<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    pause_or_unpause(s, m, true)
}

pub fn unpause<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    pause_or_unpause(s, m, false)
}
