//! WaitForSilence and WaitForNoise (Asterisk's `app_waitforsilence.c`):
//! read the channel's audio until enough silence (or noise) in a row has
//! been heard, a number of times, or a timeout; WAITSTATUS says which.
//! Silence is judged as main/dsp.c does (`__ast_dsp_silence_noise`):
//! a frame whose mean absolute sample is under dsp.conf's threshold.

use std::time::{Duration, Instant};

use super::record::silence_threshold;
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args};
use crate::channels::ChanState;
use crate::media::AudioFrame;

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "WaitForNoise",
            run: Run::Wait(waitfornoise),
            synopsis: "Waits for a stretch of noise on the channel.",
            syntax: "WaitForNoise(noiserequired[,iterations[,timeout]])",
        },
        App {
            name: "WaitForSilence",
            run: Run::Wait(waitforsilence),
            synopsis: "Waits for a stretch of silence on the channel.",
            syntax: "WaitForSilence(silencerequired[,iterations[,timeout]])",
        },
    ]
}

/// What is waited for (app_waitforsilence's `wait_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Silence,
    Noise,
}

impl Wanted {
    fn name(self) -> &'static str {
        match self {
            Wanted::Silence => "silence",
            Wanted::Noise => "noise",
        }
    }

    fn status(self) -> &'static str {
        match self {
            Wanted::Silence => "SILENCE",
            Wanted::Noise => "NOISE",
        }
    }
}

/// The DSP's running totals (ms of silence and of noise in a row), fed
/// frame by frame at 8 kHz.
#[derive(Debug, Clone, Copy)]
pub struct Detector {
    threshold: i64,
    silence_ms: i64,
    noise_ms: i64,
}

impl Detector {
    pub fn new(threshold: i64) -> Self {
        Detector {
            threshold,
            silence_ms: 0,
            noise_ms: 0,
        }
    }

    /// Takes one frame of samples; an empty one changes nothing. A frame
    /// counts its whole length as silence or as noise, and ends the other.
    pub fn feed(&mut self, samples: &[i16]) {
        if samples.is_empty() {
            return;
        }
        let level = samples.iter().map(|&s| i64::from(s).abs()).sum::<i64>() / samples.len() as i64;
        let ms = (samples.len() / 8) as i64;
        if level < self.threshold {
            self.silence_ms += ms;
            self.noise_ms = 0;
        } else {
            self.noise_ms += ms;
            self.silence_ms = 0;
        }
    }

    /// How long what is wanted has lasted (`ast_dsp_silence`'s or
    /// `ast_dsp_noise`'s total).
    pub fn total(&self, wanted: Wanted) -> i64 {
        match wanted {
            Wanted::Silence => self.silence_ms,
            Wanted::Noise => self.noise_ms,
        }
    }
}

/// `sscanf("%30d")`: a leading integer, or `None`.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(29)
        .collect();
    let v: i64 = digits.parse().ok()?;
    // A C int: what does not fit wraps as glibc's conversion does.
    let v = if neg { -v } else { v };
    Some(i64::from(v as i32))
}

fn waitforsilence<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { waitfor_exec(ctx, &data, Wanted::Silence).await })
}

fn waitfornoise<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { waitfor_exec(ctx, &data, Wanted::Noise).await })
}

/// How one wait ended (`do_waiting`'s result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waited {
    Found,
    TimedOut,
    HungUp,
}

async fn waitfor_exec(ctx: &AppCtx, data: &str, wanted: Wanted) -> AppResult {
    let args = separate_args(data, ',', 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut timereqd = 1000;
    let mut iterations = 1;
    let mut timeout = 0;
    if !arg(0).is_empty() {
        match scan_int(arg(0)) {
            Some(v) if v >= 0 => timereqd = v,
            _ => {
                ctx.error(
                    crate::site!("app_waitforsilence.c", 256, "waitfor_exec"),
                    &format!(
                        "Argument '{}required' must be an integer greater than or equal to zero.",
                        wanted.name()
                    ),
                );
                return Err(AppExit::Hangup);
            }
        }
    }
    if !arg(1).is_empty() {
        match scan_int(arg(1)) {
            Some(v) if v >= 1 => iterations = v,
            _ => {
                ctx.error(
                    crate::site!("app_waitforsilence.c", 264, "waitfor_exec"),
                    "Argument 'iterations' must be an integer greater than 0.",
                );
                return Err(AppExit::Hangup);
            }
        }
    }
    if !arg(2).is_empty() {
        match scan_int(arg(2)) {
            Some(v) if v >= 0 => timeout = v,
            _ => {
                ctx.error(
                    crate::site!("app_waitforsilence.c", 271, "waitfor_exec"),
                    "Argument 'timeout' must be an integer greater than or equal to zero.",
                );
                return Err(AppExit::Hangup);
            }
        }
    }
    if ctx.chan.state() != ChanState::Up {
        ctx.chan.answer();
    }
    ctx.verbose(
        3,
        crate::site!("app_waitforsilence.c", 280, "waitfor_exec"),
        &format!(
            "Waiting {iterations} time(s) for {timereqd}ms of {} with {timeout}s timeout",
            wanted.name()
        ),
    );
    // transmit_silence: the caller hears silence meanwhile (a 0 Hz tone
    // is silence frames).
    let silence = ctx.sys.conf.options.transmit_silence
        && super::playtones::playtones_start(ctx, 0, "0").is_ok();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<AudioFrame>();
    ctx.chan.set_tap(Some(Box::new(move |f: &AudioFrame| {
        let _ = tx.send(f.clone());
    })));
    let start = Instant::now();
    let deadline = (timeout > 0).then(|| start + Duration::from_secs(timeout as u64));
    let mut res = Waited::Found;
    for _ in 0..iterations {
        res = do_waiting(ctx, &mut rx, timereqd, deadline, wanted).await;
        if res != Waited::Found {
            break;
        }
    }
    ctx.chan.set_tap(None);
    if silence {
        ctx.chan.stop_generator();
    }
    match res {
        Waited::HungUp => Err(AppExit::Hangup),
        Waited::Found | Waited::TimedOut => Ok(()),
    }
}

/// One wait with a fresh detector: frames are read (up to `timereqd` ms
/// for each) until what is wanted has lasted `timereqd` ms, the deadline
/// passed, or the channel hung up. No frame at all for `timereqd` is
/// silence enough (a muted digital line), never noise.
async fn do_waiting(
    ctx: &AppCtx,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<AudioFrame>,
    timereqd: i64,
    deadline: Option<Instant>,
    wanted: Wanted,
) -> Waited {
    let mut dsp = Detector::new(silence_threshold(ctx));
    let wait = Duration::from_millis(timereqd as u64);
    loop {
        // One `ast_waitfor(chan, timereqd)`: a wake-up that brings no
        // frame (a hangup to look at) keeps the same limit.
        let until = tokio::time::Instant::now() + wait;
        let mut dsptime = 0;
        loop {
            let notified = ctx.chan.wake_handle().notified();
            if ctx.chan.check_hangup() {
                ctx.set_var("WAITSTATUS", Some("HANGUP"));
                return Waited::HungUp;
            }
            tokio::select! {
                biased;
                frame = rx.recv() => match frame {
                    Some(f) => {
                        dsp.feed(&f.to_slin());
                        dsptime = dsp.total(wanted);
                        break;
                    }
                    // The tap was taken by something else: nothing more
                    // to read.
                    None => {
                        ctx.set_var("WAITSTATUS", Some("HANGUP"));
                        return Waited::HungUp;
                    }
                },
                _ = notified => {}
                _ = tokio::time::sleep_until(until) => {
                    if wanted == Wanted::Silence {
                        dsptime = timereqd;
                    }
                    break;
                }
            }
        }
        if dsptime >= timereqd {
            ctx.verbose(
                3,
                crate::site!("app_waitforsilence.c", 212, "do_waiting"),
                &format!(
                    "Exiting with {dsptime}ms of {} >= {timereqd}ms required",
                    wanted.name()
                ),
            );
            ctx.set_var("WAITSTATUS", Some(wanted.status()));
            return Waited::Found;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            ctx.set_var("WAITSTATUS", Some("TIMEOUT"));
            return Waited::TimedOut;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_noise_as_the_dsp_counts_them() {
        let mut d = Detector::new(256);
        let quiet = [100i16; 160];
        let loud = [-3000i16; 160];
        d.feed(&quiet);
        d.feed(&quiet);
        assert_eq!((d.total(Wanted::Silence), d.total(Wanted::Noise)), (40, 0));
        d.feed(&loud);
        assert_eq!((d.total(Wanted::Silence), d.total(Wanted::Noise)), (0, 20));
        d.feed(&[]);
        assert_eq!(d.total(Wanted::Noise), 20);
        // The level is the mean absolute sample: at the threshold it is
        // noise, one under it silence.
        let mut e = Detector::new(256);
        e.feed(&[256, -256, 256, -256, 256, -256, 256, -256]);
        assert_eq!(e.total(Wanted::Noise), 1);
        e.feed(&[255, -255, 255, -255, 255, -255, 255, -255]);
        assert_eq!((e.total(Wanted::Silence), e.total(Wanted::Noise)), (1, 0));
    }

    #[test]
    fn arguments_as_sscanf_reads_them() {
        for (s, v) in [
            ("300", Some(300)),
            ("-1", Some(-1)),
            ("2x", Some(2)),
            ("x", None),
            ("", None),
        ] {
            assert_eq!(scan_int(s), v, "{s:?}");
        }
    }
}
