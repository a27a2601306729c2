//! SayNumber, SayOrdinal and SayMoney by language against the reference:
//! every row of `golden/asterisk-20.20.1/say/say.table` (see its README)
//! is rebuilt from `asterism::media::say` and must match exactly, the
//! prompts played and the warnings logged.

use asterism::media::say::{self, NumberStep};

/// What a case shows in the reference's log when every prompt exists:
/// the prompts tried, and the warnings with their source file.
fn played(steps: &[NumberStep], number: &str) -> (Vec<String>, Vec<String>) {
    let (mut files, mut warnings) = (Vec::new(), Vec::new());
    for step in steps {
        match step {
            NumberStep::Warn(w) => warnings.push(format!("WARNING say.c {w}")),
            NumberStep::Play(f) | NumberStep::PlayOrStop(f) | NumberStep::WaitFile(f) => {
                files.push(f.clone())
            }
            NumberStep::Stop => {
                // pbx_builtins.c's message for Asterisk's -1.
                warnings.push(format!(
                    "WARNING pbx_builtins.c We were unable to say the number {number}, is it too large?"
                ));
                break;
            }
        }
    }
    (files, warnings)
}

fn ours(lang: &str, case: &str) -> (Vec<String>, Vec<String>) {
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
                say::number_steps(lang, n, option, |_| true)
            } else {
                say::ordinal_steps(lang, n)
            };
            played(&steps, number_text)
        }
        "SayMoney" => {
            let warnings = say::money_warnings(lang, args)
                .into_iter()
                .map(|w| format!("WARNING say.c {w}"))
                .collect();
            (say::money_files_en(args, |_| true), warnings)
        }
        other => panic!("unknown application {other}"),
    }
}

#[test]
fn say_by_language_matches_asterisk() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/golden/asterisk-20.20.1/say/say.table"
    );
    let table = std::fs::read_to_string(path).expect("golden say.table");
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "bad row {line:?}");
        let (lang, case) = (cols[0], cols[1]);
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
        let (files, warnings) = ours(lang, case);
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
    assert!(rows > 7000, "only {rows} rows");
    assert!(
        wrong.is_empty(),
        "{} of {rows} cases differ:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
