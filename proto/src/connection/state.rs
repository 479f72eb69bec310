//! The independent axes of a connection's state: close progress, the read side (where in a
//! frame the decoder is), the incoming message (which message the frames belong to) and how
//! that message is delivered (buffered or streamed). The send side is one more axis,
//! [`Connection`](super::Connection)'s `outgoing`: the type of the fragmented message this
//! end is sending, if one is open.

use crate::frame::FrameHeader;
use crate::message::DataKind;

/// Progress of the closing handshake (§7).
///
/// ```text
///             send_close                   peer's close (reply queued)
///   Open ───────────────────▶ CloseSent ───────────────────────────────▶ Closed
///     │  peer's close (reply queued)                                       ▲
///     └────────────────────────────────────────────────────────────────────┘
///   Open / CloseSent ── protocol error (close with its code queued) ──▶ Failed
///   Open / CloseSent ── EOF (receive_eof) ─────────────────────────────▶ Failed
/// ```
///
/// | state | data sent | data received | pings answered |
/// |---|---|---|---|
/// | `Open` | yes | delivered | yes |
/// | `CloseSent` | refused ([`SendError::Closed`](crate::SendError::Closed)) | discarded | no |
/// | `Closed` | refused | nothing more is read | — |
/// | `Failed` | refused | nothing more is read | — |
///
/// ```
/// use rfc6455_proto::{CloseState, Connection, Limits};
/// let conn = Connection::server(Limits::default());
/// assert_eq!(conn.close_state(), CloseState::Open);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseState {
    /// No close frame sent or received.
    Open,
    /// This end sent a close frame and waits for the peer's. Data frames that still arrive
    /// are ignored (§1.4: the peer may have sent them before it saw our close).
    CloseSent,
    /// Both close frames have been exchanged (or queued).
    Closed,
    /// The connection failed (§7.1.7); a close frame with the error code is queued.
    Failed,
}

/// Where the RFC 6455 decoder is in the byte stream.
///
/// ```text
///            header decoded and checked
///   Header ─────────────────────────────▶ Payload { remaining, processed, offset }
///     ▲                                      │ bytes unmasked (and UTF-8 checked) as they
///     │   last payload byte delivered        │ arrive; data delivered whole, or in chunks
///     └──────────────────────────────────────┘ when partial delivery applies
/// ```
#[derive(Debug)]
pub(super) enum ReadState {
    /// Waiting for a frame header.
    Header,
    /// Inside a frame's payload. `processed` bytes at the front of the read buffer are
    /// already unmasked (and validated, for text); `remaining` counts the payload bytes of
    /// this frame not delivered yet (including the processed ones).
    Payload {
        header: FrameHeader,
        remaining: u64,
        processed: usize,
        offset: usize,
    },
}

/// How the current incoming message (or, between messages, the next one) is delivered
/// and bounded.
///
/// ```text
///              stream_incoming_message
///   Buffered ───────────────────────────▶ Streamed
///      ▲                                     │ end of that message:
///      └─────────────────────────────────────┘ its FIN frame, a close, a failure
/// ```
///
/// | | frames delivered | frame limit | message limit |
/// |---|---|---|---|
/// | `Buffered` | whole, or in parts if `partial` | `max_frame_size` | `max_message_size` |
/// | `Streamed` | in parts | none | `max_streamed_message_size` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    Buffered,
    Streamed,
}

/// The data message being received (between its first frame and its FIN frame).
///
/// ```text
///   None ── text/binary frame ──▶ Some(IncomingMessage) ── FIN frame, close, failure ──▶ None
///                                   │ ▲
///                                   └─┘ continuation frame (size and frame count grow)
/// ```
#[derive(Debug)]
pub(super) struct IncomingMessage {
    pub(super) kind: DataKind,
    pub(super) size: u64,
    pub(super) frames: u32,
    /// The next chunk is the first of the message.
    pub(super) first_pending: bool,
    /// Its first frame had RSV1 under permessage-deflate: its payload is inflated.
    pub(super) compressed: bool,
    /// Bytes inflated so far (checked against the message limit before delivery).
    pub(super) inflated: u64,
}
