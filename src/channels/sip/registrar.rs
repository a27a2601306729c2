//! The registrar (RFC 3261 §10.3): contacts bound to each address of
//! record with their expiry, under chan_sip's or an aor's limits. Pure:
//! the stack hands it the REGISTER and the current time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::config::views::pjsip::Aor;
use crate::sip::message::Request;

/// Expiry bounds and contact limits for one AOR.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default_expiry: u32,
    pub min_expiry: u32,
    pub max_expiry: u32,
    /// 0: unlimited.
    pub max_contacts: u32,
    pub remove_existing: bool,
    /// chan_sip answers with an `Expires:` header always; pjsip only when
    /// the request had one.
    pub expires_header: bool,
}

impl Limits {
    /// chan_sip's defaults: `defaultexpiry=120`, `minexpiry=60`,
    /// `maxexpiry=3600`, one contact per peer that replaces the last.
    pub fn chan_sip() -> Limits {
        Limits {
            default_expiry: 120,
            min_expiry: 60,
            max_expiry: 3600,
            max_contacts: 1,
            remove_existing: true,
            expires_header: true,
        }
    }

    pub fn from_aor(aor: &Aor) -> Limits {
        Limits {
            default_expiry: aor.default_expiration,
            min_expiry: aor.minimum_expiration,
            max_expiry: aor.maximum_expiration,
            max_contacts: aor.max_contacts,
            remove_existing: aor.remove_existing,
            expires_header: false,
        }
    }
}

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub uri: String,
    /// Where the REGISTER came from (`received`).
    pub source: SocketAddr,
    /// Where requests to this contact go: its Contact's address, unless
    /// that is no IP literal or the device is behind NAT (its Via names
    /// another address than the one the REGISTER came from); then the
    /// source (chan_sip's default `nat=auto_force_rport`).
    pub target: SocketAddr,
    /// The sent-by of the REGISTER's Via (pjsip's `via_addr`/`via_port`).
    pub via: (String, u16),
    /// The REGISTER came over TCP: requests go back on its connection.
    pub over_tcp: bool,
    pub expiry: u32,
    pub expires_at: Instant,
    pub user_agent: String,
    pub call_id: String,
    pub cseq: u32,
}

impl Binding {
    /// Seconds left, as the 200 OK reports them.
    pub fn remaining(&self, now: Instant) -> u64 {
        let left = self.expires_at.saturating_duration_since(now);
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    }
}

/// What a REGISTER changed.
#[derive(Debug, Default)]
pub struct Changes {
    /// What happened to each contact, in the order res_pjsip_registrar
    /// does it (and logs it): the request's contacts in turn, then the
    /// contacts that made room under `max_contacts`.
    pub steps: Vec<Step>,
    pub added: Vec<Binding>,
    pub removed: Vec<Binding>,
    /// The AOR's contacts after the request.
    pub current: Vec<Binding>,
    /// The bindings the request set (added or refreshed).
    pub touched: Vec<Binding>,
    /// The `Expires:` header of the 200, if it has one.
    pub expires_header: Option<u32>,
}

/// One contact's fate in a registration or an expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Added(Binding),
    Refreshed(Binding),
    Removed(Binding, Removal),
}

/// Why a contact went, in res_pjsip_registrar's words (`due to …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Request,
    RemoveExisting,
    Expiration,
}

impl Removal {
    pub fn reason(self) -> &'static str {
        match self {
            Removal::Request => "request",
            Removal::RemoveExisting => "remove existing",
            Removal::Expiration => "expiration",
        }
    }
}

impl Changes {
    fn add(&mut self, b: Binding) {
        self.steps.push(Step::Added(b.clone()));
        self.added.push(b);
    }

    fn remove(&mut self, b: Binding, why: Removal) {
        self.steps.push(Step::Removed(b.clone(), why));
        self.removed.push(b);
    }
}

#[derive(Debug, Default)]
pub struct Registrar {
    aors: HashMap<String, Vec<Binding>>,
}

impl Registrar {
    /// Live contacts of an AOR, oldest first.
    pub fn contacts(&self, aor: &str, now: Instant) -> Vec<Binding> {
        self.aors
            .get(aor)
            .map(|v| v.iter().filter(|b| b.expires_at > now).cloned().collect())
            .unwrap_or_default()
    }

    /// Puts back a binding kept from before a restart (AstDB), replacing
    /// one of the same URI.
    pub fn restore(&mut self, aor: &str, binding: Binding) {
        let bindings = self.aors.entry(aor.to_string()).or_default();
        bindings.retain(|b| b.uri != binding.uri);
        bindings.push(binding);
    }

    /// Drops the bindings whose time is up: per AOR, what went and what
    /// is left.
    pub fn expire(&mut self, now: Instant) -> Vec<(String, Changes)> {
        let mut out = Vec::new();
        for (aor, bindings) in &mut self.aors {
            if bindings.iter().all(|b| b.expires_at > now) {
                continue;
            }
            let (gone, left): (Vec<Binding>, Vec<Binding>) =
                bindings.drain(..).partition(|b| b.expires_at <= now);
            *bindings = left;
            let mut changes = Changes {
                current: bindings.clone(),
                ..Changes::default()
            };
            for b in gone {
                changes.remove(b, Removal::Expiration);
            }
            out.push((aor.clone(), changes));
        }
        self.aors.retain(|_, b| !b.is_empty());
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Applies a REGISTER to `aor`. Err is the status to refuse it with.
    pub fn update(
        &mut self,
        aor: &str,
        req: &Request,
        source: SocketAddr,
        limits: &Limits,
        now: Instant,
    ) -> Result<Changes, u16> {
        let mut changes = Changes::default();
        let bindings = self.aors.entry(aor.to_string()).or_default();
        let expired: Vec<Binding> = bindings
            .iter()
            .filter(|b| b.expires_at <= now)
            .cloned()
            .collect();
        bindings.retain(|b| b.expires_at > now);
        for b in expired {
            changes.remove(b, Removal::Expiration);
        }
        let header_expires = req.headers.expires().map_err(|_| 400u16)?;
        let call_id = req.headers.call_id().map_err(|_| 400u16)?.to_string();
        let cseq = req.headers.cseq().map_err(|_| 400u16)?.seq;
        let user_agent = req.headers.get("User-Agent").unwrap_or("").to_string();
        let via = req
            .headers
            .top_via()
            .map(|v| (v.host.to_string(), v.port.unwrap_or(5060)))
            .unwrap_or_else(|_| (source.ip().to_string(), source.port()));
        let over_tcp = req
            .headers
            .top_via()
            .is_ok_and(|v| v.transport.eq_ignore_ascii_case("TCP"));
        let via_is_source = literal_addr(&via.0, via.1) == Some(source);
        if req.headers.contact_is_star() {
            // `Contact: *` is only allowed with Expires: 0 (§10.3 step 6).
            if header_expires != Some(0) {
                return Err(400);
            }
            for b in std::mem::take(bindings) {
                changes.remove(b, Removal::Request);
            }
            changes.expires_header = Some(0);
            return Ok(changes);
        }
        let contacts = req.headers.contacts().map_err(|_| 400u16)?;
        let mut last_expiry = limits.default_expiry;
        let mut making_room = Vec::new();
        for c in contacts {
            let requested = c
                .params
                .value("expires")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .or(header_expires)
                .unwrap_or(limits.default_expiry);
            let uri = c.uri.to_string();
            if requested == 0 {
                if let Some(pos) = bindings.iter().position(|b| b.uri == uri) {
                    changes.remove(bindings.remove(pos), Removal::Request);
                }
                last_expiry = 0;
                continue;
            }
            if requested < limits.min_expiry {
                return Err(423);
            }
            let expiry = requested.min(limits.max_expiry);
            last_expiry = expiry;
            let target = match literal_addr(&c.uri.host.to_string(), c.uri.port.unwrap_or(5060)) {
                Some(a) if via_is_source => a,
                _ => source,
            };
            let binding = Binding {
                uri: uri.clone(),
                source,
                target,
                via: via.clone(),
                over_tcp,
                expiry,
                expires_at: now + Duration::from_secs(u64::from(expiry)),
                user_agent: user_agent.clone(),
                call_id: call_id.clone(),
                cseq,
            };
            changes.touched.push(binding.clone());
            if let Some(existing) = bindings.iter_mut().find(|b| b.uri == uri) {
                *existing = binding.clone();
                changes.steps.push(Step::Refreshed(binding));
                continue;
            }
            if limits.max_contacts > 0 && bindings.len() as u32 >= limits.max_contacts {
                if !limits.remove_existing {
                    return Err(403);
                }
                // The soonest to expire makes room (res_pjsip_registrar).
                bindings.sort_by_key(|b| b.expires_at);
                let excess = bindings.len() + 1 - limits.max_contacts as usize;
                // Logged after the request's own contacts, as Asterisk
                // removes the excess once they are all in.
                making_room.extend(bindings.drain(..excess));
            }
            bindings.push(binding.clone());
            changes.add(binding);
        }
        for b in making_room {
            changes.remove(b, Removal::RemoveExisting);
        }
        changes.current = bindings.clone();
        changes.expires_header = if limits.expires_header {
            Some(last_expiry)
        } else {
            // res_pjsip_registrar echoes the request's Expires header,
            // clamped to the AOR's limits (0 stays 0).
            header_expires.map(|e| match e {
                0 => 0,
                e => e.clamp(limits.min_expiry, limits.max_expiry),
            })
        };
        Ok(changes)
    }
}

/// `host:port` when host is an IP literal (IPv6 in brackets or not).
fn literal_addr(host: &str, port: u16) -> Option<SocketAddr> {
    let ip: std::net::IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Message, parse_datagram};

    fn register(contact: &str, expires: Option<u32>) -> Request {
        let mut text = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5072;branch=z9hG4bK1\r\nFrom: <sip:2001@127.0.0.1>;tag=a\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: {contact}\r\n"
        );
        if let Some(e) = expires {
            text.push_str(&format!("Expires: {e}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        match parse_datagram(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    fn src() -> SocketAddr {
        "127.0.0.1:5072".parse().unwrap()
    }

    #[test]
    fn binds_refreshes_and_removes() {
        let mut r = Registrar::default();
        let now = Instant::now();
        let limits = Limits::chan_sip();
        let c = r
            .update(
                "2001",
                &register("<sip:2001@127.0.0.1:5072>", Some(300)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.added.len(), 1);
        assert_eq!(c.current[0].expiry, 300);
        assert_eq!(c.expires_header, Some(300));
        // Refresh: same contact, no addition.
        let c = r
            .update(
                "2001",
                &register("<sip:2001@127.0.0.1:5072>", Some(600)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert!(c.added.is_empty());
        assert_eq!(r.contacts("2001", now)[0].expiry, 600);
        // Above maxexpiry is capped; below minexpiry is refused.
        let c = r
            .update(
                "2001",
                &register("<sip:2001@127.0.0.1:5072>", Some(99999)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.current[0].expiry, 3600);
        assert_eq!(
            r.update(
                "2001",
                &register("<sip:2001@127.0.0.1:5072>", Some(5)),
                src(),
                &limits,
                now
            )
            .unwrap_err(),
            423
        );
        let c = r
            .update("2001", &register("*", Some(0)), src(), &limits, now)
            .unwrap();
        assert_eq!(c.removed.len(), 1);
        assert!(r.contacts("2001", now).is_empty());
        assert_eq!(
            r.update("2001", &register("*", Some(60)), src(), &limits, now)
                .unwrap_err(),
            400
        );
    }

    #[test]
    fn max_contacts_with_and_without_remove_existing() {
        let mut r = Registrar::default();
        let now = Instant::now();
        let mut limits = Limits::chan_sip();
        limits.remove_existing = false;
        r.update(
            "a",
            &register("<sip:a@10.0.0.1>", Some(120)),
            src(),
            &limits,
            now,
        )
        .unwrap();
        assert_eq!(
            r.update(
                "a",
                &register("<sip:a@10.0.0.2>", Some(120)),
                src(),
                &limits,
                now
            )
            .unwrap_err(),
            403
        );
        limits.remove_existing = true;
        let c = r
            .update(
                "a",
                &register("<sip:a@10.0.0.2>", Some(120)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.removed[0].uri, "sip:a@10.0.0.1");
        assert_eq!(r.contacts("a", now)[0].uri, "sip:a@10.0.0.2");
        // The new contact first, then the one that made room for it.
        let steps: Vec<(&str, Option<Removal>)> = c
            .steps
            .iter()
            .map(|s| match s {
                Step::Added(b) => (b.uri.as_str(), None),
                Step::Refreshed(b) => (b.uri.as_str(), None),
                Step::Removed(b, why) => (b.uri.as_str(), Some(*why)),
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("sip:a@10.0.0.2", None),
                ("sip:a@10.0.0.1", Some(Removal::RemoveExisting))
            ]
        );
        // A refresh, then a removal by request.
        let c = r
            .update(
                "a",
                &register("<sip:a@10.0.0.2>", Some(60)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert!(matches!(&c.steps[..], [Step::Refreshed(b)] if b.expiry == 60));
        let c = r
            .update(
                "a",
                &register("<sip:a@10.0.0.2>", Some(0)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert!(matches!(&c.steps[..], [Step::Removed(_, Removal::Request)]));
        r.update(
            "a",
            &register("<sip:a@10.0.0.2>", Some(120)),
            src(),
            &limits,
            now,
        )
        .unwrap();
        // Expired bindings are gone at the next look.
        assert!(r.contacts("a", now + Duration::from_secs(121)).is_empty());
    }

    #[test]
    fn pjsip_echoes_an_expires_header_only_when_the_request_had_one() {
        let mut r = Registrar::default();
        let now = Instant::now();
        let limits = Limits {
            expires_header: false,
            ..Limits::chan_sip()
        };
        // SIPp: `Expires: 120` → `Expires: 120` (register.pjsip.sip.log).
        let c = r
            .update(
                "2000",
                &register("<sip:2000@127.0.0.1:5062>", Some(120)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.expires_header, Some(120));
        let c = r
            .update(
                "2000",
                &register("<sip:2000@127.0.0.1:5062>", Some(0)),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.expires_header, Some(0));
        // baresip: `;expires=120` on the Contact only → no Expires header
        // (golden/asterisk-20.20.1/baresip/call.pjsip.out).
        let c = r
            .update(
                "2000",
                &register("<sip:2000@127.0.0.1:5082>;expires=120", None),
                src(),
                &limits,
                now,
            )
            .unwrap();
        assert_eq!(c.expires_header, None);
        assert_eq!(c.current[0].expiry, 120);
    }
}
