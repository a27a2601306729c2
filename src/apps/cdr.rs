//! NoCDR and ResetCDR (Asterisk's `apps/app_cdr.c`). ForkCDR is not
//! built: it stays listed as unsupported.

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
