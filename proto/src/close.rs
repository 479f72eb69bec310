//! Close codes and close frames (RFC 6455 §5.5.1, §7.4).

use std::fmt;

use bytes::{BufMut, Bytes};

use crate::error::ProtocolError;
use crate::utf8::Utf8Bytes;

/// A close status code (RFC 6455 §7.4): an open code space, so a newtype with named
/// constants rather than an enum.
///
/// ```
/// use rfc6455_proto::CloseCode;
/// let code = CloseCode::from(4000);
/// assert!(code.is_sendable());
/// assert!(!CloseCode::NO_STATUS.is_sendable());
/// assert_eq!(CloseCode::NORMAL.as_u16(), 1000);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: an endpoint is going away (server shutting down, page navigated away, idle).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept (text-only endpoint got binary, …).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: *never sent*; reported when a close frame carried no status code.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: *never sent*; reported when the connection ended without a close frame.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: data inconsistent with its type (invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message that violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const TOO_BIG: Self = Self(1009);
    /// 1010: (client) the server did not negotiate a required extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: (server) an unexpected condition prevented fulfilling the request.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway got an invalid response upstream (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: *never sent*; reported when the TLS handshake failed.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The numeric code.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::CloseCode::TOO_BIG.as_u16(), 1009);
    /// ```
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this code may appear in a close frame on the wire, in either direction
    /// (§7.4.1, §7.4.2): 1000–1003, 1007–1014 and 3000–4999.
    ///
    /// 0–999 and 1016–2999 are not used; 1004 is reserved; 1005, 1006 and 1015 are
    /// reserved for reporting and MUST NOT be set in a close frame.
    ///
    /// ```
    /// use rfc6455_proto::CloseCode;
    /// assert!(CloseCode::from(3000).is_sendable());
    /// assert!(!CloseCode::from(1004).is_sendable());
    /// assert!(!CloseCode::from(2999).is_sendable());
    /// assert!(!CloseCode::from(5000).is_sendable());
    /// ```
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

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
                let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
                if !code.is_sendable() {
                    return Err(ProtocolError::InvalidCloseCode(code.0));
                }
                let reason = Utf8Bytes::try_from(payload.slice(2..))
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
                Ok(Some(Self { code, reason }))
            }
        }
    }

    /// Write the close payload (code then reason) into `dst`.
    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u16(self.code.0);
        dst.put_slice(self.reason.as_bytes());
    }

    /// The payload length on the wire.
    pub(crate) fn payload_len(&self) -> usize {
        2 + self.reason.len()
    }
}

#[cfg(test)]
mod tests {
    //! RFC 6455 §7.4: status codes.
    use super::*;

    #[test]
    fn s7_4_codes_allowed_on_the_wire() {
        for code in 0..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode(code).is_sendable(), expected, "{code}");
        }
        for reserved in [1004, 1005, 1006, 1015, 999, 1016, 2999] {
            assert!(!CloseCode(reserved).is_sendable(), "{reserved}");
        }
    }

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
        assert_eq!(f.code(), CloseCode(4000));
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
