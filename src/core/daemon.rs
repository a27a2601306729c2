//! The daemon: pid file, the `asterisk.ctl` control socket, the foreground
//! console, and an orderly stop.
//!
//! The control socket speaks Asterisk's remote-console protocol, so an
//! `asterisk -rx` client of either program works against the other: the
//! server greets with `hostname/pid/version\n`, each command arrives
//! NUL-terminated, and `cli quit after <cmd>` runs one command then closes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

use super::{StopMode, System};

/// Options the daemon was started with (Asterisk's command-line flags).
#[derive(Debug, Clone, Default)]
pub struct DaemonOptions {
    pub config_file: PathBuf,
    /// `-c`: read commands from stdin.
    pub console: bool,
    /// `-q`
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u32,
}

/// Errors that stop the daemon from starting.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{0}")]
    Start(#[from] crate::core::StartError),
    #[error("Asterisk already running on {0}.  Use 'asterisk -r' to connect.")]
    AlreadyRunning(PathBuf),
    #[error("unable to create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DaemonError + '_ {
    move |source| DaemonError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `contents` to `path` crash-safely: a temporary file, then rename.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The host's name, as the console greeting and `appendhostname` use it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "<Unknown>".into())
}

/// Runs the PBX until it is told to stop.
pub async fn run(opts: DaemonOptions) -> Result<(), DaemonError> {
    let system = System::start(&opts.config_file)?;
    if opts.verbose > 0 {
        // `-v` raises the core's (the foreground console's) level.
        system
            .pbx
            .logger
            .option_verbose
            .fetch_max(opts.verbose, std::sync::atomic::Ordering::Relaxed);
    }
    let dirs = &system.conf.dirs;
    std::fs::create_dir_all(&dirs.run).map_err(io_err(&dirs.run))?;
    let socket_path = dirs.socket();
    // A socket that answers belongs to a running instance; a dead one is stale.
    if socket_path.exists() {
        if UnixStream::connect(&socket_path).await.is_ok() {
            return Err(DaemonError::AlreadyRunning(socket_path));
        }
        let _ = std::fs::remove_file(&socket_path);
    }
    let listener = UnixListener::bind(&socket_path).map_err(io_err(&socket_path))?;
    let pid_file = dirs.pid_file();
    write_atomic(&pid_file, format!("{}\n", std::process::id()).as_bytes())
        .map_err(io_err(&pid_file))?;

    // The device-state engine, then AMI (manager.conf), before anything
    // can make a channel.
    crate::core::devicestate::DeviceStates::start(&system);
    // app_voicemail publishes each mailbox's counts as it loads its users.
    if system.loaded().modules.loads("app_voicemail") {
        crate::apps::voicemail::start(&system);
    }
    crate::cdr::Engine::start(&system);
    let manager = crate::manager::Manager::new(system.clone());
    manager.start().await;
    // http.conf's server, with AMI over HTTP when manager.conf allows it.
    let _http = crate::http::start(&system, &manager).await;
    // SIP listeners (sip.conf, pjsip.conf transports).
    let stacks = crate::channels::sip::start(&system).await;
    match system.sip.lock() {
        Ok(mut g) => *g = stacks,
        Err(p) => *p.into_inner() = stacks,
    }
    // Call files, once channels can be made (pbx_spool waits for the
    // full boot).
    crate::pbx::spool::start(&system);
    // queue_log's QUEUESTART, and app_queue's persistent members.
    crate::queue::start(&system);
    if !opts.quiet {
        println!("Asterisk Ready.");
    }
    let accept = {
        let system = system.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let system = system.clone();
                        tokio::spawn(async move { serve_remote(system, stream).await });
                    }
                    Err(e) => {
                        tracing::warn!("accept on control socket failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        })
    };
    if opts.console {
        let system = system.clone();
        std::thread::spawn(move || console(system));
    }
    let signals = {
        let system = system.clone();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            tokio::select! {
                _ = term.recv() => system.request_stop(StopMode::Now),
                _ = tokio::signal::ctrl_c() => system.request_stop(StopMode::Now),
            }
        })
    };
    system.stopped().await;
    // Batched and in-flight records reach the backends before we exit.
    system.cdr.shutdown().await;
    manager
        .announce_shutdown(system.pbx.channels.count() > 0)
        .await;
    accept.abort();
    signals.abort();
    let _ = std::fs::remove_file(&socket_path);
    let _ = std::fs::remove_file(&pid_file);
    Ok(())
}

/// The `-c` console on stdin/stdout: the `*CLI> ` prompt, editing,
/// history and completion answered here. `!` runs a shell command; Ctrl-C
/// stops the PBX, as SIGINT does. When input ends the PBX runs on.
fn console(system: Arc<System>) {
    use super::console as ed;
    let completer = system.clone();
    let mut editor = match ed::editor(Box::new(move |line, word| {
        crate::cli::complete::matches(&completer, line, word)
    })) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("console unavailable: {e}");
            return;
        }
    };
    let history = ed::history_path();
    if let Some(path) = &history {
        ed::load_history(&mut editor, path);
    }
    let context = ed::PromptContext {
        remote_host: None,
        system_name: system.conf.options.system_name.clone(),
        color: false,
        remote: false,
    };
    loop {
        let line = match ed::read_line(&mut editor, &context) {
            Ok((line, recorded)) => {
                if recorded && let Some(path) = &history {
                    let _ = ed::write_history(path, &ed::history_entries(&editor));
                }
                line
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                system.request_stop(StopMode::Now);
                break;
            }
            Err(_) => break,
        };
        let command = line.trim_start();
        if let Some(shell) = ed::bang_command(command) {
            ed::run_shell(&shell);
            continue;
        }
        let out = crate::core::logger::with_console(crate::core::logger::Console::Root, || {
            crate::cli::execute(&system, command)
        });
        print!("{out}");
        let _ = std::io::stdout().flush();
    }
}

/// Answers one remote console connection. Each connection is a console
/// of its own, as in Asterisk: muted with verbose off until its client
/// asks (`core set verbose atleast N silent`, `logger mute silent`), so
/// `-rx` never gets log lines. Log lines wait in a bounded queue and are
/// dropped when the client does not read them.
async fn serve_remote(system: Arc<System>, stream: UnixStream) {
    let logger = &system.pbx.logger;
    let announce = !system.conf.options.hide_connect;
    if announce {
        let site = crate::site!("asterisk.c", 1603, "listener");
        logger.verbose(3, site, None, "Remote UNIX connection");
    }
    let (console, log) = logger.attach_remote();
    remote_session(&system, stream, &console, log).await;
    logger.detach_remote(&console);
    if announce {
        let site = crate::site!("asterisk.c", 1521, "netconsole");
        logger.verbose(3, site, None, "Remote UNIX connection disconnected");
    }
}

async fn remote_session(
    system: &Arc<System>,
    mut stream: UnixStream,
    console: &Arc<crate::core::logger::RemoteConsole>,
    mut log: tokio::sync::mpsc::Receiver<Vec<u8>>,
) {
    let banner = format!(
        "{}/{}/{}\n",
        hostname(),
        std::process::id(),
        crate::version::ASTERISK_VERSION
    );
    if stream.write_all(banner.as_bytes()).await.is_err() {
        return;
    }
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    let mut first = true;
    loop {
        let n = tokio::select! {
            r = stream.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
            Some(msg) = log.recv() => {
                if stream.write_all(&msg).await.is_err() {
                    return;
                }
                continue;
            }
        };
        pending.extend_from_slice(&buf[..n]);
        // Asterisk refuses commands longer than its buffer; so do we.
        if pending.len() > 64 * 1024 && !pending.contains(&0) {
            pending.clear();
            continue;
        }
        while let Some(end) = pending.iter().position(|&b| b == 0) {
            let raw: Vec<u8> = pending.drain(..=end).collect();
            let text = crate::core::raw::decode(&raw[..raw.len() - 1]).into_owned();
            // Only a connection's first command may ask to quit after it.
            let (command, quit_after) = match text.strip_prefix("cli quit after ") {
                Some(c) if first => (c.to_string(), true),
                _ => (text, false),
            };
            first = false;
            if command.trim().is_empty() {
                continue;
            }
            let system2 = system.clone();
            let on = crate::core::logger::Console::Remote(console.clone());
            let out = tokio::task::spawn_blocking(move || {
                crate::core::logger::with_console(on, || crate::cli::execute(&system2, &command))
            })
            .await
            .unwrap_or_default();
            if stream
                .write_all(&crate::core::raw::encode(&out))
                .await
                .is_err()
                || quit_after
            {
                let _ = stream.shutdown().await;
                return;
            }
        }
    }
}
