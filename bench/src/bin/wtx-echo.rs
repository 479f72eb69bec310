//! Echo server on wtx: `WebSocketAcceptor::accept` on a raw `TcpStream`
//! (wtx's own handshake, SHA-1 from `ring`), then `read_frame`/`write_frame`
//! through the split parts, so an echoed frame is written from the buffer it
//! was read into. wtx reassembles fragmented messages, validates UTF-8 and
//! answers pings and the close handshake itself. The payload limit is raised
//! so the 64 MiB message fits.

use rfc6455_bench::server;
use wtx::collection::Vector;
use wtx::web_socket::{OpCode, WebSocketAcceptor, WebSocketPayloadOrigin};

fn main() -> std::io::Result<()> {
    server::run("wtx-echo", |listener| async move {
        loop {
            let stream = server::accept(&listener).await;
            tokio::spawn(async move {
                let Ok(mut ws) = WebSocketAcceptor::default().accept(stream).await else {
                    return;
                };
                ws.set_max_payload_len(server::MAX_MESSAGE);
                let mut buffer = Vector::new();
                let (mut common, mut reader, mut writer) = ws.split_mut();
                loop {
                    let Ok(mut frame) = reader
                        .read_frame(&mut buffer, &mut common, WebSocketPayloadOrigin::Adaptive)
                        .await
                    else {
                        break;
                    };
                    match frame.op_code() {
                        OpCode::Text | OpCode::Binary
                            if writer.write_frame(&mut common, &mut frame).await.is_err() =>
                        {
                            break;
                        }
                        OpCode::Close => break,
                        _ => {}
                    }
                }
            });
        }
    })
}
