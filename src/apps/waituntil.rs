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
        // sscanf("%30ld%30lf"): whole seconds, then what follows as the
        // fraction (".25"); a missing fraction counts as none.
        let Some((seconds, used)) = crate::funcs::c::scan_long(&data, 30) else {
            ctx.warning(
                crate::site!("app_waituntil.c", 91, "waituntil_exec"),
                "WaitUntil called with non-numeric argument",
            );
            ctx.set_var(VAR, Some("FAILURE"));
            return Ok(());
        };
        let fraction = crate::funcs::c::scan_double_w(&data[used..], 30).map_or(0.0, |(f, _)| f);
        let future_usec = (fraction * 1_000_000.0) as i64;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let (now_sec, now_usec) = (now.as_secs() as i64, i64::from(now.subsec_micros()));
        // ast_tvdiff_ms: whole seconds, then microseconds divided toward zero.
        let ms = (seconds - now_sec) * 1000 + (future_usec - now_usec) / 1000;
        if ms < 0 {
            ctx.notice(
                crate::site!("app_waituntil.c", 100, "waituntil_exec"),
                &format!("WaitUntil called in the past (now {now_sec}, arg {seconds})"),
            );
            ctx.set_var(VAR, Some("PAST"));
            return Ok(());
        }
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
