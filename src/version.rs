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
        "Asterisk {} built by asterism-{} @ {} on a {} running {} on {}",
        ASTERISK_VERSION,
        ASTERISM_VERSION,
        env!("ASTERISM_BUILD_HOST"),
        std::env::consts::ARCH,
        build_os(),
        env!("ASTERISM_BUILD_DATE"),
    )
}

fn build_os() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        "freebsd" => "FreeBSD",
        other => other,
    }
}
