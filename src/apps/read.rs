//! Read (Asterisk's `app_read.c`, with `ast_app_getdata_terminator` and
//! `ast_readstring` of `main/app.c` and `main/channel.c`): plays prompts
//! or an indication tone, collects digits into a variable, sets
//! READSTATUS (OK, ERROR, HANGUP, INTERRUPTED, SKIPPED, TIMEOUT).

use std::time::Duration;

use super::builtins::parse_float_prefix;
use super::playback::{Streamed, start_file, wait_stream};
use super::playtones::{indication_tone, playtones_start};
use super::say::DIGIT_ANY;
use super::{App, AppCtx, AppFuture, AppResult, Run, options, split_args};
use crate::channels::ChanState;
use crate::config::views::values::atoi_i32;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Read",
        run: Run::Wait(read),
        synopsis: "Reads digits from the caller into a variable.",
        syntax: "Read(variable[,filename[&filename2[&...]]][,maxdigits][,options][,attempts][,timeout])",
    }]
}

/// `enum ast_getdata_result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetData {
    /// -1: hangup, or the last prompt did not open.
    Failed,
    Complete,
    Timeout,
    Interrupted,
    /// A terminator with nothing before it.
    EmptyEndTerminated,
}

/// The response and inter-digit timeouts (`pbx->rtimeoutms`,
/// `pbx->dtimeoutms`), or Asterisk's fallbacks for a channel with no PBX.
fn pbx_timeouts(ctx: &AppCtx) -> (i64, i64) {
    let d = ctx.chan.lock();
    if d.has_pbx {
        (d.response_timeout_ms as i64, d.digit_timeout_ms as i64)
    } else {
        (6000, 2000)
    }
}

async fn wait_digit(ctx: &AppCtx, ms: i64) -> Result<Option<char>, ()> {
    let ms = u64::try_from(ms).unwrap_or(0);
    ctx.chan
        .wait_digit(Duration::from_millis(ms))
        .await
        .map_err(|_| ())
}

/// `ast_readstring`: digits until a terminator in `enders`, `len` digits,
/// or a timeout (`ftimeout` for the first digit, `timeout` after). A
/// prompt still playing (`prompt`, its source generation) is interrupted
/// by any digit.
pub async fn readstring(
    ctx: &AppCtx,
    prompt: Option<u64>,
    s: &mut String,
    len: usize,
    timeout: i64,
    ftimeout: i64,
    enders: &str,
) -> GetData {
    if ctx.chan.check_hangup() || len == 0 {
        return GetData::Failed;
    }
    let mut to = ftimeout;
    let mut prompt = prompt;
    loop {
        let d = match prompt.take() {
            Some(generation) => {
                let streamed = wait_stream(ctx, generation, DIGIT_ANY).await;
                ctx.chan.stop_stream();
                match streamed {
                    Streamed::Digit(c) => Ok(Some(c)),
                    Streamed::Hangup => Err(()),
                    Streamed::Done | Streamed::Failed => wait_digit(ctx, to).await,
                }
            }
            None => wait_digit(ctx, to).await,
        };
        let c = match d {
            Err(()) => return GetData::Failed,
            Ok(None) => return GetData::Timeout,
            Ok(Some(c)) => c,
        };
        let ends = enders.contains(c);
        if ends && s.is_empty() {
            return GetData::EmptyEndTerminated;
        }
        if !ends {
            s.push(c);
        }
        if ends || s.chars().count() >= len {
            return GetData::Complete;
        }
        to = timeout;
    }
}

/// One piece of an `&` list as `ast_strsep(.., '&', STRIP | TRIM)` cuts
/// it; `rest` becomes `None` after the last piece.
fn strsep_prompt(rest: &mut Option<&str>) -> Option<String> {
    crate::funcs::c::strsep(rest, b'&', crate::funcs::c::Strsep::STRIP_TRIM)
}

/// `ast_app_getdata_terminator`: each prompt of the `&` list plays in
/// turn, interruptible; between prompts a digit may start the answer
/// (50 ms), after the last one the full timeouts apply (`timeout` ms if
/// positive, the PBX's otherwise, "forever" if negative).
pub async fn getdata(
    ctx: &AppCtx,
    prompt: &str,
    s: &mut String,
    maxlen: usize,
    timeout: i64,
    terminator: &str,
) -> GetData {
    s.clear();
    let mut rest = Some(prompt);
    let mut res = GetData::Complete;
    while let Some(front) = strsep_prompt(&mut rest) {
        let mut playing = None;
        if !front.is_empty() {
            match start_file(ctx, &front) {
                Some(g) => playing = Some(g),
                None => {
                    res = GetData::Failed;
                    continue;
                }
            }
        }
        let (rto, dto) = pbx_timeouts(ctx);
        let last = rest.is_none_or(str::is_empty);
        let (fto, to) = if last {
            match timeout {
                t if t > 0 => (t, t),
                t if t < 0 => (1_000_000_000, 1_000_000_000),
                _ => (rto, dto),
            }
        } else {
            (50, dto)
        };
        res = readstring(ctx, playing, s, maxlen, to, fto, terminator).await;
        if res == GetData::EmptyEndTerminated || !s.is_empty() {
            return res;
        }
    }
    res
}

fn read<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { read_exec(ctx, &data).await })
}

async fn read_exec(ctx: &AppCtx, data: &str) -> AppResult {
    ctx.set_var("READSTATUS", Some("ERROR"));
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_read.c", 188, "read_exec"),
            "Read requires an argument (variable)",
        );
        return Ok(());
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let opts = if arg(3).is_empty() {
        options::Options::default()
    } else {
        // Asterisk goes on with no options when the string is malformed.
        options::parse(&ctx.sys.pbx.logger, arg(3), "sinte").unwrap_or_default()
    };
    let mut tries = if arg(4).is_empty() {
        1
    } else {
        atoi_i32(arg(4)).max(1)
    };
    let mut to: i64 = 0;
    if !arg(5).is_empty() {
        let secs = parse_float_prefix(arg(5)).unwrap_or(0.0);
        if secs > 0.0 {
            to = (secs * 1000.0) as i64;
        }
    }
    let filename = arg(1);
    let mut maxdigits = 255;
    if !arg(2).is_empty() {
        let m = atoi_i32(arg(2));
        if (1..=255).contains(&m) {
            maxdigits = m as usize;
            ctx.verbose(
                3,
                crate::site!("app_read.c", 222, "read_exec"),
                &format!("Accepting a maximum of {maxdigits} digits."),
            );
        }
    }
    let variable = arg(0);
    if variable.is_empty() {
        // Asterisk's message ends in two line breaks: an empty line follows.
        ctx.warning(
            crate::site!("app_read.c", 225, "read_exec"),
            "Invalid! Usage: Read(variable[,filename][,maxdigits][,option][,attempts][,timeout])\n",
        );
        return Ok(());
    }
    let tone = if opts.has('i') && !filename.is_empty() {
        indication_tone(ctx, filename)
    } else {
        None
    };
    let terminator = if opts.has('t') {
        opts.arg('t').unwrap_or("").to_string()
    } else {
        "#".to_string()
    };
    let mut answered = true;
    if ctx.chan.state() != ChanState::Up {
        if opts.has('s') {
            ctx.set_var(variable, Some(""));
            ctx.set_var("READSTATUS", Some("SKIPPED"));
            return Ok(());
        } else if !opts.has('n') {
            answered = super::builtins::answer_and_wait(ctx).await.is_ok();
        }
    }
    let mut status = "ERROR";
    // A failed answer reads nothing; READSTATUS says why below.
    let mut failed = !answered;
    while tries > 0 && !failed {
        ctx.chan.stop_stream();
        let mut tmp = String::new();
        match tone.as_deref().filter(|t| !t.is_empty()) {
            Some(tone) => {
                if to == 0 {
                    to = pbx_timeouts(ctx).0;
                }
                let _ = playtones_start(ctx, 0, tone);
                while tmp.chars().count() < maxdigits {
                    let d = wait_digit(ctx, to).await;
                    // The tone stops at the first digit (or timeout).
                    ctx.chan.stop_generator();
                    match d {
                        Err(()) => {
                            failed = true;
                            break;
                        }
                        Ok(None) => {
                            status = "TIMEOUT";
                            break;
                        }
                        Ok(Some(c)) => {
                            if terminator.contains(c) {
                                status = "OK";
                                break;
                            }
                            tmp.push(c);
                            if tmp.chars().count() >= maxdigits {
                                status = "OK";
                            }
                        }
                    }
                }
            }
            None => match getdata(ctx, filename, &mut tmp, maxdigits, to, &terminator).await {
                GetData::Complete => status = "OK",
                GetData::EmptyEndTerminated => {
                    if opts.has('e') {
                        tmp = terminator.clone();
                    }
                    status = "OK";
                }
                GetData::Timeout => status = "TIMEOUT",
                GetData::Interrupted => status = "INTERRUPTED",
                GetData::Failed => failed = true,
            },
        }
        ctx.set_var(variable, Some(&tmp));
        if failed {
            ctx.verbose(
                3,
                crate::site!("app_read.c", 312, "read_exec"),
                "User disconnected",
            );
        } else if !tmp.is_empty() {
            ctx.verbose(
                3,
                crate::site!("app_read.c", 300, "read_exec"),
                &format!("User entered '{tmp}'"),
            );
            tries = 0;
        } else {
            tries -= 1;
            if tries > 0 {
                let s = if tries != 1 { "s" } else { "" };
                ctx.verbose(
                    3,
                    crate::site!("app_read.c", 305, "read_exec"),
                    &format!("User entered nothing, {tries} chance{s} left"),
                );
            } else {
                ctx.verbose(
                    3,
                    crate::site!("app_read.c", 307, "read_exec"),
                    "User entered nothing.",
                );
            }
        }
    }
    if ctx.chan.check_hangup() {
        status = "HANGUP";
    }
    ctx.set_var("READSTATUS", Some(status));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<(String, bool)> {
        let mut rest = Some(s);
        let mut out = Vec::new();
        while let Some(p) = strsep_prompt(&mut rest) {
            out.push((p, rest.is_none_or(str::is_empty)));
        }
        out
    }

    #[test]
    fn prompt_lists_split_as_asterisk_does() {
        assert_eq!(pieces(""), [("".to_string(), true)]);
        assert_eq!(
            pieces("a&b"),
            [("a".to_string(), false), ("b".to_string(), true)]
        );
        // A trailing '&' makes the first prompt the last one, then one
        // more empty round.
        assert_eq!(
            pieces("a&"),
            [("a".to_string(), true), ("".to_string(), true)]
        );
        assert_eq!(
            pieces("\"a&b\"& c "),
            [("a&b".to_string(), false), ("c".to_string(), true)]
        );
    }
}
