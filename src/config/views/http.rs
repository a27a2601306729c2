//! `http.conf`: typed view (being written; until then every option is
//! reported by check-config as not understood).

use super::{View, check_known};
use crate::config::{Config, Diagnostic};

#[derive(Debug, Clone, Default)]
pub struct HttpConf {}

impl View for HttpConf {
    const FILE: &'static str = "http.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        for cat in cfg.sections() {
            check_known(diags, cat, &[]);
        }
        Self {}
    }
}
