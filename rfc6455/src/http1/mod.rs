//! HTTP/1 message heads, read and written without hyper: the client's upgrade request and
//! the answer to it (a `101`, a refusal, a redirect), an HTTP proxy's answer to `CONNECT`,
//! and the upgrade request the server's fast path reads off a new connection.
//!
//! Reading is bounded and linear. Bytes are read into the caller's buffer until it holds
//! the blank line that ends a head, or until it holds the most a head may have; the search
//! for the blank line goes on from where the previous read ended, so each byte is looked
//! at once however the head is split into reads. httparse then parses the whole head once.
//!
//! - [`request`]: request heads (read by the server, written by the client);
//! - [`response`]: response heads (read by the client and for a proxy's `CONNECT`), and the
//!   start of a refusal's body for the error.

use std::io;

use bytes::BytesMut;
use http::HeaderMap;
use tokio::io::{AsyncRead, AsyncReadExt};

pub(crate) mod request;
pub(crate) mod response;

/// The most headers a head read here may have.
pub(crate) const MAX_HEADERS: usize = 64;

/// What [`fill`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filled {
    /// The buffer holds a blank line: a whole head, and maybe bytes after it.
    Head,
    /// What came so far cannot start a head (the `malformed` check of [`fill`]).
    Malformed,
    /// The buffer reached the size limit without a blank line.
    TooLarge,
    /// The peer closed the connection before the blank line (the buffer holds what came).
    Eof,
}

/// Where the search for the blank line that ends a head stands in a buffer.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Bytes before this are never looked at (leading empty lines already skipped).
    floor: usize,
    /// Bytes up to here have been searched.
    scanned: usize,
}

impl Scan {
    /// Search the bytes of `buf` not searched yet; whether they complete a blank line.
    ///
    /// A blank line may straddle two reads: the last three bytes searched are looked at
    /// again with the new ones (`\n\r\n` is the longest end of a head).
    pub(crate) fn blank_line(&mut self, buf: &[u8]) -> bool {
        let from = self.scanned.saturating_sub(3).max(self.floor);
        self.scanned = buf.len();
        from < buf.len() && has_blank_line(&buf[from..])
    }

    /// Where the search may start: bytes before this are never looked at.
    pub(crate) fn floor(&self) -> usize {
        self.floor
    }

    /// Search again from `at`, never looking at the bytes before it.
    pub(crate) fn restart_at(&mut self, at: usize) {
        self.floor = at;
        self.scanned = at;
    }
}

/// Whether `bytes` hold the end of a head: an empty line (`\r\n\r\n`, or bare `\n` line
/// ends, which httparse also accepts).
fn has_blank_line(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\n\r" && bytes.get(i + 2) == Some(&b'\n')))
}

/// How many bytes the empty lines (`\r\n` or `\n`) at the start of `buf` take.
pub(crate) fn leading_empty_lines(buf: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match &buf[at..] {
            [b'\n', ..] => at += 1,
            [b'\r', b'\n', ..] => at += 2,
            _ => return at,
        }
    }
}

/// Read from `io` into `buf` until it holds a blank line, holds `limit` bytes or more, or
/// the peer closes the connection. What `buf` already holds is searched first; `scan`
/// remembers how far the search went, for a caller that goes on after [`Filled::Head`].
///
/// `malformed` looks at what has come before each read, and stops the reading when it
/// already cannot be a head (a peer that does not speak HTTP need not be waited for). It
/// must take constant time (look at a bounded start of the buffer), or the reading is not
/// linear any more.
///
/// # Cancel safety
/// Cancel-safe: what was read stays in `buf` and `scan` knows how far it was searched, so
/// a later call with both goes on where this one stopped.
pub(crate) async fn fill<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    limit: usize,
    scan: &mut Scan,
    malformed: impl Fn(&[u8]) -> bool,
) -> io::Result<Filled> {
    loop {
        // Only the bytes within the limit are looked at, however they arrived (one read
        // may bring more than the limit): a head ends within it or is too large.
        let within = &buf[..buf.len().min(limit)];
        if scan.blank_line(within) {
            return Ok(Filled::Head);
        }
        if malformed(within) {
            return Ok(Filled::Malformed);
        }
        if buf.len() >= limit {
            return Ok(Filled::TooLarge);
        }
        if buf.capacity() - buf.len() < 512 {
            buf.reserve(if buf.is_empty() { 1024 } else { buf.len() });
        }
        if io.read_buf(buf).await? == 0 {
            return Ok(Filled::Eof);
        }
    }
}

/// Append `name: value\r\n` for every header.
pub(crate) fn put_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(any(test, fuzzing))]
pub(crate) mod testing {
    //! A reader that hands out its bytes in the pieces it was given, one piece a read.

    use std::collections::VecDeque;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncRead, ReadBuf};

    /// Yields each piece in one read (or several, if the read buffer is smaller), then
    /// end of stream. Counts the reads.
    #[derive(Debug, Default)]
    pub(crate) struct Pieces {
        pieces: VecDeque<Vec<u8>>,
        pub(crate) reads: usize,
    }

    impl Pieces {
        pub(crate) fn new<I: IntoIterator<Item = Vec<u8>>>(pieces: I) -> Self {
            Self {
                pieces: pieces.into_iter().collect(),
                reads: 0,
            }
        }

        /// `bytes` split at `at`.
        #[cfg(test)]
        pub(crate) fn split(bytes: &[u8], at: usize) -> Self {
            Self::new([bytes[..at].to_vec(), bytes[at..].to_vec()])
        }

        /// `bytes` one byte a read.
        #[cfg(test)]
        pub(crate) fn bytewise(bytes: &[u8]) -> Self {
            Self::new(bytes.iter().map(|b| vec![*b]))
        }
    }

    impl AsyncRead for Pieces {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.reads += 1;
            while let Some(mut piece) = self.pieces.pop_front() {
                if piece.is_empty() {
                    continue;
                }
                let n = piece.len().min(buf.remaining());
                buf.put_slice(&piece[..n]);
                if n < piece.len() {
                    self.pieces.push_front(piece.split_off(n));
                }
                break;
            }
            Poll::Ready(Ok(()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Pieces;
    use super::*;

    #[test]
    fn blank_line_in_any_line_ending() {
        assert!(has_blank_line(b"GET / HTTP/1.1\r\n\r\n"));
        assert!(has_blank_line(b"GET / HTTP/1.1\n\n"));
        assert!(has_blank_line(b"\n\r\n"));
        assert!(!has_blank_line(b"GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(!has_blank_line(b"\n\r"));
    }

    #[tokio::test]
    async fn a_head_split_anywhere_is_found_where_it_ends() {
        for head in [
            &b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"HTTP/1.1 101 Switching Protocols\n\n",
            b"HTTP/1.1 200 OK\r\nA: b\n\r\n",
        ] {
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(b"after");
            for at in 0..=bytes.len() {
                let mut io = Pieces::split(&bytes, at);
                let mut buf = BytesMut::new();
                let filled = fill(&mut io, &mut buf, 1024, &mut Scan::default(), |_| false).await;
                assert_eq!(filled.unwrap(), Filled::Head, "split at {at}");
                assert!(buf.len() >= head.len(), "split at {at}: {buf:?}");
            }
            let mut io = Pieces::bytewise(&bytes);
            let mut buf = BytesMut::new();
            let filled = fill(&mut io, &mut buf, 1024, &mut Scan::default(), |_| false).await;
            assert_eq!(filled.unwrap(), Filled::Head);
            assert_eq!(&buf[..], head, "read no further than the blank line");
        }
    }

    #[test]
    fn each_byte_is_searched_once() {
        // A long head arriving a byte at a time: the search looks at the new byte and
        // the three before it, never again from the start.
        let mut scan = Scan::default();
        let head = [
            b"GET / HTTP/1.1\r\n".as_slice(),
            &[b'x'; 10_000],
            b"\r\n\r\n",
        ]
        .concat();
        for end in 1..head.len() {
            assert!(!scan.blank_line(&head[..end]), "{end}");
            assert_eq!(scan.scanned, end);
        }
        assert!(scan.blank_line(&head));
    }

    #[test]
    fn a_restarted_search_ignores_what_came_before() {
        let mut scan = Scan::default();
        assert!(scan.blank_line(b"\r\n\r\n"));
        scan.restart_at(4);
        assert!(!scan.blank_line(b"\r\n\r\nHTTP/1.1 101 OK\r\n"));
        assert!(scan.blank_line(b"\r\n\r\nHTTP/1.1 101 OK\r\n\r\n"));
    }

    #[tokio::test]
    async fn the_limit_and_the_end_of_the_stream_stop_the_reading() {
        let mut io = Pieces::new([vec![b'x'; 100], vec![b'x'; 100]]);
        let mut buf = BytesMut::new();
        let filled = fill(&mut io, &mut buf, 150, &mut Scan::default(), |_| false).await;
        assert_eq!(filled.unwrap(), Filled::TooLarge);
        assert_eq!(buf.len(), 200);

        let mut io = Pieces::new([b"GET / HTTP/1.1\r\n".to_vec()]);
        let mut buf = BytesMut::new();
        let filled = fill(&mut io, &mut buf, 1024, &mut Scan::default(), |_| false).await;
        assert_eq!(filled.unwrap(), Filled::Eof);
        assert_eq!(&buf[..], b"GET / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn what_the_buffer_holds_is_searched_before_reading() {
        let mut io = Pieces::default();
        let mut buf = BytesMut::from(&b"HTTP/1.1 101 OK\r\n\r\n"[..]);
        let filled = fill(&mut io, &mut buf, 1024, &mut Scan::default(), |_| false).await;
        assert_eq!(filled.unwrap(), Filled::Head);
        assert_eq!(io.reads, 0);
    }

    #[test]
    fn headers_are_written_one_a_line() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "a".parse().unwrap());
        headers.append("x", "1".parse().unwrap());
        headers.append("x", "2".parse().unwrap());
        let mut out = Vec::new();
        put_headers(&mut out, &headers);
        assert_eq!(out, b"host: a\r\nx: 1\r\nx: 2\r\n");
    }
}
