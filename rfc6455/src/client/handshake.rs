//! The client's opening handshake over an established stream: the request out, the
//! answer in and checked, for RFC 6455 (§4.1) or the hybi-00 draft.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, ORIGIN};
use http::{HeaderMap, Request, Response, StatusCode};
use rand::SeedableRng;
use rfc6455_proto::extension::deflate::DeflateParams;
use rfc6455_proto::handshake::ClientRequest;
use rfc6455_proto::{Connection, HandshakeError, Role, Variant, hybi00};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};

use crate::client::options::ClientOptions;
use crate::client::redirect;
use crate::client::target::Target;
use crate::error::Error;
use crate::http1::{request, response};
use crate::info::{Extra, HandshakeInfo};
use crate::socket::WebSocket;

/// What an opening handshake needs besides the stream.
#[derive(Debug)]
pub(crate) struct Opening<'a> {
    pub(crate) target: &'a Target,
    pub(crate) options: &'a ClientOptions,
    /// The extra request headers ([`ClientOptions::request_headers`]).
    pub(crate) headers: &'a HeaderMap,
    /// Whether a redirect will be followed: the body of a redirect answer is then not
    /// waited for.
    pub(crate) follows_redirects: bool,
    /// The stream's addresses, for [`HandshakeInfo`].
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
}

/// The server's answer, checked, and what the connection starts with.
struct Answered {
    request: Request<()>,
    response: Response<()>,
    subprotocol: Option<String>,
    core: Connection,
    /// Bytes read past the answer: the first frames.
    leftover: BytesMut,
    /// permessage-deflate, when the server accepted the offer.
    deflate: Option<DeflateParams>,
}

/// Run the opening handshake over `io`, within the handshake timeout.
///
/// # Errors
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) after the handshake timeout,
/// [`ErrorKind::Handshake`](crate::ErrorKind::Handshake) for a request that cannot be
/// built, an answer other than `101` (with the answer) or a `101` that is wrong, and
/// [`ErrorKind::Io`](crate::ErrorKind::Io) if the stream fails or ends.
pub(crate) async fn open<S>(
    io: S,
    opening: Opening<'_>,
) -> Result<(WebSocket<S>, Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + opening.options.handshake_timeout;
    timeout_at(deadline, run(io, &opening))
        .await
        .map_err(|_| Error::timeout("opening handshake"))?
}

async fn run<S>(mut io: S, opening: &Opening<'_>) -> Result<(WebSocket<S>, Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Opening {
        target, options, ..
    } = *opening;
    let mut headers = opening.headers.clone();
    if !headers.contains_key(AUTHORIZATION)
        && let Some(auth) = target.basic_auth()
    {
        headers.insert(AUTHORIZATION, auth);
    }
    let answered = match options.variant {
        Variant::Hybi00 => hybi00(&mut io, opening, &headers).await?,
        _ => rfc6455(&mut io, opening, &headers).await?,
    };
    let url = target.url.to_string();
    let extra = Extra {
        subprotocol: answered.subprotocol.as_deref(),
        url: Some(&url),
        local_addr: opening.local_addr,
        peer_addr: opening.peer_addr,
    };
    let mut info = HandshakeInfo::record(
        &answered.request,
        answered.response.headers(),
        options.config.keep_headers,
        false,
        &extra,
    );
    info.secure = target.secure;
    info.deflate = answered.deflate;
    let config = Arc::new(options.config);
    let ws = WebSocket::from_core(io, answered.core, config, answered.leftover, info);
    Ok((ws, answered.response))
}

/// RFC 6455 §4.1: a `Sec-WebSocket-Key` out, the matching `Sec-WebSocket-Accept` in.
async fn rfc6455<S>(
    io: &mut S,
    opening: &Opening<'_>,
    headers: &HeaderMap,
) -> Result<Answered, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let options = opening.options;
    let mut nonce = [0u8; 16];
    crate::random::fill(&mut nonce);
    let compression = options.config.compression.as_ref();
    let mut builder = ClientRequest::new(opening.target.uri.clone(), nonce)
        .subprotocols(options.subprotocols.iter().cloned())
        .headers(headers.clone());
    if let Some(settings) = compression {
        builder = builder.extensions(settings.offer().to_string());
    }
    let (request, expected) = builder.build()?;
    write_request(io, &request, &[]).await?;
    let (response, leftover) = read_101(io, opening).await?;
    let answer = expected.check_response(&response)?;
    let mut core = Connection::client(options.config.limits, crate::random::seed());
    let mut deflate = None;
    if let Some(settings) = compression {
        // RFC 7692 §7.1: an invalid answer fails the connection.
        deflate = settings.check_answer(answer.extensions())?;
        if let Some(agreed) = deflate {
            core = core.with_deflate(agreed, settings);
        }
    }
    Ok(Answered {
        subprotocol: answer.subprotocol().map(str::to_owned),
        core,
        request,
        response,
        leftover,
        deflate,
    })
}

/// The hybi-00 draft: keys and key3 out, the `101` head and the 16-byte answer in.
async fn hybi00<S>(
    io: &mut S,
    opening: &Opening<'_>,
    headers: &HeaderMap,
) -> Result<Answered, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let options = opening.options;
    let mut rng = rand::rngs::StdRng::from_seed(crate::random::seed());
    let protocols: Vec<&str> = options.subprotocols.iter().map(String::as_str).collect();
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let (expected, mut request, key3) =
        hybi00::client_request(&opening.target.uri, &mut rng, &protocols, origin)?;
    for (name, value) in headers {
        if !request.headers().contains_key(name) {
            request.headers_mut().append(name, value.clone());
        }
    }
    write_request(io, &request, &key3).await?;
    let (response, mut leftover) = read_101(io, opening).await?;
    while leftover.len() < hybi00::ANSWER_LEN {
        leftover.reserve(hybi00::ANSWER_LEN);
        if io.read_buf(&mut leftover).await? == 0 {
            return Err(Error::from(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the hybi-00 handshake answer",
            )));
        }
    }
    let mut answer = [0u8; hybi00::ANSWER_LEN];
    answer.copy_from_slice(&leftover.split_to(hybi00::ANSWER_LEN));
    let subprotocol = expected.check_response(&response, &answer)?;
    Ok(Answered {
        subprotocol,
        core: Connection::hybi00(Role::Client, options.hybi00_framing, options.config.limits),
        request,
        response,
        leftover,
        deflate: None,
    })
}

/// Write the request head, then `body` (hybi-00's key3).
async fn write_request<S>(io: &mut S, request: &Request<()>, body: &[u8]) -> Result<(), Error>
where
    S: AsyncWrite + Unpin,
{
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    io.write_all(&request::encode("GET", target, request.headers(), body))
        .await?;
    io.flush().await?;
    Ok(())
}

/// Read the response head; anything but 101 is an error carrying status, headers and the
/// start of the body (not read for a redirect that will be followed). Returns the head
/// and the bytes read past it.
async fn read_101<S>(io: &mut S, opening: &Opening<'_>) -> Result<(Response<()>, BytesMut), Error>
where
    S: AsyncRead + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    let max = opening.options.max_header_size;
    let (response, head_len) = response::read_head(io, &mut buf, max).await?;
    let _ = buf.split_to(head_len);
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let body = if opening.follows_redirects && redirect::is_followable(&response) {
            Bytes::new()
        } else {
            response::read_body_start(io, buf, &response).await
        };
        let (parts, ()) = response.into_parts();
        let status = parts.status;
        return Err(Error::handshake(
            HandshakeError::UnexpectedStatus(status),
            Some(Response::from_parts(parts, body)),
        ));
    }
    Ok((response, buf))
}
