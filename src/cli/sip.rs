//! chan_sip's CLI: `sip show peers`, `sip show peer`, `sip show registry`,
//! `sip show inuse`, ...
//!
//! No peer has registered and no OPTIONS were sent, so every address is
//! the configured one and every qualify result is still unknown.

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult, pad};
use crate::config::views::callerid;
use crate::config::views::groups::print_group;
use crate::config::views::sip::{PeerType, SipPeer, T38Support};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "sip show users",
            "Usage: sip show users [like <pattern>]\n       Lists the SIP users (type=user or friend); with 'like', only those whose name matches the regular expression.\n",
            show_users,
        ),
        CliEntry::new(
            "sip reload",
            "Usage: sip reload\n       Reads sip.conf again (and what it includes).\n",
            reload,
        ),
        CliEntry::new(
            "sip show peers",
            "Usage: sip show peers [like <pattern>]\n       Lists the SIP peers; with 'like', only those whose name matches the regular expression.\n",
            show_peers,
        ),
        CliEntry::new(
            "sip show peer",
            "Usage: sip show peer <name> [load]\n       Shows everything about one SIP peer and its status.\n       'load' would look the peer up in realtime storage too.\n",
            show_peer,
        )
        .completing(complete_peer),
        CliEntry::new(
            "sip show registry",
            "Usage: sip show registry\n       Lists the outbound registrations (register => lines) and where each stands.\n",
            show_registry,
        ),
        CliEntry::new(
            "sip show settings",
            "Usage: sip show settings\n       Shows chan_sip's global settings as sip.conf set them.\n",
            show_settings,
        ),
        CliEntry::new(
            "sip show channels",
            "Usage: sip show channels\n       Lists the SIP dialogs chan_sip keeps.\n",
            show_channels,
        ),
        CliEntry::new(
            "sip show inuse [all]",
            "Usage: sip show inuse [all]\n       Lists each SIP peer's calls in use, ringing and on hold against its call limit.\n       With 'all', peers without a limit too.\n",
            show_inuse,
        )
        .summary("List all inuse/limits"),
        CliEntry::new(
            "sip qualify peer",
            "Usage: sip qualify peer <name> [load]\n       Sends an OPTIONS request to one SIP peer now.\n       'load' would look the peer up in realtime storage too.\n",
            qualify_peer,
        )
        .completing(complete_peer),
        CliEntry::new(
            "sip notify",
            "Usage: sip notify <type> <peer> [<peer>...]\n       Sends a NOTIFY of a type of sip_notify.conf to each SIP peer named.\n",
            notify,
        ),
    ]
}

/// `sip show inuse [all]`: each peer's counters (in use/ringing/on hold)
/// and call limit, in the peers table's hash order (as SIPpeerstatus
/// walks it); peers without a limit only with `all`.
fn show_inuse(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let all = a.argc() == 4 && a.arg(3) == Some("all");
    // Columns of 25, 15 and 15, cut to width, and a space at the end.
    let row = |out: &mut String, name: &str, used: &str, limit: &str| {
        let cut = |s: &str, w: usize| s.chars().take(w).collect::<String>();
        let _ = writeln!(
            out,
            "{:<25} {:<15} {:<15} ",
            cut(name, 25),
            cut(used, 15),
            cut(limit, 15)
        );
    };
    row(out, "* Peer name", "In use", "Limit");
    let loaded = sys.loaded();
    let mut peers: Vec<&SipPeer> = loaded.sip.peers.iter().collect();
    // ao2's hash container: bucket by bucket (563), each in the order
    // the peers were added.
    peers.sort_by_key(|p| crate::core::devicestate::str_case_hash(&p.name) % 563);
    for p in peers {
        let limit = p.settings.call_limit;
        if !all && limit == 0 {
            continue;
        }
        let c = crate::channels::sip::peer_calls(sys, &p.name);
        let used = format!("{}/{}/{}", c.inuse, c.ringing, c.onhold);
        let limit = if limit == 0 {
            "N/A".to_string()
        } else {
            limit.to_string()
        };
        row(out, &p.name, &used, &limit);
    }
    CliResult::Success
}

/// `AST_CLI_ONOFF`.
fn on_off(b: bool) -> &'static str {
    if b { "On" } else { "Off" }
}

/// `ast_tos2str`: the DSCP name of a TOS byte, or its number.
fn tos_label(tos: u32) -> String {
    const NAMES: &[(&str, u32)] = &[
        ("CS0", 0x00),
        ("CS1", 0x20),
        ("AF11", 0x28),
        ("AF12", 0x30),
        ("AF13", 0x38),
        ("CS2", 0x40),
        ("AF21", 0x48),
        ("AF22", 0x50),
        ("AF23", 0x58),
        ("CS3", 0x60),
        ("AF31", 0x68),
        ("AF32", 0x70),
        ("AF33", 0x78),
        ("CS4", 0x80),
        ("AF41", 0x88),
        ("AF42", 0x90),
        ("AF43", 0x98),
        ("CS5", 0xa0),
        ("EF", 0xb8),
        ("CS6", 0xc0),
        ("CS7", 0xe0),
    ];
    NAMES
        .iter()
        .find(|(_, v)| *v == tos)
        .map(|(n, _)| (*n).to_string())
        .unwrap_or_else(|| tos.to_string())
}

/// `sip show settings`, in `sip_show_settings`' order; every value comes
/// from sip.conf's `[general]` or chan_sip's default.
fn show_settings(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let g = &loaded.sip.general;
    let p = &g.peer;
    let s = &g.settings;
    let bind = crate::channels::sip::parse_bind(&g.bindaddr, g.bindport)
        .map(|a| a.to_string())
        .unwrap_or_else(|| format!("0.0.0.0:{}", g.bindport));
    let head = |out: &mut String, title: &str, rule: &str| {
        let _ = write!(out, "\n{title}:\n{rule}\n");
    };
    out.push('\n');
    head(out, "Global Settings", "----------------");
    let mut v = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label}{value}");
    };
    v("UDP Bindaddress:        ", &bind);
    v(
        "TCP SIP Bindaddress:    ",
        if g.tcpenable { &bind } else { "Disabled" },
    );
    v("TLS SIP Bindaddress:    ", "Disabled");
    v("RTP Bindaddress:        ", "Disabled");
    v("Videosupport:           ", yes_no(p.videosupport));
    v("Textsupport:            ", yes_no(p.textsupport));
    v("Ignore SDP sess. ver.:  ", yes_no(p.ignoresdpversion));
    v("AutoCreate Peer:        ", &s.autocreatepeer);
    v("Match Auth Username:    ", yes_no(s.match_auth_username));
    v("Allow unknown access:   ", yes_no(g.allowguest));
    v("Allow subscriptions:    ", yes_no(p.allowsubscribe));
    v("Allow overlap dialing:  ", p.allowoverlap.as_str());
    v("Allow promisc. redir:   ", yes_no(p.promiscredir));
    v("Enable call counters:   ", yes_no(g.callcounter));
    v("SIP domain support:     ", "No");
    v("Path support :          ", yes_no(p.supportpath));
    v("Realm. auth:            ", "No");
    v("Our auth realm          ", &g.realm);
    v("Use domains as realms:  ", yes_no(s.domainsasrealm));
    v("Call to non-local dom.: ", yes_no(s.allowexternaldomains));
    v("URI user is phone no:   ", yes_no(p.usereqphone));
    v("Always auth rejects:    ", yes_no(g.alwaysauthreject));
    v("Direct RTP setup:       ", yes_no(s.directrtpsetup));
    v("User Agent:             ", &g.useragent);
    v("SDP Session Name:       ", or_dash(&s.sdpsession));
    v("SDP Owner Name:         ", or_dash(&s.sdpowner));
    v(
        "Reg. context:           ",
        if g.regcontext.is_empty() {
            "(not set)"
        } else {
            &g.regcontext
        },
    );
    v("Regexten on Qualify:    ", yes_no(s.regextenonqualify));
    v("Trust RPID:             ", yes_no(p.trustrpid));
    v("Send RPID:              ", yes_no(p.sendrpid));
    v(
        "Legacy userfield parse: ",
        yes_no(s.legacy_useroption_parsing),
    );
    v("Send Diversion:         ", yes_no(s.send_diversion));
    v("Caller ID:              ", &s.callerid);
    v("From: Domain:           ", &g.fromdomain);
    v("Record SIP history:     ", on_off(s.recordhistory));
    v("Auth. Failure Events:   ", on_off(s.authfailureevents));
    v(
        "T.38 support:           ",
        yes_no(p.t38support != T38Support::Off),
    );
    v("T.38 EC mode:           ", p.t38support.ec_label());
    // An unset maximum is -1, printed unsigned.
    v(
        "T.38 MaxDtgrm:          ",
        &(p.t38_maxdatagram as u32).to_string(),
    );
    v("SIP realtime:           ", "Disabled");
    v(
        "Qualify Freq :          ",
        &format!("{} ms", p.qualifyfreq_ms),
    );
    v("Q.850 Reason header:    ", yes_no(p.use_q850_reason));
    v("Store SIP_CAUSE:        ", yes_no(s.storesipcause));
    head(out, "Network QoS Settings", "---------------------------");
    let mut v = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label}{value}");
    };
    v("IP ToS SIP:             ", &tos_label(s.tos_sip));
    v("IP ToS RTP audio:       ", &tos_label(g.tos_audio));
    v("IP ToS RTP video:       ", &tos_label(s.tos_video));
    v("IP ToS RTP text:        ", &tos_label(s.tos_text));
    v("802.1p CoS SIP:         ", &s.cos_sip.to_string());
    v("802.1p CoS RTP audio:   ", &g.cos_audio.to_string());
    v("802.1p CoS RTP video:   ", &s.cos_video.to_string());
    v("802.1p CoS RTP text:    ", &s.cos_text.to_string());
    v("Jitterbuffer enabled:   ", "No");
    head(out, "Network Settings", "---------------------------");
    let mut v = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label}{value}");
    };
    // No localnet= list is kept, so remapping is off.
    v("SIP address remapping:  ", "Disabled, no localnet list");
    v(
        "Externhost:             ",
        if s.externhost.is_empty() {
            "<none>"
        } else {
            &s.externhost
        },
    );
    v("Externaddr:             ", "(null)");
    v("Externrefresh:          ", &s.externrefresh.to_string());
    head(
        out,
        "Global Signalling Settings",
        "---------------------------",
    );
    let mut v = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label}{value}");
    };
    let disabled = |n: i64| format!("{n} {}", if n != 0 { "" } else { "(Disabled)" });
    v("Codecs:                 ", &p.codecs.names());
    v("Relax DTMF:             ", yes_no(s.relaxdtmf));
    v("RFC2833 Compensation:   ", yes_no(p.rfc2833compensate));
    v("Symmetric RTP:          ", p.nat.comedia_label());
    v("Compact SIP headers:    ", yes_no(s.compactheaders));
    v("RTP Keepalive:          ", &disabled(p.rtpkeepalive));
    v("RTP Timeout:            ", &disabled(p.rtptimeout));
    v("RTP Hold Timeout:       ", &disabled(p.rtpholdtimeout));
    v("MWI NOTIFY mime type:   ", &s.notifymimetype);
    v("DNS SRV lookup:         ", yes_no(s.srvlookup));
    v("Pedantic SIP support:   ", yes_no(s.pedantic));
    v("Reg. min duration       ", &format!("{} secs", s.minexpiry));
    v("Reg. max duration:      ", &format!("{} secs", s.maxexpiry));
    v(
        "Reg. default duration:  ",
        &format!("{} secs", g.defaultexpiry),
    );
    v(
        "Sub. min duration       ",
        &format!("{} secs", s.minsubexpiry),
    );
    v(
        "Sub. max duration:      ",
        &format!("{} secs", s.maxsubexpiry),
    );
    v(
        "Outbound reg. timeout:  ",
        &format!("{} secs", g.registertimeout),
    );
    v("Outbound reg. attempts: ", &s.registerattempts.to_string());
    v("Outbound reg. retry 403:", yes_no(s.register_retry_403));
    {
        use crate::config::views::sip::{NotifyCid, NotifyRinging};
        let ringing = s.notifyringing != NotifyRinging::No;
        let when = if s.notifyringing == NotifyRinging::NotInUse {
            " (when not in use)"
        } else {
            ""
        };
        v(
            "Notify ringing state:   ",
            &format!("{}{when}", yes_no(ringing)),
        );
        if ringing {
            let ignoring = if s.notifycid == NotifyCid::IgnoreContext {
                " (Ignoring context)"
            } else {
                ""
            };
            v(
                "  Include CID:          ",
                &format!("{}{ignoring}", yes_no(s.notifycid != NotifyCid::No)),
            );
        }
    }
    v("Notify hold state:      ", yes_no(s.notifyhold));
    v(
        "SIP Transfer mode:      ",
        if p.allowtransfer { "open" } else { "closed" },
    );
    v(
        "Max Call Bitrate:       ",
        &format!("{} kbps", p.maxcallbitrate),
    );
    v("Auto-Framing:           ", yes_no(p.autoframing));
    v(
        "Outb. proxy:            ",
        &format!(
            "{} ",
            if s.outboundproxy.is_empty() {
                "<not set>"
            } else {
                proxy_name(&s.outboundproxy)
            }
        ),
    );
    v("Session Timers:         ", p.session_timers.as_str());
    v(
        "Session Refresher:      ",
        if p.session_refresher_uas {
            "uas"
        } else {
            "uac"
        },
    );
    v(
        "Session Expires:        ",
        &format!("{} secs", p.session_expires),
    );
    v(
        "Session Min-SE:         ",
        &format!("{} secs", p.session_minse),
    );
    v("Timer T1:               ", &p.timer_t1.to_string());
    v("Timer T1 minimum:       ", &g.t1min.to_string());
    v("Timer B:                ", &p.timer_b.to_string());
    v("No premature media:     ", yes_no(s.prematuremedia));
    v("Max forwards:           ", &g.maxforwards.to_string());
    head(out, "Default Settings", "-----------------");
    let mut v = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label}{value}");
    };
    v("Allowed transports:     ", &p.transports_label());
    v(
        "Outbound transport:\t  ",
        p.primary_transport
            .map(|t| t.primary_label())
            .unwrap_or("UNKNOWN"),
    );
    v("Context:                ", &p.context);
    v("Record on feature:      ", &p.record_on_feature);
    v("Record off feature:     ", &p.record_off_feature);
    v("Force rport:            ", p.nat.force_rport_label());
    v("DTMF:                   ", p.dtmfmode.as_str());
    v("Qualify:                ", &p.qualify_ms.to_string());
    v("Keepalive:              ", &p.keepalive.to_string());
    v("Use ClientCode:         ", yes_no(p.useclientcode));
    v(
        "Progress inband:        ",
        match p.progressinband {
            None => "Never",
            Some(b) => yes_no(b),
        },
    );
    v("Language:               ", &p.language);
    v(
        "Tone zone:              ",
        if p.tonezone.is_empty() {
            "<Not set>"
        } else {
            &p.tonezone
        },
    );
    v("MOH Interpret:          ", &p.mohinterpret);
    v("MOH Suggest:            ", &p.mohsuggest);
    v("Voice Mail Extension:   ", &p.vmexten);
    v("RTCP Multiplexing:      ", yes_no(p.rtcp_mux));
    out.push_str("\n----\n");
    CliResult::Success
}

/// `sip show channels`: chan_sip's dialogs (calls, and ended calls it
/// still keeps), in `show_channels_cb`'s columns.
fn show_channels(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let line = |out: &mut String, c: [&str; 9]| {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {} {}  {} {} {}",
            pad(c[0], 15),
            pad(c[1], 15),
            pad(c[2], 15),
            pad(c[3], 15),
            pad(c[4], 3),
            pad(c[5], 3),
            pad(c[6], 15),
            pad(c[7], 10),
            pad(c[8], 10),
        );
    };
    let _ = writeln!(
        out,
        "{}  {}  {}  {}  {}  {} {} {}",
        pad("Peer", 15),
        pad("User/ANR", 15),
        pad("Call ID", 15),
        pad("Format", 15),
        pad("Hold", 7),
        pad("Last Message", 15),
        pad("Expiry", 10),
        pad("Peer", 10),
    );
    let rows = crate::channels::sip::dialogs(sys, crate::channels::sip::endpoint::Flavor::ChanSip);
    for r in &rows {
        line(
            out,
            [
                &r.peer.ip().to_string(),
                if r.user.is_empty() { "(None)" } else { &r.user },
                &r.call_id,
                r.format.as_deref().unwrap_or("(nothing)"),
                yes_no(r.on_hold),
                "",
                &r.last_msg,
                "",
                &r.peer_name,
            ],
        );
    }
    let _ = writeln!(
        out,
        "{} active SIP dialog{}",
        rows.len(),
        if rows.len() > 1 { "s" } else { "" }
    );
    CliResult::Success
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
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

/// `sip show peers|users [like <pattern>]`: the pattern, if any; `Err`
/// for anything else after the command, or a pattern that does not build.
fn like_pattern(a: &CliArgs<'_>) -> Result<Option<regex::Regex>, ()> {
    match a.argc() {
        3 => Ok(None),
        5 if a.arg(3).is_some_and(|w| w.eq_ignore_ascii_case("like")) => {
            regex::Regex::new(a.arg(4).unwrap_or_default())
                .map(Some)
                .map_err(|_| ())
        }
        _ => Err(()),
    }
}

fn show_users(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Ok(pattern) = like_pattern(a) else {
        return CliResult::ShowUsage;
    };
    let row = |out: &mut String, f: [&str; 6]| {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}  {}{}",
            pad(f[0], 25),
            pad(f[1], 15),
            pad(f[2], 15),
            pad(f[3], 15),
            pad(f[4], 5),
            pad(f[5], 10)
        );
    };
    row(
        out,
        [
            "Username",
            "Secret",
            "Accountcode",
            "Def.Context",
            "ACL",
            "Forcerport",
        ],
    );
    let loaded = sys.loaded();
    let mut users: Vec<&SipPeer> = loaded
        .sip
        .peers
        .iter()
        .filter(|p| matches!(p.kind, PeerType::User | PeerType::Friend))
        .filter(|p| pattern.as_ref().is_none_or(|re| re.is_match(&p.name)))
        .collect();
    // The peers container's walk: bucket by bucket (563).
    users.sort_by_key(|p| crate::core::devicestate::str_case_hash(&p.name) % 563);
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    for u in users {
        row(
            out,
            [
                &u.name,
                &u.secret,
                &u.accountcode,
                &u.settings.context,
                yes_no(!u.acl.is_empty()),
                yes_no(u.settings.nat.force_rport),
            ],
        );
    }
    CliResult::Success
}

fn reload(sys: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    super::core::reload_one(sys, crate::core::Part::Sip, out);
    CliResult::Success
}

fn show_peers(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Ok(pattern) = like_pattern(a) else {
        return CliResult::ShowUsage;
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
    let packed = crate::channels::sip::last_msgs_sent(sys, p);
    l(
        out,
        "LastMsgsSent ",
        &format!("{}/{}", (packed & 0x7fff_0000) >> 16, packed & 0xffff),
    );
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
    l(out, "Def. Username", &live.username);
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

/// The peer, then `load`.
fn complete_peer(sys: &System, c: &Completion<'_>) -> Vec<String> {
    match c.pos {
        3 => starting_with(
            c.word,
            sys.loaded()
                .sip
                .peers
                .iter()
                .filter(|p| p.kind.is_peer())
                .map(|p| p.name.clone()),
        ),
        4 => starting_with(c.word, ["load"]),
        _ => Vec::new(),
    }
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

/// `sip qualify peer <name> [load]`: the peer gets an OPTIONS at once;
/// nothing is said unless it is unknown.
fn qualify_peer(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let Some(name) = a.arg(3) else {
        return CliResult::ShowUsage;
    };
    if !crate::channels::sip::qualify_now(
        sys,
        crate::channels::sip::endpoint::Flavor::ChanSip,
        name,
    ) {
        let _ = writeln!(out, "Peer '{name}' not found");
    }
    CliResult::Success
}

/// `sip notify <type> <peer>...`: a NOTIFY of a sip_notify.conf type to
/// each peer (or host) that has an address.
fn notify(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    use crate::channels::sip::notify;
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let types = sys.loaded().sip_notify.clone();
    if !types.0.present {
        let _ = writeln!(
            out,
            "No sip_notify.conf file found, or no types listed there"
        );
        return CliResult::Failure;
    }
    let kind = a.arg(2).unwrap_or_default();
    let Some(t) = types.0.find(kind) else {
        let _ = writeln!(out, "Unable to find notify type '{kind}'");
        return CliResult::Failure;
    };
    for peer in &a.argv[3..] {
        let Some((target, transport, uri)) = notify::chan_sip_target(sys, peer) else {
            let _ = writeln!(out, "Could not create address for '{peer}'");
            continue;
        };
        let content = notify::chan_sip_content(sys, &t.items, notify::Source::Config);
        let _ = writeln!(out, "Sending NOTIFY of type '{kind}' to '{peer}'");
        notify::send(
            sys,
            crate::channels::sip::endpoint::Flavor::ChanSip,
            vec![notify::Notify {
                target,
                transport,
                uri,
                content,
                from_user: None,
            }],
        );
    }
    CliResult::Success
}
