//! `manager.conf` (main/manager.c): `[general]` and one section per AMI
//! user.

use std::net::{IpAddr, Ipv4Addr};

pub use super::acl::{Acl, AclList, HaRule, Sense};
use super::values::set_parsed;
use super::{View, bad_value, check_known, report_unknown};
use crate::config::{Config, Diagnostic, Origin, is_true};

const GENERAL_OPTIONS: &[&str] = &[
    "enabled",
    "webenabled",
    "port",
    "bindaddr",
    "brokeneventsaction",
    "allowmultiplelogin",
    "displayconnects",
    "timestampevents",
    "debug",
    "httptimeout",
    "authtimeout",
    "authlimit",
    "channelvars",
    "disabledevents",
    "tlsenable",
    "tlsbindaddr",
    "tlscertfile",
    "tlsprivatekey",
    "tlscipher",
    "tlscafile",
    "tlscapath",
    "tlsverifyclient",
    "tlsdontverifyserver",
    "tlsclientmethod",
    "sslclientmethod",
    "tlsservercipherorder",
    "tlsdisablev1",
    "tlsdisablev11",
    "tlsdisablev12",
    "sslbindaddr",
    "sslcert",
    "sslenable",
    "sslcipher",
    "sslcafile",
    "sslcapath",
    "sslprivatekey",
    "sslverifyclient",
    "ssldontverifyserver",
    "tlscertfile",
];

const USER_OPTIONS: &[&str] = &[
    "secret",
    "deny",
    "permit",
    "acl",
    "read",
    "write",
    "displayconnects",
    "allowmultiplelogin",
    "writetimeout",
    "setvar",
];

/// AMI permission classes with their bits, in Asterisk's order; `all` is
/// every bit.
pub const PERMS: &[(u32, &str)] = &[
    (1 << 0, "system"),
    (1 << 1, "call"),
    (1 << 2, "log"),
    (1 << 3, "verbose"),
    (1 << 4, "command"),
    (1 << 5, "agent"),
    (1 << 6, "user"),
    (1 << 7, "config"),
    (1 << 8, "dtmf"),
    (1 << 9, "reporting"),
    (1 << 10, "cdr"),
    (1 << 11, "dialplan"),
    (1 << 12, "originate"),
    (1 << 13, "agi"),
    (1 << 14, "cc"),
    (1 << 15, "aoc"),
    (1 << 16, "test"),
    (1 << 17, "security"),
    (1 << 18, "message"),
    (i32::MAX as u32, "all"),
];

/// `get_perm`: the OR of every listed class (names as written, compared
/// exactly as Asterisk does).
pub fn parse_perms(list: &str) -> u32 {
    list.split(',')
        .map(str::trim)
        .filter_map(|w| PERMS.iter().find(|(_, n)| *n == w).map(|(b, _)| *b))
        .fold(0, |a, b| a | b)
}

/// The class list `manager show user` prints: every class fully set,
/// `<none>` when none is.
pub fn perms_to_string(perm: u32) -> String {
    let names: Vec<&str> = PERMS
        .iter()
        .filter(|(b, _)| perm & b == *b)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "<none>".to_string()
    } else {
        names.join(",")
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct General {
    pub enabled: bool,
    pub webenabled: bool,
    pub port: u16,
    pub bindaddr: IpAddr,
    pub displayconnects: bool,
    pub allowmultiplelogin: bool,
    pub timestampevents: bool,
    pub debug: bool,
    pub httptimeout: u32,
    pub authtimeout: u32,
    pub authlimit: u32,
    pub channelvars: Vec<String>,
    /// Events never sent (`disabledevents`).
    pub disabledevents: Vec<String>,
    /// Both as written (`manager show settings` prints them so).
    pub channelvars_text: String,
    pub disabledevents_text: String,
}

impl Default for General {
    fn default() -> Self {
        Self {
            enabled: false,
            webenabled: false,
            port: 5038,
            bindaddr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            displayconnects: true,
            allowmultiplelogin: true,
            timestampevents: false,
            debug: false,
            httptimeout: 60,
            authtimeout: 30,
            authlimit: 50,
            channelvars: Vec::new(),
            disabledevents: Vec::new(),
            channelvars_text: String::new(),
            disabledevents_text: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct User {
    pub username: String,
    pub secret: Option<String>,
    /// The unnamed ACL (if any) comes first, as Asterisk keeps it at the head.
    pub acls: AclList,
    pub readperm: u32,
    pub writeperm: u32,
    pub displayconnects: bool,
    pub allowmultiplelogin: bool,
    /// Milliseconds (default 100; lower values are refused).
    pub writetimeout: u32,
    /// `setvar` values, newest first as Asterisk lists them.
    pub chanvars: Vec<(String, String)>,
    /// `eventfilter` lines as written: the option name (which carries an
    /// advanced filter's criteria) and its value.
    pub eventfilters: Vec<(String, String)>,
    #[serde(serialize_with = "super::serialize_origin")]
    pub origin: Origin,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ManagerConf {
    pub general: General,
    /// In file order.
    pub users: Vec<User>,
}

impl ManagerConf {
    /// User names are compared without case.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(name))
    }
}

impl View for ManagerConf {
    const FILE: &'static str = "manager.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = ManagerConf::default();
        if let Some(cat) = cfg.section("general") {
            check_known(cfg, diags, cat, GENERAL_OPTIONS);
            let g = &mut conf.general;
            for v in &cat.variables {
                let val = v.value.as_str();
                match v.name.to_ascii_lowercase().as_str() {
                    "enabled" => g.enabled = is_true(val),
                    "webenabled" => g.webenabled = is_true(val),
                    "port" => match val.trim().parse::<u16>() {
                        Ok(p) => g.port = p,
                        Err(_) => bad_value(diags, v, "a port number (using 5038)"),
                    },
                    "bindaddr" => match val.trim().parse::<IpAddr>() {
                        Ok(a) => g.bindaddr = a,
                        Err(_) => bad_value(diags, v, "an IP address"),
                    },
                    "displayconnects" => g.displayconnects = is_true(val),
                    "allowmultiplelogin" => g.allowmultiplelogin = is_true(val),
                    "timestampevents" => g.timestampevents = is_true(val),
                    "debug" => g.debug = is_true(val),
                    "httptimeout" => {
                        set_parsed(diags, v, &mut g.httptimeout, "a non-negative integer")
                    }
                    "authtimeout" => {
                        set_parsed(diags, v, &mut g.authtimeout, "a non-negative integer")
                    }
                    "authlimit" => set_parsed(diags, v, &mut g.authlimit, "a non-negative integer"),
                    "disabledevents" => {
                        g.disabledevents_text = val.to_string();
                        g.disabledevents = val
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    }
                    "channelvars" => {
                        g.channelvars_text = val.to_string();
                        g.channelvars = val
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    }
                    _ => {}
                }
            }
        }
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                continue;
            }
            // `eventfilter` takes any suffix (`eventfilter(action(include))`).
            for v in &cat.variables {
                let known = USER_OPTIONS.iter().any(|k| k.eq_ignore_ascii_case(&v.name))
                    || v.name.to_ascii_lowercase().starts_with("eventfilter");
                if !known {
                    report_unknown(cfg, diags, cat, v);
                }
            }
            if conf.user(&cat.name).is_some() {
                continue;
            }
            let mut u = User {
                username: cat.name.clone(),
                secret: None,
                acls: AclList::default(),
                readperm: 0,
                writeperm: 0,
                displayconnects: conf.general.displayconnects,
                allowmultiplelogin: conf.general.allowmultiplelogin,
                writetimeout: 100,
                chanvars: Vec::new(),
                eventfilters: Vec::new(),
                origin: cat.origin.clone(),
            };
            let mut keep = true;
            for v in &cat.variables {
                let val = v.value.as_str();
                let name = v.name.to_ascii_lowercase();
                match name.as_str() {
                    "secret" => u.secret = Some(val.to_string()),
                    "permit" | "deny" | "acl" => {
                        // A bad rule makes Asterisk drop the whole user.
                        if let Err(e) = u.acls.append(&name, val) {
                            bad_value(diags, v, &format!("an address rule or ACL name: {e}"));
                            keep = false;
                        }
                    }
                    "read" => u.readperm = parse_perms(val),
                    "write" => u.writeperm = parse_perms(val),
                    "displayconnects" => u.displayconnects = is_true(val),
                    "allowmultiplelogin" => u.allowmultiplelogin = is_true(val),
                    "writetimeout" => match val.trim().parse::<u32>() {
                        Ok(n) if n >= 100 => u.writetimeout = n,
                        _ => bad_value(diags, v, "milliseconds, at least 100"),
                    },
                    "setvar" => {
                        if let Some((k, x)) = val.split_once('=') {
                            u.chanvars.insert(0, (k.to_string(), x.to_string()));
                        }
                    }
                    n if n.starts_with("eventfilter") => {
                        u.eventfilters.push((v.name.clone(), val.to_string()))
                    }
                    _ => {}
                }
            }
            if keep {
                conf.users.push(u);
            }
        }
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Category;

    fn cat(name: &str, vars: &[(&str, &str)]) -> Category {
        crate::config::views::testutil::category("manager.conf", name, vars)
    }

    #[test]
    fn general_defaults_and_users() {
        let cfg = Config {
            categories: vec![
                cat("general", &[("enabled", "yes"), ("bindaddr", "127.0.0.1")]),
                cat(
                    "admin",
                    &[
                        ("secret", "x"),
                        ("deny", "0.0.0.0/0.0.0.0"),
                        ("permit", "10.1.2.3/8"),
                        ("read", "system,call"),
                        ("write", "all"),
                        ("setvar", "A=1"),
                        ("setvar", "B=2"),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let m = ManagerConf::from_config(&cfg, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert!(m.general.enabled && m.general.displayconnects);
        assert_eq!(
            (m.general.port, m.general.authtimeout, m.general.authlimit),
            (5038, 30, 50)
        );
        let u = m.user("ADMIN").expect("user");
        assert_eq!(perms_to_string(u.readperm), "system,call");
        assert!(perms_to_string(u.writeperm).ends_with("message,all"));
        assert_eq!(perms_to_string(0), "<none>");
        assert_eq!(u.acls.acls[0].rules[1].addr.to_string(), "10.0.0.0");
        assert_eq!(u.acls.acls[0].rules[1].netmask.to_string(), "255.0.0.0");
        assert_eq!(u.chanvars[0].0, "B");
        assert_eq!(u.writetimeout, 100);
    }
}
