//! Dialplan functions against Asterisk 20.20.1: every family in
//! `compat-configs/funcs/families/` runs on a Local channel in the real
//! daemon, and its `full` log lines (the Executing trace shows each
//! substituted argument, so each function's result, and the warnings the
//! functions log) must equal `golden/asterisk-20.20.1/funcs/<family>.log`.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn families() -> Vec<String> {
    let dir = repo().join("compat-configs/funcs/families");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("families dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".conf").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// The call's lines of the `full` log, normalised as the capture script
/// normalises the reference's.
fn call_lines(log: &str) -> Vec<String> {
    let date_tid = regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\]").expect("regex");
    log.lines()
        .map(|l| date_tid.replace(l, "[DATE] $1[TID]").into_owned())
        .filter(|l| l.contains("][C-") || l.contains("dial.c: Called"))
        .collect()
}

fn run_family(family: &str) -> Result<(), String> {
    let golden_path = repo().join(format!("golden/asterisk-20.20.1/funcs/{family}.log"));
    let expected = std::fs::read_to_string(&golden_path)
        .map_err(|e| format!("{family}: no golden file {}: {e}", golden_path.display()))?;
    let expected: Vec<&str> = expected.lines().filter(|l| !l.starts_with(';')).collect();

    let dir = config_copy("funcs");
    let d = Daemon::start(dir.path());
    let out = d.rx(&format!(
        "channel originate Local/s@f-{family} application NoOp"
    ));
    if !out.is_empty() {
        return Err(format!("{family}: originate said {out:?}"));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !d
        .rx("core show channels count")
        .starts_with("0 active channels\n")
    {
        if Instant::now() > deadline {
            return Err(format!("{family}: the call did not finish"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(dir.path().join("var/log/full")).expect("full log");
    let got = call_lines(&log);
    if got != expected {
        let mut diff = String::new();
        for i in 0..got.len().max(expected.len()) {
            let (g, e) = (got.get(i), expected.get(i).copied());
            if g.map(String::as_str) != e {
                diff.push_str(&format!(
                    "line {}:\n  asterisk: {}\n  asterism: {}\n",
                    i + 1,
                    e.unwrap_or("<none>"),
                    g.map(String::as_str).unwrap_or("<none>")
                ));
            }
        }
        return Err(format!("{family} differs from Asterisk 20.20.1:\n{diff}"));
    }
    Ok(())
}

#[test]
fn every_family_matches_asterisk() {
    let families = families();
    assert!(families.contains(&"smoke".to_string()), "{families:?}");
    let failures: Vec<String> = families
        .iter()
        .filter_map(|f| run_family(f).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
