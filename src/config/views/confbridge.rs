//! `confbridge.conf` (app_confbridge): bridge profiles, user profiles and
//! DTMF menus, told apart by `type=`. `default_bridge`, `default_user` and
//! `default_menu` always exist, with Asterisk 20's defaults, when the file
//! does not define them.

use std::collections::BTreeMap;

use super::hash::{sort_into_buckets, str_case_hash};
use super::values::{set_bool, set_parsed};
use super::{View, bad_value, line_note, replace_named, report_unknown, section_note};
use crate::config::{Category, Config, Diagnostic, Severity, Variable, is_false, is_true};

pub const DEFAULT_BRIDGE: &str = "default_bridge";
pub const DEFAULT_USER: &str = "default_user";
pub const DEFAULT_MENU: &str = "default_menu";

/// Bridge sound options with the file played when not set, in the order
/// `confbridge show profile bridge` prints them.
pub const SOUNDS: &[(&str, &str)] = &[
    ("sound_only_person", "conf-onlyperson"),
    ("sound_only_one", "conf-onlyone"),
    ("sound_has_joined", "conf-hasjoin"),
    ("sound_has_left", "conf-hasleft"),
    ("sound_kicked", "conf-kicked"),
    ("sound_muted", "conf-muted"),
    ("sound_unmuted", "conf-unmuted"),
    ("sound_binaural_on", "confbridge-binaural-on"),
    ("sound_binaural_off", "confbridge-binaural-off"),
    ("sound_there_are", "conf-thereare"),
    ("sound_other_in_party", "conf-otherinparty"),
    ("sound_place_into_conference", "conf-placeintoconf"),
    ("sound_wait_for_leader", "conf-waitforleader"),
    ("sound_leader_has_left", "conf-leaderhasleft"),
    ("sound_get_pin", "conf-getpin"),
    ("sound_invalid_pin", "conf-invalidpin"),
    ("sound_locked", "conf-locked"),
    ("sound_unlocked_now", "conf-unlockednow"),
    ("sound_locked_now", "conf-lockednow"),
    ("sound_error_menu", "conf-errormenu"),
    ("sound_join", "confbridge-join"),
    ("sound_leave", "confbridge-leave"),
    ("sound_participants_muted", "conf-now-muted"),
    ("sound_participants_unmuted", "conf-now-unmuted"),
    ("sound_begin", "confbridge-conf-begin"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum VideoMode {
    #[default]
    None,
    FirstMarked,
    LastMarked,
    FollowTalker,
    Sfu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum RembBehavior {
    #[default]
    Average,
    Lowest,
    Highest,
    AverageAll,
    LowestAll,
    HighestAll,
    Force,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BridgeProfile {
    pub name: String,
    pub language: String,
    /// 0 = auto.
    pub internal_sample_rate: u32,
    /// 0 = none.
    pub maximum_sample_rate: u32,
    /// Milliseconds: 10, 20, 40 or 80.
    pub mixing_interval: u32,
    pub record_conference: bool,
    pub record_file_append: bool,
    pub record_file_timestamp: bool,
    pub record_file: String,
    pub record_options: String,
    pub record_command: String,
    /// 0 = no limit.
    pub max_members: u32,
    pub regcontext: String,
    pub video_mode: VideoMode,
    pub video_update_discard: u32,
    pub remb_send_interval: u32,
    pub remb_behavior: RembBehavior,
    pub remb_estimated_bitrate: u32,
    pub enable_events: bool,
    pub jitterbuffer: bool,
    pub binaural_active: bool,
    /// Custom sounds by option name (`sound_join`); the rest are defaults.
    pub sounds: BTreeMap<String, String>,
}

impl BridgeProfile {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            language: "en".to_string(),
            internal_sample_rate: 0,
            maximum_sample_rate: 0,
            mixing_interval: 20,
            record_conference: false,
            record_file_append: true,
            record_file_timestamp: true,
            record_file: String::new(),
            record_options: String::new(),
            record_command: String::new(),
            max_members: 0,
            regcontext: String::new(),
            video_mode: VideoMode::None,
            video_update_discard: 2000,
            remb_send_interval: 0,
            remb_behavior: RembBehavior::Average,
            remb_estimated_bitrate: 0,
            enable_events: false,
            jitterbuffer: false,
            binaural_active: false,
            sounds: BTreeMap::new(),
        }
    }

    /// The file played for a sound option: the custom one or the default.
    pub fn sound(&self, option: &str) -> &str {
        if let Some(s) = self.sounds.get(option).filter(|s| !s.is_empty()) {
            return s;
        }
        SOUNDS
            .iter()
            .find(|(n, _)| *n == option)
            .map(|(_, d)| *d)
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserProfile {
    pub name: String,
    pub admin: bool,
    pub send_events: bool,
    pub echo_events: bool,
    pub marked: bool,
    pub startmuted: bool,
    pub music_on_hold_when_empty: bool,
    pub quiet: bool,
    pub hear_own_join_sound: bool,
    pub announce_user_count_all: bool,
    /// `announce_user_count_all = N`: only after N users.
    pub announce_user_count_all_after: u32,
    pub announce_user_count: bool,
    pub announce_only_user: bool,
    pub wait_marked: bool,
    pub end_marked: bool,
    pub end_marked_any: bool,
    pub talk_detection_events: bool,
    pub dtmf_passthrough: bool,
    pub announce_join_leave: bool,
    pub announce_join_leave_review: bool,
    pub pin: String,
    pub music_on_hold_class: String,
    pub announcement: String,
    pub denoise: bool,
    pub dsp_drop_silence: bool,
    pub dsp_silence_threshold: u32,
    pub dsp_talking_threshold: u32,
    pub jitterbuffer: bool,
    pub timeout: u32,
    pub text_messaging: bool,
    pub answer_channel: bool,
}

impl UserProfile {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            admin: false,
            send_events: false,
            echo_events: false,
            marked: false,
            startmuted: false,
            music_on_hold_when_empty: false,
            quiet: false,
            hear_own_join_sound: true,
            announce_user_count_all: false,
            announce_user_count_all_after: 0,
            announce_user_count: false,
            announce_only_user: true,
            wait_marked: false,
            end_marked: false,
            end_marked_any: false,
            talk_detection_events: false,
            dtmf_passthrough: false,
            announce_join_leave: false,
            announce_join_leave_review: false,
            pin: String::new(),
            music_on_hold_class: String::new(),
            announcement: String::new(),
            denoise: false,
            dsp_drop_silence: false,
            dsp_silence_threshold: 2500,
            dsp_talking_threshold: 160,
            jitterbuffer: false,
            timeout: 0,
            text_messaging: true,
            answer_channel: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum MenuAction {
    ToggleMute,
    ToggleBinaural,
    NoOp,
    IncreaseListening,
    DecreaseListening,
    ResetListening,
    ResetTalking,
    IncreaseTalking,
    DecreaseTalking,
    Playback(String),
    PlaybackAndContinue(String),
    DialplanExec {
        context: String,
        exten: String,
        priority: i32,
    },
    AdminToggleLock,
    AdminToggleMuteParticipants,
    ParticipantCount,
    AdminKickLast,
    Leave,
    SetSingleVideoSrc,
    ReleaseSingleVideoSrc,
}

impl MenuAction {
    /// How `confbridge show menu` prints the action.
    pub fn display(&self) -> String {
        match self {
            MenuAction::ToggleMute => "toggle_mute".into(),
            MenuAction::ToggleBinaural => "toggle_binaural".into(),
            MenuAction::NoOp => "no_op".into(),
            MenuAction::IncreaseListening => "increase_listening_volume".into(),
            MenuAction::DecreaseListening => "decrease_listening_volume".into(),
            MenuAction::ResetListening => "reset_listening_volume".into(),
            MenuAction::ResetTalking => "reset_talking_volume".into(),
            MenuAction::IncreaseTalking => "increase_talking_volume".into(),
            MenuAction::DecreaseTalking => "decrease_talking_volume".into(),
            MenuAction::Playback(f) => format!("playback({f})"),
            MenuAction::PlaybackAndContinue(f) => format!("playback_and_continue({f})"),
            MenuAction::DialplanExec {
                context,
                exten,
                priority,
            } => {
                format!("dialplan_exec({context},{exten},{priority})")
            }
            MenuAction::AdminToggleLock => "admin_toggle_conference_lock".into(),
            MenuAction::AdminToggleMuteParticipants => "admin_toggle_mute_participants".into(),
            MenuAction::ParticipantCount => "participant_count".into(),
            MenuAction::AdminKickLast => "admin_kick_last".into(),
            MenuAction::Leave => "leave_conference".into(),
            MenuAction::SetSingleVideoSrc => "set_as_single_video_src".into(),
            MenuAction::ReleaseSingleVideoSrc => "release_as_single_video_src".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MenuEntry {
    pub dtmf: String,
    pub actions: Vec<MenuAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Menu {
    pub name: String,
    pub entries: Vec<MenuEntry>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ConfbridgeConf {
    /// Each list in the order the CLI lists it (Asterisk's hash order).
    pub bridges: Vec<BridgeProfile>,
    pub users: Vec<UserProfile>,
    pub menus: Vec<Menu>,
    /// confbridge.conf was there: app_confbridge declines to load
    /// without it.
    #[serde(skip)]
    pub present: bool,
}

impl ConfbridgeConf {
    /// Whether app_confbridge runs: loaded by modules.conf and configured.
    pub fn running(&self, modules: &super::modules::ModulesConf) -> bool {
        self.present && modules.loads("app_confbridge")
    }

    pub fn bridge(&self, name: &str) -> Option<&BridgeProfile> {
        self.bridges
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn user(&self, name: &str) -> Option<&UserProfile> {
        self.users
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    pub fn menu(&self, name: &str) -> Option<&Menu> {
        self.menus
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// Reports an option the conferences of Asterism do not carry out.
fn not_built(diags: &mut Vec<Diagnostic>, v: &Variable, what: &str) {
    line_note(
        diags,
        Severity::Notice,
        v,
        format!("'{}': {what} is not supported by Asterism", v.name),
    );
}

/// Bridge profile options set to something the mixer does not do.
fn check_bridge_option(diags: &mut Vec<Diagnostic>, v: &Variable) {
    let val = v.value.trim();
    let set = !val.is_empty();
    let what = match v.name.to_ascii_lowercase().as_str() {
        "regcontext" if set => "registering conferences in a context",
        "video_mode" if !val.eq_ignore_ascii_case("none") => "conference video",
        "video_update_discard"
        | "remb_send_interval"
        | "remb_behavior"
        | "remb_estimated_bitrate"
            if set =>
        {
            "conference video"
        }
        "internal_sample_rate" | "maximum_sample_rate"
            if !matches!(val.to_ascii_lowercase().as_str(), "auto" | "none" | "8000") =>
        {
            "mixing at a rate other than 8000 Hz"
        }
        "mixing_interval" if val != "20" => "a mixing interval other than 20 ms",
        "binaural_active" if is_true(val) => "binaural mixing",
        "jitterbuffer" if is_true(val) => "a jitter buffer on the conference",
        "enable_events" if is_true(val) => "events to the participants' devices",
        _ => return,
    };
    not_built(diags, v, what);
}

/// User profile options set to something the conferences do not do.
fn check_user_option(diags: &mut Vec<Diagnostic>, v: &Variable) {
    let on = is_true(v.value.trim());
    let what = match v.name.to_ascii_lowercase().as_str() {
        "announce_join_leave" | "announce_join_leave_review" if on => {
            "recording and announcing the caller's name"
        }
        "dtmf_passthrough" if on => "passing DTMF into the conference",
        "dsp_drop_silence" if on => "dropping silence",
        "denoise" if on => "noise reduction",
        "jitterbuffer" if on => "a jitter buffer",
        "send_events" | "echo_events" if on => "events to the participant's device",
        "text_messaging" if on => "relaying text messages",
        _ => return,
    };
    not_built(diags, v, what);
}

/// Menu actions the conferences do not carry out.
fn check_menu_actions(diags: &mut Vec<Diagnostic>, v: &Variable, actions: &[MenuAction]) {
    for a in actions {
        let what = match a {
            MenuAction::ToggleBinaural => "binaural mixing (toggle_binaural)",
            MenuAction::DialplanExec { .. } => "running the dialplan from a menu (dialplan_exec)",
            MenuAction::SetSingleVideoSrc | MenuAction::ReleaseSingleVideoSrc => {
                "conference video (set/release_as_single_video_src)"
            }
            _ => continue,
        };
        not_built(diags, v, what);
    }
}

fn parse_bridge(
    cfg: &Config,
    cat: &Category,
    done: &ConfbridgeConf,
    diags: &mut Vec<Diagnostic>,
) -> BridgeProfile {
    let mut p = BridgeProfile::new(&cat.name);
    for v in &cat.variables {
        check_bridge_option(diags, v);
        let val = v.value.as_str();
        let name = v.name.to_ascii_lowercase();
        match name.as_str() {
            "type" => {}
            // An empty template is the default profile (`template_handler`
            // looks the name up as ConfBridge does).
            "template" => match done.bridge(if val.is_empty() { DEFAULT_BRIDGE } else { val }) {
                Some(t) => {
                    p = BridgeProfile {
                        name: cat.name.clone(),
                        ..t.clone()
                    }
                }
                None => bad_value(diags, v, "a bridge profile defined before"),
            },
            "jitterbuffer" => set_bool(diags, v, &mut p.jitterbuffer),
            "binaural_active" => set_bool(diags, v, &mut p.binaural_active),
            "internal_sample_rate" | "maximum_sample_rate" => {
                let word = if name == "internal_sample_rate" {
                    "auto"
                } else {
                    "none"
                };
                let rate = if val.eq_ignore_ascii_case(word) {
                    Some(0)
                } else {
                    val.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|r| (8000..=192000).contains(r))
                };
                match rate {
                    Some(r) if name == "internal_sample_rate" => p.internal_sample_rate = r,
                    Some(r) => p.maximum_sample_rate = r,
                    None => bad_value(diags, v, &format!("{word} or a rate from 8000 to 192000")),
                }
            }
            "mixing_interval" => match val.trim().parse::<u32>() {
                Ok(n @ (10 | 20 | 40 | 80)) => p.mixing_interval = n,
                _ => bad_value(diags, v, "10, 20, 40 or 80"),
            },
            "record_conference" => set_bool(diags, v, &mut p.record_conference),
            "video_mode" => match val.to_ascii_lowercase().as_str() {
                "first_marked" => p.video_mode = VideoMode::FirstMarked,
                "last_marked" => p.video_mode = VideoMode::LastMarked,
                "follow_talker" => p.video_mode = VideoMode::FollowTalker,
                "sfu" => p.video_mode = VideoMode::Sfu,
                "none" => p.video_mode = VideoMode::None,
                _ => bad_value(
                    diags,
                    v,
                    "first_marked, last_marked, follow_talker, sfu or none",
                ),
            },
            "record_file_append" => set_bool(diags, v, &mut p.record_file_append),
            "record_file_timestamp" => set_bool(diags, v, &mut p.record_file_timestamp),
            "max_members" => set_parsed(diags, v, &mut p.max_members, "a non-negative integer"),
            "record_file" => p.record_file = val.to_string(),
            "record_options" => p.record_options = val.to_string(),
            "record_command" => p.record_command = val.to_string(),
            "regcontext" => p.regcontext = val.to_string(),
            "language" => p.language = val.to_string(),
            "video_update_discard" => set_parsed(
                diags,
                v,
                &mut p.video_update_discard,
                "a non-negative integer",
            ),
            "remb_send_interval" => set_parsed(
                diags,
                v,
                &mut p.remb_send_interval,
                "a non-negative integer",
            ),
            "remb_estimated_bitrate" => set_parsed(
                diags,
                v,
                &mut p.remb_estimated_bitrate,
                "a non-negative integer",
            ),
            "remb_behavior" => match val.to_ascii_lowercase().as_str() {
                "average" => p.remb_behavior = RembBehavior::Average,
                "lowest" => p.remb_behavior = RembBehavior::Lowest,
                "highest" => p.remb_behavior = RembBehavior::Highest,
                "average_all" => p.remb_behavior = RembBehavior::AverageAll,
                "lowest_all" => p.remb_behavior = RembBehavior::LowestAll,
                "highest_all" => p.remb_behavior = RembBehavior::HighestAll,
                "force" => p.remb_behavior = RembBehavior::Force,
                _ => bad_value(diags, v, "a REMB behavior"),
            },
            "enable_events" => set_bool(diags, v, &mut p.enable_events),
            s if s.starts_with("sound_") => {
                if SOUNDS.iter().any(|(n, _)| *n == s) {
                    p.sounds.insert(s.to_string(), val.to_string());
                } else {
                    report_unknown(cfg, diags, cat, v);
                }
            }
            _ => report_unknown(cfg, diags, cat, v),
        }
    }
    p
}

fn parse_user(
    cfg: &Config,
    cat: &Category,
    done: &ConfbridgeConf,
    diags: &mut Vec<Diagnostic>,
) -> UserProfile {
    let mut p = UserProfile::new(&cat.name);
    for v in &cat.variables {
        check_user_option(diags, v);
        let val = v.value.as_str();
        match v.name.to_ascii_lowercase().as_str() {
            "type" => {}
            "template" => match done.user(if val.is_empty() { DEFAULT_USER } else { val }) {
                Some(t) => {
                    p = UserProfile {
                        name: cat.name.clone(),
                        ..t.clone()
                    }
                }
                None => bad_value(diags, v, "a user profile defined before"),
            },
            "admin" => set_bool(diags, v, &mut p.admin),
            "send_events" => set_bool(diags, v, &mut p.send_events),
            "echo_events" => set_bool(diags, v, &mut p.echo_events),
            "marked" => set_bool(diags, v, &mut p.marked),
            "startmuted" => set_bool(diags, v, &mut p.startmuted),
            "music_on_hold_when_empty" => set_bool(diags, v, &mut p.music_on_hold_when_empty),
            "quiet" => set_bool(diags, v, &mut p.quiet),
            "hear_own_join_sound" => set_bool(diags, v, &mut p.hear_own_join_sound),
            "announce_user_count_all" => {
                if is_true(val) {
                    p.announce_user_count_all = true;
                } else if is_false(val) {
                    p.announce_user_count_all = false;
                } else if let Ok(n) = val.trim().parse::<u32>() {
                    p.announce_user_count_all = true;
                    p.announce_user_count_all_after = n;
                } else {
                    bad_value(diags, v, "yes, no or a number of users");
                }
            }
            "announce_user_count" => set_bool(diags, v, &mut p.announce_user_count),
            "announce_only_user" => set_bool(diags, v, &mut p.announce_only_user),
            "wait_marked" => set_bool(diags, v, &mut p.wait_marked),
            "end_marked" => set_bool(diags, v, &mut p.end_marked),
            "end_marked_any" => set_bool(diags, v, &mut p.end_marked_any),
            "talk_detection_events" => set_bool(diags, v, &mut p.talk_detection_events),
            "dtmf_passthrough" => set_bool(diags, v, &mut p.dtmf_passthrough),
            "announce_join_leave" => set_bool(diags, v, &mut p.announce_join_leave),
            "announce_join_leave_review" => set_bool(diags, v, &mut p.announce_join_leave_review),
            "pin" => p.pin = val.to_string(),
            "music_on_hold_class" => p.music_on_hold_class = val.to_string(),
            "announcement" => p.announcement = val.to_string(),
            "denoise" => set_bool(diags, v, &mut p.denoise),
            "dsp_drop_silence" => set_bool(diags, v, &mut p.dsp_drop_silence),
            "dsp_silence_threshold" => set_parsed(
                diags,
                v,
                &mut p.dsp_silence_threshold,
                "a non-negative integer",
            ),
            "dsp_talking_threshold" => set_parsed(
                diags,
                v,
                &mut p.dsp_talking_threshold,
                "a non-negative integer",
            ),
            "jitterbuffer" => set_bool(diags, v, &mut p.jitterbuffer),
            "timeout" => set_parsed(diags, v, &mut p.timeout, "a non-negative integer"),
            "text_messaging" => set_bool(diags, v, &mut p.text_messaging),
            "answer_channel" => set_bool(diags, v, &mut p.answer_channel),
            _ => report_unknown(cfg, diags, cat, v),
        }
    }
    p
}

/// Splits a menu line into actions as `add_menu_entry` does: on ',' but,
/// when the next action's parentheses hold a comma, up to the ')'.
fn parse_actions(value: &str) -> Result<Vec<MenuAction>, String> {
    let mut rest = value;
    let mut actions = Vec::new();
    while !rest.is_empty() {
        let open = rest.find('(');
        let close = rest.find(')');
        let comma = rest.find(',');
        let delim = match (open, close, comma) {
            (Some(o), Some(c), Some(m)) if m > o && m < c => ')',
            _ => ',',
        };
        let (action, next) = match rest.find(delim) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = next;
        let action = action.trim();
        if action.is_empty() {
            continue;
        }
        let lower = action.to_ascii_lowercase();
        let simple = match lower.as_str() {
            "toggle_mute" => Some(MenuAction::ToggleMute),
            "toggle_binaural" => Some(MenuAction::ToggleBinaural),
            "no_op" => Some(MenuAction::NoOp),
            "increase_listening_volume" => Some(MenuAction::IncreaseListening),
            "decrease_listening_volume" => Some(MenuAction::DecreaseListening),
            "increase_talking_volume" => Some(MenuAction::IncreaseTalking),
            "reset_listening_volume" => Some(MenuAction::ResetListening),
            "reset_talking_volume" => Some(MenuAction::ResetTalking),
            "decrease_talking_volume" => Some(MenuAction::DecreaseTalking),
            "admin_toggle_conference_lock" => Some(MenuAction::AdminToggleLock),
            "admin_toggle_mute_participants" => Some(MenuAction::AdminToggleMuteParticipants),
            "participant_count" => Some(MenuAction::ParticipantCount),
            "admin_kick_last" => Some(MenuAction::AdminKickLast),
            "leave_conference" => Some(MenuAction::Leave),
            "set_as_single_video_src" => Some(MenuAction::SetSingleVideoSrc),
            "release_as_single_video_src" => Some(MenuAction::ReleaseSingleVideoSrc),
            _ => None,
        };
        if let Some(a) = simple {
            actions.push(a);
        } else if lower.starts_with("dialplan_exec(") {
            let args = &action["dialplan_exec(".len()..];
            let args = args.split(')').next().unwrap_or("");
            if args.is_empty() {
                return Err(format!("'{action}' needs context,exten,priority"));
            }
            let mut parts = args.split(',').map(str::trim);
            let context = parts.next().unwrap_or("").to_string();
            let exten = parts.next().unwrap_or("").to_string();
            let priority = match parts.next().filter(|p| !p.is_empty()) {
                None => 1,
                Some(p) => p
                    .parse::<i32>()
                    .map_err(|_| format!("bad priority in '{action}'"))?,
            };
            actions.push(MenuAction::DialplanExec {
                context,
                exten,
                priority,
            });
        } else if let Some(file) = playback_arg(action, "playback_and_continue(") {
            actions.push(MenuAction::PlaybackAndContinue(file.to_string()));
        } else if let Some(file) = playback_arg(action, "playback(") {
            actions.push(MenuAction::Playback(file.to_string()));
        }
        // Asterisk skips any other word without a message.
    }
    for a in &actions {
        if let MenuAction::Playback(f) | MenuAction::PlaybackAndContinue(f) = a
            && f.is_empty()
        {
            return Err("playback needs a file".to_string());
        }
    }
    Ok(actions)
}

/// The file of `playback(file)`: between the '(' and the last ')'.
fn playback_arg<'a>(action: &'a str, prefix: &str) -> Option<&'a str> {
    let head = action.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let open = action.find('(')?;
    Some(match action.rfind(')') {
        Some(close) if close > open => &action[open + 1..close],
        _ => &action[open..],
    })
}

fn is_dtmf(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'A'..=b'D' | b'*' | b'#'))
}

fn parse_menu(
    cfg: &Config,
    cat: &Category,
    done: &ConfbridgeConf,
    diags: &mut Vec<Diagnostic>,
) -> Menu {
    let mut m = Menu {
        name: cat.name.clone(),
        entries: Vec::new(),
    };
    for v in &cat.variables {
        if v.name.eq_ignore_ascii_case("type") {
            continue;
        }
        if v.name.eq_ignore_ascii_case("template") {
            match done.menu(&v.value) {
                Some(t) => m.entries = t.entries.clone(),
                None => bad_value(diags, v, "a menu defined before"),
            }
            continue;
        }
        if !is_dtmf(&v.name) {
            report_unknown(cfg, diags, cat, v);
            continue;
        }
        match parse_actions(&v.value) {
            Ok(actions) => {
                check_menu_actions(diags, v, &actions);
                // A later line for the same digits replaces the earlier one.
                m.entries.retain(|e| !e.dtmf.eq_ignore_ascii_case(&v.name));
                m.entries.push(MenuEntry {
                    dtmf: v.name.clone(),
                    actions,
                });
            }
            Err(e) => bad_value(diags, v, &format!("menu actions ({e})")),
        }
    }
    m
}

/// What `CONFBRIDGE(type,option)=value` builds (`func_confbridge_
/// helper`): a bridge or user profile, or a menu.
#[derive(Debug, Clone)]
pub enum Dynamic {
    Bridge(BridgeProfile),
    User(UserProfile),
    Menu(Menu),
}

impl ConfbridgeConf {
    /// The profile or menu of type `kind` (`bridge`, `user`, `menu`) that
    /// `lines` set, in order: on a copy of the default one unless the
    /// first line names a `template` (whose name it takes, as Asterisk
    /// copies the whole profile). `Err` names the first line Asterisk
    /// would refuse (an unknown option or a bad value) and what is wrong.
    pub fn build_dynamic(&self, kind: &str, lines: &[(String, String)]) -> Result<Dynamic, usize> {
        let default = match kind.to_ascii_lowercase().as_str() {
            "bridge" => DEFAULT_BRIDGE,
            "user" => DEFAULT_USER,
            "menu" => DEFAULT_MENU,
            _ => return Err(0),
        };
        let origin = |line: u32| crate::config::Origin {
            file: std::sync::Arc::from(std::path::Path::new("CONFBRIDGE")),
            line,
        };
        let templated = lines
            .first()
            .is_some_and(|(n, _)| n.eq_ignore_ascii_case("template"));
        let mut vars = Vec::new();
        if !templated {
            vars.push(("template".to_string(), default.to_string()));
        }
        vars.extend(lines.iter().cloned());
        let first_line = u32::from(!templated);
        let variables = vars
            .into_iter()
            .enumerate()
            .map(|(i, (name, value))| Variable {
                name,
                value,
                object: false,
                inherited: false,
                origin: origin(i as u32),
            })
            .collect();
        let name = match lines.first() {
            Some((n, v)) if n.eq_ignore_ascii_case("template") && !v.is_empty() => v.clone(),
            _ => default.to_string(),
        };
        let cat = Category {
            name,
            template: false,
            inherits: Vec::new(),
            variables,
            origin: origin(0),
        };
        let cfg = Config::default();
        let mut diags = Vec::new();
        let built = match default {
            DEFAULT_BRIDGE => Dynamic::Bridge(parse_bridge(&cfg, &cat, self, &mut diags)),
            DEFAULT_USER => Dynamic::User(parse_user(&cfg, &cat, self, &mut diags)),
            _ => Dynamic::Menu(parse_menu(&cfg, &cat, self, &mut diags)),
        };
        // Options the conferences do not carry out are set all the same.
        let refused = diags.iter().find(|d| {
            d.severity != Severity::Notice || d.message.starts_with("unknown or unsupported option")
        });
        match refused {
            Some(d) => Err((d.line - first_line) as usize),
            None => Ok(built),
        }
    }
}

/// Bucket of a profile name in app_confbridge's 283-bucket containers.
impl View for ConfbridgeConf {
    const FILE: &'static str = "confbridge.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = ConfbridgeConf {
            present: true,
            ..Default::default()
        };
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                // Reserved by Asterisk, with no options.
                super::check_known(cfg, diags, cat, &[]);
                continue;
            }
            let Some(ty) = cat.get_var("type") else {
                section_note(
                    diags,
                    crate::config::Severity::Error,
                    cat,
                    format!("[{}] has no type= (bridge, user or menu)", cat.name),
                );
                continue;
            };
            match ty.value.trim().to_ascii_lowercase().as_str() {
                "bridge" => {
                    let p = parse_bridge(cfg, cat, &conf, diags);
                    replace_named(&mut conf.bridges, p, |b| &b.name);
                }
                "user" => {
                    let p = parse_user(cfg, cat, &conf, diags);
                    replace_named(&mut conf.users, p, |b| &b.name);
                }
                "menu" => {
                    let p = parse_menu(cfg, cat, &conf, diags);
                    replace_named(&mut conf.menus, p, |b| &b.name);
                }
                _ => bad_value(diags, ty, "bridge, user or menu"),
            }
        }
        if conf.bridge(DEFAULT_BRIDGE).is_none() {
            conf.bridges.push(BridgeProfile::new(DEFAULT_BRIDGE));
        }
        if conf.user(DEFAULT_USER).is_none() {
            conf.users.push(UserProfile::new(DEFAULT_USER));
        }
        if conf.menu(DEFAULT_MENU).is_none() {
            conf.menus.push(Menu {
                name: DEFAULT_MENU.to_string(),
                entries: Vec::new(),
            });
        }
        // Profiles and menus live in 283-bucket hash containers.
        sort_into_buckets(&mut conf.bridges, 283, |p| str_case_hash(&p.name));
        sort_into_buckets(&mut conf.users, 283, |p| str_case_hash(&p.name));
        sort_into_buckets(&mut conf.menus, 283, |p| str_case_hash(&p.name));
        conf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(name: &str, vars: &[(&str, &str)]) -> Category {
        crate::config::views::testutil::category("confbridge.conf", name, vars)
    }

    #[test]
    fn builtin_profiles_and_defaults() {
        let cfg = Config {
            categories: vec![
                cat("general", &[]),
                cat(
                    "conf",
                    &[
                        ("type", "bridge"),
                        ("max_members", "5"),
                        ("sound_join", "hello"),
                    ],
                ),
                cat(
                    "user",
                    &[("type", "user"), ("admin", "yes"), ("bogus", "1")],
                ),
                cat(
                    "menu",
                    &[
                        ("type", "menu"),
                        ("*", "playback_and_continue(conf-usermenu)"),
                        ("1", "toggle_mute"),
                        ("0", "dialplan_exec(ctx,100,2), leave_conference"),
                        ("1", "no_op"),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let c = ConfbridgeConf::from_config(&cfg, &mut d);
        // `bogus`, and the menu's dialplan_exec (not built).
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d.iter().any(|d| d.message
            == "'0': running the dialplan from a menu (dialplan_exec) is not supported by Asterism"));
        let b = c.bridge("CONF").expect("bridge");
        assert_eq!(
            (b.max_members, b.mixing_interval, b.language.as_str()),
            (5, 20, "en")
        );
        assert_eq!(b.sound("sound_join"), "hello");
        assert_eq!(b.sound("sound_leave"), "confbridge-leave");
        let db = c.bridge(DEFAULT_BRIDGE).expect("default bridge");
        assert!(db.record_file_append && db.record_file_timestamp && !db.record_conference);
        assert_eq!(db.video_update_discard, 2000);
        let u = c.user(DEFAULT_USER).expect("default user");
        assert!(u.hear_own_join_sound && u.text_messaging && u.answer_channel && !u.admin);
        assert_eq!(
            (u.dsp_silence_threshold, u.dsp_talking_threshold),
            (2500, 160)
        );
        assert!(c.user("user").expect("user").admin);
        let m = c.menu("menu").expect("menu");
        let lines: Vec<String> = m
            .entries
            .iter()
            .map(|e| {
                format!(
                    "{}={}",
                    e.dtmf,
                    e.actions
                        .iter()
                        .map(MenuAction::display)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                "*=playback_and_continue(conf-usermenu)",
                "0=dialplan_exec(ctx,100,2), leave_conference",
                "1=no_op"
            ]
        );
        assert!(c.menu(DEFAULT_MENU).is_some_and(|m| m.entries.is_empty()));
    }

    #[test]
    fn options_the_conferences_do_not_carry_out_are_reported() {
        let cfg = Config {
            categories: vec![
                cat(
                    "b",
                    &[
                        ("type", "bridge"),
                        ("record_conference", "yes"),
                        ("video_mode", "none"),
                        ("mixing_interval", "40"),
                        ("internal_sample_rate", "8000"),
                        ("max_members", "3"),
                    ],
                ),
                cat(
                    "u",
                    &[
                        ("type", "user"),
                        ("announce_join_leave", "yes"),
                        ("dsp_drop_silence", "no"),
                        ("marked", "yes"),
                        ("talk_detection_events", "yes"),
                        ("dtmf_passthrough", "yes"),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        ConfbridgeConf::from_config(&cfg, &mut d);
        let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "'mixing_interval': a mixing interval other than 20 ms is not supported by Asterism",
                "'announce_join_leave': recording and announcing the caller's name is not supported by Asterism",
                "'dtmf_passthrough': passing DTMF into the conference is not supported by Asterism",
            ]
        );
        assert!(
            d.iter()
                .all(|d| d.severity == Severity::Notice && d.line > 0)
        );
    }

    #[test]
    fn dialplan_profiles_start_from_the_default_or_a_template() {
        let cfg = Config {
            categories: vec![cat("quiet", &[("type", "user"), ("quiet", "yes")])],
            ..Default::default()
        };
        let mut d = Vec::new();
        let c = ConfbridgeConf::from_config(&cfg, &mut d);
        let line = |n: &str, v: &str| (n.to_string(), v.to_string());
        let Ok(Dynamic::User(u)) = c.build_dynamic("user", &[line("admin", "yes")]) else {
            panic!("a user profile");
        };
        assert!(u.admin && !u.quiet && u.name == DEFAULT_USER);
        let Ok(Dynamic::User(u)) =
            c.build_dynamic("USER", &[line("template", "quiet"), line("marked", "yes")])
        else {
            panic!("a templated user profile");
        };
        assert!(u.quiet && u.marked && u.name == "quiet");
        let Ok(Dynamic::Menu(m)) = c.build_dynamic("menu", &[line("1", "toggle_mute")]) else {
            panic!("a menu");
        };
        assert_eq!(m.entries.len(), 1);
        // An unknown option or a bad value is refused, naming its line.
        assert_eq!(
            c.build_dynamic("user", &[line("admin", "yes"), line("bogus", "1")])
                .err(),
            Some(1)
        );
        assert!(
            c.build_dynamic("bridge", &[line("max_members", "x")])
                .is_err()
        );
        assert!(c.build_dynamic("nosuch", &[line("a", "b")]).is_err());
    }
}
