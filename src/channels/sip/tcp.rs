//! SIP over TCP for the stack's task: one tokio task per connection frames
//! messages out of the byte stream (Content-Length, `parse_stream`) and
//! hands them to the stack's task, which owns the table of connections by
//! remote address and writes through it. Responses go back on the
//! connection their request came on (RFC 3261 §18.2.2) because that is the
//! request's source address; new requests to an address reuse its
//! connection, else one is opened.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::sip::message::{Message, parse_stream};

/// Connections one stack keeps open at once; more are refused at accept.
pub const MAX_CONNECTIONS: usize = 512;
/// A connection with no traffic either way for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A started message must be complete within this (chan_sip's default
/// `tcpauthtimeout`), so a client stalling mid-message cannot hold a slot.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an outbound connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What connection tasks tell the stack's task.
#[derive(Debug)]
pub enum ConnEvent {
    /// A connection is up; bytes for `peer` go to `writer`.
    Opened {
        peer: SocketAddr,
        id: u64,
        writer: mpsc::UnboundedSender<Vec<u8>>,
    },
    Message {
        from: SocketAddr,
        message: Message,
        /// The text of a message the SIP header functions may read.
        text: Option<Vec<u8>>,
    },
    Closed {
        peer: SocketAddr,
        id: u64,
    },
}

/// Why a connection was closed.
#[derive(Debug, thiserror::Error)]
enum CloseReason {
    #[error("closed by the peer")]
    Eof,
    #[error("idle for {0:?}")]
    Idle(Duration),
    #[error("incomplete message for {0:?}")]
    Stalled(Duration),
    #[error("unparsable stream: {0}")]
    Parse(#[from] crate::sip::message::ParseError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the stack is gone")]
    StackGone,
}

struct Conn {
    id: u64,
    writer: mpsc::UnboundedSender<Vec<u8>>,
}

/// The stack task's side: the open connections by remote address.
pub struct Connections {
    conns: HashMap<SocketAddr, Conn>,
    events: mpsc::Sender<ConnEvent>,
    live: Arc<AtomicUsize>,
    next_id: Arc<AtomicUsize>,
}

impl Connections {
    pub fn new(events: mpsc::Sender<ConnEvent>) -> Connections {
        Connections {
            conns: HashMap::new(),
            events,
            live: Arc::new(AtomicUsize::new(0)),
            next_id: Arc::new(AtomicUsize::new(1)),
        }
    }

    /// Whether a connection to `peer` is open (or being opened).
    pub fn has(&self, peer: SocketAddr) -> bool {
        self.conns.get(&peer).is_some_and(|c| !c.writer.is_closed())
    }

    /// Binds `addr` and accepts connections into this table.
    pub async fn listen(&mut self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        tokio::spawn(accept_loop(
            listener,
            self.events.clone(),
            self.live.clone(),
            self.next_id.clone(),
        ));
        Ok(local)
    }

    pub fn on_event(&mut self, ev: &ConnEvent) {
        match ev {
            ConnEvent::Opened { peer, id, writer } => {
                self.conns.insert(
                    *peer,
                    Conn {
                        id: *id,
                        writer: writer.clone(),
                    },
                );
            }
            ConnEvent::Closed { peer, id } => {
                if self.conns.get(peer).is_some_and(|c| c.id == *id) {
                    self.conns.remove(peer);
                }
            }
            ConnEvent::Message { .. } => {}
        }
    }

    /// Sends `bytes` to `to` over its connection, opening one if needed.
    pub fn send(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        if let Some(c) = self.conns.get(&to)
            && c.writer.send(bytes.clone()).is_ok()
        {
            return;
        }
        if self.live.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            tracing::warn!("SIP/TCP: not connecting to {to}: {MAX_CONNECTIONS} connections open");
            return;
        }
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) as u64;
        let (writer, queue) = mpsc::unbounded_channel();
        // Queued until the connection is up.
        let _ = writer.send(bytes);
        self.conns.insert(
            to,
            Conn {
                id,
                writer: writer.clone(),
            },
        );
        let events = self.events.clone();
        let guard = LiveGuard::new(self.live.clone());
        tokio::spawn(async move {
            let _guard = guard;
            match tokio::time::timeout(CONNECT_TIMEOUT, connect(to)).await {
                Ok(Ok(stream)) => serve(stream, to, id, queue, events).await,
                Ok(Err(e)) => {
                    tracing::warn!("SIP/TCP: connecting to {to} failed: {e}");
                    let _ = events.send(ConnEvent::Closed { peer: to, id }).await;
                }
                Err(_) => {
                    tracing::warn!("SIP/TCP: connecting to {to} timed out");
                    let _ = events.send(ConnEvent::Closed { peer: to, id }).await;
                }
            }
        });
    }
}

/// Connects from an ephemeral port, as both drivers do: a connecting
/// socket cannot share the listener's port on Linux.
async fn connect(to: SocketAddr) -> std::io::Result<TcpStream> {
    TcpStream::connect(to).await
}

/// Counts a connection task while it lives.
struct LiveGuard(Arc<AtomicUsize>);

impl LiveGuard {
    fn new(live: Arc<AtomicUsize>) -> LiveGuard {
        live.fetch_add(1, Ordering::SeqCst);
        LiveGuard(live)
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn accept_loop(
    listener: TcpListener,
    events: mpsc::Sender<ConnEvent>,
    live: Arc<AtomicUsize>,
    next_id: Arc<AtomicUsize>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: back off, do not spin.
                tracing::warn!("SIP/TCP: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if live.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            tracing::warn!(
                "SIP/TCP: refusing connection from {peer}: {MAX_CONNECTIONS} connections open"
            );
            drop(stream);
            continue;
        }
        let guard = LiveGuard::new(live.clone());
        let id = next_id.fetch_add(1, Ordering::SeqCst) as u64;
        let (writer, queue) = mpsc::unbounded_channel();
        if events
            .send(ConnEvent::Opened { peer, id, writer })
            .await
            .is_err()
        {
            return;
        }
        let events = events.clone();
        tokio::spawn(async move {
            let _guard = guard;
            serve(stream, peer, id, queue, events).await;
        });
    }
}

/// Reads and writes one connection until it ends, then says so.
async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    queue: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::Sender<ConnEvent>,
) {
    let reason = pump(stream, peer, queue, &events).await;
    match &reason {
        CloseReason::Eof | CloseReason::StackGone => {
            tracing::debug!("SIP/TCP: connection with {peer} {reason}")
        }
        _ => tracing::warn!("SIP/TCP: closing connection with {peer}: {reason}"),
    }
    let _ = events.send(ConnEvent::Closed { peer, id }).await;
}

async fn pump(
    mut stream: TcpStream,
    peer: SocketAddr,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
    events: &mpsc::Sender<ConnEvent>,
) -> CloseReason {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 16384];
    let mut last_traffic = tokio::time::Instant::now();
    // When the unfinished message in `buf` began.
    let mut partial_since: Option<tokio::time::Instant> = None;
    loop {
        let deadline = match partial_since {
            Some(t) => (t + STALL_TIMEOUT).min(last_traffic + IDLE_TIMEOUT),
            None => last_traffic + IDLE_TIMEOUT,
        };
        tokio::select! {
            r = stream.read(&mut chunk) => {
                let n = match r {
                    Ok(0) => return CloseReason::Eof,
                    Ok(n) => n,
                    Err(e) => return e.into(),
                };
                last_traffic = tokio::time::Instant::now();
                buf.extend_from_slice(&chunk[..n]);
                let mut parsed = false;
                loop {
                    match parse_stream(&buf) {
                        Ok(Some((message, used))) => {
                            let text = super::callheaders::text_wanted(&message).then(|| {
                                let raw = &buf[..used.min(buf.len())];
                                let start = raw
                                    .iter()
                                    .position(|b| !b.is_ascii_whitespace())
                                    .unwrap_or(raw.len());
                                raw[start..].to_vec()
                            });
                            buf.drain(..used.min(buf.len()));
                            parsed = true;
                            if events.send(ConnEvent::Message { from: peer, message, text }).await.is_err() {
                                return CloseReason::StackGone;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => return e.into(),
                    }
                }
                // Keep-alive CRLFs alone are no message in progress.
                if buf.iter().all(|b| b.is_ascii_whitespace()) {
                    buf.clear();
                    partial_since = None;
                } else if parsed || partial_since.is_none() {
                    partial_since = Some(last_traffic);
                }
            }
            out = queue.recv() => {
                let Some(bytes) = out else { return CloseReason::StackGone };
                if let Err(e) = stream.write_all(&bytes).await {
                    return e.into();
                }
                last_traffic = tokio::time::Instant::now();
            }
            _ = tokio::time::sleep_until(deadline) => {
                return match partial_since {
                    Some(t) if t + STALL_TIMEOUT <= tokio::time::Instant::now() => {
                        CloseReason::Stalled(STALL_TIMEOUT)
                    }
                    _ => CloseReason::Idle(IDLE_TIMEOUT),
                };
            }
        }
    }
}
