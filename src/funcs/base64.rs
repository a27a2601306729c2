//! BASE64_ENCODE and BASE64_DECODE (Asterisk's `func_base64.c`, with
//! `ast_base64encode` and `ast_base64decode`).

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "BASE64_DECODE",
            read: Some(helper),
            write: None,
            synopsis: "Decodes base64 text.",
            syntax: "BASE64_DECODE(string)",
        },
        Function {
            name: "BASE64_ENCODE",
            read: Some(helper),
            write: None,
            synopsis: "Encodes a string as base64.",
            syntax: "BASE64_ENCODE(string)",
        },
    ]
}

/// The buffer a function result is written into (`VAR_BUF_SIZE`).
const BUFLEN: usize = 4096;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `ast_base64encode` into a `BUFLEN` buffer: only whole groups of four
/// that fit before the terminating NUL.
pub fn encode(src: &[u8]) -> String {
    let max = BUFLEN - 1;
    let mut out = String::new();
    for chunk in src.chunks(3) {
        if out.len() + 4 > max {
            break;
        }
        let mut v = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            v |= u32::from(b) << (16 - 8 * i);
        }
        let sext = |shift: u32| ALPHABET[((v >> shift) & 0x3f) as usize] as char;
        out.push(sext(18));
        out.push(sext(12));
        out.push(if chunk.len() > 1 { sext(6) } else { '=' });
        out.push(if chunk.len() > 2 { sext(0) } else { '=' });
    }
    out
}

/// The 6-bit value of a base64 character; anything else counts as all
/// ones, as Asterisk's table of -1 masked with 0x3f does.
fn sextet(c: u8) -> u32 {
    match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0x3f,
    }
}

/// `ast_base64decode` into a `BUFLEN` buffer: stops at `=`, leftover bits
/// are dropped; the result ends at the first NUL byte.
pub fn decode(src: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut byte, mut bits) = (0u32, 0u32);
    for &c in src.as_bytes() {
        if c == b'=' || out.len() >= BUFLEN - 1 {
            break;
        }
        byte = (byte << 6) | sextet(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((byte >> bits) & 0xff) as u8);
        }
    }
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    out
}

fn helper(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!("func_base64.c", 85, "base64_helper"),
            &format!("Syntax: {}(<data>) - missing argument!", ctx.name),
        );
        return Err(Failed);
    }
    if ctx.name.as_bytes().get(7) == Some(&b'E') {
        Ok(encode(&crate::core::raw::encode(data)))
    } else {
        Ok(crate::core::raw::decode_owned(decode(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes() {
        assert_eq!(encode(b"hello"), "aGVsbG8=");
        assert_eq!(encode(b"hi"), "aGk=");
        assert_eq!(encode(b"abc"), "YWJj");
        assert_eq!(decode("aGVsbG8="), b"hello");
        assert_eq!(decode("aGVsbG8"), b"hello");
        assert_eq!(decode("!!!!"), vec![0xff, 0xff, 0xff]);
        assert_eq!(decode("AAAA"), b"");
        assert_eq!(encode(&[b'x'; 5000]).len(), 4092);
        assert!(decode(&"QUJD".repeat(3000)).len() <= 4095);
    }
}
