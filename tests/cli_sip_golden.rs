//! `sip show peers`, `pjsip show endpoints` and `pjsip show transports`
//! for the reference config, compared byte for byte with Asterisk
//! 20.20.1's capture (04_cli_rx.txt).

use std::path::{Path, PathBuf};

const REF: &str = "/work/shared/reference/asterisk-20.20.1";

/// The output captured for `command`: the lines after its `$ ` line up to
/// the next one, without the empty line the capture adds after each.
fn golden(command: &str) -> String {
    let text = std::fs::read_to_string(Path::new(REF).join("transcripts/04_cli_rx.txt"))
        .expect("transcript");
    let marker = format!("-rx '{command}'\n");
    let start = text.find(&marker).expect("command in transcript") + marker.len();
    let rest = &text[start..];
    let end = rest.find("\n$ ").map(|i| i + 1).unwrap_or(rest.len());
    let block = &rest[..end];
    block
        .strip_suffix('\n')
        .expect("capture's trailing empty line")
        .to_string()
}

fn system() -> (tempfile::TempDir, std::sync::Arc<asterism::core::System>) {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(Path::new(REF).join("etc")).expect("etc") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name != "asterisk.conf" {
            std::fs::copy(entry.path(), dir.path().join(&name)).expect("copy");
        }
    }
    std::fs::create_dir_all(dir.path().join("run")).expect("run");
    let conf: PathBuf = dir.path().join("asterisk.conf");
    std::fs::write(
        &conf,
        "[directories]\nastetcdir => .\nastrundir => run\nastlogdir => log\nastspooldir => spool\nastvarlibdir => lib\nastdatadir => lib\n\n[options]\nverbose = 3\n",
    )
    .expect("asterisk.conf");
    let sys = asterism::core::System::start(&conf).expect("system starts");
    (dir, sys)
}

#[test]
fn golden_sip_and_pjsip_listings() {
    let (_dir, sys) = system();
    for cmd in [
        "sip show peers",
        "pjsip show endpoints",
        "pjsip show transports",
        "sip show settings",
    ] {
        assert_eq!(asterism::cli::execute(&sys, cmd), golden(cmd), "{cmd}");
    }
}

#[test]
fn not_found_answers() {
    let (_dir, sys) = system();
    assert_eq!(
        asterism::cli::execute(&sys, "sip show peer nobody"),
        "Peer nobody not found.\n\n"
    );
    assert_eq!(
        asterism::cli::execute(&sys, "pjsip show endpoint nobody"),
        "Unable to find object nobody.\n\n"
    );
}

#[test]
fn aors_and_auths() {
    let (_dir, sys) = system();
    let aors = asterism::cli::execute(&sys, "pjsip show aors");
    let line = format!("\n      Aor:  {:<41} {:>12}\n", "1001", 0);
    assert!(aors.contains(&line), "{aors}");
    assert!(aors.ends_with("\nObjects found: 3\n\n"), "{aors}");
    let auths = asterism::cli::execute(&sys, "pjsip show auths");
    assert!(auths.contains("\n     Auth:  3001-auth/3001\n"), "{auths}");
    let peer = asterism::cli::execute(&sys, "sip show peer 1000");
    assert!(peer.contains("  Codecs       : (ulaw|alaw)\n"), "{peer}");
    assert!(peer.contains("  Mailbox      : 1000@default\n"), "{peer}");
}
