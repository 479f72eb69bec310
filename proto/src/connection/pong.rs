//! Answering pings, with a bounded number of pongs owed (RFC 6455 §5.5.3).
//!
//! §5.5.3: "If an endpoint receives a Ping frame and has not yet sent Pong frame(s) in
//! response to previous Ping frame(s), the endpoint MAY elect to send a Pong frame for only
//! the most recently processed Ping frame." Pongs still waiting, unwritten, at the end of
//! the output form a run of at most [`MAX_OWED_PONGS`]; a ping beyond that replaces the last
//! pong of the run with its own answer. A few pings sent together are each answered (as
//! peers and the Autobahn testsuite expect), and a peer that floods pings and never reads
//! makes the output hold a bounded number of pongs, not one per ping.

use bytes::Bytes;

use super::Connection;
use crate::frame::OpCode;

/// The most pongs kept unwritten at the end of the output; beyond it the last is replaced
/// by the answer to the newest ping.
pub(crate) const MAX_OWED_PONGS: usize = 16;

/// The run of unwritten pongs at the end of the output: where its last pong starts, where
/// it ends, and how many pongs it holds.
#[derive(Debug, Clone, Copy)]
pub(super) struct OwedPongs {
    last: usize,
    end: usize,
    count: usize,
}

impl Connection {
    /// Queue the pong that answers a ping carrying `payload`: after the run of unwritten
    /// pongs at the end of the output, or in place of its last one when the run is full.
    pub(super) fn queue_pong(&mut self, payload: &Bytes) {
        let run = self
            .owed_pong
            .as_deref()
            .copied()
            .filter(|run| run.end == self.out.len());
        let count = match run {
            Some(run) if run.count >= MAX_OWED_PONGS => {
                // Nothing was queued after it (the output only grows at its end), and
                // `consume_output` forgets the run once its last pong has begun to leave.
                self.out.truncate(run.last);
                run.count
            }
            Some(run) => run.count + 1,
            None => 1,
        };
        let last = self.out.len();
        self.write_frame(OpCode::Pong, true, payload);
        let run = OwedPongs {
            last,
            end: self.out.len(),
            count,
        };
        match &mut self.owed_pong {
            Some(owed) => **owed = run,
            None => self.owed_pong = Some(Box::new(run)),
        }
    }

    /// `n` bytes of output were written: keep the run's place (only its last pong stays
    /// replaceable once the run has begun to leave), or forget it once its last pong has.
    pub(super) fn pong_written(&mut self, n: usize) {
        let Some(run) = self.owed_pong.as_deref_mut() else {
            return;
        };
        if run.last < n {
            // Its last pong has begun to leave: nothing owed is replaceable any more.
            self.owed_pong = None;
            return;
        }
        // The run may have begun to leave, but its last pong has not: that pong stays
        // replaceable, and the run keeps its count, so that the pongs owed, written or
        // not, stay within the bound.
        run.last -= n;
        run.end -= n;
    }
}
