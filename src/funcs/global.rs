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

/// The variable and channel SHARED() works on; shared_read and
/// shared_write (`write`) check them alike, each logging from its own lines.
fn shared_target(
    ctx: &FuncCtx<'_>,
    args: &str,
    write: bool,
) -> Result<(String, std::sync::Arc<crate::channels::Channel>), Failed> {
    let parts = super::standard_args(args);
    let var = parts.first().cloned().unwrap_or_default();
    if var.is_empty() {
        ctx.warning(
            if write {
                crate::site!("func_global.c", 303, "shared_write")
            } else {
                crate::site!("func_global.c", 240, "shared_read")
            },
            "SHARED() requires an argument: SHARED(<var>[,<chan>])",
        );
        return Err(Failed);
    }
    let chan = match parts.get(1).filter(|c| !c.is_empty()) {
        Some(name) => match ctx.sys.pbx.channels.by_name(name) {
            Some(c) => c,
            None => {
                ctx.warning(
                    if write {
                        crate::site!("func_global.c", 313, "shared_write")
                    } else {
                        crate::site!("func_global.c", 250, "shared_read")
                    },
                    &format!("Channel '{name}' not found!  Variable '{var}' will be blank."),
                );
                return Err(Failed);
            }
        },
        None => match ctx.chan {
            Some(c) => c.clone(),
            None => {
                ctx.warning(
                    if write {
                        crate::site!("func_global.c", 0, "shared_write")
                    } else {
                        crate::site!("func_global.c", 0, "shared_read")
                    },
                    "Channel not found!",
                );
                return Err(Failed);
            }
        },
    };
    Ok((var, chan))
}

fn shared_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (var, chan) = shared_target(ctx, args, false)?;
    Ok(chan.lock().shared.get(&var).unwrap_or("").to_string())
}

fn shared_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let (var, chan) = shared_target(ctx, args, true)?;
    chan.lock().shared.set(&var, Some(value));
    Ok(())
}
