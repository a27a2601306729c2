//! Page (Asterisk's `app_page.c`): every device is called at once, each
//! on its own (`ast_dial` run asynchronously); a device that answers runs
//! ConfBridge in a conference of a random number, with a dynamic user
//! profile that makes it quiet, start muted (unless `d`) and leave with
//! the caller (`end_marked`). The caller, beeped first (unless `q`), joins
//! as the quiet marked user; when it leaves, the calls still going are
//! ended and Page hangs up.

use std::sync::Arc;
use std::time::Duration;

use super::options::{self, Options};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args};
use crate::channels::{Channel, softhangup};
use crate::core::System;
use crate::core::devicestate::DeviceState;

const FILE: &str = "app_page.c";
const BEEP: &str = "beep";
/// What `ast_app_parse_options` accepts for Page.
const OPTIONS: &str = "bBdqrsiAn";

pub fn apps() -> Vec<App> {
    vec![App {
        name: "Page",
        run: Run::Wait(page),
        synopsis: "Pages a series of phones into a conference.",
        syntax: "Page(Technology/Resource[&Technology2/Resource2[&...]][,options[,timeout]])",
    }]
}

/// Page's options, as they shape the profiles and the calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageOptions {
    /// `d`: the paged can talk.
    pub duplex: bool,
    /// `q`: no beep for the caller.
    pub quiet: bool,
    /// `r`: the conference is recorded.
    pub record: bool,
    /// `s`: only devices not in use are called.
    pub skip_busy: bool,
    /// `i`: call forwards are ignored.
    pub ignore_forwards: bool,
    /// `A(x)`: the announcement the paged hear on joining.
    pub announce: Option<String>,
    /// `n`: the caller does not hear the announcement.
    pub no_caller_announce: bool,
    /// `b(...)`: a subroutine on each new callee before it is called.
    pub predial_callee: Option<String>,
    /// `B(...)`: a subroutine on the caller before the calls.
    pub predial_caller: Option<String>,
}

impl PageOptions {
    pub fn from(o: &Options) -> PageOptions {
        let arg = |c: char| o.arg(c).filter(|a| !a.is_empty()).map(str::to_string);
        PageOptions {
            duplex: o.has('d'),
            quiet: o.has('q'),
            record: o.has('r'),
            skip_busy: o.has('s'),
            ignore_forwards: o.has('i'),
            announce: if o.has('A') { arg('A') } else { None },
            no_caller_announce: o.has('n'),
            predial_callee: if o.has('b') { arg('b') } else { None },
            predial_caller: if o.has('B') { arg('B') } else { None },
        }
    }

    /// `setup_profile_bridge`: the default bridge profile, recording
    /// when asked.
    pub fn bridge_profile(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("template", String::new())];
        if self.record {
            p.push(("record_conference", "yes".into()));
        }
        p
    }

    /// `setup_profile_paged`: a callee's user profile.
    pub fn paged_profile(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("template", String::new()),
            ("quiet", "yes".into()),
            ("end_marked", "yes".into()),
        ];
        if !self.duplex {
            p.push(("startmuted", "yes".into()));
        }
        if let Some(a) = &self.announce {
            p.push(("announcement", a.clone()));
        }
        p
    }

    /// `setup_profile_caller`: the caller's user profile.
    pub fn caller_profile(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("template", String::new()),
            ("quiet", "yes".into()),
            ("marked", "yes".into()),
        ];
        if let (false, Some(a)) = (self.no_caller_announce, &self.announce) {
            p.push(("announcement", a.clone()));
        }
        p
    }
}

/// Writes a profile with CONFBRIDGE() on `chan`, as Page does through
/// `ast_func_write`.
fn write_profile(sys: &System, chan: &Arc<Channel>, kind: &str, lines: &[(&str, String)]) {
    for (option, value) in lines {
        crate::pbx::set_var(
            sys,
            Some(chan),
            &format!("CONFBRIDGE({kind},{option})"),
            Some(value),
        );
    }
}

/// One device of the list, as Page reads it: skipped silently, refused
/// (with Asterisk's warning), or to be called.
#[derive(Debug, PartialEq, Eq)]
pub enum Device<'a> {
    Skip,
    Incomplete(&'a str),
    Call { tech: &'a str, resource: &'a str },
}

/// `page_exec`'s reading of one `&`-separated device: blanks trimmed; an
/// empty one, or the caller's own device (its channel name up to the
/// first `-`, without case), is skipped.
pub fn device<'a>(item: &'a str, originator: &str) -> Device<'a> {
    let d = item.trim();
    if d.is_empty() || d.eq_ignore_ascii_case(originator) {
        return Device::Skip;
    }
    match d.split_once('/') {
        Some((tech, resource)) => Device::Call { tech, resource },
        None => Device::Incomplete(d),
    }
}

fn page<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(page_exec(ctx, data))
}

/// A callee's call, run on its own task.
struct Call {
    leg: Arc<std::sync::Mutex<Option<Arc<Channel>>>>,
    /// The callee answered and runs ConfBridge (`is_running_app`).
    in_app: Arc<std::sync::atomic::AtomicBool>,
    /// Told when the page is over (`ast_dial_join`).
    stop: Arc<tokio::sync::Notify>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

async fn page_exec(ctx: &AppCtx, data: String) -> AppResult {
    let sys = &ctx.sys;
    let confbridge = super::find("ConfBridge").filter(|a| super::available(sys, a));
    let Some(confbridge) = confbridge else {
        ctx.warning(
            &crate::site!(FILE, 273, "page_exec"),
            "There is no ConfBridge application available!",
        );
        return Err(AppExit::Hangup);
    };
    let args = separate_args(&data, ',', 3);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let originator = ctx
        .chan
        .name
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    let opts = if arg(1).is_empty() {
        PageOptions::default()
    } else {
        PageOptions::from(&options::parse(&sys.pbx.logger, arg(1), OPTIONS).unwrap_or_default())
    };
    let timeout = crate::config::views::values::atoi_i32(arg(2));
    // `ast_random()` as an unsigned number names the conference.
    let confid = crate::funcs::rand::random().to_string();
    let predial_callee = opts
        .predial_callee
        .as_deref()
        .map(|s| super::dial::expand_gosub_args(&ctx.chan, &super::dial::sub_delims(s)));
    if let Some(sub) = &opts.predial_caller {
        let _ = super::dial::exec_sub(sys, &ctx.chan, &super::dial::sub_delims(sub)).await;
    }
    let mut calls = Vec::new();
    for item in arg(0).split('&') {
        let (tech, resource) = match device(item, &originator) {
            Device::Skip => continue,
            Device::Incomplete(d) => {
                ctx.warning(
                    &crate::site!(FILE, 344, "page_exec"),
                    &format!("Incomplete destination: '{d}' supplied."),
                );
                continue;
            }
            Device::Call { tech, resource } => (tech, resource),
        };
        let dest = format!("{tech}/{resource}");
        if opts.skip_busy {
            let state = crate::core::devicestate::device_state(sys, &dest);
            if state == DeviceState::Unknown {
                ctx.verbose(
                    3,
                    &crate::site!(FILE, 352, "page_exec"),
                    &format!(
                        "Destination '{dest}' has device state '{}'. Paging anyway.",
                        state.as_str()
                    ),
                );
            } else if state != DeviceState::NotInUse {
                ctx.verbose(
                    3,
                    &crate::site!(FILE, 355, "page_exec"),
                    &format!(
                        "Destination '{dest}' has device state '{}'.",
                        state.as_str()
                    ),
                );
                continue;
            }
        }
        calls.push(
            call(
                ctx,
                &dest,
                resource,
                &opts,
                &confid,
                timeout,
                predial_callee.clone(),
            )
            .await,
        );
    }
    let mut go_on = true;
    if !opts.quiet {
        let paths = crate::media::file::SoundPaths::from_conf(&sys.conf);
        if !paths.exists(BEEP, "") {
            ctx.warning(
                &crate::site!(FILE, 405, "page_exec"),
                "Missing required sound file: 'beep'",
            );
        } else {
            go_on = matches!(
                super::playback::stream_file(ctx, BEEP, "").await,
                super::playback::Streamed::Done
            );
        }
    }
    if go_on {
        write_profile(sys, &ctx.chan, "bridge", &opts.bridge_profile());
        write_profile(sys, &ctx.chan, "user", &opts.caller_profile());
        let _ = super::exec(ctx, confbridge, &confid).await;
    }
    // `ast_dial_join`: a call still going (ringing, or its callee still in
    // the conference) is ended, then waited for.
    for c in calls {
        let leg = crate::core::lock(&c.leg).clone();
        c.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        if c.in_app.load(std::sync::atomic::Ordering::SeqCst) {
            if let Some(leg) = leg
                && !leg.is_dead()
            {
                leg.softhangup(softhangup::EXPLICIT);
            }
        } else {
            c.stop.notify_one();
        }
        let _ = c.task.await;
    }
    Err(AppExit::Hangup)
}

/// Places one callee's call (`ast_dial_run` in async mode): requested
/// with the caller as requestor (`begin_dial_prerun`: AppDial2, the
/// caller's inheritable variables, its caller id as the callee's
/// connected line, its language and music class), then on a task of its
/// own: answered, the paged profile is written and ConfBridge runs; the
/// callee is hung up after.
async fn call(
    ctx: &AppCtx,
    dest: &str,
    resource: &str,
    opts: &PageOptions,
    confid: &str,
    timeout: i32,
    predial: Option<String>,
) -> Call {
    let sys = ctx.sys.clone();
    let caller = ctx.chan.clone();
    let slot = Arc::new(std::sync::Mutex::new(None));
    let leg_slot = slot.clone();
    let in_app = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = in_app.clone();
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let page_over = stopping.clone();
    let opts = opts.clone();
    let confid = confid.to_string();
    let dest = dest.to_string();
    let resource = resource.to_string();
    let requested = super::dial::request(&sys, &caller, &dest).await;
    let task = tokio::spawn(async move {
        let Ok((leg, start)) = requested else {
            return;
        };
        *crate::core::lock(&leg_slot) = Some(leg.clone());
        {
            let (id, language, musicclass) = {
                let d = caller.lock();
                (
                    d.caller.id.clone(),
                    d.language.clone(),
                    d.musicclass.clone(),
                )
            };
            caller.inherit_variables_to(&leg);
            let mut d = leg.lock();
            d.appl = Some("AppDial2".into());
            d.data = Some("(Outgoing Line)".into());
            d.connected.id = id;
            d.language = language;
            if d.musicclass.is_empty() {
                d.musicclass = musicclass;
            }
        }
        leg.publish_snapshot();
        if let Some(target) = &predial {
            let _ = super::dial::exec_sub(&sys, &leg, target).await;
        }
        if super::dial::place(&sys, &leg, start).is_err() {
            return;
        }
        crate::pbx::originate::dial_begin(&sys, &leg, &resource);
        // Without a timeout the call rings until the page is over.
        let wait = if timeout > 0 {
            Duration::from_millis(u64::from(timeout.unsigned_abs()) * 1000)
        } else {
            Duration::from_secs(u64::from(u32::MAX))
        };
        // Stopped unanswered, the call is ended with no dial status
        // (`monitor_dial` leaves its loop; `ast_dial_hangup`).
        let answer = crate::pbx::originate::await_answer(&sys, leg.clone(), wait, false);
        let leg = tokio::select! {
            answered = answer => match answered {
                Ok(leg) => leg,
                Err(_) => return,
            },
            _ = stopped.notified() => {
                leg.softhangup(softhangup::EXPLICIT);
                crate::pbx::run::hangup_channel(&sys, &leg);
                return;
            }
        };
        running.store(true, std::sync::atomic::Ordering::SeqCst);
        // Answered as the page ended: nobody else will end it.
        if page_over.load(std::sync::atomic::Ordering::SeqCst) {
            leg.softhangup(softhangup::EXPLICIT);
        }
        // `page_state_callback`, then the answer's application.
        write_profile(&sys, &leg, "bridge", &opts.bridge_profile());
        write_profile(&sys, &leg, "user", &opts.paged_profile());
        let lctx = AppCtx {
            sys: sys.clone(),
            chan: leg.clone(),
        };
        if let Some(app) = super::find("ConfBridge") {
            let _ = super::exec(&lctx, app, &confid).await;
        }
        crate::pbx::run::hangup_channel(&sys, &leg);
    });
    Call {
        leg: slot,
        in_app,
        stop,
        stopping,
        task,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &str) -> PageOptions {
        let dir = std::env::temp_dir();
        let l = crate::core::logger::Logger::new(&Default::default(), &dir, 0);
        PageOptions::from(&options::parse(&l, s, OPTIONS).expect("parses"))
    }

    #[test]
    fn options_shape_the_profiles() {
        let o = opts("");
        assert_eq!(
            o.paged_profile(),
            [
                ("template", String::new()),
                ("quiet", "yes".into()),
                ("end_marked", "yes".into()),
                ("startmuted", "yes".into()),
            ]
        );
        assert_eq!(
            o.caller_profile(),
            [
                ("template", String::new()),
                ("quiet", "yes".into()),
                ("marked", "yes".into()),
            ]
        );
        assert_eq!(o.bridge_profile(), [("template", String::new())]);

        let o = opts("dqrA(hello)");
        assert!(o.duplex && o.quiet && o.record);
        assert!(!o.paged_profile().iter().any(|(k, _)| *k == "startmuted"));
        assert!(
            o.paged_profile()
                .contains(&("announcement", "hello".into()))
        );
        assert!(
            o.caller_profile()
                .contains(&("announcement", "hello".into()))
        );
        assert!(
            o.bridge_profile()
                .contains(&("record_conference", "yes".into()))
        );

        // `n`: the caller does not hear it; an empty A() is none.
        let o = opts("nA(hello)");
        assert!(!o.caller_profile().iter().any(|(k, _)| *k == "announcement"));
        assert!(opts("A()").announce.is_none());

        let o = opts("b(sub^s^1(x))B(pre^s^1)is");
        assert_eq!(o.predial_callee.as_deref(), Some("sub^s^1(x)"));
        assert_eq!(o.predial_caller.as_deref(), Some("pre^s^1"));
        assert!(o.ignore_forwards && o.skip_busy);
    }

    #[test]
    fn devices() {
        let cases: &[(&str, Device<'_>)] = &[
            (
                "SIP/1000",
                Device::Call {
                    tech: "SIP",
                    resource: "1000",
                },
            ),
            (
                " Local/20@page ",
                Device::Call {
                    tech: "Local",
                    resource: "20@page",
                },
            ),
            ("", Device::Skip),
            ("  ", Device::Skip),
            ("local/11@PAGE", Device::Skip),
            ("nodest", Device::Incomplete("nodest")),
        ];
        for (item, want) in cases {
            assert_eq!(&device(item, "Local/11@page"), want, "{item:?}");
        }
    }
}
