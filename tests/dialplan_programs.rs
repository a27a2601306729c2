//! Dialplan programs on Local channels, run by the real daemon, compared
//! with what Asterisk 20.20.1 did with the same config: the executed
//! application trace in the `full` log and the globals the programs leave.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// Lines of the `full` log from the first call on, normalised as the golden
/// file is (date, thread id).
fn call_lines(log: &str) -> Vec<String> {
    let date_tid = regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\]").expect("regex");
    let mut started = false;
    let mut out = Vec::new();
    for line in log.lines() {
        if line.contains("dial.c: Called") {
            started = true;
        }
        // The golden log has no control-socket lines (asterisk.c's "Remote
        // UNIX connection"): how many -rx connections there are is the
        // harness's own polling, not the program's.
        if started && !line.contains("asterisk.c: Remote UNIX connection") {
            out.push(date_tid.replace(line, "[DATE] $1[TID]").into_owned());
        }
    }
    out
}

/// Lines of one call (by call id), and the dial.c lines that have none:
/// each stream is ordered, the two may interleave differently run to run.
fn streams(lines: &[String]) -> (Vec<String>, Vec<String>) {
    lines.iter().cloned().partition(|l| l.contains("][C-"))
}

fn wait_idle(d: &Daemon) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = d.rx("core show channels count");
        if out.starts_with("0 active channels\n") {
            return;
        }
        assert!(Instant::now() < deadline, "channels did not finish: {out}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn programs_match_asterisk_trace_and_globals() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    let golden_dir = repo().join("golden/asterisk-20.20.1/dialplan");
    let cmds = std::fs::read_to_string(golden_dir.join("programs.cmds")).expect("cmds");
    for cmd in cmds.lines().filter(|l| !l.trim().is_empty()) {
        assert_eq!(d.rx(cmd), "", "{cmd}");
        wait_idle(&d);
    }
    let expected = std::fs::read_to_string(golden_dir.join("programs.log")).expect("golden");
    let expected: Vec<String> = expected
        .lines()
        .filter(|l| !l.starts_with(';'))
        .map(str::to_string)
        .collect();
    let log = std::fs::read_to_string(dir.path().join("var/log/full")).expect("full log");
    let got = call_lines(&log);
    let (exp_calls, exp_dial) = streams(&expected);
    let (got_calls, got_dial) = streams(&got);
    assert_eq!(got_calls.join("\n"), exp_calls.join("\n"));
    assert_eq!(got_dial.join("\n"), exp_dial.join("\n"));

    let globals = golden(&golden_dir.join("globals.txt"), "dialplan show globals");
    assert_eq!(d.rx("dialplan show globals"), globals);
}

#[test]
fn channels_listing_while_a_call_runs() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    assert_eq!(
        d.rx("channel originate Local/s@t-wait application Wait 10"),
        ""
    );
    std::thread::sleep(Duration::from_millis(700));
    // Asterisk 20.20.1 printed exactly this for the same call.
    let expected = "Channel                                                          Location                         State   Application(Data)             \n\
Local/s@t-wait-00000000;1                                        s@t-wait:1                       Up      Wait(10)                      \n\
Local/s@t-wait-00000000;2                                        s@t-wait:3                       Up      Wait(3)                       \n\
2 active channels\n1 active call\n1 call processed\n";
    assert_eq!(d.rx("core show channels"), expected);
    let concise = d.rx("core show channels concise");
    let uid = regex::Regex::new(r"!\d+\.\d+\n").expect("regex");
    assert_eq!(
        uid.replace_all(&concise, "!UNIQUEID\n"),
        "Local/s@t-wait-00000000;1!t-wait!s!1!Up!Wait!10!!!!3!0!!UNIQUEID\nLocal/s@t-wait-00000000;2!t-wait!s!3!Up!Wait!3!!!!3!0!!UNIQUEID\n"
    );
    let chan2 = d.rx("core show channel Local/s@t-wait-00000000;2");
    assert!(chan2.contains("      Variables:\nTRAIL=kept\n"), "{chan2}");
    assert!(
        chan2.contains(" Call Identifier: [C-00000001]\n"),
        "{chan2}"
    );
    assert_eq!(
        d.rx("channel request hangup Local/s@t-wait-00000000;1"),
        "Requested Hangup on channel 'Local/s@t-wait-00000000;1'\n"
    );
    wait_idle(&d);
    assert_eq!(
        d.rx("core show channels count"),
        "0 active channels\n0 active calls\n1 call processed\n"
    );
    assert_eq!(
        d.rx("core show channel nosuch"),
        "nosuch is not a known channel\n"
    );
    assert_eq!(
        d.rx("channel request hangup nosuch"),
        "nosuch is not a known channel\n"
    );
    assert_eq!(
        d.rx("dialplan set global FOO bar"),
        "\n    -- Global variable 'FOO' set to 'bar'\n"
    );
    assert!(d.rx("dialplan show globals").starts_with("   FOO=bar\n"));
}

#[test]
fn application_and_function_listings() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    let apps = d.rx("core show applications like Goto");
    // Asterisk 20.20.1 lists the same three, in this layout (its
    // descriptions are its own; ours are in our words).
    let names: Vec<&str> = apps
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(n, _)| n))
        .collect();
    assert_eq!(
        names,
        [
            "                  Goto",
            "                GotoIf",
            "            GotoIfTime"
        ]
    );
    assert!(
        apps.starts_with("    -= Matching Asterisk Applications =-\n"),
        "{apps}"
    );
    assert!(
        apps.ends_with("    -= 3 Applications Matching =-\n"),
        "{apps}"
    );
    let funcs = d.rx("core show functions like GLOBAL");
    assert!(funcs.starts_with("Matching Custom Functions:\n"), "{funcs}");
    assert!(
        funcs.contains("\nGLOBAL                GLOBAL(varname)                      "),
        "{funcs}"
    );
    assert!(
        funcs.ends_with("1 matching custom functions installed.\n"),
        "{funcs}"
    );
}

/// `core show application`/`function` against Asterisk 20.20.1's output
/// for the same commands (`golden/…/cli/app_docs.txt`): the same sections
/// in the same order, and the same answers for unknown names. The texts
/// inside the sections are Asterisk's documentation, which Asterism does
/// not copy; ours are in our own words.
#[test]
fn application_and_function_descriptions() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    let ansi = regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex");
    let skeleton = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('[') || l.contains("-= Info about"))
            .map(str::to_string)
            .collect()
    };
    let golden = golden_blocks(&repo().join("golden/asterisk-20.20.1/cli/app_docs.txt"));
    assert_eq!(golden.len(), 8);
    for (cmd, expected) in golden {
        let expected = ansi.replace_all(&expected, "").into_owned();
        let got = d.rx(&cmd);
        if expected.contains("-= Info about") {
            assert_eq!(skeleton(&got), skeleton(&expected), "{cmd}");
            assert!(got.starts_with("\n  -= Info about "), "{cmd}: {got}");
        } else if expected.starts_with("Usage: ") {
            assert_eq!(got.lines().next(), expected.lines().next(), "{cmd}");
        } else {
            assert_eq!(got, expected, "{cmd}");
        }
    }
}
