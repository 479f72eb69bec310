//! [`Settings`]: what a server, a [`MapperService`](crate::MapperService) or one
//! [`accept`](crate::accept) call keeps of its [`ServerOptions`], fixed when it starts.

use std::sync::Arc;
use std::time::Duration;

use rfc6455_proto::hybi00::FramingMode;

use super::fallback::Fallback;
use super::options::ServerOptions;
use crate::config::Config;

/// The settings of the accept path, read once from [`ServerOptions`] and shared (behind an
/// `Arc`, or borrowed) by everything that serves the server's connections: the listener,
/// the handshake, the hyper side. Nothing changes them once built.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The settings of every connection; one allocation shared by all of them.
    pub(crate) config: Arc<Config>,
    /// Whether hybi-00 upgrades are accepted, and their framing.
    pub(crate) hybi00: Option<FramingMode>,
    /// How long a connection may take to send its request head (its TLS handshake
    /// included), and a hybi-00 client its 8 bytes of key3.
    pub(crate) handshake_timeout: Duration,
    /// The largest request head read, in bytes (never below 8 KiB).
    pub(crate) max_header_size: usize,
    /// Whether a cleartext connection may speak HTTP/2 with prior knowledge.
    pub(crate) h2c: bool,
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` of an HTTP/2 connection.
    pub(crate) http2_max_streams: u32,
    /// The service for plain HTTP requests, if any.
    pub(crate) fallback: Option<Fallback>,
    /// The TLS settings of a TLS server.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::ServerTls>,
}

impl Settings {
    /// The smallest request head limit: below it, ordinary browsers' requests would be
    /// refused.
    const MIN_HEADER_SIZE: usize = 8 * 1024;

    /// Whether connections run over TLS (hybi-00's location then says `wss://`).
    pub(crate) fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }
}

impl From<ServerOptions> for Settings {
    fn from(options: ServerOptions) -> Self {
        Self {
            config: Arc::new(options.config),
            hybi00: options.hybi00,
            handshake_timeout: options.handshake_timeout,
            max_header_size: options.max_header_size.max(Self::MIN_HEADER_SIZE),
            h2c: options.h2c,
            http2_max_streams: options.http2_max_streams,
            fallback: options.fallback,
            #[cfg(feature = "tls")]
            tls: options.tls,
        }
    }
}

impl Default for Settings {
    /// The settings of [`ServerOptions::default`].
    fn default() -> Self {
        ServerOptions::default().into()
    }
}
