//! The original's client: connects to the test server, greets it, prints five messages,
//! says goodbye, prints the answer and closes.
//!
//! ```sh
//! cargo run --example test-server &
//! cargo run --example client -- --url ws://localhost:8081/test?foo=bar
//! ```

use clap::Parser;
use rfc6455::CloseCode;

#[derive(Parser)]
struct Args {
    /// The server's URL.
    #[arg(long, default_value = "ws://localhost:8081/test?foo=bar")]
    url: String,
}

#[tokio::main]
async fn main() -> Result<(), rfc6455::Error> {
    let args = Args::parse();
    let (mut ws, response) = rfc6455::connect(&args.url).await?;
    println!("connected to {} ({})", args.url, response.status());
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
    println!("closed: status {:?}", ws.close_code().map(|c| c.as_u16()));
    Ok(())
}
