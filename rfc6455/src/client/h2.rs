//! The client over HTTP/2 (RFC 8441): a stream of a shared connection to the origin (new
//! or from the pool), an extended CONNECT on it, the answer checked as on HTTP/1.1
//! (subprotocol, permessage-deflate) but for its `200`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Bytes, BytesMut};
use h2::client::SendRequest;
use http::header::{AUTHORIZATION, CONNECTION, HOST, SEC_WEBSOCKET_KEY, UPGRADE};
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use rfc6455_proto::handshake::ClientRequest;
use rfc6455_proto::{Connection, HandshakeError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::client::options::ClientOptions;
use crate::client::target::Target;
use crate::error::Error;
use crate::http2::pool::{self, Origin, Shared, Slot};
use crate::http2::{H2Stream, Http2};
use crate::info::{Extra, HandshakeInfo};
use crate::socket::WebSocket;
use crate::transport::Transport;

/// The client's receive window for a whole HTTP/2 connection (each stream keeps the
/// default 64 KiB). h2 closes a connection (GOAWAY `ENHANCE_YOUR_CALM`) that holds more
/// small DATA frames unread than half of this window allows for (its guard against
/// floods of tiny frames); a WebSocket message under 256 bytes is one such frame, so the
/// window is sized for thousands of them across the connection's streams.
const CONNECTION_WINDOW: u32 = 4 << 20;

/// What trying HTTP/2 came to.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per connect and unpacked at once; boxing the WebSocket would cost \
              an allocation"
)]
pub(crate) enum Outcome {
    /// The WebSocket, on a stream.
    Connected(WebSocket, Response<()>),
    /// The server picked `http/1.1` by ALPN: the upgrade goes on over this connection.
    Http11(Transport, Option<SocketAddr>, Option<SocketAddr>),
    /// HTTP/2 is not to be had (and was not required): an HTTP/1.1 upgrade on a new
    /// connection.
    Unavailable,
}

/// The stream of a WebSocket at `target` over HTTP/2, as `options` ask
/// ([`ClientOptions::http2`], not `Off`).
pub(crate) async fn attempt(
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
) -> Result<Outcome, Error> {
    let required = options.http2 == Http2::Require;
    if !target.secure && !required {
        return Ok(Outcome::Unavailable);
    }
    let origin = Origin {
        secure: target.secure,
        host: target.host.clone(),
        port: target.port,
        tls: tls_digest(target, options),
    };
    let (send, slot, addrs) = match pool::take(&origin) {
        Some((shared, slot)) => (shared.send, slot, shared.addrs),
        None => match dial(target, options).await? {
            Dialed::H2(shared) => {
                if !shared.send.is_extended_connect_protocol_enabled() {
                    if required {
                        return Err(unsupported(
                            "the server's HTTP/2 does not advertise extended CONNECT \
                             (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441)",
                        ));
                    }
                    return Ok(Outcome::Unavailable);
                }
                let slot = pool::put(origin, &shared);
                (shared.send, slot, shared.addrs)
            }
            Dialed::Http11(_, _, _) if required => {
                return Err(unsupported("the server chose http/1.1, not h2, by ALPN"));
            }
            Dialed::Http11(io, local, peer) => return Ok(Outcome::Http11(io, local, peer)),
        },
    };
    let deadline = Instant::now() + options.handshake_timeout;
    let (ws, response) = timeout_at(deadline, open(send, slot, target, options, headers, addrs))
        .await
        .map_err(|_| Error::timeout("opening handshake"))??;
    Ok(Outcome::Connected(ws, response))
}

fn unsupported(why: &str) -> Error {
    Error::from(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("HTTP/2 required: {why}"),
    ))
}

#[cfg(feature = "tls")]
fn tls_digest(target: &Target, options: &ClientOptions) -> u64 {
    if target.secure {
        options.tls.digest()
    } else {
        0
    }
}

#[cfg(not(feature = "tls"))]
fn tls_digest(_target: &Target, _options: &ClientOptions) -> u64 {
    0
}

/// A new connection to the origin.
enum Dialed {
    /// HTTP/2, its task running, the server's SETTINGS read.
    H2(Shared),
    /// TLS where the server picked `http/1.1`.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Http11(Transport, Option<SocketAddr>, Option<SocketAddr>),
}

/// Connect (TCP, then TLS offering `h2` for `wss://`; prior knowledge for `ws://`) and
/// start HTTP/2 on it.
async fn dial(target: &Target, options: &ClientOptions) -> Result<Dialed, Error> {
    let deadline = Instant::now() + options.connect_timeout;
    let tcp = timeout_at(
        deadline,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| Error::timeout("TCP connect"))??;
    let _ = tcp.set_nodelay(true);
    let addrs = (tcp.local_addr().ok(), tcp.peer_addr().ok());
    if !target.secure {
        return Ok(Dialed::H2(start(tcp, options, addrs).await?));
    }
    tls_dial(target, options, tcp, addrs).await
}

#[cfg(feature = "tls")]
async fn tls_dial(
    target: &Target,
    options: &ClientOptions,
    tcp: TcpStream,
    addrs: (Option<SocketAddr>, Option<SocketAddr>),
) -> Result<Dialed, Error> {
    let deadline = Instant::now() + options.tls_timeout;
    let tls = timeout_at(
        deadline,
        options.tls.connect_offering(&target.host, tcp, true),
    )
    .await
    .map_err(|_| Error::timeout("TLS handshake"))??;
    if tls.get_ref().1.alpn_protocol() == Some(crate::tls::ALPN_H2) {
        Ok(Dialed::H2(start(tls, options, addrs).await?))
    } else {
        let io = Transport::TlsClient(Box::new(tls));
        Ok(Dialed::Http11(io, addrs.0, addrs.1))
    }
}

#[cfg(not(feature = "tls"))]
async fn tls_dial(
    target: &Target,
    _options: &ClientOptions,
    _tcp: TcpStream,
    _addrs: (Option<SocketAddr>, Option<SocketAddr>),
) -> Result<Dialed, Error> {
    Err(Error::invalid_url(format!(
        "{}: wss:// needs the `tls` feature of rfc6455",
        target.url
    )))
}

/// The HTTP/2 handshake over `io`; its connection runs in a task of its own. Returns once
/// the server's SETTINGS have been read (a PING answered: the server's SETTINGS come
/// first), so that whether it allows extended CONNECT is known.
async fn start<T>(
    io: T,
    options: &ClientOptions,
    addrs: (Option<SocketAddr>, Option<SocketAddr>),
) -> Result<Shared, Error>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let deadline = Instant::now() + options.handshake_timeout;
    let started = async {
        let (send, mut connection) = h2::client::Builder::new()
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake(io)
            .await
            .map_err(h2_error)?;
        let mut ping = connection.ping_pong();
        let shared = Shared::new(send, addrs);
        let alive = shared.alive.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("HTTP/2 connection ended: {e}");
            }
            alive.store(false, Ordering::Release);
        });
        if let Some(ping) = ping.as_mut() {
            ping.ping(h2::Ping::opaque()).await.map_err(h2_error)?;
        }
        let send = shared.send.clone().ready().await.map_err(h2_error)?;
        Ok::<_, Error>(Shared { send, ..shared })
    };
    timeout_at(deadline, started)
        .await
        .map_err(|_| Error::timeout("HTTP/2 handshake"))?
}

fn h2_error(e: h2::Error) -> Error {
    match e.into_io() {
        Some(io) => Error::from(io),
        None => Error::from(io::Error::other("HTTP/2 error")),
    }
}

/// The extended CONNECT on a new stream of `send`, and the WebSocket on it.
async fn open(
    send: SendRequest<Bytes>,
    slot: Slot,
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
    (local_addr, peer_addr): (Option<SocketAddr>, Option<SocketAddr>),
) -> Result<(WebSocket, Response<()>), Error> {
    let mut headers = headers.clone();
    if !headers.contains_key(AUTHORIZATION)
        && let Some(auth) = target.basic_auth()
    {
        headers.insert(AUTHORIZATION, auth);
    }
    // The same offer as on HTTP/1.1 (its key unused), sent as RFC 8441 §5 asks.
    let compression = options.config.compression.as_ref();
    let mut builder = ClientRequest::new(target.uri.clone(), [0; 16])
        .subprotocols(options.subprotocols.iter().cloned())
        .headers(headers);
    if let Some(settings) = compression {
        builder = builder.extensions(settings.offer().to_string());
    }
    let (request, expected) = builder.build()?;
    let request = extended_connect(request, target)?;
    let mut send = send.ready().await.map_err(h2_error)?;
    let (response, stream) = send
        .send_request(request.clone(), false)
        .map_err(h2_error)?;
    let response = response.await.map_err(h2_error)?;
    let (parts, body) = response.into_parts();
    let response = Response::from_parts(parts, ());
    let answer = match expected.check_connect_response(&response) {
        Ok(answer) => answer,
        Err(e @ HandshakeError::UnexpectedStatus(_)) => {
            let (parts, ()) = response.into_parts();
            return Err(Error::handshake(
                e,
                Some(Response::from_parts(parts, Bytes::new())),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut core = Connection::client(options.config.limits, crate::random::seed());
    let mut deflate = None;
    if let Some(settings) = compression {
        deflate = settings.check_answer(answer.extensions())?;
        if let Some(agreed) = deflate {
            core = core.with_deflate(agreed, settings);
        }
    }
    let url = target.url.to_string();
    let extra = Extra {
        subprotocol: answer.subprotocol(),
        url: Some(&url),
        local_addr,
        peer_addr,
    };
    let mut info = HandshakeInfo::record(
        &request,
        response.headers(),
        options.config.keep_headers,
        false,
        &extra,
    );
    info.secure = target.secure;
    info.deflate = deflate;
    let io = Transport::H2(Box::new(H2Stream::pooled(stream, body, slot)));
    let config = Arc::new(options.config);
    let ws = WebSocket::from_core(io, core, config, BytesMut::new(), info);
    Ok((ws, response))
}

/// An HTTP/1.1 upgrade request as RFC 8441's extended CONNECT: `:method CONNECT`,
/// `:protocol websocket`, `:scheme`/`:authority`/`:path` from the URL, and no `Host`,
/// `Upgrade`, `Connection` or `Sec-WebSocket-Key`.
fn extended_connect(request: Request<()>, target: &Target) -> Result<Request<()>, Error> {
    let (mut parts, ()) = request.into_parts();
    let scheme = if target.secure { "https" } else { "http" };
    let authority = target
        .uri
        .authority()
        .map_or_else(String::new, |a| a.as_str().to_owned());
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    parts.uri = Uri::try_from(format!("{scheme}://{authority}{path}"))
        .map_err(|e| Error::invalid_url(format!("{}: {e}", target.url)))?;
    parts.method = Method::CONNECT;
    parts.version = Version::HTTP_2;
    for name in [HOST, UPGRADE, CONNECTION, SEC_WEBSOCKET_KEY] {
        parts.headers.remove(name);
    }
    parts
        .extensions
        .insert(h2::ext::Protocol::from_static("websocket"));
    Ok(Request::from_parts(parts, ()))
}
