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
    ctx.sys
        .cdr
        .with(|s| s.set_property(&ctx.chan.name, true, true));
    Ok(())
}

fn resetcdr(ctx: &AppCtx, data: &str) -> AppResult {
    // `v`: keep the variables set with CDR().
    let keep = data.contains('v');
    let done = ctx
        .sys
        .cdr
        .with(|s| s.reset(&ctx.chan.name, keep, std::time::SystemTime::now()));
    if !done {
        ctx.warning(
            crate::site!("app_cdr.c", 163, "appcdr_callback"),
            &format!("Failed to reset CDR for channel {}", ctx.chan.name),
        );
    }
    Ok(())
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
