//! Out-of-dialog NOTIFY requests the manager and the CLI send: chan_sip's
//! SIPnotify and `sip notify` (`manager_sipnotify`, `sip_cli_notify`),
//! res_pjsip_notify's PJSIPNotify and `pjsip send notify`. Each driver
//! turns name/value items (the manager's `Variable`s or a notify type of
//! its config file) into headers and a body its own way; the SIP task
//! then writes the request as it writes its qualify OPTIONS.

use std::net::{IpAddr, SocketAddr};

use crate::core::System;
use crate::sip::transaction::Transport;

use super::endpoint::Flavor;

/// One NOTIFY to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Where it goes.
    pub target: SocketAddr,
    pub transport: Transport,
    /// Its Request-URI (the contact) and To.
    pub uri: String,
    /// What it says after `Subscription-State: terminated`.
    pub content: Content,
    /// pjsip: the From user in place of the contact's (res_pjsip_mwi's
    /// `mwi_from_user`).
    pub from_user: Option<String>,
}

/// The headers and body made of the items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    /// Extra headers, in the items' order.
    pub headers: Vec<(String, String)>,
    /// pjsip writes its body's type with the body, after its own headers;
    /// chan_sip takes `Content-Type` as one more header.
    pub content_type: Option<String>,
    /// The body: `Content` items joined by CRLF.
    pub body: Option<String>,
}

/// Where the items come from, which decides one log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Manager,
    Config,
}

fn append_line(body: &mut Option<String>, line: &str) {
    match body {
        Some(b) => {
            // Both drivers join lines only once there is text.
            if !b.is_empty() {
                b.push_str("\r\n");
            }
            b.push_str(line);
        }
        None => *body = Some(line.to_string()),
    }
}

/// chan_sip: every item but `Content` (the body) and `Content-Length`
/// (warned about) is a header, `Content-Type` included.
pub fn chan_sip_content(sys: &System, items: &[(String, String)], source: Source) -> Content {
    let mut c = Content::default();
    for (name, value) in items {
        if name.eq_ignore_ascii_case("Content") {
            append_line(&mut c.body, value);
        } else if name.eq_ignore_ascii_case("Content-Length") {
            let (site, text) = match source {
                Source::Manager => (
                    crate::site!("chan_sip.c", 15756, "manager_sipnotify"),
                    "it is not necessary to specify Content-Length, ignoring",
                ),
                Source::Config => (
                    crate::site!("chan_sip.c", 22991, "sip_cli_notify"),
                    "it is not necessary to specify Content-Length in sip_notify.conf, ignoring",
                ),
            };
            sys.pbx.logger.warning(site, None, text);
        } else {
            c.headers.push((name.clone(), value.clone()));
        }
    }
    // chan_sip sends no body for empty content.
    c.body = c.body.filter(|b| !b.is_empty());
    c
}

/// Headers res_pjsip_notify refuses to take from the items.
const PJSIP_NOT_ALLOWED: &[&str] = &[
    "Call-ID",
    "Contact",
    "CSeq",
    "To",
    "From",
    "Record-Route",
    "Route",
    "Request-URI",
    "Via",
];

/// pjsip: `Content-Type` sets the body's type, `Content` lines the body
/// (sent only with a type), the request's own headers are refused, a
/// second `Event` is dropped; from the manager `Content-Length` is
/// dropped too (a notify type's goes out as a header).
pub fn pjsip_content(sys: &System, items: &[(String, String)], source: Source) -> Content {
    let logger = &sys.pbx.logger;
    let mut c = Content::default();
    let mut body = None;
    for (name, value) in items {
        if source == Source::Manager && name.eq_ignore_ascii_case("Content-Length") {
            logger.notice(
                crate::site!("res_pjsip_notify.c", 674, "build_ami_notify"),
                None,
                "It is not necessary to specify Content-Length, ignoring.",
            );
            continue;
        }
        if PJSIP_NOT_ALLOWED
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
        {
            logger.warning(
                crate::site!("res_pjsip_notify.c", 600, "build_notify"),
                None,
                &format!("Cannot specify {name} header, ignoring"),
            );
        } else if name.eq_ignore_ascii_case("Content-type") {
            c.content_type = Some(value.clone());
        } else if name.eq_ignore_ascii_case("Content") {
            append_line(&mut body, value);
        } else if name.eq_ignore_ascii_case("Event")
            && c.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("Event"))
        {
            logger.error(
                crate::site!("res_pjsip_notify.c", 626, "build_notify"),
                None,
                &format!(
                    "Only one '{name}' header can be added to a NOTIFY, ignoring \"{name}: {value}\""
                ),
            );
        } else {
            c.headers.push((name.clone(), value.clone()));
        }
    }
    if c.content_type.is_some() {
        c.body = Some(body.unwrap_or_default());
    }
    c
}

/// The address of a URI's host and port (an IP literal), 5060 by default.
fn uri_addr(uri: &crate::sip::Uri) -> Option<SocketAddr> {
    let ip: IpAddr = uri.host.to_string().trim_matches(['[', ']']).parse().ok()?;
    Some(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
}

/// Where chan_sip's NOTIFY for `name` (a peer, or a host) goes
/// (`create_addr`): a registered peer's contact, a peer's configured
/// host, or a host by address or name; None (logged as chan_sip logs it)
/// when there is none. A host name is resolved here, blocking: callers on
/// the runtime run it through `spawn_blocking`.
pub fn chan_sip_target(sys: &System, name: &str) -> Option<(SocketAddr, Transport, String)> {
    let peer = sys.loaded().sip.peer(name).cloned();
    let logger = &sys.pbx.logger;
    if let Some(p) = peer {
        let contact = super::live_contacts(sys, Flavor::ChanSip, std::slice::from_ref(&p.name))
            .into_iter()
            .last();
        if let Some(c) = contact {
            // A contact registered over TCP is reached on its connection.
            return Some(if c.binding.over_tcp {
                (c.binding.source, Transport::Tcp, c.binding.uri)
            } else {
                (c.binding.target, Transport::Udp, c.binding.uri)
            });
        }
        // Not registered: its configured host, if it has one.
        let addr = SocketAddr::new(p.addr?, p.effective_port());
        return Some((addr, Transport::Udp, host_uri(&p.username, addr)));
    }
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        logger.warning(
            crate::site!("chan_sip.c", 6386, "create_addr"),
            None,
            &format!("Purely numeric hostname ({name}), and not a peer--rejecting!"),
        );
        return None;
    }
    let (host, port) = match name.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() && !h.contains(':') => (h, p.parse::<u16>().ok()),
        _ => (name, None),
    };
    let port = port.unwrap_or(5060);
    let addr = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => Some(SocketAddr::new(ip, port)),
        Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .ok()
            .and_then(|mut a| a.next()),
    };
    let Some(addr) = addr else {
        logger.warning(
            crate::site!("chan_sip.c", 6428, "create_addr"),
            None,
            &format!("No such host: {name}"),
        );
        return None;
    };
    Some((addr, Transport::Udp, host_uri("", addr)))
}

/// chan_sip's Request-URI for a device without a contact: its user, if
/// any, at its address (the port only when not 5060).
fn host_uri(user: &str, addr: SocketAddr) -> String {
    let host = match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let hostport = if addr.port() == 5060 {
        host
    } else {
        format!("{host}:{}", addr.port())
    };
    if user.is_empty() {
        format!("sip:{hostport}")
    } else {
        format!("sip:{user}@{hostport}")
    }
}

/// The AOR names of a pjsip endpoint's `aors=`, as res_pjsip splits it.
pub fn aor_names(aors: &str) -> Vec<String> {
    aors.split(',')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

/// Every contact of the AORs of pjsip endpoint `name` (permanent and
/// registered, in res_pjsip's order): where a NOTIFY to it goes.
pub fn pjsip_targets(sys: &System, name: &str) -> Vec<(SocketAddr, Transport, String)> {
    let aors = match sys.loaded().pjsip.endpoint(name) {
        Some(ep) => aor_names(&ep.aors),
        None => return Vec::new(),
    };
    aors.iter()
        .flat_map(|a| pjsip_targets_of_aor(sys, a))
        .collect()
}

/// The contacts of one AOR, and where requests to each go.
pub fn pjsip_targets_of_aor(sys: &System, aor_name: &str) -> Vec<(SocketAddr, Transport, String)> {
    let loaded = sys.loaded();
    let Some(aor) = loaded.pjsip.aor(aor_name) else {
        return Vec::new();
    };
    let live = super::live_contacts(sys, Flavor::Pjsip, std::slice::from_ref(&aor.name));
    let mut out = Vec::new();
    for c in super::aor_contacts(sys, aor) {
        let bound = live.iter().find(|l| l.binding.uri == c.uri);
        let dest = match bound {
            Some(l) if l.binding.over_tcp => Some((l.binding.source, Transport::Tcp)),
            Some(l) => Some((l.binding.target, Transport::Udp)),
            None => crate::sip::Uri::parse(&c.uri)
                .ok()
                .and_then(|u| uri_addr(&u))
                .map(|a| (a, Transport::Udp)),
        };
        if let Some((addr, transport)) = dest {
            out.push((addr, transport, c.uri));
        }
    }
    out
}

/// The default outbound endpoint (pjsip.conf's global
/// `default_outbound_endpoint`), if it names an endpoint.
pub fn pjsip_default_outbound(sys: &System) -> Option<String> {
    let loaded = sys.loaded();
    let name = loaded
        .pjsip
        .global_option("default_outbound_endpoint")
        .unwrap_or("default_outbound_endpoint");
    loaded.pjsip.endpoint(name).map(|e| e.name.clone())
}

/// Where a NOTIFY to an arbitrary URI goes (its host must be an address).
pub fn uri_target(uri: &str) -> Option<SocketAddr> {
    crate::sip::Uri::parse(uri.trim_matches(['<', '>']))
        .ok()
        .and_then(|u| uri_addr(&u))
}

/// Which call's dialog an in-dialog NOTIFY goes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogRef {
    /// chan_sip's SIPnotify `Call-ID`.
    CallId(String),
    /// PJSIPNotify's `Channel`.
    Channel(String),
}

/// A NOTIFY inside a call's dialog.
#[derive(Debug)]
pub struct InDialog {
    pub dialog: DialogRef,
    pub content: Content,
    /// Whether the task found a dialog to send it in.
    pub found: tokio::sync::oneshot::Sender<bool>,
}

/// Sends a NOTIFY inside the dialog named by `dialog`; false when the
/// driver has no such dialog up.
pub async fn send_in_dialog(
    sys: &System,
    flavor: Flavor,
    dialog: DialogRef,
    content: Content,
) -> bool {
    let Some(stack) = super::stack_of(sys, flavor) else {
        return false;
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let order = InDialog {
        dialog,
        content,
        found: tx,
    };
    if stack
        .commands
        .send(super::stack::Command::NotifyInDialog(Box::new(order)))
        .is_err()
    {
        return false;
    }
    rx.await.unwrap_or(false)
}

/// Hands NOTIFYs to the driver's SIP task; false when it does not run.
pub fn send(sys: &System, flavor: Flavor, notifies: Vec<Notify>) -> bool {
    let Some(stack) = super::stack_of(sys, flavor) else {
        return false;
    };
    for n in notifies {
        if stack
            .commands
            .send(super::stack::Command::Notify(Box::new(n)))
            .is_err()
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_uris() {
        assert_eq!(
            host_uri("", "127.0.0.1:5060".parse().unwrap()),
            "sip:127.0.0.1"
        );
        assert_eq!(
            host_uri("bob", "127.0.0.1:35199".parse().unwrap()),
            "sip:bob@127.0.0.1:35199"
        );
    }

    #[test]
    fn aor_lists_split_like_strsep() {
        assert_eq!(aor_names(" a , b,,c "), vec!["a", "b", "c"]);
        assert!(aor_names("").is_empty());
    }

    fn items(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn chan_sip_takes_every_item_but_content_as_a_header() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let c = chan_sip_content(
            &sys,
            &items(&[
                ("Event", "check-sync"),
                ("Content-Type", "text/plain"),
                ("Content", "a"),
                ("Content-Length", "9"),
                ("Content", "b"),
                ("Event", "again"),
            ]),
            Source::Manager,
        );
        assert_eq!(
            c.headers,
            items(&[
                ("Event", "check-sync"),
                ("Content-Type", "text/plain"),
                ("Event", "again")
            ])
        );
        assert_eq!(c.content_type, None);
        assert_eq!(c.body.as_deref(), Some("a\r\nb"));
        // No body for empty content.
        let c = chan_sip_content(&sys, &items(&[("Content", "")]), Source::Config);
        assert_eq!(c.body, None);
    }

    #[test]
    fn pjsip_refuses_its_own_headers_and_a_second_event() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let c = pjsip_content(
            &sys,
            &items(&[
                ("Event", "x"),
                ("Call-ID", "mine"),
                ("event", "y"),
                ("X-A", "1"),
                ("Content", "one"),
                ("Content-Length", "3"),
            ]),
            Source::Manager,
        );
        assert_eq!(c.headers, items(&[("Event", "x"), ("X-A", "1")]));
        // Content without a type sends no body.
        assert_eq!((c.content_type, c.body), (None, None));
        let c = pjsip_content(
            &sys,
            &items(&[("content-type", "text/plain"), ("Content-Length", "3")]),
            Source::Config,
        );
        // A notify type's Content-Length goes out as a header (our writer
        // states the real length).
        assert_eq!(c.headers, items(&[("Content-Length", "3")]));
        assert_eq!(c.content_type.as_deref(), Some("text/plain"));
        assert_eq!(c.body.as_deref(), Some(""));
    }

    #[test]
    fn body_lines() {
        let mut b = None;
        append_line(&mut b, "one");
        append_line(&mut b, "two");
        assert_eq!(b.as_deref(), Some("one\r\ntwo"));
    }
}
