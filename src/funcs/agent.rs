//! AGENT() (app_agent_pool's `agent_function_read`): an agent's status,
//! name, music class or logged-in channel. The pool itself lives in
//! `apps/agent_pool.rs`.

use super::Function;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "AGENT",
        read: Some(crate::apps::agent_pool::agent_read),
        write: None,
        synopsis: "Reads an agent's status, name, music class or channel.",
        syntax: "AGENT(AgentId[:item])",
    }]
}
