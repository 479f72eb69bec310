//! permessage-deflate (RFC 7692) on the in-memory pair, by section: the §7.2.3 examples,
//! RSV1 rules (§6), context takeover (§7.1.1), bounded inflate, and every failure with its
//! close code.

use bytes::BytesMut;

use super::pair::{Got, Pair};
use crate::extension::deflate::{DeflateConfig, DeflateMode, DeflateParams, pool};
use crate::extension::parse_header_value;
use crate::{
    CloseCode, Connection, DataKind, Event, Limits, Message, OpCode, ProtocolError, Utf8Bytes,
};

fn agreed(offer: &str) -> DeflateParams {
    DeflateConfig::default()
        .accept(&parse_header_value(offer).unwrap())
        .unwrap()
}

/// A client that agreed on plain permessage-deflate, fed `wire` (server frames, unmasked).
fn client_reading(wire: &[u8]) -> Result<Vec<Got>, ProtocolError> {
    let config = DeflateConfig::default();
    let params = config
        .check_answer(&parse_header_value("permessage-deflate").unwrap())
        .unwrap()
        .unwrap();
    let mut pair = Pair::new();
    pair.client.conn = Connection::client(Limits::default(), [1; 32]).with_deflate(params, &config);
    pair.client.inbox.extend_from_slice(wire);
    pair.client.drain()
}

fn hello() -> Got {
    Got::Message(Message::text("Hello"))
}

#[test]
fn s7_2_3_1_hello_compressed_one_frame_and_two() {
    let one = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(client_reading(&one).unwrap(), [hello()]);
    let two = [
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(client_reading(&two).unwrap(), [hello()]);
}

#[test]
fn s7_2_3_1_hello_is_what_this_end_sends() {
    let config = DeflateConfig::default().threshold(0);
    let mut server =
        Connection::server(Limits::default()).with_deflate(agreed("permessage-deflate"), &config);
    server.send_text("Hello").unwrap();
    assert_eq!(
        server.pending_output(),
        &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
    );
}

#[test]
fn s7_2_3_2_sharing_the_lz77_window() {
    let wire = [
        0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, // "Hello"
        0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00, // "Hello" again, by reference
    ];
    assert_eq!(client_reading(&wire).unwrap(), [hello(), hello()]);
}

#[test]
fn s7_2_3_3_deflate_block_with_no_compression() {
    let wire = [
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(client_reading(&wire).unwrap(), [hello()]);
}

#[test]
fn s7_2_3_4_bfinal_set() {
    let wire = [0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    // The stream ended: the next message starts a fresh one.
    let mut both = wire.to_vec();
    both.extend_from_slice(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    assert_eq!(client_reading(&both).unwrap(), [hello(), hello()]);
}

#[test]
fn s7_2_3_5_two_deflate_blocks_in_one_message() {
    let wire = [
        0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(client_reading(&wire).unwrap(), [hello()]);
}

#[test]
fn s7_2_3_6_empty_message_and_uncompressed_messages_mix() {
    let config = DeflateConfig::default().threshold(0);
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    pair.client.conn.send_text("").unwrap();
    pair.client.conn.send_text("").unwrap();
    pair.client.conn.send_binary(b"x").unwrap();
    pair.client
        .conn
        .send_frame_uncompressed(OpCode::Text, true, b"plain")
        .unwrap();
    pair.client_to_server();
    assert_eq!(
        pair.server.drain().unwrap(),
        [
            Got::Message(Message::text("")),
            Got::Message(Message::text("")),
            Got::Message(Message::binary(&b"x"[..])),
            Got::Message(Message::text("plain")),
        ]
    );
}

#[test]
fn s6_rsv1_only_on_the_first_frame_of_a_compressed_message() {
    let config = DeflateConfig::default();
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    pair.server
        .conn
        .send_fragment(DataKind::Text, b"Hel", false)
        .unwrap();
    let first = pair.server.conn.take_output();
    assert_eq!(first[0], 0x41, "RSV1 and text, FIN clear");
    pair.server.conn.send_continuation(b"lo", true).unwrap();
    let second = pair.server.conn.take_output();
    assert_eq!(second[0], 0x80, "continuation without RSV1");
    pair.client.inbox.extend_from_slice(&first);
    pair.client.inbox.extend_from_slice(&second);
    assert_eq!(pair.client.drain().unwrap(), [hello()]);
}

#[test]
fn s6_1_rsv1_on_control_or_continuation_or_unagreed_is_1002() {
    // A ping with RSV1.
    let err = client_reading(&[0xc9, 0x00]).unwrap_err();
    assert_eq!(err, ProtocolError::ReservedBits(0b100));
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    // A continuation with RSV1.
    let err = client_reading(&[0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0, 0x01, 0x00]).unwrap_err();
    assert_eq!(err, ProtocolError::ReservedBits(0b100));
    // RSV2 even with deflate agreed.
    let err = client_reading(&[0xa1, 0x00]).unwrap_err();
    assert_eq!(err, ProtocolError::ReservedBits(0b010));
    // RSV1 without deflate agreed.
    let mut pair = Pair::new();
    pair.client.inbox.extend_from_slice(&[0xc1, 0x01, 0x00]);
    assert_eq!(pair.client.drain(), Err(ProtocolError::ReservedBits(0b100)));
    assert_eq!(&pair.client.conn.pending_output()[..2], &[0x88, 0x82]);
}

#[test]
fn s7_2_2_invalid_deflate_data_is_1007() {
    // BTYPE 11 is reserved.
    let err = client_reading(&[0xc1, 0x01, 0xff]).unwrap_err();
    assert_eq!(err, ProtocolError::InvalidCompressedData);
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

#[test]
fn s8_1_compressed_text_is_checked_as_utf8_when_inflated() {
    let config = DeflateConfig::default().threshold(0);
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    pair.client
        .conn
        .send_frame(OpCode::Text, true, b"valid then \xff\xfe invalid")
        .unwrap();
    pair.client_to_server();
    let err = pair.server.drain().unwrap_err();
    assert_eq!(err, ProtocolError::InvalidUtf8);
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

fn json(i: usize) -> String {
    format!(r#"{{"id":{i},"user":"someone","tags":["alpha","beta","gamma"],"ok":true}}"#)
}

/// Bytes on the wire for `n` similar messages sent by the client with `config`.
fn wire_size(config: &DeflateConfig, n: usize) -> usize {
    let mut pair = Pair::deflate(Limits::default(), &DeflateConfig::default(), config);
    let mut total = 0;
    for i in 0..n {
        pair.client.conn.send_text(&json(i)).unwrap();
        total += pair.client.conn.pending_output().len();
        pair.client_to_server();
        assert_eq!(
            pair.server.drain().unwrap(),
            [Got::Message(Message::Text(Utf8Bytes::from(json(i))))]
        );
    }
    total
}

#[test]
fn s7_1_1_context_takeover_over_many_messages_and_without_it() {
    let takeover = wire_size(&DeflateConfig::default(), 200);
    let no_takeover = wire_size(&DeflateConfig::default().no_context_takeover(true), 200);
    assert!(
        takeover * 2 < no_takeover,
        "takeover {takeover} vs none {no_takeover}"
    );
    let small_window = wire_size(&DeflateConfig::default().window_bits(9), 200);
    assert!(small_window < no_takeover);
}

#[test]
fn s7_1_2_window_bits_8_is_accepted_and_this_end_sends_uncompressed() {
    let params = agreed("permessage-deflate; server_max_window_bits=8");
    assert_eq!(params.server_max_window_bits, 8);
    let mut server =
        Connection::server(Limits::default()).with_deflate(params, &DeflateConfig::default());
    let text = "x".repeat(1000);
    server.send_text(&text).unwrap();
    assert_eq!(server.pending_output()[0], 0x81);
    assert_eq!(server.pending_output().len(), 4 + 1000);
}

#[test]
fn fragmented_compressed_messages_round_trip_in_both_directions() {
    let config = DeflateConfig::default();
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    let body = json(7).repeat(50);
    let parts: Vec<&[u8]> = body.as_bytes().chunks(97).collect();
    for (i, part) in parts.iter().enumerate() {
        let fin = i + 1 == parts.len();
        if i == 0 {
            pair.client
                .conn
                .send_fragment(DataKind::Text, part, fin)
                .unwrap();
            pair.server
                .conn
                .send_fragment(DataKind::Binary, part, fin)
                .unwrap();
        } else {
            pair.client.conn.send_continuation(part, fin).unwrap();
            pair.server.conn.send_continuation(part, fin).unwrap();
        }
    }
    pair.client_to_server();
    pair.server_to_client();
    assert_eq!(
        pair.server.drain().unwrap(),
        [Got::Message(Message::Text(Utf8Bytes::from(body.clone())))]
    );
    assert_eq!(
        pair.client.drain().unwrap(),
        [Got::Message(Message::binary(body.into_bytes()))]
    );
}

/// A compressed message of `size` zero bytes as a client sends it.
fn bomb(size: usize) -> BytesMut {
    let config = DeflateConfig::default().level(9);
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    pair.client.conn.send_binary(&vec![0; size]).unwrap();
    BytesMut::from(pair.client.conn.pending_output())
}

#[test]
fn bounded_inflate_a_bomb_fails_1009_before_the_excess_is_held() {
    let limit = 1 << 20;
    let mut wire = bomb(64 << 20);
    assert!(
        wire.len() < 128 * 1024,
        "64 MiB of zeros is {} bytes",
        wire.len()
    );
    let limits = Limits::default().max_message_size(limit);
    let config = DeflateConfig::default();
    let mut server = Connection::server(limits).with_deflate(agreed("permessage-deflate"), &config);
    let mut delivered = 0u64;
    let err = loop {
        match server.poll_event(&mut wire, false) {
            Ok(Some(Event::Data { payload, .. })) => {
                assert!(payload.len() <= 64 * 1024);
                delivered += payload.len() as u64;
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(err, ProtocolError::MessageTooBig { limit });
    assert_eq!(err.close_code(), CloseCode::TOO_BIG);
    assert!(delivered <= limit);
    assert_eq!(&server.pending_output()[..4], &[0x88, 0x02, 0x03, 0xf1]);
}

#[test]
fn bounded_inflate_streamed_receive_is_bounded_by_its_own_limit() {
    let limit = 4 << 20;
    let mut wire = bomb(64 << 20);
    let limits = Limits::default().max_streamed_message_size(Some(limit));
    let config = DeflateConfig::default();
    let mut server = Connection::server(limits).with_deflate(agreed("permessage-deflate"), &config);
    server.stream_incoming_message();
    let mut delivered = 0u64;
    let err = loop {
        match server.poll_event(&mut wire, false) {
            Ok(Some(Event::Data { payload, .. })) => {
                assert!(payload.len() <= 64 * 1024);
                delivered += payload.len() as u64;
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(err, ProtocolError::MessageTooBig { limit });
    assert!(delivered > 3 << 20 && delivered <= limit);
}

#[test]
fn large_messages_inflate_whole_with_partial_reads() {
    let config = DeflateConfig::default();
    let mut pair = Pair::deflate(Limits::default(), &config, &config);
    let body: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
        .collect();
    pair.client.conn.send_binary(&body).unwrap();
    let wire = pair.client.conn.take_output();
    // Arrive a few bytes at a time.
    let mut got = Vec::new();
    for piece in wire.chunks(1000) {
        pair.server.inbox.extend_from_slice(piece);
        got.extend(pair.server.drain().unwrap());
    }
    assert_eq!(got, [Got::Message(Message::binary(body))]);
}

/// The shared mode: both ends ask for no context takeover both ways, and a connection
/// holds a compressor or an inflater only while a message goes through it.
fn shared() -> DeflateConfig {
    DeflateConfig::default().mode(DeflateMode::Shared)
}

#[test]
fn s7_1_1_shared_mode_negotiates_no_context_takeover_both_ways() {
    assert_eq!(
        shared().offer().to_string(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits",
    );
    // A server in the shared mode answers both even to a plain offer (§7.1.1.2 lets it
    // ask the client not to take over).
    let plain = parse_header_value("permessage-deflate").unwrap();
    let agreed = shared().accept(&plain).unwrap();
    assert_eq!(
        agreed.answer().to_string(),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
    // A dedicated client accepts that answer and resets per message.
    let client = DeflateConfig::default()
        .check_answer(&[agreed.answer()])
        .unwrap()
        .unwrap();
    assert!(client.client_no_context_takeover && client.server_no_context_takeover);
}

#[test]
fn shared_mode_holds_nothing_between_messages() {
    let mut pair = Pair::deflate(Limits::default(), &shared(), &shared());
    assert_eq!(pair.server.conn.deflate_holds(), Some((false, false)));
    for n in 0..20 {
        let body = json(n).repeat(10);
        pair.client.conn.send_text(&body).unwrap();
        pair.server.conn.send_binary(body.as_bytes()).unwrap();
        assert_eq!(pair.client.conn.deflate_holds(), Some((false, false)));
        assert_eq!(pair.server.conn.deflate_holds(), Some((false, false)));
        let wire = pair.client.conn.pending_output().len();
        assert!(wire < body.len() / 2, "{wire} of {}", body.len());
        pair.client_to_server();
        pair.server_to_client();
        assert_eq!(
            pair.server.drain().unwrap(),
            [Got::Message(Message::text(body.clone()))]
        );
        assert_eq!(
            pair.client.drain().unwrap(),
            [Got::Message(Message::binary(body.into_bytes()))]
        );
        assert_eq!(pair.server.conn.deflate_holds(), Some((false, false)));
        assert_eq!(pair.client.conn.deflate_holds(), Some((false, false)));
    }
    let (compressors, inflaters) = pool::spares();
    assert!(compressors <= pool::SPARES && inflaters <= pool::SPARES);
    assert!(compressors >= 1 && inflaters >= 1, "spares are reused");
}

#[test]
fn shared_mode_holds_state_only_while_a_fragmented_message_passes() {
    let mut pair = Pair::deflate(Limits::default(), &shared(), &shared());
    let body = json(3).repeat(40);
    let parts: Vec<&[u8]> = body.as_bytes().chunks(300).collect();
    pair.client
        .conn
        .send_fragment(DataKind::Text, parts[0], false)
        .unwrap();
    assert_eq!(pair.client.conn.deflate_holds(), Some((true, false)));
    pair.client_to_server();
    assert_eq!(pair.server.drain().unwrap(), []);
    assert_eq!(pair.server.conn.deflate_holds(), Some((false, true)));
    for (i, part) in parts.iter().enumerate().skip(1) {
        pair.client
            .conn
            .send_continuation(part, i + 1 == parts.len())
            .unwrap();
    }
    assert_eq!(pair.client.conn.deflate_holds(), Some((false, false)));
    pair.client_to_server();
    assert_eq!(
        pair.server.drain().unwrap(),
        [Got::Message(Message::text(body))]
    );
    assert_eq!(pair.server.conn.deflate_holds(), Some((false, false)));
}

#[test]
fn shared_mode_against_a_dedicated_peer_round_trips_both_ways() {
    // A dedicated client with context takeover meets a shared server: the server's answer
    // makes the client reset per message, so its stream inflates with pooled inflaters.
    for (server, client) in [
        (shared(), DeflateConfig::default()),
        (DeflateConfig::default(), shared()),
    ] {
        let mut pair = Pair::deflate(Limits::default(), &server, &client);
        for n in 0..5 {
            let body = json(n).repeat(20);
            pair.client.conn.send_text(&body).unwrap();
            pair.server.conn.send_text(&body).unwrap();
            pair.client_to_server();
            pair.server_to_client();
            let want = [Got::Message(Message::text(body))];
            assert_eq!(pair.server.drain().unwrap(), want);
            assert_eq!(pair.client.drain().unwrap(), want);
        }
    }
}

#[test]
fn shared_mode_keeps_a_dedicated_inflater_when_the_peer_takes_over() {
    // A server that (wrongly) leaves out server_no_context_takeover: the shared client
    // keeps its inflater, so the server's context-takeover stream still inflates.
    let client_config = shared();
    let params = client_config
        .check_answer(
            &parse_header_value("permessage-deflate; client_no_context_takeover").unwrap(),
        )
        .unwrap()
        .unwrap();
    assert!(!params.server_no_context_takeover);
    let server_config = DeflateConfig::default();
    let agreed = server_config
        .accept(&parse_header_value("permessage-deflate; client_no_context_takeover").unwrap())
        .unwrap();
    let mut pair = Pair::new();
    pair.client.conn =
        Connection::client(Limits::default(), [1; 32]).with_deflate(params, &client_config);
    pair.server.conn = Connection::server(Limits::default()).with_deflate(agreed, &server_config);
    for n in 0..5 {
        let body = json(n).repeat(20);
        pair.server.conn.send_text(&body).unwrap();
        pair.server_to_client();
        assert_eq!(
            pair.client.drain().unwrap(),
            [Got::Message(Message::text(body))]
        );
        assert_eq!(pair.client.conn.deflate_holds(), Some((false, true)));
    }
}
