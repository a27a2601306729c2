//! The PBX run loop (`__ast_pbx_run`): executes priorities on a channel,
//! handles invalid extensions, timeouts, autofallthrough, exceptions, and
//! runs the `h` extension when the call ends.

use std::sync::Arc;

use super::find::{self, Status, Want};
use crate::apps::{self, AppCtx, AppExit, AppResult};
use crate::channels::{Channel, softhangup};
use crate::core::logger::Site;

/// What `spawn_extension` found.
pub enum Spawn {
    /// The application ran and asked to go on.
    Ran,
    /// The application ended the run (its non-zero return).
    Exit(AppExit),
    /// No such context/extension/priority.
    NotFound(Status),
}

fn location(chan: &Channel) -> (String, String, i32, Option<String>) {
    let d = chan.lock();
    (
        d.context.clone(),
        d.exten.clone(),
        d.priority,
        d.caller.id.number().map(str::to_string),
    )
}

/// `set_ext_pri`.
pub fn set_ext_pri(chan: &Channel, exten: &str, priority: i32) {
    let mut d = chan.lock();
    d.set_exten(exten);
    d.priority = priority;
}

fn exists(ctx: &AppCtx, context: &str, exten: &str, priority: i32, cid: Option<&str>) -> bool {
    find::exists(&ctx.sys.loaded().dialplan, context, exten, priority, cid)
}

/// `raise_exception`: remembers where and why, then goes to `e`.
pub fn raise_exception(chan: &Channel, reason: &str, priority: i32) {
    {
        let mut d = chan.lock();
        d.exception = Some(crate::channels::Exception {
            reason: reason.to_string(),
            context: d.context.clone(),
            exten: d.exten.clone(),
            priority: d.priority,
        });
    }
    set_ext_pri(chan, "e", priority);
}

/// Finds the current priority and runs it (`pbx_extension_helper` in spawn mode).
pub async fn spawn_extension(ctx: &AppCtx) -> Spawn {
    // Asterisk runs each channel on its own thread; here channels share the
    // runtime's workers, so a dialplan that loops through many quick
    // priorities gives way now and then instead of holding a worker (and
    // every other call and AMI client waiting for it).
    tokio::task::consume_budget().await;
    let (context, exten, priority, cid) = location(&ctx.chan);
    let loaded = ctx.sys.loaded();
    let found = find::find(
        &loaded.dialplan,
        &context,
        &exten,
        Want::Priority(priority),
        cid.as_deref(),
    );
    let (app_name, raw_data) = match found {
        Ok(f) => (f.priority.app.clone(), f.priority.data.clone()),
        Err(status) => return Spawn::NotFound(status),
    };
    drop(loaded);
    let Some(app) = apps::find(&app_name).filter(|a| apps::available(&ctx.sys, a)) else {
        ctx.warning(
            crate::site!("pbx.c", 2958, "pbx_extension_helper"),
            &format!("No application '{app_name}' for extension ({context}, {exten}, {priority})"),
        );
        return Spawn::Exit(AppExit::Hangup);
    };
    if ctx.chan.softhangup_flags() & softhangup::ASYNCGOTO != 0 {
        return Spawn::Ran;
    }
    let data = if raw_data.contains("${") || raw_data.contains("$[") {
        ctx.substitute(&raw_data)
    } else {
        raw_data
    };
    ctx.sys.pbx.logger.verbose(
        3,
        crate::site!("pbx.c", 2977, "pbx_extension_helper"),
        None,
        &format!(
            "Executing [{exten}@{context}:{priority}] {}(\"{}\", \"{data}\") in new stack",
            app.name, ctx.chan.name
        ),
    );
    match apps::exec(ctx, app, &data).await {
        Ok(()) => Spawn::Ran,
        Err(e) => Spawn::Exit(e),
    }
}

/// Why a channel may not start its dialplan (`AST_PBX_CALL_LIMIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("call limit reached")]
pub struct CallLimit;

/// `increase_call_count`: asterisk.conf's `maxcalls`, `maxload` and
/// `minmemfree` each refuse a new call (and say why) once reached; every
/// limit is checked, as Asterisk checks them all.
fn admit_call(ctx: &AppCtx) -> Result<(), CallLimit> {
    use std::sync::atomic::Ordering;
    let o = &ctx.sys.conf.options;
    let name = &ctx.chan.name;
    let logger = &ctx.sys.pbx.logger;
    let mut refused = false;
    if let Some(max) = o.max_calls.filter(|&m| m > 0)
        && ctx.sys.pbx.channels.active.load(Ordering::SeqCst) >= max
    {
        let site = crate::site!("pbx.c", 4665, "increase_call_count");
        let msg = format!("Maximum call limit of {max} calls exceeded by '{name}'!");
        logger.warning(site, None, &msg);
        refused = true;
    }
    if o.max_load > 0.0 {
        let load = crate::funcs::sysinfo::load_averages().map_or(0.0, |l| l[0]);
        if load >= o.max_load {
            let site = crate::site!("pbx.c", 4672, "increase_call_count");
            let msg = format!(
                "Maximum loadavg limit of {:.6} load exceeded by '{name}' (currently {load:.6})!",
                o.max_load
            );
            logger.warning(site, None, &msg);
            refused = true;
        }
    }
    if o.min_memfree > 0
        && let Some(free) = free_memory_mb()
        && free < o.min_memfree
    {
        let site = crate::site!("pbx.c", 4686, "increase_call_count");
        let msg = format!(
            "Available system memory (~{free}MB) is below the configured low watermark ({}MB)",
            o.min_memfree
        );
        logger.warning(site, None, &msg);
        refused = true;
    }
    if refused {
        return Err(CallLimit);
    }
    let counters = &ctx.sys.pbx.channels;
    counters.processed.fetch_add(1, Ordering::SeqCst);
    counters.active.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// sysinfo's free and buffer RAM in MB, as Asterisk counts free memory.
fn free_memory_mb() -> Option<u64> {
    use crate::funcs::sysinfo::meminfo_kib;
    Some((meminfo_kib("MemFree")? + meminfo_kib("Buffers")?) / 1024)
}

/// `ast_pbx_start`: admits the call (see [`admit_call`]) and runs the
/// dialplan on the channel in its own task. A refused channel is left to
/// its caller, which hangs it up its own way.
pub fn pbx_start(ctx: AppCtx) -> Result<(), CallLimit> {
    admit_call(&ctx)?;
    tokio::spawn(pbx_run_admitted(ctx));
    Ok(())
}

/// [`pbx_start`] for callers with nothing of their own to say when the
/// call is refused: the channel is hung up as congested.
pub fn pbx_start_or_hang_up(ctx: AppCtx) {
    let (sys, chan) = (ctx.sys.clone(), ctx.chan.clone());
    if pbx_start(ctx).is_err() {
        chan.lock().hangupcause = crate::channels::causes::SWITCH_CONGESTION;
        hangup_channel(&sys, &chan);
    }
}

/// `ast_pbx_run`: [`pbx_start_or_hang_up`] in the caller's task, returning
/// once the dialplan has ended and the channel is hung up.
pub async fn pbx_run_or_hang_up(ctx: AppCtx) {
    if admit_call(&ctx).is_err() {
        ctx.chan.lock().hangupcause = crate::channels::causes::SWITCH_CONGESTION;
        hangup_channel(&ctx.sys, &ctx.chan);
        return;
    }
    pbx_run_admitted(ctx).await;
}

/// `ast_pbx_run_args` with `no_hangup_chan`: the dialplan runs on the
/// channel (admitted and counted as a call, bound to a call id if it has
/// none) and the channel is left as it is (message.c's channel).
pub async fn pbx_run_kept(ctx: &AppCtx) -> Result<(), CallLimit> {
    use std::sync::atomic::Ordering;
    admit_call(ctx)?;
    let callid = match ctx.chan.callid() {
        0 => {
            let id = ctx.sys.pbx.channels.next_callid();
            ctx.chan.bind_callid(id);
            id
        }
        id => id,
    };
    crate::core::logger::CALLID
        .scope(callid, run_loop(ctx))
        .await;
    ctx.sys.pbx.channels.active.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

/// Runs the dialplan on an admitted channel until it ends, then hangs
/// the channel up.
async fn pbx_run_admitted(ctx: AppCtx) {
    use std::sync::atomic::Ordering;
    // __ast_pbx_run binds a channel that has no call id to a new one
    // (chan_sip binds one when its device calls, Dial's legs take their
    // caller's).
    let callid = match ctx.chan.callid() {
        0 => {
            let id = ctx.sys.pbx.channels.next_callid();
            ctx.chan.bind_callid(id);
            id
        }
        id => id,
    };
    let sys = ctx.sys.clone();
    crate::core::logger::CALLID
        .scope(callid, async move {
            run_loop(&ctx).await;
            // A pickup masqueraded the channel away (Pickup, PickupChan):
            // what is left here is the picked-up channel, to be hung up.
            let ctx = match ctx.chan.take_masq_left() {
                Some(left) => AppCtx {
                    sys: ctx.sys.clone(),
                    chan: left,
                },
                None => ctx,
            };
            hangup_with_h(&ctx).await;
        })
        .await;
    sys.pbx.channels.active.fetch_sub(1, Ordering::SeqCst);
}

/// Runs the dialplan from the channel's location without hanging it up
/// afterwards (Gosub from outside the loop, Macro, originate's `;1`).
pub async fn run_loop(ctx: &AppCtx) {
    let chan = &ctx.chan;
    let saved_autoloop = {
        let mut d = chan.lock();
        let saved = d.in_autoloop;
        d.in_autoloop = true;
        d.has_pbx = true;
        if d.exten.is_empty() {
            drop(d);
            let (c, e, p, _) = location(chan);
            ctx.verbose(
                2,
                crate::site!("pbx.c", 4394, "__ast_pbx_run"),
                &format!(
                    "Starting {} at {c},{e},{p} failed so falling back to exten 's'",
                    chan.name
                ),
            );
            set_ext_pri(chan, "s", 1);
            chan.lock().in_autoloop = true;
        }
        saved
    };
    let mut found_any = false;
    let mut error = false;
    'outer: loop {
        let mut dst_exten = String::new();
        let mut invalid = false;
        let res: Option<AppExit>;
        loop {
            match spawn_extension(ctx).await {
                Spawn::Ran => {
                    found_any = true;
                    if !chan.check_hangup() {
                        chan.lock().priority += 1;
                        continue;
                    }
                    let flags = chan.softhangup_flags();
                    if flags & softhangup::ASYNCGOTO != 0 {
                        chan.clear_softhangup(softhangup::ASYNCGOTO);
                        // The Park action may have taken the channel.
                        if !run_taken(ctx).await {
                            error = true;
                            break 'outer;
                        }
                        continue;
                    }
                    if flags & softhangup::TIMEOUT != 0 {
                        if handle_timeout(ctx) {
                            continue;
                        }
                        error = true;
                        break 'outer;
                    }
                    error = true;
                    break 'outer;
                }
                Spawn::Exit(e) => {
                    found_any = true;
                    res = Some(e);
                    break;
                }
                Spawn::NotFound(_) => {
                    res = None;
                    break;
                }
            }
        }
        if let Some(e) = res {
            match e {
                AppExit::Digit(d) => {
                    dst_exten.push(d);
                }
                AppExit::Incomplete => {
                    let (c, x, p, _) = location(chan);
                    ctx.verbose(
                        2,
                        crate::site!("pbx.c", 4462, "__ast_pbx_run"),
                        &format!(
                            "Spawn extension ({c}, {x}, {p}) exited INCOMPLETE on '{}'",
                            chan.name
                        ),
                    );
                    invalid = true;
                }
                AppExit::Hangup | AppExit::Error | AppExit::MacroExit => {
                    let (c, x, p, cid) = location(chan);
                    ctx.verbose(
                        2,
                        crate::site!("pbx.c", 4475, "__ast_pbx_run"),
                        &format!(
                            "Spawn extension ({c}, {x}, {p}) exited non-zero on '{}'",
                            chan.name
                        ),
                    );
                    if e == AppExit::Error && exists(ctx, &c, "e", 1, cid.as_deref()) {
                        if x == "e" {
                            ctx.verbose(
                                2,
                                crate::site!("pbx.c", 4482, "__ast_pbx_run"),
                                &format!(
                                    "Spawn extension ({c}, {x}, {p}) exited ERROR while already on 'e' exten on '{}'",
                                    chan.name
                                ),
                            );
                            error = true;
                            break 'outer;
                        }
                        raise_exception(chan, "ERROR", 1);
                        continue 'outer;
                    }
                    let flags = chan.softhangup_flags();
                    if flags & softhangup::ASYNCGOTO != 0 {
                        chan.clear_softhangup(softhangup::ASYNCGOTO);
                        if !run_taken(ctx).await {
                            error = true;
                            break 'outer;
                        }
                        continue 'outer;
                    }
                    if flags & softhangup::TIMEOUT != 0 && handle_timeout(ctx) {
                        continue 'outer;
                    }
                    error = true;
                    break 'outer;
                }
            }
        }
        let (c, x, p, cid) = location(chan);
        if invalid || (dst_exten.is_empty() && !exists(ctx, &c, &x, 1, cid.as_deref())) {
            let note = format!(
                "Channel '{}' sent to invalid extension: context,exten,priority={c},{x},{p}",
                chan.name
            );
            let site = crate::site!("pbx.c", 4535, "__ast_pbx_run");
            if !send_to_invalid(ctx, &c, &x, cid.as_deref(), (site, &note)) {
                ctx.warning(
                    crate::site!("pbx.c", 4543, "__ast_pbx_run"),
                    &format!(
                        "Channel '{}' sent to invalid extension but no invalid handler: context,exten,priority={c},{x},{p}",
                        chan.name
                    ),
                );
                error = true;
                break 'outer;
            }
        } else if chan.softhangup_flags() & softhangup::TIMEOUT != 0 {
            chan.clear_softhangup(softhangup::TIMEOUT);
        } else {
            let autofallthrough = ctx.sys.loaded().dialplan.general.autofallthrough;
            let wait_ms = if !dst_exten.is_empty() {
                chan.lock().digit_timeout_ms
            } else if !autofallthrough {
                chan.lock().response_timeout_ms
            } else {
                0
            };
            if wait_ms == 0 {
                let status = ctx.var("DIALSTATUS").unwrap_or_else(|| "UNKNOWN".into());
                ctx.verbose(
                    3,
                    crate::site!("pbx.c", 4561, "__ast_pbx_run"),
                    &format!(
                        "Auto fallthrough, channel '{}' status is '{status}'",
                        chan.name
                    ),
                );
                if status.eq_ignore_ascii_case("CONGESTION")
                    || status.eq_ignore_ascii_case("CHANUNAVAIL")
                {
                    let _ = apps::builtins::indicate_congestion(ctx, "10").await;
                } else if status.eq_ignore_ascii_case("BUSY") {
                    let _ = apps::builtins::indicate_busy(ctx, "10").await;
                }
                error = true;
                break 'outer;
            }
            // Collect digits while more could still make an extension
            // (`collect_digits`).
            let mut waittime = wait_ms;
            while find::matchmore(&ctx.sys.loaded().dialplan, &c, &dst_exten, cid.as_deref()) {
                match chan
                    .wait_digit(std::time::Duration::from_millis(waittime))
                    .await
                {
                    Ok(Some(d)) => {
                        dst_exten.push(d);
                        waittime = chan.lock().digit_timeout_ms;
                    }
                    Ok(None) => break,
                    Err(_) => {
                        if chan.softhangup_flags() & softhangup::ASYNCGOTO != 0 {
                            chan.clear_softhangup(softhangup::ASYNCGOTO);
                            continue 'outer;
                        }
                        break 'outer;
                    }
                }
            }
            let timeout = dst_exten.is_empty();
            if !timeout && exists(ctx, &c, &dst_exten, 1, cid.as_deref()) {
                set_ext_pri(chan, &dst_exten, 1);
            } else if !timeout {
                let note = format!(
                    "Invalid extension '{dst_exten}' in context '{c}' on {}",
                    chan.name
                );
                let site = crate::site!("pbx.c", 4586, "__ast_pbx_run");
                if !send_to_invalid(ctx, &c, &dst_exten, cid.as_deref(), (site, &note)) {
                    ctx.warning(
                        crate::site!("pbx.c", 4593, "__ast_pbx_run"),
                        &format!("Invalid extension '{dst_exten}', but no rule 'i' or 'e' in context '{c}'"),
                    );
                    found_any = true;
                    break 'outer;
                }
            } else if exists(ctx, &c, "t", 1, cid.as_deref()) {
                ctx.verbose(
                    3,
                    crate::site!("pbx.c", 4603, "__ast_pbx_run"),
                    &format!("Timeout on {}", chan.name),
                );
                set_ext_pri(chan, "t", 1);
            } else if exists(ctx, &c, "e", 1, cid.as_deref()) {
                raise_exception(chan, "RESPONSETIMEOUT", 1);
            } else {
                ctx.warning(
                    crate::site!("pbx.c", 4609, "__ast_pbx_run"),
                    &format!("Timeout, but no rule 't' or 'e' in context '{c}'"),
                );
                found_any = true;
                break 'outer;
            }
        }
    }
    if !found_any && !error {
        ctx.warning(
            crate::site!("pbx.c", 4621, "__ast_pbx_run"),
            &format!("Don't know what to do with '{}'", chan.name),
        );
    }
    let mut d = chan.lock();
    d.in_autoloop = saved_autoloop;
}

/// An extension that does not exist: go to `i` (logging `note` and
/// setting INVALID_EXTEN), else raise INVALID at `e`. False when the
/// context has neither, for the caller to report in its own words.
fn send_to_invalid(
    ctx: &AppCtx,
    context: &str,
    exten: &str,
    cid: Option<&str>,
    note: (&Site<'_>, &str),
) -> bool {
    if exists(ctx, context, "i", 1, cid) {
        ctx.verbose(3, note.0, note.1);
        ctx.set_var("INVALID_EXTEN", Some(exten));
        set_ext_pri(&ctx.chan, "i", 1);
    } else if exists(ctx, context, "e", 1, cid) {
        raise_exception(&ctx.chan, "INVALID", 1);
    } else {
        return false;
    }
    true
}

/// The absolute timeout fired: go to `T`, else raise ABSOLUTETIMEOUT at `e`.
fn handle_timeout(ctx: &AppCtx) -> bool {
    let (c, _, _, cid) = location(&ctx.chan);
    if exists(ctx, &c, "T", 1, cid.as_deref()) {
        set_ext_pri(&ctx.chan, "T", 1);
    } else if exists(ctx, &c, "e", 1, cid.as_deref()) {
        raise_exception(&ctx.chan, "ABSOLUTETIMEOUT", 1);
    } else {
        return false;
    }
    ctx.chan.lock().when_to_hangup = None;
    ctx.chan.clear_softhangup(softhangup::TIMEOUT);
    true
}

/// The end of a PBX run: the `h` extension, hangup handlers, then hangup.
async fn hangup_with_h(ctx: &AppCtx) {
    let chan = &ctx.chan;
    owner_first(chan).await;
    chan.softhangup(softhangup::APPUNLOAD);
    let (c, _, _, cid) = location(chan);
    let run_h = !chan.lock().h_exten_run && exists(ctx, &c, "h", 1, cid.as_deref());
    if run_h {
        run_h_exten(ctx, &c).await;
    }
    run_hangup_handlers(ctx).await;
    chan.lock().has_pbx = false;
    hangup(ctx);
}

/// Both halves of a Local pair were asked to hang up at once (AMI Hangup
/// by pattern): in Asterisk the outbound `;1` is gone before `;2`'s
/// dialplan has wound down, so `;2` sees the owner's hangup first. Give
/// the owner that head start (bounded: it may be stuck elsewhere).
async fn owner_first(chan: &Arc<Channel>) {
    if chan.tech != "Local" || !chan.name.ends_with(";2") {
        return;
    }
    let Some(owner) = chan.peer() else { return };
    if owner.softhangup_flags() & softhangup::ALL == 0 {
        return;
    }
    for _ in 0..100 {
        if owner.is_dead() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// `ast_pbx_h_exten_run`.
pub async fn run_h_exten(ctx: &AppCtx, context: &str) {
    let chan = &ctx.chan;
    let saved = {
        let mut d = chan.lock();
        d.set_context(context);
        d.set_exten("h");
        d.priority = 1;
        d.hangup_exec = true;
        let s = d.in_autoloop;
        d.in_autoloop = true;
        s
    };
    let mut last: AppResult = Ok(());
    let mut found = false;
    loop {
        match spawn_extension(ctx).await {
            Spawn::Ran => {
                found = true;
                chan.lock().priority += 1;
            }
            Spawn::Exit(e) => {
                found = true;
                last = Err(e);
                break;
            }
            Spawn::NotFound(_) => break,
        }
    }
    if found && last.is_err() {
        let (c, x, p, _) = location(chan);
        ctx.verbose(
            2,
            crate::site!("pbx.c", 4287, "ast_pbx_h_exten_run"),
            &format!(
                "Spawn extension ({c}, {x}, {p}) exited non-zero on '{}'",
                chan.name
            ),
        );
    }
    let mut d = chan.lock();
    d.h_exten_run = true;
    d.in_autoloop = saved;
}

/// Runs the hangup handlers pushed with CHANNEL(hangup_handler_push).
async fn run_hangup_handlers(ctx: &AppCtx) {
    loop {
        let next = {
            let mut d = ctx.chan.lock();
            if d.hangup_handlers.is_empty() {
                None
            } else {
                Some(d.hangup_handlers.remove(0))
            }
        };
        let Some(handler) = next else { break };
        crate::funcs::channel::hangup_handler_event(&ctx.chan, "HangupHandlerRun", &handler);
        let _ = apps::stack::gosub_from_outside(ctx, &handler, true).await;
    }
}

/// A channel an action took out of its application (what Asterisk's
/// channel yank does): parked (the Park action) or bridged (the Bridge
/// action and application) now. `true`: the dialplan goes on.
async fn run_taken(ctx: &AppCtx) -> bool {
    crate::parking::features::run_yanked(ctx).await
        && crate::channels::bridge_basic::run_yanked(ctx).await
}

/// `ast_hangup`: tells the driver, removes the channel, wakes its peer.
/// `ast_async_goto` for a channel the PBX runs: moves it and interrupts
/// what it is doing, so the run loop carries on at the new place. A
/// channel with no PBX (an originated application, a dialled leg) would
/// need Asterisk's masquerade into a new channel, which is not built:
/// those are refused.
pub fn async_goto(
    chan: &Arc<Channel>,
    context: &str,
    exten: &str,
    priority: i32,
) -> Result<(), ()> {
    {
        let mut d = chan.lock();
        if !d.has_pbx {
            return Err(());
        }
        d.set_context(context);
        d.set_exten(exten);
        // ast_explicit_goto lands one early inside the loop, which then
        // resumes without stepping.
        d.priority = priority;
    }
    chan.softhangup_quiet(softhangup::ASYNCGOTO);
    Ok(())
}

pub fn hangup(ctx: &AppCtx) {
    hangup_channel(&ctx.sys, &ctx.chan);
}

/// `ast_hangup`: the driver is told, then the channel is gone. No cause is
/// made up for a channel that has none.
pub fn hangup_channel(sys: &crate::core::System, chan: &Arc<Channel>) {
    chan.softhangup_quiet(softhangup::DEV);
    // A generator still playing (music on hold) is released here, as
    // ast_hangup releases it.
    chan.stop_source();
    if let Some(d) = chan.driver() {
        d.hangup(chan);
    }
    // The channel's destruction stops a Monitor recording (its files
    // closed, the stop announced) after the driver hung up, before the
    // Hangup event.
    crate::apps::monitor::on_hangup(sys, chan);
    sys.pbx.channels.unregister(chan);
}

/// `ast_parseable_goto`: `[[context,]exten,]priority` where the priority is
/// a number, `+n`/`-n`, or a label. Logs and fails as Asterisk does.
pub fn parseable_goto(ctx: &AppCtx, target: &str) -> Result<(), ()> {
    let (context, exten, ipri) = parse_goto(ctx, target)?;
    explicit_goto(&ctx.chan, context, exten, ipri);
    Ok(())
}

/// `ast_async_parseable_goto`: the same target, read against `ctx`'s
/// channel, reached by [`async_goto`] (interrupting what it runs). Only a
/// target that does not parse fails; a channel that cannot be moved is
/// not reported, as in Asterisk.
pub fn async_parseable_goto(ctx: &AppCtx, target: &str) -> Result<(), ()> {
    let (context, exten, ipri) = parse_goto(ctx, target)?;
    let (cur_c, cur_e) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.exten.clone())
    };
    let context = context.filter(|c| !c.is_empty()).unwrap_or(&cur_c);
    let exten = exten.filter(|e| !e.is_empty()).unwrap_or(&cur_e);
    let _ = async_goto(&ctx.chan, context, exten, ipri);
    Ok(())
}

/// `pbx_parseable_goto`'s parsing: the context and extension given (if
/// any) and the absolute priority, or the warning and Err.
fn parse_goto<'t>(
    ctx: &AppCtx,
    target: &'t str,
) -> Result<(Option<&'t str>, Option<&'t str>, i32), ()> {
    if target.is_empty() {
        ctx.warning(
            crate::site!("pbx.c", 8931, "pbx_parseable_goto"),
            "Goto requires an argument ([[context,]extension,]priority)",
        );
        return Err(());
    }
    let parts: Vec<&str> = target.splitn(3, ',').collect();
    let (context, exten, pri) = match parts.as_slice() {
        [p] => (None, None, *p),
        [e, p] => (None, Some(*e), *p),
        [c, e, p] => (Some(*c), Some(*e), *p),
        _ => return Err(()),
    };
    let (mut mode, mut pri_s) = (0i32, pri);
    if let Some(r) = pri.strip_prefix('+') {
        mode = 1;
        pri_s = r;
    } else if let Some(r) = pri.strip_prefix('-') {
        mode = -1;
        pri_s = r;
    }
    let (cur_c, cur_e, cur_p, cid) = location(&ctx.chan);
    let number = pri_s.trim_start().parse::<i32>().ok().filter(|_| {
        // Asterisk requires the whole field to be the number ("%d%1s").
        pri_s
            .trim_start()
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
    });
    let mut ipri = match number {
        Some(n) => n,
        None => {
            let c = context.filter(|c| !c.is_empty()).unwrap_or(&cur_c);
            let e = exten.filter(|e| !e.is_empty()).unwrap_or(&cur_e);
            let e_sub;
            let e = if e.contains("${") {
                e_sub = ctx.substitute(e);
                e_sub.as_str()
            } else {
                e
            };
            match find::find_label(&ctx.sys.loaded().dialplan, c, e, pri_s, cid.as_deref()) {
                Some(p) if p >= 1 => {
                    mode = 0;
                    p
                }
                _ => {
                    ctx.warning(
                        crate::site!("pbx.c", 8913, "pbx_parse_location"),
                        &format!("Priority '{pri_s}' must be a number > 0, or valid label"),
                    );
                    return Err(());
                }
            }
        }
    };
    if mode != 0 {
        ipri = cur_p + ipri * mode;
    }
    Ok((context, exten, ipri))
}

/// `ast_explicit_goto`: inside the run loop the priority lands one early,
/// because the loop adds one after the application returns.
pub fn explicit_goto(chan: &Channel, context: Option<&str>, exten: Option<&str>, priority: i32) {
    let mut d = chan.lock();
    if let Some(c) = context.filter(|c| !c.is_empty()) {
        d.set_context(c);
    }
    if let Some(e) = exten.filter(|e| !e.is_empty()) {
        d.set_exten(e);
    }
    if priority > -1 {
        d.priority = if d.in_autoloop {
            priority - 1
        } else {
            priority
        };
    }
}
