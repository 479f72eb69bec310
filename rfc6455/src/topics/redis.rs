//! [`RedisBackplane`]: topics shared between nodes through Redis pub/sub (feature `redis`).
//!
//! One Redis channel per topic (`{prefix}{topic}`), subscribed while this node has local
//! subscribers to the topic, so each message crosses the broker once per node that wants
//! it, not once per subscriber. A message is sent as an envelope: `r6`, a version byte
//! (1), the kind (1 text, 2 binary), the node id's length and bytes, then the payload. A
//! node skips its own messages (it delivered them locally already).
//!
//! Two tasks: one owns the subscriber connection (subscribe, unsubscribe, receive), one
//! the publisher connection (what is waiting is sent as one pipeline per round trip). Each
//! reconnects on its own with exponential backoff; the subscriber subscribes again to
//! every topic the node still wants. Either task reaching the broker ends the other's
//! backoff: once the broker is back, both connections are made again as soon as one of
//! them has seen it, not after the rest of a backoff (up to `reconnect_max`) during
//! which publishes would still be dropped.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use rfc6455_proto::{DataKind, Utf8Bytes};
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, mpsc};

use super::backplane::Backplane;
use super::inbound::Inbound;
use crate::shared_frame::SharedFrame;

const MAGIC: &[u8; 2] = b"r6";
const VERSION: u8 = 1;

/// The settings of a [`RedisBackplane`], fixed when it is built.
///
/// ```
/// use rfc6455::topics::RedisOptions;
/// let options = RedisOptions::default().node_id("node-a").channel_prefix("chat:");
/// assert_eq!(options.node_id, "node-a");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisOptions {
    /// This node's identity, carried in every message it publishes (at most 255 bytes;
    /// longer is cut). Default: 16 random hex digits.
    pub node_id: String,
    /// Prepended to a topic's name to make its Redis channel. Default `rfc6455:topic:`.
    pub channel_prefix: String,
    /// Publishes waiting for the broker, at most (beyond that a publish is counted in
    /// [`RedisStats::publish_failed`] and dropped). Default 65 536.
    pub publish_queue: usize,
    /// The first wait before reconnecting, doubled (with jitter) up to
    /// [`reconnect_max`](Self::reconnect_max). Default 100 ms.
    pub reconnect_min: Duration,
    /// The longest wait between reconnection attempts. Default 5 s.
    pub reconnect_max: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        let mut id = [0u8; 8];
        crate::random::fill(&mut id);
        Self {
            node_id: id.iter().map(|b| format!("{b:02x}")).collect(),
            channel_prefix: "rfc6455:topic:".into(),
            publish_queue: 65_536,
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }
}

impl RedisOptions {
    /// Set [`node_id`](Self::node_id).
    ///
    /// ```
    /// let options = rfc6455::topics::RedisOptions::default().node_id("node-a");
    /// assert_eq!(options.node_id, "node-a");
    /// ```
    #[must_use]
    pub fn node_id(mut self, node_id: impl Into<String>) -> Self {
        self.node_id = node_id.into();
        self
    }

    /// Set [`channel_prefix`](Self::channel_prefix).
    ///
    /// ```
    /// let options = rfc6455::topics::RedisOptions::default().channel_prefix("app:");
    /// assert_eq!(options.channel_prefix, "app:");
    /// ```
    #[must_use]
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// Set [`publish_queue`](Self::publish_queue) (0 is taken as 1).
    ///
    /// ```
    /// let options = rfc6455::topics::RedisOptions::default().publish_queue(1024);
    /// assert_eq!(options.publish_queue, 1024);
    /// ```
    #[must_use]
    pub fn publish_queue(mut self, len: usize) -> Self {
        self.publish_queue = len.max(1);
        self
    }

    /// Set [`reconnect_min`](Self::reconnect_min).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = rfc6455::topics::RedisOptions::default().reconnect_min(Duration::from_millis(50));
    /// assert_eq!(options.reconnect_min, Duration::from_millis(50));
    /// ```
    #[must_use]
    pub fn reconnect_min(mut self, wait: Duration) -> Self {
        self.reconnect_min = wait;
        self
    }

    /// Set [`reconnect_max`](Self::reconnect_max).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = rfc6455::topics::RedisOptions::default().reconnect_max(Duration::from_secs(1));
    /// assert_eq!(options.reconnect_max, Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn reconnect_max(mut self, wait: Duration) -> Self {
        self.reconnect_max = wait;
        self
    }
}

/// A snapshot of a [`RedisBackplane`]'s counters ([`RedisBackplane::stats`]).
///
/// Redis pub/sub is at-most-once: a message published while a node is disconnected from
/// the broker never reaches that node, and Redis does not say how many it missed. What
/// this node can count is here: its own publishes that never reached the broker, and how
/// often it lost the broker.
///
/// ```no_run
/// # fn demo(backplane: &rfc6455::topics::RedisBackplane) {
/// let stats = backplane.stats();
/// println!("{} published, {} lost, {} disconnections", stats.published, stats.publish_failed, stats.disconnects);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RedisStats {
    /// Messages this node published to the broker.
    pub published: u64,
    /// Messages this node could not publish (the broker unreachable, an error, or the
    /// publish queue full): lost for the other nodes.
    pub publish_failed: u64,
    /// Messages from other nodes delivered to this node's subscribers.
    pub received: u64,
    /// This node's own messages coming back from the broker, skipped.
    pub own_skipped: u64,
    /// Messages that were not envelopes of this format (skipped).
    pub malformed: u64,
    /// Times a connection to the broker was lost (or could not be made).
    pub disconnects: u64,
    /// Times the subscriber connection was made again and its topics subscribed again.
    pub resubscribes: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    publish_failed: AtomicU64,
    received: AtomicU64,
    own_skipped: AtomicU64,
    malformed: AtomicU64,
    disconnects: AtomicU64,
    resubscribes: AtomicU64,
    subscribed: AtomicBool,
    /// Connections made by either task so far.
    connects: AtomicU64,
    /// Woken at each of them: the broker is back, the other task's backoff ends.
    broker_back: Notify,
}

impl Counters {
    /// A task connected: count it and wake the other task if it waits in a backoff.
    /// Returns the count including this connection.
    fn connected(&self) -> u64 {
        let count = self.connects.fetch_add(1, Relaxed) + 1;
        self.broker_back.notify_waiters();
        count
    }

    /// Whether the other task has connected since this one's count `seen`. `back` (a
    /// wait for the next connection) is enabled first, so a connection made just after
    /// this check still wakes it.
    fn back_since(&self, seen: u64, back: Pin<&mut Notified<'_>>) -> bool {
        back.enable();
        self.connects.load(Relaxed) != seen
    }
}

/// What the subscriber task is asked to do.
#[derive(Debug)]
enum Change {
    Subscribe(Box<str>),
    Unsubscribe(Box<str>),
}

/// The tasks' ends of the channels, until [`Backplane::start`] hands them over.
#[derive(Debug)]
struct Pending {
    changes: mpsc::UnboundedReceiver<Change>,
    publishes: mpsc::Receiver<(String, Bytes)>,
}

/// A [`Backplane`] on Redis pub/sub: a publish on any node reaches the subscribers on
/// every node connected to the same Redis.
///
/// Build it, then the hub with [`Topics::with_backplane`](super::Topics::with_backplane)
/// inside a tokio runtime (it spawns its two tasks there). It connects in the
/// background and reconnects by itself; nothing waits for the broker: publishing while
/// it is away counts the message in [`RedisStats::publish_failed`], and a `tracing`
/// warning says when the broker is lost and when it is back.
///
/// **Delivery is at-most-once** (Redis pub/sub keeps nothing): messages published while
/// a node is away from the broker are not delivered to that node's subscribers, and
/// messages in flight when a connection drops are lost. Local subscribers still get
/// local publishes directly, broker or not.
///
/// ```no_run
/// use std::sync::Arc;
/// use rfc6455::topics::{RedisBackplane, RedisOptions, Topics, TopicsOptions};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let backplane = Arc::new(RedisBackplane::new(
///     "redis://127.0.0.1:6379/",
///     RedisOptions::default().node_id("node-a"),
/// )?);
/// let topics = Topics::with_backplane(TopicsOptions::default(), backplane.clone());
/// topics.publish("news", "reaches every node");
/// println!("{:?}", backplane.stats());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisBackplane {
    client: redis::Client,
    options: RedisOptions,
    changes: mpsc::UnboundedSender<Change>,
    publishes: mpsc::Sender<(String, Bytes)>,
    pending: Mutex<Option<Pending>>,
    counters: Arc<Counters>,
}

impl RedisBackplane {
    /// A backplane for the Redis at `url` (`redis://host:port/db`); nothing connects until
    /// the hub starts it.
    ///
    /// # Errors
    /// An invalid URL.
    ///
    /// ```
    /// use rfc6455::topics::{RedisBackplane, RedisOptions};
    /// assert!(RedisBackplane::new("redis://127.0.0.1:6379/", RedisOptions::default()).is_ok());
    /// assert!(RedisBackplane::new("not a url", RedisOptions::default()).is_err());
    /// ```
    pub fn new(url: &str, mut options: RedisOptions) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        if options.node_id.len() > 255 {
            let mut end = 255;
            while !options.node_id.is_char_boundary(end) {
                end -= 1;
            }
            options.node_id.truncate(end);
        }
        let (changes, changes_rx) = mpsc::unbounded_channel();
        let (publishes, publishes_rx) = mpsc::channel(options.publish_queue.max(1));
        Ok(Self {
            client,
            options,
            changes,
            publishes,
            pending: Mutex::new(Some(Pending {
                changes: changes_rx,
                publishes: publishes_rx,
            })),
            counters: Arc::default(),
        })
    }

    /// This node's identity.
    ///
    /// ```
    /// use rfc6455::topics::{RedisBackplane, RedisOptions};
    /// let backplane = RedisBackplane::new("redis://127.0.0.1/", RedisOptions::default().node_id("a"))?;
    /// assert_eq!(backplane.node_id(), "a");
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    pub fn node_id(&self) -> &str {
        &self.options.node_id
    }

    /// Whether the subscriber connection is up and its topics subscribed.
    ///
    /// ```
    /// use rfc6455::topics::{RedisBackplane, RedisOptions};
    /// let backplane = RedisBackplane::new("redis://127.0.0.1/", RedisOptions::default())?;
    /// assert!(!backplane.is_subscribed()); // not started
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    pub fn is_subscribed(&self) -> bool {
        self.counters.subscribed.load(Relaxed)
    }

    /// The counters so far.
    ///
    /// ```
    /// use rfc6455::topics::{RedisBackplane, RedisOptions};
    /// let backplane = RedisBackplane::new("redis://127.0.0.1/", RedisOptions::default())?;
    /// assert_eq!(backplane.stats().published, 0);
    /// # Ok::<(), redis::RedisError>(())
    /// ```
    pub fn stats(&self) -> RedisStats {
        let c = &self.counters;
        RedisStats {
            published: c.published.load(Relaxed),
            publish_failed: c.publish_failed.load(Relaxed),
            received: c.received.load(Relaxed),
            own_skipped: c.own_skipped.load(Relaxed),
            malformed: c.malformed.load(Relaxed),
            disconnects: c.disconnects.load(Relaxed),
            resubscribes: c.resubscribes.load(Relaxed),
        }
    }
}

impl Backplane for RedisBackplane {
    fn start(&self, inbound: Inbound) {
        let Some(pending) = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            tracing::warn!("RedisBackplane started twice: the second hub gets nothing");
            return;
        };
        let subscriber = SubscriberTask {
            client: self.client.clone(),
            options: self.options.clone(),
            counters: self.counters.clone(),
            inbound,
            wanted: HashSet::new(),
        };
        tokio::spawn(subscriber.run(pending.changes));
        let publisher = PublisherTask {
            client: self.client.clone(),
            options: self.options.clone(),
            counters: self.counters.clone(),
        };
        tokio::spawn(publisher.run(pending.publishes));
    }

    fn subscribe(&self, topic: &str) {
        let _ = self.changes.send(Change::Subscribe(topic.into()));
    }

    fn unsubscribe(&self, topic: &str) {
        let _ = self.changes.send(Change::Unsubscribe(topic.into()));
    }

    fn publish(&self, topic: &str, frame: &SharedFrame) {
        let id = self.options.node_id.as_bytes();
        let mut envelope = BytesMut::with_capacity(5 + id.len() + frame.len());
        envelope.put_slice(MAGIC);
        envelope.put_u8(VERSION);
        envelope.put_u8(match frame.kind() {
            DataKind::Text => 1,
            DataKind::Binary => 2,
        });
        envelope.put_u8(id.len() as u8);
        envelope.put_slice(id);
        envelope.put_slice(frame.as_bytes());
        let channel = format!("{}{topic}", self.options.channel_prefix);
        if self
            .publishes
            .try_send((channel, envelope.freeze()))
            .is_err()
        {
            self.counters.publish_failed.fetch_add(1, Relaxed);
        }
    }
}

/// The wait before the next attempt: `wait` doubled, at most `max`, with ±25 % jitter.
fn backoff(wait: &mut Duration, options: &RedisOptions) -> Duration {
    let current = *wait;
    *wait = (*wait * 2).min(options.reconnect_max);
    let mut r = [0u8; 2];
    crate::random::fill(&mut r);
    let jitter = 0.75 + f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX) / 2.0;
    current.mul_f64(jitter)
}

struct SubscriberTask {
    client: redis::Client,
    options: RedisOptions,
    counters: Arc<Counters>,
    inbound: Inbound,
    /// The topics this node has local subscribers for.
    wanted: HashSet<Box<str>>,
}

impl SubscriberTask {
    async fn run(mut self, mut changes: mpsc::UnboundedReceiver<Change>) {
        let mut wait = self.options.reconnect_min;
        let mut first = true;
        let counters = self.counters.clone();
        loop {
            // The connections counted when this attempt began (or this task's own last).
            let mut seen = counters.connects.load(Relaxed);
            match self.connect().await {
                Ok((sink, stream)) => {
                    wait = self.options.reconnect_min;
                    seen = counters.connected();
                    if first {
                        tracing::info!(topics = self.wanted.len(), "Redis backplane subscribed");
                    } else {
                        self.counters.resubscribes.fetch_add(1, Relaxed);
                        tracing::info!(
                            topics = self.wanted.len(),
                            "Redis backplane back: subscribed again (messages published meanwhile were not received)"
                        );
                    }
                    first = false;
                    self.counters.subscribed.store(true, Relaxed);
                    let ended = self.serve(sink, stream, &mut changes).await;
                    self.counters.subscribed.store(false, Relaxed);
                    match ended {
                        Ended::Shutdown => return,
                        Ended::Lost(e) => {
                            self.counters.disconnects.fetch_add(1, Relaxed);
                            tracing::warn!("Redis backplane lost the broker (subscriber): {e}");
                        }
                    }
                }
                Err(e) => {
                    self.counters.disconnects.fetch_add(1, Relaxed);
                    tracing::warn!("Redis backplane cannot reach the broker (subscriber): {e}");
                }
            }
            // Wait before trying again, keeping track of what is wanted meanwhile; not if
            // the publisher has connected since (the broker is back).
            let back = counters.broker_back.notified();
            tokio::pin!(back);
            if counters.back_since(seen, back.as_mut()) {
                continue;
            }
            let sleep = tokio::time::sleep(backoff(&mut wait, &self.options));
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    () = &mut back => break,
                    change = changes.recv() => match change {
                        Some(change) => {
                            self.apply(change);
                        }
                        None => return,
                    },
                }
            }
        }
    }

    fn channel(&self, topic: &str) -> String {
        format!("{}{topic}", self.options.channel_prefix)
    }

    fn apply(&mut self, change: Change) -> Option<(bool, String)> {
        match change {
            Change::Subscribe(topic) => {
                let channel = self.channel(&topic);
                self.wanted.insert(topic).then_some((true, channel))
            }
            Change::Unsubscribe(topic) => {
                let channel = self.channel(&topic);
                self.wanted.remove(&topic).then_some((false, channel))
            }
        }
    }

    async fn connect(&mut self) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
        let (mut sink, stream) = self.client.get_async_pubsub().await?.split();
        let channels: Vec<String> = self.wanted.iter().map(|t| self.channel(t)).collect();
        if !channels.is_empty() {
            sink.subscribe(channels).await?;
        }
        Ok((sink, stream))
    }

    async fn serve(
        &mut self,
        mut sink: PubSubSink,
        mut stream: PubSubStream,
        changes: &mut mpsc::UnboundedReceiver<Change>,
    ) -> Ended {
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let Some(change) = change else { return Ended::Shutdown };
                    let result = match self.apply(change) {
                        Some((true, channel)) => sink.subscribe(channel).await,
                        Some((false, channel)) => sink.unsubscribe(channel).await,
                        None => Ok(()),
                    };
                    if let Err(e) = result {
                        return Ended::Lost(e.to_string());
                    }
                }
                message = stream.next() => {
                    let Some(message) = message else {
                        return Ended::Lost("connection closed".into());
                    };
                    self.deliver(message.get_channel_name(), message.get_payload_bytes());
                }
            }
        }
    }

    fn deliver(&self, channel: &str, envelope: &[u8]) {
        let c = &self.counters;
        let Some(topic) = channel.strip_prefix(&self.options.channel_prefix) else {
            c.malformed.fetch_add(1, Relaxed);
            return;
        };
        let Some((node, kind, payload)) = open(envelope) else {
            c.malformed.fetch_add(1, Relaxed);
            return;
        };
        if node == self.options.node_id.as_bytes() {
            c.own_skipped.fetch_add(1, Relaxed);
            return;
        }
        let payload = Bytes::copy_from_slice(payload);
        let frame = match kind {
            DataKind::Binary => SharedFrame::binary(payload),
            DataKind::Text => match Utf8Bytes::try_from(payload) {
                Ok(text) => SharedFrame::text(text),
                Err(_) => {
                    c.malformed.fetch_add(1, Relaxed);
                    return;
                }
            },
        };
        c.received.fetch_add(1, Relaxed);
        self.inbound.deliver(topic, frame);
    }
}

/// Split an envelope into its node id, kind and payload.
fn open(envelope: &[u8]) -> Option<(&[u8], DataKind, &[u8])> {
    let rest = envelope.strip_prefix(MAGIC)?;
    let (&[version, kind, id_len], rest) = rest.split_first_chunk::<3>()?;
    if version != VERSION {
        return None;
    }
    let kind = match kind {
        1 => DataKind::Text,
        2 => DataKind::Binary,
        _ => return None,
    };
    let (node, payload) = rest.split_at_checked(usize::from(id_len))?;
    Some((node, kind, payload))
}

enum Ended {
    Shutdown,
    Lost(String),
}

struct PublisherTask {
    client: redis::Client,
    options: RedisOptions,
    counters: Arc<Counters>,
}

impl PublisherTask {
    async fn run(self, mut publishes: mpsc::Receiver<(String, Bytes)>) {
        let mut wait = self.options.reconnect_min;
        let counters = self.counters.clone();
        loop {
            // The connections counted when this attempt began (or this task's own last).
            let mut seen = counters.connects.load(Relaxed);
            match self.client.get_multiplexed_async_connection().await {
                Ok(connection) => {
                    wait = self.options.reconnect_min;
                    seen = counters.connected();
                    match self.serve(connection, &mut publishes).await {
                        Ended::Shutdown => return,
                        Ended::Lost(e) => {
                            self.counters.disconnects.fetch_add(1, Relaxed);
                            tracing::warn!("Redis backplane lost the broker (publisher): {e}");
                        }
                    }
                }
                Err(e) => {
                    self.counters.disconnects.fetch_add(1, Relaxed);
                    tracing::warn!("Redis backplane cannot reach the broker (publisher): {e}");
                }
            }
            // Until the next attempt, what is published is lost (and counted); no wait if
            // the subscriber has connected since (the broker is back).
            let back = counters.broker_back.notified();
            tokio::pin!(back);
            if counters.back_since(seen, back.as_mut()) {
                continue;
            }
            let sleep = tokio::time::sleep(backoff(&mut wait, &self.options));
            tokio::pin!(sleep);
            let mut lost = 0u64;
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    () = &mut back => break,
                    publish = publishes.recv() => match publish {
                        Some(_) => lost += 1,
                        None => return,
                    },
                }
            }
            if lost > 0 {
                self.counters.publish_failed.fetch_add(lost, Relaxed);
                tracing::warn!(
                    lost,
                    "Redis backplane: messages published while the broker was away were dropped"
                );
            }
        }
    }

    /// Publish what arrives, everything waiting as one pipeline per round trip.
    async fn serve(
        &self,
        mut connection: MultiplexedConnection,
        publishes: &mut mpsc::Receiver<(String, Bytes)>,
    ) -> Ended {
        let mut batch = Vec::new();
        loop {
            if publishes.recv_many(&mut batch, 1024).await == 0 {
                return Ended::Shutdown;
            }
            let mut pipe = redis::pipe();
            for (channel, envelope) in batch.iter() {
                pipe.cmd("PUBLISH").arg(channel).arg(&envelope[..]).ignore();
            }
            let count = batch.len() as u64;
            batch.clear();
            let mut result = pipe.query_async::<()>(&mut connection).await;
            if let Err(e) = &result {
                // The connection may have died while idle (the broker restarted, say): one
                // fresh connection and one more try before this batch counts as lost.
                tracing::info!("Redis backplane: publisher reconnecting after: {e}");
                result = match self.client.get_multiplexed_async_connection().await {
                    Ok(fresh) => {
                        connection = fresh;
                        pipe.query_async::<()>(&mut connection).await
                    }
                    Err(e) => Err(e),
                };
            }
            match result {
                Ok(()) => {
                    self.counters.published.fetch_add(count, Relaxed);
                }
                Err(e) => {
                    self.counters.publish_failed.fetch_add(count, Relaxed);
                    return Ended::Lost(e.to_string());
                }
            }
        }
    }
}
