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
//! [`serve_with`] adds a handshake hook that sees each request, may add response headers,
//! pick a subprotocol or refuse, and hands a per-connection state to the handler.
//! [`upgrade`] accepts a WebSocket inside an existing hyper or axum application.
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
pub use rfc6455_proto::{
    CloseCode, CloseFrame, DataKind, HandshakeError, Limits, Message, ProtocolError, Role,
    SendError, Utf8Bytes,
};

mod client;
mod config;
mod error;
mod info;
mod random;
mod server;
mod socket;
mod split;
mod transport;

pub use client::{ClientOptions, connect, connect_with};
pub use config::Config;
pub use error::{Error, ErrorKind};
pub use info::HandshakeInfo;
pub use server::{
    Handshake, Rejection, ServerHandle, ServerOptions, UpgradeFuture, serve, serve_with, upgrade,
};
pub use socket::WebSocket;
pub use split::{RecvHalf, SendHalf};
pub use transport::Transport;
