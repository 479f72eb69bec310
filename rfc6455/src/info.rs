//! What the opening handshake said: request line, headers, addresses, subprotocol.

use std::net::SocketAddr;

/// The opening handshake of a connection, kept for the program's use (the original's
/// `ws-conn-line`, `ws-conn-headers`, `ws-conn-path`, `ws-conn-host+port`,
/// `ws-conn-peer-addresses`).
///
/// On a server these are the client's request; on a client, the request it sent and the
/// server's response headers.
///
/// ```
/// let info = rfc6455::HandshakeInfo::default();
/// assert_eq!(info.path(), "/");
/// assert!(info.subprotocol().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct HandshakeInfo {
    pub(crate) method: http::Method,
    pub(crate) uri: http::Uri,
    pub(crate) version: http::Version,
    pub(crate) request_headers: http::HeaderMap,
    pub(crate) response_headers: http::HeaderMap,
    pub(crate) subprotocol: Option<String>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
    pub(crate) url: Option<String>,
    pub(crate) secure: bool,
}

impl Default for HandshakeInfo {
    fn default() -> Self {
        Self {
            method: http::Method::GET,
            uri: http::Uri::from_static("/"),
            version: http::Version::HTTP_11,
            request_headers: http::HeaderMap::new(),
            response_headers: http::HeaderMap::new(),
            subprotocol: None,
            local_addr: None,
            peer_addr: None,
            url: None,
            secure: false,
        }
    }
}

impl HandshakeInfo {
    pub(crate) fn from_request<B>(req: &http::Request<B>) -> Self {
        Self {
            method: req.method().clone(),
            uri: compact_uri(req.uri()),
            version: req.version(),
            request_headers: compact_headers(req.headers()),
            ..Self::default()
        }
    }

    /// The request line, e.g. `GET /chat?room=1 HTTP/1.1`.
    pub fn request_line(&self) -> String {
        format!(
            "{} {} {:?}",
            self.method,
            self.request_target(),
            self.version
        )
    }

    /// The request target: path and query, e.g. `/chat?room=1`.
    pub fn request_target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    /// The request URI as received.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    /// The request headers.
    pub fn headers(&self) -> &http::HeaderMap {
        &self.request_headers
    }

    /// The response headers (on a client: what the server answered; on a server: what was
    /// sent, including those a handshake hook added).
    pub fn response_headers(&self) -> &http::HeaderMap {
        &self.response_headers
    }

    /// The `Host` header split into host and port (the port is `None` if not given).
    /// IPv6 literals keep their brackets off: `[::1]:80` gives `("::1", Some(80))`.
    pub fn host_and_port(&self) -> Option<(&str, Option<u16>)> {
        let host = self
            .request_headers
            .get(http::header::HOST)?
            .to_str()
            .ok()?;
        Some(split_host_port(host))
    }

    /// The subprotocol agreed, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// This end's socket address, when the transport has one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The peer's socket address, when the transport has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// On a client, the URL finally connected to, after any redirects (`None` on a
    /// server).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rfc6455::Error> {
    /// let (ws, _) = rfc6455::connect("ws://localhost:8081/old-place").await?;
    /// println!("connected to {}", ws.handshake().url().unwrap_or("?"));
    /// # Ok(()) }
    /// ```
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// Whether the connection runs over TLS (`wss://`).
    ///
    /// ```
    /// assert!(!rfc6455::HandshakeInfo::default().is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.secure
    }
}

/// A copy of `uri` in its own memory. hyper's URIs and header values are slices of the
/// connection's read buffer; keeping them for the life of a WebSocket would pin that
/// buffer (8 KiB or more) per connection.
fn compact_uri(uri: &http::Uri) -> http::Uri {
    uri.to_string().parse().unwrap_or_else(|_| uri.clone())
}

/// A copy of `headers` whose values own their bytes (see [`compact_uri`]).
fn compact_headers(headers: &http::HeaderMap) -> http::HeaderMap {
    let mut copy = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut owned =
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        owned.set_sensitive(value.is_sensitive());
        copy.append(name.clone(), owned);
    }
    copy
}

/// Split `host[:port]`, with IPv6 literals in brackets.
fn split_host_port(host: &str) -> (&str, Option<u16>) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (h, port);
        }
        return (host, None);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (host, None),
        },
        _ => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn host_and_port_forms() {
        assert_eq!(split_host_port("example.com"), ("example.com", None));
        assert_eq!(
            split_host_port("example.com:8081"),
            ("example.com", Some(8081))
        );
        assert_eq!(split_host_port("[::1]:9000"), ("::1", Some(9000)));
        assert_eq!(split_host_port("[::1]"), ("::1", None));
        assert_eq!(split_host_port("::1"), ("::1", None));
    }
}
