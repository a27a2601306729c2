//! The sans-IO RTP session: one media stream's sender and receiver state.
//!
//! The shell owns the sockets: it feeds datagrams to
//! [`RtpSession::handle_packet`] / [`RtpSession::handle_rtcp`], calls
//! [`RtpSession::tick`] from the media clock every 20 ms, and sends
//! whatever [`RtpSession::poll_transmit`] returns. Received media and
//! DTMF come out of [`RtpSession::poll_event`].

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use super::rtcp::{ReportBlock, RtcpPacket, SDES_CNAME, SdesChunk, SenderInfo, ntp_timestamp};
use super::stats::{Quality, media_experience_score};
use super::{RtpError, RtpPacket, TelephoneEvent, dtmf_to_event, event_to_dtmf};

/// How a session is set up; the defaults are Asterisk's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpConfig {
    /// Payload type of the audio this session sends.
    pub payload_type: u8,
    /// Timestamp units per second of that payload.
    pub clock_rate: u32,
    /// Timestamp units per 20 ms packet.
    pub frame_samples: u32,
    /// Negotiated telephone-event payload type (101 in Asterisk's SDP);
    /// `None` if RFC 4733 was not negotiated.
    pub dtmf_payload_type: Option<u8>,
    /// Sent in every event packet; Asterisk uses 10 (−10 dBm0).
    pub dtmf_volume: u8,
    /// rtp.conf `dtmftimeout` in timestamp units (1200 = 150 ms): a digit
    /// whose end packets were all lost ends this long after its last
    /// packet.
    pub dtmf_timeout: u32,
    /// Symmetric RTP (`rtp_symmetric`/`nat`): send to wherever the first
    /// packet came from, not to the address signalled in SDP.
    pub symmetric: bool,
    /// rtp.conf `strictrtp`: accept packets only from the source learned
    /// (the SDP address at once, another one after `probation` packets
    /// in sequence). Off here; the channel drivers apply rtp.conf.
    pub strict: StrictRtp,
    /// rtp.conf `probation`: packets in sequence a new source needs.
    pub probation: u32,
    /// RTCP multiplexed on the RTP port (RFC 5761).
    pub rtcp_mux: bool,
    /// rtp.conf `rtcpinterval`; `None` disables RTCP.
    pub rtcp_interval: Option<Duration>,
    pub ssrc: u32,
    pub initial_sequence: u16,
    /// The timestamp before the first packet: the first carries this
    /// plus its samples (Asterisk starts from 0).
    pub initial_timestamp: u32,
    /// The SDES CNAME in our reports (RFC 3550 §6.5.1).
    pub cname: String,
}

impl RtpConfig {
    /// Asterisk's defaults for a 20 ms, 8 kHz codec: SSRC and first
    /// sequence number random, as RFC 3550 §5.1 asks, and timestamps
    /// counted from 0 as Asterisk counts them (its RTCP reports show
    /// them).
    pub fn new(payload_type: u8) -> Self {
        let r = random_u64();
        RtpConfig {
            payload_type,
            clock_rate: 8000,
            frame_samples: 160,
            dtmf_payload_type: Some(101),
            dtmf_volume: 10,
            dtmf_timeout: 1200,
            symmetric: false,
            strict: StrictRtp::No,
            probation: 4,
            rtcp_mux: false,
            rtcp_interval: Some(Duration::from_millis(5000)),
            ssrc: (r >> 32) as u32,
            initial_sequence: (r >> 16) as u16 & 0x7FFF,
            initial_timestamp: 0,
            cname: format!("{:08x}@asterism", (r >> 32) as u32),
        }
    }
}

/// Randomness for identifiers without a dependency: std's hasher keys are
/// seeded from the OS per process and per instance.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}

/// What the session received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtpEvent {
    /// A media packet (anything not telephone-event), in arrival order;
    /// jitter buffering is the consumer's business.
    Media {
        payload_type: u8,
        marker: bool,
        sequence: u16,
        timestamp: u32,
        ssrc: u32,
        payload: Vec<u8>,
    },
    /// A digit started (Asterisk's DTMF_BEGIN frame); once per digit.
    DtmfBegin { digit: char },
    /// The digit ended (DTMF_END) with its duration; once per digit.
    DtmfEnd { digit: char, duration_ms: u32 },
    /// Symmetric RTP learned where the far end really is.
    RemoteLearned(SocketAddr),
    /// Strict RTP's learning ended: only this source is accepted now.
    StrictLocked(SocketAddr),
    /// An RTCP packet from the far end.
    Rtcp(RtcpPacket),
}

/// An RTCP report as Asterisk publishes it (RTCPSent, RTCPReceived).
#[derive(Debug, Clone, PartialEq)]
pub struct RtcpReport {
    /// We sent it, to `peer`; else we received it, from `peer`.
    pub sent: bool,
    pub peer: SocketAddr,
    /// The SR or RR.
    pub packet: RtcpPacket,
    /// Received reports: the round trip worked out so far, seconds.
    pub rtt: Option<f64>,
    /// Sent: the score of what we receive; received: of what the far
    /// end receives, by its report.
    pub mes: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransmitKind {
    Rtp,
    Rtcp,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    pub kind: TransmitKind,
    pub payload: Vec<u8>,
}

/// Why a DTMF digit could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfSendError {
    #[error("telephone-event was not negotiated")]
    NotNegotiated,
    #[error("'{0}' is not a DTMF digit")]
    BadDigit(char),
    #[error("no remote address to send to")]
    NoRemote,
    #[error("no digit is being sent")]
    NotSending,
}

/// A digit we are sending (Asterisk's `sending_digit` state).
#[derive(Debug, Clone)]
struct SendingDigit {
    event: u8,
    timestamp: u32,
    /// Duration the next packet carries.
    duration: u32,
}

/// A digit the far end is sending.
#[derive(Debug, Clone)]
struct ReceivingDigit {
    digit: char,
    timestamp: u32,
    duration: u32,
    last_packet: Instant,
}

pub use crate::config::views::rtp::StrictRtp;

/// Strict RTP's state (res_rtp_asterisk's `strict_rtp_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strict {
    /// Every source accepted.
    Open,
    /// Looking for the source: the SDP address, or one that qualifies.
    Learn,
    /// Only the learned source.
    Closed,
}

/// How far (in timestamp units) the clock may stray from the predicted
/// timestamp before it wins (Asterisk's `MAX_TIMESTAMP_SKEW`).
const MAX_TIMESTAMP_SKEW: u32 = 640;

/// Asterisk's `STRICT_RTP_LEARN_TIMEOUT`: once a source is known, learning
/// ends this long after it started.
const STRICT_LEARN_TIMEOUT: Duration = Duration::from_millis(5000);

/// A candidate source qualifying (`rtp_learning_info`).
#[derive(Debug, Clone)]
struct Learning {
    proposed: Option<SocketAddr>,
    max_seq: u16,
    packets: u32,
    received: Option<Instant>,
    start: Option<Instant>,
}

#[derive(Debug)]
pub struct RtpSession {
    config: RtpConfig,
    remote: Option<SocketAddr>,
    remote_rtcp: Option<SocketAddr>,
    learned: bool,
    /// Where the SDP says to send (strict RTP accepts it as a source).
    target: Option<SocketAddr>,
    strict: Strict,
    strict_addr: Option<SocketAddr>,
    learning: Learning,
    epoch: Instant,
    wall_epoch: SystemTime,
    // Sender.
    sequence: u16,
    /// The timestamp of the last packet sent (Asterisk's `lastts`).
    timestamp: u32,
    last_send: Option<Instant>,
    need_marker: bool,
    packets_sent: u32,
    octets_sent: u32,
    /// `packets_sent` at the last SR: a report is an SR only when we sent
    /// since.
    last_sr_txcount: u32,
    /// What Asterisk measures of both directions (RTPAUDIOQOS, RTCP).
    quality: Quality,
    sending: Option<SendingDigit>,
    // Receiver.
    rx_digit: Option<ReceivingDigit>,
    last_dtmf_seq: Option<u16>,
    last_end_timestamp: Option<u32>,
    last_sr: Option<(u32, Instant)>,
    /// When the next report is due: counting starts at the first packet
    /// sent or received, as Asterisk schedules it.
    next_rtcp: Option<Instant>,
    events: VecDeque<RtpEvent>,
    reports: VecDeque<RtcpReport>,
    transmits: VecDeque<Transmit>,
}

/// `a` is later than `b` in 32-bit serial arithmetic (timestamps wrap).
fn ts_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl RtpSession {
    /// `remote` is the address from the SDP, if known yet.
    pub fn new(config: RtpConfig, now: Instant, remote: Option<SocketAddr>) -> Self {
        let strict = if config.strict == StrictRtp::No {
            Strict::Open
        } else {
            Strict::Closed
        };
        let mut session = RtpSession {
            sequence: config.initial_sequence,
            timestamp: config.initial_timestamp,
            config,
            remote: None,
            remote_rtcp: None,
            learned: false,
            target: None,
            strict,
            strict_addr: None,
            learning: Learning {
                proposed: None,
                max_seq: 0,
                packets: 0,
                received: None,
                start: None,
            },
            epoch: now,
            wall_epoch: SystemTime::now(),
            last_send: None,
            need_marker: true,
            packets_sent: 0,
            octets_sent: 0,
            last_sr_txcount: 0,
            quality: Quality::default(),
            sending: None,
            rx_digit: None,
            last_dtmf_seq: None,
            last_end_timestamp: None,
            last_sr: None,
            next_rtcp: None,
            events: VecDeque::new(),
            reports: VecDeque::new(),
            transmits: VecDeque::new(),
        };
        session.set_remote(now, remote);
        session
    }

    pub fn config(&self) -> &RtpConfig {
        &self.config
    }

    pub fn remote(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// A new address from signalling (re-INVITE); symmetric learning
    /// starts over, and strict RTP's learning period starts `now`
    /// (`rtp_learning_start`), not at the first packet.
    pub fn set_remote(&mut self, now: Instant, remote: Option<SocketAddr>) {
        self.remote = remote;
        self.target = remote;
        self.remote_rtcp = None;
        self.learned = false;
        // A new address to send to: strict RTP learns the source again
        // (unless it is the one already learned).
        if self.strict != Strict::Open && remote.is_some() && remote != self.strict_addr {
            self.strict = Strict::Learn;
            self.learning.proposed = None;
            self.learning.start = Some(now);
            self.learning_init(self.quality.rx.last_sequence());
        }
    }

    /// `rtp_learning_seq_init`.
    fn learning_init(&mut self, seq: u16) {
        self.learning.max_seq = seq;
        self.learning.packets = self.config.probation;
        self.learning.received = None;
    }

    /// `rtp_learning_rtp_seq_update`: packets still needed in sequence
    /// (0: qualified). Too fast a run (a flood) starts over.
    fn learning_update(&mut self, now: Instant, seq: u16) -> u32 {
        let l = &mut self.learning;
        if seq == l.max_seq.wrapping_add(1) {
            l.packets = l.packets.saturating_sub(1);
        } else {
            l.packets = self.config.probation.saturating_sub(1);
            l.received = Some(now);
        }
        if self.config.strict == StrictRtp::Yes {
            let min = Duration::from_millis(
                u64::from(self.config.probation.saturating_sub(1) * 9).saturating_sub(5),
            );
            match l.received {
                None => l.received = Some(now),
                Some(r) if l.packets == 0 && now.saturating_duration_since(r) < min => {
                    l.packets = self.config.probation.saturating_sub(1);
                    l.received = Some(now);
                }
                Some(_) => {}
            }
        }
        l.max_seq = seq;
        l.packets
    }

    /// Strict RTP: whether a packet from `from` is accepted, learning the
    /// source as Asterisk does.
    fn strict_accepts(&mut self, now: Instant, from: SocketAddr, seq: u16) -> bool {
        if self.strict == Strict::Learn {
            let start = *self.learning.start.get_or_insert(now);
            if let Some(source) = self.strict_addr
                && now.saturating_duration_since(start) > STRICT_LEARN_TIMEOUT
            {
                self.strict = Strict::Closed;
                self.events.push_back(RtpEvent::StrictLocked(source));
            } else if self.strict_addr == Some(from) {
                self.learning_init(seq);
                return true;
            } else if self.target == Some(from) {
                self.strict_addr = Some(from);
                self.learning_init(seq);
                return true;
            } else if self.learning.proposed == Some(from) {
                if self.learning_update(now, seq) == 0 {
                    self.strict_addr = Some(from);
                    self.learning_init(seq);
                    return true;
                }
                return false;
            } else {
                self.learning.proposed = Some(from);
                self.learning_init(seq);
                return false;
            }
        }
        match self.strict {
            Strict::Open => true,
            _ => self.strict_addr == Some(from),
        }
    }

    /// The next audio packet carries the marker bit (RFC 3551 §4.1: the
    /// first packet of a talkspurt), e.g. after a source change.
    pub fn new_talkspurt(&mut self) {
        self.need_marker = true;
    }

    /// What Asterisk measures of this stream (RTPAUDIOQOS and friends).
    pub fn quality(&self) -> Quality {
        let mut q = self.quality.clone();
        q.ssrc = self.config.ssrc;
        q.themssrc = q.rx.ssrc.unwrap_or(0);
        q.txcount = self.packets_sent;
        q
    }

    /// Packets and payload octets sent so far (the SR's counters).
    pub fn sent_counts(&self) -> (u32, u32) {
        (self.packets_sent, self.octets_sent)
    }

    /// The next RTCP report sent or received, for RTCPSent/RTCPReceived.
    pub fn poll_report(&mut self) -> Option<RtcpReport> {
        self.reports.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<RtpEvent> {
        self.events.pop_front()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Queues a packet; `voice` packets start the report clock, DTMF
    /// events do not (only `rtp_raw_write` schedules RTCP in Asterisk).
    fn push_rtp(&mut self, now: Instant, packet: &RtpPacket<'_>, voice: bool) {
        let Some(to) = self.remote else { return };
        // A report due before this packet describes the stream without it.
        self.report_if_due(now);
        let mut payload = Vec::with_capacity(12 + packet.payload.len());
        if packet.write(&mut payload).is_ok() {
            self.packets_sent = self.packets_sent.wrapping_add(1);
            self.octets_sent = self.octets_sent.wrapping_add(packet.payload.len() as u32);
            self.transmits.push_back(Transmit {
                to,
                kind: TransmitKind::Rtp,
                payload,
            });
            if voice {
                self.start_reports(now);
            }
        }
    }

    /// The first voice packet sent, or any packet received, starts the
    /// report clock.
    fn start_reports(&mut self, now: Instant) {
        if self.next_rtcp.is_none()
            && self.rtcp_destination().is_some()
            && let Some(interval) = self.config.rtcp_interval
        {
            self.next_rtcp = Some(now + interval);
        }
    }

    /// Sends the report if it is due. The next one is due an interval
    /// after this one was (not after now), as Asterisk's scheduler keeps
    /// its cadence; without an address to send to, reports stop until
    /// the next packet.
    fn report_if_due(&mut self, now: Instant) {
        let (Some(due), Some(interval)) = (self.next_rtcp, self.config.rtcp_interval) else {
            return;
        };
        if now < due {
            return;
        }
        if self.queue_report(now) {
            let next = due + interval;
            self.next_rtcp = Some(if next < now { now } else { next });
        } else {
            self.next_rtcp = None;
        }
    }

    /// Sends one frame of encoded audio covering `samples` timestamp
    /// units. Returns false when it was not sent: no remote address, or a
    /// digit is being sent (Asterisk mutes audio during RFC 4733 events).
    pub fn send_audio(&mut self, now: Instant, payload: &[u8], samples: u32) -> bool {
        if self.sending.is_some() || self.remote.is_none() {
            return false;
        }
        // Each packet carries the previous one's timestamp plus its own
        // samples (so the first carries its samples: Asterisk's `lastts`
        // starts at 0), unless the wall clock says otherwise by more than
        // Asterisk's skew allowance: then, after a pause (silence
        // suppression, hold), the timestamp follows the clock so the far
        // end sees the gap, and the new talkspurt is marked (RFC 3551
        // §4.1).
        let predicted = self.timestamp.wrapping_add(samples);
        self.timestamp = match self.last_send {
            Some(last) => {
                let ms = now.saturating_duration_since(last).as_millis() as u64;
                let per_ms = u64::from(self.config.clock_rate / 1000);
                let by_clock = self.timestamp.wrapping_add((ms * per_ms) as u32);
                if (by_clock.wrapping_sub(predicted) as i32).unsigned_abs() < MAX_TIMESTAMP_SKEW {
                    predicted
                } else {
                    self.need_marker = true;
                    by_clock
                }
            }
            None => predicted,
        };
        let mut p = RtpPacket::new(
            self.config.payload_type,
            self.sequence,
            self.timestamp,
            self.config.ssrc,
            payload,
        );
        p.marker = std::mem::take(&mut self.need_marker);
        self.push_rtp(now, &p, true);
        self.sequence = self.sequence.wrapping_add(1);
        self.last_send = Some(now);
        true
    }

    fn push_event(&mut self, now: Instant, timestamp: u32, event: TelephoneEvent, marker: bool) {
        let Some(pt) = self.config.dtmf_payload_type else {
            return;
        };
        let body = event.to_bytes();
        let mut p = RtpPacket::new(pt, self.sequence, timestamp, self.config.ssrc, &body);
        p.marker = marker;
        self.push_rtp(now, &p, false);
        self.sequence = self.sequence.wrapping_add(1);
    }

    /// Starts sending a digit (RFC 4733 §2.5.1.2). Like Asterisk, the
    /// first two packets go out at once (marker on the first, durations
    /// one and two frames); each packet received then sends a
    /// continuation.
    pub fn send_dtmf_begin(&mut self, now: Instant, digit: char) -> Result<(), DtmfSendError> {
        if self.config.dtmf_payload_type.is_none() {
            return Err(DtmfSendError::NotNegotiated);
        }
        let event = dtmf_to_event(digit).ok_or(DtmfSendError::BadDigit(digit))?;
        if self.remote.is_none() {
            return Err(DtmfSendError::NoRemote);
        }
        if self.sending.is_some() {
            // A new digit before the old one ended: end the old one first.
            self.send_dtmf_end(now, None)?;
        }
        let frame = self.config.frame_samples;
        // The digit starts where the next audio frame would have.
        let timestamp = self.timestamp.wrapping_add(frame);
        for (i, duration) in [frame, 2 * frame].into_iter().enumerate() {
            let e = TelephoneEvent {
                event,
                end: false,
                volume: self.config.dtmf_volume,
                duration: duration.min(0xFFFF) as u16,
            };
            self.push_event(now, timestamp, e, i == 0);
        }
        self.sending = Some(SendingDigit {
            event,
            timestamp,
            duration: 3 * frame,
        });
        Ok(())
    }

    /// Ends the digit being sent: three packets with the E bit and the
    /// final duration (RFC 4733 §2.5.1.4). `duration_ms`, when longer
    /// than what was sent, becomes the final duration as in Asterisk.
    pub fn send_dtmf_end(
        &mut self,
        now: Instant,
        duration_ms: Option<u32>,
    ) -> Result<(), DtmfSendError> {
        let Some(s) = self.sending.take() else {
            return Err(DtmfSendError::NotSending);
        };
        // The last packet sent carried `duration - frame`.
        let mut duration = s.duration.saturating_sub(self.config.frame_samples);
        if let Some(ms) = duration_ms {
            let measured = u64::from(ms) * u64::from(self.config.clock_rate) / 1000;
            duration = duration.max(measured.min(u64::from(u32::MAX)) as u32);
        }
        let e = TelephoneEvent {
            event: s.event,
            end: true,
            volume: self.config.dtmf_volume,
            duration: duration.min(0xFFFF) as u16,
        };
        for _ in 0..3 {
            self.push_event(now, s.timestamp, e, false);
        }
        // Audio resumes after the event, as a new talkspurt: its first
        // packet is stamped where the event ended.
        let after = s
            .timestamp
            .wrapping_add(duration)
            .wrapping_sub(self.config.frame_samples);
        if ts_after(after, self.timestamp) {
            self.timestamp = after;
        }
        self.need_marker = true;
        self.last_send = Some(now);
        Ok(())
    }

    /// One more packet of the digit being sent, one frame longer.
    fn send_dtmf_continuation(&mut self, now: Instant) {
        let frame = self.config.frame_samples;
        let Some(sending) = self.sending.as_mut() else {
            return;
        };
        let (event, timestamp, duration) = (sending.event, sending.timestamp, sending.duration);
        sending.duration += frame;
        let e = TelephoneEvent {
            event,
            end: false,
            volume: self.config.dtmf_volume,
            duration: duration.min(0xFFFF) as u16,
        };
        self.push_event(now, timestamp, e, false);
    }

    /// Drives time: the receive-side DTMF timeout and RTCP reports. Call every media clock tick.
    pub fn tick(&mut self, now: Instant) {
        if let Some(d) = &self.rx_digit {
            let timeout = Duration::from_micros(
                u64::from(self.config.dtmf_timeout) * 1_000_000 / u64::from(self.config.clock_rate),
            );
            if now.saturating_duration_since(d.last_packet) > timeout {
                self.end_rx_digit();
            }
        }
        self.report_if_due(now);
    }

    /// Builds our report and queues it, with its RTCPSent; false when
    /// there is nowhere to send it.
    fn queue_report(&mut self, now: Instant) -> bool {
        let Some(to) = self.rtcp_destination() else {
            return false;
        };
        let packets = self.build_report(now);
        if let Ok(payload) = super::build_compound(&packets) {
            self.transmits.push_back(Transmit {
                to,
                kind: TransmitKind::Rtcp,
                payload,
            });
        }
        if let Some(packet) = packets.into_iter().next() {
            self.reports.push_back(RtcpReport {
                sent: true,
                peer: to,
                packet,
                rtt: None,
                mes: self.quality.last_local_mes,
            });
        }
        true
    }

    /// Our report as Asterisk builds it (`ast_rtcp_generate_report`): an
    /// SR if we sent since the last SR, else an RR; one report block once
    /// anything was received; then an SDES with our CNAME. Closing the
    /// interval updates the loss statistics and the score of what we
    /// receive.
    fn build_report(&mut self, now: Instant) -> Vec<RtcpPacket> {
        let sr = self.packets_sent > self.last_sr_txcount;
        let q = &mut self.quality;
        let (lost, fraction) = q.rx.report();
        q.last_local_mes = media_experience_score(
            q.reported.rtt.mean,
            q.local_jitter.jitter,
            q.local_jitter.stats.stdev,
            q.rx.lost.mean,
        );
        q.local_mes.add(q.last_local_mes);
        let reports = match q.rx.ssrc {
            Some(their_ssrc) => {
                let (lsr, dlsr) = match self.last_sr {
                    // Whole milliseconds in 1/65536 s, as Asterisk rounds.
                    Some((lsr, at)) => {
                        let ms = now.saturating_duration_since(at).as_millis() as u64;
                        (lsr, (ms * 65536 / 1000) as u32)
                    }
                    None => (0, 0),
                };
                vec![ReportBlock {
                    ssrc: their_ssrc,
                    fraction_lost: fraction,
                    cumulative_lost: lost as i32,
                    highest_sequence: q.rx.highest_sequence(),
                    jitter: q.local_jitter.units(),
                    last_sr: lsr,
                    delay_since_last_sr: dlsr,
                }]
            }
            None => Vec::new(),
        };
        let ssrc = self.config.ssrc;
        let report = if sr {
            self.last_sr_txcount = self.packets_sent;
            let wall = self.wall_epoch + now.saturating_duration_since(self.epoch);
            RtcpPacket::SenderReport {
                ssrc,
                info: SenderInfo {
                    ntp_timestamp: ntp_timestamp(wall),
                    rtp_timestamp: self.timestamp,
                    packet_count: self.packets_sent,
                    octet_count: self.octets_sent,
                },
                reports,
            }
        } else {
            RtcpPacket::ReceiverReport { ssrc, reports }
        };
        vec![
            report,
            RtcpPacket::SourceDescription(vec![SdesChunk {
                ssrc,
                items: vec![(SDES_CNAME, self.config.cname.clone().into_bytes())],
            }]),
        ]
    }

    fn rtcp_destination(&self) -> Option<SocketAddr> {
        if self.config.rtcp_mux {
            return self.remote;
        }
        self.remote_rtcp.or_else(|| {
            self.remote.map(|mut a| {
                // RFC 3550 §11: RTCP on the next port up.
                a.set_port(a.port().wrapping_add(1));
                a
            })
        })
    }

    /// Handles a datagram from the RTP port (and, with rtcp-mux, RTCP).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), RtpError> {
        // RFC 5761 §4: RTCP packet types 192–223 never collide with RTP
        // payload types that matter.
        if self.config.rtcp_mux && bytes.len() >= 2 && (192..=223).contains(&bytes[1]) {
            return self.handle_rtcp(now, from, bytes);
        }
        let p = RtpPacket::parse(bytes)?;
        // A report due before this packet describes the stream without it.
        self.report_if_due(now);
        if !self.strict_accepts(now, from, p.sequence) {
            return Ok(());
        }
        // Asterisk sends a digit's continuations as packets arrive (one
        // for each packet read), not on a clock of its own.
        self.send_dtmf_continuation(now);
        if self.config.symmetric && !self.learned {
            self.learned = true;
            if self.remote != Some(from) {
                self.remote = Some(from);
                self.remote_rtcp = None;
                self.events.push_back(RtpEvent::RemoteLearned(from));
            }
        }
        // A new source: the count starts over, and so does duplicate
        // detection of its events, whose sequence numbers and timestamps
        // are unrelated to the old.
        if self.quality.rx.on_packet(p.ssrc, p.sequence) {
            self.last_dtmf_seq = None;
            self.last_end_timestamp = None;
        }
        self.start_reports(now);
        let is_event = Some(p.payload_type) == self.config.dtmf_payload_type;
        // Events keep one timestamp for their whole duration, so they
        // would read as jitter.
        if !is_event {
            let rate = self.config.clock_rate;
            self.quality
                .local_jitter
                .on_packet(now, p.sequence, p.timestamp, p.marker, rate);
        }
        if is_event {
            let ev = TelephoneEvent::parse(p.payload)?;
            self.handle_event(now, p.sequence, p.timestamp, ev);
            return Ok(());
        }
        // Audio past the digit's timeout ends a digit whose end packets
        // were lost, as Asterisk does.
        if let Some(d) = &self.rx_digit {
            let deadline = d
                .timestamp
                .wrapping_add(d.duration)
                .wrapping_add(self.config.dtmf_timeout);
            if ts_after(p.timestamp, deadline) {
                self.end_rx_digit();
            }
        }
        self.events.push_back(RtpEvent::Media {
            payload_type: p.payload_type,
            marker: p.marker,
            sequence: p.sequence,
            timestamp: p.timestamp,
            ssrc: p.ssrc,
            payload: p.payload.to_vec(),
        });
        Ok(())
    }

    fn duration_ms(&self, units: u32) -> u32 {
        (u64::from(units) * 1000 / u64::from(self.config.clock_rate.max(1))) as u32
    }

    fn end_rx_digit(&mut self) {
        if let Some(d) = self.rx_digit.take() {
            self.last_end_timestamp = Some(d.timestamp);
            self.events.push_back(RtpEvent::DtmfEnd {
                digit: d.digit,
                duration_ms: self.duration_ms(d.duration),
            });
        }
    }

    /// RFC 4733 receive, following Asterisk's rules: begin once, end once
    /// (the redundant end packets and late continuations are dropped), a
    /// new event ends the previous one.
    fn handle_event(&mut self, now: Instant, seq: u16, timestamp: u32, ev: TelephoneEvent) {
        let Some(digit) = event_to_dtmf(ev.event) else {
            return;
        };
        let duration = u32::from(ev.duration);
        let ended_already = self
            .last_end_timestamp
            .is_some_and(|t| !ts_after(timestamp, t));
        if ev.end {
            if self.last_dtmf_seq == Some(seq) || ended_already {
                return;
            }
            self.last_dtmf_seq = Some(seq);
            match &mut self.rx_digit {
                Some(d) if d.timestamp == timestamp && d.digit == digit => {
                    d.duration = duration.max(d.duration);
                }
                _ => {
                    // Begin packets lost: still report the digit whole.
                    self.end_rx_digit();
                    self.events.push_back(RtpEvent::DtmfBegin { digit });
                    self.rx_digit = Some(ReceivingDigit {
                        digit,
                        timestamp,
                        duration,
                        last_packet: now,
                    });
                }
            }
            self.end_rx_digit();
            return;
        }
        let late = self
            .last_dtmf_seq
            .is_some_and(|last| last != seq && last.wrapping_sub(seq) < 50);
        if late || ended_already {
            return;
        }
        self.last_dtmf_seq = Some(seq);
        if let Some(d) = &mut self.rx_digit {
            if d.digit == digit && d.timestamp == timestamp {
                d.duration = duration.max(d.duration);
                d.last_packet = now;
                return;
            }
            self.end_rx_digit();
        }
        self.events.push_back(RtpEvent::DtmfBegin { digit });
        self.rx_digit = Some(ReceivingDigit {
            digit,
            timestamp,
            duration,
            last_packet: now,
        });
    }

    /// Handles a datagram from the RTCP port.
    pub fn handle_rtcp(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Result<(), RtpError> {
        let packets = RtcpPacket::parse_compound(bytes)?;
        if self.config.symmetric && !self.config.rtcp_mux {
            self.remote_rtcp = Some(from);
        }
        for p in packets {
            let (ssrc, blocks) = match &p {
                RtcpPacket::SenderReport { ssrc, reports, .. }
                | RtcpPacket::ReceiverReport { ssrc, reports } => (*ssrc, reports),
                _ => {
                    self.events.push_back(RtpEvent::Rtcp(p));
                    continue;
                }
            };
            // A report from another source than the one we receive is
            // not about this stream (Asterisk skips it).
            if self.quality.rx.ssrc.is_some_and(|them| them != ssrc) {
                continue;
            }
            if let RtcpPacket::SenderReport { info, .. } = &p {
                // LSR is the middle 32 bits of the NTP timestamp (§6.4.1).
                self.last_sr = Some(((info.ntp_timestamp >> 16) as u32, now));
            }
            // Asterisk reads the first block only.
            if let Some(block) = blocks.first() {
                self.take_report_block(now, block);
            }
            let r = &self.quality.reported;
            self.reports.push_back(RtcpReport {
                sent: false,
                peer: from,
                packet: p.clone(),
                rtt: Some(r.last_rtt),
                mes: r.last_mes,
            });
            self.events.push_back(RtpEvent::Rtcp(p));
        }
        Ok(())
    }

    /// What the far end reports of our stream: the round trip (when it
    /// echoes an SR of ours), its jitter and loss, and the score they make.
    fn take_report_block(&mut self, now: Instant, block: &ReportBlock) {
        let r = &mut self.quality.reported;
        if block.last_sr != 0 {
            let wall = self.wall_epoch + now.saturating_duration_since(self.epoch);
            let arrived = (ntp_timestamp(wall) >> 16) as u32;
            let rtt = arrived
                .wrapping_sub(block.last_sr)
                .wrapping_sub(block.delay_since_last_sr);
            let micros = (u64::from(rtt & 0xFFFF) * 15625) >> 10;
            r.last_rtt = f64::from(rtt >> 16) + micros as f64 / 1_000_000.0;
            // A clock skew (the delay longer than the time since our SR)
            // is shown but not averaged in.
            if arrived.wrapping_sub(block.delay_since_last_sr) >= block.last_sr {
                r.rtt.add(r.last_rtt);
            }
        }
        r.last_jitter = f64::from(block.jitter) / f64::from(self.config.clock_rate.max(1));
        r.jitter.add(r.last_jitter);
        r.last_lost = (block.cumulative_lost as u32) & 0xFF_FFFF;
        r.lost.add(f64::from(r.last_lost));
        r.last_mes = media_experience_score(r.rtt.mean, r.last_jitter, r.jitter.stdev, r.lost.mean);
        r.mes.add(r.last_mes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::rtp::ReportBlock;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn config() -> RtpConfig {
        RtpConfig {
            ssrc: 0x1111,
            initial_sequence: 65534,
            initial_timestamp: 1000,
            rtcp_interval: None,
            ..RtpConfig::new(0)
        }
    }

    fn sent(s: &mut RtpSession) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| s.poll_transmit())
            .map(|t| t.payload)
            .collect()
    }

    fn events(s: &mut RtpSession) -> Vec<RtpEvent> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    #[test]
    fn sender_sequence_timestamp_marker() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, Some(addr(4000)));
        let frame = [0xFFu8; 160];
        for i in 0..3u32 {
            assert!(s.send_audio(t0 + Duration::from_millis(20 * u64::from(i)), &frame, 160));
        }
        let out = sent(&mut s);
        let ps: Vec<_> = out
            .iter()
            .map(|b| RtpPacket::parse(b).expect("rtp"))
            .collect();
        assert_eq!(
            ps.iter().map(|p| p.sequence).collect::<Vec<_>>(),
            [65534, 65535, 0]
        );
        assert_eq!(
            ps.iter().map(|p| p.timestamp).collect::<Vec<_>>(),
            [1160, 1320, 1480]
        );
        assert_eq!(
            ps.iter().map(|p| p.marker).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert!(ps.iter().all(|p| p.ssrc == 0x1111 && p.payload_type == 0));
        // A one-second pause: timestamp jumps with the clock, marker set.
        assert!(s.send_audio(t0 + Duration::from_millis(1040), &frame, 160));
        let p = sent(&mut s);
        let p = RtpPacket::parse(&p[0]).expect("rtp");
        assert!(p.marker);
        assert_eq!(p.timestamp, 1160 + 1040 * 8);
        assert_eq!(s.sent_counts(), (4, 640));
    }

    #[test]
    fn no_remote_no_send() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        assert!(!s.send_audio(t0, &[0; 160], 160));
        assert_eq!(s.poll_transmit(), None);
    }

    #[test]
    fn symmetric_learns_first_source() {
        let t0 = Instant::now();
        let cfg = RtpConfig {
            symmetric: true,
            ..config()
        };
        let mut s = RtpSession::new(cfg, t0, Some(addr(4000)));
        let payload = [0u8; 160];
        let pkt = RtpPacket::new(0, 1, 0, 77, &payload).to_vec().expect("rtp");
        s.handle_packet(t0, addr(5000), &pkt).expect("ok");
        s.handle_packet(t0, addr(6000), &pkt).expect("ok");
        assert_eq!(s.remote(), Some(addr(5000)));
        let ev = events(&mut s);
        assert_eq!(ev[0], RtpEvent::RemoteLearned(addr(5000)));
        assert!(matches!(ev[1], RtpEvent::Media { ssrc: 77, .. }));
        s.send_audio(t0, &payload, 160);
        assert_eq!(s.poll_transmit().map(|t| t.to), Some(addr(5000)));
        // Without symmetric the SDP address stays.
        let mut s = RtpSession::new(config(), t0, Some(addr(4000)));
        s.handle_packet(t0, addr(5000), &pkt).expect("ok");
        assert_eq!(s.remote(), Some(addr(4000)));
    }

    #[test]
    fn malformed_input_is_an_error() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        assert_eq!(
            s.handle_packet(t0, addr(1), &[0x80, 0]),
            Err(RtpError::TooShort(2))
        );
        let short_event = RtpPacket::new(101, 1, 0, 1, &[1]).to_vec().expect("rtp");
        assert_eq!(
            s.handle_packet(t0, addr(1), &short_event),
            Err(RtpError::ShortEvent(1))
        );
    }

    #[test]
    fn receive_loss_wrap_and_jitter() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        let payload = [0u8; 160];
        let mut seq = 65530u16;
        for i in 0..20u32 {
            if i == 10 {
                seq = seq.wrapping_add(1); // one lost
            }
            let pkt = RtpPacket::new(0, seq, i * 160, 9, &payload)
                .to_vec()
                .expect("rtp");
            let now = t0 + Duration::from_millis(20 * u64::from(i));
            s.handle_packet(now, addr(1), &pkt).expect("ok");
            seq = seq.wrapping_add(1);
        }
        let mut q = s.quality();
        assert_eq!((q.rx.count, q.rx.ssrc), (20, Some(9)));
        assert_eq!(
            q.rx.highest_sequence(),
            (1 << 16) + u32::from(seq.wrapping_sub(1))
        );
        assert_eq!(q.rx.report(), (1, (256 / 21) as u8));
        assert_eq!(q.local_jitter.units(), 0);
        assert_eq!(events(&mut s).len(), 20);
    }

    fn media_count(s: &mut RtpSession) -> usize {
        let mut n = 0;
        while let Some(e) = s.poll_event() {
            if matches!(e, RtpEvent::Media { .. }) {
                n += 1;
            }
        }
        n
    }

    /// rtp.conf strictrtp=yes: the SDP address is a source at once;
    /// another address needs `probation` packets in sequence (the first
    /// four are dropped), and others are dropped once one is learned.
    #[test]
    fn strict_rtp_learns_the_source_as_asterisk_does() {
        let mut t = Instant::now();
        let cfg = RtpConfig {
            strict: StrictRtp::Yes,
            ..config()
        };
        let audio = |seq: u16| {
            RtpPacket::new(0, seq, u32::from(seq) * 160, 9, &[0xff; 160])
                .to_vec()
                .expect("rtp")
        };
        let mut s = RtpSession::new(cfg.clone(), t, Some(addr(4000)));
        s.handle_packet(t, addr(4000), &audio(1)).expect("packet");
        assert_eq!(
            media_count(&mut s),
            1,
            "the SDP address is accepted at once"
        );
        s.handle_packet(t, addr(5000), &audio(2)).expect("packet");
        assert_eq!(media_count(&mut s), 0, "a second source is not");

        let mut s = RtpSession::new(cfg.clone(), t, Some(addr(4000)));
        let mut got = Vec::new();
        for seq in 10..20 {
            t += Duration::from_millis(20);
            s.handle_packet(t, addr(5000), &audio(seq)).expect("packet");
            got.push(media_count(&mut s));
        }
        assert_eq!(got, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);

        // Without an address to send to, nothing is accepted.
        let mut s = RtpSession::new(cfg, t, None);
        s.handle_packet(t, addr(4000), &audio(1)).expect("packet");
        assert_eq!(media_count(&mut s), 0);
    }

    fn event_packet(seq: u16, ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
        let body = TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes();
        RtpPacket::new(101, seq, ts, 5, &body)
            .to_vec()
            .expect("rtp")
    }

    #[test]
    fn dtmf_send_begin_continue_end() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, Some(addr(4000)));
        s.send_audio(t0, &[0xFF; 160], 160);
        sent(&mut s);
        s.send_dtmf_begin(t0 + Duration::from_millis(20), '5')
            .expect("begin");
        // Audio is muted while the digit plays.
        assert!(!s.send_audio(t0 + Duration::from_millis(20), &[0xFF; 160], 160));
        // Continuations go out as packets arrive, not as time passes.
        s.tick(t0 + Duration::from_millis(40));
        for (ms, seq) in [(40, 1), (60, 2)] {
            let pkt = RtpPacket::new(0, seq, 160 * u32::from(seq), 7, &[0xFF; 160]);
            let mut bytes = Vec::new();
            pkt.write(&mut bytes).expect("write");
            s.handle_packet(t0 + Duration::from_millis(ms), addr(4000), &bytes)
                .expect("packet");
        }
        s.send_dtmf_end(t0 + Duration::from_millis(80), None)
            .expect("end");
        let out = sent(&mut s);
        let ps: Vec<_> = out
            .iter()
            .map(|b| RtpPacket::parse(b).expect("rtp"))
            .collect();
        let evs: Vec<_> = ps
            .iter()
            .map(|p| TelephoneEvent::parse(p.payload).expect("event"))
            .collect();
        assert_eq!(ps.len(), 2 + 2 + 3);
        assert!(
            ps.iter()
                .all(|p| p.payload_type == 101 && p.timestamp == 1320)
        );
        assert_eq!(
            ps.iter().map(|p| p.marker).collect::<Vec<_>>(),
            [true, false, false, false, false, false, false]
        );
        let seqs: Vec<_> = ps.iter().map(|p| p.sequence).collect();
        assert_eq!(seqs, [65535, 0, 1, 2, 3, 4, 5]);
        assert_eq!(
            evs.iter().map(|e| e.duration).collect::<Vec<_>>(),
            [160, 320, 480, 640, 640, 640, 640]
        );
        assert_eq!(
            evs.iter().map(|e| e.end).collect::<Vec<_>>(),
            [false, false, false, false, true, true, true]
        );
        assert!(evs.iter().all(|e| e.event == 5 && e.volume == 10));
        // Audio resumes after the event, marked.
        s.send_audio(t0 + Duration::from_millis(100), &[0xFF; 160], 160);
        let p = sent(&mut s);
        let p = RtpPacket::parse(&p[0]).expect("rtp");
        assert!(p.marker);
        assert_eq!(p.timestamp, 1320 + 640);
        assert_eq!(p.sequence, 6);
        // A longer measured duration wins.
        s.send_dtmf_begin(t0, '#').expect("begin");
        s.send_dtmf_end(t0, Some(250)).expect("end");
        let last = sent(&mut s).pop().expect("packet");
        let last = RtpPacket::parse(&last).expect("rtp");
        assert_eq!(
            TelephoneEvent::parse(last.payload).map(|e| e.duration),
            Ok(2000)
        );
        assert_eq!(s.send_dtmf_end(t0, None), Err(DtmfSendError::NotSending));
        assert_eq!(
            s.send_dtmf_begin(t0, 'Z'),
            Err(DtmfSendError::BadDigit('Z'))
        );
    }

    #[test]
    fn dtmf_receive_once_with_duplicates() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        let pkts = [
            event_packet(10, 8000, 1, false, 160),
            event_packet(11, 8000, 1, false, 320),
            event_packet(11, 8000, 1, false, 320), // duplicate
            event_packet(12, 8000, 1, false, 480),
            event_packet(13, 8000, 1, true, 800),
            event_packet(14, 8000, 1, true, 800),
            event_packet(15, 8000, 1, true, 800),
            event_packet(12, 8000, 1, false, 480), // late continuation
            // Next digit.
            event_packet(16, 9600, 11, false, 160),
            event_packet(17, 9600, 11, true, 400),
        ];
        for p in &pkts {
            s.handle_packet(t0, addr(1), p).expect("ok");
        }
        assert_eq!(
            events(&mut s),
            [
                RtpEvent::DtmfBegin { digit: '1' },
                RtpEvent::DtmfEnd {
                    digit: '1',
                    duration_ms: 100
                },
                RtpEvent::DtmfBegin { digit: '#' },
                RtpEvent::DtmfEnd {
                    digit: '#',
                    duration_ms: 50
                },
            ]
        );
    }

    #[test]
    fn dtmf_receive_lost_begin_lost_end_and_new_digit() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        // Only the end arrives.
        s.handle_packet(t0, addr(1), &event_packet(1, 100, 2, true, 400))
            .expect("ok");
        // A digit whose end is lost, interrupted by another digit.
        s.handle_packet(t0, addr(1), &event_packet(2, 1000, 3, false, 160))
            .expect("ok");
        s.handle_packet(t0, addr(1), &event_packet(3, 2000, 4, false, 160))
            .expect("ok");
        // And one ended by the wall-clock timeout.
        s.tick(t0 + Duration::from_millis(200));
        assert_eq!(
            events(&mut s),
            [
                RtpEvent::DtmfBegin { digit: '2' },
                RtpEvent::DtmfEnd {
                    digit: '2',
                    duration_ms: 50
                },
                RtpEvent::DtmfBegin { digit: '3' },
                RtpEvent::DtmfEnd {
                    digit: '3',
                    duration_ms: 20
                },
                RtpEvent::DtmfBegin { digit: '4' },
                RtpEvent::DtmfEnd {
                    digit: '4',
                    duration_ms: 20
                },
            ]
        );
        // Audio past the timestamp deadline also ends a digit.
        s.handle_packet(t0, addr(1), &event_packet(4, 5000, 7, false, 160))
            .expect("ok");
        let audio = RtpPacket::new(0, 5, 5000 + 160 + 1201, 5, &[0; 160])
            .to_vec()
            .expect("rtp");
        s.handle_packet(t0, addr(1), &audio).expect("ok");
        let ev = events(&mut s);
        assert_eq!(
            ev[1],
            RtpEvent::DtmfEnd {
                digit: '7',
                duration_ms: 20
            }
        );
    }

    #[test]
    fn new_source_resets_event_state() {
        let t0 = Instant::now();
        let mut s = RtpSession::new(config(), t0, None);
        s.handle_packet(t0, addr(1), &event_packet(100, 8000, 1, true, 400))
            .expect("ok");
        // Another SSRC (a transfer) with lower numbers is not "late".
        let body = TelephoneEvent {
            event: 2,
            end: true,
            volume: 10,
            duration: 400,
        }
        .to_bytes();
        let other = RtpPacket::new(101, 5, 10, 6, &body).to_vec().expect("rtp");
        s.handle_packet(t0, addr(1), &other).expect("ok");
        let digits: Vec<_> = events(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                RtpEvent::DtmfEnd { digit, .. } => Some(digit),
                _ => None,
            })
            .collect();
        assert_eq!(digits, ['1', '2']);
    }

    #[test]
    fn rtcp_reports() {
        let t0 = Instant::now();
        let cfg = RtpConfig {
            rtcp_interval: Some(Duration::from_secs(5)),
            ..config()
        };
        let mut s = RtpSession::new(cfg, t0, Some(addr(4000)));
        // Receive a few packets and an SR from the far end.
        for i in 0..5u16 {
            let pkt = RtpPacket::new(0, i, u32::from(i) * 160, 42, &[0; 160])
                .to_vec()
                .expect("rtp");
            s.handle_packet(t0, addr(4000), &pkt).expect("ok");
        }
        let sr = super::super::build_compound(&[RtcpPacket::SenderReport {
            ssrc: 42,
            info: SenderInfo {
                ntp_timestamp: 0x0000_1234_5678_0000,
                ..Default::default()
            },
            reports: vec![],
        }])
        .expect("sr");
        s.handle_rtcp(t0, addr(4001), &sr).expect("ok");
        assert!(
            events(&mut s)
                .iter()
                .any(|e| matches!(e, RtpEvent::Rtcp(RtcpPacket::SenderReport { ssrc: 42, .. })))
        );
        s.tick(t0 + Duration::from_secs(4));
        assert_eq!(s.poll_transmit(), None);
        // Nothing sent yet: an RR, to the RTP port + 1.
        s.tick(t0 + Duration::from_secs(5));
        let t = s.poll_transmit().expect("rtcp");
        assert_eq!((t.kind, t.to), (TransmitKind::Rtcp, addr(4001)));
        let parsed = RtcpPacket::parse_compound(&t.payload).expect("parses");
        let RtcpPacket::ReceiverReport { ssrc, reports } = &parsed[0] else {
            panic!("expected RR, got {parsed:?}");
        };
        assert_eq!(*ssrc, 0x1111);
        let rb: &ReportBlock = &reports[0];
        assert_eq!(rb.ssrc, 42);
        assert_eq!(rb.highest_sequence, 4);
        assert_eq!(rb.last_sr, 0x1234_5678);
        assert_eq!(rb.delay_since_last_sr, 5 * 65536);
        assert!(matches!(parsed[1], RtcpPacket::SourceDescription(_)));
        // After sending, an SR.
        s.send_audio(t0 + Duration::from_secs(6), &[0; 160], 160);
        sent(&mut s);
        s.tick(t0 + Duration::from_secs(10));
        let t = s.poll_transmit().expect("rtcp");
        let parsed = RtcpPacket::parse_compound(&t.payload).expect("parses");
        assert!(matches!(
            parsed[0],
            RtcpPacket::SenderReport {
                info: SenderInfo {
                    packet_count: 1,
                    octet_count: 160,
                    ..
                },
                ..
            }
        ));
    }

    /// Asterisk's cadence and contents: the first report comes an
    /// interval after the first packet sent, before any packet sent or
    /// received later; the next an interval after it was due; an SR
    /// carries the last timestamp sent (counted from 0) and the counts,
    /// with one block about the stream received.
    #[test]
    fn reports_as_asterisk_times_and_fills_them() {
        let t0 = Instant::now();
        let cfg = RtpConfig {
            initial_timestamp: 0,
            rtcp_interval: Some(Duration::from_secs(5)),
            ..config()
        };
        let mut s = RtpSession::new(cfg, t0, Some(addr(4000)));
        s.tick(t0 + Duration::from_secs(6));
        assert_eq!(s.poll_transmit(), None, "nothing sent or received yet");
        let start = t0 + Duration::from_secs(6);
        // 250 frames 20 ms apart, each answered by one from the far end.
        for i in 0..=250u32 {
            let at = start + Duration::from_millis(20 * u64::from(i));
            let pkt = RtpPacket::new(0, 100 + i as u16, i * 160, 77, &[0; 160])
                .to_vec()
                .expect("rtp");
            s.handle_packet(at, addr(4000), &pkt).expect("ok");
            s.send_audio(at, &[0xFF; 160], 160);
        }
        let rtcp: Vec<_> = std::iter::from_fn(|| s.poll_transmit())
            .filter(|t| t.kind == TransmitKind::Rtcp)
            .collect();
        assert_eq!(rtcp.len(), 1);
        let report = s.poll_report().expect("RTCPSent");
        assert!(report.sent && report.rtt.is_none());
        assert_eq!(report.peer, addr(4001));
        assert_eq!(format!("{:.6}", report.mes), "88.087887");
        let RtcpPacket::SenderReport {
            ssrc,
            info,
            reports,
        } = &report.packet
        else {
            panic!("expected an SR: {report:?}");
        };
        assert_eq!(*ssrc, 0x1111);
        // Due at 5 s, before the 251st packet either way.
        assert_eq!(
            (info.rtp_timestamp, info.packet_count, info.octet_count),
            (250 * 160, 250, 250 * 160)
        );
        assert_eq!(reports.len(), 1);
        let b = reports[0];
        assert_eq!(
            (b.ssrc, b.highest_sequence, b.cumulative_lost),
            (77, 349, 0)
        );
        assert_eq!((b.last_sr, b.delay_since_last_sr), (0, 0));
        assert_eq!(
            RtcpPacket::parse_compound(&rtcp[0].payload).expect("parses")[0],
            report.packet
        );
        // The next one: 10 s after the start, though ticked late; the
        // packet sent at 5 s makes it an SR.
        s.tick(start + Duration::from_millis(10_015));
        let next = s.poll_report().expect("second report");
        let RtcpPacket::SenderReport { info, .. } = next.packet else {
            panic!("one packet sent since: an SR, got {next:?}");
        };
        assert_eq!(info.packet_count, 251);
        s.tick(start + Duration::from_millis(14_990));
        assert_eq!(s.poll_report(), None);
        s.tick(start + Duration::from_millis(15_000));
        let third = s.poll_report().expect("third report");
        let RtcpPacket::ReceiverReport { .. } = third.packet else {
            panic!("nothing sent since: an RR, got {third:?}");
        };
        let q = s.quality();
        assert_eq!(q.local_mes.count, 3);
        assert_eq!((q.txcount, q.themssrc, q.rx.count), (251, 77, 251));
    }

    /// A far end's RR that echoes our SR gives the round trip; its
    /// jitter and loss are what it says of our stream; a report about
    /// another source is not ours.
    #[test]
    fn received_reports_give_round_trip_and_remote_figures() {
        let t0 = Instant::now();
        let cfg = RtpConfig {
            rtcp_interval: Some(Duration::from_secs(5)),
            ..config()
        };
        let mut s = RtpSession::new(cfg, t0, Some(addr(4000)));
        let pkt = RtpPacket::new(0, 1, 0, 77, &[0; 160])
            .to_vec()
            .expect("rtp");
        s.handle_packet(t0, addr(4000), &pkt).expect("ok");
        s.send_audio(t0, &[0xFF; 160], 160);
        s.tick(t0 + Duration::from_secs(5));
        let ours = s.poll_report().expect("SR");
        let RtcpPacket::SenderReport { info, .. } = ours.packet else {
            panic!("SR expected");
        };
        sent(&mut s);
        // Their RR arrives 300 ms later, having held our SR 100 ms.
        let lsr = (info.ntp_timestamp >> 16) as u32;
        let rr = |ssrc: u32| {
            super::super::build_compound(&[RtcpPacket::ReceiverReport {
                ssrc,
                reports: vec![ReportBlock {
                    ssrc: 0x1111,
                    fraction_lost: 0,
                    cumulative_lost: 3,
                    highest_sequence: 1,
                    jitter: 80,
                    last_sr: lsr,
                    delay_since_last_sr: 65536 / 10,
                }],
            }])
            .expect("rr")
        };
        let at = t0 + Duration::from_millis(5300);
        s.handle_rtcp(at, addr(4001), &rr(99)).expect("ok");
        assert_eq!(s.poll_report(), None, "another source's report");
        s.handle_rtcp(at, addr(4001), &rr(77)).expect("ok");
        let theirs = s.poll_report().expect("RTCPReceived");
        assert!(!theirs.sent);
        assert_eq!(theirs.peer, addr(4001));
        let rtt = theirs.rtt.expect("rtt");
        assert!((rtt - 0.2).abs() < 0.002, "{rtt}");
        let q = s.quality();
        assert_eq!(q.reported.last_lost, 3);
        assert_eq!(q.reported.last_jitter, 0.01);
        assert!(theirs.mes < 88.0 && theirs.mes > 50.0, "{}", theirs.mes);
        assert_eq!(q.reported.last_mes, theirs.mes);
    }

    #[test]
    fn rtcp_mux_demultiplexes() {
        let t0 = Instant::now();
        let cfg = RtpConfig {
            rtcp_mux: true,
            ..config()
        };
        let mut s = RtpSession::new(cfg, t0, Some(addr(4000)));
        let rr = super::super::build_compound(&[RtcpPacket::ReceiverReport {
            ssrc: 3,
            reports: vec![],
        }])
        .expect("rr");
        s.handle_packet(t0, addr(4000), &rr).expect("ok");
        assert!(matches!(
            s.poll_event(),
            Some(RtpEvent::Rtcp(RtcpPacket::ReceiverReport { ssrc: 3, .. }))
        ));
    }
}
