//! Listening, accepting, and serving each TCP connection with hyper.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::future::Either;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use rfc6455_proto::Role;
use rfc6455_proto::handshake;
use rfc6455_proto::hybi00::{self, FramingMode};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::direct::{self, Head};
use super::fallback::{Fallback, ResponseBody, boxed};
use super::hook::{Handshake, Rejection};
use super::hybi00::accept_hybi00;
use super::upgrade::io_from_upgraded;
use crate::config::Config;
use crate::info::HandshakeInfo;
use crate::socket::WebSocket;
use crate::stop::StopSignal;
use crate::transport::{Rewound, Transport};

/// Where and how a server listens, and the settings of its connections.
///
/// | option | default |
/// |---|---|
/// | [`listen_addr`](Self::listen_addr) | `0.0.0.0` (all IPv4 interfaces); `::` for IPv6 |
/// | [`port`](Self::port) | 0 (the OS picks a free port; see [`ServerHandle::local_addr`]) |
/// | [`backlog`](Self::backlog) | 511 |
/// | [`handshake_timeout`](Self::handshake_timeout) | 60 s to receive the request head |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB (answered with 431 beyond) |
/// | [`stop_timeout`](Self::stop_timeout) | 5 s for connections to close on `stop` |
/// | [`config`](Self::config) | [`Config::default`]: limits, idle timeout 300 s, … |
/// | [`fallback`](Self::fallback) | none: a request that is not an upgrade gets `426 Upgrade Required` |
/// | [`tls`](Self::tls) | none: plain `ws://` (TLS needs the `tls` feature, on by default) |
///
/// ```
/// use std::time::Duration;
/// let options = rfc6455::ServerOptions::default()
///     .port(8081)
///     .listen_addr("127.0.0.1".parse().unwrap())
///     .handshake_timeout(Duration::from_secs(10));
/// assert_eq!(options.port_value(), 8081);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    pub(crate) listen_addr: IpAddr,
    pub(crate) port: u16,
    pub(crate) backlog: u32,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_header_size: usize,
    pub(crate) stop_timeout: Duration,
    pub(crate) config: Config,
    pub(crate) fallback: Option<Fallback>,
    pub(crate) hybi00: Option<FramingMode>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            listen_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            backlog: 511,
            handshake_timeout: Duration::from_secs(60),
            max_header_size: 16 * 1024,
            stop_timeout: Duration::from_secs(5),
            config: Config::default(),
            fallback: None,
            hybi00: Some(FramingMode::Old),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServerOptions {
    /// The address to listen on: an IPv4 or IPv6 address, or an unspecified one for all
    /// interfaces. Default `0.0.0.0`.
    pub fn listen_addr(mut self, addr: IpAddr) -> Self {
        self.listen_addr = addr;
        self
    }

    /// The TCP port; 0 lets the OS pick a free one. Default 0.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The listen backlog (the original's `#:max-waiting`). Default 511.
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// Whether to accept upgrades in the legacy hybi-00 draft (draft-76) beside RFC 6455,
    /// on the same port, as the original does. Default `true`.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().hybi00(false);
    /// # let _ = options;
    /// ```
    pub fn hybi00(mut self, enabled: bool) -> Self {
        self.hybi00 = enabled.then_some(FramingMode::Old);
        self
    }

    /// Accept hybi-00 upgrades and frame them in this mode: `Old` (`0x00 … 0xFF`, what
    /// browsers spoke; the default) or `New` (length-prefixed, the original's
    /// `hybi00-framing-mode 'new`).
    pub fn hybi00_framing(mut self, mode: FramingMode) -> Self {
        self.hybi00 = Some(mode);
        self
    }

    /// How long a new connection may take to send its request head (the original's
    /// `#:initial-connection-timeout`), its TLS handshake included on a TLS server.
    /// Default 60 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest request head accepted, in bytes (at least 8 KiB). Default 16 KiB.
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// How long [`ServerHandle::stop`] waits for connections to close before ending them.
    /// Default 5 s.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Settings of every connection (limits, idle timeout, buffers).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The idle timeout of every connection; shorthand for a [`Config`] change.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config = self.config.idle_timeout(timeout);
        self
    }

    /// The port set.
    pub fn port_value(&self) -> u16 {
        self.port
    }

    /// Serve TLS on the port: `wss://` for WebSockets (hybi-00's `Sec-WebSocket-Location`
    /// then says `wss://`) and `https://` for the [fallback](Self::fallback) service.
    ///
    /// The TLS handshake counts against the [handshake
    /// timeout](Self::handshake_timeout). A client that fails the TLS handshake, or speaks
    /// plain HTTP to the port (it gets a short `400` in plain text, saying so), is logged
    /// at debug level and dropped; other connections go on undisturbed.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use rfc6455::tls::ServerTls;
    /// let tls = ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// let options = rfc6455::ServerOptions::default().port(8443).tls(tls);
    /// let server = rfc6455::serve(options, |mut ws| async move {
    ///     let _ = ws.send_text("hello over TLS").await;
    /// })
    /// .await?;
    /// # server.stop().await; Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether [`tls`](Self::tls) was set.
    ///
    /// ```
    /// assert!(!rfc6455::ServerOptions::default().is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Serve plain HTTP on the same port: every request that is not a WebSocket upgrade
    /// (no `Upgrade: websocket` header) goes to `service` instead of getting
    /// `426 Upgrade Required`. Upgrade requests, valid or not, never reach it.
    ///
    /// `service` is any hyper service: [`hyper::service::service_fn`] over an async
    /// function, a [`StaticFiles`](crate::StaticFiles) folder, or a tower service (an axum
    /// `Router`, a tower-http `ServeDir`) wrapped in hyper-util's `TowerToHyperService`.
    /// An error from the service is answered `500 Internal Server Error` and logged.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use std::convert::Infallible;
    /// use http_body_util::{BodyExt, Full};
    /// use hyper::body::{Bytes, Incoming};
    /// use hyper::service::service_fn;
    /// use rfc6455::{ServerOptions, serve};
    ///
    /// async fn page(_req: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    ///     Ok(http::Response::new(Full::new(Bytes::from_static(b"<h1>Hello</h1>"))))
    /// }
    ///
    /// // GET / answers the page; a WebSocket upgrade on the same port reaches the handler.
    /// let options = ServerOptions::default().port(8081).fallback(service_fn(page));
    /// let server = serve(options, |mut ws| async move {
    ///     let _ = ws.send_text("hello").await;
    /// })
    /// .await?;
    /// # server.stop().await; Ok(()) }
    /// ```
    pub fn fallback<S, B>(mut self, service: S) -> Self
    where
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>>
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.fallback = Some(Fallback::new(service));
        self
    }
}

/// What a server does with an upgrade request: the hook and handler, type-erased.
pub(crate) trait Endpoint: Send + Sync + 'static {
    /// Answer `req`; on a `101`, hand the connection's runner to `via`.
    fn handle(&self, req: Request<()>, via: Via<'_>, ctx: &ConnContext) -> Response<Full<Bytes>>;
}

/// What runs an accepted connection: given the stream (after the `101` has been written),
/// the bytes read past the request, and the server's stop signal, the connection's whole
/// life (the hybi-00 key exchange, then the handler).
pub(crate) type Runner = Box<
    dyn FnOnce(Transport, BytesMut, Arc<StopSignal>) -> Pin<Box<dyn Future<Output = ()> + Send>>
        + Send,
>;

/// What a handshake hook accepted: its state for the handler, the headers it added to
/// the `101`, and the subprotocol it chose.
pub(crate) struct Hooked<St> {
    pub(crate) state: St,
    pub(crate) headers: http::HeaderMap,
    pub(crate) subprotocol: Option<String>,
}

/// How an accepted upgrade gets its connection.
pub(crate) enum Via<'a> {
    /// hyper served the request: a task awaits hyper's upgrade, then runs the connection.
    Hyper(OnUpgrade),
    /// The server read the request itself: it writes the `101`, then runs the connection
    /// in the same task.
    Direct(&'a mut Option<Runner>),
}

impl Via<'_> {
    fn run(self, runner: Runner, registry: &Arc<Registry>) {
        match self {
            Via::Hyper(on_upgrade) => {
                let stop = Arc::new(StopSignal::default());
                let task = {
                    let stop = stop.clone();
                    async move {
                        match on_upgrade.await {
                            Ok(upgraded) => {
                                let (io, leftover) = io_from_upgraded(upgraded);
                                runner(io, leftover, stop).await;
                            }
                            Err(e) => tracing::debug!("upgrade failed: {e}"),
                        }
                    }
                };
                registry.spawn(Some(stop), task);
            }
            Via::Direct(slot) => *slot = Some(runner),
        }
    }
}

/// What the accept loop knows about one TCP connection.
pub(crate) struct ConnContext {
    /// Shared by all of the server's connections.
    pub(crate) config: Arc<Config>,
    /// Whether hybi-00 upgrades are accepted, and their framing.
    pub(crate) hybi00: Option<FramingMode>,
    /// How long a hybi-00 client may take to send its 8 bytes of key3.
    pub(crate) handshake_timeout: Duration,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
    /// Whether the connection runs over TLS (hybi-00's location then says `wss://`).
    pub(crate) secure: bool,
    pub(crate) registry: Arc<Registry>,
}

impl ConnContext {
    /// Add the hook's headers to the 101 `response` and record what the handshake said,
    /// with this connection's addresses (shared by the RFC 6455 and hybi-00 paths).
    pub(crate) fn complete_handshake(
        &self,
        request: &Request<()>,
        response: &mut Response<()>,
        hook_headers: &http::HeaderMap,
        subprotocol: Option<String>,
    ) -> HandshakeInfo {
        for (name, value) in hook_headers {
            response.headers_mut().append(name, value.clone());
        }
        let mut info = HandshakeInfo::from_request(request);
        info.subprotocol = subprotocol;
        info.set_response_headers(response.headers());
        info.local_addr = self.local_addr;
        info.peer_addr = self.peer_addr;
        info.secure = self.secure;
        info
    }
}

pub(crate) struct App<K, H> {
    hook: K,
    handler: Arc<H>,
}

impl<K, H> App<K, H> {
    pub(crate) fn new(hook: K, handler: H) -> Self {
        Self {
            hook,
            handler: Arc::new(handler),
        }
    }
}

impl<K, St, H, F> Endpoint for App<K, H>
where
    K: Fn(&mut Handshake<'_>) -> Result<St, Rejection> + Send + Sync + 'static,
    St: Send + 'static,
    H: Fn(WebSocket, St) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    fn handle(&self, req: Request<()>, via: Via<'_>, ctx: &ConnContext) -> Response<Full<Bytes>> {
        let handler = self.handler.clone();
        accept(
            req,
            via,
            ctx,
            |hs| (self.hook)(hs),
            move |ws, state| handler(ws, state),
        )
    }
}

/// The common upgrade path: check (RFC 6455, else hybi-00), run the hook, answer 101 and
/// hand the connection's runner to `via`.
pub(crate) fn accept<St, F>(
    req: Request<()>,
    via: Via<'_>,
    ctx: &ConnContext,
    hook: impl FnOnce(&mut Handshake<'_>) -> Result<St, Rejection>,
    handler: impl FnOnce(WebSocket, St) -> F + Send + 'static,
) -> Response<Full<Bytes>>
where
    St: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    enum Offer {
        Rfc6455(handshake::ClientOffer),
        Hybi00(hybi00::Hybi00Offer),
    }
    if !handshake::is_upgrade_request(&req) {
        return plain_http_answer();
    }
    let offer = match handshake::check_request(&req) {
        Ok(offer) => Offer::Rfc6455(offer),
        // An upgrade that is not RFC 6455 may be the hybi-00 draft (tried second, as the
        // original does).
        Err(_) if ctx.hybi00.is_some() && req.headers().contains_key("sec-websocket-key1") => {
            match hybi00::check_request(&req) {
                Ok(offer) => Offer::Hybi00(offer),
                Err(e) => return full(handshake::reject(&e)),
            }
        }
        Err(e) => return full(handshake::reject(&e)),
    };
    let offered = match &offer {
        Offer::Rfc6455(offer) => offer.subprotocols(),
        Offer::Hybi00(offer) => offer.subprotocols(),
    };
    let mut hs = Handshake::with_subprotocols(&req, offered);
    let state = match hook(&mut hs) {
        Ok(state) => state,
        Err(rejection) => return full(rejection.into_response()),
    };
    let Handshake {
        headers,
        subprotocol,
        ..
    } = hs;
    let hooked = Hooked {
        state,
        headers,
        subprotocol,
    };
    let (response, runner) = match offer {
        Offer::Rfc6455(offer) => accept_rfc6455(&req, &offer, ctx, hooked, handler),
        Offer::Hybi00(offer) => accept_hybi00(&req, offer, ctx, hooked, handler),
    };
    via.run(runner, &ctx.registry);
    let (parts, ()) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}

/// An accepted RFC 6455 upgrade: the `101`, and the connection's runner.
fn accept_rfc6455<St, F>(
    request: &Request<()>,
    offer: &handshake::ClientOffer,
    ctx: &ConnContext,
    hooked: Hooked<St>,
    handler: impl FnOnce(WebSocket, St) -> F + Send + 'static,
) -> (Response<()>, Runner)
where
    St: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let Hooked {
        state,
        headers,
        subprotocol,
    } = hooked;
    let mut response = offer.response(subprotocol.as_deref());
    let info = ctx.complete_handshake(request, &mut response, &headers, subprotocol);
    let config = ctx.config.clone();
    let runner: Runner = Box::new(move |io, leftover, stop| {
        let mut ws = WebSocket::from_parts(io, Role::Server, config, leftover, info);
        ws.set_stop_signal(stop);
        // The handler's future alone is what stays allocated for the connection's life.
        Box::pin(handler(ws, state))
    });
    (response, runner)
}

/// `426 Upgrade Required` for a plain HTTP request to a WebSocket-only server.
pub(crate) fn plain_http_answer() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(
        b"This is a WebSocket endpoint: connect with a WebSocket client.\n",
    )));
    *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
    let headers = response.headers_mut();
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn full<B: Into<Bytes>>(response: Response<B>) -> Response<Full<Bytes>> {
    response.map(|b| Full::new(b.into()))
}

/// The tasks a server spawned, so `stop` can tell them to go and wait for them.
#[derive(Default)]
pub(crate) struct Registry {
    next: AtomicU64,
    tasks: Mutex<HashMap<u64, Task>>,
    empty: Notify,
}

struct Task {
    stop: Option<Arc<StopSignal>>,
    abort: Option<AbortHandle>,
}

impl Registry {
    pub(crate) fn spawn<F>(self: &Arc<Self>, stop: Option<Arc<StopSignal>>, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Task { stop, abort: None });
        let guard = TaskGuard {
            registry: self.clone(),
            id,
        };
        let handle = tokio::spawn(async move {
            let _guard = guard;
            fut.await;
        });
        if let Some(task) = self.lock().get_mut(&id) {
            task.abort = Some(handle.abort_handle());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Task>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stop_all(&self) {
        for task in self.lock().values() {
            if let Some(stop) = &task.stop {
                stop.stop();
            }
        }
    }

    fn abort_all(&self) {
        for task in self.lock().values() {
            if let Some(abort) = &task.abort {
                abort.abort();
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

struct TaskGuard {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let mut tasks = self.registry.lock();
        tasks.remove(&self.id);
        if tasks.is_empty() {
            self.registry.empty.notify_waiters();
        }
    }
}

/// A running server: its address, and the way to stop it (the original's stop procedure).
///
/// Dropping the handle leaves the server running; call [`stop`](Self::stop) to end it.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: tokio::task::JoinHandle<()>,
    stop_timeout: Duration,
}

struct Shared {
    registry: Arc<Registry>,
    stop_accepting: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("tasks", &self.registry.len())
            .finish()
    }
}

impl ServerHandle {
    /// The address the server listens on (with the port the OS picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The number of connections (WebSocket or plain HTTP) being served.
    pub fn connection_count(&self) -> usize {
        // Each TCP connection is one task, which goes on to run its WebSocket's handler;
        // a WebSocket that hyper upgraded (hybi-00, or after other requests on the same
        // connection) is one more task while its handler runs.
        self.shared.registry.len()
    }

    /// Stop: stop accepting, send close 1001 (going away) on every open WebSocket, wait up
    /// to [`ServerOptions::stop_timeout`] for connections to end, then end the rest.
    pub async fn stop(self) {
        self.shared.stop_accepting.notify_one();
        let _ = self.accept_loop.await;
        let registry = &self.shared.registry;
        registry.stop_all();
        let wait = async {
            loop {
                let notified = registry.empty.notified();
                if registry.len() == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(self.stop_timeout, wait).await.is_err() {
            tracing::debug!("stop: {} connections did not close in time", registry.len());
        }
        registry.abort_all();
    }
}

/// Bind, listen, and start accepting.
pub(crate) async fn start(
    options: ServerOptions,
    app: Arc<dyn Endpoint>,
) -> io::Result<ServerHandle> {
    let addr = SocketAddr::new(options.listen_addr, options.port);
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(options.backlog)?;
    let local_addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        registry: Arc::default(),
        stop_accepting: Notify::new(),
    });
    let accept_loop = tokio::spawn(accept_loop(listener, options.clone(), app, shared.clone()));
    Ok(ServerHandle {
        local_addr,
        shared,
        accept_loop,
        stop_timeout: options.stop_timeout,
    })
}

async fn accept_loop(
    listener: TcpListener,
    options: ServerOptions,
    app: Arc<dyn Endpoint>,
    shared: Arc<Shared>,
) {
    let config = Arc::new(options.config);
    // Bound to one address, every connection's local address is that one (no system call
    // to ask for it); bound to all interfaces, it is asked per connection.
    let fixed_local = listener
        .local_addr()
        .ok()
        .filter(|addr| !addr.ip().is_unspecified());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly, keep serving.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shared.stop_accepting.notified() => return,
        };
        let ctx = ConnContext {
            config: config.clone(),
            hybi00: options.hybi00,
            handshake_timeout: options.handshake_timeout,
            local_addr: fixed_local.or_else(|| tcp.local_addr().ok()),
            peer_addr: Some(peer),
            secure: options.is_tls(),
            registry: shared.registry.clone(),
        };
        let accepted = Box::new(Accepted {
            tcp,
            options: options.clone(),
            app: app.clone(),
            ctx,
        });
        // `stop` ends the HTTP side too: idle keep-alive connections close at once.
        let stop = Arc::new(StopSignal::default());
        shared
            .registry
            .spawn(Some(stop.clone()), serve_tcp(accepted, stop));
    }
}

/// An accepted TCP connection and what serving it needs, boxed: the connection's task
/// keeps only a pointer to it, freed once the handshake is over.
struct Accepted {
    tcp: TcpStream,
    options: ServerOptions,
    app: Arc<dyn Endpoint>,
    ctx: ConnContext,
}

/// Serve one accepted TCP connection. The handshake's state is boxed and freed when it
/// ends; a WebSocket connection then runs in this same task, which holds little more
/// than the handler's future.
async fn serve_tcp(accepted: Box<Accepted>, stop: Arc<StopSignal>) {
    // A statement of its own, so the handshake's box is freed before the connection runs.
    let connection = Box::pin(handshake(accepted, stop)).await;
    if let Some(connection) = connection {
        connection.await;
    }
}

/// TLS first when the server has it, then the first request head: an upgrade is
/// answered here and its connection returned, to run; anything else is served by hyper.
async fn handshake(
    accepted: Box<Accepted>,
    stop: Arc<StopSignal>,
) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
    let Accepted {
        tcp,
        options,
        app,
        ctx,
    } = *accepted;
    let _ = tcp.set_nodelay(true);
    let mut started = tokio::time::Instant::now();
    let stopped = || {
        std::future::poll_fn(|cx| {
            if stop.poll_stopped(cx) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
    };
    #[cfg(feature = "tls")]
    let mut io = match &options.tls {
        Some(tls) => {
            let peer = ctx.peer_addr;
            let handshake = tokio::time::timeout(options.handshake_timeout, accept_tls(tls, tcp));
            tokio::select! {
                accepted = handshake => match accepted {
                    Ok(Ok(stream)) => Transport::TlsServer(Box::new(stream)),
                    Ok(Err(e)) => {
                        tracing::debug!("TLS connection from {peer:?} dropped: {e}");
                        return None;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake from {peer:?} timed out");
                        return None;
                    }
                },
                () = stopped() => return None,
            }
        }
        None => Transport::Tcp(tcp),
    };
    #[cfg(not(feature = "tls"))]
    let mut io = Transport::Tcp(tcp);
    // What is left of the handshake timeout (after TLS) is for the request head.
    let left = |started: tokio::time::Instant| {
        options
            .handshake_timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1))
    };
    let mut buf = BytesMut::new();
    let limit = options.max_header_size.max(8192);
    let head = tokio::select! {
        read = tokio::time::timeout(left(started), direct::read_head(&mut io, &mut buf, limit)) => {
            match read {
                Ok(Ok(Some(head))) => head,
                Ok(Ok(None)) => return None,
                Ok(Err(e)) => {
                    tracing::debug!("connection from {:?} dropped: {e}", ctx.peer_addr);
                    return None;
                }
                Err(_) => {
                    tracing::debug!("request head from {:?} timed out", ctx.peer_addr);
                    return None;
                }
            }
        }
        () = stopped() => return None,
    };
    if let Head::Upgrade(request, len) = head {
        let close = direct::wants_close(&request);
        let mut runner = None;
        let response = app.handle(*request, Via::Direct(&mut runner), &ctx);
        let rest = buf.split_off(len);
        if let Some(runner) = runner {
            if let Err(e) = direct::write_response(&mut io, &response, None, false).await {
                tracing::debug!("101 to {:?} not sent: {e}", ctx.peer_addr);
                return None;
            }
            let leftover = if rest.is_empty() {
                BytesMut::new()
            } else {
                BytesMut::from(&rest[..])
            };
            return Some(runner(io, leftover, stop));
        }
        // Refused: answer, then serve whatever else the client asks on this connection
        // with hyper (HTTP/1.1 keep-alive), as if hyper had answered this request too.
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let response = Response::from_parts(parts, ());
        let written = direct::write_response(&mut io, &response, Some(&body), close).await;
        if written.is_err() || close {
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut io).await;
            return None;
        }
        buf = rest;
        // The next request is a new one, with the whole timeout for its head.
        started = tokio::time::Instant::now();
    }
    let io = TokioIo::new(Rewound {
        prefix: buf.freeze(),
        io,
    });
    serve_connection(io, left(started), options, app, ctx, stop).await;
    None
}

/// The TLS handshake of an accepted connection. A client that speaks plain HTTP to the
/// TLS port gets a short plain-text `400` saying so.
#[cfg(feature = "tls")]
async fn accept_tls(
    tls: &crate::tls::ServerTls,
    tcp: TcpStream,
) -> io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // A TLS connection starts with a handshake record (content type 22); a plain HTTP
    // request with a method name in ASCII letters.
    let mut first = [0u8; 1];
    if tcp.peek(&mut first).await? == 0 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
    }
    if first[0].is_ascii_uppercase() {
        let mut tcp = tcp;
        const BODY: &str = "This port speaks TLS: use https:// or wss:// URLs.\n";
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Connection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        let _ = tcp.write_all(answer.as_bytes()).await;
        let _ = tcp.shutdown().await;
        // Read what the client sent (a little, briefly) so that closing does not reset
        // the connection before it has read the answer.
        let mut sink = [0u8; 1024];
        let drain = async {
            for _ in 0..64 {
                if matches!(tcp.read(&mut sink).await, Ok(0) | Err(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "plain HTTP on the TLS port (answered 400)",
        ));
    }
    tls.acceptor().accept(tcp).await
}

async fn serve_connection<I>(
    io: TokioIo<I>,
    header_read_timeout: Duration,
    options: ServerOptions,
    app: Arc<dyn Endpoint>,
    ctx: ConnContext,
    stop: Arc<StopSignal>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let ctx = Arc::new(ctx);
    let fallback = options.fallback.clone();
    let service = service_fn(move |mut req: Request<Incoming>| {
        let response = match &fallback {
            Some(fallback) if !handshake::is_upgrade_request(&req) => {
                Either::Left(fallback.call(req))
            }
            _ => {
                let on_upgrade = hyper::upgrade::on(&mut req);
                let (parts, _body) = req.into_parts();
                let req = Request::from_parts(parts, ());
                let response = app.handle(req, Via::Hyper(on_upgrade), &ctx);
                Either::Right(std::future::ready(boxed(response)))
            }
        };
        async move { Ok::<Response<ResponseBody>, Infallible>(response.await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(options.max_header_size.max(8192))
        .serve_connection(io, service)
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut shutting_down = false;
    let result = std::future::poll_fn(|cx| {
        if !shutting_down && stop.poll_stopped(cx) {
            // Finish the request in progress (an upgrade still completes), then close
            // instead of waiting for another request on an idle keep-alive connection.
            conn.as_mut().graceful_shutdown();
            shutting_down = true;
        }
        conn.as_mut().poll(cx)
    })
    .await;
    if let Err(e) = result {
        tracing::debug!("HTTP connection ended: {e}");
    }
}
