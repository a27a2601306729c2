//! Message-waiting NOTIFYs (RFC 3842): the `message-summary` body both
//! drivers write, and the URIs chan_sip puts in and around it
//! (`transmit_notify_with_mwi`, `initreqprep`). Which phone hears of
//! which mailbox, and when, is the SIP task's (`stack/mwi.rs`).

use std::net::{IpAddr, SocketAddr};

use crate::sip::transaction::Transport;

/// The event package and the body's media type.
pub const EVENT: &str = "message-summary";
pub const MEDIA_TYPE: &str = "application/simple-message-summary";

/// A mailbox summary: whether anything new waits, the account to call
/// (when known), and the new/old voice messages. Both drivers add the
/// urgent counts as ` (0/0)`; chan_sip's `buggymwi` leaves them out for
/// phones that cannot read them.
pub fn body(new: u32, old: u32, account: Option<&str>, urgent_counts: bool) -> String {
    let mut out = format!(
        "Messages-Waiting: {}\r\n",
        if new > 0 { "yes" } else { "no" }
    );
    if let Some(account) = account {
        out.push_str(&format!("Message-Account: {account}\r\n"));
    }
    out.push_str(&format!(
        "Voice-Message: {new}/{old}{}\r\n",
        if urgent_counts { " (0/0)" } else { "" }
    ));
    out
}

/// A host as chan_sip writes it in a URI, with the port unless it is the
/// transport's standard one.
pub fn chan_sip_hostport(host: &str, port: u16, transport: Transport) -> String {
    let standard = match transport {
        Transport::Tls => 5061,
        _ => 5060,
    };
    if port == standard {
        host.to_string()
    } else {
        format!("{host}:{port}")
    }
}

/// A local address's host part as a URI needs it.
pub fn uri_host(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    }
}

/// chan_sip's `Message-Account`: the voicemail extension at the From
/// domain (our address unless `fromdomain`), naming the transport
/// unless it is UDP.
pub fn chan_sip_account(exten: &str, hostport: &str, transport: Transport) -> String {
    match transport {
        Transport::Udp => format!("sip:{exten}@{hostport}"),
        t => format!(
            "sip:{exten}@{hostport};transport={}",
            t.as_str().to_ascii_lowercase()
        ),
    }
}

/// The From of chan_sip's MWI NOTIFYs (`initreqprep` without a channel):
/// `mwi_from` as the user with no display name, else the default caller
/// id as both; `fromuser` and `fromname` override them.
pub fn chan_sip_from(
    mwi_from: &str,
    default_callerid: &str,
    fromuser: &str,
    fromname: &str,
    hostport: &str,
) -> String {
    let has_number = !mwi_from.is_empty();
    let number = if has_number {
        mwi_from
    } else {
        default_callerid
    };
    let user = if fromuser.is_empty() {
        number
    } else {
        fromuser
    };
    let name = if fromname.is_empty() {
        number
    } else {
        fromname
    };
    // A display name only when the caller id had a name or no number.
    if has_number && fromname.is_empty() {
        format!("<sip:{user}@{hostport}>")
    } else {
        format!("\"{name}\" <sip:{user}@{hostport}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_the_reference_writes_them() {
        // golden/asterisk-20.20.1/sip/mwi_unsolicited.chan_sip.sip.log
        assert_eq!(
            body(0, 0, Some("sip:*97@127.0.0.1"), true),
            "Messages-Waiting: no\r\nMessage-Account: sip:*97@127.0.0.1\r\nVoice-Message: 0/0 (0/0)\r\n"
        );
        assert_eq!(
            body(1, 2, None, true),
            "Messages-Waiting: yes\r\nVoice-Message: 1/2 (0/0)\r\n"
        );
        assert_eq!(
            body(3, 0, None, false),
            "Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n"
        );
    }

    #[test]
    fn chan_sip_uris() {
        assert_eq!(
            chan_sip_hostport("127.0.0.1", 5060, Transport::Udp),
            "127.0.0.1"
        );
        assert_eq!(
            chan_sip_hostport("127.0.0.1", 5080, Transport::Udp),
            "127.0.0.1:5080"
        );
        assert_eq!(
            chan_sip_account("asterisk", "pbx.example", Transport::Tcp),
            "sip:asterisk@pbx.example;transport=tcp"
        );
        assert_eq!(
            chan_sip_from("", "asterisk", "", "", "127.0.0.1"),
            "\"asterisk\" <sip:asterisk@127.0.0.1>"
        );
        assert_eq!(
            chan_sip_from("vm", "asterisk", "", "", "127.0.0.1"),
            "<sip:vm@127.0.0.1>"
        );
        assert_eq!(
            chan_sip_from("", "asterisk", "mwi", "Voicemail", "127.0.0.1:5080"),
            "\"Voicemail\" <sip:mwi@127.0.0.1:5080>"
        );
    }
}
