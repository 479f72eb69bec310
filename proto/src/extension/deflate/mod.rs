//! permessage-deflate (RFC 7692): messages compressed with DEFLATE, flagged by RSV1.
//!
//! Two halves, kept apart as RFC 7692 keeps them:
//!
//! - **Negotiation** (handshake time, `negotiate.rs`): [`DeflateConfig`] is what one end
//!   wants; a client turns it into an offer ([`DeflateConfig::offer`]) and checks the
//!   server's answer ([`DeflateConfig::check_answer`]); a server picks the first acceptable
//!   offer ([`DeflateConfig::accept`]). Both give the agreed [`DeflateParams`].
//! - **The transform** (frame time, `codec.rs`): a [`Connection`](crate::Connection) built
//!   with [`Connection::with_deflate`](crate::Connection::with_deflate) compresses the
//!   messages it sends (RSV1 on their first frame, the `00 00 ff ff` tail removed, §7.2.1)
//!   and inflates those it receives with RSV1 (tail restored, §7.2.2), in bounded output
//!   chunks checked against the message limit before they are buffered.
//!
//! # Choices this implementation makes
//!
//! - **Window bits 8.** zlib-based compressors (zlib, zlib-ng, zlib-rs) cannot produce a
//!   256-byte window. When the peer limits this end's window to 8 bits, the offer is
//!   *accepted* and this end sends every message uncompressed (RSV1 clear), which RFC 7692
//!   allows for any message; inflating the peer's 8-bit stream works with a 9-bit window.
//! - **Invalid DEFLATE data** fails the connection with 1007
//!   ([`ProtocolError::InvalidCompressedData`](crate::ProtocolError::InvalidCompressedData)).
//! - **Inflated size.** The inflated message counts against
//!   [`Limits::max_message_size`](crate::Limits) (or the streamed limit for a streamed
//!   receive); going past it fails with 1009 before the excess is buffered.
//! - **Security (§8.1, CRIME).** Compressing a secret together with data an attacker chooses
//!   lets the attacker learn the secret from the compressed sizes. Send such messages with
//!   [`Connection::send_frame_uncompressed`](crate::Connection::send_frame_uncompressed).
//!
//! ```
//! use rfc6455_proto::extension::deflate::DeflateConfig;
//! use rfc6455_proto::handshake::{ClientRequest, check_request};
//! use rfc6455_proto::{Connection, Event, Limits};
//! use bytes::BytesMut;
//!
//! let config = DeflateConfig::default();
//! // The client offers; the server accepts; the client checks the answer.
//! let (request, _) = ClientRequest::new("ws://h/".parse()?, [7; 16])
//!     .extensions(config.offer().to_string())
//!     .build()?;
//! let offers = check_request(&request)?.extensions().to_vec();
//! let agreed = config.accept(&offers).expect("acceptable");
//! let answer = agreed.answer().to_string();
//! assert_eq!(answer, "permessage-deflate; client_max_window_bits=15");
//! let client_side = config.check_answer(&[agreed.answer()])?.expect("deflate agreed");
//!
//! let mut server = Connection::server(Limits::default()).with_deflate(agreed, &config);
//! let mut client = Connection::client(Limits::default(), [1; 32]).with_deflate(client_side, &config);
//! let text = "a compressible sentence, a compressible sentence, a compressible sentence";
//! client.send_text(text)?;
//! let mut wire = BytesMut::from(client.pending_output());
//! assert!(wire.len() < text.len());
//! let Some(Event::Data { payload, fin: true, .. }) = server.poll_event(&mut wire, false)? else {
//!     panic!("expected the message");
//! };
//! assert_eq!(&payload[..], text.as_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod config;
mod negotiate;
pub(crate) mod pool;

pub(crate) use self::codec::{DeflateCodec, INFLATE_STEP};
pub use self::config::{DeflateConfig, DeflateMode, NAME};
pub use self::negotiate::DeflateParams;

#[cfg(test)]
mod tests;
