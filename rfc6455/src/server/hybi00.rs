//! Serving hybi-00 (draft-76) upgrades on the same port as RFC 6455.
//!
//! The draft's client sends 8 bytes (key3) after its request head and expects a 16-byte
//! answer after the 101 head. hyper leaves those 8 bytes unread (the request has no
//! `Content-Length`), so they arrive with the upgraded connection: the 101 head is written
//! by hyper or by the server's fast path, then the answer is queued as the first bytes of
//! the connection.

use std::future::Future;

use bytes::BytesMut;
use http::{Request, Response};
use rfc6455_proto::Connection;
use rfc6455_proto::hybi00::{FramingMode, Hybi00Offer, KEY3_LEN};
use tokio::io::AsyncReadExt;

use super::listener::{ConnContext, Hooked, Runner};
use crate::socket::WebSocket;
use crate::transport::Transport;

/// The 101 reason phrase the draft's clients expect.
const REASON: &[u8] = b"WebSocket Protocol Handshake";

/// An accepted hybi-00 upgrade: the `101`, and the connection's runner, which reads key3,
/// answers it and then runs the handler.
pub(crate) fn accept_hybi00<St, F>(
    request: &Request<()>,
    offer: Hybi00Offer,
    ctx: &ConnContext,
    hooked: Hooked<St>,
    handler: impl FnOnce(WebSocket, St) -> F + Send + 'static,
) -> (Response<()>, Runner)
where
    St: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let Hooked {
        state,
        headers,
        subprotocol,
    } = hooked;
    // The location names the scheme the client used: wss:// on a TLS server.
    let mut response = offer.response(ctx.secure, subprotocol.as_deref());
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(REASON) {
        response.extensions_mut().insert(reason);
    }
    let info = ctx.complete_handshake(request, &mut response, &headers, subprotocol);
    let config = ctx.config.clone();
    let key3_timeout = ctx.handshake_timeout;
    let mode = ctx.hybi00.unwrap_or(FramingMode::Old);
    let runner: Runner = Box::new(move |mut io: Transport, mut leftover: BytesMut, stop| {
        Box::pin(async move {
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
            let core = Connection::hybi00_server(&offer, &key3, mode, config.limits);
            let mut ws =
                WebSocket::from_core(io, core, config, BytesMut::from(&leftover[..]), info);
            ws.set_stop_signal(stop);
            // Send the answer now: the draft's client waits for it before sending.
            if ws.flush().await.is_err() {
                return;
            }
            handler(ws, state).await;
        })
    });
    (response, runner)
}
