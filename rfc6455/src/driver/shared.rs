//! One driver shared by the two halves of a split connection, and [`DriverRef`]: a driver
//! reached either way, as streamed readers and writers reach it.
//!
//! The halves hold the driver behind one lock, taken only for the duration of a poll.
//! A poll of either half may write (the receiver flushes pongs and the close reply), so
//! both halves are woken when the socket becomes writable: a waker that wakes both is
//! registered with the socket, and a spurious wake-up costs one poll.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Wake, Waker};

use super::Driver;

/// Which half of a split connection is polling.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    Recv = 0,
    Send = 1,
}

/// The last waker of each half.
#[derive(Debug, Default)]
struct BothWakers {
    slots: Mutex<[Option<Waker>; 2]>,
}

impl BothWakers {
    fn set(&self, side: Side, waker: &Waker) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut slots[side as usize];
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

impl Wake for BothWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for waker in slots.iter().flatten() {
            waker.wake_by_ref();
        }
    }
}

/// The driver of a split connection, shared by its halves.
#[derive(Debug)]
pub(crate) struct Shared<S> {
    driver: Mutex<Driver<S>>,
    wakers: Arc<BothWakers>,
}

impl<S> Shared<S> {
    pub(crate) fn new(driver: Driver<S>) -> Self {
        Self {
            driver: Mutex::new(driver),
            wakers: Arc::default(),
        }
    }

    /// Lock the driver and poll it through `f` with a context that wakes both halves
    /// (`cx`'s task registered as `side`).
    pub(crate) fn with<R>(
        &self,
        side: Side,
        cx: &Context<'_>,
        f: impl FnOnce(&mut Driver<S>, &mut Context<'_>) -> R,
    ) -> R {
        self.wakers.set(side, cx.waker());
        let waker = Waker::from(self.wakers.clone());
        let mut cx = Context::from_waker(&waker);
        let mut driver: MutexGuard<'_, Driver<S>> =
            self.driver.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut driver, &mut cx)
    }

    /// Lock the driver for `f`, outside a poll (`side` has no task to wake meanwhile).
    pub(crate) fn with_now<R>(&self, side: Side, f: impl FnOnce(&mut Driver<S>) -> R) -> R {
        self.with(side, &Context::from_waker(Waker::noop()), |driver, _| {
            f(driver)
        })
    }

    /// Lock the driver without registering any waker (for `Drop` impls).
    fn lock(&self) -> MutexGuard<'_, Driver<S>> {
        self.driver.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A driver as a streamed reader or writer reaches it: a [`WebSocket`](crate::WebSocket)'s
/// own, or one half's way into a split connection's.
pub(crate) enum DriverRef<'a, S> {
    Own(&'a mut Driver<S>),
    Shared(&'a Shared<S>, Side),
}

impl<S> DriverRef<'_, S> {
    /// Poll the driver through `f`.
    pub(crate) fn with<R>(
        &mut self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut Driver<S>, &mut Context<'_>) -> R,
    ) -> R {
        match self {
            Self::Own(driver) => f(driver, cx),
            Self::Shared(shared, side) => shared.with(*side, cx, f),
        }
    }

    /// Use the driver outside a poll.
    pub(crate) fn with_now<R>(&mut self, f: impl FnOnce(&mut Driver<S>) -> R) -> R {
        match self {
            Self::Own(driver) => f(driver),
            Self::Shared(shared, side) => shared.with_now(*side, f),
        }
    }

    /// Use the driver without registering any waker (for `Drop` impls).
    pub(crate) fn with_unpolled<R>(&mut self, f: impl FnOnce(&mut Driver<S>) -> R) -> R {
        match self {
            Self::Own(driver) => f(driver),
            Self::Shared(shared, _) => f(&mut shared.lock()),
        }
    }
}
