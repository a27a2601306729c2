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
use crate::core::logger::{Level, Site};
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
    /// When to give up.
    pub giving_up: GivingUp,
    /// pjsip's server_uri as written (the Request-URI).
    pub server_uri: Option<String>,
    /// pjsip's client_uri as written.
    pub client_uri: Option<String>,
    /// pjsip's `max_random_initial_delay`: a (re)started registration
    /// waits one second plus a random part below this many.
    pub max_initial_delay: u32,
}

/// When a driver stops trying a registration that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivingUp {
    /// chan_sip: `registerattempts` unanswered tries (0: never), and
    /// whether a 403 is retried (`register_retry_403`) rather than final;
    /// a registrar's Min-Expires above `max_expiry` (`maxexpiry`) is
    /// refused.
    ChanSip {
        attempts: u32,
        retry_403: bool,
        max_expiry: u32,
    },
    /// res_pjsip: `max_retries` temporary failures; a failed challenge is
    /// final when `auth_rejection_permanent`; a 403 or another final
    /// failure is retried after `forbidden_retry_interval` /
    /// `fatal_retry_interval` (0: not retried).
    Pjsip {
        max_retries: u32,
        auth_rejection_permanent: bool,
        forbidden_retry: Duration,
        fatal_retry: Duration,
    },
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
        giving_up: GivingUp::ChanSip {
            attempts: u32::try_from(general.settings.registerattempts).unwrap_or(0),
            retry_403: general.settings.register_retry_403,
            max_expiry: u32::try_from(general.settings.maxexpiry).unwrap_or(0),
        },
        server_uri: None,
        client_uri: None,
        max_initial_delay: 0,
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
                    giving_up: GivingUp::Pjsip {
                        max_retries: u32::try_from(number("max_retries", 10)).unwrap_or(10),
                        auth_rejection_permanent: get("auth_rejection_permanent")
                            .is_none_or(crate::config::is_true),
                        forbidden_retry: Duration::from_secs(number("forbidden_retry_interval", 0)),
                        fatal_retry: Duration::from_secs(number("fatal_retry_interval", 0)),
                    },
                    server_uri: Some(server_uri),
                    client_uri: Some(client_uri),
                    max_initial_delay: u32::try_from(number("max_random_initial_delay", 10))
                        .unwrap_or(10),
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
    /// Dropped by `*all` and waiting for its last exchange: no longer
    /// listed or found by name.
    pub retired: bool,
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
    /// REGISTERs sent since the last success (chan_sip's `regattempts`)
    /// and failures retried (res_pjsip's `retries`).
    sent: u32,
    retries: u32,
    /// What the driver logs about the last outcome (level, text), for the
    /// task to write.
    pub log: Vec<(crate::core::logger::Level, Site<'static>, String)>,
    /// When the last scheduled REGISTER was due (res_pjsip's
    /// `registration_expires`, which the CLI counts down even after an
    /// unregistration cancelled it).
    last_due: Option<Instant>,
    /// The request out (or being answered after a challenge) removes the
    /// binding (Expires: 0).
    unregistering: bool,
    /// PJSIPUnregister `*all` dropped this registration: once its last
    /// exchange ends it is forgotten (res_pjsip's state destruction).
    pub retired: bool,
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
            sent: 0,
            retries: 0,
            log: Vec::new(),
            last_due: None,
            unregistering: false,
            retired: false,
        })
    }

    /// The REGISTER to send now (the first of a round, or a refresh).
    pub fn request(&mut self, flavor: Flavor, local: SocketAddr) -> Request {
        self.state = State::RequestSent;
        self.last_due = self.next_at.or(self.last_due);
        self.next_at = None;
        self.unregistering = false;
        self.build(flavor, local, false)
    }

    /// The REGISTER that removes our binding (pjsip_regc_unregister, sent by
    /// PJSIPUnregister and its CLI form): no refresh stays scheduled.
    pub fn unregister(&mut self, flavor: Flavor, local: SocketAddr) -> Request {
        self.last_due = self.next_at.or(self.last_due);
        self.next_at = None;
        self.unregistering = true;
        self.build(flavor, local, false)
    }

    /// res_pjsip's `sip_outbound_registration_perform` after PJSIPRegister:
    /// the failures counted so far are forgotten and a REGISTER is
    /// scheduled one second (plus the random initial delay) from `now`.
    pub fn schedule_register(&mut self, now: Instant) {
        self.retries = 0;
        let extra = match self.reg.max_initial_delay {
            0 => 0,
            max => random_u64() % u64::from(max),
        };
        let at = now + Duration::from_secs(1 + extra);
        self.next_at = Some(at);
        self.last_due = Some(at);
    }

    /// Whether the request out removes the binding.
    pub fn is_unregistering(&self) -> bool {
        self.unregistering
    }

    /// Whether the registration is bound now (res_pjsip's REGISTERED).
    pub fn is_registered(&self) -> bool {
        self.outcome == State::Registered
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
        self.sent += 1;
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
                h.push(
                    "Expires",
                    if self.unregistering {
                        "0".to_string()
                    } else {
                        self.reg.expiry.to_string()
                    },
                );
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
                if self.unregistering {
                    // pjsip_regc_unregister adds no Allow.
                    h.push("Expires", "0");
                } else {
                    h.push("Expires", self.reg.expiry.to_string());
                    h.push("Allow", super::style::PJSIP_ALLOW);
                }
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
            200..=299 if self.unregistering => {
                // A removed binding: nothing more is scheduled here (an
                // unregistration cancelled the refresh; a PJSIPRegister
                // has scheduled its own REGISTER).
                self.unregistering = false;
                self.state = State::Unregistered;
                self.outcome = State::Unregistered;
                Next::Wait
            }
            200..=299 => {
                let granted = granted_expiry(resp, self.reg.expiry);
                self.granted = Some(granted);
                self.state = State::Registered;
                self.outcome = State::Registered;
                self.next_at = Some(now + refresh_after(flavor, granted));
                self.sent = 0;
                self.retries = 0;
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
                        if flavor == Flavor::ChanSip {
                            self.log.push((
                                Level::Notice,
                                chan_sip(24846, "handle_response_register"),
                                format!(
                                    "Failed to authenticate on REGISTER to '{}@{}' (Tries {})",
                                    self.reg.user, self.reg.host, self.sent
                                ),
                            ));
                        }
                        self.failed(State::NoAuth, resp, now)
                    }
                }
            }
            423 => self.too_brief(flavor, local, resp, now),
            // chan_sip calls it "No Authentication"; pjsip "Rejected".
            403 => self.failed(State::NoAuth, resp, now),
            _ => self.failed(State::Failed, resp, now),
        }
    }

    /// 423 Interval Too Brief: both drivers ask again at once for the
    /// registrar's Min-Expires. chan_sip takes the header as `atoi` reads
    /// it and gives up when it exceeds `maxexpiry`; pjsip (`pjsip_regc`)
    /// guesses 3601 once when the header is missing, and fails when it
    /// already asked for as much.
    fn too_brief(
        &mut self,
        flavor: Flavor,
        local: SocketAddr,
        resp: &Response,
        now: Instant,
    ) -> Next {
        let header = resp.headers.get("Min-Expires");
        match self.reg.giving_up {
            GivingUp::ChanSip { max_expiry, .. } => {
                let min = header
                    .map(crate::apps::builtins::atoi)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0);
                let (user, host) = (self.reg.user.clone(), self.reg.host.clone());
                self.log.push((
                    Level::Warning,
                    chan_sip(24889, "handle_response_register"),
                    format!(
                        "Got 423 Interval too brief for service {user}@{host}, minimum is {min} seconds"
                    ),
                ));
                if min > max_expiry {
                    self.log.push((
                        Level::Warning,
                        chan_sip(24895, "handle_response_register"),
                        format!(
                            "Required expiration time from {user}@{host} is too high, giving up"
                        ),
                    ));
                    self.state = State::Rejected;
                    self.outcome = State::Rejected;
                    self.next_at = None;
                    return Next::Wait;
                }
                self.reg.expiry = min;
                self.state = State::Unregistered;
                self.outcome = State::Unregistered;
                Next::Send(self.request(flavor, local))
            }
            GivingUp::Pjsip { .. } => {
                const UNSPECIFIED_MIN_EXPIRES: u32 = 3601;
                let min = match header {
                    Some(v) => v.trim().parse::<u32>().ok(),
                    None => (self.reg.expiry != UNSPECIFIED_MIN_EXPIRES)
                        .then_some(UNSPECIFIED_MIN_EXPIRES),
                };
                match min {
                    Some(min) if self.reg.expiry < min => {
                        self.reg.expiry = min;
                        Next::Send(self.request(flavor, local))
                    }
                    _ => self.failed(State::Failed, resp, now),
                }
            }
        }
    }

    /// A final failure: when (and whether) to try again, as each driver
    /// decides, and what it logs.
    fn failed(&mut self, state: State, resp: &Response, now: Instant) -> Next {
        self.unregistering = false;
        self.state = state;
        self.outcome = state;
        let code = resp.status;
        match self.reg.giving_up {
            GivingUp::ChanSip { retry_403, .. } => {
                let (user, host) = (&self.reg.user, &self.reg.host);
                let give_up = |line, text: String| {
                    Some((
                        Level::Warning,
                        chan_sip(line, "handle_response_register"),
                        text,
                    ))
                };
                let (stop, log) = match code {
                    403 if retry_403 => (
                        false,
                        Some((
                            Level::Notice,
                            chan_sip(24852, "handle_response_register"),
                            format!(
                                "Treating 403 response to REGISTER as non-fatal for {user}@{host}"
                            ),
                        )),
                    ),
                    403 => (
                        true,
                        give_up(
                            24858,
                            format!(
                                "Forbidden - wrong password on authentication for REGISTER for '{user}' to '{host}'"
                            ),
                        ),
                    ),
                    404 => (
                        true,
                        give_up(
                            24865,
                            format!(
                                "Got 404 Not found on SIP register to service {user}@{host}, giving up"
                            ),
                        ),
                    ),
                    400 | 414 | 493 | 479 => (
                        true,
                        give_up(
                            24909,
                            format!(
                                "Got error {code} on register to {user}@{host}, giving up (check config)"
                            ),
                        ),
                    ),
                    _ => (false, None),
                };
                if matches!(code, 404 | 400 | 414 | 493 | 479) {
                    self.state = State::Rejected;
                    self.outcome = State::Rejected;
                }
                if log.is_some() {
                    self.log.extend(log);
                }
                self.next_at = (!stop).then(|| now + self.reg.retry);
            }
            GivingUp::Pjsip { .. } => {
                let retry_after = resp
                    .headers
                    .get("Retry-After")
                    .and_then(|v| v.split([';', '(']).next()?.trim().parse::<u64>().ok());
                self.pjsip_failure(code, retry_after.map(Duration::from_secs), true, now);
            }
        }
        Next::Wait
    }

    /// res_pjsip's handling of a failed attempt (`code` 408 with no
    /// response when nothing came back).
    fn pjsip_failure(
        &mut self,
        code: u16,
        retry_after: Option<Duration>,
        answered: bool,
        now: Instant,
    ) {
        let GivingUp::Pjsip {
            max_retries,
            auth_rejection_permanent,
            forbidden_retry,
            fatal_retry,
        } = self.reg.giving_up
        else {
            return;
        };
        let server = self.reg.server_uri.clone().unwrap_or_default();
        let client = self.reg.client_uri.clone().unwrap_or_default();
        let temporal = matches!(code, 408 | 500 | 502 | 503 | 504 | 600..=699)
            || (matches!(code, 401 | 407) && !auth_rejection_permanent);
        let retry_in = |this: &mut Client, wait: Duration, site: Site<'static>, text: String| {
            this.next_at = Some(now + wait);
            this.log.push((Level::Warning, site, text));
        };
        // schedule_retry logs a retry with or without an answer from its
        // own two lines.
        let temporal_site = if answered {
            pjsip(1212, "schedule_retry")
        } else {
            pjsip(1216, "schedule_retry")
        };
        let temporal_text = |wait: Duration| {
            if answered {
                format!(
                    "Temporal response '{code}' received from '{server}' on registration attempt to '{client}', retrying in '{}'",
                    wait.as_secs()
                )
            } else {
                format!(
                    "No response received from '{server}' on registration attempt to '{client}', retrying in '{}'",
                    wait.as_secs()
                )
            }
        };
        if let Some(wait) = retry_after {
            retry_in(self, wait, temporal_site, temporal_text(wait));
        } else if !self.reg.retry.is_zero() && temporal {
            if self.retries == max_retries {
                self.next_at = None;
                self.log.push((
                    Level::Warning,
                    pjsip(1522, "handle_registration_response"),
                    format!(
                        "Maximum retries reached when attempting outbound registration to '{server}' with client '{client}', stopping registration attempt"
                    ),
                ));
            } else {
                self.retries += 1;
                let wait = self.reg.retry;
                retry_in(self, wait, temporal_site, temporal_text(wait));
            }
        } else if code == 403 && !forbidden_retry.is_zero() && self.retries < max_retries {
            self.retries += 1;
            retry_in(
                self,
                forbidden_retry,
                pjsip(1537, "handle_registration_response"),
                format!(
                    "403 Forbidden fatal response received from '{server}' on registration attempt to '{client}', retrying in '{}' seconds",
                    forbidden_retry.as_secs()
                ),
            );
        } else if !fatal_retry.is_zero() && self.retries < max_retries {
            self.retries += 1;
            retry_in(
                self,
                fatal_retry,
                pjsip(1545, "handle_registration_response"),
                format!(
                    "'{code}' fatal response received from '{server}' on registration attempt to '{client}', retrying in '{}' seconds",
                    fatal_retry.as_secs()
                ),
            );
        } else {
            self.next_at = None;
            self.log.push((
                Level::Warning,
                if answered {
                    pjsip(1551, "handle_registration_response")
                } else {
                    pjsip(1554, "handle_registration_response")
                },
                if answered {
                    format!(
                        "Fatal response '{code}' received from '{server}' on registration attempt to '{client}', stopping outbound registration"
                    )
                } else {
                    format!(
                        "Fatal registration attempt to '{client}', stopping outbound registration"
                    )
                },
            ));
        }
    }

    /// The transaction timed out (no answer at all). chan_sip's own
    /// registration timer (`registertimeout`, shorter than a transaction's
    /// life) has run out too, and it sends afresh at once; pjsip takes it
    /// as a temporary failure and retries after `retry_interval`.
    pub fn on_timeout(&mut self, flavor: Flavor, now: Instant) {
        self.unregistering = false;
        self.state = State::Timeout;
        self.outcome = State::Timeout;
        match (flavor, self.reg.giving_up) {
            (Flavor::ChanSip, GivingUp::ChanSip { attempts, .. }) => {
                let (user, host) = (&self.reg.user, &self.reg.host);
                if attempts > 0 && self.sent >= attempts {
                    self.state = State::Failed;
                    self.outcome = State::Failed;
                    self.next_at = None;
                    self.log.push((
                        Level::Notice,
                        chan_sip(16057, "sip_reg_timeout"),
                        format!(
                            "   -- Last Registration Attempt #{} failed, Giving up forever trying to register '{user}@{host}'",
                            self.sent
                        ),
                    ));
                } else {
                    self.next_at = Some(now);
                    self.log.push((
                        Level::Notice,
                        chan_sip(16062, "sip_reg_timeout"),
                        format!(
                            "   -- Registration for '{user}@{host}' timed out, trying again (Attempt #{})",
                            self.sent + 1
                        ),
                    ));
                }
            }
            _ => self.pjsip_failure(408, None, false, now),
        }
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
            retired: self.retired,
            next_due: self.next_at.or(self.last_due).map(|t| {
                // Whole seconds were scheduled; `now` is a little later.
                // A time gone by counts back (the CLI's "s ago").
                if t >= now {
                    let left = (t - now) + Duration::from_millis(500);
                    unix_now + left.as_secs() as i64
                } else {
                    let gone = now - t;
                    unix_now - gone.as_secs() as i64
                }
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

#[cfg(test)]
mod giving_up_tests {
    use super::*;

    fn status(code: u16, extra: &str) -> Response {
        let text = format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:3000@127.0.0.1>;tag=a\r\nTo: <sip:3000@127.0.0.1>;tag=b\r\nCall-ID: x\r\nCSeq: 102 REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match crate::sip::message::parse_datagram(text.as_bytes()) {
            Ok(crate::sip::message::Message::Response(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn client(flavor: Flavor, giving_up: GivingUp) -> Client {
        let mut reg = parse_chan_sip("3000:pw@127.0.0.1:5064", &SipGeneral::default()).unwrap();
        reg.giving_up = giving_up;
        reg.retry = Duration::from_secs(60);
        reg.server_uri = Some("sip:127.0.0.1:5064".into());
        reg.client_uri = Some("sip:3000@127.0.0.1".into());
        Client::new(
            reg,
            "127.0.0.1:5064".parse().unwrap(),
            flavor,
            Instant::now(),
        )
        .unwrap()
    }

    const PJSIP: GivingUp = pjsip(true, Duration::ZERO);

    const fn pjsip(auth_rejection_permanent: bool, forbidden_retry: Duration) -> GivingUp {
        GivingUp::Pjsip {
            max_retries: 2,
            auth_rejection_permanent,
            forbidden_retry,
            fatal_retry: Duration::ZERO,
        }
    }

    fn logged(c: &mut Client) -> String {
        c.log
            .drain(..)
            .map(|(_, _, t)| t)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The Expires header of a REGISTER about to be sent.
    fn expires_sent(next: Next) -> String {
        match next {
            Next::Send(req) => req.headers.get("Expires").unwrap_or("").to_string(),
            Next::Wait => panic!("nothing sent"),
        }
    }

    #[test]
    fn unregistration_removes_the_binding_and_schedules_nothing() {
        let now = Instant::now();
        let local: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        let mut c = client(Flavor::Pjsip, PJSIP);
        let _ = c.request(Flavor::Pjsip, local);
        c.on_response(Flavor::Pjsip, local, &status(200, "Expires: 120\r\n"), now);
        assert!(c.is_registered());
        let due = c.next_at;
        assert!(due.is_some());

        let req = c.unregister(Flavor::Pjsip, local);
        assert_eq!(req.headers.get("Expires"), Some("0"));
        assert_eq!(req.headers.get("Allow"), None);
        assert_eq!(c.next_at, None);
        // A challenge is answered with the same removal.
        let challenge = status(
            401,
            "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", algorithm=MD5\r\n",
        );
        assert_eq!(
            expires_sent(c.on_response(Flavor::Pjsip, local, &challenge, now)),
            "0"
        );
        c.on_response(Flavor::Pjsip, local, &status(200, ""), now);
        assert_eq!(c.outcome, State::Unregistered);
        assert_eq!(c.next_at, None);
        // The CLI still counts down to the refresh that was cancelled.
        assert!(c.status(Flavor::Pjsip, now, 1000).next_due.is_some());

        // PJSIPRegister: a REGISTER a second later (no random delay here),
        // asking for the configured expiry again.
        c.schedule_register(now);
        assert_eq!(c.next_at, Some(now + Duration::from_secs(1)));
        let req = c.request(Flavor::Pjsip, local);
        assert_eq!(req.headers.get("Expires"), Some("120"));
        assert!(req.headers.get("Allow").is_some());
    }

    #[test]
    fn interval_too_brief_asks_again_for_min_expires() {
        let now = Instant::now();
        let chan_sip = GivingUp::ChanSip {
            attempts: 0,
            retry_403: false,
            max_expiry: 3600,
        };
        let mut c = client(Flavor::ChanSip, chan_sip);
        let too_brief = status(423, "Min-Expires: 600\r\n");
        assert_eq!(
            expires_sent(c.on_response(Flavor::ChanSip, c.target, &too_brief, now)),
            "600"
        );
        assert_eq!(c.state, State::RequestSent);
        assert_eq!(
            logged(&mut c),
            "Got 423 Interval too brief for service 3000@127.0.0.1, minimum is 600 seconds"
        );
        // More than maxexpiry: chan_sip gives up.
        let mut c = client(Flavor::ChanSip, chan_sip);
        let next = c.on_response(
            Flavor::ChanSip,
            c.target,
            &status(423, "Min-Expires: 7200\r\n"),
            now,
        );
        assert!(matches!(next, Next::Wait));
        assert_eq!((c.state, c.next_at), (State::Rejected, None));
        assert_eq!(
            logged(&mut c),
            "Got 423 Interval too brief for service 3000@127.0.0.1, minimum is 7200 seconds\n\
             Required expiration time from 3000@127.0.0.1 is too high, giving up"
        );
        // pjsip: once for the Min-Expires; a second 423 when it already
        // asked for that much is a failure.
        let mut c = client(Flavor::Pjsip, PJSIP);
        assert_eq!(
            expires_sent(c.on_response(Flavor::Pjsip, c.target, &too_brief, now)),
            "600"
        );
        assert!(logged(&mut c).is_empty());
        let next = c.on_response(Flavor::Pjsip, c.target, &too_brief, now);
        assert!(matches!(next, Next::Wait));
        assert_eq!((c.state, c.next_at), (State::Failed, None));
        // Without Min-Expires pjsip guesses 3601, once.
        let mut c = client(Flavor::Pjsip, PJSIP);
        let bare = status(423, "");
        assert_eq!(
            expires_sent(c.on_response(Flavor::Pjsip, c.target, &bare, now)),
            "3601"
        );
        let next = c.on_response(Flavor::Pjsip, c.target, &bare, now);
        assert!(matches!(next, Next::Wait));
        assert_eq!(c.state, State::Failed);
    }

    #[test]
    fn pjsip_retries_temporary_failures_up_to_max_retries() {
        let now = Instant::now();
        let mut c = client(Flavor::Pjsip, PJSIP);
        for _ in 0..2 {
            c.on_response(Flavor::Pjsip, c.target, &status(503, ""), now);
            assert_eq!(c.next_at, Some(now + Duration::from_secs(60)));
            assert_eq!(
                logged(&mut c),
                "Temporal response '503' received from 'sip:127.0.0.1:5064' on registration attempt to 'sip:3000@127.0.0.1', retrying in '60'"
            );
        }
        c.on_timeout(Flavor::Pjsip, now);
        assert_eq!(c.next_at, None);
        assert_eq!(
            logged(&mut c),
            "Maximum retries reached when attempting outbound registration to 'sip:127.0.0.1:5064' with client 'sip:3000@127.0.0.1', stopping registration attempt"
        );
        // Retry-After wins over the count.
        let mut c = client(Flavor::Pjsip, PJSIP);
        c.on_response(
            Flavor::Pjsip,
            c.target,
            &status(503, "Retry-After: 5\r\n"),
            now,
        );
        assert_eq!(c.next_at, Some(now + Duration::from_secs(5)));
    }

    #[test]
    fn pjsip_final_failures_stop_unless_an_interval_is_set() {
        let now = Instant::now();
        let mut c = client(Flavor::Pjsip, PJSIP);
        c.on_response(Flavor::Pjsip, c.target, &status(403, ""), now);
        assert_eq!(c.next_at, None);
        assert_eq!(
            logged(&mut c),
            "Fatal response '403' received from 'sip:127.0.0.1:5064' on registration attempt to 'sip:3000@127.0.0.1', stopping outbound registration"
        );
        let mut c = client(Flavor::Pjsip, pjsip(true, Duration::from_secs(30)));
        c.on_response(Flavor::Pjsip, c.target, &status(403, ""), now);
        assert_eq!(c.next_at, Some(now + Duration::from_secs(30)));
        // A failed challenge is temporary when auth rejections are not
        // permanent.
        let mut c = client(Flavor::Pjsip, pjsip(false, Duration::ZERO));
        c.on_response(Flavor::Pjsip, c.target, &status(401, ""), now);
        assert_eq!(c.next_at, Some(now + Duration::from_secs(60)));
    }

    #[test]
    fn chan_sip_gives_up_on_403_404_and_after_registerattempts() {
        let now = Instant::now();
        let chan_sip = |attempts, retry_403| GivingUp::ChanSip {
            attempts,
            retry_403,
            max_expiry: 3600,
        };
        let mut c = client(Flavor::ChanSip, chan_sip(0, false));
        c.on_response(Flavor::ChanSip, c.target, &status(403, ""), now);
        assert_eq!((c.next_at, c.state), (None, State::NoAuth));
        assert_eq!(
            logged(&mut c),
            "Forbidden - wrong password on authentication for REGISTER for '3000' to '127.0.0.1'"
        );
        let mut c = client(Flavor::ChanSip, chan_sip(0, true));
        c.on_response(Flavor::ChanSip, c.target, &status(403, ""), now);
        assert!(c.next_at.is_some());
        let mut c = client(Flavor::ChanSip, chan_sip(0, false));
        c.on_response(Flavor::ChanSip, c.target, &status(404, ""), now);
        assert_eq!((c.next_at, c.state), (None, State::Rejected));
        // Two unanswered REGISTERs with registerattempts=2: given up.
        let mut c = client(Flavor::ChanSip, chan_sip(2, false));
        let _ = c.request(Flavor::ChanSip, c.target);
        c.on_timeout(Flavor::ChanSip, now);
        assert_eq!(
            logged(&mut c),
            "   -- Registration for '3000@127.0.0.1' timed out, trying again (Attempt #2)"
        );
        let _ = c.request(Flavor::ChanSip, c.target);
        c.on_timeout(Flavor::ChanSip, now);
        assert_eq!((c.next_at, c.state), (None, State::Failed));
        assert_eq!(
            logged(&mut c),
            "   -- Last Registration Attempt #2 failed, Giving up forever trying to register '3000@127.0.0.1'"
        );
    }
}

/// Where chan_sip.c logs a registration outcome.
const fn chan_sip(line: u32, function: &'static str) -> Site<'static> {
    Site {
        file: "chan_sip.c",
        function,
        line,
    }
}

/// Where res_pjsip_outbound_registration.c logs a registration outcome.
const fn pjsip(line: u32, function: &'static str) -> Site<'static> {
    Site {
        file: "res_pjsip_outbound_registration.c",
        function,
        line,
    }
}
