//! SayCountedNoun and SayCountedAdj (Asterisk's `app_saycounted.c` over
//! `ast_say_counted_noun`/`ast_say_counted_adjective`): one prompt, whose
//! name takes the ending the channel's language gives the count (the
//! rules are in [`crate::media::say`]).
//!
//! Asterisk does not build app_saycounted unless asked (menuselect's
//! `defaultenabled` is no), so the reference install has neither
//! application: this follows its source, with no capture to compare.

use super::playback::{Streamed, stream_file};
use super::say::DIGIT_ANY;
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args};
use crate::media::say::{counted_adjective_ending, counted_noun_ending};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "SayCountedAdj",
            run: Run::Wait(saycountedadj),
            synopsis: "Says an adjective in the form its count and gender ask for.",
            syntax: "SayCountedAdj(number,adjective[,gender])",
        },
        App {
            name: "SayCountedNoun",
            run: Run::Wait(saycountednoun),
            synopsis: "Says a noun in the form its count asks for.",
            syntax: "SayCountedNoun(number,noun)",
        },
    ]
}

/// `sscanf(s, "%d")`: blanks, a sign and digits, anything after ignored;
/// a value past `long` is clamped and then cut to an `int`, as glibc does.
fn scan_int(s: &str) -> Option<i32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut v: i128 = 0;
    for b in rest[..digits].bytes() {
        v = (v * 10 + i128::from(b - b'0')).min(i128::from(i64::MAX) + 1);
    }
    let v = if neg { -v } else { v };
    let long = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Some(long as i32)
}

/// `ast_play_and_wait`: any digit stops the prompt and is the result.
async fn play_and_wait(ctx: &AppCtx, name: &str) -> AppResult {
    match stream_file(ctx, name, DIGIT_ANY).await {
        Streamed::Done => Ok(()),
        Streamed::Digit(d) => Err(AppExit::Digit(d)),
        Streamed::Failed | Streamed::Hangup => Err(AppExit::Hangup),
    }
}

const NOT_A_NUMBER: &str = "First argument must be a number between 0 and 2,147,483,647.";

fn saycountednoun<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            ctx.warning(
                crate::site!("app_saycounted.c", 138, "saycountednoun_exec"),
                "SayCountedNoun requires two arguments (<number>,<noun>)",
            );
            return Err(AppExit::Hangup);
        }
        let args = separate_args(&data, ',', 2);
        if args.len() != 2 {
            ctx.warning(
                crate::site!("app_saycounted.c", 146, "saycountednoun_exec"),
                "SayCountedNoun requires two arguments",
            );
            return Err(AppExit::Hangup);
        }
        let Some(num) = scan_int(&args[0]) else {
            ctx.warning(
                crate::site!("app_saycounted.c", 151, "saycountednoun_exec"),
                NOT_A_NUMBER,
            );
            return Err(AppExit::Hangup);
        };
        let lang = ctx.chan.lock().language.clone();
        let name = format!("{}{}", args[1], counted_noun_ending(&lang, num));
        play_and_wait(ctx, &name).await
    })
}

fn saycountedadj<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            ctx.warning(
                crate::site!("app_saycounted.c", 169, "saycountedadj_exec"),
                "SayCountedAdj requires two or three arguments (<number>,<adjective>[,<gender>])",
            );
            return Err(AppExit::Hangup);
        }
        let args = separate_args(&data, ',', 3);
        if args.len() < 2 {
            ctx.warning(
                crate::site!("app_saycounted.c", 177, "saycountedadj_exec"),
                "SayCountedAdj requires at least two arguments",
            );
            return Err(AppExit::Hangup);
        }
        let Some(num) = scan_int(&args[0]) else {
            ctx.warning(
                crate::site!("app_saycounted.c", 182, "saycountedadj_exec"),
                NOT_A_NUMBER,
            );
            return Err(AppExit::Hangup);
        };
        let gender = args.get(2).map(String::as_str);
        // Asterisk 20 turns its own check around: the genders it names
        // are refused, anything else is appended as given.
        if gender.is_some_and(|g| g.starts_with(['c', 'C', 'f', 'F', 'm', 'M', 'n', 'N'])) {
            ctx.warning(
                crate::site!("app_saycounted.c", 188, "saycountedadj_exec"),
                "SayCountedAdj gender option must be one of 'f', 'm', 'c', or 'n'.",
            );
            return Err(AppExit::Hangup);
        }
        let lang = ctx.chan.lock().language.clone();
        let name = format!(
            "{}{}",
            args[1],
            counted_adjective_ending(&lang, num, gender)
        );
        play_and_wait(ctx, &name).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sscanf_int() {
        for (s, v) in [
            ("5", Some(5)),
            (" -3", Some(-3)),
            ("+7x", Some(7)),
            ("12abc", Some(12)),
            ("abc", None),
            ("", None),
            ("-", None),
            ("2147483648", Some(i32::MIN)),
            ("4294967297", Some(1)),
            ("99999999999999999999", Some(-1)),
        ] {
            assert_eq!(scan_int(s), v, "{s:?}");
        }
    }
}
