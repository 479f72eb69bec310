//! Decompression bombs (permessage-deflate): a message of about 256 KiB on the wire that
//! inflates to 256 MiB, against our server and our client, received whole and streamed.
//! Each closes with 1009 and the process's peak memory grows by a few MiB at most (the
//! message limit is 4 MiB), and the server still serves others. Its own binary: memory is
//! measured with nothing else running.

mod support;

use bytes::BytesMut;
use rfc6455::proto::Connection;
use rfc6455::{ClientOptions, Config, DeflateConfig, Limits, Role, connect_with};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use support::http::{read_head, upgrade_request};
use support::memory::peak_resident_bytes;
use support::raw::{RawPeer, raw_listener};
use support::server::{echo_server, local, url};
use support::within;

const LIMIT: u64 = 4 << 20;
const MIB: usize = 1 << 20;

/// The frames of one message of `mib` MiB of zeros, compressed, as `role` sends it.
fn bomb(role: Role, mib: usize) -> BytesMut {
    let config = DeflateConfig::default();
    let agreed = config
        .accept(&[config.offer()])
        .expect("an offer we accept");
    let mut conn = match role {
        Role::Server => Connection::server(Limits::default()),
        Role::Client => Connection::client(Limits::default(), [9; 32]),
    }
    .with_deflate(agreed, &config);
    let zeros = vec![0u8; MIB];
    conn.send_fragment(rfc6455::DataKind::Binary, &zeros, false)
        .unwrap();
    for i in 1..mib {
        conn.send_continuation(&zeros, i + 1 == mib).unwrap();
    }
    conn.take_output()
}

fn limited() -> Config {
    Config::default().limits(
        Limits::default()
            .max_message_size(LIMIT)
            .max_streamed_message_size(Some(LIMIT)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_close_1009_with_bounded_memory() {
    let client_bomb = bomb(Role::Client, 256);
    let server_bomb = bomb(Role::Server, 256);
    assert!(client_bomb.len() < 512 * 1024, "{}", client_bomb.len());

    let server = echo_server(
        local()
            .config(limited())
            .compression(Some(DeflateConfig::default())),
    )
    .await;
    let before = peak_resident_bytes();

    // Against the server (whole receive: the echo handler's recv).
    let addr = server.local_addr();
    let mut io = TcpStream::connect(addr).await.unwrap();
    let offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
    io.write_all(upgrade_request(addr, "/", offer).as_bytes())
        .await
        .unwrap();
    let _head = within(read_head(&mut io)).await;
    io.write_all(&client_bomb).await.ok();
    let mut peer = RawPeer::new(io, Role::Client);
    let (code, _) = within(peer.expect_close()).await;
    assert_eq!(code, Some(1009), "server");

    // The server still serves others.
    let options = ClientOptions::default().compression(Some(DeflateConfig::default()));
    let (mut ws, _) = within(connect_with(&url(&server, "/"), options))
        .await
        .unwrap();
    within(ws.send_text("still here")).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        rfc6455::Message::text("still here")
    );
    within(ws.close(1000.into(), "")).await.unwrap();

    // Against the client, whole and streamed.
    for streamed in [false, true] {
        let (listener, target) = raw_listener("/").await;
        let frames = server_bomb.clone();
        let raw = tokio::spawn(async move {
            let (mut peer, _) = RawPeer::accept(
                &listener,
                &["Sec-WebSocket-Extensions: permessage-deflate"],
                &[],
            )
            .await;
            peer.io.write_all(&frames).await.ok();
            peer.expect_close().await
        });
        let options = ClientOptions::default()
            .config(limited())
            .compression(Some(DeflateConfig::default()));
        let (mut ws, _) = within(connect_with(&target, options)).await.unwrap();
        if streamed {
            let mut reader = within(ws.recv_stream()).await.unwrap().unwrap();
            let mut got = 0usize;
            let err = loop {
                match within(reader.next_chunk()).await {
                    Some(Ok(chunk)) => got += chunk.len(),
                    Some(Err(e)) => break e,
                    None => panic!("the bomb was received whole"),
                }
            };
            assert!(got as u64 <= LIMIT, "{got}");
            assert_eq!(err.local_close_code().map(|c| c.as_u16()), Some(1009));
        } else {
            let err = within(ws.recv()).await.unwrap().unwrap_err();
            assert_eq!(err.local_close_code().map(|c| c.as_u16()), Some(1009));
        }
        let (code, _) = within(raw).await.unwrap();
        assert_eq!(code, Some(1009), "client, streamed: {streamed}");
    }

    let grown = peak_resident_bytes().saturating_sub(before);
    println!("peak RSS grew by {} KiB", grown / 1024);
    assert!(grown < 24 * MIB, "peak RSS grew by {} MiB", grown / MIB);
    server.stop().await;
}
