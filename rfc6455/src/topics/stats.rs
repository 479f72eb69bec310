//! The counters of a hub ([`TopicsStats`]): what was published, delivered, dropped.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a hub's counters since it was built
/// ([`Topics::stats`](super::Topics::stats)).
///
/// ```
/// use rfc6455::topics::{Topics, TopicsOptions};
/// let topics = Topics::new(TopicsOptions::default());
/// let mut subscriber = topics.subscriber();
/// subscriber.subscribe("news");
/// topics.publish("news", "hello");
/// let stats = topics.stats();
/// assert_eq!((stats.published, stats.queued), (1, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TopicsStats {
    /// Messages published on this node ([`Topics::publish`](super::Topics::publish)).
    pub published: u64,
    /// Messages that arrived from other nodes through the backplane.
    pub received: u64,
    /// Frames put in a subscriber's queue (one per subscriber per message).
    pub queued: u64,
    /// Frames dropped by [`Overflow::DropOldest`](super::Overflow::DropOldest) or
    /// [`Overflow::DropNewest`](super::Overflow::DropNewest).
    pub dropped: u64,
    /// Subscribers cut off by [`Overflow::Close`](super::Overflow::Close).
    pub cut_off: u64,
}

/// The live counters behind [`TopicsStats`].
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) published: AtomicU64,
    pub(super) received: AtomicU64,
    pub(super) queued: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) cut_off: AtomicU64,
}

impl Counters {
    pub(super) fn snapshot(&self) -> TopicsStats {
        TopicsStats {
            published: self.published.load(Relaxed),
            received: self.received.load(Relaxed),
            queued: self.queued.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            cut_off: self.cut_off.load(Relaxed),
        }
    }
}
