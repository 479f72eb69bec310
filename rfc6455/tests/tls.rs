//! `wss://` on both sides: our client and our server over TLS with certificates made at
//! test time (rcgen), the ways verification fails, hybi-00 over TLS, bad clients on the
//! TLS port, and interop over TLS with Python `websockets` in both directions.

mod support;

use std::convert::Infallible;
use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use rfc6455::tls::rustls::pki_types::pem::PemObject;
use rfc6455::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rfc6455::tls::{ServerTls, rustls};
use rfc6455::{
    ClientOptions, CloseCode, ErrorKind, Message, ServerHandle, ServerOptions, ServiceMapper,
    Transport, Variant, WebSocket, connect_with, serve, serve_mapped,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::sync::mpsc;

use support::peers::{self, Peer, interop_script, python};
use support::server::local;
use support::tls::Pki;
use support::{LIMIT, within};

// ------------------------------------------------------------------------------ helpers

/// What the server's handler saw of its connection.
#[derive(Debug)]
struct Seen {
    tls_transport: bool,
    secure: bool,
    path: String,
}

/// A TLS echo server on 127.0.0.1 that reports each connection.
async fn echo_server(tls: ServerTls) -> (ServerHandle, mpsc::UnboundedReceiver<Seen>) {
    // hybi-00 on too: one test speaks it over TLS.
    reporting_server(local().tls(tls).hybi00(true)).await
}

/// An echo server with `options` that reports each connection.
async fn reporting_server(options: ServerOptions) -> (ServerHandle, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(options, move |ws| echo(ws, tx.clone()))
        .await
        .expect("server listens");
    (server, rx)
}

async fn echo(mut ws: WebSocket, seen: mpsc::UnboundedSender<Seen>) {
    let _ = seen.send(Seen {
        tls_transport: matches!(ws.get_ref(), Transport::TlsServer(_)),
        secure: ws.handshake().is_secure(),
        path: ws.handshake().path().to_owned(),
    });
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// Send text and binary and expect them back, then close cleanly.
async fn exchange(mut ws: WebSocket) {
    ws.send_text("hello over TLS").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("hello over TLS")
    );
    let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    ws.send_binary(&big).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::binary(big)
    );
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::NORMAL));
}

/// Connect to `url` with `options`, then [`exchange`].
async fn connect_and_exchange(url: &str, options: ClientOptions) {
    let (ws, _) = within(connect_with(url, options)).await.unwrap();
    exchange(ws).await;
}

/// `err` is the client's verdict on a certificate from a CA it does not trust.
fn assert_unknown_issuer(err: &rfc6455::Error) {
    assert!(
        matches!(
            err.tls_error(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{err:?}"
    );
}

/// `wss://localhost:{port}{path}` for a running server.
fn wss_url(server: &ServerHandle, path: &str) -> String {
    format!("wss://localhost:{}{path}", server.local_addr().port())
}

fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca_pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

/// GET `path` over HTTPS with a blocking rustls client trusting `ca_pem`; the whole answer.
async fn https_get(port: u16, ca_pem: &str, path: &str) -> String {
    let config = rustls::ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca_pem))
        .with_no_client_auth();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let name = "localhost".try_into().unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(LIMIT)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        write!(
            tls,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match tls.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap()
}

// ------------------------------------------------------------------ client ↔ server

#[tokio::test]
async fn wss_client_and_server_echo() {
    let pki = Pki::new();
    let (server, mut seen) = echo_server(pki.server_tls()).await;
    let port = server.local_addr().port();
    let url = format!("wss://localhost:{port}/echo?x=1");
    let (ws, response) = within(connect_with(&url, pki.client())).await.unwrap();
    assert_eq!(response.status(), 101);
    assert!(matches!(ws.get_ref(), Transport::TlsClient(_)));
    assert!(ws.handshake().is_secure());
    assert_eq!(ws.handshake().url(), Some(url.as_str()));
    exchange(ws).await;
    let seen = within(seen.recv()).await.unwrap();
    assert!(
        seen.tls_transport,
        "server side is not the TLS stream: {seen:?}"
    );
    assert!(seen.secure);
    assert_eq!(seen.path, "/echo");
    server.stop().await;
}

#[tokio::test]
async fn wss_over_ipv4_and_ipv6_literals() {
    let pki = Pki::new();
    for (addr, host) in [("127.0.0.1", "127.0.0.1"), ("::1", "[::1]")] {
        let options = ServerOptions::default()
            .listen_addr(addr.parse().unwrap())
            .port(0)
            .tls(pki.server_tls());
        let server = serve(options, |ws| echo(ws, mpsc::unbounded_channel().0))
            .await
            .unwrap();
        let url = format!("wss://{host}:{}/", server.local_addr().port());
        let (ws, _) = within(connect_with(&url, pki.client())).await.unwrap();
        assert_eq!(ws.handshake().headers()["host"], url[6..url.len() - 1]);
        exchange(ws).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn server_tls_from_pem_text_and_user_built_configs() {
    let pki = Pki::new();
    // ServerTls from PEM in memory (ALPN h2 and http/1.1); a user-built ClientConfig without ALPN.
    let tls = ServerTls::from_pem(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap();
    assert_eq!(
        tls.config().alpn_protocols,
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    let (server, _seen) = echo_server(tls).await;
    let client_config = rustls::ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(&pki.ca_pem))
        .with_no_client_auth();
    let options = ClientOptions::default().tls_config(Arc::new(client_config));
    let url = wss_url(&server, "/");
    connect_and_exchange(&url, options).await;
    server.stop().await;

    // A user-built ServerConfig (no ALPN); the client trusts the CA from a file.
    let certs = CertificateDer::pem_file_iter(pki.cert_file())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(pki.key_file()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let (server, _seen) = echo_server(ServerTls::from(Arc::new(config))).await;
    let options = ClientOptions::default().ca_pem_file(pki.ca_file()).unwrap();
    let url = wss_url(&server, "/");
    connect_and_exchange(&url, options).await;
    server.stop().await;
}

#[tokio::test]
async fn bad_pem_files_are_refused_clearly() {
    let pki = Pki::new();
    let err = ServerTls::from_pem_files(pki.dir.join("missing.pem"), pki.key_file()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    // The key file given as the certificate chain: no certificate in it.
    let err = ServerTls::from_pem_files(pki.key_file(), pki.key_file()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
    // A key that is not the certificate's.
    let (_, other_key) = pki.issue(&["localhost"]);
    let err = ServerTls::from_pem(pki.cert_pem.as_bytes(), other_key.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
    // The client's --ca equivalent.
    let err = ClientOptions::default().ca_pem(b"no pem here").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
}

// ---------------------------------------------------------------- verification fails

#[tokio::test]
async fn unknown_ca_is_rejected_with_a_clear_error() {
    let pki = Pki::new();
    let (server, _seen) = echo_server(pki.server_tls()).await;
    let url = wss_url(&server, "/");
    // Default options: the Mozilla roots only, which did not sign our test CA.
    let err = within(rfc6455::connect(&url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert_unknown_issuer(&err);
    let message = err.to_string();
    assert!(
        message.contains("certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(message.contains("localhost"), "{message}");

    // Another CA's certificate is no better.
    let other = Pki::new();
    let err = within(connect_with(&url, other.client()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");

    // AddedOnly with the right CA works; the danger_ option is the only way round.
    let options = pki
        .client()
        .trust_roots(rfc6455::tls::TrustRoots::AddedOnly);
    connect_and_exchange(&url, options).await;
    let options = ClientOptions::default().danger_accept_invalid_certificates(true);
    connect_and_exchange(&url, options).await;
    server.stop().await;
}

#[tokio::test]
async fn platform_roots_on_request() {
    let pki = Pki::new();
    let (server, _seen) = echo_server(pki.server_tls()).await;
    let url = wss_url(&server, "/");
    // The system's roots load (Debian's ca-certificates), and do not know our test CA…
    let options = ClientOptions::default().trust_roots(rfc6455::tls::TrustRoots::Platform);
    let err = within(connect_with(&url, options)).await.unwrap_err();
    assert_unknown_issuer(&err);
    // …and an added CA is trusted beside them.
    let options = pki
        .client()
        .trust_roots(rfc6455::tls::TrustRoots::MozillaAndPlatform);
    connect_and_exchange(&url, options).await;
    server.stop().await;
}

#[tokio::test]
async fn name_mismatch_is_rejected_with_a_clear_error() {
    let pki = Pki::for_names(&["other.example"]);
    let (server, _seen) = echo_server(pki.server_tls()).await;
    let port = server.local_addr().port();
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("wss://{host}:{port}/");
        let err = within(connect_with(&url, pki.client())).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
        assert!(
            matches!(
                err.tls_error(),
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                        | rustls::CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("certificate not valid for name"),
            "{message}"
        );
        assert!(message.contains(host), "{message}");
    }
    // Ignoring it takes the danger_ option.
    let url = format!("wss://localhost:{port}/");
    let options = ClientOptions::default().danger_accept_invalid_certificates(true);
    connect_and_exchange(&url, options).await;
    server.stop().await;
}

#[tokio::test]
async fn tls_handshake_timeout_on_the_client() {
    // A server that accepts TCP and never answers the ClientHello.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let options = ClientOptions::default().tls_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = within(connect_with(&format!("wss://localhost:{port}/"), options))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ------------------------------------------------------------------ on the TLS port

#[tokio::test]
async fn mapper_and_fallback_page_on_one_tls_port() {
    let pki = Pki::new();
    let mapper = ServiceMapper::builder()
        .path("/echo")
        .no_subprotocol(|ws, _| echo(ws, mpsc::unbounded_channel().0))
        .build()
        .unwrap();
    async fn page(
        _req: http::Request<Incoming>,
    ) -> Result<http::Response<Full<Bytes>>, Infallible> {
        Ok(http::Response::new(Full::new(Bytes::from_static(
            b"<h1>served over TLS</h1>",
        ))))
    }
    let options = local().tls(pki.server_tls()).fallback(service_fn(page));
    let server = serve_mapped(options, mapper).await.unwrap();
    let port = server.local_addr().port();

    let answer = https_get(port, &pki.ca_pem, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("<h1>served over TLS</h1>"), "{answer}");

    let (ws, _) = within(connect_with(
        &format!("wss://localhost:{port}/echo"),
        pki.client(),
    ))
    .await
    .unwrap();
    exchange(ws).await;

    let err = within(connect_with(
        &format!("wss://localhost:{port}/nowhere"),
        pki.client(),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        err.response().map(http::Response::status),
        Some(404.try_into().unwrap())
    );
    server.stop().await;
}

#[tokio::test]
async fn hybi00_over_tls_says_wss_in_its_location() {
    let pki = Pki::new();
    let (server, mut seen) = reporting_server(local().tls(pki.server_tls()).hybi00(true)).await;
    let port = server.local_addr().port();
    let url = format!("wss://localhost:{port}/old?draft=76");
    let options = pki.client().variant(Variant::Hybi00);
    let (mut ws, response) = within(connect_with(&url, options)).await.unwrap();
    assert_eq!(ws.variant(), Variant::Hybi00);
    assert!(matches!(ws.get_ref(), Transport::TlsClient(_)));
    assert_eq!(
        response.headers()["sec-websocket-location"],
        format!("wss://localhost:{port}/old?draft=76").as_str()
    );
    ws.send_text("draft over TLS").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("draft over TLS")
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    let seen = within(seen.recv()).await.unwrap();
    assert!(seen.tls_transport && seen.secure, "{seen:?}");
    server.stop().await;
}

#[tokio::test]
async fn bad_clients_on_the_tls_port_do_not_disturb_a_good_connection() {
    let pki = Pki::new();
    let options = local()
        .tls(pki.server_tls())
        .handshake_timeout(Duration::from_millis(500));
    let server = serve(options, |ws| echo(ws, mpsc::unbounded_channel().0))
        .await
        .unwrap();
    let port = server.local_addr().port();
    let url = format!("wss://localhost:{port}/");
    let (mut good, _) = within(connect_with(&url, pki.client())).await.unwrap();

    // Plain HTTP on the TLS port: a plain-text 400 saying so, then the end.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    within(plain.read_to_string(&mut answer)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(answer.contains("TLS"), "{answer:?}");

    // A TLS record of garbage: dropped.
    let mut garbage = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = within(garbage.read_to_end(&mut rest)).await;

    // A client that says nothing: dropped after the handshake timeout.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let n = within(silent.read(&mut buf)).await.unwrap_or(0);
    assert_eq!(n, 0);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // The good connection carries on, and new ones are still served.
    for i in 0..3 {
        let text = format!("still here {i}");
        good.send_text(&text).await.unwrap();
        assert_eq!(
            within(good.recv()).await.unwrap().unwrap(),
            Message::text(text)
        );
    }
    let (other, _) = within(connect_with(&url, pki.client())).await.unwrap();
    exchange(other).await;
    exchange(good).await;
    server.stop().await;
}

#[tokio::test]
async fn stop_ends_tls_connections_with_1001() {
    let pki = Pki::new();
    let (server, _seen) = echo_server(pki.server_tls()).await;
    let url = wss_url(&server, "/");
    let (mut ws, _) = within(connect_with(&url, pki.client())).await.unwrap();
    // A TCP client in the middle of nothing (no TLS yet) must not hold stop up.
    let _idle = TcpStream::connect(server.local_addr()).await.unwrap();
    let stopping = tokio::spawn(server.stop());
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::GOING_AWAY));
    within(stopping).await.unwrap();
}

// ----------------------------------------------------------- interop with Python

#[tokio::test]
async fn python_client_to_our_wss_server() {
    let pki = Pki::new();
    let (server, mut seen) = echo_server(pki.server_tls()).await;
    let url = wss_url(&server, "/from-python");
    let mut command = Command::new(python());
    command
        .arg(interop_script("wss_peer.py"))
        .args(["client", &url, "--cafile"])
        .arg(pki.ca_file());
    let output = peers::run(command, "python client", LIMIT).await;
    output.assert_passed("python client", |l| l.contains("PASS"), "");
    assert!(
        output.stdout.contains("OK tls TLSv1.3"),
        "{}",
        output.stdout
    );
    let seen = within(seen.recv()).await.unwrap();
    assert!(seen.tls_transport && seen.secure, "{seen:?}");
    assert_eq!(seen.path, "/from-python");
    server.stop().await;
}

#[tokio::test]
async fn our_wss_client_to_python_server() {
    let pki = Pki::new();
    let mut command = Command::new(python());
    command
        .arg(interop_script("wss_peer.py"))
        .args(["server", "--cert"])
        .arg(pki.cert_file())
        .arg("--key")
        .arg(pki.key_file())
        .stdin(Stdio::null());
    let mut server = Peer::listening("wss_peer.py server", command, LIMIT).await;
    let url = format!("wss://localhost:{}/", server.port);
    let (ws, _) = within(connect_with(&url, pki.client())).await.unwrap();
    assert!(matches!(ws.get_ref(), Transport::TlsClient(_)));
    exchange(ws).await;
    assert_eq!(server.line().await, "CLOSED 1000 bye");

    // The python server closes first on request.
    let (mut ws, _) = within(connect_with(&url, pki.client())).await.unwrap();
    ws.send_text("close-me").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    assert_eq!(ws.peer_close_code(), Some(CloseCode::from(4000)));
    assert_eq!(ws.peer_close_reason(), "server says bye");
    server.child.kill().await.unwrap();
}

// ------------------------------------------------------------------ the cat example

#[tokio::test]
async fn cat_example_speaks_wss_with_ca() {
    let pki = Pki::new();
    let (server, _seen) = echo_server(pki.server_tls()).await;
    let url = wss_url(&server, "/");
    let ca = pki.ca_file();
    let mut cat = Peer::example(
        "cat",
        &[
            "--server",
            &url,
            "--ca",
            ca.to_str().unwrap(),
            "--reason",
            "cat done",
        ],
    );
    let mut stdin = cat.child.stdin.take().unwrap();
    stdin.write_all("one\ntwo ✓\n".as_bytes()).await.unwrap();
    drop(stdin);
    assert_eq!(cat.line().await, "one");
    assert_eq!(cat.line().await, "two ✓");
    let (status, stderr) = cat.finish().await;
    assert!(status.success(), "{status}");
    assert!(stderr.contains("closed: status 1000"), "{stderr}");

    // Without --ca the Mozilla roots do not know the test CA: a clear error.
    let mut cat = Peer::example("cat", &["--server", &url]);
    let (status, stderr) = cat.finish().await;
    assert!(!status.success());
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    server.stop().await;
}
