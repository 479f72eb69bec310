//! [`H2Stream`]: one HTTP/2 stream as a byte stream, for a WebSocket (RFC 8441 §5).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use h2::{Reason, RecvStream, SendStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The byte stream of a WebSocket on one HTTP/2 stream (RFC 8441 §5): what is written goes
/// out in DATA frames, what arrives in DATA frames is read.
///
/// Flow control gives backpressure both ways: a write takes no more than the peer's
/// window allows (and waits when it is shut), and what a read consumes — and only that —
/// is released to the peer's window, so a slow reader slows its peer down instead of
/// buffering without bound. Shutting the writing side down ends the stream (END_STREAM).
///
/// A stream the peer resets reads as an [`io::ErrorKind::ConnectionReset`] error naming
/// the HTTP/2 error code (a `NO_ERROR` reset after the peer's END_STREAM reads as the end
/// of the stream); the connection's other streams are not affected.
///
/// ```no_run
/// # async fn demo(
/// #     send: h2::SendStream<bytes::Bytes>,
/// #     recv: h2::RecvStream,
/// # ) -> Result<(), rfc6455::Error> {
/// use rfc6455::{Config, Role, WebSocket, http2::H2Stream};
/// let mut ws = WebSocket::from_stream(H2Stream::new(send, recv), Role::Client, Config::default());
/// ws.send_text("hello").await?;
/// # Ok(()) }
/// ```
pub struct H2Stream {
    send: SendStream<Bytes>,
    recv: RecvStream,
    /// Data received and not read yet (its capacity not yet released).
    unread: Bytes,
    /// END_STREAM sent.
    ended: bool,
    /// The stream counted on a shared connection of the client's pool.
    slot: Option<super::pool::Slot>,
}

impl fmt::Debug for H2Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Stream")
            .field("stream_id", &self.send.stream_id())
            .field("unread", &self.unread.len())
            .field("ended", &self.ended)
            .field("pooled", &self.slot.is_some())
            .finish()
    }
}

impl H2Stream {
    /// The stream of an extended CONNECT the peer answered `2xx`: `send` from
    /// [`h2::client::SendRequest::send_request`] (sent without END_STREAM), `recv` the
    /// response's body.
    ///
    /// ```no_run
    /// # async fn demo(mut h2: h2::client::SendRequest<bytes::Bytes>, req: http::Request<()>)
    /// # -> Result<(), h2::Error> {
    /// let (response, send) = h2.send_request(req, false)?;
    /// let stream = rfc6455::http2::H2Stream::new(send, response.await?.into_body());
    /// # drop(stream); Ok(()) }
    /// ```
    pub fn new(send: SendStream<Bytes>, recv: RecvStream) -> Self {
        Self {
            send,
            recv,
            unread: Bytes::new(),
            ended: false,
            slot: None,
        }
    }

    /// The stream, counted on its pooled connection until dropped.
    pub(crate) fn pooled(
        send: SendStream<Bytes>,
        recv: RecvStream,
        slot: super::pool::Slot,
    ) -> Self {
        Self {
            slot: Some(slot),
            ..Self::new(send, recv)
        }
    }

    /// Reset the stream with `reason` (RST_STREAM): the peer's WebSocket ends with an
    /// error at once, the connection's other streams go on.
    ///
    /// ```no_run
    /// # fn demo(mut stream: rfc6455::http2::H2Stream) {
    /// stream.reset(h2::Reason::CANCEL);
    /// # }
    /// ```
    pub fn reset(&mut self, reason: Reason) {
        self.send.send_reset(reason);
    }
}

/// An h2 error as an I/O error: a reset names its code.
fn io_error(e: h2::Error) -> io::Error {
    let kind = if e.is_reset() || e.is_go_away() {
        io::ErrorKind::ConnectionReset
    } else if e.is_io() {
        return e
            .into_io()
            .unwrap_or_else(|| io::Error::other("HTTP/2 I/O error"));
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(kind, e)
}

impl AsyncRead for H2Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.unread.is_empty() {
            match ready!(self.recv.poll_data(cx)) {
                None => return Poll::Ready(Ok(())),
                Some(Ok(data)) => self.unread = data,
                Some(Err(e)) if e.reason() == Some(Reason::NO_ERROR) => {
                    return Poll::Ready(Ok(()));
                }
                Some(Err(e)) => return Poll::Ready(Err(io_error(e))),
            }
        }
        let n = self.unread.len().min(buf.remaining());
        buf.put_slice(&self.unread[..n]);
        self.unread.advance(n);
        // Only what was read goes back to the peer's window.
        let _ = self.recv.flow_control().release_capacity(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for H2Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        loop {
            let capacity = self.send.capacity();
            if capacity > 0 {
                let n = capacity.min(buf.len());
                self.send
                    .send_data(Bytes::copy_from_slice(&buf[..n]), false)
                    .map_err(io_error)?;
                return Poll::Ready(Ok(n));
            }
            // Ask for room for this write; h2 grants it as the peer's windows open.
            self.send.reserve_capacity(buf.len());
            match ready!(self.send.poll_capacity(cx)) {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Poll::Ready(Err(io_error(e))),
                None => {
                    // No longer sending: the peer reset the stream, or it ended.
                    return Poll::Ready(Err(match ready!(self.send.poll_reset(cx)) {
                        Ok(reason) => io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            format!("HTTP/2 stream reset by the peer: {reason}"),
                        ),
                        Err(e) => io_error(e),
                    }));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The connection's task writes what h2 has queued.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.ended {
            self.ended = true;
            self.send.send_data(Bytes::new(), true).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }
}
