//! The registry of dialplan applications: every application Asterisk 20
//! ships, and whether Asterism runs it yet. `check-config` reports from
//! this table, so it is the compatibility matrix for applications.

/// How far Asterism supports an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// Runs as in Asterisk.
    Supported,
    /// An Asterisk application Asterism does not run yet.
    Unsupported,
}

/// Applications Asterism runs. Empty until the dialplan engine lands:
/// the engine's registry will feed this list.
const SUPPORTED: &[&str] = &[];

/// Applications that exist in Asterisk 20 (as `core show applications`
/// lists them with the usual modules loaded).
pub const ASTERISK_APPLICATIONS: &[&str] = &[
    "AddQueueMember", "ADSIProg", "AELSub", "AGI", "AlarmReceiver", "AMD", "Answer", "AttendedTransfer",
    "AudioSocket", "Authenticate", "BackGround", "BackgroundDetect", "BlindTransfer", "Bridge", "BridgeAdd",
    "BridgeWait", "Busy", "CallCompletionCancel", "CallCompletionRequest", "CELGenUserEvent", "ChangeMonitor",
    "ChanIsAvail", "ChannelRedirect", "ChanSpy", "ClearHash", "ConfBridge", "ConfKick", "Congestion",
    "ContinueWhile", "ControlPlayback", "DateTime", "DBdeltree", "DeadAGI", "Dial", "Dictate", "Directory",
    "DISA", "DumpChan", "EAGI", "Echo", "EndWhile", "Exec", "ExecIf", "ExecIfTime", "ExitWhile", "ExtenSpy",
    "ExternalIVR", "Festival", "Flash", "FollowMe", "ForkCDR", "GetCPEID", "Gosub", "GosubIf", "Goto",
    "GotoIf", "GotoIfTime", "Hangup", "HangupCauseClear", "IAX2Provision", "ICES", "ImportVar", "Incomplete",
    "JabberSend", "JabberSendGroup", "JabberStatus", "JACK", "Log", "Macro", "MacroExclusive", "MacroExit",
    "MacroIf", "MailboxExists", "MessageSend", "Milliwatt", "MinivmAccMess", "MinivmDelete", "MinivmGreet",
    "MinivmMWI", "MinivmNotify", "MinivmRecord", "MixMonitor", "Monitor", "Morsecode", "MP3Player", "MSet",
    "MusicOnHold", "NBScat", "NoCDR", "NoOp", "ODBC_Commit", "ODBC_Rollback", "ODBCFinish", "Originate",
    "Page", "Park", "ParkAndAnnounce", "ParkedCall", "PauseMonitor", "PauseQueueMember", "Pickup",
    "PickupChan", "Playback", "PlayTones", "PrivacyManager", "Proceeding", "Progress", "Queue", "QueueLog",
    "QueueUpdate", "RaiseException", "Read", "ReadExten", "ReceiveFAX", "ReceiveMF", "ReceiveSF", "ReceiveText",
    "Record", "RemoveQueueMember", "ResetCDR", "RetryDial", "Return", "Ringing", "SayAlpha", "SayAlphaCase",
    "SayCountedAdj", "SayCountedNoun", "SayDigits", "SayMoney", "SayNumber", "SayOrdinal", "SayPhonetic",
    "SayUnixTime", "SendDTMF", "SendFAX", "SendImage", "SendMF", "SendSF", "SendText", "SendURL", "Set",
    "SetAMAFlags", "SetCallerPres", "SetMusicOnHold", "SIPAddHeader", "SIPDtmfMode", "SIPRemoveHeader",
    "SLAStation", "SLATrunk", "SMS", "SoftHangup", "SpeechActivateGrammar", "SpeechBackground",
    "SpeechCreate", "SpeechDeactivateGrammar", "SpeechDestroy", "SpeechLoadGrammar", "SpeechProcessingSound",
    "SpeechStart", "SpeechUnloadGrammar", "StackPop", "StartMusicOnHold", "Stasis", "StopMixMonitor",
    "StopMonitor", "StopMusicOnHold", "StopPlayTones", "StoreDTMF", "StreamEcho", "System", "TestClient",
    "TestServer", "Transfer", "TryExec", "TrySystem", "UnpauseMonitor", "UnpauseQueueMember", "UserEvent",
    "Verbose", "VMAuthenticate", "VMSayName", "VoiceMail", "VoiceMailMain", "VoiceMailPlayMsg", "Wait",
    "WaitDigit", "WaitExten", "WaitForCondition", "WaitForNoise", "WaitForRing", "WaitForSilence",
    "WaitForTone", "WaitUntil", "While", "Zapateller",
];

/// What Asterism knows about an application name (case-insensitive, as
/// Asterisk looks applications up).
pub fn support(name: &str) -> Option<Support> {
    if SUPPORTED.iter().any(|a| a.eq_ignore_ascii_case(name)) {
        Some(Support::Supported)
    } else if ASTERISK_APPLICATIONS.iter().any(|a| a.eq_ignore_ascii_case(name)) {
        Some(Support::Unsupported)
    } else {
        None
    }
}
