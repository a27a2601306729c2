//! Originate (Asterisk's `app_originate.c`): places a call from the
//! dialplan and connects it to an extension or an application, waiting
//! for the answer unless asked not to; ORIGINATE_STATUS says how it went.
//! The call itself is `crate::pbx::originate`, shared with AMI's
//! Originate and call files.

use std::time::Duration;

use super::{App, AppCtx, AppExit, AppFuture, Run, options, separate_args};
use crate::channels::NewChannel;
use crate::pbx::originate::{self as pbx_originate, Outgoing, Target};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Originate",
        run: Run::Wait(originate),
        synopsis: "Places a call and connects it to an extension or an application.",
        syntax: "Originate(tech_data,type,arg1[,arg2[,arg3[,timeout[,options]]]])",
    }]
}

/// The option letters app_originate knows.
const OPTIONS: &str = "abBCcnv";

/// Options Asterism does not act on (the codecs offered: every call
/// offers its driver's): check-config names them.
pub const UNSUPPORTED_OPTIONS: &str = "C";

const FILE: &str = "app_originate.c";

fn originate<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let status = originate_exec(ctx, &data).await;
        ctx.set_var("ORIGINATE_STATUS", Some(status.unwrap_or("FAILED")));
        // A call that could not even be tried ends the caller's dialplan.
        status.map(|_| ()).map_err(|()| AppExit::Hangup)
    })
}

/// `sscanf("%u")`: blanks, an optional sign, digits (a minus wraps).
fn scan_unsigned(s: &str) -> Option<u32> {
    crate::funcs::c::scan_long(s, usize::MAX).map(|(n, _)| n as u32)
}

/// The status of a call that was tried, or Err (FAILED, and a hangup)
/// when the arguments stopped it before.
async fn originate_exec(ctx: &AppCtx, data: &str) -> Result<&'static str, ()> {
    let error = |line: u32, msg: &str| {
        ctx.error(crate::site!(FILE, line, "originate_exec"), msg);
    };
    if data.is_empty() {
        error(210, "Originate() requires arguments");
        return Err(());
    }
    let args = separate_args(data, ',', 7);
    if args.len() < 3 {
        error(219, "Incorrect number of arguments");
        return Err(());
    }
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut timeout: u32 = 30;
    if !arg(5).is_empty() {
        match scan_unsigned(arg(5)) {
            Some(t) => timeout = t,
            None => ctx.notice(
                crate::site!(FILE, 225, "originate_exec"),
                &format!(
                    "Invalid timeout: '{}'. Setting timeout to 30 seconds",
                    arg(5)
                ),
            ),
        }
    }
    let tech_data = arg(0);
    match tech_data.split_once('/') {
        Some((tech, rest)) if !tech.is_empty() && !rest.is_empty() => {}
        _ => {
            error(234, &format!("Channel Tech/Data invalid: '{tech_data}'"));
            return Err(());
        }
    }
    let opts = if arg(6).is_empty() {
        options::Options::default()
    } else {
        match options::parse(&ctx.sys.pbx.logger, arg(6), OPTIONS) {
            Ok(o) => o,
            Err(_) => {
                error(240, &format!("Invalid options: '{}'", arg(6)));
                return Err(());
            }
        }
    };
    // A subroutine on this channel before anything is placed.
    if let Some(sub) = opts.arg('B').filter(|s| !s.is_empty()) {
        let _ = super::stack::gosub_from_outside(ctx, &sub.replace('^', ","), false).await;
    }
    // One for the new channel, run once it exists (`ast_pre_call`).
    let predial = opts
        .arg('b')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace('^', ","));
    let kind = arg(1);
    let is_exten = kind.eq_ignore_ascii_case("exten");
    if !is_exten && !kind.eq_ignore_ascii_case("app") {
        error(
            258,
            &format!("Incorrect type, it should be 'exten' or 'app': {kind}"),
        );
        return Err(());
    }
    let from_caller = |letter: char, own: fn(&crate::channels::ChanData) -> Option<String>| {
        if !opts.has(letter) {
            return None;
        }
        match opts.arg(letter).filter(|a| !a.is_empty()) {
            Some(a) => Some(a.to_string()),
            None => own(&ctx.chan.lock()),
        }
    };
    let cid_num = from_caller('c', |d| d.caller.id.number().map(str::to_string));
    let cid_name = from_caller('n', |d| d.caller.id.name().map(str::to_string));
    let mut vars = Vec::new();
    if let Some(list) = opts.arg('v').filter(|l| !l.is_empty()) {
        for item in list.split('^') {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            // A second `=` ends the value, as ast_strsep cuts there.
            let value = value.split('=').next().unwrap_or("");
            vars.push((name.to_string(), value.to_string()));
        }
    }
    let target = if is_exten {
        // Only with exactly five arguments is the third a priority: a
        // timeout or options given leave it at 1, as in Asterisk.
        let priority = if args.len() == 5 {
            match crate::funcs::c::scan_long(arg(4), 30) {
                Some((p, _)) => p as i32,
                None => {
                    error(320, &format!("Invalid priority: '{}'", arg(4)));
                    return Err(());
                }
            }
        } else {
            1
        };
        let exten = if args.len() == 3 { "s" } else { arg(3) };
        Target::Extension {
            context: arg(2).to_string(),
            exten: exten.to_string(),
            priority,
        }
    } else {
        Target::Application {
            app: arg(2).to_string(),
            data: arg(3).to_string(),
        }
    };
    let out = Outgoing {
        vars,
        cid_num,
        cid_name,
        account: None,
        predial,
    };
    let timeout = Duration::from_secs(u64::from(timeout));
    let sys = ctx.sys.clone();
    let reason = if opts.has('a') {
        pbx_originate::originate_no_wait(sys, tech_data, target, timeout, &out)
            .await
            .err()
            .map(|e| e.reason())
    } else {
        match pbx_originate::originate(
            sys.clone(),
            tech_data,
            target.clone(),
            timeout,
            NewChannel::default(),
            &out,
        )
        .await
        {
            // The answered channel's dialplan starts on a task of its own
            // (a thread of its own in Asterisk): it gets going before
            // this one goes on.
            Ok(_) => {
                tokio::task::yield_now().await;
                None
            }
            Err(e) => {
                e.release(&sys);
                // A call to an extension that failed goes on at the
                // context's `failed` extension before the result is set.
                if let Target::Extension { context, .. } = &target {
                    pbx_originate::run_failed_extension(&sys, context, e.reason(), &out).await;
                }
                Some(e.reason())
            }
        }
    };
    Ok(match reason {
        None => "SUCCESS",
        // No channel to call: nothing says why.
        Some(0) => "FAILED",
        Some(1) => "HANGUP",
        Some(3) => "RINGING",
        Some(5) => "BUSY",
        Some(8) => "CONGESTION",
        Some(other) => {
            ctx.warning(
                crate::site!(FILE, 384, "originate_exec"),
                &format!("Unknown originate status result of '{other}'"),
            );
            "UNKNOWN"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::scan_unsigned;

    #[test]
    fn timeouts_read_as_sscanf_u() {
        assert_eq!(scan_unsigned("45"), Some(45));
        assert_eq!(scan_unsigned(" 7s"), Some(7));
        assert_eq!(scan_unsigned("x"), None);
    }
}
