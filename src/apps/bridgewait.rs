//! BridgeWait (Asterisk's `app_bridgewait.c`): the channel waits in a
//! named holding bridge (`bridge_holding.c`) as a participant, entertained
//! with music, ringing, silence or a hold indication, or as the one
//! announcer the participants hear instead, until it hangs up, its
//! `S()` time is up, or the bridge is dissolved. The bridge is made by the
//! first waiter of its name and dissolved when the last one leaves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::options::{self, Options};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args};
use crate::channels::bridge::Bridge;
use crate::channels::media::DigitReader;
use crate::channels::{ChanState, Indication};
use crate::core::lock;

const FILE: &str = "app_bridgewait.c";
const DEFAULT_BRIDGE_NAME: &str = "default";

pub fn apps() -> Vec<App> {
    vec![App {
        name: "BridgeWait",
        run: Run::Wait(bridgewait),
        synopsis: "Puts the channel into a named holding bridge.",
        syntax: "BridgeWait([name[,role[,options]]])",
    }]
}

/// The named waiting bridges (app_bridgewait's wrapper container), each
/// with how many BridgeWait applications are in it.
#[derive(Default)]
pub struct WaitBridges {
    named: Mutex<HashMap<String, Named>>,
}

struct Named {
    bridge: Arc<Bridge>,
    waiters: usize,
}

impl WaitBridges {
    /// `get_wait_bridge_wrapper`: the bridge of `name`, made if needed
    /// (a `base` holding bridge created by BridgeWait, BridgeCreate), with
    /// one more waiter.
    fn enter(&self, sys: &crate::core::System, name: &str) -> Arc<Bridge> {
        let mut named = lock(&self.named);
        let n = named.entry(name.to_string()).or_insert_with(|| Named {
            bridge: Bridge::create_holding(&sys.pbx.channels.events, "base", "BridgeWait", name),
            waiters: 0,
        });
        n.waiters += 1;
        n.bridge.clone()
    }

    /// `wait_wrapper_removal`: one waiter fewer; the last one's going
    /// dissolves the bridge (whoever BridgeAdd put there goes back to its
    /// dialplan) and it is destroyed once empty.
    fn leave(&self, name: &str, bridge: &Arc<Bridge>) {
        {
            let mut named = lock(&self.named);
            let Some(n) = named.get_mut(name) else {
                return;
            };
            if !Arc::ptr_eq(&n.bridge, bridge) {
                return;
            }
            n.waiters = n.waiters.saturating_sub(1);
            if n.waiters > 0 {
                return;
            }
            named.remove(name);
        }
        bridge.dissolve_to_dialplan();
        bridge.destroy_when_empty();
    }
}

/// What a participant hears while no announcer is in
/// (`participant_idle_mode_setup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idle {
    Moh,
    Ringing,
    Silence,
    Hold,
    None,
}

/// A member's role in a holding bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Participant {
        idle: Idle,
        moh_class: Option<String>,
    },
    Announcer,
}

impl Role {
    /// A member with no role set (BridgeAdd's): a participant with music.
    pub fn participant() -> Role {
        Role::Participant {
            idle: Idle::Moh,
            moh_class: None,
        }
    }
}

/// How a member's stay in a holding bridge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// It hung up.
    Hangup,
    /// Its `S()` interval hook fired.
    Timeout,
    /// The bridge was dissolved.
    Dissolved,
    /// It could not join (a second announcer).
    Refused,
}

/// The parsed arguments of BridgeWait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub name: String,
    pub role: Role,
    pub timeout: Option<Duration>,
    pub no_answer: bool,
}

/// Why BridgeWait's arguments are refused, with Asterisk's error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("Requested waiting bridge role '{0}' is invalid.")]
    Role(String),
    #[error("Timeout option 'S': No value provided.")]
    NoTimeout,
    #[error("Timeout option 'S': Invalid value provided '{0}'.")]
    BadTimeout(String),
    #[error("Invalid argument for BridgeWait entertainment '{0}'")]
    Entertainment(String),
}

impl ArgError {
    /// The line of app_bridgewait.c that logs it.
    fn line(&self) -> u32 {
        match self {
            ArgError::Role(_) => 452,
            ArgError::NoTimeout => 225,
            ArgError::BadTimeout(_) => 229,
            ArgError::Entertainment(_) => 265,
        }
    }

    fn func(&self) -> &'static str {
        match self {
            ArgError::Role(_) => "bridgewait_exec",
            ArgError::NoTimeout | ArgError::BadTimeout(_) => "apply_option_timeout",
            ArgError::Entertainment(_) => "apply_option_entertainment",
        }
    }
}

/// `sscanf(s, "%u")`: leading blanks, a sign, digits (wrapping as C's
/// unsigned conversion does); anything after is ignored.
fn scan_unsigned(s: &str) -> Option<u32> {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let v = rest[..end].bytes().fold(0u32, |acc, d| {
        acc.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
    });
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `bridgewait_exec`'s checks and `process_options`, in Asterisk's order:
/// the role first, then the timeout, then (for a participant) the music
/// class and the entertainment.
pub fn parse_args(name: &str, role: &str, opts: &Options) -> Result<Args, ArgError> {
    let is_announcer = match role {
        "" | "participant" => false,
        "announcer" => true,
        other => return Err(ArgError::Role(other.to_string())),
    };
    let timeout = match opts.arg('S') {
        None => None,
        Some("") => return Err(ArgError::NoTimeout),
        Some(v) => match scan_unsigned(v) {
            Some(secs) if secs != 0 => {
                Some(Duration::from_millis(u64::from(secs.wrapping_mul(1000))))
            }
            _ => return Err(ArgError::BadTimeout(v.to_string())),
        },
    };
    let role = if is_announcer {
        Role::Announcer
    } else {
        let idle = match opts.arg('e') {
            None => Idle::Moh,
            Some(e) => match e.chars().next() {
                Some('m') => Idle::Moh,
                Some('r') => Idle::Ringing,
                Some('s') => Idle::Silence,
                Some('h') => Idle::Hold,
                Some('n') => Idle::None,
                _ => return Err(ArgError::Entertainment(e.to_string())),
            },
        };
        Role::Participant {
            idle,
            moh_class: opts.arg('m').map(str::to_string),
        }
    };
    Ok(Args {
        name: if name.is_empty() {
            DEFAULT_BRIDGE_NAME.to_string()
        } else {
            name.to_string()
        },
        role,
        timeout,
        no_answer: opts.has('n'),
    })
}

fn bridgewait<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(bridgewait_exec(ctx, data))
}

async fn bridgewait_exec(ctx: &AppCtx, data: String) -> AppResult {
    let args = separate_args(&data, ',', 4);
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    // The role is checked before the options are read.
    if let Err(e) = parse_args(arg(0), arg(1), &Options::default()) {
        ctx.error(&crate::site!(FILE, e.line(), e.func()), &e.to_string());
        return Err(AppExit::Hangup);
    }
    // A bad option string is logged and leaves what it set so far unset.
    let opts = options::parse(&ctx.sys.pbx.logger, arg(2), "emSn").unwrap_or_default();
    if ctx.chan.state() != ChanState::Up && !opts.has('n') {
        ctx.chan.answer();
    }
    let parsed = match parse_args(arg(0), arg(1), &opts) {
        Ok(a) => a,
        Err(e) => {
            ctx.error(&crate::site!(FILE, e.line(), e.func()), &e.to_string());
            return Err(AppExit::Hangup);
        }
    };
    let waits = &ctx.sys.wait_bridges;
    let bridge = waits.enter(&ctx.sys, &parsed.name);
    ctx.verbose(
        3,
        &crate::site!(FILE, 485, "bridgewait_exec"),
        &format!(
            "{} is entering waiting bridge {}:{}",
            ctx.chan.name, parsed.name, bridge.uniqueid
        ),
    );
    let left = hold(ctx, &bridge, &parsed.role, parsed.timeout).await;
    waits.leave(&parsed.name, &bridge);
    if left == Left::Refused {
        ctx.warning(
            &crate::site!(FILE, 494, "bridgewait_exec"),
            &format!(
                "Failed to join waiting bridge '{}' for '{}'.",
                parsed.name, ctx.chan.name
            ),
        );
        return Err(AppExit::Hangup);
    }
    if ctx.chan.check_hangup() {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

/// A participant's entertainment while it runs.
struct Entertainment<'a> {
    ctx: &'a AppCtx,
    idle: Idle,
    moh_class: Option<String>,
    active: bool,
}

impl Entertainment<'_> {
    /// `participant_entertainment_start`.
    fn start(&mut self) {
        if self.active {
            return;
        }
        self.active = true;
        let chan = &self.ctx.chan;
        match self.idle {
            Idle::Moh => {
                if super::moh::moh_start(self.ctx, self.moh_class.as_deref()).is_err() {
                    self.ctx.warning(
                        &crate::site!("bridge_holding.c", 205, "participant_entertainment_start"),
                        "Failed to start moh, starting silence generator instead",
                    );
                    self.idle = Idle::Silence;
                }
            }
            Idle::Ringing => chan.indicate(Indication::Ringing),
            Idle::Hold => chan.indicate_hold(true, self.moh_class.as_deref()),
            Idle::Silence | Idle::None => {}
        }
    }

    /// `participant_entertainment_stop`.
    fn stop(&mut self) {
        if !self.active {
            return;
        }
        self.active = false;
        match self.idle {
            Idle::Moh => super::moh::moh_stop(self.ctx),
            Idle::Hold => self.ctx.chan.indicate_hold(false, None),
            Idle::Ringing | Idle::Silence | Idle::None => {}
        }
    }
}

/// `chan` (the application's channel) in the holding bridge `bridge`
/// in `role` until it hangs up, `timeout` passes (`Channel ... timed
/// out.`) or the bridge is dissolved; it has left when this returns.
/// The holding bridge discards what participants send.
pub async fn hold(
    ctx: &AppCtx,
    bridge: &Arc<Bridge>,
    role: &Role,
    timeout: Option<Duration>,
) -> Left {
    let chan = &ctx.chan;
    if *role == Role::Announcer && bridge.has_announcer() {
        ctx.warning(
            &crate::site!("bridge_holding.c", 265, "holding_bridge_join"),
            &format!(
                "Bridge {}: Channel {} tried to be an announcer.  Bridge already has one.",
                bridge.uniqueid, chan.name
            ),
        );
        return Left::Refused;
    }
    bridge.join(chan);
    let mut fun = match role {
        Role::Announcer => {
            bridge.set_announcer(chan);
            None
        }
        Role::Participant { idle, moh_class } => Some(Entertainment {
            ctx,
            idle: idle.clone(),
            moh_class: moh_class.clone(),
            active: false,
        }),
    };
    let deadline = timeout.map(|t| Instant::now() + t);
    let left = loop {
        if let Some(f) = fun.as_mut() {
            if bridge.has_announcer() {
                f.stop();
            } else {
                f.start();
            }
        }
        if chan.check_hangup() {
            break Left::Hangup;
        }
        if bridge.is_dissolving() || !bridge.has(chan) {
            break Left::Dissolved;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            ctx.verbose(
                3,
                &crate::site!(FILE, 214, "bridgewait_timeout_callback"),
                &format!("Channel {} timed out.", chan.name),
            );
            break Left::Timeout;
        }
        // Nothing a member keys goes anywhere in a holding bridge.
        while chan.take_digit(DigitReader::Frames).is_some() {}
        let wait = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(IDLE)
            .min(IDLE);
        let _ = tokio::time::timeout(wait, chan.wake_handle().notified()).await;
    };
    if let Some(f) = fun.as_mut() {
        f.stop();
    }
    if *role == Role::Announcer {
        bridge.clear_announcer(chan);
    }
    if bridge.has(chan) {
        bridge.leave(chan);
    }
    // The last to leave a dissolved bridge takes it down (BridgeDestroy
    // once nobody holds it any more).
    if bridge.is_dissolving() {
        bridge.destroy_when_empty();
    }
    left
}

/// How long a member sleeps when nothing wakes it.
const IDLE: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &str) -> Options {
        let dir = std::env::temp_dir();
        let l = crate::core::logger::Logger::new(&Default::default(), &dir, 0);
        options::parse(&l, s, "emSn").expect("parses")
    }

    #[test]
    fn arguments() {
        let a = parse_args("", "", &opts("")).expect("defaults");
        assert_eq!(a.name, "default");
        assert_eq!(a.role, Role::participant());
        assert_eq!(a.timeout, None);
        assert!(!a.no_answer);

        let a = parse_args("room", "participant", &opts("m(jazz)e(r)S(5)n")).expect("all");
        assert_eq!(
            a.role,
            Role::Participant {
                idle: Idle::Ringing,
                moh_class: Some("jazz".into())
            }
        );
        assert_eq!(a.timeout, Some(Duration::from_secs(5)));
        assert!(a.no_answer);

        // Only the first letter of the entertainment counts.
        let a = parse_args("r", "", &opts("e(silence)")).expect("silence");
        assert!(matches!(
            a.role,
            Role::Participant {
                idle: Idle::Silence,
                ..
            }
        ));
        // An announcer ignores the participant's options.
        let a = parse_args("r", "announcer", &opts("e(x)m(y)")).expect("announcer");
        assert_eq!(a.role, Role::Announcer);
        // sscanf's %u: trailing text ignored.
        let a = parse_args("r", "", &opts("S(3s)")).expect("3s");
        assert_eq!(a.timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn refused_arguments() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "Participant",
                "",
                "Requested waiting bridge role 'Participant' is invalid.",
            ),
            ("", "S()", "Timeout option 'S': No value provided."),
            (
                "",
                "S(0)",
                "Timeout option 'S': Invalid value provided '0'.",
            ),
            (
                "",
                "S(x)",
                "Timeout option 'S': Invalid value provided 'x'.",
            ),
            (
                "",
                "e(x)",
                "Invalid argument for BridgeWait entertainment 'x'",
            ),
            (
                "",
                "e()",
                "Invalid argument for BridgeWait entertainment ''",
            ),
        ];
        for (role, o, msg) in cases {
            let e = parse_args("", role, &opts(o)).expect_err(o);
            assert_eq!(e.to_string(), *msg, "{role} {o}");
        }
    }
}
