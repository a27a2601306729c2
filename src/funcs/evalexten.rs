//! EVAL_EXTEN and EVAL_SUB (Asterisk's `func_evalexten.c`): the data of
//! another priority, substituted as if the channel ran it there; and the
//! value a subroutine returns, run as a Gosub from inside a substitution.

use super::{Failed, FuncCtx, Function};
use crate::pbx::find;
use crate::pbx::subst::{Location, substitute_at};

const FILE: &str = "func_evalexten.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "EVAL_EXTEN",
            read: Some(eval_exten),
            write: None,
            synopsis: "Gives the data of a priority, substituted as if run at that priority.",
            syntax: "EVAL_EXTEN([[context,]extensions,]priority)",
        },
        Function {
            name: "EVAL_SUB",
            read: Some(eval_sub),
            write: None,
            synopsis: "Runs a subroutine and gives the value it returns.",
            syntax: "EVAL_SUB([[context,]extensions,]priority[(arg1[,...][,argN])])",
        },
    ]
}

/// `eval_sub_read`: the subroutine runs as `ast_app_exec_sub` runs one,
/// through hangups (the function may be read in a hangup handler), and
/// its GOSUB_RETVAL, even empty, is the result.
fn eval_sub(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 203, "eval_sub_read"),
            "The EVAL_SUB function requires an extension",
        );
        return Err(Failed);
    }
    // Nothing to run a subroutine on from the CLI.
    let chan = ctx.chan.ok_or(Failed)?;
    let sub = crate::apps::AppCtx {
        sys: ctx.sys.arc(),
        chan: chan.clone(),
    };
    let ran = crate::core::run_to_end(crate::apps::stack::gosub_from_outside(&sub, data, true));
    if !matches!(ran, Some(Ok(()))) {
        ctx.warning(
            crate::site!(FILE, 211, "eval_sub_read"),
            &format!("Failed to execute Gosub({data})"),
        );
        return Err(Failed);
    }
    Ok(ctx.var("GOSUB_RETVAL").unwrap_or_default())
}

/// `[[context,]exten,]priority` as `pbx_parse_location` reads it with no
/// `+`/`-` mode: fields split on plain commas (a fourth and later are
/// ignored), a priority that does not start with a number is a label.
struct Target<'a> {
    context: Option<&'a str>,
    exten: Option<&'a str>,
    priority: &'a str,
}

fn split_target(data: &str) -> Target<'_> {
    let mut it = data.split(',');
    let first = it.next().unwrap_or("");
    match (it.next(), it.next()) {
        (None, _) => Target {
            context: None,
            exten: None,
            priority: first,
        },
        (Some(exten), None) => Target {
            context: None,
            exten: Some(first),
            priority: exten,
        },
        (Some(exten), Some(priority)) => Target {
            context: Some(first),
            exten: Some(exten),
            priority,
        },
    }
}

fn eval_exten(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 163, "eval_exten_read"),
            "The EVAL_EXTEN function requires an extension",
        );
        return Err(Failed);
    }
    let t = split_target(data);
    let (cur_context, cur_exten) = match ctx.chan {
        Some(c) => {
            let d = c.lock();
            (d.context.clone(), d.exten.clone())
        }
        None => (String::new(), String::new()),
    };
    let loaded = ctx.sys.loaded();
    let plan = &loaded.dialplan;
    let priority = match super::c::scan_int(t.priority) {
        Some((n, _)) => n,
        None => {
            // An empty context or extension given is searched as given
            // here; only a missing one means the channel's.
            let cid = super::dialplan::caller_number(ctx);
            let n = super::dialplan::find_label(
                ctx,
                plan,
                t.context.unwrap_or(&cur_context),
                t.exten.unwrap_or(&cur_exten),
                t.priority,
                cid.as_deref(),
            );
            if n < 1 {
                ctx.warning(
                    crate::site!("pbx.c", 8913, "pbx_parse_location"),
                    &format!(
                        "Priority '{}' must be a number > 0, or valid label",
                        t.priority
                    ),
                );
                return Err(Failed);
            }
            n
        }
    };
    let context = t.context.filter(|c| !c.is_empty()).unwrap_or(&cur_context);
    let exten = t.exten.filter(|e| !e.is_empty()).unwrap_or(&cur_exten);
    // `ast_get_extension_data` looks the priority up with an empty
    // callerid and says nothing when it is not there.
    let found = find::find(
        plan,
        context,
        exten,
        find::Want::Priority(priority),
        Some(""),
    )
    .map_err(|_| Failed)?;
    let text = found.priority.data.clone();
    drop(loaded);
    Ok(substitute_at(
        ctx.sys,
        ctx.chan,
        &text,
        &Location {
            context,
            exten,
            priority,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::split_target;

    /// `pbx_parse_location`'s shifting: one field is a priority, two are
    /// extension and priority, three or more context, extension, priority.
    #[test]
    fn targets() {
        let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
            ("3", None, None, "3"),
            ("s,3", None, Some("s"), "3"),
            ("c,s,3", Some("c"), Some("s"), "3"),
            ("c,s,3,junk", Some("c"), Some("s"), "3"),
            (",", None, Some(""), ""),
            (",,", Some(""), Some(""), ""),
            ("c,s,", Some("c"), Some("s"), ""),
        ];
        for (data, c, e, p) in cases {
            let t = split_target(data);
            assert_eq!((t.context, t.exten, t.priority), (*c, *e, *p), "{data}");
        }
    }
}
