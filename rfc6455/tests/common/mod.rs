//! Helpers shared by the loopback tests: servers on 127.0.0.1 port 0, a bound on every
//! wait, and a hand-written peer that speaks raw frames so tests can send what our own
//! client never would (unmasked frames, invalid UTF-8, reserved opcodes) and see exactly
//! what our end puts on the wire.
//!
//! The raw peer encodes and decodes frames by hand (RFC 6455 §5.2), independently of the
//! library, so it is an oracle for the library's framing rather than a mirror of it.

// Each test file uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rfc6455::{ServerHandle, ServerOptions, WebSocket, serve};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The upper bound on any single wait in these tests: a hang fails instead of blocking.
/// Generous, because debug builds under a loaded CI machine are slow (an 8 MiB text
/// message is validated as UTF-8 several times).
pub const LIMIT: Duration = Duration::from_secs(60);

/// The RFC 6455 §1.3 sample key and its accept value: an oracle independent of the library.
pub const SAMPLE_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const SAMPLE_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Await `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn within<F: Future>(fut: F) -> F::Output {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {LIMIT:?}"),
    }
}

/// Server options listening on 127.0.0.1, port 0.
pub fn local() -> ServerOptions {
    ServerOptions::default().listen_addr(Ipv4Addr::LOCALHOST.into())
}

/// `ws://127.0.0.1:port{path}` for a running server.
pub fn url(server: &ServerHandle, path: &str) -> String {
    format!("ws://127.0.0.1:{}{path}", server.local_addr().port())
}

/// A server whose handler echoes every message until the connection ends.
pub async fn echo_server(options: ServerOptions) -> ServerHandle {
    serve(options, |mut ws| async move {
        while let Some(Ok(msg)) = ws.recv().await {
            if ws.send(msg).await.is_err() {
                break;
            }
        }
    })
    .await
    .expect("bind")
}

/// A server that runs `handler` for its first connection only (later ones are dropped), so
/// the handler can own channels back to the test.
pub async fn serve_one<F, Fut>(options: ServerOptions, handler: F) -> ServerHandle
where
    F: FnOnce(WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Some(handler)));
    serve(options, move |ws| {
        let handler = slot.lock().unwrap().take();
        async move {
            if let Some(handler) = handler {
                handler(ws).await;
            }
        }
    })
    .await
    .expect("bind")
}

/// Deterministic test data: `len` bytes that differ with `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
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

/// Deterministic text of exactly `len` bytes with multi-byte characters.
pub fn text_pattern(seed: u64, len: usize) -> String {
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

// ------------------------------------------------------------------ raw frames

/// A frame as read off the wire, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The status code and reason of a close frame.
    pub fn close_parts(&self) -> (Option<u16>, String) {
        assert_eq!(self.opcode, OP_CLOSE, "not a close frame: {self:?}");
        if self.payload.len() < 2 {
            return (None, String::new());
        }
        let code = u16::from_be_bytes([self.payload[0], self.payload[1]]);
        let reason = String::from_utf8(self.payload[2..].to_vec()).expect("UTF-8 reason");
        (Some(code), reason)
    }
}

/// Encode one frame: `b0` is the first byte (FIN, RSV, opcode); masked with `mask` if given.
pub fn encode_frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![b0];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// The first byte of a frame.
pub fn b0(fin: bool, opcode: u8) -> u8 {
    (if fin { 0x80 } else { 0 }) | opcode
}

/// A close payload: code and reason.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// A hand-written WebSocket peer over TCP: a client (masks what it sends) or a server.
#[derive(Debug)]
pub struct RawPeer {
    pub io: TcpStream,
    /// Mask outgoing frames (this peer is a client).
    pub masks: bool,
    counter: u32,
}

impl RawPeer {
    /// Connect to `addr`, send an upgrade request for `path` (with the RFC sample key),
    /// and check the 101 answer. Returns the peer and the response head.
    pub async fn connect(addr: SocketAddr, path: &str) -> (Self, String) {
        Self::connect_then(addr, path, &[]).await
    }

    /// As [`connect`](Self::connect), and send `extra` in the same write as the request
    /// (bytes that reach the server before it has answered).
    pub async fn connect_then(addr: SocketAddr, path: &str, extra: &[u8]) -> (Self, String) {
        let mut io = TcpStream::connect(addr).await.expect("connect");
        io.set_nodelay(true).unwrap();
        let mut request = upgrade_request(addr, path, SAMPLE_KEY, "13").into_bytes();
        request.extend_from_slice(extra);
        io.write_all(&request).await.unwrap();
        let head = read_head(&mut io).await;
        assert!(head.starts_with("HTTP/1.1 101"), "not a 101: {head}");
        let accept = header_value(&head, "sec-websocket-accept").expect("accept header");
        assert_eq!(accept, SAMPLE_ACCEPT);
        (
            Self {
                io,
                masks: true,
                counter: 0,
            },
            head,
        )
    }

    /// Wrap an accepted TCP connection as a raw server: read the client's request, answer
    /// 101 with the right accept key (plus `extra_headers`, each line without CRLF), and
    /// write `after` in the same write. Returns the peer and the request head.
    pub async fn accept(
        listener: &TcpListener,
        extra_headers: &[&str],
        after: &[u8],
    ) -> (Self, String) {
        let (mut io, _) = listener.accept().await.expect("accept");
        io.set_nodelay(true).unwrap();
        let head = read_head(&mut io).await;
        let key = header_value(&head, "sec-websocket-key").expect("client sent no key");
        let accept = rfc6455::proto::handshake::accept_key(key.as_bytes());
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
        );
        for h in extra_headers {
            response.push_str(h);
            response.push_str("\r\n");
        }
        response.push_str("\r\n");
        let mut bytes = response.into_bytes();
        bytes.extend_from_slice(after);
        io.write_all(&bytes).await.unwrap();
        (
            Self {
                io,
                masks: false,
                counter: 0,
            },
            head,
        )
    }

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        self.masks.then(|| {
            self.counter = self.counter.wrapping_add(0x3A5F_1C27);
            (self.counter | 0x0101_0101).to_be_bytes()
        })
    }

    /// Send a frame, masked if this peer is a client.
    pub async fn send(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let mask = self.next_mask();
        let bytes = encode_frame(b0(fin, opcode), payload, mask);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a frame with a hand-made first byte (RSV bits, reserved opcodes), masked as
    /// [`send`](Self::send).
    pub async fn send_b0(&mut self, b0: u8, payload: &[u8]) {
        let mask = self.next_mask();
        let bytes = encode_frame(b0, payload, mask);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a frame that is never masked, whatever the role.
    pub async fn send_unmasked(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let bytes = encode_frame(b0(fin, opcode), payload, None);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a frame that is always masked, whatever the role.
    pub async fn send_masked(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let bytes = encode_frame(b0(fin, opcode), payload, Some([1, 2, 3, 4]));
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a close frame.
    pub async fn send_close(&mut self, code: u16, reason: &str) {
        self.send(true, OP_CLOSE, &close_payload(code, reason))
            .await;
    }

    /// Read one frame; `None` at a clean end of stream before a header (or on a reset).
    pub async fn recv(&mut self) -> Option<Frame> {
        read_frame(&mut self.io).await
    }

    /// Read frames until a close frame, checking that it is masked as the role says.
    /// Returns its code and reason. Data frames before it are skipped.
    pub async fn expect_close(&mut self) -> (Option<u16>, String) {
        loop {
            let frame = self.recv().await.expect("EOF before a close frame");
            if frame.opcode == OP_CLOSE {
                assert_eq!(
                    frame.mask.is_some(),
                    !self.masks,
                    "close frame masking: {frame:?}"
                );
                return frame.close_parts();
            }
        }
    }

    /// Wait for the other end to close TCP (EOF or reset). Fails if a frame arrives.
    pub async fn expect_eof(&mut self) {
        let mut buf = [0u8; 1];
        match self.io.read(&mut buf).await {
            Ok(0) | Err(_) => {}
            Ok(_) => panic!("expected the end of the stream, got a byte {:#x}", buf[0]),
        }
    }
}

/// Read one frame from `io`; `None` at end of stream before a header.
pub async fn read_frame<R: AsyncRead + Unpin>(io: &mut R) -> Option<Frame> {
    let mut head = [0u8; 2];
    match io.read_exact(&mut head).await {
        Ok(_) => {}
        Err(_) => return None,
    }
    let fin = head[0] & 0x80 != 0;
    let rsv = (head[0] >> 4) & 7;
    let opcode = head[0] & 0x0F;
    let masked = head[1] & 0x80 != 0;
    let len = match head[1] & 0x7F {
        126 => u64::from(io.read_u16().await.ok()?),
        127 => io.read_u64().await.ok()?,
        n => u64::from(n),
    };
    let mask = if masked {
        let mut key = [0u8; 4];
        io.read_exact(&mut key).await.ok()?;
        Some(key)
    } else {
        None
    };
    let mut payload = vec![0u8; usize::try_from(len).unwrap()];
    io.read_exact(&mut payload).await.ok()?;
    if let Some(key) = mask {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    Some(Frame {
        fin,
        rsv,
        opcode,
        mask,
        payload,
    })
}

// ------------------------------------------------------------------ raw HTTP

/// An upgrade request for `path` with the given key and version.
pub fn upgrade_request(addr: SocketAddr, path: &str, key: &str, version: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
    )
}

/// Read an HTTP head (up to and including the blank line) byte by byte, so nothing after
/// it is consumed.
pub async fn read_head(io: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let b = io.read_u8().await.expect("EOF inside an HTTP head");
        head.push(b);
        assert!(head.len() < 64 * 1024, "HTTP head too long");
    }
    String::from_utf8(head).expect("ASCII head")
}

/// The value of header `name` (case-insensitive) in an HTTP head.
pub fn header_value(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// An HTTP answer read by [`http_exchange`].
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<String> {
        header_value(&self.head, name)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Send a raw HTTP request to `addr` and read the answer (head, then a body of
/// `Content-Length` bytes).
pub async fn http_exchange(addr: SocketAddr, request: &str) -> HttpAnswer {
    let mut io = TcpStream::connect(addr).await.expect("connect");
    io.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut io).await;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let len: usize = header_value(&head, "content-length")
        .map(|v| v.parse().expect("content-length"))
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0u8; len];
    io.read_exact(&mut body).await.unwrap();
    HttpAnswer { status, head, body }
}

/// A listener on 127.0.0.1 port 0 and the `ws://` URL that reaches it.
pub async fn raw_listener(path: &str) -> (TcpListener, String) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, format!("ws://127.0.0.1:{port}{path}"))
}
