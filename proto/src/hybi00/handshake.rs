//! The hybi-00 opening handshake: `Sec-WebSocket-Key1`/`Key2`, key3 and the MD5 answer.
//!
//! The rules are those of draft-ietf-hybi-thewebsocketprotocol-00 §4.1 (client) and §5.1–5.2
//! (server). The server side is [`check_request`] → [`Hybi00Offer`] → [`Hybi00Offer::response`]
//! and [`Connection::hybi00_server`](crate::Connection::hybi00_server), which queues
//! [`Hybi00Offer::answer`]; the client side is [`client_request`] →
//! [`Hybi00ClientHandshake::check_response`].

use http::header::{CONNECTION, HOST, HeaderMap, HeaderName, HeaderValue, ORIGIN, UPGRADE};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use md5::{Digest, Md5};
use rand::{Rng, RngExt};

use crate::error::HandshakeError;

/// Length of key3, the random body the client sends after its request head.
///
/// ```
/// assert_eq!(rfc6455_proto::hybi00::KEY3_LEN, 8);
/// ```
pub const KEY3_LEN: usize = 8;

/// Length of the answer, the MD5 body the server sends after its 101 head.
///
/// ```
/// assert_eq!(rfc6455_proto::hybi00::ANSWER_LEN, 16);
/// ```
pub const ANSWER_LEN: usize = 16;

const SEC_WEBSOCKET_KEY1: HeaderName = HeaderName::from_static("sec-websocket-key1");
const SEC_WEBSOCKET_KEY2: HeaderName = HeaderName::from_static("sec-websocket-key2");
const SEC_WEBSOCKET_PROTOCOL: HeaderName = HeaderName::from_static("sec-websocket-protocol");
const SEC_WEBSOCKET_LOCATION: HeaderName = HeaderName::from_static("sec-websocket-location");
const SEC_WEBSOCKET_ORIGIN: HeaderName = HeaderName::from_static("sec-websocket-origin");

/// Whether `req` looks like a hybi-00 upgrade: it has `Sec-WebSocket-Key1` and
/// `Sec-WebSocket-Key2`, `Upgrade: WebSocket` (any case) and an `Upgrade` token in
/// `Connection`.
///
/// This only routes the request; [`check_request`] does the full check. An RFC 6455 request
/// (with `Sec-WebSocket-Key`) is not a hybi-00 request, so a server can try RFC 6455 first and
/// then this.
///
/// ```
/// use rfc6455_proto::hybi00::is_hybi00_request;
/// let req = http::Request::get("/chat")
///     .header("Host", "example.com")
///     .header("Upgrade", "WebSocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
///     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
///     .body(())
///     .unwrap();
/// assert!(is_hybi00_request(&req));
/// assert!(!is_hybi00_request(&http::Request::get("/").body(()).unwrap()));
/// ```
pub fn is_hybi00_request(req: &Request<()>) -> bool {
    let headers = req.headers();
    headers.contains_key(SEC_WEBSOCKET_KEY1)
        && headers.contains_key(SEC_WEBSOCKET_KEY2)
        && has_token(headers, &UPGRADE, "websocket")
        && has_token(headers, &CONNECTION, "upgrade")
}

/// Check a hybi-00 opening handshake request (draft §5.1–5.2) and extract what the answer
/// needs.
///
/// Checks, in order: the method is GET; the version is HTTP/1.1 or later; `Host` is present;
/// `Upgrade: WebSocket`; `Connection: Upgrade`; `Sec-WebSocket-Key1` and `Key2` each appear
/// exactly once and are well-formed. A key is well-formed when its digits, read as one
/// decimal number, divide exactly by its count of U+0020 spaces, that count is not zero, and
/// the quotient fits in 32 bits. A digit string too large for 64 bits is refused without
/// overflowing.
///
/// The request's 8-byte body (key3) is not part of the head: the I/O layer reads it from the
/// stream after the head and passes it to
/// [`Connection::hybi00_server`](crate::Connection::hybi00_server) (or
/// [`Hybi00Offer::answer`]).
///
/// # Errors
///
/// [`HandshakeError::MethodNotGet`], [`HandshakeError::HttpVersion`],
/// [`HandshakeError::MissingHost`], [`HandshakeError::MissingUpgrade`],
/// [`HandshakeError::MissingConnectionUpgrade`], [`HandshakeError::MissingKey`] (a key
/// missing), [`HandshakeError::InvalidHybi00Key`] (a key malformed or repeated), and
/// [`HandshakeError::InvalidHeader`] for a `Host`, `Origin` or `Sec-WebSocket-Protocol` value
/// that is not visible ASCII. Each maps to an HTTP status with [`HandshakeError::status`].
///
/// ```
/// use rfc6455_proto::hybi00::check_request;
/// // The opening-handshake example of draft-ietf-hybi-thewebsocketprotocol-00.
/// let req = http::Request::get("/demo")
///     .header("Host", "example.com")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
///     .header("Sec-WebSocket-Protocol", "sample")
///     .header("Upgrade", "WebSocket")
///     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
///     .header("Origin", "http://example.com")
///     .body(())
///     .unwrap();
/// let offer = check_request(&req).unwrap();
/// assert_eq!(&offer.answer(b"^n:ds[4U"), b"8jKS'y:G*Co,Wxa-");
/// assert_eq!(offer.subprotocols(), ["sample"]);
/// ```
pub fn check_request(req: &Request<()>) -> Result<Hybi00Offer, HandshakeError> {
    if req.method() != Method::GET {
        return Err(HandshakeError::MethodNotGet);
    }
    if req.version() < Version::HTTP_11 {
        return Err(HandshakeError::HttpVersion);
    }
    let headers = req.headers();
    let host = headers.get(HOST).ok_or(HandshakeError::MissingHost)?;
    let host = host
        .to_str()
        .map_err(|_| HandshakeError::InvalidHeader("Host"))?;
    if !has_token(headers, &UPGRADE, "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !has_token(headers, &CONNECTION, "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    let number1 = key_number(headers, &SEC_WEBSOCKET_KEY1)?;
    let number2 = key_number(headers, &SEC_WEBSOCKET_KEY2)?;

    let origin = match headers.get(ORIGIN) {
        Some(value) => {
            value
                .to_str()
                .map_err(|_| HandshakeError::InvalidHeader("Origin"))?;
            Some(value.clone())
        }
        None => None,
    };
    let mut subprotocols = Vec::new();
    for value in headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
        let value = value
            .to_str()
            .map_err(|_| HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"))?;
        subprotocols.extend(split_protocols(value).map(str::to_owned));
    }

    let resource = resource_name(req.uri());
    // The location is built from a valid header value and a URI path and query, all visible
    // ASCII (or spaces and tabs inside the Host value); checking it here keeps `response`
    // infallible.
    let location_tail = format!("{host}{resource}");
    HeaderValue::try_from(format!("wss://{location_tail}"))
        .map_err(|_| HandshakeError::InvalidHeader("Host"))?;

    Ok(Hybi00Offer {
        number1,
        number2,
        host: host.to_owned(),
        resource,
        location_tail,
        origin,
        subprotocols,
    })
}

/// An accepted hybi-00 request: what the server needs to answer it.
///
/// Made by [`check_request`]. The server answers with [`response`](Self::response) (the 101
/// head) followed by [`answer`](Self::answer) (16 bytes computed from key3), which
/// [`Connection::hybi00_server`](crate::Connection::hybi00_server) queues ahead of any frame.
///
/// ```
/// # use rfc6455_proto::hybi00::check_request;
/// # let req = http::Request::get("/demo?x=1")
/// #     .header("Host", "example.com").header("Upgrade", "WebSocket")
/// #     .header("Connection", "Upgrade")
/// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
/// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
/// #     .body(()).unwrap();
/// let offer = check_request(&req).unwrap();
/// assert_eq!(offer.location(false), "ws://example.com/demo?x=1");
/// assert_eq!(offer.origin(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hybi00Offer {
    /// The number hidden in `Sec-WebSocket-Key1`: its digits divided by its spaces.
    number1: u32,
    /// The number hidden in `Sec-WebSocket-Key2`.
    number2: u32,
    host: String,
    resource: String,
    /// `host` followed by `resource`: the location without its scheme.
    location_tail: String,
    origin: Option<HeaderValue>,
    subprotocols: Vec<String>,
}

impl Hybi00Offer {
    /// The 16-byte answer to send after the 101 head: the MD5 digest of the two key numbers,
    /// each as a 32-bit big-endian integer, followed by key3 (draft §5.2).
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/demo")
    /// #     .header("Host", "example.com").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// let offer = check_request(&req).unwrap();
    /// assert_eq!(&offer.answer(b"^n:ds[4U"), b"8jKS'y:G*Co,Wxa-");
    /// ```
    pub fn answer(&self, key3: &[u8; KEY3_LEN]) -> [u8; ANSWER_LEN] {
        answer(self.number1, self.number2, key3)
    }

    /// The 101 response head (draft §5.2).
    ///
    /// Carries `Upgrade: WebSocket`, `Connection: Upgrade`, `Sec-WebSocket-Location` (see
    /// [`location`](Self::location)), `Sec-WebSocket-Origin` echoing the request's `Origin`
    /// when it had one, and `Sec-WebSocket-Protocol: subprotocol` when `subprotocol` is given.
    /// `secure` is whether the connection runs over TLS (`wss://`).
    ///
    /// The draft's status line is `HTTP/1.1 101 WebSocket Protocol Handshake`; the `http`
    /// crate cannot carry a reason phrase, so the I/O layer writes that line itself. The
    /// response has no body here: the 16-byte [`answer`](Self::answer) follows the head on
    /// the wire, without a `Content-Length`.
    ///
    /// # Panics
    ///
    /// If `subprotocol` is not a valid header value (it contains a control character). Every
    /// value of [`subprotocols`](Self::subprotocols) is valid.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/demo")
    /// #     .header("Host", "example.com").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade").header("Origin", "http://example.com")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// let offer = check_request(&req).unwrap();
    /// let resp = offer.response(false, Some("sample"));
    /// assert_eq!(resp.status(), http::StatusCode::SWITCHING_PROTOCOLS);
    /// assert_eq!(resp.headers()["sec-websocket-location"], "ws://example.com/demo");
    /// assert_eq!(resp.headers()["sec-websocket-origin"], "http://example.com");
    /// assert_eq!(resp.headers()["sec-websocket-protocol"], "sample");
    /// ```
    pub fn response(&self, secure: bool, subprotocol: Option<&str>) -> Response<()> {
        let mut resp = Response::new(());
        *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = resp.headers_mut();
        headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        // `check_request` verified that the longer, `wss://`, form is a valid header value;
        // the `ws://` form has the same characters.
        let location = HeaderValue::try_from(self.location(secure))
            .expect("location checked to be a valid header value by check_request");
        headers.insert(SEC_WEBSOCKET_LOCATION, location);
        if let Some(origin) = &self.origin {
            headers.insert(SEC_WEBSOCKET_ORIGIN, origin.clone());
        }
        if let Some(protocol) = subprotocol {
            let value = HeaderValue::from_str(protocol)
                .expect("the subprotocol must be a valid header value (see # Panics)");
            headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
        }
        resp
    }

    /// The subprotocols the client offered, in its order.
    ///
    /// In hybi-00 `Sec-WebSocket-Protocol` carries a single opaque value. Clients that
    /// follow RFC 6455 habits list several names separated by commas, so the value is split
    /// on commas and whitespace and empty pieces are dropped: `"chat, superchat"` offers
    /// `chat` and `superchat`. A draft-era name containing a space is therefore seen as
    /// several names. Empty when the request had no `Sec-WebSocket-Protocol`.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/")
    /// #     .header("Host", "h").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .header("Sec-WebSocket-Protocol", "chat, superchat")
    /// #     .body(()).unwrap();
    /// let offer = check_request(&req).unwrap();
    /// assert_eq!(offer.subprotocols(), ["chat", "superchat"]);
    /// ```
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// The request's `Origin`, echoed in `Sec-WebSocket-Origin`; `None` if it had none.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/")
    /// #     .header("Host", "h").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade").header("Origin", "http://example.com")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// assert_eq!(check_request(&req).unwrap().origin(), Some("http://example.com"));
    /// ```
    pub fn origin(&self) -> Option<&str> {
        // Checked to be visible ASCII by `check_request`.
        self.origin.as_ref().and_then(|v| v.to_str().ok())
    }

    /// The WebSocket URL of this connection, sent in `Sec-WebSocket-Location`: `ws://` (or
    /// `wss://` when `secure`), the `Host` header, then the request's path and query.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/chat?room=1")
    /// #     .header("Host", "example.com:8080").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// let offer = check_request(&req).unwrap();
    /// assert_eq!(offer.location(true), "wss://example.com:8080/chat?room=1");
    /// ```
    pub fn location(&self, secure: bool) -> String {
        let scheme = if secure { "wss://" } else { "ws://" };
        format!("{scheme}{}", self.location_tail)
    }

    /// The request's `Host` header.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/")
    /// #     .header("Host", "example.com").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// assert_eq!(check_request(&req).unwrap().host(), "example.com");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The resource name: the request target's path and query (the draft's
    /// */resource name/*), always starting with `/`.
    ///
    /// ```
    /// # use rfc6455_proto::hybi00::check_request;
    /// # let req = http::Request::get("/test?foo=bar")
    /// #     .header("Host", "example.com").header("Upgrade", "WebSocket")
    /// #     .header("Connection", "Upgrade")
    /// #     .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
    /// #     .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
    /// #     .body(()).unwrap();
    /// assert_eq!(check_request(&req).unwrap().resource(), "/test?foo=bar");
    /// ```
    pub fn resource(&self) -> &str {
        &self.resource
    }
}

/// Build a hybi-00 opening handshake request for `uri` (draft §4.1).
///
/// Returns the state needed to check the answer, the request head, and key3: the 8 bytes to
/// write right after the head. Both keys and key3 come from `rng`, following the draft: for
/// each key, a space count *n* in 1..=12, a number in 0..=4294967295/*n*, their product
/// written in decimal, 1 to 12 random characters from U+0021–U+002F and U+003A–U+007E
/// inserted at random places, then *n* spaces inserted anywhere but at the start or the end.
/// The core takes no randomness of its own: pass a seeded generator for reproducible tests
/// and a cryptographic one (such as `rand::rngs::StdRng` seeded from the OS) otherwise.
///
/// The request carries `Host` (the URI's authority without user information), `Upgrade:
/// WebSocket`, `Connection: Upgrade`, both keys, `Origin` when given, and
/// `Sec-WebSocket-Protocol` when `subprotocols` is not empty. The draft allows a single
/// value; several subprotocols are joined with `", "`, which this crate's server (and most
/// others) splits again. The request target is the URI's path and query (`/` if empty). The
/// scheme is not looked at: `ws`, `wss`, `http` and `https` URIs all work.
///
/// # Errors
///
/// [`HandshakeError::MissingHost`] if `uri` has no authority;
/// [`HandshakeError::InvalidHeader`] if `origin` is not a valid header value, or a
/// subprotocol is empty or contains anything but visible ASCII other than `,`.
///
/// ```
/// use rand::SeedableRng;
/// use rfc6455_proto::hybi00::{check_request, client_request};
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let uri: http::Uri = "ws://localhost:8081/test?foo=bar".parse().unwrap();
/// let (client, req, key3) = client_request(&uri, &mut rng, &["chat"], None).unwrap();
/// assert_eq!(req.uri(), "/test?foo=bar");
///
/// // A server answers…
/// let offer = check_request(&req).unwrap();
/// let resp = offer.response(false, Some("chat"));
/// let answer = offer.answer(&key3);
/// // …and the client checks the answer.
/// assert_eq!(client.check_response(&resp, &answer).unwrap().as_deref(), Some("chat"));
/// ```
pub fn client_request<R: Rng + ?Sized>(
    uri: &Uri,
    rng: &mut R,
    subprotocols: &[&str],
    origin: Option<&str>,
) -> Result<(Hybi00ClientHandshake, Request<()>, [u8; KEY3_LEN]), HandshakeError> {
    let authority = uri.authority().ok_or(HandshakeError::MissingHost)?;
    let host = match authority.port() {
        Some(port) => format!("{}:{}", authority.host(), port.as_str()),
        None => authority.host().to_owned(),
    };
    let host = HeaderValue::try_from(host).map_err(|_| HandshakeError::InvalidHeader("Host"))?;
    let target = match uri.path_and_query() {
        Some(pq) if pq.as_str().starts_with('/') => Uri::from(pq.clone()),
        Some(pq) => Uri::try_from(format!("/{pq}")).map_err(|_| HandshakeError::MissingHost)?,
        None => Uri::from_static("/"),
    };

    for protocol in subprotocols {
        let valid =
            !protocol.is_empty() && protocol.bytes().all(|b| b.is_ascii_graphic() && b != b',');
        if !valid {
            return Err(HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"));
        }
    }
    let origin = origin
        .map(HeaderValue::from_str)
        .transpose()
        .map_err(|_| HandshakeError::InvalidHeader("Origin"))?;

    let (number1, key1) = generate_key(rng);
    let (number2, key2) = generate_key(rng);
    let mut key3 = [0u8; KEY3_LEN];
    rng.fill_bytes(&mut key3);

    let mut req = Request::new(());
    *req.method_mut() = Method::GET;
    *req.version_mut() = Version::HTTP_11;
    *req.uri_mut() = target;
    let headers = req.headers_mut();
    headers.insert(HOST, host);
    headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    // Generated keys hold only visible ASCII and spaces.
    headers.insert(SEC_WEBSOCKET_KEY1, header_value_of_key(key1)?);
    headers.insert(SEC_WEBSOCKET_KEY2, header_value_of_key(key2)?);
    if !subprotocols.is_empty() {
        let joined = subprotocols.join(", ");
        let value = HeaderValue::try_from(joined)
            .map_err(|_| HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"))?;
        headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
    }
    if let Some(origin) = origin {
        headers.insert(ORIGIN, origin);
    }

    let client = Hybi00ClientHandshake {
        expected: answer(number1, number2, &key3),
        subprotocols: subprotocols.iter().map(|&p| p.to_owned()).collect(),
    };
    Ok((client, req, key3))
}

/// A hybi-00 request sent by this client, waiting for the server's answer.
///
/// Made by [`client_request`]; check the server's reply with
/// [`check_response`](Self::check_response).
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let uri: http::Uri = "ws://example.com/".parse().unwrap();
/// let (client, _req, _key3) =
///     rfc6455_proto::hybi00::client_request(&uri, &mut rng, &[], None).unwrap();
/// assert!(client.subprotocols().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hybi00ClientHandshake {
    /// The 16 bytes the server must answer with.
    expected: [u8; ANSWER_LEN],
    subprotocols: Vec<String>,
}

impl Hybi00ClientHandshake {
    /// The subprotocols this client offered.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let uri: http::Uri = "ws://example.com/".parse().unwrap();
    /// let (client, _, _) =
    ///     rfc6455_proto::hybi00::client_request(&uri, &mut rng, &["a", "b"], None).unwrap();
    /// assert_eq!(client.subprotocols(), ["a", "b"]);
    /// ```
    pub fn subprotocols(&self) -> &[String] {
        &self.subprotocols
    }

    /// Check the server's response head and the 16 bytes that followed it (draft §4.1).
    ///
    /// Checks the status is 101, `Upgrade: WebSocket` (any case), `Connection: Upgrade`, the
    /// answer matches the keys sent, and any `Sec-WebSocket-Protocol` is one the client
    /// offered (or the whole offered value echoed back, as a draft server does). Returns the
    /// server's subprotocol. `Sec-WebSocket-Location` and `Sec-WebSocket-Origin` are not
    /// checked: proxies and virtual hosts rewrite them.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::UnexpectedStatus`], [`HandshakeError::MissingUpgrade`],
    /// [`HandshakeError::MissingConnectionUpgrade`], [`HandshakeError::InvalidAccept`] (wrong
    /// answer), [`HandshakeError::UnrequestedSubprotocol`].
    ///
    /// ```
    /// use rand::SeedableRng;
    /// use rfc6455_proto::{HandshakeError, hybi00::client_request};
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let uri: http::Uri = "ws://example.com/".parse().unwrap();
    /// let (client, _, _) = client_request(&uri, &mut rng, &[], None).unwrap();
    /// let resp = http::Response::builder()
    ///     .status(101)
    ///     .header("Upgrade", "WebSocket")
    ///     .header("Connection", "Upgrade")
    ///     .body(())
    ///     .unwrap();
    /// assert_eq!(client.check_response(&resp, &[0; 16]), Err(HandshakeError::InvalidAccept));
    /// ```
    pub fn check_response(
        &self,
        resp: &Response<()>,
        body: &[u8; ANSWER_LEN],
    ) -> Result<Option<String>, HandshakeError> {
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::UnexpectedStatus(resp.status()));
        }
        let headers = resp.headers();
        if !has_token(headers, &UPGRADE, "websocket") {
            return Err(HandshakeError::MissingUpgrade);
        }
        if !has_token(headers, &CONNECTION, "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        if *body != self.expected {
            return Err(HandshakeError::InvalidAccept);
        }
        let Some(value) = headers.get(SEC_WEBSOCKET_PROTOCOL) else {
            return Ok(None);
        };
        let chosen = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let offered = self.subprotocols.contains(&chosen)
            || (!self.subprotocols.is_empty() && chosen == self.subprotocols.join(", "));
        if offered {
            Ok(Some(chosen))
        } else {
            Err(HandshakeError::UnrequestedSubprotocol(chosen))
        }
    }
}

/// The MD5 answer of draft §5.2: both numbers big-endian, then key3.
fn answer(number1: u32, number2: u32, key3: &[u8; KEY3_LEN]) -> [u8; ANSWER_LEN] {
    let mut md5 = Md5::new();
    md5.update(number1.to_be_bytes());
    md5.update(number2.to_be_bytes());
    md5.update(key3);
    md5.finalize().into()
}

/// Whether any comma-separated element of any `name` header equals `token`, ignoring ASCII
/// case and surrounding whitespace.
fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// The number hidden in the one `name` header (draft §5.2).
fn key_number(headers: &HeaderMap, name: &HeaderName) -> Result<u32, HandshakeError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(HandshakeError::MissingKey)?;
    if values.next().is_some() {
        return Err(HandshakeError::InvalidHybi00Key);
    }
    parse_key(value.as_bytes()).ok_or(HandshakeError::InvalidHybi00Key)
}

/// The digits of `key` as one number, divided by its count of U+0020 spaces; `None` unless
/// there is at least one digit and one space, the division is exact, and the quotient fits
/// in 32 bits. The digits are accumulated with checked arithmetic, so a digit string of any
/// length is refused without overflow once it passes `u64::MAX`.
fn parse_key(key: &[u8]) -> Option<u32> {
    let mut number: u64 = 0;
    let mut digits = 0usize;
    let mut spaces: u64 = 0;
    for &b in key {
        match b {
            b'0'..=b'9' => {
                number = number.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                digits += 1;
            }
            b' ' => spaces += 1,
            _ => {}
        }
    }
    if digits == 0 || spaces == 0 || !number.is_multiple_of(spaces) {
        return None;
    }
    u32::try_from(number / spaces).ok()
}

/// Split a `Sec-WebSocket-Protocol` value into names (see [`Hybi00Offer::subprotocols`]).
fn split_protocols(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
}

/// The draft's resource name: path and query, starting with `/`.
fn resource_name(uri: &Uri) -> String {
    let path = uri.path();
    let mut resource = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if let Some(query) = uri.query() {
        resource.push('?');
        resource.push_str(query);
    }
    resource
}

/// One key of draft §4.1: returns the number the server will recover, and the key.
fn generate_key<R: Rng + ?Sized>(rng: &mut R) -> (u32, String) {
    // The ranges below are never empty, so `random_range` cannot panic.
    let spaces: u32 = rng.random_range(1..=12);
    let max = u32::MAX / spaces;
    let number: u32 = rng.random_range(0..=max);
    let product = u64::from(number) * u64::from(spaces); // ≤ u32::MAX
    let mut key: Vec<u8> = product.to_string().into_bytes();

    // U+0021–U+002F (15 characters) and U+003A–U+007E (69 characters).
    let noise: u32 = rng.random_range(1..=12);
    for _ in 0..noise {
        let pick: u8 = rng.random_range(0..15 + 69);
        let c = if pick < 15 {
            0x21 + pick
        } else {
            0x3A + (pick - 15)
        };
        let at = rng.random_range(0..=key.len());
        key.insert(at, c);
    }
    // Spaces go anywhere but first or last; the key has at least two characters here.
    for _ in 0..spaces {
        let at = rng.random_range(1..key.len());
        key.insert(at, b' ');
    }
    // Every byte is ASCII, so this conversion cannot fail.
    (number, String::from_utf8_lossy(&key).into_owned())
}

fn header_value_of_key(key: String) -> Result<HeaderValue, HandshakeError> {
    HeaderValue::try_from(key).map_err(|_| HandshakeError::InvalidHybi00Key)
}

#[cfg(test)]
mod tests {
    //! draft-ietf-hybi-thewebsocketprotocol-00: the opening handshake (§4.1 client, §5 server).
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn request(key1: &str, key2: &str) -> http::request::Builder {
        Request::get("/demo")
            .header("Host", "example.com")
            .header("Connection", "Upgrade")
            .header("Upgrade", "WebSocket")
            .header("Sec-WebSocket-Key1", key1)
            .header("Sec-WebSocket-Key2", key2)
    }

    fn check(key1: &str, key2: &str) -> Result<Hybi00Offer, HandshakeError> {
        check_request(&request(key1, key2).body(()).unwrap())
    }

    const KEY1: &str = "18x 6]8vM;54 *(5:  {   U1]8  z [  8";
    const KEY2: &str = "1_ tx7X d  <  nw  334J702) 7]o}` 0";

    #[test]
    fn draft_worked_example_answer() {
        // The draft's worked example: 1868545188 / 12 = 155712099 and 1733470270 / 10 = 173347027.
        let offer = check(KEY1, KEY2).unwrap();
        assert_eq!(offer.number1, 155_712_099);
        assert_eq!(offer.number2, 173_347_027);
        assert_eq!(&offer.answer(b"Tm[K T2u"), b"fQJ,fN/4F4!~K~MH");
    }

    #[test]
    fn draft_opening_handshake_example() {
        let req = Request::get("/demo")
            .header("Host", "example.com")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
            .header("Sec-WebSocket-Protocol", "sample")
            .header("Upgrade", "WebSocket")
            .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
            .header("Origin", "http://example.com")
            .body(())
            .unwrap();
        assert!(is_hybi00_request(&req));
        let offer = check_request(&req).unwrap();
        assert_eq!(&offer.answer(b"^n:ds[4U"), b"8jKS'y:G*Co,Wxa-");
        assert_eq!(offer.subprotocols(), ["sample"]);
        let resp = offer.response(false, Some("sample"));
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        let h = resp.headers();
        assert_eq!(h["upgrade"], "WebSocket");
        assert_eq!(h["connection"], "Upgrade");
        assert_eq!(h["sec-websocket-origin"], "http://example.com");
        assert_eq!(h["sec-websocket-location"], "ws://example.com/demo");
        assert_eq!(h["sec-websocket-protocol"], "sample");
        assert_eq!(
            offer.response(true, None).headers()["sec-websocket-location"],
            "wss://example.com/demo"
        );
        assert!(
            !offer
                .response(true, None)
                .headers()
                .contains_key("sec-websocket-protocol")
        );
    }

    #[test]
    fn response_without_origin_has_no_origin_header() {
        let offer = check(KEY1, KEY2).unwrap();
        assert_eq!(offer.origin(), None);
        assert!(
            !offer
                .response(false, None)
                .headers()
                .contains_key("sec-websocket-origin")
        );
    }

    #[test]
    fn key_without_spaces_is_rejected() {
        assert_eq!(check("12345", KEY2), Err(HandshakeError::InvalidHybi00Key));
        assert_eq!(check(KEY1, "x1x2x"), Err(HandshakeError::InvalidHybi00Key));
    }

    #[test]
    fn key_not_divisible_by_spaces_is_rejected() {
        // 7 / 2 is not whole.
        assert_eq!(check("7  ", KEY2), Err(HandshakeError::InvalidHybi00Key));
        assert!(check("8  ", KEY2).is_ok());
    }

    #[test]
    fn key_quotient_over_32_bits_is_rejected() {
        // 4294967296 / 1 does not fit in 32 bits; 4294967295 / 1 does.
        assert_eq!(
            check("4294967296 x", KEY2),
            Err(HandshakeError::InvalidHybi00Key)
        );
        assert!(check("4294967295 x", KEY2).is_ok());
        // 2 * 4294967296 / 2 does not either.
        assert_eq!(
            check("8589934592  ", KEY2),
            Err(HandshakeError::InvalidHybi00Key)
        );
    }

    #[test]
    fn key_with_overflowing_digits_is_rejected() {
        let huge = format!("{} ", "9".repeat(25));
        assert_eq!(check(&huge, KEY2), Err(HandshakeError::InvalidHybi00Key));
        let huge = format!("1{} ", "0".repeat(4000));
        assert_eq!(check(KEY1, &huge), Err(HandshakeError::InvalidHybi00Key));
        // Leading zeros do not overflow.
        let padded = format!("{}5 ", "0".repeat(4000));
        assert!(check(&padded, KEY2).is_ok());
    }

    #[test]
    fn key_without_digits_is_rejected() {
        assert_eq!(check("a b", KEY2), Err(HandshakeError::InvalidHybi00Key));
    }

    #[test]
    fn missing_or_repeated_keys_are_rejected() {
        let req = Request::get("/")
            .header("Host", "h")
            .header("Connection", "Upgrade")
            .header("Upgrade", "WebSocket")
            .header("Sec-WebSocket-Key1", KEY1)
            .body(())
            .unwrap();
        assert!(!is_hybi00_request(&req));
        assert_eq!(check_request(&req), Err(HandshakeError::MissingKey));
        let req = request(KEY1, KEY2)
            .header("Sec-WebSocket-Key1", KEY1)
            .body(())
            .unwrap();
        assert_eq!(check_request(&req), Err(HandshakeError::InvalidHybi00Key));
    }

    #[test]
    fn request_line_and_headers_are_checked() {
        let req = request(KEY1, KEY2).method("POST").body(()).unwrap();
        assert_eq!(check_request(&req), Err(HandshakeError::MethodNotGet));
        let req = request(KEY1, KEY2)
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        assert_eq!(check_request(&req), Err(HandshakeError::HttpVersion));
        let mut req = request(KEY1, KEY2).body(()).unwrap();
        req.headers_mut().remove(HOST);
        assert_eq!(check_request(&req), Err(HandshakeError::MissingHost));
        let mut req = request(KEY1, KEY2).body(()).unwrap();
        req.headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!is_hybi00_request(&req));
        assert_eq!(check_request(&req), Err(HandshakeError::MissingUpgrade));
        let mut req = request(KEY1, KEY2).body(()).unwrap();
        req.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("keep-alive"));
        assert_eq!(
            check_request(&req),
            Err(HandshakeError::MissingConnectionUpgrade)
        );
        // Tokens are matched in lists and case-insensitively.
        let mut req = request(KEY1, KEY2).body(()).unwrap();
        req.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("keep-alive, UPGRADE"));
        req.headers_mut()
            .insert(UPGRADE, HeaderValue::from_static("websocket"));
        assert!(is_hybi00_request(&req));
        assert!(check_request(&req).is_ok());
    }

    #[test]
    fn non_ascii_header_values_are_rejected_not_panicked_on() {
        let origin = HeaderValue::from_bytes(b"http://\xe9.example").unwrap();
        let req = request(KEY1, KEY2)
            .header("Origin", origin)
            .body(())
            .unwrap();
        assert_eq!(
            check_request(&req),
            Err(HandshakeError::InvalidHeader("Origin"))
        );
        let proto = HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap();
        let req = request(KEY1, KEY2)
            .header("Sec-WebSocket-Protocol", proto)
            .body(())
            .unwrap();
        assert_eq!(
            check_request(&req),
            Err(HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"))
        );
        // Bytes that are neither digits nor spaces are ignored in a key, even non-ASCII ones:
        // "1\xff 2 " hides 12 / 2.
        let mut req = request(KEY1, KEY2).body(()).unwrap();
        let key = HeaderValue::from_bytes(b"1\xff 2 ").unwrap();
        req.headers_mut().insert(SEC_WEBSOCKET_KEY1, key);
        assert_eq!(check_request(&req).unwrap().number1, 6);
    }

    #[test]
    fn subprotocol_list_is_split_on_commas_and_spaces() {
        let req = request(KEY1, KEY2)
            .header("Sec-WebSocket-Protocol", "chat, superchat")
            .header("Sec-WebSocket-Protocol", "x y,,z")
            .body(())
            .unwrap();
        let offer = check_request(&req).unwrap();
        assert_eq!(offer.subprotocols(), ["chat", "superchat", "x", "y", "z"]);
    }

    #[test]
    fn location_uses_host_path_and_query() {
        let req = Request::get("/test?foo=bar")
            .header("Host", "localhost:8081")
            .header("Connection", "Upgrade")
            .header("Upgrade", "WebSocket")
            .header("Sec-WebSocket-Key1", KEY1)
            .header("Sec-WebSocket-Key2", KEY2)
            .body(())
            .unwrap();
        let offer = check_request(&req).unwrap();
        assert_eq!(offer.host(), "localhost:8081");
        assert_eq!(offer.resource(), "/test?foo=bar");
        assert_eq!(offer.location(false), "ws://localhost:8081/test?foo=bar");
    }

    #[test]
    fn generated_keys_follow_the_draft() {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        for _ in 0..2_000 {
            let (number, key) = generate_key(&mut rng);
            let bytes = key.as_bytes();
            assert_ne!(bytes[0], b' ', "{key:?}");
            assert_ne!(bytes[bytes.len() - 1], b' ', "{key:?}");
            let spaces = bytes.iter().filter(|&&b| b == b' ').count();
            assert!((1..=12).contains(&spaces), "{key:?}");
            let noise = bytes
                .iter()
                .filter(|&&b| b != b' ' && !b.is_ascii_digit())
                .count();
            assert!((1..=12).contains(&noise), "{key:?}");
            assert!(bytes.iter().all(|&b| (0x20..=0x7e).contains(&b)), "{key:?}");
            assert_eq!(parse_key(bytes), Some(number), "{key:?}");
        }
    }

    #[test]
    fn seeded_client_round_trips_through_server() {
        let mut rng = StdRng::seed_from_u64(42);
        let uri: Uri = "ws://localhost:8081/test?foo=bar".parse().unwrap();
        for _ in 0..200 {
            let (client, req, key3) = client_request(
                &uri,
                &mut rng,
                &["chat", "superchat"],
                Some("http://o.example"),
            )
            .unwrap();
            assert!(is_hybi00_request(&req));
            let offer = check_request(&req).unwrap();
            assert_eq!(offer.subprotocols(), ["chat", "superchat"]);
            assert_eq!(offer.origin(), Some("http://o.example"));
            assert_eq!(offer.location(false), "ws://localhost:8081/test?foo=bar");
            let answer = offer.answer(&key3);
            let resp = offer.response(false, Some("superchat"));
            assert_eq!(
                client.check_response(&resp, &answer),
                Ok(Some("superchat".to_owned()))
            );
            let resp = offer.response(false, None);
            assert_eq!(client.check_response(&resp, &answer), Ok(None));
        }
    }

    #[test]
    fn same_seed_same_request() {
        let uri: Uri = "ws://example.com/".parse().unwrap();
        let a = client_request(&uri, &mut StdRng::seed_from_u64(9), &[], None).unwrap();
        let b = client_request(&uri, &mut StdRng::seed_from_u64(9), &[], None).unwrap();
        assert_eq!(a.0, b.0);
        assert_eq!(a.1.headers(), b.1.headers());
        assert_eq!(a.2, b.2);
    }

    #[test]
    fn client_request_shape() {
        let uri: Uri = "ws://user:pw@[::1]:9000".parse().unwrap();
        let (_, req, _) = client_request(&uri, &mut StdRng::seed_from_u64(3), &[], None).unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri(), "/");
        assert_eq!(req.headers()["host"], "[::1]:9000");
        assert!(!req.headers().contains_key("origin"));
        assert!(!req.headers().contains_key("sec-websocket-protocol"));
    }

    #[test]
    fn client_request_refuses_bad_input() {
        let mut rng = StdRng::seed_from_u64(3);
        let no_host: Uri = "/path".parse().unwrap();
        assert_eq!(
            client_request(&no_host, &mut rng, &[], None).unwrap_err(),
            HandshakeError::MissingHost
        );
        let uri: Uri = "ws://h/".parse().unwrap();
        for bad in ["", "a b", "a,b", "é"] {
            assert_eq!(
                client_request(&uri, &mut rng, &[bad], None).unwrap_err(),
                HandshakeError::InvalidHeader("Sec-WebSocket-Protocol")
            );
        }
        assert_eq!(
            client_request(&uri, &mut rng, &[], Some("a\nb")).unwrap_err(),
            HandshakeError::InvalidHeader("Origin")
        );
    }

    fn server_reply(subprotocol: Option<&str>) -> (Hybi00ClientHandshake, Response<()>, [u8; 16]) {
        let uri: Uri = "ws://h/".parse().unwrap();
        let (client, req, key3) =
            client_request(&uri, &mut StdRng::seed_from_u64(5), &["a"], None).unwrap();
        let offer = check_request(&req).unwrap();
        (
            client,
            offer.response(false, subprotocol),
            offer.answer(&key3),
        )
    }

    #[test]
    fn client_rejects_wrong_answer() {
        let (client, resp, mut answer) = server_reply(None);
        answer[15] ^= 1;
        assert_eq!(
            client.check_response(&resp, &answer),
            Err(HandshakeError::InvalidAccept)
        );
    }

    #[test]
    fn client_rejects_bad_status_and_headers() {
        let (client, mut resp, answer) = server_reply(None);
        *resp.status_mut() = StatusCode::OK;
        assert_eq!(
            client.check_response(&resp, &answer),
            Err(HandshakeError::UnexpectedStatus(StatusCode::OK))
        );
        let (client, mut resp, answer) = server_reply(None);
        resp.headers_mut().remove(UPGRADE);
        assert_eq!(
            client.check_response(&resp, &answer),
            Err(HandshakeError::MissingUpgrade)
        );
        let (client, mut resp, answer) = server_reply(None);
        resp.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        assert_eq!(
            client.check_response(&resp, &answer),
            Err(HandshakeError::MissingConnectionUpgrade)
        );
    }

    #[test]
    fn client_rejects_unoffered_subprotocol() {
        let (client, resp, answer) = server_reply(Some("b"));
        assert_eq!(
            client.check_response(&resp, &answer),
            Err(HandshakeError::UnrequestedSubprotocol("b".to_owned()))
        );
        let (client, resp, answer) = server_reply(Some("a"));
        assert_eq!(
            client.check_response(&resp, &answer),
            Ok(Some("a".to_owned()))
        );
    }
}
