//! `bench`: the load generator (`rfc6455-loadgen`, the one the benchmark harness uses)
//! against any WebSocket echo server, with a live progress line on a terminal and a
//! summary with a latency histogram, or `--json`, at the end.

use std::io::{IsTerminal as _, Write as _};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rfc6455_loadgen::{Kind, Live, Mode, Report, Settings, Target};

use crate::cli::BenchArgs;

/// Exit codes of `bench`, shown in its `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  every message came back intact
  1  some connections failed (a wrong or missing echo, a close with echoes outstanding)
  2  the command line is wrong
  3  the server refused the handshake
  5  a network error: no connection, reset, timeout

Examples:
  rfc6455 bench ws://127.0.0.1:8081/                      # 100 connections, 20 B, 5 s
  rfc6455 bench -c 16 -s 16k -k 16 ws://127.0.0.1:8081/   # 16 KiB, 16 in flight each
  rfc6455 bench -c 1000 --count 100 --binary ws://host:9001/echo
  rfc6455 bench --churn -c 8 ws://127.0.0.1:8081/          # connect, upgrade, close; repeat
  rfc6455 bench --compress -s 4k ws://127.0.0.1:8081/     # permessage-deflate, JSON text
  rfc6455 bench --json ws://127.0.0.1:8081/ | jq .rate

The server must echo every message (text as text, binary as binary). The load generator
runs on one thread with pre-built frames and checks every echoed byte; its masking key is
fixed (it is a measuring tool: it sends only its own payloads). ws:// only.";

/// Runs the benchmark; returns the exit code.
pub(crate) fn run(args: BenchArgs) -> i32 {
    let target = match Target::parse(&args.url) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let settings = Settings {
        mode: if args.churn {
            Mode::Churn
        } else if args.inflight > 1 {
            Mode::Pipelined
        } else {
            Mode::Echo
        },
        connections: args.connections,
        size: args.size,
        inflight: usize::try_from(args.inflight).unwrap_or(usize::MAX),
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_secs_f64(if args.count.is_some() {
            0.0
        } else {
            args.warmup
        }),
        messages: args.count,
        kind: if args.binary {
            Kind::Binary
        } else {
            Kind::Text
        },
        server_pid: args.server_pid,
        deflate_level: args.compress,
        ..Settings::new(target)
    };
    rfc6455_loadgen::raise_nofile_limit();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let live = Rc::new(Live::default());
    let progress = !args.json && std::io::stderr().is_terminal();
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, async {
        let load = rfc6455_loadgen::run(&settings, live.clone());
        if !progress {
            return load.await;
        }
        let ticker = tick(&live);
        tokio::pin!(load, ticker);
        tokio::select! {
            result = &mut load => result,
            () = &mut ticker => unreachable!("the progress line never ends"),
        }
    });
    if progress {
        eprint!("\r\x1b[K");
    }
    match result {
        Ok(report) => {
            if args.json {
                println!("{}", json(&args.url, &report));
            } else {
                print!("{}", summary(&args.url, &settings, &report));
            }
            let _ = std::io::stdout().flush();
            if report.ok() { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("error: {e}");
            let message = e.to_string();
            if message.contains("handshake status")
                || message.contains("did not accept permessage-deflate")
            {
                3
            } else {
                5
            }
        }
    }
}

/// Every second, the progress line: elapsed time, messages per second over the last
/// second, its p50/p99, errors so far.
async fn tick(live: &Live) {
    let start = Instant::now();
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.tick().await;
    let mut last = live.echoes();
    loop {
        every.tick().await;
        let echoes = live.echoes();
        let mut lat = live.take_latencies();
        lat.sort_unstable();
        let q = |p: f64| {
            lat.get(((lat.len().max(1) - 1) as f64 * p) as usize)
                .map_or(f64::NAN, |&ns| ns as f64 / 1e3)
        };
        eprint!(
            "\r\x1b[K{:>6.1} s  {:>10} msg/s  p50 {}  p99 {}  {} errors",
            start.elapsed().as_secs_f64(),
            thousands(echoes - last),
            micros(q(0.50)),
            micros(q(0.99)),
            live.errors()
        );
        last = echoes;
    }
}

/// `1234567` → `1 234 567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A latency in µs, or ms from 10 ms.
fn micros(us: f64) -> String {
    if us.is_nan() {
        "-".to_owned()
    } else if us >= 10_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{us:.1} µs")
    }
}

/// The summary for people: what ran, throughput, latency percentiles, errors and a
/// latency histogram.
fn summary(url: &str, settings: &Settings, r: &Report) -> String {
    let kind = if r.text { "text" } else { "binary" };
    let what = match r.mode {
        Mode::Churn => format!(
            "{} workers connecting, upgrading and closing",
            r.connections
        ),
        _ => format!(
            "{} connections, {} B {kind} messages, {} in flight each",
            r.connections, r.size, r.inflight
        ),
    };
    let unit = if r.mode == Mode::Churn {
        "handshakes"
    } else {
        "messages"
    };
    let mut out = format!("rfc6455 bench {url}: {what}\n");
    out += &match settings.messages {
        Some(n) => format!(
            "  run        {n} messages per connection in {:.2} s\n",
            r.secs
        ),
        None => format!(
            "  run        {:.1} s measured after {:.1} s of warm-up\n",
            r.secs,
            settings.warmup.as_secs_f64()
        ),
    };
    out += &format!(
        "  {unit:<10} {} ({} /s{})\n",
        thousands(r.messages),
        thousands(r.rate.round() as u64),
        if r.mode == Mode::Churn {
            String::new()
        } else {
            format!(", {:.2} MiB/s each way", r.mibps)
        }
    );
    out += &format!(
        "  latency    p50 {}  p90 {}  p99 {}  max {}\n",
        micros(r.percentile_us(50.0)),
        micros(r.percentile_us(90.0)),
        micros(r.percentile_us(99.0)),
        micros(r.percentile_us(100.0))
    );
    if let Some(wire) = &r.wire {
        out += &format!(
            "  on the wire {:.0} B out, {:.0} B in per message ({:.1}× smaller; {} of {} echoes compressed)\n",
            wire.out_per_message,
            wire.in_per_message,
            2.0 * r.size as f64 / (wire.out_per_message + wire.in_per_message),
            wire.compressed_echoes,
            r.messages
        );
    }
    if let Some(server) = r.cpu.server {
        out += &format!("  server CPU {server:.0}% of one core\n");
    }
    out += &format!("  errors     {}", r.errors);
    if let Some(e) = &r.first_error {
        out += &format!(" (the first: {e})");
    }
    out += "\n";
    let histogram = r.histogram();
    let most = histogram.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    if !histogram.is_empty() {
        out += "  latency histogram:\n";
    }
    for (upper_us, n) in histogram {
        let bar = "#".repeat(((n * 40).div_ceil(most)) as usize);
        let line = format!(
            "    < {:>9}  {:>10}  {bar}",
            micros(upper_us as f64),
            thousands(n)
        );
        out += line.trim_end();
        out += "\n";
    }
    out
}

/// The report as one JSON object.
fn json(url: &str, r: &Report) -> serde_json::Value {
    let number = |v: f64| {
        if v.is_finite() {
            serde_json::json!(v)
        } else {
            serde_json::Value::Null
        }
    };
    serde_json::json!({
        "url": url,
        "mode": format!("{:?}", r.mode).to_lowercase(),
        "connections": r.connections,
        "size": r.size,
        "kind": if r.text { "text" } else { "binary" },
        "inflight": r.inflight,
        "messages": r.messages,
        "seconds": r.secs,
        "rate": r.rate,
        "mib_per_s": r.mibps,
        "latency_us": {
            "p50": number(r.percentile_us(50.0)),
            "p90": number(r.percentile_us(90.0)),
            "p99": number(r.percentile_us(99.0)),
            "max": number(r.percentile_us(100.0)),
        },
        "histogram_us": r.histogram().iter().map(|(upper, n)| serde_json::json!({"below": upper, "count": n})).collect::<Vec<_>>(),
        "server_cpu_percent": r.cpu.server,
        "wire": r.wire.map(|w| serde_json::json!({
            "out_per_message": w.out_per_message,
            "in_per_message": w.in_per_message,
            "compressed_echoes": w.compressed_echoes,
        })),
        "errors": r.errors,
        "first_error": r.first_error,
        "ok": r.ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1 000");
        assert_eq!(thousands(1_234_567), "1 234 567");
    }

    #[test]
    fn latencies_read_in_the_right_unit() {
        assert_eq!(micros(42.04), "42.0 µs");
        assert_eq!(micros(12_500.0), "12.5 ms");
        assert_eq!(micros(f64::NAN), "-");
    }
}
