//! Registrations kept in AstDB, in the layouts Asterisk 20 keeps them, so
//! they outlive a restart (and an Asterisk on the same database reads
//! ours back):
//!
//! - chan_sip: family `SIP/Registry`, key the peer's name, value
//!   `<addr>:<port>:<expiry seconds>:<username>:<contact URI>`. The
//!   expiry is the granted duration, not a time: at load a peer's
//!   registration comes back for that long again (plus chan_sip's ten
//!   seconds' grace), whatever time passed.
//! - pjsip: res_pjsip's sorcery astdb backend, family `registrar`, key
//!   `contact/<aor>;@<md5 of the URI>`, value the contact object's fields as
//!   a JSON object, `expiration_time` in Unix seconds. A contact past it is
//!   dropped at load.
//!
//! Layouts captured from 20.20.1:
//! `golden/asterisk-20.20.1/sip/astdb_registrations.*`. A value that does
//! not parse is logged and skipped.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::endpoint::Endpoint;
use super::endpoint::Flavor;
use super::registrar::{Binding, Changes, Registrar};
use crate::config::views::pjsip::Aor;
use crate::core::System;

pub const CHAN_SIP_FAMILY: &str = "SIP/Registry";
pub const PJSIP_FAMILY: &str = "registrar";

/// chan_sip keeps a registration this long past its expiry.
pub const CHAN_SIP_GRACE: u32 = 10;

/// The user part of a SIP URI (`sip:1001@host` → `1001`), empty if none.
fn uri_user(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    rest.split_once('@').map_or("", |(u, _)| u)
}

/// `addr:port` as Asterisk prints a socket address (IPv6 in brackets).
fn sockaddr(a: SocketAddr) -> String {
    a.to_string()
}

/// chan_sip's `SIP/Registry` value of a peer's binding.
pub fn chan_sip_value(b: &Binding) -> String {
    format!(
        "{}:{}:{}:{}",
        sockaddr(b.target),
        b.expiry,
        uri_user(&b.uri),
        b.uri
    )
}

/// One `SIP/Registry` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChanSipEntry {
    pub addr: SocketAddr,
    pub expiry: u32,
    pub username: String,
    pub contact: String,
}

/// Reads a `SIP/Registry` value: `addr:port:expiry:username:contact`, the
/// contact taking the rest (its own colons included).
pub fn parse_chan_sip(value: &str) -> Option<ChanSipEntry> {
    // An IPv6 address is bracketed; its colons are not separators.
    let (addr, rest) = if value.starts_with('[') {
        let end = value.find(']')?;
        let (host, rest) = value.split_at(end + 1);
        let (port, rest) = rest.strip_prefix(':')?.split_once(':')?;
        (format!("{host}:{port}"), rest)
    } else {
        let mut it = value.splitn(3, ':');
        let host = it.next()?;
        let port = it.next()?;
        (format!("{host}:{port}"), it.next()?)
    };
    let addr: SocketAddr = addr.parse().ok()?;
    let mut it = rest.splitn(3, ':');
    let expiry = it.next()?.trim().parse::<u32>().ok()?;
    let username = it.next().unwrap_or("").to_string();
    let contact = it.next().unwrap_or("").to_string();
    Some(ChanSipEntry {
        addr,
        expiry,
        username,
        contact,
    })
}

/// A registered contact's sorcery id: `<aor>;@<md5 of its URI>`.
pub fn pjsip_contact_id(aor: &str, uri: &str) -> String {
    format!("{aor};@{}", crate::funcs::md5::hex(uri.as_bytes()))
}

/// Its key in the `registrar` family.
pub fn pjsip_key(aor: &str, uri: &str) -> String {
    format!("contact/{}", pjsip_contact_id(aor, uri))
}

/// The AOR's options a contact copies when it is created.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactDefaults {
    pub qualify_frequency: u32,
    pub qualify_timeout: f64,
    pub qualify_2xx_only: bool,
    pub authenticate_qualify: bool,
    pub outbound_proxy: String,
}

impl Default for ContactDefaults {
    fn default() -> Self {
        ContactDefaults {
            qualify_frequency: 0,
            qualify_timeout: 3.0,
            qualify_2xx_only: false,
            authenticate_qualify: false,
            outbound_proxy: String::new(),
        }
    }
}

impl ContactDefaults {
    pub fn from_aor(aor: &Aor) -> ContactDefaults {
        let opt = |name: &str| {
            aor.options
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
        };
        let flag = |name: &str| opt(name).is_some_and(crate::config::is_true);
        ContactDefaults {
            qualify_frequency: aor.qualify_frequency,
            qualify_timeout: opt("qualify_timeout")
                .and_then(|v| v.parse().ok())
                .unwrap_or(3.0),
            qualify_2xx_only: flag("qualify_2xx_only"),
            authenticate_qualify: flag("authenticate_qualify"),
            outbound_proxy: opt("outbound_proxy").unwrap_or("").to_string(),
        }
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The JSON value res_pjsip stores for a registered contact, its fields in
/// the order 20.20.1 writes them.
pub fn pjsip_value(
    b: &Binding,
    endpoint: &str,
    defaults: &ContactDefaults,
    expiration_time: i64,
) -> String {
    let yes_no = |v: bool| if v { "yes" } else { "no" };
    let fields: [(&str, String); 15] = [
        ("via_addr", b.via.0.clone()),
        (
            "qualify_timeout",
            format!("{:.6}", defaults.qualify_timeout),
        ),
        ("qualify_2xx_only", defaults.qualify_2xx_only.to_string()),
        ("call_id", b.call_id.clone()),
        ("reg_server", String::new()),
        ("prune_on_boot", "no".into()),
        ("path", String::new()),
        ("endpoint", endpoint.to_string()),
        ("via_port", b.via.1.to_string()),
        (
            "authenticate_qualify",
            yes_no(defaults.authenticate_qualify).into(),
        ),
        ("uri", b.uri.clone()),
        ("qualify_frequency", defaults.qualify_frequency.to_string()),
        ("user_agent", b.user_agent.clone()),
        ("expiration_time", expiration_time.to_string()),
        ("outbound_proxy", defaults.outbound_proxy.clone()),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// What a stored pjsip contact says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PjsipEntry {
    pub aor: String,
    pub uri: String,
    pub endpoint: String,
    pub via_addr: String,
    pub via_port: u16,
    pub call_id: String,
    pub user_agent: String,
    pub expiration_time: i64,
}

/// Reads a `registrar` entry (key without the family, value).
pub fn parse_pjsip(key: &str, value: &str) -> Option<PjsipEntry> {
    let id = key.strip_prefix("contact/")?;
    let (aor, _) = id.split_once(";@")?;
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(value).ok()?;
    let s = |name: &str| obj.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let uri = s("uri").to_string();
    if uri.is_empty() {
        return None;
    }
    Some(PjsipEntry {
        aor: aor.to_string(),
        uri,
        endpoint: s("endpoint").to_string(),
        via_addr: s("via_addr").to_string(),
        via_port: s("via_port").parse().unwrap_or(0),
        call_id: s("call_id").to_string(),
        user_agent: s("user_agent").to_string(),
        expiration_time: s("expiration_time").trim().parse().ok()?,
    })
}

/// `host:port` when host is an IP literal.
fn literal_addr(host: &str, port: u16) -> Option<SocketAddr> {
    let ip: std::net::IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

/// Where a URI's host and port point, if it names an IP literal.
fn uri_addr(uri: &str) -> Option<SocketAddr> {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = hostport.split([';', '?', '>']).next().unwrap_or("");
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, tail) = v6.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => 5060,
        };
        return literal_addr(host, port);
    }
    match hostport.split_once(':') {
        Some((h, p)) => literal_addr(h, p.parse().ok()?),
        None => literal_addr(hostport, 5060),
    }
}

/// A registration the store could not keep: Asterism's words, from where
/// each driver writes a registration to the AstDB.
fn warn(sys: &System, flavor: Flavor, what: &str) {
    let site = match flavor {
        Flavor::ChanSip => crate::site!("chan_sip.c", 0, "update_peer"),
        Flavor::Pjsip => crate::site!("res_sorcery_astdb.c", 0, "sorcery_astdb_create"),
    };
    sys.pbx.logger.warning(site, None, what);
}

/// Writes what a REGISTER (or an expiry) changed of `aor`.
/// `touched`: the bindings this request set, stored afresh.
pub fn persist(
    sys: &System,
    flavor: Flavor,
    ep: &Endpoint,
    aor: &str,
    changes: &Changes,
    unix_now: i64,
) {
    let db = &sys.db;
    let result = match flavor {
        Flavor::ChanSip => match changes.current.last() {
            Some(b) => db.put(CHAN_SIP_FAMILY, &ep.name, &chan_sip_value(b)),
            None if !changes.removed.is_empty() => db.del(CHAN_SIP_FAMILY, &ep.name),
            None => Ok(()),
        },
        Flavor::Pjsip => {
            let defaults = sys
                .loaded()
                .pjsip
                .aor(aor)
                .map(ContactDefaults::from_aor)
                .unwrap_or_default();
            let mut r = Ok(());
            for b in &changes.removed {
                if !changes.current.iter().any(|c| c.uri == b.uri) {
                    r = r.and(db.del(PJSIP_FAMILY, &pjsip_key(aor, &b.uri)));
                }
            }
            for b in &changes.touched {
                let value = pjsip_value(b, &ep.name, &defaults, unix_now + i64::from(b.expiry));
                r = r.and(db.put(PJSIP_FAMILY, &pjsip_key(aor, &b.uri), &value));
            }
            r
        }
    };
    if let Err(e) = result {
        warn(
            sys,
            flavor,
            &format!("Unable to store the registration of '{aor}': {e}"),
        );
    }
}

/// A registration brought back from AstDB.
#[derive(Debug, Clone)]
pub struct Restored {
    pub endpoint: Endpoint,
    pub aor: String,
    pub binding: Binding,
}

/// Loads the stored registrations of `flavor`'s endpoints into the
/// registrar. Expired pjsip contacts are deleted; entries of peers or AORs
/// no longer configured are left alone, as Asterisk leaves them.
pub fn restore(
    sys: &System,
    flavor: Flavor,
    endpoints: &[Endpoint],
    registrar: &mut Registrar,
    now: Instant,
    unix_now: i64,
) -> Vec<Restored> {
    let family = match flavor {
        Flavor::ChanSip => CHAN_SIP_FAMILY,
        Flavor::Pjsip => PJSIP_FAMILY,
    };
    let entries = match sys.db.gettree(family, "") {
        Ok(e) => e,
        Err(e) => {
            warn(sys, flavor, &format!("Unable to read {family}: {e}"));
            return Vec::new();
        }
    };
    let prefix = format!("/{family}/");
    let mut out = Vec::new();
    for entry in entries {
        let Some(key) = entry.key.strip_prefix(&prefix) else {
            continue;
        };
        match flavor {
            Flavor::ChanSip => {
                let Some(ep) = endpoints.iter().find(|e| e.name == key && e.dynamic) else {
                    continue;
                };
                let Some(v) = parse_chan_sip(&entry.value) else {
                    warn(
                        sys,
                        flavor,
                        &format!("Ignoring corrupt SIP/Registry entry for '{key}'"),
                    );
                    continue;
                };
                let grace = u64::from(v.expiry) + u64::from(CHAN_SIP_GRACE);
                let binding = Binding {
                    uri: v.contact,
                    source: v.addr,
                    target: v.addr,
                    via: (v.addr.ip().to_string(), v.addr.port()),
                    over_tcp: false,
                    expiry: v.expiry,
                    expires_at: now + Duration::from_secs(grace),
                    user_agent: String::new(),
                    call_id: String::new(),
                    cseq: 0,
                };
                registrar.restore(key, binding.clone());
                out.push(Restored {
                    endpoint: ep.clone(),
                    aor: key.to_string(),
                    binding,
                });
            }
            Flavor::Pjsip => {
                if !key.starts_with("contact/") {
                    continue;
                }
                let Some(v) = parse_pjsip(key, &entry.value) else {
                    warn(
                        sys,
                        flavor,
                        &format!("Ignoring corrupt registrar entry '{key}'"),
                    );
                    continue;
                };
                if v.expiration_time <= unix_now {
                    if let Err(e) = sys.db.del(PJSIP_FAMILY, key) {
                        warn(sys, flavor, &format!("Unable to delete {key}: {e}"));
                    }
                    continue;
                }
                let Some(ep) = endpoints
                    .iter()
                    .find(|e| e.name == v.endpoint && e.aors.contains(&v.aor))
                    .or_else(|| endpoints.iter().find(|e| e.aors.contains(&v.aor)))
                else {
                    continue;
                };
                let left = u64::try_from(v.expiration_time - unix_now).unwrap_or(0);
                let via_addr = literal_addr(&v.via_addr, v.via_port);
                let target = uri_addr(&v.uri).or(via_addr);
                let Some(target) = target else {
                    warn(
                        sys,
                        flavor,
                        &format!("Ignoring registrar entry '{key}': no address to reach"),
                    );
                    continue;
                };
                let binding = Binding {
                    uri: v.uri,
                    source: via_addr.unwrap_or(target),
                    target,
                    via: (v.via_addr, v.via_port),
                    over_tcp: false,
                    expiry: u32::try_from(left).unwrap_or(u32::MAX),
                    expires_at: now + Duration::from_secs(left),
                    user_agent: v.user_agent,
                    call_id: v.call_id,
                    cseq: 0,
                };
                registrar.restore(&v.aor, binding.clone());
                out.push(Restored {
                    endpoint: ep.clone(),
                    aor: v.aor,
                    binding,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> Binding {
        let a: SocketAddr = "127.0.0.1:5063".parse().unwrap();
        Binding {
            uri: "sip:2001@127.0.0.1:5063".into(),
            source: a,
            target: a,
            via: ("127.0.0.1".into(), 5063),
            over_tcp: false,
            expiry: 120,
            expires_at: Instant::now(),
            user_agent: "SIPp".into(),
            call_id: "1-15880@127.0.0.1".into(),
            cseq: 2,
        }
    }

    #[test]
    fn chan_sip_layout_as_20_20_1() {
        let mut b = binding();
        b.uri = "sip:1001@127.0.0.1:5063".into();
        // golden/asterisk-20.20.1/sip/astdb_registrations.chan_sip.txt
        assert_eq!(
            chan_sip_value(&b),
            "127.0.0.1:5063:120:1001:sip:1001@127.0.0.1:5063"
        );
        let e = parse_chan_sip("127.0.0.1:5063:120:1001:sip:1001@127.0.0.1:5063").unwrap();
        assert_eq!(e.addr, "127.0.0.1:5063".parse().unwrap());
        assert_eq!(e.expiry, 120);
        assert_eq!(e.username, "1001");
        assert_eq!(e.contact, "sip:1001@127.0.0.1:5063");
        let v6 = parse_chan_sip("[::1]:5063:60:u:sip:u@[::1]:5063").unwrap();
        assert_eq!(v6.addr, "[::1]:5063".parse().unwrap());
        assert_eq!(v6.contact, "sip:u@[::1]:5063");
    }

    #[test]
    fn corrupt_chan_sip_values_are_refused() {
        for v in [
            "",
            "garbage",
            "127.0.0.1",
            "127.0.0.1:5063",
            "127.0.0.1:x:120:u:c",
            "127.0.0.1:5063:soon:u:c",
            "[::1:5063:60:u:c",
            "999.0.0.1:5063:60:u:c",
        ] {
            assert_eq!(parse_chan_sip(v), None, "{v}");
        }
    }

    #[test]
    fn pjsip_layout_as_20_20_1() {
        assert_eq!(
            pjsip_key("2001", "sip:2001@127.0.0.1:5063"),
            "contact/2001;@a56ce1eb2927ef443b17adb34e37587c"
        );
        let v = pjsip_value(&binding(), "2001", &ContactDefaults::default(), 1795367384);
        assert_eq!(
            v,
            r#"{"via_addr":"127.0.0.1","qualify_timeout":"3.000000","qualify_2xx_only":"false","call_id":"1-15880@127.0.0.1","reg_server":"","prune_on_boot":"no","path":"","endpoint":"2001","via_port":"5063","authenticate_qualify":"no","uri":"sip:2001@127.0.0.1:5063","qualify_frequency":"0","user_agent":"SIPp","expiration_time":"1795367384","outbound_proxy":""}"#
        );
        let e = parse_pjsip("contact/2001;@a56ce1eb2927ef443b17adb34e37587c", &v).unwrap();
        assert_eq!(e.aor, "2001");
        assert_eq!(e.uri, "sip:2001@127.0.0.1:5063");
        assert_eq!(e.endpoint, "2001");
        assert_eq!(e.via_port, 5063);
        assert_eq!(e.expiration_time, 1795367384);
        assert_eq!(e.user_agent, "SIPp");
    }

    #[test]
    fn pjsip_value_escapes_what_json_needs() {
        let mut b = binding();
        b.user_agent = "a \"quoted\"\\agent\u{1}".into();
        let v = pjsip_value(&b, "2001", &ContactDefaults::default(), 1);
        let e = parse_pjsip("contact/2001;@x", &v).unwrap();
        assert_eq!(e.user_agent, b.user_agent);
    }

    #[test]
    fn corrupt_pjsip_values_are_refused() {
        let k = "contact/2001;@x";
        for v in [
            "",
            "{",
            "[]",
            "null",
            r#"{"uri":"sip:a@b"}"#,
            r#"{"uri":"","expiration_time":"5"}"#,
            r#"{"uri":"sip:a@b","expiration_time":"later"}"#,
            r#"{"uri":5,"expiration_time":"5"}"#,
        ] {
            assert_eq!(parse_pjsip(k, v), None, "{v}");
        }
        assert_eq!(
            parse_pjsip("aor/2001", r#"{"uri":"sip:a@b","expiration_time":"5"}"#),
            None
        );
    }

    #[test]
    fn uri_addresses() {
        assert_eq!(
            uri_addr("sip:2001@127.0.0.1:5063"),
            Some("127.0.0.1:5063".parse().unwrap())
        );
        assert_eq!(
            uri_addr("sip:2001@127.0.0.1;transport=udp"),
            Some("127.0.0.1:5060".parse().unwrap())
        );
        assert_eq!(
            uri_addr("sip:u@[::1]:5070"),
            Some("[::1]:5070".parse().unwrap())
        );
        assert_eq!(uri_addr("sip:u@example.com"), None);
    }
}
