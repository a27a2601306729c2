//! The logger (Asterisk's `main/logger.c`): log channels from logger.conf,
//! Asterisk's line format, and the verbose levels operators know.
//!
//! File lines look like Asterisk's:
//! `[2026-11-22 06:58:39] VERBOSE[17032][C-00000001] pbx.c: Executing [...]`.
//! Console lines carry the verbose prefix (`    -- `) instead of the header.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::{Config, LoadOptions, load};

/// Log levels, in Asterisk's numbering order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Notice,
    Warning,
    Error,
    /// A verbose message and its level (1 is the most important).
    Verbose(u32),
    Dtmf,
    Security,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Notice => "NOTICE",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Verbose(_) => "VERBOSE",
            Level::Dtmf => "DTMF",
            Level::Security => "SECURITY",
        }
    }

    fn bit(self) -> u32 {
        match self {
            Level::Debug => 1 << 0,
            Level::Notice => 1 << 2,
            Level::Warning => 1 << 3,
            Level::Error => 1 << 4,
            Level::Verbose(_) => 1 << 5,
            Level::Dtmf => 1 << 6,
            Level::Security => 1 << 7,
        }
    }
}

/// The console prefix of a verbose message of a given level.
pub fn verbose_prefix(level: u32) -> &'static str {
    match level {
        0 | 1 => "",
        2 => "  == ",
        3 => "    -- ",
        _ => "       > ",
    }
}

#[derive(Debug)]
enum Sink {
    Console,
    File { path: PathBuf, file: Option<File> },
}

#[derive(Debug)]
struct LogChannel {
    mask: u32,
    /// `verbose(N)`; `None` follows the global verbosity.
    verbosity: Option<u32>,
    sink: Sink,
}

/// One line handed to the logger.
pub struct Record<'a> {
    pub level: Level,
    /// The source file Asterisk would name (`pbx.c`, `app_verbose.c`), or
    /// for the Log() application `Ext. <exten>`.
    pub file: &'a str,
    pub callid: Option<u32>,
    pub message: &'a str,
}

tokio::task_local! {
    /// The call id of the call the current task works for, so lines logged
    /// deep inside a call carry `[C-…]` without threading it through.
    pub static CALLID: u32;
}

/// The call id of the current task, if it serves a call.
pub fn current_callid() -> Option<u32> {
    CALLID.try_with(|c| *c).ok()
}

pub struct Logger {
    channels: Mutex<Vec<LogChannel>>,
    dateformat: Mutex<String>,
    /// `option_verbose`: asterisk.conf `verbose`, `-v`, `core set verbose`.
    pub option_verbose: AtomicU32,
    /// Write to stdout as a foreground console (`-c`).
    console_enabled: std::sync::atomic::AtomicBool,
}

const DEFAULT_DATEFORMAT: &str = "%b %e %T";

impl Logger {
    /// Builds the logger from `<etc>/logger.conf` (Asterisk's defaults when
    /// it is missing: console and `messages` get notices, warnings and
    /// errors).
    pub fn new(etc: &Path, logdir: &Path, option_verbose: u32) -> Logger {
        let logger = Logger {
            channels: Mutex::new(Vec::new()),
            dateformat: Mutex::new(DEFAULT_DATEFORMAT.into()),
            option_verbose: AtomicU32::new(option_verbose),
            console_enabled: std::sync::atomic::AtomicBool::new(false),
        };
        logger.reload(etc, logdir);
        logger
    }

    pub fn set_console(&self, on: bool) {
        self.console_enabled.store(on, Ordering::Relaxed);
    }

    /// Re-reads logger.conf and reopens the files (`logger reload`).
    pub fn reload(&self, etc: &Path, logdir: &Path) {
        let opts = LoadOptions::new(etc);
        let cfg = load("logger.conf", &opts).ok().flatten();
        let (dateformat, specs) = match &cfg {
            Some(c) => channel_specs(c),
            None => (
                DEFAULT_DATEFORMAT.to_string(),
                vec![
                    ("console".to_string(), "notice,warning,error".to_string()),
                    ("messages".to_string(), "notice,warning,error".to_string()),
                ],
            ),
        };
        let mut channels = Vec::new();
        for (name, levels) in specs {
            let (mask, verbosity) = parse_levels(&levels);
            let sink = if name.eq_ignore_ascii_case("console") {
                Sink::Console
            } else if name.starts_with("syslog") {
                // Syslog needs the host's syslog; not provided (check-config says so).
                continue;
            } else {
                let path = if name.starts_with('/') {
                    PathBuf::from(&name)
                } else {
                    logdir.join(&name)
                };
                if let Some(parent) = path.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .ok();
                Sink::File { path, file }
            };
            channels.push(LogChannel {
                mask,
                verbosity,
                sink,
            });
        }
        *lock(&self.dateformat) = dateformat;
        *lock(&self.channels) = channels;
    }

    /// The level verbose messages must reach to be produced at all
    /// (`ast_verb_sys_level`).
    pub fn verbose_sys_level(&self) -> u32 {
        let mut level = self.option_verbose.load(Ordering::Relaxed);
        for c in lock(&self.channels).iter() {
            if let Some(v) = c.verbosity {
                level = level.max(v);
            }
        }
        level
    }

    /// Whether a verbose message of this level would be produced.
    pub fn verbose_enabled(&self, level: u32) -> bool {
        level <= self.verbose_sys_level()
    }

    pub fn log(&self, rec: Record<'_>) {
        if let Level::Verbose(n) = rec.level {
            if !self.verbose_enabled(n) {
                return;
            }
        }
        let date = format_date(&lock(&self.dateformat));
        let callid = rec
            .callid
            .or_else(current_callid)
            .map(|c| format!("[C-{c:08x}]"))
            .unwrap_or_default();
        let line = format!(
            "[{date}] {}[{}]{callid} {}: {}\n",
            rec.level.name(),
            std::process::id(),
            rec.file,
            rec.message
        );
        let console_on = self.console_enabled.load(Ordering::Relaxed);
        let mut channels = lock(&self.channels);
        for c in channels.iter_mut() {
            if c.mask & rec.level.bit() == 0 {
                continue;
            }
            match &mut c.sink {
                Sink::Console => {
                    if console_on {
                        let text = match rec.level {
                            Level::Verbose(n) => format!("{}{}\n", verbose_prefix(n), rec.message),
                            _ => line.clone(),
                        };
                        let _ = std::io::stdout().write_all(text.as_bytes());
                    }
                }
                Sink::File { path, file } => {
                    if file.is_none() {
                        *file = OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(&*path)
                            .ok();
                    }
                    if let Some(f) = file {
                        // A failed write must not stop a call; Asterisk disables the channel.
                        if f.write_all(line.as_bytes()).is_err() {
                            *file = None;
                        }
                    }
                }
            }
        }
    }

    pub fn verbose(&self, level: u32, file: &str, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Verbose(level),
            file,
            callid,
            message,
        });
    }

    pub fn warning(&self, file: &str, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Warning,
            file,
            callid,
            message,
        });
    }

    pub fn notice(&self, file: &str, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Notice,
            file,
            callid,
            message,
        });
    }

    pub fn error(&self, file: &str, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Error,
            file,
            callid,
            message,
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// `[general] dateformat` and the `[logfiles]` channels of logger.conf.
fn channel_specs(cfg: &Config) -> (String, Vec<(String, String)>) {
    let mut dateformat = DEFAULT_DATEFORMAT.to_string();
    let mut specs = Vec::new();
    for cat in cfg.sections() {
        if cat.name.eq_ignore_ascii_case("general") {
            for v in &cat.variables {
                if v.name.eq_ignore_ascii_case("dateformat") && !v.value.is_empty() {
                    dateformat = v.value.clone();
                }
            }
        } else if cat.name.eq_ignore_ascii_case("logfiles") {
            for v in &cat.variables {
                specs.push((v.name.clone(), v.value.clone()));
            }
        }
    }
    (dateformat, specs)
}

/// Parses `notice,warning,verbose(3)`; `*` takes every level.
fn parse_levels(levels: &str) -> (u32, Option<u32>) {
    let mut mask = 0;
    let mut verbosity = None;
    // A `[format]` prefix (e.g. `[json]notice`) selects a format; plain is the default.
    let levels = match levels.trim().strip_prefix('[') {
        Some(rest) => rest.split_once(']').map(|(_, r)| r).unwrap_or(""),
        None => levels,
    };
    for word in levels.split(',') {
        let w = word.trim().to_ascii_lowercase();
        let (name, arg) = match w.split_once('(') {
            Some((n, a)) => (
                n.trim().to_string(),
                Some(a.trim_end_matches(')').trim().to_string()),
            ),
            None => (w.clone(), None),
        };
        mask |= match name.as_str() {
            "debug" | "trace" => Level::Debug.bit(),
            "notice" => Level::Notice.bit(),
            "warning" => Level::Warning.bit(),
            "error" => Level::Error.bit(),
            "verbose" => {
                verbosity = arg.and_then(|a| a.parse().ok());
                Level::Verbose(0).bit()
            }
            "dtmf" => Level::Dtmf.bit(),
            "security" => Level::Security.bit(),
            "*" => u32::MAX,
            _ => 0,
        };
    }
    (mask, verbosity)
}

/// Formats now with an Asterisk dateformat (strftime, plus `%q`/`%<n>q` for
/// fractions of a second).
pub fn format_date(fmt: &str) -> String {
    let now = chrono::Local::now();
    let mut f = String::with_capacity(fmt.len());
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            f.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(d @ '1'..='6') => {
                chars.next();
                if chars.peek() == Some(&'q') {
                    chars.next();
                    f.push_str(&format!("%{d}f"));
                } else {
                    f.push('%');
                    f.push(d);
                }
            }
            Some('q') => {
                chars.next();
                f.push_str("%6f");
            }
            Some(o) => {
                chars.next();
                f.push('%');
                f.push(o);
            }
            None => f.push('%'),
        }
    }
    let mut out = String::new();
    if std::fmt::Write::write_fmt(&mut out, format_args!("{}", now.format(&f))).is_err() {
        return now.format("%b %e %T").to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        let (mask, v) = parse_levels("notice,warning,error,verbose(3)");
        assert_eq!(v, Some(3));
        assert_ne!(mask & Level::Verbose(1).bit(), 0);
        assert_eq!(mask & Level::Debug.bit(), 0);
    }

    #[test]
    fn date_fraction() {
        let s = format_date("%T.%3q");
        assert_eq!(s.len(), "12:00:00.000".len());
    }
}
