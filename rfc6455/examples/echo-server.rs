//! Echo server: every text message comes back as text, every binary one as binary.
//!
//! ```sh
//! cargo run --example echo-server -- --port 8081 --timeout 300 [--compress] [--h2c]
//! cargo run --example echo-server -- --tls-cert cert.pem --tls-key key.pem
//! ```
//! Prints each connection's id, the messages, and the peer's close status and reason.
//! With `--tls-cert` and `--tls-key` it serves `wss://`, HTTP/2 and HTTP/1.1 chosen by ALPN
//! on the same port; `--h2c` accepts cleartext HTTP/2 with prior knowledge beside HTTP/1.1
//! upgrades. Over HTTP/2 every WebSocket is one stream (RFC 8441). It echoes on every path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use rfc6455::{DeflateConfig, Message, ServerOptions, serve};

#[path = "shared/mod.rs"]
mod shared;

#[derive(Parser)]
struct Args {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Idle timeout in seconds (close a connection that sends nothing for this long).
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Accept permessage-deflate (RFC 7692): dedicated compressor per connection, context
    /// takeover, every parameter negotiable.
    #[arg(long)]
    compress: bool,
    /// Serve wss:// with this PEM certificate chain (with --tls-key); HTTP/2 or HTTP/1.1
    /// by ALPN.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Accept cleartext HTTP/2 with prior knowledge (h2c) beside HTTP/1.1.
    #[arg(long)]
    h2c: bool,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    // hybi-00 too, as the original serves it (its Racket client speaks it).
    let options = ServerOptions::default()
        .port(args.port)
        .idle_timeout(Some(Duration::from_secs(args.timeout)))
        .compression(args.compress.then(DeflateConfig::default))
        .h2c(args.h2c)
        .hybi00(true);
    let (options, scheme) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => (with_tls(options, cert, key)?, "wss"),
        _ => (options, "ws"),
    };
    let server = serve(options, |mut ws| async move {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let info = ws.handshake();
        println!(
            "[{id}] connected over {:?}: {}",
            info.http_version(),
            info.request_line()
        );
        while let Some(result) = ws.recv().await {
            match result {
                Ok(msg) => {
                    match &msg {
                        Message::Text(text) => println!("[{id}] text: {text}"),
                        Message::Binary(data) => println!("[{id}] binary: {} bytes", data.len()),
                    }
                    if ws.send(msg).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    println!("[{id}] error: {e}");
                    break;
                }
            }
        }
        println!(
            "[{id}] closed: status {} reason {:?}",
            ws.peer_close_code().map_or(1006, |c| c.as_u16()),
            ws.peer_close_reason()
        );
    })
    .await?;
    // Ctrl-C or SIGTERM, listened for from now on: stop accepting, close every connection
    // with 1001 after what was queued for it, and wait for them.
    let stop = shared::stop_requested()?;
    println!(
        "echo server listening on {scheme}://localhost:{}/",
        server.local_addr().port()
    );
    stop.await;
    server.stop().await;
    Ok(())
}

/// `options` serving TLS with the PEM files `cert` and `key`.
#[cfg(feature = "tls")]
fn with_tls(
    options: ServerOptions,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<ServerOptions> {
    Ok(options.tls(rfc6455::tls::ServerTls::from_pem_files(cert, key)?))
}

#[cfg(not(feature = "tls"))]
fn with_tls(
    _: ServerOptions,
    _: &std::path::Path,
    _: &std::path::Path,
) -> std::io::Result<ServerOptions> {
    Err(std::io::Error::other("built without the `tls` feature"))
}
