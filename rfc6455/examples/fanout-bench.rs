//! Fan-out benchmark: one publisher → many subscribers over loopback, the `Topics` hub
//! against a naive loop that sends to each connection in turn.
//!
//! ```sh
//! cargo run --release --example fanout-bench -- --subscribers 10000 --messages 200
//! cargo run --release --example fanout-bench -- --mode naive --subscribers 10000
//! ```
//!
//! The program starts itself again as the server (`--serve`, a child process with
//! `--server-threads` runtime threads) so that the server's CPU time is its own: read from
//! `/proc/<pid>/stat` before and after. The driver connects the subscribers and one
//! publisher; the publisher sends `--messages` messages of `--size` bytes, at most
//! `--window` of them not yet received by every subscriber; each carries its send time.
//! Printed: deliveries per second, publish-to-receive latency (p50, p99, max), server CPU
//! per delivery, server memory per subscribed connection. The driver shares the machine:
//! on a loaded or small machine wall-clock figures are noise; the CPU per delivery is the
//! steadier one.
//!
//! | mode | server |
//! |---|---|
//! | `hub` | each connection subscribes to a `Topics` hub; the publisher's message is published once and written from shared memory (`send_shared`) |
//! | `naive` | the publisher's connection task sends the message to every connection in turn (`SendHalf::send`, a copy per connection, one slow reader holds up the rest) |
//! | `--server bench/target/release/fanout-tungstenite` | the same naive loop on tokio-tungstenite (`cargo build --release --manifest-path bench/Cargo.toml --bin fanout-tungstenite`) |

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};
use rfc6455::topics::{Topics, TopicsOptions};
use rfc6455::{
    Message, SendHalf, ServerOptions, SharedFrame, Transport, WebSocket, connect, serve,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Mutex, Notify};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    Hub,
    Naive,
}

#[derive(Parser, Debug)]
struct Args {
    /// The server side: the hub or a naive loop.
    #[arg(long, value_enum, default_value_t = Mode::Hub)]
    mode: Mode,
    /// Subscriber connections.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Messages the publisher sends.
    #[arg(long, default_value_t = 200)]
    messages: usize,
    /// Payload bytes per message (at least 32).
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Messages in flight (sent, not yet received by every subscriber), at most.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// Runtime threads of the server process.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
    /// Run as the server (the driver starts this itself).
    #[arg(long, hide = true)]
    serve: bool,
    /// Start this program as the server instead of this one (it gets the same
    /// arguments): `bench/target/release/fanout-tungstenite` is the naive loop on
    /// tokio-tungstenite.
    #[arg(long)]
    server: Option<std::path::PathBuf>,
    /// Drive a server that is already running instead (its CPU and memory are not
    /// measured): subscribers and the publisher all connect to this URL, for example a
    /// chat room through the cluster's HAProxy (`ws://127.0.0.1:8090/chat/bench`).
    #[arg(long)]
    connect: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // Each process holds one end of every connection.
    let wanted = args.subscribers as u64 + 512;
    let limit = rlimit::increase_nofile_limit(wanted)?;
    if limit < wanted {
        return Err(format!("file descriptor limit {limit}, {wanted} needed").into());
    }
    if args.serve {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.server_threads.max(1))
            .enable_all()
            .build()?;
        return runtime.block_on(server(args.mode));
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(driver(args))
}

// ------------------------------------------------------------------ the server

async fn server(mode: Mode) -> Result<(), Box<dyn std::error::Error>> {
    let topics = Topics::new(TopicsOptions::default().queue_len(4096));
    let naive: Arc<Mutex<Vec<SendHalf<Transport>>>> = Arc::default();
    let options = ServerOptions::default().port(0);
    let server = serve(options, move |ws| {
        let (topics, naive) = (topics.clone(), naive.clone());
        async move {
            let publisher = ws.handshake().path() == "/pub";
            match (mode, publisher) {
                (Mode::Hub, false) => hub_subscriber(ws, topics).await,
                (Mode::Hub, true) => {
                    let mut ws = ws;
                    while let Some(Ok(message)) = ws.recv().await {
                        topics.publish("bench", SharedFrame::from(message));
                    }
                }
                (Mode::Naive, false) => {
                    let (mut rx, tx) = ws.split();
                    {
                        let mut list = naive.lock().await;
                        list.push(tx);
                        let _ = list.last_mut().unwrap().send_text("ready").await;
                    }
                    while let Some(Ok(_)) = rx.recv().await {}
                }
                (Mode::Naive, true) => {
                    let mut ws = ws;
                    while let Some(Ok(message)) = ws.recv().await {
                        for tx in naive.lock().await.iter_mut() {
                            let _ = tx.send(message.clone()).await;
                        }
                    }
                }
            }
        }
    })
    .await?;
    println!("PORT {}", server.local_addr().port());
    // Until the driver closes stdin.
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = stdin.next_line().await {}
    Ok(())
}

async fn hub_subscriber(mut ws: WebSocket, topics: Topics) {
    let mut subscriber = topics.subscriber();
    subscriber.subscribe("bench");
    if ws.send_text("ready").await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = subscriber.recv() => match frame {
                Ok(frame) => if ws.send_shared(&frame).await.is_err() { break },
                Err(_) => break,
            },
            message = ws.recv() => if !matches!(message, Some(Ok(_))) { break },
        }
    }
}

// ------------------------------------------------------------------ the driver

/// Nanoseconds since the epoch (the server is another process: a shared clock).
fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// The sequence number and send time at the start of a message (32 hex digits).
fn parse(message: &[u8]) -> Option<(usize, u64)> {
    let head = std::str::from_utf8(message.get(..32)?).ok()?;
    let seq = usize::from_str_radix(&head[..16], 16).ok()?;
    let sent = u64::from_str_radix(&head[16..], 16).ok()?;
    Some((seq, sent))
}

/// utime + stime of `pid`, in clock ticks (0 without a pid).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: fields 14 and 15 (utime, stime).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

async fn driver(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let size = args.size.max(32);
    // The server: a child process (its pid for CPU and memory), or one already running.
    let mut child = None;
    let (sub_url, pub_url) = match &args.connect {
        Some(url) => (url.clone(), url.clone()),
        None => {
            let exe = match &args.server {
                Some(path) => path.clone(),
                None => std::env::current_exe()?,
            };
            let mode = if args.mode == Mode::Hub {
                "hub"
            } else {
                "naive"
            };
            let mut process = tokio::process::Command::new(exe)
                .args(["--serve", "--mode", mode])
                .args(["--server-threads", &args.server_threads.to_string()])
                .args(["--subscribers", &args.subscribers.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
            let port: u16 = lines
                .next_line()
                .await?
                .and_then(|l| l.strip_prefix("PORT ").and_then(|p| p.parse().ok()))
                .ok_or("server did not print its port")?;
            child = Some(process);
            let base = format!("ws://127.0.0.1:{port}");
            (format!("{base}/sub"), format!("{base}/pub"))
        }
    };
    let pid = child
        .as_ref()
        .and_then(tokio::process::Child::id)
        .unwrap_or(0);

    // Subscribers: each counts what it got per message and its latencies.
    let received: Arc<Vec<AtomicUsize>> =
        Arc::new((0..args.messages).map(|_| AtomicUsize::new(0)).collect());
    let progress = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    for _ in 0..args.subscribers {
        let (mut ws, _) = connect(&sub_url).await?;
        // The server's first message ("ready", or the chat's welcome): subscribed.
        ws.recv().await.ok_or("closed")??;
        let (received, progress, messages) = (received.clone(), progress.clone(), args.messages);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(messages);
            for _ in 0..messages {
                let Some(Ok(message)) = ws.recv().await else {
                    break;
                };
                let Some((seq, sent)) = parse(message.as_bytes()) else {
                    continue;
                };
                latencies.push(now_ns().saturating_sub(sent) / 1000);
                received[seq].fetch_add(1, Relaxed);
                progress.notify_one();
            }
            let _ = ws.close(rfc6455::CloseCode::NORMAL, "").await;
            latencies
        }));
    }
    let rss_connected = rss_kib(pid);
    eprintln!(
        "{} subscribers connected in {:.1?}",
        args.subscribers,
        started.elapsed(),
    );
    let (mut publisher, _) = connect(&pub_url).await?;
    if args.connect.is_some() {
        // A server already running greets every connection (the chat's welcome).
        publisher.recv().await.ok_or("closed")??;
    }
    // The publisher may be a subscriber too (a chat room): what it gets is drained.
    let (mut publisher_rx, mut publisher) = publisher.split();
    tokio::spawn(async move { while let Some(Ok(_)) = publisher_rx.recv().await {} });

    let all_in = |seq: usize| received[seq].load(Relaxed) >= args.subscribers;
    let cpu_before = cpu_ticks(pid);
    let start = Instant::now();
    let mut payload = "x".repeat(size);
    for seq in 0..args.messages {
        while seq >= args.window && !all_in(seq - args.window) {
            progress.notified().await;
        }
        payload.replace_range(0..32, &format!("{seq:016x}{:016x}", now_ns()));
        publisher.send(Message::text(payload.clone())).await?;
    }
    while !(0..args.messages).all(all_in) {
        tokio::time::timeout(Duration::from_secs(1), progress.notified())
            .await
            .ok();
    }
    let elapsed = start.elapsed();
    let cpu = cpu_ticks(pid) - cpu_before;
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    latencies.sort_unstable();
    let deliveries = latencies.len();
    let pick = |q: f64| latencies[((deliveries as f64 * q) as usize).min(deliveries - 1)];
    let cpu_seconds = cpu as f64 / ticks_per_second() as f64;
    let server = match (&args.connect, &args.server) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => format!("{:?}", args.mode),
    };
    println!(
        "server {server}: {} subscribers x {} messages of {} bytes (window {}, {} server threads)",
        args.subscribers, args.messages, size, args.window, args.server_threads
    );
    println!(
        "  {deliveries} deliveries in {elapsed:.2?}: {:.0} deliveries/s",
        deliveries as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency publish→receive: p50 {} µs, p99 {} µs, max {} µs",
        pick(0.5),
        pick(0.99),
        latencies[deliveries - 1]
    );
    if child.is_none() {
        return Ok(());
    }
    println!(
        "  server CPU {cpu_seconds:.2} s: {:.0} ns per delivery, {:.0} deliveries per CPU-second",
        cpu_seconds * 1e9 / deliveries as f64,
        deliveries as f64 / cpu_seconds.max(1e-9)
    );
    println!(
        "  server RSS: {:.2} KiB per subscribed connection (idle, after the handshake), {:.2} KiB after the run",
        (rss_connected.saturating_sub(rss_before)) as f64 / args.subscribers as f64,
        (rss_kib(pid).saturating_sub(rss_before)) as f64 / args.subscribers as f64,
    );
    if let Some(mut child) = child {
        drop(child.stdin.take());
        let _ = child.wait().await;
    }
    Ok(())
}
