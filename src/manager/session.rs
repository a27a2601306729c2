//! One AMI connection (`session_do`): the banner, reading lines into
//! messages, running actions, and delivering the events this session may
//! see between them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::broadcast;

use super::filter::Filters;
use super::message::{Message, Reply};
use super::security::{self, Common, Kind};
use super::{AMI_VERSION, Manager, SessionInfo, actions};

/// Asterisk reads into a 1025-byte buffer; a longer line is an error.
const MAX_LINE: usize = 1024;

/// What one connection knows about itself.
pub struct Session {
    pub mgr: Arc<Manager>,
    pub info: Arc<SessionInfo>,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub authenticated: bool,
    pub username: String,
    pub readperm: u32,
    pub writeperm: u32,
    /// Classes the client asked for (`Events:`), all at first.
    pub send_events: u32,
    pub writetimeout: Duration,
    /// The MD5 challenge handed out, if any.
    pub challenge: String,
    pub filters: Filters,
    pub session_tv: SystemTime,
    /// What Asterisk prints as the session pointer (`SessionID`).
    pub session_id: String,
    /// Variables to set on channels this session originates (`setvar`).
    pub chanvars: Vec<(String, String)>,
    /// The `mansession_id` of an HTTP session; 0 on a TCP connection.
    pub managerid: u32,
}

/// What an action asks the session to do next.
pub enum Flow {
    /// Send the reply and go on.
    Reply(Reply),
    /// Send the reply and close the connection.
    Close(Reply),
    /// WaitEvent: wait until an event is queued, the client sends more,
    /// or the timeout passes (None: no limit), then answer `head`, the
    /// queued events this session may see, and `tail`.
    WaitEvent {
        timeout: Option<Duration>,
        head: Reply,
        tail: Reply,
    },
}

impl Session {
    pub fn sys(&self) -> &Arc<crate::core::System> {
        &self.mgr.sys
    }

    fn common(&self) -> Common<'_> {
        Common {
            service: "AMI",
            transport: "TCP",
            account: Some(&self.username),
            session_id: &self.session_id,
            local: self.local,
            remote: self.peer,
            session_tv: Some(self.session_tv),
        }
    }

    /// Raises a security event about this session.
    pub fn security(&self, account: Option<&str>, kind: Kind<'_>) {
        let mut c = self.common();
        if account.is_some() {
            c.account = account;
        }
        let (name, body) = security::event(&c, kind);
        self.mgr.event(super::class::SECURITY, name, &body);
    }

    /// `set_eventmask`; returns the mask asked for (None when the header
    /// was empty and nothing changed).
    pub fn set_eventmask(&mut self, mask: &str) -> Option<u32> {
        let m = super::strings_to_mask(mask);
        if let Some(m) = m {
            self.send_events = m;
        }
        m
    }

    fn wants(&self, ev: &super::AmiEvent) -> bool {
        self.authenticated
            && self.readperm & ev.class == ev.class
            && self.send_events & ev.class == ev.class
            && self.filters.allows(&ev.name, &ev.text)
    }
}

/// Serves one connection until it closes.
pub async fn serve(mgr: Arc<Manager>, stream: TcpStream, peer: SocketAddr) {
    let fd = {
        use std::os::fd::AsRawFd as _;
        stream.as_raw_fd()
    };
    let Some(info) = mgr.register_session(peer, fd) else {
        // Over `authlimit`: Asterisk drops the connection unanswered.
        return;
    };
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().unwrap_or(peer);
    let (mut reader, mut writer) = stream.into_split();
    let general = mgr.sys.loaded().manager.general.clone();
    let mut s = Session {
        info: info.clone(),
        local,
        peer,
        authenticated: false,
        username: String::new(),
        readperm: 0,
        writeperm: 0,
        send_events: u32::MAX,
        writetimeout: Duration::from_millis(100),
        challenge: String::new(),
        filters: Filters::default(),
        session_tv: SystemTime::now(),
        session_id: format!("0x{:x}", 0x7f00_0000_0000u64 + info.id * 0x1000),
        chanvars: Vec::new(),
        managerid: 0,
        mgr: mgr.clone(),
    };
    let mut events = mgr.subscribe();
    let auth_deadline = Instant::now() + Duration::from_secs(u64::from(general.authtimeout));
    let banner = format!("Asterisk Call Manager/{AMI_VERSION}\r\n");
    if writer.write_all(banner.as_bytes()).await.is_err() {
        mgr.leave_unauthenticated();
        return;
    }
    let mut input: Vec<u8> = Vec::new();
    let mut msg = Message::new();
    let mut too_many = false;
    let mut line_too_long = false;
    let mut buf = [0u8; 4096];
    let mut kicked = false;
    'session: loop {
        tokio::select! {
            biased;
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if s.wants(&ev) && !write(&mut writer, &crate::core::raw::encode(&ev.text), s.writetimeout).await {
                        break 'session;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    if s.authenticated {
                        lagged(&s, peer, n);
                        kicked = true;
                        break 'session;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break 'session,
            },
            r = reader.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => break 'session,
                    Ok(n) => n,
                };
                input.extend_from_slice(&buf[..n]);
                while let Some((line, used)) = take_line(&input) {
                    input.drain(..used);
                    if line.is_empty() {
                        let m = std::mem::take(&mut msg);
                        let flow = if too_many {
                            Flow::Reply(Reply::error(&m, "Too many lines in message or allocation failure"))
                        } else if line_too_long {
                            Flow::Reply(Reply::error(&m, "Failed to parse message: line too long"))
                        } else {
                            actions::process(&mut s, &m).await
                        };
                        too_many = false;
                        line_too_long = false;
                        let (reply, close) = match flow {
                            Flow::Reply(r) => (r, false),
                            Flow::Close(r) => (r, true),
                            Flow::WaitEvent { timeout, head, tail } => {
                                match wait_event(&mut events, &reader, timeout).await {
                                    Ok(queued) => {
                                        let mut r = head;
                                        for ev in queued.iter().filter(|ev| s.wants(ev)) {
                                            r.raw(&ev.text);
                                        }
                                        r.append(tail);
                                        (r, false)
                                    }
                                    Err(why) => {
                                        kicked = why.is_some();
                                        if let Some(why) = why {
                                            lagged(&s, peer, why);
                                        }
                                        break 'session;
                                    }
                                }
                            }
                        };
                        if !reply.as_str().is_empty()
                            && !write(&mut writer, &crate::core::raw::encode(reply.as_str()), s.writetimeout).await
                        {
                            break 'session;
                        }
                        if close {
                            break 'session;
                        }
                    } else if !msg.push(line) {
                        too_many = true;
                    }
                }
                if input.len() >= MAX_LINE {
                    // No line end in a full buffer: the line is too long.
                    // Keep the last byte in case it starts a CRLF.
                    s.mgr.sys.pbx.logger.warning(
                        crate::site!("manager.c", 7207, "get_input"),
                        None,
                        &format!(
                            "Discarding message from {}. Line too long: {:.25}...",
                            peer.ip(),
                            crate::core::raw::decode(&input)
                        ),
                    );
                    let last = input[input.len() - 1];
                    input.clear();
                    input.push(last);
                    line_too_long = true;
                }
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(auth_deadline)), if !s.authenticated => {
                if general.displayconnects {
                    s.mgr.sys.pbx.logger.verbose(
                        2,
                        crate::site!("manager.c", 7324, "do_message"),
                        None,
                        &format!(
                            "Client from {}, failed to authenticate in {} seconds",
                            peer.ip(),
                            general.authtimeout
                        ),
                    );
                }
                break 'session;
            }
        }
    }
    if s.authenticated {
        if s.mgr
            .sys
            .loaded()
            .manager
            .user(&s.username)
            .is_none_or(|u| u.displayconnects)
        {
            s.mgr.sys.pbx.logger.verbose(
                2,
                crate::site!("manager.c", 7457, "session_do"),
                None,
                &format!(
                    "Manager '{}' {} from {}",
                    s.username,
                    if kicked { "kicked" } else { "logged off" },
                    peer.ip()
                ),
            );
        }
    } else {
        mgr.leave_unauthenticated();
        if general.displayconnects {
            s.mgr.sys.pbx.logger.verbose(
                2,
                crate::site!("manager.c", 7462, "session_do"),
                None,
                &format!(
                    "Connect attempt from '{}' unable to authenticate",
                    peer.ip()
                ),
            );
        }
    }
    let _ = writer.shutdown().await;
}

fn lagged(s: &Session, peer: SocketAddr, n: u64) {
    s.mgr.sys.pbx.logger.warning(
        crate::site!("manager.c", 0, "session_do"),
        None,
        &format!(
            "Manager session from {} fell {n} events behind; disconnecting",
            peer.ip()
        ),
    );
}

/// WaitEvent's wait (`action_waitevent` on a TCP session): returns once
/// an event is queued for the session (whether or not it may see it), new
/// input is waiting on the socket, or `timeout` has passed, with every
/// event queued by then. Err when the session must end: the event ring
/// closed (None) or the session fell this many events behind.
async fn wait_event(
    events: &mut broadcast::Receiver<Arc<super::AmiEvent>>,
    reader: &tokio::net::tcp::OwnedReadHalf,
    timeout: Option<Duration>,
) -> Result<Vec<Arc<super::AmiEvent>>, Option<u64>> {
    let mut queued = Vec::new();
    if events.is_empty() && timeout != Some(Duration::ZERO) {
        let limit = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => queued.push(ev),
                Err(broadcast::error::RecvError::Lagged(n)) => return Err(Some(n)),
                Err(broadcast::error::RecvError::Closed) => return Err(None),
            },
            _ = reader.readable() => {}
            _ = limit => {}
        }
    }
    loop {
        match events.try_recv() {
            Ok(ev) => queued.push(ev),
            Err(broadcast::error::TryRecvError::Empty) => return Ok(queued),
            Err(broadcast::error::TryRecvError::Lagged(n)) => return Err(Some(n)),
            Err(broadcast::error::TryRecvError::Closed) => return Err(None),
        }
    }
}

/// Marks the session logged in (after Login succeeded).
pub fn logged_in(s: &mut Session) {
    s.authenticated = true;
    s.mgr.leave_unauthenticated();
    match s.info.user.lock() {
        Ok(mut g) => *g = Some(s.username.clone()),
        Err(p) => *p.into_inner() = Some(s.username.clone()),
    }
    s.info.readperm.store(s.readperm, Ordering::SeqCst);
    s.info.writeperm.store(s.writeperm, Ordering::SeqCst);
}

/// Writes within the session's write timeout; false if the client did
/// not take the data in time (Asterisk then ends the session).
async fn write(w: &mut OwnedWriteHalf, bytes: &[u8], timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout.max(Duration::from_millis(100)), w.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

/// The next line (CRLF or LF ends it, as `get_input` accepts both), with
/// how many bytes it used. Bytes after a NUL are ignored, as in C.
fn take_line(input: &[u8]) -> Option<(String, usize)> {
    let nl = input.iter().position(|&b| b == b'\n')?;
    let mut end = nl;
    if end > 0 && input[end - 1] == b'\r' {
        end -= 1;
    }
    let mut line = &input[..end];
    if let Some(z) = line.iter().position(|&b| b == 0) {
        line = &line[..z];
    }
    Some((crate::core::raw::decode(line).into_owned(), nl + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_with_crlf_or_lf() {
        assert_eq!(
            take_line(b"Action: Ping\r\nx"),
            Some(("Action: Ping".into(), 14))
        );
        assert_eq!(take_line(b"a\nb"), Some(("a".into(), 2)));
        assert_eq!(take_line(b"\r\n"), Some((String::new(), 2)));
        assert_eq!(take_line(b"partial"), None);
    }
}
