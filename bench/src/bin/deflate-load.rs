//! Load generator for the compressed scenarios: the command line of `rfc6455-loadgen`'s
//! compressed echo (`Settings::deflate_level`). C connections negotiate
//! permessage-deflate (RFC 7692), each echoing one JSON-like text message of `--size`
//! bytes at a time for `--duration` seconds after `--warmup`; no two messages are the
//! same; every echo is inflated and compared with what was sent. A server that does not
//! accept the extension fails the run.
//!
//! Prints one `RESULT key=value ...` line on stdout, with the fields of `loadgen` plus
//! `wire_out` / `wire_in` (frame bytes per message sent and received) and `ratio`
//! (payload bytes ÷ bytes on the wire, both ways).

use std::io;
use std::rc::Rc;
use std::time::Duration;

use clap::Parser;
use rfc6455_loadgen::{Live, Settings, Target, parse_size, run};

#[derive(Debug, Clone, Parser)]
#[command(about = "permessage-deflate echo load generator")]
struct Args {
    /// Server port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    /// Connections, one message in flight each.
    #[arg(long, short = 'c', default_value_t = 100)]
    connections: usize,
    /// Payload bytes per message (JSON-like text); accepts k/m suffixes (KiB, MiB).
    #[arg(long, short = 's', default_value = "1k", value_parser = parse_size)]
    size: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, short = 'd', default_value_t = 3.0)]
    duration: f64,
    /// Warm-up seconds, not measured.
    #[arg(long, short = 'w', default_value_t = 1.0)]
    warmup: f64,
    /// DEFLATE level of the client's compressor.
    #[arg(long, default_value_t = 6)]
    level: u32,
    /// Server process id: report its CPU use over the measured window.
    #[arg(long)]
    server_pid: Option<u32>,
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    rfc6455_loadgen::raise_nofile_limit();
    let settings = Settings {
        connections: args.connections,
        size: args.size,
        duration: Duration::from_secs_f64(args.duration),
        warmup: Duration::from_secs_f64(args.warmup),
        server_pid: args.server_pid,
        deflate_level: Some(args.level),
        // A server under callgrind answers a hundred handshakes and closes slowly.
        patience: Duration::from_secs(30),
        ..Settings::new(Target::loopback(args.port))
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let fields = match local.block_on(&rt, run(&settings, Rc::new(Live::default()))) {
        Ok(report) => {
            if let (Some(wire), Some(e)) = (&report.wire, &report.first_error) {
                eprintln!("deflate-load: first error: {e} ({wire:?})");
            }
            if let Some(wire) = &report.wire {
                eprintln!(
                    "deflate-load: {:.0} msg/s, {:.0} B out + {:.0} B in on the wire per {} B \
                     message ({} of {} echoes compressed), {}",
                    report.rate,
                    wire.out_per_message,
                    wire.in_per_message,
                    report.size,
                    wire.compressed_echoes,
                    report.messages,
                    report.cpu.describe()
                );
            }
            report.fields()
        }
        Err(e) => {
            eprintln!("deflate-load: {e}");
            vec![
                ("errors", "1".into()),
                ("ok", "false".into()),
                ("error", e.to_string().replace(char::is_whitespace, "_")),
            ]
        }
    };
    let line: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
    Ok(())
}
