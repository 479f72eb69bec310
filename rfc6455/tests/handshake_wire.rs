//! Malformed opening handshakes on the wire: raw `TcpStream`s write exactly the bytes of
//! each request to [`rfc6455::serve`] and read the status line, headers and body back.
//!
//! | request | answer |
//! |---|---|
//! | valid, and with `Upgrade`/`Connection` token lists or odd case | 101, the right `Sec-WebSocket-Accept`, a working connection |
//! | no `Sec-WebSocket-Key`, or one that is not base64 of 16 bytes, or two | 400 |
//! | `Sec-WebSocket-Version` other than 13, or none | 426 with `Sec-WebSocket-Version: 13` |
//! | POST, PUT (with or without a body) | 405 with `Allow: GET` (an unread chunked body: then closed) |
//! | HTTP/1.0 | 505 (our check; hyper parses 1.0 and hands it over) |
//! | no `Host`, or two | 400 |
//! | no `Connection: Upgrade` | 400 |
//! | `Upgrade` without `websocket` | 426, the server's plain HTTP answer |
//! | request head over `max_header_size` | 431 (hyper), then the connection is closed |
//! | an HTTP version hyper cannot parse | 400 (hyper), then the connection is closed |
//! | a head that never ends (silent, partial, or trickled a byte at a time) | the connection closed after `handshake_timeout`, no answer |
//! | a valid upgrade with the first frame in the same write | 101, and the frame reaches the handler |
//! | an upgrade the handshake hook refuses | the hook's status and body; the connection stays for the next request |
//!
//! A 4xx answer to a request without a body keeps the connection (HTTP/1.1 keep-alive): a
//! valid upgrade on it then gets 101. After every case the server's
//! [`ServerHandle::connection_count`] returns to 0 once the client is gone: no task left
//! behind (and `handshake_memory.rs` shows that a thousand of these requests leave the
//! process's resident memory where it was). And curl's `--include` shows the 101 of a plain
//! upgrade.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use rfc6455::{CloseCode, Config, ServerHandle, ServerOptions, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use support::http::{
    Response, SAMPLE_ACCEPT, SAMPLE_KEY, echo_works, exchange, read_response, upgrade_request,
    with_header, without_header,
};
use support::server::{echo_server, local, no_connection_left};
use support::{LIMIT, within};

/// The handshake timeout of the servers here.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(300);

/// An echo server on 127.0.0.1 with the short handshake timeout.
async fn server() -> ServerHandle {
    server_with(local()).await
}

async fn server_with(options: ServerOptions) -> ServerHandle {
    echo_server(options.handshake_timeout(HANDSHAKE_TIMEOUT)).await
}

/// A valid upgrade request head for `/chat` on `addr`, with `extra` header lines (each
/// ending in CRLF) before the blank line.
fn request(addr: SocketAddr, extra: &str) -> String {
    upgrade_request(addr, "/chat", extra)
}

/// Wait until the server closes `tcp` (EOF or reset), within `bound`; what it sent before
/// closing is returned.
async fn closed_by_server(tcp: &mut TcpStream, bound: Duration) -> Vec<u8> {
    let mut rest = Vec::new();
    match timeout(bound, tcp.read_to_end(&mut rest)).await {
        Ok(_) => rest,
        Err(_) => panic!(
            "the server kept the connection open for {bound:?} (sent {:?})",
            String::from_utf8_lossy(&rest)
        ),
    }
}

/// Send `request`, expect `status` with a body saying why, then show that the connection
/// is still usable for a valid upgrade (keep-alive) unless the server closed it.
async fn rejected(server: &ServerHandle, request: &str, status: u16) -> Response {
    let addr = server.local_addr();
    let (mut tcp, reply) = exchange(addr, request).await;
    assert_eq!(reply.status, status, "{request:?} → {reply:?}");
    assert!(!reply.body.is_empty(), "no reason given: {reply:?}");
    assert_eq!(reply.header("sec-websocket-accept"), None, "{reply:?}");
    // The rejection ends that request, not the connection: a valid upgrade on the same
    // connection (HTTP/1.1 keep-alive) is accepted. Only a request body left unread may
    // make hyper close it instead.
    let has_body = request
        .find("\r\n\r\n")
        .is_some_and(|end| end + 4 < request.len());
    assert!(has_body || !closes(&reply), "{request:?} → {reply:?}");
    if closes(&reply) {
        closed_by_server(&mut tcp, LIMIT).await;
        return reply;
    }
    tcp.write_all(request_for_keep_alive(addr).as_bytes())
        .await
        .unwrap();
    let again = within(read_response(&mut tcp)).await;
    assert_eq!(again.status, 101, "after {status}: {again:?}");
    assert_eq!(again.header("sec-websocket-accept"), Some(SAMPLE_ACCEPT));
    echo_works(tcp).await;
    reply
}

/// Whether the server said it closes the connection after `reply`.
fn closes(reply: &Response) -> bool {
    reply
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"))
}

fn request_for_keep_alive(addr: SocketAddr) -> String {
    request(addr, "")
}

// ------------------------------------------------------------------------ accepted

#[tokio::test]
async fn valid_upgrade_gets_101_with_the_accept_key() {
    let server = server().await;
    let (tcp, reply) = exchange(server.local_addr(), &request(server.local_addr(), "")).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    assert!(reply.head.starts_with("HTTP/1.1 101 "), "{reply:?}");
    assert_eq!(reply.header("sec-websocket-accept"), Some(SAMPLE_ACCEPT));
    assert!(
        reply
            .header("upgrade")
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket")),
        "{reply:?}"
    );
    assert!(
        reply
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("upgrade")),
        "{reply:?}"
    );
    assert_eq!(reply.header("sec-websocket-protocol"), None);
    echo_works(tcp).await;
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn upgrade_and_connection_token_lists_are_accepted() {
    let server = server().await;
    let addr = server.local_addr();
    let base = request(addr, "");
    let variants = [
        with_header(&base, "Upgrade", "foo, websocket"),
        with_header(&base, "Upgrade", "websocket, h2c"),
        with_header(&base, "Upgrade", "WebSocket"),
        with_header(&base, "Connection", "keep-alive, Upgrade"),
        with_header(&base, "Connection", "upgrade"),
        with_header(&base, "Connection", "Upgrade,keep-alive"),
        // The token in a second Connection line.
        with_header(&base, "Connection", "keep-alive\r\nConnection: Upgrade"),
        with_header(
            &with_header(&base, "Upgrade", "foo/1, WEBSOCKET"),
            "Connection",
            "close-not, keep-alive, UPGRADE",
        ),
    ];
    for request in &variants {
        let (tcp, reply) = exchange(addr, request).await;
        assert_eq!(reply.status, 101, "{request:?} → {reply:?}");
        assert_eq!(reply.header("sec-websocket-accept"), Some(SAMPLE_ACCEPT));
        echo_works(tcp).await;
    }
    no_connection_left(&server).await;
    server.stop().await;
}

// ------------------------------------------------------------------------ rejected

#[tokio::test]
async fn missing_key_gets_400() {
    let server = server().await;
    let request = without_header(&request(server.local_addr(), ""), "Sec-WebSocket-Key");
    let reply = rejected(&server, &request, 400).await;
    assert!(reply.text().contains("Sec-WebSocket-Key"), "{reply:?}");
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn bad_keys_get_400() {
    let server = server().await;
    let base = request(server.local_addr(), "");
    for key in [
        "not base64 at all!!!!!!!",      // 24 characters, not base64
        "dGhlIHNhbXBsZSBub25jZQ",        // 16 bytes, unpadded
        "dGhlIHNhbXBsZSBub25jZQ==extra", // trailing garbage
        "dGhlIHNhbXBsZSBub25j",          // 15 bytes (base64 of "the sample nonc")
        "dGhlIHNhbXBsZSBub25jZXM=",      // 17 bytes
        "",                              // empty
        "dGhlIHNhbXBsZSBub25jZQ==, AAAAAAAAAAAAAAAAAAAAAA==", // two keys in one line
    ] {
        let request = with_header(&base, "Sec-WebSocket-Key", key);
        let reply = rejected(&server, &request, 400).await;
        assert!(
            reply.text().contains("Sec-WebSocket-Key"),
            "{key:?}: {reply:?}"
        );
    }
    // The header repeated (RFC 6455 §11.3.1: it must not appear more than once).
    let twice = request(
        server.local_addr(),
        "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n",
    );
    rejected(&server, &twice, 400).await;
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn wrong_version_gets_426_with_version_13() {
    let server = server().await;
    let base = request(server.local_addr(), "");
    let mut requests: Vec<String> = ["8", "12", "14", "13, 8", "thirteen", ""]
        .iter()
        .map(|version| with_header(&base, "Sec-WebSocket-Version", version))
        .collect();
    requests.push(without_header(&base, "Sec-WebSocket-Version"));
    for request in &requests {
        let reply = rejected(&server, request, 426).await;
        assert_eq!(
            reply.header("sec-websocket-version"),
            Some("13"),
            "{request:?} → {reply:?}"
        );
    }
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn post_and_put_get_405_with_allow_get() {
    let server = server().await;
    let base = request(server.local_addr(), "");
    let post = base.replacen("GET ", "POST ", 1);
    let post_with_body = request(server.local_addr(), "Content-Length: 5\r\n")
        .replacen("GET ", "POST ", 1)
        + "hello";
    let put = base.replacen("GET ", "PUT ", 1);
    for request in [&post, &put] {
        let reply = rejected(&server, request, 405).await;
        assert_eq!(reply.header("allow"), Some("GET"), "{reply:?}");
    }
    // With a body, which the server never reads: hyper reads a small one past (here the
    // Content-Length one) and keeps the connection, or closes it after the answer (here
    // the chunked one); `rejected` checks either way.
    let chunked = request(server.local_addr(), "Transfer-Encoding: chunked\r\n")
        .replacen("GET ", "POST ", 1)
        + "5\r\nhello\r\n0\r\n\r\n";
    for request in [&post_with_body, &chunked] {
        let reply = rejected(&server, request, 405).await;
        assert_eq!(reply.header("allow"), Some("GET"), "{reply:?}");
    }
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn http_1_0_gets_505() {
    let server = server().await;
    let request = request(server.local_addr(), "").replacen("HTTP/1.1", "HTTP/1.0", 1);
    let (mut tcp, reply) = exchange(server.local_addr(), &request).await;
    // hyper parses HTTP/1.0 and hands it to us; RFC 6455 §4.2.1 asks for 1.1 or later.
    assert_eq!(reply.status, 505, "{reply:?}");
    assert!(reply.text().contains("HTTP/1.1"), "{reply:?}");
    // An HTTP/1.0 exchange without keep-alive: the server closes after the answer.
    closed_by_server(&mut tcp, LIMIT).await;
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn unparsable_http_version_gets_400_and_close() {
    let server = server().await;
    for version in ["HTTP/2.0", "HTTP/1.2", "HTTP/11", "WS/1.1"] {
        let request = request(server.local_addr(), "").replacen("HTTP/1.1", version, 1);
        let (mut tcp, reply) = exchange(server.local_addr(), &request).await;
        // hyper's own answer to a request line it cannot parse: no body, then a close.
        assert_eq!(reply.status, 400, "{version}: {reply:?}");
        closed_by_server(&mut tcp, LIMIT).await;
    }
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn missing_host_gets_400() {
    let server = server().await;
    let request = without_header(&request(server.local_addr(), ""), "Host");
    let reply = rejected(&server, &request, 400).await;
    assert!(reply.text().contains("Host"), "{reply:?}");
    // Two Host lines are refused too (RFC 7230 §5.4).
    let twice = request_with_two_hosts(server.local_addr());
    rejected(&server, &twice, 400).await;
    no_connection_left(&server).await;
    server.stop().await;
}

fn request_with_two_hosts(addr: SocketAddr) -> String {
    request(addr, "Host: other.example\r\n")
}

#[tokio::test]
async fn missing_connection_upgrade_gets_400() {
    let server = server().await;
    let base = request(server.local_addr(), "");
    for request in [
        without_header(&base, "Connection"),
        with_header(&base, "Connection", "keep-alive"),
        with_header(&base, "Connection", "upgraded"),
    ] {
        let reply = rejected(&server, &request, 400).await;
        assert!(reply.text().contains("Connection"), "{reply:?}");
    }
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn upgrade_without_websocket_gets_the_plain_http_426() {
    let server = server().await;
    let base = request(server.local_addr(), "");
    for request in [
        with_header(&base, "Upgrade", "h2c"),
        with_header(&base, "Upgrade", "websockets"),
        without_header(&base, "Upgrade"),
    ] {
        // Not an upgrade to WebSocket: the server's answer to plain HTTP, 426 naming
        // websocket.
        let reply = rejected(&server, &request, 426).await;
        assert_eq!(reply.header("upgrade"), Some("websocket"), "{reply:?}");
    }
    no_connection_left(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn header_block_over_the_limit_gets_431_and_close() {
    // The default limit, 16 KiB.
    let server = server().await;
    let addr = server.local_addr();
    // Just under the limit: accepted.
    let filler = format!("X-Filler: {}\r\n", "a".repeat(12 * 1024));
    let (tcp, reply) = exchange(addr, &request(addr, &filler)).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    echo_works(tcp).await;
    // Over it, in one header or in many.
    let one = format!("X-Filler: {}\r\n", "a".repeat(20 * 1024));
    let many: String = (0..400)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "b".repeat(40)))
        .collect();
    for extra in [one, many] {
        let (mut tcp, reply) = exchange(addr, &request(addr, &extra)).await;
        assert_eq!(reply.status, 431, "{reply:?}");
        closed_by_server(&mut tcp, LIMIT).await;
    }
    no_connection_left(&server).await;
    server.stop().await;
}

// ------------------------------------------------------------------------ never finished

/// Connect, send `bytes`, and measure how long the server keeps the connection.
async fn dropped_after(addr: SocketAddr, bytes: &[u8]) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(bytes).await.expect("write");
    let rest = closed_by_server(&mut tcp, HANDSHAKE_TIMEOUT + LIMIT).await;
    (started.elapsed(), rest)
}

fn assert_dropped_by_the_timeout(what: &str, elapsed: Duration, rest: &[u8]) {
    // hyper answers nothing to a head that never ends, and closes.
    assert!(
        rest.is_empty(),
        "{what}: {:?}",
        String::from_utf8_lossy(rest)
    );
    assert!(
        elapsed >= HANDSHAKE_TIMEOUT - Duration::from_millis(50),
        "{what}: closed after {elapsed:?}, before the handshake timeout"
    );
    assert!(
        elapsed < HANDSHAKE_TIMEOUT + Duration::from_secs(2),
        "{what}: closed after {elapsed:?}, long after the {HANDSHAKE_TIMEOUT:?} timeout"
    );
}

#[tokio::test]
async fn unfinished_request_is_dropped_after_the_handshake_timeout() {
    let server = server().await;
    let addr = server.local_addr();
    let full = request(addr, "");
    let partial = &full[..full.len() - 2]; // all but the final blank line
    let cases: [(&str, &[u8]); 3] = [
        ("silent", b""),
        ("request line only", b"GET /chat HTTP/1.1\r\n"),
        ("all but the blank line", partial.as_bytes()),
    ];
    let runs = cases.map(|(what, bytes)| async move {
        let (elapsed, rest) = dropped_after(addr, bytes).await;
        assert_dropped_by_the_timeout(what, elapsed, &rest);
    });
    join_all(runs).await;
    no_connection_left(&server).await;
    server.stop().await;
}

/// A client that trickles its head a byte at a time (slowloris) is dropped at the
/// timeout all the same: the timeout bounds the whole head, not each read.
#[tokio::test]
async fn trickled_request_is_dropped_after_the_handshake_timeout() {
    let server = server().await;
    let addr = server.local_addr();
    let full = request(addr, "");
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let mut written = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    // The head takes about 3 s at this pace: ten times the timeout.
    let closed = loop {
        tick.tick().await;
        if written == full.len() {
            break false;
        }
        if tcp
            .write_all(&full.as_bytes()[written..=written])
            .await
            .is_err()
        {
            break true;
        }
        written += 1;
        // A closed connection reads EOF (or a reset) at once; a live one has nothing.
        let mut byte = [0u8];
        match timeout(Duration::ZERO, tcp.read(&mut byte)).await {
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(_)) => panic!("the server answered an unfinished head"),
            Err(_) => {}
        }
    };
    let elapsed = started.elapsed();
    assert!(closed, "the whole head went through in {elapsed:?}");
    assert!(written < full.len(), "{written} of {} bytes", full.len());
    assert_dropped_by_the_timeout("trickled", elapsed, &[]);
    no_connection_left(&server).await;
    server.stop().await;
}

// ------------------------------------------------------------------------ limits

/// The limit follows `ServerOptions::max_header_size`: raised to 64 KiB, a 40 KiB head
/// is accepted; lowered to 8 KiB (the floor), a 10 KiB one is not.
#[tokio::test]
async fn header_limit_follows_max_header_size() {
    let big = server_with(local().max_header_size(64 * 1024)).await;
    let addr = big.local_addr();
    let filler = format!("X-Filler: {}\r\n", "a".repeat(40 * 1024));
    let (tcp, reply) = exchange(addr, &request(addr, &filler)).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    echo_works(tcp).await;
    no_connection_left(&big).await;
    big.stop().await;

    let small = server_with(local().max_header_size(8 * 1024)).await;
    let addr = small.local_addr();
    let filler = format!("X-Filler: {}\r\n", "a".repeat(10 * 1024));
    let (mut tcp, reply) = exchange(addr, &request(addr, &filler)).await;
    assert_eq!(reply.status, 431, "{reply:?}");
    closed_by_server(&mut tcp, LIMIT).await;
    no_connection_left(&small).await;
    small.stop().await;
}

// ------------------------------------------------------------------------ curl

/// curl's `--include` shows the handshake of a plain upgrade made with curl's own HTTP
/// client (this curl has no `ws://` support: it sends our headers and prints the 101).
#[tokio::test]
async fn curl_include_shows_the_101() {
    let version = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!("curl is needed (apt-get install curl; scripts/install-peers.sh): {e}")
        });
    assert!(version.status.success(), "curl --version failed");
    // The handler closes at once and gives up waiting for curl's close after 200 ms, so
    // that curl sees the end of the stream.
    let config = Config::default().close_timeout(Duration::from_millis(200));
    let options = ServerOptions::default()
        .listen_addr([127, 0, 0, 1].into())
        .port(0)
        .config(config);
    let server = serve(options, |mut ws| async move {
        let _ = ws.close(CloseCode::NORMAL, "curl").await;
    })
    .await
    .expect("the server listens");
    let output = tokio::process::Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--include",
            "--no-buffer",
            "--http1.1",
        ])
        .args(["--max-time", "10"])
        .args(["-H", "Connection: Upgrade", "-H", "Upgrade: websocket"])
        .args(["-H", &format!("Sec-WebSocket-Key: {SAMPLE_KEY}")])
        .args(["-H", "Sec-WebSocket-Version: 13"])
        .arg(format!("http://{}/chat", server.local_addr()))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = timeout(LIMIT + LIMIT, output)
        .await
        .expect("curl finished in time")
        .expect("curl ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let head = stdout.split("\r\n\r\n").next().unwrap_or_default();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols"),
        "{stdout:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains(&format!(
            "sec-websocket-accept: {}",
            SAMPLE_ACCEPT.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(head.contains("upgrade: websocket"), "{head}");
    no_connection_left(&server).await;
    server.stop().await;
}

// ------------------------------------------------------------- the server's fast path

/// A client may send its first frame in the same write as the request: the bytes after
/// the head belong to the WebSocket, not to the handshake.
#[tokio::test]
async fn a_frame_sent_with_the_request_reaches_the_handler() {
    let server = server().await;
    let mut tcp = TcpStream::connect(server.local_addr())
        .await
        .expect("connect");
    let mut bytes = request(server.local_addr(), "").into_bytes();
    // A masked text frame "hi" (mask 1 2 3 4).
    bytes.extend_from_slice(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]);
    tcp.write_all(&bytes).await.expect("write");
    let reply = within(read_response(&mut tcp)).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    let mut echo = [0u8; 4];
    timeout(LIMIT, tcp.read_exact(&mut echo))
        .await
        .expect("the echo in time")
        .expect("read the echo");
    assert_eq!(echo, [0x81, 0x02, b'h', b'i']);
    drop(tcp);
    no_connection_left(&server).await;
    server.stop().await;
}

/// A hook's refusal is answered with its status and body, and the connection stays open
/// for the next request (HTTP/1.1 keep-alive), which can be an upgrade that succeeds.
#[tokio::test]
async fn a_refused_upgrade_keeps_the_connection_for_the_next_request() {
    let options = ServerOptions::default()
        .listen_addr([127, 0, 0, 1].into())
        .handshake_timeout(HANDSHAKE_TIMEOUT);
    let server = rfc6455::serve_with_hook(
        options,
        |hs: &mut rfc6455::Handshake<'_>| {
            if hs.request().uri().path() == "/closed" {
                Err(rfc6455::Rejection::new(
                    http::StatusCode::FORBIDDEN,
                    "not here",
                ))
            } else {
                Ok(())
            }
        },
        |mut ws, ()| async move {
            while let Some(Ok(message)) = ws.recv().await {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        },
    )
    .await
    .expect("the server listens");
    let addr = server.local_addr();
    let refused = request(addr, "").replacen("GET /chat ", "GET /closed ", 1);
    let (mut tcp, reply) = exchange(addr, &refused).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.text(), "not here");
    assert!(!closes(&reply), "{reply:?}");
    tcp.write_all(request(addr, "").as_bytes())
        .await
        .expect("write the second request");
    let reply = within(read_response(&mut tcp)).await;
    assert_eq!(reply.status, 101, "{reply:?}");
    echo_works(tcp).await;
    no_connection_left(&server).await;
    server.stop().await;
}
