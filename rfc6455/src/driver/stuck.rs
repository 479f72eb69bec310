//! A peer that does not read: the send timeout.
//!
//! A send waits while the output is over the write buffer limit (backpressure), and a
//! flush until the output is written. Either wait ends, if the peer reads nothing for
//! [`Config::send_timeout`](crate::Config::send_timeout), by dropping the connection with
//! [`ErrorKind::SendTimeout`](crate::ErrorKind::SendTimeout): its output is discarded
//! (memory is back to nothing queued) and the socket shut down. A slow reader is not a
//! stuck one: every byte it takes starts the wait again.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use tokio::time::Instant;

use super::Driver;
use crate::error::Error;

impl<S> Driver<S>
where
    S: AsyncWrite + Unpin,
{
    /// Bound a send's or flush's wait for the socket: `poll` is what the wait gave this
    /// time. Pending while the peer reads, or within the send timeout of the last byte it
    /// read; an error (and the connection dropped) after that.
    pub(super) fn bound_send_wait(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<Result<(), Error>>,
    ) -> Poll<Result<(), Error>> {
        if poll.is_ready() {
            self.send_timer = None;
            return poll;
        }
        let Some(timeout) = self.config.send_timeout else {
            return Poll::Pending;
        };
        let queued = self.queued_len();
        let timer = match &mut self.send_timer {
            Some(timer) => {
                if queued < self.send_wait_queued {
                    // The peer read something since the last look: start again.
                    timer.as_mut().reset(Instant::now() + timeout);
                }
                timer
            }
            slot => slot.insert(Box::pin(tokio::time::sleep(timeout))),
        };
        self.send_wait_queued = queued;
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.send_timer = None;
        drop(self.core.take_output());
        self.big = None;
        let _ = Pin::new(&mut self.io).poll_shutdown(cx);
        self.end(Some(Error::send_timeout()));
        Poll::Ready(Err(Error::send_timeout()))
    }

    /// The bytes queued for the socket: the core's output and a large payload's rest.
    fn queued_len(&self) -> usize {
        let big = self.big.as_ref().map_or(0, |big| big.bytes());
        self.core.pending_output().len() + big
    }
}
