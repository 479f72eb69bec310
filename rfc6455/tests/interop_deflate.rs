//! permessage-deflate against real peers: our client (compression on) and the echo servers
//! of Python `websockets` (its default compression) and Node `ws` (`perMessageDeflate` on,
//! with and without context takeover). Every message goes both ways compressed: ours to
//! the peer, its echo back; sizes as in the interop matrix plus compressible JSON.

mod support;

use std::process::Stdio;
use std::time::Duration;

use rfc6455::{ClientOptions, DataKind, DeflateConfig, Message, WebSocket, connect_with};
use tokio::process::Command;

use support::data::{pattern, text_pattern};
use support::peers::{Peer, interop_script, node};
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

fn json(i: usize) -> String {
    format!(r#"{{"id":{i},"name":"item {i}","tags":["red","green","blue"],"in_stock":true}}"#)
}

async fn connect(peer: &Peer) -> WebSocket {
    let options = ClientOptions::default().compression(Some(DeflateConfig::default()));
    let (ws, _) = within(connect_with(&peer.url(), options))
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", peer.name));
    ws
}

async fn round_trips(ws: &mut WebSocket, what: &str) {
    for (i, size) in [0usize, 1, 125, 126, 65_535, 65_536, 1 << 20]
        .into_iter()
        .enumerate()
    {
        let text = text_pattern(i as u64, size);
        within(ws.send_text(&text)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert!(echo.as_bytes() == text.as_bytes(), "{what}: text of {size}");
        let data = pattern(i as u64, size);
        within(ws.send_binary(&data)).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo.kind(), DataKind::Binary, "{what}");
        assert!(echo.as_bytes() == &data[..], "{what}: binary of {size}");
    }
    for i in 0..200 {
        within(ws.send_text(&json(i))).await.unwrap();
        let echo = within(ws.recv()).await.unwrap().unwrap();
        assert_eq!(echo, Message::text(json(i)), "{what}: json {i}");
    }
    let big = json(7).repeat(20_000);
    within(ws.send_text(&big)).await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert!(echo.as_bytes() == big.as_bytes(), "{what}: large JSON");
}

#[tokio::test]
async fn python_websockets_default_compression() {
    let mut peer = Peer::python_echo_server(LIMIT).await;
    let mut ws = connect(&peer).await;
    let agreed = ws
        .handshake()
        .deflate()
        .copied()
        .expect("python agreed deflate");
    // websockets' default: client_max_window_bits answered, context takeover kept.
    assert!(!agreed.server_no_context_takeover);
    round_trips(&mut ws, "python").await;
    peer.close_normally(ws).await;
}

async fn node_server(mode: &str) -> Peer {
    let mut command = Command::new(node());
    command
        .arg(interop_script("ws_echo_server.mjs"))
        .args(["--port", "0", "--deflate", mode])
        .stdin(Stdio::piped());
    Peer::listening(
        format!("ws_echo_server.mjs --deflate {mode}"),
        command,
        LIMIT,
    )
    .await
}

#[tokio::test]
async fn node_ws_per_message_deflate_with_context_takeover() {
    let mut peer = node_server("on").await;
    let mut ws = connect(&peer).await;
    let agreed = ws
        .handshake()
        .deflate()
        .copied()
        .expect("ws agreed deflate");
    assert!(!agreed.server_no_context_takeover && !agreed.client_no_context_takeover);
    round_trips(&mut ws, "node ws").await;
    peer.close_normally(ws).await;
}

#[tokio::test]
async fn node_ws_per_message_deflate_without_context_takeover() {
    let mut peer = node_server("no-context-takeover").await;
    let mut ws = connect(&peer).await;
    let agreed = ws
        .handshake()
        .deflate()
        .copied()
        .expect("ws agreed deflate");
    assert!(agreed.server_no_context_takeover && agreed.client_no_context_takeover);
    round_trips(&mut ws, "node ws, no context takeover").await;
    peer.close_normally(ws).await;
}
