//! Park and ParkedCall (`res/parking/parking_applications.c`): a call
//! parks itself in a lot and holds there; another retrieves it from its
//! space and talks to it in a new bridge. The lots themselves are
//! `crate::parking`.

use std::sync::Arc;

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};
use crate::channels::bridge::Bridge;
use crate::channels::{ChanState, bridge_basic};
use crate::parking::{self, ParkOptions, Parked};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Park",
            run: Run::Wait(park),
            synopsis: "Parks the caller in a parking lot, where it holds until retrieved or timed out.",
            syntax: "Park([parking_lot_name[,options]])",
        },
        App {
            name: "ParkedCall",
            run: Run::Wait(parked_call),
            synopsis: "Connects the caller with a call parked in a lot.",
            syntax: "ParkedCall([parking_lot_name[,parking_space]])",
        },
    ]
}

/// `park_app_parse_data`: the lot and the options (`r`, `R`, `s`,
/// `c(...)`, `t(...)`, `m(...)`). `None` when the timeout is bad
/// (logged).
pub fn parse_park_data(ctx: &AppCtx, data: &str) -> Option<ParkOptions> {
    let args = super::separate_args(data, ',', 3);
    let mut opts = ParkOptions {
        lot: args.first().cloned().unwrap_or_default(),
        ..Default::default()
    };
    let optstr = args.get(1).map(String::as_str).unwrap_or("");
    if optstr.is_empty() {
        return Some(opts);
    }
    let Ok(o) = super::options::parse(&ctx.sys.pbx.logger, optstr, "rRsctm") else {
        return Some(opts);
    };
    if o.has('t') {
        let arg = o.arg('t').unwrap_or("");
        if arg.is_empty() {
            ctx.error(
                crate::site!("parking_applications.c", 328, "apply_option_timeout"),
                "No duration value provided for the timeout ('t') option.",
            );
            return None;
        }
        match crate::config::views::values::scan_d(arg) {
            Some(n) if n >= 0 => opts.time_limit = u32::try_from(n).ok(),
            _ => {
                ctx.error(
                    crate::site!("parking_applications.c", 333, "apply_option_timeout"),
                    "Duration value provided for timeout ('t') option must be 0 or greater.",
                );
                return None;
            }
        }
    }
    if o.has('c') {
        opts.comeback = o.arg('c').map(str::to_string);
    }
    opts.silence = o.has('s');
    if o.has('m') {
        opts.musicclass = o.arg('m').map(str::to_string);
    }
    opts.ringing = o.has('r');
    opts.randomize = o.has('R');
    Some(opts)
}

/// `park_app_exec`.
fn park<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let chan = &ctx.chan;
        if chan.state() != ChanState::Up {
            chan.answer();
        }
        let blind = chan.get_var("BLINDTRANSFER").is_some_and(|v| !v.is_empty());
        let Some(opts) = parse_park_data(ctx, &data) else {
            failed(ctx, blind, false).await;
            return Ok(());
        };
        match parking::park_and_hold(&ctx.sys, chan, None, &opts).await {
            Parked::Failed => {
                failed(ctx, blind, opts.silence).await;
                Ok(())
            }
            Parked::Hangup => Err(AppExit::Hangup),
            // The async goto the timeout set: the dialplan goes on there.
            Parked::GoesOn => Ok(()),
        }
    })
}

/// Parking failed: the caller hears so, unless silenced or transferred.
async fn failed(ctx: &AppCtx, blind: bool, silence: bool) {
    if !silence && !blind {
        let _ = crate::apps::playback::stream_file(ctx, "pbx-parkingfailed", "").await;
        ctx.chan.stop_stream();
    }
}

async fn invalid_park(ctx: &AppCtx) -> AppResult {
    let _ = crate::apps::playback::stream_file(ctx, "pbx-invalidpark", "").await;
    ctx.chan.stop_stream();
    Err(AppExit::Hangup)
}

/// `parked_call_app_exec`: always ends the caller's dialplan.
fn parked_call<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let sys = &ctx.sys;
        let chan = &ctx.chan;
        let args = super::separate_args(&data, ',', 3);
        if chan.state() != ChanState::Up {
            chan.answer();
        }
        let lot_name = match args.first().filter(|l| !l.is_empty()) {
            Some(l) => l.clone(),
            None => parking::channel_lot_name(chan),
        };
        let loaded = sys.loaded();
        let Some(cfg) = loaded.parking.lot(&lot_name).cloned() else {
            ctx.error(
                crate::site!("parking_applications.c", 560, "parked_call_app_exec"),
                "Could not find the requested parking lot",
            );
            return invalid_park(ctx).await;
        };
        let space = match args.get(1).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match crate::config::views::values::scan_d(s) {
                Some(n) if n >= 0 => u32::try_from(n).ok(),
                _ => {
                    let r = invalid_park(ctx).await;
                    ctx.error(
                        crate::site!("parking_applications.c", 568, "parked_call_app_exec"),
                        &format!(
                            "value '{s}' for parking_space argument is invalid. Must be an integer greater than 0."
                        ),
                    );
                    return r;
                }
            },
        };
        let Some(pu) = sys.parking.retrieve(&cfg.name, space) else {
            return invalid_park(ctx).await;
        };
        let bridge = Bridge::create(&sys.pbx.channels.events);
        parking::move_to_retriever(sys, &pu, chan, &bridge);
        // parked_call_retrieve_enable_features, for the one retrieving.
        {
            let mut d = chan.lock();
            let mut f = d.props.dtmf_features.unwrap_or_default();
            f.redirect |= cfg.parkedcalltransfers.caller;
            f.parkcall |= cfg.parkedcallreparking.caller;
            f.disconnect |= cfg.parkedcallhangup.caller;
            f.automixmon |= cfg.parkedcallrecording.caller;
            d.props.dtmf_features = Some(f);
        }
        if cfg.parkedplay.caller && !cfg.courtesytone.is_empty() {
            let _ = crate::apps::playback::stream_file(ctx, &cfg.courtesytone, "").await;
            chan.stop_stream();
        }
        let parkee = pu.chan.clone();
        // Bridged, the two share the older call's linked id.
        {
            let older = parkee.created_at <= chan.created_at;
            let linkedid = if older {
                parkee.lock().linkedid.clone()
            } else {
                chan.lock().linkedid.clone()
            };
            for c in [chan, &parkee] {
                let mut d = c.lock();
                d.linkedid.clone_from(&linkedid);
            }
        }
        bridge.join(chan);
        bridge.update_connected_lines();
        let ended = bridge_basic::rejoin(sys, &bridge, chan, &parkee).await;
        let (bridge, peer, ended) =
            match bridge_basic::follow_transfers(sys, chan, bridge, parkee, ended).await {
                bridge_basic::Followed::Stays {
                    bridge,
                    peer,
                    ended,
                } => (bridge, peer, ended),
                bridge_basic::Followed::Out => return Err(AppExit::Hangup),
            };
        if bridge.transfer().is_some() {
            // The parked call went where it was sent (its own PBX follows
            // the async goto); the retriever is done.
            bridge.destroy();
            return Err(AppExit::Hangup);
        }
        let retriever_gone = match &ended {
            bridge_basic::Ended::Disconnect(by) => Arc::ptr_eq(by, chan),
            _ => chan.check_hangup(),
        };
        let (first, second) = if retriever_gone {
            (chan, &peer)
        } else {
            (&peer, chan)
        };
        // Both leave the bridge with a normal clearing unless they have a
        // cause of their own.
        for c in [chan, &peer] {
            let mut d = c.lock();
            if d.hangupcause == 0 {
                d.hangupcause = 16;
            }
        }
        bridge.leave(first);
        bridge.leave(second);
        // The parked call's own PBX (still in Park) hangs it up.
        peer.wake();
        bridge.destroy();
        Err(AppExit::Hangup)
    })
}
