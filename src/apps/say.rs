//! SayDigits, SayNumber, SayOrdinal, SayAlpha, SayAlphaCase, SayPhonetic
//! and SayMoney (Asterisk's `pbx_builtins.c` over `main/say.c`): the
//! prompt lists come from [`crate::media::say`]; this file plays them.
//!
//! A Say application is interrupted by a digit only when the channel
//! variable `SAY_DTMF_INTERRUPT` is true; the digit then starts a new
//! extension, as with Background.

use super::playback::{Streamed, stream_file};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::media::file::SoundPaths;
use crate::media::say::{self, NumberStep, SayCase};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "SayAlpha",
            run: Run::Wait(sayalpha),
            synopsis: "Spells a string letter by letter.",
            syntax: "SayAlpha(string)",
        },
        App {
            name: "SayAlphaCase",
            run: Run::Wait(sayalphacase),
            synopsis: "Spells a string, announcing upper or lower case.",
            syntax: "SayAlphaCase(casetype,string)",
        },
        App {
            name: "SayDigits",
            run: Run::Wait(saydigits),
            synopsis: "Says digits one by one.",
            syntax: "SayDigits(digits)",
        },
        App {
            name: "SayMoney",
            run: Run::Wait(saymoney),
            synopsis: "Says an amount of dollars and cents.",
            syntax: "SayMoney(dollars)",
        },
        App {
            name: "SayNumber",
            run: Run::Wait(saynumber),
            synopsis: "Says a whole number.",
            syntax: "SayNumber(digits[,gender])",
        },
        App {
            name: "SayOrdinal",
            run: Run::Wait(sayordinal),
            synopsis: "Says an ordinal number (first, second, ...).",
            syntax: "SayOrdinal(digits[,gender])",
        },
        App {
            name: "SayPhonetic",
            run: Run::Wait(sayphonetic),
            synopsis: "Spells a string in the NATO phonetic alphabet.",
            syntax: "SayPhonetic(string)",
        },
    ]
}

/// `AST_DIGIT_ANY`.
pub const DIGIT_ANY: &str = "0123456789#*ABCD";

/// How saying a list of prompts ended (`say_filenames`'s result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// Every prompt played (or there was none).
    Done,
    /// A digit in the interrupt set stopped it.
    Digit(char),
    /// A prompt did not open, or the channel hung up (Asterisk's -1).
    Failed,
}

/// Plays `files` in order, each interruptible by the digits in `ints`
/// (`say_filenames`).
pub async fn say_files(ctx: &AppCtx, files: &[String], ints: &str) -> Said {
    for f in files {
        match stream_file(ctx, f, ints).await {
            Streamed::Done => {}
            Streamed::Digit(d) => return Said::Digit(d),
            Streamed::Failed | Streamed::Hangup => return Said::Failed,
        }
    }
    Said::Done
}

/// Whether the prompt exists for the channel's language (`ast_fileexists`).
fn exists_for(ctx: &AppCtx) -> impl Fn(&str) -> bool {
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    move |name| paths.exists(name, &lang)
}

/// `permit_dtmf_interrupt`: the digits that may stop the prompts.
fn interrupt_digits(ctx: &AppCtx) -> &'static str {
    let on = ctx
        .var("SAY_DTMF_INTERRUPT")
        .is_some_and(|v| crate::config::is_true(&v));
    if on { DIGIT_ANY } else { "" }
}

/// The application's return for how saying ended: a digit starts an
/// extension, a failure hangs up.
fn said_result(said: Said) -> AppResult {
    match said {
        Said::Done => Ok(()),
        Said::Digit(d) => Err(AppExit::Digit(d)),
        Said::Failed => Err(AppExit::Hangup),
    }
}

fn saydigits<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let files = say::digit_files(&data, exists_for(ctx));
        said_result(say_files(ctx, &files, interrupt_digits(ctx)).await)
    })
}

fn sayalpha<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let files = say::character_files(&data, SayCase::None, exists_for(ctx));
        said_result(say_files(ctx, &files, interrupt_digits(ctx)).await)
    })
}

fn sayalphacase<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.is_empty() {
            ctx.warning(
                crate::site!("pbx_builtins.c", 1575, "pbx_builtin_saycharacters_case"),
                "SayAlphaCase requires two arguments (options, characters)",
            );
            return Ok(());
        }
        let args = split_args(&data, ',');
        let options = args.first().map(String::as_str).unwrap_or("");
        let case = match options {
            "a" => SayCase::All,
            "l" => SayCase::Lower,
            "n" => SayCase::None,
            "u" => SayCase::Upper,
            o if o.chars().count() != 1 => {
                ctx.warning(
                    crate::site!("pbx_builtins.c", 1583, "pbx_builtin_saycharacters_case"),
                    "SayAlphaCase options are mutually exclusive and required",
                );
                return Ok(());
            }
            o => {
                ctx.warning(
                    crate::site!("pbx_builtins.c", 1601, "pbx_builtin_saycharacters_case"),
                    &format!("Invalid option: '{o}'"),
                );
                return Ok(());
            }
        };
        let text = args.get(1).map(String::as_str).unwrap_or("");
        let files = say::character_files(text, case, exists_for(ctx));
        said_result(say_files(ctx, &files, interrupt_digits(ctx)).await)
    })
}

fn sayphonetic<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let files = say::phonetic_files(&data, exists_for(ctx));
        said_result(say_files(ctx, &files, interrupt_digits(ctx)).await)
    })
}

fn saymoney<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let lang = ctx.chan.lock().language.clone();
        if data.is_empty() {
            if !starts_with_ci(&lang, "en") {
                ctx.warning(
                    crate::site!("say.c", 455, "ast_get_money_str"),
                    &format!("Language {lang} not currently supported, defaulting to US Dollars"),
                );
            }
            // Asterisk builds no list for an empty amount, and fails.
            return Err(AppExit::Hangup);
        }
        // Asterisk warns while it builds the list, before playing it.
        for w in say::money_warnings(&lang, &data) {
            ctx.warning(&w.site, &w.message);
        }
        let files = say::money_files_en(&data, exists_for(ctx));
        said_result(say_files(ctx, &files, interrupt_digits(ctx)).await)
    })
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Runs SayNumber's or SayOrdinal's steps; `Said::Failed` is Asterisk's
/// -1 (hangup, or a number it could not say).
async fn run_number_steps(ctx: &AppCtx, steps: &[NumberStep], ints: &str) -> Said {
    for step in steps {
        let name = match step {
            NumberStep::Warn(w) => {
                ctx.warning(&w.site, &w.message);
                continue;
            }
            NumberStep::Stop => return Said::Failed,
            NumberStep::Play(f)
            | NumberStep::PlayThrough(f)
            | NumberStep::PlayOrStop(f)
            | NumberStep::WaitFile(f) => f,
        };
        match stream_file(ctx, name, ints).await {
            Streamed::Done => {}
            // Polish drops the digit and goes on with the next prompt.
            Streamed::Digit(_) if matches!(step, NumberStep::PlayThrough(_)) => {}
            Streamed::Digit(d) => return Said::Digit(d),
            Streamed::Hangup => return Said::Failed,
            Streamed::Failed => match step {
                // A language builder goes on past a prompt it cannot open.
                NumberStep::Play(_) | NumberStep::PlayThrough(_) => {}
                NumberStep::WaitFile(_) => {
                    ctx.warning(
                        crate::site!("say.c", 868, "wait_file"),
                        &format!("Unable to play message {name}"),
                    );
                    return Said::Failed;
                }
                _ => return Said::Failed,
            },
        }
    }
    Said::Done
}

/// `ast_say_number(chan, num, ints, language, NULL)` as other
/// applications call it (app_voicemail's counts and message numbers).
pub async fn say_number(ctx: &AppCtx, num: i32, ints: &str) -> Said {
    say_number_opt(ctx, num, ints, None).await
}

/// `ast_say_number` with its options argument (`"n"`, `"f"`, ...: the
/// gender a language needs; app_queue says positions and minutes with
/// `"n"`).
pub async fn say_number_opt(ctx: &AppCtx, num: i32, ints: &str, option: Option<char>) -> Said {
    crate::core::testsuite::notify(
        &ctx.sys.pbx.channels.events,
        &crate::core::testsuite::SAY_NUMBER,
        "SAYNUM",
        || {
            format!(
                "Message: saying number {num}\r\nNumber: {num}\r\nChannel: {}",
                ctx.chan.name
            )
        },
    );
    let lang = ctx.chan.lock().language.clone();
    let steps = say::number_steps(&lang, num, option, exists_for(ctx));
    run_number_steps(ctx, &steps, ints).await
}

/// SayNumber and SayOrdinal: a number, then an optional gender letter.
async fn say_number_common(ctx: &AppCtx, data: &str, app: &str, ordinal: bool) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            if ordinal {
                crate::site!("pbx_builtins.c", 1512, "pbx_builtin_sayordinal")
            } else {
                crate::site!("pbx_builtins.c", 1473, "pbx_builtin_saynumber")
            },
            &format!("{app} requires an argument (number)"),
        );
        return Err(AppExit::Hangup);
    }
    // Plain comma splitting: these applications do not use the standard
    // argument parser.
    let mut parts = data.splitn(3, ',');
    let number_text = parts.next().unwrap_or("");
    let Some(number) = parse_c_int(number_text) else {
        ctx.warning(
            if ordinal {
                crate::site!("pbx_builtins.c", 1519, "pbx_builtin_sayordinal")
            } else {
                crate::site!("pbx_builtins.c", 1480, "pbx_builtin_saynumber")
            },
            &format!("argument '{number_text}' to {app} could not be parsed as a number."),
        );
        return Ok(());
    };
    let option = parts.next();
    if let Some(options) = option
        && !["f", "m", "c", "n"]
            .iter()
            .any(|o| o.eq_ignore_ascii_case(options))
    {
        ctx.warning(
            if ordinal {
                crate::site!("pbx_builtins.c", 1527, "pbx_builtin_sayordinal")
            } else {
                crate::site!("pbx_builtins.c", 1488, "pbx_builtin_saynumber")
            },
            &format!("{app} gender option is either 'f', 'm', 'c' or 'n'"),
        );
        return Err(AppExit::Hangup);
    }
    let ints = interrupt_digits(ctx);
    let lang = ctx.chan.lock().language.clone();
    let steps = if ordinal {
        say::ordinal_steps(&lang, number)
    } else {
        // The option was checked above to be one letter.
        let option = option.and_then(|o| o.chars().next());
        crate::core::testsuite::notify(
            &ctx.sys.pbx.channels.events,
            &crate::core::testsuite::SAY_NUMBER,
            "SAYNUM",
            || {
                format!(
                    "Message: saying number {number}\r\nNumber: {number}\r\nChannel: {}",
                    ctx.chan.name
                )
            },
        );
        say::number_steps(&lang, number, option, exists_for(ctx))
    };
    let said = run_number_steps(ctx, &steps, ints).await;
    if said == Said::Failed && !ctx.chan.check_hangup() {
        ctx.warning(
            if ordinal {
                crate::site!("pbx_builtins.c", 1535, "pbx_builtin_sayordinal")
            } else {
                crate::site!("pbx_builtins.c", 1496, "pbx_builtin_saynumber")
            },
            &format!("We were unable to say the number {number_text}, is it too large?"),
        );
    }
    if ints.is_empty() {
        return Ok(());
    }
    said_result(said)
}

/// `ast_str_to_int`: optional blanks and sign, digits, nothing after, and
/// within C's int.
pub(crate) fn parse_c_int(s: &str) -> Option<i32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

fn saynumber<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { say_number_common(ctx, &data, "SayNumber", false).await })
}

fn sayordinal<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { say_number_common(ctx, &data, "SayOrdinal", true).await })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_ints() {
        assert_eq!(parse_c_int("42"), Some(42));
        assert_eq!(parse_c_int(" -7"), Some(-7));
        assert_eq!(parse_c_int("+7"), Some(7));
        assert_eq!(parse_c_int("7x"), None);
        assert_eq!(parse_c_int(""), None);
        assert_eq!(parse_c_int("-"), None);
        assert_eq!(parse_c_int("2147483648"), None);
        assert_eq!(parse_c_int("-2147483648"), Some(i32::MIN));
    }
}
