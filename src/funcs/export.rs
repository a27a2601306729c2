//! EXPORT (Asterisk's `func_export.c`): sets a variable, or writes a
//! function, on another channel found by name or unique id.

use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_export.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "EXPORT",
        read: None,
        write: Some(export_write),
        synopsis: "Sets a variable or writes a function on another channel.",
        syntax: "EXPORT(channel,var)",
    }]
}

fn export_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let a = super::c::app_args(args, 2);
    let Some(channel) = a.first() else {
        ctx.warning(
            crate::site!(FILE, 80, "func_export_write"),
            &format!("No channel was provided to {} function.", ctx.name),
        );
        return Err(Failed);
    };
    let Some(var) = a.get(1) else {
        ctx.warning(
            crate::site!(FILE, 84, "func_export_write"),
            &format!("No variable name was provided to {} function.", ctx.name),
        );
        return Err(Failed);
    };
    let Some(other) = channel_by_name(ctx, channel) else {
        ctx.warning(
            crate::site!(FILE, 89, "func_export_write"),
            &format!("Channel '{channel}' not found! '{var}' not set."),
        );
        return Err(Failed);
    };
    crate::pbx::set_var(ctx.sys, Some(&other), var, Some(value));
    Ok(())
}

/// `ast_channel_get_by_name`: the name (any case), else a unique id; an
/// empty name is refused with the core's error.
pub(crate) fn channel_by_name(
    ctx: &FuncCtx<'_>,
    name: &str,
) -> Option<std::sync::Arc<crate::channels::Channel>> {
    if name.is_empty() {
        ctx.error(
            crate::site!("channel.c", 1423, "ast_channel_get_by_name"),
            "name must be provided",
        );
        return None;
    }
    let chans = &ctx.sys.pbx.channels;
    chans.by_name(name).or_else(|| chans.by_uniqueid(name))
}
