//! Gosub, GosubIf, Return and StackPop, with LOCAL(), LOCAL_PEEK() and
//! STACK_PEEK() (Asterisk's `apps/app_stack.c`).

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, check_condition, split_raw};
use crate::channels::{GosubFrame, softhangup};
use crate::core::events::EventKind;
use crate::funcs::{Failed, FuncCtx, Function};
use crate::pbx::run::parseable_goto;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Gosub",
            run: Run::Now(gosub),
            synopsis: "Jumps to a subroutine that comes back with Return.",
            syntax: "Gosub([[context,]exten,]priority[(arg1[,...][,argN])])",
        },
        App {
            name: "GosubIf",
            run: Run::Now(gosubif),
            synopsis: "Calls one of two subroutines depending on a condition.",
            syntax: "GosubIf(condition?labeliftrue[(args)][:labeliffalse[(args)]])",
        },
        App {
            name: "Return",
            run: Run::Now(return_app),
            synopsis: "Goes back to where the last Gosub was called, with an optional value.",
            syntax: "Return([value])",
        },
        App {
            name: "StackPop",
            run: Run::Now(stackpop),
            synopsis: "Drops the most recent Gosub return address.",
            syntax: "StackPop()",
        },
    ]
}

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "LOCAL",
            read: Some(local_read),
            write: Some(local_write),
            synopsis: "Reads or sets a variable local to the current Gosub frame.",
            syntax: "LOCAL(varname)",
        },
        Function {
            name: "LOCAL_PEEK",
            read: Some(local_peek),
            write: None,
            synopsis: "Reads a variable from an outer Gosub frame.",
            syntax: "LOCAL_PEEK(n,varname)",
        },
        Function {
            name: "STACK_PEEK",
            read: Some(stack_peek),
            write: None,
            synopsis: "Tells where an outer Gosub was called from (context, extension, priority).",
            syntax: "STACK_PEEK(n,which[,suppress])",
        },
    ]
}

/// Sets a frame variable: first time in this frame it hides the outer
/// value (push), after that it replaces it (`frame_set_var`).
fn frame_set_var(ctx: &AppCtx, name: &str, value: &str) {
    {
        let mut d = ctx.chan.lock();
        let Some(frame) = d.gosub_stack.last_mut() else {
            return;
        };
        if frame.locals.iter().any(|v| v == name) {
            d.vars.set(name, Some(value));
        } else {
            frame.locals.push(name.to_string());
            d.vars.push(name, value);
        }
    }
    ctx.chan.emit(EventKind::VarSet {
        variable: format!("LOCAL({name})"),
        value: value.to_string(),
    });
}

/// Drops a frame's variables, showing the outer values again.
fn release_frame(ctx: &AppCtx, frame: &GosubFrame) {
    // `gosub_release_frame` deletes each local through
    // pbx_builtin_setvar_helper: a VarSet with an empty value for each
    // that was not empty.
    for name in frame.locals.iter().rev() {
        ctx.chan.unset_var_event(name);
    }
}

pub fn gosub_exec(ctx: &AppCtx, data: &str, special: bool) -> AppResult {
    if data.is_empty() {
        ctx.sys.pbx.logger.error(
            crate::site!("app_stack.c", 565, "gosub_exec"),
            None,
            "Gosub requires an argument: Gosub([[context,]exten,]priority[(arg1[,...][,argN])])",
        );
        return Err(AppExit::Hangup);
    }
    let (label, args): (&str, Vec<String>) = match data.split_once('(') {
        Some((label, rest)) => {
            let inner = match rest.rfind(')') {
                Some(j) => &rest[..j],
                None => {
                    ctx.warning(
                        crate::site!("app_stack.c", 584, "gosub_exec"),
                        &format!("Ouch.  No closing paren: '{data}'?"),
                    );
                    rest
                }
            };
            let args = if inner.is_empty() {
                Vec::new()
            } else {
                split_raw(inner, ',', 100)
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            };
            (label, args)
        }
        None => (data, Vec::new()),
    };
    let (orig_c, orig_e, orig_p) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.exten.clone(), d.priority)
    };
    let restore = |ctx: &AppCtx| {
        let mut d = ctx.chan.lock();
        d.set_context(&orig_c);
        d.set_exten(&orig_e);
        d.priority = orig_p;
    };
    if parseable_goto(ctx, label).is_err() {
        ctx.sys.pbx.logger.error(
            crate::site!("app_stack.c", 599, "gosub_exec"),
            None,
            &format!("Gosub address is invalid: '{data}'"),
        );
        restore(ctx);
        return Err(AppExit::Hangup);
    }
    let (dest_c, dest_e, mut dest_p, cid, autoloop) = {
        let d = ctx.chan.lock();
        (
            d.context.clone(),
            d.exten.clone(),
            d.priority,
            d.caller.id.number().map(str::to_string),
            d.in_autoloop,
        )
    };
    if autoloop {
        dest_p += 1;
    }
    if !crate::pbx::find::exists(
        &ctx.sys.loaded().dialplan,
        &dest_c,
        &dest_e,
        dest_p,
        cid.as_deref(),
    ) {
        // Asterisk's message has no newline here; the logger adds none either.
        ctx.sys.pbx.logger.error(
            crate::site!("app_stack.c", 618, "gosub_exec"),
            None,
            &format!(
                "Gosub attempted to reach non-existent destination '{dest_c},{dest_e},{dest_p}' from '{orig_c},{orig_e},{orig_p}'"
            ),
        );
        restore(ctx);
        return Err(AppExit::Hangup);
    }
    let max_argc = {
        let d = ctx.chan.lock();
        d.gosub_stack
            .last()
            .map(|f| f.arguments)
            .unwrap_or(0)
            .max(args.len())
    };
    let mut d = ctx.chan.lock();
    d.gosub_store = true;
    d.gosub_stack.push(GosubFrame {
        context: orig_c.clone(),
        exten: orig_e.clone(),
        priority: orig_p + 1,
        in_subroutine: special,
        arguments: max_argc,
        locals: Vec::new(),
    });
    drop(d);
    for i in 0..max_argc {
        let v = args.get(i).map(String::as_str).unwrap_or("");
        frame_set_var(ctx, &format!("ARG{}", i + 1), v);
    }
    frame_set_var(ctx, "ARGC", &args.len().to_string());
    Ok(())
}

fn gosub(ctx: &AppCtx, data: &str) -> AppResult {
    gosub_exec(ctx, data, false)
}

fn gosubif(ctx: &AppCtx, data: &str) -> AppResult {
    let usage = "GosubIf requires an argument: GosubIf(cond?label1(args):label2(args)";
    if data.is_empty() {
        ctx.warning(crate::site!("app_stack.c", 713, "gosubif_exec"), usage);
        return Ok(());
    }
    let cond = split_raw(data, '?', 2);
    if cond.len() != 2 {
        ctx.warning(crate::site!("app_stack.c", 720, "gosubif_exec"), usage);
        return Ok(());
    }
    let labels = split_raw(cond[1], ':', 2);
    let branch = if check_condition(cond[0]) {
        labels.first().copied()
    } else {
        labels.get(1).copied()
    };
    match branch.filter(|b| !b.is_empty()) {
        Some(b) => gosub_exec(ctx, b, false),
        None => Ok(()),
    }
}

fn return_app(ctx: &AppCtx, data: &str) -> AppResult {
    let (frame, store) = {
        let mut d = ctx.chan.lock();
        (d.gosub_stack.pop(), d.gosub_store)
    };
    let Some(frame) = frame else {
        if !store {
            ctx.sys.pbx.logger.error(
                crate::site!("app_stack.c", 415, "return_exec"),
                None,
                "Return without Gosub: stack is unallocated",
            );
            return Err(AppExit::Hangup);
        }
        ctx.sys.pbx.logger.error(
            crate::site!("app_stack.c", 426, "return_exec"),
            None,
            "Return without Gosub: stack is empty",
        );
        return Err(AppExit::Hangup);
    };
    {
        let mut d = ctx.chan.lock();
        d.set_context(&frame.context);
        d.set_exten(&frame.exten);
        d.priority = if d.in_autoloop {
            frame.priority - 1
        } else {
            frame.priority
        };
    }
    release_frame(ctx, &frame);
    ctx.set_var("GOSUB_RETVAL", Some(data));
    // A frame pushed from outside the run loop ends that nested run here.
    if frame.in_subroutine {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

fn stackpop(ctx: &AppCtx, _: &str) -> AppResult {
    if !ctx.chan.lock().gosub_store {
        ctx.warning(
            crate::site!("app_stack.c", 379, "pop_exec"),
            "StackPop called with no gosub stack allocated.",
        );
        return Ok(());
    }
    let frame = ctx.chan.lock().gosub_stack.pop();
    if let Some(f) = frame {
        if f.in_subroutine {
            // Popping the address a nested run needs ends that run.
            ctx.chan.lock().gosub_stack.push(f);
            return Err(AppExit::Hangup);
        }
        release_frame(ctx, &f);
    }
    Ok(())
}

/// Runs `[[context,]exten,]priority[(args)]` as a subroutine from outside
/// the run loop (hangup handlers, Dial's `U` option: `ast_app_exec_sub`,
/// app_stack's `gosub_run`): its own loop over priorities until the
/// subroutine's Return, then back to where the channel was. With
/// `ignore_hangup` it runs on a hung-up channel (hangup handlers).
pub fn gosub_from_outside<'a>(
    ctx: &'a AppCtx,
    target: &'a str,
    ignore_hangup: bool,
) -> AppFuture<'a> {
    Box::pin(async move {
        let chan = &ctx.chan;
        let name = chan.name.clone();
        ctx.sys.pbx.logger.verbose(
            3,
            crate::site!("app_stack.c", 1005, "gosub_run"),
            None,
            &format!("{name} Internal Gosub({target}) start"),
        );
        let async_goto = chan.softhangup_flags() & softhangup::ASYNCGOTO;
        if async_goto != 0 {
            chan.clear_softhangup(softhangup::ASYNCGOTO);
        }
        let (saved_c, saved_e, saved_p, saved_autoloop) = {
            let mut d = chan.lock();
            let s = (
                d.context.clone(),
                d.exten.clone(),
                d.priority,
                d.in_autoloop,
            );
            d.in_autoloop = true;
            s
        };
        let depth = chan.lock().gosub_stack.len();
        let mut res = gosub_exec(ctx, target, true);
        if res.is_ok() {
            let mut exited = false;
            loop {
                if chan.check_hangup() {
                    if chan.softhangup_flags() & softhangup::ASYNCGOTO != 0 {
                        ctx.sys.pbx.logger.error(
                            crate::site!("app_stack.c", 1066, "gosub_run"),
                            None,
                            &format!("{name} An async goto just messed up our execution location."),
                        );
                        break;
                    }
                    if !ignore_hangup {
                        break;
                    }
                }
                chan.lock().priority += 1;
                match crate::pbx::run::spawn_extension(ctx).await {
                    crate::pbx::run::Spawn::Ran => continue,
                    crate::pbx::run::Spawn::Exit(_) => {
                        exited = true;
                        break;
                    }
                    crate::pbx::run::Spawn::NotFound(_) => break,
                }
            }
            let (c, e, p) = {
                let d = chan.lock();
                (d.context.clone(), d.exten.clone(), d.priority)
            };
            if exited {
                ctx.sys.pbx.logger.verbose(
                    2,
                    crate::site!("app_stack.c", 1091, "gosub_run"),
                    None,
                    &format!("Spawn extension ({c}, {e}, {p}) exited non-zero on '{name}'"),
                );
            }
            if p == saved_p && c == saved_c && e == saved_e {
                let retval = ctx.var("GOSUB_RETVAL").unwrap_or_default();
                ctx.sys.pbx.logger.verbose(
                    3,
                    crate::site!("app_stack.c", 1100, "gosub_run"),
                    None,
                    &format!("{name} Internal Gosub({target}) complete GOSUB_RETVAL={retval}"),
                );
            } else {
                ctx.warning(
                    crate::site!("app_stack.c", 1104, "gosub_run"),
                    &format!(
                        "{name} Abnormal 'Gosub({target})' exit.  Popping routine return locations."
                    ),
                );
                let dropped: Vec<GosubFrame> = {
                    let mut d = chan.lock();
                    let keep = depth.min(d.gosub_stack.len());
                    d.gosub_stack.split_off(keep)
                };
                for frame in dropped.iter().rev() {
                    release_frame(ctx, frame);
                }
                ctx.set_var("GOSUB_RETVAL", Some(""));
            }
            res = Ok(());
        }
        let mut d = chan.lock();
        if chan.softhangup_flags() & softhangup::ASYNCGOTO == 0 {
            d.set_context(&saved_c);
            d.set_exten(&saved_e);
            d.priority = saved_p;
        }
        d.in_autoloop = saved_autoloop;
        drop(d);
        if async_goto != 0 {
            chan.softhangup_quiet(async_goto);
        }
        res
    })
}

fn local_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!("app_stack.c", 744, "local_read"))?;
    let in_frame = {
        let d = chan.lock();
        match d.gosub_stack.last() {
            Some(f) => f.locals.iter().any(|v| v == args),
            None => return Err(Failed),
        }
    };
    if in_frame {
        Ok(ctx.var(args).unwrap_or_default())
    } else {
        Ok(String::new())
    }
}

fn local_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let chan = ctx.require_channel(crate::site!("app_stack.c", 783, "local_write"))?;
    let (store, empty) = {
        let d = chan.lock();
        (d.gosub_store, d.gosub_stack.is_empty())
    };
    if !store {
        ctx.error(
            crate::site!("app_stack.c", 789, "local_write"),
            &format!("Tried to set LOCAL({args}), but we aren't within a Gosub routine"),
        );
        return Err(Failed);
    }
    // A stack every Gosub has returned from takes the write and drops it.
    if empty {
        return Ok(());
    }
    let app_ctx = AppCtx {
        sys: ctx.sys.arc(),
        chan: chan.clone(),
    };
    frame_set_var(&app_ctx, args, value);
    Ok(())
}

fn local_peek(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let Some(chan) = ctx.chan else {
        ctx.error(
            crate::site!("app_stack.c", 824, "peek_read"),
            "LOCAL_PEEK must be called on an active channel",
        );
        return Err(Failed);
    };
    let a = split_raw(args, ',', 2);
    let (n, name) = (
        a.first().copied().unwrap_or(""),
        a.get(1).copied().unwrap_or(""),
    );
    if n.is_empty() || name.is_empty() {
        ctx.error(
            crate::site!("app_stack.c", 831, "peek_read"),
            "LOCAL_PEEK requires parameters n and varname",
        );
        return Err(Failed);
    }
    let n = super::builtins::atoi(n).max(0) as usize;
    let d = chan.lock();
    Ok(d.vars
        .iter()
        .filter(|(k, _)| *k == name)
        .nth(n)
        .map(|(_, v)| v.to_string())
        .unwrap_or_default())
}

/// `stackpeek_read`: `which` is read by its first letter after blanks
/// (label, context, extension, priority); the priority is the Gosub's own,
/// one before where Return goes. A channel that ever ran a Gosub keeps its
/// (maybe empty) stack, so peeking past it then is "too deep", not "no
/// stack".
fn stack_peek(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    const FILE: &str = "app_stack.c";
    let Some(chan) = ctx.chan else {
        ctx.error(
            crate::site!(FILE, 867, "stackpeek_read"),
            "STACK_PEEK must be called on an active channel",
        );
        return Err(Failed);
    };
    let a = crate::funcs::c::app_args(args, 3);
    let arg = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
    let (n_text, which, suppress) = (arg(0), arg(1), crate::config::is_true(arg(2)));
    if n_text.is_empty() || which.is_empty() {
        ctx.error(
            crate::site!(FILE, 875, "stackpeek_read"),
            "STACK_PEEK requires parameters n and which",
        );
        return Err(Failed);
    }
    let n = super::builtins::atoi(n_text) as i32;
    if n <= 0 {
        ctx.error(
            crate::site!(FILE, 881, "stackpeek_read"),
            "STACK_PEEK must be called with a positive peek value",
        );
        return Err(Failed);
    }
    let frame = {
        let d = chan.lock();
        if !d.gosub_store {
            drop(d);
            if !suppress {
                ctx.error(
                    crate::site!(FILE, 888, "stackpeek_read"),
                    "STACK_PEEK called on a channel without a gosub stack",
                );
            }
            return Err(Failed);
        }
        d.gosub_stack.iter().rev().nth(n as usize - 1).cloned()
    };
    let Some(frame) = frame else {
        if !suppress {
            ctx.error(
                crate::site!(FILE, 906, "stackpeek_read"),
                &format!("Stack peek of '{n_text}' is more stack frames than I have"),
            );
        }
        return Err(Failed);
    };
    let which =
        which.trim_start_matches(|c: char| c.is_ascii() && crate::funcs::c::is_space(c as u8));
    Ok(match which.chars().next() {
        Some('l') => format!("{},{},{}", frame.context, frame.exten, frame.priority - 1),
        Some('c') => frame.context,
        Some('e') => frame.exten,
        Some('p') => (frame.priority - 1).to_string(),
        _ => {
            ctx.error(
                crate::site!(FILE, 929, "stackpeek_read"),
                &format!("Unknown argument '{which}' to STACK_PEEK"),
            );
            String::new()
        }
    })
}
