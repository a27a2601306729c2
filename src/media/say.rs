//! What Asterisk says for digits, characters, numbers and amounts
//! (main/say.c): each function turns its input into the list of prompt
//! files to play, in order, as Asterisk's `ast_get_*_str` builders do.
//! Playing them is the caller's business (the Say applications, and later
//! SayUnixTime, VoiceMail, ...), so this module does no I/O except asking
//! `exists` whether a prompt is installed, where Asterisk asks too.
//!
//! SayNumber has Asterisk's own rules for en, en_GB, cs, da, de, es, fr,
//! gr, hu, is, it, nl, no, pl, pt, ru, se, th and vi ([`number_steps`]);
//! other languages are said with the English rules, with Asterisk's
//! warning where Asterisk falls back too and a warning of ours where
//! Asterisk has rules we do not have yet.
//! SayOrdinal and SayMoney only have English rules in Asterisk as well.

use crate::core::logger::{Deferred, Site};

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

/// One thing SayNumber does, in order: the language rules play prompt by
/// prompt (as Asterisk's `ast_say_number_full_<lang>` do, which is why a
/// prompt that does not open does not stop them), English plays a list
/// built beforehand (which stops at the first prompt missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberStep {
    /// Log this warning (from say.c).
    Warn(Deferred),
    /// Play a prompt; one that does not open is skipped.
    Play(String),
    /// Play a prompt; a digit ends only this prompt, and one that does not
    /// open is skipped (Polish: Asterisk drops the digit).
    PlayThrough(String),
    /// Play a prompt; one that does not open ends the number, quietly
    /// (`say_filenames`).
    PlayOrStop(String),
    /// Play a prompt; one that does not open logs `Unable to play message
    /// <name>` and ends the number, failed (`wait_file`).
    WaitFile(String),
    /// The number cannot be said further: it failed.
    Stop,
}

/// The languages with number rules of their own, as `say_number_full`
/// picks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberRules {
    EnGb,
    Cs,
    Da,
    De,
    Es,
    Fr,
    Gr,
    Hu,
    Is,
    It,
    Nl,
    No,
    Pl,
    Pt,
    Ru,
    Se,
    Th,
    Vi,
}

/// How SayNumber says numbers in a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberLanguage {
    /// English: `en*`, or a language Asterisk has no rules for either.
    English,
    /// Rules of the language's own.
    Rules(NumberRules),
    /// Asterisk has rules for it that Asterism does not have yet; said
    /// in English.
    Unimplemented,
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// The rules `say_number_full` picks for `lang`: `en_GB` by its five
/// letters, everything else by the first two (so `de_DE` is German,
/// `pt_BR` Portuguese, and `se` Swedish while `sv` is unknown).
pub fn number_language(lang: &str) -> NumberLanguage {
    use NumberRules::*;
    if starts_with_ci(lang, "en_GB") {
        return NumberLanguage::Rules(EnGb);
    }
    const OURS: &[(&str, NumberRules)] = &[
        ("cs", Cs),
        ("da", Da),
        ("de", De),
        ("es", Es),
        ("fr", Fr),
        ("gr", Gr),
        ("hu", Hu),
        ("is", Is),
        ("it", It),
        ("nl", Nl),
        ("no", No),
        ("pl", Pl),
        ("pt", Pt),
        ("ru", Ru),
        ("se", Se),
        ("th", Th),
        ("vi", Vi),
    ];
    // The rest of Asterisk's list.
    const NOT_YET: &[&str] = &["ja", "he", "ka", "pl", "th", "zh", "ur", "vi", "dr", "ps"];
    if starts_with_ci(lang, "en") {
        NumberLanguage::English
    } else if let Some((_, r)) = OURS.iter().find(|(l, _)| starts_with_ci(lang, l)) {
        NumberLanguage::Rules(*r)
    } else if NOT_YET.iter().any(|l| starts_with_ci(lang, l)) {
        NumberLanguage::Unimplemented
    } else {
        NumberLanguage::English
    }
}

/// Asterisk's warning when say.c has no rules for `lang` in a builder
/// that only knows English (`ast_get_number_str`, `ast_get_ordinal_str`,
/// whose site is given).
fn english_fallback_warning(lang: &str, site: &Site<'static>) -> Option<Deferred> {
    (!starts_with_ci(lang, "en")).then(|| {
        Deferred::new(
            site,
            format!("Language {lang} not currently supported, defaulting to English"),
        )
    })
}

const NUMBER_STR: &Site<'static> = crate::site!("say.c", 572, "ast_get_number_str");
const ORDINAL_STR: &Site<'static> = crate::site!("say.c", 692, "ast_get_ordinal_str");

/// The English list as steps: warnings first (Asterisk logs them while
/// building the list), then the prompts, stopping at a missing one.
/// `too_big_site` is the English builder's (`get_number_str_en`,
/// `get_ordinal_str_en`).
fn english_steps(
    lang_warning: Option<Deferred>,
    (files, too_big): (Vec<String>, Option<TooBig>),
    too_big_site: &Site<'static>,
) -> Vec<NumberStep> {
    let mut out: Vec<NumberStep> = lang_warning.into_iter().map(NumberStep::Warn).collect();
    if let Some(TooBig(n)) = too_big {
        out.push(NumberStep::Warn(Deferred::new(
            too_big_site,
            format!("Number '{n}' is too big for me"),
        )));
    }
    out.extend(files.into_iter().map(NumberStep::PlayOrStop));
    out
}

/// SayNumber(num[,option]) in the channel's language `lang`. `option` is
/// the gender/option letter (f, m, c or n), `exists` tells whether a
/// prompt is installed (zero is said as a digit, which skips a missing
/// prompt without trying it).
pub fn number_steps(
    lang: &str,
    num: i32,
    option: Option<char>,
    exists: impl Fn(&str) -> bool,
) -> Vec<NumberStep> {
    let rules = match number_language(lang) {
        NumberLanguage::English => {
            return english_steps(
                english_fallback_warning(lang, NUMBER_STR),
                number_files_en(num),
                crate::site!("say.c", 544, "get_number_str_en"),
            );
        }
        NumberLanguage::Unimplemented => {
            // Asterism only: say_number_full would pick the rules.
            let warning = Deferred::new(
                crate::site!("say.c", 0, "say_number_full"),
                format!(
                    "SayNumber: the number rules of language '{lang}' are not implemented; saying it in English"
                ),
            );
            return english_steps(
                Some(warning),
                number_files_en(num),
                crate::site!("say.c", 544, "get_number_str_en"),
            );
        }
        NumberLanguage::Rules(r) => r,
    };
    if num == 0 && rules == NumberRules::Gr {
        // Greek plays its zero directly: missing, it fails.
        return vec![NumberStep::PlayOrStop("digits/0".into())];
    }
    if rules == NumberRules::Pl {
        // Polish has no special case for zero or for negative numbers.
        let mut out = Vec::new();
        pl_number(
            &mut out,
            PlForms::of(option.map(|c| c.to_ascii_lowercase())),
            0,
            num,
        );
        return out;
    }
    if num == 0 {
        // The other languages say zero as the digit (`ast_say_digits_full`).
        return digit_files("0", exists)
            .into_iter()
            .map(NumberStep::PlayOrStop)
            .collect();
    }
    let mut b = Steps(Vec::new());
    // Most rules compare the letter case-insensitively; Czech and Russian
    // put it in the prompt's name as given.
    let opt = option.map(|c| c.to_ascii_lowercase());
    // Running out of rules ends the number: the rest is not built.
    let _ = match rules {
        NumberRules::EnGb => b.en_gb(num),
        NumberRules::Cs => b.cs(num, option.unwrap_or('w')),
        NumberRules::Ru => b.ru(num, option),
        NumberRules::Da => b.da(num, opt),
        NumberRules::De => b.de(num, opt),
        NumberRules::Es => b.es(num, opt),
        NumberRules::Fr => b.fr(num, opt),
        NumberRules::Gr => b.gr(num),
        NumberRules::Hu => b.hu(num),
        NumberRules::Is => b.is(num, opt),
        NumberRules::It => b.it(num),
        NumberRules::Nl => b.nl(num),
        NumberRules::No => b.no(num, opt),
        // Handled above.
        NumberRules::Pl => Ok(()),
        NumberRules::Pt => b.pt(num, opt),
        NumberRules::Se => b.se(num, opt),
        NumberRules::Th => b.th(num),
        NumberRules::Vi => b.vi(num),
    };
    b.0
}

/// SayOrdinal(num) in `lang`: Asterisk only has English ordinals, and
/// warns for any other language.
pub fn ordinal_steps(lang: &str, num: i32) -> Vec<NumberStep> {
    english_steps(
        english_fallback_warning(lang, ORDINAL_STR),
        ordinal_files_en(num),
        crate::site!("say.c", 664, "get_ordinal_str_en"),
    )
}

/// `ast_get_number_str(num, lang)`: the English list whatever the
/// language (Asterisk warns for another one), zero as the digit prompt
/// if installed; with the warnings the builders log, in order.
pub fn number_str(
    lang: &str,
    num: i32,
    exists: impl Fn(&str) -> bool,
) -> (Vec<String>, Vec<Deferred>) {
    let mut warnings: Vec<Deferred> = english_fallback_warning(lang, NUMBER_STR)
        .into_iter()
        .collect();
    if num == 0 {
        return (digit_files("0", exists), warnings);
    }
    let (files, too_big) = number_files_en(num);
    if let Some(TooBig(n)) = too_big {
        warnings.push(Deferred::new(
            crate::site!("say.c", 544, "get_number_str_en"),
            format!("Number '{n}' is too big for me"),
        ));
    }
    (files, warnings)
}

/// `ast_get_ordinal_str(num, lang)`: English ordinals, with the warnings
/// as [`number_str`]. Zero gives no prompt at all.
pub fn ordinal_str(lang: &str, num: i32) -> (Vec<String>, Vec<Deferred>) {
    let mut warnings: Vec<Deferred> = english_fallback_warning(lang, ORDINAL_STR)
        .into_iter()
        .collect();
    let (files, too_big) = ordinal_files_en(num);
    if let Some(TooBig(n)) = too_big {
        warnings.push(Deferred::new(
            crate::site!("say.c", 664, "get_ordinal_str_en"),
            format!("Number '{n}' is too big for me"),
        ));
    }
    (files, warnings)
}

/// The warnings SayMoney logs for `lang` before it plays: the currency
/// one, then one per number it says (dollars, cents) from the English
/// number builder.
pub fn money_warnings(lang: &str, amount: &str) -> Vec<Deferred> {
    if starts_with_ci(lang, "en") {
        return Vec::new();
    }
    let mut out = vec![Deferred::new(
        crate::site!("say.c", 455, "ast_get_money_str"),
        format!("Language {lang} not currently supported, defaulting to US Dollars"),
    )];
    let (dollars, cents) = parse_money(amount);
    let total = cents_total(dollars, cents);
    let numbers = usize::from(total >= 100) + usize::from(cents > 0);
    out.extend((0..numbers).filter_map(|_| english_fallback_warning(lang, NUMBER_STR)));
    out
}

/// The Polish forms of a number's words for one gender (`f` feminine,
/// `m` masculine personal, anything else neuter/impersonal): prompt names
/// under `digits/`.
#[derive(Clone, Copy)]
struct PlForms {
    /// A number alone (only zero, in practice).
    units: [&'static str; 10],
    /// The last digit after something.
    last_units: [&'static str; 10],
    hundreds: [&'static str; 10],
    tens: [&'static str; 10],
    teens: [&'static str; 10],
}

impl PlForms {
    fn of(opt: Option<char>) -> PlForms {
        const NEUTER_UNITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        const HUNDREDS: [&str; 10] = [
            "", "100", "200", "300", "400", "500", "600", "700", "800", "900",
        ];
        const TENS: [&str; 10] = ["", "10", "20", "30", "40", "50", "60", "70", "80", "90"];
        const TEENS: [&str; 10] = ["", "11", "12", "13", "14", "15", "16", "17", "18", "19"];
        match opt {
            Some('f') => PlForms {
                units: ["0", "1z", "2z", "3", "4", "5", "6", "7", "8", "9"],
                last_units: ["0", "1", "2z", "3", "4", "5", "6", "7", "8", "9"],
                hundreds: HUNDREDS,
                tens: TENS,
                teens: TEENS,
            },
            Some('m') => PlForms {
                units: [
                    "0", "1", "2-1m", "3-1m", "4-1m", "5m", "6m", "7m", "8m", "9m",
                ],
                last_units: [
                    "0", "1", "2-2m", "3-2m", "4-2m", "5m", "6m", "7m", "8m", "9m",
                ],
                hundreds: [
                    "", "100m", "200m", "300m", "400m", "500m", "600m", "700m", "800m", "900m",
                ],
                tens: [
                    "", "10m", "20m", "30m", "40m", "50m", "60m", "70m", "80m", "90m",
                ],
                teens: [
                    "", "11m", "12m", "13m", "14m", "15m", "16m", "17m", "18m", "19m",
                ],
            },
            _ => PlForms {
                units: NEUTER_UNITS,
                last_units: NEUTER_UNITS,
                hundreds: HUNDREDS,
                tens: TENS,
                teens: TEENS,
            },
        }
    }
}

/// Polish: `num` said with the forms `f`, as a count of the unit of
/// `order` (0: none, 1: thousands, 2: millions, 3: milliards), the unit
/// word after it in the form the count asks for. Negative numbers go
/// through the same arithmetic (C's truncating division, as Rust's), which
/// says little of them; where Asterisk would index its tables with a
/// negative number (undefined), nothing is said.
fn pl_number(out: &mut Vec<NumberStep>, f: PlForms, order: usize, num: i32) {
    fn play(out: &mut Vec<NumberStep>, name: &str) {
        out.push(NumberStep::PlayThrough(format!("digits/{name}")));
    }
    fn form(table: &[&'static str; 10], i: i32) -> Option<&'static str> {
        usize::try_from(i).ok().and_then(|i| table.get(i)).copied()
    }
    if num == 0 {
        if order == 0 {
            play(out, f.units[0]);
        }
        return;
    }
    let below_milliard = num % 1_000_000_000;
    pl_number(out, f, order + 3, num / 1_000_000_000);
    let below_million = below_milliard % 1_000_000;
    pl_number(out, f, order + 2, below_milliard / 1_000_000);
    let below_thousand = below_million % 1000;
    pl_number(out, f, order + 1, below_million / 1000);
    let (hundreds, rest) = (below_thousand / 100, below_thousand % 100);
    if let Some(name) = form(&f.hundreds, hundreds).filter(|_| hundreds > 0) {
        play(out, name);
    }
    let said = if (1..=9).contains(&rest) {
        // `units` only when nothing came before, which cannot happen here
        // with a unit in `rest`; Asterisk has the same test.
        if below_thousand > 0 {
            vec![form(&f.last_units, rest)]
        } else {
            vec![form(&f.units, rest)]
        }
    } else if rest % 10 == 0 && rest != 0 {
        vec![form(&f.tens, rest / 10)]
    } else if (11..=19).contains(&rest) {
        vec![form(&f.teens, rest % 10)]
    } else if rest > 20 {
        vec![form(&f.tens, rest / 10), form(&f.last_units, rest % 10)]
    } else {
        Vec::new()
    };
    for name in said.into_iter().flatten() {
        play(out, name);
    }
    if order > 0 {
        // The unit's form: one, a count ending in 2 to 4 (but not 12 to
        // 14), or any other.
        const UNITS: [[&str; 3]; 3] = [
            ["1000", "1000.2", "1000.5"],
            ["1000000", "1000000.2", "1000000.5"],
            ["1000000000", "1000000000.2", "1000000000.5"],
        ];
        let which = if num == 1 {
            0
        } else if !(11..=21).contains(&num) && (2..5).contains(&(num % 10)) {
            1
        } else {
            2
        };
        if let Some(unit) = UNITS.get(order - 1) {
            play(out, unit[which]);
        }
    }
}

/// The number could not be said further (Asterisk's -1 out of a
/// language builder); everything after it is not built.
struct Stopped;

type Built = Result<(), Stopped>;

/// `-num`, except that C's INT_MIN cannot be negated: Asterisk then says
/// only "minus".
fn negated(num: i32) -> i32 {
    num.checked_neg().unwrap_or(0)
}

/// The steps of a number in a language's own rules. Each builder mirrors
/// the shape of Asterisk's: a loop that says one prompt per turn, with
/// flags for a "hundred" or an "and" still to come, and recursion for the
/// count of thousands and millions.
struct Steps(Vec<NumberStep>);

impl Steps {
    fn play(&mut self, f: impl Into<String>) {
        self.0.push(NumberStep::Play(f.into()));
    }

    fn digit(&mut self, n: i32) {
        self.play(format!("digits/{n}"));
    }

    fn stop(&mut self, warning: Option<Deferred>) -> Built {
        self.0.extend(warning.map(NumberStep::Warn));
        self.0.push(NumberStep::Stop);
        Err(Stopped)
    }

    /// British English: "and" (`vm-and`) before the last two digits.
    fn en_gb(&mut self, mut num: i32) -> Built {
        let (mut hundred, mut and) = (false, false);
        while num != 0 || hundred || and {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if and {
                self.play("vm-and");
                and = false;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
                and = num != 0;
            } else if num < 1_000_000_000 {
                let (unit, word) = if num < 1_000_000 {
                    (1000, "digits/thousand")
                } else {
                    (1_000_000, "digits/million")
                };
                self.en_gb(num / unit)?;
                self.play(word);
                num %= unit;
                and = num != 0 && num < 100;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Danish: units before tens ("one-and twenty"), neuter "et" (`1N`)
    /// for one hundred and one thousand, "and" before the last two digits.
    fn da(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let neuter = opt == Some('n');
        let (mut hundred, mut and) = (false, false);
        while num != 0 || hundred || and {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if and {
                self.play("digits/and");
                and = false;
            } else if num == 1 && neuter {
                self.play("digits/1N");
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                let ones = num % 10;
                if ones != 0 {
                    self.play(format!("digits/{ones}-and"));
                    num -= ones;
                } else {
                    self.digit(num);
                    num = 0;
                }
            } else if num < 1000 {
                let hundreds = num / 100;
                if hundreds == 1 {
                    self.play("digits/1N");
                } else {
                    self.digit(hundreds);
                }
                hundred = true;
                num %= 100;
                and = num != 0;
            } else if num < 1_000_000 {
                self.da(num / 1000, Some('n'))?;
                self.play("digits/thousand");
                num %= 1000;
                and = num != 0 && num < 100;
            } else if num < 1_000_000_000 {
                let millions = num / 1_000_000;
                self.da(millions, Some('c'))?;
                self.play(if millions == 1 {
                    "digits/million"
                } else {
                    "digits/millions"
                });
                num %= 1_000_000;
                and = num != 0 && num < 100;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// German: units before tens, "hundert"/"tausend" alone for exactly
    /// 100/1000 at the start, "ein" (`1N`) before hundred and thousand,
    /// "eine" (`1F`) before million and milliard, plural millions.
    fn de(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let female = opt == Some('f');
        // Whether a thousand or more was said: 100 and 1000 are said
        // bare only as the whole number.
        let mut big = false;
        while num != 0 {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if num == 1 && female {
                self.play("digits/1F");
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                let ones = num % 10;
                if ones != 0 {
                    self.play(format!("digits/{ones}-and"));
                    num -= ones;
                } else {
                    self.digit(num);
                    num = 0;
                }
            } else if num == 100 && !big {
                self.play("digits/hundred");
                num = 0;
            } else if num < 1000 {
                let hundreds = num / 100;
                num %= 100;
                if hundreds == 1 {
                    self.play("digits/1N");
                } else {
                    self.digit(hundreds);
                }
                self.play("digits/hundred");
            } else if num == 1000 && !big {
                self.play("digits/thousand");
                num = 0;
            } else {
                // Thousands, millions, milliards: (unit, the "one" before
                // it, the word for one, the word for more).
                let (unit, one, single, plural) = if num < 1_000_000 {
                    (1000, "digits/1N", "digits/thousand", "digits/thousand")
                } else if num < 1_000_000_000 {
                    (1_000_000, "digits/1F", "digits/million", "digits/millions")
                } else {
                    (
                        1_000_000_000,
                        "digits/1F",
                        "digits/milliard",
                        "digits/milliards",
                    )
                };
                let count = num / unit;
                num %= unit;
                big = true;
                if count == 1 {
                    self.play(one);
                    self.play(single);
                } else {
                    self.de(count, opt)?;
                    self.play(plural);
                }
            }
        }
        Ok(())
    }

    /// Spanish: words up to 30, "y" (`and`) between tens and units,
    /// "cien"/"ciento" (`100`, `100-and`), "mil" alone up to 1999,
    /// gendered one (`1F`, `1M`), "un millón" / "millones".
    fn es(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let gender = match opt {
            Some('f') => "F",
            Some('m') => "M",
            _ => "",
        };
        let mut and = false;
        while num != 0 {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if and {
                self.play("digits/and");
                and = false;
            } else if num == 1 {
                self.play(format!("digits/1{gender}"));
                num = 0;
            } else if num < 31 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
                and = num != 0;
            } else if num == 100 {
                self.play("digits/100");
                num = 0;
            } else if num < 200 {
                self.play("digits/100-and");
                num -= 100;
            } else if num < 1000 {
                self.digit(num / 100 * 100);
                num %= 100;
            } else if num < 2000 {
                self.play("digits/thousand");
                num %= 1000;
            } else if num < 1_000_000 {
                self.es(num / 1000, opt)?;
                self.play("digits/thousand");
                num %= 1000;
            } else if num < 2_147_483_640 {
                let millions = num / 1_000_000;
                if millions == 1 {
                    // "un millón" whatever the gender asked.
                    self.es(millions, Some('m'))?;
                    self.play("digits/million");
                } else {
                    self.es(millions, opt)?;
                    self.play("digits/millions");
                }
                num %= 1_000_000;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// French: words up to 20, "et" before a final one up to 71,
    /// 70 and 90 as 60+ and 80+, "cent"/"mille" alone below 200/2000,
    /// feminine one (`1F`).
    fn fr(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let female = opt == Some('f');
        let (mut hundred, mut and) = (false, false);
        while num != 0 || hundred || and {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if and {
                self.play("digits/et");
                and = false;
            } else if num == 1 {
                self.play(if female { "digits/1F" } else { "digits/1" });
                num = 0;
            } else if num < 21 {
                self.digit(num);
                num = 0;
            } else if num < 70 {
                self.digit(num / 10 * 10);
                and = num % 10 == 1;
                num %= 10;
            } else if num < 80 {
                self.play("digits/60");
                and = num % 10 == 1;
                num -= 60;
            } else if num < 100 {
                self.play("digits/80");
                num -= 80;
            } else if num < 200 {
                self.play("digits/hundred");
                num -= 100;
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
            } else if num < 2000 {
                self.play("digits/thousand");
                num -= 1000;
            } else if num < 1_000_000_000 {
                let (unit, word) = if num < 1_000_000 {
                    (1000, "digits/thousand")
                } else {
                    (1_000_000, "digits/million")
                };
                self.fr(num / unit, opt)?;
                self.play(word);
                num %= unit;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Greek: words up to 12, tens, hundreds as one word
    /// (`hundred-<n>00`), "xilia" for one thousand, then thousands and
    /// millions after their count. A negative number is one prompt
    /// (`digits/-<n>`): Greek has no "minus".
    fn gr(&mut self, mut num: i32) -> Built {
        while num != 0 {
            if num < 13 {
                self.digit(num);
                num = 0;
            } else if num <= 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 200 {
                self.play("digits/hundred-100");
                num %= 100;
            } else if num < 1000 {
                self.play(format!("digits/hundred-{}", num / 100 * 100));
                num %= 100;
            } else if num < 2000 {
                self.play("digits/xilia");
                num %= 1000;
            } else if num < 1_000_000_000 {
                let (unit, word) = if num < 1_000_000 {
                    (1000, "digits/thousands")
                } else {
                    (1_000_000, "digits/millions")
                };
                self.gr(num / unit)?;
                num %= unit;
                self.play(word);
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Hungarian: English order, with the first word of 11 to 19 and 21
    /// to 29 (`10en`, `20on`) different from 10 and 20.
    fn hu(&mut self, mut num: i32) -> Built {
        let mut hundred = false;
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if num < 11 || num == 20 {
                self.digit(num);
                num = 0;
            } else if num < 20 {
                self.play("digits/10en");
                num -= 10;
            } else if num < 30 {
                self.play("digits/20on");
                num -= 20;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
            } else if num < 1_000_000_000 {
                let (unit, word) = if num < 1_000_000 {
                    (1000, "digits/thousand")
                } else {
                    (1_000_000, "digits/million")
                };
                self.hu(num / unit)?;
                num %= unit;
                self.play(word);
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Icelandic: one to four feminine (`kvk`) or neuter (`hk`), hundreds
    /// counted in neuter, plural hundreds, millions and milliards, and
    /// "og" (`and`) before the last word.
    fn is(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let suffix = match opt {
            Some('f') => Some("kvk"),
            Some('c' | 'n') => Some("hk"),
            _ => None,
        };
        // How many hundreds are still to be said ("hundred" or
        // "hundreds"), and whether "and" is.
        let mut hundreds_due = 0;
        let mut and = false;
        while num != 0 || hundreds_due != 0 || and {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundreds_due != 0 {
                self.play(if hundreds_due > 1 {
                    "digits/hundreds"
                } else {
                    "digits/hundred"
                });
                hundreds_due = 0;
            } else if and {
                self.play("digits/and");
                and = false;
            } else if let Some(sfx) = suffix.filter(|_| num < 5) {
                self.play(format!("digits/{num}{sfx}"));
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
                and = num != 0;
            } else if num < 1000 {
                let hundreds = num / 100;
                if hundreds < 5 {
                    self.play(format!("digits/{hundreds}hk"));
                } else {
                    self.digit(hundreds);
                }
                hundreds_due = hundreds;
                num -= 100 * hundreds;
                // "and" before a last word: a number below 20 or even tens.
                and = num != 0 && (num < 20 || num % 10 == 0);
            } else if num < 1_000_000 {
                self.is(num / 1000, Some('n'))?;
                // An even hundred after the thousands takes "and" too.
                let even_hundred = num % 100 == 0 && num % 1000 != 0;
                self.play("digits/thousand");
                num %= 1000;
                and = even_hundred || (num != 0 && (num < 20 || num % 10 == 0));
            } else if num < i32::MAX {
                let (unit, count_opt, single, plural) = if num < 1_000_000_000 {
                    (1_000_000, 'f', "digits/million", "digits/millions")
                } else {
                    (1_000_000_000, 'm', "digits/milliard", "digits/milliards")
                };
                let count = num / unit;
                self.is(count, Some(count_opt))?;
                self.play(if count > 1 { plural } else { single });
                num %= unit;
                and = num != 0 && num < 100;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Italian: single words for the tens ending in 1 or 8 (the vowel
    /// elides), "cento"/"mille"/"un milione" alone, "mila", "milioni".
    fn it(&mut self, mut num: i32) -> Built {
        let mut hundred = false;
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if num < 20 || (num < 100 && matches!(num % 10, 1 | 8)) {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                if num / 100 > 1 {
                    self.digit(num / 100);
                    hundred = true;
                } else {
                    self.play("digits/hundred");
                }
                num %= 100;
            } else if num < 1_000_000_000 {
                let (unit, single, plural) = if num < 1_000_000 {
                    (1000, "digits/thousand", "digits/thousands")
                } else {
                    (1_000_000, "digits/million", "digits/millions")
                };
                let count = num / unit;
                if count > 1 {
                    self.it(count)?;
                }
                self.play(if count < 2 { single } else { plural });
                num %= unit;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Dutch: units, "en" (`nl-en`), tens; "honderd"/"duizend" alone;
    /// 1100 to 9999 counted in hundreds.
    fn nl(&mut self, mut num: i32) -> Built {
        let mut hundred = false;
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                let units = num % 10;
                if units > 0 {
                    self.nl(units)?;
                    num -= units;
                    self.play("digits/nl-en");
                } else {
                    self.digit(num);
                    num = 0;
                }
            } else if num < 200 {
                self.play("digits/hundred");
                num %= 100;
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
            } else if num < 1100 {
                self.play("digits/thousand");
                num %= 1000;
            } else if num < 10_000 {
                self.nl(num / 100)?;
                num %= 100;
                self.play("digits/hundred");
            } else if num < 1_000_000_000 {
                let (unit, word) = if num < 1_000_000 {
                    (1000, "digits/thousand")
                } else {
                    (1_000_000, "digits/million")
                };
                self.nl(num / unit)?;
                num %= unit;
                self.play(word);
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Norwegian: English order, neuter "ett" (`1N`), "og" (`and`) before
    /// the last two digits.
    fn no(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let neuter = opt == Some('n');
        let (mut hundred, mut and) = (false, false);
        while num != 0 || hundred || and {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if and {
                self.play("digits/and");
                and = false;
            } else if num == 1 && neuter {
                self.play("digits/1N");
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                let hundreds = num / 100;
                if hundreds == 1 {
                    self.play("digits/1N");
                } else {
                    self.digit(hundreds);
                }
                hundred = true;
                num %= 100;
                and = num != 0;
            } else if num < 1_000_000_000 {
                let (unit, count_opt, word) = if num < 1_000_000 {
                    (1000, 'n', "digits/thousand")
                } else {
                    (1_000_000, 'c', "digits/million")
                };
                self.no(num / unit, Some(count_opt))?;
                self.play(word);
                num %= unit;
                and = num != 0 && num < 100;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Portuguese: "e" (`pt-e`) between the parts, "cem"/"cento"
    /// (`100`, `100E`), feminine one, two and hundreds (`F`), "mil" alone
    /// below 2000, "milhão"/"milhões" (`1000000`, `1000000S`).
    fn pt(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let female = opt == Some('f');
        while num != 0 {
            let mut and = false;
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if num < 20 {
                if female && (num == 1 || num == 2) {
                    self.play(format!("digits/{num}F"));
                } else {
                    self.digit(num);
                }
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                and = num % 10 != 0;
                num %= 10;
            } else if num < 1000 {
                if num == 100 {
                    self.play("digits/100");
                } else if num < 200 {
                    self.play("digits/100E");
                } else {
                    let hundreds = num / 100 * 100;
                    self.play(if female {
                        format!("digits/{hundreds}F")
                    } else {
                        format!("digits/{hundreds}")
                    });
                    and = num % 100 != 0;
                }
                num %= 100;
            } else if num < 1_000_000 {
                if num > 1999 {
                    // Asterisk multiplies the count by its -1 for the
                    // feminine: "minus two thousand" for 2000,f.
                    let count = num / 1000;
                    self.pt(if female { -count } else { count }, opt)?;
                }
                self.play("digits/1000");
                let rest = num % 1000;
                and = rest != 0 && (rest < 100 || num % 100 == 0);
                num = rest;
            } else if num < 1_000_000_000 {
                self.pt(num / 1_000_000, opt)?;
                self.play(if num < 2_000_000 {
                    "digits/1000000"
                } else {
                    "digits/1000000S"
                });
                let thousands = (num / 1000) % 1000;
                let rest = num % 1000;
                and = num % 1_000_000 != 0
                    && ((thousands == 0 && (rest < 100 || num % 100 == 0))
                        || (rest == 0 && (thousands < 100 || (num / 1000) % 100 == 0)));
                num %= 1_000_000;
            } else {
                return self.stop(Some(Deferred::new(
                    crate::site!("say.c", 2911, "ast_say_number_full_pt"),
                    format!("Number '{num}' is too big to say."),
                )));
            }
            if and {
                self.0.push(NumberStep::WaitFile("digits/pt-e".into()));
            }
        }
        Ok(())
    }

    /// Czech: gendered one and two (`1w`, `2m`, ... from the option,
    /// feminine by default), hundreds `1sto`, `2ste`, `<n>`+`sta`/`set`,
    /// and thousands, millions, milliards each with three forms
    /// (`1_E3`, `2-4_E3`, `5_E3`), their count said only from two on.
    fn cs(&mut self, mut num: i32, mut gender: char) -> Built {
        while num != 0 {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if num < 3 {
                self.play(format!("digits/{num}{gender}"));
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                let hundreds = num / 100;
                match hundreds {
                    1 => self.play("digits/1sto"),
                    2 => self.play("digits/2ste"),
                    _ => {
                        self.cs(hundreds, gender)?;
                        self.play(if hundreds <= 4 {
                            "digits/sta"
                        } else {
                            "digits/set"
                        });
                    }
                }
                num -= hundreds * 100;
            } else {
                // The power of ten of the group: 3, 6 or 9.
                let digits = num.ilog10() + 1;
                let power = (digits - 1) / 3 * 3;
                let unit = 10_i32.pow(power);
                let count = num / unit;
                if count == 2 {
                    // Two milliards are feminine, two of the others
                    // masculine; the gender stays for the rest, as in
                    // Asterisk.
                    gender = if power == 9 { 'w' } else { 'm' };
                }
                if count > 1 {
                    self.cs(count, gender)?;
                }
                self.play(match count {
                    5.. => format!("digits/5_E{power}"),
                    2..=4 => format!("digits/2-4_E{power}"),
                    _ => format!("digits/1_E{power}"),
                });
                num -= count * unit;
            }
        }
        Ok(())
    }

    /// Russian: one and two in the option's gender (`1f`, `2f`), hundreds
    /// as one word, thousands (feminine) and millions with the noun's
    /// form for the count's last digits.
    fn ru(&mut self, mut num: i32, option: Option<char>) -> Built {
        // The form of the noun after a count: its last two digits below
        // 20, else its last digit.
        fn last_digits(n: i32) -> i32 {
            if n % 100 < 20 { n % 100 } else { n % 10 }
        }
        while num != 0 {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if num < 20 {
                match option {
                    Some(g) if num < 3 => self.play(format!("digits/{num}{g}")),
                    _ => self.digit(num),
                }
                num = 0;
            } else if num < 100 {
                self.digit(num - num % 10);
                num %= 10;
            } else if num < 1000 {
                self.digit(num - num % 100);
                num %= 100;
            } else if num < 1_000_000_000 {
                let (unit, gender, one, few, many) = if num < 1_000_000 {
                    (
                        1000,
                        Some('f'),
                        "digits/thousand",
                        "digits/thousands-i",
                        "digits/thousands",
                    )
                } else {
                    (
                        1_000_000,
                        None,
                        "digits/million",
                        "digits/million-a",
                        "digits/millions",
                    )
                };
                let count = num / unit;
                let last = last_digits(count);
                // Thousands are feminine only where the count ends in
                // one or two.
                self.ru(count, if last < 3 { gender } else { None })?;
                self.play(match last {
                    1 => one,
                    2..=4 => few,
                    _ => many,
                });
                num %= unit;
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Thai: "lop" for minus, words up to 20 and for the tens ending in
    /// one, "roi" after the hundreds, and a word for each power of ten
    /// from the thousands (pan, muan, san, larn), millions counted in full.
    fn th(&mut self, mut num: i32) -> Built {
        let mut hundred = false;
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/lop");
                num = negated(num);
            } else if hundred {
                self.play("digits/roi");
                hundred = false;
            } else if num < 100 {
                if num <= 20 || num % 10 == 1 {
                    self.digit(num);
                    num = 0;
                } else {
                    self.digit(num / 10 * 10);
                    num %= 10;
                }
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
            } else {
                let (unit, word) = if num < 10_000 {
                    (1000, "digits/pan")
                } else if num < 100_000 {
                    (10_000, "digits/muan")
                } else if num < 1_000_000 {
                    (100_000, "digits/san")
                } else {
                    (1_000_000, "digits/larn")
                };
                self.th(num / unit)?;
                num %= unit;
                self.play(word);
            }
        }
        Ok(())
    }

    /// Vietnamese: a last one, four or five after tens in its own form
    /// (`<n>a`), "linh" (`odd`) after hundreds before a unit, and
    /// "không trăm" (`0-hundred`, `0-hundred-odd`) for an empty hundreds
    /// place after thousands.
    fn vi(&mut self, mut num: i32) -> Built {
        // The pending words, in the order they come out. Only the number
        // and "hundred" keep the loop going, as in Asterisk.
        let (mut unit_form, mut hundred, mut odd, mut zero_hundred, mut zero_hundred_odd) =
            (false, false, false, false, false);
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if unit_form {
                self.play(format!("digits/{num}a"));
                unit_form = false;
                num = 0;
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if odd {
                self.play("digits/odd");
                odd = false;
            } else if zero_hundred {
                self.play("digits/0-hundred");
                zero_hundred = false;
            } else if zero_hundred_odd {
                self.play("digits/0-hundred-odd");
                zero_hundred_odd = false;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
                unit_form = matches!(num, 1 | 4 | 5);
            } else if num < 1000 {
                self.digit(num / 100);
                num %= 100;
                hundred = true;
                odd = num != 0 && num < 10;
            } else if num < 1_000_000 {
                self.vi(num / 1000)?;
                num %= 1000;
                self.play("digits/thousand");
                if num != 0 && num < 10 {
                    zero_hundred_odd = true;
                } else if num != 0 && num < 100 {
                    zero_hundred = true;
                } else {
                    (hundred, zero_hundred, zero_hundred_odd) = (false, false, false);
                }
            } else if num < 1_000_000_000 {
                self.vi(num / 1_000_000)?;
                num %= 1_000_000;
                self.play("digits/million");
            } else {
                return self.stop(None);
            }
        }
        Ok(())
    }

    /// Swedish: English order, neuter "ett" (`1N`) and a bare "hundra" for
    /// a neuter number starting with one hundred; thousands counted in
    /// common gender, millions in neuter.
    fn se(&mut self, mut num: i32, opt: Option<char>) -> Built {
        let neuter = opt == Some('n');
        let mut hundred = false;
        let mut start = true;
        while num != 0 || hundred {
            if num < 0 {
                self.play("digits/minus");
                num = negated(num);
            } else if hundred {
                self.play("digits/hundred");
                hundred = false;
            } else if start && neuter && (100..200).contains(&num) {
                self.play("digits/hundred");
                num -= 100;
            } else if num == 1 && neuter {
                self.play("digits/1N");
                num = 0;
            } else if num < 20 {
                self.digit(num);
                num = 0;
            } else if num < 100 {
                self.digit(num / 10 * 10);
                num %= 10;
            } else if num < 1000 {
                self.digit(num / 100);
                hundred = true;
                num %= 100;
            } else if num < 1_000_000_000 {
                let (unit, count_opt, word) = if num < 1_000_000 {
                    (1000, 'c', "digits/thousand")
                } else {
                    (1_000_000, 'n', "digits/million")
                };
                self.se(num / unit, Some(count_opt))?;
                num %= unit;
                self.play(word);
            } else {
                return self.stop(None);
            }
            start = false;
        }
        Ok(())
    }
}

/// SayMoney in English (`ast_get_money_en_dollars_str`): "twelve dollars
/// and fifty cents" from `12.50`; an amount that does not parse says
/// "zero cents".
pub fn money_files_en(s: &str, exists: impl Fn(&str) -> bool) -> Vec<String> {
    let (dollars, cents) = parse_money(s);
    let amount = cents_total(dollars, cents);
    let mut out = Vec::new();
    if amount >= 100 {
        out.extend(number_files_en(amount / 100).0);
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

/// The amount in cents as say.c computes it in a C `int`: a dollar
/// count past 21474836 wraps (and then says nothing or something odd,
/// as in Asterisk).
fn cents_total(dollars: i32, cents: u32) -> i32 {
    dollars.wrapping_mul(100).wrapping_add(cents as i32)
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

/// Whether `lang` counts objects the Slavic way (`main/say.c`'s
/// ast_say_counted_*: languages starting "ru", "ua" or "pl", any case).
fn counts_slavic(lang: &str) -> bool {
    let prefix = lang.get(..2).unwrap_or("");
    ["ru", "ua", "pl"]
        .iter()
        .any(|l| prefix.eq_ignore_ascii_case(l))
}

/// The last two digits that decide a Slavic form: only the last digit
/// from 20 on.
fn slavic_key(num: i32) -> u32 {
    let n = num.unsigned_abs() % 100;
    if n >= 20 { n % 10 } else { n }
}

/// What SayCountedNoun appends to the noun's prompt name: in English
/// (and any other language) an "s" but for one; in Russian, Ukrainian and
/// Polish nothing for one, "x1" (genitive singular) for two to four and
/// "x2" (genitive plural) otherwise. A name, not a grammar: "mans" is the
/// prompt that says "men".
pub fn counted_noun_ending(lang: &str, num: i32) -> &'static str {
    if counts_slavic(lang) {
        match slavic_key(num) {
            1 => "",
            2..=4 => "x1",
            _ => "x2",
        }
    } else if num == 1 || num == -1 {
        ""
    } else {
        "s"
    }
}

/// What SayCountedAdj appends to the adjective's prompt name: nothing in
/// English; in Russian, Ukrainian and Polish the gender given (if any)
/// for one, "x" (genitive plural) otherwise.
pub fn counted_adjective_ending<'a>(lang: &str, num: i32, gender: Option<&'a str>) -> &'a str {
    if !counts_slavic(lang) {
        ""
    } else if slavic_key(num) == 1 {
        gender.unwrap_or("")
    } else {
        "x"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_endings() {
        // (language, number, noun ending, adjective ending with gender "f")
        for (lang, num, noun, adj) in [
            ("en", 1, "", ""),
            ("en", -1, "", ""),
            ("en", 0, "s", ""),
            ("en", 2, "s", ""),
            ("en", 21, "s", ""),
            ("fr", 1, "", ""),
            ("ru", 1, "", "f"),
            ("RU_ru", 2, "x1", "x"),
            ("ru", 4, "x1", "x"),
            ("ru", 5, "x2", "x"),
            ("ru", 11, "x2", "x"),
            ("ru", 12, "x2", "x"),
            ("ru", 19, "x2", "x"),
            ("ua", 21, "", "f"),
            ("ua", 22, "x1", "x"),
            ("pl", 25, "x2", "x"),
            ("pl", 111, "x2", "x"),
            ("pl", 101, "", "f"),
            ("ru", -3, "x1", "x"),
            ("ru", 0, "x2", "x"),
            ("r", 1, "", ""),
        ] {
            assert_eq!(counted_noun_ending(lang, num), noun, "{lang} {num}");
            assert_eq!(
                counted_adjective_ending(lang, num, Some("f")),
                adj,
                "{lang} {num}"
            );
        }
        assert_eq!(counted_adjective_ending("ru", 1, None), "");
    }

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
    fn language_picked_as_asterisk_does() {
        use NumberLanguage::*;
        assert_eq!(number_language("en"), English);
        assert_eq!(number_language("EN_us"), English);
        assert_eq!(number_language("en_GB"), Rules(NumberRules::EnGb));
        assert_eq!(number_language("en_gb_x"), Rules(NumberRules::EnGb));
        assert_eq!(number_language("de_DE"), Rules(NumberRules::De));
        assert_eq!(number_language("pt_BR"), Rules(NumberRules::Pt));
        assert_eq!(number_language("se"), Rules(NumberRules::Se));
        assert_eq!(number_language("sv"), English);
        assert_eq!(number_language("pl"), Rules(NumberRules::Pl));
        assert_eq!(number_language("he"), Unimplemented);
        assert_eq!(number_language("vi_VN"), Rules(NumberRules::Vi));
        assert_eq!(number_language("ru_RU"), Rules(NumberRules::Ru));
        assert_eq!(number_language(""), English);
        assert_eq!(number_language("d"), English);
    }

    fn prompts(steps: &[NumberStep]) -> String {
        steps
            .iter()
            .map(|s| match s {
                NumberStep::Warn(w) => format!("!{}", w.message),
                NumberStep::Play(f) => f.clone(),
                NumberStep::PlayThrough(f) => format!("{f}~"),
                NumberStep::PlayOrStop(f) => format!("{f}?"),
                NumberStep::WaitFile(f) => format!("{f}+"),
                NumberStep::Stop => "STOP".into(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn numbers_by_language() {
        let n = |l, v, o| prompts(&number_steps(l, v, o, all));
        assert_eq!(n("de", 21, None), "digits/1-and&digits/20");
        assert_eq!(n("de", 1, Some('F')), "digits/1F");
        assert_eq!(n("fr", 71, None), "digits/60&digits/et&digits/11");
        assert_eq!(n("es", 1_000_000, Some('f')), "digits/1M&digits/million");
        assert_eq!(n("pt", 21, None), "digits/20&digits/pt-e+&digits/1");
        assert_eq!(
            n("pt", 1_000_000_000, None),
            "!Number '1000000000' is too big to say.&STOP"
        );
        assert_eq!(n("it", 2_000_000_000, None), "STOP");
        assert_eq!(n("nl", 0, None), "digits/0?");
        // Czech and Russian keep the option's case in the prompt's name.
        assert_eq!(n("cs", 2, None), "digits/2w");
        assert_eq!(n("cs", 1, Some('F')), "digits/1F");
        assert_eq!(n("ru", 2000, None), "digits/2f&digits/thousands-i");
        assert_eq!(n("ru_RU", 2, Some('M')), "digits/2M");
        assert_eq!(n("gr", -21, None), "digits/-21");
        assert_eq!(n("gr", 0, None), "digits/0?");
        assert_eq!(
            prompts(&number_steps("gr", 0, None, |_| false)),
            "digits/0?"
        );
        assert_eq!(n("hu", 21, None), "digits/20on&digits/1");
        assert_eq!(n("pl", 22, Some('m')), "digits/20m~&digits/2-2m~");
        assert_eq!(n("pl", 0, None), "digits/0~");
        assert_eq!(n("pl", -20, None), "");
        assert_eq!(n("th", -21, None), "digits/lop&digits/21");
        assert_eq!(
            n("vi", 1005, None),
            "digits/1&digits/thousand&digits/0-hundred-odd&digits/5"
        );
        assert_eq!(prompts(&number_steps("nl", 0, None, |_| false)), "");
        assert_eq!(
            n("xx", 2, None),
            "!Language xx not currently supported, defaulting to English&digits/2?"
        );
    }

    #[test]
    fn ordinals_and_money_warn_outside_english() {
        assert_eq!(
            prompts(&ordinal_steps("de", 1)),
            "!Language de not currently supported, defaulting to English&digits/h-1?"
        );
        assert_eq!(prompts(&ordinal_steps("en_GB", 1)), "digits/h-1?");
        assert!(money_warnings("en", "1.01").is_empty());
        assert_eq!(money_warnings("de", "0").len(), 1);
        assert_eq!(money_warnings("de", "1.01").len(), 3);
        assert_eq!(money_warnings("de", ".5").len(), 2);
    }

    #[test]
    fn warnings_keep_their_say_c_site() {
        let site = |steps: Vec<NumberStep>| -> Vec<(u32, &'static str)> {
            steps
                .into_iter()
                .filter_map(|s| match s {
                    NumberStep::Warn(w) => Some((w.site.line, w.site.function)),
                    _ => None,
                })
                .collect()
        };
        // Lines of Asterisk 20.20.1's main/say.c.
        assert_eq!(
            site(number_steps("xx", 2, None, all)),
            [(572, "ast_get_number_str")]
        );
        assert_eq!(site(ordinal_steps("de", 1)), [(692, "ast_get_ordinal_str")]);
        assert_eq!(
            site(number_steps("pt", 1_000_000_000, None, all)),
            [(2911, "ast_say_number_full_pt")]
        );
        let money: Vec<_> = money_warnings("de", "1.01")
            .iter()
            .map(|w| (w.site.line, w.site.function))
            .collect();
        assert_eq!(
            money,
            [
                (455, "ast_get_money_str"),
                (572, "ast_get_number_str"),
                (572, "ast_get_number_str")
            ]
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
        // The cents total wraps in a C int, as in Asterisk.
        assert_eq!(m("30000000"), "");
        assert_eq!(
            m("21474836.47"),
            "digits/20&digits/1&digits/million&digits/4&digits/hundred&digits/70&digits/4&digits/thousand&digits/8&digits/hundred&digits/30&digits/6&dollars&and&digits/40&digits/7&cents"
        );
    }

    #[test]
    fn number_and_ordinal_strings() {
        let n = |lang, v| {
            let (f, w) = number_str(lang, v, |f: &str| f != "digits/0");
            (
                joined(&f),
                w.iter().map(|d| d.message.clone()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(n("en", 0), (String::new(), vec![]));
        assert_eq!(
            n("en", 1234).0,
            "digits/1&digits/thousand&digits/2&digits/hundred&digits/30&digits/4"
        );
        assert_eq!(
            n("de", 5),
            (
                "digits/5".to_string(),
                vec!["Language de not currently supported, defaulting to English".to_string()]
            )
        );
        assert_eq!(
            n("en", i32::MAX),
            (
                String::new(),
                vec![format!("Number '{}' is too big for me", i32::MAX)]
            )
        );
        let (f, w) = ordinal_str("en", 0);
        assert!(f.is_empty() && w.is_empty());
        assert_eq!(
            joined(&ordinal_str("en_GB", 1000).0),
            "digits/1&digits/h-thousand"
        );
    }
}
