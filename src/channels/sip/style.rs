//! What chan_sip and chan_pjsip put in their messages differently: tags,
//! the headers of responses, challenges, SDP session lines and the hangup
//! cause to status mapping. Keeping it in one place lets the call code be
//! the same for both drivers.

use crate::sip::message::{Defect, Request, Response, reason_phrase};
use crate::sip::sdp::{Origin, Prefer};

use super::endpoint::Flavor;

pub const CHAN_SIP_ALLOW: &str =
    "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE";
pub const PJSIP_ALLOW: &str = "OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, INFO, REFER";

/// A fresh pseudo-random 64-bit value (tags, SDP session ids, keys).
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

impl Flavor {
    pub fn user_agent(self) -> String {
        format!("Asterisk PBX {}", crate::version::ASTERISK_VERSION)
    }

    /// Whether a datagram with this defect is still taken as a message.
    /// chan_sip's parser skips what it cannot read; pjsip's throws the
    /// datagram away, except for a short body or a missing blank line.
    pub fn tolerates(self, defect: &Defect) -> bool {
        match self {
            Flavor::ChanSip => true,
            Flavor::Pjsip => matches!(defect, Defect::NoBlankLine | Defect::BodyShort { .. }),
        }
    }

    /// The reason phrase of a status: chan_sip words some of its own way.
    pub fn reason(self, status: u16) -> &'static str {
        match (self, status) {
            (Flavor::ChanSip, 423) => "Interval too small",
            (Flavor::ChanSip, 481) => "Call leg/transaction does not exist",
            (Flavor::ChanSip, 488) => "Not acceptable here",
            (Flavor::ChanSip, 501) => "Method Not Implemented",
            _ => reason_phrase(status),
        }
    }

    /// A local tag: chan_sip's `as%08x`, pjsip's UUID.
    pub fn new_tag(self) -> String {
        match self {
            Flavor::ChanSip => format!("as{:08x}", random_u64() as u32),
            Flavor::Pjsip => crate::core::random_uuid(),
        }
    }

    /// Which side orders the codecs of an answer.
    pub fn prefer(self) -> Prefer {
        match self {
            Flavor::ChanSip => Prefer::Local,
            Flavor::Pjsip => Prefer::Offer,
        }
    }

    /// The SDP `o=`/`s=` of our session.
    pub fn origin(self, offer: Option<(u64, u64)>) -> Origin {
        match self {
            Flavor::ChanSip => {
                let id = u64::from(random_u64() as u32 >> 1);
                Origin {
                    user: "root",
                    session_id: id,
                    version: id,
                    session_name: format!("Asterisk PBX {}", crate::version::ASTERISK_VERSION),
                }
            }
            Flavor::Pjsip => {
                // pjmedia answers with the offer's id and a later version.
                let (id, version) = offer.unwrap_or((random_u64() >> 34, random_u64() >> 34));
                Origin {
                    user: "-",
                    session_id: id,
                    version: version.wrapping_add(2),
                    session_name: "Asterisk".into(),
                }
            }
        }
    }

    /// A response to `req` with this driver's headers; `contact` is our
    /// Contact for dialog-creating answers.
    pub fn response(
        self,
        req: &Request,
        status: u16,
        to_tag: Option<&str>,
        contact: Option<&str>,
    ) -> Response {
        let mut r = Response::for_request(req, status);
        r.reason = self.reason(status).to_string();
        if let Some(tag) = to_tag
            && status != 100
            && let Ok(mut to) = r.headers.to()
            && to.tag().is_none()
        {
            to.set_tag(tag);
            r.headers.set("To", to.to_string());
        }
        r.headers.push("Server", self.user_agent());
        let invite_like = matches!(
            req.method,
            crate::sip::Method::Invite | crate::sip::Method::Options
        );
        match self {
            Flavor::ChanSip => {
                r.headers.push("Allow", CHAN_SIP_ALLOW);
                r.headers.push("Supported", "replaces, timer");
                if let Some(c) = contact {
                    r.headers.push("Contact", format!("<{c}>"));
                }
            }
            Flavor::Pjsip => {
                if let Some(c) = contact
                    && status >= 180
                {
                    r.headers.push("Contact", format!("<{c}>"));
                }
                if invite_like && status >= 180 {
                    r.headers.push("Allow", PJSIP_ALLOW);
                    r.headers
                        .push("Supported", "100rel, timer, replaces, norefersub");
                }
            }
        }
        r
    }

    /// The WWW-Authenticate value of a challenge.
    pub fn challenge(self, realm: &str, nonce: &str, stale: bool) -> String {
        match self {
            Flavor::ChanSip => {
                let mut v = format!("Digest algorithm=MD5, realm=\"{realm}\", nonce=\"{nonce}\"");
                if stale {
                    v.push_str(", stale=true");
                }
                v
            }
            Flavor::Pjsip => {
                let mut v = format!(
                    "Digest realm=\"{realm}\",nonce=\"{nonce}\",opaque=\"{:016x}\",algorithm=MD5,qop=\"auth\"",
                    random_u64()
                );
                if stale {
                    v.push_str(",stale=true");
                }
                v
            }
        }
    }

    /// Headers a BYE we send carries to say why.
    pub fn hangup_headers(self, cause: u32) -> Vec<(&'static str, String)> {
        match self {
            Flavor::ChanSip => vec![
                (
                    "X-Asterisk-HangupCause",
                    crate::channels::causes::text(cause).to_string(),
                ),
                ("X-Asterisk-HangupCauseCode", cause.to_string()),
            ],
            Flavor::Pjsip => vec![("Reason", format!("Q.850;cause={cause}"))],
        }
    }
}

/// The final response for a call hung up before it was answered
/// (`hangup_cause2sip`); causes without a SIP meaning decline.
pub fn cause_to_status(cause: u32) -> u16 {
    match cause {
        1..=3 => 404,
        17 => 486,
        18 => 408,
        19 | 20 => 480,
        21 => 403,
        22 => 410,
        26 => 404,
        27 => 502,
        28 => 484,
        29 => 501,
        31 => 480,
        34 => 503,
        38 => 500,
        41 | 42 | 44 => 503,
        58 | 65 | 66 | 88 => 488,
        102 => 504,
        _ => 603,
    }
}

/// The hangup cause a final response to our INVITE means
/// (`hangup_sip2cause`).
pub fn status_to_cause(status: u16) -> u32 {
    match status {
        401 | 403 | 407 => 21,
        404 | 410 => 1,
        408 => 102,
        480 => 18,
        483 => 21,
        484 => 28,
        486 => 17,
        487 => 127,
        488 | 606 => 58,
        500 => 41,
        501 => 79,
        502 => 38,
        503 => 34,
        504 => 102,
        505 => 127,
        600 => 17,
        603 => 21,
        604 => 1,
        _ if status >= 500 => 34,
        _ => 31,
    }
}
