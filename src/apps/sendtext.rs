//! SendText (Asterisk's `app_sendtext.c`): text for the channel's device.
//! pjsip sends it as an enhanced message (a MESSAGE of any content type),
//! chan_sip and Local channels as plain text; SENDTEXTTYPE and
//! SENDTEXTSTATUS say which and how it went.

use super::{App, AppCtx, AppExit, AppResult, Run};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "SendText",
        run: Run::Now(sendtext_exec),
        synopsis: "Sends a text message to the channel's device.",
        syntax: "SendText([text])",
    }]
}

/// The variables that shape the message; each is cleared once it is sent.
const SHAPING_VARS: [&str; 4] = [
    "SENDTEXT_FROM_DISPLAYNAME",
    "SENDTEXT_TO_DISPLAYNAME",
    "SENDTEXT_CONTENT_TYPE",
    "SENDTEXT_BODY",
];

/// How a channel's technology takes text (`send_text_data`, `send_text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextSupport {
    Enhanced,
    Basic,
    None,
}

fn support(tech: &str) -> TextSupport {
    if tech.eq_ignore_ascii_case("PJSIP") {
        TextSupport::Enhanced
    } else if tech.eq_ignore_ascii_case("SIP") || tech.eq_ignore_ascii_case("Local") {
        TextSupport::Basic
    } else {
        TextSupport::None
    }
}

fn sendtext_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let content_type = ctx.var("SENDTEXT_CONTENT_TYPE").unwrap_or_default();
    let body = ctx
        .var("SENDTEXT_BODY")
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| data.to_string());
    let body = super::system::decode_escapes(&body);
    let result = send(ctx, &body, &content_type);
    if let Some((msg_type, status)) = result {
        ctx.set_var("SENDTEXTTYPE", Some(msg_type));
        ctx.set_var("SENDTEXTSTATUS", Some(status));
    }
    for name in SHAPING_VARS {
        ctx.set_var(name, None);
    }
    // Text of another type on a channel that only takes plain text ends
    // the dialplan, with no result set.
    result.map(|_| ()).ok_or(AppExit::Hangup)
}

/// Sends the text: (SENDTEXTTYPE, SENDTEXTSTATUS), or None when the
/// application fails outright.
fn send(ctx: &AppCtx, body: &str, content_type: &str) -> Option<(&'static str, &'static str)> {
    let chan = &ctx.chan;
    let deliver = |content_type: Option<&str>| {
        // ast_sendtext_data refuses a channel being hung up.
        if chan.check_hangup() {
            return "FAILURE";
        }
        if let Some(d) = chan.driver() {
            d.send_text(chan, body, content_type);
        }
        "SUCCESS"
    };
    match support(chan.tech) {
        TextSupport::Enhanced => Some((
            "ENHANCED",
            deliver(Some(content_type).filter(|t| !t.is_empty())),
        )),
        TextSupport::Basic => {
            if !content_type.is_empty() && !content_type.starts_with("text/") {
                return None;
            }
            // ast_sendtext sends nothing for no text, and succeeds.
            let status = if body.is_empty() {
                "SUCCESS"
            } else {
                deliver(None)
            };
            Some(("BASIC", status))
        }
        TextSupport::None => Some(("NONE", "UNSUPPORTED")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technologies_take_text_as_their_drivers_do() {
        assert_eq!(support("PJSIP"), TextSupport::Enhanced);
        assert_eq!(support("SIP"), TextSupport::Basic);
        assert_eq!(support("Local"), TextSupport::Basic);
        assert_eq!(support("OutgoingSpoolFailed"), TextSupport::None);
    }
}
