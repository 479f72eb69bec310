//! The server's side of the opening handshake (RFC 6455 §4.2): validate the client's
//! request, then answer 101 or an HTTP error.
//!
//! ```
//! use rfc6455_proto::handshake::{check_request, reject};
//!
//! let request = http::Request::get("/chat")
//!     .header("host", "example.com")
//!     .header("upgrade", "websocket")
//!     .header("connection", "Upgrade")
//!     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("sec-websocket-version", "13")
//!     .body(())?;
//! let response = match check_request(&request) {
//!     Ok(offer) => offer.response(None).map(|()| String::new()),
//!     Err(error) => reject(&error),
//! };
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! # Ok::<(), http::Error>(())
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{
    ALLOW, CONNECTION, CONTENT_TYPE, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};

use super::accept::{WEBSOCKET_VERSION, accept_key};
use super::headers::{header_has_token, header_tokens, single_value};
use crate::error::HandshakeError;
use crate::extension::{ExtensionOffer, parse_extension_list, parse_extensions};

/// Whether `req` *tries* to be a WebSocket upgrade: its `Upgrade` header holds the
/// `websocket` token (ASCII case-insensitive, anywhere in the list).
///
/// This is a cheap routing test, not a validation: a request that passes it may still fail
/// [`check_request`], and should then get [`reject`]'s answer rather than a plain HTTP
/// page. A request that fails it can go to an ordinary HTTP handler.
///
/// ```
/// use rfc6455_proto::handshake::is_upgrade_request;
/// let ws = http::Request::get("/").header("upgrade", "WebSocket").body(())?;
/// let page = http::Request::get("/").body(())?;
/// assert!(is_upgrade_request(&ws));
/// assert!(!is_upgrade_request(&page));
/// # Ok::<(), http::Error>(())
/// ```
pub fn is_upgrade_request<B>(req: &Request<B>) -> bool {
    header_has_token(req.headers(), UPGRADE, "websocket")
}

/// Validates a client's opening handshake (RFC 6455 §4.2.1) and returns what it offers.
///
/// The body type is free so that a server can check a request without taking its body
/// apart; a WebSocket handshake has no body.
///
/// # Checks, in order
///
/// | check | error |
/// |---|---|
/// | method is GET (item 1) | [`MethodNotGet`](HandshakeError::MethodNotGet) |
/// | HTTP/1.1 or later (item 1) | [`HttpVersion`](HandshakeError::HttpVersion) |
/// | exactly one `Host` (item 2) | [`MissingHost`](HandshakeError::MissingHost); [`InvalidHeader`](HandshakeError::InvalidHeader) if repeated or not visible ASCII |
/// | `Upgrade` holds `websocket` (item 3) | [`MissingUpgrade`](HandshakeError::MissingUpgrade) |
/// | `Connection` holds `upgrade` (item 4) | [`MissingConnectionUpgrade`](HandshakeError::MissingConnectionUpgrade) |
/// | one `Sec-WebSocket-Version: 13` (item 6) | [`UnsupportedVersion`](HandshakeError::UnsupportedVersion) |
/// | one `Sec-WebSocket-Key`, canonical base64 of 16 bytes (item 5) | [`MissingKey`](HandshakeError::MissingKey), [`InvalidKey`](HandshakeError::InvalidKey) |
/// | `Sec-WebSocket-Protocol` tokens (item 8) | [`InvalidHeader`](HandshakeError::InvalidHeader) |
/// | `Sec-WebSocket-Extensions` grammar (item 9, §9.1) | [`InvalidHeader`](HandshakeError::InvalidHeader) |
///
/// The version is checked before the key: a client speaking another version of the
/// protocol need not follow version 13's key rules, and §4.4 asks the server to answer it
/// 426 with the versions it supports so that it can retry. Any request that is valid except
/// for its version therefore gets 426.
///
/// # Errors
///
/// The first failed check, as in the table; answer it with [`reject`].
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// use rfc6455_proto::handshake::check_request;
///
/// let request = http::Request::get("/")
///     .header("host", "example.com")
///     .header("upgrade", "websocket")
///     .header("connection", "keep-alive, Upgrade")
///     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("sec-websocket-version", "8")
///     .body(())?;
/// assert_eq!(check_request(&request).unwrap_err(), HandshakeError::UnsupportedVersion);
/// # Ok::<(), http::Error>(())
/// ```
pub fn check_request<B>(req: &Request<B>) -> Result<ClientOffer, HandshakeError> {
    let headers = req.headers();

    // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
    if req.method() != Method::GET {
        return Err(HandshakeError::MethodNotGet);
    }
    if req.version() < Version::HTTP_11 {
        return Err(HandshakeError::HttpVersion);
    }

    // §4.2.1 item 2: "A |Host| header field containing the server's authority."
    // RFC 7230 §5.4: a request with more than one Host header MUST get 400.
    match single_value(headers, HOST) {
        Ok(Some(_)) => {}
        Ok(None) => return Err(HandshakeError::MissingHost),
        Err(()) => return Err(HandshakeError::InvalidHeader("Host")),
    }

    // §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket", treated
    // as an ASCII case-insensitive value."
    if !header_has_token(headers, UPGRADE, "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }

    // §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade",
    // treated as an ASCII case-insensitive value."
    if !header_has_token(headers, CONNECTION, "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }

    // §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13."
    // §4.4: a server that does not understand the requested version "MUST respond with a
    // |Sec-WebSocket-Version| header field (or multiple ...) containing all versions it is
    // willing to understand" (see `reject`).
    match single_value(headers, SEC_WEBSOCKET_VERSION) {
        Ok(Some(WEBSOCKET_VERSION)) => {}
        _ => return Err(HandshakeError::UnsupportedVersion),
    }

    // §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded value that,
    // when decoded, is 16 bytes in length." §11.3.1: it "MUST NOT appear more than once".
    let key = match single_value(headers, SEC_WEBSOCKET_KEY) {
        Ok(Some(key)) => key,
        Ok(None) => return Err(HandshakeError::MissingKey),
        Err(()) => return Err(HandshakeError::InvalidKey),
    };
    if !is_valid_key(key) {
        return Err(HandshakeError::InvalidKey);
    }

    // §4.2.1 item 8 (optional): "a list of values indicating which protocols the client
    // would like to speak, ordered by preference."
    let subprotocols = header_tokens(headers, "Sec-WebSocket-Protocol")?;

    // §4.2.1 item 9 (optional), with the §9.1 grammar.
    let extensions = parse_extensions(headers)?;

    Ok(ClientOffer {
        key: key.to_owned(),
        subprotocols,
        extensions,
        connect: false,
    })
}

/// Whether `key` is the base64 of exactly 16 bytes (§4.2.1 item 5).
fn is_valid_key(key: &str) -> bool {
    // 16 bytes encode to exactly 24 characters (22 and the padding "=="); checking the
    // length first bounds the work and refuses 15- and 17-byte values early.
    // Decoded on the stack (24 characters are at most 18 bytes): no allocation.
    let mut decoded = [0u8; 18];
    key.len() == 24
        && STANDARD
            .decode_slice(key, &mut decoded)
            .is_ok_and(|len| len == 16)
}

/// A valid client handshake: the key and what the client offered (RFC 6455 §4.2.1).
///
/// Made by [`check_request`]; answer it with [`response`](Self::response) or
/// [`response_with`](Self::response_with).
///
/// ```
/// use rfc6455_proto::handshake::check_request;
///
/// let request = http::Request::get("/")
///     .header("host", "example.com")
///     .header("upgrade", "websocket")
///     .header("connection", "Upgrade")
///     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("sec-websocket-version", "13")
///     .header("sec-websocket-protocol", "chat, superchat")
///     .body(())?;
/// let offer = check_request(&request)?;
/// assert_eq!(offer.subprotocols(), ["chat", "superchat"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOffer {
    /// Empty for an extended CONNECT (RFC 8441), which has no key.
    key: String,
    subprotocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
    /// Made by [`check_connect_request`](super::check_connect_request): answered `200`.
    connect: bool,
}

impl ClientOffer {
    /// The offer of an extended CONNECT (RFC 8441), which has no key.
    pub(super) fn connect(subprotocols: Vec<String>, extensions: Vec<ExtensionOffer>) -> Self {
        Self {
            key: String::new(),
            subprotocols,
            extensions,
            connect: true,
        }
    }

    /// Whether this offer came as an extended CONNECT on an HTTP/2 stream (RFC 8441,
    /// [`check_connect_request`](super::check_connect_request)) rather than as an
    /// HTTP/1.1 upgrade; its answer is then `200`, not `101`.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16]).build()?;
    /// assert!(!check_request(&request)?.is_connect());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// The `Sec-WebSocket-Key` value, as sent (base64 of the client's nonce); empty for an
    /// extended CONNECT, which has none (RFC 8441 §5).
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16]).build()?;
    /// assert_eq!(check_request(&request)?.key(), "AAAAAAAAAAAAAAAAAAAAAA==");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The subprotocols the client offered, in its order of preference, across repeated
    /// `Sec-WebSocket-Protocol` headers.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .subprotocols(["b", "a"])
    ///     .build()?;
    /// assert_eq!(check_request(&request)?.subprotocols(), ["b", "a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The extensions the client offered, in its order of preference (§9.1).
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .extensions("permessage-deflate; client_max_window_bits")
    ///     .build()?;
    /// let offer = check_request(&request)?;
    /// assert_eq!(offer.extensions()[0].name(), "permessage-deflate");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// The first subprotocol, in the client's order of preference, that is also in
    /// `supported`; `None` when they have none in common. Names are compared exactly.
    ///
    /// The result is always safe to pass to [`response`](Self::response).
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .subprotocols(["v2", "v1"])
    ///     .build()?;
    /// let offer = check_request(&request)?;
    /// assert_eq!(offer.select_subprotocol(&["v1", "v2"]), Some("v2"));
    /// assert_eq!(offer.select_subprotocol(&["v1"]), Some("v1"));
    /// assert_eq!(offer.select_subprotocol(&["v3"]), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select_subprotocol(&self, supported: &[&str]) -> Option<&str> {
        self.subprotocols
            .iter()
            .map(String::as_str)
            .find(|offered| supported.contains(offered))
    }

    /// The 101 Switching Protocols answer (§4.2.2 item 5), with `Upgrade: websocket`,
    /// `Connection: Upgrade`, `Sec-WebSocket-Accept` and, when `subprotocol` is given,
    /// `Sec-WebSocket-Protocol`.
    ///
    /// `subprotocol` must be one the client offered (§4.2.2 item 5.4: "the value chosen
    /// MUST be derived from the client's handshake"); use
    /// [`select_subprotocol`](Self::select_subprotocol) to pick one. A client fails the
    /// connection on any other (§4.1).
    ///
    /// # Panics
    ///
    /// In debug builds, if `subprotocol` was not offered. In release builds it is sent as
    /// given (and the client will refuse it), unless it is not a valid header value, in
    /// which case the header is left out.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .subprotocols(["chat"])
    ///     .build()?;
    /// let response = check_request(&request)?.response(Some("chat"));
    /// assert_eq!(response.status(), 101);
    /// assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn response(&self, subprotocol: Option<&str>) -> Response<()> {
        self.response_with(subprotocol, None)
    }

    /// For an extended CONNECT ([`is_connect`](Self::is_connect)) the answer is `200 OK`
    /// with only `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` (RFC 8441 §5: no
    /// `Upgrade`, `Connection` or `Sec-WebSocket-Accept`).
    ///
    /// Like [`response`](Self::response), and adds `Sec-WebSocket-Extensions: extensions`
    /// for the accepted extensions (elements of [`extensions`](Self::extensions), in the
    /// order in which they apply, §9.1).
    ///
    /// # Panics
    ///
    /// In debug builds, if `subprotocol` was not offered, or if `extensions` does not follow
    /// the §9.1 grammar or names an extension the client did not offer (§9.1). In release
    /// builds such an `extensions` value is sent as given, unless it is not a valid header
    /// value, in which case the header is left out.
    ///
    /// ```
    /// # use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .extensions("x-test; p")
    ///     .build()?;
    /// let response = check_request(&request)?.response_with(None, Some("x-test"));
    /// assert_eq!(response.headers()["sec-websocket-extensions"], "x-test");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn response_with(
        &self,
        subprotocol: Option<&str>,
        extensions: Option<&str>,
    ) -> Response<()> {
        let mut response = Response::new(());
        // RFC 8441 §5: a 2xx answer opens the stream's WebSocket.
        *response.status_mut() = if self.connect {
            StatusCode::OK
        } else {
            StatusCode::SWITCHING_PROTOCOLS
        };
        let headers = response.headers_mut();
        if !self.connect {
            // §4.2.2 item 5.2 and 5.3.
            headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
            headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
            // §4.2.2 item 5.4: "A |Sec-WebSocket-Accept| header field."
            if let Ok(accept) = HeaderValue::try_from(accept_key(self.key.as_bytes())) {
                // Always taken: base64 is visible ASCII.
                headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
            }
        }
        if let Some(protocol) = subprotocol {
            debug_assert!(
                self.subprotocols.iter().any(|offered| offered == protocol),
                "subprotocol {protocol:?} was not offered by the client"
            );
            if let Ok(value) = HeaderValue::from_str(protocol) {
                headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
            }
        }
        if let Some(extensions) = extensions {
            debug_assert!(
                parse_extension_list(extensions).is_ok_and(|accepted| accepted
                    .iter()
                    .all(|a| self.extensions.iter().any(|o| o.name() == a.name()))),
                "extensions {extensions:?} malformed or not offered by the client"
            );
            if let Ok(value) = HeaderValue::from_str(extensions) {
                headers.insert(SEC_WEBSOCKET_EXTENSIONS, value);
            }
        }
        response
    }
}

/// The HTTP answer to a failed handshake: the status of [`HandshakeError::status`], a
/// `text/plain; charset=utf-8` body with the reason and a newline, and the headers the
/// status requires:
///
/// - 426 ([`UnsupportedVersion`](HandshakeError::UnsupportedVersion)):
///   `Sec-WebSocket-Version: 13` (RFC 6455 §4.4), `Upgrade: websocket` (RFC 7231 §6.5.15:
///   the server "MUST send an Upgrade header field in a 426 response") and
///   `Connection: Upgrade` (RFC 7230 §6.7: "When Upgrade is sent, the sender MUST also send
///   a Connection header field ... that contains an "upgrade" connection option");
/// - 405 ([`MethodNotGet`](HandshakeError::MethodNotGet)): `Allow: GET` (RFC 7231 §6.5.5:
///   "The origin server MUST generate an Allow header field in a 405 response").
///
/// An error whose status is informational (1xx, which cannot carry this answer, and 101
/// would claim success) is answered 500: that is a bug in the server program.
///
/// ```
/// use rfc6455_proto::HandshakeError;
/// use rfc6455_proto::handshake::reject;
///
/// let response = reject(&HandshakeError::UnsupportedVersion);
/// assert_eq!(response.status(), 426);
/// assert_eq!(response.headers()["sec-websocket-version"], "13");
/// assert_eq!(response.body(), "Sec-WebSocket-Version must be 13\n");
/// ```
pub fn reject(error: &HandshakeError) -> Response<String> {
    let mut response = Response::new(format!("{error}\n"));
    let status = error.status();
    *response.status_mut() = if status.is_informational() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    match error {
        HandshakeError::UnsupportedVersion => {
            headers.insert(
                SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static(WEBSOCKET_VERSION),
            );
            headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
            headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        }
        HandshakeError::MethodNotGet | HandshakeError::ConnectWithoutProtocol => {
            headers.insert(ALLOW, HeaderValue::from_static("GET"));
        }
        _ => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use http::request::Builder;

    use super::*;
    use crate::handshake::client::ClientRequest;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    /// The request of RFC 6455 §1.2, minus Origin.
    fn valid() -> Builder {
        Request::get("/chat")
            .header(HOST, "server.example.com")
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "Upgrade")
            .header(SEC_WEBSOCKET_KEY, KEY)
            .header(SEC_WEBSOCKET_VERSION, "13")
    }

    /// `valid()` without the header `name`.
    fn without(name: http::HeaderName) -> Request<()> {
        let mut req = valid().body(()).unwrap();
        req.headers_mut().remove(name);
        req
    }

    /// `valid()` with the header `name` replaced by `value`.
    fn with(name: http::HeaderName, value: &str) -> Request<()> {
        let mut req = valid().body(()).unwrap();
        req.headers_mut()
            .insert(name, HeaderValue::from_str(value).unwrap());
        req
    }

    fn err(req: &Request<()>) -> HandshakeError {
        check_request(req).unwrap_err()
    }

    #[test]
    fn s4_2_1_valid_request_is_accepted() {
        let offer = check_request(&valid().body(()).unwrap()).unwrap();
        assert_eq!(offer.key(), KEY);
        assert!(offer.subprotocols().is_empty());
        assert!(offer.extensions().is_empty());
    }

    #[test]
    fn s4_2_1_method_must_be_get() {
        let mut req = valid().body(()).unwrap();
        *req.method_mut() = Method::POST;
        assert_eq!(err(&req), HandshakeError::MethodNotGet);
    }

    #[test]
    fn s4_2_1_http_version_must_be_1_1_or_later() {
        let mut req = valid().body(()).unwrap();
        *req.version_mut() = Version::HTTP_10;
        assert_eq!(err(&req), HandshakeError::HttpVersion);
        *req.version_mut() = Version::HTTP_09;
        assert_eq!(err(&req), HandshakeError::HttpVersion);
    }

    #[test]
    fn s4_2_1_host_required_once() {
        assert_eq!(err(&without(HOST)), HandshakeError::MissingHost);
        let mut req = valid().body(()).unwrap();
        req.headers_mut()
            .append(HOST, HeaderValue::from_static("other.example"));
        assert_eq!(err(&req), HandshakeError::InvalidHeader("Host"));
    }

    #[test]
    fn s4_2_1_upgrade_websocket_required() {
        assert_eq!(err(&without(UPGRADE)), HandshakeError::MissingUpgrade);
        assert_eq!(err(&with(UPGRADE, "h2c")), HandshakeError::MissingUpgrade);
        assert_eq!(
            err(&with(UPGRADE, "websocket2")),
            HandshakeError::MissingUpgrade
        );
    }

    #[test]
    fn s4_2_1_upgrade_token_in_list_case_insensitive() {
        assert!(check_request(&with(UPGRADE, "foo, websocket")).is_ok());
        assert!(check_request(&with(UPGRADE, "WebSocket")).is_ok());
    }

    #[test]
    fn s4_2_1_connection_upgrade_required() {
        assert_eq!(
            err(&without(CONNECTION)),
            HandshakeError::MissingConnectionUpgrade
        );
        assert_eq!(
            err(&with(CONNECTION, "keep-alive")),
            HandshakeError::MissingConnectionUpgrade
        );
    }

    #[test]
    fn s4_2_1_connection_token_in_list_case_insensitive() {
        assert!(check_request(&with(CONNECTION, "keep-alive, Upgrade")).is_ok());
        assert!(check_request(&with(CONNECTION, "UPGRADE")).is_ok());
    }

    #[test]
    fn s4_2_1_key_required() {
        assert_eq!(err(&without(SEC_WEBSOCKET_KEY)), HandshakeError::MissingKey);
    }

    #[test]
    fn s4_2_1_key_must_decode_to_16_bytes() {
        let fifteen = STANDARD.encode([1u8; 15]);
        let seventeen = STANDARD.encode([1u8; 17]);
        assert_eq!(fifteen.len(), 20);
        assert_eq!(seventeen.len(), 24);
        for bad in [
            fifteen.as_str(),
            seventeen.as_str(),
            "",
            "not base64 at all!!!!!!!",
            "dGhlIHNhbXBsZSBub25jZQ",
            "dGhlIHNhbXBsZSBub25jZQ===",
        ] {
            assert_eq!(
                err(&with(SEC_WEBSOCKET_KEY, bad)),
                HandshakeError::InvalidKey,
                "{bad:?}"
            );
        }
        assert!(check_request(&with(SEC_WEBSOCKET_KEY, &STANDARD.encode([9u8; 16]))).is_ok());
    }

    #[test]
    fn s11_3_1_key_must_not_be_repeated() {
        let mut req = valid().body(()).unwrap();
        req.headers_mut()
            .append(SEC_WEBSOCKET_KEY, HeaderValue::from_static(KEY));
        assert_eq!(err(&req), HandshakeError::InvalidKey);
    }

    #[test]
    fn s4_2_1_non_ascii_key_is_invalid() {
        let mut req = valid().body(()).unwrap();
        req.headers_mut().insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_bytes(b"dGhlIHNhbXBsZSBub25jZQ\xff\xff").unwrap(),
        );
        assert_eq!(err(&req), HandshakeError::InvalidKey);
    }

    #[test]
    fn s4_2_1_version_must_be_13() {
        assert_eq!(
            err(&without(SEC_WEBSOCKET_VERSION)),
            HandshakeError::UnsupportedVersion
        );
        for bad in ["8", "14", "13, 8", "", "thirteen"] {
            assert_eq!(
                err(&with(SEC_WEBSOCKET_VERSION, bad)),
                HandshakeError::UnsupportedVersion,
                "{bad:?}"
            );
        }
        let mut req = valid().body(()).unwrap();
        req.headers_mut()
            .append(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        assert_eq!(err(&req), HandshakeError::UnsupportedVersion);
    }

    #[test]
    fn s4_4_wrong_version_gets_426_even_with_an_odd_key() {
        // A client of another version need not follow version 13's key rules.
        let mut req = with(SEC_WEBSOCKET_VERSION, "8");
        req.headers_mut().remove(SEC_WEBSOCKET_KEY);
        let e = err(&req);
        assert_eq!(e, HandshakeError::UnsupportedVersion);
        assert_eq!(reject(&e).status(), StatusCode::UPGRADE_REQUIRED);
    }

    #[test]
    fn s4_4_reject_426_carries_supported_version() {
        let response = reject(&HandshakeError::UnsupportedVersion);
        assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
        let headers = response.headers();
        assert_eq!(headers[SEC_WEBSOCKET_VERSION], "13");
        assert_eq!(headers[UPGRADE], "websocket");
        assert_eq!(headers[CONNECTION], "Upgrade");
        assert_eq!(headers[CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(response.body(), "Sec-WebSocket-Version must be 13\n");
    }

    #[test]
    fn s4_2_1_reject_statuses_and_bodies() {
        let cases = [
            (HandshakeError::MethodNotGet, 405),
            (HandshakeError::HttpVersion, 505),
            (HandshakeError::MissingHost, 400),
            (HandshakeError::MissingUpgrade, 400),
            (HandshakeError::MissingConnectionUpgrade, 400),
            (HandshakeError::MissingKey, 400),
            (HandshakeError::InvalidKey, 400),
            (HandshakeError::InvalidHeader("Host"), 400),
            (HandshakeError::Rejected(StatusCode::FORBIDDEN), 403),
        ];
        for (error, status) in cases {
            let response = reject(&error);
            assert_eq!(response.status().as_u16(), status, "{error}");
            assert_eq!(response.body(), &format!("{error}\n"));
            assert_eq!(
                response.headers()[CONTENT_TYPE],
                "text/plain; charset=utf-8"
            );
            assert!(!response.headers().contains_key(SEC_WEBSOCKET_VERSION));
        }
        assert_eq!(
            reject(&HandshakeError::MethodNotGet).headers()[ALLOW],
            "GET"
        );
        let informational = reject(&HandshakeError::Rejected(StatusCode::SWITCHING_PROTOCOLS));
        assert_eq!(informational.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn s4_2_1_subprotocols_in_order_across_repeated_headers() {
        let req = valid()
            .header(SEC_WEBSOCKET_PROTOCOL, "chat, superchat")
            .header(SEC_WEBSOCKET_PROTOCOL, "mqtt")
            .body(())
            .unwrap();
        let offer = check_request(&req).unwrap();
        assert_eq!(offer.subprotocols(), ["chat", "superchat", "mqtt"]);
        assert_eq!(
            offer.select_subprotocol(&["mqtt", "superchat"]),
            Some("superchat")
        );
    }

    #[test]
    fn s4_2_1_malformed_subprotocols_rejected() {
        let req = with(SEC_WEBSOCKET_PROTOCOL, "chat, super chat");
        assert_eq!(
            err(&req),
            HandshakeError::InvalidHeader("Sec-WebSocket-Protocol")
        );
    }

    #[test]
    fn s4_2_1_extensions_parsed_and_malformed_rejected() {
        let req = valid()
            .header(
                SEC_WEBSOCKET_EXTENSIONS,
                "permessage-deflate; client_max_window_bits",
            )
            .header(SEC_WEBSOCKET_EXTENSIONS, "x-b; q=\"1\"")
            .body(())
            .unwrap();
        let offer = check_request(&req).unwrap();
        let names: Vec<&str> = offer.extensions().iter().map(|e| e.name()).collect();
        assert_eq!(names, ["permessage-deflate", "x-b"]);
        assert_eq!(offer.extensions()[1].param("q"), Some(Some("1")));

        let bad = with(SEC_WEBSOCKET_EXTENSIONS, "x-a; p=\"a b\"");
        assert_eq!(
            err(&bad),
            HandshakeError::InvalidHeader("Sec-WebSocket-Extensions")
        );
    }

    #[test]
    fn s4_2_2_response_is_101_with_accept() {
        let offer = check_request(&valid().body(()).unwrap()).unwrap();
        let response = offer.response(None);
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(response.version(), Version::HTTP_11);
        let headers = response.headers();
        assert_eq!(headers[UPGRADE], "websocket");
        assert_eq!(headers[CONNECTION], "Upgrade");
        assert_eq!(
            headers[SEC_WEBSOCKET_ACCEPT],
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert!(!headers.contains_key(SEC_WEBSOCKET_PROTOCOL));
        assert!(!headers.contains_key(SEC_WEBSOCKET_EXTENSIONS));
    }

    #[test]
    fn s4_2_2_response_carries_chosen_protocol_and_extensions() {
        let req = valid()
            .header(SEC_WEBSOCKET_PROTOCOL, "chat")
            .header(SEC_WEBSOCKET_EXTENSIONS, "x-a")
            .body(())
            .unwrap();
        let offer = check_request(&req).unwrap();
        let response = offer.response_with(Some("chat"), Some("x-a; p=1"));
        assert_eq!(response.headers()[SEC_WEBSOCKET_PROTOCOL], "chat");
        assert_eq!(response.headers()[SEC_WEBSOCKET_EXTENSIONS], "x-a; p=1");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "not offered")]
    fn s4_2_2_response_with_unoffered_protocol_asserts() {
        let offer = check_request(&valid().body(()).unwrap()).unwrap();
        let _ = offer.response(Some("chat"));
    }

    #[test]
    fn s4_2_is_upgrade_request() {
        assert!(is_upgrade_request(&valid().body(()).unwrap()));
        assert!(is_upgrade_request(&with(UPGRADE, "h2c, WebSocket")));
        assert!(!is_upgrade_request(&without(UPGRADE)));
        assert!(!is_upgrade_request(&with(UPGRADE, "h2c")));
    }

    #[test]
    fn s4_2_1_accepts_requests_built_by_the_client() {
        let (req, _) = ClientRequest::new("ws://[::1]:9000/a?b=c".parse().unwrap(), [3; 16])
            .build()
            .unwrap();
        assert!(check_request(&req).is_ok());
    }
}
