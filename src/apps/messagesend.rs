//! MessageSend (Asterisk's `main/message.c`, `msg_send_exec`): sends the
//! channel's out-of-call message through a message technology
//! (`pjsip:`, `sip:`), and says how in MESSAGE_SEND_STATUS.

use super::{App, AppCtx, AppResult, Run, split_args};
use crate::core::message::{self, Tech};

const MESSAGE_C: &str = "message.c";

pub fn apps() -> Vec<App> {
    vec![App {
        name: "MessageSend",
        run: Run::Now(msg_send_exec),
        synopsis: "Sends the channel's out-of-call message to a destination.",
        syntax: "MessageSend(destination[,from[,to]])",
    }]
}

fn msg_send_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let status = |s: &str| ctx.set_var("MESSAGE_SEND_STATUS", Some(s));
    if data.is_empty() {
        ctx.warning(
            crate::site!(MESSAGE_C, 1268, "msg_send_exec"),
            "An argument is required to MessageSend()",
        );
        status("INVALID_URI");
        return Ok(());
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let (destination, from, to) = (arg(0), arg(1), arg(2));
    if destination.is_empty() {
        ctx.warning(
            crate::site!(MESSAGE_C, 1277, "msg_send_exec"),
            "A 'to' URI is required for MessageSend()",
        );
        status("INVALID_URI");
        return Ok(());
    }
    let Some(mut msg) = message::on_channel(&ctx.chan) else {
        ctx.warning(
            crate::site!(MESSAGE_C, 1286, "msg_send_exec"),
            "No message data found on channel to send.",
        );
        status("FAILURE");
        return Ok(());
    };
    let Some(tech) = Tech::of(&ctx.sys, destination) else {
        let name = destination.split(':').next().unwrap_or("");
        ctx.warning(
            crate::site!(MESSAGE_C, 1302, "msg_send_exec"),
            &format!("No message technology '{name}' found."),
        );
        status("INVALID_PROTOCOL");
        return Ok(());
    };
    // A `to` given here replaces the message's own, for good.
    if !to.is_empty() {
        msg.to = to.to_string();
        message::change_on_channel(&ctx.chan, |m| m.to = to.to_string());
    }
    let sent = tech.send(&ctx.sys, &msg, destination, from);
    status(if sent.is_ok() { "SUCCESS" } else { "FAILURE" });
    Ok(())
}
