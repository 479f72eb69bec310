//! Counters a run updates as it goes, for a progress line while it runs.

use std::cell::{Cell, RefCell};

/// Shared with a running load: echoes and errors so far, and the latencies since the
/// last look. Single-threaded (the load generator runs on one thread), so plain cells.
///
/// ```
/// let live = rfc6455_loadgen::Live::default();
/// assert_eq!(live.echoes(), 0);
/// assert!(live.take_latencies().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Live {
    echoes: Cell<u64>,
    errors: Cell<u64>,
    recent: RefCell<Vec<u64>>,
}

/// At most this many latencies are kept between two looks (a progress line needs a
/// sample, not every value).
const RECENT_MAX: usize = 1 << 16;

impl Live {
    /// Messages echoed (or handshake cycles completed) so far, warm-up included.
    ///
    /// ```
    /// assert_eq!(rfc6455_loadgen::Live::default().echoes(), 0);
    /// ```
    pub fn echoes(&self) -> u64 {
        self.echoes.get()
    }

    /// Connections (or cycles) that failed so far.
    ///
    /// ```
    /// assert_eq!(rfc6455_loadgen::Live::default().errors(), 0);
    /// ```
    pub fn errors(&self) -> u64 {
        self.errors.get()
    }

    /// The latencies (nanoseconds) recorded since the last call (at most 65 536 of
    /// them), unsorted.
    ///
    /// ```
    /// assert!(rfc6455_loadgen::Live::default().take_latencies().is_empty());
    /// ```
    pub fn take_latencies(&self) -> Vec<u64> {
        std::mem::take(&mut *self.recent.borrow_mut())
    }

    pub(crate) fn echoed(&self, latency_ns: u64) {
        self.echoes.set(self.echoes.get() + 1);
        let mut recent = self.recent.borrow_mut();
        if recent.len() < RECENT_MAX {
            recent.push(latency_ns);
        }
    }

    pub(crate) fn failed(&self) {
        self.errors.set(self.errors.get() + 1);
    }
}
