//! PJSIPHangup (chan_pjsip's application; channels/pjsip/
//! dialplan_functions.c): rejects the channel's incoming, unanswered call
//! with a SIP response given by number or by pjproject's name for it. The
//! manager action of the same name (`manager::actions::pjsip::hangup`)
//! uses the same checks.

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};
use crate::core::logger::Logger;

const FILE: &str = "channels/pjsip/dialplan_functions.c";

pub fn apps() -> Vec<App> {
    vec![App {
        name: "PJSIPHangup",
        run: Run::Wait(pjsip_hangup),
        synopsis: "Rejects an incoming, unanswered PJSIP call with a SIP response.",
        syntax: "PJSIPHangup(Cause)",
    }]
}

/// pjproject's status codes (`pjsip_status_code`) by the name after
/// `PJSIP_SC_`; `ast_sip_str2rc` also takes the whole `PJSIP_SC_…` name.
const RESPONSE_CODES: &[(u16, &str)] = &[
    (0, "NULL"),
    (100, "TRYING"),
    (180, "RINGING"),
    (181, "CALL_BEING_FORWARDED"),
    (182, "QUEUED"),
    (183, "PROGRESS"),
    (199, "EARLY_DIALOG_TERMINATED"),
    (200, "OK"),
    (202, "ACCEPTED"),
    (204, "NO_NOTIFICATION"),
    (300, "MULTIPLE_CHOICES"),
    (301, "MOVED_PERMANENTLY"),
    (302, "MOVED_TEMPORARILY"),
    (305, "USE_PROXY"),
    (380, "ALTERNATIVE_SERVICE"),
    (400, "BAD_REQUEST"),
    (401, "UNAUTHORIZED"),
    (402, "PAYMENT_REQUIRED"),
    (403, "FORBIDDEN"),
    (404, "NOT_FOUND"),
    (405, "METHOD_NOT_ALLOWED"),
    (406, "NOT_ACCEPTABLE"),
    (407, "PROXY_AUTHENTICATION_REQUIRED"),
    (408, "REQUEST_TIMEOUT"),
    (409, "CONFLICT"),
    (410, "GONE"),
    (411, "LENGTH_REQUIRED"),
    (412, "CONDITIONAL_REQUEST_FAILED"),
    (413, "REQUEST_ENTITY_TOO_LARGE"),
    (414, "REQUEST_URI_TOO_LONG"),
    (415, "UNSUPPORTED_MEDIA_TYPE"),
    (416, "UNSUPPORTED_URI_SCHEME"),
    (417, "UNKNOWN_RESOURCE_PRIORITY"),
    (420, "BAD_EXTENSION"),
    (421, "EXTENSION_REQUIRED"),
    (422, "SESSION_TIMER_TOO_SMALL"),
    (423, "INTERVAL_TOO_BRIEF"),
    (424, "BAD_LOCATION_INFORMATION"),
    (428, "USE_IDENTITY_HEADER"),
    (429, "PROVIDE_REFERRER_HEADER"),
    (430, "FLOW_FAILED"),
    (433, "ANONIMITY_DISALLOWED"),
    (436, "BAD_IDENTITY_INFO"),
    (437, "UNSUPPORTED_CERTIFICATE"),
    (438, "INVALID_IDENTITY_HEADER"),
    (439, "FIRST_HOP_LACKS_OUTBOUND_SUPPORT"),
    (440, "MAX_BREADTH_EXCEEDED"),
    (469, "BAD_INFO_PACKAGE"),
    (470, "CONSENT_NEEDED"),
    (480, "TEMPORARILY_UNAVAILABLE"),
    (481, "CALL_TSX_DOES_NOT_EXIST"),
    (482, "LOOP_DETECTED"),
    (483, "TOO_MANY_HOPS"),
    (484, "ADDRESS_INCOMPLETE"),
    (486, "BUSY_HERE"),
    (487, "REQUEST_TERMINATED"),
    (488, "NOT_ACCEPTABLE_HERE"),
    (489, "BAD_EVENT"),
    (490, "REQUEST_UPDATED"),
    (491, "REQUEST_PENDING"),
    (493, "UNDECIPHERABLE"),
    (494, "SECURITY_AGREEMENT_NEEDED"),
    (500, "INTERNAL_SERVER_ERROR"),
    (501, "NOT_IMPLEMENTED"),
    (502, "BAD_GATEWAY"),
    (503, "SERVICE_UNAVAILABLE"),
    (504, "SERVER_TIMEOUT"),
    (505, "VERSION_NOT_SUPPORTED"),
    (513, "MESSAGE_TOO_LARGE"),
    (555, "PUSH_NOTIFICATION_SERVICE_NOT_SUPPORTED"),
    (580, "PRECONDITION_FAILURE"),
    (600, "BUSY_EVERYWHERE"),
    (603, "DECLINE"),
    (604, "DOES_NOT_EXIST_ANYWHERE"),
    (606, "NOT_ACCEPTABLE_ANYWHERE"),
    (607, "UNWANTED"),
    (608, "REJECTED"),
];

/// The status a response name stands for (`ast_sip_str2rc`): the short
/// or the `PJSIP_SC_` name, in any case; None for an unknown or empty
/// name.
pub fn status_by_name(name: &str) -> Option<u16> {
    if name.is_empty() {
        return None;
    }
    let short = |n: &str| {
        RESPONSE_CODES
            .iter()
            .find(|(_, s)| s.eq_ignore_ascii_case(n))
            .map(|(c, _)| *c)
    };
    short(name).or_else(|| {
        let prefix = "PJSIP_SC_";
        let head = name.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix)
            .then(|| short(&name[prefix.len()..]))
            .flatten()
    })
}

/// `ast_str_to_int`: a whole decimal number (leading white space and a
/// sign allowed, nothing after it) that fits an int.
pub fn str_to_int(text: &str) -> Option<i32> {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<i64>().ok().and_then(|n| i32::try_from(n).ok())
}

/// Why a PJSIPHangup cause is not used as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadCause {
    /// Neither a number nor a response name.
    Unrecognized,
    /// A number outside 400–699.
    OutOfRange(i32),
}

/// The final response PJSIPHangup sends for `cause`
/// (`response_code_validator`): a number or a name of a 4xx–6xx
/// response; anything else is 603 Decline, with the reason.
pub fn response_code(cause: &str) -> Result<u16, BadCause> {
    let code = match str_to_int(cause) {
        Some(n) => n,
        None => i32::from(status_by_name(cause).ok_or(BadCause::Unrecognized)?),
    };
    match u16::try_from(code) {
        Ok(c @ 400..=699) => Ok(c),
        _ => Err(BadCause::OutOfRange(code)),
    }
}

/// 603 Decline, the answer when the cause is not usable.
pub const DECLINE: u16 = 603;

/// `response_code` with its warnings, as the application and the manager
/// action log them (`tag` is the channel's name, or the action's Channel).
pub fn response_code_logged(logger: &Logger, tag: &str, cause: &str) -> u16 {
    match response_code(cause) {
        Ok(code) => code,
        Err(BadCause::Unrecognized) => {
            logger.warning(
                crate::site!(FILE, 1286, "response_code_validator"),
                None,
                &format!(
                    "{tag}: Unrecognized response code parameter '{cause}'. Defaulting to 603 DECLINE"
                ),
            );
            DECLINE
        }
        Err(BadCause::OutOfRange(n)) => {
            logger.warning(
                crate::site!(FILE, 1294, "response_code_validator"),
                None,
                &format!(
                    "{tag}: Response code {n} is out of range 400 -> 699. Defaulting to 603 DECLINE"
                ),
            );
            DECLINE
        }
    }
}

/// The application always ends the dialplan (it returns -1), whether or
/// not it could reject the call.
fn pjsip_hangup(ctx: &AppCtx, data: String) -> AppFuture<'_> {
    Box::pin(async move {
        let tag = ctx.chan.name.clone();
        if data.is_empty() {
            ctx.warning(
                crate::site!(FILE, 1352, "pjsip_app_hangup"),
                &format!("{tag}: Missing response code parameter"),
            );
            return Err(AppExit::Hangup);
        }
        let code = response_code_logged(&ctx.sys.pbx.logger, &tag, &data);
        crate::channels::sip::pjsip_reject(&ctx.sys, &ctx.chan, code).await;
        let r: AppResult = Err(AppExit::Hangup);
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_as_response_codes() {
        for (cause, want) in [
            ("437", Ok(437)),
            (" 486", Ok(486)),
            ("+480", Ok(480)),
            ("699", Ok(699)),
            ("400", Ok(400)),
            ("busy_here", Ok(486)),
            ("BUSY_HERE", Ok(486)),
            ("PJSIP_SC_TEMPORARILY_UNAVAILABLE", Ok(480)),
            ("pjsip_sc_decline", Ok(603)),
            ("UNSUPPORTED_CERTIFICATE", Ok(437)),
            ("999", Err(BadCause::OutOfRange(999))),
            ("399", Err(BadCause::OutOfRange(399))),
            ("-486", Err(BadCause::OutOfRange(-486))),
            ("OK", Err(BadCause::OutOfRange(200))),
            ("NULL", Err(BadCause::OutOfRange(0))),
            ("486 ", Err(BadCause::Unrecognized)),
            ("4x6", Err(BadCause::Unrecognized)),
            ("nosuch", Err(BadCause::Unrecognized)),
            ("PJSIP_SC_", Err(BadCause::Unrecognized)),
            ("", Err(BadCause::Unrecognized)),
            ("99999999999", Err(BadCause::Unrecognized)),
        ] {
            assert_eq!(response_code(cause), want, "{cause:?}");
        }
    }

    #[test]
    fn every_name_is_found_under_both_spellings() {
        for (code, name) in RESPONSE_CODES {
            assert_eq!(status_by_name(name), Some(*code));
            assert_eq!(status_by_name(&format!("PJSIP_SC_{name}")), Some(*code));
        }
    }
}
