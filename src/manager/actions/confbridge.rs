//! app_confbridge's actions: ConfbridgeList, ConfbridgeListRooms,
//! ConfbridgeKick, ConfbridgeMute/Unmute, ConfbridgeLock/Unlock,
//! ConfbridgeStartRecord/StopRecord, ConfbridgeSetSingleVideoSrc.

use std::sync::Arc;

use super::{BoxFuture, now};
use crate::confbridge::{Conference, StartError, yes_no};
use crate::core::System;
use crate::manager::events::channel_state;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

fn error<'a>(m: &Message, msg: &str) -> BoxFuture<'a> {
    now(Flow::Reply(Reply::error(m, msg)))
}

/// The checks every action but ListRooms starts with: a name, some
/// conference running, that one running.
fn conference(sys: &System, m: &Message) -> Result<Arc<Conference>, &'static str> {
    let name = m.get("Conference");
    if name.is_empty() {
        return Err("No Conference name provided.");
    }
    if sys.confbridge.is_empty() {
        return Err("No active conferences.");
    }
    sys.confbridge
        .find(name)
        .ok_or("No Conference by that name found.")
}

/// `action_confbridgelist`.
pub fn list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let conf = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    let mut r = Reply::list_start(m, "Confbridge user list will follow");
    let users = conf.users();
    for u in &users {
        let p = &u.profile;
        let up = u.chan.up_time().map_or(-1, |d| d.as_secs() as i64);
        r.item("ConfbridgeList", m)
            .line("Conference", &conf.name)
            .line("Admin", yes_no(p.admin))
            .line("MarkedUser", yes_no(p.marked))
            .line("WaitMarked", yes_no(p.wait_marked))
            .line("EndMarked", yes_no(p.end_marked))
            .line("EndMarkedAny", yes_no(p.end_marked_any))
            .line("Waiting", yes_no(u.waiting()))
            .line("Muted", yes_no(u.muted()))
            .line("Talking", yes_no(conf.talking(u)))
            .line("AnsweredTime", up)
            .raw(&channel_state(&u.chan.snapshot(), ""))
            .end();
    }
    r.list_complete(m, "ConfbridgeListComplete", users.len());
    now(Flow::Reply(r))
}

/// `action_confbridgelistrooms`.
pub fn list_rooms<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let all = sys.confbridge.all();
    if all.is_empty() {
        return error(m, "No active conferences.");
    }
    let mut r = Reply::list_start(m, "Confbridge conferences will follow");
    for c in &all {
        r.item("ConfbridgeListRooms", m)
            .line("Conference", &c.name)
            .line("Parties", c.count())
            .line("Marked", c.marked())
            .line("Locked", yes_no(c.locked()))
            .line("Muted", yes_no(c.all_muted()))
            .end();
    }
    r.list_complete(m, "ConfbridgeListRoomsComplete", all.len());
    now(Flow::Reply(r))
}

fn mute_unmute<'a>(s: &'a mut Session, m: &'a Message, mute: bool) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    if m.get("Conference").is_empty() {
        return error(m, "No Conference name provided.");
    }
    let channel = m.get("Channel");
    if channel.is_empty() {
        return error(m, "No channel name provided.");
    }
    let conf = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    // The session writes the answer before the events the change
    // raises, as Asterisk's do.
    if !conf.mute_matching(channel, mute) {
        return error(m, "No Channel by that name found in Conference.");
    }
    now(Flow::Reply(Reply::ack(
        m,
        if mute { "User muted" } else { "User unmuted" },
    )))
}

pub fn mute<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    mute_unmute(s, m, true)
}

pub fn unmute<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    mute_unmute(s, m, false)
}

fn lock_unlock<'a>(s: &'a mut Session, m: &'a Message, lock: bool) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let conf = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    conf.set_locked(lock);
    now(Flow::Reply(Reply::ack(
        m,
        if lock {
            "Conference locked"
        } else {
            "Conference unlocked"
        },
    )))
}

pub fn lock<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    lock_unlock(s, m, true)
}

pub fn unlock<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    lock_unlock(s, m, false)
}

/// `action_confbridgekick`.
pub fn kick<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let conf = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    let channel = m.get("Channel").to_string();
    let reply = if crate::apps::confbridge::kick(&sys, &conf, &channel) > 0 {
        Reply::ack(
            m,
            if channel == "all" {
                "All participants kicked"
            } else {
                "User kicked"
            },
        )
    } else {
        Reply::error(m, "No Channel by that name found in Conference.")
    };
    now(Flow::Reply(reply))
}

/// `action_confbridgestartrecord`: a `RecordFile` replaces the bridge
/// profile's file for this conference.
pub fn start_record<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let c = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    if c.is_recording() {
        return error(m, "Conference is already being recorded.");
    }
    let file = m.get("RecordFile");
    if !file.is_empty() {
        c.set_record_file(file);
    }
    match c.start_record(&sys) {
        Ok(()) => now(Flow::Reply(Reply::ack(m, "Conference Recording Started."))),
        Err(StartError::AlreadyRecording) => error(m, "Conference is already being recorded."),
        Err(StartError::Failed) => error(m, "Internal error starting conference recording."),
    }
}

/// `action_confbridgestoprecord`.
pub fn stop_record<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let c = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    match c.stop_record(&sys) {
        Ok(()) => now(Flow::Reply(Reply::ack(m, "Conference Recording Stopped."))),
        Err(_) => error(m, "Internal error while stopping recording."),
    }
}

/// `action_confbridgesetsinglevideosrc`: the first member whose channel
/// name starts with `Channel` becomes the bridge's video source.
pub fn set_single_video_src<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    if m.get("Conference").is_empty() {
        return error(m, "No Conference name provided.");
    }
    let channel = m.get("Channel");
    if channel.is_empty() {
        return error(m, "No channel name provided.");
    }
    let conf = match conference(&sys, m) {
        Ok(c) => c,
        Err(e) => return error(m, e),
    };
    let Some(user) = conf
        .users()
        .into_iter()
        .find(|u| u.chan.name.starts_with(channel))
    else {
        return error(m, "No channel by that name found in conference.");
    };
    conf.set_video_source(&sys, &user);
    now(Flow::Reply(Reply::ack(
        m,
        "Conference single video source set.",
    )))
}
