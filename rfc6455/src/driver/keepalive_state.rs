//! The keepalive state of one connection (its behaviour is `keepalive`): the current
//! interval, the ping awaiting its pong, the round trip measured, and what arrived while
//! `ping_rtt` waited.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::chunk::Chunk;

/// The keepalive state of one connection.
#[derive(Debug)]
pub(super) struct Keepalive {
    /// The end of the current interval.
    pub(super) tick: Instant,
    /// A whole frame arrived during the current interval.
    pub(super) heard: bool,
    /// When our ping awaiting its pong left (its payload is `sent`).
    pub(super) ping: Option<Instant>,
    /// How many pings with a counter payload were sent.
    pub(super) sent: u64,
    /// How many of them were answered, and the round trip of the last one answered.
    pub(super) answered: u64,
    pub(super) rtt: Duration,
}

impl Keepalive {
    pub(super) fn new(now: Instant, interval: Option<Duration>) -> Self {
        Self {
            tick: now + interval.unwrap_or(Duration::ZERO),
            heard: false,
            ping: None,
            sent: 0,
            answered: 0,
            rtt: Duration::ZERO,
        }
    }
}

/// Data that arrived while `ping_rtt` awaited its pong, kept for the next receive.
#[derive(Debug, Default)]
pub(super) struct Held {
    pub(super) chunks: VecDeque<Chunk>,
    /// Their payloads' total size.
    pub(super) bytes: usize,
}
