//! `ServerHandle::stop` under load: 2 000 connections exchanging messages, then stop. It
//! stops accepting, closes every connection with 1001 after what was already queued, lets
//! every handler see the close, and returns well within its timeout.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use rfc6455::{CloseCode, Error, connect, serve};
use tokio::sync::{mpsc, watch};

use support::peers::Peer;
use support::server::{local, url};
use support::within;

const CONNECTIONS: usize = 2000;
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server's handlers did, summed over all connections.
#[derive(Default)]
struct Served {
    /// Echoes accepted (`feed` returned `Ok`): each must reach its client.
    accepted: AtomicUsize,
    /// Handlers whose `recv` ended with `None` after the peer's answer to our 1001.
    saw_close: AtomicUsize,
    /// Handlers that returned.
    returned: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_under_load_closes_every_connection_with_1001_and_loses_nothing() {
    // Each connection is two sockets of this process (client and server).
    let wanted = 2 * CONNECTIONS as u64 + 256;
    let limit = rlimit::increase_nofile_limit(wanted).unwrap();
    assert!(
        limit >= wanted,
        "the file descriptor limit is {limit}, the test needs {wanted}: raise the hard limit"
    );
    let served = Arc::new(Served::default());
    let counts = served.clone();
    let server = serve(local().stop_timeout(STOP_TIMEOUT), move |mut ws| {
        let counts = counts.clone();
        async move {
            while let Some(next) = ws.recv().await {
                let Ok(msg) = next else { break };
                if ws.feed(msg).await.is_ok() {
                    counts.accepted.fetch_add(1, Ordering::Relaxed);
                }
            }
            if ws.peer_close_code() == Some(CloseCode::GOING_AWAY) && ws.is_closed() {
                counts.saw_close.fetch_add(1, Ordering::Relaxed);
            }
            counts.returned.fetch_add(1, Ordering::Relaxed);
        }
    })
    .await
    .unwrap();
    let address = url(&server, "/");

    // Every client echoes messages until the server closes; it reports, once, that it
    // has had its first echo, and at the end how many echoes it got and the close code.
    // They connect first (traffic would slow the connecting) and start together.
    let (first_tx, mut first_rx) = mpsc::channel::<()>(CONNECTIONS);
    let (start_tx, start_rx) = watch::channel(false);
    let mut clients = Vec::with_capacity(CONNECTIONS);
    let connecting = Instant::now();
    let connected: Vec<_> = stream::iter(0..CONNECTIONS)
        .map(|_| connect(&address))
        .buffer_unordered(64)
        .collect()
        .await;
    for (id, ws) in connected.into_iter().enumerate() {
        let (mut ws, _) = ws.unwrap();
        let first_tx = first_tx.clone();
        let mut start_rx = start_rx.clone();
        clients.push(tokio::spawn(async move {
            start_rx.wait_for(|go| *go).await.unwrap();
            let mut echoes = 0usize;
            let mut n = 0u64;
            loop {
                let text = format!("{id}:{n}");
                if ws.send_text(&text).await.is_err() {
                    break;
                }
                n += 1;
                match ws.recv().await {
                    Some(Ok(echo)) => {
                        assert_eq!(echo.as_text(), Some(text.as_str()), "echo {id}:{n}");
                        echoes += 1;
                        if echoes == 1 {
                            first_tx.send(()).await.unwrap();
                        }
                    }
                    Some(Err(e)) => return Err::<_, Error>(e),
                    None => break,
                }
            }
            // Anything still arriving before the close is counted too.
            while let Some(next) = ws.recv().await {
                next?;
                echoes += 1;
            }
            Ok((echoes, ws.peer_close_code()))
        }));
    }
    drop(first_tx);
    assert_eq!(server.connection_count(), CONNECTIONS);
    start_tx.send(true).unwrap();
    for _ in 0..CONNECTIONS {
        within(first_rx.recv()).await.expect("a client ended early");
    }
    assert_eq!(server.connection_count(), CONNECTIONS);

    let addr = server.local_addr();
    let started = Instant::now();
    within(server.stop()).await;
    let took = started.elapsed();
    // Returned because every connection ended, not because the timeout passed.
    assert!(took < STOP_TIMEOUT / 2, "stop took {took:?}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after stop"
    );
    assert_eq!(served.returned.load(Ordering::Relaxed), CONNECTIONS);
    assert_eq!(served.saw_close.load(Ordering::Relaxed), CONNECTIONS);

    let mut echoes = 0;
    for client in clients {
        let (got, code) = within(client).await.unwrap().unwrap();
        assert_eq!(code, Some(CloseCode::GOING_AWAY));
        echoes += got;
    }
    // Every echo the server accepted reached its client before the close.
    assert_eq!(echoes, served.accepted.load(Ordering::Relaxed));
    println!(
        "{CONNECTIONS} connections made in {:?}; stop took {took:?}; {echoes} echoes",
        connecting.elapsed() - took
    );
}

/// SIGTERM (what `kill`, systemd and container runtimes send) stops the echo server
/// example gracefully: its connection gets close 1001, its handler reports the close, and
/// the program exits with success.
#[tokio::test]
async fn sigterm_stops_the_echo_server_example_gracefully() {
    let mut server = Peer::example("echo-server", &["--port", "0"]);
    let port = server.localhost_port().await;
    let (mut ws, _) = within(connect(&format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap();
    ws.send_text("before").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        rfc6455::Message::text("before")
    );
    let pid = server.child.id().expect("running").to_string();
    let kill = within(
        tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status(),
    )
    .await
    .unwrap();
    assert!(kill.success());
    assert!(within(ws.recv()).await.is_none(), "a clean close");
    assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    let closed = server.line_with("closed").await;
    assert!(closed.contains("status 1001"), "{closed}");
    let (status, stderr) = server.finish().await;
    assert!(status.success(), "{status}: {stderr}");
}
