//! Dial (Asterisk's `app_dial.c`): call one or more destinations at once,
//! connect the caller to the first that answers, and report how it went in
//! DIALSTATUS, DIALEDTIME and ANSWEREDTIME.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::party::Party;
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

/// How a requested leg is placed (`ast_call`), once Dial has set it up:
/// a SIP leg's INVITE goes out, a Local pair's `;2` starts its dialplan.
pub(crate) enum Start {
    Sip(
        Arc<crate::channels::sip::stack::SipStack>,
        Box<crate::channels::sip::stack::Outgoing>,
    ),
    Local(Arc<Channel>),
}

/// Requests one destination (`ast_request`); the leg is placed later with
/// [`place`], after Dial has set it up. Err is the cause.
pub(crate) async fn request(
    sys: &Arc<System>,
    caller: &Arc<Channel>,
    dest: &str,
) -> Result<(Arc<Channel>, Start), u32> {
    let (tech, data) = dest.split_once('/').ok_or(66u32)?;
    if tech.eq_ignore_ascii_case("Local") {
        // The pair starts without caller id: the requester sets it up.
        let linkedid = caller.lock().linkedid.clone();
        let (one, two) = crate::channels::local::request(
            sys,
            data,
            NewChannel {
                linkedid: Some(linkedid),
                ..Default::default()
            },
        );
        inherit_callid(caller, &one);
        return Ok((one, Start::Local(two)));
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
    Ok((chan, Start::Sip(stack, out)))
}

/// Places a requested leg (`ast_call`). A Local pair whose `;2` has no
/// dialplan to run cannot be called: both halves go, and Err says so; so
/// does a chan_sip leg to a peer at its call limit (hung up, its cause
/// set).
pub(crate) fn place(sys: &Arc<System>, leg: &Arc<Channel>, start: Start) -> Result<(), ()> {
    match start {
        Start::Sip(stack, out) => {
            if stack.call(sys, out).is_err() {
                crate::pbx::run::hangup_channel(sys, leg);
                return Err(());
            }
            Ok(())
        }
        Start::Local(two) => {
            if crate::channels::local::call(sys, leg, &two).is_err() {
                two.softhangup_quiet(crate::channels::softhangup::DEV);
                sys.pbx.channels.unregister(&two);
                sys.pbx.channels.unregister(leg);
                return Err(());
            }
            crate::pbx::run::pbx_start_or_hang_up(AppCtx {
                sys: sys.clone(),
                chan: two,
            });
            Ok(())
        }
    }
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
    /// The destination as written (`tech/number`).
    interface: String,
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
        _ => "NOANSWER",
    }
}

/// app_dial's `cause_args`: how the legs that failed failed
/// (`handle_cause`); no answer and normal clearing are not counted.
#[derive(Default)]
struct FailedLegs {
    busy: u32,
    congestion: u32,
    nochan: u32,
}

impl FailedLegs {
    fn count(&mut self, cause: u32) {
        match cause {
            17 => self.busy += 1,
            34 => self.congestion += 1,
            16 | 19 => {}
            _ => self.nochan += 1,
        }
    }

    fn total(&self) -> u32 {
        self.busy + self.congestion + self.nochan
    }
}

/// What Dial (and Queue, as `app`) does to a fresh leg before calling
/// it: its DIALEDPEERNUMBER, the application it shows, a caller id when
/// the driver set none (the dialled extension; Dial only), the caller as
/// its connected line, and the caller's extension; then Dial publishes
/// the leg once with all of it (Queue leaves that to the leg's next
/// change: its DialBegin shows the leg as first published).
pub(crate) fn set_up_leg(
    caller: &Channel,
    leg: &Channel,
    number: &str,
    app: &str,
    setup: &LegSetup,
) {
    // app_queue's ring_entry sets the leg's number after its caller id
    // guess (published at once) and the inherited variables; app_dial
    // first.
    let queue = app == "AppQueue";
    if !queue {
        leg.set_var_event("DIALEDPEERNUMBER", number);
        if setup.inherit {
            caller.inherit_variables_to(leg);
        }
    }
    let (caller_id, exten, connected, dialed) = {
        let d = caller.lock();
        (
            d.caller.id.clone(),
            d.exten.clone(),
            d.connected.clone(),
            d.dialed.number.clone(),
        )
    };
    let guessed = {
        let mut d = leg.lock();
        d.appl = Some(app.into());
        d.data = Some("(Outgoing Line)".into());
        if let Some(id) = &setup.original_clid {
            d.caller.id = id.clone();
            false
        } else if app == "AppDial" && d.caller.id.number().is_none_or(str::is_empty) {
            // The dialled extension, with the connected name if any.
            d.caller.id.set_number(Some(&exten));
            d.caller.id.set_name(connected.id.name());
            false
        } else if queue && !d.caller.id.number.valid {
            // app_queue's guess: the caller's connected line, else the
            // number it dialled, else its extension; each published
            // (`ast_channel_set_caller_event`, `ast_set_callerid`).
            if connected.id.number.valid {
                d.caller.id = connected.id.clone();
                d.caller.ani = connected.ani.clone();
                true
            } else if let Some(n) = dialed.as_deref().filter(|n| !n.is_empty()) {
                d.caller.id.set_number(Some(n));
                true
            } else if !exten.is_empty() {
                d.caller.id.set_number(Some(&exten));
                true
            } else {
                false
            }
        } else {
            false
        }
    };
    if guessed {
        leg.publish_snapshot();
    }
    {
        let mut d = leg.lock();
        d.connected.id = setup.forced_clid.clone().unwrap_or(caller_id);
        if setup.answered_elsewhere {
            d.hangupcause = 26;
        }
        d.exten = exten;
    }
    if queue {
        if setup.inherit {
            caller.inherit_variables_to(leg);
        }
        leg.set_var_event("DIALEDPEERNUMBER", number);
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
    Box::pin(async move { dial_exec(ctx, &data, &mut DialRun::default()).await })
}

/// What one Dial tells RetryDial besides its result (`dial_exec_full`'s
/// `continue_exec` and the `peerflags` it copies from its options).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DialRun {
    /// Retrying makes no sense: the dialplan goes on (`G`, or nothing
    /// to dial).
    pub continue_exec: bool,
    /// The `d` option was given.
    pub dtmf_exit: bool,
}

/// Dial's option letters Asterism does not act on (check-config reports
/// them): privacy and screening (`n N p P`), `d`, `E`, `j`, `O`, `R`,
/// `s`, `u` and `z`.
pub const UNSUPPORTED_OPTIONS: &str = "dEjnNOpPRsuz";

/// For check-config: what of Dial's supported options is only partly
/// built: `L()`'s warnings before the end.
pub fn unsupported_args(data: &str) -> Vec<String> {
    let args = super::separate_args(data, ',', 4);
    let options = parse_options(args.get(2).map(String::as_str).unwrap_or(""));
    match opt_arg(&options, 'L') {
        Some(l) if l.split(':').nth(1).is_some_and(|w| !w.is_empty()) => {
            vec!["Dial option 'L' warnings before the time limit are not played by Asterism".into()]
        }
        _ => Vec::new(),
    }
}

/// An option's argument, when given and not empty.
fn opt_arg<'a>(options: &'a HashMap<char, Option<String>>, c: char) -> Option<&'a str> {
    options
        .get(&c)
        .and_then(|a| a.as_deref())
        .filter(|a| !a.is_empty())
}

/// `ast_replace_subargument_delimiter`: `^` separates an option's own
/// arguments, since `,` separates Dial's.
pub(crate) fn sub_delims(s: &str) -> String {
    s.replace('^', ",")
}

/// app_stack's `expand_gosub_args`: a subroutine location completed with
/// the channel's own context and extension where left out.
pub(crate) fn expand_gosub_args(chan: &Channel, args: &str) -> String {
    let (context, exten) = {
        let d = chan.lock();
        (d.context.clone(), d.exten.clone())
    };
    complete_location(&context, &exten, args)
}

/// `[[context,]exten,]priority[(args)]` with the context and extension
/// filled in from `(context, exten)` where missing or empty.
fn complete_location(context: &str, exten: &str, args: &str) -> String {
    let (label, params) = match args.split_once('(') {
        Some((l, rest)) => (
            l,
            Some(rest.rsplit_once(')').map(|(p, _)| p).unwrap_or(rest)),
        ),
        None => (args, None),
    };
    let parts: Vec<&str> = label.splitn(3, ',').collect();
    let (c, e, pri) = match parts.as_slice() {
        [p] => ("", "", *p),
        [e, p] => ("", *e, *p),
        [c, e, p] => (*c, *e, *p),
        _ => ("", "", ""),
    };
    let e = if e.is_empty() { exten } else { e };
    let c = if c.is_empty() { context } else { c };
    match params.filter(|p| !p.is_empty()) {
        Some(p) => format!("{c},{e},{pri}({p})"),
        None => format!("{c},{e},{pri}"),
    }
}

/// How Dial's options shape a fresh leg (app_dial's per-leg setup, after
/// DIALEDPEERNUMBER).
#[derive(Default)]
pub(crate) struct LegSetup {
    /// The caller's `_`/`__` variables go to the leg (Dial's after
    /// DIALEDPEERNUMBER, Queue's before it).
    pub inherit: bool,
    /// `o`: the caller id stored on the leg, whatever its driver set.
    pub original_clid: Option<Party>,
    /// `f(x)`: the connected line the callee is sent instead of the
    /// caller's caller id.
    pub forced_clid: Option<Party>,
    /// `c`, or a caller already answered elsewhere: the leg's hangup
    /// cause starts as ANSWERED_ELSEWHERE.
    pub answered_elsewhere: bool,
}

/// What the peer does once the bridge lets it go while it is still up
/// (`setup_peer_after_bridge_goto`).
#[derive(Clone)]
pub(crate) enum PeerAfter {
    /// `e`: the caller's context's `h` extension.
    HExten(String),
    /// `F`: on at a location (relative to the caller's at the answer), or
    /// the caller's next priority.
    GoOn {
        context: String,
        exten: String,
        priority: i32,
        target: Option<String>,
    },
}

/// The options of a Dial, read once (`ast_app_parse_options64`).
struct DialOptions {
    map: HashMap<char, Option<String>>,
    duration_limit: Option<Duration>,
}

impl DialOptions {
    fn has(&self, c: char) -> bool {
        self.map.contains_key(&c)
    }

    fn arg(&self, c: char) -> Option<&str> {
        opt_arg(&self.map, c)
    }
}

/// Reads the duration options `S(x)` and `L(x[:y[:z]])`, logging as
/// app_dial does. Err: an argument Asterisk refuses (Dial ends).
fn duration_limit(
    ctx: &AppCtx,
    options: &HashMap<char, Option<String>>,
) -> Result<Option<Duration>, ()> {
    let mut limit = None;
    if let Some(s) = opt_arg(options, 'S') {
        let secs = crate::config::views::values::atoi(s);
        if secs <= 0 {
            ctx.warning(
                crate::site!("app_dial.c", 2541, "dial_exec_full"),
                &format!("Dial does not accept S({s})"),
            );
            ctx.set_var("DIALSTATUS", Some("INVALIDARGS"));
            return Err(());
        }
        let d = Duration::from_secs(secs as u64);
        ctx.verbose(
            3,
            crate::site!("app_dial.c", 2545, "dial_exec_full"),
            &format!(
                "Setting call duration limit to {:.3} seconds.",
                d.as_secs_f64()
            ),
        );
        limit = Some(d);
    }
    if let Some(l) = opt_arg(options, 'L') {
        let mut parts = l.split(':');
        let limit_str = parts.next().unwrap_or("");
        let ms = crate::config::views::values::atoi(limit_str);
        if ms == 0 {
            ctx.warning(
                crate::site!("features.c", 924, "ast_bridge_timelimit"),
                &format!("Bridge does not accept L({limit_str})"),
            );
            return Err(());
        }
        // Warnings before the end and the LIMIT_* sounds are not built:
        // the limit alone is kept, as Asterisk keeps it when it has no
        // sound to play.
        let warning = parts
            .next()
            .map(crate::config::views::values::atoi)
            .unwrap_or(0);
        let sounds = ["LIMIT_TIMEOUT_FILE", "LIMIT_CONNECT_FILE"]
            .iter()
            .any(|v| ctx.var(v).is_some_and(|s| !s.is_empty()));
        if warning != 0 || sounds {
            ctx.warning(
                crate::site!("features.c", 0, "ast_bridge_timelimit"),
                "Asterism does not play L()'s warnings or LIMIT_* sounds yet; only the time limit applies",
            );
        }
        let d = Duration::from_millis(ms.unsigned_abs());
        ctx.verbose(
            3,
            crate::site!("features.c", 990, "ast_bridge_timelimit"),
            &format!(
                "Setting call duration limit to {:.3} seconds.",
                d.as_secs_f64()
            ),
        );
        // L() undoes S().
        limit = Some(d);
    }
    Ok(limit)
}

/// A `name <number>` option argument as a party (`ast_callerid_parse`).
fn party_of(value: &str) -> Party {
    let (name, number) = crate::config::views::callerid::parse(value);
    let mut p = Party::default();
    p.set_name(name.as_deref().filter(|n| !n.is_empty()));
    p.set_number(number.as_deref().filter(|n| !n.is_empty()));
    p
}

/// Runs a subroutine on `chan` from outside its run loop
/// (`ast_app_exec_sub`).
pub(crate) async fn exec_sub(sys: &Arc<System>, chan: &Arc<Channel>, target: &str) -> AppResult {
    let sub = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    super::stack::gosub_from_outside(&sub, target, false).await
}

/// What a `U()` subroutine or `M()` macro asked for in GOSUB_RESULT or
/// MACRO_RESULT.
enum SubResult {
    /// Nothing: the call goes on.
    Connect,
    /// The callee is hung up; Dial ends with this status (DialEnd; and
    /// DIALSTATUS for BUSY, CONGESTION and CHANUNAVAIL, as written), the
    /// caller goes on in the dialplan when `go_on`.
    Drop { status: String, go_on: bool },
    /// The macro itself failed: the callee is hung up without a DialEnd.
    Failed,
}

/// Reads GOSUB_RESULT/MACRO_RESULT as app_dial does; `GOTO:` moves the
/// caller.
fn sub_result(ctx: &AppCtx, result: &str) -> SubResult {
    let upper = result.to_ascii_uppercase();
    let drop = |status: &str, go_on| SubResult::Drop {
        status: status.to_string(),
        go_on,
    };
    match upper.as_str() {
        "BUSY" | "CONGESTION" | "CHANUNAVAIL" => drop(result, true),
        "CONTINUE" => drop(result, true),
        "ABORT" => drop(result, false),
        _ if upper.starts_with("GOTO:") => {
            let dest = sub_delims(&result[5..]);
            let moved = crate::pbx::run::parseable_goto(ctx, &dest).is_ok();
            drop(result, moved)
        }
        _ => SubResult::Connect,
    }
}

pub(crate) async fn dial_exec(ctx: &AppCtx, data: &str, run: &mut DialRun) -> AppResult {
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
    let caller = ctx.chan.clone();
    let sys = &ctx.sys;
    let started = Instant::now();
    for v in DIAL_VARS {
        ctx.set_var(v, Some(""));
    }
    let map = parse_options(args.get(2).map(String::as_str).unwrap_or(""));
    let Ok(duration_limit) = duration_limit(ctx, &map) else {
        return Err(AppExit::Hangup);
    };
    let options = DialOptions {
        map,
        duration_limit,
    };
    let mut go_on = options.has('g');
    // `m` entertains the caller instead of `r`'s ringing, never both.
    let music = options
        .map
        .get(&'m')
        .map(|class| class.as_deref().unwrap_or(""));
    let ring = music.is_none() && options.has('r');
    // `o`: the caller's own caller id (or the one given) on every leg.
    let original_clid = options.has('o').then(|| match options.arg('o') {
        Some(v) => party_of(v),
        None => caller.lock().caller.id.clone(),
    });
    // `f` without an argument only applies to forwarded calls. The
    // forced number is presented as allowed, passed screening.
    let forced_clid = options.arg('f').map(|v| {
        let mut p = party_of(v);
        p.number.presentation = 1;
        p
    });
    if options.has('C') {
        sys.cdr
            .with(|s| s.reset(&caller.name, false, std::time::SystemTime::now()));
    }
    run.continue_exec = false;
    run.dtmf_exit = options.has('d');
    let outbound_group = match ctx.var("OUTBOUND_GROUP_ONCE") {
        Some(g) => {
            ctx.set_var("OUTBOUND_GROUP_ONCE", None);
            Some(g)
        }
        None => ctx.var("OUTBOUND_GROUP"),
    };
    if let Some(sub) = options.arg('B') {
        let _ = exec_sub(sys, &caller, &sub_delims(sub)).await;
    }

    let mut legs: Vec<Leg> = Vec::new();
    let mut failed = FailedLegs::default();
    let dests: Vec<&str> = targets
        .split('&')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let answered_elsewhere = options.has('c') || caller.lock().hangupcause == 26;
    for (i, dest) in dests.iter().copied().enumerate() {
        if dest.split_once('/').is_none_or(|(_, n)| n.is_empty()) {
            ctx.warning(
                crate::site!("app_dial.c", 2714, "dial_exec_full"),
                "Dial argument takes format (technology/resource)",
            );
            // The legs requested so far go (hanguptree), and the status
            // is the one Dial starts with.
            for leg in &legs {
                crate::pbx::run::hangup_channel(sys, &leg.chan);
            }
            ctx.set_var("DIALSTATUS", Some("INVALIDARGS"));
            if go_on && !caller.check_hangup() {
                return Ok(());
            }
            return Err(AppExit::Hangup);
        }
        match request(sys, &caller, dest).await {
            Ok((chan, start)) => {
                let number = dest.split_once('/').map(|(_, n)| n).unwrap_or(dest);
                let setup = LegSetup {
                    inherit: true,
                    original_clid: original_clid.clone(),
                    forced_clid: forced_clid.clone(),
                    answered_elsewhere,
                };
                set_up_leg(&caller, &chan, number, "AppDial", &setup);
                if let Some(group) = &outbound_group {
                    sys.pbx.channels.groups.set(&chan, group);
                }
                legs.push(Leg {
                    chan,
                    number: number.to_string(),
                    interface: dest.to_string(),
                    start: Some(start),
                    ringing_seen: false,
                    replaced: false,
                });
            }
            Err(cause) => {
                failed.count(cause);
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
    if dests.is_empty() {
        ctx.verbose(
            3,
            crate::site!("app_dial.c", 2943, "dial_exec_full"),
            "No devices or endpoints to dial (technology/resource)",
        );
        run.continue_exec = true;
        ctx.set_var("DIALSTATUS", Some("CHANUNAVAIL"));
        return Ok(());
    }
    if legs.is_empty() {
        // Every request failed: wait_for_answer finds nothing to wait for.
        let status = nobody_left(ctx, &failed, failed.total(), "CHANUNAVAIL");
        ctx.set_var("DIALSTATUS", Some(status));
        return Ok(());
    }
    // `b`: a subroutine on each new leg before it is called.
    if let Some(sub) = options.arg('b') {
        let target = expand_gosub_args(&caller, &sub_delims(sub));
        for leg in &legs {
            let _ = exec_sub(sys, &leg.chan, &target).await;
        }
    }
    let mut placed = Vec::with_capacity(legs.len());
    for mut leg in legs {
        if let Some(start) = leg.start.take()
            && place(sys, &leg.chan, start).is_err()
        {
            // The leg's cause becomes the caller's (a busy peer: 17).
            let cause = leg.chan.lock().hangupcause;
            if cause != 0 {
                caller.lock().hangupcause = cause;
            }
            ctx.verbose(
                3,
                crate::site!("app_dial.c", 2991, "dial_exec_full"),
                &format!("Couldn't call {}", leg.interface),
            );
            continue;
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
        placed.push(leg);
    }
    let mut legs = placed;
    // wait_for_answer's line count: the failed requests and the legs.
    let numlines = failed.total() + legs.len() as u32;
    if legs.is_empty() {
        // No leg could be called: wait_for_answer finds none at once, and
        // the status stays what it is without legs.
        let status = nobody_left(ctx, &failed, numlines, "CHANUNAVAIL");
        ctx.set_var("DIALSTATUS", Some(status));
        return Ok(());
    }
    // chan_pjsip offers the callee's caller id as connected line at once;
    // with a single leg Dial passes it to the caller (unless `I`).
    if legs.len() == 1 && legs[0].chan.tech == "PJSIP" && !options.has('I') {
        let id = legs[0].chan.lock().caller.id.clone();
        if id.number().is_some() || id.name().is_some() {
            // A Local caller passes it on to its other half.
            crate::channels::bridge::apply_connected_line(&caller, id);
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
            // hanguptree: the legs go with the caller's cause (answered
            // elsewhere with `c`).
            let cause = match caller.lock().hangupcause {
                _ if options.has('c') => 26,
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
            // On a timeout app_dial gives the legs no cause (but `c`'s
            // Answered Elsewhere): a chan_sip leg then hangs up with Normal
            // Clearing (the reference's sip_voicemail and sip_hangupcause
            // captures), a chan_pjsip one with none it did not have
            // (pjsip_hangupcause).
            for leg in &legs {
                {
                    let mut d = leg.chan.lock();
                    if options.has('c') {
                        d.hangupcause = 26;
                    } else if leg.chan.tech != "PJSIP" {
                        d.hangupcause = 16;
                    }
                }
                crate::pbx::run::hangup_channel(sys, &leg.chan);
            }
            ctx.set_var("DIALSTATUS", Some("NOANSWER"));
            return Ok(());
        }
        let mut i = 0;
        let mut winner = None;
        while i < legs.len() {
            // A picked-up leg: Dial goes on with the channel that took
            // its place (up already), as Asterisk's masquerade leaves it
            // holding that channel.
            if let Some(new) = legs[i].chan.take_replacement() {
                legs[i].chan = new;
                legs[i].replaced = true;
            }
            let leg = legs[i].chan.clone();
            // The leg's hangup is read before its causes are relayed: a
            // driver reports a response's cause before acting on it, so every
            // cause that came before the hangup is relayed with it, as
            // Asterisk reads both in order from the one frame queue.
            let gone = leg.check_hangup();
            caller.relay_causes_from(&leg);
            // A connected line the leg sent: the caller takes it when it
            // called only this leg (several legs' wait for the answer).
            let connected = leg.lock().pending_connected.take();
            if let Some(id) = connected
                && numlines == 1
                && !options.has('I')
            {
                crate::channels::bridge::apply_connected_line(&caller, id);
            }
            if leg.state() == ChanState::Up && !gone {
                winner = Some(i);
                break;
            }
            // A leg that rang and went at once (180 then 486) rang first:
            // its ringing is announced before its hangup is handled.
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
            if gone {
                let (cause, condition) = {
                    let mut d = leg.lock();
                    (d.hangupcause, d.pending_indication.take())
                };
                // A busy or congested leg says so (AST_CONTROL_BUSY or
                // CONGESTION) before it goes, or its cause does; any other
                // simply hangs up.
                let kind = match condition {
                    Some(Indication::Busy) => 17,
                    Some(Indication::Congestion) => 34,
                    _ => cause,
                };
                let status = match kind {
                    17 => {
                        ctx.verbose(
                            3,
                            crate::site!("app_dial.c", 1532, "wait_for_answer"),
                            &format!("{} is busy", leg.name),
                        );
                        "BUSY"
                    }
                    34 => {
                        ctx.verbose(
                            3,
                            crate::site!("app_dial.c", 1541, "wait_for_answer"),
                            &format!("{} is circuit-busy", leg.name),
                        );
                        "CONGESTION"
                    }
                    c => dial_status_of(c),
                };
                failed.count(kind);
                dial_end(sys, &caller, &leg, status);
                caller.lock().hangupcause = cause;
                crate::pbx::run::hangup_channel(sys, &leg);
                legs.remove(i);
                continue;
            }
            i += 1;
        }
        if let Some(w) = winner {
            let leg = legs.remove(w);
            for other in &legs {
                dial_end(sys, &caller, &other.chan, "CANCEL");
            }
            let cause = others_cause(ctx, &options);
            for other in &legs {
                other.chan.lock().hangupcause = cause;
                crate::pbx::run::hangup_channel(sys, &other.chan);
            }
            break Some(leg);
        }
        if legs.is_empty() {
            let status = nobody_left(ctx, &failed, numlines, "NOANSWER");
            ctx.set_var("DIALSTATUS", Some(status));
            return Ok(());
        }
        // ast_waitfor_n on the caller and every leg.
        let watched = std::iter::once(&caller).chain(legs.iter().map(|l| &l.chan));
        let _ = tokio::time::timeout(POLL, crate::channels::any_woken(watched)).await;
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
    if options.has('a') && caller.state() != ChanState::Up {
        caller.answer();
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
    // The caller's staged snapshot goes out (a B() subroutine left it
    // published elsewhere).
    caller.publish_snapshot();
    if let Some(files) = options.arg('A') {
        announce(ctx, &peer, files).await;
        if caller.check_hangup() || peer.check_hangup() {
            crate::pbx::run::hangup_channel(sys, &peer);
            return Err(AppExit::Hangup);
        }
    }
    if let Some(target) = options.arg('G') {
        // Both go into the dialplan: the caller where G says, the callee
        // one priority after it.
        let _ = crate::pbx::run::parseable_goto(ctx, &sub_delims(target));
        {
            let (context, exten, priority) = {
                let d = caller.lock();
                (d.context.clone(), d.exten.clone(), d.priority)
            };
            let mut d = peer.lock();
            d.set_context(&context);
            d.set_exten(&exten);
            d.priority = priority + 2;
        }
        peer.publish_snapshot();
        crate::pbx::run::pbx_start_or_hang_up(AppCtx {
            sys: sys.clone(),
            chan: peer.clone(),
        });
        dial_end(sys, &caller, &peer, "ANSWER");
        run.continue_exec = true;
        return Ok(());
    }
    let mut dropped = None;
    if let Some(macro_args) = options.arg('M') {
        {
            let (context, exten) = {
                let d = caller.lock();
                (d.context.clone(), d.exten.clone())
            };
            let mut d = peer.lock();
            d.set_context(&context);
            d.set_exten(&exten);
        }
        let peer_ctx = AppCtx {
            sys: sys.clone(),
            chan: peer.clone(),
        };
        let res = match super::find("Macro") {
            Some(app) => super::exec(&peer_ctx, app, &sub_delims(macro_args)).await,
            None => Err(AppExit::Hangup),
        };
        let result = peer.lock().vars.get("MACRO_RESULT").map(str::to_string);
        dropped = match (res, result) {
            (Err(_), _) => Some(SubResult::Failed),
            (Ok(()), Some(result)) => match sub_result(ctx, &result) {
                SubResult::Connect => None,
                d => Some(d),
            },
            (Ok(()), None) => None,
        };
    }
    if dropped.is_none()
        && let Some(sub) = options.arg('U')
    {
        let sub = sub_delims(sub);
        let (context, params) = match sub.split_once(',') {
            Some((c, p)) => (c.to_string(), Some(p.to_string())),
            None => (sub.clone(), None),
        };
        let what_is_s = callee_s_exten(sys, &peer, &context);
        let target = match params {
            Some(p) => format!("{context},{what_is_s},1({p})"),
            None => format!("{context},{what_is_s},1"),
        };
        let res = exec_sub(sys, &peer, &target).await;
        let (result, retval) = {
            let d = peer.lock();
            (
                d.vars.get("GOSUB_RESULT").map(str::to_string),
                d.vars.get("GOSUB_RETVAL").map(str::to_string),
            )
        };
        if res.is_ok()
            && let Some(result) = result
        {
            // The peer's return value is the caller's to use.
            if let Some(r) = retval {
                ctx.set_var("GOSUB_RETVAL", Some(&r));
            }
            dropped = match sub_result(ctx, &result) {
                SubResult::Connect => None,
                d => Some(d),
            };
        }
    }
    if let Some(d) = dropped {
        if let SubResult::Drop { status, go_on: on } = &d {
            dial_end(sys, &caller, &peer, status);
            if matches!(
                status.to_ascii_uppercase().as_str(),
                "BUSY" | "CONGESTION" | "CHANUNAVAIL"
            ) {
                ctx.set_var("DIALSTATUS", Some(status));
            }
            go_on |= *on;
        }
        // The callee goes; so does the caller unless told to go on.
        let peer_cause = peer.lock().hangupcause;
        if !caller.check_hangup() && peer.check_hangup() {
            caller.lock().hangupcause = peer_cause;
        }
        crate::pbx::run::hangup_channel(sys, &peer);
        if go_on && !caller.check_hangup() {
            return Ok(());
        }
        return Err(AppExit::Hangup);
    }
    dial_end(sys, &caller, &peer, "ANSWER");
    if let Some(limit) = options.duration_limit {
        peer.lock().when_to_hangup = Some(Instant::now() + limit);
    }
    if let Some(digits) = options.arg('D') {
        let mut parts = digits.split(':');
        let (called, calling) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if !called.is_empty() {
            ctx.verbose(
                3,
                crate::site!("app_dial.c", 3484, "dial_exec_full"),
                &format!("Sending DTMF '{called}' to the called party."),
            );
            super::senddtmf::dtmf_stream(ctx, &peer, called, Duration::from_millis(250), 0).await;
        }
        if !calling.is_empty() {
            ctx.verbose(
                3,
                crate::site!("app_dial.c", 3488, "dial_exec_full"),
                &format!("Sending DTMF '{calling}' to the calling party."),
            );
            super::senddtmf::dtmf_stream(ctx, &caller, calling, Duration::from_millis(250), 0)
                .await;
        }
    }
    let after = if options.has('e') {
        Some(PeerAfter::HExten(caller.lock().context.clone()))
    } else if options.has('F') {
        let d = caller.lock();
        Some(PeerAfter::GoOn {
            context: d.context.clone(),
            exten: d.exten.clone(),
            priority: d.priority,
            target: options.arg('F').map(sub_delims),
        })
    } else {
        None
    };
    let connected = connect(
        ctx,
        peer,
        &|c| options.has(c),
        Some("DIALSTATUS"),
        None,
        after,
        Durations::WithMs,
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

/// wait_for_answer with no leg left: all failed lines busy, congested or
/// unavailable say so ("Everyone is busy/congested"), otherwise nobody
/// answered. Returns the DIALSTATUS, `status` when the counts do not
/// decide it (CHANUNAVAIL when no leg was ever called).
fn nobody_left(
    ctx: &AppCtx,
    failed: &FailedLegs,
    numlines: u32,
    status: &'static str,
) -> &'static str {
    let counts = format!(
        "({numlines}:{}/{}/{})",
        failed.busy, failed.congestion, failed.nochan
    );
    if numlines == failed.total() {
        ctx.verbose(
            2,
            crate::site!("app_dial.c", 1341, "wait_for_answer"),
            &format!("Everyone is busy/congested at this time {counts}"),
        );
        if failed.busy > 0 {
            "BUSY"
        } else if failed.congestion > 0 {
            "CONGESTION"
        } else if failed.nochan > 0 {
            "CHANUNAVAIL"
        } else {
            status
        }
    } else {
        ctx.verbose(
            3,
            crate::site!("app_dial.c", 1349, "wait_for_answer"),
            &format!("No one is available to answer at this time {counts}"),
        );
        status
    }
}

/// The cause the legs not answered are hung up with: `Q(cause)` (a name,
/// a number or NONE), else ANSWERED_ELSEWHERE.
fn others_cause(ctx: &AppCtx, options: &DialOptions) -> u32 {
    let Some(q) = options.arg('Q') else {
        return 26;
    };
    if let Some(c) = causes::by_name(q) {
        return c;
    }
    if q.eq_ignore_ascii_case("NONE") {
        return 0;
    }
    match q.trim().parse::<i64>() {
        Ok(n) if n >= 0 => u32::try_from(n).unwrap_or(26),
        _ => {
            ctx.warning(
                crate::site!("app_dial.c", 3120, "dial_exec_full"),
                &format!("Invalid cause given to Dial(...Q(<cause>)): \"{q}\""),
            );
            26
        }
    }
}

/// U()'s start: `s`, unless only the compatibility `~~s~~` exists there.
pub(crate) fn callee_s_exten(sys: &System, peer: &Channel, context: &str) -> &'static str {
    let cid = peer.lock().caller.id.number().map(str::to_string);
    let dp = &sys.loaded().dialplan;
    let exists = |e: &str| crate::pbx::find::exists(dp, context, e, 1, cid.as_deref());
    if !exists("s") && exists("~~s~~") {
        "~~s~~"
    } else {
        "s"
    }
}

/// `A(x[:y])`: x played to the callee and y to the caller at the same
/// time; Dial goes on once both have ended.
async fn announce(ctx: &AppCtx, peer: &Arc<Channel>, files: &str) {
    let (called, calling) = files.split_once(':').unwrap_or((files, ""));
    let peer_ctx = AppCtx {
        sys: ctx.sys.clone(),
        chan: peer.clone(),
    };
    // Each file starts at once (an error is only logged); Dial waits for
    // both.
    let play = |c: &AppCtx, file: &str, whom: &str, line: u32| {
        if file.is_empty() {
            return None;
        }
        let generation = super::playback::start_file(c, file);
        if generation.is_none() {
            ctx.sys.pbx.logger.error(
                crate::site!("app_dial.c", line, "dial_exec_full"),
                None,
                &format!("error streaming file '{file}' to {whom}"),
            );
        }
        generation
    };
    let g_called = play(&peer_ctx, called, "callee", 3187);
    let g_calling = play(ctx, calling, "caller", 3196);
    tokio::join!(
        wait_played(&peer_ctx, g_called),
        wait_played(ctx, g_calling)
    );
}

/// Waits for a file started with [`super::playback::start_file`] to end.
async fn wait_played(c: &AppCtx, generation: Option<u64>) {
    if let Some(g) = generation {
        let _ = super::playback::wait_stream(c, g, "").await;
    }
}

/// Told when a bridged call ends, before the bridge lets the two go:
/// whether the caller hung up first, and the peer.
pub(crate) type OnEnd<'a> = &'a (dyn Fn(bool, &Arc<Channel>) + Sync);

/// How the bridge's end reports the call's length: app_dial and
/// app_queue set ANSWEREDTIME and DIALEDTIME with their `_MS`
/// companions; app_followme's end_bridge_callback whole seconds only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durations {
    WithMs,
    Seconds,
}

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
    after: Option<PeerAfter>,
    durations: Durations,
) -> Connected {
    let sys = &ctx.sys;
    let caller = ctx.chan.clone();
    let set_time = |ctx: &AppCtx, name: &str, d: Duration| match durations {
        Durations::WithMs => set_duration(ctx, name, d),
        Durations::Seconds => ctx.set_var(name, Some(&d.as_secs().to_string())),
    };
    let set_answered = |ctx: &AppCtx, caller: &Channel| {
        set_time(
            ctx,
            "ANSWEREDTIME",
            caller.up_time().unwrap_or(Duration::ZERO),
        );
        set_time(ctx, "DIALEDTIME", caller.created_at.elapsed());
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
    set_time(
        ctx,
        "ANSWEREDTIME",
        caller.up_time().unwrap_or(Duration::ZERO),
    );
    set_time(ctx, "DIALEDTIME", caller.created_at.elapsed());
    if !caller_gone {
        // The callee hung up: its cause becomes the caller's.
        let cause = peer.lock().hangupcause;
        caller.lock().hangupcause = cause;
    }
    // A callee parked out of the bridge stays in its lot; one with an
    // after-bridge location goes there.
    if !crate::parking::features::is_parked(sys, &peer) {
        peer_after_bridge(sys, &peer, after);
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

/// The peer leaves the bridge (`ast_bridge_setup_after_goto`): `e` runs
/// the h extension even when it hung up; `F` sends a peer still up into
/// the dialplan; otherwise, or when that fails, it is hung up.
fn peer_after_bridge(sys: &Arc<System>, peer: &Arc<Channel>, after: Option<PeerAfter>) {
    let peer_ctx = AppCtx {
        sys: sys.clone(),
        chan: peer.clone(),
    };
    match after {
        Some(PeerAfter::HExten(context)) => {
            tokio::spawn(async move {
                let cid = peer_ctx.chan.lock().caller.id.number().map(str::to_string);
                let exists = crate::pbx::find::exists(
                    &peer_ctx.sys.loaded().dialplan,
                    &context,
                    "h",
                    1,
                    cid.as_deref(),
                );
                if exists {
                    crate::pbx::run::run_h_exten(&peer_ctx, &context).await;
                }
                crate::pbx::run::hangup_channel(&peer_ctx.sys, &peer_ctx.chan);
            });
        }
        Some(PeerAfter::GoOn {
            context,
            exten,
            priority,
            target,
        }) if !peer.check_hangup() => {
            let moved = match target {
                // A location relative to the caller's at the answer.
                Some(t) => {
                    let saved = {
                        let d = peer.lock();
                        (d.context.clone(), d.exten.clone(), d.priority)
                    };
                    crate::pbx::run::explicit_goto(peer, Some(&context), Some(&exten), priority);
                    let ok = crate::pbx::run::parseable_goto(&peer_ctx, &t).is_ok();
                    if !ok {
                        let mut d = peer.lock();
                        d.set_context(&saved.0);
                        d.set_exten(&saved.1);
                        d.priority = saved.2;
                    }
                    ok
                }
                // The caller's next priority, if it exists.
                None => {
                    let cid = peer.lock().caller.id.number().map(str::to_string);
                    let exists = crate::pbx::find::exists(
                        &sys.loaded().dialplan,
                        &context,
                        &exten,
                        priority + 1,
                        cid.as_deref(),
                    );
                    if exists {
                        crate::pbx::run::explicit_goto(
                            peer,
                            Some(&context),
                            Some(&exten),
                            priority + 1,
                        );
                    }
                    exists
                }
            };
            if moved {
                crate::pbx::run::pbx_start_or_hang_up(peer_ctx);
            } else {
                crate::pbx::run::hangup_channel(sys, peer);
            }
        }
        _ => crate::pbx::run::hangup_channel(sys, peer),
    }
}

#[cfg(test)]
mod tests {
    use super::{complete_location, parse_options, sub_delims, unsupported_args};

    #[test]
    fn subroutine_locations_are_completed_from_the_caller() {
        let l = |a: &str| complete_location("from", "100", &sub_delims(a));
        assert_eq!(l("sub^s^1(a^b)"), "sub,s,1(a,b)");
        assert_eq!(l("s^1"), "from,s,1");
        assert_eq!(l("2"), "from,100,2");
        assert_eq!(l("sub^s^1()"), "sub,s,1");
        assert_eq!(l("^^1"), "from,100,1");
    }

    #[test]
    fn l_warnings_are_reported() {
        assert!(unsupported_args("SIP/1,20,L(60000)").is_empty());
        assert_eq!(
            unsupported_args("SIP/1,20,gL(60000:30000:10000)"),
            ["Dial option 'L' warnings before the time limit are not played by Asterism"]
        );
    }

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
