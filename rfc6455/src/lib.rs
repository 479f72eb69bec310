//! WebSockets for Rust: RFC 6455, strict and bounded, on tokio and hyper.
//!
//! `rfc6455` is a server and a client. The protocol itself lives in the sans-I/O crate
//! [`rfc6455_proto`] (re-exported as [`proto`]); this crate moves its bytes over tokio
//! sockets and serves upgrades with hyper, so one port can serve WebSockets and plain HTTP.
//!
//! # A server
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! use rfc6455::{ServerOptions, serve};
//!
//! let server = serve(ServerOptions::default().port(8081), |mut ws| async move {
//!     // Echo every message back until the client closes.
//!     while let Some(Ok(msg)) = ws.recv().await {
//!         if ws.send(msg).await.is_err() {
//!             break;
//!         }
//!     }
//! })
//! .await?;
//! println!("listening on ws://{}", server.local_addr());
//! # server.stop().await; Ok(()) }
//! ```
//!
//! [`serve_with_hook`] adds a handshake hook that sees each request, may add response headers,
//! pick a subprotocol or refuse, and hands a per-connection state to the handler.
//! [`upgrade`] accepts a WebSocket inside an existing hyper or axum application, and
//! [`accept`] (or [`accept_with`], with a hook) on any stream the program accepted itself
//! (a `TcpStream`, a TLS stream, a Unix socket):
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! use rfc6455::ServerOptions;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! let (tcp, _) = listener.accept().await?;
//! let mut ws = rfc6455::accept(tcp, ServerOptions::default()).await?;
//! ws.send_text("hello").await?;
//! # Ok(()) }
//! ```
//!
//! The server speaks RFC 6455 only unless told otherwise: [`ServerOptions::hybi00`] turns
//! on the legacy hybi-00 draft (draft-76) on the same port, for clients that speak nothing
//! else.
//!
//! # Routing by path and subprotocol, and a page on the same port
//!
//! A [`ServiceMapper`] is an ordered table of path patterns, each with handlers chosen by
//! the subprotocol the client offers (the original's `ws-service-mapper`);
//! [`serve_mapped`] serves it. [`ServerOptions::fallback`] hands plain HTTP requests to any
//! hyper service — [`StaticFiles`] serves a folder — so one port serves the page and its
//! WebSockets:
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::{ServerOptions, ServiceMapper, StaticFiles, serve_mapped};
//!
//! let mapper = ServiceMapper::builder()
//!     .path("/test")
//!         .no_subprotocol(|mut ws, _| async move { let _ = ws.send_text("no subprotocol").await; })
//!         .subprotocol("subprotocol", |mut ws, _| async move {
//!             let _ = ws.send_text("This is the subprotocol handler").await;
//!         })
//!     .path(r"/rooms/(?<room>\w+)")
//!         .subprotocol("chat", |mut ws, params| async move {
//!             let room = params.get("room").unwrap_or_default().to_owned();
//!             let _ = ws.send_text(&format!("welcome to {room}")).await;
//!         })
//!     .build()?;
//! let options = ServerOptions::default().port(8081).fallback(StaticFiles::new("public"));
//! let server = serve_mapped(options, mapper).await?;
//! # server.stop().await; Ok(()) }
//! ```
//!
//! In an existing application, [`ServiceMapper::into_service`] is a hyper and tower
//! service (axum: `Router::fallback_service`), and with the `axum` feature
//! `rfc6455::axum::WebSocketUpgrade` is an extractor for a single endpoint.
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `tls` | on | `wss://` on both sides with rustls (`ring`): [`ServerOptions::tls`], the client's TLS options, `rfc6455::tls` |
//! | `axum` | off | `rfc6455::axum`: the `WebSocketUpgrade` extractor for axum 0.8 |
//! | `redis` | off | `rfc6455::topics::RedisBackplane`: topics shared between server processes through Redis pub/sub |
//!
//! Without `tls` (`default-features = false`) the crate has no TLS dependency and a
//! `wss://` URL is refused with [`ErrorKind::InvalidUrl`].
//!
//! # A client
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), rfc6455::Error> {
//! let (mut ws, _response) = rfc6455::connect("ws://localhost:8081/").await?;
//! ws.send_text("Hello").await?;
//! if let Some(reply) = ws.recv().await {
//!     println!("{:?}", reply?);
//! }
//! ws.close(rfc6455::CloseCode::NORMAL, "bye").await?;
//! # Ok(()) }
//! ```
//!
//! The client connects to `ws://` and `wss://` URLs (IPv6 literals too: `ws://[::1]:8081/`),
//! follows redirects (up to 5 by default, never from `wss://` down to `ws://`), reports any
//! other non-101 answer as an error carrying its status, headers and the start of its body
//! ([`Error::response`]), tunnels through an HTTP proxy with `CONNECT`, and has separate
//! connect, TLS and handshake timeouts: see [`ClientOptions`]. [`client()`] runs the same
//! handshake over a stream the program already has (a Unix socket, its own TLS, an
//! in-memory pipe).
//!
//! # TLS
//!
//! With the `tls` feature, a server given [`ServerOptions::tls`] serves `wss://` (and its
//! fallback service `https://`) on its port, and the client verifies `wss://` servers
//! against the Mozilla root set, the platform's roots, or CA certificates you add. See
//! the [`tls`] module.
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::{ClientOptions, ServerOptions, serve, tls::ServerTls};
//!
//! let tls = ServerTls::from_pem_files("cert.pem", "key.pem")?;
//! let server = serve(ServerOptions::default().port(8443).tls(tls), |mut ws| async move {
//!     let _ = ws.send_text("hello").await;
//! })
//! .await?;
//!
//! let options = ClientOptions::default().ca_pem_file("ca.pem")?;
//! let (mut ws, _) = rfc6455::connect_with("wss://localhost:8443/", options).await?;
//! println!("{:?}", ws.recv().await);
//! # server.stop().await; Ok(()) }
//! # #[cfg(not(feature = "tls"))] fn main() {}
//! ```
//!
//! # The connection
//!
//! A [`WebSocket`] sends text, binary and hand-made fragments ([`WebSocket::send_fragment`]),
//! queues several messages for one flush ([`WebSocket::feed`]), receives whole messages
//! with [`WebSocket::recv`] — cancel-safe, so it can sit in `tokio::select!` — and is a
//! `Stream` and a `Sink`. [`WebSocket::split`] gives halves for two tasks. Pings are
//! answered automatically; a connection that receives nothing for the idle timeout
//! (300 s by default) is closed with 1001.
//!
//! # Strict and bounded
//!
//! Every malformed input fails the connection with the right close code (1002 protocol
//! error, 1007 invalid UTF-8, 1009 too big), and the error is returned by `recv`. Limits are
//! checked before anything is buffered: see [`Limits`] and [`Config`] for every default.

pub use rfc6455_proto as proto;
pub use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode, DeflateParams};
pub use rfc6455_proto::hybi00::FramingMode;
pub use rfc6455_proto::{
    CloseCode, CloseFrame, DataKind, HandshakeError, Limits, Message, ProtocolError, Role,
    SendError, Utf8Bytes, Variant,
};

mod buffer_pool;
mod client;
mod coarse_timer;
mod config;
mod driver;
mod error;
#[cfg(fuzzing)]
pub mod fuzzing;
mod http1;
pub mod http2;
mod info;
mod random;
mod server;
mod shared_frame;
mod socket;
mod split;
mod stop;
mod streaming;
#[cfg(feature = "tls")]
pub mod tls;
pub mod topics;
mod transport;

#[cfg(feature = "axum")]
pub mod axum;

pub use client::{ClientOptions, IntoClientRequest, client, connect, connect_with};
pub use config::Config;
pub use error::{Error, ErrorKind};
pub use info::HandshakeInfo;
pub use server::{
    Handshake, MapperBuilder, MapperError, MapperService, PathBuilder, PathParams, Rejection,
    ServerHandle, ServerOptions, ServiceMapper, StaticFiles, UpgradeFuture, accept, accept_with,
    serve, serve_mapped, serve_with_hook, upgrade,
};
pub use shared_frame::SharedFrame;
pub use socket::WebSocket;
pub use split::{RecvHalf, SendHalf};
pub use streaming::{Fragment, MessageReader, MessageWriter};
pub use transport::Transport;

// The README's Rust programs run as doc tests (`cargo test --doc`). They use the default
// features (the TLS example needs `tls`, the Redis one `redis`). The crate's README.md
// links to the repository's.
#[cfg(all(doctest, feature = "tls", feature = "redis"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
