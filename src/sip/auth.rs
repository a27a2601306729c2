//! Digest authentication (RFC 2617 / RFC 7616 with MD5, RFC 3261 §22):
//! challenge and credential headers, a nonce issuer with a lifetime
//! (expired nonces produce `stale=true`), server-side verification and
//! client-side answers for outbound REGISTER/INVITE.
//!
//! Only MD5 with `qop=auth` or no qop is supported, which is what Asterisk
//! 20 offers and accepts. Nonce counts are not tracked for replay: a nonce
//! is bounded by its lifetime instead.

use std::fmt;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::message::{Headers, Method};
use super::uri::split_outside_quotes;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("not a Digest header")]
    NotDigest,
    #[error("digest header lacks {0}")]
    MissingParam(&'static str),
    #[error("unsupported digest algorithm {0:?}")]
    Algorithm(String),
    #[error("unsupported qop {0:?}")]
    Qop(String),
}

/// Splits `Digest a=b, c="d,e"` into its parameters, unquoting values.
fn parse_params(value: &str) -> Result<Vec<(String, String)>, AuthError> {
    let value = value.trim_start();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest);
    }
    let mut out = Vec::new();
    for part in split_outside_quotes(rest, b',') {
        let Some((name, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
            None => v.to_string(),
        };
        out.push((name.trim().to_ascii_lowercase(), v));
    }
    Ok(out)
}

fn find(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// A WWW-Authenticate / Proxy-Authenticate challenge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestChallenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Option<String>,
    /// The qop options offered (`auth`, `auth-int`).
    pub qop: Vec<String>,
    pub stale: bool,
}

impl DigestChallenge {
    pub fn parse(value: &str) -> Result<DigestChallenge, AuthError> {
        let p = parse_params(value)?;
        Ok(DigestChallenge {
            realm: find(&p, "realm").ok_or(AuthError::MissingParam("realm"))?,
            nonce: find(&p, "nonce").ok_or(AuthError::MissingParam("nonce"))?,
            opaque: find(&p, "opaque"),
            algorithm: find(&p, "algorithm"),
            qop: find(&p, "qop")
                .map(|q| q.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            stale: find(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The first WWW-Authenticate (or Proxy-Authenticate if `proxy`).
    pub fn from_headers(h: &Headers, proxy: bool) -> Result<DigestChallenge, AuthError> {
        let name = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        DigestChallenge::parse(h.get(name).ok_or(AuthError::Missing(name))?)
    }
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Digest realm=\"{}\",nonce=\"{}\"",
            self.realm, self.nonce
        )?;
        if let Some(o) = &self.opaque {
            write!(f, ",opaque=\"{o}\"")?;
        }
        if self.stale {
            f.write_str(",stale=true")?;
        }
        if let Some(a) = &self.algorithm {
            write!(f, ",algorithm={a}")?;
        }
        if !self.qop.is_empty() {
            write!(f, ",qop=\"{}\"", self.qop.join(","))?;
        }
        Ok(())
    }
}

/// An Authorization / Proxy-Authorization header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestCredentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub opaque: Option<String>,
    pub qop: Option<String>,
    pub cnonce: Option<String>,
    /// Nonce count as sent: eight hex digits.
    pub nc: Option<String>,
}

impl DigestCredentials {
    pub fn parse(value: &str) -> Result<DigestCredentials, AuthError> {
        let p = parse_params(value)?;
        let need = |n: &'static str| find(&p, n).ok_or(AuthError::MissingParam(n));
        Ok(DigestCredentials {
            username: need("username")?,
            realm: need("realm")?,
            nonce: need("nonce")?,
            uri: need("uri")?,
            response: need("response")?,
            algorithm: find(&p, "algorithm"),
            opaque: find(&p, "opaque"),
            qop: find(&p, "qop"),
            cnonce: find(&p, "cnonce"),
            nc: find(&p, "nc"),
        })
    }

    pub fn from_headers(h: &Headers, proxy: bool) -> Result<DigestCredentials, AuthError> {
        let name = if proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        DigestCredentials::parse(h.get(name).ok_or(AuthError::Missing(name))?)
    }
}

impl fmt::Display for DigestCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Digest username=\"{}\",realm=\"{}\",nonce=\"{}\",uri=\"{}\",response=\"{}\"",
            self.username, self.realm, self.nonce, self.uri, self.response
        )?;
        if let Some(a) = &self.algorithm {
            write!(f, ",algorithm={a}")?;
        }
        if let Some(c) = &self.cnonce {
            write!(f, ",cnonce=\"{c}\"")?;
        }
        if let Some(o) = &self.opaque {
            write!(f, ",opaque=\"{o}\"")?;
        }
        if let Some(q) = &self.qop {
            write!(f, ",qop={q}")?;
        }
        if let Some(n) = &self.nc {
            write!(f, ",nc={n}")?;
        }
        Ok(())
    }
}

/// `ast_md5_hash` of a text.
fn md5_hex(data: &str) -> String {
    crate::funcs::md5::hex(data.as_bytes())
}

/// A stored secret: the password, or the precomputed
/// `MD5(username:realm:password)` that Asterisk's `md5_cred` holds.
#[derive(Debug, Clone, Copy)]
pub enum Secret<'a> {
    Password(&'a str),
    Ha1(&'a str),
}

fn check_algorithm(a: Option<&str>) -> Result<(), AuthError> {
    match a {
        None => Ok(()),
        Some(a) if a.eq_ignore_ascii_case("MD5") => Ok(()),
        Some(a) => Err(AuthError::Algorithm(a.to_string())),
    }
}

/// The `response` value for the given inputs (RFC 2617 §3.2.2.1).
/// `qop` is `Some((nc, cnonce))` for `qop=auth`.
pub fn digest_response(
    username: &str,
    realm: &str,
    secret: Secret<'_>,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let ha1 = match secret {
        Secret::Password(p) => md5_hex(&format!("{username}:{realm}:{p}")),
        Secret::Ha1(h) => h.to_ascii_lowercase(),
    };
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
        None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// Answers a challenge: the Authorization value for an outbound request.
/// `cnonce` should be fresh random text; `nc` counts uses of this nonce
/// (1 for the first).
pub fn authorize(
    challenge: &DigestChallenge,
    method: &Method,
    uri: &str,
    username: &str,
    secret: Secret<'_>,
    cnonce: &str,
    nc: u32,
) -> Result<DigestCredentials, AuthError> {
    check_algorithm(challenge.algorithm.as_deref())?;
    let qop = if challenge.qop.is_empty() {
        None
    } else if challenge.qop.iter().any(|q| q.eq_ignore_ascii_case("auth")) {
        Some(format!("{nc:08x}"))
    } else {
        return Err(AuthError::Qop(challenge.qop.join(",")));
    };
    let response = digest_response(
        username,
        &challenge.realm,
        secret,
        method.as_str(),
        uri,
        &challenge.nonce,
        qop.as_deref().map(|nc| (nc, cnonce)),
    );
    Ok(DigestCredentials {
        username: username.to_string(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.to_string(),
        response,
        algorithm: challenge.algorithm.clone(),
        opaque: challenge.opaque.clone(),
        cnonce: qop.as_ref().map(|_| cnonce.to_string()),
        qop: qop.as_ref().map(|_| "auth".to_string()),
        nc: qop,
    })
}

/// Issues and checks nonces of the form `<seconds>/<md5>`: the time of
/// issue since the issuer's epoch and a keyed hash of it, so no per-nonce
/// state is kept and a forged or altered nonce is detected.
#[derive(Debug, Clone)]
pub struct NonceIssuer {
    key: String,
    epoch: Instant,
    lifetime: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    Valid,
    /// Genuine but older than the lifetime: challenge again with stale=true.
    Stale,
    Invalid,
}

impl NonceIssuer {
    /// `key` must be secret random bytes from the caller (this module has
    /// no randomness of its own); `lifetime` is Asterisk's
    /// `nonce_lifetime` (default 32 s).
    pub fn new(key: &[u8], epoch: Instant, lifetime: Duration) -> NonceIssuer {
        let key = key.iter().map(|b| format!("{b:02x}")).collect();
        NonceIssuer {
            key,
            epoch,
            lifetime,
        }
    }

    pub fn issue(&self, now: Instant) -> String {
        let t = now.saturating_duration_since(self.epoch).as_secs();
        format!("{t}/{}", md5_hex(&format!("{t}:{}", self.key)))
    }

    pub fn check(&self, nonce: &str, now: Instant) -> NonceCheck {
        let Some((t, hash)) = nonce.split_once('/') else {
            return NonceCheck::Invalid;
        };
        let Ok(secs) = t.parse::<u64>() else {
            return NonceCheck::Invalid;
        };
        if !ct_eq(hash, &md5_hex(&format!("{secs}:{}", self.key))) {
            return NonceCheck::Invalid;
        }
        let age = now.saturating_duration_since(self.epoch).as_secs();
        if secs > age {
            NonceCheck::Invalid
        } else if age - secs > self.lifetime.as_secs() {
            NonceCheck::Stale
        } else {
            NonceCheck::Valid
        }
    }

    /// A challenge for `realm` with a fresh nonce, offering qop=auth as
    /// Asterisk does.
    pub fn challenge(&self, realm: &str, now: Instant, stale: bool) -> DigestChallenge {
        DigestChallenge {
            realm: realm.to_string(),
            nonce: self.issue(now),
            opaque: None,
            algorithm: Some("MD5".to_string()),
            qop: vec!["auth".to_string()],
            stale,
        }
    }
}

/// Compares without an early exit, so timing does not reveal how much of
/// a guessed response was right.
fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// The response was right for a nonce that has expired: send a new
    /// challenge with `stale=true` so the UA retries without prompting.
    Stale,
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    #[error("username does not match")]
    Username,
    #[error("realm does not match")]
    Realm,
    #[error("nonce was not issued here")]
    Nonce,
    #[error("{0}")]
    Unsupported(#[from] AuthError),
    #[error("qop=auth without cnonce or nc")]
    QopParams,
    #[error("wrong response")]
    Response,
}

/// Verifies credentials sent with `method` against the stored `secret`
/// for `username` in `realm`.
pub fn verify(
    creds: &DigestCredentials,
    method: &Method,
    username: &str,
    realm: &str,
    secret: Secret<'_>,
    nonces: &NonceIssuer,
    now: Instant,
) -> Verdict {
    let reject = |r| Verdict::Rejected(r);
    if creds.username != username {
        return reject(Rejection::Username);
    }
    if creds.realm != realm {
        return reject(Rejection::Realm);
    }
    if let Err(e) = check_algorithm(creds.algorithm.as_deref()) {
        return reject(e.into());
    }
    let qop = match creds.qop.as_deref() {
        None => None,
        Some(q) if q.eq_ignore_ascii_case("auth") => match (&creds.nc, &creds.cnonce) {
            (Some(nc), Some(c)) => Some((nc.as_str(), c.as_str())),
            _ => return reject(Rejection::QopParams),
        },
        Some(q) => return reject(AuthError::Qop(q.to_string()).into()),
    };
    let nonce_state = nonces.check(&creds.nonce, now);
    if nonce_state == NonceCheck::Invalid {
        return reject(Rejection::Nonce);
    }
    let expected = digest_response(
        username,
        realm,
        secret,
        method.as_str(),
        &creds.uri,
        &creds.nonce,
        qop,
    );
    if !ct_eq(&creds.response.to_ascii_lowercase(), &expected) {
        return reject(Rejection::Response);
    }
    match nonce_state {
        NonceCheck::Stale => Verdict::Stale,
        _ => Verdict::Accepted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5's worked example.
    #[test]
    fn rfc2617_example() {
        let r = digest_response(
            "Mufasa",
            "testrealm@host.com",
            Secret::Password("Circle Of Life"),
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b")),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
        let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
        let r2 = digest_response(
            "Mufasa",
            "testrealm@host.com",
            Secret::Ha1(&ha1),
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b")),
        );
        assert_eq!(r2, r);
    }

    #[test]
    fn header_round_trips() {
        let c = DigestChallenge::parse(
            "Digest  realm=\"asterisk\",nonce=\"1/abc\",opaque=\"o, p\",algorithm=md5,qop=\"auth,auth-int\"",
        )
        .unwrap();
        assert_eq!(c.realm, "asterisk");
        assert_eq!(c.opaque.as_deref(), Some("o, p"));
        assert_eq!(c.qop, ["auth", "auth-int"]);
        assert_eq!(DigestChallenge::parse(&c.to_string()).unwrap(), c);
        let cr = DigestCredentials::parse(
            "Digest username=\"2001\", realm=\"asterisk\", nonce=\"1/abc\", uri=\"sip:601@127.0.0.1\", response=\"0123\", cnonce=\"xyz\", nc=00000001, qop=auth",
        )
        .unwrap();
        assert_eq!(cr.nc.as_deref(), Some("00000001"));
        assert_eq!(DigestCredentials::parse(&cr.to_string()).unwrap(), cr);
        assert_eq!(
            DigestChallenge::parse("Basic realm=\"x\""),
            Err(AuthError::NotDigest)
        );
        assert_eq!(
            DigestChallenge::parse("Digest realm=\"x\""),
            Err(AuthError::MissingParam("nonce"))
        );
        assert_eq!(
            DigestCredentials::parse("Digest username=\"a\""),
            Err(AuthError::MissingParam("realm"))
        );
    }

    fn setup() -> (NonceIssuer, Instant) {
        let t0 = Instant::now();
        (
            NonceIssuer::new(b"secret-key", t0, Duration::from_secs(32)),
            t0,
        )
    }

    #[test]
    fn client_answer_verifies_and_goes_stale() {
        let (issuer, t0) = setup();
        let ch = issuer.challenge("asterisk", t0, false);
        for qop in [true, false] {
            let mut ch = ch.clone();
            if !qop {
                ch.qop.clear();
            }
            let creds = authorize(
                &ch,
                &Method::Register,
                "sip:127.0.0.1",
                "2001",
                Secret::Password("pw"),
                "c1",
                1,
            )
            .unwrap();
            assert_eq!(creds.qop.is_some(), qop);
            let verdict = |creds: &DigestCredentials, secret, at| {
                verify(
                    creds,
                    &Method::Register,
                    "2001",
                    "asterisk",
                    secret,
                    &issuer,
                    at,
                )
            };
            assert_eq!(
                verdict(&creds, Secret::Password("pw"), t0 + Duration::from_secs(5)),
                Verdict::Accepted
            );
            let ha1 = md5_hex("2001:asterisk:pw");
            assert_eq!(verdict(&creds, Secret::Ha1(&ha1), t0), Verdict::Accepted);
            assert_eq!(
                verdict(&creds, Secret::Password("wrong"), t0),
                Verdict::Rejected(Rejection::Response)
            );
            assert_eq!(
                verdict(&creds, Secret::Password("pw"), t0 + Duration::from_secs(40)),
                Verdict::Stale
            );
            // The method is part of HA2.
            assert_eq!(
                verify(
                    &creds,
                    &Method::Invite,
                    "2001",
                    "asterisk",
                    Secret::Password("pw"),
                    &issuer,
                    t0
                ),
                Verdict::Rejected(Rejection::Response)
            );
        }
    }

    #[test]
    fn rejections() {
        let (issuer, t0) = setup();
        let ch = issuer.challenge("asterisk", t0, false);
        let good = authorize(
            &ch,
            &Method::Invite,
            "sip:600@pbx",
            "2001",
            Secret::Password("pw"),
            "c",
            1,
        )
        .unwrap();
        let check = |c: &DigestCredentials| {
            verify(
                c,
                &Method::Invite,
                "2001",
                "asterisk",
                Secret::Password("pw"),
                &issuer,
                t0,
            )
        };
        let cases: Vec<(fn(&mut DigestCredentials), Rejection)> = vec![
            (|c| c.username = "2002".into(), Rejection::Username),
            (|c| c.realm = "other".into(), Rejection::Realm),
            (|c| c.nonce = "0/forged".into(), Rejection::Nonce),
            (|c| c.nonce = "garbage".into(), Rejection::Nonce),
            (|c| c.cnonce = None, Rejection::QopParams),
            (
                |c| c.algorithm = Some("SHA-256".into()),
                Rejection::Unsupported(AuthError::Algorithm("SHA-256".into())),
            ),
            (
                |c| c.qop = Some("auth-int".into()),
                Rejection::Unsupported(AuthError::Qop("auth-int".into())),
            ),
            (|c| c.uri = "sip:other".into(), Rejection::Response),
        ];
        for (mutate, want) in cases {
            let mut c = good.clone();
            mutate(&mut c);
            assert_eq!(check(&c), Verdict::Rejected(want));
        }
        // A nonce from another issuer (another key) is not ours.
        let other = NonceIssuer::new(b"other", t0, Duration::from_secs(32));
        assert_eq!(issuer.check(&other.issue(t0), t0), NonceCheck::Invalid);
        // Nor one claiming to come from the future.
        let future = issuer.issue(t0 + Duration::from_secs(100));
        assert_eq!(issuer.check(&future, t0), NonceCheck::Invalid);
        // auth-int only cannot be answered.
        let mut ch2 = ch.clone();
        ch2.qop = vec!["auth-int".into()];
        assert!(
            authorize(
                &ch2,
                &Method::Invite,
                "sip:x",
                "u",
                Secret::Password("p"),
                "c",
                1
            )
            .is_err()
        );
    }

    #[test]
    fn stale_flag_serialises() {
        let (issuer, t0) = setup();
        let ch = issuer.challenge("asterisk", t0, true);
        let text = ch.to_string();
        assert!(text.contains("stale=true"), "{text}");
        assert!(DigestChallenge::parse(&text).unwrap().stale);
    }
}
