//! The soak client: one connection's life in a long run. A message a second (of one of a
//! few sizes, text or binary by the client's number), each echo checked whole before the
//! next; every tenth client drops its connection abruptly (a TCP reset, no close frame)
//! after five messages and reconnects; at the end a clean close handshake.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use crate::settings::Target;
use crate::wire::{self, EchoParser, Expected, OP_BINARY, OP_PONG, OP_TEXT, Progress};

/// An echo later than this is a lost message.
pub const ECHO_WITHIN: Duration = Duration::from_secs(10);

/// Payload sizes, one per connection in turn.
pub const SIZES: [usize; 5] = [16, 125, 1024, 4 * 1024, 16 * 1024];

/// What one soak client saw.
///
/// ```
/// let r = rfc6455_loadgen::soak::ClientReport::default();
/// assert_eq!(r.sent, r.echoed);
/// ```
#[derive(Debug, Default)]
pub struct ClientReport {
    /// Messages sent.
    pub sent: usize,
    /// Echoes received, each checked byte for byte.
    pub echoed: usize,
    /// Abrupt disconnects (and reconnections).
    pub reconnects: usize,
    /// Each message's round trip.
    pub latencies: Vec<Duration>,
}

/// Soak client number `id` against `target` until `end`: a message a second, each echo
/// checked whole before the next. An echo missing for 10 s, a wrong or unasked-for echo
/// or a connection lost is an `Err`.
///
/// ```no_run
/// # async fn f() -> std::io::Result<()> {
/// use rfc6455_loadgen::{Target, soak};
/// let end = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
/// let report = soak::client(&Target::loopback(9001), 7, end).await?;
/// assert_eq!(report.sent, report.echoed);
/// # Ok(()) }
/// ```
pub async fn client(target: &Target, id: usize, end: Instant) -> io::Result<ClientReport> {
    let text = id.is_multiple_of(2);
    let expected = Expected::new(
        if text { OP_TEXT } else { OP_BINARY },
        wire::payload(SIZES[id % SIZES.len()], text),
    );
    let frame = expected.frame();
    let abrupt = id.is_multiple_of(10);
    let mut report = ClientReport::default();
    let request = wire::upgrade_request_to(&target.host, &target.path);
    // Enough for the largest echo (16 KiB and its header) in one read; 19 000 clients hold one each.
    let mut buf = vec![0u8; 17 * 1024];
    loop {
        let mut tcp = TcpStream::connect(target.addr).await?;
        tcp.set_nodelay(true)?;
        let leftover = wire::client_handshake(&mut tcp, &request).await?;
        let mut parser = EchoParser::new(&expected);
        parser.feed(&leftover, &mut Progress::default())?;
        let phase = Duration::from_millis((id % 1000) as u64);
        let mut tick = interval_at(Instant::now() + phase, Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut rounds = 0;
        loop {
            tick.tick().await;
            if Instant::now() >= end {
                // A clean close: ours, then the server's answer.
                tcp.write_all(&wire::close_frame()).await?;
                while !parser.closed() {
                    let n = tcp.read(&mut buf).await?;
                    if n == 0 {
                        return Err(io::Error::other("EOF before the server's close"));
                    }
                    parser.feed(&buf[..n], &mut Progress::default())?;
                }
                return Ok(report);
            }
            if abrupt && rounds == 5 {
                // Gone without a close: a reset.
                #[allow(deprecated)]
                tcp.set_linger(Some(Duration::ZERO))?;
                drop(tcp);
                report.reconnects += 1;
                break;
            }
            let sent_at = Instant::now();
            tcp.write_all(&frame).await?;
            report.sent += 1;
            let mut got = 0;
            while got == 0 {
                let n = match tokio::time::timeout(ECHO_WITHIN, tcp.read(&mut buf)).await {
                    Ok(read) => read?,
                    Err(_) => return Err(io::Error::other(format!("client {id}: echo lost"))),
                };
                if n == 0 {
                    return Err(io::Error::other(match parser.close_code() {
                        Some(code) => {
                            format!("client {id}: the server closed (code {code}), echo missing")
                        }
                        None if parser.closed() => {
                            format!("client {id}: the server closed, echo missing")
                        }
                        None => format!("client {id}: EOF without a close, echo missing"),
                    }));
                }
                let mut progress = Progress::default();
                parser.feed(&buf[..n], &mut progress)?;
                for ping in progress.pings {
                    tcp.write_all(&wire::masked_frame(OP_PONG, &ping)).await?;
                }
                got += progress.messages;
            }
            if got != 1 {
                return Err(io::Error::other(format!(
                    "client {id}: an echo nobody asked for"
                )));
            }
            report.echoed += got;
            report.latencies.push(sent_at.elapsed());
            rounds += 1;
        }
    }
}
