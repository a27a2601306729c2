//! Records the build host and date for `core show version`, as Asterisk's
//! build does.
fn main() {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=ASTERISM_BUILD_HOST={host}");
    println!("cargo:rustc-env=ASTERISM_BUILD_DATE={date}");
    println!("cargo:rerun-if-changed=build.rs");
}
