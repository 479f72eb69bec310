//! Deterministic test payloads: the same seed and length give the same bytes, so a test
//! can make the expected message again instead of keeping a copy.

/// `len` bytes that differ with `seed`.
pub(crate) fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Text of exactly `len` UTF-8 bytes, with 1- to 4-byte characters, that differs with
/// `seed`.
pub(crate) fn text_pattern(seed: u64, len: usize) -> String {
    let alphabet = ['a', 'é', '€', '𝄞', 'z', ' ', 'ß', '7'];
    let mut s = String::with_capacity(len);
    let mut i = seed as usize;
    loop {
        let c = alphabet[i % alphabet.len()];
        if s.len() + c.len_utf8() > len {
            break;
        }
        s.push(c);
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    while s.len() < len {
        s.push('.');
    }
    s
}

/// Read a streamed message to its end: its length, or where it first differs from bytes
/// that are all `expected` (as from `tokio::io::repeat(expected)`). A corrupted message is
/// still read to its end, so that the peer's sending is not left blocked.
pub(crate) async fn drain<S>(
    reader: &mut rfc6455::MessageReader<'_, S>,
    expected: u8,
) -> Result<u64, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut total = 0u64;
    let mut corrupted = None;
    while let Some(chunk) = reader.next_chunk().await {
        let chunk = chunk.map_err(|e| format!("chunk after {total} bytes: {e}"))?;
        if corrupted.is_none()
            && let Some(at) = chunk.iter().position(|&b| b != expected)
        {
            corrupted = Some(total + at as u64);
        }
        total += chunk.len() as u64;
    }
    match corrupted {
        None => Ok(total),
        Some(at) => Err(format!("payload corrupted at byte {at} of {total}")),
    }
}
