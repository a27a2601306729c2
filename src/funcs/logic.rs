//! ISNULL, SET, EXISTS, IF, IFTIME, IMPORT, DELETE and VARIABLE_EXISTS
//! (Asterisk's `func_logic.c`).

use super::c::{strip, strip_quoted};
use super::{Failed, FuncCtx, Function};
use crate::apps::separate_args;

const FILE: &str = "func_logic.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "ISNULL",
            read: Some(isnull),
            write: None,
            synopsis: "Gives 1 when its argument is empty, else 0.",
            syntax: "ISNULL(data)",
        },
        Function {
            name: "SET",
            read: Some(set),
            write: None,
            synopsis: "Sets a variable and gives the value it set.",
            syntax: "SET(varname=[value])",
        },
        Function {
            name: "EXISTS",
            read: Some(exists),
            write: None,
            synopsis: "Gives 1 when its argument is not empty, else 0.",
            syntax: "EXISTS(data)",
        },
        Function {
            name: "IF",
            read: Some(acf_if),
            write: None,
            synopsis: "Chooses one of two values by a condition.",
            syntax: "IF(expression?[true][:false])",
        },
        Function {
            name: "IFTIME",
            read: Some(iftime),
            write: None,
            synopsis: "Chooses one of two values by whether now matches a time specification.",
            syntax: "IFTIME(timespec?[true][:false])",
        },
        Function {
            name: "IMPORT",
            read: Some(import),
            write: None,
            synopsis: "Reads a variable (or expression) as another channel sees it.",
            syntax: "IMPORT(channel,variable)",
        },
        Function {
            name: "DELETE",
            read: None,
            write: Some(delete),
            synopsis: "Removes a channel variable when written to.",
            syntax: "DELETE(varname)",
        },
        Function {
            name: "VARIABLE_EXISTS",
            read: Some(variable_exists),
            write: None,
            synopsis: "Gives 1 when the variable is set (even to nothing), else 0.",
            syntax: "VARIABLE_EXISTS(varname)",
        },
    ]
}

fn isnull(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(if data.is_empty() { "1" } else { "0" }.into())
}

fn exists(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(if data.is_empty() { "0" } else { "1" }.into())
}

fn iftime(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let data = strip_quoted(data);
    let (expr, rest) = match data.split_once('?') {
        Some((e, r)) => (e, Some(r)),
        None => (data, None),
    };
    let (iftrue, iffalse) = match rest {
        None => (None, None),
        Some(r) => match r.split_once(':') {
            Some((t, f)) => (Some(t), Some(f)),
            None => (Some(r), None),
        },
    };
    if expr.is_empty() || (iftrue.is_none() && iffalse.is_none()) {
        ctx.warning(
            crate::site!(FILE, 207, "iftime"),
            "Syntax IFTIME(<timespec>?[<true>][:<false>])",
        );
        return Err(Failed);
    }
    let timing = crate::pbx::timing::Timing::parse(expr);
    for w in &timing.warnings {
        ctx.warning(&w.site, &w.message);
    }
    let chosen = if timing.matches_now() {
        iftrue.map(strip_quoted)
    } else {
        iffalse.map(strip_quoted)
    };
    Ok(chosen.unwrap_or("").to_string())
}

fn acf_if(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args1 = separate_args(data, '?', 2);
    let expr = args1.first().map(String::as_str).unwrap_or("");
    let args2 = match args1.get(1) {
        Some(rem) => separate_args(rem, ':', 2),
        None => Vec::new(),
    };
    if expr.is_empty() || args2.is_empty() {
        return Err(Failed);
    }
    let iftrue = args2.first().map(|s| strip(s)).unwrap_or("");
    let iffalse = args2.get(1).map(|s| strip(s)).unwrap_or("");
    Ok(if crate::apps::check_condition(strip(expr)) {
        iftrue
    } else {
        iffalse
    }
    .to_string())
}

fn set(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let Some((varname, val)) = data.split_once('=') else {
        ctx.warning(
            crate::site!(FILE, 276, "set"),
            "Syntax SET(<varname>=[<value>])",
        );
        return Err(Failed);
    };
    if varname.is_empty() {
        ctx.warning(
            crate::site!(FILE, 276, "set"),
            "Syntax SET(<varname>=[<value>])",
        );
        return Err(Failed);
    }
    let (varname, val) = (strip(varname), strip(val));
    ctx.set_var(varname, Some(val));
    Ok(val.to_string())
}

fn import(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = super::c::app_args(data, 2);
    let (Some(channel), Some(varname)) = (args.first(), args.get(1)) else {
        return Ok(String::new());
    };
    if varname.is_empty() {
        return Ok(String::new());
    }
    let found = ctx
        .sys
        .pbx
        .channels
        .by_name(channel)
        .or_else(|| ctx.sys.pbx.channels.by_uniqueid(channel));
    Ok(match found {
        Some(chan2) => {
            crate::pbx::subst::substitute(ctx.sys, Some(&chan2), &format!("${{{varname}}}"))
        }
        None => String::new(),
    })
}

fn delete(ctx: &FuncCtx<'_>, data: &str, _value: &str) -> Result<(), Failed> {
    ctx.set_var(data, None);
    Ok(())
}

fn variable_exists(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    Ok(if ctx.var(data).is_some() { "1" } else { "0" }.into())
}
