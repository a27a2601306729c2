//! `sip.conf`: typed view (being written; until then every option is
//! reported by check-config as not understood).

use super::{View, check_known};
use crate::config::{Config, Diagnostic};

#[derive(Debug, Clone, Default)]
pub struct SipConf {}

impl View for SipConf {
    const FILE: &'static str = "sip.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        for cat in cfg.sections() {
            check_known(diags, cat, &[]);
        }
        Self {}
    }
}

impl SipConf {
    /// The state of the device this file defines under `name`.
    pub fn device_state(&self, _name: &str) -> crate::core::devicestate::DeviceState {
        crate::core::devicestate::DeviceState::Invalid
    }
}
