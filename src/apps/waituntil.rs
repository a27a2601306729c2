//! WaitUntil (Asterisk's `apps/app_waituntil.c`): waits until an epoch time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{App, AppCtx, AppFuture, Run};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "WaitUntil",
        run: Run::Wait(waituntil),
        synopsis: "Waits until a given time (seconds since the epoch); sets WAITUNTILSTATUS.",
        syntax: "WaitUntil(epoch)",
    }]
}

fn waituntil<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        const VAR: &str = "WAITUNTILSTATUS";
        if data.is_empty() {
            ctx.warning(
                crate::site!("app_waituntil.c", 85, "waituntil_exec"),
                "WaitUntil requires an argument(epoch)",
            );
            ctx.set_var(VAR, Some("FAILURE"));
            return Ok(());
        }
        let Some(target) = super::builtins::parse_float_prefix(&data) else {
            ctx.warning(
                crate::site!("app_waituntil.c", 91, "waituntil_exec"),
                "WaitUntil called with non-numeric argument",
            );
            ctx.set_var(VAR, Some("FAILURE"));
            return Ok(());
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let ms = ((target - now) * 1000.0).floor();
        if ms <= 0.0 {
            ctx.warning(
                crate::site!("app_waituntil.c", 0, "waituntil_exec"),
                "Time has already passed; not waiting",
            );
            ctx.set_var(VAR, Some("PAST"));
            return Ok(());
        }
        ctx.verbose(
            3,
            crate::site!("app_waituntil.c", 0, "waituntil_exec"),
            &format!("Waiting for {} ms", ms as i64),
        );
        match ctx.chan.sleep(Duration::from_millis(ms as u64)).await {
            Ok(()) => ctx.set_var(VAR, Some("OK")),
            Err(_) => {
                ctx.set_var(VAR, Some("HANGUP"));
                return Err(super::AppExit::Hangup);
            }
        }
        Ok(())
    })
}
