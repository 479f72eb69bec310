//! Echo server on yawc: a hyper 1 HTTP/1.1 server whose handler upgrades with
//! `WebSocket::upgrade_with_options`, then echoes every message with
//! `next_frame` and the `Sink`. yawc reassembles fragmented messages and
//! answers pings and the close handshake itself; UTF-8 validation is turned on
//! (`with_utf8`, as the other servers validate text) and the limits are raised
//! so the 64 MiB message fits. `--compress` accepts permessage-deflate with
//! yawc's balanced settings (level 6, context takeover both ways; yawc then
//! asks the client for `client_max_window_bits=9`).

use bytes::Bytes;
use futures_util::SinkExt as _;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rfc6455_bench::server;
use yawc::{OpCode, Options, WebSocket, WebSocketError};

fn options() -> Options {
    let options = Options::default()
        .with_utf8()
        .with_limits(server::MAX_MESSAGE, 2 * server::MAX_MESSAGE);
    if std::env::args().any(|a| a == "--compress") {
        options.with_balanced_compression()
    } else {
        options
    }
}

async fn upgrade(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgrade) = WebSocket::upgrade_with_options(&mut req, options())?;
    tokio::spawn(async move {
        let Ok(mut ws) = upgrade.await else {
            return;
        };
        // After a close frame, yawc queues its reply and writes it on the next
        // read, which then ends with an error: keep reading until it does.
        while let Ok(frame) = ws.next_frame().await {
            if matches!(frame.opcode(), OpCode::Text | OpCode::Binary)
                && ws.send(frame).await.is_err()
            {
                break;
            }
        }
    });
    Ok(response)
}

fn main() -> std::io::Result<()> {
    server::run("yawc-echo", |listener| async move {
        loop {
            let stream = server::accept(&listener).await;
            tokio::spawn(async move {
                let conn = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(upgrade))
                    .with_upgrades();
                let _ = conn.await;
            });
        }
    })
}
