//! Spare receive and output buffers, one set per thread.
//!
//! A connection reads into a buffer only while it has bytes to hold: when it would wait,
//! the buffer goes back to its thread, for whichever connection reads next. So an idle
//! connection holds no read buffer, and a busy thread reuses one buffer instead of
//! allocating one per read.
//!
//! Large frames (from [`LARGE_MIN`]) get a buffer of their own size, whose payload the
//! program then holds. That buffer is parked with the thread when the connection is done
//! with it, and taken again for the next large frame once the program has dropped the
//! payloads in it: streams of large messages reuse buffers instead of mapping fresh
//! memory (and faulting in every page) for each message. Several connections receiving
//! large messages at once each need one, so the thread parks up to [`LARGE_KEPT`] of
//! them, [`SPARE_MAX`] bytes together at most (a buffer whose payloads the program still
//! holds counts for the room it has left).
//!
//! Output works the same way: a connection that waits with nothing queued hands its
//! output buffer to the thread, and one about to queue a message takes the thread's spare
//! instead of allocating ([`take_output`], [`give_output`]).

use std::cell::Cell;

use bytes::BytesMut;

/// The most a read takes when nothing is buffered (the size of a fresh spare buffer).
pub(crate) const SPARE_READ: usize = 64 * 1024;

/// A buffer with less room than this left (payloads split off its front took the rest)
/// is reclaimed before it is read into.
const ROOM_MIN: usize = SPARE_READ / 2;

/// The largest receive buffer a thread keeps as its spare; larger ones are freed.
pub(crate) const SPARE_MAX: usize = 65 * 1024 * 1024;

/// Frames whose payload needs at least this much more room are read into one of the
/// thread's large buffers when one is free.
pub(crate) const LARGE_MIN: usize = 256 * 1024;

/// The most large buffers a thread parks.
const LARGE_KEPT: usize = 16;

thread_local! {
    static SMALL: Cell<Option<BytesMut>> = const { Cell::new(None) };
    static LARGE: Cell<Vec<BytesMut>> = const { Cell::new(Vec::new()) };
    static OUTPUT: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// The largest output buffer a thread keeps as its spare (the core gives back larger
/// ones itself once they are written).
pub(crate) const OUTPUT_MAX: usize = 64 * 1024;

/// An empty buffer with room for a read: `own` (the connection's last buffer) if no
/// payload split off it is still alive, else the thread's spare, else a new one.
/// `own_is_large`: `own` was sized for a large frame; if its payloads are still in
/// use, it is parked as the thread's large buffer.
pub(crate) fn take(mut own: BytesMut, own_is_large: bool) -> BytesMut {
    debug_assert!(own.is_empty());
    // A connection whose buffer went back to the thread holds none (capacity 0): no
    // reclaim to try. A buffer with room enough is read into as it is: reclaiming the
    // room that payloads split off it took is tried only once it runs low.
    let room = own.capacity() >= ROOM_MIN && !own_is_large;
    if room || (own.capacity() > 0 && own.try_reclaim(SPARE_READ)) {
        return own;
    }
    if own_is_large {
        park_large(own);
    }
    if let Some(mut buf) = SMALL.take()
        && (buf.capacity() >= ROOM_MIN || buf.try_reclaim(SPARE_READ))
    {
        return buf;
    }
    BytesMut::with_capacity(SPARE_READ)
}

/// Give an empty buffer back to the thread: a large one is parked with the large ones;
/// another becomes the spare unless the spare is larger.
pub(crate) fn give(buf: BytesMut) {
    if !buf.is_empty() || buf.capacity() > SPARE_MAX {
        return;
    }
    if buf.capacity() >= LARGE_MIN {
        park_large(buf);
    } else {
        SMALL.with(|slot| keep_larger(slot, buf));
    }
}

/// Park a buffer a large frame was read into, if the thread has room for it (else it is
/// freed).
fn park_large(buf: BytesMut) {
    let mut parked = LARGE.take();
    let held: usize = parked.iter().map(BytesMut::capacity).sum();
    if parked.len() < LARGE_KEPT && held + buf.capacity() <= SPARE_MAX {
        parked.push(buf);
    }
    LARGE.set(parked);
}

/// The thread's spare output buffer (empty; capacity 0 when there is none), for a
/// connection about to queue output that holds no buffer of its own.
pub(crate) fn take_output() -> BytesMut {
    OUTPUT.take().unwrap_or_default()
}

/// Give an empty output buffer back to the thread as its spare (unless it is too large,
/// or the spare it would replace is larger).
pub(crate) fn give_output(buf: BytesMut) {
    if !buf.is_empty() || buf.capacity() == 0 || buf.capacity() > OUTPUT_MAX {
        return;
    }
    OUTPUT.with(|slot| keep_larger(slot, buf));
}

/// Put `buf` in `slot` unless the spare already there is larger. (The slot is passed
/// resolved, not as its `LocalKey`: through a `&'static LocalKey` parameter the
/// thread-local's accessor is an indirect call at every use.)
#[inline]
fn keep_larger(slot: &Cell<Option<BytesMut>>, buf: BytesMut) {
    match slot.take() {
        Some(spare) if spare.capacity() > buf.capacity() => slot.set(Some(spare)),
        _ => slot.set(Some(buf)),
    }
}

/// One of the thread's large buffers, empty, that nothing uses any more and that has
/// room for `needed` bytes.
pub(crate) fn take_large(needed: usize) -> Option<BytesMut> {
    let mut parked = LARGE.take();
    let free = parked.iter_mut().position(|buf| buf.try_reclaim(needed));
    let buf = free.map(|at| parked.swap_remove(at));
    LARGE.set(parked);
    buf
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
        let large = BytesMut::with_capacity(2 * SPARE_READ);
        let at = large.as_ptr();
        give(large);
        give(BytesMut::with_capacity(SPARE_READ));
        assert_eq!(take(BytesMut::new(), false).as_ptr(), at);
    }

    #[test]
    fn an_output_buffer_given_back_is_taken_again_and_a_large_one_is_not_kept() {
        assert_eq!(take_output().capacity(), 0, "no spare yet");
        let buf = BytesMut::with_capacity(1024);
        let at = buf.as_ptr();
        give_output(buf);
        let again = take_output();
        assert_eq!(again.as_ptr(), at);
        assert_eq!(take_output().capacity(), 0, "taken");
        give_output(BytesMut::with_capacity(OUTPUT_MAX + 1));
        assert_eq!(take_output().capacity(), 0, "too large to keep");
        let mut full = again;
        full.extend_from_slice(b"queued");
        give_output(full);
        assert_eq!(take_output().capacity(), 0, "not empty: not kept");
    }

    #[test]
    fn a_buffer_with_room_is_read_into_without_reclaiming() {
        let mut buf = BytesMut::with_capacity(SPARE_READ);
        buf.resize(100, 1);
        let payload = buf.split().freeze();
        // 100 bytes in use in front: the rest is room enough, and the same memory.
        let at = buf.as_ptr();
        let taken = take(buf, false);
        assert_eq!(taken.as_ptr(), at);
        drop(payload);
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

    #[test]
    fn large_buffers_given_back_by_several_connections_are_all_kept() {
        let size = 2 * LARGE_MIN;
        let buffers: Vec<BytesMut> = (0..4).map(|_| BytesMut::with_capacity(size)).collect();
        let mut at: Vec<_> = buffers.iter().map(|b| b.as_ptr()).collect();
        // Four connections waiting for their next large message hand their buffers back.
        for buf in buffers {
            give(buf);
        }
        let mut again: Vec<_> = (0..4)
            .map(|_| take_large(size).expect("parked").as_ptr())
            .collect();
        assert!(take_large(size).is_none(), "only four were given");
        at.sort();
        again.sort();
        assert_eq!(at, again);
    }

    #[test]
    fn parked_large_buffers_stay_within_the_bound() {
        for _ in 0..3 {
            give(BytesMut::with_capacity(SPARE_MAX / 2));
        }
        let held: usize = LARGE.take().iter().map(BytesMut::capacity).sum();
        assert!(held <= SPARE_MAX, "{held}");
        assert!(held >= SPARE_MAX / 2);
    }
}
