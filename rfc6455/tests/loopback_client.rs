//! Loopback: the client side — what its request looks like on the wire, how it reads
//! the answer (101 with bytes behind it, subprotocols, headers), and every way
//! connecting fails (closed port, bad URL, non-101 answers, bad 101s, timeouts).

mod support;

use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode};
use rfc6455::{ClientOptions, ErrorKind, HandshakeError, Message, connect, connect_with};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use support::data::pattern;
use support::http::{SAMPLE_ACCEPT, header_value, read_head};
use support::raw::{OP_BINARY, OP_TEXT, RawPeer, b0, encode_frame, raw_listener};
use support::within;

/// Accept one connection, read its request head, write `answer` (the client may hang up
/// before all of it is written), and keep the socket open until the client hangs up.
async fn answer_once(listener: TcpListener, answer: Vec<u8>) -> String {
    let (mut io, _) = listener.accept().await.unwrap();
    let head = read_head(&mut io).await;
    let _ = io.write_all(&answer).await;
    // Wait for the client to hang up.
    let mut sink = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut io, &mut sink).await;
    head
}

#[tokio::test]
async fn closed_port_is_an_io_error() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = within(connect(&format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_eq!(
        err.io_error().map(std::io::Error::kind),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
}

#[tokio::test]
async fn non_ws_urls_are_invalid() {
    for bad in [
        "http://127.0.0.1:1/",
        "https://127.0.0.1:1/",
        "ftp://127.0.0.1:1/",
        "wss://127.0.0.1:1/#fragment",
        "ws://127.0.0.1:1/#fragment",
        "not a url",
        "",
    ] {
        let err = within(connect(bad)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{bad:?}: {err}");
    }
}

#[tokio::test]
async fn answer_404_is_a_handshake_error_with_status_headers_and_body() {
    let (listener, ws_url) = raw_listener("/missing").await;
    let body = "no such endpoint here\n";
    let answer = format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Why: nope\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = tokio::spawn(answer_once(listener, answer.into_bytes()));
    let err = within(connect(&ws_url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnexpectedStatus(StatusCode::NOT_FOUND))
    );
    let response = err.response().unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-why"], "nope");
    assert_eq!(response.body().as_ref(), body.as_bytes());
    let head = within(server).await.unwrap();
    assert!(head.starts_with("GET /missing HTTP/1.1\r\n"), "{head}");
}

/// A long error body is cut to its first bytes (4 KiB), not read whole.
#[tokio::test]
async fn long_error_body_keeps_its_first_bytes() {
    let (listener, ws_url) = raw_listener("/").await;
    let body = pattern(5, 100_000);
    let mut answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    let server = tokio::spawn(answer_once(listener, answer));
    let err = within(connect(&ws_url)).await.unwrap_err();
    let response = err.response().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let got = response.body();
    assert!(
        !got.is_empty() && got.len() <= 4096,
        "{} bytes kept",
        got.len()
    );
    assert_eq!(&got[..], &body[..got.len()]);
    drop(err);
    within(server).await.unwrap();
}

#[tokio::test]
async fn wrong_accept_is_a_handshake_error() {
    let (listener, ws_url) = raw_listener("/").await;
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {SAMPLE_ACCEPT}\r\n\r\n"
    );
    let server = tokio::spawn(answer_once(listener, answer.into_bytes()));
    let err = within(connect(&ws_url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake);
    assert_eq!(err.handshake_error(), Some(&HandshakeError::InvalidAccept));
    within(server).await.unwrap();
}

#[tokio::test]
async fn unrequested_subprotocol_is_a_handshake_error() {
    let (listener, ws_url) = raw_listener("/").await;
    let server = tokio::spawn(async move {
        let (peer, _) = RawPeer::accept(&listener, &["Sec-WebSocket-Protocol: zzz"], &[]).await;
        let mut peer = peer;
        peer.expect_eof().await;
    });
    let options = ClientOptions::default().subprotocols(["a", "b"]);
    let err = within(connect_with(&ws_url, options)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake);
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnrequestedSubprotocol("zzz".into()))
    );
    within(server).await.unwrap();
}

#[tokio::test]
async fn silent_server_hits_the_handshake_timeout() {
    let (listener, ws_url) = raw_listener("/").await;
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (_io, _) = listener.accept().await.unwrap();
        // Hold the connection open, answering nothing.
        let _ = release_rx.await;
    });
    let options = ClientOptions::default().handshake_timeout(Duration::from_millis(200));
    let err = within(connect_with(&ws_url, options)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    release_tx.send(()).unwrap();
    within(server).await.unwrap();
}

#[tokio::test]
async fn eof_during_handshake_is_an_io_error() {
    let (listener, ws_url) = raw_listener("/").await;
    let server = tokio::spawn(async move {
        let (mut io, _) = listener.accept().await.unwrap();
        let _ = read_head(&mut io).await;
        // Half an answer, then hang up.
        io.write_all(b"HTTP/1.1 101 Switching").await.unwrap();
    });
    let err = within(connect(&ws_url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    within(server).await.unwrap();
}

/// The request on the wire (§4.1), and a 101 with a subprotocol, an extra header and a
/// first frame in the same write: all three reach the program.
#[tokio::test]
async fn request_on_the_wire_and_answer_with_frame_behind_it() {
    let (listener, ws_url) = raw_listener("/p/q?a=b").await;
    let port = listener.local_addr().unwrap().port();
    let first = encode_frame(b0(true, OP_TEXT), b"welcome", None);
    let server = tokio::spawn(async move {
        let (mut peer, head) = RawPeer::accept(
            &listener,
            &["Sec-WebSocket-Protocol: two", "X-Server: raw"],
            &first,
        )
        .await;
        // Echo one message back, then close.
        let f = peer.recv().await.unwrap();
        peer.send(true, f.opcode, &f.payload).await;
        peer.send_close(1000, "").await;
        let close = peer.expect_close().await;
        (head, f, close)
    });
    let options = ClientOptions::default()
        .subprotocols(["one", "two"])
        .header(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Bearer token"),
        );
    let (mut ws, response) = within(connect_with(&ws_url, options)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(response.headers()["x-server"], "raw");
    assert_eq!(ws.subprotocol(), Some("two"));
    assert_eq!(ws.handshake().response_headers()["x-server"], "raw");
    // The frame that came with the 101 is not lost.
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("welcome")
    );
    within(ws.send_binary(b"ping-pong")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::binary(b"ping-pong".to_vec())
    );
    assert!(within(ws.recv()).await.is_none());

    let (head, frame, close) = within(server).await.unwrap();
    assert!(head.starts_with("GET /p/q?a=b HTTP/1.1\r\n"), "{head}");
    assert_eq!(
        header_value(&head, "host").as_deref(),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(header_value(&head, "upgrade").as_deref(), Some("websocket"));
    assert!(
        header_value(&head, "connection")
            .unwrap()
            .to_ascii_lowercase()
            .contains("upgrade")
    );
    assert_eq!(
        header_value(&head, "sec-websocket-version").as_deref(),
        Some("13")
    );
    let key = header_value(&head, "sec-websocket-key").unwrap();
    assert!(key.len() == 24 && key.ends_with("=="), "key {key:?}");
    assert_eq!(
        header_value(&head, "sec-websocket-protocol").as_deref(),
        Some("one, two")
    );
    assert_eq!(
        header_value(&head, "authorization").as_deref(),
        Some("Bearer token")
    );
    assert!(frame.mask.is_some(), "client frames are masked");
    assert_eq!(
        (frame.opcode, frame.payload),
        (OP_BINARY, b"ping-pong".to_vec())
    );
    assert_eq!(close.0, Some(1000));
}

/// Each connection uses a fresh key, and frames use varying masks.
#[tokio::test]
async fn keys_and_masks_vary() {
    let (listener, ws_url) = raw_listener("/").await;
    let server = tokio::spawn(async move {
        let mut keys = Vec::new();
        let mut masks = Vec::new();
        for _ in 0..2 {
            let (mut peer, head) = RawPeer::accept(&listener, &[], &[]).await;
            keys.push(header_value(&head, "sec-websocket-key").unwrap());
            for _ in 0..4 {
                masks.push(peer.recv().await.unwrap().mask.unwrap());
            }
        }
        (keys, masks)
    });
    let mut clients = Vec::new();
    for _ in 0..2 {
        let (mut ws, _) = within(connect(&ws_url)).await.unwrap();
        for i in 0..4 {
            within(ws.send_text(&format!("{i}"))).await.unwrap();
        }
        clients.push(ws);
    }
    let (keys, masks) = within(server).await.unwrap();
    assert_ne!(keys[0], keys[1]);
    let distinct: std::collections::HashSet<_> = masks.iter().collect();
    assert!(distinct.len() >= 7, "masks repeat: {masks:?}");
}
