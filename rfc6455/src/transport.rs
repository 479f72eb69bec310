//! [`Transport`]: the streams a [`WebSocket`](crate::WebSocket) runs on by default.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The byte stream under a connection: plain TCP, TLS over TCP (client or server side,
/// with the `tls` feature), or a connection hyper upgraded that is none of these (for
/// example one an application's own hyper server accepted).
///
/// An enum rather than a boxed trait object, so the common cases (TCP, TLS) have no
/// dynamic dispatch. The TLS streams are boxed: they are large, and the box keeps every
/// `WebSocket` small.
///
/// ```no_run
/// # async fn demo() -> Result<(), rfc6455::Error> {
/// let (ws, _) = rfc6455::connect("ws://localhost:8081/").await?;
/// assert!(matches!(ws.get_ref(), rfc6455::Transport::Tcp(_)));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Transport {
    /// Plain TCP.
    Tcp(TcpStream),
    /// A connection upgraded by hyper.
    Upgraded(TokioIo<Upgraded>),
    /// One stream of an HTTP/2 connection (RFC 8441), this end the client
    /// ([`ClientOptions::http2`](crate::ClientOptions::http2)).
    H2(Box<crate::http2::H2Stream>),
    /// TLS over TCP, this end the client (`wss://` from [`connect`](crate::connect)).
    #[cfg(feature = "tls")]
    TlsClient(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// TLS over TCP, this end the server (a server with
    /// [`ServerOptions::tls`](crate::ServerOptions::tls)).
    #[cfg(feature = "tls")]
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

macro_rules! delegate {
    ($self:ident, $io:ident => $e:expr) => {
        match $self.get_mut() {
            Transport::Tcp($io) => {
                let $io = Pin::new($io);
                $e
            }
            Transport::Upgraded($io) => {
                let $io = Pin::new($io);
                $e
            }
            Transport::H2($io) => {
                let $io = Pin::new(&mut **$io);
                $e
            }
            #[cfg(feature = "tls")]
            Transport::TlsClient($io) => {
                let $io = Pin::new(&mut **$io);
                $e
            }
            #[cfg(feature = "tls")]
            Transport::TlsServer($io) => {
                let $io = Pin::new(&mut **$io);
                $e
            }
        }
    };
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_read(cx, buf))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tcp(io) => io.is_write_vectored(),
            Self::Upgraded(io) => io.is_write_vectored(),
            Self::H2(io) => io.is_write_vectored(),
            #[cfg(feature = "tls")]
            Self::TlsClient(io) => io.is_write_vectored(),
            #[cfg(feature = "tls")]
            Self::TlsServer(io) => io.is_write_vectored(),
        }
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            // Nothing to flush: a TCP stream buffers nothing of its own. Answered here, so
            // the common case costs no call.
            Self::Tcp(_) => Poll::Ready(Ok(())),
            other => Pin::new(other).poll_flush_buffered(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_shutdown(cx))
    }
}

impl Transport {
    /// `poll_flush` for the streams that buffer (TLS, HTTP/2, hyper's upgraded ones).
    #[inline(never)]
    fn poll_flush_buffered(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => io.poll_flush(cx))
    }
}

/// A [`Transport`] with bytes already read from it put back in front: what the server
/// hands hyper when the request it read turns out to be one for hyper to serve.
#[derive(Debug)]
pub(crate) struct Rewound {
    pub(crate) prefix: bytes::Bytes,
    pub(crate) io: Transport,
}

impl AsyncRead for Rewound {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.prefix.is_empty() {
            return Pin::new(&mut self.io).poll_read(cx, buf);
        }
        let n = self.prefix.len().min(buf.remaining());
        buf.put_slice(&self.prefix.split_to(n));
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Rewound {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
