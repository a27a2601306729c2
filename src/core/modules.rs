//! Which Asterisk modules Asterism stands in for: what ModuleCheck finds
//! loaded and ModuleLoad finds in the modules directory. Asterism has no
//! module files; a module "exists" when its work is built in.

use super::System;

/// Modules whose work is built into Asterism (without `.so`).
const BUILTIN: &[&str] = &[
    "app_cdr",
    "app_exec",
    "app_forkcdr",
    "app_macro",
    "app_stack",
    "app_system",
    "app_userevent",
    "app_verbose",
    "app_waituntil",
    "app_while",
    "cdr_csv",
    "cdr_manager",
    "func_base64",
    "func_callerid",
    "func_cdr",
    "func_channel",
    "func_cut",
    "func_db",
    "func_devstate",
    "func_dialgroup",
    "func_env",
    "func_evalexten",
    "func_export",
    "func_global",
    "func_json",
    "func_logic",
    "func_math",
    "func_md5",
    "func_module",
    "func_rand",
    "func_sayfiles",
    "func_sha1",
    "func_shell",
    "func_sprintf",
    "func_strings",
    "func_timeout",
    "func_uri",
    "func_uuid",
    "func_version",
    "pbx_config",
    "pbx_spool",
    "res_manager_devicestate",
];

/// A module name as Asterisk compares them: without `.so`, any case
/// (`resource_name_match`).
fn base(name: &str) -> &str {
    let n = name.len();
    match name.get(n.saturating_sub(3)..) {
        Some(ext) if n > 3 && ext.eq_ignore_ascii_case(".so") => &name[..n - 3],
        _ => name,
    }
}

/// `ast_module_check`: whether the module is loaded (built in, and not
/// kept out by modules.conf).
pub fn is_loaded(sys: &System, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let b = base(name);
    BUILTIN.iter().any(|m| m.eq_ignore_ascii_case(b)) && sys.loaded().modules.loads(b)
}

/// Where a ModuleLoad file name points (`file_in_modules_dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleFile {
    /// A module file in the modules directory (or the directory itself).
    Inside,
    /// A file that exists, outside the modules directory.
    Outside,
    /// Nothing there.
    Missing,
}

/// `file_in_modules_dir`: `<astmoddir>/<name>` (blanks stripped). The
/// path is resolved by its text, `..` against the directory above, since
/// the modules directory holds no files here: inside it only
/// `<built-in>.so` exists; outside it whatever is on disk.
pub fn module_file(sys: &System, name: &str) -> ModuleFile {
    let name = name.trim();
    let dir = &sys.conf.dirs.modules;
    let mut path = std::path::PathBuf::new();
    for c in dir.join(name).components() {
        match c {
            std::path::Component::ParentDir => {
                path.pop();
            }
            std::path::Component::CurDir => {}
            other => path.push(other),
        }
    }
    match path.strip_prefix(dir) {
        Ok(rest) => {
            let rest = rest.to_string_lossy();
            if rest.is_empty() {
                return ModuleFile::Inside;
            }
            match rest.strip_suffix(".so") {
                Some(m) if BUILTIN.iter().any(|b| *b == m) => ModuleFile::Inside,
                _ => ModuleFile::Missing,
            }
        }
        Err(_) if path.exists() => ModuleFile::Outside,
        Err(_) => ModuleFile::Missing,
    }
}

/// Whether `name` is a built-in module (loaded or not).
pub fn exists(name: &str) -> bool {
    let b = base(name);
    BUILTIN.iter().any(|m| m.eq_ignore_ascii_case(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(base("pbx_config.so"), "pbx_config");
        assert_eq!(base("PBX_CONFIG.SO"), "PBX_CONFIG");
        assert_eq!(base(".so"), ".so");
        assert_eq!(base("pbx_config.so "), "pbx_config.so ");
        assert!(exists("PBX_CONFIG.so"));
        assert!(!exists("chan_nosuch"));
    }
}
