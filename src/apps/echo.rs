//! Echo (Asterisk's `app_echo.c`): whatever the caller sends comes back
//! to them until they press `#` or hang up.

use super::{App, AppCtx, AppExit, AppFuture, Run};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Echo",
        run: Run::Wait(echo),
        synopsis: "Sends the caller's own audio back to them until they press #.",
        syntax: "Echo()",
    }]
}

fn echo<'a>(ctx: &'a AppCtx, _data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let chan = &ctx.chan;
        // The tap runs in the receive task: each frame goes straight back.
        chan.set_tap(chan.media_port().map(crate::channels::media::forward_to));
        let result = loop {
            match chan
                .wait_digit_as(
                    crate::channels::media::DigitReader::Frames,
                    std::time::Duration::from_secs(3600),
                )
                .await
            {
                Ok(Some('#')) => break Ok(()),
                Ok(Some(d)) => {
                    // Digits are echoed too.
                    if let Some(p) = chan.media_port() {
                        p.send_digit(d, 100);
                    }
                }
                Ok(None) => {}
                Err(_) => break Err(AppExit::Hangup),
            }
        };
        chan.set_tap(None);
        result
    })
}
