//! The command line: every subcommand, flag and help text, in one clap definition that the
//! program, the shell completions and the man page all read.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes of `rfc6455 connect`, shown in its `--help`.
pub(crate) const CONNECT_EXIT_CODES: &str = "\
Exit codes:
  0  connected, and the connection closed normally (1000, a close without a code, or the
     echo of our own --close-code)
  1  a local problem: an unreadable file, a bad header, stdin not UTF-8 for a text message
  2  the command line is wrong
  3  the server refused the handshake (an HTTP status other than 101, or a redirect not followed)
  4  the connection closed with an error close code (sent by the peer, or by us for a protocol error)
  5  a network error: no connection, TLS refused, reset, timeout, closed without a closing handshake

Examples:
  rfc6455 connect ws://localhost:8081/             # interactive on a terminal
  echo hello | rfc6455 connect ws://localhost:8081/
  rfc6455 connect --json ws://localhost:8081/ < lines.txt | jq .payload
  rfc6455 connect -H 'Authorization: Bearer t0k3n' --protocol chat wss://example.com/ws
  rfc6455 connect --whole --binary --one-message ws://localhost:8081/ < image.png > echo.png";

const SERVE_HELP: &str = "\
Examples:
  rfc6455 serve                          # echo server on ws://0.0.0.0:8081/, demo page at /
  rfc6455 serve --broadcast --port 9000  # a chat room: every message to every client
  rfc6455 serve --exec 'wc -c'           # one process per connection, stdin/stdout bridged
  rfc6455 serve --static ./public        # a folder on the same port
  rfc6455 serve --tls-cert cert.pem --tls-key key.pem --port 8443";

/// `rfc6455`: a WebSocket client, server, pipe and exec bridge.
#[derive(Debug, Parser)]
#[command(name = "rfc6455", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Connect to a WebSocket server: interactive on a terminal, a pipe otherwise.
    #[command(after_help = CONNECT_EXIT_CODES)]
    Connect(ConnectArgs),
    /// Serve WebSockets: echo (the default), a broadcast room, or a program per connection.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Load an echo server: many connections, messages of a size, some in flight each;
    /// throughput, latency percentiles and a histogram.
    #[command(after_help = crate::bench::EXIT_CODES)]
    Bench(BenchArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  rfc6455 completions bash > ~/.local/share/bash-completion/completions/rfc6455"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff) on stdout: the tool's, or one subcommand's.
    #[command(
        after_help = "Examples:\n  rfc6455 man > rfc6455.1 && man ./rfc6455.1\n  rfc6455 man connect > rfc6455-connect.1"
    )]
    Man {
        /// The subcommand (`connect`, `serve`, `completions`); none: the tool's page.
        subcommand: Option<String>,
    },
}

/// How stdin becomes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputMode {
    /// One message per line (the newline is not sent).
    Lines,
    /// One message of all of stdin, sent at its end.
    Whole,
}

/// `rfc6455 connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The server: `ws://host[:port]/path` or `wss://…`.
    pub(crate) url: String,
    /// One message per line of stdin (the default).
    #[arg(long, conflicts_with = "whole")]
    pub(crate) lines: bool,
    /// One message of all of stdin, sent when stdin ends.
    #[arg(long)]
    pub(crate) whole: bool,
    /// Send binary messages instead of text (per line, or whole with `--whole`).
    #[arg(long)]
    pub(crate) binary: bool,
    /// Print each message received as one JSON object per line:
    /// {"time","kind","size","payload"} (binary payloads in base64).
    #[arg(long)]
    pub(crate) json: bool,
    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,
    /// A subprotocol to offer (repeatable, in order of preference).
    #[arg(long = "protocol", value_name = "NAME")]
    pub(crate) protocols: Vec<String>,
    /// The `Origin` header.
    #[arg(long)]
    pub(crate) origin: Option<String>,
    /// Negotiate permessage-deflate compression.
    #[arg(long)]
    pub(crate) compress: bool,
    /// Send a ping every SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) ping_interval: Option<f64>,
    /// Open the WebSocket as a stream of an HTTP/2 connection (RFC 8441) when a `wss://`
    /// server offers it by ALPN; HTTP/1.1 otherwise.
    #[arg(long, conflicts_with = "h2c")]
    pub(crate) http2: bool,
    /// HTTP/2 or fail: by ALPN on `wss://`, in cleartext with prior knowledge (h2c) on
    /// `ws://`.
    #[arg(long)]
    pub(crate) h2c: bool,
    /// Trust this CA certificate (PEM) for `wss://`, besides the usual roots.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// Do not verify the server's certificate (DANGEROUS: anyone can read and change
    /// the traffic).
    #[arg(short = 'k', long)]
    pub(crate) insecure: bool,
    /// The largest message accepted, in bytes; a larger one closes with 1009.
    #[arg(long, value_name = "BYTES", default_value_t = rfc6455::Limits::DEFAULT_MAX_MESSAGE_SIZE)]
    pub(crate) max_message: u64,
    /// Exit after the first message received (stdin is not read further).
    #[arg(long)]
    pub(crate) one_message: bool,
    /// The close code sent when stdin ends or on exit.
    #[arg(long, value_name = "CODE", default_value_t = 1000)]
    pub(crate) close_code: u16,
    /// The close reason sent with it.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub(crate) close_reason: String,
    /// After stdin ends, wait until nothing has arrived for SECS before closing (what
    /// arrives after our close is dropped).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub(crate) linger: f64,
    /// Ignore the HTTP(S)_PROXY / ALL_PROXY / NO_PROXY environment variables.
    #[arg(long)]
    pub(crate) no_proxy: bool,
    /// Print nothing on stderr but errors (no close code at the end).
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

impl ConnectArgs {
    /// The input mode the flags select.
    pub(crate) fn input_mode(&self) -> InputMode {
        if self.whole {
            InputMode::Whole
        } else {
            InputMode::Lines
        }
    }
}

/// What `serve` does with each connection.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub(crate) struct Behaviour {
    /// Send every message back (the default).
    #[arg(long)]
    pub(crate) echo: bool,
    /// Send every message to every client, the sender too (a chat room); a client more than
    /// 1024 messages behind is closed with 1008.
    #[arg(long)]
    pub(crate) broadcast: bool,
    /// Run CMD (with `sh -c`) for each connection: messages go to its stdin (text with a
    /// newline), each line it prints is a message; it ends when the socket does and the
    /// other way round.
    #[arg(long, value_name = "CMD")]
    pub(crate) exec: Option<String>,
}

/// `rfc6455 serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The port (0 picks a free one).
    #[arg(short, long, default_value_t = 8081)]
    pub(crate) port: u16,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub(crate) listen: IpAddr,
    /// What each connection gets.
    #[command(flatten)]
    pub(crate) behaviour: Behaviour,
    /// Serve this folder over plain HTTP on the same port; without DIR, the demo page.
    #[arg(long = "static", value_name = "DIR", num_args = 0..=1)]
    pub(crate) static_dir: Option<Option<PathBuf>>,
    /// The certificate chain (PEM) to serve `wss://` with.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Negotiate permessage-deflate compression.
    #[arg(long)]
    pub(crate) compress: bool,
    /// Also accept the legacy hybi-00 draft (draft-76) clients.
    #[arg(long)]
    pub(crate) hybi00: bool,
    /// Also accept cleartext HTTP/2 with prior knowledge (h2c), each WebSocket a stream
    /// (RFC 8441). Over TLS, HTTP/2 is chosen by ALPN without this flag.
    #[arg(long)]
    pub(crate) h2c: bool,
    /// A subprotocol served (repeatable): the first one a client offers that is in this list
    /// is chosen.
    #[arg(long = "protocol", value_name = "NAME")]
    pub(crate) protocols: Vec<String>,
    /// At most N connections at once; more are refused with 503.
    #[arg(long, value_name = "N")]
    pub(crate) max_connections: Option<usize>,
    /// The largest message accepted, in bytes; a larger one closes with 1009.
    #[arg(long, value_name = "BYTES", default_value_t = rfc6455::Limits::DEFAULT_MAX_MESSAGE_SIZE)]
    pub(crate) max_message: u64,
    /// Log every message too.
    #[arg(short, long, conflicts_with = "quiet")]
    pub(crate) verbose: bool,
    /// Log nothing but errors.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// `rfc6455 bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The echo server: `ws://host[:port]/path`.
    pub(crate) url: String,
    /// Connections (workers with --churn).
    #[arg(short, long, default_value_t = 100)]
    pub(crate) connections: usize,
    /// Payload bytes per message; `k` and `m` suffixes for KiB and MiB.
    #[arg(short, long, default_value = "20", value_parser = rfc6455_loadgen::parse_size)]
    pub(crate) size: usize,
    /// Messages in flight per connection.
    #[arg(short = 'k', long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) inflight: u64,
    /// Seconds measured, after the warm-up.
    #[arg(short, long, default_value_t = 5.0)]
    pub(crate) duration: f64,
    /// Seconds of warm-up, not measured.
    #[arg(short, long, default_value_t = 1.0)]
    pub(crate) warmup: f64,
    /// Send this many messages per connection, all measured, instead of a duration.
    #[arg(short = 'n', long, value_name = "N", conflicts_with_all = ["duration", "churn"])]
    pub(crate) count: Option<u64>,
    /// Binary messages (pseudo-random bytes) instead of text (ASCII).
    #[arg(long)]
    pub(crate) binary: bool,
    /// Connection churn: each worker connects, upgrades and closes, again and again.
    #[arg(long)]
    pub(crate) churn: bool,
    /// Compress: offer permessage-deflate and send JSON-like text, no two messages alike,
    /// compressed at LEVEL (0–9, default 6); every echo is inflated and checked, and a
    /// server that does not accept the extension fails the run. One message in flight.
    #[arg(long, value_name = "LEVEL", num_args = 0..=1, default_missing_value = "6",
          value_parser = clap::value_parser!(u32).range(0..=9), conflicts_with_all = ["binary", "churn", "inflight"])]
    pub(crate) compress: Option<u32>,
    /// The server's process id (same machine): report its CPU use.
    #[arg(long, value_name = "PID")]
    pub(crate) server_pid: Option<u32>,
    /// One JSON object at the end instead of the summary (and no progress line).
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
