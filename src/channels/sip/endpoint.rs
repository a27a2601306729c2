//! One view of a SIP device for the call and registrar code, built from
//! either sip.conf (chan_sip peers, users and friends) or pjsip.conf
//! (endpoints with their auths, aors and identifies), so both channel
//! drivers share one implementation of calls, digest auth and registration.

use std::net::{IpAddr, SocketAddr};

use crate::config::views::acl::AclList;
use crate::config::views::pjsip::PjsipConf;
use crate::config::views::sip::SipConf;
use crate::media::Codec;
use crate::sip::sdp::codec_by_name;

/// Which configuration style (and so which channel driver) a device
/// comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// chan_sip, sip.conf: channels `SIP/peer-…`.
    ChanSip,
    /// chan_pjsip, pjsip.conf: channels `PJSIP/endpoint-…`.
    Pjsip,
}

impl Flavor {
    pub fn tech(self) -> &'static str {
        match self {
            Flavor::ChanSip => "SIP",
            Flavor::Pjsip => "PJSIP",
        }
    }
}

/// Digest credentials a device must prove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    /// Plain secret, or the `md5secret`/`md5_cred` hash when `md5` is set.
    pub secret: String,
    pub md5: bool,
    pub realm: String,
}

/// Credentials we answer a challenge to our own request with: for one
/// realm, or for any (`realm` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundAuth {
    pub username: String,
    /// Plain secret, or MD5(user:realm:secret) when `md5` is set.
    pub secret: String,
    pub md5: bool,
    pub realm: Option<String>,
}

impl OutboundAuth {
    pub fn secret(&self) -> crate::sip::auth::Secret<'_> {
        digest_secret(&self.secret, self.md5)
    }
}

impl Credentials {
    pub fn secret(&self) -> crate::sip::auth::Secret<'_> {
        digest_secret(&self.secret, self.md5)
    }
}

/// A stored secret as digest auth takes it: the password, or its HA1.
fn digest_secret(secret: &str, md5: bool) -> crate::sip::auth::Secret<'_> {
    if md5 {
        crate::sip::auth::Secret::Ha1(secret)
    } else {
        crate::sip::auth::Secret::Password(secret)
    }
}

/// The first of `auths` for a challenge from `realm`: one naming that
/// realm (case-insensitive) before one for any realm.
pub fn auth_for_realm<'a>(auths: &'a [OutboundAuth], realm: &str) -> Option<&'a OutboundAuth> {
    auths
        .iter()
        .find(|a| {
            a.realm
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(realm))
        })
        .or_else(|| auths.iter().find(|a| a.realm.is_none()))
}

/// A SIP device as the call code sees it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub flavor: Flavor,
    pub context: String,
    /// Credentials inbound requests must prove; none: no challenge.
    pub auth: Option<Credentials>,
    /// What we answer its challenges to our requests with.
    pub outbound_auths: Vec<OutboundAuth>,
    /// `allow=` order, restricted to what the media engine carries.
    pub codecs: Vec<Codec>,
    pub rfc4733: bool,
    /// Registers its contact (chan_sip `host=dynamic`, pjsip aor with
    /// `max_contacts`).
    pub dynamic: bool,
    /// Where to reach it when it does not register.
    pub static_contact: Option<String>,
    /// AOR names this endpoint's registrations may bind (pjsip `aors=`;
    /// chan_sip: the peer itself).
    pub aors: Vec<String>,
    /// Addresses that identify it without a user match (pjsip
    /// `identify`, chan_sip `host=<ip>` peers); no port matches any.
    pub match_addrs: Vec<(IpAddr, Option<u16>)>,
    /// Whether From-user matching may find it (pjsip `identify_by`
    /// username; chan_sip users and friends).
    pub match_user: bool,
    pub acl: AclList,
    pub language: String,
    pub callerid_name: Option<String>,
    pub callerid_num: Option<String>,
    pub accountcode: String,
    pub mohsuggest: String,
    /// The class its channels play when a bridge puts them on hold
    /// (chan_sip `mohinterpret`; pjsip has none of its own).
    pub mohinterpret: String,
    /// Whether RTP goes back to where the device's RTP comes from rather
    /// than to its SDP address (chan_sip `nat=comedia`, pjsip
    /// `rtp_symmetric`).
    pub symmetric_rtp: SymmetricRtp,
    /// Calls to it go over TCP (chan_sip `transport=tcp` first; pjsip
    /// `transport=` naming a TCP transport).
    pub tcp: bool,
    /// Its session-timer settings (RFC 4028).
    pub timers: crate::sip::timer::Policy,
    /// Its call and pickup groups, given to its channels (chan_sip
    /// `callgroup`/`pickupgroup`/`namedcallgroup`/`namedpickupgroup`,
    /// pjsip `call_group`/`pickup_group`/`named_call_group`/
    /// `named_pickup_group`).
    pub groups: Groups,
    /// Whether it may transfer its calls by REFER (chan_sip
    /// `allowtransfer`, pjsip `allow_transfer`).
    pub allow_transfer: bool,
    /// pjsip `refer_blind_progress`: a blind transfer's NOTIFYs follow
    /// the transferee's progress (else one 200 at once).
    pub refer_blind_progress: bool,
}

/// A device's call and pickup groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    pub callgroup: u64,
    pub pickupgroup: u64,
    pub named_callgroups: crate::config::views::groups::NamedGroups,
    pub named_pickupgroups: crate::config::views::groups::NamedGroups,
}

impl Groups {
    /// Gives a new channel of the device its groups (`sip_new`,
    /// `chan_pjsip_new`).
    pub fn apply(&self, chan: &crate::channels::Channel) {
        let mut d = chan.lock();
        d.props.callgroup = self.callgroup;
        d.props.pickupgroup = self.pickupgroup;
        d.props.named_callgroups = self.named_callgroups.clone();
        d.props.named_pickupgroups = self.named_pickupgroups.clone();
    }
}

/// When a call's RTP is symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymmetricRtp {
    Never,
    Always,
    /// chan_sip `nat=auto_comedia`: when the request came from elsewhere
    /// than its Via says (the device is behind NAT).
    IfNat,
}

impl SymmetricRtp {
    /// Decided for a call whose INVITE came from `source` with top Via
    /// sent-by `via` (host, port).
    pub fn decide(self, via: Option<(String, Option<u16>)>, source: SocketAddr) -> bool {
        match self {
            SymmetricRtp::Never => false,
            SymmetricRtp::Always => true,
            SymmetricRtp::IfNat => via.is_none_or(|(host, port)| {
                host != source.ip().to_string() || port.unwrap_or(5060) != source.port()
            }),
        }
    }
}

fn codecs(names: &[String]) -> Vec<Codec> {
    let mut out: Vec<Codec> = Vec::new();
    for n in names {
        let name = n.split(':').next().unwrap_or(n);
        if let Some(c) = codec_by_name(name)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

fn nonempty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// chan_sip's credentials for a challenge from a peer: its `auth=` lines,
/// then `[authentication]`'s, each for its realm, then for any realm the
/// peer's `defaultuser` with `remotesecret` or `secret` (or `md5secret`);
/// without a `defaultuser` that last one is not there.
fn sip_outbound_auths(conf: &SipConf, p: &crate::config::views::sip::SipPeer) -> Vec<OutboundAuth> {
    let realm_lines = p.auths.iter().chain(&conf.auths).map(|a| OutboundAuth {
        username: a.username.clone(),
        md5: a.secret.is_empty() && !a.md5secret.is_empty(),
        secret: if a.secret.is_empty() {
            a.md5secret.clone()
        } else {
            a.secret.clone()
        },
        realm: Some(a.realm.clone()),
    });
    let own = (!p.username.is_empty()).then(|| {
        let (secret, md5) = if !p.md5secret.is_empty() {
            (p.md5secret.clone(), true)
        } else if !p.remotesecret.is_empty() {
            (p.remotesecret.clone(), false)
        } else {
            (p.secret.clone(), false)
        };
        OutboundAuth {
            username: p.username.clone(),
            secret,
            md5,
            realm: None,
        }
    });
    realm_lines.chain(own).collect()
}

/// chan_sip's session-timer settings (`session-timers`, `-expires`,
/// `-minse`, `-refresher`).
pub fn chan_sip_timers(st: &crate::config::views::sip::PeerSettings) -> crate::sip::timer::Policy {
    use crate::config::views::sip::SessionTimers;
    use crate::sip::timer::{Mode, Policy, Refresher};
    Policy {
        mode: match st.session_timers {
            SessionTimers::Accept => Mode::Accept,
            SessionTimers::Originate => Mode::Always,
            SessionTimers::Refuse => Mode::Refuse,
        },
        expires: u32::try_from(st.session_expires).unwrap_or(1800),
        min_se: u32::try_from(st.session_minse).unwrap_or(90),
        refresher: if st.session_refresher_uas {
            Refresher::Uas
        } else {
            Refresher::Uac
        },
    }
}

/// chan_sip devices that calls and registrations can come from.
pub fn from_sip_conf(conf: &SipConf) -> Vec<Endpoint> {
    conf.peers
        .iter()
        .map(|p| {
            let auth = if !p.md5secret.is_empty() {
                Some((p.md5secret.clone(), true))
            } else if !p.secret.is_empty() {
                Some((p.secret.clone(), false))
            } else {
                None
            };
            Endpoint {
                name: p.name.clone(),
                flavor: Flavor::ChanSip,
                context: p.settings.context.clone(),
                // chan_sip checks the digest's user against the peer's
                // name, whatever its `defaultuser`.
                auth: auth.map(|(secret, md5)| Credentials {
                    username: p.name.clone(),
                    secret,
                    md5,
                    realm: conf.general.realm.clone(),
                }),
                outbound_auths: sip_outbound_auths(conf, p),
                codecs: codecs(&p.settings.codecs.0),
                rfc4733: matches!(
                    p.settings.dtmfmode,
                    crate::config::views::sip::DtmfMode::Rfc2833
                        | crate::config::views::sip::DtmfMode::Auto
                ),
                dynamic: p.host_dynamic,
                static_contact: p.addr.map(|ip| {
                    let port = if p.port == 0 { 5060 } else { p.port };
                    format!("sip:{}@{}", p.name, SocketAddr::new(ip, port))
                }),
                aors: vec![p.name.clone()],
                match_addrs: if p.kind.is_peer() {
                    p.addr
                        .map(|ip| (ip, (p.port != 0).then_some(p.port)))
                        .into_iter()
                        .collect()
                } else {
                    Vec::new()
                },
                match_user: !matches!(p.kind, crate::config::views::sip::PeerType::Peer),
                acl: p.acl.clone(),
                language: p.settings.language.clone(),
                callerid_name: nonempty(&p.cid_name),
                callerid_num: nonempty(&p.cid_num),
                accountcode: p.accountcode.clone(),
                mohsuggest: p.settings.mohsuggest.clone(),
                mohinterpret: p.settings.mohinterpret.clone(),
                tcp: p.settings.primary_transport
                    == Some(crate::config::views::sip::Transport::Tcp),
                timers: chan_sip_timers(&p.settings),
                allow_transfer: p.settings.allowtransfer,
                refer_blind_progress: true,
                groups: Groups {
                    callgroup: p.callgroup,
                    pickupgroup: p.pickupgroup,
                    named_callgroups: p.namedcallgroup.clone(),
                    named_pickupgroups: p.namedpickupgroup.clone(),
                },
                symmetric_rtp: if p.settings.nat.comedia {
                    SymmetricRtp::Always
                } else if p.settings.nat.auto_comedia {
                    SymmetricRtp::IfNat
                } else {
                    SymmetricRtp::Never
                },
            }
        })
        .collect()
}

/// chan_pjsip endpoints with their auth, aors and identify matches.
pub fn from_pjsip_conf(conf: &PjsipConf) -> Vec<Endpoint> {
    use crate::config::views::pjsip_endpoint::{Dtmf, IdentifyBy};
    conf.endpoints
        .iter()
        .map(|e| {
            let auth = e.inbound_auths.first().and_then(|a| conf.auth(a)).map(|a| {
                let (secret, md5) = a.secret();
                Credentials {
                    username: a.username.clone(),
                    secret,
                    md5,
                    realm: if a.realm.is_empty() {
                        "asterisk".into()
                    } else {
                        a.realm.clone()
                    },
                }
            });
            let aors: Vec<String> = e
                .aors
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let dynamic = aors
                .iter()
                .filter_map(|a| conf.aor(a))
                .any(|a| a.max_contacts > 0);
            let static_contact = aors
                .iter()
                .filter_map(|a| conf.aor(a))
                .find_map(|a| a.contacts.first().cloned());
            let match_addrs = if e.identify_by.contains(&IdentifyBy::Ip) {
                conf.identifies
                    .iter()
                    .filter(|i| i.endpoint == e.name)
                    .flat_map(|i| i.matches.iter())
                    .filter_map(|m| parse_match(m))
                    .collect()
            } else {
                Vec::new()
            };
            let outbound_auths = e
                .outbound_auths
                .iter()
                .filter_map(|a| conf.auth(a))
                .map(|a| {
                    let (secret, md5) = a.secret();
                    OutboundAuth {
                        username: a.username.clone(),
                        secret,
                        md5,
                        realm: (!a.realm.is_empty()).then(|| a.realm.clone()),
                    }
                })
                .collect();
            Endpoint {
                name: e.name.clone(),
                flavor: Flavor::Pjsip,
                context: e.context.clone(),
                auth,
                outbound_auths,
                codecs: codecs(&e.codecs.0),
                rfc4733: matches!(e.dtmf_mode, Dtmf::Rfc4733 | Dtmf::Auto | Dtmf::AutoInfo),
                dynamic,
                static_contact,
                aors,
                match_addrs,
                match_user: e.identify_by.contains(&IdentifyBy::Username)
                    || e.identify_by.contains(&IdentifyBy::AuthUsername),
                acl: e.acl.clone(),
                language: e.language.clone(),
                callerid_name: e.callerid_name.clone(),
                callerid_num: e.callerid_num.clone(),
                accountcode: e.accountcode.clone(),
                mohsuggest: e.moh_suggest.clone(),
                mohinterpret: String::new(),
                allow_transfer: e.allow_transfer,
                refer_blind_progress: e.refer_blind_progress,
                groups: Groups {
                    callgroup: e.call_group,
                    pickupgroup: e.pickup_group,
                    named_callgroups: e.named_call_group.clone(),
                    named_pickupgroups: e.named_pickup_group.clone(),
                },
                tcp: conf
                    .transport(&e.transport)
                    .is_some_and(|t| t.protocol == "tcp"),
                timers: {
                    use crate::config::views::pjsip_endpoint::Timers;
                    use crate::sip::timer::{Mode, Policy, Refresher};
                    Policy {
                        mode: match e.timers {
                            Timers::No => Mode::Refuse,
                            Timers::Yes | Timers::Required => Mode::Accept,
                            Timers::Always => Mode::Always,
                        },
                        expires: e.timers_sess_expires,
                        min_se: e.timers_min_se,
                        // pjsip lets a caller that knows timers refresh.
                        refresher: Refresher::Uac,
                    }
                },
                symmetric_rtp: if e.rtp_symmetric {
                    SymmetricRtp::Always
                } else {
                    SymmetricRtp::Never
                },
            }
        })
        .collect()
}

/// Every device of one driver in the live configuration.
pub fn all(flavor: Flavor, loaded: &crate::core::Loaded) -> Vec<Endpoint> {
    match flavor {
        Flavor::ChanSip => from_sip_conf(&loaded.sip),
        Flavor::Pjsip => from_pjsip_conf(&loaded.pjsip),
    }
}

/// Finds the device a request comes from: by From user, then by source
/// IP (`identify_by=username,ip`; chan_sip users, then peers by address).
pub fn identify<'a>(
    all: &'a [Endpoint],
    from_user: &str,
    source: SocketAddr,
) -> Option<&'a Endpoint> {
    all.iter()
        .find(|e| e.match_user && e.name == from_user)
        .or_else(|| {
            all.iter().find(|e| {
                e.match_addrs
                    .iter()
                    .any(|(ip, port)| *ip == source.ip() && port.is_none_or(|p| p == source.port()))
            })
        })
}

/// An identify `match=` entry: `ip`, `ip:port`, `ip/mask` (host part).
fn parse_match(m: &str) -> Option<(IpAddr, Option<u16>)> {
    let m = m.trim();
    if let Ok(sa) = m.parse::<SocketAddr>() {
        return Some((sa.ip(), Some(sa.port())));
    }
    let host = m.split('/').next()?.trim();
    host.trim_matches(['[', ']'])
        .parse()
        .ok()
        .map(|ip| (ip, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(user: &str, realm: Option<&str>) -> OutboundAuth {
        OutboundAuth {
            username: user.into(),
            secret: "pw".into(),
            md5: false,
            realm: realm.map(str::to_string),
        }
    }

    #[test]
    fn a_realm_of_its_own_comes_before_any_realm() {
        let auths = [auth("any", None), auth("r1", Some("Realm.One"))];
        let user = |realm| auth_for_realm(&auths, realm).map(|a| a.username.as_str());
        assert_eq!(user("realm.one"), Some("r1"));
        assert_eq!(user("elsewhere"), Some("any"));
        assert_eq!(auth_for_realm(&auths[1..], "elsewhere"), None);
    }

    #[test]
    fn chan_sip_answers_with_realm_lines_then_the_peer() {
        let text = "[authentication]\nauth = g:gpw@r2\n\n[t]\ntype = peer\nhost = 127.0.0.1\n\
                    auth = p:ppw@r1\ndefaultuser = me\nsecret = s\nremotesecret = rs\n\n\
                    [nouser]\ntype = peer\nhost = 127.0.0.1\nsecret = s\n";
        let cfg = crate::config::loader::load_str(
            "sip.conf",
            text,
            &crate::config::LoadOptions::new("/x"),
        )
        .expect("loads");
        let mut diags = Vec::new();
        let conf = <SipConf as crate::config::views::View>::from_config(&cfg, &mut diags);
        let eps = from_sip_conf(&conf);
        let t = eps.iter().find(|e| e.name == "t").expect("t");
        let got: Vec<(&str, &str, Option<&str>)> = t
            .outbound_auths
            .iter()
            .map(|a| (a.username.as_str(), a.secret.as_str(), a.realm.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("p", "ppw", Some("r1")),
                ("g", "gpw", Some("r2")),
                // remotesecret wins over secret for answering.
                ("me", "rs", None),
            ]
        );
        // Inbound, chan_sip checks the digest user against the peer name.
        assert_eq!(t.auth.as_ref().map(|c| c.username.as_str()), Some("t"));
        // No defaultuser: nothing to answer with but realm lines.
        let n = eps.iter().find(|e| e.name == "nouser").expect("nouser");
        assert_eq!(n.outbound_auths.len(), 1);
    }
}
