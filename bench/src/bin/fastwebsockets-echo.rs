//! Echo server on fastwebsockets: a hyper 1 HTTP/1.1 server whose handler
//! upgrades with `fastwebsockets::upgrade`, then echoes through a
//! `FragmentCollector` with auto-pong and auto-close on. The message size limit
//! is raised so the 64 MiB message fits.

use bytes::Bytes;
use fastwebsockets::{FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rfc6455_bench::server;

async fn upgrade(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgrade) = fastwebsockets::upgrade::upgrade(&mut req)?;
    tokio::spawn(async move {
        let Ok(mut ws) = upgrade.await else {
            return;
        };
        ws.set_auto_pong(true);
        ws.set_auto_close(true);
        ws.set_max_message_size(server::MAX_MESSAGE);
        let mut ws = FragmentCollector::new(ws);
        while let Ok(frame) = ws.read_frame().await {
            let done = match frame.opcode {
                OpCode::Text | OpCode::Binary => ws.write_frame(frame).await.is_err(),
                OpCode::Close => true,
                _ => false,
            };
            if done {
                break;
            }
        }
    });
    Ok(response)
}

fn main() -> std::io::Result<()> {
    server::run("fastwebsockets-echo", |listener| async move {
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
