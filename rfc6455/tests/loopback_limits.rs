//! Loopback: limits and protocol violations. Each fails the connection with its close code
//! (1009 too big, 1002 protocol error, 1007 invalid UTF-8) and reports the error to the
//! program whose end detected it. Raw peers send what our own client never would.

mod support;

use rfc6455::{
    ClientOptions, CloseCode, Config, DataKind, ErrorKind, Limits, Message, ProtocolError,
    ServerHandle, ServerOptions, connect, connect_with,
};

use support::raw::{
    OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, RawPeer, b0, close_payload, encode_frame,
    raw_listener,
};
use support::server::{Handled, local, serve_one, url};
use support::within;

/// What the server handler's `recv` returned: the error's kind, protocol error and code.
type Seen = (ErrorKind, Option<ProtocolError>, Option<CloseCode>);

/// What the reporting handler saw: the messages before the end, the error that ended
/// them (`None` for a clean close), and whether `recv` returned `None` after it.
type Report = (Vec<Message>, Option<Seen>, bool);

/// A server whose handler receives until an error or the end, and reports it.
async fn reporting_server(options: ServerOptions) -> (ServerHandle, Handled<Report>) {
    serve_one(options, |mut ws| async move {
        let mut before = Vec::new();
        loop {
            match ws.recv().await {
                Some(Ok(m)) => before.push(m),
                Some(Err(e)) => {
                    let seen = (e.kind(), e.protocol_error().cloned(), e.local_close_code());
                    return (before, Some(seen), ws.recv().await.is_none());
                }
                None => return (before, None, true),
            }
        }
    })
    .await
}

/// The messages the reporting handler received and the error that ended them, once it
/// has returned; fails unless an error ended them and `recv` returned `None` after it.
async fn reported(handled: Handled<Report>) -> (Vec<Message>, Seen) {
    let (before, seen, then_none) = handled.returned().await;
    let seen = seen.expect("clean close instead of an error");
    assert!(then_none, "recv after the error");
    (before, seen)
}

fn limited(limits: Limits) -> ServerOptions {
    local().config(Config::default().limits(limits))
}

/// A raw client sends `frames` (already encoded); the server must answer with a close
/// frame of `code` and close TCP, and its handler must see `error`.
async fn raw_violation(frames: &[Vec<u8>], code: u16, error: ProtocolError) {
    let (server, handled) = reporting_server(local()).await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    for f in frames {
        use tokio::io::AsyncWriteExt;
        peer.io.write_all(f).await.unwrap();
    }
    let (got, _) = within(peer.expect_close()).await;
    assert_eq!(got, Some(code), "close code for {error:?}");
    within(peer.expect_eof()).await;
    let (_, seen) = reported(handled).await;
    assert_eq!(
        seen,
        (
            ErrorKind::Protocol,
            Some(error),
            Some(CloseCode::from(code))
        )
    );
    server.stop().await;
}

const MASK: Option<[u8; 4]> = Some([0x12, 0x34, 0x56, 0x78]);

// ------------------------------------------------------------------ size limits (our client)

#[tokio::test]
async fn message_over_limit_closes_with_1009() {
    let (server, handled) =
        reporting_server(limited(Limits::default().max_message_size(1000))).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    // At the limit is fine.
    within(ws.send_binary(&[0u8; 1000])).await.unwrap();
    within(ws.send_binary(&[0u8; 1001])).await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::TOO_BIG));
    let (before, seen) = reported(handled).await;
    assert_eq!(before, vec![Message::binary(vec![0u8; 1000])]);
    assert_eq!(
        seen,
        (
            ErrorKind::Protocol,
            Some(ProtocolError::MessageTooBig { limit: 1000 }),
            Some(CloseCode::TOO_BIG)
        )
    );
    server.stop().await;
}

/// Fragments each under the limit, together over it.
#[tokio::test]
async fn fragmented_message_over_limit_closes_with_1009() {
    let (server, handled) =
        reporting_server(limited(Limits::default().max_message_size(1000))).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.send_fragment(DataKind::Text, &[b'a'; 600], false))
        .await
        .unwrap();
    within(ws.send_continuation(&[b'b'; 600], true))
        .await
        .unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::TOO_BIG));
    let (_, seen) = reported(handled).await;
    assert_eq!(seen.1, Some(ProtocolError::MessageTooBig { limit: 1000 }));
    server.stop().await;
}

#[tokio::test]
async fn frame_over_limit_closes_with_1009() {
    let (server, handled) = reporting_server(limited(Limits::default().max_frame_size(4096))).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.send_text(&"x".repeat(4097))).await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::TOO_BIG));
    let (_, seen) = reported(handled).await;
    assert_eq!(seen.1, Some(ProtocolError::FrameTooBig { limit: 4096 }));
    server.stop().await;
}

#[tokio::test]
async fn too_many_fragments_closes_with_1009() {
    let (server, handled) = reporting_server(limited(Limits::default().max_fragments(3))).await;
    let (mut ws, _) = within(connect(&url(&server, "/"))).await.unwrap();
    within(ws.send_fragment(DataKind::Binary, b"1", false))
        .await
        .unwrap();
    for _ in 0..3 {
        within(ws.send_continuation(b"n", false)).await.unwrap();
    }
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::TOO_BIG));
    let (_, seen) = reported(handled).await;
    assert_eq!(seen.1, Some(ProtocolError::TooManyFragments { limit: 3 }));
    server.stop().await;
}

/// The client's own limit: the server sends too much, the client fails the connection
/// with 1009 and the server sees that close code.
#[tokio::test]
async fn client_limit_closes_with_1009() {
    let (server, handled) = serve_one(local(), |mut ws| async move {
        ws.send_binary(&[7u8; 2000]).await.unwrap();
        let end = ws.recv().await;
        (end.is_none(), ws.peer_close_code())
    })
    .await;
    let options = ClientOptions::default()
        .config(Config::default().limits(Limits::default().max_message_size(1999)));
    let (mut ws, _) = within(connect_with(&url(&server, "/"), options))
        .await
        .unwrap();
    let err = within(ws.recv()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(
        err.protocol_error(),
        Some(&ProtocolError::MessageTooBig { limit: 1999 })
    );
    assert_eq!(err.local_close_code(), Some(CloseCode::TOO_BIG));
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(handled.returned().await, (true, Some(CloseCode::TOO_BIG)));
    server.stop().await;
}

// ------------------------------------------------------------------ protocol violations (raw)

#[tokio::test]
async fn unmasked_client_frame_closes_with_1002() {
    raw_violation(
        &[encode_frame(b0(true, OP_TEXT), b"hi", None)],
        1002,
        ProtocolError::UnmaskedFrame,
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_text_closes_with_1007() {
    raw_violation(
        &[encode_frame(b0(true, OP_TEXT), b"ok \xFF\xFE", MASK)],
        1007,
        ProtocolError::InvalidUtf8,
    )
    .await;
}

/// Invalid UTF-8 in a first fragment fails at once, before the message is complete.
#[tokio::test]
async fn invalid_utf8_in_unfinished_fragment_closes_with_1007() {
    raw_violation(
        &[encode_frame(b0(false, OP_TEXT), b"abc\xC3\x28", MASK)],
        1007,
        ProtocolError::InvalidUtf8,
    )
    .await;
}

/// A message that ends in the middle of a character.
#[tokio::test]
async fn truncated_utf8_at_message_end_closes_with_1007() {
    raw_violation(
        &[
            encode_frame(b0(false, OP_TEXT), b"caf", MASK),
            encode_frame(b0(true, OP_CONT), b"\xC3", MASK),
        ],
        1007,
        ProtocolError::InvalidUtf8,
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_close_reason_closes_with_1007() {
    raw_violation(
        &[encode_frame(b0(true, OP_CLOSE), b"\x03\xE8\xFF", MASK)],
        1007,
        ProtocolError::InvalidUtf8,
    )
    .await;
}

#[tokio::test]
async fn reserved_data_opcode_closes_with_1002() {
    raw_violation(
        &[encode_frame(0x83, b"x", MASK)],
        1002,
        ProtocolError::UnknownOpcode(0x3),
    )
    .await;
}

#[tokio::test]
async fn reserved_control_opcode_closes_with_1002() {
    raw_violation(
        &[encode_frame(0x8B, b"", MASK)],
        1002,
        ProtocolError::UnknownOpcode(0xB),
    )
    .await;
}

#[tokio::test]
async fn reserved_bits_close_with_1002() {
    raw_violation(
        &[encode_frame(0x80 | 0x40 | OP_TEXT, b"x", MASK)],
        1002,
        ProtocolError::ReservedBits(0b100),
    )
    .await;
}

#[tokio::test]
async fn continuation_without_message_closes_with_1002() {
    raw_violation(
        &[encode_frame(b0(true, OP_CONT), b"x", MASK)],
        1002,
        ProtocolError::UnexpectedContinuation,
    )
    .await;
}

#[tokio::test]
async fn new_message_inside_fragmented_one_closes_with_1002() {
    raw_violation(
        &[
            encode_frame(b0(false, OP_TEXT), b"a", MASK),
            encode_frame(b0(true, OP_BINARY), b"b", MASK),
        ],
        1002,
        ProtocolError::ExpectedContinuation,
    )
    .await;
}

#[tokio::test]
async fn long_ping_closes_with_1002() {
    raw_violation(
        &[encode_frame(b0(true, OP_PING), &[0u8; 126], MASK)],
        1002,
        ProtocolError::ControlFrameTooLong,
    )
    .await;
}

#[tokio::test]
async fn fragmented_ping_closes_with_1002() {
    raw_violation(
        &[encode_frame(b0(false, OP_PING), b"x", MASK)],
        1002,
        ProtocolError::FragmentedControlFrame,
    )
    .await;
}

#[tokio::test]
async fn reserved_close_code_on_the_wire_closes_with_1002() {
    raw_violation(
        &[encode_frame(
            b0(true, OP_CLOSE),
            &close_payload(1005, ""),
            MASK,
        )],
        1002,
        ProtocolError::InvalidCloseCode(1005),
    )
    .await;
}

#[tokio::test]
async fn one_byte_close_payload_closes_with_1002() {
    raw_violation(
        &[encode_frame(b0(true, OP_CLOSE), &[3], MASK)],
        1002,
        ProtocolError::InvalidClosePayload,
    )
    .await;
}

#[tokio::test]
async fn non_minimal_length_closes_with_1002() {
    // Length 5 written in the 16-bit form.
    let mut frame = vec![0x81, 0x80 | 126, 0, 5, 1, 2, 3, 4];
    frame.extend(
        b"hello"
            .iter()
            .zip([1u8, 2, 3, 4].iter().cycle())
            .map(|(b, k)| b ^ k),
    );
    raw_violation(&[frame], 1002, ProtocolError::NonMinimalLength).await;
}

/// Messages before the violation are delivered; the violation then fails the connection.
#[tokio::test]
async fn messages_before_a_violation_are_delivered() {
    let (server, handled) = reporting_server(local()).await;
    let (mut peer, _) = within(RawPeer::connect(server.local_addr(), "/")).await;
    peer.send(true, OP_TEXT, b"good").await;
    peer.send(true, OP_BINARY, b"also good").await;
    peer.send_unmasked(true, OP_TEXT, b"bad").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1002));
    let (before, seen) = reported(handled).await;
    assert_eq!(
        before,
        vec![
            Message::text("good"),
            Message::binary(b"also good".to_vec())
        ]
    );
    assert_eq!(seen.1, Some(ProtocolError::UnmaskedFrame));
    server.stop().await;
}

// ------------------------------------------------------------------ violations against our client

/// A raw server sending a masked frame: our client fails with 1002 (masked close frame).
#[tokio::test]
async fn masked_server_frame_fails_client_with_1002() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move {
        let (mut ws, _) = connect(&ws_url).await.unwrap();
        let err = ws.recv().await.unwrap().unwrap_err();
        (
            err.kind(),
            err.protocol_error().cloned(),
            ws.recv().await.is_none(),
        )
    });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    peer.send_masked(true, OP_TEXT, b"masked").await;
    assert_eq!(within(peer.expect_close()).await.0, Some(1002));
    assert_eq!(
        within(client).await.unwrap(),
        (ErrorKind::Protocol, Some(ProtocolError::MaskedFrame), true)
    );
}

/// Invalid UTF-8 from a raw server: our client fails with 1007.
#[tokio::test]
async fn invalid_utf8_from_server_fails_client_with_1007() {
    let (listener, ws_url) = raw_listener("/").await;
    let client = tokio::spawn(async move {
        let (mut ws, _) = connect(&ws_url).await.unwrap();
        let err = ws.recv().await.unwrap().unwrap_err();
        (err.kind(), err.local_close_code())
    });
    let (mut peer, _) = within(RawPeer::accept(&listener, &[], &[])).await;
    peer.send(true, OP_TEXT, b"\xED\xA0\x80").await; // a UTF-16 surrogate
    assert_eq!(within(peer.expect_close()).await.0, Some(1007));
    assert_eq!(
        within(client).await.unwrap(),
        (ErrorKind::Protocol, Some(CloseCode::INVALID_PAYLOAD))
    );
}
