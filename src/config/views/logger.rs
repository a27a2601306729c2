//! `logger.conf` (main/logger.c): `[general]` and the log channels of
//! `[logfiles]`, as the logger builds them.
//!
//! [`LoggerConf::channels`] is what a log writer needs: where each channel
//! goes, which levels it takes, how lines are formatted, and the
//! `dateformat` of `[general]`.

use std::path::{Path, PathBuf};

use super::values::scan_d;
use super::{View, bad_value, line_note};
use crate::config::{Config, Diagnostic, Severity, is_true};

/// The levels every Asterisk has, by index.
pub const BUILTIN_LEVELS: &[&str] = &[
    "DEBUG", "TRACE", "NOTICE", "WARNING", "ERROR", "VERBOSE", "DTMF",
];

/// The first index of levels registered at run time (`custom_levels`,
/// then modules).
pub const FIRST_DYNAMIC_LEVEL: usize = 16;

/// How many levels there can be.
pub const MAX_LEVELS: usize = 32;

const GENERAL_OPTIONS: &[&str] = &[
    "appendhostname",
    "display_callids",
    "dateformat",
    "queue_log",
    "queue_log_to_file",
    "queue_log_name",
    "queue_log_realtime_use_gmt",
    "exec_after_rotate",
    "rotatestrategy",
    "rotatetimestamp",
    "logger_queue_limit",
    "custom_levels",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RotateStrategy {
    Sequential,
    Rotate,
    Timestamp,
    None,
}

/// `[general]`, with the logger's defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggerGeneral {
    /// strftime format of the date in log lines (`%b %e %T`; Asterisk also
    /// knows `%q` for fractions of a second).
    pub dateformat: String,
    /// Log file names get `.<hostname>` appended.
    pub appendhostname: bool,
    /// Log lines carry the call id (`[C-00000001]`).
    pub display_callids: bool,
    pub queue_log: bool,
    pub queue_log_to_file: bool,
    pub queue_log_name: String,
    pub queue_log_realtime_use_gmt: bool,
    pub exec_after_rotate: String,
    pub rotatestrategy: RotateStrategy,
    pub logger_queue_limit: i64,
    /// Extra levels, registered at indexes 16, 17, ... in this order.
    pub custom_levels: Vec<String>,
}

impl Default for LoggerGeneral {
    fn default() -> Self {
        LoggerGeneral {
            dateformat: "%b %e %T".into(),
            appendhostname: false,
            display_callids: true,
            queue_log: true,
            queue_log_to_file: false,
            queue_log_name: "queue_log".into(),
            queue_log_realtime_use_gmt: false,
            exec_after_rotate: String::new(),
            rotatestrategy: RotateStrategy::Sequential,
            logger_queue_limit: 1000,
            custom_levels: Vec::new(),
        }
    }
}

/// Where a channel writes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum LogChannelKind {
    Console,
    /// A file: the name as written, absolute or relative to astlogdir.
    File,
    /// `syslog.<facility>` (`local0` when none is given).
    Syslog {
        facility: String,
    },
}

/// The line format of a channel (`[json]`, `[plain]`, `[default]` in
/// front of its levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LogFormatter {
    Default,
    Plain,
    Json,
}

impl LogFormatter {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormatter::Default => "default",
            LogFormatter::Plain => "plain",
            LogFormatter::Json => "json",
        }
    }
}

/// One line of `[logfiles]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogChannel {
    /// The channel name as written (`console`, `messages.log`,
    /// `syslog.local0`, `/var/log/x`).
    pub name: String,
    pub kind: LogChannelKind,
    pub formatter: LogFormatter,
    /// The level words as written, trimmed (`*` and `verbose(N)` are not
    /// in here).
    pub levels: Vec<String>,
    /// `*`: every level, those registered later included.
    pub all_levels: bool,
    /// `verbose(N)`: verbose messages up to N only. `None`: the core's
    /// verbosity decides (always so for the console).
    pub verbosity: Option<u32>,
    pub line: u32,
}

impl LogChannel {
    /// Whether messages of `level` (a level name, any case) go to this
    /// channel, given the levels that exist (index order).
    pub fn takes(&self, level: &str, known: &[String]) -> bool {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(level)) {
            return false;
        }
        if self.all_levels {
            return true;
        }
        if level.eq_ignore_ascii_case("VERBOSE")
            && (self.kind == LogChannelKind::Console || self.verbosity.is_some())
        {
            return true;
        }
        self.levels.iter().any(|l| l.eq_ignore_ascii_case(level))
    }

    /// The levels this channel takes, in index order.
    pub fn mask<'a>(&self, known: &'a [String]) -> Vec<&'a str> {
        known
            .iter()
            .filter(|k| self.takes(k, known))
            .map(String::as_str)
            .collect()
    }

    /// The file a `File` channel writes to (`make_filename`): the name
    /// under `log_dir` unless absolute, with `.<hostname>` when
    /// `appendhostname` is on.
    pub fn file_path(&self, log_dir: &Path, hostname: Option<&str>) -> Option<PathBuf> {
        if self.kind != LogChannelKind::File {
            return None;
        }
        let base = if self.name.starts_with('/') {
            PathBuf::from(&self.name)
        } else {
            log_dir.join(&self.name)
        };
        Some(match hostname.filter(|h| !h.is_empty()) {
            Some(h) => {
                let mut s = base.into_os_string();
                s.push(format!(".{h}"));
                PathBuf::from(s)
            }
            None => base,
        })
    }
}

/// Syslog facilities Asterisk knows by name.
const FACILITIES: &[&str] = &[
    "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "kern",
    "mail", "daemon", "auth", "security", "authpriv", "syslog", "ftp", "lpr", "news", "uucp",
    "cron",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggerConf {
    pub general: LoggerGeneral,
    /// In file order (Asterisk lists them newest first).
    pub channels: Vec<LogChannel>,
}

impl Default for LoggerConf {
    /// Without logger.conf: errors, warnings, notices and verbose
    /// messages on the console, nothing else.
    fn default() -> Self {
        LoggerConf {
            general: LoggerGeneral::default(),
            channels: vec![LogChannel {
                name: "console".into(),
                kind: LogChannelKind::Console,
                formatter: LogFormatter::Default,
                levels: ["error", "warning", "notice", "verbose"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                all_levels: false,
                verbosity: None,
                line: 0,
            }],
        }
    }
}

impl LoggerConf {
    /// Every level name in index order: the built-in ones, the
    /// `custom_levels`, then `module_levels` (what the loaded modules
    /// register, in load order). Indexes follow [`Self::level_index`].
    pub fn levels(&self, module_levels: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = BUILTIN_LEVELS.iter().map(|s| s.to_string()).collect();
        let mut dynamic = 0;
        for name in self
            .general
            .custom_levels
            .iter()
            .map(String::as_str)
            .chain(module_levels.iter().copied())
        {
            let taken = all.iter().any(|l| l.eq_ignore_ascii_case(name));
            if !taken && FIRST_DYNAMIC_LEVEL + dynamic < MAX_LEVELS {
                all.push(name.to_string());
                dynamic += 1;
            }
        }
        all
    }

    /// The index Asterisk gives the `n`th entry of [`Self::levels`].
    pub fn level_index(n: usize) -> usize {
        if n < BUILTIN_LEVELS.len() {
            n
        } else {
            FIRST_DYNAMIC_LEVEL + n - BUILTIN_LEVELS.len()
        }
    }
}

/// The levels the modules `modules` loads register, in load order,
/// after the core's own `CC`.
pub fn module_levels(modules: &super::modules::ModulesConf) -> Vec<&'static str> {
    let mut levels = vec!["CC"];
    if modules.loads("chan_sip") {
        levels.push("SIP_HISTORY");
    }
    if modules.loads("res_fax") {
        levels.push("FAX");
    }
    // res_pjsip_history needs res_pjsip.
    if modules.loads("res_pjsip") && modules.loads("res_pjsip_history") {
        levels.push("PJSIP_HISTORY");
    }
    if modules.loads("res_security_log") {
        levels.push("SECURITY");
    }
    levels
}

/// Parses one `[logfiles]` value (`make_components`).
fn parse_components(value: &str) -> (LogFormatter, Vec<String>, bool, Option<u32>, Option<String>) {
    let mut rest = value;
    let mut formatter = LogFormatter::Default;
    let mut problem = None;
    if let Some(open) = rest.find('[') {
        match rest[open + 1..].find(']') {
            None => problem = Some("a formatter in [ ] with no closing ]".to_string()),
            Some(close) => {
                let name = &rest[open + 1..open + 1 + close];
                formatter = match name.to_ascii_lowercase().as_str() {
                    "json" => LogFormatter::Json,
                    "default" => LogFormatter::Default,
                    "plain" => LogFormatter::Plain,
                    _ => {
                        problem = Some(format!("formatter '{name}' is not known (default used)"));
                        LogFormatter::Default
                    }
                };
                rest = &rest[open + 1 + close + 1..];
            }
        }
    }
    let mut levels = Vec::new();
    let mut all = false;
    let mut verbosity = None;
    for w in rest.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if w == "*" {
            all = true;
        } else if w.len() >= 8 && w[..8].eq_ignore_ascii_case("verbose(") {
            if let Some(n) = scan_d(&w[8..]).filter(|n| *n >= 0) {
                verbosity = Some(n as u32);
            }
        } else {
            levels.push(w.to_string());
        }
    }
    (formatter, levels, all, verbosity, problem)
}

impl View for LoggerConf {
    const FILE: &'static str = "logger.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = LoggerConf {
            general: LoggerGeneral::default(),
            channels: Vec::new(),
        };
        for cat in cfg.sections() {
            let name = cat.name.to_ascii_lowercase();
            if name != "general" && name != "logfiles" {
                for v in &cat.variables {
                    super::report_unknown(cfg, diags, cat, v);
                }
            }
        }
        // Asterisk reads each [general] option once: the last value in
        // the first [general].
        if let Some(cat) = cfg.section("general") {
            super::check_known(cfg, diags, cat, GENERAL_OPTIONS);
            let g = &mut conf.general;
            let get = |n: &str| cat.get_var(n);
            if let Some(v) = get("appendhostname") {
                g.appendhostname = is_true(&v.value);
            }
            if let Some(v) = get("display_callids") {
                g.display_callids = is_true(&v.value);
            }
            if let Some(v) = get("dateformat") {
                g.dateformat = v.value.clone();
            }
            if let Some(v) = get("queue_log") {
                g.queue_log = is_true(&v.value);
            }
            if let Some(v) = get("queue_log_to_file") {
                g.queue_log_to_file = is_true(&v.value);
            }
            if let Some(v) = get("queue_log_name") {
                g.queue_log_name = v.value.clone();
            }
            if let Some(v) = get("queue_log_realtime_use_gmt") {
                g.queue_log_realtime_use_gmt = is_true(&v.value);
            }
            if let Some(v) = get("exec_after_rotate") {
                g.exec_after_rotate = v.value.clone();
            }
            if let Some(v) = get("rotatestrategy") {
                match v.value.to_ascii_lowercase().as_str() {
                    "timestamp" => g.rotatestrategy = RotateStrategy::Timestamp,
                    "rotate" => g.rotatestrategy = RotateStrategy::Rotate,
                    "sequential" => g.rotatestrategy = RotateStrategy::Sequential,
                    "none" => g.rotatestrategy = RotateStrategy::None,
                    _ => bad_value(diags, v, "sequential, rotate, timestamp or none"),
                }
            } else if let Some(v) = get("rotatetimestamp") {
                g.rotatestrategy = if is_true(&v.value) {
                    RotateStrategy::Timestamp
                } else {
                    RotateStrategy::Sequential
                };
            }
            if let Some(v) = get("logger_queue_limit") {
                match scan_d(&v.value) {
                    Some(n) if n >= 10 => g.logger_queue_limit = n,
                    Some(_) => {
                        bad_value(diags, v, "at least 10 (10 is used)");
                        g.logger_queue_limit = 10;
                    }
                    None => bad_value(diags, v, "a number"),
                }
            }
            if let Some(v) = get("custom_levels") {
                g.custom_levels = v.value.split(',').map(str::to_string).collect();
            }
        }
        if let Some(cat) = cfg.section("logfiles") {
            for v in &cat.variables {
                if v.name.is_empty() {
                    continue;
                }
                let kind = if v.name.eq_ignore_ascii_case("console") {
                    LogChannelKind::Console
                } else if v.name.len() >= 6 && v.name[..6].eq_ignore_ascii_case("syslog") {
                    let facility = match v.name.split_once('.') {
                        Some((_, f)) if !f.is_empty() => f.to_string(),
                        _ => "local0".to_string(),
                    };
                    if !FACILITIES.iter().any(|f| f.eq_ignore_ascii_case(&facility)) {
                        line_note(
                            diags,
                            Severity::Warning,
                            v,
                            format!(
                                "syslog facility '{facility}' is not known; the channel is dropped"
                            ),
                        );
                        continue;
                    }
                    LogChannelKind::Syslog { facility }
                } else {
                    LogChannelKind::File
                };
                let (formatter, levels, all_levels, verbosity, problem) =
                    parse_components(&v.value);
                if let Some(p) = problem {
                    bad_value(diags, v, &p);
                }
                // Levels modules may register are fine; others never match.
                let possible =
                    conf.levels(&["CC", "SIP_HISTORY", "FAX", "PJSIP_HISTORY", "SECURITY"]);
                for l in levels
                    .iter()
                    .filter(|l| !possible.iter().any(|p| p.eq_ignore_ascii_case(l)))
                {
                    line_note(
                        diags,
                        Severity::Notice,
                        v,
                        format!("log level '{l}' does not exist; it is ignored"),
                    );
                }
                conf.channels.push(LogChannel {
                    name: v.name.clone(),
                    verbosity: if kind == LogChannelKind::Console {
                        None
                    } else {
                        verbosity
                    },
                    kind,
                    formatter,
                    levels,
                    all_levels,
                    line: v.origin.line,
                });
            }
        }
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    #[test]
    fn channels_and_levels() {
        let cfg = config(vec![
            category(
                "logger.conf",
                "general",
                &[("dateformat", "%F %T"), ("custom_levels", "foo,bar")],
            ),
            category(
                "logger.conf",
                "logfiles",
                &[
                    ("console", "notice"),
                    ("full", "[plain]notice, Warning ,verbose(3),foo"),
                    ("syslog.nope", "error"),
                    ("all", "[json]*"),
                ],
            ),
        ]);
        let mut d = Vec::new();
        let l = LoggerConf::from_config(&cfg, &mut d);
        assert_eq!(l.general.dateformat, "%F %T");
        assert_eq!(l.channels.len(), 3);
        let known = l.levels(&["CC", "FAX"]);
        assert_eq!(known[7], "foo");
        assert_eq!(LoggerConf::level_index(7), 16);
        assert_eq!(l.channels[0].mask(&known), ["NOTICE", "VERBOSE"]);
        let full = &l.channels[1];
        assert_eq!(full.formatter, LogFormatter::Plain);
        assert_eq!(full.verbosity, Some(3));
        assert_eq!(full.mask(&known), ["NOTICE", "WARNING", "VERBOSE", "foo"]);
        assert_eq!(l.channels[2].mask(&known).len(), known.len());
        assert_eq!(
            full.file_path(Path::new("/var/log/asterisk"), Some("pbx")),
            Some(PathBuf::from("/var/log/asterisk/full.pbx"))
        );
        assert!(d.iter().any(|d| d.message.contains("'nope'")));
        assert_eq!(
            LoggerConf::default().channels[0].kind,
            LogChannelKind::Console
        );
    }
}
