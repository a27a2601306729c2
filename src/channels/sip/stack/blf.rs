//! chan_sip's BLF pickup: an INVITE whose Replaces names `pickup-` and the
//! Call-ID of a dialog subscription (what `notifycid` announced in the
//! ringing hint's NOTIFY) picks up the call ringing at the watched
//! extension (`handle_request_invite`'s "magic" pickup and
//! `do_magic_pickup`): the new channel runs `Pickup(exten@context)` — with
//! `notifycid=ignore-context`, `Pickup(exten@PICKUPMARK)` — and is hung
//! up after it.

use std::sync::Arc;

use super::Task;
use crate::apps::AppCtx;
use crate::channels::{ChanState, Channel};
use crate::config::views::sip::NotifyCid;
use crate::sip::headers::NameAddr;
use crate::sip::message::Request;
use crate::sip::transaction::TransactionId;

/// The extension and context a `pickup-` Replaces picks up at.
pub(super) struct MagicPickup {
    exten: String,
    context: String,
}

impl Task {
    /// A `pickup-` Replaces, looked at before the caller is authenticated:
    /// `Ok(None)` without one, `Ok(Some(..))` naming the subscription's
    /// extension, `Err(())` when no subscription has that Call-ID (and,
    /// with `pedanticsipchecking`, those tags): answered 481 here.
    pub(super) fn chan_sip_magic_pickup_target(
        &mut self,
        id: TransactionId,
        req: &Request,
    ) -> Result<Option<MagicPickup>, ()> {
        let Some(value) = req.headers.get("Replaces") else {
            return Ok(None);
        };
        let decoded = super::refer::decode(value);
        let Some(rest) = decoded.trim_start().strip_prefix("pickup-") else {
            return Ok(None);
        };
        // chan_sip takes whatever follows `to-tag=` and `from-tag=` in
        // each `;` part, the from-tag cut at `&`.
        let mut parts = rest.split(';');
        let call_id = parts.next().unwrap_or("").to_string();
        let (mut to_tag, mut from_tag) = (None, None);
        for part in parts {
            let lower = part.to_ascii_lowercase();
            if let Some(at) = lower.find("to-tag=") {
                to_tag = Some(part[at + 7..].to_string());
            } else if let Some(at) = lower.find("from-tag=") {
                let tag = &part[at + 9..];
                from_tag = Some(tag.split('&').next().unwrap_or(tag).to_string());
            }
        }
        let pedantic = self.sys.loaded().sip.general.settings.pedantic;
        let found = self
            .subs
            .by_dialog
            .values()
            .find(|s| {
                if s.call_id != call_id {
                    return false;
                }
                if !pedantic {
                    return true;
                }
                // RFC 3891: the to-tag is ours, the from-tag theirs.
                let theirs = NameAddr::parse("From", &s.their_from)
                    .ok()
                    .and_then(|f| f.tag().map(str::to_string))
                    .unwrap_or_default();
                match (&to_tag, &from_tag) {
                    (Some(to), Some(from)) if !to.is_empty() && !from.is_empty() => {
                        *to == s.local_tag && *from == theirs
                    }
                    _ => false,
                }
            })
            .map(|s| MagicPickup {
                exten: s.exten.clone(),
                context: s.context.clone(),
            });
        let logger = &self.sys.pbx.logger;
        match found {
            None => {
                logger.notice(
                    crate::site!("chan_sip.c", 26591, "handle_request_invite"),
                    None,
                    &format!("Unable to find subscription with call-id: {call_id}"),
                );
                // Answered in a dialog of its own (a tag), without a
                // Contact, as chan_sip's error responses are.
                let tag = self.flavor.new_tag();
                let mut r = self.flavor.response(req, 481, Some(&tag), None);
                r.reason = "Call Leg Does Not Exist (Replaces)".to_string();
                let _ = self.tx.send_response(std::time::Instant::now(), id, r);
                Err(())
            }
            Some(p) => {
                logger.notice(
                    crate::site!("chan_sip.c", 26596, "handle_request_invite"),
                    None,
                    &format!("Trying to pick up {}@{}", p.exten, p.context),
                );
                Ok(Some(p))
            }
        }
    }

    /// `do_magic_pickup` on the new call's channel: ringing, it runs
    /// Pickup at the subscription's extension, then is hung up (what is
    /// left of it after a pickup, or itself when nothing was picked up).
    pub(super) fn chan_sip_magic_pickup(&mut self, pickup: MagicPickup, chan: &Arc<Channel>) {
        chan.set_state(ChanState::Ring);
        let ignore_context =
            self.sys.loaded().sip.general.settings.notifycid == NotifyCid::IgnoreContext;
        let target = if ignore_context {
            format!("{}@PICKUPMARK", pickup.exten)
        } else {
            format!("{}@{}", pickup.exten, pickup.context)
        };
        let ctx = AppCtx {
            sys: self.sys.clone(),
            chan: chan.clone(),
        };
        tokio::spawn(async move {
            match crate::apps::find("Pickup") {
                Some(app) => {
                    // Whatever Pickup did, the channel is hung up after.
                    let _ = crate::apps::exec(&ctx, app, &target).await;
                }
                None => ctx.sys.pbx.logger.error(
                    crate::site!("chan_sip.c", 26084, "do_magic_pickup"),
                    None,
                    "Unable to perform pickup: Application 'Pickup' not loaded (app_directed_pickup.so).",
                ),
            }
            let left = match ctx.chan.take_masq_left() {
                Some(left) => {
                    // As after chan_sip's other pickup (an INVITE with
                    // Replaces of a ringing leg): the call, now the Dial's
                    // answered leg, ends with a normal clearing (its later
                    // BYE asks for a hangup with cause 16).
                    ctx.chan.lock().hangupcause = crate::channels::causes::NORMAL_CLEARING;
                    left
                }
                None => ctx.chan.clone(),
            };
            crate::pbx::run::hangup_channel(&ctx.sys, &left);
        });
    }
}
