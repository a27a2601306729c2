//! A phone's transfer on chan_pjsip: a REFER inside a call's dialog, as
//! res_pjsip_refer handles it. Unlike chan_sip, pjsip keeps the REFER's
//! implicit subscription open (202, `Expires: 600`) and tells how the
//! transfer goes in NOTIFYs: a `100 Trying` first, then, for a blind
//! transfer that went through, whatever a watch on the transferee sees
//! (ringing, progress, busy, media, a bridge, its end), unless the
//! endpoint's `refer_blind_progress` is off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::refer::read_refer_to;
use super::{Command, Endpoint, Task, peer_of_channel};
use crate::channels::bridge::{TransferFrom, TransferResult, blind_transfer};
use crate::channels::bridge_atxfer::transfer_attended;
use crate::channels::framehook::{FrameWatch, Watching, Written};
use crate::channels::{Channel, Indication};
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request};
use crate::sip::transaction::TransactionId;
use crate::sip::transaction::Transport;

/// The implicit subscription's lifetime (`pjsip_xfer_accept`'s default).
const REFER_EXPIRES: Duration = Duration::from_secs(600);
/// How long a transferer's session outlives its channel, waiting for the
/// phone's BYE (`ast_sip_session_defer_termination`).
const DEFER_TERMINATION: Duration = Duration::from_secs(60);

/// A progress report for a REFER's subscription (a
/// `refer_progress_notification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub refer: u64,
    pub status: u16,
    pub terminated: bool,
}

/// A REFER's implicit subscription (`refer_progress`).
pub(super) struct ReferSub {
    /// The call whose dialog carries it.
    key: u64,
    accepted: Instant,
    sent_100: bool,
    /// The dialog, once the call itself is forgotten (pjsip's
    /// subscription holds the dialog).
    dialog: Option<(Dialog, std::net::SocketAddr, Transport)>,
    contact: String,
}

/// A transferer's session whose end waits for the phone's BYE.
pub(super) struct Deferred {
    until: Instant,
    /// The channel hung up meanwhile (`terminate_while_deferred`).
    pub ended: bool,
}

/// The watch res_pjsip_refer attaches to a blind transfer's transferee
/// (`refer_progress_framehook`, and its bridge subscription).
struct ReferWatch {
    commands: mpsc::UnboundedSender<Command>,
    refer: u64,
    /// The transfer was carried out (`transfer_data->completed`): what
    /// passes before is not the transferee's progress.
    completed: Arc<AtomicBool>,
    /// A final state was seen (`progress->subclass`): media no longer
    /// counts as an answer.
    settled: Mutex<bool>,
}

impl ReferWatch {
    fn tell(&self, status: u16, terminated: bool) {
        let _ = self.commands.send(Command::ReferProgress(Progress {
            refer: self.refer,
            status,
            terminated,
        }));
    }
}

impl FrameWatch for ReferWatch {
    fn written(&self, frame: Written) -> Watching {
        if !self.completed.load(Ordering::SeqCst) {
            return Watching::Keep;
        }
        let mut settled = crate::core::lock(&self.settled);
        let (status, terminated) = match frame {
            Written::Voice if !*settled => (200, true),
            Written::Voice => return Watching::Keep,
            Written::Control(Indication::Ringing) => (180, false),
            Written::Control(Indication::Progress) => (183, false),
            Written::Control(Indication::Proceeding) => (100, false),
            Written::Control(Indication::Busy) => (486, true),
            Written::Control(Indication::Congestion) => (503, true),
        };
        if terminated {
            *settled = true;
        }
        drop(settled);
        self.tell(status, terminated);
        if terminated {
            Watching::Detach
        } else {
            Watching::Keep
        }
    }

    /// The transferee joining a bridge means its call was answered.
    fn entered_bridge(&self) -> Watching {
        if !self.completed.load(Ordering::SeqCst) {
            return Watching::Keep;
        }
        self.tell(200, true);
        Watching::Detach
    }

    /// `refer_progress_framehook_destroy`: a 503, which goes nowhere once
    /// a final NOTIFY was sent.
    fn ended(&self) {
        self.tell(503, true);
    }
}

impl Task {
    /// A REFER in the dialog of call `key` (`refer_incoming_refer_request`).
    pub(super) fn pjsip_refer(&mut self, key: u64, id: TransactionId, req: Request) {
        let Some(call) = self.calls.get(&key) else {
            self.respond(id, &req, 481, None);
            return;
        };
        let chan = call.chan.clone();
        if chan.is_dead() {
            // No channel to transfer: the call was just hung up.
            self.respond(id, &req, 404, None);
            return;
        }
        let endpoint_name = peer_of_channel(&chan.name);
        let endpoints = self.endpoints();
        let ep = endpoints.iter().find(|e| e.name == endpoint_name);
        if !ep.is_some_and(|e| e.allow_transfer) {
            self.respond(id, &req, 603, None);
            self.sys.pbx.logger.warning(
                crate::site!("res_pjsip_refer.c", 1932, "refer_incoming_refer_request"),
                None,
                &format!("Endpoint {endpoint_name} transfer attempt blocked due to configuration"),
            );
            return;
        }
        let Some(value) = req.headers.get("Refer-To").or(req.headers.get("r")) else {
            self.respond(id, &req, 400, None);
            return;
        };
        let Ok(target) = read_refer_to(value) else {
            self.respond(id, &req, 400, None);
            return;
        };
        // A Refer-Sub other than `true` asks for no subscription.
        let refer_sub = req.headers.get("Refer-Sub").map(str::to_string);
        let subscribed = refer_sub
            .as_deref()
            .is_none_or(|v| v.len() >= 4 && v[..4].eq_ignore_ascii_case("true"));
        let refer = subscribed.then(|| self.accept_refer(key, id, &req, refer_sub.is_some()));

        // A transfer to a dialog of ours is carried out at once, and its
        // outcome told even when it went through (refer_attended_task).
        let (status, told_now) = match target.replaces_value.as_deref() {
            Some(replaces) => match self.find_replaced(replaces) {
                Ok(Some(other)) => (self.pjsip_attended_transfer(key, &chan, other), true),
                Ok(None) => {
                    let status = self.pjsip_external_replaces(key, &chan, &req, &target, refer, ep);
                    (status, false)
                }
                Err(()) => {
                    self.sys.pbx.logger.error(
                        crate::site!("res_pjsip_refer.c", 1620, "refer_incoming_attended_request"),
                        None,
                        &format!(
                            "Received REFER request on channel '{}' from endpoint '{endpoint_name}' with invalid Replaces header, rejecting",
                            chan.name
                        ),
                    );
                    (400, false)
                }
            },
            None => {
                let status = self.pjsip_blind_transfer(key, &chan, &req, &target, None, refer, ep);
                (status, false)
            }
        };
        match refer {
            None => {
                let contact = self.contact_for(&req);
                let mut r = self.flavor.response(&req, status, None, Some(&contact));
                r.headers.push("Refer-Sub", "false");
                let _ = self.tx.send_response(Instant::now(), id, r);
            }
            Some(refer) if status != 200 || told_now => self.refer_progress(Progress {
                refer,
                status,
                terminated: true,
            }),
            Some(_) => {}
        }
    }

    /// `refer_incoming_blind_request`: the SIP status the transfer came
    /// to.
    fn pjsip_blind_transfer(
        &mut self,
        key: u64,
        chan: &Arc<Channel>,
        req: &Request,
        target: &super::refer::ReferTo,
        replaces: Option<&str>,
        refer: Option<u64>,
        ep: Option<&Endpoint>,
    ) -> u16 {
        let context = transfer_context(chan, ep);
        // A transfer to another system's dialog goes to `external_replaces`.
        let exten = match (replaces, target.user.as_str()) {
            (Some(_), _) => "external_replaces".to_string(),
            (None, "") => "s".to_string(),
            (None, u) => u.to_string(),
        };
        let exists = {
            let loaded = self.sys.loaded();
            crate::pbx::find::exists(&loaded.dialplan, &context, &exten, 1, None)
        };
        if !exists {
            self.sys.pbx.logger.error(
                crate::site!("res_pjsip_refer.c", 1734, "refer_incoming_blind_request"),
                None,
                &format!(
                    "Channel '{}' from endpoint '{}' attempted blind transfer to '{exten}@{context}' but target does not exist",
                    chan.name,
                    peer_of_channel(&chan.name)
                ),
            );
            return 404;
        }
        self.defer_termination(key);
        let completed = Arc::new(AtomicBool::new(false));
        // An external Replaces is followed whatever refer_blind_progress
        // says.
        let progress = replaces.is_some() || ep.is_none_or(|e| e.refer_blind_progress);
        let commands = self.commands_tx.clone();
        let referred_by = req
            .headers
            .get("Referred-By")
            .or(req.headers.get("b"))
            .map(str::to_string);
        let transfer_data_prefix = |chan: &Channel| chan.get_var("GET_TRANSFERRER_DATA");
        let prepare = |transferee: &Arc<Channel>| {
            // refer_blind_callback
            transferee.set_var_event("SIPTRANSFER", "yes");
            transferee.set_var_event("SIPREFERRINGCONTEXT", &context);
            if let Some(prefix) = transfer_data_prefix(transferee).filter(|p| !p.is_empty()) {
                let prefix = if prefix == "*" { "" } else { prefix.as_str() };
                for h in &req.headers.0 {
                    let head = h.name.get(..prefix.len());
                    if head.is_some_and(|n| n.eq_ignore_ascii_case(prefix)) {
                        transferee.set_var_event(
                            &format!("~HASH~TRANSFER_DATA~{}~", h.name),
                            h.value.trim(),
                        );
                    }
                }
            }
            match referred_by.as_deref() {
                Some(by) => transferee.set_var_event("__SIPREFERREDBYHDR", by),
                None => transferee.unset_var_event("SIPREFERREDBYHDR"),
            }
            match replaces {
                Some(r) => transferee.set_var_event("__SIPREPLACESHDR", r),
                None => transferee.unset_var_event("SIPREPLACESHDR"),
            }
            transferee.set_var_event("SIPREFERTOHDR", &target.uri);
            // The watch goes on before these in res_pjsip_refer, but its
            // bridge's reconfiguration shows only after them.
            if let Some(refer) = refer {
                if progress {
                    transferee.attach_watch(Arc::new(ReferWatch {
                        commands: commands.clone(),
                        refer,
                        completed: completed.clone(),
                        settled: Mutex::new(false),
                    }));
                } else {
                    let _ = commands.send(Command::ReferProgress(Progress {
                        refer,
                        status: 200,
                        terminated: true,
                    }));
                }
            }
        };
        let result = blind_transfer(
            chan,
            &exten,
            &context,
            TransferFrom::Outside,
            Some(&prepare),
        );
        completed.store(true, Ordering::SeqCst);
        self.transfer_status(key, result)
    }

    /// `refer_incoming_attended_request` for a dialog of ours and
    /// `refer_attended_task`: the two channels' bridges are joined; the
    /// SIP status it came to.
    fn pjsip_attended_transfer(&mut self, key: u64, chan: &Arc<Channel>, other: u64) -> u16 {
        let Some(second) = self.calls.get(&other).map(|c| c.chan.clone()) else {
            return 603;
        };
        if second.is_dead() {
            return 603;
        }
        self.defer_termination(key);
        let result = transfer_attended(&self.sys, chan, &second);
        self.transfer_status(key, result)
    }

    /// `xfer_response_code2sip`; a transfer that did not go through
    /// cancels the deferred end of the transferer's session.
    fn transfer_status(&mut self, key: u64, result: TransferResult) -> u16 {
        let status = match result {
            TransferResult::Success => 200,
            TransferResult::Invalid => 400,
            TransferResult::NotPermitted => 403,
            TransferResult::Fail => 500,
        };
        if status != 200 {
            self.defer_termination_cancel(key);
        }
        status
    }

    /// `ast_sip_session_defer_termination`: the session outlives its
    /// channel until the phone hangs up (or the time runs out).
    fn defer_termination(&mut self, key: u64) {
        self.deferred.insert(
            key,
            Deferred {
                until: Instant::now() + DEFER_TERMINATION,
                ended: false,
            },
        );
    }

    /// A Replaces naming no dialog of ours: a blind transfer to the
    /// context's `external_replaces`, which must exist.
    fn pjsip_external_replaces(
        &mut self,
        key: u64,
        chan: &Arc<Channel>,
        req: &Request,
        target: &super::refer::ReferTo,
        refer: Option<u64>,
        ep: Option<&Endpoint>,
    ) -> u16 {
        let context = transfer_context(chan, ep);
        let exists = {
            let loaded = self.sys.loaded();
            crate::pbx::find::exists(&loaded.dialplan, &context, "external_replaces", 1, None)
        };
        if !exists {
            self.sys.pbx.logger.error(
                crate::site!("res_pjsip_refer.c", 1663, "refer_incoming_attended_request"),
                None,
                &format!(
                    "Received REFER for remote session on channel '{}' from endpoint '{}' but 'external_replaces' extension not found in context {context}",
                    chan.name,
                    peer_of_channel(&chan.name)
                ),
            );
            return 404;
        }
        let replaces = target.replaces_value.clone().unwrap_or_default();
        self.pjsip_blind_transfer(key, chan, req, target, Some(&replaces), refer, ep)
    }

    /// `refer_progress_alloc`: the subscription is made and the REFER
    /// accepted (202, with `Refer-Sub: true` when it asked for one).
    fn accept_refer(&mut self, key: u64, id: TransactionId, req: &Request, refer_sub: bool) -> u64 {
        let contact = self.contact_for(req);
        let mut r = self.flavor.response(req, 202, None, None);
        r.reason = "Accepted".into();
        // pjsip's event layer writes these before its Server.
        r.headers.0.retain(|h| h.name != "Server");
        r.headers
            .push("Expires", REFER_EXPIRES.as_secs().to_string());
        r.headers.push("Contact", format!("<{contact}>"));
        r.headers.push("Allow", super::style::PJSIP_ALLOW);
        r.headers.push("Supported", super::style::PJSIP_SUPPORTED);
        if refer_sub {
            r.headers.push("Refer-Sub", "true");
        }
        r.headers.push("Server", self.flavor.user_agent());
        let _ = self.tx.send_response(Instant::now(), id, r);
        self.next_refer += 1;
        let refer = self.next_refer;
        self.refer_subs.insert(
            refer,
            ReferSub {
                key,
                accepted: Instant::now(),
                sent_100: false,
                dialog: None,
                contact,
            },
        );
        refer
    }

    /// `refer_progress_notify`: a NOTIFY for the subscription, after the
    /// deferred `100 Trying` if none went yet. Nothing once it ended.
    pub(super) fn refer_progress(&mut self, p: Progress) {
        let Some(sub) = self.refer_subs.get_mut(&p.refer) else {
            return;
        };
        let first = !std::mem::replace(&mut sub.sent_100, true);
        if first && p.status != 100 {
            self.send_refer_notify(p.refer, 100, false);
        }
        self.send_refer_notify(p.refer, p.status, p.terminated);
        if p.terminated {
            self.refer_subs.remove(&p.refer);
        }
    }

    /// One NOTIFY (`pjsip_xfer_notify`): the status line as a sipfrag.
    fn send_refer_notify(&mut self, refer: u64, status: u16, terminated: bool) {
        let Some(sub) = self.refer_subs.get(&refer) else {
            return;
        };
        let state = if terminated {
            "terminated;reason=noresource".to_string()
        } else {
            // pjsip counts what is left in whole seconds, from times kept
            // to the millisecond.
            let elapsed = u64::try_from(sub.accepted.elapsed().as_millis()).unwrap_or(u64::MAX);
            let left = u64::try_from(REFER_EXPIRES.as_millis())
                .unwrap_or(0)
                .saturating_sub(elapsed);
            format!("active;expires={}", left / 1000)
        };
        let (key, contact) = (sub.key, sub.contact.clone());
        let reason = self.flavor.reason(status).to_string();
        let Some((_, peer, transport)) = self.refer_dialog(refer, key) else {
            return;
        };
        let via = self.in_dialog_via(transport);
        let Some((dialog, ..)) = self.refer_dialog(refer, key) else {
            return;
        };
        let built = dialog.create_request(Method::Notify, via);
        // pjsip prints From and To without ports (RFC 3261 table 1).
        let party = |name: &str| {
            match name {
                "From" => built.headers.from(),
                _ => built.headers.to(),
            }
            .map(|p| super::pubsub::without_port(&p))
            .unwrap_or_default()
        };
        let mut req = Request::new(Method::Notify, built.uri.clone());
        let get = |name: &str| built.headers.get(name).unwrap_or_default().to_string();
        let h = &mut req.headers;
        h.push("Via", get("Via"));
        h.push("From", party("From"));
        h.push("To", party("To"));
        h.push("Contact", format!("<{contact}>"));
        h.push("Call-ID", get("Call-ID"));
        h.push("CSeq", get("CSeq"));
        for route in built.headers.get_all("Route") {
            h.push("Route", route.to_string());
        }
        h.push("Event", "refer");
        h.push("Subscription-State", state);
        h.push("Allow-Events", "message-summary, presence, dialog, refer");
        h.push("Max-Forwards", "70");
        h.push("User-Agent", self.flavor.user_agent());
        h.push("Content-Type", "message/sipfrag;version=2.0");
        req.body = format!("SIP/2.0 {status} {reason}\r\n").into_bytes();
        if let Err(e) = self.tx.send_request(Instant::now(), req, peer, transport) {
            tracing::warn!("REFER NOTIFY to {peer} not sent: {e}");
        }
    }

    /// The dialog a subscription's NOTIFYs go in: the call's while it
    /// lasts, else the one the subscription kept.
    fn refer_dialog(
        &mut self,
        refer: u64,
        key: u64,
    ) -> Option<(&mut Dialog, std::net::SocketAddr, Transport)> {
        if let Some(call) = self.calls.get_mut(&key) {
            let (peer, transport) = (call.peer, call.transport);
            return call.dialog.as_mut().map(|d| (d, peer, transport));
        }
        let sub = self.refer_subs.get_mut(&refer)?;
        let (dialog, peer, transport) = sub.dialog.as_mut()?;
        Some((dialog, *peer, *transport))
    }

    /// A call is forgotten: its open REFER subscriptions keep its dialog.
    pub(super) fn refer_keep_dialog(&mut self, key: u64, call: &mut super::Call) {
        let Some(sub) = self.refer_subs.values_mut().find(|s| s.key == key) else {
            return;
        };
        if let Some(d) = call.dialog.take() {
            sub.dialog = Some((d, call.peer, call.transport));
        }
    }

    /// The channel of call `key` hung up: while its end is deferred the
    /// session stays, sending nothing. Whether it was deferred.
    pub(super) fn hangup_deferred(&mut self, key: u64) -> bool {
        match self.deferred.get_mut(&key) {
            Some(d) => {
                d.ended = true;
                if let Some(call) = self.calls.get(&key) {
                    call.rtp.close();
                }
                true
            }
            None => false,
        }
    }

    /// `ast_sip_session_defer_termination_cancel`: a hangup that came
    /// meanwhile is carried out now.
    fn defer_termination_cancel(&mut self, key: u64) {
        if let Some(d) = self.deferred.remove(&key)
            && d.ended
        {
            self.send_bye(key, 16);
            self.maybe_forget(key);
        }
    }

    /// Deferred ends whose time ran out: the BYE the phone did not send
    /// goes from us (`session_termination_task`); subscriptions past their
    /// expiry are dropped.
    pub(super) fn deferred_expire(&mut self, now: Instant) {
        let due: Vec<u64> = self
            .deferred
            .iter()
            .filter(|(_, d)| d.until <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            self.defer_termination_cancel(key);
        }
        self.refer_subs
            .retain(|_, s| now.saturating_duration_since(s.accepted) < REFER_EXPIRES);
    }
}

/// `DETERMINE_TRANSFER_CONTEXT`: the channel's TRANSFER_CONTEXT, else
/// the endpoint's context.
fn transfer_context(chan: &Channel, ep: Option<&Endpoint>) -> String {
    chan.get_var("TRANSFER_CONTEXT")
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| ep.map(|e| e.context.clone()).unwrap_or_default())
}
