//! CALLERID, CONNECTEDLINE and REDIRECTING (Asterisk's `func_callerid.c`):
//! read and write the party identities a channel carries. A data type is
//! a `-`-separated path such as `name`, `num-pres`, `ani-num`,
//! `priv-name-valid`, `dnid-num-plan` or `orig-reason`.

use super::{Failed, FuncCtx, Function};
use crate::apps::builtins::atoi;
use crate::apps::separate_args;
use crate::channels::party::{self, Party, RedirectReason};
use crate::config::views::callerid as cid;
use crate::core::logger::Site;

const FILE: &str = "func_callerid.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "CALLERID",
            read: Some(callerid_read),
            write: Some(callerid_write),
            synopsis: "Reads or sets the caller's identity on the channel.",
            syntax: "CALLERID(datatype[,CID])",
        },
        Function {
            name: "CONNECTEDLINE",
            read: Some(connectedline_read),
            write: Some(connectedline_write),
            synopsis: "Reads or sets the identity of the party at the other end.",
            syntax: "CONNECTEDLINE(datatype[,i])",
        },
        Function {
            name: "REDIRECTING",
            read: Some(redirecting_read),
            write: Some(redirecting_write),
            synopsis: "Reads or sets where and why the call was redirected.",
            syntax: "REDIRECTING(datatype[,i])",
        },
    ]
}

/// Whether a field path named something this party has.
enum Field {
    Valid,
    Invalid,
    Unknown,
}

/// CALLERID returns at most this much (`read_max = 256` with its NUL).
const CALLERID_READ_MAX: usize = 255;

/// The `-` separated path, or `None` when Asterisk gives up silently.
fn members(s: &str) -> Option<Vec<String>> {
    let m = separate_args(s, '-', 10);
    if m.is_empty() || m.len() >= 10 {
        None
    } else {
        Some(m)
    }
}

fn starts_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn is(s: &str, word: &str) -> bool {
    s.eq_ignore_ascii_case(word)
}

/// A written number: digits as a number, else `None` (Asterisk's
/// `'0' <= val[0] <= '9'` test).
fn leading_number(v: &str) -> Option<i32> {
    v.as_bytes()
        .first()
        .filter(|b| b.is_ascii_digit())
        .map(|_| atoi(v) as i32)
}

/// A presentation given as a number or a name.
fn parse_pres(v: &str) -> Option<i32> {
    leading_number(v).or_else(|| cid::parse_presentation(v))
}

/// A written setting, trimmed and parsed; when it does not parse, Asterisk's
/// "Unknown <what> '<value>', value unchanged" error is logged from `site`.
fn setting(
    ctx: &FuncCtx<'_>,
    value: &str,
    (what, site): (&str, &Site<'_>),
    parse: impl Fn(&str) -> Option<i32>,
) -> Option<i32> {
    let v = trim_end_blanks(value);
    let parsed = parse(&v).filter(|n| *n >= 0);
    if parsed.is_none() {
        ctx.error(site, &format!("Unknown {what} '{v}', value unchanged"));
    }
    parsed
}

fn trim_end_blanks(s: &str) -> String {
    s.trim_end_matches(|c: char| c.is_ascii_whitespace())
        .to_string()
}

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

fn name_read(p: &Party, sub: &[String], out: &mut String) -> Field {
    let n = &p.name;
    match sub {
        [] => {
            if let Some(t) = p.name() {
                *out = t.to_string();
            }
        }
        [a] if is(a, "valid") => *out = flag(n.valid),
        [a] if is(a, "charset") => *out = party::charset_name(n.char_set).into(),
        [a] if starts_ci(a, "pres") => *out = cid::presentation_name(n.presentation).into(),
        _ => return Field::Unknown,
    }
    Field::Valid
}

fn number_read(p: &Party, sub: &[String], out: &mut String) -> Field {
    let n = &p.number;
    match sub {
        [] => {
            if let Some(t) = p.number() {
                *out = t.to_string();
            }
        }
        [a] if is(a, "valid") => *out = flag(n.valid),
        [a] if is(a, "plan") => *out = n.plan.to_string(),
        [a] if starts_ci(a, "pres") => *out = cid::presentation_name(n.presentation).into(),
        _ => return Field::Unknown,
    }
    Field::Valid
}

fn subaddress_read(s: &party::Subaddress, sub: &[String], out: &mut String) -> Field {
    match sub {
        [] => *out = s.text.clone().unwrap_or_default(),
        [a] if is(a, "valid") => *out = flag(s.valid),
        [a] if is(a, "type") => *out = s.kind.to_string(),
        [a] if is(a, "odd") => *out = s.odd_even.to_string(),
        _ => return Field::Unknown,
    }
    Field::Valid
}

/// `party_id_read`.
fn id_read(p: &Party, path: &[String], out: &mut String) -> Field {
    let Some((first, rest)) = path.split_first() else {
        return Field::Unknown;
    };
    if rest.is_empty() && is(first, "all") {
        *out = format!(
            "\"{}\" <{}>",
            p.name().unwrap_or(""),
            p.number().unwrap_or("")
        );
    } else if is(first, "name") {
        return name_read(p, rest, out);
    } else if starts_ci(first, "num") {
        return number_read(p, rest, out);
    } else if starts_ci(first, "subaddr") {
        return subaddress_read(&p.subaddress, rest, out);
    } else if rest.is_empty() && is(first, "tag") {
        *out = p.tag.clone().unwrap_or_default();
    } else if rest.is_empty() && is(first, "ton") {
        *out = p.number.plan.to_string();
    } else if rest.is_empty() && starts_ci(first, "pres") {
        *out = cid::presentation_name(p.presentation()).into();
    } else {
        return Field::Unknown;
    }
    Field::Valid
}

fn name_write(ctx: &FuncCtx<'_>, p: &mut Party, sub: &[String], value: &str) -> Field {
    match sub {
        [] => {
            p.name.valid = true;
            p.name.text = Some(trim_end_blanks(value));
        }
        [a] if is(a, "valid") => p.name.valid = atoi(value) != 0,
        [a] if is(a, "charset") => {
            match setting(
                ctx,
                value,
                ("name char-set", crate::site!(FILE, 723, "party_name_write")),
                |v| leading_number(v).or_else(|| party::charset_parse(v)),
            ) {
                Some(c) => p.name.char_set = c,
                None => return Field::Invalid,
            }
        }
        [a] if starts_ci(a, "pres") => match setting(
            ctx,
            value,
            (
                "name presentation",
                crate::site!(FILE, 743, "party_name_write"),
            ),
            parse_pres,
        ) {
            Some(pr) => p.name.presentation = pr,
            None => return Field::Invalid,
        },
        _ => return Field::Unknown,
    }
    Field::Valid
}

fn number_write(ctx: &FuncCtx<'_>, p: &mut Party, sub: &[String], value: &str) -> Field {
    match sub {
        [] => {
            p.number.valid = true;
            p.number.text = Some(trim_end_blanks(value));
        }
        [a] if is(a, "valid") => p.number.valid = atoi(value) != 0,
        [a] if is(a, "plan") => {
            match setting(
                ctx,
                value,
                (
                    "type-of-number/numbering-plan",
                    crate::site!(FILE, 791, "party_number_write"),
                ),
                leading_number,
            ) {
                Some(n) => p.number.plan = n,
                None => return Field::Invalid,
            }
        }
        [a] if starts_ci(a, "pres") => {
            match setting(
                ctx,
                value,
                (
                    "number presentation",
                    crate::site!(FILE, 809, "party_number_write"),
                ),
                parse_pres,
            ) {
                Some(pr) => p.number.presentation = pr,
                None => return Field::Invalid,
            }
        }
        _ => return Field::Unknown,
    }
    Field::Valid
}

fn subaddress_write(s: &mut party::Subaddress, sub: &[String], value: &str) -> Field {
    match sub {
        [] => s.text = Some(trim_end_blanks(value)),
        [a] if is(a, "valid") => s.valid = atoi(value) != 0,
        [a] if is(a, "type") => s.kind = if atoi(value) != 0 { 2 } else { 0 },
        [a] if is(a, "odd") => s.odd_even = i32::from(atoi(value) != 0),
        _ => return Field::Unknown,
    }
    Field::Valid
}

/// `party_id_write`.
fn id_write(ctx: &FuncCtx<'_>, p: &mut Party, path: &[String], value: &str) -> Field {
    let Some((first, rest)) = path.split_first() else {
        return Field::Unknown;
    };
    if rest.is_empty() && is(first, "all") {
        let (name, num) = cid::split(value);
        p.name.valid = true;
        p.name.text = Some(name);
        p.number.valid = true;
        p.number.text = Some(num);
    } else if is(first, "name") {
        return name_write(ctx, p, rest, value);
    } else if starts_ci(first, "num") {
        return number_write(ctx, p, rest, value);
    } else if starts_ci(first, "subaddr") {
        return subaddress_write(&mut p.subaddress, rest, value);
    } else if rest.is_empty() && is(first, "tag") {
        p.tag = Some(trim_end_blanks(value));
    } else if rest.is_empty() && is(first, "ton") {
        return number_write(ctx, p, &["plan".to_string()], value);
    } else if rest.is_empty() && starts_ci(first, "pres") {
        let Some(pr) = setting(
            ctx,
            value,
            (
                "combined presentation",
                crate::site!(FILE, 932, "party_id_write"),
            ),
            parse_pres,
        ) else {
            return Field::Invalid;
        };
        p.name.presentation = pr;
        p.number.presentation = pr;
    } else {
        return Field::Unknown;
    }
    Field::Valid
}

/// The path with a missing second part taken as `num` (`ani`, `dnid`).
fn default_num(path: &[String]) -> Vec<String> {
    let mut p = path.to_vec();
    if p.len() == 1 {
        p.push("num".into());
    }
    p
}

fn callerid_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    // Two declared fields: the caller id to parse is taken raw.
    let parts = separate_args(args, ',', 2);
    let Some(member) = parts.first() else {
        return Err(Failed);
    };
    let path = members(member).ok_or(Failed)?;
    let unknown = || {
        ctx.error(
            crate::site!(FILE, 1002, "callerid_read"),
            &format!("Unknown callerid data type '{args}'."),
        )
    };
    let mut out = String::new();
    if parts.len() == 2 {
        // Parse the given caller id instead of the channel's.
        let (name, num) = cid::split(&parts[1]);
        match path.as_slice() {
            [a] if is(a, "all") => out = format!("\"{name}\" <{num}>"),
            [a] if is(a, "name") => out = name,
            [a] if starts_ci(a, "num") => out = num,
            _ => unknown(),
        }
        return Ok(out);
    }
    let d = chan.lock();
    let first = path[0].as_str();
    let status = if path.len() == 1 && is(first, "rdnis") {
        if let Some(n) = d.redirecting.from.number() {
            out = n.to_string();
        }
        Field::Valid
    } else if is(first, "dnid") {
        let p = default_num(&path);
        if starts_ci(&p[1], "num") {
            match p.len() {
                2 => out = d.dialed.number.clone().unwrap_or_default(),
                3 if is(&p[2], "plan") => out = d.dialed.plan.to_string(),
                _ => unknown(),
            }
            Field::Valid
        } else if starts_ci(&p[1], "subaddr") {
            subaddress_read(&d.dialed.subaddress, &p[2..], &mut out)
        } else {
            unknown();
            Field::Valid
        }
    } else if path.len() == 1 && is(first, "ani2") {
        out = d.caller.ani2.to_string();
        Field::Valid
    } else if is(first, "ani") {
        id_read(&d.caller.ani, &default_num(&path)[1..], &mut out)
    } else if is(first, "priv") {
        id_read(&d.caller.private, &path[1..], &mut out)
    } else {
        id_read(&d.caller.id, &path, &mut out)
    };
    if matches!(status, Field::Unknown) {
        unknown();
    }
    if out.len() > CALLERID_READ_MAX {
        let mut end = CALLERID_READ_MAX;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    Ok(out)
}

fn callerid_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let parts = separate_args(args, ',', 3);
    let Some(member) = parts.first() else {
        return Err(Failed);
    };
    let path = members(member).ok_or(Failed)?;
    let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let unknown = || {
        ctx.error(
            crate::site!(FILE, 1175, "callerid_write"),
            &format!("Unknown callerid data type '{args}'."),
        )
    };
    let mut d = chan.lock();
    let first = path[0].as_str();
    if path.len() == 1 && is(first, "rdnis") {
        d.redirecting.from.number.valid = true;
        d.redirecting.from.number.text = Some(value.to_string());
    } else if is(first, "dnid") {
        let p = default_num(&path);
        if starts_ci(&p[1], "num") {
            match p.len() {
                2 => d.dialed.number = Some(trim_end_blanks(value)),
                3 if is(&p[2], "plan") => {
                    let what = "type-of-number/numbering-plan";
                    if let Some(n) = setting(
                        ctx,
                        value,
                        (what, crate::site!(FILE, 1171, "callerid_write")),
                        leading_number,
                    ) {
                        d.dialed.plan = n;
                    }
                }
                _ => unknown(),
            }
        } else if starts_ci(&p[1], "subaddr") {
            let mut s = d.dialed.subaddress.clone();
            match subaddress_write(&mut s, &p[2..], value) {
                Field::Valid => d.dialed.subaddress = s,
                Field::Invalid => {}
                Field::Unknown => unknown(),
            }
        } else {
            unknown();
        }
    } else if path.len() == 1 && is(first, "ani2") {
        if let Some(n) = setting(
            ctx,
            value,
            ("callerid ani2", crate::site!(FILE, 1205, "callerid_write")),
            leading_number,
        ) {
            d.caller.ani2 = n;
        }
    } else {
        let (mut party, sub, which) = if is(first, "ani") {
            (d.caller.ani.clone(), default_num(&path)[1..].to_vec(), 0)
        } else if is(first, "priv") {
            (d.caller.private.clone(), path[1..].to_vec(), 1)
        } else {
            (d.caller.id.clone(), path.clone(), 2)
        };
        match id_write(ctx, &mut party, &sub, value) {
            Field::Valid => match which {
                0 => d.caller.ani = party,
                1 => d.caller.private = party,
                _ => {
                    d.caller.id = party;
                    // `ast_channel_set_caller_event`: the new caller is
                    // published at once (NewCallerid), not with whatever
                    // the channel publishes next.
                    drop(d);
                    chan.publish_snapshot();
                }
            },
            Field::Invalid => {}
            Field::Unknown => unknown(),
        }
    }
    Ok(())
}

fn connectedline_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let path = members(args).ok_or(Failed)?;
    let d = chan.lock();
    let mut out = String::new();
    let first = path[0].as_str();
    let status = if path.len() == 1 && is(first, "source") {
        out = party::source_name(d.connected.source).into();
        Field::Valid
    } else if is(first, "priv") {
        id_read(&d.connected.private, &path[1..], &mut out)
    } else {
        id_read(&d.connected.id, &path, &mut out)
    };
    if matches!(status, Field::Unknown) {
        ctx.error(
            crate::site!(FILE, 1305, "connectedline_read"),
            &format!("Unknown connectedline data type '{args}'."),
        );
    }
    Ok(out)
}

/// The options CONNECTEDLINE and REDIRECTING take: only `i` (set without
/// telling the other side), which changes nothing while unbridged.
fn options_ok(ctx: &FuncCtx<'_>, opts: Option<&String>) -> bool {
    let opts = opts.map(String::as_str).unwrap_or("");
    crate::apps::options::parse(&ctx.sys.pbx.logger, opts, "i").is_ok()
}

fn connectedline_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let parts = separate_args(args, ',', 3);
    let Some(member) = parts.first() else {
        return Err(Failed);
    };
    let path = members(member).ok_or(Failed)?;
    if !options_ok(ctx, parts.get(1)) {
        return Err(Failed);
    }
    let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let mut connected = chan.lock().connected.clone();
    let first = path[0].as_str();
    let changed = if path.len() == 1 && is(first, "source") {
        let v = trim_end_blanks(value);
        match leading_number(&v).or_else(|| party::source_parse(&v)) {
            Some(s) if s >= 0 => {
                connected.source = s;
                true
            }
            _ => {
                ctx.error(
                    crate::site!(FILE, 1397, "connectedline_write"),
                    &format!("Unknown connectedline source '{v}', value unchanged"),
                );
                false
            }
        }
    } else {
        let (target, sub) = if is(first, "priv") {
            (&mut connected.private, &path[1..])
        } else {
            (&mut connected.id, &path[..])
        };
        match id_write(ctx, target, sub, value) {
            Field::Valid => true,
            Field::Invalid => false,
            Field::Unknown => {
                ctx.error(
                    crate::site!(FILE, 1411, "connectedline_write"),
                    &format!("Unknown connectedline data type '{args}'."),
                );
                false
            }
        }
    };
    if changed {
        chan.lock().connected = connected;
    }
    Ok(())
}

fn redirecting_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let path = members(args).ok_or(Failed)?;
    let d = chan.lock();
    let r = &d.redirecting;
    let mut out = String::new();
    let first = path[0].as_str();
    let status = if is(first, "orig") {
        if path.len() == 2 && is(&path[1], "reason") {
            out = party::reason_name(&r.orig_reason);
            Field::Valid
        } else {
            id_read(&r.orig, &path[1..], &mut out)
        }
    } else if is(first, "from") {
        id_read(&r.from, &path[1..], &mut out)
    } else if is(first, "to") {
        id_read(&r.to, &path[1..], &mut out)
    } else if path.len() == 1 && starts_ci(first, "pres") {
        out = cid::presentation_name(r.from.presentation()).into();
        Field::Valid
    } else if path.len() == 1 && is(first, "reason") {
        out = party::reason_name(&r.reason);
        Field::Valid
    } else if path.len() == 1 && is(first, "count") {
        out = r.count.to_string();
        Field::Valid
    } else if path.len() > 1 && is(first, "priv") {
        let which = path[1].as_str();
        if is(which, "orig") {
            id_read(&r.priv_orig, &path[2..], &mut out)
        } else if is(which, "from") {
            id_read(&r.priv_from, &path[2..], &mut out)
        } else if is(which, "to") {
            id_read(&r.priv_to, &path[2..], &mut out)
        } else {
            Field::Unknown
        }
    } else {
        Field::Unknown
    };
    if matches!(status, Field::Unknown) {
        ctx.error(
            crate::site!(FILE, 1482, "redirecting_read"),
            &format!("Unknown redirecting data type '{args}'."),
        );
    }
    Ok(out)
}

/// A reason written as a number or a name; an unknown name is kept as
/// text with the code `unknown`, as Asterisk does.
fn write_reason(ctx: &FuncCtx<'_>, reason: &mut RedirectReason, value: &str) {
    let v = trim_end_blanks(value);
    match leading_number(&v).or_else(|| party::reason_parse(&v)) {
        Some(code) if code >= 0 => {
            reason.code = code;
            reason.text = Some(String::new());
        }
        _ => {
            ctx.warning(
                crate::site!(FILE, 1643, "redirecting_write"),
                &format!("Unknown redirecting reason '{v}', defaulting to unknown"),
            );
            reason.code = 0;
            reason.text = Some(v);
        }
    }
}

fn redirecting_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let parts = separate_args(args, ',', 3);
    let Some(member) = parts.first() else {
        return Err(Failed);
    };
    let path = members(member).ok_or(Failed)?;
    if !options_ok(ctx, parts.get(1)) {
        return Err(Failed);
    }
    let value = value.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let mut r = chan.lock().redirecting.clone();
    let unknown = || {
        ctx.error(
            crate::site!(FILE, 1662, "redirecting_write"),
            &format!("Unknown redirecting data type '{args}'."),
        )
    };
    let id_status = |status: Field| match status {
        Field::Valid => true,
        Field::Invalid => false,
        Field::Unknown => {
            unknown();
            false
        }
    };
    let first = path[0].as_str();
    let changed = if is(first, "orig") {
        if path.len() == 2 && is(&path[1], "reason") {
            write_reason(ctx, &mut r.orig_reason, value);
            true
        } else {
            id_status(id_write(ctx, &mut r.orig, &path[1..], value))
        }
    } else if is(first, "from") {
        id_status(id_write(ctx, &mut r.from, &path[1..], value))
    } else if is(first, "to") {
        id_status(id_write(ctx, &mut r.to, &path[1..], value))
    } else if path.len() == 1 && starts_ci(first, "pres") {
        let v = trim_end_blanks(value);
        match parse_pres(&v) {
            Some(pr) if pr >= 0 => {
                r.from.name.presentation = pr;
                r.from.number.presentation = pr;
                r.to.name.presentation = pr;
                r.to.number.presentation = pr;
                true
            }
            _ => {
                ctx.error(
                    crate::site!(FILE, 1707, "redirecting_write"),
                    &format!("Unknown redirecting combined presentation '{v}', value unchanged"),
                );
                false
            }
        }
    } else if path.len() == 1 && is(first, "reason") {
        write_reason(ctx, &mut r.reason, value);
        true
    } else if path.len() == 1 && is(first, "count") {
        let v = trim_end_blanks(value);
        match leading_number(&v) {
            Some(n) => {
                r.count = n;
                true
            }
            None => {
                ctx.error(
                    crate::site!(FILE, 1750, "redirecting_write"),
                    &format!("Unknown redirecting count '{v}', value unchanged"),
                );
                false
            }
        }
    } else if path.len() > 1 && is(first, "priv") {
        let which = path[1].as_str();
        let target = if is(which, "orig") {
            Some(&mut r.priv_orig)
        } else if is(which, "from") {
            Some(&mut r.priv_from)
        } else if is(which, "to") {
            Some(&mut r.priv_to)
        } else {
            None
        };
        match target {
            Some(t) => id_status(id_write(ctx, t, &path[2..], value)),
            None => {
                unknown();
                false
            }
        }
    } else {
        unknown();
        false
    };
    if changed {
        chan.lock().redirecting = r;
    }
    Ok(())
}
