//! Typed views of each config file, with Asterisk 20's defaults.
//!
//! A view is built from a loaded [`Config`]; whatever it does not
//! understand it reports as a [`Diagnostic`] with file:line, so
//! `check-config` can list it (nothing is silently ignored).

pub mod acl;
pub mod agents;
pub mod ari;
pub mod callerid;
pub mod cdr;
pub mod cdr_manager;
pub mod codecs;
pub mod confbridge;
pub mod features;
pub mod followme;
pub mod geolocation;
pub mod groups;
pub mod hash;
pub mod http;
pub mod indications;
pub mod logger;
pub mod manager;
pub mod modules;
pub mod musiconhold;
pub mod notify;
pub mod parking;
pub mod pjsip;
pub mod pjsip_endpoint;
pub mod qos;
pub mod queuerules;
pub mod queues;
pub mod rtp;
pub mod sip;
#[cfg(test)]
pub mod testutil;
pub mod values;
pub mod voicemail;

use super::{Category, Config, Diagnostic, Origin, Severity, Variable};

/// A typed view of one config file.
pub trait View: Default + Sized {
    /// The file name inside astetcdir.
    const FILE: &'static str;
    /// Builds the view; options it does not know go to `diags`.
    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self;
}

/// Serializes an [`Origin`] as `<file name>:<line>`, so a serialized view
/// does not depend on where the config directory is.
pub fn serialize_origin<S: serde::Serializer>(o: &Origin, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}:{}", o.file_name(), o.line))
}

fn unknown_diag(var: &Variable, section: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Notice,
        file: var.origin.file.to_path_buf(),
        line: var.origin.line,
        column: 1,
        message: format!(
            "unknown or unsupported option '{}' in [{}]",
            var.name, section
        ),
    }
}

/// Reports an option the view does not act on.
pub fn unknown_option(diags: &mut Vec<Diagnostic>, var: &Variable, section: &str) {
    diags.push(unknown_diag(var, section));
}

/// The template (`[name](!)`) that sets `var` on a line of its own.
fn template_of<'a>(cfg: &'a Config, var: &Variable) -> Option<&'a Category> {
    cfg.categories.iter().filter(|c| c.template).find(|t| {
        t.variables
            .iter()
            .any(|tv| !tv.inherited && tv.origin == var.origin && tv.name == var.name)
    })
}

/// Reports `var` of section `cat` as not understood. A line of the
/// section itself is reported under the section; a line it got from a
/// template is reported once, at the template and under its name, however
/// many sections use it; a line from another section is left to that
/// section's own check.
pub fn report_unknown(cfg: &Config, diags: &mut Vec<Diagnostic>, cat: &Category, var: &Variable) {
    if !var.inherited {
        unknown_option(diags, var, &cat.name);
        return;
    }
    if let Some(t) = template_of(cfg, var) {
        let d = unknown_diag(var, &t.name);
        if !diags.contains(&d) {
            diags.push(d);
        }
    }
}

/// A problem with a whole section, at its header line.
pub fn section_note(
    diags: &mut Vec<Diagnostic>,
    severity: Severity,
    cat: &Category,
    message: String,
) {
    diags.push(Diagnostic {
        severity,
        file: cat.origin.file.to_path_buf(),
        line: cat.origin.line,
        column: 1,
        message,
    });
}

/// A problem with one line.
pub fn line_note(diags: &mut Vec<Diagnostic>, severity: Severity, var: &Variable, message: String) {
    diags.push(Diagnostic {
        severity,
        file: var.origin.file.to_path_buf(),
        line: var.origin.line,
        column: 1,
        message,
    });
}

/// A problem with the file as a whole (line 0).
pub fn file_note(diags: &mut Vec<Diagnostic>, severity: Severity, cfg: &Config, message: String) {
    diags.push(Diagnostic {
        severity,
        file: cfg.files.first().cloned().unwrap_or_default(),
        line: 0,
        column: 1,
        message,
    });
}

/// Puts `item` in `list`, replacing one of the same name (case ignored):
/// a later definition wins, at the end.
pub fn replace_named<T>(list: &mut Vec<T>, item: T, name: impl Fn(&T) -> &str) {
    let n = name(&item).to_ascii_lowercase();
    list.retain(|x| name(x).to_ascii_lowercase() != n);
    list.push(item);
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

/// Reports every variable of `cat` whose name is not in `known`
/// (case-insensitive), as [`report_unknown`] does.
pub fn check_known(cfg: &Config, diags: &mut Vec<Diagnostic>, cat: &Category, known: &[&str]) {
    for v in &cat.variables {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(&v.name)) {
            report_unknown(cfg, diags, cat, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, loader::load_str};

    #[test]
    fn template_options_are_checked_once_at_the_template() {
        let text =
            "[t](!)\nfoo=1\nbar=2\n[t2](!,t)\nbaz=3\n[a](t)\nqux=4\n[b](t2)\nbar=5\n[c](a)\n";
        let cfg = load_str("x.conf", text, &LoadOptions::new("/x")).expect("loads");
        let mut d = Vec::new();
        for cat in cfg.sections() {
            check_known(&cfg, &mut d, cat, &["bar"]);
        }
        let got: Vec<(u32, &str)> = d.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert_eq!(
            got,
            [
                (2, "unknown or unsupported option 'foo' in [t]"),
                (7, "unknown or unsupported option 'qux' in [a]"),
                (5, "unknown or unsupported option 'baz' in [t2]"),
            ]
        );
    }
}
