//! [`Backplane`]: what carries topics between the nodes of a cluster.

use std::fmt;

use super::inbound::Inbound;
use crate::shared_frame::SharedFrame;

/// Carries published messages between the server processes (nodes) of a cluster, so that
/// a publish on any node reaches the subscribers on every node.
///
/// A [`Topics`](super::Topics) hub built with
/// [`Topics::with_backplane`](super::Topics::with_backplane) tells its backplane when the
/// node gets its first local subscriber to a topic ([`subscribe`](Self::subscribe)) and
/// loses its last ([`unsubscribe`](Self::unsubscribe)), so that the node receives only
/// topics it has listeners for, and forwards every local publish
/// ([`publish`](Self::publish)) after delivering it locally. Messages from other nodes come
/// in through the [`Inbound`] handed to [`start`](Self::start). A backplane must not hand
/// a node its own messages back (they were delivered locally already): carry the node's
/// identity in what it sends.
///
/// The methods are called from the publishing or subscribing task and must not block:
/// an implementation queues the work for its own task. With the `redis` feature,
/// `RedisBackplane` is one on Redis pub/sub.
///
/// ```
/// use rfc6455::topics::{Backplane, Inbound};
/// use rfc6455::SharedFrame;
///
/// /// A backplane for a single node: nothing to carry.
/// #[derive(Debug)]
/// struct Alone;
/// impl Backplane for Alone {
///     fn start(&self, _inbound: Inbound) {}
///     fn subscribe(&self, _topic: &str) {}
///     fn unsubscribe(&self, _topic: &str) {}
///     fn publish(&self, _topic: &str, _frame: &SharedFrame) {}
/// }
/// ```
pub trait Backplane: Send + Sync + fmt::Debug + 'static {
    /// Called once, when the hub is built: where messages from other nodes go.
    fn start(&self, inbound: Inbound);
    /// This node now has a local subscriber to `topic`: receive it from other nodes.
    fn subscribe(&self, topic: &str);
    /// This node no longer has local subscribers to `topic`.
    fn unsubscribe(&self, topic: &str);
    /// `frame` was published to `topic` on this node (and delivered locally): send it to
    /// the other nodes.
    fn publish(&self, topic: &str, frame: &SharedFrame);
}
