//! Real AMI client libraries against the daemon: panoramisk (PyPI) and
//! asterisk-manager (npm), unmodified, run the scripts in
//! `tests/ami-clients/` (log in, Ping, Command, two async Originates and
//! their events, Logoff) and print a JSON summary checked here. Expected
//! events and OriginateResponse values come from the reference transcript
//! `golden/asterisk-20.20.1/ami/originate_async.rx`, which played the same
//! Originates.
//!
//! Also: a client that logs in with events on and then never reads must
//! not hold up calls, and is dropped once a write to it has been blocked
//! for its manager.conf `writetimeout`.
//!
//! The libraries are installed by `.ci/run` under `target/ami-clients/`;
//! without them these tests fail, saying so.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where `.ci/run` installs the client libraries.
fn clients_dir() -> PathBuf {
    common::repo().join("target/ami-clients")
}

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not installed under {}: run .ci/run (or .ci/install-ami-clients), \
         which installs the pinned AMI client libraries there",
        clients_dir().display()
    )
}

fn python() -> PathBuf {
    let py = clients_dir().join("pyenv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import panoramisk"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing("panoramisk (Python venv)");
    }
    py
}

fn node_modules() -> PathBuf {
    let nm = clients_dir().join("node/node_modules");
    if !nm.join("asterisk-manager/package.json").exists() {
        missing("asterisk-manager (npm)");
    }
    nm
}

fn script(name: &str) -> PathBuf {
    common::repo().join("tests/ami-clients").join(name)
}

/// A daemon on a copy of `compat-configs/ami` with the manager on a free
/// port; `edit` may change the copied files first.
fn daemon(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf, u16, common::Daemon) {
    let tmp = common::config_copy_in("ami", "etc");
    let dir = tmp.path().join("etc");
    let port = common::free_tcp_port();
    let mconf = dir.join("manager.conf");
    let text = std::fs::read_to_string(&mconf).expect("manager.conf");
    std::fs::write(
        &mconf,
        text.replace("port = 5038", &format!("port = {port}")),
    )
    .expect("write manager.conf");
    edit(&dir);
    let d = common::Daemon::start(&dir);
    (tmp, dir, port, d)
}

/// Runs a client script to its end (at most a minute); its JSON summary.
fn run_client(mut cmd: Command) -> Value {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start client");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("client script did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("summary: {e}\n{stdout}\n{stderr}"))
}

/// AMI messages after the banner, as header pairs.
fn messages(text: &str) -> Vec<Vec<(String, String)>> {
    let rest = text.split_once("\r\n").map(|(_, r)| r).unwrap_or("");
    rest.split("\r\n\r\n")
        .filter(|m| !m.is_empty())
        .map(|m| {
            m.split("\r\n")
                .map(|l| match l.split_once(": ") {
                    Some((n, v)) => (n.to_string(), v.to_string()),
                    None => (l.trim_end_matches(':').to_string(), String::new()),
                })
                .collect()
        })
        .collect()
}

fn header<'a>(m: &'a [(String, String)], name: &str) -> Option<&'a str> {
    m.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// What the reference sent on the first connection of originate_async.
fn reference() -> Vec<Vec<(String, String)>> {
    let rx = std::fs::read(common::repo().join("golden/asterisk-20.20.1/ami/originate_async.rx"))
        .expect("golden originate_async.rx");
    let text = String::from_utf8_lossy(&rx).into_owned();
    let first = text
        .split("## connection ")
        .nth(1)
        .and_then(|c| c.split_once('\n'))
        .map(|(_, b)| b.to_string())
        .expect("connection 1");
    messages(&first)
}

/// Per channel, the names of the channel's events in order; and every
/// other event's name, sorted. OriginateResponse is left out: it carries
/// the ActionID, and panoramisk hands it to the action's future.
type EventShape = (BTreeMap<String, Vec<String>>, Vec<String>);

fn shape(events: impl Iterator<Item = (String, String)>) -> EventShape {
    let mut per_chan: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut other = Vec::new();
    for (name, chan) in events {
        if name == "OriginateResponse" {
            continue;
        }
        if chan.is_empty() {
            other.push(name);
        } else {
            per_chan.entry(chan).or_default().push(name);
        }
    }
    other.sort();
    (per_chan, other)
}

fn reference_shape() -> EventShape {
    shape(reference().iter().filter_map(|m| {
        let ev = header(m, "Event")?;
        Some((
            ev.to_string(),
            header(m, "Channel").unwrap_or_default().to_string(),
        ))
    }))
}

/// The reference's OriginateResponse for the given ActionID, without the
/// values that differ between runs (Privilege stays: it is fixed).
fn reference_originate_response(action_id: &str) -> BTreeMap<String, String> {
    let m = reference()
        .into_iter()
        .find(|m| {
            header(m, "Event") == Some("OriginateResponse")
                && header(m, "ActionID") == Some(action_id)
        })
        .expect("reference OriginateResponse");
    m.into_iter()
        .filter(|(n, _)| n != "ActionID" && n != "Uniqueid")
        .collect()
}

/// A JSON object's string fields under AMI header names (the Node library
/// lower-cases names; `names` maps them back), without the run-dependent
/// ones.
fn fields(v: &Value, names: &[&str]) -> BTreeMap<String, String> {
    let obj = v.as_object().expect("object");
    names
        .iter()
        .filter_map(|n| {
            let val = obj
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v)?;
            Some((n.to_string(), val.as_str()?.to_string()))
        })
        .collect()
}

const ORIGINATE_RESPONSE: &[&str] = &[
    "Event",
    "Privilege",
    "Response",
    "Channel",
    "Context",
    "Exten",
    "Reason",
    "CallerIDNum",
    "CallerIDName",
];

fn output_lines(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(|l| l.as_str().expect("line").to_string())
            .collect(),
        Value::String(s) => vec![s.clone()],
        other => panic!("Output is {other}"),
    }
}

fn cli_lines(d: &common::Daemon, cmd: &str) -> Vec<String> {
    let out = d.rx(cmd);
    out.strip_suffix('\n')
        .unwrap_or(&out)
        .split('\n')
        .map(str::to_string)
        .collect()
}

fn check_events(events: &Value) {
    let list = events.as_array().expect("events");
    let names: Vec<&str> = list
        .iter()
        .map(|e| e["Event"].as_str().expect("Event"))
        .collect();
    // Login answers first, then FullyBooted; the security event follows.
    assert_eq!(names[..2], ["FullyBooted", "SuccessfulAuth"], "{names:?}");
    let got = shape(list.iter().map(|e| {
        (
            e["Event"].as_str().expect("Event").to_string(),
            e["Channel"].as_str().unwrap_or_default().to_string(),
        )
    }));
    let want = reference_shape();
    assert_eq!(got.0, want.0, "events per channel");
    assert_eq!(got.1, want.1, "events without a channel");
}

#[test]
fn panoramisk() {
    let py = python();
    let (_tmp, _dir, port, d) = daemon(|_| {});
    let mut cmd = Command::new(py);
    cmd.arg(script("panoramisk_client.py"))
        .arg(port.to_string())
        .args(["admin", "amp111"]);
    let s = run_client(cmd);

    assert_eq!(s["version"], "9.0.0");
    assert_eq!(s["authenticated"], true);
    assert_eq!(
        fields(&s["login"], &["Response", "Message"]),
        BTreeMap::from([
            ("Response".into(), "Success".into()),
            ("Message".into(), "Authentication accepted".into()),
        ])
    );
    assert_eq!(
        fields(&s["ping"], &["Response", "Ping"]),
        BTreeMap::from([
            ("Response".into(), "Success".into()),
            ("Ping".into(), "Pong".into()),
        ])
    );
    let ts = s["ping"]["Timestamp"].as_str().expect("Timestamp");
    assert!(
        regex::Regex::new(r"^\d{10}\.\d{6}$")
            .expect("re")
            .is_match(ts),
        "{ts}"
    );

    let cmd = &s["command"];
    assert_eq!(cmd["Response"], "Success");
    assert_eq!(cmd["Message"], "Command output follows");
    assert_eq!(
        output_lines(&cmd["Output"]),
        cli_lines(&d, "dialplan show 601@ami-test")
    );

    let orig = s["originate"].as_array().expect("originate");
    assert_eq!(orig.len(), 2, "Response and OriginateResponse: {orig:?}");
    assert_eq!(
        fields(&orig[0], &["Response", "Message"]),
        BTreeMap::from([
            ("Response".into(), "Success".into()),
            ("Message".into(), "Originate successfully queued".into()),
        ])
    );
    assert_eq!(
        fields(&orig[1], ORIGINATE_RESPONSE),
        reference_originate_response("orig-1")
    );
    let failed = s["originate_failed"].as_array().expect("originate_failed");
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0]["Message"], "Originate successfully queued");
    assert_eq!(
        fields(&failed[1], ORIGINATE_RESPONSE),
        reference_originate_response("orig-2")
    );
    assert_eq!(
        fields(&s["logoff"], &["Response", "Message"]),
        BTreeMap::from([
            ("Response".into(), "Goodbye".into()),
            ("Message".into(), "Thanks for all the fish.".into()),
        ])
    );
    check_events(&s["events"]);
}

#[test]
fn asterisk_manager() {
    let nm = node_modules();
    let (_tmp, _dir, port, d) = daemon(|_| {});
    let mut cmd = Command::new("node");
    cmd.env("NODE_PATH", nm)
        .arg(script("asterisk_manager_client.js"))
        .arg(port.to_string())
        .args(["admin", "amp111"]);
    let s = run_client(cmd);

    assert_eq!(s["connected"], true);
    // The library's callback gets (error, response): no error anywhere.
    for step in ["ping", "command", "originate", "originate_failed", "logoff"] {
        assert_eq!(s[step]["err"], Value::Null, "{step}: {}", s[step]);
    }
    assert_eq!(
        fields(&s["ping"]["res"], &["Response", "Ping"]),
        BTreeMap::from([
            ("Response".into(), "Success".into()),
            ("Ping".into(), "Pong".into()),
        ])
    );
    let cmd = &s["command"]["res"];
    assert_eq!(cmd["response"], "Success");
    assert_eq!(cmd["message"], "Command output follows");
    assert_eq!(
        output_lines(&cmd["output"]),
        cli_lines(&d, "dialplan show 601@ami-test")
    );
    assert_eq!(
        s["originate"]["res"]["message"],
        "Originate successfully queued"
    );
    assert_eq!(
        fields(&s["originate_response"], ORIGINATE_RESPONSE),
        reference_originate_response("orig-1")
    );
    assert_eq!(
        s["originate_failed"]["res"]["message"],
        "Originate successfully queued"
    );
    assert_eq!(
        fields(&s["originate_failed_response"], ORIGINATE_RESPONSE),
        reference_originate_response("orig-2")
    );
    assert_eq!(
        fields(&s["logoff"]["res"], &["Response", "Message"]),
        BTreeMap::from([
            ("Response".into(), "Goodbye".into()),
            ("Message".into(), "Thanks for all the fish.".into()),
        ])
    );
    check_events(&s["events"]);
}

/// What a reading client has received: the messages so far (parsed as
/// they complete, so that waiting stays cheap however much arrives).
#[derive(Default)]
struct Received {
    partial: String,
    bytes: usize,
    messages: Vec<Vec<(String, String)>>,
    banner: bool,
    closed: bool,
}

/// A reading client: a thread parses every byte received.
struct Reader {
    stream: TcpStream,
    data: Arc<(Mutex<Received>, Condvar)>,
}

impl Reader {
    fn open(port: u16) -> Reader {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let data: Arc<(Mutex<Received>, Condvar)> = Arc::default();
        let mut rd = stream.try_clone().expect("clone");
        let d2 = data.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            loop {
                let n = rd.read(&mut buf).unwrap_or(0);
                let (lock, cv) = &*d2;
                let Ok(mut g) = lock.lock() else { return };
                if n == 0 {
                    g.closed = true;
                    cv.notify_all();
                    return;
                }
                g.bytes += n;
                g.partial.push_str(&String::from_utf8_lossy(&buf[..n]));
                if !g.banner {
                    if let Some((_, rest)) = g.partial.split_once("\r\n") {
                        g.partial = rest.to_string();
                        g.banner = true;
                    }
                }
                if g.banner {
                    if let Some(end) = g.partial.rfind("\r\n\r\n") {
                        let done: String = g.partial.drain(..end + 4).collect();
                        let parsed = messages(&format!("\r\n{done}"));
                        g.messages.extend(parsed);
                    }
                }
                cv.notify_all();
            }
        });
        Reader { stream, data }
    }

    /// Hands `f` each message received, in order, until it says done.
    /// The lock is held only to look at new messages, so the reading
    /// thread keeps reading (a client that stops is dropped).
    fn wait(&self, within: Duration, what: &str, mut f: impl FnMut(&[(String, String)]) -> bool) {
        let deadline = Instant::now() + within;
        let (lock, cv) = &*self.data;
        let mut seen = 0;
        let mut g = lock.lock().expect("lock");
        loop {
            while seen < g.messages.len() {
                seen += 1;
                if f(&g.messages[seen - 1]) {
                    return;
                }
            }
            let now = Instant::now();
            if now >= deadline || g.closed {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for m in &g.messages {
                    let name = header(m, "Event").or(header(m, "Response")).unwrap_or("?");
                    *counts.entry(name.to_string()).or_default() += 1;
                }
                panic!(
                    "{what}: not within {within:?} (closed: {}); received {counts:?}",
                    g.closed
                );
            }
            g = cv
                .wait_timeout(g, (deadline - now).min(Duration::from_millis(200)))
                .expect("wait")
                .0;
        }
    }
}

fn login(user: &str, secret: &str) -> String {
    format!(
        "Action: Login\r\nActionID: login\r\nUsername: {user}\r\nSecret: {secret}\r\nEvents: on\r\n\r\n"
    )
}

/// A connected socket whose receive buffer is small, so that the server
/// finds it full soon once the client stops reading.
fn small_window_socket(port: u16) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let s = sock
            .connect(([127, 0, 0, 1], port).into())
            .await
            .expect("connect");
        let s = s.into_std().expect("std stream");
        s.set_nonblocking(false).expect("blocking");
        s
    })
}

const STALL_WRITETIMEOUT_MS: u64 = 8000;
const BURST_CALLS: usize = 20;

#[test]
fn client_that_stops_reading() {
    let (_tmp, dir, port, _d) = daemon(|dir| {
        let mut m = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("manager.conf"))
            .expect("manager.conf");
        // `reading` follows the calls. It keeps reading, but this process
        // shares two cores with a daemon running 40 busy channels, and may
        // be off the CPU for longer than the default 100 ms.
        write!(
            m,
            "\n[stall]\nsecret = stall111\npermit = 127.0.0.1/255.255.255.255\n\
             read = all\nwrite = all\nwritetimeout = {STALL_WRITETIMEOUT_MS}\n\
             \n[reading]\nsecret = reading111\npermit = 127.0.0.1/255.255.255.255\n\
             read = all\nwrite = all\nwritetimeout = 5000\n"
        )
        .expect("append");
        // Calls that raise a thousand events each, quickly, and end when
        // their loop does (the ;1 half only waits).
        let mut e = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("extensions.conf"))
            .expect("extensions.conf");
        e.write_all(
            b"\n[ami-burst]\n\
              exten => 650,1,Answer()\n\
              same => n,Set(I=0)\n\
              same => n(loop),Set(I=$[${I} + 1])\n\
              same => n,GotoIf($[${I} < 500]?loop)\n\
              same => n,Hangup()\n",
        )
        .expect("append");
        let mut l = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("logger.conf"))
            .expect("logger.conf");
        l.write_all(b"full => notice,warning,error,verbose\n")
            .expect("append");
    });
    let log = dir.join("var/log/full");
    let log_has = |needle: &str| {
        std::fs::read_to_string(&log)
            .map(|t| t.contains(needle))
            .unwrap_or(false)
    };

    // The stalled client: logs in with every event on, then never reads.
    let mut stalled = small_window_socket(port);
    stalled
        .write_all(login("stall", "stall111").as_bytes())
        .expect("login");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !log_has("Manager 'stall' logged on from 127.0.0.1") {
        assert!(Instant::now() < deadline, "the stalled client's login");
        std::thread::sleep(Duration::from_millis(50));
    }

    // A well-behaved client places a burst of calls and follows them.
    let mut good = Reader::open(port);
    good.stream
        .write_all(login("reading", "reading111").as_bytes())
        .expect("login");
    good.wait(Duration::from_secs(10), "login", |m| {
        header(m, "Message") == Some("Authentication accepted")
    });
    let start = Instant::now();
    for i in 0..BURST_CALLS {
        good.stream
            .write_all(
                format!(
                    "Action: Originate\r\nActionID: burst-{i}\r\nChannel: Local/650@ami-burst\r\n\
                     Application: Wait\r\nData: 30\r\nAsync: true\r\n\r\n"
                )
                .as_bytes(),
            )
            .expect("originate");
    }
    let (mut answered, mut hungup) = (0, 0);
    good.wait(Duration::from_secs(30), "the burst of calls", |m| {
        match header(m, "Event") {
            Some("OriginateResponse") if header(m, "Response") == Some("Success") => answered += 1,
            Some("Hangup")
                if header(m, "Channel").is_some_and(|c| c.starts_with("Local/650@ami-burst-")) =>
            {
                hungup += 1
            }
            _ => {}
        }
        answered == BURST_CALLS && hungup == 2 * BURST_CALLS
    });
    let calls_done = start.elapsed();
    // The calls finished while the stalled session was still there (its
    // writes block for up to writetimeout before it is dropped): it held
    // nothing up.
    assert!(
        !log_has("Manager 'stall' logged off"),
        "the stalled client was dropped before the calls ended ({calls_done:?}), \
         sooner than its writetimeout"
    );

    let deadline = start + Duration::from_millis(STALL_WRITETIMEOUT_MS) + Duration::from_secs(20);
    while !log_has("Manager 'stall' logged off from 127.0.0.1") {
        assert!(
            Instant::now() < deadline,
            "the stalled client was not dropped within its writetimeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let dropped = start.elapsed();
    assert!(
        dropped >= Duration::from_millis(STALL_WRITETIMEOUT_MS),
        "dropped after {dropped:?}, before a write could have been blocked for writetimeout"
    );

    // The stalled client finds what had been sent, then the end of the
    // stream; the good one is still served.
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut got = Vec::new();
    stalled
        .read_to_end(&mut got)
        .expect("the stalled connection ends");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("Asterisk Call Manager/9.0.0\r\n"),
        "{text:.200}"
    );
    assert!(
        text.contains("Event: Newchannel\r\n"),
        "the stalled client had been sent events"
    );
    let good_bytes = good.data.0.lock().expect("lock").bytes;
    assert!(
        got.len() < good_bytes / 2,
        "the stalled client was sent {} bytes of the {good_bytes} the reading one got",
        got.len()
    );
    good.stream
        .write_all(b"Action: Ping\r\nActionID: after\r\n\r\n")
        .expect("ping");
    good.wait(Duration::from_secs(10), "Ping after the burst", |m| {
        header(m, "ActionID") == Some("after") && header(m, "Ping") == Some("Pong")
    });
    eprintln!(
        "burst done in {calls_done:?}, stalled client dropped after {dropped:?} \
         having been sent {} bytes (the reading client: {good_bytes})",
        got.len()
    );
}
