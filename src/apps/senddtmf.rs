//! SendDTMF (Asterisk's `apps/app_senddtmf.c`) and `ast_dtmf_stream`,
//! which Dial's `D()` option uses too.

use std::sync::Arc;
use std::time::Duration;

use super::{App, AppCtx, AppFuture, AppResult, Run, split_args};
use crate::channels::{ChanState, Channel};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "SendDTMF",
        run: Run::Wait(senddtmf),
        synopsis: "Sends digits to a channel's device as DTMF.",
        syntax: "SendDTMF(digits[,timeout_ms[,duration_ms[,channel[,options]]]])",
    }]
}

/// `ast_app_parse_timelen`: a number with an optional unit (`ms`, `s`,
/// `m`, `h`), in milliseconds; None when it does not read so.
pub fn parse_timelen_ms(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let num_len = t
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || ((*c == '-' || *c == '+') && *i == 0)
        })
        .count();
    let amount: f64 = t[..num_len].parse().ok()?;
    let unit = t[num_len..].trim_start();
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    let ms = amount * scale;
    Some(if ms > f64::from(i32::MAX) {
        i64::from(i32::MAX)
    } else {
        ms as i64
    })
}

fn senddtmf<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { senddtmf_exec(ctx, &data).await })
}

async fn senddtmf_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_senddtmf.c", 163, "senddtmf_exec"),
            "SendDTMF requires an argument",
        );
        return Ok(());
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let digits = arg(0);
    if digits.is_empty() {
        ctx.warning(
            crate::site!("app_senddtmf.c", 171, "senddtmf_exec"),
            "The digits argument is required (0-9,*#,a-d,A-D,wfF)",
        );
        return Ok(());
    }
    let between = parse_timelen_ms(arg(1)).unwrap_or(0);
    let duration = parse_timelen_ms(arg(2)).unwrap_or(0);
    let dest = if arg(3).is_empty() {
        ctx.chan.clone()
    } else {
        match ctx.sys.pbx.channels.by_name(arg(3)) {
            Some(c) => c,
            None => {
                ctx.warning(
                    crate::site!("app_senddtmf.c", 183, "senddtmf_exec"),
                    &format!("No such channel: {}", arg(3)),
                );
                return Ok(());
            }
        }
    };
    if arg(4).contains('a') && dest.state() != ChanState::Up {
        let dest_ctx = AppCtx {
            sys: ctx.sys.clone(),
            chan: dest.clone(),
        };
        let _ = super::builtins::answer_and_wait(&dest_ctx).await;
    }
    let between = if between <= 0 { 250 } else { between as u64 };
    dtmf_stream(
        ctx,
        &dest,
        digits,
        Duration::from_millis(between),
        u32::try_from(duration.max(0)).unwrap_or(u32::MAX),
    )
    .await;
    Ok(())
}

/// `ast_dtmf_stream`: a quiet 100 ms, then the digits one by one with
/// `between` after each (`w` waits half a second, `W` a second, `f`/`F`
/// is a flash, which SIP devices ignore); each digit lasts `duration_ms`
/// (100 at least). Stops when the channel hangs up.
pub async fn dtmf_stream(
    ctx: &AppCtx,
    chan: &Arc<Channel>,
    digits: &str,
    between: Duration,
    duration_ms: u32,
) {
    if chan.sleep(Duration::from_millis(100)).await.is_err() {
        return;
    }
    for d in digits.chars() {
        let pause = match d {
            'w' => Duration::from_millis(500),
            'W' => Duration::from_secs(1),
            'f' | 'F' => between,
            '0'..='9' | '*' | '#' | 'A'..='D' | 'a' | 'b' | 'c' | 'd' => {
                chan.send_digit_external(d.to_ascii_uppercase(), duration_ms)
                    .await;
                between
            }
            _ => {
                ctx.warning(
                    crate::site!("app.c", 1155, "dtmf_stream"),
                    &format!("Illegal DTMF character '{d}' in string. (0-9*#aAbBcCdD allowed)"),
                );
                continue;
            }
        };
        if chan.sleep(pause).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_timelen_ms;

    #[test]
    fn time_lengths_as_asterisk_reads_them() {
        assert_eq!(parse_timelen_ms("250"), Some(250));
        assert_eq!(parse_timelen_ms("1.5s"), Some(1500));
        assert_eq!(parse_timelen_ms("2m"), Some(120_000));
        assert_eq!(parse_timelen_ms("40ms"), Some(40));
        assert_eq!(parse_timelen_ms("1h"), Some(3_600_000));
        assert_eq!(parse_timelen_ms("5x"), None);
        assert_eq!(parse_timelen_ms("abc"), None);
    }
}
