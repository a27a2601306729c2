//! Turning the core's events into AMI events (`main/manager_channels.c`
//! and friends): which events a snapshot update means, their class, and
//! their fields in Asterisk's order.

use std::fmt::Write as _;

use super::{AmiEvent, class, compose};
use crate::channels::causes;
use crate::core::System;
use crate::core::events::{BridgeAction, BridgeSnapshot, ChannelSnapshot, Event, EventKind};

/// `ast_manager_build_channel_state_string_prefix`.
pub fn channel_state(s: &ChannelSnapshot, prefix: &str) -> String {
    let unknown = |v: &Option<String>| match v.as_deref() {
        Some(x) if !x.is_empty() => escape_c(x),
        _ => "<unknown>".to_string(),
    };
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "{prefix}Channel: {}\r\n\
         {prefix}ChannelState: {}\r\n\
         {prefix}ChannelStateDesc: {}\r\n\
         {prefix}CallerIDNum: {}\r\n\
         {prefix}CallerIDName: {}\r\n\
         {prefix}ConnectedLineNum: {}\r\n\
         {prefix}ConnectedLineName: {}\r\n\
         {prefix}Language: {}\r\n\
         {prefix}AccountCode: {}\r\n\
         {prefix}Context: {}\r\n\
         {prefix}Exten: {}\r\n\
         {prefix}Priority: {}\r\n\
         {prefix}Uniqueid: {}\r\n\
         {prefix}Linkedid: {}\r\n",
        s.name,
        s.state.number(),
        s.state.as_str(),
        // The number is not escaped; the names are.
        s.caller_num
            .as_deref()
            .filter(|x| !x.is_empty())
            .unwrap_or("<unknown>"),
        unknown(&s.caller_name),
        s.connected_num
            .as_deref()
            .filter(|x| !x.is_empty())
            .unwrap_or("<unknown>"),
        unknown(&s.connected_name),
        s.language,
        s.accountcode,
        s.context,
        s.exten,
        s.priority,
        s.uniqueid,
        s.linkedid,
    );
    if !s.tenantid.is_empty() {
        let _ = write!(out, "{prefix}Tenantid: {}\r\n", s.tenantid);
    }
    for (n, v) in &s.manager_vars {
        let _ = write!(out, "{prefix}ChanVariable: {n}={}\r\n", escape_c(v));
    }
    out
}

/// `ast_manager_build_bridge_state_string_prefix`.
pub fn bridge_state(b: &BridgeSnapshot) -> String {
    bridge_state_prefixed(b, "")
}

/// `ast_manager_build_bridge_state_string_prefix`: the same headers, each
/// name after `prefix` (`To`, `From`, `Orig`, `Second`).
pub fn bridge_state_prefixed(b: &BridgeSnapshot, p: &str) -> String {
    let mut s = format!(
        "{p}BridgeUniqueid: {}\r\n\
         {p}BridgeType: {}\r\n\
         {p}BridgeTechnology: {}\r\n\
         {p}BridgeCreator: {}\r\n\
         {p}BridgeName: {}\r\n\
         {p}BridgeNumChannels: {}\r\n\
         {p}BridgeVideoSourceMode: {}\r\n",
        b.uniqueid,
        b.bridge_type,
        b.technology,
        or_unknown(b.creator),
        or_unknown(&b.name),
        b.num_channels,
        if b.video_mode.is_empty() {
            "none"
        } else {
            b.video_mode
        }
    );
    // A single source is named once chosen (`ast_manager_build_bridge_
    // state_string_prefix`).
    if !b.video_source.is_empty() {
        s.push_str(&format!("{p}BridgeVideoSource: {}\r\n", b.video_source));
    }
    s
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "<unknown>" } else { s }
}

/// `ast_escape_c`: control characters and quotes as C escapes.
pub fn escape_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '?' => out.push_str("\\?"),
            c => out.push(c),
        }
    }
    out
}

/// The AMI events one core event stands for, in the order Asterisk sends
/// them.
pub fn render(sys: &System, ev: &Event) -> Vec<AmiEvent> {
    let mut out = Vec::new();
    let mut push = |class: u32, name: &str, body: String| {
        if let Some(e) = compose(sys, class, name, &body) {
            out.push(e);
        }
    };
    let chan = ev.channel.as_deref();
    match (&ev.kind, chan) {
        (EventKind::Snapshot { old }, Some(new)) => {
            for (class, name, extra) in snapshot_events(old.as_deref(), new) {
                push(class, name, format!("{}{extra}", channel_state(new, "")));
            }
        }
        (EventKind::VarSet { variable, value }, c) => {
            let mut body = c.map(|c| channel_state(c, "")).unwrap_or_default();
            // The value goes out C-escaped (stasis_channels.c's varset_to_ami).
            let _ = write!(
                body,
                "Variable: {variable}\r\nValue: {}\r\n",
                escape_c(value)
            );
            push(class::DIALPLAN, "VarSet", body);
        }
        (EventKind::GlobalVarSet { variable, value }, _) => {
            push(
                class::DIALPLAN,
                "VarSet",
                // varset_to_ami names no channel for a global as "none".
                format!(
                    "Channel: none\r\nUniqueid: none\r\nVariable: {variable}\r\nValue: {}\r\n",
                    escape_c(value)
                ),
            );
        }
        (EventKind::HangupRequest { cause, tech_cause }, Some(c)) => {
            let mut body = channel_state(c, "");
            if let Some(cause) = cause {
                let _ = write!(body, "Cause: {cause}\r\n");
            }
            if *tech_cause != 0 {
                let _ = write!(body, "TechCause: {tech_cause}\r\n");
            }
            push(class::CALL, "HangupRequest", body);
        }
        (EventKind::SoftHangupRequest { cause, tech_cause }, Some(c)) => {
            let mut body = format!("{}Cause: {cause}\r\n", channel_state(c, ""));
            if *tech_cause != 0 {
                let _ = write!(body, "TechCause: {tech_cause}\r\n");
            }
            push(class::CALL, "SoftHangupRequest", body);
        }
        (
            EventKind::Bridge {
                action,
                bridge,
                swap,
            },
            c,
        ) => {
            let name = match action {
                BridgeAction::Create => "BridgeCreate",
                BridgeAction::Enter => "BridgeEnter",
                BridgeAction::Leave => "BridgeLeave",
                BridgeAction::Destroy => "BridgeDestroy",
            };
            let mut body = bridge_state(bridge);
            if let Some(c) = c {
                body.push_str(&channel_state(c, ""));
            }
            if let Some(swap) = swap {
                let _ = write!(body, "SwapUniqueid: {swap}\r\n");
            }
            push(class::CALL, name, body);
        }
        (EventKind::MessageWaiting { mailbox, new, old }, c) => {
            let mut body = c.map(|c| channel_state(c, "")).unwrap_or_default();
            let waiting = u32::from(*new > 0);
            let _ = write!(
                body,
                "Mailbox: {mailbox}\r\nWaiting: {waiting}\r\nNew: {new}\r\nOld: {old}\r\n"
            );
            push(class::CALL, "MessageWaiting", body);
        }
        (EventKind::UserEvent { name, headers }, c) => {
            let mut body = c.map(|c| channel_state(c, "")).unwrap_or_default();
            let _ = write!(body, "UserEvent: {name}\r\n");
            for (k, v) in headers {
                let _ = write!(body, "{k}: {v}\r\n");
            }
            push(class::USER, "UserEvent", body);
        }
        (EventKind::DialBegin { dialstring }, Some(c)) => {
            let body = format!("{}DialString: {dialstring}\r\n", channel_state(c, "Dest"));
            push(class::CALL, "DialBegin", body);
        }
        (EventKind::CallerDial { name, caller, tail }, Some(dest)) => {
            let body = format!(
                "{}{}{tail}",
                channel_state(caller, ""),
                channel_state(dest, "Dest")
            );
            push(class::CALL, name, body);
        }
        (EventKind::DialEnd { status } | EventKind::DialState { status }, Some(c)) => {
            let name = match &ev.kind {
                EventKind::DialState { .. } => "DialState",
                _ => "DialEnd",
            };
            let body = format!("{}DialStatus: {status}\r\n", channel_state(c, "Dest"));
            push(class::CALL, name, body);
        }
        (
            EventKind::LocalBridge {
                two,
                context,
                exten,
                optimize,
            },
            Some(one),
        ) => {
            let body = format!(
                "{}{}Context: {context}\r\nExten: {exten}\r\nLocalOptimization: {}\r\n",
                channel_state(one, "LocalOne"),
                channel_state(two, "LocalTwo"),
                if *optimize { "Yes" } else { "No" }
            );
            push(class::CALL, "LocalBridge", body);
        }
        (
            EventKind::LocalOptimizationBegin {
                two,
                source,
                dest,
                id,
            },
            Some(one),
        ) => {
            let source = source
                .as_ref()
                .map(|s| channel_state(s, "Source"))
                .unwrap_or_default();
            let body = format!(
                "{}{}{source}DestUniqueId: {dest}\r\nId: {id}\r\n",
                channel_state(one, "LocalOne"),
                channel_state(two, "LocalTwo"),
            );
            push(class::CALL, "LocalOptimizationBegin", body);
        }
        (EventKind::LocalOptimizationEnd { two, success, id }, Some(one)) => {
            let body = format!(
                "{}{}Success: {}\r\nId: {id}\r\n",
                channel_state(one, "LocalOne"),
                channel_state(two, "LocalTwo"),
                if *success { "Yes" } else { "No" }
            );
            push(class::CALL, "LocalOptimizationEnd", body);
        }
        (EventKind::Pickup { target }, Some(c)) => {
            let body = format!(
                "{}{}",
                channel_state(c, ""),
                channel_state(target, "Target")
            );
            push(class::CALL, "Pickup", body);
        }
        (EventKind::ChanSpyStart { spyee }, Some(c)) => {
            let body = format!(
                "{}{}",
                channel_state(c, "Spyer"),
                channel_state(spyee, "Spyee")
            );
            push(class::CALL, "ChanSpyStart", body);
        }
        (EventKind::ChanSpyStop { spyee }, Some(c)) => {
            let spyee = spyee
                .as_ref()
                .map(|s| channel_state(s, "Spyee"))
                .unwrap_or_default();
            let body = format!("{}{spyee}", channel_state(c, "Spyer"));
            push(class::CALL, "ChanSpyStop", body);
        }
        (EventKind::MusicOnHoldStart { class }, Some(c)) => {
            let body = format!("{}Class: {class}\r\n", channel_state(c, ""));
            push(class::CALL, "MusicOnHoldStart", body);
        }
        (EventKind::MusicOnHoldStop, Some(c)) => {
            push(class::CALL, "MusicOnHoldStop", channel_state(c, ""));
        }
        (EventKind::HookSignal(sig), Some(c)) => {
            let name = match sig {
                crate::channels::HookSignal::Flash => "Flash",
                crate::channels::HookSignal::Wink => "Wink",
            };
            push(class::CALL, name, channel_state(c, ""));
        }
        (EventKind::DtmfBegin { digit, sent }, Some(c)) => {
            let body = format!(
                "{}Digit: {digit}\r\nDirection: {}\r\n",
                channel_state(c, ""),
                direction(*sent)
            );
            push(class::DTMF, "DTMFBegin", body);
        }
        (
            EventKind::DtmfEnd {
                digit,
                duration_ms,
                sent,
            },
            Some(c),
        ) => {
            let body = format!(
                "{}Digit: {digit}\r\nDurationMs: {duration_ms}\r\nDirection: {}\r\n",
                channel_state(c, ""),
                direction(*sent)
            );
            push(class::DTMF, "DTMFEnd", body);
        }
        (EventKind::DeviceStateChange { device, state }, _) => {
            push(
                class::CALL,
                "DeviceStateChange",
                format!("Device: {device}\r\nState: {}\r\n", state.token()),
            );
        }
        (
            EventKind::ExtensionStatus {
                exten,
                context,
                hint,
                status,
                text,
            },
            _,
        ) => {
            push(
                class::CALL,
                "ExtensionStatus",
                format!(
                    "Exten: {exten}\r\nContext: {context}\r\nHint: {hint}\r\nStatus: {status}\r\nStatusText: {text}\r\n"
                ),
            );
        }
        (
            EventKind::BlindTransfer {
                result,
                transferee,
                bridge,
                external,
                context,
                exten,
            },
            Some(transferer),
        ) => {
            let mut body = format!(
                "Result: {}\r\n{}",
                result.as_str(),
                channel_state(transferer, "Transferer")
            );
            if let Some(t) = transferee {
                body.push_str(&channel_state(t, "Transferee"));
            }
            if let Some(b) = bridge {
                body.push_str(&bridge_state(b));
            }
            let _ = write!(
                body,
                "IsExternal: {}\r\nContext: {context}\r\nExtension: {exten}\r\n",
                if *external { "Yes" } else { "No" }
            );
            push(class::CALL, "BlindTransfer", body);
        }
        (EventKind::BridgeMerge { to, from }, _) => {
            let body = format!(
                "{}{}",
                bridge_state_prefixed(to, "To"),
                bridge_state_prefixed(from, "From")
            );
            push(class::CALL, "BridgeMerge", body);
        }
        (EventKind::AttendedTransfer(t), _) => {
            use crate::core::events::AttendedTransferDest;
            let mut body = format!("Result: {}\r\n", t.result.as_str());
            body.push_str(&channel_state(&t.orig_transferer, "OrigTransferer"));
            if let Some(b) = &t.orig_bridge {
                body.push_str(&bridge_state_prefixed(b, "Orig"));
            }
            body.push_str(&channel_state(&t.second_transferer, "SecondTransferer"));
            if let Some(b) = &t.second_bridge {
                body.push_str(&bridge_state_prefixed(b, "Second"));
            }
            if let Some(c) = &t.transferee {
                body.push_str(&channel_state(c, "Transferee"));
            }
            if let Some(c) = &t.target {
                body.push_str(&channel_state(c, "TransferTarget"));
            }
            body.push_str("IsExternal: No\r\n");
            match &t.dest {
                AttendedTransferDest::Bridge(id) => {
                    let _ = write!(body, "DestType: Bridge\r\nDestBridgeUniqueid: {id}\r\n");
                }
                AttendedTransferDest::Threeway { bridge, transferer } => {
                    let _ = write!(
                        body,
                        "DestType: Threeway\r\nDestBridgeUniqueid: {bridge}\r\nDestTransfererChannel: {transferer}\r\n"
                    );
                }
                AttendedTransferDest::Fail => body.push_str("DestType: Fail\r\n"),
            }
            push(class::CALL, "AttendedTransfer", body);
        }
        (EventKind::Manager { class, name, body }, c) => {
            let mut text = c.map(|c| channel_state(c, "")).unwrap_or_default();
            text.push_str(body);
            push(*class, name, text);
        }
        _ => {}
    }
    out
}

/// `channel_monitors`: state change (Newchannel / Hangup / Newstate),
/// Newexten, NewCallerid, NewAccountCode, NewConnectedLine, each with the
/// fields it adds after the channel's.
fn snapshot_events(
    old: Option<&ChannelSnapshot>,
    new: &ChannelSnapshot,
) -> Vec<(u32, &'static str, String)> {
    let mut out = Vec::new();
    match old {
        None => out.push((class::CALL, "Newchannel", String::new())),
        Some(o) if !o.dead && new.dead => out.push((class::CALL, "Hangup", {
            let mut extra = format!(
                "Cause: {}\r\nCause-txt: {}\r\n",
                new.hangup_cause,
                causes::text(new.hangup_cause)
            );
            if new.tech_cause != 0 {
                let _ = write!(extra, "TechCause: {}\r\n", new.tech_cause);
            }
            extra
        })),
        Some(o) if o.state != new.state => out.push((class::CALL, "Newstate", String::new())),
        _ => {}
    }
    let cep_changed = match old {
        None => true,
        Some(o) => {
            (o.appl.is_empty() && !new.appl.is_empty())
                || o.priority != new.priority
                || o.context != new.context
                || o.exten != new.exten
        }
    };
    if !new.appl.is_empty() && !new.dead && cep_changed {
        out.push((
            class::DIALPLAN,
            "Newexten",
            format!(
                "Extension: {}\r\nApplication: {}\r\nAppData: {}\r\n",
                new.exten, new.appl, new.data
            ),
        ));
    }
    // Asterisk compares the texts only (an absent name equals an empty
    // one), not the presentation.
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    if let Some(o) = old {
        if text(&o.caller_num) != text(&new.caller_num)
            || text(&o.caller_name) != text(&new.caller_name)
        {
            out.push((
                class::CALL,
                "NewCallerid",
                format!(
                    "CID-CallingPres: {} ({})\r\n",
                    new.caller_pres,
                    escape_c(crate::config::views::callerid::describe_presentation(
                        new.caller_pres
                    ))
                ),
            ));
        }
        if o.accountcode != new.accountcode {
            out.push((
                class::CALL,
                "NewAccountCode",
                format!("OldAccountCode: {}\r\n", o.accountcode),
            ));
        }
        if text(&o.connected_num) != text(&new.connected_num)
            || text(&o.connected_name) != text(&new.connected_name)
        {
            out.push((class::CALL, "NewConnectedLine", String::new()));
        }
    }
    out
}

/// RTCPSent / RTCPReceived (`rtcp_report_to_ami`): the name and the
/// headers after the channel's. `local` is our RTCP address.
pub fn rtcp_event(
    report: &crate::media::rtp::RtcpReport,
    local: std::net::SocketAddr,
) -> (&'static str, String) {
    use crate::media::rtp::RtcpPacket;
    let mut b = String::new();
    let (to, from) = if report.sent {
        (report.peer, local)
    } else {
        (local, report.peer)
    };
    let _ = write!(b, "To: {to}\r\nFrom: {from}\r\n");
    if let Some(rtt) = report.rtt {
        let _ = write!(b, "RTT: {rtt:4.4}\r\n");
    }
    let _ = write!(b, "MES: {:4.1}\r\n", report.mes);
    let (ssrc, info, blocks) = match &report.packet {
        RtcpPacket::SenderReport {
            ssrc,
            info,
            reports,
        } => (*ssrc, Some(info), reports.as_slice()),
        RtcpPacket::ReceiverReport { ssrc, reports } => (*ssrc, None, reports.as_slice()),
        _ => (0, None, &[][..]),
    };
    let (pt, kind) = if info.is_some() {
        (200, "SR")
    } else {
        (201, "RR")
    };
    let _ = write!(
        b,
        "SSRC: 0x{ssrc:08x}\r\nPT: {pt}({kind})\r\nReportCount: {}\r\n",
        blocks.len()
    );
    if let Some(info) = info {
        // The NTP time as Unix seconds and microseconds: ours is the
        // time we took (rounded back exactly), a received one is
        // converted the way Asterisk converts it.
        let secs = (info.ntp_timestamp >> 32).saturating_sub(2_208_988_800);
        let frac = info.ntp_timestamp as u32;
        let usec = if report.sent {
            ((u64::from(frac) * 1_000_000 + (1 << 31)) >> 32).min(999_999) as u32
        } else {
            ((((frac >> 7) * 125) >> 7) * 125) >> 12
        };
        let _ = write!(
            b,
            "SentNTP: {secs}.{usec:06}\r\nSentRTP: {}\r\nSentPackets: {}\r\nSentOctets: {}\r\n",
            info.rtp_timestamp, info.packet_count, info.octet_count
        );
    }
    // Asterisk keeps only the first block of a received report.
    for (i, r) in blocks.iter().take(1).enumerate() {
        let _ = write!(
            b,
            "Report{i}SourceSSRC: 0x{:08x}\r\nReport{i}FractionLost: {}\r\n\
             Report{i}CumulativeLost: {}\r\nReport{i}HighestSequence: {}\r\n\
             Report{i}SequenceNumberCycles: {}\r\nReport{i}IAJitter: {}\r\n\
             Report{i}LSR: {}\r\nReport{i}DLSR: {:4.4}\r\n",
            r.ssrc,
            r.fraction_lost,
            (r.cumulative_lost as u32) & 0xFF_FFFF,
            r.highest_sequence & 0xFFFF,
            r.highest_sequence >> 16,
            r.jitter,
            r.last_sr,
            f64::from(r.delay_since_last_sr) / 65536.0,
        );
    }
    let name = if report.sent {
        "RTCPSent"
    } else {
        "RTCPReceived"
    };
    (name, b)
}

#[cfg(test)]
mod tests {
    use super::rtcp_event;
    use crate::media::rtp::{ReportBlock, RtcpPacket, RtcpReport, SenderInfo};
    use std::net::SocketAddr;

    /// The layout of golden/asterisk-20.20.1/ami/sip_media.rx's RTCPSent.
    #[test]
    fn rtcp_sent_headers() {
        let report = RtcpReport {
            sent: true,
            peer: SocketAddr::from(([127, 0, 0, 1], 36001)),
            packet: RtcpPacket::SenderReport {
                ssrc: 0x224743e0,
                info: SenderInfo {
                    // 1795346187.823007 in NTP form (microseconds to
                    // 2^-32 s as Asterisk converts them).
                    ntp_timestamp: ((1_795_346_187u64 + 2_208_988_800) << 32)
                        | (((((823_007u64 << 12) / 125) << 7) / 125) << 7),
                    rtp_timestamp: 40000,
                    packet_count: 250,
                    octet_count: 40000,
                },
                reports: vec![ReportBlock {
                    ssrc: 0xdee0ee8f,
                    fraction_lost: 0,
                    cumulative_lost: 0,
                    highest_sequence: 59299,
                    jitter: 2,
                    last_sr: 0,
                    delay_since_last_sr: 0,
                }],
            },
            rtt: None,
            mes: 88.087887,
        };
        let (name, body) = rtcp_event(&report, SocketAddr::from(([127, 0, 0, 1], 17317)));
        assert_eq!(name, "RTCPSent");
        assert_eq!(
            body,
            "To: 127.0.0.1:36001\r\nFrom: 127.0.0.1:17317\r\nMES: 88.1\r\nSSRC: 0x224743e0\r\n\
             PT: 200(SR)\r\nReportCount: 1\r\nSentNTP: 1795346187.823007\r\nSentRTP: 40000\r\n\
             SentPackets: 250\r\nSentOctets: 40000\r\nReport0SourceSSRC: 0xdee0ee8f\r\n\
             Report0FractionLost: 0\r\nReport0CumulativeLost: 0\r\nReport0HighestSequence: 59299\r\n\
             Report0SequenceNumberCycles: 0\r\nReport0IAJitter: 2\r\nReport0LSR: 0\r\n\
             Report0DLSR: 0.0000\r\n"
        );
        // Received: our address is To, the round trip shows, an RR.
        let rr = RtcpReport {
            sent: false,
            packet: RtcpPacket::ReceiverReport {
                ssrc: 7,
                reports: vec![],
            },
            rtt: Some(0.0123),
            mes: 5.0,
            ..report
        };
        let (name, body) = rtcp_event(&rr, SocketAddr::from(([127, 0, 0, 1], 17317)));
        assert_eq!(name, "RTCPReceived");
        assert_eq!(
            body,
            "To: 127.0.0.1:17317\r\nFrom: 127.0.0.1:36001\r\nRTT: 0.0123\r\nMES:  5.0\r\n\
             SSRC: 0x00000007\r\nPT: 201(RR)\r\nReportCount: 0\r\n"
        );
    }
}

/// The `Direction` of a DTMF event.
fn direction(sent: bool) -> &'static str {
    if sent { "Sent" } else { "Received" }
}
