//! A global allocator that counts, for the tests that say where a connection's memory goes:
//! live heap bytes, live allocations, and live allocations by size. A test binary turns it
//! on with `#[global_allocator] static HEAP: Counting = Counting;` (the system allocator
//! does the work; the counters cost a few atomic additions per call).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Allocations of at least this many bytes are counted together.
const LARGE: usize = 4096;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicIsize = AtomicIsize::new(0);
static BY_SIZE: [AtomicIsize; LARGE + 1] = [const { AtomicIsize::new(0) }; LARGE + 1];

/// The counting allocator (see the module doc).
pub(crate) struct Counting;

fn note(size: usize, sign: isize) {
    BYTES.fetch_add(sign * size as isize, Ordering::Relaxed);
    COUNT.fetch_add(sign, Ordering::Relaxed);
    BY_SIZE[size.min(LARGE)].fetch_add(sign, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator with the same arguments; the
// counters are only arithmetic on the side. (A global allocator cannot be written without
// `unsafe`; this one exists only in test binaries.)
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note(layout.size(), 1);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(layout.size(), 1);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        note(layout.size(), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(layout.size(), -1);
            note(new_size, 1);
        }
        new
    }
}

/// The counters at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// Live heap bytes (as asked for, without the allocator's own overhead).
    pub(crate) bytes: isize,
    /// Live allocations.
    pub(crate) count: isize,
    /// Live allocations by size in bytes (the last entry: 4 KiB and more).
    pub(crate) by_size: Vec<isize>,
}

/// The counters now.
pub(crate) fn snapshot() -> Snapshot {
    Snapshot {
        bytes: BYTES.load(Ordering::Relaxed),
        count: COUNT.load(Ordering::Relaxed),
        by_size: BY_SIZE.iter().map(|c| c.load(Ordering::Relaxed)).collect(),
    }
}

impl Snapshot {
    /// What was allocated (and not freed) between `before` and this snapshot.
    pub(crate) fn since(&self, before: &Self) -> Self {
        Self {
            bytes: self.bytes - before.bytes,
            count: self.count - before.count,
            by_size: self
                .by_size
                .iter()
                .zip(&before.by_size)
                .map(|(a, b)| a - b)
                .collect(),
        }
    }

    /// The sizes of which at least `min` more allocations are live, with their counts
    /// (`4096` stands for 4 KiB and more).
    pub(crate) fn common_sizes(&self, min: isize) -> Vec<(usize, isize)> {
        self.by_size
            .iter()
            .enumerate()
            .filter(|(_, n)| **n >= min)
            .map(|(size, n)| (size, *n))
            .collect()
    }
}
