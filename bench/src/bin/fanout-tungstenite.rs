//! The naive fan-out server on tokio-tungstenite, for rfc6455's `fanout-bench` example
//! (`--server target/release/fanout-tungstenite` there): the publisher's connection task
//! sends each message to every subscriber connection in turn.
//!
//! It speaks the benchmark's protocol: prints `PORT <n>`; `/sub` connections get `ready`
//! and then every published message; each message on `/pub` is sent to all of them; it
//! ends when its stdin closes. It accepts (and mostly ignores) the arguments the driver
//! passes its own server: `--serve`, `--mode`, `--subscribers`, `--server-threads N`.

use std::sync::Arc;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

type Sink = SplitSink<WebSocketStream<TcpStream>, Message>;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let threads = args
        .iter()
        .position(|a| a == "--server-threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    raise_nofile();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?
        .block_on(serve())
}

/// The soft descriptor limit up to the hard one (10 000 subscribers need 10 000).
fn raise_nofile() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

async fn serve() -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("PORT {}", listener.local_addr()?.port());
    let subscribers: Arc<Mutex<Vec<Sink>>> = Arc::default();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let subscribers = subscribers.clone();
            tokio::spawn(async move {
                let mut path = String::new();
                // The callback's type is tungstenite's, error response included.
                #[allow(clippy::result_large_err)]
                let callback = |request: &Request, response: Response| {
                    path = request.uri().path().to_owned();
                    Ok(response)
                };
                let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                if path == "/pub" {
                    while let Some(Ok(message)) = stream.next().await {
                        if !message.is_binary() && !message.is_text() {
                            continue;
                        }
                        for sink in subscribers.lock().await.iter_mut() {
                            let _ = sink.send(message.clone()).await;
                        }
                    }
                } else {
                    {
                        let mut list = subscribers.lock().await;
                        if sink.send(Message::text("ready")).await.is_err() {
                            return;
                        }
                        list.push(sink);
                    }
                    while let Some(Ok(_)) = stream.next().await {}
                }
            });
        }
    });
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = stdin.next_line().await {}
    Ok(())
}
