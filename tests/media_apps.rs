//! The media applications over real SIP calls, against Asterisk 20.20.1.
//!
//! The daemon runs a copy of `compat-configs/sipcalls` with
//! `tests/configs/mediaapps/` added (a dialplan exercising Progress, the
//! Say applications, Read, Record, Milliwatt, PlayTones, music on hold;
//! musiconhold.conf; indications.conf). Each step of that directory's
//! `steps.txt` is one SIPp call (`sip-scenarios/media_call.py` writes the
//! scenario) sending RFC 4733 digits and tones from pcaps, with the PBX's
//! RTP sent to `sip-scenarios/rtp_sink.py`, which keeps it as a wav.
//!
//! Compared with the reference capture (`golden/asterisk-20.20.1/media/`,
//! made by its `capture.sh` from the same steps): every line the call
//! logged (which prompts played, the applications' verbose lines and
//! warnings, channel variables shown by Verbose), the SIP message flow,
//! the number of RTP packets received, and the recordings' lengths. The
//! audio itself is checked for what it must be: Milliwatt's 1004 Hz, the
//! indication tones, music, the recorded tones.
//!
//! Everything runs on free ports, so these tests need no lock.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn media_dir() -> PathBuf {
    common::repo().join("tests/configs/mediaapps")
}

fn golden_dir() -> PathBuf {
    common::repo().join("golden/asterisk-20.20.1/media")
}

fn scenarios() -> PathBuf {
    common::repo().join("sip-scenarios")
}

/// One line of `steps.txt`.
#[derive(Debug, Clone)]
struct Step {
    name: String,
    exten: String,
    drivers: Vec<String>,
    options: Vec<String>,
}

fn steps() -> Vec<Step> {
    let text = std::fs::read_to_string(media_dir().join("steps.txt")).expect("steps.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next().expect("name").to_string();
            let exten = w.next().expect("extension").to_string();
            let drivers = w
                .next()
                .expect("drivers")
                .split(',')
                .map(str::to_string)
                .collect();
            Step {
                name,
                exten,
                drivers,
                options: w.map(str::to_string).collect(),
            }
        })
        .collect()
}

fn step(name: &str) -> Step {
    steps()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}"))
}

/// What a call left behind.
struct Call {
    trace: String,
    /// rtp_sink.py's summary line.
    rtp: String,
    /// The PBX's audio as received, decoded.
    audio: Vec<i16>,
}

impl Call {
    fn packets(&self) -> i64 {
        summary_field(&self.rtp, "audio")
    }
}

fn summary_field(line: &str, key: &str) -> i64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in '{line}'"))
}

/// A daemon on the SIP config plus the media test files, both drivers on
/// free ports.
struct MediaPbx {
    dir: tempfile::TempDir,
    daemon: common::Daemon,
    chan_sip: u16,
    pjsip: u16,
    out: tempfile::TempDir,
}

impl MediaPbx {
    fn start() -> MediaPbx {
        Self::start_with("")
    }

    /// As [`MediaPbx::start`], with `dialplan` appended to
    /// extensions.conf (calls no reference capture covers).
    fn start_with(dialplan: &str) -> MediaPbx {
        Self::start_full(dialplan, None)
    }

    /// As [`MediaPbx::start_with`], with AMI on `ami` (user `media`,
    /// secret `media`).
    fn start_full(dialplan: &str, ami: Option<u16>) -> MediaPbx {
        assert!(
            Command::new("sipp").arg("-v").output().is_ok(),
            "SIPp is needed (Debian package sip-tester; .ci/run installs it)"
        );
        let dir = common::config_copy("sipcalls");
        for f in ["media-test.conf", "musiconhold.conf", "indications.conf"] {
            std::fs::copy(media_dir().join(f), dir.path().join(f)).expect("copy media config");
        }
        let ext = dir.path().join("extensions.conf");
        let mut text = std::fs::read_to_string(&ext).expect("extensions.conf");
        text.push_str("\n#include \"media-test.conf\"\n");
        text.push_str(dialplan);
        if let Some(port) = ami {
            std::fs::write(
                dir.path().join("manager.conf"),
                format!(
                    "[general]\nenabled = yes\nport = {port}\nbindaddr = 127.0.0.1\n\
                     \n[media]\nsecret = media\nread = all\nwrite = all\n"
                ),
            )
            .expect("write manager.conf");
        }
        std::fs::write(&ext, text).expect("write extensions.conf");
        let (chan_sip, pjsip) = (common::free_udp_port(), common::free_udp_port());
        common::move_ports(
            dir.path(),
            &["sip.conf", "pjsip.conf"],
            &[("5060", chan_sip), ("5070", pjsip)],
        );
        let daemon = common::Daemon::start(dir.path());
        let mut pbx = MediaPbx {
            dir,
            daemon,
            chan_sip,
            pjsip,
            out: tempfile::tempdir().expect("tempdir"),
        };
        if std::env::var_os("MEDIA_APPS_KEEP").is_some() {
            // For looking into a failure: config, log and SIPp traces stay.
            pbx.dir.disable_cleanup(true);
            pbx.out.disable_cleanup(true);
            eprintln!(
                "kept: {} {}",
                pbx.dir.path().display(),
                pbx.out.path().display()
            );
        }
        pbx
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("var/spool")
    }

    /// A `--play` pcap: SIPp's digits, or a tone written by tone_pcap.py.
    fn pcap(&self, name: &str) -> String {
        let Some(spec) = name.strip_prefix("tone-") else {
            return format!("/usr/share/sip-tester/{name}.pcap");
        };
        let path = self.out.path().join(format!("{name}.pcap"));
        if !path.exists() {
            let parts: Vec<String> = spec.split('+').map(|p| p.replacen('-', ":", 1)).collect();
            let ok = Command::new("python3")
                .arg(scenarios().join("tone_pcap.py"))
                .arg(&path)
                .args(&parts)
                .status()
                .expect("python3 tone_pcap.py");
            assert!(ok.success(), "tone_pcap.py {parts:?}");
        }
        path.display().to_string()
    }

    /// Runs one step's call on `driver`, as capture.sh ran it.
    fn call(&self, step: &Step, driver: &str) -> Call {
        let (port, user, secret) = match driver {
            "chan_sip" => (self.chan_sip, "1000", "s3cret1000"),
            _ => (self.pjsip, "2000", "s3cret2000"),
        };
        let trace = format!("{}.{driver}", step.name);
        let sink_port = common::free_udp_port();
        let mut args = Vec::new();
        let mut it = step.options.iter();
        while let Some(o) = it.next() {
            if o == "--play" {
                let v = it.next().expect("--play value");
                let (ms, pcap) = v.split_once(':').expect("MS:PCAP");
                args.push("--play".to_string());
                args.push(format!("{ms}:{}", self.pcap(pcap)));
            } else {
                args.push(o.clone());
            }
        }
        let xml = self.out.path().join(format!("{trace}.xml"));
        let ok = Command::new("python3")
            .arg(scenarios().join("media_call.py"))
            .arg(&xml)
            .arg("--sdp-port")
            .arg(sink_port.to_string())
            .args(&args)
            .status()
            .expect("python3 media_call.py");
        assert!(ok.success(), "media_call.py");
        let wav = self.out.path().join(format!("{trace}.rtp.wav"));
        let mut sink = Command::new("python3")
            .arg(scenarios().join("rtp_sink.py"))
            .arg(sink_port.to_string())
            .arg(&wav)
            .args(["--max", "90"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 rtp_sink.py");
        let mut lines = BufReader::new(sink.stdout.take().expect("sink stdout")).lines();
        assert_eq!(
            lines.next().and_then(Result::ok).as_deref(),
            Some("ready"),
            "rtp_sink.py did not start"
        );
        let (sipp_port, media_port) = (common::free_udp_port(), common::free_udp_port());
        let status = Command::new(scenarios().join("run.sh"))
            .arg("-o")
            .arg(self.out.path())
            .arg("-n")
            .arg(&trace)
            .arg(&xml)
            .arg(format!("127.0.0.1:{port}"))
            .args([
                "-s",
                &step.exten,
                "-key",
                "user",
                user,
                "-au",
                user,
                "-ap",
                secret,
            ])
            .args(["-p", &sipp_port.to_string(), "-mp", &media_port.to_string()])
            .env("SIPP_TIMEOUT", "60")
            .status()
            .expect("run.sh");
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-TERM", &sink.id().to_string()])
            .status();
        let rtp = lines
            .next()
            .and_then(Result::ok)
            .expect("rtp_sink.py summary");
        let _ = sink.wait();
        let errors = std::fs::read_to_string(self.out.path().join(format!("{trace}.err.log")))
            .unwrap_or_default();
        assert!(status.success(), "{trace}: SIPp failed: {errors}");
        let audio = hound::WavReader::open(&wav)
            .expect("sink wav")
            .samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        Call { trace, rtp, audio }
    }

    fn flow(&self, trace: &str, opts: &[&str]) -> String {
        flow_of(&self.out.path().join(format!("{trace}.sip.log")), opts)
    }

    /// Our log lines per call, normalised, in the order calls started.
    fn calls_logged(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.dir.path().join("var/log/messages.log"))
            .unwrap_or_default();
        by_call(&text, &self.spool().display().to_string())
    }
}

fn flow_of(log: &Path, opts: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(scenarios().join("flow.py"))
        .args(opts)
        .arg(log)
        .output()
        .expect("python3 flow.py");
    assert!(out.status.success(), "flow.py {}", log.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A log line without what differs from run to run: date, thread, call
/// id, the channel's sequence number, the spool directory.
fn normalise(line: &str, spool: &str) -> Option<String> {
    let re = regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\]\[C-[0-9a-f]+\] (.*)$").expect("re");
    let caps = re.captures(line)?;
    let msg = &caps[2];
    let chan = regex::Regex::new(r"\b(SIP|PJSIP)/(\w+)-[0-9a-f]{8}\b").expect("re");
    let msg = chan.replace_all(msg, "$1/$2-XXXXXXXX");
    Some(format!("{} {}", &caps[1], msg.replace(spool, "<spool>")))
}

/// Lines grouped by call id, calls in the order they first logged.
fn by_call(text: &str, spool: &str) -> Vec<Vec<String>> {
    let id = regex::Regex::new(r"\]\[(C-[0-9a-f]+)\] ").expect("re");
    let mut order: Vec<String> = Vec::new();
    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in text.lines() {
        let Some(c) = id.captures(l) else { continue };
        let c = c[1].to_string();
        let Some(n) = normalise(l, spool) else {
            continue;
        };
        if !order.contains(&c) {
            order.push(c.clone());
        }
        lines.entry(c).or_default().push(n);
    }
    order
        .into_iter()
        .map(|c| lines.remove(&c).unwrap_or_default())
        .collect()
}

/// The reference's lines for `step` on `driver`: calls ran in steps.txt
/// order, each driver of a step in turn.
fn golden_lines(name: &str, driver: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(golden_dir().join("media.messages.log")).expect("golden log");
    let spool = std::fs::read_to_string(golden_dir().join("spooldir.txt")).expect("spooldir.txt");
    let calls = by_call(&text, spool.trim());
    let mut i = 0;
    for s in steps() {
        for d in &s.drivers {
            if s.name == name && d == driver {
                return calls.get(i).cloned().unwrap_or_default();
            }
            i += 1;
        }
    }
    panic!("no golden call for {name}.{driver}")
}

fn golden_rtp(trace: &str) -> String {
    std::fs::read_to_string(golden_dir().join(format!("{trace}.rtp.txt"))).expect("golden rtp")
}

/// The recordings the reference left: name → samples (wav) or bytes.
fn golden_recordings() -> BTreeMap<String, i64> {
    std::fs::read_to_string(golden_dir().join("recordings.txt"))
        .expect("recordings.txt")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, v)| (n.to_string(), v.trim().parse().expect("length")))
        .collect()
}

/// Runs `names` in order on one daemon and checks each call's log lines,
/// message flow and amount of RTP against the reference's.
fn run_and_compare(names: &[&str]) -> (MediaPbx, BTreeMap<String, Call>) {
    let pbx = MediaPbx::start();
    let mut calls = BTreeMap::new();
    let mut order = Vec::new();
    for name in names {
        let s = step(name);
        for d in &s.drivers {
            let call = pbx.call(&s, d);
            order.push((s.name.clone(), d.clone()));
            calls.insert(call.trace.clone(), call);
        }
    }
    // Let the last call's hangup be logged.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let logged = pbx.calls_logged();
    assert_eq!(
        logged.len(),
        order.len(),
        "one logged call per step: {logged:#?}"
    );
    for ((name, driver), got) in order.iter().zip(&logged) {
        let want = golden_lines(name, driver);
        assert_eq!(
            got, &want,
            "{name}.{driver}: the call's log differs from Asterisk 20.20.1's"
        );
        let trace = format!("{name}.{driver}");
        let golden_flow = std::fs::read_to_string(golden_dir().join(format!("{trace}.flow")))
            .expect("golden flow");
        assert_eq!(
            pbx.flow(&trace, &[]),
            golden_flow,
            "{trace}: message flow differs from Asterisk 20.20.1's"
        );
        // As much audio as the reference sent, give or take timing at the
        // edges (a frame or two per prompt boundary or hangup).
        let call = &calls[&trace];
        let want = summary_field(&golden_rtp(&trace), "audio");
        let got = call.packets();
        assert!(
            (got - want).abs() <= 3 + want / 50,
            "{trace}: {got} RTP packets, the reference sent {want}"
        );
    }
    // Every call is over: nothing left behind.
    let channels = pbx.daemon.rx("core show channels count");
    assert!(channels.starts_with("0 active channels"), "{channels}");
    (pbx, calls)
}

/// Goertzel power of `freq` in `samples`, relative to their energy.
fn tone_share(samples: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s = f64::from(x) + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - c * s1 * s2;
    let energy: f64 = samples.iter().map(|&x| f64::from(x).powi(2)).sum();
    if energy == 0.0 {
        0.0
    } else {
        power / (energy * samples.len() as f64 / 2.0)
    }
}

fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

fn wav_samples(path: &Path) -> Vec<i16> {
    hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect()
}

#[test]
fn progress_sends_early_media_before_the_answer() {
    let (_pbx, calls) = run_and_compare(&["progress"]);
    for driver in ["chan_sip", "pjsip"] {
        let call = &calls[&format!("progress.{driver}")];
        let flow = _pbx.flow(&call.trace, &["--sdp"]);
        assert!(
            flow.contains("<< 183 Session Progress (INVITE) [sdp sendrecv]"),
            "{driver}: {flow}"
        );
        // beep (3404 samples) before the answer, digits/5 after.
        assert!(
            call.audio.len() > 3404,
            "{driver}: {} samples",
            call.audio.len()
        );
    }
}

#[test]
fn say_applications_follow_the_english_rules() {
    run_and_compare(&["say_numbers", "say_letters", "say_interrupt"]);
}

#[test]
fn read_collects_digits_tones_and_terminators() {
    run_and_compare(&["read"]);
}

#[test]
fn record_stops_on_timeout_silence_digit_and_hangup() {
    let (pbx, _) = run_and_compare(&["record", "record_hangup", "record_keep"]);
    let dir = pbx.spool().join("media");
    let mut got: Vec<String> = std::fs::read_dir(&dir)
        .expect("recordings")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    let want = golden_recordings();
    assert_eq!(
        got,
        want.keys().cloned().collect::<Vec<_>>(),
        "the files Record left (nothing half written, the hung-up one gone)"
    );
    for (name, want_len) in &want {
        let path = dir.join(name);
        let samples = if name.ends_with(".wav") {
            wav_samples(&path)
        } else {
            std::fs::read(&path)
                .expect("raw recording")
                .iter()
                .map(|&b| ulaw_to_linear(b))
                .collect()
        };
        // Within 50 ms of the reference's length: where the cuts fall
        // depends on when packets arrive.
        let len = samples.len() as i64;
        assert!(
            (len - want_len).abs() <= 400,
            "{name}: {len} samples, the reference recorded {want_len}"
        );
        match name.as_str() {
            // The first tone, all along: ended by the maximum duration.
            "rec0.wav" => assert!(tone_share(&samples, 600.0) > 0.8, "{name}"),
            // A second of the tone, then a second of the silence (the
            // rest of the two seconds cut).
            "rec1.wav" => {
                assert!(tone_share(&samples[..6000], 600.0) > 0.8, "{name}");
                assert!(rms(&samples[samples.len() - 4000..]) < 50.0, "{name}");
            }
            // Silence, then the 800 Hz tone, the last 250 ms before '#'
            // cut.
            "dtmf.ulaw" => {
                assert!(rms(&samples[..4000]) < 50.0, "{name}");
                assert!(
                    tone_share(&samples[samples.len() - 4000..], 800.0) > 0.8,
                    "{name}"
                );
            }
            "kept.wav" => assert!(tone_share(&samples, 600.0) > 0.8, "{name}"),
            _ => {}
        }
    }
    // Nothing left under a temporary name.
    assert!(!got.iter().any(|n| n.ends_with(".part")));
}

/// µ-law as G.711 decodes it.
fn ulaw_to_linear(u: u8) -> i16 {
    let u = !u;
    let t = ((i32::from(u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

#[test]
fn milliwatt_and_playtones_sound_as_specified() {
    let (_pbx, calls) = run_and_compare(&["milliwatt", "milliwatt_old", "playtones"]);
    // 1004 Hz at 0 dBm0 (peak about 22700) for the whole call.
    let mw = &calls["milliwatt.chan_sip"].audio;
    assert!(mw.len() > 8000, "{} samples", mw.len());
    assert!(tone_share(&mw[800..8800], 1004.0) > 0.9);
    let peak = mw.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!((21000..=23500).contains(&peak), "peak {peak}");
    // The digital milliwatt: 1 kHz.
    let old = &calls["milliwatt_old.chan_sip"].audio;
    assert!(tone_share(&old[800..8800], 1000.0) > 0.9);
    // dial (350+440) for a second, busy (480+620, 500 ms on), 1000 Hz
    // once for 300 ms then silence.
    let t = &calls["playtones.chan_sip"].audio;
    assert!(t.len() > 3 * 8000, "{} samples", t.len());
    let dial = &t[800..6400];
    assert!(tone_share(dial, 350.0) > 0.3 && tone_share(dial, 440.0) > 0.3);
    let busy = &t[8800..11200];
    assert!(tone_share(busy, 480.0) > 0.3 && tone_share(busy, 620.0) > 0.3);
    // After the busy tone's 1.2 s: 1000 Hz, then silence.
    let start_1k = t
        .windows(160)
        .step_by(160)
        .position(|w| tone_share(w, 1000.0) > 0.8)
        .expect("the 1000 Hz part")
        * 160;
    assert!(start_1k > 16000, "1000 Hz at sample {start_1k}");
    assert!(rms(&t[start_1k + 2400..start_1k + 4000]) < 10.0);
}

#[test]
fn music_on_hold_plays_the_classes_files() {
    let (_pbx, calls) = run_and_compare(&["moh"]);
    let moh = &calls["moh.chan_sip"].audio;
    // Two seconds of music first: real audio, not silence or a tone.
    let first = &moh[..16000.min(moh.len())];
    assert!(rms(first) > 300.0, "rms {}", rms(first));
}

/// A step no reference capture covers: checked by its audio and log only.
fn uncaptured_step(name: &str, exten: &str, options: &[&str]) -> Step {
    Step {
        name: name.into(),
        exten: exten.into(),
        drivers: vec!["chan_sip".into()],
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

/// 440 Hz at about -12 dBm0 for `seconds`.
fn tone_440(seconds: usize) -> Vec<i16> {
    (0..8000 * seconds)
        .map(|i| (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 8000.0).sin()) as i16)
        .collect()
}

/// A µ-law phone and an A-law phone talk through a Local pair: chan_sip
/// user 1000 (PCMU only) dials `Local/…`, whose `;2` half dials a
/// pjsip callee that answers PCMA only and sends back what it receives
/// (SIPp `-rtp_echo`). The caller's 1 kHz tone crosses both conversions
/// (µ-law to A-law on the way out, back on the way in) and the Local pair
/// twice; it must come back clean and at its level.
#[test]
fn ulaw_and_alaw_talk_through_a_local_pair() {
    let uas_port = common::free_udp_port();
    let pbx = MediaPbx::start_with(&format!(
        "[media](+)\n\
         exten => 872,1,Dial(Local/873@media)\n \
         same => n,Hangup()\n\
         exten => 873,1,Dial(PJSIP/2001/sip:echo@127.0.0.1:{uas_port})\n \
         same => n,Hangup()\n"
    ));
    let uas_media = common::free_udp_port();
    let mut uas = Command::new(scenarios().join("run.sh"))
        .arg("-o")
        .arg(pbx.out.path())
        .arg("-n")
        .arg("alaw_echo_uas")
        .arg("alaw_echo_uas")
        .arg(format!("127.0.0.1:{}", pbx.pjsip))
        .args(["-p", &uas_port.to_string(), "-mp", &uas_media.to_string()])
        .arg("-rtp_echo")
        .spawn()
        .expect("run.sh alaw_echo_uas");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let call = pbx.call(
        &uncaptured_step(
            "local_transcode",
            "872",
            &["--play", "1000:tone-1000-2000", "--bye", "4000"],
        ),
        "chan_sip",
    );
    let status = uas.wait().expect("uas");
    let uas_log =
        std::fs::read_to_string(pbx.out.path().join("alaw_echo_uas.sip.log")).unwrap_or_default();
    assert!(
        status.success(),
        "the A-law callee's call failed: {uas_log}"
    );
    // The callee was offered both laws and took A-law.
    assert!(uas_log.contains("a=rtpmap:8 PCMA/8000"), "{uas_log}");
    assert!(call.packets() > 50, "{}", call.rtp);
    // The tone as it came back: after the first echoed packets, before
    // its end.
    let audio = &call.audio;
    let start = audio
        .iter()
        .position(|s| s.unsigned_abs() > 1000)
        .expect("the tone came back");
    let tone = &audio[start + 800..(start + 8800).min(audio.len())];
    assert!(tone.len() > 4000, "{} samples of tone", tone.len());
    assert!(
        tone_share(tone, 1000.0) > 0.95,
        "{}",
        tone_share(tone, 1000.0)
    );
    // tone_pcap.py writes about -10 dBm0: an RMS near 7300.
    let level = rms(tone);
    assert!((6000.0..=8800.0).contains(&level), "rms {level}");
}

#[test]
fn playback_reads_gsm_and_wav49_prompts() {
    // Prompts only in GSM: a raw .gsm and a wav49 .WAV, by absolute name.
    let prompts = tempfile::tempdir().expect("tempdir");
    let tone = tone_440(2);
    let mut gsm = asterism::media::formats::gsm::GsmWriter::new(Vec::new());
    gsm.write_samples(&tone).expect("encode");
    std::fs::write(
        prompts.path().join("gsmtone.gsm"),
        gsm.finish().expect("gsm"),
    )
    .expect("write gsm");
    let mut wav = asterism::media::formats::gsm::Wav49Writer::new(std::io::Cursor::new(Vec::new()))
        .expect("header");
    wav.write_samples(&tone).expect("encode");
    std::fs::write(
        prompts.path().join("wavtone.WAV"),
        wav.finish().expect("wav49").into_inner(),
    )
    .expect("write wav49");
    let p = prompts.path().display();
    let pbx = MediaPbx::start_with(&format!(
        "[media](+)\n\
         exten => 870,1,Answer()\n \
         same => n,Playback({p}/gsmtone)\n \
         same => n,Playback({p}/wavtone)\n \
         same => n,Hangup()\n"
    ));
    let call = pbx.call(&uncaptured_step("gsm", "870", &[]), "chan_sip");
    let logged = pbx.calls_logged().concat();
    for want in [
        format!("Playing '{p}/gsmtone.gsm' (language 'en')"),
        format!("Playing '{p}/wavtone.gsm' (language 'en')"),
    ] {
        assert!(
            logged.iter().any(|l| l.contains(&want)),
            "no '{want}' in {logged:#?}"
        );
    }
    assert!(
        !logged.iter().any(|l| l.starts_with("WARNING")),
        "{logged:#?}"
    );
    // Four seconds of 440 Hz, decoded (GSM is lossy: mostly the tone).
    let audio = &call.audio;
    assert!(audio.len() >= 4 * 8000 - 800, "{} samples", audio.len());
    assert!(tone_share(&audio[800..15200], 440.0) > 0.7);
    assert!(tone_share(&audio[16800..31200], 440.0) > 0.7);
}

#[test]
fn dial_m_plays_music_instead_of_ringback() {
    // The callee rings for longer than Dial waits; the caller is not
    // answered, so the music is early media after a 183, and the
    // callee's ringing never reaches it as a 180.
    let ami_port = common::free_tcp_port();
    let pbx = MediaPbx::start_full(
        "[media](+)\n\
         exten => ringing,1,Ringing()\n \
         same => n,Wait(20)\n\
         exten => 871,1,Dial(Local/ringing@media,3,m(alt))\n \
         same => n,Verbose(0,DIAL ${DIALSTATUS})\n \
         same => n,Answer()\n \
         same => n,Hangup()\n",
        Some(ami_port),
    );
    // AMI events as the call goes: app_dial starts music through
    // ast_moh_start, so MusicOnHoldStart/Stop are sent, with the class.
    let events = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut ami = std::net::TcpStream::connect(("127.0.0.1", ami_port)).expect("AMI");
    std::io::Write::write_all(
        &mut ami,
        b"Action: Login\r\nUsername: media\r\nSecret: media\r\nEvents: on\r\n\r\n",
    )
    .expect("login");
    {
        let events = events.clone();
        let reader = ami.try_clone().expect("clone");
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                let mut e = events.lock().unwrap_or_else(|p| p.into_inner());
                e.push_str(line.trim_end_matches('\r'));
                e.push('\n');
            }
        });
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let call = pbx.call(&uncaptured_step("dial_m", "871", &[]), "chan_sip");
    let flow = pbx.flow(&call.trace, &["--sdp"]);
    assert!(
        flow.contains("<< 183 Session Progress (INVITE) [sdp sendrecv]"),
        "{flow}"
    );
    assert!(!flow.contains("<< 180"), "{flow}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let logged = pbx.calls_logged().concat();
    let has = |s: &str| logged.iter().any(|l| l.contains(s));
    assert!(
        has("Started music on hold, class 'alt', on channel 'SIP/1000-XXXXXXXX'"),
        "{logged:#?}"
    );
    assert!(
        has("Stopped music on hold on SIP/1000-XXXXXXXX"),
        "{logged:#?}"
    );
    assert!(has("DIAL NOANSWER"), "{logged:#?}");
    let events = events.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let block = |name: &str| {
        events
            .split("\n\n")
            .find(|b| b.starts_with(&format!("Event: {name}\n")))
            .unwrap_or_else(|| panic!("no {name} in {events}"))
            .to_string()
    };
    let start = block("MusicOnHoldStart");
    assert!(start.contains("\nChannel: SIP/1000-"), "{start}");
    assert!(start.lines().any(|l| l == "Class: alt"), "{start}");
    let stop = block("MusicOnHoldStop");
    assert!(stop.contains("\nChannel: SIP/1000-"), "{stop}");
    assert!(
        events.find("Event: MusicOnHoldStop") > events.find("Event: MusicOnHoldStart"),
        "{events}"
    );
    // Music for the three seconds of dialling, not a ringback tone.
    let audio = &call.audio;
    assert!(audio.len() >= 2 * 8000, "{} samples", audio.len());
    let first = &audio[800..16000];
    assert!(rms(first) > 300.0, "rms {}", rms(first));
    assert!(tone_share(first, 440.0) + tone_share(first, 480.0) < 0.3);
}
