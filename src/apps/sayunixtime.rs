//! SayUnixTime and its alias DateTime (Asterisk's `app_sayunixtime.c`):
//! says a time (now by default) in a zone with a format, through
//! `ast_say_date_with_format` ([`crate::media::saydate`]).

use super::playback::{Streamed, start_file, wait_stream};
use super::say::{DIGIT_ANY, Said, say_number};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, options, split_args};
use crate::channels::ChanState;
use crate::media::saydate::{DEFAULT_FORMAT_EN, DateItem, date_items, has_own_rules};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "DateTime",
            run: Run::Wait(sayunixtime),
            synopsis: "Says a date and time (the same as SayUnixTime).",
            syntax: "DateTime([unixtime[,timezone[,format[,options]]]])",
        },
        App {
            name: "SayUnixTime",
            run: Run::Wait(sayunixtime),
            synopsis: "Says a date and time in a zone and a format.",
            syntax: "SayUnixTime([unixtime[,timezone[,format[,options]]]])",
        },
    ]
}

fn sayunixtime<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { sayunixtime_exec(ctx, &data).await })
}

/// `ast_get_time_t`: a whole number (C's `%30ld`: blanks, a sign, at most
/// 30 characters), else `default`.
pub fn get_time_t(src: &str, default: i64) -> i64 {
    let t = src.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let field: String = t.chars().take(30).collect();
    let sign_len = usize::from(field.starts_with(['+', '-']));
    let digits = field[sign_len..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 0 {
        return default;
    }
    let text = &field[..sign_len + digits];
    // scanf saturates an out-of-range long.
    text.parse::<i64>().unwrap_or(if text.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    })
}

async fn sayunixtime_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut ints = "";
    if !arg(3).is_empty() {
        let opts = options::parse(&ctx.sys.pbx.logger, arg(3), "j").unwrap_or_default();
        if opts.has('j') {
            ints = DIGIT_ANY;
        }
    }
    if ctx
        .var("SAY_DTMF_INTERRUPT")
        .is_some_and(|v| crate::config::is_true(&v))
    {
        ints = DIGIT_ANY;
    }
    let now = chrono::Utc::now().timestamp();
    let t = if arg(0).is_empty() {
        now
    } else {
        get_time_t(arg(0), now)
    };
    if ctx.chan.state() != ChanState::Up {
        super::builtins::answer_and_wait(ctx).await?;
    }
    let tz = Some(arg(1)).filter(|z| !z.is_empty());
    let lang = ctx.chan.lock().language.clone();
    if has_own_rules(&lang) {
        // Asterism only: Asterisk would use the language's own rules.
        ctx.warning(
            crate::site!("say.c", 0, "say_date_with_format"),
            &format!(
                "SayUnixTime: the date rules of language '{lang}' are not implemented; saying it in English"
            ),
        );
    }
    let format = Some(arg(2)).filter(|f| !f.is_empty());
    let items = date_items(t, now, format.unwrap_or(DEFAULT_FORMAT_EN), tz);
    match say_date(ctx, &items, ints).await {
        Said::Done => Ok(()),
        Said::Digit(d) => Err(AppExit::Digit(d)),
        Said::Failed => Err(AppExit::Hangup),
    }
}

/// Plays what the date rules say, each prompt interruptible by `ints`
/// (`ast_say_date_with_format_en`'s loop: it stops at the first prompt
/// that fails or is interrupted).
pub async fn say_date(ctx: &AppCtx, items: &[DateItem], ints: &str) -> Said {
    for item in items {
        match item {
            DateItem::Play(name) => {
                // say.c's wait_file.
                let Some(g) = start_file(ctx, name) else {
                    ctx.warning(
                        crate::site!("say.c", 868, "wait_file"),
                        &format!("Unable to play message {name}"),
                    );
                    return Said::Failed;
                };
                match wait_stream(ctx, g, ints).await {
                    Streamed::Done => {}
                    Streamed::Digit(d) => return Said::Digit(d),
                    Streamed::Failed | Streamed::Hangup => return Said::Failed,
                }
            }
            DateItem::Enumerated(name) => {
                // ast_say_enumeration goes on past a prompt it cannot open.
                if let Some(g) = start_file(ctx, name) {
                    let r = wait_stream(ctx, g, ints).await;
                    ctx.chan.stop_stream();
                    match r {
                        Streamed::Done | Streamed::Failed => {}
                        Streamed::Digit(d) => return Said::Digit(d),
                        Streamed::Hangup => return Said::Failed,
                    }
                }
            }
            DateItem::Number(n) => match say_number(ctx, *n, ints).await {
                Said::Done => {}
                other => return other,
            },
            DateItem::Unknown {
                format,
                letter,
                pos,
            } => ctx.warning(
                crate::site!("say.c", 5095, "ast_say_date_with_format_en"),
                &format!("Unknown character in datetime format {format}: {letter} at pos {pos}"),
            ),
        }
    }
    Said::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_values_as_scanf_reads_them() {
        assert_eq!(get_time_t("1795319320", 7), 1_795_319_320);
        assert_eq!(get_time_t("  42abc", 7), 42);
        assert_eq!(get_time_t("-5", 7), -5);
        assert_eq!(get_time_t("+5", 7), 5);
        assert_eq!(get_time_t("x", 7), 7);
        assert_eq!(get_time_t("", 7), 7);
        assert_eq!(get_time_t("-", 7), 7);
        assert_eq!(get_time_t("99999999999999999999999", 7), i64::MAX);
    }
}
