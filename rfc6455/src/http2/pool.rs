//! The client's HTTP/2 connections, shared by origin: one connection carries the
//! WebSockets of every `connect` to the same scheme, host, port and TLS settings while
//! it has room for another stream (the server's `SETTINGS_MAX_CONCURRENT_STREAMS`); a
//! connection whose last WebSocket ends leaves the pool and closes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use bytes::Bytes;
use h2::client::SendRequest;

/// Which connections may be shared: the same origin, reached with the same TLS settings
/// (a digest of them; 0 in cleartext).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) secure: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: u64,
}

/// One HTTP/2 connection: its request handle, its open streams, and whether its task
/// still runs.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) send: SendRequest<Bytes>,
    /// The connection's local and peer addresses.
    pub(crate) addrs: (Option<SocketAddr>, Option<SocketAddr>),
    pub(crate) streams: Arc<AtomicUsize>,
    pub(crate) alive: Arc<AtomicBool>,
}

impl Shared {
    /// A new connection's handle, with no stream yet.
    pub(crate) fn new(
        send: SendRequest<Bytes>,
        addrs: (Option<SocketAddr>, Option<SocketAddr>),
    ) -> Self {
        Self {
            send,
            addrs,
            streams: Arc::new(AtomicUsize::new(0)),
            alive: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Count a stream on it if it has room (and still runs).
    fn claim(&self) -> bool {
        if !self.alive.load(Ordering::Acquire) {
            return false;
        }
        let max = self.send.current_max_send_streams();
        self.streams
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }
}

/// A stream counted on its connection until it is dropped. The last one leaves the
/// pool's hold on the connection go: with no handle left, h2 closes it (GOAWAY).
#[derive(Debug)]
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        if self.0.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let mut pool = POOL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pool.retain(|_, connections| {
            // A `take` may have claimed it again meanwhile: then it stays.
            connections.retain(|c| {
                !(Arc::ptr_eq(&c.streams, &self.0) && c.streams.load(Ordering::Acquire) == 0)
            });
            !connections.is_empty()
        });
    }
}

/// The process's shared connections.
static POOL: LazyLock<Mutex<HashMap<Origin, Vec<Shared>>>> = LazyLock::new(Mutex::default);

/// A connection to `origin` with room for one more stream, that stream counted: the
/// connection and the stream's slot.
pub(crate) fn take(origin: &Origin) -> Option<(Shared, Slot)> {
    let mut pool = POOL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let connections = pool.get_mut(origin)?;
    connections.retain(|c| c.alive.load(Ordering::Acquire));
    let shared = connections.iter().find(|c| c.claim())?;
    Some((shared.clone(), Slot(shared.streams.clone())))
}

/// Share `shared` (a new connection to `origin`) and count a first stream on it.
pub(crate) fn put(origin: Origin, shared: &Shared) -> Slot {
    shared.streams.fetch_add(1, Ordering::AcqRel);
    let mut pool = POOL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let connections = pool.entry(origin).or_default();
    connections.retain(|c| c.alive.load(Ordering::Acquire));
    connections.push(shared.clone());
    Slot(shared.streams.clone())
}
