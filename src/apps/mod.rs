//! Dialplan applications: one registry (Asterisk's `pbx_app.c` list), one
//! file per application family as Asterisk's `apps/app_*.c`, and the
//! catalogue of every application Asterisk 20 ships, so `check-config`
//! reports each use as supported or not from the code itself.

pub mod agent_pool;
pub mod attendedtransfer;
pub mod authenticate;
pub mod background;
pub mod blindtransfer;
pub mod bridge;
pub mod bridgeadd;
pub mod bridgewait;
pub mod builtins;
pub mod cdr;
pub mod chanisavail;
pub mod channelredirect;
pub mod chanspy;
pub mod clearhash;
pub mod confbridge;
pub mod controlplayback;
pub mod db;
pub mod dial;
pub mod directory;
pub mod disa;
pub mod dtmfstore;
pub mod dumpchan;
pub mod echo;
pub mod exec;
pub mod followme;
pub mod r#if;
pub mod r#macro;
pub mod messagesend;
pub mod mf;
pub mod milliwatt;
pub mod mixmonitor;
pub mod moh;
pub mod monitor;
pub mod morsecode;
pub mod options;
pub mod originate;
pub mod page;
pub mod park;
pub mod pickup;
pub mod pjsiphangup;
pub mod playback;
pub mod playtones;
pub mod queue;
pub mod read;
pub mod readexten;
pub mod record;
pub mod reload;
pub mod retrydial;
pub mod say;
pub mod saycounted;
pub mod sayunixtime;
pub mod senddtmf;
pub mod sendtext;
pub mod sipheader;
pub mod softhangup;
pub mod stack;
pub mod system;
pub mod touch;
pub mod transfer;
pub mod userevent;
pub mod verbose;
pub mod voicemail;
pub mod voicemail_api;
pub mod voicemail_apps;
pub mod voicemail_main;
pub mod waitforsilence;
pub mod waituntil;
pub mod r#while;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use crate::channels::Channel;
use crate::core::System;
use crate::core::logger::Site;

/// How far Asterism supports an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// Runs as in Asterisk.
    Supported,
    /// An Asterisk application Asterism does not run yet.
    Unsupported,
}

/// Why an application ends the run of priorities (its non-zero return).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppExit {
    /// -1: hang up.
    Hangup,
    /// `AST_PBX_ERROR`: the `e` extension may catch it.
    Error,
    /// `AST_PBX_INCOMPLETE`: wait for more digits.
    Incomplete,
    /// A digit to start a new extension with (Background, WaitExten).
    Digit(char),
    /// MacroExit: leave the running Macro (elsewhere it acts as a hangup).
    MacroExit,
}

pub type AppResult = Result<(), AppExit>;
pub type AppFuture<'a> = Pin<Box<dyn Future<Output = AppResult> + Send + 'a>>;

/// What an application runs with.
pub struct AppCtx {
    pub sys: Arc<System>,
    pub chan: Arc<Channel>,
}

impl AppCtx {
    pub fn warning(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.warning(site, None, msg);
    }

    pub fn notice(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.notice(site, None, msg);
    }

    pub fn error(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.error(site, None, msg);
    }

    pub fn verbose(&self, level: u32, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.verbose(level, site, None, msg);
    }

    pub fn set_var(&self, name: &str, value: Option<&str>) {
        crate::pbx::set_var(&self.sys, Some(&self.chan), name, value);
    }

    pub fn var(&self, name: &str) -> Option<String> {
        crate::pbx::get_var(&self.sys, Some(&self.chan), name)
    }

    /// `ast_goto_if_exists`: to `exten`,1 of `context` when it exists
    /// (matched with the channel's caller id).
    pub fn goto_if_exists(&self, context: &str, exten: &str) -> bool {
        if exten.is_empty() {
            return false;
        }
        let cid = self.chan.lock().caller.id.number().map(str::to_string);
        let exists = crate::pbx::find::exists(
            &self.sys.loaded().dialplan,
            context,
            exten,
            1,
            cid.as_deref(),
        );
        if exists {
            crate::pbx::run::explicit_goto(&self.chan, Some(context), Some(exten), 1);
        }
        exists
    }

    pub fn substitute(&self, text: &str) -> String {
        crate::pbx::subst::substitute(&self.sys, Some(&self.chan), text)
    }
}

/// An application's body: most finish at once; some wait.
#[derive(Clone, Copy)]
pub enum Run {
    Now(fn(&AppCtx, &str) -> AppResult),
    Wait(for<'a> fn(&'a AppCtx, String) -> AppFuture<'a>),
}

/// One dialplan application.
pub struct App {
    pub name: &'static str,
    pub run: Run,
    /// One line, in our own words, for `core show applications`.
    pub synopsis: &'static str,
    /// The call syntax, for `core show application`.
    pub syntax: &'static str,
}

static REGISTRY: LazyLock<Vec<App>> = LazyLock::new(|| {
    let mut all = Vec::new();
    all.extend(crate::agi::apps());
    all.extend(agent_pool::apps());
    all.extend(attendedtransfer::apps());
    all.extend(bridgeadd::apps());
    all.extend(bridgewait::apps());
    all.extend(authenticate::apps());
    all.extend(background::apps());
    all.extend(blindtransfer::apps());
    all.extend(controlplayback::apps());
    all.extend(mf::apps());
    all.extend(senddtmf::apps());
    all.extend(sipheader::apps());
    all.extend(pjsiphangup::apps());
    all.extend(bridge::apps());
    all.extend(builtins::apps());
    all.extend(cdr::apps());
    all.extend(chanisavail::apps());
    all.extend(channelredirect::apps());
    all.extend(originate::apps());
    all.extend(page::apps());
    all.extend(messagesend::apps());
    all.extend(sendtext::apps());
    all.extend(softhangup::apps());
    all.extend(db::apps());
    all.extend(dumpchan::apps());
    all.extend(chanspy::apps());
    all.extend(dial::apps());
    all.extend(directory::apps());
    all.extend(disa::apps());
    all.extend(dtmfstore::apps());
    all.extend(echo::apps());
    all.extend(followme::apps());
    all.extend(playback::apps());
    all.extend(playtones::apps());
    all.extend(queue::apps());
    all.extend(say::apps());
    all.extend(saycounted::apps());
    all.extend(sayunixtime::apps());
    all.extend(clearhash::apps());
    all.extend(crate::funcs::hangupcause::apps());
    all.extend(confbridge::apps());
    all.extend(exec::apps());
    all.extend(r#macro::apps());
    all.extend(read::apps());
    all.extend(readexten::apps());
    all.extend(record::apps());
    all.extend(reload::apps());
    all.extend(retrydial::apps());
    all.extend(milliwatt::apps());
    all.extend(mixmonitor::apps());
    all.extend(monitor::apps());
    all.extend(morsecode::apps());
    all.extend(moh::apps());
    all.extend(park::apps());
    all.extend(pickup::apps());
    all.extend(stack::apps());
    all.extend(system::apps());
    all.extend(transfer::apps());
    all.extend(userevent::apps());
    all.extend(verbose::apps());
    all.extend(voicemail::apps());
    all.extend(voicemail_main::apps());
    all.extend(voicemail_apps::apps());
    all.extend(waitforsilence::apps());
    all.extend(waituntil::apps());
    all.extend(r#while::apps());
    all.extend(r#if::apps());
    all.sort_by_key(|a| a.name.to_ascii_lowercase());
    all
});

pub fn registry() -> &'static [App] {
    &REGISTRY
}

/// Whether the module that registers `app` runs now (app_confbridge's
/// applications exist only with confbridge.conf).
pub fn available(sys: &System, app: &App) -> bool {
    match app.name {
        "PJSIPHangup" => crate::core::modules::running(sys, "chan_pjsip"),
        "AgentLogin" | "AgentRequest" => crate::core::modules::running(sys, "app_agent_pool"),
        "FollowMe" => crate::core::modules::running(sys, "app_followme"),
        "ConfBridge" | "ConfKick" => {
            let loaded = sys.loaded();
            loaded.confbridge.running(&loaded.modules)
        }
        _ => true,
    }
}

/// Finds an application, case-insensitively as Asterisk does.
pub fn find(name: &str) -> Option<&'static App> {
    let key = name.to_ascii_lowercase();
    REGISTRY
        .binary_search_by(|a| a.name.to_ascii_lowercase().cmp(&key))
        .ok()
        .map(|i| &REGISTRY[i])
}

/// Runs an application on a channel (`pbx_exec`): records it as the
/// channel's current application while it runs.
pub async fn exec(ctx: &AppCtx, app: &'static App, data: &str) -> AppResult {
    let saved = {
        let mut d = ctx.chan.lock();
        let saved = (d.appl.take(), d.data.take());
        d.appl = Some(app.name.to_string());
        d.data = Some(data.to_string());
        saved
    };
    // Subscribers see the application start (AMI's Newexten).
    ctx.chan.publish_snapshot();
    // A digit begin Answer put back is read (announced) again first.
    if let Some(digit) = ctx.chan.take_requeued_begin() {
        ctx.chan
            .emit(crate::core::events::EventKind::DtmfBegin { digit, sent: false });
    }
    let res = match app.run {
        Run::Now(f) => f(ctx, data),
        Run::Wait(f) => f(ctx, data.to_string()).await,
    };
    // The application and its data belong to whoever runs the channel:
    // after a masquerade (a pickup) they go back on the channel it left.
    let left = ctx.chan.masq_left();
    let mut d = left.as_ref().unwrap_or(&ctx.chan).lock();
    d.appl = saved.0;
    d.data = saved.1;
    res
}

/// Splits application arguments on `delim` as `AST_STANDARD_APP_ARGS`
/// does: double quotes group and are removed, a backslash keeps the next
/// character, parentheses and square brackets nest so a delimiter inside
/// them does not split.
pub fn split_args(input: &str, delim: char) -> Vec<String> {
    separate_args(input, delim, usize::MAX)
}

/// `__ast_app_separate_args` into at most `max` fields, as Asterisk's
/// `AST_DECLARE_APP_ARGS` with `max` names: the last field is the
/// unprocessed rest (its quotes and backslashes kept).
pub fn separate_args(input: &str, delim: char, max: usize) -> Vec<String> {
    match u8::try_from(delim) {
        Ok(d) if d.is_ascii() => app_separate_args(input, d, true, max),
        _ => vec![input.to_string()],
    }
}

/// `__ast_app_separate_args` with room for `arraylen` arguments: splits on
/// `delim` outside parentheses, brackets and (unless the delimiter is the
/// quote) double quotes; with `remove_chars`, quotes and escaping
/// backslashes are dropped. Once `arraylen - 1` arguments are taken, the
/// last one is the untouched rest. The nesting counts carry over from one
/// argument to the next, as in Asterisk.
pub fn app_separate_args(
    input: &str,
    delim: u8,
    remove_chars: bool,
    arraylen: usize,
) -> Vec<String> {
    let b = input.as_bytes();
    let mut out = Vec::new();
    if arraylen == 0 {
        return out;
    }
    let (mut paren, mut bracket, mut quote) = (0u32, 0u32, false);
    let mut i = 0;
    let mut ended_on_delim = false;
    while i < b.len() && out.len() < arraylen - 1 {
        let mut cur = Vec::new();
        ended_on_delim = false;
        while i < b.len() {
            let c = b[i];
            match c {
                b'(' => {
                    paren += 1;
                    cur.push(c);
                }
                b')' => {
                    paren = paren.saturating_sub(1);
                    cur.push(c);
                }
                b'[' => {
                    bracket += 1;
                    cur.push(c);
                }
                b']' => {
                    bracket = bracket.saturating_sub(1);
                    cur.push(c);
                }
                b'"' if delim != b'"' => {
                    quote = !quote;
                    if !remove_chars {
                        cur.push(c);
                    }
                }
                b'\\' => {
                    if !remove_chars {
                        cur.push(c);
                    }
                    i += 1;
                    match b.get(i) {
                        Some(&n) => cur.push(n),
                        // Asterisk reads past the end here; stop instead.
                        None => break,
                    }
                }
                c if c == delim && paren == 0 && !quote && bracket == 0 => {
                    ended_on_delim = true;
                    i += 1;
                    break;
                }
                _ => cur.push(c),
            }
            i += 1;
        }
        out.push(crate::core::raw::decode_owned(cur));
    }
    if i < b.len() {
        out.push(crate::core::raw::decode_owned(b[i..].to_vec()));
    } else if ended_on_delim {
        out.push(String::new());
    }
    out
}

/// `AST_NONSTANDARD_RAW_ARGS` with `n` fields: splits on `delim` outside
/// quotes, parentheses and brackets, keeping quotes and backslashes; the
/// last field takes the rest.
pub fn split_raw(input: &str, delim: char, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut paren, mut bracket, mut quote, mut escaped) = (0i32, 0i32, false, false);
    let mut start = 0;
    for (i, c) in input.char_indices() {
        if out.len() + 1 >= n {
            break;
        }
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quote = !quote,
            '(' => paren += 1,
            ')' if paren > 0 => paren -= 1,
            '[' => bracket += 1,
            ']' if bracket > 0 => bracket -= 1,
            c if c == delim && !quote && paren == 0 && bracket == 0 => {
                out.push(&input[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&input[start..]);
    out
}

/// Splits `app(args)` or `app,args` into name and arguments (for Exec,
/// ExecIf, TryExec): the arguments run to the last `)`.
pub fn split_app_call(s: &str) -> (&str, &str) {
    match s.find('(') {
        Some(i) => {
            let rest = &s[i + 1..];
            let args = match rest.rfind(')') {
                Some(j) => &rest[..j],
                None => rest,
            };
            (&s[..i], args)
        }
        None => match s.find(',') {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, ""),
        },
    }
}

/// `pbx_checkcondition`: empty is false, a number is its truth, any other
/// string is true.
pub fn check_condition(cond: &str) -> bool {
    let t = cond.trim_start();
    if cond.is_empty() {
        return false;
    }
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return true;
    }
    let v: i64 = digits[..end].parse().unwrap_or(1);
    (if neg { -v } else { v }) != 0
}

/// Applications that exist in Asterisk 20 (as `core show applications`
/// lists them with the usual modules loaded). MailboxExists is not among
/// them: app_voicemail dropped it for the VM_INFO function.
pub const ASTERISK_APPLICATIONS: &[&str] = &[
    "AddQueueMember",
    "ADSIProg",
    "AELSub",
    "AgentLogin",
    "AgentRequest",
    "AGI",
    "AlarmReceiver",
    "AMD",
    "Answer",
    "AttendedTransfer",
    "AudioSocket",
    "Authenticate",
    "BackGround",
    "BackgroundDetect",
    "BlindTransfer",
    "Bridge",
    "BridgeAdd",
    "BridgeWait",
    "Busy",
    "CallCompletionCancel",
    "CallCompletionRequest",
    "CELGenUserEvent",
    "ChangeMonitor",
    "ChanIsAvail",
    "ChannelRedirect",
    "ChanSpy",
    "ClearHash",
    "ConfBridge",
    "ConfKick",
    "Congestion",
    "ContinueWhile",
    "ControlPlayback",
    "DateTime",
    "DBdeltree",
    "DeadAGI",
    "Dial",
    "Dictate",
    "Directory",
    "DISA",
    "DumpChan",
    "EAGI",
    "Echo",
    "Else",
    "ElseIf",
    "EndIf",
    "EndWhile",
    "Exec",
    "ExecIf",
    "ExecIfTime",
    "ExitIf",
    "ExitWhile",
    "ExtenSpy",
    "ExternalIVR",
    "Festival",
    "Flash",
    "FollowMe",
    "ForkCDR",
    "GetCPEID",
    "Gosub",
    "GosubIf",
    "Goto",
    "GotoIf",
    "GotoIfTime",
    "Hangup",
    "HangupCauseClear",
    "IAX2Provision",
    "ICES",
    "If",
    "ImportVar",
    "Incomplete",
    "JabberSend",
    "JabberSendGroup",
    "JabberStatus",
    "JACK",
    "Log",
    "Macro",
    "MacroExclusive",
    "MacroExit",
    "MacroIf",
    "MessageSend",
    "Milliwatt",
    "MinivmAccMess",
    "MinivmDelete",
    "MinivmGreet",
    "MinivmMWI",
    "MinivmNotify",
    "MinivmRecord",
    "MixMonitor",
    "Monitor",
    "Morsecode",
    "MP3Player",
    "MSet",
    "MusicOnHold",
    "NBScat",
    "NoCDR",
    "NoOp",
    "ODBC_Commit",
    "ODBC_Rollback",
    "ODBCFinish",
    "Originate",
    "Page",
    "Park",
    "ParkAndAnnounce",
    "ParkedCall",
    "PauseMonitor",
    "PauseQueueMember",
    "Pickup",
    "PickupChan",
    "PJSIPHangup",
    "Playback",
    "PlayTones",
    "PrivacyManager",
    "Proceeding",
    "Progress",
    "Queue",
    "QueueLog",
    "QueueUpdate",
    "RaiseException",
    "Read",
    "ReadExten",
    "ReceiveFAX",
    "ReceiveMF",
    "ReceiveSF",
    "ReceiveText",
    "Record",
    "Reload",
    "RemoveQueueMember",
    "ResetCDR",
    "RetryDial",
    "Return",
    "Ringing",
    "SayAlpha",
    "SayAlphaCase",
    "SayCountedAdj",
    "SayCountedNoun",
    "SayDigits",
    "SayMoney",
    "SayNumber",
    "SayOrdinal",
    "SayPhonetic",
    "SayUnixTime",
    "SendDTMF",
    "SendFAX",
    "SendImage",
    "SendMF",
    "SendSF",
    "SendText",
    "SendURL",
    "Set",
    "SetAMAFlags",
    "SetCallerPres",
    "SetMusicOnHold",
    "SIPAddHeader",
    "SIPDtmfMode",
    "SIPRemoveHeader",
    "SIPSendCustomINFO",
    "SLAStation",
    "SLATrunk",
    "SMS",
    "SoftHangup",
    "SpeechActivateGrammar",
    "SpeechBackground",
    "SpeechCreate",
    "SpeechDeactivateGrammar",
    "SpeechDestroy",
    "SpeechLoadGrammar",
    "SpeechProcessingSound",
    "SpeechStart",
    "SpeechUnloadGrammar",
    "StackPop",
    "StartMusicOnHold",
    "Stasis",
    "StasisBroadcast",
    "StopMixMonitor",
    "StopMonitor",
    "StopMusicOnHold",
    "StopPlayTones",
    "StoreDTMF",
    "StreamEcho",
    "System",
    "TestClient",
    "TestServer",
    "ToneScan",
    "Transfer",
    "TryExec",
    "TrySystem",
    "UnpauseMonitor",
    "UnpauseQueueMember",
    "UserEvent",
    "Verbose",
    "VMAuthenticate",
    "VMSayName",
    "VoiceMail",
    "VoiceMailMain",
    "VoiceMailPlayMsg",
    "Wait",
    "WaitDigit",
    "WaitExten",
    "WaitForCondition",
    "WaitForNoise",
    "WaitForRing",
    "WaitForSilence",
    "WaitForTone",
    "WaitUntil",
    "While",
    "Zapateller",
];

/// The option letters of an option string, their parenthesised
/// arguments skipped (`ast_app_parse_options`'s letters).
pub fn option_letters(optstr: &str) -> Vec<char> {
    let mut out = Vec::new();
    let mut depth = 0;
    for c in optstr.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 && c.is_ascii_alphabetic() => out.push(c),
            _ => {}
        }
    }
    out
}

/// For check-config: what an application call asks for that Asterism
/// does not do (its options not built), one message each.
pub fn unsupported_uses(app: &str, data: &str) -> Vec<String> {
    if ["AGI", "EAGI", "DeadAGI"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(app))
    {
        return crate::agi::unsupported_uses(app, data);
    }
    // The letters of the option string in argument `at` (of `nargs`)
    // that are among `unsupported`.
    let listed = |nargs: usize, at: usize, unsupported: &str| -> Vec<char> {
        separate_args(data, ',', nargs)
            .get(at)
            .map(|o| {
                option_letters(o)
                    .into_iter()
                    .filter(|c| unsupported.contains(*c))
                    .collect()
            })
            .unwrap_or_default()
    };
    if app.eq_ignore_ascii_case("DumpChan") {
        return vec![dumpchan::UNTRACKED.to_string()];
    }
    let (name, letters) = if app.eq_ignore_ascii_case("Bridge") {
        ("Bridge", listed(2, 1, bridge::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("VoiceMail") {
        ("VoiceMail", listed(2, 1, voicemail::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("VoiceMailMain") {
        ("VoiceMailMain", voicemail_main::unsupported_options(data))
    } else if app.eq_ignore_ascii_case("MixMonitor") {
        ("MixMonitor", listed(3, 1, mixmonitor::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("Monitor") {
        ("Monitor", listed(3, 2, monitor::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("Queue") {
        ("Queue", queue::unsupported_options(data))
    } else if app.eq_ignore_ascii_case("Originate") {
        ("Originate", listed(7, 6, originate::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("FollowMe") {
        ("FollowMe", listed(2, 1, followme::UNSUPPORTED_OPTIONS))
    } else if app.eq_ignore_ascii_case("Dial") {
        ("Dial", listed(4, 2, dial::UNSUPPORTED_OPTIONS))
    } else {
        return Vec::new();
    };
    let mut seen: Vec<char> = Vec::new();
    let mut out: Vec<String> = letters
        .into_iter()
        .filter(|c| {
            let new = !seen.contains(c);
            seen.push(*c);
            new
        })
        .map(|c| format!("{name} option '{c}' is not supported by Asterism"))
        .collect();
    if name == "Queue" {
        out.extend(queue::unsupported_args(data));
    }
    if name == "Dial" {
        out.extend(dial::unsupported_args(data));
    }
    out
}

/// What Asterism knows about an application name (case-insensitive, as
/// Asterisk looks applications up).
pub fn support(name: &str) -> Option<Support> {
    if find(name).is_some() {
        Some(Support::Supported)
    } else if ASTERISK_APPLICATIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(name))
    {
        Some(Support::Unsupported)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_dial_options_are_named() {
        assert_eq!(
            unsupported_uses("Dial", "SIP/100,20,tTP(x)U(sub)"),
            ["Dial option 'P' is not supported by Asterism"]
        );
        assert!(
            unsupported_uses(
                "Dial",
                "SIP/100,20,gb(pre^s^1)B(x)U(sub^a)M(m)L(5000)S(3)D(1)A(beep)cCeFfGIoQ(NONE)a"
            )
            .is_empty()
        );
    }

    #[test]
    fn followme_recording_the_name_is_named() {
        assert_eq!(
            unsupported_uses("FollowMe", "fm1,an"),
            ["FollowMe option 'a' is not supported by Asterism"]
        );
        assert!(unsupported_uses("FollowMe", "fm1,B(x^s^1)b(y^s^1)dIlNns").is_empty());
    }

    #[test]
    fn dumpchan_uses_note_what_is_untracked() {
        assert_eq!(unsupported_uses("dumpchan", "3"), [dumpchan::UNTRACKED]);
    }

    #[test]
    fn argument_splitting() {
        assert_eq!(split_args("a,b,c", ','), ["a", "b", "c"]);
        assert_eq!(split_args("\"a,b\",c", ','), ["a,b", "c"]);
        assert_eq!(split_args("f(x,y),z", ','), ["f(x,y)", "z"]);
        assert_eq!(split_args("a\\,b", ','), ["a,b"]);
        assert_eq!(split_args("a,", ','), ["a", ""]);
        assert!(split_args("", ',').is_empty());
        // Parentheses count inside quotes too, as in Asterisk.
        assert_eq!(split_args("\"(\",b", ','), ["(,b"]);
    }

    #[test]
    fn limited_splitting_leaves_the_rest_raw() {
        assert_eq!(separate_args("fam/sub/key", '/', 2), ["fam", "sub/key"]);
        assert_eq!(separate_args("fam/\"k\"", '/', 2), ["fam", "\"k\""]);
        assert_eq!(separate_args("fam/", '/', 2), ["fam", ""]);
        assert_eq!(separate_args("fam", '/', 2), ["fam"]);
        assert_eq!(separate_args("a,b", ',', 1), ["a,b"]);
        assert!(separate_args("x", ',', 0).is_empty());
        assert_eq!(separate_args("a\\", ',', 3), ["a"]);
    }

    /// check-config names each option of VoiceMail and VoiceMailMain
    /// Asterism does not act on, once per call.
    #[test]
    fn unsupported_voicemail_options_are_named() {
        assert_eq!(
            unsupported_uses("VoiceMailMain", "1000@default,sg(4)g(2)"),
            ["VoiceMailMain option 'g' is not supported by Asterism"]
        );
        assert!(unsupported_uses("voicemailmain", "1000@default,spa(Work)r").is_empty());
        assert!(unsupported_uses("VoiceMailMain", "sp1000").is_empty());
        assert_eq!(
            unsupported_uses("VoiceMail", "1000@default,ud(exit)"),
            ["VoiceMail option 'd' is not supported by Asterism"]
        );
        assert!(unsupported_uses("Playback", "x,g").is_empty());
        assert_eq!(
            unsupported_uses("MixMonitor", "x.wav,bB(10)r(a.wav)m(1000@default)"),
            [
                "MixMonitor option 'B' is not supported by Asterism",
                "MixMonitor option 'm' is not supported by Asterism"
            ]
        );
        assert!(unsupported_uses("MixMonitor", "x.wav,abi(ID)r(c.wav)").is_empty());
        assert_eq!(
            unsupported_uses("Monitor", "wav,x,bmB(5)"),
            ["Monitor option 'B' is not supported by Asterism"]
        );
        assert_eq!(
            unsupported_uses("Bridge", "SIP/1001,pxL(60000)F(a^b^1)"),
            [
                "Bridge option 'p' is not supported by Asterism",
                "Bridge option 'L' is not supported by Asterism"
            ]
        );
        assert!(unsupported_uses("Bridge", "SIP/1001,xhHtT").is_empty());
        assert_eq!(
            unsupported_uses("Originate", "Local/1@x,app,Wait,1,,30,aC(ulaw)b(s^1)"),
            ["Originate option 'C' is not supported by Asterism"]
        );
        assert!(
            unsupported_uses("Originate", "Local/1@x,exten,c,s,1,30,ac(1)n(N)v(A=1)").is_empty()
        );
        assert!(unsupported_uses("Page", "SIP/1000&SIP/1001,dqrA(beep),10").is_empty());
        assert!(unsupported_uses("Page", "SIP/1000,b(s^1)B(s^1)dqsinA(x),5").is_empty());
        assert_eq!(support("Page"), Some(Support::Supported));
        assert_eq!(support("BridgeWait"), Some(Support::Supported));
        assert_eq!(support("StopMixMonitor"), Some(Support::Supported));
        assert_eq!(support("VoiceMailMain"), Some(Support::Supported));
    }

    #[test]
    fn conditions() {
        assert!(!check_condition(""));
        assert!(!check_condition("0"));
        assert!(check_condition("1"));
        assert!(check_condition("abc"));
        assert!(!check_condition(" 0x"));
    }
}
