//! DISA, Direct Inward System Access (Asterisk's `app_disa.c`): a caller
//! hears dial tone, keys a passcode ended by `#` (or none with
//! `no-password`, or one of a file's), hears dial tone again and dials a
//! number of the DISA context, where the call then goes on as if it had
//! started there. A wrong passcode or a number that leads nowhere gets
//! congestion for 10 s and a hangup.

use std::time::{Duration, Instant};

use super::builtins::answer_and_wait;
use super::playtones::{indication_tone, playtones_start};
use super::voicemail::{has_voicemail, jump};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::{ChanState, Indication};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "DISA",
        run: Run::Wait(disa),
        synopsis: "Gives the caller dial tone to dial out from the PBX after a passcode.",
        syntax: "DISA(passcode|filename[,context[,cid[,mailbox[@context][,options]]]])",
    }]
}

const FILE: &str = "app_disa.c";

/// `AST_MAX_EXTENSION`: digits past this are read and dropped.
const MAX_EXTENSION: usize = 80;

/// `acctcode[20]`: the passcode kept as account code, at most 19 digits.
const MAX_ACCTCODE: usize = 19;

fn disa<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { disa_exec(ctx, &data).await })
}

/// The arguments, as the application's call gives them or as a line of
/// a passcode file replaces them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Args {
    passcode: String,
    context: String,
    cid: String,
    mailbox: String,
}

impl Args {
    fn parse(data: &str) -> Args {
        let a = split_args(data, ',');
        let arg = |i: usize| a.get(i).cloned().unwrap_or_default();
        Args {
            passcode: arg(0),
            context: arg(1),
            cid: arg(2),
            mailbox: arg(3),
        }
    }
}

/// `sscanf("%30d")` succeeds: optional blanks, a sign, a digit.
fn is_numeric(s: &str) -> bool {
    let t = s.trim_start();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    t.starts_with(|c: char| c.is_ascii_digit())
}

/// A passcode file's line for `entered`: lines are `passcode[,context[,
/// cid[,mailbox]]]`; comments (`#`, `;`), empty lines and lines whose
/// passcode is not a number are skipped. Asterisk parses every line into
/// the same arguments, so when none matches the last parsed line's stay.
fn search_file(text: &[u8], entered: &str, args: &mut Args) {
    // `fgets` into `pwline[256]` with room for 254 characters.
    for line in super::authenticate::fgets_lines(text, 254) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.is_empty() || line[0] == b'#' || line[0] == b';' {
            continue;
        }
        *args = Args::parse(&crate::core::raw::decode_owned(line.to_vec()));
        if !is_numeric(&args.passcode) {
            continue;
        }
        if args.passcode == entered {
            break;
        }
    }
}

/// `play_dialtone`: the zone's recall dial tone when the mailbox has new
/// messages, its dial tone otherwise, else 350+440 Hz.
fn play_dialtone(ctx: &AppCtx, mailbox: &str) {
    let name = if has_voicemail(&ctx.sys.conf.dirs.spool, mailbox) {
        "dialrecall"
    } else {
        "dial"
    };
    let tone = indication_tone(ctx, name).unwrap_or_else(|| "350+440".to_string());
    let _ = playtones_start(ctx, 0, &tone);
}

/// How the digit loop ended.
enum Ended {
    /// The loop broke (timeout, a number complete): see whether it leads
    /// somewhere.
    Done,
    /// A wrong passcode: congestion.
    Reorder,
}

async fn disa_exec(ctx: &AppCtx, data: &str) -> AppResult {
    if data.is_empty() {
        ctx.warning(
            crate::site!(FILE, 155, "disa_exec"),
            "DISA requires an argument (passcode/passcode file)",
        );
        return Err(AppExit::Hangup);
    }
    let (first_timeout, digit_timeout) = {
        let d = ctx.chan.lock();
        if d.has_pbx {
            (d.response_timeout_ms, d.digit_timeout_ms)
        } else {
            (20_000, 10_000)
        }
    };
    let all = split_args(data, ',');
    let options = all.get(4).cloned().unwrap_or_default();
    let mut args = Args::parse(data);
    if args.context.is_empty() {
        args.context = "disa".into();
    }
    let noanswer = options.contains('n');
    let pound_ends = options.contains('p');
    if !noanswer && ctx.chan.state() != ChanState::Up {
        let _ = answer_and_wait(ctx).await;
    }
    let mut have_password = args.passcode.eq_ignore_ascii_case("no-password");
    let mut have_digit = false;
    let mut last_digit = Instant::now();
    play_dialtone(ctx, &args.mailbox);

    let cid = ctx.chan.lock().caller.id.number().map(str::to_string);
    let mut exten = String::new();
    let mut acctcode = String::new();
    let mut did_ignore = false;
    let ended = loop {
        let limit = Duration::from_millis(if have_digit {
            digit_timeout
        } else {
            first_timeout
        });
        let elapsed = last_digit.elapsed();
        if elapsed > limit {
            break Ended::Done;
        }
        // Asterisk checks the time on every frame; waiting for a digit
        // until just past the limit gives the same outcome.
        let wait = limit - elapsed + Duration::from_millis(1);
        let j = match ctx.chan.wait_digit(wait).await {
            Err(_) => return Err(AppExit::Hangup),
            Ok(None) => continue,
            Ok(Some(j)) => j,
        };
        if exten.is_empty() {
            have_digit = true;
            ctx.chan.stop_generator();
        }
        last_digit = Instant::now();
        if exten.len() >= MAX_EXTENSION {
            continue;
        }
        if !have_password {
            if j == '#' {
                if !is_numeric(&args.passcode) {
                    match std::fs::read(&args.passcode) {
                        Ok(text) => search_file(&text, &exten, &mut args),
                        Err(_) => {
                            ctx.warning(
                                crate::site!(FILE, 261, "disa_exec"),
                                &format!(
                                    "DISA password file {} not found on chan {}",
                                    args.passcode, ctx.chan.name
                                ),
                            );
                            return Err(AppExit::Hangup);
                        }
                    }
                    if args.context.is_empty() {
                        args.context = "disa".into();
                    }
                }
                if exten != args.passcode {
                    ctx.warning(
                        crate::site!(FILE, 296, "disa_exec"),
                        &format!("DISA on chan {} got bad password {exten}", ctx.chan.name),
                    );
                    break Ended::Reorder;
                }
                play_dialtone(ctx, &args.mailbox);
                have_password = true;
                acctcode = exten.chars().take(MAX_ACCTCODE).collect();
                exten.clear();
                continue;
            }
        } else if j == '#' {
            let plan = ctx.sys.loaded();
            let pound_is_exten = exten.is_empty()
                && (crate::pbx::find::matchmore(
                    &plan.dialplan,
                    &args.context,
                    "#",
                    cid.as_deref(),
                ) || crate::pbx::find::exists(
                    &plan.dialplan,
                    &args.context,
                    "#",
                    1,
                    cid.as_deref(),
                ));
            if !pound_is_exten {
                break Ended::Done;
            }
        }
        exten.push(j);
        if !have_password {
            continue;
        }
        if pound_ends && j == '#' {
            exten.pop();
            break Ended::Done;
        }
        let plan = ctx.sys.loaded();
        let ignored = plan.dialplan.context(&args.context).is_some_and(|c| {
            c.ignorepats
                .iter()
                .any(|p| crate::pbx::pattern::extension_match(p, &exten).is_match())
        });
        if ignored {
            play_dialtone(ctx, "");
            did_ignore = true;
        } else if did_ignore {
            ctx.chan.stop_generator();
            did_ignore = false;
        }
        if !crate::pbx::find::matchmore(&plan.dialplan, &args.context, &exten, cid.as_deref()) {
            break Ended::Done;
        }
    };

    if matches!(ended, Ended::Done) && have_password && have_digit {
        let plan = ctx.sys.loaded().dialplan.clone();
        let mut target = exten.clone();
        let mut found = crate::pbx::find::exists(&plan, &args.context, &target, 1, cid.as_deref());
        if !found {
            ctx.set_var("INVALID_EXTEN", Some(&exten));
            target = "i".into();
            found = crate::pbx::find::exists(&plan, &args.context, "i", 1, cid.as_deref());
        }
        if found {
            ctx.chan.stop_generator();
            if !args.cid.is_empty() {
                let (name, number) = crate::config::views::callerid::parse(&args.cid);
                let number = number
                    .map(|n| crate::config::views::callerid::shrink_phone_number(&n))
                    .unwrap_or_default();
                let name = name.unwrap_or_default();
                {
                    let mut d = ctx.chan.lock();
                    d.caller.id.set_number(Some(&number));
                    d.caller.id.set_name(Some(&name));
                    d.caller.ani.set_number(Some(&number));
                }
                ctx.chan.publish_snapshot();
            }
            if !acctcode.is_empty() {
                super::authenticate::set_accountcode(ctx, &acctcode);
            }
            match super::find("ResetCDR") {
                Some(app) => {
                    let _ = super::exec(ctx, app, if noanswer { "" } else { "e" }).await;
                }
                None => ctx.notice(
                    crate::site!(FILE, 383, "disa_exec"),
                    "ResetCDR application not found; CDR will not be reset",
                ),
            }
            ctx.chan.lock().set_context(&args.context);
            jump(ctx, &target, "");
            return Ok(());
        }
    }

    // Congestion for a while, then hang up.
    ctx.chan.indicate(Indication::Congestion);
    let _ = ctx.chan.sleep(Duration::from_secs(10)).await;
    ctx.chan.stop_generator();
    Err(AppExit::Hangup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passcode_file_lines() {
        let mut a = Args::parse("/etc/pw,disa");
        search_file(
            b"# comment\n;also\n\nabc,nope\n1234,out,\"Boss\" <100>,100@default\n5678,other\n",
            "1234",
            &mut a,
        );
        assert_eq!(a.passcode, "1234");
        assert_eq!(a.context, "out");
        assert_eq!(a.cid, "Boss <100>");
        assert_eq!(a.mailbox, "100@default");
        // No line matches: the last line parsed stays.
        let mut b = Args::parse("/etc/pw");
        search_file(b"1111,x\n2222\n", "9", &mut b);
        assert_eq!(b.passcode, "2222");
        assert_eq!(b.context, "");
    }

    #[test]
    fn numeric_passcodes() {
        assert!(is_numeric("1234"));
        assert!(is_numeric(" -12x"));
        assert!(!is_numeric("/etc/pw"));
        assert!(!is_numeric("no-password"));
    }
}
