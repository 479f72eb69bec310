//! A hand-written WebSocket peer that speaks raw frames (RFC 6455 §5.2): it sends what
//! our own client never would (unmasked frames, invalid UTF-8, reserved opcodes) and shows
//! exactly what our end puts on the wire. It encodes and decodes by hand, independently of
//! the library.

use std::net::{Ipv4Addr, SocketAddr};

use rfc6455::Role;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::http::{SAMPLE_ACCEPT, header_value, read_head, upgrade_request};

pub(crate) const OP_CONT: u8 = 0x0;
pub(crate) const OP_TEXT: u8 = 0x1;
pub(crate) const OP_BINARY: u8 = 0x2;
pub(crate) const OP_CLOSE: u8 = 0x8;
pub(crate) const OP_PING: u8 = 0x9;
pub(crate) const OP_PONG: u8 = 0xA;

/// A frame as read off the wire, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    pub(crate) payload: Vec<u8>,
}

impl Frame {
    /// The status code and reason of a close frame.
    pub(crate) fn close_parts(&self) -> (Option<u16>, String) {
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
pub(crate) fn encode_frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
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
pub(crate) fn b0(fin: bool, opcode: u8) -> u8 {
    (if fin { 0x80 } else { 0 }) | opcode
}

/// A close payload: code and reason.
pub(crate) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Read one frame from `io`; `None` at end of stream before a header.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(io: &mut R) -> Option<Frame> {
    let mut head = [0u8; 2];
    io.read_exact(&mut head).await.ok()?;
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

/// A listener on 127.0.0.1 port 0 and the `ws://` URL that reaches it.
pub(crate) async fn raw_listener(path: &str) -> (TcpListener, String) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, format!("ws://127.0.0.1:{port}{path}"))
}

/// A hand-written WebSocket peer, a client (masks what it sends) or a server, over TCP or
/// any other stream.
#[derive(Debug)]
pub(crate) struct RawPeer<S = TcpStream> {
    pub(crate) io: S,
    /// Mask outgoing frames (this peer is a client).
    pub(crate) masks: bool,
    counter: u32,
}

impl RawPeer {
    /// Connect to `addr`, send an upgrade request for `path` (with the RFC sample key),
    /// and check the 101 answer. Returns the peer and the response head.
    pub(crate) async fn connect(addr: SocketAddr, path: &str) -> (Self, String) {
        Self::connect_then(addr, path, &[]).await
    }

    /// As [`connect`](Self::connect), and send `extra` in the same write as the request
    /// (bytes that reach the server before it has answered).
    pub(crate) async fn connect_then(addr: SocketAddr, path: &str, extra: &[u8]) -> (Self, String) {
        let mut io = TcpStream::connect(addr).await.expect("connect");
        io.set_nodelay(true).unwrap();
        let mut request = upgrade_request(addr, path, "").into_bytes();
        request.extend_from_slice(extra);
        io.write_all(&request).await.unwrap();
        let head = read_head(&mut io).await;
        assert!(head.starts_with("HTTP/1.1 101"), "not a 101: {head}");
        let accept = header_value(&head, "sec-websocket-accept").expect("accept header");
        assert_eq!(accept, SAMPLE_ACCEPT);
        (Self::new(io, Role::Client), head)
    }

    /// Wrap an accepted TCP connection as a raw server: read the client's request, answer
    /// 101 with the right accept key (plus `extra_headers`, each line without CRLF), and
    /// write `after` in the same write. Returns the peer and the request head.
    pub(crate) async fn accept(
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
        (Self::new(io, Role::Server), head)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawPeer<S> {
    /// A peer in `role` on `io`, after the opening handshake.
    pub(crate) fn new(io: S, role: Role) -> Self {
        Self {
            io,
            masks: role == Role::Client,
            counter: 0,
        }
    }

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        self.masks.then(|| {
            self.counter = self.counter.wrapping_add(0x3A5F_1C27);
            (self.counter | 0x0101_0101).to_be_bytes()
        })
    }

    /// Send a frame, masked if this peer is a client.
    pub(crate) async fn send(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        self.send_b0(b0(fin, opcode), payload).await;
    }

    /// Send a frame with a hand-made first byte (RSV bits, reserved opcodes), masked as
    /// [`send`](Self::send).
    pub(crate) async fn send_b0(&mut self, b0: u8, payload: &[u8]) {
        let mask = self.next_mask();
        let bytes = encode_frame(b0, payload, mask);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a frame that is never masked, whatever the role.
    pub(crate) async fn send_unmasked(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let bytes = encode_frame(b0(fin, opcode), payload, None);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a frame that is always masked, whatever the role.
    pub(crate) async fn send_masked(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        let bytes = encode_frame(b0(fin, opcode), payload, Some([1, 2, 3, 4]));
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Send a close frame.
    pub(crate) async fn send_close(&mut self, code: u16, reason: &str) {
        self.send(true, OP_CLOSE, &close_payload(code, reason))
            .await;
    }

    /// Read one frame; `None` at a clean end of stream before a header (or on a reset).
    pub(crate) async fn recv(&mut self) -> Option<Frame> {
        read_frame(&mut self.io).await
    }

    /// Read frames until a close frame, checking that it is masked as the role says.
    /// Returns its code and reason. Data frames before it are skipped.
    pub(crate) async fn expect_close(&mut self) -> (Option<u16>, String) {
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

    /// Wait for the other end to close (EOF or reset). Fails if a byte arrives.
    pub(crate) async fn expect_eof(&mut self) {
        let mut buf = [0u8; 1];
        match self.io.read(&mut buf).await {
            Ok(0) | Err(_) => {}
            Ok(_) => panic!("expected the end of the stream, got a byte {:#x}", buf[0]),
        }
    }
}
