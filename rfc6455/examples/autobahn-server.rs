//! The echo server for the Autobahn testsuite and the benchmark: every message on any path
//! is echoed back; listens on 127.0.0.1.
//!
//! ```sh
//! cargo run --release --example autobahn-server -- --port 9002 --threads 1
//! ```

use clap::Parser;
use rfc6455::{Config, DeflateConfig, DeflateMode, Limits, ServerOptions, serve};

#[derive(Parser)]
struct Args {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 9002)]
    port: u16,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// permessage-deflate in the shared mode (no context takeover, compressors pooled per
    /// thread) instead of the dedicated one.
    #[arg(long)]
    shared: bool,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let options = ServerOptions::default()
            .listen_addr([127, 0, 0, 1].into())
            .port(args.port)
            .config(
                Config::default()
                    .idle_timeout(None)
                    .limits(
                        Limits::default()
                            .max_frame_size(128 << 20)
                            .max_message_size(128 << 20),
                    )
                    // permessage-deflate, every message compressed (Autobahn 12.* and 13.*).
                    .compression(Some(DeflateConfig::default().threshold(0).mode(
                        if args.shared {
                            DeflateMode::Shared
                        } else {
                            DeflateMode::Dedicated
                        },
                    ))),
            );
        let server = serve(options, |mut ws| async move {
            // `feed` queues the echo; the next `recv` writes everything queued before it
            // waits for the peer, so the echoes of pipelined messages leave in one write.
            while let Some(Ok(msg)) = ws.recv().await {
                if ws.feed(msg).await.is_err() {
                    break;
                }
            }
        })
        .await?;
        println!(
            "autobahn-server listening on ws://127.0.0.1:{}/",
            server.local_addr().port()
        );
        std::future::pending::<()>().await;
        Ok(())
    })
}
