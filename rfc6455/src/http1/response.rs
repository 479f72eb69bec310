//! Response heads: a server's answer to the client's upgrade request (a `101`, a refusal,
//! a redirect) or an HTTP proxy's answer to `CONNECT`, and the start of a refusal's body,
//! kept for the error; and the answer the server's fast path writes itself.

use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderName, HeaderValue, Response, StatusCode};
use rfc6455_proto::HandshakeError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use crate::error::Error;
use crate::http1::{Filled, MAX_HEADERS, Scan, fill, leading_empty_lines, put_headers};

/// How many bytes of a refusal's body are kept in the error.
pub(crate) const ERROR_BODY_LIMIT: usize = 4096;

/// How long the rest of a refusal's body is waited for.
const ERROR_BODY_WAIT: Duration = Duration::from_millis(500);

/// How much of the start of an answer is checked after each read for a status line that
/// cannot be HTTP (`HTTP/1.1 101 Switching Protocols` is 32 bytes).
const STATUS_LINE_CHECK: usize = 64;

/// Read until `buf` holds a whole response head, up to `limit` bytes; returns the head and
/// its length (the bytes after it stay in `buf`). Empty lines before the status line are
/// skipped, as httparse (and RFC 9112 §2.2 for requests) allows.
///
/// # Errors
/// - [`HandshakeError::InvalidHeader`] with `"response head"` for an answer that is not an
///   HTTP/1 response head (told as soon as its start shows it) or has more than
///   [`MAX_HEADERS`] headers, `"response head too large"` for a head that reaches `limit`
///   without its end, `"status line"`, `"response header name"` or
///   `"response header value"` for a part that does not parse;
/// - an [`io::ErrorKind::UnexpectedEof`] error if the peer closes the connection before
///   the end of the head, and any error reading.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    limit: usize,
) -> Result<(Response<()>, usize), Error> {
    let mut scan = Scan::default();
    loop {
        match fill(io, buf, limit, &mut scan, not_a_status_line).await? {
            Filled::Head => {}
            Filled::Malformed => return Err(HandshakeError::InvalidHeader("response head").into()),
            // A head already malformed within what came is malformed, whether its end is
            // past the limit or never comes: the answer does not depend on the reads.
            Filled::TooLarge | Filled::Eof if is_malformed(&buf[..buf.len().min(limit)]) => {
                return Err(HandshakeError::InvalidHeader("response head").into());
            }
            Filled::TooLarge => {
                return Err(HandshakeError::InvalidHeader("response head too large").into());
            }
            Filled::Eof => {
                return Err(Error::from(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed during the opening handshake",
                )));
            }
        }
        // Only the bytes within the limit are the head's (one read may bring more).
        if let Some(parsed) = parse(&buf[..buf.len().min(limit)])? {
            return Ok(parsed);
        }
        // httparse wants more: the blank line found was one of the empty lines before
        // the status line, which it skips. Search on after them (never from the start).
        let skipped = leading_empty_lines(buf);
        if skipped <= scan.floor() {
            return Err(HandshakeError::InvalidHeader("response head").into());
        }
        scan.restart_at(skipped);
    }
}

/// Whether the start of `buf` already cannot begin a response head. Looks at no more than
/// [`STATUS_LINE_CHECK`] bytes.
fn not_a_status_line(buf: &[u8]) -> bool {
    let start = &buf[..buf.len().min(STATUS_LINE_CHECK)];
    // Enough room for every header that fits in the bytes looked at.
    let mut headers = [httparse::EMPTY_HEADER; STATUS_LINE_CHECK / 3];
    httparse::Response::new(&mut headers).parse(start).is_err()
}

/// Whether the start of a head is already not HTTP/1: httparse refuses it before its end.
fn is_malformed(buf: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    httparse::Response::new(&mut headers).parse(buf).is_err()
}

/// Parse a buffer that holds a blank line: the head and its length, or `None` if httparse
/// wants more (the blank line was before the status line).
fn parse(buf: &[u8]) -> Result<Option<(Response<()>, usize)>, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(HandshakeError::InvalidHeader("response head").into()),
    };
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(parsed.code.unwrap_or(0))
        .map_err(|_| HandshakeError::InvalidHeader("status line"))?;
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| HandshakeError::InvalidHeader("response header name"))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| HandshakeError::InvalidHeader("response header value"))?;
        response.headers_mut().append(name, value);
    }
    Ok(Some((response, len)))
}

/// The start of a refusal's body, for the error: `buf` (what came after the head) plus
/// what comes within a short wait, up to the content length and [`ERROR_BODY_LIMIT`].
pub(crate) async fn read_body_start<S: AsyncRead + Unpin>(
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
    let deadline = Instant::now() + ERROR_BODY_WAIT;
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

/// Write `response` (its head; then `body`, with its `Content-Length`) to `io`, as the
/// server's fast path answers an upgrade request without hyper. `close` adds
/// `connection: close` to an answer with a body.
pub(crate) async fn write<S: AsyncWrite + Unpin, B>(
    io: &mut S,
    response: &Response<B>,
    body: Option<&[u8]>,
    close: bool,
) -> io::Result<()> {
    let mut out = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
    let status = response.status();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    match response.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(reason) => out.extend_from_slice(reason.as_bytes()),
        None => out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
    put_headers(&mut out, response.headers());
    if let Some(body) = body {
        if !response
            .headers()
            .contains_key(http::header::CONTENT_LENGTH)
        {
            out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        if close {
            out.extend_from_slice(b"connection: close\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
    io.write_all(&out).await?;
    io.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::testing::Pieces;

    const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    async fn read(io: &mut Pieces, limit: usize) -> Result<(Response<()>, usize, BytesMut), Error> {
        let mut buf = BytesMut::new();
        let (response, len) = read_head(io, &mut buf, limit).await?;
        Ok((response, len, buf))
    }

    /// Found by the `http1_head` fuzz target: the error for a malformed head depended on
    /// how its bytes arrived (malformed in one read; "too large" or a closed connection in
    /// several), because one read could bring bytes past the limit or the reading stopped
    /// before the bad byte. Now only the bytes within the limit are judged, at every end.
    #[tokio::test]
    async fn the_error_does_not_depend_on_the_reads() {
        let mut unfinished = b"\r\n\n".to_vec();
        unfinished.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
        unfinished.extend_from_slice(b"Bad Header: x\r\n");
        let mut bad_past_limit = b"\r\n\n".to_vec();
        bad_past_limit
            .extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: we\x01\r\n\r\n");
        for (bytes, limit) in [(&unfinished, 8192), (&bad_past_limit, 24)] {
            let whole = read(&mut Pieces::new([bytes.to_vec()]), limit)
                .await
                .unwrap_err()
                .to_string();
            for at in 0..=bytes.len() {
                let split = read(&mut Pieces::split(bytes, at), limit)
                    .await
                    .unwrap_err()
                    .to_string();
                assert_eq!(split, whole, "limit {limit}, split at {at}");
            }
            let bytewise = read(&mut Pieces::bytewise(bytes), limit)
                .await
                .unwrap_err()
                .to_string();
            assert_eq!(bytewise, whole, "limit {limit}, a byte a read");
        }
    }

    #[tokio::test]
    async fn a_head_split_anywhere_is_read_with_the_bytes_behind_it() {
        let mut bytes = SWITCHING.to_vec();
        bytes.extend_from_slice(b"\x81\x02hi");
        for at in 0..=bytes.len() {
            let (response, len, buf) = read(&mut Pieces::split(&bytes, at), 1024).await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::SWITCHING_PROTOCOLS,
                "split at {at}"
            );
            assert_eq!(response.headers()["upgrade"], "websocket");
            assert_eq!(response.headers().len(), 3);
            assert_eq!(len, SWITCHING.len(), "split at {at}");
            assert!(buf.starts_with(SWITCHING), "split at {at}");
        }
        let (_, len, buf) = read(&mut Pieces::bytewise(&bytes), 1024).await.unwrap();
        assert_eq!((len, buf.len()), (SWITCHING.len(), SWITCHING.len()));
    }

    #[tokio::test]
    async fn empty_lines_before_the_status_line_are_skipped() {
        for leading in [&b"\r\n"[..], b"\n\n", b"\r\n\r\n\n", b"\n\r\n"] {
            let bytes = [leading, SWITCHING].concat();
            for mut pieces in [Pieces::bytewise(&bytes), Pieces::new([bytes.clone()])] {
                let (response, len, _) = read(&mut pieces, 1024).await.unwrap();
                assert_eq!(response.status(), 101, "{leading:?}");
                assert_eq!(len, bytes.len(), "{leading:?}");
            }
        }
    }

    #[tokio::test]
    async fn a_peer_that_does_not_speak_http_is_not_waited_for() {
        // No blank line, and the connection stays open: the start alone tells.
        for start in [
            &b"SSH-2.0-OpenSSH_9.6\r\n"[..],
            b"\x15\x03\x03\x00\x02\x02\x46",
            b"\r\r",
        ] {
            let mut io = Pieces::new([start.to_vec()]);
            let mut buf = BytesMut::new();
            let err = read_head(&mut io, &mut buf, 1024).await.unwrap_err();
            assert_eq!(
                err.handshake_error(),
                Some(&HandshakeError::InvalidHeader("response head")),
                "{start:?}"
            );
            assert_eq!(io.reads, 1, "{start:?}: answered after the first read");
        }
    }

    #[tokio::test]
    async fn malformed_oversize_and_unfinished_heads() {
        let cases: [(&[u8], &str); 3] = [
            (b"HTTP/1.1 101 OK\r\nbad header\r\n\r\n", "response head"),
            (b"HTTP/1.1 099 Odd\r\n\r\n", "status line"),
            (
                b"HTTP/1.1 101 OK\r\nX: y\r\nX-Long: aaaaaaaaaaaaaaaaaaaa\r\n",
                "response head too large",
            ),
        ];
        for (bytes, what) in cases {
            let err = read(&mut Pieces::new([bytes.to_vec(), b"\r\n".to_vec()]), 40)
                .await
                .unwrap_err();
            assert_eq!(
                err.handshake_error(),
                Some(&HandshakeError::InvalidHeader(what)),
                "{bytes:?}: {err}"
            );
        }
        let many: Vec<u8> = [
            &b"HTTP/1.1 101 OK\r\n"[..],
            &b"X: y\r\n".repeat(MAX_HEADERS + 1),
            b"\r\n",
        ]
        .concat();
        let err = read(&mut Pieces::new([many]), 4096).await.unwrap_err();
        assert_eq!(
            err.handshake_error(),
            Some(&HandshakeError::InvalidHeader("response head"))
        );
        let err = read(&mut Pieces::new([b"HTTP/1.1 101 OK\r\n".to_vec()]), 1024)
            .await
            .unwrap_err();
        assert_eq!(
            err.io_error().map(io::Error::kind),
            Some(io::ErrorKind::UnexpectedEof)
        );
    }

    #[tokio::test]
    async fn the_body_start_is_bounded_by_its_length_and_the_limit() {
        let response = |length: Option<usize>| {
            let mut r = Response::new(());
            if let Some(n) = length {
                r.headers_mut().insert("content-length", n.into());
            }
            r
        };
        let body = read_body_start(
            &mut Pieces::new([b"llo, world".to_vec()]),
            BytesMut::from(&b"he"[..]),
            &response(Some(5)),
        )
        .await;
        assert_eq!(&body[..], b"hello");
        let long = vec![b'x'; 2 * ERROR_BODY_LIMIT];
        let body =
            read_body_start(&mut Pieces::new([long]), BytesMut::new(), &response(None)).await;
        assert_eq!(body.len(), ERROR_BODY_LIMIT);
        let body = read_body_start(
            &mut Pieces::default(),
            BytesMut::from(&b"short"[..]),
            &response(Some(100)),
        )
        .await;
        assert_eq!(
            &body[..],
            b"short",
            "what came before the end of the stream"
        );
    }
}
