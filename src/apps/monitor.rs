//! Monitor, StopMonitor, ChangeMonitor, PauseMonitor and UnpauseMonitor
//! (Asterisk's `res/res_monitor.c`, deprecated in Asterisk 20 but built in
//! the reference): a channel's two directions recorded to two files,
//! `<base>-in.<format>` (what it receives) and `<base>-out.<format>` (what
//! is sent to it), optionally joined by `sox -m` once stopped. The manager
//! actions of the same names and the one-touch `automon` feature drive the
//! same recordings.
//!
//! Asterisk writes each frame into its file as the channel reads or
//! writes it, seeking one file forward (a silent gap) when the other has
//! run more than four frames ahead; here an ordered spy hands the frames
//! to a thread that does the same arithmetic, so both files keep in step.

use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::options::{self, Options};
use super::{App, AppCtx, AppResult, Run, separate_args};
use crate::channels::Channel;
use crate::channels::audiohook::{Direction, Spy, Status};
use crate::core::System;
use crate::core::events::EventKind;
use crate::media::AudioFrame;
use crate::media::file::Recording;
use crate::media::formats::FileFormat;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "Monitor",
            run: Run::Now(monitor_app),
            synopsis: "Records the channel's two directions to two files (deprecated in Asterisk 20).",
            syntax: "Monitor([file_format[:urlbase],[fname_base,[options]]])",
        },
        App {
            name: "StopMonitor",
            run: Run::Now(stop_app),
            synopsis: "Stops the channel's Monitor recording.",
            syntax: "StopMonitor()",
        },
        App {
            name: "ChangeMonitor",
            run: Run::Now(change_app),
            synopsis: "Renames the files of the channel's Monitor recording.",
            syntax: "ChangeMonitor(filename_base)",
        },
        App {
            name: "PauseMonitor",
            run: Run::Now(pause_app),
            synopsis: "Pauses the channel's Monitor recording.",
            syntax: "PauseMonitor()",
        },
        App {
            name: "UnpauseMonitor",
            run: Run::Now(unpause_app),
            synopsis: "Resumes the channel's paused Monitor recording.",
            syntax: "UnpauseMonitor()",
        },
    ]
}

/// The option letters Monitor knows (`X` is Asterisk's placeholder for a
/// removed `b`).
const KNOWN_OPTIONS: &str = "bmioBX";
/// Options Asterism does not act on: the periodic beep.
pub const UNSUPPORTED_OPTIONS: &str = "B";
/// Frames wait at most this long for the thread.
const IDLE: Duration = Duration::from_millis(100);
/// How often the files are flushed to disk.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The spy's source name.
const SPY_SOURCE: &str = "Monitor";

/// A channel's monitor (`ast_channel_monitor`).
struct Monitor {
    chan: Weak<Channel>,
    spy: Arc<Spy>,
    state: Mutex<State>,
}

struct State {
    read: Option<Recording>,
    write: Option<Recording>,
    /// The legs' names without extension, and the base they end up under.
    read_filename: String,
    write_filename: String,
    filename_base: String,
    /// The format as given: the files' extension.
    format: String,
    /// The legs are renamed to `<filename_base>-in/-out` when stopped.
    filename_changed: bool,
    joinfiles: bool,
    paused: bool,
    /// Samples each direction has accounted for (`insmpl`/`outsmpl`).
    insmpl: i64,
    outsmpl: i64,
}

static MONITORS: LazyLock<Mutex<Vec<Arc<Monitor>>>> = LazyLock::new(|| Mutex::new(Vec::new()));
/// `seq`: numbers the legs of recordings started without a name.
static SEQ: Mutex<u64> = Mutex::new(0);

fn monitors() -> MutexGuard<'static, Vec<Arc<Monitor>>> {
    crate::core::lock(&MONITORS)
}

impl Monitor {
    fn state(&self) -> MutexGuard<'_, State> {
        crate::core::lock(&self.state)
    }
}

fn find(chan: &Channel) -> Option<Arc<Monitor>> {
    monitors()
        .iter()
        .find(|m| m.chan.upgrade().is_some_and(|c| std::ptr::eq(&*c, chan)))
        .cloned()
}

/// Whether the channel is being monitored (`ast_channel_monitor`).
pub fn is_monitored(chan: &Channel) -> bool {
    find(chan).is_some()
}

fn monitor_app(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.error(
            crate::site!("res_monitor.c", 748, "start_monitor_exec"),
            "Monitor requires an argument",
        );
        return Ok(());
    }
    let args = separate_args(data, ',', 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let opts = if arg(2).is_empty() {
        Options::default()
    } else {
        options::parse(&ctx.sys.pbx.logger, arg(2), KNOWN_OPTIONS).unwrap_or_default()
    };
    let (mut rec_in, mut rec_out) = (true, true);
    if opts.has('i') {
        rec_in = false;
    }
    if opts.has('o') {
        rec_out = false;
    }
    if opts.has('B') {
        ctx.warning(
            crate::site!("res_monitor.c", 0, "start_monitor_exec"),
            "Monitor's periodic beep ('B') is not available in Asterism; recording without it.",
        );
    }
    let (format, urlprefix) = match arg(0).split_once(':') {
        Some((f, u)) => (f, u),
        None => (arg(0), ""),
    };
    let fname_base = arg(1);
    if !urlprefix.is_empty() && !fname_base.is_empty() {
        // The CDR's userfield names where the recording will be served.
        let ext = if format == "gsm" { "gsm" } else { "wav" };
        let field = format!("{urlprefix}/{fname_base}.{ext}");
        ctx.set_var("CDR(userfield)", Some(&field));
    }
    if opts.has('b') {
        // Recorded once bridged: the arguments wait in AUTO_MONITOR, the
        // options' `b` made `X` (an option that does nothing), for the
        // bridge's setup to run Monitor with them.
        if let Some(comma) = data.rfind(',')
            && let Some(b) = data[comma..].find('b')
        {
            let mut delay = data.to_string();
            delay.replace_range(comma + b..comma + b + 1, "X");
            ctx.set_var("AUTO_MONITOR", Some(&delay));
        }
        return Ok(());
    }
    if start(ctx, format, fname_base, rec_in, rec_out).is_err() {
        change_fname(&ctx.sys, &ctx.chan, fname_base);
    }
    if opts.has('m') {
        if rec_in && rec_out {
            set_join(&ctx.chan, true);
        } else {
            ctx.warning(
                crate::site!("res_monitor.c", 821, "start_monitor_exec"),
                "Won't mix streams unless both input and output streams are recorded",
            );
            set_join(&ctx.chan, false);
        }
    } else {
        set_join(&ctx.chan, false);
    }
    Ok(())
}

fn set_join(chan: &Channel, on: bool) {
    if let Some(m) = find(chan) {
        m.state().joinfiles = on;
    }
}

/// `ast_monitor_start`: opens the legs and starts recording; `Err` when
/// the channel is already monitored or a file cannot be created.
fn start(
    ctx: &AppCtx,
    format: &str,
    fname_base: &str,
    rec_in: bool,
    rec_out: bool,
) -> Result<(), ()> {
    let chan = &ctx.chan;
    if is_monitored(chan) {
        return Err(());
    }
    let dir = ctx.sys.conf.dirs.monitor();
    // As ast_mkdir: a failure shows when the files are created.
    let _ = std::fs::create_dir_all(&dir);
    let dir = dir.display().to_string();
    let (read_filename, write_filename, filename_base, filename_changed) = if !fname_base.is_empty()
    {
        let prefix = if fname_base.starts_with('/') {
            String::new()
        } else {
            format!("{dir}/")
        };
        let base = format!("{prefix}{fname_base}");
        if fname_base.contains('/')
            && let Some(parent) = std::path::Path::new(&base).parent()
        {
            let _ = std::fs::create_dir_all(parent);
        }
        (format!("{base}-in"), format!("{base}-out"), base, false)
    } else {
        let seq = {
            let mut s = crate::core::lock(&SEQ);
            let n = *s;
            *s += 1;
            n
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        (
            format!("{dir}/audio-in-{seq}"),
            format!("{dir}/audio-out-{seq}"),
            format!("{dir}/{now}-{}", chan.name.replace('/', "-")),
            true,
        )
    };
    let format = if format.is_empty() { "wav" } else { format }.to_string();
    let create = |name: &str| -> Result<Recording, ()> {
        let fail = || {
            ctx.warning(
                crate::site!("res_monitor.c", 403, "ast_monitor_start"),
                &format!("Could not create file {name}"),
            );
        };
        let Some(f) = FileFormat::from_extension(&format).filter(|f| f.writable()) else {
            fail();
            return Err(());
        };
        // An earlier recording of the name goes first (`ast_filedelete`).
        let target = std::path::PathBuf::from(format!("{name}.{}", extension(&format)));
        let _ = std::fs::remove_file(&target);
        Recording::create_in_place(&target, f, false).map_err(|e| {
            tracing::warn!("Monitor {name}: {e}");
            fail();
        })
    };
    let read = if rec_in {
        Some(create(&read_filename)?)
    } else {
        None
    };
    let write = if rec_out {
        Some(create(&write_filename)?)
    } else {
        None
    };
    let spy = Spy::ordered(SPY_SOURCE);
    let monitor = Arc::new(Monitor {
        chan: Arc::downgrade(chan),
        spy: spy.clone(),
        state: Mutex::new(State {
            read,
            write,
            read_filename,
            write_filename,
            filename_base,
            format,
            filename_changed,
            joinfiles: false,
            paused: false,
            insmpl: 0,
            outsmpl: 0,
        }),
    });
    monitors().push(monitor.clone());
    chan.attach_spy(spy);
    let thread = monitor.clone();
    let spawned = std::thread::Builder::new()
        .name("monitor".into())
        .spawn(move || run(thread));
    if spawned.is_err() {
        tracing::warn!("Monitor {}: no thread to record with", chan.name);
    }
    // So the call is known to have been recorded (inherited by the
    // channels it calls).
    chan.set_var_event("__MONITORED", "true");
    chan.emit(EventKind::Manager {
        class: crate::manager::class::CALL,
        name: "MonitorStart".into(),
        body: String::new(),
    });
    Ok(())
}

/// A format's file extension (`build_filename`: wav49 is written `.WAV`).
fn extension(format: &str) -> &str {
    if format == "wav49" { "WAV" } else { format }
}

/// The recording thread: each frame into its leg, a leg that fell more
/// than four frames behind the other jumping forward first.
fn run(m: Arc<Monitor>) {
    let mut last_flush = Instant::now();
    loop {
        if m.spy.status() != Status::Running {
            break;
        }
        let frames = m.spy.take_log();
        if frames.is_empty() {
            if m.chan.upgrade().is_none_or(|c| c.is_dead()) {
                break;
            }
            m.spy.wait(IDLE);
            continue;
        }
        let mut st = m.state();
        for (dir, samples) in frames {
            let n = i64::try_from(samples.len()).unwrap_or(0);
            let st = &mut *st;
            let (mine, other, file) = match dir {
                Direction::Read => (&mut st.insmpl, st.outsmpl, st.read.as_mut()),
                Direction::Write => (&mut st.outsmpl, st.insmpl, st.write.as_mut()),
            };
            let Some(file) = file else { continue };
            let behind = other - *mine;
            let gap = if behind - 4 * n >= 0 {
                *mine += behind + n;
                usize::try_from(behind).unwrap_or(0)
            } else {
                *mine += n;
                0
            };
            if st.paused {
                continue;
            }
            // A seek past the end reads back as silence.
            let mut out = vec![0i16; gap];
            out.extend(samples);
            if file.write_frame(&AudioFrame::Slin(out)).is_err() {
                tracing::warn!("Monitor: a write failed");
            }
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            last_flush = Instant::now();
            let State { read, write, .. } = &mut *st;
            for f in [read.as_mut(), write.as_mut()].into_iter().flatten() {
                if let Err(e) = f.flush() {
                    tracing::warn!("Monitor: {e}");
                }
            }
        }
    }
}

/// `ast_monitor_stop`: closes the legs, renames them when the name
/// changed, starts the join when asked, announces it.
pub fn stop(sys: &System, chan: &Arc<Channel>) {
    if let Some(m) = find(chan) {
        monitors().retain(|x| !Arc::ptr_eq(x, &m));
        m.spy.set_status(Status::Shutdown);
        chan.detach_spy(&m.spy);
        let mut st = m.state();
        for f in [st.read.take(), st.write.take()].into_iter().flatten() {
            if let Err(e) = f.finish() {
                tracing::warn!("Monitor: {e}");
            }
        }
        let ext = extension(&st.format).to_string();
        if st.filename_changed && !st.filename_base.is_empty() {
            for (leg, tail) in [(&st.read_filename, "in"), (&st.write_filename, "out")] {
                let from = format!("{leg}.{ext}");
                if std::path::Path::new(&from).exists() {
                    let to = format!("{}-{tail}.{ext}", st.filename_base);
                    // `ast_filedelete` of an older file of the name first.
                    let _ = std::fs::remove_file(&to);
                    if let Err(e) = std::fs::rename(&from, &to) {
                        tracing::warn!("Monitor: renaming {from}: {e}");
                    }
                } else {
                    sys.pbx.logger.warning(
                        crate::site!("res_monitor.c", 505, "ast_monitor_stop"),
                        None,
                        &format!("File {leg} not found"),
                    );
                }
            }
        }
        if st.joinfiles && !st.filename_base.is_empty() {
            join(chan, &st.filename_base, &st.format);
        }
        drop(st);
        chan.emit(EventKind::Manager {
            class: crate::manager::class::CALL,
            name: "MonitorStop".into(),
            body: String::new(),
        });
        // Cleared: a VarSet says so only where it was set.
        chan.unset_var_event("MONITORED");
    }
    chan.unset_var_event("AUTO_MONITOR");
}

/// The legs joined into `<base>.<format>` in the background: MONITOR_EXEC
/// with MONITOR_EXEC_ARGS, or `sox -m` (whose legs are removed once it
/// succeeded), as Asterisk runs it.
fn join(chan: &Channel, base: &str, format: &str) {
    let mut format = if format.eq_ignore_ascii_case("wav49") {
        "WAV"
    } else {
        format
    };
    let exec = chan.get_var("MONITOR_EXEC").filter(|e| !e.is_empty());
    let delfiles = exec.is_none();
    let exec = exec.unwrap_or_else(|| {
        format = match format.to_ascii_lowercase().as_str() {
            "ulaw" => "ul",
            "alaw" => "al",
            _ => format,
        };
        "nice -n 19 sox -m".into()
    });
    let args = chan.get_var("MONITOR_EXEC_ARGS").unwrap_or_default();
    let mut cmd = String::from(if delfiles { "( " } else { "" });
    cmd.push_str(&format!(
        "{exec} \"{base}-in.{format}\" \"{base}-out.{format}\" \"{base}.{format}\" {args} &"
    ));
    if delfiles {
        cmd.push_str(&format!("& rm -f \"{base}-\"* ) &"));
    }
    // The command puts itself in the background; its shell returns at once.
    if let Err(e) = super::system::shell(&cmd).status() {
        tracing::warn!("Monitor: cannot run {cmd}: {e}");
    }
}

/// Before a Dial's bridge (`bridge_check_monitor`): a Monitor that
/// waited for it (AUTO_MONITOR on the caller, else on the callee) starts
/// on that channel.
pub async fn bridge_check_monitor(sys: &Arc<System>, caller: &Arc<Channel>, peer: &Arc<Channel>) {
    let waiting = [caller, peer].into_iter().find_map(|c| {
        c.get_var("AUTO_MONITOR")
            .filter(|v| !v.is_empty())
            .map(|v| (c, v))
    });
    let (Some((chan, args)), Some(app)) = (waiting, super::find("Monitor")) else {
        return;
    };
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    let _ = super::exec(&ctx, app, &args).await;
}

/// The channel hangs up (`ast_hangup` stops its monitor).
pub fn on_hangup(sys: &System, chan: &Arc<Channel>) {
    if is_monitored(chan) {
        stop(sys, chan);
    }
}

/// `ast_monitor_change_fname`: the legs will be renamed to the new base
/// when stopped. Always succeeds as Asterisk's does (a warning when there
/// is nothing to rename).
fn change_fname(sys: &System, chan: &Channel, fname_base: &str) {
    if fname_base.is_empty() {
        sys.pbx.logger.warning(
            crate::site!("res_monitor.c", 612, "ast_monitor_change_fname"),
            None,
            &format!(
                "Cannot change monitor filename of channel {} to null",
                chan.name
            ),
        );
        return;
    }
    let Some(m) = find(chan) else {
        sys.pbx.logger.warning(
            crate::site!("res_monitor.c", 676, "ast_monitor_change_fname"),
            None,
            &format!(
                "Cannot change monitor filename of channel {} to {fname_base}, monitoring not started",
                chan.name
            ),
        );
        return;
    };
    let base = if fname_base.starts_with('/') {
        fname_base.to_string()
    } else {
        format!("{}/{fname_base}", sys.conf.dirs.monitor().display())
    };
    if fname_base.contains('/')
        && let Some(parent) = std::path::Path::new(&base).parent()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    let mut st = m.state();
    if st.filename_base != base {
        st.filename_base = base;
        st.filename_changed = true;
    }
}

fn set_paused(chan: &Channel, paused: bool) -> bool {
    match find(chan) {
        Some(m) => {
            m.state().paused = paused;
            true
        }
        None => false,
    }
}

fn stop_app(ctx: &AppCtx, _data: &str) -> AppResult {
    stop(&ctx.sys, &ctx.chan);
    Ok(())
}

fn change_app(ctx: &AppCtx, data: &str) -> AppResult {
    change_fname(&ctx.sys, &ctx.chan, data);
    Ok(())
}

/// PauseMonitor/UnpauseMonitor fail (hanging up) on a channel that is not
/// monitored, as their `-1` does.
fn pause_app(ctx: &AppCtx, _data: &str) -> AppResult {
    if set_paused(&ctx.chan, true) {
        Ok(())
    } else {
        Err(super::AppExit::Hangup)
    }
}

fn unpause_app(ctx: &AppCtx, _data: &str) -> AppResult {
    if set_paused(&ctx.chan, false) {
        Ok(())
    } else {
        Err(super::AppExit::Hangup)
    }
}

/// The manager's Monitor: `File` (the channel's name, `/` made `-`, when
/// none), `Format`, `Mix`. `false` when it could not start.
pub fn manager_start(
    sys: &Arc<System>,
    chan: &Arc<Channel>,
    file: &str,
    format: &str,
    mix: bool,
) -> bool {
    let fname = if file.is_empty() {
        chan.name.replace('/', "-")
    } else {
        file.to_string()
    };
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    if start(&ctx, format, &fname, true, true).is_err() {
        change_fname(sys, chan, &fname);
    }
    if mix {
        set_join(chan, true);
    }
    true
}

/// The manager's ChangeMonitor.
pub fn manager_change(sys: &System, chan: &Channel, file: &str) {
    change_fname(sys, chan, file);
}

/// The manager's PauseMonitor/UnpauseMonitor (whatever the outcome).
pub fn manager_pause(chan: &Channel, paused: bool) {
    set_paused(chan, paused);
}

/// The one-touch Monitor feature (`feature_automonitor`) keyed by `chan`:
/// records its bridge peer to `auto-<time>-<caller>-<peer>` (legs joined
/// when stopped) or stops that recording, with the courtesy tone.
pub async fn automon(sys: &Arc<System>, chan: &Arc<Channel>, peer: &Arc<Channel>) {
    use super::touch::{play_to_both, touch, verbose};
    let conf = crate::funcs::features::channel_features(&sys.loaded().features, chan);
    let g = &conf.general;
    let start_message = chan
        .get_var("TOUCH_MONITOR_MESSAGE_START")
        .unwrap_or_default();
    let stop_message = chan
        .get_var("TOUCH_MONITOR_MESSAGE_STOP")
        .unwrap_or_default();
    if is_monitored(peer) {
        verbose(
            sys,
            116,
            "stop_automonitor",
            "AutoMonitor used to stop recording call.",
        );
        stop(sys, peer);
        play_to_both(sys, chan, peer, &g.courtesytone);
        play_to_both(sys, chan, peer, &stop_message);
        return;
    }
    let t = touch(chan, peer, "TOUCH_MONITOR");
    verbose(
        sys,
        196,
        "start_automonitor",
        &format!("AutoMonitor used to record call. Filename: {}", t.name),
    );
    if t.beep.is_some() {
        sys.pbx.logger.warning(
            crate::site!("bridge_builtin_features.c", 0, "start_automonitor"),
            None,
            "TOUCH_MONITOR_BEEP: the periodic beep is not available in Asterism; recording without it.",
        );
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: peer.clone(),
    };
    if start(&ctx, t.format.as_deref().unwrap_or(""), &t.name, true, true).is_err() {
        verbose(
            sys,
            227,
            "start_automonitor",
            &format!(
                "AutoMonitor feature was tried by '{}' but monitor failed to start.",
                chan.name
            ),
        );
        return;
    }
    set_join(peer, true);
    play_to_both(sys, chan, peer, &g.courtesytone);
    play_to_both(sys, chan, peer, &start_message);
    chan.set_var_event("TOUCH_MONITOR_OUTPUT", &t.name);
    peer.set_var_event("TOUCH_MONITOR_OUTPUT", &t.name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_follow_the_format() {
        assert_eq!(extension("wav49"), "WAV");
        assert_eq!(extension("gsm"), "gsm");
        assert_eq!(extension("wav"), "wav");
    }
}
