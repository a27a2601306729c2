//! The line editor of the consoles (`asterisk -r`, `asterisk -c`): the
//! `*CLI> ` prompt and `ASTERISK_PROMPT`, editing and history
//! (`~/.asterisk_history`, 100 entries, in editline's file format), and
//! tab completion, as Asterisk's editline console has them.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::{DefaultHistory, History};
use rustyline::validate::Validator;
use rustyline::{Cmd, CompletionType, Config, EditMode, Editor, Helper, KeyEvent};

/// What the prompt escapes need to know.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    /// The daemon's host, as its greeting names it (`-r`); none on `-c`.
    pub remote_host: Option<String>,
    /// `systemname` from asterisk.conf (`%s`).
    pub system_name: String,
    /// Whether colour codes may be written (`%C`).
    pub color: bool,
    /// `-r` (`%#` is `>`) or `-c` (`#`).
    pub remote: bool,
}

/// A prompt as written (`styled`, with colour codes) and as measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub raw: String,
    pub styled: String,
}

impl rustyline::Prompt for Prompt {
    fn raw(&self) -> &str {
        &self.raw
    }

    fn styled(&self) -> &str {
        &self.styled
    }
}

const DEFAULT_PROMPT: &str = "*CLI> ";
const COLOR_WHITE: i64 = 37;
const COLOR_BLACK: i64 = 30;

/// `ast_term_color_code`: bright on a dark background; bit 128 (the
/// "bright" variants) dropped.
fn color_code(fg: i64, bg: i64) -> String {
    let fg = fg & !128;
    let bg = bg & !128;
    if bg != 0 {
        format!("\x1b[1;{fg};{}m", bg + 10)
    } else {
        format!("\x1b[1;{fg}m")
    }
}

/// Leading decimal digits of `s` as a number, with how many bytes they took.
fn leading_number(s: &str) -> Option<(i64, usize)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let sign = usize::from(s.starts_with('-'));
    let digits = if sign == 1 {
        s[1..].bytes().take_while(u8::is_ascii_digit).count()
    } else {
        digits
    };
    if digits == 0 {
        return None;
    }
    s[..sign + digits].parse().ok().map(|n| (n, sign + digits))
}

/// The prompt `cli_prompt` builds: `ASTERISK_PROMPT` with its `%`
/// escapes, or `<host>*CLI> `.
pub fn build_prompt(format: Option<&str>, ctx: &PromptContext) -> Prompt {
    let Some(format) = format else {
        let p = format!(
            "{}{DEFAULT_PROMPT}",
            ctx.remote_host.as_deref().unwrap_or("")
        );
        return Prompt {
            raw: p.clone(),
            styled: p,
        };
    };
    let mut raw = String::new();
    let mut styled = String::new();
    let mut color_used = false;
    let mut rest = format;
    let both = |raw: &mut String, styled: &mut String, s: &str| {
        raw.push_str(s);
        styled.push_str(s);
    };
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if c != '%' {
            both(&mut raw, &mut styled, c.encode_utf8(&mut [0; 4]));
            continue;
        }
        let Some(e) = rest.chars().next() else {
            break;
        };
        rest = &rest[e.len_utf8()..];
        match e {
            'C' => {
                let (fg, bg) = match leading_number(rest) {
                    Some((fg, n)) => {
                        rest = &rest[n..];
                        match rest.strip_prefix(';').and_then(leading_number) {
                            Some((bg, m)) => {
                                rest = &rest[1 + m..];
                                (fg, bg)
                            }
                            None => (fg, 0),
                        }
                    }
                    None => (COLOR_WHITE, COLOR_BLACK),
                };
                if ctx.color {
                    styled.push_str(&color_code(fg, bg));
                }
                color_used = !(fg == COLOR_WHITE && bg == COLOR_BLACK);
            }
            'd' => both(&mut raw, &mut styled, &now("%Y-%m-%d")),
            't' => both(&mut raw, &mut styled, &now("%H:%M:%S")),
            'g' => both(&mut raw, &mut styled, &own_group()),
            'u' => both(&mut raw, &mut styled, &own_user()),
            'h' => both(&mut raw, &mut styled, &host_name()),
            'H' => {
                let h = host_name();
                both(&mut raw, &mut styled, h.split('.').next().unwrap_or(&h));
            }
            'l' => {
                if let Some((which @ 1..=3, n)) = leading_number(rest) {
                    rest = &rest[n..];
                    let load = crate::funcs::sysinfo::load_averages();
                    if let Some(v) = load.map(|l| l[which as usize - 1]) {
                        both(&mut raw, &mut styled, &format!("{v:.2}"));
                    }
                }
            }
            's' => both(&mut raw, &mut styled, &ctx.system_name),
            '#' => both(&mut raw, &mut styled, if ctx.remote { ">" } else { "#" }),
            '%' => both(&mut raw, &mut styled, "%"),
            // Anything else is dropped, as Asterisk drops it.
            _ => {}
        }
    }
    if color_used && ctx.color {
        styled.push_str(&color_code(0, 0));
    }
    Prompt { raw, styled }
}

fn now(fmt: &str) -> String {
    crate::core::logger::format_time(std::time::SystemTime::now(), fmt)
}

fn host_name() -> String {
    crate::core::daemon::hostname()
}

/// The process's effective user and group ids (the owner of /proc/self).
fn own_ids() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata("/proc/self").ok()?;
    Some((m.uid(), m.gid()))
}

/// The `name:x:id:...` entry of a passwd/group file with this id.
fn name_in(file: &str, id: u32) -> Option<(String, Vec<String>)> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let fields: Vec<&str> = l.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == id).then(|| {
            (
                fields[0].to_string(),
                fields.iter().map(|s| s.to_string()).collect(),
            )
        })
    })
}

fn own_user() -> String {
    own_ids()
        .and_then(|(uid, _)| name_in("/etc/passwd", uid))
        .map(|(n, _)| n)
        .unwrap_or_default()
}

fn own_group() -> String {
    own_ids()
        .and_then(|(_, gid)| name_in("/etc/group", gid))
        .map(|(n, _)| n)
        .unwrap_or_default()
}

/// `~/.asterisk_history` of the effective user (from the password file,
/// as Asterisk finds it). `ASTERISM_HISTORY_FILE` names another file
/// (Asterism's own, for tests that must not touch a real history).
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ASTERISM_HISTORY_FILE") {
        return Some(PathBuf::from(p));
    }
    let (uid, _) = own_ids()?;
    let (_, fields) = name_in("/etc/passwd", uid)?;
    let home = fields.get(5).filter(|h| !h.is_empty())?;
    Some(Path::new(home).join(".asterisk_history"))
}

/// How many commands the history keeps (`H_SETSIZE`).
pub const HISTORY_SIZE: usize = 100;

/// editline's history file: a `_HiStOrY_V2_` line, then one entry a
/// line, encoded by `strvis` with `VIS_WHITE`: a blank is `\040`, a
/// control character `\^X`, a backslash `\\`.
const HISTORY_MAGIC: &str = "_HiStOrY_V2_";

fn vis_encode(entry: &str) -> String {
    let mut out = String::new();
    for c in entry.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' => out.push_str("\\040"),
            '\u{7f}' => out.push_str("\\^?"),
            '\0'..='\u{1f}' => {
                out.push_str("\\^");
                out.push(char::from(c as u8 + b'@'));
            }
            _ => out.push(c),
        }
    }
    out
}

fn vis_decode(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let octal = &bytes[i + 1..bytes.len().min(i + 4)];
            if octal.len() == 3 && octal.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = octal.iter().fold(0u32, |a, b| a * 8 + u32::from(b - b'0'));
                out.push(v as u8);
                i += 4;
                continue;
            }
            if bytes[i + 1] == b'^' && i + 2 < bytes.len() {
                out.push(if bytes[i + 2] == b'?' {
                    0x7f
                } else {
                    bytes[i + 2].wrapping_sub(b'@') & 0x1f
                });
                i += 3;
                continue;
            }
            out.push(bytes[i + 1]);
            i += 2;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The entries of a history file, oldest first (at most the last
/// [`HISTORY_SIZE`]).
pub fn read_history(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    let first = lines.next();
    let mut entries: Vec<String> = match first {
        Some(HISTORY_MAGIC) => lines.map(vis_decode).collect(),
        // A plain file: one entry a line.
        Some(l) => std::iter::once(l.to_string())
            .chain(lines.map(str::to_string))
            .collect(),
        None => Vec::new(),
    };
    entries.retain(|e| !e.trim().is_empty());
    let skip = entries.len().saturating_sub(HISTORY_SIZE);
    entries.drain(..skip);
    entries
}

/// Writes the history file (write, then rename, so a crash never leaves
/// half a file).
pub fn write_history(path: &Path, entries: &[String]) -> std::io::Result<()> {
    let mut text = String::from(HISTORY_MAGIC);
    text.push('\n');
    let skip = entries.len().saturating_sub(HISTORY_SIZE);
    for e in &entries[skip..] {
        text.push_str(&vis_encode(e));
        text.push('\n');
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Where completions come from: the line up to the cursor and the word
/// under it in, `ast_cli_completion_vector`'s answer out (the common
/// prefix first, then each candidate).
pub type CompletionSource = Box<dyn Fn(&str, &str) -> Vec<String>>;

/// The editor's helper: completion only.
pub struct CliHelper {
    source: CompletionSource,
}

impl Completer for CliHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| c.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        let matches = (self.source)(before, word);
        let pair = |s: String| Pair {
            display: s.clone(),
            replacement: s,
        };
        Ok(match matches.len() {
            0 | 1 => (start, Vec::new()),
            // One candidate: it, and a blank after it.
            2 => (start, vec![pair(format!("{} ", matches[1]))]),
            _ => (start, matches.into_iter().skip(1).map(pair).collect()),
        })
    }
}

impl Hinter for CliHelper {
    type Hint = String;
}

impl Highlighter for CliHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for CliHelper {}

impl Helper for CliHelper {}

/// The console's editor: emacs keys (vi with `AST_EDITMODE`/`AST_EDITOR`
/// set to `vi`), Tab and `?` complete, history of 100 commands.
pub fn editor(source: CompletionSource) -> rustyline::Result<Editor<CliHelper, DefaultHistory>> {
    let mode = std::env::var("AST_EDITMODE")
        .or_else(|_| std::env::var("AST_EDITOR"))
        .unwrap_or_default();
    let config = Config::builder()
        .max_history_size(HISTORY_SIZE)?
        .completion_type(CompletionType::List)
        .edit_mode(if mode == "vi" {
            EditMode::Vi
        } else {
            EditMode::Emacs
        })
        .auto_add_history(false)
        .build();
    let mut ed = Editor::with_config(config)?;
    ed.set_helper(Some(CliHelper { source }));
    ed.bind_sequence(KeyEvent::from('?'), Cmd::Complete);
    Ok(ed)
}

/// Loads the history file into the editor.
pub fn load_history(ed: &mut Editor<CliHelper, DefaultHistory>, path: &Path) {
    for e in read_history(path) {
        let _ = ed.history_mut().add(&e);
    }
}

/// The editor's history, oldest first.
pub fn history_entries(ed: &Editor<CliHelper, DefaultHistory>) -> Vec<String> {
    ed.history().iter().map(String::to_string).collect()
}

/// Shows the prompt (`ASTERISK_PROMPT` read each time, as its `%t` may
/// change) and reads one line; a line that is not all blanks and
/// control characters (`ast_all_zeros`) goes into the history. Returns
/// the line and whether it was recorded.
pub fn read_line(
    ed: &mut Editor<CliHelper, DefaultHistory>,
    context: &PromptContext,
) -> rustyline::Result<(String, bool)> {
    let format = std::env::var("ASTERISK_PROMPT").ok();
    let line = ed.readline(&build_prompt(format.as_deref(), context))?;
    let recorded = line.chars().any(|c| c as u32 > 32);
    if recorded {
        let _ = ed.add_history_entry(line.as_str());
    }
    Ok((line, recorded))
}

/// `remoteconsolehandler`'s test for the words that leave the console:
/// `quit` or `exit`, alone or followed by a blank, any case.
pub fn is_quit(line: &str) -> bool {
    let s = line.trim_start();
    let head = s.get(..4).unwrap_or("");
    (head.eq_ignore_ascii_case("quit") || head.eq_ignore_ascii_case("exit"))
        && s[4..].chars().next().is_none_or(|c| c.is_whitespace())
}

/// The shell command of a `!` line (`!` alone: the user's shell).
pub fn bang_command(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix('!')?;
    Some(if rest.is_empty() {
        std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".to_string())
    } else {
        rest.to_string()
    })
}

/// Runs a `!` command through the shell, on this terminal.
pub fn run_shell(command: &str) {
    let _ = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PromptContext {
        PromptContext {
            remote_host: Some("pbx".into()),
            system_name: "sys1".into(),
            color: true,
            remote: true,
        }
    }

    #[test]
    fn default_prompt_names_the_remote_host() {
        assert_eq!(build_prompt(None, &ctx()).raw, "pbx*CLI> ");
        let local = PromptContext::default();
        assert_eq!(build_prompt(None, &local).raw, "*CLI> ");
    }

    #[test]
    fn prompt_escapes() {
        let p = build_prompt(Some("%s%#%%x%"), &ctx());
        assert_eq!(p.raw, "sys1>%x");
        let p = build_prompt(Some("%C31;30a%C37;30b"), &ctx());
        assert_eq!(p.raw, "ab");
        // A colour that is not white on black is reset at the end.
        assert_eq!(p.styled, "\x1b[1;31;40ma\x1b[1;37;40mb");
        let p = build_prompt(Some("%C32x"), &ctx());
        assert_eq!(p.styled, "\x1b[1;32mx\x1b[1;0m");
        let plain = PromptContext {
            color: false,
            ..ctx()
        };
        assert_eq!(build_prompt(Some("%C32x"), &plain).styled, "x");
        let t = build_prompt(Some("%t"), &ctx()).raw;
        assert_eq!(t.len(), 8, "{t}");
    }

    #[test]
    fn history_file_round_trip() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("h");
        let entries: Vec<String> = (0..120)
            .map(|i| format!("core show channel Local/a\\b-{i};1\t"))
            .collect();
        write_history(&path, &entries).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("_HiStOrY_V2_\ncore\\040show\\040channel\\040Local/a\\\\b-20;1\\^I\n")
        );
        let back = read_history(&path);
        assert_eq!(back.len(), HISTORY_SIZE);
        assert_eq!(back, entries[20..]);
    }

    #[test]
    fn quit_words() {
        assert!(is_quit("quit"));
        assert!(is_quit("  EXIT now"));
        assert!(!is_quit("quitter"));
        assert!(!is_quit("qui"));
        assert_eq!(bang_command("!ls -l").as_deref(), Some("ls -l"));
        assert_eq!(bang_command("ls"), None);
    }
}
