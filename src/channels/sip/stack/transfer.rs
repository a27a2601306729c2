//! Transfer() on a SIP channel (chan_sip's `sip_transfer`, chan_pjsip's
//! `chan_pjsip_transfer`). An incoming call not yet answered is
//! redirected with a 302; any other call's device is sent a REFER, and
//! the answer to it or the NOTIFYs of its implicit subscription say how
//! the transfer went. Each outcome reaches the Transfer application as
//! Asterisk's `AST_CONTROL_TRANSFER` frame does.

use std::time::Instant;

use super::{CallState, Flavor, Task, lock};
use crate::channels::{ChanState, TransferResult};
use crate::sip::Method;
use crate::sip::message::{Request, Response};
use crate::sip::transaction::TransactionId;

/// A REFER we sent for Transfer(), until its outcome is known.
pub(super) struct Referral {
    /// The REFER's transaction, until its final response.
    tx: Option<TransactionId>,
    /// The Refer-To sent, for chan_sip's messages.
    refer_to: String,
}

impl Task {
    /// `ast_channel_tech.transfer` for the call `key`, to `dest` (what
    /// followed `Tech/` in Transfer's argument).
    pub(super) fn transfer(&mut self, key: u64, dest: &str) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        let ringing = call.chan.state() == ChanState::Ring;
        match self.flavor {
            Flavor::ChanSip if ringing => self.chan_sip_transfer_redirect(key, dest),
            Flavor::ChanSip => self.chan_sip_transfer_refer(key, dest),
            Flavor::Pjsip => {
                if call.state == CallState::Ending {
                    // pjsip's session is over: the transfer is not tried,
                    // and the channel's end is what Transfer sees.
                    tracing::debug!("no transfer of call {key}: its session is over");
                    return;
                }
                // An endpoint's name stands for its contact.
                let target = self
                    .endpoint_contact(dest)
                    .unwrap_or_else(|| dest.to_string());
                if ringing {
                    self.pjsip_transfer_redirect(key, &target);
                } else {
                    self.pjsip_transfer_refer(key, &target);
                }
            }
        }
    }

    /// `sip_sipredirect`: a 302 to the INVITE naming `ext@domain` (the
    /// domain of the To header when `dest` has none); the dialog is gone
    /// once it is sent.
    fn chan_sip_transfer_redirect(&mut self, key: u64, dest: &str) {
        let (ext, domain) = match dest.split_once('@') {
            Some((e, d)) => (e, Some(d.to_string())),
            None => (dest, None),
        };
        let logger = &self.sys.pbx.logger;
        if ext.is_empty() {
            logger.error(
                crate::site!("chan_sip.c", 34225, "sip_sipredirect"),
                None,
                "Missing mandatory argument: extension",
            );
            return;
        }
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let domain = match domain {
            Some(d) => d,
            None => match to_domain(call.invite.headers.get("To").unwrap_or("")) {
                Ok(d) => d,
                Err(why) => {
                    logger.error(
                        crate::site!("chan_sip.c", why.0, "sip_sipredirect"),
                        None,
                        why.1,
                    );
                    return;
                }
            },
        };
        // chan_sip's Contact for the redirect, as it writes it.
        let contact = format!("Transfer <sip:{ext}@{domain}>");
        self.send_redirect(key, vec![("Contact", contact)]);
    }

    /// `transmit_refer`: a REFER in the call's dialog to `dest` at the
    /// caller's (or, for a call we placed, the callee's) domain.
    fn chan_sip_transfer_refer(&mut self, key: u64, dest: &str) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        let party = if call.outgoing { "To" } else { "From" };
        let of = call.invite.headers.get(party).unwrap_or("").to_string();
        let mut uri = super::refer::in_brackets(&of);
        let mut scheme = "sip";
        if uri.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("sip:")) {
            uri = &uri[4..];
        } else if uri
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("sips:"))
        {
            uri = &uri[5..];
            scheme = "sips";
        } else {
            self.sys.pbx.logger.notice(
                crate::site!("chan_sip.c", 16460, "transmit_refer"),
                None,
                "From address missing 'sip(s):', assuming sip:",
            );
        }
        let refer_to = match uri.split_once('@') {
            Some((_, host)) if !dest.contains('@') => format!("<{scheme}:{dest}@{host}>"),
            _ => format!("<{scheme}:{dest}>"),
        };
        let referred_by = format!("<{}>", self.contact_for(&call.invite));
        let extra = vec![
            ("Date", super::httpdate_now()),
            ("Refer-To", refer_to.clone()),
            ("Referred-By", referred_by),
            ("Allow", super::style::CHAN_SIP_ALLOW.to_string()),
            ("Supported", "replaces, timer".to_string()),
        ];
        self.send_refer(key, extra, refer_to);
    }

    /// `transfer_redirect`: the session ends with a 302 whose Contact is
    /// `target`, which must read as a URI.
    fn pjsip_transfer_redirect(&mut self, key: u64, target: &str) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let chan = call.chan.clone();
        let Ok(mut contact) = crate::sip::headers::NameAddr::parse("Contact", target) else {
            self.sys.pbx.logger.warning(
                crate::site!("chan_pjsip.c", 1945, "transfer_redirect"),
                None,
                &format!(
                    "Failed to parse destination URI '{target}' for channel {}",
                    chan.name
                ),
            );
            chan.queue_transfer_result(TransferResult::FAILED);
            return;
        };
        // pjsip prints a Contact's URI in brackets.
        contact.angle = true;
        // res_pjsip_rfc3326's Reason (the channel's cause, none yet) and
        // res_pjsip_diversion's Supported on a redirect.
        let cause = chan.lock().hangupcause;
        let headers = vec![
            ("Contact", contact.to_string()),
            ("Reason", format!("Q.850;cause={cause}")),
            ("Supported", "histinfo".to_string()),
        ];
        // The session ends once the 302 is acknowledged.
        if let Some(id) = self.send_redirect(key, headers) {
            self.redirects.insert(id, chan);
        }
    }

    /// The 302 to call `key`'s INVITE, with `headers` after the driver's
    /// own: the call is over for the device (its hangup sends nothing
    /// more), and the transfer succeeded. The INVITE's transaction, if it
    /// was still pending.
    fn send_redirect(
        &mut self,
        key: u64,
        headers: Vec<(&'static str, String)>,
    ) -> Option<TransactionId> {
        let call = self.calls.get_mut(&key)?;
        call.set_state(CallState::Ending);
        call.rtp.close();
        call.remote_gone
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let chan = call.chan.clone();
        let sent = call.invite_tx.map(|id| {
            let mut r = self
                .flavor
                .response(&call.invite, 302, Some(&call.local_tag), None);
            for (name, value) in headers {
                r.headers.push(name, value);
            }
            let _ = self.tx.send_response(Instant::now(), id, r);
            id
        });
        chan.queue_transfer_result(TransferResult::Success);
        sent
    }

    /// The INVITE transaction `id` is over after a redirect: its ACK came
    /// (or never will). pjsip's session then ends, and the channel is hung
    /// up with the cause a 302 stands for (`chan_pjsip_session_end`).
    pub(super) fn redirect_over(&mut self, id: TransactionId) {
        let Some(chan) = self.redirects.remove(&id) else {
            return;
        };
        {
            let mut d = chan.lock();
            d.tech_cause = 302;
            if d.hangupcause == 0 {
                d.hangupcause = super::style::status_to_cause(Flavor::Pjsip, 302);
            }
        }
        super::queue_hangup(&chan);
    }

    /// `transfer_refer`: a REFER with `target` as its Refer-To, as
    /// given, and the channel's SIPREFERREDBYHDR (else our side of the
    /// dialog) as its Referred-By.
    fn pjsip_transfer_refer(&mut self, key: u64, target: &str) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        let referred_by = call
            .chan
            .get_var("SIPREFERREDBYHDR")
            .filter(|v| !v.is_empty())
            .or_else(|| call.dialog.as_ref().map(|d| local_info(&d.local_uri)))
            .unwrap_or_default();
        let extra = vec![
            ("Refer-To", target.to_string()),
            ("Referred-By", referred_by),
        ];
        self.send_refer(key, extra, target.to_string());
    }

    /// The REFER itself, in the call's dialog; a call without one (or
    /// one ending) fails the transfer at once, as the REFER cannot be
    /// made.
    fn send_refer(&mut self, key: u64, extra: Vec<(&'static str, String)>, refer_to: String) {
        let flavor = self.flavor;
        let Some(via) = self.call_via(key) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let chan = call.chan.clone();
        let dialog = match call.dialog.as_mut() {
            Some(d) if call.state != CallState::Ending => d,
            _ => {
                chan.queue_transfer_result(TransferResult::FAILED);
                return;
            }
        };
        let built = dialog.create_request(Method::Refer, via);
        let req = refer_request(flavor, built, extra);
        call.last_msg = "Tx: REFER".into();
        self.changed.push(key);
        let (peer, transport) = (call.peer, call.transport);
        match self.tx.send_request(Instant::now(), req, peer, transport) {
            Ok(id) => {
                self.by_tx.insert(id, key);
                self.referrals.insert(
                    key,
                    Referral {
                        tx: Some(id),
                        refer_to,
                    },
                );
            }
            Err(e) => {
                tracing::warn!("REFER to {peer} not sent: {e}");
                chan.queue_transfer_result(TransferResult::FAILED);
            }
        }
    }

    /// A response in call `key`'s dialog: if it is the final one to a
    /// REFER of ours, what it says of the transfer.
    pub(super) fn referral_response(&mut self, key: u64, id: TransactionId, r: &Response) {
        let Some(referral) = self.referrals.get_mut(&key) else {
            return;
        };
        if referral.tx != Some(id) || r.status < 200 {
            return;
        }
        referral.tx = None;
        let refer_to = referral.refer_to.clone();
        let Some(chan) = self.calls.get(&key).map(|c| c.chan.clone()) else {
            return;
        };
        if (200..300).contains(&r.status) {
            // Accepted: the NOTIFYs tell the rest, unless the device
            // wants no subscription (pjsip takes that as a success).
            let no_sub = r
                .headers
                .get("Refer-Sub")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
            if self.flavor == Flavor::Pjsip && no_sub {
                self.referrals.remove(&key);
                chan.queue_transfer_result(TransferResult::Success);
            }
            if self.flavor == Flavor::ChanSip && r.status != 202 {
                self.sys.pbx.logger.warning(
                    crate::site!("chan_sip.c", 24822, "handle_response_refer"),
                    None,
                    &format!(
                        "SIP transfer to {refer_to} had unexpected 2xx response ({}), confusion is possible. ",
                        r.status
                    ),
                );
                self.referrals.remove(&key);
                chan.queue_transfer_result(TransferResult::FAILED);
            }
            return;
        }
        self.referrals.remove(&key);
        match self.flavor {
            // The implicit subscription ends with the response's code.
            Flavor::Pjsip => {
                chan.queue_transfer_result(TransferResult::Failed(u32::from(r.status)))
            }
            Flavor::ChanSip => self.chan_sip_refer_refused(key, &chan, r.status, &refer_to),
        }
    }

    /// `handle_response_refer` for a refusal: each status's message; all
    /// but a 481 fail the transfer (a 481 congests the channel instead).
    fn chan_sip_refer_refused(
        &mut self,
        key: u64,
        chan: &std::sync::Arc<crate::channels::Channel>,
        status: u16,
        refer_to: &str,
    ) {
        let (line, warning, message) = match status {
            // Asterism's chan_sip keeps no credentials for a REFER.
            401 | 407 => {
                let to = self
                    .calls
                    .get(&key)
                    .map(|c| c.peer.to_string())
                    .unwrap_or_default();
                (
                    24758,
                    true,
                    format!(
                        "Asked to authenticate REFER to {to} but we have no matching peer or realm auth!"
                    ),
                )
            }
            405 => (
                24778,
                false,
                format!("SIP transfer to {refer_to} failed, REFER not allowed. "),
            ),
            481 => {
                let callid = self
                    .calls
                    .get(&key)
                    .and_then(|c| c.invite.headers.call_id().ok().map(str::to_string))
                    .unwrap_or_default();
                // chan_sip queues a congestion frame, which Transfer reads
                // past: it goes on waiting.
                self.sys.pbx.logger.warning(
                    crate::site!("chan_sip.c", 24791, "handle_response_refer"),
                    None,
                    &format!(
                        "Remote host can't match REFER request to call '{callid}'. Giving up."
                    ),
                );
                return;
            }
            500 | 501 => (
                24801,
                false,
                format!("SIP transfer to {refer_to} failed, call miserably fails. "),
            ),
            603 => (
                24809,
                false,
                format!("SIP transfer to {refer_to} declined, call miserably fails. "),
            ),
            _ => (
                24824,
                true,
                format!("SIP transfer to {refer_to} with response ({status}). "),
            ),
        };
        let site = crate::site!("chan_sip.c", line, "handle_response_refer");
        if warning {
            self.sys.pbx.logger.warning(site, None, &message);
        } else {
            self.sys.pbx.logger.notice(site, None, &message);
        }
        chan.queue_transfer_result(TransferResult::FAILED);
    }

    /// A NOTIFY of a REFER of ours (`Event: refer`); false when the call
    /// has no transfer under way (the NOTIFY is answered as any other).
    pub(super) fn referral_notify(&mut self, key: u64, id: TransactionId, req: &Request) -> bool {
        let event = req.headers.get("Event").unwrap_or("");
        let event = event.split(';').next().unwrap_or("").trim();
        if !event.eq_ignore_ascii_case("refer") || !self.referrals.contains_key(&key) {
            return false;
        }
        let Some(chan) = self.calls.get(&key).map(|c| c.chan.clone()) else {
            return false;
        };
        let sipfrag = req
            .headers
            .get("Content-Type")
            .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("message/sipfrag"));
        let code = sipfrag_code(&String::from_utf8_lossy(&req.body));
        match self.flavor {
            Flavor::ChanSip => {
                if !sipfrag || req.body.is_empty() {
                    self.respond_with(id, req, 400, None, Some("Bad request"));
                    return true;
                }
                let success = match code {
                    200 => Some(true),
                    0 => {
                        self.sys.pbx.logger.notice(
                            crate::site!("chan_sip.c", 25860, "handle_request_notify"),
                            None,
                            "Error parsing sipfrag in NOTIFY in response to REFER.",
                        );
                        Some(false)
                    }
                    301 | 302 | 503 | 603 => Some(false),
                    c if c < 200 => None,
                    c => {
                        self.sys.pbx.logger.notice(
                            crate::site!("chan_sip.c", 25868, "handle_request_notify"),
                            None,
                            &format!("Got unknown code '{c}' in NOTIFY in response to REFER."),
                        );
                        Some(false)
                    }
                };
                if success == Some(false) {
                    self.sys.pbx.logger.notice(
                        crate::site!("chan_sip.c", 25874, "handle_request_notify"),
                        None,
                        "Transfer failed. Sorry. Nothing further to do with this call",
                    );
                }
                if let Some(ok) = success {
                    self.referrals.remove(&key);
                    chan.queue_transfer_result(if ok {
                        TransferResult::Success
                    } else {
                        TransferResult::FAILED
                    });
                }
                self.respond(id, req, 200, None);
            }
            Flavor::Pjsip => {
                self.respond(id, req, 200, None);
                let terminated = req
                    .headers
                    .get("Subscription-State")
                    .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
                let code = if sipfrag { code } else { 0 };
                if code >= 200 || terminated {
                    self.referrals.remove(&key);
                    chan.queue_transfer_result(match code {
                        c if c < 200 => TransferResult::FAILED,
                        c if c < 300 => TransferResult::Success,
                        c => TransferResult::Failed(c),
                    });
                }
            }
        }
        true
    }

    /// The contact a pjsip endpoint named `name` is reached at: its first
    /// AOR's registered contact, else a static one.
    fn endpoint_contact(&mut self, name: &str) -> Option<String> {
        let endpoints = self.endpoints();
        let ep = endpoints.iter().find(|e| e.name == name)?;
        let now = Instant::now();
        let loaded = self.sys.loaded();
        let registrar = lock(&self.registrar);
        ep.aors.iter().find_map(|a| {
            registrar
                .contacts(a, now)
                .first()
                .map(|b| b.uri.clone())
                .or_else(|| {
                    loaded
                        .pjsip
                        .aor(a)
                        .and_then(|aor| aor.contacts.first().cloned())
                })
        })
    }
}

/// pjsip's `local.info_str` of a dialog: our party as its From header
/// prints it (no port), without its tag.
fn local_info(local: &crate::sip::headers::NameAddr) -> String {
    let mut party = local.clone();
    party.params = Default::default();
    party.angle = true;
    super::pubsub::without_port(&party)
}

/// The REFER in each driver's header order around what the dialog built
/// (`built`: Via, From, To, Call-ID, CSeq, Contact, Max-Forwards):
/// chan_sip's `reqprep` (Max-Forwards under the Via, Contact after To,
/// User-Agent after CSeq) then `extra`; pjsip's evsub (Contact after To,
/// the implicit subscription's headers after CSeq) then `extra`, then
/// Max-Forwards and User-Agent.
fn refer_request(flavor: Flavor, built: Request, extra: Vec<(&'static str, String)>) -> Request {
    let mut req = Request::new(Method::Refer, built.uri.clone());
    let get = |name: &str| built.headers.get(name).unwrap_or_default().to_string();
    let h = &mut req.headers;
    h.push("Via", get("Via"));
    if flavor == Flavor::ChanSip {
        h.push("Max-Forwards", "70");
    }
    for name in ["From", "To"] {
        h.push(name, get(name));
    }
    for r in built.headers.get_all("Route") {
        h.push("Route", r.to_string());
    }
    h.push("Contact", get("Contact"));
    h.push("Call-ID", get("Call-ID"));
    h.push("CSeq", get("CSeq"));
    match flavor {
        Flavor::ChanSip => h.push("User-Agent", flavor.user_agent()),
        Flavor::Pjsip => {
            h.push("Event", "refer");
            h.push("Expires", "600");
            h.push("Supported", super::style::PJSIP_SUPPORTED);
            h.push("Accept", "message/sipfrag;version=2.0");
            h.push("Allow-Events", "message-summary, presence, dialog, refer");
        }
    }
    for (name, value) in extra {
        h.push(name, value);
    }
    if flavor == Flavor::Pjsip {
        h.push("Max-Forwards", "70");
        h.push("User-Agent", flavor.user_agent());
    }
    req
}

/// The status code of a sipfrag body (`SIP/2.0 200 OK`), 0 when it does
/// not read as one.
fn sipfrag_code(body: &str) -> u32 {
    let mut words = body.split_ascii_whitespace();
    let _version = words.next();
    words
        .next()
        .map(|w| {
            // atoi: the leading digits.
            let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or(0)
        })
        .unwrap_or(0)
}

/// The host of the To header's URI (`sip_sipredirect`): what follows the
/// `@` of its `sip:`/`sips:` URI up to `<`, `>`, `;` or a space. Errors
/// carry chan_sip's line and message.
fn to_domain(to: &str) -> Result<String, (u32, &'static str)> {
    if to.is_empty() {
        return Err((
            34236,
            "Cannot retrieve the 'To' header from the original SIP request!",
        ));
    }
    let lower = to.to_ascii_lowercase();
    let Some(at) = lower
        .find("sip:")
        .or_else(|| lower.find("sips:"))
        .and_then(|s| to[s..].find('@').map(|a| s + a + 1))
    else {
        // chan_sip prints the domain it did not find as "(null)".
        return Ok("(null)".to_string());
    };
    let domain: String = to[at..]
        .chars()
        .take_while(|c| !matches!(c, '<' | '>' | ';' | ' '))
        .take(255)
        .collect();
    if domain.is_empty() {
        return Err((34248, "Can't find the host address"));
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::{sipfrag_code, to_domain};

    #[test]
    fn a_sipfrag_gives_its_status_code() {
        assert_eq!(sipfrag_code("SIP/2.0 200 OK\r\n"), 200);
        assert_eq!(sipfrag_code("SIP/2.0 100 Trying"), 100);
        assert_eq!(sipfrag_code("SIP/2.0 603 Declined"), 603);
        assert_eq!(sipfrag_code("garbage"), 0);
        assert_eq!(sipfrag_code(""), 0);
    }

    #[test]
    fn a_redirect_takes_the_domain_of_the_to_header() {
        assert_eq!(
            to_domain("<sip:600@127.0.0.1:5060>").as_deref(),
            Ok("127.0.0.1:5060")
        );
        assert_eq!(
            to_domain("\"x\" <sip:600@pbx.example;user=phone>").as_deref(),
            Ok("pbx.example")
        );
        assert_eq!(to_domain("<sip:pbx.example>").as_deref(), Ok("(null)"));
        assert!(to_domain("").is_err());
        assert!(to_domain("<sip:600@>").is_err());
    }
}
