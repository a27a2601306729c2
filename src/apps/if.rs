//! If, ElseIf, Else, EndIf and ExitIf (Asterisk's `apps/app_if.c`): the
//! branch state lives in channel variables (`IF_<n>`, `END_IF_<n>`,
//! `<context>_<exten>_<priority>`) as in Asterisk, and the branches are
//! found by walking the extension's priorities, counting nested Ifs, as
//! While finds its EndWhile. Asterisk's walk decides where each false
//! condition and each Else goes; it is followed exactly.

use super::{App, AppCtx, AppResult, Run, check_condition};
use crate::pbx::run::parseable_goto;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "If",
            run: Run::Now(if_start),
            synopsis: "Starts a branch that runs when the condition holds.",
            syntax: "If(expr)",
        },
        App {
            name: "ElseIf",
            run: Run::Now(if_elseif),
            synopsis: "A further branch of an If, tried when the ones before it were not taken.",
            syntax: "ElseIf(expr)",
        },
        App {
            name: "Else",
            run: Run::Now(if_else),
            synopsis: "The branch of an If taken when no condition held.",
            syntax: "Else()",
        },
        App {
            name: "EndIf",
            run: Run::Now(if_end),
            synopsis: "Ends an If's branches.",
            syntax: "EndIf()",
        },
        App {
            name: "ExitIf",
            run: Run::Now(if_exit),
            synopsis: "Leaves the innermost If, past its EndIf.",
            syntax: "ExitIf()",
        },
    ]
}

/// Which application runs (`if_helper`'s `end`: 0 to 4).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    If = 0,
    ElseIf = 1,
    EndIf = 2,
    Else = 3,
    Exit = 4,
}

/// `find_matching_endif`: the EndIf closing this level (`other` None),
/// or the first `other` (ElseIf, Else) at this level.
fn find_matching(ctx: &AppCtx, other: Option<&str>) -> Option<i32> {
    super::r#while::find_matching(ctx, "IF", "ENDIF", other)
}

fn if_exec(ctx: &AppCtx, data: &str, mode: Mode) -> AppResult {
    let used = super::r#while::used_index(ctx, "IF");
    let (context, exten, priority) = {
        let d = ctx.chan.lock();
        (d.context.clone(), d.exten.clone(), d.priority)
    };
    let my_name = format!("{context}_{exten}_{priority}");
    let label = if mode > Mode::ElseIf {
        used.to_string()
    } else if let Some(l) = ctx.var(&my_name) {
        l
    } else {
        let l = (used + 1).to_string();
        ctx.set_var(&my_name, Some(&l));
        l
    };
    let varname = format!("IF_{label}");
    let end_varname = format!("END_{varname}");
    let if_pri = ctx.var(&varname);
    let conditional = mode <= Mode::ElseIf;
    if !conditional || !check_condition(data) {
        ctx.set_var(&varname, None);
        ctx.set_var(&my_name, None);
        let endif = if mode == Mode::EndIf {
            Some(priority)
        } else {
            find_matching(ctx, None)
        };
        // A branch counts only before the EndIf (and only if there is one).
        let before_endif = |p: &i32| endif.is_some_and(|e| *p > 0 && *p < e);
        if let Some(goto) = ctx.var(&end_varname) {
            let _ = parseable_goto(ctx, &goto);
            ctx.set_var(&end_varname, None);
        } else if let Some(p) = conditional
            .then(|| find_matching(ctx, Some("ElseIf")))
            .flatten()
            .filter(before_endif)
        {
            // Back to just before the ElseIf, so that it runs next.
            let p = p - 1;
            ctx.verbose(
                3,
                crate::site!("app_if.c", 320, "if_helper"),
                &format!("Taking conditional false branch, jumping to priority {p}"),
            );
            ctx.chan.lock().priority = p;
        } else if let Some(p) = conditional
            .then(|| find_matching(ctx, Some("Else")))
            .flatten()
            .filter(before_endif)
        {
            // Past the Else, which would end the conditional if it ran.
            ctx.verbose(
                3,
                crate::site!("app_if.c", 325, "if_helper"),
                &format!("Taking absolute false branch, jumping to priority {p}"),
            );
            ctx.chan.lock().priority = p;
        } else if let Some(p) = endif {
            ctx.verbose(
                3,
                crate::site!("app_if.c", 330, "if_helper"),
                &format!("Exiting conditional, jumping to priority {p}"),
            );
            ctx.chan.lock().priority = p;
        } else if mode == Mode::Exit {
            ctx.warning(
                crate::site!("app_if.c", 333, "if_helper"),
                &format!(
                    "Couldn't find matching EndIf? (If at {context}@{exten} priority {priority})"
                ),
            );
        }
        return Ok(());
    }
    if if_pri.is_none() {
        ctx.set_var(&varname, Some(&format!("{context},{exten},{priority}")));
    }
    Ok(())
}

fn if_start(ctx: &AppCtx, data: &str) -> AppResult {
    if_exec(ctx, data, Mode::If)
}

fn if_elseif(ctx: &AppCtx, data: &str) -> AppResult {
    if_exec(ctx, data, Mode::ElseIf)
}

fn if_else(ctx: &AppCtx, data: &str) -> AppResult {
    if_exec(ctx, data, Mode::Else)
}

fn if_end(ctx: &AppCtx, data: &str) -> AppResult {
    if_exec(ctx, data, Mode::EndIf)
}

fn if_exit(ctx: &AppCtx, data: &str) -> AppResult {
    if_exec(ctx, data, Mode::Exit)
}
