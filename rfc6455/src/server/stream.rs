//! [`accept`] and [`accept_with`]: the server's opening handshake on a stream the program
//! already has (a `TcpStream` it accepted, a TLS stream, a Unix socket, an in-memory
//! pipe).

use bytes::{Bytes, BytesMut};
use http::{Response, StatusCode};
use rfc6455_proto::HandshakeError;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::accept::{ConnInfo, negotiate, plain_http_answer};
use super::hook::{Handshake, Rejection};
use super::options::ServerOptions;
use super::settings::Settings;
use crate::error::Error;
use crate::http1::request::{self, Head, is_plain_request, read_head};
use crate::http1::response;
use crate::socket::WebSocket;

/// Run the server's opening handshake on `stream` and return the connection: read the
/// request head, check it (RFC 6455; hybi-00 too if [`ServerOptions::hybi00`] is on),
/// answer `101 Switching Protocols`, and hand the bytes read past the head to the
/// connection. The counterpart of [`serve`](crate::serve) for a program that accepts its
/// connections itself.
///
/// Of `options`, those about the handshake and the connection apply
/// ([`handshake_timeout`](ServerOptions::handshake_timeout),
/// [`max_header_size`](ServerOptions::max_header_size), [`config`](ServerOptions::config),
/// [`hybi00`](ServerOptions::hybi00)); the listening ones do not. The stream is used as it
/// is: TLS, if any, is the program's (so [`HandshakeInfo::is_secure`] is `false`, a hybi-00
/// answer names `ws://`, and the handshake knows no socket addresses).
///
/// # Errors
/// - [`ErrorKind::Handshake`]: the request was refused, and the answer sent is in
///   [`Error::response`]: `426 Upgrade Required` for a plain HTTP request (as the
///   listening server answers it), `400 Bad Request` for a head that is malformed or
///   announces a body, `431` for one larger than the limit (all with
///   [`HandshakeError::Rejected`]); the handshake rules'
///   answer for an invalid upgrade ([`Error::handshake_error`] says which rule: `400`,
///   `426` for another `Sec-WebSocket-Version`, `405` for another method).
/// - [`ErrorKind::Timeout`]: the request head (or hybi-00's 8 bytes of key3) did not
///   arrive within the handshake timeout.
/// - [`ErrorKind::Io`]: the stream failed or closed.
///
/// The stream is closed (dropped) in every case.
///
/// # Cancel safety
/// Not cancel-safe: the stream belongs to the future, and dropping the future drops it.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use rfc6455::ServerOptions;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
/// loop {
///     let (tcp, peer) = listener.accept().await?;
///     tokio::spawn(async move {
///         match rfc6455::accept(tcp, ServerOptions::default()).await {
///             Ok(mut ws) => {
///                 while let Some(Ok(msg)) = ws.recv().await {
///                     if ws.send(msg).await.is_err() {
///                         break;
///                     }
///                 }
///             }
///             Err(e) => eprintln!("{peer}: {e}"),
///         }
///     });
/// }
/// # }
/// ```
///
/// Over any stream, here an in-memory pipe to this crate's own client:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), rfc6455::Error> {
/// use tokio::io::AsyncWriteExt;
///
/// let (mut client, server) = tokio::io::duplex(4096);
/// client
///     .write_all(
///         b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///           Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///           Sec-WebSocket-Version: 13\r\n\r\n",
///     )
///     .await?;
/// let ws = rfc6455::accept(server, rfc6455::ServerOptions::default()).await?;
/// assert_eq!(ws.handshake().path(), "/chat");
/// # Ok(()) }
/// ```
///
/// [`HandshakeInfo::is_secure`]: crate::HandshakeInfo::is_secure
/// [`ErrorKind::Handshake`]: crate::ErrorKind::Handshake
/// [`ErrorKind::Timeout`]: crate::ErrorKind::Timeout
/// [`ErrorKind::Io`]: crate::ErrorKind::Io
pub async fn accept<S>(stream: S, options: ServerOptions) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (ws, ()) = accept_with(stream, options, |_: &mut Handshake<'_>| Ok(())).await?;
    Ok(ws)
}

/// [`accept`] with a handshake hook, as [`serve_with_hook`](crate::serve_with_hook) has: `hook` sees
/// the request, may add response headers and pick one of the offered subprotocols, may
/// refuse with an HTTP status, and returns a state, handed back with the connection.
///
/// # Errors
/// As for [`accept`]; a refusal of the hook is [`ErrorKind::Handshake`] with
/// [`HandshakeError::Rejected`] and the hook's answer in [`Error::response`].
///
/// # Cancel safety
/// Not cancel-safe: the stream belongs to the future, and dropping the future drops it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), rfc6455::Error> {
/// use rfc6455::{Handshake, Rejection, ServerOptions};
/// use tokio::io::AsyncWriteExt;
///
/// let (mut client, server) = tokio::io::duplex(4096);
/// client
///     .write_all(
///         b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///           Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///           Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\nX-User: ada\r\n\r\n",
///     )
///     .await?;
/// let hook = |hs: &mut Handshake<'_>| {
///     hs.accept_subprotocol("chat");
///     let user = hs.request().headers().get("x-user");
///     let user = user.ok_or(Rejection::from(http::StatusCode::UNAUTHORIZED))?;
///     Ok(user.to_str().unwrap_or("?").to_owned())
/// };
/// let (ws, user) = rfc6455::accept_with(server, ServerOptions::default(), hook).await?;
/// assert_eq!(user, "ada");
/// assert_eq!(ws.subprotocol(), Some("chat"));
/// # Ok(()) }
/// ```
///
/// [`ErrorKind::Handshake`]: crate::ErrorKind::Handshake
pub async fn accept_with<S, K, St>(
    mut stream: S,
    options: ServerOptions,
    hook: K,
) -> Result<(WebSocket<S>, St), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: FnOnce(&mut Handshake<'_>) -> Result<St, Rejection>,
{
    let settings = Settings::from(options);
    let mut buf = BytesMut::new();
    let limit = settings.max_header_size;
    let read = read_head(&mut stream, &mut buf, limit);
    let head = match tokio::time::timeout(settings.handshake_timeout, read).await {
        Ok(Ok(Some(head))) => head,
        Ok(Ok(None)) => {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(Error::timeout("the request head")),
    };
    let (request, len) = match head {
        Head::Upgrade(request, len) => (request, len),
        Head::Other => {
            // Not a request this reader takes for an upgrade: plain HTTP (426, as the
            // listening server answers it), too large (431), malformed or with a body (400).
            let response = if is_plain_request(&buf) {
                plain_http_answer()
            } else if buf.len() >= limit {
                Rejection::new(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "Request header fields too large.\n",
                )
                .into_response()
            } else {
                Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "Bad request: not a WebSocket upgrade request.\n",
                )
                .into_response()
            };
            let status = response.status();
            refuse(&mut stream, &response).await;
            return Err(Error::handshake(
                HandshakeError::Rejected(status),
                Some(response),
            ));
        }
    };
    let rest = buf.split_off(len);
    let conn = ConnInfo::default();
    let negotiated = negotiate(&request, &settings, &conn, hook);
    request::recycle(request);
    let (response, accepted) = match negotiated {
        Ok(accepted) => accepted,
        Err(refusal) => {
            let (error, response) = refusal.into_parts();
            refuse(&mut stream, &response).await;
            return Err(Error::handshake(error, Some(response)));
        }
    };
    response::write(&mut stream, &response, None, false).await?;
    let leftover = if rest.is_empty() {
        BytesMut::new()
    } else {
        BytesMut::from(&rest[..])
    };
    let (opening, state) = accepted.open(stream, leftover);
    Ok((opening.finish().await?, state))
}

/// Answer a refused request (the connection then closes).
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, response: &Response<Bytes>) {
    let written = response::write(stream, response, Some(response.body()), true).await;
    if let Err(e) = written {
        tracing::debug!("refusal not sent: {e}");
    }
    let _ = stream.shutdown().await;
}
