//! Tab completion (`ast_cli_generator` and `_command matchesarray`).
//!
//! A console asks the daemon `_command matchesarray "<line>" "<word>"`; the
//! answer is every candidate for the word being typed, each followed by a
//! blank, the first being the longest prefix common to all of them, and
//! then `_EOF_`. Candidates are command words from the registry, and, once
//! a whole command is typed, whatever its generator offers (channel names,
//! applications, peers, …).

use std::fmt::Write as _;

use super::{
    CliArgs, CliEntry, CliResult, RESERVED, live_entries, parse_args_trailing, word_match,
};
use crate::core::System;

/// What a command's generator is asked, as `ast_cli_args` in
/// `CLI_GENERATE`.
pub struct Completion<'a> {
    /// The typed words joined by single blanks (a trailing blank kept).
    pub line: &'a str,
    /// The word being completed (empty after a blank).
    pub word: &'a str,
    /// Its index among the words.
    pub pos: usize,
    pub argv: &'a [String],
}

impl Completion<'_> {
    /// The word at `i`, or "" past the end.
    pub fn arg(&self, i: usize) -> &str {
        self.argv.get(i).map(String::as_str).unwrap_or("")
    }
}

/// Offers every word that may stand at `c.pos`.
pub type Generator = fn(&System, &Completion<'_>) -> Vec<String>;

/// The end-of-answer mark of `_command matchesarray`.
pub const EOF_MARK: &str = "_EOF_";

/// The names starting with `word`, ignoring case, as the `ast_complete_*`
/// helpers compare.
pub fn starting_with<I, S>(word: &str, names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    names
        .into_iter()
        .filter(|n| starts_with_ignore_case(n.as_ref(), word))
        .map(|n| n.as_ref().to_string())
        .collect()
}

fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// `is_prefix`: the command word (or each alternative of a `[a|b]`/`{a|b}`
/// word) that the typed word begins.
fn prefix_matches(word: &str, token: &str) -> Vec<String> {
    if token.is_empty() || word.contains(RESERVED) {
        return Vec::new();
    }
    if !token.starts_with(RESERVED) {
        return if starts_with_ignore_case(token, word) {
            vec![token.to_string()]
        } else {
            Vec::new()
        };
    }
    // Alternatives up to the first empty piece, wildcards skipped.
    token[1..]
        .split(RESERVED)
        .take_while(|s| !s.is_empty())
        .filter(|s| *s != "%" && starts_with_ignore_case(s, word))
        .map(str::to_string)
        .collect()
}

/// Every candidate `ast_cli_generator` yields for `text` (the line up to
/// the cursor) and `word` (its last word, or "").
fn generate(sys: &System, entries: &[&CliEntry], text: &str, word: &str) -> Vec<String> {
    let (argv, trailing) = parse_args_trailing(text);
    let argindex = if !word.is_empty() && !argv.is_empty() {
        argv.len() - 1
    } else {
        argv.len()
    };
    let mut line = argv.join(" ");
    if trailing && !line.is_empty() {
        line.push(' ');
    }
    let mut out = Vec::new();
    for e in entries {
        if e.command.starts_with('_') {
            continue;
        }
        let words = e.words();
        let (mut src, mut dst) = (0, 0);
        while src < argindex {
            if !word_match(argv.get(src).map(String::as_str), words.get(dst).copied()) {
                break;
            }
            src += 1;
            dst += 1;
        }
        let rest = words.get(dst..).unwrap_or_default();
        if src != argindex && rest.iter().any(|w| !w.starts_with('[')) {
            continue;
        }
        let typed = argv.get(src).map(String::as_str).unwrap_or("");
        match words.get(dst) {
            Some(token) => out.extend(prefix_matches(typed, token)),
            None => {
                if let Some(g) = e.generate {
                    out.extend(g(
                        sys,
                        &Completion {
                            line: &line,
                            word,
                            pos: argindex,
                            argv: &argv,
                        },
                    ));
                }
            }
        }
    }
    out
}

/// `ast_cli_completion_vector`: the candidates sorted without regard to
/// case and without repeats, led by their longest common prefix; empty
/// when nothing matches.
pub fn matches(sys: &System, text: &str, word: &str) -> Vec<String> {
    let mut found = generate(sys, &live_entries(sys), text, word);
    found.sort_by_key(|s| s.to_ascii_lowercase());
    found.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let Some(first) = found.first() else {
        return found;
    };
    let mut common = first.len();
    for other in &found[1..] {
        common = first
            .bytes()
            .zip(other.bytes())
            .take(common)
            .take_while(|(x, y)| x.eq_ignore_ascii_case(y))
            .count();
    }
    let mut prefix = first.as_bytes()[..common].to_vec();
    // A cut inside a multi-byte character keeps only whole characters.
    while std::str::from_utf8(&prefix).is_err() {
        prefix.pop();
    }
    let prefix = String::from_utf8(prefix).unwrap_or_default();
    found.insert(0, prefix);
    found
}

/// `_command matchesarray "<line>" "<word>"`.
fn matches_array(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    if a.argc() != 4 {
        return CliResult::ShowUsage;
    }
    for m in matches(sys, a.arg(2).unwrap_or(""), a.arg(3).unwrap_or("")) {
        let _ = write!(out, "{m} ");
    }
    out.push_str(EOF_MARK);
    CliResult::Success
}

/// `core show help`'s generator: the commands that can follow it.
pub fn complete_help(sys: &System, c: &Completion<'_>) -> Vec<String> {
    // What follows "core show help " is completed as a line of its own.
    let rest = c.line.get(15.min(c.line.len())..).unwrap_or("");
    generate(sys, &live_entries(sys), rest, c.word)
}

/// [`starting_with`] for the word at `pos == at` only (most generators
/// offer names in one place of their command).
pub fn names_at<I, S>(c: &Completion<'_>, at: usize, names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    if c.pos != at {
        return Vec::new();
    }
    starting_with(c.word, names)
}

/// The names of the channels up, at `pos == at`.
pub fn channels_at(sys: &System, c: &Completion<'_>, at: usize) -> Vec<String> {
    if c.pos != at {
        return Vec::new();
    }
    starting_with(
        c.word,
        sys.pbx.channels.all().iter().map(|ch| ch.name.clone()),
    )
}

pub fn commands() -> Vec<CliEntry> {
    vec![CliEntry::new(
        "_command matchesarray",
        "Usage: _command matchesarray \"<line>\" text \n       Answers the completions of a line; consoles ask it on Tab.\n",
        matches_array,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_complete_word_by_word() {
        assert_eq!(
            prefix_matches("c", "[concise|verbose|count]"),
            ["concise", "count"]
        );
        assert_eq!(prefix_matches("", "{on|off}"), ["on", "off"]);
        assert_eq!(prefix_matches("SH", "show"), ["show"]);
        assert!(prefix_matches("x", "show").is_empty());
        assert!(prefix_matches("[a", "[a|b]").is_empty());
    }
}
