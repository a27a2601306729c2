//! `http.conf` (main/http.c): the built-in HTTP server, its redirects and
//! path restrictions.

use super::acl::AclList;
use super::{View, bad_value, report_unknown};
use crate::config::{Config, Diagnostic, Variable, is_true};

/// TLS options `ast_tls_read_conf` takes in `[general]` (those the HTTP
/// server does not refuse).
const TLS_OPTIONS: &[&str] = &[
    "tlsenable",
    "sslenable",
    "tlsbindaddr",
    "sslbindaddr",
    "tlscertfile",
    "sslcert",
    "tlscert",
    "tlsprivatekey",
    "sslprivatekey",
    "tlscipher",
    "sslcipher",
    "tlsservercipherorder",
    "tlsdisablev1",
    "tlsdisablev11",
    "tlsdisablev12",
];

/// `redirect = <from> <to>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Redirect {
    pub target: String,
    pub dest: String,
}

/// A `[<path>]` section with `type=restriction`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Restriction {
    pub path: String,
    pub acl: AclList,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HttpConf {
    pub enabled: bool,
    /// `bindaddr=` as written; without it the server does not start.
    pub bindaddr: Option<String>,
    pub bindport: u16,
    /// `prefix=` with its leading `/` (empty when unset).
    pub prefix: String,
    /// `servername=`; `None` is Asterisk's `Asterisk/<version>`.
    pub servername: Option<String>,
    pub enable_static: bool,
    pub enable_status: bool,
    pub sessionlimit: i64,
    pub session_inactivity: i64,
    pub session_keep_alive: i64,
    /// Longest target first, as Asterisk matches them.
    pub redirects: Vec<Redirect>,
    pub restrictions: Vec<Restriction>,
    pub tlsenable: bool,
    /// `tlsbindaddr` as written (`host[:port]`).
    pub tls_bindaddr: Option<String>,
    /// `tlscertfile`: a PEM certificate chain (Asterisk's default is
    /// `asterisk.pem`, relative to the working directory).
    pub tls_certfile: String,
    /// `tlsprivatekey`; without it the key is read from the certificate
    /// file.
    pub tls_privatekey: Option<String>,
    /// The other TLS options as written (ciphers and protocol switches in
    /// OpenSSL's terms, which the rustls listener does not follow).
    pub tls: Vec<(String, String)>,
}

impl Default for HttpConf {
    fn default() -> Self {
        HttpConf {
            enabled: false,
            bindaddr: None,
            bindport: 8088,
            prefix: String::new(),
            servername: None,
            enable_static: false,
            enable_status: false,
            sessionlimit: 100,
            session_inactivity: 30000,
            session_keep_alive: 15000,
            redirects: Vec::new(),
            restrictions: Vec::new(),
            tlsenable: false,
            tls_bindaddr: None,
            tls_certfile: "asterisk.pem".into(),
            tls_privatekey: None,
            tls: Vec::new(),
        }
    }
}

impl HttpConf {
    /// The address the server listens on (`ip:port`, `[v6]:port`), or
    /// `None` when it does not run.
    pub fn bound_address(&self) -> Option<String> {
        if !self.enabled {
            return None;
        }
        let addr = self.bindaddr.as_deref()?;
        let port = if self.bindport == 0 {
            8088
        } else {
            self.bindport
        };
        resolve(addr, port)
    }

    /// Where the HTTPS listener goes when `tlsenable` is on: `tlsbindaddr`
    /// (port 8089 unless it names one), else the plain server's address
    /// with port 8089; `None` when TLS is off or neither is known.
    pub fn tls_address(&self) -> Option<String> {
        if !self.tlsenable {
            return None;
        }
        match self.tls_bindaddr.as_deref() {
            Some(a) => {
                let a = a.trim();
                // `host:port` or `[v6]:port` carries its port.
                let (host, port) = match a.rsplit_once(':') {
                    Some((h, p)) if (h.ends_with(']') || !h.contains(':')) && !p.contains(']') => {
                        match p.parse::<u16>() {
                            Ok(0) => (h, 8089),
                            Ok(p) => (h, p),
                            Err(_) => return None,
                        }
                    }
                    _ => (a, 8089),
                };
                resolve(host, port)
            }
            None => {
                let plain: std::net::SocketAddr = self.bound_address()?.parse().ok()?;
                Some(std::net::SocketAddr::new(plain.ip(), 8089).to_string())
            }
        }
    }
}

/// `host` (an address or a name) with `port`, as `ip:port` / `[v6]:port`.
fn resolve(addr: &str, port: u16) -> Option<String> {
    if let Ok(sa) = addr.parse::<std::net::SocketAddr>() {
        return Some(sa.to_string());
    }
    let host = addr.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => Some(format!("[{v6}]:{port}")),
        Ok(ip) => Some(format!("{ip}:{port}")),
        // A name: the first address it resolves to.
        Err(_) => {
            use std::net::ToSocketAddrs;
            (host, port)
                .to_socket_addrs()
                .ok()?
                .next()
                .map(|a| a.to_string())
        }
    }
}

impl HttpConf {
    /// `add_redirect`: a new redirect goes before the first one whose
    /// target is not longer.
    fn add_redirect(&mut self, v: &Variable, diags: &mut Vec<Diagnostic>) {
        let value = v.value.trim_start();
        let Some((target, dest)) = value.split_once(' ') else {
            bad_value(diags, v, "'<from> <to>'");
            return;
        };
        let r = Redirect {
            target: target.to_string(),
            dest: dest.to_string(),
        };
        let at = self
            .redirects
            .iter()
            .position(|x| x.target.len() <= r.target.len())
            .unwrap_or(self.redirects.len());
        self.redirects.insert(at, r);
    }
}

fn int_in(diags: &mut Vec<Diagnostic>, v: &Variable, min: i64, default: i64) -> i64 {
    match v.value.trim().parse::<i64>() {
        Ok(n) if n >= min && n <= i64::from(i32::MAX) => n,
        _ => {
            bad_value(diags, v, &format!("a number from {min} (using {default})"));
            default
        }
    }
}

impl View for HttpConf {
    const FILE: &'static str = "http.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut h = HttpConf::default();
        if let Some(cat) = cfg.section("general") {
            for v in &cat.variables {
                let val = v.value.as_str();
                let lname = v.name.to_ascii_lowercase();
                if TLS_OPTIONS.contains(&lname.as_str()) {
                    match lname.as_str() {
                        "tlsenable" | "sslenable" => h.tlsenable = is_true(val),
                        "tlsbindaddr" | "sslbindaddr" => h.tls_bindaddr = Some(val.to_string()),
                        "tlscertfile" | "sslcert" | "tlscert" => h.tls_certfile = val.to_string(),
                        "tlsprivatekey" | "sslprivatekey" => {
                            h.tls_privatekey = (!val.is_empty()).then(|| val.to_string())
                        }
                        _ => {
                            // Cipher lists and protocol switches are
                            // OpenSSL's; the rustls listener keeps its own.
                            super::unknown_option(diags, v, &cat.name);
                            h.tls.push((v.name.clone(), val.to_string()));
                        }
                    }
                    continue;
                }
                match lname.as_str() {
                    "servername" => h.servername = Some(val.to_string()),
                    "enabled" => h.enabled = is_true(val),
                    "enablestatic" | "enable_static" => {
                        h.enable_static = is_true(val);
                    }
                    "enable_status" => h.enable_status = is_true(val),
                    "bindport" => match val.trim().parse::<u16>() {
                        Ok(p) => h.bindport = p,
                        Err(_) => {
                            bad_value(diags, v, "a port (8088 is used)");
                            h.bindport = 8088;
                        }
                    },
                    "bindaddr" => h.bindaddr = Some(val.to_string()),
                    "prefix" => {
                        h.prefix = if val.is_empty() {
                            String::new()
                        } else {
                            format!("/{val}")
                        }
                    }
                    "redirect" => h.add_redirect(v, diags),
                    "sessionlimit" => h.sessionlimit = int_in(diags, v, 1, 100),
                    "session_inactivity" => h.session_inactivity = int_in(diags, v, 1, 30000),
                    "session_keep_alive" => h.session_keep_alive = int_in(diags, v, 0, 15000),
                    // Asterisk logs these as ignored.
                    _ => report_unknown(cfg, diags, cat, v),
                }
            }
        }
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                continue;
            }
            if !cat
                .get("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("restriction"))
            {
                // Only restrictions are read; anything else is skipped.
                for v in &cat.variables {
                    super::report_unknown(cfg, diags, cat, v);
                }
                continue;
            }
            let mut acl = AclList::default();
            for v in &cat.variables {
                let lname = v.name.to_ascii_lowercase();
                match lname.as_str() {
                    "type" => {}
                    "permit" | "deny" | "acl" => {
                        if let Err(e) = acl.append(&lname, &v.value) {
                            bad_value(diags, v, &format!("an address rule ({e})"));
                        }
                    }
                    _ => report_unknown(cfg, diags, cat, v),
                }
            }
            h.restrictions.push(Restriction {
                path: cat.name.clone(),
                acl,
            });
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn redirects_longest_first() {
        let cfg = config(vec![
            category(
                "http.conf",
                "general",
                &[
                    ("enabled", "yes"),
                    ("bindaddr", "127.0.0.1"),
                    ("redirect", "/ /a"),
                    ("redirect", "/longer/path /x"),
                    ("redirect", "/ab /y"),
                    ("bogus", "1"),
                    ("tlsenable", "yes"),
                    ("tlscertfile", "/etc/x.pem"),
                    ("tlscipher", "ALL"),
                ],
            ),
            category(
                "http.conf",
                "/m",
                &[("type", "restriction"), ("permit", "127.0.0.1")],
            ),
        ]);
        let mut d = Vec::new();
        let h = HttpConf::from_config(&cfg, &mut d);
        let t: Vec<&str> = h.redirects.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(t, ["/longer/path", "/ab", "/"]);
        assert_eq!(h.bound_address().as_deref(), Some("127.0.0.1:8088"));
        assert_eq!(h.restrictions[0].acl.acls[0].rules.len(), 1);
        // bogus and tlscipher.
        assert_eq!(d.len(), 2);
        assert!(d[1].message.contains("'tlscipher'"), "{:?}", d[1]);
        assert!(h.tlsenable);
        assert_eq!(h.tls_certfile, "/etc/x.pem");
        assert_eq!(h.tls_address().as_deref(), Some("127.0.0.1:8089"));
        assert_eq!(HttpConf::default().bound_address(), None);
    }

    #[test]
    fn tls_addresses() {
        let mut h = HttpConf {
            tlsenable: true,
            tls_bindaddr: Some("127.0.0.1".into()),
            ..HttpConf::default()
        };
        assert_eq!(h.tls_address().as_deref(), Some("127.0.0.1:8089"));
        h.tls_bindaddr = Some("127.0.0.1:4443".into());
        assert_eq!(h.tls_address().as_deref(), Some("127.0.0.1:4443"));
        h.tls_bindaddr = Some("[::1]:4443".into());
        assert_eq!(h.tls_address().as_deref(), Some("[::1]:4443"));
        h.tls_bindaddr = Some("::1".into());
        assert_eq!(h.tls_address().as_deref(), Some("[::1]:8089"));
        h.tls_bindaddr = None;
        assert_eq!(h.tls_address(), None);
        h.tlsenable = false;
        h.tls_bindaddr = Some("127.0.0.1".into());
        assert_eq!(h.tls_address(), None);
    }
}
