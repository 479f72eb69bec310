//! The RFC 6455 read path: frame headers, payloads, control frames, end of stream.

use bytes::{Buf, Bytes, BytesMut};

use super::Connection;
use super::event::Event;
use super::state::{CloseState, Delivery, IncomingMessage, ReadState};
use crate::close::CloseFrame;
use crate::close_code::CloseCode;
use crate::config::Role;
use crate::error::ProtocolError;
use crate::extension::deflate::INFLATE_STEP;
use crate::frame::{FrameHeader, OpCode};
use crate::mask::{apply_mask, unmask_ascii};
use crate::message::DataKind;
use crate::utf8::{self, Utf8Validator};

/// What one step of the decoder produced.
enum Step {
    Event(Event),
    NeedMore,
    Continue,
}

impl Connection {
    /// Decode the next event from the front of `buf`, consuming the bytes it used.
    ///
    /// Returns `Ok(None)` when `buf` does not hold enough for an event: read more bytes
    /// (at least [`Self::bytes_wanted`]) and call again. With `partial` set, data frames are
    /// delivered in chunks as their bytes arrive (for streaming and to keep the read buffer
    /// small); otherwise each data frame is delivered whole, except those of a message
    /// received as a stream ([`stream_incoming_message`](Self::stream_incoming_message)),
    /// which always come in chunks. Control frames are always delivered whole.
    /// Already-processed bytes are never scanned twice.
    ///
    /// After the closing handshake is complete, or after a failure, returns `Ok(None)`
    /// and consumes nothing.
    ///
    /// # Errors
    /// A [`ProtocolError`]: the connection has failed, a close frame carrying
    /// [`ProtocolError::close_code`] is queued. Write the output, then close the socket.
    #[inline]
    pub fn poll_event(
        &mut self,
        buf: &mut BytesMut,
        partial: bool,
    ) -> Result<Option<Event>, ProtocolError> {
        // Between frames with nothing buffered there is nothing to decode: the answer of
        // every call a reader makes before it reads, so it stays inline and short.
        if buf.is_empty() && matches!(self.read, ReadState::Header) && self.hybi00.is_none() {
            return Ok(None);
        }
        self.poll_buffered_event(buf, partial)
    }

    /// [`poll_event`](Self::poll_event) with bytes to look at.
    fn poll_buffered_event(
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

    /// Receive the current incoming message, or between messages the next one, as a
    /// stream: its frames are delivered in parts as their bytes arrive, whatever `partial`
    /// says in [`poll_event`](Self::poll_event), so none is ever buffered whole;
    /// [`Limits::max_frame_size`](crate::Limits::max_frame_size) and
    /// [`Limits::max_message_size`](crate::Limits::max_message_size) do not apply to it, and
    /// [`Limits::max_streamed_message_size`](crate::Limits::max_streamed_message_size) does
    /// (to the whole message). This holds for that one message: after its FIN frame the
    /// buffered limits apply again by themselves.
    ///
    /// No effect on hybi-00, whose messages are single frames bounded by the message limit.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use rfc6455_proto::{Connection, Event, Limits, ProtocolError};
    ///
    /// let limits = Limits::default().max_frame_size(4).max_streamed_message_size(Some(8));
    /// let mut server = Connection::server(limits);
    /// server.stream_incoming_message();
    /// // A 6-byte binary frame, masked with a zero key: over the frame limit.
    /// let mut buf = BytesMut::from(&[0x82, 0x86, 0, 0, 0, 0, 1, 2, 3][..]);
    /// let Some(Event::Data { payload, fin: false, .. }) = server.poll_event(&mut buf, false)? else {
    ///     panic!("expected the first part");
    /// };
    /// assert_eq!(&payload[..], &[1, 2, 3]);
    /// buf.extend_from_slice(&[4, 5, 6]);
    /// let Some(Event::Data { payload, fin: true, .. }) = server.poll_event(&mut buf, false)? else {
    ///     panic!("expected the last part");
    /// };
    /// assert_eq!(&payload[..], &[4, 5, 6]);
    ///
    /// // The next message is buffered again.
    /// buf.extend_from_slice(&[0x82, 0x86, 0, 0, 0, 0]);
    /// assert_eq!(server.poll_event(&mut buf, false), Err(ProtocolError::FrameTooBig { limit: 4 }));
    /// # Ok::<(), ProtocolError>(())
    /// ```
    pub fn stream_incoming_message(&mut self) {
        if self.hybi00.is_none() {
            self.delivery = Delivery::Streamed;
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
        // non-zero values". permessage-deflate owns RSV1, and only on the first frame of a
        // data message (RFC 7692 §6.1: not on control frames, not on continuations).
        let rsv1_allowed = self.deflate.is_some()
            && !header.opcode.is_control()
            && header.opcode != OpCode::Continuation;
        if header.rsv & 0b011 != 0 || (header.rsv & 0b100 != 0 && !rsv1_allowed) {
            return Err(ProtocolError::ReservedBits(header.rsv));
        }
        // §5.1: a server MUST close on an unmasked frame; a client on a masked one.
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if let Some(step) = self.whole_frame(buf, &header, header_len)? {
            return Ok(step);
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

    /// The common case of small messages in one step: an unfragmented, uncompressed data
    /// frame within the limits, whose payload is all in `buf`, between messages of an
    /// open connection. It is delivered as the general path would deliver it (the same
    /// event, the same checks in the same order), without going through the payload
    /// state. `None`: any other frame, for the general path.
    #[inline]
    fn whole_frame(
        &mut self,
        buf: &mut BytesMut,
        header: &FrameHeader,
        header_len: usize,
    ) -> Result<Option<Step>, ProtocolError> {
        let (OpCode::Text | OpCode::Binary) = header.opcode else {
            return Ok(None);
        };
        let len = header.payload_len;
        let fits = header.fin
            && header.rsv == 0
            && self.incoming.is_none()
            && self.delivery == Delivery::Buffered
            && self.close == CloseState::Open
            && len <= self.limits.max_frame_size
            && len <= self.limits.max_message_size
            && len <= (buf.len() - header_len) as u64;
        if !fits {
            return Ok(None);
        }
        let len = len as usize;
        buf.advance(header_len);
        let payload = &mut buf[..len];
        let kind = DataKind::of_opcode(header.opcode);
        let text = kind == DataKind::Text;
        let ascii = unmask(payload, header.mask, 0, text);
        if text && !ascii && !utf8::is_valid(payload) {
            return Err(ProtocolError::InvalidUtf8);
        }
        Ok(Some(Step::Event(Event::Data {
            kind,
            payload: buf.split_to(len).freeze(),
            first: true,
            frame_end: true,
            fin: true,
        })))
    }

    /// §5.4 sequencing and the limits, checked before any payload byte is buffered.
    fn check_data_header(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        let limits = self.limits;
        let (max_frame_size, max_message_size) = match self.delivery {
            Delivery::Buffered => (limits.max_frame_size, limits.max_message_size),
            // Streamed frames are delivered in parts: no frame is ever held whole.
            Delivery::Streamed => (
                u64::MAX,
                limits.max_streamed_message_size.unwrap_or(u64::MAX),
            ),
        };
        if header.payload_len > max_frame_size {
            return Err(ProtocolError::FrameTooBig {
                limit: max_frame_size,
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
                msg.frames += 1;
                msg.size = msg.size.saturating_add(header.payload_len);
                if msg.size > max_message_size {
                    return Err(ProtocolError::MessageTooBig {
                        limit: max_message_size,
                    });
                }
                Ok(())
            }
            (_, Some(_)) => Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => {
                let kind = DataKind::of_opcode(opcode);
                if header.payload_len > max_message_size {
                    return Err(ProtocolError::MessageTooBig {
                        limit: max_message_size,
                    });
                }
                self.incoming = Some(IncomingMessage {
                    kind,
                    size: header.payload_len,
                    frames: 1,
                    first_pending: true,
                    compressed: header.rsv & 0b100 != 0,
                    inflated: 0,
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
            // A compressed message's text is checked as it is inflated, not here.
            let is_text = !header.opcode.is_control()
                && self
                    .incoming
                    .as_ref()
                    .is_some_and(|m| m.kind == DataKind::Text && !m.compressed);
            let ascii = unmask(fresh, header.mask, *offset, is_text);
            // ASCII is valid UTF-8 unless it must finish a character begun before it.
            if is_text && (!ascii || self.utf8.is_incomplete()) {
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
        if self.incoming.as_ref().is_some_and(|m| m.compressed) {
            return self.read_compressed(buf, header);
        }
        let partial = partial || self.delivery == Delivery::Streamed;
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
                self.end_message();
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
            self.end_message();
        }
        Ok(Step::Event(Event::Data {
            kind,
            payload,
            first,
            frame_end: frame_done,
            fin,
        }))
    }

    /// A frame of a compressed message (RFC 7692 §7.2.2): the payload bytes processed so
    /// far are inflated in bounded steps; each step's output is checked against the message
    /// limit (and, for text, as UTF-8) before it is delivered, whatever `partial` says, so a
    /// small frame that inflates to gigabytes fails with 1009 having held at most one step.
    /// After the FIN frame's payload the `00 00 ff ff` tail is restored and drained.
    fn read_compressed(
        &mut self,
        buf: &mut BytesMut,
        header: FrameHeader,
    ) -> Result<Step, ProtocolError> {
        let ReadState::Payload {
            remaining,
            processed,
            ..
        } = &mut self.read
        else {
            return Ok(Step::NeedMore);
        };
        let (Some(msg), Some((_, codec))) = (self.incoming.as_mut(), self.deflate.as_mut()) else {
            return Ok(Step::NeedMore);
        };
        if self.close == CloseState::CloseSent {
            // §1.4: after sending close, data from the peer is discarded (not inflated).
            buf.advance(*processed);
            *remaining -= *processed as u64;
            *processed = 0;
            if *remaining > 0 {
                return Ok(Step::NeedMore);
            }
            self.read = ReadState::Header;
            if header.fin {
                codec.abandon_receive();
                self.end_message();
            }
            return Ok(Step::Continue);
        }
        let limit = match self.delivery {
            Delivery::Buffered => self.limits.max_message_size,
            Delivery::Streamed => self.limits.max_streamed_message_size.unwrap_or(u64::MAX),
        };
        // One byte past the room left is enough to know the limit is exceeded.
        let room = limit.saturating_sub(msg.inflated);
        let max_out = usize::try_from(room.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(INFLATE_STEP);
        let mut out = Vec::new();
        let used = codec.inflate(&buf[..*processed], &mut out, max_out)?;
        buf.advance(used);
        *processed -= used;
        *remaining -= used as u64;
        let input_done = *remaining == 0;
        let mut message_done = false;
        if input_done && header.fin && out.len() < max_out {
            message_done = codec.finish_message(&mut out, max_out)?;
        }
        if out.len() as u64 > room {
            return Err(ProtocolError::MessageTooBig { limit });
        }
        msg.inflated += out.len() as u64;
        let frame_end = input_done && (!header.fin || message_done);
        if frame_end {
            self.read = ReadState::Header;
        }
        if msg.kind == DataKind::Text {
            self.utf8
                .feed(&out)
                .map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        if out.is_empty() && !message_done {
            return Ok(if used > 0 || frame_end {
                Step::Continue
            } else {
                Step::NeedMore
            });
        }
        let kind = msg.kind;
        let first = std::mem::replace(&mut msg.first_pending, false);
        if message_done {
            if kind == DataKind::Text {
                self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            self.end_message();
        }
        Ok(Step::Event(Event::Data {
            kind,
            payload: Bytes::from(out),
            first,
            frame_end,
            fin: message_done,
        }))
    }

    fn control_frame(&mut self, opcode: OpCode, payload: Bytes) -> Result<Step, ProtocolError> {
        match opcode {
            OpCode::Ping => {
                // §5.5.2: answer with a pong carrying the same application data, unless a
                // close frame was already sent; an unwritten pong to an earlier ping is
                // replaced (§5.5.3, `pong.rs`).
                if self.close == CloseState::Open {
                    self.queue_pong(&payload);
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
                self.peer_close =
                    Some(Box::new(frame.clone().unwrap_or_else(|| {
                        CloseFrame::new(CloseCode::NO_STATUS, "")
                    })));
                self.close = CloseState::Closed;
                self.end_message();
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
        if let Some((_, codec)) = self.deflate.as_mut() {
            codec.abandon_receive();
        }
        self.close = CloseState::Failed;
        self.end_message();
    }

    /// The incoming message is over (or abandoned): the next one is buffered unless asked
    /// otherwise.
    fn end_message(&mut self) {
        self.incoming = None;
        self.delivery = Delivery::Buffered;
    }
}

/// Unmask `payload` (bytes from `offset` of the frame's payload) if the frame is masked;
/// for text, whether the bytes are now all ASCII, found in the same pass. `false` when
/// that was not looked at (binary, or an unmasked frame, whose bytes are not touched).
#[inline]
fn unmask(payload: &mut [u8], mask: Option<[u8; 4]>, offset: usize, text: bool) -> bool {
    match mask {
        Some(key) if text => unmask_ascii(payload, key, offset),
        Some(key) => {
            apply_mask(payload, key, offset);
            false
        }
        None => false,
    }
}
