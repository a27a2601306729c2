//! Dial (Asterisk's `app_dial.c`): call one or more destinations at once,
//! connect the caller to the first that answers, and report how it went in
//! DIALSTATUS, DIALEDTIME and ANSWEREDTIME.

use std::collections::HashMap;
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
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// How a requested leg is started (`ast_call`), when that is still to do.
pub(crate) type Start = (
    Arc<crate::channels::sip::stack::SipStack>,
    Box<crate::channels::sip::stack::Outgoing>,
);

/// Requests one destination (`ast_request`); a SIP leg is called later
/// (after Dial has set it up), a Local pair at once. Err is the cause.
pub(crate) async fn request(
    sys: &Arc<System>,
    caller: &Arc<Channel>,
    dest: &str,
) -> Result<(Arc<Channel>, Option<Start>), u32> {
    let (tech, data) = dest.split_once('/').ok_or(66u32)?;
    if tech.eq_ignore_ascii_case("Local") {
        // One lock: two guards in one expression would deadlock.
        let (id, linkedid) = {
            let c = caller.lock();
            (c.caller.clone(), c.linkedid.clone())
        };
        let (one, two) = crate::channels::local::request(
            sys,
            data,
            NewChannel {
                caller: id,
                linkedid: Some(linkedid),
                ..Default::default()
            },
        );
        inherit_callid(caller, &one);
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
        crate::pbx::run::pbx_start_or_hang_up(ctx);
        return Ok((one, None));
    }
    let flavor = if tech.eq_ignore_ascii_case("SIP") {
        Flavor::ChanSip
    } else if tech.eq_ignore_ascii_case("PJSIP") {
        Flavor::Pjsip
    } else {
        sys.pbx.logger.warning(
            crate::site!("channel.c", 6349, "request_channel"),
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        return Err(66);
    };
    let Some(stack) = crate::channels::sip::stack_of(sys, flavor) else {
        sys.pbx.logger.warning(
            crate::site!("channel.c", 6349, "request_channel"),
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        return Err(66);
    };
    let (chan, out) = stack.request(sys, data, Some(caller)).await?;
    inherit_callid(caller, &chan);
    Ok((chan, Some((stack, out))))
}

/// ast_request gives the channel it made its requestor's call id, if the
/// requestor has one (again, when the driver already bound it).
fn inherit_callid(requestor: &Channel, chan: &Channel) {
    let id = requestor.callid();
    if id != 0 {
        chan.bind_callid(id);
    }
}

/// The variables Dial clears when it starts, in its order.
const DIAL_VARS: [&str; 11] = [
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
];

/// One outbound leg.
struct Leg {
    chan: Arc<Channel>,
    /// What was dialled after the technology (the DialString).
    number: String,
    start: Option<Start>,
    ringing_seen: bool,
    /// Another channel took the leg's place (a pickup's masquerade): its
    /// answer gives the caller a connected-line update.
    replaced: bool,
}

/// `set_duration_var`: whole seconds, and milliseconds in `<name>_MS`.
pub(crate) fn set_duration(ctx: &AppCtx, name: &str, d: Duration) {
    let ms = d.as_millis();
    ctx.set_var(name, Some(&(ms / 1000).to_string()));
    ctx.set_var(&format!("{name}_MS"), Some(&ms.to_string()));
}

/// A Dial event about `leg` (`ast_channel_publish_dial`): DialBegin shows
/// both channels as last published, DialState and DialEnd as they are now.
pub(crate) fn publish_dial(
    sys: &System,
    caller: &Channel,
    leg: &Channel,
    name: &'static str,
    tail: String,
) {
    let (caller_snap, leg_snap) = if name == "DialBegin" {
        (caller.published_snapshot(), leg.published_snapshot())
    } else {
        (Arc::new(caller.snapshot()), Arc::new(leg.snapshot()))
    };
    sys.pbx.channels.events.publish(
        crate::core::events::EventKind::CallerDial {
            name,
            caller: caller_snap,
            tail,
        },
        leg_snap,
    );
}

pub(crate) fn dial_end(sys: &System, caller: &Channel, leg: &Channel, status: &str) {
    publish_dial(
        sys,
        caller,
        leg,
        "DialEnd",
        format!("DialStatus: {status}\r\n"),
    );
}

/// `ast_hangup_cause_to_dial_status`.
pub(crate) fn dial_status_of(cause: u32) -> &'static str {
    match cause {
        17 => "BUSY",
        34 => "CONGESTION",
        3 | 20 => "CHANUNAVAIL",
        19 => "NOANSWER",
        _ => "CONGESTION",
    }
}

/// What Dial (and Queue, as `app`) does to a fresh leg before calling
/// it: its DIALEDPEERNUMBER, the application it shows, a caller id when
/// the driver set none (the dialled extension; Dial only), the caller as
/// its connected line, and the caller's extension; then Dial publishes
/// the leg once with all of it (Queue leaves that to the leg's next
/// change: its DialBegin shows the leg as first published).
pub(crate) fn set_up_leg(caller: &Channel, leg: &Channel, number: &str, app: &str) {
    leg.set_var_event("DIALEDPEERNUMBER", number);
    let (caller_id, exten, connected_name) = {
        let d = caller.lock();
        (
            d.caller.id.clone(),
            d.exten.clone(),
            d.connected.id.name().map(str::to_string),
        )
    };
    {
        let mut d = leg.lock();
        d.appl = Some(app.into());
        d.data = Some("(Outgoing Line)".into());
        if app == "AppDial" && d.caller.id.number().is_none_or(str::is_empty) {
            d.caller.id.set_number(Some(&exten));
            d.caller.id.set_name(connected_name.as_deref());
        }
        d.connected.id = caller_id;
        d.exten = exten;
    }
    if app == "AppDial" {
        leg.publish_snapshot();
    }
}

/// Dial's options as `ast_app_parse_options` reads them: letters, each
/// optionally followed by a parenthesised argument (nested parentheses
/// and quotes kept inside it).
pub(crate) fn parse_options(s: &str) -> HashMap<char, Option<String>> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let mut arg = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let (mut depth, mut quote, mut text) = (1u32, false, String::new());
            while let Some(a) = chars.next() {
                match a {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            text.push(n);
                        }
                        continue;
                    }
                    '"' => quote = !quote,
                    '(' if !quote => depth += 1,
                    ')' if !quote => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                text.push(a);
            }
            arg = Some(text);
        }
        out.insert(c, arg);
    }
    out
}

/// Stops Dial's music on hold however Dial ends (`ast_moh_stop` at
/// `out:` in app_dial.c).
struct MusicGuard<'a>(Option<&'a AppCtx>);

impl MusicGuard<'_> {
    fn stop(&mut self) {
        if let Some(ctx) = self.0.take() {
            super::moh::moh_stop(ctx);
        }
    }
}

impl Drop for MusicGuard<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

fn dial<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { dial_exec(ctx, &data).await })
}

async fn dial_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let targets = args.first().cloned().unwrap_or_default();
    if targets.is_empty() {
        ctx.warning(
            crate::site!("app_dial.c", 0, "dial_exec_full"),
            "Dial requires an argument (technology/resource)",
        );
        return Err(AppExit::Hangup);
    }
    let timeout = args
        .get(1)
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .map(|t| Duration::from_millis((t * 1000.0) as u64));
    let options = parse_options(args.get(2).map(String::as_str).unwrap_or(""));
    let go_on = options.contains_key(&'g');
    // `m` entertains the caller instead of `r`'s ringing, never both.
    let music = options
        .get(&'m')
        .map(|class| class.as_deref().unwrap_or(""));
    let ring = music.is_none() && options.contains_key(&'r');
    let caller = ctx.chan.clone();
    let sys = &ctx.sys;
    let started = Instant::now();
    for v in DIAL_VARS {
        ctx.set_var(v, Some(""));
    }

    let mut legs: Vec<Leg> = Vec::new();
    let mut last_cause = 0u32;
    let dests: Vec<&str> = targets
        .split('&')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    for (i, dest) in dests.iter().copied().enumerate() {
        match request(sys, &caller, dest).await {
            Ok((chan, start)) => {
                let number = dest.split_once('/').map(|(_, n)| n).unwrap_or(dest);
                set_up_leg(&caller, &chan, number, "AppDial");
                legs.push(Leg {
                    chan,
                    number: number.to_string(),
                    start,
                    ringing_seen: false,
                    replaced: false,
                });
            }
            Err(cause) => {
                last_cause = cause;
                // The last destination's failure is the caller's cause.
                if i + 1 == dests.len() {
                    caller.lock().hangupcause = cause;
                }
                // A NOTICE: failure is not necessarily the user's error.
                ctx.notice(
                    crate::site!("app_dial.c", 2802, "dial_exec_full"),
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
        return Ok(());
    }
    for leg in &mut legs {
        if let Some((stack, out)) = leg.start.take() {
            stack.call(out);
        }
        publish_dial(
            sys,
            &caller,
            &leg.chan,
            "DialBegin",
            format!("DialString: {}\r\n", leg.number),
        );
        let interface = format!("{}/{}", leg.chan.tech, leg.number);
        ctx.verbose(
            3,
            crate::site!("app_dial.c", 3007, "dial_exec_full"),
            &format!("Called {interface}"),
        );
    }
    // chan_pjsip offers the callee's caller id as connected line at once;
    // with a single leg Dial passes it to the caller.
    if legs.len() == 1 && legs[0].chan.tech == "PJSIP" {
        let id = legs[0].chan.lock().caller.id.clone();
        if id.number().is_some() || id.name().is_some() {
            caller.lock().connected.id = id;
            caller.publish_snapshot();
        }
    }
    // The caller hears music until the answer or until Dial ends.
    let mut music_guard = MusicGuard(None);
    if let Some(class) = music {
        if class.is_empty() {
            let _ = super::moh::moh_start(ctx, None);
        } else {
            // app_dial makes the class the channel's own while starting
            // it, so it is found first (and warned about as such).
            let original = std::mem::replace(&mut caller.lock().musicclass, class.to_string());
            let _ = super::moh::moh_start(ctx, Some(class));
            caller.lock().musicclass = original;
        }
        music_guard = MusicGuard(Some(ctx));
        caller.indicate(Indication::Progress);
    }
    if ring {
        caller.indicate(Indication::Ringing);
    }

    // With music the callee's ringing is never passed on.
    let mut sent_ringing = ring || music.is_some();
    let mut sent_ringtime = false;
    let answered: Option<Leg> = loop {
        if caller.check_hangup() {
            for leg in &legs {
                dial_end(sys, &caller, &leg.chan, "CANCEL");
            }
            // hanguptree: the legs go with the caller's cause.
            let cause = match caller.lock().hangupcause {
                0 => 16,
                c => c,
            };
            for leg in &legs {
                leg.chan.lock().hangupcause = cause;
                crate::pbx::run::hangup_channel(sys, &leg.chan);
            }
            ctx.set_var("DIALSTATUS", Some("CANCEL"));
            return Err(AppExit::Hangup);
        }
        if let Some(t) = timeout
            && started.elapsed() >= t
        {
            ctx.verbose(
                3,
                crate::site!("app_dial.c", 2023, "wait_for_answer"),
                &format!("Nobody picked up in {} ms", t.as_millis()),
            );
            for leg in &legs {
                dial_end(sys, &caller, &leg.chan, "NOANSWER");
            }
            // Asterisk hangs the unanswered legs up with the caller's cause,
            // or Normal Clearing (16) when it has none (the reference's
            // sip_voicemail capture).
            for leg in &legs {
                leg.chan.lock().hangupcause = 16;
                crate::pbx::run::hangup_channel(sys, &leg.chan);
            }
            ctx.set_var("DIALSTATUS", Some("NOANSWER"));
            return Ok(());
        }
        let mut i = 0;
        let mut winner = None;
        let mut last_status = None;
        while i < legs.len() {
            // A picked-up leg: Dial goes on with the channel that took
            // its place (up already), as Asterisk's masquerade leaves it
            // holding that channel.
            if let Some(new) = legs[i].chan.take_replacement() {
                legs[i].chan = new;
                legs[i].replaced = true;
            }
            let leg = legs[i].chan.clone();
            if leg.state() == ChanState::Up && !leg.check_hangup() {
                winner = Some(i);
                break;
            }
            if leg.check_hangup() {
                let cause = leg.lock().hangupcause;
                let status = dial_status_of(cause);
                match status {
                    "BUSY" => ctx.verbose(
                        3,
                        crate::site!("app_dial.c", 1532, "wait_for_answer"),
                        &format!("{} is busy", leg.name),
                    ),
                    _ => ctx.verbose(
                        3,
                        crate::site!("app_dial.c", 1541, "wait_for_answer"),
                        &format!("{} is circuit-busy", leg.name),
                    ),
                }
                dial_end(sys, &caller, &leg, status);
                caller.lock().hangupcause = cause;
                crate::pbx::run::hangup_channel(sys, &leg);
                legs.remove(i);
                last_status = Some(status);
                continue;
            }
            if leg.state() == ChanState::Ringing && !legs[i].ringing_seen {
                legs[i].ringing_seen = true;
                ctx.verbose(
                    3,
                    crate::site!("app_dial.c", 1579, "wait_for_answer"),
                    &format!("{} is ringing", leg.name),
                );
                if !sent_ringing {
                    caller.indicate(Indication::Ringing);
                    sent_ringing = true;
                }
                if !sent_ringtime {
                    set_duration(ctx, "RINGTIME", leg.created_at.elapsed());
                    sent_ringtime = true;
                }
                publish_dial(
                    sys,
                    &caller,
                    &leg,
                    "DialState",
                    "DialStatus: RINGING\r\n".into(),
                );
            }
            i += 1;
        }
        if let Some(w) = winner {
            let leg = legs.remove(w);
            for other in &legs {
                dial_end(sys, &caller, &other.chan, "CANCEL");
            }
            for other in &legs {
                other.chan.lock().hangupcause = 26;
                crate::pbx::run::hangup_channel(sys, &other.chan);
            }
            break Some(leg);
        }
        if legs.is_empty() {
            ctx.set_var("DIALSTATUS", Some(last_status.unwrap_or("CONGESTION")));
            return Ok(());
        }
        let _ = tokio::time::timeout(POLL, caller.wake_handle().notified()).await;
    };

    let Some(leg) = answered else {
        return Ok(());
    };
    music_guard.stop();
    let peer = leg.chan;
    ctx.verbose(
        3,
        crate::site!("app_dial.c", 1469, "wait_for_answer"),
        &format!("{} answered {}", peer.name, caller.name),
    );
    if leg.replaced {
        // The leg's name changed (a pickup): the caller learns who
        // answered (`update_connected_line_from_peer`).
        let id = peer.lock().caller.id.clone();
        crate::channels::bridge::apply_connected_line(&caller, id);
    }
    {
        // The answer: the leg leaves the dialplan view, and a hangup from
        // now on is a normal one. A leg found up already (a pickup took
        // its place) is answered without that (app_dial's check of an up
        // channel before reading its answer).
        let mut d = peer.lock();
        d.exten.clear();
        if !leg.replaced {
            d.hangupcause = 16;
        }
    }
    if !leg.replaced {
        caller.lock().hangupcause = 16;
    }
    ctx.set_var("DIALSTATUS", Some("ANSWER"));
    ctx.set_var("DIALEDPEERNAME", Some(&peer.name));
    ctx.set_var("DIALEDPEERNUMBER", Some(&leg.number));
    dial_end(sys, &caller, &peer, "ANSWER");
    let connected = connect(
        ctx,
        peer,
        &|c| options.contains_key(&c),
        Some("DIALSTATUS"),
        None,
    )
    .await;
    match connected {
        Connected::Done(res) => res,
        Connected::Ended { caller_gone, .. } => {
            if caller_gone || !go_on {
                return Err(AppExit::Hangup);
            }
            Ok(())
        }
    }
}

/// Told when a bridged call ends, before the bridge lets the two go:
/// whether the caller hung up first, and the peer.
pub(crate) type OnEnd<'a> = &'a (dyn Fn(bool, &Arc<Channel>) + Sync);

/// How a bridged call of Dial or Queue ended.
pub(crate) enum Connected {
    /// A transfer or parking decided what the caller does next.
    Done(AppResult),
    /// Both left the bridge, the peer is hung up; who hung up first.
    Ended { caller_gone: bool },
}

/// The answered call (`ast_bridge_call` as app_dial and app_queue use
/// it): answers the caller, bridges it to `peer` with the features the
/// option letters ask for, follows transfers and parking, and sets
/// ANSWEREDTIME and DIALEDTIME (and `status_var` to ANSWER).
pub(crate) async fn connect(
    ctx: &AppCtx,
    peer: Arc<Channel>,
    features: &(dyn Fn(char) -> bool + Sync),
    status_var: Option<&str>,
    on_end: Option<OnEnd<'_>>,
) -> Connected {
    let sys = &ctx.sys;
    let caller = ctx.chan.clone();
    let set_answered = |ctx: &AppCtx, caller: &Channel| {
        set_duration(
            ctx,
            "ANSWEREDTIME",
            caller.up_time().unwrap_or(Duration::ZERO),
        );
        set_duration(ctx, "DIALEDTIME", caller.created_at.elapsed());
        if let Some(v) = status_var {
            ctx.set_var(v, Some("ANSWER"));
        }
    };
    crate::apps::monitor::bridge_check_monitor(sys, &caller, &peer).await;
    if caller.state() != ChanState::Up {
        caller.answer();
    }
    use crate::channels::bridge_basic;
    bridge_basic::set_dial_features(ctx, &peer, features);
    let (bridge, ended) = bridge_basic::bridge_call(sys, &caller, &peer).await;
    // An attended transfer may have changed who is in the call.
    let (bridge, peer, ended) =
        match bridge_basic::follow_transfers(sys, &caller, bridge, peer, ended).await {
            bridge_basic::Followed::Stays {
                bridge,
                peer,
                ended,
            } => (bridge, peer, ended),
            bridge_basic::Followed::Out => {
                // The other two talk on without Dial.
                set_answered(ctx, &caller);
                return Connected::Done(Err(AppExit::Hangup));
            }
        };
    if let Some(t) = bridge.transfer() {
        // A transfer took the bridge apart (both have left it).
        bridge.destroy();
        set_answered(ctx, &caller);
        if Arc::ptr_eq(&t.transferee, &peer) {
            // The callee runs the dialplan where it was sent.
            crate::pbx::run::pbx_start_or_hang_up(AppCtx {
                sys: sys.clone(),
                chan: peer.clone(),
            });
        } else {
            crate::pbx::run::hangup_channel(sys, &peer);
        }
        if Arc::ptr_eq(&t.transferer, &caller) {
            return Connected::Done(Err(AppExit::Hangup));
        }
        // The caller goes on where its async goto sends it.
        return Connected::Done(Ok(()));
    }
    // Whoever hung up (or disconnected) leaves first; the bridge then
    // dissolves.
    let caller_gone = match &ended {
        bridge_basic::Ended::Disconnect(by) => Arc::ptr_eq(by, &caller),
        _ => caller.check_hangup(),
    };
    // Queue reports the call's end as the hangup is seen, before the
    // bridge lets the two go.
    if let Some(f) = on_end {
        f(caller_gone, &peer);
    }
    let (first, second) = if caller_gone {
        (&caller, &peer)
    } else {
        (&peer, &caller)
    };
    // bridge_dissolve: the bridge ends with the cause of the member that
    // left (Normal Clearing when it has none), which each member without
    // a cause of its own takes (`channel_set_cause`). A picked-up call
    // has none until then.
    let dissolve = match first.lock().hangupcause {
        0 => causes::NORMAL_CLEARING,
        c => c,
    };
    for member in [first, second] {
        let mut d = member.lock();
        if d.hangupcause == 0 {
            d.hangupcause = dissolve;
        }
    }
    bridge.leave(first);
    bridge.leave(second);
    bridge.destroy();
    set_duration(
        ctx,
        "ANSWEREDTIME",
        caller.up_time().unwrap_or(Duration::ZERO),
    );
    set_duration(ctx, "DIALEDTIME", caller.created_at.elapsed());
    if !caller_gone {
        // The callee hung up: its cause becomes the caller's.
        let cause = peer.lock().hangupcause;
        caller.lock().hangupcause = cause;
    }
    // A callee parked out of the bridge stays in its lot.
    if !crate::parking::features::is_parked(sys, &peer) {
        crate::pbx::run::hangup_channel(sys, &peer);
    }
    if let Some(v) = status_var {
        ctx.set_var(v, Some("ANSWER"));
    }
    // The caller parked out of the bridge holds in its lot now.
    if let Some(parked) = crate::parking::features::hold_if_parked(sys, &caller).await {
        return Connected::Done(match parked {
            crate::parking::Parked::GoesOn => Ok(()),
            _ => Err(AppExit::Hangup),
        });
    }
    Connected::Ended { caller_gone }
}

#[cfg(test)]
mod tests {
    use super::parse_options;

    #[test]
    fn options_take_parenthesised_arguments() {
        let o = parse_options("gm(jazz(x))r");
        assert_eq!(o.get(&'m'), Some(&Some("jazz(x)".to_string())));
        assert_eq!(o.get(&'g'), Some(&None));
        assert_eq!(o.get(&'r'), Some(&None));
        // The argument's letters are not options.
        assert!(!parse_options("m(zag)").contains_key(&'g'));
        assert_eq!(parse_options("m").get(&'m'), Some(&None));
        assert_eq!(parse_options("m()").get(&'m'), Some(&Some(String::new())));
    }
}
