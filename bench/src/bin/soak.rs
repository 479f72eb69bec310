//! The long soak's clients, in a process of their own: `--connections` soak clients
//! (`rfc6455_loadgen::soak`: a message a second each, mixed sizes, a tenth dropping
//! their connection abruptly and reconnecting) against a server on 127.0.0.1:`--port`
//! for `--seconds`, watching the server process `--server-pid` from outside: its
//! resident memory and open descriptors every few seconds, and both again once every
//! client has gone.
//!
//! Exits non-zero on a message lost or corrupted, a client that failed, resident memory
//! that keeps growing after warm-up (the first quarter), or descriptors left open.
//! `scripts/soak.sh` starts the server and runs this.

use std::io;
use std::time::Duration;

use clap::Parser;
use rfc6455_loadgen::{Target, raise_nofile_limit, soak};
use tokio::time::{Instant, sleep};

#[derive(Debug, Parser)]
#[command(about = "Soak clients against a WebSocket echo server in another process")]
struct Args {
    /// Server port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    /// The server's process id (its memory and descriptors are watched).
    #[arg(long)]
    server_pid: u32,
    /// Concurrent connections.
    #[arg(long, default_value_t = 19_000)]
    connections: usize,
    /// Seconds of traffic.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Seconds between samples of the server's memory.
    #[arg(long, default_value_t = 10)]
    sample: u64,
}

/// The server's resident memory in KiB.
fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS"))
}

/// The server's open descriptors.
fn fds(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(soak_run(&args))
}

async fn soak_run(args: &Args) -> io::Result<()> {
    let pid = args.server_pid;
    let (rss_before, fds_before) = (rss_kib(pid)?, fds(pid)?);
    let target = Target::loopback(args.port);
    let start = Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    // Connect at most ~4 000 a second.
    let ramp = Duration::from_secs_f64((args.connections as f64 / 4000.0).max(1.0));
    let clients: Vec<_> = (0..args.connections)
        .map(|id| {
            let target = target.clone();
            let delay = ramp.mul_f64(id as f64 / args.connections as f64);
            tokio::spawn(async move {
                sleep(delay).await;
                soak::client(&target, id, end).await
            })
        })
        .collect();

    let mut samples: Vec<(u64, u64, usize)> = Vec::new();
    let mut every = tokio::time::interval(Duration::from_secs(args.sample));
    every.tick().await;
    while Instant::now() + Duration::from_secs(args.sample) < end {
        every.tick().await;
        let s = (start.elapsed().as_secs(), rss_kib(pid)? / 1024, fds(pid)?);
        eprintln!(
            "soak: {:>4} s: server RSS {} MiB, {} descriptors",
            s.0, s.1, s.2
        );
        samples.push(s);
    }

    let (mut sent, mut echoed, mut reconnects, mut failed) = (0, 0, 0, 0);
    let mut first_error = None;
    let mut latencies = Vec::new();
    for client in clients {
        match client.await.map_err(io::Error::other)? {
            Ok(r) => {
                sent += r.sent;
                echoed += r.echoed;
                reconnects += r.reconnects;
                latencies.extend(r.latencies);
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    // Every client has closed: the server's descriptors go back to where they were.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fds(pid)? > fds_before && Instant::now() < deadline {
        sleep(Duration::from_millis(100)).await;
    }
    let (rss_after, fds_after) = (rss_kib(pid)?, fds(pid)?);
    latencies.sort_unstable();
    let q = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let curve: Vec<String> = samples
        .iter()
        .map(|(t, mib, _)| format!("{t}s:{mib}"))
        .collect();
    let peak_fds = samples.iter().map(|s| s.2).max().unwrap_or_default();
    println!(
        "soak: {} connections for {} s: {sent} messages sent, {echoed} echoed intact, {} lost; \
         {reconnects} abrupt disconnects; {failed} clients failed; p50 {:?}, p99 {:?}, max {:?}",
        args.connections,
        args.seconds,
        sent - echoed,
        q(0.50),
        q(0.99),
        q(1.0)
    );
    println!(
        "soak: server RSS {} MiB before, over time (MiB) [{}], {} MiB after all closed; \
         descriptors {fds_before} before, {peak_fds} at peak, {fds_after} after",
        rss_before / 1024,
        curve.join(" "),
        rss_after / 1024
    );

    let mut problems = Vec::new();
    if let Some(e) = first_error {
        problems.push(format!("{failed} clients failed, the first: {e}"));
    }
    if sent != echoed {
        problems.push(format!("{} messages lost", sent - echoed));
    }
    if fds_after > fds_before {
        problems.push(format!("{} descriptors left open", fds_after - fds_before));
    }
    if let (Some(warm), Some(last)) = (samples.get(samples.len() / 4), samples.last())
        && last.1 > warm.1 + warm.1 / 10 + 16
    {
        problems.push(format!(
            "resident memory grew after warm-up: {} MiB → {} MiB",
            warm.1, last.1
        ));
    }
    if problems.is_empty() {
        println!("soak: OK");
        Ok(())
    } else {
        Err(io::Error::other(problems.join("; ")))
    }
}
