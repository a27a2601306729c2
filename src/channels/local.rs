//! Local channels (Asterisk's `main/core_local.c` over `core_unreal.c`):
//! `Local/exten@context[/options]` makes a pair of channels, `;1` for the
//! side that placed the call and `;2` that runs the dialplan at
//! exten@context. What one half does (answer, busy, hangup) the other sees.

use std::sync::Arc;

use super::{ChanState, Channel, Driver, Indication, NewChannel, softhangup};
use crate::core::System;

/// The parsed `exten@context/options` of a Local channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDest {
    pub exten: String,
    pub context: String,
    /// `/n`: no optimisation (kept for `core show channel`; without
    /// bridges there is nothing to optimise yet).
    pub options: String,
}

/// Parses `exten[@context][/options]` (context defaults to `default`).
pub fn parse_dest(data: &str) -> LocalDest {
    let (dest, options) = match data.split_once('/') {
        Some((d, o)) => (d, o.to_string()),
        None => (data, String::new()),
    };
    let (exten, context) = match dest.split_once('@') {
        Some((e, c)) => (e.to_string(), c.to_string()),
        None => (dest.to_string(), "default".to_string()),
    };
    LocalDest {
        exten,
        context: if context.is_empty() {
            "default".into()
        } else {
            context
        },
        options,
    }
}

/// What each half does to the other.
struct LocalDriver;

impl Driver for LocalDriver {
    fn answer(&self, chan: &Arc<Channel>) {
        // `;2` answering is what answers the outbound `;1`.
        if chan.name.ends_with(";2") {
            if let Some(peer) = chan.peer() {
                peer.set_state(ChanState::Up);
                peer.wake();
            }
        }
    }

    fn hangup(&self, chan: &Arc<Channel>) {
        if let Some(peer) = chan.peer() {
            let cause = chan.lock().hangupcause;
            {
                let mut p = peer.lock();
                if p.hangupcause == 0 {
                    p.hangupcause = cause;
                }
            }
            peer.softhangup(softhangup::DEV);
        }
    }

    fn indicate(&self, chan: &Arc<Channel>, condition: Indication) {
        if let Some(peer) = chan.peer() {
            let mut p = peer.lock();
            p.pending_indication = Some(condition);
            drop(p);
            if matches!(condition, Indication::Ringing) && peer.state() != ChanState::Up {
                peer.set_state(ChanState::Ringing);
            }
            peer.wake();
        }
    }
}

/// Creates a Local pair (`local_request`); `;1` comes first.
pub fn request(sys: &System, data: &str, init: NewChannel) -> (Arc<Channel>, Arc<Channel>) {
    let dest = parse_dest(data);
    let chans = &sys.pbx.channels;
    let seq = chans.next_tech_seq("Local");
    let base = format!("Local/{}@{}-{seq:08x}", dest.exten, dest.context);
    let callid = chans.next_callid();
    // The outbound half starts at the same place as the other (Asterisk
    // shows both at exten@context until something moves `;1`).
    let mut one_init = init.clone();
    if one_init.context.is_empty() {
        one_init.context = dest.context.clone();
        one_init.exten = dest.exten.clone();
        one_init.priority = 1;
    }
    let one = chans.alloc(format!("{base};1"), "Local", callid, one_init);
    let (linkedid, inherited) = {
        let d = one.lock();
        (d.linkedid.clone(), d.vars.inheritable())
    };
    let two_init = NewChannel {
        context: dest.context.clone(),
        exten: dest.exten.clone(),
        priority: 1,
        state: Some(ChanState::Ring),
        caller: init.caller.clone(),
        language: init.language.clone(),
        musicclass: init.musicclass.clone(),
        accountcode: init.accountcode.clone(),
        linkedid: Some(linkedid),
        vars: inherited,
    };
    let two = chans.alloc(format!("{base};2"), "Local", callid, two_init);
    one.set_peer(&two);
    two.set_peer(&one);
    let driver: Arc<dyn Driver> = Arc::new(LocalDriver);
    one.set_driver(driver.clone());
    two.set_driver(driver);
    (one, two)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(
            parse_dest("100@office/n"),
            LocalDest {
                exten: "100".into(),
                context: "office".into(),
                options: "n".into()
            }
        );
        assert_eq!(parse_dest("s").context, "default");
    }
}
