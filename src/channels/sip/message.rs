//! The SIP drivers' message technologies (res_pjsip_messaging's `pjsip`,
//! chan_sip's `sip`): where an out-of-call MESSAGE goes and what it says.
//! The destination is resolved here, as each driver resolves it
//! (`ast_sip_get_endpoint`, chan_sip's `create_addr`); the SIP task then
//! writes the request as the driver writes it.

use std::net::SocketAddr;

use crate::core::System;
use crate::core::message::{Msg, SendFailed};
use crate::sip::transaction::Transport;

use super::endpoint::Flavor;
use super::notify;

const PJSIP_C: &str = "res_pjsip.c";
const MESSAGING_C: &str = "res_pjsip_messaging.c";
const CHAN_SIP: &str = "chan_sip.c";

/// One MESSAGE outside any call, handed to the driver's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub target: SocketAddr,
    pub transport: Transport,
    /// The Request-URI.
    pub uri: String,
    /// pjsip: the To header's value, when not the Request-URI's user and
    /// host (`ast_sip_update_to_uri`, a display name).
    pub to: Option<String>,
    pub from: From,
    pub body: String,
    /// The message's outbound data, as headers, in order.
    pub headers: Vec<(String, String)>,
    pub max_forwards: u32,
}

/// Who the MESSAGE is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum From {
    /// pjsip: the From's display name, user and host once
    /// `ast_sip_update_from` changed them (each None: the default).
    Pjsip {
        display: Option<String>,
        user: Option<String>,
        host: Option<String>,
    },
    /// chan_sip: the dialog's `fromname`, `fromuser` and `fromdomain`
    /// (None: the defaults of `initreqprep`).
    ChanSip {
        name: Option<String>,
        user: Option<String>,
        domain: Option<String>,
    },
}

/// The forms of a pjsip destination (after `pjsip:`), as
/// `ast_sip_get_endpoint` tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PjsipDest<'a> {
    /// `endpoint`, or a host through the default outbound endpoint.
    Token(&'a str),
    /// `PJSIP/user@endpoint`: the endpoint's contact with that user.
    DialUser { user: &'a str, endpoint: &'a str },
    /// `PJSIP/…` in any other form.
    BadDial,
    /// `endpoint/<uri>`: that URI.
    EndpointUri { endpoint: &'a str, uri: &'a str },
    /// `endpoint/aor-or-host`: the AOR's first contact, else `sip:host`.
    EndpointAor { endpoint: &'a str, after: &'a str },
    /// `user@host` where the user may name an endpoint (its contact is
    /// used, the host dropped).
    AtSign { user: &'a str, whole: &'a str },
    /// A SIP URI, through the default outbound endpoint.
    Uri(&'a str),
}

/// How `ast_sip_get_endpoint` reads a destination.
pub fn parse_pjsip_dest(dest: &str) -> PjsipDest<'_> {
    let slash = dest.find('/');
    let at = dest.find('@');
    let scheme = dest.contains("sip:") || dest.contains("sips:");
    if let Some(s) = slash {
        let after = &dest[s + 1..];
        if dest.starts_with("PJSIP/") {
            return match after.split_once('@') {
                Some((user, endpoint)) if !after.contains('/') => {
                    PjsipDest::DialUser { user, endpoint }
                }
                _ => PjsipDest::BadDial,
            };
        }
        let endpoint = &dest[..s];
        return if scheme {
            PjsipDest::EndpointUri {
                endpoint,
                uri: after,
            }
        } else {
            PjsipDest::EndpointAor { endpoint, after }
        };
    }
    match (at, scheme) {
        (None, false) => PjsipDest::Token(dest),
        // The user part loses any `;` options before it names an endpoint.
        (Some(a), false) => PjsipDest::AtSign {
            user: dest[..a].split(';').next().unwrap_or(""),
            whole: dest,
        },
        _ => PjsipDest::Uri(dest),
    }
}

fn warn(sys: &System, site: &crate::core::logger::Site<'_>, text: &str) {
    sys.pbx.logger.warning(site, None, text);
}

/// The first contact of an endpoint's AORs (`ast_sip_location_retrieve_contact_from_aor_list`).
fn first_contact(sys: &System, endpoint: &str) -> Option<(SocketAddr, Transport, String)> {
    notify::pjsip_targets(sys, endpoint).into_iter().next()
}

/// Where a URI of our choosing goes: its host (an address).
fn uri_dest(uri: &str) -> Option<(SocketAddr, Transport, String)> {
    let bare = in_brackets(uri);
    notify::uri_target(bare).map(|a| (a, Transport::Udp, bare.to_string()))
}

/// `ast_sip_get_endpoint` with a default outbound endpoint: the endpoint
/// and the Request-URI, or None (the warnings logged).
fn pjsip_resolve(sys: &System, dest: &str) -> Option<(String, SocketAddr, Transport, String)> {
    let loaded = sys.loaded();
    let endpoint_exists = |n: &str| loaded.pjsip.endpoint(n).is_some();
    let default_outbound = || notify::pjsip_default_outbound(sys);
    let through_default = |uri: String| {
        let ep = default_outbound()?;
        let (addr, transport, uri) = uri_dest(&uri)?;
        Some((ep, addr, transport, uri))
    };
    match parse_pjsip_dest(dest) {
        PjsipDest::Token(name) => {
            if !endpoint_exists(name) {
                return through_default(format!("sip:{name}"));
            }
            match first_contact(sys, name) {
                Some((addr, transport, uri)) => Some((name.to_string(), addr, transport, uri)),
                None => {
                    warn(
                        sys,
                        crate::site!(PJSIP_C, 2962, "handle_single_token"),
                        &format!(
                            "Dest: '{dest}'. Found endpoint '{name}' but didn't find an aor/contact for it"
                        ),
                    );
                    None
                }
            }
        }
        PjsipDest::BadDial => {
            warn(
                sys,
                crate::site!(PJSIP_C, 3026, "handle_slash"),
                &format!(
                    "Dest: '{dest}'. Destinations beginning with 'PJSIP/' must be in the form of 'PJSIP/user@endpoint'"
                ),
            );
            None
        }
        PjsipDest::DialUser { user, endpoint } => {
            if !endpoint_exists(endpoint) {
                warn(
                    sys,
                    crate::site!(PJSIP_C, 3047, "handle_slash"),
                    &format!("Dest: '{dest}'. Didn't find endpoint with name '{endpoint}'"),
                );
                return None;
            }
            let Some((addr, transport, contact)) = first_contact(sys, endpoint) else {
                warn(
                    sys,
                    crate::site!(PJSIP_C, 2872, "insert_user_in_contact_uri"),
                    &format!("Dest: '{dest}'. Couldn't find contact for endpoint '{endpoint}'"),
                );
                return None;
            };
            let mut uri = crate::sip::Uri::parse(contact.trim_matches(['<', '>'])).ok()?;
            uri.user = Some(user.to_string());
            Some((endpoint.to_string(), addr, transport, uri.to_string()))
        }
        PjsipDest::EndpointUri { endpoint, .. } | PjsipDest::EndpointAor { endpoint, .. }
            if !endpoint_exists(endpoint) =>
        {
            warn(
                sys,
                crate::site!(PJSIP_C, 3047, "handle_slash"),
                &format!("Dest: '{dest}'. Didn't find endpoint with name '{endpoint}'"),
            );
            None
        }
        PjsipDest::EndpointUri { endpoint, uri } => {
            let (addr, transport, uri) = uri_dest(uri)?;
            Some((endpoint.to_string(), addr, transport, uri))
        }
        PjsipDest::EndpointAor { endpoint, after } => {
            if loaded.pjsip.aor(after).is_none() {
                let (addr, transport, uri) = uri_dest(&format!("sip:{after}"))?;
                return Some((endpoint.to_string(), addr, transport, uri));
            }
            match notify::pjsip_targets_of_aor(sys, after).into_iter().next() {
                Some((addr, transport, uri)) => Some((endpoint.to_string(), addr, transport, uri)),
                None => {
                    warn(
                        sys,
                        crate::site!(PJSIP_C, 3118, "handle_slash"),
                        &format!(
                            "Dest: '{dest}'. Found endpoint '{endpoint}' but didn't find contact for aor '{after}'"
                        ),
                    );
                    None
                }
            }
        }
        PjsipDest::AtSign { user, whole } => {
            if !endpoint_exists(user) {
                return through_default(format!("sip:{whole}"));
            }
            match first_contact(sys, user) {
                Some((addr, transport, uri)) => Some((user.to_string(), addr, transport, uri)),
                None => {
                    warn(
                        sys,
                        crate::site!(PJSIP_C, 3199, "handle_atsign"),
                        &format!("Dest: '{dest}'. Found endpoint '{user}' but didn't find contact"),
                    );
                    None
                }
            }
        }
        PjsipDest::Uri(uri) => through_default(uri.to_string()),
    }
}

/// The user and host of a SIP URI given as text (`parse_uri` with
/// `sip:,sips:`): the host keeps its port; no `@` makes it all host.
pub fn uri_user_host(uri: &str) -> (&str, &str) {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .unwrap_or(uri);
    let rest = rest.split(['?', ';']).next().unwrap_or("");
    match rest.split_once('@') {
        Some((u, h)) => (u, h),
        None => ("", rest),
    }
}

/// `get_in_brackets`: what is between `<` and `>`, else all of it.
fn in_brackets(s: &str) -> &str {
    match s.find('<') {
        Some(lt) => {
            let rest = &s[lt + 1..];
            rest.split('>').next().unwrap_or(rest)
        }
        None => s,
    }
}

/// pjsip's From as `ast_sip_update_from` makes it of `from` (a name-addr,
/// else `user[@domain]`); Err when it is a URI of another scheme (then
/// the default From stays, as msg_send ignores the failure).
pub fn pjsip_from(from: &str) -> Result<From, ()> {
    if from.is_empty() {
        return Ok(From::Pjsip {
            display: None,
            user: None,
            host: None,
        });
    }
    match crate::sip::headers::NameAddr::parse("From", from) {
        Ok(na) => {
            if !matches!(
                na.uri.scheme,
                crate::sip::uri::Scheme::Sip | crate::sip::uri::Scheme::Sips
            ) {
                return Err(());
            }
            Ok(From::Pjsip {
                display: na.display_name.filter(|d| !d.is_empty()),
                user: Some(na.uri.user.clone().unwrap_or_default()),
                host: Some(na.uri.host.to_string()),
            })
        }
        Err(_) => Ok(match from.split_once('@') {
            Some((u, d)) => From::Pjsip {
                display: None,
                user: Some(u.to_string()),
                host: Some(d.to_string()),
            },
            None => From::Pjsip {
                display: None,
                user: Some(from.to_string()),
                host: None,
            },
        }),
    }
}

/// `sscanf("%d")`: the leading number, if there is one.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    (end > 0).then(|| crate::funcs::strings::atoi(t))
}

/// The message's outbound data as headers, but for those the driver
/// writes itself, in order; a `Max-Forwards` is counted down. Stops at
/// a `Max-Forwards` that reached zero (the bool false), as both drivers
/// do, with the headers taken before it.
fn headers_of(
    msg: &Msg,
    blocked: &[&str],
    max_forwards: &mut u32,
    flavor: Flavor,
) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    for v in msg.outbound_vars() {
        if v.name.eq_ignore_ascii_case("Max-Forwards") {
            // pjsip refuses a count that reaches zero, chan_sip one
            // below one before counting.
            let n = match (scan_int(&v.value), flavor) {
                (Some(n), Flavor::Pjsip) if n - 1 != 0 => n - 1,
                (Some(n), Flavor::ChanSip) if n >= 1 => n - 1,
                _ => return (out, false),
            };
            *max_forwards = u32::try_from(n).unwrap_or(0);
            // pjsip adds it as one more header; chan_sip writes it in
            // its own place.
            if flavor == Flavor::Pjsip {
                out.push((v.name.clone(), n.to_string()));
            }
        } else if !blocked.iter().any(|b| b.eq_ignore_ascii_case(&v.name)) {
            out.push((v.name.clone(), v.value.clone()));
        }
    }
    (out, true)
}

fn max_forwards_notice(sys: &System, site: &crate::core::logger::Site<'_>) {
    sys.pbx.logger.notice(
        site,
        None,
        "MESSAGE(Max-Forwards) reached zero.  MESSAGE not sent.",
    );
}

/// Hands the MESSAGE to the driver's task.
fn hand_over(sys: &System, flavor: Flavor, out: Outgoing) -> Result<(), SendFailed> {
    let stack = super::stack_of(sys, flavor).ok_or(SendFailed)?;
    stack
        .commands
        .send(super::stack::Command::Message(Box::new(out)))
        .map_err(|_| SendFailed)
}

/// res_pjsip_messaging's `sip_msg_send`/`msg_send`.
pub fn pjsip_send(
    sys: &System,
    msg: &Msg,
    destination: &str,
    from: &str,
) -> Result<(), SendFailed> {
    // The technology's name and its colon go.
    let Some((_, dest)) = destination.split_once(':') else {
        return Err(SendFailed);
    };
    let Some((_endpoint, target, transport, uri)) = pjsip_resolve(sys, dest) else {
        sys.pbx.logger.error(
            crate::site!(MESSAGING_C, 927, "msg_send"),
            None,
            &format!(
                "PJSIP MESSAGE - Could not find endpoint '{dest}' and no default outbound endpoint configured"
            ),
        );
        return Err(SendFailed);
    };
    // The message's own To, once a SIP URI (one copied from a received
    // MESSAGE has lost its `pjsip:`), replaces the To; else a display
    // name in the destination's URI is kept.
    let to = if !msg.to.is_empty() {
        let t = msg.to.strip_prefix("pjsip:").unwrap_or(&msg.to);
        (t.starts_with("sip:") || t.starts_with("sips:"))
            .then(|| crate::sip::headers::NameAddr::parse("To", t).ok())
            .flatten()
            .map(|na| pjsip_party(na.display_name.as_deref(), &na.uri))
    } else {
        crate::sip::headers::NameAddr::parse("To", &uri)
            .ok()
            .filter(|na| na.display_name.as_deref().is_some_and(|d| !d.is_empty()))
            .map(|na| pjsip_party(na.display_name.as_deref(), &na.uri))
    };
    let from_arg = if from.is_empty() {
        msg.from.as_str()
    } else {
        from
    };
    let from = pjsip_from(from_arg).unwrap_or_else(|()| {
        sys.pbx.logger.warning(
            crate::site!(PJSIP_C, 3375, "ast_sip_update_from"),
            None,
            &format!("From address '{from_arg}' is not a valid SIP/SIPS URI"),
        );
        From::Pjsip {
            display: None,
            user: None,
            host: None,
        }
    });
    const BLOCKED: &[&str] = &[
        "To",
        "From",
        "Via",
        "Route",
        "Contact",
        "Call-ID",
        "CSeq",
        "Allow",
        "Content-Length",
        "Content-Type",
        "Request-URI",
    ];
    let mut max_forwards = 70;
    let (headers, counted) = headers_of(msg, BLOCKED, &mut max_forwards, Flavor::Pjsip);
    if !counted {
        // msg_send ignores vars_to_headers' failure: the MESSAGE goes with
        // the headers before the Max-Forwards.
        max_forwards_notice(sys, crate::site!(MESSAGING_C, 290, "vars_to_headers"));
    }
    hand_over(
        sys,
        Flavor::Pjsip,
        Outgoing {
            target,
            transport,
            uri: in_brackets(&uri).to_string(),
            to,
            from,
            body: msg.body.clone(),
            headers,
            max_forwards,
        },
    )
}

/// A To or From value as pjsip prints it in those headers (no port).
pub fn pjsip_party(display: Option<&str>, uri: &crate::sip::Uri) -> String {
    let scheme = match uri.scheme {
        crate::sip::uri::Scheme::Sips => "sips",
        _ => "sip",
    };
    let addr = match &uri.user {
        Some(u) => format!("<{scheme}:{u}@{}>", uri.host),
        None => format!("<{scheme}:{}>", uri.host),
    };
    match display.filter(|d| !d.is_empty()) {
        Some(d) => format!("\"{d}\" {addr}"),
        None => addr,
    }
}

/// chan_sip's `sip_msg_send`.
pub fn chan_sip_send(sys: &System, msg: &Msg, to: &str, from: &str) -> Result<(), SendFailed> {
    let to_uri = in_brackets(to);
    let (to_user, to_host) = uri_user_host(to_uri);
    if to_host.is_empty() {
        warn(
            sys,
            crate::site!(CHAN_SIP, 27948, "sip_msg_send"),
            &format!("MESSAGE(to) is invalid for SIP - '{to}'"),
        );
        return Err(SendFailed);
    }
    let from = chan_sip_from(sys, from);
    let Some((target, transport, mut uri)) = notify::chan_sip_target(sys, to_host) else {
        return Err(SendFailed);
    };
    // The To's user replaces the peer's own where no contact names one.
    if !to_user.is_empty() && sys.loaded().sip.peer(to_host).is_none() {
        if let Ok(mut u) = crate::sip::Uri::parse(&uri) {
            u.user = Some(to_user.to_string());
            uri = u.to_string();
        }
    }
    // A `Request-URI` among the message's data is where it goes.
    if let Some(v) = msg
        .outbound_vars()
        .find(|v| v.name.eq_ignore_ascii_case("Request-URI"))
    {
        uri = v.value.clone();
    }
    const BLOCKED: &[&str] = &[
        "To",
        "From",
        "Via",
        "Route",
        "Contact",
        "Call-ID",
        "CSeq",
        "Allow",
        "Content-Length",
        "Request-URI",
    ];
    let mut max_forwards = 70;
    let (headers, counted) = headers_of(msg, BLOCKED, &mut max_forwards, Flavor::ChanSip);
    if !counted {
        max_forwards_notice(sys, crate::site!(CHAN_SIP, 28026, "sip_msg_send"));
        return Err(SendFailed);
    }
    hand_over(
        sys,
        Flavor::ChanSip,
        Outgoing {
            target,
            transport,
            uri,
            to: None,
            from,
            body: msg.body.clone(),
            headers,
            max_forwards,
        },
    )
}

/// chan_sip's sender from MessageSend's `from`: a peer (its caller id),
/// a caller id with a SIP URI or a user, or a bare name.
fn chan_sip_from(sys: &System, from: &str) -> From {
    let none = From::ChanSip {
        name: None,
        user: None,
        domain: None,
    };
    if from.is_empty() {
        return none;
    }
    if let Some(p) = sys.loaded().sip.peer(from) {
        let or_name = |s: &str| {
            if s.is_empty() {
                p.name.clone()
            } else {
                s.to_string()
            }
        };
        return From::ChanSip {
            name: Some(or_name(&p.cid_name)),
            user: Some(or_name(&p.cid_num)),
            domain: None,
        };
    }
    if from.contains('<') {
        let (name, location) = crate::config::views::callerid::parse(from);
        // A location that did not parse was read as the name.
        let (name, location) = match location.filter(|l| !l.is_empty()) {
            Some(l) => (name, l),
            None => (None, name.unwrap_or_default()),
        };
        let name = name.filter(|n| !n.is_empty());
        if location.contains(':') {
            let (user, host) = uri_user_host(&location);
            let domain = host.split(':').next().unwrap_or(host);
            return From::ChanSip {
                name,
                user: Some(user.to_string()).filter(|u| !u.is_empty()),
                domain: Some(domain.to_string()).filter(|d| !d.is_empty()),
            };
        }
        return From::ChanSip {
            name,
            user: Some(location),
            domain: None,
        };
    }
    From::ChanSip {
        name: Some(from.to_string()),
        user: None,
        domain: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pjsip_destinations() {
        use PjsipDest::*;
        let cases: &[(&str, PjsipDest)] = &[
            ("2000", Token("2000")),
            (
                "2000/sip:2000@127.0.0.1:35163",
                EndpointUri {
                    endpoint: "2000",
                    uri: "sip:2000@127.0.0.1:35163",
                },
            ),
            (
                "2000/2000aor",
                EndpointAor {
                    endpoint: "2000",
                    after: "2000aor",
                },
            ),
            (
                "2000/bob@example.com",
                EndpointAor {
                    endpoint: "2000",
                    after: "bob@example.com",
                },
            ),
            (
                "PJSIP/bob@2000",
                DialUser {
                    user: "bob",
                    endpoint: "2000",
                },
            ),
            ("PJSIP/2000", BadDial),
            (
                "2000;ob@example.com",
                AtSign {
                    user: "2000",
                    whole: "2000;ob@example.com",
                },
            ),
            ("sip:bob@example.com", Uri("sip:bob@example.com")),
            ("sips:example.com", Uri("sips:example.com")),
        ];
        for (dest, want) in cases {
            assert_eq!(&parse_pjsip_dest(dest), want, "{dest}");
        }
    }

    #[test]
    fn sip_uri_user_and_host() {
        assert_eq!(uri_user_host("sip:1000"), ("", "1000"));
        assert_eq!(
            uri_user_host("sip:bob@host:5062;transport=udp"),
            ("bob", "host:5062")
        );
        assert_eq!(uri_user_host("sips:host"), ("", "host"));
        assert_eq!(in_brackets("\"A\" <sip:a@b>"), "sip:a@b");
        assert_eq!(in_brackets("sip:a@b"), "sip:a@b");
    }

    #[test]
    fn pjsip_senders() {
        let f = |d: Option<&str>, u: Option<&str>, h: Option<&str>| From::Pjsip {
            display: d.map(str::to_string),
            user: u.map(str::to_string),
            host: h.map(str::to_string),
        };
        assert_eq!(
            pjsip_from("Asterisk <sip:700@127.0.0.1>"),
            Ok(f(Some("Asterisk"), Some("700"), Some("127.0.0.1")))
        );
        assert_eq!(
            pjsip_from("mgr@example.com"),
            Ok(f(None, Some("mgr"), Some("example.com")))
        );
        assert_eq!(pjsip_from("mgr"), Ok(f(None, Some("mgr"), None)));
        assert_eq!(pjsip_from(""), Ok(f(None, None, None)));
    }
}
