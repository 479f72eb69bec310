//! The driver's side of streamed sends and receives: the limits of a streamed receive,
//! and discarding the rest of a message whose reader was dropped
//! ([`MessageReader`](crate::MessageReader), [`MessageWriter`](crate::MessageWriter)).

use super::Driver;

impl<S> Driver<S> {
    /// Start a streamed receive: the next message comes in pieces, bounded by the streaming
    /// message limit instead of the frame and message limits (the core reverts at its end).
    pub(crate) fn begin_streamed_receive(&mut self) {
        self.core.stream_incoming_message();
    }

    /// Discard the rest of the current message; usable from `Drop` impls.
    pub(crate) fn mark_discarding(&mut self) {
        self.discarding = true;
    }

    /// The fragment size of streamed sends.
    pub(crate) fn stream_fragment_size(&self) -> usize {
        self.config.stream_fragment_size.max(1)
    }

    /// Account for a data frame (or part of one) from the core, `fin` if it ends its
    /// message: whether to deliver it (not if it belongs to a message being discarded).
    pub(super) fn streamed_data(&mut self, fin: bool) -> bool {
        if self.discarding {
            // The rest of a message whose streamed reader was dropped.
            self.discarding = !fin;
            return false;
        }
        true
    }
}
