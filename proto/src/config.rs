//! Roles and limits, fixed when a connection is made.

/// Which end of the connection this is. It decides masking (§5.1: a client masks every
/// frame it sends, a server never does) and who closes TCP first (§7.1.1).
///
/// ```
/// assert_ne!(rfc6455_proto::Role::Client, rfc6455_proto::Role::Server);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake: masks its frames, expects unmasked ones.
    Client,
    /// The end that accepted the handshake: expects masked frames, sends unmasked ones.
    Server,
}

/// The limits that bound what a peer can make this end buffer.
///
/// Each limit is checked *before* the bytes it guards are buffered: a frame header that
/// declares a payload over [`max_frame_size`](Self::max_frame_size) fails the connection
/// with 1009 as soon as the header is read.
///
/// | limit | default | answer when exceeded |
/// |---|---|---|
/// | `max_frame_size` | 16 MiB | close 1009 |
/// | `max_message_size` | 64 MiB | close 1009 |
/// | `max_fragments` | 131 072 frames per message | close 1009 |
/// | `max_streamed_message_size` | none (unbounded) | close 1009 |
///
/// The first two bound messages that are buffered. A message the caller receives as a
/// stream ([`Connection::stream_incoming_message`](crate::Connection::stream_incoming_message))
/// is never held whole: its frames are delivered in parts whatever their size, and only
/// `max_streamed_message_size` (and `max_fragments`) bound it.
///
/// Like every settings value of this library, each limit is a public field, read as
/// `limits.max_frame_size` and set with the builder method of the same name.
///
/// ```
/// use rfc6455_proto::Limits;
/// let limits = Limits::default().max_message_size(1 << 20).max_frame_size(1 << 16);
/// assert_eq!(limits.max_message_size, 1 << 20);
/// assert_eq!(limits.max_streamed_message_size, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "a Limits value does nothing until a connection is built with it"]
pub struct Limits {
    /// The largest frame payload accepted, in bytes. Default 16 MiB.
    pub max_frame_size: u64,
    /// The largest message accepted, in bytes, all fragments together. Default 64 MiB.
    pub max_message_size: u64,
    /// The largest number of frames one message may be split into. Default 131 072.
    pub max_fragments: u32,
    /// The largest message received as a stream, in bytes; `None` (the default) for no limit.
    pub max_streamed_message_size: Option<u64>,
}

impl Limits {
    /// Default largest frame payload: 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: u64 = 16 << 20;
    /// Default largest message (all fragments together): 64 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 << 20;
    /// Default largest number of frames in one message: 131 072 (Autobahn 9.3.1 and 9.4.1
    /// send a 4 MiB message in 64-byte fragments plus a final one: just over 65 536).
    pub const DEFAULT_MAX_FRAGMENTS: u32 = 131_072;

    /// The largest frame payload accepted, in bytes. Default 16 MiB.
    ///
    /// A whole frame may be buffered before it is handed on, so this bounds the read buffer.
    pub fn max_frame_size(mut self, bytes: u64) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// The largest message accepted, in bytes, all fragments together. Default 64 MiB.
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest number of frames one message may be split into. Default 131 072.
    pub fn max_fragments(mut self, frames: u32) -> Self {
        self.max_fragments = frames;
        self
    }

    /// The largest message accepted when it is received as a stream, in bytes, all
    /// fragments together; `None` for no limit. Default `None`: a streamed message is never
    /// held whole, so whoever consumes the stream bounds what it keeps.
    ///
    /// ```
    /// use rfc6455_proto::Limits;
    /// let limits = Limits::default().max_streamed_message_size(Some(1 << 30));
    /// assert_eq!(limits.max_streamed_message_size, Some(1 << 30));
    /// ```
    pub fn max_streamed_message_size(mut self, bytes: Option<u64>) -> Self {
        self.max_streamed_message_size = bytes;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_fragments: Self::DEFAULT_MAX_FRAGMENTS,
            max_streamed_message_size: None,
        }
    }
}
