//! The HTTP/1 head readers of `rfc6455` (the server's fast-path request reader and the
//! client's response reader, `rfc6455/src/http1/`), reached through `rfc6455::fuzzing`.
//!
//! Input: the limit (16 to 1036 bytes), a split seed, the reader (request or response),
//! then the bytes the peer sends.
//!
//! Oracles:
//! - split invariance: the bytes in one read, in the seed's pieces (1 to 16 bytes) and a
//!   byte a read give the same outcome (head, length, or error);
//! - what the reader buffered is exactly a prefix of what was sent (nothing lost,
//!   reordered or invented), and, read in small pieces, at most the limit plus one read;
//! - an upgrade the server's reader takes for its fast path is a WebSocket upgrade request
//!   whose head it read whole; the reads are linear (never more than one per byte, plus
//!   the end of the stream).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc6455::fuzzing::{HeadRead, read_request_head, read_response_head};

fuzz_target!(|data: &[u8]| {
    let [limit, seed, which, input @ ..] = data else {
        return;
    };
    let limit = 16 + usize::from(*limit) * 4;
    let read: fn(Vec<Vec<u8>>, usize) -> HeadRead = if which & 1 == 0 {
        read_request_head
    } else {
        read_response_head
    };

    let whole = read(vec![input.to_vec()], limit);
    let mut x = u32::from(*seed) | 1;
    let mut pieces = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = (1 + (x % 16) as usize).min(rest.len());
        pieces.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    let split = read(pieces, limit);
    let bytewise = read(input.iter().map(|b| vec![*b]).collect(), limit);

    for (name, run, max_read) in [
        ("whole", &whole, input.len()),
        ("split", &split, 16),
        ("bytewise", &bytewise, 1),
    ] {
        assert!(
            input.starts_with(&run.buffered),
            "{name}: the buffer is not what was sent"
        );
        assert!(
            run.buffered.len() <= limit + max_read,
            "{name}: buffered {} bytes, limit {limit}",
            run.buffered.len()
        );
        assert!(
            run.reads <= input.len() + 1,
            "{name}: {} reads for {} bytes",
            run.reads,
            input.len()
        );
    }
    assert_eq!(
        split.outcome, whole.outcome,
        "split reads changed the outcome"
    );
    assert_eq!(
        bytewise.outcome, whole.outcome,
        "byte-at-a-time reads changed the outcome"
    );
    if which & 1 == 0 && whole.outcome.starts_with("Ok(Some(Upgrade(") {
        // The head length is the last field of the outcome: `…, LEN)))`.
        let tail = whole.outcome.trim_end_matches(')');
        let len: usize = tail.rsplit(", ").next().unwrap().parse().unwrap();
        assert!(
            len <= whole.buffered.len() && len <= limit,
            "a head of {len} bytes, limit {limit}"
        );
        assert!(
            input[..len].ends_with(b"\n"),
            "the head does not end a line"
        );
    }
});
