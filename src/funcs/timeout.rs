//! TIMEOUT (Asterisk's `func_timeout.c`) and EXCEPTION (kept in Asterisk's
//! `main/pbx.c`): the channel's absolute, response and digit timeouts, and
//! the last exception the dialplan raised.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_timeout.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "TIMEOUT",
            read: Some(timeout_read),
            write: Some(timeout_write),
            synopsis: "Reads or sets the channel's absolute, response or digit timeout.",
            syntax: "TIMEOUT(timeouttype)",
        },
        Function {
            name: "EXCEPTION",
            read: Some(exception_read),
            write: None,
            synopsis: "Tells why and where the last dialplan exception was raised.",
            syntax: "EXCEPTION(field)",
        },
    ]
}

fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

fn timeout_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let d = chan.lock();
    match args.bytes().next().map(|b| b.to_ascii_lowercase()) {
        Some(b'a') => Ok(match d.when_to_hangup {
            None => "0".into(),
            Some(t) => {
                let now = Instant::now();
                let ms = if t >= now {
                    (t - now).as_millis() as f64
                } else {
                    -((now - t).as_millis() as f64)
                };
                format!("{:.3}", ms / 1000.0)
            }
        }),
        Some(b'r') => Ok(if d.has_pbx {
            seconds(d.response_timeout_ms)
        } else {
            String::new()
        }),
        Some(b'd') => Ok(if d.has_pbx {
            seconds(d.digit_timeout_ms)
        } else {
            String::new()
        }),
        _ => {
            drop(d);
            ctx.error(
                crate::site!(FILE, 117, "timeout_read"),
                "Unknown timeout type specified.",
            );
            Err(Failed)
        }
    }
}

/// `sscanf(value, "%ld%lf")`: whole seconds, then an optional fraction
/// read as a float right after them (`1.5` gives 1 and .5).
fn parse_when(value: &str) -> Duration {
    let t = value.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = rest
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    let Ok(secs) = rest[..end].parse::<u64>() else {
        return Duration::ZERO;
    };
    if neg {
        return Duration::ZERO;
    }
    let frac = crate::funcs::c::scan_double(&rest[end..])
        .filter(|f| f.is_finite() && *f > 0.0)
        .map(|f| (f * 1_000_000.0) as u64)
        .unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(frac)
}

fn timeout_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let when = parse_when(value);
    match args.bytes().next().map(|b| b.to_ascii_lowercase()) {
        Some(b'a') => {
            chan.lock().when_to_hangup = (!when.is_zero()).then(|| Instant::now() + when);
            if when.is_zero() {
                ctx.sys.pbx.logger.verbose(
                    3,
                    crate::site!(FILE, 169, "timeout_write"),
                    None,
                    "Channel hangup cancelled.",
                );
            } else {
                let at = SystemTime::now() + when;
                let (secs, usec) = at
                    .duration_since(UNIX_EPOCH)
                    .map(|d| (d.as_secs() as i64, d.subsec_micros() as i64))
                    .unwrap_or((0, 0));
                let text = crate::core::tz::localtime(secs, usec, None)
                    .and_then(|tm| {
                        crate::funcs::time::ast_strftime(b"%Y-%m-%d %H:%M:%S.%3q %Z", &tm)
                    })
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                ctx.sys.pbx.logger.verbose(
                    3,
                    crate::site!(FILE, 167, "timeout_write"),
                    None,
                    &format!("Channel will hangup at {text}."),
                );
            }
            chan.wake();
        }
        Some(b'r') => {
            let mut d = chan.lock();
            if d.has_pbx {
                d.response_timeout_ms = when.as_millis() as u64;
                let msg = format!("Response timeout set to {}", seconds(d.response_timeout_ms));
                drop(d);
                ctx.sys
                    .pbx
                    .logger
                    .verbose(3, crate::site!(FILE, 178, "timeout_write"), None, &msg);
            }
        }
        Some(b'd') => {
            let mut d = chan.lock();
            if d.has_pbx {
                d.digit_timeout_ms = when.as_millis() as u64;
                let msg = format!("Digit timeout set to {}", seconds(d.digit_timeout_ms));
                drop(d);
                ctx.sys
                    .pbx
                    .logger
                    .verbose(3, crate::site!(FILE, 186, "timeout_write"), None, &msg);
            }
        }
        _ => ctx.error(
            crate::site!(FILE, 191, "timeout_write"),
            "Unknown timeout type specified.",
        ),
    }
    Ok(())
}

fn exception_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.chan.ok_or(Failed)?;
    let d = chan.lock();
    let e = d.exception.as_ref().ok_or(Failed)?;
    let is = |w: &str| args.eq_ignore_ascii_case(w);
    if is("REASON") {
        Ok(e.reason.clone())
    } else if is("CONTEXT") {
        Ok(e.context.clone())
    } else if args.len() >= 5 && args[..5].eq_ignore_ascii_case("EXTEN") {
        Ok(e.exten.clone())
    } else if is("PRIORITY") {
        Ok(e.priority.to_string())
    } else {
        Err(Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_values_parse_as_sscanf_does() {
        assert_eq!(parse_when("10"), Duration::from_secs(10));
        assert_eq!(parse_when("1.5"), Duration::from_millis(1500));
        assert_eq!(parse_when(" 2.25x"), Duration::from_millis(2250));
        assert_eq!(parse_when("-3"), Duration::ZERO);
        assert_eq!(parse_when("abc"), Duration::ZERO);
        assert_eq!(parse_when(""), Duration::ZERO);
        assert_eq!(parse_when("99999999999999999999999"), Duration::ZERO);
    }
}
