//! Echo server on tokio-websockets: `ServerBuilder::accept` on a raw
//! `TcpStream`. Default configuration except the payload limit, raised so the
//! 64 MiB message fits.

use futures_util::{SinkExt as _, StreamExt as _};
use rfc6455_bench::server;
use tokio_websockets::{Limits, ServerBuilder};

fn main() -> std::io::Result<()> {
    server::run("tokio-websockets-echo", |listener| async move {
        loop {
            let stream = server::accept(&listener).await;
            tokio::spawn(async move {
                let builder = ServerBuilder::new()
                    .limits(Limits::default().max_payload_len(Some(server::MAX_MESSAGE)));
                let Ok((_request, mut ws)) = builder.accept(stream).await else {
                    return;
                };
                // Pings are answered and the close handshake is completed by
                // tokio-websockets itself; the stream ends after it.
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}
