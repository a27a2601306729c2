//! Applications built into the PBX core (Asterisk's `main/pbx_builtins.c`
//! and the Set/MSet of `main/pbx_variables.c`).

use std::time::Duration;

use super::{
    App, AppCtx, AppExit, AppFuture, AppResult, Run, check_condition, split_app_call, split_args,
};
use crate::channels::{ChanState, Indication, causes};
use crate::pbx::run::parseable_goto;
use crate::pbx::timing::Timing;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Answer",
            run: Run::Wait(answer),
            synopsis: "Answers the channel if it is ringing.",
            syntax: "Answer([delay[,options]])",
        },
        App {
            name: "Busy",
            run: Run::Wait(busy),
            synopsis: "Signals busy, then waits for the caller to hang up.",
            syntax: "Busy([timeout])",
        },
        App {
            name: "Congestion",
            run: Run::Wait(congestion),
            synopsis: "Signals congestion, then waits for the caller to hang up.",
            syntax: "Congestion([timeout])",
        },
        App {
            name: "ExecIfTime",
            run: Run::Wait(execiftime),
            synopsis: "Runs an application when the time matches a time specification.",
            syntax: "ExecIfTime(times,weekdays,mdays,months[,timezone]?appname[(appargs)])",
        },
        App {
            name: "Goto",
            run: Run::Now(goto),
            synopsis: "Jumps to a priority, extension and context.",
            syntax: "Goto([[context,]extension,]priority)",
        },
        App {
            name: "GotoIf",
            run: Run::Now(gotoif),
            synopsis: "Jumps to one of two places depending on a condition.",
            syntax: "GotoIf(condition?[labeliftrue][:labeliffalse])",
        },
        App {
            name: "GotoIfTime",
            run: Run::Now(gotoiftime),
            synopsis: "Jumps to one of two places depending on the time.",
            syntax: "GotoIfTime(times,weekdays,mdays,months[,timezone]?[labeliftrue][:labeliffalse])",
        },
        App {
            name: "Hangup",
            run: Run::Now(hangup),
            synopsis: "Hangs the channel up, optionally with a cause.",
            syntax: "Hangup([causecode])",
        },
        App {
            name: "ImportVar",
            run: Run::Now(importvar),
            synopsis: "Copies a variable from another channel.",
            syntax: "ImportVar(newvar=channelname,variable)",
        },
        App {
            name: "Incomplete",
            run: Run::Now(incomplete),
            synopsis: "Asks for more digits before matching.",
            syntax: "Incomplete([n])",
        },
        App {
            name: "MSet",
            run: Run::Now(mset),
            synopsis: "Sets several variables at once.",
            syntax: "MSet(name1=value1[,name2=value2[,...]])",
        },
        App {
            name: "NoOp",
            run: Run::Now(noop),
            synopsis: "Does nothing; its arguments show in the verbose log.",
            syntax: "NoOp([text])",
        },
        App {
            name: "Proceeding",
            run: Run::Now(proceeding),
            synopsis: "Signals that the call is proceeding.",
            syntax: "Proceeding()",
        },
        App {
            name: "Progress",
            run: Run::Now(progress),
            synopsis: "Signals in-band progress (early media).",
            syntax: "Progress()",
        },
        App {
            name: "RaiseException",
            run: Run::Now(raise),
            synopsis: "Jumps to the 'e' extension with a reason.",
            syntax: "RaiseException(reason)",
        },
        App {
            name: "Ringing",
            run: Run::Now(ringing),
            synopsis: "Signals ringing to the caller.",
            syntax: "Ringing()",
        },
        App {
            name: "Set",
            run: Run::Now(set),
            synopsis: "Sets a channel variable or writes a function.",
            syntax: "Set(name=value)",
        },
        App {
            name: "SetAMAFlags",
            run: Run::Now(setamaflags),
            synopsis: "Sets the channel's AMA flags (deprecated: CHANNEL(amaflags)).",
            syntax: "SetAMAFlags([flag])",
        },
        App {
            name: "Wait",
            run: Run::Wait(wait),
            synopsis: "Waits a number of seconds.",
            syntax: "Wait(seconds)",
        },
        App {
            name: "WaitDigit",
            run: Run::Wait(waitdigit),
            synopsis: "Waits for one digit, optionally one of a set.",
            syntax: "WaitDigit([seconds[,digits]])",
        },
    ]
}

/// `pbx_builtin_setamaflags`: a number as given, else a flag's name.
fn setamaflags(ctx: &AppCtx, data: &str) -> AppResult {
    ctx.warning(
        crate::site!("pbx_builtins.c", 986, "pbx_builtin_setamaflags"),
        "The SetAMAFlags application is deprecated. Please use the CHANNEL function instead.",
    );
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_builtins.c", 989, "pbx_builtin_setamaflags"),
            "No parameter passed to SetAMAFlags",
        );
        return Ok(());
    }
    let flags = if data.as_bytes()[0].is_ascii_digit() {
        // `%30d` of a string that starts with a digit always reads.
        crate::funcs::c::scan_long(data, 30).map_or(0, |(n, _)| n as u32)
    } else {
        crate::funcs::channel::amaflag(data)
    };
    ctx.chan.lock().amaflags = flags;
    Ok(())
}

/// `ast_app_parse_timelen`: a number with an optional unit (`h`, `m`,
/// `s`, `ms`, any case); `unit_ms` is what a bare number counts. None
/// when it does not read so.
pub fn parse_timelen(s: &str, unit_ms: f64) -> Option<i32> {
    let (amount, used) = crate::funcs::c::scan_double_w(s, 30)?;
    let rest = s.get(used..).unwrap_or("").trim_start();
    // `%9s`: the next word, at most nine characters of it.
    let unit: Vec<u8> = rest
        .bytes()
        .take_while(|b| !crate::funcs::c::is_space(*b))
        .take(9)
        .collect();
    let scale = match unit.as_slice() {
        [] => unit_ms,
        [b'h' | b'H'] => 3_600_000.0,
        [b's' | b'S'] => 1000.0,
        [b'm' | b'M'] => 60_000.0,
        [b'm' | b'M', b's' | b'S'] => 1.0,
        _ => return None,
    };
    let ms = amount * scale;
    Some(if ms > f64::from(i32::MAX) {
        i32::MAX
    } else {
        crate::funcs::c::d2i(ms)
    })
}

/// Any digit `ast_waitfordigit_full` can return (`AST_DIGIT_ANY`).
const DIGIT_ANY: &str = "0123456789#*ABCD";

fn waitdigit<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::separate_args(&data, ',', 2);
        let ms = args
            .first()
            .and_then(|t| parse_timelen(t, 1000.0))
            .filter(|ms| *ms >= 0);
        let Some(ms) = ms else {
            ctx.set_var("WAITDIGITSTATUS", Some("ERROR"));
            return Ok(());
        };
        let digits = args
            .get(1)
            .map(String::as_str)
            .filter(|d| !d.is_empty())
            .unwrap_or(DIGIT_ANY);
        let until = std::time::Instant::now() + Duration::from_millis(ms as u64);
        let mut got = None;
        // A hung-up channel is cancelled even with no time to wait.
        let mut cancelled = ctx.chan.check_hangup();
        while !cancelled {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match ctx.chan.wait_digit(left).await {
                // Other digits are read and dropped.
                Ok(Some(d)) if digits.contains(d) => {
                    got = Some(d);
                    break;
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => cancelled = true,
            }
        }
        if cancelled {
            ctx.set_var("WAITDIGITSTATUS", Some("CANCEL"));
            return Err(AppExit::Hangup);
        }
        match got {
            Some(d) => {
                ctx.set_var("WAITDIGITRESULT", Some(&d.to_string()));
                ctx.set_var("WAITDIGITSTATUS", Some("DTMF"));
            }
            None => ctx.set_var("WAITDIGITSTATUS", Some("TIMEOUT")),
        }
        Ok(())
    })
}

fn noop(_: &AppCtx, _: &str) -> AppResult {
    Ok(())
}

fn answer<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = split_args(&data, ',');
        let mut delay_ms = 0i64;
        if let Some(d) = args.first().filter(|d| !d.is_empty()) {
            if ctx.chan.state() != ChanState::Up {
                delay_ms = atoi(d).max(0);
            }
        }
        if args.get(1).is_some_and(|o| o.eq_ignore_ascii_case("nocdr")) {
            ctx.warning(
                crate::site!("pbx_builtins.c", 953, "pbx_builtin_answer"),
                "The nocdr option for the Answer application has been removed and is no longer supported.",
            );
        }
        let was_up = ctx.chan.state() == ChanState::Up;
        ctx.chan.answer();
        if !was_up {
            let seen_before = ctx.chan.media_seen();
            // Asterisk then makes sure media flows: with a delay it waits
            // max(delay, 500 ms) whatever arrives; without one it stops at
            // the first frame from the device (a phone that sends RTP at
            // once, like baresip) or after 500 ms (SIPp sends none).
            let ms = Duration::from_millis(delay_ms.max(500) as u64);
            if delay_ms > 0 {
                ctx.chan.sleep(ms).await.map_err(|_| AppExit::Hangup)?;
            } else if let Ok(r) =
                tokio::time::timeout(ms, ctx.chan.wait_for(|c| c.media_seen())).await
            {
                r.map_err(|_| AppExit::Hangup)?;
            }
            if !seen_before {
                ctx.chan.requeue_first_media();
            }
        }
        Ok(())
    })
}

/// `ast_answer` as applications call it (Playback, Read, Record...): the
/// channel is answered and, if it was ringing, media gets up to 500 ms
/// to start flowing (a frame from the device ends the wait early).
pub async fn answer_and_wait(ctx: &AppCtx) -> AppResult {
    let old = ctx.chan.state();
    let seen_before = ctx.chan.media_seen();
    ctx.chan.answer();
    if matches!(old, ChanState::Ring | ChanState::Ringing) {
        if let Ok(r) = tokio::time::timeout(
            Duration::from_millis(500),
            ctx.chan.wait_for(|c| c.media_seen()),
        )
        .await
        {
            r.map_err(|_| AppExit::Hangup)?;
        }
        if !seen_before {
            ctx.chan.requeue_first_media();
        }
    }
    Ok(())
}

/// C's `atoi`: leading blanks, sign, digits; anything else stops it.
pub fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let v: i64 = digits[..end].parse().unwrap_or(0);
    if neg { -v } else { v }
}

/// Parses a `%lg` number the way `sscanf` would: the longest numeric prefix.
pub fn parse_float_prefix(s: &str) -> Option<f64> {
    let t = s.trim_start();
    let mut end = 0;
    for i in (1..=t.len()).rev() {
        if t.is_char_boundary(i) && t[..i].parse::<f64>().is_ok() {
            end = i;
            break;
        }
    }
    if end == 0 {
        None
    } else {
        t[..end].parse().ok()
    }
}

fn hangup(ctx: &AppCtx, data: &str) -> AppResult {
    let mut cause: i64 = 0;
    if !data.is_empty() {
        cause = causes::by_name(data).map(i64::from).unwrap_or(0);
        if cause <= 0 {
            let t = data.trim_start();
            let parsed = t
                .bytes()
                .next()
                .filter(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
                .map(|_| atoi(t));
            match parsed {
                Some(n) if n > 0 => cause = n,
                _ => {
                    ctx.warning(
                        crate::site!("pbx_builtins.c", 1022, "pbx_builtin_hangup"),
                        &format!("Invalid cause given to Hangup(): \"{data}\""),
                    );
                    cause = 0;
                }
            }
        }
    }
    {
        let mut d = ctx.chan.lock();
        if cause <= 0 {
            cause = i64::from(d.hangupcause);
            if cause <= 0 {
                cause = i64::from(causes::NORMAL_CLEARING);
            }
        }
        d.hangupcause = u32::try_from(cause).unwrap_or(causes::NORMAL_CLEARING);
    }
    ctx.chan
        .softhangup_quiet(crate::channels::softhangup::EXPLICIT);
    Err(AppExit::Hangup)
}

/// Waits `data` seconds (or until hangup when absent), as `wait_for_hangup`.
async fn wait_for_hangup(ctx: &AppCtx, data: &str) {
    let secs = parse_float_prefix(data).filter(|s| *s >= 0.0);
    match secs {
        Some(s) => {
            let _ = ctx.chan.sleep(Duration::from_secs_f64(s.min(1e9))).await;
        }
        None => {
            let _ = ctx.chan.wait_for(|_| false).await;
        }
    }
}

pub async fn indicate_busy(ctx: &AppCtx, data: &str) -> AppResult {
    // The state and cause first: a driver that ends the call on the
    // indication (pjsip) reports it in that state and with that cause.
    if ctx.chan.state() != ChanState::Up {
        ctx.chan.lock().hangupcause = causes::USER_BUSY;
        ctx.chan.set_state(ChanState::Busy);
    }
    ctx.chan.indicate(Indication::Busy);
    wait_for_hangup(ctx, data).await;
    Err(AppExit::Hangup)
}

pub async fn indicate_congestion(ctx: &AppCtx, data: &str) -> AppResult {
    // The state and cause first: a driver that ends the call on the
    // indication (pjsip) reports it in that state and with that cause.
    if ctx.chan.state() != ChanState::Up {
        ctx.chan.lock().hangupcause = causes::CONGESTION;
        ctx.chan.set_state(ChanState::Busy);
    }
    ctx.chan.indicate(Indication::Congestion);
    wait_for_hangup(ctx, data).await;
    Err(AppExit::Hangup)
}

fn busy<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { indicate_busy(ctx, &data).await })
}

fn congestion<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { indicate_congestion(ctx, &data).await })
}

fn progress(ctx: &AppCtx, _: &str) -> AppResult {
    ctx.chan.indicate(Indication::Progress);
    Ok(())
}

fn ringing(ctx: &AppCtx, _: &str) -> AppResult {
    ctx.chan.indicate(Indication::Ringing);
    Ok(())
}

fn proceeding(ctx: &AppCtx, _: &str) -> AppResult {
    ctx.chan.indicate(Indication::Proceeding);
    Ok(())
}

fn incomplete(_: &AppCtx, _: &str) -> AppResult {
    Err(AppExit::Incomplete)
}

fn wait<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if let Some(secs) = parse_float_prefix(&data).filter(|s| *s > 0.0) {
            let ms = (secs * 1000.0) as u64;
            if ms > 0 {
                ctx.chan
                    .sleep(Duration::from_millis(ms))
                    .await
                    .map_err(|_| AppExit::Hangup)?;
            }
        }
        Ok(())
    })
}

/// `Goto` logs where it went (priority as the next one to run).
pub fn goto_and_log(ctx: &AppCtx, target: &str) -> AppResult {
    if parseable_goto(ctx, target).is_err() {
        return Err(AppExit::Hangup);
    }
    let (c, e, p) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.exten.clone(), d.priority)
    };
    ctx.verbose(
        3,
        crate::site!("pbx_builtins.c", 1051, "pbx_builtin_goto"),
        &format!("Goto ({c},{e},{})", p + 1),
    );
    Ok(())
}

fn goto(ctx: &AppCtx, data: &str) -> AppResult {
    goto_and_log(ctx, data)
}

fn gotoif(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_builtins.c", 1423, "pbx_builtin_gotoif"),
            "Ignoring, since there is no variable to check",
        );
        return Ok(());
    }
    let (cond, rest) = match data.split_once('?') {
        Some((c, r)) => (c, Some(r)),
        None => (data, None),
    };
    let (b1, b2) = match rest {
        Some(r) => match r.split_once(':') {
            Some((a, b)) => (Some(a), Some(b)),
            None => (Some(r), None),
        },
        None => (None, None),
    };
    let branch = if check_condition(cond) { b1 } else { b2 };
    match branch.filter(|b| !b.is_empty()) {
        Some(b) => goto_and_log(ctx, b),
        None => Ok(()),
    }
}

fn gotoiftime(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_builtins.c", 1072, "pbx_builtin_gotoiftime"),
            "GotoIfTime requires an argument:\n  <time range>,<days of week>,<days of month>,<months>[,<timezone>]?'labeliftrue':'labeliffalse'",
        );
        return Err(AppExit::Hangup);
    }
    let (spec, rest) = match data.split_once('?') {
        Some((s, r)) => (s, r),
        None => (data, ""),
    };
    let (b1, b2) = match rest.split_once(':') {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    };
    let timing = Timing::parse(&spec.replace(',', "|"));
    for w in &timing.warnings {
        ctx.warning(&w.site, &w.message);
    }
    let branch = if timing.matches_now() { b1 } else { b2 };
    if branch.is_empty() {
        return Ok(());
    }
    goto_and_log(ctx, branch)
}

fn execiftime<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let usage = "ExecIfTime requires an argument:\n  <time range>,<days of week>,<days of month>,<months>[,<timezone>]?<appname>[(<appargs>)]";
        if data.is_empty() {
            ctx.warning(
                crate::site!("pbx_builtins.c", 1119, "pbx_builtin_execiftime"),
                usage,
            );
            return Err(AppExit::Hangup);
        }
        let Some((spec, call)) = data.split_once('?') else {
            ctx.warning(
                crate::site!("pbx_builtins.c", 1127, "pbx_builtin_execiftime"),
                usage,
            );
            return Err(AppExit::Hangup);
        };
        let timing = Timing::parse(&spec.replace(',', "|"));
        for w in &timing.warnings {
            ctx.warning(&w.site, &w.message);
        }
        if !timing.matches_now() {
            return Ok(());
        }
        let (name, args) = split_app_call_paren(call);
        super::exec::exec_application(ctx, name, args).await
    })
}

/// `name(args)` where a missing `(` means no arguments.
fn split_app_call_paren(call: &str) -> (&str, &str) {
    if call.contains('(') {
        split_app_call(call)
    } else {
        (call, "")
    }
}

fn set(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_variables.c", 1296, "pbx_builtin_setvar"),
            "Set requires one variable name/value pair.",
        );
        return Ok(());
    }
    let Some((name, value)) = data.split_once('=') else {
        ctx.warning(
            crate::site!("pbx_variables.c", 1304, "pbx_builtin_setvar"),
            "Set requires an '=' to be a valid assignment.",
        );
        return Ok(());
    };
    if name.contains(' ') {
        ctx.warning(
            crate::site!("pbx_variables.c", 1309, "pbx_builtin_setvar"),
            &format!("Please avoid unnecessary spaces on variables as it may lead to unexpected results ('{name}' set to '{value}')."),
        );
    }
    ctx.set_var(name, Some(value));
    Ok(())
}

fn mset(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_variables.c", 1330, "pbx_builtin_setvar_multiple"),
            "MSet requires at least one variable name/value pair.",
        );
        return Ok(());
    }
    for pair in split_args(data, ',').into_iter().take(99) {
        let parts = split_args(&pair, '=');
        if parts.len() == 2 {
            ctx.set_var(&parts[0], Some(&parts[1]));
            if parts[0].contains(' ') {
                ctx.warning(
                    crate::site!("pbx_variables.c", 1342, "pbx_builtin_setvar_multiple"),
                    &format!(
                        "Please avoid unnecessary spaces on variables as it may lead to unexpected results ('{}' set to '{}').",
                        parts[0], parts[1]
                    ),
                );
            }
        } else {
            let name = parts.first().cloned().unwrap_or_default();
            let (c, e, p) = {
                let d = ctx.chan.lock();
                (d.context.clone(), d.exten.clone(), d.priority)
            };
            ctx.warning(
                crate::site!("pbx_variables.c", 1346, "pbx_builtin_setvar_multiple"),
                &format!("MSet: ignoring entry '{name}' with no '=' (in {e}@{c}:{p}"),
            );
        }
    }
    Ok(())
}

fn importvar(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("pbx_builtins.c", 1641, "pbx_builtin_importvar"),
            "Ignoring, since there is no variable to set",
        );
        return Ok(());
    }
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        ctx.warning(
            crate::site!("pbx_builtins.c", 1646, "pbx_builtin_importvar"),
            "ImportVar is deprecated.  Please use Set(varname=${IMPORT(channel,variable)}) instead.",
        );
    }
    let Some((name, rest)) = data.split_once('=') else {
        return Ok(());
    };
    let Some((channel, variable)) = rest.split_once(',') else {
        return Ok(());
    };
    let value = match ctx.sys.pbx.channels.by_name(channel) {
        Some(other) => {
            crate::pbx::subst::substitute(&ctx.sys, Some(&other), &format!("${{{variable}}}"))
        }
        None => String::new(),
    };
    ctx.set_var(name, Some(&value));
    Ok(())
}

fn raise(ctx: &AppCtx, data: &str) -> AppResult {
    crate::pbx::run::raise_exception(&ctx.chan, data, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_timelen;

    #[test]
    fn time_lengths_read_as_ast_app_parse_timelen() {
        assert_eq!(parse_timelen("5", 1000.0), Some(5000));
        assert_eq!(parse_timelen("1.5", 1000.0), Some(1500));
        assert_eq!(parse_timelen("250ms", 1000.0), Some(250));
        assert_eq!(parse_timelen("2 m", 1000.0), Some(120_000));
        assert_eq!(parse_timelen("1H", 1000.0), Some(3_600_000));
        assert_eq!(parse_timelen("5x", 1000.0), None);
        assert_eq!(parse_timelen("", 1000.0), None);
        assert_eq!(parse_timelen("-1", 1000.0), Some(-1000));
    }
}
