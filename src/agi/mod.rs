//! The Asterisk Gateway Interface (Asterisk's `res/res_agi.c`): the AGI,
//! DeadAGI and EAGI applications, which hand a channel to a local script
//! (over its stdin/stdout), to a FastAGI server (`agi://`) or to manager
//! clients (`agi:async`), and the commands those programs send.
//!
//! One session type serves the three transports: a command line comes
//! in, is split ([`parse::parse_args`]), found in [`commands::COMMANDS`]
//! and run, and its reply lines go back to the script or server, or for
//! AsyncAGI into an `AsyncAGIExec` event.

pub mod commands;
pub mod parse;
pub mod record;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use crate::apps::{App, AppCtx, AppExit, AppFuture, AppResult, Run};
use crate::channels::Channel;
use crate::core::events::EventKind;
use crate::manager::class;

/// The FastAGI port when the URL names none (`AGI_PORT`).
pub const AGI_PORT: u16 = 4573;
/// How long a FastAGI connect may take (`MAX_AGI_CONNECT`, ms).
const MAX_AGI_CONNECT: u64 = 2000;

/// `agi set debug`: every line sent and received is printed.
static DEBUG: AtomicBool = AtomicBool::new(false);

pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::SeqCst);
}

pub fn debug() -> bool {
    DEBUG.load(Ordering::SeqCst)
}

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "AGI",
            run: Run::Wait(agi_app),
            synopsis: "Hands the channel to an AGI script, FastAGI server or AsyncAGI.",
            syntax: "AGI(command[,arg1[,arg2[,...]]])",
        },
        App {
            name: "EAGI",
            run: Run::Wait(eagi_app),
            synopsis: "AGI with the caller's audio on the script's file descriptor 3.",
            syntax: "EAGI(command[,arg1[,arg2[,...]]])",
        },
        App {
            name: "DeadAGI",
            run: Run::Wait(deadagi_app),
            synopsis: "AGI under its old name for hung-up channels.",
            syntax: "DeadAGI(command[,arg1[,arg2[,...]]])",
        },
    ]
}

/// How a session ended (`enum agi_result`), hence AGISTATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    NotFound,
    Hangup,
    /// `ASYNCAGI BREAK` (or the end of AsyncAGI).
    SuccessAsync,
}

/// What a command handler returns (res_agi's `RESULT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Success,
    /// Usually a hangup; the command's reply has been sent.
    Failure,
    /// Wrong arguments: the 520 reply follows.
    ShowUsage,
    /// `ASYNCAGI BREAK`.
    AsyncBreak,
    /// Any other value (EXEC passes the application's result on).
    Other,
}

/// One AGI session on a channel.
pub struct Agi {
    pub ctx: AppCtx,
    /// Where replies go: the script's stdin or the FastAGI socket; `None`
    /// for AsyncAGI, whose replies collect in `collected`.
    writer: Option<Box<dyn AsyncWrite + Send + Sync + Unpin>>,
    collected: String,
}

impl Agi {
    pub fn new(ctx: &AppCtx, writer: Option<Box<dyn AsyncWrite + Send + Sync + Unpin>>) -> Agi {
        Agi {
            ctx: AppCtx {
                sys: ctx.sys.clone(),
                chan: ctx.chan.clone(),
            },
            writer,
            collected: String::new(),
        }
    }

    /// `ast_agi_send`: a write that fails (the peer went) is not an error
    /// to the command, as in Asterisk.
    pub async fn send(&mut self, text: &str) {
        if debug() {
            self.ctx.sys.pbx.logger.verbose(
                0,
                crate::site!("res_agi.c", 1666, "ast_agi_send"),
                None,
                &format!(
                    "<{}>AGI Tx >> {}",
                    self.ctx.chan.name,
                    text.strip_suffix('\n').unwrap_or(text)
                ),
            );
        }
        match &mut self.writer {
            Some(w) => {
                if let Err(e) = w.write_all(text.as_bytes()).await {
                    tracing::debug!("AGI write to {}: {e}", self.ctx.chan.name);
                }
                let _ = w.flush().await;
            }
            None => self.collected.push_str(text),
        }
    }

    /// The channel's `agi_*` environment and its closing blank line
    /// (`setup_env`): `request` is what AGI() was given.
    pub async fn send_env(&mut self, request: &str, enhanced: bool, args: &[String]) {
        let env = environment(&self.ctx.chan, request, enhanced, args);
        // Asterisk writes each line with its own write: keep that shape.
        for line in env.split_inclusive('\n') {
            self.send(line).await;
        }
    }

    /// Runs one command line (`agi_handle_command`), with its AGIExec
    /// events. `dead`: the channel is gone, only commands marked as safe
    /// on a dead channel run.
    pub async fn handle(&mut self, line: &str, dead: bool) -> Outcome {
        let command_id = random_id();
        self.ctx.chan.emit(EventKind::Manager {
            class: class::AGI,
            name: "AGIExecStart".into(),
            body: format!("CommandId: {command_id}\r\nCommand: {line}\r\n"),
        });
        let words = parse::parse_args(line);
        let end = |agi: &Agi, code: i32, result: &str| {
            agi.ctx.chan.emit(EventKind::Manager {
                class: class::AGI,
                name: "AGIExecEnd".into(),
                body: format!(
                    "CommandId: {command_id}\r\nCommand: {line}\r\nResultCode: {code}\r\nResult: {result}\r\n"
                ),
            });
        };
        let Some(cmd) = commands::find(&words) else {
            self.send("510 Invalid or unknown command\n").await;
            end(self, 510, "Invalid or unknown command");
            return Outcome::Success;
        };
        if dead && !cmd.dead {
            let msg = "Command Not Permitted on a dead channel or intercept routine";
            self.send(&format!("511 {msg}\n")).await;
            end(self, 511, msg);
            return Outcome::Success;
        }
        match (cmd.handler)(self, &words).await {
            Res::ShowUsage => {
                end(self, 520, "Usage");
                // Asterisk prints its documentation between these lines;
                // ours is a one-line syntax in our own words.
                self.send("520-Invalid command syntax.  Proper usage follows:\n")
                    .await;
                self.send(&format!("Usage: {}\n", cmd.syntax)).await;
                self.send("520 End of proper usage.\n").await;
                Outcome::Success
            }
            Res::Failure => {
                end(self, -1, "Failure");
                Outcome::Failure
            }
            Res::AsyncBreak => {
                end(self, 200, "Success");
                Outcome::SuccessAsync
            }
            Res::Success => {
                end(self, 200, "Success");
                Outcome::Success
            }
            Res::Other => {
                end(self, 200, "Unknown Result");
                Outcome::Success
            }
        }
    }
}

/// `ast_random()` as a command id: a non-negative 31-bit number.
fn random_id() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (h.finish() & 0x7fff_ffff) as u32
}

/// A number in the place of Asterisk's `pthread_self()`: the address of
/// something of this thread's, as that is.
fn thread_id() -> u64 {
    thread_local! { static MARK: u8 = const { 0 }; }
    MARK.with(|m| m as *const u8 as u64)
}

/// The `agi_*` lines (`setup_env`), in Asterisk's order, and the blank
/// line that ends them.
pub fn environment(chan: &Channel, request: &str, enhanced: bool, args: &[String]) -> String {
    let d = chan.lock();
    let mut s = String::new();
    let mut line = |k: &str, v: &str| {
        s.push_str("agi_");
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    };
    line("request", request);
    line("channel", &chan.name);
    line("language", &d.language);
    line("type", chan.tech);
    line("uniqueid", &chan.uniqueid);
    line("version", crate::version::ASTERISK_VERSION);
    line("callerid", d.caller.id.number().unwrap_or("unknown"));
    line("calleridname", d.caller.id.name().unwrap_or("unknown"));
    line("callingpres", &d.caller.id.presentation().to_string());
    line("callingani2", &d.caller.ani2.to_string());
    line("callington", &d.caller.id.number.plan.to_string());
    line("callingtns", &d.dialed.transit_network_select.to_string());
    line(
        "dnid",
        d.dialed
            .number
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or("unknown"),
    );
    line("rdnis", d.redirecting.from.number().unwrap_or("unknown"));
    line("context", &d.context);
    line("extension", &d.exten);
    line("priority", &d.priority.to_string());
    line("enhanced", if enhanced { "1.0" } else { "0.0" });
    line("accountcode", &d.accountcode);
    line("threadid", &thread_id().to_string());
    for (i, a) in args.iter().enumerate() {
        line(&format!("arg_{}", i + 1), a);
    }
    s.push('\n');
    s
}

fn agi_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let dead = ctx.chan.check_hangup();
        agi_exec_full(ctx, &data, dead).await
    })
}

fn eagi_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if ctx.chan.check_hangup() {
            ctx.error(
                crate::site!("res_agi.c", 4783, "eagi_exec"),
                "EAGI cannot be run on a dead/hungup channel, please use AGI.",
            );
            return Ok(());
        }
        // The audio goes out as 8 kHz signed linear whatever
        // EAGI_AUDIO_FORMAT asks for; another format is reported.
        if let Some(f) = ctx.var("EAGI_AUDIO_FORMAT")
            && !f.eq_ignore_ascii_case("slin")
        {
            ctx.error(
                crate::site!("res_agi.c", 4796, "eagi_exec"),
                &format!("Could not find requested format: {f}"),
            );
        }
        agi_exec_inner(ctx, &data, false, true).await
    })
}

fn deadagi_app<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        ctx.warning(
            crate::site!("res_agi.c", 4818, "deadagi_exec"),
            "DeadAGI has been deprecated, please use AGI in all cases!",
        );
        let dead = ctx.chan.check_hangup();
        agi_exec_full(ctx, &data, dead).await
    })
}

/// For check-config: what an AGI call asks for that Asterism does not do.
/// A `hagi://` URL without a port needs DNS SRV lookups, which are not
/// built (with a port Asterisk itself skips them).
pub fn unsupported_uses(app: &str, data: &str) -> Vec<String> {
    let script = crate::apps::split_args(data, ',')
        .into_iter()
        .next()
        .unwrap_or_default();
    let srv = script.len() >= 7
        && script[..7].eq_ignore_ascii_case("hagi://")
        && !script[7..].split('/').next().unwrap_or("").contains(':');
    if srv {
        vec![format!(
            "{app}: {script}: hagi:// (FastAGI servers found by DNS SRV lookup) is not supported by Asterism"
        )]
    } else {
        Vec::new()
    }
}

/// `agi_exec_full`: runs the session, then sets AGISTATUS; a hangup
/// ends the dialplan.
async fn agi_exec_full(ctx: &AppCtx, data: &str, dead: bool) -> AppResult {
    agi_exec_inner(ctx, data, dead, false).await
}

/// `agi_exec_full` with `enhanced` (EAGI): only a local script can take
/// the audio; FastAGI and AsyncAGI fail.
async fn agi_exec_inner(ctx: &AppCtx, data: &str, dead: bool, enhanced: bool) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!("res_agi.c", 4711, "agi_exec_full"),
            "AGI requires an argument (script)",
        );
        return Err(AppExit::Hangup);
    }
    let args = crate::apps::split_args(data, ',');
    let script = args.first().cloned().unwrap_or_default();
    let rest = &args[1..];
    let network = script.len() >= 6 && script[..6].eq_ignore_ascii_case("agi://")
        || script.len() >= 7 && script[..7].eq_ignore_ascii_case("hagi://");
    let outcome = if enhanced && network {
        Outcome::Failure
    } else if enhanced && script.len() >= 9 && script[..9].eq_ignore_ascii_case("agi:async") {
        ctx.warning(
            crate::site!("res_agi.c", 1978, "launch_asyncagi"),
            "Async AGI does not support Enhanced AGI yet",
        );
        Outcome::Failure
    } else if script.len() >= 6 && script[..6].eq_ignore_ascii_case("agi://") {
        run_fast(ctx, &script, rest, dead).await
    } else if script.len() >= 7 && script[..7].eq_ignore_ascii_case("hagi://") {
        // SRV lookups are not built: a URL with a port goes straight to
        // that host, as Asterisk does; without one it fails as a lookup
        // that found nothing.
        let host = &script[7..];
        if host.split('/').next().is_some_and(|h| h.contains(':')) {
            ctx.warning(
                crate::site!("res_agi.c", 2333, "launch_ha_netscript"),
                &format!("Specifying a port number disables SRV lookups: {script}"),
            );
            run_fast(ctx, &script[1..], rest, dead).await
        } else {
            ctx.warning(
                crate::site!("res_agi.c", 2352, "launch_ha_netscript"),
                &format!("SRV lookup failed for {script}"),
            );
            Outcome::Failure
        }
    } else if script.len() >= 9 && script[..9].eq_ignore_ascii_case("agi:async") {
        run_async(ctx, rest).await
    } else {
        run_script(ctx, &script, rest, dead, enhanced).await
    };
    let status = match outcome {
        Outcome::Success | Outcome::SuccessAsync => "SUCCESS",
        Outcome::Failure => "FAILURE",
        Outcome::NotFound => "NOTFOUND",
        Outcome::Hangup => "HANGUP",
    };
    ctx.set_var("AGISTATUS", Some(status));
    if outcome == Outcome::Hangup {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

/// `launch_netscript`: connects to `agi://host[:port][/script]` and runs
/// the session over the socket.
async fn run_fast(ctx: &AppCtx, url: &str, args: &[String], dead: bool) -> Outcome {
    let rest = &url[6..];
    let (host, script) = match rest.split_once('/') {
        Some((h, s)) => (h, s),
        None => (rest, ""),
    };
    let addrs: Vec<std::net::SocketAddr> = match resolve(host).await {
        Some(a) if !a.is_empty() => a,
        _ => {
            ctx.warning(
                crate::site!("res_agi.c", 2232, "launch_netscript"),
                &format!("Unable to locate host '{host}'"),
            );
            return Outcome::Failure;
        }
    };
    let mut stream = None;
    for addr in addrs {
        match tokio::time::timeout(
            Duration::from_millis(MAX_AGI_CONNECT),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => ctx.warning(
                crate::site!("res_agi.c", 2203, "handle_connection"),
                &format!("Connecting to '{addr}' failed for url '{url}': {e}"),
            ),
            Err(_) => ctx.warning(
                crate::site!("res_agi.c", 2186, "handle_connection"),
                &format!(
                    "FastAGI connection to '{url}' timed out after MAX_AGI_CONNECT ({MAX_AGI_CONNECT}) milliseconds."
                ),
            ),
        }
    }
    let Some(stream) = stream else {
        ctx.warning(
            crate::site!("res_agi.c", 2265, "launch_netscript"),
            "Couldn't connect to any host.  FastAGI failed.",
        );
        return Outcome::Failure;
    };
    let _ = stream.set_nodelay(true);
    let (rd, wr) = stream.into_split();
    let mut agi = Agi::new(ctx, Some(Box::new(wr)));
    agi.send("agi_network: yes\n").await;
    if !script.is_empty() {
        agi.send(&format!("agi_network_script: {script}\n")).await;
    }
    let mut reader = BufReader::new(rd);
    run_agi(&mut agi, &mut reader, url, args, dead, false, Peer::Fast).await
}

/// Resolves `host[:port]` (IPv6 in brackets), the port defaulting to 4573.
async fn resolve(host: &str) -> Option<Vec<std::net::SocketAddr>> {
    let (name, port) = match host.strip_prefix('[') {
        Some(r) => {
            let (h, tail) = r.split_once(']')?;
            let port = tail.strip_prefix(':').map(str::parse).transpose().ok()?;
            (h.to_string(), port)
        }
        None => match host.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p.parse().ok()?)),
            _ => (host.to_string(), None),
        },
    };
    let port: u16 = port.unwrap_or(AGI_PORT);
    let port = if port == 0 { AGI_PORT } else { port };
    tokio::net::lookup_host((name.as_str(), port))
        .await
        .ok()
        .map(|it| it.collect())
}

/// Who is at the other end: a FastAGI server is told of a hangup with a
/// `HANGUP` line, a script with SIGHUP.
#[derive(Clone, Copy)]
enum Peer {
    Fast,
    Script(Option<u32>),
}

/// `run_agi`: sends the environment, then reads and runs commands until
/// the script or server is done. A hangup is told once, and from then on
/// only dead-safe commands run.
async fn run_agi<R: AsyncBufRead + Unpin>(
    agi: &mut Agi,
    reader: &mut R,
    request: &str,
    args: &[String],
    mut dead: bool,
    enhanced: bool,
    peer: Peer,
) -> Outcome {
    let chan = agi.ctx.chan.clone();
    let sighup = !agi
        .ctx
        .var("AGISIGHUP")
        .is_some_and(|v| crate::config::is_false(&v));
    let exit_on_hangup = agi
        .ctx
        .var("AGIEXITONHANGUP")
        .is_some_and(|v| crate::config::is_true(&v));
    agi.send_env(request, enhanced, args).await;
    let mut status = Outcome::Success;
    let mut needhup = false;
    let mut line = Vec::new();
    loop {
        if needhup {
            needhup = false;
            dead = true;
            if sighup {
                match peer {
                    Peer::Script(Some(pid)) => send_sighup(pid),
                    Peer::Script(None) => {}
                    Peer::Fast => agi.send("HANGUP\n").await,
                }
            }
            if exit_on_hangup {
                break;
            }
        }
        // A line cut short by a hangup stays in `line` and is completed
        // by the next read (read_until appends).
        let read = if dead {
            reader.read_until(b'\n', &mut line).await.map(Some)
        } else {
            tokio::select! {
                r = reader.read_until(b'\n', &mut line) => r.map(Some),
                // While idle the channel's frames are read and dropped,
                // digits too, as run_agi's ast_read does.
                _ = chan.wait_for(|c| {
                    while c.take_digit(crate::channels::media::DigitReader::EndsOnly).is_some() {}
                    false
                }) => Ok(None),
            }
        };
        match read {
            Ok(None) => {
                needhup = true;
                if status == Outcome::Success {
                    status = Outcome::Hangup;
                }
                continue;
            }
            Ok(Some(0)) | Err(_) => {
                agi.ctx.verbose(
                    3,
                    crate::site!("res_agi.c", 4433, "run_agi"),
                    &format!(
                        "<{}>AGI Script {request} completed, returning {}",
                        chan.name,
                        status_code(status)
                    ),
                );
                break;
            }
            Ok(Some(_)) => {}
        }
        if line.len() >= 7 && line[..7].eq_ignore_ascii_case(b"failure") {
            status = Outcome::Failure;
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let text = crate::core::raw::decode_owned(std::mem::take(&mut line));
        if debug() {
            agi.ctx.sys.pbx.logger.verbose(
                0,
                crate::site!("res_agi.c", 4457, "run_agi"),
                None,
                &format!("<{}>AGI Rx << {text}", chan.name),
            );
        }
        if agi.handle(&text, dead).await == Outcome::Failure && (dead || !chan.check_hangup()) {
            status = Outcome::Failure;
        }
        // A command that ended on a hangup: noticed on the next turn.
        if !dead && chan.check_hangup() {
            needhup = true;
            if status == Outcome::Success {
                status = Outcome::Hangup;
            }
        }
    }
    if sighup {
        match peer {
            Peer::Script(Some(pid)) => send_sighup(pid),
            Peer::Script(None) => {}
            Peer::Fast => agi.send("HANGUP\n").await,
        }
    }
    status
}

/// `enum agi_result`'s numbers, for the "completed, returning" line.
fn status_code(o: Outcome) -> i32 {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => -1,
        Outcome::NotFound => 2,
        Outcome::Hangup => 4,
        Outcome::SuccessAsync => 3,
    }
}

fn send_sighup(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) has no memory effects; a stale pid is harmless
        // (the child is ours and not yet reaped).
        unsafe {
            libc::kill(pid, libc::SIGHUP);
        }
    }
}

/// `launch_script`: runs a program from astagidir (or an absolute path)
/// with the session on its stdin and stdout.
async fn run_script(
    ctx: &AppCtx,
    script: &str,
    args: &[String],
    dead: bool,
    enhanced: bool,
) -> Outcome {
    let path = if script.starts_with('/') {
        std::path::PathBuf::from(script)
    } else {
        ctx.sys.conf.dirs.agi.join(script)
    };
    if std::fs::metadata(&path).is_err() {
        ctx.warning(
            crate::site!("res_agi.c", 2386, "launch_script"),
            &format!(
                "Failed to execute '{}': File does not exist.",
                path.display()
            ),
        );
        return Outcome::NotFound;
    }
    let dirs = &ctx.sys.conf.dirs;
    let mut cmd = tokio::process::Command::new(&path);
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .env("AST_CONFIG_DIR", &dirs.etc)
        .env("AST_CONFIG_FILE", &dirs.config_file)
        .env("AST_MODULE_DIR", &dirs.modules)
        .env("AST_SPOOL_DIR", &dirs.spool)
        .env("AST_MONITOR_DIR", dirs.monitor())
        .env("AST_VAR_DIR", &dirs.var_lib)
        .env("AST_DATA_DIR", &dirs.data)
        .env("AST_LOG_DIR", &dirs.log)
        .env("AST_AGI_DIR", &dirs.agi)
        .env("AST_KEY_DIR", &dirs.keys)
        .env("AST_RUN_DIR", &dirs.run)
        .kill_on_drop(false);
    let audio = if enhanced {
        match AudioPipe::new() {
            Ok(p) => Some(p),
            Err(e) => {
                ctx.warning(
                    crate::site!("res_agi.c", 2405, "launch_script"),
                    &format!("unable to create audio pipe: {e}"),
                );
                return Outcome::Failure;
            }
        }
    } else {
        None
    };
    // Without EAGI nothing reaches fd 3: every descriptor of ours is
    // close-on-exec.
    if let Some(fd) = audio.as_ref().map(|a| a.read_fd()) {
        // SAFETY: between fork and exec only dup2(2) and fcntl(2), both
        // async-signal-safe, on a descriptor this process owns.
        unsafe {
            cmd.pre_exec(move || {
                if fd == 3 {
                    // dup2 onto itself would keep close-on-exec.
                    let flags = libc::fcntl(3, libc::F_GETFD);
                    libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
                } else if libc::dup2(fd, 3) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            // Asterisk's child reports this and the parent sees "failure".
            ctx.verbose(
                1,
                crate::site!("res_agi.c", 2470, "launch_script"),
                &format!("Failed to execute '{}': {e}", path.display()),
            );
            return Outcome::Failure;
        }
    };
    ctx.verbose(
        3,
        crate::site!("res_agi.c", 2474, "launch_script"),
        &format!("Launched AGI Script {}", path.display()),
    );
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.start_kill();
        return Outcome::Failure;
    };
    let pid = child.id();
    // The caller's audio goes to the script while it runs.
    if let Some(a) = audio {
        let writer = a.into_writer();
        ctx.chan
            .set_tap(Some(Box::new(move |f: &crate::media::AudioFrame| {
                writer.write_slin(&f.to_slin());
            })));
    }
    let mut agi = Agi::new(ctx, Some(Box::new(stdin)));
    let mut reader = BufReader::new(stdout);
    // agi_request is the script as AGI() was given it.
    let mut outcome = run_agi(
        &mut agi,
        &mut reader,
        script,
        args,
        dead,
        enhanced,
        Peer::Script(pid),
    )
    .await;
    if enhanced {
        ctx.chan.set_tap(None);
    }
    // Closing its stdin tells the script we are done; its exit status
    // counts only when the session itself succeeded.
    drop(agi);
    drop(reader);
    match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(st)) if !st.success() && outcome == Outcome::Success => {
            outcome = Outcome::Failure;
        }
        Ok(_) => {}
        Err(_) => {
            // Still running: leave it to finish on its own, reaped in
            // the background.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
        }
    }
    outcome
}

/// EAGI's audio pipe: the script reads the caller's audio (8 kHz signed
/// linear) on its fd 3; writes never block (a script that does not read
/// loses audio, as with Asterisk's non-blocking pipe).
struct AudioPipe {
    read: std::os::fd::OwnedFd,
    write: std::os::fd::OwnedFd,
}

struct AudioWriter(std::os::fd::OwnedFd);

impl AudioPipe {
    fn new() -> std::io::Result<AudioPipe> {
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the two-element array it is given.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are owned here.
        let (read, write) = unsafe {
            (
                std::os::fd::OwnedFd::from_raw_fd(fds[0]),
                std::os::fd::OwnedFd::from_raw_fd(fds[1]),
            )
        };
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor owned here.
        unsafe {
            let flags = libc::fcntl(write.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(write.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Ok(AudioPipe { read, write })
    }

    fn read_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.read.as_raw_fd()
    }

    /// The writing end; the reading end closes here (the child has its
    /// copy).
    fn into_writer(self) -> AudioWriter {
        AudioWriter(self.write)
    }
}

impl AudioWriter {
    fn write_slin(&self, samples: &[i16]) {
        use std::os::fd::AsRawFd;
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_ne_bytes()).collect();
        // SAFETY: writes from a live buffer to a descriptor owned here;
        // a full pipe (EAGAIN) drops the frame.
        unsafe {
            libc::write(self.0.as_raw_fd(), bytes.as_ptr().cast(), bytes.len());
        }
    }
}

/// The AsyncAGI command queues, by channel (Asterisk keeps one in a
/// datastore on the channel, created on the first AsyncAGI and kept
/// until the channel goes).
struct AsyncQueue {
    chan: Weak<Channel>,
    commands: std::collections::VecDeque<(String, String)>,
}

static ASYNC: LazyLock<Mutex<HashMap<String, AsyncQueue>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn async_queues() -> std::sync::MutexGuard<'static, HashMap<String, AsyncQueue>> {
    ASYNC.lock().unwrap_or_else(|p| p.into_inner())
}

/// `add_to_agi`: the channel may take AsyncAGI commands from now on.
fn add_to_agi(chan: &Arc<Channel>) {
    let mut q = async_queues();
    q.retain(|_, v| v.chan.strong_count() > 0);
    q.entry(chan.uniqueid.clone())
        .or_insert_with(|| AsyncQueue {
            chan: Arc::downgrade(chan),
            commands: Default::default(),
        });
}

/// `add_agi_cmd`: queues a command for the channel's AsyncAGI; `false`
/// when the channel has never been in AsyncAGI.
pub fn add_agi_cmd(chan: &Channel, command: &str, id: &str) -> bool {
    let mut q = async_queues();
    match q.get_mut(&chan.uniqueid) {
        Some(entry) => {
            entry
                .commands
                .push_back((command.to_string(), id.to_string()));
            drop(q);
            chan.wake();
            true
        }
        None => false,
    }
}

fn next_agi_cmd(chan: &Channel) -> Option<(String, String)> {
    async_queues()
        .get_mut(&chan.uniqueid)
        .and_then(|e| e.commands.pop_front())
}

/// `ast_uri_encode` with `ast_uri_http`: letters, digits and `-_.!~*'()`
/// kept, everything else as `%XX`.
pub fn uri_encode_http(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `launch_asyncagi`: announces the channel to manager clients and runs
/// the commands they queue with the `AGI` action until `ASYNCAGI BREAK`
/// or a hangup.
async fn run_async(ctx: &AppCtx, args: &[String]) -> Outcome {
    let chan = ctx.chan.clone();
    add_to_agi(&chan);
    let mut agi = Agi::new(ctx, None);
    agi.send_env("async", false, args).await;
    let env = std::mem::take(&mut agi.collected);
    chan.emit(EventKind::Manager {
        class: class::AGI,
        name: "AsyncAGIStart".into(),
        body: format!("Env: {}\r\n", uri_encode_http(&env)),
    });
    let mut hungup = chan.check_hangup();
    let status = 'outer: loop {
        while !hungup {
            let Some((command, id)) = next_agi_cmd(&chan) else {
                break;
            };
            let res = agi.handle(&command, false).await;
            let reply = std::mem::take(&mut agi.collected);
            let mut body = format!("Result: {}\r\n", uri_encode_http(&reply));
            if !id.is_empty() {
                body.push_str(&format!("CommandId: {id}\r\n"));
            }
            chan.emit(EventKind::Manager {
                class: class::AGI,
                name: "AsyncAGIExec".into(),
                body,
            });
            hungup = chan.check_hangup();
            match res {
                Outcome::Failure if !hungup => break 'outer Outcome::Failure,
                Outcome::SuccessAsync => break 'outer Outcome::SuccessAsync,
                _ => {}
            }
        }
        if hungup {
            break Outcome::Hangup;
        }
        // Woken by a queued command (add_agi_cmd wakes the channel) or a
        // hangup; digits are read and dropped meanwhile.
        let r = chan
            .wait_for(|c| {
                while c
                    .take_digit(crate::channels::media::DigitReader::EndsOnly)
                    .is_some()
                {}
                async_queues()
                    .get(&c.uniqueid)
                    .is_some_and(|e| !e.commands.is_empty())
            })
            .await;
        if r.is_err() {
            hungup = true;
        }
    };
    chan.emit(EventKind::Manager {
        class: class::AGI,
        name: "AsyncAGIEnd".into(),
        body: String::new(),
    });
    match status {
        Outcome::Success => Outcome::SuccessAsync,
        s => s,
    }
}

/// A session for tests and tools: runs `lines` as one script would, on
/// `ctx`'s channel, and returns everything sent back.
pub async fn run_lines(ctx: &AppCtx, lines: &[&str], dead: bool) -> String {
    let mut agi = Agi::new(ctx, None);
    for l in lines {
        agi.handle(l, dead).await;
    }
    agi.collected
}

#[cfg(test)]
mod tests;
