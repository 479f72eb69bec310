//! The driver's side of streamed sends and receives: the limits of a streamed receive,
//! and discarding the rest of a message whose reader was dropped
//! ([`MessageReader`](crate::MessageReader), [`MessageWriter`](crate::MessageWriter)).

use super::Driver;

impl<S> Driver<S> {
    /// Start a streamed receive: lift the frame limit (frames come in pieces) and apply the
    /// streaming message limit to the next message.
    pub(crate) fn begin_streamed_receive(&mut self) {
        self.streaming = true;
        self.core.set_max_frame_size(u64::MAX);
        self.core
            .set_max_message_size(self.config.stream_message_limit.unwrap_or(u64::MAX));
    }

    /// Discard the rest of the current message; usable from `Drop` impls.
    pub(crate) fn mark_discarding(&mut self) {
        self.discarding = true;
    }

    /// The fragment size of streamed sends.
    pub(crate) fn stream_fragment_size(&self) -> usize {
        self.config.stream_fragment_size
    }

    /// Account for a data frame (or part of one) from the core, `fin` if it ends its
    /// message: whether to deliver it (not if it belongs to a message being discarded).
    pub(super) fn streamed_data(&mut self, fin: bool) -> bool {
        if fin && self.streaming {
            // Back to the limits of buffered messages for the next one.
            self.streaming = false;
            self.core
                .set_max_message_size(self.config.limits.message_size_limit());
            self.core
                .set_max_frame_size(self.config.limits.frame_size_limit());
        }
        if self.discarding {
            // The rest of a message whose streamed reader was dropped.
            self.discarding = !fin;
            return false;
        }
        true
    }
}
