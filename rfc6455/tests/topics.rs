//! Topics in one process (`rfc6455::topics`): fan-out to many subscribers, every message
//! once and in order per publisher; a stalled subscriber meets each overflow policy
//! without holding up the others; subscriptions end with the connection; split halves,
//! the service mapper and permessage-deflate connections. Allocations per delivery are
//! counted in `topics_alloc.rs`, a test binary of its own.

mod support;

use std::time::{Duration, Instant};

use rfc6455::topics::{Overflow, TooSlow, Topics, TopicsOptions};
use rfc6455::{
    ClientOptions, Config, DeflateConfig, ServiceMapper, SharedFrame, WebSocket, connect,
    connect_with, serve, serve_mapped,
};
use tokio::sync::mpsc;

use tokio::io::AsyncWriteExt;

use support::raw::{OP_CLOSE, OP_TEXT, b0, close_payload, encode_frame, read_frame};
use support::server::{local, url};
use support::topics::{Ended, stalled_client, topic_server};
use support::within;

/// A message of about 1 KiB carrying its publisher and sequence number.
fn numbered(publisher: usize, seq: usize) -> String {
    let mut text = format!("{publisher}:{seq}:");
    text.extend(std::iter::repeat_n('x', 1024 - text.len()));
    text
}

fn parse(message: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(message).unwrap();
    let mut parts = text.splitn(3, ':');
    let publisher = parts.next().unwrap().parse().unwrap();
    let seq = parts.next().unwrap().parse().unwrap();
    (publisher, seq)
}

async fn expect_ready(ws: &mut WebSocket) {
    let ready = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(ready.as_text(), Some("ready"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_subscribers_get_every_message_once_in_order_per_publisher() {
    const SUBSCRIBERS: usize = 10_000;
    const PUBLISHERS: usize = 2;
    const MESSAGES: usize = 100;
    let topics = Topics::new(TopicsOptions::default().queue_len(PUBLISHERS * MESSAGES));
    let mut tasks = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let mut subscriber = topics.subscriber();
        subscriber.subscribe("feed");
        tasks.push(tokio::spawn(async move {
            let mut next = [0usize; PUBLISHERS];
            for _ in 0..PUBLISHERS * MESSAGES {
                let frame = subscriber.recv().await.expect("not cut off");
                let (publisher, seq) = parse(frame.as_bytes());
                assert_eq!(seq, next[publisher], "publisher {publisher} out of order");
                next[publisher] += 1;
            }
            // Nothing more: every message exactly once.
            assert_eq!(subscriber.queued(), 0);
            next
        }));
    }
    assert_eq!(topics.subscriber_count("feed"), SUBSCRIBERS);
    // Two publishers on two threads at once.
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let topics = topics.clone();
            std::thread::spawn(move || {
                for seq in 0..MESSAGES {
                    assert_eq!(topics.publish("feed", numbered(p, seq)), SUBSCRIBERS);
                }
            })
        })
        .collect();
    for publisher in publishers {
        publisher.join().unwrap();
    }
    for task in tasks {
        assert_eq!(within(task).await.unwrap(), [MESSAGES; PUBLISHERS]);
    }
    let stats = topics.stats();
    assert_eq!(stats.published, (PUBLISHERS * MESSAGES) as u64);
    assert_eq!(stats.queued, (SUBSCRIBERS * PUBLISHERS * MESSAGES) as u64);
    assert_eq!((stats.dropped, stats.cut_off), (0, 0));
    // The subscribers are gone with their tasks: so is the topic.
    assert_eq!(topics.topic_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_over_real_connections_in_order() {
    const CLIENTS: usize = 500;
    const MESSAGES: usize = 50;
    let topics = Topics::default();
    let (server, mut ended) = topic_server(topics.clone(), Config::default()).await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (mut ws, _) = within(connect(&url(&server, "/room"))).await.unwrap();
        expect_ready(&mut ws).await;
        clients.push(ws);
    }
    assert_eq!(topics.subscriber_count("room"), CLIENTS);
    // One client publishes; everyone, the sender included, gets each message in order.
    within(clients[0].send_text(&numbered(0, 0))).await.unwrap();
    let first = within(clients[0].recv()).await.unwrap().unwrap();
    assert_eq!(parse(first.as_bytes()), (0, 0));
    for seq in 1..MESSAGES {
        topics.publish("room", numbered(1, seq));
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                let from = usize::from(i == 0);
                for seq in from..MESSAGES {
                    let message = ws.recv().await.unwrap().unwrap();
                    let (_, got) = parse(message.as_bytes());
                    assert_eq!(got, seq);
                }
                ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        within(task).await.unwrap();
    }
    for _ in 0..CLIENTS {
        assert_eq!(within(ended.recv()).await, Some(Ended::Connection));
    }
    assert_eq!(topics.topic_count(), 0, "unsubscribed on close");
    server.stop().await;
}

/// Ten clients that read, one that does not. The publisher sends 4 000 messages of
/// 1 KiB in batches of 8 and waits for the ten to have each batch: a batch never takes
/// long however stalled the eleventh is. Returns the stalled socket and the messages.
async fn with_a_stalled_subscriber(
    overflow: Overflow,
) -> (
    Topics,
    tokio::net::TcpStream,
    mpsc::UnboundedReceiver<Ended>,
    usize,
) {
    const READERS: usize = 10;
    const MESSAGES: usize = 4_000;
    const BATCH: usize = 8;
    let topics = Topics::new(TopicsOptions::default().queue_len(16).overflow(overflow));
    let config = Config::default().write_buffer_limit(16 * 1024);
    let (server, ended) = topic_server(topics.clone(), config).await;
    let stalled = stalled_client(server.local_addr(), "/feed").await;
    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let (mut ws, _) = within(connect(&url(&server, "/feed"))).await.unwrap();
        expect_ready(&mut ws).await;
        let progress_tx = progress_tx.clone();
        readers.push(tokio::spawn(async move {
            for seq in 0..MESSAGES {
                let message = ws.recv().await.unwrap().unwrap();
                assert_eq!(parse(message.as_bytes()), (0, seq));
                if (seq + 1) % BATCH == 0 {
                    progress_tx.send(()).unwrap();
                }
            }
            ws
        }));
    }
    // The stalled client's handler has subscribed too (it said "ready" before the others).
    while topics.subscriber_count("feed") < READERS + 1 {
        tokio::task::yield_now().await;
    }
    let mut slowest = Duration::ZERO;
    for batch in 0..MESSAGES / BATCH {
        let start = Instant::now();
        for seq in batch * BATCH..(batch + 1) * BATCH {
            topics.publish("feed", numbered(0, seq));
        }
        for _ in 0..READERS {
            within(progress.recv()).await.unwrap();
        }
        slowest = slowest.max(start.elapsed());
    }
    for reader in readers {
        drop(within(reader).await.unwrap());
    }
    // A bound far above a batch's usual few milliseconds, far below a stall's seconds.
    assert!(slowest < Duration::from_secs(2), "a batch took {slowest:?}");
    (topics, stalled, ended, MESSAGES)
}

/// Read the stalled client's data frames (after its `ready`): their sequence numbers, and
/// the close code if the server closed.
async fn read_stalled(stalled: &mut tokio::net::TcpStream) -> (Vec<usize>, Option<u16>) {
    let ready = within(read_frame(stalled)).await.unwrap();
    assert_eq!(ready.payload, b"ready");
    let mut seqs = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(2), read_frame(stalled)).await;
        match next {
            Ok(Some(frame)) if frame.opcode == OP_TEXT => seqs.push(parse(&frame.payload).1),
            Ok(Some(frame)) if frame.opcode == OP_CLOSE => {
                // Answer it, as a client does.
                let code = frame.close_parts().0;
                let reply =
                    encode_frame(b0(true, OP_CLOSE), &close_payload(1000, ""), Some([1; 4]));
                stalled.write_all(&reply).await.unwrap();
                return (seqs, code);
            }
            Ok(Some(frame)) => panic!("unexpected frame {frame:?}"),
            // Nothing more was sent (the connection stays open) or the socket ended.
            Ok(None) | Err(_) => return (seqs, None),
        }
    }
}

fn assert_increasing_with_gaps(seqs: &[usize]) {
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "out of order or repeated"
    );
    assert!(seqs.len() < 4_000, "nothing was dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_drops_its_oldest_frames() {
    let (topics, mut stalled, _ended, messages) =
        with_a_stalled_subscriber(Overflow::DropOldest).await;
    let stats = topics.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.cut_off, 0);
    let (seqs, close) = read_stalled(&mut stalled).await;
    assert_eq!(close, None);
    assert_increasing_with_gaps(&seqs);
    // The newest frames were kept.
    assert_eq!(seqs.last(), Some(&(messages - 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_drops_new_frames() {
    let (topics, mut stalled, _ended, messages) =
        with_a_stalled_subscriber(Overflow::DropNewest).await;
    let stats = topics.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.cut_off, 0);
    let (seqs, close) = read_stalled(&mut stalled).await;
    assert_eq!(close, None);
    assert_increasing_with_gaps(&seqs);
    // The newest frames were the ones dropped.
    assert!(*seqs.last().unwrap() < messages - 1);
    // Nothing is missing before the first gap.
    assert!(seqs.iter().enumerate().take(10).all(|(i, &s)| i == s));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_is_cut_off_with_1013() {
    let (topics, mut stalled, mut ended, _) = with_a_stalled_subscriber(Overflow::Close).await;
    let stats = topics.stats();
    assert_eq!(stats.cut_off, 1, "{stats:?}");
    assert_eq!(stats.dropped, 0);
    let (seqs, close) = read_stalled(&mut stalled).await;
    assert_eq!(close, Some(1013));
    assert_increasing_with_gaps(&seqs);
    // Its handler ended because of it; the readers' handlers ended with their connections.
    let mut ends = Vec::new();
    for _ in 0..11 {
        ends.push(within(ended.recv()).await.unwrap());
    }
    assert_eq!(
        ends.iter().filter(|&e| *e == Ended::TooSlow).count(),
        1,
        "{ends:?}"
    );
}

#[tokio::test]
async fn split_halves_and_mapper_handlers_subscribe() {
    let topics = Topics::default();
    // A mapper route per room; each handler splits its connection: a task pumps the
    // subscription into the send half, the receive half publishes.
    let hub = topics.clone();
    let mapper = ServiceMapper::builder()
        .path(r"/rooms/(?<room>\w+)")
        .no_subprotocol(move |ws, params| {
            let topics = hub.clone();
            let room = params.get("room").unwrap_or_default().to_owned();
            async move {
                let mut subscriber = topics.subscriber();
                subscriber.subscribe(&room);
                let (mut rx, mut tx) = ws.split();
                tx.send_text("ready").await.unwrap();
                let pump = tokio::spawn(async move {
                    while let Ok(frame) = subscriber.recv().await {
                        if tx.send_shared(&frame).await.is_err() {
                            break;
                        }
                    }
                });
                while let Some(Ok(message)) = rx.recv().await {
                    topics.publish(&room, message);
                }
                pump.abort();
                let _ = pump.await;
            }
        })
        .build()
        .unwrap();
    let server = serve_mapped(local(), mapper).await.unwrap();
    let (mut a, _) = within(connect(&url(&server, "/rooms/blue"))).await.unwrap();
    let (mut b, _) = within(connect(&url(&server, "/rooms/blue"))).await.unwrap();
    let (mut c, _) = within(connect(&url(&server, "/rooms/red"))).await.unwrap();
    for ws in [&mut a, &mut b, &mut c] {
        expect_ready(ws).await;
    }
    within(a.send_text("hello blue")).await.unwrap();
    for ws in [&mut a, &mut b] {
        let got = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(got.as_text(), Some("hello blue"));
    }
    within(c.send_binary(b"red only")).await.unwrap();
    let got = within(c.recv()).await.unwrap().unwrap();
    assert_eq!(got.as_bytes(), b"red only");
    // a and b got nothing from red: the next thing each sees is blue's next message.
    within(b.send_text("second")).await.unwrap();
    for ws in [&mut a, &mut b] {
        let got = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(got.as_text(), Some("second"));
    }
    assert_eq!(topics.topic_count(), 2);
    for ws in [a, b, c] {
        let mut ws = ws;
        within(ws.close(rfc6455::CloseCode::NORMAL, ""))
            .await
            .unwrap();
    }
    server.stop().await;
    assert_eq!(
        topics.topic_count(),
        0,
        "subscriptions end with the connections"
    );
}

#[tokio::test]
async fn deflate_connections_get_shared_frames_uncompressed() {
    let topics = Topics::default();
    let (tx, _ended) = mpsc::unbounded_channel();
    let hub = topics.clone();
    let server = serve(
        local().compression(Some(DeflateConfig::default())),
        move |ws| support::topics::pump(ws, hub.clone(), tx.clone()),
    )
    .await
    .unwrap();
    let options = ClientOptions::default().compression(Some(DeflateConfig::default()));
    let (mut ws, _) = within(connect_with(&url(&server, "/z"), options))
        .await
        .unwrap();
    assert!(ws.handshake().deflate().is_some(), "deflate agreed");
    expect_ready(&mut ws).await;
    let text = "compressible ".repeat(200);
    topics.publish("z", SharedFrame::text(text.clone()));
    topics.publish("z", SharedFrame::binary(vec![7u8; 70_000]));
    let got = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(got.as_text(), Some(text.as_str()));
    let got = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(got.as_bytes(), &[7u8; 70_000][..]);
    server.stop().await;
}

#[tokio::test]
async fn a_subscriber_cut_off_says_so_once_its_queue_is_full() {
    let topics = Topics::new(TopicsOptions::default().queue_len(2));
    let mut slow = topics.subscriber();
    let mut quick = topics.subscriber();
    slow.subscribe("t");
    quick.subscribe("t");
    for i in 0..3 {
        topics.publish("t", format!("{i}"));
        assert_eq!(
            within(quick.recv()).await.unwrap().as_bytes(),
            format!("{i}").as_bytes()
        );
    }
    assert_eq!(within(slow.recv()).await, Err(TooSlow));
    assert_eq!(topics.stats().cut_off, 1);
    // It stays cut off, and later publishes still reach the others.
    assert_eq!(topics.publish("t", "later"), 1);
    assert_eq!(within(slow.recv()).await, Err(TooSlow));
}

#[tokio::test]
async fn send_shared_keeps_the_send_rules_and_works_on_a_client() {
    let (server, handled) = support::server::serve_one(local(), |mut ws| async move {
        // Inside a fragmented message a whole frame may not go out.
        ws.send_fragment(rfc6455::DataKind::Text, b"par", false)
            .await
            .unwrap();
        let refused = ws.send_shared(&SharedFrame::text("no")).await.unwrap_err();
        assert_eq!(refused.kind(), rfc6455::ErrorKind::Send);
        ws.send_continuation(b"t", true).await.unwrap();
        ws.send_shared(&SharedFrame::binary(vec![1, 2, 3]))
            .await
            .unwrap();
        let from_client = ws.recv().await.unwrap().unwrap();
        ws.close(rfc6455::CloseCode::NORMAL, "").await.unwrap();
        // After the closing handshake nothing more is sent.
        let closed = ws
            .send_shared(&SharedFrame::text("late"))
            .await
            .unwrap_err();
        assert_eq!(closed.kind(), rfc6455::ErrorKind::Closed);
        from_client
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("part")
    );
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_bytes(),
        [1, 2, 3]
    );
    // A client masks: its shared frame is copied, and arrives whole.
    within(ws.send_shared(&SharedFrame::text("from the client")))
        .await
        .unwrap();
    assert!(within(ws.recv()).await.is_none());
    let from_client = within(handled.returned()).await;
    assert_eq!(from_client.as_text(), Some("from the client"));
    server.stop().await;
}
