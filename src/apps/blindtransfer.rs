//! BlindTransfer (Asterisk's `app_blind_transfer.c`): the channel's peer
//! in its bridge is sent to `exten@context`, as the BlindTransfer manager
//! action does, and BLINDTRANSFERSTATUS says how it went.

use super::{App, AppCtx, AppResult, Run, separate_args};
use crate::channels::bridge::{TransferFrom, TransferResult, blind_transfer};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "BlindTransfer",
        run: Run::Now(blindtransfer),
        synopsis: "Transfers the channel's bridged peer to an extension.",
        syntax: "BlindTransfer(exten[,context])",
    }]
}

fn blindtransfer(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_blind_transfer.c", 96, "blind_transfer_exec"),
            "BlindTransfer requires an argument (exten)",
        );
        ctx.set_var("BLINDTRANSFERSTATUS", Some("FAILURE"));
        return Ok(());
    }
    let args = separate_args(data, ',', 2);
    let exten = args.first().map(String::as_str).unwrap_or("");
    let context = match args.get(1).filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None => ctx.chan.lock().context.clone(),
    };
    let bridge = ctx.chan.bridge();
    let transferee = bridge.as_ref().and_then(|b| b.peer_of(&ctx.chan));
    // The application is an outside party to the bridge (`is_external`),
    // run in the transferer's own bridge thread.
    let result = blind_transfer(&ctx.chan, exten, &context, TransferFrom::App, None);
    let status = match result {
        TransferResult::NotPermitted => "NOTPERMITTED",
        TransferResult::Invalid => "INVALID",
        TransferResult::Fail => "FAILURE",
        TransferResult::Success => "SUCCESS",
    };
    ctx.set_var("BLINDTRANSFERSTATUS", Some(status));
    // The transferer, then its peer, leave the bridge once the
    // application is done.
    if result == TransferResult::Success
        && let (Some(b), Some(peer)) = (bridge, transferee)
    {
        b.complete_app_transfer(&ctx.chan, &peer);
    }
    Ok(())
}
