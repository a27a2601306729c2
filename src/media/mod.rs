//! The media engine's foundations: G.711, RTP/RTCP and RFC 4733 events,
//! the shared 20 ms media clock, sound files as Asterisk finds and reads
//! them, indications tones, and a conference mixer.
//!
//! Everything here is sans-IO where it can be: sessions, generators and
//! the clock take `now` and bytes and hand back bytes, so they are tested
//! without sockets or sleeping. Only [`clock::spawn`] and the file readers
//! and writers touch the outside world.
//!
//! All audio is 8 kHz narrowband, the rate Asterisk's core sounds and
//! G.711 use; a frame is 20 ms, 160 samples.

pub mod clock;
pub mod file;
pub mod formats;
pub mod g711;
pub mod mix;
pub mod rtp;
pub mod say;
pub mod saydate;
pub mod tones;

/// Samples per second of every stream this module handles.
pub const SAMPLE_RATE: u32 = 8000;
/// Duration of one frame in milliseconds (Asterisk's default packetisation).
pub const FRAME_MS: u32 = 20;
/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

/// One 20 ms frame of signed linear audio.
pub type SlinFrame = [i16; FRAME_SAMPLES];

/// The audio encodings frames travel in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law (RTP payload type 0, PCMU).
    Ulaw,
    /// G.711 A-law (RTP payload type 8, PCMA).
    Alaw,
    /// 16-bit signed linear, 8 kHz (Asterisk's `slin`).
    Slin,
}

impl Codec {
    /// Asterisk's name for the format (`core show codecs`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Ulaw => "ulaw",
            Codec::Alaw => "alaw",
            Codec::Slin => "slin",
        }
    }

    /// The static RTP payload type (RFC 3551 §6), if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Ulaw => Some(0),
            Codec::Alaw => Some(8),
            Codec::Slin => None,
        }
    }
}

/// A frame of audio in one encoding; a file's last frame may be short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioFrame {
    Ulaw(Vec<u8>),
    Alaw(Vec<u8>),
    Slin(Vec<i16>),
}

impl AudioFrame {
    pub fn codec(&self) -> Codec {
        match self {
            AudioFrame::Ulaw(_) => Codec::Ulaw,
            AudioFrame::Alaw(_) => Codec::Alaw,
            AudioFrame::Slin(_) => Codec::Slin,
        }
    }

    /// Number of samples (= duration in 1/8000 s).
    pub fn samples(&self) -> usize {
        match self {
            AudioFrame::Ulaw(b) | AudioFrame::Alaw(b) => b.len(),
            AudioFrame::Slin(s) => s.len(),
        }
    }

    /// The frame as signed linear.
    pub fn to_slin(&self) -> Vec<i16> {
        match self {
            AudioFrame::Slin(s) => s.clone(),
            AudioFrame::Ulaw(b) => b.iter().map(|&c| g711::ulaw_to_linear(c)).collect(),
            AudioFrame::Alaw(b) => b.iter().map(|&c| g711::alaw_to_linear(c)).collect(),
        }
    }

    /// The frame in `codec`; G.711 to G.711 goes through the direct tables.
    pub fn to_codec(&self, codec: Codec) -> AudioFrame {
        match (self, codec) {
            (f, c) if f.codec() == c => f.clone(),
            (AudioFrame::Ulaw(b), Codec::Alaw) => {
                AudioFrame::Alaw(b.iter().map(|&c| g711::ulaw_to_alaw(c)).collect())
            }
            (AudioFrame::Alaw(b), Codec::Ulaw) => {
                AudioFrame::Ulaw(b.iter().map(|&c| g711::alaw_to_ulaw(c)).collect())
            }
            (f, Codec::Slin) => AudioFrame::Slin(f.to_slin()),
            (f, Codec::Ulaw) => {
                AudioFrame::Ulaw(f.to_slin().into_iter().map(g711::linear_to_ulaw).collect())
            }
            (f, Codec::Alaw) => {
                AudioFrame::Alaw(f.to_slin().into_iter().map(g711::linear_to_alaw).collect())
            }
        }
    }

    /// The encoded bytes as they go into an RTP payload or a raw file
    /// (signed linear as little-endian, Asterisk's `.sln` layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            AudioFrame::Ulaw(b) | AudioFrame::Alaw(b) => b.clone(),
            AudioFrame::Slin(s) => s.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_conversions() {
        let slin = AudioFrame::Slin(vec![0, 1000, -1000, 32000]);
        let u = slin.to_codec(Codec::Ulaw);
        assert_eq!(u.codec(), Codec::Ulaw);
        assert_eq!(u.samples(), 4);
        let a = u.to_codec(Codec::Alaw);
        assert_eq!(a.to_codec(Codec::Ulaw).samples(), 4);
        let back = u.to_slin();
        assert_eq!(back[0], 0);
        assert!((back[1] - 1000).abs() < 64);
        assert_eq!(slin.to_bytes()[2..4], 1000i16.to_le_bytes());
        assert_eq!(Codec::Alaw.static_payload_type(), Some(8));
    }
}
