//! The error type of the tokio layer.

use std::{fmt, io};

use rfc6455_proto::{CloseCode, HandshakeError, ProtocolError, SendError};

/// What went wrong, in broad strokes; see [`Error`] for the details.
///
/// ```
/// use rfc6455::ErrorKind;
/// assert_ne!(ErrorKind::Io, ErrorKind::Protocol);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The socket failed (reset, broken pipe, …).
    Io,
    /// The peer broke RFC 6455 or a configured limit; the connection was failed with the
    /// close code of [`Error::local_close_code`].
    Protocol,
    /// The opening handshake failed (a non-101 answer, a bad `Sec-WebSocket-Accept`, …).
    Handshake,
    /// The local program asked for a send the protocol does not allow; nothing was sent.
    Send,
    /// No frame arrived for the idle timeout; the connection was closed with 1001.
    IdleTimeout,
    /// A ping's pong did not arrive within the pong timeout
    /// ([`Config::pong_timeout`](crate::Config::pong_timeout)); the connection was failed
    /// with 1011.
    PongTimeout,
    /// The peer read nothing for the send timeout
    /// ([`Config::send_timeout`](crate::Config::send_timeout)) while a send or flush waited:
    /// the connection was dropped.
    SendTimeout,
    /// Connecting, the handshake or the closing handshake took longer than allowed.
    Timeout,
    /// The peer closed the TCP connection without a closing handshake (reported as 1006).
    Abnormal,
    /// The connection is closed: nothing more can be sent.
    Closed,
    /// A URL that is not a valid `ws://` or `wss://` URL (or a proxy URL that is not
    /// `http://`).
    InvalidUrl,
    /// TLS failed: the server's certificate was refused (unknown issuer, wrong name,
    /// expired, …), the TLS handshake failed, or the TLS settings are unusable.
    /// [`Error::tls_error`] gives rustls' error when there is one.
    Tls,
    /// A redirect was not followed: too many of them (see
    /// [`ClientOptions::max_redirects`](crate::ClientOptions::max_redirects)), one from
    /// `wss://` to `ws://`, or one without a usable `Location`. [`Error::response`] gives
    /// the last redirect answer.
    Redirect,
    /// The HTTP proxy refused the `CONNECT` tunnel (for example `407 Proxy Authentication
    /// Required`; [`Error::response`] gives its answer) or did not answer as a proxy.
    Proxy,
}

/// The error of every fallible operation of this crate.
///
/// Small (one pointer), so `Result<T, Error>` stays cheap. A clean close is never an error:
/// [`WebSocket::recv`](crate::WebSocket::recv) returns `None` then.
///
/// ```
/// use rfc6455::{Error, ErrorKind};
/// let err = Error::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
/// assert_eq!(err.kind(), ErrorKind::Io);
/// assert!(std::mem::size_of::<Error>() <= 8);
/// ```
pub struct Error(Box<Inner>);

#[derive(Debug)]
enum Inner {
    Io(io::Error),
    Protocol(ProtocolError),
    Handshake {
        error: HandshakeError,
        response: Option<http::Response<bytes::Bytes>>,
    },
    Send(SendError),
    IdleTimeout,
    PongTimeout,
    SendTimeout,
    Timeout(&'static str),
    Abnormal,
    Closed,
    InvalidUrl(String),
    Tls {
        context: String,
        source: io::Error,
    },
    Redirect {
        why: String,
        response: Option<http::Response<bytes::Bytes>>,
    },
    Proxy {
        why: String,
        response: Option<http::Response<bytes::Bytes>>,
    },
}

impl Error {
    /// The broad kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match &*self.0 {
            Inner::Io(_) => ErrorKind::Io,
            Inner::Protocol(_) => ErrorKind::Protocol,
            Inner::Handshake { .. } => ErrorKind::Handshake,
            Inner::Send(_) => ErrorKind::Send,
            Inner::IdleTimeout => ErrorKind::IdleTimeout,
            Inner::PongTimeout => ErrorKind::PongTimeout,
            Inner::SendTimeout => ErrorKind::SendTimeout,
            Inner::Timeout(_) => ErrorKind::Timeout,
            Inner::Abnormal => ErrorKind::Abnormal,
            Inner::Closed => ErrorKind::Closed,
            Inner::InvalidUrl(_) => ErrorKind::InvalidUrl,
            Inner::Tls { .. } => ErrorKind::Tls,
            Inner::Redirect { .. } => ErrorKind::Redirect,
            Inner::Proxy { .. } => ErrorKind::Proxy,
        }
    }

    /// The protocol violation, for [`ErrorKind::Protocol`].
    pub fn protocol_error(&self) -> Option<&ProtocolError> {
        match &*self.0 {
            Inner::Protocol(e) => Some(e),
            _ => None,
        }
    }

    /// The handshake failure, for [`ErrorKind::Handshake`].
    pub fn handshake_error(&self) -> Option<&HandshakeError> {
        match &*self.0 {
            Inner::Handshake { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The server's answer when a client handshake got something other than 101: status,
    /// headers, and the first bytes of the body (so a 401's `WWW-Authenticate` is visible).
    /// For [`ErrorKind::Redirect`], the last redirect answer; for [`ErrorKind::Proxy`], the
    /// proxy's answer to `CONNECT`.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// match rfc6455::connect("ws://localhost:8081/private").await {
    ///     Err(e) if e.response().is_some_and(|r| r.status() == 401) => {
    ///         let response = e.response().unwrap();
    ///         println!("challenge: {:?}", response.headers().get("www-authenticate"));
    ///         println!("body: {}", String::from_utf8_lossy(response.body()));
    ///     }
    ///     other => println!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub fn response(&self) -> Option<&http::Response<bytes::Bytes>> {
        match &*self.0 {
            Inner::Handshake { response, .. }
            | Inner::Redirect { response, .. }
            | Inner::Proxy { response, .. } => response.as_ref(),
            _ => None,
        }
    }

    /// rustls' own error, for [`ErrorKind::Tls`] when rustls reported one: for example
    /// `InvalidCertificate(UnknownIssuer)` for a server whose certificate no trusted root
    /// signed.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use rfc6455::tls::rustls;
    /// if let Err(e) = rfc6455::connect("wss://self-signed.example/").await {
    ///     if let Some(rustls::Error::InvalidCertificate(why)) = e.tls_error() {
    ///         eprintln!("the server's certificate was refused: {why:?}");
    ///     }
    /// }
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_error(&self) -> Option<&rustls::Error> {
        match &*self.0 {
            Inner::Tls { source, .. } => source.get_ref()?.downcast_ref::<rustls::Error>(),
            _ => None,
        }
    }

    /// The send that was refused, for [`ErrorKind::Send`].
    pub fn send_error(&self) -> Option<&SendError> {
        match &*self.0 {
            Inner::Send(e) => Some(e),
            _ => None,
        }
    }

    /// The underlying I/O error, for [`ErrorKind::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        match &*self.0 {
            Inner::Io(e) => Some(e),
            _ => None,
        }
    }

    /// The close code this end sent (or reports) because of this error: the protocol
    /// error's code, 1001 for the idle timeout, 1011 for the pong timeout, 1006 for an
    /// abnormal closure.
    pub fn local_close_code(&self) -> Option<CloseCode> {
        match &*self.0 {
            Inner::Protocol(e) => Some(e.close_code()),
            Inner::IdleTimeout => Some(CloseCode::GOING_AWAY),
            Inner::PongTimeout => Some(CloseCode::INTERNAL_ERROR),
            Inner::Abnormal => Some(CloseCode::ABNORMAL),
            _ => None,
        }
    }

    pub(crate) fn handshake(
        error: HandshakeError,
        response: Option<http::Response<bytes::Bytes>>,
    ) -> Self {
        Self(Box::new(Inner::Handshake { error, response }))
    }

    pub(crate) fn timeout(what: &'static str) -> Self {
        Self(Box::new(Inner::Timeout(what)))
    }

    pub(crate) fn idle_timeout() -> Self {
        Self(Box::new(Inner::IdleTimeout))
    }

    pub(crate) fn pong_timeout() -> Self {
        Self(Box::new(Inner::PongTimeout))
    }

    pub(crate) fn send_timeout() -> Self {
        Self(Box::new(Inner::SendTimeout))
    }

    pub(crate) fn abnormal() -> Self {
        Self(Box::new(Inner::Abnormal))
    }

    pub(crate) fn closed() -> Self {
        Self(Box::new(Inner::Closed))
    }

    pub(crate) fn invalid_url(why: impl Into<String>) -> Self {
        Self(Box::new(Inner::InvalidUrl(why.into())))
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls(context: impl Into<String>, source: io::Error) -> Self {
        Self(Box::new(Inner::Tls {
            context: context.into(),
            source,
        }))
    }

    pub(crate) fn redirect(
        why: impl Into<String>,
        response: Option<http::Response<bytes::Bytes>>,
    ) -> Self {
        Self(Box::new(Inner::Redirect {
            why: why.into(),
            response,
        }))
    }

    pub(crate) fn proxy(
        why: impl Into<String>,
        response: Option<http::Response<bytes::Bytes>>,
    ) -> Self {
        Self(Box::new(Inner::Proxy {
            why: why.into(),
            response,
        }))
    }

    /// Take the server's answer out of a handshake error (to follow a redirect).
    pub(crate) fn into_response(self) -> Option<http::Response<bytes::Bytes>> {
        match *self.0 {
            Inner::Handshake { response, .. }
            | Inner::Redirect { response, .. }
            | Inner::Proxy { response, .. } => response,
            _ => None,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Inner::Io(e) => write!(f, "I/O error: {e}"),
            Inner::Protocol(e) => write!(f, "protocol error (closed with {}): {e}", e.close_code()),
            Inner::Handshake { error, .. } => write!(f, "handshake failed: {error}"),
            Inner::Send(e) => write!(f, "send refused: {e}"),
            Inner::IdleTimeout => f.write_str("idle timeout: no frame received (closed with 1001)"),
            Inner::PongTimeout => {
                f.write_str("keepalive: no pong within the pong timeout (closed with 1011)")
            }
            Inner::SendTimeout => f.write_str("the peer read nothing for the send timeout"),
            Inner::Timeout(what) => write!(f, "timed out: {what}"),
            Inner::Abnormal => f.write_str("connection closed without a closing handshake (1006)"),
            Inner::Closed => f.write_str("connection closed"),
            Inner::InvalidUrl(why) => write!(f, "invalid WebSocket URL: {why}"),
            Inner::Tls { context, source } => write!(f, "TLS {context} failed: {source}"),
            Inner::Redirect { why, .. } => write!(f, "redirect not followed: {why}"),
            Inner::Proxy { why, .. } => write!(f, "HTTP proxy: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            Inner::Io(e) => Some(e),
            Inner::Protocol(e) => Some(e),
            Inner::Handshake { error, .. } => Some(error),
            Inner::Send(e) => Some(e),
            Inner::Tls { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self(Box::new(Inner::Io(e)))
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Self(Box::new(Inner::Protocol(e)))
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Self::handshake(e, None)
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Self::closed(),
            e => Self(Box::new(Inner::Send(e))),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match *e.0 {
            Inner::Io(e) => e,
            other => Self::other(Error(Box::new(other))),
        }
    }
}
