//! Requests the task sends outside any call on the manager's or the
//! CLI's behalf: NOTIFY (SIPnotify, PJSIPNotify, `sip notify`, `pjsip
//! send notify`) and qualifies on demand (SIPqualifypeer, PJSIPQualify,
//! `sip qualify peer`, `pjsip qualify`). Their answers need nothing from
//! us: a response to a transaction the task does not follow is dropped.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::super::notify::{DialogRef, InDialog, Notify};
use super::super::qualify;
use super::{CallState, Flavor, Task, Transport, httpdate_now, random_u64, style};
use crate::sip::message::{Method, Request};

impl Task {
    /// Writes and sends one NOTIFY: the driver's own headers as in its
    /// OPTIONS, `Subscription-State: terminated`, then the items'.
    pub(super) fn send_notify(&mut self, n: Notify) {
        let Ok(uri) = crate::sip::Uri::parse(&n.uri) else {
            tracing::debug!("NOTIFY to unparsable URI {} not sent", n.uri);
            return;
        };
        let mut req = Request::new(Method::Notify, uri.clone());
        let tag = self.flavor.new_tag();
        let local = self.local_on(n.transport);
        let mut via = self.via_on(n.transport);
        let call_id = self.flavor.new_call_id(self.local);
        let h = &mut req.headers;
        match self.flavor {
            Flavor::ChanSip => {
                h.push("Via", via.to_string());
                h.push("Max-Forwards", "70");
                h.push(
                    "From",
                    format!("\"asterisk\" <sip:asterisk@{local}>;tag={tag}"),
                );
                h.push("To", format!("<{uri}>"));
                h.push("Contact", format!("<sip:asterisk@{local}>"));
                h.push("Call-ID", call_id);
                h.push("CSeq", "102 NOTIFY");
                h.push("User-Agent", self.flavor.user_agent());
                h.push("Date", httpdate_now());
                h.push("Allow", style::CHAN_SIP_ALLOW);
                h.push("Supported", "replaces, timer");
                h.push("Subscription-State", "terminated");
                for (name, value) in &n.content.headers {
                    h.push(name, value.clone());
                }
            }
            Flavor::Pjsip => {
                // As in its OPTIONS: the contact's user and host in From
                // and To; the items' headers come before Max-Forwards
                // and User-Agent, the body's type after them.
                let party = match &uri.user {
                    Some(u) => format!("<sip:{u}@{}>", uri.host),
                    None => format!("<sip:{}>", uri.host),
                };
                via.params.0.push(crate::sip::uri::Param {
                    name: "rport".into(),
                    value: None,
                });
                let from = match &n.from_user {
                    Some(u) => format!("<sip:{u}@{}>", uri.host),
                    None => party.clone(),
                };
                h.push("Via", via.to_string());
                h.push("From", format!("{from};tag={tag}"));
                h.push("To", party);
                let user = uri.user.clone().unwrap_or_default();
                h.push("Contact", format!("<sip:{user}@{local}>"));
                h.push("Call-ID", call_id);
                h.push("CSeq", format!("{} NOTIFY", (random_u64() & 0x7fff) + 1));
                h.push("Subscription-State", "terminated");
                for (name, value) in &n.content.headers {
                    h.push(name, value.clone());
                }
                h.push("Max-Forwards", "70");
                h.push("User-Agent", self.flavor.user_agent());
                if let Some(t) = &n.content.content_type {
                    h.push("Content-Type", t.clone());
                }
            }
        }
        if let Some(body) = &n.content.body {
            req.body = crate::core::raw::encode(body).into_owned();
        }
        if let Err(e) = self
            .tx
            .send_request(Instant::now(), req, n.target, n.transport)
        {
            tracing::warn!("NOTIFY to {} not sent: {e}", n.target);
        }
    }

    /// Qualifies `device` now: its probes, if qualify watches it, go out
    /// at once (chan_sip's without a timeout, as `sip_poke_peer` forced
    /// sets none); a contact qualify does not watch gets one OPTIONS whose
    /// answer changes nothing.
    pub(super) fn qualify_now(&mut self, device: &str) {
        let now = Instant::now();
        let loaded = self.sys.loaded();
        let aors: Vec<String> = match self.flavor {
            Flavor::ChanSip => vec![device.to_string()],
            Flavor::Pjsip => match loaded.pjsip.endpoint(device) {
                Some(ep) => super::super::notify::aor_names(&ep.aors),
                None => return,
            },
        };
        drop(loaded);
        let timed = self.flavor == Flavor::Pjsip;
        let mut once: Vec<(String, String, SocketAddr)> = Vec::new();
        for aor in &aors {
            if self.qualifier.force(aor, now, timed) > 0 {
                continue;
            }
            match self.flavor {
                Flavor::ChanSip => {
                    let Some(peer) = self.sys.loaded().sip.peer(device).cloned() else {
                        continue;
                    };
                    let contact = super::super::live_contacts(
                        &self.sys,
                        Flavor::ChanSip,
                        std::slice::from_ref(aor),
                    )
                    .into_iter()
                    .last();
                    match contact {
                        Some(c) => once.push((aor.clone(), c.binding.uri, c.binding.target)),
                        None => {
                            if let Some(ip) = peer.addr {
                                let addr = SocketAddr::new(ip, peer.effective_port());
                                once.push((aor.clone(), format!("sip:{device}@{addr}"), addr));
                            }
                        }
                    }
                }
                Flavor::Pjsip => {
                    for (addr, _, uri) in super::super::notify::pjsip_targets_of_aor(&self.sys, aor)
                    {
                        once.push((aor.clone(), uri, addr));
                    }
                }
            }
        }
        for (aor, uri, addr) in once {
            let target = qualify::Target {
                device: device.to_string(),
                aor,
                contact_id: String::new(),
                uri,
                addr,
                limit: Duration::ZERO,
                timeout: Duration::ZERO,
                every: Duration::ZERO,
                every_unreachable: Duration::ZERO,
            };
            let Some(req) = self.options_request(&target) else {
                continue;
            };
            if let Err(e) = self.tx.send_request(now, req, addr, Transport::Udp) {
                tracing::warn!("OPTIONS to {addr} not sent: {e}");
            }
        }
        self.qualify_due(now);
    }
}

impl Task {
    /// Our Via for a request inside a dialog: pjsip asks for `rport`.
    pub(super) fn in_dialog_via(&self, transport: Transport) -> crate::sip::Via {
        let mut via = self.via_on(transport);
        if self.flavor == Flavor::Pjsip {
            via.params.0.push(crate::sip::uri::Param {
                name: "rport".into(),
                value: None,
            });
        }
        via
    }

    /// The Via of a request inside call `key`'s dialog, if there is
    /// such a call.
    pub(super) fn call_via(&self, key: u64) -> Option<crate::sip::Via> {
        self.calls
            .get(&key)
            .map(|c| self.in_dialog_via(c.transport))
    }

    /// A NOTIFY inside the dialog of the call `n` names (chan_sip by its
    /// Call-ID, pjsip by its channel), if that call's dialog is up.
    pub(super) fn notify_in_dialog(&mut self, n: InDialog) {
        let key = self
            .calls
            .iter()
            .find(|(_, c)| {
                c.dialog.is_some()
                    && c.state != CallState::Ending
                    && match &n.dialog {
                        DialogRef::CallId(id) => {
                            c.dialog.as_ref().is_some_and(|d| d.id.call_id == *id)
                        }
                        DialogRef::Channel(name) => c.chan.name == *name,
                    }
            })
            .map(|(k, _)| *k);
        let Some(key) = key else {
            let _ = n.found.send(false);
            return;
        };
        let _ = n.found.send(true);
        let Some(via) = self.call_via(key) else {
            return;
        };
        let flavor = self.flavor;
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        let mut req = dialog.create_request(Method::Notify, via);
        let h = &mut req.headers;
        place_max_forwards(h, flavor);
        // Both drivers write the Contact right after To.
        if let Some(c) = h.get("Contact").map(str::to_string) {
            h.remove("Contact");
            h.insert_after("To", "Contact", c);
        }
        if flavor == Flavor::ChanSip {
            // `transmit_invite` adds these to any request it sends.
            h.push("User-Agent", flavor.user_agent());
            h.push("Date", httpdate_now());
            h.push("Allow", style::CHAN_SIP_ALLOW);
            h.push("Supported", "replaces, timer");
        }
        h.push("Subscription-State", "terminated");
        for (name, value) in &n.content.headers {
            h.push(name, value.clone());
        }
        if flavor == Flavor::Pjsip {
            h.push("Max-Forwards", "70");
            h.push("User-Agent", flavor.user_agent());
            if let Some(t) = &n.content.content_type {
                h.push("Content-Type", t.clone());
            }
        }
        if let Some(body) = &n.content.body {
            req.body = crate::core::raw::encode(body).into_owned();
        }
        call.last_msg = "Tx: NOTIFY".into();
        self.changed.push(key);
        let (peer, transport) = (call.peer, call.transport);
        if let Err(e) = self.tx.send_request(Instant::now(), req, peer, transport) {
            tracing::warn!("NOTIFY to {peer} not sent: {e}");
        }
    }
}

impl Task {
    /// `ast_sendtext_data` on a SIP channel: a MESSAGE inside its dialog.
    /// chan_sip sends only text (`text/…` or no type) and always as
    /// `text/plain;charset=UTF-8` (`sip_sendtext`); pjsip sends any type
    /// as given, `text/plain` by default (`chan_pjsip_sendtext_data`).
    pub(super) fn send_text(&mut self, key: u64, body: &str, content_type: Option<&str>) {
        let flavor = self.flavor;
        let content_type = match flavor {
            Flavor::ChanSip => {
                if content_type.is_some_and(|t| !t.is_empty() && !t.starts_with("text/")) {
                    tracing::debug!("chan_sip sends no {content_type:?} text");
                    return;
                }
                "text/plain;charset=UTF-8".to_string()
            }
            Flavor::Pjsip => match content_type.filter(|t| t.contains('/')) {
                Some(t) => t.to_string(),
                None => "text/plain".to_string(),
            },
        };
        self.request_in_call(key, Method::Message, &content_type, body);
    }

    /// chan_pjsip's `transmit_info_dtmf` for a flash: an INFO of
    /// `content_type` inside the call's dialog.
    pub(super) fn send_info(&mut self, key: u64, content_type: &str, body: &str) {
        self.request_in_call(key, Method::Info, content_type, body);
    }

    /// A request with a body inside a call's dialog (MESSAGE, INFO), as
    /// each driver writes it; none once the call is ending.
    fn request_in_call(&mut self, key: u64, method: Method, content_type: &str, body: &str) {
        let flavor = self.flavor;
        let Some(via) = self.call_via(key) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.state == CallState::Ending {
            // pjsip logs the session's end reason here, which we do not
            // keep; chan_sip has no dialog to send in by then.
            tracing::debug!("no {method}: the session of call {key} is ending");
            return;
        }
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        let mut req = dialog.create_request(method.clone(), via);
        let h = &mut req.headers;
        place_max_forwards(h, flavor);
        if flavor == Flavor::Pjsip {
            h.push("Max-Forwards", "70");
        }
        h.push("User-Agent", flavor.user_agent());
        h.push("Content-Type", content_type);
        req.body = crate::core::raw::encode(body).into_owned();
        call.last_msg = format!("Tx: {method}");
        self.changed.push(key);
        let (peer, transport) = (call.peer, call.transport);
        if let Err(e) = self.tx.send_request(Instant::now(), req, peer, transport) {
            tracing::warn!("{method} to {peer} not sent: {e}");
        }
    }
}

/// Where each driver writes Max-Forwards in a request inside a dialog:
/// chan_sip right after the Via (`reqprep`); pjsip after the headers
/// added to it, so it is taken out here for the caller to push.
fn place_max_forwards(h: &mut crate::sip::message::Headers, flavor: Flavor) {
    h.remove("Max-Forwards");
    if flavor == Flavor::ChanSip {
        h.insert_after("Via", "Max-Forwards", "70");
    }
}
