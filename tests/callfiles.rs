//! Call files (pbx_spool) end to end: files moved into the spool's
//! `outgoing` directory place calls, and are deleted or archived in
//! `outgoing_done` with the attempts noted in them, as Asterisk 20 leaves
//! them (the AMI side is golden `callfile_*` in tests/ami_golden.rs).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

fn drop_in(spool: &Path, name: &str, text: &str, mtime: Option<SystemTime>) {
    let tmp = spool.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write call file");
    if let Some(t) = mtime {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(&tmp)
            .expect("open");
        f.set_modified(t).expect("set mtime");
    }
    std::fs::rename(&tmp, spool.join("outgoing").join(name)).expect("move in");
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A noted attempt: `<what>: <pid> <retries> (<unix time>)`.
fn attempt_line(what: &str, retries: u32) -> regex::Regex {
    regex::Regex::new(&format!(r"^{what}: \d+ {retries} \(\d+\)$")).expect("re")
}

/// Checks an archived file: the original text, then the noted attempts
/// (each after an empty line), then the status.
fn check_archived(path: &PathBuf, original: &str, attempts: &[(&str, u32)], status: &str) {
    let text = std::fs::read_to_string(path).expect("archived file");
    let rest = text.strip_prefix(original).unwrap_or_else(|| {
        panic!(
            "{} does not start with the call file:\n{text}",
            path.display()
        )
    });
    let mut lines = rest.split('\n');
    for (what, retries) in attempts {
        assert_eq!(lines.next(), Some(""), "{text}");
        let line = lines.next().unwrap_or_default();
        assert!(
            attempt_line(what, *retries).is_match(line),
            "{line:?} in\n{text}"
        );
    }
    assert_eq!(
        lines.next(),
        Some(format!("Status: {status}").as_str()),
        "{text}"
    );
    assert_eq!(lines.next(), Some(""), "{text}");
    assert_eq!(lines.next(), None, "{text}");
}

#[test]
fn call_files_are_attempted_retried_and_archived() {
    let tmp = common::config_copy("ami-callfile");
    let daemon = common::Daemon::start(tmp.path());
    let spool = tmp.path().join("var/spool");
    let outgoing = spool.join("outgoing");
    let done = spool.join("outgoing_done");
    assert!(outgoing.is_dir(), "pbx_spool creates its directory at load");

    // Answered and run to its end: archived as Completed.
    let ok = "Channel: Local/601@internal\nApplication: Wait\nData: 0\nArchive: yes\n";
    drop_in(&spool, "ok.call", ok, None);
    wait_for("ok.call archived", 20, || done.join("ok.call").exists());
    assert!(!outgoing.join("ok.call").exists());
    check_archived(&done.join("ok.call"), ok, &[("StartRetry", 1)], "Completed");

    // Busy twice (MaxRetries 1), a second apart: archived as Expired.
    let busy = "Channel: Local/602@internal\nContext: cf\nExtension: 1\nMaxRetries: 1\n\
                RetryTime: 1\nWaitTime: 5\nArchive: yes\n";
    drop_in(&spool, "busy.call", busy, None);
    wait_for("busy.call archived", 30, || done.join("busy.call").exists());
    check_archived(
        &done.join("busy.call"),
        busy,
        &[("StartRetry", 1), ("EndRetry", 1), ("StartRetry", 2)],
        "Expired",
    );

    // Invalid (no channel): removed, archived as Failed.
    let bad = "Application: Wait\nData: 0\nArchive: yes\n";
    drop_in(&spool, "bad.call", bad, None);
    wait_for("bad.call archived", 10, || done.join("bad.call").exists());
    let text = std::fs::read_to_string(done.join("bad.call")).expect("bad.call");
    assert_eq!(text, format!("{bad}Status: Failed\n"));

    // Not archived: deleted once done.
    let plain = "Channel: Local/601@internal\nApplication: Wait\nData: 0\n";
    drop_in(&spool, "plain.call", plain, None);
    wait_for("plain.call gone", 20, || {
        !outgoing.join("plain.call").exists()
    });
    assert!(!done.join("plain.call").exists());

    // Its time in the future: left alone until then.
    let later = SystemTime::now() + Duration::from_secs(3);
    drop_in(&spool, "later.call", ok, Some(later));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        outgoing.join("later.call").exists(),
        "taken before its time"
    );
    let text = std::fs::read_to_string(outgoing.join("later.call")).expect("later.call");
    assert_eq!(text, ok, "nothing noted before its time");
    wait_for("later.call archived", 20, || {
        done.join("later.call").exists()
    });
    assert!(SystemTime::now() >= later);
    check_archived(
        &done.join("later.call"),
        ok,
        &[("StartRetry", 1)],
        "Completed",
    );
    drop(daemon);
}
