//! Sound file formats as Asterisk's format modules read and write them.
//!
//! Supported (8 kHz mono): `wav` (16-bit PCM, via `hound`), `pcm`
//! (raw µ-law), `alaw` (raw A-law), `sln` (raw 16-bit little-endian).
//! `gsm` and `wav49` are read and written through our own GSM 06.10 codec
//! ([`gsm610`]); they play as linear audio.

pub mod gsm;
pub mod gsm610;
mod raw;
mod wav;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

pub use raw::RawReader;
pub use wav::{WavReader, WavWriter, asterisk_spec};

use crate::media::{AudioFrame, Codec};

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("wav: {0}")]
    Wav(#[from] hound::Error),
    #[error(
        "wav file is {channels} channel(s), {sample_rate} Hz, {bits} bits; only 16-bit 8 kHz mono PCM is supported"
    )]
    UnsupportedWav {
        channels: u16,
        sample_rate: u32,
        bits: u16,
    },
    #[error("{0}")]
    Gsm(#[from] gsm::GsmFileError),
    #[error("format {0} is not supported (no pure-Rust decoder)")]
    Unsupported(&'static str),
}

/// The file formats, in the order Asterisk 20 tries them: format modules
/// load alphabetically and each registration goes to the head of the
/// list, so the last loaded is tried first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// GSM in a WAV container (format_wav_gsm).
    Wav49,
    Wav,
    Sln,
    Alaw,
    /// Raw µ-law; Asterisk calls the format `pcm`.
    Pcm,
    /// Raw GSM 06.10 (format_gsm).
    Gsm,
}

impl FileFormat {
    /// Every format in Asterisk's lookup order.
    pub const ALL: [FileFormat; 6] = [
        FileFormat::Wav49,
        FileFormat::Wav,
        FileFormat::Sln,
        FileFormat::Alaw,
        FileFormat::Pcm,
        FileFormat::Gsm,
    ];

    /// Asterisk's name (`core show file formats`).
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Wav49 => "wav49",
            FileFormat::Wav => "wav",
            FileFormat::Sln => "sln",
            FileFormat::Alaw => "alaw",
            FileFormat::Pcm => "pcm",
            FileFormat::Gsm => "gsm",
        }
    }

    /// File extensions, first the one written.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            // Asterisk writes wav49 as `.WAV` to tell it from plain wav.
            FileFormat::Wav49 => &["WAV", "wav49"],
            FileFormat::Wav => &["wav"],
            FileFormat::Sln => &["sln", "slin", "raw"],
            FileFormat::Alaw => &["alaw", "al", "alw"],
            FileFormat::Pcm => &["pcm", "ulaw", "ul", "mu", "ulw"],
            FileFormat::Gsm => &["gsm"],
        }
    }

    /// The format for an extension, as Record() and MixMonitor take it
    /// (`ulaw` → pcm, `wav49` → wav49, `WAV` → wav49).
    pub fn from_extension(ext: &str) -> Option<FileFormat> {
        FileFormat::ALL
            .into_iter()
            .find(|f| f.extensions().contains(&ext) || f.name() == ext)
    }

    /// Whether recordings can be written in this format.
    pub fn writable(self) -> bool {
        self.codec().is_some() || matches!(self, FileFormat::Gsm | FileFormat::Wav49)
    }

    /// Asterisk's media format of the file's frames, which Playback names
    /// as the channel's write format (`slin` for wav and sln).
    pub fn media_format_name(self) -> &'static str {
        match self {
            FileFormat::Wav49 | FileFormat::Gsm => "gsm",
            f => f.codec().map_or("slin", Codec::name),
        }
    }

    /// The G.711/linear codec the file holds; `None` for GSM, which is
    /// decoded to linear as it is read.
    pub fn codec(self) -> Option<Codec> {
        match self {
            FileFormat::Wav | FileFormat::Sln => Some(Codec::Slin),
            FileFormat::Alaw => Some(Codec::Alaw),
            FileFormat::Pcm => Some(Codec::Ulaw),
            FileFormat::Wav49 | FileFormat::Gsm => None,
        }
    }
}

/// Reads 20 ms frames from a sound file.
pub trait FrameReader: Send {
    /// The next frame (the last may be short), `None` at the end.
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError>;
    fn codec(&self) -> Codec;

    /// Moves `samples` forward (`ast_seekstream`); past the end is the
    /// end. Readers that can seek do; others read and drop.
    fn skip(&mut self, samples: u64) -> Result<(), FormatError> {
        let mut left = samples;
        while left > 0 {
            match self.read_frame()? {
                Some(f) => left = left.saturating_sub(f.samples() as u64),
                None => break,
            }
        }
        Ok(())
    }
}

/// Opens `path` as `format`.
pub fn open_reader(format: FileFormat, path: &Path) -> Result<Box<dyn FrameReader>, FormatError> {
    match format {
        FileFormat::Gsm => {
            let f = BufReader::new(File::open(path)?);
            return Ok(Box::new(gsm::GsmReader::gsm(f)));
        }
        FileFormat::Wav49 => {
            let f = BufReader::new(File::open(path)?);
            return Ok(Box::new(gsm::GsmReader::wav49(f)?));
        }
        _ => {}
    }
    let codec = format
        .codec()
        .ok_or(FormatError::Unsupported(format.name()))?;
    if format == FileFormat::Wav {
        return Ok(Box::new(WavReader::open(path)?));
    }
    let f = BufReader::new(File::open(path)?);
    Ok(Box::new(raw::SeekableRaw(RawReader::new(f, codec))))
}
