//! HTTP requests as Asterisk's `main/http.c` reads them, without sockets:
//! the caller feeds received bytes and gets back a parsed head or the
//! error Asterisk answers with.
//!
//! Asterisk is lenient where RFC 9112 is strict (any method word, no
//! version check, header lines without a colon skipped) and strict where
//! it protects itself (4095-byte lines, 100 headers, 40960-byte form
//! bodies); both are kept, since clients written against Asterisk rely on
//! the former and the latter bound what one connection can cost.

/// Asterisk reads lines into a 4096-byte buffer: a line, its `\n`
/// included, holds at most 4095 bytes.
pub const MAX_LINE: usize = 4095;
/// Header lines kept per request; one more is an error.
pub const MAX_HEADERS: usize = 100;
/// The largest form body read (`MAX_CONTENT_LENGTH`).
pub const MAX_CONTENT_LENGTH: usize = 40960;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Head,
    Put,
    Delete,
    Options,
    /// Any other word: handlers decide (the manager URIs answer 501).
    Unknown,
}

impl Method {
    fn parse(word: &[u8]) -> Method {
        let eq = |m: &str| word.eq_ignore_ascii_case(m.as_bytes());
        if eq("GET") {
            Method::Get
        } else if eq("POST") {
            Method::Post
        } else if eq("HEAD") {
            Method::Head
        } else if eq("PUT") {
            Method::Put
        } else if eq("DELETE") {
            Method::Delete
        } else if eq("OPTIONS") {
            Method::Options
        } else {
            Method::Unknown
        }
    }
}

/// A request line and its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: Method,
    /// The request target as sent (path and query, not decoded).
    pub target: String,
    /// Header names and values, in order (trimmed as Asterisk trims them).
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first header named `name` (without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, before any `?`.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query string's variables, decoded (`handle_uri`).
    pub fn query(&self) -> Vec<(String, String)> {
        match self.target.split_once('?') {
            Some((_, q)) => parse_form(q.as_bytes()),
            None => Vec::new(),
        }
    }

    /// `Connection: close` was asked for.
    pub fn wants_close(&self) -> bool {
        self.header("Connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
    }

    /// The cookies of the last `Cookie` header, last first
    /// (`ast_http_get_cookies` builds its list that way round).
    pub fn cookies(&self) -> Vec<(String, String)> {
        let Some(line) = self
            .headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case("Cookie"))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for part in line.1.split(';') {
            let Some((name, val)) = part.split_once('=') else {
                continue;
            };
            let name = name.trim();
            let val = val.trim();
            let val = val
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(val);
            if name.is_empty() || val.is_empty() {
                continue;
            }
            out.push((name.to_string(), val.to_string()));
        }
        out.reverse();
        out
    }

    /// How the body is framed, or the error Asterisk answers
    /// (`http_request_tracking_setup`, after the Transfer-Encoding check).
    pub fn body_kind(&self) -> Result<BodyKind, RequestError> {
        let te = self.header("Transfer-Encoding").unwrap_or("identity");
        if te.eq_ignore_ascii_case("chunked") {
            return Ok(BodyKind::Chunked);
        }
        if !te.eq_ignore_ascii_case("identity") {
            return Err(RequestError::TransferEncoding);
        }
        match self.header("Content-Length") {
            None => Ok(BodyKind::None),
            Some(v) => match scan_int(v) {
                Some(0) => Ok(BodyKind::None),
                Some(n) if n > 0 => Ok(BodyKind::Length(n as u64)),
                _ => Err(RequestError::ContentLength),
            },
        }
    }

    /// The media type of `Content-Type`, without parameters.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
            .map(|t| t.split(';').next().unwrap_or(""))
    }
}

/// How a request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    None,
    Length(u64),
    Chunked,
}

/// What is wrong with a request, each with the status, title and text of
/// the page Asterisk answers it with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("Request line too long")]
    RequestLineTooLong,
    #[error("Header line too long")]
    HeaderLineTooLong,
    #[error("Too many headers")]
    TooManyHeaders,
    #[error("Invalid Request")]
    InvalidRequest,
    /// The peer stopped sending in the middle of a request.
    #[error("Timeout")]
    Timeout,
    #[error("Unsupported Transfer-Encoding.")]
    TransferEncoding,
    #[error("Invalid Content-Length in request!")]
    ContentLength,
    #[error("Body too large")]
    BodyTooLarge,
    #[error("Error parsing request body")]
    BadBody,
}

impl RequestError {
    /// Status code and title of the error page.
    pub fn status(&self) -> (u16, &'static str) {
        match self {
            RequestError::TooManyHeaders | RequestError::BodyTooLarge => {
                (413, "Request Entity Too Large")
            }
            RequestError::TransferEncoding => (501, "Unimplemented"),
            _ => (400, "Bad Request"),
        }
    }
}

/// Takes one line (through its `\n`) off the front of `buf`. `Ok(None)`:
/// no whole line yet; `Err(())`: [`MAX_LINE`] bytes without a line end.
/// Bytes from a NUL on are dropped, as C string handling drops them.
pub fn take_line(buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, ()> {
    let window = &buf[..buf.len().min(MAX_LINE)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let mut line: Vec<u8> = buf.drain(..=i).collect();
            if let Some(z) = line.iter().position(|&b| b == 0) {
                line.truncate(z);
            }
            Ok(Some(line))
        }
        None if buf.len() >= MAX_LINE => Err(()),
        None => Ok(None),
    }
}

/// Asterisk's "blank": any byte below 33 (`ast_skip_blanks`).
fn blank(b: u8) -> bool {
    b < 33
}

fn trim_end_blanks(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| !blank(b)).map_or(0, |i| i + 1);
    &s[..end]
}

fn skip_blanks(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !blank(b)).unwrap_or(s.len());
    &s[start..]
}

fn text(b: &[u8]) -> String {
    crate::core::raw::decode(b).into_owned()
}

/// Reads a request head line by line.
#[derive(Debug, Default)]
pub struct HeadParser {
    request_line: Option<(Method, String)>,
    headers: Vec<(String, String)>,
}

impl HeadParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether any line has been taken yet.
    pub fn started(&self) -> bool {
        self.request_line.is_some()
    }

    /// Consumes the whole lines in `buf`; returns the head once its blank
    /// line has come (the bytes after it stay in `buf`).
    pub fn feed(&mut self, buf: &mut Vec<u8>) -> Result<Option<RequestHead>, RequestError> {
        loop {
            let line = match take_line(buf) {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(None),
                Err(()) if self.request_line.is_none() => {
                    return Err(RequestError::RequestLineTooLong);
                }
                Err(()) => return Err(RequestError::HeaderLineTooLong),
            };
            if self.request_line.is_none() {
                self.request_line = Some(request_line(&line)?);
                continue;
            }
            let line = trim_end_blanks(&line);
            if line.is_empty() {
                let (method, target) = self
                    .request_line
                    .take()
                    .unwrap_or((Method::Unknown, String::new()));
                return Ok(Some(RequestHead {
                    method,
                    target,
                    headers: std::mem::take(&mut self.headers),
                }));
            }
            // A line without a colon, or with an empty name or value, is
            // skipped rather than refused.
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = trim_end_blanks(&line[..colon]);
            let value = skip_blanks(&line[colon + 1..]);
            if value.is_empty() || line[..colon].is_empty() {
                continue;
            }
            if self.headers.len() >= MAX_HEADERS {
                return Err(RequestError::TooManyHeaders);
            }
            self.headers.push((text(name), text(value)));
        }
    }
}

/// `<method> <target> ...`: the first word is the method, the next the
/// target; the rest (the version) is ignored.
fn request_line(line: &[u8]) -> Result<(Method, String), RequestError> {
    let rest = skip_blanks(line);
    let m_end = rest.iter().position(|&b| blank(b)).unwrap_or(rest.len());
    let method = Method::parse(&rest[..m_end]);
    let rest = skip_blanks(&rest[m_end..]);
    let t_end = rest.iter().position(|&b| blank(b)).unwrap_or(rest.len());
    if t_end == 0 {
        return Err(RequestError::InvalidRequest);
    }
    Ok((method, text(&rest[..t_end])))
}

/// `sscanf("%30d")`: blanks, an optional sign, digits; None without a
/// digit. Values past i64 saturate (C leaves them undefined).
pub fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t: String = t.chars().take(30).collect();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t.as_str()),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let v = digits[..end].parse::<i64>().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

/// `ast_uri_decode` in its legacy HTTP form: `+` is a space, `%XX` a
/// byte; a `%` without a hex digit after it stays as it is, and `%X`
/// followed by a non-hex byte takes the one digit (as `sscanf("%2x")`).
pub fn uri_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'+' {
            out.push(b' ');
        } else if b == b'%' && i + 2 < s.len() {
            match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                (Some(h), None) => {
                    out.push(h as u8);
                    i += 2;
                }
                _ => out.push(b),
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    // A decoded NUL ends the C string.
    if let Some(z) = out.iter().position(|&b| b == 0) {
        out.truncate(z);
    }
    out
}

/// `name=value&...` pairs, each side decoded; a pair without `=` has an
/// empty value (the query string and form bodies alike).
pub fn parse_form(s: &[u8]) -> Vec<(String, String)> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(z) => &s[..z],
        None => s,
    };
    s.split(|&b| b == b'&')
        .map(|pair| {
            let (n, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (text(&uri_decode(n)), text(&uri_decode(v)))
        })
        .collect()
}

/// `chunked_atoh`: the size on a chunk-size line (hex digits up to `\r`,
/// a `;` extension ignored). None for anything else, a missing `\r`
/// included; sizes saturate at `u32::MAX` (far past any limit).
pub fn chunk_size(line: &[u8]) -> Option<usize> {
    if line.first().is_none_or(|&b| b < b'0') {
        return None;
    }
    let mut value: usize = 0;
    for (i, &c) in line.iter().enumerate() {
        if c == b'\r' {
            return Some(value);
        }
        if c == b';' {
            return line[i..].contains(&b'\r').then_some(value);
        }
        let d = (c as char).to_digit(16)? as usize;
        value = value
            .saturating_mul(16)
            .saturating_add(d)
            .min(u32::MAX as usize);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<RequestHead>, RequestError> {
        let mut buf = bytes.to_vec();
        HeadParser::new().feed(&mut buf)
    }

    #[test]
    fn a_plain_get() {
        let h = parse(b"GET /asterisk/rawman?action=Ping HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.method, Method::Get);
        assert_eq!(h.path(), "/asterisk/rawman");
        assert_eq!(h.query(), vec![("action".into(), "Ping".into())]);
        assert_eq!(h.header("host"), Some("x"));
    }

    #[test]
    fn incomplete_heads_wait_for_more() {
        let mut p = HeadParser::new();
        let mut buf = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        assert_eq!(p.feed(&mut buf), Ok(None));
        assert!(p.started());
        buf.extend_from_slice(b"\r\nNEXT");
        assert!(p.feed(&mut buf).unwrap().is_some());
        assert_eq!(buf, b"NEXT");
    }

    #[test]
    fn line_limits() {
        // 4094 bytes and its `\n` fit; one more does not.
        let ok = format!("GET /{} HTTP/1.1", "a".repeat(4094 - 14));
        assert_eq!(ok.len(), 4094);
        assert!(parse(format!("{ok}\n\n").as_bytes()).unwrap().is_some());
        let long = format!("{ok}b\n\n");
        assert_eq!(
            parse(long.as_bytes()),
            Err(RequestError::RequestLineTooLong)
        );
        let hdr = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "v".repeat(5000));
        assert_eq!(parse(hdr.as_bytes()), Err(RequestError::HeaderLineTooLong));
        // An endless line is refused once the buffer is full, before
        // any line end arrives.
        let mut p = HeadParser::new();
        let mut buf = vec![b'x'; MAX_LINE];
        assert_eq!(p.feed(&mut buf), Err(RequestError::RequestLineTooLong));
    }

    #[test]
    fn header_count_limit() {
        let mut req = String::from("GET / HTTP/1.1\r\n");
        for i in 0..MAX_HEADERS {
            req.push_str(&format!("X-{i}: v\r\n"));
        }
        // Lines that are skipped do not count.
        req.push_str("no colon here\r\nX-Empty:\r\n");
        assert!(parse(format!("{req}\r\n").as_bytes()).unwrap().is_some());
        req.push_str("X-Last: v\r\n\r\n");
        assert_eq!(parse(req.as_bytes()), Err(RequestError::TooManyHeaders));
    }

    #[test]
    fn malformed_request_lines() {
        assert_eq!(parse(b"\r\n"), Err(RequestError::InvalidRequest));
        assert_eq!(parse(b"GET\r\n"), Err(RequestError::InvalidRequest));
        assert_eq!(parse(b"\x00\x01 /x\r\n"), Err(RequestError::InvalidRequest));
        let h = parse(b"BREW /pot\n\n").unwrap().unwrap();
        assert_eq!(h.method, Method::Unknown);
        assert_eq!(h.target, "/pot");
    }

    #[test]
    fn content_length_and_transfer_encoding() {
        let head = |h: &str| {
            parse(format!("POST / HTTP/1.1\r\n{h}\r\n\r\n").as_bytes())
                .unwrap()
                .unwrap()
                .body_kind()
        };
        assert_eq!(head("Content-Length: 12"), Ok(BodyKind::Length(12)));
        assert_eq!(head("Content-Length: 0"), Ok(BodyKind::None));
        assert_eq!(head("Content-Length: 7abc"), Ok(BodyKind::Length(7)));
        assert_eq!(
            head("Content-Length: abc"),
            Err(RequestError::ContentLength)
        );
        assert_eq!(head("Content-Length: -5"), Err(RequestError::ContentLength));
        assert_eq!(
            head("Content-Length: 99999999999999999999999999999"),
            Ok(BodyKind::Length(i64::MAX as u64))
        );
        assert_eq!(head("Transfer-Encoding: chunked"), Ok(BodyKind::Chunked));
        assert_eq!(
            head("Transfer-Encoding: gzip"),
            Err(RequestError::TransferEncoding)
        );
        assert_eq!(RequestError::TransferEncoding.status().0, 501);
    }

    #[test]
    fn percent_decoding_as_asterisk() {
        let d = |s: &str| String::from_utf8_lossy(&uri_decode(s.as_bytes())).into_owned();
        assert_eq!(d("a+b%20c"), "a b c");
        assert_eq!(d("%zz"), "%zz");
        assert_eq!(d("%4g"), "\u{4}");
        assert_eq!(d("%%41"), "%A");
        assert_eq!(d("%"), "%");
        assert_eq!(d("x%2"), "x%2");
        assert_eq!(d("cut%00here"), "cut");
        assert_eq!(
            parse_form(b"a=1&b&=v&c=%3Cx%3E"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("".into(), "v".into()),
                ("c".into(), "<x>".into())
            ]
        );
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1a\r\n"), Some(26));
        assert_eq!(chunk_size(b"0\r\n"), Some(0));
        assert_eq!(chunk_size(b"5;ext=1\r\n"), Some(5));
        assert_eq!(chunk_size(b"zz\r\n"), None);
        assert_eq!(chunk_size(b"5\n"), None);
        assert_eq!(chunk_size(b"\r\n"), None);
        assert_eq!(
            chunk_size(b"ffffffffffffffffffffffff\r\n"),
            Some(u32::MAX as usize)
        );
    }

    #[test]
    fn cookies_last_header_last_first() {
        let h = parse(
            b"GET / HTTP/1.1\r\nCookie: a=1\r\nCookie: mansession_id=\"00ab\"; b = 2 ; c=\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            h.cookies(),
            vec![
                ("b".into(), "2".into()),
                ("mansession_id".into(), "00ab".into())
            ]
        );
    }
}
