use super::*;

pub(crate) const INVITE: &str = "INVITE sip:601@127.0.0.1:5070 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5076;branch=z9hG4bK-12202-1-0\r\n\
From: \"2001\" <sip:2001@127.0.0.1:5076>;tag=12202SIPpTag001\r\n\
To: <sip:601@127.0.0.1:5070>\r\n\
Call-ID: 1-12202@127.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:2001@127.0.0.1:5076>\r\n\
Max-Forwards: 70\r\n\
User-Agent: SIPp\r\n\
Content-Type: application/sdp\r\n\
Content-Length:   198\r\n\
\r\n\
v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 16020 RTP/AVP 0 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n";

fn request(bytes: &[u8]) -> Request {
    match parse_datagram(bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

#[test]
fn invite_fields() {
    let r = request(INVITE.as_bytes());
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri.to_string(), "sip:601@127.0.0.1:5070");
    let h = &r.headers;
    assert_eq!(h.top_via().unwrap().branch(), Some("z9hG4bK-12202-1-0"));
    let from = h.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some("2001"));
    assert_eq!(from.tag(), Some("12202SIPpTag001"));
    assert_eq!(h.to().unwrap().tag(), None);
    assert_eq!(h.call_id().unwrap(), "1-12202@127.0.0.1");
    assert_eq!(h.cseq().unwrap().seq, 1);
    assert_eq!(h.max_forwards().unwrap(), Some(70));
    assert_eq!(h.expires().unwrap(), None);
    assert_eq!(h.contacts().unwrap()[0].uri.user.as_deref(), Some("2001"));
    assert_eq!(r.body.len(), 198);
}

#[test]
fn serialise_keeps_order_and_fixes_content_length() {
    let r = request(INVITE.as_bytes());
    let out = String::from_utf8(r.to_bytes()).unwrap();
    // Only the Content-Length spacing differs from the input.
    assert_eq!(
        out,
        INVITE.replace("Content-Length:   198", "Content-Length: 198")
    );
}

/// A Latin-1 display name (old phones send them) is kept byte for byte,
/// as Asterisk keeps it, and goes out again unchanged.
#[test]
fn display_names_that_are_not_utf8() {
    let latin1 = |text: &str| -> Vec<u8> {
        text.replace("\"2001\"", "\"M\u{1}ller\"")
            .bytes()
            .map(|b| if b == 1 { 0xfc } else { b })
            .collect()
    };
    let r = request(&latin1(INVITE));
    let name = r.headers.from().unwrap().display_name.unwrap();
    assert_eq!(&*crate::core::raw::encode(&name), b"M\xfcller");
    // Only the Content-Length spacing differs from the input.
    assert_eq!(
        r.to_bytes(),
        latin1(&INVITE.replace("Content-Length:   198", "Content-Length: 198"))
    );
}

#[test]
fn compact_forms_and_lists() {
    let msg = "OPTIONS sip:a@b SIP/2.0\r\n\
v: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2;branch=z9hG4bK2\r\n\
v: SIP/2.0/UDP h3;branch=z9hG4bK3\r\n\
f: <sip:x@y>;tag=1\r\nt: sip:a@b\r\ni: abc\r\nCSEQ: 2 OPTIONS\r\n\
m: \"a, b\" <sip:c@d>, <sip:e@f;x=1,2>\r\n\
k: timer, 100rel\r\nl: 0\r\n\r\n";
    let r = request(msg.as_bytes());
    let names: Vec<&str> = r.headers.0.iter().map(|h| &*h.name).collect();
    assert_eq!(
        names,
        [
            "Via",
            "Via",
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "Contact",
            "Contact",
            "Supported",
            "Content-Length"
        ]
    );
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[1].transport, "TCP");
    let contacts = r.headers.contacts().unwrap();
    assert_eq!(contacts[0].display_name.as_deref(), Some("a, b"));
    assert_eq!(contacts[1].uri.params.value("x"), Some("1,2"));
    // Supported is a list too but is not split.
    assert_eq!(r.headers.get("Supported"), Some("timer, 100rel"));
    assert_eq!(r.headers.get("i"), Some("abc"));
}

#[test]
fn folded_header_lines() {
    let msg = "BYE sip:a@b SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\n\tplease\r\nl: 0\r\n\r\n";
    let r = request(msg.as_bytes());
    assert_eq!(
        r.headers.get("Subject"),
        Some("I know you're there, pick up the phone please")
    );
}

#[test]
fn status_line_and_reason() {
    let m =
        parse_datagram(b"SIP/2.0 481 Call/Transaction Does Not Exist\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
    let Message::Response(r) = m else {
        panic!("response")
    };
    assert_eq!(r.status, 481);
    assert_eq!(r.reason, "Call/Transaction Does Not Exist");
    let m = parse_datagram(b"SIP/2.0 200 \r\n\r\n").unwrap();
    assert!(matches!(m, Message::Response(Response { status: 200, .. })));
}

#[test]
fn datagram_body_rules() {
    // No Content-Length over UDP: the body is the rest of the datagram.
    let r = request(b"MESSAGE sip:a@b SIP/2.0\r\n\r\nhello");
    assert_eq!(r.body, b"hello");
    // Bytes past Content-Length are discarded (RFC 3261 18.3).
    let r = request(b"MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhello");
    assert_eq!(r.body, b"he");
    // Leading CRLFs are ignored (RFC 3261 7.5).
    let r = request(b"\r\n\r\nMESSAGE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
    assert_eq!(r.method, Method::Message);
    // Bare LF line ends are tolerated.
    let r = request(b"MESSAGE sip:a@b SIP/2.0\nContent-Length: 1\n\nx");
    assert_eq!(r.body, b"x");
}

/// What the strict parser refuses, the tolerant one reads and reports, so
/// that each driver can keep its own leniency (chan_sip more than pjsip).
#[test]
fn tolerated_defects() {
    let (m, d) = parse_datagram_tolerant(b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n").unwrap();
    assert_eq!(d, vec![Defect::NoBlankLine]);
    assert_eq!(m.headers().call_id().unwrap(), "x");
    let (m, d) = parse_datagram_tolerant(
        b"OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\nl: five\r\nCall-ID: y\r\n\r\nbody",
    )
    .unwrap();
    assert_eq!(
        d,
        vec![
            Defect::HeaderLine("no colon here".into()),
            Defect::ContentLength("five".into())
        ]
    );
    let Message::Request(r) = m else {
        panic!("request")
    };
    assert_eq!(r.body, b"body");
    assert_eq!(r.headers.call_id().unwrap(), "y");
    let (m, d) =
        parse_datagram_tolerant(b"MESSAGE sip:a@b SIP/2.0\r\nl: 500\r\n\r\nhello").unwrap();
    assert_eq!(d, vec![Defect::BodyShort { have: 5, want: 500 }]);
    let Message::Request(r) = m else {
        panic!("request")
    };
    assert_eq!(r.body, b"hello");
    // The strict parser turns the first defect into its error.
    assert!(matches!(
        parse_datagram(b"MESSAGE sip:a@b SIP/2.0\r\nl: 500\r\n\r\nhello"),
        Err(ParseError::BodyTruncated { have: 5, want: 500 })
    ));
    // Not SIP at all stays an error.
    assert!(parse_datagram_tolerant(b"hello there\r\n\r\n").is_err());
}

#[test]
fn stream_framing() {
    let one = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 3\r\n\r\nabc";
    let two = format!("\r\n\r\n{one}{one}");
    let buf = two.as_bytes();
    let (m, used) = parse_stream(buf).unwrap().unwrap();
    assert_eq!(m.body(), b"abc");
    assert_eq!(used, 4 + one.len());
    let (_, used2) = parse_stream(&buf[used..]).unwrap().unwrap();
    assert_eq!(used + used2, buf.len());
    // Every strict prefix needs more bytes.
    for cut in 0..one.len() {
        assert_eq!(parse_stream(&one.as_bytes()[..cut]), Ok(None), "cut {cut}");
    }
    assert_eq!(
        parse_stream(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"),
        Err(ParseError::MissingContentLength)
    );
    let mut huge = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
    huge.resize(MAX_MESSAGE_SIZE + 10, b'a');
    assert_eq!(parse_stream(&huge), Err(ParseError::TooLarge));
}

#[test]
fn error_table() {
    let big_header = format!(
        "OPTIONS sip:a@b SIP/2.0\r\nX: {}\r\n\r\n",
        "a".repeat(70_000)
    );
    let many = format!(
        "OPTIONS sip:a@b SIP/2.0\r\n{}\r\n",
        "X: 1\r\n".repeat(MAX_HEADERS + 1)
    );
    let cases: Vec<(&[u8], ParseError)> = vec![
        (b"", ParseError::Empty),
        (b"\r\n\r\n", ParseError::Empty),
        (b"INVITE sip:a@b SIP/2.0\r\nVia: x", ParseError::Truncated),
        (
            b"INVITE sip:a@b SIP/2.0\r\n\xff: x\r\n\r\n",
            ParseError::NotUtf8,
        ),
        (
            b"INVITE sip:a@b\r\n\r\n",
            ParseError::StartLine("INVITE sip:a@b".into()),
        ),
        (
            b"INVITE sip:a@b SIP/3.0\r\n\r\n",
            ParseError::Version("SIP/3.0".into()),
        ),
        (b"SIP/2.0 99 Odd\r\n\r\n", ParseError::Status("99".into())),
        (b"SIP/2.0 700 Odd\r\n\r\n", ParseError::Status("700".into())),
        (
            b"SIP/2.0 2000 Odd\r\n\r\n",
            ParseError::Status("2000".into()),
        ),
        (
            b"INV(TE sip:a@b SIP/2.0\r\n\r\n",
            ParseError::Method("INV(TE".into()),
        ),
        (
            b"INVITE a@b SIP/2.0\r\n\r\n",
            ParseError::RequestUri(UriError::NoScheme),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
            ParseError::HeaderLine("NoColon".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n",
            ParseError::HeaderLine("Bad Name: x".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nl: -1\r\n\r\n",
            ParseError::ContentLength("-1".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nl: 99999999999999999999\r\n\r\n",
            ParseError::ContentLength("99999999999999999999".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nl: 70000\r\n\r\n",
            ParseError::ContentLength("70000".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
            ParseError::ContentLength("2".into()),
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nl: 10\r\n\r\nabc",
            ParseError::BodyTruncated { have: 3, want: 10 },
        ),
        (
            b"INVITE sip:a@b SIP/2.0\r\nX: a\x01b\r\n\r\n",
            ParseError::HeaderLine("X: a\u{1}b".into()),
        ),
        (big_header.as_bytes(), ParseError::TooLarge),
        (many.as_bytes(), ParseError::TooManyHeaders),
    ];
    for (input, want) in cases {
        let shown = String::from_utf8_lossy(&input[..input.len().min(40)]).into_owned();
        assert_eq!(parse_datagram(input), Err(want), "{shown:?}");
    }
}

#[test]
fn typed_accessor_errors() {
    let r = request(b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: x\r\nMax-Forwards: many\r\nl: 0\r\n\r\n");
    assert_eq!(r.headers.top_via(), Err(HeaderError::Missing("Via")));
    assert!(r.headers.cseq().is_err());
    assert!(r.headers.max_forwards().is_err());
    assert_eq!(r.headers.call_id(), Err(HeaderError::Missing("Call-ID")));
}

#[test]
fn response_for_request_copies_rfc_headers() {
    let r = request(INVITE.as_bytes());
    let resp = Response::for_request(&r, 100);
    let names: Vec<&str> = resp.headers.0.iter().map(|h| &*h.name).collect();
    assert_eq!(names, ["Via", "From", "To", "Call-ID", "CSeq"]);
    assert_eq!(resp.reason, "Trying");
}

#[test]
fn headers_editing() {
    let mut h = Headers::default();
    h.push("Via", "SIP/2.0/UDP a");
    h.push("To", "<sip:a@b>");
    h.push_front("v", "SIP/2.0/UDP b");
    h.push("Via", "SIP/2.0/UDP c");
    assert_eq!(
        h.get_all("Via").collect::<Vec<_>>(),
        ["SIP/2.0/UDP b", "SIP/2.0/UDP a", "SIP/2.0/UDP c"]
    );
    h.set("via", "SIP/2.0/UDP z");
    assert_eq!(h.get_all("Via").collect::<Vec<_>>(), ["SIP/2.0/UDP z"]);
    assert_eq!(h.0[0].name, "Via");
    h.remove("t");
    assert_eq!(h.get("To"), None);
}

/// Every message in the reference transcripts parses, serialises and
/// parses back to the same message.
#[test]
fn reference_transcripts_round_trip() {
    let dir = std::path::Path::new("/work/shared/reference/asterisk-20.20.1/transcripts");
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("transcripts dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".sip.log"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read(&path).expect("read");
        for msg in transcript_messages(&text) {
            let first = parse_datagram(msg).unwrap_or_else(|e| {
                panic!("{}: {e}\n{}", path.display(), String::from_utf8_lossy(msg))
            });
            let bytes = first.to_bytes();
            let second = parse_datagram(&bytes).expect("reparse");
            assert_eq!(first, second, "{}", path.display());
            // Typed accessors work on every captured message.
            let h = first.headers();
            h.vias().unwrap();
            h.from().unwrap();
            h.to().unwrap();
            h.call_id().unwrap();
            h.cseq().unwrap();
            h.contacts().unwrap();
            seen += 1;
        }
    }
    assert!(seen >= 50, "only {seen} messages found");
}

/// Splits a capture into its messages, using the byte count each entry
/// states ("UDP message sent (557 bytes):" / "received [284] bytes :").
pub(crate) fn transcript_messages(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let s = String::from_utf8_lossy(text);
    let mut pos = 0;
    while let Some(off) = s[pos..].find("UDP message ") {
        let at = pos + off;
        let line_end = s[at..].find('\n').map(|i| at + i).unwrap_or(s.len());
        let line = &s[at..line_end];
        let digits: String = line
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let n: usize = digits.parse().expect("byte count");
        let start = line_end + 2;
        out.push(&text[start..start + n]);
        pos = start + n;
    }
    out
}

/// Deterministic xorshift so fuzz failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Random bytes and mutations of real messages never panic either parser,
/// and whatever parses also serialises and reparses.
#[test]
fn fuzz_no_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let seeds: Vec<&[u8]> = vec![
        INVITE.as_bytes(),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP [::1]:5060;rport;branch=z9hG4bK1\r\nFrom: \"a\\\"b\" <sips:u:p@h;lr>;tag=1\r\nTo: sip:b@c;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContact: *\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"\r\nl: 0\r\n\r\n",
    ];
    let alphabet = b"\r\n:;,<>\"\\@[]= \t/sip0123456789SIP/2.0zZ\xff\x00";
    for i in 0..6000 {
        let mut buf: Vec<u8> = if i % 4 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[i % seeds.len()].to_vec()
        };
        for _ in 0..rng.below(8) {
            if buf.is_empty() {
                break;
            }
            let at = rng.below(buf.len());
            match rng.below(4) {
                0 => buf[at] = alphabet[rng.below(alphabet.len())],
                1 => {
                    buf.remove(at);
                }
                2 => buf.insert(at, alphabet[rng.below(alphabet.len())]),
                _ => buf.truncate(at),
            }
        }
        for parsed in [
            parse_datagram(&buf).ok(),
            parse_datagram_tolerant(&buf).ok().map(|p| p.0),
            parse_stream(&buf).ok().flatten().map(|p| p.0),
        ] {
            if let Some(m) = parsed {
                let h = m.headers();
                let _ = (
                    h.vias(),
                    h.from(),
                    h.to(),
                    h.cseq(),
                    h.contacts(),
                    h.max_forwards(),
                );
                let _ = crate::sip::auth::DigestChallenge::from_headers(h, false);
                let _ = crate::sip::auth::DigestCredentials::from_headers(h, false);
                let again = parse_datagram(&m.to_bytes());
                assert!(
                    again.is_ok(),
                    "serialised form of a parsed message must parse: {:?}",
                    String::from_utf8_lossy(&m.to_bytes())
                );
            }
        }
    }
}

#[test]
fn pjsip_prints_from_and_to_without_the_parts_they_may_not_carry() {
    assert_eq!(
        pjsip_from_to("\"2001\" <sip:2001@127.0.0.1:35171>;tag=abc"),
        "\"2001\" <sip:2001@127.0.0.1>;tag=abc"
    );
    assert_eq!(
        pjsip_from_to("<sip:2002@[::1]:5060;transport=udp;user=phone;lr>"),
        "<sip:2002@[::1];user=phone>"
    );
    assert_eq!(
        pjsip_from_to("sip:alice@example.com:5080;tag=1"),
        "sip:alice@example.com;tag=1"
    );
    // Not a SIP URI: left alone.
    assert_eq!(
        pjsip_from_to("<tel:+15551234>;tag=2"),
        "<tel:+15551234>;tag=2"
    );
}

#[test]
fn pjsip_pads_a_bodys_content_length_and_spaces_an_empty_one() {
    let mut r = Response::new(200, "OK");
    r.headers.push("From", "<sip:a@h:5060>;tag=1");
    r.headers.push("Content-Length", "0");
    let text = String::from_utf8_lossy(&r.print(Printer::Pjsip)).into_owned();
    assert!(text.contains("From: <sip:a@h>;tag=1\r\n"), "{text}");
    assert!(text.contains("Content-Length:  0\r\n"), "{text}");
    r.body = b"v=0\r\n".to_vec();
    let text = String::from_utf8_lossy(&r.print(Printer::Pjsip)).into_owned();
    assert!(text.contains("Content-Length:     5\r\n"), "{text}");
    // Plain keeps both as they are.
    let text = String::from_utf8_lossy(&r.to_bytes()).into_owned();
    assert!(
        text.contains("From: <sip:a@h:5060>;tag=1\r\n") && text.contains("Content-Length: 5\r\n")
    );
}
