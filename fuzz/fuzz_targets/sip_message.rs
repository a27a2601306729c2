//! Any bytes fed to the SIP parsers must give a message or a typed error,
//! and a parsed message must serialise to something that parses again.
#![no_main]

use asterism::sip::message::{parse_datagram, parse_datagram_tolerant, parse_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = [
        parse_datagram(data).ok(),
        parse_datagram_tolerant(data).ok().map(|(m, _)| m),
        parse_stream(data).ok().flatten().map(|(m, _)| m),
    ];
    for m in parsed.into_iter().flatten() {
        let h = m.headers();
        let _ = (h.vias(), h.from(), h.to(), h.cseq(), h.contacts(), h.expires());
        let _ = asterism::sip::auth::DigestCredentials::from_headers(h, false);
        assert!(parse_datagram(&m.to_bytes()).is_ok());
    }
});
