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
    /// The fragments so far, boxed: a connection that never receives a fragmented message
    /// (most) holds 8 bytes for it, not 32.
    buf: Option<Box<BytesMut>>,
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
        if first && let Some(buf) = &mut self.buf {
            buf.clear();
        }
        let whole = if first && fin {
            payload
        } else {
            let buf = self.buf.get_or_insert_default();
            if buf.is_empty() && buf.capacity() < payload.len() {
                buf.reserve(payload.len());
            }
            buf.extend_from_slice(&payload);
            if !fin {
                return None;
            }
            let whole = buf.split().freeze();
            if buf.capacity() > 64 * 1024 {
                self.buf = None;
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
        self.buf.as_ref().is_none_or(|buf| buf.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::Assembler;
    use crate::message::{DataKind, Message};

    fn push(asm: &mut Assembler, data: &'static [u8], first: bool, fin: bool) -> Option<Message> {
        asm.push(DataKind::Binary, Bytes::from_static(data), first, fin)
    }

    /// A message's first chunk starts it afresh: what an unfinished one left is dropped,
    /// and the room it took is used again.
    #[test]
    fn a_first_chunk_starts_a_new_message() {
        let mut asm = Assembler::default();
        assert!(asm.is_empty());
        assert_eq!(push(&mut asm, b"stale", true, false), None);
        assert!(!asm.is_empty());
        assert_eq!(push(&mut asm, b"ab", true, false), None);
        let whole = push(&mut asm, b"cd", false, true);
        assert_eq!(whole, Some(Message::binary(&b"abcd"[..])));
        assert!(asm.is_empty());
        // A one-chunk message passes through, whatever was held.
        assert_eq!(push(&mut asm, b"x", true, false), None);
        assert_eq!(
            push(&mut asm, b"whole", true, true),
            Some(Message::binary(&b"whole"[..]))
        );
        assert_eq!(
            push(&mut asm, b"!", false, true),
            Some(Message::binary(&b"!"[..])),
            "the one-chunk message dropped what was held"
        );
    }
}
