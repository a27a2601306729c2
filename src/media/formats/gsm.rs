//! `.gsm` (raw GSM 06.10 frames, format_gsm) and `.WAV` (wav49: GSM in a
//! Microsoft WAVE file, format_wav_gsm), as Asterisk writes them.
//!
//! A `.gsm` file is 33-byte frames back to back, no header. A wav49 file
//! is a 60-byte header (RIFF, a 20-byte `fmt ` chunk with format tag 49,
//! 8000 Hz, 1625 bytes/s, block align 65, 2 bits per sample, 2 extra
//! bytes saying 320 samples per block; a `fact` chunk with the sample
//! count; `data`) and 65-byte blocks of two frames each. Asterisk fills
//! in the three sizes when the file is closed (RIFF size = 52 + data
//! bytes, samples = blocks × 320) and drops an unpaired last frame.
//!
//! Encoding is from 16-bit linear: 160 samples make a frame, and a short
//! remainder at the end is dropped, as Asterisk's slin-to-gsm translator
//! only ever emits whole frames.

use std::io::{Read, Seek, SeekFrom, Write};

use super::{FormatError, FrameReader};
use crate::core::logger::{Deferred, Site};
use crate::media::{AudioFrame, Codec};

use super::gsm610::{
    Decoder, Encoder, FRAME_BYTES, FRAME_SAMPLES, Frame, WAV49_BLOCK_BYTES, pack_wav49,
    unpack_wav49,
};

/// Bytes before the first block of a wav49 file.
pub const WAV49_HEADER_BYTES: usize = 60;

/// Collects samples into whole frames and encodes them.
#[derive(Default)]
struct FrameEncoder {
    pending: Vec<i16>,
    encoder: Encoder,
}

impl FrameEncoder {
    fn push(
        &mut self,
        samples: &[i16],
        mut out: impl FnMut(Frame) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.pending.extend_from_slice(samples);
        let whole = self.pending.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        for chunk in self.pending[..whole].chunks(FRAME_SAMPLES) {
            out(self.encoder.encode(chunk))?;
        }
        self.pending.drain(..whole);
        Ok(())
    }
}

/// Writes a `.gsm` file.
pub struct GsmWriter<W: Write> {
    out: W,
    enc: FrameEncoder,
}

impl<W: Write> GsmWriter<W> {
    pub fn new(out: W) -> Self {
        GsmWriter {
            out,
            enc: FrameEncoder::default(),
        }
    }

    pub fn write_samples(&mut self, samples: &[i16]) -> std::io::Result<()> {
        let out = &mut self.out;
        self.enc.push(samples, |f| out.write_all(&f.to_bytes()))
    }

    /// Flushes and hands back the writer (a short last frame is dropped).
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The wav49 header for `data_bytes` bytes of blocks.
pub fn wav49_header(data_bytes: u32) -> [u8; WAV49_HEADER_BYTES] {
    let mut h = [0u8; WAV49_HEADER_BYTES];
    let samples = data_bytes / WAV49_BLOCK_BYTES as u32 * 2 * FRAME_SAMPLES as u32;
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"RIFF");
    put(
        4,
        &(WAV49_HEADER_BYTES as u32 - 8 + data_bytes).to_le_bytes(),
    );
    put(8, b"WAVE");
    put(12, b"fmt ");
    put(16, &20u32.to_le_bytes());
    put(20, &49u16.to_le_bytes());
    put(22, &1u16.to_le_bytes());
    put(24, &8000u32.to_le_bytes());
    put(28, &1625u32.to_le_bytes());
    // Asterisk writes the block align as a 32-bit value: 65, then 0.
    put(32, &(WAV49_BLOCK_BYTES as u32).to_le_bytes());
    put(36, &2u16.to_le_bytes());
    put(38, &(2 * FRAME_SAMPLES as u16).to_le_bytes());
    put(40, b"fact");
    put(44, &4u32.to_le_bytes());
    put(48, &samples.to_le_bytes());
    put(52, b"data");
    put(56, &data_bytes.to_le_bytes());
    h
}

/// Writes a wav49 (`.WAV`) file.
pub struct Wav49Writer<W: Write + Seek> {
    out: W,
    enc: FrameEncoder,
    half: Option<Frame>,
    data_bytes: u32,
}

impl<W: Write + Seek> Wav49Writer<W> {
    /// Writes the header (sizes zero until [`Wav49Writer::finish`]).
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(&wav49_header(0))?;
        Ok(Wav49Writer {
            out,
            enc: FrameEncoder::default(),
            half: None,
            data_bytes: 0,
        })
    }

    pub fn write_samples(&mut self, samples: &[i16]) -> std::io::Result<()> {
        let (out, half, data_bytes) = (&mut self.out, &mut self.half, &mut self.data_bytes);
        self.enc.push(samples, |f| match half.take() {
            None => {
                *half = Some(f);
                Ok(())
            }
            Some(first) => {
                *data_bytes += WAV49_BLOCK_BYTES as u32;
                out.write_all(&pack_wav49(&first, &f))
            }
        })
    }

    /// Patches the sizes into the header and hands back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&wav49_header(self.data_bytes))?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What is wrong with a GSM file; a wav49 header's fault is
/// format_wav_gsm's warning, with its site.
#[derive(Debug, thiserror::Error)]
pub enum GsmFileError {
    #[error("frame {0} has no GSM signature")]
    BadFrame(usize),
    #[error("{}", .0.message)]
    BadWav49(Deferred),
}

/// Checks a wav49 header field by field, in the order format_wav_gsm's
/// `check_header` reads them, so a short or wrong header gets the warning
/// Asterisk logs (the three sizes are not checked: Asterisk ignores them,
/// and a file cut short by a crash still plays).
pub fn check_wav49_header(h: &[u8]) -> Result<(), GsmFileError> {
    // Lines of check_header's warnings in Asterisk 20.20.1.
    let bad = |line, message: &str| {
        Err(GsmFileError::BadWav49(Deferred::new(
            &Site {
                file: "format_wav_gsm.c",
                line,
                function: "check_header",
            },
            message,
        )))
    };
    let read = |at: usize, n: usize| h.get(at..at + n);
    // C prints the little-endian fields as signed ints.
    let u16_at = |b: &[u8]| i16::from_le_bytes([b[0], b[1]]);
    let u32_at = |b: &[u8]| i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let Some(kind) = read(0, 4) else {
        return bad(99, "Read failed (type)");
    };
    if read(4, 4).is_none() {
        return bad(103, "Read failed (size)");
    }
    let Some(formtype) = read(8, 4) else {
        return bad(110, "Read failed (formtype)");
    };
    if kind != b"RIFF" {
        return bad(114, "Does not begin with RIFF");
    }
    if formtype != b"WAVE" {
        return bad(118, "Does not contain WAVE");
    }
    let Some(fmt) = read(12, 4) else {
        return bad(122, "Read failed (fmt)");
    };
    if fmt != b"fmt " {
        return bad(126, "Does not say fmt");
    }
    let Some(hsize) = read(16, 4).map(u32_at) else {
        return bad(130, "Read failed (formtype)");
    };
    if hsize != 20 {
        return bad(134, &format!("Unexpected header size {hsize}"));
    }
    let Some(format) = read(20, 2).map(u16_at) else {
        return bad(138, "Read failed (format)");
    };
    if format != 49 {
        return bad(142, &format!("Not a GSM file {format}"));
    }
    let Some(chans) = read(22, 2).map(u16_at) else {
        return bad(146, "Read failed (format)");
    };
    if chans != 1 {
        return bad(150, &format!("Not in mono {chans}"));
    }
    let Some(freq) = read(24, 4).map(u32_at) else {
        return bad(154, "Read failed (freq)");
    };
    if freq != 8000 {
        return bad(158, &format!("Unexpected frequency {freq}"));
    }
    for (at, line, what) in [(28, 163, "X_1"), (32, 168, "X_2/X_3"), (36, 173, "Y_1")] {
        if read(at, 4).is_none() {
            return bad(line, &format!("Read failed ({what})"));
        }
    }
    let Some(fact) = read(40, 4) else {
        return bad(178, "Read failed (fact)");
    };
    if fact != b"fact" {
        return bad(182, "Does not say fact");
    }
    if read(44, 4).is_none() {
        return bad(187, "Read failed (fact header)");
    }
    if read(48, 4).is_none() {
        return bad(191, "Read failed (fact value)");
    }
    let Some(data) = read(52, 4) else {
        return bad(196, "Read failed (data)");
    };
    if data != b"data" {
        return bad(200, "Does not say data");
    }
    if read(56, 4).is_none() {
        return bad(205, "Read failed (data)");
    }
    Ok(())
}

/// Plays a `.gsm` or wav49 file as 20 ms frames of linear audio, read as
/// it goes.
pub struct GsmReader<R> {
    inner: R,
    wav49: bool,
    /// The second frame of a wav49 block, not yet played.
    second: Option<Frame>,
    decoder: Decoder,
    frames_read: usize,
}

/// Reads as much of `buf` as the input has; returns the bytes read.
fn fill(inner: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match inner.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> GsmReader<R> {
    /// A `.gsm` file: frames from the first byte.
    pub fn gsm(inner: R) -> Self {
        GsmReader {
            inner,
            wav49: false,
            second: None,
            decoder: Decoder::new(),
            frames_read: 0,
        }
    }

    /// A wav49 file: its header is read and checked first.
    pub fn wav49(mut inner: R) -> Result<Self, FormatError> {
        let mut h = [0u8; WAV49_HEADER_BYTES];
        let n = fill(&mut inner, &mut h)?;
        check_wav49_header(&h[..n]).map_err(FormatError::Gsm)?;
        Ok(GsmReader {
            inner,
            wav49: true,
            second: None,
            decoder: Decoder::new(),
            frames_read: 0,
        })
    }

    /// The next GSM frame, `Ok(None)` at the end. A partial frame or
    /// block at the end is dropped with Asterisk's warning (wav49 has a
    /// pad byte Asterisk tolerates silently); a frame without the GSM
    /// signature plays as silence, as codec_gsm drops it with a warning.
    fn next_gsm(&mut self) -> Result<Option<Option<Frame>>, FormatError> {
        if let Some(f) = self.second.take() {
            return Ok(Some(Some(f)));
        }
        let want = if self.wav49 {
            WAV49_BLOCK_BYTES
        } else {
            FRAME_BYTES
        };
        let mut buf = [0u8; WAV49_BLOCK_BYTES];
        let n = fill(&mut self.inner, &mut buf[..want])?;
        if n < want {
            if n > 0 && !(self.wav49 && n == 1) {
                tracing::warn!("Short read of gsm data (expected {want} bytes, read {n}): Success");
            }
            return Ok(None);
        }
        if self.wav49 {
            let mut block = [0u8; WAV49_BLOCK_BYTES];
            block.copy_from_slice(&buf);
            let [a, b] = unpack_wav49(&block);
            self.second = Some(b);
            return Ok(Some(Some(a)));
        }
        let mut b = [0u8; FRAME_BYTES];
        b.copy_from_slice(&buf[..FRAME_BYTES]);
        let f = Frame::from_bytes(&b);
        if f.is_none() {
            tracing::warn!("Invalid GSM data (frame {})", self.frames_read);
        }
        Ok(Some(f))
    }
}

impl<R: Read + Send> FrameReader for GsmReader<R> {
    fn read_frame(&mut self) -> Result<Option<AudioFrame>, FormatError> {
        let Some(frame) = self.next_gsm()? else {
            return Ok(None);
        };
        self.frames_read += 1;
        let samples = match frame {
            Some(f) => self.decoder.decode(&f).to_vec(),
            None => vec![0; FRAME_SAMPLES],
        };
        Ok(Some(AudioFrame::Slin(samples)))
    }

    fn codec(&self) -> Codec {
        Codec::Slin
    }
}

/// Decodes a whole `.gsm` file (a trailing partial frame is ignored).
pub fn decode_gsm(bytes: &[u8]) -> Result<Vec<i16>, GsmFileError> {
    let mut dec = Decoder::new();
    let mut out = Vec::with_capacity(bytes.len() / FRAME_BYTES * FRAME_SAMPLES);
    for (i, chunk) in bytes.chunks_exact(FRAME_BYTES).enumerate() {
        let mut b = [0u8; FRAME_BYTES];
        b.copy_from_slice(chunk);
        let f = Frame::from_bytes(&b).ok_or(GsmFileError::BadFrame(i))?;
        out.extend(dec.decode(&f));
    }
    Ok(out)
}

/// Decodes a whole wav49 file, checking the header as Asterisk does.
pub fn decode_wav49(bytes: &[u8]) -> Result<Vec<i16>, GsmFileError> {
    check_wav49_header(bytes)?;
    let mut dec = Decoder::new();
    let mut out = Vec::new();
    for chunk in bytes[WAV49_HEADER_BYTES..].chunks_exact(WAV49_BLOCK_BYTES) {
        let mut b = [0u8; WAV49_BLOCK_BYTES];
        b.copy_from_slice(chunk);
        for f in unpack_wav49(&b) {
            out.extend(dec.decode(&f));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn tone(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 8000.0).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn sizes_follow_asterisks_arithmetic() {
        // The reference message: 63360 samples = 396 frames = 198 blocks.
        let samples = tone(63360 + 100);
        let mut g = GsmWriter::new(Vec::new());
        let mut w = Wav49Writer::new(Cursor::new(Vec::new())).expect("header");
        for chunk in samples.chunks(160) {
            g.write_samples(chunk).expect("gsm");
            w.write_samples(chunk).expect("wav49");
        }
        let gsm = g.finish().expect("finish");
        let wav = w.finish().expect("finish").into_inner();
        assert_eq!(gsm.len(), 13068);
        assert_eq!(wav.len(), 12930);
        assert_eq!(&wav[..WAV49_HEADER_BYTES], &wav49_header(12870)[..]);
        assert_eq!(u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]), 12922);
        assert_eq!(
            u32::from_le_bytes([wav[48], wav[49], wav[50], wav[51]]),
            63360
        );
        assert_eq!(decode_gsm(&gsm).expect("decode").len(), 63360);
        assert_eq!(decode_wav49(&wav).expect("decode").len(), 63360);
    }

    #[test]
    fn an_odd_last_frame_is_dropped_from_wav49() {
        let mut w = Wav49Writer::new(Cursor::new(Vec::new())).expect("header");
        w.write_samples(&tone(480)).expect("write");
        let wav = w.finish().expect("finish").into_inner();
        assert_eq!(wav.len(), WAV49_HEADER_BYTES + WAV49_BLOCK_BYTES);
    }

    #[test]
    fn header_bytes() {
        let h = wav49_header(0);
        assert_eq!(
            &h[..],
            b"RIFF\x34\0\0\0WAVEfmt \x14\0\0\0\x31\0\x01\0\x40\x1f\0\0\x59\x06\0\0\
\x41\0\0\0\x02\0\x40\x01fact\x04\0\0\0\0\0\0\0data\0\0\0\0"
        );
    }
    #[test]
    fn header_faults_are_check_headers_warnings() {
        let fault = |h: &[u8]| match check_wav49_header(h) {
            Err(GsmFileError::BadWav49(w)) => (w.site.line, w.message),
            other => panic!("{other:?}"),
        };
        let good = wav49_header(0);
        assert!(check_wav49_header(&good).is_ok());
        // Lines of format_wav_gsm.c's check_header in Asterisk 20.20.1.
        assert_eq!(fault(&good[..12]), (122, "Read failed (fmt)".to_string()));
        assert_eq!(fault(&good[..58]), (205, "Read failed (data)".to_string()));
        let mut h = good;
        h[24] = 0x44;
        h[25] = 0xac;
        assert_eq!(fault(&h), (158, "Unexpected frequency 44100".to_string()));
        let mut h = good;
        h[40] = b'F';
        assert_eq!(fault(&h), (182, "Does not say fact".to_string()));
    }
}
