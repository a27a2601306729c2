//! MF signalling (Asterisk's `apps/app_mf.c` and the MF half of
//! `main/app.c`/`main/channel.c`): `ast_mf_stream`, which plays R1 MF
//! digits as tone pairs, for the PlayMF manager action.

use std::time::Duration;

use super::AppCtx;
use crate::channels::HookSignal;

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

/// `ast_mf_stream` with `is_external` (the manager's thread plays the
/// digits, sleeping without reading the channel): a quiet 100 ms, then
/// each digit's tones, each followed by `between` ms of a silent tone;
/// `w` waits half a second, `h` plays 2600 Hz for 250 ms, `f`/`W` write a
/// flash or a wink.
pub async fn mf_stream_external(
    ctx: &AppCtx,
    digits: &str,
    between: u32,
    duration: u32,
    kp: u32,
    st: u32,
) {
    let between = if between == 0 { BETWEEN } else { between };
    let sleep = |ms: u32| tokio::time::sleep(Duration::from_millis(u64::from(ms)));
    // The end of a tone stops the generator (`ast_senddigit_mf_end`).
    let end = || ctx.chan.stop_generator();
    sleep(100).await;
    for d in digits.chars() {
        match d {
            'w' => sleep(500).await,
            'h' | 'H' => {
                let _ = super::playtones::playtones_start(ctx, 0, "2600");
                sleep(250).await;
                end();
            }
            '0'..='9' | '*' | '#' | 'A' | 'B' | 'C' | 'W' | 'f' | 'F' => {
                match d {
                    'f' | 'F' => ctx.chan.write_hook_signal(HookSignal::Flash),
                    'W' => ctx.chan.write_hook_signal(HookSignal::Wink),
                    _ => {
                        if let Some(pair) = tone(d) {
                            let _ = super::playtones::playtones_start(ctx, 0, pair);
                        }
                        sleep(digit_duration(d, duration, kp, st)).await;
                        end();
                    }
                }
                // A silent tone between digits: Asterisk's DSP does not
                // hear a repeated digit without audio in between.
                let _ = super::playtones::playtones_start(ctx, 0, "0");
                sleep(between).await;
                end();
            }
            _ => ctx.warning(
                crate::site!("app.c", 1084, "mf_stream"),
                &format!("Illegal MF character '{d}' in string. (0-9*#ABCwWfFhH allowed)"),
            ),
        }
    }
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
