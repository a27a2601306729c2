//! `-rx` outputs of the real daemon compared byte for byte with what
//! Asterisk 20.20.1 printed for the same configuration.

mod common;
use common::*;

#[test]
fn dialplan_show_matches_asterisk() {
    let dir = config_copy("reference");
    let d = Daemon::start(dir.path());
    let golden = reference_cli_golden();
    for cmd in ["dialplan show internal", "dialplan show svi_1"] {
        assert_eq!(d.rx(cmd), common::golden(&golden, cmd), "{cmd}");
    }
}

#[test]
fn version_and_unknown_command() {
    let dir = config_copy("reference");
    let d = Daemon::start(dir.path());
    let version = d.rx("core show version");
    let expected_prefix = common::golden(&reference_cli_golden(), "core show version");
    // Same release and wording; who built it, where and when differ.
    let release = expected_prefix.split(" built by ").next().expect("release");
    assert!(version.starts_with(&format!("{release} built by ")), "{version}");
    assert!(version.contains(" on a x86_64 running Linux on ") || !cfg!(target_arch = "x86_64"), "{version}");
    assert_eq!(
        d.rx("foo bar"),
        "No such command 'foo bar' (type 'core show help foo' for other possible commands)\n"
    );
    let uptime = d.rx("core show uptime");
    let lines: Vec<&str> = uptime.lines().collect();
    assert_eq!(lines.len(), 2, "{uptime}");
    assert!(lines[0].starts_with("System uptime: ") && lines[0].ends_with("second") || lines[0].ends_with("seconds"), "{uptime}");
    assert!(lines[1].starts_with("Last reload: "), "{uptime}");
    assert_eq!(d.rx("core show uptime seconds").lines().count(), 2);
}

#[test]
fn dialplan_show_exten_follows_includes_in_match_order() {
    let dir = config_copy("syntax");
    let d = Daemon::start(dir.path());
    let out = d.rx("dialplan show 555@from-internal");
    // '555' (no CID) before '555' (CID 1000) before the patterns
    // (`_[2-4a]XX` does not match a leading 5).
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("  '") || l.starts_with('[') || l.starts_with("-=")).collect();
    assert_eq!(
        heads,
        [
            "[ Context 'from-internal' created by 'pbx_config' ]",
            "  '555' =>          1. NoOp(from anyone else)                     [extensions.conf:28]",
            "  '555' (CID match '1000') =>  1. NoOp(only from caller 1000)                [extensions.conf:27]",
            "  '_X.' =>          1. NoOp(catch all)                            [extensions.conf:25]",
            "-= 3 extensions (3 priorities) in 1 context. =-",
        ]
    );
    // Includes are followed by their whole value, so the time-restricted
    // 'daytime' include is not shown, as in Asterisk.
    let out = d.rx("dialplan show 200@from-internal");
    assert!(out.contains("[ Included context 'nighttime' created by 'pbx_config' ]\n"), "{out}");
    assert!(!out.contains("daytime"), "{out}");
    assert_eq!(d.rx("dialplan show 1@nowhere"), "There is no existence of 'nowhere' context\nCommand 'dialplan show 1@nowhere' failed.\n");
    assert_eq!(
        d.rx("dialplan show 1@daytime"),
        "There is no existence of 1@daytime extension\nCommand 'dialplan show 1@daytime' failed.\n"
    );
}
