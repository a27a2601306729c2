//! VoiceMail over a real SIP call, against Asterisk 20.20.1's capture.
//!
//! The reference's voicemail call (`sipp/uac_voicemail.xml`, here
//! `sip-scenarios/voicemail_uac.xml` with digest authentication, and its
//! audio `voicemail_message.ulaw`) goes to extension 1011 of
//! `compat-configs/ami-calls`, the reference's dialplan shape (VoiceMail
//! at priority 7, after a Dial that fails). What it leaves in the spool is
//! compared with the reference's listing
//! (`/work/shared/reference/.../02_voicemail_files.txt`, summarised below):
//!
//! - `INBOX/msg0000.{WAV,gsm,txt,wav}`, `tmp/` empty;
//! - sizes following the same arithmetic: `.wav` 44 + 2n bytes, `.gsm` 33
//!   bytes per whole 160 samples, `.WAV` 60 + 65 bytes per whole 320
//!   (the reference: n = 63360, 126764 / 13068 / 12930 bytes);
//! - the wav49 header as format_wav_gsm writes it;
//! - `msg0000.txt` with the reference's fields in its order, its `origdate`
//!   format (UTC), `msg_id` of `<origtime>-<8 hex digits>` and the same
//!   `duration=6` (7.9 s recorded less the trailing silence);
//!
//! and the audio: the `.wav` is a contiguous excerpt of what SIPp sent,
//! sample for sample, and the two GSM files decode to the same speech.

mod common;

use std::path::Path;
use std::process::Command;

use asterism::media::formats::gsm::{decode_gsm, decode_wav49};
use asterism::media::g711::ulaw_to_linear;

struct Pbx {
    dir: tempfile::TempDir,
    daemon: common::Daemon,
    chan_sip: u16,
}

fn start() -> Pbx {
    assert!(
        Command::new("sipp").arg("-v").output().is_ok(),
        "SIPp is needed (Debian package sip-tester; .ci/run installs it)"
    );
    let dir = common::config_copy("ami-calls");
    let (chan_sip, pjsip, ami) = (
        common::free_udp_port(),
        common::free_udp_port(),
        common::free_tcp_port(),
    );
    common::move_ports(
        dir.path(),
        &["sip.conf", "pjsip.conf", "manager.conf"],
        &[("35161", chan_sip), ("35171", pjsip), ("5038", ami)],
    );
    let daemon = common::Daemon::start(dir.path());
    Pbx {
        dir,
        daemon,
        chan_sip,
    }
}

fn ulaw_file(name: &str) -> Vec<i16> {
    std::fs::read(common::repo().join("sip-scenarios").join(name))
        .expect("ulaw")
        .into_iter()
        .map(ulaw_to_linear)
        .collect()
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Mean energy of each 100 ms of `s`.
fn envelope(s: &[i16]) -> Vec<f64> {
    s.chunks(800)
        .map(|c| c.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / c.len() as f64)
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va.sqrt() * vb.sqrt())
}

fn run_call(pbx: &Pbx, scenario: &str, exten: &str, out: &Path) {
    let status = Command::new(common::repo().join("sip-scenarios/run.sh"))
        .current_dir(common::repo())
        .arg("-o")
        .arg(out)
        .arg(scenario)
        .arg(format!("127.0.0.1:{}", pbx.chan_sip))
        .args(["-s", exten, "-key", "user", "1000", "-au", "1000"])
        .args(["-ap", "s3cret1000"])
        .args(["-p", &common::free_udp_port().to_string()])
        .args(["-mp", &common::free_udp_port().to_string()])
        .env("SIPP_TIMEOUT", "60")
        .status()
        .expect("run.sh");
    let errors =
        std::fs::read_to_string(out.join(format!("{scenario}.err.log"))).unwrap_or_default();
    assert!(status.success(), "SIPp failed: {errors}");
}

fn wait_for(path: &Path) {
    for _ in 0..50 {
        if path.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{} never appeared", path.display());
}

#[test]
fn a_message_left_as_asterisk_leaves_it() {
    let pbx = start();
    let out = tempfile::tempdir().expect("tempdir");
    run_call(&pbx, "voicemail_uac", "1011", out.path());
    let mbox = pbx.dir.path().join("var/spool/voicemail/default/1001");
    let inbox = mbox.join("INBOX");
    wait_for(&inbox.join("msg0000.txt"));

    // The listing: four files in INBOX, nothing left in tmp.
    let mut names: Vec<String> = std::fs::read_dir(&inbox)
        .expect("INBOX")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["msg0000.WAV", "msg0000.gsm", "msg0000.txt", "msg0000.wav"]
    );
    assert_eq!(std::fs::read_dir(mbox.join("tmp")).expect("tmp").count(), 0);

    // Sizes: the same arithmetic as the reference's 126764/13068/12930.
    let read = |n: &str| std::fs::read(inbox.join(n)).expect("file");
    let (wav, gsm, wav49) = (
        read("msg0000.wav"),
        read("msg0000.gsm"),
        read("msg0000.WAV"),
    );
    let n = (wav.len() - 44) / 2;
    assert!(
        (60800..=65600).contains(&n),
        "recorded {n} samples; the reference 63360 (7.92 s)"
    );
    assert_eq!(gsm.len(), n / 160 * 33);
    assert_eq!(wav49.len(), 60 + n / 320 * 65);
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(le32(&wav, 40) as usize, n * 2);

    // The wav49 header, byte for byte as format_wav_gsm writes it.
    let data = (wav49.len() - 60) as u32;
    let mut header = Vec::new();
    header.extend(b"RIFF");
    header.extend((52 + data).to_le_bytes());
    header.extend(b"WAVEfmt ");
    header.extend([20, 0, 0, 0, 0x31, 0, 1, 0]);
    header.extend(8000u32.to_le_bytes());
    header.extend(1625u32.to_le_bytes());
    header.extend([65, 0, 0, 0, 2, 0, 0x40, 0x01]);
    header.extend(b"fact");
    header.extend(4u32.to_le_bytes());
    header.extend((data / 65 * 320).to_le_bytes());
    header.extend(b"data");
    header.extend(data.to_le_bytes());
    assert_eq!(&wav49[..60], &header[..]);

    // msg0000.txt: the reference's fields, in its order.
    let txt = String::from_utf8(read("msg0000.txt")).expect("utf-8");
    let origtime: i64 = txt
        .lines()
        .find_map(|l| l.strip_prefix("origtime="))
        .and_then(|v| v.parse().ok())
        .expect("origtime");
    let origdate = chrono::DateTime::from_timestamp(origtime, 0)
        .expect("time")
        .format("%a %b %e %I:%M:%S %p UTC %Y")
        .to_string();
    let chan = regex::Regex::new(r"callerchan=SIP/1000-[0-9a-f]{8}\n").expect("re");
    let msg_id = regex::Regex::new(&format!(r"msg_id={origtime}-[0-9a-f]{{8}}\n")).expect("re");
    let txt_norm = chan.replace(&txt, "callerchan=SIP/1000-X\n").into_owned();
    let txt_norm = msg_id.replace(&txt_norm, "msg_id=X\n").into_owned();
    assert_eq!(
        txt_norm,
        format!(
            ";\n; Message Information file\n;\n[message]\norigmailbox=1001\ncontext=internal\n\
macrocontext=\nexten=1011\nrdnis=unknown\npriority=7\ncallerchan=SIP/1000-X\n\
callerid=\"1000\" <1000>\norigdate={origdate}\norigtime={origtime}\ncategory=\nmsg_id=X\n\
flag=\nduration=6\n"
        )
    );

    // The wav is what SIPp sent, sample for sample (u-law is lossless to
    // linear), from some point after the beep.
    let sent = ulaw_file("voicemail_message.ulaw");
    let got: Vec<i16> = wav[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let probe = &got[got.len() / 2..got.len() / 2 + 800];
    let at = sent
        .windows(800)
        .position(|w| w == probe)
        .expect("the recording's middle is in what was sent")
        - got.len() / 2;
    assert!((40000..56000).contains(&at), "recording started at {at}");
    assert_eq!(&got[..], &sent[at..at + got.len()]);

    // Both GSM files decode to the speech: their energy follows the wav's.
    let from_gsm = decode_gsm(&gsm).expect("gsm");
    let from_wav49 = decode_wav49(&wav49).expect("wav49");
    assert_eq!(from_gsm.len(), gsm.len() / 33 * 160);
    assert_eq!(from_wav49.len(), (wav49.len() - 60) / 65 * 320);
    let reference = envelope(&got);
    for decoded in [&from_gsm, &from_wav49] {
        let c = correlation(&reference, &envelope(decoded));
        assert!(c > 0.95, "energy envelope correlation {c}");
        let ratio = envelope(decoded).iter().sum::<f64>() / reference.iter().sum::<f64>();
        assert!((0.5..2.0).contains(&ratio), "energy ratio {ratio}");
    }

    // The listing counts it.
    let users = pbx.daemon.rx("voicemail show users");
    assert!(
        users.contains(&format!(
            "{:<10} {:<5} {:<25} {:<10} {:>6}\n",
            "default", "1001", "Voicemail Test", "", "1"
        )),
        "{users}"
    );
}

#[test]
fn an_unknown_mailbox_fails_and_the_dialplan_goes_on() {
    let pbx = start();
    let ext = pbx.dir.path().join("extensions.conf");
    let mut text = std::fs::read_to_string(&ext).expect("extensions.conf");
    text.push_str(
        "\n[internal]\nexten => 1012,1,VoiceMail(4444@default)\n same => n,Set(DB(vmtest/result)=${VMSTATUS})\n same => n,Hangup()\n",
    );
    std::fs::write(&ext, text).expect("write");
    let _ = pbx.daemon.rx("dialplan reload");
    let out = tempfile::tempdir().expect("tempdir");
    let _ = Command::new(common::repo().join("sip-scenarios/run.sh"))
        .current_dir(common::repo())
        .arg("-o")
        .arg(out.path())
        .arg("voicemail_short_uac")
        .arg(format!("127.0.0.1:{}", pbx.chan_sip))
        .args(["-s", "1012", "-key", "user", "1000", "-au", "1000"])
        .args(["-ap", "s3cret1000"])
        .args(["-p", &common::free_udp_port().to_string()])
        .args(["-mp", &common::free_udp_port().to_string()])
        .env("SIPP_TIMEOUT", "20")
        .status()
        .expect("run.sh");
    let result = pbx.daemon.rx("database get vmtest result");
    assert_eq!(result.trim(), "Value: FAILED");
    let log = std::fs::read_to_string(pbx.dir.path().join("var/log/messages")).unwrap_or_default();
    assert!(
        log.contains("app_voicemail.c:  SIP/1000-")
            && log.contains(": Exten: 4444: No entry in voicemail config file for '4444'"),
        "{log}"
    );
    assert!(
        !pbx.dir
            .path()
            .join("var/spool/voicemail/default/4444")
            .exists()
    );
}
