//! The RFC 3261 §17 transaction layer, sans-IO.
//!
//! [`Transactions`] owns every client and server transaction. The caller
//! feeds it parsed messages and the current time through
//! [`Transactions::handle`], starts client transactions and answers server
//! ones through [`Transactions::send_request`] and
//! [`Transactions::send_response`], then drains [`Transactions::poll`] for
//! [`Output::Transmit`] (bytes to send) and [`Output::Event`] (what the TU
//! must act on), and wakes the layer at [`Transactions::poll_timeout`].
//!
//! INVITE transactions follow RFC 6026: a 2xx moves both sides to
//! Accepted instead of terminating, so retransmitted 2xx reach the TU (to
//! be re-ACKed by the dialog) and retransmitted INVITEs are absorbed. The
//! ACK for a 2xx is not part of any transaction: it is built by the dialog
//! ([`crate::sip::dialog::Dialog::create_ack`]) and sent with
//! [`Transactions::transmit`]; at the server it is handed up as
//! [`Event::Ack`]. The layer does retransmit the UAS's 2xx until that ACK
//! arrives (RFC 3261 §13.3.1.4), since it already owns the timers.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::headers::{BRANCH_COOKIE, HeaderError, Via};
use super::message::{Message, Method, Request, Response};

/// Timer values (RFC 3261 §17.1.1.1 and Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// RTT estimate; pjsip's `timer_t1` in Asterisk (default 500 ms).
    pub t1: Duration,
    /// Cap on non-INVITE and response retransmission intervals.
    pub t2: Duration,
    /// How long the network may hold a message (Timers I and K).
    pub t4: Duration,
    /// Client transaction timeout, Timers B and F; Asterisk's `timer_b`
    /// (default 64 × T1 = 32 s).
    pub timer_b: Duration,
    /// Delay before an automatic 100 Trying to an INVITE. RFC 3261
    /// §17.2.1 suggests 200 ms; Asterisk sends it at once (the reference
    /// transcripts show it within a millisecond), so the default is zero.
    pub trying_delay: Duration,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers::with_t1(Duration::from_millis(500))
    }
}

impl Timers {
    /// Defaults with another T1, deriving Timer B from it as Asterisk does.
    pub fn with_t1(t1: Duration) -> Timers {
        Timers {
            t1,
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_b: t1 * 64,
            trying_delay: Duration::ZERO,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub timers: Timers,
    /// Always add `rport` to the top Via of received requests, and answer
    /// to the source address, as Asterisk's `force_rport=yes` (its default).
    pub force_rport: bool,
    /// Server header for responses the layer generates itself (100 Trying,
    /// 200 to CANCEL, 481, 400).
    pub server: Option<String>,
    /// Seed for branch generation; the caller supplies real randomness.
    pub seed: u64,
    /// The order of Via, From, To, Call-ID and CSeq in responses the layer
    /// generates (`None`: the request's).
    pub response_order: Option<[&'static str; 5]>,
    /// Shapes the CANCELs and the ACKs of non-2xx responses the layer
    /// builds (given the request and the INVITE), for a UA that writes
    /// them its own way; `None` leaves them plain.
    pub style: Option<fn(&mut Request, &Request)>,
    /// Let the TU answer a CANCEL of a pending INVITE itself, after its
    /// 487 ([`Event::CancelRequest`]), as chan_sip orders them; otherwise
    /// the layer answers 200 at once and reports [`Event::Cancelled`].
    pub tu_answers_cancel: bool,
    /// What a request lacking a mandatory header (Call-ID, CSeq, From,
    /// To) gets: a stateless 400 (chan_sip) or silence (pjsip). Without a
    /// Via nothing can be answered either way.
    pub answer_bad_requests: bool,
    /// Accept a request whose CSeq names another method (chan_sip does not
    /// look; pjsip drops it).
    pub lax_cseq_method: bool,
    /// Stamp the top Via as chan_sip does (`;received=` appended, with
    /// `;rport=` moved to the end when the request asked for it) rather
    /// than as pjsip does (`rport=…;received=…` first).
    pub chan_sip_via: bool,
    /// How the UA writes its messages (pjsip's From/To and Content-Length).
    pub printer: crate::sip::message::Printer,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            timers: Timers::default(),
            force_rport: true,
            server: None,
            seed: 0x9e37_79b9_7f4a_7c15,
            response_order: None,
            style: None,
            tu_answers_cancel: false,
            answer_bad_requests: true,
            lax_cseq_method: false,
            chan_sip_via: false,
            printer: crate::sip::message::Printer::Plain,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    /// Reliable transports get no retransmissions and zero-length
    /// lingering timers (RFC 3261 §17.1.1.2, §17.2.1).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// The Via transport token.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }
}

/// Identifies one transaction to the TU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(u64);

impl TransactionId {
    /// An id made up by a test of a transaction user.
    #[cfg(test)]
    pub fn from_raw(n: u64) -> Self {
        TransactionId(n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    pub transport: Transport,
    pub bytes: Vec<u8>,
}

// Boxing the message would cost an allocation per received message to
// shrink a value that only lives for one `handle` call.
#[allow(clippy::large_enum_variant)]
pub enum Input {
    Message {
        from: SocketAddr,
        transport: Transport,
        message: Message,
    },
    /// Nothing arrived; only fire due timers.
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request created a server transaction; answer it with
    /// [`Transactions::send_response`]. The top Via already carries
    /// `received`/`rport`.
    Request {
        id: TransactionId,
        request: Request,
        from: SocketAddr,
        transport: Transport,
    },
    /// An ACK outside any transaction: the ACK for a 2xx (for the dialog),
    /// or a stray one. `invite` names the Accepted INVITE server
    /// transaction it acknowledged, whose 2xx retransmissions now stop.
    Ack {
        request: Request,
        from: SocketAddr,
        transport: Transport,
        invite: Option<TransactionId>,
    },
    /// A response for a client transaction, including retransmitted 2xx
    /// to an INVITE, which the dialog must ACK again.
    Response {
        id: TransactionId,
        response: Response,
    },
    /// A response matching no transaction (RFC 3261 §18.1.2: for the core).
    StrayResponse {
        response: Response,
        from: SocketAddr,
    },
    /// A CANCEL matched this INVITE server transaction, which has no final
    /// response yet; the layer already answered the CANCEL with 200. The TU
    /// should answer the INVITE with 487 (RFC 3261 §9.2).
    Cancelled { id: TransactionId },
    /// With `tu_answers_cancel`: a CANCEL matched this pending INVITE
    /// server transaction. The TU answers the INVITE (487), then the
    /// CANCEL's own transaction `cancel` (200).
    CancelRequest {
        invite: TransactionId,
        cancel: TransactionId,
    },
    /// Timer B or F (no final response: treat as 408), Timer H (no ACK for
    /// a non-2xx) or the 2xx ACK wait (no ACK for a 2xx: the TU should
    /// send BYE, RFC 3261 §13.3.1.4).
    Timeout { id: TransactionId },
    /// An ACK confirmed our non-2xx final response to this INVITE server
    /// transaction (§17.2.1): the INVITE is over for the other side too.
    Acknowledged { id: TransactionId },
    /// The transaction is gone; its id will not appear again.
    Terminated { id: TransactionId },
    /// A received message was unusable and dropped, with why.
    Dropped { from: SocketAddr, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Transmit(Transmit),
    Event(Event),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TxError {
    #[error("no such transaction")]
    Unknown,
    #[error("transaction cannot do that in its current state")]
    State,
    #[error("ACK has no transaction; send it with transmit()")]
    Ack,
    #[error("request is missing a usable header: {0}")]
    Header(#[from] HeaderError),
    #[error("CSeq method does not match the request method")]
    CSeqMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InviteClient,
    NonInviteClient,
    InviteServer,
    NonInviteServer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
}

/// Timers by RFC letter; `L` and `M` are RFC 6026's Accepted-state
/// timers, `Trying` the delayed 100 Trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum TimerKind {
    A,
    B,
    D,
    E,
    F,
    K,
    G,
    H,
    I,
    J,
    L,
    M,
    Trying,
}

/// What a server transaction is found by (RFC 3261 §17.2.3): the branch,
/// the sent-by of the top Via, and the method, with ACK folded into
/// INVITE. Branches without the magic cookie (RFC 2543 peers) use the
/// dialog identifiers and the whole top Via instead of the branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ServerKey {
    branch: String,
    sent_by: String,
    method: Method,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    branch: String,
    method: Method,
}

#[derive(Debug)]
struct Tx {
    kind: Kind,
    state: State,
    peer: SocketAddr,
    transport: Transport,
    request: Request,
    /// Client: the request as sent; server: the last response sent.
    wire: Vec<u8>,
    /// Client INVITE after a non-2xx: the ACK, resent on retransmissions.
    ack: Option<Vec<u8>>,
    last_status: Option<u16>,
    /// The To tag of the response sent, reused for the 200 to a CANCEL.
    to_tag: Option<String>,
    interval: Duration,
    timers: Vec<(TimerKind, Instant)>,
    cancel_pending: bool,
    /// Headers the TU asked to add to its CANCEL (`cancel_with`).
    cancel_headers: Vec<(String, String)>,
    /// Accepted INVITE server transaction: whether the 2xx was ACKed.
    acked: bool,
    server_key: Option<ServerKey>,
    client_key: Option<ClientKey>,
    /// (Call-ID, CSeq) of an Accepted INVITE server transaction, the
    /// index its 2xx ACK is found by.
    accepted_key: Option<(String, u32)>,
}

impl Tx {
    /// A transaction that has sent and received nothing yet; callers add
    /// what differs (its index key, what is on the wire).
    fn new(
        kind: Kind,
        state: State,
        peer: SocketAddr,
        transport: Transport,
        request: Request,
        t1: Duration,
    ) -> Tx {
        Tx {
            kind,
            state,
            peer,
            transport,
            request,
            wire: Vec::new(),
            ack: None,
            last_status: None,
            to_tag: None,
            interval: t1,
            timers: Vec::new(),
            cancel_pending: false,
            cancel_headers: Vec::new(),
            acked: false,
            server_key: None,
            client_key: None,
            accepted_key: None,
        }
    }
}

pub struct Transactions {
    config: Config,
    next_id: u64,
    rng: u64,
    txs: HashMap<u64, Tx>,
    clients: HashMap<ClientKey, u64>,
    servers: HashMap<ServerKey, u64>,
    accepted: HashMap<(String, u32), u64>,
    timers: BinaryHeap<Reverse<(Instant, u64, TimerKind)>>,
    out: VecDeque<Output>,
}

impl Transactions {
    pub fn new(config: Config) -> Transactions {
        Transactions {
            rng: config.seed | 1,
            config,
            next_id: 1,
            txs: HashMap::new(),
            clients: HashMap::new(),
            servers: HashMap::new(),
            accepted: HashMap::new(),
            timers: BinaryHeap::new(),
            out: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many transactions are alive.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The request a transaction was created for (client: as sent, with
    /// the branch filled in).
    pub fn request(&self, id: TransactionId) -> Option<&Request> {
        self.txs.get(&id.0).map(|t| &t.request)
    }

    /// A fresh RFC 3261 branch (magic cookie + 64 random bits).
    pub fn new_branch(&mut self) -> String {
        format!("{BRANCH_COOKIE}{:016x}", self.random())
    }

    /// Random text for tags and cnonces, from the seeded generator.
    pub fn new_tag(&mut self) -> String {
        format!("{:016x}", self.random())
    }

    /// splitmix64: cheap, good enough for uniqueness; unpredictability
    /// comes from the caller's seed.
    fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Feeds a received message or a wake-up. Timers due at `now` fire
    /// first, so callers need not order the two.
    pub fn handle(&mut self, now: Instant, input: Input) {
        self.fire_timers(now);
        if let Input::Message {
            from,
            transport,
            message,
        } = input
        {
            match message {
                Message::Request(r) => self.on_request(now, from, transport, r),
                Message::Response(r) => self.on_response(now, from, r),
            }
        }
    }

    pub fn poll(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the layer next needs [`Input::Timeout`].
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id, kind))) = self.timers.peek().copied() {
            if self.is_live_timer(at, id, kind) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    /// Sends a message outside any transaction: the ACK for a 2xx, or a
    /// stateless response.
    pub fn transmit(&mut self, to: SocketAddr, transport: Transport, message: &Message) {
        self.send(to, transport, message.print(self.config.printer));
    }

    /// Starts a client transaction and sends `request` to `to`. The top
    /// Via must be present; a branch is added if it has none.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut request: Request,
        to: SocketAddr,
        transport: Transport,
    ) -> Result<TransactionId, TxError> {
        if request.method == Method::Ack {
            return Err(TxError::Ack);
        }
        let cseq = request.headers.cseq()?;
        if cseq.method != request.method {
            return Err(TxError::CSeqMethod);
        }
        request.headers.call_id()?;
        let mut via = request.headers.top_via()?;
        let branch = match via.branch() {
            Some(b) => b.to_string(),
            None => {
                let b = self.new_branch();
                via.params.set("branch", Some(&b));
                request.headers.set_first("Via", via.to_string());
                b
            }
        };
        let key = ClientKey {
            branch,
            method: request.method.clone(),
        };
        let invite = request.method == Method::Invite;
        let wire = request.print(self.config.printer);
        let (kind, state) = if invite {
            (Kind::InviteClient, State::Calling)
        } else {
            (Kind::NonInviteClient, State::Trying)
        };
        let id = self.insert(Tx {
            wire: wire.clone(),
            client_key: Some(key.clone()),
            ..Tx::new(kind, state, to, transport, request, self.config.timers.t1)
        });
        self.clients.insert(key, id);
        self.send(to, transport, wire);
        let t = self.config.timers;
        if !transport.is_reliable() {
            self.arm(
                id,
                if invite { TimerKind::A } else { TimerKind::E },
                now + t.t1,
            );
        }
        self.arm(
            id,
            if invite { TimerKind::B } else { TimerKind::F },
            now + t.timer_b,
        );
        Ok(TransactionId(id))
    }

    /// Sends a response on a server transaction.
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: Response,
    ) -> Result<(), TxError> {
        let t = self.config.timers;
        let tx = self.txs.get_mut(&id.0).ok_or(TxError::Unknown)?;
        if !matches!(tx.kind, Kind::InviteServer | Kind::NonInviteServer)
            || !matches!(tx.state, State::Trying | State::Proceeding)
        {
            return Err(TxError::State);
        }
        let status = response.status;
        tx.wire = response.print(self.config.printer);
        tx.last_status = Some(status);
        if let Ok(to) = response.headers.to() {
            tx.to_tag = to.tag().map(str::to_string);
        }
        let (peer, transport, wire, kind) = (tx.peer, tx.transport, tx.wire.clone(), tx.kind);
        let reliable = transport.is_reliable();
        tx.timers.retain(|(k, _)| *k != TimerKind::Trying);
        self.send(peer, transport, wire);
        match (kind, status) {
            (_, 100..=199) => {
                if let Some(tx) = self.txs.get_mut(&id.0) {
                    tx.state = State::Proceeding;
                }
            }
            (Kind::InviteServer, 200..=299) => {
                let key = {
                    let Some(tx) = self.txs.get_mut(&id.0) else {
                        return Err(TxError::Unknown);
                    };
                    tx.state = State::Accepted;
                    tx.interval = t.t1;
                    let key = tx
                        .request
                        .headers
                        .call_id()
                        .ok()
                        .zip(tx.request.headers.cseq().ok())
                        .map(|(c, s)| (c.to_string(), s.seq));
                    tx.accepted_key = key.clone();
                    key
                };
                if let Some(key) = key {
                    self.accepted.insert(key, id.0);
                }
                if !reliable {
                    self.arm(id.0, TimerKind::G, now + t.t1);
                }
                self.arm(id.0, TimerKind::L, now + t.t1 * 64);
            }
            (Kind::InviteServer, _) => {
                if let Some(tx) = self.txs.get_mut(&id.0) {
                    tx.state = State::Completed;
                    tx.interval = t.t1;
                }
                if !reliable {
                    self.arm(id.0, TimerKind::G, now + t.t1);
                }
                self.arm(id.0, TimerKind::H, now + t.t1 * 64);
            }
            (_, _) => {
                if let Some(tx) = self.txs.get_mut(&id.0) {
                    tx.state = State::Completed;
                }
                let j = if reliable { Duration::ZERO } else { t.t1 * 64 };
                self.arm(id.0, TimerKind::J, now + j);
            }
        }
        Ok(())
    }

    /// Cancels a pending INVITE client transaction (RFC 3261 §9.1). The
    /// CANCEL goes out at once if a provisional response has arrived, or
    /// when the first one does (returning `None` until then); it is dropped
    /// if a final response comes first.
    pub fn cancel(
        &mut self,
        now: Instant,
        id: TransactionId,
    ) -> Result<Option<TransactionId>, TxError> {
        self.cancel_with(now, id, Vec::new())
    }

    /// As [`Transactions::cancel`], the CANCEL carrying `headers` too
    /// (before its Max-Forwards), e.g. a Reason.
    pub fn cancel_with(
        &mut self,
        now: Instant,
        id: TransactionId,
        headers: Vec<(String, String)>,
    ) -> Result<Option<TransactionId>, TxError> {
        let tx = self.txs.get_mut(&id.0).ok_or(TxError::Unknown)?;
        if tx.kind != Kind::InviteClient {
            return Err(TxError::State);
        }
        tx.cancel_headers = headers;
        match tx.state {
            State::Calling => {
                tx.cancel_pending = true;
                Ok(None)
            }
            State::Proceeding => self.send_cancel(now, id.0).map(Some),
            _ => Err(TxError::State),
        }
    }

    fn send_cancel(&mut self, now: Instant, invite: u64) -> Result<TransactionId, TxError> {
        let tx = self.txs.get(&invite).ok_or(TxError::Unknown)?;
        let mut cancel = build_cancel(&tx.request, &tx.cancel_headers)?;
        if let Some(style) = self.config.style {
            style(&mut cancel, &tx.request);
        }
        let (peer, transport) = (tx.peer, tx.transport);
        self.send_request(now, cancel, peer, transport)
    }

    fn insert(&mut self, tx: Tx) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.txs.insert(id, tx);
        id
    }

    fn send(&mut self, to: SocketAddr, transport: Transport, bytes: Vec<u8>) {
        self.out.push_back(Output::Transmit(Transmit {
            to,
            transport,
            bytes,
        }));
    }

    fn event(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    fn arm(&mut self, id: u64, kind: TimerKind, at: Instant) {
        if let Some(tx) = self.txs.get_mut(&id) {
            tx.timers.retain(|(k, _)| *k != kind);
            tx.timers.push((kind, at));
            self.timers.push(Reverse((at, id, kind)));
        }
    }

    fn disarm(&mut self, id: u64, kinds: &[TimerKind]) {
        if let Some(tx) = self.txs.get_mut(&id) {
            tx.timers.retain(|(k, _)| !kinds.contains(k));
        }
    }

    fn is_live_timer(&self, at: Instant, id: u64, kind: TimerKind) -> bool {
        self.txs
            .get(&id)
            .is_some_and(|tx| tx.timers.contains(&(kind, at)))
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, id, kind))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if !self.is_live_timer(at, id, kind) {
                continue;
            }
            if let Some(tx) = self.txs.get_mut(&id) {
                tx.timers.retain(|(k, _)| *k != kind);
            }
            self.on_timer(now, id, kind);
        }
    }

    fn on_timer(&mut self, now: Instant, id: u64, kind: TimerKind) {
        let t = self.config.timers;
        let Some(tx) = self.txs.get_mut(&id) else {
            return;
        };
        match kind {
            // Timer A doubles without a cap; Timer B bounds it (§17.1.1.2).
            TimerKind::A => {
                tx.interval *= 2;
                let (peer, transport, wire, next) =
                    (tx.peer, tx.transport, tx.wire.clone(), now + tx.interval);
                self.send(peer, transport, wire);
                self.arm(id, TimerKind::A, next);
            }
            // E doubles up to T2 while Trying, and runs at T2 once a
            // provisional response has arrived (§17.1.2.2).
            TimerKind::E => {
                tx.interval = if tx.state == State::Proceeding {
                    t.t2
                } else {
                    (tx.interval * 2).min(t.t2)
                };
                let (peer, transport, wire, next) =
                    (tx.peer, tx.transport, tx.wire.clone(), now + tx.interval);
                self.send(peer, transport, wire);
                self.arm(id, TimerKind::E, next);
            }
            // G retransmits the final response, non-2xx or (Accepted) 2xx,
            // doubling up to T2 (§17.2.1, §13.3.1.4).
            TimerKind::G => {
                tx.interval = (tx.interval * 2).min(t.t2);
                let (peer, transport, wire, next) =
                    (tx.peer, tx.transport, tx.wire.clone(), now + tx.interval);
                self.send(peer, transport, wire);
                self.arm(id, TimerKind::G, next);
            }
            TimerKind::B | TimerKind::F | TimerKind::H => {
                self.event(Event::Timeout {
                    id: TransactionId(id),
                });
                self.terminate(id);
            }
            TimerKind::L => {
                if !tx.acked {
                    self.event(Event::Timeout {
                        id: TransactionId(id),
                    });
                }
                self.terminate(id);
            }
            TimerKind::D | TimerKind::I | TimerKind::J | TimerKind::K | TimerKind::M => {
                self.terminate(id)
            }
            TimerKind::Trying => {
                if tx.last_status.is_none() {
                    let trying =
                        local_response(&self.config, &tx.request, 100).print(self.config.printer);
                    let (peer, transport) = (tx.peer, tx.transport);
                    if let Some(tx) = self.txs.get_mut(&id) {
                        tx.wire = trying.clone();
                        tx.last_status = Some(100);
                    }
                    self.send(peer, transport, trying);
                }
            }
        }
    }

    fn terminate(&mut self, id: u64) {
        if let Some(tx) = self.txs.remove(&id) {
            if let Some(k) = tx.client_key {
                self.clients.remove(&k);
            }
            if let Some(k) = tx.server_key {
                self.servers.remove(&k);
            }
            if let Some(k) = tx.accepted_key
                && self.accepted.get(&k) == Some(&id)
            {
                self.accepted.remove(&k);
            }
            self.event(Event::Terminated {
                id: TransactionId(id),
            });
        }
    }

    fn local_response(&self, req: &Request, status: u16) -> Response {
        local_response(&self.config, req, status)
    }

    fn on_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        mut req: Request,
    ) {
        let dropped = |s: &mut Self, reason: String| s.event(Event::Dropped { from, reason });
        let mut via = match req.headers.top_via() {
            Ok(v) => v,
            Err(e) => return dropped(self, e.to_string()),
        };
        // Mandatory headers (RFC 3261 §8.1.1); without them no response
        // can be matched by the peer, so answer 400 statelessly.
        let checks = req
            .headers
            .cseq()
            .map_err(|e| e.to_string())
            .and_then(|c| {
                if c.method == req.method || self.config.lax_cseq_method {
                    Ok(c)
                } else {
                    Err("CSeq method does not match".to_string())
                }
            })
            .and_then(|c| {
                req.headers.call_id().map_err(|e| e.to_string())?;
                req.headers.from().map_err(|e| e.to_string())?;
                req.headers.to().map_err(|e| e.to_string())?;
                Ok(c)
            });
        let cseq = match checks {
            Ok(c) => c,
            Err(reason) => {
                if req.method != Method::Ack && self.config.answer_bad_requests {
                    let r = self.local_response(&req, 400);
                    let to = self.response_target(from, &via);
                    self.transmit(to, transport, &Message::Response(r));
                }
                return dropped(self, reason);
            }
        };
        self.stamp_via(&mut via, from);
        req.headers.set_first("Via", via.to_string());
        let key = server_key(&req, &via, &cseq.method);

        match req.method {
            Method::Ack => self.on_ack(now, from, transport, req, key),
            Method::Cancel if !self.servers.contains_key(&key) => {
                self.on_cancel(now, from, transport, req, &via, key)
            }
            _ => {
                if let Some(&id) = self.servers.get(&key) {
                    self.on_retransmitted_request(id);
                    return;
                }
                self.new_server(now, from, transport, req, &via, key);
            }
        }
    }

    /// Where responses go (RFC 3261 §18.2.2 with RFC 3581): the source
    /// address when rport is in play, else the source IP with the sent-by
    /// port.
    fn response_target(&self, from: SocketAddr, via: &Via) -> SocketAddr {
        if self.config.force_rport || via.rport().is_some() {
            from
        } else {
            SocketAddr::new(from.ip(), via.port.unwrap_or(5060))
        }
    }

    /// Adds `rport=<port>;received=<ip>` first in the top Via, as Asterisk
    /// does (visible in the reference transcripts).
    fn stamp_via(&self, via: &mut Via, from: SocketAddr) {
        if self.config.chan_sip_via {
            // build_via: an empty rport goes, then received (and the
            // port, when asked for) at the end.
            let asked = via.rport() == Some(None);
            via.params
                .0
                .retain(|p| !(p.name.eq_ignore_ascii_case("rport") && p.value.is_none()));
            via.params.0.push(super::uri::Param {
                name: "received".into(),
                value: Some(from.ip().to_string()),
            });
            if asked {
                via.params.0.push(super::uri::Param {
                    name: "rport".into(),
                    value: Some(from.port().to_string()),
                });
            }
            return;
        }
        let rport = self.config.force_rport || via.rport().is_some();
        via.params.remove("received");
        via.params.remove("rport");
        let mut front = Vec::new();
        if rport {
            front.push(super::uri::Param {
                name: "rport".into(),
                value: Some(from.port().to_string()),
            });
        }
        front.push(super::uri::Param {
            name: "received".into(),
            value: Some(from.ip().to_string()),
        });
        front.append(&mut via.params.0);
        via.params.0 = front;
    }

    fn new_server(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        req: Request,
        via: &Via,
        key: ServerKey,
    ) {
        let invite = req.method == Method::Invite;
        let peer = self.response_target(from, via);
        let (kind, state) = if invite {
            (Kind::InviteServer, State::Proceeding)
        } else {
            (Kind::NonInviteServer, State::Trying)
        };
        let id = self.insert(Tx {
            server_key: Some(key.clone()),
            ..Tx::new(
                kind,
                state,
                peer,
                transport,
                req.clone(),
                self.config.timers.t1,
            )
        });
        self.servers.insert(key, id);
        self.event(Event::Request {
            id: TransactionId(id),
            request: req,
            from,
            transport,
        });
        if invite {
            let delay = self.config.timers.trying_delay;
            self.arm(id, TimerKind::Trying, now + delay);
            if delay.is_zero() {
                self.fire_timers(now);
            }
        }
    }

    fn on_retransmitted_request(&mut self, id: u64) {
        let Some(tx) = self.txs.get(&id) else {
            return;
        };
        // Trying (nothing sent yet), Confirmed and Accepted absorb it.
        let resend = match tx.state {
            State::Proceeding | State::Completed => tx.last_status.is_some(),
            _ => false,
        };
        if resend {
            let (peer, transport, wire) = (tx.peer, tx.transport, tx.wire.clone());
            self.send(peer, transport, wire);
        }
    }

    fn on_ack(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        req: Request,
        key: ServerKey,
    ) {
        if let Some(&id) = self.servers.get(&key) {
            let Some(tx) = self.txs.get_mut(&id) else {
                return;
            };
            match tx.state {
                // ACK for our non-2xx: absorbed (§17.2.1).
                State::Completed => {
                    tx.state = State::Confirmed;
                    tx.timers
                        .retain(|(k, _)| !matches!(k, TimerKind::G | TimerKind::H));
                    let i = if tx.transport.is_reliable() {
                        Duration::ZERO
                    } else {
                        self.config.timers.t4
                    };
                    self.arm(id, TimerKind::I, now + i);
                    self.event(Event::Acknowledged {
                        id: TransactionId(id),
                    });
                    return;
                }
                State::Confirmed => return,
                _ => {}
            }
        }
        // An ACK for a 2xx has its own branch; find the Accepted INVITE by
        // Call-ID and CSeq number to stop retransmitting the 2xx.
        let dialog_key = req
            .headers
            .call_id()
            .ok()
            .zip(req.headers.cseq().ok())
            .map(|(c, s)| (c.to_string(), s.seq));
        let invite = dialog_key.and_then(|k| self.accepted.get(&k).copied());
        if let Some(id) = invite {
            if let Some(tx) = self.txs.get_mut(&id) {
                tx.acked = true;
            }
            self.disarm(id, &[TimerKind::G]);
        }
        self.event(Event::Ack {
            request: req,
            from,
            transport,
            invite: invite.map(TransactionId),
        });
    }

    fn on_cancel(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        req: Request,
        via: &Via,
        key: ServerKey,
    ) {
        let invite_key = ServerKey {
            method: Method::Invite,
            ..key.clone()
        };
        let invite = self.servers.get(&invite_key).copied();
        let peer = self.response_target(from, via);
        let id = self.insert(Tx {
            server_key: Some(key.clone()),
            ..Tx::new(
                Kind::NonInviteServer,
                State::Trying,
                peer,
                transport,
                req.clone(),
                self.config.timers.t1,
            )
        });
        self.servers.insert(key, id);
        let (status, pending, to_tag) = match invite.and_then(|i| self.txs.get(&i)) {
            Some(tx) => (200, tx.state == State::Proceeding, tx.to_tag.clone()),
            None => (481, false, None),
        };
        if let (true, Some(invite), true) = (pending, invite, self.config.tu_answers_cancel) {
            return self.event(Event::CancelRequest {
                invite: TransactionId(invite),
                cancel: TransactionId(id),
            });
        }
        let mut resp = self.local_response(&req, status);
        // §9.2: the To tag of the 200 should match the INVITE's response.
        if let (Some(tag), Ok(mut to)) = (to_tag, resp.headers.to()) {
            to.set_tag(&tag);
            resp.headers.set("To", to.to_string());
        }
        let _ = self.send_response(now, TransactionId(id), resp);
        if let (true, Some(invite)) = (pending, invite) {
            self.event(Event::Cancelled {
                id: TransactionId(invite),
            });
        }
    }

    fn on_response(&mut self, now: Instant, from: SocketAddr, resp: Response) {
        let (via, cseq) = match (resp.headers.top_via(), resp.headers.cseq()) {
            (Ok(v), Ok(c)) => (v, c),
            (Err(e), _) | (_, Err(e)) => {
                return self.event(Event::Dropped {
                    from,
                    reason: e.to_string(),
                });
            }
        };
        // §8.1.3.3: a response with more than one Via is misrouted.
        if resp.headers.get_all("Via").nth(1).is_some() {
            return self.event(Event::Dropped {
                from,
                reason: "response with more than one Via".into(),
            });
        }
        let key = ClientKey {
            branch: via.branch().unwrap_or("").to_string(),
            method: cseq.method,
        };
        let Some(&id) = self.clients.get(&key) else {
            return self.event(Event::StrayResponse {
                response: resp,
                from,
            });
        };
        let t = self.config.timers;
        let Some(tx) = self.txs.get_mut(&id) else {
            return;
        };
        let status = resp.status;
        let reliable = tx.transport.is_reliable();
        let tid = TransactionId(id);
        match (tx.kind, tx.state, status) {
            (Kind::InviteClient, State::Calling | State::Proceeding, 100..=199) => {
                let was_calling = tx.state == State::Calling;
                tx.state = State::Proceeding;
                let cancel = std::mem::take(&mut tx.cancel_pending);
                // Provisional: stop retransmitting; Timer B only bounds
                // Calling, the TU's Timer C bounds Proceeding.
                self.disarm(id, &[TimerKind::A, TimerKind::B]);
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
                if cancel && was_calling {
                    let _ = self.send_cancel(now, id);
                }
            }
            (Kind::InviteClient, State::Calling | State::Proceeding, 200..=299) => {
                tx.state = State::Accepted;
                self.disarm(id, &[TimerKind::A, TimerKind::B]);
                self.arm(id, TimerKind::M, now + t.t1 * 64);
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
            }
            (Kind::InviteClient, State::Calling | State::Proceeding, _) => {
                tx.state = State::Completed;
                tx.cancel_pending = false;
                let mut ack = build_ack(&tx.request, &resp);
                if let Some(style) = self.config.style {
                    style(&mut ack, &tx.request);
                }
                let ack = ack.print(self.config.printer);
                tx.ack = Some(ack.clone());
                let (peer, transport) = (tx.peer, tx.transport);
                self.disarm(id, &[TimerKind::A, TimerKind::B]);
                self.send(peer, transport, ack);
                let d = if reliable {
                    Duration::ZERO
                } else {
                    Duration::from_secs(32)
                };
                self.arm(id, TimerKind::D, now + d);
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
            }
            // Retransmitted final: ACK again, absorbed (§17.1.1.2).
            (Kind::InviteClient, State::Completed, 300..=699) => {
                if let Some(ack) = tx.ack.clone() {
                    let (peer, transport) = (tx.peer, tx.transport);
                    self.send(peer, transport, ack);
                }
            }
            (Kind::InviteClient, State::Accepted, 200..=299) => {
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
            }
            (Kind::NonInviteClient, State::Trying | State::Proceeding, 100..=199) => {
                tx.state = State::Proceeding;
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
            }
            (Kind::NonInviteClient, State::Trying | State::Proceeding, _) => {
                tx.state = State::Completed;
                self.disarm(id, &[TimerKind::E, TimerKind::F]);
                let k = if reliable { Duration::ZERO } else { t.t4 };
                self.arm(id, TimerKind::K, now + k);
                self.event(Event::Response {
                    id: tid,
                    response: resp,
                });
            }
            _ => {}
        }
    }
}

/// A response generated by the layer itself, with the Server header.
fn local_response(config: &Config, req: &Request, status: u16) -> Response {
    let server = config.server.as_deref();
    let mut r = match &config.response_order {
        Some(order) => Response::for_request_in(req, status, order),
        None => Response::for_request(req, status),
    };
    if let Some(s) = server {
        r.headers.push("Server", s);
    }
    r
}

fn server_key(req: &Request, via: &Via, cseq_method: &Method) -> ServerKey {
    let method = match cseq_method {
        Method::Ack => Method::Invite,
        m => m.clone(),
    };
    let sent_by = via.sent_by().to_ascii_lowercase();
    let branch = match via.branch() {
        Some(b) if via.is_rfc3261_branch() => b.to_string(),
        // §17.2.3 fallback for RFC 2543 peers: the request's identifiers.
        _ => {
            let h = &req.headers;
            let from_tag = h.from().ok().and_then(|f| f.tag().map(str::to_string));
            let cseq = h.cseq().map(|c| c.seq).unwrap_or(0);
            format!(
                "2543:{}:{}:{}:{}:{}",
                h.call_id().unwrap_or(""),
                cseq,
                from_tag.unwrap_or_default(),
                req.uri,
                via.branch().unwrap_or("")
            )
        }
    };
    ServerKey {
        branch,
        sent_by,
        method,
    }
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same
/// Request-URI, Call-ID, From, CSeq number and top Via as the INVITE, the
/// To of the response, and the INVITE's Route headers.
fn build_ack(invite: &Request, resp: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    let h = &invite.headers;
    if let Some(v) = h.get("Via") {
        ack.headers.push("Via", v);
    }
    if let Some(v) = h.get("From") {
        ack.headers.push("From", v);
    }
    if let Some(v) = resp.headers.get("To").or(h.get("To")) {
        ack.headers.push("To", v);
    }
    if let Some(v) = h.get("Call-ID") {
        ack.headers.push("Call-ID", v);
    }
    let seq = h.cseq().map(|c| c.seq).unwrap_or(0);
    ack.headers.push("CSeq", format!("{seq} ACK"));
    for r in h.get_all("Route") {
        ack.headers.push("Route", r);
    }
    ack.headers.push("Max-Forwards", "70");
    ack
}

/// A CANCEL for `invite` (RFC 3261 §9.1).
fn build_cancel(invite: &Request, extra: &[(String, String)]) -> Result<Request, TxError> {
    let mut c = Request::new(Method::Cancel, invite.uri.clone());
    let h = &invite.headers;
    let seq = h.cseq()?.seq;
    c.headers.push("Via", h.top_via()?.to_string());
    for name in ["From", "To", "Call-ID"] {
        if let Some(v) = h.get(name) {
            c.headers.push(name, v);
        }
    }
    c.headers.push("CSeq", format!("{seq} CANCEL"));
    for r in h.get_all("Route") {
        c.headers.push("Route", r);
    }
    for (name, value) in extra {
        c.headers.push(name, value.as_str());
    }
    c.headers.push("Max-Forwards", "70");
    Ok(c)
}

#[cfg(test)]
mod tests;
