//! What permessage-deflate costs an idle connection, measured: for each mode, 100
//! connections (our client and our server, both in this process) each exchange one 1 KiB
//! JSON message and then sit idle; the growth of resident memory divided by 100 is the
//! cost of one connection *pair* (a server end plus a client end). Printed as a table;
//! the test checks the order (off < window 12 < window 15) and that the shared mode costs
//! at most 1 KiB per end (2 KiB per pair) more than no compression. Alone in its binary.

mod support;

use rfc6455::{
    ClientOptions, Config, DeflateConfig, DeflateMode, Message, WebSocket, connect_with,
};

use support::memory::resident_bytes;
use support::server::{echo_server, local, url};
use support::within;

const CONNECTIONS: usize = 100;

async fn cost(mode: Option<DeflateConfig>) -> usize {
    let server = echo_server(local().config(Config::default().compression(mode))).await;
    let target = url(&server, "/");
    let options = ClientOptions::default().compression(mode);
    let json = format!(r#"{{"items":[{}]}}"#, r#"{"id":1,"ok":true},"#.repeat(50));
    // Warm up the allocator and the runtime with one connection.
    let (mut ws, _) = within(connect_with(&target, options.clone()))
        .await
        .unwrap();
    within(ws.send_text(&json)).await.unwrap();
    within(ws.recv()).await.unwrap().unwrap();
    let before = resident_bytes();
    let mut open: Vec<WebSocket> = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let (mut ws, _) = within(connect_with(&target, options.clone()))
            .await
            .unwrap();
        assert_eq!(ws.handshake().deflate().is_some(), mode.is_some());
        within(ws.send_text(&json)).await.unwrap();
        assert_eq!(
            within(ws.recv()).await.unwrap().unwrap(),
            Message::text(json.clone())
        );
        open.push(ws);
    }
    let per_pair = resident_bytes().saturating_sub(before) / CONNECTIONS;
    for mut ws in open {
        within(ws.close(1000.into(), "")).await.unwrap();
    }
    within(ws.close(1000.into(), "")).await.unwrap();
    server.stop().await;
    per_pair
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_memory_per_mode() {
    let off = cost(None).await;
    let shared = cost(Some(DeflateConfig::default().mode(DeflateMode::Shared))).await;
    let w15 = cost(Some(DeflateConfig::default())).await;
    let w12 = cost(Some(
        DeflateConfig::default()
            .window_bits(12)
            .peer_window_bits(Some(12)),
    ))
    .await;
    let nct = cost(Some(
        DeflateConfig::default()
            .no_context_takeover(true)
            .peer_no_context_takeover(true),
    ))
    .await;
    println!("| mode | RSS per idle connection pair (server + client) |");
    println!("|---|---|");
    println!("| off | {} KiB |", off / 1024);
    println!(
        "| shared (no context takeover, pooled) | {} KiB |",
        shared / 1024
    );
    println!(
        "| dedicated, window bits 15, context takeover | {} KiB |",
        w15 / 1024
    );
    println!(
        "| dedicated, window bits 12, context takeover | {} KiB |",
        w12 / 1024
    );
    println!(
        "| dedicated, window bits 15, no context takeover | {} KiB |",
        nct / 1024
    );
    assert!(off < w12 && w12 <= w15, "off {off}, w12 {w12}, w15 {w15}");
    assert!(
        shared <= off + 2048,
        "shared {shared} B per pair against {off} B uncompressed"
    );
}
