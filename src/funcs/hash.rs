//! Hash and array functions of Asterisk's `func_strings.c`: HASH,
//! HASHKEYS, ARRAY (and KEYPADHASH lives with the strings). A hash is a
//! set of channel variables named `~HASH~<hash>~<key>~`.

use super::strings::{FILE, LEGACY_BUF, separate_args};
use super::{Failed, FuncCtx, Function};
use crate::pbx::vars::strip_inheritance;

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "HASH",
            read: Some(hash_read),
            write: Some(hash_write),
            synopsis: "Reads or sets one key of a hash kept in channel variables, or all of its values.",
            syntax: "HASH(hashname[,hashkey])",
        },
        Function {
            name: "HASHKEYS",
            read: Some(hashkeys),
            write: None,
            synopsis: "Lists the keys of a hash, comma separated.",
            syntax: "HASHKEYS(hashname)",
        },
        Function {
            name: "ARRAY",
            read: None,
            write: Some(array_write),
            synopsis: "Sets several variables at once from a comma separated list of values.",
            syntax: "ARRAY(var1[,var2[,...]])=value1[,value2[,...]]",
        },
    ]
}

/// C `snprintf` into a buffer of `size` bytes.
pub(crate) fn cut(mut s: String, size: usize) -> String {
    if s.len() >= size {
        let mut n = size.saturating_sub(1);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.truncate(n);
    }
    s
}

/// `~HASH~<hash>~`, as the prefix of a hash's variables (80-byte buffer).
pub(crate) fn hash_prefix(hash: &str) -> String {
    cut(format!("~HASH~{hash}~"), 80)
}

/// The variable of one key (`HASH_FORMAT` into a 256-byte buffer), with
/// the hash name's inheritance underscores moved in front.
fn key_var(hash: &str, key: &str, inherit: bool) -> String {
    let name = if inherit {
        if let Some(h) = hash.strip_prefix("__") {
            format!("__~HASH~{h}~{key}~")
        } else if let Some(h) = hash.strip_prefix('_') {
            format!("_~HASH~{h}~{key}~")
        } else {
            format!("~HASH~{hash}~{key}~")
        }
    } else {
        format!("~HASH~{hash}~{key}~")
    };
    cut(name, 256)
}

/// The keys of a hash, newest variable first, each followed by a comma.
fn keys_with_commas(ctx: &FuncCtx<'_>, chan: &crate::channels::Channel, hash: &str) -> String {
    let _ = ctx;
    let prefix = hash_prefix(hash);
    let mut out = String::new();
    let data = chan.lock();
    for (name, _) in data.vars.iter() {
        let name = strip_inheritance(name);
        if name.len() > prefix.len() + 1 && name.ends_with('~') && name.starts_with(&prefix) {
            out.push_str(&name[prefix.len()..name.len() - 1]);
            out.push(',');
        }
    }
    out
}

fn hashkeys(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 1436, "hashkeys_read"))?;
    let mut keys = keys_with_commas(ctx, chan, args);
    keys.pop();
    Ok(keys)
}

fn array_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    array(ctx, false, args, value)
}

/// `array()`: sets each named variable (or, for HASH, each key listed in
/// `~ODBCFIELDS~`) to the value at the same place; missing values blank.
fn array(ctx: &FuncCtx<'_>, ishash: bool, var: &str, value: &str) -> Result<(), Failed> {
    let origvar = var;
    let fields = if ishash {
        match ctx.var("~ODBCFIELDS~") {
            Some(f) => f,
            None => return Err(Failed),
        }
    } else {
        var.to_string()
    };
    let names = separate_args(&fields, b',', true, 100);
    let values = separate_args(value, b',', true, 100);
    for (i, name) in names.iter().enumerate() {
        match values.get(i) {
            Some(v) => {
                if ishash {
                    ctx.set_var(&key_var(origvar, name, true), Some(v));
                } else {
                    ctx.set_var(name, Some(v));
                }
            }
            None => {
                if ishash {
                    ctx.set_var(&key_var(origvar, name, false), Some(""));
                } else {
                    ctx.set_var(name, Some(""));
                }
            }
        }
    }
    Ok(())
}

fn hash_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    if !args.contains(',') {
        return array(ctx, true, args, value);
    }
    let a = separate_args(args, b',', true, 2);
    let hash = a.first().map_or("", String::as_str);
    // A missing key prints as glibc prints a NULL string.
    let key = a.get(1).map_or("(null)", String::as_str);
    ctx.set_var(&key_var(hash, key, true), Some(value));
    Ok(())
}

fn hash_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let a = separate_args(args, b',', true, 2);
    match a.len() {
        2 => Ok(ctx
            .var(&key_var(&a[0], &a[1], false))
            .map_or(String::new(), |v| cut(v, LEGACY_BUF))),
        1 => {
            let Some(chan) = ctx.chan else {
                ctx.warning(
                    crate::site!(FILE, 1542, "hash_read"),
                    &format!(
                        "No channel and only 1 parameter was provided to {} function.",
                        ctx.name
                    ),
                );
                return Err(Failed);
            };
            let mut colnames = cut(keys_with_commas(ctx, chan, &a[0]), LEGACY_BUF);
            colnames.pop();
            ctx.set_var("~ODBCFIELDS~", Some(&colnames));
            let mut out = String::new();
            for col in separate_args(&colnames, b',', true, 100) {
                let name = key_var(&a[0], &col, false);
                let Some(v) = ctx.var(&name) else {
                    ctx.warning(
                        crate::site!(FILE, 1563, "hash_read"),
                        &format!("No value found for '{name}'"),
                    );
                    return Err(Failed);
                };
                out.push_str(&v);
                out.push(',');
                out = cut(out, LEGACY_BUF);
            }
            out.pop();
            Ok(out)
        }
        _ => Ok(String::new()),
    }
}
