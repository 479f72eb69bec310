//! Loopback: `WebSocket::split` — a receiving task and a sending task on one connection,
//! duty frames (pongs, close replies) sent by whichever half runs.

mod support;

use futures_util::{SinkExt, StreamExt};
use rfc6455::{CloseCode, Message, connect};
use tokio::sync::{mpsc, oneshot};

use support::data::pattern;
use support::raw::{OP_BINARY, OP_PING, OP_PONG, OP_TEXT, RawPeer, raw_listener};
use support::server::{echo_server, local, serve_one, url};
use support::within;

/// A reader task and a writer task run at the same time: the reader gets every echo in
/// order while the writer is still sending, then the writer's close ends the reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_and_writer_tasks_run_concurrently() {
    const N: u64 = 300;
    let server = echo_server(local()).await;
    let (ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    let (all_tx, all_rx) = oneshot::channel();
    let (first_tx, first_rx) = oneshot::channel();
    let reader = tokio::spawn(async move {
        let mut first_tx = Some(first_tx);
        for i in 0..N {
            let m = rx.recv().await.unwrap().unwrap();
            assert_eq!(
                m,
                Message::binary(pattern(i, 1000 + i as usize)),
                "message {i}"
            );
            if let Some(t) = first_tx.take() {
                let _ = t.send(());
            }
        }
        let _ = all_tx.send(());
        // The writer's close: the echo server answers it and the stream ends.
        assert!(rx.recv().await.is_none());
        (rx.is_closed(), rx.peer_close_code(), rx.peer_close_reason())
    });
    let writer = tokio::spawn(async move {
        let mut first_rx = Some(first_rx);
        for i in 0..N {
            tx.send(Message::binary(pattern(i, 1000 + i as usize)))
                .await
                .unwrap();
            if i == N / 2
                && let Some(first) = first_rx.take()
            {
                // Proof of concurrency: the reader got the first echo while we still
                // have half the messages to send.
                first.await.unwrap();
            }
        }
        // Close only once every echo is in: data arriving after our close is discarded.
        all_rx.await.unwrap();
        tx.close(CloseCode::NORMAL, "writer done").await.unwrap();
    });
    within(writer).await.unwrap();
    let (closed, code, reason) = within(reader).await.unwrap();
    assert!(closed);
    assert_eq!(code, Some(CloseCode::NORMAL));
    assert_eq!(reason, "");
    server.stop().await;
}

/// Pings from the peer are answered by the receiving half while the sending half is idle;
/// the sending half's close goes out and the peer's reply ends the receiving half.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_answered_while_writer_idle_and_close_ends_reader() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move { connect(&ws_url).await.unwrap().0 });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let ws = within(client).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    let (got_tx, mut got_rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(Ok(m)) = rx.recv().await {
            got_tx.send(m).unwrap();
        }
        (rx.peer_close_code(), rx.peer_close_reason())
    });

    for i in 0..5u8 {
        let payload = [b'p', i];
        peer.send(true, OP_PING, &payload).await;
        let pong = within(peer.recv()).await.unwrap();
        assert_eq!(pong.opcode, OP_PONG);
        assert!(pong.mask.is_some());
        assert_eq!(pong.payload, payload);
    }
    peer.send(true, OP_TEXT, b"to the reader").await;
    assert_eq!(
        within(got_rx.recv()).await.unwrap(),
        Message::text("to the reader")
    );

    within(tx.send_text("from the writer")).await.unwrap();
    let f = within(peer.recv()).await.unwrap();
    assert_eq!(
        (f.opcode, &f.payload[..]),
        (OP_TEXT, &b"from the writer"[..])
    );

    within(tx.close(CloseCode::NORMAL, "done")).await.unwrap();
    assert_eq!(
        within(peer.expect_close()).await,
        (Some(1000), "done".into())
    );
    peer.send_close(1000, "ok").await;
    drop(peer);
    assert_eq!(
        within(reader).await.unwrap(),
        (Some(CloseCode::NORMAL), "ok".into())
    );
    // The sending half sees the connection closed.
    let err = within(tx.send_text("late")).await.unwrap_err();
    assert_eq!(err.kind(), rfc6455::ErrorKind::Closed);
}

/// The halves as `Stream` and `Sink`, and a server that splits its connection too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halves_as_stream_and_sink_on_both_ends() {
    let (server, handled) = serve_one(local(), |ws| async move {
        let (mut rx, mut tx) = ws.split();
        // Server: a forwarding task per half, joined by a channel.
        let (fwd_tx, mut fwd_rx) = mpsc::channel::<Message>(4);
        let reading = tokio::spawn(async move {
            while let Some(Ok(m)) = rx.next().await {
                if fwd_tx.send(m).await.is_err() {
                    break;
                }
            }
        });
        while let Some(m) = fwd_rx.recv().await {
            let upper = Message::text(m.as_text().unwrap_or("?").to_uppercase());
            if tx.send(upper).await.is_err() {
                break;
            }
        }
        reading.await.expect("the reading task");
    })
    .await;
    let (ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    let words = ["alpha", "beta", "gamma", "delta"];
    let sending = tokio::spawn(async move {
        let mut items = futures_util::stream::iter(words.map(|w| Ok(Message::text(w))));
        tx.send_all(&mut items).await.unwrap();
        tx
    });
    let got: Vec<Message> = within((&mut rx).take(4).map(Result::unwrap).collect()).await;
    assert_eq!(got, words.map(|w| Message::text(w.to_uppercase())).to_vec());
    let mut tx = within(sending).await.unwrap();
    within(SinkExt::close(&mut tx)).await.unwrap();
    assert!(within(rx.next()).await.is_none());
    assert_eq!(rx.peer_close_code(), Some(CloseCode::NORMAL));
    handled.returned().await;
    server.stop().await;
}

/// While the sending half waits for a peer that is not reading (its message is far larger
/// than the socket buffers), the receiving half still receives. Otherwise an echo peer
/// that is itself blocked writing to us would deadlock with us.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_keeps_reading_while_writer_waits_for_the_socket() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move { connect(&ws_url).await.unwrap().0 });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let ws = within(client).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    let big = pattern(7, 16 << 20);
    let writer = tokio::spawn({
        let big = big.clone();
        async move {
            tx.send_binary(&big).await.unwrap();
            tx
        }
    });
    // The peer reads nothing yet, so the writer cannot finish; the reader must not care.
    for i in 0..3 {
        peer.send(true, OP_TEXT, format!("while you wait {i}").as_bytes())
            .await;
        assert_eq!(
            within(rx.recv()).await.unwrap().unwrap(),
            Message::text(format!("while you wait {i}"))
        );
    }
    // Now the peer reads, and the writer completes.
    let f = within(peer.recv()).await.unwrap();
    assert_eq!(f.opcode, OP_BINARY);
    assert!(f.payload == big);
    let mut tx = within(writer).await.unwrap();
    within(tx.close(CloseCode::NORMAL, "")).await.unwrap();
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    peer.send_close(1000, "").await;
    drop(peer);
    assert!(within(rx.recv()).await.is_none());
}
