//! Asterisk's `.conf` format: one grammar ([`grammar`]), one loader
//! ([`loader`]) that applies Asterisk's semantics (templates, inheritance,
//! additions, includes), and a typed view per file.

pub mod asterisk_conf;
pub mod grammar;
pub mod loader;
pub mod views;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use loader::{LoadOptions, load};

/// Where a piece of configuration came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: Arc<Path>,
    pub line: u32,
}

impl Origin {
    /// The file name without its directory, as Asterisk prints it in
    /// `dialplan show` (`[extensions.conf:7]`).
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// `name = value` (or `name => value`) inside a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// Written with `=>`.
    pub object: bool,
    /// Copied from a template or base category.
    pub inherited: bool,
    pub origin: Origin,
}

/// A `[section]` of a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub name: String,
    /// Declared with `(!)`: a template, skipped when browsing.
    pub template: bool,
    /// Names of the categories this one inherited from, in order.
    pub inherits: Vec<String>,
    pub variables: Vec<Variable>,
    pub origin: Origin,
}

impl Category {
    /// The effective value of `name`: the last one wins (a section overrides
    /// what it inherited), names compared without case as Asterisk does.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| v.value.as_str())
    }

    /// The variable (with its origin) that gives `name` its value.
    pub fn get_var(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// Every value of a repeatable option (`allow=`, `member=`), in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Variable> + 'a {
        self.variables
            .iter()
            .filter(move |v| v.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

/// A problem found while reading configuration, with its place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    /// The message Asterisk's `config.c` logs for this problem while it
    /// loads a file for a caller that has a channel (AST_CONFIG), with its
    /// site. `None` for problems Asterisk does not log as such.
    pub fn asterisk_log(&self) -> Option<crate::core::logger::Deferred> {
        use crate::core::logger::{Deferred, Level};
        let (line, file) = (self.line, self.file.display());
        let m = self.message.as_str();
        let quoted = |prefix: &str| {
            m.strip_prefix(prefix)
                .and_then(|r| r.split_once('\''))
                .map(|(q, _)| q.to_string())
        };
        let ptl = "process_text_line";
        let (level, at, func, text) = if m.starts_with("expected ']'") {
            (
                Level::Warning,
                2049,
                ptl,
                format!("parse error: no closing ']', line {line} of {file}"),
            )
        } else if m.starts_with("expected ')'") {
            (
                Level::Warning,
                2076,
                ptl,
                format!("parse error: no closing ')', line {line} of {file}"),
            )
        } else if let Some(cat) = quoted("category addition requested, but category '") {
            let text = format!(
                "Category addition requested, but category '{cat}' does not exist, line {line} of {file}"
            );
            (Level::Warning, 2094, ptl, text)
        } else if let Some(cat) = quoted("inheritance requested, but category '") {
            let text = format!(
                "Inheritance requested, but category '{cat}' does not exist, line {line} of {file}"
            );
            (Level::Warning, 2112, ptl, text)
        } else if let Some(name) = quoted("the file '") {
            let text = format!("The file '{name}' was listed as a #include but it does not exist.");
            (Level::Error, 2234, ptl, text)
        } else if m.starts_with("expected a [category] header") {
            let text = format!("parse error: No category context for line {line} of {file}");
            (Level::Warning, 2255, ptl, text)
        } else if m.starts_with("invalid escape") {
            (
                Level::Error,
                2265,
                ptl,
                format!("Invalid escape in line {line} of {file}"),
            )
        } else if m.starts_with("expected a variable name") {
            (
                Level::Warning,
                2310,
                ptl,
                format!("No variable name in line {line} of {file}"),
            )
        } else if m.starts_with("expected '=' or '=>'") {
            (
                Level::Warning,
                2330,
                ptl,
                format!("No '=' (equal sign) in line {line} of {file}"),
            )
        } else if m.starts_with("unterminated block comment") {
            let text = format!("Unterminated comment detected beginning on line {line}");
            (Level::Warning, 2672, "config_text_file_load", text)
        } else {
            return None;
        };
        Some(Deferred::at(
            level,
            &crate::core::logger::Site {
                file: "config.c",
                line: at,
                function: func,
            },
            text,
        ))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// A config file that Asterisk would refuse to load.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub Diagnostic);

/// A `#include`/`#tryinclude`/`#exec` that was followed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncludeRecord {
    pub directive: String,
    pub argument: String,
    pub from: PathBuf,
    pub line: u32,
    /// Files it expanded to (a glob may give several, `#tryinclude` none).
    pub files: Vec<PathBuf>,
}

/// A loaded config file with everything it included.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub categories: Vec<Category>,
    /// Every file read, the top one first.
    pub files: Vec<PathBuf>,
    pub includes: Vec<IncludeRecord>,
    /// Warnings Asterisk would log while loading (the file still loads).
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// Categories as Asterisk browses them: templates are skipped.
    pub fn sections(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| !c.template)
    }

    /// The first non-template category with this name (case-insensitive).
    pub fn section(&self, name: &str) -> Option<&Category> {
        self.sections().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `ast_variable_retrieve`: the last value of `var` in the first
    /// category named `section`.
    pub fn get(&self, section: &str, var: &str) -> Option<&str> {
        self.section(section).and_then(|c| c.get(var))
    }
}

/// Asterisk's notion of a true value (`ast_true`).
pub fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "yes" | "true" | "y" | "t" | "1" | "on"
    )
}

/// Asterisk's notion of a false value (`ast_false`).
pub fn is_false(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "no" | "false" | "n" | "f" | "0" | "off"
    )
}

#[cfg(test)]
mod tests {
    use super::loader::{LoadOptions, load_str};

    /// The line of config.c and the message.
    type Logged = (u32, String);

    /// The loader's own wording of each problem maps to the line Asterisk
    /// logs for it (a loader message reworded would lose its log line).
    #[test]
    fn problems_log_as_config_c_does() {
        let opts = LoadOptions::new("/etc/asterisk");
        let fatal = |text: &str| {
            load_str("t.conf", text, &opts)
                .err()
                .and_then(|e| e.0.asterisk_log())
                .map(|d| (d.site.line, d.message))
        };
        let warning = |text: &str| {
            load_str("t.conf", text, &opts)
                .ok()
                .and_then(|c| c.warnings.first().and_then(|w| w.asterisk_log()))
                .map(|d| (d.site.line, d.message))
        };
        let f = "/etc/asterisk/t.conf";
        let cases: &[(Option<Logged>, Logged)] = &[
            (
                fatal("[s\n"),
                (2049, format!("parse error: no closing ']', line 1 of {f}")),
            ),
            (
                fatal("[s](!\n"),
                (2076, format!("parse error: no closing ')', line 1 of {f}")),
            ),
            (
                fatal("v = 1\n"),
                (
                    2255,
                    format!("parse error: No category context for line 1 of {f}"),
                ),
            ),
            (
                fatal("[a](nope)\n"),
                (
                    2112,
                    format!(
                        "Inheritance requested, but category 'nope' does not exist, line 1 of {f}"
                    ),
                ),
            ),
            (
                fatal("[a](+)\n"),
                (
                    2094,
                    format!(
                        "Category addition requested, but category 'a' does not exist, line 1 of {f}"
                    ),
                ),
            ),
            (
                fatal("[a]\n#include \"/nonexistent/x.conf\"\n"),
                (
                    2234,
                    "The file '/nonexistent/x.conf' was listed as a #include but it does not exist."
                        .into(),
                ),
            ),
            (
                warning("[a]\nnoequals\n"),
                (2330, format!("No '=' (equal sign) in line 2 of {f}")),
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.as_ref(), Some(want));
        }
    }
}
