//! AMI over HTTP (`generic_http_callback` and its helpers in
//! `main/manager.c`): `/rawman`, `/manager` and `/mxml`.
//!
//! Each request's parameters become one AMI message, run through the same
//! [`actions::process`] as a TCP session's; the session lives between
//! requests under the id of its `mansession_id` cookie. Its events queue
//! from the moment it is made, and only `WaitEvent` hands them out (the
//! first WaitEvent also turns event delivery on, as Asterisk's does). A
//! session not used for `httptimeout` seconds (5 before it logs in) ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::broadcast;

use super::filter::Filters;
use super::message::{MAX_HEADERS, Message, Reply};
use super::session::{Flow, Session};
use super::{AmiEvent, Manager, SessionInfo, actions};

/// How a reply is dressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `/rawman`: the AMI text as it is.
    Raw,
    /// `/manager`: an HTML table under a test form.
    Html,
    /// `/mxml`: one XML element per message.
    Xml,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Raw => "plain",
            Format::Html => "html",
            Format::Xml => "xml",
        }
    }
}

/// One HTTP manager session.
struct HttpSession {
    s: Session,
    events: broadcast::Receiver<Arc<AmiEvent>>,
    /// When it ends unless used again.
    expires: Instant,
    /// Requests working on it now (a session in use is never purged).
    in_use: u32,
    /// Ended (Logoff, failed login): gone once its last request is done.
    destroyed: bool,
    /// Bumped by each WaitEvent: a newer one ends the older's wait.
    waiter: u64,
    /// Digest sessions: the last nonce count seen, when the nonce was
    /// handed out, and the nonce before it (answered as stale).
    nc: u64,
    nonce_time: Instant,
    old_nonce: u32,
}

type Shared = Arc<tokio::sync::Mutex<HttpSession>>;

/// A digest-authenticated session, ready to run a request.
pub struct DigestSession(Shared);

/// The HTTP manager sessions.
pub struct Ajam {
    mgr: Arc<Manager>,
    sessions: Mutex<HashMap<u32, Shared>>,
}

/// The HTML page's heading rows (`ROW_FMT` around the test form).
const HTML_HEAD: &str = "<title>Asterisk&trade; Manager Interface</title><body bgcolor=\"#ffffff\"><table align=center bgcolor=\"#f1f1f1\" width=\"500\">\r\n\
<tr><td colspan=\"2\" bgcolor=\"#f1f1ff\"><h1>Manager Tester</h1></td></tr>\r\n\
<tr><td colspan=\"2\" bgcolor=\"#f1f1ff\"><form action=\"manager\" method=\"post\">\n\
\tAction: <select name=\"action\">\n\
\t\t<option value=\"\">-----&gt;</option>\n\
\t\t<option value=\"login\">login</option>\n\
\t\t<option value=\"command\">Command</option>\n\
\t\t<option value=\"waitevent\">waitevent</option>\n\
\t\t<option value=\"listcommands\">listcommands</option>\n\
\t</select>\n\
\tor <input name=\"action\"><br/>\n\
\tCLI Command <input name=\"command\"><br>\n\
\tuser <input name=\"username\"> pass <input type=\"password\" name=\"secret\"><br>\n\
\t<input type=\"submit\">\n</form>\n</td></tr>\r\n";

/// The head of the digest URIs' HTML page.
const DIGEST_HTML_HEAD: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n\
<html><head>\r\n\
<title>Asterisk&trade; Manager Interface</title>\r\n\
</head><body style=\"background-color: #ffffff;\">\r\n\
<form method=\"POST\">\r\n\
<table align=\"center\" style=\"background-color: #f1f1f1;\" width=\"500\">\r\n\
<tr><th colspan=\"2\" style=\"background-color: #f1f1ff;\"><h1>Manager Tester</h1></th></tr>\r\n\
<tr><th colspan=\"2\" style=\"background-color: #f1f1ff;\">Action: <input name=\"action\" /> Cmd: <input name=\"command\" /><br>\
<input type=\"submit\" value=\"Send request\" /></th></tr>\r\n";

/// Why a digest-authenticated request is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestRefusal {
    /// 401 with a new challenge (`stale` when only the nonce was old).
    Challenge {
        realm: String,
        nonce: u32,
        stale: bool,
    },
    /// 403: the user's ACL refuses the address.
    Forbidden,
}

/// The fields of an `Authorization: Digest ...` header
/// (`ast_parse_digest`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Digest {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub cnonce: String,
    pub nc: String,
    pub qop: bool,
}

impl Digest {
    /// Parses a client's digest response; None when it is not one, or
    /// lacks a field the check needs.
    pub fn parse(header: &str) -> Option<Digest> {
        let h = header.trim_start_matches(|c: char| (c as u32) < 33);
        let mut rest = h
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("Digest "))
            .map(|_| &h[7..])?;
        let mut d = Digest::default();
        loop {
            rest = rest.trim_start_matches(|c: char| (c as u32) < 33);
            if rest.is_empty() {
                break;
            }
            let Some(eq) = rest.find('=') else { break };
            let key = rest[..eq].to_ascii_lowercase();
            let known = [
                "username",
                "realm",
                "nonce",
                "uri",
                "domain",
                "response",
                "cnonce",
                "opaque",
                "algorithm",
                "qop",
                "nc",
            ];
            if !known.contains(&key.as_str()) || key.contains([',', ' ']) {
                // Not a field we know: skip to the next comma.
                rest = rest.split_once(',').map_or("", |(_, r)| r);
                continue;
            }
            let after = &rest[eq + 1..];
            let value;
            if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').unwrap_or(q.len());
                value = q[..end].replace("\\\"", "\"");
                rest = q.get(end + 1..).unwrap_or("");
            } else {
                let end = after.find(',').unwrap_or(after.len());
                value = after[..end].to_string();
                rest = after.get(end + 1..).unwrap_or("");
            }
            match key.as_str() {
                "username" => d.username = value,
                "realm" => d.realm = value,
                "nonce" => d.nonce = value,
                "uri" => d.uri = value,
                "response" => d.response = value,
                "cnonce" => d.cnonce = value,
                "algorithm" if !value.eq_ignore_ascii_case("MD5") => return None,
                "qop" if value.eq_ignore_ascii_case("auth") => d.qop = true,
                "nc" => {
                    scan_hex(&value)?;
                    d.nc = value;
                }
                _ => {}
            }
        }
        let missing = d.realm.is_empty()
            || d.nonce.is_empty()
            || d.username.is_empty()
            || d.uri.is_empty()
            || d.response.is_empty()
            || (d.qop && (d.cnonce.is_empty() || d.nc.is_empty()));
        (!missing).then_some(d)
    }
}

/// `sscanf("%30lx")`: leading hex digits (after blanks and an optional
/// `0x`), None without any.
fn scan_hex(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let end = t.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    Some(t[..end.min(30)].chars().fold(0u64, |a, c| {
        a.wrapping_mul(16)
            .wrapping_add(u64::from(c.to_digit(16).unwrap_or(0)))
    }))
}

/// `ast_md5_hash` of a text.
fn md5_hex(data: &str) -> String {
    crate::funcs::md5::hex(data.as_bytes())
}

impl Ajam {
    pub fn new(mgr: Arc<Manager>) -> Arc<Ajam> {
        Arc::new(Ajam {
            mgr,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Shared>> {
        crate::core::lock(&self.sessions)
    }

    /// Runs one request's message on the session its cookie names (a new
    /// one if none); returns the reply's header lines and body.
    pub async fn handle(
        &self,
        format: Format,
        params: &[(String, String)],
        cookie: u32,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> (String, String) {
        let found = (cookie != 0)
            .then(|| self.map().get(&cookie).cloned())
            .flatten();
        let (id, shared) = match found {
            Some(sh) => (cookie, sh),
            None => self.create(peer, local),
        };
        match self.run(id, &shared, format, params, false).await {
            Some(r) => r,
            // Ended by another request meanwhile: a lookup a moment later
            // would have made a new session, so make one.
            None => Box::pin(self.handle(format, params, 0, peer, local)).await,
        }
    }

    /// Runs `params` as one message on a session. None if the session was
    /// already ended.
    async fn run(
        &self,
        id: u32,
        shared: &Shared,
        format: Format,
        params: &[(String, String)],
        digest: bool,
    ) -> Option<(String, String)> {
        let m = Message::from_lines(
            params
                .iter()
                .take(MAX_HEADERS)
                .map(|(n, v)| format!("{n}: {v}")),
        );
        let mut guard = shared.lock().await;
        if guard.destroyed {
            return None;
        }
        guard.in_use += 1;
        let flow = actions::process(&mut guard.s, &m).await;
        let (output, close) = match flow {
            Flow::Reply(r) => (r, false),
            Flow::Close(r) => (r, true),
            Flow::WaitEvent {
                timeout,
                head,
                tail,
            } => {
                drop(guard);
                let r = wait_event(shared, timeout, head, tail).await;
                guard = shared.lock().await;
                (r, false)
            }
        };
        let conf = self.mgr.sys.loaded().manager.clone();
        let httptimeout = conf.general.httptimeout;
        let s = &guard.s;
        if close {
            let addr = s.peer.ip();
            let shows = if s.authenticated {
                conf.user(&s.username).is_none_or(|u| u.displayconnects)
            } else {
                conf.general.displayconnects
            };
            if shows {
                // Digest requests are auth_http_callback's, the others
                // generic_http_callback's.
                let (site, text) = if digest {
                    (
                        crate::site!("manager.c", 8848, "auth_http_callback"),
                        format!("HTTP Manager '{}' logged off from {addr}", s.username),
                    )
                } else if s.authenticated {
                    (
                        crate::site!("manager.c", 8499, "generic_http_callback"),
                        format!("HTTP Manager '{}' logged off from {addr}", s.username),
                    )
                } else {
                    (
                        crate::site!("manager.c", 8503, "generic_http_callback"),
                        format!("HTTP Connect attempt from '{addr}' unable to authenticate"),
                    )
                };
                self.mgr.sys.pbx.logger.verbose(2, site, None, &text);
            }
            guard.destroyed = true;
        }
        // Before login a session lasts 5 seconds (digest sessions are
        // logged in from the start, and last at least that).
        let life = if digest {
            httptimeout.max(5)
        } else if guard.s.authenticated || httptimeout < 5 {
            httptimeout
        } else {
            5
        };
        guard.expires = Instant::now() + Duration::from_secs(u64::from(life));
        guard.in_use -= 1;
        if guard.destroyed && guard.in_use == 0 {
            self.destroy(guard.s.managerid, &guard);
        }
        let id = if digest { guard.s.managerid } else { id };
        drop(guard);
        let mut headers = format!("Content-type: text/{}\r\n", format.content_type());
        if !digest {
            headers.push_str(&format!(
                "Set-Cookie: mansession_id=\"{id:08x}\"; Version=1; Max-Age={httptimeout}\r\nPragma: SuppressEvents\r\n"
            ));
        }
        let mut body = String::new();
        match format {
            Format::Raw => body.push_str(output.as_str()),
            Format::Html => {
                body.push_str(if digest { DIGEST_HTML_HEAD } else { HTML_HEAD });
                translate(&mut body, output.as_str(), params, false);
                body.push_str(if digest {
                    "</table></form></body></html>\r\n"
                } else {
                    "</table></body>\r\n"
                });
            }
            Format::Xml => {
                body.push_str("<ajax-response>\n");
                translate(&mut body, output.as_str(), params, true);
                body.push_str("</ajax-response>\n");
            }
        }
        Some((headers, body))
    }

    /// `auth_http_callback`'s check: the digest must name a user whose
    /// ACL lets the peer in and match its secret; then the session of
    /// that nonce is found (or made, logged in), and a nonce that is old,
    /// replayed or more than 62 seconds old is replaced by a new one.
    pub async fn digest_session(
        &self,
        method: &str,
        authorization: Option<&str>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Result<DigestSession, DigestRefusal> {
        let sys = &self.mgr.sys;
        let realm = self.realm();
        let challenge = |nonce: u32, stale: bool| DigestRefusal::Challenge {
            realm: realm.clone(),
            nonce,
            stale,
        };
        let fresh = || challenge(random_u32() >> 1, false);
        let Some(d) = authorization
            .filter(|a| !a.is_empty())
            .and_then(Digest::parse)
        else {
            return Err(fresh());
        };
        let Some(nonce) = scan_hex(&d.nonce) else {
            sys.pbx.logger.warning(
                crate::site!("manager.c", 8666, "auth_http_callback"),
                None,
                &format!("Received incorrect nonce in Digest <{}>", d.nonce),
            );
            return Err(fresh());
        };
        let conf = sys.loaded().manager.clone();
        let Some(user) = conf.user(&d.username) else {
            sys.pbx.logger.notice(
                crate::site!("manager.c", 8675, "auth_http_callback"),
                None,
                &format!(
                    "{} tried to authenticate with nonexistent user '{}'",
                    peer.ip(),
                    d.username
                ),
            );
            return Err(fresh());
        };
        if !user.acls.is_empty() && !user.acls.allows(peer.ip()) {
            sys.pbx.logger.notice(
                crate::site!("manager.c", 8683, "auth_http_callback"),
                None,
                &format!("{} failed to pass IP ACL as '{}'", peer.ip(), d.username),
            );
            return Err(DigestRefusal::Forbidden);
        }
        let a1 = md5_hex(&format!(
            "{}:{realm}:{}",
            user.username,
            user.secret.as_deref().unwrap_or("")
        ));
        let a2 = md5_hex(&format!("{method}:{}", d.uri));
        let expected = if d.qop {
            md5_hex(&format!("{a1}:{nonce:08x}:{}:{}:auth:{a2}", d.nc, d.cnonce))
        } else {
            md5_hex(&format!("{a1}:{nonce:08x}:{a2}"))
        };
        let matches = d
            .response
            .get(..expected.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(&expected));
        if !matches || user.secret.is_none() {
            return Err(fresh());
        }
        // find_session_by_nonce
        let all: Vec<Shared> = self.map().values().cloned().collect();
        for shared in all {
            let mut sess = shared.lock().await;
            if sess.destroyed || !sess.s.username.eq_ignore_ascii_case(&d.username) {
                continue;
            }
            if u64::from(sess.s.managerid) == nonce {
                let nc = scan_hex(&d.nc).unwrap_or(sess.nc + 1);
                if sess.nc >= nc || sess.nonce_time.elapsed() > Duration::from_secs(62) {
                    sess.nc = 0;
                    sess.old_nonce = sess.s.managerid;
                    let new = {
                        let mut map = self.map();
                        let new = loop {
                            let n = random_u32() >> 1;
                            if n != 0 && !map.contains_key(&n) {
                                break n;
                            }
                        };
                        map.remove(&sess.s.managerid);
                        map.insert(new, shared.clone());
                        new
                    };
                    sess.s.managerid = new;
                    sess.nonce_time = Instant::now();
                    return Err(challenge(new, true));
                }
                sess.nc = nc;
                return Ok(DigestSession(shared.clone()));
            }
            if u64::from(sess.old_nonce) == nonce {
                return Err(challenge(sess.s.managerid, true));
            }
        }
        let Ok(id) = u32::try_from(nonce) else {
            return Err(fresh());
        };
        if id == 0 || self.map().contains_key(&id) {
            return Err(fresh());
        }
        let shared = self.create_with_id(peer, local, id);
        {
            let mut sess = shared.lock().await;
            let s = &mut sess.s;
            s.authenticated = true;
            s.username = user.username.clone();
            s.readperm = user.readperm;
            s.writeperm = user.writeperm;
            s.writetimeout = Duration::from_millis(u64::from(user.writetimeout));
            s.send_events = u32::MAX;
            super::session::logged_in(s);
            if user.displayconnects {
                sys.pbx.logger.verbose(
                    2,
                    crate::site!("manager.c", 8759, "auth_http_callback"),
                    None,
                    &format!("HTTP Manager '{}' logged in from {}", s.username, peer.ip()),
                );
            }
        }
        Ok(DigestSession(shared))
    }

    /// Runs one request's message on a digest session.
    pub async fn handle_digest(
        &self,
        session: DigestSession,
        format: Format,
        params: &[(String, String)],
    ) -> Result<(String, String), DigestRefusal> {
        let id = session.0.lock().await.s.managerid;
        // None: logged off by another request meanwhile.
        self.run(id, &session.0, format, params, true)
            .await
            .ok_or_else(|| DigestRefusal::Challenge {
                realm: self.realm(),
                nonce: random_u32() >> 1,
                stale: false,
            })
    }

    /// The digest realm: the system name, else `asterisk`.
    fn realm(&self) -> String {
        match self.mgr.sys.conf.options.system_name.as_str() {
            "" => "asterisk".to_string(),
            n => n.to_string(),
        }
    }

    /// `build_mansession` for HTTP: events off until the first WaitEvent,
    /// and a random non-zero id.
    fn create(&self, peer: SocketAddr, local: SocketAddr) -> (u32, Shared) {
        let id = {
            let map = self.map();
            loop {
                let id = random_u32();
                if id != 0 && !map.contains_key(&id) {
                    break id;
                }
            }
        };
        (id, self.create_with_id(peer, local, id))
    }

    /// A new session under `id` (not in use).
    fn create_with_id(&self, peer: SocketAddr, local: SocketAddr, id: u32) -> Shared {
        let mgr = &self.mgr;
        let info = Arc::new(SessionInfo {
            id: mgr.next_session.fetch_add(1, Ordering::SeqCst),
            addr: peer,
            started: SystemTime::now(),
            user: Mutex::new(None),
            readperm: AtomicU32::new(0),
            writeperm: AtomicU32::new(0),
            fd: -1,
        });
        mgr.sys.manager_sessions.add(&info);
        // Counted as unauthenticated until it logs in (Login's success
        // takes it off this count, as for TCP sessions).
        mgr.unauthenticated.fetch_add(1, Ordering::SeqCst);
        let s = Session {
            mgr: mgr.clone(),
            session_id: format!("0x{:x}", 0x7f00_0000_0000u64 + info.id * 0x1000),
            info,
            local,
            peer,
            authenticated: false,
            username: String::new(),
            readperm: 0,
            writeperm: 0,
            send_events: 0,
            writetimeout: Duration::from_millis(100),
            challenge: String::new(),
            filters: Filters::default(),
            session_tv: SystemTime::now(),
            chanvars: Vec::new(),
            managerid: 0,
        };
        let events = mgr.subscribe();
        let mut s = s;
        s.managerid = id;
        let shared = Arc::new(tokio::sync::Mutex::new(HttpSession {
            s,
            events,
            expires: Instant::now(),
            in_use: 0,
            destroyed: false,
            waiter: 0,
            nc: 0,
            nonce_time: Instant::now(),
            old_nonce: 0,
        }));
        self.map().insert(id, shared.clone());
        shared
    }

    fn destroy(&self, id: u32, sess: &HttpSession) {
        self.map().remove(&id);
        if !sess.s.authenticated {
            self.mgr.leave_unauthenticated();
        }
    }

    /// Ends the sessions whose time is up (`purge_sessions`).
    pub async fn purge(&self) {
        let all: Vec<(u32, Shared)> = self.map().iter().map(|(id, s)| (*id, s.clone())).collect();
        let now = Instant::now();
        for (id, shared) in all {
            let Ok(mut sess) = shared.try_lock() else {
                continue;
            };
            if sess.in_use > 0 || sess.expires > now {
                continue;
            }
            if sess.s.authenticated
                && self
                    .mgr
                    .sys
                    .loaded()
                    .manager
                    .user(&sess.s.username)
                    .is_none_or(|u| u.displayconnects)
            {
                self.mgr.sys.pbx.logger.verbose(
                    2,
                    crate::site!("manager.c", 7498, "purge_sessions"),
                    None,
                    &format!(
                        "HTTP Manager '{}' timed out from {}",
                        sess.s.username,
                        sess.s.peer.ip()
                    ),
                );
            }
            sess.destroyed = true;
            self.destroy(id, &sess);
        }
    }

    /// `astman_is_authed`: whether the session `id` names has logged in.
    pub async fn is_authed(&self, id: u32) -> bool {
        if id == 0 {
            return false;
        }
        let Some(shared) = self.map().get(&id).cloned() else {
            return false;
        };
        let sess = shared.lock().await;
        !sess.destroyed && sess.s.authenticated
    }

    /// Sessions alive now.
    pub fn count(&self) -> usize {
        self.map().len()
    }
}

/// `action_waitevent` on an HTTP session: waits (without holding the
/// session, so other requests on it go on) until an event is queued, the
/// session ends, a newer WaitEvent takes over, or the timeout passes; the
/// timeout never reaches past the session's expiry less 10 seconds.
async fn wait_event(shared: &Shared, timeout: Option<Duration>, head: Reply, tail: Reply) -> Reply {
    let me = {
        let mut sess = shared.lock().await;
        sess.waiter += 1;
        if sess.s.send_events == 0 {
            sess.s.send_events = u32::MAX;
        }
        sess.waiter
    };
    let max = {
        let sess = shared.lock().await;
        sess.expires
            .saturating_duration_since(Instant::now())
            .saturating_sub(Duration::from_secs(10))
    };
    let limit = timeout.map_or(max, |t| t.min(max));
    let until = Instant::now() + limit;
    loop {
        {
            let sess = shared.lock().await;
            if !sess.events.is_empty() || sess.destroyed || sess.waiter != me {
                break;
            }
        }
        let now = Instant::now();
        if now >= until {
            break;
        }
        tokio::time::sleep((until - now).min(Duration::from_millis(100))).await;
    }
    let mut sess = shared.lock().await;
    if sess.waiter != me {
        // A newer WaitEvent took over; this one answers nothing.
        return Reply::new();
    }
    let mut r = head;
    loop {
        match sess.events.try_recv() {
            Ok(ev) => {
                if wants(&sess.s, &ev) {
                    r.raw(&ev.text);
                }
            }
            // Events this session fell behind on are gone; go on.
            Err(broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    r.append(tail);
    r
}

/// Whether a queued event goes to the session (read classes, the
/// classes asked for, filters), as `process_events` checks.
fn wants(s: &Session, ev: &AmiEvent) -> bool {
    s.authenticated
        && s.readperm & ev.class == ev.class
        && s.send_events & ev.class == ev.class
        && s.filters.allows(&ev.name, &ev.text)
}

fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() as u32
}

/// `xml_copy_escape`: the five entities; in XML names (`name`) lower
/// case, anything not alphanumeric as `_`, and a leading digit after `_`.
fn copy_escape(out: &mut String, src: &str, name: bool) {
    for (i, c) in src.chars().enumerate() {
        if name {
            if i == 0 && c.is_ascii_digit() {
                out.push('_');
                out.push(c);
                continue;
            }
            if !c.is_ascii_alphanumeric() {
                out.push('_');
                continue;
            }
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '&' => out.push_str("&amp;"),
            c if name => out.push(c.to_ascii_lowercase()),
            c => out.push(c),
        }
    }
}

/// `xml_translate`: AMI text as HTML rows or XML elements. Each message
/// (lines up to a blank one) is one block; a line without a colon starts
/// `Opaque-data`, which runs to the end of the block; a name seen again in
/// a block gets `-<n>` after it.
pub fn translate(out: &mut String, input: &str, params: &[(String, String)], xml: bool) {
    let param = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let dest = param("ajaxdest").unwrap_or("unknown");
    let objtype = param("ajaxobjtype").unwrap_or("generic");
    let mut in_data = false;
    let mut counts: Option<HashMap<String, usize>> = None;
    let mut rest = input;
    while !rest.is_empty() {
        // A line ends at CR or LF; a CR LF pair is one end.
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        let raw = &rest[..end];
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix('\r') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
        let line = raw.trim_end_matches(|c: char| (c as u32) < 33);
        if line.is_empty() {
            if in_data {
                out.push_str(if xml { "'" } else { "</td></tr>\n" });
                in_data = false;
            }
            if counts.take().is_some() {
                out.push_str(if xml {
                    " /></response>\n"
                } else {
                    "<tr><td colspan=\"2\"><hr></td></tr>\r\n"
                });
            }
            continue;
        }
        let seen = counts.get_or_insert_with(|| {
            if xml {
                out.push_str(&format!("<response type='object' id='{dest}'><{objtype}"));
            }
            HashMap::new()
        });
        if in_data {
            out.push_str(if xml { "\n" } else { "<br>\n" });
            copy_escape(out, line, false);
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (
                n.trim_end_matches(|c: char| (c as u32) < 33),
                v.trim_start_matches(|c: char| (c as u32) < 33),
            ),
            None => {
                in_data = true;
                ("Opaque-data", line)
            }
        };
        out.push_str(if xml { " " } else { "<tr><td>" });
        let n = seen.entry(name.to_string()).or_insert(0);
        *n += 1;
        copy_escape(out, name, xml);
        if *n > 1 {
            out.push_str(&format!("-{n}"));
        }
        out.push_str(if xml { "='" } else { "</td><td>" });
        copy_escape(out, value, false);
        if !in_data || rest.is_empty() {
            out.push_str(if xml { "'" } else { "</td></tr>\n" });
        }
    }
    if counts.is_some() {
        out.push_str(if xml {
            " /></response>\n"
        } else {
            "<tr><td colspan=\"2\"><hr></td></tr>\r\n"
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(input: &str, params: &[(&str, &str)]) -> String {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut out = String::new();
        translate(&mut out, input, &params, true);
        out
    }

    #[test]
    fn xml_attributes() {
        assert_eq!(
            xml(
                "Response: Success\r\nActionID: p-1\r\nPing: Pong\r\n\r\n",
                &[("ajaxdest", "status"), ("ajaxobjtype", "pong")]
            ),
            "<response type='object' id='status'><pong response='Success' actionid='p-1' ping='Pong' /></response>\n"
        );
        assert_eq!(
            xml("Output: a'b\r\nOutput: \r\n1x-y: <v>\r\n\r\n", &[]),
            "<response type='object' id='unknown'><generic output='a&apos;b' output-2='' _1x_y='&lt;v&gt;' /></response>\n"
        );
        assert_eq!(xml("", &[]), "");
    }

    #[test]
    fn digest_headers() {
        let d = Digest::parse(
            "Digest username=\"admin\", realm=\"asterisk\", nonce=\"0a1b\", uri=\"/a?b=1,2\", qop=auth, nc=00000001, cnonce=\"c\", response=\"ff\", x-other=\"y\"",
        )
        .expect("digest");
        assert_eq!(d.username, "admin");
        assert_eq!(d.uri, "/a?b=1,2");
        assert_eq!(d.nc, "00000001");
        assert!(d.qop);
        assert_eq!(Digest::parse("Basic YWRtaW4="), None);
        // qop=auth without cnonce and nc is refused; so is another
        // algorithm.
        assert_eq!(
            Digest::parse("Digest username=a, realm=r, nonce=1, uri=/, response=x, qop=auth"),
            None
        );
        assert_eq!(
            Digest::parse(
                "Digest username=a, realm=r, nonce=1, uri=/, response=x, algorithm=SHA-256"
            ),
            None
        );
        assert!(Digest::parse("Digest username=a, realm=r, nonce=1, uri=/, response=x").is_some());
        assert_eq!(scan_hex("00000002"), Some(2));
        assert_eq!(scan_hex("zz"), None);
    }

    #[test]
    fn opaque_data_and_html() {
        assert_eq!(
            xml("Response: Follows\r\nfree text\r\nmore\r\n\r\n", &[]),
            "<response type='object' id='unknown'><generic response='Follows' opaque_data='free text\nmore' /></response>\n"
        );
        let mut out = String::new();
        translate(
            &mut out,
            "Response: Success\r\nMessage: a<b\r\n\r\n",
            &[],
            false,
        );
        assert_eq!(
            out,
            "<tr><td>Response</td><td>Success</td></tr>\n<tr><td>Message</td><td>a&lt;b</td></tr>\n<tr><td colspan=\"2\"><hr></td></tr>\r\n"
        );
    }
}
