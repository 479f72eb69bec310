//! The client's side of the opening handshake (RFC 6455 §4.1): build the request, then
//! validate the server's answer.
//!
//! ```
//! use rfc6455_proto::handshake::ClientRequest;
//!
//! let (request, handshake) = ClientRequest::new("wss://example.com/feed".parse()?, [42; 16])
//!     .subprotocols(["v1.feed"])
//!     .build()?;
//! assert_eq!(request.uri(), "/feed");
//! assert_eq!(request.headers()["host"], "example.com");
//! assert_eq!(request.headers()["sec-websocket-key"], handshake.key());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{
    CONNECTION, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};

use super::accept::{WEBSOCKET_VERSION, accept_key};
use super::headers::{header_has_token, header_tokens, single_value};
use crate::error::HandshakeError;
use crate::extension::{ExtensionOffer, parse_extension_list, parse_extensions};
use crate::token::is_token;

/// A builder for the client's opening handshake request (RFC 6455 §4.1).
///
/// The nonce must come from a cryptographically strong random source, fresh for every
/// request (§4.1 item 7: "a randomly selected 16-byte value"; §10.3); this crate does not
/// pick it. [`build`](Self::build) consumes the builder so that a nonce is not reused.
///
/// The request has:
/// - method GET, version HTTP/1.1, and the URI's path and query as its target
///   (origin-form, `/` when empty);
/// - `Host`: the URI's host, with the port when it is not the scheme's default (80 for
///   `ws`, 443 for `wss`), IPv6 literals in brackets (§4.1 item 4) — or the value given to
///   [`host`](Self::host);
/// - `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Key` (base64 of the
///   nonce), `Sec-WebSocket-Version: 13`;
/// - `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when offers were given;
/// - the extra [`headers`](Self::headers).
///
/// ```
/// use rfc6455_proto::handshake::ClientRequest;
///
/// let (request, _handshake) = ClientRequest::new("ws://[::1]:9000/a?b=c".parse()?, [0; 16])
///     .build()?;
/// assert_eq!(request.method(), http::Method::GET);
/// assert_eq!(request.uri(), "/a?b=c");
/// assert_eq!(request.headers()["host"], "[::1]:9000");
/// assert_eq!(request.headers()["sec-websocket-version"], "13");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientRequest {
    uri: Uri,
    nonce: [u8; 16],
    host: Option<String>,
    subprotocols: Vec<String>,
    extensions: Option<String>,
    headers: HeaderMap,
}

impl ClientRequest {
    /// Starts a request for `uri` with the caller's random `nonce`.
    ///
    /// `uri` is a `ws://` or `wss://` URI, or a path (and query) alone when the `Host` is
    /// given with [`host`](Self::host). A userinfo part is ignored: §3 URIs have none.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (request, _) = ClientRequest::new("/chat".parse()?, [1; 16]).host("example.com").build()?;
    /// assert_eq!(request.headers()["host"], "example.com");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(uri: Uri, nonce: [u8; 16]) -> Self {
        Self {
            uri,
            nonce,
            host: None,
            subprotocols: Vec::new(),
            extensions: None,
            headers: HeaderMap::new(),
        }
    }

    /// The `Host` header value to send instead of the one derived from the URI (needed when
    /// the URI is a path alone; useful to connect to an address while naming a host).
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (request, _) = ClientRequest::new("ws://127.0.0.1:8080/".parse()?, [1; 16])
    ///     .host("chat.example:8080")
    ///     .build()?;
    /// assert_eq!(request.headers()["host"], "chat.example:8080");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The subprotocols to offer, most preferred first (§4.1 item 10). Each must be a token
    /// and appear once, or [`build`](Self::build) fails.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
    ///     .subprotocols(["v2.chat", "v1.chat"])
    ///     .build()?;
    /// assert_eq!(request.headers()["sec-websocket-protocol"], "v2.chat, v1.chat");
    /// assert_eq!(handshake.subprotocols(), ["v2.chat", "v1.chat"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subprotocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The `Sec-WebSocket-Extensions` value to offer (§4.1 item 11, §9.1 grammar). An empty
    /// value offers nothing.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [1; 16])
    ///     .extensions("permessage-deflate; client_max_window_bits")
    ///     .build()?;
    /// assert_eq!(handshake.extensions()[0].name(), "permessage-deflate");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extensions(mut self, offer: impl Into<String>) -> Self {
        self.extensions = Some(offer.into());
        self
    }

    /// Extra headers to send (`Origin`, `Authorization`, cookies, …). Headers that the
    /// handshake owns (`Host`, `Upgrade`, `Connection` and every `Sec-WebSocket-*` header)
    /// are replaced by the builder's own values; use the matching builder methods instead.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let mut extra = http::HeaderMap::new();
    /// extra.insert("origin", "https://example.com".parse()?);
    /// extra.insert("upgrade", "h2c".parse()?);
    /// let (request, _) = ClientRequest::new("ws://h/".parse()?, [1; 16]).headers(extra).build()?;
    /// assert_eq!(request.headers()["origin"], "https://example.com");
    /// assert_eq!(request.headers()["upgrade"], "websocket");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// Builds the request and the [`ClientHandshake`] that checks the server's answer.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidHeader`] with:
    /// - `"Host"` when the URI's scheme is neither `ws` nor `wss`, or there is no host (no
    ///   authority in the URI and none given with [`host`](Self::host)), or the given host
    ///   is not a valid header value;
    /// - `"Sec-WebSocket-Protocol"` when a subprotocol is not a token or is repeated (§4.1
    ///   item 10: "MUST all be unique strings");
    /// - `"Sec-WebSocket-Extensions"` when the extension offer does not follow §9.1.
    ///
    /// ```
    /// use rfc6455_proto::HandshakeError;
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let err = ClientRequest::new("http://h/".parse()?, [1; 16]).build().unwrap_err();
    /// assert_eq!(err, HandshakeError::InvalidHeader("Host"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(self) -> Result<(Request<()>, ClientHandshake), HandshakeError> {
        let host = self.host_value()?;
        let target = request_target(&self.uri)?;

        // §4.1 item 10: "The elements that comprise this value MUST be non-empty strings
        // with characters in the range U+0021 to U+007E not including separator characters
        // as defined in [RFC2616] and MUST all be unique strings."
        for (i, protocol) in self.subprotocols.iter().enumerate() {
            if !is_token(protocol) || self.subprotocols[..i].contains(protocol) {
                return Err(HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"));
            }
        }
        let extension_offer = self.extensions.filter(|e| !e.trim().is_empty());
        let extensions = match &extension_offer {
            Some(offer) => parse_extension_list(offer)?,
            None => Vec::new(),
        };

        let mut headers = self.headers;
        for owned in [
            HOST,
            UPGRADE,
            CONNECTION,
            SEC_WEBSOCKET_KEY,
            SEC_WEBSOCKET_VERSION,
            SEC_WEBSOCKET_PROTOCOL,
            SEC_WEBSOCKET_EXTENSIONS,
            SEC_WEBSOCKET_ACCEPT,
        ] {
            headers.remove(owned);
        }
        // §4.1 item 4.
        headers.insert(HOST, host);
        // §4.1 items 5 and 6.
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        // §4.1 item 7: "a nonce consisting of a randomly selected 16-byte value that has
        // been base64-encoded".
        let key = STANDARD.encode(self.nonce);
        if let Ok(value) = HeaderValue::from_str(&key) {
            // Always taken: base64 is visible ASCII.
            headers.insert(SEC_WEBSOCKET_KEY, value);
        }
        // §4.1 item 9.
        headers.insert(
            SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static(WEBSOCKET_VERSION),
        );
        if !self.subprotocols.is_empty() {
            let value = HeaderValue::try_from(self.subprotocols.join(", "))
                .map_err(|_| HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"))?;
            headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
        }
        if let Some(offer) = extension_offer {
            let value = HeaderValue::try_from(offer)
                .map_err(|_| HandshakeError::InvalidHeader("Sec-WebSocket-Extensions"))?;
            headers.insert(SEC_WEBSOCKET_EXTENSIONS, value);
        }

        // §4.1 item 1: "The method of the request MUST be GET, and the HTTP version MUST be
        // at least 1.1." Item 3: the request-target is the resource name (path and query).
        let mut request = Request::new(());
        *request.method_mut() = Method::GET;
        *request.version_mut() = Version::HTTP_11;
        *request.uri_mut() = target;
        *request.headers_mut() = headers;

        let handshake = ClientHandshake {
            key,
            subprotocols: self.subprotocols,
            extensions,
        };
        Ok((request, handshake))
    }

    /// §4.1 item 4: "|Host| header field whose value contains /host/ plus optionally ":"
    /// followed by /port/ (when not using the default port)."
    fn host_value(&self) -> Result<HeaderValue, HandshakeError> {
        let invalid = || HandshakeError::InvalidHeader("Host");
        let default_port = match self.uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("ws") => Some(80),
            Some(s) if s.eq_ignore_ascii_case("wss") => Some(443),
            Some(_) => return Err(invalid()),
            None => None,
        };
        if let Some(host) = &self.host {
            return HeaderValue::from_str(host).map_err(|_| invalid());
        }
        let (Some(authority), Some(default_port)) = (self.uri.authority(), default_port) else {
            return Err(invalid());
        };
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid());
        }
        // An IPv6 literal is written in brackets (RFC 3986 §3.2.2).
        let mut value = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        if let Some(port) = authority.port_u16()
            && port != default_port
        {
            value = format!("{value}:{port}");
        }
        HeaderValue::try_from(value).map_err(|_| invalid())
    }
}

/// The request-target: the URI's path and query, `/` when the path is empty (§3: "the
/// path component... "/" if the path component is empty").
fn request_target(uri: &Uri) -> Result<Uri, HandshakeError> {
    let path = uri.path();
    let path = if path.is_empty() { "/" } else { path };
    let target = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    // The parts come from a parsed URI, so they parse again.
    Uri::try_from(target).map_err(|_| HandshakeError::InvalidHeader("Host"))
}

/// What the client must remember between sending its request and reading the answer: the
/// key and the offers (RFC 6455 §4.1).
///
/// Made by [`ClientRequest::build`].
///
/// ```
/// use rfc6455_proto::handshake::{ClientRequest, check_request};
///
/// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [5; 16]).build()?;
/// let response = check_request(&request)?.response(None);
/// let answer = handshake.check_response(&response)?;
/// assert_eq!(answer.subprotocol(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientHandshake {
    key: String,
    subprotocols: Vec<String>,
    extensions: Vec<ExtensionOffer>,
}

impl ClientHandshake {
    /// The `Sec-WebSocket-Key` sent (base64 of the nonce).
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [0; 16]).build()?;
    /// assert_eq!(handshake.key(), "AAAAAAAAAAAAAAAAAAAAAA==");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The subprotocols offered, in order.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .subprotocols(["a"])
    ///     .build()?;
    /// assert_eq!(handshake.subprotocols(), ["a"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The extensions offered, in order.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [0; 16])
    ///     .extensions("x-a, x-b; p")
    ///     .build()?;
    /// assert_eq!(handshake.extensions().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }

    /// Validates the server's answer (RFC 6455 §4.1, "the client MUST validate the
    /// server's response as follows"), in the RFC's order:
    ///
    /// | check | error |
    /// |---|---|
    /// | status 101 (item 1) | [`UnexpectedStatus`](HandshakeError::UnexpectedStatus) |
    /// | `Upgrade` holds `websocket` (item 2) | [`MissingUpgrade`](HandshakeError::MissingUpgrade) |
    /// | `Connection` holds `upgrade` (item 3) | [`MissingConnectionUpgrade`](HandshakeError::MissingConnectionUpgrade) |
    /// | one `Sec-WebSocket-Accept` matching the key (item 4) | [`InvalidAccept`](HandshakeError::InvalidAccept) |
    /// | `Sec-WebSocket-Extensions` well-formed (item 5) | [`InvalidHeader`](HandshakeError::InvalidHeader) |
    /// | … and only offered extensions | [`UnrequestedExtension`](HandshakeError::UnrequestedExtension) |
    /// | `Sec-WebSocket-Protocol`: one token (item 6) | [`InvalidHeader`](HandshakeError::InvalidHeader) |
    /// | … that was offered | [`UnrequestedSubprotocol`](HandshakeError::UnrequestedSubprotocol) |
    ///
    /// On any error the client must fail the connection. On success,
    /// [`ServerAnswer::extensions`] lists the extensions the server accepted.
    ///
    /// # Errors
    ///
    /// The first failed check, as in the table.
    ///
    /// ```
    /// use rfc6455_proto::HandshakeError;
    /// use rfc6455_proto::handshake::ClientRequest;
    ///
    /// let (_, handshake) = ClientRequest::new("ws://h/".parse()?, [5; 16]).build()?;
    /// let response = http::Response::builder()
    ///     .status(101)
    ///     .header("upgrade", "websocket")
    ///     .header("connection", "upgrade")
    ///     .header("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    ///     .body(())?;
    /// assert_eq!(handshake.check_response(&response).unwrap_err(), HandshakeError::InvalidAccept);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_response<B>(&self, resp: &Response<B>) -> Result<ServerAnswer, HandshakeError> {
        let headers = resp.headers();

        // §4.1 item 1: "If the status code received from the server is not 101, the client
        // handles the response per HTTP procedures."
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::UnexpectedStatus(resp.status()));
        }

        // §4.1 item 2: "If the response lacks an |Upgrade| header field or the |Upgrade|
        // header field contains a value that is not an ASCII case-insensitive match for the
        // value "websocket", the client MUST _Fail the WebSocket Connection_."
        if !header_has_token(headers, UPGRADE, "websocket") {
            return Err(HandshakeError::MissingUpgrade);
        }

        // §4.1 item 3: "If the response lacks a |Connection| header field or the
        // |Connection| header field doesn't contain a token that is an ASCII
        // case-insensitive match for the value "Upgrade", the client MUST _Fail the
        // WebSocket Connection_."
        if !header_has_token(headers, CONNECTION, "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }

        // §4.1 item 4: "If the response lacks a |Sec-WebSocket-Accept| header field or the
        // |Sec-WebSocket-Accept| contains a value other than the base64-encoded SHA-1 of
        // the concatenation of the |Sec-WebSocket-Key| (as a string, not base64-decoded)
        // with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ..., the client MUST
        // _Fail the WebSocket Connection_."
        let expected = accept_key(self.key.as_bytes());
        if single_value(headers, SEC_WEBSOCKET_ACCEPT) != Ok(Some(expected.as_str())) {
            return Err(HandshakeError::InvalidAccept);
        }

        self.check_offered(headers)
    }

    /// Checks the answer to the same offer sent as an extended CONNECT on an HTTP/2
    /// stream (RFC 8441 §5): a `2xx` status opens the WebSocket, and there is no
    /// `Upgrade`, `Connection` or `Sec-WebSocket-Accept` to check; the extensions and the
    /// subprotocol are checked as by [`check_response`](Self::check_response).
    ///
    /// # Errors
    ///
    /// [`UnexpectedStatus`](HandshakeError::UnexpectedStatus) for a status that is not
    /// `2xx`; then as [`check_response`](Self::check_response) for the two headers.
    ///
    /// ```
    /// use rfc6455_proto::handshake::ClientRequest;
    ///
    /// let (_, handshake) = ClientRequest::new("wss://example.com/chat".parse()?, [0; 16])
    ///     .subprotocols(["chat"])
    ///     .build()?;
    /// let response = http::Response::builder()
    ///     .status(200)
    ///     .header("sec-websocket-protocol", "chat")
    ///     .body(())?;
    /// let answer = handshake.check_connect_response(&response)?;
    /// assert_eq!(answer.subprotocol(), Some("chat"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_connect_response<B>(
        &self,
        resp: &Response<B>,
    ) -> Result<ServerAnswer, HandshakeError> {
        if !resp.status().is_success() {
            return Err(HandshakeError::UnexpectedStatus(resp.status()));
        }
        self.check_offered(resp.headers())
    }

    /// §4.1 items 5 and 6: the extensions and the subprotocol of an answer were offered.
    fn check_offered(&self, headers: &HeaderMap) -> Result<ServerAnswer, HandshakeError> {
        // §4.1 item 5: "If the response includes a |Sec-WebSocket-Extensions| header field
        // and this header field indicates the use of an extension that was not present in
        // the client's handshake ..., the client MUST _Fail the WebSocket Connection_."
        let extensions = parse_extensions(headers)?;
        if let Some(unrequested) = extensions
            .iter()
            .find(|e| !self.extensions.iter().any(|o| o.name() == e.name()))
        {
            return Err(HandshakeError::UnrequestedExtension(
                unrequested.name().to_owned(),
            ));
        }

        // §4.1 item 6: "If the response includes a |Sec-WebSocket-Protocol| header field
        // and this header field indicates the use of a subprotocol that was not present in
        // the client's handshake ..., the client MUST _Fail the WebSocket Connection_."
        // The server selects "one or none" (§4.2.2 item 5.4): a present header must hold
        // exactly one value.
        let subprotocol = if headers.contains_key(SEC_WEBSOCKET_PROTOCOL) {
            let mut chosen = header_tokens(headers, "Sec-WebSocket-Protocol")?;
            if chosen.len() != 1 {
                return Err(HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"));
            }
            let chosen = chosen.remove(0);
            if !self.subprotocols.contains(&chosen) {
                return Err(HandshakeError::UnrequestedSubprotocol(chosen));
            }
            Some(chosen)
        } else {
            None
        };

        Ok(ServerAnswer {
            subprotocol,
            extensions,
        })
    }
}

/// What the server accepted in a valid answer (RFC 6455 §4.1): the subprotocol and the
/// extensions in use.
///
/// Made by [`ClientHandshake::check_response`].
///
/// ```
/// use rfc6455_proto::handshake::{ClientRequest, check_request};
///
/// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [5; 16])
///     .subprotocols(["chat"])
///     .extensions("x-a")
///     .build()?;
/// let response = check_request(&request)?.response_with(Some("chat"), Some("x-a"));
/// let answer = handshake.check_response(&response)?;
/// assert_eq!(answer.subprotocol(), Some("chat"));
/// assert_eq!(answer.extensions()[0].name(), "x-a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerAnswer {
    subprotocol: Option<String>,
    extensions: Vec<ExtensionOffer>,
}

impl ServerAnswer {
    /// The subprotocol the server chose, if any (always one the client offered).
    ///
    /// ```
    /// use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [5; 16])
    ///     .subprotocols(["chat"])
    ///     .build()?;
    /// let answer = handshake.check_response(&check_request(&request)?.response(None))?;
    /// assert_eq!(answer.subprotocol(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The extensions in use, in the server's order, which is the order of operations
    /// (§9.1); every one was offered by the client.
    ///
    /// ```
    /// use rfc6455_proto::handshake::{ClientRequest, check_request};
    /// let (request, handshake) = ClientRequest::new("ws://h/".parse()?, [5; 16])
    ///     .extensions("x-a")
    ///     .build()?;
    /// let answer = handshake.check_response(&check_request(&request)?.response(None))?;
    /// assert!(answer.extensions().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extensions(&self) -> &[ExtensionOffer] {
        &self.extensions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::server::check_request;

    fn build(uri: &str) -> (Request<()>, ClientHandshake) {
        ClientRequest::new(uri.parse().unwrap(), [7; 16])
            .build()
            .unwrap()
    }

    fn host_of(uri: &str) -> String {
        build(uri).0.headers()[HOST].to_str().unwrap().to_owned()
    }

    /// A valid 101 answer to `handshake`.
    fn answer(handshake: &ClientHandshake) -> http::response::Builder {
        Response::builder()
            .status(101)
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "Upgrade")
            .header(SEC_WEBSOCKET_ACCEPT, accept_key(handshake.key().as_bytes()))
    }

    fn offering(protocols: &[&str], extensions: &str) -> ClientHandshake {
        ClientRequest::new("ws://h/".parse().unwrap(), [7; 16])
            .subprotocols(protocols.iter().copied())
            .extensions(extensions)
            .build()
            .unwrap()
            .1
    }

    #[test]
    fn s4_1_request_has_required_fields() {
        let (req, handshake) = build("ws://example.com/chat");
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.version(), Version::HTTP_11);
        assert_eq!(req.uri(), "/chat");
        let h = req.headers();
        assert_eq!(h[HOST], "example.com");
        assert_eq!(h[UPGRADE], "websocket");
        assert_eq!(h[CONNECTION], "Upgrade");
        assert_eq!(h[SEC_WEBSOCKET_KEY], STANDARD.encode([7u8; 16]).as_str());
        assert_eq!(h[SEC_WEBSOCKET_KEY], handshake.key());
        assert_eq!(h[SEC_WEBSOCKET_VERSION], "13");
        assert!(!h.contains_key(SEC_WEBSOCKET_PROTOCOL));
        assert!(!h.contains_key(SEC_WEBSOCKET_EXTENSIONS));
    }

    #[test]
    fn s4_1_ipv6_host_and_target() {
        let (req, _) = build("ws://[::1]:9000/a?b=c");
        assert_eq!(req.headers()[HOST], "[::1]:9000");
        assert_eq!(req.uri(), "/a?b=c");
        assert_eq!(host_of("wss://[2001:db8::1]/"), "[2001:db8::1]");
    }

    #[test]
    fn s4_1_host_port_only_when_not_default() {
        assert_eq!(host_of("ws://example.com:80/"), "example.com");
        assert_eq!(host_of("ws://example.com:443/"), "example.com:443");
        assert_eq!(host_of("wss://example.com:443/"), "example.com");
        assert_eq!(host_of("wss://example.com:80/"), "example.com:80");
        assert_eq!(
            host_of("ws://user:pw@example.com:8080/"),
            "example.com:8080"
        );
        assert_eq!(host_of("WS://example.com/"), "example.com");
    }

    #[test]
    fn s4_1_target_defaults_to_slash() {
        assert_eq!(build("ws://example.com").0.uri(), "/");
        assert_eq!(build("ws://example.com?x=1").0.uri(), "/?x=1");
        assert_eq!(build("ws://example.com/").0.uri(), "/");
    }

    #[test]
    fn s4_1_path_only_needs_explicit_host() {
        let err = ClientRequest::new("/chat".parse().unwrap(), [0; 16])
            .build()
            .unwrap_err();
        assert_eq!(err, HandshakeError::InvalidHeader("Host"));
        let (req, _) = ClientRequest::new("/chat?x".parse().unwrap(), [0; 16])
            .host("example.com:81")
            .build()
            .unwrap();
        assert_eq!(req.headers()[HOST], "example.com:81");
        assert_eq!(req.uri(), "/chat?x");
    }

    #[test]
    fn s3_scheme_must_be_ws_or_wss() {
        for uri in ["http://h/", "https://h/", "ftp://h/"] {
            let err = ClientRequest::new(uri.parse().unwrap(), [0; 16])
                .build()
                .unwrap_err();
            assert_eq!(err, HandshakeError::InvalidHeader("Host"), "{uri}");
        }
        let err = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .host("bad\nhost")
            .build()
            .unwrap_err();
        assert_eq!(err, HandshakeError::InvalidHeader("Host"));
    }

    #[test]
    fn s4_1_subprotocols_sent_in_order_and_must_be_unique_tokens() {
        let (req, handshake) = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .subprotocols(["b", "a"])
            .build()
            .unwrap();
        assert_eq!(req.headers()[SEC_WEBSOCKET_PROTOCOL], "b, a");
        assert_eq!(handshake.subprotocols(), ["b", "a"]);
        for bad in [&["a", "a"][..], &["a b"], &[""], &["a,b"]] {
            let err = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
                .subprotocols(bad.iter().copied())
                .build()
                .unwrap_err();
            assert_eq!(
                err,
                HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn s4_1_extension_offer_validated() {
        let (req, handshake) = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .extensions("x-a; p=\"1\"")
            .build()
            .unwrap();
        assert_eq!(req.headers()[SEC_WEBSOCKET_EXTENSIONS], "x-a; p=\"1\"");
        assert_eq!(handshake.extensions()[0].param("p"), Some(Some("1")));
        let err = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .extensions("x-a;")
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            HandshakeError::InvalidHeader("Sec-WebSocket-Extensions")
        );
        let (req, _) = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .extensions(" ")
            .build()
            .unwrap();
        assert!(!req.headers().contains_key(SEC_WEBSOCKET_EXTENSIONS));
    }

    #[test]
    fn s4_1_extra_headers_kept_but_handshake_headers_win() {
        let mut extra = HeaderMap::new();
        extra.insert("origin", HeaderValue::from_static("https://example.com"));
        extra.insert(HOST, HeaderValue::from_static("evil"));
        extra.insert(SEC_WEBSOCKET_KEY, HeaderValue::from_static("x"));
        extra.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("sneaky"));
        extra.append(CONNECTION, HeaderValue::from_static("close"));
        let (req, handshake) = ClientRequest::new("ws://h/".parse().unwrap(), [0; 16])
            .headers(extra)
            .build()
            .unwrap();
        let h = req.headers();
        assert_eq!(h["origin"], "https://example.com");
        assert_eq!(h[HOST], "h");
        assert_eq!(h[SEC_WEBSOCKET_KEY], handshake.key());
        assert!(!h.contains_key(SEC_WEBSOCKET_PROTOCOL));
        assert_eq!(h.get_all(CONNECTION).iter().count(), 1);
    }

    #[test]
    fn s4_1_valid_answer_accepted() {
        let handshake = offering(&["chat", "v2"], "x-a; p, x-b");
        let resp = answer(&handshake)
            .header(SEC_WEBSOCKET_PROTOCOL, "v2")
            .header(SEC_WEBSOCKET_EXTENSIONS, "x-b, x-a; p=1")
            .body(())
            .unwrap();
        let ok = handshake.check_response(&resp).unwrap();
        assert_eq!(ok.subprotocol(), Some("v2"));
        let names: Vec<&str> = ok.extensions().iter().map(|e| e.name()).collect();
        assert_eq!(names, ["x-b", "x-a"]);
    }

    #[test]
    fn s4_1_tokens_in_lists_case_insensitive() {
        let handshake = offering(&[], "");
        let resp = answer(&handshake)
            .header(CONNECTION, "keep-alive")
            .header(UPGRADE, "WebSocket")
            .body(())
            .unwrap();
        assert!(handshake.check_response(&resp).is_ok());
    }

    #[test]
    fn s4_1_status_must_be_101() {
        let handshake = offering(&[], "");
        let mut resp = answer(&handshake).body(()).unwrap();
        *resp.status_mut() = StatusCode::OK;
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::UnexpectedStatus(StatusCode::OK)
        );
    }

    #[test]
    fn s4_1_upgrade_and_connection_required() {
        let handshake = offering(&[], "");
        let mut resp = answer(&handshake).body(()).unwrap();
        resp.headers_mut().remove(UPGRADE);
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::MissingUpgrade
        );
        let mut resp = answer(&handshake).body(()).unwrap();
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("keep-alive"));
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::MissingConnectionUpgrade
        );
    }

    #[test]
    fn s4_1_accept_must_match() {
        let handshake = offering(&[], "");
        let wrong = [Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), None, Some("")];
        for value in wrong {
            let mut resp = answer(&handshake).body(()).unwrap();
            match value {
                Some(v) => {
                    resp.headers_mut()
                        .insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_static(v));
                }
                None => {
                    resp.headers_mut().remove(SEC_WEBSOCKET_ACCEPT);
                }
            }
            assert_eq!(
                handshake.check_response(&resp).unwrap_err(),
                HandshakeError::InvalidAccept,
                "{value:?}"
            );
        }
        // Repeated, even if both are right.
        let accept = accept_key(handshake.key().as_bytes());
        let resp = answer(&handshake)
            .header(SEC_WEBSOCKET_ACCEPT, accept)
            .body(())
            .unwrap();
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::InvalidAccept
        );
    }

    #[test]
    fn s4_1_unoffered_protocol_rejected() {
        let handshake = offering(&["chat"], "");
        let resp = answer(&handshake)
            .header(SEC_WEBSOCKET_PROTOCOL, "superchat")
            .body(())
            .unwrap();
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::UnrequestedSubprotocol("superchat".to_owned())
        );
        let none_offered = offering(&[], "");
        let resp = answer(&none_offered)
            .header(SEC_WEBSOCKET_PROTOCOL, "chat")
            .body(())
            .unwrap();
        assert_eq!(
            none_offered.check_response(&resp).unwrap_err(),
            HandshakeError::UnrequestedSubprotocol("chat".to_owned())
        );
    }

    #[test]
    fn s4_1_protocol_must_be_a_single_value() {
        let handshake = offering(&["a", "b"], "");
        let invalid = HandshakeError::InvalidHeader("Sec-WebSocket-Protocol");
        let both = answer(&handshake)
            .header(SEC_WEBSOCKET_PROTOCOL, "a, b")
            .body(())
            .unwrap();
        assert_eq!(handshake.check_response(&both).unwrap_err(), invalid);
        let repeated = answer(&handshake)
            .header(SEC_WEBSOCKET_PROTOCOL, "a")
            .header(SEC_WEBSOCKET_PROTOCOL, "a")
            .body(())
            .unwrap();
        assert_eq!(handshake.check_response(&repeated).unwrap_err(), invalid);
        let empty = answer(&handshake)
            .header(SEC_WEBSOCKET_PROTOCOL, "")
            .body(())
            .unwrap();
        assert_eq!(handshake.check_response(&empty).unwrap_err(), invalid);
    }

    #[test]
    fn s4_1_unoffered_extension_rejected() {
        let handshake = offering(&[], "x-a");
        let resp = answer(&handshake)
            .header(SEC_WEBSOCKET_EXTENSIONS, "x-a, x-b")
            .body(())
            .unwrap();
        assert_eq!(
            handshake.check_response(&resp).unwrap_err(),
            HandshakeError::UnrequestedExtension("x-b".to_owned())
        );
        let malformed = answer(&handshake)
            .header(SEC_WEBSOCKET_EXTENSIONS, "x-a; =")
            .body(())
            .unwrap();
        assert_eq!(
            handshake.check_response(&malformed).unwrap_err(),
            HandshakeError::InvalidHeader("Sec-WebSocket-Extensions")
        );
    }

    #[test]
    fn s4_round_trip_client_server_client() {
        let (req, handshake) =
            ClientRequest::new("ws://[::1]:9000/a?b=c".parse().unwrap(), [9; 16])
                .subprotocols(["v2.chat", "v1.chat"])
                .extensions("x-a; p, x-b")
                .build()
                .unwrap();
        let offer = check_request(&req).unwrap();
        assert_eq!(offer.key(), handshake.key());
        assert_eq!(offer.subprotocols(), handshake.subprotocols());
        assert_eq!(offer.extensions(), handshake.extensions());
        let chosen = offer.select_subprotocol(&["v1.chat"]);
        let resp = offer.response_with(chosen, Some("x-b"));
        let ok = handshake.check_response(&resp).unwrap();
        assert_eq!(ok.subprotocol(), Some("v1.chat"));
        assert_eq!(ok.extensions()[0].name(), "x-b");
    }
}
