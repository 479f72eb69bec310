//! The `Sec-WebSocket-Accept` computation of RFC 6455 §1.3 and the protocol version.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

/// The GUID that RFC 6455 §1.3 appends to the client's key before hashing it into
/// `Sec-WebSocket-Accept`.
///
/// ```
/// assert_eq!(rfc6455_proto::handshake::WEBSOCKET_GUID.len(), 36);
/// ```
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The one protocol version this module speaks, as sent in `Sec-WebSocket-Version`
/// (§4.1 item 9: "The value of this header field MUST be 13").
///
/// ```
/// assert_eq!(rfc6455_proto::handshake::WEBSOCKET_VERSION, "13");
/// ```
pub const WEBSOCKET_VERSION: &str = "13";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` value: base64 of the SHA-1 of
/// the key (as sent, still base64) followed by [`WEBSOCKET_GUID`] (RFC 6455 §1.3, §4.2.2
/// item 5.4).
///
/// ```
/// use rfc6455_proto::handshake::accept_key;
/// // The example of RFC 6455 §1.3.
/// assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID.as_bytes());
    STANDARD.encode(sha1.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_3_accept_key_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
