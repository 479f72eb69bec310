//! The original's `time-client-with-threads`: the connection is split; a spawned reader
//! task prints what the server sends while the main task sends the lines of the standard
//! input. At the end of the input (Ctrl-D) the main task closes the connection and waits
//! for the reader to see the end.
//!
//! ```sh
//! cargo run --example time-server &
//! cargo run --example time-client-tasks -- --server ws://localhost:8081/
//! ```

use clap::Parser;
use rfc6455::CloseCode;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
struct Args {
    /// The server's URL.
    #[arg(long, default_value = "ws://localhost:8081/")]
    server: String,
}

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let args = Args::parse();
    let (ws, _) = rfc6455::connect(&args.server).await?;
    println!("connected to {}", args.server);
    let (mut rx, mut tx) = ws.split();

    let reader = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            match msg {
                Ok(msg) => println!("server: {}", msg.as_text().unwrap_or("<binary>")),
                Err(e) => {
                    println!("error: {e}");
                    break;
                }
            }
        }
        println!(
            "closed: status {}",
            rx.peer_close_code().map_or(1006, |c| c.as_u16())
        );
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if reader.is_finished() {
            break;
        }
        tx.send_text(&line).await?;
        println!("sent: {line}");
    }
    tx.close(CloseCode::NORMAL, "end of input").await?;
    let _ = reader.await;
    Ok(())
}
