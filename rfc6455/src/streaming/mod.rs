//! Messages as streams: send from a reader or through a writer, receive into a reader —
//! with memory bounded by the fragment size, whatever the message size.
//!
//! - [`WebSocket::send_stream`] sends everything an `AsyncRead` yields as one message, in
//!   fragments of at most [`Config::stream_fragment_size`](crate::Config::stream_fragment_size)
//!   bytes; [`WebSocket::send_chunks`] does the same from a `Stream` of byte chunks;
//!   [`WebSocket::message_writer`] gives an `AsyncWrite` whose bytes become fragments,
//!   finished by `shutdown` ([`MessageWriter`], in `writer`).
//! - [`WebSocket::recv_stream`] gives the next message as a [`MessageReader`] (in
//!   `reader`): an `AsyncRead` (and a `Stream` of `Bytes` chunks) that yields the payload
//!   as frames arrive. End of message is `Ok(0)` from `read`; the connection ending first
//!   is an `UnexpectedEof` error, so the two are told apart.
//! - [`WebSocket::recv_fragment`] and [`WebSocket::send_fragment`] work frame by frame
//!   ([`Fragment`]).
//!
//! The halves of a split connection have the same methods
//! ([`RecvHalf::recv_stream`](crate::RecvHalf::recv_stream),
//! [`SendHalf::send_stream`](crate::SendHalf::send_stream), …). hybi-00 connections have
//! no fragments: their streaming methods return
//! [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported).
//!
//! [`WebSocket::send_stream`]: crate::WebSocket::send_stream
//! [`WebSocket::send_chunks`]: crate::WebSocket::send_chunks
//! [`WebSocket::message_writer`]: crate::WebSocket::message_writer
//! [`WebSocket::recv_stream`]: crate::WebSocket::recv_stream
//! [`WebSocket::recv_fragment`]: crate::WebSocket::recv_fragment
//! [`WebSocket::send_fragment`]: crate::WebSocket::send_fragment

mod reader;
mod writer;

use bytes::Bytes;
use rfc6455_proto::DataKind;

use crate::driver::Chunk;

pub use reader::MessageReader;
pub use writer::MessageWriter;

/// One frame of a data message, as [`WebSocket::recv_fragment`](crate::WebSocket::recv_fragment)
/// delivers it.
///
/// ```
/// # fn demo(f: rfc6455::Fragment) {
/// if f.first { println!("a new {:?} message", f.kind); }
/// println!("{} bytes, last: {}", f.payload.len(), f.fin);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fragment {
    /// The type of the message this frame belongs to.
    pub kind: DataKind,
    /// The frame's payload, unmasked. For text, the message as a whole is valid UTF-8
    /// once `fin` is seen; a frame may end inside a character.
    pub payload: Bytes,
    /// This frame starts a message (opcode text or binary, not continuation).
    pub first: bool,
    /// This frame ends its message (FIN set).
    pub fin: bool,
}

impl Fragment {
    pub(crate) fn from_chunk(chunk: Chunk) -> Self {
        Self {
            kind: chunk.kind,
            payload: chunk.payload,
            first: chunk.first,
            fin: chunk.fin,
        }
    }
}
