//! Reading option values the way Asterisk's C code does (`ast_true`,
//! `sscanf("%d")`, `atoi`), with a [`Diagnostic`] for what it would log.

use super::bad_value;
use crate::config::{Category, Diagnostic, Variable, is_false, is_true};

/// `sscanf(s, "%d")`: blanks, an optional sign, then at least one digit;
/// whatever follows is ignored.
pub fn scan_d(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let sign = usize::from(t.starts_with(['+', '-']));
    let digits = t[sign..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: i64 = t[sign..sign + digits].parse().unwrap_or(i64::MAX);
    Some(if t.starts_with('-') { -n } else { n })
}

/// `sscanf(s, "%i")`: as [`scan_d`], but `0x` means hex and a leading `0`
/// octal.
pub fn scan_i(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let neg = t.starts_with('-');
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, h)
    } else if body.starts_with('0') {
        (8, body)
    } else {
        (10, body)
    };
    let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
    if len == 0 {
        // "0x" with no hex digit still reads the 0.
        return if radix == 16 { Some(0) } else { None };
    }
    let n = i64::from_str_radix(&digits[..len], radix).unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

/// `atoi`: [`scan_d`], 0 when there is no number.
pub fn atoi(s: &str) -> i64 {
    scan_d(s).unwrap_or(0)
}

/// A yes/no option read strictly: anything else is reported and
/// `default` kept (as config_options' bool handler refuses it).
pub fn bool_strict(diags: &mut Vec<Diagnostic>, v: &Variable, default: bool) -> bool {
    if is_true(&v.value) {
        true
    } else if is_false(&v.value) {
        false
    } else {
        bad_value(diags, v, "yes or no");
        default
    }
}

/// A strict yes/no into `slot`; anything else is reported and `slot`
/// left as it was.
pub fn set_bool(diags: &mut Vec<Diagnostic>, v: &Variable, slot: &mut bool) {
    *slot = bool_strict(diags, v, *slot);
}

/// A value parsed as `T` (blanks around it ignored) into `slot`; a value
/// that does not parse is reported as not `expected` and `slot` left as
/// it was.
pub fn set_parsed<T: std::str::FromStr>(
    diags: &mut Vec<Diagnostic>,
    v: &Variable,
    slot: &mut T,
    expected: &str,
) {
    match v.value.trim().parse::<T>() {
        Ok(n) => *slot = n,
        Err(_) => bad_value(diags, v, expected),
    }
}

/// [`set_parsed`] with the last value of option `name` of `cat`, if set.
pub fn set_option<T: std::str::FromStr>(
    diags: &mut Vec<Diagnostic>,
    cat: &Category,
    name: &str,
    slot: &mut T,
    expected: &str,
) {
    if let Some(v) = cat.get_var(name) {
        set_parsed(diags, v, slot, expected);
    }
}

/// [`atoi`] kept within an `int`.
pub fn atoi_i32(s: &str) -> i32 {
    atoi(s).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// An unsigned number in `min..=max`; anything else is reported and
/// `default` kept.
pub fn uint_in(diags: &mut Vec<Diagnostic>, v: &Variable, min: u64, max: u64, default: u64) -> u64 {
    match v.value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            bad_value(diags, v, &format!("a whole number from {min} to {max}"));
            default
        }
    }
}

/// A comma list, items trimmed, empty ones dropped.
pub fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_scanning() {
        assert_eq!(scan_d("  42abc"), Some(42));
        assert_eq!(scan_d("-7"), Some(-7));
        assert_eq!(scan_d("x"), None);
        assert_eq!(scan_i("0x1F"), Some(31));
        assert_eq!(scan_i("010"), Some(8));
        assert_eq!(scan_i("0"), Some(0));
        assert_eq!(atoi("abc"), 0);
    }
}
