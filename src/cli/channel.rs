//! Channel commands (Asterisk's `main/cli.c` and `res/res_clioriginate.c`):
//! `core show channels`, `core show channel`, `channel request hangup`,
//! `channel originate`.

use std::time::Duration;

use super::complete::{Completion, channels_at, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::channels::{Channel, NewChannel};
use crate::core::System;
use crate::pbx::originate::{Target, originate};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "core show channels [concise|verbose|count]",
            "Usage: core show channels [concise|verbose|count]\n       Lists the live channels. 'concise' prints one '!'-separated line per\n       channel for scripts, 'verbose' adds more columns, 'count' only prints\n       the totals.\n",
            show_channels,
        ),
        CliEntry::new(
            "core show hanguphandlers all",
            "Usage: core show hanguphandlers all\n       Lists the hangup handlers of every channel.\n",
            show_hanguphandlers_all,
        ),
        CliEntry::new(
            "core show hanguphandlers",
            "Usage: core show hanguphandlers <channel>\n       Lists the hangup handlers of one channel, the next to run first.\n",
            show_hanguphandlers,
        ),
        CliEntry::new(
            "local show channels",
            "Usage: local show channels\n       Lists the Local channel pairs in use, by their ;1 half and destination.\n",
            local_show_channels,
        ),
        CliEntry::new(
            "core show channel",
            "Usage: core show channel <channel>\n       Shows everything known about one channel.\n",
            show_channel,
        )
        .completing(complete_show_channel),
        CliEntry::new(
            "channel request hangup",
            "Usage: channel request hangup <all>|<channel> [<channel> ...]\n       Asks for one or more channels to be hung up; 'all' means every channel.\n       A name between slashes (/^PJSIP.*/) is a regular expression, and glob\n       characters (* ? [...]) match several channels (a '/' is never matched\n       by a wildcard: use Local/* for all Local channels).\n",
            request_hangup,
        )
        .completing(complete_hangup),
        CliEntry::new(
            "channel originate",
            "  A call is placed on a channel and connected either to an application or\nto an extension of the dialplan, as a call file or AMI Originate would. The\nchannel has 30 seconds to answer.\n\nUsage1: channel originate <tech/data> application <appname> [appdata]\n  Connects the answered channel to the application; quote appdata when it\ncontains spaces.\n\nUsage2: channel originate <tech/data> extension [exten@][context]\n  Connects the answered channel to the dialplan; the context defaults to\n'default' and the extension to 's'.\n",
            channel_originate,
        )
        .summary("Places a call and connects it to an application or extension")
        .completing(complete_originate),
        CliEntry::new(
            "group show channels",
            "Usage: group show channels [pattern]\n       Lists the channels that GROUP() has put in a group, with the group and\n       its category. A pattern (a POSIX extended regular expression) keeps\n       only the groups it matches.\n",
            group_show_channels,
        ),
    ]
}

/// `group show channels [pattern]`: the group list in the order set.
fn group_show_channels(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let pattern = match a.argc() {
        3 => None,
        4 => match a.arg(3).map(crate::pbx::expr::posix_re::Regex::new) {
            Some(Ok(re)) => Some(re),
            _ => return CliResult::ShowUsage,
        },
        _ => return CliResult::ShowUsage,
    };
    let row = |c: &str, g: &str, k: &str| format!("{c:<25}  {g:<20}  {k:<20}\n");
    out.push_str(&row("Channel", "Group", "Category"));
    let mut shown = 0;
    for e in sys.pbx.channels.groups.entries() {
        if pattern
            .as_ref()
            .is_some_and(|re| re.search(&e.group, false).is_none())
        {
            continue;
        }
        let Some(chan) = e.chan.upgrade() else {
            continue;
        };
        let category = if e.category.is_empty() {
            "(default)"
        } else {
            &e.category
        };
        out.push_str(&row(&chan.name, &e.group, category));
        shown += 1;
    }
    out.push_str(&format!("{shown} active channel{}\n", ess(shown)));
    CliResult::Success
}

/// `printf("%-W.Ws")`: truncate to W bytes, then pad to W.
fn col(s: &str, w: usize) -> String {
    let mut t: String = String::new();
    for c in s.chars() {
        if t.len() + c.len_utf8() > w {
            break;
        }
        t.push(c);
    }
    format!("{t:<w$}")
}

fn ess(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One channel's hangup handlers, its name on the first line only.
fn hanguphandler_rows(c: &Channel, out: &mut String) {
    for (i, h) in c.lock().hangup_handlers.iter().enumerate() {
        let name = if i == 0 { c.name.as_str() } else { "" };
        out.push_str(&format!("{name:<30} {h}\n"));
    }
}

fn show_hanguphandlers(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let Some(c) = sys.pbx.channels.by_name(a.arg(3).unwrap_or("")) else {
        out.push_str("Channel does not exist.\n");
        return CliResult::Failure;
    };
    out.push_str(&format!("{:<30} {}\n", "Channel", "Handler"));
    hanguphandler_rows(&c, out);
    CliResult::Success
}

fn show_hanguphandlers_all(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    out.push_str(&format!("{:<30} {}\n", "Channel", "Handler"));
    for c in sys.pbx.channels.in_container_order() {
        hanguphandler_rows(&c, out);
    }
    CliResult::Success
}

fn local_show_channels(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let pairs = sys.pbx.channels.registry().locals();
    if pairs.is_empty() {
        out.push_str("No local channels in use\n");
    }
    for p in &pairs {
        out.push_str(&p.show_line());
        out.push('\n');
    }
    CliResult::Success
}

fn show_channels(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (mut concise, mut verbose, mut count) = (false, false, false);
    match a.argc() {
        4 => match a.arg(3).map(str::to_ascii_lowercase).as_deref() {
            Some("concise") => concise = true,
            Some("verbose") => verbose = true,
            Some("count") => count = true,
            _ => return CliResult::ShowUsage,
        },
        3 => {}
        _ => return CliResult::ShowUsage,
    }
    let line4 = |a: &str, b: &str, c: &str, d: &str| {
        format!(
            "{} {} {} {}\n",
            col(a, 64),
            col(b, 32),
            col(c, 7),
            col(d, 30)
        )
    };
    let verbose_line = |f: [&str; 12]| {
        format!(
            "{} {} {} {} {} {} {} {} {:>8} {} {} {}\n",
            col(f[0], 80),
            col(f[1], 24),
            col(f[2], 24),
            f[3],
            col(f[4], 7),
            col(f[5], 12),
            col(f[6], 25),
            col(f[7], 15),
            &f[8][..f[8].len().min(8)],
            col(f[9], 11),
            col(f[10], 11),
            col(f[11], 20)
        )
    };
    if !count {
        if verbose {
            out.push_str(&verbose_line([
                "Channel",
                "Context",
                "Extension",
                &col("Priority", 4),
                "State",
                "Application",
                "Data",
                "CallerID",
                "Duration",
                "Accountcode",
                "PeerAccount",
                "BridgeID",
            ]));
        } else if !concise {
            out.push_str(&line4("Channel", "Location", "State", "Application(Data)"));
        }
    }
    let chans = sys.pbx.channels.in_cache_order();
    if !count {
        for c in &chans {
            let bridge_id = sys.bridge_id_of(c);
            let d = c.lock();
            let secs = c.created_at.elapsed().as_secs();
            let appl = d.appl.clone();
            let data = d.data.clone().unwrap_or_default();
            let cid = d.caller.id.number().map(str::to_string).unwrap_or_default();
            if concise {
                out.push_str(&format!(
                    "{}!{}!{}!{}!{}!{}!{}!{}!{}!{}!{}!{}!{}!{}\n",
                    c.name,
                    d.context,
                    d.exten,
                    d.priority,
                    d.state.as_str(),
                    appl.as_deref().unwrap_or("(None)"),
                    data,
                    cid,
                    d.accountcode,
                    d.peeraccount,
                    d.amaflags,
                    secs,
                    bridge_id,
                    c.uniqueid
                ));
            } else if verbose {
                let dur = format!(
                    "{:02}:{:02}:{:02}",
                    secs / 3600,
                    (secs % 3600) / 60,
                    secs % 60
                );
                let data_v = if data.is_empty() {
                    "(Empty)".to_string()
                } else {
                    data.clone()
                };
                out.push_str(&verbose_line([
                    &c.name,
                    &d.context,
                    &d.exten,
                    &format!("{:>4}", d.priority),
                    d.state.as_str(),
                    appl.as_deref().unwrap_or("(None)"),
                    &data_v,
                    &cid,
                    &dur,
                    &d.accountcode,
                    &d.peeraccount,
                    &bridge_id,
                ]));
            } else {
                let mut loc = if !d.context.is_empty() && !d.exten.is_empty() {
                    format!("{}@{}:{}", d.exten, d.context, d.priority)
                } else {
                    "(None)".to_string()
                };
                // Asterisk formats these into 40-byte buffers.
                truncate_bytes(&mut loc, 39);
                let mut appdata = match &appl {
                    Some(app) if !app.is_empty() => format!("{app}({data})"),
                    _ => "(None)".to_string(),
                };
                truncate_bytes(&mut appdata, 39);
                out.push_str(&line4(&c.name, &loc, d.state.as_str(), &appdata));
            }
        }
    }
    if !concise {
        let n = chans.len();
        out.push_str(&format!("{n} active channel{}\n", ess(n)));
        call_counts(sys, out);
    }
    CliResult::Success
}

/// The active and processed call counts, against `maxcalls` when set.
pub fn call_counts(sys: &System, out: &mut String) {
    let calls = sys.pbx.channels.active_calls();
    let processed = sys.pbx.channels.processed_calls();
    match sys.conf.options.max_calls.filter(|&m| m > 0) {
        Some(max) => out.push_str(&format!(
            "{calls} of {max} max active call{} ({:5.2}% of capacity)\n",
            ess(calls),
            calls as f64 / f64::from(max) * 100.0
        )),
        None => out.push_str(&format!("{calls} active call{}\n", ess(calls))),
    }
    out.push_str(&format!("{processed} call{} processed\n", ess(processed)));
}

fn truncate_bytes(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn show_channel(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let Some(c) = sys.pbx.channels.by_name(name) else {
        out.push_str(&format!("{name} is not a known channel\n"));
        return CliResult::Success;
    };
    // The channel's native format; what it reads and writes is that
    // format (no translation path is tracked).
    let codec = c.native_codec().name();
    let bridge = sys.bridge_id_of(&c);
    let d = c.lock();
    let na = |v: Option<&str>| v.filter(|s| !s.is_empty()).unwrap_or("(N/A)").to_string();
    let secs = c.created_at.elapsed().as_secs();
    let callid = if c.callid() != 0 {
        format!("[C-{:08x}]", c.callid())
    } else {
        "(None)".into()
    };
    out.push_str(" -- General --\n");
    out.push_str(&format!("           Name: {}\n", c.name));
    out.push_str(&format!("           Type: {}\n", c.tech));
    out.push_str(&format!("       UniqueID: {}\n", c.uniqueid));
    out.push_str(&format!("       LinkedID: {}\n", d.linkedid));
    out.push_str(&format!("      Caller ID: {}\n", na(d.caller.id.number())));
    out.push_str(&format!(" Caller ID Name: {}\n", na(d.caller.id.name())));
    out.push_str(&format!(
        "Connected Line ID: {}\n",
        na(d.connected.id.number())
    ));
    out.push_str(&format!(
        "Connected Line ID Name: {}\n",
        na(d.connected.id.name())
    ));
    out.push_str(&format!(
        "Eff. Connected Line ID: {}\n",
        na(d.connected.id.number())
    ));
    out.push_str(&format!(
        "Eff. Connected Line ID Name: {}\n",
        na(d.connected.id.name())
    ));
    out.push_str(&format!(
        "    DNID Digits: {}\n",
        na(d.dialed.number.as_deref())
    ));
    out.push_str(&format!("       Language: {}\n", d.language));
    out.push_str(&format!(
        "          State: {} ({})\n",
        d.state.as_str(),
        d.state.number()
    ));
    out.push_str(&format!(
        "  NativeFormats: ({codec})\n    WriteFormat: {codec}\n     ReadFormat: {codec}\n WriteTranscode: No \n  ReadTranscode: No \n"
    ));
    let tth = d
        .when_to_hangup
        .map(|t| {
            t.saturating_duration_since(std::time::Instant::now())
                .as_secs()
        })
        .unwrap_or(0);
    out.push_str(&format!(" Time to Hangup: {tth}\n"));
    out.push_str(&format!(
        "   Elapsed Time: {}h{}m{}s\n",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    ));
    out.push_str(&format!(
        "      Bridge ID: {}\n",
        if bridge.is_empty() {
            "(Not bridged)"
        } else {
            &bridge
        }
    ));
    out.push_str(" --   PBX   --\n");
    out.push_str(&format!("        Context: {}\n", d.context));
    out.push_str(&format!("      Extension: {}\n", d.exten));
    out.push_str(&format!("       Priority: {}\n", d.priority));
    out.push_str("     Call Group: 0\n   Pickup Group: 0\n");
    out.push_str(&format!(
        "    Application: {}\n",
        d.appl.as_deref().unwrap_or("(N/A)")
    ));
    out.push_str(&format!(
        "           Data: {}\n",
        d.data
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("(Empty)")
    ));
    out.push_str(&format!(" Call Identifier: {callid}\n"));
    out.push_str("      Variables:\n");
    for (n, v) in d.vars.iter() {
        // Asterisk prints the name without its inheritance underscores.
        let n = crate::pbx::vars::strip_inheritance(n);
        out.push_str(&format!("{n}={v}\n"));
    }
    drop(d);
    // The CDR engine's view of the channel: every record of its chain.
    let loaded = sys.loaded();
    let now = std::time::SystemTime::now();
    let cdr = sys
        .cdr
        .with(|st| st.serialize(&c.name, now, &loaded.cdr.general));
    if let Some(vars) = cdr {
        out.push_str(&format!("  CDR Variables:\n{vars}\n"));
    }
    // The stream topology: one audio stream in the channel's format.
    out.push_str(" -- Streams --\n");
    out.push_str(&format!(
        "Name: audio-0\n    Type: audio\n    State: sendrecv\n    Group: -1\n    Formats: ({codec})\n    Metadata:\n"
    ));
    CliResult::Success
}

/// Glob match as `fnmatch(FNM_PATHNAME | FNM_CASEFOLD)`: `*`, `?` and `[..]`
/// never match `/`.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    match (pat.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_match(&pat[1..], s) || (!s.is_empty() && s[0] != b'/' && glob_match(pat, &s[1..]))
        }
        (Some(b'?'), Some(&c)) => c != b'/' && glob_match(&pat[1..], &s[1..]),
        (Some(b'['), Some(&c)) => {
            let Some(end) = pat.iter().skip(1).position(|&b| b == b']').map(|p| p + 1) else {
                return c.eq_ignore_ascii_case(&b'[') && glob_match(&pat[1..], &s[1..]);
            };
            let set = &pat[1..end];
            let (neg, set) = match set.first() {
                Some(b'!') | Some(b'^') => (true, &set[1..]),
                _ => (false, set),
            };
            let lc = c.to_ascii_lowercase();
            let mut found = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    let (lo, hi) = (set[i].to_ascii_lowercase(), set[i + 2].to_ascii_lowercase());
                    if lc >= lo && lc <= hi {
                        found = true;
                    }
                    i += 3;
                } else {
                    if set[i].to_ascii_lowercase() == lc {
                        found = true;
                    }
                    i += 1;
                }
            }
            c != b'/' && found != neg && glob_match(&pat[end + 1..], &s[1..])
        }
        (Some(&p), Some(&c)) => p.eq_ignore_ascii_case(&c) && glob_match(&pat[1..], &s[1..]),
        _ => false,
    }
}

fn request_hangup(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let hang = |c: &Channel, out: &mut String| {
        out.push_str(&format!("Requested Hangup on channel '{}'\n", c.name));
        c.softhangup(crate::channels::softhangup::EXPLICIT);
    };
    if a.argc() == 4 && a.arg(3).is_some_and(|w| w.eq_ignore_ascii_case("all")) {
        for c in sys.pbx.channels.in_container_order() {
            hang(&c, out);
        }
        return CliResult::Success;
    }
    for word in &a.argv[3..] {
        if word.len() > 2 && word.starts_with('/') && word.ends_with('/') {
            let Ok(re) = regex::Regex::new(&word[1..word.len() - 1]) else {
                out.push_str(&format!("Invalid regex '{word}'\n"));
                return CliResult::Failure;
            };
            for c in sys
                .pbx
                .channels
                .in_container_order()
                .iter()
                .filter(|c| re.is_match(&c.name))
            {
                hang(c, out);
            }
        } else if word.contains(['*', '?', '[']) {
            for c in sys
                .pbx
                .channels
                .in_container_order()
                .iter()
                .filter(|c| glob_match(word.as_bytes(), c.name.as_bytes()))
            {
                hang(c, out);
            }
        } else {
            match sys.pbx.channels.by_name(word) {
                Some(c) => hang(&c, out),
                None => out.push_str(&format!("{word} is not a known channel\n")),
            }
        }
    }
    CliResult::Success
}

fn channel_originate(sys: &System, a: &CliArgs<'_>, _out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let chan = a.arg(2).unwrap_or("").to_string();
    let kind = a.arg(3).unwrap_or("").to_ascii_lowercase();
    let target = match kind.as_str() {
        "application" => {
            let Some(app) = a.arg(4) else {
                return CliResult::ShowUsage;
            };
            Target::Application {
                app: app.to_string(),
                data: a.arg(5).unwrap_or("").to_string(),
            }
        }
        "extension" => {
            let spec = a.arg(4).unwrap_or("");
            let (exten, context) = match spec.split_once('@') {
                Some((e, c)) => (e, c),
                None => (spec, ""),
            };
            Target::Extension {
                context: if context.is_empty() {
                    "default".into()
                } else {
                    context.into()
                },
                exten: if exten.is_empty() {
                    "s".into()
                } else {
                    exten.into()
                },
                priority: 1,
            }
        }
        _ => return CliResult::ShowUsage,
    };
    let sys = sys.arc();
    // Asterisk's CLI originate does not wait: the call proceeds on its own.
    tokio::spawn(async move {
        let res = originate(
            sys.clone(),
            &chan,
            target,
            Duration::from_secs(30),
            NewChannel::default(),
            &Default::default(),
        )
        .await;
        if let Err(e) = res {
            e.release(&sys);
        }
    });
    CliResult::Success
}

fn complete_show_channel(sys: &System, c: &Completion<'_>) -> Vec<String> {
    channels_at(sys, c, 3)
}

/// `all` or a channel first, then more channels.
fn complete_hangup(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos < 3 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if c.pos == 3 {
        out = starting_with(c.word, ["all"]);
    }
    out.extend(channels_at(sys, c, c.pos));
    out
}

/// `application` or `extension` after the channel, then the application.
fn complete_originate(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    match c.pos {
        3 => starting_with(c.word, ["application", "extension"]),
        4 if c.arg(3).eq_ignore_ascii_case("application") => {
            starting_with(c.word, crate::apps::registry().iter().map(|a| a.name))
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_fnmatch_pathname() {
        assert!(glob_match(b"Local/*", b"local/s@x-00000000;1"));
        assert!(!glob_match(b"Loc*", b"Local/s@x-00000000;1"));
        assert!(glob_match(b"SIP/10[0-9][0-9]-*", b"SIP/1001-0000000a"));
    }

    #[test]
    fn columns_truncate_and_pad() {
        assert_eq!(col("abcdef", 3), "abc");
        assert_eq!(col("ab", 4), "ab  ");
    }
}
