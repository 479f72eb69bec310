//! Reading back what a connection wrote, with the reference decoder, and checking it against
//! the rules for the writer's role (§5.1 masking, §5.5 control frames, §7.4 close codes).

use crate::reference::{self, Verdict};

/// One frame of a connection's output, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFrame {
    /// FIN.
    pub fin: bool,
    /// The opcode, as on the wire.
    pub opcode: u8,
    /// Whether it was masked.
    pub masked: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

/// Split `out` into frames, checking each against the rules every sender must keep: RSV
/// bits 0, masking by role (a client masks every frame, a server none), a known opcode,
/// control frames whole and at most 125 bytes, minimal lengths, no trailing partial frame.
///
/// # Panics
/// On the first rule broken: that is the fuzz target's finding.
pub fn frames(mut out: &[u8], client: bool) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while !out.is_empty() {
        let header = match reference::decode(out) {
            Verdict::Header(h) => h,
            other => panic!("the connection wrote a bad header ({other:?}): {out:02x?}"),
        };
        assert_eq!(header.rsv, 0, "RSV bits set with no extension");
        assert_eq!(
            header.mask.is_some(),
            client,
            "masking does not match the role"
        );
        let len = usize::try_from(header.payload_len).expect("length fits");
        let end = header.header_len + len;
        assert!(end <= out.len(), "the output ends inside a frame");
        let mut payload = out[header.header_len..end].to_vec();
        if let Some(key) = header.mask {
            reference::mask(&mut payload, key, 0);
        }
        frames.push(WireFrame {
            fin: header.fin,
            opcode: header.opcode,
            masked: header.mask.is_some(),
            payload,
        });
        out = &out[end..];
    }
    frames
}

/// Whether a close code may be sent in a close frame (§7.4.1, §7.4.2): the defined codes
/// that are not reserved for reporting, and the registered/private ranges 3000–4999.
pub fn sendable_close_code(code: u16) -> bool {
    let defined = [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
    ];
    defined.contains(&code) || (3000..=4999).contains(&code)
}

/// Check a close frame's payload (§5.5.1): empty, or a sendable code and a UTF-8 reason.
/// Returns the code, if any.
///
/// # Panics
/// If the payload breaks the rule.
pub fn close_payload(payload: &[u8]) -> Option<u16> {
    match payload {
        [] => None,
        [_] => panic!("a one-byte close payload"),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            assert!(
                sendable_close_code(code),
                "close code {code} may not be sent"
            );
            assert!(
                std::str::from_utf8(reason).is_ok(),
                "close reason not UTF-8"
            );
            Some(code)
        }
    }
}
