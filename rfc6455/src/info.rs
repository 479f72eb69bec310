//! What the opening handshake said: request line, headers, addresses, subprotocol.

use std::net::SocketAddr;
use std::sync::OnceLock;

use rfc6455_proto::extension::deflate::DeflateParams;

/// The opening handshake of a connection, kept for the program's use (the original's
/// `ws-conn-line`, `ws-conn-headers`, `ws-conn-path`, `ws-conn-host+port`,
/// `ws-conn-peer-addresses`).
///
/// On a server these are the client's request; on a client, the request it sent and the
/// server's response headers.
///
/// Kept compact, since every connection holds one for its whole life: the request and
/// response heads, the subprotocol, the URL and the addresses are stored in one exact-size
/// allocation, the heads as text, turned into [`http::HeaderMap`]s and an [`http::Uri`]
/// only when first asked for. A server does not store the `101` it sent: its standard
/// headers follow from the request and the agreement (subprotocol, permessage-deflate),
/// so only those a hook added are stored, and the rest is rebuilt when first asked for.
///
/// ```
/// let info = rfc6455::HandshakeInfo::default();
/// assert_eq!(info.path(), "/");
/// assert!(info.subprotocol().is_none());
/// ```
#[derive(Clone)]
pub struct HandshakeInfo {
    /// The request line and one `name:value` line per request header, then one such line
    /// per response header (each line ends with `\n`), the subprotocol, the URL, and the
    /// local and peer addresses (see [`put_addr`]): one allocation.
    heads: Box<[u8]>,
    /// Where the response's lines, the subprotocol, the URL and the addresses start in
    /// `heads` (which [`record`](Self::record) keeps under 4 GiB).
    response_at: u32,
    subprotocol_at: u32,
    url_at: u32,
    addrs_at: u32,
    /// Whether there is a subprotocol, a URL (either may be empty).
    has_subprotocol: bool,
    has_url: bool,
    /// Whether the response's lines are only what a server's hook added to its standard
    /// answer, which [`standard_response`](Self::standard_response) rebuilds.
    rebuilt_response: bool,
    /// The heads as `http` types, built on first use.
    parsed: OnceLock<Box<Parsed>>,
    pub(crate) secure: bool,
    pub(crate) deflate: Option<DeflateParams>,
    pub(crate) http_version: http::Version,
}

/// What a handshake says about its connection besides the heads, recorded with them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Extra<'a> {
    pub(crate) subprotocol: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
}

#[derive(Clone)]
struct Parsed {
    uri: http::Uri,
    request_headers: http::HeaderMap,
    response_headers: http::HeaderMap,
}

impl Default for HandshakeInfo {
    fn default() -> Self {
        let line = b"GET / HTTP/1.1\n";
        let mut heads = line.to_vec();
        put_addr(&mut heads, None);
        put_addr(&mut heads, None);
        let at = line.len() as u32;
        Self {
            heads: heads.into_boxed_slice(),
            response_at: at,
            subprotocol_at: at,
            url_at: at,
            addrs_at: at,
            has_subprotocol: false,
            has_url: false,
            rebuilt_response: false,
            parsed: OnceLock::new(),
            secure: false,
            deflate: None,
            http_version: http::Version::HTTP_11,
        }
    }
}

impl std::fmt::Debug for HandshakeInfo {
    /// The request line, header names (not values: they may hold credentials), the
    /// subprotocol and the addresses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |head: &[u8]| {
            lines(head)
                .filter_map(|line| line.split(|&b| b == b':').next())
                .map(|name| String::from_utf8_lossy(name).into_owned())
                .collect::<Vec<_>>()
        };
        f.debug_struct("HandshakeInfo")
            .field("request_line", &self.request_line())
            .field("request_headers", &names(self.header_lines()))
            .field("response_headers", &self.response_headers().keys())
            .field("subprotocol", &self.subprotocol())
            .field("local_addr", &self.local_addr())
            .field("peer_addr", &self.peer_addr())
            .field("url", &self.url())
            .field("secure", &self.secure)
            .field("http_version", &self.http_version)
            .finish()
    }
}

/// The bytes [`put_addr`] writes for `addr`.
fn addr_len(addr: Option<SocketAddr>) -> usize {
    match addr {
        None => 1,
        Some(SocketAddr::V4(_)) => 1 + 4 + 2,
        Some(SocketAddr::V6(_)) => 1 + 16 + 2 + 4 + 4,
    }
}

/// `addr` as bytes: a tag (0 none, 4, 6), then the IP address, the port and, for IPv6,
/// the flow info and scope ID (big-endian).
fn put_addr(out: &mut Vec<u8>, addr: Option<SocketAddr>) {
    match addr {
        None => out.push(0),
        Some(SocketAddr::V4(v4)) => {
            out.push(4);
            out.extend_from_slice(&v4.ip().octets());
            out.extend_from_slice(&v4.port().to_be_bytes());
        }
        Some(SocketAddr::V6(v6)) => {
            out.push(6);
            out.extend_from_slice(&v6.ip().octets());
            out.extend_from_slice(&v6.port().to_be_bytes());
            out.extend_from_slice(&v6.flowinfo().to_be_bytes());
            out.extend_from_slice(&v6.scope_id().to_be_bytes());
        }
    }
}

/// The address [`put_addr`] wrote at the start of `bytes`, and the bytes after it.
fn get_addr(bytes: &[u8]) -> (Option<SocketAddr>, &[u8]) {
    use std::net::{SocketAddrV4, SocketAddrV6};

    fn take<const N: usize>(bytes: &mut &[u8]) -> Option<[u8; N]> {
        let (head, rest) = bytes.split_first_chunk::<N>()?;
        *bytes = rest;
        Some(*head)
    }
    let Some((&tag, mut rest)) = bytes.split_first() else {
        return (None, &[]);
    };
    let addr = match tag {
        4 => (|| {
            let ip = take::<4>(&mut rest)?;
            let port = u16::from_be_bytes(take(&mut rest)?);
            Some(SocketAddr::V4(SocketAddrV4::new(ip.into(), port)))
        })(),
        6 => (|| {
            let ip = take::<16>(&mut rest)?;
            let port = u16::from_be_bytes(take(&mut rest)?);
            let flow = u32::from_be_bytes(take(&mut rest)?);
            let scope = u32::from_be_bytes(take(&mut rest)?);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip.into(),
                port,
                flow,
                scope,
            )))
        })(),
        _ => None,
    };
    (addr, rest)
}

/// The `\n`-ended lines of a head.
fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n').filter(|line| !line.is_empty())
}

/// Where the next part of `heads` starts. The request line, the subprotocol and the URL
/// come from heads that the HTTP parsers bound far below 2 GiB, and [`HandshakeInfo::record`]
/// keeps headers only under 2 GiB together, so the length fits in 32 bits.
fn offset(heads: &[u8]) -> u32 {
    u32::try_from(heads.len()).unwrap_or(u32::MAX)
}

/// The size of `headers` as `name:value` lines.
fn headers_len(headers: &http::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 2)
        .sum()
}

/// `headers` as `name:value` lines.
fn write_headers(out: &mut Vec<u8>, headers: &http::HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
}

/// The `name:value` lines back as a map (lines that are not a valid header are
/// skipped; this crate never writes one).
fn read_headers(head: &[u8]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    append_headers(&mut headers, head);
    headers
}

/// Append the `name:value` lines of `head` to `headers`.
fn append_headers(headers: &mut http::HeaderMap, head: &[u8]) {
    for line in lines(head) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(&line[..colon]),
            http::HeaderValue::from_bytes(&line[colon + 1..]),
        ) {
            headers.append(name, value);
        }
    }
}

impl HandshakeInfo {
    /// What a handshake said: `request`, and the `response` headers — on a server whose
    /// answer is RFC 6455's (`rebuilt`), only those its hook added: the standard ones are
    /// rebuilt when asked for. Without `keep_headers`, only the request line is kept. With
    /// them, `extra`. One exact-size allocation.
    pub(crate) fn record<B>(
        request: &http::Request<B>,
        response: &http::HeaderMap,
        keep_headers: bool,
        rebuilt: bool,
        extra: &Extra<'_>,
    ) -> Self {
        // The request target as sent: origin form (`/path?query`) or, rarely, absolute.
        let target = match request.uri().path_and_query() {
            Some(pq) if request.uri().scheme().is_none() => pq.as_str().to_owned(),
            _ => request.uri().to_string(),
        };
        let line = format!("{} {} {:?}\n", request.method(), target, request.version());
        // The offsets into the heads are 32 bits: headers of 2 GiB or more together (which
        // only a hook that adds them could make) are not kept.
        let kept = keep_headers
            .then(|| headers_len(request.headers()) + headers_len(response))
            .filter(|&len| len < (u32::MAX / 2) as usize);
        let (request_headers, response) = if kept.is_some() {
            (request.headers(), response)
        } else {
            (&http::HeaderMap::new(), &http::HeaderMap::new())
        };
        let subprotocol = extra.subprotocol.unwrap_or_default();
        let url = extra.url.unwrap_or_default();
        let size = line.len()
            + kept.unwrap_or(0)
            + subprotocol.len()
            + url.len()
            + addr_len(extra.local_addr)
            + addr_len(extra.peer_addr);
        let mut heads = Vec::with_capacity(size);
        heads.extend_from_slice(line.as_bytes());
        write_headers(&mut heads, request_headers);
        let response_at = offset(&heads);
        write_headers(&mut heads, response);
        let subprotocol_at = offset(&heads);
        heads.extend_from_slice(subprotocol.as_bytes());
        let url_at = offset(&heads);
        heads.extend_from_slice(url.as_bytes());
        let addrs_at = offset(&heads);
        put_addr(&mut heads, extra.local_addr);
        put_addr(&mut heads, extra.peer_addr);
        debug_assert_eq!(heads.len(), size);
        Self {
            heads: heads.into_boxed_slice(),
            response_at,
            subprotocol_at,
            url_at,
            addrs_at,
            has_subprotocol: extra.subprotocol.is_some(),
            has_url: extra.url.is_some(),
            rebuilt_response: rebuilt && kept.is_some(),
            parsed: OnceLock::new(),
            secure: false,
            deflate: None,
            http_version: request.version(),
        }
    }

    /// Record the connection's addresses, known only once the stream is (a connection
    /// that hyper upgraded): the heads are copied once.
    pub(crate) fn set_addrs(
        &mut self,
        local_addr: Option<SocketAddr>,
        peer_addr: Option<SocketAddr>,
    ) {
        let addrs_at = self.addrs_at as usize;
        let size = addrs_at + addr_len(local_addr) + addr_len(peer_addr);
        let mut heads = Vec::with_capacity(size);
        heads.extend_from_slice(&self.heads[..addrs_at]);
        put_addr(&mut heads, local_addr);
        put_addr(&mut heads, peer_addr);
        self.heads = heads.into_boxed_slice();
    }

    /// The local and peer addresses.
    fn addrs(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        let (local, rest) = get_addr(&self.heads[self.addrs_at as usize..]);
        (local, get_addr(rest).0)
    }

    /// The standard headers of the RFC 6455 answer to a request with `request_headers`,
    /// as [`ClientOffer::response_with`](rfc6455_proto::handshake::ClientOffer::response_with)
    /// and the accept path's deflate agreement made them.
    fn standard_response(&self, request_headers: &http::HeaderMap) -> http::HeaderMap {
        use http::header::{
            CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
            SEC_WEBSOCKET_PROTOCOL, UPGRADE,
        };
        let mut headers = http::HeaderMap::new();
        // An extended CONNECT's `200` has no upgrade headers (RFC 8441 §5).
        if self.http_version != http::Version::HTTP_2 {
            headers.insert(UPGRADE, http::HeaderValue::from_static("websocket"));
            headers.insert(CONNECTION, http::HeaderValue::from_static("Upgrade"));
            if let Some(key) = request_headers.get(SEC_WEBSOCKET_KEY) {
                let accept = rfc6455_proto::handshake::accept_key(key.as_bytes());
                if let Ok(accept) = http::HeaderValue::try_from(accept) {
                    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
                }
            }
        }
        if let Some(protocol) = self.subprotocol()
            && let Ok(value) = http::HeaderValue::from_str(protocol)
        {
            headers.insert(SEC_WEBSOCKET_PROTOCOL, value);
        }
        if let Some(deflate) = &self.deflate
            && let Ok(value) = http::HeaderValue::try_from(deflate.answer().to_string())
        {
            headers.insert(SEC_WEBSOCKET_EXTENSIONS, value);
        }
        headers
    }

    /// The request line, and the header lines after it.
    fn request_line_bytes(&self) -> (&[u8], &[u8]) {
        let request = &self.heads[..self.response_at as usize];
        match request.iter().position(|&b| b == b'\n') {
            Some(end) => (&request[..end], &request[end + 1..]),
            None => (request, &[]),
        }
    }

    fn response_lines(&self) -> &[u8] {
        &self.heads[self.response_at as usize..self.subprotocol_at as usize]
    }

    fn header_lines(&self) -> &[u8] {
        self.request_line_bytes().1
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| {
            let request_headers = read_headers(self.header_lines());
            let mut response_headers = if self.rebuilt_response {
                self.standard_response(&request_headers)
            } else {
                http::HeaderMap::new()
            };
            append_headers(&mut response_headers, self.response_lines());
            Box::new(Parsed {
                uri: self.request_target().parse().unwrap_or_default(),
                request_headers,
                response_headers,
            })
        })
    }

    /// The request line, e.g. `GET /chat?room=1 HTTP/1.1`.
    ///
    /// ```
    /// let info = rfc6455::HandshakeInfo::default();
    /// assert_eq!(info.request_line(), "GET / HTTP/1.1");
    /// ```
    pub fn request_line(&self) -> String {
        String::from_utf8_lossy(self.request_line_bytes().0).into_owned()
    }

    /// The request target: path and query, e.g. `/chat?room=1`.
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// println!("connected to {}", ws.handshake().request_target());
    /// # }
    /// ```
    pub fn request_target(&self) -> &str {
        let line = self.request_line_bytes().0;
        line.split(|&b| b == b' ')
            .nth(1)
            .and_then(|target| std::str::from_utf8(target).ok())
            .unwrap_or("/")
    }

    /// The request URI as received.
    ///
    /// ```
    /// assert_eq!(rfc6455::HandshakeInfo::default().uri().path(), "/");
    /// ```
    pub fn uri(&self) -> &http::Uri {
        &self.parsed().uri
    }

    /// The path, without the query.
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// let room = ws.handshake().path().strip_prefix("/rooms/");
    /// # let _ = room;
    /// # }
    /// ```
    pub fn path(&self) -> &str {
        let target = self.request_target();
        if target.starts_with('/') {
            return target.split_once('?').map_or(target, |(path, _)| path);
        }
        self.uri().path()
    }

    /// The query string, without `?`.
    ///
    /// ```
    /// assert_eq!(rfc6455::HandshakeInfo::default().query(), None);
    /// ```
    pub fn query(&self) -> Option<&str> {
        let target = self.request_target();
        if target.starts_with('/') {
            return target.split_once('?').map(|(_, query)| query);
        }
        self.uri().query()
    }

    /// The request headers (empty with [`Config::keep_headers`](crate::Config::keep_headers)
    /// off).
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// let origin = ws.handshake().headers().get("origin");
    /// # let _ = origin;
    /// # }
    /// ```
    pub fn headers(&self) -> &http::HeaderMap {
        &self.parsed().request_headers
    }

    /// The response headers (on a client: what the server answered; on a server: what was
    /// sent, including those a handshake hook added). Empty with
    /// [`Config::keep_headers`](crate::Config::keep_headers) off.
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// let upgrade = ws.handshake().response_headers().get("upgrade");
    /// # let _ = upgrade;
    /// # }
    /// ```
    pub fn response_headers(&self) -> &http::HeaderMap {
        &self.parsed().response_headers
    }

    /// The `Host` header split into host and port (the port is `None` if not given;
    /// `None` when there was no `Host`, or with
    /// [`Config::keep_headers`](crate::Config::keep_headers) off).
    /// IPv6 literals keep their brackets off: `[::1]:80` gives `("::1", Some(80))`.
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// if let Some((host, port)) = ws.handshake().host_and_port() {
    ///     println!("asked for {host} on port {port:?}");
    /// }
    /// # }
    /// ```
    pub fn host_and_port(&self) -> Option<(&str, Option<u16>)> {
        let host = match self.headers().get(http::header::HOST) {
            Some(host) => host.to_str().ok()?,
            // HTTP/2 carries the authority in `:authority`, not `Host`.
            None => self.uri().authority()?.as_str(),
        };
        Some(split_host_port(host))
    }

    /// The subprotocol agreed, if any.
    ///
    /// ```
    /// assert_eq!(rfc6455::HandshakeInfo::default().subprotocol(), None);
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        let bytes = &self.heads[self.subprotocol_at as usize..self.url_at as usize];
        self.has_subprotocol
            .then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// This end's socket address, when the transport has one.
    ///
    /// ```
    /// assert_eq!(rfc6455::HandshakeInfo::default().local_addr(), None);
    /// ```
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addrs().0
    }

    /// The peer's socket address, when the transport has one (not on a stream given to
    /// [`accept`](crate::accept), whose kind the handshake does not know).
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// println!("from {:?}", ws.handshake().peer_addr());
    /// # }
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.addrs().1
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
        let bytes = &self.heads[self.url_at as usize..self.addrs_at as usize];
        self.has_url
            .then(|| std::str::from_utf8(bytes).unwrap_or_default())
    }

    /// The permessage-deflate parameters agreed (RFC 7692), if compression is on for
    /// this connection: window sizes and context takeover for each side.
    ///
    /// ```
    /// assert!(rfc6455::HandshakeInfo::default().deflate().is_none());
    /// ```
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// Whether the connection runs over TLS (`wss://`).
    ///
    /// ```
    /// assert!(!rfc6455::HandshakeInfo::default().is_secure());
    /// ```
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The HTTP version that carried the handshake: `HTTP_11` for an upgrade (`HTTP_10`
    /// for the rare hybi-00 client that says so), `HTTP_2` for a WebSocket on an HTTP/2
    /// stream (RFC 8441's extended CONNECT), several of which share one connection.
    ///
    /// ```
    /// # fn f(ws: &rfc6455::WebSocket) {
    /// if ws.handshake().http_version() == http::Version::HTTP_2 {
    ///     println!("one of the streams of an HTTP/2 connection");
    /// }
    /// # }
    /// assert_eq!(rfc6455::HandshakeInfo::default().http_version(), http::Version::HTTP_11);
    /// ```
    pub fn http_version(&self) -> http::Version {
        self.http_version
    }
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
    use super::{Extra, HandshakeInfo, split_host_port};

    #[test]
    fn request_and_response_round_trip() {
        let req = http::Request::get("/chat?room=1")
            .header("host", "example.com:8081")
            .header("x-two", "a")
            .header("x-two", " b ")
            .header("sec-websocket-protocol", "chat, superchat")
            .body(())
            .unwrap();
        let mut response = http::HeaderMap::new();
        response.insert("upgrade", "websocket".parse().unwrap());
        response.insert(
            "x-weird",
            http::HeaderValue::from_bytes(b"caf\xc3\xa9:1").unwrap(),
        );
        let info = HandshakeInfo::record(&req, &response, true, false, &Extra::default());
        assert_eq!(info.request_line(), "GET /chat?room=1 HTTP/1.1");
        assert_eq!(info.request_target(), "/chat?room=1");
        assert_eq!((info.path(), info.query()), ("/chat", Some("room=1")));
        assert_eq!(info.uri(), req.uri());
        assert_eq!(info.headers(), req.headers());
        assert_eq!(info.response_headers(), &response);
        assert_eq!(info.host_and_port(), Some(("example.com", Some(8081))));
        let debug = format!("{info:?}");
        assert!(
            debug.contains("x-two") && !debug.contains("superchat"),
            "{debug}"
        );
    }

    #[test]
    fn forgotten_headers_leave_the_request_line() {
        let req = http::Request::get("/chat?room=1")
            .header("host", "example.com:8081")
            .header("cookie", "a=b")
            .body(())
            .unwrap();
        let mut response = http::HeaderMap::new();
        response.insert("upgrade", "websocket".parse().unwrap());
        let info = HandshakeInfo::record(&req, &response, false, true, &Extra::default());
        assert_eq!(info.request_line(), "GET /chat?room=1 HTTP/1.1");
        assert_eq!((info.path(), info.query()), ("/chat", Some("room=1")));
        assert!(info.headers().is_empty() && info.response_headers().is_empty());
        assert_eq!(info.host_and_port(), None);
        assert_eq!(
            info.response_at as usize,
            "GET /chat?room=1 HTTP/1.1\n".len()
        );
        assert_eq!(info.addrs_at, info.response_at);
    }

    #[test]
    fn absolute_form_targets_keep_their_path() {
        let req = http::Request::get("http://example.com/a/b?c")
            .body(())
            .unwrap();
        let info = HandshakeInfo::record(
            &req,
            &http::HeaderMap::new(),
            true,
            false,
            &Extra::default(),
        );
        assert_eq!((info.path(), info.query()), ("/a/b", Some("c")));
    }

    /// A server keeps only the headers its hook added to the `101`; the rest is rebuilt,
    /// equal to what was sent: with a subprotocol and permessage-deflate, and for an
    /// extended CONNECT's `200` on HTTP/2.
    #[test]
    fn a_servers_answer_is_rebuilt_as_sent() {
        use rfc6455_proto::extension::deflate::DeflateConfig;
        use rfc6455_proto::handshake::{ClientRequest, check_request};

        let (request, _) = ClientRequest::new("ws://example.com/chat".parse().unwrap(), [3; 16])
            .subprotocols(["chat", "superchat"])
            .extensions("permessage-deflate; client_max_window_bits")
            .build()
            .unwrap();
        let offer = check_request(&request).unwrap();
        let agreed = DeflateConfig::default().accept(offer.extensions()).unwrap();
        let answer = agreed.answer().to_string();
        let mut sent = offer
            .response_with(Some("superchat"), Some(answer.as_str()))
            .into_parts()
            .0
            .headers;
        let mut hook = http::HeaderMap::new();
        hook.append("x-hook", "one".parse().unwrap());
        hook.append("x-hook", "two".parse().unwrap());
        sent.extend(hook.clone());
        let extra = Extra {
            subprotocol: Some("superchat"),
            ..Extra::default()
        };
        let mut info = HandshakeInfo::record(&request, &hook, true, true, &extra);
        info.deflate = Some(agreed);
        assert_eq!(info.response_headers(), &sent);
        assert_eq!(info.response_lines(), b"x-hook:one\nx-hook:two\n");

        let connect = http::Request::connect("https://example.com/chat")
            .version(http::Version::HTTP_2)
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        let offer =
            rfc6455_proto::handshake::check_connect_request(&connect, Some("websocket")).unwrap();
        let sent = offer.response(None).into_parts().0.headers;
        let info = HandshakeInfo::record(
            &connect,
            &http::HeaderMap::new(),
            true,
            true,
            &Extra::default(),
        );
        assert_eq!(info.response_headers(), &sent);
        assert!(!sent.contains_key("sec-websocket-accept"));
    }

    /// The subprotocol, the URL and the addresses come back as recorded, from the one
    /// allocation: absent, empty, IPv4, IPv6 with its flow info and scope ID; and the
    /// addresses recorded later leave the rest as it was.
    #[test]
    fn extras_round_trip() {
        let req = http::Request::get("/").header("x-a", "b").body(()).unwrap();
        let v4: std::net::SocketAddr = "10.1.2.3:8081".parse().unwrap();
        let v6 = std::net::SocketAddr::V6(std::net::SocketAddrV6::new(
            "fe80::1".parse().unwrap(),
            9000,
            7,
            3,
        ));
        let extra = Extra {
            subprotocol: Some(""),
            url: Some("ws://example.com/"),
            local_addr: Some(v4),
            peer_addr: Some(v6),
        };
        let response = http::HeaderMap::new();
        let mut info = HandshakeInfo::record(&req, &response, true, false, &extra);
        assert_eq!(info.subprotocol(), Some(""));
        assert_eq!(info.url(), Some("ws://example.com/"));
        assert_eq!((info.local_addr(), info.peer_addr()), (Some(v4), Some(v6)));
        assert_eq!(info.headers().get("x-a").unwrap(), "b");
        assert!(info.response_headers().is_empty());
        info.set_addrs(Some(v6), None);
        assert_eq!((info.local_addr(), info.peer_addr()), (Some(v6), None));
        assert_eq!(info.url(), Some("ws://example.com/"));
        let none = HandshakeInfo::record(&req, &response, false, false, &Extra::default());
        assert_eq!((none.subprotocol(), none.url()), (None, None));
        assert_eq!((none.local_addr(), none.peer_addr()), (None, None));
    }

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
