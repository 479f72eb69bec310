//! The server's side of a WebSocket opened on an HTTP/2 stream (RFC 8441 §4–§5): an
//! extended CONNECT with `:protocol websocket`, answered `200`.
//!
//! The `:protocol` pseudo-header is not a header: the HTTP/2 layer (hyper, h2) keeps it
//! apart, so the caller passes its value in.
//!
//! ```
//! use rfc6455_proto::handshake::check_connect_request;
//!
//! let request = http::Request::connect("https://example.com/chat")
//!     .version(http::Version::HTTP_2)
//!     .header("sec-websocket-version", "13")
//!     .header("sec-websocket-protocol", "chat")
//!     .body(())?;
//! let offer = check_connect_request(&request, Some("websocket"))?;
//! let response = offer.response(offer.select_subprotocol(&["chat"]));
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
//! assert!(!response.headers().contains_key("sec-websocket-accept"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::SEC_WEBSOCKET_VERSION;
use http::{Method, Request};

use super::accept::WEBSOCKET_VERSION;
use super::headers::{header_tokens, single_value};
use super::server::ClientOffer;
use crate::error::HandshakeError;
use crate::extension::parse_extensions;

/// Validates an extended CONNECT that opens a WebSocket on an HTTP/2 stream (RFC 8441
/// §4–§5) and returns what it offers; `protocol` is the value of its `:protocol`
/// pseudo-header, if any.
///
/// # Checks, in order
///
/// | check | error (status) |
/// |---|---|
/// | method is CONNECT | [`ConnectWithoutProtocol`](HandshakeError::ConnectWithoutProtocol) (405) |
/// | a `:protocol` (§4) | [`ConnectWithoutProtocol`](HandshakeError::ConnectWithoutProtocol) (405) |
/// | `:protocol` is `websocket`, ASCII case-insensitive (§5) | [`UnsupportedProtocol`](HandshakeError::UnsupportedProtocol) (400) |
/// | one `Sec-WebSocket-Version: 13` (§5, RFC 6455 §4.2.1 item 6) | [`UnsupportedVersion`](HandshakeError::UnsupportedVersion) (426) |
/// | `Sec-WebSocket-Protocol` tokens | [`InvalidHeader`](HandshakeError::InvalidHeader) (400) |
/// | `Sec-WebSocket-Extensions` grammar | [`InvalidHeader`](HandshakeError::InvalidHeader) (400) |
///
/// `Sec-WebSocket-Key`, `Upgrade` and `Connection` are not used on HTTP/2 (§5) and are
/// ignored; the authority is HTTP/2's `:authority`, which the HTTP/2 layer checks.
///
/// # Errors
///
/// The first failed check, as in the table; answer it with [`reject`](super::reject).
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// use rfc6455_proto::handshake::check_connect_request;
///
/// let request = http::Request::connect("https://example.com/")
///     .version(http::Version::HTTP_2)
///     .header("sec-websocket-version", "13")
///     .body(())?;
/// assert_eq!(
///     check_connect_request(&request, None).unwrap_err(),
///     HandshakeError::ConnectWithoutProtocol
/// );
/// assert_eq!(
///     check_connect_request(&request, Some("h3")).unwrap_err().status(),
///     http::StatusCode::BAD_REQUEST
/// );
/// # Ok::<(), http::Error>(())
/// ```
pub fn check_connect_request<B>(
    req: &Request<B>,
    protocol: Option<&str>,
) -> Result<ClientOffer, HandshakeError> {
    if req.method() != Method::CONNECT {
        return Err(HandshakeError::ConnectWithoutProtocol);
    }
    match protocol {
        None => return Err(HandshakeError::ConnectWithoutProtocol),
        Some(p) if p.eq_ignore_ascii_case("websocket") => {}
        Some(p) => return Err(HandshakeError::UnsupportedProtocol(p.to_owned())),
    }
    let headers = req.headers();
    match single_value(headers, SEC_WEBSOCKET_VERSION) {
        Ok(Some(WEBSOCKET_VERSION)) => {}
        _ => return Err(HandshakeError::UnsupportedVersion),
    }
    let subprotocols = header_tokens(headers, "Sec-WebSocket-Protocol")?;
    let extensions = parse_extensions(headers)?;
    Ok(ClientOffer::connect(subprotocols, extensions))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;
    use crate::handshake::reject;

    fn connect() -> http::request::Builder {
        Request::connect("https://example.com/chat").version(http::Version::HTTP_2)
    }

    #[test]
    fn rfc8441_s5_valid_connect_is_answered_200_without_accept() {
        let req = connect()
            .header("sec-websocket-version", "13")
            .header("sec-websocket-extensions", "permessage-deflate")
            .body(())
            .unwrap();
        let offer = check_connect_request(&req, Some("websocket")).unwrap();
        assert!(offer.is_connect());
        assert_eq!(offer.extensions()[0].name(), "permessage-deflate");
        let response = offer.response(None);
        assert_eq!(response.status(), StatusCode::OK);
        for name in ["upgrade", "connection", "sec-websocket-accept"] {
            assert!(!response.headers().contains_key(name), "{name}");
        }
    }

    #[test]
    fn rfc8441_s4_plain_connect_is_405() {
        let req = connect().body(()).unwrap();
        let e = check_connect_request(&req, None).unwrap_err();
        assert_eq!(e, HandshakeError::ConnectWithoutProtocol);
        let answer = reject(&e);
        assert_eq!(answer.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.headers()["allow"], "GET");
    }

    #[test]
    fn rfc8441_s5_other_protocol_is_400() {
        let req = connect()
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        let e = check_connect_request(&req, Some("connect-udp")).unwrap_err();
        assert_eq!(e, HandshakeError::UnsupportedProtocol("connect-udp".into()));
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        // The token is compared ASCII case-insensitively.
        assert!(check_connect_request(&req, Some("WebSocket")).is_ok());
    }

    #[test]
    fn rfc8441_s5_version_must_be_13() {
        for version in [None, Some("8"), Some("13, 13")] {
            let mut req = connect();
            if let Some(v) = version {
                req = req.header("sec-websocket-version", v);
            }
            let e = check_connect_request(&req.body(()).unwrap(), Some("websocket")).unwrap_err();
            assert_eq!(e, HandshakeError::UnsupportedVersion, "{version:?}");
        }
    }

    #[test]
    fn rfc8441_s5_malformed_subprotocols_are_400() {
        let req = connect()
            .header("sec-websocket-version", "13")
            .header("sec-websocket-protocol", "a b")
            .body(())
            .unwrap();
        let e = check_connect_request(&req, Some("websocket")).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }
}
