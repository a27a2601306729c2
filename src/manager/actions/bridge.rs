//! The bridge actions of `main/manager_bridges.c` (BridgeList,
//! BridgeInfo, BridgeDestroy, BridgeKick) and `main/bridge.c`
//! (BridgeTechnologyList, BridgeTechnologySuspend/Unsuspend).

use std::sync::Arc;

use super::{BoxFuture, now};
use crate::channels::Channel;
use crate::channels::bridge::{Bridge, TECHNOLOGIES, Technology};
use crate::core::System;
use crate::manager::events::{bridge_state, channel_state};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

fn reply<'a>(r: Reply) -> BoxFuture<'a> {
    now(Flow::Reply(r))
}

/// `ast_channel_get_by_name`: the channel of that name (without case),
/// else the one with that uniqueid.
pub fn channel_by_name(sys: &System, name: &str) -> Option<Arc<Channel>> {
    let chans = &sys.pbx.channels;
    chans.by_name(name).or_else(|| chans.by_uniqueid(name))
}

/// `ast_channel_get_by_name_prefix` with the whole name as prefix: the
/// first channel of the container whose name starts with it, else the
/// one with that uniqueid.
pub fn channel_by_prefix(sys: &System, prefix: &str) -> Option<Arc<Channel>> {
    let chans = &sys.pbx.channels;
    let p = prefix.to_ascii_lowercase();
    chans
        .in_container_order()
        .into_iter()
        .find(|c| c.name.to_ascii_lowercase().starts_with(&p))
        .or_else(|| chans.by_uniqueid(prefix))
}

/// The technologies registered now: those of the loaded modules.
pub fn technologies(sys: &System) -> Vec<&'static Technology> {
    let loaded = sys.loaded();
    TECHNOLOGIES
        .iter()
        .filter(|t| loaded.modules.loads(t.module))
        .collect()
}

/// The registered technology called `name` (without case).
pub fn technology(sys: &System, name: &str) -> Option<&'static Technology> {
    technologies(sys)
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(name))
}

/// `manager_bridges_list`: every bridge, or those whose technology is
/// `BridgeType` (the header is compared with the technology, as
/// Asterisk compares it).
pub fn list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let filter = m.get("BridgeType");
    let mut r = Reply::list_start(m, "Bridge listing will follow");
    let mut count = 0;
    for b in s.sys().pbx.channels.events.bridges().all() {
        let snap = b.snapshot();
        if !filter.is_empty() && filter != snap.technology {
            continue;
        }
        r.item("BridgeListItem", m).raw(&bridge_state(&snap)).end();
        count += 1;
    }
    r.list_complete(m, "BridgeListComplete", count);
    reply(r)
}

/// A bridge's members in the order of its snapshot's channel container
/// (one bucket, sorted by uniqueid as strings).
pub fn members_by_uniqueid(b: &Bridge) -> Vec<Arc<Channel>> {
    let mut members = b.members();
    members.sort_by(|x, y| x.uniqueid.cmp(&y.uniqueid));
    members
}

/// The bridge a `BridgeUniqueid` header names, or the error Asterisk
/// answers.
fn named_bridge(sys: &System, m: &Message) -> Result<Arc<Bridge>, Reply> {
    let id = m.get("BridgeUniqueid");
    if id.is_empty() {
        return Err(Reply::error(m, "BridgeUniqueid must be provided"));
    }
    sys.pbx
        .channels
        .events
        .bridges()
        .find(id)
        .ok_or_else(|| Reply::error(m, "Specified BridgeUniqueid not found"))
}

/// `manager_bridge_info`: a BridgeInfoChannel per member, then the
/// bridge's own state in BridgeInfoComplete.
pub fn info<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let b = match named_bridge(s.sys(), m) {
        Ok(b) => b,
        Err(e) => return reply(e),
    };
    let snap = b.snapshot();
    let mut r = Reply::list_start(m, "Bridge channel listing will follow");
    let members = members_by_uniqueid(&b);
    for c in &members {
        r.item("BridgeInfoChannel", m)
            .raw(&channel_state(&c.published_snapshot(), ""))
            .end();
    }
    r.list_complete_open(m, "BridgeInfoComplete", members.len())
        .raw(&bridge_state(&snap))
        .end();
    reply(r)
}

/// `manager_bridge_destroy`: the bridge dissolves, every member leaves.
pub fn destroy<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    match named_bridge(s.sys(), m) {
        Ok(b) => {
            b.dissolve();
            reply(Reply::ack(m, "Bridge has been destroyed"))
        }
        Err(e) => reply(e),
    }
}

/// `manager_bridge_kick`: a channel leaves its bridge (or the one named),
/// as if it had used the disconnect feature.
pub fn kick<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Channel");
    if name.is_empty() {
        return reply(Reply::error(m, "Channel must be provided"));
    }
    let Some(chan) = channel_by_name(s.sys(), name) else {
        return reply(Reply::error(m, "Channel does not exist"));
    };
    let bridge = match m.get("BridgeUniqueid") {
        "" => match chan.bridge() {
            Some(b) => b,
            None => return reply(Reply::error(m, "Channel is not in a bridge")),
        },
        id => match s.sys().pbx.channels.events.bridges().find(id) {
            Some(b) => b,
            None => return reply(Reply::error(m, "Bridge not found")),
        },
    };
    if bridge.kick(&chan).is_err() {
        return reply(Reply::error(m, "Channel kick from bridge failed"));
    }
    reply(Reply::ack(m, "Channel has been kicked"))
}

/// `manager_bridge_tech_list`: each registered technology; the ActionID
/// comes last in each item, as Asterisk writes it.
pub fn technology_list<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let mut r = Reply::list_start(m, "Bridge technology listing will follow");
    let techs = technologies(&sys);
    let bridges = sys.pbx.channels.events.bridges();
    for t in &techs {
        r.line("Event", "BridgeTechnologyListItem")
            .line("BridgeTechnology", t.name)
            .line("BridgeType", t.kind)
            .line("BridgePriority", t.preference)
            .line(
                "BridgeSuspended",
                if bridges.is_suspended(t.name) {
                    "Yes"
                } else {
                    "No"
                },
            )
            .action_id(m)
            .end();
    }
    r.list_complete(m, "BridgeTechnologyListComplete", techs.len());
    reply(r)
}

fn suspend<'a>(s: &'a mut Session, m: &'a Message, on: bool) -> BoxFuture<'a> {
    let name = m.get("BridgeTechnology");
    if name.is_empty() {
        return reply(Reply::error(m, "BridgeTechnology must be provided"));
    }
    let sys = s.sys().clone();
    let Some(t) = technology(&sys, name) else {
        return reply(Reply::error(m, "BridgeTechnology not found"));
    };
    sys.pbx.channels.events.bridges().suspend(t.name, on);
    reply(Reply::ack(
        m,
        if on {
            "Suspended bridge technology"
        } else {
            "Unsuspended bridge technology"
        },
    ))
}

/// `manager_bridge_tech_suspend`.
pub fn technology_suspend<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    suspend(s, m, true)
}

/// `manager_bridge_tech_unsuspend`.
pub fn technology_unsuspend<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    suspend(s, m, false)
}

/// Which channels the Bridge action's `Tone` asks a sound for
/// (`parse_playtone`): none for nothing or a false value, `Channel1`,
/// `Channel2` (also for any true value), `Both`; anything else: none.
fn playtone(v: &str) -> (bool, bool) {
    use crate::config::{is_false as ast_false, is_true as ast_true};
    if v.is_empty() || ast_false(v) {
        (false, false)
    } else if v.eq_ignore_ascii_case("channel1") {
        (true, false)
    } else if v.eq_ignore_ascii_case("channel2") || ast_true(v) {
        (false, true)
    } else if v.eq_ignore_ascii_case("both") {
        (true, true)
    } else {
        (false, false)
    }
}

/// Where a channel the Bridge action takes goes afterwards: back where
/// it was, the next priority when its PBX loops (`ast_bridge_set_after_goto`).
fn back_here(chan: &Channel) -> crate::channels::bridge::AfterBridge {
    let d = chan.lock();
    crate::channels::bridge::AfterBridge::Specific {
        context: d.context.clone(),
        exten: d.exten.clone(),
        priority: d.priority + i32::from(d.in_autoloop),
    }
}

/// `action_bridge` (main/features.c): both channels leave what they run
/// for a new basic bridge; once it is over each goes back to its
/// dialplan where it left it.
pub fn bridge<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        let sys = s.sys().clone();
        let (name_a, name_b) = (m.get("Channel1"), m.get("Channel2"));
        if name_a.is_empty() || name_b.is_empty() {
            return Flow::Reply(Reply::error(m, "Missing channel parameter in request"));
        }
        let Some(a) = channel_by_prefix(&sys, name_a) else {
            return Flow::Reply(Reply::error(
                m,
                &format!("Channel1 does not exist: {name_a}"),
            ));
        };
        let after_a = back_here(&a);
        let Some(b) = channel_by_prefix(&sys, name_b) else {
            return Flow::Reply(Reply::error(
                m,
                &format!("Channel2 does not exist: {name_b}"),
            ));
        };
        let after_b = back_here(&b);
        let (tone_a, tone_b) = playtone(m.get("Tone"));
        if tone_a || tone_b {
            sys.pbx.logger.warning(
                crate::site!("features.c", 0, "action_bridge"),
                None,
                "Bridge action: Asterism does not play the transfer sound (Tone) yet",
            );
        }
        let bridge = Bridge::create(&sys.pbx.channels.events);
        // Imparted without inhibiting it, each learns the other's caller
        // id once both are in.
        bridge.update_connected_lines_on_join(&a);
        for (n, chan, after) in [(1, &a, after_a), (2, &b, after_b)] {
            if crate::channels::bridge_basic::add_channel(&sys, &bridge, chan, after)
                .await
                .is_err()
            {
                bridge.destroy();
                return Flow::Reply(Reply::error(
                    m,
                    &format!("Unable to add Channel{n} to bridge: {}", chan.name),
                ));
            }
        }
        // Nobody's application runs this bridge: a task of its own does.
        let (sys2, bridge2, a2, b2) = (sys.clone(), bridge.clone(), a.clone(), b.clone());
        tokio::spawn(async move {
            crate::channels::bridge_basic::run_until_over(&sys2, &bridge2, &a2, &b2).await;
        });
        Flow::Reply(Reply::ack(m, "Channels have been bridged"))
    })
}
