//! Call and pickup groups: numbered (`callgroup=1,3-5`, a 64-bit mask) and
//! named (`namedcallgroup=sales,support`), parsed and printed as
//! main/channel.c does.

use super::hash::{sort_into_buckets, str_hash};

/// `ast_get_group`: numbers and ranges 0..=63; the pieces Asterisk would
/// log and skip are returned as the second value.
pub fn parse_group(value: &str) -> (u64, Vec<String>) {
    let mut mask = 0u64;
    let mut bad = Vec::new();
    if value.is_empty() {
        return (0, bad);
    }
    for piece in value.split(',') {
        let (start, finish) = match leading_int(piece) {
            Some((start, rest)) => match rest.strip_prefix('-').and_then(leading_int) {
                Some((finish, _)) => (start, finish),
                None => (start, start),
            },
            None => {
                bad.push(piece.to_string());
                continue;
            }
        };
        for x in start..=finish {
            if (0..=63).contains(&x) {
                mask |= 1u64 << x;
            } else {
                bad.push(x.to_string());
            }
        }
    }
    (mask, bad)
}

/// `sscanf("%d")`: optional blanks and sign, then digits.
fn leading_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start();
    let sign_len = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let end = sign_len + digits;
    t[..end].parse().ok().map(|n| (n, &t[end..]))
}

/// `ast_print_group`: the set bits, `, ` between them.
pub fn print_group(mask: u64) -> String {
    (0..64)
        .filter(|i| mask & (1u64 << i) != 0)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Named groups in the order Asterisk lists them: its 19-bucket hash
/// container, walked bucket by bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NamedGroups(pub Vec<String>);

impl NamedGroups {
    /// `ast_get_namedgroups`: comma list, blanks trimmed, a name given
    /// twice kept once (at its last place in its bucket).
    pub fn parse(value: &str) -> NamedGroups {
        let mut names: Vec<String> = Vec::new();
        for piece in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            names.retain(|n| n != piece);
            names.push(piece.to_string());
        }
        sort_into_buckets(&mut names, 19, |n| str_hash(n));
        NamedGroups(names)
    }

    /// `ast_print_namedgroups`.
    pub fn print(&self) -> String {
        self.0.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_groups() {
        let (m, bad) = parse_group("1,3-5, 63,64,x");
        assert_eq!(print_group(m), "1, 3, 4, 5, 63");
        assert_eq!(bad, ["64", "x"]);
        assert_eq!(print_group(0), "");
    }

    #[test]
    fn named_groups_dedupe() {
        let g = NamedGroups::parse(" a , b,a,,");
        assert_eq!(g.0.len(), 2);
        assert!(NamedGroups::parse("").print().is_empty());
    }
}
