//! Application option strings (`ast_app_parse_options`): letters, some
//! with a parenthesised argument, as in `Dial(...,,tTm(jazz))`.

use std::collections::BTreeMap;

use crate::core::logger::Logger;

/// The options a string set, each with its argument (empty when given
/// without one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    set: BTreeMap<char, String>,
}

impl Options {
    pub fn has(&self, c: char) -> bool {
        self.set.contains_key(&c)
    }

    pub fn arg(&self, c: char) -> Option<&str> {
        self.set.get(&c).map(String::as_str)
    }
}

/// The option string did not parse (Asterisk has logged why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadOptions;

/// Parses `optstr` against the letters an application knows. An unknown
/// letter is logged and ignored; an argument without its closing
/// parenthesis fails the whole string, both as Asterisk does.
pub fn parse(logger: &Logger, optstr: &str, known: &str) -> Result<Options, BadOptions> {
    let mut out = Options::default();
    let chars: Vec<char> = optstr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let opt = chars[i];
        i += 1;
        let mut arg = String::new();
        if chars.get(i) == Some(&'(') {
            i += 1;
            let start = i;
            let parse_quotes = chars.get(i) == Some(&'"');
            let (mut depth, mut quote, mut closed) = (1, false, false);
            while i < chars.len() {
                let c = chars[i];
                match c {
                    '(' if !quote => depth += 1,
                    ')' if !quote => depth -= 1,
                    '"' if parse_quotes => {
                        quote = !quote;
                        i += 1;
                        continue;
                    }
                    '\\' => {
                        // Outside quotes a backslash is dropped; inside, only
                        // before a quote.
                        if !quote || chars.get(i + 1) == Some(&'"') {
                            i += 1;
                            if let Some(&n) = chars.get(i) {
                                arg.push(n);
                            }
                            i += 1;
                            continue;
                        }
                        arg.push(c);
                        i += 1;
                        if let Some(&n) = chars.get(i) {
                            arg.push(n);
                        }
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    closed = true;
                    i += 1;
                    break;
                }
                arg.push(c);
                i += 1;
            }
            if !closed {
                let raw: String = chars[start..].iter().collect();
                logger.warning(
                    crate::site!("app.c", 3117, "parse_options"),
                    None,
                    &format!("Missing closing parenthesis for argument '{opt}' in string '{raw}'"),
                );
                return Err(BadOptions);
            }
        }
        if !known.contains(opt) {
            logger.warning(
                crate::site!("app.c", 3125, "parse_options"),
                None,
                &format!("Unrecognized option: '{opt}'"),
            );
            continue;
        }
        out.set.insert(opt, arg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logger() -> Logger {
        let dir = std::env::temp_dir();
        Logger::new(&Default::default(), &dir, 0)
    }

    #[test]
    fn letters_and_arguments() {
        let l = logger();
        let o = parse(&l, "tTm(jazz)g", "tTmg").expect("parses");
        assert!(o.has('t') && o.has('T') && o.has('g'));
        assert_eq!(o.arg('m'), Some("jazz"));
        let o = parse(&l, "M(mac(ro)^x)", "M").expect("nested");
        assert_eq!(o.arg('M'), Some("mac(ro)^x"));
        let o = parse(&l, "x", "t").expect("unknown is ignored");
        assert!(!o.has('x'));
        assert_eq!(parse(&l, "m(jazz", "m"), Err(BadOptions));
        assert_eq!(parse(&l, "", "m"), Ok(Options::default()));
    }
}
