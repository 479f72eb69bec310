//! Frame header decode (RFC 6455 §5.2), differential: the library's `FrameHeader::decode`
//! against the reference decoder of `src/reference.rs`, on arbitrary bytes.
//!
//! Oracles:
//! - both agree on "incomplete", on every field of a valid header and on its length, and the
//!   library's error is one of the rules the reference finds broken (and only then an error);
//! - every shorter prefix of a valid header is "incomplete" (no decision before the bytes);
//! - encode(decode(x)) gives back exactly the header's bytes (only minimal lengths decode);
//! - decode(encode(h)) gives back h for a header built from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455_fuzz::reference::{self, Rule, Verdict};
use rfc6455_proto::{FrameHeader, MAX_HEADER_LEN, OpCode, ProtocolError};

fn rule_of(error: &ProtocolError) -> Rule {
    match error {
        ProtocolError::UnknownOpcode(op) => Rule::ReservedOpcode(*op),
        ProtocolError::ControlFrameTooLong => Rule::ControlTooLong,
        ProtocolError::FragmentedControlFrame => Rule::ControlFragmented,
        ProtocolError::InvalidLength => Rule::LengthTopBit,
        ProtocolError::NonMinimalLength => Rule::NonMinimal,
        other => panic!("header decode returned an error no header rule gives: {other:?}"),
    }
}

fn check_decode(data: &[u8]) {
    let got = FrameHeader::decode(data);
    match (reference::decode(data), &got) {
        (Verdict::Incomplete, Ok(None)) => {}
        (Verdict::Header(r), Ok(Some((h, n)))) => {
            assert_eq!(*n, r.header_len, "header length");
            assert_eq!(h.fin, r.fin);
            assert_eq!(h.rsv, r.rsv);
            assert_eq!(h.opcode.as_u8(), r.opcode);
            assert_eq!(h.mask, r.mask);
            assert_eq!(h.payload_len, r.payload_len);
            assert_eq!(h.encoded_len(), *n);
            // Round trip: the bytes that decoded are the bytes that encode.
            let mut buf = [0u8; MAX_HEADER_LEN];
            let written = h.encode(&mut buf);
            assert_eq!(&buf[..written], &data[..*n], "encode(decode(x)) != x");
            // No verdict before the whole header is there.
            for cut in 0..*n {
                assert_eq!(FrameHeader::decode(&data[..cut]), Ok(None), "prefix {cut}");
            }
        }
        (Verdict::Broken(rules), Err(error)) => {
            let rule = rule_of(error);
            assert!(
                rules.contains(&rule),
                "{error:?} but the reference found {rules:?}"
            );
        }
        (want, got) => panic!("reference {want:?}, library {got:?} for {data:02x?}"),
    }
}

/// Build a header from the input (any fields a sender could choose), encode, decode.
fn check_encode(data: &[u8]) {
    let [b0, b1, rest @ ..] = data else {
        return;
    };
    let opcodes = [
        OpCode::Continuation,
        OpCode::Text,
        OpCode::Binary,
        OpCode::Close,
        OpCode::Ping,
        OpCode::Pong,
    ];
    let opcode = opcodes[usize::from(b0 % 6)];
    let mut word = [0u8; 8];
    for (w, r) in word.iter_mut().zip(rest) {
        *w = *r;
    }
    // Lengths of every size class: a small one, a 16-bit one, a 63-bit one.
    let payload_len = match b1 % 3 {
        0 => u64::from(word[0] % 126),
        1 => u64::from(u16::from_be_bytes([word[0], word[1]])),
        _ => u64::from_be_bytes(word) >> 1,
    };
    let control = opcode.is_control();
    let header = FrameHeader {
        fin: control || b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode,
        mask: (b1 & 0x80 != 0).then_some([*b1, word[5], word[6], word[7]]),
        payload_len: if control {
            payload_len % 126
        } else {
            payload_len
        },
    };
    let mut buf = [0u8; MAX_HEADER_LEN];
    let n = header.encode(&mut buf);
    assert_eq!(n, header.encoded_len());
    assert_eq!(
        FrameHeader::decode(&buf[..n]),
        Ok(Some((header, n))),
        "decode(encode(h)) != h"
    );
    assert!(matches!(reference::decode(&buf[..n]), Verdict::Header(_)));
}

fuzz_target!(|data: &[u8]| {
    check_decode(data);
    check_encode(data);
});
