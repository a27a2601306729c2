//! NoCDR and ResetCDR (Asterisk's `apps/app_cdr.c`) and ForkCDR
//! (`apps/app_forkcdr.c`).

use super::{App, AppCtx, AppResult, Run};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "NoCDR",
            run: Run::Now(nocdr),
            synopsis: "Keeps the channel's current and later call detail records from being logged.",
            syntax: "NoCDR()",
        },
        App {
            name: "ResetCDR",
            run: Run::Now(resetcdr),
            synopsis: "Starts the channel's call detail records over from now.",
            syntax: "ResetCDR([options])",
        },
        App {
            name: "ForkCDR",
            run: Run::Now(forkcdr),
            synopsis: "Starts a new call detail record for the channel, carrying on from its current one.",
            syntax: "ForkCDR([options])",
        },
    ]
}

fn nocdr(ctx: &AppCtx, _data: &str) -> AppResult {
    let done = ctx
        .sys
        .cdr
        .with(|s| s.set_property(&ctx.chan.name, true, true));
    warn_unless(ctx, done, 149, "disable");
    Ok(())
}

/// ResetCDR: `v` keeps the variables set with CDR(); `e` first enables
/// the channel's CDRs again (undoing NoCDR).
fn resetcdr(ctx: &AppCtx, data: &str) -> AppResult {
    if data.contains('e') {
        let done = ctx
            .sys
            .cdr
            .with(|s| s.set_property(&ctx.chan.name, true, false));
        warn_unless(ctx, done, 156, "enable");
    }
    let keep = data.contains('v');
    let done = ctx
        .sys
        .cdr
        .with(|s| s.reset(&ctx.chan.name, keep, std::time::SystemTime::now()));
    warn_unless(ctx, done, 163, "reset");
    Ok(())
}

/// The warning app_cdr's CDR callback logs when the channel has no CDR
/// to `what` (disable, enable, reset).
fn warn_unless(ctx: &AppCtx, done: bool, line: u32, what: &str) {
    if !done {
        ctx.warning(
            crate::site!("app_cdr.c", line, "appcdr_callback"),
            &format!("Failed to {what} CDRs on channel {}", ctx.chan.name),
        );
    }
}

/// ForkCDR: options `a`, `e`, `r`, `v` (others are ignored). The fork
/// is made at once, as Asterisk's synchronous publication to the CDR
/// engine does; a failure is only logged.
fn forkcdr(ctx: &AppCtx, data: &str) -> AppResult {
    let opts = crate::cdr::ForkOptions {
        set_answer: data.contains('a'),
        finalize: data.contains('e'),
        reset: data.contains('r'),
        keep_vars: data.contains('v'),
    };
    let loaded = ctx.sys.loaded();
    let cfg = &loaded.cdr.general;
    let done = ctx
        .sys
        .cdr
        .with(|s| s.fork(&ctx.chan.name, opts, std::time::SystemTime::now(), cfg));
    if !done {
        ctx.warning(
            crate::site!("app_forkcdr.c", 132, "forkcdr_callback"),
            &format!("Failed to fork CDR for channel {}", ctx.chan.name),
        );
    }
    Ok(())
}
