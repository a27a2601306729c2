//! Media hot paths: G.711 conversion of one 20 ms frame, and the work one
//! call costs per media tick (an RtpSession receiving one frame, sending
//! one, and ticking). Compare figures as ratios between runs of the same
//! machine.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use asterism::media::g711;
use asterism::media::rtp::{RtpConfig, RtpPacket, RtpSession};
use criterion::{Criterion, criterion_group, criterion_main};

fn g711_frame(c: &mut Criterion) {
    let lin: Vec<i16> = (0..160)
        .map(|i| ((i * 811) % 60000 - 30000) as i16)
        .collect();
    let mut ulaw = [0u8; 160];
    g711::encode_ulaw(&lin, &mut ulaw);
    let mut out8 = [0u8; 160];
    let mut out16 = [0i16; 160];
    c.bench_function("g711: encode 160 samples to µ-law", |b| {
        b.iter(|| g711::encode_ulaw(black_box(&lin), &mut out8))
    });
    c.bench_function("g711: decode 160 µ-law samples", |b| {
        b.iter(|| g711::decode_ulaw(black_box(&ulaw), &mut out16))
    });
    c.bench_function("g711: µ-law → A-law, 160 samples", |b| {
        b.iter(|| {
            out8.copy_from_slice(black_box(&ulaw));
            g711::ulaw_to_alaw_in_place(&mut out8)
        })
    });
}

fn call_tick(c: &mut Criterion) {
    let t0 = Instant::now();
    let far = SocketAddr::from(([127, 0, 0, 1], 40000));
    let mut session = RtpSession::new(RtpConfig::new(0), t0, Some(far));
    let payload = [0xFFu8; 160];
    let mut seq: u16 = 0;
    let mut now = t0;
    c.bench_function(
        "rtp: one call's media tick (receive + send one frame)",
        |b| {
            b.iter(|| {
                now += Duration::from_millis(20);
                seq = seq.wrapping_add(1);
                let ts = u32::from(seq).wrapping_mul(160);
                let mut inbound = Vec::with_capacity(172);
                let _ = RtpPacket::new(0, seq, ts, 0xABCD, &payload).write(&mut inbound);
                let _ = session.handle_packet(now, far, black_box(&inbound));
                while let Some(e) = session.poll_event() {
                    black_box(e);
                }
                session.send_audio(now, black_box(&payload), 160);
                session.tick(now);
                while let Some(t) = session.poll_transmit() {
                    black_box(t);
                }
            })
        },
    );
}

criterion_group!(benches, g711_frame, call_tick);
criterion_main!(benches);
