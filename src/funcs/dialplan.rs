//! DIALPLAN_EXISTS and VALID_EXTEN (Asterisk's `func_dialplan.c`).

use super::c::{app_args, scan_int};
use super::{Failed, FuncCtx, Function};
use crate::pbx::find;

const FILE: &str = "func_dialplan.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "DIALPLAN_EXISTS",
            read: Some(dialplan_exists),
            write: None,
            synopsis: "Tells whether a context, extension or priority exists.",
            syntax: "DIALPLAN_EXISTS(context[,extension[,priority]])",
        },
        Function {
            name: "VALID_EXTEN",
            read: Some(valid_exten),
            write: None,
            synopsis: "Tells whether an extension exists, in this or another context.",
            syntax: "VALID_EXTEN([context],extension[,priority])",
        },
    ]
}

/// The caller's number, when valid (the callerid that extension lookups
/// match against).
pub(crate) fn caller_number(ctx: &FuncCtx<'_>) -> Option<String> {
    ctx.chan
        .and_then(|c| c.lock().caller.id.number().map(str::to_string))
}

/// `ast_findlabel_extension`, with the notices pbx.c logs when the
/// lookup fails.
pub(crate) fn find_label(
    ctx: &FuncCtx<'_>,
    plan: &crate::pbx::Dialplan,
    context: &str,
    exten: &str,
    label: &str,
    cid: Option<&str>,
) -> i32 {
    match find::find(plan, context, exten, find::Want::Label(label), cid) {
        Ok(f) => f.priority.priority,
        Err(status) => {
            // pbx_extension_helper's notices, one line per outcome.
            let (line, msg) = match status {
                find::Status::NoContext => {
                    (3005, format!("Cannot find extension context '{context}'"))
                }
                find::Status::NoExtension => (
                    3009,
                    format!("Cannot find extension '{exten}' in context '{context}'"),
                ),
                find::Status::NoPriority => (
                    3013,
                    format!("No such priority 0 in extension '{exten}' in context '{context}'"),
                ),
                find::Status::NoLabel => (
                    3017,
                    format!(
                        "No such label '{label}' in extension '{exten}' in context '{context}'"
                    ),
                ),
            };
            ctx.sys.pbx.logger.notice(
                crate::site!("pbx.c", line, "pbx_extension_helper"),
                None,
                &msg,
            );
            0
        }
    }
}

fn dialplan_exists(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.error(
            crate::site!(FILE, 92, "isexten_function_read"),
            "DIALPLAN_EXISTS() requires an argument",
        );
        return Err(Failed);
    }
    let args = app_args(data, 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let (context, exten, priority) = (arg(0), arg(1), arg(2));
    let loaded = ctx.sys.loaded();
    let plan = &loaded.dialplan;
    let cid = caller_number(ctx);
    let yes = if !priority.is_empty() {
        match scan_int(priority) {
            Some((n, _)) if n > 0 => find::exists(plan, context, exten, n, cid.as_deref()),
            _ => find_label(ctx, plan, context, exten, priority, cid.as_deref()) > 0,
        }
    } else if !exten.is_empty() {
        find::exists(plan, context, exten, 1, cid.as_deref())
    } else if !context.is_empty() {
        plan.context(context).is_some()
    } else {
        ctx.error(
            crate::site!(FILE, 127, "isexten_function_read"),
            "Invalid arguments provided to DIALPLAN_EXISTS",
        );
        return Err(Failed);
    };
    Ok(if yes { "1" } else { "0" }.into())
}

fn valid_exten(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let chan = ctx.require_channel(crate::site!(FILE, 144, "acf_isexten_exec"))?;
    let args = app_args(data, 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let context = match arg(0) {
        "" => chan.lock().context.clone(),
        c => c.to_string(),
    };
    let exten = arg(1);
    if exten.is_empty() {
        ctx.warning(
            crate::site!(FILE, 155, "acf_isexten_exec"),
            "Syntax: VALID_EXTEN([<context>],<extension>[,<priority>]) - missing argument <extension>!",
        );
        return Err(Failed);
    }
    let priority = match arg(2) {
        "" => 1,
        p => crate::apps::builtins::atoi(p) as i32,
    };
    let cid = caller_number(ctx);
    let plan = &ctx.sys.loaded().dialplan;
    Ok(
        if find::exists(plan, &context, exten, priority, cid.as_deref()) {
            "1"
        } else {
            "0"
        }
        .into(),
    )
}
