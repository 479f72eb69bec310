//! Shared pieces of the `rfc6455` benchmark harness.
//!
//! * [`server`]: the command line and runtime every echo server uses, so that
//!   all servers run under the same tokio configuration.
//!
//! The load generator itself is the workspace's `loadgen/` crate (`rfc6455-loadgen`,
//! shared with `rfc6455 bench` and the soak test); `src/bin/loadgen.rs` is its
//! command line for the harness.

pub mod server;
