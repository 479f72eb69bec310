//! [`WebSocket`]: an established connection over any `AsyncRead + AsyncWrite`.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use rfc6455_proto::{
    Assembler, CloseCode, CloseFrame, CloseState, Connection, DataKind, Event, Message, OpCode,
    Role,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use crate::buffer_pool::{self, LARGE_MIN, SPARE_MAX};
use crate::config::Config;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::stop::StopSignal;
use crate::transport::Transport;

/// How much the read buffer grows by when it needs room.
const READ_CHUNK: usize = 8 * 1024;

/// Server payloads at least this long are written from the message's own memory (header
/// and payload in one vectored write) instead of being copied into the output buffer.
const ZERO_COPY_MIN: usize = 16 * 1024;

/// The most the read buffer grows by for a streamed receive.
const STREAM_READ_CHUNK: usize = 64 * 1024;

/// A piece of a data message, as [`WebSocket::poll_chunk`] delivers it.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) kind: DataKind,
    pub(crate) payload: bytes::Bytes,
    pub(crate) first: bool,
    pub(crate) fin: bool,
}

#[derive(Debug)]
enum Phase {
    /// Messages flow (or, after our close frame, we wait for the peer's).
    Open,
    /// Write what is queued (a close reply or failure close), then end the connection.
    Finishing,
    /// Client after the closing handshake: wait for the server to close TCP (§7.1.1).
    AwaitEof,
    /// Over. `recv` returns the pending error once, then `None`.
    Done,
}

/// An established WebSocket connection over `S` (by default [`Transport`], which covers
/// plain TCP and hyper's upgraded connections).
///
/// Receive with [`recv`](Self::recv) (or as a [`Stream`](futures_core::Stream)), send
/// with [`send`](Self::send) and friends (or as a [`Sink`](futures_sink::Sink)), end with
/// [`close`](Self::close). Pings are answered automatically, whichever method runs next.
/// [`split`](Self::split) gives two halves for two tasks.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (mut ws, _response) = rfc6455::connect("ws://127.0.0.1:8081/echo").await?;
/// ws.send_text("hello").await?;
/// while let Some(msg) = ws.recv().await {
///     println!("got {:?}", msg?);
/// }
/// println!("closed by the peer: {:?}", ws.close_frame());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WebSocket<S = Transport> {
    io: S,
    core: Connection,
    read_buf: BytesMut,
    assembler: Assembler,
    /// Shared by the connections of a server (one allocation, not one per connection).
    config: Arc<Config>,
    phase: Phase,
    /// The idle or close deadline timer, created when first needed.
    timer: Option<Pin<Box<Sleep>>>,
    last_read: Instant,
    close_deadline: Option<Instant>,
    eof: bool,
    error: Option<Error>,
    info: Box<HandshakeInfo>,
    stop: Option<Arc<StopSignal>>,
    /// At most this many queued output bytes are the program's own sends (what was queued
    /// right after its last send, shrinking as output drains). The rest is what reading
    /// queued (pongs, the close reply).
    own_output: usize,
    /// Drop data until the end of the current message (its streamed reader was dropped).
    discarding: bool,
    /// A large payload written from its own memory: it goes after the first `at` bytes
    /// of the core's output (which end with its frame header).
    big: Option<Box<(usize, bytes::Bytes)>>,
    /// A streamed receive is in progress: the core runs with the streaming limits.
    streaming: bool,
    /// The read buffer was sized for a large frame (see `buffer_pool`).
    large_read: bool,
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

    pub(crate) fn from_parts(
        io: S,
        role: Role,
        config: Arc<Config>,
        leftover: BytesMut,
        info: HandshakeInfo,
    ) -> Self {
        let core = match role {
            Role::Server => Connection::server(config.limits),
            Role::Client => Connection::client(config.limits, crate::random::seed()),
        };
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
            io,
            core,
            read_buf: leftover,
            assembler: Assembler::default(),
            config,
            phase: Phase::Open,
            timer: None,
            last_read: Instant::now(),
            close_deadline: None,
            eof: false,
            error: None,
            info: Box::new(info),
            stop: None,
            own_output: 0,
            discarding: false,
            big: None,
            streaming: false,
            large_read: false,
        }
    }

    pub(crate) fn set_stop_signal(&mut self, stop: Arc<StopSignal>) {
        self.stop = Some(stop);
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

    /// The poll form of [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            match ready!(self.poll_chunk(cx, false)) {
                Some(Ok(chunk)) => {
                    let Chunk {
                        kind,
                        payload,
                        first,
                        fin,
                        ..
                    } = chunk;
                    if let Some(msg) = self.assembler.push(kind, payload, first, fin) {
                        return Poll::Ready(Some(Ok(msg)));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }

    /// The next piece of data: a whole frame, or with `partial` whatever part of a frame
    /// has arrived. Drives everything else meanwhile: duty frames, the close handshake,
    /// timers, the stop signal. `None` once the connection is over.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        partial: bool,
    ) -> Poll<Option<Result<Chunk, Error>>> {
        loop {
            match self.phase {
                Phase::Open => {}
                Phase::Finishing => {
                    ready!(self.poll_finish(cx));
                    continue;
                }
                Phase::AwaitEof => {
                    ready!(self.poll_await_eof(cx));
                    continue;
                }
                Phase::Done => return Poll::Ready(self.error.take().map(Err)),
            }
            if let Some(stop) = &self.stop
                && self.core.close_state() == CloseState::Open
                && stop.poll_stopped(cx)
            {
                let _ = self
                    .core
                    .send_close(CloseCode::GOING_AWAY, "server shutting down");
                self.close_deadline = Some(Instant::now() + self.config.close_timeout);
            }
            // Only what reading queued counts here: the program's own sends are bounded
            // by `poll_send_ready`, and a receiving half must keep reading while a sending
            // half waits for a peer that is itself blocked writing to us.
            let pending = self.core.pending_output().len();
            self.own_output = self.own_output.min(pending);
            if pending - self.own_output > self.config.write_buffer_limit {
                // The peer does not read what we owe it (pongs pile up): stop reading
                // until it does.
                match self.poll_write_out(cx) {
                    Poll::Ready(Ok(())) => continue,
                    Poll::Ready(Err(e)) => {
                        self.end(Some(e.into()));
                        continue;
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
            match self.core.poll_event(&mut self.read_buf, partial) {
                Ok(Some(Event::Data {
                    kind,
                    payload,
                    first,
                    fin,
                    ..
                })) => {
                    if fin && self.streaming {
                        // Back to the limits of buffered messages for the next one.
                        self.streaming = false;
                        self.core
                            .set_max_message_size(self.config.limits.message_size_limit());
                        self.core
                            .set_max_frame_size(self.config.limits.frame_size_limit());
                    }
                    if self.discarding {
                        // The rest of a message whose streamed reader was dropped.
                        self.discarding = !fin;
                        continue;
                    }
                    let chunk = Chunk {
                        kind,
                        payload,
                        first,
                        fin,
                    };
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Ok(Some(Event::Close(_))) => self.phase = Phase::Finishing,
                Ok(Some(_)) => {}
                Ok(None) => {
                    // About to wait for the peer: write what is queued first (pongs, close
                    // replies, messages fed without a flush), so that the replies to
                    // everything read so far leave in one write.
                    if let Poll::Ready(Err(e)) = self.poll_write_out(cx) {
                        self.end(Some(e.into()));
                        continue;
                    }
                    if self.eof {
                        let err = if self.core.receive_eof() {
                            None
                        } else {
                            Some(Error::abnormal())
                        };
                        // An EOF in answer to our own close is how some peers end; not an
                        // error for the program that asked to close.
                        let err = err.filter(|_| self.close_deadline.is_none());
                        self.phase = Phase::Done;
                        self.error = err;
                        continue;
                    }
                    match self.poll_fill(cx, partial) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(e)) => self.end(Some(e.into())),
                        Poll::Pending => {
                            ready!(self.poll_timers(cx));
                        }
                    }
                }
                Err(e) => {
                    self.error = Some(e.into());
                    self.phase = Phase::Finishing;
                }
            }
        }
    }

    /// Read more bytes into the read buffer; sets `eof` at end of stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>, partial: bool) -> Poll<io::Result<()>> {
        if self.read_buf.is_empty() {
            // Nothing buffered: read into a buffer of this thread's (see `buffer_pool`), so a
            // connection waiting for its peer holds no read buffer at all, and one read
            // takes up to `SPARE_READ` bytes with no copy (payloads are split off it).
            self.core.shrink_output();
            let own = std::mem::take(&mut self.read_buf);
            let mut buf = buffer_pool::take(own, std::mem::take(&mut self.large_read));
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut buf) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    self.read_buf = buf;
                    self.last_read = Instant::now();
                }
                Poll::Ready(Ok(_)) => {
                    buffer_pool::give(buf);
                    self.eof = true;
                }
                Poll::Ready(Err(e)) => {
                    buffer_pool::give(buf);
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    buffer_pool::give(buf);
                    return Poll::Pending;
                }
            }
            return Poll::Ready(Ok(()));
        }
        let want = self.core.bytes_wanted(self.read_buf.len());
        // Room for what the current frame still needs (bounded by the frame limit the core
        // already checked), at least one chunk; when frames are delivered in pieces, no
        // more than one streaming chunk, so memory stays small whatever the frame size.
        let room = if partial {
            want.min(STREAM_READ_CHUNK)
        } else {
            want
        };
        let needed = self.read_buf.len() + room.max(READ_CHUNK);
        if room >= LARGE_MIN && needed <= SPARE_MAX {
            // A large frame: into the thread's large buffer if it is free (see `buffer_pool`);
            // whichever buffer it is read into is kept for the next large frame.
            if self.read_buf.capacity() < needed
                && let Some(mut large) = buffer_pool::take_large(needed)
            {
                large.extend_from_slice(&self.read_buf);
                let mut small = std::mem::replace(&mut self.read_buf, large);
                small.clear();
                buffer_pool::give(small);
            }
            self.large_read = true;
        }
        self.read_buf.reserve(room.max(READ_CHUNK));
        let n = ready!(tokio_util::io::poll_read_buf(
            Pin::new(&mut self.io),
            cx,
            &mut self.read_buf
        ))?;
        if n == 0 {
            self.eof = true;
        } else {
            self.last_read = Instant::now();
        }
        Poll::Ready(Ok(()))
    }

    /// Poll the idle / close deadline. `Ready` means a deadline passed and the phase changed.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = match (self.close_deadline, self.config.idle_timeout) {
            (Some(close), _) => close,
            (None, Some(idle)) => self.last_read + idle,
            (None, None) => return Poll::Pending,
        };
        ready!(self.poll_deadline(cx, deadline));
        if self.close_deadline.is_some() {
            // The peer did not answer our close in time: give up on it.
            self.end(None);
        } else {
            let _ = self.core.send_close(CloseCode::GOING_AWAY, "idle timeout");
            self.error = Some(Error::idle_timeout());
            self.phase = Phase::Finishing;
        }
        Poll::Ready(())
    }

    /// Write out what is queued, then close TCP (server, failure) or wait for the
    /// server to close it (client after a clean closing handshake).
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = *self
            .close_deadline
            .get_or_insert_with(|| Instant::now() + self.config.close_timeout);
        match self.poll_write_out(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => {
                self.end(None);
                return Poll::Ready(());
            }
            Poll::Pending => {
                ready!(self.poll_deadline(cx, deadline));
                self.end(None);
                return Poll::Ready(());
            }
        }
        if self.core.role() == Role::Client
            && self.core.close_state() == CloseState::Closed
            && !self.eof
        {
            self.phase = Phase::AwaitEof;
        } else {
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            self.phase = Phase::Done;
        }
        Poll::Ready(())
    }

    /// Client: discard bytes until the server closes TCP, bounded by the close timeout.
    fn poll_await_eof(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            self.read_buf.clear();
            match self.poll_fill(cx, true) {
                Poll::Ready(Ok(())) if !self.eof => continue,
                Poll::Ready(_) => break,
                Poll::Pending => {
                    let deadline = self.close_deadline.unwrap_or_else(Instant::now);
                    ready!(self.poll_deadline(cx, deadline));
                    break;
                }
            }
        }
        let _ = Pin::new(&mut self.io).poll_shutdown(cx);
        self.phase = Phase::Done;
        Poll::Ready(())
    }

    /// Ready once `deadline` has passed. One timer serves the idle and close deadlines;
    /// it is created when first needed and moved, not re-created, when the deadline moves.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx)
    }

    fn end(&mut self, error: Option<Error>) {
        if self.error.is_none() {
            self.error = error;
        }
        self.phase = Phase::Done;
        self.timer = None;
    }

    // ------------------------------------------------------------------ send

    /// Write queued bytes until none are left (or the socket would block).
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(big) = &mut self.big {
            let (at, payload) = &mut **big;
            // What was queued before the payload, the payload, and what was queued after
            // it (copied messages, pongs): one vectored write.
            let (head, tail) = self.core.pending_output().split_at(*at);
            let bufs = [
                io::IoSlice::new(head),
                io::IoSlice::new(payload),
                io::IoSlice::new(tail),
            ];
            let n = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &bufs))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let from_head = n.min(*at);
            let from_payload = (n - from_head).min(payload.len());
            let from_tail = n - from_head - from_payload;
            *at -= from_head;
            payload.advance(from_payload);
            let done = payload.is_empty();
            // Bytes of the tail are written only after all of the head.
            self.core.consume_output(from_head + from_tail);
            if done {
                self.big = None;
            }
        }
        while self.core.has_output() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.core.pending_output()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.core.consume_output(n);
        }
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Ready when a new message may be queued: what is already queued is under
    /// [`Config::write_buffer_limit`].
    fn poll_send_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !matches!(self.phase, Phase::Open) || self.core.close_state() != CloseState::Open {
            return Poll::Ready(Err(Error::closed()));
        }
        loop {
            let big = self.big.as_ref().map_or(0, |big| big.1.len());
            if self.core.pending_output().len() + big < self.config.write_buffer_limit {
                break;
            }
            if big > 0 {
                ready!(self.poll_write_out(cx))?;
                continue;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.core.pending_output()))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
            }
            self.core.consume_output(n);
        }
        Poll::Ready(Ok(()))
    }

    async fn queue(
        &mut self,
        enqueue: impl FnOnce(&mut Connection) -> Result<(), rfc6455_proto::SendError>,
    ) -> Result<(), Error> {
        poll_fn(|cx| self.poll_send_ready(cx)).await?;
        enqueue(&mut self.core)?;
        self.own_output = self.core.pending_output().len();
        Ok(())
    }

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
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.feed(message).await?;
        self.flush().await
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
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// for i in 0..10 {
    ///     ws.feed(format!("line {i}")).await?;
    /// }
    /// ws.flush().await?;
    /// # Ok(()) }
    /// ```
    pub async fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        if message.len() >= ZERO_COPY_MIN {
            poll_fn(|cx| self.poll_send_ready(cx)).await?;
            return self.enqueue(&message);
        }
        self.queue(|core| core.send_message(&message)).await
    }

    /// Send a text message.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.queue(|core| core.send_text(text)).await?;
        self.flush().await
    }

    /// Send a binary message.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_binary(data)).await?;
        self.flush().await
    }

    /// Send one fragment of a message by hand (§5.4): the first with `Some(kind)`, then
    /// continuations with `None`; the last has `fin = true`. Other messages cannot be sent
    /// until the last fragment is (control frames can).
    ///
    /// # Errors
    /// [`SendError::MessageInProgress`](rfc6455_proto::SendError::MessageInProgress) or
    /// [`SendError::NoMessageInProgress`](rfc6455_proto::SendError::NoMessageInProgress)
    /// (as [`ErrorKind::Send`](crate::ErrorKind::Send)) when the sequence is misused.
    ///
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// use rfc6455::DataKind;
    /// ws.send_fragment(Some(DataKind::Text), b"Hel", false).await?;
    /// ws.send_fragment(None, b"lo", true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_fragment(
        &mut self,
        kind: Option<DataKind>,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.queue(|core| core.send_fragment(kind, data, fin))
            .await?;
        self.flush().await
    }

    /// Send a ping (payload ≤ 125 bytes). The pong comes back through the connection and
    /// is dropped by [`recv`](Self::recv).
    ///
    /// # Errors
    /// As for [`send`](Self::send), plus a payload over 125 bytes.
    pub async fn ping(&mut self, data: &[u8]) -> Result<(), Error> {
        self.queue(|core| core.send_frame(OpCode::Ping, true, data))
            .await?;
        self.flush().await
    }

    /// Write everything queued to the socket.
    ///
    /// # Errors
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) if the socket fails.
    ///
    /// # Cancel safety
    /// Cancel-safe: what is not yet written stays queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_write_out(cx))
            .await
            .map_err(Error::from)
    }

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
    /// ```no_run
    /// # async fn demo(mut ws: rfc6455::WebSocket) -> Result<(), rfc6455::Error> {
    /// ws.close(rfc6455::CloseCode::NORMAL, "bye").await?;
    /// assert!(ws.is_closed());
    /// # Ok(()) }
    /// ```
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.core.close_state() == CloseState::Open && matches!(self.phase, Phase::Open) {
            self.core.send_close(code, reason)?;
            self.close_deadline = Some(Instant::now() + self.config.close_timeout);
        }
        while let Some(result) = self.recv().await {
            if let Err(e) = result {
                tracing::debug!("while closing: {e}");
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ state

    /// Whether the connection has ended: the closing handshake completed, the connection
    /// failed, or the socket closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The peer's close frame: `None` until it arrives (or if it never did), `Some(None)`
    /// if it carried no status (reported as 1005 by [`close_code`](Self::close_code)).
    pub fn close_frame(&self) -> Option<Option<&CloseFrame>> {
        self.core.peer_close()
    }

    /// The status code of the peer's close frame: 1005 if it had none, 1006 if the
    /// connection ended without one, `None` while it is open.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self.core.peer_close() {
            Some(Some(frame)) => Some(frame.code()),
            Some(None) => Some(CloseCode::NO_STATUS),
            None if self.is_closed() => Some(CloseCode::ABNORMAL),
            None => None,
        }
    }

    /// The reason of the peer's close frame (empty if none).
    pub fn close_reason(&self) -> &str {
        match self.core.peer_close() {
            Some(Some(frame)) => frame.reason(),
            _ => "",
        }
    }

    /// Whether the peer started the closing handshake (`Some(true)`) or this end did.
    pub fn peer_closed_first(&self) -> Option<bool> {
        self.core.peer_closed_first()
    }

    /// The opening handshake: request line and headers, path, host, addresses,
    /// subprotocol.
    pub fn handshake(&self) -> &HandshakeInfo {
        &self.info
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.info.subprotocol()
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.core.role()
    }

    /// The settings of this connection.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether messages can be sent in fragments (RFC 6455: yes; hybi-00: no).
    pub fn supports_fragmentation(&self) -> bool {
        self.core.variant().supports_fragmentation()
    }

    /// Whether messages of this type can be sent (RFC 6455: text and binary; hybi-00:
    /// text only).
    pub fn supports_payload_kind(&self, kind: DataKind) -> bool {
        self.core.variant().supports_payload_kind(kind)
    }

    /// Whether close frames carry a status and reason (RFC 6455: yes; hybi-00: no).
    pub fn signals_status_on_close(&self) -> bool {
        self.core.variant().signals_status_on_close()
    }

    /// The protocol this connection speaks: RFC 6455, or the legacy hybi-00 draft.
    pub fn variant(&self) -> rfc6455_proto::Variant {
        self.core.variant()
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &S {
        &self.io
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
    pub fn split(self) -> (crate::split::RecvHalf<S>, crate::split::SendHalf<S>) {
        crate::split::split(self)
    }

    // The poll forms used by the split halves and the Sink impl.

    pub(crate) fn poll_ready_to_send(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_send_ready(cx)
    }

    pub(crate) fn enqueue(&mut self, message: &Message) -> Result<(), Error> {
        let opcode = match message {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
        };
        let len = message.len();
        if len >= ZERO_COPY_MIN && self.big.is_none() {
            // A server's large payload leaves from its own memory: only the header is
            // queued (`None`: a client must mask, which needs a copy). One such payload
            // at a time; more messages queued meanwhile are copied behind it, so that a
            // burst of them leaves in one write.
            if let Some((head, n)) = self.core.data_frame_header(opcode, true, len)? {
                self.core.queue_raw(&head[..n]);
                let at = self.core.pending_output().len();
                self.big = Some(Box::new((at, message.clone().into_bytes())));
                self.own_output = at;
                return Ok(());
            }
        }
        self.core.send_message(message)?;
        self.own_output = self.core.pending_output().len();
        Ok(())
    }

    pub(crate) fn enqueue_with(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<(), rfc6455_proto::SendError>,
    ) -> Result<(), Error> {
        f(&mut self.core)?;
        self.own_output = self.core.pending_output().len();
        Ok(())
    }

    pub(crate) fn poll_flush_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_write_out(cx).map_err(Error::from)
    }

    /// Start a streamed receive: lift the frame limit (frames come in pieces) and apply the
    /// streaming message limit to the next message.
    pub(crate) fn begin_streamed_receive(&mut self) {
        self.streaming = true;
        self.core.set_max_frame_size(u64::MAX);
        self.core
            .set_max_message_size(self.config.stream_message_limit.unwrap_or(u64::MAX));
    }

    /// The fragment size of streamed sends.
    pub(crate) fn stream_fragment_size(&self) -> usize {
        self.config.stream_fragment_size
    }

    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.core.close_state() == CloseState::Open && matches!(self.phase, Phase::Open) {
            self.core.send_close(code, reason)?;
            self.close_deadline = Some(Instant::now() + self.config.close_timeout);
        }
        Ok(())
    }
}

impl<S> WebSocket<S> {
    /// Discard the rest of the current message; usable from `Drop` impls.
    pub(crate) fn mark_discarding_any(&mut self) {
        self.discarding = true;
    }
}

impl<S> futures_core::Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<S> futures_sink::Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_send_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().enqueue(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_flush_out(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.start_close(CloseCode::NORMAL, "")?;
        this.poll_flush_out(cx)
    }
}
