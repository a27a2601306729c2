//! Endpoint maintenance mode (Asterisk's `res/res_pjsip_maintenance.c`,
//! new in 20.20.0): endpoints taken out of service at run time. While an
//! endpoint is in maintenance its new out-of-dialog requests get a 503
//! with `Retry-After: 300` (a SUBSCRIBE or REGISTER with `Expires: 0`
//! still passes, so phones can leave), and calls to it are refused before
//! a channel exists. Dialogs already up are untouched.
//!
//! The AMI actions (PJSIPSetMaintenance, PJSIPShowMaintenance) and the CLI
//! (`pjsip set|show maintenance`) share [`apply`] and [`Maintenance::listed`].

use std::net::SocketAddr;
use std::sync::Mutex;

use crate::core::{System, lock};
use crate::sip::{Method, Request};

/// The module, as ModuleCheck and the action and command registrations name it.
pub const MODULE: &str = "res_pjsip_maintenance";
const FILE: &str = "res_pjsip_maintenance.c";
/// The hash buckets of Asterisk's set (`MAINT_HASH_BUCKETS`): listings
/// walk them in order.
const BUCKETS: usize = 53;

/// The endpoints in maintenance, in the order they entered it.
#[derive(Debug, Default)]
pub struct Maintenance {
    set: Mutex<Vec<String>>,
}

impl Maintenance {
    pub fn contains(&self, endpoint: &str) -> bool {
        lock(&self.set).iter().any(|e| e == endpoint)
    }

    /// True when it was not there yet.
    fn add(&self, endpoint: &str) -> bool {
        let mut set = lock(&self.set);
        if set.iter().any(|e| e == endpoint) {
            return false;
        }
        set.push(endpoint.to_string());
        true
    }

    /// True when it was there.
    fn remove(&self, endpoint: &str) -> bool {
        let mut set = lock(&self.set);
        let before = set.len();
        set.retain(|e| e != endpoint);
        set.len() != before
    }

    /// The endpoints in maintenance as a walk of Asterisk's string
    /// container finds them: by `ast_str_hash` bucket, then in the order
    /// they were added.
    pub fn listed(&self) -> Vec<String> {
        let mut v = lock(&self.set).clone();
        crate::config::views::hash::sort_into_buckets(&mut v, BUCKETS, |e| {
            crate::config::views::hash::str_hash(e)
        });
        v
    }

    /// Drops the endpoints no longer configured (the module's sorcery
    /// observer removes an endpoint when it is deleted).
    pub fn retain_configured(&self, configured: &dyn Fn(&str) -> bool) {
        lock(&self.set).retain(|e| configured(e));
    }
}

/// What a change of state did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// `all`: how many endpoints changed.
    All { changed: usize },
    /// One endpoint: whether it changed (false: it already was so).
    One { changed: bool },
}

/// The endpoint named is not configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSuchEndpoint;

/// Puts `endpoint` (or every endpoint, for `all` in any case) into
/// maintenance or out of it. A change is announced as Asterisk does: a
/// PJSIPMaintenanceStatus event (`Endpoint: all` for all of them, sent
/// only when at least one changed) and a notice.
/// `cli`: asked by `pjsip set maintenance` (the notices name its handler).
pub fn apply(
    sys: &System,
    endpoint: &str,
    enable: bool,
    cli: bool,
) -> Result<Applied, NoSuchEndpoint> {
    let state = if enable { "enabled" } else { "disabled" };
    let set = &sys.pjsip_maintenance;
    let change = |name: &str| {
        if enable {
            set.add(name)
        } else {
            set.remove(name)
        }
    };
    if endpoint.eq_ignore_ascii_case("all") {
        let names: Vec<String> = sys
            .loaded()
            .pjsip
            .endpoints
            .iter()
            .map(|e| e.name.clone())
            .collect();
        let changed = names.iter().filter(|n| change(n)).count();
        if changed > 0 {
            status_event(sys, "all", state);
            sys.pbx.logger.notice(
                if cli {
                    crate::site!(FILE, 451, "handle_cli_pjsip_set_maintenance")
                } else {
                    crate::site!(FILE, 615, "ami_set_maintenance")
                },
                None,
                &format!(
                    "PJSIP: Maintenance mode {state} for all endpoints ({changed} endpoint{} affected)",
                    if changed == 1 { "" } else { "s" }
                ),
            );
        }
        return Ok(Applied::All { changed });
    }
    if sys.loaded().pjsip.endpoint(endpoint).is_none() {
        return Err(NoSuchEndpoint);
    }
    let changed = change(endpoint);
    if changed {
        status_event(sys, endpoint, state);
        sys.pbx.logger.notice(
            if cli {
                crate::site!(FILE, 476, "handle_cli_pjsip_set_maintenance")
            } else {
                crate::site!(FILE, 643, "ami_set_maintenance")
            },
            None,
            &format!("PJSIP: Maintenance mode {state} for endpoint '{endpoint}'"),
        );
    }
    Ok(Applied::One { changed })
}

fn status_event(sys: &System, endpoint: &str, state: &str) {
    sys.pbx
        .channels
        .events
        .publish_system(crate::core::events::EventKind::Manager {
            class: crate::manager::class::SYSTEM,
            name: "PJSIPMaintenanceStatus".to_string(),
            body: format!("Endpoint: {endpoint}\r\nStatus: {state}\r\n"),
        });
}

/// Whether a new request from `endpoint` is turned away (with 503 and
/// `Retry-After: 300`), said in a notice as the module does. The module
/// runs after endpoint identification and ACLs, before authentication;
/// the caller has already let in-dialog requests through.
pub fn refuses_request(sys: &System, endpoint: &str, req: &Request, from: SocketAddr) -> bool {
    if !crate::core::modules::running(sys, MODULE) || !sys.pjsip_maintenance.contains(endpoint) {
        return false;
    }
    // Leaving (un-subscribing, de-registering) stays possible.
    if matches!(req.method, Method::Subscribe | Method::Register)
        && req
            .headers
            .get("Expires")
            .is_some_and(|e| e.trim().parse::<u64>() == Ok(0))
    {
        return false;
    }
    sys.pbx.logger.notice(
        crate::site!(FILE, 297, "maintenance_on_rx_request"),
        None,
        &format!(
            "PJSIP: Endpoint '{endpoint}' is in maintenance mode; rejecting new {} from {}",
            req.method,
            from.ip()
        ),
    );
    true
}

/// Whether a call to `endpoint` is refused (the module's session
/// supplement blocks the outgoing session), said in a notice.
pub fn refuses_call(sys: &System, endpoint: &str) -> bool {
    if !crate::core::modules::running(sys, MODULE) || !sys.pjsip_maintenance.contains(endpoint) {
        return false;
    }
    sys.pbx.logger.notice(
        crate::site!(FILE, 235, "maint_session_create"),
        None,
        &format!("PJSIP: Refusing outbound call to endpoint '{endpoint}': maintenance mode active"),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::Maintenance;

    #[test]
    fn add_and_remove_report_changes() {
        let m = Maintenance::default();
        assert!(m.add("2000"));
        assert!(!m.add("2000"));
        assert!(m.contains("2000"));
        assert!(!m.contains("2001"));
        assert!(m.remove("2000"));
        assert!(!m.remove("2000"));
    }

    /// Asterisk 20.20.1 listed `all` of ami-calls' endpoints so
    /// (golden pjsip_maintenance).
    #[test]
    fn listed_in_bucket_order() {
        let m = Maintenance::default();
        for n in ["2000", "2001", "2099"] {
            m.add(n);
        }
        assert_eq!(m.listed(), ["2099", "2001", "2000"]);
    }
}
