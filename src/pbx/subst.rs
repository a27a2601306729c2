//! Variable, function and expression substitution (`${…}` and `$[…]`), as
//! `pbx_substitute_variables_helper_full` does it: nested references are
//! substituted first, `${NAME:offset:length}` takes substrings, names with
//! parentheses call dialplan functions, and `$[…]` goes to the expression
//! evaluator.

use std::sync::Arc;

use crate::channels::Channel;
use crate::core::System;

/// Asterisk's guard against dialplan that substitutes itself forever.
const MAX_DEPTH: usize = 15;
/// Asterisk substitutes into a fixed buffer (`VAR_BUF_SIZE`); results are cut there.
pub const VAR_BUF_SIZE: usize = 4096;

/// Substitutes everything in `input` for `chan` (or with globals only).
pub fn substitute(sys: &System, chan: Option<&Arc<Channel>>, input: &str) -> String {
    substitute_full(sys, chan, input, None)
}

/// A dialplan location that `${EXTEN}`, `${CONTEXT}` and `${PRIORITY}`
/// name instead of the channel's own, for text that belongs to another
/// priority (`pbx_substitute_variables_helper_full_location`).
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub context: &'a str,
    pub exten: &'a str,
    /// 0 leaves `${PRIORITY}` to the channel, as in Asterisk.
    pub priority: i32,
}

/// Substitutes `input` as if it ran at `at` (EVAL_EXTEN).
pub fn substitute_at(
    sys: &System,
    chan: Option<&Arc<Channel>>,
    input: &str,
    at: &Location<'_>,
) -> String {
    substitute_full(sys, chan, input, Some(at))
}

fn substitute_full(
    sys: &System,
    chan: Option<&Arc<Channel>>,
    input: &str,
    at: Option<&Location<'_>>,
) -> String {
    let mut out = String::new();
    substitute_into(sys, chan, input, &mut out, 0, at);
    truncate_at(&mut out, VAR_BUF_SIZE - 1);
    // Pieces cut byte-wise and joined again spell whole characters.
    crate::core::raw::canonical(out)
}

fn truncate_at(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// Finds the end of a `${…}` or `$[…]` body starting at `body` (just after
/// the opener); returns (body length, index after the closer, needs
/// substitution, closed).
fn scan(bytes: &[u8], body: usize, open: u8, close: u8) -> (usize, usize, bool, bool) {
    let other = if open == b'{' { b'[' } else { b'{' };
    let mut depth = 1;
    let mut needsub = false;
    let mut i = body;
    while depth > 0 && i < bytes.len() {
        let c = bytes[i];
        if c == b'$' && bytes.get(i + 1) == Some(&open) {
            needsub = true;
            depth += 1;
            i += 1;
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
        } else if c == b'$' && bytes.get(i + 1) == Some(&other) {
            needsub = true;
            i += 1;
        }
        i += 1;
    }
    let closed = depth == 0;
    let len = if closed { i - body - 1 } else { i - body };
    (len, i, needsub, closed)
}

fn substitute_into(
    sys: &System,
    chan: Option<&Arc<Channel>>,
    input: &str,
    out: &mut String,
    depth: usize,
    at: Option<&Location<'_>>,
) {
    if depth >= MAX_DEPTH {
        sys.pbx.logger.error(
            crate::site!("pbx_variables.c", 695, "pbx_substitute_variables_helper_full_location"),
            None,
            &format!(
                "Exceeded maximum variable substitution recursion depth ({MAX_DEPTH}) - possible infinite recursion in dialplan?"
            ),
        );
        return;
    }
    let bytes = input.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let Some(rel) = input[pos..].find('$') else {
            out.push_str(&input[pos..]);
            return;
        };
        let dollar = pos + rel;
        let kind = bytes.get(dollar + 1).copied();
        if kind != Some(b'{') && kind != Some(b'[') {
            out.push_str(&input[pos..=dollar]);
            pos = dollar + 1;
            continue;
        }
        out.push_str(&input[pos..dollar]);
        let body = dollar + 2;
        if kind == Some(b'{') {
            let (len, next, needsub, closed) = scan(bytes, body, b'{', b'}');
            if !closed {
                sys.pbx.logger.warning(
                    crate::site!(
                        "pbx_variables.c",
                        782,
                        "pbx_substitute_variables_helper_full_location"
                    ),
                    None,
                    "Error in extension logic (missing '}')",
                );
            }
            pos = next;
            let raw = &input[body..body + len];
            let name = if needsub {
                let mut s = String::new();
                substitute_into(sys, chan, raw, &mut s, depth + 1, at);
                s
            } else {
                raw.to_string()
            };
            if let Some(v) = lookup(sys, chan, &name, at) {
                out.push_str(&v);
            }
        } else {
            let (len, next, needsub, closed) = scan(bytes, body, b'[', b']');
            if !closed {
                sys.pbx.logger.warning(
                    crate::site!(
                        "pbx_variables.c",
                        878,
                        "pbx_substitute_variables_helper_full_location"
                    ),
                    None,
                    "Error in extension logic (missing ']')",
                );
            }
            pos = next;
            let raw = &input[body..body + len];
            let expr = if needsub {
                let mut s = String::new();
                substitute_into(sys, chan, raw, &mut s, depth + 1, at);
                s
            } else {
                raw.to_string()
            };
            let mut host = ExprFunctions { sys, chan };
            let outcome = super::expr::evaluate_with(&expr, &mut host);
            for entry in &outcome.log {
                let level = match entry.level {
                    super::expr::LogLevel::Notice => crate::core::logger::Level::Notice,
                    super::expr::LogLevel::Warning => crate::core::logger::Level::Warning,
                    super::expr::LogLevel::Error => crate::core::logger::Level::Error,
                };
                sys.pbx.logger.log(crate::core::logger::Record {
                    level,
                    site: crate::core::logger::Site {
                        file: entry.file,
                        function: entry.function,
                        line: entry.line,
                    },
                    callid: None,
                    message: &entry.message,
                });
            }
            out.push_str(&outcome.value);
        }
    }
}

/// Dialplan functions called from inside `$[…]` (e.g. `$[LEN(abc) > 2]`).
struct ExprFunctions<'a> {
    sys: &'a System,
    chan: Option<&'a Arc<Channel>>,
}

impl super::expr::FunctionHost for ExprFunctions<'_> {
    fn find(&mut self, name: &str) -> super::expr::FunctionKind {
        match crate::funcs::find(name) {
            None => super::expr::FunctionKind::Missing,
            Some(f) if f.read.is_none() => super::expr::FunctionKind::NotReadable,
            Some(_) => super::expr::FunctionKind::Readable,
        }
    }

    fn read(&mut self, name: &str, args: &str) -> String {
        crate::funcs::read(self.sys, self.chan, &format!("{name}({args})")).unwrap_or_default()
    }

    fn has_channel(&self) -> bool {
        self.chan.is_some()
    }
}

/// Splits `NAME:offset:length` (the colon outside parentheses) and tells
/// whether the name calls a function (`parse_variable_name`).
fn parse_variable_name(var: &str) -> (&str, Option<(i64, i64)>, bool) {
    let mut parens = 0i32;
    let mut isfunc = false;
    for (i, c) in var.char_indices() {
        match c {
            '(' => {
                isfunc = true;
                parens += 1;
            }
            ')' => parens -= 1,
            ':' if parens == 0 => {
                let rest = &var[i + 1..];
                let (off, len) = parse_offset_length(rest);
                return (&var[..i], Some((off, len)), isfunc);
            }
            _ => {}
        }
    }
    (var, None, isfunc)
}

/// `sscanf("%d:%d")`: leading blanks, optional sign, digits; stops at the
/// first thing that is not part of a number; missing parts keep defaults.
fn parse_offset_length(s: &str) -> (i64, i64) {
    fn scan_int(s: &str) -> Option<(i64, &str)> {
        let t = s.trim_start();
        let (neg, digits) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if end == 0 {
            return None;
        }
        let v: i64 = digits[..end]
            .parse::<i64>()
            .unwrap_or(i64::from(i32::MAX))
            .min(i64::from(i32::MAX));
        Some((if neg { -v } else { v }, &digits[end..]))
    }
    let mut offset = 0;
    let mut length = i64::from(i32::MAX);
    if let Some((o, rest)) = scan_int(s) {
        offset = o;
        if let Some(r) = rest.strip_prefix(':') {
            if let Some((l, _)) = scan_int(r) {
                length = l;
            }
        }
    }
    (offset, length)
}

/// `substring()`: negative offsets count from the end, negative lengths
/// leave that many characters off the end. Works on bytes, as Asterisk.
pub fn substring(value: &str, offset: i64, length: i64) -> String {
    let b = crate::core::raw::encode(value);
    let lr = b.len() as i64;
    if offset == 0 && length >= lr {
        return value.to_string();
    }
    let mut offset = offset;
    if offset < 0 {
        offset = (lr + offset).max(0);
    }
    if offset >= lr {
        return String::new();
    }
    let start = offset as usize;
    let end = if length >= 0 && length < lr - offset {
        start + length as usize
    } else if length < 0 {
        if lr > offset - length {
            (lr + length) as usize
        } else {
            start
        }
    } else {
        b.len()
    };
    crate::core::raw::decode(&b[start..end.max(start)]).into_owned()
}

/// The value of one `${…}` body, after its own nested substitution.
fn lookup(
    sys: &System,
    chan: Option<&Arc<Channel>>,
    var: &str,
    at: Option<&Location<'_>>,
) -> Option<String> {
    let (name, sub, isfunc) = parse_variable_name(var);
    let value = if isfunc {
        crate::funcs::read(sys, chan, name)
    } else {
        match (at, name) {
            (Some(at), "EXTEN") => Some(at.exten.to_string()),
            (Some(at), "CONTEXT") => Some(at.context.to_string()),
            (Some(at), "PRIORITY") if at.priority != 0 => Some(at.priority.to_string()),
            _ => retrieve_variable(sys, chan, name),
        }
    }?;
    Some(match sub {
        Some((off, len)) => substring(&value, off, len),
        None => value,
    })
}

/// `ast_str_retrieve_variable`: built-in names first, then the channel's
/// variables, then globals.
pub fn retrieve_variable(sys: &System, chan: Option<&Arc<Channel>>, var: &str) -> Option<String> {
    if let Some(c) = chan {
        let d = c.lock();
        let builtin = match var {
            "CALLINGPRES" => Some(Some(d.caller.id.presentation().to_string())),
            "CALLINGANI2" => Some(Some(d.caller.ani2.to_string())),
            "CALLINGTON" => Some(Some(d.caller.id.number.plan.to_string())),
            "CALLINGTNS" => Some(Some(d.dialed.transit_network_select.to_string())),
            "EXTEN" => Some(Some(d.exten.clone())),
            "CONTEXT" => Some(Some(d.context.clone())),
            "PRIORITY" => Some(Some(d.priority.to_string())),
            "CHANNEL" => Some(Some(c.name.clone())),
            "UNIQUEID" => Some(Some(c.uniqueid.clone())),
            "HANGUPCAUSE" => Some(Some(d.hangupcause.to_string())),
            "HINT" | "HINTNAME" => {
                let (ctx, ext) = (d.context.clone(), d.exten.clone());
                drop(d);
                Some(hint(sys, &ctx, &ext, var == "HINTNAME"))
            }
            _ => None,
        };
        if let Some(v) = builtin {
            return v;
        }
    }
    let dirs = &sys.conf.dirs;
    let path = |p: &std::path::Path| Some(p.display().to_string());
    match var {
        "EPOCH" => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Some(secs.to_string());
        }
        "SYSTEMNAME" => return Some(sys.conf.options.system_name.clone()),
        "ASTCACHEDIR" => return path(&dirs.cache),
        "ASTETCDIR" => return path(&dirs.etc),
        "ASTMODDIR" => return path(&dirs.modules),
        "ASTVARLIBDIR" => return path(&dirs.var_lib),
        "ASTDBDIR" => return Some(dirs.db.join("astdb").display().to_string()),
        "ASTKEYDIR" => return path(&dirs.keys),
        "ASTDATADIR" => return path(&dirs.data),
        "ASTAGIDIR" => return path(&dirs.agi),
        "ASTSPOOLDIR" => return path(&dirs.spool),
        "ASTRUNDIR" => return path(&dirs.run),
        "ASTLOGDIR" => return path(&dirs.log),
        "ASTSBINDIR" => return path(&dirs.sbin),
        "ENTITYID" => return Some(sys.entity_id()),
        _ => {}
    }
    if let Some(c) = chan {
        if let Some(v) = c.get_var(var) {
            return Some(v);
        }
    }
    sys.pbx.global(var)
}

/// `${HINT}` / `${HINTNAME}` for the channel's extension.
fn hint(sys: &System, context: &str, exten: &str, name: bool) -> Option<String> {
    let loaded = sys.loaded();
    let f = super::find::find(
        &loaded.dialplan,
        context,
        exten,
        super::find::Want::Priority(-1),
        None,
    )
    .ok()?;
    Some(if name {
        f.priority.data.clone()
    } else {
        f.priority.app.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substrings_as_asterisk() {
        // Expected values from Asterisk 20.20.1 (t-basic in compat-configs/dialplan).
        let s = "abcdefgh";
        assert_eq!(substring(s, 2, i64::from(i32::MAX)), "cdefgh");
        assert_eq!(substring(s, -3, i64::from(i32::MAX)), "fgh");
        assert_eq!(substring(s, 1, 3), "bcd");
        assert_eq!(substring(s, -4, 2), "ef");
        assert_eq!(substring(s, 2, -2), "cdef");
        assert_eq!(substring(s, 20, i64::from(i32::MAX)), "");
        assert_eq!(substring(s, 0, 0), "");
    }

    #[test]
    fn variable_names() {
        assert_eq!(
            parse_variable_name("S:2"),
            ("S", Some((2, i64::from(i32::MAX))), false)
        );
        assert_eq!(parse_variable_name("S:-4:2"), ("S", Some((-4, 2)), false));
        assert_eq!(
            parse_variable_name("CUT(a,b,1):1"),
            ("CUT(a,b,1)", Some((1, i64::from(i32::MAX))), true)
        );
        assert_eq!(parse_variable_name("F(a:b)"), ("F(a:b)", None, true));
    }

    #[test]
    fn scanning_nested() {
        let s = b"${A${B}}x";
        let (len, next, needsub, closed) = scan(s, 2, b'{', b'}');
        assert_eq!((len, next, needsub, closed), (5, 8, true, true));
    }
}
