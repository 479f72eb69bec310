//! The per-thread spares of [`DeflateMode::Shared`](super::DeflateMode::Shared): compressors
//! and inflaters that no message is using, kept for the next message processed on the same
//! thread so that a connection holds one only while a message goes through it.
//!
//! Bounded: at most [`SPARES`] compressors and [`SPARES`] inflaters per thread; one given back
//! past that is dropped. Every spare is reset (no window, no pending output) before it is
//! kept, so no byte of one connection's messages reaches another's.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress};

/// The most idle compressors (and, apart, inflaters) one thread keeps.
pub(crate) const SPARES: usize = 2;

/// What makes two compressors interchangeable: window bits and level.
type CompressKey = (u8, u8);

thread_local! {
    static COMPRESSORS: RefCell<Vec<(CompressKey, Compress)>> = const { RefCell::new(Vec::new()) };
    static INFLATERS: RefCell<Vec<Decompress>> = const { RefCell::new(Vec::new()) };
}

/// A raw-DEFLATE compressor with `bits` window bits (9–15) and `level` (0–9): a spare of
/// this thread's when there is one, else a new one.
pub(crate) fn take_compressor(bits: u8, level: u8) -> Compress {
    let key = (bits, level);
    let spare = COMPRESSORS
        .try_with(|spares| {
            let mut spares = spares.borrow_mut();
            let at = spares.iter().position(|(k, _)| *k == key)?;
            Some(spares.swap_remove(at).1)
        })
        .ok()
        .flatten();
    spare.unwrap_or_else(|| new_compressor(bits, level))
}

/// Give back a compressor that [`take_compressor`] handed out, after its message.
pub(crate) fn give_compressor(bits: u8, level: u8, mut compress: Compress) {
    compress.reset();
    // During thread teardown the spares are gone: the compressor is simply dropped.
    let _ = COMPRESSORS.try_with(|spares| {
        let mut spares = spares.borrow_mut();
        if spares.len() < SPARES {
            spares.push(((bits, level), compress));
        }
    });
}

/// A raw-DEFLATE inflater with a 15-bit window (which inflates a stream made with any
/// smaller window too): a spare of this thread's when there is one, else a new one.
pub(crate) fn take_inflater() -> Decompress {
    let spare = INFLATERS
        .try_with(|spares| spares.borrow_mut().pop())
        .ok()
        .flatten();
    spare.unwrap_or_else(|| new_inflater(15))
}

/// Give back an inflater that [`take_inflater`] handed out, after its message.
pub(crate) fn give_inflater(mut inflate: Decompress) {
    inflate.reset(false);
    let _ = INFLATERS.try_with(|spares| {
        let mut spares = spares.borrow_mut();
        if spares.len() < SPARES {
            spares.push(inflate);
        }
    });
}

/// A new raw-DEFLATE compressor (no zlib header).
pub(crate) fn new_compressor(bits: u8, level: u8) -> Compress {
    Compress::new_with_window_bits(Compression::new(u32::from(level.min(9))), false, bits)
}

/// A new raw-DEFLATE inflater (no zlib header).
pub(crate) fn new_inflater(bits: u8) -> Decompress {
    Decompress::new_with_window_bits(false, bits)
}

/// How many spares this thread holds: (compressors, inflaters).
#[cfg(test)]
pub(crate) fn spares() -> (usize, usize) {
    (
        COMPRESSORS.with(|s| s.borrow().len()),
        INFLATERS.with(|s| s.borrow().len()),
    )
}
