//! The I/O shell around [`RtpSession`] for channel drivers: a pair of UDP
//! sockets (RTP on an even port from rtp.conf's range, RTCP on the next),
//! a receive task that hands audio and DTMF to the channel, and the
//! channel's [`MediaPort`] for what it sends. The session itself is
//! sans-IO; this file is the only place its datagrams meet sockets.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use tokio::net::UdpSocket;

use super::Channel;
use super::media::MediaPort;
use crate::media::clock::Tick;
use crate::media::rtp::{RtcpReport, RtpConfig, RtpEvent, RtpSession, TransmitKind};
use crate::media::{AudioFrame, Codec};

/// Where the next port search starts, so consecutive calls do not race
/// for the same pair.
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// rtp.conf's `rtpstart`/`rtpend`, clamped to usable even ports.
#[derive(Debug, Clone, Copy)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl PortRange {
    pub fn from_conf(rtp: &crate::config::views::rtp::RtpConf) -> PortRange {
        let start = rtp.rtpstart.clamp(1024, 65534) as u16;
        let end = rtp.rtpend.clamp(i64::from(start) + 1, 65535) as u16;
        PortRange { start, end }
    }
}

/// Binds an RTP/RTCP pair as Asterisk does: an even port in the range,
/// RTCP on the one above it.
pub async fn bind_pair(ip: IpAddr, range: PortRange) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let start = range.start + range.start % 2;
    let slots = ((range.end.saturating_sub(start)) / 2).max(1);
    let mut seed = NEXT_PORT.load(Ordering::Relaxed);
    if seed == 0 {
        seed = (std::process::id() as u16) % slots;
    }
    for i in 0..slots {
        let slot = (seed.wrapping_add(i)) % slots;
        let port = start + slot * 2;
        let Ok(rtp) = UdpSocket::bind(SocketAddr::new(ip, port)).await else {
            continue;
        };
        let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(ip, port + 1)).await else {
            continue;
        };
        NEXT_PORT.store((slot + 1) % slots, Ordering::Relaxed);
        return Ok((rtp, rtcp));
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free RTP port pair in {}-{}", range.start, range.end),
    ))
}

/// One call leg's RTP.
pub struct RtpPort {
    rtp: Arc<UdpSocket>,
    rtcp: Arc<UdpSocket>,
    local: SocketAddr,
    session: Mutex<RtpSession>,
    codec: Mutex<Codec>,
    /// Whether the far end should get our audio (not while it holds us).
    sending: AtomicBool,
    /// Whether the session's media is negotiated: chan_pjsip writes
    /// nothing, audio or DTMF, to an incoming call before it has sent
    /// its SDP answer (the session has no active media until then).
    negotiated: AtomicBool,
    closed: AtomicBool,
    /// When the DTMF digit being sent should end.
    dtmf_end_at: Mutex<Option<(Instant, u32)>>,
    /// Send whole frames only (chan_sip's smoother): a short frame waits
    /// for the next one, and a short last frame is never sent.
    smooth: AtomicBool,
    /// Encoded audio waiting for a whole frame.
    pending: Mutex<Vec<u8>>,
    /// The channel its RTCP events are about, once started.
    owner: std::sync::OnceLock<Weak<Channel>>,
}

impl RtpPort {
    pub fn new(
        rtp: UdpSocket,
        rtcp: UdpSocket,
        config: RtpConfig,
        codec: Codec,
    ) -> std::io::Result<Arc<RtpPort>> {
        let local = rtp.local_addr()?;
        Ok(Arc::new(RtpPort {
            rtp: Arc::new(rtp),
            rtcp: Arc::new(rtcp),
            local,
            session: Mutex::new(RtpSession::new(config, Instant::now(), None)),
            codec: Mutex::new(codec),
            sending: AtomicBool::new(true),
            negotiated: AtomicBool::new(true),
            closed: AtomicBool::new(false),
            dtmf_end_at: Mutex::new(None),
            smooth: AtomicBool::new(false),
            pending: Mutex::new(Vec::new()),
            owner: std::sync::OnceLock::new(),
        }))
    }

    /// Whole frames only from now on (see `smooth`).
    pub fn set_smoothing(&self, on: bool) {
        self.smooth.store(on, Ordering::Relaxed);
    }

    /// The packetization set on the instance's codecs, in ms (0: none):
    /// what a smoother frames to, G.711's 20 ms.
    pub fn framing_ms(&self) -> u32 {
        if self.smooth.load(Ordering::Relaxed) {
            20
        } else {
            0
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn session(&self) -> std::sync::MutexGuard<'_, RtpSession> {
        crate::core::lock(&self.session)
    }

    /// The negotiated far end, format and DTMF payload type.
    pub fn configure(
        &self,
        remote: Option<SocketAddr>,
        codec: Codec,
        payload_type: u8,
        dtmf_pt: Option<u8>,
    ) {
        if let Ok(mut c) = self.codec.lock() {
            *c = codec;
        }
        let mut s = self.session();
        let mut config = s.config().clone();
        if config.payload_type != payload_type || config.dtmf_payload_type != dtmf_pt {
            config.payload_type = payload_type;
            config.dtmf_payload_type = dtmf_pt;
            let mut fresh = RtpSession::new(config, Instant::now(), remote);
            std::mem::swap(&mut *s, &mut fresh);
        } else {
            s.set_remote(Instant::now(), remote);
        }
    }

    /// Stops sending audio (the far end put us on hold) or resumes.
    pub fn set_sending(&self, on: bool) {
        self.sending.store(on, Ordering::Relaxed);
    }

    /// Whether our SDP answer has gone out (see `negotiated`).
    pub fn set_negotiated(&self, done: bool) {
        self.negotiated.store(done, Ordering::Relaxed);
    }

    fn negotiated(&self) -> bool {
        self.negotiated.load(Ordering::Relaxed)
    }

    /// Sends what the session queued; returns the RTCP reports it sent or
    /// took in, to publish once the session is unlocked.
    #[must_use]
    fn flush(&self, s: &mut RtpSession) -> Vec<RtcpReport> {
        while let Some(t) = s.poll_transmit() {
            let sock = match t.kind {
                TransmitKind::Rtp => &self.rtp,
                TransmitKind::Rtcp => &self.rtcp,
            };
            // A full socket buffer drops the packet, as a network would.
            let _ = sock.try_send_to(&t.payload, t.to);
        }
        std::iter::from_fn(|| s.poll_report()).collect()
    }

    /// RTCPSent / RTCPReceived on the channel this port carries.
    fn publish(&self, reports: Vec<RtcpReport>) {
        if reports.is_empty() {
            return;
        }
        let Some(chan) = self.owner.get().and_then(Weak::upgrade) else {
            return;
        };
        let local = self.rtcp.local_addr().unwrap_or(self.local);
        for r in &reports {
            let (name, body) = crate::manager::events::rtcp_event(r, local);
            chan.emit(crate::core::events::EventKind::Manager {
                class: crate::manager::class::REPORTING,
                name: name.into(),
                body,
            });
        }
    }

    /// Starts receiving for `chan` and ticking on the shared clock.
    pub fn start(self: &Arc<Self>, chan: &Arc<Channel>) {
        let _ = self.owner.set(Arc::downgrade(chan));
        super::media::register_tick(Box::new(PortTick(Arc::downgrade(self))));
        let weak = Arc::downgrade(chan);
        let me = self.clone();
        tokio::spawn(async move { me.receive(weak).await });
    }

    /// Closes the port: the receive task ends and the clock drops it.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    async fn receive(self: Arc<Self>, chan: Weak<Channel>) {
        let mut buf = vec![0u8; 2048];
        let mut rtcp_buf = vec![0u8; 2048];
        loop {
            if self.closed.load(Ordering::Relaxed) {
                return;
            }
            let (n, from, is_rtcp) = tokio::select! {
                r = self.rtp.recv_from(&mut buf) => match r {
                    Ok((n, from)) => (n, from, false),
                    Err(_) => continue,
                },
                r = self.rtcp.recv_from(&mut rtcp_buf) => match r {
                    Ok((n, from)) => (n, from, true),
                    Err(_) => continue,
                },
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => continue,
            };
            let Some(chan) = chan.upgrade() else { return };
            let now = Instant::now();
            let mut events = Vec::new();
            let (audio_pt, reports) = {
                let mut s = self.session();
                // Malformed packets are dropped, as Asterisk drops them.
                let _ = if is_rtcp {
                    s.handle_rtcp(now, from, &rtcp_buf[..n])
                } else {
                    s.handle_packet(now, from, &buf[..n])
                };
                while let Some(e) = s.poll_event() {
                    events.push(e);
                }
                let reports = self.flush(&mut s);
                (s.config().payload_type, reports)
            };
            self.publish(reports);
            let codec = self.codec();
            for e in events {
                match e {
                    RtpEvent::Media {
                        payload_type,
                        payload,
                        ..
                    } if payload_type == audio_pt => {
                        let frame = match codec {
                            Codec::Ulaw => AudioFrame::Ulaw(payload),
                            Codec::Alaw => AudioFrame::Alaw(payload),
                            Codec::Slin => continue,
                        };
                        chan.media_in(&frame);
                    }
                    RtpEvent::DtmfBegin { digit } => {
                        chan.note_dtmf_begin(digit);
                        chan.emit(crate::core::events::EventKind::DtmfBegin { digit, sent: false });
                    }
                    RtpEvent::DtmfEnd { digit, duration_ms } => {
                        chan.emit(crate::core::events::EventKind::DtmfEnd {
                            digit,
                            duration_ms,
                            sent: false,
                        });
                        chan.dtmf_in(digit);
                    }
                    RtpEvent::StrictLocked(source) => {
                        crate::core::testsuite::notify(
                            chan.bus(),
                            &crate::core::testsuite::STRICT_RTP_LEARN,
                            "STRICT_RTP_LEARN",
                            || format!("Source: {source}"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn codec(&self) -> Codec {
        self.codec.lock().map(|c| *c).unwrap_or(Codec::Ulaw)
    }

    /// The quality strings Asterisk sets as RTPAUDIOQOS, …JITTER, …LOSS,
    /// …RTT and …MES (`ast_rtp_instance_get_quality`).
    pub fn quality(&self) -> [String; 5] {
        self.session().quality().strings()
    }
}

/// The variable names of [`RtpPort::quality`]'s strings, in order.
pub const QUALITY_VARS: [&str; 5] = [
    "RTPAUDIOQOS",
    "RTPAUDIOQOSJITTER",
    "RTPAUDIOQOSLOSS",
    "RTPAUDIOQOSRTT",
    "RTPAUDIOQOSMES",
];

/// `ast_rtp_instance_set_stats_vars`: each quality variable the channel
/// does not have yet is set, and the `…BRIDGED` one on its bridge peer
/// when the peer does not have it yet.
pub fn set_stats_vars(chan: &Channel, quality: &[String; 5]) {
    let peer = chan.bridge_peer();
    for (name, value) in QUALITY_VARS.iter().zip(quality) {
        if chan.get_var(name).is_none_or(|v| v.is_empty()) {
            chan.set_var_event(name, value);
        }
        if let Some(p) = &peer {
            let bridged = format!("{name}BRIDGED");
            if p.get_var(&bridged).is_none_or(|v| v.is_empty()) {
                p.set_var_event(&bridged, value);
            }
        }
    }
}

impl MediaPort for RtpPort {
    fn codec(&self) -> Codec {
        RtpPort::codec(self)
    }

    fn write(&self, frame: &AudioFrame, now: Instant) {
        if !self.sending.load(Ordering::Relaxed)
            || !self.negotiated()
            || self.closed.load(Ordering::Relaxed)
        {
            return;
        }
        let out = frame.to_codec(self.codec());
        let bytes = out.to_bytes();
        let reports = {
            let mut s = self.session();
            self.send_frame(&mut s, &out, &bytes, now);
            self.flush(&mut s)
        };
        self.publish(reports);
    }

    fn end_of_file(&self) {
        match self.pending.lock() {
            Ok(mut p) => p.clear(),
            Err(p) => p.into_inner().clear(),
        }
    }

    fn send_digit(&self, digit: char, duration_ms: u32) {
        if !self.negotiated() {
            return;
        }
        let now = Instant::now();
        let reports = {
            let mut s = self.session();
            if s.send_dtmf_begin(now, digit).is_err() {
                return;
            }
            if let Some(chan) = self.owner.get().and_then(Weak::upgrade) {
                let payload = s.config().dtmf_payload_type.unwrap_or(0);
                let event = crate::media::rtp::dtmf_to_event(digit).unwrap_or(0);
                crate::core::testsuite::notify(
                    chan.bus(),
                    &crate::core::testsuite::DTMF_BEGIN,
                    "DTMF_BEGIN",
                    || format!("Digit: {event}\r\nPayload: {payload}\r\nRate: 8000\r\n"),
                );
            }
            self.flush(&mut s)
        };
        self.publish(reports);
        // The clock sends the end once the duration has passed.
        if let Ok(mut end) = self.dtmf_end_at.lock() {
            *end = Some((
                now + std::time::Duration::from_millis(u64::from(duration_ms)),
                duration_ms,
            ));
        }
    }
}

impl RtpPort {
    /// One frame out, whole 20 ms packets only when smoothing.
    fn send_frame(&self, s: &mut RtpSession, out: &AudioFrame, bytes: &[u8], now: Instant) {
        let g711 = matches!(out, AudioFrame::Ulaw(_) | AudioFrame::Alaw(_));
        if g711 && self.smooth.load(Ordering::Relaxed) {
            // G.711: one byte a sample.
            let frame_len = s.config().frame_samples.max(1) as usize;
            let mut pending = crate::core::lock(&self.pending);
            pending.extend_from_slice(bytes);
            while pending.len() >= frame_len {
                let whole: Vec<u8> = pending.drain(..frame_len).collect();
                s.send_audio(now, &whole, frame_len as u32);
            }
        } else {
            s.send_audio(now, bytes, out.samples() as u32);
        }
    }
}

/// The port on the clock: RTCP reports and DTMF ends.
struct PortTick(Weak<RtpPort>);

impl Tick for PortTick {
    fn tick(&mut self, now: Instant) {
        let Some(port) = self.0.upgrade() else { return };
        let end_due = match port.dtmf_end_at.lock() {
            Ok(mut at) if at.is_some_and(|(t, _)| t <= now) => at.take().map(|(_, ms)| ms),
            _ => None,
        };
        let reports = {
            let mut s = port.session();
            s.tick(now);
            if let Some(ms) = end_due {
                // ast_senddigit_end passes the digit's length on.
                let _ = s.send_dtmf_end(now, Some(ms));
            }
            port.flush(&mut s)
        };
        port.publish(reports);
    }

    fn is_active(&self) -> bool {
        self.0
            .upgrade()
            .is_some_and(|p| !p.closed.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Before any RTP, the quality strings are Asterisk's with zeros (as
    /// golden/asterisk-20.20.1/ami/sip_dial.rx shows them), and only whole
    /// frames go out when smoothing.
    #[tokio::test]
    async fn quality_strings_and_smoothing() {
        let ip = IpAddr::from([127, 0, 0, 1]);
        let rtp = UdpSocket::bind((ip, 0)).await.expect("bind");
        let rtcp = UdpSocket::bind((ip, 0)).await.expect("bind");
        let sink = std::net::UdpSocket::bind((ip, 0)).expect("bind");
        let cfg = RtpConfig::new(0);
        let ssrc = cfg.ssrc;
        let port = RtpPort::new(rtp, rtcp, cfg, Codec::Ulaw).expect("port");
        port.configure(sink.local_addr().ok(), Codec::Ulaw, 0, None);
        let q = port.quality();
        assert_eq!(
            q[0],
            format!(
                "ssrc={ssrc};themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;\
                 txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"
            )
        );
        assert_eq!(
            q[2],
            "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  \
             stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  \
             avgtxlost=000.000000;  stdevtxlost=000.000000;"
        );
        assert_eq!(
            q[3],
            "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     \
             stdevrtt=000.000000;"
        );
        port.set_smoothing(true);
        let now = Instant::now();
        port.write(&AudioFrame::Ulaw(vec![0xff; 160]), now);
        port.write(&AudioFrame::Ulaw(vec![0xff; 88]), now);
        assert!(
            port.quality()[0].contains(";txcount=1;"),
            "{}",
            port.quality()[0]
        );
        port.write(&AudioFrame::Ulaw(vec![0xff; 100]), now);
        assert!(
            port.quality()[0].contains(";txcount=2;"),
            "{}",
            port.quality()[0]
        );
    }
}
