//! The original's test server: says "Waited another second" every second, answers each
//! message with `You said: "…"`, and on `goodbye` answers `Goodbye!` and closes.
//!
//! ```sh
//! cargo run --example test-server -- --port 8081
//! ```

use std::time::Duration;

use clap::Parser;
use rfc6455::{ServerOptions, serve};

#[path = "shared/mod.rs"]
mod shared;

#[derive(Parser)]
struct Args {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Idle timeout in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    // hybi-00 too, as the original serves it (its Racket client speaks it).
    let options = ServerOptions::default()
        .port(args.port)
        .idle_timeout(Some(Duration::from_secs(args.timeout)))
        .hybi00(true);
    let server = serve(options, shared::test_service).await?;
    // Ctrl-C or SIGTERM, listened for from now on: stop accepting, close every connection
    // with 1001 after what was queued for it, and wait for them.
    let stop = shared::stop_requested()?;
    println!(
        "test server listening on ws://localhost:{}/",
        server.local_addr().port()
    );
    stop.await;
    server.stop().await;
    Ok(())
}
