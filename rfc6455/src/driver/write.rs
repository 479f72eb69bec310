//! The write path: queueing messages in the core (bounded by the write buffer limit) and
//! writing the output, large server payloads straight from their own memory.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use rfc6455_proto::{CloseState, Connection, DataKind, Message, OpCode, Role, SendError, Variant};
use tokio::io::{AsyncRead, AsyncWrite};

use super::payloads::{Payloads, Slices};
use super::{Driver, Phase};
use crate::buffer_pool;
use crate::error::Error;
use crate::shared_frame::SharedFrame;

/// Server payloads at least this long are written from the message's own memory (header
/// and payload in one vectored write) instead of being copied into the output buffer.
const ZERO_COPY_MIN: usize = 16 * 1024;

impl<S> Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wait until a message may be queued, then queue what `enqueue` puts in the core.
    pub(crate) async fn queue(
        &mut self,
        enqueue: impl FnOnce(&mut Connection) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        poll_fn(|cx| self.poll_send_ready(cx)).await?;
        self.enqueue_with(enqueue)
    }

    /// Write everything queued to the socket (within the send timeout).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let poll = self.poll_write_out(cx).map_err(Error::from);
        self.bound_send_wait(cx, poll)
    }

    /// Write queued bytes until none are left (or the socket would block).
    pub(super) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(big) = &mut self.big {
            self.unflushed = true;
            // The output and the payloads in their places: one vectored write.
            let mut bufs: Slices<'_> = [io::IoSlice::new(&[]); _];
            let filled = big.slices(self.core.pending_output(), &mut bufs);
            let n = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &bufs[..filled]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let (output, done) = big.advance(n);
            self.core.consume_output(output);
            if done {
                self.big = None;
            }
        }
        while self.core.has_output() {
            self.unflushed = true;
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.core.pending_output()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.core.consume_output(n);
        }
        // Nothing written since the last flush: nothing for the stream to flush either.
        if self.unflushed {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// Ready when a new message may be queued: what is already queued is under
    /// [`Config::write_buffer_limit`](crate::Config::write_buffer_limit) (waiting at most
    /// the send timeout for the peer to read).
    pub(crate) fn poll_send_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let poll = self.poll_room(cx);
        self.bound_send_wait(cx, poll)
    }

    /// Wait for room, then queue a [`SharedFrame`] (see
    /// [`enqueue_shared`](Self::enqueue_shared)).
    pub(crate) fn poll_send_shared(
        &mut self,
        cx: &mut Context<'_>,
        frame: &SharedFrame,
    ) -> Poll<Result<(), Error>> {
        ready!(self.poll_send_ready(cx))?;
        Poll::Ready(self.enqueue_shared(cx, frame))
    }

    /// Queue a shared frame. A server with nothing queued writes its pre-encoded header
    /// and shared payload straight away, in one vectored write, and keeps only what the
    /// socket did not take (the payload's rest as the large payload of
    /// [`poll_write_out`](Self::poll_write_out)): a socket that keeps up costs no copy and
    /// no allocation. Otherwise (output already queued, a client, hybi-00,
    /// permessage-deflate) the payload is copied into the output, sent uncompressed.
    fn enqueue_shared(&mut self, cx: &mut Context<'_>, frame: &SharedFrame) -> Result<(), Error> {
        let opcode = match frame.kind() {
            DataKind::Text => OpCode::Text,
            DataKind::Binary => OpCode::Binary,
        };
        let core = &self.core;
        let direct = self.big.is_none()
            && !core.has_output()
            && core.role() == Role::Server
            && core.variant() == Variant::Rfc6455
            && core.deflate().is_none();
        if !direct {
            self.borrow_output_buffer();
            self.core
                .send_frame_uncompressed(opcode, true, frame.payload())?;
            self.own_output = self.core.pending_output().len();
            return Ok(());
        }
        // The core's send rules for a whole data frame, which leaves its state as it was.
        if core.close_state() != CloseState::Open {
            return Err(SendError::Closed.into());
        }
        if core.is_sending_message() {
            return Err(SendError::MessageInProgress.into());
        }
        let (header, payload) = (frame.server_header(), frame.payload());
        let total = header.len() + payload.len();
        let mut written = 0;
        while written < total {
            let bufs = if written < header.len() {
                [
                    io::IoSlice::new(&header[written..]),
                    io::IoSlice::new(payload),
                ]
            } else {
                [
                    io::IoSlice::new(&payload[written - header.len()..]),
                    io::IoSlice::new(&[]),
                ]
            };
            self.unflushed = true;
            match Pin::new(&mut self.io).poll_write_vectored(cx, &bufs) {
                Poll::Ready(Ok(0)) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Poll::Ready(Ok(n)) => written += n,
                Poll::Ready(Err(e)) => return Err(e.into()),
                Poll::Pending => break,
            }
        }
        // What the socket did not take waits, without a copy of the payload.
        let rest = if written == total {
            return Ok(());
        } else if written == 0 {
            // The core queues the header; the payload follows it.
            self.core.send_frame_header(opcode, true, payload.len())?;
            frame.message().clone().into_bytes()
        } else if written >= header.len() {
            frame
                .message()
                .clone()
                .into_bytes()
                .slice(written - header.len()..)
        } else {
            // Part of the header only (rare: a socket with room for a few bytes).
            let mut rest = BytesMut::with_capacity(total - written);
            rest.extend_from_slice(&header[written..]);
            rest.extend_from_slice(payload);
            rest.freeze()
        };
        self.big = Some(Box::new(Payloads::new(
            self.core.pending_output().len(),
            rest,
        )));
        self.own_output = self.core.pending_output().len();
        Ok(())
    }

    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !matches!(self.phase, Phase::Open) || self.core.close_state() != CloseState::Open {
            return Poll::Ready(Err(Error::closed()));
        }
        loop {
            let big = self.big.as_ref().map_or(0, |big| big.bytes());
            if self.core.pending_output().len() + big < self.config.write_buffer_limit {
                break;
            }
            if big > 0 {
                ready!(self.poll_write_out(cx))?;
                continue;
            }
            self.unflushed = true;
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, self.core.pending_output()))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
            }
            self.core.consume_output(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S> Driver<S> {
    /// Queue a whole message (once [`poll_send_ready`](Self::poll_send_ready) said there
    /// is room). A server's large payload is not copied: it is written from its own memory.
    // Every `feed` and `send` runs this: inlined, the path of a small message is the core's
    // `send_message` and little more (an out-of-line call measurably cost small echoes).
    #[inline(always)]
    pub(crate) fn enqueue(&mut self, message: &Message) -> Result<(), Error> {
        if message.len() >= ZERO_COPY_MIN
            && !self.big.as_ref().is_some_and(|big| big.is_full())
            && self.enqueue_zero_copy(message)?
        {
            return Ok(());
        }
        self.borrow_output_buffer();
        self.core.send_message(message)?;
        self.own_output = self.core.pending_output().len();
        Ok(())
    }

    /// A connection with no output buffer (it gave its own back when it last waited)
    /// takes the thread's spare before it queues (see [`buffer_pool`]).
    #[inline]
    fn borrow_output_buffer(&mut self) {
        if self.core.output_capacity() == 0 {
            let spare = buffer_pool::take_output();
            if spare.capacity() > 0 {
                let _ = self.core.swap_output_buffer(spare);
            }
        }
    }

    /// Before a wait: an output buffer with nothing queued goes back to the thread, so a
    /// waiting connection holds none (see [`buffer_pool`]).
    pub(super) fn lend_output_buffer(&mut self) {
        if self.core.output_capacity() > 0 && !self.core.has_output() {
            buffer_pool::give_output(self.core.swap_output_buffer(BytesMut::new()));
        }
    }

    /// Queue only the frame header of a large message, whose payload then leaves from its
    /// own memory: whether it could (`false` for a client, which must mask: that needs a
    /// copy). Up to [`MAX_PAYLOADS`](super::payloads::MAX_PAYLOADS) such payloads wait at
    /// a time, written with the output around them in vectored writes; more large messages
    /// queued meanwhile are copied.
    fn enqueue_zero_copy(&mut self, message: &Message) -> Result<bool, Error> {
        let opcode = match message {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
        };
        if let Some(at) = self.core.send_frame_header(opcode, true, message.len())? {
            let payload = message.clone().into_bytes();
            match &mut self.big {
                Some(big) => big.push(at, payload),
                None => self.big = Some(Box::new(Payloads::new(at, payload))),
            }
            self.own_output = at;
            return Ok(true);
        }
        Ok(false)
    }

    /// Queue what `f` puts in the core (once [`poll_send_ready`](Self::poll_send_ready)
    /// said there is room), as the program's own output.
    pub(crate) fn enqueue_with(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        self.borrow_output_buffer();
        f(&mut self.core)?;
        self.own_output = self.core.pending_output().len();
        Ok(())
    }
}
