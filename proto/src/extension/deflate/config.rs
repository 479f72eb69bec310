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
/// | `mode` | [`Dedicated`](DeflateMode::Dedicated) | where the compressor and inflater live: per connection, or per thread while a message is processed ([`Shared`](DeflateMode::Shared)) |
///
/// # Memory
///
/// Resident memory per idle connection *pair* (a server end and a client end, both this
/// library, both with the same settings), after one 1 KiB JSON message each way, measured
/// by `cargo test -p rfc6455 --test deflate_memory -- --nocapture` (100 connections):
///
/// | mode | per idle pair | per end, about |
/// |---|---|---|
/// | off | 9 KiB | 4.5 KiB |
/// | [`Shared`](DeflateMode::Shared) | 9 KiB | 4.5 KiB: the same as off |
/// | dedicated, window bits 12 both ways | 405 KiB | 200 KiB |
/// | dedicated, window bits 15, no context takeover | 480 KiB | 240 KiB |
/// | dedicated, window bits 15 (the default) | 664 KiB | 330 KiB |
///
/// A dedicated compressor is most of it: the zlib-rs backend allocates a hash table of 64 Ki
/// entries (128 KiB) whatever the window, 112 KiB of literal buffers (zlib's memLevel 8,
/// which `flate2` does not let a program choose) and 2<sup>w+2</sup> bytes for a window of
/// `w` bits; an inflater holds about 7 KiB plus its 2<sup>w</sup>-byte window. Python
/// `websockets`' window 12 / memLevel 5 (64 KiB per connection) has no zlib-rs equivalent:
/// even at memLevel 5 the hash table alone is 128 KiB. The shared mode is the choice for a
/// server with many mostly idle connections; the dedicated mode compresses streams of
/// similar messages best.
///
/// # Defaults
///
/// Compression is off on both sides until a program turns it on
/// (`Config::compression` in the `rfc6455` crate). `DeflateConfig::default()` is the
/// dedicated mode with window bits 15 and context takeover, for server and client alike:
/// the best ratio (Python `websockets` and Node `ws` keep the context by default too). A server
/// expecting thousands of connections should take [`DeflateMode::Shared`].
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
    /// Whether each connection keeps its own compressor and inflater
    /// ([`DeflateMode::Dedicated`]) or borrows them per message from a per-thread pool
    /// ([`DeflateMode::Shared`]).
    pub mode: DeflateMode,
}

/// Where a connection's compressor and inflater live: the choice between the best ratio and
/// the least memory per idle connection. See [`DeflateConfig`] for the measured cost.
///
/// ```
/// use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode};
/// let lean = DeflateConfig::default().mode(DeflateMode::Shared);
/// assert_eq!(lean.mode, DeflateMode::Shared);
/// assert_eq!(DeflateConfig::default().mode, DeflateMode::Dedicated);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeflateMode {
    /// Each connection creates its compressor and inflater for its first compressed
    /// message and keeps them while it lives, so that with context takeover each message
    /// can refer to the ones before it (the best ratio for streams of similar messages).
    #[default]
    Dedicated,
    /// No window survives a message: this end negotiates `no_context_takeover` for both
    /// directions (a server answers `server_no_context_takeover` and
    /// `client_no_context_takeover`; a client offers both), and its compressor and inflater
    /// exist only while a message is being compressed or inflated. They come from a small
    /// pool per thread (at most two idle compressors and two idle inflaters, reset before
    /// they are kept), so an idle connection costs what an uncompressed one does. Where
    /// the peer keeps its context anyway (a server that ignores a client's
    /// `server_no_context_takeover` cannot, RFC 7692 §7.1.1.1, but its answer decides),
    /// that direction's inflater stays with the connection as in the dedicated mode.
    Shared,
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
            mode: DeflateMode::Dedicated,
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

    /// Sets [`mode`](Self::mode).
    ///
    /// ```
    /// # use rfc6455_proto::extension::deflate::{DeflateConfig, DeflateMode};
    /// assert_eq!(DeflateConfig::default().mode(DeflateMode::Shared).mode, DeflateMode::Shared);
    /// ```
    #[must_use]
    pub fn mode(mut self, mode: DeflateMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether this end resets its compressor after each message (asked for, or implied by
    /// the shared mode).
    pub(crate) fn resets_own(&self) -> bool {
        self.no_context_takeover || self.mode == DeflateMode::Shared
    }

    /// Whether this end asks the peer to reset its compressor after each message.
    pub(crate) fn asks_peer_reset(&self) -> bool {
        self.peer_no_context_takeover || self.mode == DeflateMode::Shared
    }
}
