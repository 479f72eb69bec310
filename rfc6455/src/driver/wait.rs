//! Waiting for the peer: the wakers a waiting connection leaves with the stop signal and
//! its timer, and the memo that spares registering them again.
//!
//! A connection that reads one message at a time waits once per message. Each wait must
//! leave the task's waker with everything that can end it: the socket (the read that
//! returned `Pending` did), the server's stop signal and the connection's timer. The
//! waker of a task does not change between its polls, so once both hold it, and until
//! the timer is moved or fires, registering it again would change nothing: the driver
//! remembers which waker they hold ([`WakerId`]) and skips them while it is the same.

use std::task::{Context, Poll, Waker};

use rfc6455_proto::CloseState;
use tokio::io::{AsyncRead, AsyncWrite};

use super::Driver;

/// Which waker the stop signal and the timer hold, by identity: the two pointers
/// [`Waker::will_wake`] compares. Kept only while they hold a clone of that waker, so
/// the pointers cannot be reused by another task meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WakerId {
    data: usize,
    vtable: usize,
}

impl WakerId {
    /// No waker is known to be registered.
    pub(super) const NONE: Self = Self { data: 0, vtable: 0 };

    pub(super) fn of(waker: &Waker) -> Self {
        Self {
            data: waker.data() as usize,
            vtable: std::ptr::from_ref(waker.vtable()) as usize,
        }
    }
}

impl<S> Driver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wait (after the socket said `Pending`) for a deadline or the stop signal. `Ready`
    /// means the driver acted (see [`poll_timers`](Self::poll_timers)) or the server is
    /// stopping: look again.
    pub(super) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let id = WakerId::of(cx.waker());
        if self.registered != id {
            self.registered = WakerId::NONE;
            // Stopped since the last look, and not yet acted on: look again.
            if let Some(stop) = &self.stop
                && stop.register(cx.waker())
                && self.core.close_state() == CloseState::Open
            {
                return Poll::Ready(());
            }
        }
        let poll = self.poll_timers(cx);
        if poll.is_pending() {
            self.registered = id;
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use rfc6455_proto::{CloseCode, Role};
    use tokio::time::timeout;

    use crate::stop::StopSignal;
    use crate::{Config, WebSocket};

    /// `ws` after a task of its own waited in `recv` (leaving that task's waker with the
    /// stop signal and the timer) and gave up.
    async fn waited_in_another_task(
        mut ws: WebSocket<tokio::io::DuplexStream>,
    ) -> WebSocket<tokio::io::DuplexStream> {
        let task = tokio::spawn(async move {
            let waited = timeout(Duration::from_secs(1), ws.recv()).await;
            (waited.is_err(), ws)
        });
        let (gave_up, ws) = task.await.unwrap();
        assert!(gave_up, "nothing to receive: the wait ends by the timeout");
        ws
    }

    /// A receive that moves to another task leaves its waker with the stop signal there
    /// (the memo of the first task's waker does not stand in for it).
    #[tokio::test(start_paused = true)]
    async fn a_connection_moved_to_another_task_still_sees_the_stop() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let mut client = WebSocket::from_stream(a, Role::Client, Config::default());
        let mut server = WebSocket::from_stream(b, Role::Server, Config::default());
        let stop = Arc::new(StopSignal::default());
        server.set_stop_signal(stop.slot());
        let mut server = waited_in_another_task(server).await;
        // The second waits in `recv` when the server stops.
        let second = tokio::spawn(async move {
            let end = server.recv().await;
            (end.is_none(), server.peer_close_code())
        });
        tokio::task::yield_now().await;
        stop.stop();
        let seen = timeout(Duration::from_secs(10), client.recv()).await;
        assert!(matches!(seen, Ok(None)), "the client saw {seen:?}");
        assert_eq!(client.peer_close_code(), Some(CloseCode::GOING_AWAY));
        let ended = timeout(Duration::from_secs(10), second).await;
        assert_eq!(ended.unwrap().unwrap(), (true, Some(CloseCode::GOING_AWAY)));
    }

    /// The same for the timer: a receive moved to another task still pings a quiet peer
    /// at the end of the keepalive interval, and fails it when no pong comes.
    #[tokio::test(start_paused = true)]
    async fn a_connection_moved_to_another_task_still_runs_its_timers() {
        let (a, b) = tokio::io::duplex(1 << 16);
        // A client that never reads: its pong never comes.
        let _client = a;
        let config = Config::default()
            .ping_interval(Some(Duration::from_secs(20)))
            .pong_timeout(Some(Duration::from_secs(20)))
            .idle_timeout(None);
        let server = WebSocket::from_stream(b, Role::Server, config);
        let mut server = waited_in_another_task(server).await;
        let second = tokio::spawn(async move {
            let end = server.recv().await;
            (end.map(|r| r.map_err(|e| e.kind())), server.is_closed())
        });
        let ended = timeout(Duration::from_secs(120), second).await;
        let (end, closed) = ended.expect("the pong timeout ended the receive").unwrap();
        assert_eq!(end, Some(Err(crate::ErrorKind::PongTimeout)));
        assert!(closed);
    }
}
