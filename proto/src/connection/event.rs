//! What the peer sent, as [`Connection::poll_event`](crate::Connection::poll_event) reports it.

use bytes::Bytes;

use crate::close::CloseFrame;
use crate::message::DataKind;

/// Something the peer sent, decoded and checked.
///
/// Data arrives as *chunks*: a frame may be delivered in several chunks (when partial
/// delivery is asked for) and a message in several frames. `Event::Data` says where the
/// chunk sits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A chunk of a data message, unmasked. For text, the bytes delivered so far are a valid
    /// UTF-8 prefix (a character may be split between chunks) and the whole message is
    /// valid UTF-8 once `fin` is seen.
    Data {
        /// Text or binary: the type of the message this chunk belongs to.
        kind: DataKind,
        /// The bytes.
        payload: Bytes,
        /// This is the first chunk of a new message.
        first: bool,
        /// This chunk ends its frame.
        frame_end: bool,
        /// This chunk ends the message (its frame had FIN set).
        fin: bool,
    },
    /// A ping. A pong with the same payload has been queued already (unless closing), in
    /// place of a still unwritten pong to an earlier ping (§5.5.3).
    Ping(Bytes),
    /// A pong (solicited or not; nothing to do).
    Pong(Bytes),
    /// The peer's close frame (`None`: it carried no status, reported as 1005). The reply
    /// has been queued if this end had not sent a close frame yet.
    Close(Option<CloseFrame>),
}
