//! The hybi-00 branch of a connection: text frames, `0xFF 0x00` closes, no status.

use bytes::BytesMut;

use super::Connection;
use super::event::Event;
use super::state::CloseState;
use crate::config::{Limits, Role};
use crate::error::{ProtocolError, SendError};
use crate::frame::OpCode;
use crate::hybi00::{FramingMode, Hybi00Codec, Hybi00Frame};
use crate::message::DataKind;

impl Connection {
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
