//! CUT and SORT (Asterisk's `func_cut.c`).

use super::c::{app_args, scan_float, scan_int};
use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_cut.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "CUT",
            read: Some(cut),
            write: None,
            synopsis: "Gives chosen fields of a variable's value split on a delimiter.",
            syntax: "CUT(varname,char-delim,range-spec)",
        },
        Function {
            name: "SORT",
            read: Some(sort),
            write: None,
            synopsis: "Orders key:value pairs by value and gives the keys.",
            syntax: "SORT(key1:value1[,key2:value2[,...]])",
        },
    ]
}

fn sort(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let mut keys: Vec<(&str, f32)> = data
        .split(',')
        .filter_map(|item| {
            let (key, value) = item.split_once(':')?;
            Some((key, scan_float(value).unwrap_or(0.0)))
        })
        .collect();
    // glibc 2.36's qsort is a stable merge sort; NaN (which C compares
    // inconsistently) sorts last here so the order stays total.
    keys.sort_by(|a, b| {
        let rank = |v: f32| (v.is_nan(), if v.is_nan() { 0.0 } else { v + 0.0 });
        let (ra, rb) = (rank(a.1), rank(b.1));
        ra.0.cmp(&rb.0)
            .then(ra.1.partial_cmp(&rb.1).unwrap_or(std::cmp::Ordering::Equal))
    });
    Ok(keys.iter().map(|k| k.0).collect::<Vec<_>>().join(","))
}

/// `ast_get_encoded_char`: one possibly backslash-escaped character, or
/// `None` (the caller then uses `-`).
fn encoded_char(ctx: &FuncCtx<'_>, s: &str) -> Option<u8> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if first != b'\\' {
        return Some(first);
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    Some(match at(1) {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'x' => {
            let Some(h) = hex(at(2)) else {
                // printf's %c of a NUL ends the message there.
                let msg = if at(2) == 0 {
                    "Illegal character '".to_string()
                } else {
                    format!(
                        "Illegal character '{}' in hexadecimal string",
                        String::from_utf8_lossy(&[at(2)])
                    )
                };
                ctx.error(crate::site!("app.c", 3192, "ast_get_encoded_char"), &msg);
                return None;
            };
            match hex(at(3)) {
                Some(l) => (h << 4).wrapping_add(l),
                None => h,
            }
        }
        b'0' => {
            let mut v: u8 = 0;
            let mut i = 2;
            while (b'0'..=b'7').contains(&at(i)) {
                v = (v << 3).wrapping_add(at(i) - b'0');
                i += 1;
            }
            v
        }
        other => other,
    })
}

/// One range of a CUT spec: `a-b`, `-b`, `a-` or `a`.
fn range(spec: &str) -> Option<(i32, i32)> {
    if let Some((a, end)) = scan_int(spec) {
        if let Some(rest) = spec[end..].strip_prefix('-') {
            if let Some((b, _)) = scan_int(rest) {
                return Some((a, b));
            }
        }
    }
    if let Some(rest) = spec.strip_prefix('-') {
        if let Some((b, _)) = scan_int(rest) {
            return Some((1, b));
        }
    }
    let (a, end) = scan_int(spec)?;
    if spec.as_bytes().get(end) == Some(&b'-') {
        return Some((a, i32::MAX));
    }
    Some((a, a))
}

/// `strsep` on a one-byte delimiter (none when the byte is NUL).
fn next_field<'a>(rest: &mut Option<&'a [u8]>, delim: u8) -> Option<&'a [u8]> {
    let s = (*rest)?;
    match s.iter().position(|&c| c == delim && delim != 0) {
        Some(i) => {
            *rest = Some(&s[i + 1..]);
            Some(&s[..i])
        }
        None => {
            *rest = None;
            Some(s)
        }
    }
}

fn cut(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 3);
    if args.len() < 3 {
        ctx.error(
            crate::site!(FILE, 273, "acf_cut_exec"),
            "Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!",
        );
        return Err(Failed);
    }
    let value = crate::pbx::subst::substitute(ctx.sys, ctx.chan, &format!("${{{}}}", args[0]));
    let delim = encoded_char(ctx, &args[1]).unwrap_or(b'-');
    let mut out: Vec<u8> = Vec::new();
    if !value.is_empty() {
        let raw = crate::core::raw::encode(&value);
        let mut cur: Option<&[u8]> = Some(&raw);
        let mut curfield = 1i32;
        let mut count = 0usize;
        for spec in args[2].split('&') {
            if cur.is_none() {
                break;
            }
            let Some((start, stop)) = range(spec) else {
                ctx.error(
                    crate::site!(FILE, 279, "acf_cut_exec"),
                    "Usage: CUT(<varname>,<char-delim>,<range-spec>)",
                );
                return Err(Failed);
            };
            while cur.is_some() && curfield < start {
                next_field(&mut cur, delim);
                curfield += 1;
            }
            if curfield > start {
                ctx.warning(
                    crate::site!(FILE, 230, "cut_internal"),
                    "We're already past the field you wanted?",
                );
            }
            while cur.is_some() && curfield <= stop {
                let Some(field) = next_field(&mut cur, delim) else {
                    break;
                };
                if count > 0 && delim != 0 {
                    out.push(delim);
                }
                count += 1;
                out.extend_from_slice(field);
                curfield = curfield.saturating_add(1);
                if curfield == i32::MAX && stop == i32::MAX {
                    // C would wrap here after two billion fields; no value
                    // this long exists.
                    break;
                }
            }
        }
    }
    Ok(crate::core::raw::decode_owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(range("2-3"), Some((2, 3)));
        assert_eq!(range("-3"), Some((1, 3)));
        assert_eq!(range("2-"), Some((2, i32::MAX)));
        assert_eq!(range("4"), Some((4, 4)));
        assert_eq!(range("x"), None);
        assert_eq!(range(""), None);
        assert_eq!(range("--3"), Some((1, -3)));
    }
}
