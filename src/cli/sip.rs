//! chan_sip's CLI: `sip show peers`, `sip show peer`, `sip show registry`.
//!
//! No peer has registered and no OPTIONS were sent, so every address is
//! the configured one and every qualify result is still unknown.

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult, pad};
use crate::config::views::callerid;
use crate::config::views::groups::print_group;
use crate::config::views::sip::{SipPeer, T38Support};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "sip show peers",
            "Usage: sip show peers [like <pattern>]\n       Lists the SIP peers; with 'like', only those whose name matches the regular expression.\n",
            show_peers,
        ),
        CliEntry::new(
            "sip show peer",
            "Usage: sip show peer <name> [load]\n       Shows everything about one SIP peer and its status.\n       'load' would look the peer up in realtime storage too.\n",
            show_peer,
        ),
        CliEntry::new(
            "sip show registry",
            "Usage: sip show registry\n       Lists the outbound registrations (register => lines) and where each stands.\n",
            show_registry,
        ),
    ]
}

/// `sip show registry`: one line per `register =>`, as chan_sip's
/// registry list keeps them.
fn show_registry(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let line = |out: &mut String, cols: [&str; 6]| {
        let _ = writeln!(
            out,
            "{} {} {}  {:>8} {} {}",
            pad(cols[0], 39),
            pad(cols[1], 6),
            pad(cols[2], 12),
            cols[3],
            pad(cols[4], 20),
            pad(cols[5], 25),
        );
    };
    line(
        out,
        ["Host", "dnsmgr", "Username", "Refresh", "State", "Reg.Time"],
    );
    let registry =
        crate::channels::sip::registry(sys, crate::channels::sip::endpoint::Flavor::ChanSip);
    for r in &registry {
        let host = format!("{}:{}", r.reg.host, r.reg.port.unwrap_or(5060));
        let user = match &r.reg.domain {
            Some(d) => format!("{}@{d}", r.reg.user),
            None => r.reg.user.clone(),
        };
        let when = r
            .registered_at
            .and_then(|t| crate::core::tz::localtime(t, 0, None))
            .map(|tm| {
                String::from_utf8_lossy(&crate::funcs::time::strftime(b"%a, %d %b %Y %T", &tm))
                    .into_owned()
            })
            .unwrap_or_default();
        line(
            out,
            [
                &host,
                "N",
                &user,
                &r.refresh.to_string(),
                r.state.chan_sip_text(),
                &when,
            ],
        );
    }
    let _ = writeln!(out, "{} SIP registrations.", registry.len());
    CliResult::Success
}

const PEERS_HEADER: [&str; 9] = [
    "Name/username",
    "Host",
    "Dyn",
    "Forcerport",
    "Comedia",
    "ACL",
    "Port",
    "Status",
    "Description",
];

/// chan_sip's `PEERS_FORMAT2`; the last column (Realtime) is empty.
fn peers_line(out: &mut String, cols: [&str; 9]) {
    let _ = writeln!(
        out,
        "{} {} {} {} {} {} {:<8} {:<11} {} ",
        pad(cols[0], 25),
        pad(cols[1], 39),
        pad(cols[2], 3),
        pad(cols[3], 10),
        pad(cols[4], 10),
        pad(cols[5], 3),
        cols[6],
        cols[7],
        pad(cols[8], 32),
    );
}

fn show_peers(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let pattern = match a.argc() {
        3 => None,
        5 if a.arg(3).is_some_and(|w| w.eq_ignore_ascii_case("like")) => {
            match regex::Regex::new(a.arg(4).unwrap_or_default()) {
                Ok(re) => Some(re),
                Err(_) => return CliResult::ShowUsage,
            }
        }
        _ => return CliResult::ShowUsage,
    };
    let loaded = sys.loaded();
    let mut peers: Vec<&SipPeer> = loaded
        .sip
        .peers
        .iter()
        .filter(|p| p.kind.is_peer())
        .filter(|p| pattern.as_ref().is_none_or(|re| re.is_match(&p.name)))
        .collect();
    // Asterisk sorts with strcmp: byte order.
    peers.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    peers_line(out, PEERS_HEADER);
    let (mut mon_on, mut mon_off, mut unmon_on, mut unmon_off) = (0, 0, 0, 0);
    for p in &peers {
        let live = crate::channels::sip::peer_now(sys, p);
        let name = if live.username.is_empty() {
            p.name.clone()
        } else {
            format!("{}/{}", p.name, live.username)
        };
        let (host, port) = match live.addr {
            Some(a) => (a.ip().to_string(), a.port().to_string()),
            None => ("(Unspecified)".to_string(), "0".to_string()),
        };
        match (live.monitored, live.online) {
            (true, true) => mon_on += 1,
            (true, false) => mon_off += 1,
            (false, true) => unmon_on += 1,
            (false, false) => unmon_off += 1,
        }
        peers_line(
            out,
            [
                &name,
                &host,
                if p.host_dynamic { " D " } else { "   " },
                p.settings.nat.force_rport_label(),
                p.settings.nat.comedia_label(),
                if !p.acl.is_empty() { " A " } else { "   " },
                &port,
                &live.status,
                &p.description,
            ],
        );
    }
    let _ = writeln!(
        out,
        "{} sip peers [Monitored: {} online, {} offline Unmonitored: {} online, {} offline]",
        peers.len(),
        mon_on,
        mon_off,
        unmon_on,
        unmon_off
    );
    CliResult::Success
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// One `  Label        : value` line of `sip show peer`.
fn l(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label}: {value}");
}

fn set_or_not(s: &str) -> &'static str {
    if s.is_empty() { "<Not set>" } else { "<Set>" }
}

/// `sip show peer <name> [load]`, in `_sip_show_peer`'s layout. Nothing
/// has registered or been qualified: no contact, no user agent, no round
/// trip time, and no registration expiry.
fn show_peer(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some(name) = a.arg(3) else {
        return CliResult::ShowUsage;
    };
    let loaded = sys.loaded();
    let Some(p) = loaded.sip.peer(name) else {
        let _ = writeln!(out, "Peer {name} not found.");
        out.push('\n');
        return CliResult::Success;
    };
    let g = &loaded.sip.general;
    let s = &p.settings;
    out.push_str("\n\n");
    l(out, "* Name       ", &p.name);
    l(out, "Description  ", &p.description);
    l(out, "Secret       ", set_or_not(&p.secret));
    l(out, "MD5Secret    ", set_or_not(&p.md5secret));
    l(out, "Remote Secret", set_or_not(&p.remotesecret));
    l(out, "Context      ", &s.context);
    l(out, "Record On feature ", &s.record_on_feature);
    l(out, "Record Off feature ", &s.record_off_feature);
    l(
        out,
        "Subscr.Cont. ",
        if s.subscribecontext.is_empty() {
            "<Not set>"
        } else {
            &s.subscribecontext
        },
    );
    l(out, "Language     ", &s.language);
    let zone = p.effective_tonezone(|z| !z.is_empty() && loaded.indications.zone(z).is_some());
    l(
        out,
        "Tonezone     ",
        if zone.is_empty() { "<Not set>" } else { zone },
    );
    if !p.accountcode.is_empty() {
        l(out, "Accountcode  ", &p.accountcode);
    }
    l(out, "AMA flags    ", p.amaflags_label());
    l(
        out,
        "Transfer mode",
        if s.allowtransfer { "open" } else { "closed" },
    );
    l(
        out,
        "CallingPres  ",
        callerid::describe_presentation(p.callingpres),
    );
    if !p.fromuser.is_empty() {
        l(out, "FromUser     ", &p.fromuser);
    }
    if !p.fromdomain.is_empty() {
        let port = if p.fromdomainport != 0 {
            p.fromdomainport
        } else {
            5060
        };
        l(
            out,
            "FromDomain   ",
            &format!("{} Port {port}", p.fromdomain),
        );
    }
    l(out, "Callgroup    ", &print_group(p.callgroup));
    l(out, "Pickupgroup  ", &print_group(p.pickupgroup));
    l(out, "Named Callgr ", &p.namedcallgroup.print());
    l(out, "Nam. Pickupgr", &p.namedpickupgroup.print());
    l(out, "MOH Suggest  ", &s.mohsuggest);
    l(out, "Mailbox      ", &p.mailboxes.join(","));
    l(out, "VM Extension ", &s.vmexten);
    let (new, old) = p.last_msgs_sent();
    l(out, "LastMsgsSent ", &format!("{new}/{old}"));
    l(out, "Call limit   ", &s.call_limit.to_string());
    l(out, "Max forwards ", &p.maxforwards.to_string());
    if p.busy_level != 0 {
        l(out, "Busy level   ", &p.busy_level.to_string());
    }
    l(out, "Dynamic      ", yes_no(p.host_dynamic));
    l(out, "Callerid     ", &p.callerid_label());
    l(out, "MaxCallBR    ", &format!("{} kbps", s.maxcallbitrate));
    let expire = crate::channels::sip::peer_now(sys, p)
        .expires_in
        .map_or(-1, |e| e as i64);
    l(out, "Expire       ", &expire.to_string());
    l(out, "Insecure     ", s.insecure_label());
    l(out, "Force rport  ", s.nat.force_rport_label());
    l(out, "Symmetric RTP", s.nat.comedia_label());
    l(out, "ACL          ", yes_no(!p.acl.is_empty()));
    l(out, "ContactACL   ", yes_no(!p.contactacl.is_empty()));
    l(out, "DirectMedACL ", yes_no(!p.directmediaacl.is_empty()));
    l(
        out,
        "T.38 support ",
        yes_no(s.t38support != T38Support::Off),
    );
    l(out, "T.38 EC mode ", s.t38support.ec_label());
    // An unset maximum is -1, printed unsigned.
    l(
        out,
        "T.38 MaxDtgrm",
        &(s.t38_maxdatagram as u32).to_string(),
    );
    l(out, "DirectMedia  ", yes_no(s.directmedia));
    l(out, "PromiscRedir ", yes_no(s.promiscredir));
    l(out, "User=Phone   ", yes_no(s.usereqphone));
    l(out, "Video Support", yes_no(s.videosupport));
    l(out, "Text Support ", yes_no(s.textsupport));
    l(out, "Ign SDP ver  ", yes_no(s.ignoresdpversion));
    l(out, "Trust RPID   ", yes_no(s.trustrpid));
    l(out, "Send RPID    ", yes_no(s.sendrpid));
    l(out, "Path support ", yes_no(s.supportpath));
    // No REGISTER has brought a Path header.
    l(out, "Path         ", "N/A");
    l(out, "TrustIDOutbnd", s.trust_id_outbound.as_str());
    l(out, "Subscriptions", yes_no(s.allowsubscribe));
    l(out, "Overlap dial ", s.allowoverlap.as_str());
    if !p.outboundproxy.is_empty() {
        l(
            out,
            "Outb. proxy  ",
            &format!("{} ", proxy_name(&p.outboundproxy)),
        );
    }
    l(out, "DTMFmode     ", s.dtmfmode.as_str());
    l(out, "Timer T1     ", &s.timer_t1.to_string());
    l(out, "Timer B      ", &s.timer_b.to_string());
    l(out, "ToHost       ", &p.tohost);
    let live = crate::channels::sip::peer_now(sys, p);
    l(
        out,
        "Addr->IP     ",
        &live.addr.map_or("(null)".to_string(), |a| a.to_string()),
    );
    l(out, "Defaddr->IP  ", &p.defaddr_label());
    l(
        out,
        "Prim.Transp. ",
        s.primary_transport.map_or("UNKNOWN", |t| t.primary_label()),
    );
    l(out, "Allowed.Trsp ", &s.transports_label());
    if !g.regcontext.is_empty() {
        l(out, "Reg. exten   ", &p.regexten);
    }
    l(out, "Def. Username", &p.username);
    l(out, "SIP Options  ", "(none)");
    l(out, "Codecs       ", &s.codecs.names());
    l(out, "Auto-Framing ", yes_no(s.autoframing));
    l(out, "Status       ", &live.status);
    l(out, "Useragent    ", &live.useragent);
    l(out, "Reg. Contact ", &live.contact);
    l(out, "Qualify Freq ", &format!("{} ms", s.qualifyfreq_ms));
    l(out, "Keepalive    ", &format!("{} ms", s.keepalive * 1000));
    if !p.chanvars.is_empty() {
        out.push_str("  Variables    :\n");
        for (k, v) in &p.chanvars {
            let _ = writeln!(out, "                 {k} = {v}");
        }
    }
    l(out, "Sess-Timers  ", s.session_timers.as_str());
    l(
        out,
        "Sess-Refresh ",
        if s.session_refresher_uas {
            "uas"
        } else {
            "uac"
        },
    );
    l(out, "Sess-Expires ", &format!("{} secs", s.session_expires));
    l(out, "Min-Sess     ", &format!("{} secs", s.session_minse));
    l(out, "RTP Engine   ", &s.rtp_engine);
    l(out, "Parkinglot   ", &p.parkinglot);
    l(out, "Use Reason   ", yes_no(s.use_q850_reason));
    l(out, "Encryption   ", yes_no(s.encryption));
    l(out, "RTCP Mux     ", yes_no(s.rtcp_mux));
    out.push('\n');
    CliResult::Success
}

/// The host part chan_sip keeps of an `outboundproxy=` value.
fn proxy_name(value: &str) -> &str {
    let v = value.trim();
    let v = v
        .strip_prefix("sip:")
        .or_else(|| v.strip_prefix("sips:"))
        .unwrap_or(v);
    v.split([',', ':', ';']).next().unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_header_is_asterisk_width() {
        let mut s = String::new();
        peers_line(&mut s, PEERS_HEADER);
        assert_eq!(
            s,
            "Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description                      \n"
        );
    }
}
