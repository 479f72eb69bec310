//! The hybi-00 branch of a connection: text frames, `0xFF 0x00` closes, no status.

use bytes::BytesMut;

use super::Connection;
use super::event::Event;
use super::state::CloseState;
use crate::close::CloseFrame;
use crate::close_code::CloseCode;
use crate::config::{Limits, Role};
use crate::error::{ProtocolError, SendError};
use crate::frame::OpCode;
use crate::hybi00::{FramingMode, Hybi00Codec, Hybi00Frame, Hybi00Offer, KEY3_LEN};
use crate::message::DataKind;

impl Connection {
    /// A connection speaking the legacy hybi-00 draft (either role; the draft does not
    /// mask). Text only: binary, fragments and pings are refused with
    /// [`SendError::Unsupported`]; closing sends `0xFF 0x00` without status.
    ///
    /// A server should rather use [`hybi00_server`](Self::hybi00_server), which queues the
    /// handshake's answer first.
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

    /// The server end of a hybi-00 connection whose 101 head has been written and whose
    /// client has sent `key3` (the 8 bytes after its request head). The 16-byte answer to
    /// the handshake (draft §5.2: the MD5 of the two key numbers and `key3`) is queued as
    /// the first output, ahead of any frame: write it at once, since the draft's client
    /// sends nothing before it has checked it.
    ///
    /// ```
    /// use rfc6455_proto::Connection;
    /// use rfc6455_proto::hybi00::{FramingMode, check_request};
    ///
    /// // The example of the draft (§1.3 and §5.2).
    /// let request = http::Request::get("/demo")
    ///     .header("Host", "example.com")
    ///     .header("Upgrade", "WebSocket")
    ///     .header("Connection", "Upgrade")
    ///     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    ///     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    ///     .body(())?;
    /// let offer = check_request(&request)?;
    /// let mut conn =
    ///     Connection::hybi00_server(&offer, b"^n:ds[4U", FramingMode::Old, Default::default());
    /// conn.send_text("hi")?;
    /// assert_eq!(conn.pending_output(), b"8jKS'y:G*Co,Wxa-\x00hi\xff");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hybi00_server(
        offer: &Hybi00Offer,
        key3: &[u8; KEY3_LEN],
        mode: FramingMode,
        limits: Limits,
    ) -> Self {
        let mut conn = Self::hybi00(Role::Server, mode, limits);
        conn.out.extend_from_slice(&offer.answer(key3));
        conn
    }

    /// [`poll_event`](Self::poll_event) on hybi-00: whole text messages and the close.
    pub(super) fn poll_hybi00(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Event>, ProtocolError> {
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
                    self.peer_close = Some(Box::new(CloseFrame::new(CloseCode::NO_STATUS, "")));
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

    /// [`send_frame`](Self::send_frame) on hybi-00, where only whole text messages exist;
    /// `None` on an RFC 6455 connection.
    pub(super) fn send_hybi00(
        &mut self,
        opcode: OpCode,
        fin: bool,
        data: &[u8],
    ) -> Option<Result<(), SendError>> {
        let codec = self.hybi00.as_ref()?;
        if self.close != CloseState::Open {
            return Some(Err(SendError::Closed));
        }
        Some(match (opcode, fin) {
            (OpCode::Text, true) => match std::str::from_utf8(data) {
                Ok(text) => {
                    codec.encode_text(text, &mut self.out);
                    Ok(())
                }
                Err(_) => Err(SendError::InvalidUtf8),
            },
            (OpCode::Binary, _) => Err(SendError::Unsupported("binary messages (hybi-00)")),
            (OpCode::Ping | OpCode::Pong, _) => Err(SendError::Unsupported("ping/pong (hybi-00)")),
            _ => Err(SendError::Unsupported("fragmented messages (hybi-00)")),
        })
    }

    /// [`send_close`](Self::send_close) on hybi-00, once the close is known to be due:
    /// queues `0xFF 0x00` (no status, no reason) and returns `true`; `false` on an RFC 6455
    /// connection.
    pub(super) fn close_hybi00(&mut self) -> bool {
        let Some(codec) = &self.hybi00 else {
            return false;
        };
        codec.encode_close(&mut self.out);
        self.close = CloseState::CloseSent;
        true
    }
}
