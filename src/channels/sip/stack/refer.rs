//! A phone's transfer: a REFER inside a call's dialog (chan_sip's
//! `handle_request_refer`). A Refer-To without Replaces is a blind
//! transfer of the caller's bridged peer to the named extension; how it
//! went is told back in NOTIFYs carrying a `message/sipfrag` status line.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{CallState, Task, peer_of_channel};
use crate::channels::Channel;
use crate::channels::bridge::{TransferFrom, TransferResult, blind_transfer};
use crate::sip::message::{Method, Request};
use crate::sip::transaction::TransactionId;

/// How long chan_sip keeps a transferer's dialog after its channel is
/// gone, answering the phone's BYE (`DEFAULT_TRANS_TIMEOUT`).
pub(super) const DEFERRED_BYE: Duration = Duration::from_secs(32);

/// What a Refer-To names, read as chan_sip's `get_refer_info` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReferTo {
    /// The user part: the extension to transfer to.
    pub exten: String,
    /// The user part with its parameters (pjsip's target user).
    pub user: String,
    /// The URI as pjsip prints it for a request line: without its
    /// headers (`?…`).
    pub uri: String,
    /// The host, without port: `SIPDOMAIN` for the dialplan.
    pub domain: String,
    /// Whether the URI carries a `Replaces` (an attended transfer).
    pub replaces: bool,
    /// That Replaces, decoded (`call-id;to-tag=…;from-tag=…`), found
    /// among the URI's headers or parameters.
    pub replaces_value: Option<String>,
}

/// Why a Refer-To cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReferToError {
    /// Not a `sip:` or `sips:` URI (the text after the brackets came).
    NotSip(String),
}

/// Reads a Refer-To header value: the URI in angle brackets, its scheme
/// cut, `replaces=` looked for anywhere in it, the user before `@` (its
/// parameters cut) and the host without a port, both URI-decoded as a
/// pedantic chan_sip does.
pub(super) fn read_refer_to(value: &str) -> Result<ReferTo, ReferToError> {
    let inner = in_brackets(value);
    let Some(rest) = after_sip_scheme(inner) else {
        return Err(ReferToError::NotSip(inner.to_string()));
    };
    let replaces = rest.to_ascii_lowercase().contains("replaces=");
    let (user, domain) = match rest.split_once('@') {
        Some((user, host)) => {
            let host = host.split(';').next().unwrap_or(host);
            (user, strip_port(host))
        }
        None => (rest, ""),
    };
    let replaces_value = replaces_param(rest);
    let full_user = decode(user);
    let user = user.split(';').next().unwrap_or(user);
    Ok(ReferTo {
        user: full_user,
        uri: inner.split('?').next().unwrap_or(inner).to_string(),
        exten: decode(user),
        domain: decode(domain),
        replaces,
        replaces_value,
    })
}

/// The `Replaces` of a Refer-To URI: a header (`?Replaces=…&…`), else a
/// parameter (`;Replaces=…`, as some phones send it), decoded.
fn replaces_param(uri: &str) -> Option<String> {
    let (before, headers) = uri.split_once('?').unwrap_or((uri, ""));
    let find = |list: &str, sep: char| {
        list.split(sep).find_map(|item| {
            let (name, value) = item.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("replaces")
                .then(|| decode(value))
        })
    };
    find(headers, '&').or_else(|| find(before, ';'))
}

/// A Referred-By value as chan_sip keeps it: `<sip:uri>` without the
/// URI's parameters, or nothing when it is absent or not a SIP URI.
pub(super) fn read_referred_by(value: Option<&str>) -> String {
    value
        .and_then(|v| after_sip_scheme(super::super::subscribe::bare_uri(v.trim())))
        .map(|uri| format!("<sip:{}>", decode(uri)))
        .unwrap_or_default()
}

/// A URI without its `sip:` or `sips:` (either case); None for another
/// scheme.
fn after_sip_scheme(uri: &str) -> Option<&str> {
    ["sip:", "sips:"].iter().find_map(|scheme| {
        uri.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &uri[scheme.len()..])
    })
}

/// `get_in_brackets`: the text between the first `<` and the next `>`,
/// else the whole value.
pub(super) fn in_brackets(value: &str) -> &str {
    let value = value.trim();
    match value.find('<') {
        Some(a) => match value[a + 1..].find('>') {
            Some(b) => &value[a + 1..a + 1 + b],
            None => &value[a + 1..],
        },
        None => value,
    }
}

/// A host without its `:port` (an IPv6 reference keeps its colons).
fn strip_port(host: &str) -> &str {
    let mut depth = 0;
    for (i, c) in host.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => return &host[..i],
            _ => {}
        }
    }
    host
}

/// `ast_uri_decode`: `%XX` sequences become their bytes.
pub(super) fn decode(s: &str) -> String {
    String::from_utf8_lossy(&crate::http::request::uri_decode(s.as_bytes())).into_owned()
}

impl Task {
    /// A REFER in the dialog of call `key`.
    pub(super) fn refer(&mut self, key: u64, id: TransactionId, req: Request) {
        let Some(call) = self.calls.get(&key) else {
            self.respond(id, &req, 481, None);
            return;
        };
        let chan = call.chan.clone();
        if chan.is_dead() {
            self.respond_with(id, &req, 603, None, Some("Declined (No dialog)"));
            return;
        }
        let peer_name = peer_of_channel(&chan.name);
        let endpoints = self.endpoints();
        let ep = endpoints.iter().find(|e| e.name == peer_name);
        let allowed = match ep {
            Some(e) => e.allow_transfer,
            None => self.sys.loaded().sip.general.peer.allowtransfer,
        };
        if !allowed {
            self.respond_with(id, &req, 603, None, Some("Declined (policy)"));
            return;
        }
        let Some(value) = req.headers.get("Refer-To").or(req.headers.get("r")) else {
            self.chan_sip_refer_warning("Refer-To Header missing. Skipping transfer.");
            self.respond_with(id, &req, 400, None, Some("Bad Request (Refer-to missing)"));
            return;
        };
        let target = match read_refer_to(value) {
            Ok(t) => t,
            Err(ReferToError::NotSip(uri)) => {
                self.chan_sip_refer_warning(&format!(
                    "Can't transfer to non-sip: URI.  (Refer-to: {uri})?"
                ));
                self.respond_with(id, &req, 603, None, Some("Declined (Non sip: uri)"));
                return;
            }
        };
        let raw_referred_by = req
            .headers
            .get("Referred-By")
            .or(req.headers.get("b"))
            .map(str::to_string);
        let referred_by = read_referred_by(raw_referred_by.as_deref());
        let peer_context = match ep {
            Some(e) => e.context.clone(),
            None => self.sys.loaded().sip.general.peer.context.clone(),
        };
        // The bridged peer learns who transferred it from where, before
        // anything is checked.
        if let Some(peer) = chan.bridge_peer() {
            set_or_unset(&peer, "SIPREFERRINGCONTEXT", &peer_context);
            set_or_unset(
                &peer,
                "__SIPREFERREDBYHDR",
                raw_referred_by.as_deref().unwrap_or(""),
            );
        }
        let context = chan
            .get_var("TRANSFER_CONTEXT")
            .filter(|c| !c.is_empty())
            .unwrap_or(peer_context);
        let exists = {
            let loaded = self.sys.loaded();
            crate::pbx::find::exists(&loaded.dialplan, &context, &target.exten, 1, None)
        };
        self.respond_with(id, &req, 202, None, Some("Accepted"));
        // An attended transfer's extension is not looked up.
        if !exists && !target.replaces {
            self.refer_notify(key, &req, "404 Not found");
            return;
        }
        if target.replaces {
            self.chan_sip_attended_transfer(key, &chan, &req, &target);
            return;
        }
        // The phone hangs up this dialog itself: the channel's hangup
        // sends no BYE and, as chan_sip's returns early for a deferred
        // BYE, sets no RTP statistics.
        if let Some(call) = self.calls.get(&key) {
            call.remote_gone.store(true, Ordering::SeqCst);
        }
        let prepare = |transferee: &Arc<Channel>| {
            // blind_transfer_cb
            transferee.set_var_event("SIPTRANSFER", "yes");
            set_or_unset(transferee, "SIPTRANSFER_REFERER", &referred_by);
            set_or_unset(transferee, "SIPDOMAIN", &target.domain);
        };
        let frag = match blind_transfer(
            &chan,
            &target.exten,
            &context,
            TransferFrom::Outside,
            Some(&prepare),
        ) {
            TransferResult::Success => "200 OK",
            TransferResult::Invalid => "503 Service Unavailable (can't handle one-legged xfers)",
            TransferResult::NotPermitted => "403 Forbidden",
            TransferResult::Fail => "500 Internal Server Error",
        };
        if frag != "200 OK"
            && let Some(call) = self.calls.get(&key)
        {
            call.remote_gone.store(false, Ordering::SeqCst);
        }
        self.refer_notify(key, &req, frag);
    }

    /// `local_attended_transfer`: the call the Replaces names (every
    /// transfer is local without SIP domains) and the phone's bridges
    /// joined; the outcome in one NOTIFY. The transferer's BYE waits for
    /// the phone's, as for a blind transfer.
    fn chan_sip_attended_transfer(
        &mut self,
        key: u64,
        chan: &Arc<Channel>,
        req: &Request,
        target: &ReferTo,
    ) {
        let replaces = target.replaces_value.as_deref().unwrap_or("");
        let found = self.find_replaced(replaces).ok().flatten();
        let Some((other, second)) =
            found.and_then(|k| self.calls.get(&k).map(|c| (k, c.chan.clone())))
        else {
            self.refer_notify(key, req, "481 Call leg/transaction does not exist");
            return;
        };
        if other == key {
            // get_refer_info refuses it as a bad extension.
            self.sys.pbx.logger.warning(
                crate::site!("chan_sip.c", 18981, "get_refer_info"),
                None,
                &format!(
                    "Got an attempt to replace own Call-ID on {}",
                    req.headers.call_id().unwrap_or_default()
                ),
            );
            self.refer_notify(key, req, "404 Not found");
            return;
        }
        if second.is_dead() {
            self.refer_notify(key, req, "503 Service Unavailable");
            return;
        }
        if let Some(call) = self.calls.get(&key) {
            call.remote_gone.store(true, Ordering::SeqCst);
        }
        let frag = match crate::channels::bridge_atxfer::transfer_attended(&self.sys, chan, &second)
        {
            TransferResult::Success => "200 OK",
            TransferResult::Fail => "500 Internal Server Error",
            TransferResult::Invalid => "503 Service Unavailable",
            TransferResult::NotPermitted => "403 Forbidden",
        };
        if frag != "200 OK"
            && let Some(call) = self.calls.get(&key)
        {
            call.remote_gone.store(false, Ordering::SeqCst);
        }
        self.refer_notify(key, req, frag);
    }

    fn chan_sip_refer_warning(&self, text: &str) {
        self.sys.pbx.logger.warning(
            crate::site!("chan_sip.c", 18864, "get_refer_info"),
            None,
            text,
        );
    }

    /// `transmit_notify_with_sipfrag`: a NOTIFY in the call's dialog for
    /// the REFER `refer` (its CSeq names it), ending its implicit
    /// subscription, whose body is the status line `frag`.
    /// Its Contact is the one the REFER reached (`refer`), ours in the
    /// dialog whichever side placed the call.
    fn refer_notify(&mut self, key: u64, refer: &Request, frag: &str) {
        let refer_seq = refer.headers.cseq().map(|c| c.seq).unwrap_or(0);
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        let via = self.chan_sip_via(call.transport);
        let contact = format!("<{}>", self.contact_for(refer));
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        let mut req = dialog.create_request(Method::Notify, via);
        // chan_sip's Contact goes after To, in place of the dialog's.
        req.headers
            .0
            .retain(|h| !h.name.eq_ignore_ascii_case("Contact"));
        self.flavor.finish_request(&mut req, Some(&contact));
        let h = &mut req.headers;
        h.push("Event", format!("refer;id={refer_seq}"));
        h.push("Subscription-state", "terminated;reason=noresource");
        h.push("Content-Type", "message/sipfrag;version=2.0");
        h.push("Allow", super::style::CHAN_SIP_ALLOW);
        h.push("Supported", "replaces, timer");
        req.body = format!("SIP/2.0 {frag}\r\n").into_bytes();
        call.last_msg = "Tx: NOTIFY".into();
        let (peer, transport) = (call.peer, call.transport);
        self.changed.push(key);
        if let Err(e) = self.tx.send_request(Instant::now(), req, peer, transport) {
            tracing::warn!("REFER NOTIFY to {peer} not sent: {e}");
        }
    }

    /// The channel of a call whose transfer went through is gone: chan_sip
    /// sends no BYE but keeps the dialog a while to answer the phone's.
    pub(super) fn defer_bye(&mut self, key: u64) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        call.set_state(CallState::Ending);
        call.rtp.close();
        if let Ok(cid) = call.invite.headers.call_id() {
            self.deferred_byes.insert(
                (cid.to_string(), call.local_tag.clone()),
                Instant::now() + DEFERRED_BYE,
            );
        }
    }

    /// A request in a dialog whose call is gone after a transfer: its BYE
    /// is answered. Whether the request was for such a dialog.
    pub(super) fn deferred_bye(&mut self, id: TransactionId, req: &Request) -> bool {
        let Ok(cid) = req.headers.call_id() else {
            return false;
        };
        let Some(tag) = req
            .headers
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_string))
        else {
            return false;
        };
        let dialog = (cid.to_string(), tag);
        if !self.deferred_byes.contains_key(&dialog) {
            return false;
        }
        if req.method == Method::Bye {
            self.deferred_byes.remove(&dialog);
            self.respond(id, req, 200, None);
        } else {
            self.respond(id, req, 481, None);
        }
        true
    }

    /// Forgets the transferers' dialogs whose phones never hung up.
    pub(super) fn deferred_byes_expire(&mut self, now: Instant) {
        self.deferred_byes.retain(|_, until| *until > now);
    }
}

/// `pbx_builtin_setvar_helper` with a value that may be empty: an empty
/// one deletes the variable (announced only where it held something).
fn set_or_unset(chan: &Channel, name: &str, value: &str) {
    if value.is_empty() {
        chan.unset_var_event(name);
    } else {
        chan.set_var_event(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refer_to_names_the_extension_and_the_domain() {
        let t = read_refer_to("<sip:601@127.0.0.1:35161;transport=udp>").expect("sip");
        assert_eq!(t.exten, "601");
        assert_eq!(t.domain, "127.0.0.1");
        assert!(!t.replaces);
        let t = read_refer_to("<sip:6%30;user=phone@[::1]:5060>").expect("sip");
        assert_eq!(t.exten, "60");
        assert_eq!(t.domain, "[::1]");
        let t =
            read_refer_to("sips:700@pbx.example.com?Replaces=abc%40h%3Bto-tag%3D1").expect("sips");
        assert_eq!(t.exten, "700");
        assert!(t.replaces);
        assert_eq!(t.replaces_value.as_deref(), Some("abc@h;to-tag=1"));
        assert_eq!(t.uri, "sips:700@pbx.example.com");
        let t = read_refer_to("<sip:700@h;user=phone?Subject=x&replaces=c%3Bfrom-tag%3D2>")
            .expect("sip");
        assert_eq!(t.replaces_value.as_deref(), Some("c;from-tag=2"));
        assert_eq!(t.user, "700");
    }

    #[test]
    fn a_refer_to_that_is_not_sip_is_refused() {
        assert_eq!(
            read_refer_to("<tel:+15551234>"),
            Err(ReferToError::NotSip("tel:+15551234".into()))
        );
    }

    #[test]
    fn referred_by_keeps_only_the_sip_uri() {
        assert_eq!(
            read_referred_by(Some("\"A\" <sip:1000@10.0.0.1:5060;x=y>;tag=1")),
            "<sip:1000@10.0.0.1:5060>"
        );
        assert_eq!(read_referred_by(Some("<tel:1000>")), "");
        assert_eq!(read_referred_by(None), "");
    }
}
