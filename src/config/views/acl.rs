//! `permit=`/`deny=`/`acl=` as every module reads them (`ast_append_acl`):
//! an unnamed ACL of address rules, kept at the head of the list, and any
//! number of named ACLs whose rules live in acl.conf.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Sense {
    Allow,
    Deny,
}

/// One `permit`/`deny` rule, with the address already masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HaRule {
    pub sense: Sense,
    pub addr: IpAddr,
    pub netmask: IpAddr,
}

/// The unnamed ACL (empty name) or a named one from `acl=`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acl {
    pub name: String,
    pub rules: Vec<HaRule>,
}

/// The ACLs of one object, in Asterisk's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AclList {
    pub acls: Vec<Acl>,
}

impl AclList {
    pub fn is_empty(&self) -> bool {
        self.acls.is_empty()
    }

    /// Applies one option: `option` is `permit`, `deny` or `acl` (any
    /// word starting with `a` is taken as `acl`, anything not starting
    /// with `p` as a deny, as Asterisk tests only the first letter).
    /// Returns the problem Asterisk would report; rules before the bad
    /// one are kept, as Asterisk keeps them.
    pub fn append(&mut self, option: &str, value: &str) -> Result<(), String> {
        if option.to_ascii_lowercase().starts_with('a') {
            let mut result = Ok(());
            for name in value.split(',').map(|n| n.trim_start()) {
                if self.acls.iter().any(|a| a.name.eq_ignore_ascii_case(name)) {
                    result = Err(format!("named ACL '{name}' listed more than once"));
                    continue;
                }
                self.acls.push(Acl {
                    name: name.to_string(),
                    rules: Vec::new(),
                });
            }
            return result;
        }
        let sense = if option.to_ascii_lowercase().starts_with('p') {
            Sense::Allow
        } else {
            Sense::Deny
        };
        if self.acls.first().is_none_or(|a| !a.name.is_empty()) {
            self.acls.insert(
                0,
                Acl {
                    name: String::new(),
                    rules: Vec::new(),
                },
            );
        }
        for item in value.split(',') {
            let rule = parse_ha(sense, item).ok_or_else(|| format!("bad address rule '{item}'"))?;
            if let Some(a) = self.acls.first_mut() {
                a.rules.push(rule);
            }
        }
        Ok(())
    }

    /// `ast_acl_output`: each ACL's name under a rule, then its rules
    /// numbered, every line after `prefix`.
    pub fn output(&self, prefix: &str) -> String {
        let mut out = String::new();
        for acl in &self.acls {
            let name = if acl.name.is_empty() {
                "(unnamed)"
            } else {
                &acl.name
            };
            out.push_str(&format!(
                "{prefix}ACL: {name}\n---------------------------------------------\n"
            ));
            for (i, r) in acl.rules.iter().enumerate() {
                let sense = match r.sense {
                    Sense::Allow => "allow",
                    Sense::Deny => " deny",
                };
                out.push_str(&format!(
                    "{prefix}{i:>3}: {sense} - {}/{}\n",
                    r.addr, r.netmask
                ));
            }
        }
        out
    }

    /// `ast_apply_acl`: every ACL must allow the address. Within one ACL
    /// the last rule that matches decides (`ast_apply_ha`), and an address
    /// no rule matches is allowed.
    pub fn allows(&self, addr: IpAddr) -> bool {
        self.acls.iter().all(|acl| {
            let mut sense = Sense::Allow;
            for r in &acl.rules {
                if masked(addr, r.netmask) == Some(r.addr) {
                    sense = r.sense;
                }
            }
            sense == Sense::Allow
        })
    }

    /// What res_pjsip shows for an endpoint's `acl`/`contact_acl`: the
    /// first ACL's name, or `deny/permit` for the unnamed one.
    pub fn summary(&self) -> &str {
        match self.acls.first() {
            None => "",
            Some(a) if a.name.is_empty() => "deny/permit",
            Some(a) => &a.name,
        }
    }
}

impl<'a> IntoIterator for &'a AclList {
    type Item = &'a Acl;
    type IntoIter = std::slice::Iter<'a, Acl>;

    fn into_iter(self) -> Self::IntoIter {
        self.acls.iter()
    }
}

/// Parses `addr[/mask]` (`!` in front inverts the sense) as
/// `ast_append_ha`: the mask is dotted or a prefix length; without one the
/// rule covers one host.
pub fn parse_ha(sense: Sense, text: &str) -> Option<HaRule> {
    let (addr, mask) = match text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (text, None),
    };
    let (sense, addr) = match addr.strip_prefix('!') {
        Some(rest) => (
            match sense {
                Sense::Allow => Sense::Deny,
                Sense::Deny => Sense::Allow,
            },
            rest,
        ),
        None => (sense, addr),
    };
    let addr: IpAddr = addr
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let v4 = addr.is_ipv4();
    let bits = if v4 { 32 } else { 128 };
    let netmask: IpAddr = match mask.map(str::trim) {
        None => prefix_mask(v4, bits)?,
        Some(m) if m.contains(['.', ':']) => {
            let parsed: IpAddr = m.parse().ok()?;
            if parsed.is_ipv4() != v4 {
                return None;
            }
            parsed
        }
        Some(m) => prefix_mask(v4, m.parse::<u32>().ok().filter(|n| *n <= bits)?)?,
    };
    let addr = match (addr, netmask) {
        (IpAddr::V4(a), IpAddr::V4(m)) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & u32::from(m))),
        (IpAddr::V6(a), IpAddr::V6(m)) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & u128::from(m))),
        _ => return None,
    };
    Some(HaRule {
        sense,
        addr,
        netmask,
    })
}

fn prefix_mask(v4: bool, len: u32) -> Option<IpAddr> {
    Some(if v4 {
        let m = if len == 0 {
            0
        } else {
            u32::MAX.checked_shl(32 - len)?
        };
        IpAddr::V4(Ipv4Addr::from(m))
    } else {
        let m = if len == 0 {
            0
        } else {
            u128::MAX.checked_shl(128 - len)?
        };
        IpAddr::V6(Ipv6Addr::from(m))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_first_then_named() {
        let mut l = AclList::default();
        l.append("acl", "office").unwrap();
        l.append("deny", "0.0.0.0/0.0.0.0").unwrap();
        l.append("permit", "10.1.2.3/8,!10.9.0.0/16").unwrap();
        assert_eq!(l.summary(), "deny/permit");
        assert_eq!(l.acls[1].name, "office");
        let r = &l.acls[0].rules;
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[1].addr.to_string(), r[1].netmask.to_string()),
            ("10.0.0.0".into(), "255.0.0.0".into())
        );
        assert_eq!(r[2].sense, Sense::Deny);
        assert!(l.append("acl", "OFFICE").is_err());
        assert!(l.append("permit", "nonsense").is_err());
        let mut named = AclList::default();
        named.append("acl", "a,b").unwrap();
        assert_eq!(named.summary(), "a");
    }
}

/// `addr` under `mask` when both are the same family (an IPv4 address
/// against an IPv6 rule never matches; mapped IPv4 is compared as IPv4).
fn masked(addr: IpAddr, mask: IpAddr) -> Option<IpAddr> {
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    };
    match (addr, mask) {
        (IpAddr::V4(a), IpAddr::V4(m)) => {
            Some(IpAddr::V4(Ipv4Addr::from(u32::from(a) & u32::from(m))))
        }
        (IpAddr::V6(a), IpAddr::V6(m)) => {
            Some(IpAddr::V6(Ipv6Addr::from(u128::from(a) & u128::from(m))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;

    #[test]
    fn last_matching_rule_decides() {
        let mut l = AclList::default();
        l.append("deny", "0.0.0.0/0.0.0.0").expect("rule");
        l.append("permit", "127.0.0.1/255.255.255.255")
            .expect("rule");
        assert!(l.allows("127.0.0.1".parse().expect("ip")));
        assert!(!l.allows("10.0.0.1".parse().expect("ip")));
        assert!(AclList::default().allows("10.0.0.1".parse().expect("ip")));
    }
}
