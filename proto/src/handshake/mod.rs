//! The RFC 6455 §4 opening handshake, as pure functions over `http` types.
//!
//! Nothing here reads a socket or picks a random number: the client's 16-byte nonce is
//! passed in, requests and responses are [`http::Request<()>`] and [`http::Response<()>`]
//! values, and the I/O layer writes and reads them.
//!
//! # The flow
//!
//! ```text
//!   client                                                    server
//!   ClientRequest::new(uri, nonce).build()
//!     → (Request, ClientHandshake)   ── GET, Upgrade ──▶   check_request(&req)
//!                                                            → Ok(ClientOffer) | Err(e)
//!                                                          offer.response(protocol)  (101)
//!   handshake.check_response(&resp) ◀── 101 / reject(&e) ──
//!     → Ok(ServerAnswer) | Err(e)
//! ```
//!
//! 1. The client builds the request with [`ClientRequest`] from a `ws://`/`wss://` URI and a
//!    nonce from a CSPRNG (§4.1: "randomly selected"), and keeps the [`ClientHandshake`].
//! 2. The server validates the request with [`check_request`] (§4.2.1). On success it picks
//!    a subprotocol from [`ClientOffer::subprotocols`] and extensions from
//!    [`ClientOffer::extensions`], and answers [`ClientOffer::response`] (101 Switching
//!    Protocols). On failure it answers [`reject`] (400, 405, 426 or 505 with a text body).
//! 3. The client validates the answer with [`ClientHandshake::check_response`] (§4.1); the
//!    [`ServerAnswer`] says which subprotocol and extensions are in use.
//!
//! ```
//! use rfc6455_proto::handshake::{ClientRequest, check_request};
//!
//! // Client: the nonce comes from a CSPRNG in real code.
//! let (request, handshake) = ClientRequest::new("ws://example.com/chat".parse()?, [7; 16])
//!     .subprotocols(["v2.chat", "v1.chat"])
//!     .build()?;
//!
//! // Server.
//! let offer = check_request(&request)?;
//! let chosen = offer.select_subprotocol(&["v1.chat"]);
//! let response = offer.response(chosen);
//! assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
//!
//! // Client again.
//! let answer = handshake.check_response(&response)?;
//! assert_eq!(answer.subprotocol(), Some("v1.chat"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Header values
//!
//! Header values that are not visible ASCII (the `http` crate allows any byte but control
//! characters) are never a panic: [`header_has_token`] treats such a value as absent, and
//! every parser of a list ([`header_tokens`], the extension parser) answers
//! [`HandshakeError::InvalidHeader`].

pub mod client;
pub mod server;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::AsHeaderName;
use sha1::{Digest, Sha1};

pub use client::{ClientHandshake, ClientRequest, ServerAnswer};
pub use server::{ClientOffer, check_request, is_upgrade_request, reject};

use crate::error::HandshakeError;

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

/// Whether any `name` header in `headers` holds `token` in its comma-separated list,
/// compared ASCII case-insensitively (`Connection: keep-alive, Upgrade` holds `upgrade`).
///
/// The header may be repeated; every occurrence is searched. A value that is not visible
/// ASCII is treated as absent (it cannot hold a token).
///
/// ```
/// use http::header::{CONNECTION, HeaderMap};
/// use rfc6455_proto::handshake::header_has_token;
///
/// let mut headers = HeaderMap::new();
/// headers.append(CONNECTION, "keep-alive, Upgrade".parse().unwrap());
/// assert!(header_has_token(&headers, CONNECTION, "upgrade"));
/// assert!(!header_has_token(&headers, CONNECTION, "close"));
/// ```
pub fn header_has_token(headers: &HeaderMap, name: impl AsHeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|element| element.trim_matches(is_ows).eq_ignore_ascii_case(token))
}

/// The tokens of every `name` header in `headers`, in order: the comma-separated lists of
/// repeated headers are joined, empty elements are skipped (RFC 7230 §7). Used for
/// `Sec-WebSocket-Protocol`, whose elements RFC 6455 §4.1 requires to be tokens.
///
/// `name` is looked up ASCII case-insensitively and is also the name carried by the error,
/// so spell it as it should read in a message (`"Sec-WebSocket-Protocol"`).
///
/// # Errors
///
/// [`HandshakeError::InvalidHeader`]`(name)` when a value is not visible ASCII or an
/// element is not a token.
///
/// ```
/// use http::header::{HeaderMap, SEC_WEBSOCKET_PROTOCOL};
/// use rfc6455_proto::handshake::header_tokens;
///
/// let mut headers = HeaderMap::new();
/// headers.append(SEC_WEBSOCKET_PROTOCOL, "chat, superchat".parse().unwrap());
/// headers.append(SEC_WEBSOCKET_PROTOCOL, "mqtt".parse().unwrap());
/// assert_eq!(header_tokens(&headers, "Sec-WebSocket-Protocol")?, ["chat", "superchat", "mqtt"]);
///
/// headers.append(SEC_WEBSOCKET_PROTOCOL, "not a token".parse().unwrap());
/// assert!(header_tokens(&headers, "Sec-WebSocket-Protocol").is_err());
/// # Ok::<(), rfc6455_proto::HandshakeError>(())
/// ```
pub fn header_tokens(
    headers: &HeaderMap,
    name: &'static str,
) -> Result<Vec<String>, HandshakeError> {
    let mut out = Vec::new();
    for value in headers.get_all(name) {
        let value = value
            .to_str()
            .map_err(|_| HandshakeError::InvalidHeader(name))?;
        for element in value.split(',') {
            let element = element.trim_matches(is_ows);
            if element.is_empty() {
                continue;
            }
            if !is_token(element) {
                return Err(HandshakeError::InvalidHeader(name));
            }
            out.push(element.to_owned());
        }
    }
    Ok(out)
}

/// RFC 7230 §3.2.3 optional whitespace.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 7230 §3.2.6 `tchar`: visible ASCII except the delimiters `"(),/:;<=>?@[\]{}`.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7230 §3.2.6 `token = 1*tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// The single value of a header that must appear at most once, trimmed: `Ok(None)` when
/// absent, `Err(())` when repeated or not visible ASCII.
fn single_value(headers: &HeaderMap, name: impl AsHeaderName) -> Result<Option<&str>, ()> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => value
            .to_str()
            .map(|v| Some(v.trim_matches(is_ows)))
            .map_err(|_| ()),
        (Some(_), Some(_)) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::header::{CONNECTION, SEC_WEBSOCKET_PROTOCOL, UPGRADE};

    use super::*;

    #[test]
    fn s1_3_accept_key_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn s4_2_1_tokens_match_case_insensitively_in_lists() {
        let mut headers = HeaderMap::new();
        headers.append(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        headers.append(UPGRADE, HeaderValue::from_static("foo,\tWebSocket "));
        assert!(header_has_token(&headers, CONNECTION, "upgrade"));
        assert!(header_has_token(&headers, UPGRADE, "websocket"));
        assert!(!header_has_token(&headers, UPGRADE, "foo, websocket"));
        assert!(!header_has_token(&headers, "x-missing", "upgrade"));
    }

    #[test]
    fn s4_2_1_tokens_searched_across_repeated_headers() {
        let mut headers = HeaderMap::new();
        headers.append(CONNECTION, HeaderValue::from_static("keep-alive"));
        headers.append(CONNECTION, HeaderValue::from_static("upgrade"));
        assert!(header_has_token(&headers, CONNECTION, "Upgrade"));
    }

    #[test]
    fn s4_2_1_token_not_matched_as_substring() {
        let mut headers = HeaderMap::new();
        headers.append(UPGRADE, HeaderValue::from_static("websocketx, xwebsocket"));
        assert!(!header_has_token(&headers, UPGRADE, "websocket"));
    }

    #[test]
    fn s4_2_1_non_ascii_value_is_treated_as_absent() {
        let mut headers = HeaderMap::new();
        headers.append(UPGRADE, HeaderValue::from_bytes(b"websocket\xff").unwrap());
        assert!(!header_has_token(&headers, UPGRADE, "websocket"));
        headers.append(UPGRADE, HeaderValue::from_static("websocket"));
        assert!(header_has_token(&headers, UPGRADE, "websocket"));
    }

    #[test]
    fn s4_1_protocol_tokens_keep_order_across_repeated_headers() {
        let mut headers = HeaderMap::new();
        headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("b, a"));
        headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(" , c"));
        headers.append(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("a2"));
        assert_eq!(
            header_tokens(&headers, "Sec-WebSocket-Protocol").unwrap(),
            ["b", "a", "c", "a2"]
        );
    }

    #[test]
    fn s4_1_protocol_tokens_reject_non_tokens_and_non_ascii() {
        let err = HandshakeError::InvalidHeader("Sec-WebSocket-Protocol");
        for bad in [&b"a b"[..], b"chat/1", b"\"q\"", b"caf\xc3\xa9"] {
            let mut headers = HeaderMap::new();
            headers.append(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_bytes(bad).unwrap(),
            );
            assert_eq!(
                header_tokens(&headers, "Sec-WebSocket-Protocol"),
                Err(err.clone()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tokens_follow_rfc7230() {
        assert!(is_token("permessage-deflate"));
        assert!(is_token("v1.chat~!#$%&'*+^_`|"));
        for bad in ["", "a b", "a,b", "a;b", "a=b", "\"a\"", "a/b", "é"] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }
}
