//! PJSIPHangup (the application and the manager action): an incoming
//! call not yet answered is rejected with a chosen final response, and
//! its session ends as after any final response it sent: the channel is
//! hung up with the cause the status maps to and the status as its
//! technology cause (chan_pjsip's session end).

use std::time::Instant;

use super::{CallState, Task, queue_hangup, style};
use crate::channels::sip::endpoint::Flavor;

/// A PJSIPHangup handed to the task.
#[derive(Debug)]
pub struct Reject {
    pub channel: String,
    pub status: u16,
    /// Told once the response is out (or refused), so the application
    /// returns after the hangup is queued, as Asterisk's waits on the
    /// session's serializer.
    pub done: tokio::sync::oneshot::Sender<()>,
}

impl Task {
    pub(super) fn pjsip_hangup(&mut self, r: Reject) {
        let found = self
            .calls
            .iter()
            .find(|(_, c)| c.chan.name == r.channel)
            .map(|(k, _)| *k);
        // pjsip_inv_state_name of the session: an incoming call is
        // INCOMING or EARLY until answered.
        let refused = match found.and_then(|k| self.calls.get(&k)) {
            None => Some("DISCONNECTED"),
            Some(c) if c.outgoing => Some(match c.state {
                CallState::Proceeding if c.dialog.is_some() => "EARLY",
                CallState::Proceeding => "CALLING",
                CallState::Answered => "CONNECTING",
                CallState::Confirmed => "CONFIRMED",
                CallState::Ending => "DISCONNECTED",
            }),
            Some(c) => match c.state {
                CallState::Proceeding if c.invite_tx.is_some() => None,
                CallState::Proceeding | CallState::Ending => Some("DISCONNECTED"),
                CallState::Answered => Some("CONNECTING"),
                CallState::Confirmed => Some("CONFIRMED"),
            },
        };
        if let Some(state) = refused {
            self.sys.pbx.logger.warning(
                crate::site!(
                    "channels/pjsip/dialplan_functions.c",
                    1327,
                    "pjsip_app_hangup_handler"
                ),
                None,
                &format!(
                    "{}: Not an incoming channel or invalid state '{state}'",
                    r.channel
                ),
            );
            let _ = r.done.send(());
            return;
        }
        let Some(key) = found else {
            let _ = r.done.send(());
            return;
        };
        if let Some(call) = self.calls.get_mut(&key)
            && let Some(id) = call.invite_tx
        {
            call.set_state(CallState::Ending);
            call.rtp.close();
            let invite = call.invite.clone();
            let tag = call.local_tag.clone();
            let chan = call.chan.clone();
            let resp = self.flavor.response(&invite, r.status, Some(&tag), None);
            let _ = self.tx.send_response(Instant::now(), id, resp);
            {
                let mut d = chan.lock();
                if d.hangupcause == 0 {
                    d.hangupcause = style::status_to_cause(Flavor::Pjsip, r.status);
                }
                d.tech_cause = u32::from(r.status);
            }
            queue_hangup(&chan);
            self.maybe_forget(key);
        }
        let _ = r.done.send(());
    }
}
