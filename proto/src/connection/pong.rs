//! Answering pings: one pong owed at a time (RFC 6455 §5.5.3).
//!
//! §5.5.3: "If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in
//! response to previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only
//! the most recently processed Ping frame." A pong still waiting, unwritten, at the end of
//! the output is replaced by the answer to the newer ping, so a peer that floods pings and
//! never reads makes the output hold one pong, not one per ping.

use bytes::Bytes;

use super::Connection;
use crate::frame::OpCode;

impl Connection {
    /// Queue the pong that answers a ping carrying `payload`, in place of an earlier pong
    /// that is still entirely unwritten at the end of the output.
    pub(super) fn queue_pong(&mut self, payload: &Bytes) {
        if let Some((start, end)) = self.owed_pong
            && end == self.out.len()
        {
            // Nothing was queued after it (the output only grows at its end), and
            // `consume_output` forgets it once any of it is written.
            self.out.truncate(start);
        }
        let start = self.out.len();
        self.write_frame(OpCode::Pong, true, payload);
        self.owed_pong = Some((start, self.out.len()));
    }

    /// `n` bytes of output were written: keep the owed pong's place, or forget it once
    /// any of it has left.
    pub(super) fn pong_written(&mut self, n: usize) {
        self.owed_pong = match self.owed_pong {
            Some((start, end)) if start >= n => Some((start - n, end - n)),
            _ => None,
        };
    }
}
