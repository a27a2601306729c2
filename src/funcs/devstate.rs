//! DEVICE_STATE() and HINT() (Asterisk's `func_devstate.c`).

use super::{Failed, FuncCtx, Function};
use crate::core::devicestate::{self, CUSTOM_FAMILY, DeviceState, Pending};
use crate::pbx::dialplan::PRIORITY_HINT;

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "DEVICE_STATE",
            read: Some(devstate_read),
            write: Some(devstate_write),
            synopsis: "Reads a device's state, or sets a Custom: device's.",
            syntax: "DEVICE_STATE(device)",
        },
        Function {
            name: "HINT",
            read: Some(hint_read),
            write: None,
            synopsis: "Reads the devices (or the name) of an extension's hint.",
            syntax: "HINT(extension[@context][,options])",
        },
    ]
}

fn devstate_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(devicestate::device_state(ctx.sys, args).token().to_string())
}

fn devstate_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let prefix = "Custom:";
    let name = match args.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &args[prefix.len()..],
        _ => {
            ctx.warning(
                crate::site!("func_devstate.c", 123, "devstate_write"),
                "The DEVICE_STATE function can only be used to set 'Custom:' device state!",
            );
            return Err(Failed);
        }
    };
    if name.is_empty() {
        ctx.warning(
            crate::site!("func_devstate.c", 128, "devstate_write"),
            "DEVICE_STATE function called with no custom device name!",
        );
        return Err(Failed);
    }
    if !set_custom(ctx.sys, name, value) {
        ctx.error(
            crate::site!("func_devstate.c", 135, "devstate_write"),
            &format!("DEVICE_STATE function given invalid state value '{value}'"),
        );
        return Err(Failed);
    }
    Ok(())
}

/// Sets `Custom:<name>` to a state token (`INUSE`, ...): stored in the
/// AstDB and announced as a device state change. False when the token
/// names no state (or UNKNOWN, which cannot be set).
pub fn set_custom(sys: &crate::core::System, name: &str, value: &str) -> bool {
    let state = DeviceState::from_token(value);
    if state == DeviceState::Unknown {
        return false;
    }
    // Kept as written, as Asterisk stores it; a failed write is not the
    // setter's failure (Asterisk ignores it too).
    if let Err(e) = sys.db.put(CUSTOM_FAMILY, name, value) {
        tracing::warn!("storing the state of Custom:{name}: {e}");
    }
    sys.pbx
        .channels
        .events
        .device_changed(&format!("Custom:{name}"), true, Pending::Known(state));
    true
}

fn hint_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    let parts = super::standard_args(args);
    let target = parts.first().cloned().unwrap_or_default();
    if target.is_empty() {
        ctx.warning(
            crate::site!("func_devstate.c", 165, "hint_read"),
            "The HINT function requires an extension",
        );
        return Err(Failed);
    }
    let (exten, context) = match target.split_once('@') {
        Some((e, c)) if !c.is_empty() => (e.to_string(), c.to_string()),
        Some((e, _)) => (e.to_string(), "default".to_string()),
        None => (target.clone(), "default".to_string()),
    };
    let want_name = parts.get(1).is_some_and(|o| o.contains('n'));
    let loaded = ctx.sys.loaded();
    let found = crate::pbx::find::find(
        &loaded.dialplan,
        &context,
        &exten,
        crate::pbx::find::Want::Priority(PRIORITY_HINT),
        None,
    )
    .map_err(|_| Failed)?;
    Ok(if want_name {
        found.priority.data.clone()
    } else {
        found.priority.app.clone()
    })
}
