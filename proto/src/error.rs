//! Errors of the protocol core, each with exactly one answer on the wire.
//!
//! [`ProtocolError`] is what a peer did wrong after the handshake; its answer is a close
//! code ([`ProtocolError::close_code`]). [`HandshakeError`] is what is wrong with an opening
//! handshake; on the server its answer is an HTTP status ([`HandshakeError::status`]).
//! [`SendError`] is what the *local* program did wrong when asking to send; nothing goes on
//! the wire for it.

use std::fmt;

use crate::close_code::CloseCode;

/// A violation of RFC 6455 (or of a configured limit) by the peer.
///
/// Every variant maps to one close code, sent to the peer before the connection is dropped
/// (RFC 6455 §7.1.7 "Fail the WebSocket Connection").
///
/// ```
/// use rfc6455_proto::{CloseCode, ProtocolError};
/// assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
/// assert_eq!(ProtocolError::MessageTooBig { limit: 10 }.close_code(), CloseCode::TOO_BIG);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// RSV1, RSV2 or RSV3 was set without a negotiated extension that defines it (§5.2).
    ReservedBits(u8),
    /// An opcode that RFC 6455 reserves (0x3–0x7, 0xB–0xF) (§5.2).
    UnknownOpcode(u8),
    /// A 64-bit payload length with its most significant bit set (§5.2).
    InvalidLength,
    /// A length encoded in more bytes than needed. RFC 6455 §5.2 says "the minimal number
    /// of bytes MUST be used to encode the length".
    NonMinimalLength,
    /// A client sent an unmasked frame; a server MUST close the connection (§5.1).
    UnmaskedFrame,
    /// A server sent a masked frame; a client MUST close the connection (§5.1).
    MaskedFrame,
    /// A control frame with a payload over 125 bytes (§5.5).
    ControlFrameTooLong,
    /// A control frame with FIN clear: control frames MUST NOT be fragmented (§5.5).
    FragmentedControlFrame,
    /// A continuation frame with no fragmented message in progress (§5.4).
    UnexpectedContinuation,
    /// A text or binary frame while a fragmented message is still open (§5.4).
    ExpectedContinuation,
    /// A close frame whose payload is exactly one byte long (§5.5.1).
    InvalidClosePayload,
    /// A close code that may not appear on the wire (§7.4.1, §7.4.2).
    InvalidCloseCode(u16),
    /// Text (or a close reason) that is not valid UTF-8 (§8.1); fails at the first byte that
    /// cannot begin valid UTF-8, even in the middle of a fragment.
    InvalidUtf8,
    /// A frame whose payload is larger than [`Limits::max_frame_size`](crate::Limits).
    FrameTooBig {
        /// The configured limit, in bytes.
        limit: u64,
    },
    /// A message whose payload would exceed [`Limits::max_message_size`](crate::Limits).
    MessageTooBig {
        /// The configured limit, in bytes.
        limit: u64,
    },
    /// A message split into more frames than [`Limits::max_fragments`](crate::Limits).
    TooManyFragments {
        /// The configured limit, in frames.
        limit: u32,
    },
    /// A compressed message (RSV1, permessage-deflate, RFC 7692) whose payload is not a
    /// valid DEFLATE stream once the `00 00 ff ff` tail is restored (§7.2.2). Answered
    /// with 1007: the payload is inconsistent with the message's declared encoding.
    InvalidCompressedData,
    /// A hybi-00 frame that the draft does not allow (a 0xFF not followed by 0x00, a length
    /// over 64 bits, a closing frame with data in the length-prefixed mode).
    Hybi00Framing(&'static str),
}

impl ProtocolError {
    /// The close code sent to the peer when the connection fails for this reason.
    ///
    /// This is the one place that maps errors to codes: 1002 for framing and sequencing
    /// errors, 1007 for invalid UTF-8, 1009 for limits.
    ///
    /// ```
    /// use rfc6455_proto::{CloseCode, ProtocolError};
    /// assert_eq!(ProtocolError::UnmaskedFrame.close_code(), CloseCode::PROTOCOL_ERROR);
    /// ```
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 | Self::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooBig { .. }
            | Self::MessageTooBig { .. }
            | Self::TooManyFragments { .. } => CloseCode::TOO_BIG,
            Self::ReservedBits(_)
            | Self::UnknownOpcode(_)
            | Self::InvalidLength
            | Self::NonMinimalLength
            | Self::UnmaskedFrame
            | Self::MaskedFrame
            | Self::ControlFrameTooLong
            | Self::FragmentedControlFrame
            | Self::UnexpectedContinuation
            | Self::ExpectedContinuation
            | Self::InvalidClosePayload
            | Self::InvalidCloseCode(_)
            | Self::Hybi00Framing(_) => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedBits(bits) => {
                write!(
                    f,
                    "reserved bits {bits:#05b} set without a negotiated extension"
                )
            }
            Self::UnknownOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::InvalidLength => f.write_str("64-bit payload length with the top bit set"),
            Self::NonMinimalLength => f.write_str("payload length not in its minimal encoding"),
            Self::UnmaskedFrame => f.write_str("client frame not masked"),
            Self::MaskedFrame => f.write_str("server frame masked"),
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::FragmentedControlFrame => f.write_str("fragmented control frame"),
            Self::UnexpectedContinuation => {
                f.write_str("continuation frame without a fragmented message in progress")
            }
            Self::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message is in progress")
            }
            Self::InvalidClosePayload => f.write_str("close frame payload of one byte"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} not allowed on the wire"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8 in text"),
            Self::InvalidCompressedData => f.write_str("compressed message is not valid DEFLATE"),
            Self::FrameTooBig { limit } => {
                write!(f, "frame larger than the limit of {limit} bytes")
            }
            Self::MessageTooBig { limit } => {
                write!(f, "message larger than the limit of {limit} bytes")
            }
            Self::TooManyFragments { limit } => {
                write!(f, "message split into more than {limit} frames")
            }
            Self::Hybi00Framing(what) => write!(f, "hybi-00 framing: {what}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Why an opening handshake was refused, on either side.
///
/// On the server, [`HandshakeError::status`] gives the HTTP status to answer with.
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// assert_eq!(HandshakeError::UnsupportedVersion.status(), http::StatusCode::UPGRADE_REQUIRED);
/// assert_eq!(HandshakeError::MissingKey.status(), http::StatusCode::BAD_REQUEST);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The request method is not GET (RFC 6455 §4.2.1 item 1).
    MethodNotGet,
    /// The request is not HTTP/1.1 or later (§4.2.1 item 1).
    HttpVersion,
    /// No `Host` header (§4.2.1 item 2).
    MissingHost,
    /// No `Upgrade` header with the `websocket` token (§4.2.1 item 3).
    MissingUpgrade,
    /// No `Connection` header with the `upgrade` token (§4.2.1 item 4).
    MissingConnectionUpgrade,
    /// No `Sec-WebSocket-Key` header (§4.2.1 item 5).
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not base64 of exactly 16 bytes (§4.2.1 item 5).
    InvalidKey,
    /// `Sec-WebSocket-Version` is missing or not 13: answered with 426 and
    /// `Sec-WebSocket-Version: 13` (§4.2.2, §4.4).
    UnsupportedVersion,
    /// A header value that is not visible ASCII where a token list was expected.
    InvalidHeader(&'static str),
    /// hybi-00: `Sec-WebSocket-Key1`/`Key2` malformed (no spaces, not divisible, over 32 bits).
    InvalidHybi00Key,
    /// The server answered with a status other than 101 (client side).
    UnexpectedStatus(http::StatusCode),
    /// The server's `Sec-WebSocket-Accept` does not match the key sent (client side, §4.1).
    InvalidAccept,
    /// The server chose a subprotocol the client did not offer (client side, §4.1).
    UnrequestedSubprotocol(String),
    /// The server answered with an extension the client did not offer (client side, §4.1).
    UnrequestedExtension(String),
    /// The server's `permessage-deflate` answer breaks RFC 7692 §7.1 (client side): an
    /// unknown or repeated parameter, an invalid value, or a parameter the offer did not
    /// allow. The text says which.
    InvalidExtensionAnswer(String),
    /// The application refused the handshake with this status.
    Rejected(http::StatusCode),
    /// An HTTP/2 CONNECT without a `:protocol` pseudo-header: a request for a tunnel, not
    /// a WebSocket (RFC 8441 §4). Answered `405 Method Not Allowed`.
    ConnectWithoutProtocol,
    /// An extended CONNECT whose `:protocol` is not `websocket` (RFC 8441 §4). Answered
    /// `400 Bad Request`.
    UnsupportedProtocol(String),
}

impl HandshakeError {
    /// The HTTP status a server answers this error with.
    ///
    /// ```
    /// use rfc6455_proto::HandshakeError;
    /// assert_eq!(HandshakeError::MethodNotGet.status(), http::StatusCode::METHOD_NOT_ALLOWED);
    /// ```
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::MethodNotGet | Self::ConnectWithoutProtocol => StatusCode::METHOD_NOT_ALLOWED,
            Self::HttpVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            Self::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            Self::Rejected(status) | Self::UnexpectedStatus(status) => *status,
            Self::MissingHost
            | Self::MissingUpgrade
            | Self::MissingConnectionUpgrade
            | Self::MissingKey
            | Self::InvalidKey
            | Self::InvalidHeader(_)
            | Self::InvalidHybi00Key
            | Self::InvalidAccept
            | Self::UnrequestedSubprotocol(_)
            | Self::UnrequestedExtension(_)
            | Self::InvalidExtensionAnswer(_)
            | Self::UnsupportedProtocol(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MethodNotGet => f.write_str("WebSocket handshake must use GET"),
            Self::HttpVersion => f.write_str("WebSocket handshake needs HTTP/1.1"),
            Self::MissingHost => f.write_str("missing Host header"),
            Self::MissingUpgrade => f.write_str("missing `Upgrade: websocket`"),
            Self::MissingConnectionUpgrade => f.write_str("missing `Connection: upgrade`"),
            Self::MissingKey => f.write_str("missing Sec-WebSocket-Key"),
            Self::InvalidKey => f.write_str("Sec-WebSocket-Key is not base64 of 16 bytes"),
            Self::UnsupportedVersion => f.write_str("Sec-WebSocket-Version must be 13"),
            Self::InvalidHeader(name) => write!(f, "malformed {name} header"),
            Self::InvalidHybi00Key => f.write_str("malformed hybi-00 Sec-WebSocket-Key1/Key2"),
            Self::UnexpectedStatus(status) => write!(f, "server answered {status}, not 101"),
            Self::InvalidAccept => f.write_str("Sec-WebSocket-Accept does not match the key"),
            Self::UnrequestedSubprotocol(p) => {
                write!(f, "server chose subprotocol {p:?} that was not offered")
            }
            Self::UnrequestedExtension(e) => {
                write!(f, "server chose extension {e:?} that was not offered")
            }
            Self::InvalidExtensionAnswer(why) => {
                write!(f, "invalid permessage-deflate answer: {why}")
            }
            Self::Rejected(status) => write!(f, "handshake rejected with {status}"),
            Self::ConnectWithoutProtocol => {
                f.write_str("CONNECT without :protocol: this server is not a proxy")
            }
            Self::UnsupportedProtocol(protocol) => {
                write!(
                    f,
                    "extended CONNECT for :protocol {protocol:?}, not websocket"
                )
            }
        }
    }
}

impl std::error::Error for HandshakeError {}

/// A send the local program asked for that the protocol does not allow.
///
/// Nothing is written when a send fails with this error, and the connection stays usable
/// (except after [`SendError::Closed`]).
///
/// ```
/// use rfc6455_proto::SendError;
/// assert!(SendError::NoMessageInProgress.to_string().contains("continuation"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// A close frame was already sent: no data may follow it (§5.5.1).
    Closed,
    /// A continuation fragment was sent with no fragmented message started.
    NoMessageInProgress,
    /// A new message was started while a fragmented message is still open: finish it first.
    MessageInProgress,
    /// A control frame payload (ping, pong, close reason plus code) over 125 bytes (§5.5).
    ControlFrameTooLong,
    /// A close code that an endpoint may not send (§7.4.1: 1005, 1006, 1015, …).
    InvalidCloseCode(u16),
    /// The operation does not exist on this protocol variant (hybi-00 has no binary
    /// messages, no fragments and no close status).
    Unsupported(&'static str),
    /// Text that is not valid UTF-8 (only possible when streaming text from bytes).
    InvalidUtf8,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("connection closing: a close frame was already sent"),
            Self::NoMessageInProgress => {
                f.write_str("continuation fragment sent without a started fragmented message")
            }
            Self::MessageInProgress => {
                f.write_str("a fragmented message is still open: send its last fragment first")
            }
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} may not be sent"),
            Self::Unsupported(what) => write!(f, "not supported by this protocol variant: {what}"),
            Self::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
        }
    }
}

impl std::error::Error for SendError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_error_maps_to_a_failure_code() {
        let all = [
            ProtocolError::ReservedBits(4),
            ProtocolError::UnknownOpcode(3),
            ProtocolError::InvalidLength,
            ProtocolError::NonMinimalLength,
            ProtocolError::UnmaskedFrame,
            ProtocolError::MaskedFrame,
            ProtocolError::ControlFrameTooLong,
            ProtocolError::FragmentedControlFrame,
            ProtocolError::UnexpectedContinuation,
            ProtocolError::ExpectedContinuation,
            ProtocolError::InvalidClosePayload,
            ProtocolError::InvalidCloseCode(1005),
            ProtocolError::Hybi00Framing("x"),
        ];
        for e in all {
            assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR, "{e}");
        }
        assert_eq!(ProtocolError::InvalidUtf8.close_code().as_u16(), 1007);
        assert_eq!(
            ProtocolError::FrameTooBig { limit: 1 }
                .close_code()
                .as_u16(),
            1009
        );
        assert_eq!(
            ProtocolError::MessageTooBig { limit: 1 }
                .close_code()
                .as_u16(),
            1009
        );
        assert_eq!(
            ProtocolError::TooManyFragments { limit: 1 }
                .close_code()
                .as_u16(),
            1009
        );
    }

    #[test]
    fn handshake_statuses() {
        assert_eq!(HandshakeError::UnsupportedVersion.status().as_u16(), 426);
        assert_eq!(HandshakeError::InvalidKey.status().as_u16(), 400);
        assert_eq!(HandshakeError::HttpVersion.status().as_u16(), 505);
        assert_eq!(
            HandshakeError::Rejected(http::StatusCode::FORBIDDEN)
                .status()
                .as_u16(),
            403
        );
    }
}
