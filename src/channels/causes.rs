//! Hangup causes: Q.850 numbers with the names and texts Asterisk uses
//! (`HANGUPCAUSE`, AMI `Cause`/`Cause-txt`, `Hangup(<name>)`).

/// (number, name, text), in Asterisk's table order.
pub const CAUSES: &[(u32, &str, &str)] = &[
    (1, "UNALLOCATED", "Unallocated (unassigned) number"),
    (
        2,
        "NO_ROUTE_TRANSIT_NET",
        "No route to specified transmit network",
    ),
    (3, "NO_ROUTE_DESTINATION", "No route to destination"),
    (5, "MISDIALLED_TRUNK_PREFIX", "Misdialed trunk prefix"),
    (6, "CHANNEL_UNACCEPTABLE", "Channel unacceptable"),
    (
        7,
        "CALL_AWARDED_DELIVERED",
        "Call awarded and being delivered in an established channel",
    ),
    (8, "PRE_EMPTED", "Pre-empted"),
    (14, "NUMBER_PORTED_NOT_HERE", "Number ported elsewhere"),
    (16, "NORMAL_CLEARING", "Normal Clearing"),
    (17, "USER_BUSY", "User busy"),
    (18, "NO_USER_RESPONSE", "No user responding"),
    (19, "NO_ANSWER", "User alerting, no answer"),
    (20, "SUBSCRIBER_ABSENT", "Subscriber absent"),
    (21, "CALL_REJECTED", "Call Rejected"),
    (22, "NUMBER_CHANGED", "Number changed"),
    (
        23,
        "REDIRECTED_TO_NEW_DESTINATION",
        "Redirected to new destination",
    ),
    (26, "ANSWERED_ELSEWHERE", "Answered elsewhere"),
    (27, "DESTINATION_OUT_OF_ORDER", "Destination out of order"),
    (28, "INVALID_NUMBER_FORMAT", "Invalid number format"),
    (29, "FACILITY_REJECTED", "Facility rejected"),
    (
        30,
        "RESPONSE_TO_STATUS_ENQUIRY",
        "Response to STATus ENQuiry",
    ),
    (31, "NORMAL_UNSPECIFIED", "Normal, unspecified"),
    (
        34,
        "NORMAL_CIRCUIT_CONGESTION",
        "Circuit/channel congestion",
    ),
    (38, "NETWORK_OUT_OF_ORDER", "Network out of order"),
    (41, "NORMAL_TEMPORARY_FAILURE", "Temporary failure"),
    (42, "SWITCH_CONGESTION", "Switching equipment congestion"),
    (43, "ACCESS_INFO_DISCARDED", "Access information discarded"),
    (
        44,
        "REQUESTED_CHAN_UNAVAIL",
        "Requested channel not available",
    ),
    (50, "FACILITY_NOT_SUBSCRIBED", "Facility not subscribed"),
    (52, "OUTGOING_CALL_BARRED", "Outgoing call barred"),
    (54, "INCOMING_CALL_BARRED", "Incoming call barred"),
    (
        57,
        "BEARERCAPABILITY_NOTAUTH",
        "Bearer capability not authorized",
    ),
    (
        58,
        "BEARERCAPABILITY_NOTAVAIL",
        "Bearer capability not available",
    ),
    (
        65,
        "BEARERCAPABILITY_NOTIMPL",
        "Bearer capability not implemented",
    ),
    (66, "CHAN_NOT_IMPLEMENTED", "Channel not implemented"),
    (69, "FACILITY_NOT_IMPLEMENTED", "Facility not implemented"),
    (81, "INVALID_CALL_REFERENCE", "Invalid call reference value"),
    (88, "INCOMPATIBLE_DESTINATION", "Incompatible destination"),
    (95, "INVALID_MSG_UNSPECIFIED", "Invalid message unspecified"),
    (
        96,
        "MANDATORY_IE_MISSING",
        "Mandatory information element is missing",
    ),
    (97, "MESSAGE_TYPE_NONEXIST", "Message type nonexist."),
    (98, "WRONG_MESSAGE", "Wrong message"),
    (
        99,
        "IE_NONEXIST",
        "Info. element nonexist or not implemented",
    ),
    (
        100,
        "INVALID_IE_CONTENTS",
        "Invalid information element contents",
    ),
    (
        101,
        "WRONG_CALL_STATE",
        "Message not compatible with call state",
    ),
    (102, "RECOVERY_ON_TIMER_EXPIRE", "Recover on timer expiry"),
    (
        103,
        "MANDATORY_IE_LENGTH_ERROR",
        "Mandatory IE length error",
    ),
    (111, "PROTOCOL_ERROR", "Protocol error, unspecified"),
    (127, "INTERWORKING", "Interworking, unspecified"),
];

pub const NOTDEFINED: u32 = 0;
pub const NORMAL_CLEARING: u32 = 16;
pub const USER_BUSY: u32 = 17;
pub const NO_ANSWER: u32 = 19;
pub const CALL_REJECTED: u32 = 21;
pub const ANSWERED_ELSEWHERE: u32 = 26;
pub const CONGESTION: u32 = 34;
/// AST_CAUSE_FAILURE, another name of NETWORK_OUT_OF_ORDER.
pub const FAILURE: u32 = 38;
pub const SWITCH_CONGESTION: u32 = 42;
pub const CHAN_NOT_IMPLEMENTED: u32 = 66;

/// The text for a cause number (`ast_cause2str`): "Unknown" when not in the table.
pub fn text(cause: u32) -> &'static str {
    CAUSES
        .iter()
        .find(|(n, _, _)| *n == cause)
        .map(|(_, _, t)| *t)
        .unwrap_or("Unknown")
}

/// The cause number for a name, case-insensitive (`ast_str2cause`).
pub fn by_name(name: &str) -> Option<u32> {
    CAUSES
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
        .map(|(c, _, _)| *c)
}

/// What a dialled channel's device said of the call
/// (`ast_control_pvt_cause_code`): the channel, its technology's words
/// ("SIP 486 Busy Here") and the cause they map to. Drivers record one per
/// response; Dial carries them to its caller for `HANGUPCAUSE()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialedCause {
    pub chan_name: String,
    pub tech: String,
    pub cause: u32,
}

/// A channel name with its technology in capitals (`ast_tech_to_upper`):
/// the key the cause store compares and hashes.
fn tech_upper(name: &str) -> String {
    match name.split_once('/') {
        Some((tech, rest)) => format!("{}/{rest}", tech.to_ascii_uppercase()),
        None => name.to_string(),
    }
}

/// Whether two channel names are one key of the cause store.
pub fn same_channel(a: &str, b: &str) -> bool {
    tech_upper(a) == tech_upper(b)
}

/// Stores `cause`, replacing the one kept for its channel
/// (`ast_channel_dialed_causes_add`).
pub fn store(list: &mut Vec<DialedCause>, cause: DialedCause) {
    list.retain(|c| !same_channel(&c.chan_name, &cause.chan_name));
    list.push(cause);
}

/// The store's bucket of a channel name: Asterisk keeps the causes in a
/// 37-bucket hash container (`DIALED_CAUSES_BUCKETS`, `ast_str_hash`), and
/// `HANGUPCAUSE_KEYS()` lists them in its bucket order.
fn bucket(name: &str) -> u32 {
    const BUCKETS: u32 = 37;
    let hash = tech_upper(name)
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    (hash & 0x7fff_ffff) % BUCKETS
}

/// `HANGUPCAUSE_KEYS()`: the channel names of the store, comma-separated,
/// bucket by bucket and in insertion order within a bucket.
pub fn keys(list: &[DialedCause]) -> String {
    let mut names: Vec<(u32, &str)> = list
        .iter()
        .map(|c| (bucket(&c.chan_name), c.chan_name.as_str()))
        .collect();
    names.sort_by_key(|(b, _)| *b);
    names.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(name: &str, tech: &str) -> DialedCause {
        DialedCause {
            chan_name: name.into(),
            tech: tech.into(),
            cause: 16,
        }
    }

    #[test]
    fn store_keeps_one_cause_per_channel() {
        let mut list = Vec::new();
        store(&mut list, cause("SIP/1001-00000001", "SIP 180 Ringing"));
        store(&mut list, cause("sip/1001-00000001", "SIP 486 Busy Here"));
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].tech, "SIP 486 Busy Here");
        // The technology is compared without case, the rest with it.
        store(&mut list, cause("SIP/1001-0000000A", "SIP 200 OK"));
        store(&mut list, cause("SIP/1001-0000000a", "SIP 200 OK"));
        assert_eq!(list.len(), 3);
    }

    #[test]
    fn keys_in_bucket_order() {
        // djb2 of the names, masked to 31 bits, modulo 37.
        assert_eq!(bucket("SIP/a"), {
            let h = [b'S', b'I', b'P', b'/', b'a']
                .iter()
                .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(*b));
            (h & 0x7fff_ffff) % 37
        });
        assert_eq!(bucket("sip/a"), bucket("SIP/a"));
        let mut names: Vec<String> = (0..6).map(|i| format!("SIP/100{i}-00000000")).collect();
        let mut list = Vec::new();
        for n in &names {
            store(&mut list, cause(n, "SIP 200 OK"));
        }
        names.sort_by_key(|n| bucket(n));
        assert_eq!(keys(&list), names.join(","));
        assert_eq!(keys(&[]), "");
    }

    #[test]
    fn lookups() {
        assert_eq!(super::text(16), "Normal Clearing");
        assert_eq!(super::by_name("user_busy"), Some(17));
        assert_eq!(super::text(999), "Unknown");
    }
}
