//! Music on hold (Asterisk's `res_musiconhold.c`): MusicOnHold,
//! StartMusicOnHold and StopMusicOnHold over musiconhold.conf's `files`
//! (and `playlist`) classes.
//!
//! The class is the first that exists of: the channel's CHANNEL(musicclass)
//! and the requested one (in that order while `preferchannelclass` is on,
//! the default), then `default`. Music plays in the background like any
//! generator; a prompt played meanwhile stops it. Each channel remembers
//! where its music stopped, and the same class resumes there.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{App, AppCtx, AppFuture, AppResult, Run, split_args};
use crate::channels::media::{FrameSource, MusicState};
use crate::channels::{ChanState, Channel};
use crate::config::views::musiconhold::{MohClass, Sort, files_class_loads};
use crate::core::System;
use crate::core::logger::Site;
use crate::media::file::{Playback, SoundPaths};
use crate::media::{AudioFrame, Codec};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "MusicOnHold",
            run: Run::Wait(musiconhold),
            synopsis: "Plays music on hold for a while, or until hangup.",
            syntax: "MusicOnHold([class[,duration]])",
        },
        App {
            name: "StartMusicOnHold",
            run: Run::Now(startmusiconhold),
            synopsis: "Starts music on hold and goes on with the dialplan.",
            syntax: "StartMusicOnHold([class])",
        },
        App {
            name: "StopMusicOnHold",
            run: Run::Now(stopmusiconhold),
            synopsis: "Stops the music on hold playing.",
            syntax: "StopMusicOnHold()",
        },
    ]
}

/// A class ready to play: its files (full paths without extension) in
/// playing order.
#[derive(Debug, Clone)]
struct Class {
    name: String,
    files: Vec<String>,
    announcement: Option<String>,
    random: bool,
    random_start: bool,
    loop_last: bool,
    answeredonly: bool,
}

/// `moh_scan_files`: the files of a class directory (relative to
/// astdatadir), directory order unless sorted; names starting with a dot
/// or without an extension of two characters or more are skipped, and a
/// name present in several formats counts once.
fn scan_files(data_dir: &Path, dir: &str, alpha: bool) -> Vec<String> {
    let dir_path = if dir.starts_with('/') {
        std::path::PathBuf::from(dir)
    } else {
        data_dir.join(dir)
    };
    let Ok(entries) = std::fs::read_dir(&dir_path) else {
        return Vec::new();
    };
    let mut files: Vec<String> = Vec::new();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Some(dot) = name.rfind('.') else { continue };
        if name.len() - dot < 3 {
            continue;
        }
        let full = format!("{}/{}", dir_path.display(), &name[..dot]);
        if !files.contains(&full) {
            files.push(full);
        }
    }
    if alpha {
        files.sort_by_key(|a| a.to_ascii_lowercase());
    }
    files
}

fn random_index(n: usize) -> usize {
    (crate::channels::sip::style::random_u64() % n.max(1) as u64) as usize
}

/// Why a class could not be used.
enum Missing {
    /// Not configured, or a files class without files (Asterisk never
    /// registered it).
    NotFound,
    /// A mode Asterism cannot play (mp3, custom: external programs).
    Unsupported(String),
}

/// What a class plays, in its order (`class->files`): a files class's
/// directory, a playlist's entries; nothing for another mode.
pub fn class_files(sys: &System, c: &MohClass) -> Vec<String> {
    let alpha = matches!(c.sort, Sort::Alpha | Sort::RandStart);
    match c.mode.to_ascii_lowercase().as_str() {
        "files" => scan_files(&sys.conf.dirs.data, &c.directory, alpha),
        "playlist" => c.entries.clone(),
        _ => Vec::new(),
    }
}

fn load_class(sys: &System, c: &MohClass) -> Result<Class, Missing> {
    let mode = c.mode.to_ascii_lowercase();
    if mode != "files" && mode != "playlist" {
        return Err(Missing::Unsupported(c.mode.clone()));
    }
    let files = class_files(sys, c);
    if files.is_empty() {
        return Err(Missing::NotFound);
    }
    Ok(Class {
        name: c.name.clone(),
        files,
        announcement: c.announcement.clone().filter(|a| !a.is_empty()),
        random: c.sort == Sort::Random,
        random_start: matches!(c.sort, Sort::Random | Sort::RandStart),
        loop_last: c.loop_last,
        answeredonly: c.answeredonly,
    })
}

/// Music playing to a channel (the `moh_file_stream` generator).
pub struct MohSource {
    sys: Arc<System>,
    class: Class,
    state: Arc<Mutex<MusicState>>,
    current: Option<Playback>,
    paths: SoundPaths,
    lang: String,
    codec: Codec,
    chan_name: String,
    callid: u32,
    /// For MusicOnHoldStop; weak, as the channel owns this source.
    chan: std::sync::Weak<crate::channels::Channel>,
}

fn lock(state: &Mutex<MusicState>) -> std::sync::MutexGuard<'_, MusicState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl MohSource {
    fn warning(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.warning(site, Some(self.callid), msg);
    }

    fn open(&self, name: &str) -> Option<Playback> {
        match self.paths.open_streaming(name, &self.lang, self.codec) {
            Ok(p) => Some(p),
            Err(_) => {
                self.sys.pbx.logger.warning(
                    crate::site!("file.c", 832, "openstream_internal"),
                    Some(self.callid),
                    &format!("File {name} does not exist in any format"),
                );
                None
            }
        }
    }

    /// `moh_files_next`: the announcement between files, then the file to
    /// resume or the next one.
    fn next_file(&mut self) -> bool {
        self.current = None;
        let mut st = lock(&self.state);
        if let Some(a) = self.class.announcement.clone()
            && !st.announcement
        {
            st.announcement = true;
            drop(st);
            if let Some(p) = self.open(&a) {
                self.current = Some(p);
                return true;
            }
            st = lock(&self.state);
        } else {
            st.announcement = false;
        }
        let n = self.class.files.len();
        if n == 0 {
            drop(st);
            self.warning(
                crate::site!("res_musiconhold.c", 382, "moh_files_next"),
                &format!("No files available for class '{}'", self.class.name),
            );
            return false;
        }
        let resumable = st
            .save_pos
            .filter(|&p| p < n && self.class.files[p] == st.save_pos_filename);
        if st.pos == 0 && st.save_pos_filename.is_empty() {
            // The first file of a fresh start.
            st.save_pos = None;
        } else if let Some(p) = resumable {
            st.pos = p;
            st.save_pos = None;
        } else if self.class.random {
            st.pos = random_index(n);
            st.save_pos = None;
            st.samples = 0;
        } else {
            st.pos += 1;
            st.pos = if self.class.loop_last {
                st.pos.min(n - 1)
            } else {
                st.pos % n
            };
            st.save_pos = None;
            st.samples = 0;
        }
        let mut pos = st.pos;
        let samples = st.samples;
        drop(st);
        let mut opened = None;
        for _ in 0..n {
            let name = self.class.files[pos].clone();
            if let Some(p) = self.open(&name) {
                opened = Some(p);
                break;
            }
            self.warning(
                crate::site!("res_musiconhold.c", 421, "moh_files_next"),
                &format!("Unable to open file '{name}': No such file or directory"),
            );
            pos = (pos + 1) % n;
        }
        let Some(mut p) = opened else {
            return false;
        };
        if samples > 0 {
            // Resuming: the file restarts where it stopped.
            let _ = p.skip_samples(samples);
        }
        let mut st = lock(&self.state);
        st.pos = pos;
        st.save_pos_filename = self.class.files[pos].clone();
        self.current = Some(p);
        true
    }

    fn read(&mut self) -> Option<AudioFrame> {
        self.current
            .as_mut()
            .and_then(|p| p.next_frame().ok().flatten())
    }
}

impl FrameSource for MohSource {
    /// `moh_files_readframe`: at the end of a file, the next one (twice,
    /// for a resume point saved at the very end).
    fn next_frame(&mut self) -> Option<AudioFrame> {
        let mut f = self.read();
        for _ in 0..2 {
            if f.is_some() {
                break;
            }
            if !self.next_file() {
                return None;
            }
            f = self.read();
        }
        let f = f?;
        let mut st = lock(&self.state);
        if !st.announcement {
            st.samples += f.samples() as u64;
        }
        Some(f)
    }

    fn is_generator(&self) -> bool {
        true
    }
}

impl Drop for MohSource {
    /// `moh_files_release`: the music stops, its place is kept.
    fn drop(&mut self) {
        {
            let mut st = lock(&self.state);
            st.active = false;
            st.save_pos = Some(st.pos);
            st.announcement = false;
        }
        self.sys.pbx.logger.verbose(
            3,
            crate::site!("res_musiconhold.c", 296, "moh_post_stop"),
            Some(self.callid),
            &format!("Stopped music on hold on {}", self.chan_name),
        );
        if let Some(chan) = self.chan.upgrade() {
            chan.emit_published(crate::core::events::EventKind::MusicOnHoldStop);
        }
    }
}

/// Warns once per process that classes switching by digit do not switch.
fn warn_digit_classes(ctx: &AppCtx) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let moh = ctx.sys.loaded().moh.clone();
    if moh.classes.iter().any(|c| c.digit.is_some()) && !WARNED.swap(true, Ordering::Relaxed) {
        ctx.warning(
            crate::site!("res_musiconhold.c", 0, "load_moh_classes"),
            "musiconhold.conf 'digit': Asterism does not switch classes by DTMF",
        );
    }
}

/// Whether res_musiconhold gave the core its functions: it does when it
/// runs and its configuration has a class that loads (with none it says
/// "disabling music on hold").
pub fn installed(sys: &System) -> bool {
    let loaded = sys.loaded();
    crate::core::modules::running(sys, "res_musiconhold")
        && loaded
            .moh
            .classes
            .iter()
            .any(|c| files_class_loads(c, &sys.conf.dirs.data))
}

/// `local_ast_moh_start`: finds the class and starts it, unless that
/// class already plays. `Err` when no class could start (the caller
/// logs it).
pub fn moh_start(ctx: &AppCtx, mclass: Option<&str>) -> Result<(), ()> {
    moh_start_interpreting(ctx, mclass, None)
}

/// `local_ast_moh_start` with a channel driver's `interpclass` (its
/// `mohinterpret`), tried after the channel's and the requested class.
pub fn moh_start_interpreting(
    ctx: &AppCtx,
    mclass: Option<&str>,
    interpclass: Option<&str>,
) -> Result<(), ()> {
    if !installed(&ctx.sys) {
        // channel.c's ast_moh_start without res_musiconhold's functions:
        // said, and it fails.
        ctx.verbose(
            3,
            crate::site!("channel.c", 7895, "ast_moh_start"),
            &format!(
                "Music class {} requested but no musiconhold loaded.",
                mclass.or(interpclass).unwrap_or("default")
            ),
        );
        return Err(());
    }
    warn_digit_classes(ctx);
    let moh = ctx.sys.loaded().moh.clone();
    let chan_class = ctx.chan.lock().musicclass.clone();
    let mut candidates: Vec<&str> = if moh.preferchannelclass {
        vec![chan_class.as_str(), mclass.unwrap_or("")]
    } else {
        vec![mclass.unwrap_or(""), chan_class.as_str()]
    };
    candidates.push(interpclass.unwrap_or(""));
    candidates.push("default");
    let mut class = None;
    for name in candidates.into_iter().filter(|n| !n.is_empty()) {
        match moh
            .class(name)
            .ok_or(Missing::NotFound)
            .and_then(|c| load_class(&ctx.sys, c))
        {
            Ok(c) => {
                class = Some(c);
                break;
            }
            Err(Missing::NotFound) => ctx.warning(
                crate::site!("res_musiconhold.c", 1013, "_get_mohbyname"),
                &format!(
                    "Music on Hold class '{name}' not found in memory. Verify your configuration."
                ),
            ),
            Err(Missing::Unsupported(mode)) => {
                ctx.warning(
                    crate::site!("res_musiconhold.c", 0, "local_ast_moh_start"),
                    &format!(
                        "Music on Hold class '{name}': mode '{mode}' is not supported by Asterism"
                    ),
                );
                return Err(());
            }
        }
    }
    let Some(class) = class else {
        return Err(());
    };
    if class.answeredonly && ctx.chan.state() != ChanState::Up {
        ctx.verbose(
            3,
            crate::site!("res_musiconhold.c", 1933, "local_ast_moh_start"),
            &format!(
                "The channel '{}' is not answered yet. Ignore the moh request.",
                ctx.chan.name
            ),
        );
        return Err(());
    }
    let state = ctx.chan.media().music.clone();
    {
        let st = lock(&state);
        if st.active && st.class == class.name {
            // This class already plays.
            return Ok(());
        }
    }
    // The generator playing goes first (its release is logged before this
    // start, as in Asterisk).
    ctx.chan.stop_generator();
    {
        let mut st = lock(&state);
        let n = class.files.len();
        if st.file_count != n || st.class != class.name {
            *st = MusicState::default();
            if class.random_start {
                st.pos = random_index(n);
            }
        }
        st.active = true;
        st.class = class.name.clone();
        st.file_count = n;
    }
    ctx.verbose(
        3,
        crate::site!("res_musiconhold.c", 259, "moh_post_start"),
        &format!(
            "Started music on hold, class '{}', on channel '{}'",
            class.name, ctx.chan.name
        ),
    );
    let class_name = class.name.clone();
    let source = MohSource {
        sys: ctx.sys.clone(),
        class,
        state,
        current: None,
        paths: SoundPaths::from_conf(&ctx.sys.conf),
        lang: ctx.chan.lock().language.clone(),
        codec: ctx.chan.native_codec(),
        chan_name: ctx.chan.name.clone(),
        callid: ctx.chan.callid(),
        chan: Arc::downgrade(&ctx.chan),
    };
    ctx.chan
        .emit(crate::core::events::EventKind::MusicOnHoldStart { class: class_name });
    ctx.chan.start_source(Box::new(source));
    Ok(())
}

/// `local_ast_moh_stop`: whatever generator plays stops.
pub fn moh_stop(ctx: &AppCtx) {
    ctx.chan.stop_generator();
}

/// What a driver does with a HOLD (`held`) or UNHOLD indication it plays
/// itself: music on hold in the `interpret` class (its `mohinterpret`),
/// or silence again.
pub fn indicate_hold(
    sys: Option<Arc<System>>,
    chan: &Arc<Channel>,
    held: bool,
    music_class: Option<&str>,
    interpret: &str,
) {
    let Some(sys) = sys else {
        return;
    };
    let ctx = AppCtx {
        sys,
        chan: chan.clone(),
    };
    if held {
        let interpret = Some(interpret).filter(|c| !c.is_empty());
        let _ = moh_start_interpreting(&ctx, music_class.filter(|c| !c.is_empty()), interpret);
    } else {
        moh_stop(&ctx);
    }
}

/// MusicOnHold (play_moh_exec) and StartMusicOnHold (start_moh_exec) each
/// log this from their own line.
fn start_failed(ctx: &AppCtx, site: &Site<'_>, class: Option<&str>) {
    ctx.warning(
        site,
        &format!(
            "Unable to start music on hold class '{}' on channel {}",
            class.unwrap_or("(null)"),
            ctx.chan.name
        ),
    );
}

fn musiconhold<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = split_args(&data, ',');
        let class = args.first().map(String::as_str).filter(|c| !c.is_empty());
        let mut timeout_ms: i64 = -1;
        if let Some(d) = args.get(1).filter(|d| !d.is_empty()) {
            match crate::config::views::values::scan_d(d) {
                Some(s) => timeout_ms = s.saturating_mul(1000),
                None => ctx.warning(
                    crate::site!("res_musiconhold.c", 951, "play_moh_exec"),
                    &format!("Invalid MusicOnHold duration '{d}'. Will wait indefinitely."),
                ),
            }
        }
        if moh_start(ctx, class).is_err() {
            start_failed(
                ctx,
                crate::site!("res_musiconhold.c", 957, "play_moh_exec"),
                class,
            );
            return Ok(());
        }
        let res = if timeout_ms > 0 {
            ctx.chan
                .sleep(Duration::from_millis(timeout_ms as u64))
                .await
        } else {
            ctx.chan.wait_for(|_| false).await
        };
        moh_stop(ctx);
        res.map_err(|_| super::AppExit::Hangup)
    })
}

fn startmusiconhold(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let class = args.first().map(String::as_str).filter(|c| !c.is_empty());
    if moh_start(ctx, class).is_err() {
        start_failed(
            ctx,
            crate::site!("res_musiconhold.c", 986, "start_moh_exec"),
            class,
        );
    }
    Ok(())
}

fn stopmusiconhold(ctx: &AppCtx, _: &str) -> AppResult {
    moh_stop(ctx);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_directories_are_scanned_as_asterisk_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let moh = dir.path().join("moh");
        std::fs::create_dir_all(&moh).expect("mkdir");
        for f in ["b.wav", "A.wav", "b.ulaw", ".hidden.wav", "x.w", "noext"] {
            std::fs::write(moh.join(f), b"x").expect("write");
        }
        let files = scan_files(dir.path(), "moh", true);
        let names: Vec<&str> = files
            .iter()
            .map(|f| f.rsplit('/').next().unwrap_or(""))
            .collect();
        assert_eq!(names, ["A", "b"]);
        assert!(scan_files(dir.path(), "missing", false).is_empty());
    }
}
