//! Shared test support: config trees in temporary directories, the real
//! daemon as a child process, and golden CLI transcripts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies `compat-configs/<name>` into a fresh temporary directory.
pub fn config_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&repo().join("compat-configs").join(name), dir.path());
    dir
}

/// Copies a config directory of the repository (`tests/configs/<name>`,
/// say) into a fresh temporary directory.
pub fn dir_copy(path: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&repo().join(path), dir.path());
    dir
}

/// Copies `compat-configs/<name>` into `<fresh temporary directory>/<sub>`
/// (the layout a capture ran in, where paths leaving the config directory
/// are compared).
pub fn config_copy_in(name: &str, sub: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &repo().join("compat-configs").join(name),
        &dir.path().join(sub),
    );
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != "var" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A running `asterisk -f` on a config directory; stopped when dropped.
pub struct Daemon {
    pub conf: PathBuf,
    child: Child,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_asterisk")
}

impl Daemon {
    pub fn start(dir: &Path) -> Daemon {
        Daemon::start_with_env(dir, &[])
    }

    /// As [`Daemon::start`], with more variables in its environment.
    pub fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Daemon {
        let conf = dir.join("asterisk.conf");
        // The reference captures ran with the process in UTC.
        let child = Command::new(binary())
            .env("TZ", "UTC")
            .envs(env.iter().copied())
            .args(["-f", "-g", "-q", "-m", "-n", "-C"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn asterisk");
        let d = Daemon { conf, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = d.rx("core waitfullybooted");
            if out == "Asterisk has fully booted.\n" {
                break;
            }
            assert!(Instant::now() < deadline, "daemon did not boot: {out}");
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    /// `asterisk -C <conf> -rx <cmd>`: what the command prints on stdout.
    pub fn rx(&self, cmd: &str) -> String {
        let out = Command::new(binary())
            .arg("-C")
            .arg(&self.conf)
            .arg("-rx")
            .arg(cmd)
            .output()
            .expect("run -rx");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The output blocks of a golden `-rx` transcript, by command.
pub fn golden_blocks(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).expect("golden file");
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("$ ") {
            // `$ asterisk -C … -rx '<cmd>'` or just `$ <cmd>`.
            let cmd = match rest.split_once("-rx '") {
                Some((_, c)) => c.trim_end().trim_end_matches('\'').to_string(),
                None => rest.trim_end().to_string(),
            };
            blocks.push((cmd, String::new()));
        } else if let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
        }
    }
    // The capture adds one line break after each output (so an empty
    // output is a lone line break).
    for (_, body) in &mut blocks {
        if body.ends_with('\n') {
            body.pop();
        }
    }
    blocks
}

pub fn golden(path: &Path, cmd: &str) -> String {
    golden_blocks(path)
        .into_iter()
        .find(|(c, _)| c == cmd)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no golden block for {cmd}"))
}

pub fn reference_cli_golden() -> PathBuf {
    repo().join("golden/asterisk-20.20.1/cli/04_cli_rx.txt")
}

/// A UDP port free on loopback now (for a daemon or SIPp to bind).
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free UDP port")
}

/// Waits (at most 10 s) until something listens on UDP `port` of
/// loopback: a SIPp UAS started in the background is ready once its
/// port can no longer be bound. False if it never was.
pub fn wait_udp_bound(port: u16) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < until {
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_err() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

/// A TCP port free on loopback now (manager, HTTP).
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free TCP port")
}

/// Replaces each `from` port with `to` in the named files of a config copy
/// (the SIP configs name their fixed ports; tests move them to free ones).
pub fn move_ports(dir: &Path, files: &[&str], ports: &[(&str, u16)]) {
    for file in files {
        let p = dir.join(file);
        let text = std::fs::read_to_string(&p).expect("config");
        std::fs::write(&p, replace_all_at_once(&text, ports)).expect("write config");
    }
}

/// Every `from` in `text` replaced by its port in one left-to-right pass:
/// replacing one after another would rewrite a new port that happens to
/// contain a later `from` (5060 -> 45070, then 5070 -> 4<port>).
pub fn replace_all_at_once(text: &str, ports: &[(&str, u16)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((from, to)) = ports.iter().find(|(from, _)| rest.starts_with(from)) {
            out.push_str(&to.to_string());
            rest = &rest[from.len()..];
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// xorshift64*: reproducible random inputs without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 for an empty range).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
