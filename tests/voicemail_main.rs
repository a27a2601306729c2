//! VoiceMailMain over real SIP calls: SIPp calls in and presses keys
//! (RFC 4733 digits from SIPp's pcaps, at fixed times after the answer),
//! the daemon runs with the test-suite events on
//! (`ASTERISM_TEST_FRAMEWORK=1`) so every file the channel streams is an
//! AMI `TestEvent` (`State: PLAYBACK`, `Message: <file>`), as is every
//! state app_voicemail announces (START, AUTHENTICATED, INTRO, USERPRESS,
//! BROWSE, ...). The test compares the files played, then the whole
//! TestEvent sequence, with what Asterisk 20.20.1 did in the same session
//! (golden/asterisk-20.20.1/voicemail_main/, captured from a
//! TEST_FRAMEWORK build), then looks at the spool.
//!
//! The prompts are 100 ms of silence under the names of the installed
//! English prompts (a private `astdatadir`), so each key can be pressed
//! once the application waits for it, and the sequence does not depend
//! on timing.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Pbx {
    dir: tempfile::TempDir,
    _data: tempfile::TempDir,
    _daemon: common::Daemon,
    chan_sip: u16,
    out: tempfile::TempDir,
    events: Arc<Mutex<String>>,
}

/// A 100 ms silent wav.
fn short_wav(path: &Path) {
    let samples = 800u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(samples * 2).to_le_bytes());
    b.resize(b.len() + samples as usize * 2, 0);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, b).expect("write wav");
}

/// Every installed English prompt name, as a short silent wav.
fn short_sounds(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("sounds").flatten() {
        let p = e.path();
        if p.is_dir() {
            short_sounds(&p, &to.join(e.file_name()));
        } else if let Some(stem) = p.file_stem() {
            short_wav(&to.join(stem).with_extension("wav"));
        }
    }
}

const VOICEMAIL_CONF: &str = "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice\n";

const DIALPLAN: &str = "\n[internal](+)\n\
exten => 9700,1,VoiceMailMain()\n same => n,Hangup()\n\
exten => 9701,1,VoiceMailMain(1000@default)\n same => n,Hangup()\n\
exten => 9702,1,VoiceMailMain(1000@default,s)\n same => n,Hangup()\n\
exten => 9703,1,VoiceMail(1000@default)\n same => n,Hangup()\n\
\n[vmcallback]\nexten => _X.,1,Playback(tt-monkeys)\n same => n,Hangup()\n\
\n[vmdialout]\nexten => _X.,1,Playback(tt-weasels)\n same => n,Hangup()\n\
\n[vmexit]\nexten => o,1,Playback(tt-somethingwrong)\n same => n,Hangup()\n";

fn start() -> Pbx {
    start_with(VOICEMAIL_CONF)
}

/// The PBX with `voicemail_conf` as its voicemail.conf (capture.py's
/// `EXTRA[session]["conf"]` for the sessions that have their own).
fn start_with(voicemail_conf: &str) -> Pbx {
    assert!(
        Command::new("sipp").arg("-v").output().is_ok(),
        "SIPp is needed (Debian package sip-tester; .ci/run installs it)"
    );
    let dir = common::config_copy("sipcalls");
    let data = tempfile::tempdir().expect("tempdir");
    short_sounds(
        Path::new("/usr/share/asterisk/sounds/en"),
        &data.path().join("sounds/en"),
    );
    let conf = dir.path().join("asterisk.conf");
    let text = std::fs::read_to_string(&conf).expect("asterisk.conf");
    std::fs::write(
        &conf,
        text.replace(
            "astdatadir => /usr/share/asterisk",
            &format!("astdatadir => {}", data.path().display()),
        ),
    )
    .expect("write asterisk.conf");
    std::fs::write(dir.path().join("voicemail.conf"), voicemail_conf).expect("voicemail.conf");
    let ami = common::free_tcp_port();
    std::fs::write(
        dir.path().join("manager.conf"),
        format!(
            "[general]\nenabled = yes\nport = {ami}\nbindaddr = 127.0.0.1\n\
             \n[vm]\nsecret = vm\nread = all\nwrite = all\n"
        ),
    )
    .expect("manager.conf");
    let ext = dir.path().join("extensions.conf");
    let mut text = std::fs::read_to_string(&ext).expect("extensions.conf");
    text.push_str(DIALPLAN);
    std::fs::write(&ext, text).expect("extensions.conf");
    let (chan_sip, pjsip) = (common::free_udp_port(), common::free_udp_port());
    common::move_ports(
        dir.path(),
        &["sip.conf", "pjsip.conf"],
        &[("5060", chan_sip), ("5070", pjsip)],
    );
    let daemon = common::Daemon::start_with_env(dir.path(), &[("ASTERISM_TEST_FRAMEWORK", "1")]);
    let events = Arc::new(Mutex::new(String::new()));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", ami)).expect("AMI");
    stream
        .write_all(b"Action: Login\r\nUsername: vm\r\nSecret: vm\r\nEvents: on\r\n\r\n")
        .expect("login");
    {
        let events = events.clone();
        let reader = stream.try_clone().expect("clone");
        std::thread::spawn(move || {
            let _keep = stream;
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                let mut e = events.lock().unwrap_or_else(|p| p.into_inner());
                e.push_str(line.trim_end_matches('\r'));
                e.push('\n');
            }
        });
    }
    std::thread::sleep(Duration::from_millis(300));
    Pbx {
        dir,
        _data: data,
        _daemon: daemon,
        chan_sip,
        out: tempfile::tempdir().expect("tempdir"),
        events,
    }
}

impl Pbx {
    fn inbox(&self, folder: &str) -> PathBuf {
        self.dir
            .path()
            .join("var/spool/voicemail/default/1000")
            .join(folder)
    }

    /// A message as VoiceMail leaves it; `mark` goes in its callerid.
    fn put_message(&self, folder: &str, n: u32, mark: &str) {
        let dir = self.inbox(folder);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join(format!("msg{n:04}.txt")),
            format!(
                ";\n; Message Information file\n;\n[message]\norigmailbox=1000\n\
                 context=internal\nmacrocontext=\nexten=1000\nrdnis=unknown\npriority=1\n\
                 callerchan=SIP/1001-00000000\ncallerid={mark}\n\
                 origdate=Tue Nov 14 10:13:20 PM UTC 2023\norigtime=1700000000\n\
                 category=\nmsg_id=1700000000-00000000\nflag=\nduration=5\n"
            ),
        )
        .expect("txt");
        short_wav(&dir.join(format!("msg{n:04}.wav")));
    }

    /// The callerid marks of a folder's messages, by number.
    fn marks(&self, folder: &str) -> Vec<(String, String)> {
        let dir = self.inbox(folder);
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let stem = name.strip_suffix(".txt")?.to_string();
                        let text = std::fs::read_to_string(e.path()).ok()?;
                        let mark = text
                            .lines()
                            .find_map(|l| l.strip_prefix("callerid="))?
                            .to_string();
                        Some((stem, mark))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Every file in a folder.
    fn files(&self, folder: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.inbox(folder))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// One call to `exten` pressing `keys` at their times (ms after the
    /// answer); the PBX hangs up. Returns the AMI events received from the
    /// call's start.
    fn call(&self, exten: &str, keys: &[(u64, char)]) -> String {
        self.call_with_audio(exten, keys, &[])
    }

    /// As [`Pbx::call`], with `tones`: (ms after the answer, length in
    /// ms) of a 440 Hz tone, sip-scenarios/tone_pcap.py's, as the
    /// recordings' audio (a recording with no frame for 4 s ends).
    fn call_with_audio(&self, exten: &str, keys: &[(u64, char)], tones: &[(u64, u32)]) -> String {
        let before = self.events.lock().map(|e| e.len()).unwrap_or(0);
        let trace = format!("vmm{exten}");
        let xml = self.out.path().join(format!("{trace}.xml"));
        let mut args: Vec<String> = Vec::new();
        for (i, (ms, k)) in keys.iter().enumerate() {
            let pcap = self.out.path().join(format!("{trace}-key{i}.pcap"));
            dtmf_pcap(&pcap, *k, i as u32);
            args.push("--play".into());
            args.push(format!("{ms}:{}", pcap.display()));
        }
        for (i, (ms, length)) in tones.iter().enumerate() {
            let pcap = self.out.path().join(format!("{trace}-tone{i}.pcap"));
            let ok = Command::new("python3")
                .arg(common::repo().join("sip-scenarios/tone_pcap.py"))
                .arg(&pcap)
                .arg(format!("440:{length}"))
                .status()
                .expect("tone_pcap.py");
            assert!(ok.success());
            args.push("--play".into());
            args.push(format!("{ms}:{}", pcap.display()));
        }
        let ok = Command::new("python3")
            .arg(common::repo().join("sip-scenarios/media_call.py"))
            .arg(&xml)
            .args(&args)
            .status()
            .expect("media_call.py");
        assert!(ok.success());
        let status = Command::new(common::repo().join("sip-scenarios/run.sh"))
            .arg("-o")
            .arg(self.out.path())
            .arg("-n")
            .arg(&trace)
            .arg(&xml)
            .arg(format!("127.0.0.1:{}", self.chan_sip))
            .args(["-s", exten, "-key", "user", "1000", "-au", "1000"])
            .args(["-ap", "s3cret1000"])
            .args(["-p", &common::free_udp_port().to_string()])
            .args(["-mp", &common::free_udp_port().to_string()])
            .env("SIPP_TIMEOUT", "90")
            .status()
            .expect("run.sh");
        let errors = std::fs::read_to_string(self.out.path().join(format!("{trace}.err.log")))
            .unwrap_or_default();
        assert!(status.success(), "SIPp failed: {errors}\n{}", self.log());
        std::thread::sleep(Duration::from_millis(500));
        let events = self.events.lock().map(|e| e.clone()).unwrap_or_default();
        events[before..].to_string()
    }

    /// The daemon's log, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("var/log/messages.log")).unwrap_or_default()
    }

    /// A mailbox's spool as capture.py lists it: each folder (with `/`)
    /// in path order, then its files; a `.txt` followed by its
    /// `callerid=` line (`whole`: by every line, indented, the header's
    /// run-dependent values masked as [`masked_conf_line`] does).
    fn spool_listing(&self, mailbox: &str, whole: bool) -> Vec<String> {
        let root = self
            .dir
            .path()
            .join("var/spool/voicemail/default")
            .join(mailbox);
        let mut dirs = vec![root.clone()];
        let mut i = 0;
        while i < dirs.len() {
            if let Ok(d) = std::fs::read_dir(&dirs[i]) {
                for e in d.flatten() {
                    if e.path().is_dir() {
                        dirs.push(e.path());
                    }
                }
            }
            i += 1;
        }
        dirs.sort();
        let mut out = Vec::new();
        for d in dirs {
            let rel = |p: &Path| {
                p.strip_prefix(&root)
                    .expect("in the mailbox")
                    .display()
                    .to_string()
            };
            if d != root {
                out.push(format!("{}/", rel(&d)));
            }
            let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
                .expect("dir")
                .flatten()
                .map(|e| e.path())
                .filter(|p| !p.is_dir())
                .collect();
            files.sort();
            for f in files {
                let name = rel(&f);
                if name.ends_with(".txt") {
                    let text = std::fs::read_to_string(&f).expect("txt");
                    if whole {
                        out.push(name);
                        out.extend(text.lines().map(|l| format!("  {}", masked_conf_line(l))));
                    } else {
                        match text.lines().find(|l| l.starts_with("callerid=")) {
                            Some(c) => out.push(format!("{name} {c}")),
                            None => out.push(name),
                        }
                    }
                } else {
                    out.push(name);
                }
            }
        }
        out
    }

    /// voicemail.conf as it is now, masked as capture.py masks it.
    fn voicemail_conf(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("voicemail.conf"))
            .expect("voicemail.conf")
            .lines()
            .map(masked_conf_line)
            .collect()
    }

    fn events_since_start(&self) -> String {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

/// A pcap of one RFC 4733 digit (payload type 101, as media_call.py's
/// SDP offers) for SIPp's play_pcap_audio: 100 ms of event packets and
/// three end packets. SIPp's own dtmf_2833 pcaps all carry the same
/// timestamps, so a second press would read as the first one repeated
/// (RFC 4733 receivers drop an event not later than the last ended);
/// here the `n`th key of a call is stamped after the ones before it.
fn dtmf_pcap(path: &Path, key: char, n: u32) {
    let event: u8 = match key {
        '*' => 10,
        '#' => 11,
        d => d.to_digit(10).expect("a DTMF digit") as u8,
    };
    let mut out = Vec::new();
    out.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let ts = 8000 * (n + 1);
    let seq0 = (20 * (n + 1)) as u16;
    for i in 0..8u16 {
        let end = i >= 5;
        let duration = 160 * (i.min(4) + 1);
        let mut rtp = vec![0x80, 101 | if i == 0 { 0x80 } else { 0 }];
        rtp.extend_from_slice(&(seq0 + i).to_be_bytes());
        rtp.extend_from_slice(&ts.to_be_bytes());
        rtp.extend_from_slice(&0x5EEDu32.to_be_bytes());
        rtp.push(event);
        rtp.push(if end { 0x80 | 10 } else { 10 });
        rtp.extend_from_slice(&duration.to_be_bytes());
        let udp_len = (8 + rtp.len()) as u16;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(20 + udp_len).to_be_bytes());
        ip.extend_from_slice(&(seq0 + i).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum >> 16 != 0 {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&40000u16.to_be_bytes());
        frame.extend_from_slice(&40000u16.to_be_bytes());
        frame.extend_from_slice(&udp_len.to_be_bytes());
        frame.extend_from_slice(&0u16.to_be_bytes());
        frame.extend_from_slice(&rtp);
        let t_us = u32::from(i.min(5)) * 20_000;
        out.extend_from_slice(&(t_us / 1_000_000).to_le_bytes());
        out.extend_from_slice(&(t_us % 1_000_000).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).expect("write pcap");
}

/// The `Message:` of each `TestEvent` with `State: PLAYBACK`; the spool
/// path of a message is cut to `voicemail/...`.
fn played(events: &str) -> Vec<String> {
    events
        .split("\n\n")
        .filter(|b| b.contains("Event: TestEvent") && b.contains("\nState: PLAYBACK"))
        .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("Message: ")))
        .map(|m| match m.find("voicemail/") {
            Some(i) => m[i..].to_string(),
            None => m.to_string(),
        })
        .collect()
}

/// Every `TestEvent`, in order, as capture.py's `test_events` writes
/// them: `State AppFile:AppLine AppFunction`, then the event's own fields
/// (those after `AppLine`) joined by "; ", a spool path in a field cut to
/// `voicemail/...` and RTP_PORT_ALLOCATED's `Port:` (a random port)
/// written `<port>`.
fn test_events(events: &str) -> Vec<String> {
    let spool = regex::Regex::new(r"/\S*/(voicemail/)").expect("regex");
    events
        .split("\n\n")
        .filter(|b| b.contains("Event: TestEvent"))
        .map(|b| {
            let (mut state, mut file, mut line, mut function) = ("", "", "", "");
            let mut data = Vec::new();
            let mut seen_line = false;
            for l in b.lines().filter(|l| !l.is_empty()) {
                let (k, v) = l.split_once(": ").unwrap_or((l, ""));
                if seen_line {
                    let v = spool.replace_all(v, "$1");
                    let v = if k == "Port" && state == "RTP_PORT_ALLOCATED" {
                        "<port>".into()
                    } else {
                        v
                    };
                    data.push(if l.contains(": ") {
                        format!("{k}: {v}")
                    } else {
                        l.to_string()
                    });
                    continue;
                }
                match k {
                    "State" if state.is_empty() => state = v,
                    "AppFile" if file.is_empty() => file = v,
                    "AppFunction" if function.is_empty() => function = v,
                    "AppLine" => {
                        line = v;
                        seen_line = true;
                    }
                    _ => {}
                }
            }
            std::iter::once(format!("{state} {file}:{line} {function}"))
                .chain(data)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// A section of golden/asterisk-20.20.1/voicemail_main/<session>.txt,
/// what Asterisk 20.20.1 (TEST_FRAMEWORK) did in the same session, with
/// the same messages and keys: the lines after the one starting with
/// `header`, up to the next section.
fn golden_section(session: &str, header: &str) -> Vec<String> {
    let path = common::repo().join(format!(
        "golden/asterisk-20.20.1/voicemail_main/{session}.txt"
    ));
    let text = std::fs::read_to_string(&path).expect("golden session");
    text.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .map(str::to_string)
        .collect()
}

/// The media port of SIPp's stream, which strict RTP locks onto
/// (`STRICT_RTP_LEARN`'s Source): the capture's was fixed, ours is free.
fn media_port_masked(e: String) -> String {
    if !e.starts_with("STRICT_RTP_LEARN ") {
        return e;
    }
    let source = regex::Regex::new(r"(Source: [^;:]*):\d+").expect("regex");
    source.replace_all(&e, "$1:<port>").into_owned()
}

/// capture.py's `masked_conf_line`: the date and the file's full path of
/// the header `ast_config_text_file_save` writes change with every run
/// (`<date>`; a spool path cut to `voicemail/...`, else the
/// configuration directory written `<etc>`).
fn masked_conf_line(l: &str) -> String {
    if l.starts_with(";! Creation Date: ") {
        return ";! Creation Date: <date>".into();
    }
    if let Some(rest) = l.strip_prefix(";! Filename: ") {
        if let Some((name, path)) = rest.split_once(" (")
            && let Some(path) = path.strip_suffix(')')
        {
            let path = match path.find("voicemail/") {
                Some(i) => path[i..].to_string(),
                None => format!("<etc>/{name}"),
            };
            return format!(";! Filename: {name} ({path})");
        }
        if rest.starts_with('/') {
            return match rest.find("voicemail/") {
                Some(i) => format!(";! Filename: {}", &rest[i..]),
                None => ";! Filename: <path>".into(),
            };
        }
    }
    l.to_string()
}

/// The `VoicemailPasswordChange` events, as capture.py lists them.
fn password_changes(events: &str) -> Vec<String> {
    events
        .split("\n\n")
        .filter(|b| b.contains("Event: VoicemailPasswordChange"))
        .map(|b| {
            b.lines()
                .filter(|l| {
                    ["Context:", "Mailbox:", "NewPassword:"]
                        .iter()
                        .any(|k| l.starts_with(k))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// Compares the session with Asterisk's: the files played (the
/// `[played]` section: file.c's PLAYBACK TestEvents and app_voicemail's
/// own, `instructions` before each menu and `folder name …` in the
/// folder list), then every TestEvent in order (the `[TestEvents`
/// section).
fn compare_with_reference(session: &str, events: &str) {
    assert_eq!(played(events), golden_section(session, "[played]"));
    let ours: Vec<String> = test_events(events)
        .into_iter()
        .map(media_port_masked)
        .collect();
    let reference: Vec<String> = golden_section(session, "[TestEvents")
        .into_iter()
        .map(media_port_masked)
        .collect();
    assert_eq!(ours, reference, "TestEvents of {session}");
}

/// No mailbox given: `vm_authenticate` asks for it ("vm-login") and the
/// password ("vm-password"); a wrong password with tries left streams
/// "vm-incorrect-mailbox" and asks for the mailbox again. Logged in,
/// `vm_intro_en` says 1 new message, `vm_instructions_en` the menu, and
/// `#` ends with "vm-goodbye" (`vm_execmain`'s `out:`).
#[test]
fn login_wrong_password_then_right_and_intro() {
    let pbx = start();
    pbx.put_message("INBOX", 0, "one");
    let mut keys = Vec::new();
    let mut t = 1000;
    let mut press = |s: &str, keys: &mut Vec<(u64, char)>| {
        for c in s.chars() {
            keys.push((t, c));
            t += 400;
        }
        t += 400;
    };
    press("1000#", &mut keys);
    press("99#", &mut keys);
    press("1000#", &mut keys);
    press("1234#", &mut keys);
    t += 2500;
    keys.push((t, '#'));
    let got = pbx.call("9700", &keys);
    compare_with_reference("login_wrong_password_then_right_and_intro", &got);
    // Nothing was played: the message stays new.
    assert_eq!(pbx.marks("INBOX"), [("msg0000".into(), "one".into())]);
    let events = pbx.events_since_start();
    assert!(
        events.contains("Event: MessageWaiting\n")
            && events.contains("Mailbox: 1000@default\nWaiting: 1\nNew: 1\nOld: 0\n"),
        "{events}"
    );
}

/// The mailbox given: only the password is asked; `1` plays the first
/// message (`play_message`), then the menu for a message heard; after
/// `#` the heard INBOX message is in Old (`close_mailbox` with
/// `moveheard`, on by default).
#[test]
fn playing_a_message_moves_it_to_old() {
    let pbx = start();
    pbx.put_message("INBOX", 0, "one");
    let keys = [
        (1000, '1'),
        (1400, '2'),
        (1800, '3'),
        (2200, '4'),
        (2600, '#'),
        (5000, '1'),
        (8000, '#'),
    ];
    let got = pbx.call("9701", &keys);
    compare_with_reference("playing_a_message_moves_it_to_old", &got);
    assert!(pbx.files("INBOX").is_empty(), "{:?}", pbx.files("INBOX"));
    assert_eq!(pbx.files("Old"), ["msg0000.txt", "msg0000.wav"]);
    assert_eq!(pbx.marks("Old"), [("msg0000".into(), "one".into())]);
    let events = pbx.events_since_start();
    assert!(
        events.contains("Mailbox: 1000@default\nWaiting: 0\nNew: 0\nOld: 1\n"),
        "{events}"
    );
}

/// Option `s`: no password. Three new messages (`vm_intro_en` says the
/// count as a number, then "messages"); `1` plays the first, `7` marks
/// it deleted ("vm-deleted"), `#` leaves: the deleted message is gone
/// and the other two are renumbered msg0000 and msg0001.
#[test]
fn deleting_renumbers_the_rest_and_s_skips_the_password() {
    let pbx = start();
    for (n, m) in ["one", "two", "three"].iter().enumerate() {
        pbx.put_message("INBOX", n as u32, m);
    }
    let keys = [(2500, '1'), (5500, '7'), (8500, '#')];
    let got = pbx.call("9702", &keys);
    compare_with_reference("deleting_renumbers_the_rest_and_s_skips_the_password", &got);
    assert_eq!(
        pbx.marks("INBOX"),
        [
            ("msg0000".into(), "two".into()),
            ("msg0001".into(), "three".into())
        ]
    );
    assert_eq!(
        pbx.files("INBOX"),
        ["msg0000.txt", "msg0000.wav", "msg0001.txt", "msg0001.wav"]
    );
    assert!(pbx.files("Old").is_empty());
}

/// `9` saves the current message: `get_folder2("vm-savefolder")` says
/// the prompt and then `get_folder`'s list (folders 0 to 4, each "N for
/// <folder> messages", then "vm-tocancel"); `2` picks Work; "message 1
/// saved to Work messages". The message lands in Work after the one
/// already there (msg0001) and leaves
/// INBOX, where the other one becomes msg0000.
#[test]
fn saving_to_a_folder() {
    let pbx = start();
    pbx.put_message("INBOX", 0, "one");
    pbx.put_message("INBOX", 1, "two");
    pbx.put_message("Work", 0, "old work");
    let keys = [(2500, '1'), (5500, '9'), (12500, '2'), (15500, '#')];
    let got = pbx.call("9702", &keys);
    compare_with_reference("saving_to_a_folder", &got);
    assert_eq!(
        pbx.marks("Work"),
        [
            ("msg0000".into(), "old work".into()),
            ("msg0001".into(), "one".into())
        ]
    );
    assert_eq!(pbx.marks("INBOX"), [("msg0000".into(), "two".into())]);
    assert!(pbx.files("Old").is_empty());
    // No temporary copy left behind.
    assert_eq!(
        pbx.files("Work"),
        ["msg0000.txt", "msg0000.wav", "msg0001.txt", "msg0001.wav"]
    );
}

/// A wrong password for a given mailbox, `maxlogins` (3) times:
/// `vm_authenticate` streams "vm-incorrect" after each (the mailbox was
/// given, so never "vm-incorrect-mailbox"), then "vm-goodbye"; the
/// application returns 0 and the dialplan goes on (its Hangup). No
/// MessageWaiting: `vm_execmain` publishes one only after a login.
#[test]
fn three_wrong_passwords_end_the_call() {
    let pbx = start();
    let keys = [
        (1000, '5'),
        (1400, '#'),
        (2500, '6'),
        (2900, '#'),
        (4000, '7'),
        (4400, '#'),
    ];
    let got = pbx.call("9701", &keys);
    compare_with_reference("three_wrong_passwords_end_the_call", &got);
    let log = pbx.log();
    assert!(
        log.contains("Incorrect password '7' for user '1000' (context = default)"),
        "{log}"
    );
    assert!(!pbx.events_since_start().contains("Event: MessageWaiting"));
}

/// Only an old message: `vm_execmain` opens Old first, `vm_intro_en`
/// says "1 old message", the menu offers Old. `2` changes folder
/// (`get_folder2("vm-changeto")`, then `get_folder`'s list); `0` opens
/// INBOX, `vm_play_folder_name` says "INBOX messages", and the menu of
/// an empty folder (`vm_instructions_en`: no "press 1") follows. The old
/// message, not played, stays where it was.
#[test]
fn changing_folder() {
    let pbx = start();
    pbx.put_message("Old", 0, "old one");
    let keys = [(2500, '2'), (9500, '0'), (12000, '#')];
    let got = pbx.call("9702", &keys);
    compare_with_reference("changing_folder", &got);
    assert_eq!(pbx.marks("Old"), [("msg0000".into(), "old one".into())]);
    assert!(pbx.files("INBOX").is_empty());
}

/// Three new messages, option `s`. `6` goes to the next message
/// (PREVMSG "browsing message 1"): "message" and its number (app_voicemail's
/// PLAYBACK "message number"), the envelope, the message (PLAYVOICE).
/// `3` opens the advanced options (ADVOPTIONS; reply, envelope, return)
/// and `*` returns; `0` opens the mailbox options (VMOPTIONS) and `*`
/// returns; `#` leaves. Coming back from the mailbox options reopens the
/// folder without closing it first (`vm_execmain`'s `open_mailbox` after
/// `vm_options`), which forgets what was heard: all three messages stay
/// new in INBOX.
#[test]
fn next_message_advanced_and_mailbox_options() {
    let pbx = start();
    for (n, m) in ["one", "two", "three"].iter().enumerate() {
        pbx.put_message("INBOX", n as u32, m);
    }
    let keys = [
        (2500, '6'),
        (5500, '3'),
        (8000, '*'),
        (10500, '0'),
        (13000, '*'),
        (15500, '#'),
    ];
    let got = pbx.call("9702", &keys);
    compare_with_reference("next_message_advanced_and_mailbox_options", &got);
    assert_eq!(
        pbx.marks("INBOX"),
        [
            ("msg0000".into(), "one".into()),
            ("msg0001".into(), "two".into()),
            ("msg0002".into(), "three".into())
        ]
    );
    assert!(pbx.files("Old").is_empty());
}

/// The lines of a golden section up to the one starting with `next`
/// (for a section holding `[...]` lines of its own, voicemail.conf).
fn golden_section_until(session: &str, header: &str, next: &str) -> Vec<String> {
    let path = common::repo().join(format!(
        "golden/asterisk-20.20.1/voicemail_main/{session}.txt"
    ));
    let text = std::fs::read_to_string(&path).expect("golden session");
    text.lines()
        .skip_while(|l| !l.starts_with(header))
        .skip(1)
        .take_while(|l| !l.starts_with(next))
        .map(str::to_string)
        .collect()
}

/// capture.py's `pw_keys`: a string typed a key every 400 ms.
fn typed(start: u64, s: &str) -> Vec<(u64, char)> {
    s.chars()
        .enumerate()
        .map(|(i, c)| (start + 400 * i as u64, c))
        .collect()
}

/// Mailbox options (`0`): `1` records the unavailable greeting
/// (`play_record_review`: "vm-rec-unv", the beep, the recording until
/// `#`, "thank you", then the review menu) and `1` keeps it; `2` the busy
/// greeting, reviewed (`2` plays `busy.tmp`), recorded again (`3`) and
/// kept; `3` the name, kept. Each is recorded as `<name>.tmp` and renamed
/// into the mailbox directory when kept: `unavail.wav`, `busy.wav`,
/// `greet.wav`, no `.tmp` left.
#[test]
fn recording_the_greetings() {
    let session = "recording_the_greetings";
    let pbx = start();
    let keys = [
        (2500, '0'),
        (5000, '1'),
        (7500, '#'),
        (9500, '1'),
        (11500, '2'),
        (14000, '#'),
        (16000, '2'),
        (19500, '3'),
        (22000, '#'),
        (24000, '1'),
        (26000, '3'),
        (28500, '#'),
        (30500, '1'),
        (32500, '*'),
        (35000, '#'),
    ];
    let tones = [(5500, 1500), (12000, 1500), (20000, 1500), (26500, 1500)];
    let got = pbx.call_with_audio("9702", &keys, &tones);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    // A kept greeting holds the tone that was sent while recording.
    let busy = std::fs::metadata(pbx.inbox("").join("busy.wav")).expect("busy.wav");
    assert!(busy.len() > 44 + 2 * 8000, "busy.wav: {} bytes", busy.len());
}

/// Mailbox option `4` with no temporary greeting records one at once
/// (`vm_tempgreeting`, "vm-rec-temp"), kept with `1`; the options menu
/// then starts with "vm-tmpexists". `4` again offers re-recording or
/// removing it ("vm-tempgreeting2"); `2` removes `temp.wav`
/// ("vm-tempremoved").
#[test]
fn temporary_greeting_record_then_remove() {
    let session = "temporary_greeting_record_then_remove";
    let pbx = start();
    let keys = [
        (2500, '0'),
        (5000, '4'),
        (7500, '#'),
        (9500, '1'),
        (12000, '4'),
        (14500, '2'),
        (17000, '*'),
        (19500, '#'),
    ];
    let got = pbx.call_with_audio("9702", &keys, &[(5500, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// Mailbox option `5`: a new password typed twice. The first time the
/// two differ ("vm-mismatch", "vm-pls-try-again", a NOTICE); the second
/// time they match: voicemail.conf is written again as Asterisk saves a
/// config (its generated header, the mailbox line with the new password
/// before its first comma), PASSWORDCHANGED and VoicemailPasswordChange
/// are raised, "vm-passchanged". The new password then opens the box.
#[test]
fn changing_the_password() {
    let session = "changing_the_password";
    let pbx = start();
    let mut keys = vec![(2500, '0'), (5000, '5')];
    keys.extend(typed(6000, "4321#"));
    keys.extend(typed(9000, "4322#"));
    keys.push((13000, '5'));
    keys.extend(typed(14000, "4321#"));
    keys.extend(typed(17000, "4321#"));
    keys.extend([(21000, '*'), (23500, '#')]);
    let got = pbx.call("9702", &keys);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.voicemail_conf(),
        golden_section_until(
            session,
            "[voicemail.conf afterwards]",
            "[VoicemailPasswordChange"
        )
    );
    assert_eq!(
        password_changes(&pbx.events_since_start()),
        golden_section(session, "[VoicemailPasswordChange events]")
    );
    let log = pbx.log();
    assert!(
        log.contains("Password mismatch for user 1000 (4321 != 4322)"),
        "{log}"
    );
    // The live mailbox has the new password: 4321 logs in at once.
    let again = pbx.call(
        "9701",
        &[
            (1000, '4'),
            (1400, '3'),
            (1800, '2'),
            (2200, '1'),
            (2600, '#'),
            (5000, '#'),
        ],
    );
    assert!(again.contains("State: AUTHENTICATED"), "{again}");
}

/// A new mailbox (`forcename` and `forcegreetings`, its password still
/// the mailbox number): after "vm-newuser", `vm_newuser_setup` has the
/// name, the unavailable and the busy greetings recorded (each kept with
/// `1`), then a password typed twice; voicemail.conf keeps the rest of
/// the mailbox line. Then the usual intro and menu.
#[test]
fn new_user_setup() {
    let session = "new_user_setup";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n\
         1000 => 1000,Alice,,,forcename=yes|forcegreetings=yes\n",
    );
    let mut keys = vec![
        (3000, '#'),
        (5000, '1'),
        (8000, '#'),
        (10000, '1'),
        (13000, '#'),
        (15000, '1'),
    ];
    keys.extend(typed(16500, "5678#"));
    keys.extend(typed(19000, "5678#"));
    keys.push((24000, '#'));
    let tones = [(1000, 1500), (6000, 1500), (11000, 1500)];
    let got = pbx.call_with_audio("9702", &keys, &tones);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        pbx.voicemail_conf(),
        golden_section_until(
            session,
            "[voicemail.conf afterwards]",
            "[VoicemailPasswordChange"
        )
    );
    assert_eq!(
        password_changes(&pbx.events_since_start()),
        golden_section(session, "[VoicemailPasswordChange events]")
    );
}

const TWO_BOXES: &str =
    "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice\n1001 => 4444,Bob\n";

/// `8` forwards the message heard (`forward_message`): "vm-extension",
/// `1001#`, the target said by its digits (no recorded name), then
/// `vm_forwardoptions`; `2` sends it as is: a byte-for-byte copy of its
/// files in 1001's INBOX as msg0000, 1001's MessageWaiting, a NOTICE,
/// "vm-msgforwarded". The original, heard, goes to Old at the end.
#[test]
fn forwarding_a_message_without_prepending() {
    let session = "forwarding_a_message_without_prepending";
    let pbx = start_with(TWO_BOXES);
    pbx.put_message("INBOX", 0, "one");
    let mut keys = vec![(2500, '1'), (5500, '8')];
    keys.extend(typed(6500, "1001#"));
    keys.extend([(11000, '2'), (14000, '#')]);
    let got = pbx.call("9702", &keys);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        pbx.spool_listing("1001", true),
        golden_section(session, "[spool voicemail/default/1001")
    );
    let events = pbx.events_since_start();
    assert!(
        events.contains("Mailbox: 1001@default\nWaiting: 1\nNew: 1\nOld: 0\n"),
        "{events}"
    );
    assert!(
        pbx.log()
            .contains("Copying message from 1000@default to 1001@default"),
        "{}",
        pbx.log()
    );
}

/// `8`, then `1`: the beep and a recording any key ends (the tone
/// sent, then `#`) put before the message (`ast_play_and_prepend`); the
/// copy in 1001 holds both parts, its `.txt` written again as Asterisk
/// saves a config (generated header, `name = value`, the duration plus
/// the prepended second). The sender's message is restored from its
/// `-bak` copy: unchanged, no backup left.
#[test]
fn forwarding_a_message_with_a_prepended_recording() {
    let session = "forwarding_a_message_with_a_prepended_recording";
    let pbx = start_with(TWO_BOXES);
    pbx.put_message("INBOX", 0, "one");
    let mut keys = vec![(2500, '1'), (5500, '8')];
    keys.extend(typed(6500, "1001#"));
    keys.extend([(11000, '1'), (14000, '#'), (17000, '#')]);
    let got = pbx.call_with_audio("9702", &keys, &[(12000, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        pbx.spool_listing("1001", true),
        golden_section(session, "[spool voicemail/default/1001")
    );
    // The sender's copy is the 100 ms original; the forwarded one has the
    // 1.5 s tone before it, then the original as format_wav reads it back
    // (all but its last 44 bytes).
    let original = std::fs::metadata(pbx.inbox("Old").join("msg0000.wav")).expect("original");
    assert_eq!(original.len(), 44 + 1600);
    let forwarded = std::fs::metadata(
        pbx.dir
            .path()
            .join("var/spool/voicemail/default/1001/INBOX/msg0000.wav"),
    )
    .expect("forwarded");
    assert!(
        forwarded.len() >= 44 + (1600 - 44) + 2 * 12000,
        "{}",
        forwarded.len()
    );
}

/// capture.py's `masked_message_line`, for a message recorded during the
/// session: when it was recorded (origdate, origtime, msg_id's time part)
/// changes with every run.
fn masked_message_line(l: &str) -> String {
    for k in ["origdate=", "origtime="] {
        if l.starts_with(k) {
            return format!("{k}<time>");
        }
    }
    if let Some(v) = l.strip_prefix("msg_id=") {
        return format!("msg_id=<time>-{}", v.split_once('-').map_or(v, |x| x.1));
    }
    l.to_string()
}

/// A mailbox's spool with every `.txt` whole, a message recorded in the
/// session masked as capture.py masks it.
fn spool_with_new_message(pbx: &Pbx, mailbox: &str) -> Vec<String> {
    pbx.spool_listing(mailbox, true)
        .into_iter()
        .map(|l| match l.strip_prefix("  ") {
            Some(rest) => format!("  {}", masked_message_line(rest)),
            None => l,
        })
        .collect()
}

const BOB: &str = "\"Bob\" <1001>";

/// `3`, `3` (`play_message_envelope`): when the message came (as
/// `play_message` says it) and who left it: "from phone number" and the
/// digits (1001 is not from a `cidinternalcontexts` context), or "an
/// unknown caller". The option ends there: the message is not played
/// again.
#[test]
fn advanced_options_envelope() {
    let session = "advanced_options_envelope";
    let pbx = start();
    pbx.put_message("INBOX", 0, BOB);
    pbx.put_message("INBOX", 1, "Unknown");
    let got = pbx.call(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '3'),
            (12000, '6'),
            (15000, '3'),
            (17500, '3'),
            (21000, '#'),
        ],
    );
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// Nothing configured: `2` (no callback context), `4` (no dialout
/// context), `5` (no `sendvoicemail`) each say "sorry"; `1` replies to
/// 1001, which has no mailbox here: "vm-nobox".
#[test]
fn advanced_options_not_configured() {
    let session = "advanced_options_not_configured";
    let pbx = start();
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '2'),
            (10500, '3'),
            (13000, '4'),
            (15500, '3'),
            (18000, '5'),
            (20500, '3'),
            (23000, '1'),
            (25500, '3'),
            (28000, '*'),
            (30500, '#'),
        ],
    );
    compare_with_reference(session, &got);
    assert!(pbx.log().contains("Callback Requested"), "{}", pbx.log());
    assert!(
        pbx.log()
            .contains("No mailbox number '1001' in context 'default', no reply sent"),
        "{}",
        pbx.log()
    );
}

/// `3`, `1`: a reply into the sender's mailbox (`leave_voicemail` for
/// 1001@default): "vm-intro", the beep, the recording (the tone, `#`),
/// "auth-thankyou"; back in the menu. 1001's INBOX holds the message as
/// VoiceMail writes it, with this call's caller ID.
#[test]
fn advanced_options_reply() {
    let session = "advanced_options_reply";
    let pbx = start_with(TWO_BOXES);
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call_with_audio(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '1'),
            (12500, '#'),
            (16000, '#'),
        ],
        &[(9500, 1500)],
    );
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        spool_with_new_message(&pbx, "1001"),
        golden_section(session, "[spool voicemail/default/1001")
    );
    let events = pbx.events_since_start();
    assert!(
        events.contains("Mailbox: 1001@default\nWaiting: 1\nNew: 1\nOld: 0\n"),
        "{events}"
    );
}

/// `callback=vmcallback`: `3`, `2` says the number it has (1001) and
/// asks; `1` leaves the channel at vmcallback,1001: "vm-dialout", and the
/// dialplan plays tt-monkeys there.
#[test]
fn advanced_options_callback() {
    let session = "advanced_options_callback";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,callback=vmcallback\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call(
        "9702",
        &[(2500, '1'), (5500, '3'), (8000, '2'), (11500, '1')],
    );
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert!(
        pbx.log().contains(
            "Placing outgoing call to extension '1001' in context 'vmcallback' from context 'internal'"
        ),
        "{}",
        pbx.log()
    );
}

/// Callback and dialout contexts: `3`, `2` also offers another number;
/// `5` is not an answer ("sorry", asked again), `2` reads one (`2001#`)
/// and the dialplan goes on at vmdialout,2001.
#[test]
fn advanced_options_callback_another_number() {
    let session = "advanced_options_callback_another_number";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n\
         1000 => 1234,Alice,,,callback=vmcallback|dialout=vmdialout\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let mut keys = vec![
        (2500, '1'),
        (5500, '3'),
        (8000, '2'),
        (11500, '5'),
        (15000, '2'),
    ];
    keys.extend(typed(17500, "2001#"));
    let got = pbx.call("9702", &keys);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `dialout=vmdialout`: `3`, `4` asks for a number, `*` cancels; `3`,
/// `4`, `2001#`: "vm-dialout", then vmdialout,2001 plays tt-weasels.
#[test]
fn advanced_options_dialout() {
    let session = "advanced_options_dialout";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,dialout=vmdialout\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let mut keys = vec![
        (2500, '1'),
        (5500, '3'),
        (8000, '4'),
        (10500, '*'),
        (13000, '3'),
        (15500, '4'),
    ];
    keys.extend(typed(17500, "2001#"));
    let got = pbx.call("9702", &keys);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `sendvoicemail=yes`: `3`, `5` asks for a mailbox as forwarding does
/// (`1001#`, said back), then leaves a new message there (the tone,
/// `#`, "auth-thankyou").
#[test]
fn advanced_options_send_a_message() {
    let session = "advanced_options_send_a_message";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n\
         1000 => 1234,Alice,,,sendvoicemail=yes\n1001 => 4444,Bob\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let mut keys = vec![(2500, '1'), (5500, '3'), (8000, '5')];
    keys.extend(typed(9000, "1001#"));
    keys.extend([(16500, '#'), (20000, '#')]);
    let got = pbx.call_with_audio("9702", &keys, &[(13500, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        spool_with_new_message(&pbx, "1001"),
        golden_section(session, "[spool voicemail/default/1001")
    );
}

/// VoiceMail itself (9703): "vm-intro", the beep, the recording ended by
/// `#`, then "auth-thankyou" as `__ast_play_and_record` says it.
#[test]
fn voicemail_leaving_a_message() {
    let session = "voicemail_leaving_a_message";
    let pbx = start();
    let got = pbx.call_with_audio("9703", &[(4500, '#')], &[(1500, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `maxsecs = 2`: the recording is cut by the time limit; "auth-thankyou"
/// as for `#`.
#[test]
fn voicemail_recording_cut_at_maxsecs() {
    let session = "voicemail_recording_cut_at_maxsecs";
    let pbx = start_with("[general]\nformat = wav\nmaxsecs = 2\n\n[default]\n1000 => 1234,Alice\n");
    let got = pbx.call_with_audio("9703", &[], &[(1500, 5000)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `callback=vmcallback`, a caller ID that is only a name: `3`, `2` says
/// "vm-nonumber" (no dialout context to offer another), `*` cancels;
/// `3`, `1` (reply) says "vm-nonumber" too.
#[test]
fn advanced_options_no_caller_number() {
    let session = "advanced_options_no_caller_number";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,callback=vmcallback\n",
    );
    pbx.put_message("INBOX", 0, "Bob");
    let got = pbx.call(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '2'),
            (10500, '*'),
            (13000, '3'),
            (15500, '1'),
            (18000, '#'),
        ],
    );
    compare_with_reference(session, &got);
    assert!(
        pbx.log().contains("No CID number available, no reply sent"),
        "{}",
        pbx.log()
    );
}

/// `saycid = yes` and the message's context (`internal`) among
/// `cidinternalcontexts`: `play_message` says "vm-from-extension" and
/// the digits (1001 has no recorded name), and so does the envelope.
#[test]
fn saycid_from_an_internal_context() {
    let session = "saycid_from_an_internal_context";
    let pbx = start_with(
        "[general]\nformat = wav\nsaycid = yes\ncidinternalcontexts = other, internal\n\n\
         [default]\n1000 => 1234,Alice\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call(
        "9702",
        &[(2500, '1'), (6000, '3'), (8500, '3'), (12000, '#')],
    );
    compare_with_reference(session, &got);
}

/// `dialout=vmdialout` before any message is current: `3` offers only
/// the outgoing call, `1` (reply) says "sorry"; `3`, `4` and no number
/// typed: the prompts and a 6 s wait three times, then the main menu.
#[test]
fn advanced_options_dialout_timeouts() {
    let session = "advanced_options_dialout_timeouts";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,dialout=vmdialout\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call(
        "9702",
        &[
            (2500, '3'),
            (5000, '1'),
            (7500, '3'),
            (10000, '4'),
            (33000, '#'),
        ],
    );
    compare_with_reference(session, &got);
    // Nothing was played: the message stays new.
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `operator = yes`, `exitcontext = vmexit` (its `o` plays
/// tt-somethingwrong).
const OPERATOR_CONF: &str = "[general]\nformat = wav\noperator = yes\nexitcontext = vmexit\n\n\
                             [default]\n1000 => 1234,Alice\n";

/// `3`, `1` with an operator: `0` during the reply's recording asks
/// "vm-saveoper", `1` keeps it ("vm-msgsaved"), "transfer", and
/// VoiceMailMain ends without goodbye (OPERATOR_EXIT): vmexit,o runs.
#[test]
fn advanced_options_reply_to_the_operator() {
    let session = "advanced_options_reply_to_the_operator";
    let pbx = start_with(&format!("{OPERATOR_CONF}1001 => 4444,Bob\n"));
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call_with_audio(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '1'),
            (12500, '0'),
            (14000, '1'),
        ],
        &[(9500, 1500)],
    );
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
    assert_eq!(
        spool_with_new_message(&pbx, "1001"),
        golden_section(session, "[spool voicemail/default/1001")
    );
}

/// VoiceMail with an operator: `0` during the recording, no key at
/// "vm-saveoper": "vm-deleted", no message, "transfer", vmexit,o.
#[test]
fn voicemail_zero_during_recording_deleted() {
    let session = "voicemail_zero_during_recording_deleted";
    let pbx = start_with(OPERATOR_CONF);
    let got = pbx.call_with_audio("9703", &[(4500, '0')], &[(1500, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// As above, `4` at "vm-saveoper": kept in `Urgent` ("vm-marked-urgent",
/// "vm-msgsaved").
#[test]
fn voicemail_zero_during_recording_saved_urgent() {
    let session = "voicemail_zero_during_recording_saved_urgent";
    let pbx = start_with(OPERATOR_CONF);
    let got = pbx.call_with_audio("9703", &[(4500, '0'), (6000, '4')], &[(1500, 1500)]);
    compare_with_reference(session, &got);
    assert_eq!(
        pbx.spool_listing("1000", false),
        golden_section(session, "[spool voicemail/default/1000")
    );
}

/// `callback=vmcallback`, `3`, `2` and no answer: the number is offered
/// again after every 6 s wait, past the fourth too (Asterisk's tries
/// running out only start the question over); `*` cancels.
#[test]
fn advanced_options_callback_unanswered() {
    let session = "advanced_options_callback_unanswered";
    let pbx = start_with(
        "[general]\nformat = wav\n\n[default]\n1000 => 1234,Alice,,,callback=vmcallback\n",
    );
    pbx.put_message("INBOX", 0, BOB);
    let got = pbx.call(
        "9702",
        &[
            (2500, '1'),
            (5500, '3'),
            (8000, '2'),
            (38500, '*'),
            (42000, '#'),
        ],
    );
    compare_with_reference(session, &got);
}
