//! Close frames (RFC 6455 §5.5.1): status code and reason, parsed and written.

use bytes::{BufMut, Bytes};

use crate::close_code::CloseCode;
use crate::error::ProtocolError;
use crate::utf8::Utf8Bytes;

/// The status and reason carried by a close frame.
///
/// ```
/// use rfc6455_proto::{CloseCode, CloseFrame};
/// let frame = CloseFrame::new(CloseCode::NORMAL, "bye");
/// assert_eq!(frame.reason(), "bye");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    code: CloseCode,
    reason: Utf8Bytes,
}

/// The longest close reason that fits in a control frame: 125 bytes minus the 2-byte code.
pub const MAX_CLOSE_REASON: usize = 123;

impl CloseFrame {
    /// A close frame with this code and reason.
    ///
    /// The code and length are checked when the frame is sent, not here.
    ///
    /// ```
    /// let f = rfc6455_proto::CloseFrame::new(4000.into(), "done");
    /// assert_eq!(f.code().as_u16(), 4000);
    /// ```
    pub fn new(code: CloseCode, reason: impl Into<Utf8Bytes>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The status code.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::CloseFrame::new(1000.into(), "").code().as_u16(), 1000);
    /// ```
    pub fn code(&self) -> CloseCode {
        self.code
    }

    /// The reason, possibly empty.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::CloseFrame::new(1000.into(), "x").reason(), "x");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Parse the payload of a received close frame (§5.5.1).
    ///
    /// An empty payload means "no status" and gives `Ok(None)`.
    ///
    /// # Errors
    /// One byte → [`ProtocolError::InvalidClosePayload`]; a code not allowed on the wire →
    /// [`ProtocolError::InvalidCloseCode`]; a reason that is not UTF-8 →
    /// [`ProtocolError::InvalidUtf8`].
    ///
    /// ```
    /// use rfc6455_proto::CloseFrame;
    /// let f = CloseFrame::parse(bytes::Bytes::from_static(b"\x03\xe8ok")).unwrap().unwrap();
    /// assert_eq!((f.code().as_u16(), f.reason()), (1000, "ok"));
    /// assert!(CloseFrame::parse(bytes::Bytes::from_static(b"\x03")).is_err());
    /// ```
    pub fn parse(payload: Bytes) -> Result<Option<Self>, ProtocolError> {
        match payload.len() {
            0 => Ok(None),
            1 => Err(ProtocolError::InvalidClosePayload),
            _ => {
                let code = CloseCode::from(u16::from_be_bytes([payload[0], payload[1]]));
                if !code.is_sendable() {
                    return Err(ProtocolError::InvalidCloseCode(code.as_u16()));
                }
                let reason = Utf8Bytes::try_from(payload.slice(2..))
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
                Ok(Some(Self { code, reason }))
            }
        }
    }

    /// Write the close payload (code then reason) into `dst`.
    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u16(self.code.as_u16());
        dst.put_slice(self.reason.as_bytes());
    }

    /// The payload length on the wire.
    pub(crate) fn payload_len(&self) -> usize {
        2 + self.reason.len()
    }
}

#[cfg(test)]
mod tests {
    //! RFC 6455 §5.5.1: the close frame's payload.
    use super::*;

    #[test]
    fn s5_5_1_close_payload_parsing() {
        assert_eq!(CloseFrame::parse(Bytes::new()), Ok(None));
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[0x03])),
            Err(ProtocolError::InvalidClosePayload)
        );
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[0x03, 0xed])),
            Err(ProtocolError::InvalidCloseCode(1005))
        );
        assert_eq!(
            CloseFrame::parse(Bytes::from_static(&[0x03, 0xe8, 0xff])),
            Err(ProtocolError::InvalidUtf8)
        );
        let f = CloseFrame::parse(Bytes::from_static(b"\x0f\xa0why"))
            .unwrap()
            .unwrap();
        assert_eq!(f.code(), CloseCode::from(4000));
        assert_eq!(f.reason(), "why");
    }

    #[test]
    fn encode_round_trip() {
        let f = CloseFrame::new(CloseCode::GOING_AWAY, "bye");
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(out.len(), f.payload_len());
        assert_eq!(CloseFrame::parse(Bytes::from(out)).unwrap(), Some(f));
    }
}
