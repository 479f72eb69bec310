//! The physical limit: no WebSocket processing at all. Reads the HTTP upgrade
//! request, answers 101 with the right `Sec-WebSocket-Accept`, then copies
//! every byte it reads straight back (single buffer: read, write, repeat).
//! The client therefore gets its own masked frames back, close frame included;
//! when the client half-closes, raw-echo closes too.

use std::io;

use rfc6455_bench::server;
use rfc6455_loadgen::wire;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const BUF: usize = 64 * 1024;

async fn handle(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; BUF];
    let mut len = 0;
    let head_end = loop {
        if len == buf.len() {
            return Err(io::ErrorKind::InvalidData.into());
        }
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            return Ok(());
        }
        len += n;
        if let Some(end) = wire::find_head_end(&buf[..len]) {
            break end;
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let key = match req.parse(&buf[..head_end]) {
        Ok(httparse::Status::Complete(_)) => req
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
            .map(|h| h.value.to_vec()),
        _ => None,
    };
    let Some(key) = key else {
        stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         \r\n",
        server::accept_key(&key)
    );
    stream.write_all(response.as_bytes()).await?;
    if len > head_end {
        stream.write_all(&buf[head_end..len]).await?;
    }
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        stream.write_all(&buf[..n]).await?;
    }
    stream.shutdown().await
}

fn main() -> io::Result<()> {
    server::run("raw-echo", |listener| async move {
        loop {
            let stream = server::accept(&listener).await;
            tokio::spawn(async move {
                let _ = handle(stream).await;
            });
        }
    })
}
