//! `sip.conf` (chan_sip): `[general]` and the peers/users/friends, with
//! chan_sip's defaults as Asterisk 20 applies them (`reload_config`,
//! `build_peer`).

use std::net::IpAddr;

use super::{View, bad_value, check_known};
use crate::config::{Category, Config, Diagnostic, Severity, Variable, is_false, is_true};
use crate::core::devicestate::DeviceState;

/// Codecs chan_sip allows when `[general]` says nothing (`ulaw alaw gsm h263`).
const DEFAULT_CODECS: &[&str] = &["ulaw", "alaw", "gsm", "h263"];

/// Codec names Asterisk 20 knows for `allow=`/`disallow=`.
const KNOWN_CODECS: &[&str] = &[
    "ulaw", "alaw", "gsm", "g723", "g726", "g726aal2", "adpcm", "slin", "slin12", "slin16",
    "slin24", "slin32", "slin44", "slin48", "slin96", "slin192", "lpc10", "g729", "speex",
    "speex16", "speex32", "ilbc", "g722", "siren7", "siren14", "testlaw", "g719", "opus", "silk",
    "codec2", "h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9", "red", "t140", "t38",
    "jpeg", "png",
];

/// Options chan_sip reads in `[general]`; most are only stored.
const GENERAL_OPTIONS: &[&str] = &[
    "context",
    "allowguest",
    "alwaysauthreject",
    "bindaddr",
    "bindport",
    "udpbindaddr",
    "tcpenable",
    "tcpbindaddr",
    "tlsenable",
    "tlsbindaddr",
    "transport",
    "srvlookup",
    "disallow",
    "allow",
    "qualify",
    "rtptimeout",
    "rtpholdtimeout",
    "rtpkeepalive",
    "directmedia",
    "canreinvite",
    "nat",
    "language",
    "useragent",
    "sdpsession",
    "sdpowner",
    "realm",
    "domain",
    "externip",
    "externaddr",
    "externhost",
    "localnet",
    "dtmfmode",
    "videosupport",
    "textsupport",
    "maxexpiry",
    "minexpiry",
    "defaultexpiry",
    "registertimeout",
    "registerattempts",
    "callerid",
    "fromdomain",
    "mohinterpret",
    "mohsuggest",
    "parkinglot",
    "allowoverlap",
    "allowsubscribe",
    "subscribecontext",
    "notifyringing",
    "notifyhold",
    "callcounter",
    "t1min",
    "timert1",
    "timerb",
    "qualifyfreq",
    "keepalive",
    "session-timers",
    "session-expires",
    "session-minse",
    "session-refresher",
    "trustrpid",
    "sendrpid",
    "progressinband",
    "promiscredir",
    "usereqphone",
    "tos_sip",
    "tos_audio",
    "tos_video",
    "tos_text",
    "cos_sip",
    "cos_audio",
    "cos_video",
    "cos_text",
    "jbenable",
    "jbforce",
    "jbmaxsize",
    "jbresyncthreshold",
    "jbimpl",
    "jblog",
    "autocreatepeer",
    "match_auth_username",
    "accountcode",
    "amaflags",
    "vmexten",
    "maxcallbitrate",
    "insecure",
    "allowtransfer",
    "rtpengine",
    "relaxdtmf",
    "compactheaders",
    "pedantic",
    "recordhistory",
    "dumphistory",
    "authfailureevents",
    "regcontext",
    "regextenonqualify",
    "legacy_useroption_parsing",
    "send_diversion",
    "t38pt_udptl",
    "faxdetect",
    "icesupport",
    "encryption",
    "avpf",
    "force_avp",
    "rtcp_mux",
    "directrtpsetup",
    "ignoresdpversion",
    "preferred_codec_only",
    "autoframing",
    "callevents",
    "contactpermit",
    "contactdeny",
    "contactacl",
    "storesipcui",
    "websocket_enabled",
    "maxforwards",
    "buggymwi",
    "shrinkcallerid",
    "allowexternaldomains",
    "unsolicited_mailbox",
    "outboundproxy",
    "mwi_from",
    "record_on_feature",
    "record_off_feature",
];

/// Options `build_peer` reads for a peer/user/friend.
const PEER_OPTIONS: &[&str] = &[
    "type",
    "host",
    "port",
    "secret",
    "md5secret",
    "remotesecret",
    "context",
    "subscribecontext",
    "description",
    "defaultuser",
    "username",
    "fromuser",
    "fromdomain",
    "callerid",
    "fullname",
    "cid_number",
    "mailbox",
    "vmexten",
    "permit",
    "deny",
    "acl",
    "contactpermit",
    "contactdeny",
    "contactacl",
    "directmediapermit",
    "directmediadeny",
    "directmediaacl",
    "disallow",
    "allow",
    "nat",
    "qualify",
    "qualifyfreq",
    "keepalive",
    "language",
    "accountcode",
    "amaflags",
    "call-limit",
    "busylevel",
    "directmedia",
    "canreinvite",
    "dtmfmode",
    "transport",
    "mohinterpret",
    "mohsuggest",
    "parkinglot",
    "insecure",
    "trustrpid",
    "sendrpid",
    "videosupport",
    "textsupport",
    "defaultip",
    "regexten",
    "callgroup",
    "pickupgroup",
    "namedcallgroup",
    "namedpickupgroup",
    "setvar",
    "maxcallbitrate",
    "allowtransfer",
    "autoframing",
    "t38pt_udptl",
    "session-timers",
    "session-expires",
    "session-minse",
    "session-refresher",
    "timert1",
    "timerb",
    "rtptimeout",
    "rtpholdtimeout",
    "rtpkeepalive",
    "encryption",
    "avpf",
    "force_avp",
    "icesupport",
    "rtcp_mux",
    "outboundproxy",
    "progressinband",
    "promiscredir",
    "usereqphone",
    "allowsubscribe",
    "allowoverlap",
    "callcounter",
    "maxforwards",
    "tonezone",
    "callingpres",
    "rtpengine",
    "faxdetect",
    "ignoresdpversion",
    "use_q850_reason",
    "trust_id_outbound",
    "path",
    "supportpath",
    "auth",
    "outofcall_message_context",
    "unsolicited_mailbox",
    "record_on_feature",
    "record_off_feature",
    "preferred_codec_only",
    "dtlsenable",
    "dtlsverify",
    "dtlscertfile",
    "dtlsprivatekey",
    "dtlssetup",
    "dtlsfingerprint",
    "sdpsession",
    "sdpowner",
];

/// `nat=` as chan_sip keeps it: two independent settings, each of which
/// may be decided per call ("auto").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Applies a `nat=` value (a comma list), as `handle_common_options`.
    fn apply(&mut self, value: &str) -> bool {
        let mut ok = true;
        let mut cleared = false;
        for word in value.split(',').map(str::trim) {
            if !cleared {
                *self = Nat {
                    force_rport: false,
                    auto_force_rport: false,
                    comedia: false,
                    auto_comedia: false,
                };
                cleared = true;
            }
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

/// `type=` of a sip.conf section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// `[general]`, with chan_sip's defaults.
#[derive(Debug, Clone)]
pub struct SipGeneral {
    pub context: String,
    pub language: String,
    pub bindport: u16,
    pub nat: Nat,
    /// `qualify=`: 0 when off, else the max round trip in ms.
    pub qualify_ms: i32,
    pub qualifyfreq_ms: i32,
    pub codecs: Vec<String>,
    pub directmedia: bool,
    pub dtmfmode: String,
    pub vmexten: String,
    pub mohsuggest: String,
    pub parkinglot: String,
    pub allowguest: bool,
    pub alwaysauthreject: bool,
    pub timer_t1: i32,
    pub maxforwards: i32,
    pub videosupport: bool,
    pub textsupport: bool,
    pub trustrpid: bool,
    pub sendrpid: bool,
    pub allowsubscribe: bool,
    pub allowoverlap: bool,
    pub promiscredir: bool,
    pub usereqphone: bool,
    pub rtpengine: String,
    pub regcontext: String,
}

impl Default for SipGeneral {
    fn default() -> Self {
        SipGeneral {
            context: "public".into(),
            language: String::new(),
            bindport: 5060,
            nat: Nat::default(),
            qualify_ms: 0,
            qualifyfreq_ms: 60_000,
            codecs: DEFAULT_CODECS.iter().map(|s| s.to_string()).collect(),
            directmedia: true,
            dtmfmode: "rfc2833".into(),
            vmexten: "asterisk".into(),
            mohsuggest: String::new(),
            parkinglot: String::new(),
            allowguest: true,
            alwaysauthreject: true,
            timer_t1: 500,
            maxforwards: 70,
            videosupport: false,
            textsupport: false,
            trustrpid: false,
            sendrpid: false,
            allowsubscribe: true,
            allowoverlap: true,
            promiscredir: false,
            usereqphone: false,
            rtpengine: "asterisk".into(),
            regcontext: String::new(),
        }
    }
}

/// One peer, user or friend.
#[derive(Debug, Clone)]
pub struct SipPeer {
    pub name: String,
    pub kind: PeerType,
    pub host_dynamic: bool,
    /// The static address (`host=` an IP literal), if any.
    pub addr: Option<IpAddr>,
    /// `host=` when it is a name Asterisk would resolve by DNS.
    pub host_name: Option<String>,
    pub port: u16,
    pub defaultip: Option<IpAddr>,
    pub secret: String,
    pub md5secret: String,
    pub remotesecret: String,
    pub context: String,
    pub subscribecontext: String,
    pub description: String,
    pub username: String,
    pub fromuser: String,
    pub fromdomain: String,
    pub cid_name: String,
    pub cid_num: String,
    pub mailboxes: Vec<String>,
    pub vmexten: String,
    pub acl: bool,
    pub contactacl: bool,
    pub directmediaacl: bool,
    pub codecs: Vec<String>,
    pub nat: Nat,
    pub qualify_ms: i32,
    pub qualifyfreq_ms: i32,
    pub keepalive: i32,
    pub language: String,
    pub accountcode: String,
    pub call_limit: i32,
    pub busy_level: i32,
    pub directmedia: bool,
    pub dtmfmode: String,
    pub transport: String,
    pub mohsuggest: String,
    pub parkinglot: String,
    pub tonezone: String,
    pub timer_t1: i32,
    pub timer_b: i32,
    pub maxforwards: i32,
    pub videosupport: bool,
    pub textsupport: bool,
    pub trustrpid: bool,
    pub sendrpid: bool,
    pub allowsubscribe: bool,
    pub allowoverlap: bool,
    pub promiscredir: bool,
    pub usereqphone: bool,
    pub rtpengine: String,
    pub regexten: String,
}

#[derive(Debug, Clone, Default)]
pub struct SipConf {
    pub general: SipGeneral,
    /// In file order.
    pub peers: Vec<SipPeer>,
}

fn parse_bool(diags: &mut Vec<Diagnostic>, v: &Variable, dflt: bool) -> bool {
    if is_true(&v.value) {
        true
    } else if is_false(&v.value) {
        false
    } else {
        bad_value(diags, v, "yes or no");
        dflt
    }
}

fn parse_int(diags: &mut Vec<Diagnostic>, v: &Variable, dflt: i32) -> i32 {
    match v.value.trim().parse::<i32>() {
        Ok(n) => n,
        Err(_) => {
            bad_value(diags, v, "an integer");
            dflt
        }
    }
}

/// `qualify=`: yes → 2000 ms, no → off, a number of ms.
fn parse_qualify(diags: &mut Vec<Diagnostic>, v: &Variable) -> i32 {
    if is_true(&v.value) {
        2000
    } else if is_false(&v.value) {
        0
    } else {
        match v.value.trim().parse::<i32>() {
            Ok(n) if n >= 0 => n,
            _ => {
                bad_value(diags, v, "yes, no or milliseconds");
                0
            }
        }
    }
}

/// Applies `allow=`/`disallow=` in order to a codec list (the order of
/// `allow` lines is the preference order).
fn apply_codecs(diags: &mut Vec<Diagnostic>, codecs: &mut Vec<String>, v: &Variable, allow: bool) {
    for name in v
        .value
        .split([',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let lname = name.to_ascii_lowercase();
        if lname == "all" {
            codecs.clear();
            if allow {
                codecs.extend(KNOWN_CODECS.iter().map(|s| s.to_string()));
            }
        } else if KNOWN_CODECS.contains(&lname.as_str()) {
            codecs.retain(|c| *c != lname);
            if allow {
                codecs.push(lname);
            }
        } else {
            bad_value(diags, v, "a codec name");
        }
    }
}

/// Splits `"Name" <number>` as `ast_callerid_split` does for the usual forms.
pub fn split_callerid(value: &str) -> (String, String) {
    let v = value.trim();
    if let (Some(lt), Some(gt)) = (v.find('<'), v.rfind('>'))
        && lt < gt
    {
        let name = v[..lt].trim().trim_matches('"').trim().to_string();
        return (name, v[lt + 1..gt].trim().to_string());
    }
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_digit() || "+*#-() ".contains(c))
    {
        (String::new(), v.to_string())
    } else {
        (v.trim_matches('"').to_string(), String::new())
    }
}

fn parse_general(cat: &Category, diags: &mut Vec<Diagnostic>) -> SipGeneral {
    check_known(diags, cat, GENERAL_OPTIONS);
    let mut g = SipGeneral::default();
    for v in &cat.variables {
        match v.name.to_ascii_lowercase().as_str() {
            "context" => g.context = v.value.clone(),
            "language" => g.language = v.value.clone(),
            "bindport" => match v.value.trim().parse::<u16>() {
                Ok(p) => g.bindport = p,
                Err(_) => bad_value(diags, v, "a port number"),
            },
            "nat" => {
                if !g.nat.apply(&v.value) {
                    bad_value(
                        diags,
                        v,
                        "yes, no, force_rport, comedia, auto_force_rport or auto_comedia",
                    );
                }
            }
            "qualify" => g.qualify_ms = parse_qualify(diags, v),
            "qualifyfreq" => g.qualifyfreq_ms = parse_int(diags, v, 60) * 1000,
            "allow" | "disallow" => {
                let allow = v.name.eq_ignore_ascii_case("allow");
                apply_codecs(diags, &mut g.codecs, v, allow);
            }
            "directmedia" | "canreinvite" => g.directmedia = !is_false(&v.value),
            "dtmfmode" => g.dtmfmode = v.value.to_ascii_lowercase(),
            "vmexten" => g.vmexten = v.value.clone(),
            "mohsuggest" => g.mohsuggest = v.value.clone(),
            "parkinglot" => g.parkinglot = v.value.clone(),
            "allowguest" => g.allowguest = parse_bool(diags, v, true),
            "alwaysauthreject" => g.alwaysauthreject = parse_bool(diags, v, true),
            "timert1" => g.timer_t1 = parse_int(diags, v, 500),
            "maxforwards" => g.maxforwards = parse_int(diags, v, 70),
            "videosupport" => g.videosupport = is_true(&v.value),
            "textsupport" => g.textsupport = is_true(&v.value),
            "trustrpid" => g.trustrpid = is_true(&v.value),
            "sendrpid" => g.sendrpid = is_true(&v.value) || v.value.eq_ignore_ascii_case("pai"),
            "allowsubscribe" => g.allowsubscribe = !is_false(&v.value),
            "allowoverlap" => g.allowoverlap = !is_false(&v.value),
            "promiscredir" => g.promiscredir = is_true(&v.value),
            "usereqphone" => g.usereqphone = is_true(&v.value),
            "rtpengine" => g.rtpengine = v.value.clone(),
            "regcontext" => g.regcontext = v.value.clone(),
            _ => {}
        }
    }
    g
}

fn parse_peer(
    cat: &Category,
    kind: PeerType,
    g: &SipGeneral,
    diags: &mut Vec<Diagnostic>,
) -> SipPeer {
    check_known(diags, cat, PEER_OPTIONS);
    let mut p = SipPeer {
        name: cat.name.clone(),
        kind,
        host_dynamic: false,
        addr: None,
        host_name: None,
        port: g.bindport,
        defaultip: None,
        secret: String::new(),
        md5secret: String::new(),
        remotesecret: String::new(),
        context: g.context.clone(),
        subscribecontext: String::new(),
        description: String::new(),
        username: String::new(),
        fromuser: String::new(),
        fromdomain: String::new(),
        cid_name: String::new(),
        cid_num: String::new(),
        mailboxes: Vec::new(),
        vmexten: g.vmexten.clone(),
        acl: false,
        contactacl: false,
        directmediaacl: false,
        codecs: g.codecs.clone(),
        nat: g.nat,
        qualify_ms: g.qualify_ms,
        qualifyfreq_ms: g.qualifyfreq_ms,
        keepalive: 0,
        language: g.language.clone(),
        accountcode: String::new(),
        call_limit: 0,
        busy_level: 0,
        directmedia: g.directmedia,
        dtmfmode: g.dtmfmode.clone(),
        transport: String::new(),
        mohsuggest: g.mohsuggest.clone(),
        parkinglot: g.parkinglot.clone(),
        tonezone: String::new(),
        timer_t1: g.timer_t1,
        timer_b: 64 * g.timer_t1,
        maxforwards: g.maxforwards,
        videosupport: g.videosupport,
        textsupport: g.textsupport,
        trustrpid: g.trustrpid,
        sendrpid: g.sendrpid,
        allowsubscribe: g.allowsubscribe,
        allowoverlap: g.allowoverlap,
        promiscredir: g.promiscredir,
        usereqphone: g.usereqphone,
        rtpengine: g.rtpengine.clone(),
        regexten: String::new(),
    };
    let mut port_set = false;
    let mut timer_b_set = false;
    for v in &cat.variables {
        let val = v.value.trim();
        match v.name.to_ascii_lowercase().as_str() {
            "host" => {
                p.addr = None;
                p.host_name = None;
                p.host_dynamic = val.eq_ignore_ascii_case("dynamic");
                if !p.host_dynamic {
                    match val
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<IpAddr>()
                    {
                        Ok(ip) => p.addr = Some(ip),
                        Err(_) => p.host_name = Some(val.to_string()),
                    }
                }
            }
            "port" => match val.parse::<u16>() {
                Ok(n) => {
                    p.port = n;
                    port_set = true;
                }
                Err(_) => bad_value(diags, v, "a port number"),
            },
            "defaultip" => match val.parse::<IpAddr>() {
                Ok(ip) => p.defaultip = Some(ip),
                Err(_) => bad_value(diags, v, "an IP address"),
            },
            "secret" => p.secret = v.value.clone(),
            "md5secret" => p.md5secret = v.value.clone(),
            "remotesecret" => p.remotesecret = v.value.clone(),
            "context" => p.context = v.value.clone(),
            "subscribecontext" => p.subscribecontext = v.value.clone(),
            "description" => p.description = v.value.clone(),
            "defaultuser" | "username" => p.username = v.value.clone(),
            "fromuser" => p.fromuser = v.value.clone(),
            "fromdomain" => p.fromdomain = v.value.clone(),
            "callerid" => (p.cid_name, p.cid_num) = split_callerid(&v.value),
            "fullname" => p.cid_name = v.value.clone(),
            "cid_number" => p.cid_num = v.value.clone(),
            "mailbox" => p.mailboxes.extend(
                v.value
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string),
            ),
            "vmexten" => p.vmexten = v.value.clone(),
            "permit" | "deny" | "acl" => p.acl = true,
            "contactpermit" | "contactdeny" | "contactacl" => p.contactacl = true,
            "directmediapermit" | "directmediadeny" | "directmediaacl" => p.directmediaacl = true,
            "allow" => apply_codecs(diags, &mut p.codecs, v, true),
            "disallow" => apply_codecs(diags, &mut p.codecs, v, false),
            "nat" => {
                if !p.nat.apply(val) {
                    bad_value(
                        diags,
                        v,
                        "yes, no, force_rport, comedia, auto_force_rport or auto_comedia",
                    );
                }
            }
            "qualify" => p.qualify_ms = parse_qualify(diags, v),
            "qualifyfreq" => p.qualifyfreq_ms = parse_int(diags, v, 60) * 1000,
            "keepalive" => p.keepalive = parse_int(diags, v, 0),
            "language" => p.language = v.value.clone(),
            "accountcode" => p.accountcode = v.value.clone(),
            "call-limit" => p.call_limit = parse_int(diags, v, 0),
            "busylevel" => p.busy_level = parse_int(diags, v, 0),
            "directmedia" | "canreinvite" => p.directmedia = !is_false(val),
            "dtmfmode" => p.dtmfmode = val.to_ascii_lowercase(),
            "transport" => p.transport = val.to_ascii_lowercase(),
            "mohsuggest" => p.mohsuggest = v.value.clone(),
            "parkinglot" => p.parkinglot = v.value.clone(),
            "tonezone" => p.tonezone = v.value.clone(),
            "timert1" => p.timer_t1 = parse_int(diags, v, 500),
            "timerb" => {
                p.timer_b = parse_int(diags, v, 64 * p.timer_t1);
                timer_b_set = true;
            }
            "maxforwards" => p.maxforwards = parse_int(diags, v, 70),
            "videosupport" => p.videosupport = is_true(val),
            "textsupport" => p.textsupport = is_true(val),
            "trustrpid" => p.trustrpid = is_true(val),
            "sendrpid" => p.sendrpid = is_true(val) || val.eq_ignore_ascii_case("pai"),
            "allowsubscribe" => p.allowsubscribe = !is_false(val),
            "allowoverlap" => p.allowoverlap = !is_false(val),
            "promiscredir" => p.promiscredir = is_true(val),
            "usereqphone" => p.usereqphone = is_true(val),
            "rtpengine" => p.rtpengine = v.value.clone(),
            "regexten" => p.regexten = v.value.clone(),
            _ => {}
        }
    }
    if !timer_b_set {
        p.timer_b = 64 * p.timer_t1;
    }
    // A dynamic peer has no address until it registers: port 0.
    if p.host_dynamic && !port_set {
        p.port = 0;
    }
    p
}

impl View for SipConf {
    const FILE: &'static str = "sip.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let general = cfg
            .section("general")
            .map(|c| parse_general(c, diags))
            .unwrap_or_default();
        let mut peers: Vec<SipPeer> = Vec::new();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                continue;
            }
            if cat.name.eq_ignore_ascii_case("authentication") {
                check_known(diags, cat, &["auth"]);
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
                    diags.push(Diagnostic {
                        severity: Severity::Warning,
                        file: cat.origin.file.to_path_buf(),
                        line: cat.origin.line,
                        column: 1,
                        message: format!("section [{}] lacks type= and is ignored", cat.name),
                    });
                    continue;
                }
            };
            let peer = parse_peer(cat, kind, &general, diags);
            // A later section of the same name replaces the earlier one.
            peers.retain(|p| p.name != peer.name);
            peers.push(peer);
        }
        SipConf { general, peers }
    }
}

impl SipConf {
    /// The peer (or friend) called `name`, as `sip_find_peer` finds it.
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
            Some(p) if p.addr.is_none() && p.host_name.is_none() => DeviceState::Unavailable,
            Some(_) => DeviceState::NotInUse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;
    use std::path::Path;
    use std::sync::Arc;

    fn cat(name: &str, vars: &[(&str, &str)]) -> Category {
        let origin = Origin {
            file: Arc::from(Path::new("sip.conf")),
            line: 1,
        };
        Category {
            name: name.into(),
            template: false,
            inherits: Vec::new(),
            variables: vars
                .iter()
                .map(|(n, v)| Variable {
                    name: n.to_string(),
                    value: v.to_string(),
                    object: false,
                    inherited: false,
                    origin: origin.clone(),
                })
                .collect(),
            origin,
        }
    }

    fn conf(cats: Vec<Category>) -> (SipConf, Vec<Diagnostic>) {
        let cfg = Config {
            categories: cats,
            ..Default::default()
        };
        let mut d = Vec::new();
        (SipConf::from_config(&cfg, &mut d), d)
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
            cat(
                "general",
                &[
                    ("context", "internal"),
                    ("disallow", "all"),
                    ("allow", "ulaw"),
                    ("allow", "alaw"),
                ],
            ),
            cat(
                "1000",
                &[
                    ("type", "friend"),
                    ("host", "127.0.0.1"),
                    ("port", "5071"),
                    ("permit", "127.0.0.1"),
                ],
            ),
            cat(
                "3000",
                &[
                    ("type", "peer"),
                    ("host", "dynamic"),
                    ("secret", "x"),
                    ("mailbox", "3000@default"),
                ],
            ),
            cat("u", &[("type", "user"), ("bogus", "1")]),
            cat("notype", &[("host", "dynamic")]),
        ]);
        assert_eq!(c.peers.len(), 3);
        let p = c.peer("1000").expect("1000");
        assert_eq!(
            (p.port, p.acl, p.context.as_str()),
            (5071, true, "internal")
        );
        assert_eq!(p.codecs, ["ulaw", "alaw"]);
        let p = c.peer("3000").expect("3000");
        assert_eq!(
            (p.host_dynamic, p.port, p.mailboxes.clone()),
            (true, 0, vec!["3000@default".to_string()])
        );
        assert!(c.peer("u").is_none());
        assert_eq!(c.device_state("1000"), DeviceState::NotInUse);
        assert_eq!(c.device_state("3000"), DeviceState::Unavailable);
        assert_eq!(c.device_state("nope"), DeviceState::Invalid);
        assert!(d.iter().any(|d| d.message.contains("'bogus'")));
        assert!(d.iter().any(|d| d.message.contains("lacks type")));
    }

    #[test]
    fn callerid_split() {
        for (v, name, num) in [
            ("\"Bob\" <1000>", "Bob", "1000"),
            ("Bob <1000>", "Bob", "1000"),
            ("1000", "", "1000"),
            ("Bob", "Bob", ""),
        ] {
            assert_eq!(
                split_callerid(v),
                (name.to_string(), num.to_string()),
                "{v}"
            );
        }
    }
}
