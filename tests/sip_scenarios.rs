//! SIP calls against Asterisk 20.20.1: each SIPp scenario of
//! `sip-scenarios/` runs against our daemon (a copy of
//! `compat-configs/sipcalls` with chan_sip and pjsip on free ports) for
//! both channel drivers, exactly as `golden/asterisk-20.20.1/sip/capture.sh`
//! ran it against the reference, and the message flow (`flow.py`: who sent
//! which method or status, for which CSeq method) must equal the
//! reference's flow.
//!
//! SIPp is Debian's `sip-tester`; `.ci/run` installs it. The scenarios use
//! fixed local ports (the config identifies one peer by source port 5099),
//! so the tests here run one at a time, holding `/tmp/refcapture.lock`
//! against other processes on those ports.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

fn scenarios() -> PathBuf {
    common::repo().join("sip-scenarios")
}

fn golden(name: &str) -> String {
    let p = common::repo()
        .join("golden/asterisk-20.20.1/sip")
        .join(format!("{name}.flow"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn golden_log(name: &str) -> PathBuf {
    common::repo()
        .join("golden/asterisk-20.20.1/sip")
        .join(format!("{name}.sip.log"))
}

/// What the reference logged while a capture ran (`<capture>.messages.log`).
fn golden_messages(capture: &str) -> String {
    let p = golden_log(capture).with_file_name(format!("{capture}.messages.log"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The lines of a messages.log that `keep(source file, message)` keeps,
/// as `LEVEL file.c: message` (time, thread and call id left out).
fn log_lines(text: &str, keep: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let line =
        regex::Regex::new(r"^\[[^\]]*\] (\w+)\[\d+\](?:\[C-[0-9a-f]+\])? ([\w.]+\.c): (.*)$")
            .expect("regex");
    text.lines()
        .filter_map(|l| line.captures(l))
        .filter(|c| keep(&c[2], &c[3]))
        .map(|c| format!("{} {}: {}", &c[1], &c[2], c[3].trim_end()))
        .collect()
}

/// `flow.py [opts] <log>`.
fn flow_of(log: &std::path::Path, opts: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(scenarios().join("flow.py"))
        .args(opts)
        .arg(log)
        .output()
        .expect("python3 flow.py");
    assert!(
        out.status.success(),
        "flow.py {}: {}",
        log.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    port: u16,
    u1: &'static str,
    p1: &'static str,
    u2: &'static str,
    p2: &'static str,
    ipu: &'static str,
    /// The extension that dials the challenging trunk, and the
    /// credentials the PBX answers it with.
    trunk: &'static str,
    tu: &'static str,
    tp: &'static str,
}

/// A daemon on the SIP config, with both drivers moved to free ports.
struct Pbx {
    dir: tempfile::TempDir,
    daemon: common::Daemon,
    chan_sip: u16,
    pjsip: u16,
    out: tempfile::TempDir,
}

impl Pbx {
    fn start() -> Pbx {
        Pbx::start_with(|_| {})
    }

    /// As `start`, with TCP listening too: chan_sip `tcpenable=yes` (on
    /// its UDP address and port), pjsip a TCP transport on its UDP port.
    fn start_tcp() -> Pbx {
        Pbx::start_with(|dir| {
            let sip = dir.join("sip.conf");
            let text = std::fs::read_to_string(&sip).expect("sip.conf");
            assert!(text.contains("tcpenable = no"), "sipcalls sip.conf changed");
            let text = text.replace("tcpenable = no", "tcpenable = yes");
            std::fs::write(&sip, text).expect("write sip.conf");
            let pjsip = dir.join("pjsip.conf");
            let mut text = std::fs::read_to_string(&pjsip).expect("pjsip.conf");
            text.push_str(
                "\n[transport-tcp]\ntype = transport\nprotocol = tcp\nbind = 127.0.0.1:5070\n",
            );
            std::fs::write(&pjsip, text).expect("write pjsip.conf");
        })
    }

    fn start_with(edit: impl FnOnce(&std::path::Path)) -> Pbx {
        Pbx::start_on("sipcalls", edit)
    }

    /// On `compat-configs/sipmwi`: sipcalls' callers, phones watching
    /// mailboxes, and voicemail.
    fn start_mwi() -> Pbx {
        Pbx::start_on("sipmwi", |_| {})
    }

    fn start_on(config: &str, edit: impl FnOnce(&std::path::Path)) -> Pbx {
        let sipp = Command::new("sipp").arg("-v").output();
        assert!(
            sipp.is_ok(),
            "SIPp is needed (Debian package sip-tester; .ci/run installs it)"
        );
        let dir = common::config_copy(config);
        edit(dir.path());
        let (chan_sip, pjsip) = (common::free_udp_port(), common::free_udp_port());
        common::move_ports(
            dir.path(),
            &["sip.conf", "pjsip.conf"],
            &[("5060", chan_sip), ("5070", pjsip)],
        );
        let daemon = common::Daemon::start(dir.path());
        Pbx {
            dir,
            daemon,
            chan_sip,
            pjsip,
            out: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn variant(&self, name: &str) -> Variant {
        match name {
            "chan_sip" => Variant {
                name: "chan_sip",
                port: self.chan_sip,
                u1: "1000",
                p1: "s3cret1000",
                u2: "1001",
                p2: "s3cret1001",
                ipu: "1099",
                trunk: "620",
                tu: "5000",
                tp: "trunkpass5000",
            },
            _ => Variant {
                name: "pjsip",
                port: self.pjsip,
                u1: "2000",
                p1: "s3cret2000",
                u2: "2001",
                p2: "s3cret2001",
                ipu: "2099",
                trunk: "621",
                tu: "6000",
                tp: "trunkpass6000",
            },
        }
    }

    /// One `run.sh` invocation; returns its exit status and trace name.
    fn step(&self, v: Variant, name: &str, scenario: &str, args: &[&str]) -> (i32, String) {
        self.step_within(v, name, scenario, args, 30)
    }

    /// As `step`, for a scenario that may take up to `secs`.
    fn step_within(
        &self,
        v: Variant,
        name: &str,
        scenario: &str,
        args: &[&str],
        secs: u32,
    ) -> (i32, String) {
        let trace = format!("{name}.{}", v.name);
        let status = self
            .run_sh(v, &trace, scenario, args, secs)
            .status()
            .expect("run.sh");
        (status.code().unwrap_or(-1), trace)
    }

    /// `run.sh` for one SIPp run against variant `v`, traced as `trace`.
    fn run_sh(&self, v: Variant, trace: &str, scenario: &str, args: &[&str], secs: u32) -> Command {
        let mut cmd = Command::new(scenarios().join("run.sh"));
        cmd.arg("-o")
            .arg(self.out.path())
            .arg("-n")
            .arg(trace)
            .arg(scenario)
            .arg(format!("127.0.0.1:{}", v.port))
            .args(args)
            .env("SIPP_TIMEOUT", secs.to_string());
        cmd
    }

    /// User 2 watching hint 1060 from `port` in the background (a
    /// subscribe scenario with its event package and body type).
    fn watch_1060(
        &self,
        v: Variant,
        trace: &str,
        scenario: &str,
        event: &str,
        accept: &str,
        port: &str,
    ) -> std::process::Child {
        self.run_sh(
            v,
            trace,
            scenario,
            &[
                "-s", "1060", "-key", "user", v.u2, "-key", "event", event, "-key", "accept",
                accept, "-au", v.u2, "-ap", v.p2, "-p", port,
            ],
            30,
        )
        .spawn()
        .unwrap_or_else(|e| panic!("run.sh {scenario}: {e}"))
    }

    fn uac(&self, v: Variant, name: &str, scenario: &str, args: &[&str]) -> (i32, String) {
        self.uac_within(v, name, scenario, args, 30)
    }

    fn uac_within(
        &self,
        v: Variant,
        name: &str,
        scenario: &str,
        args: &[&str],
        secs: u32,
    ) -> (i32, String) {
        let mut all = vec![
            "-key", "user", v.u1, "-au", v.u1, "-ap", v.p1, "-p", "5062", "-mp", "26000",
        ];
        all.extend_from_slice(args);
        self.step_within(v, name, scenario, &all, secs)
    }

    /// What our daemon logged so far.
    fn messages_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("var/log/messages.log"))
            .expect("our messages.log")
    }

    fn flow(&self, trace: &str) -> String {
        flow_of(&self.out.path().join(format!("{trace}.sip.log")), &[])
    }

    /// The flow and, message by message, the header names must be the
    /// reference's, and SIPp must have succeeded.
    fn check(&self, step: (i32, String)) {
        self.check_flow(&step.1);
        self.check_headers(&step.1, |_| true);
        self.check_status(step);
    }

    fn check_flow(&self, trace: &str) {
        assert_eq!(
            self.flow(trace),
            golden(trace),
            "{trace}: message flow differs from Asterisk 20.20.1's"
        );
    }

    /// The same header names in the same order, and the same SDP
    /// directions, as the reference's raw log shows (its lines that `keep`
    /// rejects left out).
    fn check_headers(&self, trace: &str, keep: impl Fn(&str) -> bool) {
        let opts = ["--headers", "--sdp"];
        let got = flow_of(&self.out.path().join(format!("{trace}.sip.log")), &opts);
        let want: String = flow_of(&golden_log(trace), &opts)
            .split_inclusive('\n')
            .filter(|l| keep(l.trim_end_matches('\n')))
            .collect();
        assert_eq!(
            got, want,
            "{trace}: header names differ from Asterisk 20.20.1's"
        );
    }

    fn check_status(&self, (code, trace): (i32, String)) {
        assert_eq!(code, 0, "{trace}: sipp failed ({})", self.errors(&trace));
    }

    fn errors(&self, trace: &str) -> String {
        std::fs::read_to_string(self.out.path().join(format!("{trace}.err.log")))
            .unwrap_or_default()
    }

    /// U1 calls the trunk extension; a SIPp UAS on 5066 plays the trunk,
    /// challenging the PBX's INVITE before it answers.
    fn trunk_call(&self, v: Variant, name: &str, uas: &str) {
        let (uas_trace, mut child) = self.spawn_uas(
            v,
            name,
            uas,
            &[
                "-p", "5066", "-mp", "26100", "-key", "user", v.tu, "-key", "password", v.tp,
            ],
        );
        self.check(self.uac(v, &format!("{name}_uac"), "dial_uac", &["-s", v.trunk]));
        let code = child.wait().expect("uas").code().unwrap_or(-1);
        self.check((code, uas_trace));
    }

    /// A SIPp UAS in the background (trace `<name>_uas.<variant>`), given
    /// a second to listen.
    fn spawn_uas(
        &self,
        v: Variant,
        name: &str,
        uas: &str,
        args: &[&str],
    ) -> (String, std::process::Child) {
        let uas_trace = format!("{name}_uas.{}", v.name);
        let child = self
            .run_sh(v, &uas_trace, uas, args, 30)
            .spawn()
            .expect("run.sh uas");
        std::thread::sleep(std::time::Duration::from_secs(1));
        (uas_trace, child)
    }

    /// Two SIPp UAs: U2 registers from 5063 and answers there as a UAS;
    /// U1 calls U2 through the dialplan (`_100X`/`_200X` Dial).
    fn two_party(&self, v: Variant, name: &str, uas: &str, uac: &str) {
        self.two_party_to(v, name, uas, uac, v.u2)
    }

    /// As `two_party`, U1 calling `target` (an extension that reaches U2).
    fn two_party_to(&self, v: Variant, name: &str, uas: &str, uac: &str, target: &str) {
        self.check(self.step(
            v,
            &format!("{name}_register"),
            "register_only",
            &[
                "-key", "user", v.u2, "-key", "expires", "120", "-au", v.u2, "-ap", v.p2, "-p",
                "5063",
            ],
        ));
        let (uas_trace, mut child) = self.spawn_uas(
            v,
            name,
            uas,
            &["-key", "user", v.u2, "-p", "5063", "-mp", "26100"],
        );
        self.check(self.uac(v, &format!("{name}_uac"), uac, &["-s", target]));
        let code = child.wait().expect("uas").code().unwrap_or(-1);
        self.check((code, uas_trace));
        self.check(self.step(
            v,
            &format!("{name}_unregister"),
            "register_only",
            &[
                "-key", "user", v.u2, "-key", "expires", "0", "-au", v.u2, "-ap", v.p2, "-p",
                "5063",
            ],
        ));
    }
}

/// Holds `/tmp/refcapture.lock` while a test runs: the SIPp side uses
/// fixed ports (5062, 5063, 5099, media 26000/26100), the same ones as the
/// reference captures and as this test run from another work tree.
/// Waits up to 5 minutes for it, then fails saying so.
fn machine_lock() -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/tmp/refcapture.lock")
        .expect("open /tmp/refcapture.lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        match file.try_lock() {
            Ok(()) => return file,
            Err(std::fs::TryLockError::WouldBlock) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "/tmp/refcapture.lock held by another process for 5 minutes (a reference capture?)"
                );
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::Error(e)) => panic!("/tmp/refcapture.lock: {e}"),
        }
    }
}

fn both(f: impl Fn(&Pbx, Variant)) {
    both_on(Pbx::start, f)
}

fn both_on(start: fn() -> Pbx, f: impl Fn(&Pbx, Variant)) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Released when dropped, after the daemon (declared later) stopped.
    let _machine = machine_lock();
    let pbx = start();
    for v in ["chan_sip", "pjsip"] {
        f(&pbx, pbx.variant(v));
    }
    // Every call is over: nothing left behind.
    let channels = pbx.daemon.rx("core show channels count");
    assert!(channels.starts_with("0 active channels"), "{channels}");
}

#[test]
fn register_and_unregister() {
    both(|p, v| {
        p.check(p.uac(v, "register", "register", &[]));
        // What each driver logs of it, as the reference did (verbose 3).
        let messages = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.split_once("] VERBOSE[")?.1.split_once("] ").map(|x| x.1))
                .filter(|l| l.contains("SIP '") == (v.name == "chan_sip"))
                .filter(|l| {
                    [
                        "Registered SIP",
                        "Unregistered SIP",
                        "contact",
                        "Contact",
                        "Endpoint",
                    ]
                    .iter()
                    .any(|w| l.contains(w))
                })
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            messages(&p.messages_log()),
            messages(&golden_messages("register")),
            "{}: log lines",
            v.name
        );
    });
}

#[test]
fn register_with_a_wrong_password() {
    both(|p, v| {
        p.check(p.uac(
            v,
            "register_badpass",
            "register_badpass",
            &["-ap", "wrongpass"],
        ))
    });
}

#[test]
fn invite_answered_played_and_hung_up_by_the_pbx() {
    both(|p, v| p.check(p.uac(v, "invite_playback", "invite_playback", &["-s", "600"])));
}

#[test]
fn invite_hung_up_by_the_caller() {
    both(|p, v| p.check(p.uac(v, "invite_bye", "invite_bye", &["-s", "700"])));
}

#[test]
fn invite_from_a_peer_identified_by_address() {
    both(|p, v| {
        p.check(p.step(
            v,
            "invite_ipauth",
            "invite_ipauth",
            &[
                "-s", "601", "-key", "user", v.ipu, "-p", "5099", "-mp", "26000",
            ],
        ))
    });
}

#[test]
fn busy_congestion_and_unknown_extension() {
    both(|p, v| {
        p.check(p.uac(v, "busy", "invite_reject", &["-s", "602"]));
        p.check(p.uac(v, "congestion", "invite_reject", &["-s", "603"]));
        p.check(p.uac(v, "unknown_ext", "invite_reject", &["-s", "999"]));
    });
}

#[test]
fn invite_with_a_wrong_password() {
    both(|p, v| {
        p.check(p.uac(
            v,
            "invite_badpass",
            "invite_badpass",
            &["-s", "600", "-ap", "wrongpass"],
        ))
    });
}

#[test]
fn hold_and_unhold_by_reinvite() {
    both(|p, v| p.check(p.uac(v, "hold", "hold", &["-s", "700"])));
}

/// RFC 4028 session timers asked for by the caller (600 s, refreshed by
/// it): accepted in the 200 OK (Session-Expires, Require: timer), and the
/// caller's refresh re-INVITE answered the same way.
#[test]
fn session_timers_asked_for_by_the_caller() {
    both(|p, v| p.check(p.uac(v, "session_timer", "session_timer", &["-s", "700"])));
}

/// The caller refreshes its session with an UPDATE without SDP: chan_sip
/// refuses the method (501 Method Not Implemented), pjsip answers 200 with
/// the session's Session-Expires and Require: timer.
#[test]
fn session_timers_refreshed_by_update() {
    both(|p, v| p.check(p.uac(v, "session_update", "session_update", &["-s", "700"])));
}

/// The caller asks for the shortest session (90 s) and leaves the
/// refreshing to the PBX: within 45 s the PBX sends a refresh re-INVITE
/// with its SDP, and ACKs the answer; the call goes on.
#[test]
fn session_timers_refreshed_by_the_pbx() {
    both(|p, v| p.check(p.uac_within(v, "session_refresh", "session_refresh", &["-s", "700"], 90)));
}

/// The caller takes the refreshing on itself (90 s) and never refreshes:
/// the PBX ends the call with a BYE before the session would expire.
#[test]
fn session_timers_expire_without_a_refresh() {
    both(|p, v| p.check(p.uac_within(v, "session_expire", "session_expire", &["-s", "700"], 90)));
}

#[test]
fn dtmf_through_an_ivr() {
    both(|p, v| p.check(p.uac(v, "dtmf_ivr", "dtmf_ivr", &["-s", "610"])));
}

#[test]
fn dial_between_two_registered_phones() {
    both(|p, v| p.two_party(v, "dial", "dial_uas", "dial_uac"));
}

/// The NOTIFYs SIPp received in a trace: per NOTIFY, the values of the
/// headers that say what it reports (Subscription-State, Event,
/// Content-Type) and its body, with the PBX's port written as the
/// reference's (`port` → `ref_port`). What differs from run to run is
/// masked: pjsip's countdown of the seconds left (`expires=<secs>`, each
/// checked to be within the subscription's 120) and its xpidf atom ids
/// (numbered in order of appearance, so a repeated body still shows).
fn notifies(log: &std::path::Path, port: u16, ref_port: u16) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let entry = regex::Regex::new(r"(?m)^-{20,} .*$").expect("regex");
    let expires =
        regex::Regex::new(r"^(Subscription-State: active;expires=)(\d+)$").expect("regex");
    let atom = regex::Regex::new(r#"atomid="([^"]*)""#).expect("regex");
    let mut atoms: Vec<String> = Vec::new();
    entry
        .split(&text)
        .filter(|part| part.contains("message received"))
        .filter_map(|part| {
            let msg = part[part.find("NOTIFY sip:")?..].replace("\r\n", "\n");
            let (head, body) = msg.split_once("\n\n").unwrap_or((&msg, ""));
            let mut out: String = head
                .lines()
                .filter(|l| {
                    ["Subscription-State:", "Event:", "Content-Type:"]
                        .iter()
                        .any(|h| l.starts_with(h))
                })
                .map(|l| match expires.captures(l) {
                    Some(c) => {
                        let secs: u32 = c[2].parse().expect("seconds");
                        assert!((100..=120).contains(&secs), "{l}");
                        format!("{}<secs>\n", &c[1])
                    }
                    None => format!("{l}\n"),
                })
                .collect();
            let body = atom.replace_all(body.trim_end_matches('\n'), |c: &regex::Captures| {
                let n = match atoms.iter().position(|a| a == &c[1]) {
                    Some(n) => n,
                    None => {
                        atoms.push(c[1].to_string());
                        atoms.len() - 1
                    }
                };
                format!("atomid=\"<atom {n}>\"")
            });
            out.push_str(&body);
            Some(out.replace(
                &format!("127.0.0.1:{port}"),
                &format!("127.0.0.1:{ref_port}"),
            ))
        })
        .collect()
}

/// Phones watching an extension's hint (BLF: `Event: dialog`; presence:
/// `pidf+xml` and `xpidf+xml`) while a call walks its custom device
/// through ringing, in use, on hold and idle: the SUBSCRIBE is challenged,
/// accepted with a first NOTIFY of the state now, each change brings a
/// NOTIFY, and unsubscribing brings the last (`terminated`). Flows, header
/// names, and each NOTIFY's state headers and body (the XML byte for
/// byte) are the reference's; chan_sip and pjsip write them differently
/// (pjsip repeats its last body when the subscription ends). A SUBSCRIBE
/// to an extension without a hint gets 404, one for an unknown event
/// package 489, each with the driver's log line.
#[test]
fn subscriptions_to_a_hint() {
    both(|p, v| {
        let ref_port = if v.name == "chan_sip" { 5060 } else { 5070 };
        let subscriber = |name: &str, port: &str, event: &str, accept: &str| {
            let trace = format!("{name}.{}", v.name);
            let child = p.watch_1060(v, &trace, "subscribe", event, accept, port);
            (trace, child)
        };
        let mut watchers = vec![
            subscriber(
                "subscribe_dialog",
                "5063",
                "dialog",
                "application/dialog-info+xml",
            ),
            subscriber("subscribe_pidf", "5064", "presence", "application/pidf+xml"),
            subscriber(
                "subscribe_xpidf",
                "5065",
                "presence",
                "application/xpidf+xml",
            ),
        ];
        std::thread::sleep(std::time::Duration::from_secs(1));
        p.check(p.uac(v, "subscribe_call", "invite_playback", &["-s", "1061"]));
        for (trace, child) in watchers.iter_mut() {
            let code = child.wait().expect("subscriber").code().unwrap_or(-1);
            p.check((code, trace.clone()));
            let got = notifies(
                &p.out.path().join(format!("{trace}.sip.log")),
                v.port,
                ref_port,
            );
            let want = notifies(&golden_log(trace), ref_port, ref_port);
            // The first state, four changes, and the last.
            assert_eq!(want.len(), 6, "{trace}: the reference's NOTIFYs");
            assert_eq!(got, want, "{trace}: NOTIFYs differ from Asterisk 20.20.1's");
        }
        for (name, exten, event, accept) in [
            (
                "subscribe_nohint",
                "1061",
                "dialog",
                "application/dialog-info+xml",
            ),
            (
                "subscribe_badevent",
                "1060",
                "x-unknown",
                "application/x-unknown",
            ),
        ] {
            p.check(p.step(
                v,
                name,
                "subscribe_refused",
                &[
                    "-s", exten, "-key", "user", v.u2, "-key", "event", event, "-key", "accept",
                    accept, "-au", v.u2, "-ap", v.p2, "-p", "5063",
                ],
            ));
        }
        // What each driver logged of it: chan_sip a line per watcher and
        // change, pjsip the refusals.
        let driver_lines = |text: &str| {
            log_lines(text, |file, message| match v.name {
                "chan_sip" => file == "chan_sip.c" && message.starts_with("Extension Changed"),
                _ => matches!(file, "res_pjsip_pubsub.c" | "res_pjsip_exten_state.c"),
            })
        };
        assert_eq!(
            driver_lines(&p.messages_log()),
            driver_lines(&golden_messages("subscribe")),
            "{}: log lines",
            v.name
        );
    });
}

/// Message-waiting lamps (RFC 3842), on `compat-configs/sipmwi`: a phone
/// with a mailbox registers and is told of it unasked, out of any dialog
/// (chan_sip `mailbox=`, pjsip `mailboxes=`; SIPp answers those NOTIFYs
/// itself, `-aa`), and again when a caller leaves it a message; a second
/// phone registers, subscribes to `message-summary` (chan_sip
/// `subscribemwi`, pjsip an AOR's `mailboxes=`), is told of its mailbox
/// now and of the message left meanwhile, and unsubscribes (`terminated`).
/// Flows, header names, and each NOTIFY's state headers and body are the
/// reference's. The drivers run on other ports than the reference's, so
/// chan_sip's Message-Account names a port where the reference's (on
/// 5060) named none: that port is dropped from both before comparing.
#[test]
fn message_waiting() {
    both_on(Pbx::start_mwi, |p, v| {
        let ref_port = if v.name == "chan_sip" { 5060 } else { 5070 };
        let (mw1, mwp1, mw2, mwp2) = match v.name {
            "chan_sip" => ("1002", "s3cret1002", "1003", "s3cret1003"),
            _ => ("2002", "s3cret2002", "2003", "s3cret2003"),
        };
        let account_port =
            regex::Regex::new(r"(?m)^(Message-Account: sip:[^@]*@127\.0\.0\.1):5060$")
                .expect("regex");
        let summaries = |trace: &str, log: PathBuf, port: u16| -> Vec<String> {
            let all = notifies(&log, port, ref_port);
            let all: Vec<String> = all
                .into_iter()
                .map(|n| {
                    if v.name == "chan_sip" {
                        account_port.replace_all(&n, "$1").into_owned()
                    } else {
                        n
                    }
                })
                .collect();
            assert!(!all.is_empty(), "{trace}: no NOTIFY in {}", log.display());
            all
        };
        let compare = |trace: &str| {
            let got = summaries(trace, p.out.path().join(format!("{trace}.sip.log")), v.port);
            let want = summaries(trace, golden_log(trace), ref_port);
            assert_eq!(got, want, "{trace}: NOTIFYs differ from Asterisk 20.20.1's");
        };
        // Told unasked: at the registration, then of the message.
        let trace = format!("mwi_unsolicited.{}", v.name);
        let mut phone = p
            .run_sh(
                v,
                &trace,
                "mwi_phone",
                &[
                    "-key", "user", mw1, "-au", mw1, "-ap", mwp1, "-p", "5063", "-aa", "-d", "9000",
                ],
                30,
            )
            .spawn()
            .expect("run.sh mwi_phone");
        std::thread::sleep(std::time::Duration::from_secs(1));
        p.check(p.uac(
            v,
            "mwi_leave1",
            "voicemail_short_uac",
            &["-s", &format!("8{mw1}")],
        ));
        // chan_sip keeps the counts it last sent (lastmsgssent): 1/0
        // while the phone is registered, -1 once it cannot be told.
        let peer_view = |golden: &str| {
            if v.name != "chan_sip" {
                return;
            }
            let want =
                std::fs::read_to_string(golden_log("mwi").with_file_name(format!("{golden}.txt")))
                    .expect("golden sip show peer");
            // The registration's seconds left depend on when it is asked.
            let expire = regex::Regex::new(r"(?m)^(  Expire       : )\d+$").expect("regex");
            assert_eq!(
                expire
                    .replace_all(&p.daemon.rx(&format!("sip show peer {mw1}")), "${1}<secs>")
                    .into_owned(),
                expire.replace_all(&want, "${1}<secs>").into_owned(),
                "{golden}: sip show peer {mw1}"
            );
        };
        peer_view("mwi_peer_registered");
        let code = phone.wait().expect("mwi_phone").code().unwrap_or(-1);
        p.check((code, trace.clone()));
        compare(&trace);
        peer_view("mwi_peer_unregistered");
        // Told while subscribed.
        p.check(p.step(
            v,
            "mwi_register",
            "register_only",
            &[
                "-key", "user", mw2, "-key", "expires", "120", "-au", mw2, "-ap", mwp2, "-p",
                "5064",
            ],
        ));
        let trace = format!("mwi_subscribe.{}", v.name);
        let mut subscriber = p
            .run_sh(
                v,
                &trace,
                "mwi_subscribe",
                &[
                    "-s", mw2, "-key", "user", mw2, "-au", mw2, "-ap", mwp2, "-p", "5064",
                ],
                40,
            )
            .spawn()
            .expect("run.sh mwi_subscribe");
        std::thread::sleep(std::time::Duration::from_secs(1));
        p.check(p.uac(
            v,
            "mwi_leave2",
            "voicemail_short_uac",
            &["-s", &format!("8{mw2}")],
        ));
        let code = subscriber
            .wait()
            .expect("mwi_subscribe")
            .code()
            .unwrap_or(-1);
        p.check((code, trace.clone()));
        compare(&trace);
        p.check(p.step(
            v,
            "mwi_unregister",
            "register_only",
            &[
                "-key", "user", mw2, "-key", "expires", "0", "-au", mw2, "-ap", mwp2, "-p", "5064",
            ],
        ));
    });
}

/// A watched hint that goes away: first its extension is removed from
/// the live dialplan (`dialplan remove extension`: deactivated), then,
/// with the hint put back, a dialplan reload of a file without it
/// (removed). Two phones watch it each time (dialog-info and pidf).
/// chan_sip logs the watcher's end and sends nothing more; pjsip logs it
/// and ends the subscription with a NOTIFY of the idle state's body,
/// `terminated`. Flows, header names, the NOTIFYs' state headers and
/// bodies, and the drivers' log lines are the reference's.
#[test]
fn hints_that_go_away() {
    both(|p, v| {
        let ref_port = if v.name == "chan_sip" { 5060 } else { 5070 };
        let watchers = |step: &str| -> Vec<(String, std::process::Child)> {
            let list = [
                ("dialog", "dialog", "application/dialog-info+xml", "5063"),
                ("pidf", "presence", "application/pidf+xml", "5064"),
            ];
            let started = list
                .iter()
                .map(|(name, event, accept, port)| {
                    let trace = format!("{step}_{name}.{}", v.name);
                    let child = p.watch_1060(v, &trace, "subscribe_removed", event, accept, port);
                    (trace, child)
                })
                .collect();
            std::thread::sleep(std::time::Duration::from_secs(1));
            started
        };
        let finish = |started: Vec<(String, std::process::Child)>| {
            for (trace, mut child) in started {
                let code = child.wait().expect("subscriber").code().unwrap_or(-1);
                p.check((code, trace.clone()));
                let got = notifies(
                    &p.out.path().join(format!("{trace}.sip.log")),
                    v.port,
                    ref_port,
                );
                let want = notifies(&golden_log(&trace), ref_port, ref_port);
                assert_eq!(got, want, "{trace}: NOTIFYs differ from Asterisk 20.20.1's");
            }
        };
        let started = watchers("hint_deactivated");
        let out = p.daemon.rx("dialplan remove extension 1060@internal");
        assert!(
            out.contains("Whole extension 1060@internal removed"),
            "{out}"
        );
        finish(started);
        let out = p
            .daemon
            .rx("dialplan add extension 1060,hint,Custom:blf1060 into internal");
        assert!(out.contains("added into 'internal' context"), "{out}");
        let started = watchers("hint_removed");
        let conf = p.dir.path().join("extensions.conf");
        let text = std::fs::read_to_string(&conf).expect("extensions.conf");
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("exten => 1060,hint"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_ne!(without, text, "the hint line of 1060 is gone from sipcalls");
        std::fs::write(&conf, without).expect("write extensions.conf");
        let out = p.daemon.rx("dialplan reload");
        assert!(out.contains("Dialplan reloaded."), "{out}");
        finish(started);
        std::fs::write(&conf, text).expect("restore extensions.conf");
        let out = p.daemon.rx("dialplan reload");
        assert!(out.contains("Dialplan reloaded."), "{out}");
        // What each driver logged of it.
        let driver_lines = |text: &str| {
            log_lines(text, |file, message| {
                let driver = match v.name {
                    "chan_sip" => "chan_sip.c",
                    _ => "res_pjsip_exten_state.c",
                };
                file == driver
                    && (message.contains("Watcher for hint")
                        || message.contains("new state Unknown"))
            })
        };
        let want = driver_lines(&golden_messages("hint_gone"));
        assert_eq!(want.len(), if v.name == "chan_sip" { 8 } else { 4 });
        assert_eq!(
            driver_lines(&p.messages_log()),
            want,
            "{}: log lines",
            v.name
        );
    });
}

/// Our INVITE to a trunk that challenges it, as a registrar would (401,
/// WWW-Authenticate) and as a proxy would (407, Proxy-Authenticate): the
/// PBX ACKs the challenge and sends the INVITE again with the answer from
/// the peer's `defaultuser`/`secret` (chan_sip) or the endpoint's
/// `outbound_auth` (pjsip); the trunk checks the digest (SIPp's
/// verifyauth, for the 401) and answers.
#[test]
fn invite_to_a_trunk_that_challenges() {
    both(|p, v| {
        p.trunk_call(v, "dial_auth", "auth_uas");
        p.trunk_call(v, "dial_proxyauth", "proxyauth_uas");
    });
}

/// `Dial(${PJSIP_DIAL_CONTACTS(2001)})` (extension 2100) reaches the
/// registered phone as a Dial to the endpoint does.
#[test]
fn dial_through_pjsip_dial_contacts() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let _machine = machine_lock();
    let pbx = Pbx::start();
    let v = pbx.variant("pjsip");
    pbx.two_party_to(v, "dial_contacts", "dial_uas", "dial_uac", "2100");
    let channels = pbx.daemon.rx("core show channels count");
    assert!(channels.starts_with("0 active channels"), "{channels}");
}

#[test]
fn cancel_while_the_callee_rings() {
    both(|p, v| p.two_party(v, "cancel", "cancel_uas", "cancel_uac"));
}

/// Malformed and unusual datagrams (`sip-scenarios/malformed.py`): each is
/// answered, or dropped, as the reference answered or dropped it, and the
/// daemon goes on serving calls afterwards.
#[test]
fn malformed_datagrams() {
    both(|p, v| {
        let out = Command::new("python3")
            .arg(scenarios().join("malformed.py"))
            .arg(format!("127.0.0.1:{}", v.port))
            .arg(v.ipu)
            // The reference waited 1.5 s per case; our answers come in
            // milliseconds, so only silent cases spend the wait.
            .env("MALFORMED_WAIT", "0.5")
            .output()
            .expect("python3 malformed.py");
        assert!(
            out.status.success(),
            "malformed.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p_want = common::repo()
            .join("golden/asterisk-20.20.1/sip")
            .join(format!("malformed.{}.txt", v.name));
        let want = std::fs::read_to_string(&p_want).expect("golden malformed");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            want,
            "{}: answers to malformed SIP differ from Asterisk 20.20.1's",
            v.name
        );
        p.check(p.step(
            v,
            "invite_ipauth",
            "invite_ipauth",
            &[
                "-s", "601", "-key", "user", v.ipu, "-p", "5099", "-mp", "26000",
            ],
        ));
    });
}

/// Outbound registration (compat-configs/sipreg): each driver registers its
/// trunk with a registrar (a SIPp UAS, `registrar_uas.xml`, listening
/// before the daemon starts, since both register at once): REGISTER, 401,
/// REGISTER with credentials, 200, with the reference's header names.
#[test]
fn outbound_registration_of_trunks() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = common::config_copy("sipreg");
    let ports = [
        ("5060", common::free_udp_port()),
        ("5070", common::free_udp_port()),
        ("5064", common::free_udp_port()),
        ("5065", common::free_udp_port()),
    ];
    common::move_ports(dir.path(), &["sip.conf", "pjsip.conf"], &ports);
    let out = tempfile::tempdir().expect("tempdir");
    let variants = [
        ("chan_sip", ports[0].1, ports[2].1, "3000", "trunkpass3000"),
        ("pjsip", ports[1].1, ports[3].1, "4000", "trunkpass4000"),
    ];
    let registrars: Vec<_> = variants
        .iter()
        .map(|(name, pbx, uas, user, password)| {
            Command::new(scenarios().join("run.sh"))
                .arg("-o")
                .arg(out.path())
                .arg("-n")
                .arg(format!("register_out.{name}"))
                .arg("registrar_uas")
                .arg(format!("127.0.0.1:{pbx}"))
                .args(["-p", &uas.to_string(), "-key", "user", user])
                .args(["-key", "password", password])
                .env("SIPP_TIMEOUT", "30")
                .spawn()
                .expect("run.sh registrar_uas")
        })
        .collect();
    for (name, _, uas, ..) in &variants {
        assert!(
            common::wait_udp_bound(*uas),
            "{name}: the registrar never listened on {uas}"
        );
    }
    let daemon = common::Daemon::start(dir.path());
    for ((name, ..), mut uas) in variants.iter().zip(registrars) {
        let trace = format!("register_out.{name}");
        let code = uas.wait().expect("registrar").code().unwrap_or(-1);
        let log = out.path().join(format!("{trace}.sip.log"));
        assert_eq!(
            flow_of(&log, &[]),
            golden(&trace),
            "{trace}: message flow differs from Asterisk 20.20.1's"
        );
        let opts = ["--headers", "--sdp"];
        assert_eq!(
            flow_of(&log, &opts),
            flow_of(&golden_log(&trace), &opts),
            "{trace}: header names differ from Asterisk 20.20.1's"
        );
        assert_eq!(code, 0, "{trace}: the registrar refused our credentials");
    }
    drop(daemon);
}

/// The SIP messages of a trace that SIPp received (`flow.py` reads the
/// same log), for checks of what we wrote over TCP.
fn received_text(p: &Pbx, trace: &str) -> String {
    let log =
        std::fs::read_to_string(p.out.path().join(format!("{trace}.sip.log"))).unwrap_or_default();
    log.split("message received")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n")
}

/// REGISTER over TCP, one connection for the run (SIPp `-t t1`): the
/// same challenge and 200 as over UDP, answered on the connection.
#[test]
fn register_over_tcp() {
    both_on(Pbx::start_tcp, |p, v| {
        let step = p.uac(v, "register_tcp", "register", &["-t", "t1"]);
        p.check_status(step);
        let got = received_text(p, &format!("register_tcp.{}", v.name));
        assert!(got.contains("SIP/2.0/TCP"), "{}: {got}", v.name);
    });
}

/// Calls over TCP: the caller hangs up (a connection per call, `-t tn`),
/// and the PBX hangs up (its BYE goes back on the caller's connection,
/// with a TCP Via and a Contact naming the transport).
#[test]
fn invite_over_tcp() {
    both_on(Pbx::start_tcp, |p, v| {
        p.check_status(p.uac(
            v,
            "invite_bye_tcp",
            "invite_bye",
            &["-s", "700", "-t", "tn", "-max_socket", "100"],
        ));
        p.check_status(p.uac(
            v,
            "invite_playback_tcp",
            "invite_playback",
            &["-s", "600", "-t", "t1"],
        ));
        let got = received_text(p, &format!("invite_playback_tcp.{}", v.name));
        assert!(got.contains("BYE sip:"), "{}: no BYE: {got}", v.name);
        assert!(
            got.contains("Via: SIP/2.0/TCP 127.0.0.1"),
            "{}: {got}",
            v.name
        );
        let param = match v.name {
            "chan_sip" => ";transport=tcp>",
            _ => ";transport=TCP>",
        };
        assert!(
            got.contains(param),
            "{}: Contact without {param}: {got}",
            v.name
        );
    });
}

/// Garbage, a Content-Length that lies, an oversized head and a client
/// that stalls mid-message: each bad connection is closed (or left to
/// time out) without disturbing the stack, which goes on answering a
/// good request on a new connection.
#[test]
fn malformed_tcp_streams() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;
    both_on(Pbx::start_tcp, |_p, v| {
        let addr = format!("127.0.0.1:{}", v.port);
        let connect = || {
            let s = TcpStream::connect(&addr).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            s
        };
        // Read until the server closes; true if it did within the timeout.
        let closed = |mut s: TcpStream| {
            let mut buf = [0u8; 4096];
            loop {
                match s.read(&mut buf) {
                    Ok(0) => return true,
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                    Err(_) => return false,
                }
            }
        };
        let options = |branch: &str, cl: &str| {
            format!(
                "OPTIONS sip:{port}@127.0.0.1:{port} SIP/2.0\r\n\
                 Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bK{branch}\r\n\
                 From: <sip:probe@127.0.0.1>;tag={branch}\r\n\
                 To: <sip:{port}@127.0.0.1>\r\n\
                 Call-ID: {branch}@127.0.0.1\r\n\
                 CSeq: 1 OPTIONS\r\n\
                 Max-Forwards: 70\r\n\
                 Content-Length: {cl}\r\n\r\n",
                port = v.port,
            )
        };
        // Stalls mid-message and stays open while the others run.
        let mut stalled = connect();
        stalled
            .write_all(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1")
            .expect("write");
        let mut garbage = connect();
        garbage
            .write_all(b"\x00\xff\xfe not SIP at all\r\n\r\n")
            .expect("write");
        assert!(closed(garbage), "{}: garbage left open", v.name);
        let mut lying = connect();
        lying
            .write_all(options("lie", "999999999").as_bytes())
            .expect("write");
        assert!(closed(lying), "{}: lying Content-Length left open", v.name);
        let mut huge = connect();
        let head = format!(
            "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nX: {}",
            "a".repeat(200_000)
        );
        // The server may close before all of it is written.
        let _ = huge.write_all(head.as_bytes());
        assert!(closed(huge), "{}: oversized head left open", v.name);
        let mut good = connect();
        good.write_all(options("good", "0").as_bytes())
            .expect("write");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
            match good.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let got = String::from_utf8_lossy(&got);
        assert!(
            got.starts_with("SIP/2.0 "),
            "{}: no answer: {got:?}",
            v.name
        );
        assert!(got.contains("branch=z9hG4bKgood"), "{}: {got}", v.name);
        drop(stalled);
    });
}

/// A trunk that challenges every INVITE with the same nonce, as one with
/// other credentials would: chan_sip answers three times and then gives
/// up (four INVITEs, `MAX_AUTHTRIES`), pjsip will not answer the same
/// nonce twice (two INVITEs). Each INVITE has the next CSeq and its own
/// branch, and the call ends.
#[test]
fn a_trunk_that_keeps_challenging() {
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let _machine = machine_lock();
    let trunk = UdpSocket::bind("127.0.0.1:0").expect("bind trunk");
    let port = trunk.local_addr().expect("addr").port();
    trunk
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let pbx = Pbx::start_with(|dir| {
        common::move_ports(dir, &["sip.conf", "pjsip.conf"], &[("5066", port)]);
    });
    // Through the dialplan's Dial (extensions 620 and 621).
    for (dial, want) in [("Local/620@internal", 4), ("Local/621@internal", 2)] {
        pbx.daemon
            .rx(&format!("channel originate {dial} application Wait 1"));
        let mut invites: Vec<(String, String)> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(4);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            let Ok((n, from)) = trunk.recv_from(&mut buf) else {
                continue;
            };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !text.starts_with("INVITE ") {
                continue;
            }
            let header = |name: &str| {
                text.lines()
                    .find(|l| {
                        l.split_once(':')
                            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                    })
                    .unwrap_or_default()
                    .to_string()
            };
            let (via, cseq) = (header("Via"), header("CSeq"));
            invites.push((via.clone(), cseq.clone()));
            let reply = format!(
                "SIP/2.0 401 Unauthorized\r\n{via}\r\n{}\r\n{};tag=trunk1\r\n{}\r\n{cseq}\r\n\
                 WWW-Authenticate: Digest realm=\"trunk.test\", nonce=\"samenonce\", algorithm=MD5\r\n\
                 Content-Length: 0\r\n\r\n",
                header("From"),
                header("To"),
                header("Call-ID"),
            );
            trunk.send_to(reply.as_bytes(), from).expect("send 401");
        }
        assert_eq!(invites.len(), want, "{dial}: {invites:?}");
        let seqs: Vec<u32> = invites
            .iter()
            .filter_map(|(_, c)| c.split_whitespace().nth(1)?.parse().ok())
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{dial}: CSeqs {seqs:?}"
        );
        let branches: std::collections::HashSet<&String> =
            invites.iter().map(|(via, _)| via).collect();
        assert_eq!(branches.len(), want, "{dial}: a branch was reused");
    }
    let channels = pbx.daemon.rx("core show channels count");
    assert!(channels.starts_with("0 active channels"), "{channels}");
}

/// `database show` with what varies between runs masked, as the golden
/// `astdb_registrations.*` files are.
fn normalise_astdb(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let mut l = line.to_string();
        if l.starts_with("/pbx/UUID") {
            if let Some((head, _)) = l.split_once(": ") {
                l = format!("{head}: <UUID>\n");
            }
        }
        for (field, mask) in [
            ("\"expiration_time\":\"", "<EXPIRATION_TIME>"),
            ("\"call_id\":\"", "<CALL_ID>"),
        ] {
            if let Some(start) = l.find(field).map(|i| i + field.len())
                && let Some(len) = l[start..].find('"')
            {
                l.replace_range(start..start + len, mask);
            }
        }
        out.push_str(&l);
    }
    out
}

/// Registrations outlive a restart as Asterisk keeps them in AstDB:
/// `SIP/Registry/<peer>` and `registrar/contact/<aor>;@<hash>` hold what
/// 20.20.1 holds (golden astdb_registrations.before_restart.txt); the
/// daemon, killed and started again on the same AstDB, still has both
/// contacts (a corrupt entry next to them is skipped); unregistering
/// removes the entries.
#[test]
fn registrations_survive_a_restart_in_astdb() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let _machine = machine_lock();
    let pbx = Pbx::start();
    let golden_dir = common::repo().join("golden/asterisk-20.20.1/sip");
    let before = golden_dir.join("astdb_registrations.before_restart.txt");
    let after = golden_dir.join("astdb_registrations.after_restart.txt");
    let reg = |p: &Pbx, v: Variant, name: &str, expires: &str| {
        let (code, trace) = p.step(
            v,
            name,
            "register_only",
            &[
                "-key", "user", v.u2, "-key", "expires", expires, "-au", v.u2, "-ap", v.p2, "-p",
                "5063",
            ],
        );
        assert_eq!(code, 0, "{trace}: {}", p.flow(&trace));
    };
    for v in ["chan_sip", "pjsip"] {
        reg(&pbx, pbx.variant(v), "astdb_register", "120");
    }
    assert_eq!(
        normalise_astdb(&pbx.daemon.rx("database show")),
        common::golden(&before, "database show")
    );
    // Corrupt values are external input: logged and skipped at start.
    pbx.daemon
        .rx("database put SIP/Registry 1000 not-a-registration");
    pbx.daemon
        .rx("database put registrar contact/2000;@0 {broken");

    // Killed, as a crash would, and started on the same AstDB.
    let Pbx {
        dir,
        daemon,
        chan_sip,
        pjsip,
        out,
    } = pbx;
    drop(daemon);
    let daemon = common::Daemon::start(dir.path());
    let pbx = Pbx {
        dir,
        daemon,
        chan_sip,
        pjsip,
        out,
    };
    assert_eq!(
        pbx.daemon.rx("sip show peers"),
        common::golden(&after, "sip show peers")
    );
    assert_eq!(
        pbx.daemon.rx("pjsip show contacts"),
        common::golden(&after, "pjsip show contacts")
    );
    let peer = pbx.daemon.rx("sip show peer 1001");
    assert!(
        peer.contains("  Addr->IP     : 127.0.0.1:5063\n")
            && peer.contains("  Reg. Contact : sip:1001@127.0.0.1:5063\n"),
        "{peer}"
    );

    for v in ["chan_sip", "pjsip"] {
        reg(&pbx, pbx.variant(v), "astdb_unregister", "0");
    }
    let db = pbx.daemon.rx("database show");
    assert!(
        !db.contains("/SIP/Registry/1001") && !db.contains("/registrar/contact/2001;@"),
        "{db}"
    );
}
