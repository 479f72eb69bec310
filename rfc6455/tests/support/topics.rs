//! A topic server for the tests of `rfc6455::topics`: each connection subscribes to the
//! topic named by its path (`/NAME`), says `ready` once subscribed, publishes what its
//! client sends to that topic, and sends what the topic gets with `send_shared`. How each
//! handler ended reaches the test on a channel.

use std::net::SocketAddr;

use rfc6455::topics::Topics;
use rfc6455::{Config, ServerHandle, WebSocket, serve};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

use super::http::{read_head, upgrade_request};
use super::server::local;

/// How a topic handler ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The client closed, or the connection failed.
    Connection,
    /// The hub cut the subscriber off; the connection was closed with 1013.
    TooSlow,
}

/// The handler: subscribe to the path's topic, say `ready`, then pump both ways.
pub(crate) async fn pump(mut ws: WebSocket, topics: Topics, ended: mpsc::UnboundedSender<Ended>) {
    let topic = ws.handshake().path().trim_start_matches('/').to_owned();
    let mut subscriber = topics.subscriber();
    subscriber.subscribe(&topic);
    let mut how = Ended::Connection;
    if ws.send_text("ready").await.is_ok() {
        loop {
            tokio::select! {
                frame = subscriber.recv() => match frame {
                    Ok(frame) => if ws.send_shared(&frame).await.is_err() { break },
                    Err(slow) => {
                        how = Ended::TooSlow;
                        let _ = ws.close(slow.close_code(), "too slow").await;
                        break;
                    }
                },
                message = ws.recv() => match message {
                    Some(Ok(message)) => { topics.publish(&topic, message); }
                    _ => break,
                },
            }
        }
    }
    // Report once the subscriptions are gone.
    drop(subscriber);
    let _ = ended.send(how);
}

/// A server on 127.0.0.1 running [`pump`] for every connection, with `config`.
pub(crate) async fn topic_server(
    topics: Topics,
    config: Config,
) -> (ServerHandle, mpsc::UnboundedReceiver<Ended>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(local().config(config), move |ws| {
        pump(ws, topics.clone(), tx.clone())
    })
    .await
    .expect("bind");
    (server, rx)
}

/// A raw client that reads nothing: a small receive buffer, the upgrade for `path`, the
/// 101 read, and then the socket is left alone until the test reads it.
pub(crate) async fn stalled_client(addr: SocketAddr, path: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut io = socket.connect(addr).await.expect("connect");
    io.write_all(upgrade_request(addr, path, "").as_bytes())
        .await
        .unwrap();
    let head = read_head(&mut io).await;
    assert!(head.starts_with("HTTP/1.1 101"), "not a 101: {head}");
    io
}
