//! A 1 GiB message streamed both ways with bounded memory. Alone in its test binary (one
//! test) so that the process's peak resident memory measures this transfer only.

mod support;

use rfc6455::DataKind;
use tokio::io::AsyncReadExt;

use support::data::drain;
use support::memory::peak_resident_bytes;
use support::server::{local, serve_one, url};

const SIZE: u64 = 1 << 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gib_streamed_both_ways_in_bounded_memory() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let mut reader = ws.recv_stream().await.unwrap().unwrap();
        let got = drain(&mut reader, 0x5A).await;
        drop(reader);
        let source = tokio::io::repeat(0xA5).take(SIZE);
        let sent = ws.send_stream(DataKind::Binary, source).await;
        let _ = ws.recv().await;
        (got, sent.map_err(|e| e.to_string()))
    })
    .await;
    let before = peak_resident_bytes();
    let (mut ws, _) = rfc6455::connect(&url(&server, "/")).await.unwrap();
    let sent = ws
        .send_stream(DataKind::Binary, tokio::io::repeat(0x5A).take(SIZE))
        .await
        .unwrap();
    let mut reader = ws.recv_stream().await.unwrap().unwrap();
    let got = drain(&mut reader, 0xA5).await.unwrap();
    drop(reader);
    drop(ws);
    let (server_got, server_sent) = handled.returned().await;
    assert_eq!(
        (sent, got, server_got, server_sent),
        (SIZE, SIZE, Ok(SIZE), Ok(SIZE))
    );
    let growth = peak_resident_bytes().saturating_sub(before);
    println!(
        "1 GiB each way: peak RSS grew by {:.1} MiB (before: {:.1} MiB)",
        growth as f64 / (1 << 20) as f64,
        before as f64 / (1 << 20) as f64
    );
    // The bound: both ends in this process, each holding at most a fragment being built
    // (64 KiB), a read chunk (64 KiB) and the send buffer (128 KiB) — under 1 MiB of
    // buffers — plus allocator slack. 16 MiB is 1/64 of one message.
    assert!(growth < 16 << 20, "peak RSS grew by {growth} bytes");
    server.stop().await;
}
