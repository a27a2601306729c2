//! MUTEAUDIO() (res_mutestream.c), whose MuteAudio manager action shares
//! [`mute_channel`]: voice frames of a direction are dropped.

use std::sync::Arc;

use super::{Failed, FuncCtx, Function};
use crate::channels::Channel;

pub fn functions() -> Vec<Function> {
    vec![Function {
        name: "MUTEAUDIO",
        read: None,
        write: Some(mute_write),
        synopsis: "Mutes or unmutes a channel's audio, inbound, outbound or both.",
        syntax: "MUTEAUDIO(in|out|all)",
    }]
}

/// Mutes (`on`) or unmutes the direction named exactly `in` (what the
/// channel reads), `out` (what is written to it) or `all`; false for any
/// other name (`mute_channel`).
pub fn mute_channel(chan: &Arc<Channel>, direction: &str, on: bool) -> bool {
    let (read, write) = match direction {
        "in" => (true, false),
        "out" => (false, true),
        "all" => (true, true),
        _ => return false,
    };
    chan.suppress_voice(read, write, on);
    true
}

fn mute_write(ctx: &FuncCtx<'_>, args: &str, value: &str) -> Result<(), Failed> {
    let Some(chan) = ctx.chan else {
        ctx.warning(
            crate::site!("res_mutestream.c", 160, "func_mute_write"),
            &format!("No channel was provided to {} function.", ctx.name),
        );
        return Err(Failed);
    };
    if mute_channel(chan, args, crate::config::is_true(value)) {
        Ok(())
    } else {
        Err(Failed)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn directions_are_exact_words() {
        let (_dir, sys) = crate::funcs::test_system(&[]);
        let chan = sys.pbx.channels.alloc(
            "Local/x@y-00000000;1".into(),
            "Local",
            0,
            Default::default(),
        );
        assert!(super::mute_channel(&chan, "in", true));
        assert_eq!(chan.voice_muted(), (true, false));
        assert!(super::mute_channel(&chan, "all", true));
        assert_eq!(chan.voice_muted(), (true, true));
        assert!(super::mute_channel(&chan, "out", false));
        assert_eq!(chan.voice_muted(), (true, false));
        assert!(!super::mute_channel(&chan, "IN", true));
        assert!(!super::mute_channel(&chan, "both", true));
    }
}
