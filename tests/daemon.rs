//! The daemon's life cycle: pid file and control socket, reload semantics
//! (a broken file keeps the last good configuration), stop.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn broken_reload_keeps_last_good_dialplan() {
    let dir = config_copy("office");
    let d = Daemon::start(dir.path());
    let run = dir.path().join("var/run");
    let pid = std::fs::read_to_string(run.join("asterisk.pid")).expect("pid file");
    assert!(pid.trim().parse::<u32>().is_ok(), "{pid}");
    assert!(run.join("asterisk.ctl").exists());

    let before = d.rx("dialplan show svi_1");
    assert!(
        before.starts_with("[ Context 'svi_1' created by 'pbx_config' ]\n"),
        "{before}"
    );

    let ext = dir.path().join("extensions.conf");
    let good = std::fs::read_to_string(&ext).expect("read");
    std::fs::write(&ext, format!("{good}\n  [unclosed\nexten => 1,1,NoOp\n")).expect("write");
    let lines = good.lines().count();
    let out = d.rx("dialplan reload");
    let place = format!(
        "extensions.conf:{}:12: expected ']' to close the category name",
        lines + 2
    );
    assert!(out.contains(&place), "{out}");
    assert!(out.contains("previous configuration stays in use"), "{out}");
    assert_eq!(d.rx("dialplan show svi_1"), before);

    std::fs::write(
        &ext,
        good.replace(
            "exten => t,1,Hangup()",
            "exten => t,1,Hangup()\nexten => 3,1,Hangup()",
        ),
    )
    .expect("write");
    assert_eq!(d.rx("dialplan reload"), "Dialplan reloaded.\n");
    assert!(d.rx("dialplan show svi_1").contains("  '3' =>  "));

    assert_eq!(
        d.rx("module reload chan_sip.so"),
        "Module 'chan_sip.so' reloaded successfully.\n"
    );
    assert_eq!(
        d.rx("module reload nosuch.so"),
        "No such module 'nosuch.so'\n"
    );
    std::fs::write(
        dir.path().join("sip.conf"),
        "[general]\nbindport=5060\nnocategory\n[x\n",
    )
    .expect("write");
    let out = d.rx("module reload chan_sip");
    assert!(
        out.starts_with("The module 'chan_sip' reported a reload failure\n"),
        "{out}"
    );
    assert!(out.contains("sip.conf:4:3: expected ']'"), "{out}");
}

#[test]
fn stop_now_removes_pid_and_socket() {
    let dir = config_copy("office");
    let mut d = Daemon::start(dir.path());
    assert_eq!(d.rx("core stop now"), "");
    assert!(d.wait_exit(Duration::from_secs(10)), "daemon kept running");
    let run = dir.path().join("var/run");
    assert!(!run.join("asterisk.pid").exists());
    assert!(!run.join("asterisk.ctl").exists());
}

#[test]
fn remote_without_daemon_says_so() {
    let dir = config_copy("office");
    let out = std::process::Command::new(binary())
        .arg("-C")
        .arg(dir.path().join("asterisk.conf"))
        .args(["-rx", "core show version"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("Unable to connect to remote asterisk (does "),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("var/run/asterisk.ctl exist?)"),
        "{err}"
    );
}

#[test]
fn check_config_reports_with_places_and_fails_on_syntax_errors() {
    let dir = config_copy("syntax");
    let conf = dir.path().join("asterisk.conf");
    let out = std::process::Command::new(binary())
        .args(["check-config", "-C"])
        .arg(&conf)
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files = report["files"].as_array().expect("files");
    assert!(files.iter().any(|f| {
        f.as_str()
            .is_some_and(|f| f.ends_with("extensions.d/10-extra.conf"))
    }));
    let apps = report["applications"].as_array().expect("apps");
    let dial = apps
        .iter()
        .find(|a| a["name"] == "Dial")
        .expect("Dial listed");
    assert!(
        dial["places"][0]
            .as_str()
            .is_some_and(|p| p.ends_with("extensions.conf:19")),
        "{dial}"
    );
    let wait = apps
        .iter()
        .find(|a| a["name"] == "Wait,1")
        .expect("old comma syntax listed");
    assert_eq!(wait["support"], "unknown");

    std::fs::write(dir.path().join("voicemail.conf"), "[general]\n[default\n").expect("write");
    let out = std::process::Command::new(binary())
        .args(["check-config", "-C"])
        .arg(&conf)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("voicemail.conf:2:9: expected ']' to close the category name"),
        "{text}"
    );
}

/// A remote console (`-r`) sees the console log once it asks for it, as
/// Asterisk's client does on connecting: verbose messages marked with
/// Asterisk's level byte (`-(level + 1)`), which the console turns into the
/// `    -- ` prefix; `-rx` output stays free of them. More in
/// tests/remote_console.rs.
#[test]
fn remote_console_gets_verbose_messages() {
    use std::io::{Read, Write};
    // The office config has a console log channel (the dialplan one has
    // none, and then Asterisk's consoles get nothing either).
    let dir = config_copy("office");
    let d = Daemon::start(dir.path());
    let socket = dir.path().join("var/run/asterisk.ctl");
    let mut console = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    console
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let mut greeting = [0u8; 1];
    while console.read(&mut greeting).expect("greeting") == 1 && greeting[0] != b'\n' {}
    console
        .write_all(b"core set verbose atleast 3 silent\0logger mute silent\0")
        .expect("attach");
    std::thread::sleep(std::time::Duration::from_millis(200));
    // `;1` waits, so `;2` is still up when Playback answers it (Asterisk
    // then gives media half a second to flow before playing).
    assert_eq!(
        d.rx("channel originate Local/*77@services application Wait 2"),
        ""
    );
    // Playback(beep) logs its file at level 3, or warns (a plain log
    // line) when the prompts are not installed.
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let done = |g: &[u8]| {
        let t = String::from_utf8_lossy(g);
        t.contains("Playing 'beep.") || t.contains("] WARNING[")
    };
    while !done(&got) {
        let n = console.read(&mut buf).expect("console log");
        assert!(n > 0, "console closed");
        got.extend_from_slice(&buf[..n]);
    }
    // Level 3 is marked -4 (0xfc).
    let marked = [&[0xfcu8][..], b"Executing [*77@services:1] Set("].concat();
    assert!(got.windows(marked.len()).any(|w| w == marked.as_slice()));
}

/// Commands of modules that modules.conf does not load do not exist, as in
/// Asterisk 20.20.1 (`golden/…/cli/noload.txt`, captured on the dialplan
/// config, which noloads chan_sip and res_pjsip).
#[test]
fn noloaded_modules_have_no_commands() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    let golden = golden_blocks(&repo().join("golden/asterisk-20.20.1/cli/noload.txt"));
    assert_eq!(golden.len(), 4);
    for (cmd, expected) in golden {
        assert_eq!(d.rx(&cmd), expected, "{cmd}");
    }
}
