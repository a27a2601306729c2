//! SHELL (Asterisk's `func_shell.c`): runs a command with `/bin/sh -c`
//! and gives what it printed.

use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SHELL",
        read: Some(shell),
        write: None,
        synopsis: "Runs a command through the system shell and gives its output.",
        syntax: "SHELL(command)",
    }]
}

/// What the result buffer holds (`VAR_BUF_SIZE` less the NUL).
const MAXOUT: usize = 4095;

/// Runs the command and collects its standard output as `fgets` +
/// `strncat` would: each line up to a NUL byte, at most `MAXOUT` bytes.
fn run(command: &str) -> std::io::Result<Vec<u8>> {
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(crate::core::raw::os(command))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    crate::core::environ::apply(&mut cmd);
    let output = cmd.output()?;
    let mut out = Vec::new();
    for line in output.stdout.split_inclusive(|&b| b == b'\n') {
        for piece in line.chunks(4095) {
            let end = piece.iter().position(|&b| b == 0).unwrap_or(piece.len());
            let room = MAXOUT - out.len();
            out.extend_from_slice(&piece[..end.min(room)]);
        }
    }
    Ok(out)
}

fn shell(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!("func_shell.c", 46, "shell_helper"),
            "Missing Argument!  Example:  Set(foo=${SHELL(echo \"bar\")})",
        );
        return Err(Failed);
    }
    // The channel waits for the command, as under autoservice; a worker of
    // the multi-threaded runtime hands its other tasks over meanwhile.
    let res = crate::core::blocking(|| run(data));
    match res {
        Ok(out) => Ok(crate::core::raw::decode_owned(out)),
        Err(_) => {
            ctx.warning(
                crate::site!("func_shell.c", 65, "shell_helper"),
                &format!("Failed to execute shell command '{data}'"),
            );
            Err(Failed)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn collects_output() {
        assert_eq!(super::run("printf 'a\\nb'").ok(), Some(b"a\nb".to_vec()));
        let big = super::run("head -c 10000 /dev/zero | tr '\\0' x").unwrap_or_default();
        assert_eq!(big.len(), super::MAXOUT);
    }
}
