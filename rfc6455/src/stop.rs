//! [`StopSignal`]: how a server tells all its connections to close.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Context;

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

    pub(crate) fn poll_stopped(&self, cx: &Context<'_>) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        self.stopped.load(Ordering::Acquire)
    }
}
