//! The NOTIFY types of `sip_notify.conf` (chan_sip's `sip notify`) and
//! `pjsip_notify.conf` (res_pjsip_notify's `pjsip send notify` and
//! PJSIPNotify's `Option`): each section names a type, each of its lines
//! a header to send (`Content` lines make the body, `Content-Type` its
//! type). Any header name is valid, so nothing here is "unknown".

use super::{Config, Diagnostic, View};

/// One NOTIFY type: its header lines, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyType {
    pub name: String,
    pub items: Vec<(String, String)>,
}

/// The types of one file, in the file's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyTypes {
    /// The file was found (chan_sip tells a missing file apart).
    pub present: bool,
    pub types: Vec<NotifyType>,
}

impl NotifyTypes {
    fn from_config(cfg: &Config) -> NotifyTypes {
        let mut types: Vec<NotifyType> = Vec::new();
        for cat in cfg.sections() {
            // A repeated section is the same type: both drivers find the
            // first one by name.
            if types.iter().any(|t| t.name.eq_ignore_ascii_case(&cat.name)) {
                continue;
            }
            types.push(NotifyType {
                name: cat.name.clone(),
                items: cat
                    .variables
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect(),
            });
        }
        NotifyTypes {
            present: true,
            types,
        }
    }

    /// The type named `name` (without case, as both drivers look it up).
    pub fn find(&self, name: &str) -> Option<&NotifyType> {
        self.types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// `sip_notify.conf`, read with sip.conf (chan_sip reloads both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipNotifyConf(pub NotifyTypes);

impl View for SipNotifyConf {
    const FILE: &'static str = "sip_notify.conf";
    fn from_config(cfg: &Config, _diags: &mut Vec<Diagnostic>) -> Self {
        SipNotifyConf(NotifyTypes::from_config(cfg))
    }
}

/// `pjsip_notify.conf`, read with pjsip.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PjsipNotifyConf(pub NotifyTypes);

impl View for PjsipNotifyConf {
    const FILE: &'static str = "pjsip_notify.conf";
    fn from_config(cfg: &Config, _diags: &mut Vec<Diagnostic>) -> Self {
        PjsipNotifyConf(NotifyTypes::from_config(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::category;

    #[test]
    fn types_in_order_first_of_a_name_wins() {
        let cfg = Config {
            categories: vec![
                category(
                    "sip_notify.conf",
                    "check",
                    &[("Event", "check-sync"), ("Content", "a"), ("Content", "b")],
                ),
                category("sip_notify.conf", "Check", &[("Event", "other")]),
            ],
            ..Default::default()
        };
        let v = SipNotifyConf::from_config(&cfg, &mut Vec::new());
        assert_eq!(v.0.types.len(), 1);
        let t = v.0.find("CHECK").unwrap();
        assert_eq!(t.items[0], ("Event".to_string(), "check-sync".to_string()));
        assert_eq!(t.items.len(), 3);
        assert!(v.0.find("nosuch").is_none());
    }
}
