//! Call pickup (Asterisk's `main/pickup.c`): a channel takes over a
//! ringing one, which the calling side (Dial) then finds answered by it.
//! Used by the pickup extension of features.conf (`pickupexten`, checked
//! by the SIP drivers before the dialplan) and by app_directed_pickup's
//! Pickup and PickupChan (`crate::apps::pickup`).

use std::sync::Arc;

use super::{ChanState, Channel, causes};
use crate::core::System;
use crate::core::events::EventKind;

/// `ast_can_pickup`: no PBX runs on it, it rings (or is still down:
/// some devices answer an INVITE with 183 only), and nobody is picking
/// it up already (or has: a masqueraded channel stays marked). Asterism
/// also wants it to be a leg of Dial, the one waiter here that follows a
/// masquerade (Queue's members and originated calls are not taken).
pub fn can_pickup(chan: &Channel) -> bool {
    !chan.is_dead() && pickable(&chan.lock())
}

fn pickable(d: &super::ChanData) -> bool {
    !d.has_pbx
        && !d.pickup_active
        && d.appl.as_deref() == Some("AppDial")
        && matches!(
            d.state,
            ChanState::Ringing | ChanState::Ring | ChanState::Down
        )
}

/// Marks `target` as being picked up if it still may be (the check and
/// the mark under one lock, so two pickups cannot both take it).
pub fn claim(target: &Channel) -> bool {
    if target.is_dead() {
        return false;
    }
    let mut d = target.lock();
    if !pickable(&d) {
        return false;
    }
    d.pickup_active = true;
    true
}

/// Gives a claimed channel back after a pickup that did not happen.
fn release(target: &Channel) {
    target.lock().pickup_active = false;
}

/// `ast_pickup_find_by_group`: the oldest channel that may be picked up
/// whose call groups meet `chan`'s pickup groups (numbered or named),
/// claimed for `chan`.
pub fn find_by_group(sys: &System, chan: &Arc<Channel>) -> Option<Arc<Channel>> {
    oldest_in_groups(sys.pbx.channels.all(), chan)
}

/// [`find_by_group`] among `channels`.
fn oldest_in_groups(channels: Vec<Arc<Channel>>, chan: &Arc<Channel>) -> Option<Arc<Channel>> {
    let (pickup, named) = {
        let d = chan.lock();
        (d.props.pickupgroup, d.props.named_pickupgroups.clone())
    };
    let mut candidates: Vec<Arc<Channel>> = channels
        .into_iter()
        .filter(|t| !Arc::ptr_eq(t, chan) && can_pickup(t))
        .filter(|t| {
            let d = t.lock();
            pickup & d.props.callgroup != 0
                || named
                    .0
                    .iter()
                    .any(|n| d.props.named_callgroups.0.contains(n))
        })
        .collect();
    // Oldest first; one another pickup took meanwhile is passed over.
    candidates.sort_by_key(|c| c.created_at);
    candidates.into_iter().find(|c| claim(c))
}

/// Why a pickup did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PickupError {
    #[error("no channel to pick up")]
    NoTarget,
    #[error("the pickup could not be completed")]
    Failed,
}

/// `ast_do_pickup`: `chan` takes the place of `target` (claimed by one
/// of the finders): it learns the target's connected line, is answered,
/// and is masqueraded into the target's place, where whoever called the
/// target (Dial) finds it answered; the Pickup event follows. `chan`'s
/// holder goes on with `target` (see [`super::Channel::take_masq_left`]),
/// hung up, with the cause Answered elsewhere.
pub fn do_pickup(
    sys: &System,
    chan: &Arc<Channel>,
    target: &Arc<Channel>,
) -> Result<(), PickupError> {
    if chan.check_hangup() || target.is_dead() {
        release(target);
        return Err(PickupError::Failed);
    }
    // The picker learns who the target was being called by.
    let connected = target.lock().connected.id.clone();
    super::bridge::apply_connected_line(chan, connected);
    chan.answer();
    // Tells the target's ringing side this was not a missed call.
    chan.lock().hangupcause = causes::ANSWERED_ELSEWHERE;
    let chan_snapshot = Arc::new(chan.snapshot());
    let target_snapshot = target.published_snapshot();
    super::masquerade(target, chan);
    // The structure Asterisk leaves to the target's holder keeps the
    // target's datastores, func_lock's among them: here that is `chan`.
    sys.pbx.channels.locks.moved(target, chan);
    sys.pbx.channels.events.publish(
        EventKind::Pickup {
            target: target_snapshot,
        },
        chan_snapshot,
    );
    Ok(())
}

/// `ast_pickup_call`: picks up a ringing channel of `chan`'s pickup
/// groups. With features.conf's `pickupsound` the picked-up call gets
/// BRIDGE_PLAY_SOUND; a failure plays `pickupfailsound` (answering
/// first) when one is set.
pub async fn pickup_call(sys: &Arc<System>, chan: &Arc<Channel>) -> Result<(), PickupError> {
    let general = {
        let loaded = sys.loaded();
        crate::funcs::features::channel_features(&loaded.features, chan)
            .general
            .clone()
    };
    let mut res = Err(PickupError::NoTarget);
    if let Some(target) = find_by_group(sys, chan) {
        sys.pbx.logger.notice(
            crate::site!("pickup.c", 223, "ast_pickup_call"),
            None,
            &format!("Pickup {} attempt by {}", target.name, chan.name),
        );
        res = do_pickup(sys, chan, &target);
        match res {
            // The channel left in the target's place is `chan` itself now.
            Ok(()) if !general.pickupsound.is_empty() => {
                chan.set_var_event("BRIDGE_PLAY_SOUND", &general.pickupsound);
            }
            Ok(()) => {}
            Err(_) => sys.pbx.logger.warning(
                crate::site!("pickup.c", 232, "ast_pickup_call"),
                None,
                &format!("Pickup {} failed by {}", target.name, chan.name),
            ),
        }
    }
    if res.is_err() && !general.pickupfailsound.is_empty() {
        let ctx = crate::apps::AppCtx {
            sys: sys.clone(),
            chan: chan.clone(),
        };
        chan.answer();
        let _ = crate::apps::playback::stream_file(&ctx, &general.pickupfailsound, "").await;
    }
    res
}

/// What a SIP driver does with a call to the pickup extension (chan_sip's
/// `sip_pickup_thread`, chan_pjsip's `call_pickup_incoming_request`):
/// a group pickup outside the dialplan, then a hangup of whatever
/// channel it is left with: its own after a failure, with the cause Call
/// rejected, or the one it took over. chan_sip sets Normal Clearing
/// before the pickup, which then gives the channel taken over Answered
/// elsewhere; pjsip sets it after, on the channel taken over.
pub async fn pickup_exten(sys: Arc<System>, chan: Arc<Channel>, cause_after: bool) {
    if !cause_after {
        chan.lock().hangupcause = causes::NORMAL_CLEARING;
    }
    let res = pickup_call(&sys, &chan).await;
    let left = match res {
        Ok(()) => {
            let left = chan.take_masq_left().unwrap_or(chan);
            if cause_after {
                left.lock().hangupcause = causes::NORMAL_CLEARING;
            }
            left
        }
        Err(_) => {
            chan.lock().hangupcause = causes::CALL_REJECTED;
            chan
        }
    };
    crate::pbx::run::hangup_channel(&sys, &left);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::{Channels, NewChannel};
    use crate::config::views::groups::NamedGroups;

    /// A ringing leg of Dial with the given groups.
    fn leg(chans: &Channels, name: &str, callgroup: u64, named: &str) -> Arc<Channel> {
        // Creation times apart, as the oldest is chosen.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let c = chans.alloc(name.into(), "SIP", 0, NewChannel::default());
        let mut d = c.lock();
        d.state = ChanState::Ringing;
        d.appl = Some("AppDial".into());
        d.props.callgroup = callgroup;
        d.props.named_callgroups = NamedGroups::parse(named);
        drop(d);
        c
    }

    #[test]
    fn group_pickup_takes_the_oldest_matching_leg_once() {
        let chans = Channels::new("");
        let picker = chans.alloc("SIP/1002-00000000".into(), "SIP", 0, NewChannel::default());
        picker.lock().props.pickupgroup = 1 << 1;
        let other_group = leg(&chans, "SIP/2001-00000001", 1 << 2, "");
        let older = leg(&chans, "SIP/1001-00000002", 1 << 1, "");
        let newer = leg(&chans, "SIP/1003-00000003", 1 << 1, "");
        let all = || vec![newer.clone(), other_group.clone(), older.clone()];
        let found = oldest_in_groups(all(), &picker);
        assert!(found.is_some_and(|f| Arc::ptr_eq(&f, &older)));
        // Claimed: the next pickup gets the other one.
        let found = oldest_in_groups(all(), &picker);
        assert!(found.is_some_and(|f| Arc::ptr_eq(&f, &newer)));
        assert!(oldest_in_groups(all(), &picker).is_none());
    }

    #[test]
    fn named_groups_match_and_running_or_answered_channels_do_not() {
        let chans = Channels::new("");
        let picker = chans.alloc("SIP/1099-00000000".into(), "SIP", 0, NewChannel::default());
        picker.lock().props.named_pickupgroups = NamedGroups::parse("sales,support");
        let up = leg(&chans, "SIP/1001-00000001", 0, "sales");
        up.lock().state = ChanState::Up;
        let with_pbx = leg(&chans, "SIP/1001-00000002", 0, "support");
        with_pbx.lock().has_pbx = true;
        let not_dial = leg(&chans, "SIP/1001-00000003", 0, "sales");
        not_dial.lock().appl = Some("AppQueue".into());
        let elsewhere = leg(&chans, "SIP/1001-00000004", 0, "marketing");
        let all = vec![up, with_pbx, not_dial, elsewhere];
        assert!(oldest_in_groups(all.clone(), &picker).is_none());
        let ringing = leg(&chans, "SIP/1001-00000005", 0, "support");
        let mut all = all;
        all.push(ringing.clone());
        let found = oldest_in_groups(all, &picker);
        assert!(found.is_some_and(|f| Arc::ptr_eq(&f, &ringing)));
    }
}
