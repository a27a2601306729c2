//! Test-suite events (`main/test.c`'s `ast_test_suite_event_notify`): the
//! `TestEvent` AMI events an Asterisk built with the TEST_FRAMEWORK
//! compile option raises where an application reaches a state the
//! Asterisk testsuite waits for (a file starts playing, a number is said,
//! the absolute timeout fires...).
//!
//! A regular Asterisk raises none, so neither do we by default. They are
//! on when Asterism is built with the `test-framework` cargo feature (the
//! analogue of the compile option) or run with `ASTERISM_TEST_FRAMEWORK=1`
//! in its environment (so the tests can cover them without a second
//! build).
//!
//! Each event names the C source line that raised it (`AppFile`,
//! `AppFunction`, `AppLine`); clients match on them, so each point is a
//! [`Site`] below (the logger's type: the same facts name a log line's
//! origin) holding Asterisk 20.20.1's values.

use std::sync::OnceLock;

use super::events::{EventBus, EventKind};
use super::logger::Site;

/// `ast_streamfile` (main/file.c): a file opened and about to play.
pub const STREAMFILE: Site<'static> = Site {
    file: "file.c",
    function: "ast_streamfile",
    line: 1377,
};

/// `say_number_full` (main/say.c): SayNumber and every `ast_say_number`.
pub const SAY_NUMBER: Site<'static> = Site {
    file: "say.c",
    function: "say_number_full",
    line: 880,
};

/// `ast_check_hangup` (main/channel.c): the absolute timeout has passed.
pub const CHECK_HANGUP_TIME: Site<'static> = Site {
    file: "channel.c",
    function: "ast_check_hangup",
    line: 455,
};

/// `ast_waitfor_nandfds` (main/channel.c): a wait starts after the
/// absolute timeout has passed.
pub const WAITFOR_PASSED: Site<'static> = Site {
    file: "channel.c",
    function: "ast_waitfor_nandfds",
    line: 3028,
};

/// `ast_waitfor_nandfds` (main/channel.c): the absolute timeout passed
/// while the wait was polling.
pub const WAITFOR_EXPIRED: Site<'static> = Site {
    file: "channel.c",
    function: "ast_waitfor_nandfds",
    line: 3115,
};

/// `ast_channel_callid_set` (main/channel_internal_api.c): a channel is
/// bound to a call id.
pub const CALLID_SET: Site<'static> = Site {
    file: "channel_internal_api.c",
    function: "ast_channel_callid_set",
    line: 709,
};

/// res_rtp_asterisk.c's `rtp_allocate_transport`: an RTP port was bound.
pub const RTP_PORT_ALLOCATED: Site<'static> = Site {
    file: "res_rtp_asterisk.c",
    function: "rtp_allocate_transport",
    line: 4179,
};

/// `ast_rtp_read`: strict RTP's learning ended and locked on a source.
pub const STRICT_RTP_LEARN: Site<'static> = Site {
    file: "res_rtp_asterisk.c",
    function: "ast_rtp_read",
    line: 8515,
};

/// `ast_rtp_dtmf_begin`: a digit starts going out as RFC 4733 events.
pub const DTMF_BEGIN: Site<'static> = Site {
    file: "res_rtp_asterisk.c",
    function: "ast_rtp_dtmf_begin",
    line: 4536,
};

/// file.c's `waitstream_core`: a digit stopped a prompt.
pub const PLAYBACK_BREAK: Site<'static> = Site {
    file: "file.c",
    function: "waitstream_core",
    line: 1746,
};

/// pjsip_options.c's `sip_options_contact_status_notify_task`: a qualify
/// result changed a contact's status.
pub const AOR_CONTACT_UPDATE: Site<'static> = Site {
    // Built in res/res_pjsip/, so __FILE__ keeps the directory.
    file: "res_pjsip/pjsip_options.c",
    function: "sip_options_contact_status_notify_task",
    line: 754,
};

/// The same task: every qualify result.
pub const AOR_CONTACT_QUALIFY_RESULT: Site<'static> = Site {
    file: "res_pjsip/pjsip_options.c",
    function: "sip_options_contact_status_notify_task",
    line: 772,
};

/// res_pjsip_authenticator_digest.c's `verify`: a request without an
/// Authorization header.
pub const AUTH_VERIFY_NOAUTH: Site<'static> = Site {
    file: "res_pjsip_authenticator_digest.c",
    function: "verify",
    line: 477,
};

/// `verify`: the result of checking the credentials a request carries.
pub const AUTH_VERIFY_RESULT: Site<'static> = Site {
    file: "res_pjsip_authenticator_digest.c",
    function: "verify",
    line: 511,
};

/// `register_aor_core` (res_pjsip_registrar.c): a REGISTER bound a new
/// contact.
pub const AOR_CONTACT_ADDED: Site<'static> = Site {
    file: "res_pjsip_registrar.c",
    function: "register_aor_core",
    line: 964,
};

/// `register_aor_core`: a REGISTER refreshed a contact's expiry.
pub const AOR_CONTACT_REFRESHED: Site<'static> = Site {
    file: "res_pjsip_registrar.c",
    function: "register_aor_core",
    line: 1008,
};

/// `registrar_contact_delete` (res_pjsip_registrar.c): a contact went, by
/// request, expiry or to make room.
pub const AOR_CONTACT_REMOVED: Site<'static> = Site {
    file: "res_pjsip_registrar.c",
    function: "registrar_contact_delete",
    line: 540,
};

/// `grab_transfer` (bridge_basic.c): a transfer's dial tone starts.
pub const TRANSFER_BEGIN_DIAL: Site<'static> = Site {
    file: "bridge_basic.c",
    function: "grab_transfer",
    line: 3246,
};

/// `grab_transfer`: the digits of one attempt are in.
pub const TRANSFER_DIALLED: Site<'static> = Site {
    file: "bridge_basic.c",
    function: "grab_transfer",
    line: 3251,
};

/// `grab_transfer`: the last attempt is over.
pub const TRANSFER_DIAL_FINAL: Site<'static> = Site {
    file: "bridge_basic.c",
    function: "grab_transfer",
    line: 3281,
};

/// `testsuite_notify_feature_success` (bridge_channel.c): a feature's
/// hook has run.
pub const FEATURE_SUCCESS: Site<'static> = Site {
    file: "bridge_channel.c",
    function: "testsuite_notify_feature_success",
    line: 1658,
};

/// `ast_bridge_channel_feature_digit` (bridge_channel.c): collected
/// digits matched no feature, or their time ran out.
pub const FEATURE_DIGITS_FAILED: Site<'static> = Site {
    file: "bridge_channel.c",
    function: "ast_bridge_channel_feature_digit",
    line: 1818,
};

/// `bridge_handle_dtmf` (bridge_channel.c): a digit that starts no
/// feature ended.
pub const FEATURE_DIGIT_PASSED: Site<'static> = Site {
    file: "bridge_channel.c",
    function: "bridge_handle_dtmf",
    line: 2527,
};

/// Whether test-suite events are raised (decided once per process).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        cfg!(feature = "test-framework")
            || std::env::var("ASTERISM_TEST_FRAMEWORK").is_ok_and(|v| v == "1")
    })
}

/// `ast_test_suite_event_notify(state, fmt, ...)`: raises a `TestEvent`
/// of `state` from `site`; `data` gives the event's own header lines
/// (CRLF between them, as Asterisk's format strings have them) and is
/// only called when the events are on.
pub fn notify(bus: &EventBus, site: &Site<'_>, state: &str, data: impl FnOnce() -> String) {
    if !enabled() {
        return;
    }
    bus.publish_system(EventKind::Manager {
        // test_suite_event_to_ami raises it as EVENT_FLAG_REPORTING.
        class: crate::manager::class::REPORTING,
        name: "TestEvent".into(),
        body: body(site, state, &data()),
    });
}

/// `test_suite_event_to_ami`: the fixed headers, then the data and a
/// CRLF, whatever the data ends with.
fn body(site: &Site<'_>, state: &str, data: &str) -> String {
    format!(
        "Type: StateChange\r\nState: {state}\r\nAppFile: {}\r\nAppFunction: {}\r\nAppLine: {}\r\n{data}\r\n",
        site.file, site.function, site.line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_layout() {
        assert_eq!(
            body(&SAY_NUMBER, "SAYNUM", "Number: 4\r\nChannel: X"),
            "Type: StateChange\r\nState: SAYNUM\r\nAppFile: say.c\r\n\
             AppFunction: say_number_full\r\nAppLine: 880\r\nNumber: 4\r\nChannel: X\r\n"
        );
    }
}
