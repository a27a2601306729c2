//! Message-waiting indication: which phones hear of which mailboxes, and
//! when. chan_sip tells a peer with `mailbox=` at each registration and
//! each change (`sip_send_mwi_to_peer`), out of any dialog, or inside its
//! message-summary subscription when it has one (`subscribemwi` peers
//! hear only then). res_pjsip_mwi tells an endpoint with `mailboxes=` at
//! every contact of its AORs, out of any dialog, when a contact registers
//! or refreshes and on each change, and serves an AOR's `mailboxes=` to
//! message-summary subscriptions.

use std::net::SocketAddr;
use std::time::Instant;

use super::super::endpoint::Endpoint;
use super::super::mwi::{self, chan_sip_account, chan_sip_from, chan_sip_hostport, uri_host};
use super::super::notify::{self, Content, Notify};
use super::super::registrar;
use super::subscribe::{ChanSipDialog, Watched};
use super::{Flavor, Task, Transport};
use crate::sip::message::{Method, Request};
use crate::sip::transaction::TransactionId;

/// chan_sip's first CSeq of its own requests (`INITIAL_CSEQ`), each
/// request adding one first.
const CHAN_SIP_FIRST_CSEQ: u32 = 102;

/// The counts of some mailboxes, summed: each one's last published
/// state, else what its spool holds (app_voicemail counts a mailbox a
/// driver asks about that was never published). Urgent messages count
/// as new.
pub(super) fn mailbox_counts(sys: &crate::core::System, boxes: &[String]) -> (u32, u32) {
    boxes.iter().fold((0, 0), |(new, old), b| {
        let (n, o) = match sys.pbx.mwi.get(b) {
            Some(st) => (st.new, st.old),
            None => {
                let (urgent, n, o) = crate::apps::voicemail::inboxcount2(&sys.conf.dirs.spool, b);
                (n + urgent, o)
            }
        };
        (new + n, old + o)
    })
}

/// A comma list as res_pjsip splits it: trimmed, empty items dropped.
fn list(text: &str) -> Vec<String> {
    notify::aor_names(text)
}

impl Task {
    /// As the daemon starts, each driver tells the phones it can reach
    /// of their mailboxes: chan_sip hears app_voicemail publish every
    /// mailbox as it loads, res_pjsip_mwi sends to every endpoint's
    /// contacts once fully booted (unless `mwi_disable_initial_unsolicited`).
    pub(super) fn mwi_at_start(&mut self) {
        let loaded = self.sys.loaded();
        let names: Vec<String> = match self.flavor {
            Flavor::ChanSip => loaded
                .sip
                .peers
                .iter()
                .filter(|p| !p.mailboxes.is_empty() && !p.subscribemwi)
                .map(|p| p.name.clone())
                .collect(),
            Flavor::Pjsip => {
                let disabled = loaded
                    .pjsip
                    .global_option("mwi_disable_initial_unsolicited")
                    .is_some_and(crate::config::is_true);
                if disabled {
                    Vec::new()
                } else {
                    loaded
                        .pjsip
                        .endpoints
                        .iter()
                        .filter(|e| !list(&e.mailboxes).is_empty())
                        .map(|e| e.name.clone())
                        .collect()
                }
            }
        };
        drop(loaded);
        for name in names {
            match self.flavor {
                Flavor::ChanSip => self.chan_sip_mwi(&name),
                Flavor::Pjsip => self.pjsip_unsolicited_mwi(&name, None),
            }
        }
    }

    /// A mailbox's state was published: the phones watching it hear.
    pub(super) fn mailbox_changed(&mut self, mailbox: &str) {
        let loaded = self.sys.loaded();
        let watchers: Vec<String> = match self.flavor {
            Flavor::ChanSip => loaded
                .sip
                .peers
                .iter()
                .filter(|p| p.mailboxes.iter().any(|m| m == mailbox))
                .map(|p| p.name.clone())
                .collect(),
            Flavor::Pjsip => loaded
                .pjsip
                .endpoints
                .iter()
                .filter(|e| list(&e.mailboxes).iter().any(|m| m == mailbox))
                .map(|e| e.name.clone())
                .collect(),
        };
        drop(loaded);
        match self.flavor {
            Flavor::ChanSip => {
                for peer in watchers {
                    self.chan_sip_mwi(&peer);
                }
            }
            Flavor::Pjsip => {
                let subscribed: Vec<(String, String)> = self
                    .subs
                    .by_dialog
                    .iter()
                    .filter(|(_, s)| match &s.watched {
                        Watched::Mailboxes { boxes, .. } => boxes.iter().any(|b| b == mailbox),
                        Watched::Hint(_) => false,
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in subscribed {
                    self.send_state(&key, true);
                }
                for endpoint in watchers {
                    self.pjsip_unsolicited_mwi(&endpoint, Some(mailbox));
                }
            }
        }
    }

    /// After a registration: chan_sip tells the peer at once (it finds
    /// no address once it unregistered); pjsip tells the endpoint's
    /// contacts when one of this AOR's was added or refreshed.
    pub(super) fn mwi_after_register(
        &mut self,
        ep: &Endpoint,
        aor: &str,
        changes: &registrar::Changes,
    ) {
        match self.flavor {
            Flavor::ChanSip => self.chan_sip_mwi(&ep.name),
            Flavor::Pjsip => {
                if changes.touched.is_empty() {
                    return;
                }
                let loaded = self.sys.loaded();
                // res_pjsip_mwi matches the AOR in the endpoint's `aors`
                // as text (`strstr`).
                let tells = loaded
                    .pjsip
                    .endpoint(&ep.name)
                    .is_some_and(|e| !list(&e.mailboxes).is_empty() && e.aors.contains(aor));
                drop(loaded);
                if tells {
                    self.pjsip_unsolicited_mwi(&ep.name, None);
                }
            }
        }
    }

    /// `sip_send_mwi_to_peer`: a peer with mailboxes and an address hears
    /// their summed counts, inside its message-summary subscription if it
    /// has one, else (unless `subscribemwi`) in a dialog of its own.
    pub(super) fn chan_sip_mwi(&mut self, peer: &str) {
        let Some((mailboxes, subscribemwi)) = self
            .sys
            .loaded()
            .sip
            .peer(peer)
            .map(|p| (p.mailboxes.clone(), p.subscribemwi))
        else {
            return;
        };
        if mailboxes.is_empty() {
            return;
        }
        let subscription = self
            .subs
            .by_dialog
            .iter()
            .find(|(_, s)| s.endpoint == peer && matches!(s.watched, Watched::Mailboxes { .. }))
            .map(|(k, _)| k.clone());
        if subscribemwi && subscription.is_none() {
            self.set_last_msgs_sent(peer, -1);
            return;
        }
        // No address (not registered, no host): nothing to send to.
        let Some((target, transport, uri)) = notify::chan_sip_target(&self.sys, peer) else {
            self.set_last_msgs_sent(peer, -1);
            return;
        };
        let (new, old) = mailbox_counts(&self.sys, &mailboxes);
        // `update_peer_lastmsgssent`: both counts in one int, capped.
        let packed = (new.min(0x7fff) << 16) | old.min(0xffff);
        self.set_last_msgs_sent(peer, i32::try_from(packed).unwrap_or(-1));
        if let Some(key) = subscription {
            self.send_state(&key, true);
            return;
        }
        let tag = self.flavor.new_tag();
        let call_id = self.flavor.new_call_id(self.local);
        let req = self.chan_sip_mwi_request(
            ChanSipMwi {
                peer,
                uri: &uri,
                to: format!("<{uri}>"),
                route: None,
                tag: &tag,
                call_id: &call_id,
                cseq: CHAN_SIP_FIRST_CSEQ,
                state: None,
                new,
                old,
            },
            transport,
        );
        let Some((req, _)) = req else {
            return;
        };
        if let Err(e) = self.tx.send_request(Instant::now(), req, target, transport) {
            tracing::warn!("NOTIFY to {target} not sent: {e}");
        }
    }

    fn set_last_msgs_sent(&self, peer: &str, value: i32) {
        crate::core::lock(&self.last_msgs_sent).insert(peer.to_string(), value);
    }

    /// chan_sip's message-waiting NOTIFY (`initreqprep` and
    /// `transmit_notify_with_mwi`), and the Contact user it leaves the
    /// dialog with.
    fn chan_sip_mwi_request(
        &self,
        n: ChanSipMwi<'_>,
        transport: Transport,
    ) -> Option<(Request, String)> {
        let uri = crate::sip::Uri::parse(n.uri).ok()?;
        let loaded = self.sys.loaded();
        let g = &loaded.sip.general;
        let cfg = loaded.sip.peer(n.peer)?;
        let local = self.local_on(transport);
        let domain = if cfg.fromdomain.is_empty() {
            uri_host(local)
        } else {
            cfg.fromdomain.clone()
        };
        let port = if cfg.fromdomainport != 0 && cfg.fromdomainport != 5060 {
            cfg.fromdomainport
        } else {
            local.port()
        };
        let hostport = chan_sip_hostport(&domain, port, transport);
        let mwi_from = if cfg.settings.mwi_from.is_empty() {
            g.peer.mwi_from.as_str()
        } else {
            cfg.settings.mwi_from.as_str()
        };
        let from = chan_sip_from(mwi_from, &g.settings.callerid, &cfg.fromuser, "", &hostport);
        // `initreqprep` leaves the From user as the dialog's extension,
        // which its Contact names.
        let user = if !cfg.fromuser.is_empty() {
            cfg.fromuser.clone()
        } else if !mwi_from.is_empty() {
            mwi_from.to_string()
        } else {
            g.settings.callerid.clone()
        };
        let exten = if cfg.settings.vmexten.is_empty() {
            g.peer.vmexten.clone()
        } else {
            cfg.settings.vmexten.clone()
        };
        let account = chan_sip_account(&exten, &hostport, transport);
        let body = mwi::body(n.new, n.old, Some(&account), !cfg.settings.buggymwi);
        let contact = format!("sip:{user}@{}:{}", uri_host(local), local.port());
        drop(loaded);
        let via = self.chan_sip_via(transport);
        let mut req = Request::new(Method::Notify, uri);
        let h = &mut req.headers;
        h.push("Via", via.to_string());
        h.push("Max-Forwards", "70");
        if let Some(route) = n.route {
            h.push("Route", format!("<{route}>"));
        }
        h.push("From", format!("{from};tag={}", n.tag));
        h.push("To", n.to);
        h.push("Contact", format!("<{contact}>"));
        h.push("Call-ID", n.call_id.to_string());
        h.push("CSeq", format!("{} NOTIFY", n.cseq));
        h.push("User-Agent", self.flavor.user_agent());
        h.push("Event", mwi::EVENT);
        h.push("Content-Type", mwi::MEDIA_TYPE);
        if let Some(state) = n.state {
            h.push("Subscription-State", state);
        }
        req.body = body.into_bytes();
        Some((req, contact))
    }

    /// A subscription's NOTIFY of its mailboxes now, in the driver's form.
    pub(super) fn mwi_subscription_notify(
        &mut self,
        key: &(String, String),
        transport: Transport,
    ) -> Option<(Request, SocketAddr)> {
        let sub = self.subs.by_dialog.get(key)?;
        let their_tag = crate::sip::headers::NameAddr::parse("From", &sub.their_from)
            .ok()
            .and_then(|f| f.tag().map(str::to_string))
            .unwrap_or_default();
        let (new, old) = match &sub.watched {
            Watched::Mailboxes { boxes, .. } => mailbox_counts(&self.sys, boxes),
            Watched::Hint(_) => return None,
        };
        let (req, contact) = self.chan_sip_mwi_request(
            ChanSipMwi {
                peer: &sub.endpoint,
                uri: &sub.contact,
                to: format!("<{}>;tag={their_tag}", sub.contact),
                route: Some(&sub.contact),
                tag: &sub.local_tag,
                call_id: &sub.call_id,
                cseq: sub.cseq + 1,
                state: Some(if sub.expiry > 0 {
                    "active"
                } else {
                    "terminated;reason=timeout"
                }),
                new,
                old,
            },
            transport,
        )?;
        let sub = self.subs.by_dialog.get_mut(key)?;
        sub.cseq += 1;
        sub.our_contact = contact;
        Some((req, sub.target))
    }

    /// res_pjsip_mwi's unsolicited NOTIFY: the endpoint's mailboxes
    /// (summed with `aggregate_mwi`, else one NOTIFY each; `only` the one
    /// that changed) to every contact of its AORs. A mailbox one of the
    /// endpoint's subscriptions already watches is left to it.
    pub(super) fn pjsip_unsolicited_mwi(&mut self, endpoint: &str, only: Option<&str>) {
        let loaded = self.sys.loaded();
        let Some(ep) = loaded.pjsip.endpoint(endpoint) else {
            return;
        };
        let subscribed: Vec<String> = self
            .subs
            .by_dialog
            .values()
            .filter(|s| s.endpoint == endpoint)
            .filter_map(|s| match &s.watched {
                Watched::Mailboxes { boxes, .. } => Some(boxes.clone()),
                Watched::Hint(_) => None,
            })
            .flatten()
            .collect();
        let boxes: Vec<String> = list(&ep.mailboxes)
            .into_iter()
            .filter(|b| !subscribed.contains(b))
            .collect();
        let groups: Vec<Vec<String>> = if ep.aggregate_mwi {
            if only.is_some_and(|m| !boxes.iter().any(|b| b == m)) || boxes.is_empty() {
                return;
            }
            vec![boxes]
        } else {
            boxes
                .into_iter()
                .filter(|b| only.is_none_or(|m| m == b))
                .map(|b| vec![b])
                .collect()
        };
        let exten = if ep.voicemail_extension.is_empty() {
            loaded
                .pjsip
                .global_option("default_voicemail_extension")
                .unwrap_or("")
                .to_string()
        } else {
            ep.voicemail_extension.clone()
        };
        let from_user = ep.mwi_from_user.clone();
        let aors = list(&ep.aors);
        let logger = &self.sys.pbx.logger;
        if aors.is_empty() {
            logger.warning(
                crate::site!("res_pjsip_mwi.c", 504, "send_unsolicited_mwi_notify"),
                None,
                &format!(
                    "Unable to send unsolicited MWI to {endpoint} because the endpoint has no configured AORs"
                ),
            );
            return;
        }
        for aor in aors.iter().filter(|a| loaded.pjsip.aor(a).is_none()) {
            logger.warning(
                crate::site!("res_pjsip_mwi.c", 524, "send_unsolicited_mwi_notify"),
                None,
                &format!("Unable to locate AOR {aor} for unsolicited MWI"),
            );
        }
        drop(loaded);
        let targets: Vec<(SocketAddr, Transport, String)> = aors
            .iter()
            .flat_map(|aor| notify::pjsip_targets_of_aor(&self.sys, aor))
            .collect();
        for group in groups {
            let (new, old) = mailbox_counts(&self.sys, &group);
            for (target, transport, uri) in &targets {
                let local = self.local_on(*transport);
                let account = (!exten.is_empty())
                    .then(|| format!("sip:{exten}@{}:{}", uri_host(local), local.port()));
                self.send_notify(Notify {
                    target: *target,
                    transport: *transport,
                    uri: uri.clone(),
                    content: Content {
                        headers: vec![
                            ("Event".into(), mwi::EVENT.into()),
                            (
                                "Allow-Events".into(),
                                "message-summary, presence, dialog, refer".into(),
                            ),
                        ],
                        content_type: Some(mwi::MEDIA_TYPE.into()),
                        body: Some(mwi::body(new, old, account.as_deref(), true)),
                    },
                    from_user: (!from_user.is_empty()).then(|| from_user.clone()),
                });
            }
        }
    }

    /// chan_sip's answer to a message-summary SUBSCRIBE from `peer`: a
    /// format other than the summary is refused (406), a peer without a
    /// mailbox told so (404); else the subscription replaces the peer's
    /// last one and its first NOTIFY follows. (chan_sip sends that NOTIFY
    /// only when the peer has an address; we send it regardless.)
    pub(super) fn chan_sip_mailbox_subscription(
        &mut self,
        id: TransactionId,
        req: &Request,
        from: SocketAddr,
        peer: &str,
        spent_nonce: String,
    ) {
        let mut accepts = req.headers.get_all("Accept").peekable();
        if accepts.peek().is_some() && !accepts.any(|a| a == mwi::MEDIA_TYPE) {
            self.reply(id, req, 406, "Not Acceptable", None);
            return;
        }
        let boxes = match self.sys.loaded().sip.peer(peer) {
            Some(p) => p.mailboxes.clone(),
            None => Vec::new(),
        };
        if boxes.is_empty() {
            self.reply(id, req, 404, "Not found (no mailbox)", None);
            self.sys.pbx.logger.notice(
                crate::site!("chan_sip.c", 28849, "handle_request_subscribe"),
                None,
                &format!("Received SIP subscribe for peer without mailbox: {peer}"),
            );
            return;
        }
        let exten = req.uri.user.clone().unwrap_or_default();
        let context = self.sys.loaded().sip.general.peer.context.clone();
        let Some(expiry) = self.subscription_expiry(id, req, &exten, &context) else {
            return;
        };
        // One message-summary subscription per peer.
        let older: Vec<(String, String)> = self
            .subs
            .by_dialog
            .iter()
            .filter(|(_, s)| s.endpoint == peer && matches!(s.watched, Watched::Mailboxes { .. }))
            .map(|(k, _)| k.clone())
            .collect();
        for key in older {
            self.forget_subscription(&key);
        }
        self.start_chan_sip_subscription(
            id,
            req,
            from,
            ChanSipDialog {
                exten,
                context,
                watched: Watched::Mailboxes {
                    boxes,
                    account: None,
                },
                endpoint: peer.to_string(),
                spent_nonce,
                expiry,
                laststate: crate::core::devicestate::ExtensionState::Idle,
            },
        );
    }

    /// res_pjsip_mwi's side of a new message-summary SUBSCRIBE
    /// (`mwi_new_subscribe`): the mailboxes of the AOR the request names
    /// (by name, or by an endpoint AOR's `voicemail_extension`), or of
    /// all the endpoint's AORs when it names none, with the
    /// Message-Account its NOTIFYs carry. Err: the status to refuse with.
    pub(super) fn pjsip_mailbox_resource(
        &self,
        endpoint: &str,
        req: &Request,
    ) -> Result<Watched, u16> {
        let loaded = self.sys.loaded();
        let pj = &loaded.pjsip;
        let ep = pj.endpoint(endpoint).ok_or(404u16)?;
        let resource = req.uri.user.clone().unwrap_or_default();
        let own_aors = list(&ep.aors);
        let aors: Vec<&crate::config::views::pjsip::Aor> = if resource.is_empty() {
            own_aors.iter().filter_map(|a| pj.aor(a)).collect()
        } else {
            let found = pj.aor(&resource).or_else(|| {
                own_aors.iter().filter_map(|a| pj.aor(a)).find(|a| {
                    !a.voicemail_extension.is_empty()
                        && a.voicemail_extension.eq_ignore_ascii_case(&resource)
                })
            });
            match found {
                Some(a) if !list(&a.mailboxes).is_empty() => vec![a],
                _ => return Err(404),
            }
        };
        let boxes: Vec<String> = aors.iter().flat_map(|a| list(&a.mailboxes)).collect();
        // A mailbox the endpoint is already told of unasked may only be
        // subscribed to when the subscription is to replace that.
        let unsolicited = list(&ep.mailboxes);
        if !ep.mwi_subscribe_replaces_unsolicited && boxes.iter().any(|b| unsolicited.contains(b)) {
            return Err(500);
        }
        let exten = match aors.first() {
            Some(a) if !resource.is_empty() && !a.voicemail_extension.is_empty() => {
                a.voicemail_extension.clone()
            }
            _ => pj
                .global_option("default_voicemail_extension")
                .unwrap_or("")
                .to_string(),
        };
        let account = (!exten.is_empty()).then(|| {
            let mut uri = req.uri.clone();
            uri.user = Some(exten);
            uri.to_string()
        });
        Ok(Watched::Mailboxes { boxes, account })
    }
}

/// What one chan_sip MWI NOTIFY says and where it belongs.
struct ChanSipMwi<'a> {
    peer: &'a str,
    /// Its Request-URI.
    uri: &'a str,
    to: String,
    route: Option<&'a str>,
    tag: &'a str,
    call_id: &'a str,
    cseq: u32,
    /// `Subscription-State`, inside a subscription.
    state: Option<&'a str>,
    new: u32,
    old: u32,
}
