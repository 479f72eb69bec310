//! Our server on 127.0.0.1, port 0: options, URLs, an echo server, a server for one
//! connection whose handler's end reaches the test, and in-memory connections for the
//! tests that run on paused time (real sockets and paused time do not mix: the clock
//! would jump while the kernel moves bytes).

use std::any::Any;
use std::future::Future;
use std::net::Ipv4Addr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use rfc6455::{Config, Role, ServerHandle, ServerOptions, WebSocket, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::oneshot;

use super::{LIMIT, within};

/// Server options listening on 127.0.0.1, port 0 (a free port).
pub(crate) fn local() -> ServerOptions {
    ServerOptions::default().listen_addr(Ipv4Addr::LOCALHOST.into())
}

/// `ws://127.0.0.1:port{path}` for a running server.
pub(crate) fn url(server: &ServerHandle, path: &str) -> String {
    format!("ws://127.0.0.1:{}{path}", server.local_addr().port())
}

/// Echo every message until the connection ends.
pub(crate) async fn echo<S>(mut ws: WebSocket<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// A server whose handler echoes every message until the connection ends.
pub(crate) async fn echo_server(options: ServerOptions) -> ServerHandle {
    serve(options, echo).await.expect("bind")
}

/// A server that runs `handler` for its first connection only (later ones are dropped),
/// so the handler can own channels back to the test. The handler runs in one of the
/// server's tasks, where a failed check would go unseen: [`Handled::returned`] brings
/// what it returned — or its panic — back to the test.
pub(crate) async fn serve_one<F, Fut>(
    options: ServerOptions,
    handler: F,
) -> (ServerHandle, Handled<Fut::Output>)
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let slot = Arc::new(Mutex::new(Some((handler, tx))));
    let server = serve(options, move |ws| {
        let first = slot.lock().unwrap().take();
        async move {
            if let Some((handler, tx)) = first {
                let _ = tx.send(handled(handler(ws)).await);
            }
        }
    })
    .await
    .expect("bind");
    (server, Handled { rx })
}

/// Run `fut` to its end, catching a panic.
async fn handled<Fut: Future>(fut: Fut) -> Result<Fut::Output, Box<dyn Any + Send>> {
    AssertUnwindSafe(fut).catch_unwind().await
}

/// The end of a handler that runs where a panic would go unseen (a server's task).
#[must_use = "the handler's checks reach the test only through `returned`"]
pub(crate) struct Handled<T> {
    rx: oneshot::Receiver<Result<T, Box<dyn Any + Send>>>,
}

impl<T> Handled<T> {
    /// Wait (within [`LIMIT`]) for the handler to return: its value; or its panic, resumed
    /// here so that the test fails with the handler's own message.
    pub(crate) async fn returned(self) -> T {
        match within(self.rx).await {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("the handler ended without returning (its server stopped it?)"),
        }
    }
}

/// Wait until the server serves no connection, within [`LIMIT`]. The server says nothing
/// when a connection ends, so this asks, ten times a second: a poll of a condition, not a
/// pause that hopes something has happened.
pub(crate) async fn no_connection_left(server: &ServerHandle) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while server.connection_count() != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} connections still served after {LIMIT:?}",
            server.connection_count()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ------------------------------------------------------------ in memory, on paused time

/// A connection in memory after its opening handshake: our client and our server, each
/// with its `config`, over a `tokio::io::duplex` of `capacity` bytes each way.
pub(crate) fn pair(
    capacity: usize,
    client: Config,
    server: Config,
) -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    let (a, b) = tokio::io::duplex(capacity);
    (
        WebSocket::from_stream(a, Role::Client, client),
        WebSocket::from_stream(b, Role::Server, server),
    )
}

/// Two ends of an in-memory connection, `(near, far)`, like a slow network in one
/// direction: what is written at `far` reaches `near` in pieces of at most `piece` bytes,
/// `pause` apart; what is written at `near` reaches `far` at once. On paused time the
/// pauses are exact, so a test can know that a reader at `near` waits between pieces.
pub(crate) fn slow_link(piece: usize, pause: Duration) -> (DuplexStream, DuplexStream) {
    let (near, relay_near) = tokio::io::duplex(piece);
    let (relay_far, far) = tokio::io::duplex(64 * 1024);
    let (mut from_near, mut to_near) = tokio::io::split(relay_near);
    let (mut from_far, mut to_far) = tokio::io::split(relay_far);
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_near, &mut to_far).await;
        let _ = to_far.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; piece];
        loop {
            match from_far.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_near.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
            tokio::time::sleep(pause).await;
        }
        let _ = to_near.shutdown().await;
    });
    (near, far)
}
