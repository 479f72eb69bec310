//! The client: [`connect`] and [`connect_with`] dial, [`client()`] runs the handshake over
//! a stream the program already has.
//!
//! One attempt per URL: TCP (directly, or through an HTTP proxy's `CONNECT` tunnel), TLS
//! for `wss://`, then the opening handshake. A redirect answer starts a new attempt at its
//! `Location`, up to [`ClientOptions::max_redirects`].
//!
//! - `options`: [`ClientOptions`];
//! - `request`: [`IntoClientRequest`], what [`client()`] is given;
//! - `target`: the URL connected to;
//! - `proxy`: HTTP proxies and `CONNECT` tunnels;
//! - `handshake`: the opening handshake over a connected stream;
//! - `redirect`: which answers are followed, and where to;
//! - `cookies`: the `Cookie` header.

use http::{HeaderMap, Response};
use rfc6455_proto::Variant;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::client::handshake::Opening;
use crate::client::target::{Target, parse_url};
use crate::error::Error;
use crate::http2::Http2;
use crate::socket::WebSocket;
use crate::transport::Transport;

mod cookies;
mod h2;
mod handshake;
mod options;
mod proxy;
mod redirect;
mod request;
mod target;

pub use options::ClientOptions;
pub use request::IntoClientRequest;

/// Connect to a `ws://` or `wss://` URL with default options.
///
/// Returns the connection and the server's `101` response (status and headers; the
/// chosen subprotocol is also on [`WebSocket::subprotocol`], the URL finally connected to
/// on [`HandshakeInfo::url`](crate::HandshakeInfo::url)).
///
/// # Errors
/// - [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that is not `ws://`
///   or `wss://` (or `wss://` without the `tls` feature);
/// - [`ErrorKind::Io`](crate::ErrorKind::Io) if connecting fails;
/// - [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) for the connect, TLS or opening
///   handshake timeout;
/// - [`ErrorKind::Tls`](crate::ErrorKind::Tls) if TLS fails, for example a certificate
///   that is not trusted or not valid for the host;
/// - [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) if the server answers other
///   than `101` (the error carries the status, headers and the start of the body:
///   [`Error::response`]) or its `101` is invalid;
/// - [`ErrorKind::Redirect`](crate::ErrorKind::Redirect) for a redirect not followed (too
///   many, `wss://` to `ws://`, no usable `Location`);
/// - [`ErrorKind::Proxy`](crate::ErrorKind::Proxy) if the proxy refuses the tunnel.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (mut ws, response) = rfc6455::connect("ws://localhost:8081/test?foo=bar").await?;
/// assert_eq!(response.status(), 101);
/// ws.send_text("Hello").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<(WebSocket, Response<()>), Error> {
    connect_with(url, ClientOptions::default()).await
}

/// Connect to a `ws://` or `wss://` URL with these options.
///
/// # Errors
/// As for [`connect`].
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let options = rfc6455::ClientOptions::default().subprotocols(["subprotocol"]);
/// let (ws, _) = rfc6455::connect_with("ws://localhost:8081/test", options).await?;
/// assert_eq!(ws.subprotocol(), Some("subprotocol"));
/// # Ok(()) }
/// ```
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<(WebSocket, Response<()>), Error> {
    let mut headers = options.request_headers(HeaderMap::new())?;
    let mut url = parse_url(url)?;
    let mut redirects = 0;
    loop {
        let target = Target::new(url.clone())?;
        let err = match attempt(&target, &options, &headers).await {
            Ok(connected) => return Ok(connected),
            Err(e) => e,
        };
        url = redirect::follow(&url, err, redirects, &options, &mut headers)?;
        redirects += 1;
    }
}

/// Run the client's opening handshake over `stream`, a connection the program already
/// has: a `TcpStream` it connected itself, a TLS stream, a Unix socket, an in-memory
/// `tokio::io::duplex`. Returns the connection and the server's `101` response, as
/// [`connect_with`] does.
///
/// `request` names the URL (`ws://` or `wss://`), which gives the request's target and
/// its `Host` header, and may carry headers of its own (see [`IntoClientRequest`]). No
/// connection is made to the URL's host: the stream is the connection. The URL's scheme
/// decides nothing about the stream; `wss://` only makes
/// [`HandshakeInfo::is_secure`](crate::HandshakeInfo::is_secure) say so (and needs no
/// `tls` feature).
///
/// Of `options`, the request's headers, subprotocols, protocol variant, handshake
/// timeout, response head limit and connection settings apply. The connect and TLS
/// options, the proxy and redirects do not: a redirect is an error like any other answer
/// but `101`. The stream's addresses are not known here:
/// [`HandshakeInfo::peer_addr`](crate::HandshakeInfo::peer_addr) is `None`.
///
/// # Errors
/// - [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that is not `ws://`
///   or `wss://`, has no host or has a fragment;
/// - [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) for a request that is not
///   `GET` or not HTTP/1.1, an option with an unusable value, an answer other than `101`
///   (the error carries its status, headers and the start of its body:
///   [`Error::response`]) or a `101` that is invalid;
/// - [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) after the handshake timeout;
/// - [`ErrorKind::Io`](crate::ErrorKind::Io) if the stream fails or ends.
///
/// Nothing is written to the stream when the request or the options are refused.
///
/// # Cancel safety
/// Not cancel-safe: the handshake is then left half done on the stream, which is
/// dropped with the future.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rfc6455::ClientOptions;
/// use tokio::net::TcpStream;
///
/// let tcp = TcpStream::connect("127.0.0.1:8081").await?;
/// tcp.set_nodelay(true)?;
/// let (mut ws, response) =
///     rfc6455::client(tcp, "ws://localhost:8081/echo", ClientOptions::default()).await?;
/// assert_eq!(response.status(), 101);
/// ws.send_text("hello").await?;
/// # Ok(()) }
/// ```
///
/// Over a Unix socket, with a header of the request's own:
///
/// ```no_run
/// # #[cfg(unix)]
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rfc6455::ClientOptions;
/// use tokio::net::UnixStream;
///
/// let stream = UnixStream::connect("/run/app.sock").await?;
/// let request = http::Request::builder()
///     .uri("ws://localhost/events")
///     .header("authorization", "Bearer t0ken")
///     .body(())?;
/// let options = ClientOptions::default().subprotocols(["events.v1"]);
/// let (mut ws, _) = rfc6455::client(stream, request, options).await?;
/// while let Some(msg) = ws.recv().await {
///     println!("{:?}", msg?);
/// }
/// # Ok(()) }
/// ```
pub async fn client<S, R>(
    stream: S,
    request: R,
    options: ClientOptions,
) -> Result<(WebSocket<S>, Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: IntoClientRequest,
{
    let (target, own) = request::into_target(request.into_client_request()?)?;
    let headers = options.request_headers(own)?;
    let opening = Opening {
        target: &target,
        options: &options,
        headers: &headers,
        follows_redirects: false,
        local_addr: None,
        peer_addr: None,
    };
    handshake::open(stream, opening).await
}

/// One connection attempt at `target`: TCP (or a proxy tunnel), TLS, the handshake.
async fn attempt(
    target: &Target,
    options: &ClientOptions,
    headers: &HeaderMap,
) -> Result<(WebSocket, Response<()>), Error> {
    if target.secure && cfg!(not(feature = "tls")) {
        return Err(without_tls(target));
    }
    let proxy = match &options.proxy {
        Some(proxy) => Some(proxy.clone()),
        None if options.proxy_from_env => {
            proxy::from_env(target.secure, &target.host, target.port, |name| {
                std::env::var(name).ok()
            })?
        }
        None => None,
    };
    // HTTP/2 (RFC 8441) when asked for, never through a proxy or for hybi-00.
    if options.http2 != Http2::Off && proxy.is_none() && options.variant != Variant::Hybi00 {
        match h2::attempt(target, options, headers).await? {
            h2::Outcome::Connected(ws, response) => return Ok((ws, response)),
            h2::Outcome::Http11(io, local_addr, peer_addr) => {
                let opening = Opening {
                    target,
                    options,
                    headers,
                    follows_redirects: options.max_redirects > 0,
                    local_addr,
                    peer_addr,
                };
                return handshake::open(io, opening).await;
            }
            h2::Outcome::Unavailable => {}
        }
    }
    let deadline = Instant::now() + options.connect_timeout;
    let tcp = match &proxy {
        Some(proxy) => timeout_at(
            deadline,
            proxy.tunnel(&target.host, target.port, options.max_header_size),
        )
        .await
        .map_err(|_| Error::timeout("TCP connect and proxy CONNECT"))??,
        None => timeout_at(
            deadline,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(|_| Error::timeout("TCP connect"))??,
    };
    let _ = tcp.set_nodelay(true);
    let local_addr = tcp.local_addr().ok();
    let peer_addr = tcp.peer_addr().ok();
    let io = if target.secure {
        tls_connect(target, options, tcp).await?
    } else {
        Transport::Tcp(tcp)
    };
    let opening = Opening {
        target,
        options,
        headers,
        follows_redirects: options.max_redirects > 0,
        local_addr,
        peer_addr,
    };
    handshake::open(io, opening).await
}

#[cfg(feature = "tls")]
async fn tls_connect(
    target: &Target,
    options: &ClientOptions,
    tcp: TcpStream,
) -> Result<Transport, Error> {
    let deadline = Instant::now() + options.tls_timeout;
    let tls = timeout_at(deadline, options.tls.connect(&target.host, tcp))
        .await
        .map_err(|_| Error::timeout("TLS handshake"))??;
    Ok(Transport::TlsClient(Box::new(tls)))
}

#[cfg(not(feature = "tls"))]
async fn tls_connect(
    target: &Target,
    _options: &ClientOptions,
    _tcp: TcpStream,
) -> Result<Transport, Error> {
    Err(without_tls(target))
}

/// The error for a `wss://` URL without the `tls` feature.
fn without_tls(target: &Target) -> Error {
    Error::invalid_url(format!(
        "{}: wss:// needs the `tls` feature of rfc6455",
        target.url
    ))
}
