//! [`Subscriber`]: one connection's subscriptions and its queue of frames to send.

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use rfc6455_proto::CloseCode;

use super::mailbox::Mailbox;
use super::policy::SLOW_SUBSCRIBER;
use super::state::HubState;
use crate::shared_frame::SharedFrame;

/// One connection's subscriptions to a [`Topics`](super::Topics) hub, and its bounded
/// queue of frames to send ([`TopicsOptions::queue_len`](super::TopicsOptions::queue_len),
/// shared by all its topics, in the order they were published).
///
/// The connection's task sends what [`recv`](Self::recv) gives with
/// [`WebSocket::send_shared`](crate::WebSocket::send_shared) (or
/// [`SendHalf::send_shared`](crate::SendHalf::send_shared) in a task of its own); `recv` is
/// cancel-safe, so it sits in `tokio::select!` next to the connection's `recv`. Dropping
/// the subscriber — as the handler ends with its connection — ends every subscription,
/// and a topic left without subscribers is removed.
///
/// ```no_run
/// use rfc6455::topics::{Topics, TopicsOptions};
/// use rfc6455::{ServerOptions, serve};
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let topics = Topics::new(TopicsOptions::default());
/// let server = serve(ServerOptions::default().port(8081), move |mut ws| {
///     let mut subscriber = topics.subscriber();
///     let topics = topics.clone();
///     async move {
///         subscriber.subscribe("lobby");
///         loop {
///             tokio::select! {
///                 frame = subscriber.recv() => match frame {
///                     Ok(frame) => if ws.send_shared(&frame).await.is_err() { break },
///                     Err(slow) => { let _ = ws.close(slow.close_code(), "too slow").await; break }
///                 },
///                 message = ws.recv() => match message {
///                     Some(Ok(message)) => { topics.publish("lobby", message); }
///                     _ => break,
///                 },
///             }
///         }
///     }
/// })
/// .await?;
/// # server.stop().await; Ok(()) }
/// ```
#[derive(Debug)]
pub struct Subscriber {
    state: Arc<HubState>,
    mailbox: Arc<Mailbox>,
    topics: Vec<Box<str>>,
}

impl Subscriber {
    pub(super) fn new(state: Arc<HubState>) -> Self {
        Self {
            state,
            mailbox: Arc::default(),
            topics: Vec::new(),
        }
    }

    /// Receive what is published to `topic` from now on: `false` if already subscribed.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// assert!(subscriber.subscribe("news"));
    /// assert!(!subscriber.subscribe("news"));
    /// assert_eq!(topics.subscriber_count("news"), 1);
    /// ```
    pub fn subscribe(&mut self, topic: &str) -> bool {
        if self.topics.iter().any(|t| &**t == topic) {
            return false;
        }
        self.state.subscribe(topic, &self.mailbox);
        self.topics.push(topic.into());
        true
    }

    /// Stop receiving `topic` (frames already queued stay queued): `false` if not
    /// subscribed.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// subscriber.subscribe("news");
    /// assert!(subscriber.unsubscribe("news"));
    /// assert_eq!(topics.topic_count(), 0); // nobody listens: the topic is gone
    /// ```
    pub fn unsubscribe(&mut self, topic: &str) -> bool {
        let Some(at) = self.topics.iter().position(|t| &**t == topic) else {
            return false;
        };
        self.topics.swap_remove(at);
        self.state.unsubscribe(topic, &self.mailbox);
        true
    }

    /// The topics subscribed to.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// subscriber.subscribe("a");
    /// assert_eq!(subscriber.topics().collect::<Vec<_>>(), ["a"]);
    /// ```
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| &**t)
    }

    /// How many frames wait to be sent.
    ///
    /// ```
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// subscriber.subscribe("a");
    /// topics.publish("a", "x");
    /// assert_eq!(subscriber.queued(), 1);
    /// ```
    pub fn queued(&self) -> usize {
        self.mailbox.len()
    }

    /// The next frame to send, waiting for one; [`TooSlow`] once the hub cut this
    /// subscriber off ([`Overflow::Close`](super::Overflow::Close)): close the connection
    /// with [`TooSlow::close_code`] then.
    ///
    /// # Cancel safety
    /// Cancel-safe: a frame is taken from the queue only when it is returned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// subscriber.subscribe("a");
    /// topics.publish("a", "x");
    /// let frame = subscriber.recv().await.unwrap();
    /// assert_eq!(frame.as_bytes(), b"x");
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Result<SharedFrame, TooSlow> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let topics = rfc6455::topics::Topics::default();
    /// let mut subscriber = topics.subscriber();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(subscriber.poll_recv(&mut cx).is_pending());
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<SharedFrame, TooSlow>> {
        self.mailbox
            .poll_pop(cx)
            .map(|popped| popped.map_err(|()| TooSlow))
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        for topic in self.topics.drain(..) {
            self.state.unsubscribe(&topic, &self.mailbox);
        }
    }
}

/// A subscriber's queue was full and the hub's policy is
/// [`Overflow::Close`](super::Overflow::Close): it gets nothing more; close its connection
/// with [`close_code`](Self::close_code) ([`SLOW_SUBSCRIBER`], 1013).
///
/// ```
/// use rfc6455::topics::{Overflow, Topics, TopicsOptions, TooSlow};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let topics = Topics::new(TopicsOptions::default().queue_len(1).overflow(Overflow::Close));
/// let mut subscriber = topics.subscriber();
/// subscriber.subscribe("a");
/// topics.publish("a", "1");
/// topics.publish("a", "2"); // the queue holds 1: cut off
/// assert_eq!(subscriber.recv().await, Err(TooSlow));
/// assert_eq!(TooSlow.close_code().as_u16(), 1013);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSlow;

impl TooSlow {
    /// The close code to close the connection with: [`SLOW_SUBSCRIBER`] (1013).
    ///
    /// ```
    /// assert_eq!(rfc6455::topics::TooSlow.close_code(), rfc6455::topics::SLOW_SUBSCRIBER);
    /// ```
    pub fn close_code(self) -> CloseCode {
        SLOW_SUBSCRIBER
    }
}

impl fmt::Display for TooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("subscriber cut off: its queue of unsent frames was full")
    }
}

impl std::error::Error for TooSlow {}
