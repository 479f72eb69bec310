//! The original's `time-client-with-sync`: one task waits on the connection and on the
//! standard input at once, with `tokio::select!` (`WebSocket::recv` is cancel-safe, so
//! nothing is lost when the other branch wins).
//!
//! Prints every message from the server; sends every line typed; at the end of the input
//! (Ctrl-D) closes the connection and exits.
//!
//! ```sh
//! cargo run --example time-server &
//! cargo run --example time-client-select -- --server ws://localhost:8081/
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
    let (mut ws, _) = rfc6455::connect(&args.server).await?;
    println!("connected to {}", args.server);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            msg = ws.recv() => match msg {
                Some(msg) => println!("server: {}", msg?.as_text().unwrap_or("<binary>")),
                None => {
                    println!("the server closed the connection");
                    break;
                }
            },
            line = lines.next_line() => match line? {
                Some(line) => {
                    ws.send_text(&line).await?;
                    println!("sent: {line}");
                }
                None => {
                    ws.close(CloseCode::NORMAL, "end of input").await?;
                    break;
                }
            },
        }
    }
    println!(
        "closed: status {}",
        ws.peer_close_code().map_or(1006, |c| c.as_u16())
    );
    Ok(())
}
