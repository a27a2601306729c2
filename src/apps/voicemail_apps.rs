//! app_voicemail's smaller applications: VMAuthenticate (VoiceMailMain's
//! login, then AUTH_MAILBOX and AUTH_CONTEXT), VMSayName (a mailbox's
//! recorded name, else its number spelled) and VoiceMailPlayMsg (one
//! message by its ID, VOICEMAIL_PLAYBACKSTATUS).

use super::builtins::answer_and_wait;
use super::playback::{Streamed, start_file, stream_file, wait_stream};
use super::say::{DIGIT_ANY, Said, say_files};
use super::voicemail::jump;
use super::voicemail_main::{authenticate_for_app, play_message_by_id};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::ChanState;
use crate::funcs::voicemail::separate_mailbox;
use crate::media::file::SoundPaths;
use crate::media::say::{SayCase, character_files};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "VMAuthenticate",
            run: Run::Wait(vmauthenticate),
            synopsis: "Asks for a voicemail box and its password before the dialplan goes on.",
            syntax: "VMAuthenticate([mailbox][@context][,options])",
        },
        App {
            name: "VMSayName",
            run: Run::Wait(vmsayname),
            synopsis: "Plays a voicemail box's recorded name, or says its number.",
            syntax: "VMSayName(mailbox[@context])",
        },
        App {
            name: "VoiceMailPlayMsg",
            run: Run::Wait(playmsg),
            synopsis: "Plays one voicemail message, found by its ID.",
            syntax: "VoiceMailPlayMsg(mailbox[@context],msg_id)",
        },
    ]
}

const FILE: &str = "app_voicemail.c";

fn vmauthenticate<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { vmauthenticate_exec(ctx, &data).await })
}

async fn vmauthenticate_exec(ctx: &AppCtx, data: &str) -> AppResult {
    // Plain `strsep` on `,` and `@`: no quoting, as app_voicemail does.
    let mut parts = data.splitn(2, ',');
    let user = parts.next().unwrap_or("");
    let options = parts
        .next()
        .map(|rest| rest.split(',').next().unwrap_or(""));
    let (user, context) = match user.split_once('@') {
        Some((u, c)) => (u, Some(c)),
        None => (user, None),
    };
    let skipuser = !user.is_empty();
    // `mailbox[AST_MAX_EXTENSION]`.
    let mut mailbox: String = user.chars().take(79).collect();
    let silent = options.is_some_and(|o| o.contains('s'));
    match authenticate_for_app(ctx, &mut mailbox, context, skipuser, silent).await {
        Ok(found_context) => {
            ctx.set_var("AUTH_MAILBOX", Some(&mailbox));
            ctx.set_var("AUTH_CONTEXT", Some(&found_context));
            let _ = stream_file(ctx, "auth-thankyou", DIGIT_ANY).await;
            Ok(())
        }
        Err(()) if mailbox.starts_with('*') => {
            // `*` asks for extension `a` of the channel's context.
            if super::voicemail_main::a_exists(ctx) {
                jump(ctx, "a", "");
                Ok(())
            } else {
                Err(AppExit::Hangup)
            }
        }
        Err(()) => Err(AppExit::Hangup),
    }
}

fn vmsayname<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { vmsayname_exec(ctx, &data).await })
}

/// An application's result from a playback's (`-1`, `0` or a digit).
fn app_result(res: Result<Option<char>, ()>) -> AppResult {
    match res {
        Ok(None) => Ok(()),
        Ok(Some(d)) => Err(AppExit::Digit(d)),
        Err(()) => Err(AppExit::Hangup),
    }
}

fn streamed(s: Streamed) -> Result<Option<char>, ()> {
    match s {
        Streamed::Done => Ok(None),
        Streamed::Digit(d) => Ok(Some(d)),
        Streamed::Failed | Streamed::Hangup => Err(()),
    }
}

async fn vmsayname_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let Some((mailbox, context)) = separate_mailbox(data) else {
        ctx.warning(
            crate::site!(FILE, 15721, "vmsayname_exec"),
            "VMSayName requires argument mailbox@context",
        );
        return Err(AppExit::Hangup);
    };
    let greet = crate::apps::voicemail::box_dir(&ctx.sys.conf.dirs.spool, context, mailbox)
        .join("greet")
        .display()
        .to_string();
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    // `sayname`: the recording, any digit ending it.
    let mut res = if paths.exists(&greet, "") {
        match start_file(ctx, &greet) {
            Some(g) => streamed(wait_stream(ctx, g, DIGIT_ANY).await),
            None => Err(()),
        }
    } else {
        Err(())
    };
    if res.is_err() {
        // No name recorded: "extension" and the box's number spelled.
        res = streamed(stream_file(ctx, "vm-extension", DIGIT_ANY).await);
        if res == Ok(None) {
            let lang = ctx.chan.lock().language.clone();
            let files = character_files(mailbox, SayCase::None, |n| paths.exists(n, &lang));
            res = match say_files(ctx, &files, DIGIT_ANY).await {
                Said::Done => Ok(None),
                Said::Digit(d) => Ok(Some(d)),
                Said::Failed => Err(()),
            };
        }
    }
    app_result(res)
}

fn playmsg<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { playmsg_exec(ctx, &data).await })
}

async fn playmsg_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if ctx.chan.state() != ChanState::Up {
        // Asterisk goes on whatever the answer gave.
        let _ = answer_and_wait(ctx).await;
    }
    if data.is_empty() {
        return Err(AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    if arg(0).is_empty() || arg(1).is_empty() {
        return Err(AppExit::Hangup);
    }
    let (mailbox, context) = match arg(0).split_once('@') {
        Some((m, c)) => (m, Some(c)),
        None => (arg(0), None),
    };
    let played = play_message_by_id(ctx, mailbox, context, arg(1)).await;
    ctx.set_var(
        "VOICEMAIL_PLAYBACKSTATUS",
        Some(if played { "SUCCESS" } else { "FAILED" }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_and_context() {
        assert_eq!(separate_mailbox("1001"), Some(("1001", "default")));
        assert_eq!(separate_mailbox("1001@"), Some(("1001", "default")));
        assert_eq!(separate_mailbox("1001@other"), Some(("1001", "other")));
        assert_eq!(separate_mailbox("@other"), None);
        assert_eq!(separate_mailbox(""), None);
    }
}
