//! [`MessageReader`]: a message received as it arrives.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use rfc6455_proto::{DataKind, SendError, Variant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::driver::Chunk;
use crate::driver::shared::DriverRef;
use crate::error::Error;

/// The next message, read as it arrives
/// ([`WebSocket::recv_stream`](crate::WebSocket::recv_stream)).
///
/// Implements `AsyncRead` (`read` returns 0 at the end of the message) and
/// `Stream<Item = Result<Bytes, Error>>` (chunks as they arrive, without copying).
/// Dropping it before the end discards the rest of the message; the connection stays
/// usable.
///
/// # Cancel safety
/// Reading is cancel-safe: bytes not yet handed out stay in the reader or the connection.
///
/// ```no_run
/// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
/// if let Some(reader) = ws.recv_stream().await {
///     let mut reader = reader?;
///     while let Some(chunk) = reader.next_chunk().await {
///         println!("{} more bytes of a {:?} message", chunk?.len(), reader.kind());
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "the message is only read through the reader"]
pub struct MessageReader<'a, S> {
    source: DriverRef<'a, S>,
    kind: DataKind,
    current: Bytes,
    done: bool,
    received: u64,
}

impl<S> std::fmt::Debug for MessageReader<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageReader")
            .field("kind", &self.kind)
            .field("received", &self.received)
            .field("done", &self.done)
            .finish()
    }
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> MessageReader<'a, S> {
    /// Start a streamed receive and wait for the first piece of the next message; `None`
    /// once the connection is closed.
    pub(crate) async fn open(mut source: DriverRef<'a, S>) -> Option<Result<Self, Error>> {
        if source.with_now(|driver| driver.core().variant()) == Variant::Hybi00 {
            return Some(Err(
                SendError::Unsupported("streamed receive (hybi-00)").into()
            ));
        }
        source.with_now(|driver| driver.begin_streamed_receive());
        let chunk = match poll_fn(|cx| Self::poll_source(&mut source, cx)).await? {
            Ok(chunk) => chunk,
            Err(e) => return Some(Err(e)),
        };
        let mut reader = MessageReader {
            source,
            kind: chunk.kind,
            current: Bytes::new(),
            done: false,
            received: 0,
        };
        reader.accept(chunk);
        Some(Ok(reader))
    }

    /// Text or binary.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// if let Some(Ok(reader)) = ws.recv_stream().await {
    ///     assert!(matches!(reader.kind(), rfc6455::DataKind::Text | rfc6455::DataKind::Binary));
    /// }
    /// # }
    /// ```
    pub fn kind(&self) -> DataKind {
        self.kind
    }

    /// Payload bytes received so far.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// if let Some(reader) = ws.recv_stream().await {
    ///     let mut reader = reader?;
    ///     while let Some(chunk) = reader.next_chunk().await {
    ///         chunk?;
    ///         println!("{} bytes so far", reader.received());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether the whole message has arrived (all of it may not have been read yet).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// if let Some(reader) = ws.recv_stream().await {
    ///     let mut reader = reader?;
    ///     let data = reader.read_to_vec().await?;
    ///     assert!(reader.is_complete());
    ///     println!("{} bytes", data.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_complete(&self) -> bool {
        self.done
    }

    /// The next chunk of the message as it arrived: `None` at the end of the message.
    ///
    /// # Errors
    /// The connection failed, or ended before the message did
    /// ([`ErrorKind::Abnormal`](crate::ErrorKind::Abnormal) or the protocol error).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// if let Some(reader) = ws.recv_stream().await {
    ///     let mut reader = reader?;
    ///     while let Some(chunk) = reader.next_chunk().await {
    ///         println!("{:?}", chunk?);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        poll_fn(|cx| self.poll_next_chunk(cx)).await
    }

    /// Read the rest of the message into a `Vec` (bounded only by what the peer sends:
    /// use [`Limits`](crate::Limits) or read in pieces for untrusted peers).
    ///
    /// # Errors
    /// As for [`next_chunk`](Self::next_chunk).
    ///
    /// # Cancel safety
    /// Not cancel-safe: what was read into the `Vec` is lost with the future (the rest of
    /// the message stays in the reader).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// if let Some(reader) = ws.recv_stream().await {
    ///     let data = reader?.read_to_vec().await?;
    ///     println!("{} bytes", data.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn read_to_vec(&mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    fn poll_source(
        source: &mut DriverRef<'_, S>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Chunk, Error>>> {
        source.with(cx, |driver, cx| driver.poll_chunk(cx, true))
    }

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        loop {
            if !self.current.is_empty() {
                return Poll::Ready(Some(Ok(std::mem::take(&mut self.current))));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match ready!(Self::poll_source(&mut self.source, cx)) {
                Some(Ok(chunk)) => self.accept(chunk),
                Some(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::abnormal())));
                }
            }
        }
    }

    fn accept(&mut self, chunk: Chunk) {
        self.received += chunk.payload.len() as u64;
        self.current = chunk.payload;
        self.done = chunk.fin;
    }
}

impl<S> Drop for MessageReader<'_, S> {
    fn drop(&mut self) {
        if !self.done {
            self.source.with_unpolled(|driver| driver.mark_discarding());
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for MessageReader<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.current.is_empty() {
            match ready!(this.poll_next_chunk(cx)) {
                Some(Ok(chunk)) => this.current = chunk,
                Some(Err(e)) if e.kind() == crate::ErrorKind::Abnormal => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection ended in the middle of a message",
                    )));
                }
                Some(Err(e)) => return Poll::Ready(Err(e.into())),
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.current.len().min(buf.remaining());
        buf.put_slice(&this.current[..n]);
        this.current.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::Stream for MessageReader<'_, S> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_chunk(cx)
    }
}
