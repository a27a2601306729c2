//! The remote console client (`-r`, `-rx "<command>"`), speaking the same
//! protocol as Asterisk's: read the greeting, send NUL-terminated commands.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
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
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// The `-v` count: the console's verbose level.
    pub verbose: u32,
    /// `-m`: start with log output muted.
    pub mute: bool,
    /// `-n`: no colours.
    pub no_color: bool,
    /// `-R`: reconnect when the daemon goes away.
    pub reconnect: bool,
    /// asterisk.conf's `systemname` (the prompt's `%s`).
    pub system_name: String,
    /// asterisk.conf's `disable_remote_console_shell`: no `!` here.
    pub no_shell: bool,
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

/// What an interactive console prints first, and again after it
/// reconnects (Asterisk's welcome message).
pub fn welcome() {
    println!(
        "Asterisk {}, Copyright (C) the Asterism authors.",
        crate::version::ASTERISK_VERSION
    );
    println!("Asterism comes with ABSOLUTELY NO WARRANTY; it is a replacement for Asterisk.");
    println!("{}", "=".repeat(73));
}

/// The greeting's host (up to its first dot), pid and version.
fn parse_greeting(greeting: &str) -> (String, i64, String) {
    let mut parts = greeting.splitn(3, '/');
    let host = parts.next().unwrap_or("");
    let host = host.split('.').next().unwrap_or(host).to_string();
    let pid: i64 = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(-1);
    let version = parts.next().unwrap_or("<Version Unknown>").to_string();
    (host, pid, version)
}

/// `send_rasterisk_connect_commands`: the console's level, then unmute.
fn connect_commands(stream: &mut UnixStream, verbose: u32, mute: bool) -> std::io::Result<()> {
    if verbose > 0 {
        send(
            stream,
            &format!("core set verbose atleast {verbose} silent"),
        )?;
    }
    if mute {
        println!("log and verbose output currently muted ('logger mute' to unmute)");
    } else {
        send(stream, "logger mute silent")?;
    }
    Ok(())
}

/// The state the editing thread and the socket reader share.
struct Shared {
    /// Where typed commands go (replaced when `-R` reconnects).
    writer: Mutex<UnixStream>,
    /// A completion waiting for its `_EOF_`: what the daemon sends goes
    /// there instead of the screen.
    completion: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    /// The commands typed, for the history file (the reader may end the
    /// console while the editor is waiting for a key).
    history: Mutex<Vec<String>>,
    /// `-R`.
    reconnect: bool,
    /// `-m`.
    mute: bool,
}

/// Leaves the console as `quit_handler` does for a remote console: the
/// history written, the goodbye lines printed.
fn quit(shared: &Shared) -> ! {
    if let Some(path) = super::console::history_path() {
        let entries = super::lock(&shared.history).clone();
        let _ = super::console::write_history(&path, &entries);
    }
    println!("Asterisk cleanly ending (0).");
    println!("Executing last minute cleanups");
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

/// `_COMMAND MATCHESARRAY` on the console's connection: the daemon's
/// answer, read by the socket reader and handed over here.
fn ask_completion(shared: &Shared, line: &str, word: &str) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    *super::lock(&shared.completion) = Some(tx);
    let request = format!("_COMMAND MATCHESARRAY \"{line}\" \"{word}\"");
    if send(&mut super::lock(&shared.writer), &request).is_err() {
        *super::lock(&shared.completion) = None;
        return Vec::new();
    }
    let mut answer: Vec<u8> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mark = crate::cli::complete::EOF_MARK.as_bytes();
    loop {
        // Asterisk gives up on a usage answer: it never ends in the mark.
        if answer.starts_with(b"Usage:") || answer.windows(mark.len()).any(|w| w == mark) {
            break;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => answer.extend_from_slice(&chunk),
            Err(_) => break,
        }
    }
    *super::lock(&shared.completion) = None;
    if answer.starts_with(b"Usage:") {
        return Vec::new();
    }
    // `ast_el_strtoarr`: blank-separated, up to the mark.
    String::from_utf8_lossy(&answer)
        .split(' ')
        .take_while(|w| *w != crate::cli::complete::EOF_MARK)
        .map(str::to_string)
        .collect()
}

/// Follows the daemon's output: log lines and command replies go to the
/// screen, completion answers to the editor. When the daemon goes away,
/// `-R` reconnects for 30 seconds; otherwise the console ends.
fn follow(
    shared: Arc<Shared>,
    mut reader: UnixStream,
    socket: PathBuf,
    style: Style,
    mut print: impl FnMut(&[u8]),
) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(n) if n > 0 => {
                let chunk = &buf[..n];
                let pending = super::lock(&shared.completion).clone();
                match pending {
                    Some(tx) => {
                        let _ = tx.send(chunk.to_vec());
                    }
                    None => {
                        let mut out = Vec::new();
                        let _ = print_output(&mut out, chunk, Some(style));
                        print(&out);
                    }
                }
            }
            _ => {
                *super::lock(&shared.completion) = None;
                eprintln!("\nDisconnected from Asterisk server");
                if !reconnect(&shared, &socket, style, &mut reader) {
                    quit(&shared);
                }
            }
        }
    }
}

/// `-R`: tries 20 times a second for 30 seconds. On success the new
/// connection replaces the old one and gets the connect commands, with
/// the level Asterisk's client has by then (every message). Commands
/// typed meanwhile wait for the new connection, as Asterisk reads no
/// keys while it reconnects.
fn reconnect(shared: &Shared, socket: &Path, style: Style, reader: &mut UnixStream) -> bool {
    if !shared.reconnect {
        return false;
    }
    let mut writer = super::lock(&shared.writer);
    eprintln!("Attempting to reconnect for 30 seconds");
    let per_second = 20u32;
    for tries in 0..30 * per_second {
        if let Ok((mut stream, _greeting)) = connect(socket) {
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let _ = clone.set_read_timeout(None);
            eprintln!(
                "Reconnect succeeded after {:.3} seconds",
                f64::from(tries) / f64::from(per_second)
            );
            if style.color {
                print!("\x1b[0m");
            }
            welcome();
            let _ = connect_commands(&mut stream, i32::MAX as u32, shared.mute);
            *reader = clone;
            *writer = stream;
            return true;
        }
        std::thread::sleep(Duration::from_millis(u64::from(1000 / per_second)));
    }
    eprintln!("Failed to reconnect for 30 seconds.  Quitting.");
    false
}

/// `-r`: an interactive console. Each line typed is sent as a command;
/// the daemon's log lines up to this console's level show up as they
/// happen, above the prompt. As Asterisk's client, it tells the daemon its
/// level (`core set verbose atleast N silent`) and unmutes itself
/// (`logger mute silent`); the daemon does the filtering. `!cmd` runs a
/// shell command here, `quit`/`exit` leave.
pub fn interactive(socket: &Path, opts: ConsoleOptions) -> Result<(), RemoteError> {
    let (mut stream, greeting) = connect(socket)?;
    let (host, pid, version) = parse_greeting(&greeting);
    if !opts.no_color {
        print!("\x1b[0m");
    }
    println!("Connected to Asterisk {version} currently running on {host} (pid = {pid})");
    connect_commands(&mut stream, opts.verbose, opts.mute)?;
    let style = Style {
        color: !opts.no_color,
    };
    let reader = stream.try_clone()?;
    reader.set_read_timeout(None)?;
    let shared = Arc::new(Shared {
        writer: Mutex::new(stream),
        completion: Mutex::new(None),
        history: Mutex::new(Vec::new()),
        reconnect: opts.reconnect,
        mute: opts.mute,
    });
    let asker = shared.clone();
    let mut editor = super::console::editor(Box::new(move |line, word| {
        ask_completion(&asker, line, word)
    }))
    .map_err(|e| RemoteError::Io(std::io::Error::other(e.to_string())))?;
    if let Some(path) = super::console::history_path() {
        super::console::load_history(&mut editor, &path);
        *super::lock(&shared.history) = super::console::history_entries(&editor);
    }
    // Output above the prompt when editing on a terminal; straight to
    // stdout otherwise.
    let mut printer = editor.create_external_printer().ok();
    let follower = shared.clone();
    let socket = socket.to_path_buf();
    std::thread::spawn(move || {
        follow(follower, reader, socket, style, move |bytes| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let printed = printer
                .as_mut()
                .is_some_and(|p| rustyline::ExternalPrinter::print(p, text.clone()).is_ok());
            if !printed {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
        })
    });
    let context = super::console::PromptContext {
        remote_host: Some(host),
        system_name: opts.system_name.clone(),
        color: style.color,
        remote: true,
    };
    loop {
        let line = match super::console::read_line(&mut editor, &context) {
            Ok((line, recorded)) => {
                if recorded {
                    super::lock(&shared.history).push(line.clone());
                }
                line
            }
            Err(_) => {
                // Ctrl-C, or the end of input.
                println!("\nDisconnected from Asterisk server");
                quit(&shared);
            }
        };
        let command = line.trim_start();
        if let Some(shell) = super::console::bang_command(command) {
            if opts.no_shell {
                println!("Shell access is disabled on remote consoles");
            } else {
                super::console::run_shell(&shell);
            }
        } else if super::console::is_quit(command) {
            quit(&shared);
        } else if !command.is_empty()
            && let Err(e) = send(&mut super::lock(&shared.writer), command)
        {
            eprintln!("Unable to write: {e}");
            println!("\nDisconnected from Asterisk server");
            quit(&shared);
        }
    }
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
