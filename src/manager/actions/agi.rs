//! res_agi's manager action `AGI`: queues a command for a channel in
//! AsyncAGI.

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

pub fn agi<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let (channel, command, id) = (m.get("Channel"), m.get("Command"), m.get("CommandID"));
    let r = if channel.is_empty() || command.is_empty() {
        Reply::error(m, "Both, Channel and Command are *required*")
    } else {
        match s.sys().pbx.channels.by_name(channel) {
            None => Reply::error(m, &format!("Channel {channel} does not exist.")),
            Some(chan) => {
                if crate::agi::add_agi_cmd(&chan, command, id) {
                    Reply::ack(m, "Added AGI command to queue")
                } else {
                    s.sys().pbx.logger.warning(
                        crate::site!("res_agi.c", 1763, "add_agi_cmd"),
                        None,
                        &format!("Channel {} is not setup for Async AGI.", chan.name),
                    );
                    Reply::error(
                        m,
                        &format!("Failed to add AGI command to channel {} queue", chan.name),
                    )
                }
            }
        }
    };
    now(Flow::Reply(r))
}
