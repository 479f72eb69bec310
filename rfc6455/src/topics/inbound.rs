//! [`Inbound`]: how a backplane hands messages from other nodes to this node's
//! subscribers.

use std::sync::Weak;
use std::sync::atomic::Ordering::Relaxed;

use super::table::Table;
use crate::shared_frame::SharedFrame;

/// The way into a hub for a [`Backplane`](super::Backplane): messages published on
/// other nodes are [`deliver`](Self::deliver)ed to this node's local subscribers. It does
/// not keep the hub alive: once the hub is gone, `deliver` reaches nobody.
///
/// ```
/// use rfc6455::topics::{Backplane, Inbound, Topics, TopicsOptions};
/// use rfc6455::SharedFrame;
/// use std::sync::{Arc, Mutex};
///
/// /// A backplane that keeps the hub's way in, for a test to deliver "remote" messages.
/// #[derive(Debug, Default)]
/// struct Loop(Mutex<Option<Inbound>>);
/// impl Backplane for Loop {
///     fn start(&self, inbound: Inbound) { *self.0.lock().unwrap() = Some(inbound); }
///     fn subscribe(&self, _topic: &str) {}
///     fn unsubscribe(&self, _topic: &str) {}
///     fn publish(&self, _topic: &str, _frame: &SharedFrame) {}
/// }
///
/// let backplane = Arc::new(Loop::default());
/// let topics = Topics::with_backplane(TopicsOptions::default(), backplane.clone());
/// let mut subscriber = topics.subscriber();
/// subscriber.subscribe("news");
/// let inbound = backplane.0.lock().unwrap().clone().unwrap();
/// assert_eq!(inbound.deliver("news", SharedFrame::text("from afar")), 1);
/// assert_eq!(inbound.topics(), ["news"]);
/// ```
#[derive(Debug, Clone)]
pub struct Inbound {
    table: Weak<Table>,
}

impl Inbound {
    pub(super) fn new(table: Weak<Table>) -> Self {
        Self { table }
    }

    /// Queue `frame` for this node's subscribers of `topic` (not forwarded to the
    /// backplane again): how many got it.
    ///
    /// ```
    /// # use rfc6455::topics::Inbound;
    /// # fn demo(inbound: &Inbound) {
    /// inbound.deliver("news", rfc6455::SharedFrame::text("from another node"));
    /// # }
    /// ```
    pub fn deliver(&self, topic: &str, frame: SharedFrame) -> usize {
        let Some(table) = self.table.upgrade() else {
            return 0;
        };
        table.counters.received.fetch_add(1, Relaxed);
        table.fan_out(topic, &frame)
    }

    /// The topics this node has local subscribers for (what to subscribe to again after
    /// the broker comes back).
    ///
    /// ```
    /// # use rfc6455::topics::Inbound;
    /// # fn demo(inbound: &Inbound) {
    /// for topic in inbound.topics() {
    ///     println!("resubscribe {topic}");
    /// }
    /// # }
    /// ```
    pub fn topics(&self) -> Vec<String> {
        self.table
            .upgrade()
            .map(|table| table.topic_names())
            .unwrap_or_default()
    }
}
