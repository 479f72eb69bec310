//! [`IntoClientRequest`]: what [`client()`](crate::client()) opens a WebSocket to.

use http::{HeaderMap, Method, Request, Uri, Version};
use rfc6455_proto::HandshakeError;

use crate::client::target::{Target, parse_url};
use crate::error::Error;

/// What [`client()`](crate::client()) opens a WebSocket to: a `ws://` or `wss://` URL
/// (`&str`, `String`, [`http::Uri`]), or an [`http::Request`] with such a URI and headers
/// of its own.
///
/// A request's headers are sent as those given with
/// [`ClientOptions::header`](crate::ClientOptions::header) are, after them; the headers
/// the handshake owns (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`) cannot be
/// replaced. Its method must be `GET` and its version HTTP/1.1 (what
/// [`Request::builder`] gives).
///
/// ```
/// use rfc6455::IntoClientRequest;
///
/// let request = "ws://localhost/chat".into_client_request()?;
/// assert_eq!(request.uri().path(), "/chat");
///
/// let request = http::Request::builder()
///     .uri("ws://localhost/chat")
///     .header("authorization", "Bearer t0ken")
///     .body(())?
///     .into_client_request()?;
/// assert_eq!(request.headers()["authorization"], "Bearer t0ken");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait IntoClientRequest {
    /// The request: `GET`, HTTP/1.1, an absolute `ws://` or `wss://` URI, and any
    /// headers of its own. [`client()`](crate::client()) checks all of it again.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that is not
    /// `ws://` or `wss://`, has no host, or has a fragment.
    ///
    /// ```
    /// use rfc6455::{ErrorKind, IntoClientRequest};
    /// let err = "http://localhost/".into_client_request().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidUrl);
    /// ```
    fn into_client_request(self) -> Result<Request<()>, Error>;
}

impl IntoClientRequest for &str {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        let target = Target::new(parse_url(self)?)?;
        let mut request = Request::new(());
        *request.uri_mut() = target.uri;
        Ok(request)
    }
}

impl IntoClientRequest for String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for &String {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.as_str().into_client_request()
    }
}

impl IntoClientRequest for Uri {
    fn into_client_request(self) -> Result<Request<()>, Error> {
        self.to_string().into_client_request()
    }
}

impl IntoClientRequest for Request<()> {
    fn into_client_request(self) -> Result<Self, Error> {
        Ok(self)
    }
}

/// Check a request for [`client()`](crate::client()): where it goes, and the headers of
/// its own.
pub(crate) fn into_target(request: Request<()>) -> Result<(Target, HeaderMap), Error> {
    let (parts, ()) = request.into_parts();
    if parts.method != Method::GET {
        return Err(HandshakeError::MethodNotGet.into());
    }
    if parts.version != Version::HTTP_11 {
        return Err(HandshakeError::HttpVersion.into());
    }
    let target = Target::new(parse_url(&parts.uri.to_string())?)?;
    Ok((target, parts.headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn urls_uris_and_requests() {
        let url = "ws://Example.com:8080/chat?x=1";
        for request in [
            url.into_client_request().unwrap(),
            url.to_owned().into_client_request().unwrap(),
            (&url.to_owned()).into_client_request().unwrap(),
            url.parse::<Uri>().unwrap().into_client_request().unwrap(),
            Request::get(url).body(()).unwrap(),
        ] {
            let (target, headers) = into_target(request).unwrap();
            assert_eq!(target.url.as_str(), "ws://example.com:8080/chat?x=1");
            assert_eq!((target.host.as_str(), target.port), ("example.com", 8080));
            assert!(headers.is_empty());
        }
    }

    #[test]
    fn a_request_keeps_its_headers() {
        let request = Request::get("wss://h/")
            .header("authorization", "Bearer t")
            .body(())
            .unwrap();
        let (target, headers) = into_target(request.into_client_request().unwrap()).unwrap();
        assert!(target.secure);
        assert_eq!(headers["authorization"], "Bearer t");
    }

    #[test]
    fn what_cannot_be_opened() {
        for bad in ["http://h/", "ws://h/#x", "ws:///", "/chat", ""] {
            let err = bad.into_client_request().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{bad:?}: {err}");
        }
        let relative = Request::get("/chat").body(()).unwrap();
        let err = into_target(relative).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{err}");
        let post = Request::post("ws://h/").body(()).unwrap();
        let err = into_target(post).unwrap_err();
        assert_eq!(err.handshake_error(), Some(&HandshakeError::MethodNotGet));
        let old = Request::get("ws://h/")
            .version(Version::HTTP_10)
            .body(())
            .unwrap();
        let err = into_target(old).unwrap_err();
        assert_eq!(err.handshake_error(), Some(&HandshakeError::HttpVersion));
    }
}
