//! Loading `compat-configs/large` (10,100 extensions): parse, build the
//! dialplan, and `dialplan show <exten>@<context>` through includes.
//! Compare figures as ratios between runs of the same machine.

use std::hint::black_box;
use std::path::PathBuf;

use asterism::config::{LoadOptions, load};
use asterism::pbx::Dialplan;
use criterion::{Criterion, criterion_group, criterion_main};

fn large_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat-configs/large")
}

fn parse_and_build(c: &mut Criterion) {
    let opts = LoadOptions::new(large_dir());
    c.bench_function("large: parse extensions.conf", |b| {
        b.iter(|| load(black_box("extensions.conf"), &opts))
    });
    c.bench_function("large: parse + build dialplan", |b| {
        b.iter(|| {
            let cfg = load("extensions.conf", &opts)
                .ok()
                .flatten()
                .unwrap_or_default();
            black_box(Dialplan::from_config(&cfg))
        })
    });
}

fn show_lookup(c: &mut Criterion) {
    let Ok(system) = asterism::core::System::start(&large_dir().join("asterisk.conf")) else {
        panic!("the large compat config must load");
    };
    // An exact extension in the first context, one found through 49
    // includes, and one that only patterns match.
    for cmd in [
        "dialplan show 10005@ctx00",
        "dialplan show 59005@ctx00",
        "dialplan show 1234567@ctx00",
    ] {
        c.bench_function(cmd, |b| {
            b.iter(|| asterism::cli::execute(&system, black_box(cmd)))
        });
    }
}

criterion_group!(benches, parse_and_build, show_lookup);
criterion_main!(benches);
