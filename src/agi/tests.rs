//! Local-script AGI and the command set, on a channel with no driver.

use std::sync::Arc;

use crate::apps::AppCtx;
use crate::channels::{ChanState, NewChannel};

const DIALPLAN: &str = "[c]\nexten => s,1,NoOp()\n same => n(there),NoOp()\n";

fn ctx() -> (tempfile::TempDir, AppCtx) {
    let (dir, sys) = crate::funcs::test_system(&[("extensions.conf", DIALPLAN)]);
    let chan = sys.pbx.channels.alloc(
        "Test/agi-00000001".into(),
        "Test",
        0,
        NewChannel {
            context: "c".into(),
            exten: "s".into(),
            priority: 1,
            state: Some(ChanState::Up),
            ..Default::default()
        },
    );
    (
        dir,
        AppCtx {
            sys: Arc::clone(&sys),
            chan,
        },
    )
}

async fn agi(ctx: &AppCtx, data: &str) -> crate::apps::AppResult {
    let app = crate::apps::find("AGI").expect("AGI registered");
    crate::apps::exec(ctx, app, data).await
}

#[tokio::test]
async fn replies_as_asterisk_sends_them() {
    let (_dir, ctx) = ctx();
    let out = super::run_lines(
        &ctx,
        &[
            "NOOP",
            "SET VARIABLE MYVAR \"hello world\"",
            "GET VARIABLE MYVAR",
            "GET VARIABLE NOSUCHVAR",
            "GET FULL VARIABLE ${MYVAR}-${EXTEN}",
            "DATABASE PUT fam key \"a b\"",
            "DATABASE GET fam key",
            "DATABASE GET fam nokey",
            "DATABASE DELTREE fam",
            "DATABASE DELTREE fam",
            "CHANNEL STATUS",
            "CHANNEL STATUS Test/nosuch",
            "SET PRIORITY there",
            "SET PRIORITY nolabel",
            "NOSUCHCOMMAND foo",
            "SPEECH CREATE engine",
            "SEND TEXT hello",
            "TDD MODE on",
        ],
        false,
    )
    .await;
    let syntax_priority = super::commands::find(&super::parse::parse_args("SET PRIORITY"))
        .expect("SET PRIORITY")
        .syntax;
    assert_eq!(
        out,
        format!(
            "200 result=0\n\
             200 result=1\n\
             200 result=1 (hello world)\n\
             200 result=0\n\
             200 result=1 (hello world-s)\n\
             200 result=1\n\
             200 result=1 (a b)\n\
             200 result=0\n\
             200 result=0\n\
             200 result=1\n\
             200 result=6\n\
             200 result=-1\n\
             200 result=0\n\
             520-Invalid command syntax.  Proper usage follows:\n\
             Usage: {syntax_priority}\n\
             520 End of proper usage.\n\
             510 Invalid or unknown command\n\
             200 result=0\n\
             200 result=0\n\
             200 result=0\n"
        )
    );
    // SET PRIORITY went to the label's priority.
    assert_eq!(ctx.chan.lock().priority, 2);
}

#[tokio::test]
async fn a_dead_channel_takes_only_dead_safe_commands() {
    let (_dir, ctx) = ctx();
    let out = super::run_lines(
        &ctx,
        &[
            "SET VARIABLE V 1",
            "GET VARIABLE V",
            "STREAM FILE beep \"\"",
            "ANSWER",
        ],
        true,
    )
    .await;
    assert_eq!(
        out,
        "200 result=1\n200 result=1 (1)\n\
         511 Command Not Permitted on a dead channel or intercept routine\n\
         511 Command Not Permitted on a dead channel or intercept routine\n"
    );
}

#[tokio::test]
async fn hangup_requests_the_hangup() {
    let (_dir, ctx) = ctx();
    let out = super::run_lines(&ctx, &["HANGUP Test/nosuch", "HANGUP"], false).await;
    assert_eq!(out, "200 result=-1\n200 result=1\n");
    assert!(ctx.chan.check_hangup());
}

fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, body).expect("script");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

#[tokio::test]
async fn a_local_script_gets_the_environment_and_replies() {
    let (dir, ctx) = ctx();
    let log = dir.path().join("agi.log");
    let path = script(
        dir.path(),
        "test.agi",
        &format!(
            r#"#!/bin/sh
exec 3>"{log}"
while read -r line; do [ -z "$line" ] && break; echo "env $line" >&3; done
echo 'SET VARIABLE FROMSCRIPT "x y"'
read -r r; echo "reply $r" >&3
echo 'GET VARIABLE FROMSCRIPT'
read -r r; echo "reply $r" >&3
echo 'WAIT FOR DIGIT'
read -r a; read -r b; read -r c; echo "reply $a|$c" >&3
exit 0
"#,
            log = log.display()
        ),
    );
    let res = agi(&ctx, &format!("{},one,two words", path.display())).await;
    assert!(res.is_ok());
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("SUCCESS"));
    assert_eq!(ctx.var("FROMSCRIPT").as_deref(), Some("x y"));
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("env agi_request: {}", path.display()));
    assert_eq!(lines[1], "env agi_channel: Test/agi-00000001");
    assert!(lines.contains(&"env agi_context: c"));
    assert!(lines.contains(&"env agi_enhanced: 0.0"));
    assert!(lines.contains(&"env agi_arg_1: one"));
    assert!(lines.contains(&"env agi_arg_2: two words"));
    let keys: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("env "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        keys,
        [
            "agi_request",
            "agi_channel",
            "agi_language",
            "agi_type",
            "agi_uniqueid",
            "agi_version",
            "agi_callerid",
            "agi_calleridname",
            "agi_callingpres",
            "agi_callingani2",
            "agi_callington",
            "agi_callingtns",
            "agi_dnid",
            "agi_rdnis",
            "agi_context",
            "agi_extension",
            "agi_priority",
            "agi_enhanced",
            "agi_accountcode",
            "agi_threadid",
            "agi_arg_1",
            "agi_arg_2",
        ]
    );
    let replies: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("reply "))
        .collect();
    assert_eq!(
        replies,
        [
            "200 result=1",
            "200 result=1 (x y)",
            "520-Invalid command syntax.  Proper usage follows:|520 End of proper usage."
        ]
    );
}

#[tokio::test]
async fn script_outcomes_set_agistatus() {
    let (dir, ctx) = ctx();
    let failing = script(
        dir.path(),
        "fail.agi",
        "#!/bin/sh\ncat >/dev/null &\nexit 3\n",
    );
    assert!(agi(&ctx, &failing.display().to_string()).await.is_ok());
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("FAILURE"));

    let missing = dir.path().join("missing.agi");
    assert!(agi(&ctx, &missing.display().to_string()).await.is_ok());
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("NOTFOUND"));

    // The script says "failure" as Asterisk's child does when exec fails.
    let says = script(dir.path(), "says.agi", "#!/bin/sh\necho failure\n");
    assert!(agi(&ctx, &says.display().to_string()).await.is_ok());
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("FAILURE"));

    // No argument: a warning and a hangup.
    assert!(agi(&ctx, "").await.is_err());
}

#[tokio::test]
async fn a_hangup_ends_the_session_with_hangup() {
    let (dir, ctx) = ctx();
    let path = script(
        dir.path(),
        "hang.agi",
        "#!/bin/sh\ntrap '' HUP\nwhile read -r l; do [ -z \"$l\" ] && break; done\necho HANGUP\nread -r r\necho 'GET VARIABLE AGISTATUS'\nread -r r\necho NOOP\nread -r r\n",
    );
    let res = agi(&ctx, &path.display().to_string()).await;
    assert!(res.is_err(), "a hangup ends the dialplan");
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("HANGUP"));
}

#[test]
fn async_environment_is_uri_encoded() {
    assert_eq!(
        super::uri_encode_http("agi_request: async\nx(y)~"),
        "agi_request%3A%20async%0Ax(y)~"
    );
}

#[tokio::test]
async fn eagi_gives_the_script_an_audio_descriptor() {
    let (dir, ctx) = ctx();
    let log = dir.path().join("eagi.log");
    let path = script(
        dir.path(),
        "eagi.agi",
        &format!(
            "#!/bin/sh\nwhile read -r l; do [ -z \"$l\" ] && break; echo \"$l\" >> \"{log}\"; done\n\
             if [ -e /proc/self/fd/3 ]; then echo fd3 >> \"{log}\"; fi\necho NOOP\nread -r r\n",
            log = log.display()
        ),
    );
    let app = crate::apps::find("EAGI").expect("EAGI registered");
    assert!(
        crate::apps::exec(&ctx, app, &path.display().to_string())
            .await
            .is_ok()
    );
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("SUCCESS"));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.lines().any(|l| l == "agi_enhanced: 1.0"), "{text}");
    assert!(text.lines().any(|l| l == "fd3"), "{text}");
    // Not over the network or AsyncAGI.
    assert!(
        crate::apps::exec(&ctx, app, "agi://127.0.0.1:1")
            .await
            .is_ok()
    );
    assert_eq!(ctx.var("AGISTATUS").as_deref(), Some("FAILURE"));
}

#[test]
fn cli_commands() {
    let (_dir, sys) = crate::funcs::test_system(&[
        ("extensions.conf", DIALPLAN),
        ("modules.conf", "[modules]\nautoload = yes\n"),
    ]);
    let run = |l: &str| crate::cli::execute(&sys, l);
    assert_eq!(run("agi set debug on"), "AGI Debugging Enabled\n");
    assert!(super::debug());
    assert_eq!(run("agi set debug off"), "AGI Debugging Disabled\n");
    assert!(!super::debug());
    let list = run("agi show commands");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(
        lines[0],
        " Dead                        Command   Description"
    );
    // `%5.5s %30.30s   %s`.
    assert!(lines[1].starts_with(&format!("{:>5} {:>30}   ", "No", "answer")));
    assert!(lines[2].starts_with(&format!("{:>5} {:>30}   ", "Yes", "asyncagi break")));
    assert_eq!(lines.len(), 1 + super::commands::COMMANDS.len());
    let get = run("agi show commands topic get");
    assert_eq!(get.lines().count(), 5, "{get}");
    assert_eq!(
        run("agi show commands topic nosuch"),
        "No such command 'nosuch'.\n"
    );
    let html = dir_html(&sys);
    assert!(html.contains("<B>get variable - "), "{html}");
    let one = run("agi show commands topic get variable");
    assert!(
        one.contains("[Syntax]\nGET VARIABLE <variablename>\n"),
        "{one}"
    );
    assert!(one.contains("[Runs Dead]\nYes\n"), "{one}");
}

#[test]
fn check_config_reports_srv_fastagi() {
    assert_eq!(
        crate::apps::unsupported_uses("AGI", "hagi://agi.example.com/ivr,x"),
        [
            "AGI: hagi://agi.example.com/ivr: hagi:// (FastAGI servers found by DNS SRV lookup) is not supported by Asterism"
        ]
    );
    assert!(crate::apps::unsupported_uses("AGI", "hagi://host:4573/ivr").is_empty());
    assert!(crate::apps::unsupported_uses("AGI", "agi://host/ivr").is_empty());
    assert_eq!(
        crate::apps::support("EAGI"),
        Some(crate::apps::Support::Supported)
    );
}

#[tokio::test]
async fn record_file_stops_on_a_digit_and_cuts_it_off() {
    let (dir, ctx) = ctx();
    let target = dir.path().join("agirec");
    let chan = ctx.chan.clone();
    // 50 frames (1 s) of speech-level audio, then '#'.
    let feeder = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for _ in 0..50 {
            chan.media_in(&crate::media::AudioFrame::Slin(vec![3000; 160]));
        }
        chan.dtmf_in('#');
    });
    let out = super::run_lines(
        &ctx,
        &[&format!("RECORD FILE {} sln \"#\" 5000", target.display())],
        false,
    )
    .await;
    feeder.await.expect("feeder");
    // 8000 samples less the 200 ms before the digit.
    assert_eq!(out, "200 result=35 (dtmf) endpos=6400\n");
    let len = std::fs::metadata(target.with_extension("sln"))
        .expect("recording")
        .len();
    assert_eq!(len, 6400 * 2);
    // Usage and a format that cannot be written.
    let out = super::run_lines(
        &ctx,
        &[
            "RECORD FILE x sln",
            &format!("RECORD FILE {} nosuchfmt # 10", target.display()),
        ],
        false,
    )
    .await;
    assert!(out.starts_with("520-"), "{out}");
    assert!(out.ends_with("200 result=-1 (writefile)\n"), "{out}");
}

fn dir_html(sys: &crate::core::System) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("agi.html");
    let said = crate::cli::execute(sys, &format!("agi dump html {}", file.display()));
    assert_eq!(
        said,
        format!("AGI HTML commands dumped to: {}\n", file.display())
    );
    std::fs::read_to_string(file).expect("html")
}
