//! A res_pjsip `type=endpoint` object: every option res_pjsip registers,
//! with its Asterisk 20 default, parsed as its handler parses it, and
//! shown as `pjsip show endpoint` lists it (its to-string handler).
//!
//! Sorcery refuses the whole object when one option is unknown or its
//! handler fails, so [`Endpoint::set`] returns an error for those and the
//! view drops the endpoint.

use super::acl::AclList;
use super::callerid;
use super::codecs::CodecList;
use super::geolocation::GeolocationConf;
use super::groups::{NamedGroups, parse_group, print_group};
use super::qos::str2tos;
use crate::config::{is_false, is_true};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Rel100 {
    No,
    Yes,
    PeerSupported,
    Required,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Timers {
    No,
    Yes,
    Required,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dtmf {
    None,
    Rfc4733,
    Inband,
    Info,
    Auto,
    AutoInfo,
}

impl Dtmf {
    pub fn as_str(self) -> &'static str {
        match self {
            Dtmf::None => "none",
            Dtmf::Rfc4733 => "rfc4733",
            Dtmf::Inband => "inband",
            Dtmf::Info => "info",
            Dtmf::Auto => "auto",
            Dtmf::AutoInfo => "auto_info",
        }
    }
}

/// How a session is refreshed (INVITE or UPDATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Refresh {
    Invite,
    Update,
}

impl Refresh {
    fn parse(v: &str) -> Option<Refresh> {
        match v.to_ascii_lowercase().as_str() {
            "invite" | "reinvite" => Some(Refresh::Invite),
            "update" => Some(Refresh::Update),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Refresh::Invite => "invite",
            Refresh::Update => "update",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MediaEncryption {
    No,
    Sdes,
    Dtls,
}

/// `identify_by` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IdentifyBy {
    Username,
    AuthUsername,
    Ip,
    Header,
    RequestUri,
}

impl IdentifyBy {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifyBy::Username => "username",
            IdentifyBy::AuthUsername => "auth_username",
            IdentifyBy::Ip => "ip",
            IdentifyBy::Header => "header",
            IdentifyBy::RequestUri => "request_uri",
        }
    }
}

/// `incoming_call_offer_pref`/`outgoing_call_offer_pref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CallOfferPref {
    Local,
    LocalMerge,
    LocalFirst,
    Remote,
    RemoteMerge,
    RemoteFirst,
}

impl CallOfferPref {
    fn parse(v: &str, outgoing: bool) -> Option<CallOfferPref> {
        // Compared exactly, as res_pjsip does.
        Some(match v {
            "local" => CallOfferPref::Local,
            "local_merge" if outgoing => CallOfferPref::LocalMerge,
            "local_first" => CallOfferPref::LocalFirst,
            "remote" => CallOfferPref::Remote,
            "remote_merge" if outgoing => CallOfferPref::RemoteMerge,
            "remote_first" => CallOfferPref::RemoteFirst,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallOfferPref::Local => "local",
            CallOfferPref::LocalMerge => "local_merge",
            CallOfferPref::LocalFirst => "local_first",
            CallOfferPref::Remote => "remote",
            CallOfferPref::RemoteMerge => "remote_merge",
            CallOfferPref::RemoteFirst => "remote_first",
        }
    }
}

/// One `codec_prefs_*` option: the four stream negotiation preferences.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodecPrefs {
    pub prefer: &'static str,
    pub operation: &'static str,
    pub keep: &'static str,
    pub transcode: &'static str,
}

impl CodecPrefs {
    fn new(operation: &'static str) -> CodecPrefs {
        CodecPrefs {
            prefer: "pending",
            operation,
            keep: "all",
            transcode: "allow",
        }
    }

    /// `ast_stream_codec_prefs_parse`: `name: value` pairs split on `,`;
    /// what is not given takes `default_operation` and the usual defaults.
    fn parse(value: &str, default_operation: &'static str) -> Result<CodecPrefs, String> {
        const PREFER: &[&str] = &["pending", "configured"];
        const OPERATION: &[&str] = &["intersect", "union", "only_preferred", "only_nonpreferred"];
        const KEEP: &[&str] = &["all", "first"];
        const TRANSCODE: &[&str] = &["allow", "prevent"];
        let mut p = CodecPrefs {
            prefer: "",
            operation: "",
            keep: "",
            transcode: "",
        };
        for pref in value.split(',').filter(|p| !p.is_empty()) {
            let mut words = pref.split([':', ' ']).filter(|w| !w.is_empty());
            let (Some(name), Some(val)) = (words.next(), words.next()) else {
                return Err(format!("codec preference '{pref}' is invalid"));
            };
            let (slot, allowed) = match name {
                "prefer" => (&mut p.prefer, PREFER),
                "operation" => (&mut p.operation, OPERATION),
                "keep" => (&mut p.keep, KEEP),
                "transcode" => (&mut p.transcode, TRANSCODE),
                _ => continue,
            };
            match allowed.iter().find(|a| **a == val) {
                Some(a) => *slot = a,
                None => {
                    return Err(format!(
                        "codec preference '{name}' has invalid value '{val}'"
                    ));
                }
            }
        }
        let or = |s: &'static str, d: &'static str| if s.is_empty() { d } else { s };
        Ok(CodecPrefs {
            prefer: or(p.prefer, "pending"),
            operation: or(p.operation, default_operation),
            keep: or(p.keep, "all"),
            transcode: or(p.transcode, "allow"),
        })
    }

    pub fn to_str(&self) -> String {
        format!(
            "prefer:{}, operation:{}, keep:{}, transcode:{}",
            self.prefer, self.operation, self.keep, self.transcode
        )
    }
}

/// The DTLS settings of an endpoint (`ast_rtp_dtls_cfg`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dtls {
    pub enabled: bool,
    pub verify_fingerprint: bool,
    pub verify_certificate: bool,
    pub rekey: u32,
    pub auto_generate_cert: bool,
    pub cert_file: String,
    pub private_key: String,
    pub cipher: String,
    pub ca_file: String,
    pub ca_path: String,
    /// active, passive or actpass.
    pub setup: &'static str,
    /// SHA-256 or SHA-1.
    pub fingerprint: &'static str,
}

impl Default for Dtls {
    fn default() -> Self {
        Dtls {
            enabled: false,
            verify_fingerprint: false,
            verify_certificate: false,
            rekey: 0,
            auto_generate_cert: false,
            cert_file: String::new(),
            private_key: String::new(),
            cipher: String::new(),
            ca_file: String::new(),
            ca_path: String::new(),
            setup: "active",
            fingerprint: "SHA-256",
        }
    }
}

impl Dtls {
    /// `ast_rtp_dtls_cfg_parse`, `name` without underscores.
    fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let readable = |v: &str| -> Result<String, String> {
            if v.is_empty() || std::fs::File::open(v).is_ok() {
                Ok(v.to_string())
            } else {
                Err(format!("file {v} does not exist or is not readable"))
            }
        };
        match name {
            "dtlsenable" => self.enabled = is_true(value),
            "dtlsverify" => {
                (self.verify_fingerprint, self.verify_certificate) =
                    match value.to_ascii_lowercase().as_str() {
                        "yes" => (true, true),
                        "fingerprint" => (true, false),
                        "certificate" => (false, true),
                        "no" => (false, false),
                        _ => return Err("yes, no, fingerprint or certificate".into()),
                    }
            }
            "dtlsrekey" => {
                self.rekey = super::values::scan_d(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("a number of bytes")?
            }
            "dtlsautogeneratecert" => self.auto_generate_cert = is_true(value),
            "dtlscertfile" => self.cert_file = readable(value)?,
            "dtlsprivatekey" => self.private_key = readable(value)?,
            "dtlscipher" => self.cipher = value.to_string(),
            "dtlscafile" => self.ca_file = readable(value)?,
            "dtlscapath" | "dtlscadir" => self.ca_path = readable(value)?,
            "dtlssetup" => match value.to_ascii_lowercase().as_str() {
                "active" => self.setup = "active",
                "passive" => self.setup = "passive",
                "actpass" => self.setup = "actpass",
                _ => {}
            },
            "dtlsfingerprint" => match value.to_ascii_lowercase().as_str() {
                "sha-256" => self.fingerprint = "SHA-256",
                "sha-1" => self.fingerprint = "SHA-1",
                _ => {}
            },
            _ => return Err("not a DTLS option".into()),
        }
        Ok(())
    }

    fn verify_label(&self) -> &'static str {
        match (self.verify_fingerprint, self.verify_certificate) {
            (false, false) => "No",
            (true, false) => "Fingerprint",
            (false, true) => "Certificate",
            (true, true) => "Yes",
        }
    }
}

/// `type=endpoint`, with res_pjsip's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Endpoint {
    pub name: String,
    pub rel100: Rel100,
    pub accept_multiple_sdp_answers: bool,
    pub accountcode: String,
    pub acl: AclList,
    pub aggregate_mwi: bool,
    pub codecs: CodecList,
    pub allow_overlap: bool,
    pub allow_subscribe: bool,
    pub allow_transfer: bool,
    pub allow_unauthenticated_options: bool,
    /// `aors=` as written (a comma list).
    pub aors: String,
    pub asymmetric_rtp_codec: bool,
    pub inbound_auths: Vec<String>,
    pub bind_rtp_to_media_address: bool,
    pub bundle: bool,
    pub call_group: u64,
    pub callerid_name: Option<String>,
    pub callerid_num: Option<String>,
    pub callerid_privacy: i32,
    pub callerid_tag: String,
    pub codec_prefs_incoming_answer: CodecPrefs,
    pub codec_prefs_incoming_offer: CodecPrefs,
    pub codec_prefs_outgoing_answer: CodecPrefs,
    pub codec_prefs_outgoing_offer: CodecPrefs,
    pub connected_line_method: Refresh,
    pub contact_acl: AclList,
    /// Unset unless configured (then shown, even empty).
    pub contact_user: Option<String>,
    pub context: String,
    pub cos_audio: u32,
    pub cos_video: u32,
    pub device_state_busy_at: u32,
    pub direct_media: bool,
    pub direct_media_glare_mitigation: &'static str,
    pub direct_media_method: Refresh,
    pub disable_direct_media_on_nat: bool,
    pub dtls: Dtls,
    pub dtmf_mode: Dtmf,
    pub fax_detect: bool,
    pub fax_detect_timeout: u32,
    pub follow_early_media_fork: bool,
    pub follow_redirect_message: bool,
    pub force_avp: bool,
    pub force_rport: bool,
    pub from_domain: String,
    pub from_user: String,
    pub g726_non_standard: bool,
    pub geoloc_incoming_call_profile: String,
    pub geoloc_outgoing_call_profile: String,
    pub ice_support: bool,
    pub identify_by: Vec<IdentifyBy>,
    pub ignore_183_without_sdp: bool,
    pub inband_progress: bool,
    pub incoming_call_offer_pref: CallOfferPref,
    pub incoming_mwi_mailbox: String,
    pub language: String,
    pub mailboxes: String,
    pub max_audio_streams: u32,
    pub max_video_streams: u32,
    pub media_address: String,
    pub media_encryption: MediaEncryption,
    pub media_encryption_optimistic: bool,
    pub media_use_received_transport: bool,
    pub message_context: String,
    pub moh_passthrough: bool,
    pub moh_suggest: String,
    pub mwi_from_user: String,
    pub mwi_subscribe_replaces_unsolicited: bool,
    pub named_call_group: NamedGroups,
    pub named_pickup_group: NamedGroups,
    pub notify_early_inuse_ringing: bool,
    pub one_touch_recording: bool,
    pub outbound_auths: Vec<String>,
    pub outbound_proxy: String,
    pub outgoing_call_offer_pref: CallOfferPref,
    pub overlap_context: String,
    pub pickup_group: u64,
    pub preferred_codec_only: bool,
    pub record_off_feature: String,
    pub record_on_feature: String,
    pub redirect_method: &'static str,
    pub refer_blind_progress: bool,
    pub rewrite_contact: bool,
    pub rpid_immediate: bool,
    pub rtcp_mux: bool,
    pub rtp_engine: String,
    pub rtp_ipv6: bool,
    pub rtp_keepalive: u32,
    pub rtp_port_end: u32,
    pub rtp_port_start: u32,
    pub rtp_symmetric: bool,
    pub rtp_timeout: u32,
    pub rtp_timeout_hold: u32,
    pub sdp_owner: String,
    pub sdp_session: String,
    /// `security_mechanisms=` as written; not shown when unset.
    pub security_mechanisms: String,
    pub security_negotiation_mediasec: bool,
    pub send_aoc: bool,
    pub send_connected_line: bool,
    pub send_diversion: bool,
    pub send_history_info: bool,
    pub send_pai: bool,
    pub send_rpid: bool,
    /// `set_var=` pairs; a name set again keeps its place.
    pub set_var: Vec<(String, String)>,
    pub srtp_tag_32: bool,
    pub stir_shaken_profile: String,
    pub sub_min_expiry: u32,
    pub subscribe_context: String,
    pub suppress_moh_on_sendonly: bool,
    pub suppress_q850_reason_headers: bool,
    pub t38_bind_udptl_to_media_address: bool,
    pub t38_udptl: bool,
    pub t38_udptl_ec: &'static str,
    pub t38_udptl_ipv6: bool,
    pub t38_udptl_maxdatagram: u32,
    pub t38_udptl_nat: bool,
    pub tenantid: String,
    pub timers: Timers,
    pub timers_min_se: u32,
    pub timers_sess_expires: u32,
    pub tone_zone: String,
    pub tos_audio: u32,
    pub tos_video: u32,
    pub transport: String,
    pub trust_connected_line: bool,
    pub trust_id_inbound: bool,
    pub trust_id_outbound: bool,
    pub use_avpf: bool,
    pub use_ptime: bool,
    pub user_eq_phone: bool,
    pub voicemail_extension: String,
    pub webrtc: bool,
}

impl Endpoint {
    /// An endpoint with every default applied.
    pub fn new(name: &str) -> Endpoint {
        Endpoint {
            name: name.to_string(),
            rel100: Rel100::Yes,
            accept_multiple_sdp_answers: false,
            accountcode: String::new(),
            acl: AclList::default(),
            aggregate_mwi: true,
            codecs: CodecList::default(),
            allow_overlap: true,
            allow_subscribe: true,
            allow_transfer: true,
            allow_unauthenticated_options: false,
            aors: String::new(),
            asymmetric_rtp_codec: false,
            inbound_auths: Vec::new(),
            bind_rtp_to_media_address: false,
            bundle: false,
            call_group: 0,
            callerid_name: None,
            callerid_num: None,
            callerid_privacy: 0,
            callerid_tag: String::new(),
            codec_prefs_incoming_answer: CodecPrefs::new("intersect"),
            codec_prefs_incoming_offer: CodecPrefs::new("intersect"),
            codec_prefs_outgoing_answer: CodecPrefs::new("intersect"),
            codec_prefs_outgoing_offer: CodecPrefs::new("union"),
            connected_line_method: Refresh::Invite,
            contact_acl: AclList::default(),
            contact_user: None,
            context: "default".into(),
            cos_audio: 0,
            cos_video: 0,
            device_state_busy_at: 0,
            direct_media: true,
            direct_media_glare_mitigation: "none",
            direct_media_method: Refresh::Invite,
            disable_direct_media_on_nat: false,
            dtls: Dtls::default(),
            dtmf_mode: Dtmf::Rfc4733,
            fax_detect: false,
            fax_detect_timeout: 0,
            follow_early_media_fork: true,
            follow_redirect_message: false,
            force_avp: false,
            force_rport: true,
            from_domain: String::new(),
            from_user: String::new(),
            g726_non_standard: false,
            geoloc_incoming_call_profile: String::new(),
            geoloc_outgoing_call_profile: String::new(),
            ice_support: false,
            identify_by: vec![IdentifyBy::Username, IdentifyBy::Ip],
            ignore_183_without_sdp: false,
            inband_progress: false,
            incoming_call_offer_pref: CallOfferPref::Local,
            incoming_mwi_mailbox: String::new(),
            language: String::new(),
            mailboxes: String::new(),
            max_audio_streams: 1,
            max_video_streams: 1,
            media_address: String::new(),
            media_encryption: MediaEncryption::No,
            media_encryption_optimistic: false,
            media_use_received_transport: false,
            message_context: String::new(),
            moh_passthrough: false,
            moh_suggest: "default".into(),
            mwi_from_user: String::new(),
            mwi_subscribe_replaces_unsolicited: false,
            named_call_group: NamedGroups::default(),
            named_pickup_group: NamedGroups::default(),
            notify_early_inuse_ringing: false,
            one_touch_recording: false,
            outbound_auths: Vec::new(),
            outbound_proxy: String::new(),
            outgoing_call_offer_pref: CallOfferPref::RemoteMerge,
            overlap_context: String::new(),
            pickup_group: 0,
            preferred_codec_only: false,
            record_off_feature: "automixmon".into(),
            record_on_feature: "automixmon".into(),
            redirect_method: "user",
            refer_blind_progress: true,
            rewrite_contact: false,
            rpid_immediate: false,
            rtcp_mux: false,
            rtp_engine: "asterisk".into(),
            rtp_ipv6: false,
            rtp_keepalive: 0,
            rtp_port_end: 0,
            rtp_port_start: 0,
            rtp_symmetric: false,
            rtp_timeout: 0,
            rtp_timeout_hold: 0,
            sdp_owner: "-".into(),
            sdp_session: "Asterisk".into(),
            security_mechanisms: String::new(),
            security_negotiation_mediasec: false,
            send_aoc: false,
            send_connected_line: true,
            send_diversion: true,
            send_history_info: false,
            send_pai: false,
            send_rpid: false,
            set_var: Vec::new(),
            srtp_tag_32: false,
            stir_shaken_profile: String::new(),
            sub_min_expiry: 0,
            subscribe_context: String::new(),
            suppress_moh_on_sendonly: false,
            suppress_q850_reason_headers: false,
            t38_bind_udptl_to_media_address: false,
            t38_udptl: false,
            t38_udptl_ec: "none",
            t38_udptl_ipv6: false,
            t38_udptl_maxdatagram: 0,
            t38_udptl_nat: false,
            tenantid: String::new(),
            timers: Timers::Yes,
            timers_min_se: 90,
            timers_sess_expires: 1800,
            tone_zone: String::new(),
            tos_audio: 0,
            tos_video: 0,
            transport: String::new(),
            trust_connected_line: true,
            trust_id_inbound: false,
            trust_id_outbound: false,
            use_avpf: false,
            use_ptime: false,
            user_eq_phone: false,
            voicemail_extension: String::new(),
            webrtc: false,
        }
    }

    /// Applies one option as res_pjsip's handler for it does. `Err` is
    /// what makes sorcery refuse the object.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let lname = name.to_ascii_lowercase();
        // Booleans: anything but a true value is false (OPT_BOOL_T).
        let b = is_true(value);
        macro_rules! flag {
            ($f:ident) => {{
                self.$f = b;
            }};
        }
        match lname.as_str() {
            "type" => {}
            "100rel" => {
                self.rel100 = if b {
                    Rel100::Yes
                } else if value.eq_ignore_ascii_case("peer_supported") {
                    Rel100::PeerSupported
                } else if value.eq_ignore_ascii_case("required") {
                    Rel100::Required
                } else if is_false(value) {
                    Rel100::No
                } else {
                    return Err("yes, no, peer_supported or required".into());
                }
            }
            "accept_multiple_sdp_answers" => flag!(accept_multiple_sdp_answers),
            "accountcode" => self.accountcode = value.to_string(),
            "acl" | "deny" | "permit" => {
                if !value.is_empty() {
                    self.acl.append(&lname, value)?;
                }
            }
            "contact_acl" | "contact_deny" | "contact_permit" => {
                if !value.is_empty() {
                    self.contact_acl.append(&lname[8..], value)?;
                }
            }
            "aggregate_mwi" => flag!(aggregate_mwi),
            "allow" | "disallow" => {
                let bad = self.codecs.update(value, lname == "allow");
                if !bad.is_empty() {
                    return Err(format!("unknown codec(s) {}", bad.join(", ")));
                }
            }
            "allow_overlap" => flag!(allow_overlap),
            "allow_subscribe" => flag!(allow_subscribe),
            "allow_transfer" => flag!(allow_transfer),
            "allow_unauthenticated_options" => flag!(allow_unauthenticated_options),
            "aors" => self.aors = value.to_string(),
            "asymmetric_rtp_codec" => flag!(asymmetric_rtp_codec),
            "auth" => self.inbound_auths = auth_list(value),
            "outbound_auth" => self.outbound_auths = auth_list(value),
            "bind_rtp_to_media_address" => flag!(bind_rtp_to_media_address),
            "bundle" => flag!(bundle),
            "call_group" => self.call_group = parse_group(value).0,
            "pickup_group" => self.pickup_group = parse_group(value).0,
            "callerid" => {
                let (n, num) = callerid::split(value);
                self.callerid_name = (!n.is_empty()).then_some(n);
                self.callerid_num = (!num.is_empty()).then_some(num);
            }
            "callerid_privacy" => {
                self.callerid_privacy = callerid::parse_presentation(value)
                    .or_else(|| super::values::scan_d(value).map(|n| n as i32))
                    .ok_or("a presentation name or number")?;
            }
            "callerid_tag" => self.callerid_tag = value.to_string(),
            "codec_prefs_incoming_offer" => {
                let p = CodecPrefs::parse(value, "intersect")?;
                if p.operation == "union" {
                    return Err("operation 'union' is not allowed here".into());
                }
                self.codec_prefs_incoming_offer = p;
            }
            "codec_prefs_outgoing_offer" => {
                self.codec_prefs_outgoing_offer = CodecPrefs::parse(value, "union")?
            }
            "codec_prefs_incoming_answer" => {
                self.codec_prefs_incoming_answer = CodecPrefs::parse(value, "intersect")?
            }
            "codec_prefs_outgoing_answer" => {
                self.codec_prefs_outgoing_answer = CodecPrefs::parse(value, "intersect")?
            }
            "connected_line_method" => {
                self.connected_line_method = Refresh::parse(value).ok_or("invite or update")?
            }
            "direct_media_method" => {
                self.direct_media_method = Refresh::parse(value).ok_or("invite or update")?
            }
            "contact_user" => self.contact_user = Some(value.to_string()),
            "context" => self.context = value.to_string(),
            "cos_audio" => self.cos_audio = uint(value)?,
            "cos_video" => self.cos_video = uint(value)?,
            "device_state_busy_at" => self.device_state_busy_at = uint(value)?,
            "direct_media" => flag!(direct_media),
            "direct_media_glare_mitigation" => {
                self.direct_media_glare_mitigation = match value.to_ascii_lowercase().as_str() {
                    "none" => "none",
                    "outgoing" => "outgoing",
                    "incoming" => "incoming",
                    _ => return Err("none, outgoing or incoming".into()),
                }
            }
            "disable_direct_media_on_nat" => flag!(disable_direct_media_on_nat),
            "dtls_verify"
            | "dtls_rekey"
            | "dtls_auto_generate_cert"
            | "dtls_cert_file"
            | "dtls_private_key"
            | "dtls_cipher"
            | "dtls_ca_file"
            | "dtls_ca_path"
            | "dtls_setup"
            | "dtls_fingerprint" => {
                let n = lname.as_str();
                let squashed: String = n.chars().filter(|c| *c != '_').collect();
                self.dtls.set(&squashed, value)?;
            }
            "dtmf_mode" => {
                self.dtmf_mode = match value.to_ascii_lowercase().as_str() {
                    "info" => Dtmf::Info,
                    "rfc4733" => Dtmf::Rfc4733,
                    "inband" => Dtmf::Inband,
                    "none" => Dtmf::None,
                    "auto" => Dtmf::Auto,
                    "auto_info" => Dtmf::AutoInfo,
                    _ => return Err("rfc4733, inband, info, auto, auto_info or none".into()),
                }
            }
            "fax_detect" => flag!(fax_detect),
            "fax_detect_timeout" => self.fax_detect_timeout = uint(value)?,
            "follow_early_media_fork" => flag!(follow_early_media_fork),
            "follow_redirect_methods" => {
                self.follow_redirect_message = false;
                for m in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    if m.eq_ignore_ascii_case("message") {
                        self.follow_redirect_message = true;
                    } else {
                        return Err(format!("unknown SIP method '{m}'"));
                    }
                }
            }
            "force_avp" => flag!(force_avp),
            "force_rport" => flag!(force_rport),
            "from_domain" => self.from_domain = value.to_string(),
            "from_user" => {
                if let Some(c) = value
                    .chars()
                    .find(|c| !c.is_ascii_alphanumeric() && !"-._~%!$&'()*+,;=:".contains(*c))
                {
                    return Err(format!("invalid character '{c}'"));
                }
                self.from_user = value.to_string();
            }
            "g726_non_standard" => flag!(g726_non_standard),
            "geoloc_incoming_call_profile" => self.geoloc_incoming_call_profile = value.to_string(),
            "geoloc_outgoing_call_profile" => self.geoloc_outgoing_call_profile = value.to_string(),
            "ice_support" => flag!(ice_support),
            "identify_by" => {
                self.identify_by.clear();
                for m in value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    let method = match m.to_ascii_lowercase().as_str() {
                        "username" => IdentifyBy::Username,
                        "auth_username" => IdentifyBy::AuthUsername,
                        "ip" => IdentifyBy::Ip,
                        "header" => IdentifyBy::Header,
                        "request_uri" => IdentifyBy::RequestUri,
                        _ => {
                            self.identify_by.clear();
                            return Err(format!("unknown identification method '{m}'"));
                        }
                    };
                    if !self.identify_by.contains(&method) {
                        self.identify_by.push(method);
                    }
                }
            }
            "ignore_183_without_sdp" => flag!(ignore_183_without_sdp),
            "inband_progress" => flag!(inband_progress),
            "incoming_call_offer_pref" => {
                self.incoming_call_offer_pref = CallOfferPref::parse(value, false)
                    .ok_or("local, local_first, remote or remote_first")?
            }
            "outgoing_call_offer_pref" => {
                self.outgoing_call_offer_pref = CallOfferPref::parse(value, true).ok_or(
                    "local, local_merge, local_first, remote, remote_merge or remote_first",
                )?
            }
            "incoming_mwi_mailbox" => self.incoming_mwi_mailbox = value.to_string(),
            "language" => self.language = value.to_string(),
            "mailboxes" => self.mailboxes = value.to_string(),
            "max_audio_streams" => self.max_audio_streams = uint(value)?,
            "max_video_streams" => self.max_video_streams = uint(value)?,
            "media_address" => {
                // An address is kept in its canonical form, a name as written.
                self.media_address = match value.parse::<std::net::IpAddr>() {
                    Ok(ip) => ip.to_string(),
                    Err(_) => value.to_string(),
                }
            }
            "media_encryption" => {
                self.media_encryption = match value.to_ascii_lowercase().as_str() {
                    "no" => MediaEncryption::No,
                    "sdes" => MediaEncryption::Sdes,
                    "dtls" => {
                        self.dtls.enabled = true;
                        MediaEncryption::Dtls
                    }
                    _ => return Err("no, sdes or dtls".into()),
                }
            }
            "media_encryption_optimistic" => flag!(media_encryption_optimistic),
            "media_use_received_transport" => flag!(media_use_received_transport),
            "message_context" => self.message_context = value.to_string(),
            "moh_passthrough" => flag!(moh_passthrough),
            "moh_suggest" => self.moh_suggest = value.to_string(),
            "mwi_from_user" => self.mwi_from_user = value.to_string(),
            "mwi_subscribe_replaces_unsolicited" => flag!(mwi_subscribe_replaces_unsolicited),
            "named_call_group" => self.named_call_group = NamedGroups::parse(value),
            "named_pickup_group" => self.named_pickup_group = NamedGroups::parse(value),
            "notify_early_inuse_ringing" => flag!(notify_early_inuse_ringing),
            "one_touch_recording" => flag!(one_touch_recording),
            "outbound_proxy" => self.outbound_proxy = value.to_string(),
            "overlap_context" => self.overlap_context = value.to_string(),
            "preferred_codec_only" => flag!(preferred_codec_only),
            "record_off_feature" => self.record_off_feature = value.to_string(),
            "record_on_feature" => self.record_on_feature = value.to_string(),
            "redirect_method" => {
                self.redirect_method = match value.to_ascii_lowercase().as_str() {
                    "user" => "user",
                    "uri_core" => "uri_core",
                    "uri_pjsip" => "uri_pjsip",
                    _ => return Err("user, uri_core or uri_pjsip".into()),
                }
            }
            "refer_blind_progress" => flag!(refer_blind_progress),
            "rewrite_contact" => flag!(rewrite_contact),
            "rpid_immediate" => flag!(rpid_immediate),
            "rtcp_mux" => flag!(rtcp_mux),
            "rtp_engine" => self.rtp_engine = value.to_string(),
            "rtp_ipv6" => flag!(rtp_ipv6),
            "rtp_keepalive" => self.rtp_keepalive = uint(value)?,
            "rtp_port_start" | "rtp_port_end" => {
                let n = uint(value)?;
                if n > 65535 {
                    return Err("a port from 0 to 65535".into());
                }
                if lname == "rtp_port_start" {
                    self.rtp_port_start = n;
                } else {
                    self.rtp_port_end = n;
                }
            }
            "rtp_symmetric" => flag!(rtp_symmetric),
            "rtp_timeout" => self.rtp_timeout = uint(value)?,
            "rtp_timeout_hold" => self.rtp_timeout_hold = uint(value)?,
            "sdp_owner" => self.sdp_owner = value.to_string(),
            "sdp_session" => self.sdp_session = value.to_string(),
            "security_mechanisms" => self.security_mechanisms = value.to_string(),
            "security_negotiation" => {
                self.security_negotiation_mediasec = match value.to_ascii_lowercase().as_str() {
                    "no" => false,
                    "mediasec" => true,
                    _ => return Err("no or mediasec".into()),
                }
            }
            "send_aoc" => flag!(send_aoc),
            "send_connected_line" => flag!(send_connected_line),
            "send_diversion" => flag!(send_diversion),
            "send_history_info" => flag!(send_history_info),
            "send_pai" => flag!(send_pai),
            "send_rpid" => flag!(send_rpid),
            "set_var" => {
                if !value.is_empty() {
                    let (k, v) = value.split_once('=').ok_or("name=value")?;
                    match self.set_var.iter_mut().find(|(n, _)| n == k) {
                        Some(slot) => slot.1 = v.to_string(),
                        None => self.set_var.push((k.to_string(), v.to_string())),
                    }
                }
            }
            "srtp_tag_32" => flag!(srtp_tag_32),
            // Accepted and ignored (Asterisk warns that it is gone).
            "stir_shaken" => {}
            "stir_shaken_profile" => self.stir_shaken_profile = value.to_string(),
            "sub_min_expiry" => self.sub_min_expiry = uint(value)?,
            "subscribe_context" => self.subscribe_context = value.chars().take(79).collect(),
            "suppress_moh_on_sendonly" => flag!(suppress_moh_on_sendonly),
            "suppress_q850_reason_headers" => flag!(suppress_q850_reason_headers),
            "t38_bind_udptl_to_media_address" => flag!(t38_bind_udptl_to_media_address),
            "t38_udptl" => flag!(t38_udptl),
            "t38_udptl_ec" => {
                // Compared exactly, as res_pjsip does.
                self.t38_udptl_ec = match value {
                    "none" => "none",
                    "fec" => "fec",
                    "redundancy" => "redundancy",
                    _ => return Err("none, fec or redundancy".into()),
                }
            }
            "t38_udptl_ipv6" => flag!(t38_udptl_ipv6),
            "t38_udptl_maxdatagram" => self.t38_udptl_maxdatagram = uint(value)?,
            "t38_udptl_nat" => flag!(t38_udptl_nat),
            "tenantid" => self.tenantid = value.to_string(),
            "timers" => {
                self.timers = if b {
                    Timers::Yes
                } else if value.eq_ignore_ascii_case("required") {
                    Timers::Required
                } else if value.eq_ignore_ascii_case("always")
                    || value.eq_ignore_ascii_case("forced")
                {
                    Timers::Always
                } else if is_false(value) {
                    Timers::No
                } else {
                    return Err("yes, no, required or always".into());
                }
            }
            "timers_min_se" => self.timers_min_se = uint(value)?,
            "timers_sess_expires" => self.timers_sess_expires = uint(value)?,
            "tone_zone" => self.tone_zone = value.to_string(),
            "tos_audio" => self.tos_audio = str2tos(value).ok_or("a TOS value")?,
            "tos_video" => self.tos_video = str2tos(value).ok_or("a TOS value")?,
            "transport" => self.transport = value.to_string(),
            "trust_connected_line" => flag!(trust_connected_line),
            "trust_id_inbound" => flag!(trust_id_inbound),
            "trust_id_outbound" => flag!(trust_id_outbound),
            "use_avpf" => flag!(use_avpf),
            "use_ptime" => flag!(use_ptime),
            "user_eq_phone" => flag!(user_eq_phone),
            "voicemail_extension" => self.voicemail_extension = value.to_string(),
            "webrtc" => flag!(webrtc),
            _ => return Err("not an endpoint option".into()),
        }
        Ok(())
    }

    /// What res_pjsip checks and derives once all options are set
    /// (`sip_endpoint_apply_handler`). `Err` refuses the endpoint; the
    /// strings in `Ok` are the warnings it logs.
    pub fn finish(&mut self) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        if self.timers_min_se < 90 {
            return Err("timers_min_se must be 90 or more".into());
        }
        if self.timers_sess_expires < self.timers_min_se {
            return Err("timers_sess_expires must not be below timers_min_se".into());
        }
        if self.sdp_session.trim().is_empty() {
            warnings.push("sdp_session may not be empty; '-' is used".into());
            self.sdp_session = "-".into();
        }
        let owner = self.sdp_owner.trim_start();
        if owner.is_empty() || owner.contains([' ', '\t']) {
            warnings.push("sdp_owner may not be empty or hold blanks; '-' is used".into());
            self.sdp_owner = "-".into();
        }
        if self.dtls.auto_generate_cert && !self.dtls.cert_file.is_empty() {
            return Err("dtls_auto_generate_cert and dtls_cert_file exclude each other".into());
        }
        if self.rtp_port_start != 0 || self.rtp_port_end != 0 {
            if self.rtp_port_start == 0 || self.rtp_port_end == 0 {
                return Err("rtp_port_start and rtp_port_end go together".into());
            }
            if self.rtp_port_start < 1024 || self.rtp_port_end < 1024 {
                return Err("rtp_port_start and rtp_port_end must be at least 1024".into());
            }
            if self.rtp_port_end <= self.rtp_port_start {
                return Err("rtp_port_end must be above rtp_port_start".into());
            }
        }
        if self.preferred_codec_only {
            if self.incoming_call_offer_pref != CallOfferPref::Local {
                return Err(
                    "preferred_codec_only and incoming_call_offer_pref exclude each other".into(),
                );
            }
            self.incoming_call_offer_pref = CallOfferPref::LocalFirst;
        }
        self.rtcp_mux |= self.bundle;
        if self.webrtc {
            self.bundle = true;
            self.rtcp_mux = true;
            self.use_avpf = true;
            self.ice_support = true;
            self.media_use_received_transport = true;
            self.media_encryption = MediaEncryption::Dtls;
            self.dtls.enabled = true;
            self.dtls.setup = "actpass";
            (self.dtls.verify_fingerprint, self.dtls.verify_certificate) = (true, false);
            if self.dtls.rekey != 0 {
                warnings.push("dtls_rekey is not supported with webrtc; disabled".into());
                self.dtls.rekey = 0;
            }
            if self.dtls.cert_file.is_empty() {
                self.dtls.auto_generate_cert = true;
            }
        }
        Ok(warnings)
    }

    /// res_pjsip's last check of an endpoint: the geolocation profiles it
    /// names must exist in res_geolocation (`None`: not loaded). The
    /// error is the line Asterisk logs.
    pub fn check_geolocation(&self, geoloc: Option<&GeolocationConf>) -> Result<(), String> {
        let (incoming, outgoing) = (
            &self.geoloc_incoming_call_profile,
            &self.geoloc_outgoing_call_profile,
        );
        if incoming.is_empty() && outgoing.is_empty() {
            return Ok(());
        }
        let Some(geoloc) = geoloc else {
            return Err(format!(
                "A geoloc incoming and/or outgoing call_profile was specified on endpoint '{}' but res_geolocation is not loaded.",
                self.name
            ));
        };
        for (option, profile) in [
            ("geoloc_incoming_call_profile", incoming),
            ("geoloc_outgoing_call_profile", outgoing),
        ] {
            if !profile.is_empty() && geoloc.profile(profile).is_none() {
                return Err(format!(
                    "{option} '{profile}' on endpoint '{}' doesn't exist",
                    self.name
                ));
            }
        }
        Ok(())
    }

    /// The AOR names of `aors=`, as res_pjsip walks them.
    pub fn aor_names(&self) -> impl Iterator<Item = &str> {
        self.aors
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
    }

    /// The callerid as res_pjsip shows it.
    pub fn callerid_label(&self) -> String {
        callerid::merge(
            self.callerid_name.as_deref(),
            self.callerid_num.as_deref(),
            "<unknown>",
        )
    }

    /// Every option with its shown value, sorted by name (byte order) as
    /// `pjsip show endpoint` lists them. Channel variables (`set_var`)
    /// are listed under their own names; `set_var` itself only when
    /// there are none.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut p = self.option_values();
        if self.set_var.is_empty() {
            p.push(("set_var".into(), String::new()));
        } else {
            p.extend(self.set_var.iter().cloned());
        }
        // Asterisk's list sort is a stable bubble sort on strcmp.
        p.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        p
    }

    /// Every option as AMI lists it (string handlers only, so `set_var`
    /// is one `name=value,...` value), in sorcery's field order: its
    /// field container is a hash, walked in an order fixed by Asterisk
    /// 20.20.1's build, read off the reference
    /// (`golden/asterisk-20.20.1/ami/sip_listings.rx`). Options only
    /// present when set, whose place that capture does not show, follow.
    pub fn params_in_field_order(&self) -> Vec<(String, String)> {
        let set_var: Vec<String> = self
            .set_var
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        self.in_field_order(vec![("set_var".into(), set_var.join(","))])
    }

    /// The object set `ast_sorcery_objectset_create` gives (the list
    /// handler preferred), in field order: as [`Self::params_in_field_order`]
    /// but `set_var` listed as one entry per channel variable under its
    /// own name, or as an empty `set_var` when there are none.
    pub fn objectset(&self) -> Vec<(String, String)> {
        if self.set_var.is_empty() {
            self.in_field_order(vec![("set_var".into(), String::new())])
        } else {
            self.in_field_order(self.set_var.clone())
        }
    }

    /// Every option but `set_var` in sorcery's field order, `set_var`'s
    /// entries in its place.
    fn in_field_order(&self, set_var: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut rest = self.option_values();
        let mut out = Vec::with_capacity(rest.len() + set_var.len());
        let mut set_var = Some(set_var);
        for name in FIELD_ORDER {
            if *name == "set_var" {
                out.extend(set_var.take().unwrap_or_default());
            } else if let Some(i) = rest.iter().position(|(n, _)| n == name) {
                out.push(rest.remove(i));
            }
        }
        out.extend(rest);
        out.extend(set_var.unwrap_or_default());
        out
    }

    /// Every option but `set_var`, unsorted.
    fn option_values(&self) -> Vec<(String, String)> {
        let tf = |b: bool| if b { "true" } else { "false" }.to_string();
        let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
        let s = |v: &str| v.to_string();
        let mut p: Vec<(&'static str, String)> = vec![
            (
                "100rel",
                s(match self.rel100 {
                    Rel100::Yes => "yes",
                    Rel100::PeerSupported => "peer_supported",
                    Rel100::Required => "required",
                    Rel100::No => "no",
                }),
            ),
            (
                "accept_multiple_sdp_answers",
                tf(self.accept_multiple_sdp_answers),
            ),
            ("accountcode", s(&self.accountcode)),
            ("acl", s(self.acl.summary())),
            ("aggregate_mwi", tf(self.aggregate_mwi)),
            ("allow", self.codecs.names()),
            ("allow_overlap", tf(self.allow_overlap)),
            ("allow_subscribe", tf(self.allow_subscribe)),
            ("allow_transfer", tf(self.allow_transfer)),
            (
                "allow_unauthenticated_options",
                tf(self.allow_unauthenticated_options),
            ),
            ("aors", s(&self.aors)),
            ("asymmetric_rtp_codec", tf(self.asymmetric_rtp_codec)),
            ("auth", self.inbound_auths.join(",")),
            (
                "bind_rtp_to_media_address",
                tf(self.bind_rtp_to_media_address),
            ),
            ("bundle", tf(self.bundle)),
            ("call_group", print_group(self.call_group)),
            ("callerid", self.callerid_label()),
            (
                "callerid_privacy",
                s(callerid::presentation_name(self.callerid_privacy)),
            ),
            ("callerid_tag", s(&self.callerid_tag)),
            (
                "codec_prefs_incoming_answer",
                self.codec_prefs_incoming_answer.to_str(),
            ),
            (
                "codec_prefs_incoming_offer",
                self.codec_prefs_incoming_offer.to_str(),
            ),
            (
                "codec_prefs_outgoing_answer",
                self.codec_prefs_outgoing_answer.to_str(),
            ),
            (
                "codec_prefs_outgoing_offer",
                self.codec_prefs_outgoing_offer.to_str(),
            ),
            (
                "connected_line_method",
                s(self.connected_line_method.as_str()),
            ),
            ("contact_acl", s(self.contact_acl.summary())),
            ("context", s(&self.context)),
            ("cos_audio", self.cos_audio.to_string()),
            ("cos_video", self.cos_video.to_string()),
            (
                "device_state_busy_at",
                self.device_state_busy_at.to_string(),
            ),
            ("direct_media", tf(self.direct_media)),
            (
                "direct_media_glare_mitigation",
                s(self.direct_media_glare_mitigation),
            ),
            // res_pjsip shows connected_line_method's value under this name.
            (
                "direct_media_method",
                s(self.connected_line_method.as_str()),
            ),
            (
                "disable_direct_media_on_nat",
                tf(self.disable_direct_media_on_nat),
            ),
            (
                "dtls_auto_generate_cert",
                s(if self.dtls.auto_generate_cert {
                    "Yes"
                } else {
                    "No"
                }),
            ),
            ("dtls_ca_file", s(&self.dtls.ca_file)),
            ("dtls_ca_path", s(&self.dtls.ca_path)),
            ("dtls_cert_file", s(&self.dtls.cert_file)),
            ("dtls_cipher", s(&self.dtls.cipher)),
            ("dtls_fingerprint", s(self.dtls.fingerprint)),
            ("dtls_private_key", s(&self.dtls.private_key)),
            ("dtls_rekey", self.dtls.rekey.to_string()),
            ("dtls_setup", s(self.dtls.setup)),
            ("dtls_verify", s(self.dtls.verify_label())),
            ("dtmf_mode", s(self.dtmf_mode.as_str())),
            ("fax_detect", tf(self.fax_detect)),
            ("fax_detect_timeout", self.fax_detect_timeout.to_string()),
            ("follow_early_media_fork", tf(self.follow_early_media_fork)),
            (
                "follow_redirect_methods",
                s(if self.follow_redirect_message {
                    "message"
                } else {
                    ""
                }),
            ),
            ("force_avp", tf(self.force_avp)),
            ("force_rport", tf(self.force_rport)),
            ("from_domain", s(&self.from_domain)),
            ("from_user", s(&self.from_user)),
            ("g726_non_standard", tf(self.g726_non_standard)),
            (
                "geoloc_incoming_call_profile",
                s(&self.geoloc_incoming_call_profile),
            ),
            (
                "geoloc_outgoing_call_profile",
                s(&self.geoloc_outgoing_call_profile),
            ),
            ("ice_support", tf(self.ice_support)),
            (
                "identify_by",
                self.identify_by
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("ignore_183_without_sdp", tf(self.ignore_183_without_sdp)),
            ("inband_progress", tf(self.inband_progress)),
            (
                "incoming_call_offer_pref",
                s(self.incoming_call_offer_pref.as_str()),
            ),
            ("incoming_mwi_mailbox", s(&self.incoming_mwi_mailbox)),
            ("language", s(&self.language)),
            ("mailboxes", s(&self.mailboxes)),
            ("max_audio_streams", self.max_audio_streams.to_string()),
            ("max_video_streams", self.max_video_streams.to_string()),
            ("media_address", s(&self.media_address)),
            (
                "media_encryption",
                s(match self.media_encryption {
                    MediaEncryption::No => "no",
                    MediaEncryption::Sdes => "sdes",
                    MediaEncryption::Dtls => "dtls",
                }),
            ),
            (
                "media_encryption_optimistic",
                tf(self.media_encryption_optimistic),
            ),
            (
                "media_use_received_transport",
                tf(self.media_use_received_transport),
            ),
            ("message_context", s(&self.message_context)),
            ("moh_passthrough", tf(self.moh_passthrough)),
            ("moh_suggest", s(&self.moh_suggest)),
            ("mwi_from_user", s(&self.mwi_from_user)),
            (
                "mwi_subscribe_replaces_unsolicited",
                yn(self.mwi_subscribe_replaces_unsolicited),
            ),
            ("named_call_group", self.named_call_group.print()),
            ("named_pickup_group", self.named_pickup_group.print()),
            (
                "notify_early_inuse_ringing",
                tf(self.notify_early_inuse_ringing),
            ),
            ("one_touch_recording", tf(self.one_touch_recording)),
            ("outbound_auth", self.outbound_auths.join(",")),
            ("outbound_proxy", s(&self.outbound_proxy)),
            (
                "outgoing_call_offer_pref",
                s(self.outgoing_call_offer_pref.as_str()),
            ),
            ("overlap_context", s(&self.overlap_context)),
            ("pickup_group", print_group(self.pickup_group)),
            ("preferred_codec_only", tf(self.preferred_codec_only)),
            ("record_off_feature", s(&self.record_off_feature)),
            ("record_on_feature", s(&self.record_on_feature)),
            ("redirect_method", s(self.redirect_method)),
            ("refer_blind_progress", tf(self.refer_blind_progress)),
            ("rewrite_contact", tf(self.rewrite_contact)),
            ("rpid_immediate", tf(self.rpid_immediate)),
            ("rtcp_mux", tf(self.rtcp_mux)),
            ("rtp_engine", s(&self.rtp_engine)),
            ("rtp_ipv6", tf(self.rtp_ipv6)),
            ("rtp_keepalive", self.rtp_keepalive.to_string()),
            ("rtp_port_end", self.rtp_port_end.to_string()),
            ("rtp_port_start", self.rtp_port_start.to_string()),
            ("rtp_symmetric", tf(self.rtp_symmetric)),
            ("rtp_timeout", self.rtp_timeout.to_string()),
            ("rtp_timeout_hold", self.rtp_timeout_hold.to_string()),
            ("sdp_owner", s(&self.sdp_owner)),
            ("sdp_session", s(&self.sdp_session)),
            (
                "security_negotiation",
                s(if self.security_negotiation_mediasec {
                    "mediasec"
                } else {
                    "no"
                }),
            ),
            ("send_aoc", tf(self.send_aoc)),
            ("send_connected_line", yn(self.send_connected_line)),
            ("send_diversion", tf(self.send_diversion)),
            ("send_history_info", tf(self.send_history_info)),
            ("send_pai", tf(self.send_pai)),
            ("send_rpid", tf(self.send_rpid)),
            ("srtp_tag_32", tf(self.srtp_tag_32)),
            ("stir_shaken", s("no")),
            ("stir_shaken_profile", s(&self.stir_shaken_profile)),
            ("sub_min_expiry", self.sub_min_expiry.to_string()),
            ("subscribe_context", s(&self.subscribe_context)),
            (
                "suppress_moh_on_sendonly",
                tf(self.suppress_moh_on_sendonly),
            ),
            (
                "suppress_q850_reason_headers",
                tf(self.suppress_q850_reason_headers),
            ),
            (
                "t38_bind_udptl_to_media_address",
                tf(self.t38_bind_udptl_to_media_address),
            ),
            ("t38_udptl", tf(self.t38_udptl)),
            ("t38_udptl_ec", s(self.t38_udptl_ec)),
            ("t38_udptl_ipv6", tf(self.t38_udptl_ipv6)),
            (
                "t38_udptl_maxdatagram",
                self.t38_udptl_maxdatagram.to_string(),
            ),
            ("t38_udptl_nat", tf(self.t38_udptl_nat)),
            ("tenantid", s(&self.tenantid)),
            (
                "timers",
                s(match self.timers {
                    Timers::Always => "always",
                    Timers::Required => "required",
                    Timers::Yes => "yes",
                    Timers::No => "no",
                }),
            ),
            ("timers_min_se", self.timers_min_se.to_string()),
            ("timers_sess_expires", self.timers_sess_expires.to_string()),
            ("tone_zone", s(&self.tone_zone)),
            ("tos_audio", self.tos_audio.to_string()),
            ("tos_video", self.tos_video.to_string()),
            ("transport", s(&self.transport)),
            ("trust_connected_line", yn(self.trust_connected_line)),
            ("trust_id_inbound", tf(self.trust_id_inbound)),
            ("trust_id_outbound", tf(self.trust_id_outbound)),
            ("use_avpf", tf(self.use_avpf)),
            ("use_ptime", tf(self.use_ptime)),
            ("user_eq_phone", tf(self.user_eq_phone)),
            ("voicemail_extension", s(&self.voicemail_extension)),
            ("webrtc", yn(self.webrtc)),
        ];
        if let Some(u) = &self.contact_user {
            p.push(("contact_user", u.clone()));
        }
        if !self.security_mechanisms.is_empty() {
            p.push(("security_mechanisms", self.security_mechanisms.clone()));
        }
        p.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// The endpoint options in the order sorcery's field container yields
/// them (see [`Endpoint::params_in_field_order`]).
const FIELD_ORDER: &[&str] = &[
    "rpid_immediate",
    "webrtc",
    "ignore_183_without_sdp",
    "send_aoc",
    "device_state_busy_at",
    "t38_udptl_maxdatagram",
    "codec_prefs_incoming_answer",
    "security_negotiation",
    "dtls_rekey",
    "rtp_port_end",
    "named_pickup_group",
    "direct_media_method",
    "send_rpid",
    "pickup_group",
    "sdp_session",
    "dtls_verify",
    "message_context",
    "tenantid",
    "mailboxes",
    "record_on_feature",
    "dtls_private_key",
    "dtls_fingerprint",
    "overlap_context",
    "outgoing_call_offer_pref",
    "rtp_port_start",
    "from_domain",
    "timers_sess_expires",
    "named_call_group",
    "dtls_cipher",
    "media_encryption_optimistic",
    "suppress_q850_reason_headers",
    "aors",
    "identify_by",
    "callerid_privacy",
    "mwi_subscribe_replaces_unsolicited",
    "cos_audio",
    "follow_early_media_fork",
    "context",
    "rtp_symmetric",
    "transport",
    "moh_suggest",
    "t38_udptl",
    "fax_detect",
    "t38_bind_udptl_to_media_address",
    "tos_video",
    "srtp_tag_32",
    "refer_blind_progress",
    "max_audio_streams",
    "bundle",
    "use_avpf",
    "call_group",
    "send_connected_line",
    "fax_detect_timeout",
    "sdp_owner",
    "force_rport",
    "callerid_tag",
    "rtp_timeout_hold",
    "suppress_moh_on_sendonly",
    "use_ptime",
    "media_address",
    "voicemail_extension",
    "rtp_timeout",
    "stir_shaken",
    "set_var",
    "contact_acl",
    "preferred_codec_only",
    "geoloc_outgoing_call_profile",
    "force_avp",
    "record_off_feature",
    "from_user",
    "send_diversion",
    "send_history_info",
    "t38_udptl_ipv6",
    "tone_zone",
    "language",
    "allow_subscribe",
    "rtp_ipv6",
    "callerid",
    "moh_passthrough",
    "cos_video",
    "dtls_auto_generate_cert",
    "asymmetric_rtp_codec",
    "geoloc_incoming_call_profile",
    "ice_support",
    "aggregate_mwi",
    "one_touch_recording",
    "mwi_from_user",
    "redirect_method",
    "accountcode",
    "codec_prefs_outgoing_answer",
    "allow",
    "rewrite_contact",
    "user_eq_phone",
    "rtp_engine",
    "follow_redirect_methods",
    "subscribe_context",
    "notify_early_inuse_ringing",
    "incoming_mwi_mailbox",
    "incoming_call_offer_pref",
    "allow_unauthenticated_options",
    "auth",
    "direct_media_glare_mitigation",
    "trust_id_inbound",
    "stir_shaken_profile",
    "bind_rtp_to_media_address",
    "disable_direct_media_on_nat",
    "media_encryption",
    "media_use_received_transport",
    "allow_overlap",
    "dtmf_mode",
    "outbound_auth",
    "tos_audio",
    "dtls_cert_file",
    "dtls_ca_path",
    "dtls_setup",
    "connected_line_method",
    "g726_non_standard",
    "100rel",
    "timers",
    "direct_media",
    "acl",
    "timers_min_se",
    "trust_id_outbound",
    "sub_min_expiry",
    "rtcp_mux",
    "max_video_streams",
    "accept_multiple_sdp_answers",
    "codec_prefs_incoming_offer",
    "codec_prefs_outgoing_offer",
    "trust_connected_line",
    "send_pai",
    "rtp_keepalive",
    "t38_udptl_ec",
    "t38_udptl_nat",
    "allow_transfer",
    "dtls_ca_file",
    "outbound_proxy",
    "inband_progress",
];

/// `ast_sip_auth_vector_init`: names trimmed, empty ones dropped.
fn auth_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// An OPT_UINT_T value: `strtoul` with base detection, nothing after it,
/// no sign.
fn uint(value: &str) -> Result<u32, String> {
    let v = value.trim_start();
    let bad = || format!("'{value}' is not an unsigned number");
    if v.is_empty() || v.starts_with('-') {
        return Err(bad());
    }
    let v = v.strip_prefix('+').unwrap_or(v);
    let (radix, digits) = if let Some(h) = v.strip_prefix("0x").or(v.strip_prefix("0X")) {
        (16, h)
    } else if v.len() > 1 && v.starts_with('0') {
        (8, &v[1..])
    } else {
        (10, v)
    };
    u32::from_str_radix(digits, radix).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_show_as_asterisk() {
        let e = Endpoint::new("x");
        let p = e.params();
        let get = |n: &str| p.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("callerid"), Some("<unknown>"));
        assert_eq!(
            get("codec_prefs_incoming_answer"),
            Some("prefer:pending, operation:intersect, keep:all, transcode:allow")
        );
        assert_eq!(get("identify_by"), Some("username,ip"));
        assert_eq!(get("contact_user"), None);
        assert_eq!(p.len(), 138);
        assert!(p.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn handlers_refuse_bad_values() {
        let mut e = Endpoint::new("x");
        assert!(e.set("timers", "sometimes").is_err());
        assert!(e.set("cos_audio", "-1").is_err());
        assert!(e.set("frobnicate", "1").is_err());
        assert!(e.set("allow", "ulaw,nosuch").is_err());
        e.set("cos_audio", "0x10").unwrap();
        assert_eq!(e.cos_audio, 16);
        e.set("direct_media", "garbage").unwrap();
        assert!(!e.direct_media);
        e.set(
            "codec_prefs_outgoing_offer",
            "prefer: configured, keep: first",
        )
        .unwrap();
        assert_eq!(
            e.codec_prefs_outgoing_offer.to_str(),
            "prefer:configured, operation:union, keep:first, transcode:allow"
        );
        assert!(
            e.set("codec_prefs_incoming_offer", "operation: union")
                .is_err()
        );
        e.set("webrtc", "yes").unwrap();
        e.finish().unwrap();
        assert!(e.rtcp_mux && e.dtls.auto_generate_cert);
        assert_eq!(e.dtls.setup, "actpass");
        let mut e = Endpoint::new("y");
        e.set("timers_min_se", "80").unwrap();
        assert!(e.finish().is_err());
    }
}
