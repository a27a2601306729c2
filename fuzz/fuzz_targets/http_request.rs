//! Any bytes fed to the HTTP request parser, in any split, must give a
//! head, an error or a wish for more, the same however they were split;
//! the form, cookie, digest and AJAM translation helpers must not panic.
#![no_main]

use asterism::http::request::{HeadParser, chunk_size, parse_form, uri_decode};
use asterism::manager::http::{Digest, translate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(1, |b| usize::from(*b).max(1));
    let mut whole = data.to_vec();
    let at_once = HeadParser::new().feed(&mut whole);
    let mut p = HeadParser::new();
    let mut buf = Vec::new();
    let mut piecewise = Ok(None);
    for chunk in data.chunks(split) {
        buf.extend_from_slice(chunk);
        piecewise = p.feed(&mut buf);
        if !matches!(piecewise, Ok(None)) {
            break;
        }
    }
    assert_eq!(at_once, piecewise);
    if let Ok(Some(h)) = at_once {
        let _ = (
            h.query(),
            h.cookies(),
            h.body_kind(),
            h.content_type(),
            h.path(),
        );
    }
    let text = String::from_utf8_lossy(data);
    let _ = (
        parse_form(data),
        uri_decode(data),
        chunk_size(data),
        Digest::parse(&text),
    );
    let mut out = String::new();
    translate(&mut out, &text, &parse_form(data), data.len() % 2 == 0);
});
