//! `manager show users`, `manager show user <name>`, `manager show
//! connected`, `manager show settings`, `manager reload` (main/manager.c).

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
        CliEntry::new(
            "manager show connected",
            "Usage: manager show connected\n       Lists the sessions connected to the manager, with their users and permissions.\n",
            show_connected,
        ),
        CliEntry::new(
            "manager reload",
            "Usage: manager reload\n       Reads manager.conf again.\n",
            reload,
        ),
        CliEntry::new(
            "manager show settings",
            "Usage: manager show settings\n       Shows the manager's [general] settings as they apply now.\n",
            show_settings,
        ),
    ]
}

fn show_connected(sys: &System, _: &CliArgs<'_>, out: &mut String) -> CliResult {
    let _ = writeln!(
        out,
        "  {:<15.15}  {:<55.55}  {:<10.10}  {:<10.10}  {:<8.8}  {:<8.8}  {:<10.10}  {:<10.10}",
        "Username",
        "IP Address",
        "Start",
        "Elapsed",
        "FileDes",
        "HttpCnt",
        "ReadPerms",
        "WritePerms"
    );
    let sessions = sys.manager_sessions.list();
    let now = std::time::SystemTime::now();
    let epoch = |t: std::time::SystemTime| {
        t.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    for s in &sessions {
        let ip = match s.addr.ip() {
            std::net::IpAddr::V4(a) => a.to_string(),
            std::net::IpAddr::V6(a) => format!("[{a}]"),
        };
        let user = s.username();
        // `%-10.10d`: a precision on an integer pads it with zeros.
        let _ = writeln!(
            out,
            "  {:<15.15}  {:<55.55}  {:<10}  {:<10}  {:<8}  {:<8}  {:010}  {:010}",
            user,
            ip,
            epoch(s.started),
            epoch(now).saturating_sub(epoch(s.started)),
            s.fd,
            0,
            s.readperm.load(std::sync::atomic::Ordering::SeqCst),
            s.writeperm.load(std::sync::atomic::Ordering::SeqCst)
        );
    }
    let _ = writeln!(out, "{} users connected.", sessions.len());
    CliResult::Success
}

fn reload(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() > 2 {
        return CliResult::ShowUsage;
    }
    super::core::reload_one(sys, crate::core::Part::Manager, out);
    CliResult::Success
}

fn show_settings(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let loaded = sys.loaded();
    let g = &loaded.manager.general;
    let yn = |b: bool| if b { "Yes" } else { "No" };
    let row = |out: &mut String, label: &str, value: &str| {
        let _ = writeln!(out, "  {label:<25.25}  {value:<15.55}");
    };
    let bind = std::net::SocketAddr::new(g.bindaddr, g.port).to_string();
    out.push_str("\nGlobal Settings:\n----------------\n");
    row(out, "Manager (AMI):", yn(g.enabled));
    row(out, "Web Manager (AMI/HTTP):", yn(g.webenabled));
    row(
        out,
        "TCP Bindaddress:",
        if g.enabled { &bind } else { "Disabled" },
    );
    let _ = writeln!(
        out,
        "  {:<25.25}  {:<15}",
        "HTTP Timeout (seconds):", g.httptimeout
    );
    // No TLS listener: its settings stay at their defaults.
    row(out, "TLS Enable:", yn(false));
    row(out, "TLS Bindaddress:", "Disabled");
    row(out, "TLS Certfile:", "asterisk.pem");
    row(out, "TLS Privatekey:", "");
    row(out, "TLS Cipher:", "");
    row(out, "Allow multiple login:", yn(g.allowmultiplelogin));
    row(out, "Display connects:", yn(g.displayconnects));
    row(out, "Timestamp events:", yn(g.timestampevents));
    let _ = writeln!(out, "  {:<25.25}  {}", "Channel vars:", g.channelvars_text);
    let _ = writeln!(
        out,
        "  {:<25.25}  {}",
        "Disabled events:", g.disabledevents_text
    );
    row(out, "Debug:", yn(g.debug));
    CliResult::Success
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
