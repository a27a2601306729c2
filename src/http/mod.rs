//! The built-in HTTP server (`main/http.c`): started when http.conf
//! enables it, rebound when a reload moves it, serving `/<prefix>/` with
//! the status page and, when manager.conf has `webenabled`, AMI over HTTP
//! (`/rawman`, `/manager`, `/mxml`; see [`crate::manager::http`]), and
//! `/static/` when `enablestatic` is on. With `tlsenable` the same URIs
//! are served over TLS (tokio-rustls) on a second listener.
//!
//! Requests are read by the socket-free parser in [`request`] and answered
//! in Asterisk's exact framing by [`response`]. No general HTTP library is
//! used: one would spell and order the header lines its own way and answer
//! malformed requests with its own pages, where clients and tests written
//! against Asterisk expect Asterisk's bytes.

pub mod request;
pub mod response;
pub mod static_files;
pub mod tls;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::System;
use crate::manager::Manager;
use crate::manager::http::{Ajam, DigestRefusal, Format};
use crate::version::ASTERISK_VERSION;
use request::{BodyKind, HeadParser, Method, RequestError, RequestHead};
use response::Response;

/// Asterisk waits at least this long for a connection's first request.
const MIN_INITIAL_REQUEST_TIMEOUT: Duration = Duration::from_millis(10_000);
/// However slowly a peer sends, one request (head and body) must arrive
/// within this long. Asterisk only limits the pause between two reads,
/// which lets a peer sending a byte at a time hold a session for hours.
const REQUEST_DEADLINE: Duration = Duration::from_secs(60);
/// An unread body larger than this is not drained: the connection closes.
const MAX_DISCARD: u64 = 1024 * 1024;

/// A connection's byte stream: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTPS address while a TLS listener is set up (what `http show
/// status` prints), process-wide like Asterisk's single HTTPS server.
static HTTPS_BOUND: Mutex<Option<String>> = Mutex::new(None);

/// Where the HTTPS server is bound, when its certificate loaded.
pub fn https_bound() -> Option<String> {
    match HTTPS_BOUND.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

fn set_https_bound(v: Option<String>) {
    match HTTPS_BOUND.lock() {
        Ok(mut g) => *g = v,
        Err(p) => *p.into_inner() = v,
    }
}

/// The running server: at most one plain listener and one TLS listener,
/// each swapped on reload.
pub struct HttpServer {
    sys: Arc<System>,
    ajam: Arc<Ajam>,
    bound: Mutex<Option<Bound>>,
    /// The TLS listener, keyed by its address and certificate files.
    tls_bound: Mutex<Option<Bound>>,
    /// Connections open now (`session_count`).
    active: AtomicUsize,
}

struct Bound {
    /// The address as http.conf asked for it.
    wanted: String,
    task: JoinHandle<()>,
}

impl Drop for Bound {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the server as http.conf says, and follows reloads.
pub async fn start(sys: &Arc<System>, mgr: &Arc<Manager>) -> Arc<HttpServer> {
    let srv = Arc::new(HttpServer {
        sys: sys.clone(),
        ajam: Ajam::new(mgr.clone()),
        bound: Mutex::new(None),
        tls_bound: Mutex::new(None),
        active: AtomicUsize::new(0),
    });
    srv.apply().await;
    let mut reloads = sys.reloads.subscribe();
    let weak = Arc::downgrade(&srv);
    tokio::spawn(async move {
        while reloads.changed().await.is_ok() {
            let Some(srv) = weak.upgrade() else { return };
            srv.apply().await;
        }
    });
    let weak = Arc::downgrade(&srv);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Some(srv) = weak.upgrade() else { return };
            srv.ajam.purge().await;
        }
    });
    srv
}

impl HttpServer {
    /// The address the listener is bound to now.
    pub fn local_addr(&self) -> Option<String> {
        self.lock_bound().as_ref().map(|b| b.wanted.clone())
    }

    fn lock_bound(&self) -> std::sync::MutexGuard<'_, Option<Bound>> {
        crate::core::lock(&self.bound)
    }

    fn lock_tls(&self) -> std::sync::MutexGuard<'_, Option<Bound>> {
        crate::core::lock(&self.tls_bound)
    }

    /// Binds `addr` and hands each accepted connection (with its peer) to
    /// `accepted` while the server lives; `None` (logged as Asterisk logs
    /// it) when the address cannot be bound.
    async fn listen(
        self: &Arc<Self>,
        addr: &str,
        scheme: &str,
        accepted: impl Fn(Arc<Self>, tokio::net::TcpStream, SocketAddr) + Send + 'static,
    ) -> Option<JoinHandle<()>> {
        let listener = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                self.sys.pbx.logger.error(
                    crate::site!("tcptls.c", 877, "ast_tcptls_server_start"),
                    None,
                    &format!("Unable to bind {scheme} server to {addr}: {e}"),
                );
                return None;
            }
        };
        tracing::info!("{} server bound to {addr}", scheme.to_ascii_uppercase());
        let me = Arc::downgrade(self);
        let scheme = scheme.to_ascii_uppercase();
        Some(tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let Some(srv) = me.upgrade() else { return };
                        let _ = stream.set_nodelay(true);
                        accepted(srv, stream, peer);
                    }
                    Err(e) => {
                        tracing::warn!("accept on the {scheme} port failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }))
    }

    /// Sets up, moves or stops the TLS listener to match http.conf. A
    /// certificate that does not load is logged as Asterisk logs it and
    /// leaves the plain server alone.
    async fn apply_tls(self: &Arc<Self>) {
        let http = self.sys.loaded().http.clone();
        let addr = http.tls_address();
        let key = addr.as_ref().map(|a| {
            format!(
                "{a} {} {}",
                http.tls_certfile,
                http.tls_privatekey.as_deref().unwrap_or("")
            )
        });
        if self.lock_tls().as_ref().map(|b| &b.wanted) == key.as_ref() && key.is_some() {
            return;
        }
        *self.lock_tls() = None;
        set_https_bound(None);
        let (Some(addr), Some(key)) = (addr, key) else {
            return;
        };
        let config = match tls::server_config(&http.tls_certfile, http.tls_privatekey.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                let log = &self.sys.pbx.logger;
                log.error(crate::site!("tcptls.c", 0, "__ssl_setup"), None, &e.message);
                log.error(crate::site!("tcptls.c", 0, "__ssl_setup"), None, &e.detail);
                return;
            }
        };
        self.sys.pbx.logger.verbose(
            2,
            crate::site!("tcptls.c", 571, "__ssl_setup"),
            None,
            "TLS/SSL certificate ok",
        );
        set_https_bound(Some(addr.clone()));
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let task = self
            .listen(&addr, "https", move |srv, stream, peer| {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let local = stream.local_addr().unwrap_or(peer);
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => srv.serve(Box::new(tls), peer, local).await,
                        _ => srv.sys.pbx.logger.error(
                            crate::site!("tcptls.c", 179, "handle_tcptls_connection"),
                            None,
                            &format!("Unable to set up ssl connection with peer '{peer}'"),
                        ),
                    }
                });
            })
            .await;
        let Some(task) = task else {
            return;
        };
        *self.lock_tls() = Some(Bound { wanted: key, task });
    }

    /// Binds, rebinds or stops the listener to match the live http.conf.
    /// Connections already open are left to finish.
    async fn apply(self: &Arc<Self>) {
        self.apply_plain().await;
        self.apply_tls().await;
    }

    async fn apply_plain(self: &Arc<Self>) {
        let wanted = self.sys.loaded().http.bound_address();
        if self.lock_bound().as_ref().map(|b| &b.wanted) == wanted.as_ref() {
            return;
        }
        *self.lock_bound() = None;
        let Some(addr) = wanted else {
            tracing::info!("HTTP server disabled");
            return;
        };
        let task = self
            .listen(&addr, "http", |srv, stream, peer| {
                let local = stream.local_addr().unwrap_or(peer);
                tokio::spawn(async move { srv.serve(Box::new(stream), peer, local).await });
            })
            .await;
        let Some(task) = task else {
            return;
        };
        *self.lock_bound() = Some(Bound { wanted: addr, task });
    }

    /// One connection (`httpd_helper_thread`): requests one after another
    /// while keep-alive allows.
    async fn serve(self: Arc<Self>, stream: Box<dyn Io>, peer: SocketAddr, local: SocketAddr) {
        let http = self.sys.loaded().http.clone();
        let limit = usize::try_from(http.sessionlimit).unwrap_or(usize::MAX);
        if self.active.fetch_add(1, Ordering::SeqCst) >= limit {
            self.active.fetch_sub(1, Ordering::SeqCst);
            self.sys.pbx.logger.warning(
                crate::site!("http.c", 2093, "httpd_helper_thread"),
                None,
                &format!("HTTP session count exceeded {limit} sessions."),
            );
            return;
        }
        let mut conn = Conn {
            stream,
            buf: Vec::new(),
            peer,
            local,
        };
        let ms = |v: i64| Duration::from_millis(u64::try_from(v).unwrap_or(0));
        let mut idle = if http.session_keep_alive > 0 {
            ms(http.session_keep_alive)
        } else {
            ms(http.session_inactivity)
        }
        .max(MIN_INITIAL_REQUEST_TIMEOUT);
        loop {
            let keep = self.request(&mut conn, idle).await;
            let keep_alive = self.sys.loaded().http.session_keep_alive;
            if !keep || keep_alive <= 0 {
                break;
            }
            idle = ms(keep_alive);
        }
        let _ = conn.stream.shutdown().await;
        self.active.fetch_sub(1, Ordering::SeqCst);
    }

    /// Reads and answers one request (`httpd_process_request`); false when
    /// the connection must close.
    async fn request(&self, conn: &mut Conn, idle: Duration) -> bool {
        let http = self.sys.loaded().http.clone();
        let server = server_name(&http);
        let inactivity = Duration::from_millis(u64::try_from(http.session_inactivity).unwrap_or(0));
        let head = match conn.read_head(idle, inactivity).await {
            Ok(Some(h)) => h,
            Ok(None) => return false,
            Err(e) => {
                let (code, title) = e.status();
                conn.send(
                    &server,
                    Response::error(&server, code, title, &e.to_string()),
                    true,
                    false,
                )
                .await;
                return false;
            }
        };
        if self.sys.stop_requested().is_some() {
            let page = Response::error(&server, 503, "Service Unavailable", "Shutdown in progress");
            conn.send(&server, page, true, false).await;
            return false;
        }
        let kind = match head.body_kind() {
            Ok(k) => k,
            Err(e) => {
                let (code, title) = e.status();
                conn.send(
                    &server,
                    Response::error(&server, code, title, &e.to_string()),
                    true,
                    false,
                )
                .await;
                return false;
            }
        };
        let mut body = Body {
            kind,
            read: false,
            inactivity,
            deadline: Instant::now() + REQUEST_DEADLINE,
        };
        let resp = self.route(&head, conn, &mut body, &server).await;
        let mut close = resp.close || head.wants_close() || http.session_keep_alive <= 0;
        if !close && !body.read && body.kind != BodyKind::None {
            close = conn.discard(&mut body).await.is_err();
        }
        let head_only = head.method == Method::Head;
        conn.send(&server, resp, close, head_only).await && !close
    }

    /// `handle_uri`: path restrictions, redirects, then the handlers
    /// under the prefix.
    async fn route(
        &self,
        head: &RequestHead,
        conn: &mut Conn,
        body: &mut Body,
        server: &str,
    ) -> Response {
        let loaded = self.sys.loaded();
        let http = &loaded.http;
        let path = head.path();
        for r in &http.restrictions {
            if path.starts_with(r.path.as_str())
                && !r.acl.is_empty()
                && !r.acl.allows(conn.peer.ip())
            {
                return Response::error(server, 403, "Forbidden", "Access denied by ACL").closing();
            }
        }
        if let Some(r) = http
            .redirects
            .iter()
            .find(|r| r.target.eq_ignore_ascii_case(path))
        {
            return Response::redirect(&r.dest);
        }
        let mgr = &loaded.manager.general;
        let mut uris: Vec<(&str, Handler)> = Vec::new();
        if http.enable_status {
            uris.push(("httpstatus", Handler::Status));
        }
        if http.enable_static {
            uris.push(("static", Handler::Static));
        }
        if mgr.enabled && mgr.webenabled {
            uris.push(("manager", Handler::Manager(Format::Html)));
            uris.push(("rawman", Handler::Manager(Format::Raw)));
            uris.push(("mxml", Handler::Manager(Format::Xml)));
            uris.push(("amanager", Handler::Digest(Format::Html)));
            uris.push(("arawman", Handler::Digest(Format::Raw)));
            uris.push(("amxml", Handler::Digest(Format::Xml)));
        }
        let handler = path
            .get(..http.prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(&http.prefix))
            .and_then(|_| path[http.prefix.len()..].strip_prefix('/'))
            .and_then(|rest| {
                uris.iter().find_map(|(uri, h)| {
                    let tail = rest
                        .get(..uri.len())
                        .filter(|p| p.eq_ignore_ascii_case(uri))?;
                    let after = &rest[tail.len()..];
                    if matches!(h, Handler::Static) {
                        // A subtree: `<uri>` or `<uri>/<anything>`.
                        return (after.is_empty() || after.starts_with('/'))
                            .then(|| (*h, after.get(1..).unwrap_or("")));
                    }
                    // Only `<uri>` and `<uri>/` match.
                    (after.is_empty() || after == "/").then_some((*h, ""))
                })
            });
        match handler {
            None => Response::error(
                server,
                404,
                "Not Found",
                "The requested URL was not found on this server.",
            ),
            Some((Handler::Static, uri)) => {
                let uri =
                    String::from_utf8_lossy(&request::uri_decode(uri.as_bytes())).into_owned();
                self.static_file(head, &uri, server).await
            }
            Some((Handler::Status, _)) => self.status_page(head, server),
            Some((Handler::Manager(format), _)) => {
                self.manager(head, conn, body, server, format).await
            }
            Some((Handler::Digest(format), _)) => {
                self.digest(head, conn, body, server, format).await
            }
        }
    }

    /// `static_callback`: `uri` is the decoded path after `static/`.
    async fn static_file(&self, head: &RequestHead, uri: &str, server: &str) -> Response {
        if !matches!(head.method, Method::Get | Method::Head) {
            return not_implemented(server);
        }
        let path = match static_files::locate(&self.sys.conf.dirs.data, uri, server) {
            Ok(p) => p,
            Err(page) => return page,
        };
        let access =
            if static_files::is_private(&path) && self.ajam.is_authed(cookie_id(head)).await {
                static_files::Access::Authed
            } else {
                static_files::Access::NotAuthed
            };
        static_files::serve(
            head.method,
            &path,
            uri,
            head.header("If-None-Match"),
            access,
            server,
        )
        .await
    }

    /// `httpstatus_callback`.
    fn status_page(&self, head: &RequestHead, server: &str) -> Response {
        if !matches!(head.method, Method::Get | Method::Head) {
            return not_implemented(server);
        }
        let loaded = self.sys.loaded();
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut out = String::from(
            "<html><title>Asterisk HTTP Status</title>\r\n\
             <body bgcolor=\"#ffffff\">\r\n\
             <table bgcolor=\"#f1f1f1\" align=\"center\"><tr><td bgcolor=\"#e0e0ff\" colspan=\"2\" width=\"500\">\r\n\
             <h2>&nbsp;&nbsp;Asterisk&trade; HTTP Status</h2></td></tr>\r\n",
        );
        out.push_str(&format!(
            "<tr><td><i>Server</i></td><td><b>{server}</b></td></tr>\r\n"
        ));
        out.push_str(&format!(
            "<tr><td><i>Prefix</i></td><td><b>{}</b></td></tr>\r\n",
            loaded.http.prefix
        ));
        if let Some(sa) = self.local_addr().and_then(|a| a.parse::<SocketAddr>().ok()) {
            let ip = match sa {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            };
            out.push_str(&format!(
                "<tr><td><i>Bind Address</i></td><td><b>{ip}</b></td></tr>\r\n"
            ));
            out.push_str(&format!(
                "<tr><td><i>Bind Port</i></td><td><b>{}</b></td></tr>\r\n",
                sa.port()
            ));
        }
        if let Some(sa) = https_bound().and_then(|a| a.parse::<SocketAddr>().ok()) {
            out.push_str(&format!(
                "<tr><td><i>SSL Bind Port</i></td><td><b>{}</b></td></tr>\r\n",
                sa.port()
            ));
        }
        out.push_str("<tr><td colspan=\"2\"><hr></td></tr>\r\n");
        for (n, v) in head.query() {
            out.push_str(&format!(
                "<tr><td><i>Submitted GET Variable '{}'</i></td><td>{}</td></tr>\r\n",
                esc(&n),
                esc(&v)
            ));
        }
        out.push_str("<tr><td colspan=\"2\"><hr></td></tr>\r\n");
        for (n, v) in head.cookies() {
            out.push_str(&format!(
                "<tr><td><i>Cookie '{}'</i></td><td>{}</td></tr>\r\n",
                esc(&n),
                esc(&v)
            ));
        }
        out.push_str("</table><center><font size=\"-1\"><i>Asterisk and Digium are registered trademarks of Digium, Inc.</i></font></center></body></html>\r\n");
        Response::ok(String::new(), out)
    }

    /// The request's parameters: the form body of a POST (none unless
    /// it is a form), else the query string.
    async fn params(
        &self,
        head: &RequestHead,
        conn: &mut Conn,
        body: &mut Body,
        server: &str,
    ) -> Result<Vec<(String, String)>, Response> {
        if head.method != Method::Post {
            return Ok(head.query());
        }
        let is_form = head
            .content_type()
            .is_some_and(|t| t.eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !is_form || body.kind == BodyKind::None {
            return Ok(Vec::new());
        }
        match conn.read_body(body).await {
            Ok(bytes) => Ok(request::parse_form(&bytes)),
            Err(e) => {
                let (code, title) = e.status();
                Err(Response::error(server, code, title, &e.to_string()).closing())
            }
        }
    }

    /// `auth_http_callback`'s HTTP side.
    async fn digest(
        &self,
        head: &RequestHead,
        conn: &mut Conn,
        body: &mut Body,
        server: &str,
        format: Format,
    ) -> Response {
        let method = match head.method {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            _ => return not_implemented(server),
        };
        let session = match self
            .ajam
            .digest_session(method, head.header("Authorization"), conn.peer, conn.local)
            .await
        {
            Ok(s) => s,
            Err(DigestRefusal::Forbidden) => {
                return Response::error(server, 403, "Permission denied", "Permission denied")
                    .closing();
            }
            Err(DigestRefusal::Challenge {
                realm,
                nonce,
                stale,
            }) => return Response::auth(server, &realm, nonce, stale),
        };
        let params = match self.params(head, conn, body, server).await {
            Ok(p) => p,
            Err(page) => return page,
        };
        match self.ajam.handle_digest(session, format, &params).await {
            Ok((headers, text)) => {
                Response::ok(headers, crate::core::raw::encode(&text).into_owned())
            }
            Err(DigestRefusal::Challenge {
                realm,
                nonce,
                stale,
            }) => Response::auth(server, &realm, nonce, stale),
            Err(DigestRefusal::Forbidden) => {
                Response::error(server, 403, "Permission denied", "Permission denied").closing()
            }
        }
    }

    /// `generic_http_callback`'s HTTP side: the method, the parameters
    /// (query string, or the form body of a POST), then the manager.
    async fn manager(
        &self,
        head: &RequestHead,
        conn: &mut Conn,
        body: &mut Body,
        server: &str,
        format: Format,
    ) -> Response {
        if !matches!(head.method, Method::Get | Method::Head | Method::Post) {
            return not_implemented(server);
        }
        let params = match self.params(head, conn, body, server).await {
            Ok(p) => p,
            Err(page) => return page,
        };
        let cookie = cookie_id(head);
        let (headers, text) = self
            .ajam
            .handle(format, &params, cookie, conn.peer, conn.local)
            .await;
        Response::ok(headers, crate::core::raw::encode(&text).into_owned())
    }
}

#[derive(Debug, Clone, Copy)]
enum Handler {
    Status,
    /// `/static/...`: files under `<astdatadir>/static-http`.
    Static,
    Manager(Format),
    /// `/amanager`, `/arawman`, `/amxml`: the same with HTTP digest
    /// authentication instead of Login.
    Digest(Format),
}

/// `ast_http_manid_from_vars`: the `mansession_id` cookie as a number.
fn cookie_id(head: &RequestHead) -> u32 {
    head.cookies()
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("mansession_id"))
        .map(|(_, v)| scan_hex(&v))
        .unwrap_or(0)
}

fn not_implemented(server: &str) -> Response {
    Response::error(
        server,
        501,
        "Not Implemented",
        "Attempt to use unimplemented / unsupported method",
    )
}

/// The `Server:` value: `servername`, else `Asterisk/<version>`.
pub fn server_name(http: &crate::config::views::http::HttpConf) -> String {
    http.servername
        .clone()
        .unwrap_or_else(|| format!("Asterisk/{ASTERISK_VERSION}"))
}

/// `sscanf("%30x")` of a cookie value: leading hex digits, 0 without.
fn scan_hex(s: &str) -> u32 {
    let t = s.trim_start();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let end = t
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(t.len())
        .min(30);
    // Like C's unsigned conversion, keep the low 32 bits.
    t[..end].chars().fold(0u32, |acc, c| {
        acc.wrapping_mul(16)
            .wrapping_add(c.to_digit(16).unwrap_or(0))
    })
}

/// A request body still on the socket.
struct Body {
    kind: BodyKind,
    read: bool,
    inactivity: Duration,
    deadline: Instant,
}

/// Why a read stopped.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    Eof,
    Timeout,
}

struct Conn {
    stream: Box<dyn Io>,
    /// Received and not yet used.
    buf: Vec<u8>,
    peer: SocketAddr,
    local: SocketAddr,
}

impl Conn {
    /// Reads more, waiting at most `wait` (and never past `deadline`).
    async fn fill(&mut self, wait: Duration, deadline: Instant) -> Result<(), Stop> {
        let until = (Instant::now() + wait).min(deadline);
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(until, self.stream.read(&mut chunk)).await {
            Err(_) => Err(Stop::Timeout),
            Ok(Ok(0)) | Ok(Err(_)) => Err(Stop::Eof),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// The next request head. `Ok(None)`: the peer went away or stayed
    /// silent before sending anything (closed without an answer).
    async fn read_head(
        &mut self,
        idle: Duration,
        inactivity: Duration,
    ) -> Result<Option<RequestHead>, RequestError> {
        let mut parser = HeadParser::new();
        let mut deadline = None;
        loop {
            if let Some(h) = parser.feed(&mut self.buf)? {
                return Ok(Some(h));
            }
            let started = parser.started() || !self.buf.is_empty();
            let (wait, until) = if started {
                let d = *deadline.get_or_insert_with(|| Instant::now() + REQUEST_DEADLINE);
                (inactivity, d)
            } else {
                (idle, Instant::now() + idle)
            };
            if self.fill(wait, until).await.is_err() {
                return if started {
                    Err(RequestError::Timeout)
                } else {
                    Ok(None)
                };
            }
        }
    }

    /// Exactly `n` bytes.
    async fn read_exact(&mut self, n: usize, body: &Body) -> Result<Vec<u8>, Stop> {
        while self.buf.len() < n {
            self.fill(body.inactivity, body.deadline).await?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Drops the next `n` bytes without keeping them.
    async fn skip(&mut self, mut n: u64, body: &Body) -> Result<(), Stop> {
        loop {
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len());
            self.buf.drain(..take);
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            self.fill(body.inactivity, body.deadline).await?;
        }
    }

    /// One line, `\n` included, of at most [`request::MAX_LINE`] bytes.
    async fn read_line(&mut self, body: &Body) -> Result<Vec<u8>, RequestError> {
        loop {
            match request::take_line(&mut self.buf) {
                Ok(Some(l)) => return Ok(l),
                Ok(None) => {}
                Err(()) => return Err(RequestError::BadBody),
            }
            self.fill(body.inactivity, body.deadline)
                .await
                .map_err(|_| RequestError::BadBody)?;
        }
    }

    /// The body, up to `limit` bytes (`ast_http_get_contents`); with
    /// `keep` false it is only consumed.
    async fn read_body_limited(
        &mut self,
        body: &mut Body,
        limit: u64,
        keep: bool,
    ) -> Result<Vec<u8>, RequestError> {
        body.read = true;
        match body.kind {
            BodyKind::None => Ok(Vec::new()),
            BodyKind::Length(n) => {
                if n > limit {
                    return Err(RequestError::BodyTooLarge);
                }
                if !keep {
                    self.skip(n, body)
                        .await
                        .map_err(|_| RequestError::BadBody)?;
                    return Ok(Vec::new());
                }
                let n = usize::try_from(n).map_err(|_| RequestError::BodyTooLarge)?;
                self.read_exact(n, body)
                    .await
                    .map_err(|_| RequestError::BadBody)
            }
            BodyKind::Chunked => {
                let mut out = Vec::new();
                let mut total = 0u64;
                loop {
                    let line = self.read_line(body).await?;
                    let size = request::chunk_size(&line).ok_or(RequestError::BadBody)?;
                    if size == 0 {
                        break;
                    }
                    total += size as u64;
                    if total > limit {
                        return Err(RequestError::BodyTooLarge);
                    }
                    if keep {
                        let data = self
                            .read_exact(size, body)
                            .await
                            .map_err(|_| RequestError::BadBody)?;
                        out.extend_from_slice(&data);
                    } else {
                        self.skip(size as u64, body)
                            .await
                            .map_err(|_| RequestError::BadBody)?;
                    }
                    let end = self
                        .read_exact(2, body)
                        .await
                        .map_err(|_| RequestError::BadBody)?;
                    if end != b"\r\n" {
                        return Err(RequestError::BadBody);
                    }
                }
                // Trailer lines up to the blank one are skipped.
                loop {
                    let line = self.read_line(body).await?;
                    if line.iter().all(|&b| b < 33) {
                        break;
                    }
                }
                Ok(out)
            }
        }
    }

    /// A form body (at most [`request::MAX_CONTENT_LENGTH`] bytes).
    async fn read_body(&mut self, body: &mut Body) -> Result<Vec<u8>, RequestError> {
        self.read_body_limited(body, request::MAX_CONTENT_LENGTH as u64, true)
            .await
    }

    /// Drains a body nobody read, so the next request can follow it.
    async fn discard(&mut self, body: &mut Body) -> Result<(), RequestError> {
        self.read_body_limited(body, MAX_DISCARD, false)
            .await
            .map(|_| ())
    }

    /// Writes one response; false if the peer did not take it.
    async fn send(&mut self, server: &str, resp: Response, close: bool, head_only: bool) -> bool {
        let close = close || resp.close;
        let date = response::http_date(chrono::Utc::now());
        let bytes = resp.render(server, &date, close, head_only);
        let ok = matches!(
            tokio::time::timeout(Duration::from_secs(30), self.stream.write_all(&bytes)).await,
            Ok(Ok(()))
        );
        ok && !close
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_ids_scan_as_hex() {
        assert_eq!(scan_hex("5b3ef53c"), 0x5b3e_f53c);
        assert_eq!(scan_hex("0x10"), 16);
        assert_eq!(scan_hex("zz"), 0);
        assert_eq!(scan_hex("ffffffffff"), u32::MAX);
    }
}
