//! SIP core: parse + serialise of a typical INVITE (the SIPp INVITE from
//! the reference transcripts), and one transaction step.
//! Compare figures as ratios between runs of the same machine.

use std::hint::black_box;

use asterism::sip::message::parse_datagram;
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

criterion_group!(benches, parse);
criterion_main!(benches);
