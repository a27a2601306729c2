//! What chan_sip and chan_pjsip put in their messages differently: tags,
//! the headers of responses, challenges, SDP session lines and the hangup
//! cause to status mapping. Keeping it in one place lets the call code be
//! the same for both drivers.

use std::net::IpAddr;

use crate::sip::auth::{DigestChallenge, Secret, authorize, digest_response};
use crate::sip::message::{Defect, Header, Method, Request, Response, reason_phrase};
use crate::sip::sdp::{Origin, Prefer};

use super::endpoint::{Credentials, Flavor};

pub const CHAN_SIP_ALLOW: &str =
    "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE";
pub const PJSIP_ALLOW: &str = "OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, INFO, REFER";

/// pjsip's Supported header.
pub const PJSIP_SUPPORTED: &str = "100rel, timer, replaces, norefersub";

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

/// A digest challenge to one of our requests, kept to answer it and the
/// requests after it.
#[derive(Debug, Clone)]
pub struct Answering {
    pub challenge: DigestChallenge,
    /// It came as 407 (Proxy-Authenticate): answer in Proxy-Authorization.
    pub proxy: bool,
    /// Requests that have used its nonce (the next `nc` is one more).
    pub uses: u32,
}

impl Answering {
    pub fn new(challenge: DigestChallenge, proxy: bool) -> Answering {
        Answering {
            challenge,
            proxy,
            uses: 0,
        }
    }
}

impl Flavor {
    /// The header answering `a`'s challenge for `method` on `uri`, in the
    /// driver's parameter order; counts one more use of the nonce. None
    /// when the challenge asks for what we cannot do (another algorithm,
    /// only qop=auth-int).
    pub fn authorization(
        self,
        a: &mut Answering,
        method: &Method,
        uri: &str,
        username: &str,
        secret: Secret<'_>,
    ) -> Option<(&'static str, String)> {
        a.uses += 1;
        let cnonce = match self {
            Flavor::ChanSip => format!("{:08x}", random_u64() as u32),
            Flavor::Pjsip => format!(
                "{:032x}",
                u128::from(random_u64()) << 64 | u128::from(random_u64())
            ),
        };
        let creds = authorize(&a.challenge, method, uri, username, secret, &cnonce, a.uses).ok()?;
        let name = if a.proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        let mut v = format!(
            "Digest username=\"{}\", realm=\"{}\", ",
            creds.username, creds.realm
        );
        let opaque = creds
            .opaque
            .as_ref()
            .map(|o| format!(", opaque=\"{o}\""))
            .unwrap_or_default();
        match self {
            Flavor::ChanSip => {
                v.push_str(&format!(
                    "algorithm=MD5, uri=\"{}\", nonce=\"{}\", response=\"{}\"{opaque}",
                    creds.uri, creds.nonce, creds.response
                ));
                if let (Some(c), Some(n)) = (&creds.cnonce, &creds.nc) {
                    v.push_str(&format!(", qop=auth, cnonce=\"{c}\", nc={n}"));
                }
            }
            Flavor::Pjsip => {
                v.push_str(&format!(
                    "nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm=MD5{opaque}",
                    creds.nonce, creds.uri, creds.response
                ));
                if let (Some(c), Some(n)) = (&creds.cnonce, &creds.nc) {
                    v.push_str(&format!(", cnonce=\"{c}\", qop=auth, nc={n}"));
                }
            }
        }
        Some((name, v))
    }

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

    /// The To tag of a response outside any dialog (a REGISTER's, a
    /// challenge, an OPTIONS'): chan_sip's fresh one; pjsip's endpoint
    /// answers with the request's Via branch (`pjsip_endpt_create_response`).
    pub fn response_tag(self, req: &Request) -> String {
        match self {
            Flavor::Pjsip => req
                .headers
                .top_via()
                .ok()
                .and_then(|v| v.params.get("branch").flatten().map(str::to_string))
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| self.new_tag()),
            Flavor::ChanSip => self.new_tag(),
        }
    }

    /// A Call-ID for a dialog we start: chan_sip's 32 hex digits at our
    /// address, pjsip's UUID.
    pub fn new_call_id(self, host: impl std::fmt::Display) -> String {
        match self {
            Flavor::ChanSip => format!("{:016x}{:016x}@{host}", random_u64(), random_u64()),
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

    /// Where each driver puts the headers a response copies.
    pub fn response_order(self) -> [&'static str; 5] {
        match self {
            Flavor::ChanSip => ["Via", "From", "To", "Call-ID", "CSeq"],
            Flavor::Pjsip => ["Via", "Call-ID", "From", "To", "CSeq"],
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
        // Each driver writes the headers it copies in its own order,
        // whatever the request's (baresip sends To before From).
        let mut r = Response::for_request_in(req, status, &self.response_order());
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
                // No Contact in what ends a dialog or a transaction.
                if let Some(c) = contact
                    && !matches!(
                        req.method,
                        crate::sip::Method::Bye | crate::sip::Method::Cancel
                    )
                {
                    r.headers.push("Contact", format!("<{c}>"));
                }
            }
            Flavor::Pjsip => {
                // pjsip's session layer: Contact and Allow on what makes or
                // confirms a dialog (Allow on the 487 too), Supported on
                // the 2xx only; errors carry neither.
                let dialog = invite_like && (180..300).contains(&status);
                if let Some(c) = contact
                    && dialog
                {
                    r.headers.push("Contact", format!("<{c}>"));
                }
                if dialog || (invite_like && status == 487) {
                    r.headers.push("Allow", PJSIP_ALLOW);
                }
                if invite_like && (200..300).contains(&status) {
                    r.headers.push("Supported", PJSIP_SUPPORTED);
                }
            }
        }
        r
    }

    /// Reorders the 200 to a re-INVITE as pjsip writes it (its dialog
    /// layer, not the session's): Allow, Supported, Contact, then Server.
    pub fn finish_reinvite_ok(self, r: &mut Response) {
        if self != Flavor::Pjsip {
            return;
        }
        // response() left these last; take them out and put them back.
        for name in ["Allow", "Supported", "Contact", "Server"] {
            if let Some(at) = r.headers.0.iter().position(|h| h.name == name) {
                let h = r.headers.0.remove(at);
                r.headers.0.push(h);
            }
        }
    }

    /// Adds a running session timer to a response to an INVITE, where
    /// each driver writes it: chan_sip puts Session-Expires after its
    /// Supported (in the 100 too) and Require after Content-Type; pjsip
    /// puts both after Supported, or right after CSeq in its answer to a
    /// re-INVITE. Call it once the body's Content-Type is in.
    pub fn add_session_timer(
        self,
        r: &mut Response,
        timer: &crate::sip::timer::Active,
        reinvite: bool,
    ) {
        let require = timer.require && r.status >= 200;
        match self {
            Flavor::ChanSip => {
                r.headers
                    .insert_after("Supported", "Session-Expires", timer.header());
                if require {
                    r.headers.push("Require", "timer");
                }
            }
            Flavor::Pjsip => {
                if r.status < 200 {
                    return;
                }
                let anchor = if reinvite { "CSeq" } else { "Supported" };
                r.headers
                    .insert_after(anchor, "Session-Expires", timer.header());
                // pjsip requires timers only when the caller refreshes.
                if require && timer.refresher == crate::sip::timer::Refresher::Uac {
                    r.headers
                        .insert_after("Session-Expires", "Require", "timer");
                }
            }
        }
    }

    /// Our session refresh (RFC 4028 §7.4): the dialog's re-INVITE `base`
    /// laid out as each driver sends it, asking for the same interval
    /// with us, its sender, as the refresher (`refresher=uac`).
    pub fn session_refresh(
        self,
        base: &Request,
        contact: &str,
        interval: u32,
        min_se: u32,
        sdp: Vec<u8>,
    ) -> Request {
        let mut req = Request::new(base.method.clone(), base.uri.clone());
        let copy = |req: &mut Request, name: &str| {
            for v in base.headers.get_all(name) {
                req.headers.push(name, v);
            }
        };
        let contact = format!("<{contact}>");
        let expires = format!("{interval};refresher=uac");
        match self {
            Flavor::ChanSip => {
                copy(&mut req, "Via");
                copy(&mut req, "Route");
                req.headers.push("Max-Forwards", "70");
                copy(&mut req, "From");
                copy(&mut req, "To");
                req.headers.push("Contact", contact);
                copy(&mut req, "Call-ID");
                copy(&mut req, "CSeq");
                req.headers.push("User-Agent", self.user_agent());
                req.headers.push("Session-Expires", expires);
                req.headers.push("Min-SE", min_se.to_string());
                req.headers.push("Allow", CHAN_SIP_ALLOW);
                req.headers.push("Supported", "replaces, timer");
            }
            Flavor::Pjsip => {
                copy(&mut req, "Via");
                copy(&mut req, "Route");
                copy(&mut req, "From");
                copy(&mut req, "To");
                req.headers.push("Contact", contact);
                copy(&mut req, "Call-ID");
                copy(&mut req, "CSeq");
                req.headers.push("Allow", PJSIP_ALLOW);
                req.headers.push("Supported", PJSIP_SUPPORTED);
                req.headers.push("Session-Expires", expires);
                req.headers.push("Min-SE", min_se.to_string());
                req.headers.push("Max-Forwards", "70");
                req.headers.push("User-Agent", self.user_agent());
            }
        }
        req.headers.push("Content-Type", "application/sdp");
        req.body = sdp;
        req
    }

    /// Completes an ACK or CANCEL for an INVITE we sent (built by the
    /// dialog or the transaction layer, ending with Max-Forwards):
    /// chan_sip moves Max-Forwards under the Via and, in an ACK, repeats
    /// the INVITE's Contact after To; both add User-Agent last.
    pub fn finish_request(self, req: &mut Request, contact: Option<&str>) {
        let h = &mut req.headers;
        if self == Flavor::ChanSip {
            if let Some(at) = h.0.iter().position(|x| x.name == "Max-Forwards") {
                let mf = h.0.remove(at);
                let via =
                    h.0.iter()
                        .rposition(|x| x.name == "Via")
                        .map_or(0, |i| i + 1);
                h.0.insert(via, mf);
            }
            if let Some(c) = contact {
                h.insert_after("To", "Contact", c);
            }
        }
        h.push("User-Agent", self.user_agent());
    }

    /// The transaction layer's hook for the CANCELs and non-2xx ACKs it
    /// builds ([`Flavor::finish_request`]).
    pub fn request_style(self) -> fn(&mut Request, &Request) {
        fn chan_sip(req: &mut Request, invite: &Request) {
            let contact = if req.method == crate::sip::Method::Ack {
                invite.headers.get("Contact")
            } else {
                None
            };
            Flavor::ChanSip.finish_request(req, contact);
        }
        fn pjsip(req: &mut Request, _invite: &Request) {
            Flavor::Pjsip.finish_request(req, None);
        }
        match self {
            Flavor::ChanSip => chan_sip,
            Flavor::Pjsip => pjsip,
        }
    }

    /// Reorders pjsip's 200 to an INVITE it already rang for: its session
    /// layer then writes Allow before Contact (Server, Allow, Contact,
    /// Supported), as the reference did answering through Dial().
    pub fn finish_ok_after_ringing(self, r: &mut Response) {
        if self != Flavor::Pjsip {
            return;
        }
        if let Some(at) = r.headers.0.iter().position(|h| h.name == "Contact") {
            let contact = r.headers.0.remove(at);
            r.headers.insert_after("Allow", "Contact", contact.value);
        }
    }

    /// Adds a challenge (`challenge()`'s value) to a 401: chan_sip after
    /// its Allow/Supported, pjsip before its Server header.
    pub fn add_challenge(self, r: &mut Response, value: String) {
        match self {
            Flavor::ChanSip => r.headers.push("WWW-Authenticate", value),
            Flavor::Pjsip => {
                let at = r
                    .headers
                    .0
                    .iter()
                    .position(|h| h.name == "Server")
                    .unwrap_or(r.headers.0.len());
                r.headers.0.insert(
                    at,
                    Header {
                        name: "WWW-Authenticate".into(),
                        value,
                    },
                );
            }
        }
    }

    /// Completes the 200 to a REGISTER (made by `response()` without a
    /// Contact): chan_sip adds Expires, the bindings and Date after its
    /// Allow/Supported; pjsip writes Date, the bindings and Expires before
    /// its Server header.
    pub fn finish_register_ok(
        self,
        r: &mut Response,
        contacts: Vec<String>,
        expires: Option<u32>,
        date: String,
    ) {
        let h = &mut r.headers;
        match self {
            Flavor::ChanSip => {
                if let Some(e) = expires {
                    h.push("Expires", e.to_string());
                }
                for c in contacts {
                    h.push("Contact", c);
                }
                h.push("Date", date);
            }
            Flavor::Pjsip => {
                h.remove("Allow");
                h.remove("Supported");
                h.remove("Server");
                h.push("Date", date);
                for c in contacts {
                    h.push("Contact", c);
                }
                if let Some(e) = expires {
                    h.push("Expires", e.to_string());
                }
                h.push("Server", self.user_agent());
            }
        }
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

    /// Completes a BYE the PBX sends (built by the dialog, which ends it
    /// with Max-Forwards) in the driver's header order: chan_sip puts
    /// Max-Forwards right under the Via and its X-Asterisk-HangupCause
    /// pair after User-Agent, preceded by `auth` (see [`bye_credentials`]);
    /// pjsip puts its Q.850 Reason before Max-Forwards and User-Agent.
    pub fn finish_bye(self, bye: &mut Request, cause: u32, auth: Option<(&'static str, String)>) {
        bye.headers.remove("Max-Forwards");
        let h = &mut bye.headers;
        match self {
            Flavor::ChanSip => {
                let at =
                    h.0.iter()
                        .rposition(|x| x.name.eq_ignore_ascii_case("Via"))
                        .map_or(0, |i| i + 1);
                h.0.insert(
                    at,
                    Header {
                        name: "Max-Forwards".into(),
                        value: "70".into(),
                    },
                );
                h.push("User-Agent", self.user_agent());
                if let Some((name, value)) = auth {
                    h.push(name, value);
                }
                h.push(
                    "X-Asterisk-HangupCause",
                    crate::channels::causes::text(cause),
                );
                h.push("X-Asterisk-HangupCauseCode", cause.to_string());
            }
            Flavor::Pjsip => {
                h.push("Reason", format!("Q.850;cause={cause}"));
                h.push("Max-Forwards", "70");
                h.push("User-Agent", self.user_agent());
            }
        }
    }
}

/// The Proxy-Authorization chan_sip puts in a BYE to a caller that
/// authenticated its INVITE: a digest answer to its own challenge, made
/// with the caller's secret and the nonce the INVITE used, for the user of
/// the caller's Contact and the URI `sip:<caller's address>`.
pub fn bye_credentials(creds: &Credentials, nonce: &str, user: &str, peer: IpAddr) -> String {
    let secret = creds.secret();
    let uri = match peer {
        IpAddr::V4(a) => format!("sip:{a}"),
        IpAddr::V6(a) => format!("sip:[{a}]"),
    };
    let response = digest_response(user, &creds.realm, secret, "BYE", &uri, nonce, None);
    format!(
        "Digest username=\"{user}\", realm=\"{}\", algorithm=MD5, uri=\"{uri}\", nonce=\"{nonce}\", response=\"{response}\"",
        creds.realm
    )
}

impl Flavor {
    /// What the driver tells the channel, besides hanging it up, when our
    /// INVITE fails with `status` (Originate reports it as its reason).
    /// chan_sip signals busy or congestion for some statuses (its
    /// `handle_response_invite`, then `handle_response`); pjsip only hangs
    /// up with the status's cause.
    pub fn invite_failure_control(self, status: u16) -> Option<crate::channels::Indication> {
        use crate::channels::Indication;
        match (self, status) {
            (Flavor::Pjsip, _) => None,
            (_, 300..=305 | 480 | 486 | 600 | 603) => Some(Indication::Busy),
            // 401/407: the challenge could not be answered.
            (_, 401 | 407 | 410 | 482 | 500 | 502 | 503 | 504) => Some(Indication::Congestion),
            _ => None,
        }
    }
}

/// The final response chan_sip gives a call hung up before it was
/// answered (`hangup_cause2sip`, its own reason phrases); a cause with no
/// SIP meaning, or none, declines.
fn chan_sip_hangup_response(cause: u32) -> (u16, &'static str) {
    match cause {
        1..=3 => (404, "Not Found"),
        34 | 42 | 66 => (503, "Service Unavailable"),
        18 => (408, "Request Timeout"),
        19 | 20 | 31 => (480, "Temporarily unavailable"),
        21 => (403, "Forbidden"),
        22 => (410, "Gone"),
        28 => (484, "Address incomplete"),
        17 => (486, "Busy here"),
        38 => (500, "Server internal failure"),
        29 => (501, "Not Implemented"),
        27 => (502, "Bad Gateway"),
        58 => (488, "Not Acceptable Here"),
        127 => (500, "Network error"),
        _ => (603, "Declined"),
    }
}

/// The final response to a call hung up before its answer, with the
/// reason phrase when the driver words it its own way: chan_sip's table
/// and phrases, chan_pjsip's table (pjsip's phrases), else 603.
pub fn unanswered_hangup_response(flavor: Flavor, cause: u32) -> (u16, Option<&'static str>) {
    match flavor {
        Flavor::ChanSip => {
            let (status, reason) = chan_sip_hangup_response(cause);
            (status, Some(reason))
        }
        Flavor::Pjsip => match pjsip_cause_to_status(cause) {
            0 => (603, None),
            status => (status, None),
        },
    }
}

/// The SIP status chan_pjsip gives a hangup cause (`hangup_cause2sip`):
/// 0 for the causes it has no status for (Normal Clearing among them).
pub fn pjsip_cause_to_status(cause: u32) -> u16 {
    match cause {
        23 => 302,
        1..=3 => 404,
        34 | 42 | 66 => 503,
        18 => 408,
        19 | 20 | 31 => 480,
        21 => 403,
        22 => 410,
        28 => 484,
        17 => 486,
        38 | 127 => 500,
        29 => 501,
        27 => 502,
        58 => 488,
        _ => 0,
    }
}

/// The hangup cause a SIP status means (chan_sip's `hangup_sip2cause`,
/// res_pjsip's `ast_sip_hangup_sip2cause`: the same table, but for the
/// redirect pjsip alone maps).
pub fn status_to_cause(flavor: Flavor, status: u16) -> u32 {
    match status {
        302 if flavor == Flavor::Pjsip => 23,
        401 | 403 | 407 | 603 => 21,
        404 | 485 | 604 => 1,
        408 => 18,
        409 => 41,
        410 => 22,
        420 => 3,
        480 | 483 => 19,
        484 => 28,
        486 | 600 => 17,
        488 | 606 => 58,
        500 => 38,
        501 => 29,
        502 => 27,
        503 => 34,
        504 => 102,
        400..=499 | 600..=699 => 127,
        500..=599 => 34,
        _ => 16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_causes() {
        assert_eq!(status_to_cause(Flavor::ChanSip, 486), 17);
        assert_eq!(status_to_cause(Flavor::ChanSip, 408), 18);
        assert_eq!(status_to_cause(Flavor::ChanSip, 480), 19);
        assert_eq!(status_to_cause(Flavor::ChanSip, 499), 127);
        assert_eq!(status_to_cause(Flavor::ChanSip, 599), 34);
        assert_eq!(status_to_cause(Flavor::ChanSip, 200), 16);
        assert_eq!(status_to_cause(Flavor::ChanSip, 302), 16);
        assert_eq!(status_to_cause(Flavor::Pjsip, 302), 23);
    }

    #[test]
    fn chan_sip_hangup_responses() {
        // chan_sip's own reason phrases, not the RFC's.
        assert_eq!(chan_sip_hangup_response(17), (486, "Busy here"));
        assert_eq!(
            chan_sip_hangup_response(19),
            (480, "Temporarily unavailable")
        );
        assert_eq!(chan_sip_hangup_response(66), (503, "Service Unavailable"));
        assert_eq!(chan_sip_hangup_response(127), (500, "Network error"));
        assert_eq!(chan_sip_hangup_response(16), (603, "Declined"));
        assert_eq!(chan_sip_hangup_response(0), (603, "Declined"));
    }

    #[test]
    fn pjsip_causes() {
        // A leg Dial hangs up with the CANCELled caller's cause 127 shows
        // TechCause 500 (golden/asterisk-20.20.1/ami/pjsip_cancel.rx);
        // Normal Clearing has no status.
        assert_eq!(pjsip_cause_to_status(127), 500);
        assert_eq!(pjsip_cause_to_status(16), 0);
        assert_eq!(pjsip_cause_to_status(17), 486);
        assert_eq!(pjsip_cause_to_status(19), 480);
    }
    use crate::sip::dialog::Dialog;
    use crate::sip::headers::Via;
    use crate::sip::message::tests::transcript_messages;
    use crate::sip::message::{Message, Method, parse_datagram};
    use crate::sip::uri::Host;

    /// The header names of the BYE the dialog builds for the call of
    /// `golden/asterisk-20.20.1/sip/invite_playback.<variant>.sip.log`,
    /// and of the BYE the reference sent there.
    fn bye_headers(flavor: Flavor, variant: &str) -> (Vec<String>, Vec<String>) {
        let path = format!(
            "{}/golden/asterisk-20.20.1/sip/invite_playback.{variant}.sip.log",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read(&path).expect("golden log");
        let msgs: Vec<Message> = transcript_messages(&text)
            .into_iter()
            .map(|m| parse_datagram(m).expect("parse"))
            .collect();
        let find_req = |method: Method| {
            msgs.iter()
                .rev()
                .find_map(|m| match m {
                    Message::Request(r) if r.method == method => Some(r.clone()),
                    _ => None,
                })
                .expect("request")
        };
        let ok = msgs
            .iter()
            .find_map(|m| match m {
                Message::Response(r) if r.status == 200 => Some(r.clone()),
                _ => None,
            })
            .expect("200");
        let (invite, theirs) = (find_req(Method::Invite), find_req(Method::Bye));
        let mut d = Dialog::uas(&invite, &ok).expect("dialog");
        let mut v = Via::new("UDP", Host::V4([127, 0, 0, 1].into()), Some(5060));
        v.params.set("branch", Some("z9hG4bKtest"));
        let mut ours = d.create_request(Method::Bye, v);
        let auth =
            (flavor == Flavor::ChanSip).then(|| ("Proxy-Authorization", "Digest".to_string()));
        flavor.finish_bye(&mut ours, 16, auth);
        let names = |r: &Request| r.headers.0.iter().map(|h| h.name.to_string()).collect();
        (names(&ours), names(&theirs))
    }

    #[test]
    fn a_bye_has_one_max_forwards_where_each_driver_puts_it() {
        let (ours, mut theirs) = bye_headers(Flavor::ChanSip, "chan_sip");
        // Content-Length is written at send time.
        theirs.retain(|n| n != "Content-Length");
        assert_eq!(ours, theirs);
        let (ours, mut theirs) = bye_headers(Flavor::Pjsip, "pjsip");
        theirs.retain(|n| n != "Content-Length");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn chan_sip_signs_its_bye_as_the_reference_did() {
        // invite_playback.chan_sip.sip.log: 1000 proved s3cret1000 with
        // nonce 64f86df6 from 127.0.0.1; the reference's BYE carried this.
        let creds = Credentials {
            username: "1000".into(),
            secret: "s3cret1000".into(),
            md5: false,
            realm: "asterisk".into(),
        };
        let v = bye_credentials(&creds, "64f86df6", "1000", [127, 0, 0, 1].into());
        assert_eq!(
            v,
            "Digest username=\"1000\", realm=\"asterisk\", algorithm=MD5, uri=\"sip:127.0.0.1\", nonce=\"64f86df6\", response=\"c0aefa31443c878c9ffa8ecb769aeb49\""
        );
        // baresip's Contact user differs from its name; chan_sip signs as
        // the Contact user (golden/asterisk-20.20.1/baresip/call.chan_sip.out).
        let v = bye_credentials(
            &creds,
            "118e3f54",
            "1000-0x5634aabbb6a0",
            [127, 0, 0, 1].into(),
        );
        assert!(
            v.ends_with("response=\"a50fb089a4a1e4eb5f5d3e8eeb76a367\""),
            "{v}"
        );
    }
}
