//! WebSockets inside an axum application (feature `axum`), on one port with its pages:
//!
//! - `GET /` is an ordinary axum handler;
//! - `/echo` is one endpoint, with the [`WebSocketUpgrade`] extractor: an upgrade is
//!   echoed, a plain GET gets a short text;
//! - everything else falls through to a [`ServiceMapper`]: `/rooms/<name>` with the
//!   subprotocol `chat` greets the room.
//!
//! ```sh
//! cargo run --features axum --example axum-echo -- --port 8081
//! printf 'hello\n' | cargo run --example cat -- --server ws://localhost:8081/echo
//! ```

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::Parser;
use rfc6455::axum::WebSocketUpgrade;
use rfc6455::{PathParams, ServiceMapper};

#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    port: u16,
}

/// `/echo`: echo an upgrade; answer a plain request with text.
async fn echo(upgrade: Option<WebSocketUpgrade>) -> Response {
    let Some(upgrade) = upgrade else {
        return "This is the echo endpoint: connect with a WebSocket client.\n".into_response();
    };
    upgrade.on_upgrade(|mut ws| async move {
        while let Some(Ok(msg)) = ws.recv().await {
            if ws.send(msg).await.is_err() {
                break;
            }
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let rooms = ServiceMapper::builder()
        .path(r"/rooms/(?<room>\w+)")
        .subprotocol("chat", |mut ws, params: PathParams| async move {
            let room = params.get("room").unwrap_or_default().to_owned();
            let _ = ws.send_text(&format!("welcome to {room}")).await;
            while let Some(Ok(msg)) = ws.recv().await {
                let text = msg.as_text().unwrap_or("<binary>").to_owned();
                if ws.send_text(&format!("[{room}] {text}")).await.is_err() {
                    break;
                }
            }
        })
        .build()?;
    let app = Router::new()
        .route("/", get(|| async { "Hello from axum: try ws://…/echo\n" }))
        .route("/echo", get(echo))
        .fallback_service(rooms.into_service());
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", args.port)).await?;
    let port = listener.local_addr()?.port();
    println!("axum echo listening on http://localhost:{port}/ (ws://localhost:{port}/echo)");
    axum::serve(listener, app).await?;
    Ok(())
}
