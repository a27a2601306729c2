//! Exec, TryExec and ExecIf (Asterisk's `apps/app_exec.c`).

use super::{
    App, AppCtx, AppExit, AppFuture, AppResult, Run, check_condition, split_args, split_raw,
};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Exec",
            run: Run::Wait(exec),
            synopsis: "Runs another application given as name(args).",
            syntax: "Exec(appname(arguments))",
        },
        App {
            name: "ExecIf",
            run: Run::Wait(execif),
            synopsis: "Runs one of two applications depending on a condition.",
            syntax: "ExecIf(expression?appiftrue(args)[:appiffalse(args)])",
        },
        App {
            name: "TryExec",
            run: Run::Wait(tryexec),
            synopsis: "Runs an application and records the outcome in TRYSTATUS.",
            syntax: "TryExec(appname(arguments))",
        },
    ]
}

/// Finds and runs an application by name (used by every app that runs
/// another one). Boxed because applications can nest.
pub fn exec_application<'a>(ctx: &'a AppCtx, name: &'a str, args: &'a str) -> AppFuture<'a> {
    Box::pin(async move {
        match super::find(name) {
            Some(app) => super::exec(ctx, app, args).await,
            None => {
                ctx.warning(
                    crate::site!("pbx_app.c", 520, "ast_pbx_exec_application"),
                    &format!("Could not find application ({name})"),
                );
                Err(AppExit::Hangup)
            }
        }
    })
}

/// `appname(args)`: the name runs to the first `(`, the args to the last `)`.
fn split_call(data: &str) -> (&str, Option<&str>) {
    match data.split_once('(') {
        Some((name, rest)) => {
            let args = match rest.rfind(')') {
                Some(j) => &rest[..j],
                None => rest,
            };
            (name, Some(args))
        }
        None => (data, None),
    }
}

fn exec<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            return Ok(());
        }
        let (name, args) = split_call(&data);
        // Exec substitutes its arguments once more, as Asterisk does.
        let args = args.map(|a| ctx.substitute(a)).unwrap_or_default();
        match super::find(name) {
            Some(app) => super::exec(ctx, app, &args).await,
            None => {
                ctx.warning(
                    crate::site!("app_exec.c", 167, "exec_exec"),
                    &format!("Could not find application ({name})"),
                );
                Err(AppExit::Hangup)
            }
        }
    })
}

fn tryexec<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            return Ok(());
        }
        let (name, args) = split_call(&data);
        let args = args.map(|a| ctx.substitute(a)).unwrap_or_default();
        match super::find(name) {
            Some(app) => {
                let res = super::exec(ctx, app, &args).await;
                ctx.set_var(
                    "TRYSTATUS",
                    Some(if res.is_err() { "FAILED" } else { "SUCCESS" }),
                );
            }
            None => {
                ctx.warning(
                    crate::site!("app_exec.c", 202, "tryexec_exec"),
                    &format!("Could not find application ({name})"),
                );
                ctx.set_var("TRYSTATUS", Some("NOAPP"));
            }
        }
        Ok(())
    })
}

fn execif<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let first_comma = data.find(',');
        let first_question = data.find('?');
        let (cond, t_app, t_data, f_app, f_data): (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let deprecated = match (first_comma, first_question) {
            (_, None) => true,
            (Some(c), Some(q)) => c < q,
            _ => false,
        };
        if deprecated {
            let a = split_args(&data, ',');
            let appname = a.get(1).cloned().unwrap_or_default();
            let appargs = a.get(2).cloned();
            ctx.warning(
                crate::site!("app_exec.c", 238, "execif_exec"),
                &format!(
                    "Deprecated syntax found.  Please upgrade to using ExecIf(<expr>?{}({}))",
                    appname,
                    appargs.as_deref().unwrap_or("(null)")
                ),
            );
            cond = a.first().cloned().unwrap_or_default();
            t_app = appname;
            t_data = appargs;
            f_app = None;
            f_data = None;
        } else {
            let e = split_raw(&data, '?', 2);
            let remainder = e.get(1).copied().unwrap_or("");
            if remainder.is_empty() {
                ctx.sys.pbx.logger.error(
                    crate::site!("app_exec.c", 250, "execif_exec"),
                    None,
                    "Usage: ExecIf(<expr>?<appiftrue>(<args>)[:<appiffalse>(<args)])",
                );
                return Err(AppExit::Hangup);
            }
            cond = e[0].to_string();
            let branches = split_raw(remainder, ':', 2);
            let (ta, td) = split_call(branches[0]);
            t_app = ta.to_string();
            t_data = td.map(str::to_string);
            match branches.get(1) {
                Some(f) => {
                    let (fa, fd) = split_call(f);
                    f_app = Some(fa.to_string());
                    f_data = fd.map(str::to_string);
                }
                None => {
                    f_app = None;
                    f_data = None;
                }
            }
        }
        // The true and false branches report a missing application from
        // their own lines.
        let run = |name: String, args: Option<String>, line: u32| async move {
            match super::find(&name).filter(|_| !name.is_empty()) {
                Some(app) => super::exec(ctx, app, args.as_deref().unwrap_or("")).await,
                None => {
                    ctx.warning(
                        &crate::core::logger::Site {
                            file: "app_exec.c",
                            function: "execif_exec",
                            line,
                        },
                        &format!("Could not find application! ({name})"),
                    );
                    Err(AppExit::Hangup)
                }
            }
        };
        if check_condition(&cond) {
            run(t_app, t_data, 275).await
        } else if let Some(f) = f_app.filter(|f| !f.is_empty()) {
            run(f, f_data, 282).await
        } else {
            AppResult::Ok(())
        }
    })
}
