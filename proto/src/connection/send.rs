//! The RFC 6455 send path: the send rules of §5.4 and §5.5, and frame encoding.

use rand::Rng;

use super::Connection;
use super::state::CloseState;
use crate::close::{CloseFrame, MAX_CLOSE_REASON};
use crate::close_code::CloseCode;
use crate::config::Role;
use crate::error::SendError;
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
use crate::mask::apply_mask;
use crate::message::{DataKind, Message};

impl Connection {
    /// Queue a whole text message.
    ///
    /// # Errors
    /// [`SendError::Closed`] after a close frame was sent; [`SendError::MessageInProgress`]
    /// while a fragmented message is open.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_frame(OpCode::Text, true, text.as_bytes())
    }

    /// Queue a whole message. Text is already known to be UTF-8 ([`Utf8Bytes`](crate::Utf8Bytes)), so it
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

    /// Queue the first fragment of a message sent by hand (§5.4), of type `kind`; the
    /// following ones go with [`send_continuation`](Self::send_continuation), the last with
    /// `fin = true` (a first fragment with `fin = true` is a whole message).
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
    /// assert_eq!(conn.send_continuation(b"x", true), Err(SendError::NoMessageInProgress));
    /// conn.send_fragment(DataKind::Text, b"Hel", false).unwrap();
    /// conn.send_continuation(b"lo", true).unwrap();
    /// assert_eq!(conn.pending_output(), &[0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']);
    /// ```
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        self.send_frame(kind.opcode(), fin, data)
    }

    /// Queue a continuation fragment of the message begun with
    /// [`send_fragment`](Self::send_fragment); `fin = true` ends it.
    ///
    /// # Errors
    /// [`SendError::NoMessageInProgress`] when no message is open, [`SendError::Closed`]
    /// after a close frame.
    ///
    /// ```
    /// use rfc6455_proto::{Connection, DataKind};
    /// let mut conn = Connection::server(Default::default());
    /// conn.send_fragment(DataKind::Binary, b"a", false).unwrap();
    /// conn.send_continuation(b"b", true).unwrap();
    /// assert_eq!(conn.pending_output(), &[0x02, 0x01, b'a', 0x80, 0x01, b'b']);
    /// ```
    pub fn send_continuation(&mut self, data: &[u8], fin: bool) -> Result<(), SendError> {
        self.send_frame(OpCode::Continuation, fin, data)
    }

    /// Queue a frame of any type after checking that the sequence is allowed.
    ///
    /// # Errors
    /// The [`SendError`] of the rule the frame would break; nothing is queued then.
    ///
    /// Under permessage-deflate a data message is compressed (RSV1 on its first frame)
    /// unless it is a single frame shorter than the configured threshold.
    pub fn send_frame(&mut self, opcode: OpCode, fin: bool, data: &[u8]) -> Result<(), SendError> {
        self.send_data_frame(opcode, fin, data, true)
    }

    /// Like [`send_frame`](Self::send_frame), but a message this frame starts is sent
    /// uncompressed even under permessage-deflate (a continuation follows its message).
    ///
    /// Use it for messages that mix a secret with data an attacker may choose: compressed
    /// sizes leak how much of the attacker's guess matches the secret (RFC 7692 §8.1, the
    /// CRIME attack).
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// use rfc6455_proto::extension::parse_header_value;
    /// use rfc6455_proto::{Connection, OpCode};
    /// let config = DeflateConfig::default();
    /// let agreed = config.accept(&parse_header_value("permessage-deflate")?).unwrap();
    /// let mut server = Connection::server(Default::default()).with_deflate(agreed, &config);
    /// let secret = "token=".repeat(20);
    /// server.send_frame_uncompressed(OpCode::Text, true, secret.as_bytes())?;
    /// assert_eq!(server.pending_output()[0], 0x81); // RSV1 clear
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As for [`send_frame`](Self::send_frame).
    pub fn send_frame_uncompressed(
        &mut self,
        opcode: OpCode,
        fin: bool,
        data: &[u8],
    ) -> Result<(), SendError> {
        self.send_data_frame(opcode, fin, data, false)
    }

    fn send_data_frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        data: &[u8],
        compress: bool,
    ) -> Result<(), SendError> {
        if self.send_short_message(opcode, fin, data) {
            return Ok(());
        }
        if let Some(result) = self.send_hybi00(opcode, fin, data) {
            return result;
        }
        self.check_send(opcode, fin, data.len())?;
        if let (false, Some((_, codec))) = (opcode.is_control(), self.deflate.as_mut()) {
            let first = opcode != OpCode::Continuation;
            let whole = (first && fin).then_some(data.len());
            let compressed = codec.begin_or_continue(first, whole, compress);
            if fin {
                codec.end_send();
            }
            if compressed {
                let mut out = Vec::new();
                codec.compress(data, fin, &mut out);
                let rsv = if first { 0b100 } else { 0 };
                self.write_frame_rsv(opcode, fin, rsv, &out);
                return Ok(());
            }
        }
        self.write_frame(opcode, fin, data);
        Ok(())
    }

    /// The common case of a server's messages in one step: a whole text or binary message
    /// of less than 64 KiB, between messages of an open RFC 6455 connection without
    /// compression, queued as the general path would queue it (a two- or four-byte header
    /// and the payload). `false`, with nothing queued: any other frame.
    #[inline]
    fn send_short_message(&mut self, opcode: OpCode, fin: bool, data: &[u8]) -> bool {
        let len = data.len();
        let fits = matches!(opcode, OpCode::Text | OpCode::Binary)
            && fin
            && len <= 0xFFFF
            && self.rng.is_none()
            && self.outgoing.is_none()
            && self.close == CloseState::Open
            && self.hybi00.is_none()
            && self.deflate.is_none();
        if fits {
            self.out.reserve(4 + len);
            let first = 0x80 | opcode.as_u8();
            if len <= 125 {
                self.out.extend_from_slice(&[first, len as u8]);
            } else {
                let [high, low] = (len as u16).to_be_bytes();
                self.out.extend_from_slice(&[first, 126, high, low]);
            }
            self.out.extend_from_slice(data);
        }
        fits
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
            (op, None) => self.outgoing = Some(DataKind::of_opcode(op)),
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
        if self.close_hybi00() {
            return Ok(());
        }
        self.write_close(&CloseFrame::new(code, reason));
        self.close = CloseState::CloseSent;
        self.outgoing = None;
        Ok(())
    }

    pub(super) fn write_close(&mut self, frame: &CloseFrame) {
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
        let len = frame.payload_len();
        frame.encode(&mut &mut payload[..len]);
        self.write_frame(OpCode::Close, true, &payload[..len]);
    }

    /// Encode a frame into the output buffer, masking it on a client.
    pub(super) fn write_frame(&mut self, opcode: OpCode, fin: bool, data: &[u8]) {
        self.write_frame_rsv(opcode, fin, 0, data);
    }

    /// Encode a frame with the given RSV bits (set only by a negotiated extension).
    fn write_frame_rsv(&mut self, opcode: OpCode, fin: bool, rsv: u8, data: &[u8]) {
        let mask = self.rng.as_mut().map(|rng| rng.next_u32().to_ne_bytes());
        self.out.reserve(MAX_HEADER_LEN + data.len());
        self.write_header(opcode, fin, rsv, mask, data.len());
        let start = self.out.len();
        self.out.extend_from_slice(data);
        if let Some(key) = mask {
            apply_mask(&mut self.out[start..], key, 0);
        }
    }

    /// Encode a frame header into the output buffer.
    fn write_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        len: usize,
    ) {
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: len as u64,
        };
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut head);
        self.out.extend_from_slice(&head[..n]);
    }

    /// Queue only the header of a frame whose `len` payload bytes the caller writes itself
    /// from its own memory: zero-copy (and vectored) writes of large payloads on a server,
    /// which does not mask. The send rules are checked as for [`send_frame`](Self::send_frame).
    ///
    /// Returns `Some(at)`: the payload belongs on the wire right after the first `at` bytes
    /// of [`pending_output`](Self::pending_output), which end with this header. Output
    /// queued later (pongs, close replies, more messages) goes after the payload. So write
    /// `pending_output()[..at]`, the payload, then the rest, and report only queued bytes to
    /// [`consume_output`](Self::consume_output).
    ///
    /// Returns `None` and queues nothing on a client (client payloads are masked, which
    /// needs a copy), on hybi-00, and under permessage-deflate (payloads are compressed):
    /// use [`send_frame`](Self::send_frame) then.
    ///
    /// # Errors
    /// As for [`send_frame`](Self::send_frame); nothing is queued then.
    ///
    /// ```
    /// use rfc6455_proto::{Connection, OpCode};
    /// let mut server = Connection::server(Default::default());
    /// let payload = vec![7u8; 200];
    /// let at = server.send_frame_header(OpCode::Binary, true, payload.len())?.unwrap();
    /// server.send_pong(b"p")?; // queued now, sent after the payload
    /// let (head, tail) = server.pending_output().split_at(at);
    /// assert_eq!(head, &[0x82, 126, 0, 200]);
    /// assert_eq!(tail, b"\x8a\x01p");
    ///
    /// let mut client = Connection::client(Default::default(), [7; 32]);
    /// assert_eq!(client.send_frame_header(OpCode::Binary, true, 200)?, None);
    /// # Ok::<(), rfc6455_proto::SendError>(())
    /// ```
    pub fn send_frame_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        len: usize,
    ) -> Result<Option<usize>, SendError> {
        let compressing = self
            .deflate
            .as_ref()
            .is_some_and(|(_, codec)| codec.compresses());
        if self.role == Role::Client || self.hybi00.is_some() || compressing {
            return Ok(None);
        }
        self.check_send(opcode, fin, len)?;
        self.write_header(opcode, fin, 0, None, len);
        Ok(Some(self.out.len()))
    }
}
