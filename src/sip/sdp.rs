//! SDP (RFC 4566) as SIP calls use it, and the offer/answer choice of
//! codecs (RFC 3264) for audio: PCMU, PCMA and telephone-event.

use std::net::IpAddr;

use crate::media::Codec;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP line {0} is not `x=value`")]
    BadLine(usize),
    #[error("SDP has no `{0}=` line")]
    Missing(char),
    #[error("bad `m=` line: {0}")]
    BadMedia(String),
    #[error("bad connection address: {0}")]
    BadConnection(String),
    #[error("SDP is not UTF-8")]
    NotText,
}

/// `a=sendrecv` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// What the answerer says back to an offer of `self` (RFC 3264 §6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

/// One `a=rtpmap:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
}

/// One `m=` section with its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: String,
    pub port: u16,
    pub proto: String,
    pub formats: Vec<String>,
    pub connection: Option<IpAddr>,
    pub rtpmaps: Vec<RtpMap>,
    pub ptime: Option<u32>,
    pub direction: Direction,
}

impl Media {
    /// The encoding a payload type stands for: its rtpmap, else the
    /// static RFC 3551 assignment.
    pub fn encoding(&self, pt: u8) -> Option<(String, u32)> {
        if let Some(m) = self.rtpmaps.iter().find(|m| m.payload_type == pt) {
            return Some((m.encoding.to_ascii_uppercase(), m.clock_rate));
        }
        match pt {
            0 => Some(("PCMU".into(), 8000)),
            8 => Some(("PCMA".into(), 8000)),
            3 => Some(("GSM".into(), 8000)),
            _ => None,
        }
    }

    fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    pub origin_user: String,
    pub session_id: u64,
    pub session_version: u64,
    pub origin_addr: String,
    pub session_name: String,
    pub connection: Option<IpAddr>,
    pub media: Vec<Media>,
}

fn parse_connection(v: &str) -> Result<IpAddr, SdpError> {
    let mut parts = v.split_whitespace();
    let (_net, _kind, addr) = (parts.next(), parts.next(), parts.next());
    let addr = addr.ok_or_else(|| SdpError::BadConnection(v.to_string()))?;
    // A multicast TTL suffix (`/127`) is not ours to use.
    let addr = addr.split('/').next().unwrap_or(addr);
    addr.parse()
        .map_err(|_| SdpError::BadConnection(v.to_string()))
}

impl Sdp {
    pub fn parse(body: &[u8]) -> Result<Sdp, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError::NotText)?;
        let mut sdp = Sdp {
            origin_user: String::new(),
            session_id: 0,
            session_version: 0,
            origin_addr: String::new(),
            session_name: String::new(),
            connection: None,
            media: Vec::new(),
        };
        let mut saw_version = false;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let (kind, value) = match line.split_once('=') {
                Some((k, v)) if k.len() == 1 => (k.as_bytes()[0] as char, v),
                _ => return Err(SdpError::BadLine(i + 1)),
            };
            match kind {
                'v' => saw_version = true,
                'o' => {
                    let f: Vec<&str> = value.split_whitespace().collect();
                    sdp.origin_user = f.first().unwrap_or(&"-").to_string();
                    sdp.session_id = f.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
                    sdp.session_version = f.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                    sdp.origin_addr = f.get(5).unwrap_or(&"").to_string();
                }
                's' => sdp.session_name = value.to_string(),
                'c' => {
                    let addr = parse_connection(value)?;
                    match sdp.media.last_mut() {
                        Some(m) => m.connection = Some(addr),
                        None => sdp.connection = Some(addr),
                    }
                }
                'm' => {
                    let f: Vec<&str> = value.split_whitespace().collect();
                    if f.len() < 3 {
                        return Err(SdpError::BadMedia(value.to_string()));
                    }
                    let port = f[1]
                        .split('/')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .ok_or_else(|| SdpError::BadMedia(value.to_string()))?;
                    sdp.media.push(Media {
                        kind: f[0].to_string(),
                        port,
                        proto: f[2].to_string(),
                        formats: f[3..].iter().map(|s| s.to_string()).collect(),
                        connection: None,
                        rtpmaps: Vec::new(),
                        ptime: None,
                        direction: Direction::SendRecv,
                    });
                }
                'a' => {
                    let Some(m) = sdp.media.last_mut() else {
                        continue;
                    };
                    let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                    match name {
                        "rtpmap" => {
                            let (pt, enc) = arg.split_once(' ').unwrap_or((arg, ""));
                            let mut e = enc.split('/');
                            if let (Ok(pt), Some(name)) = (pt.parse(), e.next()) {
                                m.rtpmaps.push(RtpMap {
                                    payload_type: pt,
                                    encoding: name.to_string(),
                                    clock_rate: e
                                        .next()
                                        .and_then(|r| r.parse().ok())
                                        .unwrap_or(8000),
                                });
                            }
                        }
                        "ptime" => m.ptime = arg.trim().parse().ok(),
                        "sendrecv" => m.direction = Direction::SendRecv,
                        "sendonly" => m.direction = Direction::SendOnly,
                        "recvonly" => m.direction = Direction::RecvOnly,
                        "inactive" => m.direction = Direction::Inactive,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        if !saw_version {
            return Err(SdpError::Missing('v'));
        }
        Ok(sdp)
    }

    /// The first audio stream.
    pub fn audio(&self) -> Option<&Media> {
        self.media.iter().find(|m| m.kind == "audio")
    }

    /// Where the first audio stream wants RTP; `None` for a held
    /// (0.0.0.0) or missing address.
    pub fn audio_target(&self) -> Option<std::net::SocketAddr> {
        let m = self.audio()?;
        let ip = m.connection.or(self.connection)?;
        if ip.is_unspecified() || m.port == 0 {
            return None;
        }
        Some(std::net::SocketAddr::new(ip, m.port))
    }
}

/// An Asterisk format name (`allow=ulaw`) as a codec we carry.
pub fn codec_by_name(name: &str) -> Option<Codec> {
    match name.to_ascii_lowercase().as_str() {
        "ulaw" => Some(Codec::Ulaw),
        "alaw" => Some(Codec::Alaw),
        _ => None,
    }
}

fn codec_of(encoding: &str, rate: u32) -> Option<Codec> {
    match (encoding, rate) {
        ("PCMU", 8000) => Some(Codec::Ulaw),
        ("PCMA", 8000) => Some(Codec::Alaw),
        _ => None,
    }
}

fn encoding_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Ulaw => "PCMU",
        Codec::Alaw => "PCMA",
        Codec::Slin => "L16",
    }
}

/// What an offer and our allowed codecs agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Joint codecs with the payload types the offer used, first = used.
    pub codecs: Vec<(Codec, u8)>,
    /// The offer's telephone-event payload type, if both sides do RFC 4733.
    pub dtmf_pt: Option<u8>,
    pub direction: Direction,
    pub remote: Option<std::net::SocketAddr>,
}

/// Which side's preference orders the joint codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    /// The offerer's order (pjsip's default `incoming_offer` preference).
    Offer,
    /// Our `allow=` order (chan_sip).
    Local,
}

/// Chooses codecs for an answer to `offer` from `allowed` (in `allow=`
/// order). `None`: nothing in common.
pub fn negotiate(
    offer: &Sdp,
    allowed: &[Codec],
    prefer: Prefer,
    rfc4733: bool,
) -> Option<Negotiated> {
    let m = offer.audio()?;
    let offered: Vec<(Codec, u8)> = m
        .payload_types()
        .filter_map(|pt| {
            let (enc, rate) = m.encoding(pt)?;
            Some((codec_of(&enc, rate)?, pt))
        })
        .collect();
    let mut codecs: Vec<(Codec, u8)> = match prefer {
        Prefer::Offer => offered
            .iter()
            .copied()
            .filter(|(c, _)| allowed.contains(c))
            .collect(),
        Prefer::Local => allowed
            .iter()
            .filter_map(|c| offered.iter().find(|(o, _)| o == c).copied())
            .collect(),
    };
    codecs.dedup_by_key(|(c, _)| *c);
    if codecs.is_empty() {
        return None;
    }
    let dtmf_pt = if rfc4733 {
        m.payload_types().find(|pt| {
            m.encoding(*pt)
                .is_some_and(|(e, r)| e == "TELEPHONE-EVENT" && r == 8000)
        })
    } else {
        None
    };
    Some(Negotiated {
        codecs,
        dtmf_pt,
        direction: m.direction,
        remote: offer.audio_target(),
    })
}

/// The session-level lines that differ between chan_sip and chan_pjsip.
#[derive(Debug, Clone)]
pub struct Origin {
    pub user: &'static str,
    pub session_id: u64,
    pub version: u64,
    pub session_name: String,
}

/// Writes our SDP (offer or answer) the way Asterisk lays it out.
pub fn build(
    origin: &Origin,
    addr: IpAddr,
    port: u16,
    codecs: &[(Codec, u8)],
    dtmf_pt: Option<u8>,
    direction: Direction,
) -> Vec<u8> {
    let ip = match addr {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let mut s = format!(
        "v=0\r\no={} {} {} IN {ip} {addr}\r\ns={}\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP",
        origin.user, origin.session_id, origin.version, origin.session_name
    );
    for (_, pt) in codecs {
        s.push_str(&format!(" {pt}"));
    }
    if let Some(pt) = dtmf_pt {
        s.push_str(&format!(" {pt}"));
    }
    s.push_str("\r\n");
    for (c, pt) in codecs {
        s.push_str(&format!("a=rtpmap:{pt} {}/8000\r\n", encoding_name(*c)));
    }
    if let Some(pt) = dtmf_pt {
        s.push_str(&format!(
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        ));
    }
    s.push_str(&format!(
        "a=ptime:20\r\na=maxptime:140\r\na={}\r\n",
        direction.as_str()
    ));
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIPP_OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

    #[test]
    fn parses_the_sipp_offer() {
        let sdp = Sdp::parse(SIPP_OFFER.as_bytes()).unwrap();
        assert_eq!(sdp.session_id, 53655765);
        assert_eq!(sdp.session_version, 2353687637);
        assert_eq!(sdp.audio_target(), Some("127.0.0.1:16000".parse().unwrap()));
        let m = sdp.audio().unwrap();
        assert_eq!(m.formats, ["0", "101"]);
        assert_eq!(m.encoding(101), Some(("TELEPHONE-EVENT".into(), 8000)));
        assert_eq!(m.direction, Direction::SendRecv);
    }

    #[test]
    fn answer_matches_the_reference_layout() {
        let sdp = Sdp::parse(SIPP_OFFER.as_bytes()).unwrap();
        let n = negotiate(&sdp, &[Codec::Ulaw, Codec::Alaw], Prefer::Local, true).unwrap();
        assert_eq!(n.codecs, [(Codec::Ulaw, 0)]);
        assert_eq!(n.dtmf_pt, Some(101));
        let origin = Origin {
            user: "root",
            session_id: 397801903,
            version: 397801903,
            session_name: "Asterisk PBX 20.20.1".into(),
        };
        let body = build(
            &origin,
            "127.0.0.1".parse().unwrap(),
            15394,
            &n.codecs,
            n.dtmf_pt,
            n.direction.answer(),
        );
        // The body of chan_sip's 200 OK in transcripts/01_call600.sip.log.
        let reference = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/asterisk-20.20.1/transcripts/01_call600.sip.log"
        ))
        .unwrap();
        let expected = "v=0\r\no=root 397801903 397801903 IN IP4 127.0.0.1\r\ns=Asterisk PBX 20.20.1\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 15394 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:140\r\na=sendrecv\r\n";
        assert_eq!(String::from_utf8(body).unwrap(), expected);
        assert!(reference.contains(expected.trim_end()));
    }

    #[test]
    fn preference_orders_joint_codecs() {
        let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 3\r\nc=IN IP4 10.0.0.2\r\na=sendonly\r\n";
        let sdp = Sdp::parse(offer.as_bytes()).unwrap();
        assert_eq!(sdp.audio_target(), Some("10.0.0.2:4000".parse().unwrap()));
        let allowed = [Codec::Ulaw, Codec::Alaw];
        let local = negotiate(&sdp, &allowed, Prefer::Local, true).unwrap();
        assert_eq!(local.codecs, [(Codec::Ulaw, 0), (Codec::Alaw, 8)]);
        assert_eq!(local.dtmf_pt, None);
        assert_eq!(local.direction.answer(), Direction::RecvOnly);
        let offer_order = negotiate(&sdp, &allowed, Prefer::Offer, true).unwrap();
        assert_eq!(offer_order.codecs, [(Codec::Alaw, 8), (Codec::Ulaw, 0)]);
        assert!(negotiate(&sdp, &[], Prefer::Offer, true).is_none());
    }

    #[test]
    fn hold_address_and_garbage() {
        let held = "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(Sdp::parse(held.as_bytes()).unwrap().audio_target(), None);
        assert!(matches!(Sdp::parse(b"nonsense"), Err(SdpError::BadLine(1))));
        assert!(matches!(
            Sdp::parse(b"v=0\r\nm=audio\r\n"),
            Err(SdpError::BadMedia(_))
        ));
        assert!(matches!(
            Sdp::parse(b"s=x\r\n"),
            Err(SdpError::Missing('v'))
        ));
        assert!(Sdp::parse(b"v=0\r\nc=IN IP4 nothere\r\n").is_err());
    }
}
