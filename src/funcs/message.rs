//! MESSAGE() and MESSAGE_DATA() (Asterisk's `main/message.c`): the
//! out-of-call message a channel carries (see `core::message`), its
//! addresses and body, and its data (headers).

use super::{Failed, FuncCtx, Function};
use crate::core::message;

const MESSAGE_C: &str = "message.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "MESSAGE",
            read: Some(msg_read),
            write: Some(msg_write),
            synopsis: "Reads or sets the to, from or body of the channel's out-of-call message.",
            syntax: "MESSAGE(argument)",
        },
        Function {
            name: "MESSAGE_DATA",
            read: Some(msg_data_read),
            write: Some(msg_data_write),
            synopsis: "Reads or sets a header of the channel's out-of-call message.",
            syntax: "MESSAGE_DATA(argument)",
        },
    ]
}

/// The channel's message, or the error message.c logs when it has none.
/// `lines`: where it logs that there is no channel, then no message.
fn require_message(
    ctx: &FuncCtx<'_>,
    lines: (u32, u32),
    func: &str,
) -> Result<message::Msg, Failed> {
    let chan = ctx.require_channel(crate::site!(MESSAGE_C, lines.0, func))?;
    message::on_channel(chan).ok_or_else(|| {
        ctx.error(
            crate::site!(MESSAGE_C, lines.1, func),
            "No MESSAGE data found on the channel to read.",
        );
        Failed
    })
}

fn msg_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let msg = require_message(ctx, (1035, 1043), "msg_func_read")?;
    Ok(match args.to_ascii_lowercase().as_str() {
        "to" => msg.to,
        "from" => msg.from,
        "body" => msg.body,
        _ => {
            ctx.warning(
                crate::site!(MESSAGE_C, 1060, "msg_func_read"),
                &format!("Invalid argument to MESSAGE(): '{args}'"),
            );
            String::new()
        }
    })
}

fn msg_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(MESSAGE_C, 1076, "msg_func_write"))?;
    let mut warning = None;
    message::change_on_channel(chan, |msg| match args.to_ascii_lowercase().as_str() {
        "to" => msg.to = value.to_string(),
        "from" => msg.from = value.to_string(),
        "body" => msg.body = value.to_string(),
        "custom_data" => {
            let outbound = if value.eq_ignore_ascii_case("mark_all_outbound") {
                true
            } else if value.eq_ignore_ascii_case("clear_all_outbound") {
                false
            } else {
                warning = Some((
                    1106,
                    format!("'{value}' is not a valid value for custom_data"),
                ));
                return;
            };
            for v in &mut msg.vars {
                v.outbound = outbound;
            }
        }
        _ => warning = Some((1120, format!("'{args}' is not a valid write argument."))),
    });
    if let Some((line, text)) = warning {
        ctx.warning(crate::site!(MESSAGE_C, line, "msg_func_write"), &text);
    }
    Ok(())
}

fn msg_data_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let msg = require_message(ctx, (1137, 1145), "msg_data_func_read")?;
    Ok(msg.var(args).unwrap_or_default().to_string())
}

fn msg_data_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(MESSAGE_C, 1172, "msg_data_func_write"))?;
    message::change_on_channel(chan, |msg| msg.set_var_outbound(args, value));
    Ok(())
}
