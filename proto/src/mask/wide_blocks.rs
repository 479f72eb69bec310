//! Masking's 64-byte blocks with the widest vectors the CPU has: the one place in this
//! crate that uses `unsafe`.
//!
//! The portable build of [`xor_blocks`](super::xor_blocks) uses the vectors every x86-64
//! CPU has (SSE2, 16 bytes). On a CPU with AVX2 the same loop, compiled for AVX2 (32
//! bytes), masks a large payload with about half the instructions: measured with
//! callgrind, 16 KiB echo and 1 MiB echo (see the commit that added this file). Calling
//! a function compiled for a CPU feature is `unsafe` because running it on a CPU without
//! the feature is undefined behaviour; the feature is checked at run time first (a cached
//! lookup). Tested against the byte-by-byte reference by `mask`'s tests and the `mask`
//! fuzz target, on whichever path the machine takes.

#![allow(unsafe_code)]

/// [`xor_blocks`](super::xor_blocks), with AVX2 when the CPU has it.
#[inline]
pub(super) fn mask_blocks<'a, const ASCII: bool>(
    buf: &'a mut [u8],
    wide: &[u8; 64],
) -> (&'a mut [u8], [u8; 64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `xor_blocks_avx2` needs AVX2, which the CPU was just found to have; it
        // is otherwise safe code (the portable loop, compiled for AVX2).
        return unsafe { xor_blocks_avx2::<ASCII>(buf, wide) };
    }
    super::xor_blocks::<ASCII>(buf, wide)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn xor_blocks_avx2<'a, const ASCII: bool>(
    buf: &'a mut [u8],
    wide: &[u8; 64],
) -> (&'a mut [u8], [u8; 64]) {
    super::xor_blocks::<ASCII>(buf, wide)
}
