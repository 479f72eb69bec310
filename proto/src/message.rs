//! Data messages: their type ([`DataKind`]) and a whole message ([`Message`]).

use bytes::Bytes;

use crate::frame::OpCode;
use crate::utf8::Utf8Bytes;

/// The type of a data message.
///
/// ```
/// assert_ne!(rfc6455_proto::DataKind::Text, rfc6455_proto::DataKind::Binary);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Arbitrary bytes (opcode 0x2).
    Binary,
}

impl DataKind {
    /// The opcode of a message's first frame.
    pub(crate) fn opcode(self) -> OpCode {
        match self {
            Self::Text => OpCode::Text,
            Self::Binary => OpCode::Binary,
        }
    }

    /// The type a data frame's opcode starts (`Text` for 0x1, `Binary` otherwise: callers
    /// pass the opcode of a text or binary frame).
    pub(crate) fn of_opcode(opcode: OpCode) -> Self {
        if opcode == OpCode::Text {
            Self::Text
        } else {
            Self::Binary
        }
    }
}

/// A whole data message.
///
/// ```
/// use rfc6455_proto::Message;
/// let m = Message::text("hi");
/// assert_eq!(m.as_text(), Some("hi"));
/// assert!(Message::binary(vec![1, 2]).as_text().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// The text, if this is a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Binary(_) => None,
        }
    }

    /// The payload bytes, whatever the type.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
        }
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Text or binary.
    pub fn kind(&self) -> DataKind {
        match self {
            Self::Text(_) => DataKind::Text,
            Self::Binary(_) => DataKind::Binary,
        }
    }

    /// The payload as `Bytes`, sharing memory.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Self::Text(t) => t.into_bytes(),
            Self::Binary(b) => b,
        }
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Self::text(s)
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Self::text(s)
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Self::binary(v)
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Self::Binary(b)
    }
}
