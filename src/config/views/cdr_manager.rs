//! `cdr_manager.conf` (cdr/cdr_manager.c): whether CDRs go out as AMI
//! `Cdr` events, and the custom fields added to them.

use super::{View, report_unknown};
use crate::config::{Config, Diagnostic, is_true};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CdrManagerConf {
    /// The file exists: without it cdr_manager declines to load.
    pub present: bool,
    /// `[general] enabled`; off, the backend stays registered but
    /// suspended.
    pub enabled: bool,
    /// `[mappings]`: (CDR variable, header name), in file order.
    pub mappings: Vec<(String, String)>,
}

impl View for CdrManagerConf {
    const FILE: &'static str = "cdr_manager.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut c = CdrManagerConf {
            present: true,
            ..Default::default()
        };
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                for v in &cat.variables {
                    if v.name.eq_ignore_ascii_case("enabled") {
                        c.enabled = is_true(&v.value);
                    } else {
                        report_unknown(cfg, diags, cat, v);
                    }
                }
            } else if cat.name.eq_ignore_ascii_case("mappings") {
                // A later [mappings] replaces an earlier one, as the
                // module rebuilds its list per section.
                c.mappings.clear();
                for v in &cat.variables {
                    if !v.name.is_empty() && !v.value.is_empty() {
                        c.mappings.push((v.name.clone(), v.value.clone()));
                    }
                }
            }
        }
        c
    }
}
