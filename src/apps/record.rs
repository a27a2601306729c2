//! Record (Asterisk's `app_record.c`): what the caller says goes to a
//! file until a terminating digit, enough silence, the maximum duration
//! or the hangup. Sets RECORDED_FILE and RECORD_STATUS (DTMF, OPERATOR,
//! SILENCE, SKIP, TIMEOUT, HANGUP, ERROR).
//!
//! The file is written under a temporary name and renamed into place when
//! complete (see [`Recording`]), so a crash never leaves half a recording
//! under the real name. The tail Asterisk cuts off at the end (the last
//! 250 ms before a digit, the silence past one second) is held back in
//! memory instead of being written and rewound.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::playback::{Streamed, stream_file};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, separate_args};
use crate::channels::ChanState;
use crate::config::loader::{LoadOptions, load};
use crate::config::views::values::scan_d;
use crate::media::AudioFrame;
use crate::media::file::{Recording, SoundPaths};
use crate::media::formats::FileFormat;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Record",
        run: Run::Wait(record),
        synopsis: "Records what the caller says to a file.",
        syntax: "Record(filename.format[,silence[,maxduration[,options]]])",
    }]
}

/// `DEFAULT_SILENCE_THRESHOLD` of main/dsp.c: below this average level a
/// frame is silence.
const DEFAULT_SILENCE_THRESHOLD: i64 = 256;

/// File extensions Asterisk 20's format modules write; those Asterism has
/// no writer for are refused as unsupported rather than unknown.
const ASTERISK_EXTENSIONS: &[&str] = &[
    "g719", "g723", "g723sf", "g726-40", "g726-32", "g726-24", "g726-16", "g729", "gsm", "h263",
    "h264", "ilbc", "spx", "spx16", "spx32", "ogg", "g722", "au", "siren14", "siren7", "sln12",
    "sln16", "sln24", "sln32", "sln44", "sln48", "sln96", "sln192", "vox", "WAV", "wav49", "wav16",
    "mp3",
];

/// dsp.conf `[default] silencethreshold`, as `ast_dsp_get_threshold_from_settings`
/// gives it (read when recording starts).
pub(crate) fn silence_threshold(ctx: &AppCtx) -> i64 {
    let opts = LoadOptions::new(ctx.sys.conf.dirs.etc.clone());
    let Ok(Some(cfg)) = load("dsp.conf", &opts) else {
        return DEFAULT_SILENCE_THRESHOLD;
    };
    match cfg.get("default", "silencethreshold").and_then(scan_d) {
        Some(t) if t >= 0 => t,
        _ => DEFAULT_SILENCE_THRESHOLD,
    }
}

/// The average absolute sample (`__ast_dsp_silence_noise`).
pub(crate) fn frame_level(frame: &AudioFrame) -> i64 {
    let s = frame.to_slin();
    if s.is_empty() {
        return 0;
    }
    s.iter().map(|&v| i64::from(v).abs()).sum::<i64>() / s.len() as i64
}

/// Frames not yet written: the most recent `keep` samples stay here so
/// the end can be cut without rewinding the file.
pub(crate) struct Holdback {
    frames: VecDeque<AudioFrame>,
    samples: usize,
    keep: usize,
}

impl Holdback {
    /// Holds back the last `keep` samples.
    pub(crate) fn new(keep: usize) -> Holdback {
        Holdback {
            frames: VecDeque::new(),
            samples: 0,
            keep,
        }
    }

    pub(crate) fn push(&mut self, f: AudioFrame, rec: &mut Recording) -> Result<(), ()> {
        self.samples += f.samples();
        self.frames.push_back(f);
        while let Some(front) = self.frames.front() {
            if self.samples - front.samples() < self.keep {
                break;
            }
            self.samples -= front.samples();
            if let Some(old) = self.frames.pop_front() {
                rec.write_frame(&old).map_err(|_| ())?;
            }
        }
        Ok(())
    }

    /// Writes what is held except the last `cut` samples.
    pub(crate) fn flush(mut self, cut: usize, rec: &mut Recording) -> Result<(), ()> {
        let mut cut = cut;
        while cut > 0 {
            let Some(last) = self.frames.pop_back() else {
                break;
            };
            let n = last.samples();
            if n > cut {
                let keep = n - cut;
                self.frames.push_back(match last {
                    AudioFrame::Ulaw(mut b) => {
                        b.truncate(keep);
                        AudioFrame::Ulaw(b)
                    }
                    AudioFrame::Alaw(mut b) => {
                        b.truncate(keep);
                        AudioFrame::Alaw(b)
                    }
                    AudioFrame::Slin(mut s) => {
                        s.truncate(keep);
                        AudioFrame::Slin(s)
                    }
                });
                cut = 0;
            } else {
                cut -= n;
            }
        }
        for f in &self.frames {
            rec.write_frame(f).map_err(|_| ())?;
        }
        Ok(())
    }
}

fn record<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { record_exec(ctx, &data).await })
}

/// The `%d` template filled in with the first number giving a name that
/// does not exist yet in `format` (any language), as Record counts.
fn unique_name(
    paths: &SoundPaths,
    template: &str,
    lang: &str,
    format: Option<FileFormat>,
) -> String {
    let mut count = 0u64;
    loop {
        let name = template.replace("%d", &count.to_string());
        let taken = format.is_some_and(|f| paths.exists_in(&name, lang, f));
        if !taken {
            return name;
        }
        count += 1;
    }
}

/// `create_destination_directory`: the directory of an absolute name; for
/// a relative one Asterisk makes `<sounds>/<name>` itself a directory (it
/// passes the whole name), and so does this.
fn create_destination_directory(paths: &SoundPaths, name: &str) -> std::io::Result<()> {
    let Some(sep) = name.rfind('/') else {
        return Ok(());
    };
    if name.starts_with('/') {
        if sep == 0 {
            return Ok(());
        }
        std::fs::create_dir_all(&name[..sep])
    } else {
        std::fs::create_dir_all(paths.sounds_dir.join(name))
    }
}

async fn record_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let status = |s: &str| ctx.set_var("RECORD_STATUS", Some(s));
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_record.c", 361, "record_exec"),
            "Record requires an argument (filename)",
        );
        status("ERROR");
        return Err(AppExit::Hangup);
    }
    let args = separate_args(data, ',', 4);
    let arg = |i: usize| args.get(i).map(String::as_str);
    let opts = match arg(3) {
        Some(o) if args.len() == 4 => {
            options::parse(&ctx.sys.pbx.logger, o, "aknoqstuyx").unwrap_or_default()
        }
        _ => options::Options::default(),
    };
    let full = arg(0).unwrap_or("");
    let cut = full.rfind('.').or_else(|| full.find(':'));
    let Some(cut) = cut else {
        ctx.warning(
            crate::site!("app_record.c", 381, "record_exec"),
            "No extension specified to filename!",
        );
        status("ERROR");
        return Err(AppExit::Hangup);
    };
    let (filename, ext) = (&full[..cut], &full[cut + 1..]);
    let mut silence_ms: i64 = 0;
    if let Some(s) = arg(1) {
        match scan_d(s) {
            Some(i) if i > -1 => silence_ms = i.saturating_mul(1000),
            _ if !s.is_empty() => ctx.warning(
                crate::site!("app_record.c", 389, "record_exec"),
                &format!("'{s}' is not a valid silence duration"),
            ),
            _ => {}
        }
    }
    let truncate_silence = !opts.has('u');
    let mut maxduration_ms: i64 = 0;
    if let Some(s) = arg(2) {
        match scan_d(s) {
            Some(i) if i > -1 => maxduration_ms = i.saturating_mul(1000),
            _ if !s.is_empty() => ctx.warning(
                crate::site!("app_record.c", 401, "record_exec"),
                &format!("'{s}' is not a valid maximum duration"),
            ),
            _ => {}
        }
    }
    let terminator = if opts.has('x') {
        None
    } else if opts.has('t') {
        Some('*')
    } else {
        Some('#')
    };
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    let format = FileFormat::from_extension(ext);
    let name = if filename.contains('%') {
        unique_name(&paths, filename, &lang, format)
    } else {
        filename.to_string()
    };
    ctx.set_var("RECORDED_FILE", Some(&name));

    if ctx.chan.state() != ChanState::Up {
        if opts.has('s') {
            status("SKIP");
            return Ok(());
        } else if !opts.has('n') && super::builtins::answer_and_wait(ctx).await.is_err() {
            ctx.warning(
                crate::site!("app_record.c", 454, "record_exec"),
                &format!("Could not answer channel '{}'", ctx.chan.name),
            );
            status("ERROR");
            return Err(AppExit::Hangup);
        }
    }
    if !opts.has('q') {
        // A beep marks the start.
        match stream_file(ctx, "beep", "").await {
            Streamed::Done | Streamed::Digit(_) => {}
            Streamed::Failed | Streamed::Hangup => {
                status("HANGUP");
                return Ok(());
            }
        }
    }
    let threshold = (silence_ms > 0).then(|| silence_threshold(ctx));
    if create_destination_directory(&paths, &name).is_err() {
        ctx.warning(
            crate::site!("app_record.c", 487, "record_exec"),
            &format!("Could not create directory for file {filename}"),
        );
        status("ERROR");
        return Ok(());
    }
    let writable = match format {
        Some(f) if f.codec().is_some() => Some(f),
        Some(_) => {
            ctx.warning(
                crate::site!("app_record.c", 0, "record_exec"),
                &format!("Record: Asterism cannot write format '{ext}' (no encoder for it)"),
            );
            None
        }
        None if ASTERISK_EXTENSIONS.contains(&ext) => {
            ctx.warning(
                crate::site!("app_record.c", 0, "record_exec"),
                &format!("Record: Asterism cannot write format '{ext}' (no encoder for it)"),
            );
            None
        }
        None => {
            ctx.warning(
                crate::site!("file.c", 1600, "ast_writefile"),
                &format!("No such format '{ext}'"),
            );
            None
        }
    };
    let rec = writable
        .and_then(|f| Recording::create_file(&paths.write_path(&name, ext), f, opts.has('a')).ok());
    let Some(mut rec) = rec else {
        ctx.warning(
            crate::site!("app_record.c", 496, "record_exec"),
            &format!("Could not create file {filename}"),
        );
        status("ERROR");
        return Ok(());
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<AudioFrame>();
    ctx.chan.set_tap(Some(Box::new(move |f: &AudioFrame| {
        // The receiver only goes when recording ends.
        let _ = tx.send(f.clone());
    })));
    // The cut at the end is at most the silence allowed less a second, or
    // the quarter second before a digit.
    let keep_ms = (silence_ms - 1000).max(250) as usize;
    let mut held = Holdback {
        frames: VecDeque::new(),
        samples: 0,
        keep: keep_ms * 8,
    };
    let start = Instant::now();
    let deadline =
        (maxduration_ms > 0).then(|| start + Duration::from_millis(maxduration_ms as u64));
    let mut outcome = "ERROR";
    let (mut got_frame, mut hangup, mut got_silence, mut timed_out) = (false, false, false, false);
    let mut total_silence: i64 = 0;
    let mut write_failed = false;
    let mut rx_closed = false;
    loop {
        let remaining = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    timed_out = true;
                    break;
                }
                d - now
            }
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            biased;
            frame = rx.recv(), if !rx_closed => {
                // Closed: something else took the channel's audio.
                let Some(frame) = frame else {
                    rx_closed = true;
                    continue;
                };
                got_frame = true;
                let level = threshold.map(|_| frame_level(&frame));
                if held.push(frame, &mut rec).is_err() {
                    ctx.warning(crate::site!("app_record.c", 530, "record_exec"), "Problem writing frame");
                    write_failed = true;
                    break;
                }
                if let (Some(level), Some(threshold)) = (level, threshold) {
                    if level < threshold {
                        total_silence += 20;
                    } else {
                        total_silence = 0;
                    }
                    if total_silence > silence_ms {
                        got_silence = true;
                        outcome = "SILENCE";
                        break;
                    }
                }
            }
            digit = ctx.chan.wait_digit_as(crate::channels::media::DigitReader::Frames, remaining) => match digit {
                Err(_) => {
                    hangup = true;
                    break;
                }
                Ok(None) => {}
                Ok(Some(d)) => {
                    got_frame = true;
                    if d == '0' && opts.has('o') {
                        outcome = "OPERATOR";
                        break;
                    }
                    if Some(d) == terminator || opts.has('y') {
                        outcome = "DTMF";
                        break;
                    }
                }
            },
        }
    }
    ctx.chan.set_tap(None);
    // What arrived before the tap went still belongs to the recording.
    while let Ok(frame) = rx.try_recv() {
        if !write_failed && !got_silence && held.push(frame, &mut rec).is_err() {
            write_failed = true;
        }
    }
    if write_failed {
        outcome = "ERROR";
    }
    if timed_out {
        outcome = "TIMEOUT";
    }
    let mut res = Ok(());
    if hangup || !got_frame {
        // Asterisk takes "no frame read" for a hangup, even when the
        // maximum duration ran out first.
        outcome = "HANGUP";
        res = Err(AppExit::Hangup);
        if !opts.has('k') {
            paths.delete_all(filename);
            if name == filename {
                rec.discard();
                status(outcome);
                return res;
            }
        }
        let _ = held.flush(0, &mut rec);
    } else {
        let cut_ms = if got_silence && truncate_silence {
            (silence_ms - 1000).max(0) as usize
        } else if !timed_out {
            250
        } else {
            0
        };
        if held.flush(cut_ms * 8, &mut rec).is_err() {
            ctx.warning(
                crate::site!("app_record.c", 530, "record_exec"),
                "Problem writing frame",
            );
            outcome = "ERROR";
        }
    }
    if let Err(e) = rec.finish() {
        ctx.warning(
            crate::site!("app_record.c", 0, "record_exec"),
            &format!("Could not finish recording {name}: {e}"),
        );
        outcome = "ERROR";
    }
    status(outcome);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdback_keeps_the_tail_and_cuts_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("r.sln");
        let mut rec = Recording::create_file(&target, FileFormat::Sln, false).expect("create");
        let mut held = Holdback {
            frames: VecDeque::new(),
            samples: 0,
            keep: 400,
        };
        for i in 0..10 {
            held.push(AudioFrame::Slin(vec![i; 160]), &mut rec)
                .expect("push");
        }
        assert!(held.samples >= 400 && held.samples < 560);
        held.flush(250, &mut rec).expect("flush");
        rec.finish().expect("finish");
        let bytes = std::fs::read(&target).expect("read");
        assert_eq!(bytes.len(), (1600 - 250) * 2);
    }

    #[test]
    fn templates_count_up_past_existing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = SoundPaths::new(dir.path());
        let base = dir.path().join("rec").display().to_string();
        let template = format!("{base}%d");
        let name = unique_name(&paths, &template, "en", Some(FileFormat::Wav));
        assert_eq!(name, format!("{base}0"));
        std::fs::write(format!("{base}0.wav"), b"x").expect("write");
        std::fs::write(format!("{base}1.ulaw"), b"x").expect("write");
        // Another format does not count.
        assert_eq!(
            unique_name(&paths, &template, "en", Some(FileFormat::Wav)),
            format!("{base}1")
        );
        assert_eq!(
            unique_name(&paths, &template, "en", Some(FileFormat::Pcm)),
            format!("{base}0")
        );
    }

    #[test]
    fn frame_levels() {
        assert_eq!(frame_level(&AudioFrame::Slin(vec![100, -300])), 200);
        assert_eq!(frame_level(&AudioFrame::Slin(vec![])), 0);
    }
}
