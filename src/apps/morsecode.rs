//! Morsecode (Asterisk's `app_morsecode.c`): plays a string as Morse tones,
//! international or (MORSETYPE=AMERICAN) American, with the dit length,
//! tone and space tone from MORSEDITLEN, MORSETONE and MORSESPACETONE.

use std::time::Duration;

use super::playtones::playtones_start;
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Morsecode",
        run: Run::Wait(morsecode),
        synopsis: "Plays a string as Morse code tones.",
        syntax: "Morsecode(string)",
    }]
}

/// One `playtone` of app_morsecode: `freq` Hz (0: silence) for `ms`;
/// `check` when a hangup seen by it stops the string (app_morsecode looks
/// only after the pauses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub freq: i32,
    pub ms: i32,
    pub check: bool,
}

/// What shapes the tones (the channel variables, defaults applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keying {
    pub ditlen: i32,
    pub tone: i32,
    pub toneoff: i32,
    pub american: bool,
}

/// International Morse for the characters 32 (space) to 127, as
/// app_morsecode has it: "" plays nothing; a space is a pause.
const INTERNATIONAL: [&str; 96] = [
    " ",      // 32 ' '
    ".-.-.-", // 33 '!'
    ".-..-.", // 34 '"'
    "",       // 35 '#'
    "",       // 36 '$'
    "",       // 37 '%'
    "",       // 38 '&'
    ".----.", // 39 "'"
    "-.--.-", // 40 '('
    "-.--.-", // 41 ')'
    "",       // 42 '*'
    "",       // 43 '+'
    "--..--", // 44 ','
    "-....-", // 45 '-'
    ".-.-.-", // 46 '.'
    "-..-.",  // 47 '/'
    "-----",  // 48 '0'
    ".----",  // 49 '1'
    "..---",  // 50 '2'
    "...--",  // 51 '3'
    "....-",  // 52 '4'
    ".....",  // 53 '5'
    "-....",  // 54 '6'
    "--...",  // 55 '7'
    "---..",  // 56 '8'
    "----.",  // 57 '9'
    "---...", // 58 ':'
    "-.-.-.", // 59 ';'
    "",       // 60 '<'
    "-...-",  // 61 '='
    "",       // 62 '>'
    "..--..", // 63 '?'
    ".--.-.", // 64 '@'
    ".-",     // 65 'A'
    "-...",   // 66 'B'
    "-.-.",   // 67 'C'
    "-..",    // 68 'D'
    ".",      // 69 'E'
    "..-.",   // 70 'F'
    "--.",    // 71 'G'
    "....",   // 72 'H'
    "..",     // 73 'I'
    ".---",   // 74 'J'
    "-.-",    // 75 'K'
    ".-..",   // 76 'L'
    "--",     // 77 'M'
    "-.",     // 78 'N'
    "---",    // 79 'O'
    ".--.",   // 80 'P'
    "--.-",   // 81 'Q'
    ".-.",    // 82 'R'
    "...",    // 83 'S'
    "-",      // 84 'T'
    "..-",    // 85 'U'
    "...-",   // 86 'V'
    ".--",    // 87 'W'
    "-..-",   // 88 'X'
    "-.--",   // 89 'Y'
    "--..",   // 90 'Z'
    "-.--.-", // 91 '['
    "-..-.",  // 92 '\\'
    "-.--.-", // 93 ']'
    "",       // 94 '^'
    "..--.-", // 95 '_'
    ".----.", // 96 '`'
    ".-",     // 97 'a'
    "-...",   // 98 'b'
    "-.-.",   // 99 'c'
    "-..",    // 100 'd'
    ".",      // 101 'e'
    "..-.",   // 102 'f'
    "--.",    // 103 'g'
    "....",   // 104 'h'
    "..",     // 105 'i'
    ".---",   // 106 'j'
    "-.-",    // 107 'k'
    ".-..",   // 108 'l'
    "--",     // 109 'm'
    "-.",     // 110 'n'
    "---",    // 111 'o'
    ".--.",   // 112 'p'
    "--.-",   // 113 'q'
    ".-.",    // 114 'r'
    "...",    // 115 's'
    "-",      // 116 't'
    "..-",    // 117 'u'
    "...-",   // 118 'v'
    ".--",    // 119 'w'
    "-..-",   // 120 'x'
    "-.--",   // 121 'y'
    "--..",   // 122 'z'
    "-.--.-", // 123 '{'
    "",       // 124 '|'
    "-.--.-", // 125 '}'
    "-..-.",  // 126 '~'
    ". . .",  // 127 DEL
];

/// American (railroad) Morse for 32 to 127, as app_morsecode has it: `L`
/// is a long dash, `0` an extra long one, a space a pause inside a
/// character.
const AMERICAN: [&str; 96] = [
    "  ",          // 32 ' '
    "---.",        // 33 '!'
    "..-. -.",     // 34 '"'
    "",            // 35 '#'
    "... .-..",    // 36 '$'
    "",            // 37 '%'
    ". ...",       // 38 '&'
    "..-. .-..",   // 39 "'"
    "..... -.",    // 40 '('
    "..... .. ..", // 41 ')'
    "",            // 42 '*'
    "",            // 43 '+'
    ".-.-",        // 44 ','
    ".... .-..",   // 45 '-'
    "..--..",      // 46 '.'
    "..- -",       // 47 '/'
    ".--.",        // 48 '0'
    "..-..",       // 49 '1'
    "...-.",       // 50 '2'
    "....-",       // 51 '3'
    "---",         // 52 '4'
    "......",      // 53 '5'
    "--..",        // 54 '6'
    "-....",       // 55 '7'
    "-..-",        // 56 '8'
    "0",           // 57 '9'
    "-.- . .",     // 58 ':'
    "... ..",      // 59 ';'
    "",            // 60 '<'
    "-...-",       // 61 '='
    "",            // 62 '>'
    "-..-.",       // 63 '?'
    ".--.-.",      // 64 '@'
    ".-",          // 65 'A'
    "-...",        // 66 'B'
    ".. .",        // 67 'C'
    "-..",         // 68 'D'
    ".",           // 69 'E'
    ".-.",         // 70 'F'
    "--.",         // 71 'G'
    "....",        // 72 'H'
    "..",          // 73 'I'
    ".-.-",        // 74 'J'
    "-.-",         // 75 'K'
    "L",           // 76 'L'
    "--",          // 77 'M'
    "-.",          // 78 'N'
    ". .",         // 79 'O'
    ".....",       // 80 'P'
    "..-.",        // 81 'Q'
    ". ..",        // 82 'R'
    "...",         // 83 'S'
    "-",           // 84 'T'
    "..-",         // 85 'U'
    "...-",        // 86 'V'
    ".--",         // 87 'W'
    ".-..",        // 88 'X'
    ".. ..",       // 89 'Y'
    "... .",       // 90 'Z'
    "..... -.",    // 91 '['
    "..- -",       // 92 '\\'
    "..... .. ..", // 93 ']'
    "",            // 94 '^'
    "..--.-",      // 95 '_'
    ".----.",      // 96 '`'
    ".-",          // 97 'a'
    "-...",        // 98 'b'
    ".. .",        // 99 'c'
    "-..",         // 100 'd'
    ".",           // 101 'e'
    ".-.",         // 102 'f'
    "--.",         // 103 'g'
    "....",        // 104 'h'
    "..",          // 105 'i'
    ".-.-",        // 106 'j'
    "-.-",         // 107 'k'
    "L",           // 108 'l'
    "--",          // 109 'm'
    "-.",          // 110 'n'
    ". .",         // 111 'o'
    ".....",       // 112 'p'
    "..-.",        // 113 'q'
    ". ..",        // 114 'r'
    "...",         // 115 's'
    "-",           // 116 't'
    "..-",         // 117 'u'
    "...-",        // 118 'v'
    ".--",         // 119 'w'
    ".-..",        // 120 'x'
    ".. ..",       // 121 'y'
    "... .",       // 122 'z'
    "..... -.",    // 123 '{'
    "",            // 124 '|'
    "..... .. ..", // 125 '}'
    "..- -",       // 126 '~'
    ". . .",       // 127 DEL
];

/// The steps that play `text`. Bytes outside ASCII are skipped, as
/// app_morsecode skips its negative `char`s.
pub fn steps(text: &str, k: &Keying) -> Vec<Step> {
    let d = k.ditlen;
    let on = |ms| Step {
        freq: k.tone,
        ms,
        check: false,
    };
    let off = |ms, check| Step {
        freq: k.toneoff,
        ms,
        check,
    };
    let mut out = Vec::new();
    for b in text.bytes().filter(u8::is_ascii) {
        let code = if b < 32 {
            ""
        } else if k.american {
            AMERICAN[usize::from(b - 32)]
        } else {
            INTERNATIONAL[usize::from(b - 32)]
        };
        for c in code.chars() {
            out.push(match (c, k.american) {
                ('-', _) => on(3 * d),
                ('.', _) => on(d),
                ('L' | 'l', true) => on(6 * d),
                ('0', true) => on(9 * d),
                // American Morse's pause inside a character.
                (' ', true) => off(3 * d, false),
                // A space (between words): the pause after makes it three.
                _ => off(2 * d, false),
            });
            // The gap after each dit and dah.
            out.push(off(d, true));
        }
        // The gap between characters (longer in American Morse).
        out.push(off(if k.american { 3 * d } else { 2 * d }, true));
    }
    out
}

/// `sscanf(v, "%30d")` of a variable, or `default` when it is unset,
/// empty or does not start with a number.
fn int_var(ctx: &AppCtx, name: &str, default: i32) -> i32 {
    ctx.var(name)
        .as_deref()
        .and_then(scan_int)
        .unwrap_or(default)
}

/// `%30d`: blanks, a sign, digits (at most 30 characters in all, sign
/// included), anything after ignored; out of range wraps as glibc's does.
fn scan_int(s: &str) -> Option<i32> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let field: String = t.chars().take(30).collect();
    let (neg, rest) = match field.as_bytes().first() {
        Some(b'-') => (true, &field[1..]),
        Some(b'+') => (false, &field[1..]),
        _ => (false, field.as_str()),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let v = digits
        .parse::<i128>()
        .map_or(i128::MAX, |v| v)
        .min(i128::from(i64::MAX) + 1);
    let v = if neg { -v } else { v };
    Some(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64 as i32)
}

fn morsecode<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { morsecode_exec(ctx, &data).await })
}

async fn morsecode_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_morsecode.c", 191, "morsecode_exec"),
            "Syntax: Morsecode(<string>) - no argument found",
        );
        return Ok(());
    }
    let keying = Keying {
        ditlen: int_var(ctx, "MORSEDITLEN", 80),
        tone: int_var(ctx, "MORSETONE", 800),
        toneoff: int_var(ctx, "MORSESPACETONE", 0),
        // Only this exact spelling picks American Morse.
        american: ctx.var("MORSETYPE").as_deref() == Some("AMERICAN"),
    };
    let mut hung_up = false;
    for step in steps(data, &keying) {
        hung_up = playtone(ctx, step.freq, step.ms).await;
        if hung_up && step.check {
            break;
        }
    }
    if hung_up {
        Err(AppExit::Hangup)
    } else {
        Ok(())
    }
}

/// app_morsecode's `playtone`: the tone for `ms` (`ast_safe_sleep`), then
/// stopped. True when the channel hung up meanwhile.
async fn playtone(ctx: &AppCtx, freq: i32, ms: i32) -> bool {
    // A list that does not parse is logged by ast_playtones_start; the
    // pause is kept all the same.
    let _ = playtones_start(ctx, 0, &format!("{freq}/{ms}"));
    let slept = match u64::try_from(ms) {
        Ok(ms) => ctx.chan.sleep(Duration::from_millis(ms)).await,
        // ast_safe_sleep takes a negative time as no limit: it returns
        // only when the channel hangs up.
        Err(_) => loop {
            if let Err(e) = ctx.chan.sleep(Duration::from_secs(3600)).await {
                break Err(e);
            }
        },
    };
    ctx.chan.stop_generator();
    slept.is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTL: Keying = Keying {
        ditlen: 80,
        tone: 800,
        toneoff: 0,
        american: false,
    };

    /// The steps as "freq/ms" with a '!' where a hangup is looked at.
    fn show(text: &str, k: &Keying) -> String {
        steps(text, k)
            .iter()
            .map(|s| format!("{}/{}{}", s.freq, s.ms, if s.check { "!" } else { "" }))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn international() {
        for (text, want) in [
            ("E", "800/80 0/80! 0/160!"),
            ("t", "800/240 0/80! 0/160!"),
            ("A", "800/80 0/80! 800/240 0/80! 0/160!"),
            (" ", "0/160 0/80! 0/160!"),
            ("#", "0/160!"),
            ("\u{e9}", ""),
            ("\x01", "0/160!"),
        ] {
            assert_eq!(show(text, &INTL), want, "{text:?}");
        }
    }

    #[test]
    fn american() {
        let k = Keying {
            ditlen: 10,
            tone: 500,
            toneoff: 30,
            american: true,
        };
        for (text, want) in [
            // C is ".. .": the space inside is a pause.
            (
                "C",
                "500/10 30/10! 500/10 30/10! 30/30 30/10! 500/10 30/10! 30/30!",
            ),
            ("L", "500/60 30/10! 30/30!"),
            // app_morsecode's American digits are one place off ('9' holds
            // the long dash of '0'); kept as Asterisk plays them.
            ("9", "500/90 30/10! 30/30!"),
            (" ", "30/30 30/10! 30/30 30/10! 30/30!"),
        ] {
            assert_eq!(show(text, &k), want, "{text:?}");
        }
    }

    #[test]
    fn tables_cover_letters_and_digits() {
        for (c, intl, amer) in [
            ('S', "...", "..."),
            ('O', "---", ". ."),
            ('5', ".....", "......"),
            ('4', "....-", "---"),
            ('?', "..--..", "-..-."),
            ('~', "-..-.", "..- -"),
        ] {
            let i = usize::from(c as u8 - 32);
            assert_eq!((INTERNATIONAL[i], AMERICAN[i]), (intl, amer), "{c}");
        }
        // Lower case is upper case.
        assert_eq!(
            INTERNATIONAL[usize::from(b'q' - 32)],
            INTERNATIONAL[usize::from(b'Q' - 32)]
        );
    }

    #[test]
    fn variables_as_sscanf_reads_them() {
        for (s, v) in [
            ("60", Some(60)),
            (" 12ms", Some(12)),
            ("x", None),
            ("-5", Some(-5)),
        ] {
            assert_eq!(scan_int(s), v, "{s:?}");
        }
    }
}
