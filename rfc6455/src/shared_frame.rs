//! [`SharedFrame`]: one message built once and sent to many connections, each writing
//! its payload from the same shared memory.

use bytes::Bytes;
use rfc6455_proto::{DataKind, FrameHeader, MAX_HEADER_LEN, Message, OpCode, Utf8Bytes};

/// A whole message to send to many connections: its payload is built (and, for text,
/// validated) once, held in shared [`Bytes`], and written by each connection straight
/// from that memory. Cloning it costs a reference count.
///
/// [`WebSocket::send_shared`](crate::WebSocket::send_shared) and
/// [`SendHalf::send_shared`](crate::SendHalf::send_shared) send one; a
/// [`Topics`](crate::topics::Topics) hub hands them to every subscriber.
///
/// The frame is encoded once: the server's frame header (2 to 10 bytes, unmasked) is
/// built with the frame, and a server connection with nothing else queued writes that
/// header and the shared payload in one vectored write — no copy, no encoding and, while
/// the socket takes what it is given, no allocation per connection. A client (which must mask), a hybi-00 connection, and
/// a connection with permessage-deflate copy the payload into their output as for
/// [`WebSocket::send`](crate::WebSocket::send); with permessage-deflate the frame is sent
/// uncompressed (RSV1 clear, always allowed by RFC 7692), since no compressed form is shared.
///
/// ```
/// use rfc6455::SharedFrame;
/// let frame = SharedFrame::text("tick 42");
/// let copy = frame.clone(); // a reference count, not a copy of the payload
/// assert_eq!(copy.as_bytes().as_ptr(), frame.as_bytes().as_ptr());
/// assert_eq!(frame.len(), 7);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFrame {
    message: Message,
    /// The frame header a server sends it with (FIN, no RSV bit, no mask).
    header: [u8; MAX_HEADER_LEN],
    header_len: u8,
}

impl SharedFrame {
    /// A text frame.
    ///
    /// ```
    /// let frame = rfc6455::SharedFrame::text(String::from("hello"));
    /// assert_eq!(frame.kind(), rfc6455::DataKind::Text);
    /// ```
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::from(Message::text(text))
    }

    /// A binary frame.
    ///
    /// ```
    /// let frame = rfc6455::SharedFrame::binary(vec![1, 2, 3]);
    /// assert_eq!(frame.kind(), rfc6455::DataKind::Binary);
    /// ```
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::from(Message::binary(data))
    }

    /// Text or binary.
    ///
    /// ```
    /// assert_eq!(rfc6455::SharedFrame::text("a").kind(), rfc6455::DataKind::Text);
    /// ```
    pub fn kind(&self) -> DataKind {
        self.message.kind()
    }

    /// The payload.
    ///
    /// ```
    /// assert_eq!(rfc6455::SharedFrame::text("a").as_bytes(), b"a");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.message.as_bytes()
    }

    /// The payload's length in bytes.
    ///
    /// ```
    /// assert_eq!(rfc6455::SharedFrame::binary(vec![0; 3]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.message.len()
    }

    /// Whether the payload is empty.
    ///
    /// ```
    /// assert!(rfc6455::SharedFrame::text("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.message.is_empty()
    }

    /// The message this frame carries (shares its payload).
    ///
    /// ```
    /// let frame = rfc6455::SharedFrame::text("hi");
    /// assert_eq!(frame.message().as_text(), Some("hi"));
    /// ```
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message this frame carries.
    ///
    /// ```
    /// let message = rfc6455::SharedFrame::text("hi").into_message();
    /// assert_eq!(message.as_text(), Some("hi"));
    /// ```
    pub fn into_message(self) -> Message {
        self.message
    }

    /// The frame header a server sends this frame with.
    pub(crate) fn server_header(&self) -> &[u8] {
        &self.header[..usize::from(self.header_len)]
    }

    /// The payload as shared memory.
    pub(crate) fn payload(&self) -> &[u8] {
        self.message.as_bytes()
    }
}

impl From<Message> for SharedFrame {
    fn from(message: Message) -> Self {
        let opcode = match message.kind() {
            DataKind::Text => OpCode::Text,
            DataKind::Binary => OpCode::Binary,
        };
        let mut header = [0; MAX_HEADER_LEN];
        let header_len = FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len: message.len() as u64,
        }
        .encode(&mut header);
        // A payload built from a `Vec` becomes shareable on its first clone (an
        // allocation): do it now, once, rather than during the first fan-out.
        drop(message.clone());
        Self {
            message,
            header,
            header_len: header_len as u8,
        }
    }
}

impl From<&str> for SharedFrame {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for SharedFrame {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<Utf8Bytes> for SharedFrame {
    fn from(text: Utf8Bytes) -> Self {
        Self::text(text)
    }
}

impl From<Bytes> for SharedFrame {
    fn from(data: Bytes) -> Self {
        Self::binary(data)
    }
}

impl From<Vec<u8>> for SharedFrame {
    fn from(data: Vec<u8>) -> Self {
        Self::binary(data)
    }
}
