//! AMI over HTTP against Asterisk 20.20.1: each scenario of
//! `golden/asterisk-20.20.1/ajam/` is played against our daemon (on a copy
//! of `compat-configs/ajam` with free ports) with the semantics of the
//! capture player (`capture.py`), and every response must equal the
//! reference's byte for byte once what differs between any two runs is
//! normalised: the Date header, the session cookie, timestamps, session
//! pointers, ports and unique ids. Content-Length is checked against our
//! own body, then recomputed on both sides after normalisation.
//!
//! In the Local call's WaitEvent reply the reference itself interleaves
//! the two channels' events differently from run to run; there each
//! channel's (and each device's) events must match in order.
//!
//! Also here: a click-to-call client's whole conversation, reload
//! rebinding the server, and the hostile inputs that take a timeout.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex::Regex;
use tokio_rustls::rustls;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A daemon on a copy of compat-configs/ajam, HTTP on `port`, HTTPS (when
/// a scenario's `conf` lines turn it on) on `tls_port`.
struct Server {
    _dir: tempfile::TempDir,
    daemon: common::Daemon,
    port: u16,
    tls_port: u16,
    dir: std::path::PathBuf,
}

fn start(edit: impl FnOnce(&Path)) -> Server {
    start_with(|dir, _| edit(dir))
}

/// `edit` gets the config dir and the TLS port.
fn start_with(edit: impl FnOnce(&Path, u16)) -> Server {
    let dir = common::config_copy("ajam");
    let port = common::free_tcp_port();
    let ami = common::free_tcp_port();
    let tls_port = common::free_tcp_port();
    common::move_ports(
        dir.path(),
        &["http.conf", "manager.conf"],
        &[("8088", port), ("5038", ami)],
    );
    edit(dir.path(), tls_port);
    let daemon = common::Daemon::start(dir.path());
    Server {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        daemon,
        port,
        tls_port,
    }
}

/// A self-signed certificate for 127.0.0.1 with its key in the same PEM
/// file (as the capture makes one with openssl); returns its path.
fn make_cert(dir: &Path) -> std::path::PathBuf {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("rcgen");
    let path = dir.join("asterisk.pem");
    std::fs::write(
        &path,
        format!("{}{}", ck.cert.pem(), ck.key_pair.serialize_pem()),
    )
    .expect("write cert");
    path
}

/// Applies a scenario's `conf <file> <line>` lines (as capture.sh does)
/// and, when it has `file` lines, points astdatadir at `<dir>/data`.
fn scenario_setup(scenario: &str, dir: &Path, tls_port: u16) {
    let text = std::fs::read_to_string(scenario).expect("scenario");
    let mut cert = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("conf ") else {
            continue;
        };
        let (file, conf_line) = rest.split_once(' ').expect("conf <file> <line>");
        let cert = cert.get_or_insert_with(|| make_cert(dir));
        let conf_line = conf_line
            .replace("$CERT", cert.to_str().expect("path"))
            .replace("8089", &tls_port.to_string());
        let p = dir.join(file);
        let mut conf = std::fs::read_to_string(&p).expect("config");
        conf.push_str(&conf_line);
        conf.push('\n');
        std::fs::write(&p, conf).expect("write config");
    }
    if text.lines().any(|l| l.starts_with("file ")) {
        let p = dir.join("asterisk.conf");
        let conf = std::fs::read_to_string(&p).expect("asterisk.conf");
        let data = dir.join("data");
        std::fs::create_dir_all(data.join("static-http")).expect("mkdir");
        let conf = conf.replace(
            "astdatadir => /usr/share/asterisk",
            &format!("astdatadir => {}", data.display()),
        );
        std::fs::write(&p, conf).expect("write asterisk.conf");
    }
}

/// A byte stream whose reads can time out.
trait Timed: Read + Write {
    fn read_timeout(&mut self, d: Duration);
}

impl Timed for TcpStream {
    fn read_timeout(&mut self, d: Duration) {
        self.set_read_timeout(Some(d)).expect("timeout");
    }
}

type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

impl Timed for TlsStream {
    fn read_timeout(&mut self, d: Duration) {
        self.sock.set_read_timeout(Some(d)).expect("timeout");
    }
}

/// Accepts any server certificate, as capture.py does.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS connection to 127.0.0.1:`port`, the certificate not checked.
fn tls_connect(port: u16) -> TlsStream {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    rustls::StreamOwned::new(conn, sock)
}

/// Sends `bytes` on a new connection and reads one response (to its
/// Content-Length; none after a successful HEAD), or everything until the
/// server closes. Returns the bytes and whether the response was whole.
fn exchange(port: u16, bytes: &[u8], to_close: bool, head: bool) -> (Vec<u8>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(bytes).expect("send");
    read_response(&mut s, to_close, head)
}

fn read_response(s: &mut impl Timed, mut to_close: bool, head: bool) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + TIMEOUT;
    let mut data = Vec::new();
    let len_re = Regex::new(r"(?im)^content-length:\s*(\d+)").expect("re");
    let close_re = Regex::new(r"(?im)^connection:\s*close").expect("re");
    loop {
        if !to_close {
            if let Some(end) = find(&data, b"\r\n\r\n") {
                let h = String::from_utf8_lossy(&data[..end]).into_owned();
                if close_re.is_match(&h) {
                    to_close = true;
                } else if let Some(c) = len_re.captures(&h) {
                    let mut size: usize = c[1].parse().expect("length");
                    if head && (h.starts_with("HTTP/1.1 2") || h.starts_with("HTTP/1.1 3")) {
                        size = 0;
                    }
                    if data.len() >= end + 4 + size {
                        return (data, true);
                    }
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (data, false);
        }
        s.read_timeout(left);
        let mut buf = [0u8; 65536];
        match s.read(&mut buf) {
            Ok(0) => return (data, to_close),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return (data, false),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (data, false),
            Err(_) => return (data, to_close),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `\r`, `\n`, `\\` and `\xNN` as capture.py unescapes them.
fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                b'\\' => {
                    out.push(b'\\');
                    i += 2;
                    continue;
                }
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("hex");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    i += 4;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `Authorization` value answering a digest challenge with
/// qop=auth, as capture.py computes it.
fn digest(
    user: &str,
    secret: &str,
    realm: &str,
    nonce: &str,
    method: &str,
    uri: &str,
    nc: &str,
) -> String {
    let cnonce = "0a4f113b";
    let a1 = md5_hex(&format!("{user}:{realm}:{secret}"));
    let a2 = md5_hex(&format!("{method}:{uri}"));
    let resp = md5_hex(&format!("{a1}:{nonce}:{nc}:{cnonce}:auth:{a2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{resp}\", opaque=\"{nonce}\""
    )
}

/// Plays a scenario; returns (label, bytes) per request or CLI command.
fn play(srv: &Server, scenario: &str) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(scenario).expect("scenario");
    let cookie_re = Regex::new(r#"mansession_id="([0-9a-f]+)""#).expect("re");
    let mut out = Vec::new();
    let (mut cookie, mut saved) = (String::new(), String::new());
    let (mut nonce, mut realm, mut old_nonce, mut auth) =
        (String::new(), String::new(), String::new(), String::new());
    let challenge_re = Regex::new(r#"realm="([^"]*)", nonce="([0-9a-f]+)""#).expect("re");
    let (mut label, mut lines, mut body) = (String::new(), Vec::<String>::new(), Vec::new());
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "req" => {
                label = rest.to_string();
                lines.clear();
                body.clear();
            }
            ">" => lines.push(rest.to_string()),
            "body" => body = unescape(rest),
            "send" | "sendclose" | "sendtls" | "sendtlsclose" => {
                let mut head = String::new();
                for l in &lines {
                    head.push_str(
                        &l.replace("$COOKIE", &cookie)
                            .replace("$SAVED", &saved)
                            .replace("$AUTH", &auth)
                            .replace("$LEN", &body.len().to_string()),
                    );
                    head.push_str("\r\n");
                }
                let mut bytes = unescape(&head);
                bytes.extend_from_slice(&body);
                let to_close = word.ends_with("close");
                let is_head = head.starts_with("HEAD ");
                let (data, whole) = if word.starts_with("sendtls") {
                    let mut s = tls_connect(srv.tls_port);
                    s.write_all(&bytes).expect("send");
                    read_response(&mut s, to_close, is_head)
                } else {
                    exchange(srv.port, &bytes, to_close, is_head)
                };
                assert!(
                    whole,
                    "{scenario}: {label}: no whole response: {:?}",
                    String::from_utf8_lossy(&data)
                );
                let text = String::from_utf8_lossy(&data);
                if let Some(c) = cookie_re.captures(&text) {
                    cookie = c[1].to_string();
                }
                if let Some(c) = challenge_re.captures(&text) {
                    realm = c[1].to_string();
                    nonce = c[2].to_string();
                }
                out.push((label.clone(), data));
            }
            "file" => {
                let (name, content) = rest.split_once(' ').unwrap_or((rest, ""));
                let path = srv.dir.join("data/static-http").join(name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(&path, unescape(content)).expect("write");
                let f = std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .expect("open");
                f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
                    .expect("mtime");
            }
            "conf" => {}
            "keep" => saved = cookie.clone(),
            "keepnonce" => old_nonce = nonce.clone(),
            "auth" => {
                let f: Vec<&str> = rest.split(' ').collect();
                let n = match f.get(5) {
                    Some(n) => n.replace("$OLDNONCE", &old_nonce),
                    None => nonce.clone(),
                };
                auth = digest(f[0], f[1], &realm, &n, f[2], f[3], f[4]);
            }
            "cli" => out.push((format!("cli {rest}"), srv.daemon.rx(rest).into_bytes())),
            "sleep" => std::thread::sleep(Duration::from_secs_f64(rest.parse().expect("sleep"))),
            _ => panic!("bad scenario line {line}"),
        }
    }
    out
}

/// The blocks of a golden `.rx`, split at the labels the scenario names.
fn golden_blocks(rx: &Path, labels: &[String]) -> Vec<Vec<u8>> {
    let data = std::fs::read(rx).expect("golden");
    let mut starts = Vec::new();
    let mut from = 0;
    for l in labels {
        let marker = format!("## {l}\n");
        let at = find(&data[from..], marker.as_bytes())
            .unwrap_or_else(|| panic!("{}: no block {l}", rx.display()))
            + from;
        starts.push((at, at + marker.len()));
        from = at + marker.len();
    }
    let mut out = Vec::new();
    for (i, (_, body)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(data.len(), |(at, _)| *at);
        // The capture adds one line end after each block.
        let mut b = data[*body..end].to_vec();
        b.pop();
        out.push(b);
    }
    out
}

/// What varies between runs, made constant.
fn normalise(text: &str, ports: (u16, u16)) -> String {
    let subs: &[(&str, &str)] = &[
        (
            r"Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT",
            "Date: <date>",
        ),
        (r#"mansession_id="[0-9a-f]{8}""#, r#"mansession_id="<id>""#),
        (r#"(nonce|opaque)="[0-9a-f]{8}""#, r#"$1="<nonce>""#),
        (r"\b\d{10}\.\d{6}\b", "<timestamp>"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", "<tv>"),
        (r"\b0x[0-9a-f]{6,16}\b", "<pointer>"),
        (r"(IPV4/TCP/127\.0\.0\.1/)\d+", "${1}<port>"),
        (r"\b\d{10}\.(\d{1,5})\b", "<epoch>.$1"),
    ];
    let mut t = text
        .replace(&ports.0.to_string(), "8088")
        .replace(&ports.1.to_string(), "8089");
    for (re, with) in subs {
        t = Regex::new(re)
            .expect("re")
            .replace_all(&t, *with)
            .into_owned();
    }
    t
}

/// Splits a response into head and body; checks our Content-Length
/// against our body; returns the normalised response with the length
/// recomputed.
fn normalise_response(
    label: &str,
    raw: &[u8],
    port: (u16, u16),
    ours: bool,
    unordered: bool,
) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    if label.starts_with("cli ") {
        return normalise(&text, port);
    }
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return normalise(&text, port);
    };
    let len_re = Regex::new(r"Content-Length: (\d+)").expect("re");
    let is_head = label.starts_with("head-");
    if ours && !is_head {
        if let Some(c) = len_re.captures(head) {
            assert_eq!(
                c[1].parse::<usize>().expect("length"),
                body.len(),
                "{label}: Content-Length"
            );
        }
    }
    let mut body = normalise(body, port);
    if unordered {
        body = by_channel(&body);
    }
    let head = normalise(head, port);
    let head = if is_head {
        head
    } else {
        len_re
            .replace(&head, format!("Content-Length: {}", body.len()).as_str())
            .into_owned()
    };
    format!("{head}\r\n\r\n{body}")
}

/// Reorders the messages of an event list so that each channel's (and
/// each device's) stay in order but the interleaving does not count: a
/// stable sort by the channel or device a message names. Messages are
/// AMI blocks, XML lines or HTML row groups.
fn by_channel(body: &str) -> String {
    let (sep, key_re) = if body.contains("<ajax-response>") {
        ("\n", r"(?: channel| device)='([^']*)'")
    } else if body.contains("<table") {
        (
            "<tr><td colspan=\"2\"><hr></td></tr>\r\n",
            r"<tr><td>(?:Channel|Device)</td><td>([^<]*)</td>",
        )
    } else {
        ("\r\n\r\n", r"(?m)^(?:Channel|Device): (.*)$")
    };
    let re = Regex::new(key_re).expect("re");
    let mut parts: Vec<&str> = body.split_inclusive(sep).collect();
    parts.sort_by_key(|p| {
        re.captures(p)
            .map(|c| c[1].trim_end_matches('\r').to_string())
            .unwrap_or_default()
    });
    parts.concat()
}

fn compare(name: &str, unordered: &[&str]) {
    let dir = common::repo().join("golden/asterisk-20.20.1/ajam");
    let scenario = dir.join(format!("{name}.scenario"));
    let path = scenario.to_str().expect("path");
    let srv = start_with(|dir, tls_port| scenario_setup(path, dir, tls_port));
    let ours = play(&srv, path);
    let labels: Vec<String> = ours.iter().map(|(l, _)| l.clone()).collect();
    let golden = golden_blocks(&dir.join(format!("{name}.rx")), &labels);
    let mut failures = Vec::new();
    for ((label, our), gold) in ours.iter().zip(golden) {
        let un = unordered.contains(&label.as_str());
        let a = normalise_response(label, our, (srv.port, srv.tls_port), true, un);
        let b = normalise_response(label, &gold, (8088, 8089), false, un);
        if a != b {
            failures.push(format!("--- {name}/{label}: reference\n{b}\n--- ours\n{a}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rawman_equals_reference() {
    compare("rawman", &["waitevent-call"]);
}

#[test]
fn manager_html_equals_reference() {
    compare("manager", &["waitevent-call"]);
}

#[test]
fn mxml_equals_reference() {
    compare("mxml", &["waitevent-call"]);
}

#[test]
fn http_server_equals_reference() {
    compare("http", &[]);
}

#[test]
fn digest_uris_equal_reference() {
    compare("digest", &[]);
}

#[test]
fn hostile_requests_equal_reference() {
    compare("hostile", &[]);
}

#[test]
fn static_files_and_tls_equal_reference() {
    compare("static", &[]);
}

/// GET over a fresh connection; the body as text.
fn get(port: u16, path: &str, cookie: &str) -> (String, String) {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: mansession_id=\"{cookie}\"\r\n\r\n"
    );
    let (data, whole) = exchange(port, req.as_bytes(), false, false);
    assert!(whole, "{path}: no whole response");
    let text = String::from_utf8_lossy(&data).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("head");
    (head.to_string(), body.to_string())
}

fn cookie_of(head: &str) -> String {
    Regex::new(r#"mansession_id="([0-9a-f]{8})"; Version=1; Max-Age=60"#)
        .expect("re")
        .captures(head)
        .map(|c| c[1].to_string())
        .expect("Set-Cookie")
}

/// A click-to-call client: log in, originate a call, follow it through
/// WaitEvent until both halves hang up, log off.
#[test]
fn click_to_call_over_rawman() {
    let srv = start(|_| {});
    let p = srv.port;
    let (head, body) = get(
        p,
        "/asterisk/rawman?action=Login&username=admin&secret=amp111",
        "",
    );
    assert_eq!(
        body,
        "Response: Success\r\nMessage: Authentication accepted\r\n\r\n"
    );
    let id = cookie_of(&head);
    // Turn event delivery on, dropping what came before.
    get(p, "/asterisk/rawman?action=WaitEvent&Timeout=0", &id);
    let (_, body) = get(
        p,
        "/asterisk/rawman?action=Originate&Channel=Local/600@ami-test&Context=ami-test&Exten=601&Priority=1&Async=true&ActionID=c2c-1",
        &id,
    );
    assert_eq!(
        body,
        "Response: Success\r\nActionID: c2c-1\r\nMessage: Originate successfully queued\r\n\r\n"
    );
    let mut events = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while events.matches("Event: Hangup\r\n").count() < 2 {
        assert!(Instant::now() < deadline, "no hangups in: {events}");
        let (_, body) = get(p, "/asterisk/rawman?action=WaitEvent&Timeout=5", &id);
        assert!(
            body.starts_with("Response: Success\r\nMessage: Waiting for Event completed.\r\n\r\n")
        );
        assert!(body.ends_with("Event: WaitEventComplete\r\n\r\n"));
        events.push_str(&body);
    }
    assert!(events.contains("Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: c2c-1\r\nResponse: Success\r\nChannel: Local/600@ami-test-00000000;1\r\n"));
    // 601 raises a UserEvent on the originated call's other leg.
    assert!(
        events.contains("Event: UserEvent\r\nPrivilege: user,all\r\n"),
        "{events}"
    );
    for ch in [
        "Local/600@ami-test-00000000;1",
        "Local/600@ami-test-00000000;2",
    ] {
        assert!(events.contains(&format!(
            "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: {ch}\r\n"
        )));
        assert!(events.contains(&format!(
            "Event: Hangup\r\nPrivilege: call,all\r\nChannel: {ch}\r\n"
        )));
    }
    let (_, body) = get(p, "/asterisk/rawman?action=Logoff", &id);
    assert_eq!(
        body,
        "Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n"
    );
    // The session is gone: the old cookie is a new, logged-out session.
    let (head, body) = get(p, "/asterisk/rawman?action=Ping", &id);
    assert_eq!(
        body,
        "Response: Error\r\nMessage: Permission denied\r\n\r\n"
    );
    assert_ne!(cookie_of(&head), id);
}

/// An unauthenticated session lasts 5 seconds; a logged-in one
/// `httptimeout`.
#[test]
fn sessions_expire() {
    let srv = start(|d| {
        let p = d.join("manager.conf");
        let t = std::fs::read_to_string(&p).expect("manager.conf");
        std::fs::write(&p, t.replace("httptimeout = 60", "httptimeout = 2")).expect("write");
    });
    let (head, _) = get(
        srv.port,
        "/asterisk/rawman?action=Login&username=admin&secret=amp111",
        "",
    );
    let id = Regex::new(r#"mansession_id="([0-9a-f]{8})"; Version=1; Max-Age=2"#)
        .expect("re")
        .captures(&head)
        .map(|c| c[1].to_string())
        .expect("cookie");
    let (_, body) = get(srv.port, "/asterisk/rawman?action=Ping", &id);
    assert!(
        body.starts_with("Response: Success\r\nPing: Pong\r\n"),
        "{body}"
    );
    std::thread::sleep(Duration::from_millis(3500));
    let (_, body) = get(srv.port, "/asterisk/rawman?action=Ping", &id);
    assert_eq!(
        body,
        "Response: Error\r\nMessage: Permission denied\r\n\r\n"
    );
}

/// `reload` moves the server to a new port, and turning webenabled off
/// takes the manager URIs away.
#[test]
fn reload_rebinds() {
    let srv = start(|_| {});
    let (_, body) = get(srv.port, "/asterisk/rawman?action=Ping", "");
    assert!(body.contains("Permission denied"));
    let new_port = common::free_tcp_port();
    let http = srv.dir.join("http.conf");
    let t = std::fs::read_to_string(&http).expect("http.conf");
    std::fs::write(
        &http,
        t.replace(&srv.port.to_string(), &new_port.to_string()),
    )
    .expect("write");
    let mgr = srv.dir.join("manager.conf");
    let t = std::fs::read_to_string(&mgr).expect("manager.conf");
    std::fs::write(&mgr, t.replace("webenabled = yes", "webenabled = no")).expect("write");
    srv.daemon.rx("module reload");
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", new_port)).is_err() {
        assert!(Instant::now() < deadline, "not bound to the new port");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (head, _) = get(new_port, "/asterisk/rawman?action=Ping", "");
    assert!(head.starts_with("HTTP/1.1 404 Not Found\r\n"), "{head}");
    let (head, _) = get(new_port, "/asterisk/httpstatus", "");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(TcpStream::connect(("127.0.0.1", srv.port)).is_err());
}

/// A peer that stops in the middle of a request is answered `400
/// Timeout` after session_inactivity; one that never sends is dropped
/// silently; a body shorter than its Content-Length is a body error.
#[test]
fn slow_and_short_requests_time_out() {
    let srv = start(|d| {
        let p = d.join("http.conf");
        let t = std::fs::read_to_string(&p).expect("http.conf");
        std::fs::write(&p, format!("{t}session_inactivity = 500\n")).expect("write");
    });
    let t0 = Instant::now();
    let (data, whole) = exchange(
        srv.port,
        b"GET /asterisk/rawman HTTP/1.1\r\nHost: x",
        true,
        false,
    );
    let text = String::from_utf8_lossy(&data);
    assert!(whole);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.contains("Connection: close\r\n"));
    assert!(text.contains("<p>Timeout</p>"));
    assert!(t0.elapsed() < Duration::from_secs(5));

    let (data, whole) = exchange(
        srv.port,
        b"POST /asterisk/rawman HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\naction=Ping",
        true,
        false,
    );
    let text = String::from_utf8_lossy(&data);
    assert!(whole);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.contains("<p>Error parsing request body</p>"));

    // A slowloris dribbling one header byte at a time within the
    // inactivity limit is still cut off by the per-request deadline; here
    // it is enough that the server keeps answering others meanwhile.
    let mut slow = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    slow.write_all(b"GET /asterisk/httpstatus HTTP/1.1\r\nX-Slow: ")
        .expect("send");
    for _ in 0..5 {
        slow.write_all(b"a").expect("send");
        let (head, _) = get(srv.port, "/asterisk/httpstatus", "");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Keep-alive: several requests on one connection, then `Connection:
/// close` ends it.
#[test]
fn keep_alive_then_close() {
    let srv = start(|_| {});
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    for i in 0..3 {
        s.write_all(
            format!("GET /asterisk/rawman?action=Ping&ActionID=k{i} HTTP/1.1\r\n\r\n").as_bytes(),
        )
        .expect("send");
        let (data, whole) = read_response(&mut s, false, false);
        assert!(whole);
        assert!(String::from_utf8_lossy(&data).contains(&format!("ActionID: k{i}\r\n")));
    }
    // A body nobody reads (here on a 404, and a chunked one) is drained,
    // and the next request follows it on the same connection.
    s.write_all(b"GET /nothing HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        .expect("send");
    let (data, whole) = read_response(&mut s, false, false);
    assert!(whole && data.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    s.write_all(
        b"POST /asterisk/rawman?action=Ping HTTP/1.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    )
    .expect("send");
    let (data, whole) = read_response(&mut s, false, false);
    let text = String::from_utf8_lossy(&data);
    assert!(
        whole && text.contains("Message: Missing action in request\r\n"),
        "{text}"
    );
    assert!(!text.contains("Connection: close"));
    s.write_all(b"GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let (data, whole) = read_response(&mut s, true, false);
    assert!(whole, "the server closes after Connection: close");
    assert!(String::from_utf8_lossy(&data).contains("Connection: close\r\n"));
}

/// A client long-polling WaitEvent goes on sending actions on the same
/// session: they are answered at once, and an event they cause ends the
/// wait.
#[test]
fn actions_during_a_long_poll() {
    let srv = start(|_| {});
    let p = srv.port;
    let (head, _) = get(
        p,
        "/asterisk/rawman?action=Login&username=admin&secret=amp111",
        "",
    );
    let id = cookie_of(&head);
    get(p, "/asterisk/rawman?action=WaitEvent&Timeout=0", &id);
    let t0 = Instant::now();
    let poll = {
        let id = id.clone();
        std::thread::spawn(move || {
            get(
                p,
                "/asterisk/rawman?action=WaitEvent&Timeout=8&ActionID=lp",
                &id,
            )
            .1
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let (_, body) = get(p, "/asterisk/rawman?action=Ping&ActionID=during", &id);
    assert!(body.starts_with("Response: Success\r\nActionID: during\r\nPing: Pong\r\n"));
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "Ping waited for the poll"
    );
    get(
        p,
        "/asterisk/rawman?action=UserEvent&UserEvent=Ring&ActionID=ue",
        &id,
    );
    let body = poll.join().expect("poll");
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "the event did not end the wait"
    );
    assert!(
        body.starts_with(
            "Response: Success\r\nActionID: lp\r\nMessage: Waiting for Event completed.\r\n\r\n"
        ),
        "{body}"
    );
    assert!(
        body.contains(
            "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Ring\r\nActionID: ue\r\n"
        ),
        "{body}"
    );
    assert!(body.ends_with("Event: WaitEventComplete\r\nActionID: lp\r\n\r\n"));
}

/// Past `sessionlimit` open connections a new one is closed unanswered;
/// once one closes, connections are served again.
#[test]
fn session_limit() {
    let srv = start(|d| {
        let p = d.join("http.conf");
        let t = std::fs::read_to_string(&p).expect("http.conf");
        std::fs::write(&p, t.replace("sessionlimit = 100", "sessionlimit = 1")).expect("write");
    });
    let held = TcpStream::connect(("127.0.0.1", srv.port)).expect("connect");
    std::thread::sleep(Duration::from_millis(200));
    let (data, _) = exchange(
        srv.port,
        b"GET /asterisk/httpstatus HTTP/1.1\r\n\r\n",
        true,
        false,
    );
    assert!(data.is_empty(), "{:?}", String::from_utf8_lossy(&data));
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let (head, _) = get(srv.port, "/asterisk/httpstatus", "");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
}

/// One request over a new TLS connection; the whole response as text.
fn tls_get(port: u16, path: &str, cookie: &str) -> String {
    let mut s = tls_connect(port);
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: mansession_id=\"{cookie}\"\r\n\r\n"
    );
    s.write_all(req.as_bytes()).expect("send");
    let (data, whole) = read_response(&mut s, false, false);
    assert!(whole, "{path}: no whole response");
    String::from_utf8_lossy(&data).into_owned()
}

/// AJAM over HTTPS: the key in its own file (`tlsprivatekey`), Login
/// then Ping on the session the Login's cookie names.
#[test]
fn login_and_ping_over_tls() {
    let srv = start_with(|dir, tls_port| {
        let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("rcgen");
        std::fs::write(dir.join("cert.pem"), ck.cert.pem()).expect("cert");
        std::fs::write(dir.join("key.pem"), ck.key_pair.serialize_pem()).expect("key");
        let p = dir.join("http.conf");
        let mut conf = std::fs::read_to_string(&p).expect("http.conf");
        conf.push_str(&format!(
            "tlsenable = yes\ntlsbindaddr = 127.0.0.1:{tls_port}\ntlscertfile = {}\ntlsprivatekey = {}\n",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display()
        ));
        std::fs::write(&p, conf).expect("write");
    });
    let login = tls_get(
        srv.tls_port,
        "/asterisk/rawman?action=Login&username=admin&secret=amp111",
        "",
    );
    assert!(
        login.contains("Message: Authentication accepted"),
        "{login}"
    );
    let cookie = cookie_of(&login);
    let ping = tls_get(
        srv.tls_port,
        "/asterisk/rawman?action=Ping&ActionID=t1",
        &cookie,
    );
    assert!(
        ping.contains("Response: Success\r\nActionID: t1\r\nPing: Pong\r\n"),
        "{ping}"
    );
    let status = srv.daemon.rx("http show status");
    assert!(
        status.contains(&format!(
            "HTTPS Server Enabled and Bound to 127.0.0.1:{}\n\n",
            srv.tls_port
        )),
        "{status}"
    );
}

/// A certificate that does not load turns TLS off (logged); plain HTTP
/// goes on serving.
#[test]
fn bad_certificate_keeps_plain_http() {
    let srv = start_with(|dir, tls_port| {
        std::fs::write(dir.join("bad.pem"), "not a certificate\n").expect("write");
        let p = dir.join("http.conf");
        let mut conf = std::fs::read_to_string(&p).expect("http.conf");
        conf.push_str(&format!(
            "tlsenable = yes\ntlsbindaddr = 127.0.0.1:{tls_port}\ntlscertfile = {}\n",
            dir.join("bad.pem").display()
        ));
        std::fs::write(&p, conf).expect("write");
    });
    let (head, body) = get(srv.port, "/asterisk/httpstatus", "");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(!body.contains("SSL Bind Port"), "{body}");
    let status = srv.daemon.rx("http show status");
    assert!(!status.contains("HTTPS"), "{status}");
    assert!(TcpStream::connect(("127.0.0.1", srv.tls_port)).is_err());
}
