//! `core show applications` and `core show functions` (Asterisk's
//! `main/pbx_app.c` and `main/pbx_functions.c`), listing the registries.
//! The one-line descriptions are Asterism's own words.

use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "core show applications [like|describing]",
            "Usage: core show applications [{like|describing} <text>]\n       Lists the dialplan applications; 'like' keeps those whose name\n       contains <text>, 'describing' those whose description contains\n       every word given.\n",
            show_applications,
        ),
        CliEntry::new(
            "core show functions [like]",
            "Usage: core show functions [like <text>]\n       Lists the dialplan functions, or those whose name contains <text>.\n",
            show_functions,
        ),
    ]
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

fn show_applications(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let like = a.argc() == 5 && a.arg(3) == Some("like");
    let describing = !like && a.argc() > 4 && a.arg(3) == Some("describing");
    if !like && !describing && a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let apps = crate::apps::registry();
    out.push_str(if like || describing {
        "    -= Matching Asterisk Applications =-\n"
    } else {
        "    -= Registered Asterisk Applications =-\n"
    });
    let mut matched = 0;
    for app in apps {
        let show = if like {
            contains_ci(app.name, a.arg(4).unwrap_or(""))
        } else if describing {
            a.argv[4..].iter().all(|w| contains_ci(app.synopsis, w))
        } else {
            true
        };
        if show {
            matched += 1;
            out.push_str(&format!("  {:>20}: {}\n", app.name, app.synopsis));
        }
    }
    if like || describing {
        out.push_str(&format!("    -= {matched} Applications Matching =-\n"));
    } else {
        out.push_str(&format!(
            "    -= {} Applications Registered =-\n",
            apps.len()
        ));
    }
    CliResult::Success
}

fn show_functions(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let like = a.argc() == 5 && a.arg(3) == Some("like");
    if !like && a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    out.push_str(&format!(
        "{} Custom Functions:\n--------------------------------------------------------------------------------\n",
        if like { "Matching" } else { "Installed" }
    ));
    let mut count = 0;
    for f in crate::funcs::registry() {
        if like && !f.name.contains(a.arg(4).unwrap_or("")) {
            continue;
        }
        count += 1;
        let cut = |s: &str, w: usize| -> String { s.chars().take(w).collect() };
        out.push_str(&format!(
            "{:<20}  {:<35}  {}\n",
            cut(f.name, 20),
            cut(f.syntax, 35),
            f.synopsis
        ));
    }
    out.push_str(&format!(
        "{count} {}custom functions installed.\n",
        if like { "matching " } else { "" }
    ));
    CliResult::Success
}
