//! The client: [`connect`] and [`connect_with`].

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Response, StatusCode};
use rand::SeedableRng;
use rfc6455_proto::handshake::ClientRequest;
use rfc6455_proto::hybi00::{self, FramingMode};
use rfc6455_proto::{Connection, HandshakeError, Role, Variant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::config::Config;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::socket::WebSocket;
use crate::transport::Transport;

/// How many bytes of a non-101 answer's body are kept in the error.
const ERROR_BODY_LIMIT: usize = 4096;

/// Settings of a client connection.
///
/// | option | default |
/// |---|---|
/// | [`subprotocols`](Self::subprotocols) | none offered |
/// | [`header`](Self::header) | no extra headers |
/// | [`connect_timeout`](Self::connect_timeout) | 30 s for TCP connect |
/// | [`handshake_timeout`](Self::handshake_timeout) | 30 s for the opening handshake |
/// | [`max_header_size`](Self::max_header_size) | 16 KiB for the response head |
/// | [`config`](Self::config) | [`Config::default`] |
///
/// ```
/// let options = rfc6455::ClientOptions::default()
///     .subprotocols(["chat", "superchat"])
///     .header(http::header::ORIGIN, http::HeaderValue::from_static("http://example.com"));
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    pub(crate) subprotocols: Vec<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) connect_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) max_header_size: usize,
    pub(crate) config: Config,
    pub(crate) variant: Variant,
    pub(crate) hybi00_framing: FramingMode,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            subprotocols: Vec::new(),
            headers: HeaderMap::new(),
            connect_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(30),
            max_header_size: 16 * 1024,
            config: Config::default(),
            variant: Variant::Rfc6455,
            hybi00_framing: FramingMode::Old,
        }
    }
}

impl ClientOptions {
    /// Subprotocols to offer, in order of preference.
    pub fn subprotocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// An extra request header (`Origin`, `Authorization`, `Cookie`, …).
    pub fn header(mut self, name: http::header::HeaderName, value: http::HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// How long the TCP connect may take. Default 30 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long the opening handshake may take once connected. Default 30 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest response head accepted. Default 16 KiB.
    pub fn max_header_size(mut self, bytes: usize) -> Self {
        self.max_header_size = bytes;
        self
    }

    /// Settings of the connection (limits, idle timeout, buffers).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The protocol to speak: [`Variant::Rfc6455`] (the default) or the legacy
    /// [`Variant::Hybi00`] draft (the original's `#:protocol 'hybi00`).
    ///
    /// ```
    /// let options = rfc6455::ClientOptions::default().variant(rfc6455::Variant::Hybi00);
    /// # let _ = options;
    /// ```
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = variant;
        self
    }

    /// The hybi-00 framing mode: `Old` (`0x00 … 0xFF`, the default and what browsers
    /// spoke) or `New` (length-prefixed, as the original's `hybi00-framing-mode 'new`).
    pub fn hybi00_framing(mut self, mode: FramingMode) -> Self {
        self.hybi00_framing = mode;
        self
    }
}

/// Connect to a `ws://` URL with default options.
///
/// Returns the connection and the server's `101` response (status and headers; the
/// chosen subprotocol is also on [`WebSocket::subprotocol`]).
///
/// # Errors
/// [`ErrorKind::InvalidUrl`](crate::ErrorKind::InvalidUrl) for a URL that is not
/// `ws://`; [`ErrorKind::Io`](crate::ErrorKind::Io) if connecting fails;
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout);
/// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) if the server answers other than
/// `101` (the error carries the status, headers and the start of the body:
/// [`Error::response`]) or its `101` is invalid.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (mut ws, response) = rfc6455::connect("ws://localhost:8081/test?foo=bar").await?;
/// assert_eq!(response.status(), 101);
/// ws.send_text("Hello").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<(WebSocket, Response<()>), Error> {
    connect_with(url, ClientOptions::default()).await
}

/// Connect to a `ws://` URL with these options.
///
/// # Errors
/// As for [`connect`].
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let options = rfc6455::ClientOptions::default().subprotocols(["subprotocol"]);
/// let (ws, _) = rfc6455::connect_with("ws://localhost:8081/test", options).await?;
/// assert_eq!(ws.subprotocol(), Some("subprotocol"));
/// # Ok(()) }
/// ```
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<(WebSocket, Response<()>), Error> {
    let target = Target::parse(url)?;
    let deadline = Instant::now() + options.connect_timeout;
    let tcp = timeout_at(
        deadline,
        TcpStream::connect((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| Error::timeout("TCP connect"))??;
    let _ = tcp.set_nodelay(true);
    let local_addr = tcp.local_addr().ok();
    let peer_addr = tcp.peer_addr().ok();
    let deadline = Instant::now() + options.handshake_timeout;
    let (ws, response) = timeout_at(
        deadline,
        handshake(Transport::Tcp(tcp), &target, &options, |info| {
            info.local_addr = local_addr;
            info.peer_addr = peer_addr;
        }),
    )
    .await
    .map_err(|_| Error::timeout("opening handshake"))??;
    Ok((ws, response))
}

/// A parsed `ws://` URL.
pub(crate) struct Target {
    pub(crate) uri: http::Uri,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let parsed = url::Url::parse(url).map_err(|e| Error::invalid_url(format!("{url}: {e}")))?;
        let default_port = match parsed.scheme() {
            "ws" => 80,
            "wss" => return Err(Error::invalid_url("wss:// (TLS) is not supported yet")),
            other => return Err(Error::invalid_url(format!("scheme {other:?} is not ws"))),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::invalid_url(format!("{url}: no host"))),
        };
        if parsed.fragment().is_some() {
            // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
            // WebSocket URIs and MUST NOT be used".
            return Err(Error::invalid_url(format!("{url}: fragment not allowed")));
        }
        let port = parsed.port().unwrap_or(default_port);
        let uri: http::Uri = parsed
            .as_str()
            .parse()
            .map_err(|e| Error::invalid_url(format!("{url}: {e}")))?;
        Ok(Self { uri, host, port })
    }
}

/// The opening handshake over an established stream.
async fn handshake(
    mut io: Transport,
    target: &Target,
    options: &ClientOptions,
    fill_info: impl FnOnce(&mut HandshakeInfo),
) -> Result<(WebSocket, Response<()>), Error> {
    if options.variant == Variant::Hybi00 {
        return handshake_hybi00(io, target, options, fill_info).await;
    }
    let mut nonce = [0u8; 16];
    crate::random::fill(&mut nonce);
    let (request, expected) = ClientRequest::new(target.uri.clone(), nonce)
        .subprotocols(options.subprotocols.iter().cloned())
        .headers(options.headers.clone())
        .build()?;
    write_request(&mut io, &request, &[]).await?;
    let (response, buf) = read_101(&mut io, options).await?;
    let answer = expected.check_response(&response)?;
    let mut info = HandshakeInfo::from_request(&request);
    info.subprotocol = answer.subprotocol().map(str::to_owned);
    info.response_headers = response.headers().clone();
    fill_info(&mut info);
    let ws = WebSocket::from_parts(io, Role::Client, options.config, buf, info);
    Ok((ws, response))
}

/// The hybi-00 opening handshake: keys and key3 out, the 101 head and the 16-byte answer
/// in.
async fn handshake_hybi00(
    mut io: Transport,
    target: &Target,
    options: &ClientOptions,
    fill_info: impl FnOnce(&mut HandshakeInfo),
) -> Result<(WebSocket, Response<()>), Error> {
    let mut rng = rand::rngs::StdRng::from_seed(crate::random::seed());
    let protocols: Vec<&str> = options.subprotocols.iter().map(String::as_str).collect();
    let origin = options
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let (expected, mut request, key3) =
        hybi00::client_request(&target.uri, &mut rng, &protocols, origin)?;
    for (name, value) in &options.headers {
        if !request.headers().contains_key(name) {
            request.headers_mut().append(name, value.clone());
        }
    }
    write_request(&mut io, &request, &key3).await?;
    let (response, mut buf) = read_101(&mut io, options).await?;
    while buf.len() < hybi00::ANSWER_LEN {
        buf.reserve(hybi00::ANSWER_LEN);
        if io.read_buf(&mut buf).await? == 0 {
            return Err(Error::from(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the hybi-00 handshake answer",
            )));
        }
    }
    let mut answer = [0u8; hybi00::ANSWER_LEN];
    answer.copy_from_slice(&buf.split_to(hybi00::ANSWER_LEN));
    let subprotocol = expected.check_response(&response, &answer)?;
    let mut info = HandshakeInfo::from_request(&request);
    info.subprotocol = subprotocol;
    info.response_headers = response.headers().clone();
    fill_info(&mut info);
    let core = Connection::hybi00(Role::Client, options.hybi00_framing, options.config.limits);
    let ws = WebSocket::from_core(io, core, options.config, buf, info);
    Ok((ws, response))
}

/// Write the request head, then `body` (hybi-00's key3).
async fn write_request(
    io: &mut Transport,
    request: &http::Request<()>,
    body: &[u8],
) -> Result<(), Error> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(b"GET ");
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(body);
    io.write_all(&head).await?;
    Ok(())
}

/// Read the response head; anything but 101 is an error carrying status, headers and the
/// start of the body. Returns the head and the bytes read past it.
async fn read_101(
    io: &mut Transport,
    options: &ClientOptions,
) -> Result<(Response<()>, BytesMut), Error> {
    let mut buf = BytesMut::with_capacity(1024);
    let (response, head_len) = read_response_head(io, &mut buf, options.max_header_size).await?;
    let _ = buf.split_to(head_len);
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let body = read_some_body(io, buf, &response).await;
        let (parts, ()) = response.into_parts();
        let status = parts.status;
        return Err(Error::handshake(
            HandshakeError::UnexpectedStatus(status),
            Some(Response::from_parts(parts, body)),
        ));
    }
    Ok((response, buf))
}

/// Read until a whole response head is buffered; returns it and its length.
async fn read_response_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    max: usize,
) -> Result<(Response<()>, usize), Error> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                let mut response = Response::new(());
                *response.status_mut() = StatusCode::from_u16(parsed.code.unwrap_or(0))
                    .map_err(|_| HandshakeError::InvalidHeader("status line"))?;
                for h in parsed.headers.iter() {
                    let name = http::header::HeaderName::from_bytes(h.name.as_bytes())
                        .map_err(|_| HandshakeError::InvalidHeader("response header name"))?;
                    let value = http::HeaderValue::from_bytes(h.value)
                        .map_err(|_| HandshakeError::InvalidHeader("response header value"))?;
                    response.headers_mut().append(name, value);
                }
                return Ok((response, len));
            }
            Ok(httparse::Status::Partial) => {}
            Err(_) => return Err(HandshakeError::InvalidHeader("response head").into()),
        }
        if buf.len() >= max {
            return Err(HandshakeError::InvalidHeader("response head too large").into());
        }
        buf.reserve(1024);
        if io.read_buf(buf).await? == 0 {
            return Err(Error::from(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during the opening handshake",
            )));
        }
    }
}

/// The start of a non-101 answer's body, for the error: what has arrived plus what comes
/// within a short wait, up to the content length and [`ERROR_BODY_LIMIT`].
async fn read_some_body<S: AsyncRead + Unpin>(
    io: &mut S,
    mut buf: BytesMut,
    response: &Response<()>,
) -> Bytes {
    let wanted = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(ERROR_BODY_LIMIT)
        .min(ERROR_BODY_LIMIT);
    let deadline = Instant::now() + Duration::from_millis(500);
    while buf.len() < wanted {
        buf.reserve(wanted - buf.len());
        match timeout_at(deadline, io.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
    buf.truncate(wanted);
    buf.freeze()
}
