//! Load generator for the compressed scenarios: C connections that negotiate
//! permessage-deflate (RFC 7692), each echoing one JSON-like text message of
//! `--size` bytes at a time for `--duration` seconds after `--warmup`; no
//! two messages are the same.
//!
//! The client side of the extension is here (flate2 on zlib-rs), not in
//! `loadgen`, which speaks no extension. Every message is compressed with the
//! connection's own compressor (context takeover unless the server forbids
//! it), masked and sent; every echo is reassembled, inflated and compared with
//! what was sent. A server that does not accept the extension fails the run.
//!
//! Prints one `RESULT key=value ...` line on stdout, with the fields of
//! `loadgen` plus `wire_out` / `wire_in` (frame bytes per message sent and
//! received) and `ratio` (payload bytes ÷ bytes on the wire, both ways).

use std::io;
use std::time::{Duration, Instant};

use clap::Parser;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use rfc6455_loadgen::wire;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

#[derive(Debug, Clone, Parser)]
#[command(about = "permessage-deflate echo load generator")]
struct Args {
    /// Server port on 127.0.0.1.
    #[arg(long)]
    port: u16,
    /// Connections, one message in flight each.
    #[arg(long, short = 'c', default_value_t = 100)]
    connections: usize,
    /// Payload bytes per message (JSON-like text); accepts a k suffix (KiB).
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

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = match s.strip_suffix('k') {
        Some(n) => (n, 1024),
        None => (&s[..], 1),
    };
    num.parse::<usize>()
        .map(|n| n * mul)
        .map_err(|e| format!("bad size {s:?}: {e}"))
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A JSON-like text of exactly `size` bytes: an array of small records whose
/// numbers vary (and differ between `variant`s), so it compresses like real
/// API traffic, not like one repeated byte. Every message sent is a new
/// variant: with context takeover a message repeated verbatim would compress
/// to a few bytes of back-reference.
fn json_payload(size: usize, variant: u64) -> Vec<u8> {
    let mut out = String::from("[");
    let mut i: u64 = variant * 1_000_003;
    while out.len() < size {
        let x = i.wrapping_mul(2_654_435_761) % 100_000;
        out.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user-{x}\",\"active\":{},\"score\":{}.{:02},\"tags\":[\"t{}\",\"t{}\"]}},",
            x.is_multiple_of(3),
            x % 1000,
            x % 100,
            x % 7,
            x % 11
        ));
        i += 1;
    }
    out.truncate(size.saturating_sub(1));
    out.push(']');
    out.into_bytes()
}

/// What the server agreed to in `Sec-WebSocket-Extensions`.
#[derive(Debug, Clone, Copy)]
struct Agreed {
    /// The server resets its compressor after every message.
    server_no_context_takeover: bool,
    /// We must reset ours after every message.
    client_no_context_takeover: bool,
    /// The window our compressor may use.
    client_window_bits: u8,
}

fn agreed(head: &[u8]) -> io::Result<Agreed> {
    let text = String::from_utf8_lossy(head);
    let value = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .ok_or_else(|| bad("the server did not accept permessage-deflate"))?;
    let mut params = value.split(';').map(str::trim);
    if params.next() != Some("permessage-deflate") {
        return Err(bad(format!("unexpected extension answer {value:?}")));
    }
    let mut a = Agreed {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        client_window_bits: 15,
    };
    for p in params {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        match k.trim() {
            "server_no_context_takeover" => a.server_no_context_takeover = true,
            "client_no_context_takeover" => a.client_no_context_takeover = true,
            "client_max_window_bits" => {
                a.client_window_bits = v
                    .trim_matches('"')
                    .parse()
                    .map_err(|_| bad(format!("bad client_max_window_bits in {value:?}")))?;
            }
            "server_max_window_bits" => {}
            other => return Err(bad(format!("unknown parameter {other:?} in {value:?}"))),
        }
    }
    Ok(a)
}

/// Connects and performs the opening handshake offering permessage-deflate.
async fn connect(port: u16) -> io::Result<(TcpStream, Vec<u8>, Agreed)> {
    let mut stream = TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, port)).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        wire::KEY
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))??;
        if n == 0 {
            return Err(bad("EOF during the handshake"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = wire::find_head_end(&buf) {
            break end;
        }
        if buf.len() > 16 * 1024 {
            return Err(bad("handshake response too long"));
        }
    };
    wire::check_response(&buf[..end])?;
    let agreed = agreed(&buf[..end])?;
    Ok((stream, buf[end..].to_vec(), agreed))
}

/// Compresses one message with `c` (a sync flush, the 4 trailing bytes
/// removed, RFC 7692 section 7.2.1).
fn deflate(c: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    out.clear();
    let start = c.total_in();
    loop {
        out.reserve(data.len() / 2 + 64);
        let done = (c.total_in() - start) as usize;
        c.compress_vec(&data[done..], out, FlushCompress::Sync)
            .map_err(|e| bad(format!("deflate: {e}")))?;
        if (c.total_in() - start) as usize == data.len() && out.len() < out.capacity() {
            break;
        }
    }
    if !out.ends_with(&[0, 0, 0xff, 0xff]) {
        return Err(bad("deflate output does not end with a sync flush"));
    }
    out.truncate(out.len() - 4);
    Ok(())
}

/// Inflates one message's payload (the 4 bytes of the sync flush put back).
fn inflate(d: &mut Decompress, data: &[u8], limit: usize, out: &mut Vec<u8>) -> io::Result<()> {
    out.clear();
    let mut input = data.to_vec();
    input.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let start = d.total_in();
    loop {
        out.reserve(limit.max(256) - out.len().min(limit) + 256);
        let done = (d.total_in() - start) as usize;
        let status = d
            .decompress_vec(&input[done..], out, FlushDecompress::Sync)
            .map_err(|e| bad(format!("inflate: {e}")))?;
        if out.len() > limit {
            return Err(bad("inflated echo longer than the message sent"));
        }
        let consumed = (d.total_in() - start) as usize == input.len();
        if consumed && out.len() < out.capacity() || status == Status::StreamEnd {
            return Ok(());
        }
    }
}

/// A frame from the server: RSV1, opcode, FIN and the payload.
struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// Takes one whole frame off the front of `buf`, if there is one.
fn take_frame(buf: &mut Vec<u8>) -> io::Result<Option<(Frame, usize)>> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b) as usize, 10)
        }
        126 | 127 => return Ok(None),
        n => (n as usize, 2),
    };
    let key = if masked {
        if buf.len() < at + 4 {
            return Ok(None);
        }
        let k = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        Some(k)
    } else {
        None
    };
    if buf.len() < at + len {
        return Ok(None);
    }
    let mut payload = buf[at..at + len].to_vec();
    if let Some(k) = key {
        wire::apply_mask(&mut payload, k, 0);
    }
    let total = at + len;
    buf.drain(..total);
    if b0 & 0x30 != 0 {
        return Err(bad("RSV2/RSV3 set in an echo"));
    }
    Ok(Some((
        Frame {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            opcode: b0 & 0x0f,
            payload,
        },
        total,
    )))
}

/// A masked frame (the client's frames are always masked).
fn client_frame(first: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(first);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&wire::MASK);
    let at = out.len();
    out.extend_from_slice(payload);
    wire::apply_mask(&mut out[at..], wire::MASK, 0);
}

/// What one connection measured.
#[derive(Debug, Default)]
struct Stats {
    done: u64,
    lat: Vec<u64>,
    wire_out: u64,
    wire_in: u64,
    compressed_in: u64,
}

/// One connection: echo until the window ends, then the close handshake.
async fn conn(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    agreed: Agreed,
    (size, first_variant): (usize, u64),
    level: u32,
    start: Instant,
    end: Instant,
) -> io::Result<Stats> {
    let mut stats = Stats::default();
    let mut c = if agreed.client_window_bits < 15 {
        Compress::new_with_window_bits(Compression::new(level), false, agreed.client_window_bits)
    } else {
        Compress::new(Compression::new(level), false)
    };
    let mut d = Decompress::new(false);
    let mut rbuf = leftover;
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut packed, mut frame, mut inflated) = (Vec::new(), Vec::new(), Vec::new());
    for variant in first_variant.. {
        let plain = json_payload(size, variant);
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        if agreed.client_no_context_takeover {
            c.reset();
        }
        deflate(&mut c, &plain, &mut packed)?;
        client_frame(0x80 | 0x40 | wire::OP_TEXT, &packed, &mut frame);
        stream.write_all(&frame).await?;
        let sent = frame.len() as u64;
        // Read frames until a whole message is back.
        let (mut message, mut rsv1, mut got) = (Vec::new(), false, 0u64);
        let mut started = false;
        loop {
            let Some((f, n)) = take_frame(&mut rbuf)? else {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(bad("server closed the connection"));
                }
                rbuf.extend_from_slice(&chunk[..n]);
                continue;
            };
            match f.opcode {
                wire::OP_PING => {
                    client_frame(0x80 | wire::OP_PONG, &f.payload, &mut frame);
                    stream.write_all(&frame).await?;
                    continue;
                }
                wire::OP_PONG => continue,
                wire::OP_CLOSE => return Err(bad("server closed with an echo outstanding")),
                wire::OP_TEXT if !started => {
                    started = true;
                    rsv1 = f.rsv1;
                }
                wire::OP_CONT if started => {}
                op => return Err(bad(format!("unexpected opcode {op} in an echo"))),
            }
            got += n as u64;
            message.extend_from_slice(&f.payload);
            if f.fin {
                break;
            }
        }
        let echoed = if rsv1 {
            inflate(&mut d, &message, plain.len(), &mut inflated)?;
            if agreed.server_no_context_takeover {
                d.reset(false);
            }
            &inflated
        } else {
            &message
        };
        if *echoed != plain {
            return Err(bad("echo differs from the message sent"));
        }
        let now = Instant::now();
        if now >= start && now < end {
            stats.done += 1;
            stats.lat.push((now - t0).as_nanos() as u64);
            stats.wire_out += sent;
            stats.wire_in += got;
            stats.compressed_in += u64::from(rsv1);
        }
    }
    // Close handshake: our close frame, theirs, then the TCP close. Generous: a
    // server under callgrind answers a hundred closes slowly.
    stream.write_all(&wire::close_frame()).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((f, _)) = take_frame(&mut rbuf)? {
            if f.opcode == wire::OP_CLOSE {
                break;
            }
            continue;
        }
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk))
            .await
            .map_err(|_| bad("close handshake timed out"))??;
        if n == 0 {
            return Err(bad("EOF before the close frame"));
        }
        rbuf.extend_from_slice(&chunk[..n]);
    }
    let _ = stream.shutdown().await;
    Ok(stats)
}

/// CPU seconds (user + system) of process `pid`, from /proc/PID/stat.
fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    #[allow(unsafe_code)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / hz.max(1.0))
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

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

async fn run(args: &Args) -> io::Result<Vec<(&'static str, String)>> {
    let mut conns = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        conns.push(connect(args.port).await?);
    }
    let begin = Instant::now();
    let start = begin + Duration::from_secs_f64(args.warmup);
    let end = start + Duration::from_secs_f64(args.duration);
    let server_pid = args.server_pid;
    let sampler = tokio::task::spawn_local(async move {
        tokio::time::sleep_until(start.into()).await;
        let a = (own_cpu_secs(), server_pid.and_then(proc_cpu_secs));
        tokio::time::sleep_until(end.into()).await;
        let b = (own_cpu_secs(), server_pid.and_then(proc_cpu_secs));
        let secs = (end - start).as_secs_f64();
        let srv = match (a.1, b.1) {
            (Some(x), Some(y)) => (y - x) / secs * 100.0,
            _ => f64::NAN,
        };
        ((b.0 - a.0) / secs * 100.0, srv)
    });
    let level = args.level;
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, (stream, leftover, agreed))| {
            // Far apart, so that no two connections send the same message.
            let first = (i as u64) << 32;
            let size = args.size;
            tokio::task::spawn_local(async move {
                let limit = end + Duration::from_secs(30);
                tokio::time::timeout_at(
                    limit.into(),
                    conn(stream, leftover, agreed, (size, first), level, start, end),
                )
                .await
                .map_err(|_| bad("connection timed out"))?
            })
        })
        .collect();
    let mut total = Stats::default();
    for t in tasks {
        let s = t.await.map_err(io::Error::other)??;
        total.done += s.done;
        total.lat.extend(s.lat);
        total.wire_out += s.wire_out;
        total.wire_in += s.wire_in;
        total.compressed_in += s.compressed_in;
    }
    let (lg_cpu, srv_cpu) = sampler.await.map_err(io::Error::other)?;
    total.lat.sort_unstable();
    let secs = args.duration;
    let n = total.done.max(1) as f64;
    let rate = total.done as f64 / secs;
    let ratio = 2.0 * args.size as f64 * n / (total.wire_out + total.wire_in) as f64;
    eprintln!(
        "deflate-load: {rate:.0} msg/s, {:.0} B out + {:.0} B in on the wire per {} B message \
         ({} of {} echoes compressed), server CPU {srv_cpu:.0}%, loadgen CPU {lg_cpu:.0}%",
        total.wire_out as f64 / n,
        total.wire_in as f64 / n,
        args.size,
        total.compressed_in,
        total.done
    );
    Ok(vec![
        ("mode", "deflate".to_string()),
        ("conns", args.connections.to_string()),
        ("size", args.size.to_string()),
        ("msgs", total.done.to_string()),
        ("secs", format!("{secs:.3}")),
        ("rate", format!("{rate:.1}")),
        ("wire_out", format!("{:.1}", total.wire_out as f64 / n)),
        ("wire_in", format!("{:.1}", total.wire_in as f64 / n)),
        ("ratio", format!("{ratio:.3}")),
        ("compressed", total.compressed_in.to_string()),
        (
            "p50_us",
            format!("{:.1}", percentile(&total.lat, 50.0) / 1e3),
        ),
        (
            "p99_us",
            format!("{:.1}", percentile(&total.lat, 99.0) / 1e3),
        ),
        ("lg_cpu", format!("{lg_cpu:.1}")),
        ("srv_cpu", format!("{srv_cpu:.1}")),
        ("other_cpu", "nan".to_string()),
    ])
}

fn main() -> io::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let r = local.block_on(&rt, run(&args));
    let fields = match r {
        Ok(mut f) => {
            f.push(("errors", "0".into()));
            f.push(("ok", "true".into()));
            f
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
