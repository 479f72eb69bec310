//! The compressed echo: connections that negotiate permessage-deflate (RFC 7692), each
//! echoing one JSON-like text message at a time, no two alike. The client side of the
//! extension is here (flate2 on zlib-rs): every message is compressed with the
//! connection's own compressor (context takeover unless the server forbids it), masked
//! and sent; every echo is reassembled, inflated and compared with what was sent. A
//! server that does not accept the extension fails the connection. Bytes on the wire are
//! counted both ways.

use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::cpu::sample_cpu;
use crate::live::Live;
use crate::report::{Report, Wire};
use crate::settings::{Settings, Target};
use crate::stats::Window;
use crate::wire;

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A JSON-like text of exactly `size` bytes: an array of small records whose
/// numbers vary (and differ between `variant`s), so it compresses like real
/// API traffic, not like one repeated byte. Every message sent is a new
/// variant: with context takeover a message repeated verbatim would compress
/// to a few bytes of back-reference.
pub(crate) fn json_payload(size: usize, variant: u64) -> Vec<u8> {
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
async fn connect(target: &Target, patience: Duration) -> io::Result<(TcpStream, Vec<u8>, Agreed)> {
    let mut stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        target.path,
        target.host,
        wire::KEY
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let n = tokio::time::timeout(patience, stream.read(&mut chunk))
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

/// One connection: echo until the window ends (or `count` messages), then the close
/// handshake.
#[allow(clippy::too_many_arguments)]
async fn conn(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    agreed: Agreed,
    (size, first_variant, count): (usize, u64, u64),
    level: u32,
    window: Window,
    live: &Live,
) -> io::Result<Stats> {
    let (start, end) = (window.start, window.end);
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
    for variant in first_variant..first_variant.saturating_add(count) {
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
        live.echoed((now - t0).as_nanos() as u64);
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
    let deadline = Instant::now() + window.patience.max(Duration::from_secs(30));
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

/// The compressed echo of `settings` (one message in flight per connection, JSON-like
/// text of `settings.size` bytes, compressed at `level`).
pub(crate) async fn run_deflate(
    settings: &Settings,
    level: u32,
    live: Rc<Live>,
) -> io::Result<Report> {
    let mut conns = Vec::with_capacity(settings.connections);
    for _ in 0..settings.connections {
        conns.push(connect(&settings.target, settings.patience).await?);
    }
    let begin = Instant::now();
    let (window, count) = match settings.messages {
        Some(n) => (
            Window {
                start: begin,
                end: begin + Duration::from_secs(365 * 24 * 3600),
                patience: settings.patience,
            },
            n,
        ),
        None => (
            Window {
                start: begin + settings.warmup,
                end: begin + settings.warmup + settings.duration,
                patience: settings.patience,
            },
            u64::MAX,
        ),
    };
    let cpu = tokio::task::spawn_local(sample_cpu(
        Window {
            end: window.end.min(begin + settings.warmup + settings.duration),
            ..window
        },
        settings.server_pid,
    ));
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, (stream, leftover, agreed))| {
            // Far apart, so that no two connections send the same message.
            let first = (i as u64) << 32;
            let size = settings.size;
            let live = live.clone();
            tokio::task::spawn_local(async move {
                let r = conn(
                    stream,
                    leftover,
                    agreed,
                    (size, first, count),
                    level,
                    window,
                    &live,
                )
                .await;
                if r.is_err() {
                    live.failed();
                }
                r
            })
        })
        .collect();
    let mut total = Stats::default();
    let (mut errors, mut first_error) = (0, None);
    for t in tasks {
        match t.await.map_err(io::Error::other)? {
            Ok(s) => {
                total.done += s.done;
                total.lat.extend(s.lat);
                total.wire_out += s.wire_out;
                total.wire_in += s.wire_in;
                total.compressed_in += s.compressed_in;
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let secs = match settings.messages {
        Some(_) => begin.elapsed().as_secs_f64(),
        None => window.secs(),
    };
    let cpu = if settings.messages.is_some() {
        cpu.abort();
        Default::default()
    } else {
        cpu.await.map_err(io::Error::other)?
    };
    total.lat.sort_unstable();
    let n = total.done.max(1) as f64;
    let rate = total.done as f64 / secs.max(1e-9);
    Ok(Report {
        mode: settings.mode,
        connections: settings.connections,
        size: settings.size,
        text: true,
        inflight: 1,
        messages: total.done,
        secs,
        rate,
        mibps: rate * settings.size as f64 / (1024.0 * 1024.0),
        latencies_ns: total.lat,
        cpu,
        errors,
        first_error,
        wire: Some(Wire {
            out_per_message: total.wire_out as f64 / n,
            in_per_message: total.wire_in as f64 / n,
            compressed_echoes: total.compressed_in,
        }),
    })
}
