//! `manager show users`, `manager show user <name>` (main/manager.c).

use std::fmt::Write as _;

use super::complete::{Completion, names_at};
use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::manager::{Sense, perms_to_string};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        // In manager.c's order (`core show help` lists them so).
        CliEntry::new(
            "manager show users",
            "Usage: manager show users\n       Lists the AMI users this system has configured.\n",
            show_users,
        ),
        CliEntry::new(
            "manager show user",
            // Asterisk's own usage text starts with a space here.
            " Usage: manager show user <user>\n        Shows how one AMI user is configured.\n",
            show_user,
        )
        .completing(complete_user),
    ]
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn show_user(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    let name = a.arg(3).unwrap_or("");
    let loaded = sys.loaded();
    let Some(u) = loaded.manager.user(name) else {
        let _ = writeln!(out, "There is no manager called {name}");
        return CliResult::Success;
    };
    let has_acl = !u.acls.is_empty();
    out.push('\n');
    let _ = writeln!(
        out,
        "          username: {}",
        if u.username.is_empty() {
            "(N/A)"
        } else {
            &u.username
        }
    );
    let _ = writeln!(
        out,
        "            secret: {}",
        if u.secret.is_some() { "<Set>" } else { "(N/A)" }
    );
    let _ = writeln!(out, "               ACL: {}", yes_no(has_acl));
    let _ = writeln!(out, "         read perm: {}", perms_to_string(u.readperm));
    let _ = writeln!(out, "        write perm: {}", perms_to_string(u.writeperm));
    let _ = writeln!(out, "   displayconnects: {}", yes_no(u.displayconnects));
    let _ = writeln!(out, "allowmultiplelogin: {}", yes_no(u.allowmultiplelogin));
    out.push_str("         Variables: \n");
    for (k, v) in &u.chanvars {
        let _ = writeln!(out, "                 {k} = {v}");
    }
    for acl in &u.acls {
        let name = if acl.name.is_empty() {
            "(unnamed)"
        } else {
            &acl.name
        };
        let _ = writeln!(
            out,
            "ACL: {name}\n---------------------------------------------"
        );
        for (i, r) in acl.rules.iter().enumerate() {
            let sense = match r.sense {
                Sense::Allow => "allow",
                Sense::Deny => " deny",
            };
            let _ = writeln!(out, "{i:>3}: {sense} - {}/{}", r.addr, r.netmask);
        }
    }
    CliResult::Success
}

fn show_users(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let users = &loaded.manager.users;
    if users.is_empty() {
        out.push_str("There are no manager users.\n");
        return CliResult::Success;
    }
    out.push_str("\nusername\n--------\n");
    for u in users {
        let _ = writeln!(out, "{}", u.username);
    }
    let _ = writeln!(
        out,
        "-------------------\n{} manager users configured.",
        users.len()
    );
    CliResult::Success
}

fn complete_user(sys: &System, c: &Completion<'_>) -> Vec<String> {
    names_at(
        c,
        3,
        sys.loaded()
            .manager
            .users
            .iter()
            .map(|u| u.username.clone()),
    )
}
