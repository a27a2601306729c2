//! The logger (Asterisk's `main/logger.c`): log channels from logger.conf,
//! Asterisk's line format, and the verbose levels operators know.
//!
//! File lines look like Asterisk's:
//! `[2026-11-22 06:58:39] VERBOSE[17032][C-00000001] pbx.c: Executing [...]`.
//! Console lines carry the verbose prefix (`    -- `) instead of the header;
//! warnings, notices and errors on a console name the C line and function
//! that logs them: `[date] WARNING[lwp][C-…]: pbx.c:2813 pbx_extension_helper: …`.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::views::logger::{LogChannelKind, LoggerConf, RotateStrategy};

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

/// One of each level, for building channel masks.
const ALL_LEVELS: [Level; 7] = [
    Level::Debug,
    Level::Notice,
    Level::Warning,
    Level::Error,
    Level::Verbose(0),
    Level::Dtmf,
    Level::Security,
];

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
        0 => "",
        1 => " ",
        2 => "  == ",
        3 => "    -- ",
        4 => "       > ",
        5 => "        > ",
        6 => "         > ",
        7 => "          > ",
        8 => "           > ",
        9 => "            > ",
        _ => "             > ",
    }
}

/// A verbose message as consoles receive it: each line starts with the
/// byte `-(level + 1)` (levels above 9 share one), so the console can put
/// its own prefix in front and `-rx` can leave the line out.
pub fn verbose_magic(level: u32, message: &str) -> Vec<u8> {
    let magic = (-(level.min(9) as i8) - 1) as u8;
    let mut b = Vec::with_capacity(message.len() + 2);
    for part in message.split('\n') {
        b.push(magic);
        b.extend_from_slice(&crate::core::raw::encode(part));
        b.push(b'\n');
    }
    b
}

/// The level a console line's magic byte stands for, if it has one.
pub fn magic_level(byte: u8) -> Option<u32> {
    let b = byte as i8;
    (b < 0).then(|| (-(b as i32) - 1) as u32)
}

#[derive(Debug)]
enum Sink {
    Console,
    File {
        path: PathBuf,
        file: Option<File>,
    },
    /// `syslog.<facility>`: the facility's code, already shifted
    /// (`LOG_LOCAL0` is `16 << 3`).
    Syslog {
        facility: u32,
    },
}

/// Where glibc's `syslog()` sends its messages.
pub const SYSLOG_PATH: &str = "/dev/log";

/// `ast_syslog_facility` (main/syslog.c): a facility's code by name, any
/// case; `security` is `auth`.
pub fn syslog_facility(name: &str) -> Option<u32> {
    const MAP: &[(&str, u32)] = &[
        ("user", 1),
        ("local0", 16),
        ("local1", 17),
        ("local2", 18),
        ("local3", 19),
        ("local4", 20),
        ("local5", 21),
        ("local6", 22),
        ("local7", 23),
        ("kern", 0),
        ("mail", 2),
        ("daemon", 3),
        ("auth", 4),
        ("security", 4),
        ("authpriv", 10),
        ("syslog", 5),
        ("ftp", 11),
        ("lpr", 6),
        ("news", 7),
        ("uucp", 8),
        ("cron", 9),
    ];
    MAP.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, code)| code << 3)
}

/// `ast_syslog_priority_from_loglevel`: debug, verbose and DTMF go out as
/// `LOG_DEBUG`, levels registered at run time (SECURITY) as `LOG_NOTICE`.
fn syslog_priority(level: Level) -> u32 {
    match level {
        Level::Debug | Level::Verbose(_) | Level::Dtmf => 7,
        Level::Notice | Level::Security => 5,
        Level::Warning => 4,
        Level::Error => 3,
    }
}

/// The process's connection to the system logger, as glibc's `openlog`
/// keeps one: a datagram socket connected to `/dev/log`, opened on first
/// use and again after it failed. Nothing here waits: a missing or full
/// logger loses the message.
#[derive(Debug)]
struct SyslogSocket {
    path: PathBuf,
    socket: Option<std::os::unix::net::UnixDatagram>,
}

impl SyslogSocket {
    fn connect(&mut self) -> bool {
        if self.socket.is_none() {
            let Ok(s) = std::os::unix::net::UnixDatagram::unbound() else {
                return false;
            };
            if s.set_nonblocking(true).is_err() || s.connect(&self.path).is_err() {
                return false;
            }
            self.socket = Some(s);
        }
        true
    }

    /// Sends one datagram; after a failed send (syslogd restarted) it
    /// reconnects once and tries again, as glibc does.
    fn send(&mut self, datagram: &[u8]) {
        for _ in 0..2 {
            if !self.connect() {
                return;
            }
            let Some(s) = &self.socket else { return };
            match s.send(datagram) {
                Ok(_) => return,
                // Full: the logger is behind; the message is lost, the
                // connection is fine.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(_) => self.socket = None,
            }
        }
    }
}

/// The datagram glibc's `syslog(pri, "%s", line)` sends after
/// `openlog("asterisk", LOG_PID, …)`: `<PRI>Mmm dd hh:mm:ss
/// asterisk[pid]: line`, the time in local time with C-locale month names
/// and the day padded with a space.
fn syslog_datagram(pri: u32, time: std::time::SystemTime, pid: u32, line: &str) -> String {
    format!(
        "<{pri}>{} asterisk[{pid}]: {line}",
        format_time(time, "%b %e %T")
    )
}

/// `format_log_default` for a syslog channel:
/// `LEVEL[lwp][C-…]: file:line in function: message`, verbose messages
/// too; the message keeps its newline.
fn syslog_line(rec: &Record<'_>, lwp: u32, callid: &str) -> String {
    let site = &rec.site;
    format!(
        "{}[{lwp}]{callid}: {}:{} in {}: {}\n",
        rec.level.name(),
        site.file,
        site.line,
        site.function,
        rec.message
    )
}

/// `term_strip` (main/term.c) as logger.c calls it, in place on the
/// formatted line: from each ESC through the next `m` is dropped. An
/// ESC with no `m` after it ends the copy without ending the string, so
/// the bytes already in the buffer from there on remain, as in C.
pub fn term_strip(line: &str) -> String {
    const ESC: u8 = 0x1b;
    let bytes = line.as_bytes();
    if !bytes.contains(&ESC) {
        return line.to_string();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == ESC {
            match bytes[i..].iter().position(|&b| b == b'm') {
                Some(m) => i += m + 1,
                None => {
                    // The in-place buffer still holds the original here.
                    let kept = out.len();
                    out.extend_from_slice(&bytes[kept..]);
                    break;
                }
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug)]
struct LogChannel {
    mask: u32,
    /// `verbose(N)`; `None` follows the global verbosity.
    verbosity: Option<u32>,
    sink: Sink,
}

/// Where Asterisk logs a message from: what `__FILE__` (the bare file
/// name, as each file is compiled from its own directory), `__LINE__` and
/// `__FUNCTION__` give at its `ast_log` call (Asterisk 20.20.1), so our
/// lines name the same place an operator or a script would see.
///
/// `line` is the line the `LOG_WARNING`/`LOG_NOTICE`/`LOG_ERROR` token is
/// on: that object-like macro expands to `__FILE__, __LINE__,
/// __FUNCTION__`, and GCC gives `__LINE__` the line of the token that
/// expanded it, also when the call spans several lines. A verbose
/// message's line is that of its `ast_verb(`/`ast_verbose(` call (the
/// macro's `_A_` expands there).
///
/// A message Asterisk does not have (one only Asterism logs) names the
/// Asterisk file and function whose role it plays (the one that would log
/// it in Asterisk's layout) with line 0: a made-up number would look like
/// a real one. The console then leaves the number out, as Asterisk's does
/// for a line of 0 (`file.c: function: message`).
///
/// The Log() application logs from `Ext. <exten>`, line = priority,
/// function = `@ <context>`, as app_verbose.c passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site<'a> {
    pub file: &'a str,
    pub function: &'a str,
    pub line: u32,
}

/// `site!(file, line, function)`: a `&Site` for a logging call.
#[macro_export]
macro_rules! site {
    ($file:expr, $line:expr, $function:expr) => {
        &$crate::core::logger::Site {
            file: $file,
            line: $line,
            function: $function,
        }
    };
}

/// A message worked out before it can be logged (a parser collects its
/// warnings, the caller that has the channel logs them), with the place
/// Asterisk logs it from, so the line names that place and not the
/// caller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    pub level: Level,
    pub site: Site<'static>,
    pub message: String,
}

/// The message alone, as a file channel shows it.
impl std::fmt::Display for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Deferred {
    /// A warning.
    pub fn new(site: &Site<'static>, message: impl Into<String>) -> Deferred {
        Deferred::at(Level::Warning, site, message)
    }

    pub fn at(level: Level, site: &Site<'static>, message: impl Into<String>) -> Deferred {
        Deferred {
            level,
            site: *site,
            message: message.into(),
        }
    }
}

/// One line handed to the logger.
pub struct Record<'a> {
    pub level: Level,
    /// Where Asterisk logs it from.
    pub site: Site<'a>,
    pub callid: Option<u32>,
    pub message: &'a str,
}

tokio::task_local! {
    /// The call id of the call the current task works for, so lines logged
    /// deep inside a call carry `[C-…]` without threading it through.
    pub static CALLID: u32;
}

/// The call id of the current task, if it serves a call (0: none, see
/// [`off_call`]).
pub fn current_callid() -> Option<u32> {
    CALLID.try_with(|c| *c).ok().filter(|&c| c != 0)
}

/// Runs `f` as a thread that serves no call would: what it logs carries
/// no call id (a message res_pjsip logs from a session's serializer
/// rather than from the channel's own thread).
pub fn off_call<R>(f: impl FnOnce() -> R) -> R {
    CALLID.sync_scope(0, f)
}

pub struct Logger {
    channels: Mutex<Vec<LogChannel>>,
    dateformat: Mutex<String>,
    /// `option_verbose`: asterisk.conf `verbose`, `-v`, `core set verbose`.
    pub option_verbose: AtomicU32,
    /// Write to stdout as a foreground console (`-c`).
    console_enabled: std::sync::atomic::AtomicBool,
    /// Remote consoles (`asterisk -r`) that get the console channel's
    /// messages. A console that does not keep up loses messages rather
    /// than slow the call that logs them.
    remote: Mutex<Vec<RemoteSink>>,
    /// The system logger's socket, shared by every syslog channel.
    syslog: Mutex<SyslogSocket>,
}

/// How many messages wait for a slow remote console before new ones are
/// dropped.
pub const REMOTE_QUEUE: usize = 1024;

/// One remote console's own settings, as Asterisk keeps them per
/// connection: its verbose level (0 when it connects) and whether it is
/// muted (it is until its client sends `logger mute silent`).
#[derive(Debug)]
pub struct RemoteConsole {
    verbose: AtomicU32,
    muted: AtomicBool,
}

impl RemoteConsole {
    pub fn verbose(&self) -> u32 {
        self.verbose.load(Ordering::Relaxed)
    }

    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }
}

struct RemoteSink {
    console: Arc<RemoteConsole>,
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
}

/// The console a CLI command is typed on: the foreground one (`-c`),
/// whose verbose level is the core's, or a remote one.
#[derive(Debug, Clone)]
pub enum Console {
    Root,
    Remote(Arc<RemoteConsole>),
}

thread_local! {
    static CURRENT_CONSOLE: RefCell<Option<Console>> = const { RefCell::new(None) };
}

/// Runs `f` (a CLI command) on behalf of `console`, so `core set verbose`
/// and `logger mute` know whose settings to change.
pub fn with_console<R>(console: Console, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT_CONSOLE.with(|c| c.replace(Some(console)));
    let result = f();
    CURRENT_CONSOLE.with(|c| *c.borrow_mut() = previous);
    result
}

/// The console the running command was typed on, if any (AMI's Command
/// action and call files have none).
pub fn current_console() -> Option<Console> {
    CURRENT_CONSOLE.with(|c| c.borrow().clone())
}

impl Logger {
    /// Builds the logger from logger.conf's view.
    pub fn new(conf: &LoggerConf, logdir: &Path, option_verbose: u32) -> Logger {
        let logger = Logger {
            channels: Mutex::new(Vec::new()),
            dateformat: Mutex::new(String::new()),
            option_verbose: AtomicU32::new(option_verbose),
            console_enabled: std::sync::atomic::AtomicBool::new(false),
            remote: Mutex::new(Vec::new()),
            syslog: Mutex::new(SyslogSocket {
                path: PathBuf::from(SYSLOG_PATH),
                socket: None,
            }),
        };
        logger.apply(conf, logdir);
        logger
    }

    /// Sends syslog channels' messages to another socket than
    /// `/dev/log` (tests).
    pub fn set_syslog_path(&self, path: &Path) {
        let mut s = lock(&self.syslog);
        s.path = path.to_path_buf();
        s.socket = None;
    }

    pub fn set_console(&self, on: bool) {
        self.console_enabled.store(on, Ordering::Relaxed);
    }

    /// Attaches a remote console, muted and with verbose off as Asterisk
    /// starts each connection; its messages arrive on the receiver,
    /// verbose ones marked as Asterisk marks them (a first byte of
    /// `-(level + 1)`), until [`Logger::detach_remote`] or the receiver
    /// is dropped.
    pub fn attach_remote(&self) -> (Arc<RemoteConsole>, tokio::sync::mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = tokio::sync::mpsc::channel(REMOTE_QUEUE);
        let console = Arc::new(RemoteConsole {
            verbose: AtomicU32::new(0),
            muted: AtomicBool::new(true),
        });
        lock(&self.remote).push(RemoteSink {
            console: console.clone(),
            tx,
        });
        (console, rx)
    }

    /// Forgets a remote console that went away; its level no longer keeps
    /// verbose messages coming.
    pub fn detach_remote(&self, console: &Arc<RemoteConsole>) {
        lock(&self.remote).retain(|r| !Arc::ptr_eq(&r.console, console));
    }

    /// `ast_verb_console_get`: the verbose level of the console the
    /// command runs on; 0 without one.
    pub fn console_verbose(&self) -> u32 {
        match current_console() {
            Some(Console::Root) => self.option_verbose.load(Ordering::Relaxed),
            Some(Console::Remote(c)) => c.verbose(),
            None => 0,
        }
    }

    /// `ast_verb_console_set`: changes only that console's level (the
    /// foreground console's is the core's); without a console, nothing.
    pub fn set_console_verbose(&self, level: u32) {
        match current_console() {
            Some(Console::Root) => self.option_verbose.store(level, Ordering::Relaxed),
            Some(Console::Remote(c)) => c.verbose.store(level, Ordering::Relaxed),
            None => {}
        }
    }

    /// `ast_console_toggle_mute`: mutes or unmutes the remote console the
    /// command runs on and says which it is now; `None` when the command
    /// does not come from a remote console.
    pub fn toggle_console_mute(&self) -> Option<bool> {
        match current_console() {
            Some(Console::Remote(c)) => {
                let muted = !c.muted.load(Ordering::Relaxed);
                c.muted.store(muted, Ordering::Relaxed);
                Some(muted)
            }
            _ => None,
        }
    }

    /// Takes a (re)loaded logger.conf: channels, levels, date format;
    /// files are reopened (`logger reload`).
    pub fn apply(&self, conf: &LoggerConf, logdir: &Path) {
        // res_security_log registers SECURITY when it loads.
        let known = conf.levels(&["SECURITY"]);
        let hostname = conf
            .general
            .appendhostname
            .then(crate::core::daemon::hostname);
        let mut channels = Vec::new();
        // Asterisk calls `openlog` for each syslog channel, in file order;
        // glibc gives a message without a facility (`kern`) the one the
        // last of them named (`kern` names none), `user` if none did.
        let default_facility = conf
            .channels
            .iter()
            .filter_map(|c| match &c.kind {
                LogChannelKind::Syslog { facility } => syslog_facility(facility),
                _ => None,
            })
            .filter(|&f| f != 0)
            .last()
            .unwrap_or(1 << 3);
        for c in &conf.channels {
            let sink = match &c.kind {
                LogChannelKind::Console => Sink::Console,
                LogChannelKind::Syslog { facility } => {
                    let Some(facility) = syslog_facility(facility) else {
                        continue;
                    };
                    Sink::Syslog {
                        facility: if facility == 0 {
                            default_facility
                        } else {
                            facility
                        },
                    }
                }
                LogChannelKind::File => {
                    let Some(path) = c.file_path(logdir, hostname.as_deref()) else {
                        continue;
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
                }
            };
            let mask = ALL_LEVELS
                .iter()
                .filter(|l| c.takes(l.name(), &known))
                .fold(0, |m, l| m | l.bit());
            channels.push(LogChannel {
                mask,
                verbosity: c.verbosity,
                sink,
            });
        }
        *lock(&self.dateformat) = conf.general.dateformat.clone();
        *lock(&self.channels) = channels;
    }

    /// `ast_logger_rotate`: every open log file is closed and moved aside
    /// as logger.conf's `rotatestrategy` says, then the channels are set
    /// up again (files reopened).
    pub fn rotate(&self, conf: &LoggerConf, logdir: &Path) {
        let open: Vec<PathBuf> = lock(&self.channels)
            .iter_mut()
            .filter_map(|c| match &mut c.sink {
                Sink::File { path, file } => file.take().map(|_| path.clone()),
                Sink::Console | Sink::Syslog { .. } => None,
            })
            .collect();
        for path in open {
            rotate_file(&path, conf.general.rotatestrategy);
        }
        self.apply(conf, logdir);
    }

    /// The level verbose messages must reach to be produced at all
    /// (`ast_verb_sys_level`): the highest of the core's, each remote
    /// console's and each log channel's.
    pub fn verbose_sys_level(&self) -> u32 {
        let mut level = self.option_verbose.load(Ordering::Relaxed);
        for r in lock(&self.remote).iter() {
            level = level.max(r.console.verbose());
        }
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
        // File and syslog lines lose terminal colours (term_strip), of
        // every level; console lines keep them.
        let line = term_strip(&format!(
            "[{date}] {}[{}]{callid} {}: {}\n",
            rec.level.name(),
            std::process::id(),
            rec.site.file,
            rec.message
        ));
        let console_on = self.console_enabled.load(Ordering::Relaxed);
        let mut channels = lock(&self.channels);
        for c in channels.iter_mut() {
            if c.mask & rec.level.bit() == 0 {
                continue;
            }
            match &mut c.sink {
                Sink::Console => self.to_consoles(&rec, &date, &callid, console_on),
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
                        if f.write_all(&crate::core::raw::encode(&line)).is_err() {
                            *file = None;
                        }
                    }
                }
                Sink::Syslog { facility } => {
                    let line = term_strip(&syslog_line(&rec, std::process::id(), &callid));
                    let datagram = syslog_datagram(
                        *facility | syslog_priority(rec.level),
                        std::time::SystemTime::now(),
                        std::process::id(),
                        &line,
                    );
                    lock(&self.syslog).send(&crate::core::raw::encode(&datagram));
                }
            }
        }
    }

    /// The console channel: the foreground console shows verbose messages
    /// up to the core's level; each unmuted remote console gets those up
    /// to its own level, queued without waiting.
    fn to_consoles(&self, rec: &Record<'_>, date: &str, callid: &str, console_on: bool) {
        let verbose = match rec.level {
            Level::Verbose(n) => Some(n),
            _ => None,
        };
        let line = || console_line(rec, date, std::process::id(), callid);
        if console_on && verbose.is_none_or(|n| n <= self.option_verbose.load(Ordering::Relaxed)) {
            let text = match verbose {
                Some(n) => format!("{}{}\n", verbose_prefix(n), rec.message),
                None => line(),
            };
            let _ = std::io::stdout().write_all(&crate::core::raw::encode(&text));
        }
        let mut remote = lock(&self.remote);
        if remote.is_empty() {
            return;
        }
        let bytes = match verbose {
            Some(n) => verbose_magic(n, rec.message),
            None => crate::core::raw::encode(&line()).into_owned(),
        };
        remote.retain(|r| {
            if r.console.muted() || verbose.is_some_and(|n| n > r.console.verbose()) {
                return !r.tx.is_closed();
            }
            match r.tx.try_send(bytes.clone()) {
                Ok(()) | Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => true,
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// `ast_verb`: the site is where Asterisk's `ast_verb` call starts,
    /// as its `_A_` expands there; syslog channels print it.
    pub fn verbose(&self, level: u32, site: &Site<'_>, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Verbose(level),
            site: *site,
            callid,
            message,
        });
    }

    /// Logs a message that was collected earlier, where Asterisk logs it.
    pub fn deferred(&self, d: &Deferred, callid: Option<u32>) {
        self.log(Record {
            level: d.level,
            site: d.site,
            callid,
            message: &d.message,
        });
    }

    pub fn warning(&self, site: &Site<'_>, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Warning,
            site: *site,
            callid,
            message,
        });
    }

    pub fn notice(&self, site: &Site<'_>, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Notice,
            site: *site,
            callid,
            message,
        });
    }

    pub fn error(&self, site: &Site<'_>, callid: Option<u32>, message: &str) {
        self.log(Record {
            level: Level::Error,
            site: *site,
            callid,
            message,
        });
    }
}

use super::lock;

/// `format_log_default`'s console line (colours off) for a message that is
/// not verbose: `[date] LEVEL[lwp][C-…]: file:line function: message`.
/// An empty file, a line of 0 or an empty function leave their part out
/// but keep the spaces around it, as Asterisk's format string does.
fn console_line(rec: &Record<'_>, date: &str, lwp: u32, callid: &str) -> String {
    let site = &rec.site;
    let colon = |s: &str| if s.is_empty() { "" } else { ":" };
    let line = if site.line > 0 {
        site.line.to_string()
    } else {
        String::new()
    };
    format!(
        "[{date}] {}[{lwp}]{callid}: {}{}{line} {}{} {}\n",
        rec.level.name(),
        site.file,
        colon(site.file),
        site.function,
        colon(site.function),
        rec.message
    )
}

/// Formats now with an Asterisk dateformat (`ast_strftime`: strftime,
/// plus `%q`/`%<n>q` for fractions of a second), in local time.
pub fn format_date(fmt: &str) -> String {
    format_time(std::time::SystemTime::now(), fmt)
}

/// [`format_date`] for any moment.
pub fn format_time(t: std::time::SystemTime, fmt: &str) -> String {
    let now = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::core::tz::localtime(now.as_secs() as i64, now.subsec_micros() as i64, None)
        .and_then(|tm| crate::funcs::time::ast_strftime(fmt.as_bytes(), &tm))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_come_from_the_view() {
        use crate::config::views::View;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::config::loader::load_str(
            "logger.conf",
            "[general]\ndateformat=%F\n[logfiles]\nfull => notice,warning,error,verbose(3)\nsyslog.local0 => *\n",
            &crate::config::LoadOptions::new(dir.path()),
        )
        .expect("parses");
        let conf = LoggerConf::from_config(&cfg, &mut Vec::new());
        let logger = Logger::new(&conf, dir.path(), 0);
        let channels = lock(&logger.channels);
        assert_eq!(channels.len(), 2);
        assert!(matches!(channels[1].sink, Sink::Syslog { facility: 128 }));
        assert_eq!(channels[0].verbosity, Some(3));
        assert_ne!(channels[0].mask & Level::Verbose(1).bit(), 0);
        assert_eq!(channels[0].mask & Level::Debug.bit(), 0);
        drop(channels);
        assert_eq!(logger.verbose_sys_level(), 3);
        logger.notice(crate::site!("x.c", 0, "f"), None, "hello");
        let text = std::fs::read_to_string(dir.path().join("full")).expect("full");
        assert!(text.contains("] NOTICE["), "{text}");
        assert!(text.trim_end().ends_with("x.c: hello"), "{text}");
    }

    #[test]
    fn remote_consoles_filter_by_their_own_level_and_never_block() {
        use crate::config::views::View;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::config::loader::load_str(
            "logger.conf",
            "[logfiles]\nconsole => notice,warning,error,verbose\n",
            &crate::config::LoadOptions::new(dir.path()),
        )
        .expect("parses");
        let conf = LoggerConf::from_config(&cfg, &mut Vec::new());
        let logger = Logger::new(&conf, dir.path(), 0);
        let (console, mut rx) = logger.attach_remote();
        // Muted and OFF when it connects.
        logger.verbose(1, crate::site!("x.c", 0, "f"), None, "unseen");
        assert!(rx.try_recv().is_err());
        with_console(Console::Remote(console.clone()), || {
            assert_eq!(logger.toggle_console_mute(), Some(false));
            logger.set_console_verbose(2);
        });
        assert_eq!(logger.option_verbose.load(Ordering::Relaxed), 0);
        assert_eq!(logger.verbose_sys_level(), 2);
        logger.verbose(3, crate::site!("x.c", 0, "f"), None, "too deep");
        logger.verbose(2, crate::site!("x.c", 0, "f"), None, "a\nb");
        assert_eq!(rx.try_recv().ok(), Some(b"\xfda\n\xfdb\n".to_vec()));
        assert!(rx.try_recv().is_err());
        // A console that does not read loses what does not fit.
        for i in 0..REMOTE_QUEUE + 10 {
            logger.verbose(1, crate::site!("x.c", 0, "f"), None, &format!("m{i}"));
        }
        let mut n = 0;
        while rx.try_recv().is_ok() {
            n += 1;
        }
        assert_eq!(n, REMOTE_QUEUE);
        drop(rx);
        logger.notice(crate::site!("x.c", 0, "f"), None, "after");
        assert!(lock(&logger.remote).is_empty());
        assert_eq!(logger.verbose_sys_level(), 0);
        // Without a console, `core set verbose` changes nothing.
        logger.set_console_verbose(5);
        assert_eq!(logger.console_verbose(), 0);
    }

    fn record<'a>(level: Level, site: Site<'a>, message: &'a str) -> Record<'a> {
        Record {
            level,
            site,
            callid: None,
            message,
        }
    }

    // Sites below are Asterisk 20.20.1's: main/pbx.c line 2958 in
    // pbx_extension_helper logs "No application ...".
    #[test]
    fn console_line_names_file_line_and_function() {
        let rec = record(
            Level::Warning,
            Site {
                file: "pbx.c",
                function: "pbx_extension_helper",
                line: 2958,
            },
            "No application 'Foo' for extension (default, s, 1)",
        );
        assert_eq!(
            console_line(&rec, "D", 7, "[C-0000002a]"),
            "[D] WARNING[7][C-0000002a]: pbx.c:2958 pbx_extension_helper: No application 'Foo' for extension (default, s, 1)\n"
        );
        assert_eq!(
            console_line(&rec, "D", 7, ""),
            "[D] WARNING[7]: pbx.c:2958 pbx_extension_helper: No application 'Foo' for extension (default, s, 1)\n"
        );
    }

    #[test]
    fn console_line_without_a_line_number_or_function() {
        // has_line false: the number goes, the space after it stays.
        let rec = record(
            Level::Error,
            Site {
                file: "app_dial.c",
                function: "dial_exec_full",
                line: 0,
            },
            "m",
        );
        assert_eq!(
            console_line(&rec, "D", 1, ""),
            "[D] ERROR[1]: app_dial.c: dial_exec_full: m\n"
        );
        let rec = record(Level::Notice, *crate::site!("x.c", 0, ""), "m");
        assert_eq!(console_line(&rec, "D", 1, ""), "[D] NOTICE[1]: x.c:  m\n");
    }

    #[test]
    fn console_line_of_the_log_application() {
        // Log() at priority 3 of extension 100 in context default.
        let rec = record(
            Level::Notice,
            Site {
                file: "Ext. 100",
                function: "@ default",
                line: 3,
            },
            "hi",
        );
        assert_eq!(
            console_line(&rec, "D", 1, "[C-00000001]"),
            "[D] NOTICE[1][C-00000001]: Ext. 100:3 @ default: hi\n"
        );
    }

    #[test]
    fn remote_consoles_get_the_console_form_and_files_the_file_form() {
        use crate::config::views::View;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::config::loader::load_str(
            "logger.conf",
            "[general]\ndateformat=DATE\n[logfiles]\nconsole => warning\nfull => warning\n",
            &crate::config::LoadOptions::new(dir.path()),
        )
        .expect("parses");
        let conf = LoggerConf::from_config(&cfg, &mut Vec::new());
        let logger = Logger::new(&conf, dir.path(), 0);
        let (console, mut rx) = logger.attach_remote();
        with_console(Console::Remote(console), || logger.toggle_console_mute());
        // main/pbx.c line 8931, pbx_parseable_goto.
        let site = crate::site!("pbx.c", 8931, "pbx_parseable_goto");
        let msg = "Goto requires an argument ([[context,]extension,]priority)";
        logger.warning(site, Some(0x2a), msg);
        let pid = std::process::id();
        let got = rx.try_recv().expect("a line");
        assert_eq!(
            String::from_utf8_lossy(&got),
            format!("[DATE] WARNING[{pid}][C-0000002a]: pbx.c:8931 pbx_parseable_goto: {msg}\n")
        );
        let file = std::fs::read_to_string(dir.path().join("full")).expect("full");
        assert_eq!(
            file,
            format!("[DATE] WARNING[{pid}][C-0000002a] pbx.c: {msg}\n")
        );
    }

    #[test]
    fn syslog_channels_send_what_glibc_sends() {
        use crate::config::views::View;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::config::loader::load_str(
            "logger.conf",
            "[general]\ndateformat=DATE\n[logfiles]\nsyslog.local3 => warning,verbose\nsyslog.KERN => error\n",
            &crate::config::LoadOptions::new(dir.path()),
        )
        .expect("parses");
        let conf = LoggerConf::from_config(&cfg, &mut Vec::new());
        let logger = Logger::new(&conf, dir.path(), 3);
        let path = dir.path().join("log");
        // Nothing listens yet: the message is lost, nothing fails.
        logger.set_syslog_path(&path);
        logger.warning(crate::site!("pbx.c", 1, "f"), None, "lost");
        let server = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
        server.set_nonblocking(true).expect("nonblocking");
        let pid = std::process::id();
        let mut buf = [0u8; 1024];
        let mut recv = || {
            let n = server.recv(&mut buf).expect("a datagram");
            let d = String::from_utf8_lossy(&buf[..n]).into_owned();
            // `<PRI>Mmm dd hh:mm:ss ` and then what does not change.
            let (head, rest) = d.split_at(d.find('>').expect("pri") + 1 + 16);
            let stamp = &head[head.len() - 16..];
            assert!(
                stamp.as_bytes()[3] == b' ' && stamp.as_bytes()[12] == b':',
                "{d:?}"
            );
            (head[..head.len() - 16].to_string(), rest.to_string())
        };
        // main/pbx.c line 8931, pbx_parseable_goto; local3 | LOG_WARNING.
        let msg = "Goto requires an argument ([[context,]extension,]priority)";
        logger.warning(
            crate::site!("pbx.c", 8931, "pbx_parseable_goto"),
            Some(0x2a),
            msg,
        );
        assert_eq!(
            recv(),
            (
                "<156>".to_string(),
                format!(
                    "asterisk[{pid}]: WARNING[{pid}][C-0000002a]: pbx.c:8931 in pbx_parseable_goto: {msg}\n"
                )
            )
        );
        // Verbose goes out as LOG_DEBUG, in the same form.
        // main/pbx.c line 2977, pbx_extension_helper.
        logger.verbose(
            3,
            crate::site!("pbx.c", 2977, "pbx_extension_helper"),
            None,
            "Executing [s@default:1] NoOp(\"PJSIP/a\", \"\") in new stack",
        );
        assert_eq!(
            recv(),
            (
                "<159>".to_string(),
                format!(
                    "asterisk[{pid}]: VERBOSE[{pid}]: pbx.c:2977 in pbx_extension_helper: Executing [s@default:1] NoOp(\"PJSIP/a\", \"\") in new stack\n"
                )
            )
        );
        // kern names no facility: glibc uses the one openlog last named.
        logger.error(crate::site!("x.c", 2, "g"), None, "bad");
        assert_eq!(
            recv(),
            (
                "<155>".to_string(),
                format!("asterisk[{pid}]: ERROR[{pid}]: x.c:2 in g: bad\n")
            )
        );
        assert!(server.recv(&mut buf).is_err(), "nothing more");
        // The logger goes away: nothing blocks or fails, and it comes back.
        drop(server);
        std::fs::remove_file(&path).expect("rm");
        logger.warning(crate::site!("x.c", 2, "g"), None, "lost");
        let server = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
        logger.notice(crate::site!("x.c", 2, "g"), None, "notice is not taken");
        logger.warning(crate::site!("x.c", 2, "g"), None, "back");
        let n = server.recv(&mut buf).expect("a datagram");
        assert!(String::from_utf8_lossy(&buf[..n]).ends_with(": x.c:2 in g: back\n"));
    }

    #[test]
    fn term_strip_drops_escapes_through_m() {
        assert_eq!(term_strip("plain"), "plain");
        assert_eq!(term_strip("\x1b[1;31mred\x1b[0m!\n"), "red!\n");
        assert_eq!(term_strip("a\x1bmb"), "ab");
        // No `m` after the ESC: C leaves the rest of its buffer as it was.
        assert_eq!(term_strip("ab\x1b[1"), "ab\x1b[1");
        assert_eq!(term_strip("a\x1b[1mb\x1b[2"), "ab[1mb\x1b[2");
    }

    #[test]
    fn file_and_syslog_channels_strip_colours_consoles_keep_them() {
        use crate::config::views::View;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = crate::config::loader::load_str(
            "logger.conf",
            "[general]\ndateformat=DATE\n[logfiles]\nconsole => verbose,warning\nfull => verbose,warning\nsyslog.local0 => verbose\n",
            &crate::config::LoadOptions::new(dir.path()),
        )
        .expect("parses");
        let conf = LoggerConf::from_config(&cfg, &mut Vec::new());
        let logger = Logger::new(&conf, dir.path(), 3);
        let path = dir.path().join("log");
        logger.set_syslog_path(&path);
        let server = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
        server.set_nonblocking(true).expect("nonblocking");
        let (console, mut rx) = logger.attach_remote();
        with_console(Console::Remote(console), || {
            logger.toggle_console_mute();
            logger.set_console_verbose(3);
        });
        // Verbose(3,\x1b[1;31mred\x1b[0m): app_verbose.c line 112.
        let site = crate::site!("app_verbose.c", 112, "verbose_exec");
        logger.verbose(3, site, None, "\x1b[1;31mred\x1b[0m");
        logger.warning(crate::site!("x.c", 1, "f"), None, "\x1b[33mwarn\x1b[0m");
        let pid = std::process::id();
        let file = std::fs::read_to_string(dir.path().join("full")).expect("full");
        assert_eq!(
            file,
            format!("[DATE] VERBOSE[{pid}] app_verbose.c: red\n[DATE] WARNING[{pid}] x.c: warn\n")
        );
        let mut buf = [0u8; 1024];
        let n = server.recv(&mut buf).expect("a datagram");
        let d = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(d.starts_with("<135>"), "{d:?}");
        assert!(
            d.ends_with(&format!(
                "asterisk[{pid}]: VERBOSE[{pid}]: app_verbose.c:112 in verbose_exec: red\n"
            )),
            "{d:?}"
        );
        assert!(server.recv(&mut buf).is_err(), "warning is not syslog's");
        // The console gets the escapes as they were.
        assert_eq!(
            rx.try_recv().ok(),
            Some(b"\xfc\x1b[1;31mred\x1b[0m\n".to_vec())
        );
        let got = rx.try_recv().expect("the warning");
        assert!(
            String::from_utf8_lossy(&got).ends_with(": x.c:1 f: \x1b[33mwarn\x1b[0m\n"),
            "{got:?}"
        );
    }

    #[test]
    fn syslog_datagram_has_glibcs_header() {
        assert_eq!(syslog_facility("LOCAL0"), Some(128));
        assert_eq!(syslog_facility("security"), Some(32));
        assert_eq!(syslog_facility("nope"), None);
        let t = std::time::UNIX_EPOCH;
        let d = syslog_datagram(131, t, 42, "ERROR[42]: a.c:1 in f: m\n");
        assert!(d.starts_with("<131>"), "{d}");
        assert!(
            d.ends_with(" asterisk[42]: ERROR[42]: a.c:1 in f: m\n"),
            "{d}"
        );
        // Dec 31 or Jan  1 (local time), the day padded with a space.
        let stamp = &d[5..d.len() - " asterisk[42]: ERROR[42]: a.c:1 in f: m\n".len()];
        assert!(
            stamp.starts_with("Jan  1 ") || stamp.starts_with("Dec 31 "),
            "{stamp:?}"
        );
        assert_eq!(stamp.len(), 15);
    }

    #[test]
    fn date_fraction() {
        let s = format_date("%T.%3q");
        assert_eq!(s.len(), "12:00:00.000".len());
    }
}

/// `rotate_file`: moves a log file aside. A failed rename is reported on
/// stderr and the file stays, as in Asterisk.
fn rotate_file(path: &Path, strategy: RotateStrategy) {
    let with = |suffix: String| {
        let mut s = path.as_os_str().to_os_string();
        s.push(suffix);
        PathBuf::from(s)
    };
    let rename = |from: &Path, to: &Path| {
        if std::fs::rename(from, to).is_err() {
            eprintln!(
                "Unable to rename file '{}' to '{}'",
                from.display(),
                to.display()
            );
        }
    };
    match strategy {
        RotateStrategy::None => {}
        RotateStrategy::Sequential => {
            let mut x = 0;
            while with(format!(".{x}")).exists() {
                x += 1;
            }
            rename(path, &with(format!(".{x}")));
        }
        RotateStrategy::Timestamp => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            rename(path, &with(format!(".{now}")));
        }
        RotateStrategy::Rotate => {
            // Compressed copies keep their place in the numbering.
            const SUFFIXES: [&str; 4] = ["", ".gz", ".bz2", ".Z"];
            let mut x = 0;
            while SUFFIXES.iter().any(|s| with(format!(".{x}{s}")).exists()) {
                x += 1;
            }
            for y in (1..=x).rev() {
                if let Some(s) = SUFFIXES
                    .iter()
                    .find(|s| with(format!(".{}{s}", y - 1)).exists())
                {
                    rename(&with(format!(".{}{s}", y - 1)), &with(format!(".{y}{s}")));
                }
            }
            rename(path, &with(".0".to_string()));
        }
    }
}
