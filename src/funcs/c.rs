//! The C library behaviour the `func_*.c` functions lean on, reproduced
//! exactly: glibc `sscanf` conversions (`%30d`, `%30lf`, `%2x`, `%30f`),
//! `printf` conversions for SPRINTF and MATH, `ast_strip`,
//! `ast_strip_quoted` and `__ast_app_separate_args` with its argument
//! count (the last argument takes the unparsed rest).

/// `isspace` in the C locale.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `ast_strip`: blanks off both ends.
pub fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

/// `ast_strip_quoted(s, "\"", "\"")`: strips blanks, then one leading
/// quote and the last character when that is a quote too.
pub fn strip_quoted(s: &str) -> &str {
    let s = strip(s);
    if let Some(rest) = s.strip_prefix('"') {
        if s.ends_with('"') {
            // A lone quote is both the first and the last character.
            return rest.strip_suffix('"').unwrap_or(rest);
        }
    }
    s
}

/// What `ast_strsep` does to each field besides cutting it
/// (`AST_STRSEP_STRIP`, `AST_STRSEP_TRIM`, `AST_STRSEP_UNESCAPE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Strsep {
    /// One pair of enclosing quotes (either kind) goes, blanks first.
    pub strip: bool,
    /// Blanks go, unless that leaves nothing.
    pub trim: bool,
    /// Backslash escapes are resolved.
    pub unescape: bool,
}

impl Strsep {
    pub const STRIP_TRIM: Strsep = Strsep {
        strip: true,
        trim: true,
        unescape: false,
    };
    pub const ALL: Strsep = Strsep {
        strip: true,
        trim: true,
        unescape: true,
    };
}

/// `ast_strsep`: the next field of `rest` up to `sep` outside quotes (a
/// backslash protects the next character). `rest` becomes `None` after
/// the last field, as the C pointer becomes NULL; an empty string is one
/// empty field. None, as the C function's NULL, when quotes nest more
/// than seven deep.
pub fn strsep(rest: &mut Option<&str>, sep: u8, flags: Strsep) -> Option<String> {
    let s = rest.take()?;
    let b = s.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut end = b.len();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            if i >= b.len() {
                break;
            }
        }
        let c = b[i];
        if c == b'\'' || c == b'"' {
            if stack.last() == Some(&c) {
                stack.pop();
            } else {
                if stack.len() >= 7 {
                    return None;
                }
                stack.push(c);
            }
        }
        if c == sep && stack.is_empty() {
            end = i;
            *rest = Some(&s[i + 1..]);
            break;
        }
        i += 1;
    }
    // ast_strip's blanks: anything below '!'.
    fn strip_blanks(s: &str) -> &str {
        s.trim_matches(|c: char| (c as u32) < 33)
    }
    let mut field = &s[..end];
    if flags.strip {
        field = strip_blanks(field);
        if let Some(q) = field.bytes().next().filter(|q| *q == b'"' || *q == b'\'')
            && field.as_bytes()[field.len() - 1] == q
        {
            field = if field.len() == 1 {
                ""
            } else {
                &field[1..field.len() - 1]
            };
        }
    }
    if flags.trim {
        let trimmed = strip_blanks(field);
        if !trimmed.is_empty() {
            field = trimmed;
        }
    }
    Some(if flags.unescape {
        crate::config::views::callerid::unescape_quoted(field)
    } else {
        field.to_string()
    })
}

/// `AST_STANDARD_APP_ARGS` with `n` declared arguments (see
/// [`crate::apps::app_separate_args`]).
pub fn app_args(input: &str, n: usize) -> Vec<String> {
    crate::apps::app_separate_args(input, b',', true, n)
}

/// Leading `isspace` characters.
fn skip_space(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| is_space(c)).count()
}

/// `strtol`-style integer scan (`%<width>d`, or `%ld` when `width` is
/// `usize::MAX`): blanks, sign, decimal digits. Returns the value
/// saturated to `i64` as `strtol` does and the index after the number.
pub fn scan_long(s: &str, width: usize) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    let start = skip_space(b);
    let end = start.saturating_add(width).min(b.len());
    let f = &b[start..end];
    let mut i = 0;
    let neg = match f.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    let mut v: i64 = 0;
    let mut overflow = false;
    while i < f.len() && f[i].is_ascii_digit() {
        let d = i64::from(f[i] - b'0');
        match v.checked_mul(10).and_then(|x| x.checked_add(d)) {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == digits_start {
        return None;
    }
    let v = if overflow {
        if neg { i64::MIN } else { i64::MAX }
    } else if neg {
        -v
    } else {
        v
    };
    Some((v, start + i))
}

/// `sscanf(s, "%30d")`: glibc converts with `strtol` and stores the
/// low 32 bits.
pub fn scan_int(s: &str) -> Option<(i32, usize)> {
    scan_long(s, 30).map(|(v, e)| (v as i32, e))
}

/// How long the number `strtod` would accept at the start of `f` is, and
/// the text to convert (decimal) or the hex/inf/nan value.
enum FloatText {
    Decimal(String),
    Value(f64),
}

fn float_prefix(f: &[u8]) -> Option<(FloatText, usize)> {
    let mut i = 0;
    let neg = match f.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let rest = &f[i..];
    let lower: Vec<u8> = rest
        .iter()
        .take(8)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let sign = if neg { -1.0 } else { 1.0 };
    if lower.starts_with(b"inf") {
        let len = if lower.starts_with(b"infinity") { 8 } else { 3 };
        return Some((FloatText::Value(sign * f64::INFINITY), i + len));
    }
    if lower.starts_with(b"nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            if let Some(close) = rest[4..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            {
                if rest[4 + close] == b')' {
                    len = 4 + close + 1;
                }
            }
        }
        let nan = if neg { -f64::NAN } else { f64::NAN };
        return Some((FloatText::Value(nan), i + len));
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] == b'x' || rest[1] == b'X') {
        return hex_float(&rest[2..]).map(|(v, n)| (FloatText::Value(sign * v), i + 2 + n));
    }
    let mut j = i;
    let int_start = j;
    while j < f.len() && f[j].is_ascii_digit() {
        j += 1;
    }
    let mut ndigits = j - int_start;
    if j < f.len() && f[j] == b'.' {
        j += 1;
        let fs = j;
        while j < f.len() && f[j].is_ascii_digit() {
            j += 1;
        }
        ndigits += j - fs;
    }
    if ndigits == 0 {
        return None;
    }
    let mut text = String::from_utf8_lossy(&f[..j]).into_owned();
    if j < f.len() && (f[j] == b'e' || f[j] == b'E') {
        // glibc keeps a dangling exponent marker out of the value but
        // still succeeds ("1e" reads 1).
        let mut k = j + 1;
        if k < f.len() && (f[k] == b'+' || f[k] == b'-') {
            k += 1;
        }
        let es = k;
        while k < f.len() && f[k].is_ascii_digit() {
            k += 1;
        }
        if k > es {
            text = String::from_utf8_lossy(&f[..k]).into_owned();
            j = k;
        } else {
            j = k;
        }
    }
    if text.starts_with('.') || text.starts_with("-.") || text.starts_with("+.") {
        text = text.replacen('.', "0.", 1);
    }
    if text.ends_with('.') {
        text.push('0');
    }
    Some((FloatText::Decimal(text), j))
}

/// Hex float digits after `0x`: mantissa, optional point, optional `p`
/// exponent. `None` when no hex digit follows.
fn hex_float(f: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let mut mant: u128 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut sticky = false;
    let mut push = |d: u32, frac: bool, mant: &mut u128, exp: &mut i64| {
        if *mant >> 120 == 0 {
            *mant = (*mant << 4) | u128::from(d);
            if frac {
                *exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !frac {
                *exp += 4;
            }
        }
    };
    while i < f.len() {
        match (f[i] as char).to_digit(16) {
            Some(d) => push(d, false, &mut mant, &mut exp),
            None => break,
        }
        digits += 1;
        i += 1;
    }
    if i < f.len() && f[i] == b'.' {
        i += 1;
        while i < f.len() {
            match (f[i] as char).to_digit(16) {
                Some(d) => push(d, true, &mut mant, &mut exp),
                None => break,
            }
            digits += 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if sticky {
        mant |= 1;
    }
    if i < f.len() && (f[i] == b'p' || f[i] == b'P') {
        let mut k = i + 1;
        let mut eneg = false;
        if k < f.len() && (f[k] == b'+' || f[k] == b'-') {
            eneg = f[k] == b'-';
            k += 1;
        }
        let es = k;
        let mut e: i64 = 0;
        while k < f.len() && f[k].is_ascii_digit() {
            e = (e * 10 + i64::from(f[k] - b'0')).min(100_000);
            k += 1;
        }
        if k > es {
            exp += if eneg { -e } else { e };
            i = k;
        }
    }
    let v = (mant as f64) * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    Some((v, i))
}

/// `sscanf(s, "%<width>lf")`: the value and the index after it.
pub fn scan_double_w(s: &str, width: usize) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let start = skip_space(b);
    let end = start.saturating_add(width).min(b.len());
    let (text, len) = float_prefix(&b[start..end])?;
    let v = match text {
        FloatText::Value(v) => v,
        FloatText::Decimal(t) => t.parse::<f64>().ok()?,
    };
    Some((v, start + len))
}

/// `sscanf(s, "%30lf")`.
pub fn scan_double(s: &str) -> Option<f64> {
    scan_double_w(s, 30).map(|(v, _)| v)
}

/// `sscanf(s, "%30f")` into a C `float`.
pub fn scan_float(s: &str) -> Option<f32> {
    let b = s.as_bytes();
    let start = skip_space(b);
    let end = start.saturating_add(30).min(b.len());
    let (text, _) = float_prefix(&b[start..end])?;
    match text {
        FloatText::Value(v) => Some(v as f32),
        FloatText::Decimal(t) => t.parse::<f32>().ok(),
    }
}

/// `sscanf(s, "%2x")`: blanks skipped, then at most two characters of
/// sign, `0x` prefix and hex digits.
pub fn scan_hex2(s: &[u8]) -> Option<u32> {
    let start = skip_space(s);
    let f = &s[start..(start + 2).min(s.len())];
    let (neg, body) = match f.first() {
        Some(b'-') => (true, &f[1..]),
        Some(b'+') => (false, &f[1..]),
        _ => (false, f),
    };
    if body.len() == 2 && body[0] == b'0' && (body[1] == b'x' || body[1] == b'X') {
        return Some(0);
    }
    let mut v: u32 = 0;
    let mut n = 0;
    for &c in body {
        match (c as char).to_digit(16) {
            Some(d) => {
                v = v * 16 + d;
                n += 1;
            }
            None => break,
        }
    }
    if n == 0 {
        return None;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// C's conversion of a `double` to `int` on x86-64 (`cvttsd2si`): out of
/// range and NaN give `INT_MIN`.
pub fn d2i(v: f64) -> i32 {
    if v.is_nan() || v >= 2147483648.0 || v <= -2147483649.0 {
        i32::MIN
    } else {
        v as i32
    }
}

/// C's conversion of a `double` to `unsigned int` on x86-64 (through a
/// 64-bit `cvttsd2si`).
pub fn d2u(v: f64) -> u32 {
    if v.is_nan() || v >= 9.223372036854775808e18 || v < -9.223372036854775808e18 {
        0
    } else {
        (v as i64) as u32
    }
}

/// A parsed `printf` conversion specification.
#[derive(Debug, Default, Clone)]
pub struct Spec {
    pub minus: bool,
    pub plus: bool,
    pub space: bool,
    pub hash: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
    /// `hh`, `h`, `l`, `ll`, `L`, `q`, `j`, `z`, `t` or empty.
    pub length: String,
    pub conv: u8,
}

/// Far beyond any output buffer Asterisk hands a function (4096 bytes):
/// wider fields only pad text that would be cut anyway.
const MAX_FIELD: usize = 8192;

/// Parses `%[flags][width][.precision][length]conv`.
pub fn parse_spec(fmt: &[u8]) -> Spec {
    let mut s = Spec::default();
    let mut i = usize::from(fmt.first() == Some(&b'%'));
    while i < fmt.len() {
        match fmt[i] {
            b'-' => s.minus = true,
            b'+' => s.plus = true,
            b' ' => s.space = true,
            b'#' => s.hash = true,
            b'0' => s.zero = true,
            b'\'' | b'I' => {}
            _ => break,
        }
        i += 1;
    }
    while i < fmt.len() && fmt[i].is_ascii_digit() {
        s.width = (s.width * 10 + usize::from(fmt[i] - b'0')).min(MAX_FIELD);
        i += 1;
    }
    if i < fmt.len() && fmt[i] == b'.' {
        i += 1;
        let mut p = 0usize;
        while i < fmt.len() && fmt[i].is_ascii_digit() {
            p = (p * 10 + usize::from(fmt[i] - b'0')).min(MAX_FIELD);
            i += 1;
        }
        s.precision = Some(p);
    }
    let len_start = i;
    while i + 1 < fmt.len() && b"hlLqjzt".contains(&fmt[i]) {
        i += 1;
    }
    s.length = String::from_utf8_lossy(&fmt[len_start..i]).into_owned();
    s.conv = fmt.get(i).copied().unwrap_or(b'%');
    s
}

/// Pads `body` (after `prefix`, e.g. a sign or `0x`) to the width:
/// left-justified, zero-filled between prefix and body, or right-justified.
fn pad(spec: &Spec, prefix: &[u8], body: &[u8], zero_ok: bool) -> Vec<u8> {
    let len = prefix.len() + body.len();
    let fill = spec.width.saturating_sub(len);
    let mut out = Vec::with_capacity(len + fill);
    if spec.minus {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if spec.zero && zero_ok {
        out.extend_from_slice(prefix);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body);
    } else {
        out.resize(fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
    out
}

/// An integer conversion (`d i o u x X c`) of a C `int` argument, as glibc
/// on x86-64 prints it (a 64-bit length modifier sees the int
/// zero-extended).
pub fn format_int(spec: &Spec, arg: i32) -> Vec<u8> {
    let (signed, unsigned): (i64, u64) = match spec.length.as_str() {
        "hh" => (i64::from(arg as i8), u64::from(arg as u8)),
        "h" => (i64::from(arg as i16), u64::from(arg as u16)),
        "l" | "ll" | "L" | "q" | "j" | "z" | "t" => {
            let z = u64::from(arg as u32);
            (z as i64, z)
        }
        _ => (i64::from(arg), u64::from(arg as u32)),
    };
    if spec.conv == b'c' {
        return pad(spec, b"", &[arg as u8], false);
    }
    let (mut prefix, mut digits): (Vec<u8>, Vec<u8>) = match spec.conv {
        b'd' | b'i' => {
            let p: &[u8] = if signed < 0 {
                b"-"
            } else if spec.plus {
                b"+"
            } else if spec.space {
                b" "
            } else {
                b""
            };
            (p.to_vec(), signed.unsigned_abs().to_string().into_bytes())
        }
        b'o' => (Vec::new(), format!("{unsigned:o}").into_bytes()),
        b'x' => (Vec::new(), format!("{unsigned:x}").into_bytes()),
        b'X' => (Vec::new(), format!("{unsigned:X}").into_bytes()),
        _ => (Vec::new(), unsigned.to_string().into_bytes()),
    };
    let is_zero = unsigned == 0 && signed == 0;
    if let Some(p) = spec.precision {
        if p == 0 && is_zero {
            digits.clear();
        }
        if digits.len() < p {
            let mut d = vec![b'0'; p - digits.len()];
            d.extend_from_slice(&digits);
            digits = d;
        }
    }
    if spec.hash {
        match spec.conv {
            b'o' if digits.first() != Some(&b'0') => digits.insert(0, b'0'),
            b'x' if !is_zero => prefix.extend_from_slice(b"0x"),
            b'X' if !is_zero => prefix.extend_from_slice(b"0X"),
            _ => {}
        }
    }
    pad(spec, &prefix, &digits, spec.precision.is_none())
}

/// `%s` of a possibly missing argument (glibc prints `(null)` when the
/// precision leaves room for it, nothing otherwise).
pub fn format_str(spec: &Spec, arg: Option<&str>) -> Vec<u8> {
    let body: &[u8] = match arg {
        Some(s) => s.as_bytes(),
        None => {
            if spec.precision.is_some_and(|p| p < 6) {
                b""
            } else {
                b"(null)"
            }
        }
    };
    let body = match spec.precision {
        Some(p) if p < body.len() => &body[..p],
        _ => body,
    };
    pad(spec, b"", body, false)
}

/// Digits of `|v|` in `%e` form with `prec` decimals: mantissa digits
/// (without the point) and the decimal exponent.
fn exp_digits(v: f64, prec: usize) -> (Vec<u8>, i32) {
    let s = format!("{:.*e}", prec, v.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: Vec<u8> = m.bytes().filter(|c| c.is_ascii_digit()).collect();
    (digits, e.parse().unwrap_or(0))
}

fn exp_suffix(upper: bool, e: i32) -> Vec<u8> {
    let mut s = Vec::new();
    s.push(if upper { b'E' } else { b'e' });
    s.push(if e < 0 { b'-' } else { b'+' });
    s.extend_from_slice(format!("{:02}", e.unsigned_abs()).as_bytes());
    s
}

fn fixed_body(v: f64, prec: usize, hash: bool) -> Vec<u8> {
    let mut b = format!("{:.*}", prec, v.abs()).into_bytes();
    if prec == 0 && hash {
        b.push(b'.');
    }
    b
}

fn exp_body(v: f64, prec: usize, hash: bool, upper: bool) -> Vec<u8> {
    let (digits, e) = exp_digits(v, prec);
    let mut b = Vec::new();
    b.push(digits.first().copied().unwrap_or(b'0'));
    if prec > 0 || hash {
        b.push(b'.');
    }
    b.extend_from_slice(digits.get(1..).unwrap_or(&[]));
    b.extend(exp_suffix(upper, e));
    b
}

fn general_body(v: f64, prec: usize, hash: bool, upper: bool) -> Vec<u8> {
    let p = if prec == 0 { 1 } else { prec };
    let x = if v == 0.0 { 0 } else { exp_digits(v, p - 1).1 };
    let mut b = if (x as i64) < p as i64 && x >= -4 {
        fixed_body(v, (p as i64 - 1 - x as i64) as usize, hash)
    } else {
        exp_body(v, p - 1, hash, upper)
    };
    if !hash {
        // Trailing zeros of the fraction go, and the point with them.
        let epos = b.iter().position(|&c| c == b'e' || c == b'E');
        let (mut mant, exp) = match epos {
            Some(i) => (b[..i].to_vec(), b[i..].to_vec()),
            None => (b.clone(), Vec::new()),
        };
        if mant.contains(&b'.') {
            while mant.last() == Some(&b'0') {
                mant.pop();
            }
            if mant.last() == Some(&b'.') {
                mant.pop();
            }
        }
        mant.extend(exp);
        b = mant;
    }
    b
}

fn hex_body(v: f64, prec: Option<usize>, hash: bool, upper: bool) -> Vec<u8> {
    let bits = v.abs().to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let (mut lead, exp) = if raw_exp == 0 {
        if mant == 0 {
            (0u64, 0i64)
        } else {
            (0u64, -1022i64)
        }
    } else {
        (1u64, raw_exp - 1023)
    };
    let mut ndigits = 13usize;
    if let Some(p) = prec {
        if p < 13 {
            let drop = (13 - p) * 4;
            let rem = mant & ((1u64 << drop) - 1);
            let half = 1u64 << (drop - 1);
            mant >>= drop;
            let odd = if p == 0 { lead & 1 == 1 } else { mant & 1 == 1 };
            if rem > half || (rem == half && odd) {
                mant += 1;
                if mant >> (p * 4) != 0 {
                    mant &= (1u64 << (p * 4)) - 1;
                    lead += 1;
                }
            }
        }
        ndigits = p;
    } else {
        while ndigits > 0 && mant & 0xf == 0 {
            mant >>= 4;
            ndigits -= 1;
        }
    }
    let mut s = format!("{lead}");
    let frac = if ndigits == 0 {
        String::new()
    } else if ndigits <= 13 {
        format!("{:0width$x}", mant, width = ndigits)
    } else {
        format!("{:013x}{}", mant, "0".repeat(ndigits - 13))
    };
    if !frac.is_empty() || hash {
        s.push('.');
    }
    s.push_str(&frac);
    s.push_str(&format!(
        "p{}{}",
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs()
    ));
    let mut out = Vec::from(if upper { "0X" } else { "0x" });
    out.extend(if upper { s.to_uppercase() } else { s }.into_bytes());
    out
}

/// A floating conversion (`e E f F g G a A`) of a `double`, as glibc.
pub fn format_double(spec: &Spec, v: f64) -> Vec<u8> {
    let upper = spec.conv.is_ascii_uppercase();
    let sign: &[u8] = if v.is_sign_negative() {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    if !v.is_finite() {
        let t: &[u8] = match (v.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        return pad(spec, sign, t, false);
    }
    let prec = spec.precision;
    let body = match spec.conv {
        b'f' | b'F' => fixed_body(v, prec.unwrap_or(6), spec.hash),
        b'e' | b'E' => exp_body(v, prec.unwrap_or(6), spec.hash, upper),
        b'g' | b'G' => general_body(v, prec.unwrap_or(6), spec.hash, upper),
        _ => {
            // %a: the 0x prefix goes before zero padding, with the sign.
            let b = hex_body(v, prec, spec.hash, upper);
            let mut prefix = sign.to_vec();
            prefix.extend_from_slice(&b[..2]);
            return pad(spec, &prefix, &b[2..], true);
        }
    };
    pad(spec, sign, &body, true)
}

/// `printf("%f", v)`.
pub fn fmt_f(v: f64) -> String {
    let spec = Spec {
        conv: b'f',
        ..Spec::default()
    };
    String::from_utf8_lossy(&format_double(&spec, v)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(fmt: &str, f: impl Fn(&Spec) -> Vec<u8>) -> String {
        String::from_utf8_lossy(&f(&parse_spec(fmt.as_bytes()))).into_owned()
    }

    #[test]
    fn separating() {
        assert_eq!(app_args("a,b,c", 2), vec!["a", "b,c"]);
        assert_eq!(app_args("a,", 2), vec!["a", ""]);
        assert_eq!(app_args("", 2), Vec::<String>::new());
        assert_eq!(app_args("\"a,b\",c", 3), vec!["a,b", "c"]);
        assert_eq!(app_args("x\\,y,(1,2)", 3), vec!["x,y", "(1,2)"]);
        assert_eq!(
            crate::apps::separate_args("1?a:b", '?', 2),
            vec!["1", "a:b"]
        );
    }

    #[test]
    fn scanning_like_glibc() {
        assert_eq!(scan_double("1e"), Some(1.0));
        assert_eq!(scan_double("1.5e3x"), Some(1500.0));
        assert_eq!(scan_double("0x1p3"), Some(8.0));
        assert_eq!(scan_double("0x"), None);
        assert_eq!(scan_double("0x.8"), Some(0.5));
        assert_eq!(scan_double("-infinity"), Some(f64::NEG_INFINITY));
        assert!(scan_double("nan(abc)").is_some_and(f64::is_nan));
        assert_eq!(scan_double(" 5"), Some(5.0));
        assert_eq!(scan_double("."), None);
        assert_eq!(scan_double("-.e1"), None);
        assert_eq!(
            scan_double("1234567890123456789012345678901234567890"),
            Some(1.2345678901234568e29)
        );
        assert_eq!(scan_double("5e-400"), Some(0.0));
        assert_eq!(scan_double("1e400"), Some(f64::INFINITY));
        assert_eq!(scan_hex2(b"0x"), Some(0));
        assert_eq!(scan_hex2(b"0x4"), Some(0));
        assert_eq!(scan_hex2(b"+5"), Some(5));
        assert_eq!(scan_hex2(b"-1"), Some(u32::MAX));
        assert_eq!(scan_hex2(b" 41"), Some(65));
        assert_eq!(scan_hex2(b"g4"), None);
        assert_eq!(scan_int("99999999999"), Some((1215752191, 11)));
        assert_eq!(scan_int("99999999999999999999999").map(|x| x.0), Some(-1));
        assert_eq!(scan_int("+"), None);
        assert_eq!(scan_int(" +7"), Some((7, 3)));
    }

    #[test]
    fn printing_like_glibc() {
        assert_eq!(p("%.2f", |s| format_double(s, 0.125)), "0.12");
        assert_eq!(p("%.0f", |s| format_double(s, 0.5)), "0");
        assert_eq!(p("%.0f", |s| format_double(s, 1.5)), "2");
        assert_eq!(p("%f", |s| format_double(s, -0.0)), "-0.000000");
        assert_eq!(p("%a", |s| format_double(s, 1.5)), "0x1.8p+0");
        assert_eq!(p("%A", |s| format_double(s, -0.1)), "-0X1.999999999999AP-4");
        assert_eq!(p("%.2a", |s| format_double(s, 1.999)), "0x2.00p+0");
        assert_eq!(p("%a", |s| format_double(s, 0.0)), "0x0p+0");
        assert_eq!(
            p("%a", |s| format_double(s, 5e-320)),
            "0x0.0000000002788p-1022"
        );
        assert_eq!(p("%g", |s| format_double(s, 100000.0)), "100000");
        assert_eq!(p("%g", |s| format_double(s, 1000000.0)), "1e+06");
        assert_eq!(p("%#g", |s| format_double(s, 1.0)), "1.00000");
        assert_eq!(p("%g", |s| format_double(s, 0.0001)), "0.0001");
        assert_eq!(p("%.3g", |s| format_double(s, 0.00012345)), "0.000123");
        assert_eq!(p("%g", |s| format_double(s, 1e-5)), "1e-05");
        assert_eq!(p("%ld", |s| format_int(s, -5)), "4294967291");
        assert_eq!(p("%hd", |s| format_int(s, 70000)), "4464");
        assert_eq!(p("%hhd", |s| format_int(s, 300)), "44");
        assert_eq!(p("%05d", |s| format_int(s, -42)), "-0042");
        assert_eq!(p("%-5d|", |s| format_int(s, 42)), "42   ");
        assert_eq!(p("%#x", |s| format_int(s, 255)), "0xff");
        assert_eq!(p("%#o", |s| format_int(s, 8)), "010");
        assert_eq!(p("%.0d", |s| format_int(s, 0)), "");
        assert_eq!(p("%+.3d", |s| format_int(s, 7)), "+007");
        assert_eq!(p("%.3s", |s| format_str(s, None)), "");
        assert_eq!(p("%s", |s| format_str(s, None)), "(null)");
        assert_eq!(p("%08.3f", |s| format_double(s, -3.14159)), "-003.142");
        assert_eq!(p("%e", |s| format_double(s, 12345.678)), "1.234568e+04");
        assert_eq!(p("%E", |s| format_double(s, 0.0)), "0.000000E+00");
        assert_eq!(p("%5.1f", |s| format_double(s, f64::NAN)), "  nan");
        assert_eq!(d2i(1e10), i32::MIN);
        assert_eq!(d2u(-1.0), u32::MAX);
    }
}
