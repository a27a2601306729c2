//! `asterism check-config`: the migration report. For a config directory it
//! lists every file read (with includes), every dialplan application and
//! function used and whether Asterism supports it, options the views do
//! not use, and syntax errors: all with file:line. `--json` for machines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use crate::apps::Support;
use crate::config::asterisk_conf::AsteriskConf;
use crate::config::{ConfigError, Diagnostic, Severity};
use crate::core::{Loaded, Part};

#[derive(Debug, Serialize)]
pub struct Usage {
    pub name: String,
    /// `supported`, `unsupported` (an Asterisk name Asterism does not run
    /// yet) or `unknown` (not an Asterisk 20 name at all).
    pub support: String,
    pub places: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub asterisk_conf: PathBuf,
    pub files: Vec<PathBuf>,
    pub applications: Vec<Usage>,
    pub functions: Vec<Usage>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files Asterisk would refuse to load.
    pub errors: Vec<Diagnostic>,
}

fn support_word(s: Option<Support>) -> &'static str {
    match s {
        Some(Support::Supported) => "supported",
        Some(Support::Unsupported) => "unsupported",
        None => "unknown",
    }
}

/// Function names in `${NAME(…)}` anywhere in `text` (nested included).
pub fn functions_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'$' && b[i + 1] == b'{' {
            let start = i + 2;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'(' && j > start {
                out.push(text[start..j].to_string());
            }
            i = start;
        } else {
            i += 1;
        }
    }
    out
}

fn add_use(map: &mut BTreeMap<String, Vec<String>>, name: &str, place: String) {
    map.entry(name.to_string()).or_default().push(place);
}

/// Loads each file on its own (so one broken file does not hide the
/// others) and gathers the report.
pub fn build(config_file: &Path) -> Report {
    let mut report = Report {
        asterisk_conf: config_file.to_path_buf(),
        ..Default::default()
    };
    let conf = match AsteriskConf::load(config_file) {
        Ok(c) => c,
        Err(ConfigError(d)) => {
            report.errors.push(d);
            return report;
        }
    };
    if let Some(raw) = &conf.raw {
        report.files.extend(raw.files.iter().cloned());
        report.diagnostics.extend(raw.warnings.iter().cloned());
    }
    report.diagnostics.extend(conf.unsupported());
    let mut loaded = Loaded::default();
    for part in Part::ALL {
        if let Err(ConfigError(d)) = loaded.reload_part(&conf, part) {
            report.errors.push(d);
        }
    }
    for r in &loaded.reports {
        report.files.extend(r.files.iter().cloned());
        report.diagnostics.extend(r.diagnostics.iter().cloned());
    }
    let mut apps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut funcs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ctx in &loaded.dialplan.contexts {
        for ext in &ctx.extensions {
            for p in &ext.priorities {
                let place = format!("{}:{}", p.origin.file.display(), p.origin.line);
                if p.priority != crate::pbx::dialplan::PRIORITY_HINT {
                    add_use(&mut apps, &p.app, place.clone());
                    for message in crate::apps::unsupported_uses(&p.app, &p.data) {
                        report.diagnostics.push(crate::config::Diagnostic {
                            severity: Severity::Notice,
                            file: p.origin.file.to_path_buf(),
                            line: p.origin.line,
                            column: 1,
                            message,
                        });
                    }
                }
                for f in functions_in(&p.data) {
                    add_use(&mut funcs, &f, place.clone());
                }
            }
        }
    }
    // Dynamic features run applications too.
    for item in &loaded.features.applicationmap {
        let Some(origin) = &item.origin else {
            continue;
        };
        let place = format!("{}:{}", origin.file.display(), origin.line);
        add_use(&mut apps, &item.app, place);
        for message in crate::apps::unsupported_uses(&item.app, &item.app_data) {
            report.diagnostics.push(crate::config::Diagnostic {
                severity: Severity::Notice,
                file: origin.file.to_path_buf(),
                line: origin.line,
                column: 1,
                message,
            });
        }
    }
    let to_usage = |map: BTreeMap<String, Vec<String>>, f: fn(&str) -> Option<Support>| {
        map.into_iter()
            .map(|(name, places)| Usage {
                support: support_word(f(&name)).to_string(),
                name,
                places,
            })
            .collect()
    };
    report.applications = to_usage(apps, crate::apps::support);
    report.functions = to_usage(funcs, crate::funcs::support);
    report
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "notice",
    }
}

/// The human-readable report.
pub fn render_text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Configuration: {}", r.asterisk_conf.display());
    let _ = writeln!(out, "\nFiles read ({}):", r.files.len());
    for f in &r.files {
        let _ = writeln!(out, "  {}", f.display());
    }
    for (title, list) in [
        ("Applications", &r.applications),
        ("Functions", &r.functions),
    ] {
        let _ = writeln!(out, "\n{title} used ({}):", list.len());
        for u in list {
            let _ = writeln!(
                out,
                "  {:<20} {:<12} {}",
                u.name,
                u.support,
                u.places.join(", ")
            );
        }
    }
    let _ = writeln!(out, "\nNotes ({}):", r.diagnostics.len());
    for d in &r.diagnostics {
        let _ = writeln!(out, "  {d} [{}]", severity_word(d.severity));
    }
    let _ = writeln!(out, "\nErrors ({}):", r.errors.len());
    for d in &r.errors {
        let _ = writeln!(out, "  {d}");
    }
    out
}

/// Entry point for `asterism check-config [-C <file>] [--json]`.
pub fn main(args: &[String]) -> ExitCode {
    let mut config = PathBuf::from("/etc/asterisk/asterisk.conf");
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => json = true,
            "-C" => {
                i += 1;
                match args.get(i) {
                    Some(p) => config = PathBuf::from(p),
                    None => {
                        eprintln!("check-config: -C needs a path to asterisk.conf");
                        return ExitCode::from(2);
                    }
                }
            }
            other => {
                eprintln!(
                    "check-config: unexpected argument '{other}' (usage: check-config [-C <asterisk.conf>] [--json])"
                );
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let report = build(&config);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("check-config: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render_text(&report));
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::functions_in;

    #[test]
    fn finds_nested_functions() {
        assert_eq!(
            functions_in("${STRFTIME(${EPOCH},,%Y)}-${GLOBAL(A${CALLERID(num)})}"),
            ["STRFTIME", "GLOBAL", "CALLERID"]
        );
    }
}
