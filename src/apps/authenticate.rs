//! Authenticate (Asterisk's `app_authenticate.c`): asks for a password
//! up to three times, checked against a literal, a file of passwords, a
//! file of `account:md5` lines (`m`) or an AstDB family (`d`); thanks
//! the caller, or says goodbye and hangs up.

use super::builtins::{answer_and_wait, atoi};
use super::playback::{Streamed, stream_file};
use super::read::{GetData, getdata};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::ChanState;

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Authenticate",
        run: Run::Wait(authenticate),
        synopsis: "Asks the caller for a password before the dialplan goes on.",
        syntax: "Authenticate(password[,options[,maxdigits[,prompt]]])",
    }]
}

const FILE: &str = "app_authenticate.c";

/// Asterisk reads into `char passwd[256]`: 254 digits at most.
const MAX_DIGITS: usize = 254;

/// The option letters app_authenticate knows (`ast_app_parse_options`
/// without arguments: any other letter is ignored).
struct Flags {
    account: bool,
    database: bool,
    multiple: bool,
    remove: bool,
}

impl Flags {
    fn parse(s: &str) -> Flags {
        Flags {
            account: s.contains('a'),
            database: s.contains('d'),
            multiple: s.contains('m'),
            remove: s.contains('r'),
        }
    }
}

/// `ast_channel_accountcode_set`: a change is published at once (AMI's
/// NewAccountCode comes before the next application's Newexten).
pub(super) fn set_accountcode(ctx: &AppCtx, code: &str) {
    {
        let mut d = ctx.chan.lock();
        if d.accountcode == code {
            return;
        }
        d.accountcode = code.to_string();
    }
    ctx.chan.publish_snapshot();
}

fn authenticate<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { auth_exec(ctx, &data).await })
}

/// What one password file says of an entry: matched (with the account
/// code to set, for `a`), or not.
enum FileCheck {
    Match(Option<String>),
    NoMatch,
}

/// The lines of a password file as `fgets` into `buf[256]` gives them: a
/// line longer than 255 bytes comes as several pieces, and only a
/// piece's final newline is removed (a `\r` stays).
fn file_lines(bytes: &[u8]) -> Vec<String> {
    fgets_lines(bytes, 255)
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let piece = piece.strip_suffix(b"\n").unwrap_or(piece);
            crate::core::raw::decode_owned(piece.to_vec())
        })
        .collect()
}

/// A file read line by line as C's `fgets` into a buffer with room for
/// `max` bytes reads it: each piece ends after a newline or at `max`
/// bytes, and a NUL ends it early (`strlen`). The newline is kept.
pub(super) fn fgets_lines(bytes: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .take(max)
            .position(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(rest.len().min(max));
        let piece = &rest[..end];
        rest = &rest[end..];
        Some(
            piece
                .iter()
                .position(|&b| b == 0)
                .map_or(piece, |nul| &piece[..nul]),
        )
    })
}

/// Checks `passwd` against a file of passwords, or with `multiple` of
/// `account:md5(password)` lines.
fn check_file(path: &str, passwd: &str, multiple: bool) -> Result<FileCheck, std::io::Error> {
    let bytes = std::fs::read(path)?;
    let md5 = crate::funcs::md5::hex(&crate::core::raw::encode(passwd));
    for line in file_lines(&bytes) {
        if multiple {
            let Some((account, secret)) = line.split_once(':') else {
                continue;
            };
            if md5 == secret {
                return Ok(FileCheck::Match(Some(account.to_string())));
            }
        } else if line == passwd {
            return Ok(FileCheck::Match(Some(line)));
        }
    }
    Ok(FileCheck::NoMatch)
}

async fn auth_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 146, "auth_exec"),
            "Authenticate requires an argument(password)",
        );
        return Err(AppExit::Hangup);
    }
    if ctx.chan.state() != ChanState::Up {
        answer_and_wait(ctx).await?;
    }
    let args = split_args(data, ',');
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let password = arg(0);
    let flags = Flags::parse(arg(1));
    let maxdigits = if arg(2).is_empty() {
        MAX_DIGITS
    } else {
        usize::try_from(atoi(arg(2)))
            .ok()
            .filter(|n| (1..=MAX_DIGITS).contains(n))
            .unwrap_or(MAX_DIGITS)
    };
    let mut prompt = if arg(3).is_empty() {
        "agent-pass".to_string()
    } else {
        arg(3).to_string()
    };

    let mut passwd = String::new();
    let mut accepted = false;
    let mut failed = false;
    for _ in 0..3 {
        if getdata(ctx, &prompt, &mut passwd, maxdigits, 0, "#").await == GetData::Failed {
            failed = true;
            break;
        }
        if !password.starts_with('/') {
            if passwd == password {
                accepted = true;
                break;
            }
        } else if flags.database {
            // The family is the path without its leading slash; the key
            // is what the caller typed, its value does not matter.
            let family = &password[1..];
            if let Ok(Some(_)) = ctx.sys.db.get(family, &passwd) {
                if flags.remove {
                    let _ = ctx.sys.db.del(family, &passwd);
                }
                accepted = true;
                break;
            }
        } else {
            match check_file(password, &passwd, flags.multiple) {
                Ok(FileCheck::Match(account)) => {
                    if flags.account
                        && let Some(a) = account
                    {
                        set_accountcode(ctx, &a);
                    }
                    accepted = true;
                    break;
                }
                Ok(FileCheck::NoMatch) => {}
                Err(e) => {
                    ctx.warning(
                        crate::site!(FILE, 199, "auth_exec"),
                        &format!(
                            "Unable to open file '{password}' for authentication: {}",
                            crate::funcs::env::strerror(&e)
                        ),
                    );
                    // Asterisk goes on to the next try with the same
                    // prompt (its `continue` skips the change of prompt).
                    continue;
                }
            }
        }
        prompt = "auth-incorrect".to_string();
    }

    if accepted && !failed {
        if flags.account && !flags.multiple {
            set_accountcode(ctx, &passwd);
        }
        match stream_file(ctx, "auth-thankyou", "").await {
            Streamed::Hangup => Err(AppExit::Hangup),
            Streamed::Failed => Err(AppExit::Hangup),
            _ => Ok(()),
        }
    } else {
        let _ = stream_file(ctx, "vm-goodbye", "").await;
        Err(AppExit::Hangup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_file_lines() {
        // An empty line is compared as an empty password, as in Asterisk.
        assert_eq!(
            file_lines(b"1234\n5678\r\n\n99"),
            ["1234", "5678\r", "", "99"]
        );
        let long = [b'1'; 300];
        let lines = file_lines(&long);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 255);
    }

    #[test]
    fn md5_lines_name_the_account() {
        let dir = std::env::temp_dir().join(format!("auth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("pw");
        // md5("1234")
        std::fs::write(&path, "nocolon\n100:81dc9bdb52d04dc20036dbd8313ed055\n").expect("write");
        let p = path.to_str().expect("utf8");
        match check_file(p, "1234", true).expect("read") {
            FileCheck::Match(Some(a)) => assert_eq!(a, "100"),
            _ => panic!("no match"),
        }
        assert!(matches!(
            check_file(p, "nocolon", false).expect("read"),
            FileCheck::Match(_)
        ));
        assert!(matches!(
            check_file(p, "4321", true).expect("read"),
            FileCheck::NoMatch
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
