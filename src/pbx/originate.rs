//! Placing calls from inside the PBX (`ast_pbx_outgoing_app` and
//! `ast_pbx_outgoing_exten`): request a channel, wait for it to answer,
//! then run an application or the dialplan on it. The CLI's `channel
//! originate`, AMI's Originate and call files all come through here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::apps::AppCtx;
use crate::channels::{ChanState, Channel, Indication, NewChannel, local};
use crate::core::System;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Application {
        app: String,
        data: String,
    },
    Extension {
        context: String,
        exten: String,
        priority: i32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginateError {
    #[error("No such channel type '{0}'")]
    NoSuchTech(String),
    #[error("channel was not answered")]
    NotAnswered,
}

/// Requests an outbound channel of any technology Asterism drives.
/// Returns the channel to wait on, after starting whatever runs the far
/// side (for Local, the `;2` half's dialplan).
pub fn request(
    sys: &Arc<System>,
    tech_data: &str,
    init: NewChannel,
) -> Result<Arc<Channel>, OriginateError> {
    let (tech, data) = tech_data.split_once('/').unwrap_or((tech_data, ""));
    if tech.eq_ignore_ascii_case("Local") {
        let (one, two) = local::request(sys, data, init);
        sys.pbx
            .logger
            .verbose(3, "dial.c", None, &format!("Called {data}"));
        let ctx = AppCtx {
            sys: sys.clone(),
            chan: two,
        };
        tokio::spawn(crate::pbx::run::pbx_run(ctx));
        Ok(one)
    } else {
        sys.pbx.logger.warning(
            "channel.c",
            None,
            &format!("No channel type registered for '{tech}'"),
        );
        Err(OriginateError::NoSuchTech(tech.to_string()))
    }
}

/// How a wait for answer ended.
enum Outcome {
    Answered,
    Busy,
    Congestion,
    Gone,
    Timeout,
}

async fn wait_answer(chan: &Arc<Channel>, timeout: Duration) -> Outcome {
    let deadline = Instant::now() + timeout;
    loop {
        let notified = chan.wake_handle().notified();
        if chan.state() == ChanState::Up {
            return Outcome::Answered;
        }
        let pending = chan.lock().pending_indication.take();
        match pending {
            Some(Indication::Busy) => return Outcome::Busy,
            Some(Indication::Congestion) => return Outcome::Congestion,
            _ => {}
        }
        if chan.check_hangup() {
            return Outcome::Gone;
        }
        let now = Instant::now();
        if now >= deadline {
            return Outcome::Timeout;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {}
        }
    }
}

/// Originates a call and runs `target` on it once answered. Returns when
/// the outbound channel is up (the target then runs in its own task), or
/// with the reason it never came up.
pub async fn originate(
    sys: Arc<System>,
    tech_data: &str,
    target: Target,
    timeout: Duration,
    init: NewChannel,
) -> Result<Arc<Channel>, OriginateError> {
    let chan = request(&sys, tech_data, init)?;
    let outcome = wait_answer(&chan, timeout).await;
    match outcome {
        Outcome::Answered => {
            sys.pbx
                .logger
                .verbose(3, "dial.c", None, &format!("{} answered", chan.name));
        }
        other => {
            match other {
                Outcome::Busy => {
                    sys.pbx
                        .logger
                        .verbose(3, "dial.c", None, &format!("{} is busy", chan.name))
                }
                Outcome::Congestion => sys.pbx.logger.verbose(
                    3,
                    "dial.c",
                    None,
                    &format!("{} is circuit-busy", chan.name),
                ),
                _ => {}
            }
            crate::pbx::run::hangup_channel(&sys, &chan);
            return Err(OriginateError::NotAnswered);
        }
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    match target {
        Target::Application { app, data } => {
            tokio::spawn(async move {
                let callid = ctx.chan.callid;
                crate::core::logger::CALLID
                    .scope(callid, async {
                        match crate::apps::find(&app) {
                            Some(a) => {
                                ctx.verbose(
                                    4,
                                    "pbx.c",
                                    &format!("Launching {}({}) on {}", a.name, data, ctx.chan.name),
                                );
                                let _ = crate::apps::exec(&ctx, a, &data).await;
                            }
                            None => {
                                ctx.warning("pbx.c", &format!("No such application '{app}'"));
                            }
                        }
                        crate::pbx::run::hangup(&ctx);
                    })
                    .await;
            });
        }
        Target::Extension {
            context,
            exten,
            priority,
        } => {
            {
                let mut d = chan.lock();
                d.set_context(&context);
                d.set_exten(&exten);
                d.priority = priority;
            }
            tokio::spawn(crate::pbx::run::pbx_run(ctx));
        }
    }
    Ok(chan)
}
