//! [`StopSignal`]: how a server tells all its connections to close.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Waker};

use futures_util::task::AtomicWaker;

/// Tells a server's connections to close with 1001 (going away).
///
/// Set once by the server's stop handle and read by each connection whenever it polls
/// for input; a connection waiting for its peer is woken to see it.
#[derive(Debug, Default)]
pub(crate) struct StopSignal {
    stopped: AtomicBool,
    waker: AtomicWaker,
}

impl StopSignal {
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Whether the server is stopping (no waker registered: see [`register`](Self::register)).
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Have `waker` woken when the server stops; whether it already has.
    pub(crate) fn register(&self, waker: &Waker) -> bool {
        self.waker.register(waker);
        self.is_stopped()
    }

    /// Whether the server is stopping; if not, `cx`'s waker is woken when it does.
    pub(crate) fn poll_stopped(&self, cx: &Context<'_>) -> bool {
        self.is_stopped() || self.register(cx.waker())
    }

    /// Drive `conn` (a hyper connection) to its end; once stopped, call `graceful_shutdown`
    /// on it once (it finishes what is in progress, then closes) and keep driving it.
    pub(crate) async fn drive<C: Future>(
        &self,
        mut conn: Pin<&mut C>,
        mut graceful_shutdown: impl FnMut(Pin<&mut C>),
    ) -> C::Output {
        let mut shutting_down = false;
        std::future::poll_fn(|cx| {
            if !shutting_down && self.poll_stopped(cx) {
                graceful_shutdown(conn.as_mut());
                shutting_down = true;
            }
            conn.as_mut().poll(cx)
        })
        .await
    }
}
