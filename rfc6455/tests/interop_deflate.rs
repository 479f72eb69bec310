//! permessage-deflate against real peers, both ways round: our client (compression on)
//! against the echo servers of Python `websockets` (its default compression) and Node `ws`
//! (`perMessageDeflate` on, with and without context takeover); and our compressing echo
//! server (dedicated mode, dedicated without context takeover, shared mode) driven by the
//! clients `tests/interop/deflate_client.py` and `deflate_client.mjs` (their default offers
//! and offers without context takeover). Every message goes both ways compressed; sizes as
//! in the interop matrix plus compressible JSON.

mod support;

use std::process::Stdio;
use std::time::Duration;

use rfc6455::{
    ClientOptions, Config, DataKind, DeflateConfig, DeflateMode, Message, WebSocket, connect_with,
};
use tokio::process::Command;

use support::data::{pattern, text_pattern};
use support::peers::{Peer, interop_script, node, python, run_scenario};
use support::server::{echo_server, local};
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

// ------------------------------------------------------ peer clients → our server

/// The server modes the peer clients are run against.
fn dedicated() -> DeflateConfig {
    DeflateConfig::default().threshold(0)
}

fn dedicated_no_takeover() -> DeflateConfig {
    dedicated()
        .no_context_takeover(true)
        .peer_no_context_takeover(true)
}

fn shared() -> DeflateConfig {
    dedicated().mode(DeflateMode::Shared)
}

/// Run `script OFFER` against our echo server compressing with `mode`; returns the
/// extensions the client saw agreed (its `EXTENSIONS` line).
async fn peer_client(program: &str, script: &str, offer: &str, mode: DeflateConfig) -> String {
    let server = echo_server(local().config(Config::default().compression(Some(mode)))).await;
    let url = format!("ws://{}/", server.local_addr());
    let mut command = Command::new(program);
    command.arg(interop_script(script)).arg(&url).arg(offer);
    let stdout = run_scenario(command, script, "deflate", LIMIT).await;
    server.stop().await;
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("EXTENSIONS "))
        .unwrap_or_else(|| panic!("{script}: no EXTENSIONS line in {stdout}"))
        .to_owned()
}

fn python_program() -> String {
    python().to_string_lossy().into_owned()
}

/// Both `no_context_takeover` parameters in the answer, or neither.
fn no_takeover(answer: &str) -> bool {
    let server = answer.contains("server_no_context_takeover");
    let client = answer.contains("client_no_context_takeover");
    assert_eq!(server, client, "one direction only: {answer}");
    server
}

#[tokio::test]
async fn python_client_against_our_dedicated_server() {
    let answer = peer_client(
        &python_program(),
        "deflate_client.py",
        "default",
        dedicated(),
    )
    .await;
    assert!(!no_takeover(&answer), "{answer}");
    let answer = peer_client(
        &python_program(),
        "deflate_client.py",
        "no-context-takeover",
        dedicated(),
    )
    .await;
    assert!(no_takeover(&answer), "{answer}");
    let answer = peer_client(
        &python_program(),
        "deflate_client.py",
        "default",
        dedicated_no_takeover(),
    )
    .await;
    assert!(no_takeover(&answer), "{answer}");
}

#[tokio::test]
async fn python_client_against_our_shared_server() {
    for offer in ["default", "no-context-takeover"] {
        let answer = peer_client(&python_program(), "deflate_client.py", offer, shared()).await;
        assert!(no_takeover(&answer), "{offer}: {answer}");
    }
}

#[tokio::test]
async fn node_client_against_our_dedicated_server() {
    let answer = peer_client(node(), "deflate_client.mjs", "on", dedicated()).await;
    assert!(!no_takeover(&answer), "{answer}");
    let answer = peer_client(
        node(),
        "deflate_client.mjs",
        "no-context-takeover",
        dedicated(),
    )
    .await;
    assert!(no_takeover(&answer), "{answer}");
    let answer = peer_client(node(), "deflate_client.mjs", "on", dedicated_no_takeover()).await;
    assert!(no_takeover(&answer), "{answer}");
}

#[tokio::test]
async fn node_client_against_our_shared_server() {
    for offer in ["on", "no-context-takeover"] {
        let answer = peer_client(node(), "deflate_client.mjs", offer, shared()).await;
        assert!(no_takeover(&answer), "{offer}: {answer}");
    }
}
