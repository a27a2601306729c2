//! ChanSpy and ExtenSpy (Asterisk's `apps/app_chanspy.c`): listen to
//! other channels' calls, both directions mixed, picking them by name
//! prefix (ChanSpy) or by the extension they are at (ExtenSpy); optionally
//! whispering to the spied channel, or barging in to both parties.
//!
//! The spy is an audiohook on the spied channel
//! ([`crate::channels::audiohook`]); a tick of the shared media clock
//! stands for Asterisk's spy generator and sends what it hears to the
//! spyer a frame at a time. What the spyer says goes to whisper hooks
//! through its tap.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::Duration;

use super::builtins::{answer_and_wait, atoi};
use super::playback::{Streamed, stream_file};
use super::say::{DIGIT_ANY, say_files};
use super::{App, AppCtx, AppExit, AppFuture, AppResult, Run, separate_args, split_args};
use crate::channels::audiohook::{Spy, Status, Whisper};
use crate::channels::{ChanState, Channel};
use crate::core::events::EventKind;
use crate::media::AudioFrame;
use crate::media::clock::Tick;
use crate::media::file::SoundPaths;
use crate::media::say::{self, SayCase};

pub fn apps() -> Vec<App> {
    vec![
        App {
            name: "ChanSpy",
            run: Run::Wait(chanspy),
            synopsis: "Listens to the audio of other channels, picked by name.",
            syntax: "ChanSpy([chanprefix][,options])",
        },
        App {
            name: "ExtenSpy",
            run: Run::Wait(extenspy),
            synopsis: "Listens to the audio of channels at an extension.",
            syntax: "ExtenSpy(exten[@context][,options])",
        },
    ]
}

/// The option letters app_chanspy knows.
const KNOWN_OPTIONS: &str = "bBcdDeEglnNoqrsSuvwWxX";
/// The audiohooks' source name.
const SOURCE: &str = "ChanSpy";
/// `NUM_SPYGROUPS`.
const NUM_SPYGROUPS: usize = 128;
/// How often the spying loop looks at the spied channel and the barge
/// hook between digits (a frame time, as the spyer's reads come).
const POLL: Duration = Duration::from_millis(20);

/// Spying modes the spyer can switch between with `d` (4, 5, 6).
const MODE_LISTEN: u8 = 0;
const MODE_WHISPER: u8 = 1;
const MODE_BARGE: u8 = 2;

/// Channels running ChanSpy or ExtenSpy (`AST_FLAG_SPYING`): nobody spies
/// on a spy.
static SPYING: LazyLock<Mutex<Vec<Weak<Channel>>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn is_spying(chan: &Arc<Channel>) -> bool {
    crate::core::lock(&SPYING)
        .iter()
        .any(|w| w.upgrade().is_some_and(|c| Arc::ptr_eq(&c, chan)))
}

fn set_spying(chan: &Arc<Channel>, on: bool) {
    let mut l = crate::core::lock(&SPYING);
    l.retain(|w| w.upgrade().is_some_and(|c| !Arc::ptr_eq(&c, chan)));
    if on {
        l.push(Arc::downgrade(chan));
    }
}

/// Which channels are candidates.
enum Select {
    /// Names starting with this (all channels when empty).
    Prefix(String),
    /// One channel by name or uniqueid (`u`).
    Unique(String),
    /// Channels at `exten` of `context` (ExtenSpy).
    Exten { exten: String, context: String },
}

/// DTMF roles (`spy_dtmf_options`).
struct Digits {
    exit: Option<char>,
    cycle: char,
    volume: char,
}

/// Everything a run is given, once parsed.
struct Spec {
    opts: super::options::Options,
    select: Select,
    /// ChanSpy's prefix (for `#`'s channel number); none for ExtenSpy.
    prefix: Option<String>,
    group: Option<String>,
    enforced: Option<String>,
    mailbox: Option<String>,
    name_context: Option<String>,
    volume: i32,
    digits: Digits,
    record: Option<std::fs::File>,
}

fn chanspy<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = split_args(&data, ',');
        let arg = |i: usize| args.get(i).map(String::as_str);
        // `all` is the same as no prefix.
        let spec = match arg(0) {
            Some("all") | None => String::new(),
            Some(s) => s.to_string(),
        };
        let mut parsed = parse_options(ctx, arg(1));
        parsed.select = if spec.is_empty() {
            Select::Prefix(String::new())
        } else if parsed.opts.has('u') {
            Select::Unique(spec.clone())
        } else {
            Select::Prefix(spec.clone())
        };
        parsed.prefix = (!spec.is_empty()).then_some(spec);
        parsed.enforced = parsed
            .opts
            .has('e')
            .then(|| parsed.opts.arg('e').unwrap_or("").to_string());
        let exit_on_hangup = parsed.opts.has('E');
        let res = common_exec(ctx, parsed).await;
        if exit_on_hangup {
            ctx.verbose(
                3,
                crate::site!("app_chanspy.c", 1411, "chanspy_exec"),
                "Stopped spying due to the spied-on channel hanging up.",
            );
        }
        res
    })
}

fn extenspy<'a>(ctx: &'a AppCtx, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = split_args(&data, ',');
        let arg = |i: usize| args.get(i).map(String::as_str);
        let (exten, context) = match arg(0).unwrap_or("").split_once('@') {
            Some((e, c)) => (Some(e.to_string()), c.to_string()),
            None => (None, arg(0).unwrap_or("").to_string()),
        };
        let context = if context.is_empty() {
            ctx.chan.lock().context.clone()
        } else {
            context
        };
        let mut parsed = parse_options(ctx, arg(1));
        // Without an extension every channel is a candidate.
        parsed.select = match exten.filter(|e| !e.is_empty()) {
            Some(exten) => Select::Exten { exten, context },
            None => Select::Prefix(String::new()),
        };
        common_exec(ctx, parsed).await
    })
}

/// The options both applications share (`chanspy_exec`/`extenspy_exec`
/// up to `common_exec`); a string that did not parse sets none.
fn parse_options(ctx: &AppCtx, optstr: Option<&str>) -> Spec {
    let opts = match optstr {
        Some(o) => super::options::parse(&ctx.sys.pbx.logger, o, KNOWN_OPTIONS).unwrap_or_default(),
        None => super::options::Options::default(),
    };
    let mut digits = Digits {
        exit: None,
        cycle: '*',
        volume: '#',
    };
    let dtmf = |c: char, line: u32| -> Option<char> {
        let first = opts.arg(c)?.chars().next();
        match first.filter(|d| "0123456789*#".contains(*d)) {
            Some(d) => Some(d),
            None => {
                ctx.notice(
                    crate::site!("app_chanspy.c", line, "chanspy_exec"),
                    &format!("Argument for option '{c}' must be a valid DTMF digit."),
                );
                None
            }
        }
    };
    if opts.has('x') {
        digits.exit = dtmf('x', 1342);
    }
    if opts.has('c')
        && let Some(d) = dtmf('c', 1351)
    {
        digits.cycle = d;
    }
    let mut volume = 0;
    if let Some(v) = opts.arg('v') {
        match v.trim().parse::<i32>() {
            Ok(n) if (-4..=4).contains(&n) => volume = n,
            _ => ctx.notice(
                crate::site!("app_chanspy.c", 1359, "chanspy_exec"),
                "Volume factor must be a number between -4 and 4",
            ),
        }
    }
    let (mut mailbox, mut name_context) = (None, None);
    if let Some(n) = opts.arg('n').filter(|n| !n.is_empty()) {
        match n.split_once('@') {
            Some((m, c)) => {
                mailbox = Some(m.to_string());
                name_context = Some(c.to_string());
            }
            None => mailbox = Some(n.to_string()),
        }
    }
    let group = opts
        .has('g')
        .then(|| opts.arg('g').unwrap_or("").to_string());
    let record = opts.has('r').then(|| {
        let base = match opts.arg('r') {
            Some(b) if !b.is_empty() => b,
            _ => "chanspy",
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let path = ctx
            .sys
            .conf
            .dirs
            .monitor()
            .join(format!("{base}.{now}.raw"));
        match std::fs::File::create(&path) {
            Ok(f) => Some(f),
            Err(_) => {
                ctx.warning(
                    crate::site!("app_chanspy.c", 1397, "chanspy_exec"),
                    &format!("Cannot open '{}' for recording", path.display()),
                );
                None
            }
        }
    });
    Spec {
        opts,
        select: Select::Prefix(String::new()),
        prefix: None,
        group,
        enforced: None,
        mailbox,
        name_context,
        volume,
        digits,
        record: record.flatten(),
    }
}

/// The candidates in the order Asterisk's channel iterators walk them;
/// `None` when `u` names no channel.
fn candidates(ctx: &AppCtx, select: &Select) -> Option<Vec<Arc<Channel>>> {
    let channels = &ctx.sys.pbx.channels;
    let all = channels.in_container_order();
    let picked = match select {
        Select::Prefix(p) => {
            let p = p.to_ascii_lowercase();
            all.into_iter()
                .filter(|c| c.name.to_ascii_lowercase().starts_with(&p))
                .collect()
        }
        Select::Unique(id) => {
            let found = channels.by_name(id).or_else(|| channels.by_uniqueid(id))?;
            all.into_iter()
                .filter(|c| c.name.eq_ignore_ascii_case(&found.name))
                .collect()
        }
        Select::Exten { exten, context } => all
            .into_iter()
            .filter(|c| {
                let d = c.lock();
                d.context.eq_ignore_ascii_case(context) && d.exten.eq_ignore_ascii_case(exten)
            })
            .collect(),
    };
    Some(picked)
}

/// How `channel_spy` ended (its `running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spied {
    /// On to the next channel (cycle digit, the spied channel gone).
    Next,
    /// The spyer hung up.
    Hangup,
    /// Leave the application (exit digit, `X`).
    Exit,
    /// `#` after digits: the channel numbered so.
    Number(i64),
}

/// `common_exec`: the rounds of beep, candidates and spying.
async fn common_exec(ctx: &AppCtx, mut spec: Spec) -> AppResult {
    let opts = spec.opts.clone();
    let exitcontext = opts.has('X').then(|| {
        ctx.var("SPY_EXIT_CONTEXT")
            .or_else(|| ctx.var("MACRO_CONTEXT").filter(|m| !m.is_empty()))
            .unwrap_or_else(|| ctx.chan.lock().context.clone())
    });
    if !opts.has('N') && ctx.chan.state() != ChanState::Up {
        answer_and_wait(ctx).await?;
    }
    set_spying(&ctx.chan, true);
    let result = spy_rounds(ctx, &mut spec, exitcontext.as_deref()).await;
    set_spying(&ctx.chan, false);
    match result {
        0 => Ok(()),
        r if r > 0 => match u32::try_from(r).ok().and_then(char::from_u32) {
            Some(d) if DIGIT_ANY.contains(d) => Err(AppExit::Digit(d)),
            _ => Err(AppExit::Hangup),
        },
        _ => Err(AppExit::Hangup),
    }
}

/// The loop of `common_exec`; returns its `res`.
async fn spy_rounds(ctx: &AppCtx, spec: &mut Spec, exitcontext: Option<&str>) -> i64 {
    let opts = spec.opts.clone();
    let mut volume = spec.volume;
    let mut num_spied_upon = 1;
    let mut res: i64;
    loop {
        if !opts.has('q') && num_spied_upon > 0 {
            // A hangup here is seen by the wait for a digit below.
            if stream_file(ctx, "beep", "").await == Streamed::Failed {
                return -1;
            }
        }
        let Some(list) = candidates(ctx, &spec.select) else {
            return -1;
        };
        match ctx.chan.wait_digit(Duration::from_millis(100)).await {
            Err(_) => return -1,
            Ok(d) => {
                res = d.map_or(0, |d| i64::from(u32::from(d)));
                if let (Some(ec), Some(d)) = (exitcontext, d)
                    && ctx.goto_if_exists(ec, &d.to_string())
                {
                    return res;
                }
            }
        }
        num_spied_upon = 0;
        let mut iter = list
            .into_iter()
            .filter(|c| !Arc::ptr_eq(c, &ctx.chan) && !c.name.starts_with("DAHDI/pseudo"));
        let mut prev: Option<Arc<Channel>> = None;
        let mut next: Option<Arc<Channel>> = None;
        loop {
            let Some(cand) = next.take().or_else(|| iter.next()) else {
                break;
            };
            if prev.as_ref().is_some_and(|p| Arc::ptr_eq(p, &cand)) {
                break;
            }
            prev = Some(cand.clone());
            if ctx.chan.check_hangup() {
                break;
            }
            if opts.has('b') && cand.bridge().is_none() {
                continue;
            }
            if cand.check_hangup() || cand.is_dead() || is_spying(&cand) {
                continue;
            }
            if let Some(mygroup) = &spec.group
                && !in_group(mygroup, &cand)
            {
                continue;
            }
            if let Some(enforced) = &spec.enforced
                && !enforced_allows(enforced, &cand.name)
            {
                continue;
            }
            if !opts.has('q') && !announce(ctx, spec, &cand.name).await {
                break;
            }
            let spied = channel_spy(ctx, &cand, &mut volume, spec, exitcontext).await;
            num_spied_upon += 1;
            match spied {
                Spied::Hangup => return -1,
                Spied::Exit => return 0,
                Spied::Number(n) if n > 1 => {
                    res = n;
                    let Some(prefix) = &spec.prefix else {
                        continue;
                    };
                    if matches!(spec.select, Select::Unique(_)) {
                        continue;
                    }
                    let wanted = format!("{prefix}/{n}").to_ascii_lowercase();
                    let found = ctx
                        .sys
                        .pbx
                        .channels
                        .in_container_order()
                        .into_iter()
                        .find(|c| c.name.to_ascii_lowercase().starts_with(&wanted));
                    next = match found {
                        Some(c) => Some(c),
                        // Stays on this channel while it lives.
                        None => (!cand.check_hangup()).then(|| cand.clone()),
                    };
                }
                Spied::Number(n) => {
                    res = n;
                    if n == 0 && opts.has('E') {
                        return 0;
                    }
                }
                Spied::Next => {
                    res = 0;
                    if opts.has('E') {
                        return 0;
                    }
                }
            }
        }
        if res == -1 || ctx.chan.check_hangup() {
            return res;
        }
        if opts.has('S') {
            return res;
        }
    }
}

/// Whether the channel's SPYGROUP shares a group with `mygroup` (both
/// `:`-separated).
fn in_group(mygroup: &str, cand: &Channel) -> bool {
    let theirs = cand.get_var("SPYGROUP").unwrap_or_default();
    if theirs.is_empty() {
        return false;
    }
    let mine = separate_args(mygroup, ':', NUM_SPYGROUPS);
    let theirs = separate_args(&theirs, ':', NUM_SPYGROUPS);
    mine.iter().any(|m| theirs.contains(m))
}

/// `e(ext:ext)`: the channel's name up to its `-` is one of the list
/// (compared without case).
fn enforced_allows(enforced: &str, name: &str) -> bool {
    let buffer = format!(":{enforced}:").to_ascii_lowercase();
    let ext = match name.split_once('-') {
        Some((head, _)) => format!(":{head}:"),
        None => format!(":{name}"),
    };
    buffer.contains(&ext.to_ascii_lowercase())
}

/// Says whom the spyer is about to hear: the name recorded for the
/// mailbox (`n`), else the technology (`spy-sip`, spelled when there is
/// no such prompt; not with `s`) and the number after the `/`. False
/// when playing the technology's prompt failed or was interrupted.
async fn announce(ctx: &AppCtx, spec: &Spec, chan_name: &str) -> bool {
    let (tech, rest) = match chan_name.split_once('/') {
        Some((t, r)) => (t.to_ascii_lowercase(), Some(r)),
        None => (chan_name.to_string(), None),
    };
    let peer_name = format!("spy-{tech}");
    // The part after the `/` up to its `-`.
    let number = rest.map(|r| r.split('-').next().unwrap_or(r));
    let mut said_name = false;
    if spec.opts.has('n') {
        let context = spec.name_context.as_deref().unwrap_or("default");
        let context = if context.is_empty() {
            "default"
        } else {
            context
        };
        let mailbox = spec.mailbox.as_deref().filter(|m| !m.is_empty()).or(number);
        if let Some(mailbox) = mailbox {
            said_name = sayname(ctx, mailbox, context).await;
        }
    }
    if said_name {
        return true;
    }
    let paths = SoundPaths::from_conf(&ctx.sys.conf);
    let lang = ctx.chan.lock().language.clone();
    if !spec.opts.has('s') {
        if paths.exists(&peer_name, &lang) {
            if stream_file(ctx, &peer_name, "").await != Streamed::Done {
                return false;
            }
        } else {
            let files = say::character_files(&peer_name, SayCase::None, |f| paths.exists(f, &lang));
            say_files(ctx, &files, "").await;
        }
    }
    let num = number.map_or(0, atoi);
    if num != 0 {
        let files = say::digit_files(&num.to_string(), |f| paths.exists(f, &lang));
        say_files(ctx, &files, "").await;
    }
    true
}

/// `ast_app_sayname`: the mailbox's recorded name, if it has one; false
/// when there is none or it did not play to the end.
async fn sayname(ctx: &AppCtx, mailbox: &str, context: &str) -> bool {
    let greet = ctx
        .sys
        .conf
        .dirs
        .spool
        .join("voicemail")
        .join(context)
        .join(mailbox)
        .join("greet");
    let greet = greet.display().to_string();
    if !SoundPaths::from_conf(&ctx.sys.conf).exists(&greet, "") {
        return false;
    }
    matches!(
        stream_file(ctx, &greet, DIGIT_ANY).await,
        Streamed::Done | Streamed::Digit(_)
    )
}

/// Stands for the spyer's generator: each frame time it takes a frame of
/// what the spy heard (or silence, for `W`) and sends it to the spyer
/// (`spy_generate`), copying it to the recording.
/// What the spyer hears of the spied channel (`spy_generate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Both directions mixed.
    Mixed,
    /// `o`: only what the spied channel said.
    ReadOnly,
    /// `D`: both directions as one stereo stream, what the channel said
    /// on the left, what it was sent on the right, a missing side silent
    /// (a frame of twice the samples: all of it recorded, its first half
    /// sent).
    Interleaved,
}

impl Output {
    fn of(opts: &super::options::Options) -> Output {
        if opts.has('o') {
            Output::ReadOnly
        } else if opts.has('D') {
            Output::Interleaved
        } else {
            Output::Mixed
        }
    }

    /// What the spyer is sent of what the spy took, if anything: with
    /// `D` a frame every time, silent when the spy had nothing.
    fn samples(self, f: Option<crate::channels::audiohook::SpyFrame>) -> Option<Vec<i16>> {
        match self {
            Output::Mixed => f.map(|f| f.mixed),
            Output::ReadOnly => f.and_then(|f| f.read),
            Output::Interleaved => {
                const SILENCE: [i16; crate::media::FRAME_SAMPLES] =
                    [0; crate::media::FRAME_SAMPLES];
                let (read, write) = f.map_or((None, None), |f| (f.read, f.write));
                let read = read.as_deref().unwrap_or(&SILENCE);
                let write = write.as_deref().unwrap_or(&SILENCE);
                Some(read.iter().zip(write).flat_map(|(&r, &w)| [r, w]).collect())
            }
        }
    }
}

struct SpyPump {
    spyer: Weak<Channel>,
    spy: Arc<Spy>,
    /// `W`: silence instead (`ast_channel_start_silence_generator`).
    silence: bool,
    /// What the spyer is sent of the two directions.
    output: Output,
    record: Option<std::fs::File>,
    running: Arc<AtomicBool>,
}

impl Tick for SpyPump {
    fn tick(&mut self, _now: std::time::Instant) {
        if !self.running.load(Ordering::Relaxed) {
            return;
        }
        let Some(chan) = self.spyer.upgrade() else {
            self.running.store(false, Ordering::Relaxed);
            return;
        };
        let samples = if self.silence {
            Some(vec![0; crate::media::FRAME_SAMPLES])
        } else {
            self.output
                .samples(self.spy.take(crate::media::FRAME_SAMPLES))
        };
        let Some(samples) = samples else {
            return;
        };
        if !self.silence
            && let Some(file) = self.record.as_mut()
        {
            let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_ne_bytes()).collect();
            if let Err(err) = file.write_all(&bytes) {
                tracing::warn!("write() failed: {err}");
            }
        }
        // The interleaved frame claims one frame's samples though it holds
        // two: Asterisk's translation to the spyer's codec takes that many,
        // the first half of the pairs.
        let mut samples = samples;
        samples.truncate(crate::media::FRAME_SAMPLES);
        chan.write_frame(&AudioFrame::Slin(samples));
    }

    fn is_active(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }
}

/// The whisper hooks the spyer's voice goes to.
struct Whispers {
    mode: AtomicU8,
    spyee: Option<Arc<Whisper>>,
    /// The spied channel's bridge peer's, once attached (`B`).
    peer: Mutex<Option<Arc<Whisper>>>,
    /// Voice came from the spyer (barge attaches on the first).
    voice_seen: AtomicBool,
}

impl Whispers {
    fn hear(&self, frame: &AudioFrame) {
        self.voice_seen.store(true, Ordering::Relaxed);
        match self.mode.load(Ordering::Relaxed) {
            MODE_BARGE => {
                if let Some(w) = &self.spyee {
                    w.feed(frame);
                }
                if let Some(w) = crate::core::lock(&self.peer).as_ref() {
                    w.feed(frame);
                }
            }
            MODE_WHISPER => {
                if let Some(w) = &self.spyee {
                    w.feed(frame);
                }
            }
            _ => {}
        }
    }
}

/// `channel_spy`: listens to `spyee` until a digit, a hangup or its end.
async fn channel_spy(
    ctx: &AppCtx,
    spyee: &Arc<Channel>,
    volume: &mut i32,
    spec: &mut Spec,
    exitcontext: Option<&str>,
) -> Spied {
    let opts = spec.opts.clone();
    if ctx.chan.check_hangup() || spyee.check_hangup() || spyee.is_dead() {
        return Spied::Next;
    }
    let name = spyee.name.clone();
    let spyer_name = ctx.chan.name.clone();
    ctx.verbose(
        2,
        crate::site!("app_chanspy.c", 763, "channel_spy"),
        &format!("Spying on channel {name}"),
    );
    ctx.chan.emit(EventKind::ChanSpyStart {
        spyee: spyee.published_snapshot(),
    });
    let attaching = |line: u32, func: &'static str| {
        ctx.verbose(
            3,
            &crate::core::logger::Site {
                file: "app_chanspy.c",
                line,
                function: func,
            },
            &format!("Attaching spy channel {spyer_name} to {name}"),
        );
    };
    attaching(586, "start_spying");
    let spy = Spy::new(SOURCE, *volume, *volume);
    if !opts.has('l') {
        spy.small_queue();
    }
    if opts.has('o') {
        spy.set_mute(false, true, true);
    }
    spyee.attach_spy(spy.clone());
    let wants_whisper = opts.has('w') || opts.has('W') || opts.has('B') || opts.has('d');
    let whisper = wants_whisper.then(|| {
        attaching(610, "start_whispering");
        let w = Whisper::new(SOURCE, !opts.has('l'));
        spyee.attach_whisper(w.clone());
        w
    });
    let mode = if opts.has('B') {
        MODE_BARGE
    } else if opts.has('w') || opts.has('W') {
        MODE_WHISPER
    } else {
        MODE_LISTEN
    };
    let whispers = Arc::new(Whispers {
        mode: AtomicU8::new(mode),
        spyee: whisper.clone(),
        peer: Mutex::new(None),
        voice_seen: AtomicBool::new(false),
    });
    {
        let w = whispers.clone();
        ctx.chan
            .set_tap(Some(Box::new(move |f: &AudioFrame| w.hear(f))));
    }
    let running = Arc::new(AtomicBool::new(true));
    crate::channels::media::register_tick(Box::new(SpyPump {
        spyer: Arc::downgrade(&ctx.chan),
        spy: spy.clone(),
        silence: opts.has('W'),
        output: Output::of(&opts),
        record: spec.record.as_ref().and_then(|f| f.try_clone().ok()),
        running: running.clone(),
    }));

    let mut inp = [0u8; 24];
    let mut x = 0;
    let mut bridge_connected = false;
    let mut peer_chan: Option<Arc<Channel>> = None;
    let outcome = loop {
        if spy.status() != Status::Running || spyee.is_dead() {
            break Spied::Next;
        }
        if whispers.mode.load(Ordering::Relaxed) == MODE_BARGE
            && !bridge_connected
            && whispers.voice_seen.load(Ordering::Relaxed)
            && let Some(peer) = spyee.bridge_peer()
        {
            attaching(610, "start_whispering");
            let w = Whisper::new(SOURCE, !opts.has('l'));
            peer.attach_whisper(w.clone());
            *crate::core::lock(&whispers.peer) = Some(w);
            peer_chan = Some(peer);
            bridge_connected = true;
        }
        let digit = match ctx.chan.wait_digit(POLL).await {
            Err(_) => break Spied::Hangup,
            Ok(None) => continue,
            Ok(Some(d)) => d,
        };
        if x == inp.len() {
            x = 0;
        }
        if let Some(ec) = exitcontext {
            if ctx.goto_if_exists(ec, &digit.to_string()) {
                ctx.set_var("SPY_CHANNEL", Some(&name));
                break Spied::Exit;
            }
        } else if digit.is_ascii_digit() {
            if opts.has('d') {
                match digit {
                    '4' => whispers.mode.store(MODE_LISTEN, Ordering::Relaxed),
                    '5' => whispers.mode.store(MODE_WHISPER, Ordering::Relaxed),
                    '6' => whispers.mode.store(MODE_BARGE, Ordering::Relaxed),
                    _ => {}
                }
            } else {
                inp[x] = digit as u8;
                x += 1;
            }
        }
        if digit == spec.digits.cycle {
            break Spied::Next;
        } else if Some(digit) == spec.digits.exit {
            break Spied::Exit;
        } else if digit == spec.digits.volume {
            let typed: String = inp
                .iter()
                .take_while(|b| **b != 0)
                .map(|b| char::from(*b))
                .collect();
            if !typed.is_empty() {
                break Spied::Number(atoi(&typed));
            }
            *volume += 1;
            if *volume > 4 {
                *volume = -4;
            }
            ctx.verbose(
                3,
                crate::site!("app_chanspy.c", 908, "channel_spy"),
                &format!("Setting spy volume on {spyer_name} to {}", *volume),
            );
            spy.set_volume(*volume);
        }
    };

    running.store(false, Ordering::Relaxed);
    ctx.chan.set_tap(None);
    if let Some(w) = &whisper {
        spyee.detach_whisper(w);
    }
    let peer_whisper = crate::core::lock(&whispers.peer).take();
    if let (Some(peer), Some(w)) = (peer_chan, peer_whisper) {
        peer.detach_whisper(&w);
    }
    spyee.detach_spy(&spy);
    ctx.verbose(
        2,
        crate::site!("app_chanspy.c", 942, "channel_spy"),
        &format!("Done Spying on channel {name}"),
    );
    // Asterisk detaches a hanging-up channel's hooks before it drops the
    // channel's snapshot from its cache, so the spied channel is shown
    // even when its hangup ended the spying.
    ctx.chan.emit(EventKind::ChanSpyStop {
        spyee: Some(spyee.published_snapshot()),
    });
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforced_lists_match_the_name_up_to_its_dash() {
        assert!(enforced_allows("SIP/1000:SIP/1001", "SIP/1001-00000002"));
        assert!(enforced_allows("sip/1000", "SIP/1000-00000002"));
        assert!(!enforced_allows("SIP/100", "SIP/1000-00000002"));
        // A name without a dash matches a list item's beginning.
        assert!(enforced_allows("Local/x", "Local/x"));
    }

    #[test]
    fn check_config_names_no_option() {
        assert!(crate::apps::unsupported_uses("ChanSpy", "SIP/1000,qDg(x)e(SIP/1)").is_empty());
        assert!(crate::apps::unsupported_uses("ExtenSpy", "1001@internal,bBdEqwWx(5)X").is_empty());
    }

    fn frame(
        read: Option<i16>,
        write: Option<i16>,
    ) -> Option<crate::channels::audiohook::SpyFrame> {
        let n = crate::media::FRAME_SAMPLES;
        let side = |v: Option<i16>| v.map(|v| vec![v; n]);
        let mixed = vec![read.unwrap_or(0) + write.unwrap_or(0); n];
        Some(crate::channels::audiohook::SpyFrame {
            mixed,
            read: side(read),
            write: side(write),
        })
    }

    fn pairs(left: i16, right: i16) -> Option<Vec<i16>> {
        Some([left, right].repeat(crate::media::FRAME_SAMPLES))
    }

    #[test]
    fn the_spyer_hears_mixed_read_only_or_interleaved() {
        let n = crate::media::FRAME_SAMPLES;
        assert_eq!(
            Output::Mixed.samples(frame(Some(1), Some(2))),
            Some(vec![3; n])
        );
        assert_eq!(Output::Mixed.samples(None), None);
        assert_eq!(
            Output::ReadOnly.samples(frame(Some(1), Some(2))),
            Some(vec![1; n])
        );
        assert_eq!(Output::ReadOnly.samples(frame(None, Some(2))), None);
        assert_eq!(
            Output::Interleaved.samples(frame(Some(1), Some(2))),
            pairs(1, 2)
        );
        // A side with nothing is silence in its half; nothing at all is
        // a silent frame still.
        assert_eq!(
            Output::Interleaved.samples(frame(None, Some(2))),
            pairs(0, 2)
        );
        assert_eq!(Output::Interleaved.samples(None), pairs(0, 0));
        // `o` wins over `D`, as the branches of spy_generate go.
        let logger =
            crate::core::logger::Logger::new(&Default::default(), &std::env::temp_dir(), 0);
        let opts =
            |s: &str| crate::apps::options::parse(&logger, s, KNOWN_OPTIONS).unwrap_or_default();
        assert_eq!(Output::of(&opts("oD")), Output::ReadOnly);
        assert_eq!(Output::of(&opts("D")), Output::Interleaved);
        assert_eq!(Output::of(&opts("q")), Output::Mixed);
    }
}
