//! [`Driver`]: the state of one established connection (protocol core, stream, read
//! buffer, timers) and the `poll_*` methods that move it forward.
//!
//! [`WebSocket`](crate::WebSocket) owns one driver; the two halves of a split connection
//! share one behind a lock ([`shared`]). Everything here is crate-private; the public types
//! only forward to it.
//!
//! - `read`: the read loop ([`Driver::poll_chunk`], [`Driver::poll_recv`]);
//! - `write`: queueing messages and writing the output (zero-copy vectored writes);
//! - `close`: the closing handshake, the stop signal, the idle and close timers;
//! - `keepalive`: pings when the peer is quiet, the pong timeout, `ping_rtt`;
//! - `payloads`: large payloads queued to leave from their own memory;
//! - `stuck`: the send timeout, for a peer that does not read;
//! - `wait`: waiting for the peer, without registering the same waker again;
//! - `streamed`: the state of a streamed receive (its limits, discarding an abandoned
//!   message);
//! - [`shared`]: the lock and wakers the halves of a split connection share.

mod chunk;
mod close;
mod keepalive;
mod keepalive_state;
mod payloads;
mod read;
pub(crate) mod shared;
mod streamed;
mod stuck;
mod wait;
mod write;

use std::pin::Pin;
use std::sync::Arc;

use bytes::BytesMut;
use rfc6455_proto::{Assembler, Connection};
use tokio::time::{Instant, Sleep};

pub(crate) use self::chunk::Chunk;
use self::keepalive_state::Keepalive;
use self::payloads::Payloads;
use self::wait::WakerId;
use crate::coarse_timer::CoarseTimer;
use crate::config::Config;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::stop::StopSlot;

/// Where the connection is in its life.
///
/// ```text
///          peer's close frame, protocol error, idle timeout
///   Open ──────────────────────────────────────────────────▶ Finishing
///    │                                                        │     │ client after a clean
///    │                                   output written and   │     │ closing handshake:
///    │ EOF, I/O error, our close         socket shut down     │     │ output written
///    │ not answered in time              (or not in time)     │     ▼
///    │                                                        │  AwaitEof
///    │                                                        │     │ server's EOF, or
///    ▼                                                        ▼     │ not in time
///   Done ◀────────────────────────────────────────────────────┴─────┘
/// ```
#[derive(Debug)]
enum Phase {
    /// Messages flow (or, after our close frame, we wait for the peer's).
    Open,
    /// Write what is queued (a close reply or failure close), then end the connection.
    Finishing,
    /// Client after the closing handshake: wait for the server to close TCP (§7.1.1).
    AwaitEof,
    /// Over. `recv` returns the pending error once, then `None`.
    Done,
}

/// One established connection over `S`, driven by its `poll_*` methods.
#[derive(Debug)]
pub(crate) struct Driver<S> {
    io: S,
    core: Connection,
    read_buf: BytesMut,
    assembler: Assembler,
    /// Shared by the connections of a server (one allocation, not one per connection).
    config: Arc<Config>,
    phase: Phase,
    /// The idle, keepalive or close deadline timer, created when first needed (on the
    /// runtime's shared wheel: no allocation of its own).
    timer: Option<CoarseTimer>,
    /// The waker the stop signal and `timer` (at its current deadline) hold, if known
    /// (see `wait`).
    registered: WakerId,
    last_read: Instant,
    keepalive: Keepalive,
    /// The send timeout of a send or flush waiting for the peer to read (created when
    /// one first waits), and what was queued when it last looked.
    send_timer: Option<Pin<Box<Sleep>>>,
    send_wait_queued: usize,
    close_deadline: Option<Instant>,
    eof: bool,
    error: Option<Error>,
    /// Held here, not boxed: its variable part is in one allocation of its own.
    info: HandshakeInfo,
    /// This connection's slot in its server's stop signal.
    stop: Option<StopSlot>,
    /// At most this many queued output bytes are the program's own sends (what was queued
    /// right after its last send, shrinking as output drains). The rest is what reading
    /// queued (pongs, the close reply).
    own_output: usize,
    /// Drop data until the end of the current message (its streamed reader was dropped).
    discarding: bool,
    /// Large payloads written from their own memory, each after its frame header in the
    /// core's output (see `payloads`).
    big: Option<Box<Payloads>>,
    /// The read buffer was sized for a large frame (see [`crate::buffer_pool`]).
    large_read: bool,
    /// Bytes were written to the stream since it was last flushed.
    unflushed: bool,
}

impl<S> Drop for Driver<S> {
    /// A connection ends holding the buffer its last read went into (its close frame, or
    /// the bytes before an EOF): back to the thread's spares with it, and with its output
    /// buffer, so that the next connection of a server with many short ones takes them
    /// instead of allocating (see [`crate::buffer_pool`]).
    fn drop(&mut self) {
        let mut read = std::mem::take(&mut self.read_buf);
        if read.capacity() > 0 && !self.large_read {
            read.clear();
            crate::buffer_pool::give(read);
        }
        crate::buffer_pool::give_output(self.core.swap_output_buffer(BytesMut::new()));
    }
}

impl<S> Driver<S> {
    /// Drive `core` over `io`, on which the opening handshake is done; `leftover` holds
    /// the bytes read past the handshake.
    pub(crate) fn new(
        io: S,
        core: Connection,
        config: Arc<Config>,
        leftover: BytesMut,
        info: HandshakeInfo,
    ) -> Self {
        let now = Instant::now();
        let keepalive = Keepalive::new(now, config.ping_interval);
        Self {
            io,
            core,
            read_buf: leftover,
            assembler: Assembler::default(),
            config,
            phase: Phase::Open,
            timer: None,
            registered: WakerId::NONE,
            last_read: now,
            keepalive,
            send_timer: None,
            send_wait_queued: 0,
            close_deadline: None,
            eof: false,
            error: None,
            info,
            stop: None,
            own_output: 0,
            discarding: false,
            big: None,
            large_read: false,
            unflushed: false,
        }
    }

    pub(crate) fn set_stop_signal(&mut self, stop: StopSlot) {
        self.stop = Some(stop);
    }

    /// The protocol core (its role, variant, close state).
    pub(crate) fn core(&self) -> &Connection {
        &self.core
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn info(&self) -> &HandshakeInfo {
        &self.info
    }

    pub(crate) fn io(&self) -> &S {
        &self.io
    }
}

#[cfg(test)]
mod tests {
    use rfc6455_proto::{Message, Role};

    use crate::{Config, WebSocket};

    /// A connection that ends gives the buffer its last read went into back to the
    /// thread: the next connection reads into it instead of allocating.
    #[tokio::test]
    async fn an_ended_connection_gives_its_read_buffer_back() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let mut client = WebSocket::from_stream(a, Role::Client, Config::default());
        let mut server = WebSocket::from_stream(b, Role::Server, Config::default());
        client.send(Message::text("hello")).await.unwrap();
        let message = server.recv().await.unwrap().unwrap();
        // The payload lives in the server's read buffer.
        let at = message.as_bytes().as_ptr();
        drop(message);
        drop(server);
        let next = crate::buffer_pool::take(bytes::BytesMut::new(), false);
        // The rest of the buffer the message was read into: right after its 5 bytes.
        assert_eq!(next.as_ptr() as usize, at as usize + 5, "a fresh buffer");
    }
}
