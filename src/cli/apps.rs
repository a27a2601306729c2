//! `core show applications` and `core show functions` (Asterisk's
//! `main/pbx_app.c` and `main/pbx_functions.c`), listing the registries.
//! The one-line descriptions are Asterism's own words.

use super::complete::{Completion, names_at, starting_with};
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
        CliEntry::new(
            "core show application",
            "Usage: core show application <application> [<application> [<application> [...]]]\n       Describes one or more dialplan applications.\n",
            show_application,
        )
        .completing(complete_application),
        CliEntry::new(
            "core show function",
            "Usage: core show function <function>\n       Describes one dialplan function.\n",
            show_function,
        )
        .completing(complete_function),
    ]
}

/// The description layout of `core show application`/`function`: the
/// sections Asterisk prints, in its order, with Asterisk's "Not available"
/// where Asterism has nothing of its own to say.
fn describe(out: &mut String, kind: &str, name: &str, synopsis: &str, syntax: &str) {
    let na = "Not available";
    out.push_str(&format!("\n  -= Info about {kind} '{name}' =- \n\n"));
    for (title, body) in [
        ("Synopsis", synopsis),
        ("Provided By", na),
        ("Since", na),
        ("Description", synopsis),
        ("Syntax", syntax),
        ("Arguments", na),
        ("See Also", na),
    ] {
        out.push_str(&format!("[{title}]\n{body}\n\n"));
    }
}

fn show_application(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() < 4 {
        return CliResult::ShowUsage;
    }
    let mut found = 0;
    // Asterisk walks its sorted registry once, describing each app named.
    for app in crate::apps::registry() {
        if a.argv[3..].iter().any(|n| n.eq_ignore_ascii_case(app.name)) {
            describe(out, "Application", app.name, app.synopsis, app.syntax);
            out.push('\n');
            found += 1;
        }
    }
    if found == 0 {
        out.push_str("Your application(s) is (are) not registered\n");
        return CliResult::Failure;
    }
    CliResult::Success
}

fn show_function(_sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let Some(f) = a.arg(3).and_then(crate::funcs::find) else {
        out.push_str("No function by that name registered.\n");
        return CliResult::Failure;
    };
    describe(out, "Function", f.name, f.synopsis, f.syntax);
    out.push('\n');
    CliResult::Success
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

/// Any number of application names may follow (`core show application Dial Echo`).
fn complete_application(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    starting_with(c.word, crate::apps::registry().iter().map(|a| a.name))
}

fn complete_function(_sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(c, 3, crate::funcs::registry().iter().map(|f| f.name))
}
