//! Echo (Asterisk's `app_echo.c`): whatever the caller sends comes back
//! to them until they press `#` or hang up.

use std::sync::Arc;

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
        let port = chan.media_port();
        // The tap runs in the receive task: each frame goes straight back.
        chan.set_tap(port.map(|p| {
            let p: Arc<dyn crate::channels::media::MediaPort> = p;
            Box::new(move |f: &crate::media::AudioFrame| p.write(f, std::time::Instant::now()))
                as crate::channels::media::Tap
        }));
        let result = loop {
            match chan.wait_digit(std::time::Duration::from_secs(3600)).await {
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
