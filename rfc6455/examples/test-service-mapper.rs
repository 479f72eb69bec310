//! The original's `test-service-mapper`: the test service on path `/test`, chosen by the
//! subprotocol the client offers.
//!
//! - a client offering no subprotocol gets the test server's behaviour ("Waited another
//!   second" every second, `You said: "…"`, `goodbye` → `Goodbye!` and close);
//! - a client offering `subprotocol` first gets "This is the subprotocol handler", then the
//!   same;
//! - any other path is refused with 404, any other subprotocol with 400.
//!
//! ```sh
//! cargo run --example test-service-mapper -- --port 8081
//! cargo run --example client -- --url ws://localhost:8081/test
//! ```

#[path = "shared/mod.rs"]
mod shared;

use std::time::Duration;

use clap::Parser;
use rfc6455::{ServerOptions, ServiceMapper, serve_mapped};

#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Idle timeout in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mapper = ServiceMapper::builder()
        .path("/test")
        .no_subprotocol(|ws, _| shared::test_service(ws))
        .subprotocol("subprotocol", |ws, _| shared::subprotocol_service(ws))
        .build()?;
    // hybi-00 too, as the original serves it (its Racket client speaks it).
    let options = ServerOptions::default()
        .port(args.port)
        .idle_timeout(Some(Duration::from_secs(args.timeout)))
        .hybi00(true);
    let server = serve_mapped(options, mapper).await?;
    // Ctrl-C or SIGTERM, listened for from now on: stop accepting, close every connection
    // with 1001 after what was queued for it, and wait for them.
    let stop = shared::stop_requested()?;
    println!(
        "test service mapper listening on ws://localhost:{}/test",
        server.local_addr().port()
    );
    stop.await;
    server.stop().await;
    Ok(())
}
