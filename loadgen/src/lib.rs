//! The load generator shared by the benchmark harness (`bench/`, binary `loadgen`), the
//! soak test and `rfc6455 bench`.
//!
//! It uses no WebSocket library: its own opening handshake, frames built once up front
//! with a fixed masking key (so sending a message costs one `write` of pre-built bytes),
//! and a streaming parser that checks every echoed byte as it arrives ([`wire`]). It runs
//! on one thread (a tokio current-thread runtime with a `LocalSet`), so that on a small
//! machine the server under test keeps the other cores.
//!
//! The fixed masking key makes this a measuring tool, not a general client: RFC 6455
//! §5.3 asks clients for unpredictable keys so that a browser's script cannot choose the
//! bytes on the wire; a load generator that sends only its own payloads has nothing to
//! hide from an intermediary.
//!
//! ```no_run
//! use rfc6455_loadgen::{Mode, Settings, Target, run_local};
//!
//! let settings = Settings {
//!     mode: Mode::Echo,
//!     connections: 10,
//!     ..Settings::new(Target::loopback(9001))
//! };
//! let report = run_local(&settings, None).unwrap();
//! println!("{:.0} messages/s, p99 {:.1} µs", report.rate, report.percentile_us(99.0));
//! ```

mod conn;
mod cpu;
mod deflate;
mod live;
mod report;
mod run;
mod settings;
pub mod soak;
mod stats;
pub mod wire;

pub use cpu::{CpuUse, raise_nofile_limit};
pub use live::Live;
pub use report::{Report, Wire};
pub use run::{Idle, open_idle, run, run_local};
pub use settings::{Kind, Mode, Settings, Target, parse_size};
