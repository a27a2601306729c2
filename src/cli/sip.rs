//! chan_sip's CLI: `sip show peers`, `sip show peer`.
//!
//! No peer has registered and no OPTIONS were sent, so every address is
//! the configured one and every qualify result is still unknown.

use std::fmt::Write as _;

use super::{CliArgs, CliEntry, CliResult, pad};
use crate::config::views::sip::SipPeer;
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
    ]
}

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

/// `peer_status`: the text and whether the peer is monitored.
fn peer_status(p: &SipPeer) -> (&'static str, bool) {
    if p.qualify_ms != 0 {
        // Qualified, but no reply has been seen yet.
        ("UNKNOWN", true)
    } else {
        ("Unmonitored", false)
    }
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
    peers_line(
        out,
        [
            "Name/username",
            "Host",
            "Dyn",
            "Forcerport",
            "Comedia",
            "ACL",
            "Port",
            "Status",
            "Description",
        ],
    );
    let (mon_on, mut mon_off, mut unmon_on, mut unmon_off) = (0, 0, 0, 0);
    for p in &peers {
        let name = if p.username.is_empty() {
            p.name.clone()
        } else {
            format!("{}/{}", p.name, p.username)
        };
        let (host, port) = match p.addr {
            Some(ip) => (ip.to_string(), p.port.to_string()),
            None => ("(Unspecified)".to_string(), "0".to_string()),
        };
        let (status, monitored) = peer_status(p);
        if monitored {
            mon_off += 1;
        } else if p.addr.is_none() || p.port == 0 {
            unmon_off += 1;
        } else {
            unmon_on += 1;
        }
        peers_line(
            out,
            [
                &name,
                &host,
                if p.host_dynamic { " D " } else { "   " },
                p.nat.force_rport_label(),
                p.nat.comedia_label(),
                if p.acl { " A " } else { "   " },
                &port,
                status,
                &p.description,
            ],
        );
    }
    let _ = mon_on;
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

/// `ast_callerid_merge` with "<unspecified>" for nothing.
fn callerid(p: &SipPeer) -> String {
    match (p.cid_name.is_empty(), p.cid_num.is_empty()) {
        (false, false) => format!("\"{}\" <{}>", p.cid_name, p.cid_num),
        (false, true) => p.cid_name.clone(),
        (true, false) => p.cid_num.clone(),
        (true, true) => "<unspecified>".to_string(),
    }
}

fn dtmfmode_label(mode: &str) -> &'static str {
    match mode {
        "info" => "info",
        "inband" => "inband",
        "shortinfo" => "shortinfo",
        "auto" => "auto",
        _ => "rfc2833",
    }
}

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
    out.push_str("\n\n");
    let mut l = |k: &str, v: &str| {
        let _ = writeln!(out, "{k}{v}");
    };
    l("  * Name       : ", &p.name);
    l("  Description  : ", &p.description);
    l(
        "  Secret       : ",
        if p.secret.is_empty() {
            "<Not set>"
        } else {
            "<Set>"
        },
    );
    l(
        "  MD5Secret    : ",
        if p.md5secret.is_empty() {
            "<Not set>"
        } else {
            "<Set>"
        },
    );
    l(
        "  Remote Secret: ",
        if p.remotesecret.is_empty() {
            "<Not set>"
        } else {
            "<Set>"
        },
    );
    l("  Context      : ", &p.context);
    l("  Record On feature : ", "automon");
    l("  Record Off feature : ", "automon");
    l(
        "  Subscr.Cont. : ",
        if p.subscribecontext.is_empty() {
            "<Not set>"
        } else {
            &p.subscribecontext
        },
    );
    l("  Language     : ", &p.language);
    l(
        "  Tonezone     : ",
        if p.tonezone.is_empty() {
            "<Not set>"
        } else {
            &p.tonezone
        },
    );
    if !p.accountcode.is_empty() {
        l("  Accountcode  : ", &p.accountcode);
    }
    l("  AMA flags    : ", "Unknown");
    l("  Transfer mode: ", "open");
    l("  CallingPres  : ", "Presentation Allowed, Not Screened");
    if !p.fromuser.is_empty() {
        l("  FromUser     : ", &p.fromuser);
    }
    if !p.fromdomain.is_empty() {
        l("  FromDomain   : ", &format!("{} Port 5060", p.fromdomain));
    }
    l("  Callgroup    : ", "");
    l("  Pickupgroup  : ", "");
    l("  Named Callgr : ", "");
    l("  Nam. Pickupgr: ", "");
    l("  MOH Suggest  : ", &p.mohsuggest);
    l("  Mailbox      : ", &p.mailboxes.join(","));
    l("  VM Extension : ", &p.vmexten);
    l("  LastMsgsSent : ", "0/0");
    l("  Call limit   : ", &p.call_limit.to_string());
    l("  Max forwards : ", &p.maxforwards.to_string());
    if p.busy_level != 0 {
        l("  Busy level   : ", &p.busy_level.to_string());
    }
    l("  Dynamic      : ", yes_no(p.host_dynamic));
    l("  Callerid     : ", &callerid(p));
    l("  MaxCallBR    : ", "384 kbps");
    l("  Expire       : ", "-1");
    l("  Insecure     : ", "no");
    l("  Force rport  : ", p.nat.force_rport_label());
    l("  Symmetric RTP: ", p.nat.comedia_label());
    l("  ACL          : ", yes_no(p.acl));
    l("  ContactACL   : ", yes_no(p.contactacl));
    l("  DirectMedACL : ", yes_no(p.directmediaacl));
    l("  T.38 support : ", "No");
    l("  T.38 EC mode : ", "Unknown");
    l("  T.38 MaxDtgrm: ", "4294967295");
    l("  DirectMedia  : ", yes_no(p.directmedia));
    l("  PromiscRedir : ", yes_no(p.promiscredir));
    l("  User=Phone   : ", yes_no(p.usereqphone));
    l("  Video Support: ", yes_no(p.videosupport));
    l("  Text Support : ", yes_no(p.textsupport));
    l("  Ign SDP ver  : ", "No");
    l("  Trust RPID   : ", yes_no(p.trustrpid));
    l("  Send RPID    : ", yes_no(p.sendrpid));
    l("  Path support : ", "No");
    l("  TrustIDOutbnd: ", "Legacy");
    l("  Subscriptions: ", yes_no(p.allowsubscribe));
    l(
        "  Overlap dial : ",
        if p.allowoverlap { "Yes" } else { "No" },
    );
    l("  DTMFmode     : ", dtmfmode_label(&p.dtmfmode));
    l("  Timer T1     : ", &p.timer_t1.to_string());
    l("  Timer B      : ", &p.timer_b.to_string());
    l("  ToHost       : ", p.host_name.as_deref().unwrap_or(""));
    let addr = match p.addr {
        Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]:{}", p.port),
        Some(ip) => format!("{ip}:{}", p.port),
        None => "(null)".to_string(),
    };
    l("  Addr->IP     : ", &addr);
    let defaddr = match p.defaultip {
        Some(ip) => ip.to_string(),
        None => "(null)".to_string(),
    };
    l("  Defaddr->IP  : ", &defaddr);
    let transport = if p.transport.is_empty() {
        "udp"
    } else {
        p.transport.split(',').next().unwrap_or("udp")
    };
    l("  Prim.Transp. : ", &transport.to_ascii_uppercase());
    l(
        "  Allowed.Trsp : ",
        &if p.transport.is_empty() {
            "UDP".to_string()
        } else {
            p.transport.to_ascii_uppercase()
        },
    );
    if !g.regcontext.is_empty() {
        l("  Reg. exten   : ", &p.regexten);
    }
    l("  Def. Username: ", &p.username);
    l("  SIP Options  : ", "(none)");
    let codecs = if p.codecs.is_empty() {
        "(nothing)".to_string()
    } else {
        format!("({})", p.codecs.join("|"))
    };
    l("  Codecs       : ", &codecs);
    l("  Auto-Framing : ", "No");
    l("  Status       : ", peer_status(p).0);
    l("  Useragent    : ", "");
    l("  Reg. Contact : ", "");
    l("  Qualify Freq : ", &format!("{} ms", p.qualifyfreq_ms));
    l("  Keepalive    : ", &format!("{} ms", p.keepalive * 1000));
    l("  Sess-Timers  : ", "Accept");
    l("  Sess-Refresh : ", "uas");
    l("  Sess-Expires : ", "1800 secs");
    l("  Min-Sess     : ", "90 secs");
    l("  RTP Engine   : ", &p.rtpengine);
    l("  Parkinglot   : ", &p.parkinglot);
    l("  Use Reason   : ", "No");
    l("  Encryption   : ", "No");
    l("  RTCP Mux     : ", "No");
    l("", "");
    CliResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_header_is_asterisk_width() {
        let mut s = String::new();
        peers_line(
            &mut s,
            [
                "Name/username",
                "Host",
                "Dyn",
                "Forcerport",
                "Comedia",
                "ACL",
                "Port",
                "Status",
                "Description",
            ],
        );
        assert_eq!(
            s,
            "Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description                      \n"
        );
    }
}
