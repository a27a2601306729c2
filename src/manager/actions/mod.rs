//! The AMI actions: one table (Asterisk's registered `manager_action`
//! list, kept in name order as `ast_manager_register_struct` inserts
//! them), and `process_message`'s checks before an action runs.

mod agents;
mod agi;
pub(crate) mod bridge;
mod channel;
mod command;
mod confbridge;
mod config;
/// `ast_config_text_file_save2`'s rendering, for modules that rewrite their own files.
pub(crate) use config::render as render_config;
mod core;
mod db;
mod events;
mod fax;
mod login;
mod message;
mod mixmonitor;
mod module;
mod monitor;
mod mutestream;
mod originate;
mod parking;
mod pbx;
mod pjsip;
pub(crate) mod pjsip_notify;
mod presencestate;
mod queue;
mod sip;
mod transfer;
mod vars;
mod voicemail;

use std::future::Future;
use std::pin::Pin;

use super::class::*;
use super::message::{Message, Reply};
use super::security::Kind;
use super::session::{Flow, Session};

pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Flow> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a mut Session, &'a Message) -> BoxFuture<'a>;

pub struct Action {
    pub name: &'static str,
    /// The write classes a user needs (0: anyone logged in).
    pub authority: u32,
    /// One line on what it does, for ListCommands (our own words).
    pub synopsis: &'static str,
    pub handler: Handler,
    /// The module that registers it, when not the core: the action exists
    /// only while that module runs.
    pub module: Option<&'static str>,
}

impl Action {
    /// Whether the action is registered now (its module is running).
    pub fn available(&self, sys: &crate::core::System) -> bool {
        self.module
            .is_none_or(|m| crate::core::modules::running(sys, m))
    }
}

/// A reply that needs no waiting.
pub fn now<'a>(flow: Flow) -> BoxFuture<'a> {
    Box::pin(std::future::ready(flow))
}

macro_rules! action {
    ($name:literal, $auth:expr, $syn:literal, $h:path) => {
        Action {
            name: $name,
            authority: $auth,
            synopsis: $syn,
            handler: $h,
            module: None,
        }
    };
    ($name:literal, $auth:expr, $syn:literal, $h:path, $module:literal) => {
        Action {
            name: $name,
            authority: $auth,
            synopsis: $syn,
            handler: $h,
            module: Some($module),
        }
    };
}

/// Every action, sorted by name without case.
pub static ACTIONS: &[Action] = &[
    action!(
        "AbsoluteTimeout",
        SYSTEM | CALL,
        "Hang a channel up after a number of seconds.",
        channel::absolute_timeout
    ),
    action!(
        "AgentLogoff",
        AGENT,
        "Log an agent off, at once or once its call ends.",
        agents::agent_logoff,
        "app_agent_pool"
    ),
    action!(
        "Agents",
        AGENT,
        "List the agents and their status.",
        agents::agents,
        "app_agent_pool"
    ),
    action!(
        "AGI",
        AGI,
        "Queue a command for a channel in AsyncAGI.",
        agi::agi,
        "res_agi"
    ),
    action!(
        "Atxfer",
        CALL,
        "Start an attended transfer of a channel's peer.",
        transfer::atxfer
    ),
    action!(
        "BlindTransfer",
        CALL,
        "Send a channel's bridged peer to an extension.",
        transfer::blind_transfer
    ),
    action!(
        "Bridge",
        CALL,
        "Join two channels in a new bridge.",
        bridge::bridge
    ),
    action!(
        "BridgeDestroy",
        0,
        "Dissolve a bridge, sending every member out of it.",
        bridge::destroy
    ),
    action!(
        "BridgeInfo",
        0,
        "Show a bridge and the channels in it.",
        bridge::info
    ),
    action!(
        "BridgeKick",
        0,
        "Make a channel leave its bridge.",
        bridge::kick
    ),
    action!(
        "BridgeList",
        0,
        "List the bridges that exist now.",
        bridge::list
    ),
    action!(
        "BridgeTechnologyList",
        0,
        "List the bridge technologies and whether each is suspended.",
        bridge::technology_list
    ),
    action!(
        "BridgeTechnologySuspend",
        0,
        "Keep new bridges from choosing a technology.",
        bridge::technology_suspend
    ),
    action!(
        "BridgeTechnologyUnsuspend",
        0,
        "Let new bridges choose a suspended technology again.",
        bridge::technology_unsuspend
    ),
    action!(
        "CancelAtxfer",
        CALL,
        "Give up an attended transfer that is being set up.",
        transfer::cancel_atxfer
    ),
    action!(
        "Challenge",
        0,
        "Get a challenge for an MD5 login.",
        login::challenge
    ),
    action!(
        "ChangeMonitor",
        CALL,
        "Rename the files of a channel's Monitor recording.",
        monitor::change,
        "res_monitor"
    ),
    action!(
        "Command",
        COMMAND,
        "Run a CLI command and return its output.",
        command::command
    ),
    action!(
        "ConfbridgeKick",
        CALL,
        "Remove participants from a conference.",
        confbridge::kick,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeList",
        REPORTING,
        "List the participants of a conference.",
        confbridge::list,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeListRooms",
        REPORTING,
        "List the running conferences.",
        confbridge::list_rooms,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeLock",
        CALL,
        "Lock a conference against new participants.",
        confbridge::lock,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeMute",
        CALL,
        "Mute conference participants.",
        confbridge::mute,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeSetSingleVideoSrc",
        CALL,
        "Make a participant the conference's single video source.",
        confbridge::set_single_video_src,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeStartRecord",
        SYSTEM,
        "Start recording a conference.",
        confbridge::start_record,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeStopRecord",
        SYSTEM,
        "Stop recording a conference.",
        confbridge::stop_record,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeUnlock",
        CALL,
        "Unlock a conference.",
        confbridge::unlock,
        "app_confbridge"
    ),
    action!(
        "ConfbridgeUnmute",
        CALL,
        "Unmute conference participants.",
        confbridge::unmute,
        "app_confbridge"
    ),
    action!(
        "ControlPlayback",
        CALL,
        "Stop, pause, restart, or skip in the file a channel is playing.",
        channel::control_playback,
        "app_controlplayback"
    ),
    action!(
        "CoreSettings",
        SYSTEM | REPORTING,
        "Show the PBX's core settings and version.",
        core::settings
    ),
    action!(
        "CoreShowChannelMap",
        SYSTEM | REPORTING,
        "List the channels bridged with a channel.",
        channel::show_channel_map
    ),
    action!(
        "CoreShowChannels",
        SYSTEM | REPORTING,
        "List the channels that exist now.",
        core::show_channels
    ),
    action!(
        "CoreStatus",
        SYSTEM | REPORTING,
        "Show start and reload times and call counts.",
        core::status
    ),
    action!(
        "CreateConfig",
        CONFIG,
        "Create an empty file in the configuration directory.",
        config::create_config
    ),
    action!("DBDel", SYSTEM, "Remove one AstDB key.", db::del),
    action!(
        "DBDelTree",
        SYSTEM,
        "Remove an AstDB family or a key under it.",
        db::deltree
    ),
    action!("DBGet", SYSTEM | REPORTING, "Read one AstDB key.", db::get),
    action!(
        "DBGetTree",
        SYSTEM | REPORTING,
        "List AstDB keys under a family (and key).",
        db::gettree
    ),
    action!("DBPut", SYSTEM, "Store a value in the AstDB.", db::put),
    action!(
        "DeviceStateList",
        CALL | REPORTING,
        "List the device states known now.",
        pbx::device_state_list
    ),
    action!(
        "DialplanExtensionAdd",
        SYSTEM,
        "Add a priority to an extension of the dialplan.",
        pbx::dialplan_extension_add,
        "pbx_config"
    ),
    action!(
        "DialplanExtensionRemove",
        SYSTEM,
        "Remove an extension or one of its priorities from the dialplan.",
        pbx::dialplan_extension_remove,
        "pbx_config"
    ),
    action!(
        "Events",
        0,
        "Choose which event classes this session receives.",
        events::events
    ),
    action!(
        "ExtensionState",
        CALL | REPORTING,
        "Show the state of an extension's hint.",
        pbx::extension_state
    ),
    action!(
        "ExtensionStateList",
        CALL | REPORTING,
        "List every hint with its last state.",
        pbx::extension_state_list
    ),
    action!(
        "FAXSession",
        CALL,
        "Show one fax session.",
        fax::session,
        "res_fax"
    ),
    action!(
        "FAXSessions",
        CALL,
        "List the fax sessions.",
        fax::sessions,
        "res_fax"
    ),
    action!(
        "FAXStats",
        REPORTING,
        "Show the fax counters.",
        fax::stats,
        "res_fax"
    ),
    action!(
        "Filter",
        SYSTEM,
        "Add an event filter to this session.",
        events::filter
    ),
    action!(
        "GetConfig",
        SYSTEM | CONFIG,
        "Show a config file's categories and lines.",
        config::get_config
    ),
    action!(
        "GetConfigJSON",
        SYSTEM | CONFIG,
        "Show a config file as JSON.",
        config::get_config_json
    ),
    action!(
        "Getvar",
        CALL | REPORTING,
        "Read a variable or a function, global or on a channel.",
        vars::getvar
    ),
    action!(
        "Hangup",
        SYSTEM | CALL,
        "Hang up a channel, or every channel a pattern matches.",
        channel::hangup
    ),
    action!(
        "ListCategories",
        CONFIG,
        "List the categories of a config file.",
        config::list_categories
    ),
    action!(
        "ListCommands",
        0,
        "List the actions this session may run.",
        listcommands
    ),
    action!(
        "LocalOptimizeAway",
        SYSTEM | CALL,
        "Let a Local channel pair optimise itself out of the call.",
        channel::local_optimize_away
    ),
    action!(
        "LoggerRotate",
        SYSTEM | REPORTING,
        "Reopen the log files, rotating them.",
        module::logger_rotate
    ),
    action!("Login", 0, "Log in to the manager.", login::login),
    action!("Logoff", 0, "Log off and close the session.", login::logoff),
    action!(
        "MailboxCount",
        CALL | REPORTING,
        "Count a mailbox's urgent, new and old messages.",
        voicemail::mailbox_count
    ),
    action!(
        "MailboxStatus",
        CALL | REPORTING,
        "Tell whether a mailbox has messages waiting.",
        voicemail::mailbox_status
    ),
    action!(
        "MessageSend",
        MESSAGE,
        "Send an out-of-call message to a destination.",
        message::message_send
    ),
    action!(
        "MixMonitor",
        SYSTEM,
        "Start recording a channel, both directions mixed.",
        mixmonitor::start,
        "app_mixmonitor"
    ),
    action!(
        "MixMonitorMute",
        SYSTEM | CALL,
        "Mute or unmute a direction of a channel's recordings.",
        mixmonitor::mute,
        "app_mixmonitor"
    ),
    action!(
        "ModuleCheck",
        SYSTEM,
        "Tell whether a module is loaded.",
        module::module_check
    ),
    action!(
        "ModuleLoad",
        SYSTEM,
        "Load, unload or reload a module.",
        module::module_load
    ),
    action!(
        "Monitor",
        CALL,
        "Record a channel's two directions to two files.",
        monitor::start,
        "res_monitor"
    ),
    action!(
        "MuteAudio",
        SYSTEM,
        "Mute or unmute a channel's audio in a direction.",
        mutestream::mute_audio,
        "res_mutestream"
    ),
    action!(
        "Originate",
        ORIGINATE,
        "Place a call and connect it to an extension or application.",
        originate::originate
    ),
    action!(
        "Park",
        CALL,
        "Park a channel in a parking lot.",
        parking::park,
        "res_parking"
    ),
    action!(
        "ParkedCalls",
        CALL,
        "List the parked calls, of every lot or of one.",
        parking::parked_calls,
        "res_parking"
    ),
    action!(
        "Parkinglots",
        CALL,
        "List the parking lots.",
        parking::parkinglots,
        "res_parking"
    ),
    action!(
        "PauseMonitor",
        CALL,
        "Pause a channel's Monitor recording.",
        monitor::pause,
        "res_monitor"
    ),
    action!("Ping", 0, "Check that the manager is alive.", core::ping),
    action!(
        "PJSIPHangup",
        SYSTEM | CALL,
        "Reject an incoming, unanswered PJSIP call with a SIP response.",
        pjsip::hangup,
        "chan_pjsip"
    ),
    action!(
        "PJSIPNotify",
        SYSTEM,
        "Send a NOTIFY to an endpoint, a URI or a channel's dialog.",
        pjsip_notify::notify,
        "res_pjsip_notify"
    ),
    action!(
        "PJSIPQualify",
        SYSTEM | REPORTING,
        "Send OPTIONS to every contact of an endpoint now.",
        pjsip::qualify,
        "res_pjsip"
    ),
    action!(
        "PJSIPRegister",
        SYSTEM | REPORTING,
        "Register an outbound registration again, or all of them.",
        pjsip::register,
        "res_pjsip_outbound_registration"
    ),
    action!(
        "PJSIPSetMaintenance",
        SYSTEM,
        "Put a PJSIP endpoint (or all of them) into maintenance mode or out of it.",
        pjsip::set_maintenance,
        "res_pjsip_maintenance"
    ),
    action!(
        "PJSIPShowAors",
        SYSTEM,
        "List the PJSIP AORs.",
        pjsip::show_aors,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowAuths",
        SYSTEM,
        "List the PJSIP auths.",
        pjsip::show_auths,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowContacts",
        SYSTEM,
        "List the registered PJSIP contacts.",
        pjsip::show_contacts,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowEndpoint",
        SYSTEM,
        "Show a PJSIP endpoint and the objects it uses.",
        pjsip::show_endpoint,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowEndpoints",
        SYSTEM,
        "List the PJSIP endpoints.",
        pjsip::show_endpoints,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowMaintenance",
        SYSTEM | REPORTING,
        "List the PJSIP endpoints in maintenance mode, or one endpoint's state.",
        pjsip::show_maintenance,
        "res_pjsip_maintenance"
    ),
    action!(
        "PJSIPShowRegistrationInboundContactStatuses",
        SYSTEM,
        "List the contacts registered to AORs, with their status.",
        pjsip::show_registration_inbound_contact_statuses,
        "res_pjsip_registrar"
    ),
    action!(
        "PJSIPShowRegistrationsInbound",
        SYSTEM,
        "List the AORs endpoints register to, with their contacts.",
        pjsip::show_registrations_inbound,
        "res_pjsip_registrar"
    ),
    action!(
        "PJSIPShowRegistrationsOutbound",
        SYSTEM | REPORTING,
        "List the PJSIP outbound registrations.",
        pjsip::show_registrations_outbound,
        "res_pjsip"
    ),
    action!(
        "PJSIPShowResourceLists",
        SYSTEM,
        "List the configured resource lists.",
        pjsip::show_resource_lists,
        "res_pjsip_pubsub"
    ),
    action!(
        "PJSIPShowSubscriptionsInbound",
        SYSTEM,
        "List the subscriptions received.",
        pjsip::show_subscriptions_inbound,
        "res_pjsip_pubsub"
    ),
    action!(
        "PJSIPShowSubscriptionsOutbound",
        SYSTEM,
        "List the subscriptions sent.",
        pjsip::show_subscriptions_outbound,
        "res_pjsip_pubsub"
    ),
    action!(
        "PJSIPUnregister",
        SYSTEM | REPORTING,
        "Unregister an outbound registration, or all of them, until registered again.",
        pjsip::unregister,
        "res_pjsip_outbound_registration"
    ),
    action!(
        "PlayDTMF",
        CALL,
        "Send a DTMF digit to a channel's device, or queue it as received.",
        channel::play_dtmf,
        "app_senddtmf"
    ),
    action!(
        "PlayMF",
        CALL,
        "Play MF digits to a channel.",
        channel::play_mf,
        "app_mf"
    ),
    action!(
        "PresenceState",
        CALL | REPORTING,
        "Show a presence provider's state.",
        presencestate::presence_state
    ),
    action!(
        "PresenceStateList",
        CALL | REPORTING,
        "List the presence states announced so far.",
        presencestate::presence_state_list,
        "res_manager_presencestate"
    ),
    action!(
        "QueueAdd",
        AGENT,
        "Add a dynamic member to a queue.",
        queue::add,
        "app_queue"
    ),
    action!(
        "QueueChangePriorityCaller",
        0,
        "Change the priority of a caller waiting in a queue.",
        queue::change_priority_caller,
        "app_queue"
    ),
    action!(
        "QueueLog",
        AGENT,
        "Write a line of one's own to queue_log.",
        queue::log,
        "app_queue"
    ),
    action!(
        "QueueMemberRingInUse",
        AGENT,
        "Set whether a queue member is rung while in use.",
        queue::ringinuse,
        "app_queue"
    ),
    action!(
        "QueuePause",
        AGENT,
        "Pause or unpause a queue member.",
        queue::pause,
        "app_queue"
    ),
    action!(
        "QueuePenalty",
        AGENT,
        "Set a queue member's penalty.",
        queue::penalty,
        "app_queue"
    ),
    action!(
        "QueueReload",
        0,
        "Reload queues.conf's queues.",
        queue::reload,
        "app_queue"
    ),
    action!(
        "QueueRemove",
        AGENT,
        "Remove a dynamic member from a queue.",
        queue::remove,
        "app_queue"
    ),
    action!(
        "QueueReset",
        0,
        "Reset the queues' counters.",
        queue::reset,
        "app_queue"
    ),
    action!(
        "QueueRule",
        0,
        "List the queues' penalty rules.",
        queue::rule,
        "app_queue"
    ),
    action!(
        "QueueStatus",
        0,
        "List the queues with their members and callers.",
        queue::status,
        "app_queue"
    ),
    action!(
        "QueueSummary",
        0,
        "Summarise each queue's members and callers.",
        queue::summary,
        "app_queue"
    ),
    action!(
        "QueueWithdrawCaller",
        0,
        "Take a caller out of a queue, back to the dialplan.",
        queue::withdraw_caller,
        "app_queue"
    ),
    action!(
        "Redirect",
        CALL,
        "Send a channel (and optionally a second one) elsewhere in the dialplan.",
        channel::redirect
    ),
    action!(
        "Reload",
        SYSTEM | CONFIG,
        "Reload a module's configuration, or everything.",
        module::reload
    ),
    action!(
        "SendFlash",
        CALL,
        "Send a hook flash to a channel's device, or queue it as received.",
        channel::send_flash,
        "app_senddtmf"
    ),
    action!(
        "SendText",
        CALL,
        "Send text (a SIP MESSAGE in the call) to a channel's device.",
        channel::send_text
    ),
    action!(
        "Setvar",
        CALL,
        "Set a variable or a function, global or on a channel.",
        vars::setvar
    ),
    action!(
        "ShowDialPlan",
        CONFIG | REPORTING,
        "List dialplan contexts, extensions and priorities.",
        pbx::show_dialplan
    ),
    action!(
        "SIPnotify",
        SYSTEM,
        "Send a NOTIFY to a chan_sip peer or into a dialog.",
        sip::sip_notify,
        "chan_sip"
    ),
    action!(
        "SIPpeers",
        SYSTEM | REPORTING,
        "List the chan_sip peers.",
        sip::sip_peers,
        "chan_sip"
    ),
    action!(
        "SIPpeerstatus",
        SYSTEM,
        "Show the qualify status of one or all chan_sip peers.",
        sip::sip_peer_status,
        "chan_sip"
    ),
    action!(
        "SIPqualifypeer",
        SYSTEM | REPORTING,
        "Send OPTIONS to a chan_sip peer now.",
        sip::sip_qualify_peer,
        "chan_sip"
    ),
    action!(
        "SIPshowpeer",
        SYSTEM | REPORTING,
        "Show one chan_sip peer.",
        sip::sip_show_peer,
        "chan_sip"
    ),
    action!(
        "SIPshowregistry",
        SYSTEM | REPORTING,
        "List the chan_sip outbound registrations.",
        sip::sip_show_registry,
        "chan_sip"
    ),
    action!(
        "Status",
        SYSTEM | CALL | REPORTING,
        "List channel status, for one channel or all.",
        channel::status
    ),
    action!(
        "StopMixMonitor",
        SYSTEM | CALL,
        "Stop a channel's recording and close its files.",
        mixmonitor::stop,
        "app_mixmonitor"
    ),
    action!(
        "StopMonitor",
        CALL,
        "Stop a channel's Monitor recording.",
        monitor::stop,
        "res_monitor"
    ),
    action!(
        "UnpauseMonitor",
        CALL,
        "Resume a channel's paused Monitor recording.",
        monitor::unpause,
        "res_monitor"
    ),
    action!(
        "UpdateConfig",
        CONFIG,
        "Change a config file: categories and variables.",
        config::update_config
    ),
    action!(
        "UserEvent",
        USER,
        "Send a user-defined event to every session.",
        events::user_event
    ),
    action!(
        "VoicemailBoxSummary",
        CALL | REPORTING,
        "List the messages of a voicemail box, folder by folder.",
        voicemail::box_summary,
        "app_voicemail"
    ),
    action!(
        "VoicemailForward",
        USER,
        "Copy a voicemail message into another box's folder.",
        voicemail::forward_message,
        "app_voicemail"
    ),
    action!(
        "VoicemailMove",
        USER,
        "Move a voicemail message to another folder of its box.",
        voicemail::move_message,
        "app_voicemail"
    ),
    action!(
        "VoicemailRefresh",
        USER,
        "Publish again the message counts of boxes that changed.",
        voicemail::refresh,
        "app_voicemail"
    ),
    action!(
        "VoicemailRemove",
        USER,
        "Delete a voicemail message from a folder.",
        voicemail::remove_message,
        "app_voicemail"
    ),
    action!(
        "VoicemailUsersList",
        CALL | REPORTING,
        "List every voicemail box with its settings and counts.",
        voicemail::users_list,
        "app_voicemail"
    ),
    action!(
        "VoicemailUserStatus",
        CALL | REPORTING,
        "Show one voicemail box's settings and counts.",
        voicemail::user_status,
        "app_voicemail"
    ),
    action!(
        "WaitEvent",
        0,
        "Wait for an event to happen on this session.",
        events::wait_event
    ),
];

/// A priority header: a number (`%30d`), else a label of the extension
/// (`ast_findlabel_extension`); Err when it is neither.
pub fn parse_priority(
    sys: &crate::core::System,
    context: &str,
    exten: &str,
    priority: &str,
) -> Result<i32, ()> {
    if let Some((n, _)) = crate::funcs::c::scan_long(priority, 30) {
        return Ok(n as i32);
    }
    let loaded = sys.loaded();
    crate::pbx::find::find_label(&loaded.dialplan, context, exten, priority, None).ok_or(())
}

/// The channel a `Channel` header names: None when the header is empty,
/// Err (`No such channel`) when no such channel exists.
pub fn named_channel(
    sys: &crate::core::System,
    m: &Message,
) -> Result<Option<std::sync::Arc<crate::channels::Channel>>, Reply> {
    match m.get("Channel") {
        "" => Ok(None),
        name => sys
            .pbx
            .channels
            .by_name(name)
            .map(Some)
            .ok_or_else(|| Reply::error(m, "No such channel")),
    }
}

/// Finds an action by name, without case (`action_find`).
pub fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// `process_message`: the checks Asterisk makes before running an action,
/// then the action.
pub async fn process(s: &mut Session, m: &Message) -> Flow {
    let action = m.get_non_empty("Action").to_string();
    if action.is_empty() {
        s.security(
            None,
            Kind::RequestBadFormat {
                request_type: "Action: NONE",
            },
        );
        return Flow::Reply(Reply::error(m, "Missing action in request"));
    }
    if s.sys().stop_requested().is_some() {
        s.sys().pbx.logger.error(
            crate::site!("manager.c", 7068, "process_message"),
            None,
            &format!("Unable to process manager action '{action}'. Asterisk is shutting down."),
        );
        return Flow::Reply(Reply::error(m, "Asterisk is shutting down"));
    }
    let pre_login = ["Login", "Logoff", "Challenge"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&action));
    if !s.authenticated && !pre_login {
        let rt = format!("Action: {action}");
        s.security(None, Kind::RequestNotAllowed { request_type: &rt });
        return Flow::Reply(Reply::error(m, "Permission denied"));
    }
    if !s.authenticated
        && (action.eq_ignore_ascii_case("Login") || action.eq_ignore_ascii_case("Challenge"))
    {
        let user = m.get("Username");
        if !user.is_empty() && s.mgr.user_logged_in(user) {
            let single = s
                .sys()
                .loaded()
                .manager
                .user(user)
                .is_some_and(|u| !u.allowmultiplelogin);
            if single {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                return Flow::Close(Reply::error(m, "Login Already In Use"));
            }
        }
    }
    let Some(act) = find(&action).filter(|a| a.available(s.sys())) else {
        let rt = format!("Action: {action}");
        s.security(None, Kind::RequestBadFormat { request_type: &rt });
        return Flow::Reply(Reply::error(
            m,
            &format!(
                "Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
            ),
        ));
    };
    if act.authority != 0 && s.writeperm & act.authority == 0 {
        let rt = format!("Action: {action}");
        s.security(None, Kind::RequestNotAllowed { request_type: &rt });
        return Flow::Reply(Reply::error(m, "Permission denied"));
    }
    (act.handler)(s, m).await
}

/// ListCommands: every action this session may run, with its classes.
fn listcommands<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut r = Reply::start("Success", m);
    for a in ACTIONS.iter().filter(|a| a.available(s.sys())) {
        if a.authority == 0 || s.writeperm & a.authority != 0 {
            r.raw(&format!(
                "{}: {}  (Priv: {})\r\n",
                a.name,
                a.synopsis,
                super::authority_to_str(a.authority)
            ));
        }
    }
    r.end();
    now(Flow::Reply(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_without_case() {
        for w in ACTIONS.windows(2) {
            assert!(
                w[0].name.to_ascii_lowercase() < w[1].name.to_ascii_lowercase(),
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
    }
}
