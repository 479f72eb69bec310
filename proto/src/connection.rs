//! The per-connection state machine of RFC 6455: bytes in, events and bytes out.
//!
//! # Driving a connection
//!
//! 1. Append bytes read from the socket to a `BytesMut` and call
//!    [`Connection::poll_event`] until it returns `Ok(None)` (it needs more bytes).
//! 2. After every call that can queue output ([`poll_event`](Connection::poll_event) and
//!    every `send_*`), write [`Connection::pending_output`] to the socket and report what
//!    was written with [`Connection::consume_output`].
//! 3. When [`Connection::poll_event`] returns `Err`, the connection has failed (§7.1.7): a
//!    close frame with the error's code is queued; write it, then close the socket.
//! 4. When [`Connection::close_state`] is [`CloseState::Closed`], the closing handshake is
//!    complete. A server closes TCP at once (§7.1.1); a client waits (bounded) for the
//!    server to close it — [`Connection::should_close_tcp`] says which applies.
//!
//! # Close states
//!
//! ```text
//!             send_close                   peer's close (reply queued)
//!   Open ───────────────────▶ CloseSent ───────────────────────────────▶ Closed
//!     │  peer's close (reply queued)                                       ▲
//!     └────────────────────────────────────────────────────────────────────┘
//!   Open / CloseSent ── protocol error (close with its code queued) ──▶ Failed
//! ```
//!
//! The read side (header or payload of the current frame) and the send side (is a
//! fragmented message open?) are tracked separately from the close state.

use bytes::{Buf, Bytes, BytesMut};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::close::{CloseCode, CloseFrame, MAX_CLOSE_REASON};
use crate::config::{Limits, Role};
use crate::error::{ProtocolError, SendError};
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
use crate::hybi00::{FramingMode, Hybi00Codec, Hybi00Frame};
use crate::mask::apply_mask;
use crate::utf8::{Utf8Bytes, Utf8Validator};

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
    fn opcode(self) -> OpCode {
        match self {
            Self::Text => OpCode::Text,
            Self::Binary => OpCode::Binary,
        }
    }
}

/// Which protocol a connection speaks.
///
/// ```
/// use rfc6455_proto::{Connection, Variant};
/// assert_eq!(Connection::server(Default::default()).variant(), Variant::Rfc6455);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Variant {
    /// RFC 6455: text and binary, fragments, ping/pong, close status and reason.
    Rfc6455,
    /// The hybi-00 draft: text only, no fragments, no ping, close without status.
    Hybi00,
}

impl Variant {
    /// Whether messages can be sent in several fragments.
    pub fn supports_fragmentation(self) -> bool {
        self == Self::Rfc6455
    }

    /// Whether messages of this type can be sent.
    pub fn supports_payload_kind(self, kind: DataKind) -> bool {
        self == Self::Rfc6455 || kind == DataKind::Text
    }

    /// Whether close frames carry a status code and reason.
    pub fn signals_status_on_close(self) -> bool {
        self == Self::Rfc6455
    }
}

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
    /// A ping. A pong with the same payload has been queued already (unless closing).
    Ping(Bytes),
    /// A pong (solicited or not; nothing to do).
    Pong(Bytes),
    /// The peer's close frame (`None`: it carried no status, reported as 1005). The reply
    /// has been queued if this end had not sent a close frame yet.
    Close(Option<CloseFrame>),
}

/// Progress of the closing handshake (§7).
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

#[derive(Debug)]
enum ReadState {
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

#[derive(Debug)]
struct IncomingMessage {
    kind: DataKind,
    size: u64,
    frames: u32,
    /// The next chunk is the first of the message.
    first_pending: bool,
}

/// A WebSocket connection's protocol state, with no I/O.
///
/// ```
/// use bytes::BytesMut;
/// use rfc6455_proto::{Connection, DataKind, Event, Limits};
///
/// let mut server = Connection::server(Limits::default());
/// // RFC 6455 §5.7: a masked "Hello" from a client.
/// let mut buf = BytesMut::from(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58][..]);
/// match server.poll_event(&mut buf, false).unwrap() {
///     Some(Event::Data { kind: DataKind::Text, payload, fin: true, .. }) => assert_eq!(&payload[..], b"Hello"),
///     other => panic!("{other:?}"),
/// }
/// server.send_text("Hi").unwrap();
/// assert_eq!(server.pending_output(), &[0x81, 0x02, b'H', b'i']);
/// ```
#[derive(Debug)]
pub struct Connection {
    role: Role,
    limits: Limits,
    read: ReadState,
    incoming: Option<IncomingMessage>,
    utf8: Utf8Validator,
    close: CloseState,
    /// Whether the peer's close frame arrived before ours was sent.
    peer_closed_first: Option<bool>,
    peer_close: Option<CloseFrame>,
    /// The type of the fragmented message this end is sending, if one is open.
    outgoing: Option<DataKind>,
    out: BytesMut,
    rng: Option<Box<StdRng>>,
    allowed_rsv: u8,
    /// The hybi-00 codec, when this connection speaks the legacy draft.
    hybi00: Option<Box<Hybi00Codec>>,
}

impl Connection {
    /// The server end of a connection. Servers never mask (§5.1).
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert_eq!(conn.role(), rfc6455_proto::Role::Server);
    /// ```
    pub fn server(limits: Limits) -> Self {
        Self::new(Role::Server, limits, None)
    }

    /// The client end of a connection. Every frame a client sends is masked with a fresh
    /// key (§5.3); keys are drawn from a ChaCha-based CSPRNG seeded with `mask_seed`, which
    /// the caller MUST take from a strong entropy source (the OS) — this crate reads none.
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::client(Default::default(), [7; 32]);
    /// assert_eq!(conn.role(), rfc6455_proto::Role::Client);
    /// ```
    pub fn client(limits: Limits, mask_seed: [u8; 32]) -> Self {
        Self::new(
            Role::Client,
            limits,
            Some(Box::new(StdRng::from_seed(mask_seed))),
        )
    }

    fn new(role: Role, limits: Limits, rng: Option<Box<StdRng>>) -> Self {
        Self {
            role,
            limits,
            read: ReadState::Header,
            incoming: None,
            utf8: Utf8Validator::new(),
            close: CloseState::Open,
            peer_closed_first: None,
            peer_close: None,
            outgoing: None,
            out: BytesMut::new(),
            rng,
            allowed_rsv: 0,
            hybi00: None,
        }
    }

    /// A connection speaking the legacy hybi-00 draft (either role; the draft does not
    /// mask). Text only: binary, fragments and pings are refused with
    /// [`SendError::Unsupported`]; closing sends `0xFF 0x00` without status.
    ///
    /// ```
    /// use rfc6455_proto::{Connection, Role, SendError, Variant};
    /// use rfc6455_proto::hybi00::FramingMode;
    /// let mut conn = Connection::hybi00(Role::Server, FramingMode::Old, Default::default());
    /// assert_eq!(conn.variant(), Variant::Hybi00);
    /// conn.send_text("hi").unwrap();
    /// assert_eq!(conn.pending_output(), b"\x00hi\xff");
    /// assert!(matches!(conn.send_binary(b"x"), Err(SendError::Unsupported(_))));
    /// ```
    pub fn hybi00(role: Role, mode: FramingMode, limits: Limits) -> Self {
        let mut conn = Self::new(role, limits, None);
        conn.hybi00 = Some(Box::new(Hybi00Codec::new(mode, limits)));
        conn
    }

    /// The protocol this connection speaks.
    pub fn variant(&self) -> Variant {
        if self.hybi00.is_some() {
            Variant::Hybi00
        } else {
            Variant::Rfc6455
        }
    }

    /// Queue raw bytes for the peer ahead of any frame (the hybi-00 server's 16-byte
    /// handshake answer, which follows the 101 head on the upgraded stream).
    pub fn queue_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Allow RSV bits for a negotiated extension (RSV1 = `0b100`). Frames with other RSV
    /// bits set fail the connection with 1002 (§5.2). Without a negotiated extension no
    /// RSV bit is allowed.
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// conn.allow_rsv_bits(0b100);
    /// ```
    pub fn allow_rsv_bits(&mut self, bits: u8) {
        self.allowed_rsv = bits & 0b111;
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Change the message-size limit for the messages that start from now on (a streamed
    /// receive may lift it; `u64::MAX` means unlimited).
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// conn.set_max_message_size(u64::MAX);
    /// assert_eq!(conn.limits().message_size_limit(), u64::MAX);
    /// ```
    pub fn set_max_message_size(&mut self, bytes: u64) {
        self.limits.max_message_size = bytes;
    }

    /// Change the frame-size limit for the frames that start from now on. A caller that
    /// takes frames in pieces (`partial` in [`poll_event`](Self::poll_event)) never buffers
    /// a whole frame and may lift it (`u64::MAX`).
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// conn.set_max_frame_size(1 << 30);
    /// assert_eq!(conn.limits().frame_size_limit(), 1 << 30);
    /// ```
    pub fn set_max_frame_size(&mut self, bytes: u64) {
        self.limits.max_frame_size = bytes;
    }

    /// Progress of the closing handshake.
    pub fn close_state(&self) -> CloseState {
        self.close
    }

    /// The peer's close frame, once received (`None` inside: it had no status code).
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert!(conn.peer_close().is_none());
    /// ```
    pub fn peer_close(&self) -> Option<Option<&CloseFrame>> {
        self.peer_closed_first.map(|_| self.peer_close.as_ref())
    }

    /// Whether the peer started the closing handshake (`Some(true)`), this end did
    /// (`Some(false)`), or it has not completed (`None`).
    pub fn peer_closed_first(&self) -> Option<bool> {
        self.peer_closed_first
    }

    /// Whether a fragmented message this end is *receiving* is in progress.
    pub fn is_receiving_message(&self) -> bool {
        self.incoming.is_some()
    }

    /// Whether a fragmented message this end is *sending* is open.
    pub fn is_sending_message(&self) -> bool {
        self.outgoing.is_some()
    }

    /// Whether the caller should close the TCP connection once the pending output is
    /// written: after a failure, or after the closing handshake on the server (§7.1.1: "the
    /// underlying TCP connection, in most normal cases, SHOULD be closed first by the
    /// server"). A client whose handshake is `Closed` should instead wait a bounded time
    /// for the server to close, then close itself.
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert!(!conn.should_close_tcp());
    /// ```
    pub fn should_close_tcp(&self) -> bool {
        match self.close {
            CloseState::Failed => true,
            CloseState::Closed => self.role == Role::Server,
            CloseState::Open | CloseState::CloseSent => false,
        }
    }

    // ---------------------------------------------------------------- receiving

    /// Decode the next event from the front of `buf`, consuming the bytes it used.
    ///
    /// Returns `Ok(None)` when `buf` does not hold enough for an event: read more bytes
    /// (at least [`Self::bytes_wanted`]) and call again. With `partial` set, data frames are
    /// delivered in chunks as their bytes arrive (for streaming and to keep the read buffer
    /// small); otherwise each data frame is delivered whole. Control frames are always
    /// delivered whole. Already-processed bytes are never scanned twice.
    ///
    /// After the closing handshake is complete, or after a failure, returns `Ok(None)`
    /// and consumes nothing.
    ///
    /// # Errors
    /// A [`ProtocolError`]: the connection has failed, a close frame carrying
    /// [`ProtocolError::close_code`] is queued. Write the output, then close the socket.
    pub fn poll_event(
        &mut self,
        buf: &mut BytesMut,
        partial: bool,
    ) -> Result<Option<Event>, ProtocolError> {
        loop {
            if matches!(self.close, CloseState::Closed | CloseState::Failed) {
                return Ok(None);
            }
            if self.hybi00.is_some() {
                return self.poll_hybi00(buf);
            }
            let result = match self.read {
                ReadState::Header => self.read_header(buf),
                ReadState::Payload { .. } => self.read_payload(buf, partial),
            };
            match result {
                Ok(Step::Event(event)) => return Ok(Some(event)),
                Ok(Step::NeedMore) => return Ok(None),
                Ok(Step::Continue) => {}
                Err(error) => {
                    self.fail(error.close_code());
                    return Err(error);
                }
            }
        }
    }

    fn poll_hybi00(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, ProtocolError> {
        let Some(codec) = self.hybi00.as_mut() else {
            return Ok(None);
        };
        loop {
            match codec.decode(buf) {
                Ok(None) => return Ok(None),
                Ok(Some(Hybi00Frame::Text(text))) => {
                    if self.close == CloseState::CloseSent {
                        continue; // data after our close is discarded, as in RFC 6455
                    }
                    return Ok(Some(Event::Data {
                        kind: DataKind::Text,
                        payload: text.into_bytes(),
                        first: true,
                        frame_end: true,
                        fin: true,
                    }));
                }
                Ok(Some(Hybi00Frame::Close)) => {
                    let first = self.close == CloseState::Open;
                    if first {
                        codec.encode_close(&mut self.out);
                    }
                    self.peer_closed_first = Some(first);
                    self.close = CloseState::Closed;
                    return Ok(Some(Event::Close(None)));
                }
                Err(error) => {
                    if self.close == CloseState::Open {
                        codec.encode_close(&mut self.out);
                    }
                    self.close = CloseState::Failed;
                    return Err(error);
                }
            }
        }
    }

    /// How many more bytes the current header or frame needs before
    /// [`poll_event`](Self::poll_event) can make progress with `buffered` bytes buffered
    /// (a hint for sizing reads; at least 1).
    pub fn bytes_wanted(&self, buffered: usize) -> usize {
        match &self.read {
            ReadState::Header => (2usize).saturating_sub(buffered).max(1),
            ReadState::Payload { remaining, .. } => {
                let remaining = usize::try_from(*remaining).unwrap_or(usize::MAX);
                remaining.saturating_sub(buffered).max(1)
            }
        }
    }

    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Step, ProtocolError> {
        let Some((header, header_len)) = FrameHeader::decode(buf)? else {
            return Ok(Step::NeedMore);
        };
        // §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for
        // non-zero values".
        if header.rsv & !self.allowed_rsv != 0 {
            return Err(ProtocolError::ReservedBits(header.rsv));
        }
        // §5.1: a server MUST close on an unmasked frame; a client on a masked one.
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if !header.opcode.is_control() {
            self.check_data_header(&header)?;
        }
        buf.advance(header_len);
        self.read = ReadState::Payload {
            header,
            remaining: header.payload_len,
            processed: 0,
            offset: 0,
        };
        Ok(Step::Continue)
    }

    /// §5.4 sequencing and the limits, checked before any payload byte is buffered.
    fn check_data_header(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        let limits = self.limits;
        if header.payload_len > limits.max_frame_size {
            return Err(ProtocolError::FrameTooBig {
                limit: limits.max_frame_size,
            });
        }
        match (header.opcode, self.incoming.as_mut()) {
            (OpCode::Continuation, None) => Err(ProtocolError::UnexpectedContinuation),
            (OpCode::Continuation, Some(msg)) => {
                if msg.frames >= limits.max_fragments {
                    return Err(ProtocolError::TooManyFragments {
                        limit: limits.max_fragments,
                    });
                }
                if header.rsv != 0 {
                    // Extensions mark only the first frame of a message.
                    return Err(ProtocolError::ReservedBits(header.rsv));
                }
                msg.frames += 1;
                msg.size = msg.size.saturating_add(header.payload_len);
                if msg.size > limits.max_message_size {
                    return Err(ProtocolError::MessageTooBig {
                        limit: limits.max_message_size,
                    });
                }
                Ok(())
            }
            (_, Some(_)) => Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => {
                let kind = if opcode == OpCode::Text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                if header.payload_len > limits.max_message_size {
                    return Err(ProtocolError::MessageTooBig {
                        limit: limits.max_message_size,
                    });
                }
                self.incoming = Some(IncomingMessage {
                    kind,
                    size: header.payload_len,
                    frames: 1,
                    first_pending: true,
                });
                self.utf8 = Utf8Validator::new();
                Ok(())
            }
        }
    }

    fn read_payload(&mut self, buf: &mut BytesMut, partial: bool) -> Result<Step, ProtocolError> {
        let ReadState::Payload {
            header,
            remaining,
            processed,
            offset,
        } = &mut self.read
        else {
            return Ok(Step::NeedMore);
        };
        let header = *header;
        let available = usize::try_from(*remaining).map_or(buf.len(), |r| r.min(buf.len()));
        if available > *processed {
            let fresh = &mut buf[*processed..available];
            if let Some(key) = header.mask {
                apply_mask(fresh, key, *offset);
            }
            let is_text = self
                .incoming
                .as_ref()
                .is_some_and(|m| m.kind == DataKind::Text);
            if is_text && !header.opcode.is_control() {
                // §8.1, failing fast: the first byte that cannot begin valid UTF-8.
                self.utf8
                    .feed(fresh)
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            *offset += fresh.len();
            *processed = available;
        }
        let frame_done = *processed as u64 == *remaining;
        if header.opcode.is_control() {
            if !frame_done {
                return Ok(Step::NeedMore);
            }
            let payload = buf.split_to(*processed).freeze();
            self.read = ReadState::Header;
            return self.control_frame(header.opcode, payload);
        }
        let deliver_chunk = partial && *processed > 0;
        if !(frame_done || deliver_chunk) {
            return Ok(Step::NeedMore);
        }
        let payload = buf.split_to(*processed).freeze();
        *remaining -= *processed as u64;
        *processed = 0;
        if frame_done {
            self.read = ReadState::Header;
        }
        let fin = frame_done && header.fin;
        if self.close == CloseState::CloseSent {
            // §1.4: after sending close, data from the peer is discarded.
            if fin {
                self.incoming = None;
            }
            return Ok(Step::Continue);
        }
        let Some(msg) = self.incoming.as_mut() else {
            return Ok(Step::Continue);
        };
        let kind = msg.kind;
        let first = std::mem::replace(&mut msg.first_pending, false);
        if fin {
            if kind == DataKind::Text {
                self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            self.incoming = None;
        }
        Ok(Step::Event(Event::Data {
            kind,
            payload,
            first,
            frame_end: frame_done,
            fin,
        }))
    }

    fn control_frame(&mut self, opcode: OpCode, payload: Bytes) -> Result<Step, ProtocolError> {
        match opcode {
            OpCode::Ping => {
                // §5.5.2: answer with a pong carrying the same application data, unless a
                // close frame was already sent.
                if self.close == CloseState::Open {
                    self.write_frame(OpCode::Pong, true, &payload);
                }
                Ok(Step::Event(Event::Ping(payload)))
            }
            OpCode::Pong => Ok(Step::Event(Event::Pong(payload))),
            OpCode::Close => {
                let frame = CloseFrame::parse(payload)?;
                let first = self.close == CloseState::Open;
                if first {
                    // §5.5.1: reply with a close frame, "typically echoing the status code
                    // it received".
                    match &frame {
                        Some(f) => self.write_close(&CloseFrame::new(f.code(), "")),
                        None => self.write_frame(OpCode::Close, true, &[]),
                    }
                }
                self.peer_closed_first = Some(first);
                self.peer_close = frame.clone();
                self.close = CloseState::Closed;
                self.incoming = None;
                Ok(Step::Event(Event::Close(frame)))
            }
            OpCode::Continuation | OpCode::Text | OpCode::Binary => Ok(Step::Continue),
        }
    }

    /// The peer closed the TCP connection. Returns `true` if that was clean (after the
    /// closing handshake), `false` if it was abnormal (reported as 1006, §7.1.5).
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// assert!(!conn.receive_eof());
    /// ```
    pub fn receive_eof(&mut self) -> bool {
        let clean = self.close == CloseState::Closed;
        if !clean {
            self.close = CloseState::Failed;
            self.outgoing = None;
        }
        clean
    }

    fn fail(&mut self, code: CloseCode) {
        if self.close == CloseState::Open {
            self.write_close(&CloseFrame::new(code, ""));
        }
        self.close = CloseState::Failed;
        self.incoming = None;
    }

    // ---------------------------------------------------------------- sending

    /// Queue a whole text message.
    ///
    /// # Errors
    /// [`SendError::Closed`] after a close frame was sent; [`SendError::MessageInProgress`]
    /// while a fragmented message is open.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_frame(OpCode::Text, true, text.as_bytes())
    }

    /// Queue a whole message. Text is already known to be UTF-8 ([`Utf8Bytes`]), so it
    /// is not checked again.
    ///
    /// # Errors
    /// As for [`send_text`](Self::send_text).
    ///
    /// ```
    /// use rfc6455_proto::{Connection, Message};
    /// let mut conn = Connection::server(Default::default());
    /// conn.send_message(&Message::text("hi")).unwrap();
    /// assert_eq!(conn.pending_output(), b"\x81\x02hi");
    /// ```
    pub fn send_message(&mut self, message: &Message) -> Result<(), SendError> {
        match message {
            Message::Text(text) => self.send_frame(OpCode::Text, true, text.as_bytes()),
            Message::Binary(data) => self.send_frame(OpCode::Binary, true, data),
        }
    }

    /// Queue a whole binary message.
    ///
    /// # Errors
    /// As for [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_frame(OpCode::Binary, true, data)
    }

    /// Queue one fragment of a message sent by hand (§5.4): the first with `Some(kind)`,
    /// the following ones with `None` (continuation), the last with `fin = true`.
    ///
    /// For text, each fragment need not end on a character boundary, but the whole message
    /// must be valid UTF-8 (the caller's responsibility at this level).
    ///
    /// # Errors
    /// [`SendError::MessageInProgress`] when starting a message while one is open,
    /// [`SendError::NoMessageInProgress`] for a continuation with none open,
    /// [`SendError::Closed`] after a close frame.
    ///
    /// ```
    /// use rfc6455_proto::{Connection, DataKind, SendError};
    /// let mut conn = Connection::server(Default::default());
    /// assert_eq!(conn.send_fragment(None, b"x", true), Err(SendError::NoMessageInProgress));
    /// conn.send_fragment(Some(DataKind::Text), b"Hel", false).unwrap();
    /// conn.send_fragment(None, b"lo", true).unwrap();
    /// assert_eq!(conn.pending_output(), &[0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']);
    /// ```
    pub fn send_fragment(
        &mut self,
        kind: Option<DataKind>,
        data: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        let opcode = kind.map_or(OpCode::Continuation, DataKind::opcode);
        self.send_frame(opcode, fin, data)
    }

    /// Queue a frame of any type after checking that the sequence is allowed.
    ///
    /// # Errors
    /// The [`SendError`] of the rule the frame would break; nothing is queued then.
    pub fn send_frame(&mut self, opcode: OpCode, fin: bool, data: &[u8]) -> Result<(), SendError> {
        if let Some(codec) = &self.hybi00 {
            if self.close != CloseState::Open {
                return Err(SendError::Closed);
            }
            return match (opcode, fin) {
                (OpCode::Text, true) => {
                    let text = std::str::from_utf8(data).map_err(|_| SendError::InvalidUtf8)?;
                    codec.encode_text(text, &mut self.out);
                    Ok(())
                }
                (OpCode::Binary, _) => Err(SendError::Unsupported("binary messages (hybi-00)")),
                (OpCode::Ping | OpCode::Pong, _) => {
                    Err(SendError::Unsupported("ping/pong (hybi-00)"))
                }
                _ => Err(SendError::Unsupported("fragmented messages (hybi-00)")),
            };
        }
        self.check_send(opcode, fin, data.len())?;
        self.write_frame(opcode, fin, data);
        Ok(())
    }

    /// Check a frame against the send rules and update the send state as if sent.
    fn check_send(&mut self, opcode: OpCode, fin: bool, len: usize) -> Result<(), SendError> {
        if self.close != CloseState::Open {
            return Err(SendError::Closed);
        }
        if opcode.is_control() {
            if len > MAX_CONTROL_PAYLOAD {
                return Err(SendError::ControlFrameTooLong);
            }
            if !fin {
                return Err(SendError::Unsupported("fragmented control frame"));
            }
            if opcode == OpCode::Close {
                return Err(SendError::Unsupported("use send_close for close frames"));
            }
            return Ok(());
        }
        match (opcode, self.outgoing) {
            (OpCode::Continuation, None) => return Err(SendError::NoMessageInProgress),
            (OpCode::Continuation, Some(_)) => {}
            (_, Some(_)) => return Err(SendError::MessageInProgress),
            (op, None) => {
                self.outgoing = Some(if op == OpCode::Text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                });
            }
        }
        if fin {
            self.outgoing = None;
        }
        Ok(())
    }

    /// Queue a ping (payload ≤ 125 bytes).
    ///
    /// # Errors
    /// [`SendError::ControlFrameTooLong`], or [`SendError::Closed`] after a close frame.
    pub fn send_ping(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_frame(OpCode::Ping, true, data)
    }

    /// Queue an unsolicited pong (a heartbeat; §5.5.3).
    ///
    /// # Errors
    /// As for [`send_ping`](Self::send_ping).
    pub fn send_pong(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_frame(OpCode::Pong, true, data)
    }

    /// Start (or answer) the closing handshake with `code` and `reason`.
    ///
    /// Does nothing if a close frame was already sent or the connection failed. After this,
    /// no data may be sent and incoming data is discarded until the peer's close arrives.
    ///
    /// # Errors
    /// [`SendError::InvalidCloseCode`] for a code that may not be sent (§7.4.1: 1005, 1006,
    /// 1015, …), [`SendError::ControlFrameTooLong`] for a reason over 123 bytes.
    ///
    /// ```
    /// use rfc6455_proto::{CloseState, Connection};
    /// let mut conn = Connection::server(Default::default());
    /// conn.send_close(1000.into(), "done").unwrap();
    /// assert_eq!(conn.close_state(), CloseState::CloseSent);
    /// assert!(conn.send_text("late").is_err());
    /// ```
    pub fn send_close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if !code.is_sendable() {
            return Err(SendError::InvalidCloseCode(code.as_u16()));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(SendError::ControlFrameTooLong);
        }
        if self.close != CloseState::Open {
            return Ok(());
        }
        if let Some(codec) = &self.hybi00 {
            // hybi-00 closes with 0xFF 0x00: no status, no reason.
            codec.encode_close(&mut self.out);
            self.close = CloseState::CloseSent;
            return Ok(());
        }
        self.write_close(&CloseFrame::new(code, reason));
        self.close = CloseState::CloseSent;
        self.outgoing = None;
        Ok(())
    }

    fn write_close(&mut self, frame: &CloseFrame) {
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
        let len = frame.payload_len();
        frame.encode(&mut &mut payload[..len]);
        self.write_frame(OpCode::Close, true, &payload[..len]);
    }

    /// Encode a frame into the output buffer, masking it on a client.
    fn write_frame(&mut self, opcode: OpCode, fin: bool, data: &[u8]) {
        let mask = self.rng.as_mut().map(|rng| rng.next_u32().to_ne_bytes());
        let header = FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask,
            payload_len: data.len() as u64,
        };
        let mut head = [0u8; MAX_HEADER_LEN];
        let head_len = header.encode(&mut head);
        self.out.reserve(head_len + data.len());
        self.out.extend_from_slice(&head[..head_len]);
        let start = self.out.len();
        self.out.extend_from_slice(data);
        if let Some(key) = mask {
            apply_mask(&mut self.out[start..], key, 0);
        }
    }

    /// Encode the header of a data frame whose payload the caller writes itself (for
    /// zero-copy, vectored writes of large payloads on a server, which does not mask).
    /// The send rules are checked as for [`send_frame`](Self::send_frame). Any pending
    /// output must be written before this header.
    ///
    /// Returns `None` on a client (client payloads are masked) and on hybi-00: use
    /// [`send_frame`](Self::send_frame) then.
    ///
    /// # Errors
    /// As for [`send_frame`](Self::send_frame).
    pub fn data_frame_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        len: usize,
    ) -> Result<Option<([u8; MAX_HEADER_LEN], usize)>, SendError> {
        if self.role == Role::Client || self.hybi00.is_some() {
            return Ok(None);
        }
        self.check_send(opcode, fin, len)?;
        let header = FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask: None,
            payload_len: len as u64,
        };
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut head);
        Ok(Some((head, n)))
    }

    // ---------------------------------------------------------------- output

    /// The bytes queued for the peer, oldest first.
    pub fn pending_output(&self) -> &[u8] {
        &self.out
    }

    /// Whether bytes are queued for the peer.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Report that the first `n` bytes of [`pending_output`](Self::pending_output) were
    /// written.
    ///
    /// # Panics
    /// If `n` exceeds the pending length (a caller bug, never caused by the peer).
    pub fn consume_output(&mut self, n: usize) {
        let _ = self.out.split_to(n);
        if self.out.is_empty() && self.out.capacity() > 64 * 1024 {
            // Give back a buffer that a large message grew, so idle connections stay small.
            self.out = BytesMut::new();
        }
    }

    /// Give back the output buffer's memory if nothing is queued (for connections that
    /// go idle: they then hold no output buffer).
    pub fn shrink_output(&mut self) {
        if self.out.is_empty() && self.out.capacity() > 0 {
            self.out = BytesMut::new();
        }
    }

    /// Take all queued output as one buffer (for a writer that owns what it writes).
    pub fn take_output(&mut self) -> BytesMut {
        self.out.split()
    }
}

enum Step {
    Event(Event),
    NeedMore,
    Continue,
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

/// Joins the chunks of [`Event::Data`] into whole [`Message`]s.
///
/// A message that arrives as one chunk is passed on without copying. The message-size limit
/// was already enforced by the [`Connection`] before the bytes were buffered, so the
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
    /// The chunks must come from one [`Connection`], whose checks guarantee that a text
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
