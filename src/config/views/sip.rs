//! `sip.conf` (chan_sip): `[general]` and the peers/users/friends, with
//! chan_sip's defaults as Asterisk 20 applies them (`reload_config`,
//! `build_peer`).
//!
//! A peer starts as a copy of what `[general]` sets for devices
//! ([`PeerSettings`]), then applies its own lines; [`SipGeneral`] holds
//! that copy plus the channel-wide settings, so nothing is declared twice.

use std::net::IpAddr;

use super::acl::AclList;
use super::callerid;
use super::codecs::CodecList;
use super::groups::{NamedGroups, parse_group};
use super::values::{atoi, scan_d};
use super::{View, bad_value, check_known, section_note};
use crate::config::{Category, Config, Diagnostic, Severity, Variable, is_false, is_true};
use crate::core::devicestate::DeviceState;

/// Options read alike in `[general]` and in a device
/// (`handle_common_options`, `handle_t38_options`).
const COMMON_OPTIONS: &[&str] = &[
    "allowoverlap",
    "allowsubscribe",
    "buggymwi",
    "canreinvite",
    "directmedia",
    "dtmfmode",
    "faxdetect",
    "g726nonstandard",
    "ignoresdpversion",
    "insecure",
    "nat",
    "progressinband",
    "promiscredir",
    "rfc2833compensate",
    "rpid_immediate",
    "rpid_update",
    "rtcp_mux",
    "sendrpid",
    "supportpath",
    "t38pt_udptl",
    "t38pt_usertpsource",
    "textsupport",
    "trust_id_outbound",
    "trustrpid",
    "useclientcode",
    "videosupport",
];

/// Options `reload_config` reads in `[general]` besides the common ones
/// (jitter buffer and TLS settings are listed on their own below).
const GENERAL_OPTIONS: &[&str] = &[
    "accept_outofcall_message",
    "allow",
    "allowexternaldomains",
    "allowguest",
    "allowtransfer",
    "alwaysauthreject",
    "auth_message_requests",
    "auth_options_requests",
    "authfailureevents",
    "autocreatepeer",
    "autodomain",
    "autoframing",
    "bindaddr",
    "bindport",
    "callcounter",
    "callerid",
    "compactheaders",
    "contactacl",
    "contactdeny",
    "contactpermit",
    "context",
    "cos_audio",
    "cos_sip",
    "cos_text",
    "cos_video",
    "defaultexpirey",
    "defaultexpiry",
    "directrtpsetup",
    "disallow",
    "disallowed_methods",
    "discard_remote_hold_retrieval",
    "domain",
    "domainsasrealm",
    "dumphistory",
    "dynamic_exclude_static",
    "dynamic_excludes_static",
    "externaddr",
    "externhost",
    "externip",
    "externrefresh",
    "externtcpport",
    "externtlsport",
    "fromdomain",
    "icesupport",
    "ignoreregexpire",
    "keepalive",
    "language",
    "legacy_useroption_parsing",
    "localnet",
    "match_auth_username",
    "matchexternaddrlocally",
    "matchexterniplocally",
    "maxcallbitrate",
    "maxexpirey",
    "maxexpiry",
    "maxforwards",
    "media_address",
    "minexpirey",
    "minexpiry",
    "mohinterpret",
    "mohsuggest",
    "mwi",
    "mwi_from",
    "mwiexpirey",
    "mwiexpiry",
    "notifycid",
    "notifyhold",
    "notifymimetype",
    "notifyringing",
    "outboundproxy",
    "outofcall_message_context",
    "parkinglot",
    "pedantic",
    "preferred_codec_only",
    "prematuremedia",
    "qualify",
    "qualifyfreq",
    "qualifygap",
    "qualifypeers",
    "realm",
    "recordhistory",
    "recordofffeature",
    "recordonfeature",
    "refer_addheaders",
    "regcontext",
    "regextenonqualify",
    "register",
    "register_retry_403",
    "registerattempts",
    "registertimeout",
    "relaxdtmf",
    "rtautoclear",
    "rtcachefriends",
    "rtpbindaddr",
    "rtpholdtimeout",
    "rtpkeepalive",
    "rtptimeout",
    "rtsavepath",
    "rtsavesysname",
    "rtupdate",
    "sdpowner",
    "sdpsession",
    "send_diversion",
    "session-expires",
    "session-minse",
    "session-refresher",
    "session-timers",
    "shrinkcallerid",
    "sipdebug",
    "snom_aoc_enabled",
    "srvlookup",
    "storesipcause",
    "submaxexpirey",
    "submaxexpiry",
    "subminexpirey",
    "subminexpiry",
    "subscribe_network_change_event",
    "subscribecontext",
    "t1min",
    "tcpauthlimit",
    "tcpauthtimeout",
    "tcpbindaddr",
    "tcpenable",
    "timerb",
    "timert1",
    "tonezone",
    "tos_audio",
    "tos_sip",
    "tos_text",
    "tos_video",
    "transport",
    "udpbindaddr",
    "use_q850_reason",
    "useragent",
    "usereqphone",
    "vmexten",
    "websocket_enabled",
    "websocket_write_timeout",
    // ast_jb_read_conf
    "jbenable",
    "jbforce",
    "jbmaxsize",
    "jbresyncthreshold",
    "jbtargetextra",
    "jbimpl",
    "jblog",
    "jbsyncvideo",
    // ast_tls_read_conf
    "tlsenable",
    "tlsbindaddr",
    "tlscert",
    "tlscertfile",
    "tlsprivatekey",
    "tlscipher",
    "tlscafile",
    "tlscapath",
    "tlscadir",
    "tlsverifyclient",
    "tlsdontverifyserver",
    "tlsclientmethod",
    "tlsservercipherorder",
    "tlsdisablev1",
    "tlsdisablev11",
    "tlsdisablev12",
    "sslenable",
    "sslbindaddr",
    "sslcert",
    "sslprivatekey",
    "sslcipher",
    "sslclientmethod",
];

/// Options `build_peer` reads besides the common ones.
const PEER_OPTIONS: &[&str] = &[
    "accountcode",
    "acl",
    "allow",
    "allowtransfer",
    "amaflags",
    "auth",
    "autoframing",
    "avpf",
    "busylevel",
    "call-limit",
    "callbackextension",
    "callcounter",
    "callerid",
    "callgroup",
    "callingpres",
    "cid_number",
    "cid_tag",
    "contactacl",
    "contactdeny",
    "contactpermit",
    "context",
    "defaultip",
    "defaultuser",
    "deny",
    "description",
    "directmediaacl",
    "directmediadeny",
    "directmediapermit",
    "disallow",
    "disallowed_methods",
    "discard_remote_hold_retrieval",
    "encryption",
    "encryption_taglen",
    "force_avp",
    "fromdomain",
    "fromuser",
    "fullname",
    "hasvoicemail",
    "header",
    "host",
    "icesupport",
    "ignore_requested_pref",
    "keepalive",
    "language",
    "mailbox",
    "maxcallbitrate",
    "maxforwards",
    "md5secret",
    "mohinterpret",
    "mohsuggest",
    "mwi_from",
    "namedcallgroup",
    "namedpickupgroup",
    "outboundproxy",
    "outofcall_message_context",
    "parkinglot",
    "permit",
    "pickupgroup",
    "port",
    "preferred_codec_only",
    "qualify",
    "qualifyfreq",
    "recordofffeature",
    "recordonfeature",
    "regexten",
    "remotesecret",
    "rtp_engine",
    "rtpholdtimeout",
    "rtpkeepalive",
    "rtptimeout",
    "secret",
    "session-expires",
    "session-minse",
    "session-refresher",
    "session-timers",
    "setvar",
    "snom_aoc_enabled",
    "subscribecontext",
    "subscribemwi",
    "timerb",
    "timert1",
    "tonezone",
    "transport",
    "trunkname",
    "type",
    "unsolicited_mailbox",
    "use_q850_reason",
    "usereqphone",
    "username",
    "vmexten",
    // ast_rtp_dtls_cfg_parse
    "dtlsenable",
    "dtlsverify",
    "dtlsrekey",
    "dtlsautogeneratecert",
    "dtlscertfile",
    "dtlsprivatekey",
    "dtlscipher",
    "dtlscafile",
    "dtlscapath",
    "dtlscadir",
    "dtlssetup",
    "dtlsfingerprint",
    // ast_cc_set_param
    "cc_agent_policy",
    "cc_monitor_policy",
    "cc_offer_timer",
    "ccnr_available_timer",
    "ccbs_available_timer",
    "cc_recall_timer",
    "cc_max_agents",
    "cc_max_monitors",
    "cc_callback_macro",
    "cc_callback_sub",
    "cc_agent_dialstring",
];

/// `nat=` as chan_sip keeps it: two independent settings, each of which
/// may be decided per call ("auto").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Nat {
    pub force_rport: bool,
    pub auto_force_rport: bool,
    pub comedia: bool,
    pub auto_comedia: bool,
}

impl Default for Nat {
    /// chan_sip's global default is `nat=auto_force_rport`.
    fn default() -> Self {
        Nat {
            force_rport: false,
            auto_force_rport: true,
            comedia: false,
            auto_comedia: false,
        }
    }
}

impl Nat {
    /// Applies a `nat=` value (a comma list): the listed settings replace
    /// all four.
    fn apply(&mut self, value: &str) -> bool {
        let mut ok = true;
        *self = Nat {
            force_rport: false,
            auto_force_rport: false,
            comedia: false,
            auto_comedia: false,
        };
        for word in value.split(',').map(str::trim) {
            match word.to_ascii_lowercase().as_str() {
                "yes" => {
                    self.force_rport = true;
                    self.comedia = true;
                }
                "no" => {}
                "force_rport" => self.force_rport = true,
                "comedia" => self.comedia = true,
                "auto_force_rport" => self.auto_force_rport = true,
                "auto_comedia" => self.auto_comedia = true,
                _ => ok = false,
            }
        }
        ok
    }

    /// `force_rport_string`: "Auto (No)", "Yes", ...
    pub fn force_rport_label(&self) -> &'static str {
        auto_label(self.auto_force_rport, self.force_rport)
    }

    /// `comedia_string`.
    pub fn comedia_label(&self) -> &'static str {
        auto_label(self.auto_comedia, self.comedia)
    }
}

fn auto_label(auto: bool, on: bool) -> &'static str {
    match (auto, on) {
        (true, true) => "Auto (Yes)",
        (true, false) => "Auto (No)",
        (false, true) => "Yes",
        (false, false) => "No",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DtmfMode {
    Rfc2833,
    Info,
    ShortInfo,
    Inband,
    Auto,
}

impl DtmfMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DtmfMode::Rfc2833 => "rfc2833",
            DtmfMode::Info => "info",
            DtmfMode::ShortInfo => "shortinfo",
            DtmfMode::Inband => "inband",
            DtmfMode::Auto => "auto",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Overlap {
    Yes,
    No,
    Dtmf,
}

impl Overlap {
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Yes => "Yes",
            Overlap::No => "No",
            Overlap::Dtmf => "DTMF",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TrustIdOutbound {
    Legacy,
    No,
    Yes,
}

impl TrustIdOutbound {
    pub fn as_str(self) -> &'static str {
        match self {
            TrustIdOutbound::Legacy => "Legacy",
            TrustIdOutbound::No => "No",
            TrustIdOutbound::Yes => "Yes",
        }
    }
}

/// `t38pt_udptl=`: off, or on with an error correction mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum T38Support {
    Off,
    None,
    Fec,
    Redundancy,
}

impl T38Support {
    /// `faxec2str`.
    pub fn ec_label(self) -> &'static str {
        match self {
            T38Support::Off => "Unknown",
            T38Support::None => "None",
            T38Support::Fec => "FEC",
            T38Support::Redundancy => "Redundancy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SessionTimers {
    Accept,
    Originate,
    Refuse,
}

impl SessionTimers {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionTimers::Accept => "Accept",
            SessionTimers::Originate => "Originate",
            SessionTimers::Refuse => "Refuse",
        }
    }
}

/// SIP transports, in the order chan_sip lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    /// `sip_get_transport`: WSS shows as WS.
    pub fn primary_label(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws | Transport::Wss => "WS",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transport::Wss => "WSS",
            t => t.primary_label(),
        }
    }

    /// The word of a `transport=` list (its first letters decide).
    fn parse(word: &str) -> Option<Transport> {
        let w = word.trim_start().to_ascii_lowercase();
        if w.starts_with("udp") {
            Some(Transport::Udp)
        } else if w.starts_with("tcp") {
            Some(Transport::Tcp)
        } else if w.starts_with("tls") {
            Some(Transport::Tls)
        } else if w.starts_with("wss") {
            Some(Transport::Wss)
        } else if w.starts_with("ws") {
            Some(Transport::Ws)
        } else {
            None
        }
    }
}

/// Everything a device starts with from `[general]` (`set_peer_defaults`,
/// including the flags it copies), and then sets for itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PeerSettings {
    pub context: String,
    pub record_on_feature: String,
    pub record_off_feature: String,
    pub message_context: String,
    pub subscribecontext: String,
    pub language: String,
    pub mohinterpret: String,
    pub mohsuggest: String,
    pub rtp_engine: String,
    pub codecs: CodecList,
    pub maxcallbitrate: i64,
    pub rtptimeout: i64,
    pub rtpholdtimeout: i64,
    pub rtpkeepalive: i64,
    pub allowtransfer: bool,
    pub autoframing: bool,
    /// `t38pt_udptl=...,maxdatagram=`; -1 (shown unsigned) when unset.
    pub t38_maxdatagram: i64,
    pub qualifyfreq_ms: i64,
    pub call_limit: i64,
    pub vmexten: String,
    /// `mwi_from`: the From user of message-waiting NOTIFYs (none: the
    /// default caller id).
    pub mwi_from: String,
    /// `qualify=`: 0 when off, else the max round trip in ms.
    pub qualify_ms: i64,
    /// Seconds between keepalives; 0 is off.
    pub keepalive: i64,
    /// `tonezone=` of `[general]`; it only applies when indications.conf
    /// defines that country (see [`SipPeer::tonezone`]).
    pub tonezone: String,
    pub session_timers: SessionTimers,
    /// `session-refresher`: true for uas, false for uac.
    pub session_refresher_uas: bool,
    pub session_minse: i64,
    pub session_expires: i64,
    pub timer_t1: i64,
    pub timer_b: i64,
    /// Allowed transports, and the one used first.
    pub transports: Vec<Transport>,
    pub primary_transport: Option<Transport>,
    // Flags (handle_common_options and friends).
    pub trustrpid: bool,
    pub supportpath: bool,
    pub sendrpid: bool,
    pub rpid_update: bool,
    pub rpid_immediate: bool,
    pub trust_id_outbound: TrustIdOutbound,
    pub g726nonstandard: bool,
    pub useclientcode: bool,
    pub dtmfmode: DtmfMode,
    pub nat: Nat,
    pub directmedia: bool,
    pub insecure_port: bool,
    pub insecure_invite: bool,
    pub progressinband: Option<bool>,
    pub promiscredir: bool,
    pub videosupport: bool,
    pub textsupport: bool,
    pub allowoverlap: Overlap,
    pub allowsubscribe: bool,
    pub ignoresdpversion: bool,
    pub faxdetect_cng: bool,
    pub faxdetect_t38: bool,
    pub rfc2833compensate: bool,
    pub buggymwi: bool,
    pub rtcp_mux: bool,
    pub t38support: T38Support,
    pub t38pt_usertpsource: bool,
    pub usereqphone: bool,
    pub use_q850_reason: bool,
    pub preferred_codec_only: bool,
    pub icesupport: bool,
    pub encryption: bool,
    pub avpf: bool,
    pub force_avp: bool,
}

impl Default for PeerSettings {
    fn default() -> Self {
        PeerSettings {
            context: "default".into(),
            record_on_feature: "automon".into(),
            record_off_feature: "automon".into(),
            message_context: String::new(),
            subscribecontext: String::new(),
            language: String::new(),
            mohinterpret: "default".into(),
            mohsuggest: String::new(),
            rtp_engine: "asterisk".into(),
            codecs: CodecList::new(&["ulaw", "alaw", "gsm", "h263"]),
            maxcallbitrate: 384,
            rtptimeout: 0,
            rtpholdtimeout: 0,
            rtpkeepalive: 0,
            allowtransfer: true,
            autoframing: false,
            t38_maxdatagram: -1,
            qualifyfreq_ms: 60_000,
            call_limit: 0,
            vmexten: "asterisk".into(),
            mwi_from: String::new(),
            qualify_ms: 0,
            keepalive: 0,
            tonezone: String::new(),
            session_timers: SessionTimers::Accept,
            session_refresher_uas: true,
            session_minse: 90,
            session_expires: 1800,
            timer_t1: 500,
            timer_b: 64 * 500,
            transports: vec![Transport::Udp],
            primary_transport: Some(Transport::Udp),
            trustrpid: false,
            supportpath: false,
            sendrpid: false,
            rpid_update: false,
            rpid_immediate: false,
            trust_id_outbound: TrustIdOutbound::Legacy,
            g726nonstandard: false,
            useclientcode: false,
            dtmfmode: DtmfMode::Rfc2833,
            nat: Nat::default(),
            directmedia: true,
            insecure_port: false,
            insecure_invite: false,
            progressinband: Some(false),
            promiscredir: false,
            videosupport: false,
            textsupport: false,
            allowoverlap: Overlap::Yes,
            allowsubscribe: true,
            ignoresdpversion: false,
            faxdetect_cng: false,
            faxdetect_t38: false,
            rfc2833compensate: false,
            buggymwi: false,
            rtcp_mux: false,
            t38support: T38Support::Off,
            t38pt_usertpsource: false,
            usereqphone: false,
            use_q850_reason: false,
            preferred_codec_only: false,
            icesupport: false,
            encryption: false,
            avpf: false,
            force_avp: false,
        }
    }
}

impl PeerSettings {
    /// `insecure2str`.
    pub fn insecure_label(&self) -> &'static str {
        match (self.insecure_port, self.insecure_invite) {
            (false, false) => "no",
            (true, false) => "port",
            (false, true) => "invite",
            (true, true) => "port,invite",
        }
    }

    /// `get_transport_list`.
    pub fn transports_label(&self) -> String {
        if self.transports.is_empty() {
            return "UNKNOWN".into();
        }
        let mut t = self.transports.clone();
        t.sort();
        t.iter().map(|t| t.label()).collect::<Vec<_>>().join(",")
    }

    /// Options handled alike in `[general]` and in a device; false when
    /// `v` is not one of them.
    fn apply_common(&mut self, v: &Variable, diags: &mut Vec<Diagnostic>) -> bool {
        let val = v.value.as_str();
        let lval = val.to_ascii_lowercase();
        match v.name.to_ascii_lowercase().as_str() {
            "trustrpid" => self.trustrpid = is_true(val),
            "supportpath" => self.supportpath = is_true(val),
            "sendrpid" => self.sendrpid = lval == "pai" || lval == "rpid" || is_true(val),
            "rpid_update" => self.rpid_update = is_true(val),
            "rpid_immediate" => self.rpid_immediate = is_true(val),
            "trust_id_outbound" => {
                self.trust_id_outbound = if lval == "legacy" {
                    TrustIdOutbound::Legacy
                } else if is_true(val) {
                    TrustIdOutbound::Yes
                } else if is_false(val) {
                    TrustIdOutbound::No
                } else {
                    bad_value(diags, v, "legacy, yes or no (using legacy)");
                    TrustIdOutbound::Legacy
                }
            }
            "g726nonstandard" => self.g726nonstandard = is_true(val),
            "useclientcode" => self.useclientcode = is_true(val),
            "dtmfmode" => {
                self.dtmfmode = match lval.as_str() {
                    "inband" => DtmfMode::Inband,
                    "rfc2833" => DtmfMode::Rfc2833,
                    "info" => DtmfMode::Info,
                    "shortinfo" => DtmfMode::ShortInfo,
                    "auto" => DtmfMode::Auto,
                    _ => {
                        bad_value(diags, v, "rfc2833, info, shortinfo, inband or auto");
                        DtmfMode::Rfc2833
                    }
                }
            }
            "nat" => {
                if !self.nat.apply(val) {
                    bad_value(
                        diags,
                        v,
                        "yes, no, force_rport, comedia, auto_force_rport or auto_comedia",
                    );
                }
            }
            "directmedia" | "canreinvite" => {
                self.directmedia = false;
                if is_true(val) {
                    self.directmedia = true;
                } else if !is_false(val) {
                    for word in val.split(',') {
                        match word.to_ascii_lowercase().as_str() {
                            "update" | "nonat" | "outgoing" => self.directmedia = true,
                            _ => bad_value(diags, v, "yes, no, update, nonat or outgoing"),
                        }
                    }
                }
            }
            "insecure" => {
                self.insecure_port = false;
                self.insecure_invite = false;
                if !val.is_empty() && !is_false(val) {
                    for word in val.split(',') {
                        match word.to_ascii_lowercase().as_str() {
                            "port" => self.insecure_port = true,
                            "invite" => self.insecure_invite = true,
                            _ => bad_value(diags, v, "port, invite or no"),
                        }
                    }
                }
            }
            "progressinband" => {
                self.progressinband = if is_true(val) {
                    Some(true)
                } else if lval == "never" {
                    None
                } else {
                    Some(false)
                }
            }
            "promiscredir" => self.promiscredir = is_true(val),
            "videosupport" => self.videosupport = lval == "always" || is_true(val),
            "textsupport" => self.textsupport = is_true(val),
            "allowoverlap" => {
                self.allowoverlap = if is_true(val) {
                    Overlap::Yes
                } else if lval == "dtmf" {
                    Overlap::Dtmf
                } else {
                    Overlap::No
                }
            }
            "allowsubscribe" => self.allowsubscribe = is_true(val),
            "ignoresdpversion" => self.ignoresdpversion = is_true(val),
            "faxdetect" => {
                if is_true(val) {
                    (self.faxdetect_cng, self.faxdetect_t38) = (true, true);
                } else if is_false(val) {
                    (self.faxdetect_cng, self.faxdetect_t38) = (false, false);
                } else {
                    for word in val.split(',') {
                        match word.to_ascii_lowercase().as_str() {
                            "cng" => self.faxdetect_cng = true,
                            "t38" => self.faxdetect_t38 = true,
                            _ => bad_value(diags, v, "yes, no, cng or t38"),
                        }
                    }
                }
            }
            "rfc2833compensate" => self.rfc2833compensate = is_true(val),
            "buggymwi" => self.buggymwi = is_true(val),
            "rtcp_mux" => self.rtcp_mux = is_true(val),
            "t38pt_udptl" => {
                for word in val.split(',') {
                    let w = word.to_ascii_lowercase();
                    if is_true(word) || w == "fec" {
                        self.t38support = T38Support::Fec;
                    } else if w == "redundancy" {
                        self.t38support = T38Support::Redundancy;
                    } else if w == "none" {
                        self.t38support = T38Support::None;
                    } else if let Some(n) = w.strip_prefix("maxdatagram=") {
                        match n.trim().parse::<u32>() {
                            Ok(n) => self.t38_maxdatagram = i64::from(n),
                            Err(_) => bad_value(diags, v, "maxdatagram=<bytes>"),
                        }
                    }
                }
            }
            "t38pt_usertpsource" => self.t38pt_usertpsource = is_true(val),
            _ => return false,
        }
        true
    }
}

/// `qualify=`: `no` → off, `yes` → `yes_ms`, a number of ms.
fn parse_qualify(diags: &mut Vec<Diagnostic>, v: &Variable, yes_ms: i64) -> i64 {
    if v.value.eq_ignore_ascii_case("no") {
        0
    } else if v.value.eq_ignore_ascii_case("yes") {
        yes_ms
    } else {
        scan_d(&v.value).unwrap_or_else(|| {
            bad_value(diags, v, "yes, no or milliseconds");
            0
        })
    }
}

/// `keepalive=`: `no` → off, `yes` → 60 s, a number of seconds.
fn parse_keepalive(diags: &mut Vec<Diagnostic>, v: &Variable) -> i64 {
    if v.value.eq_ignore_ascii_case("no") {
        0
    } else if v.value.eq_ignore_ascii_case("yes") {
        60
    } else {
        scan_d(&v.value).unwrap_or_else(|| {
            bad_value(diags, v, "yes, no or seconds");
            0
        })
    }
}

/// A `sscanf("%d")` number, reported and replaced by `dflt` when absent
/// or below `min`.
fn int_at_least(diags: &mut Vec<Diagnostic>, v: &Variable, min: i64, dflt: i64) -> i64 {
    match scan_d(&v.value) {
        Some(n) if n >= min => n,
        _ => {
            bad_value(diags, v, &format!("a number of at least {min}"));
            dflt
        }
    }
}

/// Options [general] and devices share, that are not flags.
fn apply_peer_values(s: &mut PeerSettings, v: &Variable, diags: &mut Vec<Diagnostic>) -> bool {
    let val = v.value.as_str();
    match v.name.to_ascii_lowercase().as_str() {
        "context" => s.context = val.to_string(),
        "recordonfeature" => s.record_on_feature = val.to_string(),
        "recordofffeature" => s.record_off_feature = val.to_string(),
        "outofcall_message_context" => s.message_context = val.to_string(),
        "subscribecontext" => s.subscribecontext = val.to_string(),
        "language" => s.language = val.to_string(),
        "mohinterpret" => s.mohinterpret = val.to_string(),
        "mohsuggest" => s.mohsuggest = val.to_string(),
        "allow" | "disallow" => {
            let allowing = v.name.eq_ignore_ascii_case("allow");
            if !s.codecs.update(val, allowing).is_empty() {
                bad_value(diags, v, "codec names");
            }
        }
        "maxcallbitrate" => {
            s.maxcallbitrate = atoi(val);
            if s.maxcallbitrate < 0 {
                s.maxcallbitrate = 384;
            }
        }
        "rtptimeout" => s.rtptimeout = int_at_least(diags, v, 0, 0),
        "rtpholdtimeout" => s.rtpholdtimeout = int_at_least(diags, v, 0, 0),
        "rtpkeepalive" => s.rtpkeepalive = int_at_least(diags, v, 0, 0),
        "allowtransfer" => s.allowtransfer = is_true(val),
        "autoframing" => s.autoframing = is_true(val),
        "qualifyfreq" => match scan_d(val) {
            Some(n) => s.qualifyfreq_ms = n * 1000,
            None => {
                bad_value(diags, v, "seconds");
                s.qualifyfreq_ms = 60_000;
            }
        },
        "vmexten" => s.vmexten = val.to_string(),
        "mwi_from" => s.mwi_from = val.to_string(),
        "keepalive" => s.keepalive = parse_keepalive(diags, v),
        "session-timers" => match val.to_ascii_lowercase().as_str() {
            "accept" => s.session_timers = SessionTimers::Accept,
            "originate" => s.session_timers = SessionTimers::Originate,
            "refuse" => s.session_timers = SessionTimers::Refuse,
            _ => {
                bad_value(diags, v, "accept, originate or refuse");
                s.session_timers = SessionTimers::Accept;
            }
        },
        "session-refresher" => match val.to_ascii_lowercase().as_str() {
            "uas" => s.session_refresher_uas = true,
            "uac" => s.session_refresher_uas = false,
            _ => {
                bad_value(diags, v, "uac or uas");
                s.session_refresher_uas = true;
            }
        },
        "session-expires" => s.session_expires = int_at_least(diags, v, i64::MIN, 1800),
        "session-minse" => s.session_minse = int_at_least(diags, v, 90, 90),
        "usereqphone" => s.usereqphone = is_true(val),
        "use_q850_reason" => s.use_q850_reason = is_true(val),
        "preferred_codec_only" => s.preferred_codec_only = is_true(val),
        "icesupport" => s.icesupport = is_true(val),
        _ => return false,
    }
    true
}

/// `[general]`: the channel-wide settings and what devices start with.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SipGeneral {
    /// What every device starts with.
    pub peer: PeerSettings,
    pub bindport: u16,
    pub allowguest: bool,
    /// MESSAGE outside any call is taken (`accept_outofcall_message`),
    /// its sender authenticated first (`auth_message_requests`).
    pub accept_outofcall_message: bool,
    pub auth_message_requests: bool,
    pub alwaysauthreject: bool,
    pub callcounter: bool,
    pub tcpenable: bool,
    pub tlsenable: bool,
    /// `maxforwards=`: used for calls whose device sets none.
    pub maxforwards: i64,
    pub parkinglot: String,
    pub regcontext: String,
    pub fromdomain: String,
    pub t1min: i64,
    /// `udpbindaddr=` (or the older `bindaddr=`), possibly with a port.
    pub bindaddr: String,
    /// `tcpbindaddr=` as written; empty: the UDP address (chan_sip binds
    /// TCP where UDP is unless told otherwise).
    #[serde(skip)]
    pub tcpbindaddr: String,
    /// `realm=`: the digest realm of every challenge.
    pub realm: String,
    /// `useragent=`: the Server/User-Agent header.
    pub useragent: String,
    /// `register =>` lines, as written: outbound registrations.
    pub registers: Vec<String>,
    /// `registertimeout=`: seconds before an unanswered or failed
    /// registration is tried again.
    pub registertimeout: u32,
    /// `defaultexpiry=`: the expiry of registrations without `~expiry`.
    pub defaultexpiry: u32,
    /// `tos_audio=`, `cos_audio=`: the QoS marks of RTP sockets (chan_sip
    /// logs them for each call).
    pub tos_audio: u32,
    pub cos_audio: u32,
    /// The rest of the channel-wide settings `sip show settings` lists.
    pub settings: GlobalSettings,
}
/// sip.conf `notifyringing` (`enum notifyringing`): whether a ringing
/// hint reads `early` in dialog NOTIFYs; `notinuse` only while nothing
/// else of the hint is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyRinging {
    No,
    Yes,
    NotInUse,
}

/// sip.conf `notifycid`: the ringing caller in dialog NOTIFYs, picked up
/// by a `pickup-` Replaces in the hint's context, or with
/// `ignore-context` by its PICKUPMARK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyCid {
    No,
    Yes,
    IgnoreContext,
}

/// `[general]` settings that only `sip show settings` reports (chan_sip's
/// globals as `reload_config` sets them).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GlobalSettings {
    pub autocreatepeer: String,
    pub match_auth_username: bool,
    pub domainsasrealm: bool,
    pub allowexternaldomains: bool,
    pub directrtpsetup: bool,
    pub sdpsession: String,
    pub sdpowner: String,
    pub regextenonqualify: bool,
    pub legacy_useroption_parsing: bool,
    pub send_diversion: bool,
    pub callerid: String,
    pub recordhistory: bool,
    pub authfailureevents: bool,
    pub storesipcause: bool,
    pub tos_sip: u32,
    pub tos_video: u32,
    pub tos_text: u32,
    pub cos_sip: u32,
    pub cos_video: u32,
    pub cos_text: u32,
    pub externhost: String,
    pub externrefresh: i64,
    pub relaxdtmf: bool,
    pub compactheaders: bool,
    pub notifymimetype: String,
    pub srvlookup: bool,
    pub pedantic: bool,
    pub minexpiry: i64,
    pub maxexpiry: i64,
    pub minsubexpiry: i64,
    pub maxsubexpiry: i64,
    pub registerattempts: i64,
    pub register_retry_403: bool,
    pub notifyringing: NotifyRinging,
    pub notifycid: NotifyCid,
    pub notifyhold: bool,
    pub outboundproxy: String,
    pub prematuremedia: bool,
}

impl Default for GlobalSettings {
    fn default() -> Self {
        GlobalSettings {
            autocreatepeer: "Off".into(),
            match_auth_username: false,
            domainsasrealm: false,
            allowexternaldomains: true,
            directrtpsetup: false,
            sdpsession: format!("Asterisk PBX {}", crate::version::ASTERISK_VERSION),
            sdpowner: "root".into(),
            regextenonqualify: false,
            legacy_useroption_parsing: false,
            send_diversion: true,
            callerid: "asterisk".into(),
            recordhistory: false,
            authfailureevents: false,
            storesipcause: false,
            tos_sip: 0,
            tos_video: 0,
            tos_text: 0,
            cos_sip: 4,
            cos_video: 6,
            cos_text: 5,
            externhost: String::new(),
            externrefresh: 10,
            relaxdtmf: false,
            compactheaders: false,
            notifymimetype: "application/simple-message-summary".into(),
            srvlookup: true,
            pedantic: true,
            minexpiry: 60,
            maxexpiry: 3600,
            minsubexpiry: 60,
            maxsubexpiry: 3600,
            registerattempts: 0,
            register_retry_403: false,
            notifyringing: NotifyRinging::Yes,
            notifycid: NotifyCid::No,
            notifyhold: false,
            outboundproxy: String::new(),
            prematuremedia: true,
        }
    }
}

impl Default for SipGeneral {
    fn default() -> Self {
        SipGeneral {
            peer: PeerSettings::default(),
            bindport: 5060,
            allowguest: true,
            accept_outofcall_message: false,
            auth_message_requests: true,
            alwaysauthreject: true,
            callcounter: false,
            tcpenable: false,
            tlsenable: false,
            maxforwards: 70,
            parkinglot: String::new(),
            regcontext: String::new(),
            fromdomain: String::new(),
            t1min: 100,
            bindaddr: "0.0.0.0".into(),
            tcpbindaddr: String::new(),
            realm: "asterisk".into(),
            useragent: format!("Asterisk PBX {}", crate::version::ASTERISK_VERSION),
            registers: Vec::new(),
            registertimeout: 20,
            defaultexpiry: 120,
            tos_audio: 0,
            cos_audio: 5,
            settings: GlobalSettings::default(),
        }
    }
}

/// `type=` of a sip.conf section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PeerType {
    Peer,
    User,
    Friend,
}

impl PeerType {
    /// Listed by `sip show peers` (users are not).
    pub fn is_peer(self) -> bool {
        matches!(self, PeerType::Peer | PeerType::Friend)
    }
}

/// One peer, user or friend.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SipPeer {
    pub name: String,
    pub kind: PeerType,
    /// Started from `[general]`, then the section's own lines.
    pub settings: PeerSettings,
    pub host_dynamic: bool,
    /// `host=` as written when not `dynamic` (chan_sip's `tohost`).
    pub tohost: String,
    /// The static address (`host=` an IP literal), if any.
    pub addr: Option<IpAddr>,
    /// `port=` (0 when not given).
    pub port: u16,
    pub defaultip: Option<IpAddr>,
    pub secret: String,
    pub md5secret: String,
    pub remotesecret: String,
    pub description: String,
    pub username: String,
    pub fromuser: String,
    pub fromdomain: String,
    pub fromdomainport: u16,
    pub cid_name: String,
    pub cid_num: String,
    pub mailboxes: Vec<String>,
    pub subscribemwi: bool,
    pub acl: AclList,
    pub contactacl: AclList,
    pub directmediaacl: AclList,
    pub accountcode: String,
    /// `amaflags=`: 0 unset, 1 omit, 2 billing, 3 documentation.
    pub amaflags: u8,
    pub callingpres: i32,
    pub callgroup: u64,
    pub pickupgroup: u64,
    pub namedcallgroup: NamedGroups,
    pub namedpickupgroup: NamedGroups,
    pub busy_level: i64,
    /// `maxforwards=` of the device; 0 when it sets none.
    pub maxforwards: i64,
    pub parkinglot: String,
    pub regexten: String,
    pub outboundproxy: String,
    /// The device's own `tonezone=`, if any.
    pub tonezone: Option<String>,
    /// `setvar=` (and `header=`), newest first as chan_sip keeps them.
    pub chanvars: Vec<(String, String)>,
    /// `auth=` lines: credentials for challenges from a given realm.
    pub auths: Vec<RealmAuth>,
}

/// An `auth = user[:secret]@realm` (or `user#md5secret@realm`) line: what
/// chan_sip answers a challenge from `realm` with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RealmAuth {
    pub username: String,
    pub secret: String,
    /// The `user#md5secret` form: MD5(user:realm:secret) given directly.
    pub md5secret: String,
    pub realm: String,
}

impl RealmAuth {
    /// Splits at the last `@` (realm), then the first `:` (secret) or `#`
    /// (md5secret); both a user and a realm are required.
    pub fn parse(value: &str) -> Option<RealmAuth> {
        let (user, realm) = value.rsplit_once('@')?;
        let (username, secret, md5secret) = if let Some((u, s)) = user.split_once(':') {
            (u, s, "")
        } else if let Some((u, m)) = user.split_once('#') {
            (u, "", m)
        } else {
            (user, "", "")
        };
        if username.is_empty() || realm.is_empty() {
            return None;
        }
        Some(RealmAuth {
            username: username.to_string(),
            secret: secret.to_string(),
            md5secret: md5secret.to_string(),
            realm: realm.to_string(),
        })
    }
}

/// chan_sip's `add_var`: a variable already set (same name, case
/// sensitive) takes the new value in its place; a new one goes first.
fn add_chanvar(vars: &mut Vec<(String, String)>, name: &str, value: &str) {
    match vars.iter_mut().find(|(n, _)| n == name) {
        Some(v) => v.1 = value.to_string(),
        None => vars.insert(0, (name.to_string(), value.to_string())),
    }
}

/// Reads one `auth=` line into `into`, or warns as chan_sip does.
fn add_realm_auth(v: &Variable, into: &mut Vec<RealmAuth>, diags: &mut Vec<Diagnostic>) {
    if v.value.is_empty() {
        return;
    }
    match RealmAuth::parse(&v.value) {
        Some(a) => into.push(a),
        None => diags.push(Diagnostic {
            severity: Severity::Warning,
            file: v.origin.file.to_path_buf(),
            line: v.origin.line,
            column: 1,
            message: format!(
                "Format for authentication entry is user[:secret]@realm at line {}",
                v.origin.line
            ),
        }),
    }
}

impl SipPeer {
    /// chan_sip's `ast_sockaddr_stringify(&peer->addr)`: the address with
    /// its port (5060, or 5061 over TLS, when none is set).
    pub fn addr_label(&self) -> String {
        match self.addr {
            Some(ip) => sockaddr(ip, self.effective_port()),
            None => "(null)".into(),
        }
    }

    /// The default address of a dynamic peer (`defaultip=`, with `port=`).
    pub fn defaddr_label(&self) -> String {
        match self.defaultip {
            Some(ip) => sockaddr(ip, self.defaddr_port()),
            None => "(null)".into(),
        }
    }

    /// The port of the default address: a dynamic peer's `port=`.
    pub fn defaddr_port(&self) -> u16 {
        if self.host_dynamic {
            self.effective_port()
        } else {
            self.default_port()
        }
    }

    fn default_port(&self) -> u16 {
        if self.settings.primary_transport == Some(Transport::Tls) {
            5061
        } else {
            5060
        }
    }

    /// The port of the address: `port=`, else the transport's default.
    pub fn effective_port(&self) -> u16 {
        if self.port != 0 {
            self.port
        } else {
            self.default_port()
        }
    }

    /// `lastmsgssent` after loading: chan_sip sends the first MWI NOTIFY
    /// to a peer with mailboxes; without any address it gives up and
    /// records -1.
    pub fn last_msgs_sent(&self) -> i32 {
        let unreachable = self.addr.is_none() && self.tohost.is_empty() && self.defaultip.is_none();
        if !self.mailboxes.is_empty() && !self.subscribemwi && unreachable {
            -1
        } else {
            0
        }
    }

    /// The tone zone in use: chan_sip only takes a country that
    /// indications.conf defines (`known`), the device's own first.
    pub fn effective_tonezone(&self, known: impl Fn(&str) -> bool) -> &str {
        match &self.tonezone {
            Some(z) if known(z) => z,
            _ if known(&self.settings.tonezone) => &self.settings.tonezone,
            _ => "",
        }
    }

    /// `ast_channel_amaflags2string`.
    pub fn amaflags_label(&self) -> &'static str {
        match self.amaflags {
            1 => "OMIT",
            2 => "BILLING",
            3 => "DOCUMENTATION",
            _ => "Unknown",
        }
    }

    /// `peer_status`: the text and whether the peer is monitored. Nothing
    /// has been qualified yet, so a monitored peer is still unknown.
    pub fn status(&self) -> (&'static str, bool) {
        if self.settings.qualify_ms != 0 {
            ("UNKNOWN", true)
        } else {
            ("Unmonitored", false)
        }
    }

    /// `ast_callerid_merge` of the name and number (both always set, maybe
    /// empty).
    pub fn callerid_label(&self) -> String {
        callerid::merge(Some(&self.cid_name), Some(&self.cid_num), "<unspecified>")
    }
}

/// A `host=` name's address, as chan_sip's load-time lookup gives it for
/// a UDP peer: the first IPv4 address, else the first address. (chan_sip
/// tries a `_sip._udp` SRV record first; a name without one, such as
/// `localhost`, falls back to this.)
fn resolve_host(host: &str) -> Option<IpAddr> {
    use std::net::ToSocketAddrs;
    if host.is_empty() {
        return None;
    }
    let addrs: Vec<IpAddr> = (host, 0u16)
        .to_socket_addrs()
        .ok()?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .copied()
        .find(IpAddr::is_ipv4)
        .or_else(|| addrs.first().copied())
}

fn sockaddr(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        IpAddr::V4(v4) => format!("{v4}:{port}"),
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SipConf {
    pub general: SipGeneral,
    /// In file order.
    pub peers: Vec<SipPeer>,
    /// `[authentication]`'s `auth=` lines, used when a peer has none for
    /// the realm that challenges.
    pub auths: Vec<RealmAuth>,
}

/// Reads a `transport=` list into (allowed, first usable).
fn parse_transports(
    v: &Variable,
    usable: impl Fn(Transport) -> bool,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Transport>, Option<Transport>) {
    let mut all = Vec::new();
    let mut first = None;
    for word in v.value.split(',') {
        match Transport::parse(word) {
            Some(t) if usable(t) => {
                if !all.contains(&t) {
                    all.push(t);
                }
                first.get_or_insert(t);
            }
            Some(_) => bad_value(diags, v, "a transport enabled in [general]"),
            None => bad_value(diags, v, "udp, tcp, tls, ws or wss"),
        }
    }
    (all, first)
}

/// The `[general]` options [`GlobalSettings`] holds; others are ignored.
fn apply_global_setting(s: &mut GlobalSettings, v: &Variable, diags: &mut Vec<Diagnostic>) {
    let val = v.value.as_str();
    let seconds = |diags: &mut Vec<Diagnostic>, current: i64| match scan_d(val) {
        Some(n) if n > 0 => n,
        _ => {
            bad_value(diags, v, "a number of seconds");
            current
        }
    };
    let tos = |diags: &mut Vec<Diagnostic>, current: u32| match super::qos::str2tos(val.trim()) {
        Some(n) => n,
        None => {
            bad_value(diags, v, "a TOS value or DSCP name");
            current
        }
    };
    let cos = |diags: &mut Vec<Diagnostic>, current: u32| match super::qos::str2cos(val) {
        Some(n) => n,
        None => {
            bad_value(diags, v, "a class of service from 0 to 7");
            current
        }
    };
    match v.name.to_ascii_lowercase().as_str() {
        // autocreatepeer2str: yes, persist, or off.
        "autocreatepeer" => {
            s.autocreatepeer = if val.eq_ignore_ascii_case("persist") {
                "Persisted".into()
            } else if is_true(val) {
                "On".into()
            } else {
                "Off".into()
            }
        }
        "match_auth_username" => s.match_auth_username = is_true(val),
        "domainsasrealm" => s.domainsasrealm = is_true(val),
        "allowexternaldomains" => s.allowexternaldomains = is_true(val),
        "directrtpsetup" => s.directrtpsetup = is_true(val),
        "sdpsession" => s.sdpsession = val.to_string(),
        "sdpowner" => s.sdpowner = val.to_string(),
        "regextenonqualify" => s.regextenonqualify = is_true(val),
        "legacy_useroption_parsing" => s.legacy_useroption_parsing = is_true(val),
        "send_diversion" => s.send_diversion = is_true(val),
        "callerid" => s.callerid = val.to_string(),
        "recordhistory" => s.recordhistory = is_true(val),
        "authfailureevents" => s.authfailureevents = is_true(val),
        "storesipcause" => s.storesipcause = is_true(val),
        "tos_sip" => s.tos_sip = tos(diags, s.tos_sip),
        "tos_video" => s.tos_video = tos(diags, s.tos_video),
        "tos_text" => s.tos_text = tos(diags, s.tos_text),
        "cos_sip" => s.cos_sip = cos(diags, s.cos_sip),
        "cos_video" => s.cos_video = cos(diags, s.cos_video),
        "cos_text" => s.cos_text = cos(diags, s.cos_text),
        "externhost" => s.externhost = val.to_string(),
        "externrefresh" => s.externrefresh = seconds(diags, s.externrefresh),
        "relaxdtmf" => s.relaxdtmf = is_true(val),
        "compactheaders" => s.compactheaders = is_true(val),
        "notifymimetype" => s.notifymimetype = val.to_string(),
        "srvlookup" => s.srvlookup = is_true(val),
        "pedantic" => s.pedantic = is_true(val),
        "minexpiry" => s.minexpiry = seconds(diags, s.minexpiry),
        "maxexpiry" => s.maxexpiry = seconds(diags, s.maxexpiry),
        "subminexpiry" | "subminexpirey" => s.minsubexpiry = seconds(diags, s.minsubexpiry),
        "submaxexpiry" | "submaxexpirey" => s.maxsubexpiry = seconds(diags, s.maxsubexpiry),
        "registerattempts" => s.registerattempts = atoi(val),
        "register_retry_403" => s.register_retry_403 = is_true(val),
        "notifyringing" => {
            s.notifyringing = if val.eq_ignore_ascii_case("notinuse") {
                NotifyRinging::NotInUse
            } else if is_true(val) {
                NotifyRinging::Yes
            } else {
                NotifyRinging::No
            }
        }
        "notifycid" => {
            s.notifycid = if val.eq_ignore_ascii_case("ignore-context") {
                NotifyCid::IgnoreContext
            } else if is_true(val) {
                NotifyCid::Yes
            } else {
                NotifyCid::No
            }
        }
        "notifyhold" => s.notifyhold = is_true(val),
        "outboundproxy" => s.outboundproxy = val.trim().to_string(),
        "prematuremedia" => s.prematuremedia = is_true(val),
        _ => {}
    }
}

fn parse_general(cfg: &Config, cat: &Category, diags: &mut Vec<Diagnostic>) -> SipGeneral {
    for v in &cat.variables {
        if !COMMON_OPTIONS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&v.name))
            && !GENERAL_OPTIONS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&v.name))
        {
            super::report_unknown(cfg, diags, cat, v);
        }
        let what = match v.name.to_ascii_lowercase().as_str() {
            "mwi" => "subscribing to a mailbox on another server (mwi =>)",
            _ => continue,
        };
        super::line_note(
            diags,
            Severity::Notice,
            v,
            format!("'{}': {what} is not supported by Asterism; ignored", v.name),
        );
    }
    let mut g = SipGeneral::default();
    let mut timerb_set = false;
    let mut timer_b = 64 * 500;
    let mut transport_line = None;
    for v in &cat.variables {
        if g.peer.apply_common(v, diags) || apply_peer_values(&mut g.peer, v, diags) {
            continue;
        }
        let val = v.value.as_str();
        match v.name.to_ascii_lowercase().as_str() {
            "bindport" => match scan_d(val).and_then(|n| u16::try_from(n).ok()) {
                Some(p) => g.bindport = p,
                None => bad_value(diags, v, "a port number"),
            },
            "allowguest" => g.allowguest = is_true(val),
            "accept_outofcall_message" => g.accept_outofcall_message = is_true(val),
            "auth_message_requests" => g.auth_message_requests = is_true(val),
            "alwaysauthreject" => g.alwaysauthreject = is_true(val),
            "callcounter" => g.callcounter = is_true(val),
            "tcpenable" => g.tcpenable = !is_false(val),
            "tlsenable" | "sslenable" => g.tlsenable = is_true(val),
            "qualify" => g.peer.qualify_ms = parse_qualify(diags, v, 2000),
            "timert1" => g.peer.timer_t1 = atoi(val),
            // chan_sip only ever lowers Timer B here (to 64 * T1 when the
            // value is below 500); a valid value is not stored.
            "timerb" => {
                timerb_set = true;
                if atoi(val) < 500 {
                    bad_value(diags, v, "milliseconds, at least 500");
                    timer_b = 64 * g.peer.timer_t1;
                }
            }
            "t1min" => g.t1min = atoi(val),
            "transport" => {
                let (all, first) = parse_transports(v, |_| true, diags);
                g.peer.transports = all;
                g.peer.primary_transport = first;
                transport_line = Some(v);
            }
            "maxforwards" => {
                g.maxforwards = match scan_d(val) {
                    Some(n) if (1..=255).contains(&n) => n,
                    _ => {
                        bad_value(diags, v, "1 to 255");
                        70
                    }
                }
            }
            "tonezone" => g.peer.tonezone = val.to_string(),
            "parkinglot" => g.parkinglot = val.to_string(),
            "regcontext" => g.regcontext = val.to_string(),
            "fromdomain" => g.fromdomain = val.to_string(),
            "bindaddr" | "udpbindaddr" => g.bindaddr = val.trim().to_string(),
            "tcpbindaddr" => g.tcpbindaddr = val.trim().to_string(),
            "realm" if !val.trim().is_empty() => g.realm = val.trim().to_string(),
            "useragent" if !val.is_empty() => g.useragent = val.to_string(),
            "register" => g.registers.push(val.trim().to_string()),
            "registertimeout" => match scan_d(val) {
                Some(n) if n > 0 => g.registertimeout = n as u32,
                _ => bad_value(diags, v, "a number of seconds"),
            },
            "defaultexpiry" => match scan_d(val) {
                Some(n) if n > 0 => g.defaultexpiry = n as u32,
                _ => bad_value(diags, v, "a number of seconds"),
            },
            // ast_str2cos: a number below 8.
            "cos_audio" => match super::qos::str2cos(val) {
                Some(n) => g.cos_audio = n,
                _ => bad_value(diags, v, "a class of service from 0 to 7"),
            },
            "tos_audio" => match super::qos::str2tos(val.trim()) {
                Some(n) => g.tos_audio = n,
                None => bad_value(diags, v, "a TOS value or DSCP name"),
            },
            _ => apply_global_setting(&mut g.settings, v, diags),
        }
    }
    let p = &mut g.peer;
    if p.timer_t1 < g.t1min {
        p.timer_t1 = g.t1min;
    }
    if timer_b < p.timer_t1 * 64 {
        if timerb_set {
            p.timer_t1 = timer_b / 64;
            if p.timer_t1 < g.t1min {
                p.timer_t1 = g.t1min;
                timer_b = p.timer_t1 * 64;
            }
        } else {
            timer_b = p.timer_t1 * 64;
        }
    }
    p.timer_b = timer_b;
    // Transports whose listener is off are dropped; UDP is the fallback.
    let dropped = |t: &Transport| {
        (*t == Transport::Tcp && !g.tcpenable) || (*t == Transport::Tls && !g.tlsenable)
    };
    if p.transports.iter().any(dropped) {
        if let Some(v) = transport_line {
            bad_value(
                diags,
                v,
                "transports whose listener is enabled (tcpenable/tlsenable)",
            );
        }
        p.transports.retain(|t| !dropped(t));
        if p.primary_transport.as_ref().is_some_and(dropped) {
            p.primary_transport = None;
        }
    }
    if p.transports.is_empty() {
        p.transports = vec![Transport::Udp];
    }
    if p.primary_transport.is_none() {
        p.primary_transport = Some(Transport::Udp);
    }
    if g.callcounter {
        p.call_limit = i64::from(i32::MAX);
    }
    g
}

fn parse_peer(
    cfg: &Config,
    cat: &Category,
    kind: PeerType,
    g: &SipGeneral,
    diags: &mut Vec<Diagnostic>,
) -> Option<SipPeer> {
    for v in &cat.variables {
        if !COMMON_OPTIONS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&v.name))
            && !PEER_OPTIONS.iter().any(|k| k.eq_ignore_ascii_case(&v.name))
        {
            super::report_unknown(cfg, diags, cat, v);
        }
    }
    let mut p = SipPeer {
        name: cat.name.clone(),
        kind,
        settings: g.peer.clone(),
        host_dynamic: false,
        tohost: String::new(),
        addr: None,
        port: 0,
        defaultip: None,
        secret: String::new(),
        md5secret: String::new(),
        remotesecret: String::new(),
        auths: Vec::new(),
        description: String::new(),
        username: String::new(),
        fromuser: String::new(),
        fromdomain: String::new(),
        fromdomainport: 0,
        cid_name: String::new(),
        cid_num: String::new(),
        mailboxes: Vec::new(),
        subscribemwi: false,
        acl: AclList::default(),
        contactacl: AclList::default(),
        directmediaacl: AclList::default(),
        accountcode: String::new(),
        amaflags: 0,
        callingpres: 0,
        callgroup: 0,
        pickupgroup: 0,
        namedcallgroup: NamedGroups::default(),
        namedpickupgroup: NamedGroups::default(),
        busy_level: 0,
        maxforwards: 0,
        parkinglot: String::new(),
        regexten: String::new(),
        outboundproxy: String::new(),
        tonezone: None,
        chanvars: Vec::new(),
    };
    let mut transports: Option<(Vec<Transport>, Option<Transport>)> = None;
    let (mut timerb_set, mut timert1_set) = (false, false);
    let mut headers = 0;
    for v in &cat.variables {
        let s = &mut p.settings;
        if s.apply_common(v, diags) || apply_peer_values(s, v, diags) {
            continue;
        }
        let val = v.value.as_str();
        let lname = v.name.to_ascii_lowercase();
        match lname.as_str() {
            "transport" => {
                let usable = |t: Transport| match t {
                    Transport::Tcp => g.tcpenable,
                    Transport::Tls => g.tlsenable,
                    _ => true,
                };
                transports = Some(parse_transports(v, usable, diags));
            }
            "secret" => p.secret = val.to_string(),
            "md5secret" => p.md5secret = val.to_string(),
            "remotesecret" => p.remotesecret = val.to_string(),
            "description" => p.description = val.to_string(),
            "callerid" => (p.cid_name, p.cid_num) = callerid::split(val),
            "fullname" => p.cid_name = val.to_string(),
            "trunkname" => p.cid_name.clear(),
            "cid_number" => p.cid_num = val.to_string(),
            "fromdomain" => match val.split_once(':') {
                Some((d, port)) => {
                    p.fromdomain = d.to_string();
                    p.fromdomainport = port.trim().parse().unwrap_or(0);
                    if p.fromdomainport == 0 {
                        bad_value(diags, v, "domain[:port]");
                    }
                }
                None => {
                    p.fromdomain = val.to_string();
                    p.fromdomainport = 5060;
                }
            },
            "fromuser" => p.fromuser = val.to_string(),
            "outboundproxy" => {
                if val.is_empty() {
                    bad_value(diags, v, "a proxy address");
                } else {
                    p.outboundproxy = val.to_string();
                }
            }
            "host" => {
                if val.eq_ignore_ascii_case("dynamic") {
                    p.host_dynamic = true;
                    p.tohost.clear();
                    p.addr = None;
                } else {
                    p.host_dynamic = false;
                    p.tohost = val.to_string();
                    // chan_sip looks a host name up once, at load (its
                    // `;params` left out); a name that does not resolve
                    // drops the peer.
                    let host = val.split(';').next().unwrap_or(val);
                    let literal = host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<IpAddr>()
                        .ok();
                    p.addr = match literal.or_else(|| resolve_host(host)) {
                        Some(ip) => Some(ip),
                        None => {
                            bad_value(diags, v, "a host that resolves (the peer is dropped)");
                            return None;
                        }
                    };
                }
            }
            "defaultip" if !val.is_empty() => match val.parse::<IpAddr>() {
                Ok(ip) => p.defaultip = Some(ip),
                // chan_sip drops the peer when the address does not resolve.
                Err(_) => {
                    bad_value(diags, v, "an IP address (the peer is dropped)");
                    return None;
                }
            },
            "permit" | "deny" | "acl" => {
                if !val.is_empty()
                    && let Err(e) = p.acl.append(&lname, val)
                {
                    bad_value(
                        diags,
                        v,
                        &format!("an ACL entry ({e}; the peer is dropped)"),
                    );
                    return None;
                }
            }
            "contactpermit" | "contactdeny" | "contactacl" => {
                if !val.is_empty()
                    && let Err(e) = p.contactacl.append(&lname[7..], val)
                {
                    bad_value(
                        diags,
                        v,
                        &format!("an ACL entry ({e}; the peer is dropped)"),
                    );
                    return None;
                }
            }
            "directmediapermit" | "directmediadeny" | "directmediaacl" => {
                if let Err(e) = p.directmediaacl.append(&lname[11..], val) {
                    bad_value(
                        diags,
                        v,
                        &format!("an ACL entry ({e}; the peer is dropped)"),
                    );
                    return None;
                }
            }
            "port" => match val.trim().parse::<u16>() {
                Ok(n) if n > 0 => p.port = n,
                _ => bad_value(diags, v, "a port number"),
            },
            "callingpres" => {
                p.callingpres =
                    callerid::parse_presentation(val).unwrap_or_else(|| atoi(val) as i32)
            }
            "username" | "defaultuser" => p.username = val.to_string(),
            "auth" => add_realm_auth(v, &mut p.auths, diags),
            "regexten" => p.regexten = val.to_string(),
            "amaflags" => {
                p.amaflags = match val.to_ascii_lowercase().as_str() {
                    "default" | "documentation" => 3,
                    "omit" => 1,
                    "billing" => 2,
                    _ => 0,
                }
            }
            "maxforwards" => {
                p.maxforwards = match scan_d(val) {
                    Some(n) if (1..=255).contains(&n) => n,
                    _ => {
                        bad_value(diags, v, "1 to 255 (using [general]'s)");
                        g.maxforwards
                    }
                }
            }
            "accountcode" => p.accountcode = val.to_string(),
            "parkinglot" => p.parkinglot = val.to_string(),
            "rtp_engine" => p.settings.rtp_engine = val.to_string(),
            "mailbox" => {
                for m in val.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    if !p.mailboxes.iter().any(|x| x == m) {
                        p.mailboxes.push(m.to_string());
                    }
                }
            }
            "hasvoicemail" if is_true(val) && p.mailboxes.is_empty() => {
                p.mailboxes.push(if p.name.contains('@') {
                    p.name.clone()
                } else {
                    format!("{}@default", p.name)
                });
            }
            "subscribemwi" => p.subscribemwi = is_true(val),
            "callgroup" | "pickupgroup" => {
                let (mask, bad) = parse_group(val);
                if !bad.is_empty() {
                    bad_value(diags, v, "group numbers 0 to 63");
                }
                if lname == "callgroup" {
                    p.callgroup = mask;
                } else {
                    p.pickupgroup = mask;
                }
            }
            "namedcallgroup" => p.namedcallgroup = NamedGroups::parse(val),
            "namedpickupgroup" => p.namedpickupgroup = NamedGroups::parse(val),
            "timert1" => {
                timert1_set = true;
                p.settings.timer_t1 = match scan_d(val) {
                    Some(n) if n >= 200 && n >= g.t1min => n,
                    _ => {
                        bad_value(diags, v, "milliseconds, at least 200");
                        g.t1min
                    }
                };
            }
            "timerb" => {
                timerb_set = true;
                p.settings.timer_b = match scan_d(val) {
                    Some(n) if n >= 200 => n,
                    _ => {
                        bad_value(diags, v, "milliseconds, at least 200");
                        g.peer.timer_b
                    }
                };
            }
            "setvar" => {
                if let Some((k, x)) = val.split_once('=') {
                    add_chanvar(&mut p.chanvars, k, x);
                }
            }
            "header" => {
                headers += 1;
                add_chanvar(
                    &mut p.chanvars,
                    &format!("__SIPADDHEADERpre{headers:2}"),
                    val,
                );
            }
            "qualify" => {
                let yes = if g.peer.qualify_ms != 0 {
                    g.peer.qualify_ms
                } else {
                    2000
                };
                p.settings.qualify_ms = parse_qualify(diags, v, yes);
            }
            "callcounter" => {
                p.settings.call_limit = if is_true(val) { i64::from(i32::MAX) } else { 0 }
            }
            "call-limit" => p.settings.call_limit = atoi(val).max(0),
            "busylevel" => p.busy_level = atoi(val).max(0),
            "tonezone" => p.tonezone = Some(val.to_string()),
            "encryption" => p.settings.encryption = is_true(val),
            "avpf" => p.settings.avpf = is_true(val),
            "force_avp" => p.settings.force_avp = is_true(val),
            _ => {}
        }
    }
    // Timer B may not be below 64 * T1 (RFC 3261 17.1.1.2).
    let s = &mut p.settings;
    if s.timer_b < s.timer_t1 * 64 {
        if timerb_set && !timert1_set {
            s.timer_t1 = (s.timer_b / 64).max(g.t1min);
            if s.timer_b / 64 < g.t1min {
                s.timer_b = s.timer_t1 * 64;
            }
        } else if !timerb_set {
            s.timer_b = s.timer_t1 * 64;
        }
    }
    if let Some((all, first)) = transports.filter(|(_, first)| first.is_some()) {
        s.transports = all;
        s.primary_transport = first;
    }
    Some(p)
}

impl View for SipConf {
    const FILE: &'static str = "sip.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let general = cfg
            .section("general")
            .map(|c| parse_general(cfg, c, diags))
            .unwrap_or_default();
        let mut peers: Vec<SipPeer> = Vec::new();
        let mut auths = Vec::new();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                continue;
            }
            if cat.name.eq_ignore_ascii_case("authentication") {
                check_known(cfg, diags, cat, &["auth"]);
                for v in cat
                    .variables
                    .iter()
                    .filter(|v| v.name.eq_ignore_ascii_case("auth"))
                {
                    add_realm_auth(v, &mut auths, diags);
                }
                continue;
            }
            let kind = match cat.get_var("type") {
                Some(v) => match v.value.trim().to_ascii_lowercase().as_str() {
                    "friend" => PeerType::Friend,
                    "peer" => PeerType::Peer,
                    "user" => PeerType::User,
                    _ => {
                        bad_value(diags, v, "friend, peer or user");
                        continue;
                    }
                },
                None => {
                    // chan_sip: "Section '...' lacks type", and skips it.
                    section_note(
                        diags,
                        Severity::Warning,
                        cat,
                        format!("section [{}] lacks type= and is ignored", cat.name),
                    );
                    continue;
                }
            };
            let Some(peer) = parse_peer(cfg, cat, kind, &general, diags) else {
                continue;
            };
            // A later section of the same name replaces the earlier one.
            peers.retain(|p| p.name != peer.name);
            peers.push(peer);
        }
        SipConf {
            general,
            peers,
            auths,
        }
    }
}

impl SipConf {
    /// The peer (or friend) called `name`, as `sip_find_peer` finds it.
    /// A peer (or friend) by name: case-sensitive, as chan_sip's
    /// `find_by_name` (SIP user names are).
    pub fn peer(&self, name: &str) -> Option<&SipPeer> {
        self.peers
            .iter()
            .find(|p| p.kind.is_peer() && p.name == name)
    }

    /// The state of the device this file defines under `name`. No call is
    /// up and nothing has registered: a static host is reachable, a
    /// dynamic one is not.
    pub fn device_state(&self, name: &str) -> DeviceState {
        match self.peer(name) {
            None => DeviceState::Invalid,
            Some(p) if p.host_dynamic || p.tohost.is_empty() => DeviceState::Unavailable,
            Some(_) => DeviceState::NotInUse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{category, config};

    fn conf(cats: Vec<Category>) -> (SipConf, Vec<Diagnostic>) {
        let mut d = Vec::new();
        (SipConf::from_config(&config(cats), &mut d), d)
    }

    #[test]
    fn realm_auth_lines() {
        let (c, diags) = conf(vec![
            category(
                "sip.conf",
                "authentication",
                &[
                    ("auth", "alice:pw@voip.example"),
                    ("auth", "bob#0123abcd@my@example"),
                    ("auth", "nobody"),
                ],
            ),
            category(
                "sip.conf",
                "trunk",
                &[("type", "peer"), ("host", "127.0.0.1"), ("auth", "carol@r")],
            ),
        ]);
        let want = |u: &str, s: &str, m: &str, r: &str| RealmAuth {
            username: u.into(),
            secret: s.into(),
            md5secret: m.into(),
            realm: r.into(),
        };
        assert_eq!(
            c.auths,
            [
                want("alice", "pw", "", "voip.example"),
                // The realm is after the last '@'.
                want("bob", "", "0123abcd@my", "example"),
            ]
        );
        assert_eq!(
            c.peer("trunk").expect("trunk").auths,
            [want("carol", "", "", "r")]
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(
            diags[0].message,
            "Format for authentication entry is user[:secret]@realm at line 4"
        );
    }

    #[test]
    fn host_names_resolve_at_load() {
        let (c, diags) = conf(vec![
            category(
                "sip.conf",
                "byname",
                &[("type", "peer"), ("host", "localhost"), ("port", "5099")],
            ),
            category(
                "sip.conf",
                "withparams",
                &[("type", "peer"), ("host", "localhost;transport=udp")],
            ),
            category(
                "sip.conf",
                "nowhere",
                &[("type", "peer"), ("host", "no-such-host.invalid")],
            ),
        ]);
        let p = c.peer("byname").expect("byname");
        assert_eq!(p.addr, Some(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(p.tohost, "localhost");
        assert_eq!(p.addr_label(), "127.0.0.1:5099");
        let p = c.peer("withparams").expect("withparams");
        assert_eq!(p.addr, Some(IpAddr::from([127, 0, 0, 1])));
        // A name that does not resolve drops the peer, and is reported.
        assert!(c.peer("nowhere").is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
    }

    #[test]
    fn global_settings_from_general() {
        let (c, d) = conf(vec![category(
            "sip.conf",
            "general",
            &[
                ("srvlookup", "no"),
                ("minexpiry", "30"),
                ("subminexpiry", "45"),
                ("autocreatepeer", "persist"),
                ("tos_sip", "cs3"),
                ("cos_video", "3"),
                ("notifyringing", "no"),
                ("externrefresh", "bogus"),
            ],
        )]);
        let s = &c.general.settings;
        assert!(!s.srvlookup);
        assert_eq!((s.minexpiry, s.minsubexpiry, s.maxexpiry), (30, 45, 3600));
        assert_eq!(s.autocreatepeer, "Persisted");
        assert_eq!((s.tos_sip, s.cos_video), (0x60, 3));
        assert_eq!(s.notifyringing, NotifyRinging::No);
        assert_eq!(s.notifycid, NotifyCid::No);
        // A bad value keeps the default and is reported.
        assert_eq!(s.externrefresh, 10);
        assert_eq!(d.len(), 1, "{d:?}");
    }

    #[test]
    fn notify_tri_states() {
        let (c, d) = conf(vec![category(
            "sip.conf",
            "general",
            &[
                ("notifyringing", "NotInUse"),
                ("notifycid", "Ignore-Context"),
                ("notifyhold", "yes"),
            ],
        )]);
        let s = &c.general.settings;
        assert_eq!(s.notifyringing, NotifyRinging::NotInUse);
        assert_eq!(s.notifycid, NotifyCid::IgnoreContext);
        assert!(s.notifyhold);
        assert!(d.is_empty(), "{d:?}");
        let (c, _) = conf(vec![category(
            "sip.conf",
            "general",
            &[("notifycid", "yes")],
        )]);
        assert_eq!(c.general.settings.notifycid, NotifyCid::Yes);
    }

    #[test]
    fn nat_values() {
        for (value, rport, comedia) in [
            ("no", "No", "No"),
            ("yes", "Yes", "Yes"),
            ("force_rport", "Yes", "No"),
            ("comedia", "No", "Yes"),
            ("auto_force_rport", "Auto (No)", "No"),
            ("auto_force_rport,auto_comedia", "Auto (No)", "Auto (No)"),
            ("force_rport,comedia", "Yes", "Yes"),
        ] {
            let mut n = Nat::default();
            assert!(n.apply(value), "{value}");
            assert_eq!(
                (n.force_rport_label(), n.comedia_label()),
                (rport, comedia),
                "{value}"
            );
        }
        assert_eq!(Nat::default().force_rport_label(), "Auto (No)");
    }

    #[test]
    fn peers_and_defaults() {
        let (c, d) = conf(vec![
            category(
                "sip.conf",
                "general",
                &[
                    ("context", "internal"),
                    ("disallow", "all"),
                    ("allow", "ulaw"),
                    ("allow", "alaw"),
                    ("maxforwards", "20"),
                ],
            ),
            category(
                "sip.conf",
                "1000",
                &[
                    ("type", "friend"),
                    ("host", "127.0.0.1"),
                    ("port", "5071"),
                    ("permit", "127.0.0.1"),
                    ("callerid", "\"Bob\" <1000>"),
                ],
            ),
            category(
                "sip.conf",
                "3000",
                &[
                    ("type", "peer"),
                    ("host", "dynamic"),
                    ("secret", "x"),
                    ("mailbox", "3000@default"),
                    ("maxforwards", "300"),
                    ("timerb", "6400"),
                ],
            ),
            category("sip.conf", "u", &[("type", "user"), ("bogus", "1")]),
            category("sip.conf", "notype", &[("host", "dynamic")]),
        ]);
        assert_eq!(c.peers.len(), 3);
        let p = c.peer("1000").expect("1000");
        assert_eq!(
            (
                p.addr_label(),
                p.acl.is_empty(),
                p.settings.context.as_str()
            ),
            ("127.0.0.1:5071".to_string(), false, "internal")
        );
        assert_eq!(p.settings.codecs.names(), "(ulaw|alaw)");
        assert_eq!((p.maxforwards, p.last_msgs_sent()), (0, 0));
        assert_eq!(p.callerid_label(), "\"Bob\" <1000>");
        let p = c.peer("3000").expect("3000");
        assert_eq!(
            (p.host_dynamic, p.addr_label(), p.mailboxes.clone()),
            (true, "(null)".to_string(), vec!["3000@default".to_string()])
        );
        assert_eq!(p.last_msgs_sent(), -1);
        assert_eq!(p.maxforwards, 20);
        assert_eq!((p.settings.timer_t1, p.settings.timer_b), (100, 6400));
        assert_eq!(p.callerid_label(), "\"\" <>");
        assert!(c.peer("u").is_none());
        assert_eq!(c.device_state("1000"), DeviceState::NotInUse);
        assert_eq!(c.device_state("3000"), DeviceState::Unavailable);
        assert_eq!(c.device_state("nope"), DeviceState::Invalid);
        assert!(d.iter().any(|d| d.message.contains("'bogus'")));
        assert!(d.iter().any(|d| d.message.contains("lacks type")));
        assert!(d.iter().any(|d| d.message.contains("'300'")));
    }

    #[test]
    fn transports_need_their_listener() {
        let (c, d) = conf(vec![
            category(
                "sip.conf",
                "general",
                &[("transport", "udp,tcp"), ("tcpenable", "yes")],
            ),
            category(
                "sip.conf",
                "a",
                &[("type", "peer"), ("host", "dynamic"), ("transport", "tls")],
            ),
            category(
                "sip.conf",
                "b",
                &[
                    ("type", "peer"),
                    ("host", "dynamic"),
                    ("transport", "ws,udp"),
                ],
            ),
        ]);
        let a = c.peer("a").expect("a");
        // tlsenable=no: tls is refused and [general]'s list applies.
        assert_eq!(a.settings.primary_transport, Some(Transport::Udp));
        assert_eq!(a.settings.transports_label(), "UDP,TCP");
        let b = c.peer("b").expect("b");
        assert_eq!(b.settings.primary_transport, Some(Transport::Ws));
        assert_eq!(b.settings.transports_label(), "UDP,WS");
        assert_eq!(d.len(), 1, "{d:?}");
    }
}
