//! The read loop: bytes from the stream into the core, data out as chunks or messages.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rfc6455_proto::{Event, Message};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::{Chunk, Driver, Phase};
use crate::buffer_pool::{self, LARGE_MIN, SPARE_MAX};
use crate::error::Error;

/// How much the read buffer grows by when it needs room.
const READ_CHUNK: usize = 8 * 1024;

/// The most the read buffer grows by for a streamed receive.
const STREAM_READ_CHUNK: usize = 64 * 1024;

impl<S> Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// The next whole message (fragments reassembled); `None` once the connection is over.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
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
        if let Some(chunk) = self.take_held() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        self.poll_read_chunk(cx, partial)
    }

    /// [`poll_chunk`](Self::poll_chunk) without the data held by a `ping_rtt`.
    pub(super) fn poll_read_chunk(
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
            self.check_stop_signal();
            // Only what reading queued counts here: the program's own sends are bounded
            // by `poll_send_ready`, and a receiving half must keep reading while a sending
            // half waits for a peer that is itself blocked writing to us.
            let pending = self.core.pending_output().len();
            self.own_output = self.own_output.min(pending);
            if pending - self.own_output > self.config.write_buffer_limit {
                // The peer does not read what we owe it: stop reading until it does (the
                // timers still run).
                match self.poll_write_out(cx) {
                    Poll::Ready(Ok(())) => continue,
                    Poll::Ready(Err(e)) => {
                        self.end(Some(e.into()));
                        continue;
                    }
                    Poll::Pending => {
                        ready!(self.poll_wait(cx));
                        continue;
                    }
                }
            }
            match self.core.poll_event(&mut self.read_buf, partial) {
                Ok(Some(Event::Data {
                    kind,
                    payload,
                    first,
                    frame_end,
                    fin,
                })) => {
                    self.keepalive.heard |= frame_end;
                    if !self.streamed_data(fin) {
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
                Ok(Some(Event::Pong(payload))) => self.pong_received(&payload, cx),
                Ok(Some(_)) => self.keepalive.heard = true,
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
                            ready!(self.poll_wait(cx));
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
    pub(super) fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        partial: bool,
    ) -> Poll<io::Result<()>> {
        if self.read_buf.is_empty() {
            // Nothing buffered: read into a buffer of this thread's (see `buffer_pool`), so
            // a connection waiting for its peer holds no read buffer at all, and one read
            // takes up to `SPARE_READ` bytes with no copy (payloads are split off it).
            self.lend_output_buffer();
            let own = std::mem::take(&mut self.read_buf);
            let mut buf = buffer_pool::take(own, std::mem::take(&mut self.large_read));
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut buf) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    self.read_buf = buf;
                    self.note_read();
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
            // A large frame: into the thread's large buffer if it is free (see
            // `buffer_pool`); whichever buffer it is read into is kept for the next large
            // frame.
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
            self.note_read();
        }
        Poll::Ready(Ok(()))
    }

    /// Bytes arrived: the idle deadline moves (the clock is read only when there is one).
    #[inline]
    fn note_read(&mut self) {
        if self.config.idle_timeout.is_some() {
            self.last_read = Instant::now();
        }
    }
}
