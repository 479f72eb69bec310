//! [`RecvHalf`] and [`SendHalf`]: a [`WebSocket`](crate::WebSocket) split in two, for two
//! tasks.
//!
//! Both halves hold the connection's driver behind one lock, taken only for the duration
//! of a poll (see `driver::shared`). Duty frames (pongs, the close reply) are queued in
//! the shared state and written by whichever half runs next, so the receiving half needs
//! no callback into the sending one.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use rfc6455_proto::{CloseCode, Connection, DataKind, Message, OpCode, SendError, Utf8Bytes};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::driver::Driver;
use crate::driver::shared::{DriverRef, Shared, Side};
use crate::error::Error;
use crate::shared_frame::SharedFrame;
use crate::streaming::{MessageReader, MessageWriter};

/// Split `driver`'s connection into its two halves.
pub(crate) fn split<S>(driver: Driver<S>) -> (RecvHalf<S>, SendHalf<S>) {
    let shared = Arc::new(Shared::new(driver));
    (
        RecvHalf {
            shared: shared.clone(),
        },
        SendHalf { shared },
    )
}

/// The receiving half of a split [`WebSocket`](crate::WebSocket), from
/// [`WebSocket::split`](crate::WebSocket::split).
///
/// Receive with [`recv`](Self::recv) (or as a [`Stream`]) or
/// [`recv_stream`](Self::recv_stream). While it reads, it also answers pings and the
/// peer's close frame.
///
/// ```no_run
/// # async fn demo(ws: rfc6455::WebSocket) {
/// let (mut rx, _tx) = ws.split();
/// while let Some(Ok(msg)) = rx.recv().await {
///     println!("{msg:?}");
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct RecvHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RecvHalf<S> {
    /// The next whole message; see [`WebSocket::recv`](crate::WebSocket::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`WebSocket::recv`](crate::WebSocket::recv).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) {
    /// let (mut rx, _tx) = ws.split();
    /// while let Some(msg) = rx.recv().await {
    ///     match msg {
    ///         Ok(msg) => println!("{msg:?}"),
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next message as a [`MessageReader`]; see
    /// [`WebSocket::recv_stream`](crate::WebSocket::recv_stream).
    ///
    /// # Errors
    /// As for [`WebSocket::recv_stream`](crate::WebSocket::recv_stream).
    ///
    /// # Cancel safety
    /// Cancel-safe until it returns.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut rx, _tx) = ws.split();
    /// if let Some(reader) = rx.recv_stream().await {
    ///     let mut reader = reader?;
    ///     tokio::io::copy(&mut reader, &mut tokio::io::sink()).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_, S>, Error>> {
        MessageReader::open(DriverRef::Shared(&self.shared, Side::Recv)).await
    }

    /// Whether the connection has ended; see
    /// [`WebSocket::is_closed`](crate::WebSocket::is_closed).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) {
    /// let (mut rx, _tx) = ws.split();
    /// while let Some(_) = rx.recv().await {}
    /// assert!(rx.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared
            .with_now(Side::Recv, |driver| driver.is_closed())
    }

    /// The status code of the peer's close frame; see
    /// [`WebSocket::peer_close_code`](crate::WebSocket::peer_close_code).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) {
    /// let (mut rx, _tx) = ws.split();
    /// while let Some(_) = rx.recv().await {}
    /// println!("closed with {:?}", rx.peer_close_code());
    /// # }
    /// ```
    pub fn peer_close_code(&self) -> Option<CloseCode> {
        self.shared
            .with_now(Side::Recv, |driver| driver.peer_close_code())
    }

    /// The reason of the peer's close frame; see
    /// [`WebSocket::peer_close_reason`](crate::WebSocket::peer_close_reason).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) {
    /// let (mut rx, _tx) = ws.split();
    /// while let Some(_) = rx.recv().await {}
    /// println!("closed: {:?}", rx.peer_close_reason());
    /// # }
    /// ```
    pub fn peer_close_reason(&self) -> Utf8Bytes {
        self.shared
            .with_now(Side::Recv, |driver| driver.peer_close_reason())
    }

    fn poll_recv(&self, cx: &Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        self.shared
            .with(Side::Recv, cx, |driver, cx| driver.poll_recv(cx))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for RecvHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_recv(cx)
    }
}

/// The sending half of a split [`WebSocket`](crate::WebSocket), from
/// [`WebSocket::split`](crate::WebSocket::split).
///
/// Send with [`send`](Self::send) and friends (or as a [`Sink`](futures_sink::Sink)),
/// streamed with [`send_stream`](Self::send_stream) and friends; end with
/// [`close`](Self::close).
///
/// ```no_run
/// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
/// let (_rx, mut tx) = ws.split();
/// tx.send_text("hello").await?;
/// tx.close(rfc6455::CloseCode::NORMAL, "done").await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SendHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> SendHalf<S> {
    /// Send a message and flush it; see [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Errors
    /// As for [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Cancel safety
    /// As for [`WebSocket::send`](crate::WebSocket::send): if the future is dropped
    /// before the message was queued, nothing was sent; once queued, the message is sent
    /// whole by whichever half runs next.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send(rfc6455::Message::binary(vec![1, 2, 3])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        self.queue(|core| core.send_message(&message)).await
    }

    /// Send a [`SharedFrame`] and flush it, its payload written from the shared memory
    /// on a server: as [`WebSocket::send_shared`](crate::WebSocket::send_shared).
    ///
    /// # Errors
    /// As for [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_shared(&rfc6455::SharedFrame::text("to everyone")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_shared(&mut self, frame: &SharedFrame) -> Result<(), Error> {
        poll_fn(|cx| {
            self.shared.with(Side::Send, cx, |driver, cx| {
                driver.poll_send_shared(cx, frame)
            })
        })
        .await?;
        self.flush().await
    }

    /// Send a text message.
    ///
    /// # Errors
    /// As for [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_text("hello").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.queue(|core| core.send_text(text)).await
    }

    /// Send a binary message.
    ///
    /// # Errors
    /// As for [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_binary(&[0xde, 0xad, 0xbe, 0xef]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_binary(data)).await
    }

    /// Send a message uncompressed even under permessage-deflate; see
    /// [`WebSocket::send_uncompressed`](crate::WebSocket::send_uncompressed).
    ///
    /// # Errors
    /// As for [`WebSocket::send`](crate::WebSocket::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_uncompressed("secret=1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_uncompressed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        let opcode = match message.kind() {
            DataKind::Text => OpCode::Text,
            DataKind::Binary => OpCode::Binary,
        };
        self.queue(|core| core.send_frame_uncompressed(opcode, true, message.as_bytes()))
            .await
    }

    /// Send one fragment; see [`WebSocket::send_fragment`](crate::WebSocket::send_fragment).
    ///
    /// # Errors
    /// As for [`WebSocket::send_fragment`](crate::WebSocket::send_fragment).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// use rfc6455::DataKind;
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_fragment(DataKind::Text, b"Hel", false).await?;
    /// tx.send_continuation(b"lo", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_fragment(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.queue(|core| core.send_fragment(kind, data, fin)).await
    }

    /// Send a continuation fragment; see
    /// [`WebSocket::send_continuation`](crate::WebSocket::send_continuation).
    ///
    /// # Errors
    /// As for [`WebSocket::send_continuation`](crate::WebSocket::send_continuation).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.send_fragment(rfc6455::DataKind::Binary, b"first", false).await?;
    /// tx.send_continuation(b" and last", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_continuation(&mut self, data: &[u8], fin: bool) -> Result<(), Error> {
        self.queue(|core| core.send_continuation(data, fin)).await
    }

    /// Send everything `reader` yields as one message; see
    /// [`WebSocket::send_stream`](crate::WebSocket::send_stream).
    ///
    /// # Errors
    /// As for [`WebSocket::send_stream`](crate::WebSocket::send_stream).
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropping the future leaves a message half sent.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// let (_rx, mut tx) = ws.split();
    /// let file = tokio::fs::File::open("/etc/hosts").await?;
    /// tx.send_stream(rfc6455::DataKind::Binary, file).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_stream<R>(&mut self, kind: DataKind, reader: R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
    {
        self.message_writer(kind)?.send_from(reader).await
    }

    /// Send the chunks of `stream` as one message; see
    /// [`WebSocket::send_chunks`](crate::WebSocket::send_chunks).
    ///
    /// # Errors
    /// As for [`WebSocket::send_chunks`](crate::WebSocket::send_chunks).
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropping the future leaves a message half sent.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(b"ab"), Ok(b"cd")]);
    /// tx.send_chunks(rfc6455::DataKind::Binary, chunks).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_chunks<T, E>(
        &mut self,
        kind: DataKind,
        stream: impl Stream<Item = Result<T, E>> + Unpin,
    ) -> Result<u64, Error>
    where
        T: AsRef<[u8]>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.message_writer(kind)?.send_chunks(stream).await
    }

    /// A writer for one message of type `kind`; see
    /// [`WebSocket::message_writer`](crate::WebSocket::message_writer).
    ///
    /// # Errors
    /// [`SendError::Unsupported`] on hybi-00.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// let (_rx, mut tx) = ws.split();
    /// let mut writer = tx.message_writer(rfc6455::DataKind::Text)?;
    /// writer.write_all("streamed ".as_bytes()).await?;
    /// writer.write_all("text".as_bytes()).await?;
    /// writer.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn message_writer(&mut self, kind: DataKind) -> Result<MessageWriter<'_, S>, Error> {
        MessageWriter::open(DriverRef::Shared(&self.shared, Side::Send), kind)
    }

    /// Send a ping; see [`WebSocket::ping`](crate::WebSocket::ping).
    ///
    /// # Errors
    /// As for [`WebSocket::ping`](crate::WebSocket::ping).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.ping(b"are you there?").await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_frame(OpCode::Ping, true, data))
            .await
    }

    /// Send a ping and wait for its pong: the round-trip time. The pong is read by the
    /// [`RecvHalf`], which must be receiving; see
    /// [`WebSocket::ping_rtt`](crate::WebSocket::ping_rtt).
    ///
    /// # Errors
    /// As for [`send`](Self::send); [`ErrorKind::Closed`](crate::ErrorKind::Closed) when
    /// the connection ends first (the receiving half gets its error, for example
    /// [`ErrorKind::PongTimeout`](crate::ErrorKind::PongTimeout)).
    ///
    /// # Cancel safety
    /// Cancel-safe: the ping stays in flight, and a later call waits for the same pong.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (mut rx, mut tx) = ws.split();
    /// tokio::spawn(async move { while rx.recv().await.is_some() {} });
    /// println!("round trip: {:?}", tx.ping_rtt().await?);
    /// # Ok(()) }
    /// ```
    pub async fn ping_rtt(&mut self) -> Result<Duration, Error> {
        poll_fn(|cx| self.poll_send_ready(cx)).await?;
        let number = self
            .shared
            .with_now(Side::Send, |driver| driver.start_rtt_ping())?;
        self.flush().await?;
        poll_fn(|cx| {
            self.shared
                .with(Side::Send, cx, |driver, _| driver.poll_rtt_answered(number))
        })
        .await
    }

    /// Write everything queued.
    ///
    /// # Errors
    /// An I/O error of the socket.
    ///
    /// # Cancel safety
    /// Cancel-safe: what is not yet written stays queued.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (_rx, mut tx) = ws.split();
    /// tx.flush().await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_out(cx)).await
    }

    /// Send a close frame and flush it. The receiving half sees the end of the stream
    /// (`None`) once the peer answers, and then the socket is closed.
    ///
    /// # Errors
    /// As for [`WebSocket::close`](crate::WebSocket::close).
    ///
    /// # Cancel safety
    /// Cancel-safe: once the close frame is queued, dropping the future leaves it queued
    /// for whichever half runs next.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let (mut rx, mut tx) = ws.split();
    /// tx.close(rfc6455::CloseCode::NORMAL, "done").await?;
    /// while let Some(_) = rx.recv().await {}
    /// # Ok(()) }
    /// ```
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.shared
            .with_now(Side::Send, |driver| driver.start_close(code, reason))?;
        self.flush().await
    }

    /// Wait for room, queue what `enqueue` puts in the core, and flush.
    async fn queue(
        &mut self,
        enqueue: impl FnOnce(&mut Connection) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        poll_fn(|cx| self.poll_send_ready(cx)).await?;
        self.shared
            .with_now(Side::Send, |driver| driver.enqueue_with(enqueue))?;
        self.flush().await
    }

    fn poll_send_ready(&self, cx: &Context<'_>) -> Poll<Result<(), Error>> {
        self.shared
            .with(Side::Send, cx, |driver, cx| driver.poll_send_ready(cx))
    }

    fn poll_flush_out(&self, cx: &Context<'_>) -> Poll<Result<(), Error>> {
        self.shared
            .with(Side::Send, cx, |driver, cx| driver.poll_flush(cx))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for SendHalf<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_send_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.shared
            .with_now(Side::Send, |driver| driver.enqueue(&item))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flush_out(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.with(Side::Send, cx, |driver, cx| {
            driver.start_close(CloseCode::NORMAL, "")?;
            driver.poll_flush(cx)
        })
    }
}
