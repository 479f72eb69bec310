//! WebSockets over HTTP/2 (RFC 8441): several WebSockets share one HTTP/2 connection, one
//! stream each, opened by an extended CONNECT (`:protocol websocket`) instead of an
//! upgrade.
//!
//! The server side needs nothing from here: [`serve`](crate::serve) and its siblings speak
//! HTTP/2 over TLS (ALPN `h2`) and, with [`ServerOptions::h2c`](crate::ServerOptions::h2c),
//! in cleartext; [`upgrade`](crate::upgrade) and [`MapperService`](crate::MapperService)
//! answer extended CONNECTs inside a hyper or axum HTTP/2 server. The client asks for
//! HTTP/2 with [`ClientOptions::http2`](crate::ClientOptions::http2) ([`Http2`]), and
//! shares one connection per origin. This module also holds [`H2Stream`], the byte stream
//! of one such WebSocket on the client side of an [`h2`] connection, for programs that
//! run their own `h2` client:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rfc6455::http2::H2Stream;
//! use rfc6455::{Config, Role, WebSocket};
//!
//! // An h2c connection with prior knowledge; over TLS, dial with ALPN "h2" first.
//! let tcp = tokio::net::TcpStream::connect("127.0.0.1:8081").await?;
//! let (mut h2, connection) = h2::client::handshake(tcp).await?;
//! tokio::spawn(connection);
//! let request = http::Request::connect("http://127.0.0.1:8081/chat")
//!     .extension(h2::ext::Protocol::from("websocket"))
//!     .header("sec-websocket-version", "13")
//!     .body(())?;
//! let (response, send) = h2.send_request(request, false)?;
//! let response = response.await?;
//! assert_eq!(response.status(), 200);
//! let stream = H2Stream::new(send, response.into_body());
//! let mut ws = WebSocket::from_stream(stream, Role::Client, Config::default());
//! ws.send_text("hello over HTTP/2").await?;
//! # Ok(()) }
//! ```

mod mode;
pub(crate) mod pool;
mod stream;

pub use mode::Http2;
pub use stream::H2Stream;
