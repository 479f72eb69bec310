//! Serving hybi-00 (draft-76) upgrades on the same port as RFC 6455.
//!
//! The draft's client sends 8 bytes (key3) after its request head and expects a 16-byte
//! answer after the 101 head. hyper leaves those 8 bytes unread (the request has no
//! `Content-Length`), so they arrive with the upgraded connection: the 101 head is written
//! by hyper, then the answer is queued as the first bytes of the connection.

use std::future::Future;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body_util::Full;
use hyper::upgrade::OnUpgrade;
use rfc6455_proto::hybi00::{FramingMode, Hybi00Offer, KEY3_LEN};
use rfc6455_proto::{Connection, Role};
use tokio::io::AsyncReadExt;

use super::hook::{Handshake, Rejection};
use super::listener::ConnContext;
use super::upgrade::io_from_upgraded;
use crate::socket::{StopSignal, WebSocket};

/// The 101 reason phrase the draft's clients expect.
const REASON: &[u8] = b"WebSocket Protocol Handshake";

/// Accept a hybi-00 upgrade: run the hook, answer 101, and spawn the handler once key3
/// has been read and answered.
pub(crate) fn accept_hybi00<St, F>(
    request: Request<()>,
    on_upgrade: OnUpgrade,
    offer: Hybi00Offer,
    ctx: &ConnContext,
    hook: impl FnOnce(&mut Handshake<'_>) -> Result<St, Rejection>,
    handler: impl FnOnce(WebSocket, St) -> F + Send + 'static,
) -> Response<Full<Bytes>>
where
    St: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let mut hs = Handshake::with_subprotocols(&request, offer.subprotocols());
    let state = match hook(&mut hs) {
        Ok(state) => state,
        Err(rejection) => return rejection.into_response().map(Full::new),
    };
    let Handshake {
        headers,
        subprotocol,
        ..
    } = hs;
    // The location names the scheme the client used: wss:// on a TLS server.
    let mut response = offer.response(ctx.secure, subprotocol.as_deref());
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(REASON) {
        response.extensions_mut().insert(reason);
    }
    let mut info = ctx.complete_handshake(&request, &mut response, &headers, subprotocol);
    let config = ctx.config;
    let key3_timeout = ctx.handshake_timeout;
    let mode = ctx.hybi00.unwrap_or(FramingMode::Old);
    let stop = Arc::new(StopSignal::default());
    let task = {
        let stop = stop.clone();
        async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => {
                    tracing::debug!("hybi-00 upgrade failed: {e}");
                    return;
                }
            };
            let (mut io, mut leftover) = io_from_upgraded(upgraded, &mut info);
            let read_key3 = async {
                while leftover.len() < KEY3_LEN {
                    leftover.reserve(KEY3_LEN);
                    if io.read_buf(&mut leftover).await? == 0 {
                        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                    }
                }
                Ok(())
            };
            match tokio::time::timeout(key3_timeout, read_key3).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return tracing::debug!("hybi-00 key3: {e}"),
                Err(_) => return tracing::debug!("hybi-00 key3: timed out"),
            }
            let mut key3 = [0u8; KEY3_LEN];
            key3.copy_from_slice(&leftover.split_to(KEY3_LEN));
            let mut core = Connection::hybi00(Role::Server, mode, config.limits);
            core.queue_raw(&offer.answer(&key3));
            let mut ws =
                WebSocket::from_core(io, core, config, BytesMut::from(&leftover[..]), info);
            ws.set_stop_signal(stop);
            // Send the answer now: the draft's client waits for it before sending.
            if ws.flush().await.is_err() {
                return;
            }
            handler(ws, state).await;
        }
    };
    ctx.registry.spawn(Some(stop), task);
    let (parts, ()) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::new()))
}
