//! Caller ID values as configuration gives them (`callerid=`,
//! `callerid_privacy=`/`callingpres=`), split, merged and named as
//! main/callerid.c does.

/// `ast_callerid_split`: `"Name" <number>`, `Name <number>`, a bare number
/// or a bare name, into (name, number). The number loses the characters
/// Asterisk's phone number shrinking drops.
pub fn split(value: &str) -> (String, String) {
    let (name, number) = parse(value);
    (
        name.unwrap_or_default(),
        number.map(|n| shrink_phone_number(&n)).unwrap_or_default(),
    )
}

/// `ast_callerid_parse`: the name and the number ("location") as given,
/// each `None` where Asterisk leaves it NULL (a bare name has no number;
/// `<>` is an empty number, not a missing one). A bare number is
/// shrunk; one between brackets is kept as written.
pub fn parse(value: &str) -> (Option<String>, Option<String>) {
    let input = value.trim();
    let instr = strip_quoted(input);
    let quotes_stripped = instr.len() != input.len();
    if let Some(lt) = instr.rfind('<') {
        let after = &instr[lt + 1..];
        let number = match after.rfind('>') {
            Some(gt) => &after[..gt],
            None => after,
        };
        (
            Some(unescape_quoted(strip_quoted(&instr[..lt]))),
            Some(number.to_string()),
        )
    } else {
        let shrunk = shrink_phone_number(instr);
        if !quotes_stripped && is_phone_number(&shrunk) {
            (None, Some(shrunk))
        } else {
            (Some(unescape_quoted(strip_quoted(instr))), None)
        }
    }
}

/// `ast_strip_quoted` with `"`: trims blanks, then one pair of quotes.
fn strip_quoted(s: &str) -> &str {
    let s = s.trim();
    match s.strip_prefix('"') {
        Some(rest) if !rest.is_empty() || s.len() == 1 => rest.strip_suffix('"').unwrap_or(s),
        _ => s,
    }
}

/// `ast_unescape_quoted`: a backslash keeps the next character as is.
pub(crate) fn unescape_quoted(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => break,
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `ast_shrink_phone_number`: drops blanks and parentheses, dashes outside
/// brackets, and dots except a final one.
pub fn shrink_phone_number(n: &str) -> String {
    let mut out = String::new();
    let mut bracketed = 0i32;
    let chars: Vec<char> = n.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '[' => {
                bracketed += 1;
                out.push(c);
            }
            ']' => {
                bracketed -= 1;
                out.push(c);
            }
            '-' if bracketed != 0 => out.push(c),
            '-' => {}
            '.' if i + 1 == chars.len() => out.push(c),
            '.' => {}
            '(' | ' ' | ')' => {}
            _ => out.push(c),
        }
    }
    out
}

fn is_phone_number(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| "0123456789*#+".contains(c))
}

/// `ast_callerid_merge`: `"name" <number>` when both are known (quotes and
/// backslashes in the name escaped), one of them alone, else `unknown`.
pub fn merge(name: Option<&str>, number: Option<&str>, unknown: &str) -> String {
    match (name, number) {
        (Some(n), Some(num)) => format!("\"{}\" <{}>", escape_quoted(n), num),
        (Some(n), None) => n.to_string(),
        (None, Some(num)) => num.to_string(),
        (None, None) => unknown.to_string(),
    }
}

/// `ast_escape_quoted`: a backslash before every character a SIP quoted
/// string cannot hold as is.
fn escape_quoted(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let plain = "\t\x0b !".contains(c)
            || ('#'..='[').contains(&c)
            || (']'..='~').contains(&c)
            || (c as u32) > 0x7f;
        if !plain {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The presentation values Asterisk names, with their config name and
/// description, in its table order.
pub const PRESENTATIONS: &[(i32, &str, &str)] = &[
    (
        0x00,
        "allowed_not_screened",
        "Presentation Allowed, Not Screened",
    ),
    (
        0x01,
        "allowed_passed_screen",
        "Presentation Allowed, Passed Screen",
    ),
    (
        0x02,
        "allowed_failed_screen",
        "Presentation Allowed, Failed Screen",
    ),
    (0x03, "allowed", "Presentation Allowed, Network Number"),
    (
        0x20,
        "prohib_not_screened",
        "Presentation Prohibited, Not Screened",
    ),
    (
        0x21,
        "prohib_passed_screen",
        "Presentation Prohibited, Passed Screen",
    ),
    (
        0x22,
        "prohib_failed_screen",
        "Presentation Prohibited, Failed Screen",
    ),
    (0x23, "prohib", "Presentation Prohibited, Network Number"),
    (0x43, "unavailable", "Number Unavailable"),
    (0x40, "unavailable", "Number Unavailable"),
    (0x42, "unavailable", "Number Unavailable"),
    (0x41, "unavailable", "Number Unavailable"),
];

/// `ast_parse_caller_presentation`: a name from the table (any case).
pub fn parse_presentation(s: &str) -> Option<i32> {
    PRESENTATIONS
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(s))
        .map(|(v, _, _)| *v)
}

/// `ast_named_caller_presentation`: the config name, `unknown` otherwise.
pub fn presentation_name(pres: i32) -> &'static str {
    PRESENTATIONS
        .iter()
        .find(|(v, _, _)| *v == pres)
        .map(|(_, n, _)| *n)
        .unwrap_or("unknown")
}

/// `ast_describe_caller_presentation`.
pub fn describe_presentation(pres: i32) -> &'static str {
    PRESENTATIONS
        .iter()
        .find(|(v, _, _)| *v == pres)
        .map(|(_, _, d)| *d)
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_asterisk() {
        for (v, name, num) in [
            ("\"Bob\" <1000>", "Bob", "1000"),
            ("Bob <1000>", "Bob", "1000"),
            ("  Bob   <(555) 123-4567>", "Bob", "5551234567"),
            ("1000", "", "1000"),
            ("\"1000\"", "1000", ""),
            ("Bob", "Bob", ""),
            ("<1000>", "", "1000"),
            ("\"Bo\\\"b\" <1>", "Bo\"b", "1"),
            ("Bob <1000", "Bob", "1000"),
        ] {
            assert_eq!(split(v), (name.to_string(), num.to_string()), "{v}");
        }
    }

    /// `ast_callerid_parse` keeps what `split` normalises away: a missing
    /// number apart from an empty one, a bracketed number as written.
    #[test]
    fn parse_like_asterisk() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(parse("\"Bob\" <1001>"), (some("Bob"), some("1001")));
        assert_eq!(parse("Bob <(555) 12>"), (some("Bob"), some("(555) 12")));
        assert_eq!(parse("Unknown"), (some("Unknown"), None));
        assert_eq!(parse("555-12"), (None, some("55512")));
        assert_eq!(parse("<>"), (some(""), some("")));
        assert_eq!(parse(""), (some(""), None));
    }

    #[test]
    fn merge_and_presentation() {
        assert_eq!(merge(Some(""), Some(""), "<unspecified>"), "\"\" <>");
        assert_eq!(merge(Some("A\"B"), Some("1"), "x"), "\"A\\\"B\" <1>");
        assert_eq!(merge(None, None, "<unknown>"), "<unknown>");
        assert_eq!(parse_presentation("PROHIB"), Some(0x23));
        assert_eq!(presentation_name(0), "allowed_not_screened");
        assert_eq!(
            describe_presentation(0),
            "Presentation Allowed, Not Screened"
        );
    }
}
