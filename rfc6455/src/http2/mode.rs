//! [`Http2`]: whether a client opens its WebSockets over HTTP/2.

/// Whether [`connect_with`](crate::connect_with) opens the WebSocket as a stream of an
/// HTTP/2 connection (RFC 8441) instead of an HTTP/1.1 upgrade; set with
/// [`ClientOptions::http2`](crate::ClientOptions::http2). Default [`Off`](Self::Off).
///
/// Over HTTP/2, `connect` calls to the same origin (scheme, host, port, TLS settings)
/// share one connection while it has room for another stream (the server's
/// `SETTINGS_MAX_CONCURRENT_STREAMS`); a new connection is opened when it has not. HTTP/2
/// is not used through a proxy, nor for hybi-00.
///
/// ```
/// use rfc6455::{ClientOptions, http2::Http2};
/// let options = ClientOptions::default().http2(Http2::Prefer);
/// # drop(options);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Http2 {
    /// HTTP/1.1 upgrades only.
    #[default]
    Off,
    /// Over TLS (`wss://`), offer `h2` and `http/1.1` by ALPN: HTTP/2 when the server
    /// picks `h2` and advertises extended CONNECT (`SETTINGS_ENABLE_CONNECT_PROTOCOL`),
    /// an HTTP/1.1 upgrade otherwise (on the same connection when the server picked
    /// `http/1.1`, on a new one when it picked `h2` without extended CONNECT). `ws://`
    /// stays HTTP/1.1: cleartext HTTP/2 needs [`Require`](Self::Require).
    Prefer,
    /// HTTP/2 or an error ([`ErrorKind::Io`](crate::ErrorKind::Io), of kind
    /// `Unsupported`, saying what the server lacked): over TLS by ALPN `h2`; for `ws://`,
    /// in cleartext with prior knowledge (h2c).
    Require,
}
