//! CLI output of the config views for compat-configs/reference, office and
//! office-pjsip, tests/configs/views-rich and tests/configs/geoloc,
//! compared byte for byte with what Asterisk 20.20.1 printed for the same
//! files (golden/asterisk-20.20.1/cli/views_*.txt, geoloc*.txt).
//!
//! Those captures ran with the configuration in `/tmp/astcap.<6 random
//! characters>/etc` and the logs in `…/log`; the system here is laid out
//! the same way, and the random part is written `XXXXXX` on both sides.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use asterism::core::System;

struct Setup {
    dir: tempfile::TempDir,
    sys: Arc<System>,
    golden: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// `compat-configs/<config>` laid out as the capture script lays it out.
fn setup(config: &str, golden: &str) -> Setup {
    setup_from(&common::repo().join("compat-configs").join(config), golden)
}

fn setup_from(config_dir: &Path, golden: &str) -> Setup {
    setup_layers(&[config_dir], golden)
}

/// The config directories copied one over the other, as the capture laid
/// them out.
fn setup_layers(config_dirs: &[&Path], golden: &str) -> Setup {
    let dir = tempfile::Builder::new()
        .prefix("astcap.")
        .rand_bytes(6)
        .tempdir_in("/tmp")
        .expect("tempdir");
    let root = dir.path();
    let etc = root.join("etc");
    for d in config_dirs {
        copy_dir(d, &etc);
    }
    for d in ["log", "run", "spool", "var/lib"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    // The capture's [directories], then the config's other sections.
    let original = std::fs::read_to_string(etc.join("asterisk.conf")).expect("asterisk.conf");
    let mut conf = format!(
        "[directories]\nastetcdir => {r}/etc\nastvarlibdir => {r}/var/lib\nastdbdir => {r}/var/lib\n\
         astkeydir => {r}/var/lib\nastdatadir => {r}/var/lib\nastagidir => {r}/var/lib/agi-bin\n\
         astspooldir => {r}/spool\nastrundir => {r}/run\nastlogdir => {r}/log\n\n",
        r = root.display()
    );
    let mut skip = false;
    for line in original.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix('[') {
            skip = rest
                .split(']')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case("directories"));
        }
        if !skip {
            conf.push_str(line);
            conf.push('\n');
        }
    }
    std::fs::write(etc.join("asterisk.conf"), conf).expect("write asterisk.conf");
    let sys = System::start(&etc.join("asterisk.conf")).expect("system starts");
    Setup {
        dir,
        sys,
        golden: common::repo()
            .join("golden/asterisk-20.20.1/cli")
            .join(golden),
    }
}

impl Setup {
    /// The command's output with the temporary directory's random part
    /// written as in the golden files.
    fn rx(&self, cmd: &str) -> String {
        let root = self.dir.path().display().to_string();
        asterism::cli::execute(&self.sys, cmd).replace(&root, "/tmp/astcap.XXXXXX")
    }

    fn check(&self, cmds: &[&str]) {
        let mut failed = Vec::new();
        for cmd in cmds {
            let (got, want) = (self.rx(cmd), common::golden(&self.golden, cmd));
            if got != want {
                // Both sides on disk, for a diff.
                let dir = std::env::temp_dir().join("asterism-golden-diff");
                let _ = std::fs::create_dir_all(&dir);
                let stem = cmd.replace(' ', "_");
                let _ = std::fs::write(dir.join(format!("{stem}.got")), &got);
                let _ = std::fs::write(dir.join(format!("{stem}.want")), &want);
                failed.push(*cmd);
            }
        }
        assert!(failed.is_empty(), "differ from the golden: {failed:?}");
    }
}

#[test]
fn sip_show_peer_reference() {
    let s = setup("reference", "views_reference.txt");
    s.check(&[
        "sip show peer 1000",
        "sip show peer 2000",
        "sip show peer 3000",
    ]);
    // The earlier capture of the same configuration agrees.
    let more = common::repo().join("golden/asterisk-20.20.1/cli/reference_more.txt");
    for cmd in [
        "sip show peer 1000",
        "sip show peer 3000",
        "sip show peer nope",
    ] {
        assert_eq!(s.rx(cmd), common::golden(&more, cmd), "{cmd}");
    }
}

/// `sip show users [like]`: the users and friends in the peers
/// container's order, captured from both configurations.
#[test]
fn sip_show_users() {
    for (config, golden) in [
        ("office", "views_office.txt"),
        ("reference", "views_reference.txt"),
    ] {
        setup(config, golden).check(&["sip show users", "sip show users like 10"]);
    }
}

/// `moh show files`: each class with files, then its files without their
/// extension, in the format the reference printed for the office
/// configuration, where both classes play the same directory (one file
/// here, so the directory's order cannot vary).
#[test]
fn moh_show_files() {
    let s = setup("office", "views_office.txt");
    let moh = s.dir.path().join("var/lib/moh");
    std::fs::create_dir_all(&moh).expect("moh dir");
    std::fs::write(moh.join("macroform-cold_day.wav"), b"").expect("moh file");
    assert_eq!(
        s.rx("moh show files"),
        "Class: default\n\tFile: /tmp/astcap.XXXXXX/var/lib/moh/macroform-cold_day\n\
         Class: office\n\tFile: /tmp/astcap.XXXXXX/var/lib/moh/macroform-cold_day\n"
    );
}

#[test]
fn sip_show_peer_office() {
    let s = setup("office", "views_office.txt");
    s.check(&[
        "sip show peer 1000",
        "sip show peer 2000",
        "sip show peer 3000",
    ]);
}

#[test]
fn pjsip_show_endpoint_reference() {
    let s = setup("reference", "views_reference.txt");
    s.check(&[
        "pjsip show endpoint 1001",
        "pjsip show endpoint 2001",
        "pjsip show endpoint 3001",
        "pjsip show endpoint nobody",
    ]);
    let more = common::repo().join("golden/asterisk-20.20.1/cli/reference_more.txt");
    let cmd = "pjsip show endpoint 3001";
    assert_eq!(s.rx(cmd), common::golden(&more, cmd), "{cmd}");
}

#[test]
fn pjsip_show_endpoint_office_pjsip() {
    let s = setup("office-pjsip", "views_office_pjsip.txt");
    s.check(&[
        "pjsip show endpoint 1000",
        "pjsip show endpoint 2000",
        "pjsip show endpoint 3000",
    ]);
}

/// tests/configs/views-rich: most options set to something else than
/// their default.
fn rich() -> Setup {
    setup_from(
        &common::repo().join("tests/configs/views-rich"),
        "views_rich.txt",
    )
}

#[test]
fn sip_rich() {
    rich().check(&[
        "sip show peers",
        "sip show peer alice",
        "sip show peer bob",
        "sip show peer dave",
        "sip show peer erin",
        "sip show peer carol",
    ]);
}

#[test]
fn pjsip_rich() {
    rich().check(&[
        "pjsip show endpoints",
        "pjsip show endpoint ep-full",
        "pjsip show endpoint ep-all",
        "pjsip show endpoint ep-webrtc",
        "pjsip show endpoint ep-pref",
        "pjsip show endpoint ep-bad",
        "pjsip show endpoint ep-bad2",
        "pjsip show endpoint ep-bad3",
    ]);
}

/// The commands whose output comes from the smaller config views, for
/// each configuration.
const VIEW_COMMANDS: &[&str] = &[
    "logger show channels",
    "logger show levels",
    "http show status",
    "ari show status",
    "ari show users",
    "cdr show status",
    "features show",
    "indication show",
    "indication show xx",
    "rtp show settings",
];

/// What was captured for the compat configs besides [`VIEW_COMMANDS`].
const COMPAT_EXTRA: &[&str] = &[
    "ari show user ariuser",
    "ari show user nobody",
    "indication show us",
];

#[test]
fn views_reference() {
    let s = setup("reference", "views_reference.txt");
    s.check(VIEW_COMMANDS);
    s.check(COMPAT_EXTRA);
}

#[test]
fn views_office() {
    let s = setup("office", "views_office.txt");
    s.check(VIEW_COMMANDS);
    s.check(COMPAT_EXTRA);
}

#[test]
fn views_office_pjsip() {
    let s = setup("office-pjsip", "views_office_pjsip.txt");
    s.check(VIEW_COMMANDS);
    s.check(COMPAT_EXTRA);
}

#[test]
fn views_rich() {
    let s = rich();
    s.check(VIEW_COMMANDS);
    s.check(&[
        "ari show user u1",
        "ari show user u2",
        "ari show user u3",
        "ari show user u5",
        "indication show us de",
        "indication show de xx uk",
    ]);
}

/// tests/configs/geoloc: pjsip endpoints naming geolocation profiles that
/// exist, do not, or were refused, and a geolocation.conf with valid and
/// invalid objects of each format.
fn geoloc() -> Setup {
    setup_from(&common::repo().join("tests/configs/geoloc"), "geoloc.txt")
}

#[test]
fn geoloc_cli() {
    let s = geoloc();
    let golden = s.golden.clone();
    let cmds: Vec<String> = common::golden_blocks(&golden)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    // Every command captured, the pjsip ones included.
    s.check(&cmds.iter().map(String::as_str).collect::<Vec<_>>());
    // Asterisk crashes showing prof-dangling (its location does not
    // exist); Asterism leaves it out, so the whole list is the capture of
    // every other profile.
    assert_eq!(
        s.rx("geoloc show profiles"),
        common::golden(&golden, "geoloc show profiles like ^(<|prof-[^d])")
    );
}

/// The lines Asterisk logged about the objects it refused, in its order:
/// the view reports the same texts (each with the file:line of the
/// section or line) in the same order. The empty line Asterisk logs after
/// a message ending in its own line break is not a diagnostic.
fn check_refusals(s: &Setup, log: &str) {
    let want: Vec<String> =
        std::fs::read_to_string(common::repo().join("golden/asterisk-20.20.1/cli").join(log))
            .expect("golden log")
            .lines()
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(".c: ").map(|(_, m)| m.to_string()))
            .collect();
    let loaded = s.sys.loaded();
    let got: Vec<String> = loaded
        .reports
        .iter()
        .filter(|r| r.name == "geolocation.conf" || r.name == "pjsip.conf")
        .flat_map(|r| r.diagnostics.iter())
        .filter(|d| d.severity == asterism::config::Severity::Error)
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn geoloc_refusals() {
    check_refusals(&geoloc(), "geoloc.messages.log");
}

/// The same files with res_geolocation not loaded (modules.conf from
/// tests/configs/geoloc-noload).
fn geoloc_noload() -> Setup {
    let repo = common::repo();
    setup_layers(
        &[
            &repo.join("tests/configs/geoloc"),
            &repo.join("tests/configs/geoloc-noload"),
        ],
        "geoloc_noload.txt",
    )
}

#[test]
fn geoloc_noload_cli() {
    let s = geoloc_noload();
    let cmds: Vec<String> = common::golden_blocks(&s.golden)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    s.check(&cmds.iter().map(String::as_str).collect::<Vec<_>>());
    // Only the endpoint checks speak: geolocation.conf is not read.
    check_refusals(&s, "geoloc_noload.messages.log");
}
