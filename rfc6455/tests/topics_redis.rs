//! Topics across nodes through a real `redis-server` (feature `redis`): three hubs, each
//! its own node with its own `RedisBackplane`, in this process. A publish on any node
//! reaches the subscribers of every node once; the broker carries one subscription per
//! node, not per subscriber; a topic with no local subscribers is unsubscribed; Redis
//! killed and started again: the nodes subscribe again and traffic resumes, and what could
//! not be published meanwhile is counted.

mod support;

use std::sync::Arc;

use rfc6455::SharedFrame;
use rfc6455::topics::{RedisBackplane, RedisOptions, Subscriber, Topics, TopicsOptions};

use support::redis::RedisServer;
use support::within;

const PREFIX: &str = "test:";

struct Node {
    topics: Topics,
    backplane: Arc<RedisBackplane>,
}

fn node(redis: &RedisServer, id: &str) -> Node {
    let options = RedisOptions::default()
        .node_id(id)
        .channel_prefix(PREFIX)
        .reconnect_min(std::time::Duration::from_millis(20))
        .reconnect_max(std::time::Duration::from_millis(200));
    let backplane = Arc::new(RedisBackplane::new(&redis.url(), options).unwrap());
    let topics = Topics::with_backplane(TopicsOptions::default(), backplane.clone());
    Node { topics, backplane }
}

async fn next_text(subscriber: &mut Subscriber) -> String {
    let frame = within(subscriber.recv()).await.unwrap();
    String::from_utf8(frame.as_bytes().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_on_any_node_reaches_every_node_once() {
    let redis = RedisServer::start().await;
    let nodes = [node(&redis, "a"), node(&redis, "b"), node(&redis, "c")];
    // Two subscribers per node on "room", one on "other" at node c.
    let mut subscribers: Vec<Vec<Subscriber>> = nodes
        .iter()
        .map(|n| {
            (0..2)
                .map(|_| {
                    let mut s = n.topics.subscriber();
                    s.subscribe("room");
                    s
                })
                .collect()
        })
        .collect();
    let mut other = nodes[2].topics.subscriber();
    other.subscribe("other");
    // One broker subscription per node, however many local subscribers.
    redis.await_subscribers("test:room", 3).await;
    redis.await_subscribers("test:other", 1).await;

    for (i, n) in nodes.iter().enumerate() {
        // Local delivery is direct: the publisher's node has it at once.
        assert_eq!(n.topics.publish("room", format!("from {i}")), 2);
    }
    for (at, node_subscribers) in subscribers.iter_mut().enumerate() {
        for subscriber in node_subscribers.iter_mut() {
            // Every message once; its own node's first (delivered locally, at once), and
            // per publisher in order. Nothing twice: the next test below checks that the
            // queue is then empty.
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(next_text(subscriber).await);
            }
            got.sort();
            assert_eq!(got, ["from 0", "from 1", "from 2"], "node {at}");
        }
    }
    // A binary message, and a marker: whatever arrives next is the marker, not a copy of
    // anything before it (a node's own message is not delivered again from the broker).
    nodes[1]
        .topics
        .publish("room", SharedFrame::binary(vec![0, 159, 146, 150]));
    nodes[1].topics.publish("room", "marker");
    for node_subscribers in subscribers.iter_mut() {
        for subscriber in node_subscribers.iter_mut() {
            let frame = within(subscriber.recv()).await.unwrap();
            assert_eq!(frame.as_bytes(), [0, 159, 146, 150]);
            assert_eq!(next_text(subscriber).await, "marker");
            assert_eq!(subscriber.queued(), 0);
        }
    }
    assert_eq!(other.queued(), 0, "another topic got nothing");
    let own: u64 = nodes.iter().map(|n| n.backplane.stats().own_skipped).sum();
    assert!(
        own > 0,
        "nodes saw their own messages come back and skipped them"
    );
    // Node a received from b and c: "from 1", "from 2", the binary message and the marker.
    assert_eq!(
        nodes[0].backplane.stats().received,
        4,
        "{:?}",
        nodes[0].backplane.stats()
    );

    // Node c's last subscriber to "room" leaves: c unsubscribes from the broker.
    subscribers[2].clear();
    redis.await_subscribers("test:room", 2).await;
    drop(other);
    redis.await_subscribers("test:other", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_traffic_resumes() {
    let mut redis = RedisServer::start().await;
    let a = node(&redis, "a");
    let b = node(&redis, "b");
    let mut at_a = a.topics.subscriber();
    let mut at_b = b.topics.subscriber();
    at_a.subscribe("live");
    at_b.subscribe("live");
    redis.await_subscribers("test:live", 2).await;
    a.topics.publish("live", "before");
    assert_eq!(next_text(&mut at_a).await, "before");
    assert_eq!(next_text(&mut at_b).await, "before");

    redis.kill().await;
    // While the broker is away, local delivery goes on; the other node misses it.
    while a.backplane.is_subscribed() || b.backplane.is_subscribed() {
        tokio::task::yield_now().await;
    }
    a.topics.publish("live", "during");
    assert_eq!(next_text(&mut at_a).await, "during");
    let lost = async {
        while a.backplane.stats().publish_failed == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    within(lost).await;
    assert!(a.backplane.stats().disconnects > 0);

    redis.restart().await;
    // Both nodes subscribe again by themselves.
    redis.await_subscribers("test:live", 2).await;
    b.topics.publish("live", "after");
    assert_eq!(next_text(&mut at_a).await, "after");
    assert_eq!(next_text(&mut at_b).await, "after");
    a.topics.publish("live", "after 2");
    assert_eq!(next_text(&mut at_a).await, "after 2");
    assert_eq!(next_text(&mut at_b).await, "after 2");
    assert_eq!(
        at_b.queued(),
        0,
        "b never got what was published while Redis was away"
    );
    assert!(a.backplane.stats().resubscribes >= 1);
    assert!(b.backplane.stats().resubscribes >= 1);
}
