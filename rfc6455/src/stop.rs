//! [`StopSignal`]: how a server tells all its connections to close; [`StopSlot`]: one
//! connection's place in it.
//!
//! A server has one signal: one flag for all its connections, and a table of slots, one per
//! connection that watches it, each holding the waker of the task waiting on that
//! connection (if any). Stopping sets the flag and wakes every waker in the table; a
//! connection reads the flag whenever it polls for input. The table, not an allocation
//! per connection, is what a connection costs: one slot (16 bytes).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Tells a server's connections to close with 1001 (going away).
///
/// Set once by the server's stop handle; each connection holds a [`StopSlot`] of it.
#[derive(Debug, Default)]
pub(crate) struct StopSignal {
    stopped: AtomicBool,
    wakers: Mutex<Wakers>,
}

/// The slots' wakers, and which slots are free for the next connection.
#[derive(Debug, Default)]
struct Wakers {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl StopSignal {
    /// A slot for one more connection, freed when the slot is dropped.
    pub(crate) fn slot(self: &Arc<Self>) -> StopSlot {
        let mut wakers = self.lock();
        let index = match wakers.free.pop() {
            Some(index) => index,
            None => {
                wakers.slots.push(None);
                wakers.slots.len() - 1
            }
        };
        StopSlot {
            signal: self.clone(),
            index,
        }
    }

    /// Stop: every slot's connection sees it from now on, and every waiting one is woken.
    pub(crate) fn stop(&self) {
        // Set before the table is locked: a slot registering after this lock sees it.
        self.stopped.store(true, Ordering::Release);
        let waiting: Vec<Waker> = self
            .lock()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        waiting.into_iter().for_each(Waker::wake);
    }

    fn lock(&self) -> MutexGuard<'_, Wakers> {
        self.wakers.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One connection's slot in a server's [`StopSignal`].
#[derive(Debug)]
pub(crate) struct StopSlot {
    signal: Arc<StopSignal>,
    index: usize,
}

impl Drop for StopSlot {
    fn drop(&mut self) {
        let mut wakers = self.signal.lock();
        wakers.slots[self.index] = None;
        wakers.free.push(self.index);
    }
}

impl StopSlot {
    /// Whether the server is stopping (no waker registered: see [`register`](Self::register)).
    pub(crate) fn is_stopped(&self) -> bool {
        self.signal.stopped.load(Ordering::Acquire)
    }

    /// Have `waker` woken when the server stops; whether it already has. Takes the
    /// server's lock: callers remember which waker they left (see `driver/wait.rs`).
    pub(crate) fn register(&self, waker: &Waker) -> bool {
        {
            let mut wakers = self.signal.lock();
            let slot = &mut wakers.slots[self.index];
            if !slot.as_ref().is_some_and(|held| held.will_wake(waker)) {
                *slot = Some(waker.clone());
            }
        }
        self.is_stopped()
    }

    /// Drive `conn` (a hyper connection) to its end; once stopped, call `graceful_shutdown`
    /// on it once (it finishes what is in progress, then closes) and keep driving it.
    pub(crate) async fn drive<C: Future>(
        &self,
        mut conn: Pin<&mut C>,
        mut graceful_shutdown: impl FnMut(Pin<&mut C>),
    ) -> C::Output {
        let mut shutting_down = false;
        // The waker left in the slot: registering it again would change nothing.
        let mut registered: Option<Waker> = None;
        std::future::poll_fn(|cx| {
            if !shutting_down {
                let stopped = if registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    self.is_stopped()
                } else {
                    registered = Some(cx.waker().clone());
                    self.register(cx.waker())
                };
                if stopped {
                    graceful_shutdown(conn.as_mut());
                    shutting_down = true;
                }
            }
            conn.as_mut().poll(cx)
        })
        .await
    }

    /// Resolves once the server is stopping.
    pub(crate) async fn stopped(&self) {
        std::future::poll_fn(|cx: &mut Context<'_>| {
            if self.is_stopped() || self.register(cx.waker()) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::StopSignal;

    /// Stopping wakes the tasks waiting on slots, and slots taken after it see it too; a
    /// dropped slot's place goes to the next one.
    #[tokio::test(start_paused = true)]
    async fn stop_wakes_every_slot_and_slots_are_reused() {
        let signal = Arc::new(StopSignal::default());
        let first = signal.slot();
        let dropped = signal.slot();
        let index = dropped.index;
        drop(dropped);
        let reused = signal.slot();
        assert_eq!(reused.index, index, "the freed slot is taken again");
        let waiting: Vec<_> = [first, reused]
            .into_iter()
            .map(|slot| tokio::spawn(async move { slot.stopped().await }))
            .collect();
        tokio::task::yield_now().await;
        assert!(waiting.iter().all(|task| !task.is_finished()));
        signal.stop();
        for task in waiting {
            tokio::time::timeout(Duration::from_secs(1), task)
                .await
                .expect("woken by the stop")
                .unwrap();
        }
        assert!(signal.slot().is_stopped());
    }
}
