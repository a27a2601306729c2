//! Outbound registration of trunks: chan_sip's `register =>` lines and
//! pjsip's `type=registration` objects. Each is a small client that the SIP
//! task steps: it builds the REGISTER in its driver's layout, answers a
//! 401/407 challenge once per nonce, and says when to send again (refresh
//! before expiry, or retry after a failure).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::style::Answering;
use crate::config::views::pjsip::PjsipConf;
use crate::config::views::sip::SipGeneral;
use crate::sip::auth::{DigestChallenge, Secret};
use crate::sip::message::{Request, Response};
use crate::sip::{Method, Uri};

use super::endpoint::Flavor;
use super::style::random_u64;

/// One configured registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// pjsip's object name; chan_sip's `user@host`.
    pub name: String,
    /// The registrar as written, and its port if one was given.
    pub host: String,
    pub port: Option<u16>,
    /// The user whose binding this is (From/To).
    pub user: String,
    /// The domain of From/To when it is not the registrar's host.
    pub domain: Option<String>,
    /// The user part of our Contact (chan_sip's `/extension`, default `s`;
    /// pjsip's `contact_user`).
    pub contact_user: String,
    pub auth_user: String,
    pub secret: Option<String>,
    pub expiry: u32,
    /// How long after a failure to try again.
    pub retry: Duration,
    /// pjsip's server_uri as written (the Request-URI).
    pub server_uri: Option<String>,
    /// pjsip's client_uri as written.
    pub client_uri: Option<String>,
}

/// Why a configured registration cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistrationError {
    #[error(
        "Format for registration is [peer?][transport://]user[@domain][:secret[:authuser]]@host[:port][/extension][~expiry]"
    )]
    ChanSipSyntax,
    #[error("Invalid server URI '{0}' specified on outbound registration '{1}'")]
    ServerUri(String, String),
    #[error("Invalid client URI '{0}' specified on outbound registration '{1}'")]
    ClientUri(String, String),
}

/// Parses one chan_sip `register =>` value:
/// `[peer?][transport://]user[@domain][:secret[:authuser]]@host[:port][/extension][~expiry]`.
pub fn parse_chan_sip(
    value: &str,
    general: &SipGeneral,
) -> Result<Registration, RegistrationError> {
    let mut rest = value.trim();
    if let Some((_, r)) = rest.split_once('?') {
        rest = r;
    }
    if let Some((_, r)) = rest.split_once("://") {
        rest = r;
    }
    let mut expiry = general.defaultexpiry;
    if let Some((r, e)) = rest.rsplit_once('~') {
        expiry = e
            .trim()
            .parse()
            .map_err(|_| RegistrationError::ChanSipSyntax)?;
        rest = r;
    }
    let (userpart, hostpart) = rest
        .rsplit_once('@')
        .ok_or(RegistrationError::ChanSipSyntax)?;
    let (hostport, extension) = match hostpart.split_once('/') {
        Some((h, e)) => (h, Some(e)),
        None => (hostpart, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            Some(p.parse().map_err(|_| RegistrationError::ChanSipSyntax)?),
        ),
        None => (hostport, None),
    };
    let mut fields = userpart.splitn(3, ':');
    let user_domain = fields.next().unwrap_or_default();
    let secret = fields.next().map(str::to_string);
    let auth_user = fields.next().map(str::to_string);
    let (user, domain) = match user_domain.split_once('@') {
        Some((u, d)) => (u, Some(d.to_string())),
        None => (user_domain, None),
    };
    if user.is_empty() || host.is_empty() {
        return Err(RegistrationError::ChanSipSyntax);
    }
    Ok(Registration {
        name: format!("{user}@{host}"),
        host: host.to_string(),
        port,
        user: user.to_string(),
        domain,
        contact_user: extension
            .filter(|e| !e.is_empty())
            .unwrap_or("s")
            .to_string(),
        auth_user: auth_user.unwrap_or_else(|| user.to_string()),
        secret,
        expiry,
        retry: Duration::from_secs(u64::from(general.registertimeout)),
        server_uri: None,
        client_uri: None,
    })
}

/// The `type=registration` objects of pjsip.conf, each with the transport
/// it names.
pub fn pjsip_registrations(
    conf: &PjsipConf,
) -> Vec<Result<(Option<String>, Registration), RegistrationError>> {
    conf.others
        .iter()
        .filter(|o| o.kind == "registration")
        .map(|o| {
            let get = |k: &str| {
                o.options
                    .iter()
                    .rev()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.trim())
            };
            let server_uri = get("server_uri").unwrap_or_default().to_string();
            let client_uri = get("client_uri").unwrap_or_default().to_string();
            let server = Uri::parse(&server_uri)
                .map_err(|_| RegistrationError::ServerUri(server_uri.clone(), o.name.clone()))?;
            let client = Uri::parse(&client_uri)
                .map_err(|_| RegistrationError::ClientUri(client_uri.clone(), o.name.clone()))?;
            let auth = get("outbound_auth").and_then(|a| conf.auth(a.split(',').next()?.trim()));
            let number = |k: &str, default: u64| {
                get(k)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(default)
            };
            let transport = get("transport")
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            Ok((
                transport,
                Registration {
                    name: o.name.clone(),
                    host: server.host.to_string(),
                    port: server.port,
                    user: client.user.clone().unwrap_or_default(),
                    domain: Some(client.host.to_string()),
                    contact_user: get("contact_user").unwrap_or("s").to_string(),
                    auth_user: auth.map(|a| a.username.clone()).unwrap_or_default(),
                    secret: auth.map(|a| a.password.clone()),
                    expiry: number("expiration", 3600) as u32,
                    retry: Duration::from_secs(number("retry_interval", 60)),
                    server_uri: Some(server_uri),
                    client_uri: Some(client_uri),
                },
            ))
        })
        .collect()
}

/// Where a registration stands (`sip show registry`'s State column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Unregistered,
    RequestSent,
    AuthSent,
    Registered,
    Rejected,
    Timeout,
    NoAuth,
    Failed,
}

impl State {
    /// chan_sip's words (`regstate2str`).
    pub fn chan_sip_text(self) -> &'static str {
        match self {
            State::Unregistered => "Unregistered",
            State::RequestSent => "Request Sent",
            State::AuthSent => "Auth. Sent",
            State::Registered => "Registered",
            State::Rejected => "Rejected",
            State::Timeout => "Timeout",
            State::NoAuth => "No Authentication",
            State::Failed => "Failed",
        }
    }

    /// res_pjsip's three words for the outcome of the last response.
    pub fn pjsip_text(self) -> &'static str {
        match self {
            State::Registered => "Registered",
            State::Rejected | State::NoAuth | State::Failed | State::Timeout => "Rejected",
            State::Unregistered | State::RequestSent | State::AuthSent => "Unregistered",
        }
    }
}

/// What the CLI and AMI show of one registration; the SIP task keeps a
/// copy per registration up to date.
#[derive(Debug, Clone)]
pub struct Status {
    pub reg: Registration,
    /// Where the exchange stands now (chan_sip's `regstate`).
    pub state: State,
    /// The outcome of the last final response (pjsip's status).
    pub outcome: State,
    /// Seconds between renewals: the configured expiry until a registrar
    /// grants one (chan_sip's `refresh`).
    pub refresh: u32,
    /// When the last registration succeeded, in seconds since the epoch.
    pub registered_at: Option<i64>,
    /// When the next REGISTER is due, in seconds since the epoch.
    pub next_due: Option<i64>,
}

/// A registration being run.
pub struct Client {
    pub reg: Registration,
    pub target: SocketAddr,
    pub state: State,
    /// When to send next (None while a request is out).
    pub next_at: Option<Instant>,
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// The challenge answered last and how often its nonce was used.
    challenge: Option<Answering>,
    /// The registrar granted this many seconds last time.
    pub granted: Option<u32>,
    /// The Request-URI of a fresh request and of an answer to a challenge.
    uris: (Uri, Uri),
    /// The outcome of the last final response.
    pub outcome: State,
    /// When the registrar last accepted us (seconds since the epoch; the
    /// task stamps it from the wall clock).
    pub registered_at: Option<i64>,
}

/// What the task does after a response.
#[derive(Debug)]
pub enum Next {
    /// Send this request (an answered challenge).
    Send(Request),
    /// Wait for `next_at`.
    Wait,
}

impl Client {
    /// A client for `reg`; an error if its registrar does not make a URI.
    pub fn new(
        reg: Registration,
        target: SocketAddr,
        flavor: Flavor,
        now: Instant,
    ) -> Result<Client, RegistrationError> {
        let uri = |answering| {
            let text = request_uri(&reg, flavor, answering);
            Uri::parse(&text).map_err(|_| RegistrationError::ServerUri(text, reg.name.clone()))
        };
        let uris = (uri(false)?, uri(true)?);
        let call_id = flavor.new_call_id(target.ip());
        Ok(Client {
            uris,
            reg,
            target,
            state: State::Unregistered,
            next_at: Some(now),
            call_id,
            from_tag: flavor.new_tag(),
            // chan_sip counts from 101 and adds one before sending; pjsip
            // starts anywhere.
            cseq: match flavor {
                Flavor::ChanSip => 101,
                Flavor::Pjsip => (random_u64() as u32 & 0xffff) + 1,
            },
            challenge: None,
            granted: None,
            outcome: State::Unregistered,
            registered_at: None,
        })
    }

    /// The REGISTER to send now (the first of a round, or a refresh).
    pub fn request(&mut self, flavor: Flavor, local: SocketAddr) -> Request {
        self.state = State::RequestSent;
        self.next_at = None;
        self.build(flavor, local, false)
    }

    fn domain(&self) -> &str {
        self.reg.domain.as_deref().unwrap_or(&self.reg.host)
    }

    /// The URI the digest covers: the registrar with its port.
    fn digest_uri(&self) -> String {
        match &self.reg.server_uri {
            Some(u) => u.clone(),
            None => match self.reg.port {
                Some(p) if p != 5060 => format!("sip:{}:{p}", self.reg.host),
                _ => format!("sip:{}", self.reg.host),
            },
        }
    }

    fn build(&mut self, flavor: Flavor, local: SocketAddr, answering: bool) -> Request {
        self.cseq += 1;
        let uri = if answering {
            self.uris.1.clone()
        } else {
            self.uris.0.clone()
        };
        let mut req = Request::new(Method::Register, uri);
        let party = format!("<sip:{}@{}>", self.reg.user, self.domain());
        let contact = format!("<sip:{}@{local}>", self.reg.contact_user);
        let authorization = self.authorization(flavor);
        let h = &mut req.headers;
        match flavor {
            Flavor::ChanSip => {
                h.push(
                    "Via",
                    format!(
                        "SIP/2.0/UDP {local};branch=z9hG4bK{:08x}",
                        random_u64() as u32
                    ),
                );
                h.push("Max-Forwards", "70");
                h.push("From", format!("{party};tag={}", self.from_tag));
                h.push("To", party);
                h.push("Call-ID", self.call_id.clone());
                h.push("CSeq", format!("{} REGISTER", self.cseq));
                h.push("Supported", "replaces, timer");
                h.push("User-Agent", flavor.user_agent());
                if let Some((name, value)) = authorization {
                    h.push(name, value);
                }
                h.push("Expires", self.reg.expiry.to_string());
                h.push("Contact", contact);
            }
            Flavor::Pjsip => {
                h.push(
                    "Via",
                    format!(
                        "SIP/2.0/UDP {local};rport;branch=z9hG4bKPj{}",
                        crate::core::random_uuid()
                    ),
                );
                h.push("From", format!("{party};tag={}", self.from_tag));
                h.push("To", party);
                h.push("Call-ID", self.call_id.clone());
                h.push("CSeq", format!("{} REGISTER", self.cseq));
                h.push("Contact", contact);
                h.push("Expires", self.reg.expiry.to_string());
                h.push("Allow", super::style::PJSIP_ALLOW);
                h.push("Max-Forwards", "70");
                h.push("User-Agent", flavor.user_agent());
                if let Some((name, value)) = authorization {
                    h.push(name, value);
                }
            }
        }
        req
    }

    /// The answer to the last challenge, in the driver's layout.
    fn authorization(&mut self, flavor: Flavor) -> Option<(&'static str, String)> {
        let secret = self.reg.secret.clone()?;
        let uri = self.digest_uri();
        let answering = self.challenge.as_mut()?;
        flavor.authorization(
            answering,
            &Method::Register,
            &uri,
            &self.reg.auth_user,
            Secret::Password(&secret),
        )
    }

    /// The final response to our REGISTER.
    pub fn on_response(
        &mut self,
        flavor: Flavor,
        local: SocketAddr,
        resp: &Response,
        now: Instant,
    ) -> Next {
        match resp.status {
            100..=199 => Next::Wait,
            200..=299 => {
                let granted = granted_expiry(resp, self.reg.expiry);
                self.granted = Some(granted);
                self.state = State::Registered;
                self.outcome = State::Registered;
                self.next_at = Some(now + refresh_after(flavor, granted));
                Next::Wait
            }
            401 | 407 => {
                let proxy = resp.status == 407;
                let fresh = DigestChallenge::from_headers(&resp.headers, proxy).ok();
                let repeated = match (&fresh, &self.challenge) {
                    (Some(f), Some(old)) => {
                        f.nonce == old.challenge.nonce && self.state == State::AuthSent
                    }
                    _ => false,
                };
                match fresh {
                    // A second challenge to the same answer: the
                    // credentials are wrong.
                    Some(c) if !repeated && self.reg.secret.is_some() => {
                        self.challenge = Some(Answering::new(c, proxy));
                        self.state = State::AuthSent;
                        Next::Send(self.build(flavor, local, true))
                    }
                    _ => {
                        self.state = State::NoAuth;
                        self.outcome = State::NoAuth;
                        self.next_at = Some(now + self.reg.retry);
                        Next::Wait
                    }
                }
            }
            // chan_sip calls it "No Authentication"; pjsip "Rejected".
            403 => {
                self.state = State::NoAuth;
                self.outcome = State::NoAuth;
                self.next_at = Some(now + self.reg.retry);
                Next::Wait
            }
            _ => {
                self.state = State::Failed;
                self.outcome = State::Failed;
                self.next_at = Some(now + self.reg.retry);
                Next::Wait
            }
        }
    }

    /// The transaction timed out (no answer at all). chan_sip's own
    /// registration timer (`registertimeout`, shorter than a transaction's
    /// life) has run out too, and it sends afresh at once; pjsip takes it
    /// as a temporary failure and retries after `retry_interval`.
    pub fn on_timeout(&mut self, flavor: Flavor, now: Instant) {
        self.state = State::Timeout;
        self.outcome = State::Timeout;
        self.next_at = Some(match flavor {
            Flavor::ChanSip => now,
            Flavor::Pjsip => now + self.reg.retry,
        });
    }

    /// What the CLI and AMI show, at `now` (`unix_now` on the wall clock).
    pub fn status(&self, flavor: Flavor, now: Instant, unix_now: i64) -> Status {
        Status {
            reg: self.reg.clone(),
            state: self.state,
            outcome: self.outcome,
            refresh: match self.granted {
                Some(g) => refresh_after(flavor, g).as_secs() as u32,
                None => self.reg.expiry,
            },
            registered_at: self.registered_at,
            next_due: self
                .next_at
                // Whole seconds were scheduled; `now` is a little later.
                .map(|t| {
                    let left = t.saturating_duration_since(now) + Duration::from_millis(500);
                    unix_now + left.as_secs() as i64
                }),
        }
    }
}

/// The Request-URI. chan_sip names the port only in the first request of
/// a dialog (its answer to a challenge reuses the dialog, which no longer
/// has it); pjsip uses server_uri as written.
fn request_uri(reg: &Registration, flavor: Flavor, answering: bool) -> String {
    match (&reg.server_uri, flavor) {
        (Some(u), Flavor::Pjsip) => u.clone(),
        _ => match reg.port {
            Some(p) if p != 5060 && !answering => format!("sip:{}:{p}", reg.host),
            _ => format!("sip:{}", reg.host),
        },
    }
}

/// The expiry the registrar granted: our Contact's `expires`, else the
/// Expires header, else what we asked for.
fn granted_expiry(resp: &Response, asked: u32) -> u32 {
    let from_contact = resp.headers.contacts().ok().and_then(|cs| {
        cs.into_iter()
            .find_map(|c| c.params.get("expires").flatten()?.trim().parse().ok())
    });
    from_contact
        .or_else(|| {
            resp.headers
                .get("Expires")
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(asked)
}

/// When to refresh a binding granted for `secs`: chan_sip 15 s before it
/// ends (for grants over 30 s, else at 80 %); pjsip 10 s before.
fn refresh_after(flavor: Flavor, secs: u32) -> Duration {
    let secs = u64::from(secs);
    let at = match flavor {
        Flavor::ChanSip if secs > 30 => secs - 15,
        Flavor::ChanSip => secs * 4 / 5,
        Flavor::Pjsip if secs > 10 => secs - 10,
        Flavor::Pjsip => secs.max(1),
    };
    Duration::from_secs(at.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general() -> SipGeneral {
        SipGeneral::default()
    }

    #[test]
    fn chan_sip_register_lines() {
        let r = parse_chan_sip("3000:trunkpass3000@127.0.0.1:5064/3000~120", &general()).unwrap();
        assert_eq!(
            (
                r.user.as_str(),
                r.host.as_str(),
                r.port,
                r.contact_user.as_str()
            ),
            ("3000", "127.0.0.1", Some(5064), "3000")
        );
        assert_eq!(
            (r.secret.as_deref(), r.auth_user.as_str(), r.expiry),
            (Some("trunkpass3000"), "3000", 120)
        );
        let r = parse_chan_sip(
            "trunk?udp://alice@example.com:pw:authname@sip.example.net",
            &general(),
        )
        .unwrap();
        assert_eq!(r.domain.as_deref(), Some("example.com"));
        assert_eq!(r.auth_user, "authname");
        assert_eq!(r.contact_user, "s");
        assert_eq!(r.expiry, 120);
        assert_eq!(r.port, None);
        assert_eq!(
            parse_chan_sip("no-at-sign", &general()),
            Err(RegistrationError::ChanSipSyntax)
        );
    }

    fn response(text: &str) -> Response {
        match crate::sip::message::parse_datagram(text.as_bytes()) {
            Ok(crate::sip::message::Message::Response(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    /// The reference's exchange (golden register_out.chan_sip.sip.log):
    /// REGISTER, 401 with qop=auth, REGISTER answering it, 200.
    #[test]
    fn challenge_answered_once_then_registered() {
        let reg = parse_chan_sip("3000:trunkpass3000@127.0.0.1:5064/3000~120", &general()).unwrap();
        let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let now = Instant::now();
        let mut c =
            Client::new(reg, "127.0.0.1:5064".parse().unwrap(), Flavor::ChanSip, now).unwrap();
        let first = c.request(Flavor::ChanSip, local);
        assert_eq!(first.uri.to_string(), "sip:127.0.0.1:5064");
        assert_eq!(first.headers.get("CSeq"), Some("102 REGISTER"));
        assert_eq!(
            first.headers.get("Contact"),
            Some("<sip:3000@127.0.0.1:5060>")
        );
        let names: Vec<_> = first.headers.0.iter().map(|h| h.name.to_string()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "Max-Forwards",
                "From",
                "To",
                "Call-ID",
                "CSeq",
                "Supported",
                "User-Agent",
                "Expires",
                "Contact"
            ]
        );
        let challenge = response(
            "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:3000@127.0.0.1>;tag=a\r\nTo: <sip:3000@127.0.0.1>;tag=b\r\nCall-ID: x\r\nCSeq: 102 REGISTER\r\nWWW-Authenticate: Digest realm=\"registrar.test\", nonce=\"4a6f8b2c9d1e3f50\", qop=\"auth\", algorithm=MD5\r\nContent-Length: 0\r\n\r\n",
        );
        let Next::Send(second) = c.on_response(Flavor::ChanSip, local, &challenge, now) else {
            panic!("the challenge is answered");
        };
        assert_eq!(second.uri.to_string(), "sip:127.0.0.1");
        assert_eq!(second.headers.get("CSeq"), Some("103 REGISTER"));
        let auth = second.headers.get("Authorization").unwrap();
        assert!(auth.starts_with("Digest username=\"3000\", realm=\"registrar.test\", algorithm=MD5, uri=\"sip:127.0.0.1:5064\", nonce=\"4a6f8b2c9d1e3f50\", response=\""), "{auth}");
        assert!(auth.ends_with(", nc=00000001"), "{auth}");
        // The same nonce again: the password is wrong; no third try.
        assert!(matches!(
            c.on_response(Flavor::ChanSip, local, &challenge, now),
            Next::Wait
        ));
        assert_eq!(c.state, State::NoAuth);
        assert_eq!(c.next_at, Some(now + Duration::from_secs(20)));
        let ok = response(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:3000@127.0.0.1>;tag=a\r\nTo: <sip:3000@127.0.0.1>;tag=b\r\nCall-ID: x\r\nCSeq: 103 REGISTER\r\nContact:  <sip:3000@127.0.0.1:5060>;expires=90\r\nExpires: 120\r\nContent-Length: 0\r\n\r\n",
        );
        c.on_response(Flavor::ChanSip, local, &ok, now);
        assert_eq!(c.state, State::Registered);
        assert_eq!(c.granted, Some(90));
        assert_eq!(c.next_at, Some(now + Duration::from_secs(75)));
    }
}
