//! Masking (RFC 6455 §5.3): XOR of the payload with a repeating 4-byte key.
//!
//! [`apply_mask`] is the fast version, [`apply_mask_reference`] the obviously correct one
//! that it is tested against.

mod wide_blocks;

/// XOR `buf` in place with `key`, starting at position `offset` of the key stream (the
/// number of payload bytes of the same frame already masked before `buf`).
///
/// Masking and unmasking are the same operation. Processes 64-byte blocks (with AVX2 when
/// the CPU has it), then eight bytes at a time.
///
/// ```
/// use rfc6455_proto::mask::apply_mask;
/// let mut data = *b"Hello";
/// apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// apply_mask(&mut data, [0x37, 0xfa, 0x21, 0x3d], 0);
/// assert_eq!(&data, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    mask::<false>(buf, key, offset);
}

/// [`apply_mask`], and whether the bytes it leaves in `buf` are all ASCII.
///
/// A server unmasks every byte a client sends; a text payload must then be checked as
/// UTF-8 (§8.1). Most text is ASCII, which is valid UTF-8: noting the high bit of each
/// byte as it is unmasked (one more vector OR per vector) answers that in the same pass
/// over the memory, so the separate UTF-8 pass is left for text that is not all ASCII.
///
/// ```
/// use rfc6455_proto::mask::unmask_ascii;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut data = [0x7f, 0x9f, 0x4d, 0x51, 0x58]; // "Hello", masked (RFC 6455 §5.7)
/// assert!(unmask_ascii(&mut data, key, 0));
/// assert_eq!(&data, b"Hello");
/// let mut euro = "€".as_bytes().to_vec();
/// assert!(!unmask_ascii(&mut euro, [0; 4], 0));
/// ```
#[inline]
pub fn unmask_ascii(buf: &mut [u8], key: [u8; 4], offset: usize) -> bool {
    mask::<true>(buf, key, offset) & 0x8080_8080_8080_8080 == 0
}

/// XOR `buf` with the key stream from `offset`; with `ASCII`, also the OR of every byte
/// it leaves (spread over a word: only the high bits mean anything), else 0.
#[inline(always)]
fn mask<const ASCII: bool>(buf: &mut [u8], key: [u8; 4], offset: usize) -> u64 {
    let key = rotate_key(key, offset);
    let key64 = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut seen = 0u64;
    let buf = if buf.len() >= 64 {
        // 64-byte blocks XORed with a 64-byte key pattern: fixed-size array work that
        // the compiler turns into full-width vector loads, XORs and stores (about a
        // fifth fewer instructions than eight bytes at a time). Not worth building the
        // pattern for short payloads; built eight bytes at a time (byte by byte, it cost
        // about as much as masking a kilobyte).
        let mut wide = [0u8; 64];
        for lane in wide.chunks_exact_mut(8) {
            lane.copy_from_slice(&key64.to_ne_bytes());
        }
        let (rest, lanes) = wide_blocks::mask_blocks::<ASCII>(buf, &wide);
        if ASCII {
            for lane in lanes.chunks_exact(8) {
                seen |= u64::from_ne_bytes(lane.try_into().unwrap_or_default());
            }
        }
        rest
    } else {
        buf
    };
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let masked = u64::from_ne_bytes(word) ^ key64;
        seen |= masked;
        chunk.copy_from_slice(&masked.to_ne_bytes());
    }
    // At most 7 bytes are left, starting at the key's first byte again (8 is a multiple
    // of 4): four at once, then one at a time.
    let rest = chunks.into_remainder();
    let rest = match rest.split_first_chunk_mut::<4>() {
        Some((four, tail)) => {
            let masked = u32::from_ne_bytes(*four) ^ u32::from_ne_bytes(key);
            seen |= u64::from(masked);
            *four = masked.to_ne_bytes();
            tail
        }
        None => rest,
    };
    for (byte, k) in rest.iter_mut().zip(key) {
        *byte ^= k;
        seen |= u64::from(*byte);
    }
    if ASCII { seen } else { 0 }
}

/// XOR the whole 64-byte blocks of `buf` with `wide` (the key repeated); the bytes after
/// the last whole block, and (with `ASCII`) the OR of the bytes left in each of the 64
/// lanes. Portable: fixed-size array work that the compiler turns into vector
/// instructions of the width the build targets (SSE2 on x86-64); [`wide_blocks`]
/// compiles the same loop for AVX2 when the CPU has it.
#[inline(always)]
fn xor_blocks<'a, const ASCII: bool>(
    buf: &'a mut [u8],
    wide: &[u8; 64],
) -> (&'a mut [u8], [u8; 64]) {
    let mut lanes = [0u8; 64];
    // Long payloads go 256 bytes a step first: the loop's own instructions are spread
    // over four times as much data (about an eighth fewer instructions per megabyte).
    let (steps, buf) = buf.as_chunks_mut::<256>();
    for step in steps {
        let (quarters, _) = step.as_chunks_mut::<64>();
        for quarter in quarters {
            xor_block::<ASCII>(quarter, wide, &mut lanes);
        }
    }
    let (blocks, rest) = buf.as_chunks_mut::<64>();
    for block in blocks {
        xor_block::<ASCII>(block, wide, &mut lanes);
    }
    (rest, lanes)
}

#[inline(always)]
fn xor_block<const ASCII: bool>(block: &mut [u8; 64], wide: &[u8; 64], lanes: &mut [u8; 64]) {
    for ((b, k), seen) in block.iter_mut().zip(wide).zip(lanes.iter_mut()) {
        *b ^= *k;
        if ASCII {
            *seen |= *b;
        }
    }
}

/// The key as seen from position `offset` of the key stream.
#[inline]
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut k = key;
    k.rotate_left(offset & 3);
    k
}

/// Byte-at-a-time masking, exactly as RFC 6455 §5.3 writes it: the oracle for [`apply_mask`].
///
/// ```
/// use rfc6455_proto::mask::{apply_mask, apply_mask_reference};
/// let (mut a, mut b) = ([1u8; 13], [1u8; 13]);
/// apply_mask(&mut a, [1, 2, 3, 4], 3);
/// apply_mask_reference(&mut b, [1, 2, 3, 4], 3);
/// assert_eq!(a, b);
/// ```
pub fn apply_mask_reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        // "octet i of the transformed data is the XOR of octet i of the original data
        // with octet at index i modulo 4 of the masking key"
        *byte ^= key[(offset + i) % 4];
    }
}

#[cfg(test)]
mod tests {
    //! RFC 6455 §5.3: client-to-server masking.
    use super::*;

    #[test]
    fn fast_matches_reference_for_all_lengths_offsets_and_alignments() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for start in 0..9 {
            for len in 0..(data.len() - start) {
                for offset in 0..4 {
                    let mut a = data[start..start + len].to_vec();
                    let mut b = a.clone();
                    apply_mask(&mut a, key, offset);
                    apply_mask_reference(&mut b, key, offset);
                    assert_eq!(a, b, "start {start} len {len} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn unmask_ascii_masks_as_the_reference_and_finds_every_high_bit() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let ascii: Vec<u8> = (0..600u32).map(|i| (i * 7 + 3) as u8 & 0x7f).collect();
        for start in 0..9 {
            for len in 0..300 {
                let offset = len % 4;
                // All ASCII, then one byte with its high bit set at each position.
                for high in std::iter::once(None).chain((0..len).map(Some)) {
                    let mut plain = ascii[start..start + len].to_vec();
                    if let Some(at) = high {
                        plain[at] |= 0x80;
                    }
                    let mut masked = plain.clone();
                    apply_mask_reference(&mut masked, key, offset);
                    let all_ascii = unmask_ascii(&mut masked, key, offset);
                    assert_eq!(masked, plain, "start {start} len {len}");
                    assert_eq!(
                        all_ascii,
                        high.is_none(),
                        "start {start} len {len} {high:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let key = [1, 2, 3, 4];
        let mut whole = vec![0x55u8; 100];
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, b) = pieces.split_at_mut(37);
        apply_mask(a, key, 0);
        apply_mask(b, key, 37);
        assert_eq!(whole, pieces);
    }
}
