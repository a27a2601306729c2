//! A bounded, deterministic fuzz pass over the HTTP request parser and
//! the AJAM helpers (what `cargo fuzz run http_request` checks at
//! length): mangled requests, fed whole or in pieces, give the same head
//! or error and never panic.

mod common;
use asterism::http::request::{HeadParser, RequestError, chunk_size, parse_form, uri_decode};
use asterism::manager::http::{Digest, translate};
use common::Rng;

const PIECES: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD",
    b" ",
    b"/asterisk/rawman",
    b"?",
    b"&",
    b"=",
    b"%",
    b"%4",
    b"%zz",
    b"+",
    b" HTTP/1.1",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"\xff",
    b":",
    b"Content-Length: ",
    b"-1",
    b"99999999999999999999",
    b"Transfer-Encoding: chunked",
    b"Cookie: mansession_id=\"",
    b"\"",
    b";",
    b"Authorization: Digest username=\"a\", nonce=",
    b"\t",
    b"Host",
];

fn feed_all(
    data: &[u8],
    split: usize,
) -> Result<Option<asterism::http::request::RequestHead>, RequestError> {
    let mut p = HeadParser::new();
    let mut buf = Vec::new();
    let mut last = Ok(None);
    for chunk in data.chunks(split.max(1)) {
        buf.extend_from_slice(chunk);
        last = p.feed(&mut buf);
        if !matches!(last, Ok(None)) {
            break;
        }
    }
    last
}

#[test]
fn mangled_requests_never_panic() {
    let mut rng = Rng(0x5eed_4a7a_0000_0001);
    for round in 0..4000 {
        let mut data = Vec::new();
        for _ in 0..rng.below(60) {
            data.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        // Now and then a line far past the limit.
        if round % 97 == 0 {
            data.extend(std::iter::repeat_n(b'x', 5000));
        }
        let whole = feed_all(&data, data.len());
        let pieces = feed_all(&data, 1 + rng.below(17));
        assert_eq!(
            whole,
            pieces,
            "round {round}: {:?}",
            String::from_utf8_lossy(&data)
        );
        if let Ok(Some(h)) = &whole {
            let _ = (
                h.query(),
                h.cookies(),
                h.body_kind(),
                h.content_type(),
                h.path(),
            );
            assert!(h.headers.len() <= asterism::http::request::MAX_HEADERS);
        }
        let text = String::from_utf8_lossy(&data);
        let _ = (uri_decode(&data), chunk_size(&data), Digest::parse(&text));
        let mut out = String::new();
        translate(&mut out, &text, &parse_form(&data), round % 2 == 0);
    }
}
