//! `pjsip.conf`: sorcery objects by `type=` (a section name may hold
//! several objects of different types, e.g. `[1001]` endpoint and aor),
//! with res_pjsip's defaults.

use super::geolocation::GeolocationConf;
use super::qos::str2tos;
use super::values::{list, set_parsed};
use super::{View, bad_value, check_known, line_note, section_note};
use crate::config::{Category, Config, Diagnostic, Severity};
use crate::core::devicestate::DeviceState;

const TRANSPORT_OPTIONS: &[&str] = &[
    "type",
    "protocol",
    "bind",
    "async_operations",
    "ca_list_file",
    "ca_list_path",
    "cert_file",
    "priv_key_file",
    "password",
    "external_signaling_address",
    "external_signaling_port",
    "external_media_address",
    "domain",
    "verify_server",
    "verify_client",
    "require_client_cert",
    "method",
    "cipher",
    "local_net",
    "tos",
    "cos",
    "websocket_write_timeout",
    "allow_reload",
    "symmetric_transport",
    "allow_wildcard_certs",
];

const AOR_OPTIONS: &[&str] = &[
    "type",
    "contact",
    "max_contacts",
    "minimum_expiration",
    "maximum_expiration",
    "default_expiration",
    "qualify_frequency",
    "qualify_timeout",
    "qualify_2xx_only",
    "authenticate_qualify",
    "remove_existing",
    "remove_unavailable",
    "outbound_proxy",
    "support_path",
    "voicemail_extension",
    "mailboxes",
];

const AUTH_OPTIONS: &[&str] = &[
    "type",
    "auth_type",
    "username",
    "password",
    "md5_cred",
    "realm",
    "nonce_lifetime",
    "refresh_token",
    "oauth_clientid",
    "oauth_secret",
    "password_digest",
    "supported_algorithms_uac",
    "supported_algorithms_uas",
];

const IDENTIFY_OPTIONS: &[&str] = &[
    "type",
    "endpoint",
    "match",
    "match_header",
    "match_request_uri",
    "srv_lookups",
];

const REGISTRATION_OPTIONS: &[&str] = &[
    "type",
    "server_uri",
    "client_uri",
    "contact_user",
    "transport",
    "outbound_auth",
    "retry_interval",
    "forbidden_retry_interval",
    "fatal_retry_interval",
    "expiration",
    "max_retries",
    "auth_rejection_permanent",
    "line",
    "endpoint",
    "outbound_proxy",
    "support_path",
    "support_outbound",
    "contact_header_params",
    "max_random_initial_delay",
    "security_negotiation",
    "security_mechanisms",
];

const GLOBAL_OPTIONS: &[&str] = &[
    "type",
    "max_forwards",
    "keep_alive_interval",
    "contact_expiration_check_interval",
    "disable_multi_domain",
    "endpoint_identifier_order",
    "max_initial_qualify_time",
    "regcontext",
    "default_outbound_endpoint",
    "default_voicemail_extension",
    "debug",
    "user_agent",
    "mwi_tps_queue_high",
    "mwi_tps_queue_low",
    "mwi_disable_initial_unsolicited",
    "unidentified_request_count",
    "unidentified_request_period",
    "unidentified_request_prune_interval",
    "default_from_user",
    "default_realm",
    "ignore_uri_user_options",
    "send_contact_status_on_update_registration",
    "taskprocessor_overload_trigger",
    "norefersub",
    "use_callerid_contact",
    "all_codecs_on_empty_reinvite",
    "allow_sending_180_after_183",
    "noreferuri",
];

const SYSTEM_OPTIONS: &[&str] = &[
    "type",
    "timer_t1",
    "timer_b",
    "compact_headers",
    "threadpool_initial_size",
    "threadpool_auto_increment",
    "threadpool_idle_timeout",
    "threadpool_max_size",
    "disable_tcp_switch",
    "follow_early_media_fork",
    "accept_multiple_sdp_answers",
    "disable_rport",
];

/// `type=transport`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transport {
    pub name: String,
    /// udp, tcp, tls, ws, wss, flow.
    pub protocol: String,
    /// `bind=` as written.
    pub bind: String,
    pub cos: u32,
    pub tos: u32,
    /// Every option as written (name lower-cased), for the options only
    /// listed, not used.
    #[serde(skip)]
    pub options: Vec<(String, String)>,
}

impl Transport {
    /// The bound address with its port, as `pj_sockaddr_print` shows it.
    pub fn bind_address(&self) -> String {
        let default_port = if self.protocol == "tls" || self.protocol == "wss" {
            5061
        } else {
            5060
        };
        let b = self.bind.trim();
        if let Some(rest) = b.strip_prefix('[') {
            // [v6] or [v6]:port
            if let Some((host, tail)) = rest.split_once(']') {
                let port = tail.strip_prefix(':').unwrap_or("");
                let port = if port.is_empty() {
                    default_port.to_string()
                } else {
                    port.to_string()
                };
                return format!("[{host}]:{port}");
            }
        }
        match b.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => format!("{host}:{port}"),
            Some(_) => format!("[{b}]:{default_port}"),
            None if b.is_empty() => format!("0.0.0.0:{default_port}"),
            None => format!("{b}:{default_port}"),
        }
    }
}

pub use super::pjsip_endpoint::Endpoint;

/// `type=aor`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Aor {
    pub name: String,
    /// Static contacts (`contact=`), in order.
    pub contacts: Vec<String>,
    pub max_contacts: u32,
    pub qualify_frequency: u32,
    pub remove_existing: bool,
    pub default_expiration: u32,
    pub minimum_expiration: u32,
    pub maximum_expiration: u32,
    /// `mailboxes=`: served to a message-summary SUBSCRIBE (as written).
    pub mailboxes: String,
    /// `voicemail_extension=`: the Message-Account of those NOTIFYs.
    pub voicemail_extension: String,
    /// Every option as written (name lower-cased), for the options only
    /// listed, not used.
    #[serde(skip)]
    pub options: Vec<(String, String)>,
}

/// `type=auth`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Auth {
    pub name: String,
    pub auth_type: String,
    pub username: String,
    pub password: String,
    /// `auth_type=md5`: MD5(username:realm:password), given instead of it.
    pub md5_cred: String,
    pub realm: String,
    /// Every option as written (name lower-cased), for the options only
    /// listed, not used.
    #[serde(skip)]
    pub options: Vec<(String, String)>,
}

impl Auth {
    /// The secret to prove or answer with, as auth_type says.
    pub fn secret(&self) -> (String, bool) {
        if self.auth_type == "md5" {
            (self.md5_cred.clone(), true)
        } else {
            (self.password.clone(), false)
        }
    }
}

/// `type=identify`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identify {
    pub name: String,
    pub endpoint: String,
    pub matches: Vec<String>,
    pub match_header: String,
    /// Every option as written (name lower-cased), for the options only
    /// listed, not used.
    #[serde(skip)]
    pub options: Vec<(String, String)>,
}

/// Objects res_pjsip only stores here (registration, domain_alias,
/// contact, global, system, ...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OtherObject {
    pub kind: String,
    pub name: String,
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PjsipConf {
    pub transports: Vec<Transport>,
    pub endpoints: Vec<Endpoint>,
    pub aors: Vec<Aor>,
    pub auths: Vec<Auth>,
    pub identifies: Vec<Identify>,
    pub others: Vec<OtherObject>,
}

fn parse_transport(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Transport {
    check_known(cfg, diags, cat, TRANSPORT_OPTIONS);
    let mut t = Transport {
        name: cat.name.clone(),
        protocol: "udp".into(),
        bind: String::new(),
        cos: 0,
        tos: 0,
        options: raw_options(cat),
    };
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "protocol" => {
                let p = v.value.trim().to_ascii_lowercase();
                if ["udp", "tcp", "tls", "ws", "wss", "flow"].contains(&p.as_str()) {
                    t.protocol = p;
                } else {
                    bad_value(diags, v, "udp, tcp, tls, ws, wss or flow");
                }
            }
            "bind" => t.bind = v.value.trim().to_string(),
            "cos" => set_parsed(diags, v, &mut t.cos, "a non-negative integer"),
            "tos" => match str2tos(&v.value) {
                Some(n) => t.tos = n,
                None => bad_value(diags, v, "a number or a DSCP class"),
            },
            _ => {}
        }
    }
    t
}

/// Builds an endpoint as sorcery does: defaults, then every line of the
/// section (templates' first), then the final checks. A line Asterisk
/// refuses makes it drop the whole endpoint.
fn parse_endpoint(
    cat: &Category,
    diags: &mut Vec<Diagnostic>,
    geoloc: Option<&GeolocationConf>,
) -> Option<Endpoint> {
    let mut e = Endpoint::new(&cat.name);
    for v in &cat.variables {
        if let Err(why) = e.set(&v.name, &v.value) {
            line_note(
                diags,
                Severity::Error,
                v,
                format!(
                    "endpoint '{}' is not loaded: {}={} refused ({why})",
                    cat.name, v.name, v.value
                ),
            );
            return None;
        }
        if v.name.eq_ignore_ascii_case("incoming_mwi_mailbox") && !v.value.trim().is_empty() {
            line_note(
                diags,
                Severity::Notice,
                v,
                "'incoming_mwi_mailbox': message-waiting NOTIFYs from the endpoint are not taken in by Asterism; ignored".into(),
            );
        }
        if v.name.eq_ignore_ascii_case("moh_passthrough") && e.moh_passthrough {
            line_note(
                diags,
                Severity::Notice,
                v,
                "'moh_passthrough': a held call is sent no hold re-INVITE by Asterism; music on hold plays instead".into(),
            );
        }
    }
    match e.finish() {
        Ok(warnings) => {
            for w in warnings {
                section_note(
                    diags,
                    Severity::Warning,
                    cat,
                    format!("endpoint '{}': {w}", cat.name),
                );
            }
            if let Err(why) = e.check_geolocation(geoloc) {
                // Asterisk's two lines: res_pjsip's reason, then sorcery's.
                section_note(diags, Severity::Error, cat, why);
                section_note(
                    diags,
                    Severity::Error,
                    cat,
                    format!(
                        "Could not create an object of type 'endpoint' with id '{}' from configuration file 'pjsip.conf'",
                        cat.name
                    ),
                );
                return None;
            }
            Some(e)
        }
        Err(why) => {
            section_note(
                diags,
                Severity::Error,
                cat,
                format!("endpoint '{}' is not loaded: {why}", cat.name),
            );
            None
        }
    }
}

fn parse_aor(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Aor {
    check_known(cfg, diags, cat, AOR_OPTIONS);
    let mut a = Aor {
        name: cat.name.clone(),
        contacts: Vec::new(),
        max_contacts: 0,
        qualify_frequency: 0,
        remove_existing: false,
        default_expiration: 3600,
        minimum_expiration: 60,
        maximum_expiration: 7200,
        mailboxes: String::new(),
        voicemail_extension: String::new(),
        options: raw_options(cat),
    };
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            // Each `contact=` adds (a comma list of) permanent contacts.
            "contact" => {
                for c in list(&v.value) {
                    if !c.to_ascii_lowercase().starts_with("sip:")
                        && !c.to_ascii_lowercase().starts_with("sips:")
                    {
                        bad_value(diags, v, "a sip: or sips: URI");
                    } else if !a.contacts.contains(&c) {
                        a.contacts.push(c);
                    }
                }
            }
            "max_contacts" => set_parsed(diags, v, &mut a.max_contacts, "a non-negative integer"),
            "qualify_frequency" => {
                set_parsed(diags, v, &mut a.qualify_frequency, "a non-negative integer")
            }
            "remove_existing" => a.remove_existing = crate::config::is_true(&v.value),
            "mailboxes" => a.mailboxes = v.value.clone(),
            "voicemail_extension" => a.voicemail_extension = v.value.clone(),
            "default_expiration" => set_parsed(
                diags,
                v,
                &mut a.default_expiration,
                "a non-negative integer",
            ),
            "minimum_expiration" => set_parsed(
                diags,
                v,
                &mut a.minimum_expiration,
                "a non-negative integer",
            ),
            "maximum_expiration" => set_parsed(
                diags,
                v,
                &mut a.maximum_expiration,
                "a non-negative integer",
            ),
            _ => {}
        }
    }
    a
}

fn parse_auth(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Auth {
    check_known(cfg, diags, cat, AUTH_OPTIONS);
    let mut a = Auth {
        name: cat.name.clone(),
        auth_type: "userpass".into(),
        username: String::new(),
        password: String::new(),
        md5_cred: String::new(),
        realm: String::new(),
        options: raw_options(cat),
    };
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "auth_type" => a.auth_type = v.value.trim().to_ascii_lowercase(),
            "username" => a.username = v.value.clone(),
            "password" => a.password = v.value.clone(),
            "md5_cred" => a.md5_cred = v.value.clone(),
            "realm" => a.realm = v.value.clone(),
            _ => {}
        }
    }
    a
}

fn parse_identify(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Identify {
    check_known(cfg, diags, cat, IDENTIFY_OPTIONS);
    let mut i = Identify {
        name: cat.name.clone(),
        endpoint: String::new(),
        matches: Vec::new(),
        match_header: String::new(),
        options: raw_options(cat),
    };
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "endpoint" => i.endpoint = v.value.trim().to_string(),
            "match" => i.matches.extend(list(&v.value)),
            "match_header" => i.match_header = v.value.trim().to_string(),
            _ => {}
        }
    }
    i
}

impl View for PjsipConf {
    const FILE: &'static str = "pjsip.conf";

    /// As with res_geolocation not loaded.
    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        Self::from_config_with(cfg, diags, None)
    }
}

impl PjsipConf {
    /// The view, with endpoints' geolocation profiles checked against
    /// `geoloc` (`None`: res_geolocation is not loaded).
    pub fn from_config_with(
        cfg: &Config,
        diags: &mut Vec<Diagnostic>,
        geoloc: Option<&GeolocationConf>,
    ) -> Self {
        let mut conf = PjsipConf::default();
        for cat in cfg.sections() {
            let Some(tv) = cat.get_var("type") else {
                // Sorcery cannot tell what such a section is; it is ignored.
                section_note(
                    diags,
                    Severity::Warning,
                    cat,
                    format!("section [{}] has no type= and is ignored", cat.name),
                );
                continue;
            };
            let kind = tv.value.trim().to_ascii_lowercase();
            match kind.as_str() {
                "transport" => conf.transports.push(parse_transport(cfg, cat, diags)),
                "endpoint" => conf.endpoints.extend(parse_endpoint(cat, diags, geoloc)),
                "aor" => conf.aors.push(parse_aor(cfg, cat, diags)),
                "auth" => conf.auths.push(parse_auth(cfg, cat, diags)),
                "identify" => conf.identifies.push(parse_identify(cfg, cat, diags)),
                "registration"
                | "domain_alias"
                | "contact"
                | "global"
                | "system"
                | "phoneprov"
                | "outbound-publish"
                | "inbound-publication"
                | "resource_list"
                | "acl" => {
                    let known: &[&str] = match kind.as_str() {
                        "registration" => REGISTRATION_OPTIONS,
                        "global" => GLOBAL_OPTIONS,
                        "system" => SYSTEM_OPTIONS,
                        "domain_alias" => &["type", "domain"],
                        "contact" => &[
                            "type",
                            "uri",
                            "expiration_time",
                            "qualify_frequency",
                            "user_agent",
                        ],
                        // Other types: every option is stored; nothing is checked.
                        _ => &[],
                    };
                    if !known.is_empty() {
                        check_known(cfg, diags, cat, known);
                    }
                    let unserved = match kind.as_str() {
                        "resource_list" => Some("resource list subscriptions (RLS)"),
                        "outbound-publish" => Some("outbound PUBLISH"),
                        "inbound-publication" => Some("inbound PUBLISH"),
                        "phoneprov" => Some("phone provisioning"),
                        _ => None,
                    };
                    if let Some(what) = unserved {
                        section_note(
                            diags,
                            Severity::Notice,
                            cat,
                            format!(
                                "[{}] type={kind}: {what} is not supported by Asterism; the object is kept for AMI and CLI listings only",
                                cat.name
                            ),
                        );
                    }
                    conf.others.push(OtherObject {
                        kind: kind.clone(),
                        name: cat.name.clone(),
                        options: cat
                            .variables
                            .iter()
                            .map(|v| (v.name.clone(), v.value.clone()))
                            .collect(),
                    });
                }
                _ => bad_value(
                    diags,
                    tv,
                    "a res_pjsip object type (endpoint, aor, auth, transport, ...)",
                ),
            }
        }
        // Sorcery keeps one object per (type, id): the last one wins.
        fn dedup<T>(v: &mut Vec<T>, name: impl Fn(&T) -> &str) {
            let mut i = 0;
            while i < v.len() {
                if v[i + 1..].iter().any(|o| name(o) == name(&v[i])) {
                    v.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        dedup(&mut conf.transports, |o| &o.name);
        dedup(&mut conf.endpoints, |o| &o.name);
        dedup(&mut conf.aors, |o| &o.name);
        dedup(&mut conf.auths, |o| &o.name);
        dedup(&mut conf.identifies, |o| &o.name);
        conf
    }
}

impl PjsipConf {
    /// An option of the `type=global` object, as written (the last one
    /// when repeated).
    pub fn global_option(&self, name: &str) -> Option<&str> {
        self.others
            .iter()
            .filter(|o| o.kind == "global")
            .flat_map(|o| o.options.iter())
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .next_back()
    }

    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    pub fn aor(&self, name: &str) -> Option<&Aor> {
        self.aors.iter().find(|a| a.name == name)
    }

    /// The endpoint an AOR belongs to: the first that lists it.
    pub fn aor_endpoint(&self, aor: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.aor_names().any(|a| a == aor))
    }

    pub fn auth(&self, name: &str) -> Option<&Auth> {
        self.auths.iter().find(|a| a.name == name)
    }

    pub fn transport(&self, name: &str) -> Option<&Transport> {
        self.transports.iter().find(|t| t.name == name)
    }

    /// The state of the device this file defines under `name`: with no
    /// registrations, an endpoint is reachable only through a static
    /// contact of one of its AORs.
    pub fn device_state(&self, name: &str) -> DeviceState {
        let Some(e) = self.endpoint(name) else {
            return DeviceState::Invalid;
        };
        let reachable = e
            .aor_names()
            .filter_map(|a| self.aor(a))
            .any(|a| !a.contacts.is_empty());
        if reachable {
            DeviceState::NotInUse
        } else {
            DeviceState::Unavailable
        }
    }
}

fn raw_options(cat: &Category) -> Vec<(String, String)> {
    cat.variables
        .iter()
        .map(|v| (v.name.to_ascii_lowercase(), v.value.clone()))
        .collect()
}

/// How sorcery prints an option it stores.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    /// `true`/`false`.
    Bool,
    /// `Yes`/`No`.
    YesNo,
    Uint,
    /// `%f`.
    Float,
}

/// An object's options as sorcery's field container yields them: each
/// `(name, kind, default)` of `fields` takes the view's typed value from
/// `typed`, else the value written in the file as sorcery prints it, else
/// the default. The order of `fields` is the container's (a hash walk, so
/// Asterisk's fixed but arbitrary order, read off the reference in
/// `golden/asterisk-20.20.1/ami/sip_listings.rx`); AMI lists it as is.
fn objectset(
    fields: &[(&str, Kind, &str)],
    options: &[(String, String)],
    typed: &[(&str, String)],
) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, kind, default)| {
            let value = if let Some((_, v)) = typed.iter().find(|(n, _)| n == name) {
                v.clone()
            } else if let Some((_, raw)) = options.iter().rev().find(|(n, _)| n == name) {
                let raw = raw.trim();
                match kind {
                    Kind::Str => raw.to_string(),
                    Kind::Bool => if crate::config::is_true(raw) {
                        "true"
                    } else {
                        "false"
                    }
                    .to_string(),
                    Kind::YesNo => if crate::config::is_true(raw) {
                        "Yes"
                    } else {
                        "No"
                    }
                    .to_string(),
                    Kind::Uint => raw
                        .parse::<u32>()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| default.to_string()),
                    Kind::Float => raw
                        .parse::<f64>()
                        .map(|f| format!("{f:.6}"))
                        .unwrap_or_else(|_| default.to_string()),
                }
            } else {
                default.to_string()
            };
            (name.to_string(), value)
        })
        .collect()
}

impl Transport {
    /// Every option, in sorcery's order (see [`objectset`]).
    pub fn params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("websocket_write_timeout", Uint, "100"),
            ("cos", Uint, "0"),
            ("tcp_keepalive_enable", Bool, "false"),
            ("protocol", Str, "udp"),
            ("symmetric_transport", Bool, "false"),
            ("domain", Str, ""),
            ("verify_server", YesNo, "No"),
            ("local_net", Str, ""),
            ("bind", Str, ""),
            ("allow_wildcard_certs", YesNo, "No"),
            ("tcp_keepalive_interval_time", Uint, "1"),
            ("async_operations", Uint, "1"),
            ("external_media_address", Str, ""),
            ("method", Str, "unspecified"),
            ("external_signaling_address", Str, ""),
            ("require_client_cert", YesNo, "No"),
            ("tcp_keepalive_idle_time", Uint, "30"),
            ("tos", Uint, "0"),
            ("ca_list_path", Str, ""),
            ("cipher", Str, ""),
            ("cert_file", Str, ""),
            ("external_signaling_port", Uint, "0"),
            ("password", Str, ""),
            ("allow_reload", Bool, "false"),
            ("verify_client", YesNo, "No"),
            ("tcp_keepalive_probe_count", Uint, "5"),
            ("priv_key_file", Str, ""),
            ("ca_list_file", Str, ""),
        ];
        objectset(
            FIELDS,
            &self.options,
            &[
                ("protocol", self.protocol.clone()),
                ("bind", self.bind_address()),
                ("cos", self.cos.to_string()),
                ("tos", self.tos.to_string()),
            ],
        )
    }
}

impl Auth {
    /// Every option, in sorcery's order (see [`objectset`]).
    pub fn params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("oauth_secret", Str, ""),
            ("password_digest", Str, ""),
            ("supported_algorithms_uas", Str, "MD5"),
            ("refresh_token", Str, ""),
            ("username", Str, ""),
            ("md5_cred", Str, ""),
            ("realm", Str, ""),
            ("auth_type", Str, "userpass"),
            ("password", Str, ""),
            ("supported_algorithms_uac", Str, "MD5"),
            ("nonce_lifetime", Uint, "32"),
            ("oauth_clientid", Str, ""),
        ];
        objectset(
            FIELDS,
            &self.options,
            &[
                ("username", self.username.clone()),
                ("realm", self.realm.clone()),
                ("auth_type", self.auth_type.clone()),
                ("password", self.password.clone()),
            ],
        )
    }
}

impl OtherObject {
    /// The options with their names in lower case, as sorcery matches them.
    fn lowercase_options(&self) -> Vec<(String, String)> {
        self.options
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect()
    }

    /// A `type=registration` object's options, in sorcery's order (see
    /// [`objectset`]); `security_mechanisms` is not listed.
    pub fn registration_params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("max_retries", Uint, "10"),
            ("client_uri", Str, ""),
            ("security_negotiation", Str, "no"),
            ("auth_rejection_permanent", Bool, "true"),
            ("server_uri", Str, ""),
            ("max_random_initial_delay", Uint, "10"),
            ("support_path", Bool, "false"),
            ("retry_interval", Uint, "60"),
            ("contact_header_params", Str, ""),
            ("expiration", Uint, "3600"),
            ("transport", Str, ""),
            ("line", Bool, "false"),
            ("contact_user", Str, ""),
            ("endpoint", Str, ""),
            ("forbidden_retry_interval", Uint, "0"),
            ("outbound_auth", Str, ""),
            ("outbound_proxy", Str, ""),
            ("fatal_retry_interval", Uint, "0"),
            ("support_outbound", Str, "no"),
        ];
        let options = self.lowercase_options();
        objectset(FIELDS, &options, &[])
    }

    /// A `type=resource_list` object's options, in sorcery's order (see
    /// [`objectset`]); every `list_item` line adds to one list.
    pub fn resource_list_params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("event", Str, ""),
            ("resource_display_name", Bool, "false"),
            ("notification_batch_interval", Uint, "0"),
            ("list_item", Str, ""),
            ("full_state", Bool, "false"),
        ];
        let options = self.lowercase_options();
        let items: Vec<&str> = options
            .iter()
            .filter(|(n, _)| n == "list_item")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect();
        objectset(FIELDS, &options, &[("list_item", items.join(","))])
    }
}

impl Aor {
    /// The permanent contacts by id (`<aor>@@<md5 of the uri>`), the order
    /// res_pjsip keeps them in: `(id, uri)`.
    pub fn contact_ids(&self) -> Vec<(String, &str)> {
        let mut v: Vec<(String, &str)> = self
            .contacts
            .iter()
            .map(|c| {
                (
                    format!("{}@@{}", self.name, crate::funcs::md5::hex(c.as_bytes())),
                    c.as_str(),
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Every option, in sorcery's order (see [`objectset`]). `contact`
    /// lists the permanent contacts as `<aor>/<uri>`.
    pub fn params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("minimum_expiration", Uint, "60"),
            ("default_expiration", Uint, "3600"),
            ("qualify_timeout", Float, "3.000000"),
            ("qualify_2xx_only", Bool, "false"),
            ("mailboxes", Str, ""),
            ("support_path", Bool, "false"),
            ("remove_unavailable", Bool, "false"),
            ("voicemail_extension", Str, ""),
            ("max_contacts", Uint, "0"),
            ("authenticate_qualify", Bool, "false"),
            ("contact", Str, ""),
            ("maximum_expiration", Uint, "7200"),
            ("qualify_frequency", Uint, "0"),
            ("remove_existing", Bool, "false"),
            ("outbound_proxy", Str, ""),
        ];
        let contacts: Vec<String> = self
            .contact_ids()
            .iter()
            .map(|(_, uri)| format!("{}/{uri}", self.name))
            .collect();
        objectset(
            FIELDS,
            &self.options,
            &[
                ("minimum_expiration", self.minimum_expiration.to_string()),
                ("default_expiration", self.default_expiration.to_string()),
                ("max_contacts", self.max_contacts.to_string()),
                ("contact", contacts.join(",")),
                ("maximum_expiration", self.maximum_expiration.to_string()),
                ("qualify_frequency", self.qualify_frequency.to_string()),
                ("remove_existing", self.remove_existing.to_string()),
            ],
        )
    }
}

/// A `contact` object (res_pjsip keeps registered ones in astdb and
/// builds one per `contact=` of an AOR), with the fields it prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub uri: String,
    pub path: String,
    /// Unix seconds; 0 for a permanent contact.
    pub expiration_time: i64,
    pub qualify_frequency: u32,
    pub qualify_timeout: f64,
    pub qualify_2xx_only: bool,
    pub authenticate_qualify: bool,
    pub outbound_proxy: String,
    pub user_agent: String,
    pub endpoint: String,
    pub reg_server: String,
    pub via_addr: String,
    pub via_port: u16,
    pub call_id: String,
    pub prune_on_boot: bool,
}

impl Contact {
    /// An AOR's `contact=` URI: sorcery's defaults and the URI only (the
    /// AOR's qualify settings are not copied to it).
    pub fn permanent(uri: &str) -> Contact {
        Contact {
            uri: uri.to_string(),
            path: String::new(),
            expiration_time: 0,
            qualify_frequency: 0,
            qualify_timeout: 3.0,
            qualify_2xx_only: false,
            authenticate_qualify: false,
            outbound_proxy: String::new(),
            user_agent: String::new(),
            endpoint: String::new(),
            reg_server: String::new(),
            via_addr: String::new(),
            via_port: 0,
            call_id: String::new(),
            prune_on_boot: false,
        }
    }

    /// Every field with a to-string handler, as sorcery prints it
    /// (`type` has none). In registration order: callers look fields up
    /// by name.
    pub fn params(&self) -> Vec<(String, String)> {
        let tf = |b: bool| if b { "true" } else { "false" }.to_string();
        let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
        [
            ("uri", self.uri.clone()),
            ("path", self.path.clone()),
            ("expiration_time", self.expiration_time.to_string()),
            ("qualify_frequency", self.qualify_frequency.to_string()),
            ("qualify_timeout", format!("{:.6}", self.qualify_timeout)),
            ("qualify_2xx_only", tf(self.qualify_2xx_only)),
            ("authenticate_qualify", yn(self.authenticate_qualify)),
            ("outbound_proxy", self.outbound_proxy.clone()),
            ("user_agent", self.user_agent.clone()),
            ("endpoint", self.endpoint.clone()),
            ("reg_server", self.reg_server.clone()),
            ("via_addr", self.via_addr.clone()),
            ("via_port", self.via_port.to_string()),
            ("call_id", self.call_id.clone()),
            ("prune_on_boot", yn(self.prune_on_boot)),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect()
    }
}

impl Identify {
    /// `match=` as `ast_ha_join` prints it: each `address/netmask`, the
    /// address masked.
    pub fn match_label(&self) -> String {
        self.matches
            .iter()
            .map(|m| match super::acl::parse_ha(super::acl::Sense::Deny, m) {
                Some(ha) => format!("{}/{}", ha.addr, ha.netmask),
                None => m.clone(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every option, in sorcery's order (see [`objectset`]).
    pub fn params(&self) -> Vec<(String, String)> {
        use Kind::*;
        const FIELDS: &[(&str, Kind, &str)] = &[
            ("match", Str, ""),
            ("match_request_uri", Str, ""),
            ("srv_lookups", Bool, "true"),
            ("endpoint", Str, ""),
            ("match_header", Str, ""),
        ];
        objectset(
            FIELDS,
            &self.options,
            &[
                ("match", self.match_label()),
                ("endpoint", self.endpoint.clone()),
                ("match_header", self.match_header.clone()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str, vars: &[(&str, &str)]) -> Category {
        crate::config::views::testutil::category("pjsip.conf", name, vars)
    }

    #[test]
    fn objectsets_print_options_as_sorcery_does() {
        let mut diags = Vec::new();
        let aor = parse_aor(
            &Config::default(),
            &cat(
                "a",
                &[
                    ("type", "aor"),
                    ("contact", "sip:a@127.0.0.1:5070"),
                    ("remove_unavailable", "yes"),
                    ("qualify_timeout", "5"),
                    ("mailboxes", "100@default"),
                ],
            ),
            &mut diags,
        );
        let p = aor.params();
        let get = |n: &str| p.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("remove_unavailable"), Some("true"));
        assert_eq!(get("qualify_timeout"), Some("5.000000"));
        assert_eq!(get("mailboxes"), Some("100@default"));
        assert_eq!(get("contact"), Some("a/sip:a@127.0.0.1:5070"));
        assert_eq!(get("support_path"), Some("false"));
        assert_eq!(p.len(), 15);

        let id = parse_identify(
            &Config::default(),
            &cat(
                "i",
                &[
                    ("type", "identify"),
                    ("endpoint", "e"),
                    ("match", "10.1.2.3/24,::1"),
                ],
            ),
            &mut diags,
        );
        assert_eq!(
            id.params()[0],
            (
                "match".to_string(),
                "10.1.2.0/255.255.255.0,::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".to_string()
            )
        );
    }

    #[test]
    fn md5_known_values() {
        for (input, hash) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            (
                "sip:1001@127.0.0.1:5073",
                "54374fb4eb8ca040173fbe59c54b875b",
            ),
        ] {
            assert_eq!(crate::funcs::md5::hex(input.as_bytes()), hash, "{input}");
        }
    }

    #[test]
    fn bind_addresses() {
        for (bind, proto, shown) in [
            ("127.0.0.1:5070", "udp", "127.0.0.1:5070"),
            ("0.0.0.0", "udp", "0.0.0.0:5060"),
            ("0.0.0.0", "tls", "0.0.0.0:5061"),
            ("[::]:5060", "udp", "[::]:5060"),
            ("::", "udp", "[::]:5060"),
        ] {
            let t = Transport {
                name: "t".into(),
                protocol: proto.into(),
                bind: bind.into(),
                cos: 0,
                tos: 0,
                options: Vec::new(),
            };
            assert_eq!(t.bind_address(), shown, "{bind}");
        }
    }

    #[test]
    fn moh_passthrough_is_reported() {
        let cfg = Config {
            categories: vec![
                cat("1", &[("type", "endpoint"), ("moh_passthrough", "yes")]),
                cat("2", &[("type", "endpoint"), ("moh_passthrough", "no")]),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let c = PjsipConf::from_config(&cfg, &mut d);
        assert_eq!(c.endpoints.len(), 2);
        let notes: Vec<_> = d
            .iter()
            .filter(|n| n.message.starts_with("'moh_passthrough'"))
            .collect();
        assert_eq!(notes.len(), 1, "{d:?}");
        assert_eq!(notes[0].severity, Severity::Notice);
    }

    #[test]
    fn shared_section_names_and_states() {
        let cfg = Config {
            categories: vec![
                cat(
                    "1001",
                    &[
                        ("type", "endpoint"),
                        ("aors", "1001"),
                        ("callerid", "Bob <1001>"),
                    ],
                ),
                cat(
                    "1001",
                    &[("type", "aor"), ("contact", "sip:1001@127.0.0.1:5073")],
                ),
                cat(
                    "2001",
                    &[
                        ("type", "endpoint"),
                        ("aors", "2001"),
                        ("frobnicate", "yes"),
                    ],
                ),
                cat("2001", &[("type", "aor"), ("max_contacts", "1")]),
                cat("a", &[("type", "auth"), ("username", "u")]),
                cat("x", &[("type", "bogus")]),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let c = PjsipConf::from_config(&cfg, &mut d);
        // Sorcery refuses an endpoint with an unknown option.
        assert_eq!((c.endpoints.len(), c.aors.len(), c.auths.len()), (1, 2, 1));
        assert_eq!(
            c.endpoint("1001").and_then(|e| e.callerid_num.clone()),
            Some("1001".into())
        );
        assert_eq!(
            c.endpoint("1001").map(|e| e.context.as_str()),
            Some("default")
        );
        assert_eq!(c.aor("2001").map(|a| a.max_contacts), Some(1));
        assert_eq!(c.device_state("1001"), DeviceState::NotInUse);
        assert_eq!(c.device_state("2001"), DeviceState::Invalid);
        assert_eq!(c.device_state("3001"), DeviceState::Invalid);
        assert!(
            d.iter()
                .any(|d| d.message.contains("frobnicate=yes refused"))
        );
        assert!(d.iter().any(|d| d.message.contains("'bogus'")));
    }
}
