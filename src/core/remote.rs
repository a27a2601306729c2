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
/// begin with a byte above 0x7f are log/verbose messages for interactive
/// consoles, which `-x` does not print (as Asterisk's client).
fn print_output(out: &mut impl Write, bytes: &[u8], interactive: bool) -> std::io::Result<()> {
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match line.first() {
            Some(&b) if b > 0x7f => {
                if interactive {
                    // The marker byte is -(level + 1).
                    let level = (-(b as i8) - 1).max(0) as u32;
                    out.write_all(crate::core::logger::verbose_prefix(level).as_bytes())?;
                    out.write_all(&line[1..])?;
                }
            }
            _ => out.write_all(line)?,
        }
    }
    out.flush()
}

/// `-rx "<command>"`: runs one command and prints its output.
pub fn execute(socket: &Path, command: &str) -> Result<(), RemoteError> {
    let (mut stream, _greeting) = connect(socket)?;
    let mut msg = format!("cli quit after {command}").into_bytes();
    msg.push(0);
    stream.write_all(&msg)?;
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
    print_output(&mut std::io::stdout().lock(), &all, false)?;
    Ok(())
}

/// `-r`: an interactive console; each line typed is sent as a command.
pub fn interactive(socket: &Path) -> Result<(), RemoteError> {
    let (stream, greeting) = connect(socket)?;
    let mut parts = greeting.splitn(3, '/');
    let host = parts.next().unwrap_or("");
    let pid = parts.next().unwrap_or("");
    let version = parts.next().unwrap_or("<Version Unknown>");
    println!("Connected to Asterisk {version} currently running on {host} (pid = {pid})");
    let mut reader = stream.try_clone()?;
    reader.set_read_timeout(None)?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = print_output(&mut std::io::stdout().lock(), &buf[..n], true);
        }
    });
    let mut writer = stream;
    // An empty command: start receiving the console log now.
    writer.write_all(b"\0")?;
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
        let mut msg = line.as_bytes().to_vec();
        msg.push(0);
        writer.write_all(&msg)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_lines_are_skipped_for_exec() {
        let mut out = Vec::new();
        print_output(&mut out, b"a\n\x83-- verbose\nb\n", false).expect("write");
        assert_eq!(out, b"a\nb\n");
    }
}
