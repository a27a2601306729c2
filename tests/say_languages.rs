//! SayNumber, SayOrdinal and SayMoney by language against the reference:
//! every row of `golden/asterisk-20.20.1/say/say.table` and
//! `say.missing.table` (see its README) is rebuilt from
//! `asterism::media::say` and must match exactly, the prompts played and
//! the warnings logged. The steps are played here as
//! `src/apps/say.rs` plays them.

use asterism::media::say::{self, NumberStep};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/asterisk-20.20.1/say/");

/// What a case shows in the log: the prompts played, and the warnings
/// with their source file. `exists` says which prompts are installed.
fn played(
    steps: &[NumberStep],
    number: &str,
    exists: &dyn Fn(&str) -> bool,
) -> (Vec<String>, Vec<String>) {
    let (mut files, mut warnings) = (Vec::new(), Vec::new());
    for step in steps {
        let stop = match step {
            NumberStep::Warn(w) => {
                warnings.push(format!("WARNING say.c {w}"));
                false
            }
            NumberStep::Play(f)
            | NumberStep::PlayThrough(f)
            | NumberStep::PlayOrStop(f)
            | NumberStep::WaitFile(f)
                if exists(f) =>
            {
                files.push(f.clone());
                false
            }
            NumberStep::Play(f)
            | NumberStep::PlayThrough(f)
            | NumberStep::PlayOrStop(f)
            | NumberStep::WaitFile(f) => {
                // What file.c logs for a prompt missing (on the capture's
                // Local channels, whose format is slin).
                warnings.push(format!(
                    "WARNING file.c File {f} does not exist in any format"
                ));
                warnings.push(format!(
                    "WARNING file.c Unable to open {f} (format (slin)): No such file or directory"
                ));
                match step {
                    NumberStep::Play(_) | NumberStep::PlayThrough(_) => false,
                    NumberStep::WaitFile(_) => {
                        warnings.push(format!("WARNING say.c Unable to play message {f}"));
                        true
                    }
                    _ => true,
                }
            }
            NumberStep::Stop => true,
        };
        if stop {
            // pbx_builtins.c's message for Asterisk's -1.
            warnings.push(format!(
                "WARNING pbx_builtins.c We were unable to say the number {number}, is it too large?"
            ));
            break;
        }
    }
    (files, warnings)
}

fn ours(lang: &str, case: &str, exists: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let (app, args) = case
        .strip_suffix(')')
        .and_then(|c| c.split_once('('))
        .unwrap_or_else(|| panic!("bad case {case}"));
    let mut parts = args.split(',');
    let number_text = parts.next().unwrap_or("");
    match app {
        "SayNumber" | "SayOrdinal" => {
            let n: i32 = number_text.parse().expect("a number");
            let steps = if app == "SayNumber" {
                let option = parts.next().and_then(|o| o.chars().next());
                say::number_steps(lang, n, option, exists)
            } else {
                say::ordinal_steps(lang, n)
            };
            played(&steps, number_text, exists)
        }
        "SayMoney" => {
            let warnings = say::money_warnings(lang, args)
                .into_iter()
                .map(|w| format!("WARNING say.c {w}"))
                .collect();
            (say::money_files_en(args, exists), warnings)
        }
        other => panic!("unknown application {other}"),
    }
}

/// Cases where Asterisk reads outside its tables: Polish indexes its tens
/// with a negative number for a negative multiple of ten in the last two
/// digits (the capture shows the stack's neighbour, `digits/800`, for -20);
/// Asterism says nothing there.
fn undefined_in_asterisk(lang: &str, case: &str) -> bool {
    let number = case
        .strip_prefix("SayNumber(")
        .and_then(|c| c.split([',', ')']).next())
        .and_then(|n| n.parse::<i32>().ok());
    lang.get(..2) == Some("pl")
        && number.is_some_and(|n| n < 0 && n % 100 % 10 == 0 && n % 100 != 0)
}

/// Compares every row of a table, with the prompts `exists` allows.
fn check_table(name: &str, exists: &dyn Fn(&str) -> bool) -> usize {
    let table = std::fs::read_to_string(format!("{GOLDEN}{name}")).expect("golden table");
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad row {line:?}");
        let (lang, case) = (cols[0], cols[1]);
        if undefined_in_asterisk(lang, case) {
            continue;
        }
        let want_files: Vec<String> = cols[2]
            .split('&')
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect();
        let want_warnings: Vec<String> = cols[3]
            .split(" | ")
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        let (files, warnings) = ours(lang, case, exists);
        if files != want_files || warnings != want_warnings {
            wrong.push(format!(
                "{lang} {case}\n  asterisk: {} | {:?}\n  asterism: {} | {:?}",
                want_files.join("&"),
                want_warnings,
                files.join("&"),
                warnings
            ));
        }
        rows += 1;
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} of {rows} cases differ:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    rows
}

#[test]
fn say_by_language_matches_asterisk() {
    let rows = check_table("say.table", &|_| true);
    assert!(rows > 7000, "only {rows} rows");
}

#[test]
fn missing_prompts_as_asterisk() {
    // The prompts the capture left out: capture.sh's MISSING_NAMES.
    let script = std::fs::read_to_string(format!("{GOLDEN}capture.sh")).expect("capture.sh");
    let missing: Vec<String> = script
        .lines()
        .find_map(|l| l.strip_prefix("MISSING_NAMES=\""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("MISSING_NAMES in capture.sh")
        .split(' ')
        .map(String::from)
        .collect();
    let rows = check_table("say.missing.table", &|f| !missing.iter().any(|m| m == f));
    assert!(rows > 100, "only {rows} rows");
}

/// SayUnixTime's prompts and warnings for a case of
/// `sayunixtime*.table` (`SayUnixTime(t,zone[,format])`), as
/// `src/apps/sayunixtime.rs` plays `asterism::media::saydate`'s items.
fn date_played(case: &str, exists: &dyn Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    use asterism::media::saydate::{DEFAULT_FORMAT_EN, DateItem, date_items};
    let args = case
        .strip_prefix("SayUnixTime(")
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("bad case {case}"));
    let mut parts = args.splitn(3, ',');
    let t: i64 = parts.next().and_then(|t| t.parse().ok()).expect("a time");
    let zone = parts.next().filter(|z| !z.is_empty());
    let format = parts.next().unwrap_or(DEFAULT_FORMAT_EN);
    // Only dates decades away use Q and q: any "now" of these years does.
    let now = chrono::Utc::now().timestamp();
    let (mut files, mut warnings) = (Vec::new(), Vec::new());
    let missing = |f: &str, warnings: &mut Vec<String>| {
        warnings.push(format!(
            "WARNING file.c File {f} does not exist in any format"
        ));
        warnings.push(format!(
            "WARNING file.c Unable to open {f} (format (slin)): No such file or directory"
        ));
    };
    'items: for item in date_items(t, now, format, zone) {
        match item {
            DateItem::Play(f) if exists(&f) => files.push(f),
            DateItem::Play(f) => {
                missing(&f, &mut warnings);
                warnings.push(format!("WARNING say.c Unable to play message {f}"));
                break;
            }
            DateItem::Enumerated(f) if exists(&f) => files.push(f),
            DateItem::Enumerated(f) => missing(&f, &mut warnings),
            DateItem::Number(n) => {
                for step in say::number_steps("en", n, None, exists) {
                    match step {
                        NumberStep::Warn(w) => warnings.push(format!("WARNING say.c {w}")),
                        NumberStep::PlayOrStop(f) if exists(&f) => files.push(f),
                        NumberStep::PlayOrStop(f) => {
                            missing(&f, &mut warnings);
                            break 'items;
                        }
                        other => panic!("English numbers do not {other:?}"),
                    }
                }
            }
            DateItem::Unknown {
                format,
                letter,
                pos,
            } => warnings.push(format!(
                "WARNING say.c Unknown character in datetime format {format}: {letter} at pos {pos}"
            )),
        }
    }
    (files, warnings)
}

/// Every row of a SayUnixTime table (`capture_datetime.sh`).
fn check_date_table(name: &str, exists: &dyn Fn(&str) -> bool) -> usize {
    let table = std::fs::read_to_string(format!("{GOLDEN}{name}")).expect("golden table");
    let mut wrong = Vec::new();
    let mut rows = 0;
    for line in table.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad row {line:?}");
        let want_files: Vec<String> = cols[2]
            .split('&')
            .filter(|f| !f.is_empty())
            .map(String::from)
            .collect();
        let want_warnings: Vec<String> = cols[3]
            .split(" | ")
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        let (files, warnings) = date_played(cols[1], exists);
        if files != want_files || warnings != want_warnings {
            wrong.push(format!(
                "{}\n  asterisk: {} | {:?}\n  asterism: {} | {:?}",
                cols[1],
                want_files.join("&"),
                want_warnings,
                files.join("&"),
                warnings
            ));
        }
        rows += 1;
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} of {rows} cases differ:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    rows
}

#[test]
fn sayunixtime_matches_asterisk() {
    let rows = check_date_table("sayunixtime.table", &|_| true);
    assert!(rows > 250, "only {rows} rows");
}

#[test]
fn sayunixtime_missing_prompts_as_asterisk() {
    let script =
        std::fs::read_to_string(format!("{GOLDEN}capture_datetime.sh")).expect("the script");
    let missing: Vec<String> = script
        .lines()
        .find_map(|l| l.strip_prefix("MISSING_NAMES=\""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("MISSING_NAMES in capture_datetime.sh")
        .split(' ')
        .map(String::from)
        .collect();
    let rows = check_date_table("sayunixtime.missing.table", &|f| {
        !missing.iter().any(|m| m == f)
    });
    assert!(rows >= 48, "only {rows} rows");
}
