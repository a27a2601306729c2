//! URIENCODE and URIDECODE (Asterisk's `func_uri.c`, with `ast_uri_encode`
//! and `ast_uri_decode` in their HTTP flavour).

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "URIDECODE",
            read: Some(uridecode),
            write: None,
            synopsis: "Turns %XX escapes back into the characters they stand for.",
            syntax: "URIDECODE(data)",
        },
        Function {
            name: "URIENCODE",
            read: Some(uriencode),
            write: None,
            synopsis: "Escapes every character but letters, digits and -_.!~*'() as %XX.",
            syntax: "URIENCODE(data)",
        },
    ]
}

/// The buffer a function result is written into (`VAR_BUF_SIZE`).
const BUFLEN: usize = 4096;

/// `ast_uri_encode(data, buf, BUFLEN, ast_uri_http)`.
pub fn encode(data: &str) -> String {
    const MARK: &[u8] = b"-_.!~*'()";
    let mut out = String::new();
    for &b in crate::core::raw::encode(data).iter() {
        if out.len() >= BUFLEN - 1 {
            break;
        }
        if b.is_ascii_alphanumeric() || MARK.contains(&b) {
            out.push(b as char);
        } else {
            if out.len() >= BUFLEN - 3 {
                break;
            }
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `ast_uri_decode(s, ast_uri_http)`: `%` with two more characters that
/// `sscanf("%2x")` accepts becomes that byte; a NUL ends the string.
pub fn decode(data: &str) -> String {
    let s = data.as_bytes();
    let s = &s[..s.len().min(BUFLEN - 1)];
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let Some(v) = super::c::scan_hex2(&s[i + 1..]) {
                out.push(v as u8);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    crate::core::raw::decode_owned(out)
}

fn uriencode(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(encode(data))
}

fn uridecode(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(decode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_odd_escapes() {
        assert_eq!(encode("a b/ü~"), "a%20b%2F%C3%BC~");
        assert_eq!(decode("a%20b%2F%C3%BC~"), "a b/ü~");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("% 41"), "A1");
        assert_eq!(decode("a%00b"), "a");
        assert_eq!(decode("%+5x"), "\u{5}x");
        assert_eq!(encode(&"é".repeat(3000)).len(), 4095);
    }
}
