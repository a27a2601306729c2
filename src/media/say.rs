//! What Asterisk says for digits, characters, numbers and amounts
//! (main/say.c): each function turns its input into the list of prompt
//! files to play, in order, as Asterisk's `ast_get_*_str` builders do.
//! Playing them is the caller's business (the Say applications, and later
//! SayUnixTime, VoiceMail, ...), so this module does no I/O except asking
//! `exists` whether a prompt is installed, where Asterisk asks too.
//!
//! Only the English number rules are built; Asterisk falls back to them
//! for languages it has no rules for, and so do we (with its warning).

/// Which letters announce their case (SayAlphaCase's option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SayCase {
    /// `n`: no case announced (SayAlpha).
    None,
    /// `l`: "lowercase" before each lower-case letter.
    Lower,
    /// `u`: "uppercase" before each upper-case letter.
    Upper,
    /// `a`: both.
    All,
}

/// The prompt for a digit or `*`/`#`, as the digit, character and
/// phonetic builders share them.
fn digit_file(c: char) -> Option<String> {
    match c {
        '*' => Some("digits/star".into()),
        '#' => Some("digits/pound".into()),
        '0'..='9' => Some(format!("digits/{c}")),
        _ => None,
    }
}

/// The prompts for punctuation SayAlpha and SayPhonetic know.
fn symbol_file(c: char) -> Option<&'static str> {
    Some(match c {
        '!' => "letters/exclaimation-point",
        '@' => "letters/at",
        '$' => "letters/dollar",
        '-' => "letters/dash",
        '.' => "letters/dot",
        '=' => "letters/equals",
        '+' => "letters/plus",
        '/' => "letters/slash",
        ' ' => "letters/space",
        _ => return None,
    })
}

/// SayDigits (`ast_get_digit_str`): digits, `*`, `#` and `-`; anything
/// else, and prompts not installed, are skipped.
pub fn digit_files(s: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    s.chars()
        .filter_map(|c| match c {
            '-' => Some("digits/minus".to_string()),
            c => digit_file(c),
        })
        .filter(|f| exists(f))
        .collect()
}

/// SayAlpha and SayAlphaCase (`ast_get_character_str`): letters, digits
/// and symbols; a character with no prompt of its own is tried as
/// `letters/ascii<code>`, and skipped if that is missing too.
pub fn character_files(s: &str, case: SayCase, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let (mut upper, mut lower) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let name = match (digit_file(c), symbol_file(c)) {
            (Some(f), _) => f,
            (None, Some(f)) => f.to_string(),
            (None, None) => {
                // A case announcement toggles on, plays, and the same
                // letter comes round again with it toggled off.
                if c.is_ascii_uppercase() && matches!(case, SayCase::Upper | SayCase::All) {
                    upper = !upper;
                } else if c.is_ascii_lowercase() && matches!(case, SayCase::Lower | SayCase::All) {
                    lower = !lower;
                }
                if upper {
                    "uppercase".to_string()
                } else if lower {
                    "lowercase".to_string()
                } else {
                    format!("letters/{}", c.to_ascii_lowercase())
                }
            }
        };
        if exists(&name) {
            out.push(name);
        } else {
            let ascii = format!("letters/ascii{}", ascii_code(c));
            if exists(&ascii) {
                out.push(ascii);
            }
        }
        if upper || lower {
            continue;
        }
        i += 1;
    }
    out
}

/// The character's code as C's `%d` of a `char` prints it (signed bytes:
/// the first byte of a multi-byte character is negative).
fn ascii_code(c: char) -> i32 {
    let mut buf = [0u8; 4];
    let first = c.encode_utf8(&mut buf).as_bytes()[0];
    i32::from(first as i8)
}

/// SayPhonetic (`ast_get_phonetic_str`): the NATO alphabet. `9` has no
/// digit prompt here and is looked up as `phonetic/9_p`, as in Asterisk.
pub fn phonetic_files(s: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    s.chars()
        .map(|c| match (c, digit_file(c), symbol_file(c)) {
            ('9', _, _) => "phonetic/9_p".to_string(),
            (_, Some(f), _) => f,
            (_, None, Some(f)) => f.to_string(),
            _ => format!("phonetic/{}_p", c.to_ascii_lowercase()),
        })
        .filter(|f| exists(f))
        .collect()
}

/// A number could not be said (logged by Asterisk as too big).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooBig(pub i32);

/// SayNumber in English (`get_number_str_en`): "one million two hundred
/// thirty four thousand ...". The files built before a part too big to
/// say are kept, as Asterisk keeps them.
pub fn number_files_en(num: i32) -> (Vec<String>, Option<TooBig>) {
    if num == 0 {
        return (vec!["digits/0".to_string()], None);
    }
    let mut out = Vec::new();
    let mut err = None;
    let mut num = i64::from(num);
    let mut hundred = false;
    while num != 0 || hundred {
        if num < 0 {
            out.push("digits/minus".to_string());
            // i32::MIN cannot be negated in C's int: Asterisk says only
            // "minus" for it.
            num = if num > i64::from(i32::MIN) { -num } else { 0 };
        } else if hundred {
            out.push("digits/hundred".to_string());
            hundred = false;
        } else if num < 20 {
            out.push(format!("digits/{num}"));
            num = 0;
        } else if num < 100 {
            out.push(format!("digits/{}", num / 10 * 10));
            num %= 10;
        } else if num < 1000 {
            out.push(format!("digits/{}", num / 100));
            hundred = true;
            num %= 100;
        } else {
            let (unit, word) = if num < 1_000_000 {
                (1000, "digits/thousand")
            } else if num < 1_000_000_000 {
                (1_000_000, "digits/million")
            } else if num < i64::from(i32::MAX) {
                (1_000_000_000, "digits/billion")
            } else {
                err = Some(TooBig(num as i32));
                break;
            };
            let (part, e) = number_files_en((num / unit) as i32);
            out.extend(part);
            err = err.or(e);
            out.push(word.to_string());
            num %= unit;
        }
    }
    (out, err)
}

/// SayOrdinal in English (`get_ordinal_str_en`): "first", "twenty
/// second", "one hundredth"; the big units come from the cardinal rules.
pub fn ordinal_files_en(num: i32) -> (Vec<String>, Option<TooBig>) {
    let mut out = Vec::new();
    let mut err = None;
    let mut num = i64::from(num);
    let mut hundred = false;
    while num != 0 || hundred {
        if num < 0 {
            out.push("digits/minus".to_string());
            num = if num > i64::from(i32::MIN) { -num } else { 0 };
        } else if hundred {
            out.push(if num % 100 == 0 {
                "digits/h-hundred".to_string()
            } else {
                "digits/hundred".to_string()
            });
            hundred = false;
        } else if num < 20 {
            out.push(format!("digits/h-{num}"));
            num = 0;
        } else if num < 100 {
            let base = num / 10 * 10;
            out.push(if base != num {
                format!("digits/{base}")
            } else {
                format!("digits/h-{base}")
            });
            num %= 10;
        } else if num < 1000 {
            out.push(format!("digits/{}", num / 100));
            hundred = true;
            num %= 100;
        } else {
            let (unit, word) = if num < 1_000_000 {
                (1000, "thousand")
            } else if num < 1_000_000_000 {
                (1_000_000, "million")
            } else if num < i64::from(i32::MAX) {
                (1_000_000_000, "billion")
            } else {
                err = Some(TooBig(num as i32));
                break;
            };
            let (part, e) = number_files_en((num / unit) as i32);
            out.extend(part);
            err = err.or(e);
            num %= unit;
            out.push(if num == 0 {
                format!("digits/h-{word}")
            } else {
                format!("digits/{word}")
            });
        }
    }
    (out, err)
}

/// SayMoney in English (`ast_get_money_en_dollars_str`): "twelve dollars
/// and fifty cents" from `12.50`; an amount that does not parse says
/// "zero cents".
pub fn money_files_en(s: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let (dollars, cents) = parse_money(s);
    let amount = i64::from(dollars) * 100 + i64::from(cents);
    let mut out = Vec::new();
    if amount >= 100 {
        out.extend(number_files_en((amount / 100) as i32).0);
        out.push(
            if amount < 200 {
                if cents > 0 {
                    "letters/dollar_"
                } else {
                    "letters/dollar"
                }
            } else {
                "dollars"
            }
            .to_string(),
        );
        if cents > 0 {
            out.push("and".to_string());
        }
    }
    if cents > 0 {
        out.extend(number_files_en(cents as i32).0);
        out.push(if cents == 1 { "cent" } else { "cents" }.to_string());
    } else if amount == 0 {
        out.extend(digit_files("0", exists));
        out.push("cents".to_string());
    }
    out
}

/// `sscanf("%d.%02u")` as Asterisk reads an amount: dollars, then at most
/// two digits of cents right after the point.
fn parse_money(s: &str) -> (i32, u32) {
    fn leading_int(s: &str) -> Option<(i64, &str)> {
        let t = s.trim_start();
        let sign_len = usize::from(t.starts_with(['+', '-']));
        let digits = t[sign_len..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(t.len() - sign_len);
        if digits == 0 {
            return None;
        }
        let end = sign_len + digits;
        Some((t[..end].parse().ok()?, &t[end..]))
    }
    fn cents(after_point: &str) -> Option<u32> {
        // %02u skips blanks, then reads up to two digits.
        let t = after_point.trim_start();
        let n = t.chars().take(2).take_while(char::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        t[..n].parse().ok()
    }
    let digit_after_point = |rest: &str| rest.chars().next().is_some_and(|c| c.is_ascii_digit());
    if let Some(rest) = s.strip_prefix('.') {
        return match cents(rest) {
            Some(c) if digit_after_point(rest) => (0, c),
            _ => (0, 0),
        };
    }
    let Some((dollars, rest)) = leading_int(s) else {
        return (0, 0);
    };
    let dollars = dollars as i32;
    match rest.strip_prefix('.') {
        Some(after) => match cents(after) {
            Some(c) if digit_after_point(after) => (dollars, c),
            _ => (dollars, 0),
        },
        None => (dollars, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    fn joined(files: &[String]) -> String {
        files.join("&")
    }

    #[test]
    fn numbers_in_english() {
        let n = |v| joined(&number_files_en(v).0);
        assert_eq!(n(0), "digits/0");
        assert_eq!(n(7), "digits/7");
        assert_eq!(n(19), "digits/19");
        assert_eq!(n(20), "digits/20");
        assert_eq!(n(42), "digits/40&digits/2");
        assert_eq!(n(100), "digits/1&digits/hundred");
        assert_eq!(n(115), "digits/1&digits/hundred&digits/15");
        assert_eq!(n(1000), "digits/1&digits/thousand");
        assert_eq!(
            n(1_234_567),
            "digits/1&digits/million&digits/2&digits/hundred&digits/30&digits/4&digits/thousand&digits/5&digits/hundred&digits/60&digits/7"
        );
        assert_eq!(n(2_000_000_001), "digits/2&digits/billion&digits/1");
        assert_eq!(n(-5), "digits/minus&digits/5");
        assert_eq!(n(i32::MIN), "digits/minus");
        let (files, err) = number_files_en(i32::MAX);
        assert!(files.is_empty());
        assert_eq!(err, Some(TooBig(i32::MAX)));
    }

    #[test]
    fn ordinals_in_english() {
        let n = |v| joined(&ordinal_files_en(v).0);
        assert_eq!(n(1), "digits/h-1");
        assert_eq!(n(22), "digits/20&digits/h-2");
        assert_eq!(n(30), "digits/h-30");
        assert_eq!(n(100), "digits/1&digits/h-hundred");
        assert_eq!(n(101), "digits/1&digits/hundred&digits/h-1");
        assert_eq!(n(2000), "digits/2&digits/h-thousand");
        assert_eq!(n(2001), "digits/2&digits/thousand&digits/h-1");
        assert_eq!(n(0), "");
    }

    #[test]
    fn digits_skip_what_has_no_prompt() {
        assert_eq!(
            joined(&digit_files("1-2*#x", all)),
            "digits/1&digits/minus&digits/2&digits/star&digits/pound"
        );
        assert_eq!(
            joined(&digit_files("123", |f| f != "digits/2")),
            "digits/1&digits/3"
        );
    }

    #[test]
    fn characters_and_cases() {
        assert_eq!(
            joined(&character_files("aB1 #.", SayCase::None, all)),
            "letters/a&letters/b&digits/1&letters/space&digits/pound&letters/dot"
        );
        assert_eq!(
            joined(&character_files("aB", SayCase::All, all)),
            "lowercase&letters/a&uppercase&letters/b"
        );
        assert_eq!(
            joined(&character_files("aB", SayCase::Upper, all)),
            "letters/a&uppercase&letters/b"
        );
        assert_eq!(
            joined(&character_files("aB", SayCase::Lower, all)),
            "lowercase&letters/a&letters/b"
        );
        // No prompt of its own: the ascii one, or nothing.
        assert_eq!(
            joined(&character_files("%", SayCase::None, |f| f != "letters/%")),
            "letters/ascii37"
        );
        assert!(character_files("%", SayCase::None, |_| false).is_empty());
    }

    #[test]
    fn phonetic() {
        assert_eq!(
            joined(&phonetic_files("Ab9", all)),
            "phonetic/a_p&phonetic/b_p&phonetic/9_p"
        );
    }

    #[test]
    fn money() {
        let m = |s| joined(&money_files_en(s, all));
        assert_eq!(m("12.50"), "digits/12&dollars&and&digits/50&cents");
        assert_eq!(m("1"), "digits/1&letters/dollar");
        assert_eq!(m("1.01"), "digits/1&letters/dollar_&and&digits/1&cent");
        assert_eq!(m(".5"), "digits/5&cents");
        assert_eq!(m("x"), "digits/0&cents");
        assert_eq!(m("3. 5"), "digits/3&dollars");
    }
}
