//! WebSockets over HTTP/2 (RFC 8441) against our server: an independent HTTP/2 client (the
//! `h2` crate) opens each WebSocket as a stream with an extended CONNECT, in cleartext
//! (h2c, prior knowledge) and over TLS (ALPN `h2`); our WebSocket client runs on the
//! stream. Messages of every size, fragments, close codes both ways, subprotocols and
//! permessage-deflate, 100 WebSockets on one connection, a reset stream beside healthy
//! ones, flow control with a slow reader, and the refusals.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{StatusCode, Version};
use rfc6455::{
    CloseCode, DataKind, ErrorKind, Message, ServerHandle, ServerOptions, ServiceMapper, serve,
    serve_mapped,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use support::data::pattern;
use support::h2peer::{connect_request, h2c, open, websocket};
use support::server::local;
use support::within;

/// What the server's handler saw of one WebSocket.
#[derive(Debug)]
struct Seen {
    version: Version,
    secure: bool,
    path: String,
    authority: Option<(String, Option<u16>)>,
}

/// An echo server with `options` that reports each WebSocket before echoing on it.
async fn reporting(options: ServerOptions) -> (ServerHandle, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(options, move |mut ws| {
        let info = ws.handshake();
        let _ = tx.send(Seen {
            version: info.http_version(),
            secure: info.is_secure(),
            path: info.path().to_owned(),
            authority: info
                .host_and_port()
                .map(|(host, port)| (host.to_owned(), port)),
        });
        async move {
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.send(msg).await.is_err() {
                    break;
                }
            }
        }
    })
    .await
    .expect("bind");
    (server, rx)
}

fn addr(server: &ServerHandle) -> SocketAddr {
    server.local_addr()
}

// ------------------------------------------------------------------ messages both ways

const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

/// Every size of the matrix, text and binary, echoed on one stream.
async fn echo_matrix(ws: &mut rfc6455::WebSocket<rfc6455::http2::H2Stream>) {
    for (i, size) in SIZES.into_iter().enumerate() {
        let data = pattern(i as u64, size);
        ws.send_binary(&data).await.unwrap();
        let echoed = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(
            echoed,
            Message::Binary(data.into()),
            "binary of {size} bytes"
        );
        let text = support::data::text_pattern(i as u64, size);
        ws.send_text(&text).await.unwrap();
        let echoed = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echoed.as_text(), Some(&*text), "text of {size} bytes");
    }
}

#[tokio::test]
async fn h2c_echoes_every_size_and_tells_the_handler_it_is_http2() {
    let (server, mut seen) = reporting(local().h2c(true)).await;
    let h2 = h2c(addr(&server)).await;
    let (_, mut ws) = websocket(&h2, addr(&server), "/chat?room=1", &[]).await;
    echo_matrix(&mut ws).await;
    let seen = within(seen.recv()).await.unwrap();
    assert_eq!(seen.version, Version::HTTP_2);
    assert!(!seen.secure);
    assert_eq!(seen.path, "/chat");
    let port = addr(&server).port();
    assert_eq!(seen.authority, Some(("127.0.0.1".to_owned(), Some(port))));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(within(ws.recv()).await.map(|r| r.is_ok()), None);
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_alpn_h2_echoes_every_size() {
    let pki = support::tls::Pki::new();
    let (server, mut seen) = reporting(local().tls(pki.server_tls())).await;
    let h2 = support::h2peer::h2_tls(addr(&server), &pki.ca_pem).await;
    let (_, mut ws) = websocket(&h2, addr(&server), "/", &[]).await;
    echo_matrix(&mut ws).await;
    let seen = within(seen.recv()).await.unwrap();
    assert_eq!(seen.version, Version::HTTP_2);
    assert!(seen.secure);
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_port_still_speaks_http11_to_a_client_that_asks_for_it() {
    let pki = support::tls::Pki::new();
    let (server, mut seen) = reporting(local().tls(pki.server_tls())).await;
    let url = format!("wss://localhost:{}/", addr(&server).port());
    let (mut ws, _) = within(rfc6455::connect_with(&url, pki.client()))
        .await
        .unwrap();
    ws.send_text("over HTTP/1.1").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("over HTTP/1.1")
    );
    assert_eq!(within(seen.recv()).await.unwrap().version, Version::HTTP_11);
}

#[tokio::test]
async fn h2c_server_keeps_serving_http11_upgrades() {
    let (server, mut seen) = reporting(local().h2c(true)).await;
    let url = support::server::url(&server, "/");
    let (mut ws, _) = within(rfc6455::connect(&url)).await.unwrap();
    ws.send_text("hi").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("hi")
    );
    assert_eq!(within(seen.recv()).await.unwrap().version, Version::HTTP_11);
}

#[tokio::test]
async fn fragments_are_reassembled_and_echoed() {
    let (server, _seen) = reporting(local().h2c(true)).await;
    let h2 = h2c(addr(&server)).await;
    let (_, mut ws) = websocket(&h2, addr(&server), "/", &[]).await;
    ws.send_fragment(DataKind::Text, b"frag", false)
        .await
        .unwrap();
    ws.send_continuation(b"men", false).await.unwrap();
    ws.send_continuation(b"ted", true).await.unwrap();
    let echoed = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echoed.as_text(), Some("fragmented"));
}

// ------------------------------------------------------------------------ close codes

#[tokio::test]
async fn close_codes_both_ways_and_close_ends_the_stream() {
    // The client closes: the handler sees its code and reason.
    let (tx, mut codes) = mpsc::unbounded_channel();
    let server = serve(local().h2c(true), move |mut ws| {
        let tx = tx.clone();
        async move {
            if ws.handshake().path() == "/server-closes" {
                let _ = ws.close(CloseCode::from(4001), "server says bye").await;
                while let Some(Ok(_)) = ws.recv().await {}
            } else {
                while let Some(Ok(_)) = ws.recv().await {}
            }
            let _ = tx.send((ws.peer_close_code(), ws.peer_close_reason().to_string()));
        }
    })
    .await
    .unwrap();
    let h2 = h2c(addr(&server)).await;

    let (_, mut ws) = websocket(&h2, addr(&server), "/client-closes", &[]).await;
    ws.close(CloseCode::from(4000), "client says bye")
        .await
        .unwrap();
    assert!(within(ws.recv()).await.is_none());
    let (code, reason) = within(codes.recv()).await.unwrap();
    assert_eq!(code, Some(CloseCode::from(4000)));
    assert_eq!(reason, "client says bye");

    let (_, mut ws) = websocket(&h2, addr(&server), "/server-closes", &[]).await;
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::from(4001)));
    assert_eq!(ws.peer_close_reason(), "server says bye");
    within(codes.recv()).await.unwrap();

    // The server's WebSocket ended its stream: a fresh one on the same connection works.
    let (_, mut ws) = websocket(&h2, addr(&server), "/client-closes", &[]).await;
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
}

// ------------------------------------------------------- subprotocols, deflate, mapper

#[tokio::test]
async fn mapper_routes_by_path_and_subprotocol_on_http2_streams() {
    let mapper = ServiceMapper::builder()
        .path("/chat")
        .subprotocol("chat.v2", |mut ws, _| async move {
            let _ = ws.send_text("v2").await;
            let _ = ws.close(CloseCode::NORMAL, "").await;
            while let Some(Ok(_)) = ws.recv().await {}
        })
        .build()
        .unwrap();
    let server = serve_mapped(local().h2c(true), mapper).await.unwrap();
    let h2 = h2c(addr(&server)).await;

    let (parts, mut ws) = websocket(
        &h2,
        addr(&server),
        "/chat",
        &[("sec-websocket-protocol", "chat.v1, chat.v2")],
    )
    .await;
    assert_eq!(parts.headers["sec-websocket-protocol"], "chat.v2");
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("v2")
    );

    // No common subprotocol, and an unmapped path: the mapper's own refusals.
    let (parts, _) = open(
        &h2,
        connect_request(addr(&server), "/chat", &[("sec-websocket-protocol", "x")]),
    )
    .await;
    assert_eq!(parts.status, StatusCode::BAD_REQUEST);
    let (parts, _) = open(&h2, connect_request(addr(&server), "/nowhere", &[])).await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn permessage_deflate_is_negotiated_on_a_stream() {
    let options = local()
        .h2c(true)
        .compression(Some(rfc6455::DeflateConfig::default()));
    let (tx, mut agreed) = mpsc::unbounded_channel();
    let server = serve(options, move |ws| {
        let _ = tx.send(ws.handshake().deflate().is_some());
        async move { support::server::echo(ws).await }
    })
    .await
    .unwrap();
    let h2 = h2c(addr(&server)).await;
    let (parts, _ws) = websocket(
        &h2,
        addr(&server),
        "/",
        &[("sec-websocket-extensions", "permessage-deflate")],
    )
    .await;
    assert_eq!(
        parts.headers["sec-websocket-extensions"],
        "permessage-deflate"
    );
    assert!(within(agreed.recv()).await.unwrap());
}

// --------------------------------------------------------------- many streams, resets

#[tokio::test]
async fn a_hundred_websockets_share_one_connection() {
    let (server, mut seen) = reporting(local().h2c(true)).await;
    let h2 = h2c(addr(&server)).await;
    let mut tasks = Vec::new();
    for i in 0..100u64 {
        let h2 = h2.clone();
        let addr = addr(&server);
        tasks.push(tokio::spawn(async move {
            let (_, mut ws) = websocket(&h2, addr, &format!("/{i}"), &[]).await;
            for round in 0..10u64 {
                let data = pattern(i * 100 + round, 1000 + i as usize * 10);
                ws.send_binary(&data).await.unwrap();
                let echoed = within(ws.recv()).await.unwrap().unwrap();
                assert_eq!(echoed, Message::Binary(data.into()));
            }
            ws.close(CloseCode::NORMAL, "").await.unwrap();
            assert!(within(ws.recv()).await.is_none());
        }));
    }
    for task in tasks {
        within(task).await.unwrap();
    }
    for _ in 0..100 {
        assert_eq!(within(seen.recv()).await.unwrap().version, Version::HTTP_2);
    }
}

#[tokio::test]
async fn a_reset_stream_ends_its_websocket_only() {
    let (tx, mut ended) = mpsc::unbounded_channel();
    let server = serve(local().h2c(true), move |mut ws| {
        let tx = tx.clone();
        async move {
            loop {
                match ws.recv().await {
                    Some(Ok(msg)) => {
                        if ws.send(msg).await.is_err() {
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        let _ = tx.send((ws.handshake().path().to_owned(), Some(e.kind())));
                        return;
                    }
                    None => break,
                }
            }
            let _ = tx.send((ws.handshake().path().to_owned(), None));
        }
    })
    .await
    .unwrap();
    let h2 = h2c(addr(&server)).await;
    let (_, mut a) = websocket(&h2, addr(&server), "/a", &[]).await;
    let (parts, mut doomed) = open(&h2, connect_request(addr(&server), "/doomed", &[])).await;
    assert_eq!(parts.status, StatusCode::OK);
    let (_, mut b) = websocket(&h2, addr(&server), "/b", &[]).await;
    // A masked text frame "one" (mask key 0) by hand, and its echo.
    doomed
        .write_all(&[0x81, 0x83, 0, 0, 0, 0, b'o', b'n', b'e'])
        .await
        .unwrap();
    let mut echo = [0u8; 5];
    within(doomed.read_exact(&mut echo)).await.unwrap();
    assert_eq!(echo, [0x81, 0x03, b'o', b'n', b'e']);

    // RST_STREAM: the server's WebSocket on that stream ends with an error.
    doomed.reset(h2::Reason::INTERNAL_ERROR);
    let (path, error) = within(ended.recv()).await.unwrap();
    assert_eq!(path, "/doomed");
    assert_eq!(
        error,
        Some(ErrorKind::Io),
        "a reset is an I/O error on that WebSocket"
    );

    // The others go on.
    for ws in [&mut a, &mut b] {
        ws.send_text("still here").await.unwrap();
        assert_eq!(
            within(ws.recv()).await.unwrap().unwrap().as_text(),
            Some("still here")
        );
    }
}

// -------------------------------------------------------------------- flow control

#[tokio::test]
async fn a_slow_reader_holds_the_sender_back_by_flow_control() {
    const MESSAGES: usize = 256;
    const SIZE: usize = 16 * 1024;
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let server = serve(local().h2c(true), move |mut ws| {
        let sent = counter.clone();
        async move {
            for i in 0..MESSAGES {
                if ws.send_binary(&pattern(i as u64, SIZE)).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
            let _ = ws.close(CloseCode::NORMAL, "").await;
            while let Some(Ok(_)) = ws.recv().await {}
        }
    })
    .await
    .unwrap();
    let h2 = h2c(addr(&server)).await;
    let (_, mut ws) = websocket(&h2, addr(&server), "/", &[]).await;

    // Not reading: the stream's window (64 KiB) and a few buffers are all the server can
    // get out; 4 MiB would be through in milliseconds without flow control.
    let quiet = tokio::time::timeout(Duration::from_secs(1), async {
        while sent.load(Ordering::SeqCst) < MESSAGES {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        quiet.is_err(),
        "the server sent everything to a reader that reads nothing"
    );
    let held = sent.load(Ordering::SeqCst);
    assert!(
        held * SIZE < 1 << 20,
        "{held} messages of {SIZE} bytes sent unread"
    );

    // Reading releases the window: everything arrives, in order.
    for i in 0..MESSAGES {
        let msg = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(
            msg,
            Message::Binary(pattern(i as u64, SIZE).into()),
            "message {i}"
        );
    }
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

// ------------------------------------------------------------------------ refusals

#[tokio::test]
async fn refusals_have_the_documented_status() {
    let (server, _seen) = reporting(local().h2c(true)).await;
    let addr = addr(&server);
    let h2 = h2c(addr).await;

    // Another :protocol: 400.
    let mut request = connect_request(addr, "/", &[]);
    request
        .extensions_mut()
        .insert(h2::ext::Protocol::from("connect-udp"));
    assert_eq!(open(&h2, request).await.0.status, StatusCode::BAD_REQUEST);

    // A plain CONNECT (no :protocol): 405, Allow: GET.
    let request = http::Request::connect(addr.to_string())
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap();
    let (parts, _) = open(&h2, request).await;
    assert_eq!(parts.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(parts.headers["allow"], "GET");

    // No version, and a wrong one: 426 with the version this server speaks.
    let mut request = connect_request(addr, "/", &[]);
    request.headers_mut().remove("sec-websocket-version");
    let (parts, _) = open(&h2, request).await;
    assert_eq!(parts.status, StatusCode::UPGRADE_REQUIRED);
    assert_eq!(parts.headers["sec-websocket-version"], "13");
    assert!(
        !parts.headers.contains_key("upgrade"),
        "no Upgrade on HTTP/2"
    );
    let mut request = connect_request(addr, "/", &[]);
    request
        .headers_mut()
        .insert("sec-websocket-version", "8".parse().unwrap());
    assert_eq!(
        open(&h2, request).await.0.status,
        StatusCode::UPGRADE_REQUIRED
    );

    // A plain GET without a fallback service: 426 (no Upgrade header on HTTP/2).
    let request = http::Request::get(format!("http://{addr}/"))
        .body(())
        .unwrap();
    let (parts, _) = open(&h2, request).await;
    assert_eq!(parts.status, StatusCode::UPGRADE_REQUIRED);

    // After all these, the connection still opens WebSockets.
    let (_, mut ws) = websocket(&h2, addr, "/", &[]).await;
    ws.send_text("fine").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("fine")
    );
}

#[tokio::test]
async fn the_fallback_service_answers_http2_requests() {
    use http_body_util::Full;
    let page = hyper::service::service_fn(|req: http::Request<hyper::body::Incoming>| async move {
        let body = format!("{:?} {}", req.version(), req.uri().path());
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(body))))
    });
    let server = support::server::echo_server(local().h2c(true).fallback(page)).await;
    let addr = addr(&server);
    let h2 = h2c(addr).await;
    let request = http::Request::get(format!("http://{addr}/index.html"))
        .body(())
        .unwrap();
    let mut send = within(h2.clone().ready()).await.unwrap();
    let (response, _) = send.send_request(request, true).unwrap();
    let response = within(response).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut text = Vec::new();
    while let Some(chunk) = within(body.data()).await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        text.extend_from_slice(&chunk);
    }
    assert_eq!(text, b"HTTP/2.0 /index.html");
    // And WebSockets on the same connection still reach the handler.
    let (_, mut ws) = websocket(&h2, addr, "/", &[]).await;
    ws.send_text("x").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("x")
    );
}

#[tokio::test]
async fn an_unmasked_frame_fails_that_stream_only_with_1002() {
    let (server, _seen) = reporting(local().h2c(true)).await;
    let addr = addr(&server);
    let h2 = h2c(addr).await;
    let (_, mut healthy) = websocket(&h2, addr, "/", &[]).await;

    // A raw stream: an unmasked text frame "hi" (a client MUST mask, RFC 6455 §5.1).
    let (parts, mut raw) = open(&h2, connect_request(addr, "/", &[])).await;
    assert_eq!(parts.status, StatusCode::OK);
    raw.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    let mut answer = Vec::new();
    within(raw.read_to_end(&mut answer)).await.unwrap();
    // A close frame, unmasked (from the server), code 1002.
    assert_eq!(answer[0], 0x88, "a close frame: {answer:?}");
    assert_eq!(u16::from_be_bytes([answer[2], answer[3]]), 1002);

    healthy.send_text("unaffected").await.unwrap();
    assert_eq!(
        within(healthy.recv()).await.unwrap().unwrap().as_text(),
        Some("unaffected")
    );
}

// ---------------------------------------------------------- the echo-server example

#[tokio::test]
async fn echo_server_example_speaks_h2c_beside_http11() {
    let mut server = support::peers::Peer::example("echo-server", &["--port", "0", "--h2c"]);
    let port = server.localhost_port().await;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let h2 = h2c(addr).await;
    let (_, mut ws) = websocket(&h2, addr, "/any/path", &[]).await;
    ws.send_text("over h2c").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("over h2c")
    );
    let connected = server.line_with("connected").await;
    assert!(connected.contains("over HTTP/2.0: CONNECT"), "{connected}");

    let (mut ws, _) = within(rfc6455::connect(&format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap();
    ws.send_text("over HTTP/1.1").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("over HTTP/1.1")
    );
    let connected = server.line_with("connected").await;
    assert!(
        connected.contains("over HTTP/1.1: GET / HTTP/1.1"),
        "{connected}"
    );
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn echo_server_example_serves_wss_with_h2_and_http11_by_alpn() {
    let pki = support::tls::Pki::new();
    let cert = pki.cert_file();
    let key = pki.key_file();
    let args = [
        "--port",
        "0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let mut server = support::peers::Peer::example("echo-server", &args);
    let line = server.line_with("listening on").await;
    assert!(line.contains("wss://localhost:"), "{line}");
    let port = support::peers::Peer::port_from(&line);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let h2 = support::h2peer::h2_tls(addr, &pki.ca_pem).await;
    let (_, mut ws) = websocket(&h2, addr, "/", &[]).await;
    ws.send_binary(&[1, 2, 3]).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::binary(vec![1, 2, 3])
    );
    assert!(server.line_with("connected").await.contains("HTTP/2.0"));

    let url = format!("wss://localhost:{port}/");
    let (mut ws, _) = within(rfc6455::connect_with(&url, pki.client()))
        .await
        .unwrap();
    ws.send_text("h1").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap().as_text(),
        Some("h1")
    );
    assert!(server.line_with("connected").await.contains("HTTP/1.1"));
}

// ----------------------------------------------------------------------------- stop

#[tokio::test]
async fn stop_closes_the_websockets_of_an_http2_connection_with_1001() {
    let (server, _seen) = reporting(local().h2c(true)).await;
    let h2 = h2c(addr(&server)).await;
    let (_, mut a) = websocket(&h2, addr(&server), "/a", &[]).await;
    let (_, mut b) = websocket(&h2, addr(&server), "/b", &[]).await;
    for ws in [&mut a, &mut b] {
        ws.send_text("before").await.unwrap();
        assert_eq!(
            within(ws.recv()).await.unwrap().unwrap().as_text(),
            Some("before")
        );
    }
    let stopping = tokio::spawn(async move { server.stop().await });
    for ws in [&mut a, &mut b] {
        assert!(within(ws.recv()).await.is_none());
        assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    }
    within(stopping).await.unwrap();
}

/// A client that picks `h2` by ALPN and then sends nothing is held to the handshake
/// timeout, as a first request head is: the server closes the connection.
#[cfg(feature = "tls")]
#[tokio::test]
async fn a_silent_client_after_alpn_h2_is_dropped_at_the_handshake_timeout() {
    let pki = support::tls::Pki::new();
    let options = local()
        .tls(pki.server_tls())
        .handshake_timeout(Duration::from_millis(300));
    let (server, _seen) = reporting(options).await;
    let mut tls = support::h2peer::tls_alpn_h2(addr(&server), &pki.ca_pem).await;
    let started = std::time::Instant::now();
    let mut sink = Vec::new();
    // The server closes (EOF, or a reset): the read ends, within the test's bound.
    let _ = within(tls.read_to_end(&mut sink)).await;
    assert!(sink.is_empty(), "nothing is answered: {sink:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    support::server::no_connection_left(&server).await;
}
