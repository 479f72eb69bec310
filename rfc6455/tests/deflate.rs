//! permessage-deflate (RFC 7692) end to end: our client and our server negotiate it and
//! echo compressed messages (whole and streamed), the wire shows RSV1 and the answer
//! header, a client fails an invalid answer, and turning it off on either side leaves the
//! connection uncompressed.

mod support;

use rfc6455::{
    ClientOptions, DataKind, DeflateConfig, ErrorKind, HandshakeError, Message, connect_with,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use support::data::{pattern, text_pattern};
use support::http::{header_value, read_head, upgrade_request};
use support::raw::{OP_TEXT, RawPeer, raw_listener};
use support::server::{echo_server, local, serve_one, url};
use support::within;

fn compressing() -> ClientOptions {
    ClientOptions::default().compression(Some(DeflateConfig::default()))
}

fn json(i: usize) -> String {
    format!(r#"{{"id":{i},"name":"item {i}","tags":["red","green","blue"],"price":{i}.5}}"#)
}

#[tokio::test]
async fn compressed_echo_both_roles_at_many_sizes() {
    let (server, handled) = serve_one(
        local().compression(Some(DeflateConfig::default())),
        |ws| async move {
            let agreed = ws.handshake().deflate().copied();
            support::server::echo(ws).await;
            agreed
        },
    )
    .await;
    let (mut ws, _) = within(connect_with(&url(&server, "/"), compressing()))
        .await
        .unwrap();
    let agreed = ws.handshake().deflate().copied().expect("deflate agreed");
    assert_eq!(agreed.server_max_window_bits, 15);
    for (i, size) in [0usize, 1, 125, 126, 65_535, 65_536, 1 << 20]
        .into_iter()
        .enumerate()
    {
        let text = text_pattern(i as u64, size);
        within(ws.send_text(&text)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert!(echo.as_bytes() == text.as_bytes(), "text of {size}");
        let data = pattern(i as u64, size);
        within(ws.send_binary(&data)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo.kind(), DataKind::Binary);
        assert!(echo.as_bytes() == &data[..], "binary of {size}");
    }
    // Compressible JSON, many messages over one context.
    for i in 0..300 {
        within(ws.send_text(&json(i))).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo, Message::text(json(i)));
    }
    within(ws.send_uncompressed("secret=1")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("secret=1")
    );
    within(ws.close(1000.into(), "")).await.unwrap();
    assert_eq!(handled.returned().await, Some(agreed));
    server.stop().await;
}

#[tokio::test]
async fn streamed_send_and_receive_are_compressed_incrementally() {
    let server = echo_server(local().compression(Some(DeflateConfig::default()))).await;
    let (mut ws, _) = within(connect_with(&url(&server, "/"), compressing()))
        .await
        .unwrap();
    let body = json(1).repeat(100_000).into_bytes(); // about 7 MB, very compressible
    let sent = within(ws.send_stream(DataKind::Text, &body[..]))
        .await
        .unwrap();
    assert_eq!(sent, body.len() as u64);
    let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = within(reader.next_chunk()).await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= 64 * 1024, "inflated chunks are bounded");
        got.extend_from_slice(&chunk);
    }
    drop(reader);
    assert!(got == body);
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn the_wire_shows_the_answer_and_rsv1() {
    let server = echo_server(local().compression(Some(DeflateConfig::default()))).await;
    let addr = server.local_addr();
    let mut io = TcpStream::connect(addr).await.unwrap();
    let offer = "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, \
                 permessage-deflate\r\n";
    io.write_all(upgrade_request(addr, "/", offer).as_bytes())
        .await
        .unwrap();
    let head = within(read_head(&mut io)).await;
    assert_eq!(
        header_value(&head, "sec-websocket-extensions").as_deref(),
        Some("permessage-deflate; server_max_window_bits=10")
    );
    let mut peer = RawPeer::new(io, rfc6455::Role::Client);
    // §7.2.3.1 "Hello", compressed, from the client.
    peer.send_b0(0xc1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])
        .await;
    let frame = within(peer.recv()).await.unwrap();
    assert_eq!(frame.opcode, OP_TEXT);
    // The echo is under the 64-byte threshold: sent uncompressed.
    assert_eq!((frame.rsv, &frame.payload[..]), (0, &b"Hello"[..]));
    // A continuation with RSV1 fails with 1002.
    peer.send_b0(0x41, &[0xf2]).await;
    peer.send_b0(0xc0, &[0x00]).await;
    let (code, _) = within(peer.expect_close()).await;
    assert_eq!(code, Some(1002));
    server.stop().await;
}

#[tokio::test]
async fn a_client_fails_an_invalid_answer() {
    for answer in [
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Extensions: permessage-deflate; bogus",
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16",
    ] {
        let (listener, url) = raw_listener("/").await;
        let peer = tokio::spawn(async move { RawPeer::accept(&listener, &[answer], &[]).await });
        let err = within(connect_with(&url, compressing())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Handshake, "{answer}");
        assert!(
            matches!(
                err.handshake_error(),
                Some(HandshakeError::InvalidExtensionAnswer(_))
            ),
            "{answer}: {err}"
        );
        let (_, request) = peer.await.unwrap();
        assert_eq!(
            header_value(&request, "sec-websocket-extensions").as_deref(),
            Some("permessage-deflate; client_max_window_bits")
        );
    }
}

#[tokio::test]
async fn off_on_either_side_means_uncompressed() {
    // Server off, client on: no answer, plain frames.
    let server = echo_server(local()).await;
    let (mut ws, response) = within(connect_with(&url(&server, "/"), compressing()))
        .await
        .unwrap();
    assert!(ws.handshake().deflate().is_none());
    assert!(!response.headers().contains_key("sec-websocket-extensions"));
    within(ws.send_text(&json(1))).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text(json(1))
    );
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
    // Server on, client off: no offer, so nothing agreed.
    let server = echo_server(local().compression(Some(DeflateConfig::default()))).await;
    let (mut ws, _) = within(connect_with(&url(&server, "/"), ClientOptions::default()))
        .await
        .unwrap();
    assert!(ws.handshake().deflate().is_none());
    within(ws.send_text(&json(2))).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text(json(2))
    );
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
}
