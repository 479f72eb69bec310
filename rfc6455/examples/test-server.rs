//! The original's test server: says "Waited another second" every second, answers each
//! message with `You said: "…"`, and on `goodbye` answers `Goodbye!` and closes.
//!
//! ```sh
//! cargo run --example test-server -- --port 8081
//! ```

use std::time::Duration;

use clap::Parser;
use rfc6455::{CloseCode, ServerOptions, WebSocket, serve};

#[derive(Parser)]
struct Args {
    /// TCP port to listen on.
    #[arg(long, default_value_t = 8081)]
    port: u16,
    /// Idle timeout in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

/// The test service: shared with the service-mapper example.
async fn test_service(mut ws: WebSocket) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            msg = ws.recv() => match msg {
                Some(Ok(msg)) => {
                    let text = msg.as_text().unwrap_or("<binary>").to_owned();
                    println!("got: {text}");
                    if text == "goodbye" {
                        let _ = ws.send_text("Goodbye!").await;
                        let _ = ws.close(CloseCode::NORMAL, "").await;
                        break;
                    }
                    if ws.send_text(&format!("You said: {text:?}")).await.is_err() {
                        break;
                    }
                }
                Some(Err(e)) => { println!("error: {e}"); break }
                None => break,
            },
            _ = tick.tick() => {
                if ws.send_text("Waited another second").await.is_err() {
                    break;
                }
            }
        }
    }
    println!("connection closed ({:?})", ws.close_code());
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let options = ServerOptions::default()
        .port(args.port)
        .idle_timeout(Some(Duration::from_secs(args.timeout)));
    let server = serve(options, test_service).await?;
    println!(
        "test server listening on ws://localhost:{}/",
        server.local_addr().port()
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}
