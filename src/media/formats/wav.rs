//! `.wav`: 16-bit signed PCM, 8 kHz, mono (format_wav).
//!
//! Asterisk writes a canonical 44-byte header: RIFF, a 16-byte `fmt `
//! chunk (PCM, 1 channel, 8000 Hz, 16000 bytes/s, block align 2, 16
//! bits) and `data`, with both sizes patched when the file is closed.
//! `hound` writes exactly that layout for this spec (a test checks it
//! byte by byte), so files we record read back in Asterisk and in
//! anything else.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use super::{FormatError, FrameReader};
use crate::media::{AudioFrame, Codec, FRAME_SAMPLES, SAMPLE_RATE};

/// The only spec Asterisk's `wav` format accepts and writes.
pub fn asterisk_spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

pub struct WavReader {
    inner: hound::WavReader<BufReader<File>>,
    /// Samples format_wav plays (see [`playable_samples`]).
    playable: u32,
    /// Samples already read (or skipped).
    position: u32,
}

impl WavReader {
    /// Opens a file, refusing anything but 16-bit 8 kHz mono PCM as
    /// format_wav does.
    pub fn open(path: &Path) -> Result<Self, FormatError> {
        let inner = hound::WavReader::open(path)?;
        let spec = inner.spec();
        if spec != asterisk_spec() {
            return Err(FormatError::UnsupportedWav {
                channels: spec.channels,
                sample_rate: spec.sample_rate,
                bits: spec.bits_per_sample,
            });
        }
        let mut head = Vec::with_capacity(HEADER_SCAN);
        File::open(path)?
            .take(HEADER_SCAN as u64)
            .read_to_end(&mut head)?;
        let playable = playable_samples(&head)
            .unwrap_or(inner.len())
            .min(inner.len());
        Ok(WavReader {
            inner,
            playable,
            position: 0,
        })
    }

    /// Opens a file to read every sample, as a write stream holds what it
    /// wrote (appending to a recording, a prepended recording).
    pub fn open_whole(path: &Path) -> Result<Self, FormatError> {
        let mut r = Self::open(path)?;
        r.playable = r.inner.len();
        Ok(r)
    }

    /// Samples in the file.
    pub fn len(&self) -> u32 {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }
}

/// How far into a file the chunk scan looks for `data`.
const HEADER_SCAN: usize = 4096;

/// The samples format_wav plays of a file: it takes the `data` chunk's
/// size as the offset where reading stops, though offsets count from the
/// file's start, so the last header-length bytes (44 in a canonical file)
/// are never played. `None` when the header cannot be walked.
fn playable_samples(head: &[u8]) -> Option<u32> {
    let le32 = |at: usize| -> Option<u32> {
        let b = head.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut at = 12;
    loop {
        let id = head.get(at..at + 4)?;
        let size = le32(at + 4)?;
        let body = at + 8;
        if id == b"data" {
            let end = u64::from(size);
            let start = body as u64;
            return Some(u32::try_from(end.saturating_sub(start) / 2).unwrap_or(u32::MAX));
        }
        at = body.checked_add(usize::try_from(size).ok()?)?;
    }
}

impl FrameReader for WavReader {
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError> {
        let left = self.playable.saturating_sub(self.position) as usize;
        let mut out = Vec::with_capacity(FRAME_SAMPLES);
        for s in self.inner.samples::<i16>().take(FRAME_SAMPLES.min(left)) {
            out.push(s?);
        }
        self.position += out.len() as u32;
        Ok((!out.is_empty()).then_some(AudioFrame::Slin(out)))
    }

    fn codec(&self) -> Codec {
        Codec::Slin
    }

    fn skip(&mut self, samples: u64) -> Result<(), FormatError> {
        let len = self.inner.len();
        let target = u32::try_from(u64::from(self.position) + samples)
            .unwrap_or(len)
            .min(len);
        self.inner.seek(target)?;
        self.position = target;
        Ok(())
    }
}

/// Writes Asterisk-layout wav; [`WavWriter::finish`] patches the sizes.
pub struct WavWriter {
    inner: hound::WavWriter<BufWriter<File>>,
}

impl WavWriter {
    /// Writes into `file` from its start.
    pub fn new(file: File) -> Result<Self, FormatError> {
        Ok(WavWriter {
            inner: hound::WavWriter::new(BufWriter::new(file), asterisk_spec())?,
        })
    }

    pub fn write_samples(&mut self, samples: &[i16]) -> Result<(), FormatError> {
        let mut w = self.inner.get_i16_writer(samples.len() as u32);
        for &s in samples {
            w.write_sample(s);
        }
        w.flush()?;
        Ok(())
    }

    /// Writes what is buffered and patches the header sizes to count it,
    /// so the file is whole up to here if the process dies.
    pub fn flush(&mut self) -> Result<(), FormatError> {
        self.inner.flush()?;
        Ok(())
    }

    /// Patches the header sizes and flushes.
    pub fn finish(self) -> Result<(), FormatError> {
        self.inner.finalize()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_asterisk_header_and_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let mut w = WavWriter::new(File::create(&path).expect("create")).expect("writer");
        let samples: Vec<i16> = (0..400).map(|i| (i * 37 - 7000) as i16).collect();
        w.write_samples(&samples).expect("write");
        w.finish().expect("finish");

        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes.len(), 44 + 800);
        let mut header = Vec::new();
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&(36u32 + 800).to_le_bytes());
        header.extend_from_slice(b"WAVEfmt ");
        header.extend_from_slice(&16u32.to_le_bytes());
        header.extend_from_slice(&1u16.to_le_bytes()); // PCM
        header.extend_from_slice(&1u16.to_le_bytes()); // mono
        header.extend_from_slice(&8000u32.to_le_bytes());
        header.extend_from_slice(&16000u32.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&16u16.to_le_bytes());
        header.extend_from_slice(b"data");
        header.extend_from_slice(&800u32.to_le_bytes());
        assert_eq!(&bytes[..44], &header[..]);

        let mut r = WavReader::open(&path).expect("open");
        assert_eq!(r.len(), 400);
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(f) = r.read_frame().expect("frame") {
            sizes.push(f.samples());
            got.extend(f.to_slin());
        }
        // format_wav stops reading at the data size taken as an offset:
        // the last 44 bytes (22 samples) are not played.
        assert_eq!(sizes, [160, 160, 58]);
        assert_eq!(got, samples[..378]);
    }

    #[test]
    fn rejects_other_specs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.wav");
        let spec = hound::WavSpec {
            channels: 2,
            ..asterisk_spec()
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        w.write_sample(0i16).expect("sample");
        w.write_sample(0i16).expect("sample");
        w.finalize().expect("finalize");
        assert!(matches!(
            WavReader::open(&path),
            Err(FormatError::UnsupportedWav { channels: 2, .. })
        ));
        std::fs::write(dir.path().join("bad.wav"), b"not a wav").expect("write");
        assert!(matches!(
            WavReader::open(&dir.path().join("bad.wav")),
            Err(FormatError::Wav(_))
        ));
    }
}
