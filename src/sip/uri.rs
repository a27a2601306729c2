//! SIP and SIPS URIs (RFC 3261 §19.1), plus `tel:` (RFC 3966) as far as
//! a user part and parameters, which is all that shows up in From/To and
//! P-Asserted-Identity in practice.
//!
//! Escaped characters are kept as received (no %XX decoding), so a URI
//! serialises back to the bytes it came from.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UriError {
    #[error("URI has no scheme")]
    NoScheme,
    #[error("unsupported URI scheme {0:?}")]
    Scheme(String),
    #[error("URI has an empty host")]
    EmptyHost,
    #[error("invalid host {0:?}")]
    Host(String),
    #[error("invalid port {0:?}")]
    Port(String),
    #[error("invalid character {0:?} in URI")]
    Char(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, kept with the case it was received in.
    Domain(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl Host {
    /// Parses a host as it appears in a URI or Via sent-by: IPv6
    /// references must be bracketed there (RFC 3261 §25.1 `IPv6reference`).
    pub fn parse(s: &str) -> Result<Host, UriError> {
        if s.is_empty() {
            return Err(UriError::EmptyHost);
        }
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| UriError::Host(s.to_string()))?;
            return Ipv6Addr::from_str(inner)
                .map(Host::V6)
                .map_err(|_| UriError::Host(s.to_string()));
        }
        if let Ok(v4) = Ipv4Addr::from_str(s) {
            return Ok(Host::V4(v4));
        }
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            Ok(Host::Domain(s.to_string()))
        } else {
            Err(UriError::Host(s.to_string()))
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// One `;name[=value]` parameter. Values keep their quotes if they had any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
}

/// An ordered parameter list; order is kept so serialising is faithful.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// `Some(None)` for a flag parameter (`;lr`), `Some(Some(v))` for a
    /// valued one, `None` when absent. Names compare case-insensitively
    /// (RFC 3261 §7.3.1).
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref())
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Replaces the parameter's value in place, or appends it.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_string);
        match self
            .0
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => p.value = value,
            None => self.0.push(Param {
                name: name.to_string(),
                value,
            }),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
    }

    /// Parses `;a=1;b;c="x;y"` (the leading `;` already stripped or not).
    /// Quoted values may hold `;`, which is why this is not a plain split.
    pub(crate) fn parse(s: &str) -> Params {
        let mut out = Vec::new();
        for piece in split_outside_quotes(s, b';') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            match piece.split_once('=') {
                Some((n, v)) => out.push(Param {
                    name: n.trim().to_string(),
                    value: Some(v.trim().to_string()),
                }),
                None => out.push(Param {
                    name: piece.to_string(),
                    value: None,
                }),
            }
        }
        Params(out)
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match &p.value {
                Some(v) => write!(f, ";{}={}", p.name, v)?,
                None => write!(f, ";{}", p.name)?,
            }
        }
        Ok(())
    }
}

/// Splits on `sep` where it is outside `"..."` (with `\` escapes) and
/// outside `<...>`, the two places RFC 3261 lets separators hide.
pub(crate) fn split_outside_quotes(s: &str, sep: u8) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut in_quote, mut in_angle, mut escaped) = (0, false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quote = false;
            }
            continue;
        }
        match b {
            b'"' => in_quote = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            _ if b == sep && !in_angle => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uri {
    pub scheme: Scheme,
    pub user: Option<String>,
    pub password: Option<String>,
    /// For `tel:` URIs this is an empty domain; the number is in `user`.
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
    /// `?name=value&...`, kept in order.
    pub headers: Vec<(String, String)>,
}

impl Uri {
    /// A `sip:` URI for `user@host[:port]`, the common case when building
    /// requests.
    pub fn sip(user: Option<&str>, host: Host, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_string),
            password: None,
            host,
            port,
            params: Params::default(),
            headers: Vec::new(),
        }
    }

    pub fn parse(s: &str) -> Result<Uri, UriError> {
        if let Some(c) = s
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
        {
            return Err(UriError::Char(c));
        }
        let (scheme, rest) = s.split_once(':').ok_or(UriError::NoScheme)?;
        let scheme = if scheme.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            return Err(UriError::Scheme(scheme.to_string()));
        };
        let (rest, headers) = match rest.split_once('?') {
            Some((r, h)) => (r, parse_uri_headers(h)),
            None => (rest, Vec::new()),
        };
        let (main, params) = match rest.split_once(';') {
            Some((m, p)) => (m, Params::parse(p)),
            None => (rest, Params::default()),
        };
        if scheme == Scheme::Tel {
            return Ok(Uri {
                scheme,
                user: Some(main.to_string()),
                password: None,
                host: Host::Domain(String::new()),
                port: None,
                params,
                headers,
            });
        }
        // The userinfo ends at the last '@': '@' is not allowed unescaped in
        // the host, but some UAs leave it unescaped in the user part.
        let (userinfo, hostport) = match main.rfind('@') {
            Some(i) => (Some(&main[..i]), &main[i + 1..]),
            None => (None, main),
        };
        let (user, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
                None => (Some(ui.to_string()), None),
            },
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport)?;
        Ok(Uri {
            scheme,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }
}

/// Splits `host[:port]`, where host may be a bracketed IPv6 reference.
pub(crate) fn split_host_port(s: &str) -> Result<(Host, Option<u16>), UriError> {
    let (host, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(end) => {
                let after = &s[end + 1..];
                let port = match after.strip_prefix(':') {
                    Some(p) => Some(p),
                    None if after.is_empty() => None,
                    None => return Err(UriError::Host(s.to_string())),
                };
                (&s[..=end], port)
            }
            None => return Err(UriError::Host(s.to_string())),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| UriError::Port(p.to_string()))?,
        ),
        None => None,
    };
    Ok((Host::parse(host)?, port))
}

fn parse_uri_headers(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Uri, UriError> {
        Uri::parse(s)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.scheme.as_str())?;
        if self.scheme == Scheme::Tel {
            if let Some(u) = &self.user {
                f.write_str(u)?;
            }
        } else {
            if let Some(u) = &self.user {
                f.write_str(u)?;
                if let Some(p) = &self.password {
                    write!(f, ":{p}")?;
                }
                f.write_str("@")?;
            }
            write!(f, "{}", self.host)?;
            if let Some(p) = self.port {
                write!(f, ":{p}")?;
            }
        }
        write!(f, "{}", self.params)?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{n}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_table() {
        // input, user, password, host, port, params, headers, serialised
        let cases: &[(&str, Option<&str>, Option<&str>, &str, Option<u16>, &str)] = &[
            (
                "sip:601@127.0.0.1:5070",
                Some("601"),
                None,
                "127.0.0.1",
                Some(5070),
                "",
            ),
            (
                "sip:127.0.0.1:5070",
                None,
                None,
                "127.0.0.1",
                Some(5070),
                "",
            ),
            (
                "sips:alice:secret@atlanta.com;transport=tcp",
                Some("alice"),
                Some("secret"),
                "atlanta.com",
                None,
                ";transport=tcp",
            ),
            (
                "sip:bob@[2001:db8::10]:5061;lr",
                Some("bob"),
                None,
                "[2001:db8::10]",
                Some(5061),
                ";lr",
            ),
            ("sip:[::1]", None, None, "[::1]", None, ""),
            (
                "SIP:Alice@Example.COM",
                Some("Alice"),
                None,
                "Example.COM",
                None,
                "",
            ),
            (
                "sip:+1%20212@gw.example.com;user=phone",
                Some("+1%20212"),
                None,
                "gw.example.com",
                None,
                ";user=phone",
            ),
            (
                "tel:+1-201-555-0123;phone-context=example.com",
                Some("+1-201-555-0123"),
                None,
                "",
                None,
                ";phone-context=example.com",
            ),
        ];
        for &(input, user, pass, host, port, params) in cases {
            let u = Uri::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(u.user.as_deref(), user, "{input}");
            assert_eq!(u.password.as_deref(), pass, "{input}");
            assert_eq!(u.host.to_string(), host, "{input}");
            assert_eq!(u.port, port, "{input}");
            assert_eq!(u.params.to_string(), params, "{input}");
            let again = Uri::parse(&u.to_string()).unwrap();
            assert_eq!(again, u, "{input} round trip");
        }
    }

    #[test]
    fn uri_headers_round_trip() {
        let u = Uri::parse("sip:bob@b.com?subject=project&priority=urgent").unwrap();
        assert_eq!(u.headers.len(), 2);
        assert_eq!(
            u.to_string(),
            "sip:bob@b.com?subject=project&priority=urgent"
        );
    }

    #[test]
    fn uri_errors() {
        for bad in [
            "601@127.0.0.1",
            "http://x",
            "sip:",
            "sip:a@b:99999",
            "sip:a@b:x",
            "sip:[::1",
            "sip:a b@c",
            "sip:a@b c",
            "sip:[zz::1]",
            "sip:a@ho$t",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
