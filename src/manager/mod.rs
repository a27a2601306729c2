//! The Asterisk Manager Interface (`main/manager.c`): TCP port 5038 by
//! default, Asterisk's text protocol byte for byte.
//!
//! Events are rendered once, by one task that turns the core's event bus
//! into AMI text ([`events::render`]), and fanned out to every session over
//! a broadcast ring: publishing never waits on a client. Each session
//! filters what it receives by its read classes, its `Events` mask and its
//! filters, and a session that falls a whole ring behind is cut off (as
//! Asterisk cuts off a client whose socket stops taking data).

pub mod actions;
pub mod events;
pub mod filter;
pub mod http;
pub mod message;
pub mod security;
pub mod session;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use tokio::net::TcpListener;
use tokio::sync::broadcast;

pub use crate::config::views::manager::PERMS;
use crate::core::System;

/// The version the banner and CoreSettings announce.
pub const AMI_VERSION: &str = "9.0.0";

/// Event classes (`EVENT_FLAG_*`).
pub mod class {
    pub const SYSTEM: u32 = 1 << 0;
    pub const CALL: u32 = 1 << 1;
    pub const LOG: u32 = 1 << 2;
    pub const VERBOSE: u32 = 1 << 3;
    pub const COMMAND: u32 = 1 << 4;
    pub const AGENT: u32 = 1 << 5;
    pub const USER: u32 = 1 << 6;
    pub const CONFIG: u32 = 1 << 7;
    pub const DTMF: u32 = 1 << 8;
    pub const REPORTING: u32 = 1 << 9;
    pub const CDR: u32 = 1 << 10;
    pub const DIALPLAN: u32 = 1 << 11;
    pub const ORIGINATE: u32 = 1 << 12;
    pub const AGI: u32 = 1 << 13;
    pub const CC: u32 = 1 << 14;
    pub const AOC: u32 = 1 << 15;
    pub const TEST: u32 = 1 << 16;
    pub const SECURITY: u32 = 1 << 17;
    pub const MESSAGE: u32 = 1 << 18;
}

/// `authority_to_str`: every class with a bit in `authority` (so `all`
/// follows any non-empty set), or `<none>`.
pub fn authority_to_str(authority: u32) -> String {
    let names: Vec<&str> = PERMS
        .iter()
        .filter(|(bit, _)| authority & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "<none>".into()
    } else {
        names.join(",")
    }
}

/// `strings_to_mask`: a number is itself, a false word none, a true word
/// every class, anything else the classes it names; empty is "no change"
/// (`None`).
pub fn strings_to_mask(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        // atoi: overflow wraps in C; saturate instead.
        return Some(s.parse::<u64>().map(|v| v as u32).unwrap_or(u32::MAX));
    }
    if crate::config::is_false(s) {
        return Some(0);
    }
    if crate::config::is_true(s) {
        return Some(PERMS.iter().fold(0, |a, (b, _)| a | b));
    }
    Some(get_perm(s))
}

/// `get_perm` with `ast_instring`: each class is looked for among the
/// comma-separated words, where a word matches a class it is a prefix of.
pub fn get_perm(list: &str) -> u32 {
    PERMS
        .iter()
        .filter(|(_, label)| instring(list, label))
        .fold(0, |a, (b, _)| a | b)
}

/// `ast_instring`: a word before the last matches when it is a prefix of
/// `small` (strncmp over the word's length); the last must be equal.
fn instring(big: &str, small: &str) -> bool {
    let words: Vec<&str> = big.split(',').collect();
    let last = words.len() - 1;
    words.iter().enumerate().any(|(i, w)| {
        if i == last {
            *w == small
        } else {
            small.starts_with(w)
        }
    })
}

/// Frames an event as `__manager_event_sessions_va` does: `Event`,
/// `Privilege`, then `Timestamp` and `SystemName` when configured, the
/// body and the blank line. None when manager.conf `disabledevents` lists
/// it.
pub fn compose(sys: &System, class: u32, name: &str, body: &str) -> Option<AmiEvent> {
    let loaded = sys.loaded();
    let general = &loaded.manager.general;
    if general.disabledevents.iter().any(|d| d == name) {
        return None;
    }
    let mut text = format!(
        "Event: {name}\r\nPrivilege: {}\r\n",
        authority_to_str(class)
    );
    if general.timestampevents {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        text.push_str(&format!(
            "Timestamp: {}.{:06}\r\n",
            now.as_secs(),
            now.subsec_micros()
        ));
    }
    let system_name = &sys.conf.options.system_name;
    if !system_name.is_empty() {
        text.push_str(&format!("SystemName: {system_name}\r\n"));
    }
    text.push_str(body);
    text.push_str("\r\n");
    Some(AmiEvent {
        class,
        name: name.to_string(),
        text,
    })
}

/// One rendered event, shared by every session.
#[derive(Debug)]
pub struct AmiEvent {
    pub class: u32,
    pub name: String,
    /// The whole message, `Event:` line to the blank line.
    pub text: String,
}

/// What the sessions list shows of a connected client.
#[derive(Debug)]
pub struct SessionInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub started: SystemTime,
    pub user: Mutex<Option<String>>,
    pub readperm: AtomicU32,
    pub writeperm: AtomicU32,
    /// The connection's descriptor; -1 for an HTTP session, which has none.
    pub fd: i32,
}

impl SessionInfo {
    /// The user it logged in as, empty before.
    pub fn username(&self) -> String {
        crate::core::lock(&self.user).clone().unwrap_or_default()
    }
}

/// The manager's sessions, TCP and HTTP (`mgr_sessions`): on the system,
/// so `manager show connected` lists them.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<Vec<Weak<SessionInfo>>>);

impl Sessions {
    pub fn add(&self, info: &Arc<SessionInfo>) {
        let mut s = crate::core::lock(&self.0);
        s.retain(|w| w.strong_count() > 0);
        s.push(Arc::downgrade(info));
    }

    /// Sessions connected now, oldest first.
    pub fn list(&self) -> Vec<Arc<SessionInfo>> {
        crate::core::lock(&self.0)
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }
}

/// The manager: its listener, the event ring and the sessions.
pub struct Manager {
    pub sys: Arc<System>,
    events: broadcast::Sender<Arc<AmiEvent>>,
    unauthenticated: AtomicU32,
    next_session: AtomicU64,
}

/// How far a session may fall behind before it is cut off.
const EVENT_RING: usize = 32 * 1024;

impl Manager {
    pub fn new(sys: Arc<System>) -> Arc<Manager> {
        let (events, _) = broadcast::channel(EVENT_RING);
        Arc::new(Manager {
            sys,
            events,
            unauthenticated: AtomicU32::new(0),
            next_session: AtomicU64::new(1),
        })
    }

    /// Starts the renderer and, when manager.conf enables it, the TCP
    /// listener. Returns the address it listens on.
    pub async fn start(self: &Arc<Self>) -> Option<SocketAddr> {
        self.spawn_renderer();
        let conf = self.sys.loaded().manager.clone();
        if !conf.general.enabled {
            return None;
        }
        let addr = SocketAddr::new(conf.general.bindaddr, conf.general.port);
        let listener = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                self.sys.pbx.logger.error(
                    crate::site!("tcptls.c", 0, "ast_tcptls_server_start"),
                    None,
                    &format!("Unable to bind Manager Interface to {addr}: {e}"),
                );
                return None;
            }
        };
        let local = listener.local_addr().ok();
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let me = me.clone();
                        tokio::spawn(async move { session::serve(me, stream, peer).await });
                    }
                    Err(e) => {
                        tracing::warn!("accept on the manager port failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
        local
    }

    fn spawn_renderer(self: &Arc<Self>) {
        let mut rx = self.sys.pbx.channels.events.subscribe();
        let me = Arc::downgrade(self);
        let conf = self.sys.loaded().manager.clone();
        self.sys
            .pbx
            .channels
            .events
            .set_channel_vars(conf.general.channelvars.clone());
        tokio::spawn(async move {
            loop {
                let Some(ev) = rx.recv().await else { return };
                let Some(me) = me.upgrade() else { return };
                if me.events.receiver_count() == 0 {
                    continue;
                }
                for e in events::render(&me.sys, &ev) {
                    me.send_event(e);
                }
            }
        });
    }

    /// Queues a finished event for every session.
    pub fn send_event(&self, ev: AmiEvent) {
        let _ = self.events.send(Arc::new(ev));
    }

    /// Raises an event in order with the core's events (it goes through
    /// the same bus, so it follows whatever happened before it).
    pub fn event_in_order(&self, class: u32, name: &str, body: String) {
        self.sys
            .pbx
            .channels
            .events
            .publish_system(crate::core::events::EventKind::Manager {
                class,
                name: name.to_string(),
                body,
            });
    }

    /// `manager_event`: frames `body` (header lines, each ending in CRLF)
    /// and queues it.
    pub fn event(&self, class: u32, name: &str, body: &str) {
        if let Some(ev) = compose(&self.sys, class, name, body) {
            self.send_event(ev);
        }
    }

    /// `really_quit`'s Shutdown event (`Uncleanly` while channels are
    /// left), then a bounded wait until every session has taken it from
    /// the ring, so clients hear it before their connections close.
    pub async fn announce_shutdown(&self, unclean: bool) {
        let how = if unclean { "Uncleanly" } else { "Cleanly" };
        self.event(
            class::SYSTEM,
            "Shutdown",
            &format!("Shutdown: {how}\r\nRestart: False\r\n"),
        );
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while !self.events.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Taken from the ring is not yet written: a moment for the write.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AmiEvent>> {
        self.events.subscribe()
    }

    fn register_session(&self, addr: SocketAddr, fd: i32) -> Option<Arc<SessionInfo>> {
        let limit = self.sys.loaded().manager.general.authlimit;
        if self.unauthenticated.fetch_add(1, Ordering::SeqCst) >= limit {
            self.unauthenticated.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let info = Arc::new(SessionInfo {
            id: self.next_session.fetch_add(1, Ordering::SeqCst),
            addr,
            started: SystemTime::now(),
            user: Mutex::new(None),
            readperm: AtomicU32::new(0),
            writeperm: AtomicU32::new(0),
            fd,
        });
        self.sys.manager_sessions.add(&info);
        Some(info)
    }

    /// A session stops counting against `authlimit` (it logged in, or it
    /// closed without logging in).
    fn leave_unauthenticated(&self) {
        self.unauthenticated.fetch_sub(1, Ordering::SeqCst);
    }

    /// Sessions connected now, oldest first.
    pub fn sessions(&self) -> Vec<Arc<SessionInfo>> {
        self.sys.manager_sessions.list()
    }

    /// Whether `user` is logged in on some session.
    pub fn user_logged_in(&self, user: &str) -> bool {
        self.sessions().iter().any(|s| {
            let u = match s.user.lock() {
                Ok(g) => g.clone(),
                Err(p) => p.into_inner().clone(),
            };
            u.is_some_and(|u| u.eq_ignore_ascii_case(user))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_authority() {
        assert_eq!(authority_to_str(class::CALL), "call,all");
        assert_eq!(
            authority_to_str(class::SYSTEM | class::REPORTING),
            "system,reporting,all"
        );
        assert_eq!(authority_to_str(0), "<none>");
        assert_eq!(strings_to_mask(""), None);
        assert_eq!(strings_to_mask("off"), Some(0));
        assert_eq!(strings_to_mask("12"), Some(12));
        assert_eq!(
            strings_to_mask("call,dialplan"),
            Some(class::CALL | class::DIALPLAN)
        );
        assert_eq!(strings_to_mask("on"), Some(i32::MAX as u32));
    }
}
