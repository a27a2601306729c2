//! Dial (Asterisk's `app_dial.c`): call one or more destinations at once,
//! connect the caller to the first that answers, and report how it went in
//! DIALSTATUS, DIALEDTIME and ANSWEREDTIME.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::sip::endpoint::Flavor;
use crate::channels::{ChanState, Channel, Indication, NewChannel, causes};
use crate::core::System;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Dial",
        run: Run::Wait(dial),
        synopsis: "Calls one or more destinations and connects the first to answer.",
        syntax: "Dial(Technology/Resource[&Technology2/Resource2[&...]][,timeout[,options[,URL]]])",
    }]
}

/// How often Dial looks at its outgoing legs between wake-ups.
const POLL: Duration = Duration::from_millis(20);

/// Creates and calls one destination; Err is the cause.
async fn request(
    sys: &Arc<System>,
    caller: &Arc<Channel>,
    dest: &str,
) -> Result<Arc<Channel>, u32> {
    let (tech, data) = dest.split_once('/').ok_or(66u32)?;
    if tech.eq_ignore_ascii_case("Local") {
        let (one, two) = crate::channels::local::request(
            sys,
            data,
            NewChannel {
                caller: caller.lock().caller.clone(),
                linkedid: Some(caller.lock().linkedid.clone()),
                ..Default::default()
            },
        );
        {
            let c = caller.lock().caller.clone();
            one.lock().connected.id = c.id;
        }
        if crate::channels::local::call(sys, &one, &two).is_err() {
            two.softhangup_quiet(crate::channels::softhangup::DEV);
            sys.pbx.channels.unregister(&two);
            sys.pbx.channels.unregister(&one);
            return Err(0);
        }
        let ctx = AppCtx {
            sys: sys.clone(),
            chan: two,
        };
        tokio::spawn(crate::pbx::run::pbx_run(ctx));
        return Ok(one);
    }
    let flavor = if tech.eq_ignore_ascii_case("SIP") {
        Flavor::ChanSip
    } else if tech.eq_ignore_ascii_case("PJSIP") {
        Flavor::Pjsip
    } else {
        sys.pbx.logger.warning(
            "channel.c",
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        return Err(66);
    };
    let stack = {
        let stacks = match sys.sip.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        stacks.into_iter().find(|s| s.flavor == flavor)
    };
    let Some(stack) = stack else {
        sys.pbx.logger.warning(
            "channel.c",
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        return Err(66);
    };
    stack.dial(sys, data, caller).await
}

fn dial<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { dial_exec(ctx, &data).await })
}

async fn dial_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let targets = args.first().cloned().unwrap_or_default();
    if targets.is_empty() {
        ctx.warning(
            "app_dial.c",
            "Dial requires an argument (technology/resource)",
        );
        return Err(AppExit::Hangup);
    }
    let timeout = args
        .get(1)
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .map(|t| Duration::from_millis((t * 1000.0) as u64));
    let options = args.get(2).cloned().unwrap_or_default();
    let go_on = options.contains('g');
    let ring = options.contains('r');
    let caller = ctx.chan.clone();
    let started = Instant::now();
    for v in [
        "DIALSTATUS",
        "DIALEDTIME",
        "ANSWEREDTIME",
        "DIALEDPEERNAME",
        "DIALEDPEERNUMBER",
    ] {
        ctx.set_var(v, None);
    }

    let mut legs: Vec<Arc<Channel>> = Vec::new();
    let mut last_cause = 0u32;
    for dest in targets.split('&').map(str::trim).filter(|d| !d.is_empty()) {
        match request(&ctx.sys, &caller, dest).await {
            Ok(leg) => {
                ctx.verbose(3, "app_dial.c", &format!("Called {dest}"));
                legs.push(leg);
            }
            Err(cause) => {
                last_cause = cause;
                ctx.warning(
                    "app_dial.c",
                    &format!(
                        "Unable to create channel of type '{}' (cause {cause} - {})",
                        dest.split('/').next().unwrap_or(dest),
                        causes::text(cause)
                    ),
                );
            }
        }
    }
    if legs.is_empty() {
        let status = if last_cause == 17 {
            "BUSY"
        } else {
            "CHANUNAVAIL"
        };
        ctx.set_var("DIALSTATUS", Some(status));
        ctx.set_var("DIALEDTIME", Some("0"));
        return Ok(());
    }
    if ring {
        caller.indicate(Indication::Ringing);
    }

    let mut ringing_seen: Vec<bool> = vec![false; legs.len()];
    let mut busy = 0usize;
    let mut failed = 0usize;
    let answered: Option<Arc<Channel>> = loop {
        if caller.check_hangup() {
            for leg in &legs {
                crate::pbx::run::hangup_channel(&ctx.sys, leg);
            }
            ctx.set_var("DIALSTATUS", Some("CANCEL"));
            set_dialedtime(ctx, started);
            return Err(AppExit::Hangup);
        }
        if let Some(t) = timeout
            && started.elapsed() >= t
        {
            for leg in &legs {
                leg.lock().hangupcause = 19;
                crate::pbx::run::hangup_channel(&ctx.sys, leg);
            }
            ctx.verbose(
                3,
                "app_dial.c",
                &format!("Nobody picked up in {} ms", t.as_millis()),
            );
            ctx.set_var("DIALSTATUS", Some("NOANSWER"));
            set_dialedtime(ctx, started);
            return Ok(());
        }
        let mut i = 0;
        let mut winner = None;
        while i < legs.len() {
            let leg = legs[i].clone();
            if leg.state() == ChanState::Up && !leg.check_hangup() {
                winner = Some(i);
                break;
            }
            if leg.check_hangup() {
                let cause = leg.lock().hangupcause;
                if cause == 17 {
                    busy += 1;
                    ctx.verbose(3, "app_dial.c", &format!("{} is busy", leg.name));
                } else {
                    failed += 1;
                    ctx.verbose(3, "app_dial.c", &format!("{} is circuit-busy", leg.name));
                }
                crate::pbx::run::hangup_channel(&ctx.sys, &leg);
                legs.remove(i);
                ringing_seen.remove(i);
                continue;
            }
            if leg.state() == ChanState::Ringing && !ringing_seen[i] {
                ringing_seen[i] = true;
                ctx.verbose(3, "app_dial.c", &format!("{} is ringing", leg.name));
                if !ring {
                    caller.indicate(Indication::Ringing);
                }
            }
            i += 1;
        }
        if let Some(w) = winner {
            let leg = legs.remove(w);
            for other in &legs {
                other.lock().hangupcause = 26;
                crate::pbx::run::hangup_channel(&ctx.sys, other);
            }
            break Some(leg);
        }
        if legs.is_empty() {
            break None;
        }
        let _ = tokio::time::timeout(POLL, caller.wake_handle().notified()).await;
    };

    let Some(peer) = answered else {
        let status = if busy > 0 && failed == 0 {
            "BUSY"
        } else {
            "CONGESTION"
        };
        ctx.set_var("DIALSTATUS", Some(status));
        set_dialedtime(ctx, started);
        return Ok(());
    };
    ctx.verbose(
        3,
        "app_dial.c",
        &format!("{} answered {}", peer.name, caller.name),
    );
    let answered_at = Instant::now();
    if caller.state() != ChanState::Up {
        caller.answer();
    }
    ctx.set_var("DIALSTATUS", Some("ANSWER"));
    ctx.set_var("DIALEDPEERNAME", Some(&peer.name));
    if let Some(n) = peer.lock().caller.id.number() {
        ctx.set_var("DIALEDPEERNUMBER", Some(n));
    }
    bridge(&caller, &peer).await;
    set_dialedtime(ctx, started);
    ctx.set_var(
        "ANSWEREDTIME",
        Some(&answered_at.elapsed().as_secs().to_string()),
    );
    let caller_gone = caller.check_hangup();
    if !caller_gone {
        // The callee hung up: its cause becomes the caller's.
        let cause = peer.lock().hangupcause;
        if caller.lock().hangupcause == 0 {
            caller.lock().hangupcause = cause;
        }
    }
    crate::pbx::run::hangup_channel(&ctx.sys, &peer);
    if caller_gone || !go_on {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

fn set_dialedtime(ctx: &AppCtx, started: Instant) {
    ctx.set_var("DIALEDTIME", Some(&started.elapsed().as_secs().to_string()));
}

/// Connects two answered channels until either hangs up: each one's audio
/// goes straight to the other's port (packet relay; the port converts
/// between µ-law and A-law when the legs differ), and so do DTMF digits.
async fn bridge(a: &Arc<Channel>, b: &Arc<Channel>) {
    a.set_peer(b);
    b.set_peer(a);
    use crate::channels::media::forward_to;
    a.set_tap(b.media_port().map(forward_to));
    b.set_tap(a.media_port().map(forward_to));
    loop {
        if a.check_hangup() || b.check_hangup() {
            break;
        }
        for (from, to) in [(a, b), (b, a)] {
            while let Some(d) = from.take_digit() {
                if let Some(p) = to.media_port() {
                    p.send_digit(d, 100);
                }
            }
        }
        let _ =
            tokio::time::timeout(POLL * 5, either_woken(a.wake_handle(), b.wake_handle())).await;
    }
    a.set_tap(None);
    b.set_tap(None);
}

/// Waits for either channel to be woken.
async fn either_woken(a: &tokio::sync::Notify, b: &tokio::sync::Notify) {
    tokio::select! {
        _ = a.notified() => {}
        _ = b.notified() => {}
    }
}
