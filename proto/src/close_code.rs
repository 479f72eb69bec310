//! Close status codes (RFC 6455 §7.4): an open code space with named constants.

use std::fmt;

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
}
