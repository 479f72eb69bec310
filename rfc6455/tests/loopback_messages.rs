//! Loopback: data messages between our client and our server (and a raw peer where the
//! wire itself must be seen): sizes at the length-encoding boundaries, `feed` + `flush`,
//! Stream/Sink, hand-made fragments and their misuse, pings and pongs.

mod support;

use std::io::Read;

use futures_util::{SinkExt, StreamExt};
use rfc6455::{DataKind, ErrorKind, Message, SendError, connect};

use support::data::{pattern, text_pattern};
use support::raw::{
    OP_BINARY, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawPeer, raw_listener, read_frame,
};
use support::server::{echo_server, local, serve_one, url};
use support::within;

/// Payload sizes around the 7-bit / 16-bit / 64-bit length encodings (§5.2), plus a large one.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 8 << 20];

#[tokio::test]
async fn text_and_binary_echo_at_length_boundaries() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    for (i, &size) in SIZES.iter().enumerate() {
        let text = text_pattern(i as u64, size);
        within(ws.send_text(&text)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo.kind(), DataKind::Text, "size {size}");
        // Compare bytes: `as_text` validates again, slowly in debug builds.
        assert!(echo.as_bytes() == text.as_bytes(), "text of {size} bytes");

        let data = pattern(i as u64, size);
        within(ws.send_binary(&data)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo.kind(), DataKind::Binary, "size {size}");
        assert!(echo.as_bytes() == &data[..], "binary of {size} bytes");
    }
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn empty_messages_both_kinds() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.send(Message::text(""))).await.unwrap();
    within(ws.send(Message::binary(Vec::new()))).await.unwrap();
    let a = within(ws.recv()).await.unwrap().unwrap();
    let b = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(a, Message::text(""));
    assert_eq!(b, Message::binary(Vec::new()));
    assert!(a.is_empty() && b.is_empty());
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

/// The server pushes every size to the client, and the client pushes every size to the
/// server, each side checking what it got (not an echo: one direction at a time).
#[tokio::test]
async fn every_size_server_to_client_and_client_to_server() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        for (i, &size) in SIZES.iter().enumerate() {
            ws.send(Message::binary(pattern(100 + i as u64, size)))
                .await
                .unwrap();
            ws.send(Message::text(text_pattern(200 + i as u64, size)))
                .await
                .unwrap();
        }
        let mut ok = true;
        for (i, &size) in SIZES.iter().enumerate() {
            let m = ws.recv().await.unwrap().unwrap();
            ok &= m == Message::binary(pattern(300 + i as u64, size));
            let m = ws.recv().await.unwrap().unwrap();
            ok &= m == Message::text(text_pattern(400 + i as u64, size));
        }
        while ws.recv().await.is_some() {}
        ok
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    for (i, &size) in SIZES.iter().enumerate() {
        let m = within(ws.recv()).await.unwrap().unwrap();
        assert!(
            m == Message::binary(pattern(100 + i as u64, size)),
            "{size}"
        );
        let m = within(ws.recv()).await.unwrap().unwrap();
        assert!(
            m == Message::text(text_pattern(200 + i as u64, size)),
            "{size}"
        );
    }
    for (i, &size) in SIZES.iter().enumerate() {
        within(ws.send_binary(&pattern(300 + i as u64, size)))
            .await
            .unwrap();
        within(ws.send_text(&text_pattern(400 + i as u64, size)))
            .await
            .unwrap();
    }
    within(ws.close(1000.into(), "")).await.unwrap();
    assert!(handled.returned().await, "server got wrong data");
    server.stop().await;
}

/// `feed` queues without writing; one `flush` sends everything, in order.
#[tokio::test]
async fn feed_queues_until_flush() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move { connect(&ws_url).await.unwrap().0 });
    let (peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let mut ws = within(client).await.unwrap();

    for i in 0..5 {
        within(ws.feed(format!("message {i}"))).await.unwrap();
    }
    // Nothing may have been written yet: a non-blocking read on the peer finds no byte.
    // (If `feed` wrote, loopback delivers within the write call and this read sees it.)
    let mut std_io = peer.io.into_std().unwrap();
    let mut byte = [0u8; 1];
    match std_io.read(&mut byte) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("feed wrote before flush: {other:?}"),
    }
    let mut io = tokio::net::TcpStream::from_std(std_io).unwrap();

    within(ws.flush()).await.unwrap();
    for i in 0..5 {
        let frame = within(read_frame(&mut io)).await.unwrap();
        assert!(frame.fin);
        assert_eq!(frame.opcode, OP_TEXT);
        assert!(frame.mask.is_some(), "client frames must be masked (§5.3)");
        assert_eq!(frame.payload, format!("message {i}").into_bytes());
    }
}

/// `feed` x N then one `flush` against our server: all arrive, in order.
#[tokio::test]
async fn feed_many_then_flush_reaches_server_in_order() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    for i in 0..100u64 {
        let m = if i.is_multiple_of(2) {
            Message::text(format!("#{i}"))
        } else {
            Message::binary(pattern(i, 1000))
        };
        within(ws.feed(m)).await.unwrap();
    }
    within(ws.flush()).await.unwrap();
    for i in 0..100u64 {
        let m = within(ws.recv()).await.unwrap().unwrap();
        if i.is_multiple_of(2) {
            assert_eq!(m.as_text(), Some(format!("#{i}").as_str()));
        } else {
            assert_eq!(m, Message::binary(pattern(i, 1000)));
        }
    }
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

/// The connection as a `Sink` and a `Stream` (futures-util combinators), on both ends.
#[tokio::test]
async fn stream_and_sink() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        // Server side with StreamExt/SinkExt: echo until the stream ends.
        while let Some(Ok(msg)) = ws.next().await {
            ws.send(msg).await.unwrap();
        }
        ws.peer_close_code()
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(SinkExt::send(&mut ws, Message::text("one")))
        .await
        .unwrap();
    within(SinkExt::feed(&mut ws, Message::binary(vec![2u8; 300])))
        .await
        .unwrap();
    within(SinkExt::feed(&mut ws, Message::text("three")))
        .await
        .unwrap();
    within(SinkExt::flush(&mut ws)).await.unwrap();
    let mut more = futures_util::stream::iter((4..8).map(|i| Ok(Message::text(format!("n{i}")))));
    within(ws.send_all(&mut more)).await.unwrap();

    let got: Vec<Message> = within((&mut ws).take(7).map(Result::unwrap).collect()).await;
    let mut want = vec![
        Message::text("one"),
        Message::binary(vec![2u8; 300]),
        Message::text("three"),
    ];
    want.extend((4..8).map(|i| Message::text(format!("n{i}"))));
    assert_eq!(got, want);

    // Sink::close sends a close frame (1000); the stream then ends after the reply.
    within(SinkExt::close(&mut ws)).await.unwrap();
    assert!(within(ws.next()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(1000.into()));
    assert!(ws.is_closed());
    assert_eq!(handled.returned().await, Some(1000.into()));
    server.stop().await;
}

// ------------------------------------------------------------------ fragmentation

#[tokio::test]
async fn client_fragments_are_reassembled_by_server() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    // A text message split inside a multi-byte character ("é" is C3 A9).
    within(ws.send_fragment(DataKind::Text, b"caf\xC3", false))
        .await
        .unwrap();
    within(ws.send_continuation(b"\xA9 ", false)).await.unwrap();
    // A ping in the middle of a fragmented message is allowed (§5.4).
    within(ws.ping(b"mid")).await.unwrap();
    within(ws.send_continuation(b"au lait", true))
        .await
        .unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("café au lait"));

    within(ws.send_fragment(DataKind::Binary, &[1, 2], false))
        .await
        .unwrap();
    within(ws.send_continuation(&[], false)).await.unwrap();
    within(ws.send_continuation(&[3], true)).await.unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::binary(vec![1, 2, 3]));

    // A one-fragment message (first and last).
    within(ws.send_fragment(DataKind::Text, b"solo", true))
        .await
        .unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("solo"));
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn server_fragments_are_reassembled_by_client() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let big = pattern(9, 100_000);
        ws.send_fragment(DataKind::Binary, &big[..40_000], false)
            .await
            .unwrap();
        ws.send_continuation(&big[40_000..], true).await.unwrap();
        ws.send_fragment(DataKind::Text, "€".as_bytes().get(..1).unwrap(), false)
            .await
            .unwrap();
        ws.send_continuation(&"€".as_bytes()[1..], true)
            .await
            .unwrap();
        while ws.recv().await.is_some() {}
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::binary(pattern(9, 100_000)));
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("€"));
    within(ws.close(1000.into(), "")).await.unwrap();
    handled.returned().await;
    server.stop().await;
}

/// Misusing `send_fragment` is refused locally with `ErrorKind::Send`, and the connection
/// keeps working.
#[tokio::test]
async fn fragment_misuse_is_refused() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();

    let err = within(ws.send_continuation(b"x", true)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Send);
    assert_eq!(err.send_error(), Some(&SendError::NoMessageInProgress));

    within(ws.send_fragment(DataKind::Binary, b"a", false))
        .await
        .unwrap();
    let err = within(ws.send_fragment(DataKind::Text, b"b", true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Send);
    assert_eq!(err.send_error(), Some(&SendError::MessageInProgress));
    let err = within(ws.send_text("whole")).await.unwrap_err();
    assert_eq!(err.send_error(), Some(&SendError::MessageInProgress));
    let err = within(ws.send(Message::binary(vec![9]))).await.unwrap_err();
    assert_eq!(err.send_error(), Some(&SendError::MessageInProgress));

    // The open message can still be finished, and nothing refused went on the wire.
    within(ws.send_continuation(b"c", true)).await.unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::binary(b"ac".to_vec()));
    within(ws.send_text("after")).await.unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("after"));
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

// ------------------------------------------------------------------ ping / pong

/// A raw client pings; our server (busy in `recv`) answers with a pong carrying the same
/// payload, also in the middle of a fragmented message.
#[tokio::test]
async fn server_answers_ping_with_same_payload() {
    let server = echo_server(local()).await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;

    peer.send(true, OP_PING, b"are you there?").await;
    let pong = within(peer.recv()).await.unwrap();
    assert_eq!(pong.opcode, OP_PONG);
    assert!(pong.fin && pong.mask.is_none());
    assert_eq!(pong.payload, b"are you there?");

    // Empty and maximum (125 bytes) payloads.
    peer.send(true, OP_PING, b"").await;
    let pong = within(peer.recv()).await.unwrap();
    assert_eq!((pong.opcode, pong.payload.len()), (OP_PONG, 0));
    let max = pattern(3, 125);
    peer.send(true, OP_PING, &max).await;
    let pong = within(peer.recv()).await.unwrap();
    assert_eq!((pong.opcode, &pong.payload), (OP_PONG, &max));

    // Between fragments: the pong comes first, then the echo of the whole message.
    peer.send(false, OP_TEXT, b"frag").await;
    peer.send(true, OP_PING, b"between").await;
    let pong = within(peer.recv()).await.unwrap();
    assert_eq!((pong.opcode, &pong.payload[..]), (OP_PONG, &b"between"[..]));
    peer.send(true, OP_CONT, b"ment").await;
    let echo = within(peer.recv()).await.unwrap();
    assert_eq!(
        (echo.opcode, &echo.payload[..]),
        (OP_TEXT, &b"fragment"[..])
    );

    // An unsolicited pong is ignored (no answer, no message).
    peer.send(true, OP_PONG, b"heartbeat").await;
    peer.send(true, OP_TEXT, b"still here").await;
    let echo = within(peer.recv()).await.unwrap();
    assert_eq!(echo.payload, b"still here");

    peer.send_close(1000, "").await;
    assert_eq!(
        within(peer.expect_close()).await,
        (Some(1000), String::new())
    );
    within(peer.expect_eof()).await;
    server.stop().await;
}

/// A raw server pings our client while the client is in `recv`: the client answers with a
/// masked pong of the same payload and does not surface the ping as a message.
#[tokio::test]
async fn client_answers_server_ping_automatically() {
    let (listener, ws_url) = raw_listener("/").await;
    let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel();
    let client = tokio::spawn(async move {
        let (mut ws, _) = connect(&ws_url).await.unwrap();
        while let Some(Ok(m)) = ws.recv().await {
            got_tx.send(m).unwrap();
        }
        ws.peer_close_code()
    });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    for payload in [&b"p1"[..], b"", &pattern(1, 125)] {
        peer.send(true, OP_PING, payload).await;
        let pong = within(peer.recv()).await.unwrap();
        assert_eq!(pong.opcode, OP_PONG);
        assert!(pong.mask.is_some(), "client pong must be masked");
        assert_eq!(pong.payload, payload);
    }
    peer.send(true, OP_TEXT, b"data").await;
    assert_eq!(within(got_rx.recv()).await.unwrap(), Message::text("data"));
    peer.send_close(1000, "done").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    drop(peer);
    assert_eq!(within(client).await.unwrap(), Some(1000.into()));
    assert!(got_rx.try_recv().is_err(), "a ping surfaced as a message");
}

/// `ping()` on our client puts a masked ping on the wire; the pong that comes back is
/// dropped by `recv`, which returns the next data message.
#[tokio::test]
async fn client_ping_goes_out_and_pong_is_swallowed() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move { connect(&ws_url).await.unwrap().0 });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let mut ws = within(client).await.unwrap();

    within(ws.ping(b"hello")).await.unwrap();
    let ping = within(peer.recv()).await.unwrap();
    assert_eq!(ping.opcode, OP_PING);
    assert!(ping.mask.is_some());
    assert_eq!(ping.payload, b"hello");
    peer.send(true, OP_PONG, b"hello").await;
    peer.send(true, OP_BINARY, b"next").await;
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::binary(b"next".to_vec()));

    // Over 125 bytes is refused locally.
    let err = within(ws.ping(&[0u8; 126])).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Send);
    assert_eq!(err.send_error(), Some(&SendError::ControlFrameTooLong));
}

/// Our server pings our client; the client's automatic pong reaches the server, which drops
/// it and still sees the client's next message first.
#[tokio::test]
async fn server_ping_to_our_client_round_trip() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        ws.ping(b"srv").await.unwrap();
        ws.send_text("after ping").await.unwrap();
        let m = ws.recv().await.unwrap().unwrap();
        while ws.recv().await.is_some() {}
        m
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("after ping"));
    within(ws.send_text("reply")).await.unwrap();
    within(ws.close(1000.into(), "")).await.unwrap();
    assert_eq!(handled.returned().await, Message::text("reply"));
    server.stop().await;
}

/// A burst of large and small messages queued with `feed` and flushed once: the server
/// writes the first large payload from its own memory and copies what was queued after it
/// behind it (one vectored write), which must keep every message whole and in order. The
/// server echoes with `feed` too, so its side queues a burst as well.
#[tokio::test]
async fn a_burst_of_large_and_small_messages_stays_in_order() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        while let Some(Ok(msg)) = ws.recv().await {
            if ws.feed(msg).await.is_err() {
                break;
            }
        }
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let sizes = [
        20_000,
        5,
        70_000,
        16 * 1024,
        0,
        300_000,
        16 * 1024 - 1,
        40_000,
        1,
    ];
    let sent: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| pattern(i as u64, size))
        .collect();
    for round in 0..3 {
        for data in &sent {
            within(ws.feed(Message::binary(data.clone())))
                .await
                .unwrap();
        }
        within(ws.flush()).await.unwrap();
        for (data, size) in sent.iter().zip(sizes) {
            let echo = within(ws.recv()).await.unwrap().unwrap();
            assert!(echo.as_bytes() == &data[..], "round {round}: {size} bytes");
        }
    }
    within(ws.close(1000.into(), "")).await.unwrap();
    handled.returned().await;
    server.stop().await;
}
