//! SIP message parsing and serialising (RFC 3261 §7, §18.3, §25).
//!
//! Headers are kept as ordered `(name, value)` text pairs, names
//! normalised to their full canonical form (`v` → `Via`, `call-id` →
//! `Call-ID`), so a message serialises in the order it was received.
//! Typed values are parsed on demand through [`Headers`] accessors.
//!
//! Limits: a message is at most [`MAX_MESSAGE_SIZE`] bytes, the largest UDP
//! payload, so a stream peer cannot make us buffer more than a datagram
//! peer could; and at most [`MAX_HEADERS`] header values, far above the
//! 15–30 of a real INVITE, which bounds the work one message can cause.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::headers::{CSeq, HeaderError, NameAddr, Via};
use super::uri::{Uri, UriError, split_outside_quotes};

/// The largest message accepted on any transport: 64 KiB, the UDP limit.
pub const MAX_MESSAGE_SIZE: usize = 65_535;
/// The most header values (after splitting comma lists) in one message.
pub const MAX_HEADERS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("message larger than {MAX_MESSAGE_SIZE} bytes")]
    TooLarge,
    #[error("more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    #[error("empty message")]
    Empty,
    #[error("message ends before the blank line after the headers")]
    Truncated,
    #[error("a header name is not UTF-8")]
    NotUtf8,
    #[error("malformed start line {0:?}")]
    StartLine(String),
    #[error("unsupported SIP version {0:?}")]
    Version(String),
    #[error("invalid status code {0:?}")]
    Status(String),
    #[error("invalid method {0:?}")]
    Method(String),
    #[error("invalid Request-URI: {0}")]
    RequestUri(#[from] UriError),
    #[error("malformed header line {0:?}")]
    HeaderLine(String),
    #[error("invalid Content-Length {0:?}")]
    ContentLength(String),
    #[error("Content-Length is required on stream transports")]
    MissingContentLength,
    #[error("body shorter than Content-Length ({have} < {want})")]
    BodyTruncated { have: usize, want: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Prack,
    Subscribe,
    Notify,
    Publish,
    Message,
    Refer,
    /// Any other token (RFC 3261 `extension-method`).
    Other(String),
}

impl Method {
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Publish => "PUBLISH",
            Method::Message => "MESSAGE",
            Method::Refer => "REFER",
            Method::Other(s) => s,
        }
    }
}

impl FromStr for Method {
    type Err = ParseError;
    /// Methods are case-sensitive (RFC 3261 §7.1).
    fn from_str(s: &str) -> Result<Method, ParseError> {
        Ok(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "PUBLISH" => Method::Publish,
            "MESSAGE" => Method::Message,
            "REFER" => Method::Refer,
            _ if !s.is_empty() && s.bytes().all(is_token_byte) => Method::Other(s.to_string()),
            _ => return Err(ParseError::Method(s.to_string())),
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Compact forms (RFC 3261 §7.3.3 and later RFCs) and the canonical
/// spelling of common full names, so lookups and output are uniform.
const KNOWN_HEADERS: &[(&str, &str)] = &[
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("u", "Allow-Events"),
    ("a", "Accept-Contact"),
    ("j", "Reject-Contact"),
    ("d", "Request-Disposition"),
    ("x", "Session-Expires"),
    ("y", "Identity"),
    ("n", "Identity-Info"),
];

const CANONICAL: &[&str] = &[
    "Accept",
    "Allow",
    "Authorization",
    "Call-ID",
    "Contact",
    "Content-Disposition",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Event",
    "Expires",
    "From",
    "Max-Forwards",
    "Min-Expires",
    "Path",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "Reason",
    "Record-Route",
    "Require",
    "Retry-After",
    "Route",
    "RSeq",
    "RAck",
    "Server",
    "Service-Route",
    "Session-Expires",
    "Subject",
    "Supported",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
    "P-Asserted-Identity",
    "Privacy",
    "Allow-Events",
];

/// Headers whose comma-separated values are split into one entry each
/// (RFC 3261 §7.3.1), because the layers above address them one by one.
/// Other list headers (Allow, Supported...) keep their line as received.
const SPLIT_LISTS: &[&str] = &[
    "Via",
    "Contact",
    "Route",
    "Record-Route",
    "Path",
    "Service-Route",
];

/// Full canonical name for a received header name.
pub fn canonical_name(name: &str) -> Cow<'static, str> {
    if name.len() == 1 {
        for (c, full) in KNOWN_HEADERS {
            if name.eq_ignore_ascii_case(c) {
                return Cow::Borrowed(full);
            }
        }
    }
    for full in CANONICAL {
        if name.eq_ignore_ascii_case(full) {
            return Cow::Borrowed(full);
        }
    }
    Cow::Owned(name.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Cow<'static, str>,
    pub value: String,
}

/// An ordered header list with case-insensitive lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// The first value of `name` (canonical or compact spelling).
    pub fn get(&self, name: &str) -> Option<&str> {
        let name = canonical_name(name);
        self.0
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(Header {
            name: canonical_name(name),
            value: value.into(),
        });
    }

    /// Puts `value` in front of the other values of `name`, as a proxy or
    /// UAC prepends its own Via.
    pub fn push_front(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let at = self
            .0
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&name))
            .unwrap_or(self.0.len());
        self.0.insert(
            at,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// Puts `name: value` right after the first `after` header, or last
    /// when there is none: where a driver writes a header of its own.
    pub fn insert_after(&mut self, after: &str, name: &str, value: impl Into<String>) {
        let after = canonical_name(after);
        let at = self
            .0
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&after))
            .map_or(self.0.len(), |i| i + 1);
        self.0.insert(
            at,
            Header {
                name: canonical_name(name),
                value: value.into(),
            },
        );
    }

    /// Replaces every value of `name` with one, at the first one's place.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        match self
            .0
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&name))
        {
            Some(at) => {
                self.0[at].value = value.into();
                let mut i = 0;
                self.0.retain(|h| {
                    i += 1;
                    i - 1 == at || !h.name.eq_ignore_ascii_case(&name)
                });
            }
            None => self.0.push(Header {
                name,
                value: value.into(),
            }),
        }
    }

    /// Replaces only the first value of `name` (or appends one), as when
    /// the top Via of a received request is stamped.
    pub fn set_first(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        match self
            .0
            .iter_mut()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
        {
            Some(h) => h.value = value.into(),
            None => self.0.push(Header {
                name,
                value: value.into(),
            }),
        }
    }

    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.0.retain(|h| !h.name.eq_ignore_ascii_case(&name));
    }

    pub fn vias(&self) -> Result<Vec<Via>, HeaderError> {
        self.get_all("Via").map(Via::parse).collect()
    }

    pub fn top_via(&self) -> Result<Via, HeaderError> {
        Via::parse(self.get("Via").ok_or(HeaderError::Missing("Via"))?)
    }

    pub fn from(&self) -> Result<NameAddr, HeaderError> {
        NameAddr::parse(
            "From",
            self.get("From").ok_or(HeaderError::Missing("From"))?,
        )
    }

    pub fn to(&self) -> Result<NameAddr, HeaderError> {
        NameAddr::parse("To", self.get("To").ok_or(HeaderError::Missing("To"))?)
    }

    pub fn call_id(&self) -> Result<&str, HeaderError> {
        self.get("Call-ID")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(HeaderError::Missing("Call-ID"))
    }

    pub fn cseq(&self) -> Result<CSeq, HeaderError> {
        CSeq::parse(self.get("CSeq").ok_or(HeaderError::Missing("CSeq"))?)
    }

    /// Contact entries; a `*` (REGISTER removing all bindings) is reported
    /// by [`Headers::contact_is_star`] and skipped here.
    pub fn contacts(&self) -> Result<Vec<NameAddr>, HeaderError> {
        self.get_all("Contact")
            .filter(|v| v.trim() != "*")
            .map(|v| NameAddr::parse("Contact", v))
            .collect()
    }

    pub fn contact_is_star(&self) -> bool {
        self.get_all("Contact").any(|v| v.trim() == "*")
    }

    pub fn routes(&self, name: &'static str) -> Result<Vec<NameAddr>, HeaderError> {
        self.get_all(name)
            .map(|v| NameAddr::parse(name, v))
            .collect()
    }

    pub fn max_forwards(&self) -> Result<Option<u32>, HeaderError> {
        self.number("Max-Forwards")
    }

    pub fn expires(&self) -> Result<Option<u32>, HeaderError> {
        self.number("Expires")
    }

    fn number(&self, name: &'static str) -> Result<Option<u32>, HeaderError> {
        self.get(name)
            .map(|v| {
                v.trim().parse::<u32>().map_err(|_| HeaderError::Invalid {
                    header: name,
                    reason: format!("not a number: {v:?}"),
                })
            })
            .transpose()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Request {
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.print(Printer::Plain)
    }

    /// The request as `printer` writes it.
    pub fn print(&self, printer: Printer) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len() + 40 * self.headers.0.len());
        let start = format!("{} {} SIP/2.0\r\n", self.method, self.uri);
        out.extend_from_slice(&crate::core::raw::encode(&start));
        write_headers_and_body(&mut out, &self.headers, &self.body, printer);
        out
    }
}

impl Response {
    pub fn new(status: u16, reason: impl Into<String>) -> Response {
        Response {
            status,
            reason: reason.into(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// A response to `req` with the headers RFC 3261 §8.2.6.2 copies:
    /// every Via in order, From, To, Call-ID and CSeq. The caller adds a To
    /// tag where one is needed (anything but 100).
    pub fn for_request(req: &Request, status: u16) -> Response {
        let mut r = Response::new(status, reason_phrase(status));
        for h in &req.headers.0 {
            if matches!(&*h.name, "Via" | "From" | "To" | "Call-ID" | "CSeq") {
                r.headers.0.push(h.clone());
            }
        }
        r
    }

    /// As [`Response::for_request`], with the copied headers in `order`
    /// rather than the request's (a server writes them its own way).
    pub fn for_request_in(req: &Request, status: u16, order: &[&str; 5]) -> Response {
        let mut r = Response::new(status, reason_phrase(status));
        for name in order {
            r.headers
                .0
                .extend(req.headers.0.iter().filter(|h| h.name == *name).cloned());
        }
        r
    }

    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.print(Printer::Plain)
    }

    /// The response as `printer` writes it.
    pub fn print(&self, printer: Printer) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len() + 40 * self.headers.0.len());
        let start = format!("SIP/2.0 {} {}\r\n", self.status, self.reason);
        out.extend_from_slice(&crate::core::raw::encode(&start));
        write_headers_and_body(&mut out, &self.headers, &self.body, printer);
        out
    }
}

/// How a UA writes what SIP leaves to it. pjsip prints each header from
/// what it parsed: From and To without the URI parts RFC 3261 (table 1)
/// keeps out of them (port, transport, ttl, maddr, lr), and the
/// Content-Length of a body right-aligned in five columns (`:  0` for
/// none). Others write the headers as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Printer {
    #[default]
    Plain,
    Pjsip,
}

/// Writes the headers, then the body. Content-Length always states the
/// body actually sent (where the header was, or appended), since a stale
/// value would desynchronise a stream peer.
fn write_headers_and_body(out: &mut Vec<u8>, headers: &Headers, body: &[u8], printer: Printer) {
    let content_length = match (printer, body.len()) {
        (Printer::Pjsip, 0) => "Content-Length:  0\r\n".to_string(),
        (Printer::Pjsip, n) => format!("Content-Length: {n:>5}\r\n"),
        (Printer::Plain, n) => format!("Content-Length: {n}\r\n"),
    };
    let mut wrote_len = false;
    for h in &headers.0 {
        if h.name == "Content-Length" {
            if wrote_len {
                continue;
            }
            wrote_len = true;
            out.extend_from_slice(content_length.as_bytes());
            continue;
        }
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        let from_to = h.name.eq_ignore_ascii_case("From") || h.name.eq_ignore_ascii_case("To");
        if printer == Printer::Pjsip && from_to {
            out.extend_from_slice(&crate::core::raw::encode(&pjsip_from_to(&h.value)));
        } else {
            out.extend_from_slice(&crate::core::raw::encode(&h.value));
        }
        out.extend_from_slice(b"\r\n");
    }
    if !wrote_len {
        out.extend_from_slice(content_length.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// A From or To value as pjsip prints it: a `sip:`/`sips:` URI without
/// its port and without the parameters a From or To may not carry; any
/// other value as it was.
fn pjsip_from_to(value: &str) -> String {
    // The URI: inside the angle brackets, or (an addr-spec) up to the
    // header's first parameter.
    let (start, end) = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => (a + 1, b),
        _ => {
            let at = value.find(|c: char| !c.is_whitespace()).unwrap_or(0);
            (at, value[at..].find(';').map_or(value.len(), |i| at + i))
        }
    };
    let uri = &value[start..end];
    let lower = uri.to_ascii_lowercase();
    let Some(rest_at) = ["sip:", "sips:"]
        .iter()
        .find(|s| lower.starts_with(**s))
        .map(|s| s.len())
    else {
        return value.to_string();
    };
    let rest = &uri[rest_at..];
    // userinfo@hostport;params?headers
    let (params_at, _) = rest
        .char_indices()
        .find(|&(_, c)| c == ';' || c == '?')
        .unwrap_or((rest.len(), ' '));
    let (userhost, tail) = rest.split_at(params_at);
    let host_at = userhost.rfind('@').map_or(0, |i| i + 1);
    let (user, hostport) = userhost.split_at(host_at);
    let host = match hostport.strip_prefix('[') {
        // An IPv6 reference: the port follows its closing bracket.
        Some(v6) => match v6.find(']') {
            Some(i) => &hostport[..i + 2],
            None => hostport,
        },
        None => hostport.split(':').next().unwrap_or(hostport),
    };
    let (params, headers) = match tail.find('?') {
        Some(i) => tail.split_at(i),
        None => (tail, ""),
    };
    let kept: String = params
        .split(';')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !matches!(name.as_str(), "transport" | "ttl" | "maddr" | "lr")
        })
        .map(|p| format!(";{p}"))
        .collect();
    format!(
        "{}{}{user}{host}{kept}{headers}{}",
        &value[..start],
        &uri[..rest_at],
        &value[end..]
    )
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.print(Printer::Plain)
    }

    /// The message as `printer` writes it.
    pub fn print(&self, printer: Printer) -> Vec<u8> {
        match self {
            Message::Request(r) => r.print(printer),
            Message::Response(r) => r.print(printer),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// The standard reason phrase for a status code (RFC 3261 §21 and the
/// common extensions), "Unknown" for others.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Unknown",
    }
}

/// A departure from the grammar that some receivers tolerate in a
/// datagram. Which ones are tolerated is the caller's policy: chan_sip lets
/// more through than pjsip does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// The datagram ended without the blank line after the headers.
    NoBlankLine,
    /// A header line without a colon; it was skipped.
    HeaderLine(String),
    /// A Content-Length that is not a number; it was ignored.
    ContentLength(String),
    /// A Content-Length beyond the end of the datagram; the body is what
    /// there is.
    BodyShort { have: usize, want: usize },
}

impl From<Defect> for ParseError {
    fn from(d: Defect) -> ParseError {
        match d {
            Defect::NoBlankLine => ParseError::Truncated,
            Defect::HeaderLine(l) => ParseError::HeaderLine(l),
            Defect::ContentLength(v) => ParseError::ContentLength(v),
            Defect::BodyShort { have, want } => ParseError::BodyTruncated { have, want },
        }
    }
}

/// Parses one message from a datagram (UDP), strictly: any [`Defect`] is
/// an error. Without Content-Length the body is the rest of the datagram
/// (RFC 3261 §18.3); bytes past a given Content-Length are discarded.
pub fn parse_datagram(buf: &[u8]) -> Result<Message, ParseError> {
    let (msg, defects) = parse_datagram_tolerant(buf)?;
    match defects.into_iter().next() {
        Some(d) => Err(d.into()),
        None => Ok(msg),
    }
}

/// Parses one message from a datagram, letting through the defects real
/// stacks meet and tolerate; they are returned beside the message.
pub fn parse_datagram_tolerant(buf: &[u8]) -> Result<(Message, Vec<Defect>), ParseError> {
    if buf.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge);
    }
    let start = skip_keepalive(buf);
    if start == buf.len() {
        return Err(ParseError::Empty);
    }
    let mut defects = Vec::new();
    let (head_len, body_start) = match find_head_end(&buf[start..]) {
        Some(ends) => ends,
        None => {
            defects.push(Defect::NoBlankLine);
            (buf.len() - start, buf.len() - start)
        }
    };
    let (mut msg, content_length) = parse_head(&buf[start..start + head_len], &mut defects)?;
    let rest = &buf[start + body_start..];
    let body = match content_length {
        Some(n) if n > rest.len() => {
            defects.push(Defect::BodyShort {
                have: rest.len(),
                want: n,
            });
            rest
        }
        Some(n) => &rest[..n],
        None => rest,
    };
    set_body(&mut msg, body);
    Ok((msg, defects))
}

/// Parses one message from the front of a stream buffer (TCP/TLS).
/// `Ok(None)` means more bytes are needed; `Ok(Some((msg, used)))` says how
/// many bytes to drop from the buffer. CRLF keepalives (RFC 5626 §3.5.1)
/// before a message are consumed with it.
pub fn parse_stream(buf: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let start = skip_keepalive(buf);
    let Some((head_len, body_start)) = find_head_end(&buf[start..]) else {
        return if buf.len() - start > MAX_MESSAGE_SIZE {
            Err(ParseError::TooLarge)
        } else {
            Ok(None)
        };
    };
    if body_start > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge);
    }
    let mut defects = Vec::new();
    let (mut msg, content_length) = parse_head(&buf[start..start + head_len], &mut defects)?;
    if let Some(d) = defects.into_iter().next() {
        return Err(d.into());
    }
    let n = content_length.ok_or(ParseError::MissingContentLength)?;
    if body_start + n > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge);
    }
    let body_at = start + body_start;
    if buf.len() < body_at + n {
        return Ok(None);
    }
    set_body(&mut msg, &buf[body_at..body_at + n]);
    Ok(Some((msg, body_at + n)))
}

fn set_body(msg: &mut Message, body: &[u8]) {
    match msg {
        Message::Request(r) => r.body = body.to_vec(),
        Message::Response(r) => r.body = body.to_vec(),
    }
}

fn skip_keepalive(buf: &[u8]) -> usize {
    buf.iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(buf.len())
}

/// Finds the blank line ending the headers: returns (length of the header
/// section without the blank line, offset of the body). Bare LF line ends
/// are tolerated, as many stacks do.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|b| *b == b'\n') {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some((nl + 1, nl + 2)),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some((nl + 1, nl + 3)),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// Parses the start line and headers; returns the message (without body)
/// and the Content-Length if a valid one was given. Tolerable defects are
/// pushed onto `defects`.
fn parse_head(
    head: &[u8],
    defects: &mut Vec<Defect>,
) -> Result<(Message, Option<usize>), ParseError> {
    // Values may carry any bytes (a Latin-1 display name), as in Asterisk.
    let head = crate::core::raw::decode(head);
    let mut lines = head
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .peekable();
    let start = lines.next().ok_or(ParseError::Empty)?;
    let mut msg = parse_start_line(start)?;
    let headers = msg.headers_mut();
    let mut content_length: Option<usize> = None;
    while let Some(line) = lines.next() {
        if line.is_empty() {
            break;
        }
        // Unfold continuation lines (RFC 3261 §7.3.1) into one value.
        let mut folded: Option<String> = None;
        while let Some(next) = lines.peek() {
            if next.starts_with([' ', '\t']) {
                let f = folded.get_or_insert_with(|| line.to_string());
                f.push(' ');
                f.push_str(next.trim_start());
                lines.next();
            } else {
                break;
            }
        }
        let line = folded.as_deref().unwrap_or(line);
        let Some((name, value)) = line.split_once(':') else {
            defects.push(Defect::HeaderLine(truncate(line)));
            continue;
        };
        let name = name.trim_end();
        if crate::core::raw::has_raw_bytes(name) {
            return Err(ParseError::NotUtf8);
        }
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseError::HeaderLine(truncate(line)));
        }
        let name = canonical_name(name);
        let value = value.trim();
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(ParseError::HeaderLine(truncate(line)));
        }
        if name == "Content-Length" {
            let n = match parse_content_length(value) {
                Ok(n) => n,
                Err(_) => {
                    defects.push(Defect::ContentLength(truncate(value)));
                    continue;
                }
            };
            if content_length.is_some_and(|old| old != n) {
                return Err(ParseError::ContentLength(value.to_string()));
            }
            content_length = Some(n);
        }
        if SPLIT_LISTS.contains(&&*name) {
            for part in split_outside_quotes(value, b',') {
                let part = part.trim();
                if !part.is_empty() {
                    push_header(headers, name.clone(), part)?;
                }
            }
        } else {
            push_header(headers, name, value)?;
        }
    }
    Ok((msg, content_length))
}

fn push_header(
    headers: &mut Headers,
    name: Cow<'static, str>,
    value: &str,
) -> Result<(), ParseError> {
    if headers.0.len() >= MAX_HEADERS {
        return Err(ParseError::TooManyHeaders);
    }
    headers.0.push(Header {
        name,
        value: value.to_string(),
    });
    Ok(())
}

fn parse_content_length(v: &str) -> Result<usize, ParseError> {
    if v.is_empty() || v.len() > 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::ContentLength(truncate(v)));
    }
    match v.parse::<usize>() {
        Ok(n) if n <= MAX_MESSAGE_SIZE => Ok(n),
        _ => Err(ParseError::ContentLength(truncate(v))),
    }
}

/// Error text carries at most 80 characters of the offending input, so a
/// hostile 60 KiB line is not copied into logs.
fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn parse_start_line(line: &str) -> Result<Message, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
        let (version, rest) = rest
            .split_once(' ')
            .ok_or_else(|| ParseError::StartLine(truncate(line)))?;
        if version != "2.0" {
            return Err(ParseError::Version(truncate(version)));
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let status = code
            .parse::<u16>()
            .ok()
            .filter(|c| code.len() == 3 && (100..=699).contains(c))
            .ok_or_else(|| ParseError::Status(truncate(code)))?;
        return Ok(Message::Response(Response::new(status, reason)));
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::StartLine(truncate(line)));
    };
    if version != "SIP/2.0" {
        return Err(ParseError::Version(truncate(version)));
    }
    let method = method.parse::<Method>()?;
    let uri = Uri::parse(uri)?;
    Ok(Message::Request(Request::new(method, uri)))
}

#[cfg(test)]
pub(crate) mod tests;
