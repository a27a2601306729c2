//! MF signalling (Asterisk's `apps/app_mf.c` and the MF half of
//! `main/app.c`/`main/channel.c`): `ast_mf_stream`, which plays R1 MF
//! digits as tone pairs, for SendMF and the PlayMF manager action.
//! (ReadMF, which needs an MF detector, is not built.)

use std::time::Duration;

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::HookSignal;

const FILE: &str = "app_mf.c";
/// SendMF's quiet between digits when none is given (`MF_BETWEEN_MS`).
const MF_BETWEEN_MS: u32 = 50;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "SendMF",
        run: Run::Wait(sendmf),
        synopsis: "Sends digits to a channel as R1 MF tones.",
        syntax: "SendMF(digits[,timeout_ms[,duration_ms[,duration_ms_kp[,duration_ms_st[,channel]]]]])",
    }]
}

fn sendmf<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { sendmf_exec(ctx, &data).await })
}

/// app_mf's `sendmf_exec`: the digits go to this channel, or to the one
/// named (this one then goes on whatever happens there).
async fn sendmf_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 440, "sendmf_exec"),
            "SendMF requires an argument",
        );
        return Ok(());
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    if arg(0).is_empty() {
        ctx.warning(
            crate::site!(FILE, 448, "sendmf_exec"),
            "The digits argument is required (0-9,*#ABC,wf)",
        );
        return Ok(());
    }
    // `ast_app_parse_timelen`; what does not parse, or is not above 0,
    // takes the default.
    let ms = |i: usize, default: u32| {
        super::senddtmf::parse_timelen_ms(arg(i))
            .filter(|v| *v > 0)
            .map_or(default, |v| u32::try_from(v).unwrap_or(default))
    };
    let between = ms(1, MF_BETWEEN_MS);
    let durations = (
        ms(2, MF_DURATION),
        ms(3, MF_KP_DURATION),
        ms(4, MF_ST_DURATION),
    );
    let other = if arg(5).is_empty() {
        None
    } else {
        match ctx.sys.pbx.channels.by_name(arg(5)) {
            Some(c) => Some(c),
            None => {
                ctx.warning(
                    crate::site!(FILE, 466, "sendmf_exec"),
                    &format!("No such channel: {}", arg(5)),
                );
                return Ok(());
            }
        }
    };
    let elsewhere = other
        .as_ref()
        .is_some_and(|c| !std::sync::Arc::ptr_eq(c, &ctx.chan));
    let dest = AppCtx {
        sys: ctx.sys.clone(),
        chan: other.unwrap_or_else(|| ctx.chan.clone()),
    };
    let res = mf_stream(&dest, arg(0), between, durations, Waits::Channel).await;
    if res.is_err() && !elsewhere {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

/// app_mf's default lengths (ms): a digit, KP (`*`) and the ST digits
/// (`#`, `A`, `B`, `C`).
pub const MF_DURATION: u32 = 55;
pub const MF_KP_DURATION: u32 = 120;
pub const MF_ST_DURATION: u32 = 65;
/// The shortest a digit lasts (`DEFAULT_EMULATE_MF_DURATION`); KP and
/// ST lengths are taken as given.
const MIN_DURATION: u32 = 55;
/// The quiet between digits when none is asked for.
const BETWEEN: u32 = 100;

/// The tone pair of an MF digit (`ast_senddigit_mf_begin`).
pub fn tone(digit: char) -> Option<&'static str> {
    Some(match digit {
        '0' => "1300+1500",
        '1' => "700+900",
        '2' => "700+1100",
        '3' => "900+1100",
        '4' => "700+1300",
        '5' => "900+1300",
        '6' => "1100+1300",
        '7' => "700+1500",
        '8' => "900+1500",
        '9' => "1100+1500",
        '*' => "1100+1700",
        '#' => "1500+1700",
        'A' => "900+1700",
        'B' => "1300+1700",
        'C' => "700+1700",
        _ => return None,
    })
}

/// How long one digit's tones last (`ast_senddigit_mf`).
pub fn digit_duration(digit: char, duration: u32, kp: u32, st: u32) -> u32 {
    match digit {
        '*' => kp,
        '#' | 'A' | 'B' | 'C' => st,
        _ => duration.max(MIN_DURATION),
    }
}

/// How `ast_mf_stream` waits: the manager's thread sleeps without reading
/// the channel (`is_external`); an application reads it while it waits,
/// and a hangup ends the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waits {
    External,
    Channel,
}

/// `ast_mf_stream`: a quiet 100 ms, then each digit's tones (at least
/// 55 ms; KP and ST as given), each followed by `between` ms of a silent
/// tone; `w` waits half a second, `h` plays 2600 Hz for 250 ms, `f`/`W`
/// write a flash or a wink. Err once the channel hung up (only when
/// waiting on the channel).
pub async fn mf_stream(
    ctx: &AppCtx,
    digits: &str,
    between: u32,
    durations: (u32, u32, u32),
    waits: Waits,
) -> Result<(), crate::channels::Interrupted> {
    let (duration, kp, st) = durations;
    let between = if between == 0 { BETWEEN } else { between };
    let sleep = |ms: u32| async move {
        let d = Duration::from_millis(u64::from(ms));
        match waits {
            Waits::External => {
                tokio::time::sleep(d).await;
                Ok(())
            }
            Waits::Channel => ctx.chan.sleep(d).await,
        }
    };
    // The end of a tone stops the generator (`ast_senddigit_mf_end`).
    let end = || ctx.chan.stop_generator();
    sleep(100).await?;
    for d in digits.chars() {
        match d {
            'w' => sleep(500).await?,
            'h' | 'H' => {
                let _ = super::playtones::playtones_start(ctx, 0, "2600");
                let slept = sleep(250).await;
                end();
                slept?;
            }
            '0'..='9' | '*' | '#' | 'A' | 'B' | 'C' | 'W' | 'f' | 'F' => {
                match d {
                    'f' | 'F' => ctx.chan.write_hook_signal(HookSignal::Flash),
                    'W' => ctx.chan.write_hook_signal(HookSignal::Wink),
                    _ => {
                        if let Some(pair) = tone(d) {
                            let _ = super::playtones::playtones_start(ctx, 0, pair);
                        }
                        // `ast_senddigit_mf` does not look at how its
                        // sleep ended.
                        let _ = sleep(digit_duration(d, duration, kp, st)).await;
                        end();
                    }
                }
                // A silent tone between digits: Asterisk's DSP does not
                // hear a repeated digit without audio in between.
                let _ = super::playtones::playtones_start(ctx, 0, "0");
                let slept = sleep(between).await;
                end();
                slept?;
            }
            _ => ctx.warning(
                crate::site!("app.c", 1084, "mf_stream"),
                &format!("Illegal MF character '{d}' in string. (0-9*#ABCwWfFhH allowed)"),
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{digit_duration, tone};

    #[test]
    fn digit_lengths() {
        // A plain digit lasts 55 ms at least; KP and ST as given.
        assert_eq!(digit_duration('1', 10, 10, 10), 55);
        assert_eq!(digit_duration('1', 80, 10, 10), 80);
        assert_eq!(digit_duration('*', 80, 10, 20), 10);
        assert_eq!(digit_duration('#', 80, 10, 20), 20);
        assert_eq!(digit_duration('C', 80, 10, 20), 20);
    }

    #[test]
    fn tone_pairs() {
        assert_eq!(tone('0'), Some("1300+1500"));
        assert_eq!(tone('*'), Some("1100+1700"));
        assert_eq!(tone('D'), None);
    }
}
