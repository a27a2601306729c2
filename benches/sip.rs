//! SIP core: parse + serialise of a typical INVITE (the SIPp INVITE from
//! the reference transcripts), and one transaction step.
//! Compare figures as ratios between runs of the same machine.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use asterism::sip::message::{Message, Response, parse_datagram};
use asterism::sip::transaction::{Config, Event, Input, Output, Transactions, Transport};
use criterion::{Criterion, criterion_group, criterion_main};

const INVITE: &str = "INVITE sip:601@127.0.0.1:5070 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5076;branch=z9hG4bK-12202-1-0\r\n\
From: \"2001\" <sip:2001@127.0.0.1:5076>;tag=12202SIPpTag001\r\n\
To: <sip:601@127.0.0.1:5070>\r\n\
Call-ID: 1-12202@127.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:2001@127.0.0.1:5076>\r\n\
Max-Forwards: 70\r\n\
User-Agent: SIPp\r\n\
Content-Type: application/sdp\r\n\
Content-Length:   198\r\n\
\r\n\
v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 16020 RTP/AVP 0 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n";

fn parse(c: &mut Criterion) {
    c.bench_function("sip: parse INVITE", |b| {
        b.iter(|| parse_datagram(black_box(INVITE.as_bytes())))
    });
    c.bench_function("sip: parse + serialise INVITE", |b| {
        b.iter(|| parse_datagram(black_box(INVITE.as_bytes())).map(|m| m.to_bytes()))
    });
    c.bench_function("sip: parse + typed Via/From/CSeq + serialise INVITE", |b| {
        b.iter(|| {
            let m = parse_datagram(black_box(INVITE.as_bytes())).ok()?;
            let h = m.headers();
            let n =
                h.top_via().ok()?.branch().map(str::len)? + h.from().ok()?.tag().map(str::len)?;
            Some((n, h.cseq().ok()?.seq, m.to_bytes()))
        })
    });
}

/// One server transaction step: an INVITE arrives (100 Trying goes out),
/// the TU answers 486, the ACK arrives; then its timers are run out.
fn transaction(c: &mut Criterion) {
    let Ok(Message::Request(invite)) = parse_datagram(INVITE.as_bytes()) else {
        return;
    };
    let mut ack = invite.clone();
    ack.method = asterism::sip::Method::Ack;
    ack.uri = invite.uri.clone();
    ack.headers.set("CSeq", "1 ACK");
    ack.body.clear();
    let from: SocketAddr = ([127, 0, 0, 1], 5076).into();
    let t0 = Instant::now();
    c.bench_function("sip: INVITE server transaction, 486 + ACK", |b| {
        let mut layer = Transactions::new(Config::default());
        b.iter(|| {
            let input = Input::Message {
                from,
                transport: Transport::Udp,
                message: Message::Request(invite.clone()),
            };
            layer.handle(t0, input);
            let mut id = None;
            while let Some(o) = layer.poll() {
                if let Output::Event(Event::Request { id: i, .. }) = o {
                    id = Some(i);
                }
            }
            if let Some(id) = id {
                let mut busy = Response::for_request(&invite, 486);
                busy.headers.set("To", "<sip:601@127.0.0.1:5070>;tag=b");
                let _ = layer.send_response(t0, id, busy);
            }
            let input = Input::Message {
                from,
                transport: Transport::Udp,
                message: Message::Request(ack.clone()),
            };
            layer.handle(t0, input);
            // Timer I ends the transaction; the next iteration starts fresh.
            if let Some(at) = layer.poll_timeout() {
                layer.handle(at, Input::Timeout);
            }
            while layer.poll().is_some() {}
            black_box(layer.len())
        })
    });
}

criterion_group!(benches, parse, transaction);
criterion_main!(benches);
