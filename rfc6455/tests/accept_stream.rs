//! `accept` and `accept_with`: the server's opening handshake on a stream the program
//! already has — an in-memory pipe, a Unix socket, a TCP connection it accepted itself —
//! against this crate's client or a request written byte by byte; and every refusal's
//! HTTP answer.

mod support;

use std::time::Duration;

use http::StatusCode;
use rfc6455::proto::hybi00::FramingMode;
use rfc6455::{
    CloseCode, Config, ErrorKind, Handshake, HandshakeError, Message, Rejection, Role,
    ServerOptions, Variant, WebSocket, accept, accept_with,
};
use support::within;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, duplex};

/// The example request of RFC 6455 §1.3, with `extra` header lines.
fn upgrade_request(extra: &str) -> String {
    format!(
        "GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// The text frame `text` as a client sends it (masked with a fixed key).
fn client_text_frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let key = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// A response head, read a byte at a time so nothing past it is taken from `io`.
async fn read_response_head(io: &mut (impl AsyncRead + Unpin)) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = within(io.read_u8()).await.expect("a response head");
        head.push(byte);
    }
    String::from_utf8(head).expect("ASCII head")
}

/// The whole answer to a refused request: the server closes after it.
async fn read_to_end(io: &mut (impl AsyncRead + Unpin)) -> String {
    let mut bytes = Vec::new();
    within(io.read_to_end(&mut bytes)).await.expect("read");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Echo every message on `ws` until it closes.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut ws: WebSocket<S>) {
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
}

/// Send `request` on a pipe to `accept` with `options`; the client's end and the result.
async fn accept_over_pipe(
    request: &[u8],
    options: ServerOptions,
) -> (
    DuplexStream,
    Result<WebSocket<DuplexStream>, rfc6455::Error>,
) {
    let (mut client, server) = duplex(64 * 1024);
    client.write_all(request).await.unwrap();
    let result = within(accept(server, options)).await;
    (client, result)
}

/// The status and (lower-case) text of an answer, and the error `accept` returned.
async fn refused(request: &[u8], options: ServerOptions) -> (u16, String, rfc6455::Error) {
    let (mut client, result) = accept_over_pipe(request, options).await;
    let err = result.expect_err("the request must be refused");
    let answer = read_to_end(&mut client).await;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer.to_ascii_lowercase(), err)
}

// ------------------------------------------------------------------ accepted

#[tokio::test]
async fn over_a_pipe_the_101_is_rfc_6455s_and_bytes_past_the_head_reach_the_connection() {
    let mut request = upgrade_request("Origin: http://example.com\r\n").into_bytes();
    // The client's first frame arrives in the same read as its head.
    request.extend_from_slice(&client_text_frame("early"));
    let (mut client, result) = accept_over_pipe(&request, ServerOptions::default()).await;
    let mut server = result.expect("accepted");
    let head = read_response_head(&mut client).await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{head}"
    );
    assert_eq!(server.variant(), Variant::Rfc6455);
    assert_eq!(server.handshake().path(), "/chat");
    assert_eq!(server.handshake().query(), Some("room=1"));
    assert_eq!(server.handshake().headers()["origin"], "http://example.com");
    assert!(!server.handshake().is_secure());
    assert_eq!(server.handshake().peer_addr(), None);
    let early = within(server.recv()).await.unwrap().unwrap();
    assert_eq!(early, Message::text("early"));

    // The rest of the conversation with this crate's connection as the client.
    let mut client = WebSocket::from_stream(client, Role::Client, Config::default());
    let echoing = tokio::spawn(echo(server));
    client.send_text("over the pipe").await.unwrap();
    assert_eq!(
        within(client.recv()).await.unwrap().unwrap(),
        Message::text("over the pipe")
    );
    within(client.close(CloseCode::NORMAL, "")).await.unwrap();
    within(echoing).await.unwrap();
}

#[tokio::test]
async fn accept_with_runs_the_hook_its_headers_subprotocol_and_state() {
    let request = upgrade_request("Sec-WebSocket-Protocol: superchat, chat\r\nX-User: ada\r\n");
    let (mut client, server) = duplex(64 * 1024);
    client.write_all(request.as_bytes()).await.unwrap();
    let hook = |hs: &mut Handshake<'_>| {
        assert!(hs.accept_subprotocol("chat"));
        hs.headers_mut()
            .insert("x-welcome", http::HeaderValue::from_static("yes"));
        let user = hs.request().headers().get("x-user").cloned();
        let user = user.ok_or(Rejection::from(StatusCode::UNAUTHORIZED))?;
        Ok(user.to_str().unwrap().to_owned())
    };
    let (ws, user) = within(accept_with(server, ServerOptions::default(), hook))
        .await
        .expect("accepted");
    assert_eq!(user, "ada");
    assert_eq!(ws.subprotocol(), Some("chat"));
    assert_eq!(ws.handshake().response_headers()["x-welcome"], "yes");
    let head = read_response_head(&mut client).await.to_ascii_lowercase();
    assert!(head.contains("sec-websocket-protocol: chat\r\n"), "{head}");
    assert!(head.contains("x-welcome: yes\r\n"), "{head}");
}

#[cfg(unix)]
#[tokio::test]
async fn over_a_unix_socket() {
    use tokio::net::{UnixListener, UnixStream};

    let dir = std::env::temp_dir().join(format!("rfc6455-accept-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ws.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let ws = accept(stream, ServerOptions::default()).await?;
        echo(ws).await;
        Ok::<_, rfc6455::Error>(())
    });
    let mut stream = within(UnixStream::connect(&path)).await.unwrap();
    stream
        .write_all(upgrade_request("").as_bytes())
        .await
        .unwrap();
    let head = read_response_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    let mut ws = WebSocket::from_stream(stream, Role::Client, Config::default());
    ws.send_binary(&[1, 2, 3]).await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::binary(vec![1, 2, 3])
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    within(server)
        .await
        .unwrap()
        .expect("the server side accepted");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_tcp_connection_the_program_accepted_against_this_crates_client() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let options = ServerOptions::default().config(Config::default().idle_timeout(None));
        let ws = accept(tcp, options).await?;
        let path = ws.handshake().path().to_owned();
        echo(ws).await;
        Ok::<_, rfc6455::Error>(path)
    });
    let url = format!("ws://127.0.0.1:{port}/tcp");
    let (mut ws, response) = within(rfc6455::connect(&url)).await.unwrap();
    assert_eq!(response.status(), 101);
    ws.send_text("hello").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("hello")
    );
    within(ws.close(CloseCode::NORMAL, "")).await.unwrap();
    let path = within(server).await.unwrap().expect("accepted");
    assert_eq!(path, "/tcp");
}

#[tokio::test]
async fn hybi00_is_off_unless_turned_on() {
    // The draft-76 example handshake, with key3 after the head.
    let request = b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n\
        Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\
        Origin: http://example.com\r\n\r\n^n:ds[4U";

    let (status, answer, err) = refused(request, ServerOptions::default()).await;
    assert_eq!(status, 426, "{answer}");
    assert!(answer.contains("sec-websocket-version: 13\r\n"), "{answer}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnsupportedVersion)
    );

    let options = ServerOptions::default().hybi00_framing(FramingMode::Old);
    let (mut client, result) = accept_over_pipe(request, options).await;
    let mut ws = result.expect("accepted as hybi-00");
    assert_eq!(ws.variant(), Variant::Hybi00);
    let head = read_response_head(&mut client).await;
    assert!(
        head.starts_with("HTTP/1.1 101 WebSocket Protocol Handshake\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-location: ws://example.com/demo\r\n"),
        "{head}"
    );
    let mut answer = [0u8; 16];
    within(client.read_exact(&mut answer)).await.unwrap();
    assert_eq!(&answer, b"8jKS'y:G*Co,Wxa-");
    // A draft frame: 0x00, UTF-8, 0xFF.
    client.write_all(b"\x00hello\xff").await.unwrap();
    assert_eq!(
        within(ws.recv()).await.unwrap().unwrap(),
        Message::text("hello")
    );
}

// ------------------------------------------------------------------ refused

#[tokio::test]
async fn a_malformed_request_gets_400() {
    let (status, answer, err) = refused(b"GARBAGE\r\n\r\n", ServerOptions::default()).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert_eq!(err.kind(), ErrorKind::Handshake);
    assert_eq!(err.response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::Rejected(StatusCode::BAD_REQUEST))
    );
}

#[tokio::test]
async fn invalid_upgrades_get_the_handshake_rules_answers() {
    let no_key = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Version: 13\r\n\r\n";
    let (status, answer, err) = refused(no_key.as_bytes(), ServerOptions::default()).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(err.handshake_error(), Some(&HandshakeError::MissingKey));

    let version_8 = upgrade_request("").replace("Version: 13", "Version: 8");
    let (status, answer, err) = refused(version_8.as_bytes(), ServerOptions::default()).await;
    assert_eq!(status, 426, "{answer}");
    assert!(answer.contains("sec-websocket-version: 13\r\n"), "{answer}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnsupportedVersion)
    );

    let post = upgrade_request("").replacen("GET", "POST", 1);
    let (status, _, err) = refused(post.as_bytes(), ServerOptions::default()).await;
    assert_eq!(status, 405);
    assert_eq!(err.handshake_error(), Some(&HandshakeError::MethodNotGet));
}

#[tokio::test]
async fn a_plain_request_gets_426_and_one_with_a_body_400() {
    let plain = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let (status, answer, _) = refused(plain, ServerOptions::default()).await;
    assert_eq!(status, 426, "{answer}");
    assert!(answer.contains("upgrade: websocket"), "{answer}");
    let with_body = upgrade_request("Content-Length: 3\r\n") + "abc";
    let (status, answer, _) = refused(with_body.as_bytes(), ServerOptions::default()).await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn a_head_over_the_limit_gets_431() {
    let big = format!("X-Big: {}\r\n", "a".repeat(20_000));
    let request = upgrade_request(&big);
    let options = ServerOptions::default().max_header_size(8 * 1024);
    let (status, answer, err) = refused(request.as_bytes(), options).await;
    assert_eq!(status, 431, "{answer}");
    assert_eq!(err.kind(), ErrorKind::Handshake);
}

#[tokio::test]
async fn the_hooks_refusal_is_answered_and_returned() {
    let (mut client, server) = duplex(64 * 1024);
    client
        .write_all(upgrade_request("").as_bytes())
        .await
        .unwrap();
    let hook = |_: &mut Handshake<'_>| -> Result<(), Rejection> {
        Err(Rejection::new(StatusCode::FORBIDDEN, "not you\n"))
    };
    let err = within(accept_with(server, ServerOptions::default(), hook))
        .await
        .expect_err("refused by the hook");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::Rejected(StatusCode::FORBIDDEN))
    );
    let answer = read_to_end(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nnot you\n"), "{answer}");
}

#[tokio::test]
async fn a_request_head_that_does_not_come_times_out() {
    let (_client, server) = duplex(1024);
    let options = ServerOptions::default().handshake_timeout(Duration::from_millis(50));
    let err = within(accept(server, options)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_peer_that_closes_at_once_is_an_io_error() {
    let (client, server) = duplex(1024);
    drop(client);
    let err = within(accept(server, ServerOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
}
