//! `database …` CLI commands against Asterisk 20.20.1's answers to the same
//! commands (`golden/asterisk-20.20.1/cli/database.txt`, captured on
//! `compat-configs/dialplan`), and AstDB surviving a restart.

mod common;
use common::*;

fn normalise_uuid(s: &str) -> String {
    let re = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("regex");
    re.replace_all(s, "<UUID>").into_owned()
}

#[test]
fn database_commands_match_asterisk() {
    let dir = config_copy("dialplan");
    let d = Daemon::start(dir.path());
    let golden = golden_blocks(&repo().join("golden/asterisk-20.20.1/cli/database.txt"));
    assert!(golden.len() > 20);
    for (cmd, expected) in golden {
        let got = normalise_uuid(&d.rx(&cmd));
        let expected = normalise_uuid(&expected);
        if expected.starts_with("Usage: ") {
            // Usage texts are written in our own words; the syntax line
            // that opens them is Asterisk's.
            assert_eq!(got.lines().next(), expected.lines().next(), "{cmd}");
        } else {
            assert_eq!(got, expected, "{cmd}");
        }
    }
}

#[test]
fn astdb_survives_a_restart_and_keeps_its_uuid() {
    let dir = config_copy("dialplan");
    let uuid = {
        let d = Daemon::start(dir.path());
        assert_eq!(
            d.rx("database put cfwd 100 555"),
            "Updated database successfully\n"
        );
        d.rx("database get pbx UUID")
    };
    assert!(uuid.starts_with("Value: "), "{uuid}");
    // The first daemon was killed, not stopped: the write must be on disk.
    let d = Daemon::start(dir.path());
    assert_eq!(d.rx("database get cfwd 100"), "Value: 555\n");
    assert_eq!(d.rx("database get pbx UUID"), uuid);
    assert!(dir.path().join("var/lib/astdb.sqlite3").exists());
}
