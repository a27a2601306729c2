//! Dialplan functions against Asterisk 20.20.1: every family in
//! `compat-configs/funcs/families/` (and, run with chan_sip and res_pjsip
//! loaded, in `compat-configs/funcs-sip/families/`) runs on a Local
//! channel in the real daemon, and its `full` log lines (the Executing
//! trace shows each substituted argument, so each function's result, and
//! the warnings the functions log) must equal
//! `golden/asterisk-20.20.1/funcs/<family>.log`.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// The configs that hold families: the plain one, and the one with the
/// SIP drivers loaded (so the other families run without them).
const CONFIGS: &[&str] = &["funcs", "funcs-sip"];

/// Every family as (config, family), by config then name.
fn families() -> Vec<(&'static str, String)> {
    let mut all = Vec::new();
    for config in CONFIGS {
        let dir = repo().join(format!("compat-configs/{config}/families"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("families dir")
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".conf").map(str::to_string)
            })
            .collect();
        names.sort();
        all.extend(names.into_iter().map(|n| (*config, n)));
    }
    all
}

/// A line that starts a log message (the continuation lines of a
/// multi-line message do not).
fn is_header(line: &str) -> bool {
    line.starts_with("[DATE] ")
}

/// A header line not of the call: dial.c's `Called`, from another thread.
fn is_apart(line: &str) -> bool {
    is_header(line) && !line.contains("][C-")
}

/// The call's lines of the `full` log, normalised as the capture script
/// normalises the reference's: its messages (with their continuation
/// lines) and dial.c's `Called`.
fn call_lines(log: &str) -> Vec<String> {
    let date_tid = regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\]").expect("regex");
    let hangup_at = regex::Regex::new(r"(Channel will hangup at ).*\.$").expect("regex");
    // DumpChan's unique ids hold the time the channel was made.
    let ids = regex::Regex::new(r"^((UniqueID|LinkedID)= +).*$").expect("regex");
    let mut kept = Vec::new();
    let mut keeping = false;
    for l in log.lines() {
        let header = date_tid.is_match(l);
        let l = date_tid.replace(l, "[DATE] $1[TID]");
        let l = hangup_at.replace(&l, "${1}[TIME].");
        let l = ids.replace(&l, "${1}[ID]").into_owned();
        if header {
            keeping = l.contains("][C-") || l.contains("dial.c: Called");
        }
        if keeping {
            kept.push(l);
        }
    }
    kept
}

fn run_family(config: &str, family: &str) -> Result<(), String> {
    let golden_path = repo().join(format!("golden/asterisk-20.20.1/funcs/{family}.log"));
    let expected = std::fs::read_to_string(&golden_path)
        .map_err(|e| format!("{family}: no golden file {}: {e}", golden_path.display()))?;
    let expected: Vec<&str> = expected.lines().filter(|l| !l.starts_with(';')).collect();

    let dir = config_copy(config);
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
    // dial.c's `Called` comes from another thread than the call's lines:
    // it is compared apart, the call's lines in order.
    let (got_dial, got): (Vec<String>, Vec<String>) =
        call_lines(&log).into_iter().partition(|l| is_apart(l));
    let (expected_dial, expected): (Vec<&str>, Vec<&str>) =
        expected.into_iter().partition(|l| is_apart(l));
    if got_dial != expected_dial {
        return Err(format!(
            "{family}: dial.c lines differ: {got_dial:?} vs Asterisk's {expected_dial:?}"
        ));
    }
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
    assert!(families.iter().any(|(_, f)| f == "smoke"), "{families:?}");
    // The goldens share one directory: a name may be used once.
    let mut names: Vec<&str> = families.iter().map(|(_, f)| f.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), families.len(), "a family name is used twice");
    let failures: Vec<String> = families
        .iter()
        .filter_map(|(config, f)| run_family(config, f).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
