//! Asterisk's dialplan expression language: what `$[ ... ]` evaluates
//! (Asterisk 20 `main/ast_expr2.y` + `main/ast_expr2.fl`).
//!
//! Written from scratch against the behaviour of a reference Asterisk
//! 20.20.1 (see `golden/asterisk-20.20.1/expr/`). The points that make
//! the language unusual, and that this module reproduces:
//!
//! * Numbers are x86 80-bit `long double`s and results print with
//!   `%.18Lg` (`1/3` is `0.333333333333333333`, `10/2` is `5`). There is no
//!   integer arithmetic: `/` is a floating division and `%` is `fmodl`.
//!   The `F80` type below emulates that format bit for bit.
//! * The lexer keeps the quotes of `"..."` tokens, glues `$`+char into
//!   words, skips characters it has no rule for, and turns a `${...}` left
//!   in the text into odd tokens, all as flex does with Asterisk's rules.
//! * A syntax error after a complete top-level operand still yields that
//!   operand (bison has already reduced it); an error elsewhere yields `0`;
//!   an error on the very first token yields the empty string. Actions
//!   reduced before the error (and their warnings) still happen.
//! * `:` and `=~` use POSIX extended regular expressions with glibc's
//!   leftmost-longest rule, in the C.UTF-8 locale Asterisk sets; they
//!   return the first group, or the match length when there is no group.
//! * The math functions `COS` … `ABS` are built in; other upper-case names
//!   call dialplan functions through [`FunctionHost`].
//!
//! # Log lines
//!
//! Asterisk writes each message with `ast_log()`. In a log file the line is
//! `[date] LEVEL[tid][C-id] <file>: <message>`; on the console it is
//! `<file>:<line> <function>: <message>`. [`LogEntry`] carries the file, line
//! and function Asterisk uses: `ast_expr2.y` for the operators and functions
//! (`op_div`, `op_func`, …) and `ast_expr2.fl` / `ast_yyerror` for syntax
//! errors. Messages are stored without their trailing newline; a syntax
//! error message spans three lines (`...; Input:\n<expr>\n<caret>`).
//!
//! # Known limits
//!
//! * A math function given text (`COS(abc)`) makes Asterisk read a pointer
//!   as a number; 0 is used instead.
//! * The math functions are correctly rounded; glibc's `long double`
//!   routines agreed on every captured input but may differ by one unit
//!   in the last place on rare ones.
//! * Regular expressions deeper than 250 nested groups/repetitions fail
//!   with glibc's "Memory exhausted" (glibc has no such limit), and
//!   patterns with back references have a work budget.
//! * Classes such as `[[:alpha:]]` use Unicode properties for non-ASCII
//!   characters where glibc uses its C.UTF-8 tables.
//! * Bison's 10000-entry stack limit is approximated; Asterisk's 4 KB
//!   substitution buffer keeps real expressions far below it.

use std::cmp::Ordering;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Result of evaluating the text between `$[` and `]` (already substituted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprOutcome {
    /// What `$[...]` expands to.
    pub value: String,
    /// Messages Asterisk logs at WARNING level while evaluating, in order,
    /// without the trailing newline. Asterisk prefixes each with
    /// `ast_expr2.y:` (operators, functions, regex errors; function names
    /// such as `op_div`, `op_plus`, `op_colon`, `op_func`) or with
    /// `ast_expr2.fl:` (syntax errors, function `ast_yyerror`): see
    /// [`evaluate_with`] for the file and function of every message.
    pub warnings: Vec<String>,
}

/// Evaluates an expression as `$[...]` does on a channel, with no dialplan
/// functions available (a call such as `LEN(x)` logs that the function
/// cannot be found and yields 0, as Asterisk does for an unknown name).
pub fn evaluate(expr: &str) -> ExprOutcome {
    let d = evaluate_with(expr, &mut NoFunctions);
    ExprOutcome {
        value: d.value,
        warnings: d
            .log
            .into_iter()
            .filter(|e| e.level == LogLevel::Warning)
            .map(|e| e.message)
            .collect(),
    }
}

/// Level of a message Asterisk would log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Notice,
    Warning,
    Error,
}

/// One message as Asterisk's `ast_log()` would write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub level: LogLevel,
    /// `ast_expr2.y` or `ast_expr2.fl`.
    pub file: &'static str,
    /// The C function that logs it, e.g. `op_div`, `ast_yyerror`.
    pub function: &'static str,
    /// Its `__LINE__` as the built parser reports it (the `#line`
    /// directives of the shipped ast_expr2.c/ast_expr2f.c).
    pub line: u32,
    /// The text, without the trailing newline.
    pub message: String,
}

/// What a dialplan function lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// No function of that name is registered.
    Missing,
    /// The function exists but has no read callback.
    NotReadable,
    Readable,
}

/// Access to dialplan functions for calls like `LEN(abc)` inside `$[...]`.
pub trait FunctionHost {
    /// Looks function `name` up.
    fn find(&mut self, name: &str) -> FunctionKind;
    /// Reads function `name` (found [`FunctionKind::Readable`]) with its
    /// arguments joined by commas. Asterisk keeps at most 511 bytes.
    fn read(&mut self, name: &str, args: &str) -> String;
    /// False when evaluating without a channel (as Asterisk does for
    /// `[globals]` at load time): function calls then also log
    /// `Hey! chan is NULL.` and are not made.
    fn has_channel(&self) -> bool {
        true
    }
}

/// A host that knows no functions.
pub struct NoFunctions;

impl FunctionHost for NoFunctions {
    fn find(&mut self, _name: &str) -> FunctionKind {
        FunctionKind::Missing
    }
    fn read(&mut self, _name: &str, _args: &str) -> String {
        String::new()
    }
}

/// Value plus every message (NOTICE, WARNING and ERROR) Asterisk would log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detailed {
    pub value: String,
    pub log: Vec<LogEntry>,
}

/// Evaluates `expr`, calling dialplan functions through `host`.
///
/// Messages and where Asterisk logs them from (file `ast_expr2.y` unless
/// noted):
///
/// | message | level | function |
/// |---|---|---|
/// | `non-numeric argument` | WARNING | `op_plus`, `op_minus`, `op_negate`, `op_times`, `op_div`, `op_rem` |
/// | `overflow` | WARNING | the same |
/// | `division by zero` | WARNING | `op_div` |
/// | `div by zero` | WARNING | `op_rem` |
/// | `regcomp() error : <glibc text>` | WARNING | `op_colon`, `op_eqtilde` |
/// | `Conversion of <s> to number under/overflowed!` | WARNING | `to_number` |
/// | `Wrong args to <F>() function` | WARNING | `op_func` |
/// | `Hey! chan is NULL.`, `Hey! could not find func <F>.` | WARNING | `op_func` |
/// | `Error! ...` | ERROR | `op_func` |
/// | `argbuf allocated <n> bytes;`, `argbuf uses <n> bytes;` | NOTICE | `compose_func_args` |
/// | `ast_yyerror():  syntax error: ...` and the docs hint | WARNING | `ast_yyerror` in `ast_expr2.fl` |
pub fn evaluate_with(expr: &str, host: &mut dyn FunctionHost) -> Detailed {
    // Asterisk hands the evaluator a C string: a NUL ends it.
    let expr = match expr.find('\0') {
        Some(i) => &expr[..i],
        None => expr,
    };
    let mut ev = Evaluator {
        input: expr,
        log: Vec::new(),
        host,
    };
    let value = ev.run();
    Detailed { value, log: ev.log }
}

// ---------------------------------------------------------------------------
// Unsigned big integers: just what exact decimal conversion and the
// high-precision math functions need.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Big {
    /// Little-endian 32-bit limbs, no high zero limbs.
    d: Vec<u32>,
}

impl Big {
    fn zero() -> Big {
        Big { d: Vec::new() }
    }

    fn from_u128(mut v: u128) -> Big {
        let mut d = Vec::new();
        while v != 0 {
            d.push(v as u32);
            v >>= 32;
        }
        Big { d }
    }

    fn trim(&mut self) {
        while self.d.last() == Some(&0) {
            self.d.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.d.is_empty()
    }

    fn bits(&self) -> u64 {
        match self.d.last() {
            None => 0,
            Some(&top) => (self.d.len() as u64 - 1) * 32 + (32 - top.leading_zeros() as u64),
        }
    }

    /// True when any of the lowest `n` bits is set.
    fn any_below(&self, n: u64) -> bool {
        let full = (n / 32) as usize;
        for (i, &l) in self.d.iter().enumerate() {
            if i < full {
                if l != 0 {
                    return true;
                }
            } else {
                let rest = n % 32;
                return i == full && rest > 0 && l & ((1u32 << rest) - 1) != 0;
            }
        }
        false
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in self.d.iter_mut() {
            let v = *l as u64 * m as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.d.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = a as u64;
        for l in self.d.iter_mut() {
            if carry == 0 {
                break;
            }
            let v = *l as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.d.push(carry as u32);
        }
    }

    /// Divides in place, returning the remainder.
    fn div_small(&mut self, m: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.d.iter_mut().rev() {
            let v = (rem << 32) | *l as u64;
            *l = (v / m as u64) as u32;
            rem = v % m as u64;
        }
        self.trim();
        rem as u32
    }

    fn mul(&self, o: &Big) -> Big {
        if self.is_zero() || o.is_zero() {
            return Big::zero();
        }
        let mut r = vec![0u32; self.d.len() + o.d.len()];
        for (i, &a) in self.d.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in o.d.iter().enumerate() {
                let v = r[i + j] as u64 + a as u64 * b as u64 + carry;
                r[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + o.d.len();
            while carry != 0 {
                let v = r[k] as u64 + carry;
                r[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut b = Big { d: r };
        b.trim();
        b
    }

    fn add(&self, o: &Big) -> Big {
        let n = self.d.len().max(o.d.len());
        let mut r = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let v = *self.d.get(i).unwrap_or(&0) as u64 + *o.d.get(i).unwrap_or(&0) as u64 + carry;
            r.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            r.push(carry as u32);
        }
        let mut b = Big { d: r };
        b.trim();
        b
    }

    /// `self - o`; callers guarantee `self >= o`.
    fn sub(&self, o: &Big) -> Big {
        let mut r = self.d.clone();
        let mut borrow = 0i64;
        for (i, l) in r.iter_mut().enumerate() {
            let v = *l as i64 - *o.d.get(i).unwrap_or(&0) as i64 - borrow;
            if v < 0 {
                *l = (v + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                *l = v as u32;
                borrow = 0;
            }
        }
        let mut b = Big { d: r };
        b.trim();
        b
    }

    fn cmp(&self, o: &Big) -> Ordering {
        if self.d.len() != o.d.len() {
            return self.d.len().cmp(&o.d.len());
        }
        for i in (0..self.d.len()).rev() {
            match self.d[i].cmp(&o.d[i]) {
                Ordering::Equal => {}
                c => return c,
            }
        }
        Ordering::Equal
    }

    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let limbs = (n / 32) as usize;
        let bits = (n % 32) as u32;
        let mut r = vec![0u32; limbs];
        r.reserve(self.d.len() + 1);
        let mut carry = 0u32;
        for &l in &self.d {
            if bits == 0 {
                r.push(l);
            } else {
                r.push((l << bits) | carry);
                carry = l >> (32 - bits);
            }
        }
        if carry != 0 {
            r.push(carry);
        }
        Big { d: r }
    }

    fn shr(&self, n: u64) -> Big {
        let limbs = (n / 32) as usize;
        if limbs >= self.d.len() {
            return Big::zero();
        }
        let bits = (n % 32) as u32;
        let src = &self.d[limbs..];
        let mut r = Vec::with_capacity(src.len());
        for i in 0..src.len() {
            let lo = src[i] >> bits;
            let hi = if bits == 0 {
                0
            } else {
                src.get(i + 1).map_or(0, |&h| h << (32 - bits))
            };
            r.push(lo | hi);
        }
        let mut b = Big { d: r };
        b.trim();
        b
    }

    /// The lowest 128 bits.
    fn low_u128(&self) -> u128 {
        let mut v = 0u128;
        for (i, &l) in self.d.iter().take(4).enumerate() {
            v |= (l as u128) << (32 * i);
        }
        v
    }

    /// Quotient and remainder (Knuth's algorithm D on 32-bit limbs).
    fn divmod(&self, o: &Big) -> (Big, Big) {
        if o.is_zero() || self.cmp(o) == Ordering::Less {
            return (Big::zero(), self.clone());
        }
        if o.d.len() == 1 {
            let mut q = self.clone();
            let r = q.div_small(o.d[0]);
            return (q, Big::from_u128(r as u128));
        }
        // Normalize so the divisor's top limb has its high bit set.
        let s = o.d[o.d.len() - 1].leading_zeros() as u64;
        let vn = o.shl(s).d;
        let mut un = self.shl(s).d;
        un.resize(self.d.len() + 1, 0);
        let n = vn.len();
        let m = un.len() - n;
        let b: u64 = 1 << 32;
        let mut q = vec![0u32; m];
        for j in (0..m).rev() {
            let num = ((un[j + n] as u64) << 32) | un[j + n - 1] as u64;
            let top = vn[n - 1] as u64;
            let mut qhat = num / top;
            let mut rhat = num % top;
            while qhat >= b || qhat * vn[n - 2] as u64 > ((rhat << 32) | un[j + n - 2] as u64) {
                qhat -= 1;
                rhat += top;
                if rhat >= b {
                    break;
                }
            }
            // Multiply and subtract.
            let mut borrow: i64 = 0;
            let mut carry: u64 = 0;
            for i in 0..n {
                let p = qhat * vn[i] as u64 + carry;
                carry = p >> 32;
                let t = un[i + j] as i64 - borrow - (p & 0xffff_ffff) as i64;
                un[i + j] = t as u32;
                borrow = (t < 0) as i64;
            }
            let t = un[j + n] as i64 - borrow - carry as i64;
            un[j + n] = t as u32;
            if t < 0 {
                // The estimate was one too big: add the divisor back.
                qhat -= 1;
                let mut c = 0u64;
                for i in 0..n {
                    let v = un[i + j] as u64 + vn[i] as u64 + c;
                    un[i + j] = v as u32;
                    c = v >> 32;
                }
                un[j + n] = un[j + n].wrapping_add(c as u32);
            }
            q[j] = qhat as u32;
        }
        let mut qb = Big { d: q };
        qb.trim();
        un.truncate(n);
        let mut r = Big { d: un };
        r.trim();
        (qb, r.shr(s))
    }

    fn pow_small(base: u32, mut exp: u64) -> Big {
        let mut result = Big::from_u128(1);
        let mut b = Big::from_u128(base as u128);
        while exp > 0 {
            if exp & 1 == 1 {
                result = result.mul(&b);
            }
            exp >>= 1;
            if exp > 0 {
                b = b.mul(&b);
            }
        }
        result
    }

    /// Decimal digits, most significant first ("0" for zero).
    fn to_decimal(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![b'0'];
        }
        let mut chunks = Vec::new();
        let mut t = self.clone();
        while !t.is_zero() {
            chunks.push(t.div_small(1_000_000_000));
        }
        let mut out = Vec::with_capacity(chunks.len() * 9);
        for (i, c) in chunks.iter().rev().enumerate() {
            let s = c.to_string();
            if i > 0 {
                out.extend(std::iter::repeat_n(b'0', 9 - s.len()));
            }
            out.extend_from_slice(s.as_bytes());
        }
        out
    }

    /// The top `n` (≤ 128) bits as an integer, the exponent of their lowest
    /// bit, and whether anything below them is set.
    fn top_bits(&self, n: u64) -> (u128, i64, bool) {
        let b = self.bits();
        if b <= n {
            return (self.low_u128(), 0, false);
        }
        let drop = b - n;
        (self.shr(drop).low_u128(), drop as i64, self.any_below(drop))
    }
}

// ---------------------------------------------------------------------------
// x87 80-bit extended precision, emulated: 64-bit significand with an
// explicit top bit, exponent range of `long double`, round-to-nearest-even.
// ---------------------------------------------------------------------------

/// Smallest exponent of the significand's lowest bit (subnormal scale).
const F80_MIN_EXP: i32 = -16445;
/// Largest exponent of the significand's lowest bit for a finite value.
const F80_MAX_EXP: i32 = 16320;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Zero,
    Inf,
    NaN,
    /// `mant * 2^exp`; normal when the top bit of `mant` is set, else
    /// subnormal with `exp == F80_MIN_EXP`.
    Fin {
        mant: u64,
        exp: i32,
    },
}

/// A `long double` as x86-64 Linux computes it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct F80 {
    neg: bool,
    kind: Kind,
}

impl F80 {
    const ZERO: F80 = F80 {
        neg: false,
        kind: Kind::Zero,
    };

    /// The x87 "indefinite" NaN that invalid operations produce: its sign
    /// bit is set, so glibc prints it as `-nan`.
    const DEFAULT_NAN: F80 = F80 {
        neg: true,
        kind: Kind::NaN,
    };

    fn inf(neg: bool) -> F80 {
        F80 {
            neg,
            kind: Kind::Inf,
        }
    }

    fn zero(neg: bool) -> F80 {
        F80 {
            neg,
            kind: Kind::Zero,
        }
    }

    fn from_u64(v: u64) -> F80 {
        F80::round(false, v as u128, 0, false)
    }

    fn from_i64(v: i64) -> F80 {
        F80::round(v < 0, v.unsigned_abs() as u128, 0, false)
    }

    fn is_nan(self) -> bool {
        self.kind == Kind::NaN
    }

    fn is_zero(self) -> bool {
        self.kind == Kind::Zero
    }

    fn neg(self) -> F80 {
        F80 {
            neg: !self.neg,
            kind: self.kind,
        }
    }

    fn abs(self) -> F80 {
        F80 {
            neg: false,
            kind: self.kind,
        }
    }

    /// Significand and exponent with the significand's top bit at 63 (the
    /// exponent may then lie below the subnormal limit).
    fn normalized(self) -> Option<(u64, i32)> {
        match self.kind {
            Kind::Fin { mant, exp } => {
                let lz = mant.leading_zeros();
                Some((mant << lz, exp - lz as i32))
            }
            _ => None,
        }
    }

    /// Rounds `m * 2^e` (plus something below `m`'s last bit when `sticky`)
    /// to the nearest representable value, ties to even. Callers that set
    /// `sticky` give `m` at least 66 significant bits.
    fn round(neg: bool, m: u128, e: i32, sticky: bool) -> F80 {
        if m == 0 {
            return F80::zero(neg);
        }
        let n = 128 - m.leading_zeros() as i32;
        let mut shift = n - 64;
        if e.saturating_add(shift) < F80_MIN_EXP {
            shift = F80_MIN_EXP.saturating_sub(e);
        }
        let (mut mant, mut exp) = if shift <= 0 {
            ((m << (-shift) as u32) as u64, e + shift)
        } else if shift >= 129 {
            (0u64, e.saturating_add(shift))
        } else {
            let kept = if shift >= 128 { 0 } else { m >> shift };
            let rem = if shift >= 128 {
                m
            } else {
                m & ((1u128 << shift) - 1)
            };
            let half = 1u128 << (shift - 1);
            let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
            let mut mant = kept as u64;
            let mut exp = e + shift;
            if up {
                let (v, overflow) = mant.overflowing_add(1);
                if overflow {
                    mant = 1 << 63;
                    exp += 1;
                } else {
                    mant = v;
                }
            }
            (mant, exp)
        };
        if mant == 0 {
            return F80::zero(neg);
        }
        // A subnormal whose rounding carried into the top bit is normal now;
        // nothing to do, the representation already says so.
        if exp > F80_MAX_EXP {
            return F80::inf(neg);
        }
        if exp < F80_MIN_EXP {
            // Only reachable through the saturating paths above.
            mant = 0;
            exp = F80_MIN_EXP;
        }
        if mant == 0 {
            return F80::zero(neg);
        }
        F80 {
            neg,
            kind: Kind::Fin { mant, exp },
        }
    }

    fn add(self, o: F80) -> F80 {
        match (self.kind, o.kind) {
            (Kind::NaN, _) => self,
            (_, Kind::NaN) => o,
            (Kind::Inf, Kind::Inf) => {
                if self.neg == o.neg {
                    self
                } else {
                    F80::DEFAULT_NAN
                }
            }
            (Kind::Inf, _) => self,
            (_, Kind::Inf) => o,
            (Kind::Zero, Kind::Zero) => F80::zero(self.neg && o.neg),
            (Kind::Zero, _) => o,
            (_, Kind::Zero) => self,
            (Kind::Fin { mant: ma, exp: ea }, Kind::Fin { mant: mb, exp: eb }) => {
                let (mut a, mut b) = ((self.neg, ma, ea), (o.neg, mb, eb));
                if b.2 > a.2 {
                    std::mem::swap(&mut a, &mut b);
                }
                // Headroom of 62 bits below the significands keeps every
                // bit that can matter for rounding; the rest is sticky.
                let big_a = (a.1 as u128) << 62;
                let d = (a.2 - b.2) as u32;
                let full_b = (b.1 as u128) << 62;
                let (small_b, sticky) = if d >= 128 {
                    (0u128, true)
                } else {
                    (full_b >> d, full_b & ((1u128 << d) - 1) != 0)
                };
                let e = a.2 - 62;
                if a.0 == b.0 {
                    F80::round(a.0, big_a + small_b, e, sticky)
                } else if big_a > small_b {
                    // The lost bits of b make the true difference a little
                    // smaller: one unit less, plus a nonzero fraction.
                    let mut diff = big_a - small_b;
                    if sticky {
                        diff = diff.saturating_sub(1);
                    }
                    F80::round(a.0, diff, e, sticky)
                } else if big_a == small_b {
                    F80::ZERO
                } else {
                    F80::round(b.0, small_b - big_a, e, false)
                }
            }
        }
    }

    fn sub(self, o: F80) -> F80 {
        if o.is_nan() {
            return if self.is_nan() { self } else { o };
        }
        self.add(o.neg())
    }

    fn mul(self, o: F80) -> F80 {
        let neg = self.neg != o.neg;
        match (self.kind, o.kind) {
            (Kind::NaN, _) => self,
            (_, Kind::NaN) => o,
            (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => F80::DEFAULT_NAN,
            (Kind::Inf, _) | (_, Kind::Inf) => F80::inf(neg),
            (Kind::Zero, _) | (_, Kind::Zero) => F80::zero(neg),
            (Kind::Fin { mant: ma, exp: ea }, Kind::Fin { mant: mb, exp: eb }) => {
                F80::round(neg, ma as u128 * mb as u128, ea + eb, false)
            }
        }
    }

    fn div(self, o: F80) -> F80 {
        let neg = self.neg != o.neg;
        match (self.kind, o.kind) {
            (Kind::NaN, _) => self,
            (_, Kind::NaN) => o,
            (Kind::Inf, Kind::Inf) | (Kind::Zero, Kind::Zero) => F80::DEFAULT_NAN,
            (Kind::Inf, _) => F80::inf(neg),
            (_, Kind::Inf) => F80::zero(neg),
            (Kind::Zero, _) => F80::zero(neg),
            (_, Kind::Zero) => F80::inf(neg),
            _ => {
                let (Some((ma, ea)), Some((mb, eb))) = (self.normalized(), o.normalized()) else {
                    return F80::DEFAULT_NAN;
                };
                let num = (ma as u128) << 64;
                let q = num / mb as u128;
                let r = num % mb as u128;
                let r4 = r << 2;
                let extra = r4 / mb as u128;
                let sticky = !r4.is_multiple_of(mb as u128);
                F80::round(neg, (q << 2) | extra, ea - eb - 66, sticky)
            }
        }
    }

    /// `|a| mod |b|` for finite nonzero values (exact), plus the lowest bit
    /// of the integer quotient; the result is `(significand, exponent)`.
    fn mod_parts(ma: u64, ea: i32, mb: u64, eb: i32) -> (u128, i32, bool) {
        // With both significands normalized, |a| < |b| iff ea < eb or the
        // exponents match and ma < mb.
        if ea < eb || (ea == eb && ma < mb) {
            return (ma as u128, ea, false);
        }
        let m = mb as u128;
        let mut r = ma as u128 % m;
        let mut odd = (ma as u128 / m) & 1 == 1;
        let mut left = (ea - eb) as u32;
        while left > 0 {
            let k = left.min(63);
            let v = r << k;
            odd = (v / m) & 1 == 1;
            r = v % m;
            left -= k;
        }
        (r, eb, odd)
    }

    /// C `fmodl`.
    fn fmod(self, o: F80) -> F80 {
        match (self.kind, o.kind) {
            (Kind::NaN, _) => self,
            (_, Kind::NaN) => o,
            (Kind::Inf, _) | (_, Kind::Zero) => F80::DEFAULT_NAN,
            (Kind::Zero, _) | (_, Kind::Inf) => self,
            _ => {
                let (Some((ma, ea)), Some((mb, eb))) = (self.normalized(), o.normalized()) else {
                    return F80::DEFAULT_NAN;
                };
                let (r, e, _) = F80::mod_parts(ma, ea, mb, eb);
                F80::round(self.neg, r, e, false)
            }
        }
    }

    /// C `remainderl` (IEEE remainder, quotient rounded to even).
    fn remainder(self, o: F80) -> F80 {
        match (self.kind, o.kind) {
            (Kind::NaN, _) => self,
            (_, Kind::NaN) => o,
            (Kind::Inf, _) | (_, Kind::Zero) => F80::DEFAULT_NAN,
            (Kind::Zero, _) | (_, Kind::Inf) => self,
            _ => {
                let (Some((ma, ea)), Some((mb, eb))) = (self.normalized(), o.normalized()) else {
                    return F80::DEFAULT_NAN;
                };
                let (r, e, odd) = F80::mod_parts(ma, ea, mb, eb);
                // Compare r with |b|/2 on a common scale.
                let (r_at_b, b_m) = if e == eb {
                    (Some(r), mb as u128)
                } else {
                    // |a| < |b| case: r is a itself, at exponent ea < eb.
                    let d = (eb - e) as u32;
                    if d >= 64 {
                        (None, mb as u128)
                    } else {
                        (Some(r), (mb as u128) << d)
                    }
                };
                let Some(r2) = r_at_b else {
                    return F80::round(self.neg, r, e, false);
                };
                let twice = r2 << 1;
                let flip = twice > b_m || (twice == b_m && odd);
                if flip {
                    F80::round(!self.neg, b_m - r2, e.min(eb), false)
                } else {
                    F80::round(self.neg, r2, e.min(eb), false)
                }
            }
        }
    }

    fn sqrt(self) -> F80 {
        match self.kind {
            Kind::NaN => self,
            Kind::Zero => self,
            _ if self.neg => F80::DEFAULT_NAN,
            Kind::Inf => self,
            Kind::Fin { .. } => {
                let Some((m, e)) = self.normalized() else {
                    return F80::DEFAULT_NAN;
                };
                // Scale to a 127/128-bit integer with an even exponent.
                let s = if (e - 63).rem_euclid(2) == 0 { 63 } else { 64 };
                let n = (m as u128) << s;
                let r = isqrt_u128(n);
                let rem = n - r * r;
                let up = rem > r;
                F80::round(false, r + up as u128, (e - s) / 2, false)
            }
        }
    }

    fn cmp(self, o: F80) -> Option<Ordering> {
        if self.is_nan() || o.is_nan() {
            return None;
        }
        let key = |x: F80| -> (i8, i32, u64) {
            match x.kind {
                Kind::Zero => (0, 0, 0),
                Kind::Inf => (2, 0, 0),
                Kind::Fin { .. } => {
                    let (m, e) = x.normalized().unwrap_or((0, 0));
                    (1, e, m)
                }
                Kind::NaN => (0, 0, 0),
            }
        };
        let (ka, kb) = (key(self), key(o));
        let sa = if self.kind == Kind::Zero {
            0
        } else if self.neg {
            -1
        } else {
            1
        };
        let sb = if o.kind == Kind::Zero {
            0
        } else if o.neg {
            -1
        } else {
            1
        };
        if sa != sb {
            return Some(sa.cmp(&sb));
        }
        let mag = ka.cmp(&kb);
        Some(if sa < 0 { mag.reverse() } else { mag })
    }

    fn eq(self, o: F80) -> bool {
        self.cmp(o) == Some(Ordering::Equal)
    }

    fn lt(self, o: F80) -> bool {
        self.cmp(o) == Some(Ordering::Less)
    }

    fn gt(self, o: F80) -> bool {
        self.cmp(o) == Some(Ordering::Greater)
    }

    /// Integer rounding: `mode` picks floor, ceil, trunc, round (half away
    /// from zero) or rint (half to even).
    fn round_int(self, mode: IntRound) -> F80 {
        let (m, e) = match self.kind {
            Kind::Fin { mant, exp } => (mant, exp),
            _ => return self,
        };
        if e >= 0 {
            return self;
        }
        let shift = (-e) as u32;
        let (int, rem, half) = if shift >= 65 {
            (0u128, m as u128, 1u128 << 64)
        } else {
            let int = (m as u128) >> shift;
            (
                int,
                (m as u128) & ((1u128 << shift) - 1),
                1u128 << (shift - 1),
            )
        };
        // A rem of zero is exact; a shift of 65 or more leaves rem < half.
        let frac_nonzero = rem != 0;
        let up = match mode {
            IntRound::Trunc => false,
            IntRound::Floor => self.neg && frac_nonzero,
            IntRound::Ceil => !self.neg && frac_nonzero,
            IntRound::Round => rem >= half && shift < 65,
            IntRound::Rint => shift < 65 && (rem > half || (rem == half && int & 1 == 1)),
        };
        let v = int + up as u128;
        F80::round(self.neg, v, 0, false)
    }

    /// glibc `printf("%.18Lg")`.
    fn format(self) -> String {
        let sign = if self.neg { "-" } else { "" };
        let (m, e) = match self.kind {
            Kind::NaN => return format!("{sign}nan"),
            Kind::Inf => return format!("{sign}inf"),
            Kind::Zero => return format!("{sign}0"),
            Kind::Fin { mant, exp } => (mant, exp),
        };
        // Integers below 10^18 print as themselves: the common case.
        let int = if (0..=60).contains(&e) {
            Some((m as u128) << e)
        } else if (-63..0).contains(&e) && m & ((1u64 << -e) - 1) == 0 {
            Some((m >> -e) as u128)
        } else {
            None
        };
        if let Some(v) = int
            && v < 1_000_000_000_000_000_000
        {
            return format!("{sign}{v}");
        }
        // Exact decimal digits of m * 2^e = D * 10^p.
        let (digits, p) = if e >= 0 {
            (Big::from_u128(m as u128).shl(e as u64).to_decimal(), 0i64)
        } else {
            let d = Big::from_u128(m as u128).mul(&Big::pow_small(5, (-e) as u64));
            (d.to_decimal(), e as i64)
        };
        let (sig, x) = round_digits(&digits, p, 18);
        format_g(sign, &sig, x, 18)
    }
}

#[derive(Clone, Copy)]
enum IntRound {
    Floor,
    Ceil,
    Trunc,
    Round,
    Rint,
}

fn isqrt_u128(n: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    let mut x = (n as f64).sqrt() as u128;
    // Newton steps from the float estimate, then exact fix-ups.
    for _ in 0..4 {
        if x == 0 {
            break;
        }
        x = (x + n / x) / 2;
    }
    while x.checked_mul(x).is_none_or(|sq| sq > n) {
        x -= 1;
    }
    while (x + 1).checked_mul(x + 1).is_some_and(|sq| sq <= n) {
        x += 1;
    }
    x
}

/// Rounds the decimal `digits * 10^p` to `prec` significant digits (ties to
/// even on the exact value). Returns the kept digits (trailing zeros
/// included, exactly `prec` of them) and the decimal exponent of the first.
fn round_digits(digits: &[u8], p: i64, prec: usize) -> (Vec<u8>, i64) {
    let lead = digits.iter().position(|&c| c != b'0').unwrap_or(0);
    let digits = &digits[lead..];
    let mut x = digits.len() as i64 - 1 + p;
    let mut kept: Vec<u8> = digits.iter().take(prec).copied().collect();
    while kept.len() < prec {
        kept.push(b'0');
    }
    if digits.len() > prec {
        let next = digits[prec];
        let rest_nonzero = digits[prec + 1..].iter().any(|&c| c != b'0');
        let last_odd = (kept[prec - 1] - b'0') % 2 == 1;
        let up = next > b'5' || (next == b'5' && (rest_nonzero || last_odd));
        if up {
            let mut i = prec;
            loop {
                if i == 0 {
                    kept.insert(0, b'1');
                    kept.truncate(prec);
                    x += 1;
                    break;
                }
                i -= 1;
                if kept[i] == b'9' {
                    kept[i] = b'0';
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
    }
    (kept, x)
}

/// The `%g` layout of rounded significant digits `sig` with decimal
/// exponent `x`, trailing zeros removed.
fn format_g(sign: &str, sig: &[u8], x: i64, prec: i64) -> String {
    let strip = |s: &mut Vec<u8>| {
        while s.last() == Some(&b'0') {
            s.pop();
        }
    };
    if x < -4 || x >= prec {
        let mut frac = sig[1..].to_vec();
        strip(&mut frac);
        let mut out = String::from(sign);
        out.push(sig[0] as char);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&String::from_utf8_lossy(&frac));
        }
        out.push('e');
        out.push(if x < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", x.abs()));
        out
    } else if x >= 0 {
        let int_len = (x + 1) as usize;
        let int_part = String::from_utf8_lossy(&sig[..int_len]).into_owned();
        let mut frac = sig[int_len..].to_vec();
        strip(&mut frac);
        if frac.is_empty() {
            format!("{sign}{int_part}")
        } else {
            format!("{sign}{int_part}.{}", String::from_utf8_lossy(&frac))
        }
    } else {
        let mut frac = vec![b'0'; (-x - 1) as usize];
        frac.extend_from_slice(sig);
        strip(&mut frac);
        format!("{sign}0.{}", String::from_utf8_lossy(&frac))
    }
}

/// How a decimal string converts, as glibc `strtold` does it.
enum Parsed {
    Value(F80),
    /// Out of `long double` range: `strtold` sets `ERANGE`.
    Range(F80),
}

/// `strtold` on the strings this language feeds it: optional blanks and
/// sign, then digits with at most one point. No exponent or hex form can
/// occur (the callers only pass digits, points, blanks and '-').
fn strtold(s: &str) -> Parsed {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = &b[int_start..i];
    let mut frac_digits: &[u8] = &[];
    if i < b.len() && b[i] == b'.' {
        let fs = i + 1;
        let mut j = fs;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        frac_digits = &b[fs..j];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        // No conversion: strtold returns +0 whatever the sign.
        return Parsed::Value(F80::ZERO);
    }
    let v = decimal_to_f80(neg, int_digits, frac_digits);
    match v.kind {
        Kind::Inf => Parsed::Range(v),
        Kind::Zero => {
            if int_digits.iter().chain(frac_digits).any(|&c| c != b'0') {
                Parsed::Range(v)
            } else {
                Parsed::Value(v)
            }
        }
        Kind::Fin { mant, .. } if mant >> 63 == 0 => Parsed::Range(v),
        _ => Parsed::Value(v),
    }
}

/// Correctly rounded conversion of `int.frac` to [`F80`].
fn decimal_to_f80(neg: bool, int: &[u8], frac: &[u8]) -> F80 {
    let mut all: Vec<u8> = int.iter().chain(frac).copied().collect();
    let mut scale = frac.len() as i64;
    // Trailing zeros of the fraction change nothing.
    while scale > 0 && all.last() == Some(&b'0') {
        all.pop();
        scale -= 1;
    }
    let lead = all.iter().position(|&c| c != b'0').unwrap_or(all.len());
    let all = &all[lead..];
    if all.is_empty() {
        return F80::zero(neg);
    }
    // Fast path: up to 19 digits with no fraction.
    if scale == 0 && all.len() <= 19 {
        let v = all.iter().fold(0u64, |a, &c| a * 10 + (c - b'0') as u64);
        return F80::round(neg, v as u128, 0, false);
    }
    // Too many digits to matter: beyond ~5000 the value overflows or the
    // digits lie far below the 64-bit significand (kept as sticky).
    let mut n = Big::zero();
    for chunk in all.chunks(9) {
        let mut mulby = 1u32;
        let mut add = 0u32;
        for &c in chunk {
            mulby *= 10;
            add = add * 10 + (c - b'0') as u32;
        }
        n.mul_small(mulby);
        n.add_small(add);
    }
    if scale == 0 {
        let (top, drop, sticky) = n.top_bits(100);
        return F80::round(neg, top, clamp_i32(drop), sticky);
    }
    let d = Big::pow_small(10, scale as u64);
    // Choose k so that n * 2^k / d has about 100 bits.
    let k = 100 + d.bits() as i64 - n.bits() as i64;
    let (num, den) = if k >= 0 {
        (n.shl(k as u64), d)
    } else {
        (n, d.shl((-k) as u64))
    };
    let (q, r) = num.divmod(&den);
    let (top, drop, sticky) = q.top_bits(100);
    F80::round(neg, top, clamp_i32(drop - k), sticky || !r.is_zero())
}

fn clamp_i32(v: i64) -> i32 {
    v.clamp(i32::MIN as i64 / 2, i32::MAX as i64 / 2) as i32
}

// ---------------------------------------------------------------------------
// Values and operators
// ---------------------------------------------------------------------------

/// INT_MAX: what division yields for a zero or non-numeric divisor.
const INT_MAX: u64 = 2_147_483_647;

#[derive(Clone, Debug)]
enum Val {
    Num(F80),
    /// Text that may be used as a number: a digits token, or a result made
    /// only of digits and points. Converted in place when an operator
    /// needs a number, so later uses see the number.
    NumStr(String),
    Str(String),
}

impl Val {
    /// Asterisk's `make_str`: text made only of digits and points (and not
    /// empty) counts as numeric.
    fn from_text(s: String) -> Val {
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            Val::NumStr(s)
        } else {
            Val::Str(s)
        }
    }

    fn is_string(&self) -> bool {
        matches!(self, Val::Str(_))
    }

    /// The number of a converted value. Asterisk reads the union member
    /// whatever the type; only the math functions can get here with text,
    /// and there the C code reads a pointer as a number: 0 stands in.
    fn num(&self) -> F80 {
        match self {
            Val::Num(f) => *f,
            _ => F80::ZERO,
        }
    }

    fn make_string(&mut self) {
        if let Val::Num(f) = self {
            *self = Val::Str(f.format());
        }
    }

    fn text(&self) -> &str {
        match self {
            Val::Str(s) | Val::NumStr(s) => s,
            Val::Num(_) => "",
        }
    }

    fn strip_quotes(&mut self) {
        if let Val::Str(s) | Val::NumStr(s) = self
            && s.starts_with('"')
            && s.ends_with('"')
        {
            s.retain(|c| c != '"');
        }
    }

    fn output(self) -> String {
        match self {
            Val::Num(f) => f.format(),
            Val::Str(s) | Val::NumStr(s) => s,
        }
    }
}

/// C `atoi` as glibc does it: `(int) strtol(s, NULL, 10)`.
fn atoi(s: &str) -> i32 {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut v: i128 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = (v * 10 + (b[i] - b'0') as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    let v = if neg { -v } else { v };
    let clamped = v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    clamped as i32
}

#[derive(Clone, Copy)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Cmp {
    fn holds(self, ord: Option<Ordering>) -> bool {
        match self {
            Cmp::Eq => ord == Some(Ordering::Equal),
            Cmp::Ne => ord != Some(Ordering::Equal),
            Cmp::Lt => ord == Some(Ordering::Less),
            Cmp::Gt => ord == Some(Ordering::Greater),
            Cmp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            Cmp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        }
    }
}

fn quad_min() -> F80 {
    F80::from_i64(i64::MIN)
}

fn bool_num(b: bool) -> Val {
    Val::Num(F80::from_u64(b as u64))
}

struct Evaluator<'a, 'h> {
    input: &'a str,
    log: Vec<LogEntry>,
    host: &'h mut dyn FunctionHost,
}

impl Evaluator<'_, '_> {
    fn push_log(
        &mut self,
        level: LogLevel,
        (file, line, function): (&'static str, u32, &'static str),
        m: String,
    ) {
        self.log.push(LogEntry {
            level,
            file,
            function,
            line,
            message: m,
        });
    }

    fn warn(&mut self, (function, line): (&'static str, u32), m: &str) {
        self.push_log(
            LogLevel::Warning,
            ("ast_expr2.y", line, function),
            m.to_string(),
        );
    }

    fn make_number(&mut self, v: &mut Val) -> bool {
        match v {
            Val::Num(_) => true,
            Val::Str(_) => false,
            Val::NumStr(s) => match strtold(s) {
                Parsed::Value(f) => {
                    *v = Val::Num(f);
                    true
                }
                Parsed::Range(_) => {
                    let m = format!("Conversion of {s} to number under/overflowed!");
                    self.warn(("to_number", 588), &m);
                    // Asterisk frees the text and keeps a null string.
                    *v = Val::Str(String::new());
                    false
                }
            },
        }
    }

    fn is_zero_or_null(&mut self, v: &mut Val) -> bool {
        match v {
            Val::Num(f) => f.is_zero(),
            Val::Str(s) | Val::NumStr(s) => {
                s.is_empty() || (self.make_number(v) && v.num().is_zero())
            }
        }
    }

    fn op_or(&mut self, mut a: Val, b: Val) -> Val {
        if self.is_zero_or_null(&mut a) { b } else { a }
    }

    fn op_and(&mut self, mut a: Val, mut b: Val) -> Val {
        if self.is_zero_or_null(&mut a) || self.is_zero_or_null(&mut b) {
            Val::Num(F80::ZERO)
        } else {
            a
        }
    }

    fn op_compare(&mut self, mut a: Val, mut b: Val, c: Cmp) -> Val {
        if a.is_string() || b.is_string() {
            a.make_string();
            b.make_string();
            // C.UTF-8 collates by code point, which is byte order.
            bool_num(c.holds(Some(a.text().as_bytes().cmp(b.text().as_bytes()))))
        } else {
            self.make_number(&mut a);
            self.make_number(&mut b);
            bool_num(c.holds(a.num().cmp(b.num())))
        }
    }

    fn op_cond(&mut self, mut a: Val, b: Val, c: Val) -> Val {
        if let Val::Str(s) = &a {
            if !s.is_empty() && s != "\"\"" && s != "0" {
                b
            } else {
                c
            }
        } else {
            self.make_number(&mut a);
            // A NaN is "nonzero" in C.
            if !a.num().is_zero() { b } else { c }
        }
    }

    fn chk_plus(a: F80, b: F80, r: F80) -> bool {
        let zero = F80::ZERO;
        (a.gt(zero) && b.gt(zero) && !r.gt(zero) && !r.is_nan())
            || (a.lt(zero) && b.lt(zero) && !r.lt(zero) && !r.is_nan())
    }

    fn chk_minus(a: F80, b: F80, r: F80) -> bool {
        if b.eq(quad_min()) {
            return matches!(a.cmp(F80::ZERO), Some(Ordering::Greater | Ordering::Equal));
        }
        Self::chk_plus(a, b.neg(), r)
    }

    fn op_plus(&mut self, mut a: Val, mut b: Val) -> Val {
        if !self.make_number(&mut a) {
            self.warn(("op_plus", 1294), "non-numeric argument");
            return if self.make_number(&mut b) {
                b
            } else {
                Val::Num(F80::ZERO)
            };
        }
        if !self.make_number(&mut b) {
            return a;
        }
        let (x, y) = (a.num(), b.num());
        let r = x.add(y);
        if Self::chk_plus(x, y, r) {
            self.warn(("op_plus", 1310), "overflow");
        }
        Val::Num(r)
    }

    fn op_minus(&mut self, mut a: Val, mut b: Val) -> Val {
        if !self.make_number(&mut a) {
            self.warn(("op_minus", 1338), "non-numeric argument");
            return if self.make_number(&mut b) {
                Val::Num(F80::ZERO.sub(b.num()))
            } else {
                Val::Num(F80::ZERO)
            };
        }
        if !self.make_number(&mut b) {
            self.warn(("op_minus", 1351), "non-numeric argument");
            return a;
        }
        let (x, y) = (a.num(), b.num());
        let r = x.sub(y);
        if Self::chk_minus(x, y, r) {
            self.warn(("op_minus", 1358), "overflow");
        }
        Val::Num(r)
    }

    fn op_negate(&mut self, mut a: Val) -> Val {
        if !self.make_number(&mut a) {
            self.warn(("op_negate", 1373), "non-numeric argument");
            return Val::Num(F80::ZERO);
        }
        let x = a.num();
        let r = x.neg();
        if Self::chk_minus(F80::ZERO, x, r) {
            self.warn(("op_negate", 1379), "overflow");
        }
        Val::Num(r)
    }

    fn op_compl(&mut self, a: Val) -> Val {
        let v1 = match &a {
            Val::Num(f) => !f.is_zero(),
            Val::Str(s) | Val::NumStr(s) => !(s.is_empty() || s == "0") && atoi(s) != 0,
        };
        bool_num(!v1)
    }

    fn op_times(&mut self, mut a: Val, mut b: Val) -> Val {
        if !self.make_number(&mut a) || !self.make_number(&mut b) {
            self.warn(("op_times", 1460), "non-numeric argument");
            return Val::Num(F80::ZERO);
        }
        let (x, y) = (a.num(), b.num());
        let r = x.mul(y);
        // Asterisk's overflow test: dividing back must give the operand.
        if !x.is_zero() && !r.div(x).eq(y) {
            self.warn(("op_times", 1466), "overflow");
        }
        Val::Num(r)
    }

    fn op_div(&mut self, mut a: Val, mut b: Val) -> Val {
        if !self.make_number(&mut a) {
            self.warn(("op_div", 1493), "non-numeric argument");
            return Val::Num(F80::ZERO);
        }
        if !self.make_number(&mut b) {
            self.warn(("op_div", 1499), "non-numeric argument");
            return Val::Num(F80::from_u64(INT_MAX));
        }
        let (x, y) = (a.num(), b.num());
        if y.is_zero() {
            self.warn(("op_div", 1504), "division by zero");
            return Val::Num(F80::from_u64(INT_MAX));
        }
        let r = x.div(y);
        if x.eq(quad_min()) && y.eq(F80::from_i64(-1)) {
            self.warn(("op_div", 1512), "overflow");
        }
        Val::Num(r)
    }

    fn op_rem(&mut self, mut a: Val, mut b: Val) -> Val {
        if !self.make_number(&mut a) || !self.make_number(&mut b) {
            self.warn(("op_rem", 1526), "non-numeric argument");
            return Val::Num(F80::ZERO);
        }
        if b.num().is_zero() {
            self.warn(("op_rem", 1533), "div by zero");
            return b;
        }
        Val::Num(a.num().fmod(b.num()))
    }

    /// `:` (anchored at the start) and `=~` (anywhere).
    fn op_regex(&mut self, mut a: Val, mut b: Val, anchored: bool) -> Val {
        let func = if anchored {
            ("op_colon", 1564)
        } else {
            ("op_eqtilde", 1615)
        };
        a.make_string();
        b.make_string();
        a.strip_quotes();
        b.strip_quotes();
        let re = match posix_re::Regex::new(b.text()) {
            Ok(re) => re,
            Err(msg) => {
                self.warn(func, &format!("regcomp() error : {msg}"));
                return Val::from_text(String::new());
            }
        };
        let text = a.text();
        match re.search(text, anchored) {
            Some(m) => match m.group1 {
                Some((s, e)) => Val::from_text(text.get(s..e).unwrap_or("").to_string()),
                None => Val::Num(F80::from_u64((m.end - m.start) as u64)),
            },
            None => {
                if re.groups() == 0 {
                    Val::Num(F80::ZERO)
                } else {
                    Val::from_text(String::new())
                }
            }
        }
    }

    fn op_tildetilde(&mut self, mut a: Val, mut b: Val) -> Val {
        a.make_string();
        b.make_string();
        a.strip_quotes();
        b.strip_quotes();
        let mut s = a.text().to_string();
        s.push_str(b.text());
        Val::from_text(s)
    }

    fn binary(&mut self, op: Tok, a: Val, b: Val) -> Val {
        match op {
            Tok::Or => self.op_or(a, b),
            Tok::And => self.op_and(a, b),
            Tok::Eq => self.op_compare(a, b, Cmp::Eq),
            Tok::Ne => self.op_compare(a, b, Cmp::Ne),
            Tok::Lt => self.op_compare(a, b, Cmp::Lt),
            Tok::Gt => self.op_compare(a, b, Cmp::Gt),
            Tok::Le => self.op_compare(a, b, Cmp::Le),
            Tok::Ge => self.op_compare(a, b, Cmp::Ge),
            Tok::Plus => self.op_plus(a, b),
            Tok::Minus => self.op_minus(a, b),
            Tok::Mult => self.op_times(a, b),
            Tok::Div => self.op_div(a, b),
            Tok::Mod => self.op_rem(a, b),
            Tok::Colon => self.op_regex(a, b, true),
            Tok::EqTilde => self.op_regex(a, b, false),
            Tok::TildeTilde => self.op_tildetilde(a, b),
            // Only binary operators are ever stored in a frame.
            _ => a,
        }
    }

    /// A call `NAME(args)`: the math functions built into the expression
    /// parser first, then dialplan functions.
    fn call(&mut self, name: &str, mut args: Vec<Val>) -> Val {
        let possible = name
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
        if !possible {
            let m = format!("Error! '{name}' is not possibly a function name!");
            self.push_log(LogLevel::Error, ("ast_expr2.y", 1076, "op_func"), m);
            return Val::Num(F80::ZERO);
        }
        if let Some(arity) = math::arity(name) {
            if args.len() != arity {
                self.warn(
                    ("op_func", wrong_args_line(name)),
                    &format!("Wrong args to {name}() function"),
                );
                return Val::Num(F80::ZERO);
            }
            for a in args.iter_mut() {
                self.make_number(a);
            }
            let x = args[0].num();
            let y = args.get(1).map_or(F80::ZERO, Val::num);
            return Val::Num(math::apply(name, x, y));
        }
        let chan = self.host.has_channel();
        let kind = self.host.find(name);
        if !chan {
            self.warn(("op_func", 1045), "Hey! chan is NULL.");
        }
        if kind == FunctionKind::Missing {
            self.warn(
                ("op_func", 1047),
                &format!("Hey! could not find func {name}."),
            );
        }
        match kind {
            FunctionKind::Readable if chan => {
                let joined = self.compose_func_args(&args);
                let mut out = self.host.read(name, &joined);
                // The result lands in a 512-byte buffer.
                if out.len() > 511 {
                    let mut cut = 511;
                    while !out.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    out.truncate(cut);
                }
                let really_num = out.bytes().all(|c| b"-0123456789. \t".contains(&c));
                if really_num {
                    match strtold(&out) {
                        Parsed::Value(f) | Parsed::Range(f) => Val::Num(f),
                    }
                } else {
                    Val::from_text(out)
                }
            }
            FunctionKind::NotReadable if chan => {
                let m = format!("Error! Function '{name}' cannot be read!");
                self.push_log(LogLevel::Error, ("ast_expr2.y", 1060, "op_func"), m);
                Val::Num(F80::ZERO)
            }
            _ => {
                let m = format!("Error! '{name}' doesn't appear to be an available function!");
                self.push_log(LogLevel::Error, ("ast_expr2.y", 1065, "op_func"), m);
                Val::Num(F80::ZERO)
            }
        }
    }

    /// Joins the arguments with commas, logging the buffer sizes as
    /// Asterisk does (it reserves 25 bytes for each number).
    fn compose_func_args(&mut self, args: &[Val]) -> String {
        let mut total = 0usize;
        for (i, a) in args.iter().enumerate() {
            total += (i > 0) as usize;
            total += match a {
                Val::Num(_) => 25,
                Val::Str(s) | Val::NumStr(s) => s.len(),
            };
        }
        total += 1;
        let m = format!("argbuf allocated {total} bytes;");
        self.push_log(
            LogLevel::Notice,
            ("ast_expr2.y", 759, "compose_func_args"),
            m,
        );
        let mut s = String::new();
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            match a {
                Val::Num(f) => s.push_str(&f.format()),
                Val::Str(t) | Val::NumStr(t) => s.push_str(t),
            }
        }
        let m = format!("argbuf uses {} bytes;", s.len());
        self.push_log(
            LogLevel::Notice,
            ("ast_expr2.y", 778, "compose_func_args"),
            m,
        );
        s
    }
}

/// op_func checks each built-in math function's arity in its own branch,
/// so "Wrong args" comes from a line per function.
fn wrong_args_line(name: &str) -> u32 {
    match name {
        "COS" => 804,
        "SIN" => 815,
        "TAN" => 826,
        "ACOS" => 837,
        "ASIN" => 848,
        "ATAN" => 859,
        "ATAN2" => 871,
        "POW" => 883,
        "SQRT" => 894,
        "FLOOR" => 905,
        "CEIL" => 916,
        "ROUND" => 927,
        "RINT" => 938,
        "TRUNC" => 949,
        "EXP" => 960,
        "EXP2" => 971,
        "EXP10" => 982,
        "LOG" => 993,
        "LOG2" => 1004,
        "LOG10" => 1015,
        "REMAINDER" => 1027,
        "ABS" => 1037,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------
// Lexer: the token rules of ast_expr2.fl, applied with flex's
// longest-match-then-first-rule choice.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Or,
    And,
    Eq,
    EqTilde,
    TildeTilde,
    Gt,
    Lt,
    Ge,
    Le,
    Ne,
    Plus,
    Comma,
    Minus,
    Mult,
    Div,
    Mod,
    Cond,
    Compl,
    Colon,
    ColonColon,
    Lp,
    Rp,
    Word,
    End,
}

impl Tok {
    /// The token as a syntax error names it: bison's name passed through
    /// Asterisk's substitution table, which has no entry for `~~` and
    /// turns `TOK_EQTILDE` into `'='TILDE` (it matches `TOK_EQ` first).
    fn error_name(self) -> &'static str {
        match self {
            Tok::Or => "'|'",
            Tok::And => "'&'",
            Tok::Eq => "'='",
            Tok::EqTilde => "'='TILDE",
            Tok::TildeTilde => "TOK_TILDETILDE",
            Tok::Gt => "'>'",
            Tok::Lt => "'<'",
            Tok::Ge => "'>='",
            Tok::Le => "'<='",
            Tok::Ne => "'!='",
            Tok::Plus => "'+'",
            Tok::Comma => "','",
            Tok::Minus => "'-'",
            Tok::Mult => "'*'",
            Tok::Div => "'/'",
            Tok::Mod => "'%'",
            Tok::Cond => "'?'",
            Tok::Compl => "'!'",
            Tok::Colon => "':'",
            Tok::ColonColon => "'::'",
            Tok::Lp => "'('",
            Tok::Rp => "')'",
            Tok::Word => "'<token>'",
            Tok::End => "$end",
        }
    }

    /// Binding strength of the binary operators (all left-associative);
    /// unary `-` and `!` sit at 8, between `*` and `:`.
    fn binary_prec(self) -> Option<u8> {
        Some(match self {
            Tok::Cond => 2,
            Tok::Or => 3,
            Tok::And => 4,
            Tok::Eq | Tok::Gt | Tok::Lt | Tok::Ge | Tok::Le | Tok::Ne => 5,
            Tok::Plus | Tok::Minus => 6,
            Tok::Mult | Tok::Div | Tok::Mod => 7,
            Tok::Colon | Tok::EqTilde | Tok::TildeTilde => 9,
            _ => return None,
        })
    }
}

const UNARY_PREC: u8 = 8;

struct Lexeme {
    tok: Tok,
    /// Byte offset where the token's text starts (the syntax error caret).
    pos: usize,
    text: String,
    /// A digits token (`[0-9]+(\.[0-9]+)?`), as opposed to other words.
    numeric: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LexState {
    Initial,
    /// Inside a `${...}` left in the text, counting braces.
    Var,
    /// Just after the closing brace of such a reference.
    Trail,
}

struct Lexer<'a> {
    b: &'a [u8],
    p: usize,
    state: LexState,
    curly: i32,
    /// Where the text of a `${...}` token started (flex's `yymore`).
    more: usize,
}

/// Bytes that make up plain words.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b".';\\_^#@".contains(&c) || c >= 0x80
}

/// Bytes that end the text following a `${...}` reference.
fn ends_trail(c: u8) -> bool {
    b"-\t\r \n$():?%/+=*<>!|&".contains(&c)
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Lexer<'a> {
        Lexer {
            b: s.as_bytes(),
            p: 0,
            state: LexState::Initial,
            curly: 0,
            more: 0,
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.b[from.min(to)..to]).into_owned()
    }

    fn op(&mut self, tok: Tok, len: usize) -> Lexeme {
        let pos = self.p;
        self.p += len;
        Lexeme {
            tok,
            pos,
            text: self.text(pos, self.p),
            numeric: false,
        }
    }

    fn word(&mut self, from: usize, to: usize, numeric: bool) -> Lexeme {
        Lexeme {
            tok: Tok::Word,
            pos: from,
            text: self.text(from, to),
            numeric,
        }
    }

    fn end(&self) -> Lexeme {
        Lexeme {
            tok: Tok::End,
            pos: self.b.len(),
            text: String::new(),
            numeric: false,
        }
    }

    /// End of the longest run of word bytes and `$`+any-but-`{` pairs.
    fn word_run(&self, from: usize) -> usize {
        let mut i = from;
        loop {
            match self.at(i) {
                Some(c) if is_word_byte(c) => i += 1,
                Some(b'$') if self.at(i + 1).is_some_and(|n| n != b'{') => i += 2,
                _ => return i,
            }
        }
    }

    fn number_len(&self, from: usize) -> usize {
        let digits = |mut i: usize| {
            while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            i
        };
        let i = digits(from);
        if i == from {
            return 0;
        }
        if self.at(i) == Some(b'.') && self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            digits(i + 1) - from
        } else {
            i - from
        }
    }

    fn starts_var(&self, i: usize) -> bool {
        self.at(i) == Some(b'$') && self.at(i + 1) == Some(b'{')
    }

    fn enter_var(&mut self, more: usize, p: usize) {
        self.more = more;
        self.p = p;
        self.curly = 0;
        self.state = LexState::Var;
    }

    fn next(&mut self) -> Lexeme {
        loop {
            match self.state {
                LexState::Initial => {
                    let Some(c) = self.at(self.p) else {
                        return self.end();
                    };
                    let n = self.at(self.p + 1);
                    match c {
                        b' ' | b'\t' | b'\r' | b'\n' => self.p += 1,
                        b'|' => return self.op(Tok::Or, if n == Some(b'|') { 2 } else { 1 }),
                        b'&' => return self.op(Tok::And, if n == Some(b'&') { 2 } else { 1 }),
                        b'=' => {
                            return match n {
                                Some(b'=') => self.op(Tok::Eq, 2),
                                Some(b'~') => self.op(Tok::EqTilde, 2),
                                _ => self.op(Tok::Eq, 1),
                            };
                        }
                        b'~' if n == Some(b'~') => return self.op(Tok::TildeTilde, 2),
                        b'>' if n == Some(b'=') => return self.op(Tok::Ge, 2),
                        b'>' => return self.op(Tok::Gt, 1),
                        b'<' if n == Some(b'=') => return self.op(Tok::Le, 2),
                        b'<' => return self.op(Tok::Lt, 1),
                        b'!' if n == Some(b'=') => return self.op(Tok::Ne, 2),
                        b'!' => return self.op(Tok::Compl, 1),
                        b'+' => return self.op(Tok::Plus, 1),
                        b',' => return self.op(Tok::Comma, 1),
                        b'-' => return self.op(Tok::Minus, 1),
                        b'*' => return self.op(Tok::Mult, 1),
                        b'/' => return self.op(Tok::Div, 1),
                        b'%' => return self.op(Tok::Mod, 1),
                        b'?' => return self.op(Tok::Cond, 1),
                        b':' if n == Some(b':') => return self.op(Tok::ColonColon, 2),
                        b':' => return self.op(Tok::Colon, 1),
                        b'(' => return self.op(Tok::Lp, 1),
                        b')' => return self.op(Tok::Rp, 1),
                        b'"' => {
                            let from = self.p;
                            match self.b[from + 1..].iter().position(|&x| x == b'"') {
                                Some(k) => {
                                    self.p = from + k + 2;
                                    return self.word(from, self.p, false);
                                }
                                // An unmatched quote has no rule: flex
                                // echoes it and goes on.
                                None => self.p += 1,
                            }
                        }
                        b'$' if n == Some(b'{') => self.enter_var(self.p, self.p + 2),
                        _ => {
                            let from = self.p;
                            let run = self.word_run(from);
                            if run == from {
                                // No rule for this byte: skipped.
                                self.p += 1;
                            } else if self.starts_var(run) {
                                self.enter_var(from, run + 2);
                            } else {
                                let numeric = self.number_len(from) == run - from;
                                self.p = run;
                                return self.word(from, run, numeric);
                            }
                        }
                    }
                }
                LexState::Var => {
                    let rest = &self.b[self.p..];
                    match rest.iter().position(|&x| x == b'{' || x == b'}') {
                        // No closing brace: the text is echoed away, a
                        // byte at a time, to the end of input.
                        None => {
                            self.p = self.b.len();
                            return self.end();
                        }
                        Some(k) => {
                            let brace = rest[k];
                            self.p += k + 1;
                            if brace == b'{' {
                                self.curly += 1;
                            } else {
                                self.curly -= 1;
                                if self.curly < 0 {
                                    self.state = LexState::Trail;
                                }
                            }
                        }
                    }
                }
                LexState::Trail => {
                    let len = self.b.len();
                    if self.p >= len {
                        self.state = LexState::Initial;
                        let more = self.more;
                        return self.word(more, len, false);
                    }
                    let mut k = self.p;
                    while k < len && !ends_trail(self.b[k]) {
                        k += 1;
                    }
                    if self.starts_var(k) {
                        let more = self.more;
                        self.enter_var(more, k + 2);
                    } else if k > self.p {
                        self.state = LexState::Initial;
                        let more = self.more;
                        self.p = k;
                        return self.word(more, k, false);
                    } else {
                        // The rule that pushes the ending byte back leaves
                        // flex's text unterminated: the token runs to the
                        // end of the input.
                        self.state = LexState::Initial;
                        let more = self.more;
                        return self.word(more, len, false);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Parser: operator precedence with explicit stacks (no recursion, so any
// nesting depth is safe), reducing exactly when Asterisk's bison parser
// does, so that actions and their warnings happen in the same order.
// ---------------------------------------------------------------------------

/// Bison's stack limit (YYMAXDEPTH): deeper input fails with "memory
/// exhausted". Asterisk's 4 KB substitution buffer never gets there.
const MAX_SYMBOLS: usize = 9999;

enum Frame {
    /// `(` waiting for its `)`.
    Paren,
    /// `NAME (` and the arguments so far.
    Func {
        name: String,
        args: Vec<Val>,
    },
    Neg,
    Not,
    /// Left operand and operator.
    Bin(Tok, Val),
    /// `cond ?` waiting for `::`.
    CondQ(Val),
    /// `cond ? mid ::` waiting for the last operand.
    CondC(Val, Val),
}

impl Frame {
    /// How many grammar symbols the frame stands for on bison's stack.
    fn symbols(&self) -> usize {
        match self {
            Frame::Paren | Frame::Neg | Frame::Not => 1,
            Frame::Bin(..) | Frame::CondQ(_) => 2,
            Frame::Func { .. } => 3,
            Frame::CondC(..) => 4,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing read yet.
    Start,
    /// An operand must come.
    Operand,
    /// Just after a `,` in an argument list: an operand, or nothing.
    AfterComma,
    /// An operand was just completed.
    Have,
}

/// What the parser wanted when it met an unexpected token.
enum Expect {
    End,
    Operand,
    CommaOrParen,
    /// Too many possibilities: bison names none.
    Unlisted,
}

impl Evaluator<'_, '_> {
    fn syntax_error(&mut self, t: &Lexeme, e: Expect) {
        let un = t.tok.error_name();
        let msg = match e {
            Expect::End => format!("syntax error, unexpected {un}, expecting $end"),
            Expect::Operand => {
                format!("syntax error, unexpected {un}, expecting '-' or '!' or '(' or '<token>'")
            }
            Expect::CommaOrParen => format!("syntax error, unexpected {un}, expecting ',' or ')'"),
            Expect::Unlisted => format!("syntax error, unexpected {un}"),
        };
        self.yyerror(&msg, t.pos);
    }

    fn yyerror(&mut self, msg: &str, pos: usize) {
        // Asterisk builds the caret line in an 8000-byte buffer.
        let caret = format!("{}^", " ".repeat(pos.min(7998)));
        let m = format!(
            "ast_yyerror():  syntax error: {msg}; Input:\n{}\n{caret}",
            self.input
        );
        // The shipped ast_expr2f.c's #line directives put these a line
        // below where they sit in ast_expr2.fl; __LINE__ follows them.
        self.push_log(LogLevel::Warning, ("ast_expr2.fl", 468, "ast_yyerror"), m);
        self.push_log(
            LogLevel::Warning,
            ("ast_expr2.fl", 472, "ast_yyerror"),
            "If you have questions, please refer to https://docs.asterisk.org/Configuration/Dialplan/Variables/Channel-Variables/".to_string(),
        );
    }

    /// Applies the top frame to the operand `v`.
    fn reduce(&mut self, frame: Frame, v: Val) -> Val {
        match frame {
            Frame::Neg => self.op_negate(v),
            Frame::Not => self.op_compl(v),
            Frame::Bin(op, l) => self.binary(op, l, v),
            Frame::CondC(c, m) => self.op_cond(c, m, v),
            // Barriers are never reduced this way.
            Frame::Paren | Frame::Func { .. } | Frame::CondQ(_) => v,
        }
    }

    fn run(&mut self) -> String {
        let input = self.input;
        let mut lx = Lexer::new(input);
        let mut stack: Vec<Frame> = Vec::new();
        let mut symbols = 0usize;
        let mut cur: Option<Val> = None;
        let mut pending: Option<Lexeme> = None;
        let mut mode = Mode::Start;
        loop {
            let t = match pending.take() {
                Some(t) => t,
                None => lx.next(),
            };
            if mode != Mode::Have {
                let pushed = match t.tok {
                    Tok::Word => {
                        let t2 = lx.next();
                        if t2.tok == Tok::Lp {
                            Some(Frame::Func {
                                name: t.text.clone(),
                                args: Vec::new(),
                            })
                        } else {
                            cur = Some(if t.numeric {
                                Val::NumStr(t.text.clone())
                            } else {
                                Val::Str(t.text.clone())
                            });
                            pending = Some(t2);
                            mode = Mode::Have;
                            symbols += 1;
                            None
                        }
                    }
                    Tok::Lp => Some(Frame::Paren),
                    Tok::Minus => Some(Frame::Neg),
                    Tok::Compl => Some(Frame::Not),
                    _ => {
                        match mode {
                            Mode::Start => {
                                // `start: <empty>` is reduced first, so the
                                // result is the empty string.
                                if t.tok != Tok::End {
                                    self.syntax_error(&t, Expect::End);
                                }
                                return String::new();
                            }
                            Mode::AfterComma => {
                                // An empty argument, then `,` or `)`.
                                if let Some(Frame::Func { args, .. }) = stack.last_mut() {
                                    args.push(Val::Str(String::new()));
                                }
                                match t.tok {
                                    Tok::Comma => continue,
                                    Tok::Rp => {
                                        if let Some(Frame::Func { name, args }) = stack.pop() {
                                            symbols = symbols.saturating_sub(3);
                                            cur = Some(self.call(&name, args));
                                            symbols += 1;
                                            mode = Mode::Have;
                                        }
                                        continue;
                                    }
                                    _ => {
                                        self.syntax_error(&t, Expect::CommaOrParen);
                                        return "0".to_string();
                                    }
                                }
                            }
                            _ => {
                                self.syntax_error(&t, Expect::Operand);
                                return "0".to_string();
                            }
                        }
                    }
                };
                if let Some(f) = pushed {
                    symbols += f.symbols();
                    stack.push(f);
                    mode = Mode::Operand;
                }
                if symbols >= MAX_SYMBOLS {
                    self.yyerror("memory exhausted", t.pos);
                    return "0".to_string();
                }
                continue;
            }

            // An operand is complete.
            let mut v = cur.take().unwrap_or(Val::Str(String::new()));
            if let Some(p) = t.tok.binary_prec() {
                // Reduce what binds at least as tightly, then shift.
                loop {
                    let tighter = match stack.last() {
                        Some(Frame::Neg | Frame::Not) => UNARY_PREC > p,
                        Some(Frame::Bin(op, _)) => op.binary_prec().unwrap_or(0) >= p,
                        Some(Frame::CondC(..)) => p <= 2,
                        _ => false,
                    };
                    if !tighter {
                        break;
                    }
                    if let Some(f) = stack.pop() {
                        symbols = symbols.saturating_sub(f.symbols());
                        v = self.reduce(f, v);
                    }
                }
                let f = if t.tok == Tok::Cond {
                    Frame::CondQ(v)
                } else {
                    Frame::Bin(t.tok, v)
                };
                symbols = symbols.saturating_sub(1) + f.symbols();
                stack.push(f);
                mode = Mode::Operand;
                if symbols >= MAX_SYMBOLS {
                    self.yyerror("memory exhausted", t.pos);
                    return "0".to_string();
                }
                continue;
            }

            // Anything else ends every pending operator up to the nearest
            // enclosing construct, which must then accept the token.
            while matches!(
                stack.last(),
                Some(Frame::Neg | Frame::Not | Frame::Bin(..) | Frame::CondC(..))
            ) {
                if let Some(f) = stack.pop() {
                    symbols = symbols.saturating_sub(f.symbols());
                    v = self.reduce(f, v);
                }
            }
            match stack.last_mut() {
                None => {
                    // `start: expr` is reduced before the error shows.
                    if t.tok != Tok::End {
                        self.syntax_error(&t, Expect::End);
                    }
                    return v.output();
                }
                Some(Frame::Paren) => {
                    if t.tok == Tok::Rp {
                        stack.pop();
                        symbols = symbols.saturating_sub(1);
                        cur = Some(v);
                    } else {
                        self.syntax_error(&t, Expect::Unlisted);
                        return "0".to_string();
                    }
                }
                Some(Frame::CondQ(_)) => {
                    if t.tok == Tok::ColonColon {
                        if let Some(Frame::CondQ(c)) = stack.pop() {
                            stack.push(Frame::CondC(c, v));
                        }
                        symbols += 1;
                        mode = Mode::Operand;
                    } else {
                        self.syntax_error(&t, Expect::Unlisted);
                        return "0".to_string();
                    }
                }
                Some(Frame::Func { args, .. }) => match t.tok {
                    Tok::Comma => {
                        args.push(v);
                        mode = Mode::AfterComma;
                    }
                    Tok::Rp => {
                        args.push(v);
                        if let Some(Frame::Func { name, args }) = stack.pop() {
                            symbols = symbols.saturating_sub(3);
                            cur = Some(self.call(&name, args));
                        }
                    }
                    _ => {
                        self.syntax_error(&t, Expect::CommaOrParen);
                        return "0".to_string();
                    }
                },
                // Unreachable: the loop above removed these.
                Some(_) => return "0".to_string(),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// POSIX extended regular expressions as glibc's regcomp/regexec treat them
// in the C.UTF-8 locale: same syntax quirks and error messages, matches
// chosen leftmost-longest, submatches by the first (greedy) path that ends
// where that longest match ends.
// ---------------------------------------------------------------------------

pub mod posix_re {
    /// glibc's error texts (regerror).
    const BADPAT: &str = "Invalid regular expression";
    const ECOLLATE: &str = "Invalid collation character";
    const ECTYPE: &str = "Invalid character class name";
    const EESCAPE: &str = "Trailing backslash";
    const ESUBREG: &str = "Invalid back reference";
    const EBRACK: &str = "Unmatched [, [^, [:, [., or [=";
    const EPAREN: &str = "Unmatched ( or \\(";
    const EBRACE: &str = "Unmatched \\{";
    const BADBR: &str = "Invalid content of \\{\\}";
    const ERANGE: &str = "Invalid range end";
    const ESPACE: &str = "Memory exhausted";
    const BADRPT: &str = "Invalid preceding regular expression";
    const ESIZE: &str = "Regular expression too big";

    /// RE_DUP_MAX.
    const DUP_MAX: i64 = 0x7fff;
    /// Programs larger than this are refused as glibc would run out of
    /// memory expanding them.
    const MAX_PROG: usize = 200_000;
    /// Deepest pattern tree accepted. glibc has no such limit, but the
    /// patterns Asterisk users write are far from it, and it keeps the
    /// recursive passes over the tree within any thread's stack.
    const MAX_DEPTH: u32 = 250;

    fn deeper(d: u32) -> Result<u32, &'static str> {
        if d >= MAX_DEPTH {
            Err(ESPACE)
        } else {
            Ok(d + 1)
        }
    }

    /// Work limit for the (rare) patterns that cannot be memoized.
    const MAX_STEPS: u64 = 300_000;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Assert {
        LineFirst,
        LineLast,
        BufFirst,
        BufLast,
        WordFirst,
        WordLast,
        WordDelim,
        NotWordDelim,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Class {
        Alpha,
        Upper,
        Lower,
        Digit,
        Xdigit,
        Space,
        Print,
        Punct,
        Graph,
        Cntrl,
        Blank,
        Alnum,
    }

    impl Class {
        fn named(name: &str) -> Option<Class> {
            Some(match name {
                "alpha" => Class::Alpha,
                "upper" => Class::Upper,
                "lower" => Class::Lower,
                "digit" => Class::Digit,
                "xdigit" => Class::Xdigit,
                "space" => Class::Space,
                "print" => Class::Print,
                "punct" => Class::Punct,
                "graph" => Class::Graph,
                "cntrl" => Class::Cntrl,
                "blank" => Class::Blank,
                "alnum" => Class::Alnum,
                _ => return None,
            })
        }

        /// C-locale ctype for ASCII; Unicode properties stand in for
        /// glibc's C.UTF-8 wide classes beyond it.
        fn has(self, c: char) -> bool {
            if c.is_ascii() {
                let b = c as u8;
                return match self {
                    Class::Alpha => b.is_ascii_alphabetic(),
                    Class::Upper => b.is_ascii_uppercase(),
                    Class::Lower => b.is_ascii_lowercase(),
                    Class::Digit => b.is_ascii_digit(),
                    Class::Xdigit => b.is_ascii_hexdigit(),
                    Class::Space => matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'),
                    Class::Print => (0x20..0x7f).contains(&b),
                    Class::Punct => b.is_ascii_punctuation(),
                    Class::Graph => b.is_ascii_graphic(),
                    Class::Cntrl => b.is_ascii_control(),
                    Class::Blank => b == b' ' || b == b'\t',
                    Class::Alnum => b.is_ascii_alphanumeric(),
                };
            }
            match self {
                Class::Alpha => c.is_alphabetic(),
                Class::Upper => c.is_uppercase(),
                Class::Lower => c.is_lowercase(),
                Class::Digit | Class::Xdigit => false,
                Class::Space => c.is_whitespace(),
                Class::Print => !c.is_control(),
                Class::Punct => !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control(),
                Class::Graph => !c.is_control() && !c.is_whitespace(),
                Class::Cntrl => c.is_control(),
                Class::Blank => {
                    c.is_whitespace() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
                }
                Class::Alnum => c.is_alphanumeric(),
            }
        }
    }

    #[derive(Clone, Debug, Default)]
    struct CharSet {
        neg: bool,
        chars: Vec<char>,
        ranges: Vec<(char, char)>,
        classes: Vec<Class>,
        /// `\w` also takes `_`.
        underscore: bool,
    }

    impl CharSet {
        fn has(&self, c: char) -> bool {
            let m = self.chars.contains(&c)
                || (self.underscore && c == '_')
                || self.ranges.iter().any(|&(a, b)| a <= c && c <= b)
                || self.classes.iter().any(|k| k.has(c));
            m != self.neg
        }
    }

    fn is_word(c: Option<char>) -> bool {
        c.is_some_and(|c| c.is_alphanumeric() || c == '_')
    }

    #[derive(Clone, Debug)]
    enum Node {
        Empty,
        Char(char),
        Any,
        Set(usize),
        Assert(Assert),
        Group(usize, Box<Node>),
        Cat(Vec<Node>),
        Alt(Vec<Node>),
        Repeat(Box<Node>, u32, Option<u32>),
        Backref(usize),
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum RTok {
        Char(char),
        Alt,
        Star,
        Plus,
        Question,
        OpenDup,
        CloseDup,
        Open,
        Close,
        OpenBracket,
        Period,
        Anchor(Assert),
        Word(bool),
        Space(bool),
        Backref(usize),
        /// A backslash with nothing after it.
        BackSlash,
        End,
    }

    struct Parser {
        s: Vec<char>,
        /// Next unread character.
        i: usize,
        tok: RTok,
        nsub: usize,
        /// Groups already closed (back references may name only these).
        completed: u32,
        sets: Vec<CharSet>,
    }

    type PResult<T> = Result<T, &'static str>;

    impl Parser {
        fn fetch(&mut self) {
            let Some(&c) = self.s.get(self.i) else {
                self.tok = RTok::End;
                return;
            };
            self.i += 1;
            self.tok = match c {
                '\\' => {
                    let Some(&c2) = self.s.get(self.i) else {
                        self.tok = RTok::BackSlash;
                        return;
                    };
                    self.i += 1;
                    match c2 {
                        '1'..='9' => RTok::Backref(c2 as usize - '1' as usize),
                        '<' => RTok::Anchor(Assert::WordFirst),
                        '>' => RTok::Anchor(Assert::WordLast),
                        'b' => RTok::Anchor(Assert::WordDelim),
                        'B' => RTok::Anchor(Assert::NotWordDelim),
                        '`' => RTok::Anchor(Assert::BufFirst),
                        '\'' => RTok::Anchor(Assert::BufLast),
                        'w' => RTok::Word(false),
                        'W' => RTok::Word(true),
                        's' => RTok::Space(false),
                        'S' => RTok::Space(true),
                        _ => RTok::Char(c2),
                    }
                }
                '|' => RTok::Alt,
                '*' => RTok::Star,
                '+' => RTok::Plus,
                '?' => RTok::Question,
                '{' => RTok::OpenDup,
                '}' => RTok::CloseDup,
                '(' => RTok::Open,
                ')' => RTok::Close,
                '[' => RTok::OpenBracket,
                '.' => RTok::Period,
                '^' => RTok::Anchor(Assert::LineFirst),
                '$' => RTok::Anchor(Assert::LineLast),
                _ => RTok::Char(c),
            };
        }

        fn stops_branch(&self, nest: usize) -> bool {
            self.tok == RTok::Alt || self.tok == RTok::End || (nest > 0 && self.tok == RTok::Close)
        }

        /// Each parse function returns its tree and the tree's depth: the
        /// depth is capped (see [`MAX_DEPTH`]) so that the recursive passes
        /// over the tree stay within any thread's stack.
        fn reg_exp(&mut self, nest: usize) -> PResult<(Node, u32)> {
            let first = self.branch(nest)?;
            let mut depth = first.1;
            let mut alts = vec![first.0];
            while self.tok == RTok::Alt {
                self.fetch();
                if self.stops_branch(nest) {
                    alts.push(Node::Empty);
                } else {
                    let (b, d) = self.branch(nest)?;
                    depth = depth.max(d);
                    alts.push(b);
                }
            }
            Ok(if alts.len() == 1 {
                (alts.pop().unwrap_or(Node::Empty), depth)
            } else {
                (Node::Alt(alts), deeper(depth)?)
            })
        }

        fn branch(&mut self, nest: usize) -> PResult<(Node, u32)> {
            let first = self.expression(nest)?;
            let mut depth = first.1;
            let mut items = vec![first.0];
            while !self.stops_branch(nest) {
                let (e, d) = self.expression(nest)?;
                depth = depth.max(d);
                items.push(e);
            }
            Ok(if items.len() == 1 {
                (items.pop().unwrap_or(Node::Empty), depth)
            } else {
                (Node::Cat(items), deeper(depth)?)
            })
        }

        fn class_set(&mut self, class: Class, neg: bool, underscore: bool) -> Node {
            self.sets.push(CharSet {
                neg,
                classes: vec![class],
                underscore,
                ..CharSet::default()
            });
            Node::Set(self.sets.len() - 1)
        }

        fn expression(&mut self, nest: usize) -> PResult<(Node, u32)> {
            let (tree, depth) = match self.tok {
                RTok::Char(c) => (Node::Char(c), 1),
                RTok::Open => self.sub_exp(nest + 1)?,
                RTok::OpenBracket => (self.bracket()?, 1),
                RTok::Backref(i) => {
                    if self.completed & (1 << i) == 0 {
                        return Err(ESUBREG);
                    }
                    (Node::Backref(i), 1)
                }
                RTok::OpenDup | RTok::Star | RTok::Plus | RTok::Question => return Err(BADRPT),
                RTok::Close => (Node::Char(')'), 1),
                RTok::CloseDup => (Node::Char('}'), 1),
                RTok::Anchor(a) => {
                    // An anchor takes no repetition: `^*` is an error.
                    self.fetch();
                    return Ok((Node::Assert(a), 1));
                }
                RTok::Period => (Node::Any, 1),
                RTok::Word(neg) => (self.class_set(Class::Alnum, neg, true), 1),
                RTok::Space(neg) => (self.class_set(Class::Space, neg, false), 1),
                RTok::Alt | RTok::End => return Ok((Node::Empty, 0)),
                RTok::BackSlash => return Err(EESCAPE),
            };
            self.fetch();
            let (mut tree, mut depth) = (tree, depth);
            while matches!(
                self.tok,
                RTok::Star | RTok::Plus | RTok::Question | RTok::OpenDup
            ) {
                tree = self.dup_op(tree)?;
                depth = deeper(depth)?;
            }
            Ok((tree, depth))
        }

        fn sub_exp(&mut self, nest: usize) -> PResult<(Node, u32)> {
            let idx = self.nsub;
            self.nsub += 1;
            self.fetch();
            let (body, depth) = if self.tok == RTok::Close {
                (Node::Empty, 0)
            } else {
                // Refuse before recursing further.
                deeper(nest as u32)?;
                let b = self.reg_exp(nest)?;
                if self.tok != RTok::Close {
                    return Err(EPAREN);
                }
                b
            };
            if idx < 9 {
                self.completed |= 1 << idx;
            }
            Ok((Node::Group(idx, Box::new(body)), deeper(depth)?))
        }

        /// A number inside `{...}`: -1 when empty, -2 when malformed.
        fn fetch_number(&mut self) -> i64 {
            let mut num: i64 = -1;
            loop {
                self.fetch();
                match self.tok {
                    RTok::End => return -2,
                    RTok::CloseDup | RTok::Char(',') => return num,
                    RTok::Char(c @ '0'..='9') if num != -2 => {
                        let d = c as i64 - '0' as i64;
                        num = if num == -1 {
                            d
                        } else {
                            (num * 10 + d).min(DUP_MAX + 1)
                        };
                    }
                    _ => num = -2,
                }
            }
        }

        fn dup_op(&mut self, elem: Node) -> PResult<Node> {
            let (start, end) = if self.tok == RTok::OpenDup {
                let mut start = self.fetch_number();
                if start == -1 {
                    if self.tok == RTok::Char(',') {
                        start = 0; // "{,m}" means "{0,m}"
                    } else {
                        return Err(BADBR);
                    }
                }
                let mut end = 0;
                if start != -2 {
                    end = match self.tok {
                        RTok::CloseDup => start,
                        RTok::Char(',') => self.fetch_number(),
                        _ => -2,
                    };
                }
                if start == -2 || end == -2 {
                    return Err(if self.tok == RTok::End { EBRACE } else { BADBR });
                }
                if (end != -1 && start > end) || self.tok != RTok::CloseDup {
                    return Err(BADBR);
                }
                if DUP_MAX < (if end == -1 { start } else { end }) {
                    return Err(ESIZE);
                }
                (start, end)
            } else {
                match self.tok {
                    RTok::Star => (0, -1),
                    RTok::Plus => (1, -1),
                    _ => (0, 1),
                }
            };
            self.fetch();
            if matches!(elem, Node::Empty) || (start == 0 && end == 0) {
                return Ok(Node::Empty);
            }
            let max = if end < 0 { None } else { Some(end as u32) };
            Ok(Node::Repeat(Box::new(elem), start as u32, max))
        }

        fn bracket(&mut self) -> PResult<Node> {
            #[derive(Clone, Copy, PartialEq, Eq)]
            enum B {
                Char(char),
                Coll,
                Equiv,
                ClassOpen,
                Range,
                Close,
                NonMatch,
                End,
            }
            enum Elem {
                Char(char),
                Coll(String),
                Equiv(String),
                Class(String),
            }
            let peek = |p: &Parser| -> (B, usize) {
                let Some(&c) = p.s.get(p.i) else {
                    return (B::End, 0);
                };
                match c {
                    '[' => match p.s.get(p.i + 1) {
                        Some('.') => (B::Coll, 2),
                        Some('=') => (B::Equiv, 2),
                        Some(':') => (B::ClassOpen, 2),
                        _ => (B::Char('['), 1),
                    },
                    '-' => (B::Range, 1),
                    ']' => (B::Close, 1),
                    '^' => (B::NonMatch, 1),
                    _ => (B::Char(c), 1),
                }
            };
            let bchar = |t: B| match t {
                B::Char(c) => c,
                B::Range => '-',
                B::Close => ']',
                B::NonMatch => '^',
                _ => '[',
            };
            // Reads a [:name:]-style symbol once its opener is consumed.
            let symbol = |p: &mut Parser, delim: char| -> PResult<String> {
                if p.i >= p.s.len() {
                    return Err(EBRACK);
                }
                let mut name = String::new();
                loop {
                    if name.len() >= 32 {
                        return Err(EBRACK);
                    }
                    let ch = p.s[p.i];
                    p.i += 1;
                    if p.i >= p.s.len() {
                        return Err(EBRACK);
                    }
                    if ch == delim && p.s[p.i] == ']' {
                        break;
                    }
                    name.push(ch);
                }
                p.i += 1;
                Ok(name)
            };
            let element =
                |p: &mut Parser, t: B, len: usize, accept_hyphen: bool| -> PResult<Elem> {
                    p.i += len;
                    match t {
                        B::Coll => return Ok(Elem::Coll(symbol(p, '.')?)),
                        B::Equiv => return Ok(Elem::Equiv(symbol(p, '=')?)),
                        B::ClassOpen => return Ok(Elem::Class(symbol(p, ':')?)),
                        // A '-' that starts nothing must be the last one.
                        B::Range if !accept_hyphen && peek(p).0 != B::Close => {
                            return Err(ERANGE);
                        }
                        _ => {}
                    }
                    Ok(Elem::Char(bchar(t)))
                };
            let single = |name: &str| -> PResult<char> {
                let mut it = name.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) if c.len_utf8() == 1 => Ok(c),
                    _ => Err(ECOLLATE),
                }
            };

            let mut set = CharSet::default();
            let (mut t, mut len) = peek(self);
            if t == B::End {
                return Err(BADPAT);
            }
            if t == B::NonMatch {
                set.neg = true;
                self.i += len;
                (t, len) = peek(self);
                if t == B::End {
                    return Err(BADPAT);
                }
            }
            if t == B::Close {
                t = B::Char(']');
            }
            let mut first = true;
            loop {
                let start = element(self, t, len, first)?;
                first = false;
                (t, len) = peek(self);
                let mut range_end = None;
                if !matches!(start, Elem::Class(_) | Elem::Equiv(_)) {
                    if t == B::End {
                        return Err(EBRACK);
                    }
                    if t == B::Range {
                        self.i += len;
                        let (t2, len2) = peek(self);
                        if t2 == B::End {
                            return Err(EBRACK);
                        }
                        if t2 == B::Close {
                            // A '-' before ']' is literal.
                            self.i -= len;
                            t = B::Char('-');
                        } else {
                            range_end = Some(element(self, t2, len2, true)?);
                            (t, len) = peek(self);
                        }
                    }
                }
                match range_end {
                    Some(end) => {
                        let point = |e: &Elem| -> PResult<char> {
                            match e {
                                Elem::Char(c) => Ok(*c),
                                Elem::Coll(n) => single(n),
                                _ => Err(ERANGE),
                            }
                        };
                        let (a, b) = (point(&start)?, point(&end)?);
                        if a > b {
                            return Err(ERANGE);
                        }
                        set.ranges.push((a, b));
                    }
                    None => match start {
                        Elem::Char(c) => set.chars.push(c),
                        Elem::Coll(n) | Elem::Equiv(n) => set.chars.push(single(&n)?),
                        Elem::Class(n) => set.classes.push(Class::named(&n).ok_or(ECTYPE)?),
                    },
                }
                if t == B::End {
                    return Err(EBRACK);
                }
                if t == B::Close {
                    break;
                }
            }
            self.i += len;
            self.sets.push(set);
            Ok(Node::Set(self.sets.len() - 1))
        }
    }

    #[derive(Clone, Copy, Debug)]
    enum Inst {
        Char(char),
        Any,
        Set(usize),
        Assert(Assert),
        /// Try the first target, then the second.
        Split(usize, usize),
        Jmp(usize),
        /// Records the position in a capture slot; the flag marks a
        /// group that is the element of an optional repetition (glibc's
        /// `opt_subexp`).
        Save(usize, bool),
        Backref(usize),
        /// Loop guards, only in programs that cannot be memoized: an
        /// iteration must consume input.
        Mark(usize),
        Check(usize),
        Match,
    }

    struct Compiler {
        prog: Vec<Inst>,
        guarded: bool,
        marks: usize,
    }

    impl Compiler {
        fn emit(&mut self, i: Inst) -> PResult<usize> {
            if self.prog.len() >= MAX_PROG {
                return Err(ESPACE);
            }
            self.prog.push(i);
            Ok(self.prog.len() - 1)
        }

        fn patch(&mut self, at: usize, i: Inst) {
            if let Some(slot) = self.prog.get_mut(at) {
                *slot = i;
            }
        }

        /// `opt`: `n` is repeated optionally (the copies past the minimum).
        fn node(&mut self, n: &Node, opt: bool) -> PResult<()> {
            match n {
                Node::Empty => {}
                Node::Char(c) => {
                    self.emit(Inst::Char(*c))?;
                }
                Node::Any => {
                    self.emit(Inst::Any)?;
                }
                Node::Set(i) => {
                    self.emit(Inst::Set(*i))?;
                }
                Node::Assert(a) => {
                    self.emit(Inst::Assert(*a))?;
                }
                Node::Backref(i) => {
                    self.emit(Inst::Backref(*i))?;
                }
                Node::Group(i, body) => {
                    self.emit(Inst::Save(2 * i, opt))?;
                    self.node(body, false)?;
                    self.emit(Inst::Save(2 * i + 1, opt))?;
                }
                Node::Cat(items) => {
                    for it in items {
                        self.node(it, false)?;
                    }
                }
                Node::Alt(alts) => {
                    let mut jumps = Vec::new();
                    for (k, a) in alts.iter().enumerate() {
                        if k + 1 < alts.len() {
                            let split = self.emit(Inst::Split(0, 0))?;
                            self.node(a, false)?;
                            jumps.push(self.emit(Inst::Jmp(0))?);
                            let next = self.prog.len();
                            self.patch(split, Inst::Split(split + 1, next));
                        } else {
                            self.node(a, false)?;
                        }
                    }
                    let end = self.prog.len();
                    for j in jumps {
                        self.patch(j, Inst::Jmp(end));
                    }
                }
                Node::Repeat(body, min, max) => {
                    for _ in 0..*min {
                        self.node(body, false)?;
                    }
                    match max {
                        None => {
                            let split = self.emit(Inst::Split(0, 0))?;
                            let mark = if self.guarded {
                                self.marks += 1;
                                let m = self.marks - 1;
                                self.emit(Inst::Mark(m))?;
                                Some(m)
                            } else {
                                None
                            };
                            self.node(body, true)?;
                            if let Some(m) = mark {
                                self.emit(Inst::Check(m))?;
                            }
                            self.emit(Inst::Jmp(split))?;
                            let exit = self.prog.len();
                            self.patch(split, Inst::Split(split + 1, exit));
                        }
                        Some(max) => {
                            let mut splits = Vec::new();
                            for _ in *min..*max {
                                splits.push(self.emit(Inst::Split(0, 0))?);
                                self.node(body, true)?;
                            }
                            let exit = self.prog.len();
                            for s in splits {
                                self.patch(s, Inst::Split(s + 1, exit));
                            }
                        }
                    }
                }
            }
            Ok(())
        }
    }

    fn has_backref(n: &Node) -> bool {
        match n {
            Node::Backref(_) => true,
            Node::Group(_, b) | Node::Repeat(b, _, _) => has_backref(b),
            Node::Cat(v) | Node::Alt(v) => v.iter().any(has_backref),
            _ => false,
        }
    }

    /// Whether glibc's tree for the pattern has an alternation or a star
    /// node (its `has_plural_match`): `?`, `*`, `+`, `{m,n}` with m < n,
    /// `|`, `\b`, `\B`, and in a UTF-8 locale `\w`-style classes and
    /// brackets with more than plain ASCII characters.
    fn plural(n: &Node, sets: &[CharSet]) -> bool {
        match n {
            Node::Alt(_) => true,
            Node::Repeat(b, min, max) => *max != Some(*min) || plural(b, sets),
            Node::Assert(a) => matches!(a, Assert::WordDelim | Assert::NotWordDelim),
            Node::Set(i) => sets.get(*i).is_some_and(|s| {
                s.neg
                    || !s.ranges.is_empty()
                    || !s.classes.is_empty()
                    || s.chars.iter().any(|c| !c.is_ascii())
            }),
            Node::Group(_, b) => plural(b, sets),
            Node::Cat(v) => v.iter().any(|x| plural(x, sets)),
            _ => false,
        }
    }

    pub struct Regex {
        prog: Vec<Inst>,
        sets: Vec<CharSet>,
        nsub: usize,
        marks: usize,
        /// Back references make the future of a state depend on the
        /// captures, so states cannot be memoized.
        backrefs: bool,
        /// See [`plural`].
        plural: bool,
    }

    pub struct Match {
        /// Byte offsets of the whole match.
        pub start: usize,
        pub end: usize,
        /// Byte offsets of the first group, when it took part.
        pub group1: Option<(usize, usize)>,
    }

    struct Text {
        chars: Vec<char>,
        /// Byte offset of each char, plus the total length.
        offs: Vec<usize>,
    }

    enum Job {
        Go(usize, usize),
        Restore(usize, Option<usize>),
    }

    /// A plain bit array.
    struct Bits(Vec<u64>);

    impl Bits {
        fn new(n: usize) -> Bits {
            Bits(vec![0; n.div_ceil(64)])
        }
        fn get(&self, k: usize) -> bool {
            self.0.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0)
        }
        fn set(&mut self, k: usize) {
            if let Some(w) = self.0.get_mut(k / 64) {
                *w |= 1 << (k % 64);
            }
        }
    }

    struct Visited {
        bits: Vec<u64>,
        width: usize,
    }

    impl Visited {
        fn new(prog: usize, positions: usize) -> Visited {
            let n = prog * positions;
            Visited {
                bits: vec![0; n.div_ceil(64)],
                width: positions,
            }
        }
        /// Marks (pc, pos); false if it was already marked.
        fn mark(&mut self, pc: usize, pos: usize) -> bool {
            let k = pc * self.width + pos;
            let (w, b) = (k / 64, k % 64);
            match self.bits.get_mut(w) {
                Some(word) if *word & (1 << b) == 0 => {
                    *word |= 1 << b;
                    true
                }
                Some(_) => false,
                None => true,
            }
        }
    }

    impl Regex {
        pub fn new(pattern: &str) -> Result<Regex, &'static str> {
            let mut p = Parser {
                s: pattern.chars().collect(),
                i: 0,
                tok: RTok::End,
                nsub: 0,
                completed: 0,
                sets: Vec::new(),
            };
            p.fetch();
            let (tree, _) = p.reg_exp(0)?;
            let backrefs = has_backref(&tree);
            let plural = plural(&tree, &p.sets);
            let mut c = Compiler {
                prog: Vec::new(),
                guarded: backrefs,
                marks: 0,
            };
            c.node(&tree, false)?;
            c.emit(Inst::Match)?;
            Ok(Regex {
                prog: c.prog,
                sets: p.sets,
                nsub: p.nsub,
                marks: c.marks,
                backrefs,
                plural,
            })
        }

        /// Number of parenthesized groups (`re_nsub`).
        pub fn groups(&self) -> usize {
            self.nsub
        }

        /// The leftmost-longest match; with `anchored`, only one starting
        /// at the beginning of `text`.
        pub fn search(&self, text: &str, anchored: bool) -> Option<Match> {
            let mut t = Text {
                chars: Vec::with_capacity(text.len()),
                offs: Vec::with_capacity(text.len() + 1),
            };
            for (o, c) in text.char_indices() {
                t.chars.push(c);
                t.offs.push(o);
            }
            t.offs.push(text.len());
            let n = t.chars.len();
            let memo_ok = !self.backrefs && self.prog.len().saturating_mul(n + 1) <= (1 << 26);
            let mut budget = MAX_STEPS;
            let mut shared = if memo_ok {
                Some(Visited::new(self.prog.len(), n + 1))
            } else {
                None
            };
            let last_start = if anchored { 0 } else { n };
            for start in 0..=last_start {
                // States seen from earlier starts led to no match at all,
                // so sharing the visited set across starts is sound.
                let Some(end) = self.run(&t, start, None, shared.as_mut(), &mut budget).0 else {
                    if budget == 0 {
                        return None;
                    }
                    continue;
                };
                if memo_ok && let Some(group1) = self.retrace(&t, start, end) {
                    return Some(Match {
                        start: t.offs[start],
                        end: t.offs[end],
                        group1: group1.map(|(s, e)| (t.offs[s], t.offs[e])),
                    });
                }
                let mut fresh = memo_ok.then(|| Visited::new(self.prog.len(), n + 1));
                let (_, caps) = self.run(&t, start, Some(end), fresh.as_mut(), &mut budget);
                // glibc fails the whole match when it cannot retrace it
                // (see the back reference case in `run`).
                let caps = caps?;
                let group1 = match caps.as_slice() {
                    [Some(s), Some(e), ..] if s <= e => Some((t.offs[*s], t.offs[*e])),
                    _ => None,
                };
                return Some(Match {
                    start: t.offs[start],
                    end: t.offs[end],
                    group1,
                });
            }
            None
        }

        /// glibc's way of filling the group registers once the match is
        /// known (`set_regs` without back references): walk from the start,
        /// at each fork take the first branch that can still end exactly at
        /// `end`, except that a loop whose body was already entered since
        /// the last character consumed is left instead. Group 1 follows
        /// `update_regs`: an empty pass through an optional group restores
        /// the previous registers. `None` if the walk gets lost (it should
        /// not), so that the caller falls back to a plain search.
        fn retrace(&self, t: &Text, start: usize, end: usize) -> Option<Option<(usize, usize)>> {
            let plen = self.prog.len();
            let width = end - start + 1;
            // can[pc * width + (pos - start)]: Match at `end` is reachable.
            let mut can = Bits::new(plen * width);
            let mut rev: Vec<Vec<usize>> = vec![Vec::new(); plen + 1];
            for (pc, inst) in self.prog.iter().enumerate() {
                match *inst {
                    Inst::Split(x, y) => {
                        rev[x].push(pc);
                        rev[y].push(pc);
                    }
                    Inst::Jmp(x) => rev[x].push(pc),
                    Inst::Save(..) | Inst::Assert(_) => rev[pc + 1].push(pc),
                    _ => {}
                }
            }
            let mut queue = Vec::new();
            for pos in (start..=end).rev() {
                let col = pos - start;
                for (pc, inst) in self.prog.iter().enumerate() {
                    let ok = match *inst {
                        Inst::Match => pos == end,
                        Inst::Char(_) | Inst::Any | Inst::Set(_) => {
                            pos < end
                                && self.consumes(*inst, t, pos)
                                && can.get((pc + 1) * width + col + 1)
                        }
                        _ => false,
                    };
                    if ok {
                        can.set(pc * width + col);
                        queue.push(pc);
                    }
                }
                while let Some(pc) = queue.pop() {
                    for &p in &rev[pc] {
                        if can.get(p * width + col) {
                            continue;
                        }
                        if let Inst::Assert(a) = self.prog[p]
                            && !Self::assert_holds(a, t, pos)
                        {
                            continue;
                        }
                        can.set(p * width + col);
                        queue.push(p);
                    }
                }
            }
            if !can.get(0) {
                return None;
            }
            // The walk, with the epsilon nodes seen since the last
            // character stamped by `epoch`.
            let mut seen = vec![0u64; plen];
            let mut epoch = 1u64;
            // Group 1's registers (start, end) and their last saved copy.
            type Regs = (Option<usize>, Option<usize>);
            let (mut g, mut prev): (Regs, Regs) = ((None, None), (None, None));
            let (mut pc, mut pos) = (0usize, start);
            let valid = |pc: usize, pos: usize| can.get(pc * width + (pos - start));
            for _ in 0..(plen * width * 2 + 16) {
                let inst = self.prog[pc];
                match inst {
                    Inst::Match => {
                        return (pos == end).then_some(match g {
                            (Some(s), Some(e)) if s <= e => Some((s, e)),
                            _ => None,
                        });
                    }
                    Inst::Char(_) | Inst::Any | Inst::Set(_) => {
                        pc += 1;
                        pos += 1;
                        epoch += 1;
                    }
                    Inst::Assert(_) => {
                        seen[pc] = epoch;
                        pc += 1;
                    }
                    Inst::Jmp(x) => {
                        seen[pc] = epoch;
                        pc = x;
                    }
                    Inst::Save(slot, opt) => {
                        seen[pc] = epoch;
                        if slot == 0 {
                            g = (Some(pos), None);
                        } else if slot == 1 {
                            if g.0.is_some_and(|s| s < pos) {
                                g.1 = Some(pos);
                                prev = g;
                            } else if opt && prev.0.is_some() {
                                g = prev;
                            } else {
                                g.1 = Some(pos);
                            }
                        }
                        pc += 1;
                    }
                    Inst::Split(x, y) => {
                        seen[pc] = epoch;
                        pc = match (valid(x, pos), valid(y, pos)) {
                            (true, true) => {
                                if seen[x] == epoch {
                                    y
                                } else {
                                    x
                                }
                            }
                            (true, false) => x,
                            (false, true) => y,
                            (false, false) => return None,
                        };
                    }
                    Inst::Backref(_) | Inst::Mark(_) | Inst::Check(_) => return None,
                }
                if pos > end || !valid(pc, pos) {
                    return None;
                }
            }
            None
        }

        fn consumes(&self, inst: Inst, t: &Text, pos: usize) -> bool {
            let Some(&c) = t.chars.get(pos) else {
                return false;
            };
            match inst {
                Inst::Char(x) => c == x,
                Inst::Any => c != '\0',
                Inst::Set(i) => self.sets.get(i).is_some_and(|s| s.has(c)),
                _ => false,
            }
        }

        fn assert_holds(a: Assert, t: &Text, pos: usize) -> bool {
            let n = t.chars.len();
            let prev = if pos > 0 {
                t.chars.get(pos - 1).copied()
            } else {
                None
            };
            let next = t.chars.get(pos).copied();
            let (pw, nw) = (is_word(prev), is_word(next));
            match a {
                Assert::LineFirst | Assert::BufFirst => pos == 0,
                Assert::LineLast | Assert::BufLast => pos == n,
                Assert::WordFirst => !pw && nw,
                Assert::WordLast => pw && !nw,
                Assert::WordDelim => pw != nw,
                Assert::NotWordDelim => pw == nw,
            }
        }

        /// Depth-first walk from `start`. Without `target`, explores every
        /// path and returns the furthest end; with it, returns the
        /// captures of the first path (in priority order) ending there.
        fn run(
            &self,
            t: &Text,
            start: usize,
            target: Option<usize>,
            mut visited: Option<&mut Visited>,
            budget: &mut u64,
        ) -> (Option<usize>, Option<Vec<Option<usize>>>) {
            let n = t.chars.len();
            let mut caps: Vec<Option<usize>> = vec![None; 2 * self.nsub + self.marks];
            let mark_base = 2 * self.nsub;
            let mut best: Option<usize> = None;
            let mut stack = vec![Job::Go(0, start)];
            while let Some(job) = stack.pop() {
                let (pc, pos) = match job {
                    Job::Restore(slot, old) => {
                        if let Some(c) = caps.get_mut(slot) {
                            *c = old;
                        }
                        continue;
                    }
                    Job::Go(pc, pos) => (pc, pos),
                };
                if *budget == 0 {
                    return (None, None);
                }
                *budget -= 1;
                if let Some(v) = visited.as_deref_mut()
                    && !v.mark(pc, pos)
                {
                    continue;
                }
                let Some(&inst) = self.prog.get(pc) else {
                    continue;
                };
                match inst {
                    Inst::Char(c) => {
                        if t.chars.get(pos) == Some(&c) {
                            stack.push(Job::Go(pc + 1, pos + 1));
                        }
                    }
                    Inst::Any => {
                        if t.chars.get(pos).is_some_and(|&c| c != '\0') {
                            stack.push(Job::Go(pc + 1, pos + 1));
                        }
                    }
                    Inst::Set(i) => {
                        if let (Some(&c), Some(set)) = (t.chars.get(pos), self.sets.get(i))
                            && set.has(c)
                        {
                            stack.push(Job::Go(pc + 1, pos + 1));
                        }
                    }
                    Inst::Assert(a) => {
                        if Self::assert_holds(a, t, pos) {
                            stack.push(Job::Go(pc + 1, pos));
                        }
                    }
                    Inst::Split(x, y) => {
                        stack.push(Job::Go(y, pos));
                        stack.push(Job::Go(x, pos));
                    }
                    Inst::Jmp(x) => stack.push(Job::Go(x, pos)),
                    Inst::Save(slot, _) | Inst::Mark(slot) => {
                        let slot = if matches!(inst, Inst::Mark(_)) {
                            mark_base + slot
                        } else {
                            slot
                        };
                        if let Some(c) = caps.get_mut(slot) {
                            stack.push(Job::Restore(slot, *c));
                            *c = Some(pos);
                        }
                        stack.push(Job::Go(pc + 1, pos));
                    }
                    Inst::Check(m) => {
                        if caps.get(mark_base + m).copied().flatten() != Some(pos) {
                            stack.push(Job::Go(pc + 1, pos));
                        }
                    }
                    // Asterisk asks regexec for two registers (the match
                    // and group 1). When glibc retraces the match to fill
                    // them, a reference to group 2 or later has no register
                    // to compare with: with backtracking enabled (a
                    // "plural" pattern) it fails, otherwise it only passes
                    // as an empty match.
                    Inst::Backref(g) if g >= 1 && target.is_some() => {
                        let empty = matches!(
                            (caps.get(2 * g), caps.get(2 * g + 1)),
                            (Some(Some(s)), Some(Some(e))) if s == e
                        );
                        if !self.plural && empty {
                            stack.push(Job::Go(pc + 1, pos));
                        }
                    }
                    Inst::Backref(g) => {
                        if let (Some(Some(s)), Some(Some(e))) =
                            (caps.get(2 * g), caps.get(2 * g + 1))
                        {
                            let (s, e) = (*s, *e);
                            if s <= e {
                                let len = e - s;
                                if pos + len <= n && t.chars[s..e] == t.chars[pos..pos + len] {
                                    stack.push(Job::Go(pc + 1, pos + len));
                                }
                            }
                        }
                    }
                    Inst::Match => match target {
                        Some(end) if pos == end => return (Some(pos), Some(caps)),
                        Some(_) => {}
                        None => best = Some(best.map_or(pos, |b: usize| b.max(pos))),
                    },
                }
            }
            (best, None)
        }
    }
}

// ---------------------------------------------------------------------------
// The math functions built into the expression parser. glibc computes them
// in long double and its results are the correctly rounded ones in all but
// rare cases, so they are computed here with 256-bit precision and rounded
// once to the 80-bit format.
// ---------------------------------------------------------------------------

mod math {
    use super::{Big, F80, IntRound, Kind, OnceLock, clamp_i32};
    use std::cmp::Ordering;

    /// Significant bits kept by [`BF`].
    const PREC: u64 = 256;

    /// Number of arguments of a built-in function, if `name` is one.
    pub fn arity(name: &str) -> Option<usize> {
        Some(match name {
            "COS" | "SIN" | "TAN" | "ACOS" | "ASIN" | "ATAN" | "SQRT" | "FLOOR" | "CEIL"
            | "ROUND" | "RINT" | "TRUNC" | "EXP" | "EXP2" | "EXP10" | "LOG" | "LOG2" | "LOG10"
            | "ABS" => 1,
            "ATAN2" | "POW" | "REMAINDER" => 2,
            _ => return None,
        })
    }

    pub fn apply(name: &str, x: F80, y: F80) -> F80 {
        match name {
            "COS" => cos(x),
            "SIN" => sin(x),
            "TAN" => tan(x),
            "ACOS" => acos(x),
            "ASIN" => asin(x),
            "ATAN" => atan(x),
            "ATAN2" => atan2(x, y),
            "POW" => pow(x, y),
            "SQRT" => x.sqrt(),
            "FLOOR" => x.round_int(IntRound::Floor),
            "CEIL" => x.round_int(IntRound::Ceil),
            "ROUND" => x.round_int(IntRound::Round),
            "RINT" => x.round_int(IntRound::Rint),
            "TRUNC" => x.round_int(IntRound::Trunc),
            "EXP" => exp_base(x, Base::E),
            "EXP2" => exp_base(x, Base::Two),
            "EXP10" => exp_base(x, Base::Ten),
            "LOG" => log_base(x, Base::E),
            "LOG2" => log_base(x, Base::Two),
            "LOG10" => log_base(x, Base::Ten),
            "REMAINDER" => x.remainder(y),
            // Asterisk's ABS multiplies negatives by -1, so -0 stays -0.
            "ABS" => {
                if x.lt(F80::ZERO) {
                    x.neg()
                } else {
                    x
                }
            }
            _ => F80::ZERO,
        }
    }

    /// A binary float with a big significand: `m * 2^e`.
    #[derive(Clone, Debug)]
    struct BF {
        neg: bool,
        m: Big,
        e: i64,
    }

    impl BF {
        fn zero() -> BF {
            BF {
                neg: false,
                m: Big::zero(),
                e: 0,
            }
        }

        fn int(v: i64) -> BF {
            BF {
                neg: v < 0,
                m: Big::from_u128(v.unsigned_abs() as u128),
                e: 0,
            }
        }

        fn from_f80(x: F80) -> BF {
            match x.kind {
                Kind::Fin { mant, exp } => BF {
                    neg: x.neg,
                    m: Big::from_u128(mant as u128),
                    e: exp as i64,
                },
                _ => BF::zero(),
            }
        }

        fn is_zero(&self) -> bool {
            self.m.is_zero()
        }

        /// Exponent just above the top bit: the value lies in
        /// [2^(top-1), 2^top).
        fn top(&self) -> i64 {
            self.e + self.m.bits() as i64
        }

        fn norm(mut self) -> BF {
            let b = self.m.bits();
            if b > PREC {
                let drop = b - PREC;
                self.m = self.m.shr(drop);
                self.e += drop as i64;
            }
            if self.m.is_zero() {
                self.neg = false;
            }
            self
        }

        fn neg(mut self) -> BF {
            if !self.is_zero() {
                self.neg = !self.neg;
            }
            self
        }

        fn abs(mut self) -> BF {
            self.neg = false;
            self
        }

        fn scale(mut self, k: i64) -> BF {
            self.e += k;
            self
        }

        fn add(&self, o: &BF) -> BF {
            if self.is_zero() {
                return o.clone();
            }
            if o.is_zero() {
                return self.clone();
            }
            // A far smaller operand only matters below the precision kept.
            if self.top() - o.top() > PREC as i64 + 8 {
                return self.clone();
            }
            if o.top() - self.top() > PREC as i64 + 8 {
                return o.clone();
            }
            let e = self.e.min(o.e);
            let a = self.m.shl((self.e - e) as u64);
            let b = o.m.shl((o.e - e) as u64);
            let r = if self.neg == o.neg {
                BF {
                    neg: self.neg,
                    m: a.add(&b),
                    e,
                }
            } else {
                match a.cmp(&b) {
                    Ordering::Less => BF {
                        neg: o.neg,
                        m: b.sub(&a),
                        e,
                    },
                    _ => BF {
                        neg: self.neg,
                        m: a.sub(&b),
                        e,
                    },
                }
            };
            r.norm()
        }

        fn sub(&self, o: &BF) -> BF {
            self.add(&o.clone().neg())
        }

        fn mul(&self, o: &BF) -> BF {
            BF {
                neg: self.neg != o.neg,
                m: self.m.mul(&o.m),
                e: self.e + o.e,
            }
            .norm()
        }

        fn div(&self, o: &BF) -> BF {
            if o.is_zero() || self.is_zero() {
                return BF::zero();
            }
            let k = PREC as i64 + 8 + o.m.bits() as i64 - self.m.bits() as i64;
            let k = k.max(0);
            let (q, _) = self.m.shl(k as u64).divmod(&o.m);
            BF {
                neg: self.neg != o.neg,
                m: q,
                e: self.e - o.e - k,
            }
            .norm()
        }

        fn div_small(&self, d: u32) -> BF {
            // Widen first so the quotient keeps full precision even for a
            // short significand such as the 1 of 1/3.
            let sh = (PREC + 40).saturating_sub(self.m.bits());
            let mut m = self.m.shl(sh);
            m.div_small(d);
            BF {
                neg: self.neg,
                m,
                e: self.e - sh as i64,
            }
            .norm()
        }

        fn mul_int(&self, k: i64) -> BF {
            self.mul(&BF::int(k))
        }

        fn sqrt(&self) -> BF {
            if self.is_zero() || self.neg {
                return BF::zero();
            }
            // Scale to an integer of about 2*PREC bits with an even exponent.
            let mut sh = 2 * PREC as i64 + 2 - self.m.bits() as i64;
            if (self.e - sh).rem_euclid(2) != 0 {
                sh += 1;
            }
            let n = if sh >= 0 {
                self.m.shl(sh as u64)
            } else {
                self.m.shr((-sh) as u64)
            };
            let mut x = Big::from_u128(1).shl(n.bits().div_ceil(2));
            loop {
                let (q, _) = n.divmod(&x);
                let mut y = x.add(&q);
                y = y.shr(1);
                if y.cmp(&x) != Ordering::Less {
                    break;
                }
                x = y;
            }
            BF {
                neg: false,
                m: x,
                e: (self.e - sh) / 2,
            }
            .norm()
        }

        fn to_f64(&self) -> f64 {
            if self.is_zero() {
                return 0.0;
            }
            let (top, drop, _) = self.m.top_bits(60);
            let v = top as f64 * 2f64.powi(clamp_i32(drop + self.e).clamp(-2000, 2000));
            if self.neg { -v } else { v }
        }

        fn to_f80(&self) -> F80 {
            if self.is_zero() {
                return F80::zero(self.neg);
            }
            let (top, drop, sticky) = self.m.top_bits(120);
            F80::round(self.neg, top, clamp_i32(drop + self.e), sticky)
        }

        fn cmp_abs(&self, o: &BF) -> Ordering {
            if self.is_zero() || o.is_zero() {
                return (!self.is_zero()).cmp(&!o.is_zero());
            }
            match self.top().cmp(&o.top()) {
                Ordering::Equal => {
                    let e = self.e.min(o.e);
                    self.m
                        .shl((self.e - e) as u64)
                        .cmp(&o.m.shl((o.e - e) as u64))
                }
                c => c,
            }
        }
    }

    /// π as a fixed-point integer: about `π * 2^bits`, a few units off.
    fn pi_fixed(bits: u64) -> Big {
        // Machin: π = 16 atan(1/5) - 4 atan(1/239).
        let guard = 32;
        let n = bits + guard;
        let atan_inv = |x: u32| -> (Big, Big) {
            let mut pos = Big::zero();
            let mut negs = Big::zero();
            let mut term = Big::from_u128(1).shl(n);
            term.div_small(x);
            let mut k = 0u32;
            while !term.is_zero() {
                let mut t = term.clone();
                t.div_small(2 * k + 1);
                if k.is_multiple_of(2) {
                    pos = pos.add(&t);
                } else {
                    negs = negs.add(&t);
                }
                term.div_small(x * x);
                k += 1;
            }
            (pos, negs)
        };
        let (p5, n5) = atan_inv(5);
        let (p239, n239) = atan_inv(239);
        let times = |b: &Big, k: u32| {
            let mut c = b.clone();
            c.mul_small(k);
            c
        };
        let total_pos = times(&p5, 16).add(&times(&n239, 4));
        let total_neg = times(&n5, 16).add(&times(&p239, 4));
        total_pos.sub(&total_neg).shr(guard)
    }

    fn pi() -> &'static BF {
        static PI: OnceLock<BF> = OnceLock::new();
        PI.get_or_init(|| {
            let bits = PREC + 64;
            BF {
                neg: false,
                m: pi_fixed(bits),
                e: -(bits as i64),
            }
            .norm()
        })
    }

    /// Sum of the odd series `2 * (s + s^3/3 + s^5/5 + ...)` = 2 atanh(s).
    fn atanh_series(s: &BF) -> BF {
        let s2 = s.mul(s);
        let mut power = s.clone();
        let mut sum = BF::zero();
        let mut k = 1u32;
        loop {
            let term = power.div_small(k);
            if term.is_zero() || (!sum.is_zero() && term.top() < sum.top() - PREC as i64 - 8) {
                break;
            }
            sum = sum.add(&term);
            power = power.mul(&s2);
            k += 2;
            if k > 4000 {
                break;
            }
        }
        sum.scale(1)
    }

    fn ln2() -> &'static BF {
        static LN2: OnceLock<BF> = OnceLock::new();
        LN2.get_or_init(|| atanh_series(&BF::int(1).div_small(3)))
    }

    fn ln10() -> &'static BF {
        static LN10: OnceLock<BF> = OnceLock::new();
        LN10.get_or_init(|| ln(&BF::int(10)))
    }

    /// Natural logarithm of a positive value.
    fn ln(x: &BF) -> BF {
        // x = f * 2^t with f in [0.75, 1.5): ln x = t ln2 + 2 atanh((f-1)/(f+1)).
        let mut t = x.top();
        let mut f = x.clone().scale(-t);
        if f.cmp_abs(&BF::int(3).scale(-2)) == Ordering::Less {
            f = f.scale(1);
            t -= 1;
        }
        let one = BF::int(1);
        let s = f.sub(&one).div(&f.add(&one));
        atanh_series(&s).add(&ln2().mul_int(t))
    }

    /// e^x for |x| small enough not to overflow the exponent.
    fn exp(x: &BF) -> BF {
        let k = (x.to_f64() / std::f64::consts::LN_2).round() as i64;
        let r = x.sub(&ln2().mul_int(k));
        // Shrink the argument, sum the series, square back.
        let halvings = 12;
        let r = r.scale(-halvings);
        let mut sum = BF::int(1);
        let mut term = BF::int(1);
        let mut i = 1u32;
        loop {
            term = term.mul(&r).div_small(i);
            if term.is_zero() || term.top() < -(PREC as i64) - 16 {
                break;
            }
            sum = sum.add(&term);
            i += 1;
            if i > 400 {
                break;
            }
        }
        for _ in 0..halvings {
            sum = sum.mul(&sum);
        }
        sum.scale(k)
    }

    /// Series for sin (odd) or cos (even) of a reduced argument.
    fn sin_cos_series(r: &BF, odd: bool) -> BF {
        let r2 = r.mul(r);
        let (mut term, mut i) = if odd {
            (r.clone(), 1u32)
        } else {
            (BF::int(1), 0u32)
        };
        let mut sum = BF::zero();
        loop {
            if term.is_zero() || (!sum.is_zero() && term.top() < sum.top() - PREC as i64 - 8) {
                break;
            }
            sum = sum.add(&term);
            term = term.mul(&r2).div_small((i + 1) * (i + 2)).neg();
            i += 2;
            if i > 2000 {
                break;
            }
        }
        sum
    }

    /// |x| reduced modulo π/2: the remainder in [-π/4, π/4] and the
    /// quotient modulo 4.
    fn reduce(x: &BF) -> (BF, u8) {
        let ax = x.clone().abs();
        let quarter_pi = pi().clone().scale(-2);
        if ax.cmp_abs(&quarter_pi) != Ordering::Greater {
            return (ax, 0);
        }
        // Fixed point with enough bits that π/2's error times the quotient
        // stays far below the remainder's precision.
        let bits = (ax.top().max(0) as u64) + PREC + 64;
        let half_pi = pi_fixed(bits).shr(1);
        let shift = ax.e + bits as i64;
        let xf = if shift >= 0 {
            ax.m.shl(shift as u64)
        } else {
            ax.m.shr((-shift) as u64)
        };
        let (q, rem) = xf.divmod(&half_pi);
        let q_low = q.low_u128() as u8;
        let (r, k) = if rem.shl(1).cmp(&half_pi) == Ordering::Greater {
            (
                BF {
                    neg: true,
                    m: half_pi.sub(&rem),
                    e: -(bits as i64),
                },
                q_low.wrapping_add(1),
            )
        } else {
            (
                BF {
                    neg: false,
                    m: rem,
                    e: -(bits as i64),
                },
                q_low,
            )
        };
        (r.norm(), k % 4)
    }

    fn sin(x: F80) -> F80 {
        match x.kind {
            Kind::NaN | Kind::Zero => x,
            Kind::Inf => F80::DEFAULT_NAN,
            Kind::Fin { .. } => {
                let (r, k) = reduce(&BF::from_f80(x));
                let v = match k {
                    0 => sin_cos_series(&r, true),
                    1 => sin_cos_series(&r, false),
                    2 => sin_cos_series(&r, true).neg(),
                    _ => sin_cos_series(&r, false).neg(),
                };
                let v = if x.neg { v.neg() } else { v };
                v.to_f80()
            }
        }
    }

    fn cos(x: F80) -> F80 {
        match x.kind {
            Kind::NaN => x,
            Kind::Zero => F80::from_u64(1),
            Kind::Inf => F80::DEFAULT_NAN,
            Kind::Fin { .. } => {
                let (r, k) = reduce(&BF::from_f80(x));
                let v = match k {
                    0 => sin_cos_series(&r, false),
                    1 => sin_cos_series(&r, true).neg(),
                    2 => sin_cos_series(&r, false).neg(),
                    _ => sin_cos_series(&r, true),
                };
                v.to_f80()
            }
        }
    }

    fn tan(x: F80) -> F80 {
        match x.kind {
            Kind::NaN | Kind::Zero => x,
            Kind::Inf => F80::DEFAULT_NAN,
            Kind::Fin { .. } => {
                let (r, k) = reduce(&BF::from_f80(x));
                let (s, c) = (sin_cos_series(&r, true), sin_cos_series(&r, false));
                let v = if k % 2 == 0 {
                    s.div(&c)
                } else {
                    c.div(&s).neg()
                };
                let v = if x.neg { v.neg() } else { v };
                v.to_f80()
            }
        }
    }

    /// atan of a finite value.
    fn atan_bf(x: &BF) -> BF {
        if x.is_zero() {
            return BF::zero();
        }
        let one = BF::int(1);
        if x.cmp_abs(&one) == Ordering::Greater {
            let half_pi = pi().clone().scale(-1);
            let inner = atan_bf(&one.div(x));
            let hp = if x.neg { half_pi.neg() } else { half_pi };
            return hp.sub(&inner);
        }
        // atan x = 2 atan(x / (1 + sqrt(1 + x^2))), twice.
        let mut y = x.clone();
        for _ in 0..2 {
            let d = one.add(&one.add(&y.mul(&y)).sqrt());
            y = y.div(&d);
        }
        let y2 = y.mul(&y);
        let mut power = y.clone();
        let mut sum = BF::zero();
        let mut k = 1u32;
        loop {
            let term = power.div_small(k);
            if term.is_zero() || (!sum.is_zero() && term.top() < sum.top() - PREC as i64 - 8) {
                break;
            }
            sum = if (k / 2).is_multiple_of(2) {
                sum.add(&term)
            } else {
                sum.sub(&term)
            };
            power = power.mul(&y2);
            k += 2;
            if k > 4000 {
                break;
            }
        }
        sum.scale(2)
    }

    fn atan(x: F80) -> F80 {
        match x.kind {
            Kind::NaN | Kind::Zero => x,
            Kind::Inf => {
                let hp = pi().clone().scale(-1);
                (if x.neg { hp.neg() } else { hp }).to_f80()
            }
            Kind::Fin { .. } => atan_bf(&BF::from_f80(x)).to_f80(),
        }
    }

    fn atan2_bf(y: &BF, x: &BF) -> BF {
        let a = atan_bf(&y.div(x));
        if !x.neg {
            a
        } else if y.neg {
            a.sub(pi())
        } else {
            a.add(pi())
        }
    }

    fn atan2(y: F80, x: F80) -> F80 {
        let p = pi().clone();
        let signed = |v: BF, neg: bool| if neg { v.neg() } else { v };
        match (y.kind, x.kind) {
            (Kind::NaN, _) => y,
            (_, Kind::NaN) => x,
            (Kind::Zero, _) => {
                if x.neg {
                    signed(p, y.neg).to_f80()
                } else {
                    y
                }
            }
            (Kind::Inf, Kind::Inf) => {
                let v = if x.neg {
                    p.mul_int(3).scale(-2)
                } else {
                    p.scale(-2)
                };
                signed(v, y.neg).to_f80()
            }
            (Kind::Inf, _) | (_, Kind::Zero) => signed(p.scale(-1), y.neg).to_f80(),
            (_, Kind::Inf) => {
                if x.neg {
                    signed(p, y.neg).to_f80()
                } else {
                    F80::zero(y.neg)
                }
            }
            _ => atan2_bf(&BF::from_f80(y), &BF::from_f80(x)).to_f80(),
        }
    }

    fn asin(x: F80) -> F80 {
        match x.kind {
            Kind::NaN | Kind::Zero => x,
            Kind::Inf => F80::DEFAULT_NAN,
            Kind::Fin { .. } => {
                let one = F80::from_u64(1);
                if x.abs().gt(one) {
                    // glibc returns a positive NaN for |x| > 1.
                    return F80 {
                        neg: false,
                        kind: Kind::NaN,
                    };
                }
                let b = BF::from_f80(x);
                let one = BF::int(1);
                let c = one.sub(&b).mul(&one.add(&b)).sqrt();
                if c.is_zero() {
                    let hp = pi().clone().scale(-1);
                    return (if x.neg { hp.neg() } else { hp }).to_f80();
                }
                atan2_bf(&b, &c).to_f80()
            }
        }
    }

    fn acos(x: F80) -> F80 {
        match x.kind {
            Kind::NaN => x,
            Kind::Zero => pi().clone().scale(-1).to_f80(),
            Kind::Inf => F80::DEFAULT_NAN,
            Kind::Fin { .. } => {
                let one = F80::from_u64(1);
                if x.abs().gt(one) {
                    // glibc returns a positive NaN for |x| > 1.
                    return F80 {
                        neg: false,
                        kind: Kind::NaN,
                    };
                }
                let b = BF::from_f80(x);
                let one = BF::int(1);
                let s = one.sub(&b).mul(&one.add(&b)).sqrt();
                if s.is_zero() {
                    return if x.neg { pi().to_f80() } else { F80::ZERO };
                }
                atan2_bf(&s, &b).to_f80()
            }
        }
    }

    #[derive(Clone, Copy)]
    enum Base {
        E,
        Two,
        Ten,
    }

    fn exp_base(x: F80, base: Base) -> F80 {
        match x.kind {
            Kind::NaN => x,
            Kind::Zero => F80::from_u64(1),
            Kind::Inf => {
                if x.neg {
                    F80::ZERO
                } else {
                    x
                }
            }
            Kind::Fin { .. } => {
                // Far outside the range the result is 0 or infinite.
                let limit = match base {
                    Base::E => 12_000.0,
                    Base::Two => 17_000.0,
                    Base::Ten => 5_000.0,
                };
                let b = BF::from_f80(x);
                let xf = b.to_f64();
                if xf > limit {
                    return F80::inf(false);
                }
                if xf < -limit {
                    return F80::ZERO;
                }
                let arg = match base {
                    Base::E => b,
                    Base::Two => b.mul(ln2()),
                    Base::Ten => b.mul(ln10()),
                };
                exp(&arg).to_f80()
            }
        }
    }

    fn log_base(x: F80, base: Base) -> F80 {
        match x.kind {
            Kind::NaN => x,
            Kind::Zero => F80::inf(true),
            _ if x.neg => F80 {
                neg: false,
                kind: Kind::NaN,
            },
            Kind::Inf => x,
            Kind::Fin { .. } => {
                let l = ln(&BF::from_f80(x));
                match base {
                    Base::E => l,
                    Base::Two => l.div(ln2()),
                    Base::Ten => l.div(ln10()),
                }
                .to_f80()
            }
        }
    }

    /// Whether a finite value is an integer, and if so whether it is odd.
    fn int_parity(y: F80) -> Option<bool> {
        match y.kind {
            Kind::Zero => Some(false),
            Kind::Fin { mant, exp } => {
                if exp >= 0 {
                    Some(false)
                } else if exp <= -64 {
                    None
                } else {
                    let shift = (-exp) as u32;
                    if mant & ((1u64 << shift) - 1) != 0 {
                        None
                    } else {
                        Some((mant >> shift) & 1 == 1)
                    }
                }
            }
            _ => None,
        }
    }

    fn pow(x: F80, y: F80) -> F80 {
        let one = F80::from_u64(1);
        if y.is_zero() || x.eq(one) {
            return one;
        }
        if x.is_nan() {
            return x;
        }
        if y.is_nan() {
            return y;
        }
        let y_odd = int_parity(y) == Some(true);
        let y_neg = y.neg;
        match x.kind {
            Kind::Zero => {
                return match (y_neg, y_odd) {
                    (true, true) => F80::inf(x.neg),
                    (true, false) => F80::inf(false),
                    (false, true) => x,
                    (false, false) => F80::ZERO,
                };
            }
            Kind::Inf => {
                let neg = x.neg && y_odd;
                return if y_neg { F80::zero(neg) } else { F80::inf(neg) };
            }
            _ => {}
        }
        if y.kind == Kind::Inf {
            let ax = x.abs();
            if ax.eq(one) {
                return one;
            }
            let big = ax.gt(one);
            return if big != y_neg {
                F80::inf(false)
            } else {
                F80::ZERO
            };
        }
        // Finite, nonzero x and y.
        let mut neg = false;
        if x.neg {
            match int_parity(y) {
                None => return F80::DEFAULT_NAN,
                Some(odd) => neg = odd,
            }
        }
        let lx = ln(&BF::from_f80(x.abs()));
        let arg = lx.mul(&BF::from_f80(y));
        let af = arg.to_f64();
        let r = if af > 12_000.0 {
            F80::inf(false)
        } else if af < -12_000.0 {
            F80::ZERO
        } else {
            exp(&arg).to_f80()
        };
        if neg { r.neg() } else { r }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(v: u128) -> Big {
        Big::from_u128(v)
    }

    #[test]
    fn big_division_matches_u128() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2000 {
            let a = ((next() as u128) << 64 | next() as u128) >> (next() % 128);
            let b = ((next() as u128) << 64 | next() as u128) >> (next() % 128);
            if b == 0 {
                continue;
            }
            let (q, r) = big(a).divmod(&big(b));
            assert_eq!((q.low_u128(), r.low_u128()), (a / b, a % b), "{a} / {b}");
        }
        // Wider than 128 bits: check q*b + r == a and r < b.
        let a = Big::pow_small(7, 300);
        let b = Big::pow_small(3, 101);
        let (q, r) = a.divmod(&b);
        assert_eq!(q.mul(&b).add(&r), a);
        assert_eq!(r.cmp(&b), Ordering::Less);
    }

    #[test]
    fn f80_arithmetic_agrees_with_f64_where_exact() {
        let f = |v: f64| match strtold(&format!("{v}")) {
            Parsed::Value(x) | Parsed::Range(x) => x,
        };
        // Sums and products of small integers are exact in both formats.
        for a in -20i64..20 {
            for b in -20i64..20 {
                let (x, y) = (F80::from_i64(a), F80::from_i64(b));
                assert!(x.add(y).eq(F80::from_i64(a + b)));
                assert!(x.sub(y).eq(F80::from_i64(a - b)));
                assert!(x.mul(y).eq(F80::from_i64(a * b)));
                if b != 0 {
                    assert!(x.fmod(y).eq(F80::from_i64(a % b)));
                }
            }
        }
        assert_eq!(f(0.5).add(f(0.25)).format(), "0.75");
        assert_eq!(
            F80::from_i64(1).div(F80::from_i64(3)).format(),
            "0.333333333333333333"
        );
        assert_eq!(F80::from_i64(2).sqrt().format(), "1.41421356237309505");
        assert_eq!(F80::from_i64(-7).remainder(F80::from_i64(2)).format(), "1");
    }

    #[test]
    fn regex_basics() {
        let m = |p: &str, t: &str| {
            posix_re::Regex::new(p)
                .ok()
                .and_then(|re| re.search(t, false))
                .map(|m| (m.start, m.end, m.group1))
        };
        assert_eq!(m("a|ab", "xab"), Some((1, 3, None)));
        assert_eq!(m("(a|ab)(c|bcd)", "abcd"), Some((0, 4, Some((0, 1)))));
        assert_eq!(m("(a*)*", "b").map(|x| (x.0, x.1)), Some((0, 0)));
        assert_eq!(m("x", "yyy"), None);
        assert!(posix_re::Regex::new("a{2,1}").is_err());
    }
}
