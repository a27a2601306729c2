//! Milliwatt (Asterisk's `app_milliwatt.c`): a test tone until the caller
//! hangs up. By default 1004 Hz at 0 dBm0 (the channel is not answered
//! for it); `m` the test-line pattern (9 s of tone, 1 s of silence); `o`
//! the old digital milliwatt, a µ-law sequence (answering first).

use super::playtones::playtones_start;
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};
use crate::channels::ChanState;
use crate::channels::media::FrameSource;
use crate::media::AudioFrame;
use crate::media::tones::{MILLIWATT_VOLUME, Milliwatt, MilliwattMode};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Milliwatt",
        run: Run::Wait(milliwatt),
        synopsis: "Plays a 1004 Hz test tone at 0 dBm0 until hangup.",
        syntax: "Milliwatt([options])",
    }]
}

struct DigitalMilliwatt(Milliwatt);

impl FrameSource for DigitalMilliwatt {
    fn next_frame(&mut self) -> Option<AudioFrame> {
        Some(self.0.next_frame())
    }

    fn is_generator(&self) -> bool {
        true
    }
}

fn milliwatt<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { milliwatt_exec(ctx, &data).await })
}

async fn milliwatt_exec(ctx: &AppCtx, options: &str) -> AppResult {
    if options.contains('o') {
        if ctx.chan.state() != ChanState::Up {
            super::builtins::answer_and_wait(ctx).await?;
        }
        ctx.chan
            .start_source(Box::new(DigitalMilliwatt(Milliwatt::new(
                MilliwattMode::Digital,
            ))));
        // Until hangup; the generator goes with the application.
        let _ = ctx.chan.wait_for(|_| false).await;
        ctx.chan.stop_generator();
        return Err(AppExit::Hangup);
    }
    let list = if options.contains('m') {
        "1004/9000,0/1000"
    } else {
        "1004/1000"
    };
    if playtones_start(ctx, MILLIWATT_VOLUME, list).is_err() {
        return Err(AppExit::Hangup);
    }
    // The tone stays on the channel, as Asterisk leaves its generator.
    let _ = ctx.chan.wait_for(|_| false).await;
    Err(AppExit::Hangup)
}
