//! Agents and AgentLogoff (app_agent_pool's `action_agents` and
//! `action_agent_logoff`).

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// `action_agents`: one Agents event per agent (appended to the
/// response, so without Privilege), then AgentsComplete.
pub fn agents<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let mut r = Reply::list_start(m, "Agents will follow");
    let all = sys.agents.all(&sys);
    for agent in &all {
        let cfg = agent.cfg();
        r.line("Event", "Agents");
        r.line("Agent", &agent.id);
        r.line("Name", &cfg.full_name);
        match agent.logged() {
            Some(chan) => {
                let talking = chan.get_var("BRIDGEPEER").filter(|p| !p.is_empty());
                match talking {
                    Some(peer) => {
                        r.line("Status", "AGENT_ONCALL");
                        r.line("TalkingToChan", peer);
                        // app_agent_pool ends this one with a bare LF.
                        r.raw(&format!("CallStarted: {}\n", agent.call_start()));
                    }
                    None => {
                        r.line("Status", "AGENT_IDLE");
                    }
                }
                r.line("LoggedInTime", agent.login_start());
                r.raw(&crate::manager::events::channel_state(&chan.snapshot(), ""));
            }
            None => {
                r.line("Status", "AGENT_LOGGEDOFF");
            }
        }
        r.action_id(m);
        r.end();
    }
    r.list_complete(m, "AgentsComplete", all.len());
    now(Flow::Reply(r))
}

/// `action_agent_logoff`: `Soft` (a true value) waits for the call to end.
pub fn agent_logoff<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let agent = m.get("Agent");
    if agent.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No agent specified")));
    }
    let soft = crate::config::is_true(m.get("Soft"));
    let reply = if sys.agents.logoff(&sys, agent, soft) {
        Reply::ack(m, "Agent logged out")
    } else {
        Reply::error(m, "No such agent")
    };
    now(Flow::Reply(reply))
}
