//! Presence states (main/presencestate.c) and the `CustomPresence:`
//! provider of func_presencestate.c: states kept in AstDB's
//! `CustomPresence` family as `state[,subtype[,message[,options]]]`, a
//! cache of the last state announced per presentity (what PresenceState
//! and PresenceStateList read), and the PresenceStateChange events.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::core::{System, lock};

/// The AstDB family of `CustomPresence:` states.
pub const CUSTOM_FAMILY: &str = "CustomPresence";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotSet,
    Unavailable,
    Available,
    Away,
    Xa,
    Chat,
    Dnd,
    Invalid,
}

const NAMES: &[(&str, State)] = &[
    ("not_set", State::NotSet),
    ("unavailable", State::Unavailable),
    ("available", State::Available),
    ("away", State::Away),
    ("xa", State::Xa),
    ("chat", State::Chat),
    ("dnd", State::Dnd),
];

impl State {
    /// `ast_presence_state2str` (empty for INVALID).
    pub fn as_str(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("", |(n, _)| n)
    }

    /// `ast_presence_state_val`, without case.
    pub fn parse(text: &str) -> State {
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(text))
            .map_or(State::Invalid, |(_, s)| *s)
    }

    /// Which state wins when a presentity names several providers
    /// (`state_order`).
    fn rank(self) -> u8 {
        match self {
            State::Invalid => 0,
            State::NotSet => 1,
            State::Available => 2,
            State::Unavailable => 3,
            State::Chat => 4,
            State::Away => 5,
            State::Xa => 6,
            State::Dnd => 7,
        }
    }
}

/// A state with its subtype and message (empty when unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub state: State,
    pub subtype: String,
    pub message: String,
}

/// `state,subtype,message,options` as func_presencestate's `parse_data`
/// splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    pub state: State,
    pub subtype: String,
    pub message: String,
    pub options: String,
}

/// Why a value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("no state")]
    NoState,
    #[error("Unknown presence state value {0}")]
    UnknownState(String),
    #[error("Invalid options  '{0}'")]
    BadOptions(String),
}

/// Splits a stored or written value; the options may only hold `e`
/// (subtype and message are base64).
pub fn parse_data(value: &str) -> Result<Data, DataError> {
    // strsep field by field: whatever follows a fourth comma is dropped.
    let mut parts = value.split(',');
    let state_text = parts.next().unwrap_or_default();
    if state_text.is_empty() {
        return Err(DataError::NoState);
    }
    let state = State::parse(state_text);
    if state == State::Invalid {
        return Err(DataError::UnknownState(state_text.to_string()));
    }
    let subtype = parts.next().unwrap_or_default().to_string();
    let message = parts.next().unwrap_or_default().to_string();
    let options = parts.next().unwrap_or_default().to_string();
    if !options.is_empty() && !options.contains('e') {
        return Err(DataError::BadOptions(options));
    }
    Ok(Data {
        state,
        subtype,
        message,
        options,
    })
}

fn decoded(text: &str) -> String {
    crate::core::raw::decode_owned(crate::funcs::base64::decode(text))
}

impl Data {
    /// The subtype and message as meant: decoded under option `e`.
    pub fn presence(&self) -> Presence {
        let (subtype, message) = if self.options.contains('e') {
            (decoded(&self.subtype), decoded(&self.message))
        } else {
            (self.subtype.clone(), self.message.clone())
        };
        Presence {
            state: self.state,
            subtype,
            message,
        }
    }
}

/// The last state announced per presentity (stasis's presence cache), in
/// the order they were first announced; and what each hint last said of
/// its presence (`hint->last_presence_*`).
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<Vec<(String, Presence)>>,
    hints: Mutex<HashMap<(String, String), HintPresence>>,
}

/// A hint's last presence: the subtype and message are unset (NULL)
/// until a change gives them a value, even an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HintPresence {
    state: State,
    subtype: Option<String>,
    message: Option<String>,
}

impl Cache {
    pub fn get(&self, provider: &str) -> Option<Presence> {
        lock(&self.entries)
            .iter()
            .find(|(p, _)| p == provider)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, provider: &str, presence: Presence) {
        let mut e = lock(&self.entries);
        match e.iter_mut().find(|(p, _)| p == provider) {
            Some(slot) => slot.1 = presence,
            None => e.push((provider.to_string(), presence)),
        }
    }

    /// Every cached state in the order stasis's cache container is
    /// walked (`stasis_cache_dump`): by hash bucket, then as inserted.
    pub fn dump(&self) -> Vec<(String, Presence)> {
        let mut all = lock(&self.entries).clone();
        all.sort_by_key(|(p, _)| cache_bucket(p));
        all
    }
}

/// `ast_hashtab_hash_string`.
fn hashtab_hash(s: &str) -> u32 {
    s.bytes()
        .fold(0u32, |t, b| t.wrapping_mul(13).wrapping_add(u32::from(b)))
}

/// The bucket of stasis's cache (563 buckets) holding a presence state:
/// its key hashes the message type's name plus the presentity.
fn cache_bucket(provider: &str) -> u32 {
    let hash = hashtab_hash("ast_presence_state_message_type").wrapping_add(hashtab_hash(provider));
    // ao2 takes the hash as an int: abs(hash % buckets).
    ((hash as i32) % 563).unsigned_abs()
}

/// `custom_presence_callback`: the stored state of `CustomPresence:<name>`
/// (NOT_SET when none is stored, INVALID when what is stored is not one).
fn custom(sys: &System, name: &str) -> Presence {
    let stored = match sys.db.get(CUSTOM_FAMILY, name) {
        Ok(Some(v)) => v,
        _ => {
            return Presence {
                state: State::NotSet,
                subtype: String::new(),
                message: String::new(),
            };
        }
    };
    match parse_data(&stored) {
        Ok(d) => d.presence(),
        Err(_) => Presence {
            state: State::Invalid,
            subtype: String::new(),
            message: String::new(),
        },
    }
}

/// `ast_presence_state_helper`: the state of `providers` (labels joined
/// by `&`), the cache first when `cached`; the highest-ranked state wins.
pub fn state(sys: &System, providers: &str, cached: bool) -> Presence {
    let mut best = Presence {
        state: State::Invalid,
        subtype: String::new(),
        message: String::new(),
    };
    for label in providers.split('&') {
        let mut next = if cached {
            sys.presence.get(label)
        } else {
            None
        };
        if next.is_none() {
            next = if label.contains('/') {
                // No channel driver here reports presence.
                None
            } else if let Some((kind, name)) = label.split_once(':') {
                if kind.eq_ignore_ascii_case("CustomPresence") {
                    Some(custom(sys, name))
                } else {
                    sys.pbx.logger.warning(
                        crate::site!("presencestate.c", 200, "ast_presence_state_helper"),
                        None,
                        &format!("No provider found for label: {kind}"),
                    );
                    None
                }
            } else {
                sys.pbx.logger.warning(
                    crate::site!("presencestate.c", 204, "ast_presence_state_helper"),
                    None,
                    &format!("No label found for presence state provider: {label}"),
                );
                None
            };
        }
        if let Some(n) = next
            && n.state.rank() > best.state.rank()
        {
            best = n;
        }
    }
    best
}

/// The presence part of a hint (after its last `,`), if any
/// (`parse_hint_presence`).
pub fn hint_presence(hint: &str) -> Option<&str> {
    hint.rsplit_once(',')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// What a hint's presence is when the hint is made (`ast_add_hint`): its
/// providers' state if one is set, else not_set without text.
fn hint_initial(sys: &System, hint: &str) -> HintPresence {
    let unset = HintPresence {
        state: State::NotSet,
        subtype: None,
        message: None,
    };
    let Some(providers) = hint_presence(hint) else {
        return unset;
    };
    // The hint was made when the dialplan loaded, from what the cache
    // held then (func_presencestate had announced every stored state):
    // what AstDB says now may already be the change being announced.
    let Some(p) = providers
        .split('&')
        .filter_map(|label| sys.presence.get(label))
        .max_by_key(|p| p.state.rank())
    else {
        return unset;
    };
    if matches!(p.state, State::NotSet | State::Invalid) {
        return unset;
    }
    HintPresence {
        state: p.state,
        subtype: (!p.subtype.is_empty()).then_some(p.subtype),
        message: (!p.message.is_empty()).then_some(p.message),
    }
}

/// The presence state `core show hints` shows for exten@context.
pub fn hint_state(sys: &System, context: &str, exten: &str, hint: &str) -> State {
    let key = (context.to_string(), exten.to_string());
    if let Some(h) = lock(&sys.presence.hints).get(&key) {
        return h.state;
    }
    hint_initial(sys, hint).state
}

/// The hints naming `provider` among their devices or presence providers
/// (split at `&` and `,`, without case), not patterns.
fn hints_naming(sys: &System, provider: &str) -> Vec<(String, String, String)> {
    let loaded = sys.loaded();
    crate::core::devicestate::hints_in_order(&loaded.dialplan)
        .into_iter()
        .filter(|(_, e, p)| {
            !e.name.starts_with('_')
                && p.app
                    .split(['&', ','])
                    .any(|d| d.eq_ignore_ascii_case(provider))
        })
        .map(|(c, e, p)| (c.name.clone(), e.name.clone(), p.app.clone()))
        .collect()
}

/// `presence_state_notify_callbacks` for each hint naming the provider:
/// a hint whose last presence differs from the announced one takes it
/// and its watchers hear it (the manager's PresenceStatus).
fn notify_hints(sys: &System, hints: &[(String, String, String)], p: &Presence) {
    let new = HintPresence {
        state: p.state,
        subtype: Some(p.subtype.clone()),
        message: Some(p.message.clone()),
    };
    for (context, exten, hint) in hints {
        let key = (context.clone(), exten.clone());
        if lock(&sys.presence.hints).insert(key, new.clone()).as_ref() == Some(&new) {
            continue;
        }
        sys.pbx
            .channels
            .events
            .publish_system(crate::core::events::EventKind::Manager {
                class: crate::manager::class::CALL,
                name: "PresenceStatus".to_string(),
                body: format!(
                    "Exten: {exten}\r\nContext: {context}\r\nHint: {hint}\r\nStatus: {}\r\nSubtype: {}\r\nMessage: {}\r\n",
                    p.state.as_str(),
                    p.subtype,
                    p.message
                ),
            });
    }
}

/// `ast_escape_c`: control characters, quotes, `?` and `\` as C escapes.
fn escape_c(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '?' => out.push_str("\\?"),
            c => out.push(c),
        }
    }
    out
}

/// The PresenceStateChange event's fields (after `Event:`).
pub fn event_body(provider: &str, p: &Presence) -> String {
    format!(
        "Presentity: {provider}\r\nStatus: {}\r\nSubtype: {}\r\nMessage: {}\r\n",
        p.state.as_str(),
        escape_c(&p.subtype),
        escape_c(&p.message)
    )
}

/// `ast_presence_state_changed_literal`: NOT_SET is looked up again from
/// the provider; the state is cached and announced.
pub fn changed(sys: &System, provider: &str, p: Presence) {
    let p = if p.state == State::NotSet {
        let now = state(sys, provider, false);
        if now.state == State::Invalid {
            return;
        }
        now
    } else {
        p
    };
    // Hints made before this change start from what was known before it.
    let hints = hints_naming(sys, provider);
    for (context, exten, hint) in &hints {
        let key = (context.clone(), exten.clone());
        if !lock(&sys.presence.hints).contains_key(&key) {
            let initial = hint_initial(sys, hint);
            lock(&sys.presence.hints).insert(key, initial);
        }
    }
    sys.presence.put(provider, p.clone());
    sys.pbx
        .channels
        .events
        .publish_system(crate::core::events::EventKind::Manager {
            class: crate::manager::class::CALL,
            name: "PresenceStateChange".to_string(),
            body: event_body(provider, &p),
        });
    notify_hints(sys, &hints, &p);
}

/// func_presencestate's load: every stored `CustomPresence:` state is
/// announced (and so cached).
pub fn load(sys: &System) {
    let entries = match sys.db.gettree(CUSTOM_FAMILY, "") {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("reading the CustomPresence states: {e}");
            return;
        }
    };
    for e in entries {
        let Some(name) = e.key.rsplit('/').next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let p = custom(sys, name);
        changed(sys, &format!("CustomPresence:{name}"), p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_data_cases() {
        let d = parse_data("away,lunch,back soon").unwrap();
        assert_eq!(d.state, State::Away);
        assert_eq!(
            (d.subtype.as_str(), d.message.as_str()),
            ("lunch", "back soon")
        );
        assert_eq!(parse_data("DND").unwrap().state, State::Dnd);
        assert_eq!(parse_data(""), Err(DataError::NoState));
        assert_eq!(
            parse_data("busy"),
            Err(DataError::UnknownState("busy".into()))
        );
        assert_eq!(
            parse_data("away,a,b,x"),
            Err(DataError::BadOptions("x".into()))
        );
        let e = parse_data("xa,bHVuY2g=,YmFjaw==,e").unwrap().presence();
        assert_eq!((e.subtype.as_str(), e.message.as_str()), ("lunch", "back"));
        assert_eq!(parse_data("chat,,,").unwrap().options, "");
        assert_eq!(parse_data("chat,a,b,e,zzz").unwrap().options, "e");
    }

    #[test]
    fn cache_buckets_as_the_reference_lists_them() {
        // PresenceStateList listed bob before alice.
        assert_eq!(cache_bucket("CustomPresence:alice"), 534);
        assert_eq!(cache_bucket("CustomPresence:bob"), 391);
    }

    #[test]
    fn ranks_and_escapes() {
        assert!(State::Dnd.rank() > State::Away.rank());
        assert!(State::Unavailable.rank() > State::Available.rank());
        assert_eq!(escape_c("a\"b\n?"), "a\\\"b\\n\\?");
        assert_eq!(State::Xa.as_str(), "xa");
        assert_eq!(State::parse("NOT_SET"), State::NotSet);
    }
}
