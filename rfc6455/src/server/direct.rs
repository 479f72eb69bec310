//! The fast path of the server: an upgrade request read and answered straight off the
//! socket, without hyper.
//!
//! Most connections to a WebSocket server send one request, an upgrade, and then speak
//! WebSocket for the rest of their life. Reading that request ourselves (httparse) and
//! writing the `101` ourselves saves hyper's per-connection machinery (its connection
//! state, buffers, the upgrade channel and the boxed upgraded stream) and a second task:
//! the connection's task goes on to run the handler. Everything else (plain HTTP, a
//! request with a body, a malformed or oversized head) is handed to hyper with the bytes
//! read so far put back in front, so hyper's answers (`400`, `431`, the fallback service)
//! are unchanged.

use std::io;

use bytes::{BufMut, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, Uri, Version};
use rfc6455_proto::handshake;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most headers a request read on the fast path may have; a request with more goes
/// to hyper (which allows 100).
const MAX_HEADERS: usize = 64;

/// What the first request head on a connection is.
#[derive(Debug)]
pub(crate) enum Head {
    /// A complete WebSocket upgrade request (`Upgrade: websocket`) without a body, whose
    /// head is the first `len` bytes read.
    Upgrade(Box<Request<()>>, usize),
    /// Anything else: hyper serves the connection, starting from the bytes read so far.
    Other,
}

/// Read the first request head from `io` into `buf`, up to `limit` bytes. `Ok(None)` if
/// the peer closed the connection before sending anything.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    limit: usize,
) -> io::Result<Option<Head>> {
    // Where the search for the blank line that ends the head goes on from: each byte is
    // looked at once, however the head is split into reads.
    let mut scanned: usize = 0;
    loop {
        if buf.capacity() - buf.len() < 512 {
            buf.reserve(if buf.is_empty() { 1024 } else { buf.len() });
        }
        if io.read_buf(buf).await? == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            // An unfinished head: hyper ends the connection as it always does.
            return Ok(Some(Head::Other));
        }
        let from = scanned.saturating_sub(3);
        scanned = buf.len();
        if has_blank_line(&buf[from..]) {
            return Ok(Some(parse(buf)));
        }
        if buf.len() >= limit {
            return Ok(Some(Head::Other));
        }
    }
}

/// Whether `bytes` hold the end of a request head: an empty line (`\r\n\r\n`, or bare
/// `\n` line ends, which httparse also accepts).
fn has_blank_line(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\n\r" && bytes.get(i + 2) == Some(&b'\n')))
}

/// Parse a buffer that holds a whole head.
fn parse(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => match to_request(&req) {
            Some(request) if handshake::is_upgrade_request(&request) && !has_body(&request) => {
                Head::Upgrade(Box::new(request), len)
            }
            _ => Head::Other,
        },
        _ => Head::Other,
    }
}

/// The parsed head as an `http` request; `None` if any part is not what hyper would
/// accept either (hyper then answers it).
fn to_request(req: &httparse::Request<'_, '_>) -> Option<Request<()>> {
    let method = Method::from_bytes(req.method?.as_bytes()).ok()?;
    let uri: Uri = req.path?.parse().ok()?;
    let version = match req.version? {
        0 => Version::HTTP_10,
        1 => Version::HTTP_11,
        _ => return None,
    };
    let mut headers = HeaderMap::with_capacity(req.headers.len());
    for header in req.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(header.value).ok()?;
        headers.append(name, value);
    }
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    Some(request)
}

/// Whether the request announces a body (which hyper, not the fast path, knows how to
/// read past).
fn has_body(request: &Request<()>) -> bool {
    let headers = request.headers();
    headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers
            .get_all(http::header::CONTENT_LENGTH)
            .iter()
            .any(|v| v.as_bytes() != b"0")
}

/// Whether the connection ends after the answer to `request` (HTTP/1.0, or
/// `Connection: close`).
pub(crate) fn wants_close(request: &Request<()>) -> bool {
    request.version() < Version::HTTP_11
        || handshake::header_has_token(request.headers(), http::header::CONNECTION, "close")
}

/// Write `response` (its head; then `body`, with its `Content-Length`) to `io`.
pub(crate) async fn write_response<S: AsyncWrite + Unpin, B>(
    io: &mut S,
    response: &Response<B>,
    body: Option<&[u8]>,
    close: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
    let status = response.status();
    out.put_slice(b"HTTP/1.1 ");
    out.put_slice(status.as_str().as_bytes());
    out.put_u8(b' ');
    match response.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(reason) => out.put_slice(reason.as_bytes()),
        None => out.put_slice(status.canonical_reason().unwrap_or("").as_bytes()),
    }
    out.put_slice(b"\r\n");
    for (name, value) in response.headers() {
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    if let Some(body) = body {
        if !response
            .headers()
            .contains_key(http::header::CONTENT_LENGTH)
        {
            out.put_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        if close {
            out.put_slice(b"connection: close\r\n");
        }
    }
    out.put_slice(b"\r\n");
    if let Some(body) = body {
        out.put_slice(body);
    }
    io.write_all(&out).await?;
    io.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn blank_line_in_any_line_ending() {
        assert!(has_blank_line(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(has_blank_line(b"GET / HTTP/1.1\n\n"));
        assert!(has_blank_line(b"\n\r\n"));
        assert!(!has_blank_line(b"GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(!has_blank_line(b"\n\r"));
    }

    #[test]
    fn an_upgrade_is_parsed_with_its_length() {
        let mut bytes = UPGRADE.to_vec();
        bytes.extend_from_slice(b"\x81\x80more");
        let Head::Upgrade(request, len) = parse(&bytes) else {
            panic!("not an upgrade");
        };
        assert_eq!(len, UPGRADE.len());
        assert_eq!(request.uri().path(), "/chat");
        assert_eq!(request.uri().query(), Some("x=1"));
        assert_eq!(request.headers()["sec-websocket-version"], "13");
        assert!(handshake::check_request(&request).is_ok());
    }

    #[test]
    fn everything_else_goes_to_hyper() {
        for head in [
            &b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc",
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/2.0\r\nUpgrade: websocket\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade websocket\r\n\r\n",
        ] {
            assert!(matches!(parse(head), Head::Other), "{head:?}");
        }
    }

    #[test]
    fn close_is_wanted_by_http_1_0_and_connection_close() {
        let req = |v, c: &str| {
            let mut r = Request::new(());
            *r.version_mut() = v;
            r.headers_mut().insert("connection", c.parse().unwrap());
            r
        };
        assert!(wants_close(&req(Version::HTTP_10, "upgrade")));
        assert!(wants_close(&req(Version::HTTP_11, "Upgrade, close")));
        assert!(!wants_close(&req(Version::HTTP_11, "Upgrade")));
    }
}
