//! AGI's RECORD FILE (`handle_recordfile`): records what the caller says
//! into a file until an escape digit, the timeout, enough silence or a
//! hangup, with the replies Asterisk gives for each.

use std::time::{Duration, Instant};

use super::{Agi, Res};
use crate::apps::playback::{Streamed, stream_file};
use crate::apps::record::{Holdback, frame_level, silence_threshold};
use crate::media::AudioFrame;
use crate::media::file::{Recording, SoundPaths};
use crate::media::formats::FileFormat;

/// `RECORD FILE <file> <format> <escape digits> <timeout ms> [offset]
/// [BEEP] [s=<silence s>]`.
pub async fn record_file(agi: &mut Agi, a: &[String]) -> Res {
    if a.len() < 6 {
        return Res::ShowUsage;
    }
    let Some(ms) = super::commands::scan(&a[5]) else {
        return Res::ShowUsage;
    };
    // The silence option may be any of the last three arguments.
    let silence_arg = a
        .iter()
        .skip(6)
        .take(3)
        .find_map(|s| s.find('s').map(|i| &s[i..]));
    let mut silence_ms: i64 = 0;
    if let Some(s) = silence_arg
        && s.len() > 2
        && let Some(v) = s.strip_prefix("s=")
    {
        let v = crate::apps::builtins::atoi(v);
        if v > 0 {
            silence_ms = v * 1000;
        }
    }
    let threshold = (silence_ms > 0).then(|| silence_threshold(&agi.ctx));
    let mut offset: i64 = 0;
    let arg6_offset = a.get(6).and_then(|s| super::commands::scan(s));
    if let Some(o) = arg6_offset {
        offset = o;
    }
    // An argument that is neither an offset nor `s=` asks for a beep.
    let beep = (a.len() > 6 && arg6_offset.is_none() && !a[6].starts_with("s="))
        || (a.len() > 7 && !a[7].starts_with("s="));
    let escape = a[4].clone();
    let mut res: i64 = 0;
    if beep {
        res = match stream_file(&agi.ctx, "beep", &escape).await {
            Streamed::Done => 0,
            Streamed::Digit(d) => d as i64,
            Streamed::Failed | Streamed::Hangup => -1,
        };
    }
    if res != 0 {
        agi.send(&format!("200 result={res} (randomerror) endpos={offset}\n"))
            .await;
        return Res::Success;
    }
    let paths = SoundPaths::from_conf(&agi.ctx.sys.conf);
    let format = FileFormat::from_extension(&a[3]).filter(|f| f.codec().is_some());
    let rec = format
        .and_then(|f| Recording::create_file(&paths.write_path(&a[2], &a[3]), f, offset > 0).ok());
    let Some(mut rec) = rec else {
        agi.send("200 result=-1 (writefile)\n").await;
        return Res::Failure;
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<AudioFrame>();
    agi.ctx.chan.set_tap(Some(Box::new(move |f: &AudioFrame| {
        let _ = tx.send(f.clone());
    })));
    // The end may be cut (200 ms before a digit, the silence past one
    // second): that much stays unwritten until the end.
    let cut_dtmf: i64 = 1600;
    let cut_silence: i64 = (silence_ms - 1000).max(0) * 8;
    let mut held = Holdback::new(cut_dtmf.max(cut_silence) as usize);
    let mut write_failed = false;
    let start = Instant::now();
    let mut samples: i64 = offset.max(0);
    let mut silent_ms: i64 = 0;
    let mut got_silence = false;
    let reply;
    let mut outcome = Res::Success;
    let mut cut_at_end: i64 = 0;
    loop {
        let remaining = if ms < 0 {
            Duration::from_secs(3600)
        } else {
            let left = Duration::from_millis(ms as u64).saturating_sub(start.elapsed());
            if left.is_zero() {
                reply = format!("200 result=0 (timeout) endpos={samples}\n");
                break;
            }
            left
        };
        tokio::select! {
            biased;
            frame = rx.recv() => {
                let Some(frame) = frame else { continue };
                let n = frame.samples() as i64;
                let level = threshold.map(|_| frame_level(&frame));
                if !write_failed && held.push(frame, &mut rec).is_err() {
                    write_failed = true;
                }
                samples += n;
                if let (Some(t), Some(level)) = (threshold, level) {
                    if level < t {
                        silent_ms += n / 8;
                    } else {
                        silent_ms = 0;
                    }
                    if silent_ms > silence_ms {
                        got_silence = true;
                        reply = String::new();
                        break;
                    }
                }
            }
            d = agi.ctx.chan.wait_digit_as(crate::channels::media::DigitReader::Frames, remaining) => match d {
                Err(_) => {
                    reply = format!("200 result=-1 (hangup) endpos={samples}\n");
                    outcome = Res::Failure;
                    break;
                }
                Ok(Some(d)) if escape.contains(d) => {
                    // Asterisk cuts the last 200 ms, where the tone began.
                    let cut = cut_dtmf.min(samples - offset.max(0)).max(0);
                    samples -= cut;
                    cut_at_end = cut;
                    reply = format!("200 result={} (dtmf) endpos={samples}\n", d as i64);
                    break;
                }
                Ok(_) => {}
            },
        }
    }
    agi.ctx.chan.set_tap(None);
    let reply = if got_silence {
        // The silence past one second is cut off the end.
        let cut = cut_silence.min(samples - offset.max(0)).max(0);
        samples -= cut;
        cut_at_end = cut;
        format!("200 result=0 (timeout) endpos={samples}\n")
    } else {
        reply
    };
    if !write_failed && held.flush(cut_at_end as usize, &mut rec).is_err() {
        write_failed = true;
    }
    if write_failed {
        tracing::warn!("RECORD FILE {}: a frame could not be written", a[2]);
    }
    if let Err(e) = rec.finish() {
        tracing::warn!("RECORD FILE {}: {e}", a[2]);
    }
    agi.send(&reply).await;
    outcome
}
