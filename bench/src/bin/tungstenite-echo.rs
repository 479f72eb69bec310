//! Echo server on tokio-tungstenite: `accept_async_with_config` on a raw
//! `TcpStream`. Default configuration except the message and frame size
//! limits, raised so the 64 MiB message fits.

use futures_util::{SinkExt as _, StreamExt as _};
use rfc6455_bench::server;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn main() -> std::io::Result<()> {
    server::run("tungstenite-echo", |listener| async move {
        loop {
            let stream = server::accept(&listener).await;
            tokio::spawn(async move {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(server::MAX_MESSAGE))
                    .max_frame_size(Some(server::MAX_MESSAGE));
                let Ok(mut ws) =
                    tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
                else {
                    return;
                };
                // Pings are answered and the close handshake is completed by
                // tungstenite itself while reading; `next` ends after it.
                while let Some(Ok(msg)) = ws.next().await {
                    if matches!(msg, Message::Text(_) | Message::Binary(_))
                        && ws.send(msg).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    })
}
