//! EXTENSION_STATE() (Asterisk's `func_extstate.c`): the state of an
//! extension's hint, as the dialplan sees it.

use super::{Failed, FuncCtx, Function};
use crate::core::devicestate::{ExtensionState, extension_state, hint_of};

const FILE: &str = "func_extstate.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "EXTENSION_STATE",
        read: Some(extstate_read),
        write: None,
        synopsis: "Reads the state of an extension's hint.",
        syntax: "EXTENSION_STATE(extension[@context])",
    }]
}

/// `ast_extstate_str`: the dialplan's words for the states (no hint:
/// UNKNOWN).
fn word(state: Option<ExtensionState>) -> &'static str {
    match state {
        None => "UNKNOWN",
        Some(ExtensionState::Idle) => "NOT_INUSE",
        Some(ExtensionState::InUse) => "INUSE",
        Some(ExtensionState::Busy) => "BUSY",
        Some(ExtensionState::Unavailable) => "UNAVAILABLE",
        Some(ExtensionState::Ringing) => "RINGING",
        Some(ExtensionState::InUseRinging) => "RINGINUSE",
        Some(ExtensionState::InUseHold) => "HOLDINUSE",
        Some(ExtensionState::Hold) => "ONHOLD",
    }
}

fn extstate_read(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    if args.is_empty() {
        ctx.warning(
            crate::site!(FILE, 107, "extstate_read"),
            "EXTENSION_STATE requires an extension",
        );
        return Err(Failed);
    }
    let (exten, context) = match args.split_once('@') {
        Some((e, "")) => (e, "default"),
        Some((e, c)) => (e, c),
        None => (args, "default"),
    };
    if exten.is_empty() {
        ctx.warning(
            crate::site!(FILE, 117, "extstate_read"),
            "EXTENSION_STATE requires an extension",
        );
        return Err(Failed);
    }
    let state = hint_of(ctx.sys, context, exten).map(|h| extension_state(ctx.sys, &h));
    Ok(word(state).to_string())
}
