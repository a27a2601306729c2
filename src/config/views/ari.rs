//! `ari.conf` (res/ari/config.c): sorcery objects `general`, `user` and
//! `outbound_websocket`.
//!
//! As sorcery loads them: `[general]` is taken when all its options are
//! general options (or it says `type=general`), users need `type=user`,
//! and an object with an unknown option or a failing value is not loaded
//! at all.

use super::acl::AclList;
use super::hash::{sort_into_buckets, str_hash};
use super::{View, bad_value, report_unknown, section_note};
use crate::config::{Category, Config, Diagnostic, Severity, is_true};

const GENERAL_FIELDS: &[&str] = &[
    "type",
    "auth_realm",
    "allowed_origins",
    "channelvars",
    "enabled",
    "pretty",
    "websocket_write_timeout",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AriGeneral {
    pub enabled: bool,
    pub pretty: bool,
    pub auth_realm: String,
    pub allowed_origins: String,
    pub channelvars: String,
    /// Milliseconds.
    pub websocket_write_timeout: i64,
}

impl Default for AriGeneral {
    fn default() -> Self {
        AriGeneral {
            enabled: true,
            pretty: false,
            auth_realm: "Asterisk REST Interface".into(),
            allowed_origins: String::new(),
            channelvars: String::new(),
            websocket_write_timeout: 100,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AriUser {
    pub name: String,
    pub password: String,
    /// `password_format=crypt`: the password is a crypt(3) hash.
    pub password_crypt: bool,
    pub read_only: bool,
    pub acl: AclList,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AriOutboundWebsocket {
    pub name: String,
    pub websocket_client_id: String,
    pub apps: String,
    pub local_ari_user: String,
    pub subscribe_all: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AriConf {
    /// `None` when no `[general]` object loads (ARI is then off).
    pub general: Option<AriGeneral>,
    /// In the order `ari show users` lists them.
    pub users: Vec<AriUser>,
    pub outbound_websockets: Vec<AriOutboundWebsocket>,
}

impl AriConf {
    /// Whether ARI serves requests (`/ari/...` is registered).
    pub fn enabled(&self) -> bool {
        self.general.as_ref().is_some_and(|g| g.enabled)
    }

    pub fn user(&self, name: &str) -> Option<&AriUser> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// `ast_is_prime` as Asterisk has it (odd numbers only, so 1 counts and 2
/// does not).
fn is_prime(n: usize) -> bool {
    if n.is_multiple_of(2) {
        return false;
    }
    let mut t = 3;
    let mut limit = n;
    while t < limit {
        if n.is_multiple_of(t) {
            return false;
        }
        limit = n / t;
        t += 2;
    }
    true
}

/// The bucket count sorcery's config wizard picks for `candidates`
/// sections: the largest prime not above it (at least 1).
pub fn sorcery_buckets(candidates: usize) -> usize {
    let mut b = candidates;
    while b > 0 && !is_prime(b) {
        b -= 1;
    }
    b.max(1)
}

fn refuse(diags: &mut Vec<Diagnostic>, cat: &Category, what: &str, why: String) {
    section_note(
        diags,
        Severity::Error,
        cat,
        format!("{what} '{}' is not loaded: {why}", cat.name),
    );
}

/// An option sorcery does not know: noted once, and the object refused.
fn unknown_refused<T>(
    cfg: &Config,
    diags: &mut Vec<Diagnostic>,
    cat: &Category,
    v: &crate::config::Variable,
    what: &str,
) -> Option<T> {
    report_unknown(cfg, diags, cat, v);
    refuse(diags, cat, what, format!("'{}' is not an option", v.name));
    None
}

fn parse_general(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Option<AriGeneral> {
    let mut g = AriGeneral::default();
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "type" => {}
            "auth_realm" => g.auth_realm = v.value.clone(),
            "allowed_origins" => g.allowed_origins = v.value.clone(),
            "channelvars" => g.channelvars = v.value.clone(),
            "enabled" => g.enabled = is_true(&v.value),
            "pretty" => g.pretty = is_true(&v.value),
            "websocket_write_timeout" => match v.value.trim().parse::<i32>() {
                Ok(n) => g.websocket_write_timeout = i64::from(n),
                Err(_) => {
                    bad_value(diags, v, "milliseconds");
                    refuse(diags, cat, "ARI general settings", "bad value".into());
                    return None;
                }
            },
            _ => return unknown_refused(cfg, diags, cat, v, "ARI general settings"),
        }
    }
    Some(g)
}

fn parse_user(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Option<AriUser> {
    let mut u = AriUser {
        name: cat.name.clone(),
        password: String::new(),
        password_crypt: false,
        read_only: false,
        acl: AclList::default(),
    };
    for v in &cat.variables {
        let lname = v.name.to_ascii_lowercase();
        match lname.as_str() {
            "type" => {}
            "password" => u.password = v.value.clone(),
            "read_only" => u.read_only = is_true(&v.value),
            "password_format" => match v.value.to_ascii_lowercase().as_str() {
                "plain" => u.password_crypt = false,
                "crypt" => u.password_crypt = true,
                _ => {
                    bad_value(diags, v, "plain or crypt");
                    refuse(diags, cat, "ARI user", "bad password_format".into());
                    return None;
                }
            },
            "permit" | "deny" | "acl" => {
                if let Err(e) = u.acl.append(&lname, &v.value) {
                    bad_value(diags, v, &format!("an address rule ({e})"));
                    refuse(diags, cat, "ARI user", "bad ACL".into());
                    return None;
                }
            }
            _ => return unknown_refused(cfg, diags, cat, v, "ARI user"),
        }
    }
    if u.password.is_empty() {
        refuse(diags, cat, "ARI user", "it has no password".into());
        return None;
    }
    Some(u)
}

fn parse_owc(
    cfg: &Config,
    cat: &Category,
    diags: &mut Vec<Diagnostic>,
) -> Option<AriOutboundWebsocket> {
    let mut o = AriOutboundWebsocket {
        name: cat.name.clone(),
        websocket_client_id: String::new(),
        apps: String::new(),
        local_ari_user: String::new(),
        subscribe_all: false,
    };
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "type" => {}
            "websocket_client_id" => o.websocket_client_id = v.value.clone(),
            "apps" => o.apps = v.value.clone(),
            "local_ari_user" => o.local_ari_user = v.value.clone(),
            "subscribe_all" => o.subscribe_all = is_true(&v.value),
            _ => return unknown_refused(cfg, diags, cat, v, "ARI outbound websocket"),
        }
    }
    Some(o)
}

impl View for AriConf {
    const FILE: &'static str = "ari.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = AriConf::default();
        let type_is = |cat: &Category, t: &str| cat.get("type").is_some_and(|x| x == t);
        let mut user_sections = 0;
        for cat in cfg.sections() {
            let explicit_general = cat.name == "general"
                && cat.variables.iter().all(|v| {
                    GENERAL_FIELDS
                        .iter()
                        .any(|f| f.eq_ignore_ascii_case(&v.name))
                });
            if explicit_general || type_is(cat, "general") {
                if cat.name == "general" {
                    conf.general = parse_general(cfg, cat, diags);
                } else {
                    refuse(
                        diags,
                        cat,
                        "ARI general settings",
                        "only [general] is used".into(),
                    );
                }
            } else if type_is(cat, "user") {
                user_sections += 1;
                conf.users.extend(parse_user(cfg, cat, diags));
            } else if type_is(cat, "outbound_websocket") {
                conf.outbound_websockets.extend(parse_owc(cfg, cat, diags));
            } else {
                // Sorcery matches no object type to this section.
                for v in &cat.variables {
                    super::report_unknown(cfg, diags, cat, v);
                }
            }
        }
        // Users are listed from sorcery's hash container.
        let buckets = sorcery_buckets(user_sections);
        sort_into_buckets(&mut conf.users, buckets, |u| str_hash(&u.name));
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn users_need_a_password_and_known_options() {
        let cfg = config(vec![
            category("ari.conf", "general", &[("pretty", "yes")]),
            category("ari.conf", "u1", &[("type", "user"), ("password", "p")]),
            category("ari.conf", "u2", &[("type", "user")]),
            category(
                "ari.conf",
                "u3",
                &[("type", "user"), ("password", "p"), ("x", "1")],
            ),
        ]);
        let mut d = Vec::new();
        let a = AriConf::from_config(&cfg, &mut d);
        assert!(a.enabled() && a.general.as_ref().is_some_and(|g| g.pretty));
        assert_eq!(a.users.len(), 1);
        assert_eq!(
            d.iter().filter(|d| d.severity == Severity::Error).count(),
            2
        );
        assert_eq!(
            (
                sorcery_buckets(0),
                sorcery_buckets(2),
                sorcery_buckets(5),
                sorcery_buckets(10)
            ),
            (1, 1, 5, 7)
        );
        let none = AriConf::from_config(&config(vec![]), &mut Vec::new());
        assert!(!none.enabled());
    }
}
