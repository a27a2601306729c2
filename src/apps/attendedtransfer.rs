//! AttendedTransfer (Asterisk's `app_attended_transfer.c`): the channel's
//! attended-transfer feature code, the extension and `#` are queued on it
//! as DTMF it received, so the bridge it is in starts the transfer as if
//! its user had keyed them; ATTENDEDTRANSFERSTATUS says whether they were
//! queued.

use super::{App, AppCtx, AppResult, Run, separate_args};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "AttendedTransfer",
        run: Run::Now(attended_transfer),
        synopsis: "Starts an attended transfer of the channel's bridged peer to an extension.",
        syntax: "AttendedTransfer(exten)",
    }]
}

const STATUS: &str = "ATTENDEDTRANSFERSTATUS";

fn attended_transfer(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_attended_transfer.c", 94, "attended_transfer_exec"),
            "AttendedTransfer requires an argument (exten)",
        );
        ctx.set_var(STATUS, Some("FAILURE"));
        return Ok(());
    }
    // The transfer's context must be set before the code is queued: the
    // feature reads it when it runs (and refuses without it).
    if ctx.var("TRANSFER_CONTEXT").is_none_or(|c| c.is_empty()) {
        ctx.set_var(STATUS, Some("NOTPERMITTED"));
        return Ok(());
    }
    let global = ctx.sys.loaded().features.clone();
    let code = crate::funcs::features::channel_features(&global, &ctx.chan)
        .featuremap
        .atxfer
        .clone();
    if code.is_empty() {
        ctx.set_var(STATUS, Some("NOTPERMITTED"));
        return Ok(());
    }
    let args = separate_args(data, ',', 1);
    let exten = args.first().map(String::as_str).unwrap_or("");
    // Frames of no length, as `ast_queue_frame` of a bare DTMF frame.
    for digit in code.chars().chain(exten.chars()).chain(['#']) {
        ctx.chan.queue_dtmf(digit, 0);
    }
    ctx.set_var(STATUS, Some("SUCCESS"));
    Ok(())
}
