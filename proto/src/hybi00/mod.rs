//! The legacy hybi-00 protocol (draft-ietf-hybi-thewebsocketprotocol-00, the same text as
//! draft-hixie-thewebsocketprotocol-76): its opening handshake and its framing.
//!
//! Browsers spoke this draft in 2010–2011 (Chrome 6–13, Safari 5.0.1, Opera 11); the Racket
//! original still serves it beside RFC 6455, so this crate does too. Nothing here does I/O:
//! the handshake functions work on `http` types, the codec on a [`bytes::BytesMut`].
//!
//! # How the draft differs from RFC 6455
//!
//! | | RFC 6455 | hybi-00 |
//! |---|---|---|
//! | handshake keys | `Sec-WebSocket-Key` (base64 nonce) | `Sec-WebSocket-Key1`/`Key2`: digits ÷ spaces, each a 32-bit number |
//! | request body | none | 8 random bytes (*key3*) after the request head |
//! | server proof | `Sec-WebSocket-Accept` header (SHA-1) | a 16-byte body after the 101 head: MD5 of both numbers and key3 |
//! | 101 reason phrase | any | `WebSocket Protocol Handshake` |
//! | other 101 headers | — | `Sec-WebSocket-Location` (ws/wss URL), `Sec-WebSocket-Origin` (echo of `Origin`) |
//! | version header | `Sec-WebSocket-Version: 13` | none |
//! | subprotocol | token list, server picks one | one opaque value (see [`Hybi00Offer::subprotocols`]) |
//! | messages | text and binary | text only |
//! | fragmentation | yes | no: a message is one frame |
//! | ping / pong | yes | no |
//! | masking | client frames masked | none |
//! | text frame | header with opcode and length | `0x00`, UTF-8, `0xFF` (or the "new" length-prefixed form, [`FramingMode::New`]) |
//! | close | status code and reason | `0xFF 0x00`, no status, no reason |
//! | extensions | negotiated | none |
//!
//! # The handshake, as bytes
//!
//! ```text
//! client                                            server
//!   GET /demo HTTP/1.1 + Key1, Key2, … ─────────▶  check_request → Hybi00Offer
//!   8 bytes of key3 ─────────────────────────────▶  (read from the upgraded stream)
//!                                           ◀────── 101 WebSocket Protocol Handshake
//!                                                   (Hybi00Offer::response)
//!                                           ◀────── 16 bytes: Hybi00Offer::answer(key3),
//!                                                   queued first by Connection::hybi00_server
//!   Hybi00ClientHandshake::check_response
//! ```
//!
//! The 8-byte key3 is sent *after* the request head without a `Content-Length`, and the
//! 16-byte answer after the response head: the I/O layer moves them, this module computes
//! them ([`KEY3_LEN`], [`ANSWER_LEN`]).
//!
//! # Strictness
//!
//! The draft asks user agents to replace invalid UTF-8 with U+FFFD; this crate fails the
//! connection ([`ProtocolError::InvalidUtf8`]) instead, as RFC 6455 does. Every frame, kept
//! or discarded, is bounded by
//! [`Limits::max_message_size`](crate::Limits::max_message_size). The exact rules follow.
//!
//! # Framing
//!
//! How [`Connection::hybi00`](crate::Connection::hybi00) reads frames.
//!
//! [`FramingMode::Old`], following the draft's reading algorithm (§4.2 and §5.3):
//!
//! | bytes | result |
//! |---|---|
//! | `0x00`, UTF-8, `0xFF` | a text message (`Event::Data`) |
//! | `0xFF 0x00` | the close (`Event::Close(None)`) |
//! | `0xFF` then any other byte | [`ProtocolError::Hybi00Framing`] (see below) |
//! | `0x01`–`0x7F`, bytes, `0xFF` | discarded (draft: "discard the data") |
//! | `0x80`–`0xFE`, base-128 length, that many bytes | discarded (draft: "discard the read bytes") |
//!
//! The length after a type byte with its high bit set is big-endian base 128: each byte
//! gives 7 bits, and a set high bit means another byte follows. A length of more than ten
//! bytes (more than 64 bits) is a [`ProtocolError::Hybi00Framing`].
//!
//! A `0xFF` type byte followed by a non-zero byte fails the connection. The draft's reading
//! algorithm would read a length there and discard the frame unless the length is 0, but no
//! sender that follows the draft ever writes one (`0xFF` is only ever the closing frame, and
//! only as `0xFF 0x00`), and some implementations (the Racket original among them) treat any
//! `0xFF` as a close. Failing keeps the two readings from ever disagreeing silently.
//!
//! [`FramingMode::New`]: a type byte and an 8-byte big-endian length, then the data.
//!
//! | type | result |
//! |---|---|
//! | `0xFF` | a text message (`Event::Data`) |
//! | `0x00`, length 0 | the close (`Event::Close(None)`) |
//! | `0x00`, length > 0 | [`ProtocolError::Hybi00Framing`] |
//! | any other | discarded |
//!
//! ## Limits
//!
//! Every frame, kept or discarded, must be at most the message limit
//! ([`Limits::max_message_size`](crate::Limits::max_message_size)): otherwise decoding
//! fails with [`ProtocolError::MessageTooBig`]. A declared length (a base-128 length, or
//! the 64-bit length of the new mode) is checked before any of its data is read, so a frame
//! claiming 2<sup>63</sup> bytes fails at once. An unterminated `0x00` frame fails as soon as
//! more than the limit of its data has arrived. Discarded frames are dropped from the buffer
//! as they arrive, never held. Text is checked for UTF-8 as it arrives and fails at the first
//! invalid byte ([`ProtocolError::InvalidUtf8`]); the draft's advice to replace invalid
//! UTF-8 with U+FFFD is not followed.
//!
//! [`ProtocolError::Hybi00Framing`]: crate::ProtocolError::Hybi00Framing
//! [`ProtocolError::MessageTooBig`]: crate::ProtocolError::MessageTooBig
//! [`ProtocolError::InvalidUtf8`]: crate::ProtocolError::InvalidUtf8

mod framing;
mod handshake;

pub use framing::FramingMode;
pub(crate) use framing::{Hybi00Codec, Hybi00Frame};
pub use handshake::{
    ANSWER_LEN, Hybi00ClientHandshake, Hybi00Offer, KEY3_LEN, check_request, client_request,
    is_hybi00_request,
};
