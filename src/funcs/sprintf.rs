//! SPRINTF (Asterisk's `func_sprintf.c`): the format is walked with the
//! same state machine, and each conversion printed as glibc would.

use super::c::{
    app_args, format_double, format_int, format_str, parse_spec, scan_double, scan_int,
};
use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_sprintf.c";

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "SPRINTF",
        read: Some(sprintf),
        write: None,
        synopsis: "Formats its arguments with a printf-style format.",
        syntax: "SPRINTF(format,arg1[,arg2[,...]])",
    }]
}

/// The buffer a function result is written into (`VAR_BUF_SIZE`).
const BUFLEN: usize = 4096;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Literal,
    Flag,
    Width,
    Precision,
    Length,
    Conversion,
}

/// Appends `bytes` as `snprintf(bufptr, buf + len - bufptr, ...)` then
/// `bufptr = strchr(buf, '\0')` would: cut to the room left, and to the
/// first NUL.
fn append(out: &mut Vec<u8>, bytes: &[u8]) {
    let room = BUFLEN.saturating_sub(out.len() + 1);
    let take = &bytes[..bytes.len().min(room)];
    match take.iter().position(|&b| b == 0) {
        Some(n) => out.extend_from_slice(&take[..n]),
        None => out.extend_from_slice(take),
    }
}

fn sprintf(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = app_args(data, 101);
    let format = args.first().map(String::as_bytes).unwrap_or(b"");
    let vars = args.get(1..).unwrap_or(&[]);
    let mut argcount = 0usize;
    let mut next_arg = || {
        let a = vars.get(argcount).map(String::as_str);
        argcount += 1;
        a
    };
    let mut out: Vec<u8> = Vec::new();
    let mut state = State::Literal;
    let mut start = 0usize;
    let mut i = 0usize;
    while i < format.len() {
        let c = format[i];
        // The C switch falls through from one state to the next.
        let mut s = state;
        loop {
            match s {
                State::Flag => {
                    if b"#0- +'I".contains(&c) {
                        break;
                    }
                    state = State::Width;
                    s = State::Width;
                }
                State::Width => {
                    if c.is_ascii_digit() {
                        break;
                    }
                    if c == b'.' {
                        state = State::Precision;
                    } else {
                        state = State::Length;
                        // Read this character again as a length.
                        i = i.wrapping_sub(1);
                    }
                    break;
                }
                State::Precision => {
                    if c.is_ascii_digit() {
                        break;
                    }
                    state = State::Length;
                    s = State::Length;
                }
                State::Length => {
                    if c == b'h' || c == b'l' {
                        if format.get(i + 1) == Some(&c) {
                            i += 1;
                        }
                        state = State::Conversion;
                        break;
                    } else if b"Lqjzt".contains(&c) {
                        state = State::Conversion;
                        break;
                    }
                    state = State::Conversion;
                    s = State::Conversion;
                }
                State::Conversion => {
                    let spec_text = &format[start..=i];
                    let spec_shown = String::from_utf8_lossy(spec_text).into_owned();
                    let spec = parse_spec(spec_text);
                    if b"diouxXc".contains(&c) {
                        let Some(arg) = next_arg() else {
                            ctx.error(
                                crate::site!(FILE, 136, "acf_sprintf"),
                                "SPRINTF() has more format specifiers than arguments!",
                            );
                            return Err(Failed);
                        };
                        let Some((v, _)) = scan_int(arg) else {
                            ctx.error(
                                crate::site!(FILE, 132, "acf_sprintf"),
                                &format!("Argument '{arg}' is not an integer number for format '{spec_shown}'"),
                            );
                            return Err(Failed);
                        };
                        append(&mut out, &format_int(&spec, v));
                    } else if b"eEfFgGaA".contains(&c) {
                        let Some(arg) = next_arg() else {
                            ctx.error(
                                crate::site!(FILE, 159, "acf_sprintf"),
                                "SPRINTF() has more format specifiers than arguments!",
                            );
                            return Err(Failed);
                        };
                        let Some(v) = scan_double(arg) else {
                            ctx.error(
                                crate::site!(FILE, 155, "acf_sprintf"),
                                &format!(
                                    "Argument '{arg}' is not a floating point number for format '{spec_shown}'"
                                ),
                            );
                            return Err(Failed);
                        };
                        append(&mut out, &format_double(&spec, v));
                    } else if c == b's' {
                        append(&mut out, &format_str(&spec, next_arg()));
                    } else if c == b'%' {
                        out.push(b'%');
                    } else {
                        let shown = next_arg().unwrap_or("(null)");
                        ctx.error(
                            crate::site!(FILE, 190, "acf_sprintf"),
                            &format!(
                                "Format type not supported: '{spec_shown}' with argument '{shown}'"
                            ),
                        );
                        return Err(Failed);
                    }
                    state = State::Literal;
                    break;
                }
                State::Literal => {
                    if c == b'%' {
                        state = State::Flag;
                        start = i;
                    } else {
                        out.push(c);
                    }
                    break;
                }
            }
        }
        i = i.wrapping_add(1);
    }
    Ok(crate::core::raw::decode_owned(out))
}
