//! Listening and serving each TCP connection: the accept loop, TLS (and plain HTTP sent
//! to a TLS port), the first request head read by the server itself (the fast path for an
//! upgrade), and hyper for everything else.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::future::Either;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::accept::{ConnInfo, negotiate, wants_websocket};
use super::endpoint::{self, Endpoint};
use super::fallback::{ResponseBody, boxed};
use super::h2;
use super::options::ServerOptions;
use super::registry::{Registry, ServerHandle};
use super::settings::Settings;
use crate::http1::request::{self, Head, read_head, wants_close};
use crate::http1::response;
use crate::stop::StopSlot;
use crate::transport::{Rewound, Transport};

/// What every connection of one server shares: its settings, its endpoint and its
/// registry, in one allocation for the server's life.
struct Server {
    settings: Settings,
    endpoint: Box<dyn Endpoint>,
    registry: Arc<Registry>,
}

/// Bind, listen, and start accepting: every upgrade goes to `endpoint`.
pub(crate) async fn start(
    options: ServerOptions,
    endpoint: Box<dyn Endpoint>,
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
    let stop_timeout = options.stop_timeout;
    let registry = Arc::new(Registry::default());
    let server = Arc::new(Server {
        settings: Settings::from(options),
        endpoint,
        registry: registry.clone(),
    });
    let accept_loop = tokio::spawn(accept_loop(listener, local_addr, server));
    Ok(ServerHandle::new(
        local_addr,
        registry,
        accept_loop,
        stop_timeout,
    ))
}

async fn accept_loop(listener: TcpListener, local_addr: SocketAddr, server: Arc<Server>) {
    // Bound to one address, every connection's local address is that one (no system call
    // to ask for it); bound to all interfaces, it is asked per connection.
    let fixed_local = Some(local_addr).filter(|addr| !addr.ip().is_unspecified());
    let secure = server.settings.is_tls();
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
            () = server.registry.accepting_stopped() => return,
        };
        let conn = ConnInfo {
            local_addr: fixed_local.or_else(|| tcp.local_addr().ok()),
            peer_addr: Some(peer),
            secure,
        };
        // `stop` ends the HTTP side too: idle keep-alive connections close at once.
        let stop = server.registry.stop_slot();
        server
            .registry
            .spawn(handshake(tcp, server.clone(), conn, stop));
    }
}

/// TLS first when the server has it, then the first request head: an upgrade is
/// answered here and its connection spawned; anything else is served by hyper.
///
/// The task cell holds this future itself (about 1.2 KiB), which ends with the
/// handshake: a WebSocket connection goes on in a task of its own (`endpoint::spawn`,
/// tokio's smallest task). What only some connections need — the TLS handshake, HTTP/2,
/// hyper serving plain HTTP, a refusal's answer — is boxed where it starts, so that the
/// upgrade path's state stays small. Measured with 10 000 idle connections
/// (`tests/idle_memory.rs`), this leaves about 90 bytes less resident memory per
/// connection than this future boxed in a task of its own: the box, allocated while the
/// connection's long-lived blocks are, left a hole among them once freed.
async fn handshake(tcp: TcpStream, server: Arc<Server>, conn: ConnInfo, stop: StopSlot) {
    let settings = &server.settings;
    let _ = tcp.set_nodelay(true);
    let mut started = tokio::time::Instant::now();
    let stopped = || stop.stopped();
    #[cfg(feature = "tls")]
    let mut io = match &settings.tls {
        Some(tls) => {
            let peer = conn.peer_addr;
            let handshake =
                tokio::time::timeout(settings.handshake_timeout, Box::pin(accept_tls(tls, tcp)));
            tokio::select! {
                accepted = handshake => match accepted {
                    Ok(Ok(stream)) => Transport::TlsServer(Box::new(stream)),
                    Ok(Err(e)) => {
                        tracing::debug!("TLS connection from {peer:?} dropped: {e}");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake from {peer:?} timed out");
                        return;
                    }
                },
                () = stopped() => return,
            }
        }
        None => Transport::Tcp(tcp),
    };
    #[cfg(not(feature = "tls"))]
    let mut io = Transport::Tcp(tcp);
    // What is left of the handshake timeout (after TLS) is for the request head.
    let left = |started: tokio::time::Instant| {
        settings
            .handshake_timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1))
    };
    #[cfg(feature = "tls")]
    if let Transport::TlsServer(tls) = &io
        && tls.get_ref().1.alpn_protocol() == Some(crate::tls::ALPN_H2)
    {
        // HTTP/2 by ALPN: its preface, like a first head, within the handshake timeout.
        let mut preface = BytesMut::new();
        let read = h2::read_preface(&mut io, &mut preface);
        tokio::select! {
            read = tokio::time::timeout(left(started), read) => match read {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!("HTTP/2 connection from {:?} dropped: {e}", conn.peer_addr);
                    return;
                }
                Err(_) => {
                    tracing::debug!("HTTP/2 preface from {:?} timed out", conn.peer_addr);
                    return;
                }
            },
            () = stopped() => return,
        }
        let io = Rewound {
            prefix: preface.freeze(),
            io,
        };
        Box::pin(serve_h2(io, server, conn, stop)).await;
        return;
    }
    let mut buf = BytesMut::new();
    let limit = settings.max_header_size;
    let head = tokio::select! {
        read = tokio::time::timeout(left(started), read_head(&mut io, &mut buf, limit)) => {
            match read {
                Ok(Ok(Some(head))) => head,
                Ok(Ok(None)) => return,
                Ok(Err(e)) => {
                    tracing::debug!("connection from {:?} dropped: {e}", conn.peer_addr);
                    return;
                }
                Err(_) => {
                    tracing::debug!("request head from {:?} timed out", conn.peer_addr);
                    return;
                }
            }
        }
        () = stopped() => return,
    };
    if let Head::Upgrade(request, len) = head {
        let close = wants_close(&request);
        let rest = buf.split_off(len);
        let negotiated = negotiate(&request, settings, &conn, |hs| server.endpoint.open(hs));
        request::recycle(request);
        let refusal = match negotiated {
            Ok((response, accepted)) => {
                if let Err(e) = response::write(&mut io, &response, None, false).await {
                    tracing::debug!("101 to {:?} not sent: {e}", conn.peer_addr);
                    return;
                }
                let leftover = if rest.is_empty() {
                    BytesMut::new()
                } else {
                    BytesMut::from(&rest[..])
                };
                endpoint::spawn(accepted, io, leftover, Some((&server.registry, stop)));
                return;
            }
            Err(refusal) => refusal,
        };
        // Refused: answer, then serve whatever else the client asks on this connection
        // with hyper (HTTP/1.1 keep-alive), as if hyper had answered this request too.
        let response = refusal.into_response();
        let body = response.body().clone();
        let written = Box::pin(response::write(&mut io, &response, Some(&body), close)).await;
        if written.is_err() || close {
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut io).await;
            return;
        }
        buf = rest;
        // The next request is a new one, with the whole timeout for its head.
        started = tokio::time::Instant::now();
    }
    if settings.h2c && buf.starts_with(h2::PREFACE_START) {
        let io = Rewound {
            prefix: buf.freeze(),
            io,
        };
        Box::pin(serve_h2(io, server, conn, stop)).await;
        return;
    }
    let io = TokioIo::new(Rewound {
        prefix: buf.freeze(),
        io,
    });
    let header_read_timeout = left(started);
    Box::pin(serve_connection(
        io,
        header_read_timeout,
        server,
        conn,
        stop,
    ))
    .await;
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

/// Serve the rest of a connection with hyper: plain requests go to the fallback service,
/// upgrades (hybi-00 ones, or any after other requests) to the accept path.
async fn serve_connection<I>(
    io: TokioIo<I>,
    header_read_timeout: Duration,
    server: Arc<Server>,
    conn: ConnInfo,
    stop: StopSlot,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let max_buf_size = server.settings.max_header_size;
    let service = service(server, conn);
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(max_buf_size)
        .serve_connection(io, service)
        .with_upgrades();
    let conn = std::pin::pin!(conn);
    // Once stopped: finish the request in progress (an upgrade still completes), then close
    // instead of waiting for another request on an idle keep-alive connection.
    let result = stop.drive(conn, |conn| conn.graceful_shutdown()).await;
    if let Err(e) = result {
        tracing::debug!("HTTP connection ended: {e}");
    }
}

/// Serve an HTTP/2 connection (`h2` by ALPN, or h2c): each extended CONNECT to the
/// accept path, other requests to the fallback service.
async fn serve_h2(io: Rewound, server: Arc<Server>, conn: ConnInfo, stop: StopSlot) {
    let max_header_size = server.settings.max_header_size;
    let max_streams = server.settings.http2_max_streams;
    h2::serve(
        io,
        service(server, conn),
        max_header_size,
        max_streams,
        stop,
    )
    .await;
}

/// The hyper service of one connection (HTTP/1.1 or HTTP/2): requests for a WebSocket
/// (an upgrade, an extended CONNECT) to the accept path, others to the fallback service
/// (or the endpoint's plain answer).
fn service(
    server: Arc<Server>,
    conn: ConnInfo,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<ResponseBody>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<ResponseBody>, Infallible>> + Send + 'static,
> + Clone
+ Send
+ 'static {
    service_fn(move |mut req: Request<Incoming>| {
        let response = match &server.settings.fallback {
            Some(fallback) if !wants_websocket(&req) => Either::Left(fallback.call(req)),
            _ => {
                let on_upgrade = hyper::upgrade::on(&mut req);
                let (parts, _body) = req.into_parts();
                let req = Request::from_parts(parts, ());
                let response = endpoint::answer_hyper(
                    &req,
                    on_upgrade,
                    &*server.endpoint,
                    &server.settings,
                    &conn,
                    Some(&server.registry),
                );
                Either::Right(std::future::ready(boxed(response)))
            }
        };
        async move { Ok::<Response<ResponseBody>, Infallible>(response.await) }
    })
}
