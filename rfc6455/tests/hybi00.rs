//! hybi-00 (draft-76) end to end: our hybi-00 client against our server, on the same port as
//! RFC 6455, in both framing modes, through `serve` and through the service mapper.

use std::time::Duration;

use rfc6455::proto::hybi00::FramingMode;
use rfc6455::{
    ClientOptions, CloseCode, DataKind, ErrorKind, SendError, ServerOptions, ServiceMapper,
    Variant, WebSocket, serve, serve_mapped,
};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

fn local() -> ServerOptions {
    ServerOptions::default()
        .listen_addr([127, 0, 0, 1].into())
        .hybi00(true)
}

async fn echo(mut ws: WebSocket) {
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
}

fn hybi00(mode: FramingMode) -> ClientOptions {
    ClientOptions::default()
        .variant(Variant::Hybi00)
        .hybi00_framing(mode)
}

#[tokio::test]
async fn hybi00_client_and_server_in_both_framing_modes() {
    for mode in [FramingMode::Old, FramingMode::New] {
        let server = serve(local().hybi00_framing(mode), echo).await.unwrap();
        let url = format!("ws://127.0.0.1:{}/chat?x=1", server.local_addr().port());
        let (mut ws, response) = rfc6455::connect_with(&url, hybi00(mode)).await.unwrap();
        assert_eq!(response.status(), 101);
        assert_eq!(
            response.headers()["sec-websocket-location"],
            format!("ws://127.0.0.1:{}/chat?x=1", server.local_addr().port()).as_str()
        );
        assert_eq!(ws.variant(), Variant::Hybi00);
        for text in ["hello", "", "κόσμε", &"x".repeat(100_000)] {
            ws.send_text(text).await.unwrap();
            let reply = timeout(LIMIT, ws.recv()).await.unwrap().unwrap().unwrap();
            assert_eq!(reply.as_text(), Some(text), "{mode:?}");
        }
        timeout(LIMIT, ws.close(CloseCode::NORMAL, ""))
            .await
            .unwrap()
            .unwrap();
        assert!(ws.is_closed());
        server.stop().await;
    }
}

#[tokio::test]
async fn rfc6455_and_hybi00_clients_on_the_same_port_at_once() {
    let server = serve(local(), echo).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let (mut old, _) = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap();
    let (mut new, _) = rfc6455::connect(&url).await.unwrap();
    assert_eq!(new.variant(), Variant::Rfc6455);
    old.send_text("from hybi-00").await.unwrap();
    new.send_text("from RFC 6455").await.unwrap();
    let a = timeout(LIMIT, old.recv()).await.unwrap().unwrap().unwrap();
    let b = timeout(LIMIT, new.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(a.as_text(), Some("from hybi-00"));
    assert_eq!(b.as_text(), Some("from RFC 6455"));
    drop((old, new));
    server.stop().await;
}

#[tokio::test]
async fn hybi00_can_be_turned_off() {
    let server = serve(local().hybi00(false), echo).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let err = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Handshake);
    assert_eq!(err.response().map(|r| r.status().as_u16()), Some(426));
    server.stop().await;
}

#[tokio::test]
async fn subprotocol_selection_through_the_mapper_over_hybi00() {
    let mapper = ServiceMapper::builder()
        .path("/test")
        .subprotocol("subprotocol", |mut ws: WebSocket, _| async move {
            let _ = ws.send_text("This is the subprotocol handler").await;
        })
        .none(|mut ws: WebSocket, _| async move {
            let _ = ws.send_text("no subprotocol").await;
        })
        .build()
        .unwrap();
    let server = serve_mapped(local(), mapper).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/test", server.local_addr().port());
    let options = hybi00(FramingMode::Old).subprotocols(["subprotocol"]);
    let (mut ws, response) = rfc6455::connect_with(&url, options).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "subprotocol");
    assert_eq!(ws.subprotocol(), Some("subprotocol"));
    let msg = timeout(LIMIT, ws.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("This is the subprotocol handler"));
    let (mut ws, _) = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap();
    let msg = timeout(LIMIT, ws.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("no subprotocol"));
    server.stop().await;
}

#[tokio::test]
async fn unsupported_operations_on_hybi00_return_documented_errors() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = serve(local(), move |mut ws| {
        let tx = tx.lock().unwrap().take();
        async move {
            let caps = (
                ws.supports_fragmentation(),
                ws.supports_payload_kind(DataKind::Binary),
                ws.supports_payload_kind(DataKind::Text),
                ws.signals_status_on_close(),
                ws.variant(),
            );
            let binary = ws.send_binary(b"x").await.unwrap_err();
            if let Some(tx) = tx {
                let _ = tx.send((caps, binary.send_error().cloned()));
            }
            echo(ws).await;
        }
    })
    .await
    .unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let (mut ws, _) = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap();
    let (caps, binary) = timeout(LIMIT, rx).await.unwrap().unwrap();
    assert_eq!(caps, (false, false, true, false, Variant::Hybi00));
    assert!(matches!(binary, Some(SendError::Unsupported(_))));
    for err in [
        ws.send_binary(b"x").await.unwrap_err(),
        ws.send_fragment(Some(DataKind::Text), b"a", false)
            .await
            .unwrap_err(),
        ws.ping(b"p").await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Send);
        assert!(
            matches!(err.send_error(), Some(SendError::Unsupported(_))),
            "{err}"
        );
    }
    // The connection is still usable after a refused send.
    ws.send_text("still here").await.unwrap();
    let msg = timeout(LIMIT, ws.recv()).await.unwrap().unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("still here"));
    // Close has no status on hybi-00: the peer's close reads as "no status" (1005).
    ws.close(CloseCode::from(4000), "ignored").await.unwrap();
    assert_eq!(ws.close_code(), Some(CloseCode::NO_STATUS));
    server.stop().await;
}
