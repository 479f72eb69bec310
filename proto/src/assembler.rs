//! Reassembly of [`Event::Data`](crate::Event::Data) chunks into whole messages, apart from
//! the [`Connection`](crate::Connection) that checks them.

use bytes::{Bytes, BytesMut};

use crate::message::{DataKind, Message};
use crate::utf8::Utf8Bytes;

/// Joins the chunks of [`Event::Data`](crate::Event::Data) into whole [`Message`]s.
///
/// A message that arrives as one chunk is passed on without copying. The message-size limit
/// was already enforced by the [`Connection`](crate::Connection) before the bytes were buffered, so the
/// assembler never holds more than the limit.
///
/// ```
/// use bytes::Bytes;
/// use rfc6455_proto::{Assembler, DataKind, Message};
/// let mut asm = Assembler::default();
/// assert_eq!(asm.push(DataKind::Text, Bytes::from_static(b"Hel"), true, false), None);
/// let msg = asm.push(DataKind::Text, Bytes::from_static(b"lo"), false, true);
/// assert_eq!(msg, Some(Message::text("Hello")));
/// ```
#[derive(Debug, Default)]
pub struct Assembler {
    buf: BytesMut,
}

impl Assembler {
    /// Add a chunk; returns the message when `fin` completes it.
    ///
    /// The chunks must come from one [`Connection`](crate::Connection), whose checks guarantee that a text
    /// message is valid UTF-8 when `fin` is seen.
    pub fn push(
        &mut self,
        kind: DataKind,
        payload: Bytes,
        first: bool,
        fin: bool,
    ) -> Option<Message> {
        if first {
            self.buf.clear();
        }
        let whole = if first && fin {
            payload
        } else {
            if self.buf.is_empty() && self.buf.capacity() < payload.len() {
                self.buf.reserve(payload.len());
            }
            self.buf.extend_from_slice(&payload);
            if !fin {
                return None;
            }
            let whole = self.buf.split().freeze();
            if self.buf.capacity() > 64 * 1024 {
                self.buf = BytesMut::new();
            }
            whole
        };
        Some(match kind {
            DataKind::Text => Message::Text(Utf8Bytes::from_validated(whole)),
            DataKind::Binary => Message::Binary(whole),
        })
    }

    /// Whether part of a message is held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}
