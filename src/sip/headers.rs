//! Typed views of the headers the transaction and dialog layers read:
//! Via, name-addr (From/To/Contact/Route/Record-Route) and CSeq.
//!
//! Messages keep header values as text; these types are parsed on demand
//! by the accessors on [`crate::sip::message::Headers`], so a proxy-like
//! path that only needs the top Via never parses the rest.

use std::fmt;

use thiserror::Error;

use super::message::Method;
use super::uri::{Host, Params, Uri, UriError, split_host_port};

/// The magic cookie that marks an RFC 3261 branch (§8.1.1.7); only such
/// branches are trusted to identify a transaction on their own.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("invalid {header} header: {reason}")]
    Invalid {
        header: &'static str,
        reason: String,
    },
    #[error("invalid URI in {header} header: {source}")]
    Uri {
        header: &'static str,
        source: UriError,
    },
}

fn invalid(header: &'static str, reason: impl Into<String>) -> HeaderError {
    HeaderError::Invalid {
        header,
        reason: reason.into(),
    }
}

/// One Via entry (RFC 3261 §20.42).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// `SIP/2.0`, kept for faithful serialising.
    pub protocol: String,
    /// The transport token as received (`UDP`, `TCP`, `TLS`, `WS`, `WSS`).
    pub transport: String,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn new(transport: &str, host: Host, port: Option<u16>) -> Via {
        Via {
            protocol: "SIP/2.0".to_string(),
            transport: transport.to_string(),
            host,
            port,
            params: Params::default(),
        }
    }

    pub fn parse(s: &str) -> Result<Via, HeaderError> {
        let s = s.trim();
        // sent-protocol allows LWS around each '/' (RFC 3261 §25.1 SLASH).
        let mut parts = s.splitn(3, '/');
        let name = parts.next().unwrap_or("").trim();
        let version = parts.next().ok_or_else(|| invalid("Via", "no version"))?;
        let rest = parts
            .next()
            .ok_or_else(|| invalid("Via", "no transport"))?
            .trim_start();
        let tend = rest
            .find(|c: char| c.is_whitespace())
            .ok_or_else(|| invalid("Via", "no sent-by"))?;
        let transport = &rest[..tend];
        let rest = rest[tend..].trim_start();
        let (sent_by, params) = match rest.split_once(';') {
            Some((h, p)) => (h.trim(), Params::parse(p)),
            None => (rest.trim(), Params::default()),
        };
        if name.is_empty() || transport.is_empty() {
            return Err(invalid("Via", "empty protocol"));
        }
        let (host, port) = split_host_port(sent_by).map_err(|source| HeaderError::Uri {
            header: "Via",
            source,
        })?;
        Ok(Via {
            protocol: format!("{}/{}", name, version.trim()),
            transport: transport.to_string(),
            host,
            port,
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    pub fn received(&self) -> Option<&str> {
        self.params.value("received")
    }

    /// `None` when absent, `Some(None)` for a bare `;rport` request
    /// (RFC 3581), `Some(Some(port))` once filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// `host[:port]` as written.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{}", self.host, p),
            None => self.host.to_string(),
        }
    }

    /// Whether the branch carries the RFC 3261 magic cookie.
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(BRANCH_COOKIE))
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} {}{}",
            self.protocol,
            self.transport,
            self.sent_by(),
            self.params
        )
    }
}

/// A name-addr or addr-spec with header parameters (RFC 3261 §20.10):
/// From, To, Contact, Route, Record-Route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name without quotes or escapes, if any.
    pub display_name: Option<String>,
    pub uri: Uri,
    /// Header parameters (`tag`, `expires`, `q`...), not URI parameters.
    pub params: Params,
    /// Whether the URI was in `<...>`. Serialising always uses brackets
    /// when there are URI parameters, since without them they would read
    /// as header parameters.
    pub angle: bool,
}

impl NameAddr {
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::default(),
            angle: true,
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    pub fn parse(header: &'static str, s: &str) -> Result<NameAddr, HeaderError> {
        let s = s.trim();
        let uri_err = |source| HeaderError::Uri { header, source };
        let (display_name, rest) = if let Some(q) = s.strip_prefix('"') {
            let (name, after) =
                take_quoted(q).ok_or_else(|| invalid(header, "unterminated quote"))?;
            (Some(name), after.trim_start())
        } else if let Some(lt) = s.find('<') {
            let name = s[..lt].trim();
            ((!name.is_empty()).then(|| name.to_string()), &s[lt..])
        } else {
            (None, s)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let end = inner
                .find('>')
                .ok_or_else(|| invalid(header, "unterminated '<'"))?;
            let uri = Uri::parse(inner[..end].trim()).map_err(uri_err)?;
            let after = inner[end + 1..].trim();
            let params = match after.strip_prefix(';') {
                Some(p) => Params::parse(p),
                None if after.is_empty() => Params::default(),
                None => return Err(invalid(header, "text after '>'")),
            };
            Ok(NameAddr {
                display_name,
                uri,
                params,
                angle: true,
            })
        } else {
            if display_name.is_some() {
                return Err(invalid(header, "display name without <URI>"));
            }
            // addr-spec: everything after the first ';' is a header param.
            let (u, p) = match rest.split_once(';') {
                Some((u, p)) => (u, Params::parse(p)),
                None => (rest, Params::default()),
            };
            Ok(NameAddr {
                display_name: None,
                uri: Uri::parse(u.trim()).map_err(uri_err)?,
                params: p,
                angle: false,
            })
        }
    }
}

/// Reads a quoted-string body (after the opening quote), returning the
/// unescaped text and what follows the closing quote.
fn take_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 1..])),
            _ => out.push(c),
        }
    }
    None
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            f.write_str("\"")?;
            for c in d.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\" ")?;
        }
        let angle = self.angle
            || self.display_name.is_some()
            || !self.uri.params.0.is_empty()
            || !self.uri.headers.is_empty();
        if angle {
            write!(f, "<{}>{}", self.uri, self.params)
        } else {
            write!(f, "{}{}", self.uri, self.params)
        }
    }
}

/// CSeq (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(s: &str) -> Result<CSeq, HeaderError> {
        let mut it = s.split_whitespace();
        let seq = it
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            // RFC 3261 §8.1.1.5: the number must be less than 2**31.
            .filter(|n| *n < 1 << 31)
            .ok_or_else(|| invalid("CSeq", "bad sequence number"))?;
        let method = it
            .next()
            .ok_or_else(|| invalid("CSeq", "no method"))?
            .parse::<Method>()
            .map_err(|_| invalid("CSeq", "bad method"))?;
        if it.next().is_some() {
            return Err(invalid("CSeq", "trailing text"));
        }
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_table() {
        // input, transport, sent-by, branch, received, rport
        let cases: &[(
            &str,
            &str,
            &str,
            Option<&str>,
            Option<&str>,
            Option<Option<u16>>,
        )] = &[
            (
                "SIP/2.0/UDP 127.0.0.1:5076;branch=z9hG4bK-12202-1-0",
                "UDP",
                "127.0.0.1:5076",
                Some("z9hG4bK-12202-1-0"),
                None,
                None,
            ),
            (
                "SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bKPj7f",
                "UDP",
                "127.0.0.1:5070",
                Some("z9hG4bKPj7f"),
                None,
                Some(None),
            ),
            (
                "SIP/2.0/UDP 127.0.0.1:5076;rport=5076;received=127.0.0.1;branch=z9hG4bK1",
                "UDP",
                "127.0.0.1:5076",
                Some("z9hG4bK1"),
                Some("127.0.0.1"),
                Some(Some(5076)),
            ),
            (
                "SIP / 2.0 / TCP  [2001:db8::1]:5060 ; branch=z9hG4bKx",
                "TCP",
                "[2001:db8::1]:5060",
                Some("z9hG4bKx"),
                None,
                None,
            ),
            (
                "SIP/2.0/TLS pbx.example.com",
                "TLS",
                "pbx.example.com",
                None,
                None,
                None,
            ),
        ];
        for &(input, transport, sent_by, branch, received, rport) in cases {
            let v = Via::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(v.transport, transport, "{input}");
            assert_eq!(v.sent_by(), sent_by, "{input}");
            assert_eq!(v.branch(), branch, "{input}");
            assert_eq!(v.received(), received, "{input}");
            assert_eq!(v.rport(), rport, "{input}");
            assert_eq!(Via::parse(&v.to_string()).unwrap(), v, "{input}");
        }
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/2.0 host",
            "SIP/2.0/UDP host:port",
            "SIP/2.0/UDP [::1",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn name_addr_table() {
        // input, display name, uri, tag, serialised
        let cases: &[(&str, Option<&str>, &str, Option<&str>, &str)] = &[
            (
                "\"2001\" <sip:2001@127.0.0.1:5076>;tag=12202SIPpTag001",
                Some("2001"),
                "sip:2001@127.0.0.1:5076",
                Some("12202SIPpTag001"),
                "\"2001\" <sip:2001@127.0.0.1:5076>;tag=12202SIPpTag001",
            ),
            (
                "<sip:601@127.0.0.1:5070>",
                None,
                "sip:601@127.0.0.1:5070",
                None,
                "<sip:601@127.0.0.1:5070>",
            ),
            (
                "Bob <sip:bob@biloxi.com>;tag=a6c85cf",
                Some("Bob"),
                "sip:bob@biloxi.com",
                Some("a6c85cf"),
                "\"Bob\" <sip:bob@biloxi.com>;tag=a6c85cf",
            ),
            (
                "sip:carol@chicago.com;tag=88",
                None,
                "sip:carol@chicago.com",
                Some("88"),
                "sip:carol@chicago.com;tag=88",
            ),
            (
                "\"A \\\"q\\\" <x>\" <sip:a@b>",
                Some("A \"q\" <x>"),
                "sip:a@b",
                None,
                "\"A \\\"q\\\" <x>\" <sip:a@b>",
            ),
            (
                "<sip:p1.example.com;lr>",
                None,
                "sip:p1.example.com;lr",
                None,
                "<sip:p1.example.com;lr>",
            ),
        ];
        for &(input, display, uri, tag, out) in cases {
            let n = NameAddr::parse("From", input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(n.display_name.as_deref(), display, "{input}");
            assert_eq!(n.uri.to_string(), uri, "{input}");
            assert_eq!(n.tag(), tag, "{input}");
            assert_eq!(n.to_string(), out, "{input}");
        }
        for bad in [
            "\"unterminated <sip:a@b>",
            "<sip:a@b",
            "Name sip:a@b",
            "<sip:a@b> junk",
            "<mailto:a@b>",
        ] {
            assert!(NameAddr::parse("To", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cseq_table() {
        assert_eq!(
            CSeq::parse("28247 BYE").unwrap(),
            CSeq {
                seq: 28247,
                method: Method::Bye
            }
        );
        assert_eq!(CSeq::parse("  1   INVITE ").unwrap().seq, 1);
        for bad in [
            "",
            "INVITE",
            "1",
            "x INVITE",
            "2147483648 INVITE",
            "1 INVITE x",
            "-1 BYE",
        ] {
            assert!(CSeq::parse(bad).is_err(), "{bad:?}");
        }
    }
}
