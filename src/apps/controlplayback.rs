//! ControlPlayback (Asterisk's `apps/app_controlplayback.c`) and the
//! `ast_control_streamfile` it runs (`main/app.c`, with `file.c`'s
//! `ast_waitstream_fr`): a file played with keys (and the manager's
//! ControlPlayback controls) to skip forward and back, pause, restart
//! and stop it.

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::media::{DigitReader, StreamControl};

const FILE: &str = "app_controlplayback.c";
/// The skip when none is given, or a control comes with none (ms).
const DEFAULT_SKIP_MS: i64 = 3000;
/// Samples per millisecond: Asterisk assumes 8 kHz here.
const SAMPLES_PER_MS: i64 = 8;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "ControlPlayback",
        run: Run::Wait(controlplayback),
        synopsis: "Plays a file with keys to skip forward and back, pause, restart and stop it.",
        syntax: "ControlPlayback(filename[,skipms[,ff[,rew[,stop[,pause[,restart[,options]]]]]]])",
    }]
}

/// What the keys do (`ast_control_streamfile`'s key sets; empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub forward: String,
    pub reverse: String,
    pub stop: String,
    pub pause: String,
    pub restart: String,
}

/// `is_on_phonepad`: 0-9, `*` or `#`.
fn on_phonepad(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// ControlPlayback's keys from its arguments: forward and rewind default
/// to `#` and `*` unless another key set already holds that digit; a
/// set whose first character is not a phone-pad key is none.
pub fn keys(fwd: &str, rev: &str, stop: &str, pause: &str, restart: &str) -> Keys {
    let holds = |set: &str, d: char| set.contains(d);
    let forward = if on_phonepad(fwd) {
        fwd.to_string()
    } else if !holds(rev, '#') && !holds(stop, '#') && !holds(pause, '#') && !holds(restart, '#') {
        "#".to_string()
    } else {
        String::new()
    };
    // The rewind default looks at the forward keys as just settled.
    let reverse = if on_phonepad(rev) {
        rev.to_string()
    } else if !holds(&forward, '*')
        && !holds(stop, '*')
        && !holds(pause, '*')
        && !holds(restart, '*')
    {
        "*".to_string()
    } else {
        String::new()
    };
    let only_pad = |s: &str| {
        if on_phonepad(s) {
            s.to_string()
        } else {
            String::new()
        }
    };
    Keys {
        forward,
        reverse,
        stop: only_pad(stop),
        pause: only_pad(pause),
        restart: only_pad(restart),
    }
}

/// What ended a wait on the stream: Asterisk's `int` (0 the end, -1 a
/// hangup, a digit's code, or a control's `AST_CONTROL_STREAM_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Done,
    /// A hangup, or a file that would not open.
    Error,
    Digit(char),
    Control(StreamControl),
}

impl Ended {
    /// The `int` Asterisk returns for it.
    pub fn code(self) -> i64 {
        match self {
            Ended::Done => 0,
            Ended::Error => -1,
            Ended::Digit(d) => i64::from(u32::from(d)),
            Ended::Control(k) => i64::from(k.code()),
        }
    }
}

fn controlplayback<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { controlplayback_exec(ctx, &data).await })
}

async fn controlplayback_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 225, "controlplayback_exec"),
            "ControlPlayback requires an argument (filename)",
        );
        return Err(AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let skip = crate::config::views::values::atoi(arg(1));
    let skip_ms = if skip != 0 { skip } else { DEFAULT_SKIP_MS };
    let keys = keys(arg(2), arg(3), arg(4), arg(5), arg(6));
    let mut offset_ms = 0;
    if !arg(7).is_empty()
        && let Ok(opts) = super::options::parse(&ctx.sys.pbx.logger, arg(7), "o")
        && let Some(o) = opts.arg('o')
    {
        offset_ms = crate::config::views::values::atoi(o);
    }
    let (res, offset_ms) = control_streamfile(ctx, arg(0), &keys, skip_ms, offset_ms).await;
    let stop_key = match res {
        Ended::Digit(d) if keys.stop.contains(d) => Some(d),
        _ => None,
    };
    let status = match (res, stop_key) {
        (_, Some(_)) => "USERSTOPPED",
        (Ended::Control(StreamControl::Stop), _) => "REMOTESTOPPED",
        (Ended::Error, _) => "ERROR",
        _ => "SUCCESS",
    };
    ctx.set_var("CPLAYBACKSTATUS", Some(status));
    if let Some(d) = stop_key {
        ctx.set_var("CPLAYBACKSTOPKEY", Some(&d.to_string()));
    }
    ctx.set_var("CPLAYBACKOFFSET", Some(&offset_ms.to_string()));
    Ok(())
}

/// `ast_control_streamfile`: plays `file` (`name:end` starts `offset_ms`
/// before its end, a negative offset at the end) until it ends, a stop
/// key or control, or a hangup; pause holds the place until the pause
/// key (or control) again, restart plays it from the start. Returns how
/// it ended and the offset reached in ms (-1: the end of the file).
pub async fn control_streamfile(
    ctx: &AppCtx,
    file: &str,
    keys: &Keys,
    skip_ms: i64,
    offset_ms: i64,
) -> (Ended, i64) {
    let chan = &ctx.chan;
    let _controls = chan.read_stream_controls();
    let breaks = format!("{}{}{}", keys.stop, keys.pause, keys.restart);
    let (file, mut from_end) = match file.split_once(':') {
        Some((f, e)) if e.eq_ignore_ascii_case("end") => (f, true),
        _ => (file, false),
    };
    let mut offset = offset_ms.saturating_mul(SAMPLES_PER_MS);
    // Where a pause left the file (0: none, as Asterisk's `if` reads it).
    let mut pause_point: u64 = 0;
    let mut generation: Option<u64>;
    let res = loop {
        chan.stop_stream();
        generation = super::playback::start_file(ctx, file);
        let Some(g) = generation else {
            break Ended::Error;
        };
        if pause_point > 0 {
            chan.with_source(g, |s| s.seek_to(pause_point));
            pause_point = 0;
        } else if from_end || offset < 0 {
            if offset == -SAMPLES_PER_MS {
                offset = 0;
            }
            ctx.verbose(
                3,
                crate::site!("app.c", 1423, "control_streamfile"),
                &format!("ControlPlayback seek to offset {offset} from end"),
            );
            // SEEK_END: `offset` samples before the end, never past it.
            chan.with_source(g, |s| {
                let len = s.length().unwrap_or(u64::MAX);
                let back = u64::try_from(offset).unwrap_or(0);
                s.seek_to(len.saturating_sub(back))
            });
            from_end = false;
            offset = 0;
        } else if offset != 0 {
            ctx.verbose(
                3,
                crate::site!("app.c", 1429, "control_streamfile"),
                &format!("ControlPlayback seek to offset {offset}"),
            );
            chan.with_source(g, |s| s.seek_to(offset as u64));
            offset = 0;
        }
        let res = wait_stream_fr(ctx, g, &breaks, keys, skip_ms).await;
        let code = |d: char, set: &str| set.contains(d);
        match res {
            Ended::Done | Ended::Error => break res,
            Ended::Digit(d) if code(d, &keys.restart) => continue,
            Ended::Control(StreamControl::Restart) => continue,
            Ended::Digit(d) if code(d, &keys.pause) => {}
            Ended::Control(StreamControl::Suspend) => {}
            // A stop key or control (nothing else ends the wait).
            _ => break res,
        }
        // Paused: the place is kept and the file stopped until the pause
        // key or control comes again (or a stop, or a hangup).
        pause_point = chan.with_source(g, |s| s.tell()).flatten().unwrap_or(0);
        chan.stop_stream();
        // The first pause key resumes; so does any other pause key that
        // is no stop key (the loop plays on from the place kept).
        match wait_paused(ctx, keys).await {
            Ended::Digit(d) if keys.pause.starts_with(d) => continue,
            Ended::Digit(d) if keys.stop.contains(d) => break Ended::Digit(d),
            Ended::Control(StreamControl::Suspend) | Ended::Digit(_) => continue,
            other => break other,
        }
    };
    let offset = if pause_point > 0 {
        pause_point as i64
    } else {
        generation
            .and_then(|g| chan.with_source(g, |s| s.tell()).flatten())
            .map_or(-SAMPLES_PER_MS, |t| t as i64)
    };
    chan.stop_stream();
    (res, offset / SAMPLES_PER_MS)
}

/// `ast_waitstream_fr`: waits for the file to end; forward and rewind
/// keys (and controls) move it, a key of `breaks` or a stop, pause or
/// restart control ends the wait, other digits are dropped.
async fn wait_stream_fr(
    ctx: &AppCtx,
    generation: u64,
    breaks: &str,
    keys: &Keys,
    skip_ms: i64,
) -> Ended {
    let chan = &ctx.chan;
    let reader = chan.read_stream_digits();
    loop {
        let mut got = None;
        let waited = chan
            .wait_for(|c| {
                if let Some(e) = control_or_digit(c) {
                    got = Some(e);
                    return true;
                }
                !c.source_playing(generation)
            })
            .await;
        if waited.is_err() {
            return Ended::Error;
        }
        match got {
            None => {
                return if chan.check_hangup() {
                    Ended::Error
                } else {
                    Ended::Done
                };
            }
            Some(Ended::Digit(d)) if keys.forward.contains(d) => {
                fast_forward(ctx, generation, skip_ms)
            }
            Some(Ended::Digit(d)) if keys.reverse.contains(d) => rewind(ctx, generation, skip_ms),
            Some(Ended::Digit(d)) if breaks.contains(d) => {
                crate::core::testsuite::notify(
                    &ctx.sys.pbx.channels.events,
                    &crate::core::testsuite::PLAYBACK_BREAK,
                    "PLAYBACK",
                    || format!("Channel: {}\r\nControl: Break\r\n", chan.name),
                );
                return Ended::Digit(d);
            }
            Some(Ended::Digit(_)) => reader.digit_dropped(),
            // A control moves by the default when no skip was given.
            Some(Ended::Control(StreamControl::Forward)) => {
                fast_forward(ctx, generation, control_skip(skip_ms))
            }
            Some(Ended::Control(StreamControl::Reverse)) => {
                rewind(ctx, generation, control_skip(skip_ms))
            }
            Some(other) => return other,
        }
    }
}

fn control_skip(skip_ms: i64) -> i64 {
    if skip_ms == 0 {
        DEFAULT_SKIP_MS
    } else {
        skip_ms
    }
}

/// `ast_stream_fastforward`, and back again (`ast_stream_rewind`) when
/// that reached the end of the file, as `waitstream_control` does.
fn fast_forward(ctx: &AppCtx, generation: u64, skip_ms: i64) {
    let skip = u64::try_from(skip_ms.saturating_mul(SAMPLES_PER_MS)).unwrap_or(0);
    let at_end = ctx.chan.with_source(generation, |s| {
        let at = s.tell().unwrap_or(0).saturating_add(skip);
        s.seek_to(at);
        s.length().is_some_and(|len| at >= len)
    });
    if at_end == Some(true) {
        rewind(ctx, generation, skip_ms);
    }
}

/// `ast_stream_rewind`: back `skip_ms`, or to the start when that is
/// further back than the start.
fn rewind(ctx: &AppCtx, generation: u64, skip_ms: i64) {
    let skip = u64::try_from(skip_ms.saturating_mul(SAMPLES_PER_MS)).unwrap_or(0);
    ctx.chan.with_source(generation, |s| {
        let at = s.tell().unwrap_or(0);
        s.seek_to(at.saturating_sub(skip))
    });
}

/// A queued stream control, else a digit's end, taken.
fn control_or_digit(c: &crate::channels::Channel) -> Option<Ended> {
    if let Some(k) = c.take_stream_control() {
        return Some(Ended::Control(k));
    }
    c.take_digit(DigitReader::EndsOnly).map(Ended::Digit)
}

/// The pause loop: `ast_waitfordigit` until the pause or a stop key, a
/// suspend or stop control, or a hangup; other digits and controls are
/// read and dropped.
async fn wait_paused(ctx: &AppCtx, keys: &Keys) -> Ended {
    let chan = &ctx.chan;
    loop {
        let mut got = None;
        let waited = chan
            .wait_for(|c| {
                if let Some(e) = control_or_digit(c) {
                    got = Some(e);
                    return true;
                }
                false
            })
            .await;
        if waited.is_err() {
            return Ended::Error;
        }
        match got {
            Some(Ended::Digit(d)) if keys.pause.contains(d) || keys.stop.contains(d) => {
                return Ended::Digit(d);
            }
            Some(Ended::Control(k @ (StreamControl::Suspend | StreamControl::Stop))) => {
                return Ended::Control(k);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Keys, keys};

    fn k(f: &str, r: &str, s: &str, p: &str, x: &str) -> Keys {
        Keys {
            forward: f.into(),
            reverse: r.into(),
            stop: s.into(),
            pause: p.into(),
            restart: x.into(),
        }
    }

    #[test]
    fn key_sets_as_controlplayback_settles_them() {
        // Defaults: # forward, * rewind.
        assert_eq!(keys("", "", "", "", ""), k("#", "*", "", "", ""));
        // A stop key of # takes it from forward.
        assert_eq!(keys("", "", "#", "", ""), k("", "*", "#", "", ""));
        // Forward given as * leaves rewind without its default.
        assert_eq!(keys("*", "", "", "", ""), k("*", "", "", "", ""));
        // Sets must begin with a phone-pad key; the rest is kept.
        assert_eq!(keys("x", "", "5x", "a4", "6"), k("#", "*", "5x", "", "6"));
    }
}
