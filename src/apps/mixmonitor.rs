//! MixMonitor and StopMixMonitor (Asterisk's `apps/app_mixmonitor.c`):
//! a channel's audio both ways, mixed, recorded to a file while the
//! dialplan goes on; optionally each direction to a file of its own. The
//! manager's MixMonitor, StopMixMonitor and MixMonitorMute, the CLI's
//! `mixmonitor start|stop|list` and the one-touch `automixmon` feature
//! start and stop the same recordings.
//!
//! Each recording is a spy on the channel ([`crate::channels::audiohook`])
//! drained by a thread of its own, as Asterisk's: the files are opened
//! there, written a frame at a time in place under their own names (as
//! Asterisk does, so the file can be watched while it grows) and flushed
//! every second, a wav's header patched to count what is on disk, so a
//! crash loses at most the last second. The post-recording command runs
//! once the files are closed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::options::{self, Options};
use super::{App, AppCtx, AppFuture, AppResult, Run, separate_args};
use crate::channels::Channel;
use crate::channels::audiohook::{Spy, Status, volume_factor};
use crate::core::System;
use crate::core::events::EventKind;
use crate::media::AudioFrame;
use crate::media::file::Recording;
use crate::media::formats::FileFormat;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "MixMonitor",
            run: Run::Wait(mixmonitor_app),
            synopsis: "Records the call, both directions mixed, while the dialplan goes on.",
            syntax: "MixMonitor(filename.extension[,options[,command]])",
        },
        App {
            name: "StopMixMonitor",
            run: Run::Now(stop_app),
            synopsis: "Stops a MixMonitor recording of the channel and closes its files.",
            syntax: "StopMixMonitor([MixMonitorID])",
        },
    ]
}

/// The spy's source name, by which mutes and counts find MixMonitor's.
pub const SPY_SOURCE: &str = "MixMonitor";
/// The option letters MixMonitor knows.
const KNOWN_OPTIONS: &str = "abBcdpPvVWrtDimSns";
/// Options Asterism does not act on: a periodic beep (func_periodic_hook)
/// and copies to voicemail boxes (with `c`, whose caller id they take).
pub const UNSUPPORTED_OPTIONS: &str = "Bmc";
/// `SAMPLES_PER_FRAME`: 20 ms at 8 kHz.
const FRAME: usize = 160;
/// How often the files are flushed to disk while recording.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// How long the recording thread sleeps when nothing is fed (it also
/// looks whether the channel is gone then).
const IDLE: Duration = Duration::from_millis(100);
/// `MIN_SKIP_SECONDS` of the `s` option.
const MIN_SKIP_SECONDS: f64 = 1.0;

/// One recording, as the channel's datastore holds it.
struct Active {
    /// `%p` of Asterisk's datastore: what `i()` stores and the actions
    /// take as `MixMonitorID`.
    id: String,
    chan: Weak<Channel>,
    spy: Arc<Spy>,
    /// The files' names (for `mixmonitor list` and MIXMONITOR()).
    filename: String,
    filename_read: String,
    filename_write: String,
    /// The open files, shared with the thread as Asterisk's datastore
    /// holds them: a stop closes them at once, so the dialplan finds them
    /// complete after StopMixMonitor.
    files: Mutex<Files>,
}

/// A recording's open files (`mixmonitor_ds`'s streams).
#[derive(Default)]
struct Files {
    mixed: Option<Recording>,
    read: Option<Recording>,
    write: Option<Recording>,
    /// Closed: nothing is opened or written any more (`fs_quit`).
    quit: bool,
}

impl Active {
    fn files(&self) -> MutexGuard<'_, Files> {
        crate::core::lock(&self.files)
    }

    /// `mixmonitor_ds_close_fs`: each open file finished, with Asterisk's
    /// verbose line.
    fn close_files(&self, sys: &System, callid: u32) {
        let mut f = self.files();
        let mut closed = false;
        for (out, what, line) in [
            (f.mixed.take(), "mixed", 545),
            (f.read.take(), "read", 552),
            (f.write.take(), "write", 559),
        ] {
            let Some(out) = out else { continue };
            closed = true;
            if let Err(err) = out.finish() {
                tracing::warn!("MixMonitor recording: {err}");
            }
            sys.pbx.logger.verbose(
                2,
                crate::site!("app_mixmonitor.c", line, "mixmonitor_ds_close_fs"),
                (callid != 0).then_some(callid),
                &format!("MixMonitor close filestream ({what})"),
            );
        }
        if closed {
            f.quit = true;
        }
    }
}

/// The recordings running, newest first (Asterisk finds a channel's most
/// recent datastore first).
static ACTIVE: LazyLock<Mutex<Vec<Arc<Active>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn active() -> MutexGuard<'static, Vec<Arc<Active>>> {
    crate::core::lock(&ACTIVE)
}

/// The channel's recording with `id`, or its newest when `id` is empty.
fn find(chan: &Channel, id: &str) -> Option<Arc<Active>> {
    active()
        .iter()
        .find(|a| {
            a.chan.upgrade().is_some_and(|c| std::ptr::eq(&*c, chan))
                && (id.is_empty() || a.id == id)
        })
        .cloned()
}

/// Where mixmonitor_exec logs from.
fn exec_site(line: u32) -> crate::core::logger::Site<'static> {
    crate::core::logger::Site {
        file: "app_mixmonitor.c",
        line,
        function: "mixmonitor_exec",
    }
}

/// How a recording was asked for, once its arguments are parsed.
struct Request {
    filename: String,
    filename_read: String,
    filename_write: String,
    opts: Options,
    read_volume: i32,
    write_volume: i32,
    post_process: String,
    skip: f64,
}

fn mixmonitor_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { start(ctx, &data).await })
}

/// `mixmonitor_exec`: parses `file[,options[,command]]`, sets
/// MIXMONITOR_FILENAME, starts the recording and announces it. Fails
/// (hanging the call up) only on arguments naming no file at all.
pub async fn start(ctx: &AppCtx, data: &str) -> AppResult {
    match start_inner(ctx, data).await {
        Started::Yes | Started::Failed => Ok(()),
        Started::BadArgs => Err(super::AppExit::Hangup),
    }
}

enum Started {
    Yes,
    /// The arguments were good but nothing could be recorded.
    Failed,
    BadArgs,
}

async fn start_inner(ctx: &AppCtx, data: &str) -> Started {
    if data.is_empty() {
        ctx.warning(
            &exec_site(1301),
            "MixMonitor requires an argument (filename or ,t(filename) and/or r(filename)",
        );
        return Started::BadArgs;
    }
    let Some(req) = prepare(ctx, data) else {
        return Started::BadArgs;
    };
    let started = launch(ctx, req).await;
    ctx.chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "MixMonitorStart".into(),
        body: String::new(),
    });
    match started {
        Some(_) => Started::Yes,
        None => Started::Failed,
    }
}

/// A level option (`v`, `V`, `W`) read as `%2d` within -4..4, with
/// Asterisk's complaints; `None` leaves the volume alone.
fn level(ctx: &AppCtx, opts: &Options, c: char, what: &str, line: (u32, u32)) -> Option<i32> {
    let raw = opts.arg(c)?;
    if raw.is_empty() {
        ctx.warning(
            &exec_site(line.0),
            &format!("No volume level was provided for the {what} ('{c}') option."),
        );
        return None;
    }
    let two: String = raw.chars().take(2).collect();
    let parsed = crate::config::views::values::scan_d(&two)
        .and_then(|v| i32::try_from(v).ok())
        .filter(|v| (-4..=4).contains(v));
    match parsed {
        Some(v) => Some(volume_factor(v)),
        None => {
            let name = match c {
                'v' => "Heard",
                'V' => "Spoken",
                _ => "Combined",
            };
            ctx.notice(
                &exec_site(line.1),
                &format!("{name} volume must be a number between -4 and 4, not '{raw}'"),
            );
            None
        }
    }
}

fn parse_request(ctx: &AppCtx, file: &str, optstr: &str, command: &str) -> Option<Request> {
    let opts = if optstr.is_empty() {
        Options::default()
    } else {
        options::parse(&ctx.sys.pbx.logger, optstr, KNOWN_OPTIONS).unwrap_or_default()
    };
    if opts.has('S') {
        ctx.notice(
            &exec_site(1315),
            "The synchronization behavior enabled by the 'S' option is now the default and does not need to be specified.",
        );
    }
    let mut read_volume = level(ctx, &opts, 'v', "heard volume", (1321, 1323)).unwrap_or(0);
    let mut write_volume = level(ctx, &opts, 'V', "spoken volume", (1331, 1333)).unwrap_or(0);
    if let Some(both) = level(ctx, &opts, 'W', "combined volume", (1341, 1343)) {
        read_volume = both;
        write_volume = both;
    }
    if opts.has('m') {
        ctx.warning(
            crate::site!("app_mixmonitor.c", 0, "mixmonitor_exec"),
            "MixMonitor's copy to voicemail ('m') is not available in Asterism; the recording stays in its file only.",
        );
    }
    let monitor_dir = ctx.sys.conf.dirs.monitor();
    let filename_write = opts
        .has('t')
        .then(|| filename_parse(ctx, &monitor_dir, opts.arg('t').unwrap_or("")))
        .unwrap_or_default();
    let filename_read = opts
        .has('r')
        .then(|| filename_parse(ctx, &monitor_dir, opts.arg('r').unwrap_or("")))
        .unwrap_or_default();
    if opts.has('B') {
        ctx.warning(
            crate::site!("app_mixmonitor.c", 0, "mixmonitor_exec"),
            "MixMonitor's periodic beep ('B') is not available in Asterism; recording without it.",
        );
    }
    let mut skip = 0.0;
    if opts.has('s') {
        let raw = opts.arg('s').unwrap_or("");
        if raw.is_empty() {
            ctx.warning(
                &exec_site(1386),
                "No skip value provided for the 's' (skip) option; skipping will be ignored as no default exists.",
            );
        } else {
            match raw.parse::<f64>() {
                Err(_) => ctx.warning(
                    &exec_site(1391),
                    &format!("Skip value '{raw}' is not a valid number; ignoring skip."),
                ),
                Ok(v) if v < MIN_SKIP_SECONDS => ctx.warning(
                    &exec_site(1393),
                    &format!("Skip value {v:.3} is below minimum 1; ignoring skip."),
                ),
                Ok(v) => skip = v,
            }
        }
    }
    if !opts.has('t') && !opts.has('r') && file.is_empty() {
        ctx.warning(
            &exec_site(1403),
            "MixMonitor requires an argument (filename)",
        );
        return None;
    }
    let filename = if file.is_empty() {
        String::new()
    } else {
        filename_parse(ctx, &monitor_dir, file)
    };
    // `^{X}` becomes `${X}`, substituted once MIXMONITOR_FILENAME is set.
    let post_process = command.replace("^{", "${");
    Some(Request {
        filename,
        filename_read,
        filename_write,
        opts,
        read_volume,
        write_volume,
        post_process,
        skip,
    })
}

/// `filename_parse`: a relative name goes under the monitor directory, a
/// `.wav49` extension is written `.WAV`, and the directory is created.
fn filename_parse(ctx: &AppCtx, monitor_dir: &Path, name: &str) -> String {
    if name.is_empty() {
        ctx.warning(
            crate::site!("app_mixmonitor.c", 1248, "filename_parse"),
            "No file name was provided for a file save option.",
        );
        return String::new();
    }
    let mut full = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{}/{name}", monitor_dir.display())
    };
    if let Some(stem) = full.strip_suffix(".wav49") {
        full = format!("{stem}.WAV");
    }
    if let Some(dir) = Path::new(&full).parent() {
        // As ast_mkdir: a failure shows when the file is opened.
        let _ = std::fs::create_dir_all(dir);
    }
    full
}

/// `launch_monitor_thread`: the beep of `p`, the id variable, the spy
/// attached and its thread started. The id, or `None` when nothing runs.
async fn launch(ctx: &AppCtx, req: Request) -> Option<String> {
    if req.opts.has('p') {
        let _ = super::playback::stream_file(ctx, "beep", "").await;
        ctx.chan.stop_stream();
    }
    launch_now(ctx, req)
}

/// MixMonitor started by the core on a channel that runs no dialplan
/// (ConfBridge's recorder, `pbx_exec` of the application): as the
/// application, but the `p` beep is not played first, since such a
/// channel discards what is written to it and would only delay the
/// start. False when the arguments name nothing to record.
pub fn start_on(sys: &Arc<System>, chan: &Arc<Channel>, data: &str) -> bool {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    prepare(&ctx, data)
        .and_then(|req| launch_now(&ctx, req))
        .is_some()
}

/// `file[,options[,command]]` parsed, and MIXMONITOR_FILENAME set to the
/// file; `None` when they name nothing to record.
fn prepare(ctx: &AppCtx, data: &str) -> Option<Request> {
    let args = separate_args(data, ',', 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let req = parse_request(ctx, arg(0), arg(1), arg(2))?;
    let filename_var = (!req.filename.is_empty()).then_some(req.filename.as_str());
    ctx.set_var("MIXMONITOR_FILENAME", filename_var);
    Some(req)
}

fn launch_now(ctx: &AppCtx, req: Request) -> Option<String> {
    let post_process = if req.post_process.is_empty() {
        String::new()
    } else {
        ctx.substitute(&req.post_process)
    };
    let spy = Spy::new(SPY_SOURCE, req.read_volume, req.write_volume);
    if req.opts.has('n') {
        spy.no_silence();
    }
    let id = format!("{:p}", Arc::as_ptr(&spy));
    let entry = Arc::new(Active {
        id: id.clone(),
        chan: Arc::downgrade(&ctx.chan),
        spy: spy.clone(),
        filename: req.filename.clone(),
        filename_read: req.filename_read.clone(),
        filename_write: req.filename_write.clone(),
        files: Mutex::new(Files::default()),
    });
    active().insert(0, entry.clone());
    if let Some(var) = req.opts.arg('i').filter(|v| !v.is_empty()) {
        ctx.set_var(var, Some(&id));
    }
    ctx.chan.attach_spy(spy);
    let job = Job {
        sys: ctx.sys.clone(),
        entry: entry.clone(),
        name: ctx.chan.name.clone(),
        callid: ctx.chan.callid(),
        opts: req.opts,
        post_process,
        skip: req.skip,
        runtime: tokio::runtime::Handle::try_current().ok(),
    };
    let spawned = std::thread::Builder::new()
        .name("mixmonitor".into())
        .spawn(move || job.run());
    if spawned.is_err() {
        remove(&entry);
        ctx.chan.detach_spy(&entry.spy);
        ctx.warning(
            crate::site!("app_mixmonitor.c", 1220, "launch_monitor_thread"),
            &format!(
                "Unable to add 'MixMonitor' spy to channel '{}'",
                ctx.chan.name
            ),
        );
        return None;
    }
    Some(id)
}

fn remove(entry: &Arc<Active>) {
    active().retain(|a| !Arc::ptr_eq(a, entry));
}

/// What the recording thread needs.
struct Job {
    sys: Arc<System>,
    entry: Arc<Active>,
    name: String,
    callid: u32,
    opts: Options,
    post_process: String,
    skip: f64,
    runtime: Option<tokio::runtime::Handle>,
}

impl Job {
    fn verbose(&self, level: u32, line: u32, func: &'static str, msg: &str) {
        let callid = (self.callid != 0).then_some(self.callid);
        self.sys.pbx.logger.verbose(
            level,
            crate::site!("app_mixmonitor.c", line, func),
            callid,
            msg,
        );
    }

    /// `mixmonitor_save_prep`: opens one file (an extension picks the
    /// format, none means raw linear); `None` when there is none to open
    /// or it cannot be, the second logged.
    fn open(&self, filename: &str, errflag: &mut bool) -> Option<Recording> {
        if filename.is_empty() || *errflag {
            return None;
        }
        let last_slash = filename.rfind('/');
        let (base, ext) = match filename.rfind('.') {
            Some(dot) if last_slash.is_none_or(|s| dot > s) => {
                (&filename[..dot], &filename[dot + 1..])
            }
            _ => (filename, "raw"),
        };
        let format = FileFormat::from_extension(ext).filter(|f| f.writable());
        let opened = format.map(|f| {
            let target = PathBuf::from(format!("{base}.{ext}"));
            Recording::create_in_place(&target, f, self.opts.has('a'))
        });
        match opened {
            Some(Ok(rec)) => Some(rec),
            other => {
                if let Some(Err(e)) = other {
                    tracing::warn!("MixMonitor {filename}: {e}");
                }
                let callid = (self.callid != 0).then_some(self.callid);
                self.sys.pbx.logger.error(
                    crate::site!("app_mixmonitor.c", 760, "mixmonitor_save_prep"),
                    callid,
                    &format!("Cannot open {base}.{ext}"),
                );
                *errflag = true;
                None
            }
        }
    }

    fn run(self) {
        let start = Instant::now();
        self.verbose(
            2,
            802,
            "mixmonitor_thread",
            &format!("Begin MixMonitor Recording {}", self.name),
        );
        let mut errflag = false;
        let e = &self.entry;
        {
            let mut f = e.files();
            if !f.quit {
                f.mixed = self.open(&e.filename, &mut errflag);
                f.read = self.open(&e.filename_read, &mut errflag);
                f.write = self.open(&e.filename_write, &mut errflag);
            }
        }
        let bridged_only = self.opts.has('b');
        let interleaved = self.opts.has('D');
        let mut skip = self.skip;
        let mut last_flush = Instant::now();
        while e.spy.status() == Status::Running && !e.files().quit {
            let Some(frame) = e.spy.take(FRAME) else {
                let gone = e.chan.upgrade().is_none_or(|c| c.is_dead());
                if gone {
                    // The channel is destroyed: its hooks are detached.
                    e.spy.set_status(Status::Done);
                    break;
                }
                e.spy.wait(IDLE);
                continue;
            };
            if bridged_only && !e.chan.upgrade().is_some_and(|c| c.bridge().is_some()) {
                continue;
            }
            if skip > 0.0 {
                if start.elapsed().as_secs_f64() < skip {
                    continue;
                }
                skip = 0.0;
            }
            let mut f = e.files();
            let mut failed = false;
            if let (Some(o), Some(r)) = (f.read.as_mut(), frame.read.as_ref()) {
                failed |= o.write_frame(&AudioFrame::Slin(r.clone())).is_err();
            }
            if let (Some(o), Some(w)) = (f.write.as_mut(), frame.write.as_ref()) {
                failed |= o.write_frame(&AudioFrame::Slin(w.clone())).is_err();
            }
            if let Some(o) = f.mixed.as_mut() {
                let samples = if interleaved {
                    // A side without audio is silence in its channel.
                    let silence = vec![0; FRAME];
                    let r = frame.read.as_ref().unwrap_or(&silence);
                    let w = frame.write.as_ref().unwrap_or(&silence);
                    r.iter().zip(w).flat_map(|(&r, &w)| [r, w]).collect()
                } else {
                    frame.mixed
                };
                failed |= o.write_frame(&AudioFrame::Slin(samples)).is_err();
            }
            if failed {
                tracing::warn!("MixMonitor {}: a write failed", self.name);
            }
            if last_flush.elapsed() >= FLUSH_EVERY {
                last_flush = Instant::now();
                let Files {
                    mixed, read, write, ..
                } = &mut *f;
                for o in [mixed, read, write].into_iter().flatten() {
                    if let Err(err) = o.flush() {
                        tracing::warn!("MixMonitor {}: {err}", self.name);
                    }
                }
            }
        }
        if self.opts.has('P')
            && let (Some(rt), Some(chan)) = (self.runtime.as_ref(), e.chan.upgrade())
            && !chan.is_dead()
        {
            let ctx = AppCtx {
                sys: self.sys.clone(),
                chan,
            };
            rt.block_on(async {
                let _ = super::playback::stream_file(&ctx, "beep", "").await;
                ctx.chan.stop_stream();
            });
        }
        e.close_files(&self.sys, self.callid);
        if let Some(chan) = e.chan.upgrade() {
            chan.detach_spy(&e.spy);
        }
        remove(e);
        if !self.post_process.is_empty() {
            self.verbose(
                2,
                971,
                "mixmonitor_thread",
                &format!("Executing [{}]", self.post_process),
            );
            if let Err(err) = super::system::shell(&self.post_process).status() {
                tracing::warn!("MixMonitor {}: cannot run its command: {err}", self.name);
            }
        }
        self.verbose(
            2,
            975,
            "mixmonitor_thread",
            &format!("End MixMonitor Recording {}", self.name),
        );
        if self.opts.has('d') {
            for name in [&e.filename, &e.filename_read, &e.filename_write] {
                if !name.is_empty() {
                    // Already gone is as good as deleted.
                    let _ = std::fs::remove_file(name);
                }
            }
        }
    }
}

fn stop_app(ctx: &AppCtx, data: &str) -> AppResult {
    let _ = stop(&ctx.sys, &ctx.chan, data);
    Ok(())
}

/// `stop_mixmonitor_full`: stops the channel's recording with `id` (its
/// newest when empty) and announces it. `false` when there is none.
pub fn stop(sys: &System, chan: &Arc<Channel>, id: &str) -> bool {
    let id = separate_args(id, ',', 1)
        .into_iter()
        .next()
        .unwrap_or_default();
    let Some(entry) = find(chan, &id) else {
        return false;
    };
    entry.close_files(sys, chan.callid());
    entry.spy.set_status(Status::Shutdown);
    remove(&entry);
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "MixMonitorStop".into(),
        body: String::new(),
    });
    true
}

/// The directions a mute names (`read`, `write`, `both`, any case).
pub fn mute_direction(direction: &str) -> Option<(bool, bool)> {
    match direction.to_ascii_lowercase().as_str() {
        "read" => Some((true, false)),
        "write" => Some((false, true)),
        "both" => Some((true, true)),
        _ => None,
    }
}

/// MixMonitorMute's work: mutes (or, `on` false, unmutes) the recording
/// with `id`, or every MixMonitor of the channel when `id` is empty.
/// `false` when there is nothing to set it on; otherwise announced with
/// `shown` as its state (Asterisk reads the state word twice, as "not
/// false" to act and as "true" to tell).
pub fn mute(chan: &Arc<Channel>, id: &str, direction: &str, on: bool, shown: bool) -> bool {
    let Some((read, write)) = mute_direction(direction) else {
        return false;
    };
    if id.is_empty() {
        if chan.mute_spies(SPY_SOURCE, read, write, on).is_none() {
            return false;
        }
    } else {
        let Some(entry) = find(chan, id) else {
            return false;
        };
        entry.spy.set_mute(read, write, on);
    }
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "MixMonitorMute".into(),
        body: format!(
            "Direction: {direction}\r\nState: {}\r\n",
            if shown { "1" } else { "0" }
        ),
    });
    true
}

/// The manager's MixMonitor: `File,Options,Command` as the application's
/// arguments; the id its `i()` variable got, when asked for one.
pub async fn manager_start(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    file: &str,
    optstr: &str,
    command: &str,
) -> Result<Option<String>, ()> {
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    let data = format!("{file},{optstr},{command}");
    match start_inner(&ctx, &data).await {
        Started::BadArgs => Err(()),
        Started::Yes | Started::Failed => {
            let opts = options::parse(&sys.pbx.logger, optstr, KNOWN_OPTIONS).unwrap_or_default();
            Ok(opts
                .arg('i')
                .filter(|v| !v.is_empty())
                .and_then(|v| chan.get_var(v)))
        }
    }
}

/// `mixmonitor list <channel>`: each recording's id and files.
pub fn list(chan: &Channel, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "MixMonitor ID\tFile\tReceive File\tTransmit File");
    let _ = writeln!(
        out,
        "========================================================================="
    );
    for a in active()
        .iter()
        .filter(|a| a.chan.upgrade().is_some_and(|c| std::ptr::eq(&*c, chan)))
    {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            a.id,
            file_shown(&a.filename),
            file_shown(&a.filename_read),
            file_shown(&a.filename_write)
        );
    }
}

/// The name a file stream shows: the path without its extension, as
/// `ast_writefile` keeps it.
fn file_shown(name: &str) -> &str {
    let last_slash = name.rfind('/');
    match name.rfind('.') {
        Some(dot) if last_slash.is_none_or(|s| dot > s) => &name[..dot],
        _ => name,
    }
}

/// The MIXMONITOR function.
pub fn functions() -> Vec<crate::funcs::Function> {
    vec![crate::funcs::Function {
        name: "MIXMONITOR",
        read: Some(mixmonitor_func_read),
        write: None,
        synopsis: "Reads a property (filename) of one of the channel's MixMonitor recordings.",
        syntax: "MIXMONITOR(id,key)",
    }]
}

/// `MIXMONITOR(id,filename)`: the mixed file of the channel's recording
/// `id` (`func_mixmonitor_read`).
fn mixmonitor_func_read(
    ctx: &crate::funcs::FuncCtx<'_>,
    args: &str,
) -> Result<String, crate::funcs::Failed> {
    let site = |line| crate::core::logger::Site {
        file: "app_mixmonitor.c",
        line,
        function: "func_mixmonitor_read",
    };
    let a = separate_args(args, ',', 2);
    let (id, key) = (
        a.first().map_or("", String::as_str),
        a.get(1).map_or("", String::as_str),
    );
    if id.is_empty() || key.is_empty() {
        ctx.warning(
            &site(1858),
            &format!(
                "Not enough arguments provided to {}. An ID and key must be provided",
                ctx.name
            ),
        );
        return Err(crate::funcs::Failed);
    }
    let chan = ctx.require_channel(&site(0))?;
    let Some(entry) = find(chan, id) else {
        ctx.warning(
            &site(1868),
            &format!("Could not find MixMonitor with ID {id}"),
        );
        return Err(crate::funcs::Failed);
    };
    if key.eq_ignore_ascii_case("filename") {
        Ok(entry.filename.clone())
    } else {
        ctx.warning(
            &site(1877),
            &format!("Unrecognized {} option {key}", ctx.name),
        );
        Err(crate::funcs::Failed)
    }
}

/// The one-touch MixMonitor feature (`feature_automixmonitor`) keyed by
/// `chan`: records its bridge peer `peer` (only while bridged) or stops
/// that recording, with the courtesy tone to both.
pub async fn automixmon(sys: &Arc<System>, chan: &Arc<Channel>, peer: &Arc<Channel>) {
    use super::touch::{play, play_to_both, touch, verbose};
    let conf = crate::funcs::features::channel_features(&sys.loaded().features, chan);
    let g = &conf.general;
    let start_message = chan
        .get_var("TOUCH_MIXMONITOR_MESSAGE_START")
        .unwrap_or_default();
    let stop_message = chan
        .get_var("TOUCH_MIXMONITOR_MESSAGE_STOP")
        .unwrap_or_default();
    if peer.spy_count(SPY_SOURCE) > 0 {
        verbose(
            sys,
            330,
            "stop_automixmonitor",
            "AutoMixMonitor used to stop recording call.",
        );
        if !stop(sys, peer, "") {
            verbose(
                sys,
                333,
                "stop_automixmonitor",
                &format!("Failed to stop AutoMixMonitor for {}.", chan.name),
            );
            play(sys, chan, &g.recordingfailsound);
            return;
        }
        play_to_both(sys, chan, peer, &g.courtesytone);
        play_to_both(sys, chan, peer, &stop_message);
        return;
    }
    let t = touch(chan, peer, "TOUCH_MIXMONITOR");
    let filename = format!("{}.{}", t.name, t.format.as_deref().unwrap_or("wav"));
    verbose(
        sys,
        405,
        "start_automixmonitor",
        &format!("AutoMixMonitor used to record call. Filename: {filename}"),
    );
    let mut options = String::from("b");
    if let Some(b) = t.beep {
        // The periodic beep is not built (see UNSUPPORTED_OPTIONS): the
        // option is passed on and MixMonitor says so.
        let interval = crate::config::views::values::scan_d(&b)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(15)
            .max(5);
        options = format!("bB({interval})");
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: peer.clone(),
    };
    let started = start_inner(&ctx, &format!("{filename},{options}")).await;
    if !matches!(started, Started::Yes) {
        verbose(
            sys,
            429,
            "start_automixmonitor",
            &format!(
                "AutoMixMonitor feature was tried by '{}' but MixMonitor failed to start.",
                chan.name
            ),
        );
        play(sys, chan, &g.recordingfailsound);
        return;
    }
    play_to_both(sys, chan, peer, &g.courtesytone);
    play_to_both(sys, chan, peer, &start_message);
    chan.set_var_event("TOUCH_MIXMONITOR_OUTPUT", &filename);
    peer.set_var_event("TOUCH_MIXMONITOR_OUTPUT", &filename);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_names_drop_the_extension() {
        assert_eq!(file_shown("/a/b.c/d.wav"), "/a/b.c/d");
        assert_eq!(file_shown("/a/b.c/d"), "/a/b.c/d");
        assert_eq!(file_shown(""), "");
    }

    #[test]
    fn mute_directions() {
        assert_eq!(mute_direction("Both"), Some((true, true)));
        assert_eq!(mute_direction("read"), Some((true, false)));
        assert_eq!(mute_direction("WRITE"), Some((false, true)));
        assert_eq!(mute_direction("sideways"), None);
    }
}
