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
    assert!(
        version.starts_with(&format!("{release} built by ")),
        "{version}"
    );
    assert!(
        version.contains(" on a x86_64 running Linux on ") || !cfg!(target_arch = "x86_64"),
        "{version}"
    );
    let uptime = d.rx("core show uptime");
    let lines: Vec<&str> = uptime.lines().collect();
    assert_eq!(lines.len(), 2, "{uptime}");
    assert!(
        lines[0].starts_with("System uptime: ") && lines[0].ends_with("second")
            || lines[0].ends_with("seconds"),
        "{uptime}"
    );
    assert!(lines[1].starts_with("Last reload: "), "{uptime}");
    assert_eq!(d.rx("core show uptime seconds").lines().count(), 2);
}

/// compat-configs/syntax as Asterisk 20.20.1 showed it
/// (golden/asterisk-20.20.1/cli/syntax.txt).
#[test]
fn syntax_config_matches_asterisk() {
    let dir = config_copy("syntax");
    let d = Daemon::start(dir.path());
    let golden = repo().join("golden/asterisk-20.20.1/cli/syntax.txt");
    for cmd in [
        "dialplan show",
        "dialplan show from-internal",
        "dialplan show 555@from-internal",
        "dialplan show 200@from-internal",
        "core show hints",
        "foo bar",
        "sip show foo",
        "core foo",
    ] {
        assert_eq!(d.rx(cmd), common::golden(&golden, cmd), "{cmd}");
    }
    assert_eq!(
        d.rx("dialplan show 1@nowhere"),
        "There is no existence of 'nowhere' context\nCommand 'dialplan show 1@nowhere' failed.\n"
    );
    assert_eq!(
        d.rx("dialplan show 1@daytime"),
        "There is no existence of 1@daytime extension\nCommand 'dialplan show 1@daytime' failed.\n"
    );
}
