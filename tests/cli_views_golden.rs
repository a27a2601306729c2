//! `voicemail show users`, `moh show classes` and `queue show` rendered for
//! the reference configuration, compared byte for byte with what Asterisk
//! 20.20.1 printed (transcripts/04_cli_rx.txt).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use asterism::core::System;

const REFERENCE: &str = "/work/shared/reference/asterisk-20.20.1";

/// A copy of the reference etc files with an asterisk.conf whose
/// directories are relative to it, a message in mailbox 1000's INBOX (as
/// the reference spool had), and one file in the moh directory (Asterisk
/// drops a `files` class whose directory holds nothing playable).
fn reference_system() -> (tempfile::TempDir, Arc<System>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let etc = Path::new(REFERENCE).join("etc");
    for entry in std::fs::read_dir(&etc).expect("reference etc") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name == "asterisk.conf" {
            continue;
        }
        std::fs::copy(entry.path(), dir.path().join(&name)).expect("copy");
    }
    let conf = "[directories]\n\
        astetcdir => .\n\
        astmoddir => modules\n\
        astvarlibdir => lib\n\
        astdbdir => lib\n\
        astkeydir => lib\n\
        astdatadir => data\n\
        astagidir => agi-bin\n\
        astspooldir => spool\n\
        astrundir => run\n\
        astlogdir => log\n\
        astsbindir => sbin\n\
        \n[options]\nverbose = 3\ndebug = 0\ndefaultlanguage = en\n";
    std::fs::write(dir.path().join("asterisk.conf"), conf).expect("asterisk.conf");
    let inbox = dir.path().join("spool/voicemail/default/1000/INBOX");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::write(inbox.join("msg0000.txt"), ";\n[message]\n").expect("msg");
    std::fs::write(inbox.join("msg0000.wav"), b"").expect("wav");
    let moh = dir.path().join("data/moh");
    std::fs::create_dir_all(&moh).expect("moh dir");
    std::fs::write(moh.join("macroform-cold_day.wav"), b"").expect("moh file");
    std::fs::create_dir_all(dir.path().join("run")).expect("run");
    let sys = System::start(&dir.path().join("asterisk.conf")).expect("system starts");
    (dir, sys)
}

/// The output Asterisk gave for `cmd`, without the empty line the capture
/// adds after each command.
fn golden(cmd: &str) -> String {
    let path: PathBuf = Path::new(REFERENCE).join("transcripts/04_cli_rx.txt");
    let text = std::fs::read_to_string(path).expect("transcript");
    let header = format!("-rx '{cmd}'\n");
    let start = text
        .find(&header)
        .unwrap_or_else(|| panic!("no golden for {cmd}"))
        + header.len();
    let rest = &text[start..];
    let end = rest.find("\n$ ").map(|i| i + 1).unwrap_or(rest.len());
    let block = &rest[..end];
    block.strip_suffix('\n').unwrap_or(block).to_string()
}

/// The one allowed normalisation: the login age of queue members.
fn without_login_age(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("login was ") {
        let after = &rest[i + "login was ".len()..];
        out.push_str(&rest[..i]);
        out.push_str("login was N");
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

#[test]
fn voicemail_show_users_matches_asterisk() {
    let (_dir, sys) = reference_system();
    let cmd = "voicemail show users";
    assert_eq!(asterism::cli::execute(&sys, cmd), golden(cmd));
}

#[test]
fn moh_show_classes_matches_asterisk() {
    let (_dir, sys) = reference_system();
    let cmd = "moh show classes";
    assert_eq!(asterism::cli::execute(&sys, cmd), golden(cmd));
}

#[test]
fn queue_show_matches_asterisk() {
    let (_dir, sys) = reference_system();
    for cmd in ["queue show support", "queue show"] {
        let got = asterism::cli::execute(&sys, cmd);
        assert_eq!(
            without_login_age(&got),
            without_login_age(&golden(cmd)),
            "{cmd}:\n{got}"
        );
    }
}

#[test]
fn not_found_answers() {
    let (_dir, sys) = reference_system();
    let rx = |c: &str| asterism::cli::execute(&sys, c);
    assert_eq!(rx("queue show nosuch"), "No such queue: nosuch.\n");
    assert_eq!(
        rx("voicemail show users for nowhere"),
        "No such voicemail context \"nowhere\"\nCommand 'voicemail show users for nowhere' failed.\n"
    );
    assert_eq!(
        rx("voicemail show users for default"),
        "Context    Mbox  User                      Zone       NewMsg\n\
         default    3000                                            0\n\
         default    1000                                            1\n\
         2 voicemail users configured.\n"
    );
    assert_eq!(
        rx("manager show user nobody"),
        "There is no manager called nobody\n"
    );
    assert_eq!(
        rx("confbridge show profile bridge x"),
        "No conference bridge profile named 'x' found!\n"
    );
    assert_eq!(
        rx("confbridge show profile user x"),
        "No conference user profile named 'x' found!\n"
    );
    assert_eq!(
        rx("confbridge show menu x"),
        "No conference menu named 'x' found!\n"
    );
}

#[test]
fn manager_and_confbridge_listings() {
    let (_dir, sys) = reference_system();
    let rx = |c: &str| asterism::cli::execute(&sys, c);
    assert_eq!(
        rx("manager show users"),
        "\nusername\n--------\nadmin\n-------------------\n1 manager users configured.\n"
    );
    let admin = rx("manager show user admin");
    assert!(
        admin.starts_with(
            "\n          username: admin\n            secret: <Set>\n               ACL: yes\n"
        ),
        "{admin}"
    );
    assert!(admin.ends_with(
        "ACL: (unnamed)\n---------------------------------------------\n  0:  deny - 0.0.0.0/0.0.0.0\n  1: allow - 127.0.0.1/255.255.255.255\n"
    ), "{admin}");
    let bridges = rx("confbridge show profile bridges");
    assert!(
        bridges.starts_with("--------- Bridge Profiles -----------\n"),
        "{bridges}"
    );
    assert!(
        bridges.contains("\nconf\n") && bridges.contains("\ndefault_bridge\n"),
        "{bridges}"
    );
    let users = rx("confbridge show profile users");
    assert!(
        users.contains("\nuser\n") && users.contains("\ndefault_user\n"),
        "{users}"
    );
    assert_eq!(
        rx("confbridge show menus"),
        "--------- Menus -----------\ndefault_menu\n"
    );
    let conf = rx("confbridge show profile bridge conf");
    assert!(conf.contains("\nMax Members:          5\n"), "{conf}");
    assert!(
        conf.contains("\nsound_lockednow:      conf-lockednow\n"),
        "{conf}"
    );
    assert_eq!(
        rx("confbridge show menu default_menu"),
        "Name: default_menu\n"
    );
}

#[test]
fn golden_blocks_are_not_empty() {
    assert!(golden("queue show").contains("   Members: \n"));
    assert!(golden("queue show").ends_with("   No Callers\n\n"));
    assert!(golden("moh show classes").starts_with("Class: default\n"));
    assert!(golden("voicemail show users").ends_with("2 voicemail users configured.\n"));
}
