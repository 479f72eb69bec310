//! A benchmark program, not a test: N WebSockets (1 000 by default) as streams of one
//! HTTP/2 connection (h2c, RFC 8441) against N over HTTP/1.1 (one TCP connection each),
//! in one run. For each: the server's resident memory per WebSocket (the server runs as a
//! child process, this program with `--serve`, its RSS read from `/proc`) and messages per
//! second (every WebSocket sends `--messages` echoes of `--size` bytes, all at once).
//!
//! ```sh
//! cargo run --release --example h2-vs-h1 -- [--connections 1000] [--messages 20] [--size 64]
//! ```
//!
//! Memory figures are stable whatever else the machine does; messages per second are not:
//! run it on a quiet machine before reading anything into them.

use std::process::Stdio;
use std::time::Instant;

use clap::Parser;
use rfc6455::http2::Http2;
use rfc6455::{ClientOptions, CloseCode, ServerOptions, WebSocket, connect_with, serve};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Parser)]
struct Args {
    /// WebSockets opened each way.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Echoes each WebSocket asks for in the throughput run.
    #[arg(long, default_value_t = 20)]
    messages: usize,
    /// Bytes per message.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Run as the server (h2c beside HTTP/1.1) on this port (0: any); prints its port.
    #[arg(long)]
    serve: Option<u16>,
}

/// What one run measured.
struct Figures {
    rss_per_ws: f64,
    messages_per_s: f64,
    tcp_connections: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(port) = args.serve {
        return server(port, args.connections).await;
    }
    // Both ends of every HTTP/1.1 connection in two processes: the client's are here.
    let _ = rlimit::increase_nofile_limit(4 * args.connections as u64 + 256);
    println!(
        "{} WebSockets, {} echoes of {} bytes each",
        args.connections, args.messages, args.size
    );
    let h1 = run(&args, Http2::Off).await?;
    let h2 = run(&args, Http2::Require).await?;
    println!("| | HTTP/1.1 | HTTP/2 (one connection) |");
    println!("|---|---|---|");
    println!(
        "| TCP connections | {} | {} |",
        h1.tcp_connections, h2.tcp_connections
    );
    println!(
        "| server RSS per WebSocket | {:.1} KiB | {:.1} KiB |",
        h1.rss_per_ws / 1024.0,
        h2.rss_per_ws / 1024.0
    );
    println!(
        "| messages/s (echoes) | {:.0} | {:.0} |",
        h1.messages_per_s, h2.messages_per_s
    );
    Ok(())
}

/// The server: echo, h2c beside HTTP/1.1, room for every WebSocket on one connection.
async fn server(port: u16, connections: usize) -> Result<(), Box<dyn std::error::Error>> {
    let _ = rlimit::increase_nofile_limit(2 * connections as u64 + 256);
    let options = ServerOptions::default()
        .listen_addr("127.0.0.1".parse()?)
        .port(port)
        .h2c(true)
        .http2_max_streams(u32::try_from(connections)?.max(1))
        .idle_timeout(None);
    let server = serve(options, |mut ws| async move {
        while let Some(Ok(msg)) = ws.recv().await {
            if ws.send(msg).await.is_err() {
                break;
            }
        }
    })
    .await?;
    println!("port {}", server.local_addr().port());
    std::future::pending::<()>().await;
    Ok(())
}

/// Start a fresh server, open every WebSocket with `mode`, measure, close.
async fn run(args: &Args, mode: Http2) -> Result<Figures, Box<dyn std::error::Error>> {
    let (mut child, port) = start_server(args.connections).await?;
    let pid = child.id().ok_or("server exited")?;
    let before = rss(pid)?;
    let url = format!("ws://127.0.0.1:{port}/");
    let options = ClientOptions::default().http2(mode);
    let mut sockets = Vec::with_capacity(args.connections);
    // One at a time, so that the HTTP/2 ones find the first connection in the pool.
    for _ in 0..args.connections {
        sockets.push(connect_with(&url, options.clone()).await?.0);
    }
    let mut locals: Vec<_> = sockets
        .iter()
        .filter_map(|ws| ws.handshake().local_addr())
        .collect();
    locals.sort();
    locals.dedup();
    // One echo each, so that every server-side connection has done its first read.
    let payload = vec![b'x'; args.size];
    let sockets = echo_all(sockets, 1, &payload).await?;
    let after = rss(pid)?;
    let started = Instant::now();
    let mut sockets = echo_all(sockets, args.messages, &payload).await?;
    let elapsed = started.elapsed().as_secs_f64();
    for ws in &mut sockets {
        let _ = ws.close(CloseCode::NORMAL, "").await;
    }
    drop(sockets);
    child.kill().await?;
    Ok(Figures {
        rss_per_ws: (after.saturating_sub(before)) as f64 / args.connections as f64,
        messages_per_s: (args.connections * args.messages) as f64 / elapsed,
        tcp_connections: locals.len(),
    })
}

/// Every WebSocket asks for `count` echoes of `payload`, all WebSockets at once.
async fn echo_all(
    sockets: Vec<WebSocket>,
    count: usize,
    payload: &[u8],
) -> Result<Vec<WebSocket>, Box<dyn std::error::Error>> {
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let payload = payload.to_vec();
            tokio::spawn(async move {
                for _ in 0..count {
                    ws.send_binary(&payload).await?;
                    match ws.recv().await {
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(e),
                        None => return Err(rfc6455::Error::from(std::io::Error::other("closed"))),
                    }
                }
                Ok::<_, rfc6455::Error>(ws)
            })
        })
        .collect();
    let mut sockets = Vec::with_capacity(tasks.len());
    for task in tasks {
        sockets.push(task.await??);
    }
    Ok(sockets)
}

/// This program as the server, and its port.
async fn start_server(connections: usize) -> Result<(Child, u16), Box<dyn std::error::Error>> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--serve", "0", "--connections", &connections.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .ok_or("the server printed nothing")?;
    let port = line.strip_prefix("port ").ok_or("no port line")?.parse()?;
    Ok((child, port))
}

/// The resident memory of process `pid`, in bytes (Linux: `/proc/PID/status`).
fn rss(pid: u32) -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS")?;
    Ok(kib * 1024)
}
