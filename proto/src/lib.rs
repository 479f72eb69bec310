//! The sans-I/O core of the `rfc6455` WebSocket library.
//!
//! This crate knows the WebSocket protocol (RFC 6455, and the legacy hybi-00 draft) and
//! nothing else. It does **not** open sockets, spawn tasks, read the clock or pick random
//! numbers: bytes come in, events and bytes go out, and the caller moves them. That makes
//! every rule testable without a network and lets any runtime drive it. The `rfc6455`
//! crate drives it on tokio and hyper.
//!
//! ```text
//!            bytes from the peer                         bytes for the peer
//!   socket ───────────────────────┐           ┌──────────────────────────▶ socket
//!                                 ▼           │
//!                     ┌────────────────────────────────┐
//!                     │ Connection                     │
//!                     │  frame decode · unmask · UTF-8  │
//!                     │  fragments · limits · close     │
//!                     │  auto-pong (queued duty frames) │
//!                     └────────────────────────────────┘
//!                                 │           ▲
//!                 Event (data, close, pong)   │ send_* (text, binary, ping, close)
//!                                 ▼           │
//!                               the application
//! ```
//!
//! What lives here:
//! - [`FrameHeader`] and [`OpCode`]: the wire format of §5.2;
//! - [`mask`]: §5.3 masking, fast and reference;
//! - [`Utf8Validator`] and [`Utf8Bytes`]: fail-fast incremental UTF-8 (§8.1);
//! - [`CloseCode`] and [`CloseFrame`]: §5.5.1 and §7.4;
//! - [`Connection`]: the per-connection state machine (fragmentation, limits, the close
//!   handshake, automatic pongs) and [`Assembler`]-free frame events;
//! - [`handshake`]: the opening handshake rules of §4 as pure functions over `http` types;
//! - [`extension`]: the `Sec-WebSocket-Extensions` header as the handshake reads it (no
//!   extension is implemented: RSV bits always fail the connection);
//! - [`hybi00`]: the legacy draft, handshake and framing.

#![deny(unsafe_code)]

mod assembler;
mod close;
mod close_code;
mod config;
mod connection;
mod error;
pub mod extension;
mod frame;
pub mod handshake;
pub mod hybi00;
pub mod mask;
mod message;
mod token;
mod utf8;
mod variant;

pub use assembler::Assembler;
pub use close::{CloseFrame, MAX_CLOSE_REASON};
pub use close_code::CloseCode;
pub use config::{Limits, Role};
pub use connection::{CloseState, Connection, Event};
pub use error::{HandshakeError, ProtocolError, SendError};
pub use frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
pub use message::{DataKind, Message};
pub use utf8::{InvalidUtf8, Utf8Bytes, Utf8Validator};
pub use variant::Variant;

#[cfg(test)]
mod tests;
