//! MATH, INC, DEC, MIN, MAX, ABS and DIGIT_SUM (Asterisk's
//! `func_math.c`): C doubles, C int conversions and `printf` output.

use super::c::{app_args, d2i, d2u, fmt_f, scan_double, scan_int};
use super::{Failed, FuncCtx, Function};
use crate::core::logger::Site;

const FILE: &str = "func_math.c";

pub fn functions() -> Vec<Function> {
    vec![
        Function {
            name: "MATH",
            read: Some(math),
            write: None,
            synopsis: "Computes one arithmetic, bitwise or comparison operation on two numbers.",
            syntax: "MATH(number1 op number2[,type_of_result])",
        },
        Function {
            name: "INC",
            read: Some(crement),
            write: None,
            synopsis: "Adds one to an integer variable and gives the new value.",
            syntax: "INC(variable)",
        },
        Function {
            name: "DEC",
            read: Some(crement),
            write: None,
            synopsis: "Subtracts one from an integer variable and gives the new value.",
            syntax: "DEC(variable)",
        },
        Function {
            name: "MIN",
            read: Some(min),
            write: None,
            synopsis: "Gives the smaller of two numbers.",
            syntax: "MIN([num1][,num2])",
        },
        Function {
            name: "MAX",
            read: Some(max),
            write: None,
            synopsis: "Gives the larger of two numbers.",
            syntax: "MAX([num1][,num2])",
        },
        Function {
            name: "ABS",
            read: Some(abs),
            write: None,
            synopsis: "Gives the absolute value of a number.",
            syntax: "ABS(num)",
        },
        Function {
            name: "DIGIT_SUM",
            read: Some(digit_sum),
            write: None,
            synopsis: "Adds up the decimal digits found in its argument.",
            syntax: "DIGIT_SUM(num)",
        },
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Add,
    Divide,
    Multiply,
    Subtract,
    Modulus,
    Pow,
    ShLeft,
    ShRight,
    And,
    Xor,
    Or,
    Gt,
    Lt,
    Gte,
    Lte,
    Eq,
}

const MISSING: &str =
    "Syntax: MATH(<number1><op><number 2>[,<type_of_result>]) - missing argument!";

/// Finds the operator as Asterisk does (fixed search order, subtraction
/// last): the first operand, the operator and the second operand (`None`
/// when a lone `=` leaves none).
fn split_op(v: &str) -> (&str, Option<Op>, Option<&str>) {
    let find = |pat: &str| v.find(pat);
    let simple: [(char, Op); 4] = [
        ('*', Op::Multiply),
        ('/', Op::Divide),
        ('%', Op::Modulus),
        ('^', Op::Pow),
    ];
    for (c, op) in simple {
        if let Some(i) = v.find(c) {
            return (&v[..i], Some(op), Some(&v[i + 1..]));
        }
    }
    for (pat, op) in [("AND", Op::And), ("XOR", Op::Xor), ("OR", Op::Or)] {
        if let Some(i) = find(pat) {
            return (&v[..i], Some(op), Some(&v[i + pat.len()..]));
        }
    }
    for (c, op, eq, dbl) in [
        ('>', Op::Gt, Op::Gte, Op::ShRight),
        ('<', Op::Lt, Op::Lte, Op::ShLeft),
    ] {
        if let Some(i) = v.find(c) {
            let after = &v[i + 1..];
            return if after.starts_with('=') {
                (&v[..i], Some(eq), Some(&after[1..]))
            } else if after.starts_with(c) {
                (&v[..i], Some(dbl), Some(&after[1..]))
            } else {
                (&v[..i], Some(op), Some(after))
            };
        }
    }
    if let Some(i) = v.find('=') {
        let after = &v[i + 1..];
        return match after.strip_prefix('=') {
            Some(rest) => (&v[..i], Some(Op::Eq), Some(rest)),
            None => (&v[..i], None, None),
        };
    }
    for (c, op) in [('+', Op::Add), ('-', Op::Subtract)] {
        if let Some(i) = v.find(c) {
            return (&v[..i], Some(op), Some(&v[i + 1..]));
        }
    }
    (v, None, None)
}

#[derive(Clone, Copy)]
enum ResultType {
    Float,
    Int,
    Hex,
    Char,
}

fn math(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(crate::site!(FILE, 247, "math"), MISSING);
        return Err(Failed);
    }
    let args = app_args(data, 2);
    let Some(argv0) = args.first() else {
        ctx.warning(crate::site!(FILE, 254, "math"), MISSING);
        return Err(Failed);
    };
    let (neg, value1) = match argv0.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, argv0.as_str()),
    };
    let (mvalue1, op, mvalue2) = split_op(value1);
    let rtype = match args.get(1) {
        None => ResultType::Float,
        Some(t) => match t.to_ascii_lowercase().as_str() {
            "float" | "f" => ResultType::Float,
            "int" | "i" => ResultType::Int,
            "hex" | "h" => ResultType::Hex,
            "char" | "c" => ResultType::Char,
            _ => {
                ctx.warning(
                    crate::site!(FILE, 343, "math"),
                    &format!("Unknown type of result requested '{t}'."),
                );
                return Err(Failed);
            }
        },
    };
    let Some(mvalue2) = mvalue2 else {
        ctx.warning(
            crate::site!(FILE, 350, "math"),
            "Supply all the parameters - just this once, please",
        );
        return Err(Failed);
    };
    let Some(mut fnum1) = scan_double(mvalue1) else {
        ctx.warning(
            crate::site!(FILE, 356, "math"),
            &format!("'{mvalue1}' is not a valid number"),
        );
        return Err(Failed);
    };
    let Some(fnum2) = scan_double(mvalue2) else {
        ctx.warning(
            crate::site!(FILE, 361, "math"),
            &format!("'{mvalue2}' is not a valid number"),
        );
        return Err(Failed);
    };
    if neg {
        fnum1 = 0.0 - fnum1;
    }
    let Some(op) = op else {
        ctx.warning(
            crate::site!(FILE, 453, "math"),
            "Something happened that neither of us should be proud of -1",
        );
        return Err(Failed);
    };
    let (i1, i2) = (d2i(fnum1), d2i(fnum2));
    let truth = |b: bool| Ok(if b { "TRUE" } else { "FALSE" }.to_string());
    let ftmp: f64 = match op {
        Op::Add => fnum1 + fnum2,
        Op::Divide => {
            if fnum2 <= 0.0 {
                0.0
            } else {
                fnum1 / fnum2
            }
        }
        Op::Multiply => fnum1 * fnum2,
        Op::Subtract => fnum1 - fnum2,
        // INT_MIN % -1 traps in C; here it is 0.
        Op::Modulus => {
            if i2 == 0 {
                0.0
            } else {
                f64::from(i1.wrapping_rem(i2))
            }
        }
        Op::Pow => fnum1.powf(fnum2),
        // x86 masks the shift count to five bits.
        Op::ShLeft => f64::from(i1.wrapping_shl(i2 as u32)),
        Op::ShRight => f64::from(i1.wrapping_shr(i2 as u32)),
        Op::And => f64::from(i1 & i2),
        Op::Xor => f64::from(i1 ^ i2),
        Op::Or => f64::from(i1 | i2),
        Op::Gt => return truth(fnum1 > fnum2),
        Op::Lt => return truth(fnum1 < fnum2),
        Op::Gte => return truth(fnum1 >= fnum2),
        Op::Lte => return truth(fnum1 <= fnum2),
        Op::Eq => return truth(fnum1 == fnum2),
    };
    Ok(match rtype {
        ResultType::Float => fmt_f(ftmp),
        ResultType::Int => d2i(ftmp).to_string(),
        ResultType::Hex => format!("{:x}", d2u(ftmp)),
        ResultType::Char => {
            let b = d2i(ftmp) as u8;
            if b == 0 {
                String::new()
            } else {
                String::from_utf8_lossy(&[b]).into_owned()
            }
        }
    })
}

fn crement(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let cmd = ctx.name;
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 483, "crement_function_read"),
            &format!("Syntax: {cmd}(<data>) - missing argument!"),
        );
        return Err(Failed);
    }
    ctx.require_channel(crate::site!(FILE, 488, "crement_function_read"))?;
    // All three notices come from crement_function_read; `line` tells which.
    let notice = |line: u32, m: &str| {
        let site = crate::core::logger::Site {
            file: FILE,
            function: "crement_function_read",
            line,
        };
        ctx.sys.pbx.logger.notice(&site, None, m)
    };
    let Some(var) = ctx.var(data) else {
        notice(
            495,
            &format!("Failed to obtain variable {data}, bailing out"),
        );
        return Err(Failed);
    };
    if var.is_empty() {
        notice(
            501,
            &format!("Variable {data} doesn't exist - are you sure you wrote it correctly?"),
        );
        return Err(Failed);
    }
    // sscanf("%30d%1c"): blanks alone are an input failure (EOF), which the
    // check lets through with the value left at 0.
    let value = if var.bytes().all(super::c::is_space) {
        0
    } else {
        match scan_int(&var) {
            Some((v, end)) if end == var.len() => v,
            _ => {
                notice(
                    507,
                    &format!("The content of ${{{data}}} is not a numeric value - bailing out!"),
                );
                return Err(Failed);
            }
        }
    };
    let value = if cmd.eq_ignore_ascii_case("INC") {
        value.wrapping_add(1)
    } else {
        value.wrapping_sub(1)
    };
    let s = value.to_string();
    ctx.set_var(data, Some(&s));
    Ok(s)
}

/// `%d` when the value is integral, else `%f`.
fn int_or_float(v: f64) -> String {
    if f64::from(d2i(v)) == v {
        d2i(v).to_string()
    } else {
        fmt_f(v)
    }
}

fn min_max(ctx: &FuncCtx<'_>, data: &str, want_max: bool) -> Result<String, Failed> {
    let args = app_args(data, 2);
    let a1 = args.first().filter(|s| !s.is_empty());
    let a2 = args.get(1).filter(|s| !s.is_empty());
    // acf_min_exec and acf_max_exec: the same checks, each its own lines.
    let (function, lines) = if want_max {
        ("acf_max_exec", [599, 606, 613])
    } else {
        ("acf_min_exec", [553, 560, 567])
    };
    let at = |line| Site {
        file: FILE,
        function,
        line,
    };
    let (n1, n2) = match (a1, a2) {
        (None, None) => {
            ctx.error(&at(lines[0]), "Missing argument for number(s).");
            return Err(Failed);
        }
        (a1, a2) => {
            let parse = |a: &String, line| match scan_double(a) {
                Some(v) => Ok(v),
                None => {
                    ctx.warning(&at(line), &format!("'{a}' is not a valid number"));
                    Err(Failed)
                }
            };
            let n1 = a1.map(|a| parse(a, lines[1])).transpose()?;
            let n2 = a2.map(|a| parse(a, lines[2])).transpose()?;
            (n1, n2)
        }
    };
    let v = match (n1, n2) {
        (None, Some(n2)) => n2,
        (Some(n1), None) => n1,
        (Some(n1), Some(n2)) => {
            if want_max {
                if n1 < n2 { n2 } else { n1 }
            } else if n1 > n2 {
                n2
            } else {
                n1
            }
        }
        (None, None) => return Err(Failed),
    };
    Ok(int_or_float(v))
}

fn min(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    min_max(ctx, data, false)
}

fn max(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    min_max(ctx, data, true)
}

fn abs(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 1);
    let arg = args.first();
    match arg.filter(|s| !s.is_empty()).and_then(|s| scan_double(s)) {
        Some(v) => Ok(int_or_float(v.abs())),
        None => {
            let shown = arg.map(String::as_str).unwrap_or("(null)");
            ctx.warning(
                crate::site!(FILE, 644, "acf_abs_exec"),
                &format!("Bad or missing argument for number: {shown}"),
            );
            Err(Failed)
        }
    }
}

fn digit_sum(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 665, "acf_digit_sum_exec"),
            "Missing argument for number",
        );
        return Err(Failed);
    }
    let sum: i64 = data
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| i64::from(b - b'0'))
        .sum();
    Ok((sum as i32).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_found_in_asterisk_order() {
        assert!(matches!(
            split_op("3*-2"),
            ("3", Some(Op::Multiply), Some("-2"))
        ));
        assert!(matches!(split_op("3OR4"), ("3", Some(Op::Or), Some("4"))));
        assert!(matches!(split_op("3XOR4"), ("3", Some(Op::Xor), Some("4"))));
        assert!(matches!(
            split_op("1>>2"),
            ("1", Some(Op::ShRight), Some("2"))
        ));
        assert!(matches!(split_op("1=2"), ("1", None, None)));
        assert!(matches!(split_op("1==2"), ("1", Some(Op::Eq), Some("2"))));
        assert!(matches!(
            split_op("5-3"),
            ("5", Some(Op::Subtract), Some("3"))
        ));
        assert!(matches!(split_op("5"), ("5", None, None)));
    }
}
