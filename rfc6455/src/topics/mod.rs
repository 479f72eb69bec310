//! Topics: publish a message once to every connection subscribed to a topic, in this
//! process ([`Topics`]) and, through a [`Backplane`], on every node of a cluster.
//!
//! - `hub`: [`Topics`], the cheap-to-clone hub (subscribe, publish, counters);
//! - `subscriber`: [`Subscriber`], one connection's subscriptions and queue, [`TooSlow`];
//! - `policy`: [`TopicsOptions`] and [`Overflow`], what happens when a queue is full;
//! - `stats`: [`TopicsStats`];
//! - `table`: the topic table and the local fan-out; `mailbox`: one subscriber's
//!   bounded queue; `state`: what the handles of a hub share;
//! - `backplane`: the [`Backplane`] trait; `inbound`: [`Inbound`], the way in for
//!   messages from other nodes;
//!
//! A publish builds the message once ([`SharedFrame`](crate::SharedFrame)); each
//! subscriber's queue holds a reference to it, and each connection writes its payload
//! from the same memory. A slow subscriber never holds up the publisher or the others:
//! its queue is bounded ([`TopicsOptions::queue_len`]) and the hub's [`Overflow`] policy
//! decides what a full queue does (drop the oldest, drop the new message, or cut the
//! subscriber off so its connection closes with 1013). Subscriptions end when the
//! [`Subscriber`] is dropped, with its connection.
//!
//! ```
//! use rfc6455::topics::{Overflow, Topics, TopicsOptions};
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let topics = Topics::new(TopicsOptions::default().queue_len(1024).overflow(Overflow::DropOldest));
//! let mut subscriber = topics.subscriber();
//! subscriber.subscribe("prices");
//! topics.publish("prices", r#"{"EURUSD":1.0842}"#);
//! let frame = subscriber.recv().await.unwrap();
//! assert_eq!(frame.as_bytes(), br#"{"EURUSD":1.0842}"#);
//! # }
//! ```

mod backplane;
mod hub;
mod inbound;
mod mailbox;
mod policy;
#[cfg(feature = "redis")]
mod redis;
mod state;
mod stats;
mod subscriber;
mod table;

pub use backplane::Backplane;
pub use hub::Topics;
pub use inbound::Inbound;
pub use policy::{Overflow, SLOW_SUBSCRIBER, TopicsOptions};
#[cfg(feature = "redis")]
pub use redis::{RedisBackplane, RedisOptions, RedisStats};
pub use stats::TopicsStats;
pub use subscriber::{Subscriber, TooSlow};
