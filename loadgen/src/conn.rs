//! One connection's life under load: connect and upgrade, echo in one of two ways, and
//! the close handshake.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::live::Live;
use crate::settings::Target;
use crate::stats::{Stats, Window};
use crate::wire::{self, EchoParser, Expected, Progress};

pub(crate) fn timeout_err(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

pub(crate) fn protocol_err(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The error for a close frame that arrived while echoes were outstanding.
fn closed_err(parser: &EchoParser<'_>) -> io::Error {
    protocol_err(&match parser.close_code() {
        Some(code) => format!("server closed (code {code}) with echoes outstanding"),
        None => "server closed with echoes outstanding".to_string(),
    })
}

/// An echo later than this fails the connection (a server that never answers must not
/// hang the run).
const ECHO_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads what the server sends next, waiting at most [`ECHO_TIMEOUT`].
async fn read_echo(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    buf: &mut [u8],
) -> io::Result<usize> {
    tokio::time::timeout(ECHO_TIMEOUT, stream.read(buf))
        .await
        .map_err(|_| timeout_err("waiting for an echo (30 s)"))?
}

/// Connects to the target and performs the opening handshake with `request`.
pub(crate) async fn connect(
    target: &Target,
    request: &[u8],
    patience: Duration,
) -> io::Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let leftover = tokio::time::timeout(patience, wire::client_handshake(&mut stream, request))
        .await
        .map_err(|_| timeout_err("handshake"))??;
    Ok((stream, leftover))
}

/// Opens `n` upgraded connections, `concurrency` handshakes at a time.
pub(crate) async fn connect_many(
    target: &Target,
    n: usize,
    concurrency: usize,
    patience: Duration,
) -> io::Result<Vec<(TcpStream, Vec<u8>)>> {
    let request = wire::upgrade_request_to(&target.host, &target.path);
    let request = &request;
    let results: Vec<io::Result<(TcpStream, Vec<u8>)>> = futures_util::stream::iter(0..n)
        .map(|_| connect(target, request, patience))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Reads until the parser has seen a close frame (echoes before it are
/// allowed), then half-closes and waits for the server to close the TCP
/// connection.
pub(crate) async fn finish_close(
    stream: &mut TcpStream,
    parser: &mut EchoParser<'_>,
    buf: &mut [u8],
    patience: Duration,
) -> io::Result<()> {
    let deadline = Instant::now() + patience;
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
#[allow(clippy::too_many_arguments)]
pub(crate) async fn conn_alternating(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    expected: &Expected,
    batch: &[u8],
    flen: usize,
    inflight: usize,
    window: Window,
    live: &Live,
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
        let n = read_echo(&mut stream, &mut buf).await?;
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
            live.echoed((now - t).as_nanos() as u64);
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
    finish_close(&mut stream, &mut parser, &mut buf, window.patience).await?;
    Ok(stats)
}

/// Bytes in flight per connection up to which [`conn_alternating`] is used.
pub(crate) const SMALL_INFLIGHT_BYTES: usize = 64 * 1024;

/// When [`conn_pipelined`] stops sending: at a time or after a number of
/// messages, whichever comes first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Until {
    pub(crate) time: Instant,
    pub(crate) msgs: u64,
}

/// Up to `inflight` messages in flight, reading and writing concurrently (so
/// large messages cannot deadlock against a server that echoes while it
/// reads). Stops sending at `stop` or after `max_msgs` messages, then sends a
/// close frame and reads the remaining echoes and the server's close.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn conn_pipelined(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    expected: &Expected,
    frame: &[u8],
    inflight: usize,
    window: Window,
    until: Until,
    live: &Live,
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
                    // Close only once every echo is in: a server may answer a close at
                    // once, before echoing what it read ahead of it.
                    let outstanding = inflight - n;
                    let _ = sem.acquire_many(outstanding as u32).await;
                    break;
                }
                let sendable = n.min((max_msgs - total) as usize);
                // Permits not used now come back for the next round.
                sem.add_permits(n - sendable);
                let n = sendable;
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
                    let n = read_echo(&mut rd, &mut buf).await?;
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
                            live.echoed((now - t0).as_nanos() as u64);
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
    let deadline = Instant::now() + window.patience;
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => {}
            Err(_) => return Err(timeout_err("TCP close")),
        }
    }
    Ok(stats.into_inner())
}
