//! Reading handshake headers: token lists and single values (RFC 7230 §3.2, §7).

use http::HeaderMap;
use http::header::AsHeaderName;

use crate::error::HandshakeError;
use crate::token::{is_ows, is_token};

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
    let token = token.as_bytes();
    headers.get_all(name).iter().any(|value| {
        // Bytes, not `str`: the same elements, without decoding characters.
        value.to_str().is_ok()
            && value
                .as_bytes()
                .split(|&b| b == b',')
                .any(|element| trim_ows(element).eq_ignore_ascii_case(token))
    })
}

/// `element` without the optional whitespace around it.
fn trim_ows(element: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| is_ows(char::from(*b));
    let start = element
        .iter()
        .position(|b| !is_ows(b))
        .unwrap_or(element.len());
    let end = element
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &element[start..end]
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

/// The single value of a header that must appear at most once, trimmed: `Ok(None)` when
/// absent, `Err(())` when repeated or not visible ASCII.
pub(super) fn single_value(
    headers: &HeaderMap,
    name: impl AsHeaderName,
) -> Result<Option<&str>, ()> {
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
}
