//! The server: [`serve`] (a handler per connection), [`serve_with`] (plus a handshake
//! hook), and [`upgrade`] for applications that already run hyper or axum.
//!
//! The server is hyper's HTTP/1.1 server with upgrades enabled, so a port serves both
//! WebSockets and plain HTTP: a request that is not a WebSocket upgrade gets
//! `426 Upgrade Required` with a short body, an invalid upgrade gets `400` (or `426` for a
//! wrong `Sec-WebSocket-Version`) with the reason in the body.

mod hook;
mod listener;
mod upgrade;

pub use hook::{Handshake, Rejection};
pub use listener::{ServerHandle, ServerOptions};
pub use upgrade::{UpgradeFuture, upgrade};

use std::future::Future;
use std::io;
use std::sync::Arc;

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
    serve_with(
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
/// use rfc6455::{Handshake, Rejection, ServerOptions, serve_with};
/// let server = serve_with(
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
pub async fn serve_with<K, St, H, F>(
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
    let app = Arc::new(listener::App::new(hook, handler));
    listener::start(options, app).await
}
