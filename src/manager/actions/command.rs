//! Command: runs a CLI command and returns its output as `Output:` lines
//! (`action_command`).

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// Commands AMI refuses to run (`command_blacklist`).
const BLACKLIST: &[&[&str]] = &[
    &["module", "load"],
    &["module", "unload"],
    &["restart", "gracefully"],
];

fn blacklisted(cmd: &str) -> bool {
    let words: Vec<&str> = cmd
        .split(' ')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    BLACKLIST.iter().any(|b| {
        b.iter()
            .enumerate()
            .all(|(i, w)| words.get(i).is_some_and(|x| x.eq_ignore_ascii_case(w)))
    })
}

/// `term_strip`: drops ANSI escape sequences.
fn term_strip(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

pub fn command<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let cmd = m.get("Command").to_string();
    if cmd.is_empty() {
        return now(Flow::Reply(Reply::error(m, "No command provided")));
    }
    if blacklisted(&cmd) {
        return now(Flow::Reply(Reply::error(m, "Command blacklisted")));
    }
    let sys = s.sys().clone();
    Box::pin(async move {
        // CLI commands may block (a reload, `core waitfullybooted`).
        let (ok, out) =
            tokio::task::spawn_blocking(move || crate::cli::execute_with_status(&sys, &cmd))
                .await
                .unwrap_or((false, String::new()));
        let mut r = Reply::start(if ok { "Success" } else { "Error" }, m);
        let text = term_strip(&out);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        r.line("Message", "Command output follows");
        for line in text.split('\n') {
            r.line("Output", line);
        }
        r.end();
        Flow::Reply(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blacklist_matches_words() {
        assert!(blacklisted("module  load chan_sip.so"));
        assert!(blacklisted("MODULE unload x"));
        assert!(!blacklisted("module reload"));
        assert!(!blacklisted("module"));
        assert_eq!(term_strip("\x1b[1;31mred\x1b[0m"), "red");
    }
}
