//! The RFC 6455 §4 opening handshake, as pure functions over `http` types.
//!
//! Nothing here reads a socket or picks a random number: the client's 16-byte nonce is
//! passed in, requests and responses are [`http::Request<()>`] and [`http::Response<()>`]
//! values, and the I/O layer writes and reads them.
//!
//! # The flow
//!
//! ```text
//!   client                                                    server
//!   ClientRequest::new(uri, nonce).build()
//!     → (Request, ClientHandshake)   ── GET, Upgrade ──▶   check_request(&req)
//!                                                            → Ok(ClientOffer) | Err(e)
//!                                                          offer.response(protocol)  (101)
//!   handshake.check_response(&resp) ◀── 101 / reject(&e) ──
//!     → Ok(ServerAnswer) | Err(e)
//! ```
//!
//! 1. The client builds the request with [`ClientRequest`] from a `ws://`/`wss://` URI and a
//!    nonce from a CSPRNG (§4.1: "randomly selected"), and keeps the [`ClientHandshake`].
//! 2. The server validates the request with [`check_request`] (§4.2.1). On success it picks
//!    a subprotocol from [`ClientOffer::subprotocols`] and extensions from
//!    [`ClientOffer::extensions`], and answers [`ClientOffer::response`] (101 Switching
//!    Protocols). On failure it answers [`reject`] (400, 405, 426 or 505 with a text body).
//! 3. The client validates the answer with [`ClientHandshake::check_response`] (§4.1); the
//!    [`ServerAnswer`] says which subprotocol and extensions are in use.
//!
//! ```
//! use rfc6455_proto::handshake::{ClientRequest, check_request};
//!
//! // Client: the nonce comes from a CSPRNG in real code.
//! let (request, handshake) = ClientRequest::new("ws://example.com/chat".parse()?, [7; 16])
//!     .subprotocols(["v2.chat", "v1.chat"])
//!     .build()?;
//!
//! // Server.
//! let offer = check_request(&request)?;
//! let chosen = offer.select_subprotocol(&["v1.chat"]);
//! let response = offer.response(chosen);
//! assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
//!
//! // Client again.
//! let answer = handshake.check_response(&response)?;
//! assert_eq!(answer.subprotocol(), Some("v1.chat"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # HTTP/2 (RFC 8441)
//!
//! On an HTTP/2 stream the client opens a WebSocket with an extended CONNECT
//! (`:protocol websocket`) instead of an upgrade: the server checks it with
//! [`check_connect_request`] and answers the offer's [`ClientOffer::response`], which is
//! then `200` without a key or accept.
//!
//! # Header values
//!
//! Header values that are not visible ASCII (the `http` crate allows any byte but control
//! characters) are never a panic: [`header_has_token`] treats such a value as absent, and
//! every parser of a list ([`header_tokens`], the extension parser) answers
//! [`HandshakeError::InvalidHeader`](crate::HandshakeError::InvalidHeader).

mod accept;
pub mod client;
mod connect;
mod headers;
pub mod server;

pub use self::accept::{WEBSOCKET_GUID, WEBSOCKET_VERSION, accept_key};
pub use self::client::{ClientHandshake, ClientRequest, ServerAnswer};
pub use self::connect::check_connect_request;
pub use self::headers::{header_has_token, header_tokens};
pub use self::server::{ClientOffer, check_request, is_upgrade_request, reject};
