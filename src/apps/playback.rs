//! Playing sound files (Asterisk's `app_playback.c`, and the
//! `ast_streamfile`/`ast_waitstream` pair Background, Read and the Say
//! applications share).

use super::{App, AppCtx, AppFuture, AppResult, Run, split_args};
use crate::channels::ChanState;
use crate::channels::media::FrameSource;
use crate::media::AudioFrame;
use crate::media::file::{FileError, Playback, SoundPaths};
use crate::media::formats::FormatError;
use crate::media::formats::gsm::GsmFileError;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Playback",
        run: Run::Wait(playback),
        synopsis: "Plays one or more sound files to the channel.",
        syntax: "Playback(filename[&filename2[&...]][,options])",
    }]
}

impl FrameSource for Playback {
    fn next_frame(&mut self) -> Option<AudioFrame> {
        // A read error ends the file early, as a short read does in Asterisk.
        Playback::next_frame(self).ok().flatten()
    }

    fn tell(&self) -> Option<u64> {
        Some(Playback::tell(self))
    }

    fn seek_to(&mut self, samples: u64) -> bool {
        Playback::seek_to(self, samples).is_ok()
    }

    fn length(&self) -> Option<u64> {
        Playback::length(self)
    }
}

/// How a streamed file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// Played to the end.
    Done,
    /// A digit in the break set arrived.
    Digit(char),
    /// The file could not be opened (already logged).
    Failed,
    /// The channel was hung up.
    Hangup,
}

/// Opens `name` for the channel and starts it (`ast_streamfile`), logging
/// as Asterisk does. Whatever played before stops first, generators
/// (tones, music on hold) included, even when the file is missing.
/// Returns the source's generation.
pub fn start_file(ctx: &AppCtx, name: &str) -> Option<u64> {
    start_file_at(ctx, name, 0)
}

/// [`start_file`] from `offset` samples into the file (AGI's CONTROL
/// STREAM FILE `offsetms`, `ast_seekstream`).
pub fn start_file_at(ctx: &AppCtx, name: &str, offset: u64) -> Option<u64> {
    ctx.chan.stop_source();
    let lang = ctx.chan.lock().language.clone();
    let codec = ctx.chan.native_codec();
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    match paths.open(name, &lang, codec) {
        Ok(mut p) => {
            if offset > 0 {
                // Past the end the file simply has nothing left to play.
                let _ = p.skip_samples(offset);
            }
            // Asterisk names the write format the file set on the channel
            // (`slin` for wav and sln files), not the file's format.
            let write_format = p.format().media_format_name();
            ctx.verbose(
                3,
                crate::site!("file.c", 1398, "ast_streamfile"),
                &format!(
                    "<{}> Playing '{name}.{write_format}' (language '{lang}')",
                    ctx.chan.name,
                ),
            );
            crate::core::testsuite::notify(
                &ctx.sys.pbx.channels.events,
                &crate::core::testsuite::STREAMFILE,
                "PLAYBACK",
                || format!("Message: {name}\r\nChannel: {}", ctx.chan.name),
            );
            Some(ctx.chan.start_source(Box::new(p)))
        }
        Err(e) => {
            match e {
                FileError::NotFound(_) | FileError::Remote(_) => ctx.warning(
                    crate::site!("file.c", 832, "openstream_internal"),
                    &format!("File {name} does not exist in any format"),
                ),
                // A bad wav49 header: format_wav_gsm's own warning.
                FileError::Format {
                    source: FormatError::Gsm(GsmFileError::BadWav49(w)),
                    ..
                } => ctx.warning(&w.site, &w.message),
                // Asterisk would play it; we cannot, and say why.
                e => ctx.warning(
                    crate::site!("file.c", 0, "ast_streamfile"),
                    &format!("Asterism cannot play {name}: {e}"),
                ),
            }
            ctx.warning(
                crate::site!("file.c", 1342, "ast_streamfile"),
                &format!(
                    "Unable to open {name} (format ({})): No such file or directory",
                    codec.name()
                ),
            );
            None
        }
    }
}

/// Streams `name` and waits for it to end (`ast_streamfile` +
/// `ast_waitstream`): digits in `breaks` stop it early.
pub async fn stream_file(ctx: &AppCtx, name: &str, breaks: &str) -> Streamed {
    let Some(generation) = start_file(ctx, name) else {
        return Streamed::Failed;
    };
    wait_stream(ctx, generation, breaks).await
}

/// `ast_waitstream`: waits for the playing source to end or a break digit.
pub async fn wait_stream(ctx: &AppCtx, generation: u64, breaks: &str) -> Streamed {
    wait_stream_until(ctx, generation, |d| breaks.contains(d), true).await
}

/// `ast_waitstream_exten`: only a digit that is a one-digit extension of
/// `context` stops the prompt; others are dropped and it plays on.
pub async fn wait_stream_exten(ctx: &AppCtx, generation: u64, context: &str) -> Streamed {
    let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
    let plan = ctx.sys.loaded();
    let exists = |d: char| {
        crate::pbx::find::exists(&plan.dialplan, context, &d.to_string(), 1, cid.as_deref())
    };
    wait_stream_until(ctx, generation, exists, false).await
}

/// Waits for the source to end or a digit `stops` accepts (others are
/// dropped, as Asterisk drops them). Without an exit context a digit
/// that stops it is reported to the test suite, as `waitstream_core`
/// does.
async fn wait_stream_until(
    ctx: &AppCtx,
    generation: u64,
    stops: impl Fn(char) -> bool,
    report_break: bool,
) -> Streamed {
    let chan = &ctx.chan;
    let reader = chan.read_stream_digits();
    loop {
        let mut digit = None;
        let r = chan
            .wait_for(|c| {
                // Every digit is read while a file plays; those outside
                // the break set are dropped, as ast_waitstream drops them.
                if let Some(d) = c.take_digit(crate::channels::media::DigitReader::EndsOnly) {
                    digit = Some(d);
                    return true;
                }
                !c.source_playing(generation)
            })
            .await;
        if r.is_err() {
            chan.stop_source();
            return Streamed::Hangup;
        }
        match digit {
            Some(d) if stops(d) => {
                if report_break {
                    crate::core::testsuite::notify(
                        &ctx.sys.pbx.channels.events,
                        &crate::core::testsuite::PLAYBACK_BREAK,
                        "PLAYBACK",
                        || format!("Channel: {}\r\nControl: Break\r\n", chan.name),
                    );
                }
                chan.stop_source();
                return Streamed::Digit(d);
            }
            // Digits outside the break set are dropped, as Asterisk does.
            Some(_) => reader.digit_dropped(),
            None => return Streamed::Done,
        }
    }
}

fn playback<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { playback_exec(ctx, &data).await })
}

async fn playback_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let files = args.first().map(String::as_str).unwrap_or("");
    if files.is_empty() {
        ctx.warning(
            crate::site!("app_playback.c", 475, "playback_exec"),
            "Playback requires an argument (filename)",
        );
        return Err(super::AppExit::Hangup);
    }
    let options = args
        .get(1)
        .map(|o| o.to_ascii_lowercase())
        .unwrap_or_default();
    let skip = options.contains("skip");
    let noanswer = options.contains("noanswer");
    let mut failed = false;
    if ctx.chan.state() != ChanState::Up {
        if skip {
            // Not answered and asked to skip: nothing plays, still a success.
            ctx.set_var("PLAYBACKSTATUS", Some("SUCCESS"));
            return Ok(());
        } else if !noanswer {
            super::builtins::answer_and_wait(ctx).await?;
        }
    }
    ctx.chan.stop_source();
    for file in files.split('&') {
        match stream_file(ctx, file, "").await {
            Streamed::Done | Streamed::Digit(_) => {}
            Streamed::Failed => {
                ctx.warning(
                    crate::site!("app_playback.c", 523, "playback_exec"),
                    &format!("Playback failed on {} for {file}", ctx.chan.name),
                );
                failed = true;
            }
            Streamed::Hangup => {
                ctx.set_var(
                    "PLAYBACKSTATUS",
                    Some(if failed { "FAILED" } else { "SUCCESS" }),
                );
                return Err(super::AppExit::Hangup);
            }
        }
    }
    ctx.set_var(
        "PLAYBACKSTATUS",
        Some(if failed { "FAILED" } else { "SUCCESS" }),
    );
    Ok(())
}
