//! Loopback: the server side — handshake information, the handshake hook (headers,
//! refusals, state, subprotocols), plain-HTTP and invalid-upgrade answers, `stop`, and
//! `upgrade()` inside an application's own hyper server.

mod support;

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rfc6455::{
    ClientOptions, CloseCode, Config, ErrorKind, HandshakeError, HandshakeInfo, Message, Rejection,
    Transport, connect, connect_with, serve_with_hook,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use support::data::pattern;
use support::http::{
    Response as Answer, exchange, header_value, read_head, upgrade_request, with_header,
};
use support::raw::{OP_BINARY, OP_TEXT, RawPeer, b0, encode_frame};
use support::server::{echo_server, local, serve_one, url};
use support::within;

/// Send a raw `request` to `addr` and read the answer, which must give its length.
async fn http_answer(addr: std::net::SocketAddr, request: &str) -> Answer {
    let (_, answer) = exchange(addr, request).await;
    assert!(
        answer.header("content-length").is_some(),
        "no content-length: {answer:?}"
    );
    answer
}

// ------------------------------------------------------------------ handshake information

#[tokio::test]
async fn handshake_info_on_server_and_client() {
    let (tx, rx) = oneshot::channel::<HandshakeInfo>();
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let _ = tx.send(ws.handshake().clone());
        while ws.recv().await.is_some() {}
    })
    .await;
    let port = server.local_addr().port();
    let options = ClientOptions::default().header(
        HeaderName::from_static("x-test"),
        HeaderValue::from_static("yes"),
    );
    let (ws, response) = within(connect_with(&url(&server, "/chat/room?x=1&y=two"), options))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);

    let info = within(rx).await.unwrap();
    assert_eq!(info.request_line(), "GET /chat/room?x=1&y=two HTTP/1.1");
    assert_eq!(info.request_target(), "/chat/room?x=1&y=two");
    assert_eq!(info.path(), "/chat/room");
    assert_eq!(info.query(), Some("x=1&y=two"));
    assert_eq!(info.headers()["x-test"], "yes");
    assert_eq!(info.headers()["sec-websocket-version"], "13");
    assert_eq!(info.host_and_port(), Some(("127.0.0.1", Some(port))));
    assert_eq!(info.local_addr(), Some(server.local_addr()));
    // The server's peer is the client's local address, and the other way round.
    let client_info = ws.handshake();
    assert_eq!(info.peer_addr(), client_info.local_addr());
    assert_eq!(client_info.peer_addr(), Some(server.local_addr()));
    assert!(info.peer_addr().unwrap().ip().is_loopback());
    assert!(info.subprotocol().is_none());
    // What the server sent is recorded on both ends (the server rebuilds it from the
    // request: it is the same).
    assert_eq!(info.response_headers(), response.headers());
    assert_eq!(
        client_info.response_headers()["sec-websocket-accept"],
        response.headers()["sec-websocket-accept"]
    );
    // The client's record of its own request.
    assert_eq!(client_info.path(), "/chat/room");
    assert_eq!(client_info.query(), Some("x=1&y=two"));
    assert_eq!(client_info.headers()["x-test"], "yes");
    assert_eq!(ws.role(), rfc6455::Role::Client);
    drop(ws);
    handled.returned().await;
    server.stop().await;
}

// ------------------------------------------------------------------ the hook

#[tokio::test]
async fn hook_adds_response_header_seen_by_client() {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = serve_with_hook(
        local(),
        |hs: &mut rfc6455::Handshake<'_>| {
            hs.headers_mut()
                .insert("x-hook", HeaderValue::from_static("hello"));
            Ok(())
        },
        move |mut ws, ()| {
            let tx = tx.lock().unwrap().take();
            async move {
                if let Some(tx) = tx {
                    let _ = tx.send(ws.handshake().response_headers().clone());
                }
                while ws.recv().await.is_some() {}
            }
        },
    )
    .await
    .unwrap();
    let (mut ws, response) = within(connect(&url(&server, "/"))).await.unwrap();
    assert_eq!(response.headers()["x-hook"], "hello");
    assert_eq!(ws.handshake().response_headers()["x-hook"], "hello");
    let server_side = within(rx).await.unwrap();
    assert_eq!(server_side["x-hook"], "hello");
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn hook_rejection_reaches_client_as_handshake_error() {
    let handled = Arc::new(AtomicUsize::new(0));
    let handled2 = handled.clone();
    let server = serve_with_hook(
        local(),
        |hs: &mut rfc6455::Handshake<'_>| {
            if hs.request().uri().path() == "/private" {
                return Err(
                    Rejection::new(StatusCode::FORBIDDEN, "go away\n").with_header(
                        HeaderName::from_static("x-reason"),
                        HeaderValue::from_static("test"),
                    ),
                );
            }
            Ok(())
        },
        move |ws, ()| {
            handled2.fetch_add(1, Ordering::SeqCst);
            async move { drop(ws) }
        },
    )
    .await
    .unwrap();
    let err = within(connect(&url(&server, "/private")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnexpectedStatus(StatusCode::FORBIDDEN))
    );
    let response = err.response().expect("the 403 answer");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.body().as_ref(), b"go away\n");
    assert_eq!(response.headers()["x-reason"], "test");
    assert_eq!(
        handled.load(Ordering::SeqCst),
        0,
        "handler ran for a refusal"
    );

    // Refusing one path does not affect another.
    let (ws, _) = within(connect(&url(&server, "/public"))).await.unwrap();
    drop(ws);

    // A plain status refusal carries the canonical reason as its body.
    let server2 = serve_with_hook(
        local(),
        |_: &mut rfc6455::Handshake<'_>| Err::<(), _>(StatusCode::UNAUTHORIZED.into()),
        |ws, ()| async move { drop(ws) },
    )
    .await
    .unwrap();
    let err = within(connect(&url(&server2, "/"))).await.unwrap_err();
    let response = err.response().unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.body().as_ref(), b"Unauthorized\n");
    server.stop().await;
    server2.stop().await;
}

#[tokio::test]
async fn hook_state_reaches_handler() {
    let server = serve_with_hook(
        local(),
        |hs: &mut rfc6455::Handshake<'_>| {
            let user = hs
                .request()
                .headers()
                .get("x-user")
                .ok_or(Rejection::from(StatusCode::UNAUTHORIZED))?;
            Ok((
                user.to_str().unwrap().to_owned(),
                hs.request().uri().path().len(),
            ))
        },
        |mut ws, (user, path_len): (String, usize)| async move {
            let _ = ws.send_text(&format!("hello {user} ({path_len})")).await;
            while ws.recv().await.is_some() {}
        },
    )
    .await
    .unwrap();
    let options = ClientOptions::default().header(
        HeaderName::from_static("x-user"),
        HeaderValue::from_static("ada"),
    );
    let (mut ws, _) = within(connect_with(&url(&server, "/abcd"), options))
        .await
        .unwrap();
    let m = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::text("hello ada (5)"));
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();

    // Without the header the hook refuses.
    let err = within(connect(&url(&server, "/"))).await.unwrap_err();
    assert_eq!(err.response().unwrap().status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn hook_accepts_an_offered_subprotocol() {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = serve_with_hook(
        local(),
        |hs: &mut rfc6455::Handshake<'_>| {
            let offered = hs.offered_subprotocols().to_vec();
            let before = hs.subprotocol().map(str::to_owned);
            // Not offered: refused, and nothing changes.
            let not_offered = hs.accept_subprotocol("nope");
            let after_refusal = hs.subprotocol().map(str::to_owned);
            let accepted = hs.accept_subprotocol("chat");
            Ok((
                offered,
                (before, not_offered, after_refusal),
                accepted,
                hs.subprotocol().map(str::to_owned),
            ))
        },
        move |mut ws, state| {
            let tx = tx.lock().unwrap().take();
            async move {
                if let Some(tx) = tx {
                    let _ = tx.send((state, ws.subprotocol().map(str::to_owned)));
                }
                while ws.recv().await.is_some() {}
            }
        },
    )
    .await
    .unwrap();
    let options = ClientOptions::default().subprotocols(["v2.proto", "chat"]);
    let (mut ws, response) = within(connect_with(&url(&server, "/"), options))
        .await
        .unwrap();
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    let ((offered, (before, not_offered, after_refusal), accepted, chosen), server_side) =
        within(rx).await.unwrap();
    assert_eq!(offered, ["v2.proto", "chat"]);
    assert_eq!(before, None);
    assert!(!not_offered);
    assert_eq!(after_refusal, None);
    assert!(accepted);
    assert_eq!(chosen.as_deref(), Some("chat"));
    assert_eq!(server_side.as_deref(), Some("chat"));
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    server.stop().await;
}

/// A client offering subprotocols the server does not pick gets none (and no header).
#[tokio::test]
async fn unpicked_subprotocols_give_none() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let subprotocol = ws.subprotocol().map(str::to_owned);
        while ws.recv().await.is_some() {}
        subprotocol
    })
    .await;
    let options = ClientOptions::default().subprotocols(["x", "y"]);
    let (mut ws, response) = within(connect_with(&url(&server, "/"), options))
        .await
        .unwrap();
    assert_eq!(ws.subprotocol(), None);
    assert!(!response.headers().contains_key("sec-websocket-protocol"));
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    assert_eq!(handled.returned().await, None);
    server.stop().await;
}

// ------------------------------------------------------------------ plain HTTP, bad upgrades

#[tokio::test]
async fn plain_get_gets_426_with_body() {
    let server = echo_server(local()).await;
    let answer = http_answer(
        server.local_addr(),
        "GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(answer.status, 426, "{answer:?}");
    assert!(!answer.body.is_empty());
    assert!(answer.text().contains("WebSocket"), "{answer:?}");
    assert_eq!(answer.header("upgrade"), Some("websocket"));
    // The port still serves WebSockets.
    let (ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    drop(ws);
    server.stop().await;
}

#[tokio::test]
async fn invalid_key_gets_400_with_reason() {
    let server = echo_server(local()).await;
    let addr = server.local_addr();
    let valid = upgrade_request(addr, "/", "");
    let answer = http_answer(
        addr,
        &with_header(&valid, "Sec-WebSocket-Key", "not base64!"),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.text(), format!("{}\n", HandshakeError::InvalidKey));
    // A key of the wrong decoded length is refused too.
    let answer = http_answer(addr, &with_header(&valid, "Sec-WebSocket-Key", "AAAA")).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.text().contains("Sec-WebSocket-Key"));
    server.stop().await;
}

#[tokio::test]
async fn wrong_version_gets_426_with_supported_version() {
    let server = echo_server(local()).await;
    let addr = server.local_addr();
    let answer = http_answer(
        addr,
        &with_header(
            &upgrade_request(addr, "/", ""),
            "Sec-WebSocket-Version",
            "8",
        ),
    )
    .await;
    assert_eq!(answer.status, 426, "{answer:?}");
    assert_eq!(answer.header("sec-websocket-version"), Some("13"));
    assert!(!answer.body.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn post_upgrade_gets_405() {
    let server = echo_server(local()).await;
    let addr = server.local_addr();
    let request = upgrade_request(addr, "/", "").replacen("GET", "POST", 1);
    let answer = http_answer(addr, &request).await;
    assert_eq!(answer.status, 405, "{answer:?}");
    assert_eq!(answer.header("allow"), Some("GET"));
    server.stop().await;
}

#[tokio::test]
async fn other_invalid_upgrades_get_their_status() {
    let hook_runs = Arc::new(AtomicUsize::new(0));
    let runs = hook_runs.clone();
    let server = serve_with_hook(
        local(),
        move |_: &mut rfc6455::Handshake<'_>| {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        },
        |ws, ()| async move { drop(ws) },
    )
    .await
    .unwrap();
    let addr = server.local_addr();
    let valid = upgrade_request(addr, "/", "");
    let cases = [
        // HTTP/1.0 cannot upgrade (§4.2.1 item 1).
        (valid.replacen("HTTP/1.1", "HTTP/1.0", 1), 505),
        // No Host (item 2).
        (valid.replacen(&format!("Host: {addr}\r\n"), "", 1), 400),
        // No `Connection: Upgrade` (item 4).
        (
            valid.replacen("Connection: Upgrade", "Connection: keep-alive", 1),
            400,
        ),
        // No key (item 5).
        (
            valid.replacen(
                &format!("Sec-WebSocket-Key: {}\r\n", support::http::SAMPLE_KEY),
                "",
                1,
            ),
            400,
        ),
    ];
    for (request, status) in cases {
        let answer = http_answer(addr, &request).await;
        assert_eq!(answer.status, status, "{request}\n{answer:?}");
        assert!(!answer.body.is_empty(), "no reason given: {answer:?}");
    }
    assert_eq!(
        hook_runs.load(Ordering::SeqCst),
        0,
        "hook ran for an invalid upgrade"
    );
    server.stop().await;
}

#[tokio::test]
async fn dropping_the_handle_keeps_serving() {
    let server = echo_server(local()).await;
    let ws_url = url(&server, "/");
    drop(server);
    let (mut ws, _) = within(connect(&ws_url)).await.unwrap();
    within(ws.send_text("still here")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("still here")
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
}

/// Frames sent right behind the request (before the 101 arrived) are not lost: hyper's
/// read-ahead reaches the connection.
#[tokio::test]
async fn bytes_sent_with_the_request_are_kept() {
    let server = echo_server(local()).await;
    let mut early = encode_frame(b0(true, OP_TEXT), b"early bird", Some([9, 8, 7, 6]));
    early.extend(encode_frame(
        b0(true, OP_BINARY),
        &[1, 2, 3],
        Some([1, 1, 1, 1]),
    ));
    let (mut peer, _) = within(RawPeer::connect_then(server.local_addr(), "/", &early)).await;
    let f = within(peer.recv()).await.unwrap();
    assert_eq!((f.opcode, &f.payload[..]), (OP_TEXT, &b"early bird"[..]));
    let f = within(peer.recv()).await.unwrap();
    assert_eq!((f.opcode, &f.payload[..]), (OP_BINARY, &[1u8, 2, 3][..]));
    peer.send_close(1000, "").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_at_once() {
    let server = echo_server(local()).await;
    let base = url(&server, "/");
    let clients: Vec<_> = (0..32u64)
        .map(|id| {
            let base = base.clone();
            tokio::spawn(async move {
                let (mut ws, _) = connect(&base).await.unwrap();
                for j in 0..20u64 {
                    let data = pattern(id * 100 + j, 100 + (j as usize) * 37);
                    ws.send_binary(&data).await.unwrap();
                    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::binary(data));
                }
                ws.close(CloseCode::NORMAL, "").await.unwrap();
            })
        })
        .collect();
    for c in clients {
        within(c).await.unwrap();
    }
    server.stop().await;
}

// ------------------------------------------------------------------ stop

/// `stop` sends 1001 on an open connection and waits for the closing handshake (not for
/// its timeouts, which are set far beyond the test's bound).
#[tokio::test]
async fn stop_closes_open_connections_with_1001() {
    let options = local()
        .stop_timeout(Duration::from_secs(60))
        .config(Config::default().close_timeout(Duration::from_secs(60)));
    let server = echo_server(options).await;
    assert_eq!(server.connection_count(), 0);
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.send_text("hi")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("hi")
    );
    assert!(server.connection_count() >= 1);
    let client = tokio::spawn(async move {
        let end = ws.recv().await;
        (
            end.is_none(),
            ws.peer_close_code(),
            ws.peer_close_reason().to_owned(),
        )
    });
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("stop waited for a timeout instead of the closing handshake");
    let (none, code, reason) = within(client).await.unwrap();
    assert!(none);
    assert_eq!(code, Some(CloseCode::GOING_AWAY));
    assert!(!reason.is_empty());
}

#[tokio::test]
async fn stop_closes_the_port() {
    let server = echo_server(local()).await;
    let addr = server.local_addr();
    let ws_url = url(&server, "/");
    let (ws, _) = within(connect(&ws_url)).await.unwrap();
    drop(ws);
    within(server.stop()).await;
    let refused = within(TcpStream::connect(addr)).await;
    assert!(refused.is_err(), "still accepting after stop");
    let err = within(connect(&ws_url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
}

/// A handler that ignores its connection (never calls `recv`) cannot hold `stop` past
/// the stop timeout: it is ended, and its client sees the connection drop.
#[tokio::test]
async fn stop_returns_within_stop_timeout_when_handler_ignores_connection() {
    let (dropped_tx, dropped_rx) = oneshot::channel::<()>();
    let (running_tx, running_rx) = oneshot::channel();
    // The handler never returns: `stop` ends it (which `dropped_rx` shows).
    let (server, _never_returns) = serve_one(
        local().stop_timeout(Duration::from_millis(300)),
        |ws| async move {
            let _guard = dropped_tx;
            let _ws = ws;
            let _ = running_tx.send(());
            std::future::pending::<()>().await;
        },
    )
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(running_rx).await.unwrap();
    let started = tokio::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop did not respect its timeout");
    assert!(started.elapsed() >= Duration::from_millis(250));
    // The handler task was ended (its state dropped) ...
    assert!(within(dropped_rx).await.is_err());
    // ... and with it the connection, without a closing handshake.
    let err = within(ws.recv()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Abnormal);
}

#[tokio::test]
async fn stop_without_connections_is_prompt() {
    let server = echo_server(local().stop_timeout(Duration::from_secs(60))).await;
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop waited with nothing to wait for");
}

// ------------------------------------------------------------------ upgrade() in hyper

/// A TCP stream hyper cannot downcast to `TcpStream`, so the upgraded connection takes
/// the `Transport::Upgraded` path.
struct Wrapped(TcpStream);

impl AsyncRead for Wrapped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Wrapped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The application's own hyper server: `/ws` upgrades (echo, subprotocol "chat"),
/// anything else is a plain page. Reports for each WebSocket whether it runs on plain TCP
/// (or why the upgrade failed).
async fn hyper_app(
    wrap: bool,
) -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<Result<bool, String>>,
) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (kind_tx, kind_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let kind_tx = kind_tx.clone();
            let service = service_fn(move |mut req: Request<Incoming>| {
                let kind_tx = kind_tx.clone();
                async move {
                    if req.uri().path() != "/ws" {
                        return Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
                            "plain page",
                        ))));
                    }
                    match rfc6455::upgrade(&mut req, Config::default(), &["chat"]) {
                        Ok((response, upgrading)) => {
                            tokio::spawn(async move {
                                let mut ws = match upgrading.await {
                                    Ok(ws) => ws,
                                    Err(e) => {
                                        let _ = kind_tx.send(Err(e.to_string()));
                                        return;
                                    }
                                };
                                let plain = matches!(ws.get_ref(), Transport::Tcp(_));
                                let _ = kind_tx.send(Ok(plain));
                                while let Some(Ok(m)) = ws.recv().await {
                                    if ws.send(m).await.is_err() {
                                        break;
                                    }
                                }
                            });
                            Ok(response.map(|_| Full::new(Bytes::new())))
                        }
                        Err(e) => {
                            let mut response = Response::new(Full::new(Bytes::from(e.to_string())));
                            *response.status_mut() = e.status();
                            Ok(response)
                        }
                    }
                }
            });
            tokio::spawn(async move {
                let builder = http1::Builder::new();
                let _ = if wrap {
                    builder
                        .serve_connection(TokioIo::new(Wrapped(tcp)), service)
                        .with_upgrades()
                        .await
                } else {
                    builder
                        .serve_connection(TokioIo::new(tcp), service)
                        .with_upgrades()
                        .await
                };
            });
        }
    });
    (format!("ws://{addr}"), kind_rx)
}

#[tokio::test]
async fn upgrade_inside_own_hyper_server() {
    let (base, mut kinds) = hyper_app(false).await;
    let options = ClientOptions::default().subprotocols(["chat"]);
    let (mut ws, response) = within(connect_with(&format!("{base}/ws"), options))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(ws.subprotocol(), Some("chat"));
    let plain = within(kinds.recv()).await.unwrap().expect("the upgrade");
    assert!(plain, "expected plain TCP");
    for size in [0, 10, 70_000] {
        let data = pattern(size as u64, size);
        within(ws.send_binary(&data)).await.unwrap();
        assert_eq!(
            within(ws.recv()).await.unwrap().unwrap(),
            Message::binary(data)
        );
    }
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));

    // The same port serves plain HTTP, and refuses a bad upgrade with the right status.
    let addr = base.trim_start_matches("ws://").parse().unwrap();
    let page = http_answer(
        addr,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((page.status, page.text().as_str()), (200, "plain page"));
    let bad = http_answer(
        addr,
        &with_header(
            &upgrade_request(addr, "/ws", ""),
            "Sec-WebSocket-Version",
            "7",
        ),
    )
    .await;
    assert_eq!(bad.status, 426);
}

/// Over a transport hyper cannot downcast, with frames sent right behind the request.
#[tokio::test]
async fn upgrade_over_wrapped_transport_keeps_early_bytes() {
    let (base, mut kinds) = hyper_app(true).await;
    let addr = base.trim_start_matches("ws://").parse().unwrap();
    let early = encode_frame(b0(true, OP_TEXT), b"early", Some([5, 6, 7, 8]));
    let (mut peer, _) = within(RawPeer::connect_then(addr, "/ws", &early)).await;
    assert!(
        !within(kinds.recv()).await.unwrap().expect("the upgrade"),
        "expected Transport::Upgraded"
    );
    let f = within(peer.recv()).await.unwrap();
    assert_eq!((f.opcode, &f.payload[..]), (OP_TEXT, &b"early"[..]));
    peer.send(true, OP_BINARY, &pattern(1, 300)).await;
    let f = within(peer.recv()).await.unwrap();
    assert_eq!((f.opcode, f.payload), (OP_BINARY, pattern(1, 300)));
    peer.send_close(1000, "").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    within(peer.expect_eof()).await;

    // Our client too.
    let (mut ws, _) = within(connect(&format!("{base}/ws"))).await.unwrap();
    within(ws.send_text("wrapped")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("wrapped")
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
}

// ------------------------------------------------------------------ listener options

#[tokio::test]
async fn port_in_use_is_a_bind_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = rfc6455::serve(local().port(port), |ws| async move { drop(ws) })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[tokio::test]
async fn ipv6_loopback_server_and_client() {
    let options = rfc6455::ServerOptions::default().listen_addr("::1".parse().unwrap());
    let (tx, rx) = oneshot::channel();
    let Ok(server) = rfc6455::serve(options, {
        let tx = std::sync::Mutex::new(Some(tx));
        move |mut ws| {
            let tx = tx.lock().unwrap().take();
            async move {
                if let Some(tx) = tx {
                    let info = ws.handshake();
                    let _ = tx.send((
                        info.host_and_port().map(|(h, p)| (h.to_owned(), p)),
                        info.peer_addr(),
                    ));
                }
                while let Some(Ok(m)) = ws.recv().await {
                    let _ = ws.send(m).await;
                }
            }
        }
    })
    .await
    else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let port = server.local_addr().port();
    let (mut ws, _) = within(connect(&format!("ws://[::1]:{port}/six")))
        .await
        .unwrap();
    within(ws.send_text("over v6")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("over v6")
    );
    let (host, peer) = within(rx).await.unwrap();
    assert_eq!(host, Some(("::1".to_owned(), Some(port))));
    assert!(peer.unwrap().is_ipv6());
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn oversized_request_head_gets_431() {
    let server = echo_server(local().max_header_size(8 * 1024)).await;
    let addr = server.local_addr();
    let filler = "a".repeat(16 * 1024);
    let request = upgrade_request(addr, "/", &format!("X-Filler: {filler}\r\n"));
    let mut io = TcpStream::connect(addr).await.unwrap();
    use tokio::io::AsyncWriteExt;
    // The server may stop reading (and reset) before all of it is written.
    let _ = io.write_all(request.as_bytes()).await;
    let head = within(read_head(&mut io)).await;
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    server.stop().await;
}

/// A connection that never completes its request head is dropped after the handshake
/// timeout (slowloris).
#[tokio::test]
async fn silent_connection_is_dropped_after_handshake_timeout() {
    let server = echo_server(local().handshake_timeout(Duration::from_millis(300))).await;
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut partial = TcpStream::connect(server.local_addr()).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    partial
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    for io in [&mut silent, &mut partial] {
        let mut rest = Vec::new();
        // Whatever the server says (perhaps a 408), it then closes the connection.
        let _ = within(io.read_to_end(&mut rest)).await;
    }
    server.stop().await;
}

/// An idle keep-alive HTTP connection (a browser that fetched the plain page) does not
/// hold `stop` for the whole stop timeout.
#[tokio::test]
async fn stop_is_not_held_by_idle_http_keep_alive() {
    let server = echo_server(local().stop_timeout(Duration::from_secs(60))).await;
    let addr = server.local_addr();
    let mut io = TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    io.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let head = within(read_head(&mut io)).await;
    assert!(head.starts_with("HTTP/1.1 426"), "{head}");
    let len: usize = header_value(&head, "content-length")
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0; len];
    within(io.read_exact(&mut body)).await.unwrap();
    // The connection stays open (keep-alive) and idle.
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("stop waited for an idle keep-alive connection");
    let mut rest = Vec::new();
    let _ = within(io.read_to_end(&mut rest)).await;
}
