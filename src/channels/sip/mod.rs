//! SIP channels: chan_sip (`sip.conf`, `SIP/…`) and chan_pjsip
//! (`pjsip.conf`, `PJSIP/…`) over one user agent ([`stack`]) on the
//! sans-IO core in `crate::sip`. The two drivers differ in configuration
//! ([`endpoint`]) and in what they write on the wire ([`style`]), not in
//! how calls work.

pub mod callheaders;
pub mod endpoint;
pub mod maintenance;
pub mod message;
pub mod mwi;
pub mod notify;
pub mod outbound;
pub mod presence_xml;
pub mod qualify;
pub mod registrar;
pub mod regstore;
pub mod stack;
pub mod style;
pub mod subscribe;
pub mod tcp;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::core::{System, lock};
use endpoint::Flavor;
use stack::{Listen, SipStack};

/// The stack serving one driver, if it runs.
pub fn stack_of(sys: &System, flavor: Flavor) -> Option<Arc<SipStack>> {
    let stacks = lock(&sys.sip);
    stacks.iter().find(|s| s.flavor == flavor).cloned()
}

/// The outbound registrations of a driver as its task last saw them
/// (empty when the driver is not running).
pub fn registry(sys: &System, flavor: Flavor) -> Vec<outbound::Status> {
    match stack_of(sys, flavor) {
        Some(stack) => lock(&stack.registry)
            .iter()
            .filter(|s| !s.retired)
            .cloned()
            .collect(),
        None => Vec::new(),
    }
}

/// PJSIPRegister/PJSIPUnregister and `pjsip send register|unregister`:
/// hands the request to the pjsip stack running registration `name`
/// (every stack for `*all`, `name` None). False when no registration of
/// that name runs (res_pjsip's `get_state` finds none: never started,
/// or dropped by `*all`).
pub fn outbound_registration(sys: &System, name: Option<&str>, register: bool) -> bool {
    let stacks: Vec<Arc<SipStack>> = lock(&sys.sip)
        .iter()
        .filter(|s| s.flavor == Flavor::Pjsip)
        .cloned()
        .collect();
    let command = |name: Option<String>| {
        if register {
            stack::Command::Register(name)
        } else {
            stack::Command::Unregister(name)
        }
    };
    match name {
        None => {
            for s in &stacks {
                let _ = s.commands.send(command(None));
            }
            true
        }
        Some(name) => {
            let owner = stacks.iter().find(|s| {
                lock(&s.registry)
                    .iter()
                    .any(|r| !r.retired && r.reg.name == name)
            });
            match owner {
                Some(s) => {
                    let _ = s.commands.send(command(Some(name.to_string())));
                    true
                }
                None => false,
            }
        }
    }
}

/// PJSIPHangup's handler (`pjsip_app_hangup_handler`): rejects the
/// PJSIP channel's incoming, unanswered call with `status`, or says why
/// not in the log. Returns once the task has done it.
pub async fn pjsip_reject(sys: &System, chan: &crate::channels::Channel, status: u16) {
    if chan.tech != "PJSIP" {
        sys.pbx.logger.warning(
            crate::site!(
                "channels/pjsip/dialplan_functions.c",
                1316,
                "pjsip_app_hangup_handler"
            ),
            None,
            &format!("{}: Not a PJSIP channel", chan.name),
        );
        return;
    }
    let Some(stack) = stack_of(sys, Flavor::Pjsip) else {
        return;
    };
    let (done, wait) = tokio::sync::oneshot::channel();
    let reject = stack::Reject {
        channel: chan.name.clone(),
        status,
        done,
    };
    if stack
        .commands
        .send(stack::Command::Reject(Box::new(reject)))
        .is_ok()
    {
        let _ = wait.await;
    }
}

/// How many SIP subscriptions watch a hint (its callbacks, the
/// `Watchers` of `core show hints`).
pub fn hint_watchers(sys: &System, context: &str, exten: &str) -> usize {
    let stacks = lock(&sys.sip).clone();
    stacks
        .iter()
        .map(|s| {
            lock(&s.subscriptions)
                .values()
                .filter(|r| r.context == context && r.exten == exten)
                .count()
        })
        .sum()
}

/// The subscriptions a driver serves, oldest first.
pub fn subscriptions(sys: &System, flavor: Flavor) -> Vec<stack::SubscriptionRow> {
    match stack_of(sys, flavor) {
        Some(stack) => lock(&stack.subscriptions).values().cloned().collect(),
        None => Vec::new(),
    }
}

/// chan_sip's `lastmsgssent` of a peer: what its last message-waiting
/// NOTIFY said (new << 16 | old), -1 when it could not be told, else
/// what loading the peer left.
pub fn last_msgs_sent(sys: &System, peer: &crate::config::views::sip::SipPeer) -> i32 {
    stack_of(sys, Flavor::ChanSip)
        .and_then(|s| lock(&s.last_msgs_sent).get(&peer.name).copied())
        .unwrap_or_else(|| peer.last_msgs_sent())
}

/// A pjsip endpoint's own caller id (`id.self`): its name and number,
/// each if set.
pub fn endpoint_self_id(sys: &System, endpoint: &str) -> (Option<String>, Option<String>) {
    let loaded = sys.loaded();
    match loaded.pjsip.endpoint(endpoint) {
        Some(e) => (e.callerid_name.clone(), e.callerid_num.clone()),
        None => (None, None),
    }
}

/// What res_pjsip_pubsub says of a subscription (`sip_subscription_to_ami`
/// with res_pjsip_exten_state's or res_pjsip_mwi's lines): AMI's InboundSubscriptionDetail
/// and the CLI's `pjsip show subscription`. The state is the one the
/// last change of the hint brought, `Unknown` before one.
pub fn subscription_lines(
    sys: &System,
    row: &stack::SubscriptionRow,
) -> Vec<(&'static str, String)> {
    let (name, number) = endpoint_self_id(sys, &row.endpoint);
    let callerid =
        crate::config::views::callerid::merge(name.as_deref(), number.as_deref(), "Unknown");
    let mut lines = vec![
        ("Role", "Notifier".into()),
        ("Endpoint", row.endpoint.clone()),
        ("Callid", row.call_id.clone()),
        ("State", "ACTIVE".into()),
        ("Callerid", callerid),
    ];
    // The notifier's own lines: res_pjsip_mwi's or res_pjsip_exten_state's.
    match &row.mailboxes {
        Some(boxes) => {
            lines.push(("SubscriptionType", "mwi".into()));
            lines.push(("Mailboxes", boxes.clone()));
        }
        None => {
            lines.push(("SubscriptionType", "extension_state".into()));
            lines.push(("Extension", row.exten.clone()));
            lines.push((
                "ExtensionStates",
                row.last_change.map_or("Unknown", |s| s.as_str()).into(),
            ));
        }
    }
    lines
}

/// chan_sip's dialogs as its task last saw them (`sip show channels`);
/// ended calls past their lingering time are left out.
pub fn dialogs(sys: &System, flavor: Flavor) -> Vec<stack::DialogRow> {
    match stack_of(sys, flavor) {
        Some(stack) => stack::listed_dialogs(&lock(&stack.dialogs)),
        None => Vec::new(),
    }
}

/// A registered contact as the CLI and AMI show it, with what qualify
/// learnt of it (None when it is not qualified).
#[derive(Debug, Clone)]
pub struct LiveContact {
    pub aor: String,
    pub binding: registrar::Binding,
    pub reach: Option<qualify::Reach>,
}

/// The registered contacts of the AORs `aors`, in AOR order, oldest first.
pub fn live_contacts(sys: &System, flavor: Flavor, aors: &[String]) -> Vec<LiveContact> {
    let Some(stack) = stack_of(sys, flavor) else {
        return Vec::new();
    };
    let now = std::time::Instant::now();
    let bound: Vec<(String, registrar::Binding)> = {
        let r = lock(&stack.registrar);
        aors.iter()
            .flat_map(|a| r.contacts(a, now).into_iter().map(move |b| (a.clone(), b)))
            .collect()
    };
    // Only the bound contacts' results are looked up (device state asks
    // here on every change of every device).
    let reach = lock(&stack.qualify);
    bound
        .into_iter()
        .map(|(aor, binding)| LiveContact {
            reach: reach.get(&(aor.clone(), binding.uri.clone())).copied(),
            aor,
            binding,
        })
        .collect()
}

/// One of a pjsip AOR's contacts as res_pjsip keeps them.
#[derive(Debug, Clone)]
pub struct AorContact {
    /// `aor@@<md5 of uri>` when permanent, `aor;@<md5>` when registered.
    pub id: String,
    pub uri: String,
    pub reach: Option<qualify::Reach>,
}

/// A pjsip AOR's contacts, permanent and registered, sorted by id as
/// res_pjsip's container is.
pub fn aor_contacts(sys: &System, aor: &crate::config::views::pjsip::Aor) -> Vec<AorContact> {
    let id = |sep: &str, uri: &str| {
        format!(
            "{}{sep}{}",
            aor.name,
            crate::funcs::md5::hex(uri.as_bytes())
        )
    };
    let mut rows: Vec<AorContact> = aor
        .contacts
        .iter()
        .map(|c| AorContact {
            id: id("@@", c),
            uri: c.clone(),
            reach: static_reach(sys, Flavor::Pjsip, &aor.name, c),
        })
        .collect();
    let live = live_contacts(sys, Flavor::Pjsip, std::slice::from_ref(&aor.name));
    rows.extend(live.into_iter().map(|c| AorContact {
        id: id(";@", &c.binding.uri),
        uri: c.binding.uri,
        reach: c.reach,
    }));
    rows.sort_by(|x, y| x.id.cmp(&y.id));
    rows
}

/// A contact's status label and round trip in microseconds, as
/// `ast_sip_get_contact_status_label` and the contact listings show them.
pub fn contact_status(
    aor: &crate::config::views::pjsip::Aor,
    reach: Option<qualify::Reach>,
) -> (&'static str, String) {
    use qualify::Reach;
    match reach {
        _ if aor.qualify_frequency == 0 => ("NonQualified", "N/A".to_string()),
        Some(Reach::Reachable(d)) | Some(Reach::Lagged(d)) => {
            ("Reachable", d.as_micros().to_string())
        }
        Some(Reach::Unreachable) => ("Unreachable", "N/A".to_string()),
        Some(Reach::Unknown) | None => ("Unknown", "N/A".to_string()),
    }
}

/// What qualify last learnt of a contact that is not registered (a
/// static one), if it is probed.
pub fn static_reach(sys: &System, flavor: Flavor, aor: &str, uri: &str) -> Option<qualify::Reach> {
    let stack = stack_of(sys, flavor)?;
    lock(&stack.qualify)
        .get(&(aor.to_string(), uri.to_string()))
        .copied()
}

/// A chan_sip peer as it stands now: its registration (if any) over its
/// configured address, and its qualify status.
#[derive(Debug, Clone)]
pub struct PeerNow {
    /// Where it is reached: the registered contact's target, else the
    /// configured host.
    pub addr: Option<SocketAddr>,
    /// The registered contact's user (chan_sip's `username` after a
    /// REGISTER), else the configured one.
    pub username: String,
    pub useragent: String,
    pub contact: String,
    /// Seconds until the registration lapses, with chan_sip's 10 s grace.
    pub expires_in: Option<u64>,
    /// `peer_status`: "OK (N ms)", "UNKNOWN", ..., or "Unmonitored".
    pub status: String,
    /// The last qualify result, if any.
    pub reach: Option<qualify::Reach>,
    /// Whether the peer counts as monitored, and as online.
    pub monitored: bool,
    pub online: bool,
}

pub fn peer_now(sys: &System, p: &crate::config::views::sip::SipPeer) -> PeerNow {
    let contact = live_contacts(sys, Flavor::ChanSip, std::slice::from_ref(&p.name))
        .into_iter()
        .last();
    let configured = p.addr.map(|ip| SocketAddr::new(ip, p.effective_port()));
    let addr = contact.as_ref().map(|c| c.binding.target).or(configured);
    let monitored = p.settings.qualify_ms != 0;
    let reach = match &contact {
        Some(c) => c.reach,
        None => configured.and_then(|a| {
            static_reach(
                sys,
                Flavor::ChanSip,
                &p.name,
                &format!("sip:{}@{a}", p.name),
            )
        }),
    };
    let status = if monitored {
        reach.unwrap_or_default().chan_sip_text()
    } else {
        "Unmonitored".to_string()
    };
    let online = if monitored {
        status.starts_with("OK")
    } else {
        addr.is_some()
    };
    let now = std::time::Instant::now();
    // The registration now, else the last one (chan_sip keeps what a
    // REGISTER told it once the registration is gone).
    let last = contact.as_ref().map(|c| c.binding.clone()).or_else(|| {
        stack_of(sys, Flavor::ChanSip).and_then(|s| lock(&s.last_bindings).get(&p.name).cloned())
    });
    PeerNow {
        addr,
        // A registration's user fills only a username not configured.
        username: if p.username.is_empty() {
            last.as_ref()
                .and_then(|b| crate::sip::Uri::parse(&b.uri).ok()?.user)
                .unwrap_or_default()
        } else {
            p.username.clone()
        },
        useragent: last
            .as_ref()
            .map(|b| b.user_agent.clone())
            .unwrap_or_default(),
        contact: last.as_ref().map(|b| b.uri.clone()).unwrap_or_default(),
        expires_in: contact.as_ref().map(|c| c.binding.remaining(now) + 10),
        status,
        reach,
        monitored,
        online,
    }
}

/// Whether any AOR of the device `name` has a registered contact now
/// that qualify has not found unreachable (or, for chan_sip, lagged).
pub fn registered(sys: &System, flavor: Flavor, name: &str) -> bool {
    let aors = {
        let loaded = sys.loaded();
        endpoint::all(flavor, &loaded)
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.aors)
            .unwrap_or_default()
    };
    live_contacts(sys, flavor, &aors).iter().any(|c| {
        !matches!(
            c.reach,
            Some(qualify::Reach::Unreachable) | Some(qualify::Reach::Lagged(_))
        )
    })
}

/// What a driver says of one of its devices (`sip_devicestate`,
/// `chan_pjsip_devicestate`): chan_sip whether the peer has an address
/// (registered or static), then its call counters (calls counted only
/// under a call limit, held ones with `notifyhold`); pjsip whether the endpoint is reachable, overridden by the
/// state of its calls (`calls`) when it has any.
pub fn device_state(
    sys: &System,
    flavor: Flavor,
    name: &str,
    calls: Option<crate::core::devicestate::DeviceCalls>,
) -> crate::core::devicestate::DeviceState {
    use crate::core::devicestate::DeviceState;
    let (configured, busy_at) = {
        let loaded = sys.loaded();
        match flavor {
            Flavor::ChanSip => (loaded.sip.device_state(name), 0),
            Flavor::Pjsip => (
                loaded.pjsip.device_state(name),
                loaded
                    .pjsip
                    .endpoint(name)
                    .map_or(0, |e| e.device_state_busy_at),
            ),
        }
    };
    if configured == DeviceState::Invalid {
        return configured;
    }
    let base = if registered(sys, flavor, name) {
        DeviceState::NotInUse
    } else {
        configured
    };
    match flavor {
        Flavor::ChanSip if base == DeviceState::NotInUse => chan_sip_counted(sys, name),
        Flavor::ChanSip => base,
        // chan_pjsip_devicestate: busy once `device_state_busy_at` calls
        // are in use, else what its calls say together.
        Flavor::Pjsip => match calls {
            Some(c) if busy_at > 0 && c.in_use >= busy_at => DeviceState::Busy,
            Some(c) if c.state != DeviceState::Invalid => c.state,
            _ => base,
        },
    }
}

/// chan_sip's call counters of the peer `name` (`inuse`, `ringing`,
/// `onhold`), as its task last counted them.
pub fn peer_calls(sys: &System, name: &str) -> stack::PeerCalls {
    stack_of(sys, Flavor::ChanSip)
        .and_then(|s| lock(&s.peer_calls).get(name).copied())
        .unwrap_or_default()
}

/// `sip_devicestate` for a peer that has an address: hold first, then
/// ringing, then what its call limit says of the calls in use.
fn chan_sip_counted(sys: &System, name: &str) -> crate::core::devicestate::DeviceState {
    use crate::core::devicestate::DeviceState;
    let counts = peer_calls(sys, name);
    let (limit, busy_level) = {
        let loaded = sys.loaded();
        loaded
            .sip
            .peer(name)
            .map(|p| (p.settings.call_limit, p.busy_level))
            .unwrap_or((0, 0))
    };
    let inuse = i64::from(counts.inuse);
    if counts.onhold > 0 {
        DeviceState::OnHold
    } else if counts.ringing > 0 {
        if counts.ringing == counts.inuse {
            DeviceState::Ringing
        } else {
            DeviceState::RingInUse
        }
    } else if limit > 0 && (inuse == limit || (busy_level > 0 && inuse >= busy_level)) {
        DeviceState::Busy
    } else if limit > 0 && inuse > 0 {
        DeviceState::InUse
    } else {
        DeviceState::NotInUse
    }
}

/// `bindaddr`-style text (`ip`, `ip:port`, `[v6]:port`) with a default port.
pub fn parse_bind(text: &str, default_port: u16) -> Option<SocketAddr> {
    let t = text.trim();
    if t.is_empty() {
        return Some(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), default_port));
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(sa);
    }
    let ip: IpAddr = t.trim_matches(['[', ']']).parse().ok()?;
    Some(SocketAddr::new(ip, default_port))
}

/// Starts the SIP listeners the configuration asks for: chan_sip on
/// sip.conf's `udpbindaddr`/`bindport` (and `tcpbindaddr` with
/// `tcpenable=yes`) when sip.conf exists and the module loads; pjsip one
/// stack per UDP transport, the first of them also serving the first TCP
/// transport (so a device reaches the same registrar and calls either way),
/// and any further TCP transport on a stack of its own.
pub async fn start(sys: &Arc<System>) -> Vec<Arc<SipStack>> {
    let loaded = sys.loaded();
    let mut wanted: Vec<(Flavor, Listen, Vec<outbound::Registration>)> = Vec::new();
    if sys.conf.dirs.etc.join("sip.conf").exists() && loaded.modules.loads("chan_sip") {
        let g = &loaded.sip.general;
        // `bindport` applies when udpbindaddr names no port.
        let udp = parse_bind(&g.bindaddr, g.bindport);
        let tcp = if !g.tcpenable {
            Ok(None)
        } else if g.tcpbindaddr.trim().is_empty() {
            Ok(udp)
        } else {
            parse_bind(&g.tcpbindaddr, 5060)
                .map(Some)
                .ok_or(&g.tcpbindaddr)
        };
        match (udp, tcp) {
            (Some(udp), Ok(tcp)) => {
                let mut regs = Vec::new();
                for line in &g.registers {
                    match outbound::parse_chan_sip(line, g) {
                        Ok(r) => regs.push(r),
                        Err(e) => sys.pbx.logger.warning(
                            crate::site!("chan_sip.c", 0, "reload_config"),
                            None,
                            &e.to_string(),
                        ),
                    }
                }
                let listen = Listen {
                    udp: Some(udp),
                    tcp,
                };
                wanted.push((Flavor::ChanSip, listen, regs))
            }
            (None, _) => sys.pbx.logger.warning(
                crate::site!("chan_sip.c", 33132, "reload_config"),
                None,
                &format!("Invalid address: {}", g.bindaddr),
            ),
            (_, Err(bad)) => sys.pbx.logger.warning(
                crate::site!("chan_sip.c", 33132, "reload_config"),
                None,
                &format!("Invalid address: {bad}"),
            ),
        }
    }
    if loaded.modules.loads("res_pjsip") && loaded.modules.loads("chan_pjsip") {
        // Each registration goes out through its `transport`, or through
        // the first UDP transport when it names none.
        let mut regs: Vec<(Option<String>, outbound::Registration)> = Vec::new();
        if loaded.modules.loads("res_pjsip_outbound_registration") {
            for r in outbound::pjsip_registrations(&loaded.pjsip) {
                match r {
                    Ok((transport, r)) => regs.push((transport, r)),
                    Err(e) => sys.pbx.logger.error(
                        crate::site!(
                            "res_pjsip_outbound_registration.c",
                            0,
                            "sip_outbound_registration_apply"
                        ),
                        None,
                        &e.to_string(),
                    ),
                }
            }
        }
        let mut first = true;
        let mut tcp_binds = Vec::new();
        for t in &loaded.pjsip.transports {
            if t.protocol != "udp" && t.protocol != "tcp" {
                continue;
            }
            match t.bind_address().parse::<SocketAddr>() {
                Ok(addr) if t.protocol == "tcp" => tcp_binds.push(addr),
                Ok(addr) => {
                    let mine = regs
                        .iter()
                        .filter(|(tr, _)| match tr {
                            Some(name) => *name == t.name,
                            None => first,
                        })
                        .map(|(_, r)| r.clone())
                        .collect();
                    first = false;
                    let listen = Listen {
                        udp: Some(addr),
                        tcp: None,
                    };
                    wanted.push((Flavor::Pjsip, listen, mine))
                }
                Err(_) => sys.pbx.logger.error(
                    crate::site!("res_pjsip/config_transport.c", 0, "transport_apply"),
                    None,
                    &format!(
                        "Transport '{}' could not be started: invalid bind address",
                        t.name
                    ),
                ),
            }
        }
        let mut tcp_binds = tcp_binds.into_iter();
        if let Some((_, listen, _)) = wanted.iter_mut().find(|(f, _, _)| *f == Flavor::Pjsip) {
            listen.tcp = tcp_binds.next();
        }
        for addr in tcp_binds {
            let listen = Listen {
                udp: None,
                tcp: Some(addr),
            };
            wanted.push((Flavor::Pjsip, listen, Vec::new()));
        }
    }
    drop(loaded);
    let mut stacks = Vec::new();
    for (flavor, listen, regs) in wanted {
        match SipStack::start(sys.clone(), flavor, listen, regs).await {
            Ok(s) => stacks.push(s),
            Err(e) => {
                let addrs: Vec<String> = [listen.udp, listen.tcp]
                    .iter()
                    .flatten()
                    .map(|a| a.to_string())
                    .collect();
                // Asterism's own words for a listener it cannot open.
                sys.pbx.logger.error(
                    match flavor {
                        Flavor::ChanSip => crate::site!("chan_sip.c", 0, "reload_config"),
                        Flavor::Pjsip => {
                            crate::site!("res_pjsip/config_transport.c", 0, "transport_apply")
                        }
                    },
                    None,
                    &format!(
                        "Unable to bind {} to {}: {e}",
                        flavor.tech(),
                        addrs.join(", ")
                    ),
                )
            }
        }
    }
    stacks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses() {
        assert_eq!(parse_bind("", 5060), Some("0.0.0.0:5060".parse().unwrap()));
        assert_eq!(
            parse_bind("127.0.0.1", 5070),
            Some("127.0.0.1:5070".parse().unwrap())
        );
        assert_eq!(
            parse_bind("127.0.0.1:5080", 5060),
            Some("127.0.0.1:5080".parse().unwrap())
        );
        assert_eq!(
            parse_bind("[::1]:5080", 5060),
            Some("[::1]:5080".parse().unwrap())
        );
        assert_eq!(parse_bind("nonsense", 5060), None);
    }
}

/// Asks the driver to qualify device `name` now (SIPqualifypeer,
/// PJSIPQualify and their CLI forms); false when the driver has no such
/// device (chan_sip: a peer or friend, not a user).
pub fn qualify_now(sys: &System, flavor: Flavor, name: &str) -> bool {
    let known = {
        let loaded = sys.loaded();
        match flavor {
            Flavor::ChanSip => loaded.sip.peer(name).is_some_and(|p| p.kind.is_peer()),
            Flavor::Pjsip => loaded.pjsip.endpoint(name).is_some(),
        }
    };
    if known && let Some(stack) = stack_of(sys, flavor) {
        let _ = stack
            .commands
            .send(stack::Command::Qualify(name.to_string()));
    }
    known
}
