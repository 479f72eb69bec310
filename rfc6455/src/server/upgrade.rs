//! Upgrading a request inside an existing hyper or axum application.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Request, Response};
use http_body_util::Empty;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use rfc6455_proto::{HandshakeError, Role};
use tokio::net::TcpStream;

use super::accept::{ConnInfo, agree_deflate, check, complete};
use crate::config::Config;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::socket::WebSocket;
use crate::transport::{Rewound, Transport};

/// Check a request as a WebSocket upgrade and answer it: returns the `101 Switching
/// Protocols` response to send back and a future that yields the connection once hyper
/// has sent it.
///
/// `subprotocols` lists what this endpoint speaks; the first one the client offers (in the
/// client's order) is chosen. Only RFC 6455 is accepted here (a hybi-00 request is
/// refused as an invalid upgrade); a [`MapperService`](crate::MapperService) can accept
/// hybi-00 too.
///
/// On an HTTP/2 connection (hyper's `http2` server built with
/// `.enable_connect_protocol()`, or axum with its `http2` feature), the request is RFC
/// 8441's extended CONNECT with `:protocol websocket`, the response is `200 OK` instead of
/// `101`, and the connection is that one HTTP/2 stream; a CONNECT without `:protocol` is
/// refused with `405`, another `:protocol` with `400`.
///
/// # Errors
/// The [`HandshakeError`] when the request is not a valid upgrade;
/// [`reject`](rfc6455_proto::handshake::reject) turns it into the right HTTP answer (400,
/// 405, or 426 with `Sec-WebSocket-Version: 13`).
///
/// # Common issues
/// - The hyper connection must be served with `.with_upgrades()`, or the future never
///   completes.
/// - Return the response first and await the future in a spawned task: the connection is
///   only handed over after the 101 has been written.
///
/// ```no_run
/// use http_body_util::Empty;
/// use hyper::body::{Bytes, Incoming};
///
/// async fn handle(mut req: http::Request<Incoming>) -> Result<http::Response<Empty<Bytes>>, std::convert::Infallible> {
///     match rfc6455::upgrade(&mut req, rfc6455::Config::default(), &["chat"]) {
///         Ok((response, ws)) => {
///             tokio::spawn(async move {
///                 if let Ok(mut ws) = ws.await {
///                     let _ = ws.send_text("welcome").await;
///                 }
///             });
///             Ok(response)
///         }
///         Err(e) => {
///             let mut response = http::Response::new(Empty::new());
///             *response.status_mut() = e.status();
///             Ok(response)
///         }
///     }
/// }
/// ```
pub fn upgrade<B>(
    req: &mut Request<B>,
    config: Config,
    subprotocols: &[&str],
) -> Result<(Response<Empty<Bytes>>, UpgradeFuture), HandshakeError> {
    let offer = check(req)?;
    let chosen = offer.select_subprotocol(subprotocols).map(str::to_owned);
    let mut response = offer.response(chosen.as_deref());
    let deflate = agree_deflate(&offer, &config, &mut response);
    // The addresses are read from the stream once hyper hands it over.
    let mut info = complete(
        req,
        &mut response,
        &HeaderMap::new(),
        chosen,
        &ConnInfo::default(),
        config.keep_headers,
        true,
    );
    info.deflate = deflate;
    let (parts, ()) = response.into_parts();
    let on_upgrade = hyper::upgrade::on(req);
    Ok((
        Response::from_parts(parts, Empty::new()),
        UpgradeFuture {
            on_upgrade,
            config,
            info: Some(info),
        },
    ))
}

/// The connection of an accepted upgrade, ready once hyper has written the 101 response.
///
/// # Errors
/// Resolves to an error if hyper could not complete the upgrade (the client went away, or
/// the server was not built `.with_upgrades()`).
///
/// ```no_run
/// # fn f(mut req: http::Request<hyper::body::Incoming>) -> Result<(), rfc6455::HandshakeError> {
/// let (_response, future) = rfc6455::upgrade(&mut req, rfc6455::Config::default(), &[])?;
/// // Return `_response` from the hyper service; meanwhile:
/// tokio::spawn(async move {
///     match future.await {
///         Ok(mut ws) => drop(ws.send_text("hello").await),
///         Err(e) => eprintln!("upgrade failed: {e}"),
///     }
/// });
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "the connection is only available by awaiting this future"]
pub struct UpgradeFuture {
    on_upgrade: OnUpgrade,
    config: Config,
    info: Option<HandshakeInfo>,
}

impl Future for UpgradeFuture {
    type Output = Result<WebSocket, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let upgraded = match Pin::new(&mut self.on_upgrade).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(upgraded)) => upgraded,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(std::io::Error::other(e).into())),
        };
        let info = self.info.take().unwrap_or_default();
        Poll::Ready(Ok(websocket_from_upgraded(upgraded, self.config, info)))
    }
}

/// Turn hyper's upgraded connection into a server `WebSocket`, unwrapping plain TCP and
/// TLS over TCP so the hot path has no dynamic dispatch, and keeping any bytes hyper read
/// past the request. The addresses (and TLS) are recorded in `info` from the stream.
pub(crate) fn websocket_from_upgraded(
    upgraded: Upgraded,
    config: Config,
    mut info: HandshakeInfo,
) -> WebSocket {
    let (io, leftover) = io_from_upgraded(upgraded);
    let tcp = match &io {
        Transport::Tcp(tcp) => Some(tcp),
        #[cfg(feature = "tls")]
        Transport::TlsServer(tls) => {
            info.secure = true;
            Some(tls.get_ref().0)
        }
        _ => None,
    };
    if let Some(tcp) = tcp {
        info.set_addrs(tcp.local_addr().ok(), tcp.peer_addr().ok());
    }
    WebSocket::from_parts(io, Role::Server, Arc::new(config), leftover, info)
}

/// The stream under hyper's upgraded connection (this crate's server's own transport,
/// plain TCP, or TLS over TCP, unwrapped when it is one) and the bytes hyper read past the
/// request.
pub(crate) fn io_from_upgraded(upgraded: Upgraded) -> (Transport, BytesMut) {
    // What this crate's own server hands hyper.
    let upgraded = match upgraded.downcast::<TokioIo<Rewound>>() {
        Ok(parts) => {
            let Rewound { prefix, io } = parts.io.into_inner();
            let mut leftover = BytesMut::from(&prefix[..]);
            leftover.extend_from_slice(&parts.read_buf);
            return (io, leftover);
        }
        Err(upgraded) => upgraded,
    };
    let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let tcp = parts.io.into_inner();
            return (Transport::Tcp(tcp), BytesMut::from(&parts.read_buf[..]));
        }
        Err(upgraded) => upgraded,
    };
    #[cfg(feature = "tls")]
    let upgraded = match upgraded.downcast::<TokioIo<tokio_rustls::server::TlsStream<TcpStream>>>()
    {
        Ok(parts) => {
            let tls = parts.io.into_inner();
            let leftover = BytesMut::from(&parts.read_buf[..]);
            return (Transport::TlsServer(Box::new(tls)), leftover);
        }
        Err(upgraded) => upgraded,
    };
    (Transport::Upgraded(TokioIo::new(upgraded)), BytesMut::new())
}
