//! While, EndWhile, ExitWhile and ContinueWhile (Asterisk's
//! `apps/app_while.c`). The loop state lives in channel variables as in
//! Asterisk (`WHILE_<n>`, `END_WHILE_<n>`, `<context>_<exten>_<priority>`),
//! so dialplan that peeks at them keeps working.

use super::{App, AppCtx, AppResult, Run, check_condition};
use crate::pbx::run::parseable_goto;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "While",
            run: Run::Now(while_start),
            synopsis: "Starts a loop that runs while the condition holds.",
            syntax: "While(expr)",
        },
        App {
            name: "EndWhile",
            run: Run::Now(while_end),
            synopsis: "Ends a While loop: jumps back to its While.",
            syntax: "EndWhile()",
        },
        App {
            name: "ExitWhile",
            run: Run::Now(while_exit),
            synopsis: "Leaves the innermost While loop.",
            syntax: "ExitWhile()",
        },
        App {
            name: "ContinueWhile",
            run: Run::Now(while_continue),
            synopsis: "Jumps back to the innermost While to test it again.",
            syntax: "ContinueWhile()",
        },
    ]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Start,
    End,
    Exit,
}

/// The highest `<prefix>_<n>` index in use (`WHILE_0`, `IF_0`, ...), or
/// -1.
pub(super) fn used_index(ctx: &AppCtx, prefix: &str) -> i64 {
    let mut used = -1;
    let mut x = 0;
    while ctx.var(&format!("{prefix}_{x}")).is_some() {
        used = x;
        x += 1;
    }
    used
}

/// Walking the priorities after the channel's, counting the `open` and
/// `close` applications nested in between (app_while's
/// `find_matching_endwhile`, app_if's `find_matching_endif`): the
/// priority of the `close` that ends this level (`other` None), or of the
/// first `other` application at this level.
pub(super) fn find_matching(
    ctx: &AppCtx,
    open: &str,
    close: &str,
    other: Option<&str>,
) -> Option<i32> {
    let (context, exten, priority, cid) = {
        let d = ctx.chan.lock();
        (
            d.context.clone(),
            d.exten.clone(),
            d.priority,
            d.caller.id.number().map(str::to_string),
        )
    };
    let loaded = ctx.sys.loaded();
    let mut level = 1;
    let mut p = priority + 1;
    while let Ok(f) = crate::pbx::find::find(
        &loaded.dialplan,
        &context,
        &exten,
        crate::pbx::find::Want::Priority(p),
        cid.as_deref(),
    ) {
        let app = &f.priority.app;
        if app.eq_ignore_ascii_case(open) {
            level += 1;
        } else if app.eq_ignore_ascii_case(close) {
            level -= 1;
        }
        match other {
            None if level == 0 => return Some(p),
            Some(o) if level == 1 && app.eq_ignore_ascii_case(o) => return Some(p),
            _ => {}
        }
        p += 1;
    }
    None
}

fn while_exec(ctx: &AppCtx, data: &str, mode: Mode) -> AppResult {
    let used = used_index(ctx, "WHILE");
    let (context, exten, priority) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.exten.clone(), d.priority)
    };
    let my_name = format!("{context}_{exten}_{priority}");
    let label = if mode != Mode::Start {
        used.to_string()
    } else if let Some(l) = ctx.var(&my_name) {
        l
    } else {
        let l = (used + 1).to_string();
        ctx.set_var(&my_name, Some(&l));
        l
    };
    let varname = format!("WHILE_{label}");
    let end_varname = format!("END_{varname}");
    let while_pri = ctx.var(&varname);
    let finished = match mode {
        Mode::Start => !check_condition(data),
        Mode::Exit => true,
        Mode::End => false,
    };
    if finished {
        ctx.set_var(&varname, None);
        ctx.set_var(&my_name, None);
        if let Some(goto) = ctx.var(&end_varname) {
            let _ = parseable_goto(ctx, &goto);
            ctx.set_var(&end_varname, None);
        } else if let Some(p) = find_matching(ctx, "WHILE", "ENDWHILE", None) {
            ctx.verbose(
                3,
                crate::site!("app_while.c", 283, "_while_exec"),
                &format!("Jumping to priority {p}"),
            );
            ctx.chan.lock().priority = p;
        } else {
            ctx.warning(
                crate::site!("app_while.c", 286, "_while_exec"),
                &format!("Couldn't find matching EndWhile? (While at {context}@{exten} priority {priority})"),
            );
        }
        return Ok(());
    }
    match (mode, while_pri) {
        (Mode::Start, None) => {
            ctx.set_var(&varname, Some(&format!("{context},{exten},{priority}")));
        }
        (Mode::End, Some(pri)) => {
            if ctx.var(&end_varname).is_none() {
                ctx.set_var(
                    &end_varname,
                    Some(&format!("{context},{exten},{}", priority + 1)),
                );
            }
            let _ = parseable_goto(ctx, &pri);
        }
        _ => {}
    }
    Ok(())
}

fn while_start(ctx: &AppCtx, data: &str) -> AppResult {
    while_exec(ctx, data, Mode::Start)
}

fn while_end(ctx: &AppCtx, data: &str) -> AppResult {
    while_exec(ctx, data, Mode::End)
}

fn while_exit(ctx: &AppCtx, data: &str) -> AppResult {
    while_exec(ctx, data, Mode::Exit)
}

fn while_continue(ctx: &AppCtx, _: &str) -> AppResult {
    let mut pri = None;
    let mut x = 0;
    while let Some(v) = ctx.var(&format!("WHILE_{x}")) {
        pri = Some(v);
        x += 1;
    }
    if let Some(p) = pri {
        let _ = parseable_goto(ctx, &p);
    }
    Ok(())
}
