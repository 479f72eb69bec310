//! Large payloads queued to leave from their own memory ([`Payloads`]): a server's large
//! messages are not copied into the output; each goes on the wire right after its frame
//! header in the core's output, in one vectored write with what surrounds it.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

/// At most this many payloads are queued; more large messages are copied into the output
/// until some are written.
pub(super) const MAX_PAYLOADS: usize = 64;

/// At most this many payloads go into one vectored write (with the output around them:
/// twice as many slices, and one more).
const PER_WRITE: usize = 4;

/// The slices of one vectored write.
pub(super) type Slices<'a> = [IoSlice<'a>; 2 * PER_WRITE + 1];

/// Payloads waiting to be written, in order, each with where it goes: after the first
/// `at` bytes of the core's pending output (which end with its frame header). The first
/// is held apart, so that one payload at a time (the usual case) needs no queue memory.
#[derive(Debug)]
pub(super) struct Payloads {
    first: (usize, Bytes),
    more: VecDeque<(usize, Bytes)>,
    /// Their bytes not yet written.
    bytes: usize,
}

impl Payloads {
    pub(super) fn new(at: usize, payload: Bytes) -> Self {
        Self {
            bytes: payload.len(),
            first: (at, payload),
            more: VecDeque::new(),
        }
    }

    /// Queue `payload` after the first `at` bytes of the output (at or after every
    /// payload queued before it).
    pub(super) fn push(&mut self, at: usize, payload: Bytes) {
        self.bytes += payload.len();
        self.more.push_back((at, payload));
    }

    /// Whether no more may be queued.
    pub(super) fn is_full(&self) -> bool {
        self.more.len() + 1 >= MAX_PAYLOADS
    }

    /// Their bytes not yet written.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    fn iter(&self) -> impl Iterator<Item = &(usize, Bytes)> {
        std::iter::once(&self.first).chain(&self.more)
    }

    /// The next vectored write: `output` (the core's pending output) cut around the
    /// payloads, with them in place, for up to [`PER_WRITE`] of them; the number of
    /// slices filled in `bufs`.
    pub(super) fn slices<'a>(&'a self, output: &'a [u8], bufs: &mut Slices<'a>) -> usize {
        let mut filled = 0;
        let mut pos = 0;
        for (at, payload) in self.iter().take(PER_WRITE) {
            if *at > pos {
                bufs[filled] = IoSlice::new(&output[pos..*at]);
                filled += 1;
            }
            bufs[filled] = IoSlice::new(payload);
            filled += 1;
            pos = *at;
        }
        // The output after the last payload, once every payload is in this write.
        if self.more.len() < PER_WRITE && pos < output.len() {
            bufs[filled] = IoSlice::new(&output[pos..]);
            filled += 1;
        }
        filled
    }

    /// `n` bytes of what [`slices`](Self::slices) gave were written: the payloads'
    /// share is dropped here; returns the output's share, for
    /// [`Connection::consume_output`](rfc6455_proto::Connection::consume_output), and
    /// whether every payload is written.
    pub(super) fn advance(&mut self, n: usize) -> (usize, bool) {
        let mut left = n;
        let mut output = 0;
        while left > 0 {
            let (at, payload) = &mut self.first;
            let head = (*at - output).min(left);
            output += head;
            left -= head;
            if left == 0 {
                break;
            }
            let part = payload.len().min(left);
            payload.advance(part);
            self.bytes -= part;
            left -= part;
            if payload.is_empty() {
                match self.more.pop_front() {
                    Some(next) => self.first = next,
                    None => {
                        // Whatever else was written is output after the last payload.
                        return (output + left, true);
                    }
                }
            }
        }
        self.first.0 -= output;
        for (at, _) in &mut self.more {
            *at -= output;
        }
        (output, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the slices put on the wire, `n` bytes at a time, against the bytes in order.
    fn drain(mut output: Vec<u8>, mut payloads: Payloads, step: usize) -> Vec<u8> {
        let mut wire = Vec::new();
        loop {
            let mut bufs: Slices<'_> = [IoSlice::new(&[]); 2 * PER_WRITE + 1];
            let filled = payloads.slices(&output, &mut bufs);
            let all: Vec<u8> = bufs[..filled].iter().flat_map(|s| s.to_vec()).collect();
            let n = all.len().min(step);
            wire.extend_from_slice(&all[..n]);
            let (from_output, done) = payloads.advance(n);
            output.drain(..from_output);
            if done {
                wire.extend_from_slice(&output);
                return wire;
            }
        }
    }

    #[test]
    fn payloads_leave_in_their_places_however_the_writes_split() {
        // Output: h1 | h2 p | h3 ... with payloads after each header.
        let mut expected = Vec::new();
        let mut output = Vec::new();
        let mut payloads: Option<Payloads> = None;
        for i in 0..40u8 {
            output.extend_from_slice(&[0xf0, i]);
            expected.extend_from_slice(&[0xf0, i]);
            let payload = Bytes::from(vec![i; 3 + usize::from(i) % 5]);
            expected.extend_from_slice(&payload);
            match &mut payloads {
                None => payloads = Some(Payloads::new(output.len(), payload)),
                Some(p) => p.push(output.len(), payload),
            }
            if i % 7 == 0 {
                // A pong queued between payloads.
                output.extend_from_slice(&[0x8a, 0]);
                expected.extend_from_slice(&[0x8a, 0]);
            }
        }
        output.extend_from_slice(b"tail");
        expected.extend_from_slice(b"tail");
        let payloads = payloads.unwrap();
        let total = payloads.bytes();
        assert_eq!(total, (0..40).map(|i| 3 + i % 5).sum::<usize>());
        for step in [1, 2, 3, 7, 64, 10_000] {
            let p = Payloads {
                first: payloads.first.clone(),
                more: payloads.more.clone(),
                bytes: total,
            };
            assert_eq!(drain(output.clone(), p, step), expected, "step {step}");
        }
    }
}
