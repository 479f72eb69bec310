//! Stuck and abusive peers, each bounded: a peer that never reads (the send timeout), a
//! slow reader (not dropped), a reset in the middle of a frame (nothing left behind). A
//! ping flood is in `loopback_flow.rs`; a trickled frame and connections that go silent
//! after the handshake are in `keepalive.rs`.

mod support;

use std::time::Duration;

use rfc6455::{Config, ErrorKind, Message, Role, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use support::fds::open_tcp_sockets;
use support::raw::{OP_TEXT, RawPeer, b0, encode_frame};
use support::server::{local, no_connection_left, pair, serve_one};
use support::within;

/// The server's side of these tests: a small write buffer and a 2 s send timeout.
fn impatient() -> Config {
    Config::default()
        .write_buffer_limit(16 * 1024)
        .send_timeout(Some(Duration::from_secs(2)))
}

/// A peer that never reads: sending waits (backpressure) once the link and the write
/// buffer are full, then, after the send timeout without a byte read, the connection is
/// dropped with its queued output: the send and `recv` report `SendTimeout`, and the peer
/// finds, after what the link held, an abnormal end. Memory stayed bounded by the write
/// buffer limit. (`feed` queues without flushing, so the write buffer fills; `send`, which
/// flushes, is bounded the same way.)
#[tokio::test(start_paused = true)]
async fn a_peer_that_never_reads_is_dropped_after_the_send_timeout() {
    let (mut client, mut server) = pair(4096, Config::default(), impatient());
    let message = Message::binary(vec![7u8; 1024]);
    let mut fed = 0;
    let err = loop {
        let before = Instant::now();
        match within(server.feed(message.clone())).await {
            Ok(()) => {
                // Until the buffers are full, queueing takes no time (paused time).
                assert_eq!(before.elapsed(), Duration::ZERO);
                fed += 1;
            }
            Err(e) => {
                assert_eq!(before.elapsed(), Duration::from_secs(2));
                break e;
            }
        }
    };
    assert_eq!(err.kind(), ErrorKind::SendTimeout);
    // The link (4 KiB), the write buffer (16 KiB) and the one message always accepted.
    assert!((16..=21).contains(&fed), "{fed} KiB accepted");
    assert!(server.is_closed());
    let recv = within(server.recv()).await.unwrap().unwrap_err();
    assert_eq!(recv.kind(), ErrorKind::SendTimeout);
    assert!(within(server.recv()).await.is_none());
    let again = within(server.send(message.clone())).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Closed);
    // The client, reading at last, gets what the link held, then an abnormal end.
    let mut got = 0;
    let end = loop {
        match within(client.recv()).await {
            Some(Ok(m)) => {
                assert_eq!(m, message);
                got += 1;
            }
            Some(Err(e)) => break e,
            None => panic!("a clean end after a dropped connection"),
        }
    };
    assert_eq!(end.kind(), ErrorKind::Abnormal);
    assert!(got <= 4, "{got} messages: more than the link held");
}

/// A slow reader is not a stuck one: one 64 KiB message to a peer that reads 1 KiB every
/// 200 ms takes 13 s to leave, more than six send timeouts, and the send succeeds: every
/// byte read starts the wait again.
#[tokio::test(start_paused = true)]
async fn a_slow_reader_is_not_dropped() {
    const LEN: usize = 64 * 1024;
    let (near, far) = tokio::io::duplex(4096);
    let mut server = WebSocket::from_stream(far, Role::Server, impatient());
    let reader = tokio::spawn(async move {
        let mut near = near;
        let mut buf = [0u8; 1024];
        let mut total = 0;
        // Header (10 bytes) and payload.
        while total < 10 + LEN {
            let n = near.read(&mut buf).await.unwrap();
            assert!(n > 0, "the connection ended after {total} bytes");
            total += n;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (near, total)
    });
    let start = Instant::now();
    within(server.send(Message::binary(vec![1u8; LEN])))
        .await
        .unwrap();
    assert!(
        start.elapsed() > Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let (_near, total) = within(reader).await.unwrap();
    assert_eq!(total, 10 + LEN);
}

/// A reset in the middle of a frame ends the connection with `recv` returning an error,
/// and leaves nothing behind: the handler returns, the server serves no connection, and
/// the process holds no more sockets than before.
#[tokio::test]
async fn a_reset_mid_frame_ends_the_connection_and_leaves_nothing() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        let first = ws.recv().await.map(|r| r.map_err(|e| e.kind()));
        (first, ws.recv().await.is_none())
    })
    .await;
    let baseline = open_tcp_sockets();
    let (peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    // The two ends of the connection (the server answered 101: it has accepted).
    assert_eq!(open_tcp_sockets(), baseline + 2);
    let frame = encode_frame(b0(true, OP_TEXT), &[b'x'; 1000], Some([1, 2, 3, 4]));
    let mut io: TcpStream = peer.io;
    io.write_all(&frame[..500]).await.unwrap();
    // Linger 0: closing sends a reset, not a FIN (and does not block: nothing is unsent).
    #[allow(deprecated)]
    io.set_linger(Some(Duration::ZERO)).unwrap();
    drop(io);
    let (first, then_none) = handled.returned().await;
    let kind = first.expect("an error, not a clean end").unwrap_err();
    assert!(
        matches!(kind, ErrorKind::Io | ErrorKind::Abnormal),
        "{kind:?}"
    );
    assert!(then_none);
    no_connection_left(&server).await;
    assert_eq!(open_tcp_sockets(), baseline);
    server.stop().await;
}
