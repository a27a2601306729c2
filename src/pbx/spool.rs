//! Call files (`pbx/pbx_spool.c`): a file dropped into
//! `<astspooldir>/outgoing` places a call as an Originate does, and waits
//! for it to end. A file whose modification time is in the future waits
//! until then; a call that fails is retried `MaxRetries` times,
//! `RetryTime` seconds apart, the attempts noted in the file itself
//! (`StartRetry:`/`EndRetry:` lines, the file's time moved to the next
//! attempt). Done, the file is deleted, or with `Archive: yes` moved to
//! `outgoing_done` with a `Status:` line.
//!
//! Asterisk learns of new files through inotify; this scanner looks at
//! the directory every [`SCAN_EVERY`] and takes a file once it has seen
//! it unchanged twice (so one still being written is not read half-way),
//! or at once when its time says it was finished before it showed up
//! (moved in, as the documentation advises).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::core::logger::Site;
use crate::core::{System, lock, unix_seconds};
use crate::pbx::originate::{self, Outgoing, Target};

const SCAN_EVERY: Duration = Duration::from_millis(250);

/// One call file as read (`struct outgoing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFile {
    pub tech: String,
    pub dest: String,
    pub app: String,
    pub data: String,
    pub exten: String,
    pub context: String,
    pub priority: i32,
    pub cid_num: String,
    pub cid_name: String,
    pub account: String,
    pub retries: i32,
    pub maxretries: i32,
    pub retrytime: i64,
    pub waittime: i64,
    /// The process attempting the call now (`StartRetry:` without its
    /// `EndRetry:`).
    pub callingpid: i64,
    pub vars: Vec<(String, String)>,
    pub always_delete: bool,
    pub archive: bool,
    pub early_media: bool,
}

impl Default for CallFile {
    fn default() -> Self {
        CallFile {
            tech: String::new(),
            dest: String::new(),
            app: String::new(),
            data: String::new(),
            exten: String::new(),
            context: String::new(),
            priority: 1,
            cid_num: String::new(),
            cid_name: String::new(),
            account: String::new(),
            retries: 0,
            maxretries: 0,
            retrytime: 300,
            waittime: 45,
            callingpid: 0,
            vars: Vec::new(),
            always_delete: true,
            archive: false,
            early_media: false,
        }
    }
}

/// What reading a call file had to say, as Asterisk logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Complaint {
    Notice(u32, String),
    Warning(u32, String),
}

/// `sscanf("%d")` of a line's value.
fn scan_int(v: &str) -> Option<i64> {
    crate::config::views::values::scan_d(v).map(i64::from)
}

impl CallFile {
    /// `apply_outgoing`: reads the file's lines; `Err` (with what was
    /// read, its `Archive` flag included) when it names no channel or
    /// nothing to connect it to (the file is then removed).
    pub fn parse(text: &str, file: &str) -> (Result<CallFile, CallFile>, Vec<Complaint>) {
        let mut o = CallFile::default();
        let mut said = Vec::new();
        for (n, raw) in text.split_inclusive('\n').enumerate() {
            let lineno = n as u32 + 1;
            // Read into a 1024-byte buffer: a longer line is skipped.
            if raw.len() > 1023 {
                said.push(Complaint::Warning(
                    313,
                    format!("Skipping extremely long line at line {lineno} of {file}"),
                ));
                continue;
            }
            o.parse_line(raw, lineno, file, &mut said);
        }
        if o.tech.is_empty() || o.dest.is_empty() || (o.app.is_empty() && o.exten.is_empty()) {
            said.push(Complaint::Warning(
                327,
                format!(
                    "At least one of app or extension must be specified, along with tech and dest in file {file}"
                ),
            ));
            return (Err(o), said);
        }
        o.vars
            .push(("AST_OUTGOING_ATTEMPT".into(), (o.retries + 1).to_string()));
        (Ok(o), said)
    }

    fn parse_line(&mut self, raw: &str, lineno: u32, file: &str, said: &mut Vec<Complaint>) {
        // `#` starts a comment at the line's start or after a blank; `;`
        // anywhere, unless escaped (`\;` keeps a `;`).
        let mut line = String::with_capacity(raw.len());
        let mut prev: Option<char> = None;
        for c in raw.chars() {
            if c == '#' && matches!(prev, None | Some(' ') | Some('\t')) {
                break;
            }
            line.push(c);
            prev = Some(c);
        }
        let mut kept = String::with_capacity(line.len());
        for c in line.chars() {
            if c == ';' {
                if kept.ends_with('\\') {
                    kept.pop();
                } else {
                    break;
                }
            }
            kept.push(c);
        }
        let line = kept.trim_end();
        if line.is_empty() {
            return;
        }
        let Some((key, value)) = line.split_once(':') else {
            said.push(Complaint::Notice(
                208,
                format!("Syntax error at line {lineno} of {file}"),
            ));
            return;
        };
        let v = value.trim_start();
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        let bad_int = |what: &str, at: u32| {
            Complaint::Warning(at, format!("Invalid {what} at line {lineno} of {file}"))
        };
        if is("channel") {
            match v.split_once('/') {
                Some((t, d)) => {
                    self.tech = t.to_string();
                    self.dest = d.to_string();
                }
                None => said.push(Complaint::Notice(
                    224,
                    format!("Channel should be in form Tech/Dest at line {lineno} of {file}"),
                )),
            }
        } else if is("callerid") {
            let (name, num) = crate::config::views::callerid::split(v);
            self.cid_name = name.to_string();
            self.cid_num = num.to_string();
        } else if is("application") {
            self.app = v.to_string();
        } else if is("data") {
            self.data = v.to_string();
        } else if is("maxretries") {
            self.maxretries = match scan_int(v) {
                Some(n) => n as i32,
                None => {
                    said.push(bad_int("max retries", 237));
                    0
                }
            };
        } else if is("codecs") {
            // The channel drivers offer the device's own codecs.
        } else if is("context") {
            self.context = v.to_string();
        } else if is("extension") {
            self.exten = v.to_string();
        } else if is("priority") {
            self.priority = match scan_int(v).filter(|n| *n >= 1) {
                Some(n) => n as i32,
                None => {
                    said.push(bad_int("priority", 248));
                    1
                }
            };
        } else if is("retrytime") {
            self.retrytime = match scan_int(v).filter(|n| *n >= 1) {
                Some(n) => n,
                None => {
                    said.push(bad_int("retrytime", 253));
                    300
                }
            };
        } else if is("waittime") {
            self.waittime = match scan_int(v).filter(|n| *n >= 1) {
                Some(n) => n,
                None => {
                    said.push(bad_int("waittime", 258));
                    45
                }
            };
        } else if is("retry") {
            self.retries += 1;
        } else if is("startretry") {
            self.callingpid = match crate::funcs::c::scan_long(v, 30) {
                Some((n, _)) => n,
                None => {
                    said.push(Complaint::Warning(
                        265,
                        "Unable to retrieve calling PID!".into(),
                    ));
                    0
                }
            };
        } else if is("endretry") || is("abortretry") {
            self.callingpid = 0;
            self.retries += 1;
        } else if is("delayedretry") {
        } else if is("setvar") || is("set") {
            match v.split_once('=') {
                Some((n, val)) => self.vars.push((n.to_string(), val.to_string())),
                None => said.push(Complaint::Warning(
                    279,
                    format!("Malformed \"{key}\" argument.  Should be \"{key}: variable=value\""),
                )),
            }
        } else if is("account") {
            self.account = v.to_string();
        } else if is("alwaysdelete") {
            self.always_delete = crate::config::is_true(v);
        } else if is("archive") {
            self.archive = crate::config::is_true(v);
        } else if is("early_media") {
            self.early_media = crate::config::is_true(v);
        } else {
            said.push(Complaint::Warning(
                290,
                format!("Unknown keyword '{key}' at line {lineno} of {file}"),
            ));
        }
    }

    fn target(&self) -> Target {
        if !self.app.is_empty() {
            Target::Application {
                app: self.app.clone(),
                data: self.data.clone(),
            }
        } else {
            Target::Extension {
                context: self.context.clone(),
                exten: self.exten.clone(),
                priority: self.priority,
            }
        }
    }

    fn outgoing(&self) -> Outgoing {
        Outgoing {
            vars: self.vars.clone(),
            cid_num: Some(self.cid_num.clone()).filter(|n| !n.is_empty()),
            cid_name: Some(self.cid_name.clone()).filter(|n| !n.is_empty()),
            account: Some(self.account.clone()).filter(|a| !a.is_empty()),
            predial: None,
        }
    }
}

fn mtime_secs(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    Some(match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    })
}

fn set_mtime(path: &Path, secs: i64) -> std::io::Result<()> {
    let t = if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH
    };
    let f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.set_times(
        std::fs::FileTimes::new()
            .set_accessed(SystemTime::now())
            .set_modified(t),
    )
}

/// The spool: its directories and the files waiting for their time.
struct Spool {
    sys: Arc<System>,
    qdir: PathBuf,
    donedir: PathBuf,
    /// Files due at a time, in due order (`dirlist`); the same file may
    /// be there more than once, at different times.
    due: Mutex<Vec<(i64, PathBuf)>>,
    /// Files whose call is being attempted.
    running: Mutex<HashSet<PathBuf>>,
}

impl Spool {
    fn notice(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.notice(site, None, msg);
    }

    fn warning(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.warning(site, None, msg);
    }

    /// `queue_file`: a file arrived (`when` 0: at its modification time)
    /// or its time came.
    fn queue_file(self: &Arc<Self>, path: &Path, when: i64) {
        let now = unix_seconds();
        let when = if when == 0 {
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => mtime_secs(&m).unwrap_or(now),
                Ok(_) => return,
                Err(e) => {
                    self.warning(
                        crate::site!("pbx_spool.c", 575, "queue_file"),
                        &format!("Unable to stat {}: {e}", path.display()),
                    );
                    return;
                }
            }
        } else {
            when
        };
        {
            let due = lock(&self.due);
            if due.iter().any(|(t, p)| *t == when && p == path) {
                return;
            }
        }
        let next = if when > now {
            when
        } else {
            self.scan_service(path, now)
        };
        if next > 0 {
            let mut due = lock(&self.due);
            let at = due.iter().position(|(t, _)| *t > next).unwrap_or(due.len());
            due.insert(at, (next, path.to_path_buf()));
        }
    }

    fn is_tracked(&self, path: &Path) -> bool {
        lock(&self.running).contains(path) || lock(&self.due).iter().any(|(_, p)| p == path)
    }

    /// `scan_service`: reads the file and starts an attempt if it has
    /// attempts left. Returns when to look at it again (0: not again).
    fn scan_service(self: &Arc<Self>, path: &Path, now: i64) -> i64 {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    self.warning(
                        crate::site!("pbx_spool.c", 505, "scan_service"),
                        &format!(
                            "Unable to open {name}: '{e}'({}), deleting",
                            e.raw_os_error().unwrap_or(0)
                        ),
                    );
                }
                self.remove_from_queue(path, &CallFile::default(), "Failed");
                return -1;
            }
        };
        let (parsed, said) = CallFile::parse(&text, &name);
        for c in said {
            match c {
                Complaint::Notice(line, m) => {
                    self.notice(crate::site!("pbx_spool.c", line, "parse_line"), &m)
                }
                Complaint::Warning(line, m) => {
                    self.warning(crate::site!("pbx_spool.c", line, "parse_line"), &m)
                }
            }
        }
        let mut o = match parsed {
            Ok(o) => o,
            Err(o) => {
                self.warning(
                    crate::site!("pbx_spool.c", 517, "scan_service"),
                    &format!("Invalid file contents in {name}, deleting"),
                );
                self.remove_from_queue(path, &o, "Failed");
                return -1;
            }
        };
        if o.retries <= o.maxretries {
            let next = now + o.retrytime;
            let me = i64::from(std::process::id());
            if o.callingpid != 0 && o.callingpid == me {
                // Still being attempted by us: look again later.
                safe_append(path, &o, unix_seconds(), "DelayedRetry");
            } else {
                o.retries += 1;
                if o.callingpid != 0 {
                    safe_append(path, &o, unix_seconds(), "AbortRetry");
                }
                safe_append(path, &o, next, "StartRetry");
                self.launch(path.to_path_buf(), o);
            }
            return next;
        }
        self.expired(path, &o, crate::site!("pbx_spool.c", 544, "scan_service"));
        0
    }

    fn expired(&self, path: &Path, o: &CallFile, site: &Site<'_>) {
        let n = o.retries - 1;
        self.notice(
            site,
            &format!(
                "Queued call to {}/{} expired without completion after {n} attempt{}",
                o.tech,
                o.dest,
                if n != 1 { "s" } else { "" }
            ),
        );
        self.remove_from_queue(path, o, "Expired");
    }

    /// `attempt_thread`: places the call and waits for it to end.
    fn launch(self: &Arc<Self>, path: PathBuf, o: CallFile) {
        let spool = self.clone();
        lock(&self.running).insert(path.clone());
        tokio::spawn(async move {
            let sys = spool.sys.clone();
            let tech_data = format!("{}/{}", o.tech, o.dest);
            let target = o.target();
            let out = o.outgoing();
            match &target {
                Target::Application { app, data } => sys.pbx.logger.verbose(
                    3,
                    crate::site!("pbx_spool.c", 436, "attempt_thread"),
                    None,
                    &format!(
                        "Attempting call on {tech_data} for application {app}({data}) (Retry {})",
                        o.retries
                    ),
                ),
                Target::Extension {
                    context,
                    exten,
                    priority,
                } => sys.pbx.logger.verbose(
                    3,
                    crate::site!("pbx_spool.c", 442, "attempt_thread"),
                    None,
                    &format!(
                        "Attempting call on {tech_data} for {exten}@{context}:{priority} (Retry {})",
                        o.retries
                    ),
                ),
            }
            let timeout = Duration::from_secs(o.waittime.max(0) as u64);
            let res = originate::originate_complete(
                sys.clone(),
                &tech_data,
                target.clone(),
                timeout,
                &out,
                o.early_media,
            )
            .await;
            match res {
                Ok(()) => {
                    lock(&spool.running).remove(&path);
                    spool.notice(
                        crate::site!("pbx_spool.c", 463, "attempt_thread"),
                        &format!("Call completed to {tech_data}"),
                    );
                    spool.remove_from_queue(&path, &o, "Completed");
                }
                Err(e) => {
                    let reason = e.reason();
                    e.release(&sys);
                    if let Target::Extension { context, .. } = &target {
                        originate::run_failed_extension(&sys, context, reason, &out).await;
                    }
                    spool.notice(
                        crate::site!("pbx_spool.c", 450, "attempt_thread"),
                        &format!(
                            "Call failed to go through, reason ({reason}) {}",
                            reason_text(reason)
                        ),
                    );
                    lock(&spool.running).remove(&path);
                    if o.retries >= o.maxretries + 1 {
                        spool.expired(
                            &path,
                            &o,
                            crate::site!("pbx_spool.c", 453, "attempt_thread"),
                        );
                    } else {
                        let now = unix_seconds();
                        safe_append(&path, &o, now, "EndRetry");
                        spool.queue_file(&path, now + o.retrytime);
                    }
                }
            }
        });
    }

    /// `remove_from_queue`: deletes the file, or archives it with its
    /// status. A file whose time was moved into the future is left alone
    /// unless `AlwaysDelete` (the default).
    fn remove_from_queue(&self, path: &Path, o: &CallFile, status: &str) {
        if !o.always_delete {
            if let Some(t) = std::fs::metadata(path).ok().as_ref().and_then(mtime_secs) {
                if unix_seconds() < t {
                    return;
                }
            }
        }
        lock(&self.due).retain(|(_, p)| p != path);
        if !o.archive {
            let _ = std::fs::remove_file(path);
            return;
        }
        if let Err(e) = std::fs::create_dir_all(&self.donedir) {
            self.warning(
                crate::site!("pbx_spool.c", 402, "remove_from_queue"),
                &format!(
                    "Unable to create queue directory {} -- outgoing spool archiving disabled ({e})",
                    self.donedir.display()
                ),
            );
            let _ = std::fs::remove_file(path);
            return;
        }
        let Some(base) = path.file_name() else {
            return;
        };
        let done = self.donedir.join(base);
        let _ = std::fs::remove_file(&done);
        if std::fs::rename(path, &done).is_err() {
            let _ = std::fs::remove_file(path);
            return;
        }
        // Appended once out of the watched directory.
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&done) {
            use std::io::Write as _;
            let _ = writeln!(f, "Status: {status}");
        }
    }
}

/// `ast_channel_reason2str` of an originate's reason.
fn reason_text(reason: u32) -> &'static str {
    match reason {
        0 => "Call Failure (not BUSY, and not NO_ANSWER, maybe Circuit busy or down?)",
        1 => "Remote end has hung up",
        3 => "Remote end is ringing",
        4 => "Remote end has answered",
        5 => "Remote end is busy",
        8 => "Congestion (circuits busy)",
        _ => "Unknown Reason!!",
    }
}

/// `safe_append`: notes an attempt in the file with the time given, and
/// moves the file's time a retry time past it.
fn safe_append(path: &Path, o: &CallFile, now: i64, what: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
        use std::io::Write as _;
        let _ = write!(
            f,
            "\n{what}: {} {} ({now})\n",
            std::process::id(),
            o.retries
        );
    }
    let _ = set_mtime(path, now + o.retrytime);
}

/// Starts the spool scanner when pbx_spool is loaded (`load_module`).
pub fn start(sys: &Arc<System>) {
    if !crate::core::modules::is_loaded(sys, "pbx_spool") {
        return;
    }
    let qdir = sys.conf.dirs.spool.join("outgoing");
    let donedir = sys.conf.dirs.spool.join("outgoing_done");
    if let Err(e) = std::fs::create_dir_all(&qdir) {
        sys.pbx.logger.warning(
            crate::site!("pbx_spool.c", 952, "load_module"),
            None,
            &format!(
                "Unable to create queue directory {} -- outgoing spool disabled ({e})",
                qdir.display()
            ),
        );
        return;
    }
    let spool = Arc::new(Spool {
        sys: sys.clone(),
        qdir,
        donedir,
        due: Mutex::new(Vec::new()),
        running: Mutex::new(HashSet::new()),
    });
    tokio::spawn(scan(spool));
}

/// What a directory entry looked like at the last scan.
type Seen = (u64, Option<SystemTime>, u64);

fn seen(meta: &std::fs::Metadata) -> Seen {
    use std::os::unix::fs::MetadataExt as _;
    (meta.ino(), meta.modified().ok(), meta.len())
}

async fn scan(spool: Arc<Spool>) {
    // Files there at start are all taken (`scan_thread`'s first readdir).
    let mut known: HashMap<PathBuf, Seen> = HashMap::new();
    let mut waiting: HashMap<PathBuf, Seen> = HashMap::new();
    for (path, meta) in entries(&spool.qdir) {
        known.insert(path.clone(), seen(&meta));
        spool.queue_file(&path, 0);
    }
    let mut tick = tokio::time::interval(SCAN_EVERY);
    loop {
        tick.tick().await;
        let mut present = HashSet::new();
        for (path, meta) in entries(&spool.qdir) {
            present.insert(path.clone());
            let now_seen = seen(&meta);
            // The same file as before: nothing new. A changed one not in
            // our hands (a new file reusing a name, or an inode) is new.
            if known.get(&path) == Some(&now_seen) {
                continue;
            }
            // Ours to look after (being attempted, or waiting for its
            // time): its changes are our own notes.
            if spool.is_tracked(&path) {
                known.insert(path, now_seen);
                continue;
            }
            // A new file: taken once it stopped changing, or at once when
            // its time is older than this scan's period (moved in whole).
            let settled = waiting.get(&path) == Some(&now_seen)
                || meta
                    .modified()
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age > SCAN_EVERY * 2);
            if settled {
                waiting.remove(&path);
                known.insert(path.clone(), now_seen);
                spool.queue_file(&path, 0);
            } else {
                waiting.insert(path, now_seen);
            }
        }
        known.retain(|p, _| present.contains(p));
        waiting.retain(|p, _| present.contains(p));
        // Entries whose time has come (`dirlist`'s head).
        let now = unix_seconds();
        loop {
            let next = {
                let mut due = lock(&spool.due);
                match due.first() {
                    Some((t, _)) if *t <= now => Some(due.remove(0)),
                    _ => None,
                }
            };
            let Some((t, path)) = next else {
                break;
            };
            spool.queue_file(&path, t);
        }
    }
}

/// The regular files in `dir`.
fn entries(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let meta = std::fs::metadata(&path).ok()?;
            meta.is_file().then_some((path, meta))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_file_reads_as_asterisk_reads_it() {
        let text = "Channel: Local/600@internal\nContext: internal\nExtension: 602\nPriority: 1\n\
                    CallerID: \"CallFile\" <7777>\nMaxRetries: 2\nWaitTime: 20 ; a comment\n\
                    SetVar: CF_VAR=from_callfile\nSet: A=b\\;c\n# all a comment\nArchive: yes\n\
                    RetryTime: x\nBogus: 1\nno colon here\n\nStartRetry: 4242 1 (1700000000)\n";
        let (o, said) = CallFile::parse(text, "/s/outgoing/t.call");
        let o = o.expect("valid");
        assert_eq!(
            (o.tech.as_str(), o.dest.as_str()),
            ("Local", "600@internal")
        );
        assert_eq!(
            (o.context.as_str(), o.exten.as_str(), o.priority),
            ("internal", "602", 1)
        );
        assert_eq!(
            (o.cid_name.as_str(), o.cid_num.as_str()),
            ("CallFile", "7777")
        );
        assert_eq!((o.maxretries, o.waittime, o.retrytime), (2, 20, 300));
        assert!(o.archive && o.always_delete);
        assert_eq!(o.callingpid, 4242);
        assert_eq!(
            o.vars,
            vec![
                ("CF_VAR".to_string(), "from_callfile".to_string()),
                ("A".to_string(), "b;c".to_string()),
                ("AST_OUTGOING_ATTEMPT".to_string(), "1".to_string()),
            ]
        );
        assert_eq!(
            said,
            vec![
                Complaint::Warning(
                    253,
                    "Invalid retrytime at line 12 of /s/outgoing/t.call".into()
                ),
                Complaint::Warning(
                    290,
                    "Unknown keyword 'Bogus' at line 13 of /s/outgoing/t.call".into()
                ),
                Complaint::Notice(208, "Syntax error at line 14 of /s/outgoing/t.call".into()),
            ]
        );
    }

    #[test]
    fn attempts_noted_in_the_file_count_as_retries() {
        let text = "Channel: SIP/1001\nApplication: Wait\nData: 1\n\
                    StartRetry: 10 1 (1)\nEndRetry: 10 1 (2)\nStartRetry: 10 2 (3)\n";
        let (o, _) = CallFile::parse(text, "f");
        let o = o.expect("valid");
        assert_eq!((o.retries, o.callingpid), (1, 10));
        assert_eq!(
            o.vars.last(),
            Some(&("AST_OUTGOING_ATTEMPT".into(), "2".into()))
        );
    }

    #[test]
    fn a_file_without_a_channel_or_a_target_is_refused() {
        for text in [
            "Context: a\nExtension: 1\n",
            "Channel: SIP/1\n",
            "Channel: nodash\nApplication: Wait\n",
        ] {
            let (o, said) = CallFile::parse(text, "f");
            assert!(o.is_err(), "{text}");
            assert!(said.iter().any(|c| matches!(c, Complaint::Warning(327, m) if m.starts_with("At least one of app or extension"))));
        }
    }
}
