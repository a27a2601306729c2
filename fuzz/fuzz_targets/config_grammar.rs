//! `cargo fuzz run config_grammar`: any bytes as a config file, then the
//! dialplan built from it, must never panic.
#![no_main]

use asterism::config::{LoadOptions, loader::load_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = LoadOptions::new("/nonexistent");
    if let Ok(cfg) = load_str("extensions.conf", &text, &opts) {
        let _ = asterism::pbx::Dialplan::from_config(&cfg);
    }
});
