//! chan_sip's actions: SIPpeers and SIPshowpeer (`manager_sip_show_peers`,
//! `manager_sip_show_peer`), from the sip.conf view. As for the CLI,
//! nothing has registered or been qualified: addresses are the configured
//! ones and no registration expires.

use super::{BoxFuture, now};
use crate::channels::sip::endpoint::Flavor;
use crate::channels::sip::notify;
use crate::config::views::callerid;
use crate::config::views::groups::print_group;
use crate::config::views::sip::{SipPeer, T38Support};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn y_n(b: bool) -> &'static str {
    if b { "Y" } else { "N" }
}

/// The SIP-Forcerport/SIP-Comedia letter: `A`/`a` when automatic (on or
/// off), else `Y`/`N`.
fn auto_letter(auto: bool, on: bool) -> &'static str {
    match (auto, on) {
        (true, true) => "A",
        (true, false) => "a",
        (false, true) => "Y",
        (false, false) => "N",
    }
}

/// SIPpeers: a PeerEntry per peer (users are not peers), in name order.
pub fn sip_peers<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let loaded = s.sys().loaded();
    let mut peers: Vec<&SipPeer> = loaded
        .sip
        .peers
        .iter()
        .filter(|p| p.kind.is_peer())
        .collect();
    // Asterisk sorts with strcmp: byte order.
    peers.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    let mut r = Reply::list_start(m, "Peer status list will follow");
    for p in &peers {
        let live = crate::channels::sip::peer_now(s.sys(), p);
        let nat = &p.settings.nat;
        r.item("PeerEntry", m)
            .line("Channeltype", "SIP")
            .line("ObjectName", &p.name)
            .line("ChanObjectType", "peer")
            .line(
                "IPaddress",
                live.addr
                    .map_or("-none-".to_string(), |a| a.ip().to_string()),
            )
            .line("IPport", live.addr.map_or(0, |a| a.port()))
            .line("Dynamic", yes_no(p.host_dynamic))
            .line("AutoForcerport", yes_no(nat.auto_force_rport))
            .line("Forcerport", yes_no(nat.force_rport))
            .line("AutoComedia", yes_no(nat.auto_comedia))
            .line("Comedia", yes_no(nat.comedia))
            .line("VideoSupport", yes_no(p.settings.videosupport))
            .line("TextSupport", yes_no(p.settings.textsupport))
            .line("ACL", yes_no(!p.acl.is_empty()))
            .line("Status", &live.status)
            .line("RealtimeDevice", "no")
            .line("Description", &p.description)
            .line("Accountcode", &p.accountcode)
            .end();
    }
    r.list_complete(m, "PeerlistComplete", peers.len());
    now(Flow::Reply(r))
}

/// SIPpeerstatus: a PeerStatus event per peer (one when named), as
/// chan_sip writes it itself (`Privilege: System`), in the peers table's
/// hash order, then SIPpeerstatusComplete.
pub fn sip_peer_status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let mut name = m.get("Peer");
    if name.len() >= 4 && name[..4].eq_ignore_ascii_case("SIP/") {
        name = &name[4..];
    }
    let all: Vec<&SipPeer> = loaded.sip.peers.iter().collect();
    let chosen: Vec<&SipPeer> = if name.is_empty() {
        // ao2's hash container: bucket by bucket (563 of them), each in
        // the order the objects were added.
        let mut v = all.clone();
        v.sort_by_key(|p| crate::core::devicestate::str_case_hash(&p.name) % 563);
        v
    } else {
        match all
            .iter()
            .find(|p| p.kind.is_peer() && p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => vec![*p],
            None => return now(Flow::Reply(Reply::error(m, "No such peer"))),
        }
    };
    let mut r = Reply::list_start(m, "Peer status will follow");
    let id = m.get("ActionID");
    for p in &chosen {
        let live = crate::channels::sip::peer_now(&sys, p);
        use crate::channels::sip::qualify::Reach;
        let (status, time) = if !live.monitored {
            ("Unmonitored", None)
        } else {
            match live.reach {
                Some(Reach::Unreachable) => ("Unreachable", None),
                Some(Reach::Lagged(d)) => ("Lagged", Some(Reach::millis(d))),
                Some(Reach::Reachable(d)) => ("Reachable", Some(Reach::millis(d))),
                Some(Reach::Unknown) | None => ("Unknown", None),
            }
        };
        let mut text = format!(
            "Event: PeerStatus\r\nPrivilege: System\r\nChannelType: SIP\r\nPeer: SIP/{}\r\nPeerStatus: {status}\r\n",
            p.name
        );
        if let Some(ms) = time {
            text.push_str(&format!("Time: {ms}\r\n"));
        }
        if !id.is_empty() {
            text.push_str(&format!("ActionID: {id}\r\n"));
        }
        text.push_str("\r\n");
        r.raw(&text);
    }
    r.list_complete(m, "SIPpeerstatusComplete", chosen.len());
    now(Flow::Reply(r))
}

/// SIPshowpeer: one response with the peer's settings. A peer that is not
/// found gets an error followed by an extra blank line, as Asterisk ends
/// the answer with one either way.
pub fn sip_show_peer<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let name = m.get("Peer");
    if name.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Peer: <name> missing.")));
    }
    let loaded = s.sys().loaded();
    let Some(p) = loaded.sip.peer(name) else {
        let mut r = Reply::error(m, &format!("Peer {name} not found."));
        r.end();
        return now(Flow::Reply(r));
    };
    let st = &p.settings;
    let g = &loaded.sip.general;
    let live = crate::channels::sip::peer_now(s.sys(), p);
    let mut r = Reply::start("Success", m);
    r.line("Channeltype", "SIP")
        .line("ObjectName", &p.name)
        .line("ChanObjectType", "peer")
        .line("SecretExist", y_n(!p.secret.is_empty()))
        .line("RemoteSecretExist", y_n(!p.remotesecret.is_empty()))
        .line("MD5SecretExist", y_n(!p.md5secret.is_empty()))
        .line("Context", &st.context);
    if !st.subscribecontext.is_empty() {
        r.line("SubscribeContext", &st.subscribecontext);
    }
    let zone = p.effective_tonezone(|z| !z.is_empty() && loaded.indications.zone(z).is_some());
    r.line("Language", &st.language)
        .line("ToneZone", if zone.is_empty() { "<Not set>" } else { zone });
    if !p.accountcode.is_empty() {
        r.line("Accountcode", &p.accountcode);
    }
    r.line("AMAflags", p.amaflags_label()).line(
        "CID-CallingPres",
        callerid::describe_presentation(p.callingpres),
    );
    if !p.fromuser.is_empty() {
        r.line("SIP-FromUser", &p.fromuser);
    }
    if !p.fromdomain.is_empty() {
        r.line("SIP-FromDomain", &p.fromdomain).line(
            "Sip-FromDomain-Port",
            if p.fromdomainport != 0 {
                p.fromdomainport
            } else {
                5060
            },
        );
    }
    let last_msgs_sent = crate::channels::sip::last_msgs_sent(s.sys(), p);
    r.line("Callgroup", print_group(p.callgroup))
        .line("Pickupgroup", print_group(p.pickupgroup))
        .line("Named Callgroup", p.namedcallgroup.print())
        .line("Named Pickupgroup", p.namedpickupgroup.print())
        .line("MOHSuggest", &st.mohsuggest)
        .line("VoiceMailbox", p.mailboxes.join(","))
        .line(
            "TransferMode",
            if st.allowtransfer { "open" } else { "closed" },
        )
        // Both counts packed in one int, as chan_sip keeps them.
        .line("LastMsgsSent", last_msgs_sent)
        .line("Maxforwards", p.maxforwards)
        .line("Call-limit", st.call_limit)
        .line("Busy-level", p.busy_level)
        .line("MaxCallBR", format!("{} kbps", st.maxcallbitrate))
        .line("Dynamic", y_n(p.host_dynamic))
        .line(
            "Callerid",
            callerid::merge(Some(&p.cid_name), Some(&p.cid_num), ""),
        )
        // No registration is pending: the scheduler has no expiry.
        .line(
            "RegExpire",
            format!("{} seconds", live.expires_in.map_or(-1, |e| e as i64)),
        )
        .line("SIP-AuthInsecure", st.insecure_label())
        .line(
            "SIP-Forcerport",
            auto_letter(st.nat.auto_force_rport, st.nat.force_rport),
        )
        .line(
            "SIP-Comedia",
            auto_letter(st.nat.auto_comedia, st.nat.comedia),
        )
        .line("ACL", y_n(!p.acl.is_empty()))
        .line("SIP-CanReinvite", y_n(st.directmedia))
        .line("SIP-DirectMedia", y_n(st.directmedia))
        .line("SIP-PromiscRedir", y_n(st.promiscredir))
        .line("SIP-UserPhone", y_n(st.usereqphone))
        .line("SIP-VideoSupport", y_n(st.videosupport))
        .line("SIP-TextSupport", y_n(st.textsupport))
        .line("SIP-T.38Support", y_n(st.t38support != T38Support::Off))
        // chan_sip passes the T.38 support flag where the error correction
        // mode belongs, which never names a mode.
        .line("SIP-T.38EC", "Unknown")
        // An unset maximum is -1, printed unsigned.
        .line("SIP-T.38MaxDtgrm", st.t38_maxdatagram as u32)
        .line("SIP-Sess-Timers", st.session_timers.as_str())
        .line(
            "SIP-Sess-Refresh",
            if st.session_refresher_uas {
                "uas"
            } else {
                "uac"
            },
        )
        .line("SIP-Sess-Expires", st.session_expires)
        .line("SIP-Sess-Min", st.session_minse)
        .line("SIP-RTP-Engine", &st.rtp_engine)
        .line("SIP-Encryption", y_n(st.encryption))
        .line("SIP-RTCP-Mux", y_n(st.rtcp_mux))
        .line("SIP-DTMFmode", st.dtmfmode.as_str())
        .line("ToHost", &p.tohost)
        .line(
            "Address-IP",
            live.addr
                .map_or("(null)".to_string(), |a| a.ip().to_string()),
        )
        .line("Address-Port", live.addr.map_or(0, |a| a.port()))
        .line(
            "Default-addr-IP",
            p.defaultip.map_or("(null)".to_string(), |a| a.to_string()),
        )
        .line(
            "Default-addr-port",
            p.defaultip.map_or(0, |_| p.defaddr_port()),
        )
        .line("Default-Username", &live.username);
    if !g.regcontext.is_empty() {
        r.line("RegExtension", &p.regexten);
    }
    r.line("Codecs", st.codecs.names())
        .line("Status", &live.status)
        .line("SIP-Useragent", &live.useragent)
        .line("Reg-Contact", &live.contact)
        .line("QualifyFreq", format!("{} ms", st.qualifyfreq_ms))
        .line("Parkinglot", &p.parkinglot);
    for (k, v) in &p.chanvars {
        r.line("ChanVariable", format!("{k}={v}"));
    }
    r.line("SIP-Use-Reason-Header", y_n(st.use_q850_reason))
        .line("Description", &p.description)
        .end();
    now(Flow::Reply(r))
}

/// SIPshowregistry: a RegistryEntry per `register =>` line.
pub fn sip_show_registry<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let registry =
        crate::channels::sip::registry(s.sys(), crate::channels::sip::endpoint::Flavor::ChanSip);
    let mut r = Reply::list_start(m, "Registrations will follow");
    for e in &registry {
        r.item("RegistryEntry", m)
            .line("Host", &e.reg.host)
            .line("Port", e.reg.port.unwrap_or(5060))
            .line("Username", &e.reg.user)
            .line("Domain", e.reg.domain.as_deref().unwrap_or(&e.reg.host))
            .line("DomainPort", 5060)
            .line("Refresh", e.refresh)
            .line("State", e.state.chan_sip_text())
            .line("RegistrationTime", e.registered_at.unwrap_or(0))
            .end();
    }
    r.list_complete(m, "RegistrationsComplete", registry.len());
    now(Flow::Reply(r))
}

/// SIPqualifypeer (`manager_sip_qualify_peer`): a known peer is
/// acknowledged, probed at once (nothing goes out while it has no
/// address) and announced done with SIPQualifyPeerDone; the name is
/// taken as given (`SIP/` is not stripped).
pub fn sip_qualify_peer<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let peer = m.get("Peer");
    if peer.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Peer: <name> missing.")));
    }
    if !crate::channels::sip::qualify_now(s.sys(), Flavor::ChanSip, peer) {
        return now(Flow::Reply(Reply::error(m, "Peer not found")));
    }
    let reply = Reply::ack(m, "SIP peer found - will qualify");
    let id = m.get("ActionID");
    let mut body = format!("Peer: {peer}\r\n");
    if !id.is_empty() {
        body.push_str(&format!("ActionID: {id}\r\n"));
    }
    s.mgr
        .event_in_order(crate::manager::class::CALL, "SIPQualifyPeerDone", body);
    now(Flow::Reply(reply))
}

/// SIPnotify (`manager_sipnotify`): an out-of-dialog NOTIFY to a peer (or
/// host) named by `Channel` (`SIP/` optional), or, with `Call-ID`, one
/// inside that dialog; the `Variable`s are its headers, `Content` lines
/// its body.
pub fn sip_notify<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    Box::pin(async move {
        let sys = s.sys().clone();
        let mut channel = m.get("Channel");
        if channel.is_empty() {
            return Flow::Reply(Reply::error(m, "SIPNotify requires a channel name"));
        }
        if channel.len() >= 4 && channel[..4].eq_ignore_ascii_case("sip/") {
            channel = &channel[4..];
        }
        let vars = m.variables();
        let call_id = m.get("Call-ID");
        if !call_id.is_empty() {
            let content = notify::chan_sip_content(&sys, &vars, notify::Source::Manager);
            let dialog = notify::DialogRef::CallId(call_id.to_string());
            if !notify::send_in_dialog(&sys, Flavor::ChanSip, dialog, content).await {
                return Flow::Reply(Reply::error(m, "Call-ID not found"));
            }
            return Flow::Reply(Reply::ack(m, "Notify Sent"));
        }
        let found = {
            let (sys, name) = (sys.clone(), channel.to_string());
            tokio::task::spawn_blocking(move || notify::chan_sip_target(&sys, &name))
                .await
                .ok()
                .flatten()
        };
        let Some((target, transport, uri)) = found else {
            return Flow::Reply(Reply::error(m, "Could not create address"));
        };
        let content = notify::chan_sip_content(&sys, &vars, notify::Source::Manager);
        notify::send(
            &sys,
            Flavor::ChanSip,
            vec![notify::Notify {
                target,
                transport,
                uri,
                content,
                from_user: None,
            }],
        );
        Flow::Reply(Reply::ack(m, "Notify Sent"))
    })
}
