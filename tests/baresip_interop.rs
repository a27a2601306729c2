//! A real softphone against the daemon: baresip (Debian `baresip-core`,
//! driven headless by `sip-scenarios/baresip/run.sh`) registers with digest
//! auth, calls extension 600 (Answer, Playback(tt-weasels), Hangup) and
//! records what it hears, for both channel drivers of
//! `compat-configs/sipcalls`. The SIP message flow baresip saw must equal
//! the one it saw from Asterisk 20.20.1
//! (`golden/asterisk-20.20.1/baresip/`), header names included, and the
//! prompt must have arrived
//! as audio: RTP packets counted by baresip and the energy of what it
//! decoded.
//!
//! `.ci/run` installs baresip-core; without it these tests fail (they never
//! skip). Every port is a free one, so no lock against the reference
//! captures (which use 5060/5070 and baresip's default 5082) is needed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn baresip_dir() -> PathBuf {
    common::repo().join("sip-scenarios/baresip")
}

fn golden(name: &str) -> String {
    let p = common::repo()
        .join("golden/asterisk-20.20.1/baresip")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn require_baresip() {
    let found = Command::new("sh")
        .args(["-c", "command -v baresip"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "baresip is needed for this test (Debian package baresip-core; .ci/run installs it)"
    );
}

/// The daemon on a copy of `compat-configs/sipcalls`, its SIP ports moved
/// to free ones.
struct Pbx {
    _dir: tempfile::TempDir,
    daemon: common::Daemon,
    chan_sip: u16,
    pjsip: u16,
}

impl Pbx {
    fn start() -> Pbx {
        let dir = common::config_copy("sipcalls");
        let (chan_sip, pjsip) = (common::free_udp_port(), common::free_udp_port());
        common::move_ports(
            dir.path(),
            &["sip.conf", "pjsip.conf"],
            &[("5060", chan_sip), ("5070", pjsip)],
        );
        let daemon = common::Daemon::start(dir.path());
        Pbx {
            _dir: dir,
            daemon,
            chan_sip,
            pjsip,
        }
    }
}

/// What one baresip run left behind.
struct Call {
    out: PathBuf,
    wav: PathBuf,
    status: Option<i32>,
    stderr: String,
}

fn call(pbx_port: u16, user: &str, password: &str, name: &str, dir: &Path) -> Call {
    let out = Command::new(baresip_dir().join("run.sh"))
        .arg("-o")
        .arg(dir)
        .args(["-n", name, "-p", &common::free_udp_port().to_string()])
        .arg(format!("127.0.0.1:{pbx_port}"))
        .args([user, password, "600"])
        .output()
        .expect("run.sh");
    Call {
        out: dir.join(format!("{name}.out")),
        wav: dir.join(format!("{name}.dec.wav")),
        status: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `flow.py [opts] <out>`: baresip's SIP trace as one line per message.
fn flow(out: &Path, opts: &[&str]) -> String {
    let o = Command::new("python3")
        .arg(baresip_dir().join("flow.py"))
        .args(opts)
        .arg(out)
        .output()
        .expect("python3 flow.py");
    assert!(
        o.status.success(),
        "flow.py {}: {}",
        out.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// RTP packets baresip received in the call (its `rtp_stats` summary:
/// "packets:  <sent>  <received>").
fn received_packets(out: &str) -> Option<u64> {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("packets:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The samples of a 16-bit mono PCM WAV file (its `data` chunk).
fn wav_samples(bytes: &[u8]) -> Option<Vec<i16>> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = bytes.get(at + 8..(at + 8 + len).min(bytes.len()))?;
        if id == b"data" {
            return Some(
                body.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            );
        }
        at += 8 + len + (len & 1);
    }
    None
}

/// 20 ms frames (160 samples at 8 kHz) whose RMS is at least `threshold`.
fn loud_frames(samples: &[i16], threshold: f64) -> usize {
    samples
        .chunks_exact(160)
        .filter(|f| {
            let sum: f64 = f.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
            (sum / f.len() as f64).sqrt() >= threshold
        })
        .count()
}

fn interop(driver: &str, user: &str, password: &str) {
    require_baresip();
    let pbx = Pbx::start();
    let port = if driver == "chan_sip" {
        pbx.chan_sip
    } else {
        pbx.pjsip
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("call.{driver}");
    let c = call(port, user, password, &name, dir.path());
    let out = std::fs::read_to_string(&c.out).unwrap_or_default();
    let tail: String = {
        let lines: Vec<&str> = out.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    assert_eq!(
        c.status,
        Some(0),
        "{driver}: the baresip call failed: {}\n--- baresip output (end) ---\n{tail}",
        c.stderr
    );

    // The same messages and status codes as the reference's, in the same
    // order: register (401, 200), INVITE (401, ACK, INVITE, 100, 200, ACK),
    // the PBX's BYE after the prompt, unregister (401, 200).
    let got = flow(&c.out, &[]);
    assert_eq!(
        got,
        golden(&format!("{name}.flow")),
        "{driver}: SIP flow differs from Asterisk 20.20.1's"
    );
    assert!(got.contains("<< BYE (BYE)\n>> 200 OK (BYE)\n"), "{got}");
    // And each message with the reference's header names, in its order,
    // and SDP direction.
    assert_eq!(
        flow(&c.out, &["--headers", "--sdp"]),
        golden(&format!("{name}.headers")),
        "{driver}: header names differ from Asterisk 20.20.1's"
    );

    // The prompt arrived: tt-weasels is 2.95 s, 50 packets a second.
    let packets = received_packets(&out);
    assert!(
        packets.is_some_and(|n| n >= 100),
        "{driver}: baresip received {packets:?} RTP packets, want at least 100"
    );
    let bytes = std::fs::read(&c.wav).unwrap_or_else(|e| panic!("{}: {e}", c.wav.display()));
    let samples = wav_samples(&bytes).expect("16-bit PCM WAV from baresip's sndfile module");
    let loud = loud_frames(&samples, 100.0);
    assert!(
        loud >= 100,
        "{driver}: {loud} of {} decoded 20 ms frames are above silence (RMS >= 100), want >= 100 (2 s)",
        samples.len() / 160
    );

    let channels = pbx.daemon.rx("core show channels count");
    assert!(channels.starts_with("0 active channels"), "{channels}");
}

#[test]
fn baresip_registers_calls_600_and_hears_the_prompt_chan_sip() {
    interop("chan_sip", "1000", "s3cret1000");
}

#[test]
fn baresip_registers_calls_600_and_hears_the_prompt_pjsip() {
    interop("pjsip", "2000", "s3cret2000");
}

#[test]
fn wav_and_stats_parsers() {
    // A 2-frame WAV: one silent frame, one loud one.
    let mut data = vec![0i16; 160];
    data.extend(std::iter::repeat_n(1000i16, 160));
    let pcm: Vec<u8> = data.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut wav = b"RIFF".to_vec();
    wav.extend(((36 + pcm.len()) as u32).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend([1, 0, 1, 0]);
    wav.extend(8000u32.to_le_bytes());
    wav.extend(16000u32.to_le_bytes());
    wav.extend([2, 0, 16, 0]);
    wav.extend(b"data");
    wav.extend((pcm.len() as u32).to_le_bytes());
    wav.extend(&pcm);
    let samples = wav_samples(&wav).expect("wav");
    assert_eq!(samples.len(), 320);
    assert_eq!(loud_frames(&samples, 100.0), 1);
    assert_eq!(wav_samples(b"not a wav"), None);

    let stats = "audio           Transmit:     Receive:\npackets:            175          148\n";
    assert_eq!(received_packets(stats), Some(148));
    assert_eq!(received_packets("nothing"), None);
}
