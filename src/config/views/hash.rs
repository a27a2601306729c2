//! The string hashes Asterisk's hash containers use (`ast_str_hash`,
//! `ast_str_case_hash`). Listings that walk such a container come out in
//! bucket order, so views sort by these to list as Asterisk does.

/// `ast_str_hash`: djb2 with xor, kept to the positive half of an `int`.
pub fn str_hash(s: &str) -> i32 {
    let mut h: u32 = 5381;
    for b in s.bytes() {
        h = h.wrapping_mul(33) ^ u32::from(b);
    }
    (h & i32::MAX as u32) as i32
}

/// `ast_str_case_hash`: the same over the lower-cased bytes.
pub fn str_case_hash(s: &str) -> i32 {
    let mut h: u32 = 5381;
    for b in s.bytes() {
        h = h.wrapping_mul(33) ^ u32::from(b.to_ascii_lowercase());
    }
    (h & i32::MAX as u32) as i32
}

/// Orders `items` as a walk over an ao2 hash container of `buckets`
/// buckets visits them: by bucket (`hash % buckets`), keeping the order
/// of insertion within a bucket.
pub fn sort_into_buckets<T>(items: &mut [T], buckets: usize, hash: impl Fn(&T) -> i32) {
    let buckets = buckets.max(1);
    items.sort_by_key(|x| (hash(x).unsigned_abs() as usize) % buckets);
}

#[cfg(test)]
mod tests {
    #[test]
    fn case_hash_ignores_case() {
        assert_eq!(
            super::str_case_hash("Default"),
            super::str_case_hash("default")
        );
        assert_ne!(super::str_hash("Default"), super::str_hash("default"));
        assert_eq!(super::str_hash(""), 5381);
    }
}
