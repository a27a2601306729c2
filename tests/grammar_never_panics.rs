//! A bounded, deterministic fuzz pass over the config grammar and the
//! dialplan builder, so CI checks on every run what `cargo fuzz run
//! config_grammar` checks at length: mangled configs never panic.

mod common;
use asterism::config::{LoadOptions, loader::load_str};
use asterism::pbx::Dialplan;
use common::Rng;

const PIECES: &[&str] = &[
    "[",
    "]",
    "(",
    ")",
    "(!)",
    "(+)",
    "(+type=x)",
    "=",
    "=>",
    "+=",
    ";",
    ";--",
    "--;",
    "\\",
    "\\;",
    "#include",
    "#tryinclude",
    "#exec",
    "\"",
    "<",
    ">",
    ",",
    "_",
    "X.",
    "[1-",
    "!",
    "n(",
    "hint",
    "same",
    "exten",
    "${",
    "}",
    "$[",
    "\u{feff}",
    "\u{e9}",
    "\n",
    " ",
];

#[test]
fn mangled_configs_never_panic() {
    let seeds = [
        include_str!("../compat-configs/syntax/extensions.conf"),
        include_str!("../compat-configs/office/extensions.conf"),
        include_str!("../compat-configs/syntax/sip.conf"),
        include_str!("../compat-configs/office-pjsip/pjsip.conf"),
    ];
    let opts = LoadOptions::new("/nonexistent");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut loaded, mut rejected) = (0, 0);
    for round in 0..3000 {
        let seed = seeds[round % seeds.len()];
        let mut text: Vec<char> = seed.chars().collect();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(text.len() + 1);
            match rng.below(3) {
                0 => {
                    let piece = PIECES[rng.below(PIECES.len())];
                    for (i, c) in piece.chars().enumerate() {
                        text.insert((at + i).min(text.len()), c);
                    }
                }
                1 if !text.is_empty() => {
                    let end = (at + rng.below(20)).min(text.len());
                    text.drain(at.min(end)..end);
                }
                _ => {
                    if at < text.len() {
                        text[at] = char::from(b' ' + (rng.below(95) as u8));
                    }
                }
            }
        }
        let s: String = text.into_iter().collect();
        match load_str("extensions.conf", &s, &opts) {
            Ok(cfg) => {
                let _ = Dialplan::from_config(&cfg);
                loaded += 1;
            }
            Err(e) => {
                // A rejection must say where.
                assert!(e.0.line >= 1 && e.0.column >= 1, "{e}");
                rejected += 1;
            }
        }
    }
    // The mutations reach both the accepting and the rejecting paths.
    assert!(
        loaded > 100 && rejected > 100,
        "loaded {loaded}, rejected {rejected}"
    );
}
