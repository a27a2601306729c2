//! Background and WaitExten (from Asterisk's `pbx_builtins.c`): play
//! prompts or wait while the caller dials; the first digit hands over to
//! the run loop, which collects the rest of the extension.

use std::time::Duration;

use super::playback::{Streamed, start_file, stream_file, wait_stream_exten};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::ChanState;
use crate::pbx::find;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "BackGround",
            run: Run::Wait(background),
            synopsis: "Plays sound files while waiting for the caller to dial an extension.",
            syntax: "Background(filename1[&filename2[&...]][,options[,langoverride[,context]]])",
        },
        App {
            name: "WaitExten",
            run: Run::Wait(waitexten),
            synopsis: "Waits for the caller to dial an extension.",
            syntax: "WaitExten([seconds[,options]])",
        },
    ]
}

const ALL_DIGITS: &str = "0123456789*#";

fn background<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { background_exec(ctx, &data).await })
}

async fn background_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let files = args.first().cloned().unwrap_or_default();
    if files.is_empty() {
        ctx.warning(
            crate::site!("pbx_builtins.c", 1306, "pbx_builtin_background"),
            "Background requires an argument (filename)",
        );
        return Err(AppExit::Hangup);
    }
    let options = args.get(1).cloned().unwrap_or_default();
    let skip = options.contains('s');
    let noanswer = options.contains('n');
    let matchexten = options.contains('m');
    // 'p': the prompts play to the end whatever is dialled.
    let uninterrupted = options.contains('p');
    if let Some(lang) = args.get(2).filter(|l| !l.is_empty()) {
        ctx.chan.lock().language = lang.clone();
    }
    let context = args
        .get(3)
        .filter(|c| !c.is_empty())
        .cloned()
        .unwrap_or_else(|| ctx.chan.lock().context.clone());
    if ctx.chan.state() != ChanState::Up {
        if skip {
            ctx.set_var("BACKGROUNDSTATUS", Some("SUCCESS"));
            return Ok(());
        } else if !noanswer {
            super::builtins::answer_and_wait(ctx).await?;
        }
    }
    ctx.chan.stop_source();
    for file in files.split('&') {
        let streamed = if uninterrupted {
            stream_file(ctx, file, "").await
        } else if matchexten {
            match start_file(ctx, file) {
                Some(generation) => wait_stream_exten(ctx, generation, &context).await,
                None => Streamed::Failed,
            }
        } else {
            stream_file(ctx, file, ALL_DIGITS).await
        };
        match streamed {
            Streamed::Done => {}
            Streamed::Digit(d) => {
                let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
                let plan = ctx.sys.loaded();
                let wanted = !matchexten
                    || find::exists(&plan.dialplan, &context, &d.to_string(), 1, cid.as_deref())
                    || find::matchmore(&plan.dialplan, &context, &d.to_string(), cid.as_deref());
                drop(plan);
                ctx.set_var("BACKGROUNDSTATUS", Some("SUCCESS"));
                if wanted {
                    if !context.eq_ignore_ascii_case(&ctx.chan.lock().context) {
                        ctx.chan.lock().set_context(&context);
                    }
                    return Err(AppExit::Digit(d));
                }
            }
            Streamed::Failed => {
                ctx.warning(
                    crate::site!("pbx_builtins.c", 1354, "pbx_builtin_background"),
                    &format!("ast_streamfile failed on {} for {data}", ctx.chan.name),
                );
                ctx.set_var("BACKGROUNDSTATUS", Some("FAILED"));
                return Ok(());
            }
            Streamed::Hangup => return Err(AppExit::Hangup),
        }
    }
    ctx.set_var("BACKGROUNDSTATUS", Some("SUCCESS"));
    Ok(())
}

fn waitexten<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { waitexten_exec(ctx, &data).await })
}

async fn waitexten_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let timeout_ms = args
        .first()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(|s| (s * 1000.0) as u64)
        .unwrap_or_else(|| ctx.chan.lock().response_timeout_ms.max(0) as u64);
    let chan = &ctx.chan;
    match chan.wait_digit(Duration::from_millis(timeout_ms)).await {
        Ok(Some(d)) => Err(AppExit::Digit(d)),
        Ok(None) => {
            let (context, cid) = {
                let d = chan.lock();
                (d.context.clone(), d.caller.id.number().map(str::to_string))
            };
            let plan = ctx.sys.loaded();
            if find::exists(&plan.dialplan, &context, "t", 1, cid.as_deref()) {
                drop(plan);
                ctx.verbose(
                    3,
                    crate::site!("pbx_builtins.c", 1266, "pbx_builtin_waitexten"),
                    &format!("Timeout on {}, continuing...", chan.name),
                );
                crate::pbx::run::set_ext_pri(chan, "t", 0);
                Ok(())
            } else if find::exists(&plan.dialplan, &context, "e", 1, cid.as_deref()) {
                drop(plan);
                crate::pbx::run::raise_exception(chan, "RESPONSETIMEOUT", 0);
                Ok(())
            } else {
                drop(plan);
                ctx.warning(
                    crate::site!("pbx_builtins.c", 1275, "pbx_builtin_waitexten"),
                    &format!("Timeout but no rule 't' or 'e' in context '{context}'"),
                );
                Err(AppExit::Hangup)
            }
        }
        Err(_) => Err(AppExit::Hangup),
    }
}
