//! Delimited-list functions of Asterisk's `func_strings.c`: FIELDQTY,
//! FIELDNUM, LISTFILTER, SHIFT, POP, PUSH, UNSHIFT.

use super::strings::{FILE, encoded_char, encoded_str, separate_args, text, var_value};
use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "FIELDQTY",
            read: Some(fieldqty),
            write: None,
            synopsis: "Counts the fields of a variable's value split by a delimiter.",
            syntax: "FIELDQTY(varname,delim)",
        },
        Function {
            name: "FIELDNUM",
            read: Some(fieldnum),
            write: None,
            synopsis: "Gives the position of a field (ignoring case) in a delimited variable, 0 if absent.",
            syntax: "FIELDNUM(varname,delim,value)",
        },
        Function {
            name: "LISTFILTER",
            read: Some(listfilter),
            write: None,
            synopsis: "Gives a delimited variable's value without the fields equal to a value.",
            syntax: "LISTFILTER(varname,delim,value)",
        },
        Function {
            name: "SHIFT",
            read: Some(shift_pop),
            write: None,
            synopsis: "Takes the first field off a delimited variable and gives it.",
            syntax: "SHIFT(varname[,delimiter])",
        },
        Function {
            name: "POP",
            read: Some(shift_pop),
            write: None,
            synopsis: "Takes the last field off a delimited variable and gives it.",
            syntax: "POP(varname[,delimiter])",
        },
        Function {
            name: "PUSH",
            read: None,
            write: Some(unshift_push),
            synopsis: "Appends a field to a delimited variable.",
            syntax: "PUSH(varname[,delimiter])=value",
        },
        Function {
            name: "UNSHIFT",
            read: None,
            write: Some(unshift_push),
            synopsis: "Puts a field in front of a delimited variable.",
            syntax: "UNSHIFT(varname[,delimiter])=value",
        },
    ]
}

fn fieldqty(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 2);
    let count = match a.get(1) {
        Some(d) => {
            let delim = encoded_char(ctx, d.as_bytes()).map_or(0, |(c, _)| c);
            let value = var_value(ctx, a.first().map_or("", String::as_str));
            if value.is_empty() {
                0
            } else if delim == 0 {
                1
            } else {
                value.bytes().filter(|&c| c == delim).count() + 1
            }
        }
        None => 1,
    };
    Ok(count.to_string())
}

fn fieldnum(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 3);
    if a.len() < 3 {
        ctx.error(
            crate::site!(FILE, 714, "function_fieldnum_helper"),
            "Usage: FIELDNUM(<listname>,<delimiter>,<fieldvalue>)",
        );
        return Err(Failed);
    }
    let value = var_value(ctx, &a[0]);
    if value.is_empty() || a[1].is_empty() {
        return Ok("0".to_string());
    }
    let Some((delim, _)) = encoded_char(ctx, a[1].as_bytes()) else {
        return Err(Failed);
    };
    let want = a[2].as_bytes();
    let mut index = 0;
    let fields: Vec<&[u8]> = if delim == 0 {
        vec![value.as_bytes()]
    } else {
        value.as_bytes().split(|&c| c == delim).collect()
    };
    for (i, f) in fields.iter().enumerate() {
        if f.eq_ignore_ascii_case(want) {
            index = i + 1;
            break;
        }
    }
    Ok(index.to_string())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn listfilter(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 3);
    if a.len() < 3 {
        ctx.error(
            crate::site!(FILE, 797, "listfilter"),
            "Usage: LISTFILTER(<listname>,<delimiter>,<fieldvalue>)",
        );
        return Err(Failed);
    }
    let orig = var_value(ctx, &a[0]);
    if orig.is_empty() {
        return Err(Failed);
    }
    let field = a[2].as_bytes();
    let list = orig.as_bytes();
    if find(list, field, 0).is_none() {
        return Ok(orig);
    }
    let mut delim = encoded_str(ctx, &a[1], a[1].len() + 1);
    if delim.is_empty() {
        delim = b",".to_vec();
    }
    let dlen = delim.len();
    let flen = field.len();
    let mut out = Vec::new();
    let mut first = true;
    let mut begin = 0usize;
    let mut next = find(list, &delim, 0);
    loop {
        let cur = match next {
            Some(n) => {
                next = find(list, &delim, n + dlen);
                n
            }
            // Asterisk looks for the end from `begin + dlen`: past the
            // string when the last field is shorter than the delimiter, so
            // that field is never dropped, only copied.
            None if begin + dlen > list.len() => {
                if !first {
                    out.extend_from_slice(&delim);
                }
                out.extend_from_slice(list.get(begin..).unwrap_or(&[]));
                break;
            }
            None => list.len(),
        };
        if flen == cur.saturating_sub(begin) && list.get(begin..cur) == Some(field) {
            begin += flen + dlen;
        } else {
            if !first {
                out.extend_from_slice(&delim);
            }
            out.extend_from_slice(list.get(begin..cur).unwrap_or(&[]));
            first = false;
            begin = cur + dlen;
        }
        if cur >= list.len() {
            break;
        }
    }
    Ok(text(out))
}

fn shift_pop(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let shift = ctx.name.starts_with('S');
    let a = separate_args(args, b',', true, 2);
    let var = a.first().map_or("", String::as_str);
    if var.is_empty() {
        ctx.warning(
            crate::site!(FILE, 1912, "shift_pop"),
            &format!("{} requires a variable name", ctx.name),
        );
        return Err(Failed);
    }
    let before = var_value(ctx, var);
    let mut delim = b',';
    if let Some(d) = a.get(1).filter(|d| !d.is_empty()) {
        delim = encoded_char(ctx, d.as_bytes()).map_or(0, |(c, _)| c);
    }
    if before.is_empty() {
        return Err(Failed);
    }
    let b = before.as_bytes();
    // strchr/strrchr find the terminator itself when looking for NUL.
    let pos = if delim == 0 {
        Some(b.len())
    } else if shift {
        b.iter().position(|&c| c == delim)
    } else {
        b.iter().rposition(|&c| c == delim)
    };
    match pos {
        None => {
            ctx.set_var(var, Some(""));
            Ok(before)
        }
        Some(p) => {
            let head = text(b[..p].to_vec());
            let tail = text(b.get(p + 1..).unwrap_or(&[]).to_vec());
            if shift {
                ctx.set_var(var, Some(&tail));
                Ok(head)
            } else {
                ctx.set_var(var, Some(&head));
                Ok(tail)
            }
        }
    }
}

fn unshift_push(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let unshift = ctx.name.starts_with('U');
    let a = separate_args(args, b',', true, 2);
    let var = a.first().map_or("", String::as_str);
    if var.is_empty() {
        ctx.warning(
            crate::site!(FILE, 1973, "unshift_push"),
            &format!("{} requires a variable name", ctx.name),
        );
        return Err(Failed);
    }
    let mut delim = b',';
    if let Some(d) = a.get(1).filter(|d| !d.is_empty()) {
        delim = encoded_char(ctx, d.as_bytes()).map_or(0, |(c, _)| c);
    }
    let underscores = var.bytes().take(2).take_while(|&c| c == b'_').count();
    let previous = var_value(ctx, &var[underscores..]);
    let new = if previous.is_empty() {
        value.to_string()
    } else if delim == 0 {
        // "%c" with NUL ends the C string there.
        if unshift { value.to_string() } else { previous }
    } else {
        let d = text(vec![delim]);
        if unshift {
            format!("{value}{d}{previous}")
        } else {
            format!("{previous}{d}{value}")
        }
    };
    ctx.set_var(var, Some(&new));
    Ok(())
}
