//! The per-connection state machine of RFC 6455: bytes in, events and bytes out.
//!
//! # Driving a connection
//!
//! 1. Append bytes read from the socket to a `BytesMut` and call
//!    [`Connection::poll_event`] until it returns `Ok(None)` (it needs more bytes).
//! 2. After every call that can queue output ([`poll_event`](Connection::poll_event) and
//!    every `send_*`), write [`Connection::pending_output`] to the socket and report what
//!    was written with [`Connection::consume_output`].
//! 3. When [`Connection::poll_event`] returns `Err`, the connection has failed (§7.1.7): a
//!    close frame with the error's code is queued; write it, then close the socket.
//! 4. When [`Connection::close_state`] is [`CloseState::Closed`], the closing handshake is
//!    complete. A server closes TCP at once (§7.1.1); a client waits (bounded) for the
//!    server to close it — [`Connection::should_close_tcp`] says which applies.
//!
//! # Layout
//!
//! The state is one value per independent axis (see `state.rs`): the close progress
//! ([`CloseState`], with its diagram), the read side (header or payload of the current
//! frame), the incoming message and its delivery (buffered or streamed), and the send side
//! (is a fragmented message open?). The RFC 6455 read path (`read.rs`), the send path
//! (`send.rs`) and the hybi-00 branch (`hybi00.rs`) each add their methods to
//! [`Connection`]; the struct, its constructors, its queries and the output queue are here.

mod event;
mod hybi00;
pub(crate) mod pong;
mod read;
mod send;
mod state;

use bytes::BytesMut;
use rand::SeedableRng;
use rand::rngs::StdRng;

pub use self::event::Event;
pub use self::state::CloseState;
use self::state::{Delivery, IncomingMessage, ReadState};
use crate::close::CloseFrame;
use crate::config::{Limits, Role};
use crate::extension::deflate::{DeflateCodec, DeflateConfig, DeflateParams};
use crate::hybi00::Hybi00Codec;
use crate::message::DataKind;
use crate::utf8::Utf8Validator;
use crate::variant::Variant;

/// A WebSocket connection's protocol state, with no I/O.
///
/// ```
/// use bytes::BytesMut;
/// use rfc6455_proto::{Connection, DataKind, Event, Limits};
///
/// let mut server = Connection::server(Limits::default());
/// // RFC 6455 §5.7: a masked "Hello" from a client.
/// let mut buf = BytesMut::from(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58][..]);
/// match server.poll_event(&mut buf, false).unwrap() {
///     Some(Event::Data { kind: DataKind::Text, payload, fin: true, .. }) => assert_eq!(&payload[..], b"Hello"),
///     other => panic!("{other:?}"),
/// }
/// server.send_text("Hi").unwrap();
/// assert_eq!(server.pending_output(), &[0x81, 0x02, b'H', b'i']);
/// ```
#[derive(Debug)]
pub struct Connection {
    role: Role,
    limits: Limits,
    read: ReadState,
    incoming: Option<IncomingMessage>,
    delivery: Delivery,
    utf8: Utf8Validator,
    close: CloseState,
    /// Whether the peer's close frame arrived before ours was sent.
    peer_closed_first: Option<bool>,
    /// Boxed: set once, at the end; an open connection pays 8 bytes for it, not 40.
    peer_close: Option<Box<CloseFrame>>,
    /// The type of the fragmented message this end is sending, if one is open.
    outgoing: Option<DataKind>,
    out: BytesMut,
    /// The run of unwritten pongs at the end of `out`, bounded (see `pong.rs`); boxed,
    /// as pings are rare next to the connections that wait for them.
    owed_pong: Option<Box<pong::OwedPongs>>,
    rng: Option<Box<StdRng>>,
    /// The hybi-00 codec, when this connection speaks the legacy draft.
    hybi00: Option<Box<Hybi00Codec>>,
    /// permessage-deflate, when it was agreed: the parameters and the transform, which
    /// owns RSV1.
    deflate: Option<(DeflateParams, Box<DeflateCodec>)>,
}

impl Connection {
    /// The server end of a connection. Servers never mask (§5.1).
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert_eq!(conn.role(), rfc6455_proto::Role::Server);
    /// ```
    pub fn server(limits: Limits) -> Self {
        Self::new(Role::Server, limits, None)
    }

    /// The client end of a connection. Every frame a client sends is masked with a fresh
    /// key (§5.3); keys are drawn from a ChaCha-based CSPRNG seeded with `mask_seed`, which
    /// the caller MUST take from a strong entropy source (the OS) — this crate reads none.
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::client(Default::default(), [7; 32]);
    /// assert_eq!(conn.role(), rfc6455_proto::Role::Client);
    /// ```
    pub fn client(limits: Limits, mask_seed: [u8; 32]) -> Self {
        Self::new(
            Role::Client,
            limits,
            Some(Box::new(StdRng::from_seed(mask_seed))),
        )
    }

    fn new(role: Role, limits: Limits, rng: Option<Box<StdRng>>) -> Self {
        Self {
            role,
            limits,
            read: ReadState::Header,
            incoming: None,
            delivery: Delivery::Buffered,
            utf8: Utf8Validator::new(),
            close: CloseState::Open,
            peer_closed_first: None,
            peer_close: None,
            outgoing: None,
            out: BytesMut::new(),
            owed_pong: None,
            rng,
            hybi00: None,
            deflate: None,
        }
    }

    /// This connection with permessage-deflate (RFC 7692) applied, as agreed in the
    /// opening handshake: messages it sends are compressed per `config` (level, threshold)
    /// with RSV1 on their first frame, and received messages with RSV1 are inflated in
    /// bounded steps, counted against the message limit as they are produced. Without this
    /// call, RSV1 fails the connection with 1002 like the other reserved bits.
    ///
    /// ```
    /// use rfc6455_proto::extension::deflate::DeflateConfig;
    /// use rfc6455_proto::extension::parse_header_value;
    /// use rfc6455_proto::{Connection, Limits};
    ///
    /// let config = DeflateConfig::default();
    /// let agreed = config.accept(&parse_header_value("permessage-deflate")?).unwrap();
    /// let mut server = Connection::server(Limits::default()).with_deflate(agreed, &config);
    /// server.send_text(&"abc".repeat(100))?;
    /// assert_eq!(server.pending_output()[0], 0xc1); // FIN, RSV1, text
    /// assert_eq!(server.deflate(), Some(&agreed));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_deflate(mut self, agreed: DeflateParams, config: &DeflateConfig) -> Self {
        if self.hybi00.is_none() {
            let codec = DeflateCodec::new(self.role, &agreed, config);
            self.deflate = Some((agreed, Box::new(codec)));
        }
        self
    }

    /// The permessage-deflate parameters in force, if it was agreed.
    ///
    /// ```
    /// assert!(rfc6455_proto::Connection::server(Default::default()).deflate().is_none());
    /// ```
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref().map(|(params, _)| params)
    }

    /// Whether the deflate transform holds a compressor and an inflater right now.
    #[cfg(test)]
    pub(crate) fn deflate_holds(&self) -> Option<(bool, bool)> {
        self.deflate.as_ref().map(|(_, codec)| codec.holds_state())
    }

    /// The protocol this connection speaks.
    pub fn variant(&self) -> Variant {
        if self.hybi00.is_some() {
            Variant::Hybi00
        } else {
            Variant::Rfc6455
        }
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits in force, as given when the connection was made.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Progress of the closing handshake.
    pub fn close_state(&self) -> CloseState {
        self.close
    }

    /// The peer's close frame, once received: `None` until then. A close frame without a
    /// status code (and hybi-00's close) is reported with code 1005
    /// ([`CloseCode::NO_STATUS`](crate::CloseCode::NO_STATUS)) and no reason, as RFC 6455
    /// §7.1.5 defines.
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert!(conn.peer_close().is_none());
    /// ```
    pub fn peer_close(&self) -> Option<&CloseFrame> {
        self.peer_close.as_deref()
    }

    /// Whether the peer started the closing handshake (`Some(true)`), this end did
    /// (`Some(false)`), or it has not completed (`None`).
    pub fn peer_closed_first(&self) -> Option<bool> {
        self.peer_closed_first
    }

    /// Whether a fragmented message this end is *receiving* is in progress.
    pub fn is_receiving_message(&self) -> bool {
        self.incoming.is_some()
    }

    /// Whether a fragmented message this end is *sending* is open.
    pub fn is_sending_message(&self) -> bool {
        self.outgoing.is_some()
    }

    /// Whether the caller should close the TCP connection once the pending output is
    /// written: after a failure, or after the closing handshake on the server (§7.1.1: "the
    /// underlying TCP connection, in most normal cases, SHOULD be closed first by the
    /// server"). A client whose handshake is `Closed` should instead wait a bounded time
    /// for the server to close, then close itself.
    ///
    /// ```
    /// let conn = rfc6455_proto::Connection::server(Default::default());
    /// assert!(!conn.should_close_tcp());
    /// ```
    pub fn should_close_tcp(&self) -> bool {
        match self.close {
            CloseState::Failed => true,
            CloseState::Closed => self.role == Role::Server,
            CloseState::Open | CloseState::CloseSent => false,
        }
    }

    /// The bytes queued for the peer, oldest first.
    pub fn pending_output(&self) -> &[u8] {
        &self.out
    }

    /// Whether bytes are queued for the peer.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Report that the first `n` bytes of [`pending_output`](Self::pending_output) were
    /// written. Once all of it is written, the output buffer has its whole room again for
    /// the next sends.
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// conn.swap_output_buffer(bytes::BytesMut::with_capacity(4096));
    /// conn.send_text("hello").unwrap();
    /// conn.consume_output(7);
    /// assert_eq!(conn.output_capacity(), 4096, "all written: the whole room is back");
    /// conn.send_text("hello").unwrap();
    /// conn.consume_output(2); // the frame header
    /// assert_eq!(conn.pending_output(), b"hello");
    /// conn.consume_output(5);
    /// assert!(!conn.has_output());
    /// // Until a send reclaims it, the room behind a partial write is gone.
    /// assert_eq!(conn.output_capacity(), 4096 - 2);
    /// ```
    ///
    /// # Panics
    /// If `n` exceeds the pending length (a caller bug, never caused by the peer).
    pub fn consume_output(&mut self, n: usize) {
        // `advance`, not `split_to`: the written bytes need no handle of their own, and
        // splitting would turn the buffer into a shared one (an allocation per write).
        // All of it written (the usual case): `clear` keeps the buffer's start where it
        // is, so the next send needs no reclaim of the room advancing would leave behind.
        if n == self.out.len() {
            self.out.clear();
        } else {
            bytes::Buf::advance(&mut self.out, n);
        }
        self.pong_written(n);
        if self.out.is_empty() && self.out.capacity() > 64 * 1024 {
            // Give back a buffer that a large message grew, so idle connections stay small.
            self.out = BytesMut::new();
        }
    }

    /// Give back the output buffer's memory if nothing is queued (for connections that
    /// go idle: they then hold no output buffer).
    pub fn shrink_output(&mut self) {
        if self.out.is_empty() && self.out.capacity() > 0 {
            self.out = BytesMut::new();
        }
    }

    /// The room the output buffer has for the next sends without growing (0 once
    /// [`shrink_output`](Self::shrink_output) or
    /// [`swap_output_buffer`](Self::swap_output_buffer) took it).
    ///
    /// ```
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// assert_eq!(conn.output_capacity(), 0);
    /// conn.send_text("hi").unwrap();
    /// assert!(conn.output_capacity() >= 4);
    /// ```
    pub fn output_capacity(&self) -> usize {
        self.out.capacity()
    }

    /// Put `spare` in place of the output buffer and return the one it replaces, emptied;
    /// while output is queued, nothing changes and `spare` comes back. For a caller that
    /// keeps spare buffers for its connections: one that goes idle hands its buffer back,
    /// and one about to send takes a spare instead of allocating.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut conn = rfc6455_proto::Connection::server(Default::default());
    /// let old = conn.swap_output_buffer(BytesMut::with_capacity(4096));
    /// assert_eq!(old.capacity(), 0);
    /// conn.send_text("hi").unwrap();
    /// assert!(conn.output_capacity() >= 4096 - 4);
    /// // Queued output stays where it is.
    /// let back = conn.swap_output_buffer(BytesMut::with_capacity(8));
    /// assert_eq!(back.capacity(), 8);
    /// assert_eq!(conn.pending_output(), b"\x81\x02hi");
    /// ```
    pub fn swap_output_buffer(&mut self, mut spare: BytesMut) -> BytesMut {
        if !self.out.is_empty() {
            return spare;
        }
        spare.clear();
        std::mem::replace(&mut self.out, spare)
    }

    /// Take all queued output as one buffer (for a writer that owns what it writes).
    pub fn take_output(&mut self) -> BytesMut {
        self.owed_pong = None;
        self.out.split()
    }
}
