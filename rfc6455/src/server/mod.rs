//! The server: [`serve`] (a handler per connection), [`serve_with_hook`] (plus a handshake
//! hook), [`serve_mapped`] (a [`ServiceMapper`] routing by path and subprotocol), and
//! [`upgrade`] and [`MapperService`] for applications that already run hyper or axum.
//!
//! A port serves both WebSockets and plain HTTP. The first request on a connection is
//! read by the server itself: a WebSocket upgrade without a body is answered directly
//! (no hyper machinery is built for it, and the connection's task goes on to run the
//! handler, which keeps each connection small and handshakes fast). Everything else is
//! served by hyper's HTTP/1.1 server with upgrades enabled, from the bytes already read:
//! a request that is not a WebSocket upgrade goes to the
//! [fallback](ServerOptions::fallback) service (for example [`StaticFiles`]), or without
//! one gets `426 Upgrade Required` with a short body; an invalid upgrade gets `400` (or
//! `426` for a wrong `Sec-WebSocket-Version`) with the reason in the body. A refused
//! upgrade keeps the connection for the next request (HTTP/1.1 keep-alive) either way.
//!
//! HTTP/2 (over TLS by ALPN, or in cleartext with [`ServerOptions::h2c`]) is served by
//! hyper's HTTP/2 server: each WebSocket is one stream, opened by an extended CONNECT
//! (RFC 8441) and checked by the same accept path.
//!
//! [`accept`] and [`accept_with`] run the same handshake on a stream the program accepted
//! itself.
//!
//! # Layout
//!
//! The modules use each other one way only (no module uses one that uses it back):
//!
//! ```text
//! listener ──▶ crate::http1    the fast path's request head reader and response writer
//!    │    ──▶ h2              an HTTP/2 connection (ALPN h2, or h2c), RFC 8441 streams
//!    │    ──▶ registry        the server's tasks, ServerHandle
//!    ▼
//! endpoint ──▶ upgrade         hook + handler erased; hand-off from the fast path or hyper
//!    ▼
//! accept   ──▶ hook, hybi00    checks, the hook, the 101, opening the connection
//!    ▼
//! settings ──▶ options         what a server keeps of its ServerOptions
//!
//! stream (accept, accept_with) ──▶ crate::http1, accept
//! mapper/{routing, service}    ──▶ endpoint, accept
//! ```

mod accept;
mod endpoint;
mod fallback;
mod h2;
mod hook;
mod hybi00;
mod listener;
mod mapper;
mod options;
mod registry;
mod settings;
mod static_files;
mod stream;
mod upgrade;

pub use hook::{Handshake, Rejection};
pub use mapper::{
    MapperBuilder, MapperError, MapperService, PathBuilder, PathParams, ServiceMapper,
};
pub use options::ServerOptions;
pub use registry::ServerHandle;
pub use static_files::StaticFiles;
pub use stream::{accept, accept_with};
pub use upgrade::{UpgradeFuture, upgrade};

use std::future::Future;
use std::io;

use endpoint::App;

use crate::socket::WebSocket;

/// Serve WebSockets: run `handler` for every connection that completes the opening
/// handshake (the original's `ws-serve`).
///
/// Returns once the socket listens, with a handle that tells the bound address (port 0
/// picks a free port) and stops the server.
///
/// # Errors
/// The error of binding or listening (address in use, permission denied, …).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use rfc6455::{ServerOptions, serve};
/// let server = serve(ServerOptions::default().port(8081), |mut ws| async move {
///     while let Some(Ok(msg)) = ws.recv().await {
///         if ws.send(msg).await.is_err() {
///             break;
///         }
///     }
/// })
/// .await?;
/// println!("listening on {}", server.local_addr());
/// # Ok(()) }
/// ```
pub async fn serve<H, F>(options: ServerOptions, handler: H) -> io::Result<ServerHandle>
where
    H: Fn(WebSocket) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    serve_with_hook(
        options,
        |_: &mut Handshake<'_>| Ok(()),
        move |ws, ()| handler(ws),
    )
    .await
}

/// Serve WebSockets with a handshake hook (the original's `#:conn-headers`).
///
/// `hook` runs during the opening handshake: it sees the request, may add response headers
/// and pick one of the offered subprotocols, may refuse the upgrade with an HTTP status,
/// and returns a per-connection state that `handler` receives with the connection.
///
/// # Errors
/// As for [`serve`].
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use rfc6455::{Handshake, Rejection, ServerOptions, serve_with_hook};
/// let server = serve_with_hook(
///     ServerOptions::default().port(0),
///     |hs: &mut Handshake<'_>| {
///         let user = hs.request().headers().get("x-user").ok_or(Rejection::from(http::StatusCode::UNAUTHORIZED))?;
///         let user = user.to_str().unwrap_or("?").to_owned();
///         hs.headers_mut().insert("x-welcome", http::HeaderValue::from_static("yes"));
///         Ok(user)
///     },
///     |mut ws, user: String| async move {
///         let _ = ws.send_text(&format!("hello {user}")).await;
///     },
/// )
/// .await?;
/// # drop(server); Ok(()) }
/// ```
pub async fn serve_with_hook<K, St, H, F>(
    options: ServerOptions,
    hook: K,
    handler: H,
) -> io::Result<ServerHandle>
where
    K: Fn(&mut Handshake<'_>) -> Result<St, Rejection> + Send + Sync + 'static,
    St: Send + 'static,
    H: Fn(WebSocket, St) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    listener::start(options, Box::new(App::new(hook, handler))).await
}

/// Serve WebSockets routed by URL path and subprotocol (the original's `ws-serve*`): each
/// upgrade goes to the entry of `mapper` that fits it, or is refused `404`/`400` (see
/// [`ServiceMapper`] for the rules).
///
/// Takes all of [`serve`]'s options, including a [fallback](ServerOptions::fallback)
/// HTTP service for plain requests on the same port; the mapper's
/// [hook](MapperBuilder::hook) plays the part of [`serve_with_hook`]'s. Returns once the socket
/// listens, with the same [`ServerHandle`].
///
/// # Errors
/// As for [`serve`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rfc6455::{ServerOptions, ServiceMapper, StaticFiles, serve_mapped};
///
/// let mapper = ServiceMapper::builder()
///     .path("/test")
///     .no_subprotocol(|mut ws, _| async move {
///         let _ = ws.send_text("This is the test service").await;
///     })
///     .subprotocol("subprotocol", |mut ws, _| async move {
///         let _ = ws.send_text("This is the subprotocol handler").await;
///     })
///     .build()?;
/// let options = ServerOptions::default()
///     .port(8081)
///     .fallback(StaticFiles::new("public")); // http://localhost:8081/ serves the page
/// let server = serve_mapped(options, mapper).await?;
/// println!("listening on {}", server.local_addr());
/// # server.stop().await; Ok(()) }
/// ```
pub async fn serve_mapped<St>(
    options: ServerOptions,
    mapper: ServiceMapper<St>,
) -> io::Result<ServerHandle>
where
    St: Send + 'static,
{
    listener::start(options, Box::new(mapper)).await
}
