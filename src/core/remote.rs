//! The remote console client (`-r`, `-rx "<command>"`), speaking the same
//! protocol as Asterisk's: read the greeting, send NUL-terminated commands.

use std::io::{BufRead, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Why the client could not talk to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("Unable to connect to remote asterisk (does {0} exist?)")]
    Connect(String),
    #[error("remote console I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

fn connect(socket: &Path) -> Result<(UnixStream, String), RemoteError> {
    let mut stream = UnixStream::connect(socket)
        .map_err(|_| RemoteError::Connect(socket.display().to_string()))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    // The greeting is one line: hostname/pid/version.
    let mut greeting = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte)? == 1 {
        if byte[0] == b'\n' {
            break;
        }
        greeting.push(byte[0]);
    }
    Ok((stream, String::from_utf8_lossy(&greeting).into_owned()))
}

/// Writes the lines of remote output that are command output. Lines that
/// begin with a byte above 0x7f are verbose messages, which `-x` does not
/// print (as Asterisk's client); an interactive console puts the level's
/// prefix in their place.
fn print_output(out: &mut impl Write, bytes: &[u8], style: Option<Style>) -> std::io::Result<()> {
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match line
            .first()
            .and_then(|&b| crate::core::logger::magic_level(b))
        {
            Some(level) => {
                if let Some(style) = style {
                    let prefix = crate::core::logger::verbose_prefix(level);
                    if style.color && !prefix.is_empty() {
                        write!(out, "\x1b[1;30m{prefix}\x1b[0m")?;
                    } else {
                        out.write_all(prefix.as_bytes())?;
                    }
                    out.write_all(&line[1..])?;
                }
            }
            None => out.write_all(line)?,
        }
    }
    out.flush()
}

/// How an interactive console shows what the daemon sends.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Grey verbose prefixes (off with `-n`).
    pub color: bool,
}

/// What `asterisk -r` asks of the daemon when it connects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleOptions {
    /// The `-v` count: the console's verbose level.
    pub verbose: u32,
    /// `-m`: start with log output muted.
    pub mute: bool,
    /// `-n`: no colours.
    pub no_color: bool,
}

/// Sends a command as the protocol wants it: NUL-terminated.
fn send(stream: &mut UnixStream, command: &str) -> std::io::Result<()> {
    let mut msg = command.as_bytes().to_vec();
    msg.push(0);
    stream.write_all(&msg)
}

/// `-rx "<command>"`: runs one command and prints its output.
pub fn execute(socket: &Path, command: &str) -> Result<(), RemoteError> {
    let (mut stream, _greeting) = connect(socket)?;
    send(&mut stream, &format!("cli quit after {command}"))?;
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    print_output(&mut std::io::stdout().lock(), &all, None)?;
    Ok(())
}

/// `-r`: an interactive console; each line typed is sent as a command,
/// and the daemon's log lines up to this console's level show up as they
/// happen. As Asterisk's client, it tells the daemon its level
/// (`core set verbose atleast N silent`) and unmutes itself
/// (`logger mute silent`); the daemon does the filtering.
pub fn interactive(socket: &Path, opts: ConsoleOptions) -> Result<(), RemoteError> {
    let (mut stream, greeting) = connect(socket)?;
    let mut parts = greeting.splitn(3, '/');
    let host = parts.next().unwrap_or("");
    let host = host.split('.').next().unwrap_or(host);
    let pid: i64 = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(-1);
    let version = parts.next().unwrap_or("<Version Unknown>");
    println!("Connected to Asterisk {version} currently running on {host} (pid = {pid})");
    if opts.verbose > 0 {
        send(
            &mut stream,
            &format!("core set verbose atleast {} silent", opts.verbose),
        )?;
    }
    if opts.mute {
        println!("log and verbose output currently muted ('logger mute' to unmute)");
    } else {
        send(&mut stream, "logger mute silent")?;
    }
    let style = Style {
        color: !opts.no_color,
    };
    let mut reader = stream.try_clone()?;
    reader.set_read_timeout(None)?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(n) if n > 0 => {
                    let mut out = std::io::stdout().lock();
                    // Over the prompt's line, as Asterisk's console does.
                    let _ = out.write_all(b"\r\x1b[0K");
                    let _ = print_output(&mut out, &buf[..n], Some(style));
                }
                _ => {
                    eprintln!("\nDisconnected from Asterisk server");
                    std::process::exit(0);
                }
            }
        }
    });
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if matches!(line, "quit" | "exit") {
            break;
        }
        send(&mut stream, line)?;
    }
    println!("Asterisk cleanly ending (0).");
    println!("Executing last minute cleanups");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_lines_are_skipped_for_exec() {
        let mut out = Vec::new();
        print_output(&mut out, b"a\n\x83-- verbose\nb\n", None).expect("write");
        assert_eq!(out, b"a\nb\n");
    }

    #[test]
    fn verbose_lines_get_the_level_prefix() {
        let mut out = Vec::new();
        let style = Some(Style { color: false });
        print_output(&mut out, b"\xfcthree\n\xfdtwo\n\xfeone\nplain\n", style).expect("write");
        assert_eq!(out, b"    -- three\n  == two\n one\nplain\n");
        let mut out = Vec::new();
        print_output(&mut out, b"\xfcx\n", Some(Style { color: true })).expect("write");
        assert_eq!(out, b"\x1b[1;30m    -- \x1b[0mx\n");
    }
}
