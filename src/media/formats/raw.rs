//! Headerless formats: `.ulaw`/`.pcm` (µ-law bytes), `.alaw`, `.sln`
//! (16-bit little-endian samples), all 8 kHz mono (format_pcm, format_sln).

use std::io::{ErrorKind, Read, Seek, SeekFrom};

use super::{FormatError, FrameReader};
use crate::media::{AudioFrame, Codec, FRAME_SAMPLES};

pub struct RawReader<R> {
    inner: R,
    codec: Codec,
}

impl<R: Read> RawReader<R> {
    pub fn new(inner: R, codec: Codec) -> Self {
        RawReader { inner, codec }
    }

    /// Fills `buf` as far as the input goes; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, FormatError> {
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }
}

impl<R: Read + Send> FrameReader for RawReader<R> {
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError> {
        let width = if self.codec == Codec::Slin { 2 } else { 1 };
        let mut buf = [0u8; FRAME_SAMPLES * 2];
        let n = self.fill(&mut buf[..FRAME_SAMPLES * width])?;
        // A trailing odd byte of sln is not a sample.
        let n = n - n % width;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(match self.codec {
            Codec::Ulaw => AudioFrame::Ulaw(buf[..n].to_vec()),
            Codec::Alaw => AudioFrame::Alaw(buf[..n].to_vec()),
            Codec::Slin => AudioFrame::Slin(
                buf[..n]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            ),
        }))
    }

    fn codec(&self) -> Codec {
        self.codec
    }
}

/// A raw reader over a file: skipping seeks instead of reading.
pub struct SeekableRaw<R>(pub RawReader<R>);

impl<R: Read + Seek + Send> FrameReader for SeekableRaw<R> {
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError> {
        self.0.read_frame()
    }

    fn codec(&self) -> Codec {
        self.0.codec
    }

    fn skip(&mut self, samples: u64) -> Result<(), FormatError> {
        let width: u64 = if self.0.codec == Codec::Slin { 2 } else { 1 };
        let bytes = i64::try_from(samples.saturating_mul(width)).unwrap_or(i64::MAX);
        self.0.inner.seek(SeekFrom::Current(bytes))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_short_tail() {
        let data: Vec<u8> = (0..400u32).map(|i| i as u8).collect();
        let mut r = RawReader::new(&data[..], Codec::Ulaw);
        let sizes: Vec<usize> = std::iter::from_fn(|| r.read_frame().ok().flatten())
            .map(|f| f.samples())
            .collect();
        assert_eq!(sizes, [160, 160, 80]);

        let sln: Vec<u8> = (0..161i16)
            .flat_map(|s| s.to_le_bytes())
            .chain([7])
            .collect();
        let mut r = RawReader::new(&sln[..], Codec::Slin);
        let Ok(Some(AudioFrame::Slin(first))) = r.read_frame() else {
            panic!("slin frame");
        };
        assert_eq!(first[159], 159);
        let Ok(Some(AudioFrame::Slin(tail))) = r.read_frame() else {
            panic!("slin tail");
        };
        assert_eq!(tail, [160]);
        assert!(matches!(r.read_frame(), Ok(None)));
    }
}
