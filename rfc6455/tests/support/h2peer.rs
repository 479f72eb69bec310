//! An HTTP/2 client for RFC 8441 (the `h2` crate, independent of our server, which runs
//! hyper's): connections in cleartext with prior knowledge (h2c) or over TLS with ALPN
//! `h2`, extended CONNECTs written by hand (so tests can send what a good client never
//! would), and our WebSocket client on an accepted stream.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use http::{Method, Request, StatusCode};
use rfc6455::http2::H2Stream;
use rfc6455::{Config, Role, WebSocket};
use tokio::net::TcpStream;

use super::{LIMIT, within};

/// An extended CONNECT for a WebSocket on `path`: `:protocol websocket`,
/// `sec-websocket-version: 13`, and `headers`.
pub(crate) fn connect_request(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Request<()> {
    let mut request = Request::builder()
        .method(Method::CONNECT)
        .uri(format!("http://{addr}{path}"))
        .extension(h2::ext::Protocol::from("websocket"))
        .header("sec-websocket-version", "13");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap()
}

/// An HTTP/2 connection to `addr` in cleartext, with prior knowledge (h2c); its task
/// runs in the background. Returns once the server's SETTINGS allow extended CONNECT.
pub(crate) async fn h2c(addr: SocketAddr) -> SendRequest<Bytes> {
    let tcp = within(TcpStream::connect(addr)).await.expect("connect");
    handshake(tcp).await
}

/// An HTTP/2 connection to `addr` over TLS, trusting `ca_pem`, offering ALPN `h2` only.
#[cfg(feature = "tls")]
pub(crate) async fn h2_tls(addr: SocketAddr, ca_pem: &str) -> SendRequest<Bytes> {
    handshake(tls_alpn_h2(addr, ca_pem).await).await
}

/// A TLS connection to `addr`, trusting `ca_pem`, on which the server picked ALPN `h2`;
/// nothing sent on it yet.
#[cfg(feature = "tls")]
pub(crate) async fn tls_alpn_h2(
    addr: SocketAddr,
    ca_pem: &str,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    use std::sync::Arc;

    use rfc6455::tls::rustls;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = within(TcpStream::connect(addr)).await.expect("connect");
    let name = ServerName::try_from("localhost").unwrap();
    let tls = within(tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp))
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "ALPN h2");
    tls
}

async fn handshake<T>(io: T) -> SendRequest<Bytes>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = within(h2::client::handshake(io))
        .await
        .expect("h2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut send = within(send.ready()).await.expect("h2 ready");
    // The server's SETTINGS arrive with the connection's first frames: poll (a condition,
    // checked every millisecond) until they have been read.
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !send.is_extended_connect_protocol_enabled() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "SETTINGS_ENABLE_CONNECT_PROTOCOL never came"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
        send = within(send.ready()).await.expect("h2 ready");
    }
    send
}

/// Send `request` (no END_STREAM: the stream stays open) and wait for the answer: its
/// status and headers, and the stream.
pub(crate) async fn open(
    h2: &SendRequest<Bytes>,
    request: Request<()>,
) -> (http::response::Parts, H2Stream) {
    let mut h2 = within(h2.clone().ready()).await.expect("h2 ready");
    let (response, send) = h2.send_request(request, false).expect("send request");
    let response = within(response).await.expect("response");
    let (parts, body) = response.into_parts();
    (parts, H2Stream::new(send, body))
}

/// Our WebSocket client on a new stream of `h2`, to `path` with `headers`; panics unless
/// the server answers `200`.
pub(crate) async fn websocket(
    h2: &SendRequest<Bytes>,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (http::response::Parts, WebSocket<H2Stream>) {
    let (parts, stream) = open(h2, connect_request(addr, path, headers)).await;
    assert_eq!(parts.status, StatusCode::OK, "extended CONNECT answered");
    let ws = WebSocket::from_stream(stream, Role::Client, Config::default());
    (parts, ws)
}
