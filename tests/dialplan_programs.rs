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
    // func_global's three, as in Asterisk 20.20.1.
    for name in ["GLOBAL_DELETE", "GLOBAL_EXISTS"] {
        assert!(funcs.contains(&format!("\n{name} ")), "{funcs}");
    }
    assert!(
        funcs.ends_with("3 matching custom functions installed.\n"),
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

/// `asterisk -rx` output as raw bytes.
fn rx_bytes(d: &Daemon, cmd: &str) -> Vec<u8> {
    std::process::Command::new(binary())
        .arg("-C")
        .arg(&d.conf)
        .arg("-rx")
        .arg(cmd)
        .output()
        .expect("run -rx")
        .stdout
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// An extensions.conf saved in Latin-1: its bytes reach variables, AstDB,
/// the log and the CLI unchanged, and byte-wise functions count and cut
/// them as C does (LEN counts bytes; a substring may split a UTF-8
/// character, and the two halves joined are the character again).
/// Asterisk 20.20.1 ran this program on the same config and printed these
/// globals, this `database get` answer and this `full` log line, byte for
/// byte (TOUPPER leaves 0xFC alone: Asterisk runs in the C locale).
#[test]
fn bytes_that_are_not_utf8_pass_through() {
    let dir = config_copy("dialplan");
    let ext = dir.path().join("extensions.conf");
    let mut conf = std::fs::read(&ext).expect("read");
    conf.extend_from_slice(
        b"\n[t-latin1]\n\
exten => s,1,Set(NAME=M\xfcller)\n\
 same => n,Set(U=\xc3\xa9t\xc3\xa9)\n\
 same => n,Set(DB(latin1/name)=${NAME})\n\
 same => n,Set(BACK=${DB(latin1/name)})\n\
 same => n,Set(GLOBAL(RESULT_LATIN1)=${LEN(${NAME})}:${NAME:1:1}:${LEN(${U})}:${U:0:1}${U:1})\n\
 same => n,Set(GLOBAL(RESULT_LATIN1_DB)=${BACK}|${TOUPPER(${NAME})}|${BASE64_ENCODE(${NAME})})\n",
    );
    std::fs::write(&ext, conf).expect("write");
    let d = Daemon::start(dir.path());
    assert_eq!(
        d.rx("channel originate Local/s@t-latin1 application NoOp"),
        ""
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !find(&rx_bytes(&d, "dialplan show globals"), b"RESULT_LATIN1_DB=") {
        assert!(Instant::now() < deadline, "the program did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let globals = rx_bytes(&d, "dialplan show globals");
    // "Müller" in Latin-1 is 6 bytes; "été" in UTF-8 is 5.
    assert!(
        find(&globals, b"RESULT_LATIN1=6:\xfc:5:\xc3\xa9t\xc3\xa9\n"),
        "{}",
        String::from_utf8_lossy(&globals)
    );
    assert!(
        find(&globals, b"RESULT_LATIN1_DB=M\xfcller|M\xfcLLER|TfxsbGVy\n"),
        "{}",
        String::from_utf8_lossy(&globals)
    );
    assert_eq!(
        rx_bytes(&d, "database get latin1 name"),
        b"Value: M\xfcller\n"
    );
    wait_idle(&d);
    let log = std::fs::read(dir.path().join("var/log/full")).expect("full log");
    assert!(
        find(
            &log,
            b"Set(\"Local/s@t-latin1-00000000;2\", \"NAME=M\xfcller\") in new stack\n"
        ),
        "{}",
        String::from_utf8_lossy(&log)
    );
}

/// What pbx_config logs while it loads a dialplan with mistakes in it, and
/// again on `dialplan reload`: Asterisk 20.20.1's lines, in its order
/// (golden/asterisk-20.20.1/dialplan/warnings.messages.log).
#[test]
fn load_warnings_are_logged_as_asterisk_logs_them() {
    let dir = dir_copy("tests/configs/dialplan-warnings");
    let d = Daemon::start(dir.path());
    assert_eq!(d.rx("dialplan reload"), "Dialplan reloaded.\n");
    let golden = std::fs::read_to_string(
        repo().join("golden/asterisk-20.20.1/dialplan/warnings.messages.log"),
    )
    .expect("golden");
    let expected: Vec<&str> = golden.lines().filter(|l| !l.starts_with(';')).collect();
    let line =
        regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\] ((pbx_config|pbx|pbx_timing)\.c: .*)$")
            .expect("regex");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(dir.path().join("var/log/messages")).unwrap_or_default();
        let got: Vec<String> = log
            .lines()
            .filter_map(|l| line.captures(l))
            .map(|c| format!("{}[PID] {}", &c[1], &c[2]))
            .collect();
        if got.len() >= expected.len() || Instant::now() > deadline {
            assert_eq!(got.join("\n"), expected.join("\n"));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Time specs that GotoIfTime and ExecIfTime cannot read are reported as
/// pbx_timing.c reports them; WaitUntil for a past time says so as
/// app_waituntil.c does (a NOTICE) and sets PAST.
#[test]
fn time_apps_report_as_asterisk() {
    let dir = config_copy("dialplan");
    let ext = dir.path().join("extensions.conf");
    let mut conf = std::fs::read_to_string(&ext).expect("read");
    conf.push_str(
        "\n[t-timewarn]\n\
exten => s,1,GotoIfTime(25:00-26:00,*,*,*?done)\n\
 same => n,ExecIfTime(*,mon-frx,*,*?NoOp(x))\n\
 same => n,WaitUntil(1.5)\n\
 same => n(done),Set(GLOBAL(RESULT_TIMEWARN)=${WAITUNTILSTATUS})\n",
    );
    std::fs::write(&ext, conf).expect("write");
    let d = Daemon::start(dir.path());
    assert_eq!(
        d.rx("channel originate Local/s@t-timewarn application NoOp"),
        ""
    );
    wait_idle(&d);
    assert!(
        d.rx("dialplan show globals")
            .contains("RESULT_TIMEWARN=PAST\n")
    );
    let log = std::fs::read_to_string(dir.path().join("var/log/full")).expect("full log");
    for want in [
        "] pbx_timing.c: '25:00' isn't a valid start time.\n",
        "] pbx_timing.c: Invalid end day of week 'frx', skipping element\n",
    ] {
        assert!(log.contains(want), "{want:?} in {log}");
    }
    let past = regex::Regex::new(
        r"NOTICE\[\d+\]\[C-[0-9a-f]{8}\] app_waituntil\.c: WaitUntil called in the past \(now \d{10}, arg 1\)\n",
    )
    .expect("regex");
    assert!(past.is_match(&log), "{log}");
}

/// asterisk.conf's `maxcalls`: once that many channels run the dialplan,
/// the next one is refused with pbx.c's warning, and `defaultlanguage` is
/// a new channel's language.
#[test]
fn maxcalls_refuses_and_defaultlanguage_applies() {
    let dir = config_copy("dialplan");
    let conf = dir.path().join("asterisk.conf");
    let text = std::fs::read_to_string(&conf).expect("asterisk.conf");
    std::fs::write(
        &conf,
        text.replace("[options]", "[options]\nmaxcalls = 1\ndefaultlanguage = fr"),
    )
    .expect("write");
    let ext = dir.path().join("extensions.conf");
    let mut dp = std::fs::read_to_string(&ext).expect("read");
    dp.push_str("\n[t-lang]\nexten => s,1,Set(GLOBAL(RESULT_LANG)=${CHANNEL(language)})\n");
    std::fs::write(&ext, dp).expect("write");
    let d = Daemon::start(dir.path());
    assert_eq!(
        d.rx("channel originate Local/s@t-lang application NoOp"),
        ""
    );
    wait_idle(&d);
    assert!(d.rx("dialplan show globals").contains("RESULT_LANG=fr\n"));
    assert_eq!(
        d.rx("channel originate Local/s@t-wait application Wait 10"),
        ""
    );
    std::thread::sleep(Duration::from_millis(300));
    d.rx("channel originate Local/s@t-lang application NoOp");
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = regex::Regex::new(
        r"WARNING\[\d+\](\[C-[0-9a-f]{8}\])? pbx\.c: Maximum call limit of 1 calls exceeded by 'Local/s@t-lang-0000000\d;2'!\n",
    )
    .expect("regex");
    loop {
        let log = std::fs::read_to_string(dir.path().join("var/log/full")).unwrap_or_default();
        if refused.is_match(&log) {
            break;
        }
        assert!(Instant::now() < deadline, "no call-limit warning in {log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let count = d.rx("core show channels count");
    // With maxcalls set, the call count is given against it (cli.c).
    assert!(
        count.starts_with("2 active channels\n1 of 1 max active call (100.00% of capacity)\n"),
        "{count}"
    );
}
