//! What the one-touch recording features (`automon`, `automixmon`;
//! Asterisk's `bridges/bridge_builtin_features.c`) share: the
//! `TOUCH_*` variables that name the recording, the name made of them,
//! and the tones played to both parties.

use std::sync::Arc;

use super::AppCtx;
use crate::channels::Channel;
use crate::core::System;

/// A one-touch recording's name and settings.
pub struct Touch {
    /// `<prefix>-<time>-<TOUCH_…>` or `<prefix>-<time>-<caller>-<peer>`
    /// (each party's caller number, else its channel name), `/` made `-`,
    /// without extension.
    pub name: String,
    /// `TOUCH_…_FORMAT`, when set.
    pub format: Option<String>,
    /// `TOUCH_…_BEEP` (a periodic beep's interval), when set.
    pub beep: Option<String>,
}

/// `set_touch_variables` then the name: the variables named after `var`
/// (`TOUCH_MONITOR` or `TOUCH_MIXMONITOR`) on the keying channel, else,
/// when it has none of them, on its peer.
pub fn touch(chan: &Channel, peer: &Channel, var: &str) -> Touch {
    let read = |c: &Channel| {
        let get = |suffix: &str| {
            c.get_var(&format!("{var}{suffix}"))
                .filter(|s| !s.is_empty())
        };
        [get("_FORMAT"), get(""), get("_PREFIX"), get("_BEEP")]
    };
    let mut vars = read(chan);
    if vars.iter().all(Option::is_none) {
        vars = read(peer);
    }
    let [format, monitor, prefix, beep] = vars;
    let prefix = prefix.unwrap_or_else(|| "auto".into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id_of = |c: &Channel| {
        c.lock()
            .caller
            .id
            .number()
            .map(str::to_string)
            .unwrap_or_else(|| c.name.clone())
    };
    let name = match &monitor {
        Some(m) => format!("{prefix}-{now}-{m}"),
        None => format!("{prefix}-{now}-{}-{}", id_of(chan), id_of(peer)),
    }
    .replace('/', "-");
    Touch { name, format, beep }
}

/// A tone or message to both parties (`ast_bridge_channel_queue_playfile`
/// to the keying channel, `…_write_playfile` to the bridge); a party
/// without media of its own hears nothing.
pub fn play_to_both(sys: &Arc<System>, chan: &Arc<Channel>, peer: &Arc<Channel>, sound: &str) {
    if sound.is_empty() {
        return;
    }
    for c in [chan, peer] {
        play(sys, c, sound);
    }
}

/// A sound to one party, without waiting for it.
pub fn play(sys: &Arc<System>, chan: &Arc<Channel>, sound: &str) {
    if sound.is_empty() || chan.media_port().is_none() {
        return;
    }
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: chan.clone(),
    };
    let _ = super::playback::start_file(&ctx, sound);
}

/// The features' verbose lines (level 4).
pub fn verbose(sys: &System, line: u32, function: &'static str, msg: &str) {
    sys.pbx.logger.verbose(
        4,
        &crate::core::logger::Site {
            file: "bridge_builtin_features.c",
            line,
            function,
        },
        None,
        msg,
    );
}
