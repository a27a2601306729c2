//! Every timer on a simulated clock: the layer is stepped from one
//! `poll_timeout` to the next, and outputs are recorded with the elapsed
//! time, so the schedule reads as RFC 3261's tables.

use super::*;
use crate::sip::message::parse_datagram;

const UAC: &str = "127.0.0.1:5076";
const UAS: &str = "127.0.0.1:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:601@127.0.0.1:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5076;branch={branch}\r\n\
From: \"2001\" <sip:2001@127.0.0.1:5076>;tag=from1\r\n\
To: <sip:601@127.0.0.1:5060>\r\n\
Call-ID: call-1@127.0.0.1\r\n\
CSeq: 1 {method}\r\n\
Contact: <sip:2001@127.0.0.1:5076>\r\n\
Max-Forwards: 70\r\n\
Content-Length: 0\r\n\r\n"
    );
    match parse_datagram(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn response(req: &Request, status: u16, to_tag: Option<&str>) -> Response {
    let mut r = Response::for_request(req, status);
    if let Some(tag) = to_tag {
        let mut to = r.headers.to().unwrap();
        to.set_tag(tag);
        r.headers.set("To", to.to_string());
    }
    r
}

struct Sim {
    layer: Transactions,
    t0: Instant,
    /// (elapsed, output) in order.
    log: Vec<(Duration, Output)>,
}

impl Sim {
    fn new(config: Config) -> Sim {
        Sim {
            layer: Transactions::new(config),
            t0: Instant::now(),
            log: Vec::new(),
        }
    }

    fn udp() -> Sim {
        Sim::new(Config::default())
    }

    fn at(&self, d: Duration) -> Instant {
        self.t0 + d
    }

    fn drain(&mut self, now: Instant) {
        while let Some(o) = self.layer.poll() {
            self.log.push((now - self.t0, o));
        }
    }

    /// Runs timers up to `end` (elapsed).
    fn run_until(&mut self, end: Duration) {
        let end = self.at(end);
        while let Some(at) = self.layer.poll_timeout() {
            if at > end {
                break;
            }
            self.layer.handle(at, Input::Timeout);
            self.drain(at);
        }
    }

    fn receive(&mut self, d: Duration, from: &str, transport: Transport, message: Message) {
        self.run_until(d);
        let now = self.at(d);
        self.layer.handle(
            now,
            Input::Message {
                from: addr(from),
                transport,
                message,
            },
        );
        self.drain(now);
    }

    /// Elapsed times (ms) of transmissions whose first line starts with
    /// `start`.
    fn sends(&self, start: &str) -> Vec<u128> {
        self.log
            .iter()
            .filter_map(|(d, o)| match o {
                Output::Transmit(t) if t.bytes.starts_with(start.as_bytes()) => Some(d.as_millis()),
                _ => None,
            })
            .collect()
    }

    fn transmits(&self) -> Vec<Message> {
        self.log
            .iter()
            .filter_map(|(_, o)| match o {
                Output::Transmit(t) => parse_datagram(&t.bytes).ok(),
                _ => None,
            })
            .collect()
    }

    fn events(&self) -> Vec<(u128, Event)> {
        self.log
            .iter()
            .filter_map(|(d, o)| match o {
                Output::Event(e) => Some((d.as_millis(), e.clone())),
                _ => None,
            })
            .collect()
    }

    fn clear(&mut self) {
        self.log.clear();
    }
}

fn short(e: &Event) -> String {
    match e {
        Event::Request { request, .. } => format!("Request {}", request.method),
        Event::Ack { invite, .. } => format!("Ack invite={}", invite.is_some()),
        Event::Response { response, .. } => format!("Response {}", response.status),
        Event::StrayResponse { response, .. } => format!("Stray {}", response.status),
        Event::Cancelled { .. } => "Cancelled".into(),
        Event::CancelRequest { .. } => "CancelRequest".into(),
        Event::Timeout { .. } => "Timeout".into(),
        Event::Acknowledged { .. } => "Acknowledged".into(),
        Event::Terminated { .. } => "Terminated".into(),
        Event::Dropped { reason, .. } => format!("Dropped {reason}"),
    }
}

fn events(sim: &Sim) -> Vec<(u128, String)> {
    sim.events().iter().map(|(t, e)| (*t, short(e))).collect()
}

// ---- client transactions ----

#[test]
fn timer_a_doubles_until_timer_b() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    sim.layer
        .send_request(
            now,
            request("INVITE", "z9hG4bK1"),
            addr(UAS),
            Transport::Udp,
        )
        .unwrap();
    sim.drain(now);
    sim.run_until(Duration::from_secs(100));
    assert_eq!(
        sim.sends("INVITE"),
        [0, 500, 1500, 3500, 7500, 15500, 31500]
    );
    assert_eq!(
        events(&sim),
        [(32000, "Timeout".into()), (32000, "Terminated".into())]
    );
    assert!(sim.layer.is_empty());
}

#[test]
fn timer_b_follows_config_and_reliable_transport_never_retransmits() {
    let mut config = Config::default();
    config.timers.timer_b = Duration::from_secs(10);
    let mut sim = Sim::new(config);
    let now = sim.t0;
    sim.layer
        .send_request(
            now,
            request("INVITE", "z9hG4bK1"),
            addr(UAS),
            Transport::Tcp,
        )
        .unwrap();
    sim.drain(now);
    sim.run_until(Duration::from_secs(100));
    assert_eq!(sim.sends("INVITE"), [0]);
    assert_eq!(events(&sim)[0], (10000, "Timeout".into()));
}

#[test]
fn custom_t1_scales_timer_a() {
    let mut sim = Sim::new(Config {
        timers: Timers::with_t1(ms(100)),
        ..Config::default()
    });
    let now = sim.t0;
    sim.layer
        .send_request(
            now,
            request("INVITE", "z9hG4bK1"),
            addr(UAS),
            Transport::Udp,
        )
        .unwrap();
    sim.drain(now);
    sim.run_until(Duration::from_secs(100));
    assert_eq!(sim.sends("INVITE"), [0, 100, 300, 700, 1500, 3100, 6300]);
    assert_eq!(events(&sim)[0], (6400, "Timeout".into()));
}

#[test]
fn timer_e_doubles_capped_at_t2_until_timer_f() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    sim.layer
        .send_request(
            now,
            request("OPTIONS", "z9hG4bK1"),
            addr(UAS),
            Transport::Udp,
        )
        .unwrap();
    sim.drain(now);
    sim.run_until(Duration::from_secs(100));
    assert_eq!(
        sim.sends("OPTIONS"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        events(&sim),
        [(32000, "Timeout".into()), (32000, "Terminated".into())]
    );
}

#[test]
fn timer_e_runs_at_t2_once_proceeding() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("REGISTER", "z9hG4bK1");
    sim.layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    sim.drain(now);
    sim.receive(
        ms(600),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 100, None)),
    );
    sim.run_until(ms(14000));
    assert_eq!(sim.sends("REGISTER"), [0, 500, 1500, 5500, 9500, 13500]);
}

#[test]
fn timer_k_after_final_response() {
    for (transport, gone_at) in [(Transport::Udp, 5700), (Transport::Tcp, 700)] {
        let mut sim = Sim::udp();
        let now = sim.t0;
        let req = request("OPTIONS", "z9hG4bK1");
        sim.layer
            .send_request(now, req.clone(), addr(UAS), transport)
            .unwrap();
        sim.drain(now);
        sim.receive(
            ms(700),
            UAS,
            transport,
            Message::Response(response(&req, 200, Some("x"))),
        );
        if transport == Transport::Udp {
            // A retransmitted final response is absorbed.
            sim.receive(
                ms(800),
                UAS,
                transport,
                Message::Response(response(&req, 200, Some("x"))),
            );
        }
        sim.run_until(Duration::from_secs(60));
        assert_eq!(
            events(&sim),
            [(700, "Response 200".into()), (gone_at, "Terminated".into())],
            "{transport:?}"
        );
        // No retransmission after the response.
        assert!(sim.sends("OPTIONS").iter().all(|t| *t < 700));
    }
}

#[test]
fn non_2xx_acked_by_client_transaction_then_timer_d() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    let id = sim
        .layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    sim.drain(now);
    let busy = response(&req, 486, Some("uas-tag"));
    sim.receive(
        ms(200),
        UAS,
        Transport::Udp,
        Message::Response(busy.clone()),
    );
    sim.receive(ms(1200), UAS, Transport::Udp, Message::Response(busy));
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.sends("ACK"), [200, 1200]);
    assert_eq!(sim.sends("INVITE"), [0]);
    assert_eq!(
        events(&sim),
        [(200, "Response 486".into()), (32200, "Terminated".into())]
    );
    let Some(Message::Request(ack)) = sim.transmits().into_iter().nth(1) else {
        panic!("ACK")
    };
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.uri, req.uri);
    assert_eq!(ack.headers.cseq().unwrap().to_string(), "1 ACK");
    assert_eq!(ack.headers.top_via().unwrap().branch(), Some("z9hG4bKinv"));
    assert_eq!(ack.headers.to().unwrap().tag(), Some("uas-tag"));
    assert_eq!(ack.headers.get("From"), req.headers.get("From"));
    assert!(sim.layer.request(id).is_none());
}

#[test]
fn timer_d_is_zero_on_reliable_transport() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    sim.layer
        .send_request(now, req.clone(), addr(UAS), Transport::Tls)
        .unwrap();
    sim.receive(
        ms(50),
        UAS,
        Transport::Tls,
        Message::Response(response(&req, 404, Some("t"))),
    );
    sim.run_until(Duration::from_secs(1));
    assert_eq!(
        events(&sim),
        [(50, "Response 404".into()), (50, "Terminated".into())]
    );
}

#[test]
fn invite_2xx_is_not_acked_by_the_transaction_and_retransmissions_reach_the_tu() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    sim.layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    sim.drain(now);
    sim.receive(
        ms(100),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 180, Some("t"))),
    );
    let ok = response(&req, 200, Some("t"));
    sim.receive(ms(300), UAS, Transport::Udp, Message::Response(ok.clone()));
    sim.receive(ms(800), UAS, Transport::Udp, Message::Response(ok));
    sim.run_until(Duration::from_secs(60));
    assert!(
        sim.sends("ACK").is_empty(),
        "the dialog ACKs a 2xx, not the transaction"
    );
    assert_eq!(sim.sends("INVITE"), [0]);
    assert_eq!(
        events(&sim),
        [
            (100, "Response 180".into()),
            (300, "Response 200".into()),
            (800, "Response 200".into()),
            (32300, "Terminated".into()) // Timer M (RFC 6026)
        ]
    );
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    let id = sim
        .layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    assert_eq!(sim.layer.cancel(now, id), Ok(None));
    sim.drain(now);
    sim.receive(
        ms(700),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 180, Some("t"))),
    );
    assert_eq!(sim.sends("CANCEL"), [700]);
    let cancel = sim
        .transmits()
        .into_iter()
        .find_map(|m| match m {
            Message::Request(r) if r.method == Method::Cancel => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(cancel.headers.cseq().unwrap().to_string(), "1 CANCEL");
    assert_eq!(
        cancel.headers.top_via().unwrap().branch(),
        Some("z9hG4bKinv")
    );
    assert_eq!(cancel.headers.to().unwrap().tag(), None);
    assert_eq!(cancel.uri, req.uri);
    // The 200 to the CANCEL goes to the CANCEL transaction, the 487 to the
    // INVITE one (same branch, told apart by CSeq method).
    sim.receive(
        ms(750),
        UAS,
        Transport::Udp,
        Message::Response(response(&cancel, 200, Some("t"))),
    );
    sim.receive(
        ms(760),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 487, Some("t"))),
    );
    let ev: Vec<_> = sim.events();
    let resp: Vec<(TransactionId, u16)> = ev
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Response { id, response } => Some((*id, response.status)),
            _ => None,
        })
        .collect();
    assert_eq!(resp[0], (id, 180));
    assert_ne!(resp[1].0, id);
    assert_eq!(resp[1].1, 200);
    assert_eq!(resp[2], (id, 487));
    assert_eq!(sim.sends("ACK"), [760]);
    // Nothing left to cancel.
    assert_eq!(sim.layer.cancel(now, id), Err(TxError::State));
}

#[test]
fn response_matching() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    sim.layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    sim.drain(now);
    let other_branch = response(&request("INVITE", "z9hG4bKother"), 180, None);
    sim.receive(ms(10), UAS, Transport::Udp, Message::Response(other_branch));
    let mut wrong_method = response(&req, 200, None);
    wrong_method.headers.set("CSeq", "1 BYE");
    sim.receive(ms(20), UAS, Transport::Udp, Message::Response(wrong_method));
    let mut two_vias = response(&req, 180, None);
    two_vias
        .headers
        .push("Via", "SIP/2.0/UDP proxy;branch=z9hG4bKp");
    sim.receive(ms(30), UAS, Transport::Udp, Message::Response(two_vias));
    assert_eq!(
        events(&sim),
        [
            (10, "Stray 180".into()),
            (20, "Stray 200".into()),
            (30, "Dropped response with more than one Via".into())
        ]
    );
    // Still Calling: Timer A keeps going.
    sim.run_until(ms(600));
    assert_eq!(sim.sends("INVITE"), [0, 500]);
}

#[test]
fn send_request_checks_and_fills_branch() {
    let mut sim = Sim::udp();
    let now = sim.t0;
    assert_eq!(
        sim.layer
            .send_request(now, request("ACK", "z9hG4bK1"), addr(UAS), Transport::Udp),
        Err(TxError::Ack)
    );
    let mut bad = request("BYE", "z9hG4bK1");
    bad.headers.set("CSeq", "1 INVITE");
    assert_eq!(
        sim.layer.send_request(now, bad, addr(UAS), Transport::Udp),
        Err(TxError::CSeqMethod)
    );
    let mut no_branch = request("BYE", "x");
    no_branch
        .headers
        .set("Via", "SIP/2.0/UDP 127.0.0.1:5076;rport");
    let id = sim
        .layer
        .send_request(now, no_branch, addr(UAS), Transport::Udp)
        .unwrap();
    let via = sim.layer.request(id).unwrap().headers.top_via().unwrap();
    assert!(via.is_rfc3261_branch(), "{via}");
    assert!(via.rport().is_some());
}

// ---- server transactions ----

fn server_invite(sim: &mut Sim, transport: Transport) -> (TransactionId, Request) {
    let req = request("INVITE", "z9hG4bKsrv");
    sim.receive(Duration::ZERO, UAC, transport, Message::Request(req));
    let (id, req) = sim
        .events()
        .into_iter()
        .find_map(|(_, e)| match e {
            Event::Request { id, request, .. } => Some((id, request)),
            _ => None,
        })
        .unwrap();
    (id, req)
}

#[test]
fn invite_server_sends_100_trying_at_once_like_asterisk() {
    let mut sim = Sim::new(Config {
        server: Some("Asterisk PBX 20.20.1".into()),
        ..Config::default()
    });
    let (_, req) = server_invite(&mut sim, Transport::Udp);
    // The TU sees the stamped Via, as pjsip's does.
    assert_eq!(
        req.headers.get("Via"),
        Some("SIP/2.0/UDP 127.0.0.1:5076;rport=5076;received=127.0.0.1;branch=z9hG4bKsrv")
    );
    assert_eq!(sim.sends("SIP/2.0 100 Trying"), [0]);
    let Message::Response(trying) = &sim.transmits()[0] else {
        panic!("100")
    };
    assert_eq!(trying.headers.get("Via"), req.headers.get("Via"));
    assert_eq!(trying.headers.get("Server"), Some("Asterisk PBX 20.20.1"));
    assert_eq!(trying.headers.to().unwrap().tag(), None);
    // A retransmitted INVITE gets the 100 again and is not passed up.
    sim.receive(
        ms(500),
        UAC,
        Transport::Udp,
        Message::Request(request("INVITE", "z9hG4bKsrv")),
    );
    assert_eq!(sim.sends("SIP/2.0 100 Trying"), [0, 500]);
    assert_eq!(events(&sim), [(0, "Request INVITE".into())]);
}

#[test]
fn rfc_trying_delay_is_cancelled_by_a_quick_answer() {
    let config = Config {
        timers: Timers {
            trying_delay: ms(200),
            ..Timers::default()
        },
        ..Config::default()
    };
    let mut sim = Sim::new(config.clone());
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    assert!(sim.sends("SIP/2.0").is_empty());
    sim.run_until(ms(100));
    sim.layer
        .send_response(sim.at(ms(100)), id, response(&req, 180, Some("a")))
        .unwrap();
    sim.drain(sim.at(ms(100)));
    sim.run_until(ms(1000));
    assert_eq!(sim.sends("SIP/2.0 180"), [100]);
    assert!(sim.sends("SIP/2.0 100").is_empty());

    let mut slow = Sim::new(config);
    server_invite(&mut slow, Transport::Udp);
    slow.run_until(ms(1000));
    assert_eq!(slow.sends("SIP/2.0 100"), [200]);
}

#[test]
fn timer_g_retransmits_final_until_timer_h() {
    let mut sim = Sim::udp();
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    sim.clear();
    sim.layer
        .send_response(sim.t0, id, response(&req, 486, Some("a")))
        .unwrap();
    sim.drain(sim.t0);
    sim.run_until(Duration::from_secs(60));
    assert_eq!(
        sim.sends("SIP/2.0 486"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        events(&sim),
        [(32000, "Timeout".into()), (32000, "Terminated".into())]
    );
    // Answering a finished transaction is refused.
    assert_eq!(
        sim.layer
            .send_response(sim.t0, id, response(&req, 200, None)),
        Err(TxError::Unknown)
    );
}

#[test]
fn ack_for_non_2xx_is_absorbed_then_timer_i() {
    for (transport, gone_at) in [(Transport::Udp, 6200), (Transport::Tcp, 1200)] {
        let mut sim = Sim::udp();
        let (id, req) = server_invite(&mut sim, transport);
        sim.clear();
        sim.layer
            .send_response(sim.t0, id, response(&req, 486, Some("a")))
            .unwrap();
        assert_eq!(
            sim.layer
                .send_response(sim.t0, id, response(&req, 486, Some("a"))),
            Err(TxError::State)
        );
        sim.drain(sim.t0);
        let mut ack = request("ACK", "z9hG4bKsrv");
        ack.headers.set("CSeq", "1 ACK");
        sim.receive(ms(1200), UAC, transport, Message::Request(ack.clone()));
        if transport == Transport::Udp {
            // Retransmitted ACK and INVITE in Confirmed are absorbed too.
            sim.receive(ms(1300), UAC, transport, Message::Request(ack));
            sim.receive(
                ms(1400),
                UAC,
                transport,
                Message::Request(request("INVITE", "z9hG4bKsrv")),
            );
        }
        sim.run_until(Duration::from_secs(60));
        let expected: &[u128] = if transport == Transport::Udp {
            &[0, 500]
        } else {
            &[0]
        };
        assert_eq!(sim.sends("SIP/2.0 486"), expected, "{transport:?}");
        // The first ACK is told (once); the transaction goes after I.
        assert_eq!(
            events(&sim),
            [
                (1200, "Acknowledged".into()),
                (gone_at, "Terminated".into())
            ],
            "{transport:?}"
        );
    }
}

#[test]
fn accepted_2xx_retransmitted_until_the_dialog_acks_it() {
    let mut sim = Sim::udp();
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    sim.clear();
    sim.layer
        .send_response(sim.t0, id, response(&req, 200, Some("a")))
        .unwrap();
    sim.drain(sim.t0);
    // The 2xx ACK has a new branch: it matches no transaction and is
    // handed to the TU (the dialog), naming the INVITE it acknowledges.
    let mut ack = request("ACK", "z9hG4bKack");
    ack.headers.set("CSeq", "1 ACK");
    sim.receive(ms(2000), UAC, Transport::Udp, Message::Request(ack));
    // A retransmitted INVITE in Accepted is absorbed (RFC 6026).
    sim.receive(
        ms(2100),
        UAC,
        Transport::Udp,
        Message::Request(request("INVITE", "z9hG4bKsrv")),
    );
    sim.run_until(Duration::from_secs(60));
    assert_eq!(sim.sends("SIP/2.0 200"), [0, 500, 1500]);
    let ev = sim.events();
    assert!(matches!(&ev[0], (2000, Event::Ack { invite: Some(i), .. }) if *i == id));
    assert_eq!(events(&sim)[1], (32000, "Terminated".into()));
    assert_eq!(ev.len(), 2);
}

#[test]
fn unacked_2xx_times_out_for_the_tu_to_send_bye() {
    let mut sim = Sim::udp();
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    sim.clear();
    sim.layer
        .send_response(sim.t0, id, response(&req, 200, Some("a")))
        .unwrap();
    sim.drain(sim.t0);
    sim.run_until(Duration::from_secs(60));
    assert_eq!(
        sim.sends("SIP/2.0 200"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        events(&sim),
        [(32000, "Timeout".into()), (32000, "Terminated".into())]
    );
}

#[test]
fn non_invite_server_absorbs_then_replays_then_timer_j() {
    for (transport, gone_at) in [(Transport::Udp, 32300), (Transport::Tcp, 300)] {
        let mut sim = Sim::udp();
        let bye = request("BYE", "z9hG4bKbye");
        sim.receive(
            Duration::ZERO,
            UAC,
            transport,
            Message::Request(bye.clone()),
        );
        let Some((
            _,
            Event::Request {
                id, request: got, ..
            },
        )) = sim.events().into_iter().next()
        else {
            panic!("request event")
        };
        // Retransmission while Trying: absorbed, nothing sent.
        sim.receive(ms(100), UAC, transport, Message::Request(bye.clone()));
        assert!(sim.sends("SIP/2.0").is_empty());
        sim.layer
            .send_response(sim.at(ms(300)), id, response(&got, 200, Some("b")))
            .unwrap();
        sim.drain(sim.at(ms(300)));
        if transport == Transport::Udp {
            sim.receive(ms(900), UAC, transport, Message::Request(bye));
        }
        sim.run_until(Duration::from_secs(60));
        let expected: &[u128] = if transport == Transport::Udp {
            &[300, 900]
        } else {
            &[300]
        };
        assert_eq!(sim.sends("SIP/2.0 200"), expected, "{transport:?}");
        assert_eq!(
            events(&sim),
            [(0, "Request BYE".into()), (gone_at, "Terminated".into())],
            "{transport:?}"
        );
    }
}

#[test]
fn cancel_of_a_pending_invite() {
    let mut sim = Sim::udp();
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    sim.layer
        .send_response(sim.t0, id, response(&req, 180, Some("uas")))
        .unwrap();
    sim.drain(sim.t0);
    sim.clear();
    let mut cancel = request("CANCEL", "z9hG4bKsrv");
    cancel.headers.set("CSeq", "1 CANCEL");
    sim.receive(
        ms(400),
        UAC,
        Transport::Udp,
        Message::Request(cancel.clone()),
    );
    assert_eq!(sim.sends("SIP/2.0 200 OK"), [400]);
    let Message::Response(ok) = &sim.transmits()[0] else {
        panic!()
    };
    assert_eq!(ok.headers.cseq().unwrap().to_string(), "1 CANCEL");
    assert_eq!(ok.headers.to().unwrap().tag(), Some("uas"));
    assert!(matches!(sim.events()[0], (400, Event::Cancelled { id: i }) if i == id));
    // A retransmitted CANCEL gets the same 200, without a second event.
    sim.receive(ms(500), UAC, Transport::Udp, Message::Request(cancel));
    assert_eq!(sim.sends("SIP/2.0 200 OK"), [400, 500]);
    assert_eq!(sim.events().len(), 1);
    // The TU answers the INVITE with 487.
    sim.layer
        .send_response(sim.at(ms(500)), id, response(&req, 487, Some("uas")))
        .unwrap();
    sim.drain(sim.at(ms(500)));
    assert_eq!(sim.sends("SIP/2.0 487"), [500]);
}

#[test]
fn cancel_answered_by_the_tu_after_its_487() {
    let mut sim = Sim::new(Config {
        tu_answers_cancel: true,
        ..Config::default()
    });
    let (id, req) = server_invite(&mut sim, Transport::Udp);
    sim.layer
        .send_response(sim.t0, id, response(&req, 180, Some("uas")))
        .unwrap();
    sim.drain(sim.t0);
    sim.clear();
    let mut cancel = request("CANCEL", "z9hG4bKsrv");
    cancel.headers.set("CSeq", "1 CANCEL");
    sim.receive(
        ms(400),
        UAC,
        Transport::Udp,
        Message::Request(cancel.clone()),
    );
    // Nothing sent yet: the TU decides the order.
    assert!(sim.transmits().is_empty());
    let (
        400,
        Event::CancelRequest {
            invite,
            cancel: cid,
        },
    ) = sim.events()[0].clone()
    else {
        panic!("no CancelRequest: {:?}", sim.events());
    };
    assert_eq!(invite, id);
    sim.layer
        .send_response(sim.at(ms(400)), id, response(&req, 487, Some("uas")))
        .unwrap();
    let creq = sim.layer.request(cid).unwrap().clone();
    sim.layer
        .send_response(sim.at(ms(400)), cid, response(&creq, 200, Some("uas")))
        .unwrap();
    sim.drain(sim.at(ms(400)));
    let order: Vec<u16> = sim
        .transmits()
        .iter()
        .filter_map(|m| match m {
            Message::Response(r) => Some(r.status),
            _ => None,
        })
        .collect();
    assert_eq!(order, [487, 200]);
    // A retransmitted CANCEL gets the TU's 200 again, with no new event.
    sim.receive(ms(500), UAC, Transport::Udp, Message::Request(cancel));
    assert_eq!(sim.sends("SIP/2.0 200 OK"), [400, 500]);
    assert_eq!(sim.events().len(), 1);
}

#[test]
fn cancel_matching_nothing_gets_481() {
    let mut sim = Sim::udp();
    let mut cancel = request("CANCEL", "z9hG4bKnone");
    cancel.headers.set("CSeq", "1 CANCEL");
    sim.receive(
        Duration::ZERO,
        UAC,
        Transport::Udp,
        Message::Request(cancel),
    );
    assert_eq!(sim.sends("SIP/2.0 481"), [0]);
    assert!(events(&sim).is_empty());
}

#[test]
fn malformed_request_gets_400_and_is_dropped() {
    let mut sim = Sim::udp();
    let mut req = request("OPTIONS", "z9hG4bKx");
    req.headers.remove("CSeq");
    sim.receive(Duration::ZERO, UAC, Transport::Udp, Message::Request(req));
    assert_eq!(sim.sends("SIP/2.0 400"), [0]);
    assert_eq!(events(&sim), [(0, "Dropped missing CSeq header".into())]);
    let mut no_via = request("OPTIONS", "z9hG4bKx");
    no_via.headers.remove("Via");
    sim.clear();
    sim.receive(
        Duration::ZERO,
        UAC,
        Transport::Udp,
        Message::Request(no_via),
    );
    assert!(sim.sends("SIP").is_empty());
    assert_eq!(events(&sim), [(0, "Dropped missing Via header".into())]);
}

/// pjsip's policy: incomplete requests and CSeq methods that disagree
/// are dropped without an answer; chan_sip's: the mismatch is let through.
#[test]
fn bad_request_policies() {
    let mut quiet = Sim::new(Config {
        answer_bad_requests: false,
        ..Config::default()
    });
    let mut req = request("OPTIONS", "z9hG4bKq");
    req.headers.remove("Call-ID");
    quiet.receive(Duration::ZERO, UAC, Transport::Udp, Message::Request(req));
    assert!(quiet.sends("SIP").is_empty());
    assert_eq!(
        events(&quiet),
        [(0, "Dropped missing Call-ID header".into())]
    );

    let mismatch = || {
        let mut req = request("OPTIONS", "z9hG4bKm");
        req.headers.set("CSeq", "1 INFO");
        Message::Request(req)
    };
    let mut strict = Sim::udp();
    strict.receive(Duration::ZERO, UAC, Transport::Udp, mismatch());
    assert_eq!(strict.sends("SIP/2.0 400 Bad Request\r\n"), [0]);
    let mut lax = Sim::new(Config {
        lax_cseq_method: true,
        ..Config::default()
    });
    lax.receive(Duration::ZERO, UAC, Transport::Udp, mismatch());
    assert!(lax.sends("SIP").is_empty());
    assert!(matches!(lax.events()[0], (0, Event::Request { .. })));
}

#[test]
fn rfc2543_requests_match_without_a_cookie() {
    let mut sim = Sim::udp();
    let req = request("OPTIONS", "old1");
    sim.receive(
        Duration::ZERO,
        UAC,
        Transport::Udp,
        Message::Request(req.clone()),
    );
    sim.receive(ms(10), UAC, Transport::Udp, Message::Request(req));
    assert_eq!(events(&sim).len(), 1, "the retransmission is matched");
}

/// Two layers wired back to back over a lossy simulated network: the
/// first two INVITEs and the first 200 are lost, and the call still
/// completes through retransmissions.
#[test]
fn two_peers_over_a_lossy_network() {
    let t0 = Instant::now();
    let mut uac = Transactions::new(Config::default());
    let mut uas = Transactions::new(Config::default());
    let mut now = t0;
    let invite = request("INVITE", "z9hG4bKpeer");
    uac.send_request(now, invite, addr(UAS), Transport::Udp)
        .unwrap();
    let (mut dropped_invites, mut dropped_oks) = (0, 0);
    let mut got_ok_at = None;
    for _ in 0..200 {
        // Deliver until both sides are quiet before moving the clock.
        let mut busy = true;
        while busy {
            busy = false;
            while let Some(o) = uac.poll() {
                busy = true;
                match o {
                    Output::Transmit(t) => {
                        if dropped_invites < 2 {
                            dropped_invites += 1;
                            continue;
                        }
                        let m = parse_datagram(&t.bytes).unwrap();
                        uas.handle(
                            now,
                            Input::Message {
                                from: addr(UAC),
                                transport: t.transport,
                                message: m,
                            },
                        );
                    }
                    Output::Event(Event::Response { response, .. }) if response.status == 200 => {
                        got_ok_at.get_or_insert(now - t0);
                    }
                    Output::Event(_) => {}
                }
            }
            while let Some(o) = uas.poll() {
                busy = true;
                match o {
                    Output::Transmit(t) => {
                        if t.bytes.starts_with(b"SIP/2.0 200") && dropped_oks < 1 {
                            dropped_oks += 1;
                            continue;
                        }
                        let m = parse_datagram(&t.bytes).unwrap();
                        uac.handle(
                            now,
                            Input::Message {
                                from: addr(UAS),
                                transport: t.transport,
                                message: m,
                            },
                        );
                    }
                    Output::Event(Event::Request { id, request, .. }) => {
                        uas.send_response(now, id, response(&request, 200, Some("z")))
                            .unwrap();
                    }
                    Output::Event(_) => {}
                }
            }
        }
        let next = [uac.poll_timeout(), uas.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else { break };
        if got_ok_at.is_some() {
            break;
        }
        now = next;
        uac.handle(now, Input::Timeout);
        uas.handle(now, Input::Timeout);
    }
    // INVITE lost at 0 and 0.5 s, arrives at 1.5 s; the 200 is lost once
    // and retransmitted by Timer G 0.5 s later.
    assert_eq!(got_ok_at, Some(ms(2000)));
}

#[test]
fn a_styled_layer_shapes_its_cancel_and_ack_and_orders_its_responses() {
    // The style hook sees each CANCEL and non-2xx ACK with the INVITE.
    fn style(req: &mut Request, invite: &Request) {
        req.headers.push("User-Agent", "test");
        if req.method == Method::Ack
            && let Some(c) = invite.headers.get("Contact")
        {
            req.headers.push("Contact", c);
        }
    }
    let mut sim = Sim::new(Config {
        style: Some(style),
        response_order: Some(["Via", "Call-ID", "From", "To", "CSeq"]),
        ..Config::default()
    });
    let now = sim.t0;
    let req = request("INVITE", "z9hG4bKinv");
    let id = sim
        .layer
        .send_request(now, req.clone(), addr(UAS), Transport::Udp)
        .unwrap();
    sim.receive(
        ms(100),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 180, Some("t"))),
    );
    let reason = vec![("Reason".to_string(), "Q.850;cause=16".to_string())];
    assert!(matches!(
        sim.layer.cancel_with(sim.at(ms(200)), id, reason),
        Ok(Some(_))
    ));
    sim.drain(sim.at(ms(200)));
    sim.receive(
        ms(300),
        UAS,
        Transport::Udp,
        Message::Response(response(&req, 487, Some("t"))),
    );
    let names = |method: Method| -> Vec<String> {
        sim.transmits()
            .into_iter()
            .find_map(|m| match m {
                Message::Request(r) if r.method == method => {
                    Some(r.headers.0.iter().map(|h| h.name.to_string()).collect())
                }
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        names(Method::Cancel),
        [
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Reason",
            "Max-Forwards",
            "User-Agent",
            "Content-Length"
        ]
    );
    assert_eq!(
        names(Method::Ack),
        [
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Max-Forwards",
            "User-Agent",
            "Contact",
            "Content-Length"
        ]
    );

    // A request the layer answers itself (a BYE matching no dialog is
    // the TU's; a stray CANCEL gets the layer's 481) in the given order.
    let stray = request("CANCEL", "z9hG4bKnone");
    sim.receive(ms(400), UAC, Transport::Udp, Message::Request(stray));
    let r = sim
        .transmits()
        .into_iter()
        .find_map(|m| match m {
            Message::Response(r) if r.status == 481 => Some(r),
            _ => None,
        })
        .unwrap();
    let names: Vec<&str> = r.headers.0.iter().map(|h| &*h.name).take(5).collect();
    assert_eq!(names, ["Via", "Call-ID", "From", "To", "CSeq"]);
}
