//! permessage-deflate's inflate (RFC 7692 §7.2.2) fed arbitrary compressed payloads: the
//! output never exceeds the message limit, whatever the input claims to expand to.
//!
//! Input: 4 setup bytes (flags, message limit, fragment split, window bits), then the
//! compressed payload of one message from the peer, cut into up to four frames (RSV1 on
//! the first). The connection agreed on permessage-deflate in the role and mode the flags
//! pick.
//!
//! Oracles:
//! - every data event carries at most 64 KiB, and the bytes of the message delivered so far
//!   never exceed `max_message_size` (or `max_streamed_message_size` for a streamed
//!   receive): a bomb ends in 1009 before its excess is held;
//! - a failure is one of the documented answers: 1007 for invalid DEFLATE data or invalid
//!   UTF-8 text, 1009 over the limit (nothing else can go wrong with these frames);
//! - with a 15-bit window, the whole input and the same input a byte at a time both fail or
//!   both succeed, and deliver the same bytes when they succeed.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rfc6455_fuzz::reference;
use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode};
use rfc6455_proto::extension::parse_header_value;
use rfc6455_proto::{Connection, Event, Limits, ProtocolError, Role};

/// One frame as the peer sends it: FIN, RSV1, opcode, length, mask when the peer is a
/// client (this end a server).
fn frame(out: &mut Vec<u8>, b0: u8, payload: &[u8], masked: bool) {
    out.push(b0);
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mut body = payload.to_vec();
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        reference::mask(&mut body, key, 0);
    }
    out.extend_from_slice(&body);
}

#[derive(Debug, PartialEq, Eq)]
struct Run {
    /// Payload bytes delivered, per event.
    events: Vec<usize>,
    total: u64,
    error: Option<ProtocolError>,
}

fn run(conn: &mut Connection, wire: &[u8], step: usize, limit: u64) -> Run {
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut total = 0u64;
    for piece in wire.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match conn.poll_event(&mut buf, false) {
                Ok(Some(Event::Data { payload, fin, .. })) => {
                    assert!(payload.len() <= 64 * 1024, "an event of {}", payload.len());
                    total += payload.len() as u64;
                    assert!(total <= limit, "{total} bytes delivered, limit {limit}");
                    events.push(payload.len());
                    if fin {
                        total = 0;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(error) => {
                    return Run {
                        events,
                        total,
                        error: Some(error),
                    };
                }
            }
        }
    }
    Run {
        events,
        total,
        error: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, limit, split, bits, payload @ ..] = data else {
        return;
    };
    let role = if flags & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let streamed = flags & 2 != 0;
    let text = flags & 4 != 0;
    let mode = if flags & 8 != 0 {
        DeflateMode::Shared
    } else {
        DeflateMode::Dedicated
    };
    let peer_bits = 8 + bits % 8;
    // Small limits, so that bombs are found quickly: 0 to 64 KiB.
    let limit = u64::from(*limit) * 257;
    let limits = if streamed {
        Limits::default().max_streamed_message_size(Some(limit))
    } else {
        Limits::default().max_message_size(limit)
    };
    let config = DeflateConfig::default().mode(mode);
    let offer = format!(
        "permessage-deflate; client_max_window_bits={peer_bits}; server_max_window_bits={peer_bits}"
    );
    let agreed = config
        .accept(&parse_header_value(&offer).expect("a valid header"))
        .expect("a valid offer");
    let new = || {
        let conn = match role {
            Role::Server => Connection::server(limits),
            Role::Client => Connection::client(limits, [9; 32]),
        };
        let mut conn = conn.with_deflate(agreed, &config);
        if streamed {
            conn.stream_incoming_message();
        }
        conn
    };

    // Up to four frames: the split byte's two-bit fields say where the payload is cut.
    let masked = role == Role::Server;
    let mut cuts: Vec<usize> = (0..3)
        .map(|i| usize::from(split >> (2 * i) & 3) * payload.len() / 4)
        .collect();
    cuts.push(payload.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut wire = Vec::new();
    let mut start = 0;
    for (i, &end) in cuts.iter().enumerate() {
        let fin = if i + 1 == cuts.len() { 0x80 } else { 0 };
        let b0 = if i == 0 {
            fin | 0x40 | if text { 0x1 } else { 0x2 }
        } else {
            fin
        };
        frame(&mut wire, b0, &payload[start..end], masked);
        start = end;
    }

    let bound = if streamed {
        limit
    } else {
        limits.max_message_size
    };
    let whole = run(&mut new(), &wire, wire.len(), bound);
    let bytewise = run(&mut new(), &wire, 1, bound);
    for error in [&whole.error, &bytewise.error].into_iter().flatten() {
        assert!(
            matches!(
                error,
                ProtocolError::InvalidCompressedData
                    | ProtocolError::InvalidUtf8
                    | ProtocolError::MessageTooBig { .. }
            ),
            "unexpected {error:?}"
        );
    }
    // A message may be too big, invalid DEFLATE and invalid UTF-8 at once, and which is
    // found first depends on where the input was cut; whether it fails does not. (Except
    // under a window smaller than 15 bits: zlib lets a distance reach past the window
    // into output of the same call, so a stream that does so inflates whole and fails in
    // pieces. No valid stream does; either answer is bounded and documented.)
    if peer_bits < 15 {
        return;
    }
    assert_eq!(
        bytewise.error.is_some(),
        whole.error.is_some(),
        "a byte at a time changed the outcome: {:?} against {:?}",
        bytewise.error,
        whole.error
    );
    if whole.error.is_none() {
        assert_eq!(
            bytewise.events.iter().sum::<usize>(),
            whole.events.iter().sum::<usize>(),
            "a byte at a time delivered other bytes"
        );
    }
});
