//! The accept path: one place where an upgrade request is checked (RFC 6455, else
//! hybi-00), the handshake hook runs, and the `101` is made, for every way this crate
//! serves WebSockets (its own server, [`MapperService`](crate::MapperService),
//! [`accept`](crate::accept) on a program's own stream).
//!
//! ```text
//! request ──negotiate──▶ (101, Accepted<St>) ──open(io)──▶ Opening ──▶ WebSocket<S>, St
//!            │                                               (hybi-00: key3 first)
//!            └──▶ Refusal ──▶ 400 / 426 / the hook's answer
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};
use rfc6455_proto::extension::deflate::DeflateParams;
use rfc6455_proto::hybi00::{self, FramingMode};
use rfc6455_proto::{HandshakeError, Role, handshake};
use tokio::io::{AsyncRead, AsyncWrite};

use super::hook::{Handshake, Rejection};
use super::hybi00::Hybi00Accept;
use super::settings::Settings;
use crate::config::Config;
use crate::error::Error;
use crate::info::{Extra, HandshakeInfo};
use crate::socket::WebSocket;

/// What the accept path knows of the connection a request came on, for
/// [`HandshakeInfo`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ConnInfo {
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
    /// Whether the connection runs over TLS (hybi-00's location then says `wss://`).
    pub(crate) secure: bool,
}

/// An upgrade the accept path refused, and why.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not an upgrade request at all (no `Upgrade: websocket`); the error is what RFC
    /// 6455's checks said of it.
    NotUpgrade(HandshakeError),
    /// An upgrade request that breaks the rules of RFC 6455 §4.2.1 (or of the hybi-00
    /// draft, when the server accepts it).
    Invalid(HandshakeError),
    /// The handshake hook refused it.
    Hook(Rejection),
}

impl Refusal {
    /// The answer: `426 Upgrade Required` for a plain request, the handshake rules'
    /// status (`400`, or `426` with `Sec-WebSocket-Version: 13`), or the hook's response.
    pub(crate) fn into_response(self) -> Response<Bytes> {
        self.into_parts().1
    }

    /// What went wrong, as a program sees it, and the answer.
    pub(crate) fn into_parts(self) -> (HandshakeError, Response<Bytes>) {
        match self {
            Self::NotUpgrade(e) => (e, plain_http_answer()),
            Self::Invalid(e) => {
                let response = handshake::reject(&e).map(Bytes::from);
                (e, response)
            }
            Self::Hook(rejection) => (
                HandshakeError::Rejected(rejection.status()),
                rejection.into_response(),
            ),
        }
    }
}

/// `426 Upgrade Required` for a plain HTTP request to a WebSocket-only endpoint.
pub(crate) fn plain_http_answer() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(
        b"This is a WebSocket endpoint: connect with a WebSocket client.\n",
    ));
    *response.status_mut() = StatusCode::UPGRADE_REQUIRED;
    let headers = response.headers_mut();
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// An upgrade the accept path accepted, once its `101` is on its way: what the connection
/// needs, and the hook's state.
#[derive(Debug)]
pub(crate) struct Accepted<St> {
    state: St,
    info: HandshakeInfo,
    config: Arc<Config>,
    /// `None` for RFC 6455.
    hybi00: Option<Box<Hybi00Accept>>,
}

/// A connection being opened over `S`: ready at once (RFC 6455), or after hybi-00's key
/// exchange.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "`Ready` is the common case and is unpacked at once; boxing it would cost an \
              allocation per connection"
)]
pub(crate) enum Opening<S> {
    Ready(WebSocket<S>),
    Hybi00(Box<Hybi00Opening<S>>),
}

/// A hybi-00 connection waiting for its key exchange.
#[derive(Debug)]
pub(crate) struct Hybi00Opening<S> {
    accept: Hybi00Accept,
    io: S,
    leftover: BytesMut,
    config: Arc<Config>,
    info: HandshakeInfo,
}

impl<S> Opening<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// The connection, after hybi-00's key exchange if it needs one.
    ///
    /// # Errors
    /// As [`Hybi00Accept::open`].
    pub(crate) async fn finish(self) -> Result<WebSocket<S>, Error> {
        match self {
            Self::Ready(ws) => Ok(ws),
            Self::Hybi00(opening) => {
                let Hybi00Opening {
                    accept,
                    io,
                    leftover,
                    config,
                    info,
                } = *opening;
                accept.open(io, leftover, config, info).await
            }
        }
    }
}

impl<St> Accepted<St> {
    /// Open the connection over `io` (on which the `101` has been written), `leftover`
    /// holding the bytes read past the request head; and hand back the hook's state.
    pub(crate) fn open<S>(self, io: S, leftover: BytesMut) -> (Opening<S>, St)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let Self {
            state,
            info,
            config,
            hybi00,
        } = self;
        let opening = match hybi00 {
            None => Opening::Ready(WebSocket::from_parts(
                io,
                Role::Server,
                config,
                leftover,
                info,
            )),
            Some(accept) => Opening::Hybi00(Box::new(Hybi00Opening {
                accept: *accept,
                io,
                leftover,
                config,
                info,
            })),
        };
        (opening, state)
    }
}

/// Check `req` as an upgrade (RFC 6455, else hybi-00 when `settings` accept it), run
/// `hook`, and return the `101` to send with what the connection needs; or the refusal.
///
/// # Errors
/// The [`Refusal`]: not an upgrade, an invalid one, or the hook's.
pub(crate) fn negotiate<St>(
    req: &Request<()>,
    settings: &Settings,
    conn: &ConnInfo,
    hook: impl FnOnce(&mut Handshake<'_>) -> Result<St, Rejection>,
) -> Result<(Response<()>, Accepted<St>), Refusal> {
    enum Offer {
        Rfc6455(handshake::ClientOffer),
        Hybi00(hybi00::Hybi00Offer, FramingMode),
    }
    let offer = match check(req) {
        Ok(offer) => Offer::Rfc6455(offer),
        // HTTP/2 has no upgrade, and no hybi-00.
        Err(e) if req.version() == Version::HTTP_2 => {
            return Err(if req.method() == Method::CONNECT {
                Refusal::Invalid(e)
            } else {
                Refusal::NotUpgrade(e)
            });
        }
        Err(e) if !handshake::is_upgrade_request(req) => return Err(Refusal::NotUpgrade(e)),
        // An upgrade that is not RFC 6455 may be the hybi-00 draft (tried second, as the
        // original does).
        Err(e) => match settings.hybi00 {
            Some(mode) if req.headers().contains_key("sec-websocket-key1") => {
                match hybi00::check_request(req) {
                    Ok(offer) => Offer::Hybi00(offer, mode),
                    Err(e) => return Err(Refusal::Invalid(e)),
                }
            }
            _ => return Err(Refusal::Invalid(e)),
        },
    };
    let offered = match &offer {
        Offer::Rfc6455(offer) => offer.subprotocols(),
        Offer::Hybi00(offer, _) => offer.subprotocols(),
    };
    let mut hs = Handshake::with_subprotocols(req, offered);
    let state = hook(&mut hs).map_err(Refusal::Hook)?;
    let Handshake {
        headers,
        subprotocol,
        ..
    } = hs;
    let mut deflate = None;
    let (mut response, hybi00) = match offer {
        Offer::Rfc6455(offer) => {
            let mut response = offer.response(subprotocol.as_deref());
            deflate = agree_deflate(&offer, &settings.config, &mut response);
            (response, None)
        }
        Offer::Hybi00(offer, mode) => {
            let accept = Hybi00Accept::new(offer, mode, settings.handshake_timeout);
            let response = accept.response(conn.secure, subprotocol.as_deref());
            (response, Some(Box::new(accept)))
        }
    };
    let keep_headers = settings.config.keep_headers;
    let rebuilt = hybi00.is_none();
    let mut info = complete(
        req,
        &mut response,
        &headers,
        subprotocol,
        conn,
        keep_headers,
        rebuilt,
    );
    info.deflate = deflate;
    let accepted = Accepted {
        state,
        info,
        config: settings.config.clone(),
        hybi00,
    };
    Ok((response, accepted))
}

/// Check `req` by the rules of its HTTP version: an upgrade on HTTP/1.1 (RFC 6455
/// §4.2.1), an extended CONNECT on HTTP/2 (RFC 8441 §4–§5, `:protocol` read from hyper's
/// [`Protocol`](hyper::ext::Protocol) extension).
///
/// # Errors
/// The first rule broken.
pub(crate) fn check<B>(req: &Request<B>) -> Result<handshake::ClientOffer, HandshakeError> {
    if req.version() == Version::HTTP_2 {
        let protocol = req.extensions().get::<hyper::ext::Protocol>();
        handshake::check_connect_request(req, protocol.map(hyper::ext::Protocol::as_str))
    } else {
        handshake::check_request(req)
    }
}

/// Whether `req` asks for a WebSocket, for routing (not a validation): an `Upgrade:
/// websocket` on HTTP/1, any CONNECT on HTTP/2 (a plain or foreign one is refused by the
/// accept path, never passed to a fallback service).
pub(crate) fn wants_websocket<B>(req: &Request<B>) -> bool {
    if req.version() == Version::HTTP_2 {
        req.method() == Method::CONNECT
    } else {
        handshake::is_upgrade_request(req)
    }
}

/// Remove what HTTP/2 forbids (RFC 9113 §8.2.2: `Connection`, `Upgrade`, …) from an
/// answer to an HTTP/2 request, such as the `Upgrade: websocket` of a `426`.
pub(crate) fn fit_version<B>(version: Version, response: &mut Response<B>) {
    if version == Version::HTTP_2 {
        let headers = response.headers_mut();
        headers.remove(http::header::CONNECTION);
        headers.remove(http::header::UPGRADE);
    }
}

/// permessage-deflate (RFC 7692) on the server: when `config` turns it on, the first
/// acceptable offer is answered in `response` and the agreement returned. hybi-00 has no
/// extensions.
pub(crate) fn agree_deflate(
    offer: &handshake::ClientOffer,
    config: &Config,
    response: &mut Response<()>,
) -> Option<DeflateParams> {
    let agreed = config.compression.as_ref()?.accept(offer.extensions())?;
    let answer = http::HeaderValue::try_from(agreed.answer().to_string()).ok()?;
    response
        .headers_mut()
        .insert(http::header::SEC_WEBSOCKET_EXTENSIONS, answer);
    Some(agreed)
}

/// Add `extra` headers to the `101` `response` and record what the handshake said: the
/// request, the response, the subprotocol, and the connection's addresses. An RFC 6455
/// `response` (`rebuilt`) is not stored: only `extra` is, the rest is rebuilt when asked
/// for (see [`HandshakeInfo`]). Headers are kept only with `keep_headers`.
pub(crate) fn complete<B>(
    request: &Request<B>,
    response: &mut Response<()>,
    extra: &HeaderMap,
    subprotocol: Option<String>,
    conn: &ConnInfo,
    keep_headers: bool,
    rebuilt: bool,
) -> HandshakeInfo {
    for (name, value) in extra {
        response.headers_mut().append(name, value.clone());
    }
    let recorded = if rebuilt { extra } else { response.headers() };
    let extra = Extra {
        subprotocol: subprotocol.as_deref(),
        url: None,
        local_addr: conn.local_addr,
        peer_addr: conn.peer_addr,
    };
    let mut info = HandshakeInfo::record(request, recorded, keep_headers, rebuilt, &extra);
    info.secure = conn.secure;
    info
}
