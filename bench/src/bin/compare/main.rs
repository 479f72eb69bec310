//! `compare`: runs every scenario against every echo server, interleaved over
//! several rounds, and reports medians and ratios (terminal, Markdown, SVG).
//!
//! Fairness rules: every server is started fresh for every run, runs a tokio
//! multi-thread runtime with the same number of workers, is pinned to CPU 0
//! while the load generator is pinned to CPU 1; servers are interleaved
//! (A B C D E, A B C D E, ...) and only medians over the rounds are quoted.

mod callgrind;
mod procs;
mod readme;
mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;

use procs::{Idle, Server};

#[derive(Debug, Clone, Parser)]
#[command(about = "Compare rfc6455's echo server with its peers (see bench/README.md)")]
struct Opts {
    /// Fast smoke run: 1 round of 1 s, 1000 idle connections, 16 MiB large message.
    #[arg(long)]
    quick: bool,
    /// Rounds per scenario (servers interleaved in each round). Default 3 (quick: 1).
    #[arg(long)]
    rounds: Option<usize>,
    /// Measured seconds per run. Default 3 (quick: 1).
    #[arg(long)]
    duration: Option<f64>,
    /// Warm-up seconds per run, not measured. Default 1 (quick: 0.3).
    #[arg(long)]
    warmup: Option<f64>,
    /// Comma-separated servers to run (default: all). Names: see --list.
    #[arg(long, value_delimiter = ',')]
    servers: Option<Vec<String>>,
    /// Comma-separated scenario ids to run (default: all). Ids: see --list.
    #[arg(long, value_delimiter = ',')]
    scenarios: Option<Vec<String>>,
    /// Connections in the idle scenario. Default 10000 (quick: 1000).
    #[arg(long)]
    idle_connections: Option<usize>,
    /// Size of the single large message in MiB. Default 64 (quick: 16).
    #[arg(long)]
    large_mib: Option<usize>,
    /// Measured large messages per run (after one warm-up message). Default 5 (quick: 2).
    #[arg(long)]
    large_count: Option<usize>,
    /// Use this binary as the rfc6455 server instead of building
    /// `autobahn-server` (for example a peer, to test the harness).
    #[arg(long)]
    rfc6455_bin: Option<PathBuf>,
    /// Do not run cargo: use the binaries as they are.
    #[arg(long)]
    no_build: bool,
    /// Do not pin processes to CPUs (results are then not comparable).
    #[arg(long)]
    no_pin: bool,
    /// First port to use; each run takes the next free one.
    #[arg(long, default_value_t = 19100)]
    base_port: u16,
    /// Directory for latest.md and latest.svg. Default: bench/results (and then the
    /// summary is copied into README.md between its bench markers too).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run nothing: copy the summary of bench/results/latest.md into README.md.
    #[arg(long)]
    readme: bool,
    /// Skip the instruction counts under callgrind.
    #[arg(long)]
    no_callgrind: bool,
    /// Seconds the long callgrind run measures beyond the short one. Default 3 (quick: 1).
    #[arg(long)]
    callgrind_secs: Option<f64>,
    /// List servers and scenarios and exit.
    #[arg(long)]
    list: bool,
}

/// Settings after applying `--quick` and the defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rounds: usize,
    pub duration: f64,
    pub warmup: f64,
    pub idle_connections: usize,
    pub large_mib: usize,
    pub large_count: usize,
    pub pin: bool,
    pub quick: bool,
    /// Count instructions per message under callgrind.
    pub callgrind: bool,
    /// Measured seconds of the short callgrind run.
    pub callgrind_short: f64,
    /// Seconds the long callgrind run measures beyond the short one.
    pub callgrind_secs: f64,
}

/// The reference server of the ratios, and the baseline of the chart.
pub const RFC6455: &str = "rfc6455";
pub const TUNGSTENITE: &str = "tokio-tungstenite";
pub const RAW: &str = "raw";

/// A server under test.
#[derive(Debug, Clone)]
pub struct ServerDef {
    pub name: &'static str,
    pub bin: PathBuf,
    /// Why it cannot run, if it cannot.
    pub missing: Option<String>,
    /// Whether and how it offers permessage-deflate.
    pub deflate: Deflate,
}

/// How an echo server takes part in the compressed scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deflate {
    /// It has no permessage-deflate: it sits the compressed scenarios out.
    #[default]
    No,
    /// It always accepts the extension when the client offers it.
    Always,
    /// It accepts the extension when started with `--compress`.
    Flag,
}

/// What the load generator does in a scenario.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    Echo {
        conns: usize,
        size: usize,
        inflight: usize,
    },
    Large,
    Idle,
    Churn {
        workers: usize,
    },
    /// `deflate-load`: permessage-deflate, JSON-like text, 1 in flight.
    Deflate {
        conns: usize,
        size: usize,
    },
}

/// What a scenario's headline number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    MsgsPerSec,
    MibPerSec,
    KibPerConn,
    HandshakesPerSec,
}

impl Metric {
    pub fn unit(self) -> &'static str {
        match self {
            Self::MsgsPerSec => "msg/s",
            Self::MibPerSec => "MiB/s",
            Self::KibPerConn => "KiB/conn",
            Self::HandshakesPerSec => "handshakes/s",
        }
    }

    pub fn higher_is_better(self) -> bool {
        self != Self::KibPerConn
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: &'static str,
    pub title: String,
    pub load: Load,
    pub metric: Metric,
    pub server_threads: usize,
    /// `taskset -c` list for the server.
    pub server_cpus: &'static str,
    /// Whether instructions per message are counted under callgrind.
    pub instructions: bool,
}

fn scenarios(s: &Settings) -> Vec<Scenario> {
    let echo = |id, title: &str, conns, size, inflight| Scenario {
        id,
        title: title.to_string(),
        load: Load::Echo {
            conns,
            size,
            inflight,
        },
        metric: Metric::MsgsPerSec,
        server_threads: 1,
        server_cpus: "0",
        instructions: true,
    };
    vec![
        echo(
            "echo-20b",
            "100 connections × 20 B text, 1 in flight",
            100,
            20,
            1,
        ),
        echo(
            "pipe-20b",
            "100 connections × 20 B text, 16 in flight",
            100,
            20,
            16,
        ),
        echo(
            "echo-1k",
            "10 connections × 1 KiB text, 1 in flight",
            10,
            1024,
            1,
        ),
        echo(
            "echo-16k",
            "500 connections × 16 KiB text, 1 in flight",
            500,
            16 * 1024,
            1,
        ),
        echo(
            "pipe-16k",
            "100 connections × 16 KiB text, 16 in flight",
            100,
            16 * 1024,
            16,
        ),
        echo(
            "echo-1m",
            "10 connections × 1 MiB binary, 1 in flight",
            10,
            1024 * 1024,
            1,
        ),
        Scenario {
            id: "large",
            title: format!(
                "1 connection × one {} MiB binary message at a time ({} measured + 1 warm-up)",
                s.large_mib, s.large_count
            ),
            load: Load::Large,
            metric: Metric::MibPerSec,
            server_threads: 1,
            server_cpus: "0",
            instructions: false,
        },
        Scenario {
            id: "idle",
            title: format!(
                "{} idle connections (handshake done): server RSS growth per connection",
                s.idle_connections
            ),
            load: Load::Idle,
            metric: Metric::KibPerConn,
            server_threads: 1,
            server_cpus: "0",
            instructions: false,
        },
        Scenario {
            id: "churn",
            title: "handshakes: 32 workers looping connect, upgrade, close".into(),
            load: Load::Churn { workers: 32 },
            metric: Metric::HandshakesPerSec,
            server_threads: 1,
            server_cpus: "0",
            instructions: true,
        },
        Scenario {
            id: "deflate-1k",
            title: "permessage-deflate: 100 connections × 1 KiB JSON-like text, 1 in flight".into(),
            load: Load::Deflate {
                conns: 100,
                size: 1024,
            },
            metric: Metric::MsgsPerSec,
            server_threads: 1,
            server_cpus: "0",
            instructions: true,
        },
        Scenario {
            id: "deflate-64k",
            title: "permessage-deflate: 10 connections × 64 KiB JSON-like text, 1 in flight".into(),
            load: Load::Deflate {
                conns: 10,
                size: 64 * 1024,
            },
            metric: Metric::MsgsPerSec,
            server_threads: 1,
            server_cpus: "0",
            instructions: true,
        },
        Scenario {
            id: "mt-pipe-20b",
            title: "100 connections × 20 B text, 16 in flight; server --threads 2 on CPUs 0-1, \
                    loadgen on CPU 1"
                .into(),
            load: Load::Echo {
                conns: 100,
                size: 20,
                inflight: 16,
            },
            metric: Metric::MsgsPerSec,
            server_threads: 2,
            server_cpus: "0,1",
            // The same work per message as `pipe-20b`, on two threads.
            instructions: false,
        },
    ]
}

/// The outcome of one run.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub ok: bool,
    pub error: Option<String>,
    pub value: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub srv_cpu: f64,
    /// Server CPU time (user + system) per message (per handshake in churn), in µs.
    pub cpu_us: f64,
    pub lg_cpu: f64,
    /// CPU used by other processes during the run (percent of one core).
    pub other_cpu: f64,
    pub hwm_kib: Option<u64>,
    /// Frame bytes on the wire per message, both ways (compressed scenarios).
    pub wire: f64,
}

impl Run {
    fn failed(e: impl Into<String>) -> Self {
        Self {
            error: Some(e.into()),
            value: f64::NAN,
            p50_us: f64::NAN,
            p99_us: f64::NAN,
            srv_cpu: f64::NAN,
            cpu_us: f64::NAN,
            lg_cpu: f64::NAN,
            other_cpu: f64::NAN,
            wire: f64::NAN,
            ..Self::default()
        }
    }
}

/// Everything `run_one` needs besides the server and scenario.
struct Ctx {
    settings: Settings,
    loadgen: PathBuf,
    deflate_load: PathBuf,
    log_dir: PathBuf,
    base_port: u16,
    next_port: u16,
}

fn parse_result(stdout: &str) -> Option<HashMap<String, String>> {
    let line = stdout.lines().rev().find(|l| l.starts_with("RESULT "))?;
    Some(
        line["RESULT ".len()..]
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn num(r: &HashMap<String, String>, k: &str) -> f64 {
    r.get(k).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// The load generator's command for a timed run of `sc` (not `idle`):
/// `loadgen`, or `deflate-load` for the compressed scenarios.
fn load_command(
    ctx: &Ctx,
    sc: &Scenario,
    port: u16,
    duration: f64,
    warmup: f64,
    server_pid: Option<u32>,
) -> Command {
    let s = &ctx.settings;
    let bin = match sc.load {
        Load::Deflate { .. } => &ctx.deflate_load,
        _ => &ctx.loadgen,
    };
    let mut lg = procs::pinned(s.pin.then_some("1"), bin);
    lg.arg("--port")
        .arg(port.to_string())
        .arg("--duration")
        .arg(duration.to_string())
        .arg("--warmup")
        .arg(warmup.to_string());
    if let Some(pid) = server_pid {
        lg.arg("--server-pid").arg(pid.to_string());
    }
    match sc.load {
        Load::Echo {
            conns,
            size,
            inflight,
        } => {
            let mode = if inflight > 1 { "pipelined" } else { "echo" };
            lg.args(["--mode", mode, "--connections"])
                .arg(conns.to_string())
                .arg("--size")
                .arg(size.to_string())
                .arg("--inflight")
                .arg(inflight.to_string());
        }
        Load::Large => {
            lg.args(["--mode", "large", "--size"])
                .arg(format!("{}m", s.large_mib))
                .arg("--count")
                .arg(s.large_count.to_string());
        }
        Load::Churn { workers } => {
            lg.args(["--mode", "churn", "--connections"])
                .arg(workers.to_string());
        }
        Load::Deflate { conns, size } => {
            lg.arg("--connections")
                .arg(conns.to_string())
                .arg("--size")
                .arg(size.to_string());
        }
        Load::Idle => {
            lg.args(["--mode", "idle", "--connections"])
                .arg(s.idle_connections.to_string());
        }
    }
    lg
}

/// The server's command line: its binary, `--port`, `--threads`, and
/// `--compress` in the compressed scenarios for the servers that need it.
fn server_args(cmd: &mut Command, server: &ServerDef, sc: &Scenario, port: u16, threads: usize) {
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--threads")
        .arg(threads.to_string());
    if matches!(sc.load, Load::Deflate { .. }) && server.deflate == Deflate::Flag {
        cmd.arg("--compress");
    }
}

fn run_one(ctx: &mut Ctx, server: &ServerDef, sc: &Scenario) -> Run {
    let port = procs::free_port(ctx.base_port, &mut ctx.next_port);
    let pin = ctx.settings.pin;
    let mut cmd = procs::pinned(pin.then_some(sc.server_cpus), &server.bin);
    server_args(&mut cmd, server, sc, port, sc.server_threads);
    let log = procs::log_file(&ctx.log_dir, server.name);
    let mut srv = match Server::start(cmd, port, log) {
        Ok(srv) => srv,
        Err(e) => return Run::failed(e),
    };
    let rss_before = srv.status_kib("VmRSS");
    let s = &ctx.settings;
    let lg = load_command(ctx, sc, port, s.duration, s.warmup, Some(srv.pid()));
    let lg_log = procs::log_file(&ctx.log_dir, "loadgen");
    let mut run = match sc.load {
        Load::Idle => run_idle(lg, lg_log, &srv, rss_before, s),
        _ => {
            let timeout = Duration::from_secs_f64(s.warmup + s.duration + 90.0);
            match procs::run_loadgen(lg, lg_log, timeout) {
                Ok(out) => from_result(parse_result(&out), sc.metric),
                Err(e) => Run::failed(e),
            }
        }
    };
    run.hwm_kib = srv.status_kib("VmHWM");
    if !srv.alive() {
        run = Run::failed("server died during the run");
    }
    srv.stop();
    run
}

fn from_result(r: Option<HashMap<String, String>>, metric: Metric) -> Run {
    let Some(r) = r else {
        return Run::failed("loadgen printed no RESULT line");
    };
    if r.get("ok").map(String::as_str) != Some("true") {
        return Run::failed(format!(
            "loadgen: {} error(s){} (log: bench/target/compare-logs/loadgen.log)",
            r.get("errors").map_or("?", String::as_str),
            r.get("error")
                .map(|e| format!(": {}", e.replace('_', " ")))
                .unwrap_or_default()
        ));
    }
    let value = match metric {
        Metric::MibPerSec => num(&r, "mibps"),
        _ => num(&r, "rate"),
    };
    // Percent of a core over the window ÷ messages per second of that window.
    let srv_cpu = num(&r, "srv_cpu");
    let cpu_us = srv_cpu / 100.0 / num(&r, "rate") * 1e6;
    Run {
        ok: value.is_finite() && value > 0.0,
        error: (!(value.is_finite() && value > 0.0)).then(|| "no messages completed".into()),
        value,
        p50_us: num(&r, "p50_us"),
        p99_us: num(&r, "p99_us"),
        srv_cpu,
        cpu_us,
        lg_cpu: num(&r, "lg_cpu"),
        other_cpu: num(&r, "other_cpu"),
        hwm_kib: None,
        wire: num(&r, "wire_out") + num(&r, "wire_in"),
    }
}

fn run_idle(
    lg: Command,
    log: std::process::Stdio,
    srv: &Server,
    rss_before: Option<u64>,
    s: &Settings,
) -> Run {
    let mut idle = match Idle::start(lg, log) {
        Ok(i) => i,
        Err(e) => return Run::failed(e),
    };
    let ready = idle.wait_ready(Duration::from_secs(120));
    let run = match ready {
        Ok(line) => {
            // Let the server finish whatever it does after the handshakes.
            std::thread::sleep(Duration::from_secs_f64(if s.quick { 0.5 } else { 1.0 }));
            let conns: f64 = line
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("conns="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            match (rss_before, srv.status_kib("VmRSS")) {
                (Some(before), Some(after)) => Run {
                    ok: true,
                    value: (after as f64 - before as f64) / conns,
                    p50_us: f64::NAN,
                    p99_us: f64::NAN,
                    srv_cpu: f64::NAN,
                    cpu_us: f64::NAN,
                    lg_cpu: f64::NAN,
                    other_cpu: f64::NAN,
                    wire: f64::NAN,
                    ..Run::default()
                },
                _ => Run::failed("cannot read the server's VmRSS"),
            }
        }
        Err(e) => Run::failed(e),
    };
    idle.release();
    run
}

fn build_all(opts: &Opts, bench_dir: &Path, log_dir: &Path, servers: &mut [ServerDef]) {
    if opts.no_build {
        return;
    }
    eprintln!("building the peers and the load generator (cargo build --release --bins) ...");
    let ok = procs::build(
        Command::new("cargo")
            .args(["build", "--release", "--bins"])
            .current_dir(bench_dir),
        log_dir,
        "bench-build",
    );
    if !ok {
        eprintln!(
            "error: building bench/ failed; see {}",
            log_dir.join("bench-build.log").display()
        );
        std::process::exit(1);
    }
    let Some(ours) = servers.iter_mut().find(|s| s.name == RFC6455) else {
        return;
    };
    if opts.rfc6455_bin.is_some() {
        return;
    }
    eprintln!(
        "building rfc6455's server (cargo build --release -p rfc6455 --example autobahn-server \
         --manifest-path ../Cargo.toml) ..."
    );
    let ok = procs::build(
        Command::new("cargo")
            .args([
                "build",
                "--release",
                "-p",
                "rfc6455",
                "--example",
                "autobahn-server",
                "--manifest-path",
            ])
            .arg(bench_dir.join("../Cargo.toml"))
            .current_dir(bench_dir),
        log_dir,
        "rfc6455-build",
    );
    if !ok {
        ours.missing = Some(format!(
            "building autobahn-server failed (log: {})",
            log_dir.join("rfc6455-build.log").display()
        ));
    }
}

fn main() {
    let opts = Opts::parse();
    let q = opts.quick;
    let settings = Settings {
        rounds: opts.rounds.unwrap_or(if q { 1 } else { 3 }).max(1),
        duration: opts.duration.unwrap_or(if q { 1.0 } else { 3.0 }),
        warmup: opts.warmup.unwrap_or(if q { 0.3 } else { 1.0 }),
        idle_connections: opts
            .idle_connections
            .unwrap_or(if q { 1000 } else { 10_000 }),
        large_mib: opts.large_mib.unwrap_or(if q { 16 } else { 64 }),
        large_count: opts.large_count.unwrap_or(if q { 2 } else { 5 }).max(1),
        pin: !opts.no_pin,
        quick: q,
        callgrind: !opts.no_callgrind,
        callgrind_short: if q { 0.5 } else { 1.0 },
        callgrind_secs: opts.callgrind_secs.unwrap_or(if q { 1.0 } else { 3.0 }),
    };

    let bench_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root_dir = bench_dir
        .parent()
        .map_or_else(|| bench_dir.join(".."), Path::to_path_buf);
    // The peers and the load generator sit next to this binary.
    let bin_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| bench_dir.join("target/release"));
    let root_target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root_dir.join("target"), PathBuf::from);
    let rfc_bin = opts
        .rfc6455_bin
        .clone()
        .unwrap_or_else(|| root_target.join("release/examples/autobahn-server"));

    let mut all_servers = vec![
        ServerDef {
            name: RFC6455,
            bin: rfc_bin,
            missing: None,
            // autobahn-server always accepts permessage-deflate.
            deflate: Deflate::Always,
        },
        ServerDef {
            name: TUNGSTENITE,
            bin: bin_dir.join("tungstenite-echo"),
            missing: None,
            deflate: Deflate::No,
        },
        ServerDef {
            name: "fastwebsockets",
            bin: bin_dir.join("fastwebsockets-echo"),
            missing: None,
            deflate: Deflate::No,
        },
        ServerDef {
            name: "tokio-websockets",
            bin: bin_dir.join("tokio-websockets-echo"),
            missing: None,
            deflate: Deflate::No,
        },
        ServerDef {
            name: "wtx",
            bin: bin_dir.join("wtx-echo"),
            missing: None,
            deflate: Deflate::No,
        },
        ServerDef {
            name: "yawc",
            bin: bin_dir.join("yawc-echo"),
            missing: None,
            deflate: Deflate::Flag,
        },
        ServerDef {
            name: RAW,
            bin: bin_dir.join("raw-echo"),
            missing: None,
            deflate: Deflate::No,
        },
    ];
    let all_scenarios = scenarios(&settings);

    if opts.list {
        println!("servers:");
        for s in &all_servers {
            println!("  {:<18} {}", s.name, s.bin.display());
        }
        println!("scenarios:");
        for s in &all_scenarios {
            println!("  {:<12} {} [{}]", s.id, s.title, s.metric.unit());
        }
        return;
    }

    let readme = root_dir.join("README.md");
    let default_out = bench_dir.join("results");
    if opts.readme {
        if !publish_readme(&readme, &default_out.join("latest.md")) {
            std::process::exit(1);
        }
        return;
    }

    let mut servers: Vec<ServerDef> = match &opts.servers {
        Some(names) => {
            for n in names {
                if !all_servers.iter().any(|s| s.name == n) {
                    eprintln!("error: unknown server {n:?} (see --list)");
                    std::process::exit(2);
                }
            }
            all_servers.retain(|s| names.iter().any(|n| n == s.name));
            all_servers
        }
        None => all_servers,
    };
    let scenarios: Vec<Scenario> = match &opts.scenarios {
        Some(ids) => {
            for id in ids {
                if !all_scenarios.iter().any(|s| s.id == id) {
                    eprintln!("error: unknown scenario {id:?} (see --list)");
                    std::process::exit(2);
                }
            }
            all_scenarios
                .into_iter()
                .filter(|s| ids.iter().any(|i| i == s.id))
                .collect()
        }
        None => all_scenarios,
    };

    let log_dir = bench_dir.join("target/compare-logs");
    let _ = std::fs::create_dir_all(&log_dir);
    let nofile = procs::raise_nofile_limit();
    build_all(&opts, &bench_dir, &log_dir, &mut servers);
    for s in &mut servers {
        if s.missing.is_none() && !s.bin.is_file() {
            s.missing = Some(format!("no binary at {}", s.bin.display()));
        }
    }
    for s in servers.iter().filter(|s| s.missing.is_some()) {
        eprintln!(
            "WARNING: server {} is MISSING: {}",
            s.name,
            s.missing.as_deref().unwrap_or("")
        );
    }
    if servers
        .iter()
        .any(|s| s.name == RFC6455 && s.missing.is_some())
    {
        eprintln!("WARNING: ratios are computed against {TUNGSTENITE} instead of {RFC6455}.");
    }
    if let Some(b) = &opts.rfc6455_bin {
        eprintln!(
            "NOTE: {RFC6455} is played by {} (--rfc6455-bin): its numbers are not rfc6455's.",
            b.display()
        );
    }
    let settings = if settings.pin && !procs::have_taskset() {
        eprintln!("WARNING: taskset does not work here; running without CPU pinning");
        Settings {
            pin: false,
            ..settings
        }
    } else {
        settings
    };
    let settings = if settings.callgrind && !callgrind::available() {
        eprintln!(
            "WARNING: valgrind --tool=callgrind does not run here: no instructions per message \
             (install valgrind, or pass --no-callgrind)"
        );
        Settings {
            callgrind: false,
            ..settings
        }
    } else {
        settings
    };
    if settings.idle_connections + 100 > nofile as usize {
        eprintln!(
            "WARNING: open-file limit {nofile} is too low for {} idle connections",
            settings.idle_connections
        );
    }

    let runnable: Vec<&ServerDef> = servers.iter().filter(|s| s.missing.is_none()).collect();
    let total_runs: usize = scenarios
        .iter()
        .map(|sc| settings.rounds * runnable.iter().filter(|s| takes_part(s, sc)).count())
        .sum();
    eprintln!(
        "{} scenario(s) × {} round(s) × {} server(s) = {total_runs} runs of ~{:.1} s",
        scenarios.len(),
        settings.rounds,
        runnable.len(),
        settings.warmup + settings.duration
    );
    if settings.callgrind {
        let counted = scenarios.iter().filter(|s| s.instructions).count();
        eprintln!(
            "then, per scenario, instructions per message under callgrind: {} × {} server(s) × \
             2 runs ({} s and {} s measured)",
            counted,
            runnable.len(),
            settings.callgrind_short,
            settings.callgrind_short + settings.callgrind_secs
        );
    }

    let mut ctx = Ctx {
        settings: settings.clone(),
        loadgen: bin_dir.join("loadgen"),
        deflate_load: bin_dir.join("deflate-load"),
        log_dir: log_dir.clone(),
        base_port: opts.base_port,
        next_port: 0,
    };
    let started = Instant::now();
    let mut done = 0;
    let mut results: Vec<report::ScenarioResult> = Vec::new();
    for sc in &scenarios {
        eprintln!("\n=== {}: {}", sc.id, sc.title);
        let mut runs: HashMap<&'static str, Vec<Run>> = HashMap::new();
        for round in 0..settings.rounds {
            for server in runnable.iter().filter(|s| takes_part(s, sc)) {
                done += 1;
                let r = run_one(&mut ctx, server, sc);
                eprintln!(
                    "[{done}/{total_runs} {:>4.0}s] {} round {}/{} {:<17} {}",
                    started.elapsed().as_secs_f64(),
                    sc.id,
                    round + 1,
                    settings.rounds,
                    server.name,
                    report::describe_run(&r, sc.metric)
                );
                runs.entry(server.name).or_default().push(r);
            }
        }
        let mut instructions = HashMap::new();
        if settings.callgrind && sc.instructions {
            for server in runnable.iter().filter(|s| takes_part(s, sc)) {
                let m = callgrind::measure(&mut ctx, server, sc);
                eprintln!(
                    "[{:>4.0}s] {} callgrind {:<17} {}",
                    started.elapsed().as_secs_f64(),
                    sc.id,
                    server.name,
                    match &m {
                        Ok(m) => format!(
                            "{:.0} instructions per {} (over {} messages)",
                            m.per_msg,
                            if matches!(sc.load, Load::Churn { .. }) {
                                "handshake"
                            } else {
                                "message"
                            },
                            m.msgs
                        ),
                        Err(e) => format!("FAILED: {e}"),
                    }
                );
                instructions.insert(server.name, m);
            }
        }
        let result = report::ScenarioResult::new(sc.clone(), &servers, runs, instructions);
        println!("\n{}", report::scenario_markdown(&result, &results));
        results.push(result);
    }
    eprintln!(
        "\nall runs done in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let out_dir = opts.out.clone().unwrap_or_else(|| default_out.clone());
    let _ = std::fs::create_dir_all(&out_dir);
    let md = report::full_markdown(
        &results,
        &servers,
        &settings,
        &opts_line(),
        &root_dir,
        opts.rfc6455_bin.as_deref(),
    );
    let svg = report::svg_chart(&results, &servers);
    let cost_svg = report::svg_cost_chart(&results, &servers);
    for (name, body) in [
        ("latest.md", md),
        ("latest.svg", svg),
        ("latest-cost.svg", cost_svg),
    ] {
        let path = out_dir.join(name);
        match std::fs::write(&path, body) {
            Ok(()) => eprintln!("wrote {}", path.display()),
            Err(e) => eprintln!("error: cannot write {}: {e}", path.display()),
        }
    }
    if opts.out.is_none() {
        publish_readme(&readme, &out_dir.join("latest.md"));
    }
}

/// Whether `server` runs in `sc`: the compressed scenarios only for the
/// servers with permessage-deflate.
fn takes_part(server: &ServerDef, sc: &Scenario) -> bool {
    !matches!(sc.load, Load::Deflate { .. }) || server.deflate != Deflate::No
}

/// Copy the report's summary into the README; false (with the reason on stderr) if
/// that failed.
fn publish_readme(readme: &Path, report: &Path) -> bool {
    match readme::update(readme, report) {
        Ok(changed) => {
            let what = if changed { "updated" } else { "unchanged:" };
            eprintln!("{what} {} (from {})", readme.display(), report.display());
            true
        }
        Err(e) => {
            eprintln!("error: README not updated: {e}");
            false
        }
    }
}

fn opts_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        "compare".into()
    } else {
        format!("compare {}", args.join(" "))
    }
}
