//! `rtp.conf` (res_rtp_asterisk): port range, strict RTP, ICE/STUN/TURN.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::acl::AclList;
use super::values::{atoi, scan_d};
use super::{View, bad_value, report_unknown};
use crate::config::{Config, Diagnostic, is_false, is_true};

const GENERAL_OPTIONS: &[&str] = &[
    "rtpstart",
    "rtpend",
    "rtcpinterval",
    "rtpchecksums",
    "dtmftimeout",
    "strictrtp",
    "probation",
    "srtpreplayprotection",
    "icesupport",
    "stun_software_attribute",
    "stunaddr_reresolve_ttl_0",
    "stunaddr",
    "turnaddr",
    "turnusername",
    "turnpassword",
    "dtls_mtu",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StrictRtp {
    No,
    Yes,
    Seqno,
}

/// `stunaddr=`: an address, or a name Asterisk resolves (again and again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Stun {
    Address(SocketAddrV4),
    Hostname { host: String, port: u16 },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RtpConf {
    pub rtpstart: i64,
    pub rtpend: i64,
    /// Milliseconds between RTCP reports.
    pub rtcpinterval: i64,
    pub rtpchecksums: bool,
    /// Samples (8 kHz).
    pub dtmftimeout: i64,
    pub strictrtp: StrictRtp,
    pub probation: i64,
    pub srtpreplayprotection: bool,
    pub icesupport: bool,
    pub stun_software_attribute: bool,
    pub stunaddr_reresolve_ttl_0: bool,
    pub stun: Option<Stun>,
    pub turnaddr: Option<SocketAddrV4>,
    pub turnusername: String,
    pub turnpassword: String,
    pub dtls_mtu: i64,
    pub ice_acl: AclList,
    pub stun_acl: AclList,
    /// `[ice_host_candidates]`: local address → advertised one.
    pub ice_host_candidates: Vec<(String, String)>,
}

impl Default for RtpConf {
    fn default() -> Self {
        RtpConf {
            rtpstart: 5000,
            rtpend: 31000,
            rtcpinterval: 5000,
            rtpchecksums: true,
            dtmftimeout: 1200,
            strictrtp: StrictRtp::Yes,
            probation: 4,
            srtpreplayprotection: true,
            icesupport: true,
            stun_software_attribute: true,
            stunaddr_reresolve_ttl_0: false,
            stun: None,
            turnaddr: None,
            turnusername: String::new(),
            turnpassword: String::new(),
            dtls_mtu: 1200,
            ice_acl: AclList::default(),
            stun_acl: AclList::default(),
            ice_host_candidates: Vec::new(),
        }
    }
}

/// `host[:port]` with a default port, IPv4 only (as `sockaddr_in`).
fn v4_with_port(s: &str, default_port: u16) -> Option<SocketAddrV4> {
    if let Ok(a) = s.parse::<SocketAddrV4>() {
        return Some(a);
    }
    s.parse::<Ipv4Addr>()
        .ok()
        .map(|ip| SocketAddrV4::new(ip, default_port))
}

impl View for RtpConf {
    const FILE: &'static str = "rtp.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut r = RtpConf::default();
        for cat in cfg.sections() {
            let lname = cat.name.to_ascii_lowercase();
            if lname == "general" || lname == "ice_host_candidates" {
                continue;
            }
            for v in &cat.variables {
                super::report_unknown(cfg, diags, cat, v);
            }
        }
        if let Some(cat) = cfg.section("general") {
            // The ACL options are read in file order.
            for v in &cat.variables {
                let lname = v.name.to_ascii_lowercase();
                let (sense, acl) = if let Some(s) = lname.strip_prefix("ice_") {
                    (s, &mut r.ice_acl)
                } else if let Some(s) = lname.strip_prefix("stun_") {
                    (s, &mut r.stun_acl)
                } else {
                    if !GENERAL_OPTIONS.contains(&lname.as_str()) {
                        report_unknown(cfg, diags, cat, v);
                    }
                    continue;
                };
                let sense = if sense == "blacklist" { "deny" } else { sense };
                if matches!(sense, "acl" | "permit" | "deny") {
                    if let Err(e) = acl.append(sense, &v.value) {
                        bad_value(diags, v, &format!("an address rule ({e})"));
                    }
                } else if lname != "stun_software_attribute" {
                    report_unknown(cfg, diags, cat, v);
                }
            }
            // Everything else: the last value of each option counts.
            let get = |n: &str| cat.get_var(n);
            if let Some(v) = get("rtpstart") {
                r.rtpstart = atoi(&v.value).clamp(1024, 65535);
            }
            if let Some(v) = get("rtpend") {
                r.rtpend = atoi(&v.value).clamp(1024, 65535);
            }
            if let Some(v) = get("rtcpinterval") {
                // 0 (off) is clamped to the minimum like any low value.
                r.rtcpinterval = atoi(&v.value).clamp(500, 60000);
            }
            if let Some(v) = get("rtpchecksums") {
                r.rtpchecksums = !is_false(&v.value);
            }
            if let Some(v) = get("dtmftimeout") {
                let n = atoi(&v.value);
                if (0..=64000).contains(&n) {
                    r.dtmftimeout = n;
                } else {
                    bad_value(diags, v, "0 to 64000 samples (1200 is used)");
                }
            }
            if let Some(v) = get("strictrtp") {
                r.strictrtp = if is_true(&v.value) {
                    StrictRtp::Yes
                } else if v.value.eq_ignore_ascii_case("seqno") {
                    StrictRtp::Seqno
                } else {
                    StrictRtp::No
                };
            }
            if let Some(v) = get("probation") {
                match scan_d(&v.value) {
                    Some(n) if n > 1 => r.probation = n,
                    _ => bad_value(diags, v, "a number of packets above 1 (4 is used)"),
                }
            }
            if let Some(v) = get("srtpreplayprotection") {
                r.srtpreplayprotection = is_true(&v.value);
            }
            if let Some(v) = get("icesupport") {
                r.icesupport = is_true(&v.value);
            }
            if let Some(v) = get("stun_software_attribute") {
                r.stun_software_attribute = is_true(&v.value);
            }
            if let Some(v) = get("stunaddr_reresolve_ttl_0") {
                r.stunaddr_reresolve_ttl_0 = is_true(&v.value);
            }
            if let Some(v) = get("stunaddr") {
                r.stun = match v4_with_port(&v.value, 3478) {
                    Some(a) => Some(Stun::Address(a)),
                    None => {
                        let (host, port) = match v.value.rsplit_once(':') {
                            Some((h, p)) => (h, p.parse().unwrap_or(3478)),
                            None => (v.value.as_str(), 3478),
                        };
                        if host.is_empty() {
                            bad_value(diags, v, "host[:port]");
                            None
                        } else {
                            Some(Stun::Hostname {
                                host: host.to_string(),
                                port,
                            })
                        }
                    }
                };
            }
            if let Some(v) = get("turnaddr") {
                match v4_with_port(&v.value, 3478) {
                    Some(a) => r.turnaddr = Some(a),
                    None => bad_value(diags, v, "an IPv4 address[:port]"),
                }
            }
            if let Some(v) = get("turnusername") {
                r.turnusername = v.value.clone();
            }
            if let Some(v) = get("turnpassword") {
                r.turnpassword = v.value.clone();
            }
            if let Some(v) = get("dtls_mtu") {
                match scan_d(&v.value) {
                    Some(n) if n >= 256 => r.dtls_mtu = n,
                    _ => bad_value(diags, v, "at least 256 (1200 is used)"),
                }
            }
            // An odd start port is rounded up; an empty range falls back.
            if r.rtpstart % 2 == 1 {
                r.rtpstart += 1;
                if let Some(v) = get("rtpstart") {
                    bad_value(diags, v, "an even port (rounded up)");
                }
            }
            if r.rtpstart >= r.rtpend {
                if let Some(v) = get("rtpend") {
                    bad_value(diags, v, "a port above rtpstart (5000-31000 is used)");
                }
                r.rtpstart = 5000;
                r.rtpend = 31000;
            }
        }
        if let Some(cat) = cfg.section("ice_host_candidates") {
            for v in &cat.variables {
                r.ice_host_candidates
                    .push((v.name.clone(), v.value.clone()));
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn ports_and_stun() {
        let cfg = config(vec![category(
            "rtp.conf",
            "general",
            &[
                ("rtpstart", "10001"),
                ("rtpend", "20000"),
                ("strictrtp", "seqno"),
                ("stunaddr", "192.0.2.1"),
                ("stun_deny", "0.0.0.0/0"),
                ("ice_blacklist", "10.0.0.0/8"),
            ],
        )]);
        let mut d = Vec::new();
        let r = RtpConf::from_config(&cfg, &mut d);
        assert_eq!(
            (r.rtpstart, r.rtpend, r.strictrtp),
            (10002, 20000, StrictRtp::Seqno)
        );
        assert_eq!(
            r.stun,
            Some(Stun::Address("192.0.2.1:3478".parse().expect("addr")))
        );
        assert_eq!(r.stun_acl.acls[0].rules.len(), 1);
        assert_eq!(
            r.ice_acl.acls[0].rules[0].sense,
            crate::config::views::acl::Sense::Deny
        );
        assert_eq!(d.len(), 1);
    }
}
