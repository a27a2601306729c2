//! `followme.conf`: app_followme's profiles. `[general]` holds the digit
//! timeout and the defaults every profile starts from; each other section
//! is a profile (a FollowMe id) with its music class, the context its
//! numbers are dialled in, the callee's accept/decline digits, its prompts
//! and its `number => <numbers>[,<timeout>[,<order>]]` steps.

use super::View;
use super::values::{atoi, scan_d};
use crate::config::{Config, Diagnostic, Severity, Variable, is_true};
use crate::core::logger::{Deferred, Level};

/// app_followme's `MAX_YN_STRING`: a digit string keeps 19 characters.
const MAX_YN: usize = 19;

/// One step's numbers (`&`-separated), how long they ring, and the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub number: String,
    /// Seconds.
    pub timeout: i64,
    pub order: i64,
}

/// A profile as FollowMe runs it (`struct call_followme`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub moh: String,
    pub context: String,
    /// What the profile starts with from `[general]` and may change.
    pub settings: Settings,
    pub numbers: Vec<Number>,
}

/// The callee prompt's switch, the digits and the prompts: app_followme's
/// globals, which `[general]` may change and each profile starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enable_callee_prompt: bool,
    pub takecall: String,
    pub declinecall: String,
    pub callfrom_prompt: String,
    pub norecording_prompt: String,
    pub options_prompt: String,
    pub plshold_prompt: String,
    pub status_prompt: String,
    pub sorry_prompt: String,
    pub connecting_prompt: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enable_callee_prompt: true,
            takecall: "1".into(),
            declinecall: "2".into(),
            callfrom_prompt: "followme/call-from".into(),
            norecording_prompt: "followme/no-recording".into(),
            options_prompt: "followme/options".into(),
            plshold_prompt: "followme/pls-hold-while-try".into(),
            status_prompt: "followme/status".into(),
            sorry_prompt: "followme/sorry".into(),
            connecting_prompt: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FollowmeConf {
    /// The file exists: without it app_followme declines to load.
    pub present: bool,
    /// `featuredigittimeout`, milliseconds.
    pub featuredigittimeout: i64,
    pub defaults: Settings,
    pub profiles: Vec<Profile>,
    /// What app_followme logs while reading the file.
    pub load_log: Vec<Deferred>,
}

impl Default for FollowmeConf {
    fn default() -> Self {
        FollowmeConf {
            present: false,
            featuredigittimeout: 5000,
            defaults: Settings::default(),
            profiles: Vec::new(),
            load_log: Vec::new(),
        }
    }
}

impl FollowmeConf {
    /// The profile FollowMe runs for `id` (names compare without case).
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(id))
    }
}

/// A digit string as app_followme stores it (`MAX_YN_STRING`).
fn yn(value: &str) -> String {
    let mut end = value.len().min(MAX_YN);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value[..end].to_string()
}

impl Profile {
    fn new(name: &str, defaults: &Settings) -> Profile {
        Profile {
            name: name.to_string(),
            moh: "default".into(),
            context: String::new(),
            settings: defaults.clone(),
            numbers: Vec::new(),
        }
    }

    /// `profile_set_param`: false for a keyword app_followme does not know.
    fn set(&mut self, name: &str, value: &str) -> bool {
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(name));
        let slot = if is(&["musicclass", "musiconhold", "music"]) {
            &mut self.moh
        } else if is(&["context"]) {
            &mut self.context
        } else if is(&["enable_callee_prompt"]) {
            self.settings.enable_callee_prompt = is_true(value);
            return true;
        } else if is(&["takecall"]) {
            self.settings.takecall = yn(value);
            return true;
        } else if is(&["declinecall"]) {
            self.settings.declinecall = yn(value);
            return true;
        } else if is(&["call-from-prompt", "call_from_prompt"]) {
            &mut self.settings.callfrom_prompt
        } else if is(&["followme-norecording-prompt", "norecording_prompt"]) {
            &mut self.settings.norecording_prompt
        } else if is(&["followme-options-prompt", "options_prompt"]) {
            &mut self.settings.options_prompt
        } else if is(&["followme-pls-hold-prompt", "pls_hold_prompt"]) {
            &mut self.settings.plshold_prompt
        } else if is(&["followme-status-prompt", "status_prompt"]) {
            &mut self.settings.status_prompt
        } else if is(&["followme-sorry-prompt", "sorry_prompt"]) {
            &mut self.settings.sorry_prompt
        } else if is(&["followme-connecting-prompt", "connecting_prompt"]) {
            &mut self.settings.connecting_prompt
        } else {
            return false;
        };
        *slot = value.to_string();
        true
    }

    /// A `number` line: `<numbers>[,<timeout>[,<order>]]`. A negative
    /// timeout is 25 s (a missing one too, but an empty one is 0); an
    /// order that is missing, 0 or negative is the next step.
    fn add_number(&mut self, value: &str) {
        let (number, timeout, order) = match value.split_once(',') {
            Some((number, rest)) => {
                let timeout = match atoi(rest) {
                    t if t < 0 => 25,
                    t => t,
                };
                let order = rest.split_once(',').map_or(0, |(_, o)| atoi(o).max(0));
                (number, timeout, order)
            }
            None => (value, 25, 0),
        };
        let order = if order == 0 {
            self.numbers.len() as i64 + 1
        } else {
            order
        };
        self.numbers.push(Number {
            number: number.to_string(),
            timeout,
            order,
        });
    }
}

/// A `[general]` prompt: the dashed name, else the underscored one; an
/// empty value leaves the default.
fn general_prompt(cfg: &Config, names: [&str; 2], slot: &mut String) {
    if let Some(v) = names
        .iter()
        .find_map(|n| cfg.get("general", n).filter(|v| !v.is_empty()))
    {
        *slot = v.to_string();
    }
}

impl View for FollowmeConf {
    const FILE: &'static str = "followme.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = FollowmeConf {
            present: true,
            ..Default::default()
        };
        if let Some(v) = cfg.get("general", "featuredigittimeout")
            && !v.is_empty()
        {
            conf.featuredigittimeout = scan_d(v).unwrap_or(5000);
        }
        let d = &mut conf.defaults;
        if let Some(v) = cfg
            .get("general", "enable_callee_prompt")
            .filter(|v| !v.is_empty())
        {
            d.enable_callee_prompt = is_true(v);
        }
        if let Some(v) = cfg.get("general", "takecall").filter(|v| !v.is_empty()) {
            d.takecall = yn(v);
        }
        if let Some(v) = cfg.get("general", "declinecall").filter(|v| !v.is_empty()) {
            d.declinecall = yn(v);
        }
        general_prompt(
            cfg,
            ["call-from-prompt", "call_from_prompt"],
            &mut d.callfrom_prompt,
        );
        general_prompt(
            cfg,
            ["norecording-prompt", "norecording_prompt"],
            &mut d.norecording_prompt,
        );
        general_prompt(
            cfg,
            ["options-prompt", "options_prompt"],
            &mut d.options_prompt,
        );
        general_prompt(
            cfg,
            ["pls-hold-prompt", "pls_hold_prompt"],
            &mut d.plshold_prompt,
        );
        general_prompt(
            cfg,
            ["status-prompt", "status_prompt"],
            &mut d.status_prompt,
        );
        general_prompt(cfg, ["sorry-prompt", "sorry_prompt"], &mut d.sorry_prompt);
        general_prompt(
            cfg,
            ["connecting-prompt", "connecting_prompt"],
            &mut d.connecting_prompt,
        );
        const GENERAL: [&str; 17] = [
            "featuredigittimeout",
            "enable_callee_prompt",
            "takecall",
            "declinecall",
            "call-from-prompt",
            "call_from_prompt",
            "norecording-prompt",
            "norecording_prompt",
            "options-prompt",
            "options_prompt",
            "pls-hold-prompt",
            "pls_hold_prompt",
            "status-prompt",
            "status_prompt",
            "sorry-prompt",
            "sorry_prompt",
            "connecting-prompt",
        ];
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                // app_followme reads what it knows of [general] and
                // ignores the rest silently; check-config says so.
                for v in &cat.variables {
                    if !GENERAL.iter().any(|k| k.eq_ignore_ascii_case(&v.name))
                        && !v.name.eq_ignore_ascii_case("connecting_prompt")
                    {
                        super::report_unknown(cfg, diags, cat, v);
                    }
                }
                continue;
            }
            // A profile named again is read afresh (the same entry).
            conf.profiles
                .retain(|p| !p.name.eq_ignore_ascii_case(&cat.name));
            let mut profile = Profile::new(&cat.name, &conf.defaults);
            for v in &cat.variables {
                if v.name.eq_ignore_ascii_case("number") {
                    profile.add_number(&v.value);
                } else if !profile.set(&v.name, &v.value) {
                    unknown_keyword(&mut conf.load_log, diags, &cat.name, v);
                }
            }
            conf.profiles.push(profile);
        }
        conf
    }
}

/// `profile_set_param`'s warning for a keyword it does not know.
fn unknown_keyword(
    log: &mut Vec<Deferred>,
    diags: &mut Vec<Diagnostic>,
    profile: &str,
    v: &Variable,
) {
    let message = format!(
        "Unknown keyword in profile '{profile}': {} at line {} of followme.conf",
        v.name, v.origin.line
    );
    log.push(Deferred::at(
        Level::Warning,
        crate::site!("app_followme.c", 380, "profile_set_param"),
        message.clone(),
    ));
    super::line_note(diags, Severity::Warning, v, message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    const F: &str = "followme.conf";

    fn load(cats: Vec<crate::config::Category>) -> (FollowmeConf, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let conf = FollowmeConf::from_config(&config(cats), &mut diags);
        (conf, diags)
    }

    #[test]
    fn numbers_take_their_timeout_and_order_as_app_followme_reads_them() {
        let (conf, _) = load(vec![category(
            F,
            "fm",
            &[
                ("number", "1001"),
                ("number", "1002,10"),
                ("number", "1003&1004,-5,7"),
                ("number", "1005,"),
                ("number", "1006,30,-2"),
            ],
        )]);
        let got: Vec<(&str, i64, i64)> = conf.profiles[0]
            .numbers
            .iter()
            .map(|n| (n.number.as_str(), n.timeout, n.order))
            .collect();
        assert_eq!(
            got,
            [
                ("1001", 25, 1),
                ("1002", 10, 2),
                ("1003&1004", 25, 7),
                ("1005", 0, 4),
                ("1006", 30, 5),
            ]
        );
    }

    #[test]
    fn general_sets_the_defaults_profiles_start_from() {
        let (conf, diags) = load(vec![
            category(
                F,
                "general",
                &[
                    ("featuredigittimeout", "x"),
                    ("takecall", "123456789012345678901234"),
                    ("declinecall", ""),
                    ("sorry_prompt", "my/sorry"),
                    ("status-prompt", ""),
                    ("status_prompt", "my/status"),
                    ("enable_callee_prompt", "no"),
                    ("bogus", "1"),
                ],
            ),
            category(F, "FM", &[("musicclass", "jazz"), ("context", "out")]),
        ]);
        assert_eq!(conf.featuredigittimeout, 5000);
        let p = conf.profile("fm").expect("case-insensitive");
        assert_eq!(p.settings.takecall, "1234567890123456789");
        assert_eq!(p.settings.declinecall, "2");
        assert_eq!(p.settings.sorry_prompt, "my/sorry");
        assert_eq!(p.settings.status_prompt, "my/status");
        assert!(!p.settings.enable_callee_prompt);
        assert_eq!((p.moh.as_str(), p.context.as_str()), ("jazz", "out"));
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(conf.load_log.is_empty());
    }

    #[test]
    fn unknown_profile_keywords_are_warned_with_their_line() {
        let (conf, diags) = load(vec![category(
            F,
            "fm",
            &[
                ("norecording-prompt", "x"),
                ("followme-norecording-prompt", "my/norec"),
                ("pls_hold_prompt", "my/hold"),
                ("music", "m"),
            ],
        )]);
        let msgs: Vec<&str> = conf.load_log.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            ["Unknown keyword in profile 'fm': norecording-prompt at line 2 of followme.conf"]
        );
        assert_eq!(diags.len(), 1);
        let p = &conf.profiles[0];
        assert_eq!(p.settings.norecording_prompt, "my/norec");
        assert_eq!(p.settings.plshold_prompt, "my/hold");
        assert_eq!(p.moh, "m");
        assert_eq!(conf.featuredigittimeout, 5000);
    }
}
