//! Loopback: the closing handshake (§5.5.1, §7) in both directions, close codes and
//! reasons, refusals of invalid closes, abnormal ends, and the idle and close timeouts.

mod support;

use std::time::Duration;

use rfc6455::{ClientOptions, CloseCode, Config, ErrorKind, Message, SendError, connect};

use support::raw::{OP_CLOSE, OP_TEXT, RawPeer, raw_listener};
use support::server::{echo, echo_server, local, pair, serve_one, url};
use support::within;

/// What a server handler saw when its `recv` ended.
#[derive(Debug, PartialEq)]
struct Ending {
    recv_none: bool,
    code: Option<CloseCode>,
    reason: String,
    closed: bool,
    peer_first: Option<bool>,
}

#[tokio::test]
async fn client_close_code_and_reason_reach_server() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let r = ws.recv().await;
        Ending {
            recv_none: r.is_none(),
            code: ws.peer_close_code(),
            reason: ws.peer_close_reason().to_string(),
            closed: ws.is_closed(),
            peer_first: ws.peer_closed_first(),
        }
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    assert!(!ws.is_closed());
    assert_eq!(ws.peer_close_code(), None);
    within(ws.close(4000.into(), "bye")).await.unwrap();
    assert!(ws.is_closed());
    // The server echoes the code (§5.5.1) without a reason.
    assert_eq!(ws.peer_close_code(), Some(4000.into()));
    assert_eq!(ws.peer_closed_first(), Some(false));
    assert_eq!(
        handled.returned().await,
        Ending {
            recv_none: true,
            code: Some(4000.into()),
            reason: "bye".into(),
            closed: true,
            peer_first: Some(true),
        }
    );
    server.stop().await;
}

#[tokio::test]
async fn server_close_code_and_reason_reach_client() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        ws.send_text("last words").await.unwrap();
        ws.close(4001.into(), "server bye").await.unwrap();
        (ws.is_closed(), ws.peer_close_code(), ws.peer_closed_first())
    })
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    // Data sent before the close frame is still delivered.
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("last words")
    );
    assert!(within(ws.recv()).await.is_none());
    assert!(ws.is_closed());
    assert_eq!(ws.peer_close_code(), Some(4001.into()));
    assert_eq!(ws.peer_close_reason(), "server bye");
    assert_eq!(ws.peer_closed_first(), Some(true));
    // recv keeps returning None.
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(
        handled.returned().await,
        (true, Some(4001.into()), Some(false))
    );
    server.stop().await;
}

/// After the server has closed, the client's close is a no-op and sends fail with Closed.
#[tokio::test]
async fn close_after_close_is_a_no_op_and_send_fails() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.close(CloseCode::NORMAL, "first")).await.unwrap();
    assert!(ws.is_closed());
    within(ws.close(CloseCode::GOING_AWAY, "second"))
        .await
        .unwrap();
    within(ws.close(4999.into(), "third")).await.unwrap();
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
    assert!(within(ws.recv()).await.is_none());
    for err in [
        within(ws.send_text("late")).await.unwrap_err(),
        within(ws.send(Message::binary(vec![1]))).await.unwrap_err(),
        within(ws.ping(b"")).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    }
    server.stop().await;
}

/// Codes that may not be sent and over-long reasons are refused with `ErrorKind::Send`,
/// and the connection stays open.
#[tokio::test]
async fn invalid_close_is_refused_and_connection_stays_open() {
    let server = echo_server(local()).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    for code in [1005u16, 1006, 1015, 0, 999, 1004, 2999, 5000] {
        let err = within(ws.close(code.into(), "")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Send, "code {code}");
        assert_eq!(err.send_error(), Some(&SendError::InvalidCloseCode(code)));
        assert!(!ws.is_closed());
    }
    let err = within(ws.close(CloseCode::NORMAL, &"r".repeat(124)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Send);
    assert_eq!(err.send_error(), Some(&SendError::ControlFrameTooLong));

    within(ws.send_text("still open")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("still open")
    );
    // 123 bytes is the longest reason allowed.
    within(ws.close(3000.into(), &"r".repeat(123)))
        .await
        .unwrap();
    assert_eq!(ws.peer_close_code(), Some(3000.into()));
    server.stop().await;
}

/// A close frame without a status is reported as 1005 and answered with an empty close.
#[tokio::test]
async fn close_without_status_is_reported_as_1005() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let r = ws.recv().await;
        (
            r.is_none(),
            ws.peer_close_code(),
            ws.peer_close_reason().is_empty(),
        )
    })
    .await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    peer.send(true, OP_CLOSE, &[]).await;
    let reply = within(peer.recv()).await.unwrap();
    assert_eq!((reply.opcode, reply.payload.len()), (OP_CLOSE, 0));
    within(peer.expect_eof()).await;
    assert_eq!(
        handled.returned().await,
        (true, Some(CloseCode::NO_STATUS), true)
    );
    server.stop().await;
}

/// A raw client closing with a code: the server answers with the same code, then closes
/// TCP first (§7.1.1).
#[tokio::test]
async fn server_echoes_close_code_then_closes_tcp() {
    let server = echo_server(local()).await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    peer.send_close(3123, "raw bye").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(3123));
    within(peer.expect_eof()).await;
    server.stop().await;
}

/// The peer vanishing without a close frame is an abnormal closure: one `Err` of kind
/// `Abnormal`, then `None`, and the close code reads 1006.
#[tokio::test]
async fn tcp_drop_without_close_is_abnormal() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let first = ws.recv().await.unwrap().unwrap();
        let err = ws.recv().await.unwrap().unwrap_err();
        let then = ws.recv().await;
        (
            first,
            err.kind(),
            err.local_close_code(),
            then.is_none(),
            ws.peer_close_code(),
        )
    })
    .await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    peer.send(true, OP_TEXT, b"hello").await;
    drop(peer);
    assert_eq!(
        handled.returned().await,
        (
            Message::text("hello"),
            ErrorKind::Abnormal,
            Some(CloseCode::ABNORMAL),
            true,
            Some(CloseCode::ABNORMAL)
        )
    );
    server.stop().await;
}

/// The same on the client: the server's handler returns without closing, the client
/// sees an abnormal end.
#[tokio::test]
async fn server_dropping_connection_is_abnormal_for_client() {
    let (server, handled) = serve_one(local(), |ws| async move { drop(ws) }).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let err = within(ws.recv()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Abnormal);
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::ABNORMAL));
    assert!(ws.is_closed());
    handled.returned().await;
    server.stop().await;
}

/// A peer that never answers our close: `close` gives up after the close timeout.
#[tokio::test]
async fn close_gives_up_after_close_timeout() {
    let (listener, ws_url) = raw_listener("/").await;
    let options = ClientOptions::default()
        .config(Config::default().close_timeout(Duration::from_millis(300)));
    let client = tokio::spawn(async move { rfc6455::connect_with(&ws_url, options).await });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let (mut ws, _) = within(client).await.unwrap().unwrap();
    let started = tokio::time::Instant::now();
    // Bounded well below the default 5 s close timeout, so the configured one is in force.
    tokio::time::timeout(
        Duration::from_secs(4),
        ws.close(CloseCode::NORMAL, "hello?"),
    )
    .await
    .expect("close did not give up")
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(ws.is_closed());
    // The close frame did go out.
    assert_eq!(
        within(peer.expect_close()).await,
        (Some(1000), "hello?".into())
    );
}

/// After sending our close, data still arriving from the peer is discarded (§1.4), and
/// the close completes when the peer's close arrives.
#[tokio::test]
async fn data_after_our_close_is_discarded() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move { connect(&ws_url).await.unwrap().0 });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let mut ws = within(client).await.unwrap();
    let closing = tokio::spawn(async move {
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        ws
    });
    assert_eq!(within(peer.expect_close()).await.0, Some(1000));
    peer.send(true, OP_TEXT, b"too late").await;
    peer.send_close(1000, "").await;
    drop(peer);
    let mut ws = within(closing).await.unwrap();
    assert!(ws.is_closed());
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

// ------------------------------------------------------------------ idle timeout

/// A server with a short idle timeout closes a silent client with 1001; the client sees a
/// clean close with that code, the server handler an `IdleTimeout` error.
#[tokio::test]
async fn idle_timeout_closes_silent_client_with_1001() {
    let (server, handled) = serve_one(
        local().idle_timeout(Some(Duration::from_millis(300))),
        |mut ws| async move {
            let r = ws.recv().await;
            let r = r.map(|r| r.map_err(|e| (e.kind(), e.local_close_code())));
            (r, ws.recv().await.is_none())
        },
    )
    .await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    let started = tokio::time::Instant::now();
    assert!(within(ws.recv()).await.is_none());
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    assert!(ws.is_closed());
    let (first, then_none) = handled.returned().await;
    assert_eq!(
        first,
        Some(Err((ErrorKind::IdleTimeout, Some(CloseCode::GOING_AWAY))))
    );
    assert!(then_none);
    server.stop().await;
}

/// Traffic from the client keeps the connection alive past the idle timeout. In memory and
/// on paused time, so that a slow machine cannot make a 100 ms gap look like 800 ms of
/// silence (that the server option reaches served connections is shown above).
#[tokio::test(start_paused = true)]
async fn idle_timeout_is_reset_by_traffic() {
    let idle = Config::default().idle_timeout(Some(Duration::from_millis(800)));
    let (mut ws, server) = pair(64 * 1024, Config::default(), idle);
    let server = tokio::spawn(echo(server));
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut n = 0;
    // Keep going for well over two idle periods.
    while started.elapsed() < Duration::from_millis(2000) {
        tick.tick().await;
        within(ws.send_text(&format!("keepalive {n}")))
            .await
            .unwrap();
        let m = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(m.as_text(), Some(format!("keepalive {n}").as_str()));
        n += 1;
    }
    assert!(!ws.is_closed());
    // Then silence: the server closes with 1001, 800 ms after the last message.
    let silent = tokio::time::Instant::now();
    assert!(within(ws.recv()).await.is_none());
    assert!(silent.elapsed() >= Duration::from_millis(800));
    assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    within(server).await.unwrap();
}

/// The client's own idle timeout: a silent server gets a (masked) close 1001 and the
/// client's `recv` reports `IdleTimeout`.
#[tokio::test]
async fn client_idle_timeout_closes_with_1001() {
    let (listener, ws_url) = raw_listener("/").await;
    let options = ClientOptions::default()
        .config(Config::default().idle_timeout(Some(Duration::from_millis(300))));
    let client = tokio::spawn(async move {
        let (mut ws, _) = rfc6455::connect_with(&ws_url, options).await.unwrap();
        let err = ws.recv().await.unwrap().unwrap_err();
        (
            err.kind(),
            err.local_close_code(),
            ws.recv().await.is_none(),
        )
    });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    let (code, _) = within(peer.expect_close()).await;
    assert_eq!(code, Some(1001));
    // The client failed the connection itself: it closes TCP without waiting for a reply.
    within(peer.expect_eof()).await;
    assert_eq!(
        within(client).await.unwrap(),
        (ErrorKind::IdleTimeout, Some(CloseCode::GOING_AWAY), true)
    );
}
