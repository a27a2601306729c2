//! `modules.conf`: which modules load. Asterism has no loadable modules,
//! but what an Asterisk module contributes (its contexts, its CLI
//! commands) follows these rules: `autoload`, then `noload` wins.

use super::{View, check_known};
use crate::config::{Config, Diagnostic, is_true};

#[derive(Debug, Clone, serde::Serialize)]
pub struct ModulesConf {
    pub autoload: bool,
    pub load: Vec<String>,
    pub noload: Vec<String>,
    pub preload: Vec<String>,
    pub require: Vec<String>,
}

impl Default for ModulesConf {
    /// Without modules.conf Asterisk loads nothing beyond the core.
    fn default() -> Self {
        Self {
            autoload: false,
            load: Vec::new(),
            noload: Vec::new(),
            preload: Vec::new(),
            require: Vec::new(),
        }
    }
}

const KNOWN: &[&str] = &[
    "autoload",
    "load",
    "noload",
    "preload",
    "require",
    "preload-require",
];

fn module_name(v: &str) -> String {
    let v = v.trim();
    v.strip_suffix(".so").unwrap_or(v).to_string()
}

impl View for ModulesConf {
    const FILE: &'static str = "modules.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut m = ModulesConf::default();
        for cat in cfg.sections() {
            if !cat.name.eq_ignore_ascii_case("modules") {
                check_known(cfg, diags, cat, &[]);
                continue;
            }
            check_known(cfg, diags, cat, KNOWN);
            for v in &cat.variables {
                match v.name.to_ascii_lowercase().as_str() {
                    "autoload" => m.autoload = is_true(&v.value),
                    "load" => m.load.push(module_name(&v.value)),
                    "noload" => m.noload.push(module_name(&v.value)),
                    "preload" => m.preload.push(module_name(&v.value)),
                    "require" | "preload-require" => m.require.push(module_name(&v.value)),
                    _ => {}
                }
            }
        }
        m
    }
}

impl ModulesConf {
    /// Whether Asterisk would load the module `name` (with or without `.so`).
    pub fn loads(&self, name: &str) -> bool {
        let name = module_name(name);
        if self.noload.contains(&name) {
            return false;
        }
        self.autoload
            || self
                .load
                .iter()
                .chain(&self.preload)
                .chain(&self.require)
                .any(|n| *n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    #[test]
    fn noload_wins_over_autoload() {
        let cfg = load_str(
            "modules.conf",
            "[modules]\nautoload=yes\nnoload => chan_sip.so\n",
            &LoadOptions::new("/x"),
        )
        .expect("loads");
        let m = ModulesConf::from_config(&cfg, &mut Vec::new());
        assert!(!m.loads("chan_sip.so"));
        assert!(m.loads("func_periodic_hook"));
        assert!(!ModulesConf::default().loads("func_periodic_hook"));
    }
}
