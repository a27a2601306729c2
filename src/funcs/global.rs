//! GLOBAL(), GLOBAL_DELETE(), GLOBAL_EXISTS() and SHARED() (Asterisk's
//! `func_global.c`).

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
            name: "GLOBAL_DELETE",
            read: None,
            write: Some(global_delete),
            synopsis: "Removes a global variable (whatever value is written).",
            syntax: "GLOBAL_DELETE(varname)",
        },
        Function {
            name: "GLOBAL_EXISTS",
            read: Some(global_exists),
            write: None,
            synopsis: "Tells whether a global variable is set (1 or 0).",
            syntax: "GLOBAL_EXISTS(varname)",
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

/// The written value is ignored: the global goes, as with
/// `pbx_builtin_setvar_helper(NULL, name, NULL)` (no verbose line, no event).
fn global_delete(ctx: &FuncCtx<'_>, args: &str, _value: &str) -> Result<(), Failed> {
    crate::pbx::set_var(ctx.sys, None, args, None);
    Ok(())
}

/// Only the globals count, even with a channel variable of that name.
fn global_exists(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(if ctx.sys.pbx.global(args).is_some() {
        "1"
    } else {
        "0"
    }
    .into())
}

/// The variable and channel SHARED() works on; shared_read and
/// shared_write (`write`: the value to set) check them alike, each
/// logging from its own lines.
fn shared_target(
    ctx: &FuncCtx<'_>,
    args: &str,
    write: Option<&str>,
) -> Result<(String, std::sync::Arc<crate::channels::Channel>), Failed> {
    let parts = super::standard_args(args);
    let var = parts.first().cloned().unwrap_or_default();
    let value = write.unwrap_or_default();
    let write = write.is_some();
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
        // `ast_channel_get_by_name`, else the first channel named
        // `<name>-…` (`ast_channel_get_by_name_prefix`).
        Some(name) => match ctx.sys.pbx.channels.by_name(name).or_else(|| {
            ctx.sys
                .pbx
                .channels
                .by_prefix(&format!("{name}-"))
                .into_iter()
                .next()
        }) {
            Some(c) => c,
            None => {
                if write {
                    ctx.error(
                        crate::site!("func_global.c", 313, "shared_write"),
                        &format!(
                            "Channel '{name}' not found!  Variable '{var}' not set to '{value}'."
                        ),
                    );
                } else {
                    ctx.error(
                        crate::site!("func_global.c", 250, "shared_read"),
                        &format!("Channel '{name}' not found!  Variable '{var}' will be blank."),
                    );
                }
                return Err(Failed);
            }
        },
        None => ctx
            .require_channel(if write {
                crate::site!("func_global.c", 318, "shared_write")
            } else {
                crate::site!("func_global.c", 255, "shared_read")
            })?
            .clone(),
    };
    Ok((var, chan))
}

fn shared_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let (var, chan) = shared_target(ctx, args, None)?;
    Ok(chan.lock().shared.get(&var).unwrap_or("").to_string())
}

fn shared_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let (var, chan) = shared_target(ctx, args, Some(value))?;
    chan.lock().shared.set(&var, Some(value));
    Ok(())
}

#[cfg(test)]
mod tests {
    /// What SHARED() logs without a channel and for a channel that is
    /// not there (func_global.c's lines and levels).
    #[test]
    fn shared_complaints() {
        let (_dir, sys) =
            super::super::test_system(&[("logger.conf", "[logfiles]\nconsole => warning,error\n")]);
        let logger = &sys.pbx.logger;
        let (console, mut rx) = logger.attach_remote();
        crate::core::logger::with_console(crate::core::logger::Console::Remote(console), || {
            logger.toggle_console_mute()
        });
        let mut next = || {
            let line = String::from_utf8(rx.try_recv().expect("a line")).expect("utf-8");
            line.split_once("]: ").expect("header").1.to_string()
        };
        assert_eq!(super::super::read(&sys, None, "SHARED(v)").as_deref(), None);
        assert_eq!(
            next(),
            "func_global.c:255 shared_read: No channel was provided to SHARED function.\n"
        );
        assert!(!super::super::write(&sys, None, "SHARED(v)", "x"));
        assert_eq!(
            next(),
            "func_global.c:318 shared_write: No channel was provided to SHARED function.\n"
        );
        let _ = super::super::read(&sys, None, "SHARED(v,SIP/nobody)");
        let line = String::from_utf8(rx.try_recv().expect("a line")).expect("utf-8");
        assert!(line.contains(" ERROR["), "{line}");
        assert!(line.ends_with("func_global.c:250 shared_read: Channel 'SIP/nobody' not found!  Variable 'v' will be blank.\n"), "{line}");
        let _ = super::super::write(&sys, None, "SHARED(v,SIP/nobody)", "x");
        let line = String::from_utf8(rx.try_recv().expect("a line")).expect("utf-8");
        assert!(line.contains(" ERROR["), "{line}");
        assert!(line.ends_with("func_global.c:313 shared_write: Channel 'SIP/nobody' not found!  Variable 'v' not set to 'x'.\n"), "{line}");
    }
}
