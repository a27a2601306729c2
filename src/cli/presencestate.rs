//! func_presencestate's CLI: `presencestate list`, `presencestate change`.

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;
use crate::core::presencestate::{self, CUSTOM_FAMILY};

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "presencestate list",
            "Usage: presencestate list\n       Lists the CustomPresence: states set with PRESENCE_STATE or 'presencestate change'.\n",
            list,
        )
        .summary("List currently know custom presence states"),
        CliEntry::new(
            "presencestate change",
            "Usage: presencestate change <entity> <state>[,<subtype>[,message[,options]]]\n       Sets a CustomPresence: presentity's state: NOT_SET, UNAVAILABLE, AVAILABLE,\n       AWAY, XA, CHAT or DND, with an optional subtype, message and options\n       (those of PRESENCE_STATE); quote the value if it holds spaces.\n       For example: presencestate change CustomPresence:alice \"away,lunch,back at 2\"\n",
            change,
        )
        .summary("Change a custom presence state")
        .completing(complete_state),
    ]
}

fn list(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 2 {
        return CliResult::ShowUsage;
    }
    super::custom_states_head(
        out,
        "--- Custom Presence States ------------------------------------------",
    );
    let entries = sys.db.gettree(CUSTOM_FAMILY, "").unwrap_or_default();
    if entries.is_empty() {
        out.push_str("No custom presence states defined\n");
        return CliResult::Success;
    }
    for e in entries {
        let d = match presencestate::parse_data(&e.value) {
            Ok(d) => d,
            Err(err) => {
                crate::funcs::presencestate::log_data_error(sys, &err);
                sys.pbx.logger.warning(
                    crate::site!("func_presencestate.c", 339, "handle_cli_presencestate_list"),
                    None,
                    &format!("Invalid CustomPresence entry {} encountered", e.value),
                );
                continue;
            }
        };
        let Some(name) = e.key.rsplit('/').next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let _ = write!(
            out,
            "--- Name: 'CustomPresence:{name}'\n    --- State: '{}'\n    --- Subtype: '{}'\n    --- Message: '{}'\n    --- Base64 Encoded: '{}'\n---\n",
            d.state.as_str(),
            d.subtype,
            d.message,
            if d.options.contains('e') { "Yes" } else { "No" }
        );
    }
    super::custom_states_foot(out);
    CliResult::Success
}

fn change(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let (Some(dev), Some(value), 4) = (a.arg(2), a.arg(3), a.argc()) else {
        return CliResult::ShowUsage;
    };
    let prefix = "CustomPresence:";
    let name = match dev.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &dev[prefix.len()..],
        _ => {
            out.push_str(
                "The presencestate command can only be used to set 'CustomPresence:' presence state!\n",
            );
            return CliResult::Failure;
        }
    };
    if name.is_empty() {
        return CliResult::ShowUsage;
    }
    let d = match presencestate::parse_data(value) {
        Ok(d) => d,
        Err(e) => {
            crate::funcs::presencestate::log_data_error(sys, &e);
            return CliResult::ShowUsage;
        }
    };
    // Asterisk prints the value after parsing it in place: only the
    // state, up to the first comma, is left of it.
    let shown = value.split(',').next().unwrap_or_default();
    let _ = writeln!(out, "Changing {name} to {shown}");
    if let Err(e) = sys.db.put(CUSTOM_FAMILY, name, value) {
        tracing::warn!("storing the presence of CustomPresence:{name}: {e}");
    }
    // The subtype and message are announced as written (not decoded).
    presencestate::changed(
        sys,
        dev,
        presencestate::Presence {
            state: d.state,
            subtype: d.subtype,
            message: d.message,
        },
    );
    CliResult::Success
}

fn complete_state(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 3 {
        return Vec::new();
    }
    starting_with(
        c.word,
        [
            "NOT_SET",
            "UNAVAILABLE",
            "AVAILABLE",
            "AWAY",
            "XA",
            "CHAT",
            "DND",
        ],
    )
}
