//! `musiconhold.conf` (res_musiconhold): `[general]` and one section per
//! class. Asterisk has no built-in class: a class only exists when the
//! file defines it (a channel asking for `default` with none configured
//! gets no music), so an empty file gives an empty view.

use super::{View, bad_value, check_known};
use crate::config::{Category, Config, Diagnostic, Origin, is_true};

const GENERAL_OPTIONS: &[&str] = &["cachertclasses", "preferchannelclass"];

const CLASS_OPTIONS: &[&str] = &[
    "name",
    "mode",
    "entry",
    "directory",
    "application",
    "announcement",
    "digit",
    "random",
    "sort",
    "loop_last",
    "format",
    "kill_escalation_delay",
    "kill_method",
    "answeredonly",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Sort {
    /// Directory order (the default).
    #[default]
    None,
    Random,
    Alpha,
    RandStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum KillMethod {
    #[default]
    ProcessGroup,
    Process,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MohClass {
    pub name: String,
    /// `files`, `mp3`, `quietmp3`, `custom`, `playlist`, …
    pub mode: String,
    /// `nodir` for custom and playlist classes without one.
    pub directory: String,
    pub application: String,
    pub announcement: Option<String>,
    pub digit: Option<char>,
    pub sort: Sort,
    pub loop_last: bool,
    /// Format name for non-file modes (default `slin`).
    pub format: String,
    /// Milliseconds (default 100).
    pub kill_escalation_delay_ms: u64,
    pub kill_method: KillMethod,
    pub answeredonly: bool,
    pub entries: Vec<String>,
    #[serde(serialize_with = "super::serialize_origin")]
    pub origin: Origin,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MohConf {
    pub cachertclasses: bool,
    /// Default yes.
    pub preferchannelclass: bool,
    /// Classes in the order `moh show classes` lists them.
    pub classes: Vec<MohClass>,
}

/// Whether a `files` class would register: Asterisk scans its directory
/// at load (relative to astdatadir) and drops the class when it holds no
/// playable file (a name not starting with '.', with an extension of two
/// or more characters).
pub fn files_class_loads(class: &MohClass, data_dir: &std::path::Path) -> bool {
    if !class.mode.eq_ignore_ascii_case("files") {
        return true;
    }
    let dir = if class.directory.starts_with('/') {
        std::path::PathBuf::from(&class.directory)
    } else {
        data_dir.join(&class.directory)
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_file = e.file_type().is_ok_and(|t| !t.is_dir());
        is_file && !name.starts_with('.') && name.rfind('.').is_some_and(|i| name.len() - i >= 3)
    })
}

/// Modes res_musiconhold knows; a class with another mode is not loaded.
const MODES: &[&str] = &[
    "files",
    "playlist",
    "mp3",
    "mp3nb",
    "quietmp3",
    "quietmp3nb",
    "httpmp3",
    "custom",
];

impl MohConf {
    pub fn class(&self, name: &str) -> Option<&MohClass> {
        self.classes
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

use super::hash::sort_into_buckets;
pub use super::hash::str_case_hash;

fn parse_class(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> Option<MohClass> {
    check_known(cfg, diags, cat, CLASS_OPTIONS);
    let mut c = MohClass {
        name: cat.name.clone(),
        mode: String::new(),
        directory: String::new(),
        application: String::new(),
        announcement: None,
        digit: None,
        sort: Sort::None,
        loop_last: false,
        format: "slin".to_string(),
        kill_escalation_delay_ms: 100,
        kill_method: KillMethod::ProcessGroup,
        answeredonly: false,
        entries: Vec::new(),
        origin: cat.origin.clone(),
    };
    for v in &cat.variables {
        let val = v.value.as_str();
        match v.name.to_ascii_lowercase().as_str() {
            "mode" => c.mode = val.to_string(),
            "directory" => c.directory = val.to_string(),
            "application" => c.application = val.to_string(),
            "announcement" => c.announcement = Some(val.to_string()),
            "digit" => match val.chars().next() {
                Some(d) if d.is_ascii_digit() || d == '*' || d == '#' => c.digit = Some(d),
                _ => bad_value(diags, v, "a DTMF digit"),
            },
            "random" => {
                c.sort = if is_true(val) {
                    Sort::Random
                } else {
                    Sort::None
                }
            }
            "sort" => match val.to_ascii_lowercase().as_str() {
                "random" => c.sort = Sort::Random,
                "alpha" => c.sort = Sort::Alpha,
                "randstart" => c.sort = Sort::RandStart,
                _ => {}
            },
            "loop_last" => c.loop_last = is_true(val),
            "format" if !val.is_empty() => c.format = val.to_string(),
            "kill_escalation_delay" => match val.trim().parse::<u64>() {
                Ok(n) => c.kill_escalation_delay_ms = n,
                Err(_) => {
                    bad_value(diags, v, "milliseconds (using 100)");
                    c.kill_escalation_delay_ms = 100;
                }
            },
            "kill_method" => {
                c.kill_method = if val.eq_ignore_ascii_case("process") {
                    KillMethod::Process
                } else {
                    if !val.eq_ignore_ascii_case("process_group") {
                        bad_value(diags, v, "process or process_group");
                    }
                    KillMethod::ProcessGroup
                }
            }
            "answeredonly" => c.answeredonly = is_true(val),
            "entry" => {
                if val.starts_with('/') || val.contains("://") {
                    c.entries.push(val.to_string());
                } else {
                    bad_value(diags, v, "a URL or an absolute path");
                }
            }
            _ => {}
        }
    }
    if !c.mode.eq_ignore_ascii_case("playlist") {
        c.entries.clear();
    }
    if c.directory.is_empty() {
        if c.mode.eq_ignore_ascii_case("custom") || c.mode.eq_ignore_ascii_case("playlist") {
            c.directory = "nodir".to_string();
        } else {
            // Asterisk: "A directory must be specified for class …"; dropped.
            diags.push(class_error(
                cat,
                "a directory must be specified; the class is not loaded",
            ));
            return None;
        }
    }
    if c.mode.is_empty() {
        diags.push(class_error(
            cat,
            "a mode must be specified; the class is not loaded",
        ));
        return None;
    }
    if c.application.is_empty() && c.mode.eq_ignore_ascii_case("custom") {
        diags.push(class_error(
            cat,
            "an application must be specified for mode custom; the class is not loaded",
        ));
        return None;
    }
    if !MODES.iter().any(|m| m.eq_ignore_ascii_case(&c.mode)) {
        diags.push(class_error(
            cat,
            &format!("unknown mode '{}'; the class is not loaded", c.mode),
        ));
        return None;
    }
    if c.mode.eq_ignore_ascii_case("playlist") && c.entries.is_empty() {
        diags.push(class_error(
            cat,
            "a playlist class needs entries; the class is not loaded",
        ));
        return None;
    }
    Some(c)
}

fn class_error(cat: &Category, message: &str) -> Diagnostic {
    Diagnostic {
        severity: crate::config::Severity::Warning,
        file: cat.origin.file.to_path_buf(),
        line: cat.origin.line,
        column: 1,
        message: format!("[{}]: {message}", cat.name),
    }
}

impl View for MohConf {
    const FILE: &'static str = "musiconhold.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = MohConf {
            preferchannelclass: true,
            ..Default::default()
        };
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                check_known(cfg, diags, cat, GENERAL_OPTIONS);
                if let Some(v) = cat.get("cachertclasses") {
                    conf.cachertclasses = is_true(v);
                }
                if let Some(v) = cat.get("preferchannelclass") {
                    conf.preferchannelclass = is_true(v);
                }
                continue;
            }
            let Some(class) = parse_class(cfg, cat, diags) else {
                continue;
            };
            // A second section of the same name does not replace the first.
            if conf.class(&class.name).is_none() {
                conf.classes.push(class);
            }
        }
        // Classes live in a 53-bucket hash container keyed on the name;
        // listing walks the buckets in order (stable within a bucket).
        sort_into_buckets(&mut conf.classes, 53, |c| str_case_hash(&c.name));
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str, vars: &[(&str, &str)]) -> Category {
        crate::config::views::testutil::category("musiconhold.conf", name, vars)
    }

    #[test]
    fn classes_and_defaults() {
        let cfg = Config {
            categories: vec![
                cat("general", &[]),
                cat(
                    "default",
                    &[("mode", "files"), ("directory", "moh"), ("sort", "alpha")],
                ),
                cat("nodir", &[("mode", "files")]),
                cat(
                    "app",
                    &[
                        ("mode", "custom"),
                        ("application", "/bin/x"),
                        ("format", "ulaw"),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let m = MohConf::from_config(&cfg, &mut d);
        assert!(m.preferchannelclass);
        assert_eq!(m.classes.len(), 2);
        let def = m.class("default").expect("class");
        assert_eq!(
            (def.mode.as_str(), def.directory.as_str(), def.sort),
            ("files", "moh", Sort::Alpha)
        );
        let app = m.class("app").expect("class");
        assert_eq!(
            (
                app.directory.as_str(),
                app.format.as_str(),
                app.kill_escalation_delay_ms
            ),
            ("nodir", "ulaw", 100)
        );
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn no_builtin_class() {
        assert!(
            MohConf::from_config(&Config::default(), &mut Vec::new())
                .classes
                .is_empty()
        );
    }

    #[test]
    fn case_hash_matches_asterisk() {
        // djb2 of "default": fixed by the algorithm.
        let mut h: u32 = 5381;
        for b in b"default" {
            h = h.wrapping_mul(33) ^ u32::from(*b);
        }
        assert_eq!(str_case_hash("DEFAULT"), (h & 0x7fff_ffff) as i32);
    }
}
