//! pjsip's side of extension-state subscriptions (res_pjsip_pubsub's
//! `pubsub_on_rx_subscribe_request` and the dialog's NOTIFYs, with
//! res_pjsip_exten_state as the notifier): what a new SUBSCRIBE must pass,
//! its refreshes, and each NOTIFY. The subscriptions themselves are kept
//! with chan_sip's (`subscribe.rs`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::super::presence_xml::{self, Notice, Ringing};
use super::super::subscribe;
use super::subscribe::{PjState, Subscription, Watched};
use super::{Flavor, Task, Transport, random_u64, transport_of};
use crate::channels::ChanState;
use crate::channels::party::{Caller, Connected};
use crate::core::devicestate;
use crate::sip::message::{Method, Request};
use crate::sip::transaction::TransactionId;

/// The event packages' default and longest subscription
/// (`DEFAULT_EXPIRES`, what pjsip's evsub caps a request to).
const PACKAGE_EXPIRES: u32 = 3600;

/// `AST_PRES_RESTRICTION` and `AST_PRES_RESTRICTED`.
const PRES_RESTRICTION: i32 = 0x60;
const PRES_RESTRICTED: i32 = 0x20;

impl Task {
    /// A SUBSCRIBE outside any dialog, checked in res_pjsip_pubsub's
    /// order once the endpoint is identified and authenticated; each
    /// refusal is a stateless response.
    pub(super) fn new_pjsip_subscription(
        &mut self,
        id: TransactionId,
        req: &Request,
        from: SocketAddr,
        call_id: String,
    ) {
        let Some(ep) = self.admit(id, req, from) else {
            return;
        };
        let loaded = self.sys.loaded();
        let Some(cfg) = loaded.pjsip.endpoint(&ep.name) else {
            return;
        };
        let (allowed, min_expiry, context, early_inuse_ringing) = (
            cfg.allow_subscribe,
            cfg.sub_min_expiry,
            if cfg.subscribe_context.is_empty() {
                cfg.context.clone()
            } else {
                cfg.subscribe_context.clone()
            },
            cfg.notify_early_inuse_ringing,
        );
        drop(loaded);
        let logger = &self.sys.pbx.logger;
        if !allowed {
            logger.warning(
                crate::site!("res_pjsip_pubsub.c", 3246, "pubsub_on_rx_subscribe_request"),
                None,
                &format!("Subscriptions not permitted for endpoint {}.", ep.name),
            );
            self.reply(id, req, 603, "Decline", None);
            return;
        }
        let asked = req
            .headers
            .get("Expires")
            .map(|v| crate::config::views::values::atoi(v));
        match asked {
            Some(0) => {
                self.reply(id, req, 400, "Bad Request", None);
                return;
            }
            Some(e) if e < i64::from(min_expiry) => {
                logger.warning(
                    crate::site!("res_pjsip_pubsub.c", 3282, "pubsub_on_rx_subscribe_request"),
                    None,
                    &format!(
                        "Subscription expiration {e} is too brief for endpoint {}. Minimum is {min_expiry}",
                        ep.name
                    ),
                );
                self.reply(id, req, 423, "Interval Too Brief", None);
                return;
            }
            _ => {}
        }
        // Which package the Event header names; anything but
        // exten_state's two and res_pjsip_mwi's is refused with pubsub's
        // warning.
        let header = req.headers.get("Event");
        let event = header.unwrap_or_default().trim().to_string();
        let package = event.split(';').next().unwrap_or("").trim().to_string();
        let unserved = match package.as_str() {
            "presence" | "dialog" | "message-summary" => None,
            _ if header.is_none() => Some((
                1002,
                format!(
                    "Incoming SUBSCRIBE request from {} with no Event header",
                    ep.name
                ),
            )),
            other => Some((
                1010,
                format!(
                    "No registered subscribe handler for event {other} from {}",
                    ep.name
                ),
            )),
        };
        if let Some((line, message)) = unserved {
            logger.warning(
                crate::site!(
                    "res_pjsip_pubsub.c",
                    line,
                    "subscription_get_handler_from_rdata"
                ),
                None,
                &message,
            );
            self.reply(id, req, 489, "Bad Event", None);
            return;
        }
        let accepts: Vec<&str> = req.headers.get_all("Accept").collect();
        let resource = req.uri.user.clone().unwrap_or_default();
        let (watched, laststate) = if package == super::super::mwi::EVENT {
            let summary = accepts.is_empty()
                || accepts
                    .iter()
                    .flat_map(|a| a.split(','))
                    .any(|a| a.trim().eq_ignore_ascii_case(super::super::mwi::MEDIA_TYPE));
            if !summary {
                self.reply(id, req, 489, "Bad Event", None);
                return;
            }
            match self.pjsip_mailbox_resource(&ep.name, req) {
                Ok(w) => (w, devicestate::ExtensionState::Idle),
                Err(status) => {
                    let reason = self.flavor.reason(status).to_string();
                    self.reply(id, req, status, &reason, None);
                    return;
                }
            }
        } else {
            let Some(format) = presence_xml::choose(&accepts, &package) else {
                self.reply(id, req, 489, "Bad Event", None);
                return;
            };
            let Some(hint) = devicestate::hint_of(&self.sys, &context, &resource) else {
                logger.notice(
                    crate::site!("res_pjsip_exten_state.c", 429, "new_subscribe"),
                    None,
                    &format!(
                        "Endpoint '{}' state subscription failed: Extension '{resource}' does not exist in context '{context}' or has no associated hint",
                        ep.name
                    ),
                );
                self.reply(id, req, 404, "Not Found", None);
                return;
            };
            (
                Watched::Hint(format),
                devicestate::extension_state(&self.sys, &hint),
            )
        };
        let expiry = asked.map_or(PACKAGE_EXPIRES, |e| {
            u32::try_from(e).map_or(PACKAGE_EXPIRES, |e| e.min(PACKAGE_EXPIRES))
        });
        let transport = transport_of(req);
        let local = self.local_on(transport);
        let their_from = req.headers.from().ok();
        let their_to = req.headers.to().ok();
        let domain = their_to
            .as_ref()
            .map(|t| t.uri.host.to_string())
            .unwrap_or_default();
        let local_tag = self.flavor.new_tag();
        let sub = Subscription {
            call_id,
            local_tag,
            their_from: their_from.as_ref().map(without_port).unwrap_or_default(),
            their_to: their_to.as_ref().map(without_port).unwrap_or_default(),
            contact: req
                .headers
                .get("Contact")
                .map(|c| subscribe::bare_uri(c).to_string())
                .unwrap_or_default(),
            target: from,
            transport,
            our_contact: format!("sip:{local}"),
            context,
            exten: resource,
            watched,
            endpoint: ep.name.clone(),
            spent_nonce: String::new(),
            expires_at: Instant::now() + Duration::from_secs(u64::from(expiry)),
            expiry,
            version: 0,
            // pjsip's dialog starts its own CSeq at random (`pj_rand() &
            // 0x7FFF`).
            cseq: (random_u64() & 0x7fff) as u32,
            laststate,
            changed_at: None,
            pending: None,
            queued: false,
            row: 0,
            hint_gone: false,
            pj: PjState {
                event,
                local_uri: req.uri.to_string(),
                remote_uri: their_from
                    .as_ref()
                    .map(|f| {
                        let mut uri = f.uri.clone();
                        uri.port = None;
                        uri.params = Default::default();
                        uri.to_string()
                    })
                    .unwrap_or_default(),
                domain,
                early_inuse_ringing,
                body: String::new(),
            },
        };
        self.begin_subscription(id, req, sub);
    }

    /// A SUBSCRIBE inside a subscription's dialog: its Expires (the
    /// package's when it names none, 0 to end it) starts over, and the
    /// NOTIFY that follows repeats the last body.
    pub(super) fn pjsip_resubscribe(
        &mut self,
        id: TransactionId,
        req: &Request,
        key: &(String, String),
    ) {
        let expiry = match req.headers.get("Expires") {
            Some(v) => u32::try_from(crate::config::views::values::atoi(v))
                .map_or(PACKAGE_EXPIRES, |e| e.min(PACKAGE_EXPIRES)),
            None => PACKAGE_EXPIRES,
        };
        let Some(sub) = self.subs.by_dialog.get_mut(key) else {
            return;
        };
        sub.expiry = expiry;
        sub.expires_at = Instant::now() + Duration::from_secs(u64::from(expiry));
        let (row, expires_at) = (sub.row, sub.expires_at);
        self.subs.refreshed(row, expires_at);
        self.accept_subscription(id, req, key, false);
    }

    /// pjsip's NOTIFY: a fresh body for a new state (dialog-info counts
    /// its versions), else the last one again; the state header counts
    /// down the seconds left.
    pub(super) fn pjsip_notify(
        &mut self,
        key: &(String, String),
        transport: Transport,
        fresh: bool,
    ) -> Option<(Request, SocketAddr)> {
        let ringing = {
            let sub = self.subs.by_dialog.get(key)?;
            let rings = matches!(
                sub.laststate,
                devicestate::ExtensionState::Ringing | devicestate::ExtensionState::InUseRinging
            );
            if fresh && sub.watched == Watched::Hint(subscribe::Format::DialogInfo) && rings {
                devicestate::hint_of(&self.sys, &sub.context, &sub.exten)
                    .and_then(|hint| self.ringing_call(&hint))
            } else {
                None
            }
        };
        let summary = match &self.subs.by_dialog.get(key)?.watched {
            Watched::Mailboxes { boxes, account } => {
                let (new, old) = super::mwi::mailbox_counts(&self.sys, boxes);
                Some(super::super::mwi::body(new, old, account.as_deref(), true))
            }
            Watched::Hint(_) => None,
        };
        let mut via = self.via_on(transport);
        via.params.0.push(crate::sip::uri::Param {
            name: "rport".into(),
            value: None,
        });
        let sub = self.subs.by_dialog.get_mut(key)?;
        let uri = sub.contact_uri()?;
        if let Some(summary) = summary.filter(|_| fresh || sub.pj.body.is_empty()) {
            sub.pj.body = summary;
        } else if let (Some(format), true) = (sub.watched.format(), fresh || sub.pj.body.is_empty())
        {
            let atom_id = crate::core::random_uuid();
            sub.pj.body = presence_xml::body(
                format,
                &Notice {
                    state: sub.laststate,
                    exten: &sub.exten,
                    local: &sub.pj.local_uri,
                    remote: &sub.pj.remote_uri,
                    domain: &sub.pj.domain,
                    version: sub.version,
                    early_inuse_ringing: sub.pj.early_inuse_ringing,
                    ringing: ringing.as_ref(),
                    atom_id: &atom_id,
                },
            );
            sub.version += 1;
        }
        sub.cseq += 1;
        let state = if sub.expiry == 0 {
            "terminated".to_string()
        } else {
            let left = sub.expires_at.saturating_duration_since(Instant::now());
            format!("active;expires={}", left.as_secs())
        };
        let mut req = Request::new(Method::Notify, uri);
        let h = &mut req.headers;
        h.push("Via", via.to_string());
        h.push("From", format!("{};tag={}", sub.their_to, sub.local_tag));
        h.push("To", sub.their_from.clone());
        h.push("Contact", format!("<{}>", sub.our_contact));
        h.push("Call-ID", sub.call_id.clone());
        h.push("CSeq", format!("{} NOTIFY", sub.cseq));
        h.push("Event", sub.pj.event.clone());
        h.push("Subscription-State", state);
        h.push("Allow-Events", "message-summary, presence, dialog, refer");
        h.push("Max-Forwards", "70");
        h.push("User-Agent", Flavor::Pjsip.user_agent());
        h.push("Content-Type", sub.watched.media_type());
        req.body = sub.pj.body.clone().into_bytes();
        Some((req, sub.target))
    }

    /// The oldest ringing channel of a hint's devices, as the dialog-info
    /// generator describes it (`find_ringing_channel`).
    fn ringing_call(&self, hint: &str) -> Option<Ringing> {
        let mut oldest: Option<(Instant, Caller, Connected)> = None;
        for device in devicestate::hint_devices(hint) {
            for chan in self.sys.pbx.channels.by_prefix(&format!("{device}-")) {
                let d = chan.lock();
                if d.state != ChanState::Ringing {
                    continue;
                }
                if oldest.as_ref().is_none_or(|(at, ..)| chan.created_at < *at) {
                    oldest = Some((chan.created_at, d.caller.clone(), d.connected.clone()));
                }
            }
        }
        let (_, caller, connected) = oldest?;
        let restricted = |p: i32| p & PRES_RESTRICTION == PRES_RESTRICTED;
        let name = &connected.id.name;
        let number = &connected.id.number;
        let remote_restricted = restricted(number.presentation);
        Some(Ringing {
            remote_name: match (name.valid, restricted(name.presentation)) {
                (false, _) => String::new(),
                (true, true) => "anonymous".into(),
                (true, false) => name.text.clone().unwrap_or_default(),
            },
            remote_number: match (number.valid, remote_restricted) {
                (false, _) => "invalid".into(),
                (true, true) => "anonymous".into(),
                (true, false) => number.text.clone().unwrap_or_default(),
            },
            remote_restricted,
            local_name: if caller.id.name.valid {
                caller.id.name.text.clone().unwrap_or_default()
            } else {
                String::new()
            },
            local_number: if caller.id.number.valid {
                caller.id.number.text.clone().unwrap_or_default()
            } else {
                "invalid".into()
            },
        })
    }
}

/// A From or To as pjsip prints it: no port in these headers (RFC 3261
/// table 1).
pub(super) fn without_port(party: &crate::sip::headers::NameAddr) -> String {
    let mut p = party.clone();
    p.uri.port = None;
    p.to_string()
}
