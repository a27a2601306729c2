//! DTMF features in bridges: which built-in features a channel may use
//! (Dial's `t T h H k K w W x X`, `BRIDGE_FEATURES`,
//! `CHANNEL(dtmf_features)`: Asterisk's features datastore), the codes that
//! start them (features.conf `[featuremap]`, overridden per channel by
//! `FEATUREMAP()`), and the matching of a bridged channel's digits against
//! those codes (the DTMF hook state of `main/bridge_channel.c`).
//!
//! The matcher is sans-IO: digits and the time go in, what to do comes out.

use std::time::{Duration, Instant};

use crate::config::views::features::{AppMapItem, FeatureMap, FeaturesConf, FeaturesGeneral};

/// The features a channel may use in a bridge (`AST_FEATURE_*` flags).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FeatureFlags {
    /// Blind and attended transfer (`T`/`t`).
    pub redirect: bool,
    /// Parking the call (`K`/`k`).
    pub parkcall: bool,
    /// Hanging up the bridge (`H`/`h`).
    pub disconnect: bool,
    /// One-touch Monitor (`W`/`w`).
    pub automon: bool,
    /// One-touch MixMonitor (`X`/`x`).
    pub automixmon: bool,
}

/// The letters of a features string, in the order Asterisk writes them.
const LETTERS: [char; 5] = ['T', 'K', 'H', 'W', 'X'];

impl FeatureFlags {
    fn flag_mut(&mut self, letter: char) -> Option<&mut bool> {
        match letter {
            'T' => Some(&mut self.redirect),
            'K' => Some(&mut self.parkcall),
            'H' => Some(&mut self.disconnect),
            'W' => Some(&mut self.automon),
            'X' => Some(&mut self.automixmon),
            _ => None,
        }
    }

    fn flag(&self, letter: char) -> bool {
        match letter {
            'T' => self.redirect,
            'K' => self.parkcall,
            'H' => self.disconnect,
            'W' => self.automon,
            'X' => self.automixmon,
            _ => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == FeatureFlags::default()
    }

    /// Both sets of features (`ast_bridge_features_ds_append`).
    pub fn union(self, other: FeatureFlags) -> FeatureFlags {
        FeatureFlags {
            redirect: self.redirect || other.redirect,
            parkcall: self.parkcall || other.parkcall,
            disconnect: self.disconnect || other.disconnect,
            automon: self.automon || other.automon,
            automixmon: self.automixmon || other.automixmon,
        }
    }

    /// Reads a features string (`BRIDGE_FEATURES`, `CHANNEL(dtmf_features)`):
    /// upper-case letters only. `Err` names the problem as Asterisk logs it;
    /// letters it knows nothing of are returned to be warned about.
    pub fn parse(features: &str) -> Result<(FeatureFlags, String), String> {
        let mut flags = FeatureFlags::default();
        let mut unknown = String::new();
        for c in features.chars() {
            if !c.is_ascii_uppercase() {
                return Err(format!(
                    "Features string '{features}' rejected because it contains non-uppercase feature."
                ));
            }
            match flags.flag_mut(c) {
                Some(f) => *f = true,
                None => unknown.push(c),
            }
        }
        Ok((flags, unknown))
    }

    /// The features string of these flags (`T`, `K`, `H`, `W`, `X`).
    pub fn letters(&self) -> String {
        LETTERS.iter().filter(|l| self.flag(**l)).collect()
    }

    /// Dial's options for one side: the caller's are the upper-case
    /// letters, the callee's the lower-case ones.
    pub fn from_dial_options(has: impl Fn(char) -> bool, caller: bool) -> FeatureFlags {
        let mut flags = FeatureFlags::default();
        for l in LETTERS {
            let option = if caller { l } else { l.to_ascii_lowercase() };
            if has(option)
                && let Some(f) = flags.flag_mut(l)
            {
                *f = true;
            }
        }
        flags
    }
}

/// What a matched code starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    BlindTransfer,
    AttendedTransfer,
    Disconnect,
    ParkCall,
    AutoMon,
    AutoMixMon,
    /// During an attended transfer's consultation (`atxferabort` …).
    AtxferAbort,
    AtxferComplete,
    AtxferThreeway,
    AtxferSwap,
    /// An `[applicationmap]` item the channel's DYNAMIC_FEATURES names.
    Dynamic(AppMapItem),
}

impl Hook {
    /// The feature's name in features.conf.
    pub fn name(&self) -> &str {
        match self {
            Hook::Dynamic(item) => &item.name,
            Hook::BlindTransfer => "blindxfer",
            Hook::AttendedTransfer => "atxfer",
            Hook::Disconnect => "disconnect",
            Hook::ParkCall => "parkcall",
            Hook::AutoMon => "automon",
            Hook::AutoMixMon => "automixmon",
            Hook::AtxferAbort => "atxferabort",
            Hook::AtxferComplete => "atxfercomplete",
            Hook::AtxferThreeway => "atxferthreeway",
            Hook::AtxferSwap => "atxferswap",
        }
    }
}

/// The name the FEATURE_DETECTION test event gives a code that ran
/// (`testsuite_notify_feature_success`): the first feature of the
/// channel's feature map with that code, then the three-way code, else
/// `unknown`; by code, so a consultation's `*2` that is also the atxfer
/// code is named `atxfer`.
pub fn detected_name(code: &str, map: &FeatureMap, atxferthreeway: &str) -> &'static str {
    let named = [
        (&map.blindxfer, "blindxfer"),
        (&map.atxfer, "atxfer"),
        (&map.disconnect, "disconnect"),
        (&map.automon, "automon"),
        (&map.automixmon, "automixmon"),
        (&map.parkcall, "parkcall"),
    ];
    match named.iter().find(|(c, _)| c.as_str() == code) {
        Some((_, name)) => name,
        None if code == atxferthreeway => "atxferthreeway",
        None => "unknown",
    }
}

/// A bridged channel's hooks: DTMF codes and what they start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks(Vec<(String, Hook)>);

impl Hooks {
    /// The built-in hooks `flags` enable, with the channel's codes
    /// (`setup_bridge_features_builtin`); features without a code are off.
    pub fn builtin(flags: FeatureFlags, map: &FeatureMap) -> Hooks {
        let mut hooks = Hooks::default();
        let wanted = [
            (flags.redirect, Hook::BlindTransfer),
            (flags.redirect, Hook::AttendedTransfer),
            (flags.disconnect, Hook::Disconnect),
            (flags.parkcall, Hook::ParkCall),
            (flags.automon, Hook::AutoMon),
            (flags.automixmon, Hook::AutoMixMon),
        ];
        for (on, hook) in wanted {
            if !on {
                continue;
            }
            if let Some(code) = map.code(hook.name()) {
                hooks.add(code, hook);
            }
        }
        hooks
    }

    /// The hooks of a transferer consulting the target
    /// (`add_transferer_role`'s abort/complete/threeway/swap).
    pub fn atxfer(general: &FeaturesGeneral) -> Hooks {
        let mut hooks = Hooks::default();
        hooks.add(&general.atxferabort, Hook::AtxferAbort);
        hooks.add(&general.atxfercomplete, Hook::AtxferComplete);
        hooks.add(&general.atxferthreeway, Hook::AtxferThreeway);
        hooks.add(&general.atxferswap, Hook::AtxferSwap);
        hooks
    }

    /// Adds a hook, kept sorted by code as Asterisk's container is; a
    /// hook with the same code is replaced (the container replaces
    /// duplicates); an empty code adds nothing.
    pub fn add(&mut self, code: &str, hook: Hook) {
        if code.is_empty() {
            return;
        }
        match self.0.binary_search_by(|(c, _)| c.as_str().cmp(code)) {
            Ok(at) => self.0[at].1 = hook,
            Err(at) => self.0.insert(at, (code.to_string(), hook)),
        }
    }

    /// Adds the dynamic features (`setup_bridge_features_dynamic`), after
    /// the built-in ones so a dynamic feature on the same code wins.
    pub fn add_dynamic(&mut self, items: Vec<AppMapItem>) {
        for item in items {
            let code = item.dtmf.clone();
            self.add(&code, Hook::Dynamic(item));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The code that starts `hook`.
    pub fn code(&self, hook: &Hook) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, h)| h == hook)
            .map(|(c, _)| c.as_str())
    }

    /// The first hook (in code order) whose code starts with `prefix`.
    fn find_partial(&self, prefix: &str) -> Option<&(String, Hook)> {
        self.0.iter().find(|(c, _)| c.starts_with(prefix))
    }
}

/// The applicationmap items a channel's DYNAMIC_FEATURES names
/// (`ast_get_chan_applicationmap`): `#`-separated feature group names
/// (each group's items, with the group's code when it gives one) or item
/// names, ordered by item name. The second list holds the names that are
/// neither, which Asterisk warns about.
pub fn dynamic_features(conf: &FeaturesConf, names: &str) -> (Vec<AppMapItem>, Vec<String>) {
    let mut items: Vec<AppMapItem> = Vec::new();
    let mut unknown = Vec::new();
    if names.is_empty() {
        return (items, unknown);
    }
    for name in names.split('#') {
        if let Some(group) = conf
            .groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
        {
            for (item_name, code) in &group.items {
                let Some(item) = conf.app(item_name) else {
                    continue;
                };
                let mut item = item.clone();
                if !code.is_empty() {
                    item.dtmf = code.clone();
                }
                items.push(item);
            }
        } else if let Some(item) = conf.app(name) {
            items.push(item.clone());
        } else {
            unknown.push(name.to_string());
        }
    }
    // A sorted list that allows duplicates: a stable sort by name.
    items.sort_by_key(|i| i.name.to_ascii_lowercase());
    (items, unknown)
}

/// Asterisk keeps at most this many collected digits.
const MAX_COLLECTED: usize = 10;

/// What a digit (or the time passing) asks the bridge to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Not part of any code: the digit goes on to the others.
    Pass(char),
    /// Kept, waiting for more digits until [`Matcher::deadline`].
    Collecting,
    /// A code matched: run its hook.
    Run(Hook),
    /// No code can match any more: these digits go on to the others.
    Flush(String),
}

/// A bridged channel's digits being matched against its hooks.
#[derive(Debug, Default)]
pub struct Matcher {
    collected: String,
    deadline: Option<Instant>,
}

impl Matcher {
    /// Whether the start of `digit` is kept from the others: it is while a
    /// sequence is being collected or when the digit starts one.
    pub fn eats_begin(&self, hooks: &Hooks, digit: char) -> bool {
        !self.collected.is_empty() || hooks.find_partial(&digit.to_string()).is_some()
    }

    /// A digit ended (`bridge_handle_dtmf`, `ast_bridge_channel_feature_digit`).
    pub fn digit(
        &mut self,
        hooks: &Hooks,
        digit: char,
        now: Instant,
        digit_timeout: Duration,
    ) -> Step {
        if self.collected.is_empty() && hooks.find_partial(&digit.to_string()).is_none() {
            return Step::Pass(digit);
        }
        if self.collected.len() < MAX_COLLECTED {
            self.collected.push(digit);
        }
        match hooks.find_partial(&self.collected) {
            None => self.flush(),
            Some((code, _)) if code.len() != self.collected.len() => {
                self.deadline = Some(now + digit_timeout);
                Step::Collecting
            }
            Some((_, hook)) => {
                self.collected.clear();
                self.deadline = None;
                Step::Run(hook.clone())
            }
        }
    }

    /// When the digits collected so far stop waiting for more.
    pub fn deadline(&self) -> Option<Instant> {
        if self.collected.is_empty() {
            None
        } else {
            self.deadline
        }
    }

    /// The time passed: once the interdigit timeout expired, what was
    /// collected goes on to the others.
    pub fn expire(&mut self, now: Instant) -> Option<Step> {
        match self.deadline() {
            Some(d) if now >= d => Some(self.flush()),
            _ => None,
        }
    }

    fn flush(&mut self) -> Step {
        self.deadline = None;
        Step::Flush(std::mem::take(&mut self.collected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn freepbx() -> Hooks {
        let map = FeatureMap {
            blindxfer: "##".into(),
            atxfer: "*2".into(),
            disconnect: "**".into(),
            ..FeatureMap::default()
        };
        let flags = FeatureFlags {
            redirect: true,
            disconnect: true,
            ..FeatureFlags::default()
        };
        Hooks::builtin(flags, &map)
    }

    #[test]
    fn features_strings_read_and_write_as_asterisk_does() {
        let (f, unknown) = FeatureFlags::parse("HTZ").expect("upper case");
        assert!(f.redirect && f.disconnect && !f.parkcall);
        assert_eq!(unknown, "Z");
        assert_eq!(f.letters(), "TH");
        assert!(FeatureFlags::parse("Th").is_err());
        let callee = FeatureFlags::from_dial_options(|c| "tHx".contains(c), false);
        assert!(callee.redirect && callee.automixmon && !callee.disconnect);
        let caller = FeatureFlags::from_dial_options(|c| "tHx".contains(c), true);
        assert_eq!(caller.letters(), "H");
    }

    #[test]
    fn only_enabled_features_with_a_code_get_hooks() {
        let map = FeatureMap::default();
        let flags = FeatureFlags {
            redirect: true,
            ..FeatureFlags::default()
        };
        // atxfer has no default code: only blind transfer on #.
        let hooks = Hooks::builtin(flags, &map);
        assert_eq!(hooks, {
            let mut h = Hooks::default();
            h.add("#", Hook::BlindTransfer);
            h
        });
        let map = FeatureMap {
            atxfer: "*3".into(),
            ..map
        };
        let hooks = Hooks::builtin(flags, &map);
        assert_eq!(
            hooks.find_partial("*").map(|h| &h.1),
            Some(&Hook::AttendedTransfer)
        );
        assert!(Hooks::builtin(FeatureFlags::default(), &map).is_empty());
    }

    #[test]
    fn digits_collect_into_codes_and_others_pass() {
        let hooks = freepbx();
        let mut m = Matcher::default();
        let t0 = Instant::now();
        let wait = Duration::from_millis(1000);
        assert_eq!(m.digit(&hooks, '5', t0, wait), Step::Pass('5'));
        assert!(m.eats_begin(&hooks, '*') && !m.eats_begin(&hooks, '5'));
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(m.deadline(), Some(t0 + wait));
        // While collecting, every digit is kept.
        assert!(m.eats_begin(&hooks, '5'));
        assert_eq!(
            m.digit(&hooks, '2', t0, wait),
            Step::Run(Hook::AttendedTransfer)
        );
        assert_eq!(m.deadline(), None);
        assert_eq!(m.digit(&hooks, '#', t0, wait), Step::Collecting);
        assert_eq!(m.digit(&hooks, '3', t0, wait), Step::Flush("#3".into()));
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Run(Hook::Disconnect));
    }

    #[test]
    fn an_unfinished_code_goes_on_after_the_timeout() {
        let hooks = freepbx();
        let mut m = Matcher::default();
        let t0 = Instant::now();
        let wait = Duration::from_millis(1000);
        assert_eq!(m.digit(&hooks, '#', t0, wait), Step::Collecting);
        assert_eq!(m.expire(t0 + Duration::from_millis(999)), None);
        assert_eq!(m.expire(t0 + wait), Some(Step::Flush("#".into())));
        assert_eq!(m.expire(t0 + wait * 2), None);
    }

    fn item(name: &str, dtmf: &str) -> AppMapItem {
        AppMapItem {
            name: name.into(),
            dtmf: dtmf.into(),
            activate_on_self: true,
            app: "Playback".into(),
            app_data: "beep".into(),
            moh_class: String::new(),
            origin: None,
        }
    }

    #[test]
    fn dynamic_features_come_from_items_and_groups() {
        use crate::config::views::features::FeatureGroup;
        let conf = FeaturesConf {
            applicationmap: vec![item("beep", "*7"), item("zap", "*9")],
            groups: vec![FeatureGroup {
                name: "Staff".into(),
                items: vec![("zap".into(), "*0".into()), ("beep".into(), String::new())],
            }],
            ..FeaturesConf::default()
        };
        let (items, unknown) = dynamic_features(&conf, "ZAP#nothing#staff#");
        let codes: Vec<_> = items
            .iter()
            .map(|i| (i.name.as_str(), i.dtmf.as_str()))
            .collect();
        assert_eq!(codes, [("beep", "*7"), ("zap", "*9"), ("zap", "*0")]);
        assert_eq!(unknown, ["nothing", ""]);
        assert_eq!(dynamic_features(&conf, ""), (Vec::new(), Vec::new()));
    }

    #[test]
    fn a_dynamic_feature_replaces_a_builtin_on_the_same_code() {
        let mut hooks = freepbx();
        hooks.add_dynamic(vec![item("mine", "**"), item("other", "*5")]);
        let mut m = Matcher::default();
        let t0 = Instant::now();
        let wait = Duration::from_millis(1000);
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(
            m.digit(&hooks, '*', t0, wait),
            Step::Run(Hook::Dynamic(item("mine", "**")))
        );
        assert_eq!(hooks.code(&Hook::Disconnect), None);
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(
            m.digit(&hooks, '5', t0, wait),
            Step::Run(Hook::Dynamic(item("other", "*5")))
        );
    }

    #[test]
    fn consultation_hooks_use_the_transfer_settings() {
        let hooks = Hooks::atxfer(&FeaturesGeneral::default());
        let mut m = Matcher::default();
        let t0 = Instant::now();
        let wait = Duration::from_millis(1000);
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(m.digit(&hooks, '1', t0, wait), Step::Run(Hook::AtxferAbort));
        assert_eq!(m.digit(&hooks, '*', t0, wait), Step::Collecting);
        assert_eq!(m.digit(&hooks, '4', t0, wait), Step::Run(Hook::AtxferSwap));
    }
}
