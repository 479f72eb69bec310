//! Keepalive: pings when the peer is quiet, the pong timeout (close 1011,
//! `ErrorKind::PongTimeout`), `ping_rtt`, and peers that vanish or trickle a frame. In
//! memory and on paused time, so every interval is exact and no test sleeps; the last
//! test reclaims silent connections from a real server.

mod support;

use std::time::Duration;

use rfc6455::{CloseCode, Config, ErrorKind, Message, Role, WebSocket};
use tokio::io::DuplexStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use support::raw::{OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, RawPeer};
use support::server::{echo, local, no_connection_left, pair};
use support::within;

const SECOND: Duration = Duration::from_secs(1);

/// Keepalive every second, a pong within a second; no idle timeout in the way.
fn quick() -> Config {
    Config::default()
        .idle_timeout(None)
        .ping_interval(Some(SECOND))
        .pong_timeout(Some(SECOND))
}

/// How a server's receiving ended: its first `recv` result (as the error's kind and close
/// code; `None` for a clean end), and whether `recv` then returned `None`.
type Ended = (Option<(ErrorKind, Option<CloseCode>)>, bool);

/// Our server with `config` receiving in a task (how it [`Ended`]), and a raw client.
fn raw_client_of(config: Config) -> (RawPeer<DuplexStream>, JoinHandle<Ended>) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut server = WebSocket::from_stream(b, Role::Server, config);
    let task = tokio::spawn(async move {
        let first = match server.recv().await {
            Some(Err(e)) => Some((e.kind(), e.local_close_code())),
            Some(Ok(m)) => panic!("unexpected message {m:?}"),
            None => None,
        };
        (first, server.recv().await.is_none())
    });
    (RawPeer::new(a, Role::Client), task)
}

/// A silent peer is pinged at the end of the first interval; each answered ping starts a
/// new interval; the unanswered one fails the connection one pong timeout later with
/// 1011, and the server's `recv` reports `PongTimeout` once, then `None`.
#[tokio::test(start_paused = true)]
async fn silent_peer_is_pinged_and_an_unanswered_ping_fails_the_connection() {
    let (mut peer, server) = raw_client_of(quick());
    let start = Instant::now();
    for n in 1..=3u64 {
        let ping = within(peer.recv()).await.expect("a ping");
        assert_eq!(ping.opcode, OP_PING);
        assert_eq!(ping.payload, n.to_be_bytes(), "the payload counts pings");
        // One interval after the start, then one after each pong.
        assert_eq!(start.elapsed(), SECOND * n as u32);
        peer.send(true, OP_PONG, &ping.payload).await;
    }
    // The fourth ping goes unanswered.
    let ping = within(peer.recv()).await.expect("a ping");
    assert_eq!(ping.opcode, OP_PING);
    let (code, reason) = within(peer.expect_close()).await;
    assert_eq!(start.elapsed(), SECOND * 5);
    assert_eq!(code, Some(1011));
    assert_eq!(reason, "keepalive ping timeout");
    // The server does not wait for a closing handshake a dead peer would not finish.
    within(peer.expect_eof()).await;
    assert_eq!(
        within(server).await.unwrap(),
        (
            Some((ErrorKind::PongTimeout, Some(CloseCode::INTERNAL_ERROR))),
            true
        )
    );
}

/// A peer that vanished without closing TCP (nothing is read or written on its side any
/// more) is found with the default settings within two intervals and a pong timeout: 60 s.
#[tokio::test(start_paused = true)]
async fn a_vanished_peer_is_found_within_a_minute_by_default() {
    let (_vanished, b) = tokio::io::duplex(64 * 1024);
    let config = Config::default();
    assert_eq!(config.ping_interval, Some(Duration::from_secs(20)));
    assert_eq!(config.pong_timeout, Some(Duration::from_secs(20)));
    let mut server = WebSocket::from_stream(b, Role::Server, config);
    let start = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(61), server.recv())
        .await
        .expect("not found within 61 s")
        .expect("an error, not the end")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PongTimeout);
    assert_eq!(start.elapsed(), Duration::from_secs(40));
    assert!(server.is_closed());
}

/// Frames from the peer are proof of life: a peer that talks more often than the interval
/// is never pinged; once it goes quiet, it is.
#[tokio::test(start_paused = true)]
async fn traffic_holds_pings_back() {
    let (mut peer, _server) = raw_client_of(quick());
    for n in 0..10 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        peer.send(true, OP_PONG, format!("beat {n}").as_bytes())
            .await;
    }
    let quiet = Instant::now();
    let frame = within(peer.recv()).await.expect("a ping");
    assert_eq!(frame.opcode, OP_PING, "no frame before the quiet interval");
    assert_eq!(frame.payload, 1u64.to_be_bytes());
    // Quiet from the last beat: the ping leaves at the end of the first wholly quiet
    // interval, one to two intervals later.
    assert!(quiet.elapsed() >= SECOND && quiet.elapsed() <= 2 * SECOND);
}

/// A peer that trickles a frame a byte at a time keeps bytes coming but never finishes a
/// frame: it is pinged like a silent peer, cannot answer before its frame ends, and is
/// closed by the pong timeout (the idle timeout, counted in bytes, would never fire).
#[tokio::test(start_paused = true)]
async fn a_trickled_frame_is_closed_by_the_pong_timeout() {
    let (peer, server) = raw_client_of(quick().idle_timeout(Some(SECOND)));
    let start = Instant::now();
    // A masked text frame announcing 100 bytes, sent one byte every 100 ms.
    let frame = support::raw::encode_frame(0x80 | OP_TEXT, &[b'x'; 100], Some([1, 2, 3, 4]));
    let (mut read, mut write) = tokio::io::split(peer.io);
    let trickle = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for byte in frame {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
        }
        panic!("the whole frame was sent: the trickle was not stopped");
    });
    let ping = within(support::raw::read_frame(&mut read)).await.unwrap();
    assert_eq!(ping.opcode, OP_PING);
    let close = within(support::raw::read_frame(&mut read)).await.unwrap();
    assert_eq!(close.close_parts().0, Some(1011));
    assert_eq!(
        within(server).await.unwrap().0,
        Some((ErrorKind::PongTimeout, Some(CloseCode::INTERNAL_ERROR)))
    );
    // A quiet interval (bytes, but no whole frame), then the pong timeout: two seconds,
    // at most three, of a frame that needed ten.
    assert!(start.elapsed() <= 3 * SECOND, "{:?}", start.elapsed());
    drop(read);
    within(trickle).await.unwrap();
}

/// `ping_rtt` measures the time from the ping leaving to its pong arriving; data that the
/// peer sent before the pong is kept, in order, for `recv`.
#[tokio::test(start_paused = true)]
async fn ping_rtt_measures_the_round_trip_and_keeps_data_for_recv() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut client = WebSocket::from_stream(a, Role::Client, Config::default());
    let mut peer = RawPeer::new(b, Role::Server);
    let answer = tokio::spawn(async move {
        let ping = peer.recv().await.expect("a ping");
        assert_eq!(ping.opcode, OP_PING);
        peer.send(true, OP_TEXT, b"first").await;
        peer.send(false, OP_TEXT, b"sec").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        peer.send(true, 0x0, b"ond").await;
        peer.send(true, OP_PONG, &ping.payload).await;
        peer.send(true, OP_TEXT, b"third").await;
        peer
    });
    let rtt = within(client.ping_rtt()).await.unwrap();
    assert_eq!(rtt, Duration::from_millis(250));
    for want in ["first", "second", "third"] {
        let got = within(client.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::text(want));
    }
    let mut peer = within(answer).await.unwrap();
    // A second measurement is a second ping.
    let second = tokio::spawn(async move {
        let ping = peer.recv().await.expect("a ping");
        peer.send(true, OP_PONG, &ping.payload).await;
        ping.payload
    });
    assert_eq!(within(client.ping_rtt()).await.unwrap(), Duration::ZERO);
    assert_eq!(within(second).await.unwrap(), 2u64.to_be_bytes());
}

/// On a split connection, the sending half awaits the pong that the receiving half reads.
#[tokio::test(start_paused = true)]
async fn send_half_ping_rtt_with_the_receiving_half_reading() {
    let (client, server) = pair(64 * 1024, Config::default(), Config::default());
    let server = tokio::spawn(echo(server));
    let (mut rx, mut tx) = client.split();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Some(Ok(msg)) = rx.recv().await {
            got.push(msg);
        }
        got
    });
    tx.send_text("before").await.unwrap();
    let rtt = within(tx.ping_rtt()).await.unwrap();
    assert_eq!(rtt, Duration::ZERO, "in memory, on paused time");
    tx.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(within(reader).await.unwrap(), vec![Message::text("before")]);
    within(server).await.unwrap();
}

/// A peer that answers no ping makes `ping_rtt` fail after the pong timeout, and the
/// connection is failed with 1011.
#[tokio::test(start_paused = true)]
async fn ping_rtt_without_a_pong_fails_after_the_pong_timeout() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let mut client = WebSocket::from_stream(a, Role::Client, quick().ping_interval(None));
    let mut peer = RawPeer::new(b, Role::Server);
    let start = Instant::now();
    let err = within(client.ping_rtt()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PongTimeout);
    assert_eq!(start.elapsed(), SECOND);
    assert!(client.is_closed());
    assert_eq!(within(peer.recv()).await.unwrap().opcode, OP_PING);
    let close = within(peer.recv()).await.unwrap();
    assert_eq!(close.opcode, OP_CLOSE);
    assert_eq!(close.close_parts().0, Some(1011));
}

/// Many connections that complete the handshake and then go silent (they neither read nor
/// write) are reclaimed by keepalive: pinged after an interval, failed after the pong
/// timeout, and the server serves none of them any more.
#[tokio::test]
async fn silent_connections_after_the_handshake_are_reclaimed() {
    const SILENT: usize = 50;
    let config = Config::default()
        .ping_interval(Some(Duration::from_millis(300)))
        .pong_timeout(Some(Duration::from_millis(300)));
    let server = rfc6455::serve(local().config(config), echo).await.unwrap();
    let mut peers = Vec::new();
    for _ in 0..SILENT {
        peers.push(within(RawPeer::connect(server.local_addr(), "/")).await.0);
    }
    assert_eq!(server.connection_count(), SILENT);
    let start = Instant::now();
    no_connection_left(&server).await;
    // Two intervals and a pong timeout at most (and some scheduling slack).
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    drop(peers);
    server.stop().await;
}
