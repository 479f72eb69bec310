//! hybi-00 (draft-76) end to end: our hybi-00 client against our server, on the same port as
//! RFC 6455, in both framing modes, through `serve` and through the service mapper.

mod support;

use rfc6455::proto::hybi00::FramingMode;
use rfc6455::{
    ClientOptions, CloseCode, DataKind, ErrorKind, SendError, ServerOptions, ServiceMapper,
    Variant, WebSocket, serve, serve_mapped,
};

use support::server::{echo, serve_one};
use support::within;

/// Server options on 127.0.0.1, port 0, with hybi-00 on.
fn local() -> ServerOptions {
    support::server::local().hybi00(true)
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
            let reply = within(ws.recv()).await.unwrap().unwrap();
            assert_eq!(reply.as_text(), Some(text), "{mode:?}");
        }
        within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
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
    let a = within(old.recv()).await.unwrap().unwrap();
    let b = within(new.recv()).await.unwrap().unwrap();
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
        .no_subprotocol(|mut ws: WebSocket, _| async move {
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
    let msg = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("This is the subprotocol handler"));
    let (mut ws, _) = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap();
    let msg = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("no subprotocol"));
    server.stop().await;
}

#[tokio::test]
async fn unsupported_operations_on_hybi00_return_documented_errors() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let caps = (
            ws.supports_fragmentation(),
            ws.supports_payload_kind(DataKind::Binary),
            ws.supports_payload_kind(DataKind::Text),
            ws.signals_status_on_close(),
            ws.variant(),
        );
        let binary = ws.send_binary(b"x").await;
        echo(ws).await;
        (caps, binary.map_err(|e| e.send_error().cloned()))
    })
    .await;
    let url = format!("ws://127.0.0.1:{}/", server.local_addr().port());
    let (mut ws, _) = rfc6455::connect_with(&url, hybi00(FramingMode::Old))
        .await
        .unwrap();
    for err in [
        ws.send_binary(b"x").await.unwrap_err(),
        ws.send_fragment(DataKind::Text, b"a", false)
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
    let msg = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(msg.as_text(), Some("still here"));
    // Close has no status on hybi-00: the peer's close reads as "no status" (1005).
    ws.close(CloseCode::from(4000), "ignored").await.unwrap();
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NO_STATUS));
    // What the server's end said of itself, and of a binary message.
    let (caps, binary) = handled.returned().await;
    assert_eq!(caps, (false, false, true, false, Variant::Hybi00));
    assert!(
        matches!(binary, Err(Some(SendError::Unsupported(_)))),
        "{binary:?}"
    );
    server.stop().await;
}
