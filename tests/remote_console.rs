//! Remote consoles (`asterisk -r`, `-rvvv`), as Asterisk 20.20.1 runs them:
//! each connection is a console with its own verbose level, muted until
//! its client unmutes it; log lines reach it up to its level, verbose ones
//! marked with the byte `-(level + 1)`; `core set verbose` typed there
//! changes only that console.

mod common;
use common::*;

use std::io::{BufRead, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The office config plus a context whose call logs at levels 1 and 3 and
/// a warning.
fn start() -> (tempfile::TempDir, Daemon) {
    let dir = config_copy("office");
    let ext = dir.path().join("extensions.conf");
    let mut text = std::fs::read_to_string(&ext).expect("read");
    text.push_str(
        "\n[rc-sites]\nexten => s,1,Log(NOTICE,log-here)\n same => n,NoSuchApp(x)\nexten => g,1,Goto()\nexten => d,1,Dial(SIP/12345)\n",
    );
    text.push_str("\n[rc-wait]\nexten => s,1,Wait(5)\n");
    text.push_str(
        "\n[rc-test]\nexten => s,1,Verbose(1,level-one-here)\n same => n,Verbose(3,level-three-here)\n same => n,Verbose(1,\x1b[31mcolour-here\x1b[0m)\n same => n,Log(WARNING,warn-here)\n same => n,Verbose(1,rc-done)\n same => n,Hangup()\n",
    );
    std::fs::write(&ext, text).expect("write");
    // Consoles of several daemons run at once: each SIP stack its own port.
    move_ports(dir.path(), &["sip.conf"], &[("5060", free_udp_port())]);
    let d = Daemon::start(dir.path());
    (dir, d)
}

/// A console speaking the socket protocol; `handshake` is what the client
/// sends first (Asterisk's `-rvvv` sends the level and unmutes itself).
fn console(socket: &Path, handshake: &[&str]) -> UnixStream {
    let mut s = UnixStream::connect(socket).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut byte = [0u8; 1];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match s.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => break,
            Ok(1) => {}
            _ => assert!(Instant::now() < deadline, "no greeting"),
        }
    }
    for cmd in handshake {
        s.write_all(cmd.as_bytes()).expect("send");
        s.write_all(b"\0").expect("send");
    }
    s
}

/// Reads until `done` says so or `within` passes; returns what came.
fn read_until(s: &mut UnixStream, within: Duration, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !done(&got) && Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    got
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Sends one command on a console and returns its reply (the lines that
/// are not log lines), waiting for `expect_end`.
fn command(s: &mut UnixStream, cmd: &str, expect_end: &str) -> String {
    s.write_all(cmd.as_bytes()).expect("send");
    s.write_all(b"\0").expect("send");
    let got = read_until(s, Duration::from_secs(10), |g| {
        String::from_utf8_lossy(g).ends_with(expect_end)
    });
    String::from_utf8_lossy(&got)
        .split_inclusive('\n')
        .filter(|l| !l.starts_with('\u{fffd}') && !l.starts_with('['))
        .collect()
}

#[test]
fn each_console_gets_log_lines_up_to_its_own_level() {
    let (dir, d) = start();
    let socket = dir.path().join("var/run/asterisk.ctl");
    let mut high = console(
        &socket,
        &["core set verbose atleast 3 silent", "logger mute silent"],
    );
    let mut low = console(
        &socket,
        &["core set verbose atleast 1 silent", "logger mute silent"],
    );
    // Never unmuted: as an `-rx` connection, it gets nothing.
    let mut muted = console(&socket, &["core set verbose atleast 5 silent"]);
    std::thread::sleep(Duration::from_millis(300));

    assert_eq!(
        d.rx("channel originate Local/s@rc-test application Wait 1"),
        ""
    );
    let got = read_until(&mut high, Duration::from_secs(15), |g| {
        contains(g, b"\xferc-done\n")
    });
    // Level 3 is marked -4 (0xfc), level 1 -2 (0xfe).
    assert!(
        contains(&got, b"\xfclevel-three-here\n"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    assert!(contains(&got, b"\xfelevel-one-here\n"));
    assert!(contains(&got, b"\xfcExecuting [s@rc-test:1] Verbose("));
    // Consoles keep terminal colours; the log file loses them (term_strip).
    // (No `;` in the escape: it would start a comment in extensions.conf.)
    assert!(contains(&got, b"\xfe\x1b[31mcolour-here\x1b[0m\n"));
    let log = std::fs::read_to_string(dir.path().join("var/log/messages.log")).expect("log");
    assert!(log.contains(" app_verbose.c: colour-here\n"), "{log}");
    assert!(!log.contains('\x1b'), "{log}");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.lines()
            .any(|l| l.starts_with('[') && l.contains("] WARNING[") && l.ends_with(": warn-here")),
        "{text}"
    );

    let got = read_until(&mut low, Duration::from_secs(10), |g| {
        contains(g, b"\xferc-done\n")
    });
    assert!(contains(&got, b"\xfelevel-one-here\n"), "{got:?}");
    assert!(contains(&got, b"] WARNING["));
    assert!(!contains(&got, b"level-three-here"), "{got:?}");
    assert!(!got.contains(&0xfc), "{got:?}");

    let got = read_until(&mut muted, Duration::from_millis(500), |_| false);
    assert!(got.is_empty(), "{got:?}");
}

/// Warnings reach a remote console naming the C file, line and function
/// Asterisk 20.20.1 logs them from (main/pbx.c: line 2958 in
/// pbx_extension_helper, line 8931 in pbx_parseable_goto); Log() names the
/// extension, priority and context instead.
#[test]
fn console_lines_name_where_asterisk_logs_from() {
    let (dir, d) = start();
    let socket = dir.path().join("var/run/asterisk.ctl");
    let mut c = console(&socket, &["logger mute silent"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        d.rx("channel originate Local/s@rc-sites application Wait 1"),
        ""
    );
    assert_eq!(
        d.rx("channel originate Local/g@rc-sites application Wait 1"),
        ""
    );
    assert_eq!(
        d.rx("channel originate Local/d@rc-sites application Wait 1"),
        ""
    );
    let got = read_until(&mut c, Duration::from_secs(15), |g| {
        contains(g, b"pbx_parseable_goto")
            && contains(g, b"pbx_extension_helper")
            && contains(g, b"dial_exec_full")
    });
    let text = String::from_utf8_lossy(&got);
    let line = |tail: &str| {
        text.lines()
            .find(|l| l.ends_with(tail))
            .unwrap_or_else(|| panic!("no line ending {tail:?} in {text}"))
            .to_string()
    };
    let l = line(": Ext. s:1 @ rc-sites: log-here");
    assert!(l.starts_with('[') && l.contains("] NOTICE["), "{l}");
    let l = line(
        ": pbx.c:2958 pbx_extension_helper: No application 'NoSuchApp' for extension (rc-sites, s, 2)",
    );
    assert!(l.contains("] WARNING["), "{l}");
    let l = line(
        ": pbx.c:8931 pbx_parseable_goto: Goto requires an argument ([[context,]extension,]priority)",
    );
    assert!(l.contains("] WARNING["), "{l}");
    // Dial to a number that is no peer: chan_sip refuses it, app_dial
    // notes the failure.
    let l = line(
        ": chan_sip.c:6386 create_addr: Purely numeric hostname (12345), and not a peer--rejecting!",
    );
    assert!(l.contains("] WARNING["), "{l}");
    let l = line(
        ": app_dial.c:2802 dial_exec_full: Unable to create channel of type 'SIP' (cause 20 - Subscriber absent)",
    );
    assert!(l.contains("] NOTICE["), "{l}");
}

#[test]
fn core_set_verbose_changes_only_this_console() {
    let (dir, d) = start();
    let socket = dir.path().join("var/run/asterisk.ctl");
    let mut a = console(&socket, &["logger mute silent"]);
    let mut b = console(
        &socket,
        &["core set verbose atleast 1 silent", "logger mute silent"],
    );
    assert_eq!(
        command(&mut a, "core set verbose 3", "now 3.\n"),
        "Console verbose was OFF and is now 3.\n"
    );
    assert_eq!(
        command(&mut a, "core set verbose 3", "still 3.\n"),
        "Console verbose is still 3.\n"
    );
    assert_eq!(
        command(&mut a, "core set verbose atleast 2", "still 3.\n"),
        "Console verbose is still 3.\n"
    );
    assert_eq!(
        command(&mut b, "core set verbose atleast 2", "now 2.\n"),
        "Console verbose was 1 and is now 2.\n"
    );
    assert_eq!(
        command(&mut a, "logger mute", "muted.\n"),
        "Console is muted.\n"
    );
    assert_eq!(
        command(&mut a, "logger mute", "anymore.\n"),
        "Console is not muted anymore.\n"
    );
    assert_eq!(
        command(&mut a, "core set verbose off", "now OFF.\n"),
        "Console verbose was 3 and is now OFF.\n"
    );
    // `-rx` is a console of its own that starts at OFF and goes away.
    assert_eq!(
        d.rx("core set verbose 3"),
        "Console verbose was OFF and is now 3.\n"
    );
    // It starts muted, so the toggle unmutes it.
    assert_eq!(d.rx("logger mute"), "Console is not muted anymore.\n");
    assert_eq!(
        command(&mut b, "core set verbose atleast 1", "still 2.\n"),
        "Console verbose is still 2.\n"
    );
}

/// The `-r` client itself: the greeting line, then the daemon's verbose
/// lines with Asterisk's prefixes, at the `-v` level it asked for.
#[test]
fn rvvv_client_shows_prefixed_verbose_lines() {
    let (_dir, d) = start();
    let mut child = std::process::Command::new(binary())
        .arg("-C")
        .arg(&d.conf)
        .arg("-rvvvn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn -r");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines: Vec<String> = Vec::new();
    let wait_for = |lines: &mut Vec<String>, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !lines.iter().any(|l| l.contains(what)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => lines.push(l),
                Err(_) => panic!("no '{what}' in {lines:#?}"),
            }
        }
    };
    wait_for(&mut lines, "Connected to Asterisk ");
    let connected = lines
        .iter()
        .find(|l| l.starts_with("Connected to Asterisk "))
        .expect("greeting");
    assert!(connected.contains(" currently running on "), "{connected}");
    // Give the client's handshake time to arrive.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        d.rx("channel originate Local/s@rc-test application Wait 1"),
        ""
    );
    wait_for(&mut lines, "rc-done");
    let clean = |l: &String| l.trim_start_matches("\r\x1b[0K").to_string();
    let lines: Vec<String> = lines.iter().map(clean).collect();
    assert!(
        lines.iter().any(|l| l == "    -- level-three-here"),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l == " level-one-here"), "{lines:#?}");
    let stdin = child.stdin.as_mut().expect("stdin");
    stdin.write_all(b"quit\n").expect("quit");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("-r did not quit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `asterisk -r` with its stdout and stderr read line by line.
struct Client {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Client {
    fn spawn(conf: &Path, flags: &str, history: &Path) -> Client {
        let mut child = std::process::Command::new(binary())
            .arg("-C")
            .arg(conf)
            .arg(flags)
            .env("ASTERISM_HISTORY_FILE", history)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn -r");
        let (tx, rx) = mpsc::channel::<String>();
        for out in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Client {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    fn wait_for(&mut self, what: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.seen.iter().any(|l| l.contains(what)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => panic!("no '{what}' in {:#?}", self.seen),
            }
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(line.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
    }

    fn wait_exit(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the console did not end: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(l);
        }
    }
}

/// The daemon's side of tab completion: `_command matchesarray`
/// answers with the common prefix, each candidate and `_EOF_`, as
/// `ast_cli_completion_vector` builds them.
#[test]
fn completion_answers_like_asterisk() {
    let (_dir, d) = start();
    let ask =
        |line: &str, word: &str| d.rx(&format!("_command matchesarray \"{line}\" \"{word}\""));
    assert_eq!(ask("core show ver", "ver"), "version version _EOF_");
    assert_eq!(ask("CORE SHOW VER", "VER"), "version version _EOF_");
    // Alternatives of an optional word, and commands that go on.
    assert_eq!(ask("core show channels c", "c"), "co concise count _EOF_");
    assert_eq!(ask("core show ch", "ch"), "channel channel channels _EOF_");
    // Once the command is typed, its generator: contexts, peers, states.
    assert_eq!(
        ask("dialplan show rc-", "rc-"),
        "rc- rc-sites rc-test rc-wait _EOF_"
    );
    assert_eq!(
        ask("devstate change Custom:x RING", "RING"),
        "RINGIN RINGING RINGINUSE _EOF_"
    );
    assert_eq!(
        ask("core show function TOU", "TOU"),
        "TOUPPER TOUPPER _EOF_"
    );
    assert_eq!(
        ask("core show help dialplan show g", "g"),
        "globals globals _EOF_"
    );
    // A channel name at `channel request hangup`, after "all".
    assert_eq!(
        d.rx("channel originate Local/s@rc-wait application Wait 5"),
        ""
    );
    let answer = ask("channel request hangup ", "");
    assert!(answer.starts_with(" all Local/s@rc-wait-"), "{answer}");
    assert!(answer.ends_with(";2 _EOF_"), "{answer}");
    // Nothing matches: only the mark.
    assert_eq!(ask("nosuch", "nosuch"), "_EOF_");
    // Hidden commands are never offered.
    assert!(!ask("", "").contains("_command"));
}

/// `core show help`: one line a command, as Asterisk's list (the command
/// column in the same order as Asterisk 20.20.1's for the commands both
/// have); with a topic, the command's usage or the commands it begins.
#[test]
fn core_show_help_lists_commands() {
    let (_dir, d) = start();
    let golden = common::golden(
        &repo().join("golden/asterisk-20.20.1/cli/syntax.txt"),
        "core show help",
    );
    let command_of = |l: &str| -> String {
        match l.find(" -- ") {
            Some(i) => l[..i].trim_end().to_string(),
            None => panic!("not a help line: {l:?}"),
        }
    };
    let asterisk: Vec<String> = golden.lines().map(command_of).collect();
    let ours = d.rx("core show help");
    let mut listed = Vec::new();
    for l in ours.lines() {
        let cmd = command_of(l);
        // `%-30s -- %s`
        if cmd.len() < 30 {
            assert_eq!(&l[30..34], " -- ", "{l:?}");
        }
        assert!(l.len() > cmd.len() + 4, "no summary: {l:?}");
        listed.push(cmd);
    }
    assert!(listed.contains(&"core show help".to_string()));
    assert!(listed.contains(&"!".to_string()));
    let shared: Vec<&String> = listed.iter().filter(|c| asterisk.contains(c)).collect();
    let in_asterisk_order: Vec<&String> = asterisk.iter().filter(|c| listed.contains(c)).collect();
    assert_eq!(shared, in_asterisk_order);
    assert!(shared.len() > 50, "{shared:?}");
    assert!(
        d.rx("core show help sip show")
            .lines()
            .all(|l| l.starts_with("sip show "))
    );
    assert_eq!(
        d.rx("core show help core show channel"),
        "Usage: core show channel <channel>\n       Shows everything known about one channel.\n"
    );
    assert_eq!(
        d.rx("core show help no such thing"),
        "No such command 'no such thing'.\n"
    );
}

/// On a terminal: the `<host>*CLI> ` prompt, Tab completes a command, the
/// command's output, `!` runs a shell command here, `exit` leaves with
/// Asterisk's goodbye, and the history file is editline's.
#[test]
fn terminal_console_prompt_completion_and_history() {
    let (dir, d) = start();
    let history = dir.path().join("history");
    std::fs::write(&history, "_HiStOrY_V2_\ncore\\040show\\040uptime\n").expect("history");
    let command = format!("{} -C {} -rn", binary(), d.conf.display());
    let mut child = std::process::Command::new("script")
        .args(["-qfc", &command, "/dev/null"])
        .env("ASTERISM_HISTORY_FILE", &history)
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen: Vec<u8> = Vec::new();
    let mut wait_for = |what: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !contains(&screen, what.as_bytes()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(b) => screen.extend_from_slice(&b),
                Err(_) => panic!("no {what:?} in {:?}", String::from_utf8_lossy(&screen)),
            }
        }
        String::from_utf8_lossy(&screen).into_owned()
    };
    let stdin = child.stdin.as_mut().expect("stdin");
    let text = wait_for("*CLI> ");
    let host = text
        .split("currently running on ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("greeting")
        .to_string();
    assert!(text.contains(&format!("{host}*CLI> ")), "{text}");
    stdin.write_all(b"core show ver\t").expect("type");
    wait_for("core show version ");
    stdin.write_all(b"\r").expect("enter");
    wait_for(" built by ");
    stdin.write_all(b"!echo shell-$((6*7))\r").expect("bang");
    wait_for("shell-42");
    stdin.write_all(b"exit\r").expect("exit");
    let text = wait_for("Executing last minute cleanups");
    assert!(text.contains("Asterisk cleanly ending (0)."), "{text}");
    let _ = child.wait();
    let saved = std::fs::read_to_string(&history).expect("history written");
    assert_eq!(
        saved,
        "_HiStOrY_V2_\ncore\\040show\\040uptime\ncore\\040show\\040version\\040\n!echo\\040shell-$((6*7))\nexit\n"
    );
}

/// Without `-R` the console ends when the daemon goes; with `-R` it
/// tries again for 30 seconds and carries on with the new daemon.
#[test]
fn consoles_follow_the_daemon_going_away() {
    let (dir, mut d) = start();
    let history = dir.path().join("history");
    let mut plain = Client::spawn(&d.conf, "-rn", &history);
    let mut again = Client::spawn(&d.conf, "-Rn", &history);
    plain.wait_for("Connected to Asterisk ", Duration::from_secs(10));
    again.wait_for("Connected to Asterisk ", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(d.rx("core stop now"), "");
    assert!(d.wait_exit(Duration::from_secs(15)), "daemon did not stop");
    plain.wait_for("Disconnected from Asterisk server", Duration::from_secs(10));
    plain.wait_exit();
    assert!(
        plain
            .seen
            .iter()
            .any(|l| l == "Asterisk cleanly ending (0)."),
        "{:#?}",
        plain.seen
    );
    again.wait_for(
        "Attempting to reconnect for 30 seconds",
        Duration::from_secs(10),
    );
    let d2 = Daemon::start(dir.path());
    again.wait_for("Reconnect succeeded after ", Duration::from_secs(20));
    let line = again
        .seen
        .iter()
        .find(|l| l.starts_with("Reconnect succeeded after "))
        .expect("line");
    assert!(line.ends_with(" seconds"), "{line}");
    // The reconnected console works: its command reaches the new daemon.
    again.send("core show version");
    again.wait_for(" built by ", Duration::from_secs(10));
    again.send("quit");
    again.wait_exit();
    drop(d2);
}

/// Each control-socket connection is announced at verbose level 3 on the
/// other consoles ("Remote UNIX connection", then "... disconnected"),
/// unless asterisk.conf says `hideconnect`.
#[test]
fn connections_are_announced_unless_hidden() {
    let (dir, d) = start();
    let mut watcher = console(
        &dir.path().join("var/run/asterisk.ctl"),
        &["core set verbose atleast 3 silent", "logger mute silent"],
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(d.rx("core show version").contains(" built by "));
    let got = read_until(&mut watcher, Duration::from_secs(5), |g| {
        contains(g, b"Remote UNIX connection disconnected\n")
    });
    assert!(contains(&got, b"Remote UNIX connection\n"), "{got:?}");
    assert!(
        contains(&got, b"Remote UNIX connection disconnected\n"),
        "{got:?}"
    );
    drop(watcher);
    drop(d);

    let conf = dir.path().join("asterisk.conf");
    let text = std::fs::read_to_string(&conf).expect("asterisk.conf");
    std::fs::write(
        &conf,
        text.replace("[options]", "[options]\nhideconnect = yes"),
    )
    .expect("write");
    let d = Daemon::start(dir.path());
    let mut watcher = console(
        &dir.path().join("var/run/asterisk.ctl"),
        &["core set verbose atleast 3 silent", "logger mute silent"],
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(d.rx("core show version").contains(" built by "));
    let got = read_until(&mut watcher, Duration::from_secs(1), |_| false);
    assert!(!contains(&got, b"Remote UNIX"), "{got:?}");
}

/// The tests' port mover (their shared helper): a new port that contains a
/// later port to move is not rewritten again.
#[test]
fn moved_ports_are_not_moved_twice() {
    let text = "port=5060\nbindport=5070\nhost=127.0.0.1:5060\n";
    assert_eq!(
        replace_all_at_once(text, &[("5060", 45070), ("5070", 34807)]),
        "port=45070\nbindport=34807\nhost=127.0.0.1:45070\n"
    );
}
