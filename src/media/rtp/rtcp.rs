//! RTCP (RFC 3550 §6): sender and receiver reports, SDES, BYE; other
//! packet types are carried through opaquely.

use std::time::{SystemTime, UNIX_EPOCH};

const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
const PT_BYE: u8 = 203;
/// SDES item type of the canonical name (RFC 3550 §6.5.1).
pub const SDES_CNAME: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    #[error("{0} bytes is shorter than an RTCP header")]
    TooShort(usize),
    #[error("RTCP version {0} (only 2 exists)")]
    BadVersion(u8),
    #[error("RTCP length field says {claimed} bytes, {available} remain")]
    BadLength { claimed: usize, available: usize },
    #[error("RTCP packet type {packet_type} body too short for {count} entries")]
    BodyTooShort { packet_type: u8, count: u8 },
    #[error("{0} entries; an RTCP packet holds at most 31")]
    TooMany(usize),
}

/// The sender-info block of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp (seconds since 1900 in the high word).
    pub ntp_timestamp: u64,
    /// The same instant in the sender's RTP timestamp units.
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Lost fraction since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost; 24-bit signed (duplicates can make it
    /// negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number (cycles << 16 | max seq).
    pub highest_sequence: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp (0: none yet).
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s.
    pub delay_since_last_sr: u32,
}

/// One SDES chunk: a source and its (type, value) items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    pub ssrc: u32,
    pub items: Vec<(u8, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    SenderReport {
        ssrc: u32,
        info: SenderInfo,
        reports: Vec<ReportBlock>,
    },
    ReceiverReport {
        ssrc: u32,
        reports: Vec<ReportBlock>,
    },
    SourceDescription(Vec<SdesChunk>),
    Bye {
        ssrcs: Vec<u32>,
        reason: Option<Vec<u8>>,
    },
    /// APP, XR, feedback... kept as received.
    Other {
        packet_type: u8,
        count: u8,
        body: Vec<u8>,
    },
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl ReportBlock {
    const LEN: usize = 24;

    fn parse(b: &[u8]) -> Self {
        let lost = be32(b, 4) & 0x00FF_FFFF;
        // Sign-extend the 24-bit cumulative count.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        ReportBlock {
            ssrc: be32(b, 0),
            fraction_lost: b[4],
            cumulative_lost,
            highest_sequence: be32(b, 8),
            jitter: be32(b, 12),
            last_sr: be32(b, 16),
            delay_since_last_sr: be32(b, 20),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0x00FF_FFFF;
        out.extend_from_slice(&((u32::from(self.fraction_lost) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&self.highest_sequence.to_be_bytes());
        out.extend_from_slice(&self.jitter.to_be_bytes());
        out.extend_from_slice(&self.last_sr.to_be_bytes());
        out.extend_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

impl RtcpPacket {
    /// Parses a compound packet (RFC 3550 §6.1) into its parts.
    pub fn parse_compound(bytes: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if rest.is_empty() {
            return Err(RtcpError::TooShort(0));
        }
        while !rest.is_empty() {
            if rest.len() < 4 {
                return Err(RtcpError::TooShort(rest.len()));
            }
            let version = rest[0] >> 6;
            if version != 2 {
                return Err(RtcpError::BadVersion(version));
            }
            let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
            if len > rest.len() {
                return Err(RtcpError::BadLength {
                    claimed: len,
                    available: rest.len(),
                });
            }
            let (pkt, tail) = rest.split_at(len);
            out.push(Self::parse_one(pkt)?);
            rest = tail;
        }
        Ok(out)
    }

    fn parse_one(pkt: &[u8]) -> Result<RtcpPacket, RtcpError> {
        let count = pkt[0] & 0x1F;
        let packet_type = pkt[1];
        let mut body = &pkt[4..];
        // Padding applies to the last packet of a compound (§6.4.1).
        if pkt[0] & 0x20 != 0 {
            let pad = usize::from(*body.last().unwrap_or(&0));
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::BadLength {
                    claimed: pad,
                    available: body.len(),
                });
            }
            body = &body[..body.len() - pad];
        }
        let short = || RtcpError::BodyTooShort { packet_type, count };
        let blocks = |b: &[u8]| -> Result<Vec<ReportBlock>, RtcpError> {
            let n = usize::from(count);
            if b.len() < n * ReportBlock::LEN {
                return Err(short());
            }
            Ok(b.chunks_exact(ReportBlock::LEN)
                .take(n)
                .map(ReportBlock::parse)
                .collect())
        };
        Ok(match packet_type {
            PT_SR => {
                if body.len() < 24 {
                    return Err(short());
                }
                let info = SenderInfo {
                    ntp_timestamp: (u64::from(be32(body, 4)) << 32) | u64::from(be32(body, 8)),
                    rtp_timestamp: be32(body, 12),
                    packet_count: be32(body, 16),
                    octet_count: be32(body, 20),
                };
                RtcpPacket::SenderReport {
                    ssrc: be32(body, 0),
                    info,
                    reports: blocks(&body[24..])?,
                }
            }
            PT_RR => {
                if body.len() < 4 {
                    return Err(short());
                }
                RtcpPacket::ReceiverReport {
                    ssrc: be32(body, 0),
                    reports: blocks(&body[4..])?,
                }
            }
            PT_SDES => RtcpPacket::SourceDescription(parse_sdes(body, count).ok_or_else(short)?),
            PT_BYE => {
                let n = usize::from(count);
                if body.len() < n * 4 {
                    return Err(short());
                }
                let ssrcs = (0..n).map(|i| be32(body, i * 4)).collect();
                let reason = body.get(n * 4).and_then(|&len| {
                    body.get(n * 4 + 1..n * 4 + 1 + usize::from(len))
                        .map(<[u8]>::to_vec)
                });
                RtcpPacket::Bye { ssrcs, reason }
            }
            _ => RtcpPacket::Other {
                packet_type,
                count,
                body: body.to_vec(),
            },
        })
    }

    /// Appends the packet to `out`, with its header and length field.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), RtcpError> {
        let start = out.len();
        let (count, packet_type) = match self {
            RtcpPacket::SenderReport { reports, .. } => (reports.len(), PT_SR),
            RtcpPacket::ReceiverReport { reports, .. } => (reports.len(), PT_RR),
            RtcpPacket::SourceDescription(chunks) => (chunks.len(), PT_SDES),
            RtcpPacket::Bye { ssrcs, .. } => (ssrcs.len(), PT_BYE),
            RtcpPacket::Other {
                packet_type, count, ..
            } => (usize::from(*count), *packet_type),
        };
        if count > 31 {
            return Err(RtcpError::TooMany(count));
        }
        out.extend_from_slice(&[0x80 | count as u8, packet_type, 0, 0]);
        match self {
            RtcpPacket::SenderReport {
                ssrc,
                info,
                reports,
            } => {
                out.extend_from_slice(&ssrc.to_be_bytes());
                out.extend_from_slice(&info.ntp_timestamp.to_be_bytes());
                out.extend_from_slice(&info.rtp_timestamp.to_be_bytes());
                out.extend_from_slice(&info.packet_count.to_be_bytes());
                out.extend_from_slice(&info.octet_count.to_be_bytes());
                reports.iter().for_each(|r| r.write(out));
            }
            RtcpPacket::ReceiverReport { ssrc, reports } => {
                out.extend_from_slice(&ssrc.to_be_bytes());
                reports.iter().for_each(|r| r.write(out));
            }
            RtcpPacket::SourceDescription(chunks) => {
                for c in chunks {
                    let chunk_start = out.len();
                    out.extend_from_slice(&c.ssrc.to_be_bytes());
                    for (kind, value) in &c.items {
                        let v = &value[..value.len().min(255)];
                        out.push(*kind);
                        out.push(v.len() as u8);
                        out.extend_from_slice(v);
                    }
                    // A null item ends the list; pad the chunk to 32 bits.
                    out.push(0);
                    while !(out.len() - chunk_start).is_multiple_of(4) {
                        out.push(0);
                    }
                }
            }
            RtcpPacket::Bye { ssrcs, reason } => {
                ssrcs
                    .iter()
                    .for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
                if let Some(r) = reason {
                    let r = &r[..r.len().min(255)];
                    out.push(r.len() as u8);
                    out.extend_from_slice(r);
                    while !(out.len() - start).is_multiple_of(4) {
                        out.push(0);
                    }
                }
            }
            RtcpPacket::Other { body, .. } => {
                out.extend_from_slice(body);
                while !(out.len() - start).is_multiple_of(4) {
                    out.push(0);
                }
            }
        }
        let words = (out.len() - start) / 4 - 1;
        let len = (words as u16).to_be_bytes();
        out[start + 2] = len[0];
        out[start + 3] = len[1];
        Ok(())
    }
}

fn parse_sdes(mut body: &[u8], count: u8) -> Option<Vec<SdesChunk>> {
    let mut chunks = Vec::new();
    for _ in 0..count {
        let ssrc = u32::from_be_bytes(body.get(..4)?.try_into().ok()?);
        let mut pos = 4;
        let mut items = Vec::new();
        loop {
            let kind = *body.get(pos)?;
            if kind == 0 {
                pos += 1;
                break;
            }
            let len = usize::from(*body.get(pos + 1)?);
            items.push((kind, body.get(pos + 2..pos + 2 + len)?.to_vec()));
            pos += 2 + len;
        }
        // Chunks start on 32-bit boundaries.
        pos = pos.div_ceil(4) * 4;
        chunks.push(SdesChunk { ssrc, items });
        body = body.get(pos..).unwrap_or(&[]);
    }
    Some(chunks)
}

/// Serialises packets into one compound datagram (RFC 3550 §6.1: the
/// caller puts the SR or RR first and includes an SDES CNAME).
pub fn build_compound(packets: &[RtcpPacket]) -> Result<Vec<u8>, RtcpError> {
    let mut out = Vec::new();
    for p in packets {
        p.write(&mut out)?;
    }
    Ok(out)
}

/// A wall-clock time as a 64-bit NTP timestamp (RFC 3550 §4).
pub fn ntp_timestamp(t: SystemTime) -> u64 {
    // Seconds from 1900-01-01 to the Unix epoch.
    const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() + NTP_UNIX_OFFSET;
    let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> ReportBlock {
        ReportBlock {
            ssrc: 0xAABBCCDD,
            fraction_lost: 64,
            cumulative_lost: -3,
            highest_sequence: 0x0001_0005,
            jitter: 42,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        }
    }

    #[test]
    fn sr_rr_sdes_bye_round_trip() {
        let packets = vec![
            RtcpPacket::SenderReport {
                ssrc: 1,
                info: SenderInfo {
                    ntp_timestamp: 0x0102_0304_0506_0708,
                    rtp_timestamp: 160,
                    packet_count: 10,
                    octet_count: 1600,
                },
                reports: vec![block()],
            },
            RtcpPacket::ReceiverReport {
                ssrc: 2,
                reports: vec![block(), block()],
            },
            RtcpPacket::SourceDescription(vec![SdesChunk {
                ssrc: 1,
                items: vec![(SDES_CNAME, b"asterism@host".to_vec())],
            }]),
            RtcpPacket::Bye {
                ssrcs: vec![1],
                reason: Some(b"bye".to_vec()),
            },
        ];
        let bytes = build_compound(&packets).expect("builds");
        assert_eq!(bytes.len() % 4, 0);
        // SR: header 4 + 24 sender info + 24 per block.
        assert_eq!(&bytes[..4], &[0x81, 200, 0, 12]);
        assert_eq!(RtcpPacket::parse_compound(&bytes), Ok(packets));
    }

    #[test]
    fn malformed_rtcp() {
        assert_eq!(
            RtcpPacket::parse_compound(&[0x80, 201]),
            Err(RtcpError::TooShort(2))
        );
        assert_eq!(
            RtcpPacket::parse_compound(&[0x40, 201, 0, 1, 0, 0, 0, 0]),
            Err(RtcpError::BadVersion(1))
        );
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x80, 201, 0, 9, 0, 0, 0, 0]),
            Err(RtcpError::BadLength { .. })
        ));
        // RR claiming one block with none present.
        assert!(matches!(
            RtcpPacket::parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 1]),
            Err(RtcpError::BodyTooShort { .. })
        ));
    }

    #[test]
    fn ntp_epoch() {
        assert_eq!(ntp_timestamp(UNIX_EPOCH) >> 32, 2_208_988_800);
        let half = UNIX_EPOCH + std::time::Duration::from_millis(500);
        assert_eq!(ntp_timestamp(half) & 0xFFFF_FFFF, 1 << 31);
    }
}
