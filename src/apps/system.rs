//! System and TrySystem (Asterisk's `apps/app_system.c`): run a shell
//! command and report SYSTEMSTATUS.

use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "System",
            run: Run::Wait(system),
            synopsis: "Runs a shell command; fails the call when it cannot run.",
            syntax: "System(command)",
        },
        App {
            name: "TrySystem",
            run: Run::Wait(trysystem),
            synopsis: "Runs a shell command and only reports the outcome.",
            syntax: "TrySystem(command)",
        },
    ]
}

fn system<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { run(ctx, &data, Err(AppExit::Hangup)).await })
}

fn trysystem<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { run(ctx, &data, Ok(())).await })
}

/// Decodes the backslash escapes `ast_str_get_encoded_str` understands.
pub(crate) fn decode_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('x') => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if let Some(ch) = char::from_u32(v) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A shell command as `ast_safe_system` runs it: through /bin/sh, with no
/// input and the PBX's environment (variables set with ENV()).
pub fn shell(cmd: &str) -> std::process::Command {
    let mut command = std::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(crate::core::raw::os(cmd))
        .stdin(std::process::Stdio::null());
    crate::core::environ::apply(&mut command);
    command
}

async fn run(ctx: &AppCtx, data: &str, failmode: AppResult) -> AppResult {
    const VAR: &str = "SYSTEMSTATUS";
    if data.is_empty() {
        ctx.warning(
            crate::site!("app_system.c", 128, "system_exec_helper"),
            "System requires an argument(command)",
        );
        ctx.set_var(VAR, Some("FAILURE"));
        return failmode;
    }
    let mut cmd = decode_escapes(data);
    let first = cmd.chars().next();
    if matches!(first, Some('"') | Some('\''))
        && cmd.len() >= 2
        && cmd.ends_with(first.unwrap_or(' '))
    {
        cmd = cmd[1..cmd.len() - 1].to_string();
        ctx.sys.pbx.logger.notice(
            crate::site!("app_system.c", 142, "system_exec_helper"),
            None,
            "It is not necessary to quote the argument to the System application.",
        );
    }
    // Asterisk waits for it (the channel sits in autoservice meanwhile).
    let status = tokio::process::Command::from(shell(&cmd)).status().await;
    match status {
        Err(_) => {
            ctx.warning(
                crate::site!("app_system.c", 148, "system_exec_helper"),
                &format!("Unable to execute '{data}'"),
            );
            ctx.set_var(VAR, Some("FAILURE"));
            failmode
        }
        Ok(st) => match st.code() {
            Some(127) => {
                ctx.warning(
                    crate::site!("app_system.c", 152, "system_exec_helper"),
                    &format!("Unable to execute '{data}'"),
                );
                ctx.set_var(VAR, Some("FAILURE"));
                failmode
            }
            Some(0) | None => {
                ctx.set_var(VAR, Some("SUCCESS"));
                Ok(())
            }
            Some(_) => {
                ctx.set_var(VAR, Some("APPERROR"));
                Ok(())
            }
        },
    }
}
