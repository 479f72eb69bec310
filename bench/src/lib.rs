//! Shared pieces of the `rfc6455` benchmark harness.
//!
//! * [`server`]: the command line and runtime every echo server uses, so that
//!   all servers run under the same tokio configuration.
//! * [`wire`]: the load generator's own minimal WebSocket client side: the
//!   opening handshake, pre-built masked frames and a streaming parser for the
//!   echoed frames. It deliberately uses no WebSocket library.

pub mod server;
pub mod wire;
