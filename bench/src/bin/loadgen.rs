//! Load generator for the echo servers. Single-threaded (tokio current_thread
//! runtime; the harness pins it to its own core), no WebSocket library: its
//! own opening handshake, pre-built masked frames and a streaming parser that
//! checks every echoed byte (see `rfc6455_bench::wire`).
//!
//! Prints human-readable progress on stderr and exactly one machine-readable
//! `RESULT key=value ...` line on stdout (idle mode first prints `READY ...`
//! and then holds the connections until stdin is closed or a line arrives).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::StreamExt as _;
use rfc6455_bench::wire::{self, EchoParser, Expected, Progress};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

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
}

fn parse_size(s: &str) -> Result<usize, String> {
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

/// What one connection (or churn worker) measured.
#[derive(Debug, Default)]
struct Stats {
    /// Messages (or handshake cycles) completed inside the measured window.
    done: u64,
    /// Their latencies in nanoseconds.
    lat: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Stats {
    fn error(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }

    fn merge(&mut self, other: Self) {
        self.done += other.done;
        self.lat.extend(other.lat);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// The measured window shared by all connections.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

impl Window {
    fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    fn secs(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
}

fn timeout_err(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

fn protocol_err(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The error for a close frame that arrived while echoes were outstanding.
fn closed_err(parser: &EchoParser<'_>) -> io::Error {
    protocol_err(&match parser.close_code() {
        Some(code) => format!("server closed (code {code}) with echoes outstanding"),
        None => "server closed with echoes outstanding".to_string(),
    })
}

/// Raises the soft open-file limit to the hard limit.
fn raise_nofile_limit() {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    #[allow(unsafe_code)]
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// CPU seconds (user + system) this process has used.
fn own_cpu_secs() -> f64 {
    // SAFETY: getrusage with a valid pointer to a zeroed local struct.
    #[allow(unsafe_code)]
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields after the command: state is field 3, utime 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((utime + stime) / hz.max(1.0))
}

/// Busy CPU seconds of the whole machine (all cores), from /proc/stat.
fn system_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<f64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is inside user).
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7)?;
    // SAFETY: sysconf has no memory-safety preconditions.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(busy / hz.max(1.0))
}

/// CPU counters at one instant.
#[derive(Debug, Clone, Copy)]
struct CpuSnap {
    at: Instant,
    own: f64,
    server: Option<f64>,
    system: Option<f64>,
}

impl CpuSnap {
    fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            own: own_cpu_secs(),
            server: server_pid.and_then(proc_cpu_secs),
            system: system_busy_secs(),
        }
    }

    /// CPU use between `self` and `later`, in percent of one core.
    fn until(&self, later: &Self) -> CpuUse {
        let secs = (later.at - self.at).as_secs_f64().max(1e-9);
        let pct = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / secs * 100.0);
        let own = (later.own - self.own) / secs * 100.0;
        let server = pct(self.server, later.server);
        let other = match (pct(self.system, later.system), server) {
            (Some(all), Some(srv)) => Some((all - own - srv).max(0.0)),
            _ => None,
        };
        CpuUse { own, server, other }
    }
}

/// CPU use over a window, in percent of one core.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    /// The load generator.
    own: f64,
    /// The server under test.
    server: Option<f64>,
    /// Everything else on the machine: should be near 0 for a clean run.
    other: Option<f64>,
}

impl CpuUse {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let f = |v: Option<f64>| v.map_or("nan".into(), |c| format!("{c:.1}"));
        vec![
            ("lg_cpu", format!("{:.1}", self.own)),
            ("srv_cpu", f(self.server)),
            ("other_cpu", f(self.other)),
        ]
    }

    fn describe(&self) -> String {
        let f = |v: Option<f64>| v.map_or("?".into(), |c| format!("{c:.0}%"));
        format!(
            "loadgen CPU {:.0}%, server CPU {}, other CPU {}",
            self.own,
            f(self.server),
            f(self.other)
        )
    }
}

/// Samples CPU use over the window.
async fn sample_cpu(window: Window, server_pid: Option<u32>) -> CpuUse {
    tokio::time::sleep_until(window.start.into()).await;
    let a = CpuSnap::take(server_pid);
    tokio::time::sleep_until(window.end.into()).await;
    a.until(&CpuSnap::take(server_pid))
}

/// Connects to 127.0.0.1:port and performs the opening handshake.
async fn connect(port: u16, request: &[u8]) -> io::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await?;
    stream.set_nodelay(true)?;
    let leftover = tokio::time::timeout(
        Duration::from_secs(10),
        wire::client_handshake(&mut stream, request),
    )
    .await
    .map_err(|_| timeout_err("handshake"))??;
    Ok((stream, leftover))
}

/// Opens `n` upgraded connections, `concurrency` handshakes at a time.
async fn connect_many(
    port: u16,
    n: usize,
    concurrency: usize,
) -> io::Result<Vec<(TcpStream, Vec<u8>)>> {
    let request = wire::upgrade_request(port);
    let request = &request;
    let results: Vec<io::Result<(TcpStream, Vec<u8>)>> = futures_util::stream::iter(0..n)
        .map(|_| connect(port, request))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Reads until the parser has seen a close frame (echoes before it are
/// allowed), then half-closes and waits for the server to close the TCP
/// connection.
async fn finish_close(
    stream: &mut TcpStream,
    parser: &mut EchoParser<'_>,
    buf: &mut [u8],
) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !parser.closed() {
        let n = tokio::time::timeout_at(deadline.into(), stream.read(buf))
            .await
            .map_err(|_| timeout_err("close handshake"))??;
        if n == 0 {
            return Err(protocol_err("EOF before the close frame"));
        }
        parser.feed(&buf[..n], &mut Progress::default())?;
    }
    // The server should close the TCP connection; half-close our side too
    // (raw-echo needs it) and wait for EOF.
    let _ = stream.shutdown().await;
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
            Err(_) => return Err(timeout_err("TCP close")),
        }
    }
}

/// Up to `SMALL_INFLIGHT_BYTES` in flight: one task alternates between
/// reading echoes and writing as many new frames as echoes arrived (one
/// `write` for all of them). With so few bytes outstanding neither side's
/// socket buffer can fill, so writing cannot block while the server waits
/// for us to read.
async fn conn_alternating(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    expected: &Expected,
    batch: &[u8],
    flen: usize,
    inflight: usize,
    window: Window,
) -> io::Result<Stats> {
    let mut stats = Stats::default();
    let mut parser = EchoParser::new(expected);
    let mut buf = vec![0u8; 64 * 1024];
    let mut progress = Progress::default();
    parser.feed(&leftover, &mut progress)?;
    if progress.messages > 0 || progress.close {
        return Err(protocol_err("unexpected frames before the first message"));
    }
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(inflight);
    let t0 = Instant::now();
    if t0 < window.end {
        stream.write_all(&batch[..inflight * flen]).await?;
        sent.extend(std::iter::repeat_n(t0, inflight));
    }
    while !sent.is_empty() {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(protocol_err("server closed the connection"));
        }
        let mut p = Progress::default();
        parser.feed(&buf[..n], &mut p)?;
        for ping in p.pings {
            stream
                .write_all(&wire::masked_frame(wire::OP_PONG, &ping))
                .await?;
        }
        if p.close {
            return Err(closed_err(&parser));
        }
        if p.messages == 0 {
            continue;
        }
        let now = Instant::now();
        for _ in 0..p.messages {
            let t = sent
                .pop_front()
                .ok_or_else(|| protocol_err("more echoes than messages sent"))?;
            if window.contains(now) {
                stats.done += 1;
                stats.lat.push((now - t).as_nanos() as u64);
            }
        }
        // After the window, stop sending and drain what is in flight.
        if now < window.end {
            stream.write_all(&batch[..p.messages * flen]).await?;
            sent.extend(std::iter::repeat_n(now, p.messages));
        }
    }
    stream.write_all(&wire::close_frame()).await?;
    finish_close(&mut stream, &mut parser, &mut buf).await?;
    Ok(stats)
}

/// Bytes in flight per connection up to which [`conn_alternating`] is used.
const SMALL_INFLIGHT_BYTES: usize = 64 * 1024;

/// When [`conn_pipelined`] stops sending: at a time or after a number of
/// messages, whichever comes first.
#[derive(Debug, Clone, Copy)]
struct Until {
    time: Instant,
    msgs: u64,
}

/// Up to `inflight` messages in flight, reading and writing concurrently (so
/// large messages cannot deadlock against a server that echoes while it
/// reads). Stops sending at `stop` or after `max_msgs` messages, then sends a
/// close frame and reads the remaining echoes and the server's close.
async fn conn_pipelined(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    expected: &Expected,
    frame: &[u8],
    inflight: usize,
    window: Window,
    until: Until,
) -> io::Result<Stats> {
    let Until {
        time: stop,
        msgs: max_msgs,
    } = until;
    let inflight = inflight.max(1);
    let flen = frame.len();
    // A batch of `inflight` frames back to back, so one write sends many.
    let batch = if inflight > 1 {
        frame.repeat(inflight)
    } else {
        Vec::new()
    };
    let sem = Semaphore::new(inflight);
    let sent: RefCell<VecDeque<Instant>> = RefCell::new(VecDeque::with_capacity(inflight));
    let stats = RefCell::new(Stats::default());
    let mut parser = EchoParser::new(expected);
    let mut buf = vec![0u8; 256 * 1024];
    {
        let (mut rd, mut wr) = stream.split();
        let writer = async {
            let mut total = 0u64;
            loop {
                let Ok(permit) = sem.acquire().await else {
                    break;
                };
                permit.forget();
                let mut n = 1;
                while n < inflight {
                    match sem.try_acquire() {
                        Ok(p) => {
                            p.forget();
                            n += 1;
                        }
                        Err(_) => break,
                    }
                }
                let now = Instant::now();
                if now >= stop || total >= max_msgs {
                    break;
                }
                let n = n.min((max_msgs - total) as usize);
                total += n as u64;
                sent.borrow_mut().extend(std::iter::repeat_n(now, n));
                if inflight > 1 {
                    wr.write_all(&batch[..n * flen]).await?;
                } else {
                    wr.write_all(frame).await?;
                }
            }
            wr.write_all(&wire::close_frame()).await
        };
        let reader = async {
            let r = async {
                let mut progress = Progress::default();
                parser.feed(&leftover, &mut progress)?;
                if progress.messages > 0 || progress.close {
                    return Err(protocol_err("unexpected frames before the first message"));
                }
                loop {
                    let n = rd.read(&mut buf).await?;
                    if n == 0 {
                        return Err(protocol_err("server closed the connection"));
                    }
                    let mut p = Progress::default();
                    parser.feed(&buf[..n], &mut p)?;
                    if p.messages > 0 {
                        let now = Instant::now();
                        let mut q = sent.borrow_mut();
                        let mut st = stats.borrow_mut();
                        for _ in 0..p.messages {
                            let t0 = q
                                .pop_front()
                                .ok_or_else(|| protocol_err("more echoes than messages sent"))?;
                            if window.contains(now) {
                                st.done += 1;
                                st.lat.push((now - t0).as_nanos() as u64);
                            }
                        }
                        sem.add_permits(p.messages);
                    }
                    // The servers under test never ping; a ping here is
                    // ignored rather than answered from the reader.
                    if p.close {
                        if !sent.borrow().is_empty() {
                            return Err(closed_err(&parser));
                        }
                        return Ok(());
                    }
                }
            }
            .await;
            sem.close();
            r
        };
        let (w, r) = tokio::join!(writer, reader);
        r?;
        w?;
    }
    let _ = stream.shutdown().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => {}
            Err(_) => return Err(timeout_err("TCP close")),
        }
    }
    Ok(stats.into_inner())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

fn message_kind(args: &Args) -> (bool, u8) {
    let text = match args.kind {
        Kind::Text => true,
        Kind::Binary => false,
        Kind::Auto => args.size < 1024 * 1024,
    };
    (text, if text { wire::OP_TEXT } else { wire::OP_BINARY })
}

fn print_result(fields: &[(&str, String)]) {
    let line: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
}

/// The median and 99th percentile of sorted latencies (ns), in µs, as result fields.
fn latency_fields(sorted_ns: &[u64]) -> [(&'static str, String); 2] {
    [
        (
            "p50_us",
            format!("{:.1}", percentile(sorted_ns, 50.0) / 1e3),
        ),
        (
            "p99_us",
            format!("{:.1}", percentile(sorted_ns, 99.0) / 1e3),
        ),
    ]
}

fn error_fields(stats: &Stats) -> Vec<(&'static str, String)> {
    let mut f = vec![("errors", stats.errors.to_string())];
    if let Some(e) = &stats.first_error {
        eprintln!("loadgen: first error: {e}");
        f.push(("error", e.replace(char::is_whitespace, "_")));
    }
    f.push(("ok", (stats.errors == 0).to_string()));
    f
}

async fn run_echo(args: &Args) -> io::Result<()> {
    let inflight = if args.mode == Mode::Echo {
        1
    } else {
        args.inflight.max(1)
    };
    let (text, opcode) = message_kind(args);
    let expected = Rc::new(Expected::new(opcode, wire::payload(args.size, text)));
    let frame = Rc::new(expected.frame());
    // `inflight` frames back to back, so one write can send many.
    let batch = Rc::new(frame.repeat(inflight));
    let t = Instant::now();
    let conns = connect_many(args.port, args.connections, args.connect_concurrency).await?;
    eprintln!(
        "loadgen: {} connections up in {:.2}s; {} B {} messages, {} in flight each",
        conns.len(),
        t.elapsed().as_secs_f64(),
        args.size,
        if text { "text" } else { "binary" },
        inflight
    );
    let begin = Instant::now();
    let window = Window {
        start: begin + Duration::from_secs_f64(args.warmup),
        end: begin + Duration::from_secs_f64(args.warmup + args.duration),
    };
    let cpu = tokio::task::spawn_local(sample_cpu(window, args.server_pid));
    let alternating = inflight * frame.len() <= SMALL_INFLIGHT_BYTES;
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(stream, leftover)| {
            let expected = expected.clone();
            let frame = frame.clone();
            let batch = batch.clone();
            tokio::task::spawn_local(async move {
                let limit = window.end + Duration::from_secs(30);
                let fut = async {
                    if alternating {
                        conn_alternating(
                            stream,
                            leftover,
                            &expected,
                            &batch,
                            frame.len(),
                            inflight,
                            window,
                        )
                        .await
                    } else {
                        conn_pipelined(
                            stream,
                            leftover,
                            &expected,
                            &frame,
                            inflight,
                            window,
                            Until {
                                time: window.end,
                                msgs: u64::MAX,
                            },
                        )
                        .await
                    }
                };
                match tokio::time::timeout_at(limit.into(), fut).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        let mut s = Stats::default();
                        s.error(e);
                        s
                    }
                    Err(_) => {
                        let mut s = Stats::default();
                        s.error("connection timed out");
                        s
                    }
                }
            })
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.map_err(io::Error::other)?);
    }
    let cpu = cpu.await.map_err(io::Error::other)?;
    stats.lat.sort_unstable();
    let rate = stats.done as f64 / window.secs();
    let mut fields = vec![
        ("mode", format!("{:?}", args.mode).to_lowercase()),
        ("conns", args.connections.to_string()),
        ("size", args.size.to_string()),
        ("kind", if text { "text" } else { "binary" }.to_string()),
        ("inflight", inflight.to_string()),
        ("msgs", stats.done.to_string()),
        ("secs", format!("{:.3}", window.secs())),
        ("rate", format!("{rate:.1}")),
        (
            "mibps",
            format!("{:.2}", rate * args.size as f64 / (1024.0 * 1024.0)),
        ),
    ];
    fields.extend(latency_fields(&stats.lat));
    fields.extend(cpu.fields());
    fields.extend(error_fields(&stats));
    eprintln!(
        "loadgen: {rate:.0} msg/s, p50 {:.1} us, p99 {:.1} us, {}",
        percentile(&stats.lat, 50.0) / 1e3,
        percentile(&stats.lat, 99.0) / 1e3,
        cpu.describe()
    );
    print_result(&fields);
    Ok(())
}

async fn run_large(args: &Args) -> io::Result<()> {
    let (text, opcode) = message_kind(args);
    let expected = Expected::new(opcode, wire::payload(args.size, text));
    let frame = expected.frame();
    let (stream, leftover) = connect(args.port, &wire::upgrade_request(args.port)).await?;
    let warm = 1u64;
    let total = warm + args.count as u64;
    let begin = Instant::now();
    let snap = CpuSnap::take(args.server_pid);
    let far = begin + Duration::from_secs(3600);
    let window = Window {
        start: begin,
        end: far,
    };
    let stats = tokio::time::timeout(
        Duration::from_secs(120 + 2 * total),
        conn_pipelined(
            stream,
            leftover,
            &expected,
            &frame,
            1,
            window,
            Until {
                time: far,
                msgs: total,
            },
        ),
    )
    .await;
    let elapsed = begin.elapsed().as_secs_f64();
    let cpu = snap.until(&CpuSnap::take(args.server_pid));
    let mut stats = match stats {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let mut s = Stats::default();
            s.error(e);
            s
        }
        Err(_) => {
            let mut s = Stats::default();
            s.error("large message echo timed out");
            s
        }
    };
    if stats.errors == 0 && stats.lat.len() as u64 != total {
        stats.error(format!("{} echoes, expected {total}", stats.lat.len()));
    }
    let mut lat: Vec<u64> = stats.lat.iter().skip(warm as usize).copied().collect();
    lat.sort_unstable();
    let p50 = percentile(&lat, 50.0);
    let mibps = args.size as f64 / (1024.0 * 1024.0) / (p50 / 1e9);
    eprintln!(
        "loadgen: {} x {} B {}: median echo {:.1} ms = {mibps:.1} MiB/s ({elapsed:.1}s total; {})",
        lat.len(),
        args.size,
        if text { "text" } else { "binary" },
        p50 / 1e6,
        cpu.describe()
    );
    let mut fields = vec![
        ("mode", "large".to_string()),
        ("conns", "1".to_string()),
        ("size", args.size.to_string()),
        ("kind", if text { "text" } else { "binary" }.to_string()),
        ("msgs", lat.len().to_string()),
        ("rate", format!("{:.3}", 1e9 / p50)),
        ("mibps", format!("{mibps:.2}")),
    ];
    fields.extend(latency_fields(&lat));
    fields.extend(cpu.fields());
    fields.extend(error_fields(&stats));
    print_result(&fields);
    Ok(())
}

/// One churn cycle: connect, upgrade, close handshake, TCP close.
async fn churn_cycle(port: u16, request: &[u8], expected: &Expected) -> io::Result<()> {
    let (mut stream, leftover) = connect(port, request).await?;
    let mut parser = EchoParser::new(expected);
    parser.feed(&leftover, &mut Progress::default())?;
    stream.write_all(&wire::close_frame()).await?;
    let mut buf = [0u8; 512];
    finish_close(&mut stream, &mut parser, &mut buf).await
}

async fn run_churn(args: &Args) -> io::Result<()> {
    let expected = Rc::new(Expected::none());
    let request = Rc::new(wire::upgrade_request(args.port));
    let begin = Instant::now();
    let window = Window {
        start: begin + Duration::from_secs_f64(args.warmup),
        end: begin + Duration::from_secs_f64(args.warmup + args.duration),
    };
    let cpu = tokio::task::spawn_local(sample_cpu(window, args.server_pid));
    let port = args.port;
    let tasks: Vec<_> = (0..args.connections)
        .map(|_| {
            let expected = expected.clone();
            let request = request.clone();
            tokio::task::spawn_local(async move {
                let mut stats = Stats::default();
                loop {
                    let t0 = Instant::now();
                    if t0 >= window.end || stats.errors >= 20 {
                        break;
                    }
                    let r = tokio::time::timeout(
                        Duration::from_secs(10),
                        churn_cycle(port, &request, &expected),
                    )
                    .await;
                    let t1 = Instant::now();
                    match r {
                        Ok(Ok(())) => {
                            if window.contains(t1) {
                                stats.done += 1;
                                stats.lat.push((t1 - t0).as_nanos() as u64);
                            }
                        }
                        Ok(Err(e)) => stats.error(e),
                        Err(_) => stats.error("churn cycle timed out"),
                    }
                }
                stats
            })
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        stats.merge(t.await.map_err(io::Error::other)?);
    }
    let cpu = cpu.await.map_err(io::Error::other)?;
    stats.lat.sort_unstable();
    let rate = stats.done as f64 / window.secs();
    eprintln!(
        "loadgen: {rate:.0} handshakes/s with {} workers, p50 {:.1} us, {}",
        args.connections,
        percentile(&stats.lat, 50.0) / 1e3,
        cpu.describe()
    );
    let mut fields = vec![
        ("mode", "churn".to_string()),
        ("conns", args.connections.to_string()),
        ("msgs", stats.done.to_string()),
        ("secs", format!("{:.3}", window.secs())),
        ("rate", format!("{rate:.1}")),
    ];
    fields.extend(latency_fields(&stats.lat));
    fields.extend(cpu.fields());
    fields.extend(error_fields(&stats));
    print_result(&fields);
    Ok(())
}

async fn run_idle(args: &Args) -> io::Result<()> {
    let t = Instant::now();
    let conns = connect_many(args.port, args.connections, args.connect_concurrency).await?;
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "loadgen: {} idle connections up in {secs:.2}s; holding",
        conns.len()
    );
    println!("READY conns={} secs={secs:.3}", conns.len());
    // Hold until the harness closes our stdin (or writes a line).
    let mut line = String::new();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let _ = tokio::time::timeout(
        Duration::from_secs_f64(args.hold_max),
        stdin.read_line(&mut line),
    )
    .await;
    drop(conns);
    print_result(&[
        ("mode", "idle".to_string()),
        ("conns", args.connections.to_string()),
        ("secs", format!("{secs:.3}")),
        ("rate", format!("{:.1}", args.connections as f64 / secs)),
        ("errors", "0".to_string()),
        ("ok", "true".to_string()),
    ]);
    Ok(())
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let r = local.block_on(&rt, async {
        match args.mode {
            Mode::Echo | Mode::Pipelined => run_echo(&args).await,
            Mode::Large => run_large(&args).await,
            Mode::Churn => run_churn(&args).await,
            Mode::Idle => run_idle(&args).await,
        }
    });
    if let Err(e) = &r {
        eprintln!("loadgen: {e}");
        print_result(&[
            ("errors", "1".to_string()),
            ("ok", "false".to_string()),
            ("error", format!("{e}").replace(char::is_whitespace, "_")),
        ]);
    }
    // Exit without waiting for the stdin reader thread of idle mode.
    std::process::exit(if r.is_ok() { 0 } else { 1 });
}
