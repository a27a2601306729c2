//! Transfer (Asterisk's `apps/app_transfer.c`): asks the channel's driver
//! to send the call elsewhere, and reports how it went in TRANSFERSTATUS
//! and TRANSFERSTATUSPROTOCOL.

use super::{App, AppCtx, AppFuture, Run, split_args};
use crate::channels::TransferResult;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Transfer",
        run: Run::Wait(transfer),
        synopsis: "Asks the channel's driver to transfer the call.",
        syntax: "Transfer([Tech/]destination)",
    }]
}

fn set_status(ctx: &AppCtx, status: &str, protocol: u32) {
    ctx.set_var("TRANSFERSTATUS", Some(status));
    ctx.set_var("TRANSFERSTATUSPROTOCOL", Some(&protocol.to_string()));
}

fn transfer<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            ctx.warning(
                crate::site!("app_transfer.c", 106, "transfer_exec"),
                "Transfer requires an argument ([Tech/]destination)",
            );
            set_status(ctx, "FAILURE", 0);
            return Ok(());
        }
        let args = split_args(&data, ',');
        let mut dest = args.first().map(String::as_str).unwrap_or("");
        // `strncasecmp(type, tech, len)`: the given technology must be the
        // channel's type or a prefix of it; the driver gets what follows.
        if let Some((tech, rest)) = dest.split_once('/')
            && !tech.is_empty()
        {
            let agrees = ctx
                .chan
                .tech
                .get(..tech.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(tech));
            if !agrees {
                set_status(ctx, "FAILURE", 0);
                return Ok(());
            }
            dest = rest;
        }
        let chan = &ctx.chan;
        // app_transfer asks the driver's capability first, so a channel
        // being hung up still hears UNSUPPORTED from a driver without one.
        let Some(driver) = chan.driver().filter(|d| d.has_transfer()) else {
            set_status(ctx, "UNSUPPORTED", 0);
            return Ok(());
        };
        // ast_transfer_protocol: nothing is asked of a channel being hung up.
        let asked = if chan.check_hangup() {
            Err(())
        } else {
            driver.transfer(chan, dest)
        };
        let outcome = match asked {
            Err(()) => None,
            // The driver's answer comes as a control frame, waited for as
            // long as the channel lives.
            Ok(()) => {
                let mut result = None;
                let waited = chan
                    .wait_for(|c| {
                        result = c.take_transfer_result();
                        result.is_some()
                    })
                    .await;
                waited.ok().and(result)
            }
        };
        // A failure the driver reported gives its code; a channel that
        // ended first, or a driver that could not ask, none.
        match outcome {
            Some(TransferResult::Success) => set_status(ctx, "SUCCESS", 0),
            Some(TransferResult::Failed(code)) => set_status(ctx, "FAILURE", code),
            None => set_status(ctx, "FAILURE", 0),
        }
        Ok(())
    })
}
