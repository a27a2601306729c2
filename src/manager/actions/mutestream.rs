//! res_mutestream's MuteAudio (`manager_mutestream`).

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// MuteAudio: `Channel`, `State` and `Direction` are checked in that
/// order, then the channel; a direction other than `in`, `out` or `all`
/// fails the mute. The success has no message.
pub fn mute_audio<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (channel, state, direction) = (m.get("Channel"), m.get("State"), m.get("Direction"));
    let reply = if channel.is_empty() {
        Reply::error(m, "Channel not specified")
    } else if state.is_empty() {
        Reply::error(m, "State not specified")
    } else if direction.is_empty() {
        Reply::error(m, "Direction not specified")
    } else {
        let chans = &s.sys().pbx.channels;
        match chans
            .by_name(channel)
            .or_else(|| chans.by_uniqueid(channel))
        {
            None => Reply::error(m, "No such channel"),
            Some(chan) => {
                if crate::funcs::mutestream::mute_channel(
                    &chan,
                    direction,
                    crate::config::is_true(state),
                ) {
                    Reply::response("Success", m, None)
                } else {
                    Reply::error(m, "Failed to mute/unmute stream")
                }
            }
        }
    };
    now(Flow::Reply(reply))
}
