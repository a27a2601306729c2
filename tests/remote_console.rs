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
