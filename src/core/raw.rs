//! Asterisk's strings are C strings: any bytes but NUL, UTF-8 or not (a
//! Latin-1 caller name from an old phone, a config file saved in
//! ISO-8859-1). Ours are Rust strings, so a byte that is not part of valid
//! UTF-8 is carried as one character of its own, taken from the end of the
//! private-use plane (U+10FF80 + byte − 0x80), and written out again as
//! that same byte. Text that is valid UTF-8 is untouched both ways.
//!
//! [`decode`] where bytes come in (config files, SIP, AMI, the console,
//! AstDB, command output); [`encode`] where they go out; byte-wise string
//! functions (LEN, `${VAR:offset:length}`, …) work on [`encode`]'s bytes,
//! as Asterisk's do on its.

use std::borrow::Cow;

/// The character that stands for byte `0x80 + i`.
const BASE: u32 = 0x10FF00;

/// The stand-in for a byte that is not valid UTF-8 where it stands.
fn stand_in(b: u8) -> char {
    char::from_u32(BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte a character stands for, if it is a stand-in.
fn stands_for(c: char) -> Option<u8> {
    let v = u32::from(c);
    (BASE + 0x80..=BASE + 0xFF)
        .contains(&v)
        .then(|| (v - BASE) as u8)
}

/// Bytes as text: valid UTF-8 as it is, every other byte as its stand-in.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let mut rest = bytes;
    let mut out = String::new();
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) if out.is_empty() && s.len() == bytes.len() => return Cow::Borrowed(s),
            Ok(s) => {
                out.push_str(s);
                return Cow::Owned(out);
            }
            Err(e) => {
                let good = e.valid_up_to();
                // Checked valid just above.
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len() - good);
                for &b in &rest[good..good + bad] {
                    out.push(stand_in(b));
                }
                rest = &rest[good + bad..];
            }
        }
    }
}

/// [`decode`] for owned bytes (no copy when they are UTF-8).
pub fn decode_owned(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => decode(e.as_bytes()).into_owned(),
    }
}

/// Text as the bytes it carries: stand-ins back to their bytes.
pub fn encode(s: &str) -> Cow<'_, [u8]> {
    // Every stand-in is encoded F4 8F BE/BF xx.
    if !s.as_bytes().contains(&0xF4) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match stands_for(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// Whether the text carries bytes that are not UTF-8.
pub fn has_raw_bytes(s: &str) -> bool {
    s.chars().any(|c| stands_for(c).is_some())
}

/// The one spelling of the same bytes: stand-ins that together make a
/// valid UTF-8 character (after byte-wise slicing and joining) become it.
pub fn canonical(s: String) -> String {
    if s.as_bytes().contains(&0xF4) && has_raw_bytes(&s) {
        decode_owned(encode(&s).into_owned())
    } else {
        s
    }
}

/// The bytes as an argument or path for the operating system.
pub fn os(s: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(encode(s).into_owned())
}

/// How long Asterisk finds the string (`strlen`).
pub fn byte_len(s: &str) -> usize {
    encode(s).len()
}

/// A byte-wise slice of the string, as C code slicing its buffer gets:
/// a cut inside a UTF-8 character keeps the bytes on each side of it.
pub fn byte_slice(s: &str, range: std::ops::Range<usize>) -> String {
    let bytes = encode(s);
    let end = range.end.min(bytes.len());
    let start = range.start.min(end);
    decode(&bytes[start..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_survive_the_round_trip() {
        let latin1 = b"M\xfcller \xe9t\xe9 \x80\xff";
        let text = decode(latin1);
        assert!(matches!(text, Cow::Owned(_)));
        assert_eq!(text.chars().count(), latin1.len());
        assert_eq!(&*encode(&text), latin1);
        assert_eq!(byte_len(&text), latin1.len());
        let utf8 = "Müller été";
        assert!(matches!(decode(utf8.as_bytes()), Cow::Borrowed(_)));
        assert!(matches!(encode(utf8), Cow::Borrowed(_)));
        // A UTF-8 character cut in half keeps its first byte.
        let half = byte_slice(utf8, 0..2);
        assert_eq!(&*encode(&half), b"M\xc3");
        assert_eq!(byte_len(&half), 2);
        let joined = format!("{half}{}", byte_slice(utf8, 2..utf8.len()));
        assert_eq!(&*encode(&joined), utf8.as_bytes());
        // A truncated sequence at the end, and one broken in the middle.
        assert_eq!(&*encode(&decode(b"a\xe2\x82")), b"a\xe2\x82");
        assert_eq!(&*encode(&decode(b"\xe2\x82a\xf4")), b"\xe2\x82a\xf4");
    }
}
