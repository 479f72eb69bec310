//! What connections measure, and the window they measure in.

use std::time::{Duration, Instant};

/// What one connection (or churn worker) measured.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Messages (or handshake cycles) completed inside the measured window.
    pub(crate) done: u64,
    /// Their latencies in nanoseconds.
    pub(crate) lat: Vec<u64>,
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
}

impl Stats {
    pub(crate) fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }

    pub(crate) fn failed(e: impl std::fmt::Display) -> Self {
        let mut s = Self::default();
        s.error(e);
        s
    }

    pub(crate) fn merge(&mut self, other: Self) {
        self.done += other.done;
        self.lat.extend(other.lat);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// The measured window shared by all connections, and how long a connection waits for
/// a handshake or a close.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) patience: Duration,
}

impl Window {
    pub(crate) fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    pub(crate) fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
}

/// The `p`th percentile (nearest rank) of sorted values; NaN when there are none.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
