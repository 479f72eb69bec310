//! [`DeflateConfig`]: what one end wants from permessage-deflate, and the extension's name.

/// The extension's registered name.
pub const NAME: &str = "permessage-deflate";

/// What one end wants from permessage-deflate: fixed when a server or client is built.
///
/// Fields are named from this end's point of view; negotiation maps them to RFC 7692's
/// `server_*` and `client_*` parameters by role.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `window_bits` | 15 | the largest window this end compresses with (9–15) |
/// | `no_context_takeover` | `false` | reset this end's compressor after every message |
/// | `peer_window_bits` | `None` | ask the peer to compress with at most this window (8–15) |
/// | `peer_no_context_takeover` | `false` | ask the peer to reset its compressor per message |
/// | `level` | 6 | DEFLATE level, 0 (store) to 9 (smallest) |
/// | `threshold` | 64 | whole messages shorter than this many bytes are sent uncompressed |
///
/// Memory: a compressor with window bits `w` holds about 2<sup>w+2</sup> bytes plus
/// 256 KiB of hash tables (zlib's memLevel 8; the backend does not let it be chosen), and
/// an inflater about 2<sup>w</sup> bytes plus 7 KiB. Context takeover keeps both for the
/// life of the connection.
///
/// ```
/// use rfc6455_proto::extension::deflate::DeflateConfig;
/// let small = DeflateConfig::default().window_bits(12).peer_window_bits(Some(12)).threshold(256);
/// assert_eq!(small.window_bits, 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// The largest LZ77 window this end compresses with, in bits (9–15; clamped).
    pub window_bits: u8,
    /// Reset this end's compressor after each message (smaller ratio, no state carried
    /// between messages).
    pub no_context_takeover: bool,
    /// Ask the peer to compress with at most this window (8–15), which bounds the memory of
    /// this end's inflater.
    pub peer_window_bits: Option<u8>,
    /// Ask the peer to reset its compressor after each message.
    pub peer_no_context_takeover: bool,
    /// The DEFLATE compression level, 0–9 (clamped).
    pub level: u8,
    /// Whole messages shorter than this are sent uncompressed (compressing a few bytes
    /// makes them longer). Fragmented messages are always compressed.
    pub threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            window_bits: 15,
            no_context_takeover: false,
            peer_window_bits: None,
            peer_no_context_takeover: false,
            level: 6,
            threshold: 64,
        }
    }
}

impl DeflateConfig {
    /// Sets [`window_bits`](Self::window_bits) (clamped to 9–15).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert_eq!(DeflateConfig::default().window_bits(8).window_bits, 9);
    /// ```
    #[must_use]
    pub fn window_bits(mut self, bits: u8) -> Self {
        self.window_bits = bits.clamp(9, 15);
        self
    }

    /// Sets [`no_context_takeover`](Self::no_context_takeover).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert!(DeflateConfig::default().no_context_takeover(true).no_context_takeover);
    /// ```
    #[must_use]
    pub fn no_context_takeover(mut self, on: bool) -> Self {
        self.no_context_takeover = on;
        self
    }

    /// Sets [`peer_window_bits`](Self::peer_window_bits) (clamped to 8–15).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert_eq!(DeflateConfig::default().peer_window_bits(Some(20)).peer_window_bits, Some(15));
    /// ```
    #[must_use]
    pub fn peer_window_bits(mut self, bits: Option<u8>) -> Self {
        self.peer_window_bits = bits.map(|b| b.clamp(8, 15));
        self
    }

    /// Sets [`peer_no_context_takeover`](Self::peer_no_context_takeover).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert!(DeflateConfig::default().peer_no_context_takeover(true).peer_no_context_takeover);
    /// ```
    #[must_use]
    pub fn peer_no_context_takeover(mut self, on: bool) -> Self {
        self.peer_no_context_takeover = on;
        self
    }

    /// Sets [`level`](Self::level) (clamped to 0–9).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert_eq!(DeflateConfig::default().level(1).level, 1);
    /// ```
    #[must_use]
    pub fn level(mut self, level: u8) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`threshold`](Self::threshold).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::DeflateConfig;
    /// assert_eq!(DeflateConfig::default().threshold(0).threshold, 0);
    /// ```
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }
}
