//! Loopback: flow — `recv` cancelled by `tokio::select!` loses nothing, and a peer that
//! does not read makes `send`/`feed` wait instead of buffering without bound.
//!
//! Every test here races a timer against the other end, so they all run in memory
//! (`tokio::io::duplex`) on paused time: the clock moves only when every task waits, so
//! the timer fires exactly when the other end is paused or blocked, on any machine.

mod support;

use std::pin::pin;
use std::time::Duration;

use rfc6455::{CloseCode, Config, Message, Role, WebSocket};
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{MissedTickBehavior, interval, timeout};

use support::data::{pattern, text_pattern};
use support::raw::{OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawPeer, b0, encode_frame, read_frame};
use support::server::{echo, slow_link};
use support::within;

const BIG: usize = 256 * 1024;

/// Message `i` of the first test: binary and text in turn, each a little different in size.
fn message(i: u64) -> Message {
    if i.is_multiple_of(2) {
        Message::binary(pattern(i, BIG + i as usize))
    } else {
        Message::text(text_pattern(i, BIG - i as usize))
    }
}

/// Our server sends large messages over a slow link (16 KiB pieces, 1.5 ms apart); the
/// client's `recv` sits in a `select!` against a 1 ms timer, so it is dropped between the
/// pieces, in the middle of messages, over and over. Every message must arrive exactly
/// once, whole and in order.
#[tokio::test(start_paused = true)]
async fn recv_cancelled_by_select_loses_nothing() {
    const N: u64 = 40;
    let (near, far) = slow_link(16 * 1024, Duration::from_micros(1500));
    let server = tokio::spawn(async move {
        let mut ws = WebSocket::from_stream(far, Role::Server, Config::default());
        for i in 0..N {
            ws.send(message(i)).await.unwrap();
        }
        while ws.recv().await.is_some() {}
    });
    let mut ws = WebSocket::from_stream(near, Role::Client, Config::default());
    let mut tick = interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut next = 0u64;
    let mut ticks = 0u64;
    within(async {
        while next < N {
            tokio::select! {
                m = ws.recv() => {
                    let m = m.expect("stream ended early").expect("recv error");
                    let want = message(next);
                    assert!(m == want, "message {next} differs (len {} vs {})", m.len(), want.len());
                    next += 1;
                }
                _ = tick.tick() => ticks += 1,
            }
        }
    })
    .await;
    assert!(ticks > 0, "the timer never won: recv was never cancelled");
    assert!(
        ticks >= N,
        "the timer won only {ticks} times in {N} messages"
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    within(server).await.unwrap();
}

/// A raw server writes every frame in pieces with 3 ms pauses between them — splitting
/// headers, multi-byte characters and fragmented messages — so `recv`, against a 1 ms
/// timer, is certainly cancelled mid-frame and mid-message.
#[tokio::test(start_paused = true)]
async fn recv_cancelled_mid_frame_resumes_exactly() {
    const N: u64 = 12;
    let expected = |i: u64| text_pattern(i, BIG + 3 * i as usize);
    let (near, far) = tokio::io::duplex(64 * 1024);
    let client = tokio::spawn(async move {
        let mut ws = WebSocket::from_stream(near, Role::Client, Config::default());
        let mut tick = interval(Duration::from_millis(1));
        let mut got = Vec::new();
        let mut ticks = 0u64;
        loop {
            tokio::select! {
                m = ws.recv() => match m {
                    Some(m) => got.push(m.unwrap()),
                    None => break,
                },
                _ = tick.tick() => ticks += 1,
            }
        }
        (got, ticks)
    });
    let mut peer = RawPeer::new(far, Role::Server);
    for i in 0..N {
        let text = expected(i);
        let bytes = text.as_bytes();
        // Every third message in two frames, split inside a character.
        let mut wire = Vec::new();
        if i.is_multiple_of(3) {
            let cut = bytes.len() / 2 + 1;
            wire.extend(encode_frame(b0(false, OP_TEXT), &bytes[..cut], None));
            wire.extend(encode_frame(b0(true, OP_CONT), &bytes[cut..], None));
        } else {
            wire.extend(encode_frame(b0(true, OP_TEXT), bytes, None));
        }
        let n = wire.len();
        let cuts = [0, 1, 3, n / 3 + 1, 2 * n / 3 + 2, n - 1, n];
        for w in cuts.windows(2) {
            peer.io.write_all(&wire[w[0]..w[1]]).await.unwrap();
            peer.io.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    peer.send_close(1000, "").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    drop(peer);
    let (got, ticks) = within(client).await.unwrap();
    assert_eq!(got.len(), N as usize);
    for (i, m) in got.iter().enumerate() {
        assert!(
            m.as_text() == Some(expected(i as u64).as_str()),
            "message {i}"
        );
    }
    assert!(
        ticks >= N,
        "the timer should have won during the pauses ({ticks})"
    );
}

/// Our server's end of `io`: it does not read at all until told to, then counts the
/// messages and their bytes before the text "done", and returns the count once the
/// connection ends.
fn counting_server(io: DuplexStream) -> (oneshot::Sender<()>, JoinHandle<(usize, usize)>) {
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut ws = WebSocket::from_stream(io, Role::Server, Config::default());
        go_rx.await.unwrap();
        let (mut count, mut bytes) = (0, 0);
        loop {
            match ws.recv().await {
                Some(Ok(Message::Text(t))) if t.as_str() == "done" => break,
                Some(Ok(m)) => {
                    count += 1;
                    bytes += m.len();
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        while ws.recv().await.is_some() {}
        (count, bytes)
    });
    (go_tx, task)
}

/// Our client on a connection in memory of 64 KiB each way, with a 16 KiB write buffer
/// limit, and the other end for [`counting_server`].
fn small_buffer() -> (WebSocket<DuplexStream>, DuplexStream) {
    let (near, far) = tokio::io::duplex(64 * 1024);
    let config = Config::default().write_buffer_limit(16 * 1024);
    (WebSocket::from_stream(near, Role::Client, config), far)
}

/// With a peer that does not read, `send` eventually waits (Pending) instead of queueing
/// more and more; once the peer reads, the same send completes and nothing is lost. (A
/// send still pending after 300 ms of paused time is one that can make no progress.)
#[tokio::test(start_paused = true)]
async fn send_waits_for_a_peer_that_does_not_read() {
    // Far more than the connection can hold.
    const CAP: usize = 256; // × 256 KiB = 64 MiB
    let (mut ws, far) = small_buffer();
    let (go_tx, server) = counting_server(far);
    let data = pattern(1, BIG);
    let mut sent = 0;
    loop {
        assert!(
            sent < CAP,
            "send never waited: {} MiB accepted while nobody reads",
            (sent * BIG) >> 20
        );
        let mut send = pin!(ws.send_binary(&data));
        match timeout(Duration::from_millis(300), send.as_mut()).await {
            Ok(result) => {
                result.unwrap();
                sent += 1;
            }
            Err(_) => {
                // Blocked, as it should be. Let the server read; the same send finishes.
                go_tx.send(()).unwrap();
                within(send).await.unwrap();
                sent += 1;
                break;
            }
        }
    }
    within(ws.send_text("done")).await.unwrap();
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    assert_eq!(within(server).await.unwrap(), (sent, sent * BIG));
}

/// `feed` (no flush) is bounded the same way: it waits once the queue is over the write
/// buffer limit and the socket is full; a cancelled `feed` queued nothing.
#[tokio::test(start_paused = true)]
async fn feed_waits_for_a_peer_that_does_not_read() {
    const CAP: usize = 256;
    let (mut ws, far) = small_buffer();
    let (go_tx, server) = counting_server(far);
    let mut fed = 0;
    loop {
        assert!(
            fed < CAP,
            "feed never waited: {} MiB queued",
            (fed * BIG) >> 20
        );
        let m = Message::binary(pattern(fed as u64, BIG));
        match timeout(Duration::from_millis(300), ws.feed(m)).await {
            Ok(result) => {
                result.unwrap();
                fed += 1;
            }
            Err(_) => break,
        }
    }
    assert!(fed >= 1);
    go_tx.send(()).unwrap();
    within(ws.flush()).await.unwrap();
    within(ws.send_text("done")).await.unwrap();
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    assert_eq!(within(server).await.unwrap(), (fed, fed * BIG));
}

/// A peer that floods pings and never reads the pongs: the server keeps reading, and owes
/// a bounded run of pongs (RFC 6455 §5.5.3: only the most recent ping need be answered), so
/// its memory does not grow with the flood and the peer's writes never stall. When the
/// peer reads again it finds the pongs that fit in the link, in order, ending with the
/// answer to its last ping. (A write still pending after 1 s of paused time is one the
/// server does not read.)
#[tokio::test(start_paused = true)]
async fn ping_flood_without_reading_is_bounded() {
    const PER_CHUNK: u64 = 1000;
    const CHUNKS: u64 = 100;
    const LINK: usize = 64 * 1024;
    let (near, far) = tokio::io::duplex(LINK);
    let server = tokio::spawn(echo(WebSocket::from_stream(
        far,
        Role::Server,
        Config::default(),
    )));
    let (mut rd, mut wr) = tokio::io::split(near);
    let payload = |n: u64| {
        let mut p = n.to_be_bytes().to_vec();
        p.resize(125, b'.');
        p
    };
    for c in 0..CHUNKS {
        let bytes: Vec<u8> = (c * PER_CHUNK..(c + 1) * PER_CHUNK)
            .flat_map(|n| encode_frame(b0(true, OP_PING), &payload(n), Some([1, 2, 3, 4])))
            .collect();
        timeout(Duration::from_secs(1), wr.write_all(&bytes))
            .await
            .expect("the server stopped reading pings")
            .unwrap();
    }
    let end = encode_frame(b0(true, OP_TEXT), b"end", Some([1, 2, 3, 4]));
    within(wr.write_all(&end)).await.unwrap();
    // The pongs, in order, then the echo of "end".
    let mut pongs = Vec::new();
    loop {
        let frame = within(read_frame(&mut rd)).await.expect("connection ended");
        if frame.opcode == OP_TEXT {
            assert_eq!(frame.payload, b"end");
            break;
        }
        assert_eq!(frame.opcode, OP_PONG);
        let n = u64::from_be_bytes(frame.payload[..8].try_into().unwrap());
        assert_eq!(frame.payload, payload(n));
        pongs.push(n);
    }
    assert!(pongs.windows(2).all(|w| w[0] < w[1]), "out of order");
    assert_eq!(pongs.last(), Some(&(CHUNKS * PER_CHUNK - 1)));
    // What the link holds, plus the pongs owed: a bounded run of them (16 in the core,
    // and what a write cut short by the full link left behind) — a few dozen at most,
    // whatever the 100 000 pings.
    assert!(
        pongs.len() <= LINK / 127 + 48,
        "{} pongs: more than the link holds plus the pongs owed",
        pongs.len()
    );
    // Gone without a close: the server's handler ends.
    drop((rd, wr));
    within(server).await.unwrap();
}
