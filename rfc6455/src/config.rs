//! Per-connection settings, fixed when the connection is made.

use std::time::Duration;

use rfc6455_proto::Limits;

/// Settings of one connection: the protocol limits plus the timeouts and buffers of the
/// tokio layer. Every default is written beside its setter.
///
/// | setting | default |
/// |---|---|
/// | [`limits`](Self::limits) | 16 MiB frame, 64 MiB message, 131 072 fragments |
/// | [`idle_timeout`](Self::idle_timeout) | 300 s (close 1001) |
/// | [`close_timeout`](Self::close_timeout) | 5 s |
/// | [`write_buffer_limit`](Self::write_buffer_limit) | 128 KiB |
/// | [`stream_fragment_size`](Self::stream_fragment_size) | 64 KiB |
/// | [`stream_message_limit`](Self::stream_message_limit) | none (streamed messages are never held whole) |
///
/// ```
/// use std::time::Duration;
/// use rfc6455::{Config, Limits};
/// let config = Config::default()
///     .idle_timeout(Some(Duration::from_secs(30)))
///     .limits(Limits::default().max_message_size(1 << 20));
/// assert_eq!(config.idle_timeout_value(), Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    pub(crate) limits: Limits,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) close_timeout: Duration,
    pub(crate) write_buffer_limit: usize,
    pub(crate) stream_fragment_size: usize,
    pub(crate) stream_message_limit: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            idle_timeout: Some(Duration::from_secs(300)),
            close_timeout: Duration::from_secs(5),
            write_buffer_limit: 128 * 1024,
            stream_fragment_size: 64 * 1024,
            stream_message_limit: None,
        }
    }
}

impl Config {
    /// The protocol limits (frame, message, fragments). Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Close the connection with 1001 when no frame has been received for this long;
    /// `None` disables it. Default 300 s, as the original's `ws-idle-timeout`.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long the closing handshake may take: waiting for the peer's close frame after
    /// sending ours, and (client) for the server to close TCP. Default 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Bytes queued for the socket above which `send` waits until the peer has read some
    /// (backpressure). One message is always accepted whole; the bound is on what is queued
    /// before it. Default 128 KiB.
    pub fn write_buffer_limit(mut self, bytes: usize) -> Self {
        self.write_buffer_limit = bytes;
        self
    }

    /// The largest fragment a streamed send writes (the original's
    /// `rfc6455-stream-buffer-size`). Default 65 536 bytes.
    ///
    /// ```
    /// let config = rfc6455::Config::default().stream_fragment_size(16 * 1024);
    /// # let _ = config;
    /// ```
    pub fn stream_fragment_size(mut self, bytes: usize) -> Self {
        self.stream_fragment_size = bytes.max(1);
        self
    }

    /// The largest message a streamed receive accepts (close 1009 beyond); `None` for no
    /// limit. Streamed messages are never held whole, so the default is `None`.
    ///
    /// ```
    /// let config = rfc6455::Config::default().stream_message_limit(Some(1 << 30));
    /// # let _ = config;
    /// ```
    pub fn stream_message_limit(mut self, bytes: Option<u64>) -> Self {
        self.stream_message_limit = bytes;
        self
    }

    /// The limits in force.
    pub fn limits_value(&self) -> &Limits {
        &self.limits
    }

    /// The idle timeout in force.
    pub fn idle_timeout_value(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The close timeout in force.
    pub fn close_timeout_value(&self) -> Duration {
        self.close_timeout
    }
}
