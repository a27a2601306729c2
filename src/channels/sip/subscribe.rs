//! chan_sip's notifier for the `dialog` and `presence` event packages
//! (RFC 6665, RFC 4235, RFC 3863): which body format a SUBSCRIBE's Accept
//! headers choose (`handle_request_subscribe`), and the body of each
//! NOTIFY for an extension's state (`state_notify_build_xml`). The SIP
//! task keeps the subscriptions and sends the requests
//! (`stack/subscribe.rs`).

use crate::channels::party::{Party, pres};
use crate::config::views::sip::NotifyRinging;
use crate::core::devicestate::ExtensionState;
use crate::http::response::xml_escape;

/// The body formats chan_sip writes (`enum subscriptiontype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DialogInfo,
    CpimPidf,
    Pidf,
    Xpidf,
}

impl Format {
    /// The event package a NOTIFY names (`subscription_types`).
    pub fn event(self) -> &'static str {
        match self {
            Format::DialogInfo => "dialog",
            _ => "presence",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::DialogInfo => "application/dialog-info+xml",
            Format::CpimPidf => "application/cpim-pidf+xml",
            Format::Pidf => "application/pidf+xml",
            Format::Xpidf => "application/xpidf+xml",
        }
    }
}

/// What the Accept headers of a `dialog` or `presence` SUBSCRIBE ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    Format(Format),
    /// No Accept header at all.
    Missing,
    /// Only types chan_sip does not write: the last one it looked at.
    Unknown(String),
}

/// chan_sip's choice among the Accept headers, first match wins; each
/// header is searched as text, so a list in one header matches by its
/// first known type in chan_sip's order of preference.
pub fn choose(accepts: &[&str], user_agent: &str) -> Accepted {
    let mut unknown = None;
    for accept in accepts.iter().filter(|a| !a.is_empty()) {
        let format = if accept.contains("application/pidf+xml") {
            // Older Polycom firmware claims pidf but reads only xpidf.
            if user_agent.contains("Polycom") {
                Format::Xpidf
            } else {
                Format::Pidf
            }
        } else if accept.contains("application/dialog-info+xml") {
            Format::DialogInfo
        } else if accept.contains("application/cpim-pidf+xml") {
            Format::CpimPidf
        } else if accept.contains("application/xpidf+xml") {
            Format::Xpidf
        } else {
            unknown = Some(accept.to_string());
            continue;
        };
        return Accepted::Format(format);
    }
    match unknown {
        Some(u) => Accepted::Unknown(u),
        None => Accepted::Missing,
    }
}

/// What one NOTIFY body says about the watched extension.
pub struct Notice<'a> {
    pub state: ExtensionState,
    pub exten: &'a str,
    /// The subscriber's URI (the SUBSCRIBE's From, parameters cut).
    pub from_uri: &'a str,
    /// The watched URI (the SUBSCRIBE's To, parameters cut).
    pub to_uri: &'a str,
    /// The dialog-info `version`: one more for every NOTIFY sent.
    pub version: u32,
    /// Every device of the hint is unavailable (none registered).
    pub offline: bool,
    /// sip.conf `notifyringing`.
    pub notify_ringing: NotifyRinging,
    /// With sip.conf `notifycid`, what a ringing dialog says of its call.
    pub pickup: Option<Pickup<'a>>,
}

/// What `notifycid` adds to a ringing dialog: the call id a phone's
/// Replaces names to pick the call up (`pickup-` and the subscription's
/// own), and both parties of the oldest ringing call of the hint.
pub struct Pickup<'a> {
    pub call_id: &'a str,
    /// With `pedanticsipchecking`, the subscription's tags: the
    /// subscriber's, then ours.
    pub tags: Option<(&'a str, &'a str)>,
    /// The ringing channel's caller (`<local>`) and connected line
    /// (`<remote>`), as display and target; None when none is ringing.
    pub parties: Option<(Identity, Identity)>,
}

/// A `<identity>` and `<target>` of a dialog-info party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub display: String,
    pub target: String,
}

impl Identity {
    /// A party of the ringing channel, as chan_sip names it: its number
    /// at the subscription's From domain, `anonymous` (at
    /// `anonymous.invalid`) when restricted; its name likewise.
    pub fn of(party: &Party, fromdomain: &str) -> Identity {
        let restricted = |p: i32| p & pres::RESTRICTION == pres::RESTRICTED;
        let num_restricted = restricted(party.number.presentation);
        let num = if !party.number.valid {
            ""
        } else if num_restricted {
            "anonymous"
        } else {
            party.number.text.as_deref().unwrap_or("")
        };
        let domain = if num_restricted {
            "anonymous.invalid"
        } else {
            fromdomain
        };
        let name = if !party.name.valid {
            ""
        } else if restricted(party.name.presentation) {
            "anonymous"
        } else {
            party.name.text.as_deref().unwrap_or("")
        };
        Identity {
            display: xml_escape(name),
            target: format!("sip:{num}@{domain}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Local {
    Open,
    InUse,
    Closed,
}

/// The NOTIFY body in `format`, as chan_sip writes it.
pub fn body(format: Format, n: &Notice<'_>) -> String {
    use ExtensionState as E;
    let (dialog_state, mut local, mut pidf_state, mut note) = match n.state {
        E::InUseRinging => (
            if n.notify_ringing == NotifyRinging::Yes {
                "early"
            } else {
                "confirmed"
            },
            Local::InUse,
            "busy",
            "Ringing",
        ),
        E::Ringing => ("early", Local::InUse, "busy", "Ringing"),
        E::InUse => ("confirmed", Local::InUse, "busy", "On the phone"),
        E::Busy => ("confirmed", Local::Closed, "busy", "On the phone"),
        E::Unavailable => ("terminated", Local::Closed, "away", "Unavailable"),
        E::Hold => ("confirmed", Local::Closed, "busy", "On hold"),
        E::Idle | E::InUseHold => ("terminated", Local::Open, "--", "Ready"),
    };
    if n.offline {
        local = Local::Closed;
        pidf_state = "away";
        note = "Not online";
    }
    let mut out = String::new();
    match format {
        Format::Xpidf | Format::CpimPidf => {
            let (status, substatus) = match local {
                Local::Open => ("open", "online"),
                Local::InUse => ("inuse", "onthephone"),
                Local::Closed => ("closed", "offline"),
            };
            out.push_str("<?xml version=\"1.0\"?>\n");
            out.push_str("<!DOCTYPE presence PUBLIC \"-//IETF//DTD RFCxxxx XPIDF 1.0//EN\" \"xpidf.dtd\">\n<presence>\n");
            out.push_str(&format!(
                "<presentity uri=\"{};method=SUBSCRIBE\" />\n",
                n.from_uri
            ));
            out.push_str(&format!("<atom id=\"{}\">\n", n.exten));
            out.push_str(&format!(
                "<address uri=\"{};user=ip\" priority=\"0.800000\">\n",
                n.to_uri
            ));
            out.push_str(&format!("<status status=\"{status}\" />\n"));
            out.push_str(&format!("<msnsubstatus substatus=\"{substatus}\" />\n"));
            out.push_str("</address>\n</atom>\n</presence>\n");
        }
        Format::Pidf => {
            out.push_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n");
            out.push_str("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \n");
            out.push_str("xmlns:pp=\"urn:ietf:params:xml:ns:pidf:person\"\n");
            out.push_str("xmlns:es=\"urn:ietf:params:xml:ns:pidf:rpid:status:rpid-status\"\n");
            out.push_str("xmlns:ep=\"urn:ietf:params:xml:ns:pidf:rpid:rpid-person\"\n");
            out.push_str(&format!("entity=\"{}\">\n", n.from_uri));
            out.push_str("<pp:person><status>\n");
            if pidf_state != "--" {
                out.push_str(&format!(
                    "<ep:activities><ep:{pidf_state}/></ep:activities>\n"
                ));
            }
            out.push_str("</status></pp:person>\n");
            out.push_str(&format!("<note>{note}</note>\n"));
            out.push_str(&format!("<tuple id=\"{}\">\n", n.exten));
            out.push_str(&format!("<contact priority=\"1\">{}</contact>\n", n.to_uri));
            // Busy is still open: the phone is there, just talking.
            let basic = if pidf_state == "busy" || local != Local::Closed {
                "open"
            } else {
                "closed"
            };
            out.push_str(&format!("<status><basic>{basic}</basic></status>\n"));
            out.push_str("</tuple>\n</presence>\n");
        }
        Format::DialogInfo => {
            out.push_str("<?xml version=\"1.0\"?>\n");
            out.push_str(&format!(
                "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"{}\" state=\"full\" entity=\"{}\">\n",
                n.version, n.to_uri
            ));
            let ringing = matches!(n.state, E::Ringing | E::InUseRinging);
            match (&n.pickup, ringing && n.notify_ringing != NotifyRinging::No) {
                (_, false) => out.push_str(&format!("<dialog id=\"{}\">\n", n.exten)),
                (None, true) => out.push_str(&format!(
                    "<dialog id=\"{}\" direction=\"recipient\">\n",
                    n.exten
                )),
                (Some(p), true) => {
                    // Without a ringing call both parties read as the
                    // watched extension.
                    let (local, remote) = p.parties.clone().unwrap_or_else(|| {
                        let own = Identity {
                            display: xml_escape(n.exten),
                            target: n.to_uri.to_string(),
                        };
                        (own.clone(), own)
                    });
                    match p.tags {
                        Some((theirs, ours)) => out.push_str(&format!(
                            "<dialog id=\"{}\" call-id=\"pickup-{}\" local-tag=\"{theirs}\" remote-tag=\"{ours}\" direction=\"recipient\">\n",
                            n.exten, p.call_id
                        )),
                        None => out.push_str(&format!(
                            "<dialog id=\"{}\" call-id=\"pickup-{}\" direction=\"recipient\">\n",
                            n.exten, p.call_id
                        )),
                    }
                    for (side, party) in [("remote", &remote), ("local", &local)] {
                        out.push_str(&format!(
                            "<{side}>\n<identity display=\"{}\">{}</identity>\n<target uri=\"{}\"/>\n</{side}>\n",
                            party.display, party.target, party.target
                        ));
                    }
                }
            }
            out.push_str(&format!("<state>{dialog_state}</state>\n"));
            if n.state == E::Hold {
                out.push_str(&format!(
                    "<local>\n<target uri=\"{}\">\n<param pname=\"+sip.rendering\" pvalue=\"no\"/>\n</target>\n</local>\n",
                    n.to_uri
                ));
            }
            out.push_str("</dialog>\n</dialog-info>\n");
        }
    }
    out
}

/// A URI taken from a From or To header value: the part in angle
/// brackets, if any, without its parameters (`get_in_brackets`,
/// `remove_uri_parameters`).
pub fn bare_uri(header: &str) -> &str {
    let inner = match (header.find('<'), header.rfind('>')) {
        (Some(a), Some(b)) if a < b => &header[a + 1..b],
        _ => header,
    };
    inner.split(';').next().unwrap_or(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(state: ExtensionState) -> Notice<'static> {
        Notice {
            state,
            exten: "1060",
            from_uri: "sip:1001@127.0.0.1:5060",
            to_uri: "sip:1060@127.0.0.1:5060",
            version: 3,
            offline: false,
            notify_ringing: NotifyRinging::Yes,
            pickup: None,
        }
    }

    #[test]
    fn accept_headers_choose_the_format() {
        assert_eq!(
            choose(&["application/dialog-info+xml"], "SIPp"),
            Accepted::Format(Format::DialogInfo)
        );
        assert_eq!(
            choose(
                &["multipart/related, application/rlmi+xml, application/pidf+xml"],
                "x"
            ),
            Accepted::Format(Format::Pidf)
        );
        assert_eq!(
            choose(&["application/pidf+xml"], "PolycomSoundPointIP"),
            Accepted::Format(Format::Xpidf)
        );
        assert_eq!(
            choose(&["text/plain", "application/xpidf+xml"], "x"),
            Accepted::Format(Format::Xpidf)
        );
        assert_eq!(choose(&[], "x"), Accepted::Missing);
        assert_eq!(
            choose(&["text/plain"], "x"),
            Accepted::Unknown("text/plain".into())
        );
    }

    #[test]
    fn hold_marks_the_local_target_not_rendering() {
        let b = body(Format::DialogInfo, &notice(ExtensionState::Hold));
        assert!(b.contains("<state>confirmed</state>\n<local>\n<target uri=\"sip:1060@127.0.0.1:5060\">\n<param pname=\"+sip.rendering\" pvalue=\"no\"/>"), "{b}");
        assert!(b.contains("version=\"3\""), "{b}");
    }

    #[test]
    fn offline_devices_close_the_presence() {
        let mut n = notice(ExtensionState::Idle);
        n.offline = true;
        let b = body(Format::Pidf, &n);
        assert!(b.contains("<ep:activities><ep:away/></ep:activities>\n</status></pp:person>\n<note>Not online</note>"), "{b}");
        assert!(b.contains("<basic>closed</basic>"), "{b}");
        let x = body(Format::Xpidf, &n);
        assert!(
            x.contains("<status status=\"closed\" />\n<msnsubstatus substatus=\"offline\" />"),
            "{x}"
        );
    }

    #[test]
    fn ringing_without_notifyringing_is_confirmed() {
        let mut n = notice(ExtensionState::InUseRinging);
        n.notify_ringing = NotifyRinging::No;
        let b = body(Format::DialogInfo, &n);
        assert!(
            b.contains("<dialog id=\"1060\">\n<state>confirmed</state>"),
            "{b}"
        );
    }

    #[test]
    fn notifycid_names_the_ringing_call_and_the_pickup_call_id() {
        let mut n = notice(ExtensionState::Ringing);
        let mut caller = Party::default();
        caller.set_name(Some("A <b>"));
        caller.set_number(Some("1002"));
        let mut connected = Party::default();
        connected.set_name(Some("Caller"));
        connected.set_number(Some("5550"));
        n.pickup = Some(Pickup {
            call_id: "abc@h",
            tags: Some(("theirs", "ours")),
            parties: Some((
                Identity::of(&caller, "127.0.0.1"),
                Identity::of(&connected, "127.0.0.1"),
            )),
        });
        let b = body(Format::DialogInfo, &n);
        assert!(b.contains("<dialog id=\"1060\" call-id=\"pickup-abc@h\" local-tag=\"theirs\" remote-tag=\"ours\" direction=\"recipient\">\n<remote>\n<identity display=\"Caller\">sip:5550@127.0.0.1</identity>\n<target uri=\"sip:5550@127.0.0.1\"/>\n</remote>\n<local>\n<identity display=\"A &lt;b&gt;\">sip:1002@127.0.0.1</identity>\n<target uri=\"sip:1002@127.0.0.1\"/>\n</local>\n<state>early</state>"), "{b}");
        // No ringing call found: both sides are the watched extension;
        // without pedanticsipchecking no tags.
        n.pickup = Some(Pickup {
            call_id: "abc@h",
            tags: None,
            parties: None,
        });
        let b = body(Format::DialogInfo, &n);
        assert!(b.contains("<dialog id=\"1060\" call-id=\"pickup-abc@h\" direction=\"recipient\">\n<remote>\n<identity display=\"1060\">sip:1060@127.0.0.1:5060</identity>"), "{b}");
        // Not ringing: no call id.
        n.state = ExtensionState::InUse;
        let b = body(Format::DialogInfo, &n);
        assert!(
            b.contains("<dialog id=\"1060\">\n<state>confirmed</state>"),
            "{b}"
        );
    }

    #[test]
    fn restricted_parties_are_anonymous() {
        let mut p = Party::default();
        p.set_name(Some("Secret"));
        p.set_number(Some("555"));
        p.number.presentation = pres::RESTRICTED;
        p.name.presentation = pres::RESTRICTED;
        let id = Identity::of(&p, "example.com");
        assert_eq!(id.display, "anonymous");
        assert_eq!(id.target, "sip:anonymous@anonymous.invalid");
        let id = Identity::of(&Party::default(), "example.com");
        assert_eq!(
            (id.display.as_str(), id.target.as_str()),
            ("", "sip:@example.com")
        );
    }

    #[test]
    fn notifyringing_notinuse_leaves_ringing_in_use_confirmed() {
        let mut n = notice(ExtensionState::InUseRinging);
        n.notify_ringing = NotifyRinging::NotInUse;
        let b = body(Format::DialogInfo, &n);
        assert!(
            b.contains("<dialog id=\"1060\" direction=\"recipient\">\n<state>confirmed</state>"),
            "{b}"
        );
    }

    #[test]
    fn bare_uris_lose_brackets_and_parameters() {
        assert_eq!(
            bare_uri("<sip:1001@127.0.0.1:5060;transport=udp>;tag=x"),
            "sip:1001@127.0.0.1:5060"
        );
        assert_eq!(bare_uri("sip:1@h;user=phone"), "sip:1@h");
    }
}
