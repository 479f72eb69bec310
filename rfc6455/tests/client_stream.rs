//! The client over a stream the program already has ([`rfc6455::client`]): an in-memory
//! `tokio::io::duplex` and a Unix socket, against a server built on the library's
//! sans-I/O core (or a scripted one), for RFC 6455 and hybi-00; refusals, redirects,
//! requests that are never sent, and the handshake timeout.

mod support;

use std::time::Duration;

use http::{HeaderValue, Request, Response, StatusCode};
use rfc6455::proto::{handshake, hybi00};
use rfc6455::{
    ClientOptions, CloseCode, Config, ErrorKind, HandshakeError, Message, Role, Variant, WebSocket,
    client,
};
use support::within;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, duplex};

/// Read a request head off `io` byte by byte (nothing after it is consumed) and parse it.
async fn read_request<S: AsyncRead + Unpin>(io: &mut S) -> Request<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(io.read_u8().await.expect("EOF inside the request head"));
        assert!(head.len() < 64 * 1024, "request head too long");
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    assert!(parsed.parse(&head).unwrap().is_complete());
    assert_eq!(parsed.version, Some(1), "HTTP/1.1");
    let mut request = Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap());
    for h in parsed.headers.iter() {
        request = request.header(h.name, h.value);
    }
    request.body(()).unwrap()
}

/// A response head on the wire.
fn head_bytes(response: &Response<()>) -> Vec<u8> {
    let status = response.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in response.headers() {
        out.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// An unmasked server text frame.
fn text_frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    [&[0x81, text.len() as u8][..], text.as_bytes()].concat()
}

/// The server side over `io`, on the library's sans-I/O core: check the upgrade request,
/// answer `101` (with the first of `supported` the client offers), write `after` right
/// behind it, then echo with a server [`WebSocket`] until the client closes. Returns the
/// request it read.
async fn core_server<S>(mut io: S, supported: &[&str], after: Vec<u8>) -> Request<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let request = read_request(&mut io).await;
    let offer = handshake::check_request(&request).expect("a valid upgrade request");
    let response = offer.response(offer.select_subprotocol(supported));
    io.write_all(&[head_bytes(&response), after].concat())
        .await
        .unwrap();
    let mut ws = WebSocket::from_stream(io, Role::Server, Config::default());
    while let Some(Ok(msg)) = ws.recv().await {
        if ws.send(msg).await.is_err() {
            break;
        }
    }
    request
}

/// A server that answers whatever comes with `answer`, then waits for the client to hang
/// up. Returns the request it read.
async fn scripted_server(mut io: DuplexStream, answer: &'static [u8]) -> Request<()> {
    let request = read_request(&mut io).await;
    io.write_all(answer).await.unwrap();
    let mut rest = Vec::new();
    let _ = io.read_to_end(&mut rest).await;
    request
}

/// The error the client returns when the server answers its request with `answer`.
async fn refusal(answer: &'static [u8]) -> rfc6455::Error {
    let (ours, theirs) = duplex(64 * 1024);
    let server = tokio::spawn(scripted_server(theirs, answer));
    let err = within(client(ours, "ws://h/", ClientOptions::default()))
        .await
        .unwrap_err();
    within(server).await.unwrap();
    err
}

#[tokio::test]
async fn over_a_duplex_against_the_server_core() {
    let (ours, theirs) = duplex(64 * 1024);
    let server = tokio::spawn(core_server(theirs, &["chat"], text_frame("first")));
    let options = ClientOptions::default().subprotocols(["superchat", "chat"]);
    let (mut ws, response) = within(client(ours, "ws://example.com/chat?x=1", options))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_eq!(ws.subprotocol(), Some("chat"));
    let info = ws.handshake();
    assert_eq!(info.url(), Some("ws://example.com/chat?x=1"));
    assert_eq!(info.path(), "/chat");
    assert!(!info.is_secure());
    assert_eq!(info.peer_addr(), None);

    // The frame that came right behind the 101, then an echo.
    let first = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(first.as_text(), Some("first"));
    ws.send_text("ping").await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo, Message::text("ping"));
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert!(within(ws.recv()).await.is_none());

    let request = within(server).await.unwrap();
    assert_eq!(request.uri(), "/chat?x=1");
    assert_eq!(request.headers()["host"], "example.com");
    assert_eq!(
        request.headers()["sec-websocket-protocol"],
        "superchat, chat"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn over_a_unix_socket_with_a_request_of_its_own() {
    use tokio::net::{UnixListener, UnixStream};

    let path = std::env::temp_dir().join(format!("rfc6455-client-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        core_server(stream, &[], Vec::new()).await
    });

    let stream = UnixStream::connect(&path).await.unwrap();
    let request = Request::builder()
        .uri("ws://localhost/events")
        .header("authorization", "Bearer t0ken")
        .header("cookie", "given=1")
        .body(())
        .unwrap();
    let options = ClientOptions::default()
        .origin("https://app.example")
        .cookie("session", "abc");
    let (mut ws, _) = within(client(stream, request, options)).await.unwrap();
    assert_eq!(ws.subprotocol(), None);
    ws.send_text("over unix").await.unwrap();
    let echo = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(echo.as_text(), Some("over unix"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());

    let request = within(server).await.unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(request.uri(), "/events");
    assert_eq!(request.headers()["host"], "localhost");
    assert_eq!(request.headers()["authorization"], "Bearer t0ken");
    assert_eq!(request.headers()["origin"], "https://app.example");
    let cookies: Vec<_> = request.headers().get_all("cookie").iter().collect();
    assert_eq!(cookies, ["given=1; session=abc"], "one Cookie header");
}

#[tokio::test]
async fn a_refused_handshake_carries_status_headers_and_body() {
    let err = refusal(
        b"HTTP/1.1 403 Forbidden\r\nX-Why: not on this path\r\nContent-Length: 9\r\n\r\nforbidden",
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::UnexpectedStatus(StatusCode::FORBIDDEN))
    );
    let response = err.response().expect("the answer is in the error");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["x-why"], "not on this path");
    assert_eq!(&response.body()[..], b"forbidden");
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn a_redirect_is_an_answer_like_any_other() {
    let err = refusal(
        b"HTTP/1.1 302 Found\r\nLocation: ws://elsewhere/\r\nContent-Length: 5\r\n\r\nmoved",
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Handshake, "{err}");
    let response = err.response().unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "ws://elsewhere/");
    assert_eq!(
        &response.body()[..],
        b"moved",
        "the body is read: nothing is followed"
    );
}

#[tokio::test]
async fn a_wrong_101_is_a_handshake_error() {
    let err = refusal(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    )
    .await;
    assert_eq!(err.handshake_error(), Some(&HandshakeError::InvalidAccept));
}

#[tokio::test]
async fn requests_that_cannot_be_sent_leave_the_stream_untouched() {
    let post = Request::post("ws://h/").body(()).unwrap();
    let http10 = Request::get("ws://h/")
        .version(http::Version::HTTP_10)
        .body(())
        .unwrap();
    let relative = Request::get("/chat").body(()).unwrap();
    let cases = [
        (post, ErrorKind::Handshake),
        (http10, ErrorKind::Handshake),
        (relative, ErrorKind::InvalidUrl),
    ];
    for (request, kind) in cases {
        let (ours, mut theirs) = duplex(1024);
        let err = within(client(ours, request, ClientOptions::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        let mut written = Vec::new();
        theirs.read_to_end(&mut written).await.unwrap();
        assert!(written.is_empty(), "{written:?}");
    }
    for url in ["http://h/", "ws://h/#fragment", "not a url"] {
        let (ours, _theirs) = duplex(1024);
        let err = within(client(ours, url, ClientOptions::default()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl, "{url}: {err}");
    }
    let (ours, _theirs) = duplex(1024);
    let options = ClientOptions::default().cookie("bad name", "x");
    let err = within(client(ours, "ws://h/", options)).await.unwrap_err();
    assert_eq!(
        err.handshake_error(),
        Some(&HandshakeError::InvalidHeader("Cookie"))
    );
}

#[tokio::test]
async fn a_silent_peer_hits_the_handshake_timeout() {
    let (ours, _theirs) = duplex(64 * 1024);
    let options = ClientOptions::default().handshake_timeout(Duration::from_millis(200));
    let err = within(client(ours, "ws://h/", options)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn a_wss_url_names_the_stream_secure() {
    let (ours, theirs) = duplex(64 * 1024);
    let server = tokio::spawn(core_server(theirs, &[], Vec::new()));
    let (mut ws, _) = within(client(ours, "wss://example.com/", ClientOptions::default()))
        .await
        .unwrap();
    assert!(ws.handshake().is_secure());
    assert_eq!(ws.handshake().url(), Some("wss://example.com/"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert!(within(ws.recv()).await.is_none());
    let request = within(server).await.unwrap();
    assert_eq!(request.headers()["host"], "example.com");
}

#[tokio::test]
async fn hybi00_over_a_duplex() {
    let (ours, mut theirs) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let request = read_request(&mut theirs).await;
        let offer = hybi00::check_request(&request).expect("a valid hybi-00 request");
        let mut key3 = [0u8; hybi00::KEY3_LEN];
        theirs.read_exact(&mut key3).await.unwrap();
        let response = offer.response(false, None);
        let answer = [
            head_bytes(&response),
            offer.answer(&key3).to_vec(),
            b"\x00hello\xff".to_vec(),
        ]
        .concat();
        theirs.write_all(&answer).await.unwrap();
        let mut frame = [0u8; 4];
        theirs.read_exact(&mut frame).await.unwrap();
        (request, frame)
    });
    let options = ClientOptions::default()
        .variant(Variant::Hybi00)
        .origin(HeaderValue::from_static("http://example.com"));
    let (mut ws, response) = within(client(ours, "ws://example.com/demo", options))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    let hello = within(ws.recv()).await.unwrap().unwrap();
    assert_eq!(hello.as_text(), Some("hello"));
    ws.send_text("hi").await.unwrap();
    let (request, frame) = within(server).await.unwrap();
    assert_eq!(&frame, b"\x00hi\xff");
    assert_eq!(request.headers()["origin"], "http://example.com");
    assert_eq!(request.uri(), "/demo");
}
