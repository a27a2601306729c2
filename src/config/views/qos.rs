//! `tos=`/`cos=` values (`ast_str2tos`, `ast_str2cos`).

use super::values::{scan_d, scan_i};

/// DSCP class names and their code points.
const DSCP: &[(&str, u32)] = &[
    ("CS0", 0x00),
    ("CS1", 0x08),
    ("CS2", 0x10),
    ("CS3", 0x18),
    ("CS4", 0x20),
    ("CS5", 0x28),
    ("CS6", 0x30),
    ("CS7", 0x38),
    ("AF11", 0x0A),
    ("AF12", 0x0C),
    ("AF13", 0x0E),
    ("AF21", 0x12),
    ("AF22", 0x14),
    ("AF23", 0x16),
    ("AF31", 0x1A),
    ("AF32", 0x1C),
    ("AF33", 0x1E),
    ("AF41", 0x22),
    ("AF42", 0x24),
    ("AF43", 0x26),
    ("EF", 0x2E),
];

/// A TOS byte: a number (decimal, `0x` hex or `0` octal, kept to 8 bits)
/// or a DSCP class name.
pub fn str2tos(value: &str) -> Option<u32> {
    if let Some(n) = scan_i(value) {
        return Some((n as u32) & 0xff);
    }
    DSCP.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(value))
        .map(|(_, d)| d << 2)
}

/// A CoS priority, 0 to 7.
pub fn str2cos(value: &str) -> Option<u32> {
    scan_d(value)
        .filter(|n| (0..8).contains(n))
        .map(|n| n as u32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tos_values() {
        assert_eq!(super::str2tos("ef"), Some(184));
        assert_eq!(super::str2tos("0x18"), Some(24));
        assert_eq!(super::str2tos("300"), Some(44));
        assert_eq!(super::str2tos("nope"), None);
        assert_eq!(super::str2cos("3"), Some(3));
        assert_eq!(super::str2cos("9"), None);
    }
}
