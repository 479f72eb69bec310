use bytes::{Bytes, BytesMut};

use super::pair::{Got, Pair};
use crate::connection::pong::MAX_OWED_PONGS;
use crate::{
    CloseCode, CloseFrame, CloseState, Connection, DataKind, Event, Limits, Message, OpCode,
    ProtocolError, SendError,
};

/// A masked client frame, as a test peer would write it.
fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut out = vec![first_byte];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

fn server() -> Connection {
    Connection::server(Limits::default())
}

fn feed(conn: &mut Connection, bytes: &[u8]) -> Result<Vec<Event>, ProtocolError> {
    let mut buf = BytesMut::from(bytes);
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event(&mut buf, false)? {
        events.push(e);
    }
    Ok(events)
}

fn failed_with(conn: &mut Connection, bytes: &[u8], expected: ProtocolError) {
    assert_eq!(feed(conn, bytes), Err(expected.clone()));
    assert_eq!(conn.close_state(), CloseState::Failed);
    // §7.1.7: the failing endpoint sends a close frame with the error's code first.
    let out = conn.pending_output().to_vec();
    let (header, n) = crate::FrameHeader::decode(&out).unwrap().unwrap();
    assert_eq!((header.opcode, header.payload_len), (OpCode::Close, 2));
    let mut payload = out[n..].to_vec();
    if let Some(key) = header.mask {
        crate::mask::apply_mask(&mut payload, key, 0);
    }
    assert_eq!(payload, expected.close_code().as_u16().to_be_bytes());
    assert!(conn.should_close_tcp());
}

mod s5_1_masking {
    use super::*;

    #[test]
    fn server_fails_unmasked_client_frames() {
        failed_with(&mut server(), &[0x81, 0x00], ProtocolError::UnmaskedFrame);
    }

    #[test]
    fn client_fails_masked_server_frames() {
        let mut client = Connection::client(Limits::default(), [1; 32]);
        failed_with(
            &mut client,
            &client_frame(0x81, b"x"),
            ProtocolError::MaskedFrame,
        );
    }

    #[test]
    fn client_masks_with_fresh_keys_and_server_does_not() {
        let mut client = Connection::client(Limits::default(), [1; 32]);
        client.send_text("Hello").unwrap();
        client.send_text("Hello").unwrap();
        let out = client.take_output();
        assert_eq!(out[1], 0x85, "mask bit set");
        assert_ne!(&out[2..6], &out[13..17], "a new key per frame");
        assert_ne!(&out[6..11], b"Hello");
        let mut s = server();
        s.send_text("Hello").unwrap();
        assert_eq!(s.pending_output(), b"\x81\x05Hello");
    }
}

mod s5_2_base_framing {
    use super::*;

    #[test]
    fn reserved_bits_without_extension_fail_with_1002() {
        for rsv in [0x40u8, 0x20, 0x10] {
            failed_with(
                &mut server(),
                &client_frame(0x81 | rsv, b"x"),
                ProtocolError::ReservedBits(rsv >> 4),
            );
        }
    }

    #[test]
    fn reserved_bits_fail_on_every_frame_type_with_1002() {
        // RSV1 on a binary frame: what permessage-deflate would set, never negotiated here.
        failed_with(
            &mut server(),
            &client_frame(0xC2, b"x"),
            ProtocolError::ReservedBits(0b100),
        );
        // On a continuation frame of an open message, and on a control frame.
        let mut bytes = client_frame(0x01, b"a");
        bytes.extend(client_frame(0xC0, b"b"));
        failed_with(&mut server(), &bytes, ProtocolError::ReservedBits(0b100));
        failed_with(
            &mut server(),
            &client_frame(0x99, b""),
            ProtocolError::ReservedBits(0b001),
        );
    }

    #[test]
    fn reserved_opcodes_fail_with_1002() {
        failed_with(
            &mut server(),
            &client_frame(0x83, b""),
            ProtocolError::UnknownOpcode(3),
        );
        failed_with(
            &mut server(),
            &client_frame(0x8B, b""),
            ProtocolError::UnknownOpcode(0xB),
        );
    }

    #[test]
    fn server_messages_of_every_short_length_use_the_minimal_header() {
        // 0–125 bytes: a two-byte header; 126 to 65 535: the 16-bit length form; more:
        // the 64-bit one.
        for len in (0..=130usize).chain([65_535, 65_536]) {
            for (opcode, first) in [(OpCode::Text, 0x81u8), (OpCode::Binary, 0x82)] {
                let payload = "x".repeat(len);
                let mut s = server();
                s.send_frame(opcode, true, payload.as_bytes()).unwrap();
                let mut expected = match len {
                    0..=125 => vec![first, len as u8],
                    126..=65_535 => [first, 126]
                        .into_iter()
                        .chain((len as u16).to_be_bytes())
                        .collect(),
                    _ => [first, 127]
                        .into_iter()
                        .chain((len as u64).to_be_bytes())
                        .collect(),
                };
                expected.extend_from_slice(payload.as_bytes());
                assert_eq!(s.pending_output(), &expected[..], "{opcode:?} {len}");
                assert!(!s.is_sending_message());
            }
        }
    }

    #[test]
    fn valid_frames_before_an_error_are_delivered_first() {
        let mut bytes = client_frame(0x81, b"ok");
        bytes.extend(client_frame(0x83, b""));
        let mut s = server();
        let mut buf = BytesMut::from(&bytes[..]);
        assert!(matches!(
            s.poll_event(&mut buf, false),
            Ok(Some(Event::Data { .. }))
        ));
        assert!(s.poll_event(&mut buf, false).is_err());
    }
}

mod s5_4_fragmentation {
    use super::*;

    #[test]
    fn continuation_without_a_message_fails() {
        failed_with(
            &mut server(),
            &client_frame(0x80, b"x"),
            ProtocolError::UnexpectedContinuation,
        );
    }

    #[test]
    fn new_data_frame_inside_a_message_fails() {
        let mut bytes = client_frame(0x01, b"a");
        bytes.extend(client_frame(0x81, b"b"));
        failed_with(&mut server(), &bytes, ProtocolError::ExpectedContinuation);
    }

    #[test]
    fn control_frames_interleaved_are_handled_at_once() {
        let mut p = Pair::new();
        p.client
            .conn
            .send_fragment(DataKind::Text, b"Hel", false)
            .unwrap();
        p.client.conn.send_ping(b"p").unwrap();
        p.client.conn.send_continuation(b"lo", true).unwrap();
        p.client_to_server();
        let got = p.server.drain().unwrap();
        assert_eq!(
            got,
            vec![
                Got::Ping(b"p".to_vec()),
                Got::Message(Message::text("Hello"))
            ]
        );
        p.server_to_client();
        assert_eq!(p.client.drain().unwrap(), vec![Got::Pong(b"p".to_vec())]);
    }

    #[test]
    fn send_side_sequence_is_checked() {
        let mut c = server();
        assert_eq!(
            c.send_continuation(b"x", false),
            Err(SendError::NoMessageInProgress)
        );
        c.send_fragment(DataKind::Binary, b"a", false).unwrap();
        assert_eq!(c.send_text("no"), Err(SendError::MessageInProgress));
        c.send_ping(b"allowed in between").unwrap();
        c.send_continuation(b"b", true).unwrap();
        c.send_text("now fine").unwrap();
        assert!(!c.is_sending_message());
    }

    #[test]
    fn partial_delivery_yields_chunks_of_one_frame() {
        let bytes = client_frame(0x82, &[7u8; 1000]);
        let mut s = server();
        let mut buf = BytesMut::from(&bytes[..500]);
        let Some(Event::Data {
            payload,
            first: true,
            frame_end: false,
            fin: false,
            ..
        }) = s.poll_event(&mut buf, true).unwrap()
        else {
            panic!("expected a first chunk")
        };
        assert!(payload.iter().all(|&b| b == 7));
        buf.extend_from_slice(&bytes[500..]);
        let Some(Event::Data {
            payload: rest,
            first: false,
            fin: true,
            ..
        }) = s.poll_event(&mut buf, true).unwrap()
        else {
            panic!("expected the last chunk")
        };
        assert_eq!(payload.len() + rest.len(), 1000);
        assert!(rest.iter().all(|&b| b == 7));
    }

    #[test]
    fn byte_at_a_time_arrival_gives_the_same_messages() {
        let mut p = Pair::new();
        p.client
            .conn
            .send_fragment(DataKind::Text, "κό".as_bytes(), false)
            .unwrap();
        p.client
            .conn
            .send_continuation("σμε".as_bytes(), true)
            .unwrap();
        p.client.conn.send_binary(&[1u8; 300]).unwrap();
        let out = p.client.conn.take_output();
        let mut got = Vec::new();
        for b in out.iter() {
            p.server.inbox.extend_from_slice(&[*b]);
            got.extend(p.server.drain().unwrap());
        }
        assert_eq!(
            got,
            vec![
                Got::Message(Message::text("κόσμε")),
                Got::Message(Message::binary(vec![1u8; 300]))
            ]
        );
    }
}

mod s5_5_control_frames {
    use super::*;

    #[test]
    fn control_frames_over_125_bytes_or_fragmented_fail() {
        failed_with(
            &mut server(),
            &client_frame(0x89, &[0; 126]),
            ProtocolError::ControlFrameTooLong,
        );
        failed_with(
            &mut server(),
            &client_frame(0x09, b""),
            ProtocolError::FragmentedControlFrame,
        );
        assert_eq!(
            server().send_ping(&[0; 126]),
            Err(SendError::ControlFrameTooLong)
        );
    }

    #[test]
    fn s5_5_2_ping_is_answered_with_identical_pong() {
        let mut s = server();
        let events = feed(&mut s, &client_frame(0x89, b"Hello")).unwrap();
        assert_eq!(events, vec![Event::Ping(Bytes::from_static(b"Hello"))]);
        assert_eq!(s.pending_output(), b"\x8a\x05Hello");
    }

    #[test]
    fn s5_5_3_a_ping_flood_leaves_a_bounded_run_of_pongs_ending_with_the_latest() {
        let mut s = server();
        for i in 0..10_000u32 {
            feed(&mut s, &client_frame(0x89, &i.to_be_bytes())).unwrap();
        }
        // The peer never read: the first pongs up to the bound, then the answer to the
        // most recent ping in place of the rest.
        let mut expected = Vec::new();
        for i in (0..MAX_OWED_PONGS as u32 - 1).chain([9_999]) {
            expected.extend_from_slice(b"\x8a\x04");
            expected.extend_from_slice(&i.to_be_bytes());
        }
        assert_eq!(s.pending_output(), &expected[..]);
    }

    #[test]
    fn s5_5_3_a_few_pings_together_are_each_answered() {
        let mut s = server();
        for i in 0..10u8 {
            feed(&mut s, &client_frame(0x89, &[i])).unwrap();
        }
        let expected: Vec<u8> = (0..10u8).flat_map(|i| [0x8a, 0x01, i]).collect();
        assert_eq!(s.pending_output(), &expected[..]);
    }

    #[test]
    fn s5_5_3_a_pong_partly_written_or_followed_by_data_is_kept() {
        let mut s = server();
        feed(&mut s, &client_frame(0x89, b"one")).unwrap();
        s.consume_output(1);
        feed(&mut s, &client_frame(0x89, b"two")).unwrap();
        assert_eq!(s.pending_output(), b"\x03one\x8a\x03two");
        s.send_text("x").unwrap();
        feed(&mut s, &client_frame(0x89, b"3")).unwrap();
        assert_eq!(s.pending_output(), b"\x03one\x8a\x03two\x81\x01x\x8a\x013");
        feed(&mut s, &client_frame(0x89, b"4")).unwrap();
        assert_eq!(
            s.pending_output(),
            b"\x03one\x8a\x03two\x81\x01x\x8a\x013\x8a\x014"
        );
    }

    #[test]
    fn s5_5_3_unsolicited_pong_is_reported_and_not_answered() {
        let mut s = server();
        let events = feed(&mut s, &client_frame(0x8A, b"beat")).unwrap();
        assert_eq!(events, vec![Event::Pong(Bytes::from_static(b"beat"))]);
        assert!(!s.has_output());
    }
}

mod s5_5_1_close {
    use super::*;

    #[test]
    fn peer_close_is_echoed_with_its_code() {
        let mut p = Pair::new();
        p.client
            .conn
            .send_close(CloseCode::from(4000), "bye now")
            .unwrap();
        assert_eq!(p.client.conn.close_state(), CloseState::CloseSent);
        p.client_to_server();
        let got = p.server.drain().unwrap();
        assert_eq!(
            got,
            vec![Got::Close(Some(CloseFrame::new(4000.into(), "bye now")))]
        );
        assert_eq!(p.server.conn.close_state(), CloseState::Closed);
        assert_eq!(p.server.conn.peer_closed_first(), Some(true));
        assert!(
            p.server.conn.should_close_tcp(),
            "§7.1.1 the server closes TCP first"
        );
        p.server_to_client();
        let got = p.client.drain().unwrap();
        assert_eq!(
            got,
            vec![Got::Close(Some(CloseFrame::new(4000.into(), "")))]
        );
        assert_eq!(p.client.conn.close_state(), CloseState::Closed);
        assert_eq!(p.client.conn.peer_closed_first(), Some(false));
        assert!(
            !p.client.conn.should_close_tcp(),
            "the client waits for the server"
        );
        assert!(
            p.client.conn.receive_eof(),
            "EOF after the handshake is clean"
        );
    }

    #[test]
    fn empty_close_is_answered_with_empty_close() {
        let mut s = server();
        let events = feed(&mut s, &client_frame(0x88, b"")).unwrap();
        assert_eq!(events, vec![Event::Close(None)]);
        assert_eq!(s.pending_output(), &[0x88, 0x00]);
        assert_eq!(
            s.peer_close(),
            Some(&CloseFrame::new(CloseCode::NO_STATUS, ""))
        );
    }

    #[test]
    fn invalid_close_payloads_fail() {
        failed_with(
            &mut server(),
            &client_frame(0x88, &[3]),
            ProtocolError::InvalidClosePayload,
        );
        failed_with(
            &mut server(),
            &client_frame(0x88, &[0x03, 0xED]),
            ProtocolError::InvalidCloseCode(1005),
        );
        failed_with(
            &mut server(),
            &client_frame(0x88, &[0x03, 0xE8, 0xC0]),
            ProtocolError::InvalidUtf8,
        );
    }

    #[test]
    fn data_after_close_sent_is_ignored_until_the_peer_closes() {
        let mut s = server();
        s.send_close(CloseCode::NORMAL, "").unwrap();
        let _ = s.take_output();
        let mut bytes = client_frame(0x81, b"late");
        bytes.extend(client_frame(0x89, b"ping"));
        bytes.extend(client_frame(0x88, &[0x03, 0xE8]));
        let events = feed(&mut s, &bytes).unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(matches!(events[0], Event::Ping(_)));
        assert!(matches!(events[1], Event::Close(Some(_))));
        assert!(
            !s.has_output(),
            "no pong and no second close after our close"
        );
        assert_eq!(s.close_state(), CloseState::Closed);
    }

    #[test]
    fn close_in_the_middle_of_a_fragmented_message_is_echoed() {
        let mut bytes = client_frame(0x01, b"part");
        bytes.extend(client_frame(0x88, &[0x0F, 0xA0]));
        let mut s = server();
        let events = feed(&mut s, &bytes).unwrap();
        assert!(matches!(events.last(), Some(Event::Close(Some(f))) if f.code().as_u16() == 4000));
        assert_eq!(s.pending_output(), &[0x88, 0x02, 0x0F, 0xA0]);
    }

    #[test]
    fn sends_after_close_and_bad_codes_are_refused() {
        let mut s = server();
        assert_eq!(
            s.send_close(CloseCode::NO_STATUS, ""),
            Err(SendError::InvalidCloseCode(1005))
        );
        assert_eq!(
            s.send_close(CloseCode::NORMAL, &"x".repeat(124)),
            Err(SendError::ControlFrameTooLong)
        );
        s.send_close(CloseCode::NORMAL, &"x".repeat(123)).unwrap();
        assert_eq!(s.send_binary(b"x"), Err(SendError::Closed));
        let before = s.pending_output().len();
        s.send_close(CloseCode::NORMAL, "again").unwrap();
        assert_eq!(
            s.pending_output().len(),
            before,
            "a second close has no effect"
        );
    }

    #[test]
    fn eof_before_close_is_abnormal() {
        let mut s = server();
        assert!(!s.receive_eof());
        assert_eq!(s.close_state(), CloseState::Failed);
    }
}

mod s8_1_utf8 {
    use super::*;

    #[test]
    fn invalid_text_fails_with_1007() {
        failed_with(
            &mut server(),
            &client_frame(0x81, b"\xff"),
            ProtocolError::InvalidUtf8,
        );
    }

    #[test]
    fn fails_fast_in_the_middle_of_a_frame() {
        // The frame declares 100 bytes; the invalid sequence is in the first 10.
        let mut bytes = client_frame(0x81, &[b'a'; 100]);
        let header_len = 6;
        let key = [0x11, 0x22, 0x33, 0x44];
        bytes[header_len + 5] = 0xff ^ key[5 % 4];
        let mut s = server();
        let mut buf = BytesMut::from(&bytes[..header_len + 10]);
        assert_eq!(
            s.poll_event(&mut buf, false),
            Err(ProtocolError::InvalidUtf8)
        );
    }

    #[test]
    fn characters_split_across_fragments_are_valid() {
        let euro = "€".as_bytes();
        let mut bytes = client_frame(0x01, &euro[..1]);
        bytes.extend(client_frame(0x00, &euro[1..2]));
        bytes.extend(client_frame(0x80, &euro[2..]));
        let events = feed(&mut server(), &bytes).unwrap();
        assert_eq!(events.len(), 3);
    }

    #[test]
    fn ascii_cannot_finish_a_character_begun_in_the_previous_frame() {
        // The second frame is all ASCII, yet it must continue the euro sign begun at
        // the end of the first: it fails at once, before the message's end.
        let mut bytes = client_frame(0x01, b"price: \xe2");
        bytes.extend(client_frame(0x00, &[b'a'; 100]));
        failed_with(&mut server(), &bytes, ProtocolError::InvalidUtf8);
        let mut bytes = client_frame(0x01, b"price: \xe2");
        let mut rest = b"\x82\xac".to_vec();
        rest.extend([b'a'; 100]);
        bytes.extend(client_frame(0x80, &rest));
        assert_eq!(feed(&mut server(), &bytes).unwrap().len(), 2);
    }

    #[test]
    fn a_high_byte_anywhere_in_a_long_ascii_frame_is_checked() {
        for at in [0, 31, 63, 64, 255, 256, 1000, 1023] {
            let mut payload = vec![b'a'; 1024];
            payload[at] = 0xff;
            failed_with(
                &mut server(),
                &client_frame(0x81, &payload),
                ProtocolError::InvalidUtf8,
            );
        }
    }

    #[test]
    fn message_ending_inside_a_character_fails() {
        let mut bytes = client_frame(0x01, b"a");
        bytes.extend(client_frame(0x80, b"\xe2\x82"));
        failed_with(&mut server(), &bytes, ProtocolError::InvalidUtf8);
    }
}

mod s10_4_limits {
    use super::*;
    use crate::Role;
    use crate::hybi00::FramingMode;

    #[test]
    fn frame_over_the_limit_fails_before_its_payload_arrives() {
        let mut s = Connection::server(Limits::default().max_frame_size(1000));
        // Only the header of a 1001-byte frame: the payload is never buffered.
        let header = &client_frame(0x82, &[0; 1001])[..8];
        failed_with(&mut s, header, ProtocolError::FrameTooBig { limit: 1000 });
    }

    #[test]
    fn a_frame_claiming_2_pow_62_bytes_fails_at_once() {
        let mut s = server();
        let header = [0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
        assert!(matches!(
            feed(&mut s, &header),
            Err(ProtocolError::FrameTooBig { .. })
        ));
    }

    #[test]
    fn message_over_the_limit_fails_with_1009() {
        let mut s = Connection::server(Limits::default().max_message_size(10));
        let mut bytes = client_frame(0x02, &[0; 6]);
        bytes.extend(client_frame(0x80, &[0; 6]));
        failed_with(&mut s, &bytes, ProtocolError::MessageTooBig { limit: 10 });
    }

    #[test]
    fn too_many_fragments_fail_with_1009() {
        let mut s = Connection::server(Limits::default().max_fragments(3));
        let mut bytes = client_frame(0x02, b"a");
        bytes.extend(client_frame(0x00, b"b"));
        bytes.extend(client_frame(0x00, b"c"));
        bytes.extend(client_frame(0x80, b"d"));
        failed_with(&mut s, &bytes, ProtocolError::TooManyFragments { limit: 3 });
    }

    #[test]
    fn a_streamed_message_has_its_own_budget_and_no_frame_limit() {
        let limits = Limits::default()
            .max_frame_size(10)
            .max_message_size(10)
            .max_streamed_message_size(Some(100));
        let mut s = Connection::server(limits);
        s.stream_incoming_message();
        let mut bytes = client_frame(0x02, &[1; 60]);
        bytes.extend(client_frame(0x80, &[2; 40]));
        let events = feed(&mut s, &bytes).unwrap();
        let total: usize = events
            .iter()
            .map(|e| match e {
                Event::Data { payload, .. } => payload.len(),
                other => panic!("{other:?}"),
            })
            .sum();
        assert_eq!(total, 100);
        assert!(matches!(events.last(), Some(Event::Data { fin: true, .. })));

        // Past the budget, counting the whole message.
        let mut s = Connection::server(limits);
        s.stream_incoming_message();
        let mut bytes = client_frame(0x02, &[1; 60]);
        bytes.extend(client_frame(0x80, &[2; 41]));
        failed_with(&mut s, &bytes, ProtocolError::MessageTooBig { limit: 100 });
    }

    #[test]
    fn a_streamed_message_is_unbounded_by_default() {
        let mut s = Connection::server(Limits::default());
        s.stream_incoming_message();
        // The header of a 2^40-byte frame is accepted; its payload comes in parts.
        let mut header = vec![0x82, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        header.extend_from_slice(&[9; 1000]);
        let events = feed(&mut s, &header).unwrap();
        assert!(matches!(
            &events[..],
            [Event::Data { payload, first: true, fin: false, .. }] if payload.len() == 1000
        ));
    }

    #[test]
    fn the_buffered_limits_return_after_the_streamed_message() {
        let limits = Limits::default().max_frame_size(10).max_message_size(10);
        let mut s = Connection::server(limits);
        s.stream_incoming_message();
        let mut bytes = client_frame(0x82, &[1; 50]);
        bytes.extend(client_frame(0x82, &[2; 11]));
        let mut buf = BytesMut::from(&bytes[..]);
        let Some(Event::Data { fin: true, .. }) = s.poll_event(&mut buf, false).unwrap() else {
            panic!("expected the whole streamed message")
        };
        assert_eq!(
            s.poll_event(&mut buf, false),
            Err(ProtocolError::FrameTooBig { limit: 10 })
        );
    }

    #[test]
    fn streaming_applies_to_the_message_already_begun() {
        let limits = Limits::default().max_message_size(10);
        let mut s = Connection::server(limits);
        let first = client_frame(0x02, &[1; 8]);
        let mut buf = BytesMut::from(&first[..]);
        assert!(s.poll_event(&mut buf, false).unwrap().is_some());
        assert!(s.is_receiving_message());
        s.stream_incoming_message();
        buf.extend_from_slice(&client_frame(0x80, &[2; 8]));
        let Some(Event::Data {
            first: false,
            fin: true,
            ..
        }) = s.poll_event(&mut buf, false).unwrap()
        else {
            panic!("expected the rest of the message")
        };
    }

    #[test]
    fn streaming_has_no_effect_on_hybi00() {
        let limits = Limits::default().max_message_size(10);
        let mut s = Connection::hybi00(Role::Server, FramingMode::Old, limits);
        s.stream_incoming_message();
        let mut bytes = vec![0x00];
        bytes.extend_from_slice(&[b'a'; 11]);
        bytes.push(0xFF);
        assert_eq!(
            feed(&mut s, &bytes),
            Err(ProtocolError::MessageTooBig { limit: 10 })
        );
    }

    #[test]
    fn default_allows_65536_fragments() {
        let mut s = server();
        let mut bytes = client_frame(0x02, b"a");
        for _ in 0..65_534 {
            bytes.extend(client_frame(0x00, b"b"));
        }
        bytes.extend(client_frame(0x80, b"c"));
        let events = feed(&mut s, &bytes).unwrap();
        assert_eq!(events.len(), 65_536);
    }
}

mod s5_7_examples_end_to_end {
    use super::*;

    #[test]
    fn every_size_round_trips_both_ways() {
        for len in [0usize, 1, 125, 126, 127, 65_535, 65_536, 200_000] {
            let mut p = Pair::new();
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            p.client.conn.send_binary(&data).unwrap();
            p.client_to_server();
            let got = p.server.drain().unwrap();
            assert_eq!(
                got,
                vec![Got::Message(Message::binary(data.clone()))],
                "{len}"
            );
            p.server.conn.send_binary(&data).unwrap();
            p.server_to_client();
            assert_eq!(
                p.client.drain().unwrap(),
                vec![Got::Message(Message::binary(data))]
            );
        }
    }

    #[test]
    fn frame_level_send_matches_the_rfc_bytes() {
        let mut s = server();
        s.send_frame(OpCode::Text, false, b"Hel").unwrap();
        s.send_frame(OpCode::Continuation, true, b"lo").unwrap();
        assert_eq!(s.pending_output(), b"\x01\x03Hel\x80\x02lo");
    }

    #[test]
    fn frame_header_for_vectored_writes() {
        let mut s = server();
        s.send_text("before").unwrap();
        let before = s.pending_output().len();
        let at = s
            .send_frame_header(OpCode::Binary, true, 65_536)
            .unwrap()
            .unwrap();
        assert_eq!(at, s.pending_output().len());
        assert_eq!(
            &s.pending_output()[before..at],
            &[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]
        );
        assert!(
            !s.is_sending_message(),
            "the frame had FIN: the message is done"
        );
        let mut c = Connection::client(Limits::default(), [0; 32]);
        assert_eq!(c.send_frame_header(OpCode::Binary, true, 1).unwrap(), None);
        assert!(!c.has_output(), "nothing queued on a client");
    }

    #[test]
    fn frame_header_follows_the_send_rules() {
        let mut s = server();
        s.send_fragment(DataKind::Text, b"a", false).unwrap();
        let queued = s.pending_output().len();
        assert_eq!(
            s.send_frame_header(OpCode::Binary, true, 1 << 20),
            Err(SendError::MessageInProgress)
        );
        assert_eq!(s.pending_output().len(), queued, "nothing queued on error");
    }
}

mod hybi00_variant {
    use super::*;
    use crate::hybi00::FramingMode;
    use crate::{Role, Variant};

    fn pair(mode: FramingMode) -> (Connection, Connection) {
        let limits = Limits::default().max_message_size(1000);
        (
            Connection::hybi00(Role::Client, mode, limits),
            Connection::hybi00(Role::Server, mode, limits),
        )
    }

    #[test]
    fn text_round_trips_in_both_framing_modes() {
        for mode in [FramingMode::Old, FramingMode::New] {
            let (mut client, mut server) = pair(mode);
            client.send_text("héllo").unwrap();
            let events = feed(&mut server, &client.take_output()).unwrap();
            assert_eq!(events.len(), 1);
            let Event::Data {
                kind: DataKind::Text,
                payload,
                fin: true,
                first: true,
                ..
            } = &events[0]
            else {
                panic!("{events:?}")
            };
            assert_eq!(&payload[..], "héllo".as_bytes());
        }
    }

    #[test]
    fn unsupported_operations_are_refused() {
        let (mut client, _) = pair(FramingMode::Old);
        assert_eq!(client.variant(), Variant::Hybi00);
        assert!(!client.variant().supports_fragmentation());
        assert!(!client.variant().supports_payload_kind(DataKind::Binary));
        assert!(client.variant().supports_payload_kind(DataKind::Text));
        assert!(!client.variant().signals_status_on_close());
        assert!(matches!(
            client.send_binary(b"x"),
            Err(SendError::Unsupported(_))
        ));
        assert!(matches!(
            client.send_ping(b"x"),
            Err(SendError::Unsupported(_))
        ));
        assert!(matches!(
            client.send_fragment(DataKind::Text, b"x", false),
            Err(SendError::Unsupported(_))
        ));
        assert!(!client.has_output(), "nothing queued for a refused send");
    }

    #[test]
    fn close_is_ff_00_and_is_answered() {
        let (mut client, mut server) = pair(FramingMode::Old);
        client.send_close(CloseCode::from(4000), "ignored").unwrap();
        let out = client.take_output();
        assert_eq!(
            &out[..],
            &[0xFF, 0x00],
            "no status and no reason on hybi-00"
        );
        assert_eq!(feed(&mut server, &out).unwrap(), vec![Event::Close(None)]);
        assert_eq!(server.pending_output(), &[0xFF, 0x00]);
        assert_eq!(server.close_state(), CloseState::Closed);
        assert_eq!(client.send_text("late"), Err(SendError::Closed));
    }

    #[test]
    fn server_queues_the_handshake_answer_before_any_frame() {
        let request = http::Request::get("/demo")
            .header("Host", "example.com")
            .header("Upgrade", "WebSocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5")
            .header("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")
            .body(())
            .unwrap();
        let offer = crate::hybi00::check_request(&request).unwrap();
        for mode in [FramingMode::Old, FramingMode::New] {
            let mut server =
                Connection::hybi00_server(&offer, b"^n:ds[4U", mode, Limits::default());
            assert_eq!(server.variant(), Variant::Hybi00);
            assert_eq!(server.role(), Role::Server);
            assert_eq!(server.pending_output(), b"8jKS'y:G*Co,Wxa-");
            let (mut client, _) = pair(mode);
            client.send_text("hi").unwrap();
            let events = feed(&mut server, &client.take_output()).unwrap();
            assert_eq!(events.len(), 1, "{events:?}");
        }
    }

    #[test]
    fn unterminated_frame_over_the_limit_fails_the_connection() {
        let (_, mut server) = pair(FramingMode::Old);
        let mut bytes = vec![0x00];
        bytes.extend(std::iter::repeat_n(b'a', 2000));
        assert!(matches!(
            feed(&mut server, &bytes),
            Err(ProtocolError::MessageTooBig { .. })
        ));
        assert_eq!(server.close_state(), CloseState::Failed);
    }
}
