//! ITU-T G.711 µ-law and A-law, table driven.
//!
//! Every conversion is a table lookup: decoding uses 256-entry tables,
//! encoding indexes a table by the top bits of the linear sample (14 bits
//! for µ-law, 13 for A-law, the precision G.711 keeps), and µ-law↔A-law
//! transcoding uses 256-entry tables built by decoding and re-encoding, as
//! Asterisk's codec_a_mu does. All tables are computed at compile time.

/// µ-law code of linear 0 (the positive zero).
pub const ULAW_SILENCE: u8 = 0xFF;
/// A-law code of the smallest positive level, what silence encodes to.
pub const ALAW_SILENCE: u8 = 0xD5;

/// G.711 µ-law adds this bias before finding the segment (G.711 §3.2).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude µ-law represents once the bias is added.
const ULAW_CLIP: i32 = 32635;

const fn ulaw_decode_calc(code: u8) -> i16 {
    // Codes are transmitted inverted (G.711 Table 2a).
    let u = !code;
    let mantissa = (u & 0x0F) as i32;
    let exponent = ((u & 0x70) >> 4) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

const fn ulaw_encode_calc(sample: i16) -> u8 {
    let mut pcm = sample as i32;
    let mask: u8 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    if pcm > ULAW_CLIP {
        pcm = ULAW_CLIP;
    }
    pcm += ULAW_BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let mut exponent = 7;
    while exponent > 0 && (pcm & (0x80 << exponent)) == 0 {
        exponent -= 1;
    }
    let mantissa = (pcm >> (exponent + 3)) & 0x0F;
    ((exponent << 4) as u8 | mantissa as u8) ^ mask
}

const fn alaw_decode_calc(code: u8) -> i16 {
    // Even bits are inverted on the line (G.711 Table 1a).
    let a = code ^ 0x55;
    let mantissa = ((a & 0x0F) as i32) << 4;
    let segment = ((a & 0x70) >> 4) as i32;
    let magnitude = match segment {
        0 => mantissa + 8,
        1 => mantissa + 0x108,
        _ => (mantissa + 0x108) << (segment - 1),
    };
    if a & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

const fn alaw_encode_calc(sample: i16) -> u8 {
    // A-law keeps 13 bits.
    let mut pcm = (sample as i32) >> 3;
    let mask: u8 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let mut segment = 0;
    while segment < 8 && pcm > (0x20 << segment) - 1 {
        segment += 1;
    }
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let shift = if segment < 2 { 1 } else { segment };
    let code = ((segment << 4) | ((pcm >> shift) & 0x0F)) as u8;
    code ^ mask
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_calc(i as u8);
        i += 1;
    }
    t
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_calc(i as u8);
        i += 1;
    }
    t
}

/// Indexed by `sample >> 2` as an unsigned 14-bit number.
const fn build_ulaw_encode() -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // Reconstruct the sample these 14 bits stand for (sign-extended).
        let sample = ((i as i32) << 18 >> 16) as i16;
        t[i] = ulaw_encode_calc(sample);
        i += 1;
    }
    t
}

/// Indexed by `sample >> 3` as an unsigned 13-bit number.
const fn build_alaw_encode() -> [u8; 8192] {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        let sample = ((i as i32) << 19 >> 16) as i16;
        t[i] = alaw_encode_calc(sample);
        i += 1;
    }
    t
}

const fn build_ulaw_to_alaw() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_encode_calc(ulaw_decode_calc(i as u8));
        i += 1;
    }
    t
}

const fn build_alaw_to_ulaw() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_encode_calc(alaw_decode_calc(i as u8));
        i += 1;
    }
    t
}

static ULAW_DECODE: [i16; 256] = build_ulaw_decode();
static ALAW_DECODE: [i16; 256] = build_alaw_decode();
static ULAW_ENCODE: [u8; 16384] = build_ulaw_encode();
static ALAW_ENCODE: [u8; 8192] = build_alaw_encode();
static ULAW_TO_ALAW: [u8; 256] = build_ulaw_to_alaw();
static ALAW_TO_ULAW: [u8; 256] = build_alaw_to_ulaw();

/// µ-law code → 16-bit linear sample.
#[inline]
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// 16-bit linear sample → µ-law code.
#[inline]
pub fn linear_to_ulaw(sample: i16) -> u8 {
    ULAW_ENCODE[((sample as u16) >> 2) as usize]
}

/// A-law code → 16-bit linear sample.
#[inline]
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

/// 16-bit linear sample → A-law code.
#[inline]
pub fn linear_to_alaw(sample: i16) -> u8 {
    ALAW_ENCODE[((sample as u16) >> 3) as usize]
}

/// µ-law code → A-law code without going through linear at run time.
#[inline]
pub fn ulaw_to_alaw(code: u8) -> u8 {
    ULAW_TO_ALAW[code as usize]
}

/// A-law code → µ-law code.
#[inline]
pub fn alaw_to_ulaw(code: u8) -> u8 {
    ALAW_TO_ULAW[code as usize]
}

/// Decodes µ-law bytes into `out`; converts `min(input, out)` samples.
pub fn decode_ulaw(input: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(input) {
        *o = ulaw_to_linear(c);
    }
}

/// Decodes A-law bytes into `out`; converts `min(input, out)` samples.
pub fn decode_alaw(input: &[u8], out: &mut [i16]) {
    for (o, &c) in out.iter_mut().zip(input) {
        *o = alaw_to_linear(c);
    }
}

/// Encodes linear samples as µ-law into `out`.
pub fn encode_ulaw(input: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(input) {
        *o = linear_to_ulaw(s);
    }
}

/// Encodes linear samples as A-law into `out`.
pub fn encode_alaw(input: &[i16], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(input) {
        *o = linear_to_alaw(s);
    }
}

/// Transcodes µ-law to A-law in place.
pub fn ulaw_to_alaw_in_place(buf: &mut [u8]) {
    for b in buf {
        *b = ulaw_to_alaw(*b);
    }
}

/// Transcodes A-law to µ-law in place.
pub fn alaw_to_ulaw_in_place(buf: &mut [u8]) {
    for b in buf {
        *b = alaw_to_ulaw(*b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_codes_round_trip() {
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            // 0x7F is µ-law's negative zero: it decodes to 0, which
            // encodes as the positive zero 0xFF.
            if code == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, code, "code {code:#04x}");
            }
        }
    }

    #[test]
    fn alaw_codes_round_trip() {
        for code in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "{code:#04x}");
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(linear_to_ulaw(0), ULAW_SILENCE);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(linear_to_alaw(0), ALAW_SILENCE);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
        // The digital milliwatt's codes: a 1 kHz sine sampled at ±22.5°
        // and ±67.5°, so the two levels are in ratio sin 22.5°/sin 67.5°.
        assert_eq!(ulaw_to_linear(0x1E), -8828);
        assert_eq!(ulaw_to_linear(0x8B), 20860);
    }

    #[test]
    fn encoding_is_monotonic() {
        // Larger linear input never yields a smaller decoded level.
        let mut last_u = i16::MIN;
        let mut last_a = i16::MIN;
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let u = ulaw_to_linear(linear_to_ulaw(s));
            let a = alaw_to_linear(linear_to_alaw(s));
            assert!(u >= last_u && a >= last_a, "at {s}");
            last_u = u;
            last_a = a;
        }
    }

    #[test]
    fn transcode_matches_via_linear_and_is_close() {
        for code in 0..=255u8 {
            let a = ulaw_to_alaw(code);
            assert_eq!(a, linear_to_alaw(ulaw_to_linear(code)));
            let u = alaw_to_ulaw(code);
            assert_eq!(u, linear_to_ulaw(alaw_to_linear(code)));
            // µ-law → A-law → µ-law lands within one µ-law step of where
            // it started, and keeps the sign.
            let back = alaw_to_ulaw(a);
            let (x, y) = (ulaw_to_linear(code) as i32, ulaw_to_linear(back) as i32);
            assert!(x.signum() * y.signum() >= 0, "sign of {code:#04x}");
            let step = (x.abs() / 16).max(16);
            assert!((x - y).abs() <= step, "{code:#04x}: {x} vs {y}");
        }
        // Transcoding twice is stable: the second round trip changes nothing.
        for code in 0..=255u8 {
            let once = alaw_to_ulaw(ulaw_to_alaw(code));
            assert_eq!(alaw_to_ulaw(ulaw_to_alaw(once)), once);
        }
    }

    #[test]
    fn slices() {
        let lin: Vec<i16> = (0..160).map(|i| (i * 200 - 16000) as i16).collect();
        let mut u = [0u8; 160];
        let mut a = [0u8; 160];
        encode_ulaw(&lin, &mut u);
        encode_alaw(&lin, &mut a);
        let mut du = [0i16; 160];
        decode_ulaw(&u, &mut du);
        let mut da = [0i16; 160];
        decode_alaw(&a, &mut da);
        for i in 0..160 {
            assert!((du[i] as i32 - lin[i] as i32).abs() <= 512);
            assert!((da[i] as i32 - lin[i] as i32).abs() <= 512);
        }
        let mut t = u;
        ulaw_to_alaw_in_place(&mut t);
        alaw_to_ulaw_in_place(&mut t);
        assert_eq!(t.len(), 160);
    }
}
