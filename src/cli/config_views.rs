//! CLI commands that show the smaller config views: `http show status`,
//! `ari show status|users|user`, `cdr show status`, `features show`,
//! `indication show`, `rtp show settings`.

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::rtp::{StrictRtp, Stun};
use crate::core::System;
use crate::version::ASTERISK_VERSION;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "http show status",
            "Usage: http show status\n       Shows the HTTP server: where it listens, its URIs, redirects and path restrictions.\n",
            http_show_status,
        ),
        CliEntry::new(
            "ari show status",
            "Usage: ari show status\n       Shows the ARI settings.\n",
            ari_show_status,
        ),
        CliEntry::new(
            "ari show users",
            "Usage: ari show users\n       Lists the ARI users.\n",
            ari_show_users,
        ),
        CliEntry::new(
            "ari show user",
            "Usage: ari show user <username>\n       Shows one ARI user.\n",
            ari_show_user,
        )
        .completing(complete_ari_user),
        CliEntry::new(
            "cdr show active",
            "Usage: cdr show active [channel]\n\tLists the calls with a CDR under way; with a channel, each of its records.\n",
            cdr_show_active,
        ),
        CliEntry::new(
            "cdr show status",
            "Usage: cdr show status\n\tShows the CDR engine's settings and its backends.\n",
            cdr_show_status,
        ),
        CliEntry::new(
            "cdr submit",
            "Usage: cdr submit\n       Posts the records waiting in the batch to the CDR backends now.\n",
            cdr_submit,
        ),
        CliEntry::new(
            "features show",
            "Usage: features show\n       Lists the call features and their DTMF.\n",
            features_show,
        ),
        CliEntry::new(
            "indication show",
            "Usage: indication show [<country> ...]\n       Lists the tone zones, or the tones of the countries given.\n",
            indication_show,
        ),
        CliEntry::new(
            "rtp show settings",
            "Usage: rtp show settings\n       Shows the RTP settings.\n",
            rtp_show_settings,
        ),
    ]
}

fn cdr_submit(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() > 2 {
        return CliResult::ShowUsage;
    }
    out.push_str(match sys.cdr.submit(&sys.loaded().cdr.general) {
        crate::cdr::Submit::Disabled => "Cannot submit CDR batch: CDR engine disabled.\n",
        crate::cdr::Submit::NotBatch => "Cannot submit CDR batch: batch mode not enabled.\n",
        crate::cdr::Submit::Submitted => {
            "Submitted CDRs to backend engines for processing.  This may take a while.\n"
        }
    });
    CliResult::Success
}

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

fn http_show_status(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let h = &loaded.http;
    let m = &loaded.modules;
    out.push_str("HTTP Server Status:\n");
    let _ = writeln!(out, "Prefix: {}", h.prefix);
    let server = h
        .servername
        .clone()
        .unwrap_or_else(|| format!("Asterisk/{ASTERISK_VERSION}"));
    let _ = writeln!(out, "Server: {server}");
    match h.bound_address() {
        Some(addr) => {
            let _ = writeln!(out, "Server Enabled and Bound to {addr}\n");
            // Only while the certificate loaded (Asterisk turns TLS off
            // when it does not).
            if let Some(tls) = crate::http::https_bound() {
                let _ = writeln!(out, "HTTPS Server Enabled and Bound to {tls}\n");
            }
        }
        None => out.push_str("Server Disabled\n\n"),
    }
    // The URIs the core and the loaded modules register, longest first.
    let mut uris: Vec<(&str, bool, &str)> = Vec::new();
    if h.enable_status {
        uris.push(("httpstatus", false, "Asterisk HTTP General Status"));
    }
    let mgr = &loaded.manager.general;
    if mgr.enabled && mgr.webenabled {
        uris.push((
            "amanager",
            false,
            "HTML Manager Event Interface w/Digest authentication",
        ));
        uris.push((
            "arawman",
            false,
            "Raw HTTP Manager Event Interface w/Digest authentication",
        ));
        uris.push(("manager", false, "HTML Manager Event Interface"));
        uris.push(("rawman", false, "Raw HTTP Manager Event Interface"));
        uris.push((
            "amxml",
            false,
            "XML Manager Event Interface w/Digest authentication",
        ));
        uris.push(("mxml", false, "XML Manager Event Interface"));
    }
    // Registered at startup, so a module's URI of the same length
    // (`rawman`) goes before it.
    if h.enable_static {
        uris.push(("static", true, "Asterisk HTTP Static Delivery"));
    }
    if m.loads("chan_websocket") && m.loads("res_http_websocket") {
        uris.push(("media", true, "Media over Websocket"));
    }
    if m.loads("res_ari") && loaded.ari.enabled() {
        uris.push(("ari", true, "Asterisk RESTful API"));
    }
    if m.loads("res_http_websocket") {
        uris.push(("ws", false, "Asterisk HTTP WebSocket"));
    }
    uris.sort_by_key(|(u, _, _)| std::cmp::Reverse(u.len()));
    out.push_str("Enabled URI's:\n");
    if uris.is_empty() {
        out.push_str("None.\n");
    }
    for (uri, subtree, desc) in uris {
        let more = if subtree { "/..." } else { "" };
        let _ = writeln!(out, "{}/{uri}{more} => {desc}", h.prefix);
    }
    out.push_str("\nEnabled Redirects:\n");
    if h.redirects.is_empty() {
        out.push_str("  None.\n");
    }
    for r in &h.redirects {
        let _ = writeln!(out, "  {} => {}", r.target, r.dest);
    }
    out.push_str("\nPath Restrictions:\n");
    if h.restrictions.is_empty() {
        out.push_str("  None.\n");
    }
    for r in &h.restrictions {
        let _ = writeln!(out, "  Path: {}", r.path);
        if r.acl.is_empty() {
            out.push_str("    No ACL configured\n");
        } else {
            out.push_str(&r.acl.output("    "));
        }
    }
    CliResult::Success
}

fn ari_show_status(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let Some(g) = &loaded.ari.general else {
        out.push_str("Error getting ARI configuration\n");
        return CliResult::Failure;
    };
    out.push_str("ARI Status:\n");
    let _ = writeln!(out, "Enabled: {}", yes_no(g.enabled));
    let _ = writeln!(
        out,
        "Output format: {}",
        if g.pretty { "pretty" } else { "compact" }
    );
    let _ = writeln!(out, "Auth realm: {}", g.auth_realm);
    let _ = writeln!(out, "Allowed Origins: {}", g.allowed_origins);
    CliResult::Success
}

fn ari_show_users(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    out.push_str("r/o?  ACL?  Username\n----  ----  --------\n");
    for u in &loaded.ari.users {
        let _ = writeln!(
            out,
            "{:<4}  {:<4}  {}",
            yes_no(u.read_only),
            yes_no(!u.acl.is_empty()),
            u.name
        );
    }
    CliResult::Success
}

fn ari_show_user(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or_default();
    let loaded = sys.loaded();
    let Some(u) = loaded.ari.user(name) else {
        let _ = writeln!(out, "User '{name}' not found");
        return CliResult::Success;
    };
    let _ = writeln!(out, "Username: {}", u.name);
    let _ = writeln!(out, "Read only?: {}", yes_no(u.read_only));
    let _ = writeln!(out, "ACL?: {}", yes_no(!u.acl.is_empty()));
    out.push_str(&u.acl.output(""));
    CliResult::Success
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn cdr_show_status(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() > 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let g = &loaded.cdr.general;
    out.push_str("\nCall Detail Record (CDR) settings\n----------------------------------\n");
    let _ = writeln!(
        out,
        "  Logging:                    {}",
        if g.enable { "Enabled" } else { "Disabled" }
    );
    let _ = writeln!(
        out,
        "  Mode:                       {}",
        if g.batch { "Batch" } else { "Simple" }
    );
    if !g.enable {
        return CliResult::Success;
    }
    let _ = writeln!(
        out,
        "  Log calls by default:       {}",
        yes_no(g.channeldefaultenabled)
    );
    let _ = writeln!(
        out,
        "  Log unanswered calls:       {}",
        yes_no(g.unanswered)
    );
    let _ = writeln!(
        out,
        "  Log congestion:             {}\n",
        yes_no(g.congestion)
    );
    let _ = writeln!(
        out,
        "  Ignore bridging changes:    {}\n",
        yes_no(g.ignorestatechanges)
    );
    let _ = writeln!(
        out,
        "  Ignore dial state changes:  {}\n",
        yes_no(g.ignoredialchanges)
    );
    let _ = writeln!(
        out,
        "  Cancel disposition enabled: {}\n",
        yes_no(g.canceldispositionenabled)
    );
    if g.batch {
        let queued = sys.cdr.batch_len() as u64;
        // Asterisk shows 0 when nothing is scheduled.
        let next = sys.cdr.next_batch_secs().unwrap_or(0);
        out.push_str("* Batch Mode Settings\n  -------------------\n");
        let _ = writeln!(
            out,
            "  Safe shutdown:              {}",
            if g.safeshutdown {
                "Enabled"
            } else {
                "Disabled"
            }
        );
        let _ = writeln!(
            out,
            "  Threading model:            {}",
            if g.scheduleronly {
                "Scheduler only"
            } else {
                "Scheduler plus separate threads"
            }
        );
        let _ = writeln!(
            out,
            "  Current batch size:         {queued} record{}",
            plural(queued)
        );
        let _ = writeln!(
            out,
            "  Maximum batch size:         {} record{}",
            g.size,
            plural(u64::from(g.size))
        );
        let _ = writeln!(
            out,
            "  Maximum batch time:         {} second{}",
            g.time,
            plural(u64::from(g.time))
        );
        let _ = writeln!(
            out,
            "  Next batch processing time: {next} second{}\n",
            plural(u64::try_from(next).unwrap_or(0))
        );
    }
    out.push_str("* Registered Backends\n  -------------------\n");
    let backends = crate::cdr::backends(sys);
    if backends.is_empty() {
        out.push_str("    (none)\n");
    }
    for b in backends {
        let _ = writeln!(
            out,
            "    {}{}",
            b.name,
            if b.suspended { " (suspended) " } else { "" }
        );
    }
    out.push('\n');
    CliResult::Success
}

/// `%-25s %-7s %-7s`.
fn feature_row(out: &mut String, a: &str, b: &str, c: &str) {
    let _ = writeln!(out, "{a:<25} {b:<7} {c:<7}");
}

fn features_show(sys: &System, _a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let f = &loaded.features;
    feature_row(out, "Builtin Feature", "Default", "Current");
    feature_row(out, "---------------", "-------", "-------");
    let m = &f.featuremap;
    feature_row(out, "Pickup", "*8", &f.general.pickupexten);
    feature_row(out, "Blind Transfer", "#", &m.blindxfer);
    feature_row(out, "Attended Transfer", "", &m.atxfer);
    feature_row(out, "One Touch Monitor", "", &m.automon);
    feature_row(out, "Disconnect Call", "*", &m.disconnect);
    feature_row(out, "Park Call", "", &m.parkcall);
    feature_row(out, "One Touch MixMonitor", "", &m.automixmon);
    out.push('\n');
    feature_row(out, "Dynamic Feature", "Default", "Current");
    feature_row(out, "---------------", "-------", "-------");
    if f.applicationmap.is_empty() {
        out.push_str("(none)\n");
    }
    for item in &f.applicationmap {
        feature_row(out, &item.name, "no def", &item.dtmf);
    }
    out.push_str("\nFeature Groups:\n---------------\n");
    if f.groups.is_empty() {
        out.push_str("(none)\n");
    }
    for g in &f.groups {
        let _ = writeln!(out, "===> Group: {}", g.name);
        for (name, dtmf) in &g.items {
            let dtmf = if dtmf.is_empty() {
                f.app(name).map(|a| a.dtmf.as_str()).unwrap_or("")
            } else {
                dtmf
            };
            let _ = writeln!(out, "===> --> {name} ({dtmf})");
        }
    }
    CliResult::Success
}

fn indication_show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let ind = &loaded.indications;
    if a.argc() == 2 {
        out.push_str("Country   Description\n===========================\n");
        for z in &ind.zones {
            let _ = writeln!(out, "{}  {}", super::pad(&z.country, 7), z.description);
        }
        if let Some(c) = &ind.default_country {
            let _ = writeln!(out, "===========================\nDefault tone zone: {c}");
        }
        return CliResult::Success;
    }
    let mut found = false;
    for country in a.argv.iter().skip(2) {
        let Some(z) = ind.zone(country) else {
            continue;
        };
        if !found {
            found = true;
            out.push_str(
                "Country Indication      PlayList\n=====================================\n",
            );
        }
        let cadence: Vec<String> = z.ringcadence.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(
            out,
            "{} {} {}",
            super::pad(&z.country, 7),
            super::pad("<ringcadence>", 15),
            cadence.join(",")
        );
        for (name, tones) in &z.tones {
            let _ = writeln!(
                out,
                "{} {} {tones}",
                super::pad(&z.country, 7),
                super::pad(name, 15)
            );
        }
    }
    if !found {
        out.push_str("No countries matched your criteria.\n");
    }
    CliResult::Success
}

fn rtp_show_settings(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let r = &loaded.rtp;
    out.push_str("\n\nGeneral Settings:\n----------------\n");
    let _ = writeln!(out, "  Port start:      {}", r.rtpstart);
    let _ = writeln!(out, "  Port end:        {}", r.rtpend);
    let _ = writeln!(out, "  Checksums:       {}", yes_no(r.rtpchecksums));
    let _ = writeln!(out, "  DTMF Timeout:    {}", r.dtmftimeout);
    let strict = r.strictrtp != StrictRtp::No;
    let _ = writeln!(out, "  Strict RTP:      {}", yes_no(strict));
    if strict {
        let _ = writeln!(out, "  Probation:       {} frames", r.probation);
    }
    let _ = writeln!(out, "  Replay Protect:  {}", yes_no(r.srtpreplayprotection));
    let _ = writeln!(out, "  ICE support:     {}", yes_no(r.icesupport));
    match &r.stun {
        None => {
            out.push_str("  STUN:            disabled\n   Address:        0.0.0.0:0\n");
        }
        Some(Stun::Address(addr)) => {
            // Asterisk's spelling.
            let state = if addr.ip().is_unspecified() {
                "disabled"
            } else {
                "enbabled"
            };
            let _ = writeln!(out, "  STUN:            {state}\n   Address:        {addr}");
        }
        Some(Stun::Hostname { host, port }) => {
            // Right after loading, the name is not resolved yet.
            let _ = writeln!(
                out,
                "  STUN:            disabled\n   Hostname:       {host}:{port}"
            );
            let _ = writeln!(out, "   Resolved Addr:  0.0.0.0:{port} (lookup failed)");
            out.push_str("   Last TTL:       0  (periodic resolution enabled)\n");
            let _ = writeln!(
                out,
                "   Reresove TTL 0: {}",
                yes_no(r.stunaddr_reresolve_ttl_0)
            );
        }
    }
    if !r.stun_acl.is_empty() {
        out.push_str(&r.stun_acl.output("   "));
    }
    CliResult::Success
}

fn complete_ari_user(sys: &System, c: &Completion<'_>) -> Vec<String> {
    starting_with(
        c.word,
        sys.loaded().ari.users.iter().map(|u| u.name.clone()),
    )
}

/// `cdr show active [channel]`.
fn cdr_show_active(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let now = std::time::SystemTime::now();
    let clock = |t: std::time::SystemTime| crate::core::logger::format_time(t, "%H:%M:%S");
    let opt_clock = |t: Option<std::time::SystemTime>| t.map(clock).unwrap_or_default();
    match a.argc() {
        3 => {
            out.push_str("\nChannels with Call Detail Record (CDR) Information\n");
            out.push_str("--------------------------------------------------\n");
            let _ = writeln!(
                out,
                "{:<25.25} {:<25.25} {:<15.15} {:<8.8} {:<8.8} {:<8.8} {:<8.8} {:<8.8}",
                "Channel",
                "Dst. Channel",
                "LastApp",
                "Start",
                "Answer",
                "End",
                "Billsec",
                "Duration"
            );
            for r in sys.cdr.with(|st| st.active_summary(now)) {
                let _ = writeln!(
                    out,
                    // `%-8.8ld`: a precision on an integer pads it with zeros.
                    "{:<25.25} {:<25.25} {:<15.15} {:<8.8} {:<8.8} {:<8.8} {:08} {:08}",
                    r.channel,
                    r.dst.as_deref().unwrap_or("<none>"),
                    r.appl,
                    clock(r.start),
                    opt_clock(r.answer),
                    clock(r.end),
                    r.billsec,
                    r.duration
                );
            }
        }
        4 => {
            let name = a.arg(3).unwrap_or("");
            let Some(records) = sys.cdr.with(|st| st.channel_records(name, now)) else {
                let _ = writeln!(out, "Unknown channel: {name}");
                return CliResult::Success;
            };
            out.push('\n');
            let _ = writeln!(out, "Call Detail Record (CDR) Information for {name}");
            out.push_str("--------------------------------------------------\n");
            let _ = writeln!(
                out,
                "{:<10.10} {:<20.20} {:<25.25} {:<15.15} {:<15.15} {:<8.8} {:<8.8} {:<8.8} {:<8.8} {:<8.8}",
                "AccountCode",
                "CallerID",
                "Dst. Channel",
                "LastApp",
                "Data",
                "Start",
                "Answer",
                "End",
                "Billsec",
                "Duration"
            );
            for r in records {
                let _ = writeln!(
                    out,
                    "{:<10.10} {:<20.20} {:<25.25} {:<15.15} {:<15.15} {:<8.8} {:<8.8} {:<8.8} {:08} {:08}",
                    r.accountcode,
                    r.clid,
                    r.dst.as_deref().unwrap_or("<none>"),
                    r.appl,
                    r.data,
                    clock(r.start),
                    opt_clock(r.answer),
                    clock(r.end),
                    r.billsec,
                    r.duration
                );
            }
        }
        _ => return CliResult::ShowUsage,
    }
    CliResult::Success
}
