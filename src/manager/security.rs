//! Security events as AMI shows them (`main/security_events.c`, class
//! `security`): those the manager raises about its own logins
//! (SuccessfulAuth, InvalidAccountID, InvalidPassword, FailedACL,
//! ChallengeResponseFailed, RequestNotAllowed, RequestBadFormat) and those
//! the SIP drivers raise (ChallengeSent, SuccessfulAuth, SessionLimit).

use std::net::SocketAddr;
use std::time::SystemTime;

/// What every security event says about the session.
pub struct Common<'a> {
    /// `AMI`, `SIP` (chan_sip), `PJSIP`.
    pub service: &'a str,
    /// `TCP`, `UDP`.
    pub transport: &'a str,
    pub account: Option<&'a str>,
    pub session_id: &'a str,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// When the session began; the SIP drivers do not say.
    pub session_tv: Option<SystemTime>,
}

/// `EventTV`/`SessionTV`: local time with milliseconds and the offset.
pub fn format_tv(t: SystemTime) -> String {
    crate::core::logger::format_time(t, "%Y-%m-%dT%H:%M:%S.%3q%z")
}

fn address(a: SocketAddr, transport: &str) -> String {
    match a {
        SocketAddr::V4(v4) => format!("IPV4/{transport}/{}/{}", v4.ip(), v4.port()),
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => format!("IPV4/{transport}/{v4}/{}", v6.port()),
            None => format!("IPV6/{transport}/{}/{}", v6.ip(), v6.port()),
        },
    }
}

/// The kinds, with the fields each adds after the common ones.
pub enum Kind<'a> {
    SuccessfulAuth {
        using_password: bool,
    },
    InvalidAccountId,
    InvalidPassword,
    FailedAcl,
    ChallengeResponseFailed {
        challenge: &'a str,
        response: &'a str,
        expected: &'a str,
    },
    RequestNotAllowed {
        request_type: &'a str,
    },
    RequestBadFormat {
        request_type: &'a str,
    },
    /// A digest challenge went out (pjsip leaves the nonce empty).
    ChallengeSent {
        challenge: &'a str,
    },
    /// A call refused over a limit on calls (chan_sip's call-limit).
    SessionLimit,
}

/// The event's name and body. Required fields come first in Asterisk's
/// order, then the optional ones that are set (here only SessionTV).
pub fn event(common: &Common<'_>, kind: Kind<'_>) -> (&'static str, String) {
    let (name, severity, version) = match &kind {
        Kind::SuccessfulAuth { .. } => ("SuccessfulAuth", "Informational", 1),
        Kind::InvalidAccountId => ("InvalidAccountID", "Error", 1),
        Kind::InvalidPassword => ("InvalidPassword", "Error", 2),
        Kind::FailedAcl => ("FailedACL", "Error", 1),
        Kind::ChallengeResponseFailed { .. } => ("ChallengeResponseFailed", "Error", 1),
        Kind::RequestNotAllowed { .. } => ("RequestNotAllowed", "Error", 1),
        Kind::RequestBadFormat { .. } => ("RequestBadFormat", "Error", 1),
        Kind::ChallengeSent { .. } => ("ChallengeSent", "Informational", 1),
        Kind::SessionLimit => ("SessionLimit", "Error", 1),
    };
    let mut h: Vec<(&str, String)> = vec![
        ("EventTV", format_tv(SystemTime::now())),
        ("Severity", severity.into()),
        ("Service", common.service.into()),
        ("EventVersion", version.to_string()),
    ];
    let account = common.account.unwrap_or("").to_string();
    // RequestBadFormat carries the account only as an optional field.
    let bad_format = matches!(kind, Kind::RequestBadFormat { .. });
    if !bad_format {
        h.push(("AccountID", account.clone()));
    }
    h.push(("SessionID", common.session_id.to_string()));
    h.push(("LocalAddress", address(common.local, common.transport)));
    h.push(("RemoteAddress", address(common.remote, common.transport)));
    match kind {
        Kind::SuccessfulAuth { using_password } => {
            h.push(("UsingPassword", u8::from(using_password).to_string()))
        }
        Kind::ChallengeResponseFailed {
            challenge,
            response,
            expected,
        } => {
            h.push(("Challenge", challenge.into()));
            h.push(("Response", response.into()));
            h.push(("ExpectedResponse", expected.into()));
        }
        Kind::RequestNotAllowed { request_type } | Kind::RequestBadFormat { request_type } => {
            h.push(("RequestType", request_type.into()))
        }
        Kind::ChallengeSent { challenge } => h.push(("Challenge", challenge.into())),
        _ => {}
    }
    if let Some(tv) = common.session_tv {
        h.push(("SessionTV", format_tv(tv)));
    }
    if bad_format && !account.is_empty() {
        h.push(("AccountID", account));
    }
    let mut body = String::new();
    for (k, v) in h {
        body.push_str(&format!("{k}: {v}\r\n"));
    }
    (name, body)
}
