//! GLOBAL() and SHARED() (Asterisk's `func_global.c`).

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "GLOBAL",
            read: Some(global_read),
            write: Some(global_write),
            synopsis: "Reads or sets a global variable.",
            syntax: "GLOBAL(varname)",
        },
        Function {
            name: "SHARED",
            read: Some(shared_read),
            write: Some(shared_write),
            synopsis: "Reads or sets a variable shared between channels, kept on one channel.",
            syntax: "SHARED(varname[,channel])",
        },
    ]
}

fn global_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(ctx.sys.pbx.global(args).unwrap_or_default())
}

fn global_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    crate::pbx::set_global(ctx.sys, args, Some(value));
    Ok(())
}

fn shared_target(
    ctx: &FuncCtx<'_>,
    args: &str,
) -> Result<(String, std::sync::Arc<crate::channels::Channel>), Failed> {
    let parts = super::standard_args(args);
    let var = parts.first().cloned().unwrap_or_default();
    if var.is_empty() {
        ctx.warning(
            "func_global.c",
            "SHARED() requires an argument: SHARED(<var>[,<chan>])",
        );
        return Err(Failed);
    }
    let chan = match parts.get(1).filter(|c| !c.is_empty()) {
        Some(name) => match ctx.sys.pbx.channels.by_name(name) {
            Some(c) => c,
            None => {
                ctx.warning(
                    "func_global.c",
                    &format!("Channel '{name}' not found!  Variable '{var}' will be blank."),
                );
                return Err(Failed);
            }
        },
        None => match ctx.chan {
            Some(c) => c.clone(),
            None => {
                ctx.warning("func_global.c", "Channel not found!");
                return Err(Failed);
            }
        },
    };
    Ok((var, chan))
}

fn shared_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (var, chan) = shared_target(ctx, args)?;
    Ok(chan.lock().shared.get(&var).unwrap_or("").to_string())
}

fn shared_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let (var, chan) = shared_target(ctx, args)?;
    chan.lock().shared.set(&var, Some(value));
    Ok(())
}
