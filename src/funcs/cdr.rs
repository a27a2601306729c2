//! CDR() and CDR_PROP() (Asterisk's `funcs/func_cdr.c`): the channel's
//! current call detail record, read and written through the CDR engine.

use std::time::SystemTime;

use super::{Failed, FuncCtx, Function, standard_args};
use crate::cdr::{Disposition, READONLY_VARS, amaflags_str, format_time};

const FILE: &str = "func_cdr.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "CDR",
            read: Some(cdr_read),
            write: Some(cdr_write),
            synopsis: "Reads or sets a field or variable of the channel's call detail record.",
            syntax: "CDR(name[,options])",
        },
        Function {
            name: "CDR_PROP",
            read: None,
            write: Some(cdr_prop_write),
            synopsis: "Sets a property (party_a, disable) of the channel's call detail records.",
            syntax: "CDR_PROP(property)",
        },
    ]
}

/// `secs.usecs` back to a time; `None` for zero.
fn parse_tv(raw: &str) -> Option<SystemTime> {
    let (s, u) = raw.split_once('.')?;
    let s: u64 = s.parse().ok()?;
    let u: u64 = u.parse().ok()?;
    if s == 0 {
        return None;
    }
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(s * 1_000_000 + u))
}

fn cdr_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 464, "cdr_read"))?;
    let a = standard_args(args);
    let name = a.first().cloned().unwrap_or_default();
    if name.is_empty() {
        ctx.warning(
            crate::site!(FILE, 278, "cdr_read_callback"),
            "CDR requires a variable (CDR(variable[,option]))\n)",
        );
        return Err(Failed);
    }
    let opts = a.get(1).cloned().unwrap_or_default();
    let unparsed = opts.contains('u');
    let float = opts.contains('f');
    let loaded = ctx.sys.loaded();
    let now = SystemTime::now();
    let get = |n: &str| {
        ctx.sys
            .cdr
            .with(|s| s.getvar(&chan.name, n, now, &loaded.cdr.general))
    };
    let Some(raw) = get(&name) else {
        ctx.error(
            crate::site!("cdr.c", 3481, "ast_cdr_getvar"),
            &format!("Unable to find CDR for channel {}", chan.name),
        );
        return Err(Failed);
    };
    let lname = name.to_ascii_lowercase();
    if float && (lname == "billsec" || lname == "duration") {
        let from = get(if lname == "billsec" {
            "answer"
        } else {
            "start"
        })
        .as_deref()
        .and_then(parse_tv);
        let to = get("end").as_deref().and_then(parse_tv).unwrap_or(now);
        let delta = match from {
            Some(f) => match to.duration_since(f) {
                Ok(d) => d.as_micros() as f64 / 1e6,
                Err(e) => -(e.duration().as_micros() as f64 / 1e6),
            },
            None => 0.0,
        };
        return Ok(format!("{delta:.6}"));
    }
    if unparsed {
        return Ok(raw);
    }
    Ok(match lname.as_str() {
        "start" | "end" | "answer" => parse_tv(&raw)
            .map(|t| format_time(t, false))
            .unwrap_or_default(),
        "disposition" => raw
            .parse::<i64>()
            .ok()
            .and_then(Disposition::from_number)
            .map(|d| d.as_str().to_string())
            .unwrap_or_else(|| "UNKNOWN".to_string()),
        "amaflags" => amaflags_str(raw.parse().unwrap_or(0)).to_string(),
        _ => raw,
    })
}

fn cdr_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 527, "cdr_write"))?;
    let a = standard_args(args);
    let name = a.first().cloned().unwrap_or_default();
    if name.is_empty() {
        ctx.warning(
            crate::site!(FILE, 531, "cdr_write"),
            "CDR requires a variable (CDR(variable)=value)\n)",
        );
        return Err(Failed);
    }
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "accountcode" => {
            ctx.warning(
                crate::site!(FILE, 546, "cdr_write"),
                "Using the CDR function to set 'accountcode' is deprecated. Please use the CHANNEL function instead.",
            );
            chan.lock().accountcode = value.to_string();
            chan.publish_snapshot();
            return Ok(());
        }
        "amaflags" => {
            ctx.warning(
                crate::site!(FILE, 556, "cdr_write"),
                "Using the CDR function to set 'amaflags' is deprecated. Please use the CHANNEL function instead.",
            );
            let flags = if value.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                super::c::scan_long(value, usize::MAX)
                    .and_then(|(n, _)| u32::try_from(n).ok())
                    .unwrap_or(0)
            } else {
                match value.to_ascii_lowercase().as_str() {
                    "default" | "documentation" => 3,
                    "omit" => 1,
                    "billing" => 2,
                    _ => 0,
                }
            };
            chan.lock().amaflags = flags;
            chan.publish_snapshot();
            return Ok(());
        }
        "peeraccount" => {
            ctx.warning(
                crate::site!(FILE, 571, "cdr_write"),
                "The 'peeraccount' setting is not supported. Please set the 'accountcode' on the appropriate channel using the CHANNEL function.",
            );
            return Ok(());
        }
        "userfield" => {
            ctx.sys.cdr.with(|s| s.set_userfield(&chan.name, value));
            return Ok(());
        }
        _ => {}
    }
    // Fields the engine keeps itself: `CDR(x)=…` on them is refused.
    if READONLY_VARS.contains(&lname.as_str()) {
        ctx.error(
            crate::site!("cdr.c", 3326, "ast_cdr_setvar"),
            &format!("Attempt to set the '{name}' read-only variable!"),
        );
        return Ok(());
    }
    if !ctx.sys.cdr.with(|s| s.setvar(&chan.name, &name, value)) {
        ctx.error(
            crate::site!("cdr.c", 3333, "ast_cdr_setvar"),
            &format!("Unable to find CDR for channel {}", chan.name),
        );
    }
    Ok(())
}

fn cdr_prop_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 620, "cdr_prop_write"))?;
    let a = standard_args(args);
    let name = a.first().cloned().unwrap_or_default();
    if name.is_empty() {
        ctx.warning(
            crate::site!(FILE, 427, "cdr_prop_write_callback"),
            "CDR_PROP requires a variable (CDR_PROP(variable)=value)\n)",
        );
        return Err(Failed);
    }
    if value.is_empty() {
        ctx.warning(
            crate::site!(FILE, 432, "cdr_prop_write_callback"),
            "CDR_PROP requires a value (CDR_PROP(variable)=value)\n)",
        );
        return Err(Failed);
    }
    let disable = if name.eq_ignore_ascii_case("party_a") {
        false
    } else if name.eq_ignore_ascii_case("disable") {
        true
    } else {
        ctx.warning(
            crate::site!(FILE, 444, "cdr_prop_write_callback"),
            &format!("Unknown option {name} used with CDR_PROP"),
        );
        return Err(Failed);
    };
    let set = crate::config::is_true(value);
    ctx.sys
        .cdr
        .with(|s| s.set_property(&chan.name, disable, set));
    Ok(())
}
