//! The dialplan expression evaluator against Asterisk 20.20.1 itself.
//!
//! The table is the capture in `golden/asterisk-20.20.1/expr/`: `cli.txt`
//! holds `dialplan show globals` after the reference ran every case (`Ennnn`
//! is the expression, `Rnnnn` what `$[...]` gave) and `full.log` the log it
//! wrote meanwhile; a case's messages are the ones logged before the
//! `Executing [s@exprtest:<n+1>]` line of the Set() that stored it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use asterism::pbx::expr::{FunctionHost, FunctionKind, LogLevel, evaluate, evaluate_with};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/asterisk-20.20.1/expr")
}

struct Case {
    n: usize,
    input: String,
    value: String,
    /// (level, file, message) as the reference logged them.
    log: Vec<(String, String, String)>,
}

fn load_cases() -> Vec<Case> {
    let dir = golden_dir();
    let cli = std::fs::read_to_string(dir.join("cli.txt")).expect("cli.txt is readable");
    // The last `dialplan show globals` block is the one taken after the
    // dialplan finished.
    let block = cli
        .rsplit("$ dialplan show globals\n")
        .next()
        .expect("a globals block");
    assert!(block.contains("\n   DONE=1\n") || block.starts_with("   DONE=1\n"));
    let mut globals = BTreeMap::new();
    for line in block.lines() {
        if let Some(rest) = line.strip_prefix("   ") {
            if let Some((name, value)) = rest.split_once('=') {
                globals.insert(name.to_string(), value.to_string());
            }
        }
    }

    let log = std::fs::read_to_string(dir.join("full.log")).expect("full.log is readable");
    let mut per_case: BTreeMap<usize, Vec<(String, String, String)>> = BTreeMap::new();
    let mut pending: Vec<(String, String, String)> = Vec::new();
    let mut last_is_ours = false;
    for line in log.lines() {
        let parsed = parse_log_line(line);
        let Some((level, file, msg)) = parsed else {
            // A continuation line of a multi-line message.
            if last_is_ours {
                if let Some(last) = pending.last_mut() {
                    last.2.push('\n');
                    last.2.push_str(line);
                }
            }
            continue;
        };
        if let Some(rest) = msg.strip_prefix("Executing [s@exprtest:") {
            let prio: usize = rest
                .split(']')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("priority");
            per_case.insert(prio - 1, std::mem::take(&mut pending));
            last_is_ours = false;
            continue;
        }
        last_is_ours = matches!(level.as_str(), "NOTICE" | "WARNING" | "ERROR");
        if last_is_ours {
            pending.push((level, file, msg));
        }
    }

    let mut cases = Vec::new();
    for n in 1.. {
        let Some(input) = globals.get(&format!("E{n:04}")) else {
            break;
        };
        let value = globals
            .get(&format!("R{n:04}"))
            .unwrap_or_else(|| panic!("R{n:04} missing"))
            .clone();
        cases.push(Case {
            n,
            input: input.clone(),
            value,
            log: per_case.remove(&n).unwrap_or_default(),
        });
    }
    assert!(
        cases.len() > 600,
        "only {} cases in the golden",
        cases.len()
    );
    cases
}

/// `[date time] LEVEL[tid][C-id] file: message` → (LEVEL, file, message).
fn parse_log_line(line: &str) -> Option<(String, String, String)> {
    let rest = line.strip_prefix('[')?;
    let (_, rest) = rest.split_once("] ")?;
    let (level, rest) = rest.split_once('[')?;
    if level.is_empty() || !level.bytes().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let (_, mut rest) = rest.split_once(']')?;
    if rest.starts_with("[C-") {
        rest = rest.split_once(']')?.1;
    }
    let rest = rest.strip_prefix(' ')?;
    let (file, msg) = rest.split_once(": ")?;
    Some((level.to_string(), file.to_string(), msg.to_string()))
}

/// The two dialplan functions the capture calls, as func_strings has them.
struct Strings;

impl FunctionHost for Strings {
    fn find(&mut self, name: &str) -> FunctionKind {
        match name {
            "LEN" | "TOUPPER" => FunctionKind::Readable,
            _ => FunctionKind::Missing,
        }
    }
    fn read(&mut self, name: &str, args: &str) -> String {
        match name {
            "LEN" => args.len().to_string(),
            "TOUPPER" => args.to_ascii_uppercase(),
            _ => String::new(),
        }
    }
}

fn level_name(l: LogLevel) -> &'static str {
    match l {
        LogLevel::Notice => "NOTICE",
        LogLevel::Warning => "WARNING",
        LogLevel::Error => "ERROR",
    }
}

#[test]
fn matches_asterisk_20_20_1() {
    let cases = load_cases();
    let mut failures = Vec::new();
    for c in &cases {
        let got = evaluate_with(&c.input, &mut Strings);
        let got_log: Vec<(String, String, String)> = got
            .log
            .iter()
            .map(|e| {
                (
                    level_name(e.level).to_string(),
                    e.file.to_string(),
                    e.message.clone(),
                )
            })
            .collect();
        if got.value != c.value || got_log != c.log {
            failures.push(format!(
                "case {} $[{}]\n  asterisk: {:?} {:?}\n  asterism: {:?} {:?}",
                c.n, c.input, c.value, c.log, got.value, got_log
            ));
        }
        // The plain entry point gives the same warnings when no dialplan
        // function is involved.
        if c.log.iter().all(|(l, _, _)| l == "WARNING") {
            let plain = evaluate(&c.input);
            let want: Vec<&str> = c.log.iter().map(|(_, _, m)| m.as_str()).collect();
            let have: Vec<&str> = plain.warnings.iter().map(String::as_str).collect();
            if plain.value != c.value || have != want {
                failures.push(format!(
                    "case {} $[{}] via evaluate(): {:?} {:?}",
                    c.n, c.input, plain.value, plain.warnings
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
