//! [`CoarseTimer`]: a connection's deadline timer, kept by one wheel per tokio runtime
//! instead of a `tokio::time::Sleep` (112 bytes, an allocation of its own) per connection.
//!
//! Deadlines are rounded up to the next tick ([`TICK`], 100 ms after the wheel's start,
//! and every 100 ms after that). The wheel holds, per tick, the wakers of the tasks waiting
//! for it; one task per runtime sleeps until the earliest tick with wakers, marks it fired
//! and wakes them. A timer therefore fires at most one tick late, never early. A timer
//! holds at most one waker in the wheel: moving the timer or dropping it takes its waker
//! out (a waker left in would keep its ended task's memory until the tick).
//!
//! Tasks move between the threads of a multi-thread runtime: the wheel is behind a lock,
//! and whether a timer's tick has fired is one atomic load. A runtime that shuts down ends
//! its wheel's task; its wakers are woken, and a timer polled again finds its runtime's
//! new wheel. Time is the runtime's (`tokio::time`), so `tokio::time::pause` applies.

use std::collections::BTreeMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

/// The wheel's resolution.
const TICK: Duration = Duration::from_millis(100);

/// The wheels of the runtimes alive (a handful at most).
static WHEELS: Mutex<Vec<(Id, Arc<Wheel>)>> = Mutex::new(Vec::new());

/// A deadline a connection waits for, woken by its runtime's wheel. Used like a
/// `tokio::time::Sleep`: [`poll`](Self::poll) leaves the task's waker with the wheel.
#[derive(Debug)]
pub(crate) struct CoarseTimer {
    wheel: Arc<Wheel>,
    deadline: Instant,
    /// The tick `deadline` rounds up to.
    tick: u64,
    /// The id of the waker this timer left at `tick`, if any (ids start at 1).
    entry: u64,
}

impl Drop for CoarseTimer {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl CoarseTimer {
    /// A timer for `deadline` on the current runtime's wheel (panics outside a tokio
    /// runtime with time enabled, as `tokio::time::sleep_until` does).
    pub(crate) fn new(deadline: Instant) -> Self {
        let wheel = Wheel::current();
        let tick = wheel.tick_of(deadline);
        Self {
            wheel,
            deadline,
            tick,
            entry: 0,
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Move the timer to `deadline` (a waker left for the old one is woken for nothing).
    pub(crate) fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
        self.tick = self.wheel.tick_of(deadline);
    }

    /// Whether the deadline has passed (its tick has fired).
    pub(crate) fn is_elapsed(&self) -> bool {
        self.wheel.fired.load(Ordering::Acquire) >= self.tick
    }

    /// `Ready` once the deadline has passed; else `cx`'s waker is woken when it does.
    pub(crate) fn poll(&mut self, cx: &Context<'_>) -> Poll<()> {
        if self.is_elapsed() {
            return Poll::Ready(());
        }
        // One waker in the wheel per timer: the one polled last.
        self.cancel();
        if !self.wheel.alive.load(Ordering::Acquire) {
            // The runtime the wheel ran on has shut down: the current one's.
            self.wheel = Wheel::current();
            self.tick = self.wheel.tick_of(self.deadline);
        }
        match self.wheel.register(self.tick, cx.waker()) {
            Some(entry) => {
                self.entry = entry;
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }

    /// Take this timer's waker out of the wheel, if it is still there.
    fn cancel(&mut self) {
        if self.entry != 0 {
            self.wheel
                .cancel(self.tick, std::mem::take(&mut self.entry));
        }
    }
}

/// One runtime's timers.
#[derive(Debug)]
struct Wheel {
    /// Tick 0; tick `n` is `TICK × n` later.
    start: Instant,
    /// The last tick fired (also in `state`, read here without the lock).
    fired: AtomicU64,
    /// False once the runtime's wheel task has ended.
    alive: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The wakers waiting, by tick, each with its id.
    waiting: BTreeMap<u64, Vec<(u64, Waker)>>,
    /// The last id given.
    last_id: u64,
    /// The tick the wheel's task sleeps until, and that task's waker (to wake it for an
    /// earlier one).
    next: Option<u64>,
    task: Option<Waker>,
}

impl Wheel {
    /// The current runtime's wheel, started with its task when first needed.
    fn current() -> Arc<Self> {
        let handle = Handle::current();
        let id = handle.id();
        let mut wheels = WHEELS.lock().unwrap_or_else(|p| p.into_inner());
        wheels.retain(|(_, wheel)| wheel.alive.load(Ordering::Acquire));
        if let Some((_, wheel)) = wheels.iter().find(|(of, _)| *of == id) {
            return wheel.clone();
        }
        // Made here, in the caller's context: without a time driver this panics in the
        // caller, as a `Sleep` of its own would.
        let start = Instant::now();
        let sleep = Box::pin(tokio::time::sleep_until(start + TICK));
        let wheel = Arc::new(Self {
            start,
            fired: AtomicU64::new(0),
            alive: AtomicBool::new(true),
            state: Mutex::new(State::default()),
        });
        drop(handle.spawn(run(Ending(wheel.clone()), sleep)));
        wheels.push((id, wheel.clone()));
        wheel
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tick `deadline` rounds up to.
    fn tick_of(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos.div_ceil(TICK.as_nanos())).unwrap_or(u64::MAX)
    }

    /// The last tick passed at `now`.
    fn tick_at(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos / TICK.as_nanos()).unwrap_or(u64::MAX)
    }

    /// Have `waker` woken at `tick`: its id; `None` if that tick has fired already.
    fn register(&self, tick: u64, waker: &Waker) -> Option<u64> {
        let (id, wake_task) = {
            let mut state = self.lock();
            if tick <= self.fired.load(Ordering::Acquire) {
                return None;
            }
            state.last_id += 1;
            let id = state.last_id;
            state
                .waiting
                .entry(tick)
                .or_default()
                .push((id, waker.clone()));
            if state.next.is_some_and(|next| next <= tick) {
                (id, None)
            } else {
                state.next = Some(tick);
                (id, state.task.take())
            }
        };
        if let Some(task) = wake_task {
            task.wake();
        }
        Some(id)
    }

    /// Take waker `id` out of `tick`'s, if it is still there (not yet fired).
    fn cancel(&self, tick: u64, id: u64) {
        let mut state = self.lock();
        if let Some(wakers) = state.waiting.get_mut(&tick)
            && let Some(at) = wakers.iter().position(|(of, _)| *of == id)
        {
            drop(wakers.swap_remove(at));
            if wakers.is_empty() {
                state.waiting.remove(&tick);
            }
        }
    }
}

/// Marks its wheel ended, and wakes what waits in it, when the wheel's task ends (its
/// runtime shuts down): a timer polled again moves to a live wheel.
struct Ending(Arc<Wheel>);

impl Drop for Ending {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        let waiting = std::mem::take(&mut self.0.lock().waiting);
        waiting
            .into_values()
            .flatten()
            .for_each(|(_, waker)| waker.wake());
    }
}

/// The wheel's task: sleep until the earliest tick waited for, fire the ticks passed and
/// wake their wakers; sleep again.
async fn run(ending: Ending, mut sleep: Pin<Box<Sleep>>) {
    let wheel = &*ending.0;
    poll_fn(|cx: &mut Context<'_>| {
        loop {
            let now = wheel.tick_at(Instant::now());
            let (due, next) = {
                let mut state = wheel.lock();
                if now > wheel.fired.load(Ordering::Acquire) {
                    wheel.fired.store(now, Ordering::Release);
                }
                let later = state.waiting.split_off(&(now + 1));
                let due = std::mem::replace(&mut state.waiting, later);
                state.next = state.waiting.keys().next().copied();
                state.task = Some(cx.waker().clone());
                (due, state.next)
            };
            due.into_values()
                .flatten()
                .for_each(|(_, waker)| waker.wake());
            let Some(next) = next else {
                return Poll::<()>::Pending;
            };
            let at = wheel.start + TICK * u32::try_from(next).unwrap_or(u32::MAX);
            if sleep.deadline() != at {
                sleep.as_mut().reset(at);
            }
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use std::task::Poll;
    use std::time::Duration;

    use tokio::time::{Instant, timeout};

    use super::CoarseTimer;

    /// A timer fires at its deadline rounded up to the wheel's tick, not before; one moved
    /// later waits for its new deadline; several share the wheel.
    #[tokio::test(start_paused = true)]
    async fn fires_at_the_deadline_within_a_tick() {
        let start = Instant::now();
        let mut first = CoarseTimer::new(start + Duration::from_millis(1_050));
        let mut second = CoarseTimer::new(start + Duration::from_secs(3));
        let fired = fired_after(&mut first, start).await;
        assert!(
            fired >= Duration::from_millis(1_050) && fired <= Duration::from_millis(1_150),
            "fired after {fired:?}"
        );
        assert!(!second.is_elapsed());
        second.reset(start + Duration::from_secs(5));
        let fired = fired_after(&mut second, start).await;
        assert!(
            fired >= Duration::from_secs(5) && fired <= Duration::from_millis(5_100),
            "fired after {fired:?}"
        );
        assert!(first.is_elapsed() && second.is_elapsed());
    }

    /// Wait for `timer` to fire (10 s at most): the time since `start` when it did.
    async fn fired_after(timer: &mut CoarseTimer, start: Instant) -> Duration {
        let waited = std::future::poll_fn(|cx| timer.poll(cx));
        timeout(Duration::from_secs(10), waited)
            .await
            .expect("fired");
        start.elapsed()
    }

    /// A timer moved or dropped leaves no waker in the wheel: an ended task's memory is
    /// not kept until the tick.
    #[tokio::test(start_paused = true)]
    async fn a_moved_or_dropped_timer_leaves_no_waker() {
        let start = Instant::now();
        let mut timer = CoarseTimer::new(start + Duration::from_secs(20));
        assert_eq!(timer_waiting(&timer), 0);
        let polled = std::future::poll_fn(|cx| Poll::Ready(timer.poll(cx))).await;
        assert!(polled.is_pending());
        assert_eq!(timer_waiting(&timer), 1);
        let again = std::future::poll_fn(|cx| Poll::Ready(timer.poll(cx))).await;
        assert!(again.is_pending());
        assert_eq!(timer_waiting(&timer), 1, "one waker per timer");
        timer.reset(start + Duration::from_secs(1));
        assert_eq!(timer_waiting(&timer), 0, "moved");
        let _ = std::future::poll_fn(|cx| Poll::Ready(timer.poll(cx))).await;
        let wheel = timer.wheel.clone();
        drop(timer);
        assert_eq!(
            wheel.lock().waiting.values().map(Vec::len).sum::<usize>(),
            0
        );
    }

    fn timer_waiting(timer: &CoarseTimer) -> usize {
        timer.wheel.lock().waiting.values().map(Vec::len).sum()
    }

    /// On a multi-thread runtime, tasks on any worker are woken at their deadlines.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wakes_tasks_on_every_worker() {
        let start = Instant::now();
        let tasks: Vec<_> = (1..=20u64)
            .map(|i| {
                tokio::spawn(async move {
                    let deadline = start + Duration::from_millis(10 * i);
                    let mut timer = CoarseTimer::new(deadline);
                    std::future::poll_fn(|cx| timer.poll(cx)).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        for task in tasks {
            let on_time = timeout(Duration::from_secs(5), task).await;
            assert!(
                on_time.expect("woken").unwrap(),
                "woken before its deadline"
            );
        }
    }
}
