//! permessage-deflate deflate → inflate (RFC 7692 §7.2.1–§7.2.2): every message one end
//! sends, compressed or not, whole or in fragments, arrives unchanged at the other, for
//! every parameter set both ends can agree on and in both modes.
//!
//! Input: 4 setup bytes (server flags, client flags, window bits of each end, level and
//! threshold), then messages: each a control byte (direction, kind, fragment size,
//! uncompressed) and a length byte, then that many bytes.
//!
//! Oracles: each message is received whole and equal (text as text); each end's output
//! after a message is exactly one message's frames (nothing left over); no error.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode};
use rfc6455_proto::{Connection, DataKind, Event, Limits, OpCode};

fn config(flags: u8, bits: u8, level: u8, threshold: u8) -> DeflateConfig {
    DeflateConfig::default()
        .mode(if flags & 1 != 0 {
            DeflateMode::Shared
        } else {
            DeflateMode::Dedicated
        })
        .no_context_takeover(flags & 2 != 0)
        .peer_no_context_takeover(flags & 4 != 0)
        .peer_window_bits((flags & 8 != 0).then_some(8 + (flags >> 4) % 8))
        .window_bits(9 + bits % 7)
        .level(level % 10)
        .threshold(usize::from(threshold) * 4)
}

fn opcode(kind: DataKind) -> OpCode {
    match kind {
        DataKind::Text => OpCode::Text,
        _ => OpCode::Binary,
    }
}

/// Send `body` from `from` as one message (in fragments of `piece` bytes when `piece` > 0),
/// compressed unless `plain`.
fn send(from: &mut Connection, kind: DataKind, body: &[u8], piece: usize, plain: bool) {
    if piece == 0 || body.len() <= piece {
        if plain {
            from.send_frame_uncompressed(opcode(kind), true, body)
                .expect("send");
        } else if kind == DataKind::Text {
            from.send_text(std::str::from_utf8(body).expect("text"))
                .expect("send");
        } else {
            from.send_binary(body).expect("send");
        }
        return;
    }
    let parts: Vec<&[u8]> = body.chunks(piece).collect();
    for (i, part) in parts.iter().enumerate() {
        let fin = i + 1 == parts.len();
        let opcode = if i == 0 {
            opcode(kind)
        } else {
            OpCode::Continuation
        };
        if plain {
            from.send_frame_uncompressed(opcode, fin, part)
                .expect("send");
        } else {
            from.send_frame(opcode, fin, part).expect("send");
        }
    }
}

/// Everything `to` makes of `wire`: whole messages.
fn receive(to: &mut Connection, wire: &[u8]) -> Vec<(DataKind, Vec<u8>)> {
    let mut buf = BytesMut::from(wire);
    let mut got = Vec::new();
    let mut current: Option<(DataKind, Vec<u8>)> = None;
    while let Some(event) = to.poll_event(&mut buf, false).expect("no error") {
        if let Event::Data {
            kind, payload, fin, ..
        } = event
        {
            let entry = current.get_or_insert_with(|| (kind, Vec::new()));
            entry.1.extend_from_slice(&payload);
            if fin {
                got.push(current.take().expect("open"));
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left unread", buf.len());
    assert!(current.is_none(), "a message left open");
    got
}

fuzz_target!(|data: &[u8]| {
    let [server_flags, client_flags, bits, level, messages @ ..] = data else {
        return;
    };
    let mut rest: &[u8] = messages;
    let server = config(*server_flags, bits & 0xf, *level, level >> 4);
    let client = config(*client_flags, bits >> 4, *level >> 2, level >> 5);
    let agreed = server
        .accept(&[client.offer()])
        .expect("the server accepts any offer of ours");
    let client_side = client
        .check_answer(&[agreed.answer()])
        .expect("the client accepts the answer")
        .expect("deflate agreed");
    let limits = Limits::default();
    let mut s = Connection::server(limits).with_deflate(agreed, &server);
    let mut c = Connection::client(limits, [3; 32]).with_deflate(client_side, &client);

    while let [control, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (body, after) = tail.split_at(len);
        rest = after;
        let kind = if control & 1 != 0 {
            DataKind::Text
        } else {
            DataKind::Binary
        };
        let body: Vec<u8> = if kind == DataKind::Text {
            String::from_utf8_lossy(body).into_owned().into_bytes()
        } else {
            // Repeat short bodies so that matches across the window show up too.
            body.repeat(usize::from(control >> 6) * 20 + 1)
        };
        let piece = usize::from(control >> 2 & 0xf) * 7;
        let plain = control & 2 != 0;
        let (from, to) = if control & 0x40 != 0 && kind == DataKind::Text || control & 0x80 != 0 {
            (&mut s, &mut c)
        } else {
            (&mut c, &mut s)
        };
        send(from, kind, &body, piece, plain);
        let wire = from.take_output();
        assert_eq!(receive(to, &wire), [(kind, body)], "the message changed");
        assert!(
            to.pending_output().is_empty(),
            "the receiver wrote something"
        );
    }
});
