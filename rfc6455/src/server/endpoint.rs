//! What a server runs for each accepted upgrade — an [`Endpoint`]: its handshake hook and
//! handler, types erased — and how the connection reaches it: from the listener's fast
//! path ([`run`]), or once hyper has upgraded it ([`answer_hyper`]).
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
use crate::stop::StopSignal;
use crate::transport::Transport;

/// A connection's whole life, once accepted: the handler's future.
pub(crate) type ConnectionFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The handler bound to the state its hook returned: what runs the connection.
pub(crate) type Connection = Box<dyn FnOnce(WebSocket) -> ConnectionFuture + Send>;

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
        Ok(Box::new(move |ws| Box::pin(handler(ws, state))))
    }
}

/// Run an accepted connection over `io` (the `101` written, `leftover` read past the
/// request), told to close by `stop`. An RFC 6455 connection is built here and now, so
/// that its handler's future is all that stays allocated; a hybi-00 one first finishes
/// its key exchange.
pub(crate) fn run(
    accepted: Accepted<Connection>,
    io: Transport,
    leftover: BytesMut,
    stop: Option<Arc<StopSignal>>,
) -> ConnectionFuture {
    let with_stop = move |mut ws: WebSocket| {
        if let Some(stop) = stop {
            ws.set_stop_signal(stop);
        }
        ws
    };
    match accepted.open(io, leftover) {
        (Opening::Ready(ws), connection) => connection(with_stop(ws)),
        (opening, connection) => Box::pin(async move {
            match opening.finish().await {
                Ok(ws) => connection(with_stop(ws)).await,
                Err(e) => tracing::debug!("hybi-00 key3: {e}"),
            }
        }),
    }
}

/// Answer an upgrade request that hyper read (or an extended CONNECT on an HTTP/2
/// stream: the `200` then opens the stream's WebSocket). On a `101`, a task awaits hyper's upgrade
/// and then runs the connection: one of `registry`'s tasks (stopped with the server) when
/// there is one, otherwise a task of its own.
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
    let stop = registry.map(|_| Arc::new(StopSignal::default()));
    let task = {
        let stop = stop.clone();
        async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let (io, leftover) = io_from_upgraded(upgraded);
                    run(accepted, io, leftover, stop).await;
                }
                Err(e) => tracing::debug!("upgrade failed: {e}"),
            }
        }
    };
    match registry {
        Some(registry) => registry.spawn(stop, task),
        None => drop(tokio::spawn(task)),
    }
    response.map(|()| Full::new(Bytes::new()))
}
