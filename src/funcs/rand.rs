//! RAND (Asterisk's `func_rand.c`).

use std::sync::Mutex;

use super::c::{app_args, scan_int};
use super::{Failed, FuncCtx, Function};

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "RAND",
        read: Some(rand),
        write: None,
        synopsis: "Gives a random integer between two bounds, both included.",
        syntax: "RAND([min][,max])",
    }]
}

/// C's `RAND_MAX` (glibc).
const RAND_MAX: i32 = i32::MAX;

static STATE: Mutex<u64> = Mutex::new(0);

/// `ast_random()`: a value in `0..=RAND_MAX` (xorshift64*, seeded once
/// from the standard library's per-process random keys).
pub fn random() -> i64 {
    let mut s = crate::core::lock(&STATE);
    if *s == 0 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        *s = h.finish() | 1;
    }
    let mut x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as i64
}

fn bound(arg: Option<&String>, default: i32) -> i32 {
    match arg.filter(|s| !s.is_empty()).and_then(|s| scan_int(s)) {
        Some((v, _)) => v,
        None => default,
    }
}

fn rand(_: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 2);
    let mut min = bound(args.first(), 0);
    let mut max = bound(args.get(1), RAND_MAX);
    if max < min {
        std::mem::swap(&mut min, &mut max);
    }
    // int arithmetic as in C: the span wraps (0..=RAND_MAX spans INT_MIN,
    // which leaves the random value unchanged); a span of 0 would trap in
    // C, here it gives min.
    let span = i64::from(max.wrapping_sub(min).wrapping_add(1));
    let r = if span == 0 { 0 } else { random() % span };
    Ok(((i64::from(min) + r) as i32).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_stays_in_range() {
        for _ in 0..1000 {
            let r = random();
            assert!((0..=i64::from(RAND_MAX)).contains(&r));
        }
    }
}
