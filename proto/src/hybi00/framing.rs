//! hybi-00 data framing: a sans-I/O decoder and encoder, in the draft's "old" form and in the
//! length-prefixed "new" form of the Racket original.

use bytes::{Buf, BufMut, BytesMut};

use crate::config::Limits;
use crate::error::ProtocolError;
use crate::utf8::{Utf8Bytes, Utf8Validator};

/// The two frame layouts the Racket original can speak (its `hybi00-framing-mode`).
///
/// Both ends of a connection must use the same mode; nothing on the wire says which one is in
/// use. [`Old`](Self::Old), the draft's, is the default and the one browsers speak.
///
/// ```
/// use rfc6455_proto::hybi00::FramingMode;
/// assert_eq!(FramingMode::default(), FramingMode::Old);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FramingMode {
    /// draft-ietf-hybi-thewebsocketprotocol-00 §4.2 / §5.3: text is `0x00`, UTF-8 bytes,
    /// `0xFF`; the closing frame is `0xFF 0x00`.
    #[default]
    Old,
    /// A type byte, a 64-bit big-endian length, then that many bytes. This is the framing of
    /// an intermediate WHATWG draft (August 2010) that Racket kept as
    /// `(hybi00-framing-mode 'new)`. Its type bytes are Racket's: **`0xFF` is text** and
    /// **`0x00` with length 0 is the closing frame**.
    New,
}

/// A frame decoded by [`Hybi00Codec::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hybi00Frame {
    /// A whole text message (hybi-00 has no fragmentation and no binary messages).
    Text(Utf8Bytes),
    /// The peer's closing frame. hybi-00 closes carry no status and no reason. The caller
    /// answers with [`Hybi00Codec::encode_close`] (unless it sent its own already) and closes
    /// the connection; the codec does not look at bytes after it.
    Close,
}

/// A hybi-00 frame decoder and encoder, bounded by
/// [`Limits::max_message_size`](crate::Limits::max_message_size).
///
/// The wire rules it follows are in the [module documentation](super) of `hybi00`
/// (*Framing*).
///
/// # Buffer management
///
/// [`decode`](Self::decode) follows the `tokio_util::codec::Decoder` contract: it consumes
/// bytes from the front of the buffer, and the caller appends new bytes at the back and must
/// not otherwise change the buffer between calls, because a partial text frame stays in it
/// and the codec remembers how far it has scanned. Each byte is scanned once: decoding is
/// O(n) in the bytes received, however they are split. A text payload is handed out without
/// copying. After an error the codec's state is unspecified: fail the connection.
#[derive(Debug, Clone)]
pub(crate) struct Hybi00Codec {
    mode: FramingMode,
    /// The largest frame payload accepted, in bytes.
    limit: u64,
    state: State,
}

/// Where the decoder is in the byte stream.
///
/// ```text
///            ┌───────────────────── frame done ─────────────────────┐
///            ▼                                                      │
///   Idle ──0x00──▶ Text { scanned } ──0xFF──────────────────────────┤   (old)
///     │ ──0x01–0x7F──▶ SkipToSentinel { seen } ──0xFF───────────────┤
///     │ ──0x80–0xFE──▶ Length { length } ──last byte──▶ Discard ────┤
///     │ ──0xFF 0x00──▶ (Close) ─────────────────────────────────────┤
///     │ ──0xFF+len──▶ NewText { len, scanned } ──len bytes──────────┤   (new)
///     └ ──other+len──▶ Discard { remaining } ──remaining bytes──────┘
/// ```
#[derive(Debug, Clone)]
enum State {
    /// Between frames: the buffer starts with a frame type byte.
    Idle,
    /// Old mode, inside `0x00 … 0xFF`. The type byte and the data are still at the front of
    /// the buffer; the first `scanned` data bytes hold no `0xFF` and passed `utf8`.
    Text { scanned: usize, utf8: Utf8Validator },
    /// Old mode, inside a `0xFF`-terminated frame of a type other than `0x00`, whose bytes
    /// are dropped as they arrive; `seen` of them so far.
    SkipToSentinel { seen: u64 },
    /// Old mode, reading the base-128 length of a frame of type `0x80`–`0xFE` (type and
    /// length bytes are consumed as read); `groups` length bytes read so far.
    Length { length: u64, groups: u8 },
    /// Dropping the `remaining` bytes of a length-prefixed frame that is discarded.
    Discard { remaining: u64 },
    /// New mode, inside a text frame of `len` bytes. The 9-byte header and the data are
    /// still at the front of the buffer; the first `scanned` data bytes passed `utf8`.
    NewText {
        len: usize,
        scanned: usize,
        utf8: Utf8Validator,
    },
}

/// Length of a new-mode header: the type byte and a 64-bit length.
const NEW_HEADER_LEN: usize = 9;
/// The most bytes a base-128 length may take: ⌈64 / 7⌉.
const MAX_LENGTH_GROUPS: u8 = 10;

impl Hybi00Codec {
    /// A codec for `mode`, accepting frames of at most `limits.max_message_size` bytes.
    pub(crate) fn new(mode: FramingMode, limits: Limits) -> Self {
        Self {
            mode,
            limit: limits.max_message_size,
            state: State::Idle,
        }
    }

    /// Whether the codec is in the middle of a frame. If the peer's stream ends while this is
    /// true, or while the buffer is not empty, the connection ended mid-frame.
    #[cfg(test)]
    fn is_mid_frame(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// Decode the next frame from the front of `buf`, consuming its bytes.
    ///
    /// Returns `Ok(Some(frame))` for a text or closing frame, `Ok(None)` when more bytes are
    /// needed (discarded frames are skipped silently). Call again until `Ok(None)`: several
    /// frames may be buffered. See [`Hybi00Codec`] for the rules and the buffer contract.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::MessageTooBig`] when a frame exceeds the message limit,
    /// [`ProtocolError::InvalidUtf8`] for text that is not UTF-8, and
    /// [`ProtocolError::Hybi00Framing`] for `0xFF` not followed by `0x00` (old mode), a
    /// length over 64 bits (old mode), or a closing frame with data (new mode). The answer
    /// to each is to close the connection; hybi-00 has no close status to send.
    ///
    /// # Panics
    ///
    /// If the caller removed bytes from `buf` that a previous call left in it (a partial
    /// frame); see "Buffer management" above. Nothing the peer sends can cause a panic.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Hybi00Frame>, ProtocolError> {
        let limit = self.limit;
        let too_big = || ProtocolError::MessageTooBig { limit };
        loop {
            match &mut self.state {
                State::Idle => {
                    let Some(&frame_type) = buf.first() else {
                        return Ok(None);
                    };
                    match self.mode {
                        FramingMode::Old => match frame_type {
                            0x00 => {
                                self.state = State::Text {
                                    scanned: 0,
                                    utf8: Utf8Validator::new(),
                                };
                            }
                            0x01..=0x7F => {
                                buf.advance(1);
                                self.state = State::SkipToSentinel { seen: 0 };
                            }
                            0xFF => {
                                let Some(&next) = buf.get(1) else {
                                    return Ok(None);
                                };
                                if next != 0x00 {
                                    return Err(ProtocolError::Hybi00Framing(
                                        "0xFF frame type not followed by 0x00",
                                    ));
                                }
                                buf.advance(2);
                                return Ok(Some(Hybi00Frame::Close));
                            }
                            0x80..=0xFE => {
                                buf.advance(1);
                                self.state = State::Length {
                                    length: 0,
                                    groups: 0,
                                };
                            }
                        },
                        FramingMode::New => {
                            let Some(header) = buf.get(..NEW_HEADER_LEN) else {
                                return Ok(None);
                            };
                            let mut length = [0u8; 8];
                            length.copy_from_slice(&header[1..]);
                            let length = u64::from_be_bytes(length);
                            match frame_type {
                                0x00 if length != 0 => {
                                    return Err(ProtocolError::Hybi00Framing(
                                        "closing frame (type 0x00) with a non-zero length",
                                    ));
                                }
                                0x00 => {
                                    buf.advance(NEW_HEADER_LEN);
                                    return Ok(Some(Hybi00Frame::Close));
                                }
                                0xFF => {
                                    let len = check_len(length, limit)?;
                                    self.state = State::NewText {
                                        len,
                                        scanned: 0,
                                        utf8: Utf8Validator::new(),
                                    };
                                }
                                _ => {
                                    check_len(length, limit)?;
                                    buf.advance(NEW_HEADER_LEN);
                                    self.state = State::Discard { remaining: length };
                                }
                            }
                        }
                    }
                }

                State::Text { scanned, utf8 } => {
                    // The data starts after the 0x00 type byte.
                    let fresh = &buf[1 + *scanned..];
                    let end = fresh.iter().position(|&b| b == 0xFF);
                    let data = &fresh[..end.unwrap_or(fresh.len())];
                    // The bytes are judged in their order, so the answer does not depend on
                    // how they arrive: the UTF-8 of the bytes within the limit first, then the
                    // limit (a byte past it), then the end of the text.
                    let room = limit.saturating_sub(*scanned as u64);
                    let within = usize::try_from(room).map_or(data.len(), |r| r.min(data.len()));
                    utf8.feed(&data[..within])
                        .map_err(|_| ProtocolError::InvalidUtf8)?;
                    let len = *scanned + data.len();
                    if len as u64 > limit {
                        return Err(too_big());
                    }
                    if end.is_none() {
                        *scanned = len;
                        return Ok(None);
                    }
                    utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
                    let frame = buf.split_to(1 + len + 1).freeze();
                    self.state = State::Idle;
                    let text = Utf8Bytes::from_validated(frame.slice(1..1 + len));
                    return Ok(Some(Hybi00Frame::Text(text)));
                }

                State::SkipToSentinel { seen } => match buf.iter().position(|&b| b == 0xFF) {
                    Some(at) => {
                        *seen = seen.saturating_add(at as u64);
                        if *seen > limit {
                            return Err(too_big());
                        }
                        buf.advance(at + 1);
                        self.state = State::Idle;
                    }
                    None => {
                        *seen = seen.saturating_add(buf.len() as u64);
                        buf.clear();
                        if *seen > limit {
                            return Err(too_big());
                        }
                        return Ok(None);
                    }
                },

                State::Length { length, groups } => {
                    let Some(&b) = buf.first() else {
                        return Ok(None);
                    };
                    buf.advance(1);
                    *groups += 1;
                    if *groups > MAX_LENGTH_GROUPS {
                        return Err(ProtocolError::Hybi00Framing("frame length over 64 bits"));
                    }
                    // Checked against the limit after every byte, so this cannot overflow
                    // unless the limit itself is near u64::MAX.
                    *length = length
                        .checked_mul(128)
                        .and_then(|l| l.checked_add(u64::from(b & 0x7F)))
                        .ok_or_else(too_big)?;
                    if *length > limit {
                        return Err(too_big());
                    }
                    if b & 0x80 == 0 {
                        self.state = State::Discard { remaining: *length };
                    }
                }

                State::Discard { remaining } => {
                    if *remaining == 0 {
                        self.state = State::Idle;
                        continue;
                    }
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = usize::try_from(*remaining).map_or(buf.len(), |r| r.min(buf.len()));
                    buf.advance(n);
                    *remaining -= n as u64;
                }

                State::NewText { len, scanned, utf8 } => {
                    let available = (buf.len() - NEW_HEADER_LEN).min(*len);
                    let fresh = &buf[NEW_HEADER_LEN + *scanned..NEW_HEADER_LEN + available];
                    utf8.feed(fresh).map_err(|_| ProtocolError::InvalidUtf8)?;
                    *scanned = available;
                    if available < *len {
                        return Ok(None);
                    }
                    utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
                    let len = *len;
                    let frame = buf.split_to(NEW_HEADER_LEN + len).freeze();
                    self.state = State::Idle;
                    let text = Utf8Bytes::from_validated(frame.slice(NEW_HEADER_LEN..));
                    return Ok(Some(Hybi00Frame::Text(text)));
                }
            }
        }
    }

    /// Append a text frame carrying `text` to `out`.
    ///
    /// Old mode writes `0x00`, the UTF-8 bytes, `0xFF` (UTF-8 never contains `0xFF`, so the
    /// text cannot end the frame early); new mode writes `0xFF`, the 64-bit big-endian length,
    /// the bytes. Whole messages only: hybi-00 has no fragmentation.
    pub(crate) fn encode_text(&self, text: &str, out: &mut BytesMut) {
        match self.mode {
            FramingMode::Old => {
                out.reserve(text.len() + 2);
                out.put_u8(0x00);
                out.put_slice(text.as_bytes());
                out.put_u8(0xFF);
            }
            FramingMode::New => {
                out.reserve(NEW_HEADER_LEN + text.len());
                out.put_u8(0xFF);
                out.put_u64(text.len() as u64);
                out.put_slice(text.as_bytes());
            }
        }
    }

    /// Append the closing frame to `out`: `0xFF 0x00` in old mode, type `0x00` with length 0
    /// in new mode.
    pub(crate) fn encode_close(&self, out: &mut BytesMut) {
        match self.mode {
            FramingMode::Old => out.put_slice(&[0xFF, 0x00]),
            FramingMode::New => {
                out.put_u8(0x00);
                out.put_u64(0);
            }
        }
    }
}

/// `length` as a `usize`, if it is within `limit`.
fn check_len(length: u64, limit: u64) -> Result<usize, ProtocolError> {
    let too_big = ProtocolError::MessageTooBig { limit };
    if length > limit {
        return Err(too_big);
    }
    usize::try_from(length).map_err(|_| too_big)
}

#[cfg(test)]
mod tests {
    //! draft-ietf-hybi-thewebsocketprotocol-00 §4.2 and §5.3: data framing.
    use super::*;

    fn new_codec(mode: FramingMode, limit: u64) -> Hybi00Codec {
        Hybi00Codec::new(mode, Limits::default().max_message_size(limit))
    }

    /// Decode everything in `buf`, stopping at the first error.
    fn decode_all(
        codec: &mut Hybi00Codec,
        buf: &mut BytesMut,
    ) -> Result<Vec<Hybi00Frame>, ProtocolError> {
        let mut frames = Vec::new();
        while let Some(frame) = codec.decode(buf)? {
            frames.push(frame);
        }
        Ok(frames)
    }

    /// Feed `wire` in two pieces cut at `cut`, then in single bytes, collecting frames.
    fn decode_split(
        mode: FramingMode,
        wire: &[u8],
        cut: usize,
    ) -> Result<Vec<Hybi00Frame>, ProtocolError> {
        let mut codec = new_codec(mode, 1 << 20);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        buf.extend_from_slice(&wire[..cut]);
        frames.extend(decode_all(&mut codec, &mut buf)?);
        buf.extend_from_slice(&wire[cut..]);
        frames.extend(decode_all(&mut codec, &mut buf)?);
        assert!(buf.is_empty());
        assert!(!codec.is_mid_frame());
        Ok(frames)
    }

    fn text(s: &str) -> Hybi00Frame {
        Hybi00Frame::Text(s.into())
    }

    #[test]
    fn decode_encode_basics() {
        let mut codec = Hybi00Codec::new(FramingMode::Old, Limits::default());
        assert_eq!(codec.mode, FramingMode::Old);
        let mut buf = BytesMut::from(&b"\x00hel"[..]);
        assert_eq!(codec.decode(&mut buf), Ok(None), "needs more bytes");
        assert!(codec.is_mid_frame());
        buf.extend_from_slice(b"lo\xff\xff\x00");
        assert_eq!(codec.decode(&mut buf), Ok(Some(text("hello"))));
        assert_eq!(codec.decode(&mut buf), Ok(Some(Hybi00Frame::Close)));
        assert!(buf.is_empty());
        assert_ne!(text("hi"), Hybi00Frame::Close);

        let mut buf = BytesMut::from(&b"\x00\xc3\x28"[..]);
        let mut codec = Hybi00Codec::new(FramingMode::Old, Limits::default());
        assert_eq!(codec.decode(&mut buf), Err(ProtocolError::InvalidUtf8));

        let codec = Hybi00Codec::new(FramingMode::New, Limits::default().max_message_size(1024));
        assert_eq!(codec.mode, FramingMode::New);
        let codec = Hybi00Codec::new(FramingMode::Old, Limits::default());
        let mut out = BytesMut::new();
        codec.encode_text("hi", &mut out);
        assert_eq!(&out[..], b"\x00hi\xff");
        let mut out = BytesMut::new();
        codec.encode_close(&mut out);
        assert_eq!(&out[..], b"\xff\x00");
    }

    const MESSAGES: [&str; 4] = [
        "hello",
        "",
        "κόσμε 𝄞 €",
        "a longer message, with punctuation!",
    ];

    fn encoded(mode: FramingMode) -> Vec<u8> {
        let codec = new_codec(mode, 1 << 20);
        let mut out = BytesMut::new();
        for m in MESSAGES {
            codec.encode_text(m, &mut out);
        }
        codec.encode_close(&mut out);
        out.to_vec()
    }

    fn expected() -> Vec<Hybi00Frame> {
        let mut frames: Vec<_> = MESSAGES.iter().map(|m| text(m)).collect();
        frames.push(Hybi00Frame::Close);
        frames
    }

    #[test]
    fn old_mode_wire_format() {
        let codec = new_codec(FramingMode::Old, 100);
        let mut out = BytesMut::new();
        codec.encode_text("é", &mut out);
        codec.encode_close(&mut out);
        assert_eq!(&out[..], b"\x00\xc3\xa9\xff\xff\x00");
    }

    #[test]
    fn new_mode_wire_format() {
        let codec = new_codec(FramingMode::New, 100);
        let mut out = BytesMut::new();
        codec.encode_text("hi", &mut out);
        codec.encode_close(&mut out);
        assert_eq!(&out[..], b"\xff\0\0\0\0\0\0\0\x02hi\x00\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn old_mode_round_trip() {
        let mut buf = BytesMut::from(&encoded(FramingMode::Old)[..]);
        assert_eq!(
            decode_all(&mut new_codec(FramingMode::Old, 1024), &mut buf),
            Ok(expected())
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn new_mode_round_trip() {
        let mut buf = BytesMut::from(&encoded(FramingMode::New)[..]);
        assert_eq!(
            decode_all(&mut new_codec(FramingMode::New, 1024), &mut buf),
            Ok(expected())
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn every_split_point_old_mode() {
        let wire = encoded(FramingMode::Old);
        for cut in 0..=wire.len() {
            assert_eq!(
                decode_split(FramingMode::Old, &wire, cut),
                Ok(expected()),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn every_split_point_new_mode() {
        let wire = encoded(FramingMode::New);
        for cut in 0..=wire.len() {
            assert_eq!(
                decode_split(FramingMode::New, &wire, cut),
                Ok(expected()),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn byte_at_a_time_both_modes() {
        for mode in [FramingMode::Old, FramingMode::New] {
            let mut codec = new_codec(mode, 1024);
            let mut buf = BytesMut::new();
            let mut frames = Vec::new();
            for &b in &encoded(mode) {
                buf.put_u8(b);
                frames.extend(decode_all(&mut codec, &mut buf).unwrap());
            }
            assert_eq!(frames, expected(), "{mode:?}");
        }
    }

    #[test]
    fn old_mode_discards_other_frame_types() {
        // A sentinel frame of type 0x01, a length-prefixed frame of type 0x80 (length 130:
        // 0x81 0x02), then text.
        let mut wire = b"\x01junk\xff\x80\x81\x02".to_vec();
        wire.extend_from_slice(&[b'x'; 130]);
        wire.extend_from_slice(b"\x80\x00\x00kept\xff");
        for cut in 0..=wire.len() {
            assert_eq!(
                decode_split(FramingMode::Old, &wire, cut),
                Ok(vec![text("kept")]),
                "{cut}"
            );
        }
    }

    #[test]
    fn new_mode_discards_other_frame_types() {
        let mut wire = b"\x42\0\0\0\0\0\0\0\x03abc".to_vec();
        wire.extend_from_slice(b"\xff\0\0\0\0\0\0\0\x04kept");
        for cut in 0..=wire.len() {
            assert_eq!(
                decode_split(FramingMode::New, &wire, cut),
                Ok(vec![text("kept")]),
                "{cut}"
            );
        }
    }

    /// Found by the `connection` fuzz target: a text frame both over the limit and with
    /// invalid UTF-8 within it failed with 1009 when it arrived at once and with 1007 when it
    /// arrived in parts. The bytes are judged in order now: the first defect wins.
    #[test]
    fn the_first_defect_wins_however_the_bytes_arrive() {
        let limit = 15;
        let mut wire = vec![0x00, 0x00, 0x20];
        wire.extend_from_slice(&[0xB9; 31]);
        wire.push(0xFF);
        for cut in 0..wire.len() {
            let mut codec = new_codec(FramingMode::Old, limit);
            let mut buf = BytesMut::from(&wire[..cut]);
            let first = codec.decode(&mut buf);
            buf.extend_from_slice(&wire[cut..]);
            let result = first.and_then(|_| codec.decode(&mut buf));
            assert_eq!(result, Err(ProtocolError::InvalidUtf8), "cut at {cut}");
        }
        // Valid text over the limit is too big, whatever the cut.
        let mut wire = vec![0x00];
        wire.extend_from_slice(&[b'a'; 16]);
        wire.push(0xC3);
        wire.push(0xFF);
        for cut in 0..wire.len() {
            let mut codec = new_codec(FramingMode::Old, limit);
            let mut buf = BytesMut::from(&wire[..cut]);
            let first = codec.decode(&mut buf);
            buf.extend_from_slice(&wire[cut..]);
            let result = first.and_then(|_| codec.decode(&mut buf));
            assert_eq!(
                result,
                Err(ProtocolError::MessageTooBig { limit }),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn unterminated_text_over_limit_fails_with_bounded_buffer() {
        let limit = 1000;
        let mut codec = new_codec(FramingMode::Old, limit);
        let mut buf = BytesMut::from(&b"\x00"[..]);
        let mut fed = 0u64;
        let err = loop {
            buf.extend_from_slice(&[b'a'; 64]);
            fed += 64;
            match codec.decode(&mut buf) {
                Ok(None) => assert!(buf.len() as u64 <= limit + 1, "buffered {}", buf.len()),
                Ok(Some(frame)) => panic!("unexpected {frame:?}"),
                Err(e) => break e,
            }
            assert!(fed < 10 * limit, "never failed");
        };
        assert_eq!(err, ProtocolError::MessageTooBig { limit });
        assert!(fed <= limit + 64);
        // Exactly at the limit is fine.
        let mut buf = BytesMut::from(&b"\x00"[..]);
        buf.extend_from_slice(&[b'a'; 1000]);
        buf.put_u8(0xFF);
        assert!(
            matches!(codec_old(limit).decode(&mut buf), Ok(Some(Hybi00Frame::Text(t))) if t.len() == 1000)
        );
        // One over, terminated in the same read, fails too.
        let mut buf = BytesMut::from(&b"\x00"[..]);
        buf.extend_from_slice(&[b'a'; 1001]);
        buf.put_u8(0xFF);
        assert_eq!(
            codec_old(limit).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit })
        );
    }

    fn codec_old(limit: u64) -> Hybi00Codec {
        new_codec(FramingMode::Old, limit)
    }

    #[test]
    fn scanning_is_linear() {
        // Feeding a large frame one byte at a time must not rescan the buffer: count the
        // work through `scanned`, which only ever grows by the fresh bytes.
        let mut codec = codec_old(1 << 20);
        let mut buf = BytesMut::from(&b"\x00"[..]);
        for i in 0..100_000usize {
            buf.put_u8(b'a');
            assert_eq!(codec.decode(&mut buf), Ok(None));
            let State::Text { scanned, .. } = &codec.state else {
                panic!("not in text")
            };
            assert_eq!(*scanned, i + 1);
        }
        buf.put_u8(0xFF);
        assert!(
            matches!(codec.decode(&mut buf), Ok(Some(Hybi00Frame::Text(t))) if t.len() == 100_000)
        );
    }

    #[test]
    fn discarded_frames_over_limit_fail_without_buffering() {
        // A 0x01 sentinel frame that never ends: dropped as it arrives, then refused.
        let limit = 100;
        let mut codec = codec_old(limit);
        let mut buf = BytesMut::from(&b"\x01"[..]);
        let mut result = Ok(None);
        for _ in 0..10 {
            buf.extend_from_slice(&[b'z'; 30]);
            result = codec.decode(&mut buf);
            assert!(buf.is_empty());
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ProtocolError::MessageTooBig { limit }));
        // A length-prefixed frame declaring more than the limit fails before its data.
        let mut buf = BytesMut::from(&b"\x80\x81\x00"[..]); // 128 > 100
        assert_eq!(
            codec_old(limit).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit })
        );
        let mut buf = BytesMut::from(&b"\x42\0\0\0\0\0\0\0\x65"[..]); // 101 > 100
        assert_eq!(
            new_codec(FramingMode::New, limit).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit })
        );
    }

    #[test]
    fn ff_followed_by_non_zero_fails() {
        for second in [0x01u8, 0x05, 0x7F, 0x80, 0xFF] {
            let mut buf = BytesMut::from(&[0xFF, second, 0, 0][..]);
            assert_eq!(
                codec_old(100).decode(&mut buf),
                Err(ProtocolError::Hybi00Framing(
                    "0xFF frame type not followed by 0x00"
                )),
                "{second:#x}"
            );
        }
        // A lone 0xFF waits for the next byte.
        let mut codec = codec_old(100);
        let mut buf = BytesMut::from(&[0xFF][..]);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        buf.put_u8(0x00);
        assert_eq!(codec.decode(&mut buf), Ok(Some(Hybi00Frame::Close)));
    }

    #[test]
    fn overlong_base128_length_fails() {
        // Zero groups with the continuation bit never grow the length: bounded by a count.
        let mut buf = BytesMut::from(&[0x80u8; 32][..]);
        assert_eq!(
            codec_old(u64::MAX).decode(&mut buf),
            Err(ProtocolError::Hybi00Framing("frame length over 64 bits"))
        );
        // A length that overflows 64 bits with no limit to stop it first.
        let mut buf = BytesMut::from(
            &[
                0x81u8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
            ][..],
        );
        assert_eq!(
            codec_old(u64::MAX).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit: u64::MAX })
        );
    }

    #[test]
    fn new_mode_frame_claiming_2_pow_63_fails_at_once() {
        let limit = 1 << 20;
        let mut buf = BytesMut::from(&b"\xff\x80\0\0\0\0\0\0\0"[..]);
        assert_eq!(
            new_codec(FramingMode::New, limit).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit })
        );
        let mut buf = BytesMut::from(&b"\xff\xff\xff\xff\xff\xff\xff\xff\xff"[..]);
        assert_eq!(
            new_codec(FramingMode::New, limit).decode(&mut buf),
            Err(ProtocolError::MessageTooBig { limit })
        );
        // Even with no limit, the discard path counts without allocating.
        let mut c = new_codec(FramingMode::New, u64::MAX);
        let mut buf = BytesMut::from(&b"\x42\x80\0\0\0\0\0\0\0tail"[..]);
        assert_eq!(c.decode(&mut buf), Ok(None));
        assert!(buf.is_empty());
        assert!(c.is_mid_frame());
    }

    #[test]
    fn new_mode_close_with_data_fails() {
        let mut buf = BytesMut::from(&b"\x00\0\0\0\0\0\0\0\x01x"[..]);
        assert_eq!(
            new_codec(FramingMode::New, 100).decode(&mut buf),
            Err(ProtocolError::Hybi00Framing(
                "closing frame (type 0x00) with a non-zero length"
            ))
        );
    }

    #[test]
    fn invalid_utf8_fails_fast() {
        // Old mode: fails on the bad byte, before the terminator arrives.
        let mut buf = BytesMut::from(&b"\x00ok\xc3\x28"[..]);
        assert_eq!(
            codec_old(100).decode(&mut buf),
            Err(ProtocolError::InvalidUtf8)
        );
        // A truncated character at the end of the frame.
        let mut buf = BytesMut::from(&b"\x00ok\xe2\x82\xff"[..]);
        assert_eq!(
            codec_old(100).decode(&mut buf),
            Err(ProtocolError::InvalidUtf8)
        );
        // New mode, before the frame is complete.
        let mut buf = BytesMut::from(&b"\xff\0\0\0\0\0\0\0\x10\xed\xa0\x80"[..]);
        assert_eq!(
            new_codec(FramingMode::New, 100).decode(&mut buf),
            Err(ProtocolError::InvalidUtf8)
        );
        // New mode, truncated at the end.
        let mut buf = BytesMut::from(&b"\xff\0\0\0\0\0\0\0\x02a\xc3"[..]);
        assert_eq!(
            new_codec(FramingMode::New, 100).decode(&mut buf),
            Err(ProtocolError::InvalidUtf8)
        );
    }

    #[test]
    fn multibyte_text_split_everywhere_old_mode() {
        let mut out = BytesMut::new();
        codec_old(100).encode_text("aé€𝄞z", &mut out);
        let wire = out.to_vec();
        for i in 0..=wire.len() {
            for j in i..=wire.len() {
                let mut codec = codec_old(100);
                let mut buf = BytesMut::new();
                let mut frames = Vec::new();
                for piece in [&wire[..i], &wire[i..j], &wire[j..]] {
                    buf.extend_from_slice(piece);
                    frames.extend(decode_all(&mut codec, &mut buf).unwrap());
                }
                assert_eq!(frames, vec![text("aé€𝄞z")], "{i} {j}");
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A small xorshift fuzz over both modes and tiny limits: only Ok or Err, and the
        // buffer never holds more than a frame's worth.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for round in 0..5_000 {
            let mode = if round % 2 == 0 {
                FramingMode::Old
            } else {
                FramingMode::New
            };
            let limit = 16;
            let mut codec = new_codec(mode, limit);
            let mut buf = BytesMut::new();
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let len = (x % 7) as usize;
                for i in 0..len {
                    let b = (x >> (i * 8)) as u8;
                    buf.put_u8(if round % 3 == 0 { b & 0x81 } else { b });
                }
                match decode_all(&mut codec, &mut buf) {
                    Ok(_) => assert!(buf.len() as u64 <= limit + 2 + 9 + 7, "{}", buf.len()),
                    Err(_) => break,
                }
            }
        }
    }
}
