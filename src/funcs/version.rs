//! VERSION (Asterisk's `func_version.c`): the Asterisk release Asterism
//! answers as and its build facts, from [`crate::version`] (the same
//! source as `core show version`).

use super::{Failed, FuncCtx, Function};
use crate::version as v;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "VERSION",
        read: Some(version),
        write: None,
        synopsis: "Gives the Asterisk version Asterism answers as, or one build fact.",
        syntax: "VERSION([info])",
    }]
}

fn version(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = super::c::app_args(data, 1);
    let info = args
        .first()
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_default();
    Ok(match info.as_str() {
        "ASTERISK_VERSION_NUM" => v::version_num(),
        "BUILD_USER" => v::build_user(),
        "BUILD_HOSTNAME" => v::build_hostname().to_string(),
        "BUILD_MACHINE" => v::build_machine().to_string(),
        "BUILD_KERNEL" => v::build_kernel(),
        "BUILD_OS" => v::build_os().to_string(),
        "BUILD_DATE" => v::build_date().to_string(),
        _ => v::ASTERISK_VERSION.to_string(),
    })
}
