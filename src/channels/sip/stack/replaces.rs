//! A phone's INVITE with Replaces on chan_pjsip (RFC 3891), as
//! res_pjsip_refer's INVITE supplement handles it: the new call takes the
//! place of one of ours. A phone's directed pickup (a BLF key on a ringing
//! line) names the early dialog we opened towards the ringing phone: the
//! new channel is answered and moved into the ringing leg's place, where
//! the Dial waiting on that leg finds it answered, and the ringing phone's
//! INVITE is cancelled. chan_sip (`handle_invite_replaces`) does the
//! same through a pickup (the Pickup event) when the channel may be
//! picked up, else the same move.

use std::sync::Arc;
use std::time::Instant;

use super::{CallState, Task};
use crate::channels::{ChanState, Channel};
use crate::sip::message::Request;
use crate::sip::transaction::TransactionId;

/// What a Replaces header names (`pjsip_replaces_hdr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replaces {
    pub call_id: String,
    /// The tag of our end of the dialog.
    pub to_tag: String,
    /// The tag of the other end.
    pub from_tag: String,
    /// `early-only`: only a dialog not yet answered may be replaced.
    pub early_only: bool,
}

/// The parts of a Replaces value as it reads: its Call-ID, and each tag
/// and the `early-only` flag if given.
struct Fields<'a> {
    call_id: &'a str,
    to_tag: Option<&'a str>,
    from_tag: Option<&'a str>,
    early_only: bool,
}

impl<'a> Fields<'a> {
    /// `callid;to-tag=..;from-tag=..[;early-only]`; `None` without a
    /// Call-ID.
    fn read(value: &'a str) -> Option<Fields<'a>> {
        let mut parts = value.split(';');
        let call_id = parts.next().map(str::trim).filter(|c| !c.is_empty())?;
        let mut fields = Fields {
            call_id,
            to_tag: None,
            from_tag: None,
            early_only: false,
        };
        for p in parts {
            let (name, v) = match p.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (p.trim(), None),
            };
            match (name.to_ascii_lowercase().as_str(), v) {
                ("to-tag", Some(v)) => fields.to_tag = Some(v),
                ("from-tag", Some(v)) => fields.from_tag = Some(v),
                ("early-only", _) => fields.early_only = true,
                _ => {}
            }
        }
        Some(fields)
    }
}

impl Replaces {
    /// Reads a Replaces value (`callid;to-tag=..;from-tag=..[;early-only]`);
    /// `None` when it names no Call-ID or lacks a tag.
    pub fn parse(value: &str) -> Option<Replaces> {
        let f = Fields::read(value)?;
        Some(Replaces {
            call_id: f.call_id.to_string(),
            to_tag: f.to_tag?.to_string(),
            from_tag: f.from_tag?.to_string(),
            early_only: f.early_only,
        })
    }
}

/// Where a Replaces leads: the call it names, or the status refusing it
/// (`pjsip_replaces_verify_request`'s answers).
enum Verdict {
    Replace(u64),
    Refuse(u16),
}

impl Task {
    /// `refer_incoming_invite_request` for a new call `key` whose INVITE
    /// carries Replaces: false when it carries none (the call goes on to
    /// the dialplan); true when it was dealt with here.
    pub(super) fn invite_with_replaces(&mut self, key: u64, chan: &Arc<Channel>) -> bool {
        let values: Vec<String> = match self.calls.get(&key) {
            Some(c) => c
                .invite
                .headers
                .get_all("Replaces")
                .map(str::to_string)
                .collect(),
            None => return false,
        };
        if values.is_empty() {
            return false;
        }
        let verdict = self.verify_replaces(&values);
        let target = match verdict {
            Verdict::Replace(other) => self
                .calls
                .get(&other)
                .map(|c| c.chan.clone())
                .filter(|t| !t.is_dead()),
            Verdict::Refuse(status) => {
                self.refuse_replaces(key, chan, status);
                return true;
            }
        };
        let Some(target) = target else {
            // A dialog whose channel is gone: the session has none.
            self.refuse_replaces(key, chan, 481);
            return true;
        };
        // A ringing leg is claimed as a pickup claims it, so no Pickup
        // takes it meanwhile.
        let takeover = takeover(&target).and_then(|t| match t {
            Takeover::Move if !crate::channels::pickup::claim(&target) => {
                Err(format!("'{}' is being picked up already", target.name))
            }
            t => Ok(t),
        });
        let takeover = match takeover {
            Ok(t) => t,
            Err(why) => {
                self.sys.pbx.logger.warning(
                    crate::site!("res_pjsip_refer.c", 1850, "refer_incoming_invite_request"),
                    None,
                    &why,
                );
                self.refuse_replaces(key, chan, 503);
                return true;
            }
        };
        // The new call is answered without a dialplan and taken off hold.
        chan.answer();
        crate::channels::bridge_basic::unhold(chan);
        match takeover {
            // It takes the bridged channel's place (`ast_bridge_impart`
            // with a swap); the bridge's task hangs that one up.
            Takeover::Bridge(bridge) => {
                if !bridge.replace_member(chan, &target) {
                    chan.lock().hangupcause = crate::channels::causes::FAILURE;
                    crate::pbx::run::hangup_channel(&self.sys, chan);
                }
            }
            // It moves into the place of the ringing leg, whose holder (a
            // Dial) goes on with it; what is left of the replaced channel
            // is hung up, which cancels its INVITE.
            Takeover::Move => {
                crate::channels::masquerade(&target, chan);
                self.sys.pbx.channels.locks.moved(&target, chan);
                let left = chan.take_masq_left().unwrap_or_else(|| chan.clone());
                crate::pbx::run::hangup_channel(&self.sys, &left);
            }
        }
        true
    }

    /// chan_sip's look at a Replaces before the caller is authenticated
    /// (`handle_request_invite`): `Ok(None)` without one, `Ok(Some(call))`
    /// for the call it names, `Err(())` when refused (answered here).
    pub(super) fn chan_sip_replaces_target(
        &mut self,
        id: TransactionId,
        req: &Request,
    ) -> Result<Option<u64>, ()> {
        let Some(value) = req.headers.get("Replaces").map(str::to_string) else {
            return Ok(None);
        };
        // The value URI-decoded; chan_sip's parser takes whatever follows
        // `to-tag=` and `from-tag=`.
        let decoded = super::refer::decode(value.trim());
        let replaces = Replaces::parse(&decoded);
        let call_id = decoded.split(';').next().unwrap_or("").trim().to_string();
        let found = replaces.as_ref().and_then(|r| self.find_replaced_call(r));
        let target = found.and_then(|k| self.calls.get(&k).map(|c| c.chan.clone()));
        // Each refusal: its NOTICE, then its status and reason phrase.
        let refusal = match (found, target) {
            (None, _) => Some(("non-existent", 481, "Call Leg Does Not Exist (Replaces)")),
            (Some(_), None) => Some(("non-existing", 481, "Call Leg Does Not Exist (Replace)")),
            (Some(_), Some(t)) if t.is_dead() => {
                Some(("non-existing", 481, "Call Leg Does Not Exist (Replace)"))
            }
            (Some(_), Some(t))
                if !matches!(
                    t.state(),
                    ChanState::Ringing | ChanState::Ring | ChanState::Up | ChanState::Down
                ) =>
            {
                Some(("non-ringing or active", 603, "Declined (Replaces)"))
            }
            _ => None,
        };
        if let Some((what, status, reason)) = refusal {
            self.sys.pbx.logger.notice(
                crate::site!("chan_sip.c", 26604, "handle_request_invite"),
                None,
                &format!("Supervised transfer attempted to replace {what} call id ({call_id})!"),
            );
            self.respond_with(id, req, status, None, Some(reason));
            return Err(());
        }
        Ok(found)
    }

    /// chan_sip's `handle_invite_replaces` for the new call's channel:
    /// answered, then either a pickup of the ringing channel it names or
    /// a move into its place; the channel left over is hung up.
    pub(super) fn chan_sip_invite_replaces(&mut self, target: u64, chan: &Arc<Channel>) {
        let target = self.calls.get(&target).map(|c| c.chan.clone());
        let Some(target) = target.filter(|t| !t.is_dead()) else {
            crate::pbx::run::hangup_channel(&self.sys, chan);
            return;
        };
        chan.set_state(ChanState::Ring);
        chan.answer();
        // A bridged channel's place is taken in its bridge (whose task
        // owns the new call from then on); a ringing one is picked up.
        let refused = match takeover(&target) {
            Ok(Takeover::Bridge(bridge)) => {
                if bridge.replace_member(chan, &target) {
                    return;
                }
                Some(format!("'{}' left its bridge meanwhile", target.name))
            }
            Ok(Takeover::Move) => {
                let picked_up = crate::channels::pickup::claim(&target)
                    && crate::channels::pickup::do_pickup(&self.sys, chan, &target).is_ok();
                (!picked_up)
                    .then(|| format!("Pickup of '{}' by INVITE with Replaces failed", target.name))
            }
            Err(why) => Some(why),
        };
        if let Some(why) = refused {
            self.sys.pbx.logger.warning(
                crate::site!("chan_sip.c", 26050, "handle_invite_replaces"),
                None,
                &why,
            );
            crate::pbx::run::hangup_channel(&self.sys, chan);
            return;
        }
        // The reference's call, now the Dial's answered leg, ends with a
        // normal clearing (its later BYE asks for a hangup with cause 16),
        // unlike a leg picked up by the Pickup application.
        chan.lock().hangupcause = crate::channels::causes::NORMAL_CLEARING;
        let left = chan.take_masq_left().unwrap_or_else(|| chan.clone());
        crate::pbx::run::hangup_channel(&self.sys, &left);
    }

    /// `pjsip_replaces_verify_request`: the call the header names, if it
    /// may be replaced.
    fn verify_replaces(&self, values: &[String]) -> Verdict {
        if values.len() > 1 {
            return Verdict::Refuse(400);
        }
        let Some(replaces) = values.first().and_then(|v| Replaces::parse(v)) else {
            // pjsip's parser refuses the request before any dialog is
            // looked for.
            return Verdict::Refuse(400);
        };
        let found = self
            .find_replaced_call(&replaces)
            .and_then(|k| self.calls.get(&k).map(|c| (k, c)));
        let Some((key, call)) = found else {
            return Verdict::Refuse(481);
        };
        if call.state == CallState::Ending {
            return Verdict::Refuse(603);
        }
        let established = call.dialog.is_some();
        if replaces.early_only && established {
            return Verdict::Refuse(486);
        }
        Verdict::Replace(key)
    }

    /// The call a Replaces names: a dialog of ours once answered (either
    /// way), or while our own INVITE rings (an early dialog we opened).
    /// An early dialog the other side opened is not one to replace, and
    /// is not found, as pjsip answers it.
    fn find_replaced_call(&self, replaces: &Replaces) -> Option<u64> {
        let (call_id, to_tag, from_tag) = (
            replaces.call_id.as_str(),
            replaces.to_tag.as_str(),
            replaces.from_tag.as_str(),
        );
        self.dialog_named(call_id, to_tag, from_tag).or_else(|| {
            self.calls.iter().find_map(|(k, c)| {
                (c.dialog.is_none()
                    && c.outgoing
                    && c.local_tag == to_tag
                    && c.early_remote_tag.as_deref() == Some(from_tag)
                    && c.invite.headers.call_id().ok() == Some(call_id))
                .then_some(*k)
            })
        })
    }

    /// The answered call whose dialog has this Call-ID, our tag and the
    /// other end's (`pjsip_ua_find_dialog`).
    fn dialog_named(&self, call_id: &str, to_tag: &str, from_tag: &str) -> Option<u64> {
        self.calls.iter().find_map(|(k, c)| {
            let d = c.dialog.as_ref()?;
            (d.id.call_id == call_id && d.id.local_tag == to_tag && d.id.remote_tag == from_tag)
                .then_some(*k)
        })
    }

    /// The answered call a REFER's Replaces names, a missing tag naming
    /// none; `Err` when the value names no Call-ID.
    pub(super) fn find_replaced(&self, replaces: &str) -> Result<Option<u64>, ()> {
        let f = Fields::read(replaces).ok_or(())?;
        Ok(self.dialog_named(f.call_id, f.to_tag.unwrap_or(""), f.from_tag.unwrap_or("")))
    }

    /// `inv_replace_failed`: the new channel is hung up and the INVITE
    /// refused with `status` (chan_pjsip's hangup adds the Reason of the
    /// channel's cause, none).
    fn refuse_replaces(&mut self, key: u64, chan: &Arc<Channel>, status: u16) {
        if let Some(call) = self.calls.get_mut(&key) {
            call.set_state(CallState::Ending);
            call.rtp.close();
            if let Some(id) = call.invite_tx {
                let mut r = self
                    .flavor
                    .response(&call.invite, status, Some(&call.local_tag), None);
                r.headers.push("Reason", "Q.850;cause=0".to_string());
                let _ = self.tx.send_response(Instant::now(), id, r);
            }
        }
        crate::pbx::run::hangup_channel(&self.sys, chan);
    }
}

/// How the new call takes over the one a Replaces names.
enum Takeover {
    /// Swapped into the bridge of the named channel, a two-party call.
    Bridge(Arc<crate::channels::bridge::Bridge>),
    /// Moved into the place of the named channel, a ringing leg of Dial.
    Move,
}

/// How the call a Replaces names can be taken over, or why it cannot be
/// here: a member of a two-party call a Dial or Queue runs is swapped
/// out; an unbridged channel is moved into only when it is a ringing leg
/// of Dial (the one holder that follows a masquerade, as for a pickup).
fn takeover(target: &Arc<Channel>) -> Result<Takeover, String> {
    if let Some(bridge) = target.bridge() {
        return if bridge.can_replace(target) {
            Ok(Takeover::Bridge(bridge))
        } else {
            Err(format!(
                "INVITE with Replaces of '{}', in a bridge other than a two-party call, is not supported by Asterism",
                target.name
            ))
        };
    }
    if !crate::channels::pickup::can_pickup(target) {
        return Err(format!(
            "INVITE with Replaces of '{}', which is not a ringing leg of Dial, is not supported by Asterism",
            target.name
        ));
    }
    Ok(Takeover::Move)
}

#[cfg(test)]
mod tests {
    use super::Replaces;

    #[test]
    fn a_replaces_value_names_the_dialog_and_its_flags() {
        let r = Replaces::parse("abc@host;to-tag=ours;from-tag=theirs;early-only");
        assert_eq!(
            r,
            Some(Replaces {
                call_id: "abc@host".into(),
                to_tag: "ours".into(),
                from_tag: "theirs".into(),
                early_only: true,
            })
        );
        let r = Replaces::parse("abc@host; From-Tag=theirs ;TO-TAG=ours");
        assert!(r.is_some_and(|r| r.to_tag == "ours" && r.from_tag == "theirs" && !r.early_only));
    }

    #[test]
    fn a_replaces_value_without_a_call_id_or_a_tag_is_unreadable() {
        assert_eq!(Replaces::parse(";to-tag=a;from-tag=b"), None);
        assert_eq!(Replaces::parse("abc;to-tag=a"), None);
        assert_eq!(Replaces::parse(""), None);
    }
}
