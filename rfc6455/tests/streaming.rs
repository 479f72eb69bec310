//! Streamed send and receive of messages (the original's input-port send and
//! `ws-recv-stream`), frame-level receive, and their edge cases.

mod support;

use bytes::Bytes;
use futures_util::StreamExt;
use rfc6455::{ClientOptions, CloseCode, Config, DataKind, ErrorKind, SendError, Variant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use support::data::pattern;
use support::raw::{OP_BINARY, OP_CONT, OP_PING, OP_PONG, RawPeer};
use support::server::{echo_server, local, serve_one, url};
use support::within;

fn small_fragments(size: usize) -> Config {
    Config::default().stream_fragment_size(size)
}

#[tokio::test]
async fn fragment_sizes_are_respected_on_the_wire() {
    let payload = pattern(7, 10_000);
    let sent = payload.clone();
    let (server, handled) = serve_one(
        local().config(small_fragments(1000)),
        move |mut ws| async move {
            let sent = ws.send_stream(DataKind::Binary, &sent[..]).await;
            let _ = ws.close(CloseCode::NORMAL, "").await;
            sent
        },
    )
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let mut frames = Vec::new();
    while let Some(Ok(f)) = within(ws.recv_fragment()).await {
        frames.push(f);
    }
    assert_eq!(frames.len(), 10, "10 000 bytes in fragments of 1000");
    assert!(
        frames
            .iter()
            .all(|f| f.payload.len() == 1000 && f.kind == DataKind::Binary)
    );
    assert!(frames[0].first && frames[1..].iter().all(|f| !f.first));
    assert!(frames[9].fin && frames[..9].iter().all(|f| !f.fin));
    let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.to_vec()).collect();
    assert_eq!(joined, payload);
    assert_eq!(handled.returned().await.unwrap(), 10_000, "bytes sent");
}

#[tokio::test]
async fn streamed_receive_yields_chunks_and_distinguishes_end_of_message() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        ws.send_binary(&pattern(1, 300_000)).await.unwrap();
        ws.send_text("after").await.unwrap();
        let _ = ws.recv().await;
    })
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
    assert_eq!(reader.kind(), DataKind::Binary);
    let mut data = Vec::new();
    reader.read_to_end(&mut data).await.unwrap();
    assert_eq!(data, pattern(1, 300_000));
    assert!(reader.is_complete());
    drop(reader);
    let next = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(next.as_text(), Some("after"), "the next message is intact");
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    handled.returned().await;
}

#[tokio::test]
async fn dropping_the_reader_early_discards_the_rest_cleanly() {
    let (server, handled) = serve_one(local().config(small_fragments(4096)), |mut ws| async move {
        ws.send_stream(DataKind::Binary, &pattern(2, 1 << 20)[..])
            .await
            .unwrap();
        ws.send_text("second").await.unwrap();
        let _ = ws.recv().await;
    })
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
    let first = within(reader.next_chunk()).await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(reader);
    let next = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(next.as_text(), Some("second"));
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    handled.returned().await;
}

#[tokio::test]
async fn utf8_split_at_every_position_across_chunks() {
    let text = "aé€𝄞zκόσμε";
    let bytes = text.as_bytes().to_vec();
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    let (server, handled) = serve_one(
        local().config(small_fragments(3)),
        move |mut ws| async move {
            for &cut in &cuts {
                let chunks = vec![
                    Ok::<_, std::io::Error>(Bytes::copy_from_slice(&bytes[..cut])),
                    Ok(Bytes::copy_from_slice(&bytes[cut..])),
                ];
                ws.send_chunks(DataKind::Text, futures_util::stream::iter(chunks))
                    .await
                    .unwrap();
            }
            let _ = ws.recv().await;
        },
    )
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    for _ in 1..text.len() {
        let msg = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(msg.as_text(), Some(text));
    }
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    handled.returned().await;
}

#[tokio::test]
async fn invalid_utf8_in_a_text_stream_fails_before_the_bad_frame() {
    let (server, handled) = serve_one(
        local().config(small_fragments(4)),
        move |mut ws| async move {
            let bad: &[u8] = b"okay\xff\xfe";
            let sent = ws.send_stream(DataKind::Text, bad).await;
            let _ = ws.recv().await;
            sent.map_err(|e| e.send_error().cloned())
        },
    )
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let mut frames = Vec::new();
    while let Some(Ok(f)) = within(ws.recv_fragment()).await {
        frames.push(f);
    }
    assert_eq!(
        handled.returned().await,
        Err(Some(SendError::InvalidUtf8)),
        "the stream's result"
    );
    // "okay" went out as a first fragment; the invalid bytes never did: the connection was
    // closed with 1011 by the sender, not failed by us with 1007.
    assert_eq!(frames.len(), 1);
    assert_eq!(&frames[0].payload[..], b"okay");
    assert_eq!(ws.peer_close_code(), Some(CloseCode::INTERNAL_ERROR));
}

#[tokio::test]
async fn ping_in_the_middle_of_a_streamed_message_is_answered() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (mut raw, _) = RawPeer::accept(&listener, &[], &[]).await;
        raw.send(false, OP_BINARY, b"part one ").await;
        raw.send(true, OP_PING, b"still there?").await;
        let pong = raw.recv().await.unwrap();
        raw.send(true, OP_CONT, b"part two").await;
        pong
    });
    let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
    let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
    let mut data = Vec::new();
    within(reader.read_to_end(&mut data)).await.unwrap();
    assert_eq!(data, b"part one part two");
    let pong = peer.await.unwrap();
    assert_eq!(
        (pong.opcode, &pong.payload[..]),
        (OP_PONG, &b"still there?"[..])
    );
}

#[tokio::test]
async fn connection_ending_mid_message_is_not_end_of_message() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = tokio::spawn(async move {
        let (mut raw, _) = RawPeer::accept(&listener, &[], &[]).await;
        raw.send(false, OP_BINARY, b"half a message").await;
        raw.io.shutdown().await.unwrap();
    });
    let (mut ws, _) = rfc6455::connect(&format!("ws://{addr}/")).await.unwrap();
    let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
    let mut data = Vec::new();
    let err = within(reader.read_to_end(&mut data)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(data, b"half a message");
    within(peer).await.unwrap();
}

#[tokio::test]
async fn message_writer_sends_fragments_and_finishes_on_shutdown() {
    let (server, handled) = serve_one(local().config(small_fragments(100)), |mut ws| async move {
        let mut w = ws.message_writer(DataKind::Text).unwrap();
        for i in 0..50 {
            w.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
        }
        w.shutdown().await.unwrap();
        let _ = ws.recv().await;
    })
    .await;
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let mut frames = 0;
    let mut text = Vec::new();
    loop {
        let f = within(ws.recv_fragment()).await.unwrap().unwrap();
        assert!(f.payload.len() <= 100);
        frames += 1;
        text.extend_from_slice(&f.payload);
        if f.fin {
            break;
        }
    }
    let expected: String = (0..50).map(|i| format!("line {i}\n")).collect();
    assert_eq!(String::from_utf8(text).unwrap(), expected);
    assert!(frames > 1);
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    handled.returned().await;
}

#[tokio::test]
async fn split_halves_stream_both_ways() {
    let (server, handled) = serve_one(local(), |ws| async move {
        let (mut rx, mut tx) = ws.split();
        let mut reader = rx.recv_stream().await.unwrap().unwrap();
        let mut received = 0usize;
        while let Some(chunk) = reader.next().await {
            received += chunk.unwrap().len();
        }
        drop(reader);
        let reply = format!("{received}");
        tx.send_stream(DataKind::Text, reply.as_bytes())
            .await
            .unwrap();
        let _ = rx.recv().await;
    })
    .await;
    let (ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let (mut rx, mut tx) = ws.split();
    tx.send_stream(DataKind::Binary, &pattern(3, 2_000_000)[..])
        .await
        .unwrap();
    let msg = within(rx.recv()).await.unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("2000000"));
    within(tx.close(CloseCode::NORMAL, "")).await.unwrap();
    handled.returned().await;
}

#[tokio::test]
async fn streaming_on_hybi00_is_refused() {
    let server = echo_server(local().hybi00(true)).await;
    let options = ClientOptions::default().variant(Variant::Hybi00);
    let (mut ws, _) = rfc6455::connect_with(&url(&server, "/"), options)
        .await
        .unwrap();
    let err = ws.send_stream(DataKind::Text, &b"x"[..]).await.unwrap_err();
    assert!(matches!(err.send_error(), Some(SendError::Unsupported(_))));
    assert!(ws.message_writer(DataKind::Text).is_err());
    let err = ws.recv_stream().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Send);
    ws.send_text("still fine").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("still fine")
    );
}
