//! Pickup and PickupChan (Asterisk's `apps/app_directed_pickup.c`):
//! directed call pickup of a ringing channel, chosen by the extension and
//! context it was dialled at, by its `PICKUPMARK` variable, by the
//! caller's pickup groups, or by its name. The pickup itself is
//! `crate::channels::pickup`.

use std::sync::Arc;

use super::{App, AppCtx, AppExit, AppResult, Run};
use crate::channels::Channel;
use crate::channels::pickup::{claim, do_pickup, find_by_group};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Pickup",
            run: Run::Now(pickup_exec),
            synopsis: "Answers a ringing call in place of the phone it rings, chosen by extension, mark or pickup group.",
            syntax: "Pickup([extension[@context][&extension2[@context2][&...]]])",
        },
        App {
            name: "PickupChan",
            run: Run::Now(pickupchan_exec),
            synopsis: "Answers a ringing call in place of the phone it rings, chosen by channel name or unique id.",
            syntax: "PickupChan(channel[&channel2[&...]][,options])",
        },
    ]
}

/// The context that makes `exten` a mark: the target has PICKUPMARK set
/// to `exten`.
const PICKUPMARK: &str = "PICKUPMARK";

/// A successful pickup ends the dialplan of the channel left behind.
fn picked(ctx: &AppCtx, target: &Arc<Channel>) -> bool {
    do_pickup(&ctx.sys, &ctx.chan, target).is_ok()
}

/// The first channel, in the order Asterisk's container yields them,
/// that `matches` and may be picked up (claimed for the caller).
fn first_claimed(ctx: &AppCtx, matches: impl Fn(&Channel) -> bool) -> Option<Arc<Channel>> {
    ctx.sys
        .pbx
        .channels
        .in_container_order()
        .into_iter()
        .filter(|t| !Arc::ptr_eq(t, &ctx.chan))
        .find(|t| matches(t) && claim(t))
}

/// `pickup_by_exten`: the channel at `exten@context`.
fn pickup_by_exten(ctx: &AppCtx, exten: &str, context: &str) -> bool {
    let target = first_claimed(ctx, |t| {
        let d = t.lock();
        d.context.eq_ignore_ascii_case(context) && d.exten.eq_ignore_ascii_case(exten)
    });
    let Some(target) = target else {
        return false;
    };
    ctx.verbose(
        3,
        crate::site!("app_directed_pickup.c", 256, "pickup_by_exten"),
        &format!("{} pickup by {}", target.name, ctx.chan.name),
    );
    picked(ctx, &target)
}

/// `pickup_by_mark`: the channel whose PICKUPMARK is `mark`.
fn pickup_by_mark(ctx: &AppCtx, mark: &str) -> bool {
    let target = first_claimed(ctx, |t| {
        t.lock()
            .vars
            .get(PICKUPMARK)
            .is_some_and(|v| v.eq_ignore_ascii_case(mark))
    });
    target.is_some_and(|t| picked(ctx, &t))
}

/// `pickup_by_group`.
fn pickup_by_group(ctx: &AppCtx) -> bool {
    let Some(target) = find_by_group(&ctx.sys, &ctx.chan) else {
        return false;
    };
    ctx.verbose(
        3,
        crate::site!("app_directed_pickup.c", 322, "pickup_by_group"),
        &format!("pickup {} attempt by {}", target.name, ctx.chan.name),
    );
    picked(ctx, &target)
}

fn pickup_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        return if pickup_by_group(ctx) {
            Err(AppExit::Hangup)
        } else {
            Ok(())
        };
    }
    for spec in data.split('&').filter(|s| !s.is_empty()) {
        let (exten, context) = match spec.split_once('@') {
            Some((e, c)) => (e, c),
            None => (spec, ""),
        };
        let context = if !context.is_empty() && context.eq_ignore_ascii_case(PICKUPMARK) {
            if pickup_by_mark(ctx, exten) {
                // The channel left behind is done with the dialplan.
                return Err(AppExit::Hangup);
            }
            context.to_string()
        } else {
            let context = if context.is_empty() {
                ctx.chan.lock().context.clone()
            } else {
                context.to_string()
            };
            if pickup_by_exten(ctx, exten, &context) {
                return Err(AppExit::Hangup);
            }
            context
        };
        ctx.notice(
            crate::site!("app_directed_pickup.c", 371, "pickup_exec"),
            &format!("No target channel found for {exten}@{context}."),
        );
    }
    // Nothing picked up: the dialplan goes on.
    Ok(())
}

/// `find_by_channel`: a name with a `-` is taken as given (a whole name,
/// or a prefix such as `Local/bob@en-phone`), one without gets the `-`
/// that ends a device name (`SIP/bob` finds `SIP/bob-…`, not
/// `SIP/bobby-…`); with `partial` (option `p`) the name is a bare prefix.
/// Failing that, a channel whose unique id it is.
fn find_by_channel(ctx: &AppCtx, name: &str, partial: bool) -> Option<Arc<Channel>> {
    let prefix = if partial || name.contains('-') {
        name.to_ascii_lowercase()
    } else {
        format!("{}-", name.to_ascii_lowercase())
    };
    first_claimed(ctx, |t| t.name.to_ascii_lowercase().starts_with(&prefix))
        .or_else(|| first_claimed(ctx, |t| t.uniqueid.eq_ignore_ascii_case(name)))
}

fn pickupchan_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = super::separate_args(data, ',', 3);
    let channels = args.first().map(String::as_str).unwrap_or("");
    if channels.is_empty() {
        ctx.warning(
            crate::site!("app_directed_pickup.c", 440, "pickupchan_exec"),
            "PickupChan requires an argument (channel)!",
        );
        return Ok(());
    }
    let optstr = args.get(1).map(String::as_str).unwrap_or("");
    let Ok(options) = super::options::parse(&ctx.sys.pbx.logger, optstr, "p") else {
        // Options that do not parse: no pickup, the dialplan goes on.
        return Ok(());
    };
    let partial = options.has('p');
    for name in channels.split('&').filter(|s| !s.is_empty()) {
        if let Some(target) = find_by_channel(ctx, name, partial)
            && picked(ctx, &target)
        {
            return Err(AppExit::Hangup);
        }
        ctx.notice(
            crate::site!("app_directed_pickup.c", 471, "pickupchan_exec"),
            &format!("No target channel found for {name}."),
        );
    }
    Ok(())
}
