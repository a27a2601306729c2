//! `agents.conf` (apps/app_agent_pool.c): `[general]` (reserved, with no
//! options) and one section per agent, with the defaults the module
//! registers. The file goes through Asterisk's config framework, which
//! refuses it whole for an unknown option or a value it cannot parse:
//! the module then does not load (and a reload keeps the agents it had).

use super::{View, line_note};
use crate::config::{Category, Config, Diagnostic, Severity, Variable, is_true};

/// One agent's configuration (`struct agent_cfg`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgentCfg {
    /// The section name: the agent's id.
    pub username: String,
    /// `fullname`.
    pub full_name: String,
    /// `acceptdtmf`: what acknowledges a call when `ackcall` is on.
    pub dtmf_accept: String,
    /// `custom_beep`: played to the agent when a call comes.
    pub beep_sound: String,
    /// `musiconhold`: the class the agent hears while it waits.
    pub moh: String,
    /// `autologoff`: seconds to acknowledge a call (0: no limit).
    pub auto_logoff: u32,
    /// `wrapuptime`: milliseconds of rest after a call.
    pub wrapup_time: u32,
    /// `ackcall`.
    pub ack_call: bool,
    /// `recordagentcalls`.
    pub record_agent_calls: bool,
}

impl AgentCfg {
    /// An agent with app_agent_pool's option defaults.
    pub fn new(username: &str) -> AgentCfg {
        AgentCfg {
            username: username.to_string(),
            full_name: String::new(),
            dtmf_accept: "#".into(),
            beep_sound: "beep".into(),
            moh: "default".into(),
            auto_logoff: 0,
            wrapup_time: 0,
            ack_call: false,
            record_agent_calls: false,
        }
    }
}

/// The agents, sorted by id (the module's rbtree container, `strcmp`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AgentsConf {
    pub agents: Vec<AgentCfg>,
    /// The config framework refused the file (the errors are among the
    /// diagnostics): Asterisk does not load the module.
    pub refused: bool,
}

impl AgentsConf {
    /// The agent with this id (case counts, as the container's key).
    pub fn agent(&self, id: &str) -> Option<&AgentCfg> {
        self.agents
            .binary_search_by(|a| a.username.as_str().cmp(id))
            .ok()
            .map(|i| &self.agents[i])
    }
}

/// `ast_parse_arg` with `PARSE_UINT32`: leading blanks, no sign, C's
/// `strtoul` in base 0 (hex `0x`, octal `0`), nothing after the digits.
pub fn parse_uint32(value: &str) -> Option<u32> {
    let s = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    u32::from_str_radix(digits, radix).ok()
}

/// Sets one option; `Err(true)` for a value the option's handler refuses,
/// `Err(false)` for an option the module does not register.
fn set_option(a: &mut AgentCfg, v: &Variable) -> Result<(), bool> {
    let value = v.value.as_str();
    match v.name.to_ascii_lowercase().as_str() {
        "ackcall" => a.ack_call = is_true(value),
        // Registered with a flag that refuses an empty value.
        "acceptdtmf" if value.is_empty() => return Err(true),
        "acceptdtmf" => a.dtmf_accept = value.to_string(),
        "autologoff" => a.auto_logoff = parse_uint32(value).ok_or(true)?,
        "wrapuptime" => a.wrapup_time = parse_uint32(value).ok_or(true)?,
        "musiconhold" => a.moh = value.to_string(),
        "recordagentcalls" => a.record_agent_calls = is_true(value),
        "custom_beep" => a.beep_sound = value.to_string(),
        "fullname" => a.full_name = value.to_string(),
        _ => return Err(false),
    }
    Ok(())
}

/// The config framework's error for one line (`aco_process_var`).
fn option_error(cat: &Category, v: &Variable, known: bool) -> String {
    let file = v.origin.file_name();
    if known {
        format!(
            "Error parsing {}={} at line {} of {file}",
            v.name, v.value, v.origin.line
        )
    } else {
        format!(
            "Could not find option suitable for category '{}' named '{}' at line {} of {file}",
            cat.name, v.name, v.origin.line
        )
    }
}

impl View for AgentsConf {
    const FILE: &'static str = "agents.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = AgentsConf::default();
        for cat in cfg.sections() {
            // `[general]` is reserved and has no options.
            let general = cat.name.eq_ignore_ascii_case("general");
            // A section repeated adds to the agent it names.
            let pos = match conf.agents.iter().position(|a| a.username == cat.name) {
                Some(p) => p,
                None if general => usize::MAX,
                None => {
                    conf.agents.push(AgentCfg::new(&cat.name));
                    conf.agents.len() - 1
                }
            };
            for v in &cat.variables {
                let res = match conf.agents.get_mut(pos) {
                    Some(a) => set_option(a, v),
                    None => Err(false),
                };
                if let Err(known) = res {
                    line_note(diags, Severity::Error, v, option_error(cat, v, known));
                    conf.refused = true;
                } else if v.name.eq_ignore_ascii_case("recordagentcalls") && is_true(&v.value) {
                    // The agent's automixmon recording is not built.
                    line_note(
                        diags,
                        Severity::Notice,
                        v,
                        "'recordagentcalls': not supported by Asterism (app_agent_pool); calls are not recorded".into(),
                    );
                }
            }
        }
        if conf.refused {
            conf.agents.clear();
        }
        conf.agents.sort_by(|a, b| a.username.cmp(&b.username));
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    fn view(text: &str) -> (AgentsConf, Vec<String>) {
        let cfg = load_str("agents.conf", text, &LoadOptions::new("/x")).expect("loads");
        let mut d = Vec::new();
        let v = AgentsConf::from_config(&cfg, &mut d);
        (v, d.into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn defaults_and_templates() {
        let (v, d) = view(
            "[general]\n[t](!)\nackcall=yes\nmusiconhold=agents\n\
             [1002](t)\nfullname=Bob\nwrapuptime=2000\n[1001]\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(v.agents.len(), 2);
        let a = v.agent("1001").expect("1001");
        assert_eq!(a, &AgentCfg::new("1001"));
        let b = v.agent("1002").expect("1002");
        assert!(b.ack_call);
        assert_eq!(b.moh, "agents");
        assert_eq!(b.full_name, "Bob");
        assert_eq!(b.wrapup_time, 2000);
        assert_eq!(b.dtmf_accept, "#");
        assert_eq!(b.beep_sound, "beep");
        assert!(v.agent("t").is_none());
    }

    #[test]
    fn recording_is_reported_as_unsupported() {
        let (v, d) = view("[1]\nrecordagentcalls=yes\n[2]\nrecordagentcalls=no\n");
        assert!(!v.refused);
        assert_eq!(
            d,
            [
                "'recordagentcalls': not supported by Asterism (app_agent_pool); calls are not recorded"
            ]
        );
    }

    #[test]
    fn a_repeated_section_adds_to_its_agent() {
        let (v, _) = view("[7]\nfullname=A\n[7]\nautologoff=0x10\n");
        let a = v.agent("7").expect("7");
        assert_eq!((a.full_name.as_str(), a.auto_logoff), ("A", 16));
    }

    #[test]
    fn the_framework_refuses_the_whole_file() {
        let (v, d) = view("[general]\nfoo=1\n[1]\nautologoff=-1\nacceptdtmf=\nbogus=x\n");
        assert!(v.refused);
        assert!(v.agents.is_empty());
        assert_eq!(
            d,
            [
                "Could not find option suitable for category 'general' named 'foo' at line 2 of agents.conf",
                "Error parsing autologoff=-1 at line 4 of agents.conf",
                "Error parsing acceptdtmf= at line 5 of agents.conf",
                "Could not find option suitable for category '1' named 'bogus' at line 6 of agents.conf",
            ]
        );
    }

    #[test]
    fn uint32_reads_as_strtoul() {
        for (s, want) in [
            ("10", Some(10)),
            (" 7", Some(7)),
            ("010", Some(8)),
            ("0x1f", Some(31)),
            ("0", Some(0)),
            ("", None),
            ("-1", None),
            ("5s", None),
            ("4294967296", None),
        ] {
            assert_eq!(parse_uint32(s), want, "{s:?}");
        }
    }
}
