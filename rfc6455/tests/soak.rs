//! Soak: thousands of connections held for a minute with echo traffic (one message per
//! connection per second, mixed sizes, a tenth of the clients dropping their connection
//! abruptly every five seconds and reconnecting), against our server in this process.
//! Fails on a message lost or corrupted, on resident memory that keeps growing after
//! warm-up, and on anything left behind (connections, sockets, tasks) once all clients
//! have gone.
//!
//! The clients are the load generator's soak clients (`rfc6455_loadgen::soak`: a
//! hand-written RFC 6455 client that checks every echoed byte as it arrives). Long, so
//! ignored by a plain `cargo test`; CI runs it:
//!
//! ```text
//! cargo test -p rfc6455 --all-features --test soak -- --ignored --nocapture
//! SOAK_SECONDS=120 SOAK_CONNECTIONS=8000 cargo test ...   # longer, same process
//! ```
//!
//! Server and clients share this process's descriptors (two per connection), so the
//! long run — 19 000 connections for ten minutes — runs them in two processes:
//! `scripts/soak.sh` (server: the `autobahn-server` example; clients: `bench`'s `soak`).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{Instant, sleep};

use rfc6455_loadgen::{Target, soak};
use support::fds::open_tcp_sockets;
use support::memory::resident_bytes;
use support::server::{echo, local, no_connection_left};
use support::within;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map_or(default, |v| v.parse().expect(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute long: run by CI (.ci/run) with --ignored"]
async fn soak_holds_connections_with_echo_traffic_and_leaves_nothing_behind() {
    let seconds = setting("SOAK_SECONDS", 60);
    let connections = setting("SOAK_CONNECTIONS", 5000) as usize;
    let wanted = 2 * connections as u64 + 512;
    let limit = rlimit::increase_nofile_limit(wanted).unwrap();
    assert!(
        limit >= wanted,
        "file descriptor limit {limit}, {wanted} needed"
    );

    let server = rfc6455::serve(local().backlog(4096), echo).await.unwrap();
    let port = server.local_addr().port();
    // One connection before counting, ended before the soak: the first connection to wait
    // starts its runtime's timer wheel (`coarse_timer.rs`), a task that lives as long as
    // the runtime. What the soak's connections leave behind is counted from there.
    let (mut ws, _) = within(rfc6455::connect(&format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap();
    ws.send_text("warm-up").await.unwrap();
    assert!(within(ws.recv()).await.is_some(), "the warm-up echo");
    within(ws.close(rfc6455::CloseCode::NORMAL, ""))
        .await
        .unwrap();
    drop(ws);
    no_connection_left(&server).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let sockets_before = open_tcp_sockets();
    let tasks_before = metrics.num_alive_tasks();

    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let failed = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::with_capacity(connections);
    for id in 0..connections {
        let failed = failed.clone();
        clients.push(tokio::spawn(async move {
            // Spread the connecting over the first second.
            sleep(Duration::from_micros((id * 1_000_000 / connections) as u64)).await;
            let report = soak::client(&Target::loopback(port), id, end).await;
            if report.is_err() {
                failed.fetch_add(1, Ordering::Relaxed);
            }
            report
        }));
    }

    // Resident memory every 5 s; warm-up is the first quarter of the run.
    let mut samples = Vec::new();
    let mut every = tokio::time::interval(Duration::from_secs(5));
    every.tick().await;
    while Instant::now() + Duration::from_secs(5) < end {
        every.tick().await;
        samples.push((start.elapsed().as_secs(), resident_bytes() >> 20));
        assert_eq!(failed.load(Ordering::Relaxed), 0, "a client failed");
    }
    let served = server.connection_count();

    let mut sent = 0;
    let mut echoed = 0;
    let mut reconnects = 0;
    let mut latencies = Vec::new();
    for client in clients {
        let report = tokio::time::timeout(Duration::from_secs(seconds + 60), client)
            .await
            .expect("a client did not finish")
            .unwrap()
            .unwrap();
        sent += report.sent;
        echoed += report.echoed;
        reconnects += report.reconnects;
        latencies.extend(report.latencies);
    }
    latencies.sort_unstable();
    let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let (p50, p99) = (quantile(0.50), quantile(0.99));

    no_connection_left(&server).await;
    let after = resident_bytes() >> 20;
    let tasks_deadline = Instant::now() + support::LIMIT;
    while metrics.num_alive_tasks() > tasks_before {
        assert!(
            Instant::now() < tasks_deadline,
            "{} tasks alive, {tasks_before} before",
            metrics.num_alive_tasks()
        );
        sleep(Duration::from_millis(10)).await;
    }
    println!(
        "soak: {connections} connections for {seconds} s; {sent} messages sent, {echoed} \
         echoed intact; {reconnects} abrupt disconnects; p50 {p50:?}, p99 {p99:?}; \
         {served} served at the end; resident MiB over time {samples:?}, {after} after all \
         closed; sockets {} (before {sockets_before})",
        open_tcp_sockets()
    );

    assert_eq!(sent, echoed, "messages lost");
    assert!(
        sent >= connections * (seconds as usize - 5) * 9 / 10,
        "too few messages: {sent}"
    );
    assert!(
        reconnects >= connections / 10,
        "too few reconnects: {reconnects}"
    );
    assert_eq!(open_tcp_sockets(), sockets_before, "sockets left behind");
    // After warm-up (the first quarter), memory levels off: the last sample is within
    // 10 % (and 16 MiB) of the one that ended warm-up.
    let warm = samples[samples.len() / 4].1;
    let last = samples.last().unwrap().1;
    assert!(
        last <= warm + warm / 10 + 16,
        "resident memory grew after warm-up: {samples:?}"
    );
    within(server.stop()).await;
}
