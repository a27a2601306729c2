//! `queues.conf` (app_queue): `[general]` and one section per queue with
//! its static `member =>` lines.

use std::time::SystemTime;

use super::values::{atoi_i32, set_option};
use super::{View, bad_value, check_known, line_note, section_note};
use crate::config::{Category, Config, Diagnostic, Origin, Variable, is_false, is_true};

const GENERAL_OPTIONS: &[&str] = &[
    "persistentmembers",
    "autofill",
    "monitor-type",
    "shared_lastcall",
    "negative_penalty_invalid",
    "log_membername_as_agent",
    "force_longest_waiting_caller",
    "log_unpause_on_reason_change",
    "log-caller-id-name",
    "realtime_rules",
];

/// `enum empty_conditions`.
pub mod empty {
    pub const PENALTY: u32 = 1 << 0;
    pub const PAUSED: u32 = 1 << 1;
    pub const INUSE: u32 = 1 << 2;
    pub const RINGING: u32 = 1 << 3;
    pub const UNAVAILABLE: u32 = 1 << 4;
    pub const INVALID: u32 = 1 << 5;
    pub const UNKNOWN: u32 = 1 << 6;
    pub const WRAPUP: u32 = 1 << 7;
}

/// `parse_empty_options`: a comma list of conditions, or the yes/no,
/// `loose` and `strict` shorthands. None for an unknown word.
pub fn parse_empty(value: &str, joinempty: bool) -> Option<u32> {
    let mut out = 0;
    for word in value.split(',') {
        let w = word.trim().to_ascii_lowercase();
        match w.as_str() {
            "paused" => out |= empty::PAUSED,
            "penalty" => out |= empty::PENALTY,
            "inuse" => out |= empty::INUSE,
            "ringing" => out |= empty::RINGING,
            "invalid" => out |= empty::INVALID,
            "wrapup" => out |= empty::WRAPUP,
            "unavailable" => out |= empty::UNAVAILABLE,
            "unknown" => out |= empty::UNKNOWN,
            "loose" => out = empty::PENALTY | empty::INVALID,
            "strict" => out = empty::PENALTY | empty::INVALID | empty::PAUSED | empty::UNAVAILABLE,
            _ if (is_false(&w) && joinempty) || (is_true(&w) && !joinempty) => {
                out = empty::PENALTY | empty::INVALID | empty::PAUSED
            }
            _ if is_false(&w) || is_true(&w) => out = 0,
            _ => return None,
        }
    }
    Some(out)
}

/// `ast_copy_string` into a buffer of `max + 1`: at most `max` bytes,
/// cut at a character boundary.
fn at_most(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Values that leave an unbuilt `[general]` option off.
fn is_off(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || v == "0" || is_false(v)
}

/// Every per-queue option `queue_set_param` understands, plus `member`.
const QUEUE_OPTIONS: &[&str] = &[
    "member",
    "musicclass",
    "music",
    "musiconhold",
    "announce",
    "context",
    "timeout",
    "ringinuse",
    "setinterfacevar",
    "setqueuevar",
    "setqueueentryvar",
    "monitor-format",
    "membermacro",
    "membergosub",
    "queue-youarenext",
    "queue-thereare",
    "queue-callswaiting",
    "queue-quantity1",
    "queue-quantity2",
    "queue-holdtime",
    "queue-minutes",
    "queue-minute",
    "queue-seconds",
    "queue-thankyou",
    "queue-callerannounce",
    "queue-reporthold",
    "announce-frequency",
    "announce-to-first-user",
    "min-announce-frequency",
    "announce-round-seconds",
    "announce-holdtime",
    "announce-position",
    "announce-position-only-up",
    "announce-position-limit",
    "periodic-announce",
    "periodic-announce-startdelay",
    "periodic-announce-frequency",
    "relative-periodic-announce",
    "random-periodic-announce",
    "retry",
    "wrapuptime",
    "penaltymemberslimit",
    "autofill",
    "monitor-type",
    "autopause",
    "autopausedelay",
    "autopausebusy",
    "autopauseunavail",
    "maxlen",
    "servicelevel",
    "strategy",
    "joinempty",
    "leavewhenempty",
    "reportholdtime",
    "memberdelay",
    "weight",
    "timeoutrestart",
    "defaultrule",
    "timeoutpriority",
    "log-restricted-caller-id",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Strategy {
    #[default]
    RingAll,
    LeastRecent,
    FewestCalls,
    Random,
    RrMemory,
    Linear,
    WRandom,
    RrOrdered,
}

impl Strategy {
    /// `strat2int`; `roundrobin` is an old name of `rrmemory`.
    pub fn parse(s: &str) -> Option<Strategy> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "ringall" => Strategy::RingAll,
            "leastrecent" => Strategy::LeastRecent,
            "fewestcalls" => Strategy::FewestCalls,
            "random" => Strategy::Random,
            "rrmemory" | "roundrobin" => Strategy::RrMemory,
            "linear" => Strategy::Linear,
            "wrandom" => Strategy::WRandom,
            "rrordered" => Strategy::RrOrdered,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RingAll => "ringall",
            Strategy::LeastRecent => "leastrecent",
            Strategy::FewestCalls => "fewestcalls",
            Strategy::Random => "random",
            Strategy::RrMemory => "rrmemory",
            Strategy::Linear => "linear",
            Strategy::WRandom => "wrandom",
            Strategy::RrOrdered => "rrordered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    pub interface: String,
    pub penalty: i32,
    /// Defaults to the interface.
    pub membername: String,
    /// Defaults to the interface.
    pub state_interface: String,
    pub ringinuse: bool,
    pub wrapuptime: i32,
    pub paused: bool,
    /// When the member was added (config load).
    /// Not serialized: it is the load time.
    #[serde(skip)]
    pub logintime: SystemTime,
    #[serde(serialize_with = "super::serialize_origin")]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Queue {
    pub name: String,
    pub strategy: Strategy,
    /// Seconds to ring a member (default 15).
    pub timeout: i32,
    /// Seconds before trying all members again (default 5).
    pub retry: i32,
    /// Most callers waiting; 0 = unlimited.
    pub maxlen: i32,
    pub servicelevel: i32,
    pub weight: i32,
    pub wrapuptime: i32,
    pub ringinuse: bool,
    pub musicclass: String,
    /// `context`: a one-digit (or longer) extension there that the
    /// caller dials while waiting takes the caller out of the queue.
    pub context: String,
    /// `announce`: prompts ('&' between them) played to the member who
    /// answers, before the bridge (Queue's `announceoverride` replaces
    /// them).
    pub announce: String,
    /// `reportholdtime`: the member hears how long the caller waited.
    pub reportholdtime: bool,
    /// `memberdelay`: seconds of silence for the member who answers
    /// before anything else.
    pub memberdelay: i32,
    /// `setqueueentryvar`: QEHOLDTIME and QEORIGINALPOS on both channels
    /// at the connect.
    pub setqueueentryvar: bool,
    /// `membergosub`: a subroutine (`context[,args]`) run on the member's
    /// channel before the bridge, unless Queue names its own.
    pub membergosub: String,
    /// `membermacro`: a macro (`name[,args]`) run on the member's channel
    /// before the bridge, unless Queue names its own.
    pub membermacro: String,
    /// `monitor-format`: the calls are recorded in this format once a
    /// member answers (at most 7 characters, as app_queue keeps it).
    pub monitor_format: String,
    /// `monitor-type=MixMonitor` (else Monitor), `[general]`'s default.
    pub monitor_mix: bool,
    /// `defaultrule`: the queuerules.conf list that moves a caller's
    /// penalty limits when Queue names none.
    pub defaultrule: String,
    /// `penaltymemberslimit`: with this many members or fewer, penalties
    /// are disregarded.
    pub penaltymemberslimit: i32,
    /// `autopause`: a member who fails to answer is paused.
    pub autopause: AutoPause,
    /// `autopausedelay`: not within this many seconds of the member's
    /// last call.
    pub autopausedelay: i32,
    /// `autopausebusy`: a busy member counts as failing to answer.
    pub autopausebusy: bool,
    /// `autopauseunavail`: so does a congested or unavailable one.
    pub autopauseunavail: bool,
    /// What callers hear while they wait (position, hold time, periodic
    /// announcements).
    pub announcements: Announcements,
    /// `joinempty`: the member conditions that keep a caller out.
    pub joinempty: u32,
    /// `leavewhenempty`: the member conditions that put a caller out.
    pub leavewhenempty: u32,
    /// `timeoutpriority = conf`: the queue's `timeout` wins over the
    /// application's when ringing a member.
    pub timeoutpriority_conf: bool,
    /// `timeoutrestart`: a busy or congested member restarts the ring time.
    pub timeoutrestart: bool,
    /// `autofill` (defaults to `[general]`'s).
    pub autofill: bool,
    /// `setinterfacevar`: MEMBERINTERFACE and friends on the caller.
    pub setinterfacevar: bool,
    /// `setqueuevar`: QUEUENAME, QUEUEMAX... on the caller.
    pub setqueuevar: bool,
    /// Static members, in the order `queue show` lists them.
    pub members: Vec<Member>,
    #[serde(serialize_with = "super::serialize_origin")]
    pub origin: Origin,
}

/// `autopause` (`autopause2int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AutoPause {
    Off,
    /// `yes`: in the queue that rang the member.
    On,
    /// `all`: in every queue the member is in.
    All,
}

impl AutoPause {
    /// A true value is `yes`; `no`, `yes`, `all` by name; anything else
    /// is off.
    pub fn parse(value: &str) -> AutoPause {
        let v = value.trim();
        if is_true(v) || v.eq_ignore_ascii_case("yes") {
            AutoPause::On
        } else if v.eq_ignore_ascii_case("all") {
            AutoPause::All
        } else {
            AutoPause::Off
        }
    }
}

/// `announce-holdtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AnnounceHoldtime {
    No,
    /// `yes` (the default): at every position announcement.
    Always,
    /// `once`: at the first position announcement only.
    Once,
}

/// `announce-position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AnnouncePosition {
    /// The default: the caller's place in line.
    Yes,
    /// Nothing about the position (the hold time may still be said).
    No,
    /// `more`: beyond the limit, "more than <limit> callers".
    MoreThan,
    /// `limit`: only callers within the limit hear their place.
    Limit,
}

/// The most periodic announcements a queue keeps
/// (`MAX_PERIODIC_ANNOUNCEMENTS`).
pub const MAX_PERIODIC_ANNOUNCEMENTS: usize = 10;

/// The prompts of a queue's announcements, by option name
/// (`queue-youarenext`, ...), with app_queue's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueSounds {
    pub next: String,
    pub thereare: String,
    pub calls: String,
    pub quantity1: String,
    pub quantity2: String,
    pub holdtime: String,
    pub minutes: String,
    pub minute: String,
    pub seconds: String,
    pub thanks: String,
    /// `queue-callerannounce`: played to the caller once a member
    /// answered, just before the bridge (none by default).
    pub callerannounce: String,
    /// `queue-reporthold`: what the member hears before the caller's hold
    /// time with `reportholdtime`.
    pub reporthold: String,
}

impl Default for QueueSounds {
    fn default() -> Self {
        QueueSounds {
            next: "queue-youarenext".into(),
            thereare: "queue-thereare".into(),
            calls: "queue-callswaiting".into(),
            quantity1: "queue-quantity1".into(),
            quantity2: "queue-quantity2".into(),
            holdtime: "queue-holdtime".into(),
            minutes: "queue-minutes".into(),
            minute: "queue-minute".into(),
            seconds: "queue-seconds".into(),
            thanks: "queue-thankyou".into(),
            callerannounce: String::new(),
            reporthold: "queue-reporthold".into(),
        }
    }
}

/// A queue's announcements to waiting callers (`queue_set_param`'s
/// `announce-*` and `periodic-announce*` options).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Announcements {
    /// `announce-frequency`: seconds between position announcements; 0
    /// for none.
    pub frequency: i32,
    /// `min-announce-frequency` (15): at least this long between two,
    /// even when the position changed.
    pub min_frequency: i32,
    /// `announce-to-first-user`: the caller at the head of the line hears
    /// them too while members are rung.
    pub to_first_user: bool,
    pub holdtime: AnnounceHoldtime,
    /// `announce-round-seconds`: 0, 5, 10, 15, 20 or 30; 0 says minutes
    /// only.
    pub round_seconds: i32,
    pub position: AnnouncePosition,
    /// `announce-position-limit` (10).
    pub position_limit: i32,
    /// `announce-position-only-up`: only when the caller moved up.
    pub position_only_up: bool,
    /// `periodic-announce`: the prompts in turn. Always
    /// MAX_PERIODIC_ANNOUNCEMENTS slots (empty ones unused), as app_queue
    /// keeps them: a later line without a comma replaces the first only.
    pub periodic: Vec<String>,
    /// How many of `periodic` are in use (0 until the option is set: the
    /// default prompt is played then).
    pub periodic_count: usize,
    /// `periodic-announce-frequency`: seconds; 0 for none.
    pub periodic_frequency: i32,
    /// `periodic-announce-startdelay` (-1: the first after a whole
    /// frequency).
    pub periodic_startdelay: i32,
    /// `random-periodic-announce`.
    pub periodic_random: bool,
    /// `relative-periodic-announce`: the next one counts from the end
    /// of this one, not its start.
    pub periodic_relative: bool,
    pub sounds: QueueSounds,
}

impl Default for Announcements {
    fn default() -> Self {
        let mut periodic = vec![String::new(); MAX_PERIODIC_ANNOUNCEMENTS];
        periodic[0] = "queue-periodic-announce".into();
        Announcements {
            frequency: 0,
            min_frequency: 15,
            to_first_user: false,
            holdtime: AnnounceHoldtime::Always,
            round_seconds: 0,
            position: AnnouncePosition::Yes,
            position_limit: 10,
            position_only_up: false,
            periodic,
            periodic_count: 0,
            periodic_frequency: 0,
            periodic_startdelay: -1,
            periodic_random: false,
            periodic_relative: false,
            sounds: QueueSounds::default(),
        }
    }
}

/// The announcement options of a queue section, applied line by line in
/// file order as `queue_set_param` does.
fn parse_announcements(cat: &Category, diags: &mut Vec<Diagnostic>) -> Announcements {
    let mut a = Announcements::default();
    for var in &cat.variables {
        let val = var.value.as_str();
        let n = var.name.to_ascii_lowercase();
        let sound = match n.as_str() {
            "queue-youarenext" => Some(&mut a.sounds.next),
            "queue-thereare" => Some(&mut a.sounds.thereare),
            "queue-callswaiting" => Some(&mut a.sounds.calls),
            "queue-quantity1" => Some(&mut a.sounds.quantity1),
            "queue-quantity2" => Some(&mut a.sounds.quantity2),
            "queue-holdtime" => Some(&mut a.sounds.holdtime),
            "queue-minutes" => Some(&mut a.sounds.minutes),
            "queue-minute" => Some(&mut a.sounds.minute),
            "queue-seconds" => Some(&mut a.sounds.seconds),
            "queue-thankyou" => Some(&mut a.sounds.thanks),
            "queue-callerannounce" => Some(&mut a.sounds.callerannounce),
            "queue-reporthold" => Some(&mut a.sounds.reporthold),
            _ => None,
        };
        if let Some(slot) = sound {
            *slot = val.to_string();
            continue;
        }
        match n.as_str() {
            "announce-frequency" => a.frequency = atoi_i32(val),
            "announce-to-first-user" => a.to_first_user = is_true(val),
            "min-announce-frequency" => a.min_frequency = atoi_i32(val),
            "announce-round-seconds" => {
                a.round_seconds = atoi_i32(val);
                if ![0, 5, 10, 15, 20, 30].contains(&a.round_seconds) {
                    bad_value(diags, var, "0, 5, 10, 15, 20 or 30 (using 0)");
                    a.round_seconds = 0;
                }
            }
            "announce-holdtime" => {
                a.holdtime = if val.eq_ignore_ascii_case("once") {
                    AnnounceHoldtime::Once
                } else if is_true(val) {
                    AnnounceHoldtime::Always
                } else {
                    AnnounceHoldtime::No
                }
            }
            "announce-position" => {
                a.position = if val.eq_ignore_ascii_case("limit") {
                    AnnouncePosition::Limit
                } else if val.eq_ignore_ascii_case("more") {
                    AnnouncePosition::MoreThan
                } else if is_true(val) {
                    AnnouncePosition::Yes
                } else {
                    AnnouncePosition::No
                }
            }
            "announce-position-only-up" => a.position_only_up = is_true(val),
            "announce-position-limit" => a.position_limit = atoi_i32(val),
            "periodic-announce" => {
                // Only a value with a comma is a list (split at commas
                // and bars); any other is one prompt name, bars and all.
                if val.contains(',') {
                    let items: Vec<&str> = val
                        .split([',', '|'])
                        .take(MAX_PERIODIC_ANNOUNCEMENTS)
                        .collect();
                    for (slot, item) in a.periodic.iter_mut().zip(&items) {
                        *slot = item.to_string();
                    }
                    a.periodic_count = items.len();
                } else {
                    a.periodic[0] = val.to_string();
                    a.periodic_count = 1;
                }
            }
            "periodic-announce-startdelay" => a.periodic_startdelay = atoi_i32(val),
            "periodic-announce-frequency" => a.periodic_frequency = atoi_i32(val),
            "relative-periodic-announce" => a.periodic_relative = is_true(val),
            "random-periodic-announce" => a.periodic_random = is_true(val),
            _ => {}
        }
    }
    a
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct General {
    pub persistentmembers: bool,
    pub autofill: bool,
    pub shared_lastcall: bool,
    /// `log_membername_as_agent`: queue_log names members by membername.
    pub log_membername_as_agent: bool,
    /// `negative_penalty_invalid`: app_queue refuses a negative penalty
    /// set by a function or action unless this is set.
    pub negative_penalty_invalid: bool,
    /// `monitor-type=MixMonitor`: the queues' default recorder.
    pub monitor_mix: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct QueuesConf {
    pub general: General,
    /// In file order.
    pub queues: Vec<Queue>,
}

impl QueuesConf {
    /// Queue names are compared without case, as app_queue does.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues
            .iter()
            .find(|q| q.name.eq_ignore_ascii_case(name))
    }
}

/// One `member => interface,penalty,membername,state_interface,ringinuse,
/// wrapuptime,paused` line.
fn parse_member(
    var: &Variable,
    queue_ringinuse: bool,
    now: SystemTime,
    diags: &mut Vec<Diagnostic>,
) -> Option<Member> {
    if var.value.trim().is_empty() {
        bad_value(diags, var, "a member definition");
        return None;
    }
    let args: Vec<&str> = var.value.split(',').map(str::trim).collect();
    let arg = |i: usize| args.get(i).copied().filter(|s| !s.is_empty());
    let interface = args.first().copied().unwrap_or("").to_string();
    let penalty = arg(1).map(atoi_i32).unwrap_or(0).max(0);
    let membername = arg(2).unwrap_or(&interface).to_string();
    let state_interface = arg(3).unwrap_or(&interface).to_string();
    let ringinuse = match arg(4) {
        Some(v) if is_true(v) => true,
        Some(v) if is_false(v) => false,
        Some(_) => {
            bad_value(diags, var, "a boolean ringinuse");
            queue_ringinuse
        }
        None => queue_ringinuse,
    };
    Some(Member {
        interface,
        penalty,
        membername,
        state_interface,
        ringinuse,
        wrapuptime: arg(5).map(atoi_i32).unwrap_or(0).max(0),
        paused: arg(6).is_some_and(is_true),
        logintime: now,
        origin: var.origin.clone(),
    })
}

fn parse_queue(
    cfg: &Config,
    cat: &Category,
    general: &General,
    now: SystemTime,
    diags: &mut Vec<Diagnostic>,
) -> Queue {
    check_known(cfg, diags, cat, QUEUE_OPTIONS);
    let strategy = match cat.get_var("strategy") {
        Some(v) => Strategy::parse(&v.value).unwrap_or_else(|| {
            bad_value(diags, v, "a queue strategy (using ringall)");
            Strategy::RingAll
        }),
        None => Strategy::RingAll,
    };
    let mut q = Queue {
        name: cat.name.clone(),
        strategy,
        timeout: 15,
        retry: 5,
        maxlen: 0,
        servicelevel: 0,
        weight: 0,
        wrapuptime: 0,
        ringinuse: true,
        musicclass: String::new(),
        context: String::new(),
        announce: String::new(),
        reportholdtime: false,
        memberdelay: 0,
        setqueueentryvar: false,
        membergosub: String::new(),
        membermacro: String::new(),
        monitor_format: String::new(),
        monitor_mix: general.monitor_mix,
        defaultrule: String::new(),
        penaltymemberslimit: 0,
        autopause: AutoPause::Off,
        autopausedelay: 0,
        autopausebusy: false,
        autopauseunavail: false,
        announcements: Announcements::default(),
        joinempty: 0,
        leavewhenempty: 0,
        timeoutpriority_conf: false,
        timeoutrestart: false,
        autofill: general.autofill,
        setinterfacevar: false,
        setqueuevar: false,
        members: Vec::new(),
        origin: cat.origin.clone(),
    };
    set_option(diags, cat, "timeout", &mut q.timeout, "an integer");
    set_option(diags, cat, "retry", &mut q.retry, "an integer");
    if q.retry <= 0 {
        q.retry = 5;
    }
    set_option(diags, cat, "maxlen", &mut q.maxlen, "an integer");
    q.maxlen = q.maxlen.max(0);
    set_option(
        diags,
        cat,
        "servicelevel",
        &mut q.servicelevel,
        "an integer",
    );
    set_option(diags, cat, "weight", &mut q.weight, "an integer");
    set_option(diags, cat, "wrapuptime", &mut q.wrapuptime, "an integer");
    if let Some(v) = cat.get("ringinuse") {
        q.ringinuse = is_true(v);
    }
    for key in ["musicclass", "music", "musiconhold"] {
        if let Some(v) = cat.get(key) {
            q.musicclass = v.to_string();
        }
    }
    for (key, field) in [("joinempty", true), ("leavewhenempty", false)] {
        if let Some(v) = cat.get_var(key) {
            match parse_empty(&v.value, field) {
                Some(c) if field => q.joinempty = c,
                Some(c) => q.leavewhenempty = c,
                None => bad_value(diags, v, "member conditions"),
            }
        }
    }
    if let Some(v) = cat.get_var("timeoutpriority") {
        q.timeoutpriority_conf = v.value.trim().eq_ignore_ascii_case("conf");
    }
    for (key, field) in [
        ("timeoutrestart", &mut q.timeoutrestart),
        ("autofill", &mut q.autofill),
        ("setinterfacevar", &mut q.setinterfacevar),
        ("setqueuevar", &mut q.setqueuevar),
        ("setqueueentryvar", &mut q.setqueueentryvar),
        ("reportholdtime", &mut q.reportholdtime),
        ("autopausebusy", &mut q.autopausebusy),
        ("autopauseunavail", &mut q.autopauseunavail),
    ] {
        if let Some(v) = cat.get(key) {
            *field = is_true(v);
        }
    }
    q.context = cat.get("context").unwrap_or("").to_string();
    q.announce = cat.get("announce").unwrap_or("").to_string();
    q.membergosub = cat.get("membergosub").unwrap_or("").to_string();
    q.membermacro = cat.get("membermacro").unwrap_or("").to_string();
    if let Some(v) = cat.get("monitor-format") {
        q.monitor_format = at_most(v, 7).to_string();
    }
    // Only MixMonitor changes it: another value keeps the default.
    if cat
        .get("monitor-type")
        .is_some_and(|v| v.eq_ignore_ascii_case("mixmonitor"))
    {
        q.monitor_mix = true;
    }
    q.defaultrule = cat.get("defaultrule").unwrap_or("").to_string();
    if let Some(v) = cat.get("autopause") {
        q.autopause = AutoPause::parse(v);
    }
    if let Some(v) = cat.get("autopausedelay") {
        q.autopausedelay = atoi_i32(v);
    }
    if let Some(v) = cat.get("penaltymemberslimit") {
        // sscanf "%10d"; anything else leaves 0.
        q.penaltymemberslimit = crate::funcs::c::scan_long(v, 10).map_or(0, |(n, _)| n as i32);
    }
    if let Some(v) = cat.get("memberdelay") {
        q.memberdelay = atoi_i32(v);
    }
    q.announcements = parse_announcements(cat, diags);
    for var in cat.all("member") {
        let Some(m) = parse_member(var, q.ringinuse, now, diags) else {
            continue;
        };
        // A second line for the same interface updates the member.
        match q
            .members
            .iter_mut()
            .find(|x| x.interface.eq_ignore_ascii_case(&m.interface))
        {
            Some(existing) => *existing = m,
            None => q.members.push(m),
        }
    }
    if !matches!(q.strategy, Strategy::Linear | Strategy::RrOrdered) {
        // Other strategies keep members in a 37-bucket hash container;
        // `queue show` walks its buckets in order.
        q.members.sort_by_key(|m| member_bucket(&m.interface));
    }
    q
}

/// app_queue's member hash (`member_hash_fn`) reduced to its bucket: up to
/// five characters from the '/' on, six bits each.
pub fn member_bucket(interface: &str) -> i32 {
    let start = interface.find('/').unwrap_or(0);
    let mut ret: i32 = 0;
    for (i, &b) in interface.as_bytes()[start..].iter().take(5).enumerate() {
        // C's `char` is signed: bytes above 127 are negative, so below 32.
        let c = b as i8 as i32;
        let compressed = if c < 32 {
            0
        } else if c > 96 {
            c - 64
        } else {
            c - 32
        };
        ret = ret.wrapping_add(compressed.wrapping_shl(i as u32 * 6));
    }
    (ret % 37).abs()
}

impl View for QueuesConf {
    const FILE: &'static str = "queues.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let now = SystemTime::now();
        let mut conf = QueuesConf::default();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                check_known(cfg, diags, cat, GENERAL_OPTIONS);
                conf.general.persistentmembers = cat.get("persistentmembers").is_some_and(is_true);
                conf.general.autofill = cat.get("autofill").is_some_and(is_true);
                conf.general.shared_lastcall = cat.get("shared_lastcall").is_some_and(is_true);
                conf.general.log_membername_as_agent =
                    cat.get("log_membername_as_agent").is_some_and(is_true);
                conf.general.negative_penalty_invalid =
                    cat.get("negative_penalty_invalid").is_some_and(is_true);
                conf.general.monitor_mix = cat
                    .get("monitor-type")
                    .is_some_and(|v| v.eq_ignore_ascii_case("mixmonitor"));
                for var in &cat.variables {
                    let n = var.name.to_ascii_lowercase();
                    let built = matches!(
                        n.as_str(),
                        "persistentmembers"
                            | "autofill"
                            | "shared_lastcall"
                            | "log_membername_as_agent"
                            | "negative_penalty_invalid"
                            | "monitor-type"
                    );
                    if !built && !is_off(&var.value) {
                        line_note(
                            diags,
                            crate::config::Severity::Notice,
                            var,
                            format!(
                                "'{}': not supported by Asterism (app_queue); ignored",
                                var.name
                            ),
                        );
                    }
                }
                continue;
            }
            if conf.queue(&cat.name).is_some() {
                // Asterisk: "Queue '…' already defined! Skipping!"
                section_note(
                    diags,
                    crate::config::Severity::Warning,
                    cat,
                    format!(
                        "queue '{}' already defined; this section is skipped",
                        cat.name
                    ),
                );
                continue;
            }
            let general = conf.general.clone();
            conf.queues
                .push(parse_queue(cfg, cat, &general, now, diags));
        }
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{section, variable};

    fn var(name: &str, value: &str, line: u32) -> Variable {
        variable("queues.conf", name, value, line)
    }

    fn cat(name: &str, vars: Vec<Variable>) -> Category {
        section("queues.conf", name, vars)
    }

    #[test]
    fn defaults_members_and_order() {
        let cfg = Config {
            categories: vec![
                cat("general", vec![var("persistentmembers", "no", 2)]),
                cat("empty", vec![]),
                cat(
                    "support",
                    vec![
                        var("strategy", "roundrobin", 4),
                        var("member", "SIP/2000", 5),
                        var("member", "SIP/3000, 2 ,Bob,Custom:bob,no", 6),
                        var("frobnicate", "1", 7),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let q = QueuesConf::from_config(&cfg, &mut d);
        let e = q.queue("EMPTY").expect("queue");
        assert_eq!(
            (e.strategy, e.timeout, e.retry, e.maxlen, e.ringinuse),
            (Strategy::RingAll, 15, 5, 0, true)
        );
        let s = q.queue("support").expect("queue");
        assert_eq!(s.strategy.as_str(), "rrmemory");
        // Hash order: SIP/3000 falls in a lower bucket than SIP/2000.
        assert_eq!(s.members[0].interface, "SIP/3000");
        let bob = &s.members[0];
        assert_eq!(
            (
                bob.penalty,
                bob.membername.as_str(),
                bob.state_interface.as_str()
            ),
            (2, "Bob", "Custom:bob")
        );
        assert!(!bob.ringinuse);
        assert_eq!(s.members[1].membername, "SIP/2000");
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn empty_conditions_and_unbuilt_options() {
        use empty::*;
        for (text, join, want) in [
            ("yes", true, Some(0)),
            ("no", true, Some(PENALTY | INVALID | PAUSED)),
            ("yes", false, Some(PENALTY | INVALID | PAUSED)),
            (
                "strict",
                true,
                Some(PENALTY | INVALID | PAUSED | UNAVAILABLE),
            ),
            ("paused,inuse", true, Some(PAUSED | INUSE)),
            ("bogus", true, None),
        ] {
            assert_eq!(parse_empty(text, join), want, "{text}");
        }
        let cfg = Config {
            categories: vec![cat(
                "q",
                vec![
                    var("joinempty", "strict", 2),
                    var("monitor-type", "MixMonitor", 3),
                    var("monitor-format", "no", 4),
                    var("timeoutpriority", "conf", 5),
                ],
            )],
            ..Default::default()
        };
        let mut d = Vec::new();
        let q = QueuesConf::from_config(&cfg, &mut d);
        let q = q.queue("q").expect("queue");
        assert_eq!(q.joinempty, PENALTY | INVALID | PAUSED | UNAVAILABLE);
        assert!(q.timeoutpriority_conf);
        // The recording options are built: nothing reported; the format
        // is taken as it is written.
        assert!(d.is_empty(), "{d:?}");
        assert!(q.monitor_mix);
        assert_eq!(q.monitor_format, "no");
    }

    #[test]
    fn member_side_options() {
        let cfg = Config {
            categories: vec![cat(
                "q",
                vec![
                    var("announce", "digits/1&beep", 2),
                    var("memberdelay", "2", 3),
                    var("reportholdtime", "yes", 4),
                    var("setqueueentryvar", "yes", 5),
                    var("membergosub", "sub,a", 6),
                    var("queue-callerannounce", "auth-thankyou", 7),
                    var("queue-reporthold", "my-hold", 8),
                    var("autopause", "all", 9),
                    var("autopausedelay", "30", 10),
                    var("autopausebusy", "yes", 11),
                    var("defaultrule", "widen", 12),
                    var("penaltymemberslimit", "3x", 13),
                ],
            )],
            ..Default::default()
        };
        let mut d = Vec::new();
        let conf = QueuesConf::from_config(&cfg, &mut d);
        let q = conf.queue("q").expect("queue");
        assert_eq!(
            (q.announce.as_str(), q.memberdelay, q.membergosub.as_str()),
            ("digits/1&beep", 2, "sub,a")
        );
        assert!(q.reportholdtime && q.setqueueentryvar);
        assert_eq!(
            (q.autopause, q.autopausedelay, q.autopausebusy),
            (AutoPause::All, 30, true)
        );
        assert!(!q.autopauseunavail);
        assert_eq!(
            (q.defaultrule.as_str(), q.penaltymemberslimit),
            ("widen", 3)
        );
        for (text, want) in [
            ("yes", AutoPause::On),
            ("1", AutoPause::On),
            ("ALL", AutoPause::All),
            ("no", AutoPause::Off),
            ("bogus", AutoPause::Off),
        ] {
            assert_eq!(AutoPause::parse(text), want, "{text}");
        }
        let s = &q.announcements.sounds;
        assert_eq!(
            (s.callerannounce.as_str(), s.reporthold.as_str()),
            ("auth-thankyou", "my-hold")
        );
        // Built now: check-config has nothing to say.
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn announcement_options() {
        let parse = |vars: Vec<Variable>| {
            let cfg = Config {
                categories: vec![cat("q", vars)],
                ..Default::default()
            };
            let mut d = Vec::new();
            let conf = QueuesConf::from_config(&cfg, &mut d);
            (conf.queue("q").expect("queue").announcements.clone(), d)
        };
        let (a, d) = parse(vec![]);
        assert_eq!(a, Announcements::default());
        assert_eq!(
            (a.min_frequency, a.holdtime, a.position, a.position_limit),
            (15, AnnounceHoldtime::Always, AnnouncePosition::Yes, 10)
        );
        assert_eq!(
            (a.periodic[0].as_str(), a.periodic_count),
            ("queue-periodic-announce", 0)
        );
        assert!(d.is_empty());
        let (a, d) = parse(vec![
            var("announce-frequency", "30", 2),
            var("announce-holdtime", "once", 3),
            var("announce-position", "more", 4),
            var("announce-position-limit", "5", 5),
            var("announce-round-seconds", "7", 6),
            var("periodic-announce", "a|b,c,,d", 7),
            var("queue-youarenext", "custom/next", 8),
            var("announce-to-first-user", "yes", 9),
        ]);
        assert_eq!(
            (a.frequency, a.holdtime, a.position, a.position_limit),
            (30, AnnounceHoldtime::Once, AnnouncePosition::MoreThan, 5)
        );
        // 7 is not a rounding app_queue accepts: 0, and a report.
        assert_eq!(a.round_seconds, 0);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 6);
        assert_eq!(&a.periodic[..5], ["a", "b", "c", "", "d"]);
        assert_eq!(a.periodic_count, 5);
        assert_eq!(a.sounds.next, "custom/next");
        assert!(a.to_first_user);
        // Without a comma the bar is part of the one name; a later line
        // replaces the first slot only.
        let (a, _) = parse(vec![
            var("periodic-announce", "x,y", 2),
            var("periodic-announce", "p|q", 3),
            var("announce-position", "no", 4),
            var("announce-holdtime", "no", 5),
        ]);
        assert_eq!(&a.periodic[..2], ["p|q", "y"]);
        assert_eq!(a.periodic_count, 1);
        assert_eq!(
            (a.position, a.holdtime),
            (AnnouncePosition::No, AnnounceHoldtime::No)
        );
        let (a, _) = parse(vec![var("announce-position", "limit", 2)]);
        assert_eq!(a.position, AnnouncePosition::Limit);
    }
}
