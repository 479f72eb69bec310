//! One subscriber's bounded queue of frames to send ([`Mailbox`]), shared by the hub
//! (which pushes without waiting) and the subscriber (which pops and sends).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::policy::Overflow;
use crate::shared_frame::SharedFrame;

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pushed {
    /// Queued.
    Queued,
    /// Queued, and the oldest frame dropped to make room.
    DroppedOldest,
    /// Not queued: the queue was full ([`Overflow::DropNewest`]).
    DroppedNewest,
    /// Not queued: the queue was full and the subscriber is now cut off.
    CutOff,
    /// Not queued: the subscriber was cut off before.
    Gone,
}

/// A subscriber's queue: at most `limit` frames, and the task to wake when one arrives.
#[derive(Debug, Default)]
pub(super) struct Mailbox {
    queue: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<SharedFrame>,
    waker: Option<Waker>,
    cut_off: bool,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue `frame` (a reference count, no copy; no allocation once the queue has grown
    /// to its working size), applying `overflow` when `limit` frames are queued.
    pub(super) fn push(&self, frame: &SharedFrame, limit: usize, overflow: Overflow) -> Pushed {
        let mut queue = self.lock();
        if queue.cut_off {
            return Pushed::Gone;
        }
        let mut pushed = Pushed::Queued;
        if queue.frames.len() >= limit {
            match overflow {
                Overflow::DropOldest => {
                    queue.frames.pop_front();
                    pushed = Pushed::DroppedOldest;
                }
                Overflow::DropNewest => return Pushed::DroppedNewest,
                Overflow::Close => {
                    queue.cut_off = true;
                    queue.frames = VecDeque::new();
                    pushed = Pushed::CutOff;
                }
            }
        }
        if pushed != Pushed::CutOff {
            queue.frames.push_back(frame.clone());
        }
        let waker = queue.waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
        pushed
    }

    /// The next frame; `Err(())` once cut off; pending (woken by the next push) when empty.
    pub(super) fn poll_pop(&self, cx: &Context<'_>) -> Poll<Result<SharedFrame, ()>> {
        let mut queue = self.lock();
        if let Some(frame) = queue.frames.pop_front() {
            return Poll::Ready(Ok(frame));
        }
        if queue.cut_off {
            return Poll::Ready(Err(()));
        }
        match &mut queue.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// How many frames wait.
    pub(super) fn len(&self) -> usize {
        self.lock().frames.len()
    }
}
