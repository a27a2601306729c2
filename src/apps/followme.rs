//! FollowMe (Asterisk's `apps/app_followme.c`): calls a followme.conf
//! profile's numbers step by step, each through a Local channel in the
//! profile's context, while the caller hears music on hold; whoever
//! answers hears who calls and presses the take-call digits to be
//! connected, or the decline digits to pass the call on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dial::{self, Connected, Durations};
use super::playback::{self, Streamed};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, split_args};
use crate::channels::media::DigitReader;
use crate::channels::party::Party;
use crate::channels::{ChanState, Channel, Indication, causes};
use crate::config::views::followme::{Number, Profile};

pub fn apps() -> Vec<App> {
    vec![App {
        name: "FollowMe",
        run: Run::Wait(followme),
        synopsis: "Calls a followme.conf profile's numbers in turn until one takes the call.",
        syntax: "FollowMe(followmeid[,options])",
    }]
}

/// Options Asterism does not run: `a` records the caller's name
/// (`ast_play_and_record`) to announce it to each callee.
pub const UNSUPPORTED_OPTIONS: &str = "a";

fn followme<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move { followme_exec(ctx, &data).await })
}

/// Where a callee is in its prompts (`findme_user.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    /// Not answered yet.
    Calling,
    /// Hearing the no-recording prompt (or the caller's name).
    Name,
    /// Hearing the options, or expected to press a digit.
    Options,
}

/// One outgoing call (`struct findme_user`).
struct Callee {
    /// None once hung up (`clear_caller`).
    chan: Option<Arc<Channel>>,
    dialarg: String,
    /// The Local pair's `;2`, until the call is placed.
    two: Option<Arc<Channel>>,
    prompt: Prompt,
    /// The prompt file playing, by generation.
    playing: Option<u64>,
    /// Since when the callee owes a digit (`digts`).
    waiting_since: Option<Instant>,
    /// The digits pressed (`yn`, MAX_YN_STRING - 1 kept).
    digits: String,
    answered: bool,
    /// The connected line the number's channel offered, passed to the
    /// caller if it wins (`findme_user.connected`).
    connected: Option<Party>,
}

/// What one FollowMe runs with (`struct fm_args`).
struct Run_<'a> {
    ctx: &'a AppCtx,
    /// `I`: connected line updates from the numbers are ignored.
    ignore_connected: bool,
    profile: Profile,
    digit_timeout: Duration,
    /// `l`: the Local pairs never optimise themselves away.
    no_optimize: bool,
    /// `b`: a subroutine on each new callee channel before it is called.
    predial_callee: Option<String>,
}

async fn followme_exec(ctx: &AppCtx, data: &str) -> AppResult {
    let chan = &ctx.chan;
    let required = || {
        ctx.warning(
            crate::site!("app_followme.c", 1364, "app_exec"),
            "FollowMe requires an argument (followmeid)",
        )
    };
    if data.is_empty() {
        required();
        return Err(AppExit::Hangup);
    }
    if chan.lock().props.max_forwards <= 0 {
        ctx.warning(
            crate::site!("app_followme.c", 1373, "app_exec"),
            &format!(
                "Unable to execute FollowMe on channel {}. Max forwards exceeded",
                chan.name
            ),
        );
        return Err(AppExit::Hangup);
    }
    let args = split_args(data, ',');
    let id = args.first().map(String::as_str).unwrap_or("");
    if id.is_empty() {
        required();
        return Err(AppExit::Hangup);
    }
    let conf = ctx.sys.loaded().followme.clone();
    let Some(profile) = conf.profile(id).cloned() else {
        ctx.warning(
            crate::site!("app_followme.c", 1406, "app_exec"),
            &format!("Profile requested, {id}, not found in the configuration."),
        );
        return Ok(());
    };
    let options = dial::parse_options(args.get(1).map(String::as_str).unwrap_or(""));
    let opt = |c: char| options.contains_key(&c);
    let arg = |c: char| {
        options
            .get(&c)
            .and_then(|a| a.as_deref())
            .filter(|a| !a.is_empty())
    };
    let predial_callee = arg('b').map(|b| dial::expand_gosub_args(chan, &dial::sub_delims(b)));
    if let Some(b) = arg('B') {
        let _ = dial::exec_sub(&ctx.sys, chan, &dial::sub_delims(b)).await;
    }
    // `N` means nothing to a call already answered.
    let no_answer = opt('N') && chan.state() != ChanState::Up;
    if no_answer {
        chan.indicate(Indication::Ringing);
    } else {
        if chan.state() != ChanState::Up {
            let _ = super::builtins::answer_and_wait(ctx).await;
        }
        if opt('s') {
            let _ = playback::stream_file(ctx, &profile.settings.status_prompt, "").await;
        }
        if !opt('d') {
            match playback::stream_file(ctx, &profile.settings.plshold_prompt, "").await {
                Streamed::Done | Streamed::Digit(_) => {}
                Streamed::Failed | Streamed::Hangup => return Ok(()),
            }
        }
        let _ = super::moh::moh_start(ctx, Some(&profile.moh));
    }
    let mut run = Run_ {
        ctx,
        digit_timeout: Duration::from_millis(u64::try_from(conf.featuredigittimeout).unwrap_or(0)),
        no_optimize: opt('l'),
        ignore_connected: opt('I'),
        predial_callee,
        profile,
    };
    let Some((winner, connected)) = run.findmeexec().await else {
        if no_answer {
            let _ = super::builtins::answer_and_wait(ctx).await;
        } else {
            super::moh::moh_stop(ctx);
        }
        if opt('n') {
            let _ = playback::stream_file(ctx, &run.profile.settings.sorry_prompt, "").await;
        }
        return Ok(());
    };
    if !run.profile.settings.connecting_prompt.is_empty() {
        let callee = AppCtx {
            sys: ctx.sys.clone(),
            chan: winner.clone(),
        };
        let _ = playback::stream_file(&callee, &run.profile.settings.connecting_prompt, "").await;
    }
    // The winner's connected line, if it offered one, goes to the caller.
    if let Some(id) = connected {
        crate::channels::bridge::apply_connected_line(chan, id);
    }
    if no_answer {
        let _ = super::builtins::answer_and_wait(ctx).await;
    } else {
        super::moh::moh_stop(ctx);
    }
    // The callee may transfer (AST_FEATURE_REDIRECT); both may record
    // (AST_FEATURE_AUTOMON).
    let features = |c: char| matches!(c, 't' | 'w' | 'W');
    match dial::connect(ctx, winner, &features, None, None, None, Durations::Seconds).await {
        Connected::Done(res) => res,
        // ast_bridge_call's end hangs the caller up, whoever left first.
        Connected::Ended { .. } => Err(AppExit::Hangup),
    }
}

impl Run_<'_> {
    fn sys(&self) -> &Arc<crate::core::System> {
        &self.ctx.sys
    }

    fn caller(&self) -> &Arc<Channel> {
        &self.ctx.chan
    }

    fn verbose(&self, line: u32, function: &'static str, msg: &str) {
        self.ctx
            .verbose(3, crate::site!("app_followme.c", line, function), msg);
    }

    /// `findmeexec`: the steps in order until a callee takes the call.
    async fn findmeexec(&mut self) -> Option<(Arc<Channel>, Option<Party>)> {
        let numbers = self.profile.numbers.clone();
        let mut callees: Vec<Callee> = Vec::new();
        let mut winner = None;
        let mut step = 1;
        while !self.caller().check_hangup() {
            let Some(nm) = numbers.iter().find(|n| n.order == step) else {
                self.verbose(1052, "findmeexec", "No more steps left.");
                break;
            };
            step += 1;
            let mut new = self.request_step(nm).await;
            if let Some(sub) = &self.predial_callee {
                for c in &new {
                    if let Some(chan) = &c.chan {
                        let _ = dial::exec_sub(self.sys(), chan, sub).await;
                    }
                }
            }
            new.retain_mut(|c| self.place(c));
            if new.is_empty() {
                continue;
            }
            callees.append(&mut new);
            winner = self.wait_for_winner(&mut callees, nm).await;
            if winner.is_some() {
                break;
            }
            callees.retain(|c| c.chan.is_some());
        }
        let mut connected = None;
        for c in &mut callees {
            if let Some(chan) = c.chan.take() {
                if winner.as_ref().is_some_and(|w| Arc::ptr_eq(w, &chan)) {
                    connected = c.connected.take();
                } else {
                    crate::pbx::run::hangup_channel(self.sys(), &chan);
                }
            }
        }
        winner.map(|w| (w, connected))
    }

    /// The step's Local channels, one per `&`-separated number whose
    /// extension exists in the profile's context.
    async fn request_step(&self, nm: &Number) -> Vec<Callee> {
        let caller = self.caller();
        let context = &self.profile.context;
        let mut out = Vec::new();
        for number in nm.number.split('&') {
            let cid = caller.lock().caller.id.number().map(str::to_string);
            if !crate::pbx::find::exists(
                &self.sys().loaded().dialplan,
                context,
                number,
                1,
                cid.as_deref(),
            ) {
                self.ctx.error(
                    crate::site!("app_followme.c", 1083, "findmeexec"),
                    &format!("Extension '{number}@{context}' doesn't exist"),
                );
                continue;
            }
            let flag = if self.no_optimize { "/n" } else { "/m" };
            let dialarg = if context.is_empty() {
                format!("{number}{flag}")
            } else {
                format!("{number}@{context}{flag}")
            };
            let chan = match dial::request(self.sys(), caller, &format!("Local/{dialarg}")).await {
                Ok((chan, dial::Start::Local(two))) => {
                    // Placed later, after any `b` subroutine.
                    self.set_up(&chan);
                    (chan, two)
                }
                Ok((chan, _)) => {
                    crate::pbx::run::hangup_channel(self.sys(), &chan);
                    continue;
                }
                Err(cause) => {
                    self.ctx.warning(
                        crate::site!("app_followme.c", 1114, "findmeexec"),
                        &format!(
                            "Unable to allocate a channel for Local/{dialarg} cause: {}",
                            causes::text(cause)
                        ),
                    );
                    continue;
                }
            };
            out.push((chan, dialarg));
        }
        out.into_iter()
            .map(|((chan, two), dialarg)| Callee {
                chan: Some(chan),
                dialarg,
                two: Some(two),
                prompt: Prompt::Calling,
                playing: None,
                waiting_since: None,
                digits: String::new(),
                answered: false,
                connected: None,
            })
            .collect()
    }

    /// What app_followme gives a new outgoing channel from the caller:
    /// its caller id as connected line, inheritable variables, one hop
    /// less, language and music class.
    fn set_up(&self, leg: &Channel) {
        let caller = self.caller();
        caller.inherit_variables_to(leg);
        let (id, language, musicclass, hops) = {
            let d = caller.lock();
            (
                d.caller.id.clone(),
                d.language.clone(),
                d.musicclass.clone(),
                d.props.max_forwards,
            )
        };
        let mut d = leg.lock();
        d.connected.id = id;
        d.language = language;
        d.musicclass = musicclass;
        d.props.max_forwards = hops - 1;
    }

    /// `ast_call` and DialBegin; false when the call could not be placed.
    fn place(&self, c: &mut Callee) -> bool {
        let Some(chan) = c.chan.clone() else {
            return false;
        };
        self.verbose(1175, "findmeexec", &format!("calling Local/{}", c.dialarg));
        let two = c.two.take();
        let placed =
            two.is_some_and(|two| dial::place(self.sys(), &chan, dial::Start::Local(two)).is_ok());
        if !placed {
            self.verbose(1177, "findmeexec", "couldn't reach at this number.");
            return false;
        }
        dial::publish_dial(
            self.sys(),
            self.caller(),
            &chan,
            "DialBegin",
            format!("DialString: {}\r\n", c.dialarg),
        );
        true
    }

    /// Hangs a callee up (`clear_caller`).
    fn clear(&self, c: &mut Callee) {
        if let Some(chan) = c.chan.take() {
            crate::pbx::run::hangup_channel(self.sys(), &chan);
        }
    }

    /// Starts a prompt on a callee; a file that cannot play drops it.
    fn prompt(&self, c: &mut Callee, file: &str, line: u32) -> bool {
        let Some(chan) = c.chan.clone() else {
            return false;
        };
        let callee = AppCtx {
            sys: self.sys().clone(),
            chan,
        };
        c.playing = playback::start_file(&callee, file);
        if c.playing.is_none() {
            self.ctx.warning(
                crate::site!("app_followme.c", line, "wait_for_winner"),
                &format!("Unable to playback {file}."),
            );
            self.clear(c);
            return false;
        }
        true
    }

    /// The no-recording prompt to a callee that answered (or was silent
    /// too long); the caller's name is never recorded here (`a`).
    fn prompt_name(&self, c: &mut Callee, line: u32) {
        c.prompt = Prompt::Name;
        c.waiting_since = None;
        let file = self.profile.settings.norecording_prompt.clone();
        self.prompt(c, &file, line);
    }

    /// `wait_for_winner`: watches the callees until one takes the call,
    /// none is left, or the step's time is up.
    async fn wait_for_winner(&self, callees: &mut [Callee], nm: &Number) -> Option<Arc<Channel>> {
        let caller = self.caller().clone();
        let sys = self.sys().clone();
        let deadline = Instant::now() + Duration::from_secs(u64::try_from(nm.timeout).unwrap_or(0));
        let options = self.profile.settings.options_prompt.clone();
        loop {
            let mut live = 0;
            for c in callees.iter_mut() {
                let Some(chan) = c.chan.clone() else {
                    continue;
                };
                if c.prompt == Prompt::Options
                    && c.waiting_since
                        .is_some_and(|t| t.elapsed() > self.digit_timeout)
                {
                    self.verbose(
                        684,
                        "wait_for_winner",
                        &format!(
                            "<{}> We've been waiting for digits longer than we should have.",
                            chan.name
                        ),
                    );
                    if self.profile.settings.enable_callee_prompt {
                        self.prompt_name(c, 703);
                        if c.chan.is_none() {
                            continue;
                        }
                    } else {
                        c.waiting_since = Some(Instant::now());
                    }
                }
                if let Some(g) = c.playing
                    && !chan.source_playing(g)
                {
                    c.playing = None;
                    match c.prompt {
                        Prompt::Name => {
                            self.verbose(
                                740,
                                "wait_for_winner",
                                &format!(
                                    "<{}> Playback of name file appears to be done.",
                                    chan.name
                                ),
                            );
                            c.digits.clear();
                            if !self.prompt(c, &options, 733) {
                                continue;
                            }
                            c.prompt = Prompt::Options;
                            c.waiting_since = Some(Instant::now());
                        }
                        Prompt::Options => {
                            self.verbose(
                                752,
                                "wait_for_winner",
                                &format!(
                                    "<{}> Playback of the next step file appears to be done.",
                                    chan.name
                                ),
                            );
                            c.waiting_since = Some(Instant::now());
                        }
                        Prompt::Calling => {}
                    }
                }
                live += 1;
            }
            if live == 0 {
                self.verbose(
                    765,
                    "wait_for_winner",
                    "No live channels left for this step.",
                );
                return None;
            }
            if Instant::now() >= deadline {
                self.verbose(
                    776,
                    "wait_for_winner",
                    "We've hit our timeout for this step. Dropping unanswered calls and starting the next step.",
                );
                for c in callees.iter_mut().filter(|c| !c.answered) {
                    self.clear(c);
                }
                return None;
            }
            if caller.check_hangup() {
                // Reading a hung-up channel ends its generator first
                // (the music), then gives no frame.
                super::moh::moh_stop(self.ctx);
                self.verbose(
                    1007,
                    "wait_for_winner",
                    "The calling channel hungup. Need to drop everyone.",
                );
                return None;
            }
            for i in 0..callees.len() {
                let Some(chan) = callees[i].chan.clone() else {
                    continue;
                };
                // The number's progress, as its channel indicates it.
                let indication = chan.lock().pending_indication.take();
                let report = |line: u32, what: &str, status: Option<&str>| {
                    self.verbose(line, "wait_for_winner", &format!("{} {what}", chan.name));
                    if let Some(status) = status {
                        dial::publish_dial(
                            &sys,
                            &caller,
                            &chan,
                            "DialState",
                            format!("DialStatus: {status}\r\n"),
                        );
                    }
                };
                match indication {
                    Some(Indication::Ringing) => report(864, "is ringing", Some("RINGING")),
                    Some(Indication::Progress) => {
                        report(868, "is making progress", Some("PROGRESS"))
                    }
                    Some(Indication::Proceeding) => {
                        report(878, "is proceeding", Some("PROCEEDING"))
                    }
                    Some(busy @ (Indication::Busy | Indication::Congestion)) => {
                        let (line, what, status) = if busy == Indication::Busy {
                            (848, "is busy", "BUSY")
                        } else {
                            (856, "is circuit-busy", "CONGESTION")
                        };
                        report(line, what, None);
                        dial::dial_end(&sys, &caller, &chan, status);
                        self.clear(&mut callees[i]);
                        continue;
                    }
                    None => {}
                }
                if chan.check_hangup() {
                    self.verbose(
                        798,
                        "wait_for_winner",
                        &format!("{} received a hangup frame.", chan.name),
                    );
                    self.clear(&mut callees[i]);
                    continue;
                }
                if !callees[i].answered && chan.state() == ChanState::Up {
                    self.verbose(
                        815,
                        "wait_for_winner",
                        &format!("{} answered {}", chan.name, caller.name),
                    );
                    dial::dial_end(&sys, &caller, &chan, "ANSWER");
                    for other in callees.iter() {
                        if let Some(o) = &other.chan
                            && !Arc::ptr_eq(o, &chan)
                        {
                            dial::dial_end(&sys, &caller, o, "CANCEL");
                        }
                    }
                    let c = &mut callees[i];
                    c.answered = true;
                    chan.lock().hangupcause = causes::NORMAL_CLEARING;
                    caller.lock().hangupcause = causes::NORMAL_CLEARING;
                    if !self.profile.settings.enable_callee_prompt {
                        return Some(chan);
                    }
                    self.verbose(
                        823,
                        "wait_for_winner",
                        &format!(
                            "Starting playback of {}",
                            self.profile.settings.callfrom_prompt
                        ),
                    );
                    self.prompt_name(c, 837);
                    continue;
                }
                let offered = chan.lock().pending_connected.take();
                if let Some(id) = offered {
                    if self.ignore_connected {
                        self.verbose(
                            921,
                            "wait_for_winner",
                            &format!("Connected line update from {} prevented.", chan.name),
                        );
                    } else {
                        self.verbose(
                            941,
                            "wait_for_winner",
                            &format!(
                                "{} connected line has changed. Saving it until answer.",
                                chan.name
                            ),
                        );
                        callees[i].connected = Some(id);
                    }
                }
                // Digits are read whatever the state; only a callee
                // hearing (or past) the options acts on them.
                while let Some(d) = chan.take_digit(DigitReader::EndsOnly) {
                    let c = &mut callees[i];
                    if c.prompt != Prompt::Options {
                        continue;
                    }
                    if c.playing.take().is_some() {
                        chan.stop_source();
                    }
                    c.waiting_since = Some(Instant::now());
                    if c.digits.len() >= 19 {
                        c.digits.remove(0);
                    }
                    c.digits.push(d);
                    if c.digits.ends_with(self.profile.settings.takecall.as_str()) {
                        return Some(chan);
                    }
                    if c.digits
                        .ends_with(self.profile.settings.declinecall.as_str())
                    {
                        self.clear(c);
                        break;
                    }
                }
            }
            // ast_waitfor_n on the caller and every number: woken by
            // whichever has news, at the latest after a poll's time.
            let mut watched = vec![caller.clone()];
            watched.extend(callees.iter().filter_map(|c| c.chan.clone()));
            let _ = tokio::time::timeout(dial::POLL, crate::channels::any_woken(&watched)).await;
        }
    }
}
