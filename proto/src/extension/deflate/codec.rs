//! The per-connection transform of permessage-deflate (RFC 7692 §6–§7.2): one compressor
//! for what this end sends, one inflater for what it receives, with the agreed window sizes
//! and context takeover. Output is always produced in bounded steps.
//!
//! Each is created for the first message that needs it. In the dedicated mode it then stays
//! for the life of the connection; in the shared mode, where no window survives a message,
//! it comes from this thread's spares (`pool.rs`) when the message starts and goes back
//! when it ends, so an idle connection holds neither.

use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

use super::config::{DeflateConfig, DeflateMode};
use super::negotiate::DeflateParams;
use super::pool;
use crate::config::Role;
use crate::error::ProtocolError;

/// §7.2.1: the tail every sync flush ends with, removed on send and restored on receive.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The most bytes one inflate step produces before they are checked and handed on.
pub(crate) const INFLATE_STEP: usize = 64 * 1024;

/// Compressor and inflater of one connection.
pub(crate) struct DeflateCodec {
    /// The compressor while one is held (see the module doc).
    compress: Option<Compress>,
    /// The window bits this end compresses with; `None` when the agreed window is 8 bits,
    /// which zlib-based compressors cannot honour: this end then sends uncompressed
    /// (allowed for any message).
    own_bits: Option<u8>,
    level: u8,
    reset_compress: bool,
    /// The compressor is borrowed from the thread's spares for one message.
    pool_compress: bool,
    threshold: usize,
    /// The inflater while one is held (see the module doc).
    inflate: Option<Decompress>,
    /// The window of the dedicated inflater (9–15).
    peer_bits: u8,
    reset_inflate: bool,
    /// The inflater is borrowed from the thread's spares for one message.
    pool_inflate: bool,
    /// How many bytes of [`TAIL`] the inflater has taken for the current message.
    tail_fed: usize,
    /// The peer's DEFLATE stream ended (a BFINAL block, §7.2.3.5): the rest of the
    /// message is ignored and the inflater starts afresh for the next one.
    ended: bool,
    /// Whether the message being sent is compressed (`None` between messages).
    sending: Option<bool>,
}

impl std::fmt::Debug for DeflateCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeflateCodec")
            .field("compresses", &self.own_bits.is_some())
            .field("reset_compress", &self.reset_compress)
            .field("reset_inflate", &self.reset_inflate)
            .field("pool_compress", &self.pool_compress)
            .field("pool_inflate", &self.pool_inflate)
            .finish_non_exhaustive()
    }
}

impl DeflateCodec {
    pub(crate) fn new(role: Role, agreed: &DeflateParams, config: &DeflateConfig) -> Self {
        let (own_bits, own_reset, peer_bits, peer_reset) = match role {
            Role::Server => (
                agreed.server_max_window_bits,
                agreed.server_no_context_takeover,
                agreed.client_max_window_bits,
                agreed.client_no_context_takeover,
            ),
            Role::Client => (
                agreed.client_max_window_bits,
                agreed.client_no_context_takeover,
                agreed.server_max_window_bits,
                agreed.server_no_context_takeover,
            ),
        };
        let shared = config.mode == DeflateMode::Shared;
        Self {
            compress: None,
            own_bits: (own_bits >= 9).then_some(own_bits.min(15)),
            level: config.level.min(9),
            reset_compress: own_reset,
            pool_compress: shared && own_reset,
            threshold: config.threshold,
            inflate: None,
            // A larger window than the peer's inflates its stream just as well; zlib's
            // smallest raw inflate window is 9 bits here.
            peer_bits: peer_bits.clamp(9, 15),
            reset_inflate: peer_reset,
            pool_inflate: shared && peer_reset,
            tail_fed: 0,
            ended: false,
            sending: None,
        }
    }

    /// Whether this end holds a compressor or an inflater right now (an idle connection in
    /// the shared mode holds neither).
    #[cfg(test)]
    pub(crate) fn holds_state(&self) -> (bool, bool) {
        (self.compress.is_some(), self.inflate.is_some())
    }

    /// Whether this end can compress at all (false when its window was set to 8 bits).
    pub(crate) fn compresses(&self) -> bool {
        self.own_bits.is_some()
    }

    /// Decide, on the first frame of an outgoing message, whether it is compressed; a
    /// continuation follows its message. `whole_len` is the payload size of a message sent
    /// in one frame (`None` for the first fragment of several). Returns the decision.
    pub(crate) fn begin_or_continue(
        &mut self,
        first: bool,
        whole_len: Option<usize>,
        allowed: bool,
    ) -> bool {
        if first {
            let worth = whole_len.is_none_or(|len| len >= self.threshold);
            self.sending = Some(allowed && worth && self.own_bits.is_some());
        }
        self.sending.unwrap_or(false)
    }

    /// The end of the outgoing message (its FIN frame was queued).
    pub(crate) fn end_send(&mut self) {
        self.sending = None;
    }

    /// Compress one frame's payload of a compressed message into `out` (§7.2.1): a sync
    /// flush per frame; on the FIN frame the `00 00 ff ff` tail is removed, and an empty
    /// result becomes the single byte `00` (an empty stored block once the tail is back).
    pub(crate) fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        let Some(bits) = self.own_bits else {
            out.extend_from_slice(data);
            return;
        };
        let (level, pooled) = (self.level, self.pool_compress);
        let compress = self.compress.get_or_insert_with(|| {
            if pooled {
                pool::take_compressor(bits, level)
            } else {
                pool::new_compressor(bits, level)
            }
        });
        let start = out.len();
        out.reserve(data.len() / 2 + 64);
        let mut consumed = 0;
        loop {
            let before = compress.total_in();
            // Errors only come from misuse of the stream (none here); a BufError means
            // no progress was possible, which ends the loop below.
            let status = compress.compress_vec(&data[consumed..], out, FlushCompress::Sync);
            consumed += usize::try_from(compress.total_in() - before).unwrap_or(0);
            let room_left = out.len() < out.capacity();
            if matches!(status, Ok(Status::BufError) | Err(_))
                || (consumed == data.len() && room_left)
            {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if fin {
            if out[start..].ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if out.len() == start {
                out.push(0x00);
            }
            if self.pool_compress {
                if let Some(compress) = self.compress.take() {
                    pool::give_compressor(bits, level, compress);
                }
            } else if self.reset_compress {
                compress.reset();
            }
        }
    }

    /// Inflate from `input` into `out` until `out` holds `max_out` bytes or nothing more
    /// can be produced from `input`. Returns how many input bytes were consumed.
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<usize, ProtocolError> {
        let (peer_bits, pooled) = (self.peer_bits, self.pool_inflate);
        let inflate = self.inflate.get_or_insert_with(|| {
            if pooled {
                pool::take_inflater()
            } else {
                pool::new_inflater(peer_bits)
            }
        });
        let mut consumed = 0;
        while out.len() < max_out {
            if self.ended {
                // Bytes after a final block carry nothing (§7.2.3.5 streams end there).
                return Ok(input.len());
            }
            let start = out.len();
            // Room for what the input left is likely to give (a few times its size), growing
            // with the output, rather than a whole step: a mostly empty 64 KiB buffer for
            // every small message is memory touched for nothing.
            let guess = (input.len() - consumed)
                .saturating_mul(4)
                .max(start)
                .max(1024);
            let step = (max_out - start).min(INFLATE_STEP).min(guess);
            out.resize(start + step, 0);
            let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
            let status = inflate
                .decompress(&input[consumed..], &mut out[start..], FlushDecompress::None)
                .map_err(|_| ProtocolError::InvalidCompressedData)?;
            let used = usize::try_from(inflate.total_in() - in_before).unwrap_or(0);
            let made = usize::try_from(inflate.total_out() - out_before).unwrap_or(0);
            out.truncate(start + made);
            consumed += used;
            if status == Status::StreamEnd {
                self.ended = true;
            }
            if used == 0 && made == 0 {
                break;
            }
            if made < step && consumed == input.len() {
                // Output room was left with all input taken: nothing more is pending.
                break;
            }
        }
        Ok(consumed)
    }

    /// After the last frame's payload: feed the restored tail and drain what it releases
    /// (§7.2.2), at most up to `max_out` bytes in `out`. Returns `true` once the message is
    /// complete (then the inflater is ready for the next message).
    pub(crate) fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<bool, ProtocolError> {
        loop {
            if self.ended {
                self.tail_fed = TAIL.len();
            }
            let tail = &TAIL[self.tail_fed..];
            let before = out.len();
            let used = self.inflate(tail, out, max_out)?;
            self.tail_fed += used;
            if out.len() >= max_out {
                // The output may not be drained yet: come back for more.
                return Ok(false);
            }
            if self.tail_fed == TAIL.len() && out.len() == before {
                break;
            }
            if used == 0 && out.len() == before {
                break;
            }
        }
        if self.tail_fed < TAIL.len() {
            return Err(ProtocolError::InvalidCompressedData);
        }
        self.tail_fed = 0;
        if self.pool_inflate {
            self.release_inflater();
        } else if (self.reset_inflate || self.ended)
            && let Some(inflate) = self.inflate.as_mut()
        {
            inflate.reset(false);
        }
        self.ended = false;
        Ok(true)
    }

    /// Shared mode: give the inflater back to this thread's spares.
    fn release_inflater(&mut self) {
        if let Some(inflate) = self.inflate.take() {
            pool::give_inflater(inflate);
        }
    }

    /// The message being received was abandoned (connection failed or closed): nothing to
    /// keep.
    pub(crate) fn abandon_receive(&mut self) {
        self.tail_fed = 0;
        if self.pool_inflate {
            self.ended = false;
            self.release_inflater();
        }
    }
}
