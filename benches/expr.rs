//! `$[...]` evaluation: typical dialplan expressions, then heavier ones.
//! Compare figures as ratios between runs of the same machine.

use std::hint::black_box;

use asterism::pbx::expr::evaluate;
use criterion::{Criterion, criterion_group, criterion_main};

fn typical(c: &mut Criterion) {
    for (name, expr) in [
        ("integer sum", "1 + 1"),
        ("comparison chain", "5 > 3 & 2 <= 2 | 0"),
        ("string equality", "\"SIP/100\" = \"SIP/100\""),
        ("ternary", "12 >= 10 ? long :: short"),
        ("division", "10 / 3"),
        ("regex group", "\"SIP/100-00000001\" : \"SIP/([0-9]+)-\""),
        ("regex unanchored", "\"+15551234567\" =~ \"555\""),
    ] {
        c.bench_function(&format!("expr: {name}"), |b| {
            b.iter(|| evaluate(black_box(expr)))
        });
    }
}

fn heavy(c: &mut Criterion) {
    for (name, expr) in [
        ("decimal fraction", "0.1234567890123456789 * 3"),
        ("math function", "SIN(1) + LOG(10)"),
        ("syntax error", "1 + + 2"),
    ] {
        c.bench_function(&format!("expr: {name}"), |b| {
            b.iter(|| evaluate(black_box(expr)))
        });
    }
}

criterion_group!(benches, typical, heavy);
criterion_main!(benches);
