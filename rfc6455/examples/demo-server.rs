//! The demo: one port serves the browser page and the WebSocket services.
//!
//! ```sh
//! cargo run --example demo-server            # then open http://localhost:8081/
//! cargo run --example demo-server -- --port 9000
//! ```
//!
//! | path | what |
//! |---|---|
//! | `/` | the page (`examples/static/client.html` and `client.js`): it connects back to `/test`, says "Hi there", logs every message, says "goodbye" after ten |
//! | `ws://…/test` | the test service mapper: the test service, or with subprotocol `subprotocol` "This is the subprotocol handler" first (`/?protocol=subprotocol` on the page) |
//! | `ws://…/echo` | echoes every message |
//!
//! Plain HTTP requests go to the static files; upgrades go to the service mapper.

#[path = "shared/mod.rs"]
mod shared;

use std::path::PathBuf;

use clap::Parser;
use rfc6455::{DeflateConfig, ServerOptions, ServiceMapper, StaticFiles, serve_mapped};

#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// The folder served at `/`.
    #[arg(long = "static", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static"))]
    static_dir: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.static_dir.join("client.html").is_file() {
        return Err(format!("no client.html in {}", args.static_dir.display()).into());
    }
    let mapper = ServiceMapper::builder()
        .path("/test")
        .no_subprotocol(|ws, _| shared::test_service(ws))
        .subprotocol("subprotocol", |ws, _| shared::subprotocol_service(ws))
        .path("/echo")
        .no_subprotocol(|ws, _| shared::echo_service(ws))
        .build()?;
    // hybi-00 too, as the original serves it (its Racket client speaks it).
    // The page's connections negotiate permessage-deflate (browsers always offer it).
    let options = ServerOptions::default()
        .port(args.port)
        .hybi00(true)
        .compression(Some(DeflateConfig::default()))
        .fallback(StaticFiles::new(&args.static_dir).index("client.html"));
    let server = serve_mapped(options, mapper).await?;
    // Ctrl-C or SIGTERM, listened for from now on: stop accepting, close every connection
    // with 1001 after what was queued for it, and wait for them.
    let stop = shared::stop_requested()?;
    let port = server.local_addr().port();
    println!("demo server listening on port {port}");
    println!("  WebSocket services: ws://localhost:{port}/test and ws://localhost:{port}/echo");
    println!("Open http://localhost:{port}/ in a browser");
    stop.await;
    server.stop().await;
    Ok(())
}
