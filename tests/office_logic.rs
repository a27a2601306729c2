//! The office configuration's logic on Local channels: its time
//! conditions, absence mode and IVR branches, run by the real daemon on the
//! unchanged `compat-configs/office` dialplan. A small file of test entry
//! points (`tests/configs/office-harness/office-test.conf`) is included into
//! a copy to give each call the caller number a phone would have.
//!
//! The test follows the dialplan through each branch and checks that the
//! one taken is the right one; a Dial to a phone that is not registered is
//! hung up once reached.

mod common;
use common::*;
use std::time::{Duration, Instant};

struct Office {
    dir: tempfile::TempDir,
    d: Daemon,
}

impl Office {
    fn start() -> Office {
        let dir = config_copy("office");
        let harness = repo().join("tests/configs/office-harness/office-test.conf");
        std::fs::copy(&harness, dir.path().join("office-test.conf")).expect("copy harness");
        let ext = dir.path().join("extensions.conf");
        let mut text = std::fs::read_to_string(&ext).expect("extensions.conf");
        text.push_str("\n#include \"office-test.conf\"\n");
        std::fs::write(&ext, text).expect("write extensions.conf");
        let d = Daemon::start(dir.path());
        Office { dir, d }
    }

    /// Runs `Local/<exten>@office-test` to its end and returns the
    /// messages it logged (call id lines of `messages.log`, without date).
    fn call(&self, exten: &str) -> Vec<String> {
        self.call_until(exten, None)
    }

    /// Like `call`, but once a log line containing `hang_up_at` appears the
    /// call is hung up: a Dial to a phone that never answers would
    /// otherwise ring for its whole timeout.
    fn call_until(&self, exten: &str, hang_up_at: Option<&str>) -> Vec<String> {
        let before = self.log().len();
        assert_eq!(
            self.d.rx(&format!(
                "channel originate Local/{exten}@office-test application Wait 1"
            )),
            ""
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut hung_up = false;
        while !self
            .d
            .rx("core show channels count")
            .starts_with("0 active channels\n")
        {
            assert!(Instant::now() < deadline, "{exten}: call did not end");
            if let Some(marker) = hang_up_at.filter(|_| !hung_up)
                && self.log()[before..].iter().any(|l| l.contains(marker))
            {
                self.d.rx("channel request hangup all");
                hung_up = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let strip = regex::Regex::new(r"^\[[^\]]*\] ([A-Z]+)\[\d+\]\[C-[0-9a-f]+\] ").expect("re");
        self.log()[before..]
            .iter()
            .filter(|l| strip.is_match(l))
            .map(|l| strip.replace(l, "$1 ").into_owned())
            .collect()
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("var/log/messages.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn global(&self, name: &str) -> Option<String> {
        let out = self.d.rx("dialplan show globals");
        out.lines().find_map(|l| {
            l.trim()
                .strip_prefix(&format!("{name}="))
                .map(str::to_string)
        })
    }
}

/// Whether `lines` holds `wanted` in this order (other lines between).
fn in_order(lines: &[String], wanted: &[&str]) -> bool {
    let mut it = lines.iter();
    wanted.iter().all(|w| it.any(|l| l.contains(w)))
}

/// The office's closed hours: weekday evenings and nights (the daemon
/// runs in UTC, see common::Daemon).
fn office_closed(now: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::{Datelike, Timelike};
    let weekday = now.weekday().num_days_from_monday() < 5;
    let minute = now.hour() * 60 + now.minute();
    weekday && (minute >= 17 * 60 || minute < 9 * 60)
}

#[test]
fn absence_mode_sets_and_clears_the_phones_flag() {
    let o = Office::start();
    let on = o.call("absence-on");
    assert!(
        in_order(
            &on,
            &[
                "Executing [absence-on@office-test:1] Set(\"Local/absence-on@office-test-00000000;2\", \"CALLERID(num)=1000\")",
                "Goto (internal,*77,1)",
                "Executing [*77@internal:1] Set(\"Local/absence-on@office-test-00000000;2\", \"GLOBAL(ABSENCE_MODE1000)=1\")",
                "Executing [*77@internal:2] Playback(\"Local/absence-on@office-test-00000000;2\", \"beep\")",
            ]
        ),
        "{on:#?}"
    );
    assert_eq!(o.global("ABSENCE_MODE1000").as_deref(), Some("1"));
    o.call("absence-off");
    assert_eq!(o.global("ABSENCE_MODE1000").as_deref(), Some("0"));
}

#[test]
fn main_line_follows_time_conditions_and_absence_mode() {
    let o = Office::start();
    // Absence mode on: closed whatever the time.
    o.call("absence-on");
    let before = chrono::Utc::now();
    let absent = o.call("call-1000");
    let after = chrono::Utc::now();
    assert!(
        in_order(
            &absent,
            &[
                "Executing [1000@internal:1] NoOp(\"Local/call-1000@office-test-00000001;2\", \"Call for 1000 from 2000\")",
                "Executing [1000@internal:2] GotoIfTime",
                "Goto (internal,close,1)",
                "Executing [close@internal:1] Playback(",
            ]
        ),
        "{absent:#?}"
    );
    if office_closed(before) != office_closed(after) {
        // The call straddled an opening/closing minute; nothing to check.
        return;
    }
    if office_closed(before) {
        // The time conditions send it to `close` before absence mode counts.
        assert!(
            !absent.iter().any(|l| l.contains("GLOBAL(MY_EXTEN)")),
            "{absent:#?}"
        );
    } else {
        // Open: the call reaches absence mode, which closes it.
        assert!(
            in_order(
                &absent,
                &[
                    "Set(\"Local/call-1000@office-test-00000001;2\", \"GLOBAL(MY_EXTEN)=1000\")",
                    "Executing [1000@internal:6] GotoIf(\"Local/call-1000@office-test-00000001;2\", \"1?close,1\")",
                ]
            ),
            "{absent:#?}"
        );
        // Absence off: during opening hours the call goes on to record
        // and ring the phone.
        o.call("absence-off");
        let present = o.call_until("call-1000", Some("Executing [1000@internal:8] Dial("));
        if office_closed(chrono::Utc::now()) {
            return;
        }
        assert!(
            in_order(
                &present,
                &[
                    "GotoIf(\"Local/call-1000@office-test-00000003;2\", \"0?close,1\")",
                    "Executing [1000@internal:7] MixMonitor(\"Local/call-1000@office-test-00000003;2\"",
                    "Executing [1000@internal:8] Dial(\"Local/call-1000@office-test-00000003;2\", \"SIP/1000,15\")",
                ]
            ),
            "{present:#?}"
        );
        assert!(
            !present.iter().any(|l| l.contains("close@internal")),
            "{present:#?}"
        );
    }
}

#[test]
fn ivr_branches() {
    let o = Office::start();
    let menu = o.call("ivr");
    assert!(
        in_order(
            &menu,
            &[
                "Executing [900@internal:1] Goto(\"Local/ivr@office-test-00000000;2\", \"svi_1,s,1\")",
                "Executing [s@svi_1:1] Answer",
                "Executing [s@svi_1:2] Set(\"Local/ivr@office-test-00000000;2\", \"TIMEOUT(response)=10\")",
                "Response timeout set to 10.000",
                "Executing [s@svi_1:3] BackGround(",
            ]
        ),
        "{menu:#?}"
    );
    // Digits 1 and 2 ring the phones; 0, 4-9, * and # are invalid choices.
    // Both phones are static peers that nothing answers for here.
    let one = o.call_until("ivr-1", Some("Executing [1@svi_1:1] Dial("));
    assert!(
        in_order(&one, &["Goto (svi_1,1,1)", "Executing [1@svi_1:1] Dial("]),
        "{one:#?}"
    );
    let two = o.call_until("ivr-2", Some("Executing [2@svi_1:1] Dial("));
    assert!(
        in_order(&two, &["Goto (svi_1,2,1)", "Executing [2@svi_1:1] Dial("]),
        "{two:#?}"
    );
    for digit in ["0", "5", "9", "*", "#"] {
        let lines = o.call(&format!("ivr-{digit}"));
        assert!(
            in_order(
                &lines,
                &[
                    &format!("Goto (svi_1,{digit},1)"),
                    &format!("Executing [{digit}@svi_1:1] Playback(")
                ]
            ),
            "{digit}: {lines:#?}"
        );
    }
    // 3 is no choice at all: there is no `i` extension, so the call ends.
    let three = o.call("ivr-3");
    assert!(
        three.iter().any(|l| l.starts_with("WARNING ")
            && l.contains(
                "sent to invalid extension but no invalid handler: context,exten,priority=svi_1,3,1"
            )),
        "{three:#?}"
    );
}
