//! Dialog state (RFC 3261 §12): identifiers, sequence numbers, route set
//! and remote target, for both UAC and UAS; building in-dialog requests
//! (BYE, re-INVITE, the ACK for a 2xx) and checking incoming ones.
//!
//! Like the transaction layer this holds no sockets or timers: the TU
//! builds requests here and sends them through
//! [`crate::sip::transaction::Transactions`] (or, for the 2xx ACK, its
//! `transmit`).

use std::collections::HashMap;

use thiserror::Error;

use super::headers::{CSeq, HeaderError, NameAddr, Via};
use super::message::{Method, Request, Response};
use super::uri::{Scheme, Uri};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DialogError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("response has no To tag, so it cannot create a dialog")]
    NoRemoteTag,
    #[error("request has no From tag")]
    NoFromTag,
    #[error("dialog-creating message has no Contact")]
    NoContact,
    #[error("status {0} cannot create a dialog")]
    Status(u16),
}

/// Why an incoming in-dialog request is refused, with the status to
/// answer it with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// §12.2.2: a To tag naming no dialog we know.
    #[error("no dialog for this request")]
    NoDialog,
    /// §12.2.2: a CSeq lower than the last one seen.
    #[error("CSeq {got} is lower than the last one, {last}")]
    OutOfOrder { got: u32, last: u32 },
}

impl RequestError {
    /// The response status RFC 3261 gives for the failure.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Header(_) => 400,
            RequestError::NoDialog => 481,
            RequestError::OutOfOrder { .. } => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Uac,
    Uas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    Confirmed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub id: DialogId,
    pub role: Role,
    pub state: DialogState,
    /// The CSeq of the last request we sent; the next one uses one more.
    /// A UAS starts at 0; set it to a random value to look like pjsip,
    /// whose in-dialog CSeqs start at random (28247 BYE in the transcripts).
    pub local_seq: u32,
    /// The highest CSeq seen from the peer, if any yet.
    pub remote_seq: Option<u32>,
    /// Our address-of-record with our tag: the From of what we send.
    pub local_uri: NameAddr,
    /// The peer's, with its tag: the To of what we send.
    pub remote_uri: NameAddr,
    /// Where in-dialog requests go: the peer's Contact.
    pub remote_target: Uri,
    pub route_set: Vec<NameAddr>,
    /// Our Contact, sent in target-refresh requests.
    pub local_contact: Option<NameAddr>,
    /// SIPS dialog (§12.1.1).
    pub secure: bool,
}

fn first_contact(contacts: Vec<NameAddr>) -> Result<Uri, DialogError> {
    contacts
        .into_iter()
        .next()
        .map(|c| c.uri)
        .ok_or(DialogError::NoContact)
}

impl Dialog {
    /// The UAC's dialog from the request it sent and a 1xx (with To tag)
    /// or 2xx it received (§12.1.2).
    pub fn uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        if !(101..300).contains(&response.status) {
            return Err(DialogError::Status(response.status));
        }
        let rh = &response.headers;
        let remote_uri = rh.to()?;
        let remote_tag = remote_uri
            .tag()
            .ok_or(DialogError::NoRemoteTag)?
            .to_string();
        let local_uri = request.headers.from()?;
        let local_tag = local_uri.tag().ok_or(DialogError::NoFromTag)?.to_string();
        let mut route_set = rh.routes("Record-Route")?;
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: request.headers.call_id()?.to_string(),
                local_tag,
                remote_tag,
            },
            role: Role::Uac,
            state: if response.status < 200 {
                DialogState::Early
            } else {
                DialogState::Confirmed
            },
            local_seq: request.headers.cseq()?.seq,
            remote_seq: None,
            local_uri,
            remote_uri,
            remote_target: first_contact(rh.contacts()?)?,
            route_set,
            local_contact: request.headers.contacts()?.into_iter().next(),
            secure: request.uri.scheme == Scheme::Sips,
        })
    }

    /// The UAS's dialog from the request it received and the 1xx/2xx it
    /// answers with, which must carry the UAS's To tag (§12.1.1).
    pub fn uas(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        if !(101..300).contains(&response.status) {
            return Err(DialogError::Status(response.status));
        }
        let local_uri = response.headers.to()?;
        let local_tag = local_uri.tag().ok_or(DialogError::NoRemoteTag)?.to_string();
        let remote_uri = request.headers.from()?;
        let remote_tag = remote_uri.tag().ok_or(DialogError::NoFromTag)?.to_string();
        Ok(Dialog {
            id: DialogId {
                call_id: request.headers.call_id()?.to_string(),
                local_tag,
                remote_tag,
            },
            role: Role::Uas,
            state: if response.status < 200 {
                DialogState::Early
            } else {
                DialogState::Confirmed
            },
            local_seq: 0,
            remote_seq: Some(request.headers.cseq()?.seq),
            local_uri,
            remote_uri,
            remote_target: first_contact(request.headers.contacts()?)?,
            route_set: request.headers.routes("Record-Route")?,
            local_contact: response.headers.contacts()?.into_iter().next(),
            secure: request.uri.scheme == Scheme::Sips,
        })
    }

    /// Builds an in-dialog request (§12.2.1.1) and advances the local
    /// CSeq. `via` is our top Via; the transaction layer adds its branch.
    pub fn create_request(&mut self, method: Method, via: Via) -> Request {
        self.local_seq = self.local_seq.wrapping_add(1) & 0x7fff_ffff;
        self.build(method, self.local_seq, via)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `invite_seq` (§13.2.2.4).
    /// It is sent outside any transaction, so `via` must already carry a
    /// fresh branch (`Transactions::new_branch`).
    pub fn create_ack(&self, invite_seq: u32, via: Via) -> Request {
        self.build(Method::Ack, invite_seq, via)
    }

    fn build(&self, method: Method, seq: u32, via: Via) -> Request {
        // Loose routing when the first route has `lr`, otherwise the
        // strict-routing rewrite of §12.2.1.1.
        let (uri, routes): (Uri, Vec<String>) = match self.route_set.first() {
            None => (self.remote_target.clone(), Vec::new()),
            Some(first) if first.uri.params.has("lr") => (
                self.remote_target.clone(),
                self.route_set.iter().map(|r| r.to_string()).collect(),
            ),
            Some(first) => {
                let mut uri = first.uri.clone();
                uri.headers.clear();
                let mut routes: Vec<String> = self
                    .route_set
                    .iter()
                    .skip(1)
                    .map(|r| r.to_string())
                    .collect();
                routes.push(NameAddr::new(self.remote_target.clone()).to_string());
                (uri, routes)
            }
        };
        let mut req = Request::new(method.clone(), uri);
        let h = &mut req.headers;
        h.push("Via", via.to_string());
        h.push("From", self.local_uri.to_string());
        h.push("To", self.remote_uri.to_string());
        h.push("Call-ID", self.id.call_id.clone());
        h.push(
            "CSeq",
            CSeq {
                seq,
                method: method.clone(),
            }
            .to_string(),
        );
        for r in routes {
            h.push("Route", r);
        }
        if is_target_refresh(&method)
            && let Some(c) = &self.local_contact
        {
            h.push("Contact", c.to_string());
        }
        h.push("Max-Forwards", "70");
        req
    }

    /// Checks an incoming request already matched to this dialog (§12.2.2)
    /// and applies it: CSeq ordering and target refresh.
    pub fn on_request(&mut self, req: &Request) -> Result<(), RequestError> {
        let seq = req.headers.cseq()?.seq;
        // ACK and CANCEL reuse the INVITE's number, so they are not ordered.
        if !matches!(req.method, Method::Ack | Method::Cancel) {
            if let Some(last) = self.remote_seq
                && seq < last
            {
                return Err(RequestError::OutOfOrder { got: seq, last });
            }
            self.remote_seq = Some(seq);
        }
        if is_target_refresh(&req.method)
            && let Some(c) = req.headers.contacts()?.into_iter().next()
        {
            self.remote_target = c.uri;
        }
        Ok(())
    }

    /// Applies a response to a request we sent in this dialog: a 2xx
    /// confirms an early dialog (taking the final route set, §12.1.2) and
    /// a 2xx to a target refresh updates the remote target (§12.2.1.2).
    pub fn on_response(&mut self, method: &Method, resp: &Response) -> Result<(), DialogError> {
        if !(200..300).contains(&resp.status) {
            return Ok(());
        }
        if self.state == DialogState::Early && *method == Method::Invite {
            self.state = DialogState::Confirmed;
            let mut routes = resp.headers.routes("Record-Route")?;
            if self.role == Role::Uac {
                routes.reverse();
            }
            self.route_set = routes;
        }
        if is_target_refresh(method)
            && let Some(c) = resp.headers.contacts()?.into_iter().next()
        {
            self.remote_target = c.uri;
        }
        Ok(())
    }
}

/// Requests that can change the remote target (RFC 3261 §12.2 plus
/// UPDATE, RFC 3311, and the dialog-creating SUBSCRIBE/REFER).
fn is_target_refresh(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

/// The dialogs of one UA, found by (Call-ID, local tag, remote tag).
#[derive(Debug, Default)]
pub struct Dialogs {
    map: HashMap<DialogId, Dialog>,
}

impl Dialogs {
    pub fn insert(&mut self, d: Dialog) {
        self.map.insert(d.id.clone(), d);
    }

    pub fn get(&self, id: &DialogId) -> Option<&Dialog> {
        self.map.get(id)
    }

    pub fn get_mut(&mut self, id: &DialogId) -> Option<&mut Dialog> {
        self.map.get_mut(id)
    }

    pub fn remove(&mut self, id: &DialogId) -> Option<Dialog> {
        self.map.remove(id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Routes an incoming request: `Ok(None)` when it is outside any
    /// dialog (no To tag: maybe a new INVITE), `Ok(Some(dialog))` after
    /// [`Dialog::on_request`] accepted it, and an error whose `status()`
    /// is the answer otherwise (481 for an unknown dialog).
    pub fn dispatch(&mut self, req: &Request) -> Result<Option<&mut Dialog>, RequestError> {
        let h = &req.headers;
        let to = h.to()?;
        let Some(local_tag) = to.tag() else {
            return Ok(None);
        };
        let from = h.from()?;
        let id = DialogId {
            call_id: h.call_id()?.to_string(),
            local_tag: local_tag.to_string(),
            remote_tag: from.tag().unwrap_or("").to_string(),
        };
        let dialog = self.map.get_mut(&id).ok_or(RequestError::NoDialog)?;
        dialog.on_request(req)?;
        Ok(Some(dialog))
    }
}

#[cfg(test)]
mod tests;
