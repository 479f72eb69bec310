//! Serving hybi-00 (draft-76) upgrades on the same port as RFC 6455.
//!
//! The draft's client sends 8 bytes (key3) after its request head and expects a 16-byte
//! answer after the 101 head. hyper leaves those 8 bytes unread (the request has no
//! `Content-Length`), so they arrive with the upgraded connection: the 101 head is written
//! by hyper or by the server's fast path, then the answer is queued as the first bytes of
//! the connection.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use http::Response;
use rfc6455_proto::Connection;
use rfc6455_proto::hybi00::{FramingMode, Hybi00Offer, KEY3_LEN};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::config::Config;
use crate::error::Error;
use crate::info::HandshakeInfo;
use crate::socket::WebSocket;

/// The 101 reason phrase the draft's clients expect.
const REASON: &[u8] = b"WebSocket Protocol Handshake";

/// An accepted hybi-00 upgrade: what its connection needs once the 101 is written.
#[derive(Debug)]
pub(crate) struct Hybi00Accept {
    offer: Hybi00Offer,
    mode: FramingMode,
    key3_timeout: Duration,
}

impl Hybi00Accept {
    /// Accept `offer`; the connection is framed in `mode`, and its client has
    /// `key3_timeout` to send key3.
    pub(crate) fn new(offer: Hybi00Offer, mode: FramingMode, key3_timeout: Duration) -> Self {
        Self {
            offer,
            mode,
            key3_timeout,
        }
    }

    /// The `101`, with the reason phrase the draft's clients expect. The location names
    /// the scheme the client used: `wss://` when `secure`.
    pub(crate) fn response(&self, secure: bool, subprotocol: Option<&str>) -> Response<()> {
        let mut response = self.offer.response(secure, subprotocol);
        if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(REASON) {
            response.extensions_mut().insert(reason);
        }
        response
    }

    /// After the `101`: read key3 (`leftover` holds what was read past the head), send its
    /// answer, and return the connection.
    ///
    /// # Errors
    /// The client closed or failed before sending key3 ([`ErrorKind::Io`]), did not send it
    /// in time ([`ErrorKind::Timeout`]), or the answer could not be written.
    ///
    /// [`ErrorKind::Io`]: crate::ErrorKind::Io
    /// [`ErrorKind::Timeout`]: crate::ErrorKind::Timeout
    pub(crate) async fn open<S>(
        self,
        mut io: S,
        mut leftover: BytesMut,
        config: Arc<Config>,
        info: HandshakeInfo,
    ) -> Result<WebSocket<S>, Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let read_key3 = async {
            while leftover.len() < KEY3_LEN {
                leftover.reserve(KEY3_LEN);
                if io.read_buf(&mut leftover).await? == 0 {
                    return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                }
            }
            Ok(())
        };
        match tokio::time::timeout(self.key3_timeout, read_key3).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(Error::timeout("hybi-00 key3")),
        }
        let mut key3 = [0u8; KEY3_LEN];
        key3.copy_from_slice(&leftover.split_to(KEY3_LEN));
        let core = Connection::hybi00_server(&self.offer, &key3, self.mode, config.limits);
        let mut ws = WebSocket::from_core(io, core, config, BytesMut::from(&leftover[..]), info);
        // Send the answer now: the draft's client waits for it before sending.
        ws.flush().await?;
        Ok(ws)
    }
}
