//! The handshake hook's view of an upgrade request, and how it refuses one.

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};

/// An opening handshake in progress, as a handshake hook sees it: the request, the
/// client's offers, and the response headers and subprotocol the hook chooses.
///
/// ```
/// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
/// if hs.offered_subprotocols().iter().any(|p| p == "chat") {
///     hs.accept_subprotocol("chat");
/// }
/// hs.headers_mut().insert("x-server", http::HeaderValue::from_static("rfc6455"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Handshake<'a> {
    pub(crate) request: &'a Request<()>,
    pub(crate) offered: &'a [String],
    pub(crate) headers: HeaderMap,
    pub(crate) subprotocol: Option<String>,
}

impl<'a> Handshake<'a> {
    /// A handshake whose client offered these subprotocols (RFC 6455 or hybi-00).
    pub(crate) fn with_subprotocols(request: &'a Request<()>, offered: &'a [String]) -> Self {
        Self {
            request,
            offered,
            headers: HeaderMap::new(),
            subprotocol: None,
        }
    }

    /// The upgrade request (its body is never read).
    ///
    /// ```
    /// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
    /// if hs.request().uri().path() != "/chat" {
    ///     return Err(http::StatusCode::NOT_FOUND.into());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn request(&self) -> &Request<()> {
        self.request
    }

    /// The subprotocols the client offered, in its order of preference.
    ///
    /// ```
    /// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
    /// if hs.offered_subprotocols().is_empty() {
    ///     return Err(http::StatusCode::BAD_REQUEST.into());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn offered_subprotocols(&self) -> &[String] {
        self.offered
    }

    /// Answer with `protocol` in `Sec-WebSocket-Protocol`. Returns `false` (and changes
    /// nothing) if the client did not offer it: RFC 6455 §4.2.2 allows only an offered one.
    ///
    /// ```
    /// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
    /// // The newest version this server speaks that the client offered.
    /// let _ = hs.accept_subprotocol("chat.v2") || hs.accept_subprotocol("chat");
    /// # Ok(()) }
    /// ```
    pub fn accept_subprotocol(&mut self, protocol: &str) -> bool {
        if self.offered.iter().any(|p| p == protocol) {
            self.subprotocol = Some(protocol.to_owned());
            true
        } else {
            false
        }
    }

    /// The subprotocol chosen so far.
    ///
    /// ```
    /// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
    /// if hs.subprotocol().is_none() {
    ///     hs.accept_subprotocol("chat");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// Extra headers for the 101 response.
    ///
    /// ```
    /// # fn hook(hs: &mut rfc6455::Handshake<'_>) -> Result<(), rfc6455::Rejection> {
    /// hs.headers_mut().insert("x-server", http::HeaderValue::from_static("rfc6455"));
    /// # Ok(()) }
    /// ```
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
}

/// A handshake hook's refusal: the HTTP response sent instead of 101.
///
/// ```
/// use rfc6455::Rejection;
/// let r = Rejection::new(http::StatusCode::FORBIDDEN, "not you");
/// assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
/// let r: Rejection = http::StatusCode::NOT_FOUND.into();
/// assert_eq!(r.status().as_u16(), 404);
/// ```
#[derive(Debug, Clone)]
pub struct Rejection(Box<RejectionParts>);

#[derive(Debug, Clone)]
struct RejectionParts {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Rejection {
    /// Refuse with `status` and a plain-text `body`.
    ///
    /// ```
    /// let r = rfc6455::Rejection::new(http::StatusCode::FORBIDDEN, "not on this path\n");
    /// assert_eq!(r.status(), 403);
    /// ```
    pub fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self(Box::new(RejectionParts {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }))
    }

    /// Add a response header (e.g. `WWW-Authenticate` with a 401).
    ///
    /// ```
    /// use http::{HeaderValue, StatusCode, header::WWW_AUTHENTICATE};
    /// let r = rfc6455::Rejection::new(StatusCode::UNAUTHORIZED, "who are you?\n")
    ///     .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"chat\""));
    /// # drop(r);
    /// ```
    #[must_use = "with_header returns the rejection with the header added"]
    pub fn with_header(mut self, name: http::header::HeaderName, value: http::HeaderValue) -> Self {
        self.0.headers.append(name, value);
        self
    }

    /// The status.
    ///
    /// ```
    /// let r = rfc6455::Rejection::from(http::StatusCode::UNAUTHORIZED);
    /// assert_eq!(r.status(), http::StatusCode::UNAUTHORIZED);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub(crate) fn into_response(self) -> Response<Bytes> {
        let RejectionParts {
            status,
            headers,
            body,
        } = *self.0;
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
            .headers_mut()
            .entry(http::header::CONTENT_TYPE)
            .or_insert(http::HeaderValue::from_static("text/plain; charset=utf-8"));
        response
    }
}

impl From<StatusCode> for Rejection {
    fn from(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("refused");
        Self::new(status, format!("{reason}\n"))
    }
}
