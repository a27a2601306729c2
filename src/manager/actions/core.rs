//! Ping, CoreSettings, CoreStatus, CoreShowChannels.

use std::time::SystemTime;

use super::{BoxFuture, now};
use crate::manager::events::channel_state;
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

pub fn ping<'a>(_s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut r = Reply::start("Success", m);
    r.line("Ping", "Pong")
        .line(
            "Timestamp",
            format!("{}.{:06}", t.as_secs(), t.subsec_micros()),
        )
        .end();
    now(Flow::Reply(r))
}

pub fn settings<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys();
    let o = &sys.conf.options;
    let loaded = sys.loaded();
    let mut r = Reply::start("Success", m);
    r.line("AMIversion", crate::manager::AMI_VERSION)
        .line("AsteriskVersion", crate::version::ASTERISK_VERSION)
        .line("SystemName", &o.system_name)
        .line("CoreMaxCalls", o.max_calls.unwrap_or(0))
        .line("CoreMaxLoadAvg", format!("{:.6}", o.max_load))
        .line("CoreRunUser", &o.run_user)
        .line("CoreRunGroup", &o.run_group)
        .line("CoreMaxFilehandles", o.max_files.unwrap_or(0))
        .line("CoreRealTimeEnabled", "No")
        .line("CoreCDRenabled", yes_no(loaded.cdr.general.enable))
        .line(
            "CoreHTTPenabled",
            yes_no(loaded.manager.general.enabled && loaded.manager.general.webenabled),
        )
        .line("SoundsSearchCustomDir", yes_no(o.sounds_search_custom_dir))
        .end();
    now(Flow::Reply(r))
}

pub fn status<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys();
    let date = |t: SystemTime| crate::core::logger::format_time(t, "%Y-%m-%d");
    let time = |t: SystemTime| crate::core::logger::format_time(t, "%H:%M:%S");
    let reload = sys.last_reload();
    let mut r = Reply::start("Success", m);
    r.line("CoreStartupDate", date(sys.started))
        .line("CoreStartupTime", time(sys.started))
        .line("CoreReloadDate", date(reload))
        .line("CoreReloadTime", time(reload))
        .line("CoreCurrentCalls", sys.pbx.channels.count())
        .line("CoreProcessedCalls", sys.pbx.channels.processed_calls())
        .end();
    now(Flow::Reply(r))
}

/// `HH:MM:SS` since `t`.
pub fn duration_since(t: SystemTime) -> String {
    let d = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{:02}:{:02}:{:02}", d / 3600, (d % 3600) / 60, d % 60)
}

pub fn show_channels<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let mut r = Reply::list_start(m, "Channels will follow");
    let sys = s.sys();
    let chans = sys.pbx.channels.in_cache_order();
    let mut n = 0;
    // Internal channels have no manager state string: they are skipped.
    for c in chans.iter().filter(|c| !c.is_internal()) {
        let snap = c.snapshot();
        r.line("Event", "CoreShowChannel");
        r.action_id(m);
        r.raw(&channel_state(&snap, ""));
        r.line("Application", &snap.appl)
            .line("ApplicationData", &snap.data)
            .line("Duration", duration_since(snap.created))
            .line("BridgeId", sys.bridge_id_of(c))
            .end();
        n += 1;
    }
    r.list_complete(m, "CoreShowChannelsComplete", n);
    now(Flow::Reply(r))
}
