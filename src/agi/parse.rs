//! Splitting an AGI command line into words, as res_agi's `parse_args`
//! does, and finding the command those words name (`find_command`).

/// res_agi's `MAX_ARGS`: a line gives at most this many words less one.
pub const MAX_ARGS: usize = 128;

/// Splits a command line into words: blanks separate words outside double
/// quotes; a quote toggles quoting (and starts a word when it follows a
/// blank); a backslash makes the next character literal. Quotes and
/// escaping backslashes are dropped. As in Asterisk, a quote in the
/// middle of a word joins what follows to that word, and an empty quoted
/// word (`""`) is a word of its own.
pub fn parse_args(line: &str) -> Vec<String> {
    let mut words: Vec<Vec<u8>> = Vec::new();
    let (mut quoted, mut escaped, mut blank) = (false, false, true);
    let mut truncated = false;
    for &c in line.as_bytes() {
        let literal = match c {
            b'"' if !escaped => {
                quoted = !quoted;
                if quoted && blank {
                    words.push(Vec::new());
                    blank = false;
                }
                escaped = false;
                false
            }
            b' ' | b'\t' if !quoted && !escaped => {
                blank = true;
                false
            }
            b'\\' if !escaped => {
                escaped = true;
                false
            }
            _ => true,
        };
        if !literal {
            continue;
        }
        if blank {
            if words.len() >= MAX_ARGS - 1 {
                // Asterisk warns and drops every word past the limit.
                truncated = true;
                escaped = false;
                continue;
            }
            words.push(Vec::new());
            blank = false;
        }
        if let Some(w) = words.last_mut() {
            w.push(c);
        }
        escaped = false;
    }
    if truncated {
        tracing::warn!("Too many arguments, truncating");
    }
    words
        .into_iter()
        .map(crate::core::raw::decode_owned)
        .collect()
}

/// Whether `words` names the command `cmd` (its words, case-insensitive):
/// `find_command` in its non-exact mode, where the line may carry more
/// words than the command (its arguments) but not fewer.
pub fn matches(cmd: &[&str], words: &[String]) -> bool {
    if words.len() < cmd.len() {
        return false;
    }
    cmd.iter()
        .zip(words)
        .all(|(c, w)| c.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        parse_args(s)
    }

    #[test]
    fn words_as_asterisk_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("ANSWER", &["ANSWER"]),
            (
                "GET VARIABLE CALLERID(num)",
                &["GET", "VARIABLE", "CALLERID(num)"],
            ),
            (
                "SET VARIABLE MYVAR \"hello world\"",
                &["SET", "VARIABLE", "MYVAR", "hello world"],
            ),
            ("STREAM FILE beep \"\"", &["STREAM", "FILE", "beep", ""]),
            ("STREAM FILE beep", &["STREAM", "FILE", "beep"]),
            ("  NOOP   a\tb ", &["NOOP", "a", "b"]),
            ("VERBOSE a\\ b", &["VERBOSE", "a b"]),
            ("VERBOSE \\\"x\\\"", &["VERBOSE", "\"x\""]),
            ("VERBOSE a\\\\b", &["VERBOSE", "a\\b"]),
            // A quote inside a word does not start a new one.
            (
                "SET VARIABLE X ab\"c d\"e",
                &["SET", "VARIABLE", "X", "abc de"],
            ),
            // An unterminated quote runs to the end of the line.
            ("SET VARIABLE X \"a b", &["SET", "VARIABLE", "X", "a b"]),
            ("EXEC Dial \"SIP/1,20\"", &["EXEC", "Dial", "SIP/1,20"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(p(line), *want, "{line:?}");
        }
    }

    #[test]
    fn too_many_words_are_dropped() {
        let line = (0..200)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let w = p(&line);
        assert_eq!(w.len(), MAX_ARGS - 1);
        assert_eq!(w[0], "0");
    }

    #[test]
    fn command_matching() {
        let w = p("get variable foo");
        assert!(matches(&["get", "variable"], &w));
        assert!(!matches(&["get", "full", "variable"], &w));
        assert!(!matches(&["get", "data"], &w));
        assert!(!matches(&["say", "digits"], &p("say")));
        assert!(matches(&["answer"], &p("ANSWER extra")));
    }
}
