//! app_agent_pool's CLI: `agent show [online|all|<id>]`, `agent logoff`.

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "agent show online",
            "Usage: agent show online\n       Provides summary information for logged in agents.\n",
            show_online,
        )
        .summary("Show status of online agents"),
        CliEntry::new(
            "agent show all",
            "Usage: agent show all\n       Provides summary information for all agents.\n",
            show_all,
        )
        .summary("Show status of all agents"),
        CliEntry::new(
            "agent show",
            "Usage: agent show <agent-id>\n       Show information about the <agent-id> agent\n",
            show_one,
        )
        .summary("Show information about an agent")
        .completing(complete_agent),
        CliEntry::new(
            "agent logoff",
            "Usage: agent logoff <agent-id> [soft]\n       Sets an agent as no longer logged in.\n       If 'soft' is specified, do not hangup existing calls.\n",
            logoff,
        )
        .summary("Sets an agent offline")
        .completing(complete_logoff),
    ]
}

fn complete_agent(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 2 {
        return Vec::new();
    }
    starting_with(
        c.word,
        sys.agents.all(sys).into_iter().map(|a| a.id.clone()),
    )
}

fn complete_logoff(sys: &System, c: &Completion<'_>) -> Vec<String> {
    match c.pos {
        2 => starting_with(
            c.word,
            sys.agents
                .all(sys)
                .into_iter()
                .filter(|a| a.logged().is_some())
                .map(|a| a.id.clone()),
        ),
        3 => starting_with(c.word, ["soft".to_string()]),
        _ => Vec::new(),
    }
}

/// `agent_show_requested`.
fn table(sys: &System, out: &mut String, online_only: bool) {
    let row = |out: &mut String, a: &str, b: &str, c: &str, d: &str, e: &str| {
        let _ = writeln!(out, "{a:<8} {b:<20} {c:<11} {d:<30} {e}");
    };
    row(out, "Agent-ID", "Name", "State", "Channel", "Talking with");
    let (mut total, mut logged_in, mut talking) = (0, 0, 0);
    for agent in sys.agents.all(sys) {
        total += 1;
        let cfg = agent.cfg();
        let state = agent.devstate().token();
        match agent.logged() {
            Some(chan) => {
                logged_in += 1;
                let peer = chan
                    .get_var("BRIDGEPEER")
                    .filter(|p| !p.is_empty())
                    .inspect(|_| talking += 1)
                    .unwrap_or_default();
                row(out, &agent.id, &cfg.full_name, state, &chan.name, &peer);
            }
            None if !online_only => row(out, &agent.id, &cfg.full_name, state, "", ""),
            None => {}
        }
    }
    let _ = writeln!(
        out,
        "\nDefined agents: {total}, Logged in: {logged_in}, Talking: {talking}"
    );
}

fn show_online(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    table(sys, out, true);
    CliResult::Success
}

fn show_all(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    table(sys, out, false);
    CliResult::Success
}

/// `agent_handle_show_specific`.
fn show_one(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 3 {
        return CliResult::ShowUsage;
    }
    let id = a.arg(2).unwrap_or("");
    let Some(agent) = sys.agents.agent(sys, id) else {
        let _ = writeln!(out, "Agent '{id}' not found");
        return CliResult::Success;
    };
    let cfg = agent.cfg();
    let _ = writeln!(out, "Id: {}", agent.id);
    let _ = writeln!(out, "Name: {}", cfg.full_name);
    let _ = writeln!(out, "Beep: {}", cfg.beep_sound);
    let _ = writeln!(out, "MOH: {}", cfg.moh);
    let yes = if cfg.record_agent_calls { "Yes" } else { "No" };
    let _ = writeln!(out, "RecordCalls: {yes}");
    let _ = writeln!(out, "State: {}", agent.devstate().token());
    if let Some(chan) = agent.logged() {
        let _ = writeln!(out, "LoggedInChannel: {}", chan.name);
        let _ = writeln!(out, "LoggedInTime: {}", agent.login_start());
        if let Some(peer) = chan.get_var("BRIDGEPEER").filter(|p| !p.is_empty()) {
            let _ = writeln!(out, "TalkingWith: {peer}");
            let _ = writeln!(out, "CallStarted: {}", agent.call_start());
        }
    }
    CliResult::Success
}

/// `agent_handle_logoff_cmd`.
fn logoff(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    let argc = a.argc();
    if !(3..=4).contains(&argc) {
        return CliResult::ShowUsage;
    }
    if argc == 4 && !a.arg(3).unwrap_or("").eq_ignore_ascii_case("soft") {
        return CliResult::ShowUsage;
    }
    let id = a.arg(2).unwrap_or("");
    if sys.agents.logoff(sys, id, argc == 4) {
        let _ = writeln!(out, "Logging out {id}");
    }
    CliResult::Success
}
