use super::*;
use crate::sip::message::tests::transcript_messages;
use crate::sip::message::{Message, parse_datagram};
use crate::sip::uri::Host;

/// The call in 08_pjsip_call601.sip.log: SIPp's INVITE, Asterisk's 100 and
/// 200, SIPp's ACK, Asterisk's BYE, SIPp's 200.
fn transcript() -> Vec<Message> {
    let text = std::fs::read(
        "/work/shared/reference/asterisk-20.20.1/transcripts/08_pjsip_call601.sip.log",
    )
    .expect("transcript");
    transcript_messages(&text)
        .into_iter()
        .map(|m| parse_datagram(m).expect("parse"))
        .collect()
}

fn req(m: &Message) -> &Request {
    match m {
        Message::Request(r) => r,
        _ => panic!("request expected"),
    }
}

fn resp(m: &Message) -> &Response {
    match m {
        Message::Response(r) => r,
        _ => panic!("response expected"),
    }
}

fn via(port: u16) -> Via {
    let mut v = Via::new("UDP", Host::V4([127, 0, 0, 1].into()), Some(port));
    v.params.set("branch", Some("z9hG4bKtest"));
    v
}

#[test]
fn uas_builds_the_bye_asterisk_sent() {
    let msgs = transcript();
    let (invite, ok, bye) = (req(&msgs[0]), resp(&msgs[2]), req(&msgs[4]));
    let mut d = Dialog::uas(invite, ok).unwrap();
    assert_eq!(d.state, DialogState::Confirmed);
    assert_eq!(d.id.remote_tag, "12202SIPpTag001");
    assert_eq!(d.id.local_tag, "77704148-15ca-4d07-8736-5d19f91ad377");
    d.local_seq = 28246;
    let ours = d.create_request(Method::Bye, via(5070));
    assert_eq!(ours.uri, bye.uri, "BYE goes to the caller's Contact");
    assert_eq!(ours.headers.cseq().unwrap(), bye.headers.cseq().unwrap());
    assert_eq!(ours.headers.call_id(), bye.headers.call_id());
    assert_eq!(
        ours.headers.from().unwrap().tag(),
        bye.headers.from().unwrap().tag()
    );
    assert_eq!(
        ours.headers.to().unwrap().tag(),
        bye.headers.to().unwrap().tag()
    );
    assert_eq!(
        ours.headers.get("Contact"),
        None,
        "BYE is no target refresh"
    );
    // The ACK SIPp sent is accepted by the dialog without ordering checks.
    let ack = req(&msgs[3]);
    assert_eq!(d.on_request(ack), Ok(()));
}

#[test]
fn uac_acks_the_2xx_and_accepts_the_bye() {
    let msgs = transcript();
    let (invite, ok, sipp_ack, bye) = (req(&msgs[0]), resp(&msgs[2]), req(&msgs[3]), req(&msgs[4]));
    // The 100 Trying has no To tag: no dialog.
    assert_eq!(
        Dialog::uac(invite, resp(&msgs[1])).err(),
        Some(DialogError::Status(100))
    );
    let d = Dialog::uac(invite, ok).unwrap();
    assert_eq!(d.remote_target.to_string(), "sip:127.0.0.1:5070");
    let ack = d.create_ack(1, via(5076));
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(
        ack.headers.cseq().unwrap(),
        sipp_ack.headers.cseq().unwrap()
    );
    assert_eq!(
        ack.headers.to().unwrap().tag(),
        sipp_ack.headers.to().unwrap().tag()
    );
    assert_eq!(
        ack.headers.from().unwrap().tag(),
        sipp_ack.headers.from().unwrap().tag()
    );
    // RFC 3261 sends it to the remote target (SIPp reused the original URI).
    assert_eq!(ack.uri.to_string(), "sip:127.0.0.1:5070");

    let mut dialogs = Dialogs::default();
    dialogs.insert(d);
    let got = dialogs.dispatch(bye).unwrap().unwrap();
    assert_eq!(got.remote_seq, Some(28247));
    // A stale BYE (lower CSeq) is refused with 500.
    let mut old = bye.clone();
    old.headers.set("CSeq", "28000 BYE");
    let err = dialogs.dispatch(&old).err().unwrap();
    assert_eq!(err.status(), 500);
    // A To tag naming no dialog: 481.
    let mut other = bye.clone();
    other.headers.set("To", "<sip:2001@127.0.0.1>;tag=nope");
    assert_eq!(dialogs.dispatch(&other).err(), Some(RequestError::NoDialog));
    assert_eq!(RequestError::NoDialog.status(), 481);
    // No To tag: outside any dialog.
    assert!(dialogs.dispatch(invite).unwrap().is_none());
}

fn make(text: &str) -> Message {
    parse_datagram(text.replace('\n', "\r\n").as_bytes()).expect("parse")
}

const INVITE_RR: &str = "INVITE sip:bob@biloxi.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1
From: <sip:alice@atlanta.com>;tag=a1
To: <sip:bob@biloxi.com>
Call-ID: c1
CSeq: 10 INVITE
Contact: <sip:alice@pc33.atlanta.com>
Record-Route: <sip:p2.biloxi.com;lr>, <sip:p1.atlanta.com;lr>
Content-Length: 0

";

const OK_RR: &str = "SIP/2.0 200 OK
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1
From: <sip:alice@atlanta.com>;tag=a1
To: <sip:bob@biloxi.com>;tag=b1
Call-ID: c1
CSeq: 10 INVITE
Contact: <sip:bob@192.0.2.4>
Record-Route: <sip:p2.biloxi.com;lr>, <sip:p1.atlanta.com;lr>
Content-Length: 0

";

#[test]
fn loose_route_sets_per_side() {
    let invite = make(INVITE_RR);
    let ok = make(OK_RR);
    let mut uac = Dialog::uac(req(&invite), resp(&ok)).unwrap();
    let bye = uac.create_request(Method::Bye, via(5060));
    assert_eq!(bye.uri.to_string(), "sip:bob@192.0.2.4");
    assert_eq!(
        bye.headers.get_all("Route").collect::<Vec<_>>(),
        ["<sip:p1.atlanta.com;lr>", "<sip:p2.biloxi.com;lr>"]
    );
    assert_eq!(bye.headers.cseq().unwrap().seq, 11);

    let mut uas = Dialog::uas(req(&invite), resp(&ok)).unwrap();
    let bye = uas.create_request(Method::Bye, via(5060));
    assert_eq!(bye.uri.to_string(), "sip:alice@pc33.atlanta.com");
    assert_eq!(
        bye.headers.get_all("Route").collect::<Vec<_>>(),
        ["<sip:p2.biloxi.com;lr>", "<sip:p1.atlanta.com;lr>"]
    );
    assert_eq!(bye.headers.cseq().unwrap().seq, 1);
}

#[test]
fn strict_route_rewrites_request_uri() {
    let invite = make(INVITE_RR);
    let ok = make(&OK_RR.replace(
        "Record-Route: <sip:p2.biloxi.com;lr>, <sip:p1.atlanta.com;lr>",
        "Record-Route: <sip:p2.biloxi.com>, <sip:p1.atlanta.com>",
    ));
    let mut uac = Dialog::uac(req(&invite), resp(&ok)).unwrap();
    let bye = uac.create_request(Method::Bye, via(5060));
    assert_eq!(bye.uri.to_string(), "sip:p1.atlanta.com");
    assert_eq!(
        bye.headers.get_all("Route").collect::<Vec<_>>(),
        ["<sip:p2.biloxi.com>", "<sip:bob@192.0.2.4>"]
    );
}

#[test]
fn reinvite_refreshes_target_and_carries_contact() {
    let invite = make(INVITE_RR);
    let ok = make(OK_RR);
    let mut uas = Dialog::uas(req(&invite), resp(&ok)).unwrap();
    let reinvite = make(
        "INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK2
From: <sip:alice@atlanta.com>;tag=a1
To: <sip:bob@biloxi.com>;tag=b1
Call-ID: c1
CSeq: 11 INVITE
Contact: <sip:alice@198.51.100.7:5062>
Content-Length: 0

",
    );
    uas.on_request(req(&reinvite)).unwrap();
    assert_eq!(uas.remote_target.to_string(), "sip:alice@198.51.100.7:5062");
    assert_eq!(uas.remote_seq, Some(11));
    let ours = uas.create_request(Method::Invite, via(5060));
    assert_eq!(ours.headers.get("Contact"), Some("<sip:bob@192.0.2.4>"));
    assert_eq!(ours.uri.to_string(), "sip:alice@198.51.100.7:5062");
}

#[test]
fn early_dialog_confirmed_by_2xx() {
    let invite = make(INVITE_RR);
    let ringing = make(&OK_RR.replace("200 OK", "180 Ringing").replace(
        "Record-Route: <sip:p2.biloxi.com;lr>, <sip:p1.atlanta.com;lr>\n",
        "",
    ));
    let mut uac = Dialog::uac(req(&invite), resp(&ringing)).unwrap();
    assert_eq!(uac.state, DialogState::Early);
    assert!(uac.route_set.is_empty());
    uac.on_response(&Method::Invite, resp(&make(OK_RR)))
        .unwrap();
    assert_eq!(uac.state, DialogState::Confirmed);
    assert_eq!(uac.route_set[0].uri.to_string(), "sip:p1.atlanta.com;lr");
}

#[test]
fn dialog_creation_errors() {
    let invite = make(INVITE_RR);
    let no_tag = make(&OK_RR.replace(";tag=b1", ""));
    assert_eq!(
        Dialog::uac(req(&invite), resp(&no_tag)).err(),
        Some(DialogError::NoRemoteTag)
    );
    let no_contact = make(&OK_RR.replace("Contact: <sip:bob@192.0.2.4>\n", ""));
    assert_eq!(
        Dialog::uac(req(&invite), resp(&no_contact)).err(),
        Some(DialogError::NoContact)
    );
    let busy = make(&OK_RR.replace("200 OK", "486 Busy Here"));
    assert_eq!(
        Dialog::uas(req(&invite), resp(&busy)).err(),
        Some(DialogError::Status(486))
    );
}
