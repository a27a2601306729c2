//! The dialplan engine's hot paths: finding the extension to run in the
//! `large/` dialplan (the goal is under 1 µs), and evaluating
//! `$[...]` expressions. Compare figures as ratios within one run: the
//! baseline here is the cost of an exact match in the first context.
//!
//! With the lookup index (two runs, `--warm-up-time 1 --measurement-time
//! 3`, on a shared, busy 2-core machine; the baseline was 130-140 ns):
//!
//! | lookup from `ctx00`                      | vs baseline |
//! |------------------------------------------|-------------|
//! | exact, first context (baseline)          | 1×          |
//! | exact, through 49 includes               | 1.1-1.2×    |
//! | only a pattern matches (all 50 contexts) | 1.9-2.3×    |
//! | `find_linear`, through includes          | 34-47×      |
//! | `find_linear`, pattern only              | 148-234×    |
//!
//! Before the index, the same three lookups were 1×, 35× and 123× of a
//! baseline of about 160 ns (the plain walk is `find_linear`, kept as the
//! reference the differential tests compare with).

use std::hint::black_box;
use std::path::PathBuf;

use asterism::pbx::find::{Want, find, find_linear};
use criterion::{Criterion, criterion_group, criterion_main};

fn large_system() -> std::sync::Arc<asterism::core::System> {
    let conf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat-configs/large/asterisk.conf");
    match asterism::core::System::start(&conf) {
        Ok(s) => s,
        Err(e) => panic!("the large compat config must load: {e}"),
    }
}

fn lookup(c: &mut Criterion) {
    let system = large_system();
    let loaded = system.loaded();
    let plan = &loaded.dialplan;
    for (label, exten) in [
        ("exact, first context (baseline)", "10005"),
        ("exact, through includes", "59005"),
        ("pattern only", "1234567"),
    ] {
        c.bench_function(&format!("find {label}"), |b| {
            b.iter(|| {
                find(
                    plan,
                    black_box("ctx00"),
                    black_box(exten),
                    Want::Priority(1),
                    None,
                )
                .is_ok()
            })
        });
    }
    // The straightforward walk the index replaced, for comparison.
    for (label, exten) in [
        ("exact, through includes", "59005"),
        ("pattern only", "1234567"),
    ] {
        c.bench_function(&format!("find_linear {label}"), |b| {
            b.iter(|| {
                find_linear(
                    plan,
                    black_box("ctx00"),
                    black_box(exten),
                    Want::Priority(1),
                    None,
                )
                .is_ok()
            })
        });
    }
}

fn expressions(c: &mut Criterion) {
    for e in [
        "1 + 2",
        "${X} = 5 & 3 < 4",
        "\"abc\" : \"a(.)c\"",
        "(1 + 2) * 3 - 4 / 2 % 3",
    ] {
        c.bench_function(&format!("expr {e}"), |b| {
            b.iter(|| asterism::pbx::expr::evaluate(black_box(e)))
        });
    }
}

criterion_group!(benches, lookup, expressions);
criterion_main!(benches);
