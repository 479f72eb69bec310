//! Spare receive buffers, one set per thread.
//!
//! A connection reads into a buffer only while it has bytes to hold: when it would wait,
//! the buffer goes back to its thread, for whichever connection reads next. So an idle
//! connection holds no read buffer, and a busy thread reuses one buffer instead of
//! allocating one per read.
//!
//! Large frames (from [`LARGE_MIN`]) get a buffer of their own size, whose payload the
//! program then holds. That buffer is parked with the thread when the connection is done
//! with it, and taken again for the next large frame once the program has dropped the
//! payloads in it: a stream of large messages reuses one buffer instead of mapping fresh
//! memory (and faulting in every page) for each. The cost is at most one buffer per
//! thread as large as the largest frame recently received (and never above [`SPARE_MAX`]).

use std::cell::Cell;

use bytes::BytesMut;

/// The most a read takes when nothing is buffered (the size of a fresh spare buffer).
pub(crate) const SPARE_READ: usize = 64 * 1024;

/// The largest receive buffer a thread keeps as its spare; larger ones are freed.
pub(crate) const SPARE_MAX: usize = 65 * 1024 * 1024;

/// Frames whose payload needs at least this much more room are read into the thread's
/// large buffer when it is free.
pub(crate) const LARGE_MIN: usize = 256 * 1024;

thread_local! {
    static SMALL: Cell<Option<BytesMut>> = const { Cell::new(None) };
    static LARGE: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// An empty buffer with room for a read: `own` (the connection's last buffer) if no
/// payload split off it is still alive, else the thread's spare, else a new one.
/// `own_is_large`: `own` was sized for a large frame; if its payloads are still in
/// use, it is parked as the thread's large buffer.
pub(crate) fn take(mut own: BytesMut, own_is_large: bool) -> BytesMut {
    debug_assert!(own.is_empty());
    // A connection whose buffer went back to the thread holds none (capacity 0): no
    // reclaim to try.
    if own.capacity() > 0 && own.try_reclaim(SPARE_READ) {
        return own;
    }
    if own_is_large {
        LARGE.set(Some(own));
    }
    if let Some(mut buf) = SMALL.take()
        && buf.try_reclaim(SPARE_READ)
    {
        return buf;
    }
    BytesMut::with_capacity(SPARE_READ)
}

/// Give an empty buffer back to the thread: it becomes the spare unless the spare
/// is larger (a buffer a large frame was read into, kept for the next one).
pub(crate) fn give(buf: BytesMut) {
    if !buf.is_empty() || buf.capacity() > SPARE_MAX {
        return;
    }
    let keep = match SMALL.take() {
        Some(spare) if spare.capacity() > buf.capacity() => spare,
        _ => buf,
    };
    SMALL.set(Some(keep));
}

/// The thread's large buffer, empty, if nothing uses it any more and it has room for
/// `needed` bytes.
pub(crate) fn take_large(needed: usize) -> Option<BytesMut> {
    let mut buf = LARGE.take()?;
    if buf.try_reclaim(needed) {
        Some(buf)
    } else {
        LARGE.set(Some(buf));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_is_taken_again() {
        let buf = take(BytesMut::new(), false);
        assert!(buf.capacity() >= SPARE_READ);
        let at = buf.as_ptr();
        give(buf);
        assert_eq!(take(BytesMut::new(), false).as_ptr(), at);
    }

    #[test]
    fn a_smaller_buffer_does_not_push_out_a_larger_spare() {
        let large = BytesMut::with_capacity(4 * SPARE_READ);
        let at = large.as_ptr();
        give(large);
        give(BytesMut::with_capacity(SPARE_READ));
        assert_eq!(take(BytesMut::new(), false).as_ptr(), at);
    }

    #[test]
    fn a_large_buffer_is_reused_once_its_payload_is_dropped() {
        let size = 2 * LARGE_MIN;
        let mut read = BytesMut::with_capacity(size);
        read.resize(size, 7);
        let at = read.as_ptr();
        let payload = read.split().freeze();
        // The connection is done with its buffer while the program holds the payload.
        let small = take(read, true);
        assert_ne!(small.as_ptr(), at);
        assert!(take_large(size).is_none(), "still in use");
        drop(payload);
        let large = take_large(size).expect("free again");
        assert_eq!(large.as_ptr(), at);
        assert!(large.is_empty() && large.capacity() >= size);
    }
}
