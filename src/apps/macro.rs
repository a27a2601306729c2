//! Macro, MacroIf, MacroExclusive and MacroExit (Asterisk's deprecated
//! `apps/app_macro.c`, still used by many old configs).

use std::sync::atomic::{AtomicBool, Ordering};

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, check_condition};
use crate::pbx::run::{Spawn, spawn_extension};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Macro",
            run: Run::Wait(macro_app),
            synopsis: "Runs the macro-<name> context as a subroutine (deprecated: use Gosub).",
            syntax: "Macro(name[,arg1[,arg2[,...]]])",
        },
        App {
            name: "MacroExclusive",
            run: Run::Wait(macro_app),
            synopsis: "Runs a macro that only one channel may run at a time.",
            syntax: "MacroExclusive(name[,arg1[,arg2[,...]]])",
        },
        App {
            name: "MacroExit",
            run: Run::Now(macro_exit),
            synopsis: "Leaves the running macro.",
            syntax: "MacroExit()",
        },
        App {
            name: "MacroIf",
            run: Run::Wait(macro_if),
            synopsis: "Runs one of two macros depending on a condition.",
            syntax: "MacroIf(expr?macroiftrue[,args][:macroiffalse[,args]])",
        },
    ]
}

const MAX_ARGS: usize = 80;

fn macro_exit(_: &AppCtx, _: &str) -> AppResult {
    Err(AppExit::MacroExit)
}

fn macro_if<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let Some((cond, rest)) = data.split_once('?') else {
            ctx.warning(
                crate::site!("app_macro.c", 660, "macroif_exec"),
                "Invalid Syntax.",
            );
            return Err(AppExit::Hangup);
        };
        let (t, f) = match rest.split_once(':') {
            Some((t, f)) => (t, Some(f)),
            None => (rest, None),
        };
        if check_condition(cond) {
            if !t.is_empty() {
                return run_macro(ctx, t).await;
            }
        } else if let Some(f) = f.filter(|f| !f.is_empty()) {
            return run_macro(ctx, f).await;
        }
        Ok(())
    })
}

fn macro_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { run_macro(ctx, &data).await })
}

fn int_var(ctx: &AppCtx, name: &str) -> Option<i64> {
    let v = ctx.var(name)?;
    let t = v.trim_start();
    t.bytes()
        .next()
        .filter(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
        .map(|_| super::builtins::atoi(t))
}

async fn run_macro(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_macro.c", 270, "_macro_exec"),
            "Macro() requires arguments. See \"core show application macro\" for help.",
        );
        return Err(AppExit::Hangup);
    }
    static NOTICE: AtomicBool = AtomicBool::new(false);
    if !NOTICE.swap(true, Ordering::Relaxed) {
        ctx.warning(
            crate::site!("app_macro.c", 276, "_macro_exec"),
            "Macro() is deprecated and will be removed from a future version of Asterisk.",
        );
        ctx.warning(
            crate::site!("app_macro.c", 277, "_macro_exec"),
            "Dialplan should be updated to use Gosub instead.",
        );
    }
    let maxdepth = int_var(ctx, "MACRO_RECURSION").unwrap_or(7);
    let depth = int_var(ctx, "MACRO_DEPTH").unwrap_or(0);
    if ctx.chan.lock().exten == "h" {
        ctx.set_var("MACRO_IN_HANGUP", Some("1"));
    }
    let inhangup = int_var(ctx, "MACRO_IN_HANGUP").unwrap_or(0) != 0;
    if depth >= maxdepth {
        ctx.sys.pbx.logger.error(
            crate::site!("app_macro.c", 317, "_macro_exec"),
            None,
            "Macro():  possible infinite loop detected.  Returning early.",
        );
        return Ok(());
    }
    let depthc = (depth + 1).to_string();
    let mut parts = data.split(',');
    let name = parts.next().unwrap_or("");
    if name.is_empty() {
        ctx.warning(
            crate::site!("app_macro.c", 326, "_macro_exec"),
            "Invalid macro name specified",
        );
        return Ok(());
    }
    let fullmacro = format!("macro-{name}");
    let (oldc, olde, oldp, cid) = {
        let d = ctx.chan.lock();
        (
            d.context.clone(),
            d.exten.clone(),
            d.priority,
            d.caller.id.number().map(str::to_string),
        )
    };
    {
        let loaded = ctx.sys.loaded();
        if loaded.dialplan.context(&fullmacro).is_none() {
            ctx.warning(
                crate::site!("app_macro.c", 334, "_macro_exec"),
                &format!(
                    "No such context '{fullmacro}' for macro '{name}'. Was called by {olde}@{oldc}"
                ),
            );
            return Ok(());
        }
    }
    let plan = ctx.sys.loaded().dialplan.clone();
    let my_exten = if crate::pbx::find::exists(&plan, &fullmacro, "s", 1, cid.as_deref()) {
        "s"
    } else if crate::pbx::find::exists(&plan, &fullmacro, "~~s~~", 1, cid.as_deref()) {
        "~~s~~"
    } else {
        ctx.warning(
            crate::site!("app_macro.c", 354, "_macro_exec"),
            &format!("Context '{fullmacro}' for macro '{name}' lacks 's' extension, priority 1"),
        );
        return Ok(());
    };
    let save_exten = ctx.var("MACRO_EXTEN");
    ctx.set_var("MACRO_EXTEN", Some(&olde));
    let save_context = ctx.var("MACRO_CONTEXT");
    ctx.set_var("MACRO_CONTEXT", Some(&oldc));
    let save_priority = ctx.var("MACRO_PRIORITY");
    ctx.set_var("MACRO_PRIORITY", Some(&oldp.to_string()));
    let save_offset = ctx.var("MACRO_OFFSET");
    ctx.set_var("MACRO_OFFSET", None);
    ctx.set_var("MACRO_DEPTH", Some(&depthc));
    {
        let mut d = ctx.chan.lock();
        d.set_exten(my_exten);
        d.set_context(&fullmacro);
        d.priority = 1;
    }
    let mut old_args: Vec<Option<String>> = vec![None];
    for (i, arg) in parts.enumerate() {
        if i + 1 >= MAX_ARGS {
            break;
        }
        let vn = format!("ARG{}", i + 1);
        old_args.push(ctx.var(&vn));
        ctx.set_var(&vn, Some(arg));
    }
    let saved_autoloop = {
        let mut d = ctx.chan.lock();
        let s = d.in_autoloop;
        d.in_autoloop = true;
        s
    };
    let mut gosub_level = 0i32;
    let mut res: AppResult = Ok(());
    loop {
        let (c, e, p, cid) = {
            let d = ctx.chan.lock();
            (
                d.context.clone(),
                d.exten.clone(),
                d.priority,
                d.caller.id.number().map(str::to_string),
            )
        };
        let plan = ctx.sys.loaded().dialplan.clone();
        let running = match crate::pbx::find::find(
            &plan,
            &c,
            &e,
            crate::pbx::find::Want::Priority(p),
            cid.as_deref(),
        ) {
            Ok(f) => (f.priority.app.clone(), f.priority.data.clone()),
            Err(_) => break,
        };
        ctx.set_var("MACRO_DEPTH", Some(&depthc));
        match spawn_extension(ctx).await {
            Spawn::Ran => {}
            Spawn::NotFound(_) => break,
            Spawn::Exit(AppExit::Digit(_)) => break,
            Spawn::Exit(AppExit::MacroExit) => break,
            Spawn::Exit(other) => {
                let (c, e, p) = {
                    let d = ctx.chan.lock();
                    (d.context.clone(), d.exten.clone(), d.priority)
                };
                ctx.verbose(
                    2,
                    crate::site!("app_macro.c", 480, "_macro_exec"),
                    &format!(
                        "Spawn extension ({c}, {e}, {p}) exited non-zero on '{}' in macro '{name}'",
                        ctx.chan.name
                    ),
                );
                res = Err(other);
                break;
            }
        }
        let app = running.0.to_ascii_uppercase();
        match app.as_str() {
            "GOSUB" => gosub_level += 1,
            "GOSUBIF" => {
                let s = ctx.substitute(&running.1);
                let (cond, rest) = s.split_once('?').unwrap_or((&s, ""));
                let (t, f) = rest.split_once(':').unwrap_or((rest, ""));
                if (check_condition(cond) && !t.is_empty())
                    || (!check_condition(cond) && !f.is_empty())
                {
                    gosub_level += 1;
                }
            }
            "RETURN" | "STACKPOP" => gosub_level -= 1,
            a if a.starts_with("EXEC") => {
                let s = ctx.substitute(&running.1);
                let last = if a == "EXECIF" {
                    match s.split_once('|') {
                        Some((cond, rest)) if check_condition(cond) => Some(rest.to_string()),
                        _ => None,
                    }
                } else {
                    Some(s)
                };
                if let Some(l) = last.map(|l| l.to_ascii_uppercase()) {
                    if l.starts_with("GOSUB") {
                        gosub_level += 1;
                    } else if l.starts_with("RETURN") || l.starts_with("STACKPOP") {
                        gosub_level -= 1;
                    }
                }
            }
            _ => {}
        }
        let now_context = ctx.chan.lock().context.clone();
        if gosub_level == 0 && !now_context.eq_ignore_ascii_case(&fullmacro) {
            ctx.verbose(
                2,
                crate::site!("app_macro.c", 547, "_macro_exec"),
                &format!("Channel '{}' jumping out of macro '{name}'", ctx.chan.name),
            );
            break;
        }
        if ctx.chan.check_hangup() && !inhangup {
            break;
        }
        ctx.chan.lock().priority += 1;
    }
    ctx.set_var("MACRO_DEPTH", Some(&depth.to_string()));
    ctx.chan.lock().in_autoloop = saved_autoloop;
    for (i, old) in old_args.iter().enumerate().skip(1) {
        ctx.set_var(&format!("ARG{i}"), old.as_deref());
    }
    ctx.set_var("MACRO_EXTEN", save_exten.as_deref());
    ctx.set_var("MACRO_CONTEXT", save_context.as_deref());
    ctx.set_var("MACRO_PRIORITY", save_priority.as_deref());
    let leaving_normally = ctx.chan.lock().context.eq_ignore_ascii_case(&fullmacro)
        && ctx.chan.softhangup_flags() & crate::channels::softhangup::ASYNCGOTO == 0;
    if leaving_normally {
        {
            let mut d = ctx.chan.lock();
            d.priority = oldp;
            d.set_context(&oldc);
            d.set_exten(&olde);
        }
        if let Some(offset) = int_var(ctx, "MACRO_OFFSET") {
            let next = oldp as i64 + offset + 1;
            if crate::pbx::find::exists(
                &ctx.sys.loaded().dialplan,
                &oldc,
                &olde,
                next as i32,
                cid.as_deref(),
            ) {
                ctx.chan.lock().priority = (oldp as i64 + offset) as i32;
            }
        }
    }
    ctx.set_var("MACRO_OFFSET", save_offset.as_deref());
    res
}
