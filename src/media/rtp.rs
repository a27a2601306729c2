//! RTP (RFC 3550) packets, RFC 4733 telephone events, RTCP sender and
//! receiver reports, and the sans-IO [`RtpSession`].
//!
//! Parsing of the fixed header rides on the `rtp-rs` crate (a small,
//! dependency-free zero-copy reader that validates lengths up front); its
//! errors are mapped to [`RtpError`] so callers see one typed error, and
//! no input can make this module panic.

mod rtcp;
mod session;
mod stats;

pub use rtcp::{ReportBlock, RtcpError, RtcpPacket, SenderInfo, build_compound, ntp_timestamp};
pub use session::{
    DtmfSendError, RtcpReport, RtpConfig, RtpEvent, RtpSession, Transmit, TransmitKind,
};
pub use stats::{LocalJitter, Quality, Running, RxAccount, media_experience_score};

use rtp_rs::{Pad, RtpPacketBuildError, RtpPacketBuilder, RtpReader, RtpReaderError, Seq};

/// Why an RTP packet or telephone event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("{0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    #[error("RTP version {0} (only 2 exists)")]
    BadVersion(u8),
    #[error("RTP header needs {header_len} bytes, packet has {buffer_len}")]
    Truncated {
        header_len: usize,
        buffer_len: usize,
    },
    #[error("RTP padding length {0} does not fit the packet")]
    BadPadding(u8),
    #[error("payload type {0} does not fit in 7 bits")]
    BadPayloadType(u8),
    #[error("{0} CSRCs; a header holds at most 15")]
    TooManyCsrcs(usize),
    #[error("header extension of {0} bytes is not a whole number of 32-bit words")]
    BadExtension(usize),
    #[error("telephone-event payload of {0} bytes; RFC 4733 needs 4")]
    ShortEvent(usize),
    #[error("RTCP: {0}")]
    Rtcp(#[from] RtcpError),
}

impl From<RtpReaderError> for RtpError {
    fn from(e: RtpReaderError) -> Self {
        match e {
            RtpReaderError::BufferTooShort(n) => RtpError::TooShort(n),
            RtpReaderError::UnsupportedVersion(v) => RtpError::BadVersion(v),
            RtpReaderError::HeadersTruncated {
                header_len,
                buffer_len,
            } => RtpError::Truncated {
                header_len,
                buffer_len,
            },
            RtpReaderError::PaddingLengthInvalid(n) => RtpError::BadPadding(n),
        }
    }
}

/// One RTP packet, borrowing its payload from the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrcs: Vec<u32>,
    /// Profile-defined id and the extension words (RFC 3550 §5.3.1).
    pub extension: Option<(u16, &'a [u8])>,
    /// Padding bytes found after the payload (0 when the P bit is clear).
    /// Not re-emitted by [`RtpPacket::write`]; see [`RtpPacket::write_padded`].
    pub padding: u8,
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// A packet with no CSRCs, extension or padding.
    pub fn new(
        payload_type: u8,
        sequence: u16,
        timestamp: u32,
        ssrc: u32,
        payload: &'a [u8],
    ) -> Self {
        RtpPacket {
            marker: false,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrcs: Vec::new(),
            extension: None,
            padding: 0,
            payload,
        }
    }

    /// Parses a datagram; every malformation is an error, never a panic.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        let r = RtpReader::new(bytes)?;
        Ok(RtpPacket {
            marker: r.mark(),
            payload_type: r.payload_type(),
            sequence: u16::from(r.sequence_number()),
            timestamp: r.timestamp(),
            ssrc: r.ssrc(),
            csrcs: r.csrc().collect(),
            extension: r.extension(),
            padding: r.padding().unwrap_or(0),
            payload: r.payload(),
        })
    }

    /// Serialises the packet, appending to `out`.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtpError> {
        self.write_inner(out, None)
    }

    /// Serialises with padding so the length is a multiple of `round_to`
    /// (RFC 3550 §5.1, e.g. for block ciphers); 0 or 1 adds none.
    pub fn write_padded(&self, out: &mut Vec<u8>, round_to: u8) -> Result<(), RtpError> {
        self.write_inner(out, Some(round_to))
    }

    fn write_inner(&self, out: &mut Vec<u8>, round_to: Option<u8>) -> Result<(), RtpError> {
        if self.csrcs.len() > 15 {
            return Err(RtpError::TooManyCsrcs(self.csrcs.len()));
        }
        let mut b = RtpPacketBuilder::new()
            .payload_type(self.payload_type)
            .marked(self.marker)
            .sequence(Seq::from(self.sequence))
            .timestamp(self.timestamp)
            .ssrc(self.ssrc)
            .set_csrc(&self.csrcs)
            .payload(self.payload);
        if let Some((id, data)) = self.extension {
            b = b.extension(id, data);
        }
        // rtp-rs panics on a rounding below 2 (and on more than 15 CSRCs,
        // checked above); every length is a multiple of 1 anyway.
        if let Some(n) = round_to.filter(|&n| n >= 2) {
            b = b.padded(Pad::round_to(n));
        }
        let start = out.len();
        out.resize(start + b.target_length(), 0);
        match b.build_into(&mut out[start..]) {
            Ok(n) => {
                out.truncate(start + n);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(match e {
                    RtpPacketBuildError::PayloadTypeInvalid => {
                        RtpError::BadPayloadType(self.payload_type)
                    }
                    RtpPacketBuildError::BufferTooSmall
                    | RtpPacketBuildError::ExtensionTooLarge
                    | RtpPacketBuildError::ExtensionMissingPadding => {
                        RtpError::BadExtension(self.extension.map(|(_, d)| d.len()).unwrap_or(0))
                    }
                })
            }
        }
    }

    /// The packet as a new buffer.
    pub fn to_vec(&self) -> Result<Vec<u8>, RtpError> {
        let mut v = Vec::with_capacity(12 + 4 * self.csrcs.len() + self.payload.len());
        self.write(&mut v)?;
        Ok(v)
    }
}

/// An RFC 4733 §2.3 telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash.
    pub event: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in −dBm0 (0–63); Asterisk sends 10.
    pub volume: u8,
    /// Duration so far, in timestamp units, counted from the event's start.
    pub duration: u16,
}

impl TelephoneEvent {
    pub fn parse(payload: &[u8]) -> Result<Self, RtpError> {
        match payload {
            [event, flags, d0, d1, ..] => Ok(TelephoneEvent {
                event: *event,
                end: flags & 0x80 != 0,
                volume: flags & 0x3F,
                duration: u16::from_be_bytes([*d0, *d1]),
            }),
            _ => Err(RtpError::ShortEvent(payload.len())),
        }
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        let flags = if self.end { 0x80 } else { 0 } | (self.volume & 0x3F);
        [self.event, flags, d[0], d[1]]
    }
}

/// The event code for a DTMF digit (RFC 4733 §3.2), case-insensitive for
/// `A`–`D`; `None` for anything Asterisk cannot send.
pub fn dtmf_to_event(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        'a'..='d' => Some(digit as u8 - b'a' + 12),
        _ => None,
    }
}

/// The digit for an event code; 16 (flash) is `X` as in Asterisk.
pub fn event_to_dtmf(event: u8) -> Option<char> {
    match event {
        0..=9 => Some((b'0' + event) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + event - 12) as char),
        16 => Some('X'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_minimal_and_round_trip() {
        let payload = [0xFFu8; 160];
        let mut p = RtpPacket::new(0, 65535, 0xDEADBEEF, 0x1234_5678, &payload);
        p.marker = true;
        let bytes = p.to_vec().expect("serialises");
        assert_eq!(bytes.len(), 172);
        assert_eq!(&bytes[..4], &[0x80, 0x80, 0xFF, 0xFF]);
        let q = RtpPacket::parse(&bytes).expect("parses");
        assert_eq!(p, q);
    }

    #[test]
    fn csrc_extension_and_padding() {
        let ext = [1u8, 2, 3, 4];
        let payload = [9u8; 3];
        let mut p = RtpPacket::new(96, 7, 8, 9, &payload);
        p.csrcs = vec![1, 2, 3];
        p.extension = Some((0xBEDE, &ext));
        let mut bytes = Vec::new();
        p.write_padded(&mut bytes, 4).expect("serialises");
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(bytes[0] & 0x20, 0x20, "P bit");
        assert_eq!(bytes[0] & 0x10, 0x10, "X bit");
        assert_eq!(bytes[0] & 0x0F, 3, "CC");
        let q = RtpPacket::parse(&bytes).expect("parses");
        assert_eq!(q.csrcs, vec![1, 2, 3]);
        assert_eq!(q.extension, Some((0xBEDE, &ext[..])));
        assert_eq!(q.payload, &payload);
        assert_eq!(q.padding, 1);
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::TooShort(11)));
        let mut v1 = [0u8; 12];
        v1[0] = 0x40;
        assert_eq!(RtpPacket::parse(&v1), Err(RtpError::BadVersion(1)));
        // CC says 2 CSRCs but none follow.
        let mut cc = [0u8; 12];
        cc[0] = 0x82;
        assert!(matches!(
            RtpPacket::parse(&cc),
            Err(RtpError::Truncated { .. })
        ));
        // Padding count larger than the packet.
        let mut pad = [0u8; 14];
        pad[0] = 0xA0;
        pad[13] = 200;
        assert_eq!(RtpPacket::parse(&pad), Err(RtpError::BadPadding(200)));
        // Extension header promising more words than present.
        let mut ext = [0u8; 16];
        ext[0] = 0x90;
        ext[15] = 5;
        assert!(matches!(
            RtpPacket::parse(&ext),
            Err(RtpError::Truncated { .. })
        ));
        let bad_pt = RtpPacket::new(200, 0, 0, 0, &[]);
        assert_eq!(bad_pt.to_vec(), Err(RtpError::BadPayloadType(200)));
        let mut many = RtpPacket::new(0, 0, 0, 0, &[]);
        many.csrcs = vec![0; 16];
        assert_eq!(many.to_vec(), Err(RtpError::TooManyCsrcs(16)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A fixed LCG so the test is reproducible.
        let mut x: u32 = 0x1234_5678;
        let mut buf = [0u8; 64];
        for round in 0..20_000 {
            for b in buf.iter_mut() {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *b = (x >> 24) as u8;
            }
            // Mostly version 2 so the deeper checks are reached.
            buf[0] = (buf[0] & 0x3F) | 0x80;
            let len = round % 64;
            if let Ok(p) = RtpPacket::parse(&buf[..len]) {
                assert!(p.payload.len() <= len);
            }
            let _ = TelephoneEvent::parse(&buf[..len % 8]);
            let _ = RtcpPacket::parse_compound(&buf[..len]);
        }
    }

    #[test]
    fn telephone_event_codec() {
        let e = TelephoneEvent {
            event: 11,
            end: true,
            volume: 10,
            duration: 1280,
        };
        assert_eq!(e.to_bytes(), [11, 0x8A, 0x05, 0x00]);
        assert_eq!(TelephoneEvent::parse(&e.to_bytes()), Ok(e));
        assert_eq!(TelephoneEvent::parse(&[1, 2]), Err(RtpError::ShortEvent(2)));
        assert_eq!(dtmf_to_event('#'), Some(11));
        assert_eq!(dtmf_to_event('d'), Some(15));
        assert_eq!(dtmf_to_event('E'), None);
        assert_eq!(event_to_dtmf(16), Some('X'));
        assert_eq!(event_to_dtmf(17), None);
        for c in "0123456789*#ABCD".chars() {
            assert_eq!(dtmf_to_event(c).and_then(event_to_dtmf), Some(c));
        }
    }
}
