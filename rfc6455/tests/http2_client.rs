//! Our client over HTTP/2 (RFC 8441, `ClientOptions::http2`): h2c with prior knowledge and
//! TLS with ALPN, against our server and against hyper's HTTP/2 server running our
//! `MapperService`; one connection shared by the `connect` calls to an origin, up to the
//! server's concurrent-stream limit; the fall back to HTTP/1.1 when the server does not
//! offer HTTP/2, and the error when it was required.

mod support;

use std::io;
use std::net::SocketAddr;

use http::Version;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rfc6455::http2::Http2;
use rfc6455::{
    ClientOptions, CloseCode, DeflateConfig, ErrorKind, Message, ServerOptions, ServiceMapper,
    WebSocket, connect_with, serve,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use support::server::local;
use support::within;

/// An echo server with `options` that reports the HTTP version of each WebSocket.
async fn echo(options: ServerOptions) -> (rfc6455::ServerHandle, mpsc::UnboundedReceiver<Version>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(options, move |ws| {
        let _ = tx.send(ws.handshake().http_version());
        support::server::echo(ws)
    })
    .await
    .expect("bind");
    (server, rx)
}

async fn round_trip(ws: &mut WebSocket, text: &str) {
    ws.send_text(text).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text(text)
    );
}

#[tokio::test]
async fn required_h2c_shares_one_connection_between_connects() {
    let (server, mut seen) = echo(local().h2c(true)).await;
    let url = format!("ws://127.0.0.1:{}/chat", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let mut sockets = Vec::new();
    for i in 0..3 {
        let (mut ws, response) = within(connect_with(&url, options.clone())).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(ws.handshake().http_version(), Version::HTTP_2);
        round_trip(&mut ws, &format!("message {i}")).await;
        assert_eq!(within(seen.recv()).await.unwrap(), Version::HTTP_2);
        sockets.push(ws);
    }
    let local = sockets[0].handshake().local_addr();
    assert!(local.is_some());
    for ws in &sockets {
        assert_eq!(
            ws.handshake().local_addr(),
            local,
            "one TCP connection for all"
        );
    }
    for mut ws in sockets {
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(within(ws.recv()).await.is_none());
        assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
    }
}

#[tokio::test]
async fn prefer_on_ws_urls_stays_http11() {
    let (server, mut seen) = echo(local().h2c(true)).await;
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Prefer);
    let (mut ws, response) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(response.status(), 101);
    round_trip(&mut ws, "h1").await;
    assert_eq!(within(seen.recv()).await.unwrap(), Version::HTTP_11);
}

#[tokio::test]
async fn subprotocols_and_deflate_are_negotiated_over_http2() {
    let mapper = ServiceMapper::builder()
        .path("/chat")
        .subprotocol("chat", |ws, _| support::server::echo(ws))
        .build()
        .unwrap();
    let options = local()
        .h2c(true)
        .compression(Some(DeflateConfig::default()));
    let server = rfc6455::serve_mapped(options, mapper).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/chat", server.local_addr().port());
    let options = ClientOptions::default()
        .http2(Http2::Require)
        .subprotocols(["x", "chat"])
        .compression(Some(DeflateConfig::default()));
    let (mut ws, _) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert!(ws.handshake().deflate().is_some());
    round_trip(&mut ws, &"compressible ".repeat(1000)).await;

    // A refusal keeps its status, as on HTTP/1.1.
    let url = format!("ws://127.0.0.1:{}/elsewhere", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let e = within(connect_with(&url, options)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Handshake);
    assert_eq!(e.response().unwrap().status(), 404);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn prefer_over_tls_picks_h2_by_alpn_and_shares_it() {
    let pki = support::tls::Pki::new();
    let (server, mut seen) = echo(local().tls(pki.server_tls())).await;
    let url = format!("wss://localhost:{}/", server.local_addr().port());
    let options = pki.client().http2(Http2::Prefer);
    let (mut a, _) = within(connect_with(&url, options.clone())).await.unwrap();
    let (mut b, _) = within(connect_with(&url, options)).await.unwrap();
    for ws in [&mut a, &mut b] {
        assert_eq!(ws.handshake().http_version(), Version::HTTP_2);
        assert!(ws.handshake().is_secure());
        round_trip(ws, "over h2").await;
        assert_eq!(within(seen.recv()).await.unwrap(), Version::HTTP_2);
    }
    assert_eq!(a.handshake().local_addr(), b.handshake().local_addr());
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn prefer_falls_back_to_http11_without_h2_in_alpn_and_require_fails() {
    let pki = support::tls::Pki::new();
    let mut config = (**pki.server_tls().config()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tls = rfc6455::tls::ServerTls::from_config(std::sync::Arc::new(config));
    let (server, mut seen) = echo(local().tls(tls)).await;
    let url = format!("wss://localhost:{}/", server.local_addr().port());

    let (mut ws, response) = within(connect_with(&url, pki.client().http2(Http2::Prefer)))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(ws.handshake().http_version(), Version::HTTP_11);
    round_trip(&mut ws, "h1").await;
    assert_eq!(within(seen.recv()).await.unwrap(), Version::HTTP_11);

    let e = within(connect_with(&url, pki.client().http2(Http2::Require)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("http/1.1"), "{e}");
}

/// hyper's HTTP/2 server (h2c, prior knowledge) on 127.0.0.1 serving `mapper` as a
/// `MapperService`, allowing `streams` streams at once; extended CONNECT advertised when
/// `extended` is set. Returns its address and a channel of each accepted connection.
async fn hyper_h2c(
    mapper: ServiceMapper,
    streams: u32,
    extended: bool,
) -> (SocketAddr, mpsc::UnboundedReceiver<SocketAddr>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = mapper.into_service();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, peer)) = listener.accept().await {
            let _ = tx.send(peer);
            let service = service.clone();
            tokio::spawn(async move {
                let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                builder.max_concurrent_streams(streams);
                if extended {
                    builder.enable_connect_protocol();
                }
                let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    (addr, rx)
}

fn echo_mapper() -> ServiceMapper {
    ServiceMapper::builder()
        .path("/echo")
        .no_subprotocol(|ws, _| support::server::echo(ws))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_pool_opens_a_new_connection_at_the_servers_stream_limit() {
    // Our MapperService inside a hyper HTTP/2 server that allows two streams at once.
    let (addr, mut accepted) = hyper_h2c(echo_mapper(), 2, true).await;
    let url = format!("ws://{addr}/echo");
    let options = ClientOptions::default().http2(Http2::Require);
    let mut sockets = Vec::new();
    for i in 0..3 {
        let (mut ws, _) = within(connect_with(&url, options.clone())).await.unwrap();
        round_trip(&mut ws, &format!("{i}")).await;
        sockets.push(ws);
    }
    let first = within(accepted.recv()).await.unwrap();
    let second = within(accepted.recv()).await.unwrap();
    assert_eq!(sockets[0].handshake().local_addr(), Some(first));
    assert_eq!(sockets[1].handshake().local_addr(), Some(first));
    assert_eq!(sockets[2].handshake().local_addr(), Some(second));
    assert!(accepted.try_recv().is_err(), "two connections, no more");

    // A stream closed frees its place: the next connect shares the first connection.
    let mut ws = sockets.remove(0);
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    drop(ws);
    let (mut ws, _) = within(connect_with(&url, options)).await.unwrap();
    round_trip(&mut ws, "again").await;
    assert_eq!(ws.handshake().local_addr(), Some(first));
}

#[tokio::test]
async fn required_http2_without_extended_connect_is_an_error() {
    let (addr, _accepted) = hyper_h2c(echo_mapper(), 100, false).await;
    let url = format!("ws://{addr}/echo");
    let e = within(connect_with(
        &url,
        ClientOptions::default().http2(Http2::Require),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().contains("extended CONNECT"), "{e}");
    let source = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<io::Error>())
        .map(io::Error::kind);
    assert!(
        matches!(source, Some(io::ErrorKind::Unsupported) | None),
        "{source:?}"
    );
}

#[tokio::test]
async fn the_shared_connection_closes_with_its_last_websocket() {
    let (server, _seen) = echo(local().h2c(true)).await;
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let (mut a, _) = within(connect_with(&url, options.clone())).await.unwrap();
    let (mut b, _) = within(connect_with(&url, options.clone())).await.unwrap();
    for mut ws in [a, b] {
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(within(ws.recv()).await.is_none());
    }
    // The server sees the HTTP/2 connection end (its task, and the streams' tasks).
    support::server::no_connection_left(&server).await;
    // A new connect opens a new connection.
    (a, _) = within(connect_with(&url, options.clone())).await.unwrap();
    (b, _) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(a.handshake().local_addr(), b.handshake().local_addr());
    round_trip(&mut a, "a").await;
    round_trip(&mut b, "b").await;
}

/// axum 0.8's WebSocket server (its `ws` and `http2` features: tungstenite's framing on
/// hyper's HTTP/2, extended CONNECT enabled by `axum::serve`) as the server of our client
/// over h2c: it says which HTTP version carried the handshake, picks `chat`, echoes, and
/// closes with 4001 on `bye`.
#[tokio::test]
async fn our_client_against_axums_http2_websocket_server() {
    use axum::extract::ws::{CloseFrame, Message as AxumMessage, WebSocketUpgrade};

    let app = axum::Router::new().route(
        "/ws",
        axum::routing::any(|ws: WebSocketUpgrade, version: Version| async move {
            ws.protocols(["chat"])
                .on_upgrade(move |mut socket| async move {
                    let hello = format!("{version:?}");
                    let _ = socket.send(AxumMessage::Text(hello.into())).await;
                    while let Some(Ok(msg)) = socket.recv().await {
                        if matches!(&msg, AxumMessage::Text(t) if t.as_str() == "bye") {
                            let close = CloseFrame {
                                code: 4001,
                                reason: "axum says bye".into(),
                            };
                            let _ = socket.send(AxumMessage::Close(Some(close))).await;
                            continue;
                        }
                        if matches!(msg, AxumMessage::Close(_)) {
                            break;
                        }
                        if socket.send(msg).await.is_err() {
                            break;
                        }
                    }
                })
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("ws://{addr}/ws");
    let options = ClientOptions::default()
        .http2(Http2::Require)
        .subprotocols(["chat"]);
    let (mut ws, response) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(ws.handshake().http_version(), Version::HTTP_2);
    let hello = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(
        hello.as_text(),
        Some("HTTP/2.0"),
        "axum saw the request as HTTP/2"
    );
    for size in [0usize, 125, 126, 65_536, 1 << 20] {
        let data = support::data::pattern(size as u64, size);
        ws.send_binary(&data).await.unwrap();
        let echoed = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echoed, Message::Binary(data.into()), "{size} bytes");
    }
    ws.send_text("bye").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::from(4001)));
    assert_eq!(ws.peer_close_reason(), "axum says bye");
}

#[tokio::test]
async fn http2_max_streams_bounds_each_connection_of_our_server() {
    let (server, _seen) = echo(local().h2c(true).http2_max_streams(2)).await;
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let mut sockets = Vec::new();
    for i in 0..3 {
        let (mut ws, _) = within(connect_with(&url, options.clone())).await.unwrap();
        round_trip(&mut ws, &format!("{i}")).await;
        sockets.push(ws);
    }
    let local = |i: usize| sockets[i].handshake().local_addr();
    assert_eq!(local(0), local(1));
    assert_ne!(
        local(1),
        local(2),
        "the third stream on a connection of its own"
    );
}

/// Many small messages in flight on many streams at once: each under 256 bytes is a DATA
/// frame that h2 counts against its guard for floods of tiny frames, which closes the
/// whole connection (GOAWAY `ENHANCE_YOUR_CALM`) when too many are unread. Both ends
/// size their connection windows so that ordinary chatter never trips it.
#[tokio::test]
async fn small_messages_on_many_streams_at_once_do_not_trip_the_small_frame_guard() {
    let (server, _seen) = echo(local().h2c(true)).await;
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let mut sockets = Vec::new();
    for _ in 0..256 {
        sockets.push(within(connect_with(&url, options.clone())).await.unwrap().0);
    }
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                for round in 0..20 {
                    ws.feed(Message::text(format!("{i}:{round}")))
                        .await
                        .unwrap();
                }
                ws.flush().await.unwrap();
                for round in 0..20 {
                    let echoed = within(ws.recv()).await.unwrap().unwrap();
                    assert_eq!(echoed.as_text(), Some(&*format!("{i}:{round}")));
                }
                ws
            })
        })
        .collect();
    let mut sockets = Vec::new();
    for task in tasks {
        sockets.push(within(task).await.unwrap());
    }
    let first = sockets[0].handshake().local_addr();
    assert!(
        sockets
            .iter()
            .all(|ws| ws.handshake().local_addr() == first)
    );
}

/// A redirect answered to an extended CONNECT is followed as on HTTP/1.1, the new
/// WebSocket on the same shared connection.
#[tokio::test]
async fn a_redirect_is_followed_over_http2() {
    let server = rfc6455::serve_with_hook(
        local().h2c(true),
        |hs: &mut rfc6455::Handshake<'_>| {
            if hs.request().uri().path() == "/old" {
                let location = http::HeaderValue::from_static("/new");
                return Err(
                    rfc6455::Rejection::new(http::StatusCode::TEMPORARY_REDIRECT, "")
                        .with_header(http::header::LOCATION, location),
                );
            }
            Ok(())
        },
        |ws, ()| support::server::echo(ws),
    )
    .await
    .unwrap();
    let url = format!("ws://127.0.0.1:{}/old", server.local_addr().port());
    let options = ClientOptions::default().http2(Http2::Require);
    let (mut ws, response) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(ws.handshake().http_version(), Version::HTTP_2);
    assert!(
        ws.handshake().url().unwrap().ends_with("/new"),
        "{:?}",
        ws.handshake().url()
    );
    round_trip(&mut ws, "moved").await;
}
