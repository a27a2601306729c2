//! res_pjsip's CLI: `pjsip show endpoints|aors|auths|transports` and
//! `pjsip show endpoint <id>`, in the layout of `pjsip_cli.c` and the
//! per-object formatters (90 columns, titles right-aligned by nesting).

use std::fmt::Write as _;

use super::complete::{Completion, names_at, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::channels::sip::endpoint::Flavor;
use crate::channels::sip::stack::SubscriptionRow;
use crate::config::views::pjsip::{Aor, Auth, Endpoint, OtherObject, PjsipConf, Transport};
use crate::core::System;
use crate::pbx::expr::posix_re::Regex;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "pjsip show endpoints",
            "Usage: pjsip show endpoints [ like <pattern> ]\n       Lists the PJSIP endpoints with their auths, AORs, contacts and transport.\n       A pattern keeps only the endpoints whose id matches it.\n",
            show_endpoints,
        ),
        CliEntry::new(
            "pjsip show endpoint",
            "Usage: pjsip show endpoint <id>\n       Shows one PJSIP endpoint.\n",
            show_endpoint,
        )
        .completing(complete_endpoint),
        CliEntry::new(
            "pjsip show aors",
            "Usage: pjsip show aors [ like <pattern> ]\n       Lists the PJSIP AORs and their contacts.\n       A pattern keeps only the AORs whose id matches it.\n",
            show_aors,
        ),
        CliEntry::new(
            "pjsip show auths",
            "Usage: pjsip show auths [ like <pattern> ]\n       Lists the PJSIP auths.\n       A pattern keeps only the auths whose id matches it.\n",
            show_auths,
        ),
        CliEntry::new(
            "pjsip show transports",
            "Usage: pjsip show transports [ like <pattern> ]\n       Lists the PJSIP transports.\n       A pattern keeps only the transports whose id matches it.\n",
            show_transports,
        ),
        CliEntry::new(
            "pjsip show contacts",
            "Usage: pjsip show contacts [ like <pattern> ]\n       Lists the PJSIP contacts, permanent and registered, with their qualify status.\n       A pattern keeps only the contacts whose id matches it.\n",
            show_contacts,
        ),
        CliEntry::new(
            "pjsip show registrations",
            "Usage: pjsip show registrations [ like <pattern> ]\n       Lists the outbound registrations and where each stands.\n       A pattern keeps only the registrations whose id matches it.\n",
            show_registrations,
        ),
        CliEntry::new(
            "pjsip show channels",
            "Usage: pjsip show channels [ like <pattern> ]\n       Lists the active PJSIP channels.\n       A pattern keeps only the channels whose name matches it.\n",
            show_channels,
        ),
        CliEntry::new(
            "pjsip qualify",
            "Usage: pjsip qualify <endpoint>\n       Sends an OPTIONS request to every contact of the endpoint now.\n",
            qualify,
        )
        .completing(complete_endpoint),
        CliEntry::new(
            "pjsip send notify",
            "Usage: pjsip send notify <type> {endpoint|uri|channel} <peer> [<peer>...]\n       Sends a NOTIFY of a type of pjsip_notify.conf to each endpoint, URI or channel named.\n",
            send_notify,
        ),
        CliEntry::new(
            "pjsip send unregister",
            "Usage: pjsip send unregister <registration> | *all\n       Sends a REGISTER removing the binding of the outbound registration\n       named (or of every one) and stops re-registering it.\n",
            send_unregister,
        )
        .completing(complete_send_registration),
        CliEntry::new(
            "pjsip send register",
            "Usage: pjsip send register <registration> | *all\n       Removes the binding of the outbound registration named (or of every\n       one), then registers it again and keeps it refreshed.\n",
            send_register,
        )
        .completing(complete_send_registration),
        CliEntry::new(
            "pjsip list subscriptions {inbound|outbound}",
            "Usage: pjsip list subscriptions {inbound|outbound} [like <regex>]\n       Lists the subscriptions pjsip serves (inbound) or holds (outbound), one\n       line each; a POSIX regex keeps the lines it matches.\n",
            list_subscriptions,
        ),
        CliEntry::new(
            "pjsip show subscriptions {inbound|outbound}",
            "Usage: pjsip show subscriptions {inbound|outbound} [like <regex>]\n       Shows the subscriptions pjsip serves (inbound) or holds (outbound), a\n       block each; a POSIX regex keeps the blocks it matches.\n",
            show_subscriptions,
        ),
        CliEntry::new(
            "pjsip show subscription {inbound|outbound}",
            "Usage: pjsip show subscription {inbound|outbound} <call-id>\n       Shows every detail of the subscription whose dialog has that Call-ID.\n",
            show_subscription,
        ),
        CliEntry::new(
            "pjsip set maintenance",
            "Usage: pjsip set maintenance <on|off> <endpoint|all>\n       Takes a PJSIP endpoint (or every one) out of service, or puts it back.\n       While out of service its new requests outside a dialog are answered 503\n       (a SUBSCRIBE or REGISTER with Expires: 0 still passes) and calls to it\n       are refused; calls already up go on.\n",
            set_maintenance,
        )
        .completing(complete_set_maintenance),
        CliEntry::new(
            "pjsip show maintenance",
            "Usage: pjsip show maintenance [endpoint]\n       Lists the PJSIP endpoints out of service, or tells whether one is.\n",
            show_maintenance,
        )
        .completing(complete_endpoint),
        CliEntry::new(
            "pjsip show registration",
            "Usage: pjsip show registration <id>\n       Shows one outbound registration and its options.\n",
            show_registration,
        )
        .completing(complete_registration),
    ]
}

fn registration_header(out: &mut String) {
    out.push_str(
        " <Registration/ServerURI..............................>  <Auth....................>  <Status.......>\n",
    );
}

/// One registration's line: its id and server URI in 53 columns, its
/// first outbound auth, its status and the seconds until the next
/// REGISTER (from the task's copy; without one, "Unregistered" and 0).
fn registration_body(
    out: &mut String,
    o: &OtherObject,
    registry: &[crate::channels::sip::outbound::Status],
) {
    let params = o.registration_params();
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let width = 53usize.saturating_sub(o.name.len());
    let auth = get("outbound_auth")
        .split(',')
        .map(str::trim)
        .find(|a| !a.is_empty())
        .unwrap_or("n/a");
    let status = registry.iter().find(|r| r.reg.name == o.name);
    let now = crate::core::unix_seconds();
    let (word, tail) = match status {
        Some(r) => {
            let secs = r.next_due.map(|t| t - now).unwrap_or(0);
            (
                r.outcome.pjsip_text(),
                format!(
                    " (exp. {}{}",
                    secs.abs(),
                    if secs < 0 { "s ago)" } else { "s)" }
                ),
            )
        }
        None => ("Unregistered", "0".to_string()),
    };
    let _ = writeln!(
        out,
        " {}/{}  {}  {} {tail}",
        o.name,
        cut(get("server_uri"), width),
        cut(auth, 26),
        cut(word, 16),
    );
}

fn show_registrations(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let registry =
        crate::channels::sip::registry(sys, crate::channels::sip::endpoint::Flavor::Pjsip);
    list(
        out,
        a,
        registration_header,
        loaded
            .pjsip
            .others
            .iter()
            .filter(|o| o.kind == "registration"),
        |o| &o.name,
        |out, o| registration_body(out, o, &registry),
    )
}

/// `pjsip show registration <id>`: its line, then every option sorted.
fn show_registration(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let Some(id) = a.arg(3).filter(|s| !s.is_empty()) else {
        out.push_str("No object specified.\n");
        return CliResult::Failure;
    };
    let Some(o) = loaded
        .pjsip
        .others
        .iter()
        .find(|o| o.kind == "registration" && o.name == id)
    else {
        let _ = write!(out, "Unable to find object {id}.\n\n");
        return CliResult::Success;
    };
    let registry =
        crate::channels::sip::registry(sys, crate::channels::sip::endpoint::Flavor::Pjsip);
    out.push('\n');
    registration_header(out);
    out.push_str(RULE);
    registration_body(out, o, &registry);
    out.push('\n');
    let mut params = o.registration_params();
    params.sort();
    print_objectset(out, &params);
    out.push('\n');
    CliResult::Success
}

const MAX_WIDTH: usize = 90;
const LAST_TABSTOP: usize = 62;
const FILLER: &str =
    "..........................................................................................";
const RULE: &str = "==========================================================================================\n\n";

/// Title column width at a nesting level (`CLI_INDENT_TO_SPACES`).
fn indent(level: usize) -> usize {
    level * 2 + 1 + 8
}

fn fill(n: usize) -> &'static str {
    &FILLER[..n.min(FILLER.len())]
}

/// `%-N.Ns`.
fn cut(s: &str, n: usize) -> String {
    super::pad(s, n)
}

fn endpoint_header(out: &mut String, recurse: bool) {
    out.push_str(" Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n");
    if recurse {
        auth_header(out, 1);
        aor_header(out, 1, true);
        transport_header(out, 1);
        let i = indent(1);
        let _ = writeln!(
            out,
            "{:>i$}:  <Identify/Endpoint{}>",
            "Identify",
            fill(MAX_WIDTH - i - 22)
        );
        let _ = writeln!(
            out,
            "{:>w$}:  <criteria{}>",
            "Match",
            fill(LAST_TABSTOP - indent(2) - 24),
            w = indent(2)
        );
        let _ = writeln!(
            out,
            "{:>i$}:  <ChannelId{}>  <State.....>  <Time.....>",
            "Channel",
            fill(LAST_TABSTOP - i - 13)
        );
        let _ = writeln!(
            out,
            "{:>w$}: <DialedExten{}>  CLCID: <ConnectedLineCID.......>",
            "Exten",
            fill(LAST_TABSTOP - indent(2) - 38),
            w = indent(2)
        );
    }
}

fn auth_header(out: &mut String, level: usize) {
    let i = indent(level);
    let _ = writeln!(
        out,
        "{:>i$}:  <AuthId/UserName{}>",
        "I/OAuth",
        fill(MAX_WIDTH - i - 20)
    );
}

fn aor_header(out: &mut String, level: usize, recurse: bool) {
    let i = indent(level);
    let _ = writeln!(
        out,
        "{:>i$}:  <Aor{}>  <MaxContact>",
        "Aor",
        fill(LAST_TABSTOP - i - 7)
    );
    if recurse {
        contact_header(out, level + 1);
    }
}

fn contact_header(out: &mut String, level: usize) {
    let i = indent(level);
    let _ = writeln!(
        out,
        "{:>i$}:  <Aor/ContactUri{}> <Hash....> <Status> <RTT(ms)..>",
        "Contact",
        fill(LAST_TABSTOP - i - 23)
    );
}

/// A contact of an AOR: its id (`<aor>@@<md5 of the uri>` when
/// permanent, `<aor>;@<md5>` when registered), AOR, URI and qualify result.
struct ContactRow<'a> {
    id: String,
    aor: &'a Aor,
    uri: String,
    reach: Option<crate::channels::sip::qualify::Reach>,
}

/// An AOR's contacts, permanent and registered, by id.
fn aor_contacts<'a>(sys: &System, aor: &'a Aor) -> Vec<ContactRow<'a>> {
    crate::channels::sip::aor_contacts(sys, aor)
        .into_iter()
        .map(|c| ContactRow {
            id: c.id,
            aor,
            uri: c.uri,
            reach: c.reach,
        })
        .collect()
}

/// `pjsip show contacts`: every contact, permanent and registered.
fn show_contacts(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let rows: Vec<ContactRow<'_>> = loaded
        .pjsip
        .aors
        .iter()
        .flat_map(|aor| aor_contacts(sys, aor))
        .collect();
    list(
        out,
        a,
        |o| contact_header(o, 0),
        rows.iter(),
        |r| &r.id,
        |o, r| contact_body(o, 0, r.aor, &r.uri, r.reach),
    )
}

fn transport_header(out: &mut String, level: usize) {
    let i = indent(level);
    let _ = writeln!(
        out,
        "{:>i$}:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress{}>",
        "Transport",
        fill(MAX_WIDTH - i - 61)
    );
}

fn auth_body(out: &mut String, level: usize, a: &Auth, direction: &str) {
    let _ = writeln!(
        out,
        "{:>w$}:  {}/{}",
        format!("{direction}Auth"),
        a.name,
        a.username,
        w = indent(level)
    );
}

/// Static contacts: no qualify has run, so the status is "NonQual"
/// (never qualified) and the round trip is not a number.
/// One contact line: its AOR and URI, the start of its id's hash, and
/// what qualify knows (`Avail` with the round trip in ms, `Unavail`,
/// `Unknown`, or `NonQual` when the AOR does not qualify).
fn contact_body(
    out: &mut String,
    level: usize,
    aor: &Aor,
    uri: &str,
    reach: Option<crate::channels::sip::qualify::Reach>,
) {
    use crate::channels::sip::qualify::Reach;
    let i = indent(level);
    let flex = (LAST_TABSTOP + 1).saturating_sub(i + 9 + aor.name.len());
    let hash = crate::funcs::md5::hex(uri.as_bytes());
    let (status, rtt) = match reach {
        _ if aor.qualify_frequency == 0 => ("NonQual", "nan".to_string()),
        Some(Reach::Reachable(d)) | Some(Reach::Lagged(d)) => {
            ("Avail", format!("{:.3}", d.as_secs_f64() * 1000.0))
        }
        Some(Reach::Unreachable) => ("Unavail", "nan".to_string()),
        Some(Reach::Unknown) | None => ("Unknown", "nan".to_string()),
    };
    let _ = writeln!(
        out,
        "{:>i$}:  {}/{} {} {:<7} {:>11}",
        "Contact",
        aor.name,
        cut(uri, flex),
        cut(&hash, 10),
        status,
        rtt
    );
}

/// An AOR's line and its contacts, permanent and registered, by id
/// (`<aor>@@<md5 of the uri>` and `<aor>;@<md5 of the uri>`).
fn aor_body(out: &mut String, sys: &System, level: usize, aor: &Aor) {
    let i = indent(level);
    let flex = LAST_TABSTOP - i - 12;
    let _ = writeln!(
        out,
        "{:>i$}:  {} {:>12}",
        "Aor",
        cut(&aor.name, flex),
        aor.max_contacts
    );
    for c in aor_contacts(sys, aor) {
        contact_body(out, level + 1, aor, &c.uri, c.reach);
    }
    if level == 0 {
        out.push('\n');
    }
}

fn transport_body(out: &mut String, level: usize, t: &Transport) {
    let _ = writeln!(
        out,
        "{:>w$}:  {:<21}  {:>6}  {:>5}  {:>5}  {}",
        "Transport",
        t.name,
        t.protocol,
        t.cos,
        t.tos,
        t.bind_address(),
        w = indent(level)
    );
}

fn endpoint_body(out: &mut String, sys: &System, conf: &PjsipConf, e: &Endpoint) {
    let i = indent(0);
    let flex = LAST_TABSTOP - i - 2;
    let name = match &e.callerid_num {
        Some(n) => format!("{}/{}", e.name, n),
        None => e.name.clone(),
    };
    let busy_at = if e.device_state_busy_at == 0 {
        "inf".to_string()
    } else {
        e.device_state_busy_at.to_string()
    };
    let _ = writeln!(
        out,
        "{:>i$}:  {}  {}  0 of {}",
        "Endpoint",
        cut(&name, flex),
        cut(
            crate::core::devicestate::device_state(sys, &format!("PJSIP/{}", e.name)).as_str(),
            12
        ),
        busy_at
    );
    for a in e.outbound_auths.iter().filter_map(|a| conf.auth(a)) {
        auth_body(out, 1, a, "Out");
    }
    for a in e.inbound_auths.iter().filter_map(|a| conf.auth(a)) {
        auth_body(out, 1, a, "In");
    }
    for a in e.aor_names().filter_map(|a| conf.aor(a)) {
        aor_body(out, sys, 1, a);
    }
    if let Some(t) = conf.transport(&e.transport) {
        transport_body(out, 1, t);
    }
    for id in conf.identifies.iter().filter(|id| id.endpoint == e.name) {
        let _ = writeln!(
            out,
            "{:>w$}:  {}/{}",
            "Identify",
            id.name,
            id.endpoint,
            w = indent(1)
        );
        for m in &id.matches {
            let shown = if m.contains('/') {
                m.clone()
            } else if m.contains(':') {
                format!("{m}/128")
            } else {
                format!("{m}/32")
            };
            let _ = writeln!(out, "{:>w$}: {}", "Match", shown, w = indent(2));
        }
        if !id.match_header.is_empty() {
            let _ = writeln!(out, "{:>w$}: {}", "Header", id.match_header, w = indent(2));
        }
    }
    out.push('\n');
}

/// The `like <pattern>` filter of the list commands.
fn filter(a: &CliArgs<'_>) -> Result<Option<regex::Regex>, CliResult> {
    if a.arg(3) == Some("like") {
        let Some(p) = a.arg(4).filter(|p| !p.is_empty()) else {
            return Err(CliResult::ShowUsage);
        };
        return regex::Regex::new(p)
            .map(Some)
            .map_err(|_| CliResult::Failure);
    }
    Ok(None)
}

/// The frame every list shares: header, rule, bodies, count.
fn list<'a, T: 'a>(
    out: &mut String,
    a: &CliArgs<'_>,
    header: impl Fn(&mut String),
    items: impl Iterator<Item = &'a T>,
    id: impl Fn(&T) -> &str,
    mut body: impl FnMut(&mut String, &T),
) -> CliResult {
    let re = match filter(a) {
        Ok(re) => re,
        Err(r) => return r,
    };
    let mut items: Vec<&T> = items
        .filter(|o| re.as_ref().is_none_or(|re| re.is_match(id(o))))
        .collect();
    if items.is_empty() {
        out.push_str("No objects found.\n\n");
        return CliResult::Success;
    }
    items.sort_by(|x, y| id(x).as_bytes().cmp(id(y).as_bytes()));
    out.push('\n');
    header(out);
    out.push_str(RULE);
    for o in &items {
        body(out, o);
    }
    let _ = writeln!(out, "\nObjects found: {}", items.len());
    out.push('\n');
    CliResult::Success
}

fn channel_header(out: &mut String, level: usize) {
    let i = indent(level);
    let _ = writeln!(
        out,
        "{:>i$}:  <ChannelId{}>  <State.....>  <Time.....>",
        "Channel",
        fill(LAST_TABSTOP - i - 13)
    );
    let w = indent(level + 1);
    let _ = writeln!(
        out,
        "{:>w$}: <DialedExten{}>  CLCID: <ConnectedLineCID.......>",
        "Exten",
        fill(LAST_TABSTOP - w - 38),
    );
}

/// A channel's two lines: name/application, state and age; the dialed
/// extension and connected line. A top-level entry ends with a blank line.
fn channel_body(out: &mut String, level: usize, c: &crate::core::events::ChannelSnapshot) {
    let i = indent(level);
    let age = c.created.elapsed().map(|d| d.as_secs()).unwrap_or(0);
    let time = format!("{:02}:{:02}:{:02}", age / 3600, age / 60 % 60, age % 60);
    let _ = writeln!(
        out,
        "{:>i$}: {} {}  {}",
        "Channel",
        cut(&format!("{}/{}", c.name, c.appl), LAST_TABSTOP - i),
        cut(c.state.as_str(), 12),
        cut(&time, 11),
    );
    let w = indent(level + 1);
    let _ = writeln!(
        out,
        "{:>w$}: {}  CLCID: \"{}\" <{}>",
        "Exten",
        cut(&c.exten, LAST_TABSTOP - w - 25),
        c.connected_name.as_deref().unwrap_or_default(),
        c.connected_num.as_deref().unwrap_or_default(),
    );
    if level == 0 {
        out.push('\n');
    }
}

/// `pjsip show channels`: chan_pjsip's channels, by name.
fn show_channels(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let snaps: Vec<crate::core::events::ChannelSnapshot> = sys
        .pbx
        .channels
        .all()
        .iter()
        .filter(|c| c.tech == "PJSIP")
        .map(|c| c.snapshot())
        .collect();
    list(
        out,
        a,
        |o| channel_header(o, 0),
        snaps.iter(),
        |c| &c.name,
        |o, c| channel_body(o, 0, c),
    )
}

fn show_endpoints(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    list(
        out,
        a,
        |o| endpoint_header(o, true),
        conf.endpoints.iter(),
        |e| &e.name,
        |o, e| endpoint_body(o, sys, conf, e),
    )
}

fn show_aors(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    list(
        out,
        a,
        |o| aor_header(o, 0, true),
        conf.aors.iter(),
        |x| &x.name,
        |o, x| aor_body(o, sys, 0, x),
    )
}

fn show_auths(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    list(
        out,
        a,
        |o| auth_header(o, 0),
        conf.auths.iter(),
        |x| &x.name,
        |o, x| auth_body(o, 0, x, ""),
    )
}

fn show_transports(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    list(
        out,
        a,
        |o| transport_header(o, 0),
        conf.transports.iter(),
        |x| &x.name,
        |o, x| transport_body(o, 0, x),
    )
}

/// `ast_sip_cli_print_sorcery_objectset`: every option and its value,
/// names padded to the longest, under a rule as wide as both columns.
fn print_objectset(out: &mut String, params: &[(String, String)]) {
    let name_w = params
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0)
        .max(13);
    let value_w = params
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(14);
    let _ = writeln!(out, " {:<name_w$} : ParameterValue", "ParameterName");
    let _ = writeln!(out, " {}", "=".repeat(name_w + value_w + 3));
    for (n, v) in params {
        let _ = writeln!(out, " {n:<name_w$} : {v}");
    }
}

/// `pjsip show endpoint <id>`: the summary, then every option.
fn show_endpoint(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let loaded = sys.loaded();
    let conf = &*loaded.pjsip;
    let Some(id) = a.arg(3).filter(|s| !s.is_empty()) else {
        out.push_str("No object specified.\n");
        return CliResult::Failure;
    };
    let Some(e) = conf.endpoint(id) else {
        let _ = write!(out, "Unable to find object {id}.\n\n");
        return CliResult::Success;
    };
    out.push('\n');
    endpoint_header(out, true);
    out.push_str(RULE);
    endpoint_body(out, sys, conf, e);
    out.push('\n');
    print_objectset(out, &e.params());
    out.push('\n');
    CliResult::Success
}

fn complete_endpoint(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        3,
        sys.loaded().pjsip.endpoints.iter().map(|e| e.name.clone()),
    )
}

fn complete_registration(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 3 {
        return Vec::new();
    }
    let loaded = sys.loaded();
    let ids = loaded
        .pjsip
        .others
        .iter()
        .filter(|o| o.kind == "registration")
        .map(|o| o.name.clone());
    starting_with(c.word, ids)
}

/// `pjsip send unregister|register`: `*all` first, then the configured
/// registrations.
fn complete_send_registration(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 3 {
        return Vec::new();
    }
    let mut all = Vec::new();
    if c.word.is_empty() {
        all.push("*all".to_string());
    }
    all.extend(complete_registration(sys, c));
    all
}

/// `pjsip send unregister <registration>|*all` (`cli_unregister`).
fn send_unregister(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    send_registration(sys, a, out, false)
}

/// `pjsip send register <registration>|*all` (`cli_register`).
fn send_register(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    send_registration(sys, a, out, true)
}

fn send_registration(sys: &System, a: &CliArgs<'_>, out: &mut String, register: bool) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or_default();
    if name == "*all" {
        crate::channels::sip::outbound_registration(sys, None, register);
        out.push_str(if register {
            "Re-register all queued\n"
        } else {
            "Unregister all queued\n"
        });
        return CliResult::Success;
    }
    if !crate::channels::sip::outbound_registration(sys, Some(name), register) {
        let _ = writeln!(out, "Unable to retrieve registration {name}");
        return CliResult::Failure;
    }
    CliResult::Success
}

/// `pjsip qualify <endpoint>`: each of its AORs' contacts gets an
/// OPTIONS at once.
fn qualify(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(2).unwrap_or_default();
    let aors = match sys.loaded().pjsip.endpoint(name) {
        Some(ep) => ep.aors.clone(),
        None => {
            let _ = writeln!(out, "Unable to retrieve endpoint {name}");
            return CliResult::Failure;
        }
    };
    if aors.is_empty() {
        let _ = writeln!(out, "No AORs configured for endpoint '{name}'");
        return CliResult::Failure;
    }
    for aor in crate::channels::sip::notify::aor_names(&aors) {
        if sys.loaded().pjsip.aor(&aor).is_some() {
            let _ = writeln!(out, "Qualifying AOR '{aor}' on endpoint '{name}'");
        }
    }
    crate::channels::sip::qualify_now(sys, crate::channels::sip::endpoint::Flavor::Pjsip, name);
    CliResult::Success
}

/// `pjsip send notify <type> {endpoint|uri|channel} <name>...`: a NOTIFY
/// of a pjsip_notify.conf type to each endpoint's contacts, URI or
/// channel's dialog.
fn send_notify(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    use crate::channels::sip::endpoint::Flavor;
    use crate::channels::sip::notify::{self, DialogRef, Source};
    if a.argc() < 6 {
        return CliResult::ShowUsage;
    }
    let mode = a.arg(4).unwrap_or_default().to_ascii_lowercase();
    if !matches!(mode.as_str(), "endpoint" | "uri" | "channel") {
        return CliResult::ShowUsage;
    }
    let kind = a.arg(3).unwrap_or_default();
    let types = sys.loaded().pjsip_notify.clone();
    let Some(t) = types.0.find(kind) else {
        let _ = writeln!(out, "Unable to find notify type '{kind}'");
        return CliResult::Failure;
    };
    for target in &a.argv[5..] {
        let _ = writeln!(out, "Sending NOTIFY of type '{kind}' to '{target}'");
        let content = notify::pjsip_content(sys, &t.items, Source::Config);
        match mode.as_str() {
            "endpoint" => {
                if crate::manager::actions::pjsip_notify::send_to_endpoint(sys, target, content)
                    .is_err()
                {
                    let _ = writeln!(out, "Unable to retrieve endpoint {target}");
                }
            }
            "uri" => crate::manager::actions::pjsip_notify::send_to_uri(sys, target, content),
            _ => match sys.pbx.channels.by_name(target) {
                Some(chan) if chan.tech == "PJSIP" => {
                    // The task sends it if the channel's dialog is up.
                    if let Some(stack) = crate::channels::sip::stack_of(sys, Flavor::Pjsip) {
                        let (found, _) = tokio::sync::oneshot::channel();
                        let _ = stack.commands.send(
                            crate::channels::sip::stack::Command::NotifyInDialog(Box::new(
                                notify::InDialog {
                                    dialog: DialogRef::Channel(chan.name.clone()),
                                    content,
                                    found,
                                },
                            )),
                        );
                    }
                }
                _ => {
                    let _ = writeln!(out, "Unable to find channel {target}");
                }
            },
        }
    }
    CliResult::Success
}

/// The subscriptions a `pjsip ... subscriptions {inbound|outbound}`
/// command is about (Asterism holds no outbound ones), and its `like`
/// pattern (a POSIX extended regex, as regcomp reads it).
fn subscription_rows(
    sys: &System,
    a: &CliArgs<'_>,
    out: &mut String,
) -> Result<(Vec<SubscriptionRow>, Option<(String, Regex)>), CliResult> {
    let like = match a.argc() {
        4 => None,
        6 if a.arg(4).is_some_and(|w| w.eq_ignore_ascii_case("like")) => {
            let text = a.arg(5).unwrap_or_default().to_string();
            match Regex::new(&text) {
                Ok(re) => Some((text, re)),
                Err(e) => {
                    let _ = writeln!(out, "Regular expression '{text}' failed to compile: {e}");
                    return Err(CliResult::Failure);
                }
            }
        }
        _ => return Err(CliResult::ShowUsage),
    };
    let rows = if a.arg(3).is_some_and(|w| w.eq_ignore_ascii_case("inbound")) {
        crate::channels::sip::subscriptions(sys, Flavor::Pjsip)
    } else {
        Vec::new()
    };
    Ok((rows, like))
}

/// Whole seconds until a subscription lapses (`cli_subscription_expiry`).
fn seconds_left(row: &SubscriptionRow) -> u64 {
    row.expires_at
        .saturating_duration_since(std::time::Instant::now())
        .as_secs()
}

/// Writes the entries the `like` pattern matches (all without one) and
/// returns how many.
fn write_matching(
    out: &mut String,
    entries: impl Iterator<Item = String>,
    like: &Option<(String, Regex)>,
) -> usize {
    let mut count = 0;
    for entry in entries {
        if like
            .as_ref()
            .is_none_or(|(_, re)| re.search(&entry, false).is_some())
        {
            out.push_str(&entry);
            count += 1;
        }
    }
    count
}

/// "N active subscriptions", with the pattern when there was one.
fn subscriptions_count(out: &mut String, count: usize, like: &Option<(String, Regex)>) {
    match like {
        Some((text, _)) => {
            let _ = writeln!(out, "{count} active subscriptions matched \"{text}\"");
        }
        None => {
            let _ = writeln!(out, "{count} active subscriptions");
        }
    }
}

/// `pjsip list subscriptions {inbound|outbound} [like <regex>]`: a line
/// per subscription (`cli_list_subscriptions_inout`), the endpoint with
/// its caller id's name, else its number.
fn list_subscriptions(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (rows, like) = match subscription_rows(sys, a, out) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let _ = writeln!(
        out,
        "{:<30.30} {:<30.30} {:>6.6} {}",
        "Endpoint/CLI", "Resource/Event", "Expiry", "Call-id"
    );
    let lines = rows.iter().map(|row| {
        let (name, number) = crate::channels::sip::endpoint_self_id(sys, &row.endpoint);
        let who = format!(
            "{}/{}",
            row.endpoint,
            name.or(number).as_deref().unwrap_or("<none>")
        );
        let what = format!("{}/{}", row.exten, row.event);
        format!(
            "{:<30.30} {:<30.30} {:>6} {}\n",
            clip(&who, 49),
            clip(&what, 49),
            seconds_left(row),
            row.call_id
        )
    });
    let count = write_matching(out, lines, &like);
    out.push('\n');
    subscriptions_count(out, count, &like);
    CliResult::Success
}

/// `pjsip show subscriptions {inbound|outbound} [like <regex>]`: a block
/// per subscription (`cli_show_subscriptions_inout`).
fn show_subscriptions(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (rows, like) = match subscription_rows(sys, a, out) {
        Ok(x) => x,
        Err(r) => return r,
    };
    out.push_str(
        "Endpoint: <Endpoint/Caller-ID.............................................>\n\
Resource: <Resource/Event.................................................>\n  \
Expiry: <Expiry>  <Call-id..............................................>\n\
===========================================================================\n\n",
    );
    let blocks = rows.iter().map(|row| {
        let (name, number) = crate::channels::sip::endpoint_self_id(sys, &row.endpoint);
        format!(
            "Endpoint: {}/{}\nResource: {}/{}\n  Expiry: {:>8}  {}\n\n",
            row.endpoint,
            crate::config::views::callerid::merge(name.as_deref(), number.as_deref(), "<none>"),
            row.exten,
            row.event,
            seconds_left(row),
            row.call_id
        )
    });
    let count = write_matching(out, blocks, &like);
    subscriptions_count(out, count, &like);
    CliResult::Success
}

/// `pjsip show subscription {inbound|outbound} <call-id>`: every detail
/// of one subscription, the manager's lines in two columns
/// (`cli_show_subscription_common`); nothing when no dialog has that
/// Call-ID.
fn show_subscription(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let (Some(direction), Some(call_id)) = (a.arg(3), a.arg(4)) else {
        return CliResult::ShowUsage;
    };
    if !direction.eq_ignore_ascii_case("inbound") {
        return CliResult::Success;
    }
    let rows = crate::channels::sip::subscriptions(sys, Flavor::Pjsip);
    let Some(row) = rows.iter().find(|r| r.call_id == call_id) else {
        return CliResult::Success;
    };
    let _ = writeln!(out, "{:<20}: {}", "ParameterName", "ParameterValue");
    out.push_str("===========================================================================\n");
    let mut lines = vec![
        ("Resource", row.exten.clone()),
        ("Event", row.event.clone()),
        ("Expiry", seconds_left(row).to_string()),
    ];
    lines.extend(crate::channels::sip::subscription_lines(sys, row));
    for (name, value) in lines {
        let _ = writeln!(out, "{name:<20}: {value}");
    }
    out.push('\n');
    CliResult::Success
}

/// At most `max` bytes of `s` (a C buffer's truncation), on a character
/// boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `pjsip set maintenance <on|off> <endpoint|all>`: `on`/`off` at 3,
/// then `all` (when it fits) and the endpoints.
fn complete_set_maintenance(sys: &System, c: &Completion<'_>) -> Vec<String> {
    match c.pos {
        3 => starting_with(c.word, ["on".to_string(), "off".to_string()]),
        4 => {
            let mut v = Vec::new();
            if "all".starts_with(&c.word.to_ascii_lowercase()) {
                v.push("all".to_string());
            }
            v.extend(starting_with(
                c.word,
                sys.loaded().pjsip.endpoints.iter().map(|e| e.name.clone()),
            ));
            v
        }
        _ => Vec::new(),
    }
}

/// `pjsip set maintenance` (res_pjsip_maintenance's
/// `handle_cli_pjsip_set_maintenance`).
fn set_maintenance(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    use crate::channels::sip::maintenance::{Applied, apply};
    if a.argc() != 5 {
        return CliResult::ShowUsage;
    }
    let state = a.arg(3).unwrap_or_default();
    let enable = if state.eq_ignore_ascii_case("on") {
        true
    } else if state.eq_ignore_ascii_case("off") {
        false
    } else {
        return CliResult::ShowUsage;
    };
    let word = if enable { "ENABLED" } else { "DISABLED" };
    let name = a.arg(4).unwrap_or_default();
    match apply(sys, name, enable, true) {
        Ok(Applied::All { changed }) => {
            let _ = writeln!(
                out,
                "Maintenance mode {word} for {changed} endpoint{}",
                if changed == 1 { "" } else { "s" }
            );
        }
        Ok(Applied::One { changed: true }) => {
            let _ = writeln!(out, "Maintenance mode {word} for endpoint '{name}'");
        }
        Ok(Applied::One { changed: false }) if enable => {
            let _ = writeln!(out, "Endpoint '{name}' is already in maintenance mode");
        }
        Ok(Applied::One { changed: false }) => {
            let _ = writeln!(out, "Endpoint '{name}' was not in maintenance mode");
        }
        Err(_) => {
            let _ = writeln!(out, "Endpoint '{name}' not found");
        }
    }
    CliResult::Success
}

/// `pjsip show maintenance [endpoint]` (`handle_cli_pjsip_show_maintenance`):
/// one endpoint's state, known or not, or the table of those in
/// maintenance.
fn show_maintenance(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let set = &sys.pjsip_maintenance;
    if a.argc() == 4 {
        let name = a.arg(3).unwrap_or_default();
        let not = if set.contains(name) { "" } else { "NOT " };
        let _ = writeln!(out, "Endpoint '{name}' is {not}in maintenance mode");
        return CliResult::Success;
    }
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let listed = set.listed();
    out.push('\n');
    let _ = writeln!(out, "  {:<40}  State", "Endpoint");
    let _ = writeln!(out, "  {}  -----", "-".repeat(40));
    for name in &listed {
        let _ = writeln!(out, "  {name:<40}  ON");
    }
    let n = listed.len();
    let _ = writeln!(
        out,
        "\n  {n} endpoint{} in maintenance mode\n",
        if n == 1 { "" } else { "s" }
    );
    CliResult::Success
}
