//! What a run does: the server to load, the scenario and its sizes. Fixed before the run.

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// The scenario a run plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `connections` connections, one message in flight each, for `duration` after
    /// `warmup`.
    Echo,
    /// `connections` connections, `inflight` messages in flight each.
    Pipelined,
    /// Open `connections` connections and hold them, sending nothing (see [`run`]'s
    /// `hold`).
    ///
    /// [`run`]: crate::run
    Idle,
    /// `connections` workers, each looping connect, upgrade, close for `duration`.
    Churn,
    /// One connection echoing `count` messages of `size` one at a time (after one
    /// warm-up message).
    Large,
}

/// The type of the messages sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text below 1 MiB, binary from 1 MiB.
    Auto,
    /// Text frames with an ASCII payload (so the server validates UTF-8).
    Text,
    /// Binary frames with pseudo-random bytes.
    Binary,
}

/// The WebSocket server a run loads: where to connect and what to ask for.
///
/// ```
/// use rfc6455_loadgen::Target;
///
/// let t = Target::parse("ws://127.0.0.1:9001/echo?x=1").unwrap();
/// assert_eq!(t.host, "127.0.0.1:9001");
/// assert_eq!(t.path, "/echo?x=1");
/// assert!(Target::parse("wss://example.com/").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address connections are made to.
    pub addr: SocketAddr,
    /// The `Host` header's value.
    pub host: String,
    /// The request target: path and query.
    pub path: String,
}

impl Target {
    /// A server on 127.0.0.1:`port`, path `/`.
    ///
    /// ```
    /// let t = rfc6455_loadgen::Target::loopback(9001);
    /// assert_eq!(t.addr.port(), 9001);
    /// ```
    pub fn loopback(port: u16) -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            host: format!("127.0.0.1:{port}"),
            path: "/".to_owned(),
        }
    }

    /// A `ws://host[:port][/path]` URL, its host name resolved now (the first address
    /// is used). `wss://` is refused: the load generator speaks plain TCP only.
    ///
    /// ```
    /// let t = rfc6455_loadgen::Target::parse("ws://localhost:8081").unwrap();
    /// assert_eq!(t.path, "/");
    /// ```
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("wss://") {
            return Err(format!(
                "{url}: wss:// is not supported by the load generator (plain ws:// only)"
            ));
        }
        let Some(rest) = url.strip_prefix("ws://") else {
            return Err(format!("{url}: expected a ws:// URL"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("{url}: expected ws://host[:port]/path"));
        }
        let with_port = if authority.rsplit_once(':').is_some_and(|(h, p)| {
            !h.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
        }) {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let addr = with_port
            .to_socket_addrs()
            .map_err(|e| format!("{url}: cannot resolve {authority}: {e}"))?
            .next()
            .ok_or_else(|| format!("{url}: {authority} has no address"))?;
        Ok(Self {
            addr,
            host: authority.to_owned(),
            path,
        })
    }
}

/// Everything a run needs, fixed before it starts.
///
/// ```
/// use rfc6455_loadgen::{Settings, Target};
///
/// let s = Settings { connections: 4, size: 1024, ..Settings::new(Target::loopback(9001)) };
/// assert_eq!(s.inflight, 16);
/// ```
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server.
    pub target: Target,
    /// The scenario. Default [`Mode::Echo`].
    pub mode: Mode,
    /// Connections (echo, pipelined, idle) or concurrent workers (churn). Default 100.
    pub connections: usize,
    /// Payload bytes per message. Default 20.
    pub size: usize,
    /// Messages in flight per connection in [`Mode::Pipelined`]. Default 16.
    pub inflight: usize,
    /// The measured time, after the warm-up. Default 3 s.
    pub duration: Duration,
    /// The warm-up, not measured. Default 1 s.
    pub warmup: Duration,
    /// Measured messages in [`Mode::Large`]. Default 3.
    pub count: usize,
    /// In [`Mode::Echo`] and [`Mode::Pipelined`]: each connection sends this many
    /// messages and closes, all of them measured (no warm-up, no `duration`). Default
    /// none: send for `duration`.
    pub messages: Option<u64>,
    /// The message type. Default [`Kind::Auto`].
    pub kind: Kind,
    /// The server's process id, to report its CPU use over the measured window (same
    /// machine only). Default none.
    pub server_pid: Option<u32>,
    /// Handshakes in progress at once while opening connections. Default 128.
    pub connect_concurrency: usize,
    /// Compress: offer permessage-deflate (RFC 7692), fail a connection whose server does
    /// not accept it, and send JSON-like text messages (no two alike) compressed at this
    /// DEFLATE level (0–9), inflating and checking every echo; [`Mode::Echo`] only.
    /// Default none.
    pub deflate_level: Option<u32>,
    /// How long a connection waits for the server's handshake answer, and for its close
    /// at the end. Default 10 s (longer for a server running under a profiler).
    pub patience: Duration,
}

impl Settings {
    /// The defaults above, against `target`.
    ///
    /// ```
    /// let s = rfc6455_loadgen::Settings::new(rfc6455_loadgen::Target::loopback(1));
    /// assert_eq!(s.connections, 100);
    /// ```
    pub fn new(target: Target) -> Self {
        Self {
            target,
            mode: Mode::Echo,
            connections: 100,
            size: 20,
            inflight: 16,
            duration: Duration::from_secs(3),
            warmup: Duration::from_secs(1),
            count: 3,
            messages: None,
            kind: Kind::Auto,
            server_pid: None,
            connect_concurrency: 128,
            patience: Duration::from_secs(10),
            deflate_level: None,
        }
    }

    /// Whether messages are text (else binary), and their opcode.
    pub(crate) fn message_kind(&self) -> (bool, u8) {
        let text = match self.kind {
            Kind::Text => true,
            Kind::Binary => false,
            Kind::Auto => self.size < 1024 * 1024,
        };
        (
            text,
            if text {
                crate::wire::OP_TEXT
            } else {
                crate::wire::OP_BINARY
            },
        )
    }

    /// Messages in flight per connection in this mode.
    pub(crate) fn inflight(&self) -> usize {
        match self.mode {
            Mode::Pipelined => self.inflight.max(1),
            _ => 1,
        }
    }
}

/// Parses a size with an optional `k` (KiB) or `m` (MiB) suffix.
///
/// ```
/// assert_eq!(rfc6455_loadgen::parse_size("16k"), Ok(16 * 1024));
/// ```
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = match s.as_bytes().last() {
        Some(b'k') => (&s[..s.len() - 1], 1024),
        Some(b'm') => (&s[..s.len() - 1], 1024 * 1024),
        _ => (&s[..], 1),
    };
    num.parse::<usize>()
        .map(|n| n * mul)
        .map_err(|e| format!("bad size {s:?}: {e}"))
}
