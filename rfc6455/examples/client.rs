//! The original's client: connects to the test server, greets it, prints five messages,
//! says goodbye, prints the answer and closes — once with RFC 6455, once with hybi-00.
//!
//! ```sh
//! cargo run --example test-server &
//! cargo run --example client -- --url ws://localhost:8081/test?foo=bar
//! ```

use clap::Parser;
use rfc6455::{ClientOptions, CloseCode, Variant};

#[derive(Parser)]
struct Args {
    /// The server's URL.
    #[arg(long, default_value = "ws://localhost:8081/test?foo=bar")]
    url: String,
}

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let args = Args::parse();
    // As the original's client: once with RFC 6455, once with the hybi-00 draft.
    for variant in [Variant::Rfc6455, Variant::Hybi00] {
        println!("--- {variant:?}");
        run(&args.url, ClientOptions::default().variant(variant)).await?;
    }
    Ok(())
}

async fn run(url: &str, options: ClientOptions) -> Result<(), rfc6455::Error> {
    let (mut ws, response) = rfc6455::connect_with(url, options).await?;
    println!("connected to {url} ({})", response.status());
    ws.send_text("Hello from the Rust client").await?;
    for _ in 0..5 {
        match ws.recv().await {
            Some(msg) => println!("received: {}", msg?.as_text().unwrap_or("<binary>")),
            None => break,
        }
    }
    ws.send_text("goodbye").await?;
    while let Some(msg) = ws.recv().await {
        let msg = msg?;
        let text = msg.as_text().unwrap_or("<binary>");
        println!("received: {text}");
        if text == "Goodbye!" {
            break;
        }
    }
    ws.close(CloseCode::NORMAL, "").await?;
    println!(
        "closed: status {:?}",
        ws.peer_close_code().map(|c| c.as_u16())
    );
    Ok(())
}
