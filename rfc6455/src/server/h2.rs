//! Serving one HTTP/2 connection (RFC 9113) with hyper: chosen by ALPN (`h2`) on a TLS
//! port, or by its preface in cleartext when [`ServerOptions::h2c`](crate::ServerOptions::h2c)
//! is on. `SETTINGS_ENABLE_CONNECT_PROTOCOL` is advertised, so that a client opens each
//! WebSocket as one stream with an extended CONNECT (RFC 8441); the listener's service
//! sends those to the accept path and other requests to the fallback service.
//!
//! A WebSocket on a stream is hyper's upgraded stream: its frames travel in DATA frames,
//! what the reader consumes is released to the peer's flow-control window, and a write
//! waits for the peer's window (backpressure both ways). Closing the WebSocket ends the
//! stream (END_STREAM); a stream the peer resets ends its WebSocket with an error and
//! leaves the connection's other streams alone.

#[cfg(feature = "tls")]
use bytes::BytesMut;
use hyper::body::{Body, Incoming};
use hyper::rt::bounds::Http2ServerConnExec;
use hyper::server::conn::http2;
use hyper::service::HttpService;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
#[cfg(feature = "tls")]
use tokio::io::AsyncReadExt;
use tokio::io::{AsyncRead, AsyncWrite};

use super::fallback::BoxError;
use crate::stop::StopSlot;

/// The start of HTTP/2's connection preface (RFC 9113 §3.4), which no HTTP/1 request
/// starts with.
pub(crate) const PREFACE_START: &[u8] = b"PRI * HTTP/2.0\r\n";

/// The whole connection preface (RFC 9113 §3.4).
#[cfg(feature = "tls")]
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Read the client's connection preface from `io` into `buf` (24 bytes; hyper checks them
/// when it reads them from `buf`), so that a connection which chose HTTP/2 by ALPN is
/// held to the same handshake timeout as a first request head.
///
/// # Errors
/// The stream's error, or `UnexpectedEof` when it ends first.
#[cfg(feature = "tls")]
pub(crate) async fn read_preface<S>(io: &mut S, buf: &mut BytesMut) -> std::io::Result<()>
where
    S: AsyncRead + Unpin,
{
    buf.reserve(PREFACE.len());
    while buf.len() < PREFACE.len() {
        if io.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// The receive window of a whole connection: 16 KiB per stream it may carry, at least
/// hyper's 1 MiB. h2 closes a connection (GOAWAY `ENHANCE_YOUR_CALM`) that holds more
/// small DATA frames unread than half of this window allows for (its guard against floods
/// of tiny frames); a WebSocket message under 256 bytes is one such frame, so the window
/// grows with the number of WebSockets that may each have a few in flight.
fn connection_window(max_streams: u32) -> u32 {
    max_streams.saturating_mul(16 * 1024).max(1 << 20)
}

/// Serve `io` as an HTTP/2 connection, each request answered by `service`, request heads
/// up to `max_header_size` bytes, at most `max_streams` streams at once, until the peer
/// closes it or `stop` is signalled (then the connection sends GOAWAY, finishes its open
/// streams and ends).
pub(crate) async fn serve<I, S, B>(
    io: I,
    service: S,
    max_header_size: usize,
    max_streams: u32,
    stop: StopSlot,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming, ResBody = B>,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
    TokioExecutor: Http2ServerConnExec<S::Future, B>,
{
    let conn = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .enable_connect_protocol()
        .max_concurrent_streams(max_streams)
        .initial_connection_window_size(connection_window(max_streams))
        .max_header_list_size(u32::try_from(max_header_size).unwrap_or(u32::MAX))
        .serve_connection(TokioIo::new(io), service);
    let conn = std::pin::pin!(conn);
    let result = stop.drive(conn, |conn| conn.graceful_shutdown()).await;
    if let Err(e) = result {
        tracing::debug!("HTTP/2 connection ended: {e}");
    }
}
