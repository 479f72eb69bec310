//! Load generator for the echo servers: the command line of `rfc6455-loadgen` (the
//! workspace's `loadgen/` crate, shared with `rfc6455 bench` and the soak test).
//! Single-threaded (the harness pins it to its own core), no WebSocket library inside.
//!
//! Prints human-readable progress on stderr and exactly one machine-readable
//! `RESULT key=value ...` line on stdout (idle mode first prints `READY ...`
//! and then holds the connections until stdin is closed or a line arrives).

use std::io;
use std::rc::Rc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use rfc6455_loadgen::{Live, Report, Settings, Target, open_idle, parse_size, run};
use tokio::io::AsyncBufReadExt as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// C connections, one message in flight each, for D seconds after warm-up.
    Echo,
    /// C connections, K messages in flight each (`--inflight`).
    Pipelined,
    /// Open C connections, print READY, hold them until stdin closes.
    Idle,
    /// C workers each looping connect, upgrade, close for D seconds.
    Churn,
    /// One connection echoing `--count` messages of `--size` one at a time.
    Large,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Text below 1 MiB, binary from 1 MiB.
    Auto,
    Text,
    Binary,
}

#[derive(Debug, Clone, Parser)]
#[command(about = "WebSocket echo load generator (no WebSocket library inside)")]
struct Args {
    /// Server port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    #[arg(long, value_enum, default_value_t = Mode::Echo)]
    mode: Mode,
    /// Connections (echo, pipelined, idle) or concurrent workers (churn).
    #[arg(long, short = 'c', default_value_t = 100)]
    connections: usize,
    /// Payload bytes per message; accepts k/m suffixes (KiB, MiB).
    #[arg(long, short = 's', default_value = "20", value_parser = parse_size)]
    size: usize,
    /// Messages in flight per connection (pipelined mode; echo mode uses 1).
    #[arg(long, short = 'k', default_value_t = 16)]
    inflight: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, short = 'd', default_value_t = 3.0)]
    duration: f64,
    /// Warm-up seconds, not measured.
    #[arg(long, short = 'w', default_value_t = 1.0)]
    warmup: f64,
    /// Large mode: measured messages (one warm-up message is sent first).
    #[arg(long, default_value_t = 3)]
    count: usize,
    /// Message type: text (ASCII payload, so the server validates UTF-8) or binary.
    #[arg(long, value_enum, default_value_t = Kind::Auto)]
    kind: Kind,
    /// Server process id: report its CPU use over the measured window.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Handshakes in progress at once while opening connections.
    #[arg(long, default_value_t = 128)]
    connect_concurrency: usize,
    /// Idle mode: give up holding after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    hold_max: f64,
    /// Seconds to wait for a handshake answer and for the close at the end.
    #[arg(long, default_value_t = 10.0)]
    patience: f64,
}

impl Args {
    fn settings(&self) -> Settings {
        Settings {
            mode: match self.mode {
                Mode::Echo => rfc6455_loadgen::Mode::Echo,
                Mode::Pipelined => rfc6455_loadgen::Mode::Pipelined,
                Mode::Idle => rfc6455_loadgen::Mode::Idle,
                Mode::Churn => rfc6455_loadgen::Mode::Churn,
                Mode::Large => rfc6455_loadgen::Mode::Large,
            },
            connections: self.connections,
            size: self.size,
            inflight: self.inflight,
            duration: Duration::from_secs_f64(self.duration),
            warmup: Duration::from_secs_f64(self.warmup),
            count: self.count,
            kind: match self.kind {
                Kind::Auto => rfc6455_loadgen::Kind::Auto,
                Kind::Text => rfc6455_loadgen::Kind::Text,
                Kind::Binary => rfc6455_loadgen::Kind::Binary,
            },
            server_pid: self.server_pid,
            connect_concurrency: self.connect_concurrency,
            patience: Duration::from_secs_f64(self.patience),
            ..Settings::new(Target::loopback(self.port))
        }
    }
}

fn print_result(fields: &[(&str, String)]) {
    let line: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
}

fn describe(r: &Report) {
    if let Some(e) = &r.first_error {
        eprintln!("loadgen: first error: {e}");
    }
    let kind = if r.text { "text" } else { "binary" };
    match r.mode {
        rfc6455_loadgen::Mode::Large => eprintln!(
            "loadgen: {} x {} B {kind}: median echo {:.1} ms = {:.1} MiB/s ({:.1}s total; {})",
            r.messages,
            r.size,
            r.percentile_us(50.0) / 1e3,
            r.mibps,
            r.secs,
            r.cpu.describe()
        ),
        rfc6455_loadgen::Mode::Churn => eprintln!(
            "loadgen: {:.0} handshakes/s with {} workers, p50 {:.1} us, {}",
            r.rate,
            r.connections,
            r.percentile_us(50.0),
            r.cpu.describe()
        ),
        _ => eprintln!(
            "loadgen: {} connections, {} B {kind} messages, {} in flight each: {:.0} msg/s, p50 {:.1} us, p99 {:.1} us, {}",
            r.connections,
            r.size,
            r.inflight,
            r.rate,
            r.percentile_us(50.0),
            r.percentile_us(99.0),
            r.cpu.describe()
        ),
    }
}

async fn hold_idle(args: &Args) -> io::Result<Report> {
    let idle = open_idle(&args.settings()).await?;
    let report = idle.report();
    eprintln!(
        "loadgen: {} idle connections up in {:.2}s; holding",
        report.connections, report.secs
    );
    println!("READY conns={} secs={:.3}", report.connections, report.secs);
    // Hold until the harness closes our stdin (or writes a line).
    let mut line = String::new();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let _ = tokio::time::timeout(
        Duration::from_secs_f64(args.hold_max),
        stdin.read_line(&mut line),
    )
    .await;
    drop(idle);
    Ok(report)
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    rfc6455_loadgen::raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let r = local.block_on(&rt, async {
        if args.mode == Mode::Idle {
            hold_idle(&args).await
        } else {
            run(&args.settings(), Rc::new(Live::default())).await
        }
    });
    match &r {
        Ok(report) => {
            if report.mode != rfc6455_loadgen::Mode::Idle {
                describe(report);
            }
            print_result(&report.fields());
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            print_result(&[
                ("errors", "1".to_string()),
                ("ok", "false".to_string()),
                ("error", format!("{e}").replace(char::is_whitespace, "_")),
            ]);
        }
    }
    // Exit without waiting for the stdin reader thread of idle mode.
    std::process::exit(if r.is_ok() { 0 } else { 1 });
}
