//! The call-centre agent pool (`apps/app_agent_pool.c`): AgentLogin
//! holds an agent's channel in the pool's holding bridge (music while it
//! waits), AgentRequest connects a caller to a logged-in agent, and the
//! agent's state shows as the device `Agent:<id>`. The AGENT function,
//! the Agents and AgentLogoff actions and the `agent` CLI read the pool.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{App, AppCtx, AppExit, AppFuture, AppResult};
use crate::channels::bridge::{Bridge, apply_connected_line};
use crate::channels::media::DigitReader;
use crate::channels::party::Party;
use crate::channels::{ChanState, Channel, Indication};
use crate::config::views::agents::AgentCfg;
use crate::core::System;
use crate::core::devicestate::{DeviceState, Pending};
use crate::core::events::EventKind;
use crate::core::lock;

const FILE: &str = "app_agent_pool.c";

/// How long a caller waits for the agent's side to answer the alert
/// (`CALLER_SAFETY_TIMEOUT_TIME`).
const CALLER_SAFETY_TIMEOUT: Duration = Duration::from_secs(120);
/// The login probation, in whole seconds of the wall clock
/// (`LOGIN_WAIT_TIMEOUT_TIME`): Local channels optimise away meanwhile.
const LOGIN_WAIT_TIMEOUT: i64 = 5;
/// The holding bridge's interval hook.
const HEARTBEAT: Duration = Duration::from_secs(1);

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "AgentLogin",
            run: super::Run::Wait(agent_login),
            synopsis: "Logs an agent in to wait for calls in the agent pool.",
            syntax: "AgentLogin(AgentId[,options])",
        },
        App {
            name: "AgentRequest",
            run: super::Run::Wait(agent_request),
            synopsis: "Connects the caller to a logged-in agent.",
            syntax: "AgentRequest(AgentId)",
        },
    ]
}

/// `enum agent_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    LoggedOut,
    ProbationWait,
    ReadyForCall,
    CallPresent,
    CallWaitAck,
    OnCall,
    CallWrapup,
    LoggingOut,
}

/// What the login channel's AGENT* variables override.
#[derive(Debug, Clone, Default)]
struct Overrides {
    ack_call: Option<bool>,
    dtmf_accept: Option<String>,
    auto_logoff: Option<u32>,
    wrapup_time: Option<u32>,
}

/// One agent's live state (`struct agent_pvt`).
struct Live {
    state: State,
    devstate: DeviceState,
    logged: Option<Arc<Channel>>,
    login_start: i64,
    probation_start: i64,
    call_start: i64,
    ack_time: Instant,
    last_disconnect: Instant,
    /// The bridge a caller waits in for this agent.
    caller_bridge: Option<Arc<Bridge>>,
    /// A caller's alert queued to the agent's channel.
    alert: bool,
    /// A connected line queued to the agent's channel.
    colp: Option<Party>,
    deferred_logoff: bool,
    over: Overrides,
    /// The agent's connected line at login, restored after each call.
    waiting_colp: Party,
    cfg: AgentCfg,
}

pub struct Agent {
    pub id: String,
    live: Mutex<Live>,
}

impl Agent {
    fn new(cfg: &AgentCfg) -> Agent {
        Agent {
            id: cfg.username.clone(),
            live: Mutex::new(Live {
                state: State::LoggedOut,
                devstate: DeviceState::Unavailable,
                logged: None,
                login_start: 0,
                probation_start: 0,
                call_start: 0,
                ack_time: Instant::now(),
                last_disconnect: Instant::now(),
                caller_bridge: None,
                alert: false,
                colp: None,
                deferred_logoff: false,
                over: Overrides::default(),
                waiting_colp: Party::default(),
                cfg: cfg.clone(),
            }),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        lock(&self.live)
    }

    /// The logged-in channel, if any.
    pub fn logged(&self) -> Option<Arc<Channel>> {
        self.live().logged.clone()
    }

    pub fn cfg(&self) -> AgentCfg {
        self.live().cfg.clone()
    }

    /// `ast_devstate_str` of the agent's device state.
    pub fn devstate(&self) -> DeviceState {
        self.live().devstate
    }

    pub fn login_start(&self) -> i64 {
        self.live().login_start
    }

    pub fn call_start(&self) -> i64 {
        self.live().call_start
    }

    fn ack_dtmf(&self) -> Option<String> {
        let l = self.live();
        let ack = l.over.ack_call.unwrap_or(l.cfg.ack_call);
        ack.then(|| {
            l.over
                .dtmf_accept
                .clone()
                .unwrap_or_else(|| l.cfg.dtmf_accept.clone())
        })
        .filter(|d| !d.is_empty())
    }
}

/// The agents of agents.conf with their live state, and the pool's
/// holding bridge (made when first needed).
#[derive(Default)]
pub struct Pool {
    agents: Mutex<BTreeMap<String, Arc<Agent>>>,
    holding: Mutex<Option<Arc<Bridge>>>,
}

impl Pool {
    /// The agent `id` if agents.conf defines it. An agent not logged in
    /// takes the configuration as now loaded (a reload's).
    pub fn agent(&self, sys: &System, id: &str) -> Option<Arc<Agent>> {
        let loaded = sys.loaded();
        let cfg = loaded.agents.agent(id)?;
        let mut all = lock(&self.agents);
        let a = all
            .entry(id.to_string())
            .or_insert_with(|| Arc::new(Agent::new(cfg)))
            .clone();
        {
            let mut l = a.live();
            if l.logged.is_none() {
                l.cfg = cfg.clone();
            }
        }
        Some(a)
    }

    /// Every configured agent, by id.
    pub fn all(&self, sys: &System) -> Vec<Arc<Agent>> {
        let ids: Vec<String> = sys
            .loaded()
            .agents
            .agents
            .iter()
            .map(|a| a.username.clone())
            .collect();
        ids.iter().filter_map(|id| self.agent(sys, id)).collect()
    }

    /// The agents as the module loads: each made, its device state
    /// (UNAVAILABLE) cached.
    pub fn load(&self, sys: &System) {
        for agent in self.all(sys) {
            sys.pbx
                .devstates
                .seed(&format!("Agent:{}", agent.id), DeviceState::Unavailable);
        }
    }

    /// `agents_post_apply_config` after a reload: an agent new to the
    /// file has its device state told; one no longer in it is dropped,
    /// and hung up if logged in (`agents_sweep`).
    pub fn reloaded(&self, sys: &System) {
        let loaded = sys.loaded();
        let gone: Vec<Arc<Agent>> = {
            let mut all = lock(&self.agents);
            let ids: Vec<String> = all.keys().cloned().collect();
            ids.iter()
                .filter(|id| loaded.agents.agent(id).is_none())
                .filter_map(|id| all.remove(id))
                .collect()
        };
        for cfg in &loaded.agents.agents {
            let known = lock(&self.agents).contains_key(&cfg.username);
            if !known && self.agent(sys, &cfg.username).is_some() {
                devstate_changed(sys, &cfg.username);
            }
        }
        for agent in gone {
            devstate_changed(sys, &agent.id);
            if let Some(chan) = agent.logged() {
                sys.pbx.logger.notice(
                    crate::site!(FILE, 963, "agents_sweep"),
                    None,
                    &format!(
                        "Forced logoff of agent {}({}).  Agent no longer configured.",
                        agent.id, chan.name
                    ),
                );
                chan.softhangup(crate::channels::softhangup::EXPLICIT);
            }
        }
    }

    /// `bridge_agent_hold_deferred_create`.
    fn holding(&self, sys: &System) -> Arc<Bridge> {
        lock(&self.holding)
            .get_or_insert_with(|| {
                Bridge::create_holding(&sys.pbx.channels.events, "agent_hold", "AgentPool", "")
            })
            .clone()
    }

    /// `agent_logoff_request`: false when there is no such agent. A soft
    /// logoff waits for the agent's call to end.
    pub fn logoff(&self, sys: &System, id: &str, soft: bool) -> bool {
        let Some(agent) = self.agent(sys, id) else {
            return false;
        };
        let logged = {
            let mut l = agent.live();
            if soft && l.logged.is_some() {
                l.deferred_logoff = true;
            }
            l.logged.clone()
        };
        if let Some(c) = logged {
            if soft {
                c.wake();
            } else {
                c.softhangup(crate::channels::softhangup::EXPLICIT);
            }
        }
        true
    }
}

/// The `Agent:` device provider (`agent_pvt_devstate_get`).
pub fn device_state(sys: &System, id: &str) -> DeviceState {
    match sys.agents.agent(sys, id) {
        Some(a) => a.devstate(),
        None => DeviceState::Invalid,
    }
}

/// `agent_devstate_changed`: the provider is asked again.
fn devstate_changed(sys: &System, id: &str) {
    sys.pbx
        .channels
        .events
        .device_changed(&format!("Agent:{id}"), true, Pending::Later);
}

fn agent_login<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(login(ctx, data))
}

fn agent_request<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(request(ctx, data))
}

/// `agent_login_exec`.
async fn login(ctx: &AppCtx, data: String) -> AppResult {
    let sys = &ctx.sys;
    sys.agents.holding(sys);
    if ctx.chan.state() != ChanState::Up {
        super::builtins::answer_and_wait(ctx).await?;
    }
    let args = super::separate_args(&data, ',', 3);
    let id = args.first().map(String::as_str).unwrap_or("");
    if id.is_empty() {
        ctx.warning(
            crate::site!(FILE, 2159, "agent_login_exec"),
            "AgentLogin requires an AgentId",
        );
        return Err(AppExit::Hangup);
    }
    let optstr = args.get(1).map(String::as_str).unwrap_or("");
    let opts = super::options::parse(&sys.pbx.logger, optstr, "s").map_err(|_| AppExit::Hangup)?;
    let Some(agent) = sys.agents.agent(sys, id) else {
        ctx.verbose(
            3,
            crate::site!(FILE, 2171, "agent_login_exec"),
            &format!("Agent '{id}' does not exist."),
        );
        ctx.set_var("AGENT_STATUS", Some("INVALID"));
        return Ok(());
    };
    {
        let mut l = agent.live();
        if l.logged.is_some() {
            drop(l);
            ctx.verbose(
                3,
                crate::site!(FILE, 2180, "agent_login_exec"),
                &format!("Agent '{}' already logged in.", agent.id),
            );
            ctx.set_var("AGENT_STATUS", Some("ALREADY_LOGGED_IN"));
            return Ok(());
        }
        l.logged = Some(ctx.chan.clone());
        l.last_disconnect = Instant::now();
        l.login_start = crate::core::unix_seconds();
        l.deferred_logoff = false;
    }
    login_channel_config(ctx, &agent);
    if !opts.has('s') {
        let _ = super::playback::stream_file(ctx, "agent-loginok", "").await;
        ctx.chan.stop_stream();
    }
    // Read and write formats: the channel's native one here.
    let format = ctx.chan.native_codec().name();
    ctx.verbose(
        2,
        crate::site!(FILE, 2196, "agent_login_exec"),
        &format!("Agent '{}' logged in (format {format}/{format})", agent.id),
    );
    ctx.chan.emit(EventKind::Manager {
        class: crate::manager::class::AGENT,
        name: "AgentLogin".into(),
        body: format!("Agent: {}\r\n", agent.id),
    });
    run(ctx, &agent).await;
    Err(AppExit::Hangup)
}

/// `agent_login_channel_config`: the login channel's AGENTACKCALL,
/// AGENTACCEPTDTMF, AGENTAUTOLOGOFF and AGENTWRAPUPTIME override the
/// agent's configuration while it is logged in.
fn login_channel_config(ctx: &AppCtx, agent: &Agent) {
    let var = |n: &str| ctx.chan.get_var(n).filter(|v| !v.is_empty());
    let uint = |n: &str| var(n).and_then(|v| leading_uint(&v));
    let over = Overrides {
        ack_call: var("AGENTACKCALL").map(|v| crate::config::is_true(&v)),
        dtmf_accept: var("AGENTACCEPTDTMF"),
        auto_logoff: uint("AGENTAUTOLOGOFF"),
        wrapup_time: uint("AGENTWRAPUPTIME"),
    };
    let colp = ctx.chan.lock().connected.id.clone();
    let mut l = agent.live();
    l.waiting_colp = colp;
    l.over = over;
}

/// `sscanf("%u")`: blanks, an optional sign, digits (a negative value
/// wraps, as C's does).
fn leading_uint(s: &str) -> Option<u32> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = t.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return None;
    }
    let v = t[..end].bytes().fold(0u32, |acc, d| {
        acc.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
    });
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `agent_run`: the agent goes back into the holding bridge after each
/// call until it is logged off or hangs up.
async fn run(ctx: &AppCtx, agent: &Arc<Agent>) {
    let sys = &ctx.sys;
    let chan = &ctx.chan;
    loop {
        chan.lock().hangupcause = crate::channels::causes::NORMAL_CLEARING;
        let holding = sys.agents.holding(sys);
        hold(ctx, agent, &holding).await;
        // The agent is no longer configured.
        let Some(cfg) = sys.loaded().agents.agent(&agent.id).cloned() else {
            break;
        };
        let caller_bridge = {
            let mut l = agent.live();
            l.cfg = cfg;
            l.last_disconnect = Instant::now();
            l.caller_bridge.take()
        };
        if let Some(b) = caller_bridge {
            b.destroy();
        }
        let (state, deferred, colp) = {
            let l = agent.live();
            (l.state, l.deferred_logoff, l.waiting_colp.clone())
        };
        if state == State::LoggingOut || deferred || chan.check_hangup() {
            break;
        }
        apply_connected_line(chan, colp);
    }
    logout(ctx, agent);
}

/// `agent_logout`.
fn logout(ctx: &AppCtx, agent: &Agent) {
    let sys = &ctx.sys;
    let (login_start, caller_bridge) = {
        let mut l = agent.live();
        l.logged = None;
        l.state = State::LoggedOut;
        l.devstate = DeviceState::Unavailable;
        l.over = Overrides::default();
        l.alert = false;
        l.colp = None;
        (l.login_start, l.caller_bridge.take())
    };
    let secs = crate::core::unix_seconds() - login_start;
    devstate_changed(sys, &agent.id);
    if let Some(b) = caller_bridge {
        b.dissolve();
    }
    ctx.chan.emit(EventKind::Manager {
        class: crate::manager::class::AGENT,
        name: "AgentLogoff".into(),
        body: format!("Agent: {}\r\nLogintime: {secs}\r\n", agent.id),
    });
    ctx.verbose(
        2,
        crate::site!(FILE, 1532, "agent_logout"),
        &format!(
            "Agent '{}' logged out.  Logged in for {secs} seconds.",
            agent.id
        ),
    );
}

/// The agent in the holding bridge (`ast_bridge_join` of the holding
/// bridge with its push, heartbeat, DTMF-ack and alert hooks) until it
/// leaves the bridging system (kicked, logged off, hung up, or a call it
/// took is over).
async fn hold(ctx: &AppCtx, agent: &Arc<Agent>, holding: &Arc<Bridge>) {
    let sys = &ctx.sys;
    let chan = &ctx.chan;
    holding.join(chan);
    push(sys, agent);
    let moh = agent.cfg().moh;
    let _ = super::moh::moh_start(ctx, Some(&moh));
    let leave = |ctx: &AppCtx| {
        super::moh::moh_stop(ctx);
        holding.leave(&ctx.chan);
    };
    let mut next_beat = Instant::now() + HEARTBEAT;
    let mut keyed = String::new();
    loop {
        if chan.check_hangup() {
            leave(ctx);
            return;
        }
        let (colp, alert) = {
            let mut l = agent.live();
            (l.colp.take(), std::mem::take(&mut l.alert))
        };
        if let Some(p) = colp {
            apply_connected_line(chan, p);
        }
        if alert {
            // The idle mode turns to silence while the beep plays.
            super::moh::moh_stop(ctx);
            if alert_agent(ctx, agent, holding, &mut keyed).await {
                return;
            }
        }
        // Without an acknowledgement hook, what the agent keys in the
        // holding bridge goes nowhere.
        let ack = agent.ack_dtmf();
        if ack.is_none() {
            while chan.take_digit(DigitReader::Frames).is_some() {}
        }
        if let Some(dtmf) = ack {
            while let Some(d) = chan.take_digit(DigitReader::Frames) {
                keyed.push(d);
                if keyed == dtmf {
                    keyed.clear();
                    if agent.live().state == State::CallWaitAck {
                        connect_caller(ctx, agent, holding).await;
                        return;
                    }
                } else if !dtmf.starts_with(keyed.as_str()) {
                    keyed.clear();
                }
            }
        }
        if Instant::now() >= next_beat {
            next_beat += HEARTBEAT;
            if heartbeat(sys, agent) {
                leave(ctx);
                return;
            }
        }
        let wait = next_beat.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(
            wait.min(Duration::from_millis(100)),
            chan.wake_handle().notified(),
        )
        .await;
    }
}

/// `bridge_agent_hold_push`: what the agent's state becomes as it enters
/// the holding bridge.
fn push(sys: &System, agent: &Agent) {
    let changed = {
        let mut l = agent.live();
        match l.state {
            // The probation lets a Local channel optimise away before the
            // agent takes calls.
            State::LoggedOut | State::ProbationWait => {
                l.probation_start = crate::core::unix_seconds();
                l.state = State::ProbationWait;
                false
            }
            State::ReadyForCall => false,
            State::OnCall | State::CallWrapup => {
                let wrapup = l.over.wrapup_time.unwrap_or(l.cfg.wrapup_time);
                if wrapup > 0 {
                    l.state = State::CallWrapup;
                    false
                } else {
                    l.state = State::ReadyForCall;
                    l.devstate = DeviceState::NotInUse;
                    true
                }
            }
            // A call that was being presented was abandoned.
            _ => {
                l.state = State::ReadyForCall;
                l.devstate = DeviceState::NotInUse;
                true
            }
        }
    };
    if changed {
        devstate_changed(sys, &agent.id);
    }
}

/// `bridge_agent_hold_heartbeat`: true when the agent must leave the
/// holding bridge (a deferred logoff, an unacknowledged call).
fn heartbeat(sys: &System, agent: &Agent) -> bool {
    let (leave, changed) = {
        let mut l = agent.live();
        if l.deferred_logoff {
            l.state = State::LoggingOut;
            (true, false)
        } else {
            match l.state {
                State::ProbationWait
                    if crate::core::unix_seconds() - l.probation_start >= LOGIN_WAIT_TIMEOUT =>
                {
                    l.state = State::ReadyForCall;
                    l.devstate = DeviceState::NotInUse;
                    (false, true)
                }
                State::CallWaitAck => {
                    let auto = l.over.auto_logoff.unwrap_or(l.cfg.auto_logoff);
                    let out = auto > 0
                        && l.ack_time.elapsed() > Duration::from_millis(u64::from(auto) * 1000);
                    if out {
                        l.state = State::LoggingOut;
                    }
                    (out, false)
                }
                State::CallWrapup => {
                    let wrapup = l.over.wrapup_time.unwrap_or(l.cfg.wrapup_time);
                    let over =
                        l.last_disconnect.elapsed() > Duration::from_millis(u64::from(wrapup));
                    if over {
                        l.state = State::ReadyForCall;
                        l.devstate = DeviceState::NotInUse;
                    }
                    (false, over)
                }
                _ => (false, false),
            }
        }
    };
    if changed {
        devstate_changed(sys, &agent.id);
    }
    leave
}

/// `agent_alert`: the beep, then the call is connected, or waits for the
/// agent's acknowledgement. True when the agent left the holding bridge.
async fn alert_agent(
    ctx: &AppCtx,
    agent: &Arc<Agent>,
    holding: &Arc<Bridge>,
    keyed: &mut String,
) -> bool {
    let beep = agent.cfg().beep_sound;
    let ack = agent.ack_dtmf();
    // Only the first digit of the acknowledgement stops the beep.
    let breaks = match &ack {
        Some(d) => d.chars().take(1).collect::<String>(),
        None => super::say::DIGIT_ANY.to_string(),
    };
    let played = super::playback::stream_file(ctx, &beep, &breaks).await;
    ctx.chan.stop_stream();
    let state = agent.live().state;
    if state != State::CallPresent {
        return false;
    }
    if let Some(dtmf) = ack {
        {
            let mut l = agent.live();
            l.state = State::CallWaitAck;
            l.ack_time = Instant::now();
        }
        if let super::playback::Streamed::Digit(d) = played {
            keyed.clear();
            keyed.push(d);
            if *keyed == dtmf {
                keyed.clear();
                connect_caller(ctx, agent, holding).await;
                return true;
            }
        }
        return false;
    }
    connect_caller(ctx, agent, holding).await;
    true
}

/// `agent_connect_caller`: the agent moves from the holding bridge into
/// the caller's, the caller is answered, and the agent stays there until
/// the call is over.
async fn connect_caller(ctx: &AppCtx, agent: &Arc<Agent>, holding: &Arc<Bridge>) {
    let chan = &ctx.chan;
    let caller_bridge = {
        let mut l = agent.live();
        l.state = State::OnCall;
        l.call_start = crate::core::unix_seconds();
        l.caller_bridge.take()
    };
    let caller = caller_bridge
        .as_ref()
        .and_then(|b| b.members().into_iter().next());
    let (Some(bridge), Some(caller)) = (caller_bridge, caller) else {
        // Nobody waits any more: the agent is reset.
        holding.leave(chan);
        return;
    };
    if bridge.is_dissolving() {
        bridge.destroy();
        holding.leave(chan);
        return;
    }
    holding.move_member(chan, &bridge);
    // The agent answers the caller through the bridge, and clears its
    // AGENT_STATUS: the caller's dialplan then ends with the call.
    caller.answer();
    bridge.reconfigured();
    caller.unset_var_event("AGENT_STATUS");
    caller.wake();
    if agent.cfg().record_agent_calls {
        ctx.warning(
            crate::site!(FILE, 0, "agent_connect_caller"),
            "recordagentcalls is not supported by Asterism; the call is not recorded",
        );
    }
    // The caller's task relays the call and takes the bridge apart.
    while bridge.has(chan) {
        let _ =
            tokio::time::timeout(Duration::from_millis(100), chan.wake_handle().notified()).await;
    }
}

/// `caller_abort_agent`: the agent's holding is reset (it leaves the
/// holding bridge and comes back in), or the caller's bridge goes when
/// no agent is logged in.
fn abort_agent(agent: &Agent) {
    let (logged, bridge) = {
        let mut l = agent.live();
        match l.logged.clone() {
            Some(c) => (Some(c), None),
            None => (None, l.caller_bridge.take()),
        }
    };
    if let Some(b) = bridge {
        b.destroy();
    }
    if let Some(c) = logged {
        c.wake();
    }
}

/// `agent_request_exec`.
async fn request(ctx: &AppCtx, data: String) -> AppResult {
    let sys = &ctx.sys;
    let chan = &ctx.chan;
    sys.agents.holding(sys);
    let args = super::separate_args(&data, ',', 2);
    let id = args.first().map(String::as_str).unwrap_or("");
    if id.is_empty() {
        ctx.warning(
            crate::site!(FILE, 1937, "agent_request_exec"),
            "AgentRequest requires an AgentId",
        );
        return Err(AppExit::Hangup);
    }
    let Some(agent) = sys.agents.agent(sys, id) else {
        ctx.verbose(
            3,
            crate::site!(FILE, 1944, "agent_request_exec"),
            &format!("Agent '{id}' does not exist."),
        );
        ctx.set_var("AGENT_STATUS", Some("INVALID"));
        return Ok(());
    };
    let not_logged_in = |line: u32| {
        ctx.verbose(
            3,
            crate::site!(FILE, line, "agent_request_exec"),
            &format!("Agent '{}' not logged in.", agent.id),
        );
        ctx.set_var("AGENT_STATUS", Some("NOT_LOGGED_IN"));
    };
    let bridge = Bridge::create(&sys.pbx.channels.events);
    let state = agent.live().state;
    match state {
        State::LoggedOut | State::LoggingOut => {
            bridge.destroy();
            not_logged_in(1984);
            return Ok(());
        }
        State::ReadyForCall => {
            let mut l = agent.live();
            l.caller_bridge = Some(bridge.clone());
            l.state = State::CallPresent;
            l.devstate = DeviceState::InUse;
        }
        _ => {
            bridge.destroy();
            ctx.verbose(
                3,
                crate::site!(FILE, 1997, "agent_request_exec"),
                &format!("Agent '{}' is busy.", agent.id),
            );
            ctx.set_var("AGENT_STATUS", Some("BUSY"));
            return Ok(());
        }
    }
    devstate_changed(sys, &agent.id);
    // The agent learns who calls (send_colp_to_agent).
    let Some(logged) = agent.logged() else {
        abort_agent(&agent);
        bridge.destroy();
        not_logged_in(2016);
        return Ok(());
    };
    agent.live().colp = Some(chan.lock().caller.id.clone());
    logged.wake();
    bridge.update_connected_lines_on_join(chan);
    bridge.join(chan);
    // caller_joined_bridge: the agent is alerted, the caller rings.
    match agent.logged() {
        None => {
            ctx.verbose(
                3,
                crate::site!(FILE, 1880, "caller_joined_bridge"),
                &format!("Agent '{}' not logged in.", agent.id),
            );
            ctx.set_var("AGENT_STATUS", Some("NOT_LOGGED_IN"));
            bridge.leave(chan);
            abort_agent(&agent);
        }
        Some(logged) => {
            agent.live().alert = true;
            logged.wake();
            ctx.set_var("AGENT_STATUS", Some("NOT_CONNECTED"));
            chan.indicate(Indication::Ringing);
            wait_for_agent(ctx, &agent, &bridge).await;
        }
    }
    // Carry on in the dialplan only when the call did not happen.
    if chan.softhangup_flags() & crate::channels::softhangup::ASYNCGOTO != 0 {
        return Ok(());
    }
    let status = ctx.var("AGENT_STATUS").unwrap_or_default();
    if chan.check_hangup() || status.is_empty() {
        return Err(AppExit::Hangup);
    }
    Ok(())
}

/// The caller in its bridge: until the agent comes in (then the call,
/// relayed here, until one side ends it), the caller hangs up, or the
/// safety timeout.
async fn wait_for_agent(ctx: &AppCtx, agent: &Arc<Agent>, bridge: &Arc<Bridge>) {
    let sys = &ctx.sys;
    let chan = &ctx.chan;
    let deadline = Instant::now() + CALLER_SAFETY_TIMEOUT;
    loop {
        let peer = bridge.members().into_iter().find(|m| !Arc::ptr_eq(m, chan));
        if let Some(peer) = peer {
            crate::channels::bridge_basic::run_until_over(sys, bridge, chan, &peer).await;
            return;
        }
        // The agent went (logged off or reset) and took the bridge down.
        if !bridge.has(chan) {
            return;
        }
        if chan.check_hangup() || bridge.is_dissolving() {
            // A basic bridge dissolves as a member hangs up; the agent
            // finds it gone.
            bridge.leave(chan);
            if !bridge.is_dissolving() {
                bridge.dissolve();
            }
            if let Some(c) = agent.logged() {
                c.wake();
            }
            return;
        }
        if Instant::now() >= deadline && agent.live().state == State::CallPresent {
            ctx.warning(
                crate::site!(FILE, 1752, "caller_safety_timeout"),
                &format!(
                    "Agent '{}' process did not respond.  Safety timeout.",
                    agent.id
                ),
            );
            ctx.set_var("AGENT_STATUS", Some("ERROR"));
            bridge.leave(chan);
            abort_agent(agent);
            return;
        }
        let _ =
            tokio::time::timeout(Duration::from_millis(100), chan.wake_handle().notified()).await;
    }
}

/// The `AGENT(<id>[:item])` function (`agent_function_read`).
pub fn agent_read(
    ctx: &crate::funcs::FuncCtx<'_>,
    args: &str,
) -> Result<String, crate::funcs::Failed> {
    let (id, item) = match args.split_once(':') {
        Some((id, item)) => (id, item),
        None => (args, "status"),
    };
    if id.is_empty() {
        ctx.warning(
            crate::site!(FILE, 2223, "agent_function_read"),
            "The AGENT function requires an argument - agentid!",
        );
        return Err(crate::funcs::Failed);
    }
    let Some(agent) = ctx.sys.agents.agent(ctx.sys, id) else {
        ctx.warning(
            crate::site!(FILE, 2232, "agent_function_read"),
            &format!("Agent '{id}' not found!"),
        );
        return Err(crate::funcs::Failed);
    };
    let logged = agent.logged();
    let cfg = agent.cfg();
    let is = |s: &str| item.eq_ignore_ascii_case(s);
    Ok(if is("status") {
        if logged.is_some() {
            "LOGGEDIN"
        } else {
            "LOGGEDOUT"
        }
        .to_string()
    } else if is("name") {
        cfg.full_name
    } else if is("mohclass") {
        cfg.moh
    } else if is("channel") {
        // The name without its sequence part.
        logged
            .map(|c| match c.name.rfind('-') {
                Some(p) => c.name[..p].to_string(),
                None => c.name.clone(),
            })
            .unwrap_or_default()
    } else if is("fullchannel") {
        logged.map(|c| c.name.clone()).unwrap_or_default()
    } else {
        String::new()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_read_as_sscanf_u() {
        for (s, want) in [
            ("5", Some(5)),
            (" 7x", Some(7)),
            ("+3", Some(3)),
            ("-1", Some(u32::MAX)),
            ("x", None),
            ("", None),
        ] {
            assert_eq!(leading_uint(s), want, "{s:?}");
        }
    }
}
