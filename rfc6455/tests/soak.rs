//! Soak: thousands of connections held for a minute with echo traffic (one message per
//! connection per second, mixed sizes, a tenth of the clients dropping their connection
//! abruptly every five seconds and reconnecting), against our server in this process.
//! Fails on a message lost or corrupted, on resident memory that keeps growing after
//! warm-up, and on anything left behind (connections, sockets, tasks) once all clients
//! have gone.
//!
//! The clients are the benchmark load generator's own client side (`bench/src/wire.rs`,
//! included as is: a hand-written RFC 6455 client that checks every echoed byte as it
//! arrives). Long, so ignored by a plain `cargo test`; CI runs it:
//!
//! ```text
//! cargo test -p rfc6455 --release --test soak -- --ignored --nocapture
//! SOAK_SECONDS=600 SOAK_CONNECTIONS=19000 cargo test ... # the long run
//! ```

mod support;

/// What `wire.rs` expects of the crate that includes it.
mod server {
    pub(crate) fn accept_key(key: &[u8]) -> String {
        rfc6455::proto::handshake::accept_key(key)
    }
}

#[allow(dead_code, unreachable_pub)]
#[path = "../../bench/src/wire.rs"]
mod wire;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep};

use support::fds::open_tcp_sockets;
use support::memory::resident_bytes;
use support::server::{echo, local, no_connection_left};
use support::within;
use wire::{EchoParser, Expected, OP_BINARY, OP_PONG, OP_TEXT, Progress};

/// An echo later than this is a lost message.
const ECHO_WITHIN: Duration = Duration::from_secs(10);

/// Payload sizes, one per connection in turn.
const SIZES: [usize; 5] = [16, 125, 1024, 4 * 1024, 16 * 1024];

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map_or(default, |v| v.parse().expect(name))
}

/// What one client saw.
#[derive(Debug, Default)]
struct Report {
    sent: usize,
    echoed: usize,
    reconnects: usize,
    latencies: Vec<Duration>,
}

/// One client until `end`: a message a second, each echo checked whole before the next.
async fn client(port: u16, id: usize, end: Instant) -> io::Result<Report> {
    let text = id.is_multiple_of(2);
    let expected = Expected::new(
        if text { OP_TEXT } else { OP_BINARY },
        wire::payload(SIZES[id % SIZES.len()], text),
    );
    let frame = expected.frame();
    let abrupt = id.is_multiple_of(10);
    let mut report = Report::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        tcp.set_nodelay(true)?;
        let leftover = wire::client_handshake(&mut tcp, &wire::upgrade_request(port)).await?;
        let mut parser = EchoParser::new(&expected);
        parser.feed(&leftover, &mut Progress::default())?;
        let phase = Duration::from_millis((id % 1000) as u64);
        let mut tick = interval_at(Instant::now() + phase, Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut rounds = 0;
        loop {
            tick.tick().await;
            if Instant::now() >= end {
                // A clean close: ours, then the server's answer.
                tcp.write_all(&wire::close_frame()).await?;
                while !parser.closed() {
                    let n = tcp.read(&mut buf).await?;
                    if n == 0 {
                        return Err(io::Error::other("EOF before the server's close"));
                    }
                    parser.feed(&buf[..n], &mut Progress::default())?;
                }
                return Ok(report);
            }
            if abrupt && rounds == 5 {
                // Gone without a close: a reset.
                #[allow(deprecated)]
                tcp.set_linger(Some(Duration::ZERO))?;
                drop(tcp);
                report.reconnects += 1;
                break;
            }
            let sent_at = Instant::now();
            tcp.write_all(&frame).await?;
            report.sent += 1;
            let mut got = 0;
            while got == 0 {
                let n = match tokio::time::timeout(ECHO_WITHIN, tcp.read(&mut buf)).await {
                    Ok(read) => read?,
                    Err(_) => return Err(io::Error::other(format!("client {id}: echo lost"))),
                };
                if n == 0 {
                    return Err(io::Error::other(format!("client {id}: EOF, echo missing")));
                }
                let mut progress = Progress::default();
                parser.feed(&buf[..n], &mut progress)?;
                for ping in progress.pings {
                    tcp.write_all(&wire::masked_frame(OP_PONG, &ping)).await?;
                }
                got += progress.messages;
            }
            assert_eq!(got, 1, "client {id}: an echo nobody asked for");
            report.echoed += got;
            report.latencies.push(sent_at.elapsed());
            rounds += 1;
        }
    }
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
            let report = client(port, id, end).await;
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
