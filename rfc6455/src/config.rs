//! Per-connection settings, fixed when the connection is made.

use std::time::Duration;

use rfc6455_proto::Limits;
use rfc6455_proto::extension::deflate::DeflateConfig;

/// Settings of one connection: the protocol limits plus the timeouts and buffers of the
/// tokio layer. Every default is written beside its setter.
///
/// Each setting is a public field, read as `config.idle_timeout` and set with the builder
/// method of the same name; the value is copied into the connection when it is made, so
/// changing it later does not reach a live connection.
///
/// The idle, keepalive and close timeouts are kept to 100 ms (one timer wheel per tokio
/// runtime serves every connection): each fires up to 100 ms after it is due, never before.
///
/// | setting | default |
/// |---|---|
/// | [`limits`](Self::limits) | 16 MiB frame, 64 MiB message, 131 072 fragments, streamed messages unbounded |
/// | [`idle_timeout`](Self::idle_timeout) | 300 s (close 1001) |
/// | [`ping_interval`](Self::ping_interval) | 20 s |
/// | [`pong_timeout`](Self::pong_timeout) | 20 s (close 1011) |
/// | [`close_timeout`](Self::close_timeout) | 5 s |
/// | [`write_buffer_limit`](Self::write_buffer_limit) | 128 KiB |
/// | [`send_timeout`](Self::send_timeout) | 30 s (connection dropped) |
/// | [`stream_fragment_size`](Self::stream_fragment_size) | 64 KiB |
/// | [`compression`](Self::compression) | off (`None`); turn on with `Some(DeflateConfig::default())` |
/// | [`keep_headers`](Self::keep_headers) | `true`: the handshake's headers stay readable for the connection's life |
///
/// ```
/// use std::time::Duration;
/// use rfc6455::{Config, Limits};
/// let config = Config::default()
///     .idle_timeout(Some(Duration::from_secs(30)))
///     .limits(Limits::default().max_message_size(1 << 20));
/// assert_eq!(config.idle_timeout, Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "a Config does nothing until a connection or server is built with it"]
pub struct Config {
    /// The protocol limits (frame, message, fragments, streamed messages).
    pub limits: Limits,
    /// Close with 1001 after this long without a frame from the peer; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// Ping the peer at the end of every interval this long in which no frame arrived;
    /// `None`: never.
    pub ping_interval: Option<Duration>,
    /// Fail the connection (1011) when a ping's pong has not arrived this long after it
    /// left; `None`: wait for it forever.
    pub pong_timeout: Option<Duration>,
    /// How long the closing handshake may take.
    pub close_timeout: Duration,
    /// Bytes queued for the socket above which `send` waits (backpressure).
    pub write_buffer_limit: usize,
    /// How long a send or flush may wait for a peer that reads nothing; `None`: forever.
    pub send_timeout: Option<Duration>,
    /// The largest fragment a streamed send writes (at least 1).
    pub stream_fragment_size: usize,
    /// permessage-deflate (RFC 7692): `None` neither offers nor accepts it.
    pub compression: Option<DeflateConfig>,
    /// Keep the handshake's request and response headers for
    /// [`HandshakeInfo::headers`](crate::HandshakeInfo::headers) and
    /// [`response_headers`](crate::HandshakeInfo::response_headers); `false` keeps only the
    /// request line (method, path and query).
    pub keep_headers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            idle_timeout: Some(Duration::from_secs(300)),
            ping_interval: Some(Duration::from_secs(20)),
            pong_timeout: Some(Duration::from_secs(20)),
            close_timeout: Duration::from_secs(5),
            write_buffer_limit: 128 * 1024,
            send_timeout: Some(Duration::from_secs(30)),
            stream_fragment_size: 64 * 1024,
            compression: None,
            keep_headers: true,
        }
    }
}

impl Config {
    /// The protocol limits (frame, message, fragments). Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Close the connection with 1001 when no frame has been received for this long;
    /// `None` disables it. Default 300 s, as the original's `ws-idle-timeout`.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Keepalive: at the end of every interval of this length in which no whole frame
    /// arrived from the peer, send a ping (whose pong must come back within
    /// [`pong_timeout`](Self::pong_timeout)). `None` disables it. Default 20 s.
    ///
    /// So a peer that vanished without closing TCP (power cut, dropped NAT mapping) is
    /// found within two intervals and a pong timeout: 60 s by default. 20 s, as Python
    /// `websockets`, is also below the idle timeouts of common proxies and load balancers
    /// (nginx's `proxy_read_timeout` and AWS ALB's idle timeout are 60 s), so the pings
    /// keep a quiet connection open through them. Each ping is 14 bytes (client: 18), at
    /// most one per interval and only on a quiet connection.
    ///
    /// Whole frames count, not bytes: a peer that trickles a frame more slowly than the
    /// interval and the pong timeout allow is closed like a silent one. A link that
    /// legitimately needs longer for one frame needs a longer interval or timeout.
    /// Timers run while the connection is being received from (`recv`, a
    /// [`RecvHalf`](crate::RecvHalf)); hybi-00 has no pings.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = rfc6455::Config::default().ping_interval(Some(Duration::from_secs(5)));
    /// assert_eq!(config.ping_interval, Some(Duration::from_secs(5)));
    /// ```
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// How long a ping (keepalive's or [`ping_rtt`](crate::WebSocket::ping_rtt)'s) may wait
    /// for its pong: then the connection is failed with close code 1011 ("keepalive ping
    /// timeout", as Python `websockets`) and `recv` returns
    /// [`ErrorKind::PongTimeout`](crate::ErrorKind::PongTimeout), without waiting for a
    /// closing handshake that an unresponsive peer would not complete. `None`: wait
    /// forever. Default 20 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = rfc6455::Config::default().pong_timeout(Some(Duration::from_secs(10)));
    /// assert_eq!(config.pong_timeout, Some(Duration::from_secs(10)));
    /// ```
    pub fn pong_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// How long the closing handshake may take: waiting for the peer's close frame after
    /// sending ours, and (client) for the server to close TCP. Default 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Bytes queued for the socket above which `send` waits until the peer has read some
    /// (backpressure). One message is always accepted whole; the bound is on what is queued
    /// before it. Default 128 KiB.
    pub fn write_buffer_limit(mut self, bytes: usize) -> Self {
        self.write_buffer_limit = bytes;
        self
    }

    /// How long a send (or flush) may wait for a peer that reads nothing: a send waits
    /// while more than [`write_buffer_limit`](Self::write_buffer_limit) is queued
    /// (backpressure); when the peer has not read a single byte for this long, the
    /// connection is dropped — its queued output discarded, the socket shut down, no
    /// closing handshake (the peer would not read it) — and the send returns
    /// [`ErrorKind::SendTimeout`](crate::ErrorKind::SendTimeout), as does `recv`. A slow
    /// reader is not a stuck one: each byte it reads starts the wait again. `None`: wait
    /// forever. Default 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = rfc6455::Config::default().send_timeout(Some(Duration::from_secs(5)));
    /// assert_eq!(config.send_timeout, Some(Duration::from_secs(5)));
    /// ```
    pub fn send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// The largest fragment a streamed send writes (the original's
    /// `rfc6455-stream-buffer-size`). Default 65 536 bytes.
    ///
    /// ```
    /// let config = rfc6455::Config::default().stream_fragment_size(16 * 1024);
    /// # let _ = config;
    /// ```
    pub fn stream_fragment_size(mut self, bytes: usize) -> Self {
        self.stream_fragment_size = bytes.max(1);
        self
    }

    /// permessage-deflate (RFC 7692): `Some(settings)` makes a server accept a client's
    /// offer and a client offer it; `None` turns it off. Default: off, on servers and
    /// clients alike, because it is a decision about the data: with context takeover every
    /// connection keeps a compressor and an inflater (a few hundred KiB at window bits 15,
    /// see [`DeflateConfig`]), and compressing secrets beside attacker-chosen data leaks
    /// them. Python `websockets` turns it on by default; Node `ws` only on its client.
    ///
    /// Whole messages under [`DeflateConfig::threshold`] go uncompressed; a message holding
    /// a secret next to data an attacker chooses should be sent with
    /// [`WebSocket::send_uncompressed`](crate::WebSocket::send_uncompressed) (RFC 7692 §8.1,
    /// CRIME).
    ///
    /// ```
    /// use rfc6455::Config;
    /// use rfc6455::proto::extension::deflate::DeflateConfig;
    /// let config = Config::default().compression(Some(DeflateConfig::default().window_bits(12)));
    /// assert_eq!(config.compression.unwrap().window_bits, 12);
    /// ```
    pub fn compression(mut self, settings: Option<DeflateConfig>) -> Self {
        self.compression = settings;
        self
    }

    /// Keep the handshake's headers for the life of the connection (default `true`), so
    /// that a handler can read a cookie, a token or the `Origin` through
    /// [`WebSocket::handshake`](crate::WebSocket::handshake). With `false` a connection
    /// keeps only the request line, and
    /// [`HandshakeInfo::headers`](crate::HandshakeInfo::headers) and
    /// [`response_headers`](crate::HandshakeInfo::response_headers) are empty: a browser's
    /// request head is about 500 bytes, which is a fifth of what an idle server connection
    /// costs. A server hook ([`serve_with_hook`](crate::serve_with_hook)) still sees every
    /// header while the handshake runs, and can hand what it needs to the handler.
    ///
    /// ```
    /// use rfc6455::Config;
    /// let lean = Config::default().keep_headers(false);
    /// assert!(!lean.keep_headers);
    /// assert!(Config::default().keep_headers);
    /// ```
    pub fn keep_headers(mut self, keep: bool) -> Self {
        self.keep_headers = keep;
        self
    }
}
