//! MESSAGE outside any call: a device's, taken in as each driver takes it
//! (res_pjsip_messaging's `module_on_rx_request`, chan_sip's
//! `receive_message`) and queued to the messaging core; and ours
//! (MessageSend, the manager's MessageSend), written as each driver
//! writes it.

use std::net::SocketAddr;
use std::time::Instant;

use super::super::message::{From, Outgoing};
use super::{Flavor, Task, random_u64};
use crate::core::message::{self, Msg};
use crate::sip::message::{Method, Request};
use crate::sip::transaction::TransactionId;

impl Task {
    /// A final answer to a MESSAGE: no Contact (it makes no dialog).
    fn answer_message(&mut self, id: TransactionId, req: &Request, status: u16) {
        let tag = self.flavor.response_tag(req);
        let r = self.flavor.response(req, status, Some(&tag), None);
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    /// A MESSAGE inside a call: text for the channel, which nothing
    /// here reads yet (as a channel in most applications drops it), and
    /// the driver's answer: chan_sip takes `text/plain` only, pjsip any
    /// `text/` or `application/` body (`check_content_type_in_dialog`).
    pub(super) fn message_in_call(&mut self, id: TransactionId, req: Request) {
        let media = req
            .headers
            .get("Content-Type")
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let taken = match self.flavor {
            Flavor::ChanSip => media.starts_with("text/plain"),
            Flavor::Pjsip => {
                !req.body.is_empty()
                    && (media.starts_with("text/") || media.starts_with("application/"))
            }
        };
        let status = if taken { 202 } else { 415 };
        let r = self.flavor.response(&req, status, None, None);
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    pub(super) fn message(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        let content_type = req.headers.get("Content-Type").unwrap_or("");
        match self.flavor {
            Flavor::Pjsip => self.pjsip_message(id, req, from),
            Flavor::ChanSip => {
                // chan_sip wants text/plain before anything else.
                if !content_type.starts_with("text/plain") {
                    self.answer_message(id, &req, 415);
                    return;
                }
                self.chan_sip_message(id, req, from)
            }
        }
    }

    fn pjsip_message(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        // The distributor identifies and authenticates first; the module
        // then checks the type (`check_content_type`: text/plain).
        let Some(ep) = self.admit(id, &req, from) else {
            return;
        };
        let plain = req
            .headers
            .get("Content-Type")
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| {
                let (ty, sub) = t.trim().split_once('/').unwrap_or((t, ""));
                ty.trim().eq_ignore_ascii_case("text") && sub.trim().eq_ignore_ascii_case("plain")
            });
        if !plain {
            self.answer_message(id, &req, 415);
            return;
        }
        let mut msg = Msg::default();
        let loaded = self.sys.loaded();
        let context = loaded
            .pjsip
            .endpoint(&ep.name)
            .map(|e| e.message_context.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| ep.context.clone());
        drop(loaded);
        msg.context = context;
        // The Request-URI's user, without any `;` user options.
        msg.exten = req
            .uri
            .user
            .as_deref()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        if let Ok(to) = req.headers.to() {
            let uri = &to.uri;
            // pjsip prints a To's URI without its port; `sip` becomes
            // `pjsip` so the address names the technology.
            let mut s = match &uri.user {
                Some(u) => format!("sip:{u}@{}", uri.host),
                None => format!("sip:{}", uri.host),
            };
            if matches!(uri.scheme, crate::sip::uri::Scheme::Sips) {
                s.insert(3, 's');
            }
            msg.to = format!("pj{s}");
        }
        if let Ok(f) = req.headers.from() {
            // Control characters in the display name become spaces.
            let display = f
                .display_name
                .as_deref()
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let clean: String = d
                        .chars()
                        .map(|c| if (c as u32) < 32 { ' ' } else { c })
                        .collect();
                    format!("\"{clean}\" ")
                })
                .unwrap_or_default();
            let scheme = match f.uri.scheme {
                crate::sip::uri::Scheme::Sips => "sips",
                crate::sip::uri::Scheme::Tel => "tel",
                crate::sip::uri::Scheme::Sip => "sip",
            };
            msg.from = format!(
                "{display}<{scheme}:{}@{}>",
                f.uri.user.as_deref().unwrap_or(""),
                f.uri.host
            );
        }
        msg.set_var("PJSIP_RECVADDR", &from.to_string());
        msg.set_var(
            "PJSIP_TRANSPORT",
            &super::transport_of(&req).as_str().to_ascii_lowercase(),
        );
        msg.body = body_text(&req);
        msg.tech = "PJSIP".into();
        msg.endpoint = ep.name.clone();
        // PJSIP_ENDPOINT holds the endpoint's caller id name, when set.
        if let Some(name) = ep.callerid_name.as_deref().filter(|n| !n.is_empty()) {
            msg.set_var("PJSIP_ENDPOINT", name);
        }
        for h in &req.headers.0 {
            msg.set_var(&h.name, &h.value);
        }
        if !message::has_destination(&self.sys, &msg) {
            self.answer_message(id, &req, 404);
            return;
        }
        self.answer_message(id, &req, 202);
        message::queue(&self.sys, msg);
    }

    fn chan_sip_message(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        let general = self.sys.loaded().sip.general.clone();
        if !general.accept_outofcall_message {
            tracing::debug!("MESSAGE outside of a call administratively disabled.");
            self.answer_message(id, &req, 405);
            return;
        }
        // With auth_message_requests the sender is checked as a caller
        // is; else a peer at its address only picks the context.
        let (context, peername) = if general.auth_message_requests {
            let Some(ep) = self.admit(id, &req, from) else {
                return;
            };
            let peer = self.sys.loaded().sip.peer(&ep.name).cloned();
            let mc = peer
                .as_ref()
                .map(|p| p.settings.message_context.clone())
                .unwrap_or_default();
            (
                if mc.is_empty() {
                    ep.context.clone()
                } else {
                    mc
                },
                Some(ep.name),
            )
        } else {
            let all = self.endpoints();
            // sip_find_peer by address: a configured host, else where a
            // peer registered from.
            let by_addr = super::endpoint::identify(&all, "", from)
                .cloned()
                .or_else(|| {
                    all.iter()
                        .find(|e| {
                            super::super::live_contacts(&self.sys, Flavor::ChanSip, &e.aors)
                                .iter()
                                .any(|c| c.binding.source == from)
                        })
                        .cloned()
                });
            match by_addr {
                Some(ep) => {
                    let peer = self.sys.loaded().sip.peer(&ep.name).cloned();
                    let open = peer
                        .as_ref()
                        .is_some_and(|p| p.secret.is_empty() && p.md5secret.is_empty());
                    let mc = peer
                        .as_ref()
                        .map(|p| p.settings.message_context.clone())
                        .unwrap_or_default();
                    let context = if !mc.is_empty() {
                        mc
                    } else if open {
                        ep.context.clone()
                    } else {
                        general.peer.context.clone()
                    };
                    (context, Some(ep.name.clone()))
                }
                None => (general.peer.context.clone(), None),
            }
        };
        // outofcall_message_context in [general] when the peer has none.
        let context = match (&peername, general.peer.message_context.is_empty()) {
            (None, false) => general.peer.message_context.clone(),
            _ => context,
        };
        let mut msg = Msg {
            to: req.uri.to_string(),
            body: body_text(&req),
            context,
            tech: "SIP".into(),
            ..Default::default()
        };
        if let Ok(f) = req.headers.from() {
            msg.from = match f.display_name.as_deref().filter(|d| !d.is_empty()) {
                Some(name) => format!("\"{}\" <{}>", escape_quoted(name), f.uri),
                None => format!("<{}>", f.uri),
            };
        }
        msg.set_var("SIP_RECVADDR", &from.to_string());
        if let Some(p) = &peername {
            msg.endpoint = p.clone();
            msg.set_var("SIP_PEERNAME", p);
        }
        if let Some(c) = req.headers.get("Contact") {
            let c = match c.find('<') {
                Some(lt) => c[lt + 1..].split('>').next().unwrap_or(""),
                None => c,
            };
            msg.set_var("SIP_FULLCONTACT", c);
        }
        msg.exten = req.uri.user.as_deref().unwrap_or_default().to_string();
        for h in &req.headers.0 {
            msg.set_var(&h.name, &h.value);
        }
        if message::has_destination(&self.sys, &msg) {
            message::queue(&self.sys, msg);
            self.answer_message(id, &req, 202);
        } else {
            self.answer_message(id, &req, 404);
        }
    }

    /// Writes and sends a MESSAGE outside any call: pjsip's as its
    /// out-of-dialog requests (no Contact, RFC 3428), chan_sip's as
    /// `transmit_message` on a new dialog.
    pub(super) fn send_message(&mut self, m: Outgoing) {
        let Ok(uri) = crate::sip::Uri::parse(&m.uri) else {
            tracing::debug!("MESSAGE to unparsable URI {} not sent", m.uri);
            return;
        };
        let mut req = Request::new(Method::Message, uri.clone());
        let tag = self.flavor.new_tag();
        let local = self.local_on(m.transport);
        let mut via = self.via_on(m.transport);
        let call_id = self.flavor.new_call_id(self.local);
        let h = &mut req.headers;
        match (&m.from, self.flavor) {
            (From::ChanSip { name, user, domain }, Flavor::ChanSip) => {
                // initreqprep: the default caller id for what is unset,
                // our port unless it is SIP's own.
                let user = user.clone().unwrap_or_else(|| "asterisk".into());
                let name = name.clone().unwrap_or_else(|| user.clone());
                let host = domain.clone().unwrap_or_else(|| local.ip().to_string());
                let hostport = if local.port() == 5060 {
                    host
                } else {
                    format!("{host}:{}", local.port())
                };
                h.push("Via", via.to_string());
                h.push("Max-Forwards", m.max_forwards.to_string());
                h.push(
                    "From",
                    format!(
                        "\"{}\" <sip:{user}@{hostport}>;tag={tag}",
                        escape_quoted(&name)
                    ),
                );
                h.push("To", format!("<{uri}>"));
                h.push("Contact", format!("<sip:{user}@{local}>"));
                h.push("Call-ID", call_id);
                h.push("CSeq", "102 MESSAGE");
                h.push("User-Agent", self.flavor.user_agent());
                for (name, value) in &m.headers {
                    h.push(name, value.clone());
                }
                h.push("Content-Type", "text/plain;charset=UTF-8");
            }
            (
                From::Pjsip {
                    display,
                    user,
                    host,
                },
                Flavor::Pjsip,
            ) => {
                via.params.0.push(crate::sip::uri::Param {
                    name: "rport".into(),
                    value: None,
                });
                let to =
                    m.to.clone()
                        .unwrap_or_else(|| super::super::message::pjsip_party(None, &uri));
                let mut from_uri = uri.clone();
                if let Some(u) = user {
                    from_uri.user = Some(u.clone());
                }
                if let Some(hst) = host
                    && let Ok(parsed) = crate::sip::uri::Host::parse(hst)
                {
                    from_uri.host = parsed;
                }
                let from = super::super::message::pjsip_party(display.as_deref(), &from_uri);
                h.push("Via", via.to_string());
                h.push("From", format!("{from};tag={tag}"));
                h.push("To", to);
                h.push("Call-ID", call_id);
                h.push("CSeq", format!("{} MESSAGE", (random_u64() & 0x7fff) + 1));
                for (name, value) in &m.headers {
                    h.push(name, value.clone());
                }
                if !h
                    .0
                    .iter()
                    .any(|x| x.name.eq_ignore_ascii_case("Max-Forwards"))
                {
                    h.push("Max-Forwards", m.max_forwards.to_string());
                }
                h.push("User-Agent", self.flavor.user_agent());
                h.push("Content-Type", "text/plain");
            }
            _ => {
                tracing::debug!("MESSAGE for the other driver not sent");
                return;
            }
        }
        req.body = crate::core::raw::encode(&m.body).into_owned();
        if let Err(e) = self
            .tx
            .send_request(Instant::now(), req, m.target, m.transport)
        {
            tracing::warn!("MESSAGE to {} not sent: {e}", m.target);
        }
    }
}

/// The body as text, without the line ends that trail it (both drivers
/// drop them).
fn body_text(req: &Request) -> String {
    let text = crate::core::raw::decode(&req.body).into_owned();
    text.trim_end_matches(['\r', '\n']).to_string()
}

/// `ast_escape_quoted`: a quote or backslash gets a backslash.
fn escape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
