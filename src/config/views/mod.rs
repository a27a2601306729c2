//! Typed views of each config file, with Asterisk 20's defaults.
//!
//! A view is built from a loaded [`Config`]; whatever it does not
//! understand it reports as a [`Diagnostic`] with file:line, so
//! `check-config` can list it (nothing is silently ignored).

pub mod acl;
pub mod ari;
pub mod callerid;
pub mod cdr;
pub mod codecs;
pub mod confbridge;
pub mod features;
pub mod groups;
pub mod hash;
pub mod http;
pub mod indications;
pub mod logger;
pub mod manager;
pub mod modules;
pub mod musiconhold;
pub mod pjsip;
pub mod pjsip_endpoint;
pub mod qos;
pub mod queues;
pub mod rtp;
pub mod sip;
#[cfg(test)]
pub mod testutil;
pub mod values;
pub mod voicemail;

use super::{Category, Config, Diagnostic, Severity, Variable};

/// A typed view of one config file.
pub trait View: Default + Sized {
    /// The file name inside astetcdir.
    const FILE: &'static str;
    /// Builds the view; options it does not know go to `diags`.
    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self;
}

/// Reports an option the view does not act on.
pub fn unknown_option(diags: &mut Vec<Diagnostic>, var: &Variable, section: &str) {
    diags.push(Diagnostic {
        severity: Severity::Notice,
        file: var.origin.file.to_path_buf(),
        line: var.origin.line,
        column: 1,
        message: format!(
            "unknown or unsupported option '{}' in [{}]",
            var.name, section
        ),
    });
}

/// Reports a value the view cannot use (Asterisk would log and fall back
/// to the default).
pub fn bad_value(diags: &mut Vec<Diagnostic>, var: &Variable, expected: &str) {
    diags.push(Diagnostic {
        severity: Severity::Warning,
        file: var.origin.file.to_path_buf(),
        line: var.origin.line,
        column: 1,
        message: format!(
            "invalid value '{}' for '{}' (expected {})",
            var.value, var.name, expected
        ),
    });
}

/// Reports every own (not inherited) variable of `cat` whose name is not
/// in `known` (case-insensitive).
pub fn check_known(diags: &mut Vec<Diagnostic>, cat: &Category, known: &[&str]) {
    for v in cat.variables.iter().filter(|v| !v.inherited) {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(&v.name)) {
            unknown_option(diags, v, &cat.name);
        }
    }
}
