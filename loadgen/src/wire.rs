//! The load generator's own client side of RFC 6455.
//!
//! Frames are built once, up front, with a fixed masking key, so sending a
//! message costs one `write` of pre-built bytes. Echoes are checked by a
//! streaming parser that never buffers a whole message: it compares each
//! chunk of payload against what was sent as it arrives. The parser accepts
//! both unmasked frames (what a WebSocket server sends) and masked frames (what
//! `raw-echo` sends back: the client's own frames, byte for byte).

use std::io;
use std::sync::OnceLock;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The `Sec-WebSocket-Key` every connection sends (the sample key of RFC 6455).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The fixed masking key of every frame the load generator sends.
pub const MASK: [u8; 4] = [0x5a, 0xc3, 0x17, 0x8e];

/// Opcode of a continuation frame.
pub const OP_CONT: u8 = 0x0;
/// Opcode of a text frame.
pub const OP_TEXT: u8 = 0x1;
/// Opcode of a binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Opcode of a close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Opcode of a ping frame.
pub const OP_PING: u8 = 0x9;
/// Opcode of a pong frame.
pub const OP_PONG: u8 = 0xA;

/// The opening handshake request for a server on 127.0.0.1:`port`, path `/`.
pub fn upgrade_request(port: u16) -> Vec<u8> {
    upgrade_request_to(&format!("127.0.0.1:{port}"), "/")
}

/// The opening handshake request for `path` (with its query) on the server named
/// `host` (the `Host` header's value: a name or address and, unless it is the
/// scheme's default, `:port`).
pub fn upgrade_request_to(host: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\n\
         Host: {host}\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\n\
         Sec-WebSocket-Version: 13\r\n\
         \r\n"
    )
    .into_bytes()
}

/// The `Sec-WebSocket-Accept` value of [`KEY`] (RFC 6455 §4.2.2).
fn accept_key(key: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(key);
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

fn expected_accept() -> &'static str {
    static ACCEPT: OnceLock<String> = OnceLock::new();
    ACCEPT.get_or_init(|| accept_key(KEY.as_bytes()))
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Checks a handshake response head (everything up to and including the
/// blank line): status 101, `Upgrade: websocket` and the right
/// `Sec-WebSocket-Accept`.
pub fn check_response(head: &[u8]) -> io::Result<()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(bad("incomplete handshake response")),
        Err(e) => return Err(bad(format!("bad handshake response: {e}"))),
    }
    if resp.code != Some(101) {
        return Err(bad(format!(
            "handshake status {:?}, expected 101",
            resp.code
        )));
    }
    let mut upgrade = false;
    let mut accept = false;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("upgrade") {
            upgrade = h.value.eq_ignore_ascii_case(b"websocket");
        } else if h.name.eq_ignore_ascii_case("sec-websocket-accept") {
            accept = h.value == expected_accept().as_bytes();
        }
    }
    if !upgrade {
        return Err(bad("handshake response lacks Upgrade: websocket"));
    }
    if !accept {
        return Err(bad("handshake response has a wrong Sec-WebSocket-Accept"));
    }
    Ok(())
}

/// Performs the client side of the opening handshake. Returns the bytes that
/// arrived after the response head (the start of the first frames, if any).
pub async fn client_handshake<S>(stream: &mut S, request: &[u8]) -> io::Result<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(request).await?;
    let mut buf = Vec::with_capacity(512);
    loop {
        if buf.len() >= 16 * 1024 {
            return Err(bad("handshake response head too large"));
        }
        buf.reserve(512);
        let n = stream.read_buf(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if let Some(end) = find_head_end(&buf) {
            check_response(&buf[..end])?;
            return Ok(buf.split_off(end));
        }
    }
}

/// Index just past the `\r\n\r\n` that ends an HTTP head.
pub fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Applies the masking key to `data`, whose first byte has offset `offset`
/// in the frame's payload.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(offset + i) & 3];
    }
}

/// A complete, final, masked frame with the load generator's fixed key.
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = Vec::with_capacity(len + 14);
    f.push(0x80 | opcode);
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    f.extend_from_slice(&MASK);
    let start = f.len();
    f.extend_from_slice(payload);
    apply_mask(&mut f[start..], MASK, 0);
    f
}

/// A masked close frame with status 1000 (normal closure).
pub fn close_frame() -> Vec<u8> {
    masked_frame(OP_CLOSE, &1000u16.to_be_bytes())
}

/// A deterministic payload of `size` bytes: printable ASCII for text (so the
/// server has to validate UTF-8 on a valid input), pseudo-random bytes
/// (including invalid UTF-8 sequences) for binary.
pub fn payload(size: usize, text: bool) -> Vec<u8> {
    if text {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,";
        (0..size).map(|i| ALPHABET[i % ALPHABET.len()]).collect()
    } else {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }
}

/// What the echo of a message must look like.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Opcode of the message ([`OP_TEXT`] or [`OP_BINARY`]).
    pub opcode: u8,
    /// The payload as sent, unmasked.
    pub plain: Vec<u8>,
    /// The payload as it is on the wire, masked with [`MASK`] from offset 0.
    pub masked: Vec<u8>,
}

impl Expected {
    /// The expectation for a message with this opcode and payload.
    pub fn new(opcode: u8, plain: Vec<u8>) -> Self {
        let mut masked = plain.clone();
        apply_mask(&mut masked, MASK, 0);
        Self {
            opcode,
            plain,
            masked,
        }
    }

    /// The expectation for a connection that sends no data messages.
    pub fn none() -> Self {
        Self::new(OP_BINARY, Vec::new())
    }

    /// The complete masked frame carrying this message.
    pub fn frame(&self) -> Vec<u8> {
        masked_frame(self.opcode, &self.plain)
    }
}

/// What one call of [`EchoParser::feed`] saw.
#[derive(Debug, Default)]
pub struct Progress {
    /// Data messages completed (all their frames checked against what was sent).
    pub messages: usize,
    /// A close frame arrived (the parser ignores everything after it).
    pub close: bool,
    /// Payloads of pings that arrived; the caller answers each with a pong.
    pub pings: Vec<Vec<u8>>,
}

/// Streaming parser of echoed frames; see the module documentation.
#[derive(Debug)]
pub struct EchoParser<'a> {
    expected: &'a Expected,
    hdr: [u8; 14],
    hdr_len: usize,
    in_payload: bool,
    remaining: u64,
    fin: bool,
    opcode: u8,
    masked: bool,
    key: [u8; 4],
    frame_pos: usize,
    frame_msg_start: usize,
    msg_open: bool,
    msg_off: usize,
    ctrl: Vec<u8>,
    scratch: Vec<u8>,
    closed: bool,
    close_code: Option<u16>,
}

impl<'a> EchoParser<'a> {
    /// A parser expecting echoes of `expected`.
    pub fn new(expected: &'a Expected) -> Self {
        Self {
            expected,
            hdr: [0; 14],
            hdr_len: 0,
            in_payload: false,
            remaining: 0,
            fin: false,
            opcode: 0,
            masked: false,
            key: [0; 4],
            frame_pos: 0,
            frame_msg_start: 0,
            msg_open: false,
            msg_off: 0,
            ctrl: Vec::new(),
            scratch: Vec::new(),
            closed: false,
            close_code: None,
        }
    }

    /// Whether a close frame has been seen.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The status code of the close frame seen, if it had one.
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Feeds received bytes, adding what completed to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Progress) -> io::Result<()> {
        while !data.is_empty() && !self.closed {
            if !self.in_payload {
                let need = if self.hdr_len < 2 {
                    2
                } else {
                    header_len(self.hdr[1])
                };
                let take = (need - self.hdr_len).min(data.len());
                self.hdr[self.hdr_len..self.hdr_len + take].copy_from_slice(&data[..take]);
                self.hdr_len += take;
                data = &data[take..];
                if self.hdr_len < 2 || self.hdr_len < header_len(self.hdr[1]) {
                    continue;
                }
                self.start_frame()?;
                if self.remaining == 0 {
                    self.end_frame(out)?;
                }
                continue;
            }
            let n = (self.remaining.min(data.len() as u64)) as usize;
            self.payload(&data[..n])?;
            data = &data[n..];
            self.remaining -= n as u64;
            self.frame_pos += n;
            if self.remaining == 0 {
                self.end_frame(out)?;
            }
        }
        Ok(())
    }

    fn start_frame(&mut self) -> io::Result<()> {
        let b0 = self.hdr[0];
        let b1 = self.hdr[1];
        self.hdr_len = 0;
        if b0 & 0x70 != 0 {
            return Err(bad("echo frame has RSV bits set"));
        }
        self.fin = b0 & 0x80 != 0;
        self.opcode = b0 & 0x0F;
        self.masked = b1 & 0x80 != 0;
        let (len, key_at) = match b1 & 0x7F {
            126 => (u64::from(u16::from_be_bytes([self.hdr[2], self.hdr[3]])), 4),
            127 => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&self.hdr[2..10]);
                (u64::from_be_bytes(l), 10)
            }
            l => (u64::from(l), 2),
        };
        if self.masked {
            self.key.copy_from_slice(&self.hdr[key_at..key_at + 4]);
        }
        self.remaining = len;
        self.frame_pos = 0;
        self.in_payload = true;
        match self.opcode {
            OP_CLOSE | OP_PING | OP_PONG => {
                if !self.fin || len > 125 {
                    return Err(bad("malformed control frame in echo"));
                }
                self.ctrl.clear();
            }
            OP_TEXT | OP_BINARY => {
                if self.msg_open {
                    return Err(bad("new data frame inside a fragmented echo"));
                }
                if self.opcode != self.expected.opcode {
                    return Err(bad(format!(
                        "echo has opcode {:#x}, sent {:#x}",
                        self.opcode, self.expected.opcode
                    )));
                }
                self.msg_open = true;
                self.msg_off = 0;
            }
            OP_CONT => {
                if !self.msg_open {
                    return Err(bad("continuation frame without a message"));
                }
            }
            op => return Err(bad(format!("echo has reserved opcode {op:#x}"))),
        }
        if self.opcode < 8 {
            if len > (self.expected.plain.len() - self.msg_off) as u64 {
                return Err(bad("echo is longer than the message sent"));
            }
            self.frame_msg_start = self.msg_off;
        }
        Ok(())
    }

    fn payload(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.opcode >= 8 {
            self.ctrl.extend_from_slice(chunk);
            return Ok(());
        }
        let at = self.msg_off;
        let same = if !self.masked {
            chunk == &self.expected.plain[at..at + chunk.len()]
        } else if self.key == MASK && self.frame_msg_start.is_multiple_of(4) {
            // raw-echo sends our own frame back: compare the wire bytes.
            chunk == &self.expected.masked[at..at + chunk.len()]
        } else {
            self.scratch.clear();
            self.scratch.extend_from_slice(chunk);
            apply_mask(&mut self.scratch, self.key, self.frame_pos);
            self.scratch[..] == self.expected.plain[at..at + chunk.len()]
        };
        if !same {
            return Err(bad(format!(
                "echo differs from the message sent near byte {at}"
            )));
        }
        self.msg_off += chunk.len();
        Ok(())
    }

    fn end_frame(&mut self, out: &mut Progress) -> io::Result<()> {
        self.in_payload = false;
        if self.opcode >= 8 {
            if self.masked {
                apply_mask(&mut self.ctrl, self.key, 0);
            }
            match self.opcode {
                OP_CLOSE => {
                    self.closed = true;
                    if self.ctrl.len() >= 2 {
                        self.close_code = Some(u16::from_be_bytes([self.ctrl[0], self.ctrl[1]]));
                    }
                    out.close = true;
                }
                OP_PING => out.pings.push(self.ctrl.clone()),
                _ => {}
            }
            return Ok(());
        }
        if self.fin {
            if self.msg_off != self.expected.plain.len() {
                return Err(bad(format!(
                    "echo has {} bytes, sent {}",
                    self.msg_off,
                    self.expected.plain.len()
                )));
            }
            self.msg_open = false;
            self.msg_off = 0;
            out.messages += 1;
        }
        Ok(())
    }
}

/// Total header length (2..=14) given the second header byte.
fn header_len(b1: u8) -> usize {
    let ext = match b1 & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmasked_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = masked_frame(opcode, payload);
        // Rebuild without the mask: clear the mask bit, drop the key, unmask.
        let key_at = header_len(f[1]) - 4;
        f[1] &= 0x7F;
        f.drain(key_at..key_at + 4);
        apply_mask(&mut f[key_at..], MASK, 0);
        if !fin {
            f[0] &= 0x7F;
        }
        f
    }

    fn feed_bytewise(p: &mut EchoParser<'_>, data: &[u8]) -> Progress {
        let mut out = Progress::default();
        for b in data {
            p.feed(std::slice::from_ref(b), &mut out).unwrap();
        }
        out
    }

    #[test]
    fn masked_echo_of_own_frames() {
        for size in [0, 1, 125, 126, 65535, 65536, 100_000] {
            let e = Expected::new(OP_TEXT, payload(size, true));
            let frames: Vec<u8> = [e.frame(), e.frame()].concat();
            let mut p = EchoParser::new(&e);
            let mut out = Progress::default();
            p.feed(&frames, &mut out).unwrap();
            assert_eq!(out.messages, 2, "size {size}");
            if size < 1000 {
                let out = feed_bytewise(&mut EchoParser::new(&e), &frames);
                assert_eq!(out.messages, 2);
            }
        }
    }

    #[test]
    fn unmasked_and_fragmented_echo() {
        let e = Expected::new(OP_BINARY, payload(70_001, false));
        let mut wire = unmasked_frame(false, OP_BINARY, &e.plain[..3]);
        wire.extend(unmasked_frame(false, OP_CONT, &e.plain[3..40_000]));
        wire.extend(unmasked_frame(true, OP_PING, b"hi"));
        wire.extend(unmasked_frame(true, OP_CONT, &e.plain[40_000..]));
        wire.extend(unmasked_frame(true, OP_CLOSE, &1000u16.to_be_bytes()));
        let out = feed_bytewise(&mut EchoParser::new(&e), &wire);
        assert_eq!(out.messages, 1);
        assert_eq!(out.pings, vec![b"hi".to_vec()]);
        assert!(out.close);
    }

    #[test]
    fn masked_with_other_key_and_offset() {
        let e = Expected::new(OP_TEXT, payload(1000, true));
        let key = [1, 2, 3, 4];
        let mut wire = Vec::new();
        for (fin, op, range) in [(false, OP_TEXT, 0..3), (true, OP_CONT, 3..1000)] {
            let mut f = unmasked_frame(fin, op, &e.plain[range]);
            let at = header_len(f[1]);
            f[1] |= 0x80;
            f.splice(at..at, key);
            apply_mask(&mut f[at + 4..], key, 0);
            wire.extend(f);
        }
        let out = feed_bytewise(&mut EchoParser::new(&e), &wire);
        assert_eq!(out.messages, 1);
    }

    #[test]
    fn corrupted_echo_is_rejected() {
        let e = Expected::new(OP_TEXT, payload(300, true));
        let mut wire = unmasked_frame(true, OP_TEXT, &e.plain);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let mut out = Progress::default();
        assert!(EchoParser::new(&e).feed(&wire, &mut out).is_err());
        let short = unmasked_frame(true, OP_TEXT, &e.plain[..299]);
        assert!(EchoParser::new(&e).feed(&short, &mut out).is_err());
        let wrong_op = unmasked_frame(true, OP_BINARY, &e.plain);
        assert!(EchoParser::new(&e).feed(&wrong_op, &mut out).is_err());
    }

    #[test]
    fn handshake_response_check() {
        let ok = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            expected_accept()
        );
        check_response(ok.as_bytes()).unwrap();
        let wrong = ok.replace("101 Switching Protocols", "200 OK");
        assert!(check_response(wrong.as_bytes()).is_err());
        let wrong = ok.replace(expected_accept(), "AAAA");
        assert!(check_response(wrong.as_bytes()).is_err());
    }
}
