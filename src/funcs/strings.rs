//! String functions of Asterisk's `func_strings.c`: FILTER, REPLACE,
//! STRREPLACE, STRBETWEEN, PASSTHRU, REGEX, QUOTE, CSV_QUOTE, LEN, EVAL,
//! KEYPADHASH, TOUPPER, TOLOWER, TRIM, LTRIM, RTRIM; and the helpers the
//! other `func_strings.c` families (lists, hashes, time) share.
//!
//! Asterisk works on C strings, byte by byte; so do these functions, and
//! the result goes back to a `String` at the end.

use super::{Failed, FuncCtx, Function};

/// The file Asterisk logs these functions' messages from.
pub(crate) const FILE: &str = "func_strings.c";
/// A legacy (`read`, not `read2`) function writes into a buffer this big.
pub(crate) const LEGACY_BUF: usize = 4096;

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "FILTER",
            read: Some(filter),
            write: None,
            synopsis: "Keeps only the characters of a string that are in an allowed set.",
            syntax: "FILTER(allowed-chars,string)",
        },
        Function {
            name: "REPLACE",
            read: Some(replace),
            write: None,
            synopsis: "Swaps (or drops) each of a set of characters in a variable's value.",
            syntax: "REPLACE(varname,find-chars[,replace-char])",
        },
        Function {
            name: "STRREPLACE",
            read: Some(strreplace),
            write: None,
            synopsis: "Substitutes a substring of a variable's value, optionally a limited number of times.",
            syntax: "STRREPLACE(varname,find-string[,replace-string[,max-replacements]])",
        },
        Function {
            name: "STRBETWEEN",
            read: Some(strbetween),
            write: None,
            synopsis: "Puts a string between every two characters of a variable's value.",
            syntax: "STRBETWEEN(varname,insert-string)",
        },
        Function {
            name: "PASSTHRU",
            read: Some(passthru),
            write: None,
            synopsis: "Gives back its argument unchanged.",
            syntax: "PASSTHRU([string])",
        },
        Function {
            name: "REGEX",
            read: Some(regex),
            write: None,
            synopsis: "Tells (1 or 0) whether a string contains a match of a POSIX extended regular expression.",
            syntax: "REGEX(\"regular-expression\" string)",
        },
        Function {
            name: "QUOTE",
            read: Some(quote),
            write: None,
            synopsis: "Wraps a string in double quotes, backslash-escaping quotes and backslashes.",
            syntax: "QUOTE(string)",
        },
        Function {
            name: "CSV_QUOTE",
            read: Some(csv_quote),
            write: None,
            synopsis: "Wraps a string in double quotes for a CSV field, doubling inner quotes.",
            syntax: "CSV_QUOTE(string)",
        },
        Function {
            name: "LEN",
            read: Some(len),
            write: None,
            synopsis: "Counts the bytes of a string.",
            syntax: "LEN(string)",
        },
        Function {
            name: "EVAL",
            read: Some(eval),
            write: None,
            synopsis: "Substitutes variables and functions once more in an already substituted string.",
            syntax: "EVAL(string)",
        },
        Function {
            name: "KEYPADHASH",
            read: Some(keypadhash),
            write: None,
            synopsis: "Turns letters into the digits of a telephone keypad, dropping other characters.",
            syntax: "KEYPADHASH(string)",
        },
        Function {
            name: "TOUPPER",
            read: Some(toupper),
            write: None,
            synopsis: "Gives a string in capital letters.",
            syntax: "TOUPPER(string)",
        },
        Function {
            name: "TOLOWER",
            read: Some(tolower),
            write: None,
            synopsis: "Gives a string in small letters.",
            syntax: "TOLOWER(string)",
        },
        Function {
            name: "TRIM",
            read: Some(trim),
            write: None,
            synopsis: "Drops white space at both ends of a string.",
            syntax: "TRIM(string)",
        },
        Function {
            name: "LTRIM",
            read: Some(ltrim),
            write: None,
            synopsis: "Drops white space at the start of a string.",
            syntax: "LTRIM(string)",
        },
        Function {
            name: "RTRIM",
            read: Some(rtrim),
            write: None,
            synopsis: "Drops white space at the end of a string.",
            syntax: "RTRIM(string)",
        },
    ]
}

/// Bytes back to text (Asterisk's strings are bytes, any bytes).
pub(crate) fn text(bytes: Vec<u8>) -> String {
    crate::core::raw::decode_owned(bytes)
}

pub(crate) use crate::apps::app_separate_args as separate_args;

/// `ast_get_encoded_char`: one character, with `\n`, `\r`, `\t`, `\xHH`,
/// `\0ooo` and `\c` decoded. `None` (an error logged for a bad hex digit)
/// when there is nothing to decode. Returns the byte and the length used.
pub(crate) fn encoded_char(ctx: &FuncCtx<'_>, s: &[u8]) -> Option<(u8, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if s.is_empty() {
        return None;
    }
    if s[0] != b'\\' {
        return Some((s[0], 1));
    }
    let hex = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'A'..=b'F' => Some(c - b'A' + 10),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    };
    match at(1) {
        b'n' => Some((b'\n', 2)),
        b'r' => Some((b'\r', 2)),
        b't' => Some((b'\t', 2)),
        b'x' => {
            let Some(h) = hex(at(2)) else {
                let c = at(2);
                let shown = if c == 0 { String::new() } else { text(vec![c]) };
                ctx.error(
                    crate::site!("app.c", 3192, "ast_get_encoded_char"),
                    &format!("Illegal character '{shown}' in hexadecimal string"),
                );
                return None;
            };
            match hex(at(3)) {
                Some(l) => Some(((h << 4) | l, 4)),
                None => Some((h, 3)),
            }
        }
        b'0' => {
            let mut v: u8 = 0;
            let mut used = 2;
            while matches!(at(used), b'0'..=b'7') {
                v = v.wrapping_shl(3).wrapping_add(at(used) - b'0');
                used += 1;
            }
            Some((v, used))
        }
        c => Some((c, 2)),
    }
}

/// `ast_get_encoded_str` into a buffer of `size` bytes: decodes until the
/// end, an error, or the buffer is full. A decoded NUL ends the C string.
pub(crate) fn encoded_str(ctx: &FuncCtx<'_>, s: &str, size: usize) -> Vec<u8> {
    let raw = crate::core::raw::encode(s);
    let b: &[u8] = &raw;
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() + 1 < size && i < b.len() {
        let Some((c, used)) = encoded_char(ctx, &b[i..]) else {
            break;
        };
        out.push(c);
        i += used;
    }
    match out.iter().position(|&c| c == 0) {
        Some(p) => {
            out.truncate(p);
            out
        }
        None => out,
    }
}

/// `${name}` substituted, as Asterisk reads a function's variable argument.
pub(crate) fn var_value(ctx: &FuncCtx<'_>, name: &str) -> String {
    crate::pbx::subst::substitute(ctx.sys, ctx.chan, &format!("${{{name}}}"))
}

/// C `atoi`: optional blanks and sign, then digits; 0 when none.
pub(crate) fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    let v = if neg { -v } else { v };
    // atoi returns an int: keep its low 32 bits as glibc does.
    v as i32 as i64
}

fn filter(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', false, 2);
    let (Some(allowed_arg), Some(string)) = (a.first(), a.get(1)) else {
        ctx.error(
            crate::site!(FILE, 915, "filter"),
            "Usage: FILTER(<allowed-chars>,<string>)",
        );
        return Err(Failed);
    };
    if allowed_arg.starts_with('"') {
        ctx.warning(
            crate::site!(FILE, 920, "filter"),
            "FILTER allowed characters includes the quote (\") character.  This may not be what you want.",
        );
    }
    let mut bits = [false; 256];
    let al = allowed_arg.as_bytes();
    let mut i = 0;
    while i < al.len() {
        let Some((c1, used)) = encoded_char(ctx, &al[i..]) else {
            return Err(Failed);
        };
        i += used;
        if al.get(i) == Some(&b'-') {
            let (c2, used2) = match encoded_char(ctx, al.get(i + 1..).unwrap_or(&[])) {
                Some((c, u)) => (c, u),
                // On a failure Asterisk still skips what it looked at.
                None => (c1, if i + 1 < al.len() { 2 } else { 0 }),
            };
            i += used2 + 1;
            if c2 < c1 {
                ctx.warning(
                    crate::site!(FILE, 938, "filter"),
                    &format!(
                        "Range wrapping in FILTER({allowed_arg},{string}).  This may not be what you want."
                    ),
                );
            }
            let mut ac = c1;
            while ac != c2 {
                bits[ac as usize] = true;
                ac = ac.wrapping_add(1);
            }
            bits[ac as usize] = true;
        } else {
            bits[c1 as usize] = true;
        }
    }
    bits[0] = false;
    let out: Vec<u8> = string
        .bytes()
        .filter(|&c| bits[c as usize])
        .take(LEGACY_BUF - 1)
        .collect();
    Ok(text(out))
}

fn replace(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 3);
    if a.len() < 2 {
        ctx.error(
            crate::site!(FILE, 1000, "replace"),
            &format!(
                "Usage: {}(<varname>,<search-chars>[,<replace-char>])",
                ctx.name
            ),
        );
        return Err(Failed);
    }
    let find = encoded_str(ctx, &a[1], 256);
    let with = a
        .get(2)
        .and_then(|r| encoded_char(ctx, r.as_bytes()))
        .map(|(c, _)| c)
        .unwrap_or(0);
    if find.is_empty() || a[0].is_empty() {
        ctx.error(
            crate::site!(FILE, 1009, "replace"),
            "The characters to search for and the variable name must not be empty.",
        );
        return Err(Failed);
    }
    let value = var_value(ctx, &a[0]);
    if value.is_empty() {
        return Err(Failed);
    }
    let mut out = Vec::with_capacity(value.len());
    for c in value.bytes() {
        if find.contains(&c) {
            if with != 0 {
                out.push(with);
            }
        } else {
            out.push(c);
        }
    }
    Ok(text(out))
}

fn strreplace(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 5);
    if a.len() < 2 {
        ctx.error(
            crate::site!(FILE, 1080, "strreplace"),
            &format!(
                "Usage: {}(<varname>,<find-string>[,<replace-string>,[<max-replacements>]])",
                ctx.name
            ),
        );
        return Err(Failed);
    }
    if a[0].is_empty() {
        return Err(Failed);
    }
    let find = a[1].as_str();
    if find.is_empty() {
        ctx.error(
            crate::site!(FILE, 1093, "strreplace"),
            "No <find-string> specified",
        );
        return Err(Failed);
    }
    let value = var_value(ctx, &a[0]);
    // An unsigned count: 0 (or no argument) means no limit.
    let max = match a.get(3) {
        Some(m) => match atoi(m) as i32 as u32 {
            0 => u32::MAX,
            n => n,
        },
        None => u32::MAX,
    };
    let mut out = String::with_capacity(value.len());
    let mut rest = value.as_str();
    let mut count = 0u32;
    while count < max {
        let Some(p) = rest.find(find) else {
            break;
        };
        out.push_str(&rest[..p]);
        if let Some(r) = a.get(2) {
            out.push_str(r);
        }
        rest = &rest[p + find.len()..];
        count += 1;
    }
    out.push_str(rest);
    Ok(out)
}

fn strbetween(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 3);
    if a.len() != 2 || a[0].is_empty() {
        ctx.error(
            crate::site!(FILE, 1160, "strbetween"),
            &format!("Usage: {}(<varname>,<insert-string>)", ctx.name),
        );
        return Err(Failed);
    }
    let value = var_value(ctx, &a[0]);
    let raw = crate::core::raw::encode(&value);
    let b: &[u8] = &raw;
    let mut out = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        out.push(c);
        if i + 1 < b.len() {
            out.extend_from_slice(a[1].as_bytes());
        }
    }
    Ok(text(out))
}

fn passthru(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(args.to_string())
}

fn regex(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b'"', true, 3);
    if a.len() != 3 {
        ctx.error(
            crate::site!(FILE, 1279, "regex"),
            "Unexpected arguments: should have been in the form '\"<regex>\" <string>'",
        );
        return Err(Failed);
    }
    let s = a[2]
        .strip_prefix(' ')
        .or_else(|| a[2].strip_prefix('\t'))
        .unwrap_or(&a[2]);
    let re = match crate::pbx::expr::posix_re::Regex::new(&a[1]) {
        Ok(re) => re,
        Err(msg) => {
            // The parse buffer now ends where the first quote was.
            ctx.warning(
                crate::site!(FILE, 1289, "regex"),
                &format!("Malformed input {}({}): {msg}", ctx.name, a[0]),
            );
            return Err(Failed);
        }
    };
    Ok(if re.search(s, false).is_some() {
        "1"
    } else {
        "0"
    }
    .to_string())
}

fn quote(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        ctx.warning(crate::site!(FILE, 1605, "quote"), "No argument specified!");
        return Ok("\"\"".to_string());
    }
    let mut out = vec![b'"'];
    for c in args.bytes() {
        if out.len() >= LEGACY_BUF - 3 {
            break;
        }
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            _ => out.push(c),
        }
    }
    out.push(b'"');
    Ok(text(out))
}

fn csv_quote(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        return Ok("\"\"".to_string());
    }
    let mut out = vec![b'"'];
    for c in args.bytes() {
        if out.len() >= LEGACY_BUF - 3 {
            break;
        }
        match c {
            b'"' => out.extend_from_slice(b"\"\""),
            _ => out.push(c),
        }
    }
    out.push(b'"');
    Ok(text(out))
}

fn len(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(crate::core::raw::byte_len(args).to_string())
}

fn eval(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        ctx.warning(
            crate::site!(FILE, 1767, "function_eval"),
            "EVAL requires an argument: EVAL(<string>)",
        );
        return Err(Failed);
    }
    Ok(crate::pbx::subst::substitute(ctx.sys, ctx.chan, args))
}

fn keypadhash(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let out: String = args
        .bytes()
        .filter_map(|c| {
            let d = match c.to_ascii_uppercase() {
                b'1' => '1',
                b'A' | b'B' | b'C' | b'2' => '2',
                b'D' | b'E' | b'F' | b'3' => '3',
                b'G' | b'H' | b'I' | b'4' => '4',
                b'J' | b'K' | b'L' | b'5' => '5',
                b'M' | b'N' | b'O' | b'6' => '6',
                b'P' | b'Q' | b'R' | b'S' | b'7' => '7',
                b'T' | b'U' | b'V' | b'8' => '8',
                b'W' | b'X' | b'Y' | b'Z' | b'9' => '9',
                b'0' => '0',
                _ => return None,
            };
            Some(d)
        })
        .take(LEGACY_BUF - 1)
        .collect();
    Ok(out)
}

fn toupper(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(args.to_ascii_uppercase())
}

fn tolower(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(args.to_ascii_lowercase())
}

/// C `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn ltrim_bytes(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    &b[start..]
}

/// Asterisk's `rtrim` macro: it never looks at the first character, so a
/// string of blanks keeps one.
fn rtrim_bytes(b: &[u8]) -> &[u8] {
    if b.is_empty() {
        return b;
    }
    let mut back = b.len();
    loop {
        back -= 1;
        if back == 0 || !is_space(b[back]) {
            break;
        }
    }
    &b[..back + 1]
}

fn legacy_copy(b: &[u8]) -> String {
    text(b[..b.len().min(LEGACY_BUF - 1)].to_vec())
}

fn trim(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        return Err(Failed);
    }
    Ok(legacy_copy(rtrim_bytes(ltrim_bytes(
        &crate::core::raw::encode(args),
    ))))
}

fn ltrim(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        return Err(Failed);
    }
    Ok(legacy_copy(ltrim_bytes(&crate::core::raw::encode(args))))
}

fn rtrim(_ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        return Err(Failed);
    }
    Ok(legacy_copy(rtrim_bytes(&crate::core::raw::encode(args))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separate_args_like_asterisk() {
        assert_eq!(separate_args("a,b,c", b',', true, 2), vec!["a", "b,c"]);
        assert_eq!(separate_args("a,", b',', true, 3), vec!["a", ""]);
        assert_eq!(separate_args("", b',', true, 3), Vec::<String>::new());
        assert_eq!(separate_args("\"a,b\",c", b',', true, 3), vec!["a,b", "c"]);
        assert_eq!(
            separate_args("\"a,b\",c", b',', false, 3),
            vec!["\"a,b\"", "c"]
        );
        assert_eq!(separate_args("a\\,b,c", b',', true, 3), vec!["a,b", "c"]);
        assert_eq!(separate_args("\"x\" y", b'"', true, 3), vec!["", "x", " y"]);
        assert_eq!(
            separate_args("f(a,b),c", b',', true, 3),
            vec!["f(a,b)", "c"]
        );
        assert_eq!(separate_args("trailing\\", b',', true, 3), vec!["trailing"]);
    }

    #[test]
    fn trims() {
        assert_eq!(rtrim_bytes(b"   "), b" ");
        assert_eq!(rtrim_bytes(b"a  "), b"a");
        assert_eq!(ltrim_bytes(b"  a "), b"a ");
    }
}

#[cfg(test)]
mod hostile {
    /// Every function of this module's families, read and written with
    /// odd arguments, without a channel: none may panic.
    #[test]
    fn odd_arguments_never_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("log")).expect("mkdir");
        std::fs::write(
            d.join("asterisk.conf"),
            format!(
                "[directories]\nastetcdir => {0}\nastlogdir => {0}/log\nastrundir => {0}\nastspooldir => {0}\nastvarlibdir => {0}\nastdbdir => {0}\n",
                d.display()
            ),
        )
        .expect("write");
        std::fs::write(d.join("extensions.conf"), "[general]\n").expect("write");
        let sys = crate::core::System::start(&d.join("asterisk.conf")).expect("system");
        let names = [
            "FIELDQTY",
            "FIELDNUM",
            "LISTFILTER",
            "FILTER",
            "REPLACE",
            "STRREPLACE",
            "STRBETWEEN",
            "PASSTHRU",
            "REGEX",
            "HASH",
            "HASHKEYS",
            "KEYPADHASH",
            "ARRAY",
            "QUOTE",
            "CSV_QUOTE",
            "LEN",
            "STRFTIME",
            "STRPTIME",
            "EVAL",
            "TOUPPER",
            "TOLOWER",
            "SHIFT",
            "POP",
            "PUSH",
            "UNSHIFT",
            "TRIM",
            "LTRIM",
            "RTRIM",
        ];
        let long = "x,".repeat(3000);
        let odd: Vec<String> = vec![
            String::new(),
            ",".into(),
            ",,,,".into(),
            "(".into(),
            ")".into(),
            "a(b,c".into(),
            "\"".into(),
            "\"(\" x".into(),
            "\\".into(),
            "a\\".into(),
            "\\x".into(),
            "\\xZZ,\\0777,\\x".into(),
            "99999999999999999999999999999,x,%q%".into(),
            "-99999999999999999999,Foo/../../etc/passwd,%s %Z %G %V %c".into(),
            "1e308,UTC,%9999999999Y".into(),
            "nan,UTC,%".into(),
            "V,\\x00,\\x00".into(),
            "V,::::::,:".into(),
            "\"[[:alpha:]\" x".into(),
            "\"(a*)*b\" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac".into(),
            "é,ü,ñ".into(),
            "9999-99-99,UTC,%Y-%m-%d".into(),
            "99999999999999999999,UTC,%s".into(),
            "12,UTC,%j".into(),
            "z-a\\x00-\\xff,abc".into(),
            long,
        ];
        crate::pbx::set_var(&sys, None, "V", Some("a,b,,c"));
        for name in names {
            for a in &odd {
                let _ = crate::funcs::read(&sys, None, &format!("{name}({a})"));
                let _ = crate::funcs::write(&sys, None, &format!("{name}({a})"), a);
            }
        }
    }
}
