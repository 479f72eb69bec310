//! What the integration tests share. Each file under `tests/` is its own crate and
//! includes this module with `mod support;`; the parts, by concept:
//!
//! * here: [`LIMIT`] and [`within`], the bound on every wait (a hang fails instead of
//!   blocking);
//! * [`server`]: our server on 127.0.0.1 (an echo server; [`server::serve_one`], whose
//!   handler's end — its value or its panic — reaches the test), and in-memory connections
//!   for tests on paused time;
//! * [`data`]: deterministic test payloads;
//! * [`raw`]: a hand-written peer that speaks raw frames (RFC 6455 §5.2), so tests can send
//!   what our own client never would and see exactly what our end puts on the wire;
//! * [`http`]: raw HTTP requests and responses, written and read byte by byte;
//! * [`h2peer`]: an HTTP/2 client (the `h2` crate) opening WebSockets by extended CONNECT
//!   (RFC 8441), in cleartext or over TLS;
//! * [`peers`]: real peer programs (Python `websockets`, Node `ws`, Chromium, our examples)
//!   as child processes; [`interop`]: our side of the interoperability matrix;
//! * [`tls`]: certificates made at test time (feature `tls`);
//! * [`memory`]: this process's resident memory, for the tests that bound it; [`heap`]: a
//!   counting global allocator, for the tests that say where the bytes go;
//! * [`fds`]: this process's TCP sockets, for the tests that show nothing is left behind;
//! * [`proxy`]: an HTTP `CONNECT` proxy in the test, for the clients' proxy support;
//! * [`redis`]: a real `redis-server` on a free port, killed and restarted at will
//!   (feature `redis`);
//! * [`topics`]: a topic server (subscribe by path, publish what clients send) and a
//!   client that reads nothing.
//!
//! The raw peer and the HTTP helpers encode and decode by hand, independently of the
//! library, so they are an oracle for it rather than a mirror of it.

// Every test binary compiles all of this module and uses a different part of it: what one
// binary leaves unused, another uses.
#![allow(dead_code)]

pub(crate) mod data;
pub(crate) mod fds;
pub(crate) mod h2peer;
pub(crate) mod heap;
pub(crate) mod http;
pub(crate) mod interop;
pub(crate) mod memory;
pub(crate) mod peers;
pub(crate) mod proxy;
pub(crate) mod raw;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub(crate) mod server;
#[cfg(feature = "tls")]
pub(crate) mod tls;
pub(crate) mod topics;

use std::future::Future;
use std::time::Duration;

/// The upper bound on any single wait in these tests: a hang fails instead of blocking.
/// Generous, because debug builds under a loaded CI machine are slow (an 8 MiB text
/// message is validated as UTF-8 several times), and a peer program starts slowly.
pub(crate) const LIMIT: Duration = Duration::from_secs(60);

/// Await `fut`, failing the test if it takes longer than [`LIMIT`].
pub(crate) async fn within<F: Future>(fut: F) -> F::Output {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {LIMIT:?}"),
    }
}
