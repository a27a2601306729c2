//! The SIP headers a call keeps for the dialplan's header functions and
//! applications: chan_sip's copy of the request that began the dialog
//! (`initreq`, which SIP_HEADER and SIP_HEADERS read), and
//! res_pjsip_header_funcs' session list (the received INVITE's headers,
//! then what PJSIP_HEADER adds; on a call we place, what goes into its
//! INVITE). Both are kept as each driver keeps them, from the message's
//! own text, because the functions see header names as written (a
//! compact `s:` is not `Subject` to chan_sip's SIP_HEADER(s)).

use std::sync::Mutex;

use crate::core::lock;
use crate::pbx::vars::{VarList, strip_inheritance};
use crate::sip::message::{Message, Method};

/// Whether the functions may need this message's text: a request that
/// begins or changes what chan_sip reads (INVITE, BYE), or a 200 (the
/// answer PJSIP_RESPONSE_HEADER reads).
pub fn text_wanted(m: &Message) -> bool {
    match m {
        Message::Request(r) => matches!(r.method, Method::Invite | Method::Bye),
        Message::Response(r) => r.status == 200,
    }
}

/// One call's headers (held by its channel's driver).
#[derive(Debug, Default)]
pub struct CallHeaders {
    /// chan_sip: the lines of the dialog's first request, start line
    /// included, as `parse_request` leaves them after `lws2sws`. None on
    /// a call we place until its INVITE is sent.
    initial: Mutex<Option<Vec<String>>>,
    /// chan_pjsip: the session's header list (`session_header_datastore`);
    /// None until it exists.
    session: Mutex<Option<Vec<(String, String)>>>,
    /// chan_pjsip: the headers of the 200 that answered our INVITE
    /// (`response_header_datastore`).
    response: Mutex<Option<Vec<(String, String)>>>,
}

impl CallHeaders {
    /// A call chan_sip received: `head` is the INVITE up to its blank line.
    pub fn chan_sip_inbound(head: &str) -> Self {
        Self {
            initial: Mutex::new(Some(chan_sip_lines(head))),
            ..Self::default()
        }
    }

    /// A call chan_pjsip received: its INVITE's headers start the list.
    pub fn pjsip_inbound(head: &str) -> Self {
        Self {
            session: Mutex::new(Some(pjsip_list(head))),
            ..Self::default()
        }
    }

    /// chan_sip keeps the INVITE it sent as the dialog's `initreq`.
    pub fn set_initial(&self, head: &str) {
        *lock(&self.initial) = Some(chan_sip_lines(head));
    }

    /// Runs `f` on chan_sip's lines (None: no request yet).
    pub fn with_initial<R>(&self, f: impl FnOnce(Option<&[String]>) -> R) -> R {
        f(lock(&self.initial).as_deref())
    }

    /// Runs `f` on the pjsip session list (None: not created yet).
    pub fn with_session<R>(&self, f: impl FnOnce(&mut Option<Vec<(String, String)>>) -> R) -> R {
        f(&mut lock(&self.session))
    }

    /// The 200 that answered the INVITE we sent (`head`: its status line
    /// and headers), kept once.
    pub fn set_response(&self, head: &str) {
        let mut r = lock(&self.response);
        if r.is_none() {
            *r = Some(pjsip_list(head));
        }
    }

    /// Runs `f` on the answer's headers (None: no 200 yet).
    pub fn with_response<R>(&self, f: impl FnOnce(Option<&[(String, String)]>) -> R) -> R {
        f(lock(&self.response).as_deref())
    }

    /// What `outgoing_request` puts into the INVITE of a call we place:
    /// every header of the list, which is then dropped (a later INVITE
    /// of the session carries none).
    pub fn take_session(&self) -> Vec<(String, String)> {
        lock(&self.session).take().unwrap_or_default()
    }
}

/// The header block of a request as chan_sip stores it: `lws2sws` (CRs
/// dropped, continuation lines joined, each run of blanks in the headers
/// reduced to its first character), then one entry per line.
pub fn chan_sip_lines(head: &str) -> Vec<String> {
    let b = head.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut lws = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        match c {
            b'\r' => {}
            b'\n' => {
                if matches!(b.get(i), Some(b' ' | b'\t')) {
                    continue;
                }
                out.push(b'\n');
                lws = false;
            }
            b' ' | b'\t' => {
                if !lws {
                    out.push(c);
                    lws = true;
                }
            }
            _ => {
                out.push(c);
                lws = false;
            }
        }
    }
    let text = String::from_utf8_lossy(&out);
    text.split('\n')
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// chan_sip's compact forms (`aliases[]` in chan_sip.c), full name first.
const CHAN_SIP_ALIASES: &[(&str, &str)] = &[
    ("Content-Type", "c"),
    ("Content-Encoding", "e"),
    ("From", "f"),
    ("Call-ID", "i"),
    ("Contact", "m"),
    ("Content-Length", "l"),
    ("Subject", "s"),
    ("To", "t"),
    ("Supported", "k"),
    ("Refer-To", "r"),
    ("Referred-By", "b"),
    ("Allow-Events", "u"),
    ("Event", "o"),
    ("Via", "v"),
    ("Accept-Contact", "a"),
    ("Reject-Contact", "j"),
    ("Request-Disposition", "d"),
    ("Session-Expires", "x"),
    ("Identity", "y"),
    ("Identity-Info", "n"),
];

fn starts_with_nocase(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// chan_sip's `__get_header`: the value of the next line from `*start`
/// whose name is `name` (or its compact form), any case, blanks allowed
/// before the colon; `*start` moves past it. "" when there is none.
pub fn get_header<'a>(lines: &'a [String], name: &str, start: &mut usize) -> &'a str {
    let short = CHAN_SIP_ALIASES
        .iter()
        .find(|(full, _)| full.eq_ignore_ascii_case(name))
        .map(|(_, s)| *s);
    for (x, line) in lines.iter().enumerate().skip(*start) {
        // A line starting with the name (compared over the name's length
        // only, as strncasecmp), else with the compact form.
        let skip = if starts_with_nocase(line, name) {
            name.len()
        } else if short.is_some_and(|s| starts_with_nocase(line, s)) {
            1
        } else {
            continue;
        };
        let rest = line[skip..].trim_start_matches([' ', '\t']);
        if let Some(value) = rest.strip_prefix(':') {
            *start = x + 1;
            return value.trim_start_matches(is_blank);
        }
    }
    ""
}

/// `ast_skip_blanks`: spaces, tabs and other control blanks up to a space.
fn is_blank(c: char) -> bool {
    c != '\0' && (c as u32) <= 0x20
}

/// SIP_HEADER(name,number): the `number`-th value (from 1), "" when there
/// are fewer.
pub fn nth_header<'a>(lines: &'a [String], name: &str, number: usize) -> &'a str {
    let mut start = 0;
    let mut content = "";
    for _ in 0..number.max(1) {
        content = get_header(lines, name, &mut start);
    }
    content
}

/// SIP_HEADERS(prefix): the names of the lines that start with `prefix`
/// (as written, case counts), each once, compact forms given in full,
/// joined by commas.
pub fn chan_sip_header_names(lines: &[String], prefix: &str) -> String {
    let prefix = if prefix == "*" { "" } else { prefix };
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        if !line.starts_with(prefix) {
            continue;
        }
        let len = line.find([' ', '\t', ':', ',']).unwrap_or(line.len());
        let term = line[len..].trim_start_matches(is_blank);
        if len == 0 || !term.starts_with(':') {
            // The start line, or a malformed header.
            continue;
        }
        let raw = &line[..len];
        let name = if len == 1 {
            CHAN_SIP_ALIASES
                .iter()
                .find(|(_, s)| s.eq_ignore_ascii_case(raw))
                .map_or(raw, |(full, _)| *full)
        } else {
            raw
        };
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out.join(",")
}

/// The names pjsip parses itself (its own spelling, and compact forms):
/// any other header keeps the name as received.
const PJSIP_KNOWN: &[(&str, Option<&str>)] = &[
    ("Accept", None),
    ("Allow", None),
    ("Call-ID", Some("i")),
    ("Contact", Some("m")),
    ("Content-Length", Some("l")),
    ("Content-Type", Some("c")),
    ("CSeq", None),
    ("Expires", None),
    ("From", Some("f")),
    ("Max-Forwards", None),
    ("Min-Expires", None),
    ("Record-Route", None),
    ("Route", None),
    ("Require", None),
    ("Retry-After", None),
    ("Supported", Some("k")),
    ("To", Some("t")),
    ("Unsupported", None),
    ("Via", Some("v")),
    ("Authorization", None),
    ("Proxy-Authorization", None),
    ("WWW-Authenticate", None),
    ("Proxy-Authenticate", None),
    ("Event", Some("o")),
    ("Allow-Events", Some("u")),
    ("Session-Expires", Some("x")),
    ("Min-SE", None),
];

/// Headers pjsip parses into one header per comma-separated value.
const PJSIP_LISTS: &[&str] = &["Via", "Contact", "Route", "Record-Route"];

fn pjsip_name(raw: &str) -> String {
    PJSIP_KNOWN
        .iter()
        .find(|(full, short)| {
            full.eq_ignore_ascii_case(raw) || short.is_some_and(|s| s.eq_ignore_ascii_case(raw))
        })
        .map_or_else(|| raw.to_string(), |(full, _)| full.to_string())
}

/// The header list pjsip makes of a received request (`head`: start line
/// and headers): continuation lines joined, names as pjsip gives them,
/// values trimmed, list headers split.
pub fn pjsip_list(head: &str) -> Vec<(String, String)> {
    let mut lines: Vec<String> = Vec::new();
    for line in head.split('\n').skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        match lines.last_mut() {
            Some(prev) if line.starts_with([' ', '\t']) => {
                prev.push(' ');
                prev.push_str(line.trim_start());
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut out = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = pjsip_name(name.trim());
        let value = value.trim();
        if PJSIP_LISTS.contains(&name.as_str()) {
            for part in split_values(value) {
                out.push((name.clone(), part));
            }
        } else {
            out.push((name, value.to_string()));
        }
    }
    out
}

/// A header's comma-separated values, commas inside quotes or `<>` kept.
fn split_values(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut quoted, mut angle) = (false, false);
    let mut cur = String::new();
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out.retain(|v| !v.is_empty());
    out
}

/// Whether a pjsip header name matches PJSIP_HEADER's `name`: a trailing
/// `*` makes the rest a prefix; any case.
fn pjsip_matches(header: &str, name: &str) -> bool {
    match name.strip_suffix('*') {
        Some(prefix) => starts_with_nocase(header, prefix),
        None => header.eq_ignore_ascii_case(name),
    }
}

/// PJSIP_HEADER(read,name,number): the `number`-th (from 1) matching
/// header's value, trimmed.
pub fn pjsip_read(list: &[(String, String)], name: &str, number: usize) -> Option<String> {
    list.iter()
        .filter(|(n, _)| pjsip_matches(n, name))
        .nth(number.max(1) - 1)
        .map(|(_, v)| v.trim().to_string())
}

/// PJSIP_HEADERS(prefix): the names of the headers starting with
/// `prefix` (any case; none: all), joined by commas. A name already
/// listed is left out only when the first place it occurs in the list so
/// far is a whole one-letter entry (the duplicate check
/// res_pjsip_header_funcs makes looks one character past the start of the
/// match), so longer names repeat. None when a prefix matches nothing.
pub fn pjsip_header_names(list: &[(String, String)], prefix: &str) -> Option<String> {
    let mut buf = String::new();
    for (name, _) in list {
        if !prefix.is_empty() && !starts_with_nocase(name, prefix) {
            continue;
        }
        let name = name.trim();
        if let Some(pos) = buf.find(name) {
            let after = buf.as_bytes().get(pos + 1);
            let before = pos.checked_sub(1).map(|p| buf.as_bytes()[p]);
            if after == Some(&b',') && (pos == 0 || before == Some(b',')) {
                continue;
            }
        }
        buf.push_str(name);
        buf.push(',');
    }
    if buf.is_empty() {
        return if prefix.is_empty() {
            Some(String::new())
        } else {
            None
        };
    }
    buf.pop();
    Some(buf)
}

/// Why PJSIP_HEADER(update) changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("No headers had been previously added to this session.")]
    NoList,
    #[error("There was no header named {0}.")]
    NoHeader(String),
}

/// PJSIP_HEADER(update,name,number): the `number`-th header of exactly
/// that name (any case, no wildcard) takes `value`.
pub fn pjsip_update(
    list: Option<&mut Vec<(String, String)>>,
    name: &str,
    number: usize,
    value: &str,
) -> Result<(), UpdateError> {
    let list = list.ok_or(UpdateError::NoList)?;
    let hdr = list
        .iter_mut()
        .filter(|(n, _)| !name.is_empty() && n.eq_ignore_ascii_case(name))
        .nth(number.max(1) - 1)
        .ok_or_else(|| UpdateError::NoHeader(name.to_string()))?;
    hdr.1 = value.to_string();
    Ok(())
}

/// PJSIP_HEADER(remove,name): drops every matching header (a trailing
/// `*`: by prefix) and says how many went.
pub fn pjsip_remove(list: &mut Vec<(String, String)>, name: &str) -> usize {
    let before = list.len();
    list.retain(|(n, _)| !pjsip_matches(n, name));
    before - list.len()
}

/// The headers SIPAddHeader left for chan_sip's INVITE: each variable
/// whose name (inheritance marks aside) starts with `SIPADDHEADER`, in
/// the channel's variable order (newest first), split at its first
/// colon (a value without one adds nothing), surrounding quotes dropped.
pub fn chan_sip_added(vars: &VarList) -> Vec<(String, String)> {
    vars.iter()
        .filter(|(n, _)| strip_inheritance(n).starts_with("SIPADDHEADER"))
        .filter_map(|(_, v)| added_header(v))
        .collect()
}

/// One SIPADDHEADER value as `transmit_invite` splits it: a leading `"`
/// dropped, the name up to the first colon (kept as written), the content
/// after it without leading blanks and a trailing `"`.
pub fn added_header(value: &str) -> Option<(String, String)> {
    let v = value.strip_prefix('"').unwrap_or(value);
    let (name, content) = v.split_once(':')?;
    let content = content.trim_start_matches(is_blank);
    let content = content.strip_suffix('"').unwrap_or(content);
    Some((name.to_string(), content.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:1050@127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:35162;branch=z9hG4bK-1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2\r\n\
        f: \"1000\" <sip:1000@127.0.0.1>;tag=abc\r\n\
        X-Acct: 42\r\n\
        X-Rep: one\r\n\
        s: compact  subject\r\n\
        x-rep : two, three\r\n\
        X-Spaced: a    b\r\n\
        X-Folded: first\r\n   second\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn chan_sip_lines_collapse_blanks_and_join_folds() {
        let l = chan_sip_lines(INVITE);
        assert_eq!(l[0], "INVITE sip:1050@127.0.0.1 SIP/2.0");
        assert!(l.contains(&"X-Spaced: a b".to_string()));
        assert!(l.contains(&"X-Folded: first second".to_string()));
        assert_eq!(l.last().map(String::as_str), Some("Content-Length: 0"));
    }

    #[test]
    fn sip_header_reads_as_chan_sip() {
        let l = chan_sip_lines(INVITE);
        let cases: &[(&str, usize, &str)] = &[
            ("X-Acct", 1, "42"),
            ("x-acct", 1, "42"),
            ("X-Rep", 1, "one"),
            // blanks before the colon are allowed
            ("X-Rep", 2, "two, three"),
            ("X-Rep", 3, ""),
            ("X-Rep", 0, "one"),
            // the full name finds the compact form
            ("Subject", 1, "compact subject"),
            ("From", 1, "\"1000\" <sip:1000@127.0.0.1>;tag=abc"),
            // a compact name finds only lines written so
            ("s", 1, "compact subject"),
            ("f", 1, "\"1000\" <sip:1000@127.0.0.1>;tag=abc"),
            // a name is no prefix of a longer one
            ("X-Ac", 1, ""),
            // one line whatever commas it holds
            (
                "Via",
                1,
                "SIP/2.0/UDP 127.0.0.1:35162;branch=z9hG4bK-1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2",
            ),
            ("Via", 2, ""),
            // the start line is line 0 and can match
            ("INVITE sip", 1, "1050@127.0.0.1 SIP/2.0"),
        ];
        for (name, n, want) in cases {
            assert_eq!(nth_header(&l, name, *n), *want, "{name},{n}");
        }
    }

    #[test]
    fn sip_headers_lists_names_once_compact_in_full() {
        let l = chan_sip_lines(INVITE);
        assert_eq!(
            chan_sip_header_names(&l, ""),
            "Via,From,X-Acct,X-Rep,Subject,x-rep,X-Spaced,X-Folded,Content-Length"
        );
        assert_eq!(
            chan_sip_header_names(&l, "X-"),
            "X-Acct,X-Rep,X-Spaced,X-Folded"
        );
        assert_eq!(
            chan_sip_header_names(&l, "*"),
            chan_sip_header_names(&l, "")
        );
        assert_eq!(chan_sip_header_names(&l, "Y-"), "");
    }

    #[test]
    fn pjsip_list_names_and_values() {
        let list = pjsip_list(INVITE);
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "Via",
                "From",
                "X-Acct",
                "X-Rep",
                "s",
                "x-rep",
                "X-Spaced",
                "X-Folded",
                "Content-Length"
            ]
        );
        assert_eq!(list[7].1, "a    b");
        assert_eq!(list[8].1, "first second");
    }

    #[test]
    fn pjsip_read_nth_and_wildcard() {
        let list = pjsip_list(INVITE);
        assert_eq!(pjsip_read(&list, "X-Rep", 1).as_deref(), Some("one"));
        assert_eq!(pjsip_read(&list, "x-REP", 2).as_deref(), Some("two, three"));
        assert_eq!(pjsip_read(&list, "X-Rep", 3), None);
        assert_eq!(pjsip_read(&list, "X-R*", 2).as_deref(), Some("two, three"));
        assert_eq!(
            pjsip_read(&list, "*", 3).as_deref(),
            Some("\"1000\" <sip:1000@127.0.0.1>;tag=abc")
        );
        // pjsip does not know `s` as Subject
        assert_eq!(pjsip_read(&list, "Subject", 1), None);
        assert_eq!(
            pjsip_read(&list, "Via", 2).as_deref(),
            Some("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2")
        );
    }

    #[test]
    fn pjsip_headers_repeats_long_names_not_one_letter_ones() {
        let list = pjsip_list(INVITE);
        assert_eq!(
            pjsip_header_names(&list, "X-").as_deref(),
            Some("X-Acct,X-Rep,x-rep,X-Spaced,X-Folded")
        );
        assert_eq!(
            pjsip_header_names(&list, "").as_deref(),
            Some("Via,Via,From,X-Acct,X-Rep,s,x-rep,X-Spaced,X-Folded,Content-Length")
        );
        assert_eq!(pjsip_header_names(&list, "Y-"), None);
        assert_eq!(pjsip_header_names(&[], "").as_deref(), Some(""));
        let rep = |n: &str| (n.to_string(), String::new());
        let one = vec![rep("a"), rep("a"), rep("X-Rep"), rep("X-Rep")];
        assert_eq!(
            pjsip_header_names(&one, "").as_deref(),
            Some("a,X-Rep,X-Rep")
        );
    }

    #[test]
    fn pjsip_update_and_remove() {
        assert_eq!(pjsip_update(None, "X-A", 1, "v"), Err(UpdateError::NoList));
        let mut list = vec![
            ("X-Added".to_string(), "a1".to_string()),
            ("X-Added".to_string(), "a2".to_string()),
            ("X-Temp-1".to_string(), "t1".to_string()),
            ("x-temp-2".to_string(), "t2".to_string()),
        ];
        assert_eq!(pjsip_update(Some(&mut list), "x-added", 2, "new"), Ok(()));
        assert_eq!(list[1].1, "new");
        assert_eq!(
            pjsip_update(Some(&mut list), "X-Added", 3, "z"),
            Err(UpdateError::NoHeader("X-Added".into()))
        );
        // update takes no wildcard
        assert!(pjsip_update(Some(&mut list), "X-Temp*", 1, "z").is_err());
        assert_eq!(pjsip_remove(&mut list, "X-TEMP*"), 2);
        assert_eq!(pjsip_remove(&mut list, "X-Nothing"), 0);
        assert_eq!(pjsip_remove(&mut list, "X-Added"), 2);
        assert!(list.is_empty());
    }

    #[test]
    fn added_headers_split_as_transmit_invite() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("X-First: one", Some(("X-First", "one"))),
            ("X-Second:two", Some(("X-Second", "two"))),
            ("\"X-Quoted: q\"", Some(("X-Quoted", "q"))),
            ("X-Sp : v", Some(("X-Sp ", "v"))),
            ("X-Url: sip:a@b", Some(("X-Url", "sip:a@b"))),
            ("NoColon", None),
        ];
        for (v, want) in cases {
            let got = added_header(v);
            assert_eq!(
                got.as_ref().map(|(n, c)| (n.as_str(), c.as_str())),
                *want,
                "{v}"
            );
        }
        let mut vars = VarList::new();
        vars.set("__SIPADDHEADER01", Some("X-First: one"));
        vars.set("OTHER", Some("X: y"));
        vars.set("_SIPADDHEADER02", Some("X-Second: two"));
        vars.set("SIPADDHEADERpre 1", Some("X-Pre: p"));
        let got = chan_sip_added(&vars);
        assert_eq!(
            got,
            [
                ("X-Pre".to_string(), "p".to_string()),
                ("X-Second".to_string(), "two".to_string()),
                ("X-First".to_string(), "one".to_string()),
            ]
        );
    }
}
