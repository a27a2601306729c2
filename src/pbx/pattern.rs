//! Extension names and patterns: Asterisk's sort order (`ext_cmp`) and its
//! matcher (`_extension_match_core`), rule for rule.
//!
//! Sort order decides which extension wins when several match, and the
//! order `dialplan show` lists them in, so it has to be exactly Asterisk's:
//! plain extensions before patterns; plain ones byte by byte; patterns
//! position by position, the smaller character set first, `.` after any
//! set, `!` after `.`, and the end of a pattern after all of them (so
//! `_X.` sorts before `_X`, and `_XX` before `_X`).

use std::cmp::Ordering;

/// Skips `-`, which Asterisk treats as eye candy in extensions.
fn skip_fluff(s: &[u8], mut i: usize) -> usize {
    while s.get(i) == Some(&b'-') {
        i += 1;
    }
    i
}

fn cmp_exten(left: &[u8], right: &[u8]) -> Ordering {
    let (mut l, mut r) = (0, 0);
    loop {
        l = skip_fluff(left, l);
        r = skip_fluff(right, r);
        let lc = left.get(l).copied().unwrap_or(0);
        let rc = right.get(r).copied().unwrap_or(0);
        if lc != rc {
            return lc.cmp(&rc);
        }
        if lc == 0 {
            return Ordering::Equal;
        }
        l += 1;
        r += 1;
    }
}

/// One position of a pattern scored as Asterisk does: the low byte is the
/// smallest character, the next the set size, higher bits the wildcards;
/// `bits` is the character set, for ties between equal-sized sets.
struct PatternPos {
    score: u32,
    bits: [u8; 32],
}

const SCORE_DOT: u32 = 0x18000;
const SCORE_BANG: u32 = 0x28000;
const SCORE_END: u32 = 0x30000;
const SCORE_BAD_SET: u32 = 0x40000;

fn set_bit(bits: &mut [u8; 32], c: u8) -> bool {
    let mask = 1u8 << (7 - (c % 8));
    let slot = &mut bits[(c / 8) as usize];
    let was_clear = *slot & mask == 0;
    *slot |= mask;
    was_clear
}

/// Reads the next position of `p` starting at `*i`; `None` for `*i` means
/// the pattern has ended.
fn pattern_pos(p: &[u8], i: &mut Option<usize>) -> PatternPos {
    let mut bits = [0u8; 32];
    loop {
        let Some(mut at) = *i else {
            return PatternPos {
                score: SCORE_END,
                bits,
            };
        };
        at = skip_fluff(p, at);
        let c = p.get(at).copied().unwrap_or(0);
        at += 1;
        *i = Some(at);
        match c {
            b'n' | b'N' => {
                bits[6] = 0x3f;
                bits[7] = 0xc0;
                return PatternPos {
                    score: 0x0800 | u32::from(b'2'),
                    bits,
                };
            }
            b'x' | b'X' => {
                bits[6] = 0xff;
                bits[7] = 0xc0;
                return PatternPos {
                    score: 0x0A00 | u32::from(b'0'),
                    bits,
                };
            }
            b'z' | b'Z' => {
                bits[6] = 0x7f;
                bits[7] = 0xc0;
                return PatternPos {
                    score: 0x0900 | u32::from(b'1'),
                    bits,
                };
            }
            b'.' => {
                return PatternPos {
                    score: SCORE_DOT,
                    bits,
                };
            }
            b'!' => {
                return PatternPos {
                    score: SCORE_BANG,
                    bits,
                };
            }
            0 => {
                *i = None;
                return PatternPos {
                    score: SCORE_END,
                    bits,
                };
            }
            b'[' => {
                let Some(end) = p[at..].iter().position(|&b| b == b']').map(|e| e + at) else {
                    return PatternPos {
                        score: SCORE_BAD_SET,
                        bits,
                    };
                };
                let mut count = 0u32;
                let mut cmin = 0xffu8;
                let mut j = at;
                while j < end {
                    let c1 = p[j];
                    let c2 = if j + 2 < end && p[j + 1] == b'-' {
                        j += 2;
                        p[j]
                    } else {
                        c1
                    };
                    cmin = cmin.min(c1);
                    let mut c = c1;
                    while c <= c2 {
                        if set_bit(&mut bits, c) {
                            count += 0x100;
                        }
                        if c == 255 {
                            break;
                        }
                        c += 1;
                    }
                    j += 1;
                }
                *i = Some(end + 1);
                // An empty set is skipped, as in Asterisk.
                if count > 0 {
                    return PatternPos {
                        score: count | u32::from(cmin),
                        bits,
                    };
                }
            }
            other => {
                set_bit(&mut bits, other);
                return PatternPos {
                    score: 0x0100 | u32::from(other),
                    bits,
                };
            }
        }
    }
}

fn cmp_pattern(left: &[u8], right: &[u8]) -> Ordering {
    let (mut l, mut r) = (Some(0), Some(0));
    loop {
        let lp = pattern_pos(left, &mut l);
        let rp = pattern_pos(right, &mut r);
        // Equal scores: the set holding lower characters sorts first, which
        // is the reverse of a plain comparison of the bit arrays.
        let ord = lp.score.cmp(&rp.score).then_with(|| rp.bits.cmp(&lp.bits));
        if ord != Ordering::Equal {
            return ord;
        }
        if l.is_none() {
            return Ordering::Equal;
        }
    }
}

/// Asterisk's `ext_cmp`: the order extensions are kept and tried in.
pub fn ext_cmp(left: &str, right: &str) -> Ordering {
    let (l, r) = (left.as_bytes(), right.as_bytes());
    match (l.first() == Some(&b'_'), r.first() == Some(&b'_')) {
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, false) => cmp_exten(l, r),
        (true, true) => cmp_pattern(&l[1..], &r[1..]),
    }
}

/// Result of matching a dialled string against an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    No,
    Yes,
    /// Matched through `!` (early match).
    Early,
}

impl Match {
    pub fn is_match(self) -> bool {
        self != Match::No
    }
}

fn fluff_len(s: &[u8]) -> usize {
    s.iter().filter(|&&b| b != b'-').count()
}

/// Whether the inside of a `[...]` set (`a-c` ranges and single
/// characters) holds `dc`, read as the matcher reads it.
fn set_has(set: &[u8], dc: u8) -> bool {
    let mut j = 0;
    while j < set.len() {
        if j + 2 < set.len() && set[j + 1] == b'-' {
            if dc >= set[j] && dc <= set[j + 2] {
                return true;
            }
            j += 3;
        } else {
            if dc == set[j] {
                return true;
            }
            j += 1;
        }
    }
    false
}

/// `ast_extension_match`: does `data` (a dialled string) match `pattern`
/// (an extension name, plain or `_`-pattern)?
pub fn extension_match(pattern: &str, data: &str) -> Match {
    let p = pattern.as_bytes();
    let d = data.as_bytes();
    if p.first() != Some(&b'_') {
        if fluff_len(p) < fluff_len(d) {
            return Match::No;
        }
        return if cmp_exten(p, d) == Ordering::Equal {
            Match::Yes
        } else {
            Match::No
        };
    }
    // A pattern given as data matches a pattern equal to it (so `_X.`
    // finds `_X.`), before it is tried as a dialled string.
    if d.first() == Some(&b'_') && cmp_pattern(&p[1..], &d[1..]) == Ordering::Equal {
        return Match::Yes;
    }
    let (mut pi, mut di) = (1usize, 0usize);
    loop {
        di = skip_fluff(d, di);
        pi = skip_fluff(p, pi);
        let (Some(&dc), Some(&pc)) = (d.get(di), p.get(pi)) else {
            break;
        };
        if pc == b'/' {
            break;
        }
        match pc {
            b'[' => {
                let start = pi + 1;
                let Some(end) = p[start..]
                    .iter()
                    .position(|&b| b == b']')
                    .map(|e| e + start)
                else {
                    return Match::No;
                };
                if start == end {
                    pi = end + 1;
                    continue;
                }
                if !set_has(&p[start..end], dc) {
                    return Match::No;
                }
                pi = end;
            }
            b'n' | b'N' if !(b'2'..=b'9').contains(&dc) => return Match::No,
            b'x' | b'X' if !dc.is_ascii_digit() => return Match::No,
            b'z' | b'Z' if !(b'1'..=b'9').contains(&dc) => return Match::No,
            b'n' | b'N' | b'x' | b'X' | b'z' | b'Z' => {}
            b'.' => return Match::Yes,
            b'!' => return Match::Early,
            other if other != dc => return Match::No,
            _ => {}
        }
        di += 1;
        pi += 1;
    }
    if di < d.len() {
        return Match::No;
    }
    match p.get(pi) {
        None | Some(b'/') => Match::Yes,
        Some(b'!') => Match::Early,
        _ => Match::No,
    }
}

/// `E_MATCHMORE`: could `data` grow into a match of `pattern` with more
/// digits (what the run loop asks before waiting for another digit)?
pub fn could_match_more(pattern: &str, data: &str) -> bool {
    let p = pattern.as_bytes();
    let d = data.as_bytes();
    if p.first() != Some(&b'_') {
        let pc: Vec<u8> = p.iter().copied().filter(|&b| b != b'-').collect();
        let dc: Vec<u8> = d.iter().copied().filter(|&b| b != b'-').collect();
        return pc.len() > dc.len() && pc.starts_with(&dc);
    }
    let (mut pi, mut di) = (1usize, 0usize);
    loop {
        di = skip_fluff(d, di);
        pi = skip_fluff(p, pi);
        let Some(&pc) = p.get(pi) else {
            return false;
        };
        if pc == b'/' {
            return false;
        }
        let Some(&dc) = d.get(di) else {
            // The data is used up and the pattern wants more.
            return true;
        };
        match pc {
            b'[' => {
                let start = pi + 1;
                let Some(end) = p[start..]
                    .iter()
                    .position(|&b| b == b']')
                    .map(|e| e + start)
                else {
                    return false;
                };
                if start < end && !set_has(&p[start..end], dc) {
                    return false;
                }
                pi = end;
            }
            b'n' | b'N' if !(b'2'..=b'9').contains(&dc) => return false,
            b'x' | b'X' if !dc.is_ascii_digit() => return false,
            b'z' | b'Z' if !(b'1'..=b'9').contains(&dc) => return false,
            b'n' | b'N' | b'x' | b'X' | b'z' | b'Z' => {}
            b'.' | b'!' => return true,
            other if other != dc => return false,
            _ => {}
        }
        di += 1;
        pi += 1;
    }
}

/// The stored (displayed) form of an extension name: spaces outside `[]`
/// are dropped (`ext_strncpy` without fluff removal).
pub fn normalize_name(name: &str) -> String {
    ext_strncpy(name, false)
}

/// The form Asterisk compares extension names in (`ext_strncpy` with
/// fluff removal): spaces and dashes outside a pattern's `[]` dropped.
pub fn fluffless_name(name: &str) -> String {
    ext_strncpy(name, true)
}

/// `ext_strncpy`: blanks outside a pattern's `[]` dropped, and dashes too
/// when `nofluff`.
fn ext_strncpy(name: &str, nofluff: bool) -> String {
    let is_pattern = name.starts_with('_');
    let mut out = String::with_capacity(name.len());
    let mut in_set = false;
    for c in name.chars() {
        match c {
            '[' if is_pattern => in_set = true,
            ']' => in_set = false,
            ' ' if !in_set => continue,
            '-' if !in_set && nofluff => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A set of bytes, one bit each.
pub type ByteSet = [u64; 4];

fn byteset_has(set: &ByteSet, b: u8) -> bool {
    set[usize::from(b >> 6)] >> (b & 63) & 1 == 1
}

fn byteset_of(f: impl Fn(u8) -> bool) -> ByteSet {
    let mut set = [0u64; 4];
    for b in 0..=255u8 {
        if f(b) {
            set[usize::from(b >> 6)] |= 1 << (b & 63);
        }
    }
    set
}

/// One position of a compiled pattern, before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Takes one dialled character, which must be in the set.
    Char(ByteSet),
    /// `[]`: takes nothing, but the dialled string must not have ended.
    NotEnded,
}

/// How a compiled pattern ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// End of the pattern (or `/`): the dialled string must end too.
    End,
    /// `.`: one or more characters more.
    Dot,
    /// `!`: zero or more characters more, an early match.
    Bang,
    /// An unterminated `[`: nothing matches.
    Never,
}

/// An `_`-pattern compiled for [`extension_match`]'s rules, to match
/// dialled strings from which `-` has been removed. It gives exactly
/// `extension_match`'s answer for data that does not start with `_` (the
/// matcher skips `-` in the data everywhere, so removing them first is the
/// same); the differential tests hold it to that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledPattern {
    steps: Box<[Step]>,
    tail: Tail,
    /// Bounds on the length of matching (`-`-free) dialled strings.
    pub min_len: usize,
    pub max_len: usize,
    /// The bytes a matching non-empty dialled string can start with.
    pub first: ByteSet,
    /// Whether the empty string matches.
    pub matches_empty: bool,
}

impl CompiledPattern {
    /// Compiles an extension name; `None` when it is not a pattern.
    pub fn new(name: &str) -> Option<Self> {
        let p = name.as_bytes();
        if p.first() != Some(&b'_') {
            return None;
        }
        // Walks the pattern as `extension_match` does, position by position.
        let mut steps = Vec::new();
        let mut pi = 1;
        let tail = loop {
            pi = skip_fluff(p, pi);
            let Some(&pc) = p.get(pi) else {
                break Tail::End;
            };
            let set = match pc {
                b'/' => break Tail::End,
                b'.' => break Tail::Dot,
                b'!' => break Tail::Bang,
                b'[' => {
                    let start = pi + 1;
                    let Some(end) = p[start..]
                        .iter()
                        .position(|&b| b == b']')
                        .map(|e| e + start)
                    else {
                        break Tail::Never;
                    };
                    pi = end + 1;
                    if start == end {
                        steps.push(Step::NotEnded);
                        continue;
                    }
                    byteset_of(|b| set_has(&p[start..end], b))
                }
                b'n' | b'N' => byteset_of(|b| (b'2'..=b'9').contains(&b)),
                b'x' | b'X' => byteset_of(|b| b.is_ascii_digit()),
                b'z' | b'Z' => byteset_of(|b| (b'1'..=b'9').contains(&b)),
                other => byteset_of(|b| b == other),
            };
            if pc != b'[' {
                pi += 1;
            }
            steps.push(Step::Char(set));
        };
        let mut chars = 0usize;
        let mut min_len = 0usize;
        let mut first = None;
        for s in &steps {
            match s {
                Step::Char(set) => {
                    first.get_or_insert(*set);
                    chars += 1;
                }
                Step::NotEnded => min_len = min_len.max(chars + 1),
            }
        }
        let (min_len, max_len) = match tail {
            Tail::End => (min_len.max(chars), chars),
            Tail::Dot => (min_len.max(chars + 1), usize::MAX),
            Tail::Bang => (min_len.max(chars), usize::MAX),
            Tail::Never => (1, 0),
        };
        let first = first.unwrap_or(match tail {
            Tail::Dot | Tail::Bang => [u64::MAX; 4],
            Tail::End | Tail::Never => [0; 4],
        });
        let mut c = CompiledPattern {
            steps: steps.into_boxed_slice(),
            tail,
            min_len,
            max_len,
            first,
            matches_empty: false,
        };
        c.matches_empty = c.matches(b"").is_match();
        Some(c)
    }

    /// Cheap necessary condition for [`Self::matches`].
    #[inline]
    pub fn may_match(&self, data: &[u8]) -> bool {
        let len = data.len();
        if len < self.min_len || len > self.max_len {
            return false;
        }
        match data.first() {
            Some(&b) => byteset_has(&self.first, b),
            None => self.matches_empty,
        }
    }

    /// Whether a matching non-empty dialled string can start with `b`.
    pub fn may_start_with(&self, b: u8) -> bool {
        byteset_has(&self.first, b)
    }

    /// Matches a dialled string with its `-` removed.
    pub fn matches(&self, data: &[u8]) -> Match {
        let mut di = 0;
        for s in self.steps.iter() {
            match s {
                Step::Char(set) => match data.get(di) {
                    Some(&c) if byteset_has(set, c) => di += 1,
                    _ => return Match::No,
                },
                Step::NotEnded => {
                    if di >= data.len() {
                        return Match::No;
                    }
                }
            }
        }
        match self.tail {
            Tail::End if di == data.len() => Match::Yes,
            Tail::Dot if di < data.len() => Match::Yes,
            Tail::Bang => Match::Early,
            _ => Match::No,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_more_asks_whether_more_digits_could_match() {
        assert!(could_match_more("123", "1"));
        assert!(!could_match_more("123", "123"));
        assert!(!could_match_more("123", "13"));
        assert!(could_match_more("_1XX", "1"));
        assert!(!could_match_more("_1XX", "2"));
        assert!(!could_match_more("_1XX", "123"));
        assert!(could_match_more("_X.", "5"));
        assert!(could_match_more("_9!", "9"));
        assert!(could_match_more("_[1-3]N", "2"));
        assert!(!could_match_more("_[1-3]N", "4"));
        assert!(could_match_more("_1-2-3", "12"));
    }

    /// Each row: extensions in the order Asterisk sorts them.
    #[test]
    fn sort_order_table() {
        let rows: &[&[&str]] = &[
            &["1000", "1100", "600", "999", "close", "s"],
            &["100", "_1XX", "_X.", "_."],
            &["_1X.", "_1X", "_1"],
            &["_12", "_1[2-3]", "_1N", "_1Z", "_1X"],
            &["_[12]", "_[13]", "_[23]"],
            &["_X.", "_X!", "_X"],
            &["_NXX.", "_NXX", "_."],
            &["_2XX", "_[2-9]XX"],
            &["_XX", "_X"],
            &["555-1212", "5551213"],
            &["_1-2X", "_13X"],
        ];
        for row in rows {
            for pair in row.windows(2) {
                assert_eq!(
                    ext_cmp(pair[0], pair[1]),
                    Ordering::Less,
                    "{} < {}",
                    pair[0],
                    pair[1]
                );
                assert_eq!(
                    ext_cmp(pair[1], pair[0]),
                    Ordering::Greater,
                    "{} > {}",
                    pair[1],
                    pair[0]
                );
            }
        }
        assert_eq!(ext_cmp("555-1212", "5551212"), Ordering::Equal);
        assert_eq!(ext_cmp("_N[0-9]X", "_NXX"), Ordering::Equal);
        assert_eq!(ext_cmp("_[2-9]XX", "_NXX"), Ordering::Equal);
    }

    #[test]
    fn match_table() {
        let rows: &[(&str, &str, Match)] = &[
            ("100", "100", Match::Yes),
            ("100", "10", Match::No),
            ("555-1212", "5551212", Match::Yes),
            ("_X.", "1", Match::No),
            ("_X.", "12", Match::Yes),
            ("_X!", "1", Match::Early),
            ("_X!", "", Match::No),
            ("_.", "s", Match::Yes),
            ("_NXX", "200", Match::Yes),
            ("_NXX", "100", Match::No),
            ("_Z", "0", Match::No),
            ("_[04-9*#]", "5", Match::Yes),
            ("_[04-9*#]", "#", Match::Yes),
            ("_[04-9*#]", "3", Match::No),
            ("_1-800-NXX", "1800555", Match::Yes),
            ("_X.", "_X.", Match::Yes),
            ("_XX", "1", Match::No),
            ("_abc", "abc", Match::Yes),
        ];
        for (pattern, data, expected) in rows {
            assert_eq!(
                extension_match(pattern, data),
                *expected,
                "{pattern} vs {data}"
            );
        }
    }

    /// The compiled matcher and its prefilter against `extension_match`,
    /// on every short string over an alphabet that exercises each rule.
    #[test]
    fn compiled_patterns_agree_with_the_matcher() {
        let patterns = [
            "_X",
            "_X.",
            "_X!",
            "_.",
            "_!",
            "_",
            "_/",
            "_1/2",
            "_NXX",
            "_Z",
            "_1-800-NXX",
            "_[04-9*#]",
            "_[a-]X",
            "_[-a]",
            "_[]",
            "_1[]",
            "_1[]2",
            "_[]1",
            "_[12",
            "_1[2",
            "_X[]",
            "_X[].",
            "_[]!",
            "_xnz",
            "_XX-",
            "_--1",
            "_[9-0]",
            "_[0-9",
            "_[1-]",
            "_[x]",
            "_ab",
            "_a.",
            "_1!2",
            "_.2",
            "_[]]",
            "_[[]",
            "_X.X",
            "_-",
            "_[1-2-5]",
        ];
        let alphabet = b"0125a-*#[x_";
        let mut data: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = vec![Vec::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for d in &last {
                for &c in alphabet {
                    let mut e = d.clone();
                    e.push(c);
                    next.push(e);
                }
            }
            data.extend(next.iter().cloned());
            last = next;
        }
        data.push(b"18005551212".to_vec());
        data.push(b"1-800-555".to_vec());
        for pat in patterns {
            let c = CompiledPattern::new(pat).expect("a pattern");
            for d in &data {
                let d = std::str::from_utf8(d).expect("ascii");
                if d.starts_with('_') {
                    continue;
                }
                let stripped: Vec<u8> = d.bytes().filter(|&b| b != b'-').collect();
                let want = extension_match(pat, d);
                assert_eq!(c.matches(&stripped), want, "{pat} vs {d:?}");
                if want.is_match() {
                    assert!(c.may_match(&stripped), "prefilter {pat} vs {d:?}");
                }
            }
        }
        assert!(CompiledPattern::new("100").is_none());
    }

    #[test]
    fn names_drop_spaces_outside_sets() {
        assert_eq!(normalize_name("1 000"), "1000");
        assert_eq!(normalize_name("_[1 2]X"), "_[1 2]X");
    }
}
