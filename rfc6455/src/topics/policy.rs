//! What a hub does when a subscriber's queue is full: [`Overflow`], and the hub's
//! settings, [`TopicsOptions`].

use rfc6455_proto::CloseCode;

/// What happens to a message published to a subscriber whose queue is full (it holds
/// [`TopicsOptions::queue_len`] frames it has not sent yet). Chosen per hub; each case is
/// counted in [`TopicsStats`](super::TopicsStats). The publisher never waits.
///
/// ```
/// use rfc6455::topics::{Overflow, TopicsOptions};
/// let options = TopicsOptions::default().overflow(Overflow::DropOldest);
/// assert_eq!(options.overflow, Overflow::DropOldest);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Drop the oldest queued frame to make room for the new one: a slow subscriber sees
    /// the most recent messages, with a gap (live prices, positions, dashboards).
    DropOldest,
    /// Drop the new message for this subscriber: it sees what it had queued, with a gap.
    DropNewest,
    /// Cut the subscriber off: its queue is emptied, it gets nothing more, and its
    /// [`Subscriber::recv`](super::Subscriber::recv) returns
    /// [`TooSlow`](super::TooSlow), whose close code ([`SLOW_SUBSCRIBER`], 1013 "try
    /// again later") the connection should close with; the client reconnects and starts
    /// afresh. The default: no gap goes unnoticed.
    #[default]
    Close,
}

/// The close code for a subscriber cut off by [`Overflow::Close`]: 1013, "try again
/// later" (RFC 6455 §7.4 registry), so that a client reconnects after a pause.
///
/// ```
/// assert_eq!(rfc6455::topics::SLOW_SUBSCRIBER.as_u16(), 1013);
/// ```
pub const SLOW_SUBSCRIBER: CloseCode = CloseCode::TRY_AGAIN_LATER;

/// The settings of a [`Topics`](super::Topics) hub, fixed when it is built.
///
/// ```
/// use rfc6455::topics::{Overflow, Topics, TopicsOptions};
/// let topics = Topics::new(TopicsOptions::default().queue_len(64).overflow(Overflow::DropNewest));
/// assert_eq!(topics.options().queue_len, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicsOptions {
    /// The most frames one subscriber may have queued and not yet sent, across all its
    /// topics. Default 256 (256 KiB of 1 KiB messages, shared with every other subscriber:
    /// a queued frame is a reference, 32 bytes). At least 1.
    pub queue_len: usize,
    /// What happens to a publish when a subscriber's queue is full. Default
    /// [`Overflow::Close`].
    pub overflow: Overflow,
}

impl Default for TopicsOptions {
    fn default() -> Self {
        Self {
            queue_len: 256,
            overflow: Overflow::Close,
        }
    }
}

impl TopicsOptions {
    /// Set [`queue_len`](Self::queue_len) (0 is taken as 1).
    ///
    /// ```
    /// let options = rfc6455::topics::TopicsOptions::default().queue_len(1024);
    /// assert_eq!(options.queue_len, 1024);
    /// ```
    #[must_use]
    pub fn queue_len(mut self, queue_len: usize) -> Self {
        self.queue_len = queue_len.max(1);
        self
    }

    /// Set [`overflow`](Self::overflow).
    ///
    /// ```
    /// use rfc6455::topics::{Overflow, TopicsOptions};
    /// let options = TopicsOptions::default().overflow(Overflow::DropOldest);
    /// assert_eq!(options.overflow, Overflow::DropOldest);
    /// ```
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }
}
