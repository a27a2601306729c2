//! The dialplan expression evaluator against Asterisk 20.20.1 itself.
//!
//! The table is the capture in `golden/asterisk-20.20.1/expr/`: `cli.txt`
//! holds `dialplan show globals` after the reference ran every case (`Ennnn`
//! is the expression, `Rnnnn` what `$[...]` gave) and `full.log` the log it
//! wrote meanwhile; a case's messages are the ones logged before the
//! `Executing [s@exprtest:<n+1>]` line of the Set() that stored it.

mod common;
use common::Rng;
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
        if let Some(rest) = line.strip_prefix("   ")
            && let Some((name, value)) = rest.split_once('=')
        {
            globals.insert(name.to_string(), value.to_string());
        }
    }

    let log = std::fs::read_to_string(dir.join("full.log")).expect("full.log is readable");
    let mut per_case: BTreeMap<usize, Vec<(String, String, String)>> = BTreeMap::new();
    let mut pending: Vec<(String, String, String)> = Vec::new();
    let mut last_is_ours = false;
    for line in log.lines() {
        if line.contains("Setting global variable '") {
            // Load-time globals: the no-channel cases are matched
            // elsewhere; anything before them is start-up noise.
            pending.clear();
            last_is_ours = false;
            continue;
        }
        let parsed = parse_log_line(line);
        let Some((level, file, msg)) = parsed else {
            // A continuation line of a multi-line message.
            if last_is_ours && let Some(last) = pending.last_mut() {
                last.2.push('\n');
                last.2.push_str(line);
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

/// The `nochan_cases.txt` expressions, which Asterisk evaluated without a
/// channel while loading `[globals]` (global `Nnnnn`), with their results
/// and the messages logged before `Setting global variable 'Nnnnn'`.
fn load_nochan_cases() -> Vec<Case> {
    let dir = golden_dir();
    let inputs: Vec<String> = std::fs::read_to_string(dir.join("nochan_cases.txt"))
        .expect("nochan_cases.txt is readable")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("#:"))
        .map(str::to_string)
        .collect();
    let cli = std::fs::read_to_string(dir.join("cli.txt")).expect("cli.txt is readable");
    let block = cli
        .rsplit("$ dialplan show globals\n")
        .next()
        .expect("a globals block");
    let log = std::fs::read_to_string(dir.join("full.log")).expect("full.log is readable");
    let mut per_case: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    let mut pending = Vec::new();
    let mut last_is_ours = false;
    for line in log.lines() {
        let Some((level, file, msg)) = parse_log_line(line) else {
            if last_is_ours && let Some(last) = pending.last_mut() {
                let last: &mut (String, String, String) = last;
                last.2.push('\n');
                last.2.push_str(line);
            }
            continue;
        };
        if let Some(rest) = msg.strip_prefix("Setting global variable '") {
            let name = rest.split('\'').next().unwrap_or_default().to_string();
            per_case.insert(name, std::mem::take(&mut pending));
            last_is_ours = false;
            continue;
        }
        last_is_ours = matches!(level.as_str(), "NOTICE" | "WARNING" | "ERROR");
        if last_is_ours {
            pending.push((level, file, msg));
        }
    }
    inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let name = format!("N{:04}", i + 1);
            let value = block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("   {name}=")))
                .unwrap_or_else(|| panic!("{name} missing"))
                .to_string();
            Case {
                n: i + 1,
                input,
                value,
                log: per_case.remove(&name).unwrap_or_default(),
            }
        })
        .collect()
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

/// Load time: no channel, and no function modules loaded yet.
struct NoChannel;

impl FunctionHost for NoChannel {
    fn find(&mut self, _name: &str) -> FunctionKind {
        FunctionKind::Missing
    }
    fn read(&mut self, _name: &str, _args: &str) -> String {
        String::new()
    }
    fn has_channel(&self) -> bool {
        false
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

#[test]
fn matches_asterisk_without_a_channel() {
    let cases = load_nochan_cases();
    assert!(cases.len() >= 5);
    for c in &cases {
        let got = evaluate_with(&c.input, &mut NoChannel);
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
        assert_eq!(
            (&got.value, &got_log),
            (&c.value, &c.log),
            "no-channel case {} $[{}]",
            c.n,
            c.input
        );
    }
}

const PIECES: &[&str] = &[
    " ",
    "\t",
    "\n",
    "(",
    ")",
    "((",
    "))",
    ",",
    "|",
    "||",
    "&",
    "&&",
    "=",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "+",
    "-",
    "--",
    "*",
    "/",
    "%",
    "!",
    "?",
    "::",
    ":",
    "=~",
    "~~",
    "~",
    "\"",
    "\"\"",
    "'",
    "$",
    "${",
    "${X}",
    "}",
    "{",
    "[",
    "]",
    "$[",
    "0",
    "1",
    "-1",
    "1.5",
    ".5",
    "1.",
    "00",
    "9223372036854775808",
    "99999999999999999999999999",
    "0.000000000000000000001",
    "POW(10,4932)",
    "POW(10,4933)",
    "SQRT(-1)",
    "abc",
    "é",
    "日本",
    "COS",
    "SIN(",
    "TAN(",
    "ACOS(",
    "ATAN2(",
    "POW(",
    "LOG(",
    "EXP(",
    "EXP10(",
    "REMAINDER(",
    "ROUND(",
    "ABS(",
    "LEN(",
    "TOUPPER(",
    "FOO(",
    "\"(a*)*\"",
    "\"(a|b)\\2\\1\"",
    "\"[[:alpha:]\"",
    "\"a{2,}\"",
    "\"\\1\"",
    "\"(\"",
    "\"[^]a-]*\"",
    "\"x{0}\"",
    "\"^$\"",
    "\"\\b\\<\\>\"",
    "\"((a)|b)*\"",
];

fn mangle(rng: &mut Rng, seeds: &[String]) -> String {
    let mut s: Vec<char> = if rng.below(4) == 0 {
        Vec::new()
    } else {
        seeds[rng.below(seeds.len())].chars().collect()
    };
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(s.len() + 1);
        match rng.below(5) {
            0 | 1 => {
                let p = PIECES[rng.below(PIECES.len())];
                s.splice(at..at, p.chars());
            }
            2 if !s.is_empty() => {
                let end = (at + 1 + rng.below(4)).min(s.len());
                s.drain(at.min(end)..end);
            }
            3 if !s.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(s.len());
                let copy: Vec<char> = s[at.min(end)..end].to_vec();
                s.splice(at..at, copy);
            }
            _ => {
                let c = char::from(b' ' + rng.below(95) as u8);
                s.insert(at, c);
            }
        }
    }
    s.into_iter().collect()
}

#[test]
fn mangled_input_never_panics_or_hangs() {
    use std::time::{Duration, Instant};
    let seeds: Vec<String> = load_cases().into_iter().map(|c| c.input).collect();
    let mut rng = Rng(0x005e_ed0f_a57e_415a);
    let mut slowest = Duration::ZERO;
    for _ in 0..4000 {
        let s = mangle(&mut rng, &seeds);
        let t = Instant::now();
        let a = evaluate(&s);
        let b = evaluate_with(&s, &mut Strings);
        let took = t.elapsed();
        slowest = slowest.max(took);
        assert!(took < Duration::from_secs(5), "too slow ({took:?}): {s:?}");
        // Evaluation is deterministic.
        assert_eq!(a, evaluate(&s), "{s:?}");
        let _ = b;
    }
    // Extremes Asterisk's 4 KB buffer never sees: they must stay bounded.
    let extremes = [
        "(".repeat(20_000) + "1" + &")".repeat(20_000),
        "- ".repeat(20_000) + "1",
        "!".repeat(50_000),
        "(".repeat(12_000),
        " + 1".repeat(5_000),
        "a ~~ ".repeat(3_000) + "b",
        "9".repeat(6_000) + " + 0",
        "0.".to_string() + &"0".repeat(6_000) + "1 + 0",
        "SIN(POW(10,4930)) + COS(POW(2,16383)) + TAN(POW(10,-4950))".to_string(),
        format!("\"{}\" : \"(a*)*b\"", "a".repeat(3_000)),
        format!("\"{}\" =~ \"(a|aa)*c\"", "a".repeat(3_000)),
        format!("\"{}\" : \"(a*)\\1b\"", "a".repeat(300)),
        format!("x : \"{}\"", "(".repeat(900) + &")".repeat(900)),
        format!("x : \"{}x\"", "(".repeat(240) + &")".repeat(240)),
        format!("x : \"x{}\"", "*".repeat(5_000)),
        format!("x : \"{}\"", "((x*)*".repeat(200) + &")".repeat(200)),
        format!("x : \"{}\"", "a{32767}"),
        format!("x : \"{}\"", "(a{1000}){1000}"),
        "${".repeat(5_000) + &"}".repeat(5_000),
    ];
    for s in &extremes {
        let t = Instant::now();
        let out = evaluate(s);
        let took = t.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "too slow ({took:?}): {:.60}",
            s
        );
        let _ = out;
    }
    eprintln!("slowest mangled input: {slowest:?}");
}
