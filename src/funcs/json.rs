//! JSON_DECODE (Asterisk's `func_json.c`), with the JSON reading and
//! compact writing it gets from jansson, reproduced here: what jansson
//! refuses is refused (a top level other than an object or array, `\u0000`,
//! lone surrogates, leading zeros, integers beyond 64 bits, reals beyond
//! `double`, nesting past 2048 values), object keys keep their order and a
//! repeated key replaces the earlier value where it stood, and dumps print
//! reals as jansson's `%.17g` with its `.0` and exponent touch-ups.

use super::{Failed, FuncCtx, Function};

const FILE: &str = "func_json.c";
/// func_json.c's own limit on how deep a key may reach.
const MAX_JSON_STACK: usize = 32;
/// jansson's `JSON_PARSER_MAX_DEPTH`: values nested deeper do not parse.
const MAX_PARSE_DEPTH: usize = 2048;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "JSON_DECODE",
        read: Some(json_decode),
        write: None,
        synopsis: "Gives one value of the JSON held in a variable, by key path.",
        syntax: "JSON_DECODE(varname,item[,separator[,options]])",
    }]
}

/// One JSON value (jansson's `json_t`); containers name their members by
/// index into the [`Doc`] that holds them.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    String(String),
    Array(Vec<usize>),
    /// Keys in the order they first appeared.
    Object(Vec<(String, usize)>),
}

/// A parsed JSON text. Values live side by side, not nested, so that
/// 2048 levels are read, written and dropped without deep recursion.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    nodes: Vec<Node>,
    root: usize,
}

impl Doc {
    pub fn root(&self) -> usize {
        self.root
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// `json_object_get`.
    fn member(&self, i: usize, key: &str) -> Option<usize> {
        match &self.nodes[i] {
            Node::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| *v),
            _ => None,
        }
    }
}

/// `json_loadb(text, len, 0)`: `None` where jansson reports an error.
pub fn parse(text: &[u8]) -> Option<Doc> {
    // jansson decodes UTF-8 as it reads and a successful parse reads to
    // the end, so any invalid sequence anywhere fails the whole text.
    std::str::from_utf8(text).ok()?;
    let mut p = Parser {
        b: text,
        pos: 0,
        nodes: Vec::new(),
    };
    p.skip_blanks();
    if !matches!(p.peek(), Some(b'{' | b'[')) {
        return None;
    }
    let root = p.document()?;
    p.skip_blanks();
    (p.pos == p.b.len()).then_some(Doc {
        nodes: p.nodes,
        root,
    })
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
}

/// A container being read, and for an object the key its next value
/// goes under.
struct Open {
    node: usize,
    key: Option<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The next byte after blanks, consumed.
    fn token(&mut self) -> Option<u8> {
        self.skip_blanks();
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn add(&mut self, n: Node) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// `"key" :` of an object member.
    fn member_key(&mut self) -> Option<String> {
        if self.token()? != b'"' {
            return None;
        }
        let key = self.string()?;
        if key.contains('\0') || self.token()? != b':' {
            return None;
        }
        Some(key)
    }

    /// The value at the cursor and everything in it, with an explicit
    /// stack of the containers open around the current value.
    fn document(&mut self) -> Option<usize> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            // jansson counts every value, scalars included: the one read
            // now sits inside every open container.
            if open.len() + 1 > MAX_PARSE_DEPTH {
                return None;
            }
            self.skip_blanks();
            let mut done = match self.peek()? {
                b'{' => {
                    self.pos += 1;
                    let node = self.add(Node::Object(Vec::new()));
                    self.skip_blanks();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        node
                    } else {
                        let key = self.member_key()?;
                        open.push(Open {
                            node,
                            key: Some(key),
                        });
                        continue;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    let node = self.add(Node::Array(Vec::new()));
                    self.skip_blanks();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        node
                    } else {
                        open.push(Open { node, key: None });
                        continue;
                    }
                }
                _ => {
                    let n = self.scalar()?;
                    self.add(n)
                }
            };
            // A value is complete: put it in its container, and close
            // every container that ends right after it.
            loop {
                let Some(top) = open.last_mut() else {
                    return Some(done);
                };
                let parent = top.node;
                match (&mut self.nodes[parent], top.key.take()) {
                    (Node::Object(members), Some(key)) => {
                        // A repeated key keeps its place with the new value.
                        match members.iter_mut().find(|(k, _)| *k == key) {
                            Some(slot) => slot.1 = done,
                            None => members.push((key, done)),
                        }
                    }
                    (Node::Array(items), _) => items.push(done),
                    _ => return None,
                }
                let is_object = matches!(self.nodes[parent], Node::Object(_));
                match (self.token()?, is_object) {
                    (b',', true) => {
                        let key = self.member_key()?;
                        if let Some(top) = open.last_mut() {
                            top.key = Some(key);
                        }
                        break;
                    }
                    (b',', false) => break,
                    (b'}', true) | (b']', false) => {
                        open.pop();
                        done = parent;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A string, number or `true`/`false`/`null` at the cursor.
    fn scalar(&mut self) -> Option<Node> {
        Some(match self.peek()? {
            b'"' => {
                self.pos += 1;
                let s = self.string()?;
                // `\u0000` decodes, then is refused (no JSON_ALLOW_NUL).
                if s.contains('\0') {
                    return None;
                }
                Node::String(s)
            }
            b'-' | b'0'..=b'9' => self.number()?,
            c if c.is_ascii_alphabetic() => {
                // jansson reads the whole word before judging it.
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    self.pos += 1;
                }
                match &self.b[start..self.pos] {
                    b"true" => Node::Bool(true),
                    b"false" => Node::Bool(false),
                    b"null" => Node::Null,
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer when
    /// there is neither fraction nor exponent (and it fits 64 bits), else a
    /// finite double.
    fn number(&mut self) -> Option<Node> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return None;
                }
            }
            Some(c) if c.is_ascii_digit() => {
                digits(self);
            }
            _ => return None,
        }
        let mut real = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
            real = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
            real = true;
        }
        let text = std::str::from_utf8(&self.b[start..self.pos]).ok()?;
        if real {
            let v: f64 = text.parse().ok()?;
            v.is_finite().then_some(Node::Real(v))
        } else {
            text.parse().ok().map(Node::Integer)
        }
    }

    /// A string body after its opening quote, escapes decoded.
    fn string(&mut self) -> Option<String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                0..=0x1f => return None,
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    let simple = match e {
                        b'"' | b'\\' | b'/' => e,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let cp = self.unicode_escape()?;
                            let ch = char::from_u32(cp)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(simple);
                }
                _ => out.push(c),
            }
        }
    }

    /// `\uXXXX` after the `u`: a code point, a high surrogate only with
    /// its low half right after, never a lone low surrogate.
    fn unicode_escape(&mut self) -> Option<u32> {
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return None;
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                Some(((first - 0xD800) << 10) + (second - 0xDC00) + 0x10000)
            }
            0xDC00..=0xDFFF => None,
            cp => Some(cp),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.pos..self.pos + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(s, 16).ok()
    }
}

/// `json_dumps(v, JSON_COMPACT)` of one value of `doc`: no blanks, keys
/// in order, non-ASCII as is.
pub fn dump_compact(doc: &Doc, node: usize) -> String {
    enum Work<'a> {
        Value(usize),
        Text(&'static str),
        Key(&'a str),
    }
    let mut out = String::new();
    let mut work = vec![Work::Value(node)];
    while let Some(w) = work.pop() {
        match w {
            Work::Text(t) => out.push_str(t),
            Work::Key(k) => {
                dump_string(k, &mut out);
                out.push(':');
            }
            Work::Value(i) => match doc.node(i) {
                Node::Null => out.push_str("null"),
                Node::Bool(true) => out.push_str("true"),
                Node::Bool(false) => out.push_str("false"),
                Node::Integer(v) => out.push_str(&v.to_string()),
                Node::Real(d) => out.push_str(&dump_real(*d)),
                Node::String(s) => dump_string(s, &mut out),
                Node::Array(items) => {
                    out.push('[');
                    work.push(Work::Text("]"));
                    for (n, item) in items.iter().enumerate().rev() {
                        work.push(Work::Value(*item));
                        if n > 0 {
                            work.push(Work::Text(","));
                        }
                    }
                }
                Node::Object(members) => {
                    out.push('{');
                    work.push(Work::Text("}"));
                    for (n, (k, item)) in members.iter().enumerate().rev() {
                        work.push(Work::Value(*item));
                        work.push(Work::Key(k));
                        if n > 0 {
                            work.push(Work::Text(","));
                        }
                    }
                }
            },
        }
    }
    out
}

/// `%.17g` of a double, as C prints it.
fn g17(d: f64) -> String {
    let spec = super::c::Spec {
        conv: b'g',
        precision: Some(17),
        ..Default::default()
    };
    String::from_utf8_lossy(&super::c::format_double(&spec, d)).into_owned()
}

/// jansson's `jsonp_dtostr`: `%.17g`, then `.0` when it reads as an
/// integer, and the exponent without `+` or leading zeros.
fn dump_real(d: f64) -> String {
    let mut s = g17(d);
    if !s.contains('.') && !s.contains('e') {
        s.push_str(".0");
    }
    if let Some(e) = s.find('e') {
        let (mant, exp) = s.split_at(e + 1);
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", exp.strip_prefix('+').unwrap_or(exp)),
        };
        let digits = digits.trim_start_matches('0');
        s = format!("{mant}{sign}{digits}");
    }
    s
}

fn dump_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `strsep(&rest, sep)` with a one-byte separator: the next field, the
/// rest gone after the last one.
fn next_key<'a>(rest: &mut Option<&'a str>, sep: &str) -> Option<&'a str> {
    let r = rest.take()?;
    match r.find(sep) {
        Some(i) => {
            *rest = Some(&r[i + sep.len()..]);
            Some(&r[..i])
        }
        None => Some(r),
    }
}

/// What one step of the walk found; `Err` is a failed read (the value
/// read so far is empty either way).
struct Walk<'a, 'k> {
    ctx: &'a FuncCtx<'a>,
    sep: &'k str,
    count: bool,
    depth: usize,
}

impl<'k> Walk<'_, 'k> {
    /// `parse_node`: `node` is what the last key named (absent: nothing
    /// there).
    fn node(
        &mut self,
        doc: &Doc,
        rest: &mut Option<&'k str>,
        node: Option<usize>,
        out: &mut String,
    ) -> Result<(), Failed> {
        self.depth += 1;
        if self.depth > MAX_JSON_STACK {
            self.ctx.warning(
                crate::site!(FILE, 106, "parse_node"),
                &format!("Max JSON stack ({MAX_JSON_STACK}) exceeded"),
            );
            return Err(Failed);
        }
        out.clear();
        let Some(node) = node else {
            return Err(Failed);
        };
        match doc.node(node) {
            Node::String(s) => out.push_str(s),
            // Printed as a C int: wider integers keep their low 32 bits.
            Node::Integer(i) => out.push_str(&(*i as i32).to_string()),
            Node::Real(d) => out.push_str(&g17(*d)),
            Node::Bool(b) => out.push_str(if *b { "1" } else { "0" }),
            Node::Null => {}
            Node::Array(items) => match next_key(rest, self.sep) {
                None if self.count => out.push_str(&items.len().to_string()),
                None => out.push_str(&dump_compact(doc, node)),
                // A bad or out-of-range index reads as empty, not failed.
                Some(k) => match crate::apps::say::parse_c_int(k) {
                    Some(i) if i >= 0 && (i as usize) < items.len() => {
                        self.node(doc, rest, Some(items[i as usize]), out)?
                    }
                    _ => {}
                },
            },
            Node::Object(_) => match next_key(rest, self.sep) {
                None => out.push_str(&dump_compact(doc, node)),
                Some(k) => self.node(doc, rest, doc.member(node, k), out)?,
            },
        }
        Ok(())
    }
}

fn json_decode(ctx: &FuncCtx<'_>, data: &str) -> Result<String, Failed> {
    let args = super::c::app_args(data, 4);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let (varname, key, nestchar, options) = (arg(0), arg(1), arg(2), arg(3));
    let count = !options.is_empty()
        && crate::apps::options::parse(&ctx.sys.pbx.logger, options, "c").is_ok_and(|o| o.has('c'));
    if varname.is_empty() {
        ctx.warning(
            crate::site!(FILE, 222, "json_decode_read"),
            &format!("{} requires a variable name", ctx.name),
        );
        return Err(Failed);
    }
    if key.is_empty() {
        ctx.warning(
            crate::site!(FILE, 227, "json_decode_read"),
            &format!("{} requires a key", ctx.name),
        );
        return Err(Failed);
    }
    let mut sep = ".";
    if !nestchar.is_empty() {
        let len = crate::core::raw::encode(nestchar).len();
        if len != 1 {
            ctx.warning(
                crate::site!(FILE, 235, "json_decode_read"),
                &format!(
                    "Nesting separator '{nestchar}' has length {len} and is invalid (must be a single character)"
                ),
            );
        } else {
            sep = nestchar;
        }
    }
    let text = crate::pbx::subst::substitute(ctx.sys, ctx.chan, &format!("${{{varname}}}"));
    if text.is_empty() {
        return Err(Failed);
    }
    let Some(doc) = parse(&crate::core::raw::encode(&text)) else {
        ctx.warning(
            crate::site!(FILE, 277, "json_decode_read"),
            &format!("Failed to parse as JSON: {text}"),
        );
        return Err(Failed);
    };
    let mut rest = Some(key);
    let first = next_key(&mut rest, sep).unwrap_or("");
    let root = doc.root();
    let start = match doc.node(root) {
        Node::Object(_) => doc.member(root, first),
        Node::Array(items) => {
            let i = crate::apps::say::parse_c_int(first).ok_or(Failed)?;
            usize::try_from(i).ok().and_then(|i| items.get(i)).copied()
        }
        _ => None,
    };
    let mut walk = Walk {
        ctx,
        sep,
        count,
        depth: 0,
    };
    let mut out = String::new();
    walk.node(&doc, &mut rest, start, &mut out)?;
    Ok(super::hash::cut(out, super::strings::LEGACY_BUF))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> Option<String> {
        parse(text.as_bytes()).map(|d| dump_compact(&d, d.root()))
    }

    /// What jansson 2.14 reads and how it writes it back compact (checked
    /// against libjansson itself).
    #[test]
    fn parses_and_dumps_as_jansson() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"a":1}"#, Some(r#"{"a":1}"#)),
            (
                " { \"b\" : [ 1 , 2 ] , \"a\" : { } } \n",
                Some(r#"{"b":[1,2],"a":{}}"#),
            ),
            (r#"{"a":1,"b":2,"a":3}"#, Some(r#"{"a":3,"b":2}"#)),
            ("[]", Some("[]")),
            (
                "[0.1,1e300,1.5,100.0,1e-5,-0.0,1e22,123456789012345678]",
                Some(
                    "[0.10000000000000001,1.0000000000000001e300,1.5,100.0,1.0000000000000001e-5,-0.0,1e22,123456789012345678]",
                ),
            ),
            (
                "[-0,0,-1,9223372036854775807,-9223372036854775808]",
                Some("[0,0,-1,9223372036854775807,-9223372036854775808]"),
            ),
            ("[true,false,null]", Some("[true,false,null]")),
            (
                r#"{"x":"\u00e9\n\u0001\/\ud83d\ude00\u007f\"\\\b\f\r\t"}"#,
                Some("{\"x\":\"\u{e9}\\n\\u0001/\u{1F600}\u{7f}\\\"\\\\\\b\\f\\r\\t\"}"),
            ),
            // Refused.
            ("1", None),
            ("\"a\"", None),
            ("null", None),
            ("", None),
            ("   ", None),
            ("[1,]", None),
            (r#"{"a":1,}"#, None),
            ("[01]", None),
            ("[1.]", None),
            ("[.5]", None),
            ("[1e]", None),
            ("[-]", None),
            ("[+1]", None),
            ("[9223372036854775808]", None),
            ("[1e400]", None),
            ("[truex]", None),
            ("[True]", None),
            (r#"["\u0000"]"#, None),
            (r#"{"\u0000":1}"#, None),
            (r#"["\ud800"]"#, None),
            (r#"["\udc00"]"#, None),
            (r#"["\ud800\u0041"]"#, None),
            (r#"["\x"]"#, None),
            (r#"["\u12"]"#, None),
            ("[\"a\tb\"]", None),
            ("{\"a\":1} x", None),
            ("{a:1}", None),
            ("[1 2]", None),
            (r#"{"a" 1}"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(round_trip(text).as_deref(), *want, "{text}");
        }
        // Invalid UTF-8 anywhere, even inside a string.
        assert_eq!(parse(b"[\"\xff\"]"), None);
        assert_eq!(parse(b"[1] \xc3"), None);
    }

    #[test]
    fn nesting_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(2048).as_bytes()).is_some());
        assert!(parse(deep(2049).as_bytes()).is_none());
        // A scalar inside counts as one more level.
        let with_scalar = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(with_scalar(2047).as_bytes()).is_some());
        assert!(parse(with_scalar(2048).as_bytes()).is_none());
    }

    #[test]
    fn reals_as_jansson_and_as_printf() {
        let cases: &[(f64, &str, &str)] = &[
            (2.5, "2.5", "2.5"),
            (100.0, "100.0", "100"),
            (1e300, "1.0000000000000001e300", "1.0000000000000001e+300"),
            (1e-5, "1.0000000000000001e-5", "1.0000000000000001e-05"),
            (-0.0, "-0.0", "-0"),
            (1e17, "1e17", "1e+17"),
            (0.1, "0.10000000000000001", "0.10000000000000001"),
        ];
        for (v, dumped, printed) in cases {
            assert_eq!(dump_real(*v), *dumped, "{v}");
            assert_eq!(g17(*v), *printed, "{v}");
        }
    }

    #[test]
    fn keys_split_as_strsep() {
        let mut rest = Some("a.b..c.");
        let mut got = Vec::new();
        while let Some(k) = next_key(&mut rest, ".") {
            got.push(k);
        }
        assert_eq!(got, vec!["a", "b", "", "c", ""]);
    }

    fn decode(sys: &crate::core::System, json: &str, args: &str) -> Option<String> {
        crate::pbx::set_global(sys, "J", Some(json));
        super::super::read(sys, None, &format!("JSON_DECODE(J,{args})"))
    }

    #[test]
    fn walking_keys() {
        let (_dir, sys) = super::super::test_system(&[]);
        let doc = r#"{"a":{"b":[10,{"c":"deep"},null,true,2.5,4294967297]},"k":"v","":"empty"}"#;
        let cases: &[(&str, Option<&str>)] = &[
            ("k", Some("v")),
            (
                "a",
                Some(r#"{"b":[10,{"c":"deep"},null,true,2.5,4294967297]}"#),
            ),
            ("a.b", Some(r#"[10,{"c":"deep"},null,true,2.5,4294967297]"#)),
            ("a.b,,c", Some("6")),
            ("a.b.0", Some("10")),
            ("a.b.1.c", Some("deep")),
            ("a.b.2", Some("")),
            ("a.b.3", Some("1")),
            ("a.b.4", Some("2.5")),
            ("a.b.5", Some("1")),
            ("a.b.6", Some("")),
            ("a.b.-1", Some("")),
            ("a.b.x", Some("")),
            ("a/b/1/c,/", Some("deep")),
            ("a.nope", None),
            ("nope", None),
            ("k.more", Some("v")),
            ("a.", None),
            ("a..", None),
        ];
        for (args, want) in cases {
            assert_eq!(decode(&sys, doc, args).as_deref(), *want, "{args}");
        }
        let arr = r#"[{"x":1},[5,6]]"#;
        assert_eq!(decode(&sys, arr, "0.x").as_deref(), Some("1"));
        assert_eq!(decode(&sys, arr, "1,,c").as_deref(), Some("2"));
        assert_eq!(decode(&sys, arr, "1.1").as_deref(), Some("6"));
        assert_eq!(decode(&sys, arr, "x"), None);
        assert_eq!(decode(&sys, arr, "5"), None);
        assert_eq!(decode(&sys, arr, "-1"), None);
        // 33 steps down is one too many for func_json.c.
        let nested = format!("{}1{}", "{\"a\":".repeat(33), "}".repeat(33));
        let key = vec!["a"; 33].join(".");
        assert_eq!(decode(&sys, &nested, &key), None);
        let key = vec!["a"; 32].join(".");
        assert_eq!(decode(&sys, &nested, &key).as_deref(), Some("{\"a\":1}"));
    }
}
