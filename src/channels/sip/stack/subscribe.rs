//! SUBSCRIBE/NOTIFY for extension state (BLF and presence): a
//! subscription is a dialog of its own and watched hints turn into
//! NOTIFYs. chan_sip sends one at a time per dialog, the latest state
//! queued behind an unanswered one (`handle_request_subscribe`,
//! `extensionstate_update`, `transmit_state_notify`; bodies in
//! [`super::super::subscribe`]); pjsip (res_pjsip_pubsub with
//! res_pjsip_exten_state, `pubsub.rs`) sends each at once and repeats
//! its last body when a refresh or the end needs a NOTIFY (bodies in
//! [`super::super::presence_xml`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::super::subscribe::{self, Accepted, Format, Notice};
use super::{Flavor, Refusal, SubscriptionRow, Task, Transport, random_u64, transport_of};
use crate::config::views::sip::NotifyCid;
use crate::core::devicestate::{self, DeviceState, ExtensionState, HintChange, HintEnd};
use crate::core::lock;
use crate::sip::auth::{DigestCredentials, Verdict, verify};
use crate::sip::message::{Method, Request};
use crate::sip::transaction::{Event, TransactionId};

/// chan_sip's first CSeq of its own requests in a dialog (`INITIAL_CSEQ`
/// is 101; each request adds one first).
const INITIAL_CSEQ: u32 = 101;

/// How long a subscription outlives its expiry before it is dropped
/// (`sip_scheddestroy(p, (expiry + 10) * 1000)`).
const EXPIRY_GRACE: Duration = Duration::from_secs(10);

/// What a new chan_sip subscription dialog watches, for whom, and for
/// how long.
pub(super) struct ChanSipDialog {
    pub(super) exten: String,
    pub(super) context: String,
    pub(super) watched: Watched,
    pub(super) endpoint: String,
    pub(super) spent_nonce: String,
    pub(super) expiry: u32,
    pub(super) laststate: ExtensionState,
}

/// One accepted subscription to an extension's state.
pub(super) struct Subscription {
    pub(super) call_id: String,
    pub(super) local_tag: String,
    /// The SUBSCRIBE's From (with the subscriber's tag) and To, as
    /// written: the NOTIFY's To and From.
    pub(super) their_from: String,
    pub(super) their_to: String,
    /// Where NOTIFYs go: the subscriber's Contact, sent to the address
    /// the SUBSCRIBE came from.
    pub(super) contact: String,
    pub(super) target: SocketAddr,
    pub(super) transport: Transport,
    /// Our Contact in the dialog.
    pub(super) our_contact: String,
    pub(super) context: String,
    pub(super) exten: String,
    pub(super) watched: Watched,
    pub(super) endpoint: String,
    /// The nonce that proved the last SUBSCRIBE: chan_sip takes a nonce
    /// once, a refresh with it is challenged again as stale.
    pub(super) spent_nonce: String,
    pub(super) expires_at: Instant,
    pub(super) expiry: u32,
    /// `dialogver`: one more for every NOTIFY (pjsip: every body).
    pub(super) version: u32,
    pub(super) cseq: u32,
    pub(super) laststate: ExtensionState,
    /// When the change behind `laststate` happened (see [`HintChange::at`]).
    pub(super) changed_at: Option<Instant>,
    /// The NOTIFY not answered yet (`pendinginvite`), and whether a state
    /// change waits behind it (chan_sip).
    pub(super) pending: Option<TransactionId>,
    pub(super) queued: bool,
    /// Its row in the listings.
    pub(super) row: u64,
    /// chan_sip: the watched hint went away; nothing more is sent and the
    /// dialog lingers until it lapses (`p->subscribed = NONE`).
    pub(super) hint_gone: bool,
    /// pjsip's view of the dialog: the event package subscribed to, the
    /// watched resource's URI, the subscriber's (as a From prints it)
    /// and the local host, and the last body sent.
    pub(super) pj: PjState,
}

/// What a subscription watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Watched {
    /// An extension's hint, told in a body format.
    Hint(Format),
    /// Mailboxes (`box@context`), told as message summaries, with the
    /// Message-Account pjsip names in them (chan_sip works its own out
    /// at each NOTIFY).
    Mailboxes {
        boxes: Vec<String>,
        account: Option<String>,
    },
}

impl Watched {
    /// The event package it is told in.
    pub(super) fn event(&self) -> &'static str {
        match self {
            Watched::Hint(f) => f.event(),
            Watched::Mailboxes { .. } => super::super::mwi::EVENT,
        }
    }

    pub(super) fn media_type(&self) -> &'static str {
        match self {
            Watched::Hint(f) => f.media_type(),
            Watched::Mailboxes { .. } => super::super::mwi::MEDIA_TYPE,
        }
    }

    /// The hint's body format, for a hint.
    pub(super) fn format(&self) -> Option<Format> {
        match self {
            Watched::Hint(f) => Some(*f),
            Watched::Mailboxes { .. } => None,
        }
    }
}

#[derive(Default)]
pub(super) struct PjState {
    pub(super) event: String,
    pub(super) local_uri: String,
    pub(super) remote_uri: String,
    pub(super) domain: String,
    pub(super) early_inuse_ringing: bool,
    pub(super) body: String,
}

/// The subscriptions of a task, by dialog and by pending NOTIFY, and the
/// rows the CLI and the manager list (in the order they came).
pub(super) struct Subscriptions {
    pub(super) by_dialog: std::collections::HashMap<(String, String), Subscription>,
    by_tx: std::collections::HashMap<TransactionId, (String, String)>,
    rows: Arc<Mutex<BTreeMap<u64, SubscriptionRow>>>,
    next_row: u64,
}

impl Subscriptions {
    pub(super) fn new(rows: Arc<Mutex<BTreeMap<u64, SubscriptionRow>>>) -> Subscriptions {
        Subscriptions {
            by_dialog: Default::default(),
            by_tx: Default::default(),
            rows,
            next_row: 0,
        }
    }

    /// A new subscription, listed from now on.
    pub(super) fn insert(&mut self, key: (String, String), mut sub: Subscription) {
        self.next_row += 1;
        sub.row = self.next_row;
        lock(&self.rows).insert(
            sub.row,
            SubscriptionRow {
                endpoint: sub.endpoint.clone(),
                call_id: sub.call_id.clone(),
                context: sub.context.clone(),
                exten: sub.exten.clone(),
                event: match sub.pj.event.split(';').next() {
                    Some(e) if !e.is_empty() => e.trim().to_string(),
                    _ => sub.watched.event().to_string(),
                },
                expires_at: sub.expires_at,
                last_change: None,
                mailboxes: match &sub.watched {
                    Watched::Mailboxes { boxes, .. } => Some(boxes.join(",")),
                    Watched::Hint(_) => None,
                },
            },
        );
        self.by_dialog.insert(key, sub);
    }

    fn remove(&mut self, key: &(String, String)) -> Option<Subscription> {
        let sub = self.by_dialog.remove(key)?;
        lock(&self.rows).remove(&sub.row);
        Some(sub)
    }

    /// A refresh moved the subscription's end.
    pub(super) fn refreshed(&self, row: u64, expires_at: Instant) {
        if let Some(r) = lock(&self.rows).get_mut(&row) {
            r.expires_at = expires_at;
        }
    }

    /// A change of the watched hint reached the subscription.
    fn changed(&self, row: u64, state: ExtensionState) {
        if let Some(r) = lock(&self.rows).get_mut(&row) {
            r.last_change = Some(state);
        }
    }
}

impl Task {
    /// Every SUBSCRIBE, in a dialog or not.
    pub(super) fn subscribe(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        let call_id = req.headers.call_id().unwrap_or_default().to_string();
        let to_tag = req
            .headers
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_string));
        match to_tag {
            Some(tag) => {
                let key = (call_id, tag);
                if self.subs.by_dialog.contains_key(&key) {
                    self.resubscribe(id, &req, key);
                } else {
                    // A refresh of a subscription we no longer know.
                    self.reply(id, &req, 481, "Subscription does not exist", None);
                }
            }
            None => match self.flavor {
                Flavor::ChanSip => self.new_subscription(id, &req, from),
                Flavor::Pjsip => self.new_pjsip_subscription(id, &req, from, call_id),
            },
        }
    }

    /// A response with the driver's own reason phrase.
    pub(super) fn reply(
        &mut self,
        id: TransactionId,
        req: &Request,
        status: u16,
        reason: &str,
        tag: Option<&str>,
    ) {
        let tag = tag
            .map(str::to_string)
            .unwrap_or_else(|| self.flavor.new_tag());
        let mut r = self.flavor.response(req, status, Some(&tag), None);
        r.reason = reason.to_string();
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    fn new_subscription(&mut self, id: TransactionId, req: &Request, from: SocketAddr) {
        let loaded = self.sys.loaded();
        let sip = &loaded.sip;
        let anyone_may =
            sip.general.peer.allowsubscribe || sip.peers.iter().any(|p| p.settings.allowsubscribe);
        drop(loaded);
        if !anyone_may {
            self.reply(id, req, 403, "Forbidden (policy)", None);
            return;
        }
        let event = req.headers.get("Event").unwrap_or_default().to_string();
        let package = event.split(';').next().unwrap_or("").trim().to_string();
        if package.is_empty() {
            self.reply(id, req, 489, "Bad Event", None);
            return;
        }
        let Some(ep) = self.admit(id, req, from) else {
            return;
        };
        let spent_nonce = DigestCredentials::from_headers(&req.headers, false)
            .map(|c| c.nonce)
            .unwrap_or_default();
        let loaded = self.sys.loaded();
        let peer = loaded.sip.peer(&ep.name).map(|p| p.settings.clone());
        drop(loaded);
        if !peer.as_ref().is_none_or(|p| p.allowsubscribe) {
            self.reply(id, req, 403, "Forbidden (policy)", None);
            return;
        }
        match package.as_str() {
            "presence" | "dialog" => {}
            "message-summary" => {
                self.chan_sip_mailbox_subscription(id, req, from, &ep.name, spent_nonce);
                return;
            }
            _ => {
                self.reply(id, req, 489, "Bad Event", None);
                return;
            }
        }
        let context = peer
            .as_ref()
            .map(|p| p.subscribecontext.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| ep.context.clone());
        let exten = req.uri.user.clone().unwrap_or_else(|| "s".into());
        let Some(hint) = devicestate::hint_of(&self.sys, &context, &exten) else {
            self.reply(id, req, 404, "Not Found", None);
            return;
        };
        let accepts: Vec<&str> = req.headers.get_all("Accept").collect();
        let user_agent = req.headers.get("User-Agent").unwrap_or_default();
        let format = match subscribe::choose(&accepts, user_agent) {
            Accepted::Format(f) => f,
            Accepted::Missing => {
                self.reply(id, req, 489, "Bad Event", None);
                self.sys.pbx.logger.warning(
                    crate::site!("chan_sip.c", 28771, "handle_request_subscribe"),
                    None,
                    &format!(
                        "SUBSCRIBE failure: no Accept header: pvt: stateid: -1, laststate: 0, dialogver: 0, subscribecont: '{}', subscribeuri: ''",
                        peer.as_ref().map(|p| p.subscribecontext.as_str()).unwrap_or("")
                    ),
                );
                return;
            }
            Accepted::Unknown(u) => {
                self.reply(id, req, 489, &format!("Bad Event (format {u})"), None);
                self.sys.pbx.logger.warning(
                    crate::site!("chan_sip.c", 28797, "handle_request_subscribe"),
                    None,
                    &format!(
                        "SUBSCRIBE failure: unrecognized format:'{u}' pvt: subscribed: 0, stateid: -1, laststate: 0,dialogver: 0, subscribecont: '{}', subscribeuri: ''",
                        peer.as_ref().map(|p| p.subscribecontext.as_str()).unwrap_or("")
                    ),
                );
                return;
            }
        };
        let Some(expiry) = self.subscription_expiry(id, req, &exten, &context) else {
            return;
        };
        let laststate = devicestate::extension_state(&self.sys, &hint);
        self.start_chan_sip_subscription(
            id,
            req,
            from,
            ChanSipDialog {
                exten,
                context,
                watched: Watched::Hint(format),
                endpoint: ep.name.clone(),
                spent_nonce,
                expiry,
                laststate,
            },
        );
    }

    /// A chan_sip subscription dialog for an accepted SUBSCRIBE: listed,
    /// answered, and its first NOTIFY sent.
    pub(super) fn start_chan_sip_subscription(
        &mut self,
        id: TransactionId,
        req: &Request,
        from: SocketAddr,
        d: ChanSipDialog,
    ) {
        let call_id = req.headers.call_id().unwrap_or_default().to_string();
        let local_tag = self.flavor.new_tag();
        let transport = transport_of(req);
        let local = self.local_on(transport);
        let sub = Subscription {
            call_id,
            local_tag,
            their_from: req.headers.get("From").unwrap_or_default().to_string(),
            their_to: req.headers.get("To").unwrap_or_default().to_string(),
            contact: req
                .headers
                .get("Contact")
                .map(|c| subscribe::bare_uri(c).to_string())
                .unwrap_or_default(),
            target: from,
            transport,
            our_contact: format!("sip:{}@{local}", d.exten),
            context: d.context,
            exten: d.exten,
            watched: d.watched,
            endpoint: d.endpoint,
            spent_nonce: d.spent_nonce,
            expires_at: Instant::now() + Duration::from_secs(u64::from(d.expiry)),
            expiry: d.expiry,
            version: 0,
            cseq: INITIAL_CSEQ,
            laststate: d.laststate,
            changed_at: None,
            pending: None,
            queued: false,
            row: 0,
            hint_gone: false,
            pj: PjState::default(),
        };
        self.begin_subscription(id, req, sub);
    }

    /// A new subscription: listed, its SUBSCRIBE answered, and its first
    /// NOTIFY sent.
    pub(super) fn begin_subscription(
        &mut self,
        id: TransactionId,
        req: &Request,
        sub: Subscription,
    ) {
        let key = (sub.call_id.clone(), sub.local_tag.clone());
        self.subs.insert(key.clone(), sub);
        self.accept_subscription(id, req, &key, true);
    }

    /// The SUBSCRIBE's Expires within `subminexpiry`/`submaxexpiry`
    /// (`defaultexpiry` without one); too short a one is refused with 423.
    pub(super) fn subscription_expiry(
        &mut self,
        id: TransactionId,
        req: &Request,
        exten: &str,
        context: &str,
    ) -> Option<u32> {
        let loaded = self.sys.loaded();
        let g = &loaded.sip.general;
        let (min, max) = (g.settings.minsubexpiry, g.settings.maxsubexpiry);
        let default = i64::from(g.defaultexpiry);
        drop(loaded);
        let asked = match req.headers.get("Expires") {
            Some(v) if !v.trim().is_empty() => crate::config::views::values::atoi(v),
            _ => default,
        };
        if asked > max {
            return u32::try_from(max.max(0)).ok();
        }
        if asked < min && asked > 0 {
            let mut r = self
                .flavor
                .response(req, 423, Some(&self.flavor.new_tag()), None);
            r.reason = self.flavor.reason(423).to_string();
            r.headers.push("Min-Expires", min.to_string());
            let _ = self.tx.send_response(Instant::now(), id, r);
            self.sys.pbx.logger.warning(
                crate::site!("chan_sip.c", 28910, "handle_request_subscribe"),
                None,
                &format!(
                    "Received subscription for extension \"{exten}\" context \"{context}\" with Expire header less than 'subminexpire' limit. Received \"Expire: {asked}\" min is {min}"
                ),
            );
            return None;
        }
        u32::try_from(asked.max(0)).ok()
    }

    /// The 200 to a SUBSCRIBE (its Expires, and our Contact), then the
    /// NOTIFY RFC 6665 asks for after every accepted SUBSCRIBE; with
    /// Expires: 0 that NOTIFY is the last. `fresh`: the NOTIFY tells the
    /// state now (pjsip repeats its last body for a refresh).
    pub(super) fn accept_subscription(
        &mut self,
        id: TransactionId,
        req: &Request,
        key: &(String, String),
        fresh: bool,
    ) {
        let Some(sub) = self.subs.by_dialog.get(key) else {
            return;
        };
        let mut r = self.flavor.response(req, 200, Some(&sub.local_tag), None);
        match self.flavor {
            Flavor::ChanSip => {
                r.headers.push("Expires", sub.expiry.to_string());
                // chan_sip names the subscription's end in its Contact
                // while it lasts.
                if sub.expiry > 0 {
                    r.headers.push(
                        "Contact",
                        format!("<{}>;expires={}", sub.our_contact, sub.expiry),
                    );
                }
            }
            Flavor::Pjsip => {
                // The dialog layer's 200: Expires, Contact, Allow and
                // Supported before the Server.
                r.headers.remove("Server");
                r.headers.push("Expires", sub.expiry.to_string());
                r.headers.push("Contact", format!("<{}>", sub.our_contact));
                r.headers.push("Allow", super::style::PJSIP_ALLOW);
                r.headers.push("Supported", super::style::PJSIP_SUPPORTED);
                r.headers.push("Server", self.flavor.user_agent());
            }
        }
        let ended = sub.expiry == 0;
        let _ = self.tx.send_response(Instant::now(), id, r);
        self.send_state(key, fresh);
        if ended {
            self.forget_subscription(key);
        }
    }

    /// A refresh (or, with Expires: 0, the end) of a subscription:
    /// chan_sip has it proved again with a fresh nonce; pjsip's dialog
    /// layer takes it as it comes.
    fn resubscribe(&mut self, id: TransactionId, req: &Request, key: (String, String)) {
        if self.flavor == Flavor::Pjsip {
            self.pjsip_resubscribe(id, req, &key);
            return;
        }
        let Some(sub) = self.subs.by_dialog.get(&key) else {
            return;
        };
        let endpoint = sub.endpoint.clone();
        let spent = sub.spent_nonce.clone();
        let (exten, context) = (sub.exten.clone(), sub.context.clone());
        let tag = key.1.clone();
        let realm = self.sys.loaded().sip.general.realm.clone();
        let creds = self
            .endpoints()
            .iter()
            .find(|e| e.name == endpoint)
            .and_then(|e| e.auth.clone());
        if let Some(creds) = creds {
            let given = DigestCredentials::from_headers(&req.headers, false).ok();
            let refusal = match &given {
                None => Some(Refusal::Challenge { stale: false }),
                Some(g) if g.nonce == spent => {
                    // A correct answer to a spent nonce is stale.
                    let good = verify(
                        g,
                        &req.method,
                        &creds.username,
                        &creds.realm,
                        creds.secret(),
                        &self.nonces,
                        Instant::now(),
                    ) == Verdict::Accepted;
                    Some(Refusal::Challenge { stale: good })
                }
                Some(_) => self.authenticate(req, &creds).err(),
            };
            if let Some(refusal) = refusal {
                // A challenge inside the dialog keeps the dialog's tag.
                let _ = self.refuse_tagged(id, req, refusal, &realm, Some(&tag));
                return;
            }
            if let (Some(g), Some(sub)) = (given, self.subs.by_dialog.get_mut(&key)) {
                sub.spent_nonce = g.nonce;
            }
        }
        let Some(expiry) = self.subscription_expiry(id, req, &exten, &context) else {
            return;
        };
        let laststate = devicestate::hint_of(&self.sys, &context, &exten)
            .map(|hint| devicestate::extension_state(&self.sys, &hint));
        let Some(sub) = self.subs.by_dialog.get_mut(&key) else {
            return;
        };
        sub.expiry = expiry;
        sub.expires_at = Instant::now() + Duration::from_secs(u64::from(expiry));
        if let Some(state) = laststate {
            sub.laststate = state;
        }
        let (row, expires_at) = (sub.row, sub.expires_at);
        self.subs.refreshed(row, expires_at);
        self.accept_subscription(id, req, &key, true);
    }

    /// A hint changed: every subscription to it hears (or queues) the new
    /// state, as `extensionstate_update` does for a callback.
    pub(super) fn hint_changed(&mut self, change: HintChange) {
        let keys: Vec<(String, String)> = self
            .subs
            .by_dialog
            .iter()
            .filter(|(_, s)| {
                matches!(s.watched, Watched::Hint(_))
                    && !s.hint_gone
                    && s.context == change.context
                    && s.exten == change.exten
            })
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(end) = change.end {
            for key in keys {
                self.hint_went(&key, &change, end);
            }
            return;
        }
        for key in keys {
            let Some(sub) = self.subs.by_dialog.get_mut(&key) else {
                continue;
            };
            // An unchanged state goes out again only while ringing (a
            // new caller may be the one ringing).
            let ringing = matches!(
                change.state,
                ExtensionState::Ringing | ExtensionState::InUseRinging
            );
            if sub.laststate == change.state && !ringing {
                continue;
            }
            sub.laststate = change.state;
            sub.changed_at = Some(change.at);
            let row = sub.row;
            let queued = sub.pending.is_some() && self.flavor == Flavor::ChanSip;
            if queued {
                sub.queued = true;
            }
            self.subs.changed(row, change.state);
            if self.flavor == Flavor::Pjsip {
                // res_pjsip_exten_state sends every change at once.
                self.send_state(&key, true);
                continue;
            }
            self.sys.pbx.logger.verbose(
                2,
                crate::site!("chan_sip.c", 17710, "extensionstate_update"),
                None,
                &format!(
                    "Extension Changed {}[{}] new state {} for Notify User  {}",
                    change.exten,
                    change.context,
                    change.state.as_str(),
                    if queued { "(queued)" } else { "" }
                ),
            );
            if !queued {
                self.send_state(&key, true);
            }
        }
    }

    /// The watched hint went away (`extensionstate_update` with
    /// `AST_EXTENSION_DEACTIVATED` or `_REMOVED`): chan_sip says so in
    /// its log and sends nothing, the dialog lingering 32 s; pjsip's
    /// exten_state says so and ends the subscription with a NOTIFY of
    /// the default state's body, `terminated`.
    fn hint_went(&mut self, key: &(String, String), change: &HintChange, end: HintEnd) {
        let logger = &self.sys.pbx.logger;
        match self.flavor {
            Flavor::ChanSip => {
                logger.verbose(
                    2,
                    crate::site!("chan_sip.c", 17648, "extensionstate_update"),
                    None,
                    &format!(
                        "Extension state: Watcher for hint {} {}. Notify User ",
                        change.exten,
                        end.as_str()
                    ),
                );
                logger.verbose(
                    2,
                    crate::site!("chan_sip.c", 17710, "extensionstate_update"),
                    None,
                    &format!(
                        "Extension Changed {}[{}] new state Unknown for Notify User  ",
                        change.exten, change.context
                    ),
                );
                if let Some(sub) = self.subs.by_dialog.get_mut(key) {
                    sub.hint_gone = true;
                    // `sip_scheddestroy(p, DEFAULT_TRANS_TIMEOUT)`: gone
                    // 32 s from now, the expiry grace included.
                    let gone_at = Instant::now() + Duration::from_secs(32);
                    sub.expires_at = gone_at.checked_sub(EXPIRY_GRACE).unwrap_or(gone_at);
                }
            }
            Flavor::Pjsip => {
                logger.verbose(
                    2,
                    crate::site!("res_pjsip_exten_state.c", 283, "alloc_notify_task_data"),
                    None,
                    &format!("Watcher for hint {} {}", change.exten, end.as_str()),
                );
                if let Some(sub) = self.subs.by_dialog.get_mut(key) {
                    // Any state but the named ones reads as idle.
                    sub.laststate = ExtensionState::Idle;
                    sub.expiry = 0;
                }
                self.send_state(key, true);
                self.forget_subscription(key);
            }
        }
    }

    /// The NOTIFY of a subscription's last state, in the driver's form.
    pub(super) fn send_state(&mut self, key: &(String, String), fresh: bool) {
        let Some((transport, mailboxes)) = self
            .subs
            .by_dialog
            .get(key)
            .map(|s| (s.transport, matches!(s.watched, Watched::Mailboxes { .. })))
        else {
            return;
        };
        let req = match (self.flavor, mailboxes) {
            (Flavor::ChanSip, false) => self.chan_sip_notify(key, transport),
            (Flavor::ChanSip, true) => self.mwi_subscription_notify(key, transport),
            (Flavor::Pjsip, _) => self.pjsip_notify(key, transport, fresh),
        };
        let Some((req, target)) = req else {
            return;
        };
        match self.tx.send_request(Instant::now(), req, target, transport) {
            Ok(tx) => {
                if let Some(sub) = self.subs.by_dialog.get_mut(key) {
                    sub.pending = Some(tx);
                }
                self.subs.by_tx.insert(tx, key.clone());
            }
            Err(e) => tracing::warn!("NOTIFY to {target} not sent: {e}"),
        }
    }

    /// chan_sip's Via for a request of its own, with a branch of its
    /// form (`z9hG4bK` and 32 random bits).
    pub(super) fn chan_sip_via(&self, transport: Transport) -> crate::sip::Via {
        let mut via = self.via_on(transport);
        via.params.set(
            "branch",
            Some(&format!("z9hG4bK{:08x}", random_u64() as u32)),
        );
        via
    }

    /// chan_sip's NOTIFY: a fresh body every time.
    fn chan_sip_notify(
        &mut self,
        key: &(String, String),
        transport: Transport,
    ) -> Option<(Request, SocketAddr)> {
        let loaded = self.sys.loaded();
        let settings = &loaded.sip.general.settings;
        let (notify_ringing, notify_cid, pedantic) = (
            settings.notifyringing,
            settings.notifycid,
            settings.pedantic,
        );
        drop(loaded);
        let offline = {
            let sub = self.subs.by_dialog.get(key)?;
            devicestate::hint_of(&self.sys, &sub.context, &sub.exten).is_some_and(|hint| {
                let devices = devicestate::hint_devices(&hint);
                !devices.is_empty()
                    && devices.iter().all(|d| {
                        devicestate::device_state(&self.sys, d) == DeviceState::Unavailable
                    })
            })
        };
        let pickup = (notify_cid != NotifyCid::No)
            .then(|| {
                self.subs
                    .by_dialog
                    .get(key)
                    .map(|sub| self.pickup_of(sub, pedantic))
            })
            .flatten();
        let user_agent = self.flavor.user_agent();
        let via = self.chan_sip_via(transport);
        let sub = self.subs.by_dialog.get_mut(key)?;
        let uri = sub.contact_uri()?;
        let body = subscribe::body(
            sub.watched.format()?,
            &Notice {
                state: sub.laststate,
                exten: &sub.exten,
                from_uri: subscribe::bare_uri(&sub.their_from),
                to_uri: subscribe::bare_uri(&sub.their_to),
                version: sub.version,
                offline,
                notify_ringing,
                pickup: pickup.as_ref().map(|(tags, parties)| subscribe::Pickup {
                    call_id: &sub.call_id,
                    tags: tags.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                    parties: parties.clone(),
                }),
            },
        );
        sub.version += 1;
        sub.cseq += 1;
        let mut req = Request::new(Method::Notify, uri);
        let h = &mut req.headers;
        h.push("Via", via.to_string());
        h.push("Max-Forwards", "70");
        h.push("From", format!("{};tag={}", sub.their_to, sub.local_tag));
        h.push("To", sub.their_from.clone());
        h.push("Contact", format!("<{}>", sub.our_contact));
        h.push("Call-ID", sub.call_id.clone());
        h.push("CSeq", format!("{} NOTIFY", sub.cseq));
        h.push("User-Agent", user_agent);
        h.push(
            "Subscription-State",
            if sub.expiry > 0 {
                "active"
            } else {
                "terminated;reason=timeout"
            },
        );
        h.push("Event", sub.watched.event());
        h.push("Content-Type", sub.watched.media_type());
        req.body = body.into_bytes();
        Some((req, sub.target))
    }

    /// What `notifycid` tells of a ringing hint: with
    /// `pedanticsipchecking` the subscription's tags (the subscriber's,
    /// ours), and the parties of the oldest ringing call of its devices
    /// (`find_ringing_channel`), named at the domain of the subscriber's
    /// From.
    #[allow(clippy::type_complexity)]
    fn pickup_of(
        &self,
        sub: &Subscription,
        pedantic: bool,
    ) -> (
        Option<(String, String)>,
        Option<(subscribe::Identity, subscribe::Identity)>,
    ) {
        let tags = pedantic.then(|| {
            let theirs = crate::sip::headers::NameAddr::parse("From", &sub.their_from)
                .ok()
                .and_then(|f| f.tag().map(str::to_string))
                .unwrap_or_default();
            (theirs, sub.local_tag.clone())
        });
        let ringing = devicestate::hint_of(&self.sys, &sub.context, &sub.exten).and_then(|hint| {
            devicestate::hint_devices(&hint)
                .into_iter()
                .filter(|d| {
                    matches!(
                        devicestate::device_state(&self.sys, d),
                        DeviceState::Ringing | DeviceState::RingInUse
                    )
                })
                .flat_map(|d| self.sys.pbx.channels.by_prefix(&format!("{d}-")))
                .filter(|c| {
                    let d = c.lock();
                    d.state == crate::channels::ChanState::Ringing
                        && sub.changed_at.is_none_or(|at| d.state_since <= at)
                })
                .min_by_key(|c| c.created_at)
        });
        let parties = ringing.map(|chan| {
            let domain = from_domain(&sub.their_from);
            let d = chan.lock();
            (
                subscribe::Identity::of(&d.caller.id, &domain),
                subscribe::Identity::of(&d.connected.id, &domain),
            )
        });
        (tags, parties)
    }

    pub(super) fn forget_subscription(&mut self, key: &(String, String)) {
        if let Some(sub) = self.subs.remove(key)
            && let Some(tx) = sub.pending
        {
            self.subs.by_tx.remove(&tx);
        }
    }

    /// What became of a NOTIFY: a final answer lets a queued state go
    /// out; 481 or no answer at all ends the subscription
    /// (`handle_response_notify`; the NOTIFY is sent critical). Returns
    /// whether the event was one of ours.
    pub(super) fn subscription_event(&mut self, e: &Event) -> bool {
        let (id, status, retry_after) = match e {
            Event::Response { id, response } => (
                *id,
                Some(response.status),
                response.headers.get("Retry-After").is_some(),
            ),
            Event::Timeout { id } => (*id, None, false),
            _ => return false,
        };
        let Some(key) = self.subs.by_tx.get(&id).cloned() else {
            return false;
        };
        // pjsip's evsub also gives up on any failure that does not ask
        // to be retried later.
        let pjsip_gives_up = self.flavor == Flavor::Pjsip && !retry_after;
        match status {
            Some(s) if s < 200 => {}
            Some(s) if s >= 300 && pjsip_gives_up => {
                self.subs.by_tx.remove(&id);
                self.forget_subscription(&key);
            }
            Some(481) | None => {
                self.subs.by_tx.remove(&id);
                self.forget_subscription(&key);
            }
            Some(s) => {
                self.subs.by_tx.remove(&id);
                let mut resend = false;
                if let Some(sub) = self.subs.by_dialog.get_mut(&key) {
                    sub.pending = None;
                    if s < 300 {
                        resend = std::mem::take(&mut sub.queued);
                    }
                }
                if resend {
                    self.send_state(&key, true);
                }
            }
        }
        true
    }

    /// Subscriptions past their expiry: chan_sip drops them without a
    /// word once the grace is over too (its scheduled destruction);
    /// pjsip's server timeout sends the last body as `terminated`.
    pub(super) fn subscriptions_expire(&mut self, now: Instant) {
        let grace = match self.flavor {
            Flavor::ChanSip => EXPIRY_GRACE,
            Flavor::Pjsip => Duration::ZERO,
        };
        let gone: Vec<(String, String)> = self
            .subs
            .by_dialog
            .iter()
            .filter(|(_, s)| s.expiry > 0 && s.expires_at + grace <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            if self.flavor == Flavor::Pjsip
                && let Some(sub) = self.subs.by_dialog.get_mut(&key)
            {
                sub.expiry = 0;
                self.send_state(&key, false);
            }
            self.forget_subscription(&key);
        }
    }
}

impl Subscription {
    /// Where NOTIFYs go (the subscriber's Contact), if it parses.
    pub(super) fn contact_uri(&self) -> Option<crate::sip::Uri> {
        match crate::sip::Uri::parse(&self.contact) {
            Ok(uri) => Some(uri),
            Err(_) => {
                tracing::debug!(
                    "subscription {}: unusable Contact {}",
                    self.call_id,
                    self.contact
                );
                None
            }
        }
    }
}

/// The host of a From header's URI, without its port (`get_destination`'s
/// `fromdomain`).
fn from_domain(from: &str) -> String {
    let uri = subscribe::bare_uri(from);
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6).to_string();
    }
    host.split(':').next().unwrap_or(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::from_domain;

    #[test]
    fn the_from_domain_is_the_host_without_its_port() {
        assert_eq!(
            from_domain("\"1001\" <sip:1001@127.0.0.1:5060>;tag=x"),
            "127.0.0.1"
        );
        assert_eq!(
            from_domain("<sip:bob@example.com;transport=tcp>"),
            "example.com"
        );
        assert_eq!(from_domain("sip:[::1]:5070"), "::1");
    }
}
