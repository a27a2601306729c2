//! The CLI: one registry of commands (as `main/cli.c` keeps them), Asterisk's
//! argument splitting and command lookup, and its standard answers
//! (`No such command …`, usage on bad arguments, `Command '…' failed.`).
//!
//! Each module's commands live in their own file (`cli/dialplan.rs`,
//! `cli/sip.rs`, …) and return [`CliEntry`] lists; [`registry`] joins them.

pub mod agent;
pub mod agi;
pub mod apps;
pub mod bridge;
pub mod channel;
pub mod complete;
pub mod confbridge;
pub mod config_views;
pub mod core;
pub mod database;
pub mod devstate;
pub mod dialplan;
pub mod geoloc;
pub mod help;
pub mod logger;
pub mod manager;
pub mod mixmonitor;
pub mod moh;
pub mod parking;
pub mod pjsip;
pub mod presencestate;
pub mod queue;
pub mod sip;
pub mod voicemail;

use std::fmt::Write as _;

use crate::core::System;

/// What a handler tells the CLI core, as Asterisk's `CLI_SUCCESS`,
/// `CLI_FAILURE` and `CLI_SHOWUSAGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliResult {
    Success,
    Failure,
    ShowUsage,
}

/// The arguments a handler sees: every word typed, command words included.
pub struct CliArgs<'a> {
    pub argv: &'a [String],
    /// The line as typed.
    pub line: &'a str,
}

impl CliArgs<'_> {
    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.argv.get(i).map(String::as_str)
    }
}

pub type Handler = fn(&System, &CliArgs<'_>, &mut String) -> CliResult;

/// One CLI command.
pub struct CliEntry {
    /// The command words, with Asterisk's syntax for optional trailing
    /// words (`voicemail show users [for]`) and alternatives (`{a|b}`).
    pub command: &'static str,
    /// Printed verbatim when the handler answers `ShowUsage`.
    pub usage: &'static str,
    pub handler: Handler,
    /// Offers the words that may follow the command (tab completion), as
    /// a handler's `CLI_GENERATE` does.
    pub generate: Option<complete::Generator>,
    /// The one-line description `core show help` lists; by default the
    /// first sentence of the usage text's description.
    summary: Option<&'static str>,
}

impl CliEntry {
    pub const fn new(command: &'static str, usage: &'static str, handler: Handler) -> Self {
        Self {
            command,
            usage,
            handler,
            generate: None,
            summary: None,
        }
    }

    /// The same entry, completing its arguments with `generate`.
    pub const fn completing(mut self, generate: complete::Generator) -> Self {
        self.generate = Some(generate);
        self
    }

    /// The same entry, with its own `core show help` line.
    pub const fn summary(mut self, summary: &'static str) -> Self {
        self.summary = Some(summary);
        self
    }

    /// What `core show help` says of the command: the given summary, or
    /// the first clause of the usage text's description (the lines after
    /// the synopsis lines, which begin with `Usage:`, `OR:` or the
    /// command's first word).
    pub fn describe(&self) -> String {
        if let Some(s) = self.summary {
            return s.to_string();
        }
        let first_word = self.command.split_whitespace().next().unwrap_or("");
        let description: Vec<&str> = self
            .usage
            .lines()
            .map(str::trim)
            .skip_while(|l| {
                l.is_empty()
                    || l.starts_with("Usage:")
                    || l.starts_with("OR:")
                    || l.starts_with(first_word)
            })
            .take_while(|l| !l.is_empty())
            .collect();
        let text = description.join(" ");
        let end = [". ", "; "]
            .iter()
            .filter_map(|stop| text.find(stop))
            .min()
            .unwrap_or(text.len());
        text[..end].trim_end_matches('.').to_string()
    }

    fn words(&self) -> Vec<&'static str> {
        self.command.split_whitespace().collect()
    }
}

/// Every command Asterism answers, in registration order.
pub fn registry() -> Vec<CliEntry> {
    let mut all = Vec::new();
    all.extend(core::commands());
    all.extend(help::commands());
    all.extend(complete::commands());
    all.extend(dialplan::commands());
    all.extend(database::commands());
    all.extend(devstate::commands());
    all.extend(presencestate::commands());
    all.extend(parking::commands());
    all.extend(agent::commands());
    all.extend(agi::commands());
    all.extend(channel::commands());
    all.extend(bridge::commands());
    all.extend(apps::commands());
    all.extend(sip::commands());
    all.extend(pjsip::commands());
    all.extend(geoloc::commands());
    all.extend(voicemail::commands());
    all.extend(mixmonitor::commands());
    all.extend(confbridge::commands());
    all.extend(moh::commands());
    all.extend(queue::commands());
    all.extend(manager::commands());
    all.extend(logger::commands());
    all.extend(config_views::commands());
    all
}

/// Splits a command line as Asterisk's `parse_args` does: blanks separate
/// words, `"` groups, `\` escapes the next character.
pub fn parse_args(line: &str) -> Vec<String> {
    parse_args_trailing(line).0
}

/// [`parse_args`], also telling whether the line ends in a blank outside
/// quotes (completion then offers the next word, not the last one).
pub fn parse_args_trailing(line: &str) -> (Vec<String>, bool) {
    let mut args: Vec<String> = Vec::new();
    let mut cur: Option<String> = None;
    let mut quoted = false;
    let mut escaped = false;
    for c in line.trim_start().chars() {
        if c == '"' && !escaped {
            quoted = !quoted;
            if quoted && cur.is_none() {
                cur = Some(String::new());
            }
        } else if (c == ' ' || c == '\t') && !(quoted || escaped) {
            if let Some(w) = cur.take() {
                args.push(w);
            }
        } else if c == '\\' && !escaped {
            escaped = true;
        } else {
            cur.get_or_insert_with(String::new).push(c);
            escaped = false;
        }
    }
    let trailing = cur.is_none();
    if let Some(w) = cur {
        args.push(w);
    }
    (args, trailing)
}

const RESERVED: &[char] = &['[', ']', '{', '}', '|', '*', '%'];

/// Asterisk's `word_match`: a plain command word matches case-insensitively;
/// a word in `[…]`/`{…|…}` syntax matches any of its alternatives.
fn word_match(typed: Option<&str>, cli_word: Option<&str>) -> bool {
    let (Some(cmd), Some(word)) = (typed, cli_word) else {
        return false;
    };
    if cmd.is_empty() || word.is_empty() {
        return false;
    }
    if !word.starts_with(RESERVED) {
        return cmd.eq_ignore_ascii_case(word);
    }
    if word.starts_with('%') {
        return true;
    }
    let lw = word.to_ascii_lowercase();
    let lc = cmd.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lw[from..].find(&lc).map(|p| p + from) {
        let before = lw[..pos].chars().last();
        let after = lw[pos + lc.len()..].chars().next();
        if pos != 0
            && before.is_some_and(|c| RESERVED.contains(&c))
            && after.is_some_and(|c| RESERVED.contains(&c))
        {
            return true;
        }
        from = pos + 1;
    }
    false
}

/// How strictly [`find_cli`] matches, as `find_cli`'s `match_type`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MatchType {
    /// The longest command that the typed words start with.
    Prefix,
    /// Also accept a mismatch on the last word of both (for `find_best`).
    LastWordMismatch,
}

fn find_cli<'a>(entries: &[&'a CliEntry], typed: &[&str], mode: MatchType) -> Option<&'a CliEntry> {
    let mut best: Option<(usize, &CliEntry)> = None;
    for &e in entries {
        let words = e.words();
        let mut n = 0;
        while n < words.len() && word_match(typed.get(n).copied(), Some(words[n])) {
            n += 1;
        }
        let rest_of_entry = &words[n..];
        let entry_done = rest_of_entry.is_empty()
            || (rest_of_entry.len() == 1 && rest_of_entry[0].starts_with('['));
        if entry_done {
            if n == typed.len() {
                return Some(e);
            }
        } else {
            if n >= typed.len() {
                continue;
            }
            let last_both = n + 1 == typed.len() && n + 1 == words.len();
            if mode != MatchType::LastWordMismatch || !last_both {
                continue;
            }
        }
        if best.is_none_or(|(len, _)| n as isize > len as isize) {
            best = Some((n, e));
        }
    }
    best.map(|(_, e)| e)
}

/// `find_best`: the longest run of typed words that still looks like the
/// start of some command, for the `No such command` hint.
///
/// Asterisk runs this over its whole command table, so the hint depends on
/// every command Asterisk 20 registers; that list (command syntax only) is
/// kept in `asterisk_commands.txt` and joined with Asterism's own. As in
/// Asterisk, the first word that no longer matches is kept in the hint.
fn find_best(entries: &[&CliEntry], typed: &[&str], loaded: &dyn Fn(&str) -> bool) -> String {
    let known: Vec<CliEntry> = include_str!("asterisk_commands.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && loaded(l))
        .map(|l| CliEntry::new(l, "", no_handler))
        .collect();
    let known: Vec<&CliEntry> = known.iter().collect();
    let mut taken: Vec<&str> = Vec::new();
    for w in typed {
        taken.push(w);
        if find_cli(entries, &taken, MatchType::LastWordMismatch).is_none()
            && find_cli(&known, &taken, MatchType::LastWordMismatch).is_none()
        {
            break;
        }
    }
    taken.join(" ")
}

fn no_handler(_: &System, _: &CliArgs<'_>, _: &mut String) -> CliResult {
    CliResult::Failure
}

/// The module that registers a command, for the families of commands
/// that belong to one loadable module (by their first word); `None` for the
/// core's own. A module modules.conf does not load has no commands.
fn command_module(command: &str) -> Option<&'static str> {
    let first = command.split_whitespace().next()?;
    Some(match first {
        "sip" => "chan_sip",
        // The res_pjsip_* modules need res_pjsip.
        "pjsip" | "pjproject" => "res_pjsip",
        "iax2" => "chan_iax2",
        "dundi" => "pbx_dundi",
        "voicemail" => "app_voicemail",
        "minivm" => "app_minivm",
        "confbridge" => "app_confbridge",
        "meetme" => "app_meetme",
        "queue" => "app_queue",
        "moh" => "res_musiconhold",
        "ari" => "res_ari",
        "agi" => "res_agi",
        "fax" => "res_fax",
        "geoloc" => "res_geolocation",
        "stun" => "res_stun_monitor",
        "mixmonitor" => "app_mixmonitor",
        "phoneprov" => "res_phoneprov",
        "parking" => "res_parking",
        "agent" => "app_agent_pool",
        "presencestate" => "func_presencestate",
        _ => return None,
    })
}

/// Whether the command's module is loaded.
fn registered(system: &System, command: &str) -> bool {
    let loaded = system.loaded();
    // res_pjsip_notify declines to load without pjsip_notify.conf.
    if command.starts_with("pjsip send notify")
        && !(loaded.modules.loads("res_pjsip_notify") && loaded.pjsip_notify.0.present)
    {
        return false;
    }
    if (command.starts_with("pjsip send register") || command.starts_with("pjsip send unregister"))
        && !crate::core::modules::running(system, "res_pjsip_outbound_registration")
    {
        return false;
    }
    if command.starts_with("pjsip set maintenance") || command.starts_with("pjsip show maintenance")
    {
        return crate::core::modules::running(system, crate::channels::sip::maintenance::MODULE);
    }
    command_module(command).is_none_or(|m| crate::core::modules::running(system, m))
}

/// The commands the CLI answers now: those of the loaded modules.
fn live_entries(system: &System) -> Vec<&CliEntry> {
    system
        .cli_entries()
        .iter()
        .filter(|e| registered(system, e.command))
        .collect()
}

/// Runs one command line and returns what Asterisk would print for it.
pub fn execute(system: &System, line: &str) -> String {
    execute_with_status(system, line).1
}

/// [`execute`], also telling whether the command succeeded
/// (`ast_cli_command`'s result: an unknown command, usage and failure are
/// all failures).
pub fn execute_with_status(system: &System, line: &str) -> (bool, String) {
    let entries = live_entries(system);
    let entries = entries.as_slice();
    let argv = parse_args(line);
    let mut out = String::new();
    if argv.is_empty() {
        return (false, out);
    }
    let typed: Vec<&str> = argv.iter().map(String::as_str).collect();
    let Some(entry) = find_cli(entries, &typed, MatchType::Prefix) else {
        let _ = writeln!(
            out,
            "No such command '{}' (type 'core show help {}' for other possible commands)",
            line,
            find_best(entries, &typed, &|c| registered(system, c))
        );
        return (false, out);
    };
    let args = CliArgs { argv: &argv, line };
    let ok = match (entry.handler)(system, &args, &mut out) {
        CliResult::Success => true,
        CliResult::ShowUsage => {
            out.push_str(entry.usage);
            false
        }
        CliResult::Failure => {
            let _ = writeln!(out, "Command '{line}' failed.");
            false
        }
    };
    (ok, out)
}

/// `%-N.Ns` from C: pad to `width`, cut at `width` characters.
const CUSTOM_STATES_RULE: &str =
    "---------------------------------------------------------------------\n";

/// The frame `devstate list` and `presencestate list` print their custom
/// states in: a blank line, the title between rules, then `---`.
pub fn custom_states_head(out: &mut String, title: &str) {
    out.push('\n');
    out.push_str(CUSTOM_STATES_RULE);
    out.push_str(title);
    out.push('\n');
    out.push_str(CUSTOM_STATES_RULE);
    out.push_str("---\n");
}

/// The frame's end: two rules and a blank line.
pub fn custom_states_foot(out: &mut String) {
    out.push_str(CUSTOM_STATES_RULE);
    out.push_str(CUSTOM_STATES_RULE);
    out.push('\n');
}

pub fn pad(s: &str, width: usize) -> String {
    let cut: String = s.chars().take(width).collect();
    format!("{cut:<width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &System, _: &CliArgs<'_>, _: &mut String) -> CliResult {
        CliResult::Success
    }

    #[test]
    fn parse_args_like_asterisk() {
        assert_eq!(
            parse_args("  dialplan   show  x@y "),
            ["dialplan", "show", "x@y"]
        );
        assert_eq!(
            parse_args("database put \"a b\" c\\ d"),
            ["database", "put", "a b", "c d"]
        );
    }

    #[test]
    fn lookup_rules() {
        let entries = vec![
            CliEntry::new("sip show peers", "", ok),
            CliEntry::new("sip show peer", "", ok),
            CliEntry::new("voicemail show users [for]", "", ok),
            CliEntry::new("dialplan show", "", ok),
            CliEntry::new("core stop now", "", ok),
            CliEntry::new("sip reload", "", ok),
        ];
        let entries: Vec<&CliEntry> = entries.iter().collect();
        let find = |s: &str| {
            let v: Vec<&str> = s.split_whitespace().collect();
            find_cli(&entries, &v, MatchType::Prefix).map(|e| e.command)
        };
        assert_eq!(find("sip show peers"), Some("sip show peers"));
        assert_eq!(find("SIP SHOW PEER 1000"), Some("sip show peer"));
        assert_eq!(
            find("voicemail show users for default"),
            Some("voicemail show users [for]")
        );
        assert_eq!(
            find("voicemail show users"),
            Some("voicemail show users [for]")
        );
        assert_eq!(find("dialplan show a@b"), Some("dialplan show"));
        assert_eq!(find("core stop"), None);
        assert_eq!(find("sip"), None);
        let best = |s: &str| {
            find_best(&entries, &s.split_whitespace().collect::<Vec<_>>(), &|_| {
                true
            })
        };
        // As Asterisk 20.20.1 answers (golden/asterisk-20.20.1/cli/syntax.txt).
        assert_eq!(best("foo bar"), "foo bar");
        assert_eq!(best("sip show foo"), "sip show foo");
        assert_eq!(best("core foo"), "core foo");
    }
}
