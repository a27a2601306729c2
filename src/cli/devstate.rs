//! func_devstate's CLI: `devstate list`, `devstate change`.

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "devstate list",
            "Usage: devstate list\n       Lists the Custom: device states DEVICE_STATE() or 'devstate change' set.\n",
            list,
        ),
        CliEntry::new(
            "devstate change",
            "Usage: devstate change <device> <state>\n       Sets a Custom: device to a state: NOT_INUSE, INUSE, BUSY, INVALID,\n       UNAVAILABLE, RINGING, RINGINUSE or ONHOLD.\n       For example: devstate change Custom:lamp INUSE\n",
            change,
        )
        .summary("Sets the state of a Custom: device")
        .completing(complete_state),
    ]
}

/// The custom states as AstDB keeps them, by key.
fn list(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    super::custom_states_head(
        out,
        "--- Custom Device States --------------------------------------------",
    );
    let entries = sys
        .db
        .gettree(crate::core::devicestate::CUSTOM_FAMILY, "")
        .unwrap_or_default();
    for e in &entries {
        let Some((_, name)) = e.key.rsplit_once('/') else {
            continue;
        };
        out.push_str(&format!(
            "--- Name: 'Custom:{name}'  State: '{}'\n---\n",
            e.value
        ));
    }
    super::custom_states_foot(out);
    CliResult::Success
}

fn change(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(dev), Some(state), 4) = (a.arg(2), a.arg(3), a.argc()) else {
        return CliResult::ShowUsage;
    };
    let prefix = "Custom:";
    let name = match dev.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &dev[prefix.len()..],
        _ => {
            out.push_str("The devstate command can only be used to set 'Custom:' device state!\n");
            return CliResult::Failure;
        }
    };
    if name.is_empty() {
        return CliResult::ShowUsage;
    }
    if crate::core::devicestate::DeviceState::from_token(state)
        == crate::core::devicestate::DeviceState::Unknown
    {
        return CliResult::ShowUsage;
    }
    out.push_str(&format!("Changing {name} to {state}\n"));
    crate::funcs::devstate::set_custom(sys, name, state);
    CliResult::Success
}

/// The states after the device.
fn complete_state(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 3 {
        return Vec::new();
    }
    let states = [
        "UNKNOWN",
        "NOT_INUSE",
        "INUSE",
        "BUSY",
        "UNAVAILABLE",
        "RINGING",
        "RINGINUSE",
        "ONHOLD",
    ];
    starting_with(c.word, states)
}
