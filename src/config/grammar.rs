//! The line grammar of Asterisk's `.conf` format.
//!
//! Asterisk reads a config file line by line: comments are removed first (a
//! stateful pass, because `;-- … --;` block comments nest and span lines), then
//! what is left of the line is one of a category header, a `#` directive or a
//! `name = value` / `name => value` assignment. [`CommentStripper`] does the
//! first pass and [`parse_line`] (nom) the second.

use nom::{
    IResult,
    branch::alt,
    bytes::complete::{tag, take_till, take_while, take_while1},
    character::complete::char,
    combinator::{opt, rest},
    sequence::{delimited, preceded},
};

/// Asterisk gives up on block comments nested deeper than this.
const MAX_NESTED_COMMENTS: usize = 128;

/// One logical line after comment removal, with a map back to the columns
/// of the original text so errors point at what the admin wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrippedLine {
    pub text: String,
    /// `columns[i]` is the 1-based column in the source line of `text`'s byte `i`.
    columns: Vec<u32>,
}

impl StrippedLine {
    /// The source column of byte offset `offset` in the stripped text.
    pub fn column_of(&self, offset: usize) -> u32 {
        match self.columns.get(offset) {
            Some(col) => *col,
            None => self.columns.last().map_or(1, |c| c + 1),
        }
    }
}

/// Removes `;` comments, `;-- --;` block comments and turns `\;` into `;`,
/// carrying block-comment state from one line to the next.
#[derive(Debug, Default)]
pub struct CommentStripper {
    /// Line numbers where each open block comment began (innermost last).
    open_blocks: Vec<u32>,
}

impl CommentStripper {
    pub fn new() -> Self {
        Self::default()
    }

    /// Line where the outermost still-open block comment began, if any.
    pub fn unterminated_since(&self) -> Option<u32> {
        self.open_blocks.last().copied()
    }

    /// Strips one raw line (without its terminator). Returns the text to
    /// process, trimmed of surrounding whitespace, or `None` when nothing
    /// remains outside comments.
    pub fn strip(&mut self, raw: &str, lineno: u32) -> Option<StrippedLine> {
        let bytes = raw.as_bytes();
        let mut text: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut columns: Vec<u32> = Vec::with_capacity(bytes.len());
        let mut i = 0;
        // Where the current scan region began (after the last block marker):
        // a "--;" only closes a block if its dashes lie inside the region.
        let mut region_start = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b != b';' {
                if self.open_blocks.is_empty() {
                    text.push(b);
                    columns.push(i as u32 + 1);
                }
                i += 1;
                continue;
            }
            // An escaped semicolon is data: Asterisk drops the backslash.
            if i > 0 && bytes[i - 1] == b'\\' && self.open_blocks.is_empty() {
                if text.last() == Some(&b'\\') {
                    text.pop();
                    columns.pop();
                }
                text.push(b';');
                columns.push(i as u32 + 1);
                i += 1;
                continue;
            }
            let starts_block = bytes.get(i + 1) == Some(&b'-')
                && bytes.get(i + 2) == Some(&b'-')
                && bytes.get(i + 3) != Some(&b'-');
            let ends_block = i >= region_start + 2 && bytes[i - 1] == b'-' && bytes[i - 2] == b'-';
            if starts_block {
                if self.open_blocks.len() < MAX_NESTED_COMMENTS {
                    self.open_blocks.push(lineno);
                }
                i += 3;
                region_start = i;
            } else if ends_block && !self.open_blocks.is_empty() {
                self.open_blocks.pop();
                i += 1;
                region_start = i;
            } else if self.open_blocks.is_empty() {
                // A plain comment ends the line.
                break;
            } else {
                i += 1;
            }
        }
        let text = crate::core::raw::decode_owned(text);
        let start = text.len() - text.trim_start().len();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        let end = start + trimmed.len();
        Some(StrippedLine {
            text: trimmed.to_string(),
            columns: columns[start..end].to_vec(),
        })
    }
}

/// What one stripped line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    /// `[name]` or `[name](opt,opt,…)`.
    Category {
        name: &'a str,
        options: Option<Vec<&'a str>>,
    },
    /// `#include`, `#tryinclude`, `#exec` or an unknown `#word`.
    Directive {
        word: &'a str,
        argument: Option<&'a str>,
    },
    /// `name = value`, `name => value` (object) or `name += value` (append).
    Assignment {
        name: &'a str,
        value: &'a str,
        object: bool,
        append: bool,
    },
}

/// A line that does not fit the grammar; `offset` is a byte offset into the
/// stripped text, `fatal` says whether Asterisk rejects the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub offset: usize,
    pub message: String,
    pub fatal: bool,
}

fn category(input: &str) -> IResult<&str, Line<'_>> {
    let (input, name) = preceded(char('['), take_till(|c| c == ']'))(input)?;
    let (input, _) = char(']')(input)?;
    let (input, options) = opt(delimited(char('('), take_till(|c| c == ')'), char(')')))(input)?;
    Ok((
        input,
        Line::Category {
            name,
            options: options.map(|o: &str| o.split(',').collect()),
        },
    ))
}

fn directive(input: &str) -> IResult<&str, Line<'_>> {
    let (input, word) = preceded(char('#'), take_while(|c: char| c as u32 > 32))(input)?;
    let (input, _) = take_while(|c: char| c.is_ascii_whitespace())(input)?;
    let (input, argument) = rest(input)?;
    let argument = argument.trim();
    Ok((
        input,
        Line::Directive {
            word,
            argument: (!argument.is_empty()).then_some(argument),
        },
    ))
}

fn assignment(input: &str) -> IResult<&str, Line<'_>> {
    let (after_name, name) = take_while1(|c| c != '=')(input)?;
    let (value, op) = alt((tag("=>"), tag("=")))(after_name)?;
    let append = op == "=" && name.ends_with('+');
    let name = if append {
        &name[..name.len() - 1]
    } else {
        name
    };
    // `+=` appends the text after '=' as written (leading blanks included),
    // as Asterisk does; other assignments are trimmed.
    let value = if append { value } else { value.trim() };
    Ok((
        "",
        Line::Assignment {
            name: name.trim(),
            value,
            object: op == "=>",
            append,
        },
    ))
}

/// Parses one stripped, trimmed, non-empty line.
pub fn parse_line(text: &str) -> Result<Line<'_>, LineError> {
    if text.starts_with('[') {
        if !text.contains(']') {
            return Err(LineError {
                offset: text.len(),
                message: "expected ']' to close the category name".into(),
                fatal: true,
            });
        }
        let close = text.find(']').unwrap_or(0);
        if text[close + 1..].starts_with('(') && !text[close + 1..].contains(')') {
            return Err(LineError {
                offset: text.len(),
                message: "expected ')' to close the category options".into(),
                fatal: true,
            });
        }
        return category(text).map(|(_, l)| l).map_err(|_| LineError {
            offset: 0,
            message: "expected a category header '[name]'".into(),
            fatal: true,
        });
    }
    if text.starts_with('#') {
        return directive(text).map(|(_, l)| l).map_err(|_| LineError {
            offset: 1,
            message: "expected a directive name after '#'".into(),
            fatal: false,
        });
    }
    // A leading backslash escapes the first character of a variable name.
    let (body, escaped) = match text.strip_prefix('\\') {
        Some(rest) => {
            if rest.as_bytes().first().is_none_or(|b| *b < 33) {
                return Err(LineError {
                    offset: 0,
                    message: "invalid escape: expected a printable character after '\\'".into(),
                    fatal: true,
                });
            }
            (rest, 1)
        }
        None => (text, 0),
    };
    // Asterisk looks for '=' after the (possibly escaped) first character.
    let search_from = escaped.min(body.len());
    let Some(eq) = body[search_from..].find('=').map(|p| p + search_from) else {
        return Err(LineError {
            offset: text.len(),
            message: "expected '=' or '=>' (no equal sign in line)".into(),
            fatal: false,
        });
    };
    if body[..eq].trim().trim_end_matches('+').trim().is_empty() && !body[..eq].ends_with('+') {
        return Err(LineError {
            offset: escaped,
            message: "expected a variable name before '='".into(),
            fatal: false,
        });
    }
    let line = match assignment(body) {
        Ok((_, line)) => line,
        Err(_) => {
            return Err(LineError {
                offset: escaped + eq,
                message: "expected a variable name before '='".into(),
                fatal: false,
            });
        }
    };
    if let Line::Assignment { name, .. } = &line
        && name.is_empty()
    {
        return Err(LineError {
            offset: escaped,
            message: "expected a variable name before '='".into(),
            fatal: false,
        });
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_all(lines: &[&str]) -> Vec<Option<String>> {
        let mut s = CommentStripper::new();
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| s.strip(l, i as u32 + 1).map(|l| l.text))
            .collect()
    }

    #[test]
    fn comments_and_escapes() {
        assert_eq!(
            strip_all(&[
                "a = b ; comment",
                "; whole line",
                "c = d\\;e",
                "x=1 ;-- block",
                "still in block",
                "end --; y=2",
                ";-- a ;-- nested --; still --; z=3",
                "  spaced = out  ",
            ]),
            vec![
                Some("a = b".into()),
                None,
                Some("c = d;e".into()),
                Some("x=1".into()),
                None,
                Some("y=2".into()),
                Some("z=3".into()),
                Some("spaced = out".into()),
            ]
        );
    }

    #[test]
    fn column_map_survives_block_comments() {
        let mut s = CommentStripper::new();
        let l = s.strip(";-- x --;  [ctx", 1).expect("line");
        assert_eq!(l.text, "[ctx");
        assert_eq!(l.column_of(0), 12);
    }

    #[test]
    fn line_kinds() {
        let table: &[(&str, Line)] = &[
            (
                "[general]",
                Line::Category {
                    name: "general",
                    options: None,
                },
            ),
            (
                "[tpl](!)",
                Line::Category {
                    name: "tpl",
                    options: Some(vec!["!"]),
                },
            ),
            (
                "[a](t1,t2)",
                Line::Category {
                    name: "a",
                    options: Some(vec!["t1", "t2"]),
                },
            ),
            (
                "[a](+)",
                Line::Category {
                    name: "a",
                    options: Some(vec!["+"]),
                },
            ),
            (
                "#include \"x.conf\"",
                Line::Directive {
                    word: "include",
                    argument: Some("\"x.conf\""),
                },
            ),
            (
                "#tryinclude",
                Line::Directive {
                    word: "tryinclude",
                    argument: None,
                },
            ),
            (
                "exten => 1,1,NoOp()",
                Line::Assignment {
                    name: "exten",
                    value: "1,1,NoOp()",
                    object: true,
                    append: false,
                },
            ),
            (
                "a=b=c",
                Line::Assignment {
                    name: "a",
                    value: "b=c",
                    object: false,
                    append: false,
                },
            ),
            (
                "allow += ulaw",
                Line::Assignment {
                    name: "allow",
                    value: " ulaw",
                    object: false,
                    append: true,
                },
            ),
            (
                "\\[x = y",
                Line::Assignment {
                    name: "[x",
                    value: "y",
                    object: false,
                    append: false,
                },
            ),
        ];
        for (input, expected) in table {
            assert_eq!(&parse_line(input).expect(input), expected, "{input}");
        }
    }

    #[test]
    fn line_errors() {
        let e = parse_line("[broken").expect_err("no ]");
        assert!(e.fatal);
        assert!(e.message.contains("']'"));
        let e = parse_line("novalue").expect_err("no =");
        assert!(!e.fatal);
        let e = parse_line("[x](a").expect_err("no )");
        assert!(e.fatal);
        let e = parse_line("= v").expect_err("no name");
        assert!(!e.fatal);
    }
}
