//! Raw HTTP: requests written exactly as a test means them (`..`, odd case, repeated or
//! missing headers and all), and responses read byte by byte, so that nothing past an
//! answer's head is consumed — after a 101 the rest belongs to the WebSocket.

use std::net::SocketAddr;

use rfc6455::{CloseCode, Config, Message, Role, WebSocket};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::within;

/// The RFC 6455 §1.3 sample key and its accept value: an oracle independent of the library.
pub(crate) const SAMPLE_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub(crate) const SAMPLE_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A valid upgrade request head for `path` on `addr` (the sample key, version 13), with
/// `extra` header lines (each ending in CRLF) before the blank line.
pub(crate) fn upgrade_request(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// `request` with the header lines starting `name:` (case-insensitive) removed.
pub(crate) fn without_header(request: &str, name: &str) -> String {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    request
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with(&prefix))
        .collect()
}

/// `request` with the header lines starting `name:` replaced by `name: value`.
pub(crate) fn with_header(request: &str, name: &str, value: &str) -> String {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    request
        .split_inclusive("\r\n")
        .map(|line| {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                format!("{name}: {value}\r\n")
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// Read an HTTP head (up to and including the blank line) byte by byte, so nothing after
/// it is consumed.
pub(crate) async fn read_head<R: AsyncRead + Unpin>(io: &mut R) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = io.read_u8().await.unwrap_or_else(|e| {
            panic!(
                "the connection ended inside an HTTP head ({e}): {:?}",
                String::from_utf8_lossy(&head)
            )
        });
        head.push(byte);
        assert!(head.len() < 64 * 1024, "HTTP head too long");
    }
    String::from_utf8(head).expect("ASCII head")
}

/// The value of header `name` (case-insensitive) in an HTTP head.
pub(crate) fn header_value(head: &str, name: &str) -> Option<String> {
    header_in(head, name).map(str::to_owned)
}

fn header_in<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// An HTTP response read off the wire.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The status line and the headers, without the blank line.
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Response {
    fn from_head(head: &str, body: Vec<u8>) -> Self {
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        Self {
            status,
            head: head.trim_end_matches("\r\n").to_owned(),
            body,
        }
    }

    /// The first header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.head, name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Read one response from `io`: the head, and a body of `Content-Length` bytes (none
/// without the header).
pub(crate) async fn read_response<R: AsyncRead + Unpin>(io: &mut R) -> Response {
    let head = read_head(io).await;
    let length: usize = header_in(&head, "content-length")
        .map_or(0, |v| v.parse().expect("a numeric Content-Length"));
    let mut body = vec![0; length];
    io.read_exact(&mut body).await.expect("read the body");
    Response::from_head(&head, body)
}

/// Connect to `addr`, write `request`, read the answer (within [`LIMIT`](super::LIMIT));
/// the connection is returned for more.
pub(crate) async fn exchange(addr: SocketAddr, request: &str) -> (TcpStream, Response) {
    let mut tcp = within(TcpStream::connect(addr)).await.expect("connect");
    // The server may answer (and close) before reading all of a large request.
    let _ = tcp.write_all(request.as_bytes()).await;
    let response = within(read_response(&mut tcp)).await;
    (tcp, response)
}

/// After a 101 on `tcp`: a message goes through the server's echo, and the closing
/// handshake ends the connection.
pub(crate) async fn echo_works(tcp: TcpStream) {
    let mut ws = WebSocket::from_stream(tcp, Role::Client, Config::default());
    ws.send_text("over the raw socket").await.expect("send");
    match within(ws.recv()).await {
        Some(Ok(Message::Text(text))) => assert_eq!(text, "over the raw socket"),
        other => panic!("expected the echo, got {other:?}"),
    }
    within(ws.close(CloseCode::NORMAL, ""))
        .await
        .expect("close");
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

/// Send `head` (a request head without the final blank line; `Host` and
/// `Connection: close` are added) and read the whole response, to the end of the
/// connection (a chunked body decoded).
pub(crate) async fn raw_request(addr: SocketAddr, head: &str) -> Response {
    let mut tcp = within(TcpStream::connect(addr)).await.expect("connect");
    let request = format!("{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    within(tcp.read_to_end(&mut bytes)).await.expect("read");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&bytes)));
    let head = std::str::from_utf8(&bytes[..split + 4]).expect("ASCII head");
    let mut body = bytes[split + 4..].to_vec();
    if header_in(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    Response::from_head(head, body)
}

/// `GET {target}` as written (not normalised), with [`raw_request`].
pub(crate) async fn get(addr: SocketAddr, target: &str) -> Response {
    raw_request(addr, &format!("GET {target} HTTP/1.1")).await
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&data[..end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}
