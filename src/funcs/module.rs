//! IFMODULE (Asterisk's `func_module.c`): whether a module is loaded, as
//! the AMI ModuleCheck action sees it.

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "IFMODULE",
        read: Some(ifmodule),
        write: None,
        synopsis: "Tells whether a module is loaded (1 or 0).",
        syntax: "IFMODULE(modulename.so)",
    }]
}

fn ifmodule(ctx: &FuncCtx<'_>, args: &str) -> Result<String, Failed> {
    Ok(if crate::core::modules::is_loaded(ctx.sys, args) {
        "1"
    } else {
        "0"
    }
    .into())
}
