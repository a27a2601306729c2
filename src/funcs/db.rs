//! AstDB functions (Asterisk's `func_db.c`): DB, DB_EXISTS, DB_KEYS,
//! DB_KEYCOUNT, DB_DELETE.

use super::{Failed, FuncCtx, Function};
use crate::apps::separate_args;
use crate::core::logger::Site;

const FILE: &str = "func_db.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "DB",
            read: Some(db_read),
            write: Some(db_write),
            synopsis: "Reads or stores a value in AstDB, the persistent key/value store.",
            syntax: "DB(<family>/<key>)",
        },
        Function {
            name: "DB_EXISTS",
            read: Some(db_exists),
            write: None,
            synopsis: "Tells whether an AstDB key exists (1 or 0).",
            syntax: "DB_EXISTS(<family>/<key>)",
        },
        Function {
            name: "DB_KEYS",
            read: Some(db_keys),
            write: None,
            synopsis: "Lists the keys one level below a prefix in AstDB.",
            syntax: "DB_KEYS([<prefix>])",
        },
        Function {
            name: "DB_KEYCOUNT",
            read: Some(db_keycount),
            write: None,
            synopsis: "Counts the keys one level below a prefix in AstDB.",
            syntax: "DB_KEYCOUNT([<prefix>])",
        },
        Function {
            name: "DB_DELETE",
            read: Some(db_delete),
            write: Some(db_delete_write),
            synopsis: "Removes an AstDB key and returns the value it held.",
            syntax: "DB_DELETE(<family>/<key>)",
        },
    ]
}

/// `<family>/<key>`: the key is everything after the first `/`. Each
/// function logs `usage` from two places: `empty` for no argument at all,
/// `no_key` when the argument has no `/`.
fn family_key(
    ctx: &FuncCtx<'_>,
    args: &str,
    usage: &str,
    (empty, no_key): (&Site<'_>, &Site<'_>),
) -> Result<(String, String), Failed> {
    let mut parts = separate_args(args, '/', 2).into_iter();
    match (parts.next(), parts.next()) {
        (Some(family), Some(key)) if !args.is_empty() => Ok((family, key)),
        _ => {
            ctx.warning(if args.is_empty() { empty } else { no_key }, usage);
            Err(Failed)
        }
    }
}

/// AstDB failures are logged by the store in Asterisk; the function
/// carries on as if the key were absent.
fn logged<T>(ctx: &FuncCtx<'_>, r: Result<T, crate::core::astdb::DbError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            ctx.sys.pbx.logger.warning(
                crate::site!("db.c", 0, "db_execute_sql"),
                None,
                &e.to_string(),
            );
            None
        }
    }
}

fn db_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (family, key) = family_key(
        ctx,
        args,
        "DB requires an argument, DB(<family>/<key>)",
        (
            crate::site!(FILE, 173, "function_db_read"),
            crate::site!(FILE, 180, "function_db_read"),
        ),
    )?;
    match logged(ctx, ctx.sys.db.get(&family, &key)).flatten() {
        Some(value) => {
            ctx.set_var("DB_RESULT", Some(&value));
            Ok(value)
        }
        None => Ok(String::new()),
    }
}

fn db_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    if args.is_empty() {
        ctx.warning(
            crate::site!(FILE, 202, "function_db_write"),
            "DB requires an argument, DB(<family>/<key>)=<value>",
        );
        return Err(Failed);
    }
    let (family, key) = family_key(
        ctx,
        args,
        "DB requires an argument, DB(<family>/<key>)=value",
        (
            crate::site!(FILE, 209, "function_db_write"),
            crate::site!(FILE, 209, "function_db_write"),
        ),
    )?;
    if key.is_empty() || key.starts_with('/') || key.ends_with('/') || key.contains("//") {
        ctx.warning(
            crate::site!(FILE, 217, "function_db_write"),
            &format!("DB: key '{key}' seems malformed"),
        );
    }
    if logged(ctx, ctx.sys.db.put(&family, &key, value)).is_none() {
        ctx.warning(
            crate::site!(FILE, 220, "function_db_write"),
            "DB: Error writing value to database.",
        );
    }
    Ok(())
}

fn db_exists(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (family, key) = family_key(
        ctx,
        args,
        "DB_EXISTS requires an argument, DB(<family>/<key>)",
        (
            crate::site!(FILE, 243, "function_db_exists"),
            crate::site!(FILE, 250, "function_db_exists"),
        ),
    )?;
    match logged(ctx, ctx.sys.db.get(&family, &key)).flatten() {
        Some(value) => {
            ctx.set_var("DB_RESULT", Some(&value));
            Ok("1".into())
        }
        None => Ok("0".into()),
    }
}

/// The names one level below `prefix` (leading and trailing slashes
/// ignored), in key order, each with whether Asterisk puts a comma before
/// it: it skips a name equal (ignoring case) to the last one it kept,
/// starting from "", and puts the comma before every entry but the
/// database's first, kept or not.
fn child_keys(ctx: &FuncCtx<'_>, prefix: &str) -> Vec<(bool, String)> {
    let prefix = prefix.trim_matches('/');
    let entries = logged(ctx, ctx.sys.db.gettree(prefix, "")).unwrap_or_default();
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut last = String::new();
    for (i, e) in entries.iter().enumerate() {
        let mut cur = e.key.get(prefix.len() + 1..).unwrap_or("");
        cur = cur.strip_prefix('/').unwrap_or(cur);
        let cur = cur.split('/').next().unwrap_or("");
        if last.eq_ignore_ascii_case(cur) {
            continue;
        }
        last = cur.to_string();
        out.push((i > 0, last.clone()));
    }
    out
}

fn db_keys(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let mut out = String::new();
    for (comma, key) in child_keys(ctx, args) {
        if comma {
            out.push(',');
        }
        for c in key.chars() {
            if c == ',' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    Ok(out)
}

fn db_keycount(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(child_keys(ctx, args).len().to_string())
}

fn db_delete(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (family, key) = family_key(
        ctx,
        args,
        "DB_DELETE requires an argument, DB_DELETE(<family>/<key>)",
        (
            crate::site!(FILE, 387, "function_db_delete"),
            crate::site!(FILE, 394, "function_db_delete"),
        ),
    )?;
    let value = match logged(ctx, ctx.sys.db.get(&family, &key)).flatten() {
        Some(value) => {
            let _ = logged(ctx, ctx.sys.db.del(&family, &key));
            value
        }
        None => String::new(),
    };
    ctx.set_var("DB_RESULT", Some(&value));
    Ok(value)
}

fn db_delete_write(ctx: &FuncCtx<'_>, args: &str, _value: &str) -> Result<(), Failed> {
    db_delete(ctx, args).map(|_| ())
}
