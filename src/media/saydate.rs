//! Dates and times said by format (`ast_say_date_with_format_en` of
//! Asterisk's `main/say.c`): the list of things to play for a time, a
//! zone and a format string, built without a channel so that SayUnixTime,
//! app_voicemail's envelopes and the tests share it.
//!
//! Only the English rules exist here; Asterisk picks other rules by the
//! language's first two letters (`say_date_with_format`), which
//! [`has_own_rules`] tells the callers about.

/// One thing the English date rules say, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateItem {
    /// A prompt played through say.c's `wait_file`: one that does not
    /// open logs `Unable to play message <name>` and ends the date.
    Play(String),
    /// A prompt of `ast_say_enumeration` (days and months in numbers):
    /// one that does not open is skipped and the date goes on.
    Enumerated(String),
    /// A number said by `ast_say_number`.
    Number(i32),
    /// A format letter the rules do not know, and its position in
    /// `format` (Asterisk logs it and goes on).
    Unknown {
        format: String,
        letter: char,
        pos: usize,
    },
}

/// The format SayUnixTime uses for English when none is given.
pub const DEFAULT_FORMAT_EN: &str = "ABdY 'digits/at' IMp";

/// Whether Asterisk 20 has date rules of its own for `lang` (by its first
/// two letters, case-insensitively) that are not English's.
pub fn has_own_rules(lang: &str) -> bool {
    const OWN: &[&str] = &[
        "da", "de", "es", "he", "fr", "gr", "is", "ja", "it", "nl", "pl", "pt", "th", "zh", "vi",
    ];
    let head = lang.get(..2).unwrap_or(lang);
    !head.eq_ignore_ascii_case("en") && OWN.iter().any(|l| head.eq_ignore_ascii_case(l))
}

/// What `ast_say_date_with_format_en` says for `t` (seconds since the
/// epoch) with `format` in zone `tz` (the system's when `None`); `now`
/// decides what `Q` and `q` call today, yesterday and so on.
pub fn date_items(t: i64, now: i64, format: &str, tz: Option<&str>) -> Vec<DateItem> {
    let mut out = Vec::new();
    items_into(&mut out, t, now, format, tz);
    out
}

/// A day of the month or a month's number as `ast_say_enumeration_full_en`
/// says numbers below a hundred.
fn enumeration(out: &mut Vec<DateItem>, n: i32) {
    if n <= 0 {
        // Asterisk says nothing for zero; a negative day cannot happen.
        return;
    }
    if n < 20 || n % 10 == 0 {
        out.push(DateItem::Enumerated(format!("digits/h-{n}")));
    } else {
        out.push(DateItem::Enumerated(format!("digits/{}", n / 10 * 10)));
        out.push(DateItem::Enumerated(format!("digits/h-{}", n % 10)));
    }
}

fn play(out: &mut Vec<DateItem>, name: impl Into<String>) {
    out.push(DateItem::Play(name.into()));
}

fn items_into(out: &mut Vec<DateItem>, t: i64, now: i64, format: &str, tz: Option<&str>) {
    let Some(tm) = crate::core::tz::localtime(t, 0, tz) else {
        return;
    };
    let bytes = format.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' => {
                // A quoted prompt name, up to the next quote (or the end).
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end] != b'\'' {
                    end += 1;
                }
                play(
                    out,
                    crate::core::raw::decode_owned(bytes[start..end].to_vec()),
                );
                i = end;
            }
            b'A' | b'a' => play(out, format!("digits/day-{}", tm.wday)),
            b'B' | b'b' | b'h' => play(out, format!("digits/mon-{}", tm.mon)),
            b'm' => enumeration(out, tm.mon + 1),
            b'd' | b'e' => enumeration(out, tm.mday),
            b'Y' => {
                if tm.year > 99 {
                    out.push(DateItem::Number(tm.year + 1900));
                } else if tm.year >= 1 {
                    // 1901 to 1999: "nineteen", "oh" before a single digit.
                    play(out, "digits/19");
                    if tm.year <= 9 {
                        play(out, "digits/oh");
                    }
                    out.push(DateItem::Number(tm.year));
                }
                // 1900 and before: nothing, as Asterisk.
            }
            b'I' | b'l' => {
                let h = match tm.hour {
                    0 => 12,
                    h if h > 12 => h - 12,
                    h => h,
                };
                play(out, format!("digits/{h}"));
            }
            b'H' | b'k' => {
                if (c == b'H' && tm.hour < 10) || (c == b'k' && tm.hour == 0) {
                    play(out, "digits/oh");
                }
                if tm.hour != 0 {
                    let mut rest = tm.hour;
                    if tm.hour > 20 {
                        play(out, "digits/20");
                        rest -= 20;
                    }
                    play(out, format!("digits/{rest}"));
                }
            }
            b'M' | b'N' => {
                if tm.min == 0 {
                    play(
                        out,
                        if c == b'M' {
                            "digits/oclock"
                        } else {
                            "digits/hundred"
                        },
                    );
                } else if tm.min < 10 {
                    play(out, "digits/oh");
                    play(out, format!("digits/{}", tm.min));
                } else {
                    out.push(DateItem::Number(tm.min));
                }
            }
            b'P' | b'p' => play(
                out,
                if tm.hour > 11 {
                    "digits/p-m"
                } else {
                    "digits/a-m"
                },
            ),
            b'Q' | b'q' => {
                // `q` is documented as saying nothing for today but says
                // "today" as `Q` does: Asterisk's two branches are the same.
                let Some(tmnow) = crate::core::tz::localtime(now, 0, tz) else {
                    return;
                };
                let beg_today = now
                    - i64::from(tmnow.hour) * 3600
                    - i64::from(tmnow.min) * 60
                    - i64::from(tmnow.sec);
                let mut sub = |f: &str| items_into(out, t, now, f, tz);
                if beg_today + 15_768_000 < t {
                    sub("BdY");
                } else if beg_today + 2_628_000 < t {
                    sub("Bd");
                } else if beg_today + 86_400 * 6 < t {
                    sub("ABd");
                } else if beg_today + 172_800 < t {
                    sub("A");
                } else if beg_today + 86_400 < t {
                    play(out, "digits/tomorrow");
                } else if beg_today < t {
                    play(out, "digits/today");
                } else if beg_today - 86_400 < t {
                    play(out, "digits/yesterday");
                } else if beg_today - 86_400 * 6 < t {
                    sub("A");
                } else if beg_today - 2_628_000 < t {
                    sub("ABd");
                } else if beg_today - 15_768_000 < t {
                    sub("Bd");
                } else {
                    sub("BdY");
                }
            }
            b'R' => items_into(out, t, now, "HM", tz),
            b'T' => items_into(out, t, now, "HMS", tz),
            b'S' => {
                if tm.sec == 0 {
                    play(out, "digits/0");
                } else if tm.sec < 10 {
                    play(out, "digits/oh");
                    play(out, format!("digits/{}", tm.sec));
                } else {
                    out.push(DateItem::Number(tm.sec));
                }
            }
            b' ' | b'\t' => {}
            _ => {
                // The whole character for the message (a multi-byte one
                // is one letter here; Asterisk would log each byte).
                let letter = format[i..].chars().next().unwrap_or('?');
                out.push(DateItem::Unknown {
                    format: format.to_string(),
                    letter,
                    pos: i,
                });
                i += letter.len_utf8() - 1;
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plays(items: &[DateItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                DateItem::Play(s) | DateItem::Enumerated(s) => s.clone(),
                DateItem::Number(n) => format!("#{n}"),
                DateItem::Unknown { letter, pos, .. } => format!("?{letter}{pos}"),
            })
            .collect()
    }

    /// 2026-11-22 03:48:40 UTC, a Sunday.
    const T: i64 = 1_795_319_320;

    #[test]
    fn default_english_format() {
        assert_eq!(
            plays(&date_items(T, T, DEFAULT_FORMAT_EN, Some("UTC"))),
            [
                "digits/day-0",
                "digits/mon-10",
                "digits/20",
                "digits/h-2",
                "#2026",
                "digits/at",
                "digits/3",
                "#48",
                "digits/a-m"
            ]
        );
    }

    /// The same instant in other zones: the offset moves the day, the
    /// hour and AM/PM (zoneinfo files and POSIX strings, as Asterisk).
    #[test]
    fn time_zones() {
        // New York: 22:48 the day before (EST, UTC-5).
        assert_eq!(
            plays(&date_items(T, T, "AdIMp", Some("America/New_York"))),
            [
                "digits/day-6",
                "digits/20",
                "digits/h-1",
                "digits/10",
                "#48",
                "digits/p-m"
            ]
        );
        // Tokyo: 12:48 (UTC+9), noon is PM.
        assert_eq!(
            plays(&date_items(T, T, "HMp", Some("Asia/Tokyo"))),
            ["digits/12", "#48", "digits/p-m"]
        );
        // A POSIX string three hours behind: 00:48, "oh" in both 24-hour
        // forms, 12 on the 12-hour clock.
        assert_eq!(
            plays(&date_items(T, T, "H k I", Some("XYZ3"))),
            ["digits/oh", "digits/oh", "digits/12"]
        );
        // An unknown name is GMT.
        assert_eq!(
            plays(&date_items(T, T, "H", Some("No/Such_Zone"))),
            ["digits/oh", "digits/3"]
        );
    }

    #[test]
    fn every_letter() {
        // 2009-02-13 23:31:30 UTC (a Friday).
        let t = 1_234_567_890;
        let z = Some("UTC");
        let case = |f: &str| plays(&date_items(t, t, f, z));
        assert_eq!(case("a A"), ["digits/day-5", "digits/day-5"]);
        assert_eq!(
            case("bBh"),
            ["digits/mon-1", "digits/mon-1", "digits/mon-1"]
        );
        assert_eq!(case("m"), ["digits/h-2"]);
        assert_eq!(case("de"), ["digits/h-13", "digits/h-13"]);
        assert_eq!(case("Y"), ["#2009"]);
        assert_eq!(case("Il"), ["digits/11", "digits/11"]);
        assert_eq!(case("H"), ["digits/20", "digits/3"]);
        assert_eq!(case("k"), ["digits/20", "digits/3"]);
        assert_eq!(case("M"), ["#31"]);
        assert_eq!(case("S"), ["#30"]);
        assert_eq!(case("Pp"), ["digits/p-m", "digits/p-m"]);
        assert_eq!(case("R"), ["digits/20", "digits/3", "#31"]);
        assert_eq!(case("T"), ["digits/20", "digits/3", "#31", "#30"]);
        assert_eq!(case("'beep'x"), ["beep", "?x6"]);
        // An unterminated quote runs to the end.
        assert_eq!(case("'vm-and"), ["vm-and"]);
        // Midnight on the hour, five seconds past; N says "hundred".
        let t = 1_234_569_605 - 23 * 3600 - 60 * 60;
        assert_eq!(
            plays(&date_items(t, t, "HMNS kI", z)),
            [
                "digits/oh",
                "digits/oclock",
                "digits/hundred",
                "digits/oh",
                "digits/5",
                "digits/oh",
                "digits/12"
            ]
        );
        // 1999 and 1905 the nineteen way; 1900 and before say nothing.
        assert_eq!(
            plays(&date_items(915_148_800, 0, "Y", z)),
            ["digits/19", "#99"]
        );
        assert_eq!(
            plays(&date_items(-2_051_222_400, 0, "Y", z)),
            ["digits/19", "digits/oh", "#5"]
        );
        assert!(plays(&date_items(-2_208_988_800, 0, "Y", z)).is_empty());
    }

    /// `Q`/`q` say the date by how far it is from today.
    #[test]
    fn relative_dates() {
        let z = Some("UTC");
        // Noon of 2026-11-22 is "now"; T is its 03:48.
        let now = T - 3 * 3600 - 48 * 60 - 40 + 12 * 3600;
        let q = |t: i64| plays(&date_items(t, now, "Q", z));
        assert_eq!(q(T), ["digits/today"]);
        assert_eq!(plays(&date_items(T, now, "q", z)), ["digits/today"]);
        assert_eq!(q(T - 86_400), ["digits/yesterday"]);
        assert_eq!(q(T + 86_400), ["digits/tomorrow"]);
        assert_eq!(q(T - 3 * 86_400), ["digits/day-4"]);
        assert_eq!(q(T + 3 * 86_400), ["digits/day-3"]);
        assert_eq!(
            q(T - 10 * 86_400),
            ["digits/day-4", "digits/mon-10", "digits/h-12"]
        );
        assert_eq!(
            q(T - 60 * 86_400),
            ["digits/mon-8", "digits/20", "digits/h-3"]
        );
        assert_eq!(
            q(T - 365 * 86_400),
            ["digits/mon-10", "digits/20", "digits/h-2", "#2025"]
        );
    }

    #[test]
    fn languages_with_rules_of_their_own() {
        assert!(!has_own_rules("en"));
        assert!(!has_own_rules("en_GB"));
        assert!(has_own_rules("de_DE"));
        assert!(has_own_rules("FR"));
        assert!(!has_own_rules("sv"));
        assert!(!has_own_rules("x"));
    }
}
