//! What a server runs for each accepted upgrade — an [`Endpoint`]: its handshake hook and
//! handler, types erased — and how the connection reaches it: from the listener's fast
//! path ([`spawn`]), or once hyper has upgraded it ([`answer_hyper`]).
//!
//! [`serve_with_hook`](crate::serve_with_hook) is an [`App`] of the program's hook and handler;
//! [`serve`](crate::serve) one whose hook accepts everything; a
//! [`ServiceMapper`](crate::ServiceMapper) one whose hook routes (picks the entry and
//! subprotocol, or refuses `404`/`400`) and whose handler is the entry picked.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;

use super::accept::{
    Accepted, ConnInfo, Opening, Refusal, fit_version, negotiate, plain_http_answer,
};
use super::hook::{Handshake, Rejection};
use super::registry::Registry;
use super::settings::Settings;
use super::upgrade::io_from_upgraded;
use crate::socket::WebSocket;
use crate::stop::StopSlot;
use crate::transport::Transport;

/// A connection's whole life, once accepted: the handler's future, boxed.
pub(crate) type ConnectionFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The handler bound to the state its hook returned: what runs the connection.
pub(crate) type Connection = Box<dyn Run>;

/// A handler bound to its hook's state, ready to run one connection.
pub(crate) trait Run: Send {
    /// The connection's future, its type erased.
    fn boxed(self: Box<Self>, ws: WebSocket) -> ConnectionFuture;

    /// Run the connection in a task of its own: one of `registry`'s when given, else a
    /// detached one.
    ///
    /// The task holds a thin pointer to the boxed future, so that its cell is tokio's
    /// smallest (128 bytes: tokio aligns task cells to cache lines). Measured with 10 000
    /// idle connections, the handler's future held in the cell itself costs more resident
    /// memory (about 400 bytes a connection: a 1 KiB cell, and the fragments its aligned
    /// allocation leaves), and a fat pointer (`Pin<Box<dyn Future>>`) with the registry's
    /// guard no longer fits in 128 bytes. The default boxes the type-erased future once
    /// more (16 bytes).
    fn spawn(self: Box<Self>, ws: WebSocket, registry: Option<&Arc<Registry>>) {
        spawn_in(registry, Box::new(self.boxed(ws)));
    }
}

/// Spawn `fut` as one of `registry`'s tasks, or detached.
fn spawn_in<F>(registry: Option<&Arc<Registry>>, fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match registry {
        Some(registry) => registry.spawn(fut),
        None => drop(tokio::spawn(fut)),
    }
}

/// A handler whose future is already type-erased (a
/// [`ServiceMapper`](crate::ServiceMapper)'s entries): run as it is.
pub(crate) struct Erased<F>(pub(crate) F);

impl<F> Run for Erased<F>
where
    F: FnOnce(WebSocket) -> ConnectionFuture + Send,
{
    fn boxed(self: Box<Self>, ws: WebSocket) -> ConnectionFuture {
        (self.0)(ws)
    }
}

/// An [`App`]'s handler and its hook's state. Spawned, the handler's future is boxed as
/// its own type (a thin pointer, see [`Run::spawn`]).
struct Bound<H, St> {
    handler: Arc<H>,
    state: St,
}

impl<H, St, F> Run for Bound<H, St>
where
    St: Send + 'static,
    H: Fn(WebSocket, St) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    fn boxed(self: Box<Self>, ws: WebSocket) -> ConnectionFuture {
        let Self { handler, state } = *self;
        Box::pin(handler(ws, state))
    }

    fn spawn(self: Box<Self>, ws: WebSocket, registry: Option<&Arc<Registry>>) {
        let Self { handler, state } = *self;
        spawn_in(registry, Box::pin(handler(ws, state)));
    }
}

/// What a server does with an upgrade request that passed the handshake rules, and the
/// answer it gives a plain HTTP request when no fallback service takes it.
pub(crate) trait Endpoint: Send + Sync + 'static {
    /// Run the handshake hook: refuse, or bind the handler to the hook's state.
    fn open(&self, hs: &mut Handshake<'_>) -> Result<Connection, Rejection>;

    /// The answer to `req`, which is not an upgrade: `426 Upgrade Required`.
    fn plain(&self, _req: &Request<()>) -> Response<Bytes> {
        plain_http_answer()
    }
}

/// A hook and a handler, as given to [`serve_with_hook`](crate::serve_with_hook).
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
    fn open(&self, hs: &mut Handshake<'_>) -> Result<Connection, Rejection> {
        let state = (self.hook)(hs)?;
        let handler = self.handler.clone();
        // The handler's future alone is what stays allocated for the connection's life.
        Ok(Box::new(Bound { handler, state }))
    }
}

/// Run an accepted connection over `io` (the `101` written, `leftover` read past the
/// request) in a task of its own: one of `tasks`' registry's, told to close through its
/// slot in the server's stop signal, when given; else a detached one. An RFC 6455 connection is built here and
/// now, so that its handler's future is all that stays allocated, in the smallest task
/// (see [`Run::spawn`]), while the task that read the handshake ends. A hybi-00
/// connection first finishes its key exchange, in its task.
pub(crate) fn spawn(
    accepted: Accepted<Connection>,
    io: Transport,
    leftover: BytesMut,
    tasks: Option<(&Arc<Registry>, StopSlot)>,
) {
    let (registry, stop) = match tasks {
        Some((registry, stop)) => (Some(registry), Some(stop)),
        None => (None, None),
    };
    let with_stop = move |mut ws: WebSocket| {
        if let Some(stop) = stop {
            ws.set_stop_signal(stop);
        }
        ws
    };
    match accepted.open(io, leftover) {
        (Opening::Ready(ws), connection) => connection.spawn(with_stop(ws), registry),
        (opening, connection) => spawn_in(registry, async move {
            match opening.finish().await {
                Ok(ws) => connection.boxed(with_stop(ws)).await,
                Err(e) => tracing::debug!("hybi-00 key3: {e}"),
            }
        }),
    }
}

/// Answer an upgrade request that hyper read (or an extended CONNECT on an HTTP/2
/// stream: the `200` then opens the stream's WebSocket). On a `101`, a task awaits hyper's upgrade
/// and then [`spawn`]s the connection: as one of `registry`'s tasks (stopped with the
/// server) when there is one, otherwise as a task of its own.
pub(crate) fn answer_hyper(
    req: &Request<()>,
    on_upgrade: OnUpgrade,
    endpoint: &dyn Endpoint,
    settings: &Settings,
    conn: &ConnInfo,
    registry: Option<&Arc<Registry>>,
) -> Response<Full<Bytes>> {
    let (response, accepted) = match negotiate(req, settings, conn, |hs| endpoint.open(hs)) {
        Ok(accepted) => accepted,
        Err(refusal) => {
            let mut response = match refusal {
                Refusal::NotUpgrade(_) => endpoint.plain(req),
                refusal => refusal.into_response(),
            };
            fit_version(req.version(), &mut response);
            return response.map(Full::new);
        }
    };
    let task = {
        let registry = registry.cloned();
        async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let (io, leftover) = io_from_upgraded(upgraded);
                    let tasks = registry
                        .as_ref()
                        .map(|registry| (registry, registry.stop_slot()));
                    spawn(accepted, io, leftover, tasks);
                }
                Err(e) => tracing::debug!("upgrade failed: {e}"),
            }
        }
    };
    match registry {
        Some(registry) => registry.spawn(task),
        None => drop(tokio::spawn(task)),
    }
    response.map(|()| Full::new(Bytes::new()))
}
