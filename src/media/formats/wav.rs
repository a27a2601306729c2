//! `.wav`: 16-bit signed PCM, 8 kHz, mono (format_wav).
//!
//! Asterisk writes a canonical 44-byte header: RIFF, a 16-byte `fmt `
//! chunk (PCM, 1 channel, 8000 Hz, 16000 bytes/s, block align 2, 16
//! bits) and `data`, with both sizes patched when the file is closed.
//! `hound` writes exactly that layout for this spec (a test checks it
//! byte by byte), so files we record read back in Asterisk and in
//! anything else.

use std::fs::File;
use std::io::{BufReader, BufWriter};
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
        Ok(WavReader { inner })
    }

    /// Samples in the file.
    pub fn len(&self) -> u32 {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }
}

impl FrameReader for WavReader {
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError> {
        let mut out = Vec::with_capacity(FRAME_SAMPLES);
        for s in self.inner.samples::<i16>().take(FRAME_SAMPLES) {
            out.push(s?);
        }
        Ok((!out.is_empty()).then_some(AudioFrame::Slin(out)))
    }

    fn codec(&self) -> Codec {
        Codec::Slin
    }

    fn skip(&mut self, samples: u64) -> Result<(), FormatError> {
        let len = self.inner.len();
        let target = u64::from(len - self.inner.samples::<i16>().len() as u32) + samples;
        self.inner
            .seek(u32::try_from(target).unwrap_or(len).min(len))?;
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
        assert_eq!(sizes, [160, 160, 80]);
        assert_eq!(got, samples);
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
