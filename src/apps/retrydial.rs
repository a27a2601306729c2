//! RetryDial (Asterisk's `app_dial.c`, `retrydial_exec`): Dial again and
//! again, with an announcement and a pause (music on hold) between tries,
//! until a try connects, the caller hangs up, the tries run out, or a
//! digit the caller presses is a one-digit extension to go to.

use super::dial::{DialRun, dial_exec};
use super::playback::{Streamed, start_file, wait_stream};
use super::say::DIGIT_ANY;
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args};
use crate::config::views::values::atoi_i32;
use crate::media::file::SoundPaths;
use std::time::Duration;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "RetryDial",
        run: Run::Wait(retrydial),
        synopsis: "Dials, and after an announcement and a pause dials again, a number of times.",
        syntax: "RetryDial(announce,sleep,retries,dialargs)",
    }]
}

fn retrydial<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { retrydial_exec(ctx, &data).await })
}

/// How a step of the loop ended, as app_dial's `res`: 0, a digit's code,
/// or the application's exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Res {
    Zero,
    Digit(char),
    Exit(AppExit),
}

/// The pause between tries: `sleep` seconds (atoi), but ten seconds when
/// that is under one second.
fn sleep_ms(sleep: &str) -> u64 {
    let secs = atoi_i32(sleep);
    let ms = i64::from(secs) * 1000;
    if ms < 1000 { 10_000 } else { ms as u64 }
}

/// How many tries: `retries` (atoi); none given or 0 is without end
/// (`None`), a negative count as well since counting down never reaches 0.
fn tries(retries: &str) -> Option<u32> {
    u32::try_from(atoi_i32(retries)).ok().filter(|n| *n > 0)
}

async fn retrydial_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_dial.c", 3647, "retrydial_exec"),
            "RetryDial requires an argument!",
        );
        return Err(AppExit::Hangup);
    }
    let args = separate_args(data, ',', 4);
    let announce = args.first().map(String::as_str).unwrap_or("");
    let sleep = sleep_ms(args.get(1).map(String::as_str).unwrap_or(""));
    let mut loops = tries(args.get(2).map(String::as_str).unwrap_or(""));
    let Some(dialdata) = args.get(3) else {
        ctx.error(
            crate::site!("app_dial.c", 3662, "retrydial_exec"),
            "RetryDial requires a 4th argument (dialdata)",
        );
        return Err(AppExit::Hangup);
    };
    let context = ctx.var("EXITCONTEXT").filter(|c| !c.is_empty());
    let mut run = DialRun::default();
    let mut res = Res::Zero;
    while loops != Some(0) {
        ctx.chan.lock().data = Some("Retrying".into());
        stop_music(ctx);
        res = match dial_exec(ctx, dialdata, &mut run).await {
            Ok(()) => Res::Zero,
            Err(e) => Res::Exit(e),
        };
        if run.continue_exec {
            break;
        }
        if res == Res::Zero {
            res = between_tries(ctx, announce, sleep, run.dtmf_exit).await;
        }
        match res {
            Res::Exit(AppExit::Hangup | AppExit::Incomplete) => break,
            Res::Digit(d) if onedigit_goto(ctx, context.as_deref(), d) => {
                res = Res::Zero;
                break;
            }
            _ => {}
        }
        loops = loops.map(|n| n - 1);
    }
    stop_music(ctx);
    match res {
        // Tries used up, or a digit that led nowhere: the dialplan goes on.
        _ if loops == Some(0) => Ok(()),
        Res::Zero | Res::Digit(_) => Ok(()),
        Res::Exit(e) => Err(e),
    }
}

/// The announcement and the pause after a try that ended normally. With
/// Dial's `d` a digit may cut the announcement short (and is lost); the
/// pause is waited only if the announcement went well. Without `d` the
/// announcement is heard to its end.
async fn between_tries(ctx: &AppCtx, announce: &str, sleep: u64, dtmf_exit: bool) -> Res {
    let mut res = Res::Zero;
    if !announce.is_empty() {
        let lang = ctx.chan.lock().language.clone();
        if SoundPaths::from_conf(&ctx.sys.conf).exists(announce, &lang) {
            res = match start_file(ctx, announce) {
                Some(g) if dtmf_exit => {
                    let _ = wait_stream(ctx, g, DIGIT_ANY).await;
                    Res::Zero
                }
                Some(g) => match wait_stream(ctx, g, "").await {
                    Streamed::Hangup | Streamed::Failed => Res::Exit(AppExit::Hangup),
                    Streamed::Done | Streamed::Digit(_) => Res::Zero,
                },
                None => Res::Exit(AppExit::Hangup),
            };
        } else {
            ctx.warning(
                crate::site!("app_dial.c", 3696, "retrydial_exec"),
                &format!("Announce file \"{announce}\" specified in Retrydial does not exist"),
            );
        }
    }
    // Without `d` the music starts even after a failed announcement.
    if res == Res::Zero || !dtmf_exit {
        start_music(ctx);
    }
    if res == Res::Zero {
        res = match ctx.chan.wait_digit(Duration::from_millis(sleep)).await {
            Ok(Some(d)) => Res::Digit(d),
            Ok(None) => Res::Zero,
            Err(_) => Res::Exit(AppExit::Hangup),
        };
    }
    res
}

fn music_on(ctx: &AppCtx) -> bool {
    let music = ctx.chan.media().music.clone();
    crate::core::lock(&music).active
}

fn start_music(ctx: &AppCtx) {
    if !music_on(ctx) {
        // A class that cannot start is logged by res_musiconhold itself.
        let _ = super::moh::moh_start(ctx, None);
    }
}

fn stop_music(ctx: &AppCtx) {
    if music_on(ctx) {
        super::moh::moh_stop(ctx);
    }
}

/// app_dial's `onedigit_goto`: to the digit's extension, priority 1, in
/// EXITCONTEXT, or else in the current context, then the macro's.
fn onedigit_goto(ctx: &AppCtx, context: Option<&str>, digit: char) -> bool {
    let exten = digit.to_string();
    match context {
        Some(c) => ctx.goto_if_exists(c, &exten),
        None => {
            let current = ctx.chan.lock().context.clone();
            ctx.goto_if_exists(&current, &exten)
                || ctx
                    .var("MACRO_CONTEXT")
                    .filter(|m| !m.is_empty())
                    .is_some_and(|m| ctx.goto_if_exists(&m, &exten))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_between_tries() {
        // (sleep argument, milliseconds)
        for (arg, ms) in [
            ("", 10_000),
            ("0", 10_000),
            ("1", 1000),
            ("3x", 3000),
            ("-2", 10_000),
            ("abc", 10_000),
        ] {
            assert_eq!(sleep_ms(arg), ms, "{arg:?}");
        }
    }

    #[test]
    fn number_of_tries() {
        for (arg, n) in [("", None), ("0", None), ("3", Some(3)), ("-1", None)] {
            assert_eq!(tries(arg), n, "{arg:?}");
        }
    }
}
