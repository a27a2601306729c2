//! The process environment as Asterism keeps it. ENV() writes go to a
//! process-wide table rather than into the real environment (changing
//! that is unsound while other threads run); reads look at the table
//! first, and every command Asterism starts (System, SHELL, a config
//! file's `#exec`) gets the table applied, so a child sees what ENV() set
//! as it would under Asterisk's setenv.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Names ENV() changed: `Some` set, `None` removed.
static CHANGES: Mutex<Option<HashMap<String, Option<String>>>> = Mutex::new(None);

fn changes() -> MutexGuard<'static, Option<HashMap<String, Option<String>>>> {
    crate::core::lock(&CHANGES)
}

/// `getenv` as the dialplan sees it.
pub fn getenv(name: &str) -> Option<String> {
    if let Some(change) = changes().as_ref().and_then(|m| m.get(name)) {
        return change.clone();
    }
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// `setenv` (a value) or `unsetenv` (`None`).
pub fn setenv(name: &str, value: Option<&str>) {
    changes()
        .get_or_insert_with(HashMap::new)
        .insert(name.to_string(), value.map(str::to_string));
}

/// Gives a command the environment ENV() has set up.
pub fn apply(cmd: &mut std::process::Command) {
    if let Some(m) = changes().as_ref() {
        for (k, v) in m {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
    }
}
