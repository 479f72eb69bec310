//! A chat server, one node of a cluster: a room per path, topics shared with the other
//! nodes through Redis, the page on the same port (feature `redis`).
//!
//! ```sh
//! cargo run --features redis --example chat                  # one node, no Redis
//! cargo run --features redis --example chat -- --port 8091 --node-id node1 --redis redis://127.0.0.1:6379/
//! scripts/cluster.sh up                                       # Redis + three nodes + HAProxy
//! ```
//!
//! | path | what |
//! |---|---|
//! | `ws://…/chat/ROOM` | the room `ROOM` (letters, digits, `_`, `-`, `.`; at most 64): the first message is `{"type":"welcome","node":"<node id>"}`; every text message a client sends reaches every client in the room, on every node, the sender included |
//! | `GET /node` | this node's id, as plain text (HAProxy's health check) |
//! | `GET /` | the page (`examples/static/chat.html`): a small chat that reconnects with jittered exponential backoff |
//!
//! SIGTERM or Ctrl-C: stop accepting, close every connection with 1001 (going away), and
//! end within `--stop-timeout`.

#[path = "shared/mod.rs"]
mod shared;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode, body::Incoming, header};
use rfc6455::topics::{RedisBackplane, RedisOptions, Topics, TopicsOptions};
use rfc6455::{DataKind, ServerOptions, ServiceMapper, WebSocket, serve_mapped};

const PAGE: &str = include_str!("static/chat.html");

#[derive(Parser)]
struct Args {
    /// TCP port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// This node's id, reported in each welcome and at `GET /node` (letters, digits, `_`,
    /// `-`, `.`). Default: `node-` and 8 random hex digits.
    #[arg(long)]
    node_id: Option<String>,
    /// Share rooms with the other nodes through this Redis (`redis://host:port/`).
    #[arg(long)]
    redis: Option<String>,
    /// Seconds a stopping node waits for its connections to close before ending them.
    #[arg(long, default_value_t = 5)]
    stop_timeout: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let node: Arc<str> = match args.node_id {
        Some(id) if valid_name(&id) => id.into(),
        Some(id) => return Err(format!("--node-id {id:?}: letters, digits, _ - . only").into()),
        None => format!("node-{:08x}", rand_u32()).into(),
    };
    let topics = match &args.redis {
        Some(url) => {
            let options = RedisOptions::default().node_id(&*node);
            let backplane = Arc::new(RedisBackplane::new(url, options)?);
            Topics::with_backplane(TopicsOptions::default(), backplane)
        }
        None => Topics::new(TopicsOptions::default()),
    };
    let welcome: Arc<str> = format!(r#"{{"type":"welcome","node":"{node}"}}"#).into();
    let mapper = ServiceMapper::builder()
        .path(r"/chat/(?<room>[A-Za-z0-9_.\-]{1,64})")
        .no_subprotocol(move |ws, params| {
            let room = params.get("room").unwrap_or_default().to_owned();
            chat(ws, room, topics.clone(), welcome.clone())
        })
        .build()?;
    let page_node = node.clone();
    let options = ServerOptions::default()
        .port(args.port)
        .stop_timeout(Duration::from_secs(args.stop_timeout))
        .fallback(hyper::service::service_fn(
            move |request: Request<Incoming>| {
                let node = page_node.clone();
                async move { Ok::<_, Infallible>(page(&request, &node)) }
            },
        ));
    let server = serve_mapped(options, mapper).await?;
    let stop = shared::stop_requested()?;
    let port = server.local_addr().port();
    println!("chat node {node} listening on http://localhost:{port}/");
    stop.await;
    println!("chat node {node} stopping");
    server.stop().await;
    Ok(())
}

/// One chat connection: welcome, then the room's messages out and the client's in.
async fn chat(mut ws: WebSocket, room: String, topics: Topics, welcome: Arc<str>) {
    let mut subscriber = topics.subscriber();
    subscriber.subscribe(&room);
    if ws.send_text(&welcome).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = subscriber.recv() => match frame {
                Ok(frame) => if ws.send_shared(&frame).await.is_err() { break },
                Err(slow) => {
                    let _ = ws.close(slow.close_code(), "too slow").await;
                    break;
                }
            },
            message = ws.recv() => match message {
                Some(Ok(message)) if message.kind() == DataKind::Text => {
                    topics.publish(&room, message);
                }
                Some(Ok(_binary)) => {}
                _ => break,
            },
        }
    }
}

/// The plain HTTP side: `GET /node`, the page, 404.
fn page(request: &Request<Incoming>, node: &str) -> Response<Full<Bytes>> {
    let (status, kind, body) = match request.uri().path() {
        "/node" => (
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Bytes::from(node.to_owned()),
        ),
        "/" | "/chat.html" => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from_static(PAGE.as_bytes()),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"not found\n"),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(kind));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn rand_u32() -> u32 {
    let mut bytes = [0; 4];
    getrandom::fill(&mut bytes).expect("the OS random source");
    u32::from_le_bytes(bytes)
}
