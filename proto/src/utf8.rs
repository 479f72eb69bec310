//! UTF-8: validated text bytes and an incremental validator that fails fast.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// Bytes known to be valid UTF-8: the payload of a text message, shared without copying.
///
/// Dereferences to `str`.
///
/// ```
/// use rfc6455_proto::Utf8Bytes;
/// let text = Utf8Bytes::from("héllo");
/// assert_eq!(&*text, "héllo");
/// assert!(Utf8Bytes::try_from(bytes::Bytes::from_static(b"\xff")).is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// A static string, without allocating.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::Utf8Bytes::from_static("hi").as_str(), "hi");
    /// ```
    pub const fn from_static(s: &'static str) -> Self {
        Self(Bytes::from_static(s.as_bytes()))
    }

    /// The text as a `str`.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::Utf8Bytes::from("a").as_str(), "a");
    /// ```
    pub fn as_str(&self) -> &str {
        // The only constructors check UTF-8 (or take a `str`), so this cannot fail; the
        // checked conversion keeps this crate free of `unsafe`.
        simdutf8::basic::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes.
    ///
    /// ```
    /// assert_eq!(rfc6455_proto::Utf8Bytes::from("a").as_bytes(), b"a");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying `Bytes`, sharing the same memory.
    ///
    /// ```
    /// let b: bytes::Bytes = rfc6455_proto::Utf8Bytes::from("a").into_bytes();
    /// assert_eq!(&b[..], b"a");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Wrap bytes that the caller has already validated.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Self(bytes)
    }
}

impl Deref for Utf8Bytes {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Self(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Self(Bytes::from(s))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(s: Utf8Bytes) -> Self {
        s.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The error of a failed conversion of bytes to [`Utf8Bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUtf8;

impl fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid UTF-8")
    }
}

impl std::error::Error for InvalidUtf8 {}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = InvalidUtf8;
    fn try_from(bytes: Bytes) -> Result<Self, InvalidUtf8> {
        simdutf8::basic::from_utf8(&bytes).map_err(|_| InvalidUtf8)?;
        Ok(Self(bytes))
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = InvalidUtf8;
    fn try_from(bytes: Vec<u8>) -> Result<Self, InvalidUtf8> {
        Self::try_from(Bytes::from(bytes))
    }
}

/// Incremental UTF-8 validation of a byte stream that arrives in pieces.
///
/// Fails as soon as the bytes seen so far cannot be the beginning of valid UTF-8 (RFC 6455
/// §8.1 asks endpoints to fail the connection on invalid text; failing at the first bad byte
/// rather than at the end of the frame or message is what Autobahn's 6.4.* cases check).
/// A multi-byte character split across pieces is carried over.
///
/// ```
/// use rfc6455_proto::Utf8Validator;
/// let mut v = Utf8Validator::new();
/// let euro = "€".as_bytes(); // e2 82 ac
/// assert!(v.feed(&euro[..1]).is_ok());
/// assert!(v.feed(&euro[1..]).is_ok());
/// assert!(v.finish().is_ok());
/// assert!(Utf8Validator::new().feed(b"\xe2\x28").is_err()); // cannot start valid UTF-8
/// ```
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    /// The bytes of an incomplete character at the end of the last piece.
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an incomplete character is pending (the text so far is not yet complete).
    ///
    /// ```
    /// let mut v = rfc6455_proto::Utf8Validator::new();
    /// v.feed(b"\xc3").unwrap();
    /// assert!(v.is_incomplete());
    /// ```
    pub fn is_incomplete(&self) -> bool {
        self.partial_len != 0
    }

    /// Validate the next piece of the text.
    ///
    /// # Errors
    /// [`InvalidUtf8`] if the bytes so far cannot begin a valid UTF-8 string.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len != 0 {
            // Complete the pending character one byte at a time (at most 3 bytes).
            while self.partial_len != 0 {
                let Some((&b, rest)) = data.split_first() else {
                    return Ok(());
                };
                data = rest;
                self.partial[usize::from(self.partial_len)] = b;
                self.partial_len += 1;
                let pending = &self.partial[..usize::from(self.partial_len)];
                match simdutf8::compat::from_utf8(pending) {
                    Ok(_) => self.partial_len = 0,
                    Err(e) if e.error_len().is_none() => {} // still a valid prefix
                    Err(_) => return Err(InvalidUtf8),
                }
            }
        }
        if is_valid(data) {
            return Ok(());
        }
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &data[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8; // a valid prefix is at most 3 bytes
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// End of the text: a pending incomplete character is an error.
    ///
    /// # Errors
    /// [`InvalidUtf8`] if the text ends in the middle of a character.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let incomplete = self.is_incomplete();
        self.partial_len = 0;
        if incomplete { Err(InvalidUtf8) } else { Ok(()) }
    }
}

/// Whether `data` is whole valid UTF-8. Short ASCII text (chat messages, JSON) is checked
/// a word at a time; the SIMD validator pays off from about a vector's length.
#[inline]
pub(crate) fn is_valid(data: &[u8]) -> bool {
    (data.len() < 64 && data.is_ascii()) || simdutf8::basic::from_utf8(data).is_ok()
}

#[cfg(test)]
mod tests {
    //! RFC 6455 §8.1: handling errors in UTF-8-encoded data.
    use super::*;

    fn validate_in_pieces(data: &[u8], cut: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::new();
        let mut start = 0;
        for &c in cut {
            v.feed(&data[start..c])?;
            start = c;
        }
        v.feed(&data[start..])?;
        v.finish()
    }

    #[test]
    fn every_split_of_multibyte_characters() {
        let text = "aé€𝄞z κόσμε";
        let bytes = text.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                assert!(validate_in_pieces(bytes, &[i, j]).is_ok(), "{i} {j}");
            }
        }
    }

    #[test]
    fn fails_fast_before_the_end() {
        // The Autobahn 6.4.1 payload: κόσμε, then an invalid code point, then more.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        assert!(v.feed(b"\xf4\x90\x80\x80").is_err());
        // An invalid first byte of a split sequence fails at once.
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"\xf4\x90").is_err());
        let mut v = Utf8Validator::new();
        v.feed(b"\xf4").unwrap();
        assert!(v.feed(b"\x90").is_err());
    }

    #[test]
    fn incomplete_at_end_is_an_error() {
        assert!(validate_in_pieces(b"ab\xe2\x82", &[]).is_err());
        assert!(validate_in_pieces(b"\xff", &[]).is_err());
        assert!(validate_in_pieces(b"\xed\xa0\x80", &[1]).is_err()); // surrogate
    }

    #[test]
    fn agrees_with_std_on_random_inputs() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let b = (x >> (i * 5)) as u8;
                    if round % 3 == 0 { b | 0x80 } else { b }
                })
                .collect();
            let expected = std::str::from_utf8(&bytes).is_ok();
            let cut = (x >> 40) as usize % (len + 1);
            assert_eq!(
                validate_in_pieces(&bytes, &[cut]).is_ok(),
                expected,
                "{bytes:x?}"
            );
        }
    }
}
