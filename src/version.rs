//! The Asterisk version Asterism answers as, and its own build facts.
//!
//! Tools (FOP2, the Asterisk testsuite, AMI libraries) decide what protocol
//! to speak from the version string, so Asterism reports the Asterisk
//! release whose behaviour it reproduces.

/// The Asterisk release Asterism is compatible with.
pub const ASTERISK_VERSION: &str = "20.20.1";

/// Asterism's own version.
pub const ASTERISM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `core show version` line: `Asterisk <v> built by <who> @ <host> on a
/// <machine> running <os> on <date>`.
pub fn version_line() -> String {
    format!(
        "Asterisk {} built by {} @ {} on a {} running {} on {}",
        ASTERISK_VERSION,
        build_user(),
        build_hostname(),
        build_machine(),
        build_os(),
        build_date(),
    )
}

/// `ASTERISK_VERSION_NUM`: major, minor and patch as `%01d%02d%02d`.
pub fn version_num() -> String {
    let mut parts = ASTERISK_VERSION
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    format!("{:01}{:02}{:02}", next(), next(), next())
}

/// Who built it (`BUILD_USER`).
pub fn build_user() -> String {
    format!("asterism-{ASTERISM_VERSION}")
}

/// `BUILD_HOSTNAME`.
pub fn build_hostname() -> &'static str {
    env!("ASTERISM_BUILD_HOST")
}

/// `BUILD_MACHINE`.
pub fn build_machine() -> &'static str {
    std::env::consts::ARCH
}

/// `BUILD_DATE`.
pub fn build_date() -> &'static str {
    env!("ASTERISM_BUILD_DATE")
}

/// `BUILD_KERNEL`: the kernel release (read where Asterism runs, which
/// for a build from source is where it was built).
pub fn build_kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `BUILD_OS`.
pub fn build_os() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "freebsd" => "FreeBSD",
        other => other,
    }
}
