//! [`WebSocket`]: an established connection over any `AsyncRead + AsyncWrite`.
//!
//! All of its public methods are in one `impl` block below; they forward to the
//! connection's [`Driver`] (`crate::driver`), which the halves of a split connection
//! ([`split`](WebSocket::split)) share.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_core::Stream;
use rfc6455_proto::{CloseCode, Connection, DataKind, Message, OpCode, Role, Utf8Bytes, Variant};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::Config;
use crate::driver::Driver;
use crate::driver::shared::DriverRef;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::shared_frame::SharedFrame;
use crate::split::{self, RecvHalf, SendHalf};
use crate::stop::StopSlot;
use crate::streaming::{Fragment, MessageReader, MessageWriter};
use crate::transport::Transport;

/// An established WebSocket connection over `S` (by default [`Transport`], which covers
/// plain TCP and hyper's upgraded connections).
///
/// Receive with [`recv`](Self::recv) (or as a [`Stream`]), send with [`send`](Self::send)
/// and friends (or as a [`Sink`](futures_sink::Sink)), end with [`close`](Self::close).
/// Large messages can be sent and received as streams ([`send_stream`](Self::send_stream),
/// [`recv_stream`](Self::recv_stream), …). Pings are answered automatically, whichever
/// method runs next. [`split`](Self::split) gives two halves for two tasks.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (mut ws, _response) = rfc6455::connect("ws://127.0.0.1:8081/echo").await?;
/// ws.send_text("hello").await?;
/// while let Some(msg) = ws.recv().await {
///     println!("got {:?}", msg?);
/// }
/// println!("closed by the peer: {:?} {}", ws.peer_close_code(), ws.peer_close_reason());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WebSocket<S = Transport> {
    driver: Driver<S>,
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wrap a stream on which the opening handshake has already been done (by your own
    /// code). `leftover` holds bytes read past the handshake, if any.
    ///
    /// Most programs get their `WebSocket` from [`connect`](crate::connect),
    /// [`serve`](crate::serve) or [`upgrade`](crate::upgrade) instead.
    ///
    /// ```
    /// # async fn demo() {
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// assert!(!ws.is_closed());
    /// # }
    /// ```
    pub fn from_stream(io: S, role: Role, config: Config) -> Self {
        Self::from_parts(
            io,
            role,
            Arc::new(config),
            BytesMut::new(),
            HandshakeInfo::default(),
        )
    }

    // ------------------------------------------------------------------ receive

    /// The next whole message: `Some(Ok(_))`, `Some(Err(_))` once if the connection failed,
    /// `None` after the connection has closed (cleanly or after that error).
    ///
    /// Fragmented messages are reassembled; pings are answered, pongs dropped, and the
    /// peer's close frame is answered and ends the stream. A protocol error fails the
    /// connection with its close code (1002, 1007, 1009) and is returned here.
    ///
    /// # Cancel safety
    /// This method is cancel-safe: every byte read and every partial message live in the
    /// `WebSocket`, not in the future. Dropping the future (for example when another
    /// branch of `tokio::select!` wins) loses nothing; the next call continues.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    /// loop {
    ///     tokio::select! {
    ///         msg = ws.recv() => match msg {
    ///             Some(Ok(msg)) => println!("{msg:?}"),
    ///             Some(Err(e)) => { eprintln!("{e}"); break }
    ///             None => break,
    ///         },
    ///         _ = tick.tick() => { let _ = ws.send_text("tick").await; }
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Self::recv), for hand-written futures and streams.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// let next = std::future::poll_fn(|cx| ws.poll_recv(cx)).await;
    /// println!("{next:?}");
    /// # }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        self.driver.poll_recv(cx)
    }

    /// The next message as a [`MessageReader`] that yields its payload as it arrives,
    /// without holding the whole message: `None` once the connection is closed.
    ///
    /// The message-size limit for streamed messages is
    /// [`Limits::max_streamed_message_size`](crate::Limits::max_streamed_message_size)
    /// (unlimited by default), apart from the buffered
    /// one; frames of any size are delivered in pieces of at most 64 KiB. Control frames
    /// arriving meanwhile are still answered.
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
        MessageReader::open(DriverRef::Own(&mut self.driver)).await
    }

    /// The next data frame of a message, frame by frame (with its FIN flag), for programs
    /// that handle fragments themselves. Pings are answered meanwhile.
    ///
    /// # Errors
    /// As for [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// while let Some(fragment) = ws.recv_fragment().await {
    ///     let fragment = fragment?;
    ///     println!("{} bytes, last: {}", fragment.payload.len(), fragment.fin);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn recv_fragment(&mut self) -> Option<Result<Fragment, Error>> {
        poll_fn(|cx| {
            self.driver
                .poll_chunk(cx, false)
                .map(|chunk| chunk.map(|chunk| chunk.map(Fragment::from_chunk)))
        })
        .await
    }

    // ------------------------------------------------------------------ send

    /// Send a message and flush it to the socket.
    ///
    /// Waits while more than [`Config::write_buffer_limit`] bytes are queued (a slow
    /// reader makes senders wait instead of memory growing).
    ///
    /// # Errors
    /// [`ErrorKind::Closed`](crate::ErrorKind::Closed) after the closing handshake
    /// started, [`ErrorKind::Send`](crate::ErrorKind::Send) while a fragmented message
    /// is open, [`ErrorKind::Io`](crate::ErrorKind::Io) if the socket fails.
    ///
    /// # Cancel safety
    /// If the future is dropped before the message was queued, nothing was sent; once
    /// queued, the message is sent whole by whichever operation runs next.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// use rfc6455::Message;
    /// ws.send(Message::text("hi")).await?;
    /// ws.send(Message::binary(vec![1, 2, 3])).await?;
    /// # Ok(()) }
    /// ```
    pub fn send(
        &mut self,
        message: impl Into<Message>,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        // Converted before the future is made, which then holds the message once (an
        // `async fn` holds its argument and the converted message, and this called `feed`,
        // which held both again): an idle echo loop's future is smaller by as much.
        let message = message.into();
        async move {
            poll_fn(|cx| self.driver.poll_send_ready(cx)).await?;
            self.driver.enqueue(&message)?;
            drop(message);
            poll_fn(|cx| self.driver.poll_flush(cx)).await
        }
    }

    /// Queue a message without flushing (the original's `#:flush? #f`): several messages
    /// then go out in one write at the next [`flush`](Self::flush) or send — or when
    /// [`recv`](Self::recv) is about to wait for the peer, which writes everything queued
    /// first. An echo loop of `recv` + `feed` therefore answers a burst of pipelined
    /// messages with one write.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// If the future is dropped before the message was queued, nothing was queued; once
    /// queued, the message is sent whole by whichever operation runs next.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// for i in 0..10 {
    ///     ws.feed(format!("line {i}")).await?;
    /// }
    /// ws.flush().await?;
    /// # Ok(()) }
    /// ```
    pub fn feed(
        &mut self,
        message: impl Into<Message>,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        // Converted before the future is made, so that it holds the message once.
        let message = message.into();
        async move {
            poll_fn(|cx| self.driver.poll_send_ready(cx)).await?;
            self.driver.enqueue(&message)
        }
    }

    /// Send a [`SharedFrame`] and flush it: the message built once for many connections
    /// (a [`Topics`](crate::topics::Topics) subscriber's deliveries). On a server its
    /// payload is written from the shared memory, with no copy and, while the socket keeps
    /// up, no allocation; see [`SharedFrame`] for the cases that copy (a client, hybi-00,
    /// permessage-deflate, which sends it uncompressed).
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let frame = rfc6455::SharedFrame::text("to everyone");
    /// ws.send_shared(&frame).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_shared(&mut self, frame: &SharedFrame) -> Result<(), Error> {
        poll_fn(|cx| self.driver.poll_send_shared(cx, frame)).await?;
        self.flush().await
    }

    /// Send a text message.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.send_text("hello").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.driver.queue(|core| core.send_text(text)).await?;
        self.flush().await
    }

    /// Send a binary message.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.send_binary(&[0xde, 0xad, 0xbe, 0xef]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.driver.queue(|core| core.send_binary(data)).await?;
        self.flush().await
    }

    /// Send a message uncompressed even when permessage-deflate was agreed.
    ///
    /// Use it for a message that holds a secret (a token, a cookie) together with data an
    /// attacker may choose: compressed sizes reveal how much of a guess matches the secret
    /// (RFC 7692 §8.1, the CRIME attack). Without permessage-deflate it is
    /// [`send`](Self::send).
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket, token: &str) -> Result<(), rfc6455::Error> {
    /// ws.send_uncompressed(format!("{{\"token\":\"{token}\"}}")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_uncompressed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        let opcode = match message.kind() {
            DataKind::Text => OpCode::Text,
            DataKind::Binary => OpCode::Binary,
        };
        self.driver
            .queue(|core| core.send_frame_uncompressed(opcode, true, message.as_bytes()))
            .await?;
        self.flush().await
    }

    /// Send the first fragment of a message by hand (§5.4), of type `kind`; the following
    /// ones go with [`send_continuation`](Self::send_continuation), and the last has
    /// `fin = true`. Other messages cannot be sent until the last fragment is (control
    /// frames can).
    ///
    /// # Errors
    /// [`SendError::MessageInProgress`](rfc6455_proto::SendError::MessageInProgress) or
    /// [`SendError::NoMessageInProgress`](rfc6455_proto::SendError::NoMessageInProgress)
    /// (as [`ErrorKind::Send`](crate::ErrorKind::Send)) when the sequence is misused.
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send), fragment by fragment.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// use rfc6455::DataKind;
    /// ws.send_fragment(DataKind::Text, b"Hel", false).await?;
    /// ws.send_continuation(b"lo", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_fragment(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.driver
            .queue(|core| core.send_fragment(kind, data, fin))
            .await?;
        self.flush().await
    }

    /// Send a continuation fragment of the message begun with
    /// [`send_fragment`](Self::send_fragment); `fin = true` ends the message.
    ///
    /// # Errors
    /// [`SendError::NoMessageInProgress`](rfc6455_proto::SendError::NoMessageInProgress)
    /// (as [`ErrorKind::Send`](crate::ErrorKind::Send)) when no message is open; otherwise
    /// as for [`send`](Self::send).
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.send_fragment(rfc6455::DataKind::Binary, b"first", false).await?;
    /// ws.send_continuation(b" and last", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_continuation(&mut self, data: &[u8], fin: bool) -> Result<(), Error> {
        self.driver
            .queue(|core| core.send_continuation(data, fin))
            .await?;
        self.flush().await
    }

    /// Send everything `reader` yields as one message of type `kind`, in fragments of
    /// at most [`Config::stream_fragment_size`] bytes (65 536 by default). Memory stays
    /// bounded by the fragment size and the send buffer. Returns the payload length sent.
    ///
    /// # Errors
    /// [`SendError::InvalidUtf8`](rfc6455_proto::SendError::InvalidUtf8) if a text
    /// stream is not UTF-8 (the connection is then closed with 1011: the message
    /// cannot be completed); [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported)
    /// on hybi-00; I/O errors of `reader` or of the socket.
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropping the future leaves a message half sent.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// let file = tokio::fs::File::open("/etc/hosts").await?;
    /// let sent = ws.send_stream(rfc6455::DataKind::Binary, file).await?;
    /// println!("{sent} bytes sent");
    /// # Ok(()) }
    /// ```
    pub async fn send_stream<R>(&mut self, kind: DataKind, reader: R) -> Result<u64, Error>
    where
        R: AsyncRead + Unpin,
    {
        self.message_writer(kind)?.send_from(reader).await
    }

    /// Send the chunks of `stream` as one message of type `kind`, in fragments of at
    /// most the configured fragment size. Returns the payload length sent.
    ///
    /// # Errors
    /// As for [`send_stream`](Self::send_stream); an `Err` item from the stream ends the
    /// message early and closes the connection with 1011, and is returned as an I/O error.
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropping the future leaves a message half sent.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(b"ab"), Ok(b"cd")]);
    /// ws.send_chunks(rfc6455::DataKind::Binary, chunks).await?;
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

    /// A writer for one message of type `kind`: its bytes go out as fragments;
    /// `shutdown()` sends the last one.
    ///
    /// # Errors
    /// [`SendError::Unsupported`](rfc6455_proto::SendError::Unsupported) on hybi-00.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// let mut writer = ws.message_writer(rfc6455::DataKind::Text)?;
    /// writer.write_all("streamed ".as_bytes()).await?;
    /// writer.write_all("text".as_bytes()).await?;
    /// writer.shutdown().await?;
    /// # Ok(()) }
    /// ```
    pub fn message_writer(&mut self, kind: DataKind) -> Result<MessageWriter<'_, S>, Error> {
        MessageWriter::open(DriverRef::Own(&mut self.driver), kind)
    }

    /// Send a ping (payload ≤ 125 bytes). The pong comes back through the connection and
    /// is dropped by [`recv`](Self::recv).
    ///
    /// # Errors
    /// As for [`send`](Self::send), plus a payload over 125 bytes.
    ///
    /// # Cancel safety
    /// As for [`send`](Self::send).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.ping(b"are you there?").await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping(&mut self, data: &[u8]) -> Result<(), Error> {
        self.driver
            .queue(|core| core.send_frame(OpCode::Ping, true, data))
            .await?;
        self.flush().await
    }

    /// Send a ping and wait for its pong: the round-trip time. Data messages that arrive
    /// meanwhile are kept, in order, for the next [`recv`](Self::recv) — at most one
    /// message's worth ([`Limits::max_message_size`](crate::Limits::max_message_size));
    /// beyond that reading pauses until the pong timeout. If a ping (keepalive's) already
    /// awaits its pong, no second one is sent: its round trip is returned.
    ///
    /// # Errors
    /// As for [`send`](Self::send); [`ErrorKind::PongTimeout`](crate::ErrorKind::PongTimeout)
    /// when no pong came within [`Config::pong_timeout`] (the connection is then failed);
    /// the connection's error, or [`ErrorKind::Closed`](crate::ErrorKind::Closed), if it
    /// ends first. hybi-00 has no pings ([`ErrorKind::Send`](crate::ErrorKind::Send)).
    ///
    /// # Cancel safety
    /// Cancel-safe: held messages stay for `recv`; the ping stays in flight, and a later
    /// call waits for the same pong.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rfc6455::Error> {
    /// use rfc6455::{Role, WebSocket};
    /// let (a, b) = tokio::io::duplex(4096);
    /// let mut client = WebSocket::from_stream(a, Role::Client, Default::default());
    /// let mut server = WebSocket::from_stream(b, Role::Server, Default::default());
    /// tokio::spawn(async move { while server.recv().await.is_some() {} });
    /// let rtt = client.ping_rtt().await?;
    /// println!("round trip: {rtt:?}");
    /// # Ok(()) }
    /// ```
    pub async fn ping_rtt(&mut self) -> Result<Duration, Error> {
        poll_fn(|cx| self.driver.poll_send_ready(cx)).await?;
        let number = self.driver.start_rtt_ping()?;
        poll_fn(|cx| self.driver.poll_rtt(cx, number)).await
    }

    /// Write everything queued to the socket.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) if the socket fails.
    ///
    /// # Cancel safety
    /// Cancel-safe: what is not yet written stays queued.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.feed("queued").await?;
    /// ws.flush().await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.driver.poll_flush(cx)).await
    }

    // ------------------------------------------------------------------ close

    /// Close the connection: send a close frame with `code` and `reason`, wait (at most
    /// [`Config::close_timeout`]) for the peer's close frame, and close the socket.
    /// Messages that arrive meanwhile are discarded. Does nothing if already closed.
    ///
    /// # Errors
    /// [`ErrorKind::Send`](crate::ErrorKind::Send) for a code that may not be sent
    /// (1005, 1006, 1015, 0–999, …) or a reason over 123 bytes; the connection is not
    /// closed then. I/O errors while closing are not reported: the connection is closed
    /// either way.
    ///
    /// # Cancel safety
    /// Cancel-safe: once the close frame is queued, dropping the future leaves the
    /// closing handshake to the next call of `close` or [`recv`](Self::recv).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.close(rfc6455::CloseCode::NORMAL, "bye").await?;
    /// assert!(ws.is_closed());
    /// # Ok(()) }
    /// ```
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.driver.start_close(code, reason)?;
        while let Some(result) = self.recv().await {
            if let Err(e) = result {
                tracing::debug!("while closing: {e}");
            }
        }
        Ok(())
    }

    /// Whether the connection has ended: the closing handshake completed, the connection
    /// failed, or the socket closed.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// while let Some(_) = ws.recv().await {}
    /// assert!(ws.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.driver.is_closed()
    }

    /// The status code of the **peer's** close frame: 1005 if it had none, 1006 if the
    /// connection ended without one, `None` while it is open. (The code this end sent
    /// because of an error is [`Error::local_close_code`].)
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// while let Some(_) = ws.recv().await {}
    /// assert!(ws.peer_close_code().is_some());
    /// # }
    /// ```
    pub fn peer_close_code(&self) -> Option<CloseCode> {
        self.driver.peer_close_code()
    }

    /// The reason of the peer's close frame (empty if none, or while open).
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// while let Some(_) = ws.recv().await {}
    /// println!("closed: {:?} {}", ws.peer_close_code(), ws.peer_close_reason());
    /// # }
    /// ```
    pub fn peer_close_reason(&self) -> Utf8Bytes {
        self.driver.peer_close_reason()
    }

    /// Whether the peer started the closing handshake (`Some(true)`) or this end did.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) {
    /// while let Some(_) = ws.recv().await {}
    /// println!("the peer closed first: {:?}", ws.peer_closed_first());
    /// # }
    /// ```
    pub fn peer_closed_first(&self) -> Option<bool> {
        self.driver.core().peer_closed_first()
    }

    // ------------------------------------------------------------------ state

    /// The opening handshake: request line and headers, path, host, addresses,
    /// subprotocol.
    ///
    /// ```no_run
    /// # fn demo(ws: rfc6455::WebSocket) {
    /// println!("{:?}", ws.handshake());
    /// # }
    /// ```
    pub fn handshake(&self) -> &HandshakeInfo {
        self.driver.info()
    }

    /// The subprotocol agreed in the handshake, if any.
    ///
    /// ```no_run
    /// # fn demo(ws: rfc6455::WebSocket) {
    /// match ws.subprotocol() {
    ///     Some("chat") => println!("chat"),
    ///     other => println!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.driver.info().subprotocol()
    }

    /// This end's role.
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Client, Default::default());
    /// assert_eq!(ws.role(), rfc6455::Role::Client);
    /// ```
    pub fn role(&self) -> Role {
        self.driver.core().role()
    }

    /// The settings of this connection.
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// println!("{:?}", ws.config().close_timeout);
    /// ```
    pub fn config(&self) -> &Config {
        self.driver.config()
    }

    /// Whether messages can be sent in fragments (RFC 6455: yes; hybi-00: no).
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// assert!(ws.supports_fragmentation());
    /// ```
    pub fn supports_fragmentation(&self) -> bool {
        self.driver.core().variant().supports_fragmentation()
    }

    /// Whether messages of this type can be sent (RFC 6455: text and binary; hybi-00:
    /// text only).
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// assert!(ws.supports_payload_kind(rfc6455::DataKind::Binary));
    /// ```
    pub fn supports_payload_kind(&self, kind: DataKind) -> bool {
        self.driver.core().variant().supports_payload_kind(kind)
    }

    /// Whether close frames carry a status and reason (RFC 6455: yes; hybi-00: no).
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// assert!(ws.signals_status_on_close());
    /// ```
    pub fn signals_status_on_close(&self) -> bool {
        self.driver.core().variant().signals_status_on_close()
    }

    /// The protocol this connection speaks: RFC 6455, or the legacy hybi-00 draft.
    ///
    /// ```
    /// let (a, _b) = tokio::io::duplex(1024);
    /// let ws = rfc6455::WebSocket::from_stream(a, rfc6455::Role::Server, Default::default());
    /// assert_eq!(ws.variant(), rfc6455::proto::Variant::Rfc6455);
    /// ```
    pub fn variant(&self) -> Variant {
        self.driver.core().variant()
    }

    /// The underlying stream.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rfc6455::Error> {
    /// let (ws, _) = rfc6455::connect("ws://localhost:8081/").await?;
    /// if let rfc6455::Transport::Tcp(tcp) = ws.get_ref() {
    ///     println!("from {:?}", tcp.local_addr());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_ref(&self) -> &S {
        self.driver.io()
    }

    /// Split into a receiving half and a sending half that can live in different tasks.
    ///
    /// Duty frames (pongs, the close reply) are still sent by whichever half runs; no
    /// callback is needed. The halves share one lock, held only while one of them polls.
    ///
    /// ```no_run
    /// # async fn demo(ws: rfc6455::WebSocket) {
    /// let (mut rx, mut tx) = ws.split();
    /// tokio::spawn(async move {
    ///     while let Some(Ok(msg)) = rx.recv().await {
    ///         println!("{msg:?}");
    ///     }
    /// });
    /// tx.send_text("hello").await.ok();
    /// # }
    /// ```
    pub fn split(self) -> (RecvHalf<S>, SendHalf<S>) {
        split::split(self.driver)
    }
}

/// Construction by the crate's client and server.
impl<S> WebSocket<S> {
    /// A connection over `io`, whose opening handshake is done, in `role`; `leftover`
    /// holds the bytes read past the handshake.
    pub(crate) fn from_parts(
        io: S,
        role: Role,
        config: Arc<Config>,
        leftover: BytesMut,
        info: HandshakeInfo,
    ) -> Self {
        let mut core = match role {
            Role::Server => Connection::server(config.limits),
            Role::Client => Connection::client(config.limits, crate::random::seed()),
        };
        if let (Some(agreed), Some(settings)) = (info.deflate(), config.compression.as_ref()) {
            core = core.with_deflate(*agreed, settings);
        }
        Self::from_core(io, core, config, leftover, info)
    }

    /// Wrap a stream with a protocol core built by the caller (hybi-00 connections).
    pub(crate) fn from_core(
        io: S,
        core: Connection,
        config: Arc<Config>,
        leftover: BytesMut,
        info: HandshakeInfo,
    ) -> Self {
        Self {
            driver: Driver::new(io, core, config, leftover, info),
        }
    }

    /// Close with 1001 (going away) when `stop` is set.
    pub(crate) fn set_stop_signal(&mut self, stop: StopSlot) {
        self.driver.set_stop_signal(stop);
    }
}

impl<S> Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().driver.poll_recv(cx)
    }
}

impl<S> futures_sink::Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_send_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().driver.enqueue(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let driver = &mut self.get_mut().driver;
        driver.start_close(CloseCode::NORMAL, "")?;
        driver.poll_flush(cx)
    }
}
