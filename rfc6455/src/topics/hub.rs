//! [`Topics`]: the hub — a cheap-to-clone handle on the topic table, where connections
//! subscribe and anyone publishes.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::backplane::Backplane;
use super::inbound::Inbound;
use super::policy::TopicsOptions;
use super::state::HubState;
use super::stats::TopicsStats;
use super::subscriber::Subscriber;
use super::table::Table;
use crate::shared_frame::SharedFrame;

/// A publish/subscribe hub: connections subscribe to topics by name
/// ([`subscriber`](Self::subscriber)), and anyone [`publish`](Self::publish)es a message
/// to a topic, which every subscriber of that topic gets once, in the order each publisher
/// published.
///
/// Cloning the hub is a reference count; every clone is the same hub. A publish builds
/// the message once as a [`SharedFrame`] and queues a reference to it for each
/// subscriber: no copy and no allocation per subscriber, and the publisher never waits —
/// a subscriber whose queue is full meets the hub's [`Overflow`](super::Overflow) policy.
/// Each subscriber's connection then writes the same payload memory (see
/// [`SharedFrame`] for the cases that copy).
///
/// ```
/// use rfc6455::topics::{Topics, TopicsOptions};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let topics = Topics::new(TopicsOptions::default());
/// let mut alice = topics.subscriber();
/// let mut bob = topics.subscriber();
/// alice.subscribe("news");
/// bob.subscribe("news");
/// assert_eq!(topics.publish("news", "extra!"), 2);
/// assert_eq!(alice.recv().await.unwrap().as_bytes(), b"extra!");
/// assert_eq!(bob.recv().await.unwrap().as_bytes(), b"extra!");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Topics {
    state: Arc<HubState>,
}

impl Default for Topics {
    /// A hub with the default [`TopicsOptions`] and no backplane.
    fn default() -> Self {
        Self::new(TopicsOptions::default())
    }
}

impl Topics {
    /// A hub for this process alone.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::new(Default::default());
    /// assert_eq!(topics.topic_count(), 0);
    /// ```
    pub fn new(options: TopicsOptions) -> Self {
        Self {
            state: Arc::new(HubState {
                table: Arc::new(Table::new(options)),
                backplane: None,
            }),
        }
    }

    /// A hub whose topics are shared with other nodes through `backplane`: a publish here
    /// reaches the subscribers on every node. Calls [`Backplane::start`] (which may spawn
    /// tasks: call this inside a tokio runtime for a backplane that does).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rfc6455::topics::{Backplane, Inbound, Topics, TopicsOptions};
    /// # #[derive(Debug)] struct Alone;
    /// # impl Backplane for Alone {
    /// #     fn start(&self, _: Inbound) {}
    /// #     fn subscribe(&self, _: &str) {}
    /// #     fn unsubscribe(&self, _: &str) {}
    /// #     fn publish(&self, _: &str, _: &rfc6455::SharedFrame) {}
    /// # }
    /// let topics = Topics::with_backplane(TopicsOptions::default(), Arc::new(Alone));
    /// ```
    pub fn with_backplane(options: TopicsOptions, backplane: Arc<dyn Backplane>) -> Self {
        let table = Arc::new(Table::new(options));
        backplane.start(Inbound::new(Arc::downgrade(&table)));
        Self {
            state: Arc::new(HubState {
                table,
                backplane: Some(backplane),
            }),
        }
    }

    /// A new subscriber (one per connection), subscribed to nothing yet.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// subscriber.subscribe("news");
    /// ```
    pub fn subscriber(&self) -> Subscriber {
        Subscriber::new(self.state.clone())
    }

    /// Publish `frame` to `topic`: queued for every local subscriber (how many is
    /// returned) and, with a backplane, sent to the other nodes. Never waits.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// assert_eq!(topics.publish("nobody-listens", "lost"), 0);
    /// ```
    pub fn publish(&self, topic: &str, frame: impl Into<SharedFrame>) -> usize {
        let frame = frame.into();
        let table = &self.state.table;
        table.counters.published.fetch_add(1, Relaxed);
        let reached = table.fan_out(topic, &frame);
        if let Some(backplane) = &self.state.backplane {
            backplane.publish(topic, &frame);
        }
        reached
    }

    /// How many local subscribers `topic` has.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// assert_eq!(topics.subscriber_count("news"), 0);
    /// ```
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.state.table.subscriber_count(topic)
    }

    /// How many topics have local subscribers (a topic without any is removed).
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let subscriber = {
    ///     let mut s = topics.subscriber();
    ///     s.subscribe("a");
    ///     s
    /// };
    /// assert_eq!(topics.topic_count(), 1);
    /// drop(subscriber);
    /// assert_eq!(topics.topic_count(), 0);
    /// ```
    pub fn topic_count(&self) -> usize {
        self.state.table.topic_count()
    }

    /// The hub's counters so far.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// topics.publish("a", "x");
    /// assert_eq!(topics.stats().published, 1);
    /// ```
    pub fn stats(&self) -> TopicsStats {
        self.state.table.counters.snapshot()
    }

    /// The settings the hub was built with.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// assert_eq!(topics.options().queue_len, 256);
    /// ```
    pub fn options(&self) -> &TopicsOptions {
        &self.state.table.options
    }
}
