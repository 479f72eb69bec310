//! The original's `cat`: sends each line of the standard input to a server as a text
//! message and writes what comes back to the standard output; at the end of the input it
//! waits `--linger` seconds for the last answers (like `nc -q`: once our close frame is
//! sent, RFC 6455 lets the library drop what still arrives), then closes with `--status`
//! and `--reason` and waits for the server's close.
//!
//! ```sh
//! cargo run --example echo-server &
//! printf 'one\ntwo\n' | cargo run --example cat -- --server ws://localhost:8081/ --status 1000 --reason done
//! ```
//! `wss://` URLs work too; `--ca FILE` trusts the CA certificates of a PEM file besides the
//! Mozilla roots (for a server with a private or self-made certificate):
//! ```sh
//! echo hi | cargo run --example cat -- --server wss://localhost:8443/ --ca ca.pem
//! ```
//! The peer's close status and reason go to the standard error, so the output holds only
//! the messages.

use std::time::Duration;

use clap::Parser;
use rfc6455::CloseCode;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
struct Args {
    /// The server's URL: ws:// or wss://.
    #[arg(long, default_value = "ws://localhost:8081/echo")]
    server: String,
    /// A PEM file of CA certificates to trust for wss://, besides the Mozilla roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    /// The status code of the close frame sent at the end of the input.
    #[arg(long, default_value_t = 1000)]
    status: u16,
    /// The reason of the close frame (at most 123 bytes of UTF-8).
    #[arg(long, default_value = "")]
    reason: String,
    /// Seconds to keep printing answers after the end of the input, before closing.
    #[arg(long, default_value_t = 0.5)]
    linger: f64,
}

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let args = Args::parse();
    let options = rfc6455::ClientOptions::default();
    #[cfg(feature = "tls")]
    let options = match &args.ca {
        Some(ca) => options.ca_pem_file(ca)?,
        None => options,
    };
    #[cfg(not(feature = "tls"))]
    if let Some(ca) = &args.ca {
        panic!("--ca {}: built without the `tls` feature", ca.display());
    }
    let (ws, _) = rfc6455::connect_with(&args.server, options).await?;
    let (mut rx, mut tx) = ws.split();

    let printer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            match msg {
                Ok(rfc6455::Message::Text(text)) => println!("{text}"),
                Ok(rfc6455::Message::Binary(data)) => println!("<{} bytes of binary>", data.len()),
                Err(e) => {
                    eprintln!("error: {e}");
                    break;
                }
            }
        }
        eprintln!(
            "closed: status {} reason {:?}",
            rx.peer_close_code().map_or(1006, |c| c.as_u16()),
            rx.peer_close_reason()
        );
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if printer.is_finished() {
            break;
        }
        tx.send_text(&line).await?;
    }
    if !printer.is_finished() {
        tokio::time::sleep(Duration::from_secs_f64(args.linger.max(0.0))).await;
    }
    tx.close(CloseCode::from(args.status), &args.reason).await?;
    let _ = printer.await;
    Ok(())
}
