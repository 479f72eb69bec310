//! Command line and runtime shared by every echo server in the harness.
//!
//! Every server (the peers here and `rfc6455`'s `autobahn-server` example)
//! takes `--port P --threads N`, listens on 127.0.0.1:P and runs on a tokio
//! multi-thread runtime with exactly N worker threads.

use std::io;

use clap::Parser;

/// The largest message the peers are configured to accept. The benchmark's
/// largest message is 64 MiB; every server's limit is raised above it.
pub const MAX_MESSAGE: usize = 128 << 20;

/// The command line every echo server accepts.
#[derive(Debug, Clone, Parser)]
pub struct ServerArgs {
    /// TCP port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 9001)]
    pub port: u16,
    /// Number of tokio worker threads (multi-thread runtime).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Offer permessage-deflate (the servers that support it; the others
    /// ignore it, and the deflate load generator then fails the run).
    #[arg(long)]
    pub compress: bool,
}

impl ServerArgs {
    /// The socket address to listen on.
    pub fn addr(&self) -> (std::net::Ipv4Addr, u16) {
        (std::net::Ipv4Addr::LOCALHOST, self.port)
    }
}

/// Builds the runtime used by every server: multi-thread, `threads` workers,
/// all drivers enabled.
pub fn runtime(threads: usize) -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
}

/// Parses the command line, builds the runtime and runs `serve` on it with
/// a bound listener. Accept errors other than resource exhaustion are fatal.
pub fn run<F, Fut>(name: &str, serve: F) -> io::Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: Future<Output = io::Result<()>>,
{
    let args = ServerArgs::parse();
    let rt = runtime(args.threads)?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr()).await?;
        eprintln!(
            "{name}: listening on 127.0.0.1:{} with {} worker thread(s)",
            args.port, args.threads
        );
        serve(listener).await
    })
}

/// Accepts one connection, setting `TCP_NODELAY` on it. Transient errors
/// (for example running out of file descriptors) are retried after a pause.
pub async fn accept(listener: &tokio::net::TcpListener) -> tokio::net::TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                return stream;
            }
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 section 4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(key);
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_sample_accept_key() {
        assert_eq!(
            super::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
