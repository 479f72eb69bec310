//! Messages as streams: send from a reader or through a writer, receive into a reader —
//! with memory bounded by the fragment size, whatever the message size.
//!
//! - [`WebSocket::send_stream`] sends everything an `AsyncRead` yields as one message, in
//!   fragments of at most [`Config::stream_fragment_size`](crate::Config::stream_fragment_size)
//!   bytes; [`WebSocket::send_chunks`] does the same from a `Stream` of byte chunks;
//!   [`WebSocket::message_writer`] gives an `AsyncWrite` whose bytes become fragments,
//!   finished by `shutdown`.
//! - [`WebSocket::recv_stream`] gives the next message as a [`MessageReader`]: an
//!   `AsyncRead` (and a `Stream` of `Bytes` chunks) that yields the payload as frames
//!   arrive. End of message is `Ok(0)` from `read`; the connection ending first is an
//!   `UnexpectedEof` error, so the two are told apart.
//! - [`WebSocket::recv_fragment`] and [`WebSocket::send_fragment`] work frame by frame.
//!
//! hybi-00 connections have no fragments: their streaming methods return
//! [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported).

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use rfc6455_proto::{CloseCode, DataKind, SendError, Utf8Validator, Variant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::error::Error;
use crate::socket::{Chunk, WebSocket};
use crate::split::{RecvHalf, SendHalf};

/// One frame of a data message, as [`WebSocket::recv_fragment`] delivers it.
///
/// ```
/// # fn demo(f: rfc6455::Fragment) {
/// if f.first { println!("a new {:?} message", f.kind); }
/// println!("{} bytes, last: {}", f.payload.len(), f.fin);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fragment {
    /// The type of the message this frame belongs to.
    pub kind: DataKind,
    /// The frame's payload, unmasked. For text, the message as a whole is valid UTF-8
    /// once `fin` is seen; a frame may end inside a character.
    pub payload: Bytes,
    /// This frame starts a message (opcode text or binary, not continuation).
    pub first: bool,
    /// This frame ends its message (FIN set).
    pub fin: bool,
}

enum Source<'a, S> {
    Socket(&'a mut WebSocket<S>),
    Half(&'a mut RecvHalf<S>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Source<'_, S> {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Chunk, Error>>> {
        match self {
            Self::Socket(ws) => ws.poll_chunk(cx, true),
            Self::Half(half) => half.poll_chunk(cx, true),
        }
    }
}

/// The next message, read as it arrives ([`WebSocket::recv_stream`]).
///
/// Implements `AsyncRead` (`read` returns 0 at the end of the message) and
/// `Stream<Item = Result<Bytes, Error>>` (chunks as they arrive, without copying).
/// Dropping it before the end discards the rest of the message; the connection stays
/// usable.
///
/// # Cancel safety
/// Reading is cancel-safe: bytes not yet handed out stay in the reader or the connection.
#[must_use = "the message is only read through the reader"]
pub struct MessageReader<'a, S> {
    source: Source<'a, S>,
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
    /// Text or binary.
    pub fn kind(&self) -> DataKind {
        self.kind
    }

    /// Payload bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether the whole message has arrived (all of it may not have been read yet).
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
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        poll_fn(|cx| self.poll_next_chunk(cx)).await
    }

    fn poll_next_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        loop {
            if !self.current.is_empty() {
                return Poll::Ready(Some(Ok(std::mem::take(&mut self.current))));
            }
            if self.done {
                return Poll::Ready(None);
            }
            match ready!(self.source.poll_chunk(cx)) {
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

    /// Read the rest of the message into a `Vec` (bounded only by what the peer sends:
    /// use [`Limits`](crate::Limits) or read in pieces for untrusted peers).
    ///
    /// # Errors
    /// As for [`next_chunk`](Self::next_chunk).
    pub async fn read_to_vec(&mut self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

impl<S> Drop for MessageReader<'_, S> {
    fn drop(&mut self) {
        if !self.done {
            match &mut self.source {
                Source::Socket(ws) => ws.mark_discarding_any(),
                Source::Half(half) => half.mark_discarding(),
            }
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

async fn open_reader<S: AsyncRead + AsyncWrite + Unpin>(
    mut source: Source<'_, S>,
    variant: Variant,
) -> Option<Result<MessageReader<'_, S>, Error>> {
    if variant == Variant::Hybi00 {
        return Some(Err(
            SendError::Unsupported("streamed receive (hybi-00)").into()
        ));
    }
    match &mut source {
        Source::Socket(ws) => ws.begin_streamed_receive(),
        Source::Half(half) => half.begin_streamed_receive(),
    }
    let chunk = match poll_fn(|cx| source.poll_chunk(cx)).await? {
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

enum Sink<'a, S> {
    Socket(&'a mut WebSocket<S>),
    Half(&'a mut SendHalf<S>),
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<'_, S> {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self {
            Self::Socket(ws) => ws.poll_ready_to_send(cx),
            Self::Half(half) => half.poll_ready_to_send(cx),
        }
    }

    fn enqueue(&mut self, kind: Option<DataKind>, data: &[u8], fin: bool) -> Result<(), Error> {
        match self {
            Self::Socket(ws) => ws.enqueue_with(|core| core.send_fragment(kind, data, fin)),
            Self::Half(half) => half.enqueue_fragment(kind, data, fin),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self {
            Self::Socket(ws) => ws.poll_flush_out(cx),
            Self::Half(half) => half.poll_flush_out(cx),
        }
    }

    fn fail(&mut self, reason: &str) {
        let _ = match self {
            Self::Socket(ws) => ws.start_close(CloseCode::INTERNAL_ERROR, reason),
            Self::Half(half) => half.start_close(CloseCode::INTERNAL_ERROR, reason),
        };
    }
}

/// A message being written ([`WebSocket::message_writer`]): an `AsyncWrite` whose bytes
/// go out as fragments of at most the configured fragment size; `shutdown` sends the last
/// fragment. Dropping it unfinished leaves the message open: no other message can be sent
/// until it is finished, so always `shutdown` it.
///
/// For text, the bytes are checked as UTF-8 across write boundaries; bytes that cannot be
/// valid UTF-8 fail the write before any frame carrying them is queued, and the connection
/// is closed with 1011 (the message cannot be completed).
#[must_use = "the message is only sent through the writer; finish it with shutdown()"]
pub struct MessageWriter<'a, S> {
    sink: Sink<'a, S>,
    kind: DataKind,
    buf: BytesMut,
    fragment_size: usize,
    started: bool,
    finished: bool,
    utf8: Option<Utf8Validator>,
}

impl<S> std::fmt::Debug for MessageWriter<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageWriter")
            .field("kind", &self.kind)
            .field("buffered", &self.buf.len())
            .field("started", &self.started)
            .field("finished", &self.finished)
            .finish()
    }
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> MessageWriter<'a, S> {
    fn new(sink: Sink<'a, S>, kind: DataKind, fragment_size: usize) -> Self {
        Self {
            sink,
            kind,
            buf: BytesMut::new(),
            fragment_size: fragment_size.max(1),
            started: false,
            finished: false,
            utf8: (kind == DataKind::Text).then(Utf8Validator::new),
        }
    }

    /// Queue the buffered bytes as one fragment.
    fn poll_send_fragment(&mut self, cx: &mut Context<'_>, fin: bool) -> Poll<io::Result<()>> {
        ready!(self.sink.poll_ready(cx))?;
        if let Some(v) = &mut self.utf8 {
            let checked = v
                .feed(&self.buf)
                .and_then(|()| if fin { v.finish() } else { Ok(()) });
            if checked.is_err() {
                self.finished = true;
                self.sink.fail("invalid UTF-8 in a streamed text message");
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Error::from(SendError::InvalidUtf8),
                )));
            }
        }
        let kind = (!self.started).then_some(self.kind);
        self.sink.enqueue(kind, &self.buf, fin)?;
        self.started = true;
        self.buf.clear();
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MessageWriter<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the message was already finished",
            )));
        }
        if this.buf.len() >= this.fragment_size {
            ready!(this.poll_send_fragment(cx, false))?;
            // Start writing it out; the sink's buffer limit bounds what is queued.
            if let Poll::Ready(Err(e)) = this.sink.poll_flush(cx) {
                return Poll::Ready(Err(e.into()));
            }
        }
        let n = data.len().min(this.fragment_size - this.buf.len());
        this.buf.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished && !this.buf.is_empty() {
            ready!(this.poll_send_fragment(cx, false))?;
        }
        this.sink.poll_flush(cx).map_err(Into::into)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            ready!(this.poll_send_fragment(cx, true))?;
            this.finished = true;
        }
        this.sink.poll_flush(cx).map_err(Into::into)
    }
}

/// Copy `reader` into a new message through a writer; returns the bytes sent.
async fn copy_message<S, R>(mut writer: MessageWriter<'_, S>, mut reader: R) -> Result<u64, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    let mut total = 0u64;
    let mut buf = vec![0u8; writer.fragment_size.min(64 * 1024)];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        writer.write_all(&buf[..n]).await.map_err(into_error)?;
        total += n as u64;
    }
    writer.shutdown().await.map_err(into_error)?;
    Ok(total)
}

/// Unwrap the crate error carried inside an `io::Error` by the writer.
fn into_error(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner()
            && let Ok(err) = inner.downcast::<Error>()
        {
            return *err;
        }
        return Error::closed();
    }
    e.into()
}

macro_rules! streaming_methods {
    ($sink:ident) => {
        /// Send everything `reader` yields as one message of type `kind`, in fragments of
        /// at most [`Config::stream_fragment_size`](crate::Config::stream_fragment_size)
        /// bytes (65 536 by default). Memory stays bounded by the fragment size and the
        /// send buffer. Returns the payload length sent.
        ///
        /// # Errors
        /// [`SendError::InvalidUtf8`](rfc6455_proto::SendError::InvalidUtf8) if a text
        /// stream is not UTF-8 (the connection is then closed with 1011: the message
        /// cannot be completed); [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported)
        /// on hybi-00; I/O errors of `reader` or of the socket.
        ///
        /// # Cancel safety
        /// Not cancel-safe: dropping the future leaves a message half sent.
        pub async fn send_stream<R>(&mut self, kind: DataKind, reader: R) -> Result<u64, Error>
        where
            R: AsyncRead + Unpin,
        {
            let writer = self.message_writer(kind)?;
            copy_message(writer, reader).await
        }

        /// Send the chunks of `stream` as one message of type `kind`, in fragments of at
        /// most the configured fragment size. Returns the payload length sent.
        ///
        /// # Errors
        /// As for `send_stream`; an `Err` item from the stream ends the message early
        /// and closes the connection with 1011, and is returned as an I/O error.
        pub async fn send_chunks<T, E>(
            &mut self,
            kind: DataKind,
            stream: impl futures_core::Stream<Item = Result<T, E>> + Unpin,
        ) -> Result<u64, Error>
        where
            T: AsRef<[u8]>,
            E: Into<Box<dyn std::error::Error + Send + Sync>>,
        {
            let mut stream = stream;
            let mut writer = self.message_writer(kind)?;
            let mut total = 0u64;
            while let Some(item) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                match item {
                    Ok(chunk) => {
                        writer.write_all(chunk.as_ref()).await.map_err(into_error)?;
                        total += chunk.as_ref().len() as u64;
                    }
                    Err(e) => {
                        writer.finished = true;
                        writer.sink.fail("the message's source failed");
                        return Err(io::Error::other(e).into());
                    }
                }
            }
            writer.shutdown().await.map_err(into_error)?;
            Ok(total)
        }

        /// A writer for one message of type `kind`: its bytes go out as fragments;
        /// `shutdown()` sends the last one.
        ///
        /// # Errors
        /// [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported) on hybi-00.
        pub fn message_writer(&mut self, kind: DataKind) -> Result<MessageWriter<'_, S>, Error> {
            if self.variant_value() == Variant::Hybi00 {
                return Err(SendError::Unsupported("streamed send (hybi-00)").into());
            }
            let size = self.stream_fragment_size();
            Ok(MessageWriter::new($sink(self), kind, size))
        }
    };
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// The next message as a [`MessageReader`] that yields its payload as it arrives,
    /// without holding the whole message: `None` once the connection is closed.
    ///
    /// The message-size limit for streamed messages is
    /// [`Config::stream_message_limit`](crate::Config::stream_message_limit) (unlimited
    /// by default), apart from the buffered one; frames of any size are delivered in pieces
    /// of at most 64 KiB. Control frames arriving meanwhile are still answered.
    ///
    /// # Errors
    /// As for [`recv`](Self::recv); [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported)
    /// on hybi-00.
    ///
    /// # Cancel safety
    /// Cancel-safe until it returns; then read through the reader.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Some(reader) = ws.recv_stream().await {
    ///     let mut reader = reader?;
    ///     let mut file = tokio::fs::File::create("/tmp/upload").await?;
    ///     tokio::io::copy(&mut reader, &mut file).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_, S>, Error>> {
        let variant = self.variant();
        open_reader(Source::Socket(self), variant).await
    }

    /// The next data frame of a message, frame by frame (with its FIN flag), for programs
    /// that handle fragments themselves. Pings are answered meanwhile.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn recv_fragment(&mut self) -> Option<Result<Fragment, Error>> {
        poll_fn(|cx| self.poll_frame(cx)).await
    }

    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Fragment, Error>>> {
        self.poll_chunk(cx, false).map(|chunk| {
            chunk.map(|chunk| {
                chunk.map(|c| Fragment {
                    kind: c.kind,
                    payload: c.payload,
                    first: c.first,
                    fin: c.fin,
                })
            })
        })
    }

    fn variant_value(&self) -> Variant {
        self.variant()
    }

    streaming_methods!(sink_of_socket);
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecvHalf<S> {
    /// The next message as a [`MessageReader`]; see [`WebSocket::recv_stream`].
    ///
    /// # Cancel safety
    /// Cancel-safe until it returns.
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_, S>, Error>> {
        let variant = self.variant();
        open_reader(Source::Half(self), variant).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> SendHalf<S> {
    fn variant_value(&self) -> Variant {
        self.variant()
    }

    streaming_methods!(sink_of_half);
}

fn sink_of_socket<S>(ws: &mut WebSocket<S>) -> Sink<'_, S> {
    Sink::Socket(ws)
}

fn sink_of_half<S>(half: &mut SendHalf<S>) -> Sink<'_, S> {
    Sink::Half(half)
}
