//! The keepalive state of one connection (its behaviour is `keepalive`): the current
//! interval, the ping awaiting its pong, and — boxed, created by the first `ping_rtt`, as
//! most connections never measure a round trip — the round trip measured and what arrived
//! while `ping_rtt` waited.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::chunk::Chunk;

/// The keepalive state of one connection.
#[derive(Debug)]
pub(super) struct Keepalive {
    /// The end of the current interval or, while a ping awaits its pong, when it left:
    /// the interval does not matter then, and one instant is 16 bytes.
    at: Instant,
    /// A ping with payload `sent` awaits its pong.
    awaiting: bool,
    /// A whole frame arrived during the current interval.
    pub(super) heard: bool,
    /// How many pings with a counter payload were sent.
    pub(super) sent: u64,
    /// What `ping_rtt` measures and holds, once it has been called.
    pub(super) round_trip: Option<Box<RoundTrip>>,
}

impl Keepalive {
    pub(super) fn new(now: Instant, interval: Option<Duration>) -> Self {
        Self {
            at: now + interval.unwrap_or(Duration::ZERO),
            awaiting: false,
            heard: false,
            sent: 0,
            round_trip: None,
        }
    }

    /// When our ping awaiting its pong left (its payload is `sent`).
    pub(super) fn ping(&self) -> Option<Instant> {
        self.awaiting.then_some(self.at)
    }

    /// The end of the current interval (meaningless while a ping awaits its pong).
    pub(super) fn tick(&self) -> Instant {
        self.at
    }

    /// A new interval, ending at `tick`, with no ping awaiting its pong.
    pub(super) fn start_interval(&mut self, tick: Instant) {
        self.at = tick;
        self.awaiting = false;
    }

    /// Ping `sent` left at `now`.
    pub(super) fn ping_sent(&mut self, now: Instant) {
        self.at = now;
        self.awaiting = true;
    }
}

/// The round trips `ping_rtt` measures, and the data that arrived while it awaited its
/// pong, kept for the next receive.
#[derive(Debug, Default)]
pub(super) struct RoundTrip {
    /// The number of the last ping answered since this was created, and its round trip.
    pub(super) answered: u64,
    pub(super) rtt: Duration,
    pub(super) held: VecDeque<Chunk>,
    /// The held payloads' total size.
    pub(super) held_bytes: usize,
}
