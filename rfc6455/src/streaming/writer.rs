//! [`MessageWriter`]: a message sent in fragments as its bytes are written, and the
//! streamed sends built on it.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use rfc6455_proto::{CloseCode, DataKind, SendError, Utf8Validator, Variant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::driver::shared::DriverRef;
use crate::error::Error;

/// A message being written ([`WebSocket::message_writer`](crate::WebSocket::message_writer)):
/// an `AsyncWrite` whose bytes go out as fragments of at most the configured fragment
/// size; `shutdown` sends the last fragment. Dropping it unfinished leaves the message
/// open: no other message can be sent until it is finished, so always `shutdown` it.
///
/// For text, the bytes are checked as UTF-8 across write boundaries; bytes that cannot be
/// valid UTF-8 fail the write before any frame carrying them is queued, and the connection
/// is closed with 1011 (the message cannot be completed).
///
/// ```no_run
/// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
/// use tokio::io::AsyncWriteExt;
/// let mut writer = ws.message_writer(rfc6455::DataKind::Binary)?;
/// writer.write_all(b"first part, ").await?;
/// writer.write_all(b"second part").await?;
/// writer.shutdown().await?;
/// # Ok(()) }
/// ```
#[must_use = "the message is only sent through the writer; finish it with shutdown()"]
pub struct MessageWriter<'a, S> {
    sink: DriverRef<'a, S>,
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
    /// A writer for one message of type `kind` on `sink`'s connection.
    pub(crate) fn open(mut sink: DriverRef<'a, S>, kind: DataKind) -> Result<Self, Error> {
        if sink.with_now(|driver| driver.core().variant()) == Variant::Hybi00 {
            return Err(SendError::Unsupported("streamed send (hybi-00)").into());
        }
        let fragment_size = sink.with_now(|driver| driver.stream_fragment_size());
        Ok(Self {
            sink,
            kind,
            buf: BytesMut::new(),
            fragment_size: fragment_size.max(1),
            started: false,
            finished: false,
            utf8: (kind == DataKind::Text).then(Utf8Validator::new),
        })
    }

    /// Copy `reader` into the message and finish it; returns the bytes sent.
    pub(crate) async fn send_from<R>(mut self, mut reader: R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
    {
        let mut total = 0u64;
        let mut buf = vec![0u8; self.fragment_size.min(64 * 1024)];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            self.write_all(&buf[..n]).await.map_err(into_error)?;
            total += n as u64;
        }
        self.shutdown().await.map_err(into_error)?;
        Ok(total)
    }

    /// Write the chunks of `stream` into the message and finish it; returns the bytes
    /// sent. An `Err` item ends the message early and closes the connection with 1011.
    pub(crate) async fn send_chunks<T, E>(
        mut self,
        mut stream: impl futures_core::Stream<Item = Result<T, E>> + Unpin,
    ) -> Result<u64, Error>
    where
        T: AsRef<[u8]>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut total = 0u64;
        while let Some(item) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
            match item {
                Ok(chunk) => {
                    self.write_all(chunk.as_ref()).await.map_err(into_error)?;
                    total += chunk.as_ref().len() as u64;
                }
                Err(e) => {
                    self.fail("the message's source failed");
                    return Err(io::Error::other(e).into());
                }
            }
        }
        self.shutdown().await.map_err(into_error)?;
        Ok(total)
    }

    /// Queue the buffered bytes as one fragment.
    fn poll_send_fragment(&mut self, cx: &mut Context<'_>, fin: bool) -> Poll<io::Result<()>> {
        ready!(self.sink.with(cx, |driver, cx| driver.poll_send_ready(cx)))?;
        if let Some(v) = &mut self.utf8 {
            let checked = v
                .feed(&self.buf)
                .and_then(|()| if fin { v.finish() } else { Ok(()) });
            if checked.is_err() {
                self.fail("invalid UTF-8 in a streamed text message");
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Error::from(SendError::InvalidUtf8),
                )));
            }
        }
        let kind = (!self.started).then_some(self.kind);
        let data = &self.buf;
        self.sink.with_now(|driver| {
            driver.enqueue_with(|core| match kind {
                Some(kind) => core.send_fragment(kind, data, fin),
                None => core.send_continuation(data, fin),
            })
        })?;
        self.started = true;
        self.buf.clear();
        Poll::Ready(Ok(()))
    }

    fn poll_flush_sink(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.sink.with(cx, |driver, cx| driver.poll_flush(cx))
    }

    /// The message cannot be completed: finish the writer and close the connection with
    /// 1011.
    fn fail(&mut self, reason: &str) {
        self.finished = true;
        let _ = self
            .sink
            .with_now(|driver| driver.start_close(CloseCode::INTERNAL_ERROR, reason));
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
            if let Poll::Ready(Err(e)) = this.poll_flush_sink(cx) {
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
        this.poll_flush_sink(cx).map_err(Into::into)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.finished {
            ready!(this.poll_send_fragment(cx, true))?;
            this.finished = true;
        }
        this.poll_flush_sink(cx).map_err(Into::into)
    }
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
