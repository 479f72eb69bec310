//! [`ServerOptions`]: where and how a server listens, and the settings of its connections.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use rfc6455_proto::extension::deflate::DeflateConfig;
use rfc6455_proto::hybi00::FramingMode;

use super::fallback::Fallback;
use crate::config::Config;

/// Where and how a server listens, and the settings of its connections.
///
/// The options are read once, when the server starts ([`serve`](crate::serve) and its
/// siblings) or when [`accept`](crate::accept) runs a handshake; changing a copy later
/// changes nothing that is running.
///
/// | option | default |
/// |---|---|
/// | [`listen_addr`](Self::listen_addr) | `0.0.0.0` (all IPv4 interfaces); `::` for IPv6 |
/// | [`port`](Self::port) | 0 (the OS picks a free port; see [`ServerHandle::local_addr`](crate::ServerHandle::local_addr)) |
/// | [`backlog`](Self::backlog) | 511 |
/// | [`handshake_timeout`](Self::handshake_timeout) | 60 s to receive the request head |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB (answered with 431 beyond) |
/// | [`stop_timeout`](Self::stop_timeout) | 5 s for connections to close on `stop` |
/// | [`config`](Self::config) | [`Config::default`]: limits, idle timeout 300 s, … |
/// | [`compression`](Self::compression) | off (permessage-deflate, part of [`Config`]) |
/// | [`hybi00`](Self::hybi00) | off: only RFC 6455 upgrades are accepted |
/// | [`fallback`](Self::fallback) | none: a request that is not an upgrade gets `426 Upgrade Required` |
/// | [`tls`](Self::tls) | none: plain `ws://` (TLS needs the `tls` feature, on by default) |
/// | [`h2c`](Self::h2c) | off: cleartext connections speak HTTP/1.1 only (over TLS, ALPN picks `h2` or `http/1.1`) |
/// | [`http2_max_streams`](Self::http2_max_streams) | 256 streams at once on one HTTP/2 connection |
///
/// ```
/// use std::time::Duration;
/// let options = rfc6455::ServerOptions::default()
///     .port(8081)
///     .listen_addr("127.0.0.1".parse().unwrap())
///     .handshake_timeout(Duration::from_secs(10));
/// assert_eq!(options.port, 8081);
/// ```
///
/// [`accept`](crate::accept) and [`accept_with`](crate::accept_with), which run the
/// handshake on a stream the program already has, use the options about the handshake
/// and the connection ([`handshake_timeout`](Self::handshake_timeout),
/// [`max_header_size`](Self::max_header_size), [`config`](Self::config),
/// [`hybi00`](Self::hybi00)); the others are about listening and do not apply there.
///
/// Each option is a public field, read as `options.port` and set with the builder method
/// of the same name (the TLS setting and the fallback service only through theirs).
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use = "ServerOptions do nothing until given to serve, serve_with_hook, serve_mapped or accept"]
pub struct ServerOptions {
    /// The address to listen on.
    pub listen_addr: IpAddr,
    /// The port to listen on; 0 lets the OS pick one.
    pub port: u16,
    /// The listen backlog.
    pub backlog: u32,
    /// How long a client has to send its request head (and finish TLS).
    pub handshake_timeout: Duration,
    /// The largest request head accepted, in bytes.
    pub max_header_size: usize,
    /// How long [`ServerHandle::stop`](crate::ServerHandle::stop) waits for connections.
    pub stop_timeout: Duration,
    /// The settings of every connection.
    pub config: Config,
    /// hybi-00 upgrades accepted, and their framing; `None`: RFC 6455 only.
    pub hybi00: Option<FramingMode>,
    /// Whether a cleartext connection may speak HTTP/2 with prior knowledge (h2c).
    pub h2c: bool,
    /// The most streams (WebSockets and requests) one HTTP/2 connection carries at once.
    pub http2_max_streams: u32,
    pub(crate) fallback: Option<Fallback>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            listen_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 0,
            backlog: 511,
            handshake_timeout: Duration::from_secs(60),
            max_header_size: 16 * 1024,
            stop_timeout: Duration::from_secs(5),
            config: Config::default(),
            fallback: None,
            hybi00: None,
            h2c: false,
            http2_max_streams: 256,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServerOptions {
    /// The address to listen on: an IPv4 or IPv6 address, or an unspecified one for all
    /// interfaces. Default `0.0.0.0`.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().listen_addr("::1".parse().unwrap());
    /// # drop(options);
    /// ```
    pub fn listen_addr(mut self, addr: IpAddr) -> Self {
        self.listen_addr = addr;
        self
    }

    /// The TCP port; 0 lets the OS pick a free one. Default 0.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().port(8081);
    /// assert_eq!(options.port, 8081);
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The listen backlog (the original's `#:max-waiting`). Default 511.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().backlog(1024);
    /// # drop(options);
    /// ```
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// Whether to accept upgrades in the legacy hybi-00 draft (draft-76) beside RFC 6455,
    /// on the same port, as the original does. Default `false`: only RFC 6455.
    ///
    /// The draft has no close codes, no binary messages and a weak key exchange; turn it on
    /// only for clients that speak nothing else. Turned on, an upgrade request that is not
    /// valid RFC 6455 but carries `Sec-WebSocket-Key1` is tried as hybi-00, framed `Old`
    /// (see [`hybi00_framing`](Self::hybi00_framing)).
    ///
    /// ```
    /// // Old clients (the original's hybi-00 client, pre-2011 browsers) welcome too.
    /// let options = rfc6455::ServerOptions::default().hybi00(true);
    /// # drop(options);
    /// ```
    pub fn hybi00(mut self, enabled: bool) -> Self {
        self.hybi00 = enabled.then_some(FramingMode::Old);
        self
    }

    /// Accept hybi-00 upgrades (as [`hybi00(true)`](Self::hybi00)) and frame them in this
    /// mode: `Old` (`0x00 … 0xFF`, what browsers spoke; the default) or `New`
    /// (length-prefixed, the original's `hybi00-framing-mode 'new`).
    ///
    /// ```
    /// use rfc6455::proto::hybi00::FramingMode;
    /// let options = rfc6455::ServerOptions::default().hybi00_framing(FramingMode::New);
    /// # drop(options);
    /// ```
    pub fn hybi00_framing(mut self, mode: FramingMode) -> Self {
        self.hybi00 = Some(mode);
        self
    }

    /// Whether a cleartext connection may speak HTTP/2 with prior knowledge (h2c, RFC 9113
    /// §3.3) beside HTTP/1.1 on the same port. Default `false`.
    ///
    /// The server tells the two apart by the first bytes (HTTP/2's preface starts `PRI *
    /// HTTP/2.0`), so HTTP/1.1 upgrades keep their fast path. On HTTP/2 — here, or over
    /// TLS when the client picks `h2` by ALPN — each WebSocket is one stream opened by an
    /// extended CONNECT (RFC 8441): the server advertises `SETTINGS_ENABLE_CONNECT_PROTOCOL`
    /// and runs the same handler, hook, routing, limits and timeouts on each stream; it
    /// answers `200` to a valid one, `405` to a CONNECT without `:protocol`, `400` to
    /// another `:protocol` or a malformed header, `426` to a missing or wrong
    /// `sec-websocket-version`. Other requests go to the [fallback](Self::fallback)
    /// service (or get `426`). hybi-00 is HTTP/1.1 only. Each HTTP/2 connection carries
    /// at most [`http2_max_streams`](Self::http2_max_streams) WebSockets and requests at
    /// once, and request heads up to [`max_header_size`](Self::max_header_size).
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().h2c(true);
    /// assert!(options.h2c);
    /// ```
    pub fn h2c(mut self, enabled: bool) -> Self {
        self.h2c = enabled;
        self
    }

    /// The most streams — WebSockets and plain requests — one HTTP/2 connection carries
    /// at once (`SETTINGS_MAX_CONCURRENT_STREAMS`, RFC 9113 §6.5.2); a client opens another
    /// connection for more. Default 256.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().h2c(true).http2_max_streams(1000);
    /// assert_eq!(options.http2_max_streams, 1000);
    /// ```
    pub fn http2_max_streams(mut self, streams: u32) -> Self {
        self.http2_max_streams = streams;
        self
    }

    /// How long a new connection may take to send its request head (the original's
    /// `#:initial-connection-timeout`), its TLS handshake included on a TLS server; on
    /// HTTP/2, its connection preface.
    /// A hybi-00 client has as long again for the 8 bytes it sends after its head.
    /// Default 60 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = rfc6455::ServerOptions::default().handshake_timeout(Duration::from_secs(5));
    /// # drop(options);
    /// ```
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest request head accepted, in bytes (at least 8 KiB). Default 16 KiB.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default().max_header_size(64 * 1024);
    /// # drop(options);
    /// ```
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// How long [`ServerHandle::stop`](crate::ServerHandle::stop) waits for connections
    /// to close before ending them. Default 5 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = rfc6455::ServerOptions::default().stop_timeout(Duration::from_secs(1));
    /// # drop(options);
    /// ```
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// Settings of every connection (limits, idle timeout, buffers). Default
    /// [`Config::default`].
    ///
    /// ```
    /// use rfc6455::{Config, Limits};
    /// let config = Config::default().limits(Limits::default().max_message_size(1 << 20));
    /// let options = rfc6455::ServerOptions::default().config(config);
    /// # drop(options);
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The idle timeout of every connection; shorthand for a [`Config`] change.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = rfc6455::ServerOptions::default().idle_timeout(Some(Duration::from_secs(30)));
    /// # drop(options);
    /// ```
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config = self.config.idle_timeout(timeout);
        self
    }

    /// permessage-deflate (RFC 7692) for every connection whose client offers it;
    /// shorthand for [`Config::compression`], which says what it costs. Default: off.
    ///
    /// ```
    /// let options = rfc6455::ServerOptions::default()
    ///     .compression(Some(rfc6455::DeflateConfig::default()));
    /// assert!(options.config.compression.is_some());
    /// ```
    pub fn compression(mut self, settings: Option<DeflateConfig>) -> Self {
        self.config = self.config.compression(settings);
        self
    }

    /// Serve TLS on the port: `wss://` for WebSockets (hybi-00's `Sec-WebSocket-Location`
    /// then says `wss://`) and `https://` for the [fallback](Self::fallback) service.
    /// The client picks HTTP/2 or HTTP/1.1 by ALPN among those the [`ServerTls`](crate::tls::ServerTls) offers
    /// (both, when made from PEM files; see [`h2c`](Self::h2c) for what HTTP/2 serves).
    ///
    /// The TLS handshake counts against the [handshake
    /// timeout](Self::handshake_timeout). A client that fails the TLS handshake, or speaks
    /// plain HTTP to the port (it gets a short `400` in plain text, saying so), is logged
    /// at debug level and dropped; other connections go on undisturbed.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use rfc6455::tls::ServerTls;
    /// let tls = ServerTls::from_pem_files("cert.pem", "key.pem")?;
    /// let options = rfc6455::ServerOptions::default().port(8443).tls(tls);
    /// let server = rfc6455::serve(options, |mut ws| async move {
    ///     let _ = ws.send_text("hello over TLS").await;
    /// })
    /// .await?;
    /// # server.stop().await; Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether [`tls`](Self::tls) was set.
    ///
    /// ```
    /// assert!(!rfc6455::ServerOptions::default().is_tls());
    /// ```
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Serve plain HTTP on the same port: every request that is not a WebSocket upgrade
    /// (no `Upgrade: websocket` header) goes to `service` instead of getting
    /// `426 Upgrade Required`. Upgrade requests, valid or not, never reach it.
    ///
    /// `service` is any hyper service: [`hyper::service::service_fn`] over an async
    /// function, a [`StaticFiles`](crate::StaticFiles) folder, or a tower service (an axum
    /// `Router`, a tower-http `ServeDir`) wrapped in hyper-util's `TowerToHyperService`.
    /// An error from the service is answered `500 Internal Server Error` and logged.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use std::convert::Infallible;
    /// use http_body_util::{BodyExt, Full};
    /// use hyper::body::{Bytes, Incoming};
    /// use hyper::service::service_fn;
    /// use rfc6455::{ServerOptions, serve};
    ///
    /// async fn page(_req: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    ///     Ok(http::Response::new(Full::new(Bytes::from_static(b"<h1>Hello</h1>"))))
    /// }
    ///
    /// // GET / answers the page; a WebSocket upgrade on the same port reaches the handler.
    /// let options = ServerOptions::default().port(8081).fallback(service_fn(page));
    /// let server = serve(options, |mut ws| async move {
    ///     let _ = ws.send_text("hello").await;
    /// })
    /// .await?;
    /// # server.stop().await; Ok(()) }
    /// ```
    pub fn fallback<S, B>(mut self, service: S) -> Self
    where
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>>
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.fallback = Some(Fallback::new(service));
        self
    }
}
