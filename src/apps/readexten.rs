//! ReadExten (Asterisk's `app_readexten.c`): plays a prompt or an
//! indication, collects digits while they can still become an extension
//! of a context, and stores the extension (or `i`, or `t`) in a variable;
//! READEXTENSTATUS says how it went (OK, INVALID, TIMEOUT, SKIP, HANGUP,
//! ERROR).

use std::time::Duration;

use super::builtins::{answer_and_wait, atoi};
use super::playback::start_file;
use super::playtones::{indication_tone, playtones_start};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, split_args};
use crate::channels::ChanState;
use crate::media::file::SoundPaths;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "ReadExten",
        run: Run::Wait(readexten),
        synopsis: "Reads an extension of a context into a variable.",
        syntax: "ReadExten(variable[,filename[,context[,options[,timeout]]]])",
    }]
}

/// The option letters app_readexten knows: skip when not answered, play
/// an indication, do not answer, `#` ends the input.
const OPTIONS: &str = "sinp";

/// The longest extension read (`exten[256]`).
const MAX_DIGITS: usize = 255;

fn readexten<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { readexten_exec(ctx, &data).await })
}

async fn readexten_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_readexten.c", 141, "readexten_exec"),
            "ReadExten requires at least one argument",
        );
        ctx.set_var("READEXTENSTATUS", Some("ERROR"));
        return Ok(());
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let variable = arg(0);
    if variable.is_empty() {
        ctx.warning(
            crate::site!("app_readexten.c", 150, "readexten_exec"),
            "Usage: ReadExten(variable[,filename[,context[,options[,timeout]]]])",
        );
        ctx.set_var("READEXTENSTATUS", Some("ERROR"));
        return Ok(());
    }
    let filename = Some(arg(1)).filter(|f| !f.is_empty());
    let context = match arg(2) {
        "" => ctx.chan.lock().context.clone(),
        c => c.to_string(),
    };
    let opts = if arg(3).is_empty() {
        options::Options::default()
    } else {
        // A malformed string (already logged) leaves no option set.
        options::parse(&ctx.sys.pbx.logger, arg(3), OPTIONS).unwrap_or_default()
    };
    // Whole seconds; anything not positive means the PBX's response
    // timeout (TIMEOUT(response)), or 10 s for a channel without one.
    let mut timeout_ms: i64 = if arg(4).is_empty() {
        0
    } else {
        let t = atoi(arg(4));
        if t > 0 { t.saturating_mul(1000) } else { t }
    };
    let (has_pbx, response_ms, digit_ms) = {
        let d = ctx.chan.lock();
        (
            d.has_pbx,
            d.response_timeout_ms as i64,
            d.digit_timeout_ms as i64,
        )
    };
    if timeout_ms <= 0 {
        timeout_ms = if has_pbx { response_ms } else { 10_000 };
    }
    let digit_timeout_ms = if has_pbx { digit_ms } else { 5000 };
    let tone = match filename {
        Some(f) if opts.has('i') => indication_tone(ctx, f),
        _ => None,
    };

    let status = read_extension(
        ctx,
        variable,
        filename,
        &context,
        &opts,
        tone.as_deref(),
        timeout_ms,
        digit_timeout_ms,
    )
    .await;
    ctx.set_var("READEXTENSTATUS", Some(status));
    if status.starts_with('H') {
        Err(AppExit::Hangup)
    } else {
        Ok(())
    }
}

/// The body of `readexten_exec`'s `do { } while (0)`: returns the status.
#[allow(clippy::too_many_arguments)]
async fn read_extension(
    ctx: &AppCtx,
    variable: &str,
    filename: Option<&str>,
    context: &str,
    opts: &options::Options,
    tone: Option<&str>,
    mut timeout_ms: i64,
    digit_timeout_ms: i64,
) -> &'static str {
    if ctx.chan.state() != ChanState::Up {
        if opts.has('s') {
            ctx.set_var(variable, Some(""));
            return "SKIP";
        }
        if !opts.has('n') && answer_and_wait(ctx).await.is_err() {
            return "HANGUP";
        }
    }
    ctx.chan.stop_generator();
    ctx.chan.stop_stream();
    match (tone.filter(|t| !t.is_empty()), filename) {
        (Some(t), _) => {
            let _ = playtones_start(ctx, 0, t);
        }
        (None, Some(f)) => {
            let lang = ctx.chan.lock().language.clone();
            if opts.has('i') && !SoundPaths::from_conf(&ctx.sys.conf).exists(f, &lang) {
                // An indication the zone does not define and no such
                // file either: taken as a tone list.
                let _ = playtones_start(ctx, 0, f);
            } else {
                // A prompt that does not open is logged and the reading
                // goes on in silence.
                let _ = start_file(ctx, f);
            }
        }
        (None, None) => {}
    }

    let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
    let mut exten = String::new();
    let mut timed_out_empty = false;
    for x in 0..MAX_DIGITS {
        let ms = u64::try_from(timeout_ms).unwrap_or(0);
        let got = ctx.chan.wait_digit(Duration::from_millis(ms)).await;
        // Whatever plays stops at the first digit, or the timeout.
        ctx.chan.stop_generator();
        ctx.chan.stop_stream();
        timeout_ms = digit_timeout_ms;
        let c = match got {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) => {
                if ctx.chan.check_hangup() {
                    return "HANGUP";
                }
                if x == 0 {
                    ctx.set_var(variable, Some("t"));
                    timed_out_empty = true;
                }
                break;
            }
        };
        if opts.has('p') && c == '#' {
            break;
        }
        exten.push(c);
        let plan = ctx.sys.loaded();
        if !crate::pbx::find::matchmore(&plan.dialplan, context, &exten, cid.as_deref()) {
            if c == '#'
                && !crate::pbx::find::exists(&plan.dialplan, context, &exten, 1, cid.as_deref())
            {
                // A `#` that makes no extension ends the input unread.
                exten.pop();
            }
            break;
        }
    }
    if timed_out_empty {
        return "TIMEOUT";
    }
    let plan = ctx.sys.loaded();
    if crate::pbx::find::exists(&plan.dialplan, context, &exten, 1, cid.as_deref()) {
        drop(plan);
        ctx.set_var(variable, Some(&exten));
        "OK"
    } else {
        drop(plan);
        ctx.set_var(variable, Some("i"));
        ctx.set_var("INVALID_EXTEN", Some(&exten));
        "INVALID"
    }
}
