//! The client for the Autobahn testsuite's fuzzing server: runs every case, echoing every
//! message, then asks the server to write its reports.
//!
//! ```sh
//! cargo run --release --example autobahn-client -- ws://127.0.0.1:9001 rfc6455
//! ```

use clap::Parser;
use rfc6455::{ClientOptions, Config, DeflateConfig, Limits};

#[derive(Parser)]
struct Args {
    /// The fuzzing server's URL.
    url: String,
    /// The agent name the reports are filed under.
    #[arg(default_value = "rfc6455")]
    agent: String,
}

fn options() -> ClientOptions {
    ClientOptions::default().config(
        Config::default()
            .limits(Limits::default())
            .idle_timeout(None)
            // permessage-deflate, every message compressed (Autobahn 12.* and 13.*).
            .compression(Some(DeflateConfig::default().threshold(0))),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), rfc6455::Error> {
    let args = Args::parse();
    let base = args.url.trim_end_matches('/');
    let (mut ws, _) = rfc6455::connect_with(&format!("{base}/getCaseCount"), options()).await?;
    let count: u32 = match ws.recv().await {
        Some(Ok(msg)) => msg
            .as_text()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    ws.close(rfc6455::CloseCode::NORMAL, "").await?;
    println!("{count} cases");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={}", args.agent);
        let Ok((mut ws, _)) = rfc6455::connect_with(&url, options()).await else {
            continue;
        };
        while let Some(Ok(msg)) = ws.recv().await {
            if ws.send(msg).await.is_err() {
                break;
            }
        }
    }
    let url = format!("{base}/updateReports?agent={}", args.agent);
    let (mut ws, _) = rfc6455::connect_with(&url, options()).await?;
    ws.close(rfc6455::CloseCode::NORMAL, "").await?;
    println!("reports updated");
    Ok(())
}
