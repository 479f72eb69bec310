//! Ending a connection: the closing handshake, the server's stop signal, the idle and
//! close deadlines, and what the peer's close frame said.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rfc6455_proto::{CloseCode, CloseState, Role, Utf8Bytes};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::wait::WakerId;
use super::{Driver, Phase};
use crate::coarse_timer::CoarseTimer;
use crate::error::Error;

impl<S> Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Start the closing handshake if the server is stopping (close 1001). Only looks:
    /// the waker is left with the stop signal when the connection waits (`wait`).
    pub(super) fn check_stop_signal(&mut self) {
        if let Some(stop) = &self.stop
            && stop.is_stopped()
            && self.core.close_state() == CloseState::Open
        {
            let _ = self
                .core
                .send_close(CloseCode::GOING_AWAY, "server shutting down");
            self.close_deadline = Some(Instant::now() + self.config.close_timeout);
        }
    }

    /// Poll the close, idle and keepalive deadlines (one timer: the nearest). `Ready`
    /// means a deadline passed and the driver acted: the phase changed, or a keepalive
    /// ping was queued.
    pub(super) fn poll_timers(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(close) = self.close_deadline {
            ready!(self.poll_deadline(cx, close));
            // The peer did not answer our close in time: give up on it.
            self.end(None);
            return Poll::Ready(());
        }
        let idle = self.config.idle_timeout.map(|idle| self.last_read + idle);
        let keepalive = self.keepalive_deadline();
        let deadline = match (idle, keepalive) {
            (Some(idle), Some(keepalive)) => idle.min(keepalive),
            (Some(one), None) | (None, Some(one)) => one,
            (None, None) => return Poll::Pending,
        };
        ready!(self.poll_deadline_lazy(cx, deadline));
        if idle.is_some_and(|idle| idle <= deadline) {
            let _ = self.core.send_close(CloseCode::GOING_AWAY, "idle timeout");
            self.error = Some(Error::idle_timeout());
            self.phase = Phase::Finishing;
        } else {
            self.keepalive_due(Instant::now());
        }
        Poll::Ready(())
    }

    /// Write out what is queued, then close TCP (server, failure) or wait for the
    /// server to close it (client after a clean closing handshake).
    pub(super) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
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
    pub(super) fn poll_await_eof(&mut self, cx: &mut Context<'_>) -> Poll<()> {
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
}

impl<S> Driver<S> {
    /// Send a close frame unless the closing handshake has begun, and start the close
    /// deadline ([`Config::close_timeout`](crate::Config::close_timeout)).
    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.core.close_state() == CloseState::Open && matches!(self.phase, Phase::Open) {
            self.core.send_close(code, reason)?;
            self.close_deadline = Some(Instant::now() + self.config.close_timeout);
        }
        Ok(())
    }

    /// Whether the connection has ended.
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The status code of the peer's close frame: 1005 if it had none, 1006 if the
    /// connection ended without one, `None` while it is open.
    pub(crate) fn peer_close_code(&self) -> Option<CloseCode> {
        match self.core.peer_close() {
            Some(frame) => Some(frame.code()),
            None if self.is_closed() => Some(CloseCode::ABNORMAL),
            None => None,
        }
    }

    /// The reason of the peer's close frame (empty if none).
    pub(crate) fn peer_close_reason(&self) -> Utf8Bytes {
        self.core
            .peer_close()
            .map(|frame| Utf8Bytes::from(frame.reason()))
            .unwrap_or_default()
    }

    /// Ready once `deadline` has passed. One timer serves the idle and close deadlines;
    /// it is created when first needed and moved, not re-created, when the deadline moves.
    fn poll_deadline(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        self.poll_timer(cx, deadline, false)
    }

    /// [`poll_deadline`](Self::poll_deadline) for a deadline that moves later all the
    /// time (the idle and keepalive deadlines move with every read): a timer set for an
    /// earlier instant is left as it is, wakes the task early and is moved to `deadline`
    /// then. Moving the timer costs a timer-wheel update; this way a busy connection
    /// pays it about once per deadline period instead of once per message.
    fn poll_deadline_lazy(&mut self, cx: &mut Context<'_>, deadline: Instant) -> Poll<()> {
        ready!(self.poll_timer(cx, deadline, true));
        let timer = self.timer.as_mut().expect("polled above");
        if timer.deadline() < deadline {
            // Woken early: wait on for the deadline itself.
            timer.reset(deadline);
            return self.poll_timer(cx, deadline, true);
        }
        Poll::Ready(())
    }

    /// The one place the timer is polled. While it holds this task's waker at this
    /// deadline (`registered`, see `wait`) and has not fired, polling it again would
    /// change nothing: that is skipped. Moving it or its firing forgets the waker.
    fn poll_timer(&mut self, cx: &mut Context<'_>, deadline: Instant, lazy: bool) -> Poll<()> {
        let timer = self.timer.get_or_insert_with(|| CoarseTimer::new(deadline));
        let moved = if lazy {
            timer.deadline() > deadline
        } else {
            timer.deadline() != deadline
        };
        if moved {
            timer.reset(deadline);
            self.registered = WakerId::NONE;
        } else if self.registered == WakerId::of(cx.waker()) && !timer.is_elapsed() {
            return Poll::Pending;
        }
        let poll = timer.poll(cx);
        if poll.is_ready() || self.registered != WakerId::of(cx.waker()) {
            self.registered = WakerId::NONE;
        }
        poll
    }

    /// The connection is over: `error` (unless one is already pending) goes to the program.
    pub(super) fn end(&mut self, error: Option<Error>) {
        if self.error.is_none() {
            self.error = error;
        }
        self.phase = Phase::Done;
        self.timer = None;
        self.registered = WakerId::NONE;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rfc6455_proto::{CloseCode, Message, Role};

    use crate::stop::StopSignal;
    use crate::{Config, WebSocket};

    /// A stopping server sends its 1001 after what the handler had already queued: the
    /// messages arrive, in order, before the close.
    #[tokio::test]
    async fn stop_closes_after_what_was_queued() {
        let (a, b) = tokio::io::duplex(1 << 20);
        let mut client = WebSocket::from_stream(a, Role::Client, Config::default());
        let mut server = WebSocket::from_stream(b, Role::Server, Config::default());
        let stop = Arc::new(StopSignal::default());
        server.set_stop_signal(stop.slot());
        for i in 0..100 {
            server.feed(Message::text(i.to_string())).await.unwrap();
        }
        stop.stop();
        // The server's next receive sees the stop, writes everything, and ends once the
        // client has answered the close.
        let server = tokio::spawn(async move {
            let end = server.recv().await;
            (end.is_none(), server.peer_close_code())
        });
        for i in 0..100 {
            let msg = client.recv().await.unwrap().unwrap();
            assert_eq!(msg, Message::text(i.to_string()));
        }
        assert!(client.recv().await.is_none());
        assert_eq!(client.peer_close_code(), Some(CloseCode::GOING_AWAY));
        assert_eq!(server.await.unwrap(), (true, Some(CloseCode::GOING_AWAY)));
    }
}
