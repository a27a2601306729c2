//! The SIP user agent behind chan_sip and chan_pjsip: one tokio task per
//! listening socket owns the sans-IO transaction layer, the calls and the
//! registrar. Datagrams, driver commands (answer, hang up, indicate) and
//! timers go in; everything the task decides comes out of the same loop,
//! so no lock is held across the network and no call has a task of its
//! own for signalling.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::callheaders::{self, CallHeaders};
use super::endpoint::{self, Endpoint, Flavor};
use super::outbound;
use super::qualify;
use super::registrar::{self, Registrar};
use super::regstore;
use super::style::{self, random_u64};
use super::tcp;
use crate::apps::AppCtx;
use crate::channels::rtp::{PortRange, RtpPort, bind_pair};
use crate::channels::{ChanState, Channel, Driver, Indication, NewChannel};
use crate::core::System;
use crate::core::testsuite;
use crate::core::{lock, unix_seconds};
use crate::manager::security::Kind;
use crate::media::Codec;
use crate::media::rtp::RtpConfig;
use crate::sip::Via;
use crate::sip::auth::{
    DigestChallenge, DigestCredentials, NonceIssuer, Rejection, Verdict, verify,
};
use crate::sip::dialog::Dialog;
use crate::sip::message::{Method, Request, parse_datagram_tolerant};
use crate::sip::sdp::{self, Sdp};
use crate::sip::timer::{self, Asked, Decision};
use crate::sip::transaction::{self, Event, Input, Output, TransactionId, Transactions, Transport};

// What the manager and the CLI ask the task to send (NOTIFY, qualify).
mod message;
mod mwi;
mod oob;
mod outreg;
mod reject;
pub use reject::Reject;
// Extension-state subscriptions (BLF, presence): the dialogs, chan_sip's
// checks and NOTIFYs, and pjsip's.
mod pubsub;
// chan_sip's per-peer counts of calls in use, ringing and on hold.
mod counters;
// chan_sip's BLF pickup by a `pickup-` Replaces.
mod blf;
pub use counters::PeerCalls;
// Transfers by REFER.
mod refer;
mod refer_pjsip;
mod replaces;
mod subscribe;
mod transfer;

/// What channel drivers ask of the task.
#[derive(Debug)]
pub enum Command {
    /// Place an outgoing call prepared by [`SipStack::dial`].
    Call(Box<Outgoing>),
    Answer(u64),
    Hangup(u64, u32),
    Indicate(u64, Indication),
    /// Send an out-of-dialog NOTIFY (the manager's, the CLI's).
    Notify(Box<super::notify::Notify>),
    /// Send a NOTIFY inside a call's dialog; the answer says whether
    /// there was one.
    NotifyInDialog(Box<super::notify::InDialog>),
    /// Probe a device's contacts now (SIPqualifypeer, PJSIPQualify).
    Qualify(String),
    /// Send a MESSAGE outside any call (MessageSend).
    Message(Box<super::message::Outgoing>),
    /// Send text (a MESSAGE in the call's dialog) of a content type.
    SendText(u64, String, Option<String>),
    /// Send an INFO in the call's dialog: its content type and body.
    SendInfo(u64, &'static str, String),
    /// PJSIPUnregister / `pjsip send unregister`: one outbound
    /// registration by name, or all (None).
    Unregister(Option<String>),
    /// PJSIPRegister / `pjsip send register`.
    Register(Option<String>),
    /// PJSIPHangup: reject an incoming call with a final response.
    Reject(Box<Reject>),
    /// How a transfer asked for by REFER goes (pjsip's progress NOTIFYs).
    ReferProgress(refer_pjsip::Progress),
    /// Transfer(): redirect or REFER the call to a destination.
    Transfer(u64, String),
}

/// An outgoing call handed to the task.
pub struct Outgoing {
    key: u64,
    chan: Arc<Channel>,
    call_id: String,
    target: SocketAddr,
    /// TCP when the device's configuration or contact asks for it.
    transport: Transport,
    uri: String,
    from_user: String,
    rtp: Arc<RtpPort>,
    codecs: Vec<Codec>,
    rfc4733: bool,
    remote_gone: Arc<AtomicBool>,
    mohsuggest: String,
    /// What to answer the device's challenges with.
    auths: Vec<endpoint::OutboundAuth>,
    /// Its session-timer settings.
    timers: timer::Policy,
    /// What the header functions added for its INVITE (pjsip), and
    /// where chan_sip keeps the INVITE once sent.
    headers: Arc<CallHeaders>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outgoing({} to {})", self.chan.name, self.uri)
    }
}

/// The handle drivers, the CLI and Dial use.
pub struct SipStack {
    pub flavor: Flavor,
    /// The UDP listener's address, else the TCP one's.
    pub local: SocketAddr,
    /// The TCP listener's address, when TCP is on.
    pub local_tcp: Option<SocketAddr>,
    pub commands: mpsc::UnboundedSender<Command>,
    pub registrar: Arc<Mutex<Registrar>>,
    /// The outbound registrations as the task last saw them.
    pub registry: Arc<Mutex<Vec<outbound::Status>>>,
    /// What qualify last learnt of each probed contact.
    pub qualify: Arc<Mutex<HashMap<qualify::Key, qualify::Reach>>>,
    /// The dialogs by call key (`sip show channels`), kept up to date
    /// by the task as each one changes.
    pub dialogs: Arc<Mutex<BTreeMap<u64, DialogRow>>>,
    /// chan_sip: each peer's counted calls, as the task last counted them.
    pub peer_calls: Arc<Mutex<HashMap<String, PeerCalls>>>,
    /// chan_sip: calls to limited peers let through by `call`, by call
    /// key, until the task has counted them (see `counters`).
    placing: Arc<Mutex<HashMap<u64, String>>>,
    /// The subscriptions the task serves, oldest first.
    pub subscriptions: Arc<Mutex<BTreeMap<u64, SubscriptionRow>>>,
    /// chan_sip's `lastmsgssent` per peer since the start: the counts of
    /// its last message-waiting NOTIFY packed (new << 16 | old), or -1
    /// when it could not be told.
    pub last_msgs_sent: Arc<Mutex<HashMap<String, i32>>>,
    /// chan_sip: each peer's last registered contact, kept after the
    /// registration ends (the peer's `fullcontact`, `useragent` and
    /// `username` stay until it registers again).
    pub last_bindings: Arc<Mutex<HashMap<String, registrar::Binding>>>,
}

/// What the listings show of one subscription to an extension's state.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub endpoint: String,
    pub call_id: String,
    pub context: String,
    pub exten: String,
    /// The event package (`dialog`, `presence`).
    pub event: String,
    /// When it lapses unless refreshed.
    pub expires_at: std::time::Instant,
    /// The state the last change of the hint brought; none before one.
    pub last_change: Option<crate::core::devicestate::ExtensionState>,
    /// A message-summary subscription's mailboxes (comma-joined); None
    /// for a hint's.
    pub mailboxes: Option<String>,
}

/// What `sip show channels` shows of one dialog.
#[derive(Debug, Clone)]
pub struct DialogRow {
    /// Where its requests go.
    pub peer: SocketAddr,
    /// The authenticated user, else the caller's number; may be empty.
    pub user: String,
    pub call_id: String,
    /// The channel's formats; none once the channel has gone.
    pub format: Option<String>,
    pub on_hold: bool,
    /// `Rx: <method>` / `Tx: <method>` / `Init: <method>`.
    pub last_msg: String,
    /// The peer the dialog belongs to.
    pub peer_name: String,
    /// A call that ended stays listed until then, as chan_sip keeps the
    /// dialog to absorb retransmissions.
    linger_until: Option<Instant>,
}

impl DialogRow {
    /// Still kept: a live call, or an ended one within its time.
    pub fn listed(&self) -> bool {
        self.linger_until.is_none_or(|t| t > Instant::now())
    }
}

/// The dialogs `sip show channels` lists: the ended ones still kept, then
/// the live calls, each in the order they came.
pub fn listed_dialogs(dialogs: &BTreeMap<u64, DialogRow>) -> Vec<DialogRow> {
    let (ended, live): (Vec<&DialogRow>, Vec<&DialogRow>) = dialogs
        .values()
        .filter(|d| d.listed())
        .partition(|d| d.linger_until.is_some());
    ended.into_iter().chain(live).cloned().collect()
}

/// How long chan_sip keeps a dialog after its call ended
/// (`DEFAULT_TRANS_TIMEOUT`).
const DIALOG_LINGER: Duration = Duration::from_secs(32);

/// The peer part of a channel name (`SIP/<peer>-<seq>`).
fn peer_of_channel(name: &str) -> String {
    let rest = name.split_once('/').map_or(name, |(_, r)| r);
    rest.rsplit_once('-').map_or(rest, |(p, _)| p).to_string()
}

impl SipStack {
    /// What the driver's requester logs when `name` is no peer or
    /// endpoint, and the cause it fails with. chan_pjsip.c's `request`
    /// (multi-domain, the default) says so from one line for `endpoint`
    /// and another for `user@endpoint`. chan_sip's `create_addr` takes a
    /// name that is not a peer for a host: all digits are refused, a name
    /// that does not resolve is "No such host"; both fail as
    /// `AST_CAUSE_UNREGISTERED`. Calling a host that does resolve is
    /// something Asterisk does and we do not.
    async fn no_such_peer(&self, sys: &Arc<System>, name: &str, with_user: bool) -> u32 {
        let logger = &sys.pbx.logger;
        match self.flavor {
            Flavor::Pjsip => {
                logger.error(
                    if with_user {
                        crate::site!("chan_pjsip.c", 2715, "request")
                    } else {
                        crate::site!("chan_pjsip.c", 2697, "request")
                    },
                    None,
                    &format!("Unable to create PJSIP channel - endpoint '{name}' was not found"),
                );
                3
            }
            Flavor::ChanSip if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) => {
                logger.warning(
                    crate::site!("chan_sip.c", 6386, "create_addr"),
                    None,
                    &format!("Purely numeric hostname ({name}), and not a peer--rejecting!"),
                );
                20
            }
            Flavor::ChanSip => {
                let host = name.split(':').next().unwrap_or(name);
                let resolves = tokio::net::lookup_host((host, 5060))
                    .await
                    .is_ok_and(|mut addrs| addrs.next().is_some());
                if resolves {
                    logger.warning(
                        crate::site!("chan_sip.c", 0, "create_addr"),
                        None,
                        &format!(
                            "'{name}' is not a peer; calling a host directly is not supported"
                        ),
                    );
                    3
                } else {
                    logger.warning(
                        crate::site!("chan_sip.c", 6428, "create_addr"),
                        None,
                        &format!("No such host: {name}"),
                    );
                    20
                }
            }
        }
    }

    /// Binds the listeners and starts the task.
    pub async fn start(
        sys: Arc<System>,
        flavor: Flavor,
        listen: Listen,
        registrations: Vec<outbound::Registration>,
    ) -> std::io::Result<Arc<SipStack>> {
        let socket = match listen.udp {
            Some(bind) => Some(UdpSocket::bind(bind).await?),
            None => None,
        };
        // Bounded, so a flooding connection waits on its reads instead of
        // growing the queue.
        let (conn_tx, conn_rx) = mpsc::channel(1024);
        let mut conns = tcp::Connections::new(conn_tx);
        let local_tcp = match listen.tcp {
            Some(bind) => Some(conns.listen(bind).await?),
            None => None,
        };
        let local = match (&socket, local_tcp) {
            (Some(s), _) => s.local_addr()?,
            (None, Some(t)) => t,
            (None, None) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "no transport to listen on",
                ));
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let mut restoring = Registrar::default();
        // Registrations kept from before the restart (AstDB).
        let restored = regstore::restore(
            &sys,
            flavor,
            &endpoint::all(flavor, &sys.loaded()),
            &mut restoring,
            Instant::now(),
            unix_seconds(),
        );
        let registrar = Arc::new(Mutex::new(restoring));
        let registry = Arc::new(Mutex::new(Vec::new()));
        let reach = Arc::new(Mutex::new(HashMap::new()));
        let dialogs = Arc::new(Mutex::new(BTreeMap::new()));
        let peer_calls = Arc::new(Mutex::new(HashMap::new()));
        let placing = Arc::new(Mutex::new(HashMap::new()));
        let subscriptions = Arc::new(Mutex::new(BTreeMap::new()));
        let last_msgs_sent = Arc::new(Mutex::new(HashMap::new()));
        let last_bindings = Arc::new(Mutex::new(HashMap::new()));
        let stack = Arc::new(SipStack {
            flavor,
            local,
            local_tcp,
            commands: tx.clone(),
            registrar: registrar.clone(),
            registry: registry.clone(),
            qualify: reach.clone(),
            dialogs: dialogs.clone(),
            peer_calls: peer_calls.clone(),
            placing: placing.clone(),
            subscriptions: subscriptions.clone(),
            last_msgs_sent: last_msgs_sent.clone(),
            last_bindings: last_bindings.clone(),
        });
        let loaded = sys.loaded();
        let t1 = match flavor {
            Flavor::ChanSip => loaded.sip.general.peer.timer_t1.max(100) as u64,
            Flavor::Pjsip => 500,
        };
        let config = transaction::Config {
            timers: transaction::Timers {
                // The TU sends its own 100 Trying, with the driver's headers.
                trying_delay: Duration::from_secs(3600),
                ..transaction::Timers::with_t1(Duration::from_millis(t1))
            },
            force_rport: true,
            server: Some(flavor.user_agent()),
            seed: random_u64(),
            response_order: Some(flavor.response_order()),
            style: Some(flavor.request_style()),
            // chan_sip answers 487 before it answers the CANCEL.
            tu_answers_cancel: flavor == Flavor::ChanSip,
            // chan_sip answers 400 to an incomplete request and does not
            // compare the CSeq method; pjsip drops both.
            answer_bad_requests: flavor == Flavor::ChanSip,
            lax_cseq_method: flavor == Flavor::ChanSip,
            chan_sip_via: flavor == Flavor::ChanSip,
            printer: match flavor {
                Flavor::ChanSip => crate::sip::message::Printer::Plain,
                Flavor::Pjsip => crate::sip::message::Printer::Pjsip,
            },
        };
        let key = random_u64().to_le_bytes();
        let regs = make_clients(&sys, flavor, local, registrations.clone()).await;
        {
            let now = Instant::now();
            let unix_now = unix_seconds();
            let mut shown = lock(&registry);
            *shown = regs
                .iter()
                .map(|c| c.status(flavor, now, unix_now))
                .collect();
        }
        let task = Task {
            dialogs,
            peer_calls,
            placing,
            placed: Vec::new(),
            lingering: VecDeque::new(),
            deferred_byes: HashMap::new(),
            refer_subs: HashMap::new(),
            next_refer: 0,
            deferred: HashMap::new(),
            referrals: HashMap::new(),
            redirects: HashMap::new(),
            changed: Vec::new(),
            recount_calls: Arc::new(AtomicBool::new(false)),
            counted_with: None,
            registry,
            configured: registrations,
            qualifier: qualify::Qualifier::default(),
            reach,
            regs,
            reg_by_tx: HashMap::new(),
            sys: sys.clone(),
            flavor,
            socket: socket.map(Arc::new),
            local,
            local_tcp,
            conns,
            tx: Transactions::new(config),
            calls: HashMap::new(),
            by_dialog: HashMap::new(),
            by_tx: HashMap::new(),
            nonces: NonceIssuer::new(&key, Instant::now(), Duration::from_secs(32)),
            next_sweep: Instant::now(),
            registrar,
            commands_tx: tx,
            next_key: 1,
            range: PortRange::from_conf(&loaded.rtp),
            endpoints: None,
            restored,
            raw_heads: HashMap::new(),
            subs: subscribe::Subscriptions::new(subscriptions),
            last_msgs_sent,
            last_bindings,
            // Only chan_sip serves extension-state subscriptions.
            hints: Some(sys.pbx.devstates.watch_hints()),
            mailboxes: Some(sys.pbx.mwi.watch()),
        };
        drop(loaded);
        tokio::spawn(task.run(rx, conn_rx));
        Ok(stack)
    }
}

/// The clients of the configured outbound registrations: each registrar
/// resolved (an address of the listener's family), each refused as its
/// driver would refuse it when it reads its configuration.
async fn make_clients(
    sys: &Arc<System>,
    flavor: Flavor,
    local: SocketAddr,
    registrations: Vec<outbound::Registration>,
) -> Vec<outbound::Client> {
    let mut regs = Vec::new();
    for reg in registrations {
        let port = reg.port.unwrap_or(5060);
        let target = match tokio::net::lookup_host((reg.host.as_str(), port)).await {
            Ok(mut addrs) => addrs.find(|a| a.is_ipv4() == local.is_ipv4()),
            Err(_) => None,
        };
        let Some(target) = target else {
            // Asterism's own words; each driver resolves the host
            // where it sends the REGISTER.
            let site = match flavor {
                Flavor::ChanSip => crate::site!("chan_sip.c", 0, "transmit_register"),
                Flavor::Pjsip => crate::site!(
                    "res_pjsip_outbound_registration.c",
                    0,
                    "sip_outbound_registration_perform"
                ),
            };
            sys.pbx.logger.warning(
                site,
                None,
                &format!("Unable to resolve registrar host '{}'", reg.host),
            );
            continue;
        };
        match outbound::Client::new(reg, target, flavor, Instant::now()) {
            Ok(c) => regs.push(c),
            Err(e) => {
                // A registration its driver would refuse when it reads
                // its configuration.
                let site = match flavor {
                    Flavor::ChanSip => crate::site!("chan_sip.c", 0, "sip_register"),
                    Flavor::Pjsip => crate::site!(
                        "res_pjsip_outbound_registration.c",
                        0,
                        "sip_outbound_registration_apply"
                    ),
                };
                sys.pbx.logger.error(site, None, &e.to_string())
            }
        }
    }
    regs
}

impl SipStack {
    /// Requests a channel for `resource` (`peer`, `peer/exten`,
    /// `exten@endpoint`), as `ast_request` does: the channel exists, the
    /// INVITE waits for [`SipStack::call`]. Once called, its state follows
    /// the call (Ringing on 180, Up on 200, hung up with a cause on
    /// failure). Err is the cause when no channel can be had.
    /// `caller` is the channel that dials (Dial), none for Originate.
    pub async fn request(
        &self,
        sys: &Arc<System>,
        resource: &str,
        caller: Option<&Arc<Channel>>,
    ) -> Result<(Arc<Channel>, Box<Outgoing>), u32> {
        let all = endpoint::all(self.flavor, &sys.loaded());
        // chan_sip: peer[/exten]; pjsip: [user@]endpoint[/aor or URI].
        let (name, exten, location) = match self.flavor {
            Flavor::ChanSip => match resource.split_once('/') {
                Some((p, e)) => (p.to_string(), Some(e.to_string()), None),
                None => (resource.to_string(), None, None),
            },
            Flavor::Pjsip => {
                let (head, location) = match resource.split_once('/') {
                    Some((h, l)) => (h, Some(l.to_string())),
                    None => (resource, None),
                };
                match head.split_once('@') {
                    Some((e, p)) => (p.to_string(), Some(e.to_string()), location),
                    None => (head.to_string(), None, location),
                }
            }
        };
        let Some(ep) = all.into_iter().find(|e| e.name == name) else {
            return Err(self.no_such_peer(sys, &name, exten.is_some()).await);
        };
        // res_pjsip_maintenance's session supplement refuses the session
        // before anything is made; chan_pjsip's `request` then fails.
        if self.flavor == Flavor::Pjsip && super::maintenance::refuses_call(sys, &ep.name) {
            sys.pbx.logger.error(
                crate::site!("chan_pjsip.c", 2726, "request"),
                None,
                &format!("Failed to create outgoing session to endpoint '{name}'"),
            );
            return Err(3);
        }
        let now = Instant::now();
        // A location naming an AOR narrows the contacts to it; any other
        // location is a contact URI to call as it is.
        let loaded = sys.loaded();
        let named_aor = location.as_deref().and_then(|l| loaded.pjsip.aor(l));
        let aors = match named_aor {
            Some(a) => vec![a.name.clone()],
            None => ep.aors.clone(),
        };
        let registered: Vec<registrar::Binding> = {
            let r = lock(&self.registrar);
            aors.iter().flat_map(|a| r.contacts(a, now)).collect()
        };
        let (contact_uri, registered) = match location.as_deref() {
            Some(l) if named_aor.is_none() => {
                let uri = l.trim_matches(['<', '>']).to_string();
                // Its registration, if it has one, says where it is.
                let binding = registered.into_iter().filter(|b| b.uri == uri).collect();
                (Some(uri), binding)
            }
            _ => {
                let fixed = match named_aor {
                    Some(a) => a.contacts.first().cloned(),
                    None => ep.static_contact.clone(),
                };
                (
                    registered.last().map(|b| b.uri.clone()).or(fixed),
                    registered,
                )
            }
        };
        drop(loaded);
        // Nowhere to send the INVITE. chan_sip's peer has no address
        // (`AST_CAUSE_UNREGISTERED`); chan_pjsip's session cannot be made
        // (`AST_CAUSE_NO_ROUTE_DESTINATION`, with its two errors).
        let unreachable = |no_uri: bool| {
            if self.flavor == Flavor::ChanSip {
                return 20;
            }
            if no_uri {
                sys.pbx.logger.error(
                    crate::site!(
                        "res_pjsip_session.c",
                        3274,
                        "ast_sip_session_create_outgoing"
                    ),
                    None,
                    &format!(
                        "Endpoint '{}': No URI available.  Is endpoint registered?",
                        ep.name
                    ),
                );
            }
            sys.pbx.logger.error(
                crate::site!("chan_pjsip.c", 2726, "request"),
                None,
                &format!("Failed to create outgoing session to endpoint '{name}'"),
            );
            3
        };
        let Some(contact_uri) = contact_uri else {
            return Err(unreachable(true));
        };
        let Ok(uri) = crate::sip::Uri::parse(&contact_uri) else {
            return Err(unreachable(false));
        };
        let target = registered.last().map(|b| b.target).or_else(|| {
            let ip: IpAddr = uri.host.to_string().trim_matches(['[', ']']).parse().ok()?;
            Some(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
        });
        let Some(target) = target else {
            return Err(unreachable(false));
        };
        // A contact registered over TCP is reached over the connection it
        // registered on, as both drivers do; otherwise the contact URI's
        // `;transport=`, then the device's configured transport.
        let tcp_flow = registered.last().filter(|b| b.over_tcp).map(|b| b.source);
        let target = tcp_flow.unwrap_or(target);
        let transport = if tcp_flow.is_some() {
            Transport::Tcp
        } else {
            uri_transport(&uri).unwrap_or(if ep.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            })
        };
        let mut request_uri = uri.clone();
        if let Some(e) = exten {
            request_uri.user = Some(e);
        }
        let range = PortRange::from_conf(&sys.loaded().rtp);
        let ip = if self.local.ip().is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            self.local.ip()
        };
        let first = ep.codecs.first().copied().unwrap_or(Codec::Ulaw);
        let rtp = match bind_pair(ip, range).await {
            Ok((a, b)) => {
                rtp_port_allocated(&sys, &a);
                let mut cfg = RtpConfig::new(first.static_payload_type().unwrap_or(0));
                let rtp_conf = sys.loaded().rtp.clone();
                cfg.strict = rtp_conf.strictrtp;
                cfg.probation = u32::try_from(rtp_conf.probation).unwrap_or(4);
                // Our own INVITE: no NAT of the device's is known yet.
                cfg.symmetric = ep.symmetric_rtp == super::endpoint::SymmetricRtp::Always;
                RtpPort::new(a, b, cfg, first).map_err(|_| 34u32)?
            }
            Err(_) => return Err(34),
        };
        let chans = &sys.pbx.channels;
        // chan_sip binds its new channel to the id of the call asking for
        // it; pjsip leaves that to ast_request (below). Either way a
        // channel originated from outside a call has none yet.
        let callid = match self.flavor {
            Flavor::ChanSip => crate::core::logger::current_callid().unwrap_or(0),
            Flavor::Pjsip => 0,
        };
        log_rtp_qos(sys, self.flavor, callid);
        let tech = self.flavor.tech();
        let seq = chans.next_tech_seq(tech);
        let (caller_id, linkedid, language, accountcode) = match caller {
            Some(c) => {
                let d = c.lock();
                (
                    d.caller.clone(),
                    Some(d.linkedid.clone()),
                    Some(d.language.clone()),
                    d.accountcode.clone(),
                )
            }
            None => (Default::default(), None, None, String::new()),
        };
        let call_id = self.flavor.new_call_id(self.local);
        let chan = chans.alloc(
            format!("{tech}/{name}-{seq:08x}"),
            tech,
            callid,
            NewChannel {
                context: if ep.context.is_empty() {
                    "default".into()
                } else {
                    ep.context.clone()
                },
                exten: "s".into(),
                priority: 1,
                state: Some(ChanState::Down),
                caller: Default::default(),
                language,
                musicclass: None,
                accountcode,
                linkedid,
                vars: Default::default(),
            },
        );
        // The drivers give an outgoing channel the device's caller id:
        // a number marked valid even when empty, so app_queue's guess at
        // one (for channels without) leaves it alone.
        chan.lock().caller.id.number.valid = true;
        ep.groups.apply(&chan);
        let key = random_u64() | 1 << 63;
        let remote_gone = Arc::new(AtomicBool::new(false));
        let headers = Arc::new(CallHeaders::default());
        chan.set_driver(Arc::new(CallDriver {
            key,
            commands: self.commands.clone(),
            flavor: self.flavor,
            rtp: rtp.clone(),
            call_id: call_id.clone(),
            remote_gone: remote_gone.clone(),
            outgoing: true,
            mohinterpret: ep.mohinterpret.clone(),
            sys: Arc::downgrade(sys),
            headers: headers.clone(),
        }));
        chan.set_media_port(rtp.clone());
        rtp.set_smoothing(self.flavor == Flavor::ChanSip);
        rtp.start(&chan);
        if self.flavor == Flavor::ChanSip {
            chan.set_var_event("SIPCALLID", &call_id);
            // sip_new leaves an outbound channel without an extension; the
            // change is published without an event of its own (no
            // application runs yet), and later events show it.
            chan.lock().exten.clear();
            chan.publish_snapshot();
        }
        let from_user = caller_id.id.number().unwrap_or("asterisk").to_string();
        let out = Box::new(Outgoing {
            key,
            chan: chan.clone(),
            call_id,
            target,
            transport,
            uri: request_uri.to_string(),
            from_user,
            rtp,
            codecs: ep.codecs.clone(),
            rfc4733: ep.rfc4733,
            remote_gone,
            mohsuggest: ep.mohsuggest.clone(),
            auths: ep.outbound_auths.clone(),
            timers: ep.timers,
            headers,
        });
        Ok((chan, out))
    }

    /// Places a requested call (`ast_call`): the INVITE goes out, unless
    /// chan_sip's peer is at its call limit (`sip_call`): Err is the
    /// cause, set on the channel too.
    pub fn call(&self, sys: &System, out: Box<Outgoing>) -> Result<(), u32> {
        let peer = peer_of_channel(&out.chan.name);
        let callid = Some(out.chan.callid()).filter(|&c| c != 0);
        if let Err(cause) = self.place_within_limit(sys, out.key, &peer, callid) {
            out.chan.lock().hangupcause = cause;
            return Err(cause);
        }
        let _ = self.commands.send(Command::Call(out));
        Ok(())
    }
}

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// INVITE received, no final response yet.
    Proceeding,
    /// We sent 200 OK; waiting for the ACK.
    Answered,
    /// ACK received: the dialog is confirmed.
    Confirmed,
    /// We rejected it or sent BYE; waiting for transactions to end.
    Ending,
}

/// chan_sip sets its RTP socket's QoS marks for each call and says so
/// (netsock2.c's `ast_set_qos`), under the call's id.
fn log_rtp_qos(sys: &crate::core::System, flavor: Flavor, callid: u32) {
    if flavor != Flavor::ChanSip {
        return;
    }
    let callid = (callid != 0).then_some(callid);
    let g = &sys.loaded().sip.general;
    let logger = &sys.pbx.logger;
    if g.tos_audio != 0 {
        let text = format!("Using SIP RTP TOS bits {}", g.tos_audio);
        logger.verbose(
            2,
            crate::site!("netsock2.c", 639, "ast_set_qos"),
            callid,
            &text,
        );
    }
    if g.cos_audio != 0 {
        let text = format!("Using SIP RTP CoS mark {}", g.cos_audio);
        logger.verbose(
            2,
            crate::site!("netsock2.c", 661, "ast_set_qos"),
            callid,
            &text,
        );
    }
}

/// A call's running session timer: the negotiated values, whether we
/// are the refresher, when we must next act, and our refresh in flight.
struct SessionTimer {
    active: timer::Active,
    we_refresh: bool,
    due: Option<Instant>,
    refresh_tx: Option<TransactionId>,
    /// The device did not refresh in time.
    expired: bool,
}

impl SessionTimer {
    /// `uac`: we placed the call (so a `uac` refresher is us).
    fn new(active: timer::Active, uac: bool) -> SessionTimer {
        let we_refresh = (active.refresher == timer::Refresher::Uac) == uac;
        SessionTimer {
            active,
            we_refresh,
            due: None,
            refresh_tx: None,
            expired: false,
        }
    }

    /// The session was (re)confirmed now: count down again.
    fn restart(&mut self, now: Instant) {
        self.due = Some(now + self.active.wait(self.we_refresh));
    }
}

struct Call {
    chan: Arc<Channel>,
    invite: Request,
    invite_tx: Option<TransactionId>,
    local_tag: String,
    dialog: Option<Dialog>,
    /// Changed through [`Call::set_state`] only: the peers' call
    /// counters are counted again when it moves.
    state: CallState,
    /// Where requests inside the dialog go.
    peer: SocketAddr,
    /// What they go over.
    transport: Transport,
    rtp: Arc<RtpPort>,
    answer_sdp: Vec<u8>,
    sdp_version: u64,
    origin: sdp::Origin,
    negotiated: sdp::Negotiated,
    early_media_sent: bool,
    /// We said 180 Ringing to the caller.
    ringing_sent: bool,
    /// We placed this call (Dial); the INVITE and its transaction are ours.
    outgoing: bool,
    /// Our INVITE got its final response.
    invite_done: bool,
    /// chan_sip: the caller's credentials and the nonce its INVITE proved
    /// them with, which chan_sip signs its own BYE with.
    bye_auth: Option<(endpoint::Credentials, String)>,
    /// The session timer, once negotiated (RFC 4028), and the device's
    /// settings it is negotiated under.
    timer: Option<SessionTimer>,
    timer_policy: timer::Policy,
    /// Our INVITE: what we may answer challenges with, how many times we
    /// have, and the challenge answered last (chan_sip answers it again
    /// in its BYE).
    auths: Vec<endpoint::OutboundAuth>,
    auth_tries: u32,
    answering: Option<(style::Answering, endpoint::OutboundAuth)>,
    /// The device ended the dialog (BYE), or transferred the call away
    /// (REFER): our hangup sets no RTP statistics and sends nothing.
    remote_gone: Arc<AtomicBool>,
    /// The device's suggested music class (Hold events name it).
    mohsuggest: String,
    /// What `sip show channels` shows: the last request in the dialog,
    /// hold, and whose dialog it is.
    last_msg: String,
    /// Changed through [`Call::set_on_hold`] only (as `state`).
    on_hold: bool,
    /// The task's flag that the call counters want counting again.
    recount: Arc<AtomicBool>,
    user: String,
    /// chan_sip's `relatedpeer`: the peer the call is counted for (the
    /// one that called, authenticated or by its address, or was called);
    /// empty for a guest.
    relatedpeer: String,
    /// The callee's tag from a provisional response to our INVITE: the
    /// early dialog a phone's INVITE with Replaces may name (a pickup).
    early_remote_tag: Option<String>,
}

impl Call {
    fn set_state(&mut self, state: CallState) {
        if self.state != state {
            self.state = state;
            self.recount.store(true, Ordering::Relaxed);
        }
    }

    fn set_on_hold(&mut self, held: bool) {
        if self.on_hold != held {
            self.on_hold = held;
            self.recount.store(true, Ordering::Relaxed);
        }
    }

    /// A refresh from the device (re-INVITE or UPDATE) restarts a running
    /// session timer, with the new interval when it asks for one.
    fn refresh_session(&mut self, req: &Request) {
        let Some(t) = self.timer.as_mut() else {
            return;
        };
        if let Ok(asked) = Asked::read(&req.headers)
            && asked.interval.is_some()
            && let Decision::Active(a) = timer::decide(&self.timer_policy, &asked)
        {
            *t = SessionTimer::new(a, self.outgoing);
        }
        t.restart(Instant::now());
    }
}

impl Call {
    fn row(&self) -> DialogRow {
        let format = self
            .negotiated
            .codecs
            .first()
            .map(|(c, _)| format!("({})", c.name()))
            .unwrap_or_else(|| "(nothing)".into());
        DialogRow {
            peer: self.peer,
            user: self.user.clone(),
            call_id: self
                .invite
                .headers
                .call_id()
                .unwrap_or_default()
                .to_string(),
            format: Some(format),
            on_hold: self.on_hold,
            last_msg: self.last_msg.clone(),
            peer_name: peer_of_channel(&self.chan.name),
            linger_until: None,
        }
    }
}

struct Task {
    /// What the CLI sees of the calls, and the ended ones still listed.
    dialogs: Arc<Mutex<BTreeMap<u64, DialogRow>>>,
    /// chan_sip's call counters per peer (`SipStack::peer_calls`).
    peer_calls: Arc<Mutex<HashMap<String, PeerCalls>>>,
    /// `SipStack::placing`, and the keys of the placed calls this task
    /// has taken up since it last counted (they leave `placing` then).
    placing: Arc<Mutex<HashMap<u64, String>>>,
    placed: Vec<u64>,
    /// Ended calls still listed, by when they go (all linger alike, so
    /// the earliest is first).
    lingering: VecDeque<(Instant, u64)>,
    /// Dialogs (Call-ID, our tag) of transferers whose channels are gone,
    /// still answering the phone's BYE until then.
    deferred_byes: HashMap<(String, String), Instant>,
    /// pjsip: REFERs' implicit subscriptions, by number, and the last
    /// number given.
    refer_subs: HashMap<u64, refer_pjsip::ReferSub>,
    next_refer: u64,
    /// pjsip: transferers' sessions whose end waits for the phone's BYE.
    deferred: HashMap<u64, refer_pjsip::Deferred>,
    /// Transfer()'s REFERs by call, until their outcome is known.
    referrals: HashMap<u64, transfer::Referral>,
    /// pjsip: calls redirected by Transfer(), by their INVITE's
    /// transaction, until the 302 is acknowledged.
    redirects: HashMap<TransactionId, Arc<Channel>>,
    /// Calls whose row changed since the CLI's copy was last updated.
    changed: Vec<u64>,
    /// A call started, or one's state or hold changed, since the call
    /// counters were last counted; and the configuration they were
    /// counted with (a reload may change who counts).
    recount_calls: Arc<AtomicBool>,
    counted_with: Option<Arc<crate::core::Loaded>>,
    /// Outbound registrations of trunks, and their transactions.
    regs: Vec<outbound::Client>,
    /// The registrations as configured, for PJSIPRegister `*all`.
    configured: Vec<outbound::Registration>,
    /// What the CLI and AMI see of `regs`.
    registry: Arc<Mutex<Vec<outbound::Status>>>,
    /// Qualify probes, and what the CLI and AMI see of them.
    qualifier: qualify::Qualifier,
    reach: Arc<Mutex<HashMap<qualify::Key, qualify::Reach>>>,
    reg_by_tx: HashMap<TransactionId, usize>,
    sys: Arc<System>,
    flavor: Flavor,
    socket: Option<Arc<UdpSocket>>,
    local: SocketAddr,
    local_tcp: Option<SocketAddr>,
    /// Open TCP connections by remote address.
    conns: tcp::Connections,
    tx: Transactions,
    calls: HashMap<u64, Call>,
    /// (Call-ID, our tag) → call.
    by_dialog: HashMap<(String, String), u64>,
    by_tx: HashMap<TransactionId, u64>,
    nonces: NonceIssuer,
    /// Expired registrations and due session timers are looked for no
    /// more than once a second, not at every packet.
    next_sweep: Instant,
    registrar: Arc<Mutex<Registrar>>,
    commands_tx: mpsc::UnboundedSender<Command>,
    next_key: u64,
    range: PortRange,
    /// [`Task::endpoints`]' cache, with the configuration it was built from.
    endpoints: Option<(Arc<crate::core::Loaded>, Arc<Vec<Endpoint>>)>,
    /// Registrations AstDB brought back, announced once the task runs.
    restored: Vec<regstore::Restored>,
    /// The text (up to the blank line) of the INVITEs in the datagram
    /// being handled, by Call-ID: the header functions read headers as
    /// written, which the parsed message no longer says.
    raw_heads: HashMap<String, String>,
    /// Extension-state subscriptions, and the hint changes they follow.
    subs: subscribe::Subscriptions,
    last_msgs_sent: Arc<Mutex<HashMap<String, i32>>>,
    last_bindings: Arc<Mutex<HashMap<String, registrar::Binding>>>,
    hints: Option<mpsc::UnboundedReceiver<crate::core::devicestate::HintChange>>,
    /// Mailboxes whose state was published (message-waiting NOTIFYs).
    mailboxes: Option<mpsc::UnboundedReceiver<String>>,
}

/// Drives a channel's answer/hangup/indicate into the task.
struct CallDriver {
    key: u64,
    pub commands: mpsc::UnboundedSender<Command>,
    flavor: Flavor,
    rtp: Arc<RtpPort>,
    call_id: String,
    remote_gone: Arc<AtomicBool>,
    /// We placed the call.
    outgoing: bool,
    /// The music class a HOLD from its bridge plays (`mohinterpret`).
    mohinterpret: String,
    sys: std::sync::Weak<System>,
    /// What the SIP header functions read and write.
    headers: Arc<CallHeaders>,
}

impl Driver for CallDriver {
    fn answer(&self, _chan: &Arc<Channel>) {
        let _ = self.commands.send(Command::Answer(self.key));
    }

    fn hangup(&self, chan: &Arc<Channel>) {
        // Before the channel goes, an answered call's RTP statistics
        // become variables: chan_sip when it sends the BYE (and it sets
        // RTPAUDIOQOS once more itself), pjsip whenever media was up.
        let up = chan.state() == ChanState::Up;
        match self.flavor {
            Flavor::ChanSip if up && !self.remote_gone.load(Ordering::SeqCst) => {
                let q = self.rtp.quality();
                crate::channels::rtp::set_stats_vars(chan, &q);
                // The channel's latest state (where a dialplan that fell
                // through ended) is published between the two: the
                // reference shows the last variable at the new priority.
                chan.publish_snapshot();
                chan.set_var_event("RTPAUDIOQOS", &q[0]);
                // A call chan_sip placed ends with Normal Clearing when
                // nothing set a cause (an originated call whose
                // application returned), in its BYE and its Hangup; a
                // call it received keeps none (a session that expired).
                let mut d = chan.lock();
                if self.outgoing && d.hangupcause == 0 {
                    d.hangupcause = 16;
                }
            }
            Flavor::Pjsip => {
                if up {
                    crate::channels::rtp::set_stats_vars(chan, &self.rtp.quality());
                }
                // chan_pjsip_hangup: the SIP status the cause maps to is
                // the channel's driver cause unless it has one.
                let mut d = chan.lock();
                if d.tech_cause == 0 {
                    d.tech_cause = u32::from(style::pjsip_cause_to_status(d.hangupcause));
                }
            }
            Flavor::ChanSip => {}
        }
        let cause = chan.lock().hangupcause;
        let _ = self.commands.send(Command::Hangup(self.key, cause));
    }

    fn send_text(&self, _chan: &Arc<Channel>, body: &str, content_type: Option<&str>) {
        let _ = self.commands.send(Command::SendText(
            self.key,
            body.to_string(),
            content_type.map(str::to_string),
        ));
    }

    fn indicate(&self, _chan: &Arc<Channel>, condition: Indication) {
        let _ = self.commands.send(Command::Indicate(self.key, condition));
    }

    /// chan_pjsip sends a flash as an INFO (`Signal=!`, 300 ms), chan_sip
    /// drops it quietly; neither knows a wink.
    fn hook_signal(&self, _chan: &Arc<Channel>, signal: crate::channels::HookSignal) {
        use crate::channels::HookSignal;
        match (self.flavor, signal) {
            (Flavor::Pjsip, HookSignal::Flash) => {
                let _ = self.commands.send(Command::SendInfo(
                    self.key,
                    "application/dtmf-relay",
                    "Signal=!\r\nDuration=300\r\n".to_string(),
                ));
            }
            (Flavor::ChanSip, HookSignal::Flash) => {}
            (flavor, HookSignal::Wink) => {
                if let Some(sys) = self.sys.upgrade() {
                    sys.pbx.logger.warning(
                        match flavor {
                            Flavor::Pjsip => {
                                crate::site!("chan_pjsip.c", 1867, "chan_pjsip_indicate")
                            }
                            Flavor::ChanSip => crate::site!("chan_sip.c", 8173, "sip_indicate"),
                        },
                        None,
                        &format!("Don't know how to indicate condition {}", signal.control()),
                    );
                }
            }
        }
    }

    /// Both drivers play music on hold to a channel its bridge holds
    /// (`sip_indicate`, `chan_pjsip_indicate` without `moh_passthrough`).
    fn hold(&self, chan: &Arc<Channel>, held: bool, music_class: Option<&str>) {
        crate::apps::moh::indicate_hold(
            self.sys.upgrade(),
            chan,
            held,
            music_class,
            &self.mohinterpret,
        );
    }

    /// Both drivers take Transfer() on their own task; the outcome comes
    /// back as the channel's transfer result.
    fn has_transfer(&self) -> bool {
        true
    }

    fn transfer(&self, _chan: &Arc<Channel>, dest: &str) -> Result<(), ()> {
        self.commands
            .send(Command::Transfer(self.key, dest.to_string()))
            .map_err(|_| ())
    }

    fn pvt_uniqueid(&self) -> Option<String> {
        Some(self.call_id.clone())
    }

    fn sip_headers(&self) -> Option<Arc<CallHeaders>> {
        Some(self.headers.clone())
    }

    fn rtp_quality(&self) -> Option<[String; 5]> {
        Some(self.rtp.quality())
    }

    fn rtp_framing(&self) -> Option<u32> {
        Some(self.rtp.framing_ms())
    }
}

/// A message's text up to (not including) its blank line.
fn raw_head(bytes: &[u8]) -> String {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(bytes.len());
    crate::core::raw::decode(&bytes[..end]).into_owned()
}

/// Why an inbound request was turned away before a channel existed.
enum Refusal {
    Status(u16),
    Challenge { stale: bool },
}

impl Task {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut conn_events: mpsc::Receiver<tcp::ConnEvent>,
    ) {
        let mut buf = vec![0u8; 65536];
        self.qualify_static_contacts();
        self.announce_restored();
        self.seed_endpoint_states();
        self.mwi_at_start();
        loop {
            let wake = self
                .tx
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
            let wake = self
                .regs
                .iter()
                .filter_map(|r| r.next_at)
                .chain(self.qualifier.next_wake())
                .chain(Some(self.next_sweep))
                .fold(wake, Instant::min);
            let socket = self.socket.clone();
            tokio::select! {
                r = recv_udp(socket.as_deref(), &mut buf) => {
                    if let Ok((n, from)) = r {
                        self.datagram(from, &buf[..n]);
                    }
                }
                Some(ev) = conn_events.recv() => self.conn_event(ev),
                Some(cmd) = commands.recv() => self.command(cmd).await,
                Some(change) = recv_next(self.hints.as_mut()) => self.hint_changed(change),
                Some(mailbox) = recv_next(self.mailboxes.as_mut()) => self.mailbox_changed(&mailbox),
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                    self.tx.handle(Instant::now(), Input::Timeout);
                }
            }
            self.registrations_due(Instant::now());
            self.qualify_due(Instant::now());
            self.sweep(Instant::now());
            self.drain().await;
            self.raw_heads.clear();
            self.share_dialogs();
            self.count_peer_calls();
        }
    }

    /// Brings the CLI's copy of the dialogs up to date: the rows of the
    /// calls that changed, and the ended ones whose time is up dropped.
    /// Only what changed is touched, so a packet costs no more with many
    /// calls up.
    fn share_dialogs(&mut self) {
        if self.flavor != Flavor::ChanSip {
            // pjsip has no such listing.
            self.changed.clear();
            return;
        }
        let now = Instant::now();
        if self.changed.is_empty() && self.lingering.front().is_none_or(|(t, _)| *t > now) {
            return;
        }
        let mut dialogs = lock(&self.dialogs);
        while let Some((_, key)) = self.lingering.front().filter(|(t, _)| *t <= now) {
            dialogs.remove(key);
            self.lingering.pop_front();
        }
        for key in self.changed.drain(..) {
            if let Some(call) = self.calls.get(&key) {
                dialogs.insert(key, call.row());
            }
        }
    }

    /// A TCP connection opened, closed or delivered a framed message,
    /// which goes to the same core as a datagram.
    fn conn_event(&mut self, ev: tcp::ConnEvent) {
        self.conns.on_event(&ev);
        if let tcp::ConnEvent::Message {
            from,
            message,
            text,
        } = ev
        {
            if let (Some(text), Ok(call_id)) = (text, message.headers().call_id()) {
                self.raw_heads.insert(call_id.to_string(), raw_head(&text));
            }
            self.tx.handle(
                Instant::now(),
                Input::Message {
                    from,
                    transport: Transport::Tcp,
                    message,
                },
            );
        }
    }

    /// Our address on `transport`.
    fn local_on(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Udp => self.local,
            _ => self.local_tcp.unwrap_or(self.local),
        }
    }

    /// Our Via for a request sent over `transport`.
    fn via_on(&self, transport: Transport) -> Via {
        let local = self.local_on(transport);
        Via::new(transport.as_str(), host_of(local.ip()), Some(local.port()))
    }

    fn datagram(&mut self, from: SocketAddr, bytes: &[u8]) {
        // Keep-alive CRLFs (RFC 5626) and empty datagrams are not messages.
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return;
        }
        match parse_datagram_tolerant(bytes) {
            Ok((message, defects)) if defects.iter().all(|d| self.flavor.tolerates(d)) => {
                if callheaders::text_wanted(&message)
                    && let Ok(call_id) = message.headers().call_id()
                {
                    self.raw_heads.insert(call_id.to_string(), raw_head(bytes));
                }
                self.tx.handle(
                    Instant::now(),
                    Input::Message {
                        from,
                        transport: Transport::Udp,
                        message,
                    },
                )
            }
            Ok((_, defects)) => {
                tracing::debug!("dropping SIP datagram from {from}: {defects:?}");
            }
            Err(e) => {
                tracing::debug!("dropping unparsable SIP datagram from {from}: {e}");
            }
        }
    }

    async fn drain(&mut self) {
        while let Some(out) = self.tx.poll() {
            match out {
                Output::Transmit(t) => match t.transport {
                    Transport::Udp => {
                        if let Some(s) = &self.socket {
                            let _ = s.try_send_to(&t.bytes, t.to);
                        }
                    }
                    _ => self.conns.send(t.to, t.bytes),
                },
                Output::Event(e) => self.event(e).await,
            }
        }
    }

    fn respond(&mut self, id: TransactionId, req: &Request, status: u16, tag: Option<&str>) {
        self.respond_with(id, req, status, tag, None);
    }

    /// [`Task::respond`], with a reason phrase of the driver's own.
    fn respond_with(
        &mut self,
        id: TransactionId,
        req: &Request,
        status: u16,
        tag: Option<&str>,
        reason: Option<&str>,
    ) {
        let contact = self.contact_for(req);
        let mut r = self.flavor.response(req, status, tag, Some(&contact));
        if let Some(reason) = reason {
            r.reason = reason.to_string();
        }
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    /// Our Contact: chan_sip puts the called user in it, pjsip does not;
    /// over TCP both name the transport.
    fn contact_for(&self, req: &Request) -> String {
        let transport = transport_of(req);
        let local = self.local_on(transport);
        let base = match self.flavor {
            Flavor::ChanSip => match req.uri.user.as_deref() {
                Some(u) if !u.is_empty() => format!("sip:{u}@{local}"),
                _ => format!("sip:{local}"),
            },
            Flavor::Pjsip => format!("sip:{local}"),
        };
        format!("{base}{}", transport_param(self.flavor, transport))
    }

    /// The devices of the live configuration, rebuilt only after a reload
    /// (not for every request).
    fn endpoints(&mut self) -> Arc<Vec<Endpoint>> {
        let loaded = self.sys.loaded();
        match &self.endpoints {
            Some((seen, all)) if Arc::ptr_eq(seen, &loaded) => all.clone(),
            _ => {
                let all = Arc::new(endpoint::all(self.flavor, &loaded));
                self.endpoints = Some((loaded, all.clone()));
                all
            }
        }
    }

    /// Sends the REGISTERs whose time has come.
    fn registrations_due(&mut self, now: Instant) {
        for i in 0..self.regs.len() {
            if self.regs[i].next_at.is_some_and(|t| t <= now) {
                let req = self.regs[i].request(self.flavor, self.local);
                self.send_registration(i, req);
                self.registry_changed(i, false);
            }
        }
    }

    fn send_registration(&mut self, i: usize, req: Request) {
        let target = self.regs[i].target;
        match self
            .tx
            .send_request(Instant::now(), req, target, Transport::Udp)
        {
            Ok(id) => {
                self.reg_by_tx.insert(id, i);
            }
            Err(e) => {
                tracing::warn!("REGISTER to {target} not sent: {e}");
                self.regs[i].on_timeout(self.flavor, Instant::now());
                self.registration_log(i);
                self.registry_changed(i, true);
            }
        }
    }

    /// Writes what the driver logs about registration `i`'s last outcome.
    fn registration_log(&mut self, i: usize) {
        let logger = &self.sys.pbx.logger;
        for (level, site, text) in std::mem::take(&mut self.regs[i].log) {
            match level {
                crate::core::logger::Level::Warning => logger.warning(&site, None, &text),
                _ => logger.notice(&site, None, &text),
            }
        }
    }

    /// Refreshes what the CLI and AMI see of registration `i` and, after a
    /// final outcome, tells AMI as each driver does (a `Registry` event:
    /// chan_sip with its state words, pjsip after every final response,
    /// naming its client and server URIs).
    fn registry_changed(&mut self, i: usize, outcome: bool) {
        let Some(client) = self.regs.get(i) else {
            return;
        };
        let status = client.status(self.flavor, Instant::now(), unix_seconds());
        let event = outcome.then(|| match self.flavor {
            Flavor::ChanSip => {
                // After a timeout chan_sip has already sent afresh.
                let state = match status.state {
                    outbound::State::Timeout => outbound::State::RequestSent,
                    s => s,
                };
                format!(
                    "ChannelType: SIP\r\nUsername: {}\r\nDomain: {}\r\nStatus: {}\r\n",
                    status.reg.user,
                    status.reg.host,
                    state.chan_sip_text()
                )
            }
            Flavor::Pjsip => format!(
                "ChannelType: PJSIP\r\nUsername: {}\r\nDomain: {}\r\nStatus: {}\r\n",
                status.reg.client_uri.as_deref().unwrap_or_default(),
                status.reg.server_uri.as_deref().unwrap_or_default(),
                status.outcome.pjsip_text()
            ),
        });
        if let Some(slot) = lock(&self.registry).get_mut(i) {
            *slot = status;
        }
        if let Some(body) = event {
            self.system_event("Registry", body);
        }
    }

    /// The probe of a contact of `ep` bound to `aor`, if qualify is on
    /// for it: chan_sip's peer `qualify=` (the limit; no answer after
    /// twice that is none; every `qualifyfreq`, every 10 s while
    /// unreachable); pjsip's AOR `qualify_frequency` and
    /// `qualify_timeout`.
    fn qualify_target(
        &self,
        ep: &Endpoint,
        aor: &str,
        uri: &str,
        addr: SocketAddr,
        permanent: bool,
    ) -> Option<qualify::Target> {
        let loaded = self.sys.loaded();
        let (limit, timeout, every, every_unreachable) = match self.flavor {
            Flavor::ChanSip => {
                let peer = loaded.sip.peer(&ep.name)?;
                let ms = u64::try_from(peer.settings.qualify_ms)
                    .ok()
                    .filter(|ms| *ms > 0)?;
                let freq = u64::try_from(peer.settings.qualifyfreq_ms).unwrap_or(60_000);
                (
                    Duration::from_millis(ms),
                    Duration::from_millis(ms * 2),
                    Duration::from_millis(freq.max(1000)),
                    Duration::from_secs(10),
                )
            }
            Flavor::Pjsip => {
                let a = loaded.pjsip.aor(aor)?;
                if a.qualify_frequency == 0 {
                    return None;
                }
                let timeout = a
                    .params()
                    .iter()
                    .find(|(n, _)| n == "qualify_timeout")
                    .and_then(|(_, v)| v.parse::<f64>().ok())
                    .filter(|t| t.is_finite() && *t > 0.0)
                    .unwrap_or(3.0);
                let timeout = Duration::from_secs_f64(timeout);
                let every = Duration::from_secs(u64::from(a.qualify_frequency));
                (timeout, timeout, every, every)
            }
        };
        // res_pjsip's contact ids: `<aor>@@<md5>` for a contact of the
        // configuration, `<aor>;@<md5>` for a registered one.
        let hash = crate::funcs::md5::hex(uri.as_bytes());
        let contact_id = if permanent {
            format!("{aor}@@{hash}")
        } else {
            format!("{aor};@{hash}")
        };
        Some(qualify::Target {
            device: ep.name.clone(),
            aor: aor.to_string(),
            contact_id,
            uri: uri.to_string(),
            addr,
            limit,
            timeout,
            every,
            every_unreachable,
        })
    }

    /// Devices that do not register but have a contact and qualify on
    /// are probed from the start.
    fn qualify_static_contacts(&mut self) {
        let now = Instant::now();
        let all = self.endpoints();
        for ep in all.iter().filter(|e| !e.dynamic) {
            let Some(uri) = &ep.static_contact else {
                continue;
            };
            let Ok(u) = crate::sip::Uri::parse(uri) else {
                continue;
            };
            let Ok(ip) = u
                .host
                .to_string()
                .trim_matches(['[', ']'])
                .parse::<IpAddr>()
            else {
                continue;
            };
            let addr = SocketAddr::new(ip, u.port.unwrap_or(5060));
            let aor = ep.aors.first().cloned().unwrap_or_else(|| ep.name.clone());
            if let Some(t) = self.qualify_target(ep, &aor, uri, addr, true) {
                self.qualifier.start(t, now);
            }
        }
        self.share_reach();
    }

    /// A REGISTER added or removed contacts: probe the new ones.
    fn qualify_registration(&mut self, ep: &Endpoint, aor: &str, changes: &registrar::Changes) {
        let now = Instant::now();
        for c in &changes.removed {
            self.qualifier.stop(aor, &c.uri);
        }
        for c in &changes.added {
            if let Some(t) = self.qualify_target(ep, aor, &c.uri, c.target, false) {
                self.qualifier.start(t, now);
            }
        }
        self.share_reach();
    }

    fn share_reach(&self) {
        *lock(&self.reach) = self.qualifier.snapshot();
    }

    /// Sends the OPTIONS that are due and settles the probes that went
    /// unanswered.
    fn qualify_due(&mut self, now: Instant) {
        let gone = self.qualifier.expire(now);
        let due = self.qualifier.due(now);
        if gone.is_empty() && due.is_empty() {
            return;
        }
        for t in due {
            let Some(req) = self.options_request(&t) else {
                self.qualifier.stop(&t.aor, &t.uri);
                continue;
            };
            match self.tx.send_request(now, req, t.addr, Transport::Udp) {
                Ok(id) => self.qualifier.sent(&t, id, now),
                Err(e) => tracing::warn!("OPTIONS to {} not sent: {e}", t.addr),
            }
        }
        self.share_reach();
        for o in gone {
            self.qualify_outcome(&o);
        }
    }

    /// A response to, or the end of, one of our OPTIONS; false if the
    /// transaction is not a probe.
    fn qualify_event(&mut self, e: &Event) -> bool {
        match e {
            Event::Response { id, response } if self.qualifier.owns(id) => {
                if response.status >= 200 {
                    let outcome = self.qualifier.answered(id, Instant::now());
                    self.share_reach();
                    if let Some(o) = outcome {
                        self.qualify_outcome(&o);
                    }
                }
                true
            }
            Event::Timeout { id } | Event::Terminated { id } if self.qualifier.owns(id) => {
                self.qualifier.transaction_over(id);
                true
            }
            _ => false,
        }
    }

    /// The OPTIONS each driver qualifies with (header names and order as
    /// golden/asterisk-20.20.1/sip/qualify/ shows them).
    fn options_request(&self, t: &qualify::Target) -> Option<Request> {
        let uri = crate::sip::Uri::parse(&t.uri).ok()?;
        let mut req = Request::new(Method::Options, uri.clone());
        let tag = self.flavor.new_tag();
        let mut via = Via::new("UDP", self.local_host(), Some(self.local.port()));
        let call_id = self.flavor.new_call_id(self.local);
        let h = &mut req.headers;
        match self.flavor {
            Flavor::ChanSip => {
                h.push("Via", via.to_string());
                h.push("Max-Forwards", "70");
                h.push(
                    "From",
                    format!("\"asterisk\" <sip:asterisk@{}>;tag={tag}", self.local),
                );
                h.push("To", format!("<{uri}>"));
                h.push("Contact", format!("<sip:asterisk@{}>", self.local));
                h.push("Call-ID", call_id);
                h.push("CSeq", "102 OPTIONS");
                h.push("User-Agent", self.flavor.user_agent());
                h.push("Date", httpdate_now());
                h.push("Allow", style::CHAN_SIP_ALLOW);
                h.push("Supported", "replaces, timer");
            }
            Flavor::Pjsip => {
                // pjsip names the contact's user and host (without its
                // port) in From and To.
                let party = match &uri.user {
                    Some(u) => format!("<sip:{u}@{}>", uri.host),
                    None => format!("<sip:{}>", uri.host),
                };
                via.params.0.push(crate::sip::uri::Param {
                    name: "rport".into(),
                    value: None,
                });
                h.push("Via", via.to_string());
                h.push("From", format!("{party};tag={tag}"));
                h.push("To", party);
                let user = uri.user.clone().unwrap_or_default();
                h.push("Contact", format!("<sip:{user}@{}>", self.local));
                h.push("Call-ID", call_id);
                h.push("CSeq", format!("{} OPTIONS", (random_u64() & 0x7fff) + 1));
                h.push("Max-Forwards", "70");
                h.push("User-Agent", self.flavor.user_agent());
            }
        }
        Some(req)
    }

    /// A system-class manager event (Registry, PeerStatus, ContactStatus).
    fn system_event(&self, name: &str, body: String) {
        self.sys
            .pbx
            .channels
            .events
            .publish_system(crate::core::events::EventKind::Manager {
                class: crate::manager::class::SYSTEM,
                name: name.to_string(),
                body,
            });
    }

    /// What a change of reach tells the log, AMI and the device state.
    /// One probe's result: its change of state, if any (which raises
    /// pjsip's test-suite events itself), else pjsip's qualify result.
    fn qualify_outcome(&self, o: &qualify::Outcome) {
        match &o.change {
            Some(c) => self.reach_changed(c),
            None if self.flavor == Flavor::Pjsip => {
                self.pjsip_qualify_events(&o.target, o.new, false);
            }
            None => {}
        }
    }

    /// `sip_options_contact_status_notify_task`'s test-suite events: the
    /// status update when it changed, then the qualify result. They go
    /// out before the ContactStatus event, which Asterisk publishes
    /// through stasis.
    fn pjsip_qualify_events(&self, target: &qualify::Target, new: qualify::Reach, changed: bool) {
        let (label, rtt) = match new {
            qualify::Reach::Reachable(d) | qualify::Reach::Lagged(d) => {
                ("Reachable", d.as_micros())
            }
            qualify::Reach::Unreachable => ("Unreachable", 0),
            qualify::Reach::Unknown => ("Unknown", 0),
        };
        let bus = &self.sys.pbx.channels.events;
        let id = &target.contact_id;
        if changed {
            testsuite::notify(
                bus,
                &testsuite::AOR_CONTACT_UPDATE,
                "AOR_CONTACT_UPDATE",
                || format!("Contact: {id}\r\nStatus: {label}"),
            );
        }
        testsuite::notify(
            bus,
            &testsuite::AOR_CONTACT_QUALIFY_RESULT,
            "AOR_CONTACT_QUALIFY_RESULT",
            || format!("Contact: {id}\r\nStatus: {label}\r\nRTT: {rtt}"),
        );
    }

    fn reach_changed(&self, c: &qualify::Change) {
        let device = format!("{}/{}", self.flavor.tech(), c.target.device);
        match self.flavor {
            Flavor::ChanSip => {
                let logger = &self.sys.pbx.logger;
                let limit = c.target.limit.as_millis();
                match c.new {
                    qualify::Reach::Reachable(rtt) | qualify::Reach::Lagged(rtt) => {
                        let word = if c.new.is_reachable() {
                            "Reachable"
                        } else {
                            "Lagged"
                        };
                        logger.notice(
                            crate::site!("chan_sip.c", 25029, "handle_response_peerpoke"),
                            None,
                            &format!(
                                "Peer '{}' is now {word}. ({}ms / {limit}ms)",
                                c.target.device,
                                qualify::Reach::millis(rtt)
                            ),
                        );
                        self.system_event(
                            "PeerStatus",
                            format!("ChannelType: SIP\r\nPeer: {device}\r\nPeerStatus: {word}\r\n"),
                        );
                    }
                    qualify::Reach::Unreachable => {
                        let last = match c.old {
                            qualify::Reach::Reachable(d) | qualify::Reach::Lagged(d) => {
                                qualify::Reach::millis(d)
                            }
                            _ => 0,
                        };
                        logger.notice(
                            crate::site!("chan_sip.c", 30572, "sip_poke_noanswer"),
                            None,
                            &format!(
                                "Peer '{}' is now UNREACHABLE!  Last qualify: {last}",
                                c.target.device
                            ),
                        );
                        self.system_event(
                            "PeerStatus",
                            format!(
                                "ChannelType: SIP\r\nPeer: {device}\r\nPeerStatus: Unreachable\r\nTime: -1\r\n"
                            ),
                        );
                    }
                    qualify::Reach::Unknown => return,
                }
            }
            Flavor::Pjsip => {
                let (word, usec) = match c.new {
                    qualify::Reach::Reachable(d) | qualify::Reach::Lagged(d) => {
                        ("Reachable", d.as_micros())
                    }
                    qualify::Reach::Unreachable => ("Unreachable", 0),
                    qualify::Reach::Unknown => return,
                };
                // The endpoint is online while any of its contacts is
                // not known to be unreachable.
                let reach = lock(&self.reach);
                let online_now = reach
                    .iter()
                    .filter(|((aor, _), _)| *aor == c.target.aor)
                    .any(|(_, r)| *r != qualify::Reach::Unreachable);
                let online_before = reach
                    .iter()
                    .filter(|((aor, _), _)| *aor == c.target.aor)
                    .any(|((_, uri), r)| {
                        let r = if *uri == c.target.uri { c.old } else { *r };
                        r != qualify::Reach::Unreachable
                    });
                drop(reach);
                if online_now != online_before {
                    self.system_event(
                        "PeerStatus",
                        format!(
                            "ChannelType: PJSIP\r\nPeer: {device}\r\nPeerStatus: {}\r\n",
                            if online_now {
                                "Reachable"
                            } else {
                                "Unreachable"
                            }
                        ),
                    );
                }
                self.pjsip_qualify_events(&c.target, c.new, true);
                self.system_event(
                    "ContactStatus",
                    format!(
                        "URI: {}\r\nContactStatus: {word}\r\nAOR: {}\r\nEndpointName: {}\r\nRoundtripUsec: {usec}\r\n",
                        c.target.uri, c.target.aor, c.target.device
                    ),
                );
            }
        }
        self.sys.pbx.channels.events.device_changed(
            &device,
            true,
            crate::core::devicestate::Pending::Later,
        );
    }

    /// An event about one of our REGISTER transactions; false if it is not.
    fn registration_event(&mut self, e: &Event) -> bool {
        match e {
            Event::Response { id, response } => {
                let Some(&i) = self.reg_by_tx.get(id) else {
                    return false;
                };
                if response.status >= 200 {
                    self.reg_by_tx.remove(id);
                }
                let was_unregistering = self.regs[i].is_unregistering();
                let next =
                    self.regs[i].on_response(self.flavor, self.local, response, Instant::now());
                self.registration_log(i);
                if (200..300).contains(&response.status) && !was_unregistering {
                    self.regs[i].registered_at = Some(unix_seconds());
                }
                match next {
                    outbound::Next::Send(req) => {
                        self.send_registration(i, req);
                        // chan_sip tells AMI of its new REGISTER after a
                        // 423 (not after a challenge).
                        let told = response.status == 423 && self.flavor == Flavor::ChanSip;
                        self.registry_changed(i, told);
                    }
                    outbound::Next::Wait => {
                        if response.status >= 200 {
                            self.retired_outcome(i, was_unregistering);
                        }
                        self.registry_changed(i, response.status >= 200);
                        if response.status >= 200 {
                            self.retired_answered(i);
                        }
                    }
                }
                true
            }
            Event::Timeout { id } => match self.reg_by_tx.remove(id) {
                Some(i) => {
                    let was_unregistering = self.regs[i].is_unregistering();
                    self.regs[i].on_timeout(self.flavor, Instant::now());
                    self.registration_log(i);
                    self.retired_outcome(i, was_unregistering);
                    self.registry_changed(i, true);
                    self.retired_answered(i);
                    true
                }
                None => false,
            },
            Event::Terminated { id } => self.reg_by_tx.remove(id).is_some(),
            _ => false,
        }
    }

    async fn event(&mut self, e: Event) {
        if self.registration_event(&e) || self.qualify_event(&e) || self.subscription_event(&e) {
            return;
        }
        match e {
            Event::Request {
                id, request, from, ..
            } => self.request(id, request, from).await,
            Event::Ack { request, .. } => {
                if let Some(key) = self.dialog_key(&request)
                    && let Some(call) = self.calls.get_mut(&key)
                {
                    call.last_msg = "Rx: ACK".into();
                    self.changed.push(key);
                    if call.state == CallState::Answered {
                        call.set_state(CallState::Confirmed);
                    }
                }
            }
            Event::CancelRequest { invite, cancel } => {
                self.on_cancel(invite);
                if let Some(req) = self.tx.request(cancel).cloned() {
                    let tag = self
                        .by_tx
                        .get(&invite)
                        .and_then(|k| self.calls.get(k))
                        .map(|c| c.local_tag.clone());
                    let r = self.flavor.response(&req, 200, tag.as_deref(), None);
                    let _ = self.tx.send_response(Instant::now(), cancel, r);
                }
                if let Some(key) = self.by_tx.get(&invite).copied() {
                    self.maybe_forget(key);
                }
            }
            Event::Cancelled { id } => {
                self.on_cancel(id);
                if let Some(key) = self.by_tx.get(&id).copied() {
                    self.maybe_forget(key);
                }
            }
            Event::Timeout { id }
                if self
                    .by_tx
                    .get(&id)
                    .and_then(|k| self.calls.get(k))
                    .is_some_and(|c| {
                        c.outgoing && c.invite_tx == Some(id) && c.state == CallState::Proceeding
                    }) =>
            {
                if let Some(key) = self.by_tx.get(&id).copied()
                    && let Some(call) = self.calls.get_mut(&key)
                {
                    call.set_state(CallState::Ending);
                    let chan = call.chan.clone();
                    remote_hangup(&chan, style::status_to_cause(self.flavor, 408));
                }
            }
            Event::Timeout { id } if self.redirects.contains_key(&id) => self.redirect_over(id),
            Event::Timeout { id } => {
                // Our refresh went unanswered: the session is gone.
                if let Some(&key) = self.by_tx.get(&id)
                    && self
                        .calls
                        .get(&key)
                        .is_some_and(|c| c.timer.as_ref().is_some_and(|t| t.refresh_tx == Some(id)))
                {
                    self.refresh_failed(key);
                    return;
                }
                // No ACK for our 200: RFC 3261 §13.3.1.4 says end the call.
                if let Some(&key) = self.by_tx.get(&id)
                    && self
                        .calls
                        .get(&key)
                        .is_some_and(|c| c.state == CallState::Answered)
                {
                    self.send_bye(key, 16);
                    if let Some(c) = self.calls.get(&key) {
                        remote_hangup(&c.chan, 16);
                    }
                }
            }
            Event::Terminated { id } => {
                if let Some(key) = self.by_tx.remove(&id) {
                    self.maybe_forget(key);
                }
            }
            Event::Response { id, response } => {
                if let Some(key) = self.by_tx.get(&id).copied() {
                    self.report_cause(key, &response);
                    if self
                        .calls
                        .get(&key)
                        .is_some_and(|c| c.timer.as_ref().is_some_and(|t| t.refresh_tx == Some(id)))
                    {
                        self.refresh_response(key, &response);
                    } else if self
                        .calls
                        .get(&key)
                        .is_some_and(|c| c.outgoing && c.invite_tx == Some(id))
                    {
                        let done = response.status >= 200;
                        self.outgoing_response(key, response);
                        if done && let Some(c) = self.calls.get_mut(&key) {
                            c.invite_done = true;
                        }
                    } else {
                        self.referral_response(key, id, &response);
                    }
                    self.maybe_forget(key);
                }
            }
            Event::Acknowledged { id } => self.redirect_over(id),
            Event::StrayResponse { .. } | Event::Dropped { .. } => {}
        }
    }

    /// Every response in a call's dialog is a cause its channel reports
    /// for `HANGUPCAUSE()`: chan_sip's for any request, chan_pjsip's for
    /// INVITEs only (its session supplement's method).
    fn report_cause(&self, key: u64, response: &crate::sip::message::Response) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        let is_invite = response
            .headers
            .cseq()
            .is_ok_and(|c| c.method == crate::sip::message::Method::Invite);
        if self.flavor == Flavor::Pjsip && !is_invite {
            return;
        }
        // chan_sip quotes the status line after its version, trimmed;
        // chan_pjsip writes "SIP <code> <reason>" even for an empty reason.
        let tech = match self.flavor {
            Flavor::ChanSip if response.reason.is_empty() => format!("SIP {}", response.status),
            _ => format!("SIP {} {}", response.status, response.reason),
        };
        call.chan
            .report_cause(crate::channels::causes::DialedCause {
                chan_name: call.chan.name.clone(),
                tech,
                cause: style::status_to_cause(self.flavor, response.status),
            });
    }

    /// The caller cancelled its pending INVITE: 487, and the channel goes.
    fn on_cancel(&mut self, id: TransactionId) {
        if let Some(&key) = self.by_tx.get(&id)
            && let Some(call) = self.calls.get_mut(&key)
            && call.state == CallState::Proceeding
        {
            let invite = call.invite.clone();
            let tag = call.local_tag.clone();
            call.set_state(CallState::Ending);
            let chan = call.chan.clone();
            // No Contact: the dialog never came to be. pjsip gives the
            // (still unset) hangup cause.
            let mut r = self.flavor.response(&invite, 487, Some(&tag), None);
            if self.flavor == Flavor::Pjsip {
                r.headers.push("Reason", "Q.850;cause=0");
            }
            let _ = self.tx.send_response(Instant::now(), id, r);
            // chan_sip queues the hangup without a cause; pjsip ends the
            // session with the 487's cause (Interworking) and status.
            if self.flavor == Flavor::Pjsip {
                let mut d = chan.lock();
                d.hangupcause = 127;
                d.tech_cause = 487;
            }
            queue_hangup(&chan);
        }
    }

    /// Forgets a call as soon as it has ended: its transactions finish in
    /// the transaction layer on their own (absorbing retransmissions for up
    /// to 64·T1), and holding the channel and the call's state that long
    /// would cost memory at every call rate. The exception is our own
    /// INVITE still pending: a 200 crossing our CANCEL must yet be ACKed
    /// and ended with BYE. Map entries of finished transactions go at
    /// their `Terminated`.
    fn maybe_forget(&mut self, key: u64) {
        let ended = self
            .calls
            .get(&key)
            .is_some_and(|c| c.state == CallState::Ending && !(c.outgoing && !c.invite_done));
        if ended {
            if let Some(mut call) = self.calls.remove(&key) {
                call.rtp.close();
                self.refer_keep_dialog(key, &mut call);
                if self.flavor == Flavor::ChanSip {
                    let mut row = call.row();
                    row.format = None;
                    let until = Instant::now() + DIALOG_LINGER;
                    row.linger_until = Some(until);
                    lock(&self.dialogs).insert(key, row);
                    self.lingering.push_back((until, key));
                }
                if let Ok(cid) = call.invite.headers.call_id() {
                    self.by_dialog
                        .remove(&(cid.to_string(), call.local_tag.clone()));
                }
            }
        }
    }

    fn dialog_key(&self, req: &Request) -> Option<u64> {
        let cid = req.headers.call_id().ok()?;
        let to = req.headers.to().ok()?;
        let tag = to.tag()?;
        self.by_dialog
            .get(&(cid.to_string(), tag.to_string()))
            .copied()
    }

    async fn request(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        if req.method == Method::Subscribe {
            self.subscribe(id, req, from);
            return;
        }
        let in_dialog = req.headers.to().ok().is_some_and(|t| t.tag().is_some());
        if in_dialog {
            self.in_dialog(id, req);
            return;
        }
        match req.method {
            Method::Invite => self.invite(id, req, from).await,
            Method::Register => self.register(id, req, from),
            Method::Options => self.respond(id, &req, 200, Some(&self.flavor.response_tag(&req))),
            Method::Message => self.message(id, req, from),
            Method::Bye | Method::Cancel => {
                self.respond(id, &req, 481, Some(&self.flavor.response_tag(&req)))
            }
            _ => self.respond(id, &req, 501, Some(&self.flavor.response_tag(&req))),
        }
    }

    fn in_dialog(&mut self, id: TransactionId, req: Request) {
        if self.deferred_bye(id, &req) {
            return;
        }
        let Some(key) = self.dialog_key(&req) else {
            self.respond(id, &req, 481, None);
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            self.respond(id, &req, 481, None);
            return;
        };
        call.last_msg = format!("Rx: {}", req.method);
        self.changed.push(key);
        // chan_sip takes each new INVITE or BYE of the dialog as its
        // `initreq` (what SIP_HEADER reads from then on); pjsip adds a
        // re-INVITE's headers to the session's list.
        if matches!(req.method, Method::Invite | Method::Bye)
            && let Some(h) = call.chan.driver().and_then(|d| d.sip_headers())
        {
            let head = req
                .headers
                .call_id()
                .ok()
                .and_then(|c| self.raw_heads.get(c).cloned())
                .unwrap_or_else(|| raw_head(&req.to_bytes()));
            match (self.flavor, &req.method) {
                (Flavor::ChanSip, _) => h.set_initial(&head),
                (Flavor::Pjsip, Method::Invite) => h.with_session(|list| {
                    list.get_or_insert_with(Vec::new)
                        .extend(callheaders::pjsip_list(&head));
                }),
                _ => {}
            }
        }
        if let Some(d) = call.dialog.as_mut()
            && d.on_request(&req).is_err()
        {
            let r = self.flavor.response(&req, 500, None, None);
            let _ = self.tx.send_response(Instant::now(), id, r);
            return;
        }
        match req.method {
            Method::Bye if self.deferred.get(&key).is_some_and(|d| d.ended) => {
                // A transferer's phone hangs up after its channel went.
                self.deferred.remove(&key);
                call.set_state(CallState::Ending);
                self.respond(id, &req, 200, None);
                self.maybe_forget(key);
            }
            Method::Bye => {
                self.deferred.remove(&key);
                let chan = call.chan.clone();
                call.set_state(CallState::Ending);
                call.rtp.close();
                // A REFER that went through already let the dialog go:
                // the transfer hangs the channel up, so a BYE that
                // overtakes that hangup only ends the dialog. The
                // reference's transferer is always gone by then (no
                // statistics, no HangupRequest in its transcripts).
                let transferred = call.remote_gone.swap(true, Ordering::SeqCst);
                let quality = call.rtp.quality();
                self.respond(id, &req, 200, None);
                if transferred && self.flavor == Flavor::ChanSip {
                    chan.softhangup_quiet(crate::channels::softhangup::DEV);
                    self.maybe_forget(key);
                    return;
                }
                // The call's RTP statistics become variables before the
                // hangup is queued; chan_sip also sets those of a SIP
                // channel it is bridged with.
                crate::channels::rtp::set_stats_vars(&chan, &quality);
                if self.flavor == Flavor::ChanSip
                    && let Some(peer) = chan.bridge_peer()
                    && peer.tech == "SIP"
                    && let Some(q) = peer.driver().and_then(|d| d.rtp_quality())
                {
                    crate::channels::rtp::set_stats_vars(&peer, &q);
                }
                // Both drivers queue the hangup with the cause the channel
                // already has (none for a plain call: Hangup shows 0).
                queue_hangup(&chan);
                self.maybe_forget(key);
            }
            Method::Invite => self.reinvite(key, id, req),
            Method::Update => self.update(key, id, req),
            Method::Refer if self.flavor == Flavor::Pjsip => self.pjsip_refer(key, id, req),
            Method::Refer => self.refer(key, id, req),
            Method::Message => self.message_in_call(id, req),
            Method::Notify if self.referral_notify(key, id, &req) => {}
            _ => self.respond(id, &req, 200, None),
        }
    }

    /// An UPDATE (RFC 3311). chan_sip takes only its own connected-line
    /// updates and refuses the rest with 501; pjsip accepts it, and one
    /// with Session-Expires refreshes the session timer as a re-INVITE
    /// does. An UPDATE with an offer is answered as a re-INVITE is.
    fn update(&mut self, key: u64, id: TransactionId, req: Request) {
        if self.flavor == Flavor::ChanSip {
            if req.headers.get("X-Asterisk-rpid-update").is_some() {
                self.respond(id, &req, 200, None);
            } else {
                // Its refusal names no Contact.
                let r = self.flavor.response(&req, 501, None, None);
                let _ = self.tx.send_response(Instant::now(), id, r);
            }
            return;
        }
        if !req.body.is_empty() {
            self.reinvite(key, id, req);
            return;
        }
        let Some(call) = self.calls.get_mut(&key) else {
            self.respond(id, &req, 481, None);
            return;
        };
        call.refresh_session(&req);
        let timer = call.timer.as_ref().map(|t| t.active);
        let tag = call.local_tag.clone();
        let invite = call.invite.clone();
        let contact = self.contact_for(&invite);
        let mut r = self.flavor.response(&req, 200, Some(&tag), None);
        // pjsip's session layer confirms the dialog as for a re-INVITE:
        // its Contact, Allow and Supported go before Server.
        let server = r
            .headers
            .0
            .iter()
            .position(|h| h.name == "Server")
            .map(|i| r.headers.0.remove(i));
        r.headers.push("Contact", format!("<{contact}>"));
        r.headers.push("Allow", super::style::PJSIP_ALLOW);
        r.headers.push("Supported", super::style::PJSIP_SUPPORTED);
        if let Some(h) = server {
            r.headers.0.push(h);
        }
        if let Some(t) = &timer {
            self.flavor.add_session_timer(&mut r, t, true);
        }
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    /// A re-INVITE: hold (sendonly/inactive), unhold, or a new address.
    fn reinvite(&mut self, key: u64, id: TransactionId, req: Request) {
        if let Some(call) = self.calls.get_mut(&key) {
            call.refresh_session(&req);
        }
        let timer = self
            .calls
            .get(&key)
            .and_then(|c| c.timer.as_ref().map(|t| t.active));
        if self.flavor == Flavor::ChanSip {
            // chan_sip says Trying to a re-INVITE too (with its Contact);
            // pjsip answers at once.
            let contact = self.contact_for(&req);
            let mut trying = self.flavor.response(&req, 100, None, Some(&contact));
            if let Some(t) = &timer {
                self.flavor.add_session_timer(&mut trying, t, true);
            }
            let _ = self.tx.send_response(Instant::now(), id, trying);
        }
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if let Ok(offer) = Sdp::parse(&req.body) {
            let codecs: Vec<Codec> = call.negotiated.codecs.iter().map(|(c, _)| *c).collect();
            if let Some(n) = sdp::negotiate(&offer, &codecs, self.flavor.prefer(), true) {
                let held = matches!(
                    n.direction,
                    sdp::Direction::SendOnly | sdp::Direction::Inactive
                ) || n.remote.is_none();
                // pjsip: a new direction is a new stream topology, which
                // the bridge the channel is in maps again (its peer
                // variables set again) before the hold reaches the peer.
                let topology_changed = n.direction != call.negotiated.direction;
                call.set_on_hold(held);
                call.rtp.set_sending(!held);
                if let Some((codec, pt)) = n.codecs.first() {
                    call.rtp
                        .configure(n.remote.or(call.negotiated.remote), *codec, *pt, n.dtmf_pt);
                }
                call.negotiated = n.clone();
                self.changed.push(key);
                call.sdp_version += 1;
                call.origin.version = call.sdp_version;
                call.answer_sdp = sdp::build(
                    &call.origin,
                    call.rtp.local_addr().ip(),
                    call.rtp.local_addr().port(),
                    &n.codecs,
                    n.dtmf_pt,
                    n.direction.answer(),
                );
                let chan = call.chan.clone();
                let event = if held { "Hold" } else { "Unhold" };
                // ast_queue_hold names the device's suggested class, if
                // it has one (pjsip's `moh_suggest` defaults to default).
                let body = if held && !call.mohsuggest.is_empty() {
                    format!("MusicClass: {}\r\n", call.mohsuggest)
                } else {
                    String::new()
                };
                chan.emit(crate::core::events::EventKind::Manager {
                    class: crate::manager::class::CALL,
                    name: event.into(),
                    body,
                });
                // The queued HOLD/UNHOLD frame goes through the bridge to
                // the other members, which indicate it.
                if let Some(b) = chan.bridge() {
                    if self.flavor == Flavor::Pjsip && topology_changed {
                        b.reconfigured();
                    }
                    let suggested = Some(call.mohsuggest.as_str()).filter(|c| !c.is_empty());
                    b.indicate_hold(Some(&chan), held, suggested);
                }
            }
        }
        let call = &self.calls[&key];
        let tag = call.local_tag.clone();
        let body = call.answer_sdp.clone();
        let contact = self.contact_for(&call.invite);
        let mut r = self.flavor.response(&req, 200, Some(&tag), Some(&contact));
        self.flavor.finish_reinvite_ok(&mut r);
        r.headers.push("Content-Type", "application/sdp");
        if let Some(t) = &timer {
            self.flavor.add_session_timer(&mut r, t, true);
        }
        r.body = body;
        let _ = self.tx.send_response(Instant::now(), id, r);
        self.by_tx.insert(id, key);
    }

    /// Checks digest credentials; `Ok` when they prove `creds`.
    fn authenticate(&self, req: &Request, creds: &endpoint::Credentials) -> Result<(), Refusal> {
        // res_pjsip's digest authenticator reports each check to the test
        // suite: NOAUTH without credentials, else FAIL/SUCCESS/STALE.
        let report = |site: &crate::core::logger::Site<'_>, status: &str| {
            if self.flavor == Flavor::Pjsip {
                let data = || {
                    format!(
                        "Realm: {}\r\nUsername: {}\r\nStatus: {status}",
                        creds.realm, creds.username
                    )
                };
                testsuite::notify(
                    &self.sys.pbx.channels.events,
                    site,
                    "INCOMING_AUTH_VERIFY_RESULT",
                    data,
                );
            }
        };
        let Ok(given) = DigestCredentials::from_headers(&req.headers, false) else {
            report(&testsuite::AUTH_VERIFY_NOAUTH, "NOAUTH");
            return Err(Refusal::Challenge { stale: false });
        };
        let secret = creds.secret();
        let verdict = verify(
            &given,
            &req.method,
            &creds.username,
            &creds.realm,
            secret,
            &self.nonces,
            Instant::now(),
        );
        let status = match verdict {
            Verdict::Accepted => "SUCCESS",
            // A nonce pjsip does not know counts as stale there.
            Verdict::Stale | Verdict::Rejected(Rejection::Nonce) => "STALE",
            Verdict::Rejected(_) => "FAIL",
        };
        report(&testsuite::AUTH_VERIFY_RESULT, status);
        match verdict {
            Verdict::Accepted => Ok(()),
            Verdict::Stale => Err(Refusal::Challenge { stale: true }),
            Verdict::Rejected(Rejection::Nonce) => Err(Refusal::Challenge { stale: false }),
            Verdict::Rejected(_) => Err(match self.flavor {
                Flavor::ChanSip => Refusal::Status(403),
                Flavor::Pjsip => Refusal::Challenge { stale: false },
            }),
        }
    }

    /// A final refusal with a fresh To tag (no dialog, no Contact).
    fn reject(&mut self, id: TransactionId, req: &Request, status: u16) {
        let tag = self.flavor.new_tag();
        let r = self.flavor.response(req, status, Some(&tag), None);
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    /// Turns the request away; a challenge's nonce is returned.
    fn refuse(
        &mut self,
        id: TransactionId,
        req: &Request,
        refusal: Refusal,
        realm: &str,
    ) -> Option<String> {
        self.refuse_tagged(id, req, refusal, realm, None)
    }

    /// As `refuse`, with the To tag of the dialog the request is in
    /// (none: a fresh one).
    fn refuse_tagged(
        &mut self,
        id: TransactionId,
        req: &Request,
        refusal: Refusal,
        realm: &str,
        tag: Option<&str>,
    ) -> Option<String> {
        let tag = tag
            .map(str::to_string)
            .unwrap_or_else(|| self.flavor.response_tag(req));
        match refusal {
            Refusal::Status(s) => {
                let r = self.flavor.response(req, s, Some(&tag), None);
                let _ = self.tx.send_response(Instant::now(), id, r);
                None
            }
            Refusal::Challenge { stale } => {
                let mut r = self.flavor.response(req, 401, Some(&tag), None);
                let nonce = self.nonces.issue(Instant::now());
                self.flavor
                    .add_challenge(&mut r, self.flavor.challenge(realm, &nonce, stale));
                let _ = self.tx.send_response(Instant::now(), id, r);
                Some(nonce)
            }
        }
    }

    /// Who is calling or registering, with the access checks Asterisk
    /// makes before anything else (ACL, then digest auth).
    fn admit(&mut self, id: TransactionId, req: &Request, from: SocketAddr) -> Option<Endpoint> {
        let from_user = req
            .headers
            .from()
            .ok()
            .and_then(|f| f.uri.user.clone())
            .unwrap_or_default();
        let all = self.endpoints();
        let realm = match self.flavor {
            Flavor::ChanSip => self.sys.loaded().sip.general.realm.clone(),
            Flavor::Pjsip => "asterisk".to_string(),
        };
        let user = if req.method == Method::Register {
            req.headers
                .to()
                .ok()
                .and_then(|t| t.uri.user.clone())
                .unwrap_or_default()
        } else {
            from_user
        };
        let Some(ep) = endpoint::identify(&all, &user, from).cloned() else {
            // No such device: challenge anyway, so a wrong name and a
            // wrong password look the same (`alwaysauthreject`).
            let refusal = match self.flavor {
                Flavor::ChanSip
                    if req.method == Method::Invite && self.sys.loaded().sip.general.allowguest =>
                {
                    return Some(self.guest());
                }
                Flavor::ChanSip if DigestCredentials::from_headers(&req.headers, false).is_ok() => {
                    Refusal::Status(403)
                }
                _ => Refusal::Challenge { stale: false },
            };
            let _ = self.refuse(id, req, refusal, &realm);
            return None;
        };
        if !ep.acl.allows(from.ip()) {
            let _ = self.refuse(id, req, Refusal::Status(403), &realm);
            return None;
        }
        // res_pjsip_maintenance runs between the ACL and the
        // authenticator: a 503 and no challenge, answered statelessly
        // (pjsip tags it with the Via branch).
        if self.flavor == Flavor::Pjsip
            && super::maintenance::refuses_request(&self.sys, &ep.name, req, from)
        {
            let branch = req
                .headers
                .top_via()
                .ok()
                .and_then(|v| v.branch().map(str::to_string));
            let mut r = self.flavor.response(req, 503, branch.as_deref(), None);
            // Added by the module, before the Server header res_pjsip
            // adds on the way out.
            r.headers.insert_after("CSeq", "Retry-After", "300");
            let _ = self.tx.send_response(Instant::now(), id, r);
            return None;
        }
        if let Some(creds) = ep.auth.clone() {
            match self.authenticate(req, &creds) {
                Err(refusal) => {
                    if let Some(nonce) = self.refuse(id, req, refusal, &creds.realm) {
                        self.security_event(
                            req,
                            from,
                            &ep,
                            Kind::ChallengeSent { challenge: &nonce },
                        );
                    }
                    return None;
                }
                // chan_sip reports a proven REGISTER only; pjsip's
                // distributor every authenticated request.
                Ok(()) if self.flavor == Flavor::Pjsip || req.method == Method::Register => {
                    self.security_event(
                        req,
                        from,
                        &ep,
                        Kind::SuccessfulAuth {
                            using_password: true,
                        },
                    );
                }
                Ok(()) => {}
            }
        } else if self.flavor == Flavor::ChanSip
            && req.method == Method::Invite
            && self.peer_at_limit(&ep.name).is_none()
        {
            // chan_sip lets a peer without a secret in and says so (a
            // call then refused over the peer's limit says SessionLimit
            // instead).
            self.security_event(
                req,
                from,
                &ep,
                Kind::SuccessfulAuth {
                    using_password: false,
                },
            );
        }
        Some(ep)
    }

    /// A security event about a request (ChallengeSent, SuccessfulAuth,
    /// SessionLimit), as each driver fills it in: chan_sip names a caller
    /// by its From URI and a registration by its user, pjsip by the
    /// endpoint; chan_sip's session is its dialog's address, pjsip's the
    /// Call-ID.
    fn security_event(&self, req: &Request, from: SocketAddr, ep: &Endpoint, kind: Kind<'_>) {
        use crate::manager::security::{self, Common};
        let challenge = match kind {
            Kind::ChallengeSent { challenge } => Some(challenge),
            _ => None,
        };
        // chan_sip reports only on INVITEs and REGISTERs
        // (`handle_incoming`): a SUBSCRIBE's or a MESSAGE's challenge
        // goes unreported.
        if self.flavor == Flavor::ChanSip
            && !matches!(req.method, Method::Invite | Method::Register)
        {
            return;
        }
        // chan_sip's account is the From URI when it challenges a call,
        // else the extension the request is for (`p->exten`).
        let account = match self.flavor {
            Flavor::Pjsip => ep.name.clone(),
            Flavor::ChanSip if challenge.is_some() && req.method != Method::Register => req
                .headers
                .from()
                .map(|f| f.uri.to_string())
                .unwrap_or_default(),
            Flavor::ChanSip if req.method == Method::Register => req
                .headers
                .to()
                .ok()
                .and_then(|t| t.uri.user.clone())
                .unwrap_or_default(),
            Flavor::ChanSip => req.uri.user.clone().unwrap_or_default(),
        };
        let (service, session_id, nonce) = match self.flavor {
            Flavor::ChanSip => (
                "SIP",
                format!("0x{:012x}", random_u64() & 0xffff_ffff_ffff),
                challenge.unwrap_or(""),
            ),
            // pjsip looks for the nonce in a header its 401 does not use.
            Flavor::Pjsip => (
                "PJSIP",
                req.headers.call_id().unwrap_or_default().to_string(),
                "",
            ),
        };
        let common = Common {
            service,
            transport: transport_of(req).as_str(),
            account: Some(&account),
            session_id: &session_id,
            local: self.local_on(transport_of(req)),
            remote: from,
            session_tv: None,
        };
        let kind = match kind {
            Kind::ChallengeSent { .. } => Kind::ChallengeSent { challenge: nonce },
            other => other,
        };
        let (name, body) = security::event(&common, kind);
        self.sys
            .pbx
            .channels
            .events
            .publish_system(crate::core::events::EventKind::Manager {
                class: crate::manager::class::SECURITY,
                name: name.to_string(),
                body,
            });
    }

    /// chan_sip's guest caller (`allowguest=yes`): [general]'s settings.
    fn guest(&self) -> Endpoint {
        let loaded = self.sys.loaded();
        let g = &loaded.sip.general;
        Endpoint {
            name: String::new(),
            flavor: Flavor::ChanSip,
            context: g.peer.context.clone(),
            auth: None,
            outbound_auths: Vec::new(),
            codecs: g
                .peer
                .codecs
                .0
                .iter()
                .filter_map(|c| sdp::codec_by_name(c))
                .collect(),
            rfc4733: true,
            dynamic: false,
            static_contact: None,
            aors: Vec::new(),
            match_addrs: Vec::new(),
            match_user: false,
            acl: Default::default(),
            language: g.peer.language.clone(),
            callerid_name: None,
            callerid_num: None,
            accountcode: String::new(),
            mohsuggest: String::new(),
            mohinterpret: g.peer.mohinterpret.clone(),
            tcp: false,
            timers: endpoint::chan_sip_timers(&g.peer),
            groups: Default::default(),
            allow_transfer: g.peer.allowtransfer,
            refer_blind_progress: true,
            symmetric_rtp: if g.peer.nat.comedia {
                super::endpoint::SymmetricRtp::Always
            } else if g.peer.nat.auto_comedia {
                super::endpoint::SymmetricRtp::IfNat
            } else {
                super::endpoint::SymmetricRtp::Never
            },
        }
    }

    fn register(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        let Some(ep) = self.admit(id, &req, from) else {
            return;
        };
        let aor = req
            .headers
            .to()
            .ok()
            .and_then(|t| t.uri.user.clone())
            .unwrap_or_default();
        let loaded = self.sys.loaded();
        let limits = match self.flavor {
            Flavor::ChanSip => registrar::Limits::chan_sip(),
            Flavor::Pjsip => loaded
                .pjsip
                .aor(&aor)
                .map(registrar::Limits::from_aor)
                .unwrap_or_else(registrar::Limits::chan_sip),
        };
        drop(loaded);
        if !ep.aors.iter().any(|a| *a == aor) || !ep.dynamic {
            self.reject(id, &req, 404);
            return;
        }
        let outcome = match self.registrar.lock() {
            Ok(mut r) => r.update(&aor, &req, from, &limits, Instant::now()),
            Err(p) => p
                .into_inner()
                .update(&aor, &req, from, &limits, Instant::now()),
        };
        match outcome {
            Ok(changes) => {
                let tag = self.flavor.response_tag(&req);
                let mut r = self.flavor.response(&req, 200, Some(&tag), None);
                let now = Instant::now();
                let contacts = changes
                    .current
                    .iter()
                    .map(|c| format!("<{}>;expires={}", c.uri, c.remaining(now)))
                    .collect();
                self.flavor.finish_register_ok(
                    &mut r,
                    contacts,
                    changes.expires_header,
                    httpdate_now(),
                );
                let _ = self.tx.send_response(Instant::now(), id, r);
                regstore::persist(&self.sys, self.flavor, &ep, &aor, &changes, unix_seconds());
                self.remember_binding(&ep, &changes.touched);
                self.log_registration(&ep, &aor, &changes);
                self.registration_events(&ep, &aor, &changes);
                self.qualify_registration(&ep, &aor, &changes);
                self.mwi_after_register(&ep, &aor, &changes);
            }
            Err(status) => self.reject(id, &req, status),
        }
    }

    /// chan_pjsip, as it loads, has every endpoint's device state worked
    /// out (`update_devstate`): before anyone listens, so the states are
    /// only cached, and a later change from them is what gets announced.
    fn seed_endpoint_states(&self) {
        if self.flavor != Flavor::Pjsip {
            return;
        }
        let names: Vec<String> = self
            .sys
            .loaded()
            .pjsip
            .endpoints
            .iter()
            .map(|e| e.name.clone())
            .collect();
        for name in names {
            let device = format!("PJSIP/{name}");
            let state = crate::core::devicestate::device_state(&self.sys, &device);
            self.sys.pbx.devstates.seed(&device, state);
        }
    }

    /// chan_sip keeps a peer's last registered contact after it is gone.
    fn remember_binding(&self, ep: &Endpoint, bindings: &[registrar::Binding]) {
        if self.flavor == Flavor::ChanSip
            && let Some(b) = bindings.last()
        {
            lock(&self.last_bindings).insert(ep.name.clone(), b.clone());
        }
    }

    /// Registrations AstDB brought back at start: chan_sip says nothing
    /// of them (the peer's device state follows its address); pjsip's
    /// endpoint turns reachable with its contacts, as at a REGISTER.
    fn announce_restored(&mut self) {
        for r in std::mem::take(&mut self.restored) {
            self.remember_binding(&r.endpoint, std::slice::from_ref(&r.binding));
            let changes = registrar::Changes {
                added: vec![r.binding.clone()],
                current: vec![r.binding],
                ..registrar::Changes::default()
            };
            match self.flavor {
                Flavor::ChanSip => self.sys.pbx.channels.events.device_changed(
                    &format!("SIP/{}", r.endpoint.name),
                    true,
                    crate::core::devicestate::Pending::Later,
                ),
                Flavor::Pjsip => self.registration_events(&r.endpoint, &r.aor, &changes),
            }
            self.qualify_registration(&r.endpoint, &r.aor, &changes);
        }
    }

    /// Registrations whose time is up: gone from AstDB, and AMI and the
    /// device state told (chan_sip's PeerStatus Unregistered/Expired;
    /// pjsip logs the removal and its ContactStatus Removed).
    fn registrations_expire(&mut self, now: Instant) {
        let expired = lock(&self.registrar).expire(now);
        if expired.is_empty() {
            return;
        }
        let endpoints = self.endpoints();
        for (aor, changes) in expired {
            let ep = match self.flavor {
                Flavor::ChanSip => endpoints.iter().find(|e| e.name == aor),
                Flavor::Pjsip => endpoints.iter().find(|e| e.aors.contains(&aor)),
            };
            let Some(ep) = ep else {
                continue;
            };
            regstore::persist(&self.sys, self.flavor, ep, &aor, &changes, unix_seconds());
            if self.flavor == Flavor::Pjsip {
                self.log_contact_steps(&aor, &changes.steps);
            }
            self.registration_events(ep, &aor, &changes);
            self.qualify_registration(ep, &aor, &changes);
        }
    }

    /// What a registration change tells AMI and the device state:
    /// chan_sip a PeerStatus per contact come or gone; pjsip a PeerStatus
    /// when the endpoint becomes reachable or unreachable, then a
    /// ContactStatus per contact.
    fn registration_events(&self, ep: &Endpoint, aor: &str, changes: &registrar::Changes) {
        if changes.added.is_empty() && changes.removed.is_empty() {
            return;
        }
        let device = format!("{}/{}", self.flavor.tech(), ep.name);
        match self.flavor {
            Flavor::ChanSip => {
                for c in &changes.added {
                    self.system_event(
                        "PeerStatus",
                        format!(
                            "ChannelType: SIP\r\nPeer: {device}\r\nPeerStatus: Registered\r\nAddress: {}\r\n",
                            c.target
                        ),
                    );
                }
                for _ in &changes.removed {
                    self.system_event(
                        "PeerStatus",
                        format!(
                            "ChannelType: SIP\r\nPeer: {device}\r\nPeerStatus: Unregistered\r\nCause: Expired\r\n"
                        ),
                    );
                }
            }
            Flavor::Pjsip => {
                let logger = &self.sys.pbx.logger;
                for c in &changes.removed {
                    logger.verbose(
                        2,
                        crate::site!(
                            "res_pjsip/pjsip_options.c",
                            1034,
                            "sip_options_remove_contact_status"
                        ),
                        None,
                        &format!("Contact {aor}/{} has been deleted", c.uri),
                    );
                }
                let now_online = !changes.current.is_empty();
                let was_online =
                    changes.current.len() + changes.removed.len() > changes.added.len();
                if now_online != was_online {
                    logger.verbose(
                        2,
                        if now_online {
                            crate::site!(
                                "res_pjsip/pjsip_configuration.c",
                                1563,
                                "ast_sip_persistent_endpoint_update_state"
                            )
                        } else {
                            crate::site!(
                                "res_pjsip/pjsip_configuration.c",
                                1576,
                                "ast_sip_persistent_endpoint_update_state"
                            )
                        },
                        None,
                        &format!(
                            "Endpoint {} is now {}",
                            ep.name,
                            if now_online {
                                "Reachable"
                            } else {
                                "Unreachable"
                            }
                        ),
                    );
                    self.system_event(
                        "PeerStatus",
                        format!(
                            "ChannelType: PJSIP\r\nPeer: {device}\r\nPeerStatus: {}\r\n",
                            if now_online {
                                "Reachable"
                            } else {
                                "Unreachable"
                            }
                        ),
                    );
                }
                let contact = |c: &registrar::Binding, status: &str| {
                    format!(
                        "URI: {}\r\nContactStatus: {status}\r\nAOR: {aor}\r\nEndpointName: {}\r\nRoundtripUsec: 0\r\n",
                        c.uri, ep.name
                    )
                };
                for c in &changes.removed {
                    self.system_event("ContactStatus", contact(c, "Removed"));
                }
                for c in &changes.added {
                    self.system_event("ContactStatus", contact(c, "NonQualified"));
                }
            }
        }
        self.sys.pbx.channels.events.device_changed(
            &device,
            true,
            crate::core::devicestate::Pending::Later,
        );
    }

    fn log_registration(&self, ep: &Endpoint, aor: &str, changes: &registrar::Changes) {
        let logger = &self.sys.pbx.logger;
        match self.flavor {
            Flavor::ChanSip => {
                for c in &changes.added {
                    logger.verbose(
                        3,
                        crate::site!("chan_sip.c", 17206, "parse_register_contact"),
                        None,
                        &format!("Registered SIP '{}' at {}", ep.name, c.target),
                    );
                }
                if !changes.removed.is_empty() {
                    logger.verbose(
                        3,
                        crate::site!("chan_sip.c", 17071, "parse_register_contact"),
                        None,
                        &format!("Unregistered SIP '{}'", ep.name),
                    );
                }
            }
            Flavor::Pjsip => self.log_contact_steps(aor, &changes.steps),
        }
    }

    /// res_pjsip_registrar's lines for each contact added or removed, and
    /// the test-suite events it raises for every step (a refresh is only
    /// a debug line).
    fn log_contact_steps(&self, aor: &str, steps: &[registrar::Step]) {
        use crate::core::testsuite::{self, notify};
        use registrar::Step;
        let logger = &self.sys.pbx.logger;
        let bus = &self.sys.pbx.channels.events;
        // ADDED and REFRESHED carry the same fields.
        let bound = |c: &registrar::Binding| {
            format!(
                "Contact: {}\r\nAOR: {aor}\r\nExpiration: {}\r\nUserAgent: {}",
                c.uri, c.expiry, c.user_agent
            )
        };
        for step in steps {
            match step {
                Step::Added(c) => {
                    logger.verbose(
                        3,
                        crate::site!("res_pjsip_registrar.c", 962, "register_aor_core"),
                        None,
                        &format!(
                            "Added contact '{}' to AOR '{aor}' with expiration of {} seconds",
                            c.uri, c.expiry
                        ),
                    );
                    notify(
                        bus,
                        &testsuite::AOR_CONTACT_ADDED,
                        "AOR_CONTACT_ADDED",
                        || bound(c),
                    );
                }
                Step::Refreshed(c) => {
                    notify(
                        bus,
                        &testsuite::AOR_CONTACT_REFRESHED,
                        "AOR_CONTACT_REFRESHED",
                        || bound(c),
                    );
                }
                Step::Removed(c, why) => {
                    logger.verbose(
                        3,
                        crate::site!("res_pjsip_registrar.c", 536, "registrar_contact_delete"),
                        None,
                        &format!(
                            "Removed contact '{}' from AOR '{aor}' due to {}",
                            c.uri,
                            why.reason()
                        ),
                    );
                    // Before the endpoint's state goes out: in three of four
                    // reference captures this event came first (the
                    // PeerStatus travels through stasis and raced it once).
                    notify(
                        bus,
                        &testsuite::AOR_CONTACT_REMOVED,
                        "AOR_CONTACT_REMOVED",
                        || {
                            format!(
                                "Contact: {}\r\nAOR: {aor}\r\nUserAgent: {}",
                                c.uri, c.user_agent
                            )
                        },
                    );
                }
            }
        }
    }

    /// An offer without a codec we may use: 488 (pjsip says nothing in
    /// its log at the default levels).
    fn no_common_codec(&mut self, id: TransactionId, req: &Request) {
        if self.flavor == Flavor::ChanSip {
            self.sys.pbx.logger.notice(
                crate::site!("chan_sip.c", 11015, "process_sdp"),
                None,
                "No compatible codecs, not accepting this offer!",
            );
        }
        self.reject(id, req, 488);
    }

    async fn invite(&mut self, id: TransactionId, req: Request, from: SocketAddr) {
        // chan_sip looks for the call a Replaces names before anything else
        // (first for a BLF key's `pickup-` one).
        let magic_pickup = match self.flavor {
            Flavor::ChanSip => match self.chan_sip_magic_pickup_target(id, &req) {
                Ok(p) => p,
                Err(()) => return,
            },
            Flavor::Pjsip => None,
        };
        let replaces_target = match self.flavor {
            Flavor::ChanSip if magic_pickup.is_none() => {
                match self.chan_sip_replaces_target(id, &req) {
                    Ok(t) => t,
                    Err(()) => return,
                }
            }
            _ => None,
        };
        let Some(ep) = self.admit(id, &req, from) else {
            return;
        };
        let bye_auth = match (&ep.auth, self.flavor) {
            (Some(creds), Flavor::ChanSip) => DigestCredentials::from_headers(&req.headers, false)
                .ok()
                .map(|given| (creds.clone(), given.nonce)),
            _ => None,
        };
        let tag = self.flavor.new_tag();
        let offer = if req.body.is_empty() {
            None
        } else {
            match Sdp::parse(&req.body) {
                Ok(s) => Some(s),
                Err(e) => {
                    // chan_sip refuses the offer, pjsip the request.
                    let logger = &self.sys.pbx.logger;
                    let status = match self.flavor {
                        Flavor::ChanSip => {
                            let text = format!("Insufficient information for SDP ({e})");
                            logger.warning(
                                crate::site!("chan_sip.c", 0, "handle_request_invite"),
                                None,
                                &text,
                            );
                            488
                        }
                        Flavor::Pjsip => {
                            let text = format!("Error parsing/validating SDP body: {e}");
                            // pjproject's own message, forwarded by res_pjproject
                            // with pjproject's sender as the file.
                            logger.error(
                                crate::site!("pjproject", 0, "log_forwarder"),
                                None,
                                &text,
                            );
                            400
                        }
                    };
                    self.reject(id, &req, status);
                    return;
                }
            }
        };
        // chan_sip gives the dialog its call id and RTP before looking at
        // the extension; pjsip makes the id with the channel.
        let callid = (self.flavor == Flavor::ChanSip).then(|| {
            let callid = self.sys.pbx.channels.next_callid();
            log_rtp_qos(&self.sys, self.flavor, callid);
            callid
        });
        let negotiated = match &offer {
            Some(o) => sdp::negotiate(o, &ep.codecs, self.flavor.prefer(), ep.rfc4733),
            // No offer: we offer in the 200 (not yet supported: 488 below).
            None => None,
        };
        // chan_sip weighs the offer before the extension, pjsip after its
        // 100 Trying.
        if negotiated.is_none() && self.flavor == Flavor::ChanSip {
            self.no_common_codec(id, &req);
            return;
        }
        let exten = req.uri.user.clone().unwrap_or_else(|| "s".into());
        let exten = if exten.is_empty() {
            "s".to_string()
        } else {
            exten
        };
        let context = if ep.context.is_empty() {
            "default".to_string()
        } else {
            ep.context.clone()
        };
        let (from_name, from_num) = req
            .headers
            .from()
            .map(|f| (f.display_name.clone(), f.uri.user.clone()))
            .unwrap_or((None, None));
        let caller_num = ep.callerid_num.clone().or(from_num);
        let caller_name = ep.callerid_name.clone().or(from_name);
        // chan_sip then counts the call against its peer's limit (a
        // guest has none).
        if self.flavor == Flavor::ChanSip
            && !ep.name.is_empty()
            && self.incoming_over_limit(&ep.name, callid).is_some()
        {
            // The dialog's username: the peer's (`defaultuser`, else its
            // registered contact's), often empty.
            let device = {
                let loaded = self.sys.loaded();
                loaded
                    .sip
                    .peer(&ep.name)
                    .map(|p| super::peer_now(&self.sys, p).username)
                    .unwrap_or_default()
            };
            self.sys.pbx.logger.notice(
                crate::site!("chan_sip.c", 26802, "handle_request_invite"),
                callid,
                &format!("Failed to place call for device {device}, too many calls"),
            );
            let tag = self.flavor.new_tag();
            let mut r = self.flavor.response(&req, 480, Some(&tag), None);
            r.reason = counters::LIMIT_REASON.to_string();
            let _ = self.tx.send_response(Instant::now(), id, r);
            // handle_incoming reports the INVITE's outcome: this one.
            self.security_event(&req, from, &ep, Kind::SessionLimit);
            return;
        }
        // Both drivers take the pickup extension as one that exists.
        let (exists, pickup) = {
            let loaded = self.sys.loaded();
            let pickup = exten == loaded.features.general.pickupexten;
            let exists = pickup
                || crate::pbx::find::exists(
                    &loaded.dialplan,
                    &context,
                    &exten,
                    1,
                    caller_num.as_deref(),
                );
            (exists, pickup)
        };
        // chan_sip takes a call replacing another wherever it was sent.
        if !exists && replaces_target.is_none() && magic_pickup.is_none() {
            let logger = &self.sys.pbx.logger;
            match self.flavor {
                Flavor::ChanSip => logger.notice(
                    crate::site!("chan_sip.c", 26846, "handle_request_invite"),
                    callid,
                    &format!(
                        "Call from '{}' ({from}) to extension '{exten}' rejected because extension not found in context '{context}'.",
                        ep.name
                    ),
                ),
                Flavor::Pjsip => logger.notice(
                    crate::site!("res_pjsip_session.c", 0, "new_invite"),
                    None,
                    &format!(
                        " {}: Call (UDP:{from}) to extension '{exten}' rejected because extension not found in context '{context}'.",
                        ep.name
                    ),
                ),
            }
            self.reject(id, &req, 404);
            return;
        }
        // Session timers are settled before anything else is said.
        let timer = match Asked::read(&req.headers).map(|a| timer::decide(&ep.timers, &a)) {
            Ok(Decision::Active(t)) => Some(t),
            Ok(Decision::Off) => None,
            Ok(Decision::TooSmall { min_se }) => {
                let tag = self.flavor.new_tag();
                let mut r = self.flavor.response(&req, 422, Some(&tag), None);
                r.headers.push("Min-SE", min_se.to_string());
                let _ = self.tx.send_response(Instant::now(), id, r);
                return;
            }
            Ok(Decision::Refused) => {
                let tag = self.flavor.new_tag();
                let mut r = self.flavor.response(&req, 420, Some(&tag), None);
                r.headers.push("Unsupported", "timer");
                let _ = self.tx.send_response(Instant::now(), id, r);
                return;
            }
            Err(_) => {
                self.reject(id, &req, 400);
                return;
            }
        };
        // 100 Trying once the call will go ahead (a 404 goes without one,
        // from both drivers).
        let mut trying = self
            .flavor
            .response(&req, 100, None, Some(&self.contact_for(&req)));
        if let Some(t) = &timer {
            self.flavor.add_session_timer(&mut trying, t, false);
        }
        let _ = self.tx.send_response(Instant::now(), id, trying);
        let Some(negotiated) = negotiated else {
            self.no_common_codec(id, &req);
            return;
        };
        let via = req
            .headers
            .top_via()
            .ok()
            .map(|v| (v.host.to_string(), v.port));
        let symmetric = ep.symmetric_rtp.decide(via, from);
        let ip = self.local.ip();
        let rtp_ip = if ip.is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            ip
        };
        let port = match bind_pair(rtp_ip, self.range).await {
            Ok((rtp, rtcp)) => {
                rtp_port_allocated(&self.sys, &rtp);
                let (codec, pt) = negotiated.codecs[0];
                let mut cfg = RtpConfig::new(pt);
                cfg.dtmf_payload_type = negotiated.dtmf_pt;
                cfg.symmetric = symmetric;
                let rtp_conf = self.sys.loaded().rtp.clone();
                cfg.strict = rtp_conf.strictrtp;
                cfg.probation = u32::try_from(rtp_conf.probation).unwrap_or(4);
                RtpPort::new(rtp, rtcp, cfg, codec)
            }
            Err(e) => Err(e),
        };
        let rtp = match port {
            Ok(p) => p,
            Err(e) => {
                self.sys.pbx.logger.warning(
                    crate::site!("rtp_engine.c", 0, "ast_rtp_instance_new"),
                    None,
                    &format!("Unable to create RTP instance: {e}"),
                );
                self.reject(id, &req, 503);
                return;
            }
        };
        let (codec, pt) = negotiated.codecs[0];
        rtp.configure(negotiated.remote, codec, pt, negotiated.dtmf_pt);
        // chan_sip always frames its RTP (a smoother); pjsip does not
        // without a ptime.
        rtp.set_smoothing(self.flavor == Flavor::ChanSip);
        // pjsip's session media become active with its SDP answer (183
        // or 200); chan_sip sends to the offer's address at once.
        rtp.set_negotiated(self.flavor == Flavor::ChanSip);

        let key = self.next_key;
        self.next_key += 1;
        let chans = &self.sys.pbx.channels;
        let tech = self.flavor.tech();
        let seq = chans.next_tech_seq(tech);
        let device = if ep.name.is_empty() {
            from.ip().to_string()
        } else {
            ep.name.clone()
        };
        let name = format!("{tech}/{device}-{seq:08x}");
        let mut caller = crate::channels::party::Caller::default();
        caller.id.set_number(caller_num.as_deref());
        caller.id.set_name(caller_name.as_deref());
        let chan = chans.alloc(
            name,
            tech,
            // pjsip's channel has none until its dialplan starts.
            callid.unwrap_or(0),
            NewChannel {
                context: context.clone(),
                exten: exten.clone(),
                priority: 1,
                // pjsip creates its channel ringing; chan_sip down, then
                // sets it ringing once its variables are in.
                state: Some(match self.flavor {
                    Flavor::ChanSip => ChanState::Down,
                    Flavor::Pjsip => ChanState::Ring,
                }),
                caller,
                language: (!ep.language.is_empty()).then(|| ep.language.clone()),
                musicclass: None,
                accountcode: ep.accountcode.clone(),
                linkedid: None,
                vars: Default::default(),
            },
        );
        chan.lock().dialed.number = Some(exten.clone());
        ep.groups.apply(&chan);
        let remote_gone = Arc::new(AtomicBool::new(false));
        let call_id = req.headers.call_id().unwrap_or_default();
        // The text the request came in; should it be missing, the one
        // the parsed request makes.
        let head = self
            .raw_heads
            .get(call_id)
            .cloned()
            .unwrap_or_else(|| raw_head(&req.to_bytes()));
        let headers = Arc::new(match self.flavor {
            Flavor::ChanSip => CallHeaders::chan_sip_inbound(&head),
            Flavor::Pjsip => CallHeaders::pjsip_inbound(&head),
        });
        chan.set_driver(Arc::new(CallDriver {
            key,
            commands: self.commands_tx.clone(),
            flavor: self.flavor,
            rtp: rtp.clone(),
            call_id: call_id.to_string(),
            remote_gone: remote_gone.clone(),
            outgoing: false,
            mohinterpret: ep.mohinterpret.clone(),
            sys: Arc::downgrade(&self.sys),
            headers,
        }));
        chan.set_media_port(rtp.clone());
        rtp.start(&chan);
        if self.flavor == Flavor::ChanSip {
            let contact = req
                .headers
                .contacts()
                .ok()
                .and_then(|c| c.into_iter().next())
                .map(|c| c.uri.to_string())
                .unwrap_or_default();
            let domain = req.uri.host.to_string();
            let call_id = req.headers.call_id().unwrap_or_default().to_string();
            crate::pbx::set_var(&self.sys, Some(&chan), "SIPURI", Some(&contact));
            crate::pbx::set_var(&self.sys, Some(&chan), "SIPDOMAIN", Some(&domain));
            crate::pbx::set_var(&self.sys, Some(&chan), "SIPCALLID", Some(&call_id));
            chan.set_state(ChanState::Ring);
        } else {
            let domain = req.uri.host.to_string();
            crate::pbx::set_var(&self.sys, Some(&chan), "SIPDOMAIN", Some(&domain));
        }

        let origin = self
            .flavor
            .origin(offer.as_ref().map(|o| (o.session_id, o.session_version)));
        let local_rtp = rtp.local_addr();
        let answer_sdp = sdp::build(
            &origin,
            local_rtp.ip(),
            local_rtp.port(),
            &negotiated.codecs,
            negotiated.dtmf_pt,
            negotiated.direction.answer(),
        );
        // Over TCP the dialog stays on the caller's connection (both
        // drivers reuse it); over UDP requests go to the Contact.
        let transport = transport_of(&req);
        let peer = match transport {
            Transport::Udp => contact_target(&req).unwrap_or(from),
            _ => from,
        };
        // chan_sip names the dialog's user after the peer that
        // authenticated, else the caller's number.
        let user = if ep.auth.is_some() {
            ep.name.clone()
        } else {
            chan.lock()
                .caller
                .id
                .number()
                .unwrap_or_default()
                .to_string()
        };
        let call_id = req.headers.call_id().unwrap_or_default().to_string();
        self.by_dialog.insert((call_id, tag.clone()), key);
        self.by_tx.insert(id, key);
        self.changed.push(key);
        self.recount_calls.store(true, Ordering::Relaxed);
        self.calls.insert(
            key,
            Call {
                chan: chan.clone(),
                invite: req,
                invite_tx: Some(id),
                local_tag: tag,
                dialog: None,
                state: CallState::Proceeding,
                peer,
                transport,
                rtp,
                answer_sdp,
                sdp_version: origin.version,
                origin,
                negotiated,
                early_media_sent: false,
                ringing_sent: false,
                outgoing: false,
                invite_done: false,
                bye_auth,
                timer: timer.map(|t| SessionTimer::new(t, false)),
                timer_policy: ep.timers,
                auths: Vec::new(),
                auth_tries: 0,
                answering: None,
                remote_gone,
                mohsuggest: ep.mohsuggest.clone(),
                last_msg: "Rx: INVITE".into(),
                on_hold: false,
                recount: self.recount_calls.clone(),
                user,
                relatedpeer: ep.name.clone(),
                early_remote_tag: None,
            },
        );
        // A call replacing one of ours runs no dialplan either.
        if let Some(pickup) = magic_pickup {
            self.chan_sip_magic_pickup(pickup, &chan);
            return;
        }
        if let Some(target) = replaces_target {
            self.chan_sip_invite_replaces(target, &chan);
            return;
        }
        if self.flavor == Flavor::Pjsip && self.invite_with_replaces(key, &chan) {
            return;
        }
        if pickup {
            // A call to the pickup extension runs no dialplan: a group
            // pickup, then a hangup (chan_sip's pickup thread, pjsip's
            // pickup supplement).
            tokio::spawn(crate::channels::pickup::pickup_exten(
                self.sys.clone(),
                chan.clone(),
                self.flavor == Flavor::Pjsip,
            ));
            return;
        }
        let ctx = AppCtx {
            sys: self.sys.clone(),
            chan: chan.clone(),
        };
        if crate::pbx::run::pbx_start(ctx).is_err() {
            // Past maxcalls/maxload: chan_sip answers 480 itself;
            // chan_pjsip hangs up as congested (503).
            let site = match self.flavor {
                Flavor::ChanSip => crate::site!("chan_sip.c", 27022, "handle_request_invite"),
                Flavor::Pjsip => crate::site!("chan_pjsip.c", 3229, "pbx_start_incoming_request"),
            };
            let msg = "Failed to start PBX (call limit reached) ";
            self.sys.pbx.logger.warning(site, None, msg);
            match self.flavor {
                Flavor::ChanSip => self.hangup(key, crate::channels::causes::NO_ANSWER),
                Flavor::Pjsip => {
                    chan.lock().hangupcause = crate::channels::causes::SWITCH_CONGESTION;
                }
            }
            crate::pbx::run::hangup_channel(&self.sys, &chan);
        }
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Call(out) => self.call(*out),
            Command::Answer(key) => self.answer(key),
            Command::Hangup(key, cause) => self.hangup(key, cause),
            Command::Indicate(key, ind) => self.indicate(key, ind),
            Command::Notify(n) => self.send_notify(*n),
            Command::Message(m) => self.send_message(*m),
            Command::NotifyInDialog(n) => self.notify_in_dialog(*n),
            Command::Qualify(device) => self.qualify_now(&device),
            Command::SendText(key, body, content_type) => {
                self.send_text(key, &body, content_type.as_deref())
            }
            Command::SendInfo(key, content_type, body) => self.send_info(key, content_type, &body),
            Command::Unregister(name) => self.unregister_command(name.as_deref()),
            Command::Register(name) => self.register_command(name.as_deref()).await,
            Command::Reject(r) => self.pjsip_hangup(*r),
            Command::ReferProgress(p) => self.refer_progress(p),
            Command::Transfer(key, dest) => self.transfer(key, &dest),
        }
    }

    fn local_host(&self) -> crate::sip::uri::Host {
        host_of(self.local.ip())
    }

    /// Sends the INVITE of an outgoing call.
    fn call(&mut self, out: Outgoing) {
        // chan_sip: counted from now on by the task itself, whatever
        // happens next.
        if self.flavor == Flavor::ChanSip {
            self.placed.push(out.key);
        }
        let Ok(uri) = crate::sip::Uri::parse(&out.uri) else {
            remote_hangup(&out.chan, 20);
            return;
        };
        let tag = self.flavor.new_tag();
        let call_id = out.call_id.clone();
        let origin = self.flavor.origin(None);
        let codecs: Vec<(Codec, u8)> = out
            .codecs
            .iter()
            .filter_map(|c| c.static_payload_type().map(|pt| (*c, pt)))
            .collect();
        let dtmf_pt = out.rfc4733.then_some(101);
        let local_rtp = out.rtp.local_addr();
        let offer = sdp::build(
            &origin,
            local_rtp.ip(),
            local_rtp.port(),
            &codecs,
            dtmf_pt,
            sdp::Direction::SendRecv,
        );
        let mut req = Request::new(Method::Invite, uri.clone());
        let (cid_name, cid_num) = {
            let d = out.chan.lock();
            (
                d.connected.id.name().map(str::to_string),
                d.connected.id.number().map(str::to_string),
            )
        };
        let from_user = cid_num.clone().unwrap_or(out.from_user.clone());
        let display = cid_name.map(|n| format!("\"{n}\" ")).unwrap_or_default();
        // An open connection to the target is reused whatever was asked.
        let transport = if self.conns.has(out.target) {
            Transport::Tcp
        } else {
            out.transport
        };
        let local = self.local_on(transport);
        let tparam = transport_param(self.flavor, transport);
        let via = self.via_on(transport).to_string();
        let h = &mut req.headers;
        h.push("Via", via);
        if self.flavor == Flavor::ChanSip {
            h.push("Max-Forwards", "70");
        }
        h.push(
            "From",
            format!("{display}<sip:{from_user}@{}>;tag={tag}", local.ip()),
        );
        h.push("To", format!("<{uri}>"));
        h.push("Contact", format!("<sip:{from_user}@{local}{tparam}>"));
        h.push("Call-ID", call_id.clone());
        h.push("CSeq", "102 INVITE");
        // What each driver's INVITE says after the CSeq, in its order.
        match self.flavor {
            Flavor::ChanSip => {
                h.push("User-Agent", self.flavor.user_agent());
                h.push("Date", httpdate_now());
                h.push("Allow", style::CHAN_SIP_ALLOW);
                if out.timers.mode == timer::Mode::Refuse {
                    h.push("Supported", "replaces");
                } else {
                    h.push("Supported", "replaces, timer");
                }
                if out.timers.mode == timer::Mode::Always {
                    h.push("Session-Expires", out.timers.expires.to_string());
                }
                // SIPAddHeader's headers follow Supported (transmit_invite).
                for (name, value) in callheaders::chan_sip_added(&out.chan.lock().vars) {
                    h.push(&name, value);
                }
            }
            Flavor::Pjsip => {
                h.push("Allow", style::PJSIP_ALLOW);
                // pjsip also offers 100rel here (Supported: 100rel, timer,
                // ...); we have no PRACK, so we do not invite the callee
                // to send reliable provisional responses.
                if out.timers.mode == timer::Mode::Refuse {
                    h.push("Supported", "replaces, norefersub, histinfo");
                } else {
                    h.push("Supported", "timer, replaces, norefersub, histinfo");
                    h.push("Session-Expires", out.timers.expires.to_string());
                    h.push("Min-SE", out.timers.min_se.to_string());
                }
                // PJSIP_HEADER's headers: res_pjsip_header_funcs adds them
                // before pjsip's own Max-Forwards and User-Agent.
                for (name, value) in out.headers.take_session() {
                    h.push(&name, value);
                }
                h.push("Max-Forwards", "70");
                h.push("User-Agent", self.flavor.user_agent());
            }
        }
        req.headers.push("Content-Type", "application/sdp");
        req.body = offer.clone();
        let Ok(id) = self
            .tx
            .send_request(Instant::now(), req.clone(), out.target, transport)
        else {
            remote_hangup(&out.chan, 34);
            return;
        };
        // The transaction layer gave the Via its branch; keep what was sent.
        let sent = self.tx.request(id).cloned().unwrap_or(req);
        if self.flavor == Flavor::ChanSip {
            out.headers.set_initial(&raw_head(&sent.to_bytes()));
        }
        self.by_tx.insert(id, out.key);
        self.by_dialog.insert((call_id, tag.clone()), out.key);
        // Calls to a peer name the dialog's user after it.
        let user = peer_of_channel(&out.chan.name);
        self.changed.push(out.key);
        self.recount_calls.store(true, Ordering::Relaxed);
        self.calls.insert(
            out.key,
            Call {
                chan: out.chan,
                invite: sent,
                invite_tx: Some(id),
                local_tag: tag,
                dialog: None,
                state: CallState::Proceeding,
                peer: out.target,
                transport,
                rtp: out.rtp,
                answer_sdp: offer,
                sdp_version: origin.version,
                origin,
                negotiated: sdp::Negotiated {
                    codecs,
                    dtmf_pt,
                    direction: sdp::Direction::SendRecv,
                    remote: None,
                },
                early_media_sent: false,
                ringing_sent: false,
                outgoing: true,
                invite_done: false,
                bye_auth: None,
                timer: None,
                timer_policy: out.timers,
                auths: out.auths,
                auth_tries: 0,
                answering: None,
                remote_gone: out.remote_gone,
                mohsuggest: out.mohsuggest,
                last_msg: "Init: INVITE".into(),
                on_hold: false,
                recount: self.recount_calls.clone(),
                relatedpeer: user.clone(),
                user,
                early_remote_tag: None,
            },
        );
    }

    fn outgoing_response(&mut self, key: u64, resp: crate::sip::message::Response) {
        let flavor = self.flavor;
        let events = self.sys.pbx.channels.events.clone();
        let branch = self.tx.new_branch();
        let Some(transport) = self.calls.get(&key).map(|c| c.transport) else {
            return;
        };
        let mut via = self.via_on(transport);
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let chan = call.chan.clone();
        if !resp.body.is_empty()
            && let Ok(answer) = Sdp::parse(&resp.body)
        {
            let codecs: Vec<Codec> = call.negotiated.codecs.iter().map(|(c, _)| *c).collect();
            if let Some(n) = sdp::negotiate(
                &answer,
                &codecs,
                flavor.prefer(),
                call.negotiated.dtmf_pt.is_some(),
            ) && let Some((codec, pt)) = n.codecs.first()
            {
                call.rtp
                    .configure(n.remote, *codec, *pt, n.dtmf_pt.or(call.negotiated.dtmf_pt));
            }
        }
        match resp.status {
            100..=179 => {}
            180..=199 => {
                if let Ok(to) = resp.headers.to()
                    && let Some(tag) = to.tag()
                {
                    call.early_remote_tag = Some(tag.to_string());
                }
                if chan.state() != ChanState::Up {
                    chan.set_state(ChanState::Ringing);
                    // chan_sip also tells its peer's device, uncached.
                    if flavor == Flavor::ChanSip {
                        events.device_changed(
                            crate::channels::device_name(&chan.name),
                            false,
                            crate::core::devicestate::Pending::Later,
                        );
                    }
                    chan.wake();
                }
            }
            200..=299 => {
                let dialog = match call.dialog.take() {
                    Some(d) => Some(d),
                    None => Dialog::uac(&call.invite, &resp).ok(),
                };
                // The callee's 2xx says whether timers run and who
                // refreshes; a refresher it does not name is us.
                if call.timer.is_none()
                    && call.timer_policy.mode != timer::Mode::Refuse
                    && let Ok(asked) = Asked::read(&resp.headers)
                    && let Some(interval) = asked.interval
                {
                    let active = timer::Active {
                        interval,
                        refresher: asked.refresher.unwrap_or(timer::Refresher::Uac),
                        require: false,
                    };
                    let mut t = SessionTimer::new(active, true);
                    t.restart(Instant::now());
                    call.timer = Some(t);
                }
                if let Some(d) = dialog {
                    let invite_seq = call.invite.headers.cseq().map(|c| c.seq).unwrap_or(102);
                    via.params.set("branch", Some(&branch));
                    let mut ack = d.create_ack(invite_seq, via);
                    self.flavor
                        .finish_request(&mut ack, call.invite.headers.get("Contact"));
                    call.dialog = Some(d);
                    let peer = call.peer;
                    if call.state == CallState::Proceeding {
                        // pjsip keeps the answer's headers for
                        // PJSIP_RESPONSE_HEADER (a 200 while connecting).
                        if flavor == Flavor::Pjsip
                            && resp.status == 200
                            && let Some(h) = chan.driver().and_then(|d| d.sip_headers())
                        {
                            let head = resp
                                .headers
                                .call_id()
                                .ok()
                                .and_then(|c| self.raw_heads.get(c).cloned())
                                .unwrap_or_else(|| raw_head(&resp.to_bytes()));
                            h.set_response(&head);
                        }
                        call.set_state(CallState::Confirmed);
                        chan.set_state(ChanState::Up);
                        chan.wake();
                    }
                    self.tx.transmit(
                        peer,
                        call.transport,
                        &crate::sip::message::Message::Request(ack),
                    );
                }
            }
            401 | 407 if call.state == CallState::Proceeding => {
                if let Err(cause) = self.answer_challenge(key, &resp) {
                    if let Some(call) = self.calls.get_mut(&key) {
                        call.set_state(CallState::Ending);
                        call.rtp.close();
                    }
                    invite_failed(&chan, flavor, resp.status, cause);
                }
            }
            _ => {
                if call.state == CallState::Proceeding {
                    call.set_state(CallState::Ending);
                    call.rtp.close();
                    let cause = style::status_to_cause(flavor, resp.status);
                    invite_failed(&chan, flavor, resp.status, cause);
                }
            }
        }
    }

    /// The device challenged our INVITE (the transaction layer has ACKed
    /// it): send it again with the answer, the next CSeq and a new branch.
    /// chan_sip tries up to three times, whatever the nonce, and gives up
    /// with congestion; pjsip will not answer the same nonce twice (unless
    /// stale) and ends the call with the status's cause. Err is the cause.
    fn answer_challenge(
        &mut self,
        key: u64,
        resp: &crate::sip::message::Response,
    ) -> Result<(), u32> {
        const CHAN_SIP_MAX_TRIES: u32 = 3;
        let flavor = self.flavor;
        let proxy = resp.status == 407;
        let Some(call) = self.calls.get_mut(&key) else {
            return Ok(());
        };
        let give_up = match flavor {
            Flavor::ChanSip => 34,
            Flavor::Pjsip => style::status_to_cause(flavor, resp.status),
        };
        let failed = |call: &Call, sys: &System| {
            if flavor == Flavor::ChanSip {
                sys.pbx.logger.notice(
                    crate::site!("chan_sip.c", 24431, "handle_response_invite"),
                    None,
                    &format!(
                        "Failed to authenticate on INVITE to '{}'",
                        call.invite.headers.get("From").unwrap_or_default()
                    ),
                );
            }
            give_up
        };
        let challenge = DigestChallenge::from_headers(&resp.headers, proxy).ok();
        let Some(challenge) = challenge else {
            return Err(failed(call, &self.sys));
        };
        let same_nonce = call
            .answering
            .as_ref()
            .is_some_and(|(a, _)| a.challenge.nonce == challenge.nonce);
        let exhausted = match flavor {
            Flavor::ChanSip => call.auth_tries >= CHAN_SIP_MAX_TRIES,
            Flavor::Pjsip => same_nonce && !challenge.stale,
        };
        let creds = endpoint::auth_for_realm(&call.auths, &challenge.realm).cloned();
        let Some(creds) = creds.filter(|_| !exhausted) else {
            return Err(failed(call, &self.sys));
        };
        call.auth_tries += 1;
        let mut answering = style::Answering::new(challenge, proxy);
        let mut req = call.invite.clone();
        let uri = req.uri.to_string();
        let Some(authorization) = flavor.authorization(
            &mut answering,
            &Method::Invite,
            &uri,
            &creds.username,
            creds.secret(),
        ) else {
            return Err(failed(call, &self.sys));
        };
        let seq = req.headers.cseq().map(|c| c.seq).unwrap_or(102) + 1;
        req.headers.set_first("CSeq", format!("{seq} INVITE"));
        if let Ok(mut via) = req.headers.top_via() {
            via.params.remove("branch");
            req.headers.set_first("Via", via.to_string());
        }
        // Both drivers put the answer right after User-Agent.
        req.headers
            .insert_after("User-Agent", authorization.0, authorization.1);
        call.answering = Some((answering, creds));
        let (target, transport) = (call.peer, call.transport);
        let Ok(id) = self
            .tx
            .send_request(Instant::now(), req.clone(), target, transport)
        else {
            return Err(34);
        };
        let sent = self.tx.request(id).cloned().unwrap_or(req);
        if let Some(old) = call.invite_tx.replace(id) {
            self.by_tx.remove(&old);
        }
        call.invite = sent;
        self.by_tx.insert(id, key);
        Ok(())
    }

    fn answer(&mut self, key: u64) {
        let Some(contact) = self.calls.get(&key).map(|c| self.contact_for(&c.invite)) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.state != CallState::Proceeding {
            return;
        }
        let Some(id) = call.invite_tx else { return };
        let mut r = self
            .flavor
            .response(&call.invite, 200, Some(&call.local_tag), Some(&contact));
        if call.ringing_sent {
            self.flavor.finish_ok_after_ringing(&mut r);
        }
        r.headers.push("Content-Type", "application/sdp");
        r.body = call.answer_sdp.clone();
        if let Some(t) = call.timer.as_mut() {
            self.flavor.add_session_timer(&mut r, &t.active, false);
            t.restart(Instant::now());
        }
        if let Ok(mut d) = Dialog::uas(&call.invite, &r) {
            // pjsip starts its own CSeqs at random, chan_sip at 101.
            d.local_seq = match self.flavor {
                Flavor::ChanSip => 101,
                Flavor::Pjsip => (random_u64() as u32) & 0x7fff,
            };
            call.dialog = Some(d);
        }
        call.set_state(CallState::Answered);
        call.rtp.set_negotiated(true);
        let _ = self.tx.send_response(Instant::now(), id, r);
    }

    /// chan_pjsip_indicate: ringing and progress have the endpoint's
    /// state looked at again. Asterisk's device-state thread does that at
    /// once, so the calls are read now: a call hung up right after its
    /// Ringing() still counts.
    fn pjsip_indication_devstate(&self, chan: &Arc<crate::channels::Channel>) {
        if self.flavor != Flavor::Pjsip {
            return;
        }
        let device = crate::channels::device_name(&chan.name);
        let calls = self.sys.pbx.channels.device_calls(device);
        self.sys.pbx.channels.events.device_changed(
            device,
            true,
            crate::core::devicestate::Pending::Calls(calls),
        );
    }

    fn indicate(&mut self, key: u64, ind: Indication) {
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        if call.state != CallState::Proceeding {
            return;
        }
        let Some(id) = call.invite_tx else { return };
        let invite = call.invite.clone();
        let tag = call.local_tag.clone();
        let contact = self.contact_for(&invite);
        match ind {
            Indication::Ringing => {
                let chan = self.calls.get_mut(&key).map(|c| {
                    c.ringing_sent = true;
                    c.chan.clone()
                });
                let r = self
                    .flavor
                    .response(&invite, 180, Some(&tag), Some(&contact));
                let _ = self.tx.send_response(Instant::now(), id, r);
                if let Some(chan) = chan {
                    self.pjsip_indication_devstate(&chan);
                }
            }
            Indication::Progress => {
                let Some((sdp, chan)) = self.calls.get_mut(&key).map(|c| {
                    c.early_media_sent = true;
                    c.rtp.set_negotiated(true);
                    (c.answer_sdp.clone(), c.chan.clone())
                }) else {
                    return;
                };
                self.pjsip_indication_devstate(&chan);
                let mut r = self
                    .flavor
                    .response(&invite, 183, Some(&tag), Some(&contact));
                r.headers.push("Content-Type", "application/sdp");
                r.body = sdp;
                let _ = self.tx.send_response(Instant::now(), id, r);
            }
            Indication::Busy | Indication::Congestion => {
                let status = if ind == Indication::Busy { 486 } else { 503 };
                let chan = self.calls.get_mut(&key).map(|c| {
                    c.set_state(CallState::Ending);
                    c.chan.clone()
                });
                let mut r = self.flavor.response(&invite, status, Some(&tag), None);
                if self.flavor == Flavor::Pjsip {
                    // Busy() and Congestion() hang up with these causes.
                    let cause = if ind == Indication::Busy { 17 } else { 34 };
                    r.headers.push("Reason", format!("Q.850;cause={cause}"));
                }
                let _ = self.tx.send_response(Instant::now(), id, r);
                // The call is over for the device: the channel goes too.
                // chan_sip says nothing; pjsip's session ends with the
                // status as the driver's cause and queues the hangup.
                if let Some(chan) = chan {
                    match self.flavor {
                        Flavor::ChanSip => chan.softhangup_quiet(crate::channels::softhangup::DEV),
                        Flavor::Pjsip => {
                            chan.lock().tech_cause = u32::from(status);
                            queue_hangup(&chan);
                        }
                    }
                }
            }
            Indication::Proceeding => {}
        }
    }

    fn hangup(&mut self, key: u64, cause: u32) {
        if self.hangup_deferred(key) {
            return;
        }
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        match call.state {
            CallState::Proceeding if call.outgoing => {
                call.set_state(CallState::Ending);
                call.rtp.close();
                if let Some(id) = call.invite_tx {
                    // The final response (487) still arrives and is ACKed
                    // by the transaction layer. pjsip's CANCEL says why.
                    let reason = match self.flavor {
                        Flavor::ChanSip => Vec::new(),
                        Flavor::Pjsip => {
                            vec![("Reason".to_string(), format!("Q.850;cause={cause}"))]
                        }
                    };
                    let _ = self.tx.cancel_with(Instant::now(), id, reason);
                }
            }
            CallState::Proceeding => {
                call.set_state(CallState::Ending);
                call.rtp.close();
                let invite = call.invite.clone();
                let tag = call.local_tag.clone();
                if let Some(id) = call.invite_tx {
                    let (status, reason) = style::unanswered_hangup_response(self.flavor, cause);
                    let mut r = self.flavor.response(&invite, status, Some(&tag), None);
                    if let Some(reason) = reason {
                        r.reason = reason.to_string();
                    }
                    if self.flavor == Flavor::Pjsip {
                        r.headers.push("Reason", format!("Q.850;cause={cause}"));
                    }
                    let _ = self.tx.send_response(Instant::now(), id, r);
                }
            }
            // Still up but let go by the device: a transfer by REFER
            // went through, and the phone sends the BYE (chan_sip's
            // SIP_DEFER_BYE_ON_TRANSFER).
            CallState::Answered | CallState::Confirmed
                if call.remote_gone.load(Ordering::SeqCst) =>
            {
                self.defer_bye(key)
            }
            CallState::Answered | CallState::Confirmed => self.send_bye(key, cause),
            CallState::Ending => {
                call.rtp.close();
            }
        }
        self.maybe_forget(key);
    }

    /// The once-a-second housekeeping: registrations that lapsed, session
    /// timers that are due. Both scan every registration or call, so they
    /// stay off the per-packet path.
    fn sweep(&mut self, now: Instant) {
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + Duration::from_secs(1);
        self.registrations_expire(now);
        self.session_timers_due(now);
        self.subscriptions_expire(now);
        self.deferred_byes_expire(now);
        self.deferred_expire(now);
    }

    /// Acts on the session timers whose time has come: our refresh goes
    /// out, or the device that should have refreshed has not and the call
    /// ends (RFC 4028 §10).
    fn session_timers_due(&mut self, now: Instant) {
        let due: Vec<(u64, bool)> = self
            .calls
            .iter()
            .filter_map(|(k, c)| {
                let t = c.timer.as_ref()?;
                (t.due? <= now && c.state == CallState::Confirmed).then_some((*k, t.we_refresh))
            })
            .collect();
        for (key, we_refresh) in due {
            if we_refresh {
                self.send_refresh(key);
            } else if let Some(call) = self.calls.get_mut(&key) {
                if let Some(t) = call.timer.as_mut() {
                    t.due = None;
                    t.expired = true;
                }
                // chan_sip says so; pjsip gives its reason in the BYE.
                if self.flavor == Flavor::ChanSip {
                    let text = format!(
                        "Session-Timer expired - {}",
                        call.invite.headers.get("Call-ID").unwrap_or_default()
                    );
                    self.sys.pbx.logger.warning(
                        crate::site!("chan_sip.c", 0, "proc_session_timer"),
                        None,
                        &text,
                    );
                }
                // The channel goes as any hangup does: BYE, then its end.
                call.chan.softhangup_quiet(crate::channels::softhangup::DEV);
            }
        }
    }

    /// Our refresh: a re-INVITE in the dialog with the SDP we last sent
    /// (unchanged, so its version stays) and the negotiated timer.
    fn send_refresh(&mut self, key: u64) {
        let flavor = self.flavor;
        let Some(via) = self.calls.get(&key).map(|c| self.via_on(c.transport)) else {
            return;
        };
        let Some(contact) = self.calls.get(&key).map(|c| self.contact_for(&c.invite)) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let (Some(dialog), Some(t)) = (call.dialog.as_mut(), call.timer.as_mut()) else {
            return;
        };
        let base = dialog.create_request(Method::Invite, via);
        let req = flavor.session_refresh(
            &base,
            &contact,
            t.active.interval,
            call.timer_policy.min_se,
            call.answer_sdp.clone(),
        );
        t.due = None;
        let (peer, transport) = (call.peer, call.transport);
        match self.tx.send_request(Instant::now(), req, peer, transport) {
            Ok(id) => {
                if let Some(t) = call.timer.as_mut() {
                    t.refresh_tx = Some(id);
                }
                self.by_tx.insert(id, key);
            }
            Err(_) => self.refresh_failed(key),
        }
    }

    /// The answer to our refresh: a 2xx is ACKed and the count starts
    /// again; anything else ends the call, as its session is not known to
    /// be alive.
    fn refresh_response(&mut self, key: u64, resp: &crate::sip::message::Response) {
        if resp.status < 200 {
            return;
        }
        let Some(via) = self.calls.get(&key).map(|c| self.via_on(c.transport)) else {
            return;
        };
        let Some(contact) = self.calls.get(&key).map(|c| self.contact_for(&c.invite)) else {
            return;
        };
        let flavor = self.flavor;
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        let Some(t) = call.timer.as_mut() else { return };
        let Some(id) = t.refresh_tx.take() else {
            return;
        };
        if !(200..300).contains(&resp.status) {
            self.refresh_failed(key);
            return;
        }
        t.restart(Instant::now());
        let seq = self
            .tx
            .request(id)
            .and_then(|r| r.headers.cseq().ok())
            .map(|c| c.seq);
        if let (Some(d), Some(seq)) = (call.dialog.as_ref(), seq) {
            let mut ack = d.create_ack(seq, via);
            flavor.finish_request(&mut ack, Some(&format!("<{contact}>")));
            self.tx.transmit(
                call.peer,
                call.transport,
                &crate::sip::message::Message::Request(ack),
            );
        }
    }

    fn refresh_failed(&mut self, key: u64) {
        self.send_bye(key, 16);
        if let Some(c) = self.calls.get(&key) {
            remote_hangup(&c.chan, 16);
        }
    }

    fn send_bye(&mut self, key: u64, cause: u32) {
        // pjsip's BYE asks for rport as its other in-dialog requests do.
        let Some(via) = self.call_via(key) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&key) else {
            return;
        };
        call.set_state(CallState::Ending);
        call.rtp.close();
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        call.last_msg = "Tx: BYE".into();
        self.changed.push(key);
        let mut bye = dialog.create_request(Method::Bye, via);
        let caller_auth = call.bye_auth.as_ref().map(|(creds, nonce)| {
            (
                "Proxy-Authorization",
                style::bye_credentials(
                    creds,
                    nonce,
                    bye.uri.user.as_deref().unwrap_or_default(),
                    call.peer.ip(),
                ),
            )
        });
        // chan_sip answers the challenge its INVITE met once more; pjsip
        // waits to be challenged again.
        let uri = bye.uri.to_string();
        let answered = match (self.flavor, call.answering.as_mut()) {
            (Flavor::ChanSip, Some((a, creds))) => {
                self.flavor
                    .authorization(a, &Method::Bye, &uri, &creds.username, creds.secret())
            }
            _ => None,
        };
        self.flavor
            .finish_bye(&mut bye, cause, caller_auth.or(answered));
        if self.flavor == Flavor::Pjsip && call.timer.as_ref().is_some_and(|t| t.expired) {
            bye.headers.set(
                "Reason",
                "SIP ;cause=408 ;text=\"No session refresh received.\"",
            );
        }
        let (peer, transport) = (call.peer, call.transport);
        if let Ok(id) = self.tx.send_request(Instant::now(), bye, peer, transport) {
            self.by_tx.insert(id, key);
        }
    }
}

/// The device asked to hang up (BYE, CANCEL): the dialplan sees a
/// hangup with `cause` unless it already has one
/// (`ast_queue_hangup_with_cause`).
fn remote_hangup(chan: &Arc<Channel>, cause: u32) {
    let tech_cause = keep_first_cause(chan, cause);
    chan.emit(crate::core::events::EventKind::HangupRequest {
        cause: Some(cause),
        tech_cause,
    });
    chan.softhangup_quiet(crate::channels::softhangup::DEV);
}

/// Gives the channel `cause` unless it has one; returns its technology
/// cause, for the HangupRequest.
fn keep_first_cause(chan: &Channel, cause: u32) -> u32 {
    let mut d = chan.lock();
    if d.hangupcause == 0 {
        d.hangupcause = cause;
    }
    d.tech_cause
}

/// Our INVITE failed with `status`. For the statuses chan_sip has a
/// condition for, it only tells the channel's reader busy or congestion
/// (`AST_CONTROL_BUSY`/`CONGESTION`) and the reader hangs the channel up:
/// no HangupRequest. Otherwise, and always for chan_pjsip, the channel is
/// hung up with `cause`.
fn invite_failed(chan: &Arc<Channel>, flavor: Flavor, status: u16, cause: u32) {
    let condition = flavor.invite_failure_control(status);
    {
        let mut d = chan.lock();
        d.pending_indication = condition;
        // chan_pjsip_session_end: the channel's own last non-2xx response
        // (its dialed cause) is its technology cause.
        if flavor == Flavor::Pjsip && status >= 300 {
            d.tech_cause = u32::from(status);
        }
    }
    if condition.is_some() {
        keep_first_cause(chan, cause);
        chan.softhangup_quiet(crate::channels::softhangup::DEV);
    } else {
        remote_hangup(chan, cause);
    }
}

/// `ast_queue_hangup`: a hangup with whatever cause the channel has (the
/// request names it only when there is one).
fn queue_hangup(chan: &Arc<Channel>) {
    let (cause, tech_cause) = {
        let d = chan.lock();
        (d.hangupcause, d.tech_cause)
    };
    chan.emit(crate::core::events::EventKind::HangupRequest {
        cause: (cause != 0).then_some(cause),
        tech_cause,
    });
    chan.softhangup_quiet(crate::channels::softhangup::DEV);
    chan.wake();
}

/// Where in-dialog requests go: the Contact's address when it is an IP
/// literal (what both drivers do without NAT settings).
fn contact_target(req: &Request) -> Option<SocketAddr> {
    let c = req.headers.contacts().ok()?.into_iter().next()?;
    let ip: IpAddr = c
        .uri
        .host
        .to_string()
        .trim_matches(['[', ']'])
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip, c.uri.port.unwrap_or(5060)))
}

/// What a stack listens on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listen {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
}

/// The next item of an optional channel (never, without one).
async fn recv_next<T>(rx: Option<&mut mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// A datagram from the UDP socket; never, when the stack has none.
async fn recv_udp(
    socket: Option<&UdpSocket>,
    buf: &mut [u8],
) -> std::io::Result<(usize, SocketAddr)> {
    match socket {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

fn host_of(ip: IpAddr) -> crate::sip::uri::Host {
    match ip {
        IpAddr::V4(v4) => crate::sip::uri::Host::V4(v4),
        IpAddr::V6(v6) => crate::sip::uri::Host::V6(v6),
    }
}

/// The transport a received request came over, as its top Via says.
fn transport_of(req: &Request) -> Transport {
    match req.headers.top_via() {
        Ok(v) if v.transport.eq_ignore_ascii_case("TCP") => Transport::Tcp,
        _ => Transport::Udp,
    }
}

/// The transport a URI asks for (`;transport=tcp`), if any.
pub fn uri_transport(uri: &crate::sip::Uri) -> Option<Transport> {
    let t = uri.params.get("transport")??;
    if t.eq_ignore_ascii_case("tcp") {
        Some(Transport::Tcp)
    } else if t.eq_ignore_ascii_case("udp") {
        Some(Transport::Udp)
    } else {
        None
    }
}

/// The `;transport=` our Contact carries: none over UDP; chan_sip writes
/// the token in lower case, pjsip as its transport type name.
fn transport_param(flavor: Flavor, transport: Transport) -> String {
    match (transport, flavor) {
        (Transport::Udp, _) => String::new(),
        (t, Flavor::ChanSip) => format!(";transport={}", t.as_str().to_ascii_lowercase()),
        (t, Flavor::Pjsip) => format!(";transport={}", t.as_str()),
    }
}

/// The Date header value (RFC 7231 IMF-fixdate), as both drivers send it.
fn httpdate_now() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// The test-suite event for an RTP socket just bound.
fn rtp_port_allocated(sys: &System, socket: &UdpSocket) {
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    testsuite::notify(
        &sys.pbx.channels.events,
        &testsuite::RTP_PORT_ALLOCATED,
        "RTP_PORT_ALLOCATED",
        || format!("Port: {port}"),
    );
}
