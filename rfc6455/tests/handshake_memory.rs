//! Rejected opening handshakes leave nothing behind: after a thousand bad requests of
//! every kind (those of `handshake_wire.rs`), many at once, the server serves no
//! connection and the process's resident memory has not grown with the count. Alone in
//! its test binary (one test) so that no other test's memory is counted.

mod support;

use std::time::Duration;

use futures_util::future::join_all;

use support::http::{echo_works, exchange, upgrade_request, with_header, without_header};
use support::memory::resident_bytes;
use support::server::{echo_server, local, no_connection_left};

#[tokio::test]
async fn no_task_or_memory_left_behind() {
    let server = echo_server(local().handshake_timeout(Duration::from_millis(300))).await;
    let addr = server.local_addr();
    let base = upgrade_request(addr, "/chat", "");
    let bad: Vec<String> = vec![
        without_header(&base, "Sec-WebSocket-Key"),
        with_header(&base, "Sec-WebSocket-Key", "bad"),
        with_header(&base, "Sec-WebSocket-Version", "8"),
        base.replacen("GET ", "POST ", 1),
        base.replacen("HTTP/1.1", "HTTP/1.0", 1),
        base.replacen("HTTP/1.1", "HTTP/2.0", 1),
        without_header(&base, "Host"),
        with_header(&base, "Connection", "keep-alive"),
        upgrade_request(
            addr,
            "/chat",
            &format!("X-Filler: {}\r\n", "a".repeat(20 * 1024)),
        ),
        base.clone(),
    ];
    let round = |count: usize| {
        let bad = &bad;
        async move {
            // 32 clients at a time, each sending one request and hanging up.
            for chunk in (0..count).collect::<Vec<_>>().chunks(32) {
                join_all(chunk.iter().map(|&i| async move {
                    let (tcp, reply) = exchange(addr, &bad[i % bad.len()]).await;
                    assert!(reply.status >= 101, "{reply:?}");
                    drop(tcp);
                }))
                .await;
            }
        }
    };
    // Warm up the allocator and the runtime, then measure.
    round(200).await;
    no_connection_left(&server).await;
    let before = resident_bytes();
    round(1000).await;
    no_connection_left(&server).await;
    let after = resident_bytes();
    let growth = after.saturating_sub(before);
    eprintln!("resident memory: {before} → {after} bytes over 1000 bad handshakes");
    assert!(
        growth < 4 << 20,
        "resident memory grew by {} KiB over 1000 bad handshakes ({before} → {after} bytes)",
        growth / 1024
    );
    // The server still works.
    let (tcp, reply) = exchange(addr, &base).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    echo_works(tcp).await;
    no_connection_left(&server).await;
    server.stop().await;
}
