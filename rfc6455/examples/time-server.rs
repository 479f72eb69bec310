//! The original's `time-server`: every connection (on any path) gets the current time,
//! in UTC, once a second, until it closes. Messages the client sends are printed.
//!
//! ```sh
//! cargo run --example time-server -- --port 8081
//! cargo run --example time-client-select     # or time-client-tasks
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use rfc6455::{ServerOptions, WebSocket, serve};

#[path = "shared/mod.rs"]
mod shared;

#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8081)]
    port: u16,
}

/// Now, as `YYYY-MM-DD HH:MM:SS UTC`.
fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

async fn time_service(mut ws: WebSocket) {
    let peer = ws
        .handshake()
        .peer_addr()
        .map_or_else(|| "?".to_owned(), |a| a.to_string());
    println!("[{peer}] connected");
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if ws.send_text(&now_utc()).await.is_err() {
                    break;
                }
            }
            msg = ws.recv() => match msg {
                Some(Ok(msg)) => println!("[{peer}] says: {}", msg.as_text().unwrap_or("<binary>")),
                Some(Err(e)) => {
                    println!("[{peer}] error: {e}");
                    break;
                }
                None => break,
            },
        }
    }
    println!(
        "[{peer}] closed: status {} reason {:?}",
        ws.peer_close_code().map_or(1006, |c| c.as_u16()),
        ws.peer_close_reason()
    );
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let server = serve(ServerOptions::default().port(args.port), time_service).await?;
    // Ctrl-C or SIGTERM, listened for from now on: stop accepting, close every connection
    // with 1001 after what was queued for it, and wait for them.
    let stop = shared::stop_requested()?;
    println!(
        "time server listening on ws://localhost:{}/",
        server.local_addr().port()
    );
    stop.await;
    server.stop().await;
    Ok(())
}
